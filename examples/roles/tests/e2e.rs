//! The example binary run as users run it: a child process, its exit code, what it prints.
//! Every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_roles-example");
const LIMIT: Duration = Duration::from_secs(30);

fn roles(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .env_remove("ROLES_HTTP__PORT")
        .env_remove("ROLES_DB__URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs to completion, killing the child if it takes longer than [`LIMIT`].
fn run(mut cmd: Command) -> Output {
    let mut child = cmd.spawn().expect("the example binary starts");
    let started = Instant::now();
    while child.try_wait().expect("waiting works").is_none() {
        if started.elapsed() > LIMIT {
            child.kill().ok();
            panic!("{cmd:?} did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output is read")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn lines(output: &Output) -> Vec<String> {
    text(&output.stdout).lines().map(str::to_string).collect()
}

/// A scratch directory of this test process, removed by the caller.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("distage-roles-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn two_tasks_run_in_the_order_given_and_everything_is_released() {
    let out = run(roles(&[":migrate", "--dry-run", ":report"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        lines(&out),
        [
            "db: open postgres://localhost/records",
            "migrate: schema of postgres://localhost/records up to date (dry run)",
            "report: records in postgres://localhost/records",
            "db: closed postgres://localhost/records",
        ]
    );
    let out = run(roles(&[":report", ":migrate"]));
    let order: Vec<String> = lines(&out)
        .into_iter()
        .filter(|l| l.starts_with("report") || l.starts_with("migrate"))
        .collect();
    assert!(
        order[0].starts_with("report:") && order[1].starts_with("migrate:"),
        "{order:?}"
    );
}

#[test]
fn only_what_the_chosen_roles_need_is_built() {
    // `:migrate` needs the database only: the cache (for `:http`) is never built.
    let out = run(roles(&[":migrate"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("cache"),
        "{}",
        text(&out.stdout)
    );
    // With the in-memory store, `:report` needs no database: none is opened, none checked.
    let out = run(roles(&["-u", "repo:dummy", ":report"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lines(&out), ["report: records in memory"]);
}

#[test]
fn an_unknown_role_is_a_usage_error_listing_the_known_ones() {
    let out = run(roles(&[":migrate", ":deploy"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("unknown role `:deploy`; known roles: :migrate, :report, :http, :stats"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "nothing runs: {}", text(&out.stdout));
}

#[test]
fn a_bad_activation_is_a_usage_error_listing_the_valid_choices() {
    let out = run(roles(&["-u", "repo:bogus", ":migrate"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("axis `Repo` has no choice `bogus`; valid: repo:{prod|dummy}"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_lists_roles_and_axes_and_no_role_prints_it() {
    let out = run(roles(&["--help"]));
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for expected in [
        ":migrate  create or upgrade the schema (task)",
        ":http     serve the records over HTTP until stopped (service)",
        ":stats    print statistics (from the metrics plugin) (task)",
        "repo: prod, dummy",
    ] {
        assert!(help.contains(expected), "{expected:?} in {help}");
    }
    let out = run(roles(&[]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no role given"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains(":report   print a summary"),
        "{}",
        text(&out.stderr)
    );

    let out = run(roles(&[":http", "--help"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("--port <PORT>"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_bad_config_value_names_its_path_type_and_line_before_anything_is_built() {
    let dir = scratch("bad-config");
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[http]\nhost = \"0.0.0.0\"\nport = \"eighty\"\n").unwrap();
    let out = run(roles(&["-c", file.to_str().unwrap(), ":http"]));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("config error at `http.port`"), "{stderr}");
    assert!(stderr.contains("expected u16"), "{stderr}");
    assert!(stderr.contains("bad.toml:3"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing is built: {}",
        text(&out.stdout)
    );

    let dir = scratch("broken-toml");
    let file = dir.join("broken.toml");
    std::fs::write(&file, "[http]\nport = = 3\n").unwrap();
    let out = run(roles(&["-c", file.to_str().unwrap(), ":migrate"]));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("broken.toml`: TOML parse error at line 2"),
        "{stderr}"
    );

    let mut cmd = roles(&[":http"]);
    cmd.env("ROLES_HTTP__PORT", "99999");
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("`http.port`"), "{stderr}");
    assert!(
        stderr.contains("environment variable `ROLES_HTTP__PORT`"),
        "{stderr}"
    );
}

#[test]
fn an_environment_variable_overrides_the_file() {
    let mut cmd = roles(&[":migrate"]);
    cmd.env("ROLES_DB__URL", "sqlite://records.db");
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lines(&out)[0], "db: open sqlite://records.db");
}

#[test]
fn check_passes_on_the_example_and_lists_each_broken_configuration_otherwise() {
    let out = run(roles(&["--check"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("4 role(s) x 2 configuration(s)"),
        "{stdout}"
    );
    assert!(stdout.contains(":http ok"), "{stdout}");

    // Without `roles.toml`, a file with the `http` section only: every configuration that
    // needs the database lacks its section; the in-memory ones of `:report` do not.
    let dir = scratch("check");
    std::fs::write(dir.join("http.toml"), "[http]\nhost = \"h\"\nport = 1\n").unwrap();
    let mut cmd = roles(&["--check", "-c", "http.toml"]);
    cmd.current_dir(&dir);
    let out = run(cmd);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(":migrate broken"), "{stderr}");
    assert!(
        stderr.contains("missing config section `db` (read as `DbConfig`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("in 1 configuration(s): {Repo::Prod}"),
        "{stderr}"
    );
    assert!(stderr.contains("4 role(s) broken"), "{stderr}");
    assert!(!stderr.contains("db: open"), "nothing produced");
}

#[test]
fn a_failing_task_exits_non_zero_after_releasing_everything() {
    let out = run(roles(&[":report", "--fail", ":migrate"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("task `:report` failed: the report failed on purpose"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        lines(&out),
        [
            "db: open postgres://localhost/records",
            "db: closed postgres://localhost/records"
        ],
        "`:migrate` never runs"
    );
}

#[test]
fn a_failing_integration_check_stops_start_up_and_releases() {
    let mut cmd = roles(&[":migrate"]);
    cmd.env("ROLES_DB__URL", "postgres://unreachable/db");
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "integration check of `Db` failed: cannot reach the database at postgres://unreachable/db"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        lines(&out),
        [
            "db: open postgres://unreachable/db",
            "db: closed postgres://unreachable/db"
        ]
    );
}

#[test]
fn a_plugin_role_is_collected() {
    let out = run(roles(&["-u", "repo:dummy", ":stats"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lines(&out), ["stats: 0 requests, records in memory"]);
}

/// Reads the child's stdout on a thread, so waiting for a line can time out.
fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(rx: &mpsc::Receiver<String>, prefix: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let found = line.starts_with(prefix);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(_) => panic!("no line starting with {prefix:?} within {LIMIT:?}; saw {seen:?}"),
        }
    }
}

fn terminate(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("`kill` runs");
    assert!(status.success());
}

fn wait_bounded(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > LIMIT {
            child.kill().ok();
            panic!("the service did not stop within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
#[cfg(unix)]
fn a_service_stops_on_sigterm_and_releases_in_reverse_order() {
    let mut child = roles(&[":http", "--port", "9191"]).spawn().unwrap();
    let rx = stdout_lines(&mut child);
    let mut seen = Vec::new();
    wait_for(&rx, "http: serving", &mut seen);
    terminate(child.id());
    let status = wait_bounded(&mut child);
    seen.extend(rx.iter());
    assert_eq!(status.code(), Some(0), "{seen:?}");
    assert_eq!(
        seen,
        [
            "db: open postgres://localhost/records",
            "cache: warm",
            "http: serving records in postgres://localhost/records on 127.0.0.1:9191",
            "http: stopped",
            "cache: dropped",
            "db: closed postgres://localhost/records",
        ],
        "the role's own `--port` reaches it; release is the reverse of acquisition"
    );
}

#[test]
#[cfg(unix)]
fn a_second_signal_exits_at_once_without_waiting_for_the_services() {
    let mut child = roles(&[":http", "--drain-secs", "60"]).spawn().unwrap();
    let rx = stdout_lines(&mut child);
    let mut seen = Vec::new();
    wait_for(&rx, "http: serving", &mut seen);
    terminate(child.id());
    wait_for(&rx, "http: draining", &mut seen);
    let asked = Instant::now();
    terminate(child.id());
    let status = wait_bounded(&mut child);
    assert!(
        asked.elapsed() < Duration::from_secs(20),
        "it did not wait for the drain"
    );
    assert_eq!(status.code(), Some(130));
    seen.extend(rx.iter());
    assert!(
        !seen.iter().any(|l| l.starts_with("db: closed")),
        "{seen:?}"
    );
}

#[test]
fn a_role_argument_mistake_is_a_usage_error() {
    let out = run(roles(&[":http", "--prot", "1"]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unexpected argument '--prot'"), "{stderr}");
    assert!(stderr.contains("Usage: roles :http"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_plan_of_the_chosen_roles_is_printed_without_building_anything() {
    let out = run(roles(&["--print-plan", "-u", "repo:dummy", ":report"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(plan.contains("roots: Report"), "{plan}");
    assert!(plan.contains("MemoryStore [Repo::Dummy]"), "{plan}");
    assert!(plan.contains("left out"), "{plan}");
    assert!(
        plan.contains("DbStore [Repo::Prod]"),
        "the choice it beat: {plan}"
    );
    assert!(!plan.contains("db: open"), "{plan}");
    let out = run(roles(&["--print-plan", "mermaid", ":migrate"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("flowchart LR"),
        "{}",
        text(&out.stdout)
    );
    let out = run(roles(&["--print-plan", "dot", ":migrate"]));
    assert!(
        text(&out.stdout).starts_with("digraph plan {"),
        "{}",
        text(&out.stdout)
    );
}
