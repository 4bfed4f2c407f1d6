//! Locators: the produced instances, looked up by key.

use std::any::{Any, TypeId};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::binding::{Instance, Release};
use crate::error::{Error, Failure, ReleaseFailure};
use crate::functoid::RunFn;
use crate::gate::Gate;
use crate::inject::{Arg, DepMode, Dependency, Lazy, LocatorRef, RunContext, RunScope, SlotRef};
use crate::key::{DIKey, Id, KeyKind, key_hash};
use crate::logger::Logger;
use crate::plan::{Plan, PlanData};
use crate::set::Set;
pub(crate) use crate::slots::Slots;

/// The shared state of a locator: one slot per plan step, and what to release.
pub(crate) struct LocatorInner {
    pub(crate) plan: Arc<PlanData>,
    /// The locator this one inherits from (`Injector::inherit`, subcontexts).
    pub(crate) parent: Option<Arc<LocatorInner>>,
    pub(crate) slots: Slots,
    /// Produced steps in the order their production completed, with their release steps.
    pub(crate) acquired: Mutex<Vec<(usize, Option<Release>)>>,
    pub(crate) closed: AtomicBool,
    /// Locators inheriting from this one (`Injector::inherit`, subcontext runs): closing this
    /// one releases theirs first, since their instances may depend on this one's.
    children: Mutex<Vec<Weak<LocatorInner>>>,
    /// Productions of children in progress; closing waits for them (see [`crate::gate`]).
    gate: Gate,
    /// Releases of this locator in progress: closing its parent waits for them, since one may
    /// have been started by someone else (the child's own `close` on another thread).
    releasing: Gate,
    /// This locator holds a lease on its parent's gate while it is being produced.
    leased: AtomicBool,
}

/// A production in progress from a parent locator: the parent's close waits until it ends.
pub(crate) struct Lease {
    parent: Arc<LocatorInner>,
}

impl Lease {
    /// A lease for a production from `parent` starting now; fails when the parent is closing or
    /// closed.
    pub(crate) fn enter(parent: &Arc<LocatorInner>) -> Result<Lease, Error> {
        match parent.gate.enter() {
            true => Ok(Lease {
                parent: parent.clone(),
            }),
            false => Err(Error::ParentClosed),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.parent.gate.leave();
    }
}

pub(crate) enum Lookup<'a> {
    Found(&'a Instance),
    NotYetProduced,
    Closed,
    Absent,
}

impl LocatorInner {
    /// An empty locator state for `plan`, registered with its parent, holding a lease on the
    /// parent until [`produced`](Self::produced). Fails when the parent is closing or closed.
    pub(crate) fn new(
        plan: Arc<PlanData>,
        parent: Option<Arc<LocatorInner>>,
    ) -> Result<Arc<Self>, Error> {
        let leased = match &parent {
            Some(parent) if parent.gate.enter() => true,
            Some(_) => return Err(Error::ParentClosed),
            None => false,
        };
        let slots = Slots::cells(plan.steps.len());
        Ok(Self::registered(plan, parent, slots, Vec::new(), leased))
    }

    /// The state of a locator produced before it existed (see [`Slots::Filled`]), registered
    /// with its parent; the production's lease on the parent is the producer's to end, after
    /// this.
    pub(crate) fn made(
        plan: Arc<PlanData>,
        parent: Option<Arc<LocatorInner>>,
        slots: Slots,
        acquired: Vec<(usize, Option<Release>)>,
    ) -> Arc<Self> {
        Self::registered(plan, parent, slots, acquired, false)
    }

