//! What a constructor or function parameter can ask for, and how it is handed over.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::boxed::{BoxError, Instance, Produced};
use crate::key::{DIKey, Id, KeyKind, TypeInfo};
use crate::logger::Logger;

mod handles;

pub(crate) use handles::RunScope;
pub use handles::{Lazy, LocatorRef, RunContext, SlotRef};

/// How a dependency constrains the plan.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DepMode {
    /// Must be bound; produced before the dependent.
    Strict,
    /// Used if bound (`Option<Arc<T>>`), absent otherwise; produced before the dependent.
    Optional,
    /// Must be bound but is resolved on first use (`Lazy<T>`): it does not order production,
    /// so it may close a cycle.
    Lazy,
}

/// One parameter of a constructor or function, as the planner sees it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Dependency {
    /// An instance (or set) bound under `key`.
    Key {
        /// The key asked for.
        key: DIKey,
        /// Strict, optional or lazy.
        mode: DepMode,
    },
    /// A handle to the locator being produced (`LocatorRef`).
    Locator,
    /// A logger named after the component (`Logger`).
    Logger,
}

/// A dependency without its id: what an [`Inject`] type asks for, as a constant.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum DepShape {
    /// A key of this type and kind, needed in this mode.
    Key {
        /// The key's type.
        ty: TypeInfo,
        /// Single instance or set.
        kind: KeyKind,
        /// Strict, optional or lazy.
        mode: DepMode,
    },
    /// The locator.
    Locator,
    /// A logger.
    Logger,
}

impl Dependency {
    /// The dependency of this shape, with the parameter's id.
    #[doc(hidden)]
    pub fn from_shape(shape: DepShape, id: Option<Id>) -> Self {
        match shape {
            DepShape::Key { ty, kind, mode } => Dependency::Key {
                key: DIKey::new(ty, kind, id),
                mode,
            },
            DepShape::Locator => Dependency::Locator,
            DepShape::Logger => Dependency::Logger,
        }
    }

    /// The dependencies of these shapes, each with its id (what derived `dependencies()` calls).
    #[doc(hidden)]
    pub fn from_shapes(shapes: &[(DepShape, Option<&'static str>)]) -> Vec<Dependency> {
        shapes
            .iter()
            .map(|&(shape, id)| Dependency::from_shape(shape, id.map(Id::from)))
            .collect()
    }

    /// The dependencies of these shapes; `ids[i]` is the id of the `i`th (none past its end).
    /// What derived `dependencies()` calls, with [`InjectAll::SHAPES`].
    #[doc(hidden)]
    pub fn from_shape_list(shapes: &[DepShape], ids: &[Option<&'static str>]) -> Vec<Dependency> {
        shapes
            .iter()
            .enumerate()
            .map(|(i, &shape)| {
                let id = ids.get(i).copied().flatten();
                Dependency::from_shape(shape, id.map(Id::from))
            })
            .collect()
    }

    /// A strict dependency on `key`.
    pub fn strict(key: DIKey) -> Self {
        Dependency::Key {
            key,
            mode: DepMode::Strict,
        }
    }

    /// The key, for key dependencies.
    pub fn key(&self) -> Option<&DIKey> {
        match self {
            Dependency::Key { key, .. } => Some(key),
            _ => None,
        }
    }

    /// This dependency with its key's id replaced (`#[id("…")]` on a parameter).
    pub fn with_id(self, id: Option<Id>) -> Self {
        match self {
            Dependency::Key { key, mode } => Dependency::Key {
                key: key.with_id(id),
                mode,
            },
            other => other,
        }
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dependency::Key {
                key,
                mode: DepMode::Strict,
            } => write!(f, "{key}"),
            Dependency::Key {
                key,
                mode: DepMode::Optional,
            } => write!(f, "{key}?"),
            Dependency::Key {
                key,
                mode: DepMode::Lazy,
            } => write!(f, "lazy {key}"),
            Dependency::Locator => f.write_str("LocatorRef"),
            Dependency::Logger => f.write_str("Logger"),
        }
    }
}
impl fmt::Debug for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A resolved dependency, handed to [`Inject::extract`].
#[doc(hidden)]
pub enum Arg<'a> {
    /// The stored instance (an `Arc<T>` or a `Set<T>`).
    Instance(&'a Instance),
    /// An `Arc<T>` held by a typed graph (see `typed.rs`).
    Typed(&'a (dyn Any + Send + Sync)),
    /// An optional dependency that is not bound.
    Absent,
    /// A lazy dependency: where its instance will be (boxed, like the logger: rare, and
    /// arguments are moved around per step, so they stay the size of an instance reference).
    Lazy(Box<SlotRef>),
    /// The locator being produced.
    Locator(LocatorRef),
    /// The component's logger.
    Logger(Box<Logger>),
}

impl Arg<'_> {
    /// The argument's `Arc<T>`, if it is one.
    #[inline]
    fn arc<T: ?Sized + 'static>(&self) -> Option<Arc<T>> {
        match self {
            Arg::Instance(instance) => instance.arc::<T>(),
            Arg::Typed(any) => any.downcast_ref::<Arc<T>>().cloned(),
            _ => None,
        }
    }

    /// The argument as a `&T`, if it holds one: what a value is cloned from.
    #[inline]
    fn as_ref<T: 'static>(&self) -> Option<&T> {
        match self {
            Arg::Instance(instance) => instance.as_ref::<T>(),
            Arg::Typed(any) => any.downcast_ref::<Arc<T>>().map(|arc| &**arc),
            _ => None,
        }
    }
}

