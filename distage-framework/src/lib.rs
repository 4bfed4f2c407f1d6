//! # distage-framework
//!
//! The application framework of distage-rs: one binary holds several **roles** chosen on the
//! command line (`app -u repo:dummy :migrate :http --port 8081`), typed **config** sections are
//! injected like any value, **plugins** are collected at start-up, **integration checks** run
//! before any role, and only what the chosen roles need is produced, then released in reverse
//! order.
//!
//! Users reach it as `distage::framework` (the facade's `framework` feature), and bind roles,
//! config sections and checks in `module!`:
//!
//! ```text
//! module! {
//!     pub AppModule {
//!         config<HttpConfig>("http");     // a serde section, checked like any binding
//!         role<Migrate>;                  // a RoleTask
//!         role<HttpServer>;               // a RoleService
//!         integration_check<Db>;          // Db: IntegrationCheck, run when Db is in the plan
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     RoleAppMain::new("app").module(AppModule::module()).plugins().run()
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
mod config;
mod launcher;
mod plugin;
mod role;

pub use check::{CheckFailure, DynIntegrationCheck, IntegrationCheck, run_integration_checks};
pub use config::{AppConfig, ConfigError, ConfigSection};
pub use distage_core::BoxError;
pub use launcher::RoleAppMain;
pub use plugin::{Plugin, plugins};
pub use role::{NoArgs, RoleEntry, RoleKind, RoleService, RoleTask, Shutdown, ShutdownTrigger};

/// What `module!`'s `role`, `config` and `integration_check` statements and [`plugin!`] expand
/// to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::check::DynIntegrationCheck;
    pub use crate::config::{AppConfig, ConfigSection};
    pub use crate::role::{
        IntoRoleEntry, NeitherProbe, NotARole, RoleEntry, RoleProbe, ServiceProbe, TaskProbe,
        role_entry,
    };
    pub use inventory;
}
