//! Releasing resources: sync steps in reverse order, async steps awaited concurrently where the
//! dependency graph allows, and what happens to async steps when nobody awaits them.
//!
//! `release` and `locator` name each other, the one import loop of the running layer: releasing
//! works on a locator's state (its acquisitions, slots and children), and a locator's `close`
//! and `Drop` start it. Moving the state into this file would only rename the loop.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::binding::StepTarget;
use crate::binding::{Instance, Origin, Release};
use crate::boxed::BoxError;
use crate::boxed::BoxFuture;
use crate::concurrent::Concurrent;
use crate::error::{Failure, ReleaseFailure};
use crate::locator::{Lease, LocatorInner, Slots};
use crate::plan::PlanData;

/// Runs the release steps in reverse order of acquisition, each exactly once. With `drop_slots`
/// each instance is also dropped right after its release step, so `Drop` types are released
/// in the same reverse order. Async release steps cannot be awaited here: when there is one,
/// the whole sequence goes to [`detach`], which keeps its order.
pub(crate) fn release_in_order(
    inner: &LocatorInner,
    mut drop_slots: Option<&mut Slots>,
) -> Vec<ReleaseFailure> {
    let _releasing = inner.releasing().hold();
    inner.gate().shut_and_wait();
    inner
        .closed
        .store(true, std::sync::atomic::Ordering::Release);
    let mut failures = Vec::new();
    for child in inner.take_children() {
        failures.extend(release_in_order(&child, None));
        // Its own `close`, on another thread, may be releasing it still.
        child.releasing().wait_idle_blocking();
    }
    let acquired = std::mem::take(&mut *inner.acquired.lock().unwrap_or_else(|e| e.into_inner()));
    let has_async = acquired
        .iter()
        .any(|(_, release)| matches!(release, Some(Release::Async(_))));
    let mut deferred = Vec::new();
    for (slot, release) in acquired.into_iter().rev() {
        let instance = drop_slots.as_deref_mut().and_then(|slots| slots.take(slot));
        if has_async {
            if let Some(release) = release {
                let step = &inner.plan.steps[slot];
                deferred.push(Deferred::Release(step.target(), step.origin(), release));
            }
            deferred.extend(instance.map(Deferred::Drop));
            continue;
        }
        if let Some(Release::Sync(release)) = release
            && let Some(cause) = release_span(&inner.plan, slot).in_scope(|| run_sync(release))
        {
            failures.push(inner.release_failure(slot, cause));
        }
        drop_instance(instance);
    }
    // Instances released earlier without their slots (the state was shared at `close`).
    if let Some(slots) = drop_slots {
        slots.drain_rev(|instance| match has_async {
            true => deferred.push(Deferred::Drop(instance)),
            false => drop_instance(Some(instance)),
        });
    }
    // A production cut short ends its lease only after its releases, detached or not.
    let lease = inner.take_lease();
    if has_async {
        detach(deferred, lease);
    }
    failures
}

/// Releases a locator whose production was cut short (every release step sync) and drops this
/// handle — the last: the instances `shutdown` keeps when the closing parent still lists the
/// locator go with it — before its lease on the parent ends, so that the parent releases
/// nothing they use while they exist.
pub(crate) fn release_and_drop(mut inner: Arc<LocatorInner>) -> Vec<ReleaseFailure> {
    let lease = inner.take_lease();
    let failures = inner.shutdown();
    drop(inner);
    drop(lease);
    failures
}

/// A panicking `Drop` must not stop the other releases.
pub(crate) fn drop_instance(instance: Option<Instance>) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
}

/// The span a release step runs in: `distage` with the key, at debug level.
pub(crate) fn release_span(plan: &PlanData, slot: usize) -> tracing::Span {
    let step = &plan.steps[slot];
    tracing::debug_span!("distage", release = %step.target(), at = %step.origin())
}