impl fmt::Debug for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Instance(_) => f.write_str("Instance"),
            Arg::Typed(_) => f.write_str("Typed"),
            Arg::Absent => f.write_str("Absent"),
            Arg::Lazy(_) => f.write_str("Lazy"),
            Arg::Locator(_) => f.write_str("Locator"),
            Arg::Logger(_) => f.write_str("Logger"),
        }
    }
}

/// The resolved dependencies of one call, consumed in parameter order.
#[doc(hidden)]
#[derive(Debug)]
pub struct Args<'a> {
    items: &'a [Arg<'a>],
    next: usize,
}

impl<'a> Args<'a> {
    pub(crate) fn new(items: &'a [Arg<'a>]) -> Self {
        Args { items, next: 0 }
    }

    /// Takes the next argument as `T`.
    pub fn take<T: Inject>(&mut self) -> Result<T, BoxError> {
        // `match` rather than `?`: this is instantiated for every parameter type.
        match self.next_arg() {
            Ok(arg) => T::extract(arg),
            Err(e) => Err(e),
        }
    }

    /// The next argument, for [`Inject::extract`] (what derived constructors call).
    #[doc(hidden)]
    pub fn next_arg(&mut self) -> Result<&'a Arg<'a>, BoxError> {
        let arg = self
            .items
            .get(self.next)
            .ok_or("distage: fewer arguments than dependencies")?;
        self.next += 1;
        Ok(arg)
    }
}

