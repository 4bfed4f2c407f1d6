//! Closing a locator while child locators are being produced from it (`Injector::inherit`,
//! subcontext runs, possibly on other threads).
//!
//! Each production of a child holds a lease on its parent's gate. Closing the parent first shuts
//! the gate — a production that starts afterwards fails with [`Error::ParentClosed`] before it
//! acquires anything — then waits until the last lease ends. So a child either never starts or
//! is complete (and registered as a child, which the parent closes first) before any of the
//! parent's resources is released: never a child resource released after, or acquired after,
//! a parent resource it depends on.
//!
//! [`Error::ParentClosed`]: crate::Error::ParentClosed

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};

/// The gate is shut: no new lease (only [`Gate::hold`]s).
const SHUT: usize = 1;
/// Someone waits for the last lease: ending it takes the lock and wakes them.
const WAITED: usize = 2;
/// One lease, in the bits above the flags.
const LEASE: usize = 4;

/// Leases are counted in one atomic word with the flags, so that taking and ending one (twice
/// per subcontext run, on a parent shared by every request) is one atomic operation; the lock
/// is taken only by those who wait and by the lease that ends while they do.
#[derive(Default)]
pub(crate) struct Gate {
    state: AtomicUsize,
    waiters: Mutex<Waiters>,
    idle: Condvar,
}

#[derive(Default)]
struct Waiters {
    /// Threads blocked in `wait_blocking`.
    blocked: usize,
    /// Async closers waiting for the last lease.
    wakers: Vec<Waker>,
}

fn leases(state: usize) -> usize {
    state / LEASE
}

impl Gate {
    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a lease; `false` once the gate is shut. One atomic add: a lease taken on a shut
    /// gate is ended at once (a closer waiting meanwhile is woken by that end).
    pub(crate) fn enter(&self) -> bool {
        if self.state.fetch_add(LEASE, SeqCst) & SHUT == 0 {
            return true;
        }
        self.leave();
        false
    }

    /// Shuts the gate if no lease is held; `true` then (and it stays idle: no lease can be
    /// taken any more, only [`hold`](Self::hold)s by releases).
    pub(crate) fn shut_if_idle(&self) -> bool {
        let state = self
            .state
            .fetch_update(SeqCst, SeqCst, |state| {
                (leases(state) == 0 && state & SHUT == 0).then_some(state | SHUT)
            })
            .unwrap_or_else(|state| state);
        leases(state) == 0
    }

    /// Ends a lease taken with [`enter`](Self::enter).
    pub(crate) fn leave(&self) {
        let before = self.state.fetch_sub(LEASE, SeqCst);
        debug_assert!(leases(before) > 0, "a lease ended that was not taken");
        if leases(before) == 1 && before & WAITED != 0 {
            self.wake_waiters();
        }
    }

    /// The last lease ended while someone waited: wake them all. Under the lock, so that a
    /// waiter between its check and its wait is not missed.
    fn wake_waiters(&self) {
        let mut waiters = self.waiters();
        if leases(self.state.load(SeqCst)) > 0 {
            return; // a `hold` came in meanwhile: its end wakes them
        }
        if waiters.blocked > 0 {
            self.idle.notify_all();
        }
        for waker in waiters.wakers.drain(..) {
            waker.wake();
        }
        if waiters.blocked == 0 {
            self.state.fetch_and(!WAITED, SeqCst);
        }
    }

    /// Takes a lease even when the gate is shut (a release in progress, which whoever closes
    /// this locator's parent must wait for).
    pub(crate) fn hold(&self) -> Held<'_> {
        self.state.fetch_add(LEASE, SeqCst);
        Held(self)
    }

    /// Shuts the gate and blocks this thread until no lease is held.
    ///
    /// A sync `close` on the thread that drives a child's async production would wait forever;
    /// that production holds an `Arc` of this locator, so only an explicit `close` can get here,
    /// and `close().await` (which does not block) is the way to close an async locator.
    pub(crate) fn shut_and_wait(&self) {
        self.wait_blocking(true);
    }

    /// Blocks this thread until no lease is held, without shutting the gate.
    pub(crate) fn wait_idle_blocking(&self) {
        self.wait_blocking(false);
    }

    fn wait_blocking(&self, shut: bool) {
        let flags = if shut { SHUT } else { 0 };
        if leases(self.state.fetch_or(flags, SeqCst)) == 0 {
            return;
        }
        let mut waiters = self.waiters();
        waiters.blocked += 1;
        self.state.fetch_or(WAITED, SeqCst);
        while leases(self.state.load(SeqCst)) > 0 {
            waiters = self.idle.wait(waiters).unwrap_or_else(|e| e.into_inner());
        }
        waiters.blocked -= 1;
        if waiters.blocked == 0 && waiters.wakers.is_empty() {
            self.state.fetch_and(!WAITED, SeqCst);
        }
    }

    /// Shuts the gate and waits, without blocking, until no lease is held.
    pub(crate) async fn shut(&self) {
        self.wait(true).await
    }

    /// Waits, without blocking, until no lease is held, without shutting the gate.
    pub(crate) async fn wait_idle(&self) {
        self.wait(false).await
    }

    async fn wait(&self, shut: bool) {
        let flags = if shut { SHUT } else { 0 };
        std::future::poll_fn(|cx| {
            if leases(self.state.fetch_or(flags, SeqCst)) == 0 {
                return Poll::Ready(());
            }
            let mut waiters = self.waiters();
            self.state.fetch_or(WAITED, SeqCst);
            if leases(self.state.load(SeqCst)) == 0 {
                return Poll::Ready(());
            }
            waiters.wakers.push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// A lease taken with [`Gate::hold`], ended when dropped.
pub(crate) struct Held<'a>(&'a Gate);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::*;

    /// Productions entering and leaving on several threads while another thread shuts the
    /// gate: once `shut_and_wait` returns, no lease is held and none can be taken.
    #[test]
    fn shutting_waits_for_every_lease_and_refuses_new_ones() {
        for _ in 0..50 {
            let gate = Arc::new(Gate::default());
            let inside = Arc::new(AtomicUsize::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let workers: Vec<_> = (0..3)
                .map(|_| {
                    let (gate, inside, stop) = (gate.clone(), inside.clone(), stop.clone());
                    std::thread::spawn(move || {
                        while !stop.load(SeqCst) {
                            if gate.enter() {
                                inside.fetch_add(1, SeqCst);
                                std::hint::spin_loop();
                                inside.fetch_sub(1, SeqCst);
                                gate.leave();
                            }
                        }
                    })
                })
                .collect();
            std::thread::yield_now();
            gate.shut_and_wait();
            assert_eq!(inside.load(SeqCst), 0, "a lease outlived the wait");
            assert!(!gate.enter(), "a lease after the gate shut");
            stop.store(true, SeqCst);
            for w in workers {
                w.join().unwrap();
            }
        }
    }

    /// An async waiter is woken by the last lease, also when it registered while leases ended.
    #[test]
    fn an_async_waiter_is_woken_by_the_last_lease() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        for _ in 0..50 {
            let gate = Arc::new(Gate::default());
            assert!(gate.enter() && gate.enter());
            let leaver = {
                let gate = gate.clone();
                std::thread::spawn(move || {
                    gate.leave();
                    std::thread::yield_now();
                    let held = gate.hold();
                    drop(held);
                    gate.leave();
                })
            };
            runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(10), gate.shut())
                    .await
                    .expect("the waiter was not woken");
            });
            assert!(gate.shut_if_idle());
            leaver.join().unwrap();
        }
    }
}
