//! Compile-time instantiation: what the typed graph of a `#[typed]` `module!` is built with.
//!
//! The macro writes a builder with one `OnceCell<Arc<K>>` per key and one [`Provide`] impl per
//! key: providing a key builds what it needs first (each at most once), so the graph is built
//! in dependency order by straight calls, with no plan. A derived component is built from its
//! parts by `from_parts` (a struct literal, as by hand) when it has them ([`PartsPath`]), else
//! by `construct` over [`Args`] taken from its compile-time dependency tuple
//! ([`StaticDeps`](crate::check::StaticDeps), [`TypedArgs`]). Where a key has tagged bindings,
//! the planner chooses which, once per build ([`typed_plan`], [`typed_choice`]).
//!
//! Guarantees are the runtime producer's: a failing or panicking constructor fails the build
//! with its key and binding; resources are acquired in dependency order and released in exact
//! reverse order, exactly once: on failure, on [`TypedReleases::close`], or on drop.
//!
//! Not a public API: generated code uses it through `::distage::__private`.
#![allow(missing_docs, missing_debug_implementations)]

use std::cell::{OnceCell, RefCell};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use crate::activation::Activation;
use crate::binding::{Binding, BindingId};
use crate::boxed::BoxError;
use crate::check::{FnDeps, Key, LoggerParam, NoDep, StaticDeps, Strict, Unchecked};
use crate::error::{Error, Failure, ProduceError, ReleaseFailure};
use crate::factory::FromParts;
use crate::functoid::IntoFunctoid;
use crate::inject::{Arg, Args, Injectable, IntoArc, Value};
use crate::injector::{Injector, PlannerInput};
use crate::key::DIKey;
use crate::lifecycle::Lifecycle;
use crate::logger::Logger;
use crate::module::Module;
use crate::origin::{Origin, StepTarget};
use crate::plan::Plan;

/// A typed graph's builder gives the instance of `T` named `N` (`()`: unnamed), building it
/// and what it needs on first use.
#[diagnostic::on_unimplemented(
    message = "the typed graph does not bind `{T}`",
    label = "`{T}` is not bound in this module",
    note = "a typed graph builds, and `get` reads, its own module's unnamed keys (`get_named` reads named ones): bind `{T}` in this module"
)]
pub trait Provide<T: ?Sized, N = ()> {
    /// The typed graph the builder makes.
    type Graph;
    /// The key's cell in the builder.
    fn cell(&self) -> &OnceCell<Arc<T>>;
    /// The key's field in the graph (built). Here rather than in an impl of its own on the
    /// graph: a thousand more impls of one trait for one type cost `cargo check` 0.2 s.
    fn field(graph: &Self::Graph) -> &Arc<T>;
    /// Builds the key's instance, what it needs first, into its cell (called when the cell is
    /// empty). Out of line: it runs once per build.
    fn build_cell(&self) -> Result<&Arc<T>, Failed>;
    /// The key's instance, built on first use. Inlined where a dependency is read: reading one
    /// already built is a load and a branch, not a call into the code of another binding.
    #[inline]
    fn provide(&self) -> Result<&Arc<T>, Failed> {
        match self.cell().get() {
            Some(instance) => Ok(instance),
            None => self.build_cell(),
        }
    }
}

/// A typed graph's build failed; the error is kept by its [`BuildReleases`] (where the failure
/// happened), and [`typed_catch`] hands it out. Every `provide` returns a pointer-sized
/// `Result` instead of carrying a 96-byte `Error` through each call: the code run once per
/// binding shrinks, and with it what the processor fetches per build. Only
/// [`BuildReleases::failure`] makes one, so a `Failed` always has its error kept.
#[derive(Clone, Copy, Debug)]
pub struct Failed(());

/// One argument of a constructor, taken from a typed builder `B`.
#[diagnostic::on_unimplemented(
    message = "a typed graph cannot inject this parameter (`{Self}`)",
    label = "not available in a typed graph",
    note = "typed graphs inject `Arc<T>`, values and `Logger`; `Lazy`, `Set`, `Option<Arc<T>>`, `Factory`, `Subcontext` and `LocatorRef` need the runtime plan (remove `#[typed]`)"
)]
pub trait TypedArg<B> {
    fn arg<'b>(builder: &'b B, component: &'static str) -> Result<Arg<'b>, Failed>;
}

