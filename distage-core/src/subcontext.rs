//! Subcontexts: a submodule planned once with its parent, then produced per request (per job)
//! with local values, sharing the parent's instances.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Weak};

use crate::binding::{ImplKind, Instance, Origin, Produced, Provider};
use crate::boxed::BoxError;
use crate::error::Error;
use crate::functoid::RunFn;
use crate::inject::LocatorRef;
use crate::inject::{Arg, DepMode, DepShape, Dependency, Inject, arc};
use crate::key::{DIKey, Id, KeyKind, TypeInfo};
use crate::locator::{AsyncLocator, Locator, LocatorInner};
use crate::module::{Make, Module, ModuleBuilder, SubcontextSpec};
use crate::plan::{Action, Plan};
use crate::planner;
use crate::producer::Inputs;

struct Shared {
    plan: Plan,
    locals: Vec<DIKey>,
    /// A step of the plan is async: runs must be produced with `produce_async`/`run_async`.
    is_async: bool,
    parent: Weak<LocatorInner>,
}

/// A part of the object graph made anew for each run (a request, a job) from local values,
/// sharing the instances of the locator it was produced in. Bind it with
/// `make_subcontext::<A>(submodule).local::<RequestId>()`; inject it as `Subcontext<A>`.
///
/// Its plan is made once, when the parent locator is produced (and checked when the parent is
/// planned); each run only produces the submodule's part, with no planning. Its bindings shadow
/// the parent's; its resources are released when the run ends.
///
/// ```
/// use std::sync::Arc;
/// use distage_core::{Injector, Module, PlannerInput, Subcontext};
///
/// struct Db;
/// struct RequestId(u64);
/// struct Handler { id: u64 }
///
/// let request = Module::build(|m| {
///     m.make::<Handler>().from_fn(|_: Arc<Db>, r: Arc<RequestId>| Handler { id: r.0 });
/// });
/// let server = Module::build(|m| {
///     m.make::<Db>().from_fn(|| Db);
///     m.make_subcontext::<Handler>(request).local::<RequestId>();
/// });
/// let injector = Injector::new();
/// let locator = injector.produce(&injector.plan(&PlannerInput::new(server))?)?;
/// let handlers = locator.get::<Subcontext<Handler>>()?;
/// let id = handlers.provide(RequestId(7)).run(|h: Arc<Handler>| h.id)?;
/// assert_eq!(id, 7);
/// # Ok::<(), distage_core::Error>(())
/// ```
pub struct Subcontext<A: ?Sized> {
    shared: Arc<Shared>,
    _root: PhantomData<fn() -> Arc<A>>,
}

impl<A: ?Sized> Clone for Subcontext<A> {
    fn clone(&self) -> Self {
        Subcontext {
            shared: self.shared.clone(),
            _root: PhantomData,
        }
    }
}

impl<A: ?Sized> fmt::Debug for Subcontext<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subcontext")
            .field(
                "root",
                &crate::key::short_type_name(std::any::type_name::<A>()),
            )
            .field("locals", &self.shared.locals)
            .finish()
    }
}

impl<A: ?Sized + Send + Sync + 'static> Subcontext<A> {
    /// Starts a run with the local value `value` (the local `T`).
    pub fn provide<T: Send + Sync + 'static>(&self, value: T) -> SubcontextRun<'_, A> {
        SubcontextRun::new(self).provide(value)
    }

    /// Starts a run with the local `T` named `id`.
    pub fn provide_named<T: Send + Sync + 'static>(
        &self,
        id: impl Into<Id>,
        value: T,
    ) -> SubcontextRun<'_, A> {
        SubcontextRun::new(self).provide_named(id, value)
    }

    /// Runs without local values (for a subcontext that declares none).
    pub fn run<M, R, F: RunFn<M, R>>(&self, f: F) -> Result<R, Error> {
        SubcontextRun::new(self).run(f)
    }

    /// The plan each run produces.
    pub fn plan(&self) -> &Plan {
        &self.shared.plan
    }

    /// The locals each run must be given.
    pub fn locals(&self) -> &[DIKey] {
        &self.shared.locals
    }

    /// True when a binding of the subcontext is async: its runs are produced with
    /// [`produce_async`](SubcontextRun::produce_async) or [`run_async`](SubcontextRun::run_async)
    /// (the sync ones fail naming the async bindings).
    pub fn is_async(&self) -> bool {
        self.shared.is_async
    }
}

/// A subcontext run being given its local values.
pub struct SubcontextRun<'a, A: ?Sized> {
    subcontext: &'a Subcontext<A>,
    /// The values given, in the order of the plan's locals (what the producer takes).
    inputs: Inputs,
    /// The first value given for a key that is not a local: the run fails with it.
    unknown: Option<DIKey>,
}

