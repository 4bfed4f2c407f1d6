//! Checks of the inner run: this binary started again (as a testkit harness) with arguments,
//! its output and its log read back. Each run is bounded by a timeout.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

/// What one inner run did.
struct Run {
    success: bool,
    stdout: String,
    log: Vec<String>,
}

impl Run {
    fn count(&self, line: &str) -> usize {
        self.log.iter().filter(|l| *l == line).count()
    }

    fn position(&self, line: &str) -> Option<usize> {
        self.log.iter().position(|l| l == line)
    }

    /// The index of the last line starting with `prefix`.
    fn last_starting(&self, prefix: &str) -> Option<usize> {
        self.log.iter().rposition(|l| l.starts_with(prefix))
    }

    fn ended(&self, label: &str) -> usize {
        let prefix = format!("end {label} ");
        self.log.iter().filter(|l| l.starts_with(&prefix)).count()
    }
}

/// Runs this binary as the testkit harness with `args`, killing it after a minute.
fn inner(args: &[&str], env: &[(&str, &str)]) -> Result<Run, Failed> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let log: PathBuf = std::env::temp_dir().join(format!(
        "distage-testkit-demo-{}-{n}.log",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&log);
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .args(args)
        .env(crate::LOG_VAR, &log)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawning the inner run: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        out
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the inner run took more than a minute".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = reader.join().map_err(|_| "reading stdout panicked")?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    Ok(Run {
        success: status.success(),
        stdout,
        log: text.lines().map(str::to_string).collect(),
    })
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(what().into()) }
}

/// The whole run, concurrently: one acquisition and one release of the shared `Db` per
/// configuration, each release after the last test of its configuration, the panicking test
/// included; per-test resources released as often as acquired; a failing integration check
/// skips the tests that need its resource, with its message.
fn whole_run() -> Result<(), Failed> {
    let run = inner(&["--test-threads", "4"], &[])?;
    let context = || format!("stdout:\n{}\nlog:\n{}", run.stdout, run.log.join("\n"));
    check(!run.success, || {
        format!("a test panics: the run fails\n{}", context())
    })?;
    for label in ["dummy", "prod"] {
        let acquire = format!("acquire db {label}");
        let release = format!("release db {label}");
        check(run.count(&acquire) == 1 && run.count(&release) == 1, || {
            format!(
                "one acquisition and one release of the {label} db\n{}",
                context()
            )
        })?;
        let released = run.position(&release).unwrap_or(0);
        let last_end = run
            .last_starting(&format!("end {label} "))
            .unwrap_or(usize::MAX);
        check(released > last_end, || {
            format!(
                "the {label} db is released after its last test\n{}",
                context()
            )
        })?;
    }
    check(run.ended("dummy") == 6 && run.ended("prod") == 4, || {
        format!(
            "six dummy and four prod tests ran (the ignored one not)\n{}",
            context()
        )
    })?;
    check(run.count("end none without_the_db") == 1, context)?;
    let conns = run.count("acquire conn");
    check(conns == 3 && run.count("release conn") == conns, || {
        format!(
            "each test's own conn released, the panicking one's too\n{}",
            context()
        )
    })?;
    for (name, outcome) in [
        ("prod::panics", "FAILED"),
        ("prod::the_override_wins", "ok"),
        ("dummy::runs_async", "ok"),
        ("dummy::ignored_unless_asked", "ignored"),
        ("plan_check::DemoModule::repo:prod", "ok"),
        ("plan_check::DemoModule::repo:dummy", "ok"),
        ("plan_check::Broken::repo:dummy", "ok"),
        ("plan_check::Broken::repo:prod", "FAILED"),
        ("checked::runs_when_its_check_passes", "ok"),
        ("hygiene::hygienic", "ok"),
        ("checked::sync_tests_reach_tokio", "ok"),
        ("env_panics", "FAILED"),
        ("plan_check::RolesModule::migrate::repo:prod", "ok"),
        ("plan_check::RolesModule::report::repo:dummy", "ok"),
    ] {
        // libtest pads the names: `test NAME    ... ok`.
        let start = format!("test inner::{name} ");
        let end = format!("... {outcome}");
        let found = run
            .stdout
            .lines()
            .any(|l| l.starts_with(&start) && l.ends_with(&end));
        check(found, || format!("`{start}{end}`\n{}", context()))?;
    }
    check(run.stdout.contains("deliberately"), context)?;
    check(
        run.stdout.contains("`env` panicked: no environment today")
            && run.count("end none env_panics") == 0,
        || format!("a panicking env fails its test\n{}", context()),
    )?;
    for name in ["skipped_by_a_memoized_check", "skipped_by_its_own_check"] {
        let line =
            "... ignored (integration check of `Unreachable` failed: the service does not answer)";
        let start = format!("test inner::checked::{name} ");
        let found = run
            .stdout
            .lines()
            .any(|l| l.starts_with(&start) && l.ends_with(line));
        check(found, || {
            format!("{name} is skipped with the check's message\n{}", context())
        })?;
        check(run.count(&format!("end none {name}")) == 0, context)?;
    }
    check(
        run.count("acquire unreachable") == 2 && run.count("release unreachable") == 2,
        || {
            format!(
                "the unchecked resource is released, memoized or not\n{}",
                context()
            )
        },
    )?;
    check(run.stdout.contains("Repo::Prod"), || {
        format!("the broken configuration's failure names it\n{}", context())
    })
}

