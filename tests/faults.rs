//! Fault injection: random graphs, one injected fault, a random way of producing and closing them;
//! whatever was acquired must be released exactly once, dependents first.
//!
//! # Running it
//!
//! ```text
//! cargo test --test faults                     # CI form: 4,200 graphs (600 per mode), fixed seed
//! DISTAGE_FAULTS=100000 DISTAGE_FAULTS_SEED=random cargo test --release --test faults -- --nocapture
//!                                              # long form: N graphs in all, a random seed
//! DISTAGE_FAULTS_SEED=12345 cargo test --test faults   # the same campaign again
//! DISTAGE_FAULTS_GRAPH=0x1f2e… cargo test --test faults <mode test>
//!                                              # replays the one graph a failure printed
//! ```
//!
//! `--nocapture` shows each mode's seed, time and figures (graphs produced, failed, cut off by a
//! timeout, resources acquired, children produced) even when nothing fails. A failure prints
//! the campaign's seed, the failing graph's seed, the command that replays it,
//! what was injected and where, the violations and the event log. Graphs are spread evenly over
//! the seven modes, one `#[test]` each, so a failure names its mode.
//!
//! # What a graph is
//!
//! 5–60 components, each depending on a random subset of earlier ones; each a plain
//! constructor, a fallible constructor, a sync resource (`Lifecycle::try_make`), an async resource
//! (`Lifecycle::try_make_async`, with yields and 1 ms sleeps in acquire and release) or an async
//! constructor. At most one fault: a constructor error, a panic in a constructor, in an acquire
//! or in a release, or a panicking `Drop` of an instance. Async modes run on a multi-thread
//! runtime (two thirds of the graphs) or a current-thread one; a third of the locators of
//! "async produce + drop" are dropped outside the runtime.
//!
//! # What is checked
//!
//! Every resource acquired is released exactly once, its release run to completion (after a
//! bounded wait for releases handed off by a dropped future or a dropped locator; none where the
//! API promises completion on return: `close`, `close().await`, a failed `produce`/`produce_async`);
//! nothing is released that was not acquired; sync modes release in exact reverse acquisition
//! order; every mode releases each resource before anything it depends on (transitively, across
//! parent and child locators) starts releasing, and acquires nothing after something it depends
//! on started releasing; a failed produce names the failing key and how it failed; a panicking
//! release is reported by `close` with its key; no injected panic escapes to the caller.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use distage::__private::Args;
use distage::{
    BoxError, BoxFuture, DIKey, Dependency, Error, Failure, Functoid, Injector, Lifecycle, Module,
    ModuleBuilder, PlannerInput, StepTarget, TypeInfo,
};
use tokio::runtime::Runtime;

/// In every injected panic and error message; the panic hook keeps these quiet.
const INJECTED: &str = "injected fault";
/// Graphs in the CI form, all modes together.
const DEFAULT_GRAPHS: usize = 4200;
/// The CI form's seed.
const DEFAULT_SEED: u64 = 0x00d1_57a6_e012;
/// How long to wait for releases handed off to a guard or a spawned task.
const SETTLE: Duration = Duration::from_secs(2);
/// A mode's test stops after this many failing graphs.
const MAX_FAILURES: usize = 5;

// ----------------------------------------------------------------------------------------------
// A deterministic RNG (splitmix64)

#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, low: usize, high_inclusive: usize) -> usize {
        low + self.below(high_inclusive - low + 1)
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn weighted<T: Copy>(&mut self, choices: &[(T, usize)]) -> T {
        let total: usize = choices.iter().map(|(_, w)| w).sum();
        let mut at = self.below(total);
        for &(choice, weight) in choices {
            if at < weight {
                return choice;
            }
            at -= weight;
        }
        unreachable!("`at` is below the total weight")
    }

    /// `count` distinct values below `n`, ascending.
    fn subset(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut chosen = BTreeSet::new();
        while chosen.len() < count.min(n) {
            chosen.insert(self.below(n));
        }
        chosen.into_iter().collect()
    }
}

// ----------------------------------------------------------------------------------------------
// The model: components, faults, modes

/// A component: index `index` of the root locator (scope 0) or of a child locator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Who {
    scope: usize,
    index: usize,
}

impl Who {
    fn name(self) -> String {
        match self.scope {
            0 => format!("n{}", self.index),
            s => format!("c{s}_{}", self.index),
        }
    }

