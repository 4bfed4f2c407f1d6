//! Modules: immutable sets of bindings, and the builder that declares them.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign};
use std::sync::Arc;

use crate::axis::{AxisChoice, Tags};
use std::future::Future;

use crate::binding::{
    Binding, BindingId, BindingRole, ImplKind, Op, Origin, Produced, Provider, Release,
};
use crate::boxed::BoxFuture;
use crate::boxed::{BoxError, Instance};
use crate::factory::{AssistedInjectable, Factory};
use crate::functoid::IntoFunctoid;
use crate::hash::{KeyMap, KeySet};
use crate::inject::{Args, Dependency, DependencyList, Injectable, IntoArc};
use crate::key::{DIKey, Id, KeyKind, TypeInfo};
use crate::lifecycle::{Acquire, Lifecycle, ReleaseFn};
use crate::set::assemble;

mod providers;

pub use providers::{
    construct_injectable, factory_provider, fn_async_provider, fn_provider, injectable_provider,
    ref_provider, resource_async_provider, resource_provider, try_fn_async_provider,
    try_fn_provider, value_provider,
};

/// An immutable set of bindings. Combine modules with `+` (union: a binding reached twice, e.g.
/// through two includes of one module value, or provably identical bindings from two builds, is
/// kept once) and
/// [`overridden_by`](Module::overridden_by).
#[derive(Clone, Default)]
pub struct Module {
    bindings: Vec<Binding>,
    requirements: Vec<(DIKey, Origin)>,
    /// Builder calls that could not do what they say, reported when the module is planned.
    pub(crate) misuses: Vec<Misuse>,
}

/// A builder call that could not apply (`.tagged` on a set before any element, `.local` before
/// `.from_subcontext`): a plan-time problem rather than a silent no-op or a panic.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Misuse {
    pub(crate) key: DIKey,
    pub(crate) origin: Origin,
    pub(crate) message: &'static str,
}

/// What a subcontext binding declares, kept in its provider: checked when the parent is planned.
/// (A binding may hold a submodule and a module holds bindings: `binding` and `module` name each
/// other's types, the one import loop of the model.)
pub(crate) struct SubcontextSpec {
    pub(crate) module: Module,
    pub(crate) root: DIKey,
    pub(crate) locals: Vec<(DIKey, Origin)>,
}

impl fmt::Debug for SubcontextSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubcontextSpec")
            .field("root", &self.root)
            .field("locals", &self.locals)
            .finish()
    }
}

impl Module {
    /// The empty module.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a module with the builder API:
    ///
    /// ```
    /// use distage_core::Module;
    /// let m = Module::build(|m| {
    ///     m.make::<String>().named("db-url").from_value("postgres://localhost/app".to_string());
    ///     m.make::<u16>().from_value(8080);
    /// });
    /// assert_eq!(m.bindings().len(), 2);
    /// ```
    pub fn build(declare: impl FnOnce(&mut ModuleBuilder)) -> Self {
        let mut builder = ModuleBuilder::new();
        declare(&mut builder);
        builder.build()
    }

    /// The bindings, in declaration order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Keys declared as provided from elsewhere (`requires`).
    pub fn requirements(&self) -> &[(DIKey, Origin)] {
        &self.requirements
    }

    pub(crate) fn misuses(&self) -> &[Misuse] {
        &self.misuses
    }

    /// The distinct keys bound, in declaration order.
    pub fn keys(&self) -> Vec<&DIKey> {
        let mut seen: KeySet<&DIKey> = KeySet::default();
        self.bindings
            .iter()
            .map(|b| b.key())
            .filter(|k| seen.insert(*k))
            .collect()
    }

    /// The number of bindings.
    pub fn len(&self) -> usize {
        self.bindings.len()
    }

