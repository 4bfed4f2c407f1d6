//! The runtime of distage-rs: keys, bindings, modules, the planner, plans, the producer and
//! locators. Users depend on the `distage` facade crate, which re-exports all of this.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod activation;
mod arity;
mod axis;
mod binding;
mod boxed;
mod check;
mod concurrent;
mod error;
mod factory;
mod functoid;
mod gate;
mod hash;
mod inject;
mod injector;
mod key;
mod lifecycle;
mod locator;
mod logger;
mod module;
mod origin;
mod parse;
mod plan;
mod plan_check;
mod planner;
mod producer;
mod release;
mod set;
mod slots;
mod small;
mod subcontext;
mod typed;

pub use activation::Activation;
pub use axis::{Axis, AxisChoice, AxisInfo, Mode, Repo, Tags, World};
pub use binding::{Binding, BindingRole, ImplKind, Origin, StepTarget};
pub use boxed::{BoxError, BoxFuture};
pub use error::{
    Candidate, CycleStep, Dependent, Error, Failure, PlanError, Problem, ProduceError,
    ReleaseFailure, StepFailure,
};
pub use factory::{AssistedCreate, AssistedCreateAsync, AssistedInjectable, Factory};
pub use functoid::{Functoid, IntoFunctoid, RunFn};
pub use inject::{
    DepMode, Dependency, Inject, Injectable, InjectableValue, IntoArc, Lazy, LocatorRef, Value,
};
pub use injector::{Injector, PlannerInput};
pub use key::{DIKey, Id, KeyKind, TypeInfo, short_type_name};
pub use lifecycle::Lifecycle;
pub use locator::{AsyncLocator, Locator};
pub use logger::Logger;
pub use module::{Make, Many, Module, ModuleBuilder};
pub use plan::{Plan, PlanTree, Step, TreeNode};
pub use plan_check::{BrokenConfiguration, PlanCheck, PlanCheckReport};
pub use set::Set;
pub use subcontext::{Subcontext, SubcontextRun};

/// What only generated code (`module!`, the derives, the framework's and testkit's macros) and
/// the crates built on core use: the compile-time checks, the providers, the argument plumbing.
/// Not a public API: it changes without notice. The facade re-exports it as
/// `distage::__private`.
#[doc(hidden)]
pub mod __private {
    pub use crate::binding::{Produced, Provider};
    pub use crate::check::*;
    pub use crate::factory::{FromParts, PartsFn};
    pub use crate::inject::{
        Arg, Args, Chunks, DepShape, DependencyList, InjectAll, RunContext, SlotRef, TakeChunks,
    };
    pub use crate::module::{
        construct_injectable, factory_provider, fn_async_provider, fn_provider,
        injectable_provider, ref_provider, resource_async_provider, resource_provider,
        try_fn_async_provider, try_fn_provider, value_provider,
    };
    pub use crate::typed::*;
}
