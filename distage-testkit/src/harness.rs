//! The test harness: collects every registered test, plans each one's environment before running
//! any, groups tests by configuration, then runs them with libtest-mimic (so `cargo test NAME`,
//! `--list`, `--ignored`, `--exact` and nextest work as with the standard harness).

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use distage_core::{DIKey, DepMode, Dependency, Injector, Module, Plan, PlannerInput};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use tokio::runtime::Runtime;

use crate::body::{CatchPanic, TestCall, panic_message, with_context};
use crate::checks;
use crate::env::TestEnv;
use crate::memo::{Group, NotRun};
use crate::plan_check::{PlanCheckTests, plan_check_trials};

/// A test registered by `#[distage::test]`.
#[derive(Debug)]
pub struct TestCase {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` where the function is.
    pub module_path: &'static str,
    /// The environment.
    pub env: fn() -> TestEnv,
    /// The parameters' dependencies, in order.
    pub dependencies: fn() -> Vec<Dependency>,
    /// The call.
    pub call: TestCall,
    /// `#[ignore]`d.
    pub ignored: bool,
}

inventory::collect!(TestCase);

/// The name libtest would give: the module path without the crate, then the function.
pub(crate) fn test_name(module_path: &str, name: &str) -> String {
    match module_path.split_once("::") {
        Some((_, rest)) => format!("{rest}::{name}"),
        None => name.to_string(),
    }
}

/// The runtime async tests, async production and releases run on (`block_on` from each test
/// thread).
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("distage-testkit: cannot start a tokio runtime: {e}"))
    })
}

/// The flag that prints which tests share what (also `DISTAGE_TESTKIT_GROUPS=1`).
const GROUPS_FLAG: &str = "--distage-groups";

/// What `distage::testkit::main!()` runs.
pub fn run_main() -> ExitCode {
    let mut print_groups = std::env::var_os("DISTAGE_TESTKIT_GROUPS").is_some_and(|v| v != "0");
    let args: Vec<String> = std::env::args()
        .filter(|a| {
            let flag = a == GROUPS_FLAG;
            print_groups |= flag;
            !flag
        })
        .collect();
    let args = Arguments::from_iter(args);
    run(&args, print_groups).exit_code()
}

/// One test with its environment planned.
struct Planned {
    case: &'static TestCase,
    group: Arc<Group>,
    roots: Vec<DIKey>,
    needs_shared: bool,
    /// Why it cannot run, found while planning.
    error: Option<String>,
}