    fn registered(
        plan: Arc<PlanData>,
        parent: Option<Arc<LocatorInner>>,
        slots: Slots,
        acquired: Vec<(usize, Option<Release>)>,
        leased: bool,
    ) -> Arc<Self> {
        let inner = Arc::new(LocatorInner {
            plan,
            parent,
            slots,
            acquired: Mutex::new(acquired),
            closed: AtomicBool::new(false),
            children: Mutex::new(Vec::new()),
            gate: Gate::default(),
            releasing: Gate::default(),
            leased: AtomicBool::new(leased),
        });
        if let Some(parent) = &inner.parent {
            let mut children = parent.children.lock().unwrap_or_else(|e| e.into_inner());
            // Forget ended children now and then, so that many short runs do not pile up.
            if children.len() >= 16 && children.len().is_power_of_two() {
                children.retain(|c| c.strong_count() > 0);
            }
            children.push(Arc::downgrade(&inner));
        }
        inner
    }

    /// The production is over (done, or failed and released): the parent may close.
    pub(crate) fn produced(&self) {
        if let Some(parent) = &self.parent
            && self.leased.swap(false, Ordering::AcqRel)
        {
            parent.gate.leave();
        }
    }

    /// A weak, type-erased handle, as `LocatorRef` and `Lazy` hold it.
    pub(crate) fn handle(self: &Arc<Self>) -> Weak<dyn Any + Send + Sync> {
        let weak: Weak<LocatorInner> = Arc::downgrade(self);
        weak
    }

    pub(crate) fn gate(&self) -> &Gate {
        &self.gate
    }

    pub(crate) fn releasing(&self) -> &Gate {
        &self.releasing
    }

    /// The production's lease on the parent, to end when dropped (once).
    pub(crate) fn take_lease(&self) -> Option<Lease> {
        let parent = self.parent.as_ref()?;
        self.leased.swap(false, Ordering::AcqRel).then(|| Lease {
            parent: parent.clone(),
        })
    }

    /// True when no child is alive and no acquired resource has an async release.
    fn releases_sync_only(&self) -> bool {
        let children = self.children.lock().unwrap_or_else(|e| e.into_inner());
        children.iter().all(|c| c.strong_count() == 0)
            && !self
                .acquired
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|(_, release)| matches!(release, Some(Release::Async(_))))
    }

    /// Takes this locator off its parent's list of children, with a lease on the parent's
    /// gate (`true`) so that the parent's close waits until this one is released (it would
    /// have closed this one first); the caller ends it. `false`, and still listed, when the
    /// parent is already closing.
    fn leave_parent(&self) -> bool {
        let Some(parent) = self.parent.as_ref() else {
            return false;
        };
        if !parent.gate.enter() {
            return false;
        }
        let this: *const LocatorInner = self;
        let mut children = parent.children.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = children
            .iter()
            .rposition(|c| std::ptr::eq(c.as_ptr(), this))
        {
            children.remove(at);
        }
        true
    }

    /// The children still alive, most recent first, taken from the list.
    pub(crate) fn take_children(&self) -> Vec<Arc<LocatorInner>> {
        let children =
            std::mem::take(&mut *self.children.lock().unwrap_or_else(|e| e.into_inner()));
        children.iter().rev().filter_map(Weak::upgrade).collect()
    }

    pub(crate) fn parent(&self) -> Option<&Arc<LocatorInner>> {
        self.parent.as_ref()
    }

    /// The plans of this locator and of its ancestors, nearest first: what plans made against
    /// this locator look keys up in.
    pub(crate) fn lineage(&self) -> Vec<&Arc<PlanData>> {
        let mut lineage = vec![&self.plan];
        let mut at = self.parent.as_ref();
        while let Some(locator) = at {
            lineage.push(&locator.plan);
            at = locator.parent.as_ref();
        }
        lineage
    }

    /// The ancestor `depth` levels up (0 is the parent).
    pub(crate) fn ancestor(&self, depth: usize) -> Option<&Arc<LocatorInner>> {
        let mut at = self.parent.as_ref()?;
        for _ in 0..depth {
            at = at.parent.as_ref()?;
        }
        Some(at)
    }

