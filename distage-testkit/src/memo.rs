//! Memoization: one shared locator per configuration, produced when the first test of the
//! group needs it and released when the last test of the group that runs has finished.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use distage_core::{AsyncLocator, DIKey, Injector, Module, Plan, PlannerInput};
use tokio::runtime::Runtime;

use crate::checks;
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
    /// The environment's module, with the integration-check set declared.
    pub(crate) module: Module,
    /// The module tests plan against the shared locator: the shared keys' bindings removed.
    pub(crate) test_module: Module,
    /// The names of the tests that will run, for `DISTAGE_TESTKIT_GROUPS`.
    pub(crate) tests: Vec<String>,
    /// Tests of the group still to finish.
    remaining: Mutex<usize>,
    state: Mutex<State>,
}

enum State {
    /// Not produced yet.
    Pending,
    Ready(Shared),
    /// Production failed: every test of the group that needs it fails with this message.
    Failed(String),
    /// An integration check failed: every test of the group that needs it is skipped.
    Skipped(String),
    Released,
}

/// The shared locator of a configuration and the integration checks it passed.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) locator: Arc<AsyncLocator>,
    /// The checks already run on the shared resources (not run again per test).
    pub(crate) checked: Arc<HashSet<usize>>,
}

/// Why a test did not run.
pub(crate) enum NotRun {
    Failed(String),
    /// Reported as ignored, with the message.
    Skipped(String),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the state half-written: each write is one
    // assignment.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Group {
    /// Plans the memoized keys of `env`: pure, produces nothing.
    pub(crate) fn new(number: usize, configuration: Configuration, env: TestEnv) -> Self {
        let module = env.module().clone() + checks::declaration();
        let shared_plan = if env.memoized().is_empty() {
            Ok(None)
        } else {
            let input = PlannerInput::new(module.clone())
                .activation(env.get_activation().clone())
                .root_keys(env.memoized().iter().cloned())
                .root_key(checks::set_key());
            Injector::new()
                .plan(&input)
                .map(Some)
                .map_err(|e| format!("the memoized keys do not plan:\n{e}"))
        };
        // The checks set is the one set each test plans again: its elements on the shared
        // resources are found in the parent and are not checked twice.
        let check_set = checks::set_key();
        let shared_keys: HashSet<DIKey> = match &shared_plan {
            Ok(Some(plan)) => plan
                .steps()
                .iter()
                .map(|s| s.key().clone())
                .filter(|k| *k != check_set)
                .collect(),
            _ => HashSet::new(),
        };
        let test_module = module
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
            module,
            test_module,
            tests: Vec::new(),
            remaining: Mutex::new(0),
            state: Mutex::new(State::Pending),
        }
    }

    /// Counts one more test that will run.
    pub(crate) fn add_test(&mut self, name: String) {
        self.tests.push(name);
        *lock(&self.remaining) += 1;
    }

    /// The shared locator, produced by the first caller, who also runs its integration checks;
    /// the others wait for it.
    pub(crate) fn acquire(&self, runtime: &Runtime) -> Result<Shared, NotRun> {
        let mut state = lock(&self.state);
        match &*state {
            State::Ready(shared) => return Ok(shared.clone()),
            State::Failed(message) => return Err(NotRun::Failed(message.clone())),
            State::Skipped(message) => return Err(NotRun::Skipped(message.clone())),
            // Only when a test runs after the group's count reached zero, which the harness's
            // count rules out; producing again keeps that test correct.
            State::Pending | State::Released => {}
        }
        let plan = match &self.shared_plan {
            Ok(Some(plan)) => plan,
            Ok(None) => return Err(NotRun::Failed("nothing is memoized here".into())),
            Err(message) => return Err(NotRun::Failed(message.clone())),
        };
        let (next, outcome) = runtime.block_on(async {
            let locator = match Injector::new().produce_async(plan).await {
                Ok(locator) => locator,
                Err(e) => {
                    let message = format!("producing the memoized keys failed:\n{e}");
                    return (State::Failed(message.clone()), Err(NotRun::Failed(message)));
                }
            };
            match checks::run(&locator, &HashSet::new()).await {
                Ok(checked) => {
                    let shared = Shared {
                        locator: Arc::new(locator),
                        checked: Arc::new(checked),
                    };
                    (State::Ready(shared.clone()), Ok(shared))
                }
                Err(message) => {
                    // Nothing will use them: released now, not after the group.
                    if let Err(e) = locator.close().await {
                        eprintln!("distage-testkit: releasing the memoized keys failed:\n{e}");
                    }
                    (
                        State::Skipped(message.clone()),
                        Err(NotRun::Skipped(message)),
                    )
                }
            }
        });
        *state = next;
        outcome
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
        let previous = std::mem::replace(&mut *lock(&self.state), State::Released);
        let State::Ready(Shared { locator, .. }) = previous else {
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