/// Runs a sync release step; a panic is a failure, not an unwind.
pub(crate) fn run_sync(
    release: Box<dyn FnOnce() -> Result<(), BoxError> + Send>,
) -> Option<Failure> {
    match catch_unwind(AssertUnwindSafe(release)) {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(Failure::Error(e)),
        Err(panic) => Some(Failure::from_panic(panic)),
    }
}

/// A future's output, or the payload of its panic.
/// Once it is over, the future is dropped in here too: it may hold the last `Arc` of an
/// instance whose `Drop` panics.
pub(crate) fn catch_unwind_future<T>(
    future: BoxFuture<T>,
) -> impl Future<Output = Result<T, Box<dyn Any + Send>>> {
    let mut future = Some(future);
    std::future::poll_fn(move |cx| {
        let Some(running) = future.as_mut() else {
            return Poll::Ready(Err(
                Box::new("polled after completion") as Box<dyn Any + Send>
            ));
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| running.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Ok(v),
            Ok(Poll::Pending) => return Poll::Pending,
            Err(panic) => Err(panic),
        };
        let done = future.take();
        let _ = catch_unwind(AssertUnwindSafe(move || drop(done)));
        Poll::Ready(outcome)
    })
}

/// One step of a release sequence that could not run in place (see [`detach`]).
pub(crate) enum Deferred {
    /// A release step, sync or async, with what it releases.
    Release(StepTarget, Origin, Release),
    /// Dropping an instance right after its release step.
    Drop(Instance),
}

/// Runs a release sequence holding async steps where nobody can await it (a locator dropped
/// without `close().await`, a cancelled `produce_async`). The steps run strictly in the given
/// order — sync releases, async releases and instance drops alike — so a resource is never
/// released before one that depends on it. Failures are logged. `lease` (a production cut
/// short) ends after the last step, so a parent waiting to close waits for all of them.
///
/// Where the sequence runs: on a multi-thread tokio runtime, to completion before this returns
/// (`block_in_place`); with no runtime, on this thread, also to completion; on a current-thread
/// runtime blocking is impossible, so it goes to a new task there (see [`hand_off`]).
/// `close().await` is the way to be sure it is over.
pub(crate) fn detach(steps: Vec<Deferred>, lease: Option<Lease>) {
    let run = async move {
        for step in steps {
            let (target, origin, release) = match step {
                Deferred::Drop(instance) => {
                    let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
                    continue;
                }
                Deferred::Release(target, origin, release) => (target, origin, release),
            };
            let failure = match release {
                Release::Sync(release) => run_sync(release),
                Release::Async(release) => match catch_unwind(AssertUnwindSafe(release)) {
                    Ok(future) => match catch_unwind_future(future).await {
                        Ok(Ok(())) => None,
                        Ok(Err(e)) => Some(Failure::Error(e)),
                        Err(panic) => Some(Failure::from_panic(panic)),
                    },
                    Err(panic) => Some(Failure::from_panic(panic)),
                },
            };
            if let Some(cause) = failure {
                tracing::error!(
                    "{}",
                    ReleaseFailure {
                        target,
                        origin,
                        cause
                    }
                );
            }
        }
        drop(lease);
    };
    let mut relay = Relay::new(Box::pin(run));
    #[cfg(feature = "tokio")]
    {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if let Ok(handle) = Handle::try_current()
            && handle.runtime_flavor() == RuntimeFlavor::MultiThread
        {
            // Outside a worker thread (a runtime shutting down) this can panic before finishing;
            // what is left then goes on elsewhere, when `relay` is dropped.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                tokio::task::block_in_place(|| handle.block_on(&mut relay))
            }));
            return;
        }
    }
    hand_off(relay);
}

/// A release sequence that runs to its end even when the future awaiting it is dropped: the
/// future of `close()` and of the clean-up after a failed `produce_async`. Dropped before its
/// end, it hands what is left to [`hand_off`], which logs the failures it can no longer return.
/// The release is never continued inside the task being cancelled.
pub(crate) struct RunToEnd {
    release: Option<BoxFuture<Vec<ReleaseFailure>>>,
    /// The failures of a release that ran before this was made (nothing was left to await).
    ran: Vec<ReleaseFailure>,
}