    #[inline]
    pub(crate) fn lookup(&self, ty: TypeId, kind: KeyKind, id: Option<&str>) -> Lookup<'_> {
        let id = id.map(str::as_bytes);
        self.lookup_hashed(key_hash(ty, kind, id), ty, kind, id)
    }

    /// [`lookup`](Self::lookup) of a key whose hash is known.
    #[inline]
    pub(crate) fn lookup_key(&self, key: &DIKey) -> Lookup<'_> {
        let id = key.id().map(Id::as_bytes);
        self.lookup_hashed(key.cached_hash(), key.type_info().type_id(), key.kind(), id)
    }

    #[inline]
    fn lookup_hashed(&self, hash: u64, ty: TypeId, kind: KeyKind, id: Option<&[u8]>) -> Lookup<'_> {
        let mut this = self;
        loop {
            if this.closed.load(Ordering::Acquire) {
                return Lookup::Closed;
            }
            if let Some(slot) = this.plan.index.find_hashed(hash, ty, kind, id) {
                // `closed` was read just above.
                return this.instance(slot);
            }
            match this.parent() {
                Some(parent) => this = parent,
                None => return Lookup::Absent,
            }
        }
    }

    #[inline]
    pub(crate) fn slot(&self, slot: usize) -> Lookup<'_> {
        if self.closed.load(Ordering::Acquire) {
            return Lookup::Closed;
        }
        self.instance(slot)
    }

    /// The slot's instance, the locator known not closed.
    #[inline]
    fn instance(&self, slot: usize) -> Lookup<'_> {
        match self.slots.get(slot) {
            Some(instance) => Lookup::Found(instance),
            None => Lookup::NotYetProduced,
        }
    }

    /// The instance of a key, read by `read` (`Instance::arc`, or a set's `downcast_ref`).
    #[inline]
    fn get_typed<V>(
        &self,
        ty: TypeId,
        kind: KeyKind,
        id: Option<&str>,
        key: impl FnOnce() -> DIKey,
        read: impl FnOnce(&Instance) -> Option<V>,
    ) -> Result<V, Error> {
        match self.lookup(ty, kind, id) {
            Lookup::Found(instance) => read(instance).ok_or_else(|| Error::NotFound {
                key: key(),
                needed_by: Some("a lookup whose stored type differs (a bug in distage)".into()),
            }),
            Lookup::Absent => Err(Error::NotFound {
                key: key(),
                needed_by: None,
            }),
            Lookup::NotYetProduced => Err(Error::NotYetProduced { key: key() }),
            Lookup::Closed => Err(Error::Closed { key: Some(key()) }),
        }
    }

    pub(crate) fn release_failure(&self, slot: usize, cause: Failure) -> ReleaseFailure {
        let step = &self.plan.steps[slot];
        ReleaseFailure {
            target: step.target(),
            origin: step.origin(),
            cause,
        }
    }

    /// Releases everything when nobody else holds this state (`Arc::get_mut`, or `Drop`): no
    /// child can be alive or being produced, nor anyone else releasing it (each would hold a
    /// handle), so there is no gate to pass and no lock to take. Sync releases only: `None`,
    /// with nothing done, when one is async.
    fn release_exclusive(&mut self) -> Option<Vec<ReleaseFailure>> {
        let LocatorInner {
            plan,
            slots,
            acquired,
            closed,
            children,
            ..
        } = self;
        let acquired = acquired.get_mut().unwrap_or_else(|e| e.into_inner());
        if (acquired.iter()).any(|(_, release)| matches!(release, Some(Release::Async(_)))) {
            return None;
        }
        *closed.get_mut() = true;
        // Only ended children are left in the list.
        children
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let mut failures = Vec::new();
        for (slot, release) in std::mem::take(acquired).into_iter().rev() {
            let instance = slots.take(slot);
            if let Some(Release::Sync(release)) = release {
                let span = crate::release::release_span(plan, slot);
                if let Some(cause) = span.in_scope(|| crate::release::run_sync(release)) {
                    let step = &plan.steps[slot];
                    failures.push(ReleaseFailure {
                        target: step.target(),
                        origin: step.origin(),
                        cause,
                    });
                }
            }
            crate::release::drop_instance(instance);
        }
        slots.drain_rev(|instance| crate::release::drop_instance(Some(instance)));
        // A production cut short ends its lease on the parent after its releases.
        self.produced();
        Some(failures)
    }

    /// Releases everything: what `close` does, and what dropping the last handle does.
    pub(crate) fn shutdown(self: &mut Arc<Self>) -> Vec<ReleaseFailure> {
        // Off its parent's list (that list's weak handle would keep `get_mut` from succeeding),
        // leased on the parent's gate until released, as its close waits for leases.
        let leased = self.leave_parent();
        let released = catch_unwind(AssertUnwindSafe(|| match Arc::get_mut(self) {
            Some(inner) => inner.release_exclusive().unwrap_or_else(|| {
                let mut slots = std::mem::take(&mut inner.slots);
                let failures = crate::release::release_in_order(inner, Some(&mut slots));
                inner.slots = slots;
                failures
            }),
            // Someone still holds the state (a child locator, a `LocatorRef` mid-call): run the
            // release steps now; the instances go when the last holder does.
            None => crate::release::release_in_order(self, None),
        }));
        // Ended on the handle this locator has (cloning it would touch the count every run of
        // the parent shares), also when a release unwinds (a panicking log subscriber).
        if leased && let Some(parent) = &self.parent {
            parent.gate.leave();
        }
        released.unwrap_or_else(|panic| resume_unwind(panic))
    }

    /// Like [`shutdown`](Self::shutdown), awaiting async release steps; independent resources
    /// are released concurrently, every dependent before what it depends on. The release runs
    /// to its end even if the returned future is dropped (see [`crate::release::RunToEnd`]).
    pub(crate) fn shutdown_async(mut self: Arc<Self>) -> crate::release::RunToEnd {
        // Nothing to await (no async release, no child, no child being produced): the sync
        // path, without the concurrent one's bookkeeping — a request scope's usual close.
        if self.gate.shut_if_idle() && self.releases_sync_only() {
            return crate::release::RunToEnd::ran(crate::release::release_and_drop(self));
        }
        // Off its parent's list, as in `shutdown`, so that the slots can be taken and each
        // instance dropped right after its release; the lease ends with the release (a parent
        // closing meanwhile waits, as it would for this run's own close on another thread).
        let lease = match self.leave_parent() {
            true => self.parent.clone().map(|parent| Lease { parent }),
            false => None,
        };
        let slots = Arc::get_mut(&mut self).map(|inner| std::mem::take(&mut inner.slots));
        crate::release::RunToEnd::new(async move {
            let failures = crate::release::release_concurrently(self, slots).await;
            drop(lease);
            failures
        })
    }
}

