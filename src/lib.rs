//! # distage
//!
//! Staged dependency injection for Rust, after Scala's [distage]: declare bindings in modules,
//! **plan** (pure: every missing binding, conflict and cycle reported at once, with the file and
//! line of each binding), **produce** the plan into a locator, then use the instances.
//! Inside a `module!`, broken wiring is a compile error.
//!
//! ```
//! use distage::prelude::*;
//! use std::sync::Arc;
//!
//! trait Greeter: Send + Sync { fn greet(&self, who: &str) -> String; }
//!
//! #[derive(Injectable)]
//! struct English { #[id("punctuation")] punctuation: String }
//! impl Greeter for English {
//!     fn greet(&self, who: &str) -> String { format!("Hello, {who}{}", self.punctuation) }
//! }
//!
//! module! {
//!     GreeterModule {
//!         make<String>.named("punctuation").from_value("!".to_string());
//!         make<dyn Greeter>.from<English>();
//!     }
//! }
//!
//! fn main() -> Result<(), distage::Error> {
//!     let injector = Injector::new();
//!     let plan = injector.plan(&PlannerInput::new(GreeterModule::module()).roots::<dyn Greeter>())?;
//!     let locator = injector.produce(&plan)?;
//!     let greeting = locator.run(|g: Arc<dyn Greeter>| g.greet("world"))?;
//!     assert_eq!(greeting, "Hello, world!");
//!     Ok(())
//! }
//! ```
//!
//! [distage]: https://izumi.7mind.io/distage/
#![forbid(unsafe_code)]

#[allow(unused_extern_crates)]
extern crate self as distage;

pub use distage_core::*;
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

/// What most programs need: `use distage::prelude::*;`.
pub mod prelude {
    pub use distage_core::{
        Activation, AsyncLocator, Axis, Error, Factory, Functoid, Injectable, Injector, Lazy,
        Lifecycle, Locator, LocatorRef, Logger, Mode, Module, Plan, PlanCheck, PlannerInput, Repo,
        Set, Subcontext, Value, World,
    };
    pub use distage_macros::{Axis, Injectable, injectable, module};
}

/// What the macros' generated code uses. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use distage_core::Id as RuntimeId;
    pub use distage_core::check::*;
    pub use distage_core::{
        Args, AssistedInjectable, Axis, BoxError, DIKey, Dependency, DependencyList, Functoid,
        Inject, InjectAll, Injectable, Module, ModuleBuilder, Origin, TypeInfo, Value,
        construct_injectable,
    };
    /// What `module!`'s `role`, `config` and `integration_check` statements use.
    #[cfg(feature = "framework")]
    pub use distage_framework::__private as framework;
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
