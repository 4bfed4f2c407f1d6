//! Integration checks: resources that can say whether they work (is the database reachable?),
//! checked after producing and before any role runs.

use std::future::Future;
use std::pin::Pin;

use distage_core::Locator;

/// A resource that can tell whether it works. Register it with `integration_check<Db>;` in
/// `module!`: the check is a *weak* set element, so it runs only when `Db` is in the plan of the
/// roles chosen. A failing check stops start-up with its message, and everything produced is
/// released. The testkit uses the same checks to skip the tests that need a broken resource.
pub trait IntegrationCheck: Send + Sync + 'static {
    /// `Ok(())` when the resource works, otherwise why not.
    fn check(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// [`IntegrationCheck`] as a trait object: the element type of the set `integration_check<T>;`
/// adds to. Implemented for every `IntegrationCheck`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is registered with `integration_check<…>` but does not implement `IntegrationCheck`",
    note = "implement `distage::framework::IntegrationCheck` for `{Self}`"
)]
pub trait DynIntegrationCheck: Send + Sync + 'static {
    /// The checked type's name, for messages.
    fn checked_type(&self) -> &'static str;
    /// [`IntegrationCheck::check`], boxed.
    fn check_boxed(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

impl<T: IntegrationCheck> DynIntegrationCheck for T {
    fn checked_type(&self) -> &'static str {
        std::any::type_name::<T>()
    }
    fn check_boxed(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(self.check())
    }
}

/// A check that failed: the resource's type and the check's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// The checked resource's type, shortened (`Db`).
    pub resource: String,
    /// What the check said.
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "integration check of `{}` failed: {}",
            self.resource, self.message
        )
    }
}

/// Runs every integration check produced in `locator` (the set `integration_check<T>;` adds to;
/// none if it is not in the plan), concurrently, and returns every failure. Plan with
/// `.root_set::<dyn DynIntegrationCheck>()` (the launcher does) so the set is produced.
pub async fn run_integration_checks(locator: &Locator) -> Result<(), Vec<CheckFailure>> {
    let Ok(checks) = locator.get_set::<dyn DynIntegrationCheck>() else {
        return Ok(());
    };
    let mut running = tokio::task::JoinSet::new();
    for check in checks.iter() {
        let check = check.clone();
        running.spawn(async move {
            let outcome = check.check_boxed().await;
            (check.checked_type(), outcome)
        });
    }
    let mut failures = Vec::new();
    while let Some(joined) = running.join_next().await {
        let (resource, message) = match joined {
            Ok((_, Ok(()))) => continue,
            Ok((ty, Err(message))) => (distage_core::short_type_name(ty), message),
            Err(e) => ("an integration check".to_string(), format!("panicked: {e}")),
        };
        failures.push(CheckFailure { resource, message });
    }
    failures.sort_by(|a, b| a.resource.cmp(&b.resource));
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}