impl Drop for LocatorInner {
    fn drop(&mut self) {
        // Nobody else holds it now (the usual end, closed or not): the lock-free path.
        if let Some(failures) = self.release_exclusive() {
            for failure in failures {
                tracing::error!("{failure}");
            }
            return;
        }
        let mut slots = std::mem::take(&mut self.slots);
        for failure in crate::release::release_in_order(self, Some(&mut slots)) {
            tracing::error!("{failure}");
        }
    }
}

/// The produced instances of a plan. Dropping it (or [`close`](Locator::close)) releases its
/// resources in reverse order of acquisition.
///
/// ```
/// use std::sync::Arc;
/// use distage_core::{Injector, Module, PlannerInput};
///
/// struct Db(&'static str);
/// let module = Module::build(|m| {
///     m.make::<Db>().from_fn(|| Db("pg://app"));
///     m.make::<u16>().named("port").from_value(8080);
/// });
/// let injector = Injector::new();
/// let locator = injector.produce(&injector.plan(&PlannerInput::new(module))?)?;
/// assert_eq!(locator.get::<Db>()?.0, "pg://app");
/// assert!(locator.find::<String>().is_none());
/// assert_eq!(*locator.get_named::<u16>("port")?, 8080);
/// let url = locator.run(|db: Arc<Db>| db.0)?; // function injection
/// assert_eq!(url, "pg://app");
/// locator.close()?;
/// # Ok::<(), distage_core::Error>(())
/// ```
pub struct Locator {
    pub(crate) inner: Arc<LocatorInner>,
}

