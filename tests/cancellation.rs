//! Regression tests for the reproducers of issue 12 (items 1–4): releases survive a dropped
//! `close()` / `produce_async` future, a panicking `Drop` never aborts, and closing a parent while
//! children are produced from it never releases a parent resource before a child resource that
//! depends on it — nor before a child whose production fails meanwhile is gone.
//!
//! The random campaign over the same promises is `tests/faults.rs`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use distage::prelude::*;
use distage::{BoxError, DIKey, Error, Failure, StepTarget};
use tokio::time::{sleep, timeout};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

struct X;
struct Y;
struct Z;

/// X: a sync resource. Y: an async resource depending on X whose release takes 50 ms.
fn x_and_slow_y(m: &mut distage::ModuleBuilder, log: &Log) {
    let l = log.clone();
    m.make::<X>().from_resource(move || {
        let (a, r) = (l.clone(), l.clone());
        Lifecycle::make(
            move || {
                a.push("X acquired");
                X
            },
            move |_| r.push("X released"),
        )
    });
    let l = log.clone();
    m.make::<Y>().from_resource_async(move |_x: Arc<X>| {
        let (a, r) = (l.clone(), l.clone());
        Lifecycle::make_async(
            async move {
                a.push("Y acquired");
                Y
            },
            move |_| async move {
                r.push("Y release started");
                sleep(Duration::from_millis(50)).await;
                r.push("Y release finished");
            },
        )
    });
}

const X_THEN_Y_RELEASED: [&str; 5] = [
    "X acquired",
    "Y acquired",
    "Y release started",
    "Y release finished",
    "X released",
];

fn plan(module: Module) -> Plan {
    Injector::new().plan(&PlannerInput::new(module)).unwrap()
}