    /// True when the module binds nothing.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// This module with `other`'s bindings on top: for every single key `other` binds, `other`'s
    /// bindings replace *all* of this module's bindings of that key (alternatives tagged on
    /// other axes included). Set elements of both are kept.
    pub fn overridden_by(&self, other: &Module) -> Module {
        let replaced: KeySet<&DIKey> = other
            .bindings
            .iter()
            .filter(|b| b.role() == BindingRole::Single)
            .map(|b| b.key())
            .collect();
        let kept = Module {
            bindings: self
                .bindings
                .iter()
                .filter(|b| b.role() != BindingRole::Single || !replaced.contains(&b.key()))
                .cloned()
                .collect(),
            requirements: self.requirements.clone(),
            misuses: self.misuses.clone(),
        };
        kept + other.clone()
    }

    /// Adds `other`'s bindings that this module does not hold yet (the same binding reached
    /// through two includes is kept once).
    fn extend(&mut self, other: Module) {
        let mut seen: KeySet<BindingId> = self.bindings.iter().map(|b| b.id()).collect();
        // Bindings provably identical to one already here (same key, role, tags and
        // implementation fixed by types alone) are the same binding written twice. Only against
        // this module's: `other` keeps what it holds (`Module::new() + m` is `m`).
        let mut identified: KeyMap<(DIKey, BindingRole), Vec<Binding>> = KeyMap::default();
        if other
            .bindings
            .iter()
            .any(|b| b.provider().identity.is_some())
        {
            for b in self
                .bindings
                .iter()
                .filter(|b| b.provider().identity.is_some())
            {
                identified
                    .entry((b.key().clone(), b.role()))
                    .or_default()
                    .push(b.clone());
            }
        }
        for b in other.bindings {
            if !seen.insert(b.id()) {
                continue;
            }
            let duplicate = b.provider().identity.is_some()
                && identified
                    .get(&(b.key().clone(), b.role()))
                    .is_some_and(|same| {
                        same.iter()
                            .any(|s| s.tags() == b.tags() && s.provider().same_as(b.provider()))
                    });
            if !duplicate {
                self.bindings.push(b);
            }
        }
        for r in other.requirements {
            if !self.requirements.iter().any(|(k, _)| *k == r.0) {
                self.requirements.push(r);
            }
        }
        for m in other.misuses {
            if !self.misuses.contains(&m) {
                self.misuses.push(m);
            }
        }
    }
}

impl FromIterator<Binding> for Module {
    /// A module of these bindings (each kept once), e.g. a module's bindings reordered or
    /// filtered.
    fn from_iter<I: IntoIterator<Item = Binding>>(bindings: I) -> Self {
        let mut module = Module::new();
        module.extend(Module {
            bindings: bindings.into_iter().collect(),
            requirements: Vec::new(),
            misuses: Vec::new(),
        });
        module
    }
}

impl Add for Module {
    type Output = Module;
    /// The union of both modules. A binding reached twice (a module included through two paths)
    /// is kept once, and so is a binding declared twice where the two provably do the same
    /// thing: same key, tags and dependencies, made by the same `Injectable` type, function, or
    /// closure that captures nothing. Two bindings that may differ (a value, a closure that
    /// captures something) stay two, and the planner reports them as a duplicate.
    fn add(mut self, other: Module) -> Module {
        self.extend(other);
        self
    }
}

impl Add<&Module> for Module {
    type Output = Module;
    fn add(mut self, other: &Module) -> Module {
        self.extend(other.clone());
        self
    }
}

impl AddAssign for Module {
    fn add_assign(&mut self, other: Module) {
        self.extend(other);
    }
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("bindings", &self.bindings)
            .finish()
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "module with {} bindings", self.bindings.len())?;
        for b in &self.bindings {
            write!(f, "\n  {b}")?;
        }
        for (k, o) in &self.requirements {
            write!(f, "\n  requires {k} at {o}")?;
        }
        Ok(())
    }
}

/// Declares bindings; see [`Module::build`].
#[derive(Default)]
pub struct ModuleBuilder {
    pub(crate) module: Module,
}