impl RunToEnd {
    pub(crate) fn new(release: impl Future<Output = Vec<ReleaseFailure>> + Send + 'static) -> Self {
        RunToEnd {
            release: Some(Box::pin(release)),
            ran: Vec::new(),
        }
    }

    /// A release that is over, with its failures.
    pub(crate) fn ran(failures: Vec<ReleaseFailure>) -> Self {
        RunToEnd {
            release: None,
            ran: failures,
        }
    }
}

impl Future for RunToEnd {
    type Output = Vec<ReleaseFailure>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(release) = self.release.as_mut() else {
            return Poll::Ready(std::mem::take(&mut self.ran));
        };
        let failures = std::task::ready!(release.as_mut().poll(cx));
        self.release = None;
        Poll::Ready(failures)
    }
}

impl Drop for RunToEnd {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            // It goes on in the span it was dropped in (a request's), where its failures log.
            let span = tracing::Span::current();
            hand_off(Relay::new(Box::pin(tracing::Instrument::instrument(
                async move {
                    for failure in release.await {
                        tracing::error!("{failure}");
                    }
                },
                span,
            ))));
        }
    }
}

/// A release sequence on its way to completion somewhere else. Dropped unfinished (the task
/// it was spawned as dropped by a runtime shutting down, a `block_on` that panicked), it goes on
/// on a thread of its own.
struct Relay {
    run: Option<BoxFuture<()>>,
}

impl Relay {
    fn new(run: BoxFuture<()>) -> Self {
        Relay { run: Some(run) }
    }
}

impl Future for Relay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(run) = self.run.as_mut() else {
            return Poll::Ready(());
        };
        std::task::ready!(run.as_mut().poll(cx));
        self.run = None;
        Poll::Ready(())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let Some(run) = self.run.take() else { return };
        // A thread with no runtime context, so that it may block on a runtime of its own.
        let spawned = std::thread::Builder::new()
            .name("distage-release".into())
            .spawn(move || run_blocking(run));
        if let Err(e) = spawned {
            tracing::error!("distage: no thread to finish a release sequence on ({e}); it is lost");
        }
    }
}

/// Finishes `relay` without blocking the caller when a tokio runtime is at hand (a new task on
/// it), and on this thread, blocking, when there is none.
fn hand_off(relay: Relay) {
    #[cfg(feature = "tokio")]
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        // On a runtime shutting down the task is dropped at once, and `relay` goes to a thread.
        drop(handle.spawn(relay));
        return;
    }
    let mut relay = relay;
    if let Some(run) = relay.run.take() {
        run_blocking(run);
    }
}

/// Runs `run` to its end on this thread, which is in no runtime's context: on a temporary
/// tokio runtime (for the timers and I/O release steps use), or by polling.
fn run_blocking(run: BoxFuture<()>) {
    #[cfg(feature = "tokio")]
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => {
            let _ = catch_unwind(AssertUnwindSafe(|| runtime.block_on(run)));
        }
        Err(e) => {
            tracing::warn!(
                "distage: no tokio runtime for async release steps ({e}); polling them here"
            );
            let _ = catch_unwind(AssertUnwindSafe(|| block_on(run)));
        }
    }
    #[cfg(not(feature = "tokio"))]
    {
        let _ = catch_unwind(AssertUnwindSafe(|| block_on(run)));
    }
}