impl<B: Provide<T, N>, T: ?Sized + Send + Sync + 'static, N> TypedArg<B> for Strict<Key<T, N>> {
    #[inline]
    fn arg<'b>(builder: &'b B, _: &'static str) -> Result<Arg<'b>, Failed> {
        match builder.provide() {
            Ok(instance) => Ok(Arg::Typed(instance)),
            Err(e) => Err(e),
        }
    }
}

impl<B> TypedArg<B> for NoDep<LoggerParam> {
    fn arg<'b>(_: &'b B, component: &'static str) -> Result<Arg<'b>, Failed> {
        Ok(Arg::Logger(Box::new(Logger::new(component))))
    }
}

/// A constructor's arguments: a tuple of compile-time dependency items, taken in order.
#[diagnostic::on_unimplemented(
    message = "a typed graph cannot build a constructor with these parameters: `{Self}`",
    note = "typed graphs inject `Arc<T>`, values and `Logger`, up to 32 parameters; anything else needs the runtime plan (remove `#[typed]`)"
)]
pub trait TypedArgs<B> {
    /// Calls `f` with the arguments; `Err` when one of them failed to build.
    fn with<R>(
        builder: &B,
        component: &'static str,
        f: impl FnOnce(&mut Args<'_>) -> R,
    ) -> Result<R, Failed>;
}

macro_rules! typed_args {
    ($($a:ident)*) => {
        impl<B, $($a: TypedArg<B>),*> TypedArgs<B> for ($($a,)*) {
            #[inline]
            #[allow(non_snake_case, unused_variables)]
            fn with<R>(
                builder: &B,
                component: &'static str,
                f: impl FnOnce(&mut Args<'_>) -> R,
            ) -> Result<R, Failed> {
                $(let $a = <$a as TypedArg<B>>::arg(builder, component)?;)*
                let items = [$($a),*];
                Ok(f(&mut Args::new(&items)))
            }
        }
    };
}

crate::arity::for_arities!(dependency_tuples, typed_args);

/// A dependency list longer than one tuple (`Unchecked<tree>`, more than 32 parameters): its
/// arguments are collected into a vector.
impl<B, X: TypedArgTree<B>> TypedArgs<B> for Unchecked<X> {
    fn with<R>(
        builder: &B,
        component: &'static str,
        f: impl FnOnce(&mut Args<'_>) -> R,
    ) -> Result<R, Failed> {
        let mut items = Vec::new();
        X::push(builder, component, &mut items)?;
        Ok(f(&mut Args::new(&items)))
    }
}

/// A tree of tuples of dependency items, pushed in order.
#[diagnostic::on_unimplemented(
    message = "a typed graph cannot inject one of these parameters: `{Self}`",
    note = "typed graphs inject `Arc<T>`, values and `Logger`; anything else needs the runtime plan (remove `#[typed]`)"
)]
pub trait TypedArgTree<B> {
    fn push<'b>(
        builder: &'b B,
        component: &'static str,
        out: &mut Vec<Arg<'b>>,
    ) -> Result<(), Failed>;
}

/// A single dependency item is a leaf of the tree: its one argument.
macro_rules! typed_arg_leaf {
    ([$($generics:tt)*] $item:ty) => {
        impl<$($generics)*> TypedArgTree<B> for $item {
            fn push<'b>(
                builder: &'b B,
                component: &'static str,
                out: &mut Vec<Arg<'b>>,
            ) -> Result<(), Failed> {
                out.push(<Self as TypedArg<B>>::arg(builder, component)?);
                Ok(())
            }
        }
    };
}