impl ModuleBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds the key of `T`. Finish with one of the `from…` methods.
    #[track_caller]
    pub fn make<T: ?Sized + Send + Sync + 'static>(&mut self) -> Make<'_, T> {
        self.make_at(Origin::caller())
    }

    /// [`make`](Self::make) with an explicit origin (for code that builds modules on behalf of
    /// its caller; `module!` itself calls `make`, whose `#[track_caller]` origin is the
    /// statement's).
    pub fn make_at<T: ?Sized + Send + Sync + 'static>(&mut self, origin: Origin) -> Make<'_, T> {
        Make {
            builder: self,
            key: DIKey::of::<T>(),
            tags: Tags::new(),
            origin,
            provider: None,
            _type: PhantomData,
        }
    }

    /// Declares the set of `T` elements and adds elements to it. A set with no elements is an
    /// empty set, not a missing key; elements of one set from several modules join.
    #[track_caller]
    pub fn many<T: ?Sized + Send + Sync + 'static>(&mut self) -> Many<'_, T> {
        self.many_at(Origin::caller())
    }

    /// [`many`](Self::many) with an explicit origin.
    pub fn many_at<T: ?Sized + Send + Sync + 'static>(&mut self, origin: Origin) -> Many<'_, T> {
        Many {
            builder: self,
            key: DIKey::set_of::<T>(),
            origin,
            assemble: assemble::<T>,
            elements: Vec::new(),
            _type: PhantomData,
        }
    }

    /// Adds every binding of `module` (identical bindings are kept once).
    pub fn include(&mut self, module: Module) -> &mut Self {
        self.module.extend(module);
        self
    }

    /// Declares that `T` is provided from elsewhere (another module joined at run time, or a
    /// parent locator).
    #[track_caller]
    pub fn requires<T: ?Sized + 'static>(&mut self) -> &mut Self {
        self.requires_key(DIKey::of::<T>(), Origin::caller())
    }

    /// Declares that `key` is provided from elsewhere.
    pub fn requires_key(&mut self, key: DIKey, origin: Origin) -> &mut Self {
        if !self.module.requirements.iter().any(|(k, _)| *k == key) {
            self.module.requirements.push((key, origin));
        }
        self
    }

    /// Binds a type to its own constructor (`make<I>;` in `module!`): the macro passes the
    /// type, its dependencies and [`construct_injectable::<I>`] by pointer, so that nothing here
    /// is compiled again for every component.
    #[doc(hidden)]
    pub fn add_constructor(
        &mut self,
        ty: TypeInfo,
        deps: DependencyList,
        construct: fn(&mut Args<'_>) -> Result<Produced, BoxError>,
        origin: Origin,
        id: Option<Id>,
        tags: &[AxisChoice],
    ) {
        let provider = Provider::function(deps.to_vec(), ImplKind::Constructor(ty), construct)
            .with_identity(Some(ty.type_id()));
        let mut binding_tags = Tags::new();
        for &tag in tags {
            binding_tags.insert(tag);
        }
        self.push(
            DIKey::new(ty, KeyKind::Single, id),
            BindingRole::Single,
            provider,
            binding_tags,
            origin,
        );
    }

    /// Appends a new binding; fresh ids are unique, so there is nothing to deduplicate.
    fn push(
        &mut self,
        key: DIKey,
        role: BindingRole,
        provider: Provider,
        tags: Tags,
        origin: Origin,
    ) {
        self.module
            .bindings
            .push(Binding::new(key, role, provider, tags, origin));
    }

    /// The module.
    pub fn build(self) -> Module {
        self.module
    }
}

impl fmt::Debug for ModuleBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleBuilder")
            .field("bindings", &self.module.bindings.len())
            .finish()
    }
}

/// A binding being declared by [`ModuleBuilder::make`]; added to the module when dropped.
pub struct Make<'a, T: ?Sized> {
    pub(crate) builder: &'a mut ModuleBuilder,
    key: DIKey,
    tags: Tags,
    origin: Origin,
    pub(crate) provider: Option<Provider>,
    _type: PhantomData<fn() -> Arc<T>>,
}

impl<T: ?Sized> fmt::Debug for Make<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Make")
            .field("key", &self.key)
            .field("origin", &self.origin)
            .finish()
    }
}

impl<T: ?Sized> Drop for Make<'_, T> {
    fn drop(&mut self) {
        let provider = self.provider.take().unwrap_or_else(Provider::incomplete);
        let tags = std::mem::take(&mut self.tags);
        self.builder.push(
            self.key.clone(),
            BindingRole::Single,
            provider,
            tags,
            self.origin,
        );
    }
}

