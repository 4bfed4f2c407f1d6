//! The testkit of distage-rs, used as `distage::testkit` (the facade's `testkit` feature).
//!
//! - `#[distage::test(env = path::to_fn)]` on a test function (sync or `async`) injects its
//!   parameters from the [`TestEnv`] the named function returns. Each test gets its own locator,
//!   released when the test ends (also when it fails or panics).
//! - Keys an environment *memoizes* are produced once per configuration (module, activation,
//!   overrides, memoized keys) and shared by every test of that configuration; they are released
//!   after the last of those tests finishes.
//! - [`main!`] is the harness (`harness = false`): it plans every test's environment before
//!   running any, groups tests by configuration, and runs them with libtest-mimic, so
//!   `cargo test NAME`, `--list`, `--ignored`, `--exact` and nextest work as usual.
//!   `--distage-groups` (or `DISTAGE_TESTKIT_GROUPS=1`) prints which tests share what.
//! - [`plan_check_tests!`] makes one test per activation of a module.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod checks;
mod env;
mod harness;
mod memo;
mod plan_check;

pub use body::TestOutcome;
pub use env::{Configuration, TestEnv};
pub use harness::run_main;

/// The harness of a `harness = false` test target whose tests use `#[distage::test]`:
/// expands to `fn main()`.
///
/// ```toml
/// [[test]]
/// name = "service"
/// harness = false
/// ```
#[macro_export]
macro_rules! main {
    () => {
        fn main() -> ::std::process::ExitCode {
            $crate::run_main()
        }
    };
}

/// One test per activation of a module, each named
/// `plan_check::<Name>::<axis:choice,…>`: `plan_check_tests!(AppModule)` for a `module!`, or
/// `plan_check_tests!(Name, expression)` for any `Module` expression. Runs under [`main!`].
#[macro_export]
macro_rules! plan_check_tests {
    ($module:ident) => {
        $crate::plan_check_tests!($module, $module::module());
    };
    ($name:ident, $module:expr) => {
        const _: () = {
            fn __distage_module() -> $crate::__private::Module {
                $module
            }
            $crate::__private::inventory::submit! {
                $crate::__private::PlanCheckTests {
                    name: ::core::stringify!($name),
                    module_path: ::core::module_path!(),
                    module: __distage_module,
                }
            }
        };
    };
}

/// What the macros' generated code uses. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::body::{TestCall, TestFuture, TestOutcome, extract};
    pub use crate::harness::TestCase;
    pub use crate::plan_check::PlanCheckTests;
    pub use distage_core::__private::RunContext;
    pub use distage_core::{Dependency, Error, Id, Inject, Module, Value};
    pub use inventory;

    /// A test's outcome, boxed into the harness's future type.
    pub fn boxed<O, F>(future: F) -> TestFuture
    where
        O: TestOutcome,
        F: ::std::future::Future<Output = O> + Send + 'static,
    {
        Box::pin(async move { future.await.into_outcome() })
    }
}
