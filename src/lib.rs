//! The guide below is the crate's README: quick start, `module!`, activations, async,
//! subcontexts, what a component can ask for, and where compile-time checks stop. Every
//! example in it is compiled and run by `cargo test`.
//!
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[allow(unused_extern_crates)]
extern crate self as distage;

pub use distage_core::{
    Activation, AssistedCreate, AssistedCreateAsync, AssistedInjectable, AsyncLocator, Axis,
    AxisChoice, AxisInfo, Binding, BindingRole, BoxError, BoxFuture, BrokenConfiguration,
    Candidate, CycleStep, DIKey, DepMode, Dependency, Dependent, Error, Factory, Failure, Functoid,
    Id, ImplKind, Inject, Injectable, InjectableValue, Injector, IntoArc, IntoFunctoid, KeyKind,
    Lazy, Lifecycle, Locator, LocatorRef, Logger, Make, Many, Mode, Module, ModuleBuilder, Origin,
    Plan, PlanCheck, PlanCheckReport, PlanError, PlanTree, PlannerInput, Problem, ProduceError,
    ReleaseFailure, Repo, RunFn, Set, Step, StepFailure, StepTarget, Subcontext, SubcontextRun,
    Tags, TreeNode, TypeInfo, Value, World, short_type_name,
};
pub use distage_macros::{Axis, Injectable, injectable, module};

/// The application framework: roles launcher, typed config, plugins, integration checks
/// (the `framework` feature).
#[cfg(feature = "framework")]
pub use distage_framework as framework;

/// The testkit: injected test parameters, memoized resources, plan checks as tests (the
/// `testkit` feature).
#[cfg(feature = "testkit")]
pub use distage_testkit as testkit;

/// A test whose parameters are injected from an environment (the `testkit` feature):
/// `#[distage::test(env = path::to_fn)]` on a sync or `async` function, run by
/// `distage::testkit::main!()`.
#[cfg(feature = "testkit")]
pub use distage_macros::test;

/// axum integration: `Injected<T>` extractors, `DistageLayer`, and `RequestScope`, a subcontext
/// entered per request (the `axum` feature).
#[cfg(feature = "axum")]
pub use distage_axum as axum;

/// What most programs need: `use distage::prelude::*;`.
pub mod prelude {
    pub use distage_core::{
        Activation, AsyncLocator, Axis, AxisInfo, Error, Factory, Functoid, Injectable, Injector,
        Lazy, Lifecycle, Locator, LocatorRef, Logger, Mode, Module, Plan, PlanCheck, PlannerInput,
        Repo, Set, Subcontext, Value, World,
    };
    pub use distage_macros::{Axis, Injectable, injectable, module};
}

/// What the macros' generated code uses. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use distage_core::__private::*;
    pub use distage_core::Id as RuntimeId;
    pub use distage_core::{
        Activation, AssistedCreate, AssistedCreateAsync, AssistedInjectable, Axis, BoxError,
        BoxFuture, DIKey, Dependency, Error, Functoid, Inject, Injectable, Lifecycle, Logger,
        Module, ModuleBuilder, Origin, Set, TypeInfo, Value,
    };
    /// What `module!`'s `role`, `config` and `integration_check` statements use.
    #[cfg(feature = "framework")]
    pub use distage_framework::__private as framework;
}