impl<'a, T: ?Sized + Send + Sync + 'static> Make<'a, T> {
    /// Binds the key with an id: `make::<String>().named("db-url")`.
    pub fn named(mut self, id: impl Into<Id>) -> Self {
        self.key = self.key.clone().with_id(Some(id.into()));
        self
    }

    /// Tags the binding with an axis choice; the activation selects between tagged bindings.
    pub fn tagged(mut self, choice: impl Into<AxisChoice>) -> Self {
        self.tags.insert(choice.into());
        self
    }

    pub(crate) fn with(mut self, provider: Provider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Uses this instance, shared by every locator produced.
    pub fn from_value(self, value: T) -> Self
    where
        T: Sized,
    {
        self.from_arc(Arc::new(value))
    }

    /// Uses this shared instance (works for trait objects: `Arc<dyn Repo>`).
    pub fn from_arc(self, value: Arc<T>) -> Self {
        self.with(value_provider(value))
    }

    /// Constructs `I` (an [`Injectable`]) for this key. For a trait-object key use
    /// [`from_impl`](Self::from_impl) (the `module!` macro does that for you).
    pub fn from<I: Injectable>(self) -> Self
    where
        Arc<I>: Into<Arc<T>>,
    {
        self.with(injectable_provider::<I, T, _>(Into::into))
    }

    /// Constructs `I` and converts it to this key's type: for trait objects,
    /// `make::<dyn Repo>().from_impl::<PgRepo>(|r| r)`.
    pub fn from_impl<I: Injectable>(self, coerce: fn(Arc<I>) -> Arc<T>) -> Self {
        self.with(injectable_provider::<I, T, _>(coerce))
    }

    /// Calls `f` with its parameters injected; it returns a `T`, an `Arc<T>` or a `Box<T>`.
    pub fn from_fn<M, R: IntoArc<T> + 'static>(self, f: impl IntoFunctoid<M, R>) -> Self {
        self.with(fn_provider::<M, R, T>(f))
    }

    /// Like [`from_fn`](Self::from_fn) for a function returning a `Result`: an `Err` fails
    /// producing, with the key named.
    pub fn from_try_fn<M, R, E>(self, f: impl IntoFunctoid<M, Result<R, E>>) -> Self
    where
        R: IntoArc<T> + 'static,
        E: Into<BoxError> + 'static,
    {
        self.with(try_fn_provider::<M, R, E, T>(f))
    }

    /// Awaits `f` (its parameters injected) for the instance: `|db: Arc<Db>| async move { … }`.
    /// Produced by `produce_async`, concurrently with independent bindings.
    pub fn from_async<M, Fut, R>(self, f: impl IntoFunctoid<M, Fut>) -> Self
    where
        Fut: Future<Output = R> + Send + 'static,
        R: IntoArc<T> + 'static,
    {
        self.with(fn_async_provider::<M, Fut, R, T>(f))
    }

    /// Like [`from_async`](Self::from_async) for a future resolving to a `Result`.
    pub fn from_try_async<M, Fut, R, E>(self, f: impl IntoFunctoid<M, Fut>) -> Self
    where
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: IntoArc<T> + 'static,
        E: Into<BoxError> + 'static,
    {
        self.with(try_fn_async_provider::<M, Fut, R, E, T>(f))
    }

    /// Uses a resource whose [`Lifecycle`] acquires or releases asynchronously.
    pub fn from_resource_async<M>(self, f: impl IntoFunctoid<M, Lifecycle<T>>) -> Self
    where
        T: Sized,
    {
        self.with(resource_async_provider::<M, T, T>(f, |a| a))
    }

    /// An async resource of an implementation type, converted to this key's type.
    pub fn from_resource_async_impl<M, I: Send + Sync + 'static>(
        self,
        f: impl IntoFunctoid<M, Lifecycle<I>>,
        coerce: fn(Arc<I>) -> Arc<T>,
    ) -> Self {
        self.with(resource_async_provider::<M, I, T>(f, coerce))
    }

    /// Uses the instance of another key (the same instance, not a copy).
    pub fn using<I: ?Sized + Send + Sync + 'static>(self) -> Self
    where
        Arc<I>: Into<Arc<T>>,
    {
        self.with(ref_provider::<I, T>(DIKey::of::<I>(), Into::into))
    }

    /// Uses the instance of `I` bound with `.named(id)`.
    pub fn using_named<I: ?Sized + Send + Sync + 'static>(self, id: impl Into<Id>) -> Self
    where
        Arc<I>: Into<Arc<T>>,
    {
        self.with(ref_provider::<I, T>(DIKey::named::<I>(id), Into::into))
    }

    /// Uses the instance of another key, converted (`|r| r` for a trait-object key).
    pub fn using_impl<I: ?Sized + Send + Sync + 'static>(
        self,
        id: Option<Id>,
        coerce: fn(Arc<I>) -> Arc<T>,
    ) -> Self {
        self.with(ref_provider::<I, T>(DIKey::of::<I>().with_id(id), coerce))
    }

    /// Uses a resource: `f`'s parameters are injected and it returns the [`Lifecycle`] to
    /// acquire; the release step runs when the locator is closed or dropped.
    pub fn from_resource<M>(self, f: impl IntoFunctoid<M, Lifecycle<T>>) -> Self
    where
        T: Sized,
    {
        self.with(resource_provider::<M, T, T>(f, |a| a))
    }

    /// A resource of an implementation type, converted to this key's type (a trait object).
    pub fn from_resource_impl<M, I: Send + Sync + 'static>(
        self,
        f: impl IntoFunctoid<M, Lifecycle<I>>,
        coerce: fn(Arc<I>) -> Arc<T>,
    ) -> Self {
        self.with(resource_provider::<M, I, T>(f, coerce))
    }

    /// A binding made elsewhere (macros): its provider as is.
    #[doc(hidden)]
    pub fn from_provider(self, provider: Provider) -> Self {
        self.with(provider)
    }
}