    fn key(self) -> DIKey {
        DIKey::named::<Node>(self.name())
    }
}

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    Fallible,
    SyncResource,
    AsyncResource,
    AsyncConstructor,
}

impl Kind {
    fn is_resource(self) -> bool {
        matches!(self, Kind::SyncResource | Kind::AsyncResource)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// The constructor (or acquire) returns an error.
    Error,
    PanicInConstructor,
    /// The resource's acquire (or the async constructor's future) panics.
    PanicInAcquire,
    PanicInRelease,
    /// The instance's `Drop` panics.
    PanicInDrop,
}

impl Fault {
    fn possible_for(kind: Kind) -> &'static [Fault] {
        use Fault::*;
        match kind {
            Kind::Plain => &[PanicInConstructor, PanicInDrop],
            Kind::Fallible => &[Error, PanicInConstructor, PanicInDrop],
            Kind::SyncResource | Kind::AsyncResource => &[
                Error,
                PanicInConstructor,
                PanicInAcquire,
                PanicInRelease,
                PanicInDrop,
            ],
            Kind::AsyncConstructor => &[Error, PanicInConstructor, PanicInAcquire, PanicInDrop],
        }
    }

    /// Whether producing must fail with this fault's key.
    fn fails_production(self) -> bool {
        matches!(
            self,
            Fault::Error | Fault::PanicInConstructor | Fault::PanicInAcquire
        )
    }
}

/// Waits in async acquires and releases.
#[derive(Clone, Copy, Debug)]
enum Delay {
    None,
    Yield,
    Sleep,
}

impl Delay {
    fn random(rng: &mut Rng) -> Self {
        rng.weighted(&[(Delay::None, 6), (Delay::Yield, 3), (Delay::Sleep, 1)])
    }

