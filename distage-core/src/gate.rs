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

use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};

#[derive(Default)]
pub(crate) struct Gate {
    state: Mutex<State>,
    idle: Condvar,
}

#[derive(Default)]
struct State {
    shut: bool,
    leases: usize,
    /// Threads blocked in `wait_blocking`: only then does the last lease notify the condvar
    /// (std's `notify_all` is a futex syscall even with nobody waiting, once per subcontext run).
    blocked: usize,
    /// Async closers waiting for the last lease.
    waiting: Vec<Waker>,
}

impl Gate {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a lease; `false` once the gate is shut.
    pub(crate) fn enter(&self) -> bool {
        let mut state = self.state();
        if state.shut {
            return false;
        }
        state.leases += 1;
        true
    }

    /// Shuts the gate if no lease is held; `true` then (and it stays idle: no lease can be
    /// taken any more, only [`hold`](Self::hold)s by releases).
    pub(crate) fn shut_if_idle(&self) -> bool {
        let mut state = self.state();
        if state.leases == 0 {
            state.shut = true;
        }
        state.shut && state.leases == 0
    }

    /// Ends a lease taken with [`enter`](Self::enter).
    pub(crate) fn leave(&self) {
        let mut state = self.state();
        state.leases = state.leases.saturating_sub(1);
        if state.leases == 0 {
            if state.blocked > 0 {
                self.idle.notify_all();
            }
            for waker in state.waiting.drain(..) {
                waker.wake();
            }
        }
    }

    /// Takes a lease even when the gate is shut (a release in progress, which whoever closes
    /// this locator's parent must wait for).
    pub(crate) fn hold(&self) -> Held<'_> {
        self.state().leases += 1;
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
        let mut state = self.state();
        state.shut |= shut;
        state.blocked += 1;
        while state.leases > 0 {
            state = self.idle.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.blocked -= 1;
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
        std::future::poll_fn(|cx| {
            let mut state = self.state();
            state.shut |= shut;
            if state.leases == 0 {
                Poll::Ready(())
            } else {
                state.waiting.push(cx.waker().clone());
                Poll::Pending
            }
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