impl<U: AssistedInjectable> Make<'_, Factory<U>> {
    /// A `Factory<U>`: `U`'s injected fields are resolved once, its `#[di(assisted)]` fields are
    /// given to every `create` call.
    pub fn from_factory(self) -> Self {
        self.with(factory_provider::<U>())
    }
}

/// A set being declared by [`ModuleBuilder::many`]; its elements are added when it is dropped.
pub struct Many<'a, T: ?Sized> {
    builder: &'a mut ModuleBuilder,
    key: DIKey,
    origin: Origin,
    assemble: crate::binding::Assemble,
    elements: Vec<Binding>,
    _type: PhantomData<fn() -> Arc<T>>,
}

impl<T: ?Sized> fmt::Debug for Many<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Many")
            .field("key", &self.key)
            .field("elements", &self.elements.len())
            .finish()
    }
}

impl<T: ?Sized> Drop for Many<'_, T> {
    fn drop(&mut self) {
        let declaration = Provider {
            deps: Arc::new([]),
            op: Op::Set(self.assemble),
            kind: ImplKind::Set,
            subcontext: None,
            identity: None,
        };
        let key = self.key.clone();
        self.builder.push(
            key,
            BindingRole::SetDeclaration,
            declaration,
            Tags::new(),
            self.origin,
        );
        self.builder.module.bindings.append(&mut self.elements);
    }
}

impl<T: ?Sized + Send + Sync + 'static> Many<'_, T> {
    /// Names the set: `many::<dyn Handler>().named("admin")`, injected as `#[di(id = "admin")]`.
    pub fn named(mut self, id: impl Into<Id>) -> Self {
        let id: Id = id.into();
        self.key = self.key.clone().with_id(Some(id));
        for e in &mut self.elements {
            e.data_mut().key = self.key.clone();
        }
        self
    }

    /// Tags the element added last (before any element, it is a plan-time problem).
    #[track_caller]
    pub fn tagged(mut self, choice: impl Into<AxisChoice>) -> Self {
        match self.elements.last_mut() {
            Some(last) => last.data_mut().tags.insert(choice.into()),
            None => self.builder.module.misuses.push(Misuse {
                key: self.key.clone(),
                origin: Origin::caller(),
                message: "`.tagged(…)` on a set tags the element added last, and there is none yet; \
                          add the element first: `.add::<I>().tagged(…)`",
            }),
        }
        self
    }

