//! Memoization: one shared locator per configuration, produced when the first test of the
//! group needs it and released when the last test of the group that runs has finished.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use distage_core::{AsyncLocator, DIKey, Injector, Module, Plan, PlannerInput};
use tokio::runtime::Runtime;

use crate::env::{Configuration, TestEnv};

/// The tests of one configuration and what they share.
pub(crate) struct Group {
    /// 1-based, in order of the first test of the group.
    pub(crate) number: usize,
    pub(crate) configuration: Configuration,
    pub(crate) env: TestEnv,
    /// The plan of the memoized keys (and what they depend on), or why it does not plan.
    pub(crate) shared_plan: Result<Option<Plan>, String>,
    /// Every key the shared plan produces: tests take these from the shared locator.
    pub(crate) shared_keys: HashSet<DIKey>,
    /// The module tests plan against the shared locator: the shared keys' bindings removed.
    pub(crate) test_module: Module,
    /// The names of the tests that will run, for `DISTAGE_TESTKIT_GROUPS`.
    pub(crate) tests: Vec<String>,
    /// Tests of the group still to finish.
    remaining: Mutex<usize>,
    state: Mutex<Shared>,
}

enum Shared {
    /// Not produced yet.
    Pending,
    Ready(Arc<AsyncLocator>),
    /// Production failed: every test of the group fails with this message.
    Failed(String),
    Released,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the state half-written: each write is one
    // assignment.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Group {
    /// Plans the memoized keys of `env`: pure, produces nothing.
    pub(crate) fn new(number: usize, configuration: Configuration, env: TestEnv) -> Self {
        let shared_plan = if env.memoized().is_empty() {
            Ok(None)
        } else {
            let input = PlannerInput::new(env.module().clone())
                .activation(env.get_activation().clone())
                .root_keys(env.memoized().iter().cloned());
            Injector::new()
                .plan(&input)
                .map(Some)
                .map_err(|e| format!("the memoized keys do not plan:\n{e}"))
        };
        let shared_keys: HashSet<DIKey> = match &shared_plan {
            Ok(Some(plan)) => plan.steps().iter().map(|s| s.key().clone()).collect(),
            _ => HashSet::new(),
        };
        let test_module = env
            .module()
            .bindings()
            .iter()
            .filter(|b| !shared_keys.contains(b.key()))
            .cloned()
            .collect();
        Group {
            number,
            configuration,
            env,
            shared_plan,
            shared_keys,
            test_module,
            tests: Vec::new(),
            remaining: Mutex::new(0),
            state: Mutex::new(Shared::Pending),
        }
    }

    /// Counts one more test that will run.
    pub(crate) fn add_test(&mut self, name: String) {
        self.tests.push(name);
        *lock(&self.remaining) += 1;
    }

    /// The shared locator, produced by the first caller; the others wait for it.
    pub(crate) fn acquire(&self, runtime: &Runtime) -> Result<Arc<AsyncLocator>, String> {
        let mut state = lock(&self.state);
        match &*state {
            Shared::Ready(locator) => return Ok(locator.clone()),
            Shared::Failed(message) => return Err(message.clone()),
            // Only when a test runs after the group's count reached zero, which the harness's
            // count rules out; producing again keeps that test correct.
            Shared::Pending | Shared::Released => {}
        }
        let plan = match &self.shared_plan {
            Ok(Some(plan)) => plan,
            Ok(None) => return Err("nothing is memoized in this configuration".into()),
            Err(message) => return Err(message.clone()),
        };
        match runtime.block_on(Injector::new().produce_async(plan)) {
            Ok(locator) => {
                let locator = Arc::new(locator);
                *state = Shared::Ready(locator.clone());
                Ok(locator)
            }
            Err(e) => {
                let message = format!("producing the memoized keys failed:\n{e}");
                *state = Shared::Failed(message.clone());
                Err(message)
            }
        }
    }

    /// One test of the group finished (passed, failed or panicked). After the last one the
    /// shared locator is released; a release failure is returned to fail that last test.
    pub(crate) fn finish(&self, runtime: &Runtime) -> Result<(), String> {
        let last = {
            let mut remaining = lock(&self.remaining);
            *remaining = remaining.saturating_sub(1);
            *remaining == 0
        };
        if last { self.release(runtime) } else { Ok(()) }
    }

    /// Releases the shared locator if it is live (also what the harness calls after the run,
    /// in case a count was off).
    pub(crate) fn release(&self, runtime: &Runtime) -> Result<(), String> {
        let previous = std::mem::replace(&mut *lock(&self.state), Shared::Released);
        let Shared::Ready(locator) = previous else {
            return Ok(());
        };
        match Arc::try_unwrap(locator) {
            Ok(locator) => runtime
                .block_on(locator.close())
                .map_err(|e| format!("releasing the memoized keys failed:\n{e}")),
            // A test still holds it: impossible once every test finished, and dropping the
            // last handle releases it anyway.
            Err(_) => Ok(()),
        }
    }
}