impl<A: ?Sized> fmt::Debug for SubcontextRun<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&DIKey> = (self.subcontext.shared.locals.iter())
            .zip(self.inputs.iter())
            .filter(|(_, value)| value.is_some())
            .map(|(key, _)| key)
            .collect();
        f.debug_struct("SubcontextRun")
            .field("provided", &keys)
            .field("unknown", &self.unknown)
            .finish()
    }
}

impl<'a, A: ?Sized + Send + Sync + 'static> SubcontextRun<'a, A> {
    fn new(subcontext: &'a Subcontext<A>) -> Self {
        SubcontextRun {
            subcontext,
            inputs: Inputs::blanks(subcontext.shared.locals.len()),
            unknown: None,
        }
    }

    /// Gives the local `T`.
    #[inline(always)]
    pub fn provide<T: Send + Sync + 'static>(self, value: T) -> Self {
        let at = self.position(std::any::TypeId::of::<T>(), None);
        self.place(at, DIKey::of::<T>, Instance::shared(Arc::new(value)))
    }

    /// Gives the local `T` named `id`.
    #[inline(always)]
    pub fn provide_named<T: Send + Sync + 'static>(self, id: impl Into<Id>, value: T) -> Self {
        let id = id.into();
        let at = self.position(std::any::TypeId::of::<T>(), Some(&id));
        self.place(
            at,
            || DIKey::named::<T>(id),
            Instance::shared(Arc::new(value)),
        )
    }

    /// Where the local `T` named `id` (or unnamed) is in the plan's locals. Matched by parts:
    /// no key is made unless it names an error.
    fn position(&self, ty: std::any::TypeId, id: Option<&Id>) -> Option<usize> {
        // Byte by byte: the id was written a moment ago, and a wide load of what narrow
        // stores just wrote stalls (store forwarding).
        let same = |a: &[u8], b: &[u8]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y);
        let id = id.map(Id::as_bytes);
        (self.subcontext.shared.locals.iter()).position(|l| {
            l.type_info().type_id() == ty
                && l.kind() == KeyKind::Single
                && match (l.id().map(Id::as_bytes), id) {
                    (Some(a), Some(b)) => same(a, b),
                    (a, b) => a.is_none() && b.is_none(),
                }
        })
    }

    /// Puts `value` at position `at` of the plan's locals (the last value given wins), or
    /// records `key` as not a local.
    #[inline(always)]
    fn place(mut self, at: Option<usize>, key: impl FnOnce() -> DIKey, value: Instance) -> Self {
        match at {
            Some(i) => self.inputs[i] = Some(value),
            None => {
                self.unknown.get_or_insert_with(key);
            }
        }
        self
    }

    /// Produces the subcontext with the values given, calls `f` with its parameters injected
    /// (from the subcontext, then the parent), and releases the subcontext's resources.
    pub fn run<M, R, F: RunFn<M, R>>(self, f: F) -> Result<R, Error> {
        let locator = self.produce()?;
        let result = locator.run(f);
        locator.close()?;
        result
    }

    /// Like [`run`](Self::run), for subcontexts with async bindings and async functions.
    pub async fn run_async<M, Fut, F>(self, f: F) -> Result<Fut::Output, Error>
    where
        F: RunFn<M, Fut>,
        Fut: std::future::Future,
    {
        let locator = self.produce_async().await?;
        let result = locator.run(f).await;
        locator.close().await?;
        result
    }

    /// Produces the subcontext with the values given and hands over its locator, for a scope
    /// that is not one function call (a request that lives until its response is sent): its
    /// lookups fall back to the parent's instances, and [`close`](Locator::close) (or dropping
    /// it) releases its resources. The parent cannot be released before it: closing the parent
    /// closes it first.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use distage_core::{Injector, Module, PlannerInput, Subcontext};
    ///
    /// struct Greeting(String);
    /// struct Name(&'static str);
    /// let per_call = Module::build(|m| {
    ///     m.make::<Greeting>().from_fn(|name: Arc<Name>| Greeting(format!("hello, {}", name.0)));
    /// });
    /// let module = Module::build(|m| {
    ///     m.make_subcontext::<Greeting>(per_call).local::<Name>();
    /// });
    /// let injector = Injector::new();
    /// let app = injector.produce(&injector.plan(&PlannerInput::new(module))?)?;
    /// let greetings = app.get::<Subcontext<Greeting>>()?;
    /// let scope = greetings.provide(Name("ada")).produce()?;
    /// assert_eq!(scope.get::<Greeting>()?.0, "hello, ada");
    /// scope.close()?;
    /// # Ok::<(), distage_core::Error>(())
    /// ```
    pub fn produce(self) -> Result<Locator, Error> {
        let subcontext = self.subcontext;
        let (parent, inputs) = self.prepare()?;
        crate::producer::produce(&subcontext.shared.plan, Some(parent), inputs)
    }

    /// Like [`produce`](Self::produce), for subcontexts with async bindings: independent ones
    /// are produced concurrently; [`close`](AsyncLocator::close) awaits async releases.
    pub async fn produce_async(self) -> Result<AsyncLocator, Error> {
        let subcontext = self.subcontext;
        let (parent, inputs) = self.prepare()?;
        let locator =
            crate::producer::produce_async(&subcontext.shared.plan, Some(parent), inputs).await?;
        Ok(AsyncLocator { locator })
    }

    /// The parent, and the values in the order of the plan's locals.
    fn prepare(self) -> Result<(Arc<LocatorInner>, Inputs), Error> {
        let shared = &self.subcontext.shared;
        let parent = shared.parent.upgrade().ok_or(Error::Closed { key: None })?;
        if let Some(key) = self.unknown {
            let locals: Vec<String> = shared.locals.iter().map(|l| format!("`{l}`")).collect();
            return Err(Error::UnknownLocal {
                key,
                locals: locals.join(", "),
            });
        }
        if let Some(i) = self.inputs.iter().position(Option::is_none) {
            return Err(Error::MissingLocal {
                key: shared.locals[i].clone(),
            });
        }
        Ok((parent, self.inputs))
    }
}

