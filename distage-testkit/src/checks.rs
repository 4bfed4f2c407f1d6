//! Integration checks (`integration_check<T>;` in `module!`, the framework's `IntegrationCheck`):
//! a test whose shared or own resources fail their check is skipped with the check's message.

use std::collections::HashSet;
use std::sync::Arc;

use distage_core::{DIKey, Locator, Module, short_type_name};
use distage_framework::{CheckFailure, DynIntegrationCheck};

/// The set `integration_check<T>;` adds to.
pub(crate) fn set_key() -> DIKey {
    DIKey::set_of::<dyn DynIntegrationCheck>()
}

/// The set declared empty, so that rooting it plans whether or not a module adds checks.
pub(crate) fn declaration() -> Module {
    Module::build(|m| {
        m.many::<dyn DynIntegrationCheck>();
    })
}

/// Where a check's instance lives: the same resource reached from a parent and a child locator
/// is checked once.
fn address(check: &Arc<dyn DynIntegrationCheck>) -> usize {
    Arc::as_ptr(check).cast::<()>() as usize
}

/// Runs the checks produced in `locator` that are not in `done` (those already passed in a
/// parent), one after the other; returns the ones run, or every failure as one message.
pub(crate) async fn run(
    locator: &Locator,
    done: &HashSet<usize>,
) -> Result<HashSet<usize>, String> {
    let Ok(checks) = locator.get_set::<dyn DynIntegrationCheck>() else {
        return Ok(HashSet::new());
    };
    let mut ran = HashSet::new();
    let mut failures = Vec::new();
    for check in checks.iter() {
        let at = address(check);
        if done.contains(&at) || !ran.insert(at) {
            continue;
        }
        if let Err(message) = check.check_boxed().await {
            failures.push(CheckFailure {
                resource: short_type_name(check.checked_type()),
                message,
            });
        }
    }
    if failures.is_empty() {
        Ok(ran)
    } else {
        let lines: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        Err(lines.join("; "))
    }
}
