//! Plugins: modules registered where they are defined and collected by the launcher at start-up
//! (the Rust analogue of distage's classpath scanning), through `inventory`.

use distage_core::{Module, Origin};

/// A module registered with [`plugin!`](crate::plugin).
#[derive(Debug)]
pub struct Plugin {
    name: &'static str,
    module: fn() -> Module,
    origin: Origin,
}

impl Plugin {
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        module: fn() -> Module,
        file: &'static str,
        line: u32,
    ) -> Self {
        Plugin {
            name,
            module,
            origin: Origin::new(file, line, 1),
        }
    }

    /// The module's name as written in `plugin!`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module.
    pub fn module(&self) -> Module {
        (self.module)()
    }

    /// Where it was registered.
    pub fn origin(&self) -> Origin {
        self.origin
    }
}

inventory::collect!(Plugin);

/// Every plugin linked into the program, sorted by name (the link order is not stable).
pub fn plugins() -> Vec<&'static Plugin> {
    let mut all: Vec<&'static Plugin> = inventory::iter::<Plugin>.into_iter().collect();
    all.sort_by_key(|p| (p.name, p.origin));
    all
}

/// Registers a `module!` module as a plugin, collected by
/// [`RoleAppMain::plugins`](crate::RoleAppMain::plugins): `distage::framework::plugin!(MetricsModule);`
/// at module level, next to the module. The module's own compile-time checks hold; what it
/// needs from other plugins or from the application is checked by the planner and `--check`.
#[macro_export]
macro_rules! plugin {
    ($($module:ident)::+) => {
        $crate::__private::inventory::submit! {
            $crate::Plugin::__new(
                ::core::stringify!($($module)::+),
                $($module)::+::module,
                ::core::file!(),
                ::core::line!(),
            )
        }
    };
}