impl Locator {
    /// The instance of `T` (`T` may be a trait object: `get::<dyn Repo>()`).
    #[inline]
    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, Error> {
        self.inner.get_typed(
            TypeId::of::<T>(),
            KeyKind::Single,
            None,
            DIKey::of::<T>,
            Instance::arc,
        )
    }

    /// The instance of `T` bound with `.named(id)`.
    pub fn get_named<T: ?Sized + Send + Sync + 'static>(&self, id: &str) -> Result<Arc<T>, Error> {
        self.inner.get_typed(
            TypeId::of::<T>(),
            KeyKind::Single,
            Some(id),
            || DIKey::named::<T>(Id::from(id.to_string())),
            Instance::arc,
        )
    }

    /// The instance of `T`, or `None` when the locator does not hold it.
    pub fn find<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.get::<T>().ok()
    }

    /// The named instance of `T`, or `None`.
    pub fn find_named<T: ?Sized + Send + Sync + 'static>(&self, id: &str) -> Option<Arc<T>> {
        self.get_named::<T>(id).ok()
    }

    /// True when the locator (or a parent) holds an instance of `T`.
    pub fn has<T: ?Sized + Send + Sync + 'static>(&self) -> bool {
        matches!(
            self.inner.lookup(TypeId::of::<T>(), KeyKind::Single, None),
            Lookup::Found(_)
        )
    }

    /// True when the locator (or a parent) holds an instance for `key`.
    pub fn has_key(&self, key: &DIKey) -> bool {
        matches!(self.inner.lookup_key(key), Lookup::Found(_))
    }

    /// The set of `T` elements (`many::<T>()`).
    pub fn get_set<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Set<T>, Error> {
        self.inner.get_typed(
            TypeId::of::<T>(),
            KeyKind::Set,
            None,
            DIKey::set_of::<T>,
            read_set,
        )
    }

    /// The named set of `T` elements.
    pub fn get_named_set<T: ?Sized + Send + Sync + 'static>(
        &self,
        id: &str,
    ) -> Result<Set<T>, Error> {
        self.inner.get_typed(
            TypeId::of::<T>(),
            KeyKind::Set,
            Some(id),
            || DIKey::set_of::<T>().with_id(Some(Id::from(id.to_string()))),
            read_set,
        )
    }

    /// Calls `f` with its parameters injected from this locator:
    /// `locator.run(|users: Arc<UserService>, cfg: Value<Config>| …)`.
    pub fn run<M, R, F: RunFn<M, R>>(&self, f: F) -> Result<R, Error> {
        f.call_in(&RunContext::new(&RunIn(&self.inner)))
    }

    /// The plan this locator was produced from.
    pub fn plan(&self) -> Plan {
        Plan {
            data: self.inner.plan.clone(),
        }
    }

    /// A weak handle to this locator (what a `LocatorRef` parameter receives).
    pub fn locator_ref(&self) -> LocatorRef {
        LocatorRef {
            inner: self.inner.handle(),
        }
    }

    /// Releases every resource in reverse acquisition order and returns the failures together;
    /// every release step runs even when one fails. Live child locators
    /// ([`Injector::inherit`](crate::Injector::inherit)) are closed first, since their instances
    /// may use this one's. After `close`, lookups fail with
    /// [`Error::Closed`]. (A locator from `produce_async` is closed with `AsyncLocator::close`,
    /// which awaits async release steps.)
    pub fn close(mut self) -> Result<(), Error> {
        let failures = self.inner.shutdown();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::Release(failures))
        }
    }

    /// True once the locator is closed.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }
}