/// Polls `future` to completion on this thread, parking between wake-ups (without a tokio
/// runtime, release steps that need its reactor fail on their own terms).
fn block_on<F: Future>(future: F) -> F::Output {
    use std::task::{Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Releases everything `inner` acquired: each resource once every resource depending on it is
/// released; independent ones concurrently; among those ready, the latest acquired first.
/// Instances in `slots` are dropped right after their release step.
pub(crate) async fn release_concurrently(
    inner: Arc<LocatorInner>,
    mut slots: Option<Slots>,
) -> Vec<ReleaseFailure> {
    let releasing = inner.releasing().hold();
    // Children being produced finish first (see `crate::gate`).
    inner.gate().shut().await;
    inner
        .closed
        .store(true, std::sync::atomic::Ordering::Release);
    let mut failures = Vec::new();
    for child in inner.take_children() {
        failures.extend(child.clone().shutdown_async().await);
        // Its own `close`, on another thread, may be releasing it still.
        child.releasing().wait_idle().await;
    }
    let (acquired, mut releases): (Vec<usize>, Vec<Option<Release>>) =
        std::mem::take(&mut *inner.acquired.lock().unwrap_or_else(|e| e.into_inner()))
            .into_iter()
            .unzip();
    let steps = &inner.plan.steps;
    // Position in `acquired` by step.
    let mut position = vec![usize::MAX; steps.len()];
    for (i, &step) in acquired.iter().enumerate() {
        position[step] = i;
    }
    // `waiting[i]`: acquired resources that depend on resource `i` and are not released yet.
    let mut waiting = vec![0usize; acquired.len()];
    let mut depends_on: Vec<Vec<usize>> = vec![Vec::new(); acquired.len()];
    for (i, &step) in acquired.iter().enumerate() {
        for (dep, lazy) in inner.plan.dep_steps(step) {
            if !lazy && position[dep] != usize::MAX {
                waiting[position[dep]] += 1;
                depends_on[i].push(position[dep]);
            }
        }
    }
    // Ready resources; popped from the end, so kept in acquisition order: latest acquired first.
    let mut ready: Vec<usize> = (0..acquired.len()).filter(|&i| waiting[i] == 0).collect();
    let mut in_flight: Concurrent<Result<(), BoxError>> = Concurrent::new();
    let mut done = |i: usize, ready: &mut Vec<usize>, slots: &mut Option<Slots>| {
        if let Some(slots) = slots.as_mut() {
            let instance = slots.take(acquired[i]);
            let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
        }
        for &dep in &depends_on[i] {
            waiting[dep] -= 1;
            if waiting[dep] == 0 {
                let at = ready.partition_point(|&r| r < dep);
                ready.insert(at, dep);
            }
        }
    };
    loop {
        while let Some(i) = ready.pop() {
            match releases[i].take() {
                Some(Release::Sync(release)) => {
                    let span = release_span(&inner.plan, acquired[i]);
                    if let Some(cause) = span.in_scope(|| run_sync(release)) {
                        failures.push(inner.release_failure(acquired[i], cause));
                    }
                    done(i, &mut ready, &mut slots);
                }
                Some(Release::Async(release)) => match catch_unwind(AssertUnwindSafe(release)) {
                    Ok(future) => in_flight.push(
                        i,
                        Box::pin(tracing::Instrument::instrument(
                            future,
                            release_span(&inner.plan, acquired[i]),
                        )),
                    ),
                    Err(panic) => {
                        failures
                            .push(inner.release_failure(acquired[i], Failure::from_panic(panic)));
                        done(i, &mut ready, &mut slots);
                    }
                },
                None => done(i, &mut ready, &mut slots),
            }
        }
        let Some((i, outcome)) = in_flight.next().await else {
            break;
        };
        let cause = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(Failure::Error(e)),
            Err(panic) => Some(Failure::from_panic(panic)),
        };
        if let Some(cause) = cause {
            failures.push(inner.release_failure(acquired[i], cause));
        }
        done(i, &mut ready, &mut slots);
    }
    // Instances released earlier without their slots.
    if let Some(slots) = slots.as_mut() {
        slots.drain_rev(|instance| drop_instance(Some(instance)));
    }
    drop(releasing);
    // A production cleaned up after a failure ends its lease on its parent last: after this
    // handle, the last one when the parent (closing) still lists this locator, and with it the
    // instances the slots could not give back.
    let lease = inner.take_lease();
    drop(inner);
    drop(lease);
    failures
}
