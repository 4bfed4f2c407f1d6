//! Releasing resources: sync steps in reverse order, async steps awaited concurrently where the
//! dependency graph allows, and what happens to async steps when nobody awaits them.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use crate::binding::{BoxFuture, Instance, Origin, Release};
use crate::concurrent::Concurrent;
use crate::error::{BoxError, Failure, ReleaseFailure};
use crate::locator::LocatorInner;
use crate::plan::StepTarget;

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
pub(crate) fn catch_unwind_future<T>(
    mut future: BoxFuture<T>,
) -> impl Future<Output = Result<T, Box<dyn Any + Send>>> {
    std::future::poll_fn(move |cx| {
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    })
}

/// An async release step with what it releases.
pub(crate) type PendingRelease = (StepTarget, Origin, BoxFuture<Result<(), BoxError>>);

/// Async release steps nobody can await (a locator dropped without `close`, a cancelled
/// `produce_async`): run in the given order on the current tokio runtime, or on a runtime made
/// for them when there is none. Failures are logged.
pub(crate) fn detach(steps: Vec<PendingRelease>) {
    let run = async move {
        for (target, origin, future) in steps {
            let cause = match catch_unwind_future(future).await {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => Failure::Error(e),
                Err(panic) => Failure::from_panic(panic),
            };
            tracing::error!(
                "{}",
                ReleaseFailure {
                    target,
                    origin,
                    cause
                }
            );
        }
    };
    #[cfg(feature = "tokio")]
    {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(run);
            return;
        }
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(run),
            Err(e) => tracing::error!("distage: no runtime to run async release steps on: {e}"),
        }
    }
    #[cfg(not(feature = "tokio"))]
    {
        drop(run);
        tracing::error!(
            "distage: async release steps were skipped: close the locator with `close().await`, or enable the `tokio` feature"
        );
    }
}

/// Releases everything `inner` acquired: each resource once every resource depending on it is
/// released; independent ones concurrently; among those ready, the latest acquired first.
/// Instances in `slots` are dropped right after their release step.
pub(crate) async fn release_concurrently(
    inner: &LocatorInner,
    mut slots: Option<Vec<OnceLock<Instance>>>,
) -> Vec<ReleaseFailure> {
    inner
        .closed
        .store(true, std::sync::atomic::Ordering::Release);
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
        for (dep, lazy) in steps[step].dep_steps() {
            if !lazy && position[dep] != usize::MAX {
                waiting[position[dep]] += 1;
                depends_on[i].push(position[dep]);
            }
        }
    }
    // Ready resources; popped from the end, so kept in acquisition order: latest acquired first.
    let mut ready: Vec<usize> = (0..acquired.len()).filter(|&i| waiting[i] == 0).collect();
    let mut in_flight: Concurrent<Result<(), BoxError>> = Concurrent::new();
    let mut failures = Vec::new();
    let mut done =
        |i: usize, ready: &mut Vec<usize>, slots: &mut Option<Vec<OnceLock<Instance>>>| {
            if let Some(slots) = slots.as_mut() {
                let instance = slots[acquired[i]].take();
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
                    if let Some(cause) = run_sync(release) {
                        failures.push(inner.release_failure(acquired[i], cause));
                    }
                    done(i, &mut ready, &mut slots);
                }
                Some(Release::Async(release)) => match catch_unwind(AssertUnwindSafe(release)) {
                    Ok(future) => in_flight.push(i, future),
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
        for slot in slots.iter_mut().rev() {
            let instance = slot.take();
            let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
        }
    }
    failures
}