/// Issue 12, item 1.
async fn close_cut_off_by_a_timeout() -> Vec<String> {
    let log = Log::default();
    let plan = plan(Module::build(|m| x_and_slow_y(m, &log)));
    let locator = Injector::new().produce_async(&plan).await.unwrap();
    let outcome = timeout(Duration::from_millis(10), locator.close()).await;
    assert!(
        outcome.is_err(),
        "the 50 ms release should outlast the 10 ms timeout"
    );
    sleep(Duration::from_millis(200)).await;
    log.entries()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_close_future_still_releases_everything() {
    assert_eq!(close_cut_off_by_a_timeout().await, X_THEN_Y_RELEASED);
}

#[tokio::test(flavor = "current_thread")]
async fn dropped_close_future_still_releases_everything_on_a_current_thread_runtime() {
    assert_eq!(close_cut_off_by_a_timeout().await, X_THEN_Y_RELEASED);
}

/// Issue 12, item 2: Z fails once X and Y are acquired; the clean-up (Y's 50 ms release) is cut
/// off by the timeout.
async fn produce_cut_off_while_cleaning_up() -> Vec<String> {
    let log = Log::default();
    let plan = plan(Module::build(|m| {
        x_and_slow_y(m, &log);
        m.make::<Z>()
            .from_try_async(|_y: Arc<Y>| async move { Err::<Z, BoxError>("Z failed".into()) });
    }));
    let outcome = timeout(
        Duration::from_millis(10),
        Injector::new().produce_async(&plan),
    )
    .await;
    assert!(
        outcome.is_err(),
        "the 50 ms clean-up should outlast the 10 ms timeout, got {:?}",
        outcome.map(|r| r.map(|_| ()))
    );
    sleep(Duration::from_millis(200)).await;
    log.entries()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_produce_future_after_a_failure_still_releases_everything() {
    assert_eq!(produce_cut_off_while_cleaning_up().await, X_THEN_Y_RELEASED);
}

#[tokio::test(flavor = "current_thread")]
async fn dropped_produce_future_after_a_failure_still_releases_everything_on_a_current_thread_runtime()
 {
    assert_eq!(produce_cut_off_while_cleaning_up().await, X_THEN_Y_RELEASED);
}

/// The failure itself is still reported when nobody cuts the clean-up off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_after_two_acquisitions_names_the_failing_key_and_releases_both() {
    let log = Log::default();
    let plan = plan(Module::build(|m| {
        x_and_slow_y(m, &log);
        m.make::<Z>()
            .from_try_async(|_y: Arc<Y>| async move { Err::<Z, BoxError>("Z failed".into()) });
    }));
    let Err(Error::Produce(e)) = Injector::new().produce_async(&plan).await else {
        panic!("producing must fail");
    };
    assert_eq!(e.target, StepTarget::Key(DIKey::of::<Z>()));
    assert!(matches!(&e.cause, Failure::Error(c) if c.to_string() == "Z failed"));
    assert_eq!(log.entries(), X_THEN_Y_RELEASED);
}

/// W's `Drop` panics.
struct W;

const W_DROP_PANIC: &str = "W's Drop panicked (on purpose)";

impl Drop for W {
    fn drop(&mut self) {
        panic!("{W_DROP_PANIC}");
    }
}

struct V;
struct A;

/// Set to a test's name, that test runs its scenario itself (in a child process) rather than
/// spawning it.
const CHILD: &str = "DISTAGE_CANCELLATION_CHILD";
const CHILD_DONE: &str = "child scenario finished";

/// Runs `scenario` in a child process (this test binary, filtered to `test`), since an abort
/// would take the whole test binary down; fails unless the child exits normally after
/// `scenario` returned.
fn in_a_child_process(test: &str, scenario: fn()) {
    if std::env::var(CHILD).is_ok_and(|t| t == test) {
        scenario();
        println!("{CHILD_DONE}");
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Without the backtrace frames a panic during a panic prints regardless.
    let stderr: Vec<&str> = std::str::from_utf8(&output.stderr)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with(' '))
        .collect();
    let stderr = stderr.join("\n");
    assert!(
        output.status.success() && stdout.contains(CHILD_DONE),
        "the child process failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
}

/// V (sync resource) ← W (its `Drop` panics) ← A (async resource, 50 ms release).
fn v_w_a(log: &Log) -> Plan {
    plan(Module::build(|m| {
        let l = log.clone();
        m.make::<V>().from_resource(move || {
            let (a, r) = (l.clone(), l.clone());
            Lifecycle::make(
                move || {
                    a.push("V acquired");
                    V
                },
                move |_| r.push("V released"),
            )
        });
        m.make::<W>().from_fn(|_v: Arc<V>| W);
        let l = log.clone();
        m.make::<A>().from_resource_async(move |_w: Arc<W>| {
            let (a, r) = (l.clone(), l.clone());
            Lifecycle::make_async(
                async move {
                    a.push("A acquired");
                    A
                },
                move |_| async move {
                    r.push("A release started");
                    sleep(Duration::from_millis(50)).await;
                    r.push("A release finished");
                },
            )
        });
    }))
}

const V_W_A_RELEASED: [&str; 5] = [
    "V acquired",
    "A acquired",
    "A release started",
    "A release finished",
    "V released",
];

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Issue 12, item 3: `close()` of V ← W ← A is cut off by a timeout. No panic reaches the caller,
/// and V and A are released.
fn close_cut_off_with_a_panicking_drop() {
    let log = Log::default();
    let plan = v_w_a(&log);
    let runtime = multi_thread_runtime();
    let escaped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async {
            let locator = Injector::new().produce_async(&plan).await.unwrap();
            let _ = timeout(Duration::from_millis(10), locator.close()).await;
        })
    }))
    .err()
    .map(|p| panic_message(&*p));
    runtime.block_on(async { sleep(Duration::from_millis(200)).await });
    let log = log.entries();
    assert!(
        escaped.is_none() && log == V_W_A_RELEASED,
        "panic escaped the dropped close future: {escaped:?}\nlog:      {log:?}\nexpected: \
         {V_W_A_RELEASED:?}"
    );
}

#[test]
fn a_panicking_drop_under_a_dropped_close_future_does_not_abort() {
    in_a_child_process(
        "a_panicking_drop_under_a_dropped_close_future_does_not_abort",
        close_cut_off_with_a_panicking_drop,
    );
}

const UNRELATED: &str = "an unrelated panic while a close future is alive (on purpose)";