typed_arg_leaf!([B: Provide<T, N>, T: ?Sized + Send + Sync + 'static, N] Strict<Key<T, N>>);
typed_arg_leaf!([B] NoDep<LoggerParam>);

macro_rules! typed_arg_tree {
    ($($a:ident)*) => {
        impl<B, $($a: TypedArgTree<B>),*> TypedArgTree<B> for ($($a,)*) {
            #[allow(unused_variables)]
            fn push<'b>(
                builder: &'b B,
                component: &'static str,
                out: &mut Vec<Arg<'b>>,
            ) -> Result<(), Failed> {
                $(<$a as TypedArgTree<B>>::push(builder, component, out)?;)*
                Ok(())
            }
        }
    };
}

crate::arity::for_arities!(dependency_tuples, typed_arg_tree);

/// What building one binding gives: `Err` when a dependency failed (its error already kept),
/// `Ok(Err)` when this binding's own constructor did.
pub type Built<T> = Result<Result<T, BoxError>, Failed>;

/// A derived component (`make<T>;`, `.from<T>()`), from its dependency tuple.
#[inline]
pub fn typed_injectable<B, T>(builder: &B) -> Built<Arc<T>>
where
    T: Injectable + StaticDeps,
    T::Deps: TypedArgs<B>,
{
    <T::Deps as TypedArgs<B>>::with(builder, std::any::type_name::<T>(), construct_arc::<T>)
}

/// `T::construct` into an `Arc`, out of line: a graph of many components runs each once, and
/// what is inlined into every `provide` is code the processor fetches once per build.
#[inline(never)]
fn construct_arc<T: Injectable>(args: &mut Args<'_>) -> Result<Arc<T>, BoxError> {
    match T::construct(args) {
        Ok(value) => Ok(Arc::new(value)),
        Err(e) => Err(e),
    }
}

/// One parameter of a derived constructor, by value, from a typed builder `B`, under id `N`.
pub trait TypedPart<B, N>: Sized {
    fn part(builder: &B, component: &'static str) -> Result<Self, Failed>;
}

impl<B: Provide<T, N>, T: ?Sized + Send + Sync + 'static, N> TypedPart<B, N> for Arc<T> {
    #[inline]
    fn part(builder: &B, _: &'static str) -> Result<Self, Failed> {
        match builder.provide() {
            Ok(instance) => Ok(Arc::clone(instance)),
            Err(e) => Err(e),
        }
    }
}

impl<B: Provide<T, N>, T: Clone + Send + Sync + 'static, N> TypedPart<B, N> for Value<T> {
    #[inline]
    fn part(builder: &B, _: &'static str) -> Result<Self, Failed> {
        match builder.provide() {
            Ok(instance) => Ok(Value(T::clone(instance))),
            Err(e) => Err(e),
        }
    }
}

impl<B, N> TypedPart<B, N> for Logger {
    fn part(_: &B, component: &'static str) -> Result<Self, Failed> {
        Ok(Logger::new(component))
    }
}

/// A derived constructor's parameters (`FromParts::Parts`) with their ids (`FromParts::Ids`).
pub trait TypedParts<B, Ids>: Sized {
    fn parts(builder: &B, component: &'static str) -> Result<Self, Failed>;
}

macro_rules! typed_parts {
    ($(($a:ident $n:ident))*) => {
        impl<B, $($a: TypedPart<B, $n>, $n),*> TypedParts<B, ($($n,)*)> for ($($a,)*) {
            #[inline]
            #[allow(unused_variables)]
            fn parts(builder: &B, component: &'static str) -> Result<Self, Failed> {
                Ok(($(<$a as TypedPart<B, $n>>::part(builder, component)?,)*))
            }
        }
    };
}

crate::arity::for_paired_arities!(typed_parts);

/// How a typed graph builds a derived component `T`, chosen by autoref (the macro writes
/// `TypedBuild::build((&&TypedVia::<T>::new()).typed_path(builder), builder)`): through its parts and
/// `from_parts` (a struct literal, as by hand) when it has them ([`PartsPath`]), else through
/// `construct` and its arguments ([`ArgsPath`], chosen without looking at the arguments, so that
/// a parameter a typed graph cannot give is reported at that parameter's item).
pub struct TypedVia<T>(PhantomData<fn() -> T>);

impl<T> TypedVia<T> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        TypedVia(PhantomData)
    }
}

pub struct PartsPath<T>(PhantomData<fn() -> T>);
pub struct ArgsPath<T>(PhantomData<fn() -> T>);

pub trait ViaParts<B> {
    type Path;
    fn typed_path(self, builder: &B) -> Self::Path;
}

impl<B, T> ViaParts<B> for &&TypedVia<T>
where
    T: FromParts,
    T::Parts: TypedParts<B, T::Ids>,
{
    type Path = PartsPath<T>;
    fn typed_path(self, _: &B) -> PartsPath<T> {
        PartsPath(PhantomData)
    }
}

pub trait ViaArgs<B> {
    type Path;
    fn typed_path(self, builder: &B) -> Self::Path;
}

impl<B, T: Injectable> ViaArgs<B> for &TypedVia<T> {
    type Path = ArgsPath<T>;
    fn typed_path(self, _: &B) -> ArgsPath<T> {
        ArgsPath(PhantomData)
    }
}

/// Builds a derived component along the path autoref chose.
pub trait TypedBuild<B>: Sized {
    type Out;
    fn build(self, builder: &B) -> Built<Arc<Self::Out>>;