impl fmt::Debug for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locator")
            .field("instances", &self.inner.slots.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The produced instances of a plan made by `produce_async`. Lookups are those of
/// [`Locator`] (through `Deref`); [`close`](AsyncLocator::close) awaits async release steps.
///
/// Dropping it without `close` still releases everything, in reverse order: on a multi-thread
/// tokio runtime (via `block_in_place`) or outside any runtime (on a temporary one) before the
/// drop returns; on a current-thread runtime, where blocking is impossible, in a spawned task
/// that may not finish if the runtime stops first. `close().await` is the dependable path, and
/// the one that reports release failures (a drop can only log them).
pub struct AsyncLocator {
    pub(crate) locator: Locator,
}

impl AsyncLocator {
    /// Calls `f` with its parameters injected and awaits the future it returns:
    /// `locator.run(|users: Arc<UserService>| async move { users.list().await })`.
    pub async fn run<M, Fut, F>(&self, f: F) -> Result<Fut::Output, Error>
    where
        F: RunFn<M, Fut>,
        Fut: std::future::Future,
    {
        let future = self.locator.run(f)?;
        Ok(future.await)
    }

    /// Releases every resource: each once every resource depending on it is released,
    /// independent resources concurrently, async release steps awaited. Every failure is
    /// returned together. Lookups fail with [`Error::Closed`] afterwards.
    ///
    /// Once started, the release runs to its end even if this future is dropped (a timeout, a
    /// cancelled task): what is left is handed to a new task on the current tokio runtime (or
    /// finished on this thread when there is none), and its failures are logged.
    pub async fn close(self) -> Result<(), Error> {
        let failures = self.locator.inner.shutdown_async().await;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::Release(failures))
        }
    }

    /// The underlying locator.
    pub fn locator(&self) -> &Locator {
        &self.locator
    }
}

impl std::ops::Deref for AsyncLocator {
    type Target = Locator;
    fn deref(&self) -> &Locator {
        &self.locator
    }
}

impl fmt::Debug for AsyncLocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AsyncLocator").field(&self.locator).finish()
    }
}

/// A set's instance (sets are always boxed).
fn read_set<T: ?Sized + Send + Sync + 'static>(instance: &Instance) -> Option<Set<T>> {
    instance.downcast_ref::<Set<T>>().cloned()
}

fn resolve_for_run<'a>(inner: &'a Arc<LocatorInner>, dep: &Dependency) -> Result<Arg<'a>, Error> {
    Ok(match dep {
        // Resolved on first use: only its slot is found now.
        Dependency::Key {
            key,
            mode: DepMode::Lazy,
        } => Arg::Lazy(Box::new(lazy_slot(inner, key)?)),
        Dependency::Key { key, mode } => match (inner.lookup_key(key), mode) {
            (Lookup::Found(instance), _) => Arg::Instance(instance),
            (Lookup::Absent, DepMode::Optional) => Arg::Absent,
            (Lookup::Closed, _) => {
                return Err(Error::Closed {
                    key: Some(key.clone()),
                });
            }
            (Lookup::NotYetProduced, _) => {
                return Err(Error::NotYetProduced { key: key.clone() });
            }
            (Lookup::Absent, _) => {
                return Err(Error::NotFound {
                    key: key.clone(),
                    needed_by: Some("a function given to `run`".into()),
                });
            }
        },
        Dependency::Locator => Arg::Locator(LocatorRef {
            inner: inner.handle(),
        }),
        Dependency::Logger => Arg::Logger(Box::new(Logger::new("run"))),
    })
}