/// Issue 12, item 3, the abort itself: a task's own panic unwinds through a `close()` future it
/// started (A's release in flight), so the future is dropped during unwinding, and W's `Drop`
/// must not panic then. The task fails with its own panic; V and A are still released.
fn close_future_dropped_while_unwinding() {
    let log = Log::default();
    let plan = v_w_a(&log);
    let runtime = multi_thread_runtime();
    let task = runtime.spawn(async move {
        let locator = Injector::new().produce_async(&plan).await.unwrap();
        let mut close = std::pin::pin!(locator.close());
        let _ = timeout(Duration::from_millis(10), &mut close).await;
        panic!("{UNRELATED}");
    });
    let joined = runtime.block_on(task);
    let panic = match joined {
        Err(e) if e.is_panic() => panic_message(&*e.into_panic()),
        other => format!("not a panic: {other:?}"),
    };
    assert_eq!(panic, UNRELATED, "the task must fail with its own panic");
    runtime.block_on(async { sleep(Duration::from_millis(200)).await });
    assert_eq!(log.entries(), V_W_A_RELEASED);
}

#[test]
fn a_close_future_dropped_while_unwinding_does_not_abort() {
    in_a_child_process(
        "a_close_future_dropped_while_unwinding_does_not_abort",
        close_future_dropped_while_unwinding,
    );
}

/// What the resources of the close-while-children-produce tests record: `(who, event)`, in
/// order.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<(String, &'static str)>>>);

impl Events {
    fn push(&self, who: &str, what: &'static str) {
        self.0.lock().unwrap().push((who.to_string(), what));
    }

    /// A sync resource logging `acquired`, then `release started` and `released`.
    fn resource<T: Send + Sync + 'static>(&self, who: String, value: T) -> Lifecycle<T> {
        let (a, r, w) = (self.clone(), self.clone(), who.clone());
        Lifecycle::make(
            move || {
                a.push(&who, "acquired");
                value
            },
            move |_| {
                r.push(&w, "release started");
                r.push(&w, "released");
            },
        )
    }
}

struct P;
struct M;
struct C;
struct Slow;

/// What `who` depends on, directly or not: `p{k}` on every `p{j}` with `j < k`, `m` on `p3`,
/// a child on the resource its name ends with.
fn ancestors(who: &str) -> Vec<String> {
    let below_p = |k: usize| (0..k).map(|j| format!("p{j}")).collect::<Vec<_>>();
    if let Some(k) = who.strip_prefix('p') {
        return below_p(k.parse().unwrap());
    }
    if who == "m" {
        return below_p(4);
    }
    let parent = who.rsplit(' ').next().unwrap();
    let mut all = vec![parent.to_string()];
    all.extend(ancestors(parent));
    all
}

