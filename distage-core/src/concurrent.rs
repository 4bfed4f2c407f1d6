//! A set of futures polled concurrently within one task, each woken on its own: what runs
//! independent async bindings (and releases) at the same time, on any executor. Dropping the
//! set drops the futures still in flight.
//!
//! futures-util's `FuturesUnordered`, with what distage adds: an id per future, panics caught,
//! and a re-poll of everything when the set moves to another task.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::stream::{FuturesUnordered, Stream};

use crate::boxed::BoxFuture;

/// A finished future: its id and its output, or the payload of its panic.
pub(crate) type Finished<T> = (usize, Result<T, Box<dyn Any + Send>>);

pub(crate) struct Concurrent<T> {
    set: FuturesUnordered<Caught<T>>,
    /// The task that polled the set last.
    task: Option<Waker>,
}

/// A future with its id, whose panics (polled, or dropped when it finishes) are caught.
struct Caught<T> {
    id: usize,
    /// `None` once finished.
    future: Option<BoxFuture<T>>,
}

impl<T> Future for Caught<T> {
    type Output = Finished<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Finished<T>> {
        let this = self.get_mut();
        // The set never polls a finished future again.
        let Some(future) = this.future.as_mut() else {
            return Poll::Pending;
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(panic) => Err(panic),
        };
        // A finished future may hold the last `Arc` of an instance whose `Drop` panics.
        let future = this.future.take();
        let _ = catch_unwind(AssertUnwindSafe(move || drop(future)));
        Poll::Ready((this.id, outcome))
    }
}

impl<T> Concurrent<T> {
    pub(crate) fn new() -> Self {
        Concurrent {
            set: FuturesUnordered::new(),
            task: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Adds a future; it is first polled by the next [`next`](Self::next).
    pub(crate) fn push(&mut self, id: usize, future: BoxFuture<T>) {
        self.set.push(Caught {
            id,
            future: Some(future),
        });
    }

    /// The next future to finish, or `None` when there are none left.
    pub(crate) fn next(&mut self) -> impl Future<Output = Option<Finished<T>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_next(cx))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Finished<T>>> {
        // Polled by another task than last time (the set was handed to a new task when the one
        // awaiting it was cancelled): wake-ups meant for the old task may be lost — tokio drops a
        // `yield_now`'s deferred wake-up with the `block_on` it was made in — so every future
        // is queued to be polled once more, which registers it with the new task. (Not
        // `will_wake`: it compares the vtables' addresses, and a clone of tokio's `block_on`
        // waker has its vtable at another address, so every poll looked like a new task.)
        let waker = cx.waker();
        let same_task = self
            .task
            .as_ref()
            .is_some_and(|t| t.data() == waker.data() && t.vtable() == waker.vtable());
        if !same_task {
            if self.task.is_some() {
                self.set = std::mem::take(&mut self.set).into_iter().collect();
            }
            self.task = Some(cx.waker().clone());
        }
        // `FuturesUnordered` polls each woken future at most once per call, and yields to the
        // executor when futures wake themselves while polled (a yield, tokio's co-operative
        // budget): polling them again at once could spin forever.
        Pin::new(&mut self.set).poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    struct Countdown(u32);

    impl Future for Countdown {
        type Output = u32;
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.0 == 0 {
                return Poll::Ready(7);
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Wakes itself and yields until the executor has polled another task in between.
    struct NeedsTheExecutor(Arc<std::sync::atomic::AtomicBool>);

    impl Future for NeedsTheExecutor {
        type Output = u32;
        fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.0.load(std::sync::atomic::Ordering::SeqCst) {
                return Poll::Ready(1);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_future_that_yields_lets_other_tasks_run() {
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let setter = flag.clone();
        // On this current-thread runtime the spawned task runs only when ours yields.
        tokio::spawn(async move { setter.store(true, std::sync::atomic::Ordering::SeqCst) });
        let mut set: Concurrent<u32> = Concurrent::new();
        set.push(1, Box::pin(NeedsTheExecutor(flag)));
        let finished = tokio::time::timeout(std::time::Duration::from_secs(5), set.next()).await;
        assert!(matches!(finished, Ok(Some((1, Ok(1))))));
    }

    /// Pending until its flag is set, without keeping the waker: a wake-up that was lost.
    struct LostWakeUp(Arc<std::sync::atomic::AtomicBool>);

    impl Future for LostWakeUp {
        type Output = u32;
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
            if self.0.load(std::sync::atomic::Ordering::SeqCst) {
                Poll::Ready(2)
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn a_new_task_polls_every_future_once_more() {
        struct NoWake;
        impl std::task::Wake for NoWake {
            fn wake(self: Arc<Self>) {}
        }
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut set: Concurrent<u32> = Concurrent::new();
        set.push(1, Box::pin(LostWakeUp(flag.clone())));
        let old_task = Waker::from(Arc::new(NoWake));
        let new_task = Waker::from(Arc::new(NoWake));
        let poll =
            |set: &mut Concurrent<u32>, task: &Waker| set.poll_next(&mut Context::from_waker(task));
        assert!(poll(&mut set, &old_task).is_pending());
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        // A clone of the same waker is the same task: nothing is polled again.
        assert!(poll(&mut set, &old_task.clone()).is_pending());
        let finished = poll(&mut set, &new_task);
        assert!(matches!(finished, Poll::Ready(Some((1, Ok(2))))));
    }

    #[tokio::test]
    async fn finishes_futures_in_completion_order_and_catches_panics() {
        let mut set: Concurrent<u32> = Concurrent::new();
        set.push(1, Box::pin(Countdown(5)));
        set.push(2, Box::pin(Countdown(0)));
        set.push(3, Box::pin(async { panic!("boom") }));
        let mut order = Vec::new();
        while let Some((id, result)) = set.next().await {
            order.push((id, result.is_ok()));
        }
        assert_eq!(order, vec![(2, true), (3, false), (1, true)]);
        assert!(set.is_empty());
    }
}