    #[track_caller]
    fn element(mut self, provider: Provider, weak: bool, origin: Origin) -> Self {
        self.elements.push(Binding::new(
            self.key.clone(),
            BindingRole::SetElement { weak },
            provider,
            Tags::new(),
            origin,
        ));
        self
    }

    /// Adds a new `I` (an [`Injectable`]) to the set.
    #[track_caller]
    pub fn add<I: Injectable>(self) -> Self
    where
        Arc<I>: Into<Arc<T>>,
    {
        self.element(
            injectable_provider::<I, T, _>(Into::into),
            false,
            Origin::caller(),
        )
    }

    /// Adds a new `I`, converted (`|h| h` for trait objects).
    #[track_caller]
    pub fn add_impl<I: Injectable>(self, coerce: fn(Arc<I>) -> Arc<T>) -> Self {
        self.element(
            injectable_provider::<I, T, _>(coerce),
            false,
            Origin::caller(),
        )
    }

    /// Adds a value.
    #[track_caller]
    pub fn add_value(self, value: T) -> Self
    where
        T: Sized,
    {
        self.element(value_provider(Arc::new(value)), false, Origin::caller())
    }

    /// Adds a shared instance.
    #[track_caller]
    pub fn add_arc(self, value: Arc<T>) -> Self {
        self.element(value_provider(value), false, Origin::caller())
    }

    /// Adds the result of `f`, its parameters injected.
    #[track_caller]
    pub fn add_fn<M, R: IntoArc<T> + 'static>(self, f: impl IntoFunctoid<M, R>) -> Self {
        self.element(fn_provider::<M, R, T>(f), false, Origin::caller())
    }

    /// Adds the awaited result of `f`, its parameters injected.
    #[track_caller]
    pub fn add_async<M, Fut, R>(self, f: impl IntoFunctoid<M, Fut>) -> Self
    where
        Fut: Future<Output = R> + Send + 'static,
        R: IntoArc<T> + 'static,
    {
        self.element(
            fn_async_provider::<M, Fut, R, T>(f),
            false,
            Origin::caller(),
        )
    }

    /// Adds the instance of another key (the identical instance).
    #[track_caller]
    pub fn ref_<I: ?Sized + Send + Sync + 'static>(self) -> Self
    where
        Arc<I>: Into<Arc<T>>,
    {
        self.element(
            ref_provider::<I, T>(DIKey::of::<I>(), Into::into),
            false,
            Origin::caller(),
        )
    }

    /// Adds the instance of another key, converted (`|h| h` for trait objects).
    #[track_caller]
    pub fn ref_impl<I: ?Sized + Send + Sync + 'static>(
        self,
        id: Option<Id>,
        coerce: fn(Arc<I>) -> Arc<T>,
    ) -> Self {
        let key = DIKey::of::<I>().with_id(id);
        self.element(ref_provider::<I, T>(key, coerce), false, Origin::caller())
    }

    /// Adds the instance of another key only if something other than the set needs it.
    #[track_caller]
    pub fn weak<I: ?Sized + Send + Sync + 'static>(self) -> Self
    where
        Arc<I>: Into<Arc<T>>,
    {
        self.element(
            ref_provider::<I, T>(DIKey::of::<I>(), Into::into),
            true,
            Origin::caller(),
        )
    }

    /// [`weak`](Self::weak), converted (`|h| h` for trait objects).
    #[track_caller]
    pub fn weak_impl<I: ?Sized + Send + Sync + 'static>(
        self,
        id: Option<Id>,
        coerce: fn(Arc<I>) -> Arc<T>,
    ) -> Self {
        let key = DIKey::of::<I>().with_id(id);
        self.element(ref_provider::<I, T>(key, coerce), true, Origin::caller())
    }

    /// Adds an element made elsewhere (macros).
    #[doc(hidden)]
    pub fn add_provider(self, provider: Provider, weak: bool, origin: Origin) -> Self {
        self.element(provider, weak, origin)
    }
}