/// Issue 12, item 4, `rounds` times: four parent resources `p0..p3` (async-released, `p{i}`
/// depending on `p{i-1}`) in a root locator; with `with_mid`, a locator produced from the root holds
/// `m` (depending on `p3`) and the children are produced from it. Three threads produce
/// children (each a resource depending on a parent resource, then a 300 µs constructor) while
/// the root is closed. Returns
/// the violations: a child resource released after, or acquired after, a resource it depends on
/// started releasing; a resource not released exactly once.
fn close_root_while_children_produce(rounds: u64, with_mid: bool) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut violations = Vec::new();
    let mut children = 0;
    for round in 0..rounds {
        let events = Events::default();
        let parents = Module::build(|m| {
            for i in 0..4 {
                let (e, r) = (events.clone(), events.clone());
                let make = m.make::<P>().named(format!("p{i}"));
                let lifecycle = move || {
                    let (e, r) = (e.clone(), r.clone());
                    let who = format!("p{i}");
                    e.push(&who, "acquired");
                    Lifecycle::make_async(async move { P }, move |_| async move {
                        r.push(&who, "release started");
                        tokio::task::yield_now().await;
                        r.push(&who, "released");
                    })
                };
                if i == 0 {
                    make.from_resource_async(lifecycle);
                } else {
                    make.from_resource_async(
                        Functoid::of(move |_: Arc<P>| lifecycle()).named(0, format!("p{}", i - 1)),
                    );
                }
            }
        });
        let root = runtime
            .block_on(Injector::new().produce_async(&plan(parents)))
            .unwrap();
        let mid = with_mid.then(|| {
            let e = events.clone();
            let module = Module::build(|m| {
                m.make::<M>().from_resource(
                    Functoid::of(move |_: Arc<P>| e.resource("m".to_string(), M)).named(0, "p3"),
                );
            });
            let injector = Injector::inherit(&root);
            injector
                .produce(&injector.plan(&PlannerInput::new(module)).unwrap())
                .unwrap()
        });
        let started = Arc::new(AtomicBool::new(false));
        let produced = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..3)
            .map(|t| {
                let injector = match &mid {
                    Some(mid) => Injector::inherit(mid),
                    None => Injector::inherit(&root),
                };
                let (events, started, produced) =
                    (events.clone(), started.clone(), produced.clone());
                std::thread::spawn(move || {
                    started.store(true, Ordering::Release);
                    for c in 0..30 {
                        let e = events.clone();
                        let module = Module::build(|m| {
                            // Producing the child takes a while: the root's close lands in it.
                            m.make::<Slow>().from_fn(|_: Arc<C>| {
                                std::thread::sleep(Duration::from_micros(300));
                                Slow
                            });
                            let make = m.make::<C>();
                            if with_mid {
                                let who = format!("child {t}.{c} on m");
                                make.from_resource(move |_: Arc<M>| e.resource(who.clone(), C));
                            } else {
                                let parent = format!("p{}", (t + c) % 4);
                                let who = format!("child {t}.{c} on {parent}");
                                make.from_resource(
                                    Functoid::of(move |_: Arc<P>| e.resource(who.clone(), C))
                                        .named(0, parent),
                                );
                            }
                        });
                        let Ok(plan) = injector.plan(&PlannerInput::new(module)) else {
                            continue;
                        };
                        // Failing because the parent is closing is fine; releasing late is not.
                        if let Ok(child) = injector.produce(&plan) {
                            produced.fetch_add(1, Ordering::Relaxed);
                            std::thread::yield_now();
                            let _ = child.close();
                        }
                    }
                })
            })
            .collect();
        while !started.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_micros(200 * (round % 5)));
        let closed = runtime.block_on(root.close());
        for t in threads {
            t.join().unwrap();
        }
        drop(mid);
        let log = events.0.lock().unwrap().clone();
        if let Err(e) = closed {
            violations.push(format!("round {round}: close failed: {e}"));
        }
        check_release_order(round, &log, &mut violations);
        children += produced.load(Ordering::Relaxed);
    }
    eprintln!("{rounds} rounds, {children} children produced");
    violations
}