/// A tuple of parameter types taken from the arguments in order, by one call: what derived
/// constructors use. The code that takes and converts each argument is then type-checked once
/// here, per tuple length, instead of once in every component; in a crate of a thousand
/// components that halves the compiler's front-end time spent on them.
#[doc(hidden)]
pub trait InjectAll: Sized {
    /// The parameters' [`Inject::SHAPE`]s, in order.
    const SHAPES: &'static [DepShape];
    /// The arguments, in order.
    fn take_all(args: &mut Args<'_>) -> Result<Self, BoxError>;
    /// [`take_all`](Self::take_all), out of line: one leaf of a [`TakeChunks`] tree.
    #[inline(never)]
    fn take_chunk(args: &mut Args<'_>) -> Result<Self, BoxError> {
        Self::take_all(args)
    }
}

// From arity 0: a constructor without injected parameters takes nothing.
macro_rules! inject_all {
    ($($t:ident)*) => {
        impl<$($t: Inject),*> InjectAll for ($($t,)*) {
            const SHAPES: &'static [DepShape] = &[$($t::SHAPE),*];
            // `match` rather than `?`: `?` would instantiate conversion code per parameter type.
            #[allow(unused_variables)]
            #[inline]
            fn take_all(args: &mut Args<'_>) -> Result<Self, BoxError> {
                Ok(($(
                    match args.next_arg() {
                        Ok(arg) => match $t::extract(arg) {
                            Ok(value) => value,
                            Err(e) => return Err(e),
                        },
                        Err(e) => return Err(e),
                    },
                )*))
            }
        }
    };
}

crate::arity::for_arities!(functions, inject_all);

/// The parameters of a derived constructor of more than 16, taken by one call: a tree whose
/// leaves are [`InjectAll`] tuples of 16, grouped 16 to a tuple, and those (for more than 256)
/// into [`Chunks`] of 16. The constructor takes the tree and binds every parameter with one
/// pattern, with nothing taken before it to drop on an early return and no tuple partly moved
/// out of. (It took the leaves one after another into nested `match`es, moving each parameter
/// out of its leaf's tuple: with a drop flag per parameter, optimizing a root of 1,249
/// parameters took 30 s.) Each node is taken out of line, so no one function holds them all.
#[doc(hidden)]
pub trait TakeChunks: Sized {
    /// The arguments, in order.
    fn take_chunks(args: &mut Args<'_>) -> Result<Self, BoxError>;
}

/// A node of a [`TakeChunks`] tree above the tuples of leaves.
#[doc(hidden)]
#[derive(Debug)]
pub struct Chunks<T>(pub T);

macro_rules! take_chunks {
    ($($t:ident)*) => {
        impl<$($t: InjectAll),*> TakeChunks for ($($t,)*) {
            #[allow(unused_variables)]
            #[inline(never)]
            fn take_chunks(args: &mut Args<'_>) -> Result<Self, BoxError> {
                Ok(($(
                    match $t::take_chunk(args) {
                        Ok(chunk) => chunk,
                        Err(e) => return Err(e),
                    },
                )*))
            }
        }

        impl<$($t: TakeChunks),*> TakeChunks for Chunks<($($t,)*)> {
            #[allow(unused_variables)]
            #[inline(never)]
            fn take_chunks(args: &mut Args<'_>) -> Result<Self, BoxError> {
                Ok(Chunks(($(
                    match $t::take_chunks(args) {
                        Ok(chunk) => chunk,
                        Err(e) => return Err(e),
                    },
                )*)))
            }
        }
    };
}

crate::arity::for_arities!(functions, take_chunks);

/// A type a constructor or function can ask for as a parameter.
///
/// Implemented for `Arc<T>`, `Option<Arc<T>>`, `Set<T>`, `Factory<T>`, `Lazy<T>`, `LocatorRef`,
/// `Logger`, common value types (`String`, numbers, `bool`, `PathBuf`, `Duration`, `Vec<T>`) and
/// [`Value<T>`] for any other `Clone` value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be injected as a parameter",
    label = "not an injectable parameter type",
    note = "parameters can be `Arc<T>`, `Option<Arc<T>>`, `Set<T>`, `Factory<T>`, `Lazy<T>`, `LocatorRef`, `Logger`, common values such as `String`, or `Value<T>` for any other `Clone` value"
)]
pub trait Inject: Sized + 'static {
    /// What [`dependency`](Self::dependency) makes, known to the compiler: code generated per
    /// component reads this constant instead of instantiating a function per parameter type.
    #[doc(hidden)]
    const SHAPE: DepShape;
    /// `Self`: derived code names a parameter type as `<T as Inject>::Checked`, so that a type
    /// that cannot be injected is one error at its field, and the tuple of every parameter
    /// ([`InjectAll`]) holds an error type instead of being a second error.
    #[doc(hidden)]
    type Checked;
    /// The dependency this parameter creates (`id` from `#[id("…")]`): always
    /// `Dependency::from_shape(Self::SHAPE, id)`. Do not override it: derived constructors read
    /// `SHAPE` directly.
    fn dependency(id: Option<Id>) -> Dependency {
        Dependency::from_shape(Self::SHAPE, id)
    }
    /// Turns the resolved argument into the parameter value.
    #[doc(hidden)]
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError>;
    /// The parameter's value for `locator.run(…)`, looked up directly.
    #[doc(hidden)]
    fn from_run(context: &RunContext<'_>) -> Result<Self, crate::Error> {
        let arg = context.resolve(&Self::dependency(None))?;
        Self::extract(&arg).map_err(|e| crate::Error::Internal(e.to_string()))
    }
}