impl<A: ?Sized + Send + Sync + 'static> Inject for Subcontext<A> {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Key {
        ty: TypeInfo::of::<Subcontext<A>>(),
        kind: KeyKind::Single,
        mode: DepMode::Strict,
    };
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        arc::<Subcontext<A>>(arg).map(|s| Subcontext::clone(&s))
    }
}

/// The provider of `Subcontext<A>`: plans the submodule against the locator being produced.
pub(crate) fn subcontext_provider<A: ?Sized + Send + Sync + 'static>(
    module: Module,
    locals: Vec<(DIKey, Origin)>,
) -> Provider {
    let spec = Arc::new(SubcontextSpec {
        module,
        root: DIKey::of::<A>(),
        locals,
    });
    let for_call = spec.clone();
    let mut provider = Provider::call(
        vec![Dependency::Locator],
        ImplKind::Subcontext(TypeInfo::of::<A>()),
        move |args| {
            let locator: LocatorRef = args.take()?;
            let parent = locator
                .inner
                .upgrade()
                .and_then(|inner| inner.downcast::<LocatorInner>().ok())
                .ok_or("distage: the parent locator is gone")?;
            let plan = planner::plan_subcontext(
                &for_call.module,
                &parent.plan.activation,
                &for_call.root,
                &for_call.locals,
                &parent.lineage(),
            )?;
            let is_async = (plan.data.steps.iter()).any(|s| matches!(s.action(), Action::Async(_)));
            let shared = Shared {
                is_async,
                plan,
                locals: for_call.locals.iter().map(|(k, _)| k.clone()).collect(),
                parent: Arc::downgrade(&parent),
            };
            Ok(Produced::shared(Arc::new(Subcontext::<A> {
                shared: Arc::new(shared),
                _root: PhantomData,
            })))
        },
    );
    provider.subcontext = Some(spec);
    provider
}

impl ModuleBuilder {
    /// Binds `Subcontext<A>`: `submodule`, rooted at `A`, produced anew for each run with its
    /// locals (declare them with `.local::<T>()`), sharing this module's instances.
    #[track_caller]
    pub fn make_subcontext<A: ?Sized + Send + Sync + 'static>(
        &mut self,
        submodule: Module,
    ) -> Make<'_, Subcontext<A>> {
        self.make_at::<Subcontext<A>>(Origin::caller())
            .from_subcontext(submodule)
    }
}

impl<A: ?Sized + Send + Sync + 'static> Make<'_, Subcontext<A>> {
    /// A subcontext of `submodule`, rooted at `A`.
    pub fn from_subcontext(self, submodule: Module) -> Self {
        self.with(subcontext_provider::<A>(submodule, Vec::new()))
    }

    /// Declares a local: a value of `T` given to each run with `.provide(value)`.
    #[track_caller]
    pub fn local<T: ?Sized + Send + Sync + 'static>(self) -> Self {
        self.local_key(DIKey::of::<T>(), Origin::caller())
    }

    /// Declares a local `T` named `id`, given with `.provide_named(id, value)`.
    #[track_caller]
    pub fn local_named<T: ?Sized + Send + Sync + 'static>(self, id: impl Into<Id>) -> Self {
        self.local_key(DIKey::named::<T>(id), Origin::caller())
    }

    fn local_key(mut self, key: DIKey, origin: Origin) -> Self {
        match self.provider.as_ref().and_then(|p| p.subcontext.clone()) {
            Some(spec) => {
                let mut locals = spec.locals.clone();
                locals.push((key, origin));
                self.provider = Some(subcontext_provider::<A>(spec.module.clone(), locals));
            }
            None => self.builder.module.misuses.push(crate::module::Misuse {
                key,
                origin,
                message: "`.local::<T>()` declares a local of a subcontext, and there is none yet; \
                          call `.from_subcontext(…)` first",
            }),
        }
        self
    }
}