fn lazy_slot(inner: &Arc<LocatorInner>, key: &DIKey) -> Result<SlotRef, Error> {
    let mut this = inner;
    loop {
        if let Some(slot) = this.plan.find_key(key) {
            return Ok(SlotRef {
                locator: this.handle(),
                slot,
                key: key.clone(),
            });
        }
        match this.parent() {
            Some(p) => this = p,
            None => {
                return Err(Error::NotFound {
                    key: key.clone(),
                    needed_by: Some("a function given to `run`".into()),
                });
            }
        }
    }
}

/// A locator as the scope of a function given to `run`.
struct RunIn<'a>(&'a Arc<LocatorInner>);

impl<'a> RunScope<'a> for RunIn<'a> {
    #[inline]
    fn instance(&self, ty: TypeId, key: fn() -> DIKey) -> Result<&'a Instance, Error> {
        match self.0.lookup(ty, KeyKind::Single, None) {
            Lookup::Found(instance) => Ok(instance),
            Lookup::Absent => Err(Error::NotFound {
                key: key(),
                needed_by: Some("a function given to `run`".into()),
            }),
            Lookup::NotYetProduced => Err(Error::NotYetProduced { key: key() }),
            Lookup::Closed => Err(Error::Closed { key: Some(key()) }),
        }
    }

    fn resolve(&self, dependency: &Dependency) -> Result<Arg<'a>, Error> {
        resolve_for_run(self.0, dependency)
    }
}

impl LocatorRef {
    fn with<R>(&self, f: impl FnOnce(&LocatorInner) -> Result<R, Error>) -> Result<R, Error> {
        match self
            .inner
            .upgrade()
            .and_then(|inner| inner.downcast::<LocatorInner>().ok())
        {
            Some(inner) => f(&inner),
            None => Err(Error::Closed { key: None }),
        }
    }

    /// The instance of `T`.
    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, Error> {
        self.with(|i| {
            i.get_typed(
                TypeId::of::<T>(),
                KeyKind::Single,
                None,
                DIKey::of::<T>,
                Instance::arc,
            )
        })
    }

    /// The instance of `T` bound with `.named(id)`.
    pub fn get_named<T: ?Sized + Send + Sync + 'static>(&self, id: &str) -> Result<Arc<T>, Error> {
        self.with(|i| {
            i.get_typed(
                TypeId::of::<T>(),
                KeyKind::Single,
                Some(id),
                || DIKey::named::<T>(Id::from(id.to_string())),
                Instance::arc,
            )
        })
    }

    /// The set of `T` elements.
    pub fn get_set<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Set<T>, Error> {
        self.with(|i| {
            i.get_typed(
                TypeId::of::<T>(),
                KeyKind::Set,
                None,
                DIKey::set_of::<T>,
                read_set,
            )
        })
    }

    /// The instance of `T`, or `None`.
    pub fn find<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.get::<T>().ok()
    }
}

impl<T: ?Sized + Send + Sync + 'static> Lazy<T> {
    /// The instance; fails while it is not produced yet, and after the locator is gone.
    pub fn get(&self) -> Result<Arc<T>, Error> {
        let inner = self
            .slot
            .locator
            .upgrade()
            .and_then(|inner| inner.downcast::<LocatorInner>().ok())
            .ok_or_else(|| Error::Closed {
                key: Some(self.slot.key.clone()),
            })?;
        match inner.slot(self.slot.slot) {
            Lookup::Found(instance) => instance.arc::<T>().ok_or_else(|| Error::NotFound {
                key: self.slot.key.clone(),
                needed_by: Some("a Lazy whose stored type differs (a bug in distage)".into()),
            }),
            Lookup::NotYetProduced => Err(Error::NotYetProduced {
                key: self.slot.key.clone(),
            }),
            Lookup::Closed => Err(Error::Closed {
                key: Some(self.slot.key.clone()),
            }),
            Lookup::Absent => Err(Error::NotFound {
                key: self.slot.key.clone(),
                needed_by: None,
            }),
        }
    }
}