/// `cargo test NAME --exact`: one test runs, its configuration's `Db` is acquired and released
/// once, the other configuration's not at all.
fn filtered_run() -> Result<(), Failed> {
    let run = inner(&["inner::dummy::sets", "--exact"], &[])?;
    let context = || format!("stdout:\n{}\nlog:\n{}", run.stdout, run.log.join("\n"));
    check(run.success, context)?;
    check(
        run.log == ["acquire db dummy", "end dummy sets", "release db dummy"],
        context,
    )?;
    check(run.stdout.contains("1 passed"), context)
}

/// `--list` lists every test, plan checks included, and runs nothing.
fn list() -> Result<(), Failed> {
    let run = inner(&["--list"], &[])?;
    let context = || format!("stdout:\n{}\nlog:\n{}", run.stdout, run.log.join("\n"));
    check(run.success && run.log.is_empty(), context)?;
    for name in [
        "inner::dummy::reads_the_shared_db: test",
        "inner::prod::async_with_conn: test",
        "inner::plan_check::DemoModule::repo:dummy: test",
        "inner::plan_check::DemoModule::repo:prod: test",
        "inner::plan_check::Broken::repo:prod: test",
        "inner::plan_check::RolesModule::migrate::repo:dummy: test",
        "inner::plan_check::RolesModule::migrate::repo:prod: test",
        "inner::plan_check::RolesModule::report::repo:dummy: test",
        "inner::plan_check::RolesModule::report::repo:prod: test",
    ] {
        check(run.stdout.contains(name), || {
            format!("`{name}`\n{}", context())
        })?;
    }
    let tests = run.stdout.lines().filter(|l| l.ends_with(": test")).count();
    check(tests == 18 + 8, || {
        format!("18 tests and 8 plan checks\n{}", context())
    })
}

/// `--ignored` runs only the ignored test, with its configuration's `Db`.
fn ignored_run() -> Result<(), Failed> {
    let run = inner(&["--ignored", "inner::dummy"], &[])?;
    let context = || format!("stdout:\n{}\nlog:\n{}", run.stdout, run.log.join("\n"));
    check(run.success, context)?;
    check(
        run.log
            == [
                "acquire db dummy",
                "end dummy ignored_unless_asked",
                "release db dummy",
            ],
        context,
    )
}

/// `DISTAGE_TESTKIT_GROUPS=1` (or `--distage-groups`) prints which tests share what.
fn groups_printed() -> Result<(), Failed> {
    for (args, env) in [
        (&["inner::prod::", "--distage-groups"][..], &[][..]),
        (
            &["inner::prod::"][..],
            &[("DISTAGE_TESTKIT_GROUPS", "1")][..],
        ),
    ] {
        let run = inner(args, env)?;
        let context = || format!("stdout:\n{}", run.stdout);
        check(run.stdout.contains("1 configuration(s)"), context)?;
        check(
            run.stdout.contains("group 1: activation {Repo::Prod}"),
            context,
        )?;
        check(run.stdout.contains("(5 test(s)); shares [Db]"), context)?;
        check(
            run.stdout.contains("    inner::prod::the_override_wins"),
            context,
        )?;
    }
    Ok(())
}

type Check = fn() -> Result<(), Failed>;

pub fn run() -> ExitCode {
    let args = Arguments::from_args();
    let checks: [(&str, Check); 5] = [
        ("whole_run", whole_run),
        ("filtered_run", filtered_run),
        ("list", list),
        ("ignored_run", ignored_run),
        ("groups_printed", groups_printed),
    ];
    let trials = checks
        .into_iter()
        .map(|(name, f)| Trial::test(format!("outer::{name}"), f))
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