    /// The whole of a derived binding's `build_cell` (`make<T>;`, `.from<I>()`): builds it,
    /// coerced to the key, into `cell`. Generic, so that the code written per binding holds no
    /// value that needs dropping: the borrow checker's drop check walks every type a type
    /// reaches through `Arc`s, afresh for each type it meets in a function of its own (a
    /// `Result<Arc<K>, _>` per binding took 1.3 s of checking 1,000 components).
    #[inline]
    fn build_into<'b, K: ?Sized>(
        self,
        builder: &B,
        state: &BuildReleases,
        cell: &'b OnceCell<Arc<K>>,
        target: Target,
        coerce: fn(Arc<Self::Out>) -> Arc<K>,
    ) -> Result<&'b Arc<K>, Failed> {
        match typed_step::<K>(state, target, || typed_coerce(self.build(builder), coerce)) {
            Ok(instance) => Ok(typed_fill(cell, instance)),
            Err(failed) => Err(failed),
        }
    }
}

impl<B, T> TypedBuild<B> for PartsPath<T>
where
    T: FromParts,
    T::Parts: TypedParts<B, T::Ids>,
{
    type Out = T;
    #[inline]
    fn build(self, builder: &B) -> Built<Arc<T>> {
        match T::Parts::parts(builder, std::any::type_name::<T>()) {
            Ok(parts) => Ok(Ok(Arc::new(T::from_parts(parts)))),
            Err(e) => Err(e),
        }
    }
}

impl<B, T> TypedBuild<B> for ArgsPath<T>
where
    T: Injectable + StaticDeps,
    T::Deps: TypedArgs<B>,
{
    type Out = T;
    #[inline]
    fn build(self, builder: &B) -> Built<Arc<T>> {
        typed_injectable(builder)
    }
}

/// The coercion of a key bound to itself.
#[inline]
pub fn typed_same<T: ?Sized>(instance: Arc<T>) -> Arc<T> {
    instance
}