fn check_release_order(round: u64, log: &[(String, &'static str)], violations: &mut Vec<String>) {
    let position = |who: &str, what: &str| {
        log.iter()
            .position(|(w, e)| w == who && *e == what)
            .unwrap_or(usize::MAX)
    };
    let count = |who: &str, what: &str| log.iter().filter(|(w, e)| w == who && *e == what).count();
    let acquired: BTreeSet<&str> = log
        .iter()
        .filter(|(_, e)| *e == "acquired")
        .map(|(w, _)| w.as_str())
        .collect();
    for who in &acquired {
        let (a, s, r) = (
            count(who, "acquired"),
            count(who, "release started"),
            count(who, "released"),
        );
        if (a, s, r) != (1, 1, 1) {
            violations.push(format!(
                "round {round}: `{who}` acquired {a} time(s), release started {s}, finished {r}"
            ));
        }
        for dep in ancestors(who) {
            let dep_release = position(&dep, "release started");
            if position(who, "acquired") > dep_release {
                violations.push(format!(
                    "round {round}: `{who}` acquired after `{dep}` started releasing"
                ));
            }
            if position(who, "released") > dep_release {
                violations.push(format!(
                    "round {round}: `{who}` released after `{dep}` started releasing"
                ));
            }
        }
    }
    for (who, what) in log {
        if !acquired.contains(who.as_str()) {
            violations.push(format!("round {round}: `{who}` {what} but never acquired"));
        }
    }
}

fn assert_no_violations(violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "{} violations, the first ones:\n{}",
        violations.len(),
        violations[..violations.len().min(20)].join("\n")
    );
}

/// 200 rounds, since the race is not hit every time.
#[test]
fn closing_a_root_while_children_are_produced_never_releases_a_parent_resource_first() {
    assert_no_violations(close_root_while_children_produce(200, false));
}

/// The same through a locator in between (`Injector::inherit(&mid)`): closing the root closes
/// `mid` and the children produced from it, innermost first.
#[test]
fn closing_a_root_while_grandchildren_are_produced_never_releases_an_ancestor_resource_first() {
    assert_no_violations(close_root_while_children_produce(200, true));
}

/// A child whose production fails while its parent is being closed: each of its resources is
/// released once, and it and its instances are gone before the parent releases the resource
/// they use. (`shutdown` of a child the closing parent still lists keeps its instances; they
/// went only when the producer dropped its handle, after the parent had been let go on.)
fn failing_children_while_the_root_closes(rounds: u64, how: FailingChild) {
    struct P;
    struct C(Log, String);
    impl Drop for C {
        fn drop(&mut self) {
            self.0.push(format!("{} dropped", self.1));
        }
    }
    struct Boom;
    let mut violations = Vec::new();
    for round in 0..rounds {
        let log = Log::default();
        let l = log.clone();
        let root_module = Module::build(move |m| {
            let l = l.clone();
            m.make::<P>().from_resource(move || {
                let l = l.clone();
                Lifecycle::make(|| P, move |_| l.push("P released"))
            });
        });
        let injector = Injector::new();
        let plan = injector.plan(&PlannerInput::new(root_module)).unwrap();
        let root = injector.produce(&plan).unwrap();
        let started = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let (child, log, started) =
                    (Injector::inherit(&root), log.clone(), started.clone());
                std::thread::spawn(move || {
                    started.store(true, Ordering::Release);
                    for c in 0..10 {
                        let (log, who) = (log.clone(), format!("c{t}.{c}"));
                        let module = Module::build(move |m| {
                            let (log, who) = (log.clone(), who.clone());
                            m.make::<C>().from_resource(move |_: Arc<P>| {
                                let (log, who) = (log.clone(), who.clone());
                                log.push(format!("{who} acquired"));
                                let made = C(log.clone(), who.clone());
                                Lifecycle::make(
                                    move || made,
                                    move |_| log.push(format!("{who} released")),
                                )
                            });
                            let fail = || -> Result<Boom, std::io::Error> {
                                std::thread::sleep(Duration::from_micros(50));
                                Err(std::io::Error::other("boom"))
                            };
                            match how {
                                FailingChild::Plain => {
                                    m.make::<Boom>().from_try_fn(move |_: Arc<C>| fail());
                                }
                                FailingChild::TakingItsLocator => {
                                    m.make::<Boom>()
                                        .from_try_fn(move |_: Arc<C>, _: LocatorRef| fail());
                                }
                                FailingChild::Async => {
                                    m.make::<Boom>()
                                        .from_try_async(move |_: Arc<C>| async move { fail() });
                                }
                            }
                        });
                        let Ok(plan) = child.plan(&PlannerInput::new(module)) else {
                            continue;
                        };
                        let produced = match how {
                            FailingChild::Async => tokio::runtime::Builder::new_current_thread()
                                .build()
                                .unwrap()
                                .block_on(child.produce_async(&plan))
                                .map(drop),
                            _ => child.produce(&plan).map(drop),
                        };
                        assert!(produced.is_err());
                    }
                })
            })
            .collect();
        while !started.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_micros(100 * (round % 7)));
        root.close().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        let log = log.entries();
        let p = log.iter().position(|e| e == "P released").unwrap();
        for (i, e) in log.iter().enumerate() {
            if let Some(who) = e.strip_suffix(" acquired") {
                let released = log
                    .iter()
                    .filter(|x| **x == format!("{who} released"))
                    .count();
                if released != 1 {
                    violations.push(format!("round {round}: {who} released {released} times"));
                }
            }
            if e.starts_with('c') && i > p {
                violations.push(format!("round {round}: `{e}` after `P released`"));
            }
        }
    }
    assert_no_violations(violations);
}

#[derive(Clone, Copy)]
enum FailingChild {
    Plain,
    /// A plan that hands out its locator: produced into shared slots.
    TakingItsLocator,
    /// Failing in an async step, under `produce_async`.
    Async,
}

#[test]
fn a_child_failing_while_its_parent_closes_is_gone_before_the_parents_release() {
    failing_children_while_the_root_closes(150, FailingChild::Plain);
}

#[test]
fn a_child_holding_its_locator_failing_while_its_parent_closes_is_gone_before_it_too() {
    failing_children_while_the_root_closes(150, FailingChild::TakingItsLocator);
}

#[test]
fn an_async_child_failing_while_its_parent_closes_is_gone_before_it_too() {
    failing_children_while_the_root_closes(150, FailingChild::Async);
}
