//! Function injection: a function together with the dependencies its parameters ask for.

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use crate::boxed::BoxError;
use crate::inject::RunContext;
use crate::inject::{Args, Dependency, Inject};
use crate::key::{Id, TypeInfo};

type Call<R> = Arc<dyn Fn(&mut Args<'_>) -> Result<R, BoxError> + Send + Sync>;

/// A function whose parameters the injector fills in: what `.from_fn(…)` and `.from_resource(…)`
/// take. Any `Fn` of up to 16 [`Inject`] parameters converts into one.
pub struct Functoid<R> {
    deps: Vec<Dependency>,
    call: Call<R>,
    impl_type: TypeInfo,
    /// The function's type when it holds no data (a function item, a closure that captures
    /// nothing): then the type alone says what a call does.
    identity: Option<TypeId>,
}

impl<R> Clone for Functoid<R> {
    fn clone(&self) -> Self {
        Functoid {
            deps: self.deps.clone(),
            call: self.call.clone(),
            impl_type: self.impl_type,
            identity: self.identity,
        }
    }
}

impl<R: 'static> Functoid<R> {
    /// A functoid from explicit dependencies and a call that takes them in order (what the
    /// macros generate); `impl_type` names the function in `Debug` output.
    pub fn new(
        deps: Vec<Dependency>,
        impl_type: TypeInfo,
        call: impl Fn(&mut Args<'_>) -> Result<R, BoxError> + Send + Sync + 'static,
    ) -> Self {
        Functoid {
            deps,
            call: Arc::new(call),
            impl_type,
            identity: None,
        }
    }

    /// Any function of [`Inject`] parameters as a functoid, e.g. to name a parameter:
    /// `Functoid::of(|url: String| Db::new(url)).named(0, "db-url")`.
    pub fn of<M>(f: impl IntoFunctoid<M, R>) -> Self {
        f.into_functoid()
    }

    /// Gives parameter `index` (0-based) the id `id`, as `#[id("…")]` does in `module!`.
    ///
    /// An index past the last parameter is ignored.
    pub fn named(mut self, index: usize, id: impl Into<Id>) -> Self {
        if let Some(dep) = self.deps.get_mut(index) {
            *dep = dep.clone().with_id(Some(id.into()));
        }
        self
    }

    /// The parameters' dependencies, in order.
    pub fn dependencies(&self) -> &[Dependency] {
        &self.deps
    }

    pub(crate) fn into_parts(self) -> (Vec<Dependency>, Call<R>, Option<TypeId>) {
        (self.deps, self.call, self.identity)
    }
}

impl<R> fmt::Debug for Functoid<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Functoid")
            .field("deps", &self.deps)
            .field("fn", &self.impl_type)
            .finish()
    }
}

/// Conversion into a [`Functoid`]; `M` is a marker that keeps the arity impls apart.
#[diagnostic::on_unimplemented(
    message = "this function's parameters cannot all be injected",
    label = "a parameter here is not a type the injector hands over",
    note = "parameters can be `Arc<T>`, `Option<Arc<T>>`, `Set<T>`, `Factory<T>`, `Lazy<T>`, `LocatorRef`, `Logger`, common values such as `String`, or `Value<T>` for any other `Clone` value (`cfg: Value<Config>`, then `cfg.0` or `*cfg`)",
    note = "the function must also be `Send + Sync + 'static`: move what it captures in (`move |…| …`)"
)]
pub trait IntoFunctoid<M, R> {
    /// The function with its dependencies.
    fn into_functoid(self) -> Functoid<R>;
}

#[diagnostic::do_not_recommend]
impl<R> IntoFunctoid<Functoid<R>, R> for Functoid<R> {
    fn into_functoid(self) -> Functoid<R> {
        self
    }
}

/// A function run once against a locator (`locator.run(|a: Arc<A>| …)`), or a [`Functoid`]
/// (to give a parameter an id: `locator.run(Functoid::of(|url: String| …).named(0, "db-url"))`).
#[diagnostic::on_unimplemented(
    message = "this function's parameters cannot all be injected by `run`",
    label = "a parameter here is not a type the injector hands over",
    note = "parameters can be `Arc<T>`, `Option<Arc<T>>`, `Set<T>`, `Factory<T>`, `Lazy<T>`, `LocatorRef`, `Logger`, common values such as `String`, or `Value<T>` for any other `Clone` value (`cfg: Value<Config>`, then `cfg.0` or `*cfg`)"
)]
pub trait RunFn<M, R> {
    /// The parameters' dependencies, in order.
    fn dependencies(&self) -> Vec<Dependency>;
    /// Calls the function with each parameter looked up in the locator.
    #[doc(hidden)]
    fn call_in(self, context: &RunContext<'_>) -> Result<R, crate::Error>;
}

macro_rules! arities {
    ($($a:ident)*) => {
        impl<F, R, $($a: Inject),*> IntoFunctoid<fn($($a),*) -> R, R> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
            R: 'static,
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn into_functoid(self) -> Functoid<R> {
                let mut functoid = Functoid::new(
                    vec![$($a::dependency(None)),*],
                    TypeInfo::of::<F>(),
                    move |args: &mut Args<'_>| {
                        $(let $a: $a = args.take()?;)*
                        Ok(self($($a),*))
                    },
                );
                if std::mem::size_of::<F>() == 0 {
                    functoid.identity = Some(TypeId::of::<F>());
                }
                functoid
            }
        }

        impl<F, R, $($a: Inject),*> RunFn<fn($($a),*) -> R, R> for F
        where
            F: FnOnce($($a),*) -> R,
        {
            fn dependencies(&self) -> Vec<Dependency> {
                vec![$($a::dependency(None)),*]
            }
            #[allow(non_snake_case, unused_variables)]
            fn call_in(self, context: &RunContext<'_>) -> Result<R, crate::Error> {
                $(let $a: $a = $a::from_run(context)?;)*
                Ok(self($($a),*))
            }
        }
    };
}

/// A functoid runs with each dependency, ids included, looked up in the locator.
#[diagnostic::do_not_recommend]
impl<R: 'static> RunFn<Functoid<R>, R> for Functoid<R> {
    fn dependencies(&self) -> Vec<Dependency> {
        self.deps.clone()
    }
    fn call_in(self, context: &RunContext<'_>) -> Result<R, crate::Error> {
        let items = self
            .deps
            .iter()
            .map(|d| context.resolve(d))
            .collect::<Result<Vec<_>, _>>()?;
        (self.call)(&mut Args::new(&items)).map_err(|e| crate::Error::Internal(e.to_string()))
    }
}

crate::arity::for_arities!(functions, arities);