    async fn wait(self) {
        match self {
            Delay::None => {}
            Delay::Yield => tokio::task::yield_now().await,
            Delay::Sleep => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
}

#[derive(Clone, Debug)]
struct Component {
    who: Who,
    kind: Kind,
    deps: Vec<Who>,
    acquire_delay: Delay,
    release_delay: Delay,
    /// Blocks the constructor (child components only): a child's production then takes long
    /// enough for the root's close to land in it.
    constructor_sleep: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    SyncProduceClose,
    SyncProduceDrop,
    AsyncProduceClose,
    AsyncProduceDrop,
    ProduceAsyncUnderTimeout,
    CloseUnderTimeout,
    /// The root is closed (sync or async) while threads produce child locators from it.
    CloseWhileChildrenProduce,
}

/// One generated graph and how it is run.
#[derive(Debug)]
struct Case {
    mode: Mode,
    current_thread: bool,
    /// The root produced and closed with the async API (always, except in sync modes and half
    /// of the children cases).
    async_root: bool,
    root: Vec<Component>,
    fault: Option<(usize, Fault)>,
    timeout: Duration,
    /// `AsyncProduceDrop`: the locator is dropped outside the runtime rather than inside.
    drop_outside_runtime: bool,
    /// Per thread, the child graphs it produces from the root, one after the other.
    children: Vec<Vec<Vec<Component>>>,
    /// How long the main thread lets the children run before closing the root.
    close_after: Duration,
}

impl Case {
    fn generate(seed: u64, mode: Mode) -> Case {
        let mut rng = Rng(seed);
        let async_root = match mode {
            Mode::SyncProduceClose | Mode::SyncProduceDrop => false,
            Mode::CloseWhileChildrenProduce => rng.one_in(2),
            _ => true,
        };
        let current_thread = async_root && rng.one_in(3);
        let n = rng.range(5, 60);
        let root: Vec<Component> = (0..n)
            .map(|i| component(&mut rng, Who { scope: 0, index: i }, async_root, 0))
            .collect();
        // Modes about closing get faults that let producing succeed.
        let closing = matches!(
            mode,
            Mode::CloseUnderTimeout | Mode::CloseWhileChildrenProduce
        );
        let fault = (!rng.one_in(10)).then(|| {
            let k = rng.below(n);
            let possible: Vec<Fault> = Fault::possible_for(root[k].kind)
                .iter()
                .copied()
                .filter(|f| !closing || !f.fails_production())
                .collect();
            (k, possible[rng.below(possible.len())])
        });
        // A third of the timeouts cut the future off after its first poll.
        let timeout = match rng.one_in(3) {
            true => Duration::ZERO,
            false => Duration::from_micros(rng.below(3001) as u64),
        };
        let mut children = Vec::new();
        if mode == Mode::CloseWhileChildrenProduce {
            for t in 0..rng.range(2, 3) {
                let graphs = (0..rng.range(1, 4))
                    .map(|m| {
                        let scope = 1 + t * 8 + m;
                        (0..rng.range(1, 6))
                            .map(|i| component(&mut rng, Who { scope, index: i }, false, n))
                            .collect()
                    })
                    .collect();
                children.push(graphs);
            }
        }
        let close_after = Duration::from_micros(rng.below(1000) as u64);
        let drop_outside_runtime = mode == Mode::AsyncProduceDrop && rng.one_in(3);
        Case {
            mode,
            current_thread,
            async_root,
            root,
            fault,
            timeout,
            drop_outside_runtime,
            children,
            close_after,
        }
    }

    fn fault_at(&self, who: Who) -> Option<Fault> {
        match self.fault {
            Some((k, fault)) if who.scope == 0 && who.index == k => Some(fault),
            _ => None,
        }
    }

    fn components(&self) -> impl Iterator<Item = &Component> {
        self.root
            .iter()
            .chain(self.children.iter().flatten().flatten())
    }
}

/// Component `who`; a child component (`root_len > 0`) also depends on one or two root ones.
fn component(rng: &mut Rng, who: Who, allow_async: bool, root_len: usize) -> Component {
    let kind = if allow_async {
        rng.weighted(&[
            (Kind::Plain, 2),
            (Kind::Fallible, 1),
            (Kind::SyncResource, 3),
            (Kind::AsyncResource, 3),
            (Kind::AsyncConstructor, 1),
        ])
    } else {
        rng.weighted(&[
            (Kind::Plain, 2),
            (Kind::Fallible, 1),
            (Kind::SyncResource, 4),
        ])
    };
    let i = who.index;
    let count = rng.below(i.min(4) + 1);
    let mut deps: Vec<Who> = rng
        .subset(i, count)
        .into_iter()
        .map(|index| Who { index, ..who })
        .collect();
    if root_len > 0 {
        let count = rng.range(1, 2);
        deps.extend(
            rng.subset(root_len, count)
                .into_iter()
                .map(|index| Who { scope: 0, index }),
        );
    }
    let constructor_sleep = match root_len > 0 && rng.one_in(3) {
        true => Duration::from_micros(rng.range(50, 300) as u64),
        false => Duration::ZERO,
    };
    Component {
        who,
        kind,
        deps,
        acquire_delay: Delay::random(rng),
        release_delay: Delay::random(rng),
        constructor_sleep,
    }
}

// ----------------------------------------------------------------------------------------------
// Building modules that log what they do

/// The instance of every component.
struct Node {
    who: Who,
    panic_on_drop: bool,
}

impl Drop for Node {
    fn drop(&mut self) {
        if self.panic_on_drop {
            panic!("{INJECTED}: `{}` dropped", self.who);
        }
    }
}

/// Names the generated functions in `Debug` output.
struct NodeFn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    Acquired,
    ReleaseStarted,
    Released,
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(Who, What)>>>);

impl Log {
    fn push(&self, who: Who, what: What) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((who, what));
    }

