//! # distage
//!
//! Staged dependency injection for Rust, after Scala's [distage]: declare bindings in modules,
//! **plan** (pure: every missing binding, conflict and cycle reported at once, with the file and
//! line of each binding), **produce** the plan into a locator, then use the instances.
//!
//! ```
//! use distage::prelude::*;
//! use std::sync::Arc;
//!
//! trait Greeter: Send + Sync { fn greet(&self, who: &str) -> String; }
//! struct English { punctuation: String }
//! impl Greeter for English {
//!     fn greet(&self, who: &str) -> String { format!("Hello, {who}{}", self.punctuation) }
//! }
//!
//! let module = Module::build(|m| {
//!     m.make::<String>().named("punctuation").from_value("!".to_string());
//!     m.make::<dyn Greeter>().from_fn(
//!         Functoid::of(|p: String| Arc::new(English { punctuation: p }) as Arc<dyn Greeter>)
//!             .named(0, "punctuation"),
//!     );
//! });
//! let injector = Injector::new();
//! let plan = injector.plan(&PlannerInput::new(module).roots::<dyn Greeter>())?;
//! let locator = injector.produce(&plan)?;
//! let greeting = locator.run(|g: Arc<dyn Greeter>| g.greet("world"))?;
//! assert_eq!(greeting, "Hello, world!");
//! # Ok::<(), distage::Error>(())
//! ```
//!
//! [distage]: https://izumi.7mind.io/distage/
#![forbid(unsafe_code)]

pub use distage_core::*;

/// What most programs need: `use distage::prelude::*;`.
pub mod prelude {
    pub use distage_core::{
        Activation, Axis, Error, Factory, Functoid, Injectable, Injector, Lazy, Lifecycle, Locator,
        LocatorRef, Logger, Mode, Module, Plan, PlannerInput, Repo, Set, Value, World,
    };
}

/// What the macros' generated code uses. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use distage_core;
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