/// The planner types every argument, so this is a bug in distage; the message names no type
/// to keep the (per-type) extraction code small.
fn mismatch(arg: &Arg<'_>) -> BoxError {
    format!("distage: an argument's stored type differs from its parameter's ({arg:?})").into()
}

/// The argument's `Arc<T>`.
pub(crate) fn arc<T: ?Sized + 'static>(arg: &Arg<'_>) -> Result<Arc<T>, BoxError> {
    arg.arc::<T>().ok_or_else(|| {
        format!(
            "distage: expected an instance of `Arc<{}>`, got {arg:?}",
            std::any::type_name::<T>()
        )
        .into()
    })
}

/// The argument's boxed value of type `V` (a `Set<T>`).
pub(crate) fn instance<'a, V: Any>(arg: &'a Arg<'_>) -> Result<&'a V, BoxError> {
    match arg {
        Arg::Instance(any) => any.downcast_ref::<V>().ok_or_else(|| {
            format!(
                "distage: stored instance is not a `{}`",
                std::any::type_name::<V>()
            )
            .into()
        }),
        other => Err(format!(
            "distage: expected an instance of `{}`, got {other:?}",
            std::any::type_name::<V>()
        )
        .into()),
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Arc<T> {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Key {
        ty: TypeInfo::of::<T>(),
        kind: KeyKind::Single,
        mode: DepMode::Strict,
    };
    // Instantiated for every bound type: one inlined helper, no closures.
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        if let Some(arc) = arg.arc::<T>() {
            return Ok(arc);
        }
        Err(mismatch(arg))
    }
    fn from_run(context: &RunContext<'_>) -> Result<Self, crate::Error> {
        context.get::<T>()
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Option<Arc<T>> {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Key {
        ty: TypeInfo::of::<T>(),
        kind: KeyKind::Single,
        mode: DepMode::Optional,
    };
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        match arg {
            Arg::Absent => Ok(None),
            arg => arc::<T>(arg).map(Some),
        }
    }
}

/// A value parameter: the bound `T` cloned out of its `Arc` (`make::<Config>().from_value(…)`).
///
/// Common value types (`String`, numbers, `bool`, …) can be parameters directly; any other
/// `Clone` type is asked for through `Value<T>`. The derive and `module!` do this for you.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Value<T>(pub T);

impl<T> Value<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Value<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A type that can be injected by value: cloned out of its binding.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be injected as a value",
    label = "injected by cloning, so `{Self}` must be `Clone + Send + Sync + 'static`",
    note = "to share one instance instead of cloning it, ask for `Arc<{Self}>`"
)]
pub trait InjectableValue: Clone + Send + Sync + 'static {}

// Hidden: a blanket impl would be listed on the page of every type.
#[doc(hidden)]
#[diagnostic::do_not_recommend]
impl<T: Clone + Send + Sync + 'static> InjectableValue for T {}

impl<T: InjectableValue> Inject for Value<T> {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Key {
        ty: TypeInfo::of::<T>(),
        kind: KeyKind::Single,
        mode: DepMode::Strict,
    };
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        // Cloned in place: the `Arc`'s count is not touched.
        match arg.as_ref::<T>() {
            Some(value) => Ok(Value(value.clone())),
            None => Err(mismatch(arg)),
        }
    }
}

macro_rules! value_types {
    ($($t:ty),* $(,)?) => {$(
        impl Inject for $t {
            type Checked = Self;
            const SHAPE: DepShape = <Value<$t> as Inject>::SHAPE;
            fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
                <Value<$t> as Inject>::extract(arg).map(Value::into_inner)
            }
        }
    )*};
}

