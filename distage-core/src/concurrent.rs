//! A set of futures polled concurrently within one task, each woken on its own: what runs
//! independent async bindings (and releases) at the same time, on any executor. Dropping the
//! set drops the futures still in flight.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::boxed::BoxFuture;

/// A finished future: its id and its output, or the payload of its panic.
pub(crate) type Finished<T> = (usize, Result<T, Box<dyn Any + Send>>);

pub(crate) struct Concurrent<T> {
    slots: Vec<Option<(usize, BoxFuture<T>, Waker)>>,
    free: Vec<usize>,
    woken: Arc<Woken>,
    len: usize,
    /// The task that polled the set last.
    task: Option<Waker>,
}

#[derive(Default)]
struct Woken {
    slots: Mutex<VecDeque<usize>>,
    task: Mutex<Option<Waker>>,
}

struct SlotWaker {
    slot: usize,
    woken: Arc<Woken>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        lock(&self.woken.slots).push_back(self.slot);
        if let Some(task) = lock(&self.woken.task).take() {
            task.wake();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T> Concurrent<T> {
    pub(crate) fn new() -> Self {
        Concurrent {
            slots: Vec::new(),
            free: Vec::new(),
            woken: Arc::default(),
            len: 0,
            task: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a future; it is first polled by the next [`next`](Self::next).
    pub(crate) fn push(&mut self, id: usize, future: BoxFuture<T>) {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let waker = Waker::from(Arc::new(SlotWaker {
            slot,
            woken: self.woken.clone(),
        }));
        self.slots[slot] = Some((id, future, waker));
        self.len += 1;
        lock(&self.woken.slots).push_back(slot);
    }

    /// The next future to finish, or `None` when there are none left.
    pub(crate) fn next(&mut self) -> impl Future<Output = Option<Finished<T>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_next(cx))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Finished<T>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        // Registered before draining, so a wake-up between the drain and `Pending` is not lost.
        *lock(&self.woken.task) = Some(cx.waker().clone());
        // Polled by another task than last time (the set was handed to a new task when the one
        // awaiting it was cancelled): wake-ups meant for the old task may be lost — tokio drops a
        // `yield_now`'s deferred wake-up with the `block_on` it was made in — so every future
        // is polled once more, which registers it with the new task.
        if !self.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
            if self.task.is_some() {
                let mut woken = lock(&self.woken.slots);
                for (slot, entry) in self.slots.iter().enumerate() {
                    if entry.is_some() {
                        woken.push_back(slot);
                    }
                }
            }
            self.task = Some(cx.waker().clone());
        }
        // Only the futures woken before this poll: one that wakes itself while polled (a yield,
        // tokio's co-operative budget) is polled again on the next turn, after the executor has
        // had its turn; polling it again here could spin forever.
        let mut budget = lock(&self.woken.slots).len();
        loop {
            if budget == 0 {
                if !lock(&self.woken.slots).is_empty() {
                    cx.waker().wake_by_ref();
                }
                return Poll::Pending;
            }
            budget -= 1;
            let Some(slot) = lock(&self.woken.slots).pop_front() else {
                return Poll::Pending;
            };
            // A stale wake-up of a finished (or reused) slot just polls it once more.
            let Some((_, future, waker)) = self.slots[slot].as_mut() else {
                continue;
            };
            let mut slot_cx = Context::from_waker(waker);
            let outcome =
                match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut slot_cx))) {
                    Ok(Poll::Pending) => continue,
                    Ok(Poll::Ready(value)) => Ok(value),
                    Err(panic) => Err(panic),
                };
            let Some((id, future, _)) = self.slots[slot].take() else {
                continue;
            };
            // A finished future may hold the last `Arc` of an instance whose `Drop` panics.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(future)));
            self.free.push(slot);
            self.len -= 1;
            return Poll::Ready(Some((id, outcome)));
        }
    }
}

#[cfg(test)]
mod tests {
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
