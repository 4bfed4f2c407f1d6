//! Producing the plan and running the roles: services concurrently, tasks in order, signals
//! turned into a graceful shutdown, everything released in reverse order at the end.

use std::str::FromStr;
use std::sync::Arc;

use distage_core::{AsyncLocator, Injector, Plan};
use tokio::task::JoinSet;

use super::{Exit, list};
use crate::check::run_integration_checks;
use crate::role::{RoleEntry, RoleKind, Shutdown, ShutdownTrigger};

/// Installs a `tracing` subscriber writing to stderr, filtered by `--log-level`, else
/// `RUST_LOG` (`info`, `my_app=debug,info`), else `info` — unless the program installed one.
pub(crate) fn install_tracing(level: Option<&str>) -> Result<(), Exit> {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;

    if tracing::dispatcher::has_been_set() {
        return Ok(());
    }
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    if let Some(l) = level
        && !LEVELS.contains(&l.to_ascii_lowercase().as_str())
    {
        return Err(Exit::usage(format!(
            "invalid --log-level `{l}`; valid: {}",
            LEVELS.join(", ")
        )));
    }
    let spec = match level {
        Some(l) => l.to_string(),
        None => std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_string()),
    };
    let filter = Targets::from_str(&spec).map_err(|e| {
        let source = if level.is_some() {
            "--log-level"
        } else {
            "RUST_LOG"
        };
        Exit::usage(format!("invalid {source} `{spec}`: {e}"))
    })?;
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::TRACE)
        .finish()
        .with(filter);
    // Another thread may have installed one in between: theirs wins.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}

/// Produces `plan`, runs the integration checks and the roles, and releases everything.
pub(crate) fn run(plan: Plan, roles: Vec<(RoleEntry, clap::ArgMatches)>) -> Result<(), Exit> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Exit::failure(format!("cannot start the tokio runtime: {e}")))?;
    runtime.block_on(async move {
        let (trigger, shutdown) = Shutdown::new();
        let trigger = Arc::new(trigger);
        // Installed before anything is produced, so no signal falls to the default handler.
        let signals = Signals::install();
        let watcher = tokio::spawn(watch_signals(signals, trigger.clone()));
        let outcome = produce_and_run(plan, roles, &trigger, shutdown).await;
        watcher.abort();
        outcome
    })
}

async fn produce_and_run(
    plan: Plan,
    roles: Vec<(RoleEntry, clap::ArgMatches)>,
    stop: &ShutdownTrigger,
    stopping: Shutdown,
) -> Result<(), Exit> {
    let locator = Injector::new()
        .produce_async(&plan)
        .await
        .map_err(Exit::failure)?;
    if let Err(failures) = run_integration_checks(&locator).await {
        return release(locator, Err(list("integration check", &failures))).await;
    }
    let outcome = run_roles(&locator, roles, stop, stopping).await;
    release(locator, outcome).await
}

/// Releases everything; a release failure is reported after the roles' own outcome.
async fn release(locator: AsyncLocator, outcome: Result<(), String>) -> Result<(), Exit> {
    let released = locator.close().await;
    match (outcome, released) {
        (Ok(()), Ok(())) => Ok(()),
        (Ok(()), Err(e)) => Err(Exit::failure(e)),
        (Err(role), Ok(())) if role == INTERRUPTED => Err(Exit {
            code: 130,
            stdout: None,
            stderr: Some(format!("error: {role}")),
        }),
        (Err(role), Ok(())) => Err(Exit::failure(role)),
        (Err(role), Err(e)) => Err(Exit::failure(format!("{role}\nthen: {e}"))),
    }
}

const INTERRUPTED: &str = "interrupted by a signal before the tasks finished";

/// Starts every service, runs the tasks in order, then waits for a signal (or for the
/// services to end); any failure stops the others.
async fn run_roles(
    locator: &AsyncLocator,
    roles: Vec<(RoleEntry, clap::ArgMatches)>,
    stop: &ShutdownTrigger,
    stopping: Shutdown,
) -> Result<(), String> {
    let mut services = JoinSet::new();
    let mut failures: Vec<String> = Vec::new();
    for (entry, args) in roles.iter().filter(|(r, _)| r.kind() == RoleKind::Service) {
        match entry.start(locator, args, stopping.clone()) {
            Ok(serve) => {
                let id = entry.id();
                tracing::info!(role = id, "service started");
                services.spawn(async move { (id, serve.await) });
            }
            Err(e) => failures.push(format!("service `:{}` did not start: {e}", entry.id())),
        }
    }
    let mut interrupted = false;
    if failures.is_empty() {
        for (entry, args) in roles.iter().filter(|(r, _)| r.kind() == RoleKind::Task) {
            if stopping.is_requested() {
                interrupted = true;
                break;
            }
            tracing::info!(role = entry.id(), "task started");
            let task = match entry.start(locator, args, stopping.clone()) {
                Ok(task) => task,
                Err(e) => {
                    failures.push(format!("task `:{}` did not start: {e}", entry.id()));
                    break;
                }
            };
            tokio::select! {
                done = task => match done {
                    Ok(()) => tracing::info!(role = entry.id(), "task done"),
                    Err(e) => {
                        failures.push(format!("task `:{}` failed: {e}", entry.id()));
                        break;
                    }
                },
                () = stopping.clone().wait() => {
                    interrupted = true;
                    break;
                }
            }
        }
    }
    if failures.is_empty() && !interrupted && !services.is_empty() {
        // Serve until a signal, or until every service has returned.
        loop {
            tokio::select! {
                () = stopping.clone().wait() => break,
                joined = services.join_next() => match joined {
                    None => break,
                    Some(joined) => {
                        if let Some(failure) = service_failure(joined) {
                            failures.push(failure);
                            break;
                        }
                    }
                },
            }
        }
    }
    // Stop what still runs and wait for it to return.
    stop.trigger();
    while let Some(joined) = services.join_next().await {
        if let Some(failure) = service_failure(joined) {
            failures.push(failure);
        }
    }
    if !failures.is_empty() {
        Err(failures.join("\n"))
    } else if interrupted {
        Err(INTERRUPTED.to_string())
    } else {
        Ok(())
    }
}

fn service_failure(
    joined: Result<(&'static str, Result<(), distage_core::BoxError>), tokio::task::JoinError>,
) -> Option<String> {
    match joined {
        Ok((id, Ok(()))) => {
            tracing::info!(role = id, "service stopped");
            None
        }
        Ok((id, Err(e))) => Some(format!("service `:{id}` failed: {e}")),
        Err(e) => Some(format!("a service panicked: {e}")),
    }
}

/// The first SIGINT or SIGTERM asks everything to stop; the second exits at once.
async fn watch_signals(mut signals: Signals, trigger: Arc<ShutdownTrigger>) {
    let mut received = 0;
    loop {
        let name = signals.next().await;
        received += 1;
        if received == 1 {
            tracing::info!(
                signal = name,
                "stopping: services are asked to stop, then everything is released"
            );
            trigger.trigger();
        } else {
            eprintln!("{name} again: exiting at once, without releasing");
            std::process::exit(130);
        }
    }
}

/// SIGTERM and SIGINT (Ctrl-C elsewhere than on Unix).
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => Some((term, int)),
            _ => {
                tracing::warn!("cannot listen for SIGTERM and SIGINT");
                None
            }
        };
        Signals { streams }
    }

    #[cfg(not(unix))]
    fn install() -> Self {
        Signals {}
    }

    #[cfg(unix)]
    async fn next(&mut self) -> &'static str {
        let Some((term, int)) = &mut self.streams else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}