    fn events(&self) -> Vec<(Who, What)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn injected_error(who: Who) -> BoxError {
    format!("{INJECTED}: `{who}` failed").into()
}

fn module(components: &[Component], fault_at: impl Fn(Who) -> Option<Fault>, log: &Log) -> Module {
    let mut builder = ModuleBuilder::new();
    for c in components {
        bind(&mut builder, c, fault_at(c.who), log);
    }
    builder.build()
}

fn bind(m: &mut ModuleBuilder, c: &Component, fault: Option<Fault>, log: &Log) {
    let who = c.who;
    let deps: Vec<Dependency> = c.deps.iter().map(|d| Dependency::strict(d.key())).collect();
    let count = deps.len();
    let sleep = c.constructor_sleep;
    let take_deps = move |args: &mut Args<'_>| -> Result<(), BoxError> {
        for _ in 0..count {
            let _: Arc<Node> = args.take()?;
        }
        if !sleep.is_zero() {
            std::thread::sleep(sleep);
        }
        if fault == Some(Fault::PanicInConstructor) {
            panic!("{INJECTED}: `{who}`'s constructor panicked");
        }
        Ok(())
    };
    let node = move || Node {
        who,
        panic_on_drop: fault == Some(Fault::PanicInDrop),
    };
    let (acquire_delay, release_delay) = (c.acquire_delay, c.release_delay);
    let ty = TypeInfo::of::<NodeFn>();
    let make = m.make::<Node>().named(who.name());
    let log = log.clone();
    match c.kind {
        Kind::Plain => {
            make.from_fn(Functoid::new(deps, ty, move |args| {
                take_deps(args)?;
                Ok(node())
            }));
        }
        Kind::Fallible => {
            make.from_try_fn(Functoid::new(deps, ty, move |args| {
                take_deps(args)?;
                Ok(match fault {
                    Some(Fault::Error) => Err(injected_error(who)),
                    _ => Ok(node()),
                })
            }));
        }
        Kind::SyncResource => {
            make.from_resource(Functoid::new(deps, ty, move |args| {
                take_deps(args)?;
                let (acquired, released) = (log.clone(), log.clone());
                Ok(Lifecycle::try_make(
                    move || -> Result<Node, BoxError> {
                        match fault {
                            Some(Fault::Error) => return Err(injected_error(who)),
                            Some(Fault::PanicInAcquire) => {
                                panic!("{INJECTED}: `{who}`'s acquire panicked")
                            }
                            _ => {}
                        }
                        acquired.push(who, What::Acquired);
                        Ok(node())
                    },
                    move |_: &Node| -> Result<(), BoxError> {
                        released.push(who, What::ReleaseStarted);
                        released.push(who, What::Released);
                        if fault == Some(Fault::PanicInRelease) {
                            panic!("{INJECTED}: `{who}`'s release panicked");
                        }
                        Ok(())
                    },
                ))
            }));
        }
        Kind::AsyncResource => {
            make.from_resource_async(Functoid::new(deps, ty, move |args| {
                take_deps(args)?;
                let (acquired, released) = (log.clone(), log.clone());
                Ok(Lifecycle::try_make_async(
                    async move {
                        acquire_delay.wait().await;
                        match fault {
                            Some(Fault::Error) => return Err(injected_error(who)),
                            Some(Fault::PanicInAcquire) => {
                                panic!("{INJECTED}: `{who}`'s acquire panicked")
                            }
                            _ => {}
                        }
                        acquired.push(who, What::Acquired);
                        Ok::<Node, BoxError>(node())
                    },
                    move |_: Arc<Node>| async move {
                        released.push(who, What::ReleaseStarted);
                        release_delay.wait().await;
                        released.push(who, What::Released);
                        if fault == Some(Fault::PanicInRelease) {
                            panic!("{INJECTED}: `{who}`'s release panicked");
                        }
                        Ok::<(), BoxError>(())
                    },
                ))
            }));
        }
        Kind::AsyncConstructor => {
            make.from_try_async(Functoid::new(deps, ty, move |args| {
                take_deps(args)?;
                Ok(Box::pin(async move {
                    acquire_delay.wait().await;
                    match fault {
                        Some(Fault::Error) => Err(injected_error(who)),
                        Some(Fault::PanicInAcquire) => {
                            panic!("{INJECTED}: `{who}`'s async constructor panicked")
                        }
                        _ => Ok(node()),
                    }
                }) as BoxFuture<Result<Node, BoxError>>)
            }));
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Running a case

/// What the public API returned.
#[derive(Default)]
struct Outcome {
    /// `None`: not finished (cut off by a timeout) or not reached.
    produced: Option<Result<(), Error>>,
    closed: Option<Result<(), Error>>,
    /// A panic that reached the caller.
    escaped: Option<String>,
    /// Whether releases may still be running when the API call returns (a dropped future or
    /// locator): the checks then wait for them, up to [`SETTLE`].
    handed_off: bool,
    /// A `timeout` dropped the future it wrapped.
    cut_off: bool,
    /// Child locators produced, and child productions that failed (the root was closing).
    children_produced: usize,
    children_failed: usize,
}

struct Runtimes {
    multi_thread: Runtime,
    current_thread: Runtime,
}

impl Runtimes {
    fn new() -> Self {
        Runtimes {
            multi_thread: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
            current_thread: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn for_case(&self, case: &Case) -> &Runtime {
        if case.current_thread {
            &self.current_thread
        } else {
            &self.multi_thread
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-string panic payload>".to_string())
}

fn run(case: &Case, runtimes: &Runtimes, log: &Log) -> Outcome {
    let plan = match Injector::new().plan(&PlannerInput::new(module(
        &case.root,
        |w| case.fault_at(w),
        log,
    ))) {
        Ok(plan) => plan,
        Err(e) => {
            return Outcome {
                produced: Some(Err(e)),
                ..Outcome::default()
            };
        }
    };
    let mut outcome = Outcome::default();
    let runtime = runtimes.for_case(case);
    let exercised = catch_unwind(AssertUnwindSafe(|| match case.mode {
        Mode::SyncProduceClose => match Injector::new().produce(&plan) {
            Ok(locator) => {
                outcome.produced = Some(Ok(()));
                outcome.closed = Some(locator.close());
            }
            Err(e) => outcome.produced = Some(Err(e)),
        },
        Mode::SyncProduceDrop => {
            outcome.produced = Some(Injector::new().produce(&plan).map(drop));
        }
        Mode::AsyncProduceClose => runtime.block_on(async {
            match Injector::new().produce_async(&plan).await {
                Ok(locator) => {
                    outcome.produced = Some(Ok(()));
                    outcome.closed = Some(locator.close().await);
                }
                Err(e) => outcome.produced = Some(Err(e)),
            }
        }),
        Mode::AsyncProduceDrop => {
            let locator = runtime.block_on(async {
                match Injector::new().produce_async(&plan).await {
                    Ok(locator) => {
                        outcome.produced = Some(Ok(()));
                        outcome.handed_off = true;
                        Some(locator)
                    }
                    Err(e) => {
                        outcome.produced = Some(Err(e));
                        None
                    }
                }
            });
            if case.drop_outside_runtime {
                drop(locator);
            } else {
                runtime.block_on(async move { drop(locator) });
            }
        }
        Mode::ProduceAsyncUnderTimeout => runtime.block_on(async {
            match tokio::time::timeout(case.timeout, Injector::new().produce_async(&plan)).await {
                Ok(Ok(locator)) => {
                    outcome.produced = Some(Ok(()));
                    outcome.closed = Some(locator.close().await);
                }
                Ok(Err(e)) => outcome.produced = Some(Err(e)),
                Err(_) => (outcome.handed_off, outcome.cut_off) = (true, true),
            }
        }),
        Mode::CloseUnderTimeout => runtime.block_on(async {
            match Injector::new().produce_async(&plan).await {
                Ok(locator) => {
                    outcome.produced = Some(Ok(()));
                    match tokio::time::timeout(case.timeout, locator.close()).await {
                        Ok(closed) => outcome.closed = Some(closed),
                        Err(_) => (outcome.handed_off, outcome.cut_off) = (true, true),
                    }
                }
                Err(e) => outcome.produced = Some(Err(e)),
            }
        }),
        Mode::CloseWhileChildrenProduce => {
            run_with_children(case, runtime, &plan, log, &mut outcome)
        }
    }));
    if let Err(panic) = exercised {
        outcome.escaped = Some(panic_message(&*panic));
        outcome.handed_off = true;
    }
    outcome
}

/// Produces the root, starts threads producing children from it, closes the root meanwhile.
fn run_with_children(
    case: &Case,
    runtime: &Runtime,
    plan: &distage::Plan,
    log: &Log,
    outcome: &mut Outcome,
) {
    enum Root {
        Sync(distage::Locator),
        Async(distage::AsyncLocator),
    }
    let root = if case.async_root {
        runtime
            .block_on(Injector::new().produce_async(plan))
            .map(Root::Async)
    } else {
        Injector::new().produce(plan).map(Root::Sync)
    };
    let root = match root {
        Ok(root) => root,
        Err(e) => {
            outcome.produced = Some(Err(e));
            return;
        }
    };
    outcome.produced = Some(Ok(()));
    let produced = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = case
        .children
        .iter()
        .map(|graphs| {
            let injector = match &root {
                Root::Sync(l) => Injector::inherit(l),
                Root::Async(l) => Injector::inherit(l),
            };
            let modules: Vec<Module> = graphs.iter().map(|g| module(g, |_| None, log)).collect();
            let (produced, failed) = (produced.clone(), failed.clone());
            std::thread::spawn(move || {
                for module in modules {
                    // Failing because the parent is closing is fine; releasing late is not.
                    let child = injector
                        .plan(&PlannerInput::new(module))
                        .and_then(|plan| injector.produce(&plan));
                    match child {
                        Ok(child) => {
                            produced.fetch_add(1, Ordering::Relaxed);
                            std::thread::yield_now();
                            let _ = child.close();
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(case.close_after);
    outcome.closed = Some(match root {
        Root::Sync(l) => l.close(),
        Root::Async(l) => runtime.block_on(l.close()),
    });
    for t in threads {
        if let Err(panic) = t.join() {
            outcome.escaped = Some(format!("in a child thread: {}", panic_message(&*panic)));
        }
    }
    outcome.children_produced = produced.load(Ordering::Relaxed);
    outcome.children_failed = failed.load(Ordering::Relaxed);
}

// ----------------------------------------------------------------------------------------------
// Checking

/// Every resource acquired has finished its release (or `SETTLE` passed).
fn settled(events: &[(Who, What)]) -> bool {
    let mut open: BTreeMap<Who, i32> = BTreeMap::new();
    for &(who, what) in events {
        match what {
            What::Acquired => *open.entry(who).or_default() += 1,
            What::Released => *open.entry(who).or_default() -= 1,
            What::ReleaseStarted => {}
        }
    }
    open.values().all(|&o| o <= 0)
}

fn wait_until_settled(case: &Case, runtimes: &Runtimes, log: &Log) {
    let deadline = Instant::now() + SETTLE;
    let wait = async {
        while !settled(&log.events()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    // On a current-thread runtime, handed-off releases only run while it does.
    runtimes.for_case(case).block_on(wait);
}

fn check(case: &Case, outcome: &Outcome, events: &[(Who, What)]) -> Vec<String> {
    let mut violations = Vec::new();
    let components: BTreeMap<Who, &Component> = case.components().map(|c| (c.who, c)).collect();
    let position = |who: Who, what: What| events.iter().position(|&e| e == (who, what));
    let count = |who: Who, what: What| events.iter().filter(|&&e| e == (who, what)).count();

    if let Some(panic) = &outcome.escaped {
        violations.push(format!("a panic reached the caller: {panic}"));
    }

    // Exactly once, and nothing released that was not acquired.
    for c in components.values().filter(|c| c.kind.is_resource()) {
        let who = c.who;
        let (a, s, r) = (
            count(who, What::Acquired),
            count(who, What::ReleaseStarted),
            count(who, What::Released),
        );
        if a > 1 {
            violations.push(format!("`{who}` acquired {a} times"));
        }
        if a == 0 && s + r > 0 {
            violations.push(format!("`{who}` released but never acquired"));
        }
        if a == 1 && s == 0 {
            violations.push(format!("`{who}` acquired but never released"));
        } else if a == 1 && (s != 1 || r != 1) {
            violations.push(format!(
                "`{who}`: release started {s} time(s), finished {r} time(s) (want 1 and 1)"
            ));
        }
        if let (Some(at), Some(started)) = (
            position(who, What::Acquired),
            position(who, What::ReleaseStarted),
        ) && started < at
        {
            violations.push(format!("`{who}` released before it was acquired"));
        }
    }

    // Sync modes: exact reverse order of acquisition, per locator. (Children of an async root
    // may be released by its async close, which only promises dependents first.)
    let all_sync = !case.async_root;
    let mut scopes: BTreeSet<usize> = BTreeSet::new();
    if all_sync {
        scopes.insert(0);
        scopes.extend(
            case.children
                .iter()
                .flatten()
                .flatten()
                .map(|c| c.who.scope),
        );
    }
    for scope in scopes {
        let of = |what: What| -> Vec<Who> {
            events
                .iter()
                .filter(|(w, e)| w.scope == scope && *e == what)
                .map(|(w, _)| *w)
                .collect()
        };
        let mut acquired = of(What::Acquired);
        acquired.reverse();
        let released = of(What::Released);
        if acquired != released {
            violations.push(format!(
                "locator {scope}: released in the order {released:?}, not the reverse of \
                 acquisition {acquired:?}"
            ));
        }
    }

    // Dependents first, everywhere; nothing acquired after a dependency started releasing.
    for c in components.values().filter(|c| c.kind.is_resource()) {
        let (Some(acquired), released) = (
            position(c.who, What::Acquired),
            position(c.who, What::Released),
        ) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        let mut stack = c.deps.clone();
        while let Some(dep) = stack.pop() {
            if !seen.insert(dep) {
                continue;
            }
            stack.extend(components[&dep].deps.iter().copied());
            let Some(dep_started) = position(dep, What::ReleaseStarted) else {
                continue;
            };
            if acquired > dep_started {
                violations.push(format!(
                    "`{}` acquired after `{dep}`, which it depends on, started releasing",
                    c.who
                ));
            }
            if released.is_some_and(|r| r > dep_started) {
                violations.push(format!(
                    "`{}` finished releasing after `{dep}`, which it depends on, started releasing",
                    c.who
                ));
            }
        }
    }

    // What the API returned.
    let fault = case.fault.map(|(k, f)| (Who { scope: 0, index: k }, f));
    match (&outcome.produced, fault) {
        (Some(Err(Error::Produce(e))), Some((who, f))) if f.fails_production() => {
            if e.target != StepTarget::Key(who.key()) {
                violations.push(format!(
                    "the produce error names `{}`, not the failing `{who}`: {e}",
                    e.target
                ));
            }
            let panicked = matches!(f, Fault::PanicInConstructor | Fault::PanicInAcquire);
            let how_ok = match &e.cause {
                Failure::Panic(msg) => panicked && msg.contains(INJECTED),
                Failure::Error(err) => !panicked && err.to_string().contains(INJECTED),
            };
            if !how_ok {
                violations.push(format!("the produce error does not say {f:?}: {e}"));
            }
        }
        (Some(Err(e)), Some((who, f))) if f.fails_production() => {
            violations.push(format!(
                "producing failed at `{who}` with {f:?}, but returned {e:?}"
            ));
        }
        (Some(Ok(())), Some((who, f))) if f.fails_production() => {
            violations.push(format!("producing succeeded despite {f:?} at `{who}`"));
        }
        (Some(Err(e)), _) => violations.push(format!("producing failed unexpectedly: {e}")),
        _ => {}
    }
    match (&outcome.closed, fault) {
        (Some(Err(Error::Release(failures))), Some((who, f)))
            if matches!(f, Fault::PanicInRelease | Fault::PanicInDrop) =>
        {
            let named = failures.iter().any(|r| {
                r.target == StepTarget::Key(who.key())
                    && matches!(&r.cause, Failure::Panic(m) if m.contains(INJECTED))
            });
            if !named || failures.len() != 1 {
                let got: Vec<String> = failures.iter().map(ToString::to_string).collect();
                violations.push(format!(
                    "close should report exactly `{who}`'s panic ({f:?}), got: {got:?}"
                ));
            }
        }
        (Some(Ok(())), Some((who, Fault::PanicInRelease))) => {
            violations.push(format!(
                "close succeeded although `{who}`'s release panicked"
            ));
        }
        (Some(Err(e)), _) => violations.push(format!("close failed unexpectedly: {e}")),
        _ => {}
    }
    violations
}

// ----------------------------------------------------------------------------------------------
// The campaign

fn quiet_injected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !panic_message(info.payload()).contains(INJECTED) {
                default(info);
            }
        }));
    });
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={value} is not a number")))
}

/// The campaign's seed, one for all modes (they run in one process).
fn campaign_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| match std::env::var("DISTAGE_FAULTS_SEED").as_deref() {
        Ok("random") => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or_default();
            Rng(nanos ^ u64::from(std::process::id())).next()
        }
        _ => env_number("DISTAGE_FAULTS_SEED").unwrap_or(DEFAULT_SEED),
    })
}

const MODES: usize = 7;

fn describe(case: &Case, outcome: &Outcome, events: &[(Who, What)]) -> String {
    let fault = match case.fault {
        Some((k, f)) => format!("{f:?} at n{k} ({:?})", case.root[k].kind),
        None => "none".to_string(),
    };
    let shown: Vec<String> = events
        .iter()
        .take(80)
        .map(|(w, e)| format!("{w} {e:?}"))
        .collect();
    let show = |r: &Option<Result<(), Error>>| match r {
        None => "not finished".to_string(),
        Some(Ok(())) => "Ok".to_string(),
        Some(Err(e)) => format!("Err({})", e.to_string().replace('\n', " | ")),
    };
    format!(
        "{} components, fault: {fault}, {} runtime, async root: {}, timeout {:?}, dropped outside \
         the runtime: {}, {} child threads\n  produced: {}\n  closed: {}\n  log ({} events): {}",
        case.root.len(),
        if case.current_thread {
            "current-thread"
        } else {
            "multi-thread"
        },
        case.async_root,
        case.timeout,
        case.drop_outside_runtime,
        case.children.len(),
        show(&outcome.produced),
        show(&outcome.closed),
        events.len(),
        shown.join(", ")
    )
}

/// What a mode's graphs went through, to show that it exercises what it claims to.
#[derive(Default)]
struct Stats {
    produced: usize,
    produce_failed: usize,
    cut_off: usize,
    acquired: usize,
    children_produced: usize,
    children_failed: usize,
}

impl Stats {
    fn add(&mut self, outcome: &Outcome, events: &[(Who, What)]) {
        match &outcome.produced {
            Some(Ok(())) => self.produced += 1,
            Some(Err(_)) => self.produce_failed += 1,
            None => {}
        }
        self.cut_off += usize::from(outcome.cut_off);
        self.acquired += events.iter().filter(|(_, w)| *w == What::Acquired).count();
        self.children_produced += outcome.children_produced;
        self.children_failed += outcome.children_failed;
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} produced, {} failed to produce, {} cut off by a timeout, {} resources acquired",
            self.produced, self.produce_failed, self.cut_off, self.acquired
        )?;
        if self.children_produced + self.children_failed > 0 {
            write!(
                f,
                ", {} children produced, {} failed",
                self.children_produced, self.children_failed
            )?;
        }
        Ok(())
    }
}

/// The first dozen violations of a graph, and how many more there are.
fn shown_violations(violations: &[String]) -> String {
    let mut shown = violations[..violations.len().min(12)].join("\n  ");
    if violations.len() > 12 {
        shown.push_str(&format!("\n  … and {} more", violations.len() - 12));
    }
    shown
}

fn campaign(mode: Mode, test_name: &str) {
    quiet_injected_panics();
    let runtimes = Runtimes::new();
    let base = campaign_seed();
    let graphs = env_number("DISTAGE_FAULTS")
        .map(|n| (n as usize).div_ceil(MODES))
        .unwrap_or(DEFAULT_GRAPHS / MODES);
    let seeds: Vec<u64> = match env_number("DISTAGE_FAULTS_GRAPH") {
        Some(seed) => vec![seed],
        None => {
            let mut rng = Rng(base ^ (mode as u64).wrapping_mul(0x1000_0000_01b3));
            (0..graphs).map(|_| rng.next()).collect()
        }
    };
    // Printed first, so that even an abort leaves the seed behind (with `--nocapture`).
    eprintln!("{test_name}: {} graph(s), seed {base:#x}", seeds.len());
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut run_count = 0;
    let mut stats = Stats::default();
    for &seed in &seeds {
        let case = Case::generate(seed, mode);
        let log = Log::default();
        let outcome = run(&case, &runtimes, &log);
        if outcome.handed_off
            || matches!(
                mode,
                Mode::AsyncProduceDrop | Mode::CloseWhileChildrenProduce
            )
        {
            wait_until_settled(&case, &runtimes, &log);
        }
        run_count += 1;
        let events = log.events();
        stats.add(&outcome, &events);
        let violations = check(&case, &outcome, &events);
        if !violations.is_empty() {
            failures.push(format!(
                "graph {seed:#x} ({mode:?}): {}\n  replay: DISTAGE_FAULTS_GRAPH={seed:#x} cargo test \
                 --test faults {test_name}\n  {}\n",
                shown_violations(&violations),
                describe(&case, &outcome, &events)
            ));
            if failures.len() >= MAX_FAILURES {
                break;
            }
        }
    }
    eprintln!(
        "{test_name}: {run_count} graphs (seed {base:#x}) in {:?}: {stats}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} failing graph(s) among the {run_count} run (stopped after {MAX_FAILURES}); campaign \
         seed {base:#x} (DISTAGE_FAULTS_SEED={base:#x})\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sync_produce_then_close() {
    campaign(Mode::SyncProduceClose, "sync_produce_then_close");
}

#[test]
fn sync_produce_then_drop() {
    campaign(Mode::SyncProduceDrop, "sync_produce_then_drop");
}

#[test]
fn async_produce_then_close() {
    campaign(Mode::AsyncProduceClose, "async_produce_then_close");
}

#[test]
fn async_produce_then_drop() {
    campaign(Mode::AsyncProduceDrop, "async_produce_then_drop");
}

#[test]
fn produce_async_under_a_timeout() {
    campaign(
        Mode::ProduceAsyncUnderTimeout,
        "produce_async_under_a_timeout",
    );
}

#[test]
fn close_under_a_timeout() {
    campaign(Mode::CloseUnderTimeout, "close_under_a_timeout");
}

#[test]
fn close_while_children_are_produced() {
    campaign(
        Mode::CloseWhileChildrenProduce,
        "close_while_children_are_produced",
    );
}