/// A function whose parameters the macro cannot see (`.from(path)`): its compile-time
/// dependency tuple comes from its type.
pub fn typed_fn<B, M, F, R>(builder: &B, component: &'static str, f: F) -> Built<R>
where
    F: FnDeps<M> + IntoFunctoid<M, R>,
    <F as FnDeps<M>>::Deps: TypedArgs<B>,
    R: 'static,
{
    let (_, call, _) = f.into_functoid().into_parts();
    <F::Deps as TypedArgs<B>>::with(builder, component, |args| call(args))
}

/// A field of a graph whose build succeeded: every binding was provided, so every field is
/// set. (The fields are `Option`s so that moving them out of the builder cannot fail half-way:
/// a struct expression with a failure point per field makes the compiler's cleanup quadratic.)
#[inline]
pub fn typed_built<T: ?Sized>(field: &Option<Arc<T>>) -> &Arc<T> {
    match field {
        Some(instance) => instance,
        None => not_built(),
    }
}

/// Fills a key's cell with what was just built and reads it back: `build_cell` runs only while
/// the cell is empty. (`OnceCell::get_or_init` would call an out-of-line function per key.)
#[inline]
pub fn typed_fill<T: ?Sized>(cell: &OnceCell<Arc<T>>, value: Arc<T>) -> &Arc<T> {
    let _ = cell.set(value);
    match cell.get() {
        Some(instance) => instance,
        None => not_built(),
    }
}

#[cold]
#[inline(never)]
fn not_built() -> ! {
    // Unreachable: `build` provides every binding before it reads the cells.
    panic!("distage: a typed graph's binding was not built (a bug in distage)")
}

/// `.from<I>()` for a key `K` (`dyn Trait`): the implementation coerced.
#[inline]
pub fn typed_coerce<I: ?Sized, K: ?Sized>(
    built: Built<Arc<I>>,
    coerce: fn(Arc<I>) -> Arc<K>,
) -> Built<Arc<K>> {
    match built {
        Ok(Ok(instance)) => Ok(Ok(coerce(instance))),
        Ok(Err(e)) => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

/// `.using<X>()`: the same instance as another key, coerced.
#[inline]
pub fn coerce_arc<I: ?Sized, K: ?Sized>(instance: &Arc<I>, coerce: fn(Arc<I>) -> Arc<K>) -> Arc<K> {
    coerce(Arc::clone(instance))
}

/// A function's result as the key's instance (`T`, `Arc<T>` or `Box<T>`).
pub fn typed_into_arc<R: IntoArc<K>, K: ?Sized>(built: Built<R>) -> Built<Arc<K>> {
    match built {
        Ok(Ok(value)) => Ok(Ok(value.into_arc())),
        Ok(Err(e)) => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

/// A function's `Result` as the key's instance or this binding's failure.
pub fn typed_try<R: IntoArc<K>, E: Into<BoxError>, K: ?Sized>(
    built: Built<Result<R, E>>,
) -> Built<Arc<K>> {
    match built {
        Ok(Ok(Ok(value))) => Ok(Ok(value.into_arc())),
        Ok(Ok(Err(e))) => Ok(Err(e.into())),
        Ok(Err(e)) => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

/// A binding reached again while it is being built: a cycle the compile-time check could not
/// see (through a function whose parameters the macro does not see).
#[cold]
#[inline(never)]
pub fn typed_cycle(state: &BuildReleases, target: Target) -> Failed {
    let (key, _) = target();
    state.failure(failed(
        target,
        Failure::Error(format!("dependency cycle: `{key}` needs itself").into()),
    ))
}

/// A tagged key for which the activation chose none of the typed graph's bindings.
#[cold]
#[inline(never)]
pub fn typed_unchosen(state: &BuildReleases, key: DIKey) -> Failed {
    state.failure(Error::Internal(format!(
        "a typed graph chose no binding of `{key}`"
    )))
}

/// The plan of a typed module's runtime twin under `activation`, and its bindings' identities
/// in statement order: which of a key's tagged bindings the activation chooses is the planner's
/// answer, the same as for `Injector::plan`.
pub struct TypedPlan {
    plan: Plan,
    bindings: Vec<BindingId>,
}

pub fn typed_plan(module: Module, activation: &Activation) -> Result<TypedPlan, Error> {
    let bindings = module.bindings().iter().map(Binding::id).collect();
    let plan = Injector::new().plan(&PlannerInput::new(module).activation(activation.clone()))?;
    Ok(TypedPlan { plan, bindings })
}

/// Which of `candidates` — the key's bindings, as their statement numbers in the module, in the
/// typed graph's order — the plan chose for `key`. By identity, not by origin: two bindings
/// written in one `macro_rules!` body have the same `file!()` and `line!()`.
pub fn typed_choice(plan: &TypedPlan, key: DIKey, candidates: &[usize]) -> Result<usize, Error> {
    let chosen = plan
        .plan
        .steps()
        .iter()
        .find(|step| matches!(step.target(), StepTarget::Key(k) if k == key))
        .and_then(|step| step.binding())
        .and_then(|binding| plan.bindings.iter().position(|id| *id == binding.id()))
        .and_then(|statement| candidates.iter().position(|&c| c == statement));
    chosen.ok_or_else(|| Error::NotFound {
        key,
        needed_by: Some(
            "the typed graph, which builds every key: no binding of it is active under this activation"
                .into(),
        ),
    })
}

/// Where a binding was bound and its key, computed only when needed for an error.
pub type Target = fn() -> (DIKey, Origin);

/// Builds one binding of key `target().0` (bound at `target().1`): its failure becomes the
/// build's error, naming them; while it runs, a panic is blamed on it (see [`typed_catch`]).
#[inline]
pub fn typed_step<T: ?Sized>(
    state: &BuildReleases,
    target: Target,
    build: impl FnOnce() -> Built<Arc<T>>,
) -> Result<Arc<T>, Failed> {
    let outer = state.current.replace(Some(target));
    let built = build();
    state.current.set(outer);
    match built {
        Ok(Ok(instance)) => Ok(instance),
        Ok(Err(e)) => Err(step_failed(state, target, e)),
        Err(failed) => Err(failed),
    }
}

#[cold]
#[inline(never)]
fn step_failed(state: &BuildReleases, target: Target, error: BoxError) -> Failed {
    state.failure(failed(target, Failure::Error(error)))
}

/// Runs a graph's build, turning a panic into the error of the binding being built then (one
/// `catch_unwind` per build, not one per binding: less code per binding).
pub fn typed_catch(
    state: &BuildReleases,
    build: impl FnOnce() -> Result<(), Failed>,
) -> Result<(), Error> {
    match catch_unwind(AssertUnwindSafe(build)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(Failed(()))) => Err(state.error.take().unwrap_or_else(|| {
            Error::Internal("a typed graph's build failed without an error".into())
        })),
        Err(panic) => {
            let cause = Failure::from_panic(panic);
            Err(match state.current.take() {
                Some(target) => failed(target, cause),
                None => Error::Internal(format!("a typed graph's build panicked: {cause}")),
            })
        }
    }
}

#[cold]
#[inline(never)]
fn failed(target: Target, cause: Failure) -> Error {
    let (key, origin) = target();
    Error::Produce(Box::new(ProduceError {
        target: StepTarget::Key(key),
        origin,
        cause,
        others: Vec::new(),
        release_failures: Vec::new(),
    }))
}

struct Release {
    target: Target,
    run: Box<dyn FnOnce() -> Result<(), BoxError> + Send>,
}

/// The release steps recorded while a typed graph is built (one thread builds), in
/// acquisition order. Dropped without [`fail`](Self::fail) or [`built`](Self::built) (a
/// panic out of the build), it releases what was acquired.
#[derive(Default)]
pub struct BuildReleases {
    acquired: RefCell<Vec<Release>>,
    /// The binding being built (the innermost), for a panic's error.
    current: std::cell::Cell<Option<Target>>,
    /// Why the build failed (see [`Failed`]).
    error: std::cell::Cell<Option<Error>>,
}

impl BuildReleases {
    /// Keeps `error` as the build's (the first one kept wins) and says the build failed.
    pub fn failure(&self, error: Error) -> Failed {
        let first = self.error.take();
        self.error.set(Some(first.unwrap_or(error)));
        Failed(())
    }

    /// Acquires a resource (`.from_resource(f)`): its release step is recorded at once.
    pub fn acquire<I: Send + Sync + 'static, K: ?Sized>(
        &self,
        target: Target,
        lifecycle: Lifecycle<I>,
        coerce: fn(Arc<I>) -> Arc<K>,
    ) -> Result<Arc<K>, BoxError> {
        let (resource, release) = lifecycle.acquire_sync(
            "a typed graph acquires synchronously (remove `#[typed]` and use `from_resource_async`)",
        )?;
        if let Some(run) = release {
            self.acquired.borrow_mut().push(Release { target, run });
        }
        Ok(coerce(resource))
    }

    /// The build failed with `error`: releases what was acquired, in reverse order, and adds
    /// the releases that failed to the error.
    pub fn fail(self, error: Error) -> Error {
        let failures = release_all(self.take());
        match error {
            Error::Produce(mut produce) => {
                produce.release_failures.extend(failures);
                Error::Produce(produce)
            }
            other if failures.is_empty() => other,
            other => Error::Internal(format!("{other}; {}", Error::Release(failures))),
        }
    }

    /// The build succeeded: the graph owns the releases from now on.
    pub fn built(self) -> TypedReleases {
        TypedReleases {
            acquired: Mutex::new(self.take()),
        }
    }

    fn take(mut self) -> Vec<Release> {
        std::mem::take(self.acquired.get_mut())
    }
}

impl Drop for BuildReleases {
    fn drop(&mut self) {
        log_failures(release_all(std::mem::take(self.acquired.get_mut())));
    }
}

/// The release steps of a built typed graph's resources, in acquisition order.
#[derive(Default)]
pub struct TypedReleases {
    acquired: Mutex<Vec<Release>>,
}

impl TypedReleases {
    /// Releases every resource in reverse order of acquisition, once: later calls (and the
    /// drop) find nothing left.
    pub fn close(&self) -> Result<(), Error> {
        let acquired =
            std::mem::take(&mut *self.acquired.lock().unwrap_or_else(|e| e.into_inner()));
        let failures = release_all(acquired);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::Release(failures))
        }
    }
}

impl Drop for TypedReleases {
    fn drop(&mut self) {
        let acquired = std::mem::take(self.acquired.get_mut().unwrap_or_else(|e| e.into_inner()));
        log_failures(release_all(acquired));
    }
}

fn log_failures(failures: Vec<ReleaseFailure>) {
    for failure in failures {
        tracing::error!("{failure}");
    }
}

fn release_all(acquired: Vec<Release>) -> Vec<ReleaseFailure> {
    let mut failures = Vec::new();
    for release in acquired.into_iter().rev() {
        let cause = match catch_unwind(AssertUnwindSafe(release.run)) {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => Failure::Error(e),
            Err(panic) => Failure::from_panic(panic),
        };
        let (key, origin) = (release.target)();
        failures.push(ReleaseFailure {
            target: StepTarget::Key(key),
            origin,
            cause,
        });
    }
    failures
}