fn run(args: &Arguments, print_groups: bool) -> libtest_mimic::Conclusion {
    let mut cases: Vec<&'static TestCase> = inventory::iter::<TestCase>.into_iter().collect();
    cases.sort_by_key(|c| test_name(c.module_path, c.name));
    let will_run = |name: &str, ignored: bool| {
        let probe = Trial::test(name, || Ok(())).with_ignored_flag(ignored);
        !args.list && !args.is_filtered_out(&probe) && !args.is_ignored(&probe)
    };

    // Plan every test that will run before running any.
    let mut groups: Vec<Group> = Vec::new();
    let mut planned: Vec<(String, Prepared)> = Vec::new();
    for case in &cases {
        let name = test_name(case.module_path, case.name);
        if !will_run(&name, case.ignored) {
            planned.push((name, Prepared::NotRun));
            continue;
        }
        let env = match catch_unwind(case.env) {
            Ok(env) => env,
            Err(payload) => {
                let message = panic_message(&*payload).replace("test panicked", "`env` panicked");
                planned.push((name, Prepared::EnvPanicked(message)));
                continue;
            }
        };
        let configuration = env.configuration();
        let index = match groups.iter().position(|g| g.configuration == configuration) {
            Some(i) => i,
            None => {
                groups.push(Group::new(groups.len() + 1, configuration, env));
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        group.add_test(name.clone());
        let roots = plan_test(group, (case.dependencies)());
        planned.push((name, Prepared::Planned(index, roots)));
    }
    if print_groups {
        print(&groups);
    }
    let groups: Vec<Arc<Group>> = groups.into_iter().map(Arc::new).collect();

    let mut trials: Vec<Trial> = Vec::new();
    for (case, (name, plan)) in cases.iter().copied().zip(planned) {
        let trial = match plan {
            Prepared::NotRun => Trial::test(name, || Ok(())),
            Prepared::EnvPanicked(message) => Trial::test(name, move || Err(message.into())),
            Prepared::Planned(index, roots) => {
                let group = groups[index].clone();
                let planned = Planned {
                    case,
                    needs_shared: roots.plan.as_ref().is_ok_and(|p| {
                        p.steps()
                            .iter()
                            .any(|s| group.shared_keys.contains(s.key()))
                    }),
                    error: match (&group.shared_plan, roots.plan) {
                        (Err(e), _) => Some(e.clone()),
                        (Ok(_), plan) => plan.err(),
                    },
                    roots: roots.keys,
                    group,
                };
                Trial::ignorable_test(name, move || run_planned(planned))
            }
        };
        trials.push(trial.with_ignored_flag(case.ignored));
    }
    for entry in inventory::iter::<PlanCheckTests> {
        trials.extend(plan_check_trials(entry));
    }

    let conclusion = libtest_mimic::run(args, trials);
    // A safety net: every group released after its last test already.
    for group in &groups {
        if let Err(e) = group.release(runtime()) {
            eprintln!("distage-testkit: {e}");
        }
    }
    conclusion
}

/// What planning made of a test.
enum Prepared {
    /// Filtered out or ignored: `libtest_mimic::run` will not call it.
    NotRun,
    /// Its environment function panicked: it fails with the message.
    EnvPanicked(String),
    /// In the group of this index.
    Planned(usize, Roots),
}

/// A test's roots and its plan against the whole module (no shared locator yet): planning
/// errors are found before anything runs.
struct Roots {
    keys: Vec<DIKey>,
    plan: Result<Plan, String>,
}

fn plan_test(group: &Group, dependencies: Vec<Dependency>) -> Roots {
    let bound: HashSet<&DIKey> = group.module.bindings().iter().map(|b| b.key()).collect();
    let keys: Vec<DIKey> = dependencies
        .into_iter()
        .filter_map(|dep| match dep {
            Dependency::Key {
                key,
                mode: DepMode::Optional,
            } => bound.contains(&key).then_some(key),
            Dependency::Key { key, .. } => Some(key),
            Dependency::Locator | Dependency::Logger => None,
        })
        .collect();
    let plan = plan_roots(&Injector::new(), group.module.clone(), &group.env, &keys)
        .map_err(|e| format!("the test's parameters do not plan:\n{e}"));
    Roots { keys, plan }
}

/// The plan of a test: its parameters and the integration checks of what they need.
fn plan_roots(
    injector: &Injector,
    module: Module,
    env: &TestEnv,
    keys: &[DIKey],
) -> Result<Plan, distage_core::Error> {
    let input = PlannerInput::new(module)
        .activation(env.get_activation().clone())
        .root_keys(keys.iter().cloned())
        .root_key(checks::set_key());
    injector.plan(&input)
}

/// Runs one test, then counts it finished in its group whatever happened: the last test of a
/// group releases the group's shared locator.
fn run_planned(planned: Planned) -> Result<Completion, Failed> {
    let Planned {
        case,
        group,
        roots,
        needs_shared,
        error,
    } = planned;
    let outcome = match error {
        Some(e) => Err(e),
        None => catch_unwind(AssertUnwindSafe(|| {
            run_test(case, &group, &roots, needs_shared)
        }))
        .unwrap_or_else(|payload| Err(panic_message(&*payload))),
    };
    let released = group.finish(runtime());
    match (outcome, released) {
        (Ok(completion), Ok(())) => Ok(completion),
        (Err(e), Ok(())) | (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), Err(r)) => Err(format!("{e}\n{r}").into()),
    }
}

/// Produces the test's own locator (on the shared one, if it needs it), runs the integration
/// checks not run yet, calls the test and releases the locator.
fn run_test(
    case: &TestCase,
    group: &Group,
    roots: &[DIKey],
    needs_shared: bool,
) -> Result<Completion, String> {
    let runtime = runtime();
    let shared = if needs_shared {
        match group.acquire(runtime) {
            Ok(shared) => Some(shared),
            Err(NotRun::Skipped(message)) => return Ok(Completion::ignored_with(message)),
            Err(NotRun::Failed(message)) => return Err(message),
        }
    } else {
        None
    };
    let (injector, module) = match &shared {
        Some(shared) => (
            Injector::inherit(&shared.locator),
            group.test_module.clone(),
        ),
        None => (Injector::new(), group.module.clone()),
    };
    let plan = plan_roots(&injector, module, &group.env, roots).map_err(|e| e.to_string())?;
    let locator = runtime
        .block_on(injector.produce_async(&plan))
        .map_err(|e| format!("producing the test's parameters failed:\n{e}"))?;
    let checked = shared
        .as_ref()
        .map(|s| s.checked.clone())
        .unwrap_or_default();
    if let Err(message) = runtime.block_on(checks::run(&locator, &checked)) {
        runtime
            .block_on(locator.close())
            .map_err(|e| format!("releasing the test's resources failed:\n{e}"))?;
        return Ok(Completion::ignored_with(message));
    }
    let outcome = match case.call {
        TestCall::Sync(call) => catch_unwind(AssertUnwindSafe(|| {
            // A sync test can reach the runtime too (`tokio::spawn`, `Handle::current()`).
            let _context = runtime.enter();
            with_context(&locator, call)
        }))
        .unwrap_or_else(|payload| Ok(Err(panic_message(&*payload))))
        .unwrap_or_else(|e| Err(e.to_string())),
        TestCall::Async(call) => match with_context(&locator, call) {
            Ok(future) => runtime.block_on(CatchPanic(future)),
            Err(e) => Err(e.to_string()),
        },
    };
    let closed = runtime
        .block_on(locator.close())
        .map_err(|e| format!("releasing the test's resources failed:\n{e}"));
    drop(shared);
    outcome.and(closed).map(|()| Completion::Completed)
}

fn print(groups: &[Group]) {
    println!(
        "distage-testkit: {} configuration(s) of the tests that will run",
        groups.len()
    );
    for group in groups {
        let mut shared: Vec<String> = group.shared_keys.iter().map(|k| k.to_string()).collect();
        shared.sort();
        println!(
            "group {}: {} ({} test(s)); shares [{}]",
            group.number,
            group.configuration,
            group.tests.len(),
            shared.join(", ")
        );
        for test in &group.tests {
            println!("    {test}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_name;

    #[test]
    fn names_are_libtests() {
        assert_eq!(test_name("service", "adds"), "adds");
        assert_eq!(test_name("service::pets::db", "adds"), "pets::db::adds");
    }
}