/// The plain value types a parameter takes as they are (without `Value<…>`): every list of impls
/// over them is made from this one list.
macro_rules! for_value_types {
    ($m:ident) => {
        $m!(
            String,
            &'static str,
            bool,
            char,
            u8,
            u16,
            u32,
            u64,
            u128,
            usize,
            i8,
            i16,
            i32,
            i64,
            i128,
            isize,
            f32,
            f64,
            std::path::PathBuf,
            std::time::Duration,
            std::net::SocketAddr,
            std::net::IpAddr,
        );
    };
}
pub(crate) use for_value_types;

for_value_types!(value_types);

impl<T: InjectableValue> Inject for Vec<T> {
    type Checked = Self;
    const SHAPE: DepShape = <Value<Vec<T>> as Inject>::SHAPE;
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        <Value<Vec<T>> as Inject>::extract(arg).map(Value::into_inner)
    }
}

/// A constructor's dependencies as a constant ([`Injectable::DEPENDENCY_LIST`]).
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum DependencyList {
    /// Call this function.
    Call(fn() -> Vec<Dependency>),
    /// These shapes, with their ids (`ids[i]` is the `i`th's id; none past its end).
    Shapes(&'static [DepShape], &'static [Option<&'static str>]),
}

impl DependencyList {
    /// The dependencies.
    pub fn to_vec(self) -> Vec<Dependency> {
        match self {
            DependencyList::Call(f) => f(),
            DependencyList::Shapes(shapes, ids) => Dependency::from_shape_list(shapes, ids),
        }
    }
}

/// A type whose constructor the injector can call: what `#[derive(Injectable)]` implements.
///
/// ```
/// use distage_core::__private::Args; // what derived impls use; write this by hand rarely
/// use distage_core::{BoxError, Dependency, Inject, Injectable};
/// use std::sync::Arc;
/// struct Db;
/// struct Repo { db: Arc<Db> }
/// impl Injectable for Repo {
///     fn dependencies() -> Vec<Dependency> { vec![<Arc<Db> as Inject>::dependency(None)] }
///     fn construct(args: &mut Args<'_>) -> Result<Self, BoxError> {
///         Ok(Repo { db: args.take()? })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not injectable",
    label = "the injector does not know how to construct `{Self}`",
    note = "add `#[derive(Injectable)]` to `{Self}`, or bind it with `.from_fn(...)` / `.from_value(...)`"
)]
pub trait Injectable: Sized + Send + Sync + 'static {
    /// The constructor's dependencies, in the order `construct` takes them.
    fn dependencies() -> Vec<Dependency>;
    /// [`dependencies`](Self::dependencies) as a constant: what `module!` reads. The derive
    /// states the list itself, so that no `dependencies` function is compiled per component;
    /// any other implementation points at its `dependencies`.
    #[doc(hidden)]
    const DEPENDENCY_LIST: DependencyList = DependencyList::Call(Self::dependencies);
    /// Builds the value from its resolved dependencies.
    fn construct(args: &mut Args<'_>) -> Result<Self, BoxError>;
}

/// How a function's return value becomes the bound instance: `T` is wrapped in an `Arc`, an
/// `Arc<T>` (for trait objects: `Arc<dyn Trait>`) or a `Box<T>` is used as it is.
pub trait IntoArc<T: ?Sized> {
    /// The value as a shared instance.
    fn into_arc(self) -> Arc<T>;
    /// The value as a locator stores it: a sized value in its own `Arc`, anything else boxed.
    #[doc(hidden)]
    fn into_produced(self) -> Produced
    where
        Self: Sized,
        T: Send + Sync + 'static,
    {
        Produced::instance(self.into_arc())
    }
}

#[doc(hidden)]
impl<T> IntoArc<T> for T {
    fn into_arc(self) -> Arc<T> {
        Arc::new(self)
    }
    fn into_produced(self) -> Produced
    where
        T: Send + Sync + 'static,
    {
        Produced::shared(Arc::new(self))
    }
}
impl<T: ?Sized> IntoArc<T> for Arc<T> {
    fn into_arc(self) -> Arc<T> {
        self
    }
}
impl<T: ?Sized> IntoArc<T> for Box<T> {
    fn into_arc(self) -> Arc<T> {
        Arc::from(self)
    }
}
