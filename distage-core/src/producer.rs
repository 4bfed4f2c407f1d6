//! The producers: run a plan's steps into a locator, synchronously in plan order, or
//! asynchronously with independent branches concurrent.

use std::cell::OnceCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::binding::{AsyncCall, Instance, Produced, Release};
use crate::boxed::BoxError;
use crate::boxed::BoxFuture;
use crate::concurrent::Concurrent;
use crate::error::{Error, Failure, ProduceError, StepFailure};
use crate::inject::{Arg, Args, Dependency};
use crate::inject::{LocatorRef, SlotRef};
use crate::locator::{Lease, Locator, LocatorInner, Lookup, Slots};
use crate::logger::Logger;
use crate::plan::{Action, ArgSource, ParentSlot, Plan, PlanData, Step};
use crate::release::release_and_drop;
use crate::small::Small;

/// Values given to a production: a subcontext's locals, by position.
pub(crate) type Inputs = Small<Option<Instance>, 4>;

/// Produces every step in plan order. On the first failure (error or panic), everything already
/// acquired is released in reverse order and the failure is returned with its key.
pub(crate) fn produce(
    plan: &Plan,
    parent: Option<Arc<LocatorInner>>,
    mut inputs: Inputs,
) -> Result<Locator, Error> {
    let is_async = |s: &&Step| matches!(s.action(), Action::Async(_));
    if plan.data.steps.iter().any(|s| is_async(&s)) {
        let async_steps: Vec<String> = (plan.data.steps.iter().filter(is_async))
            .map(|s| format!("`{}` (bound at {})", s.target(), s.origin()))
            .collect();
        return Err(Error::AsyncInSyncProduce {
            keys: async_steps.join(", "),
        });
    }
    if plan.data.shares_itself {
        return produce_shared(plan, parent, inputs);
    }
    // Nobody sees this locator before it is made: its instances go into cells of our own,
    // stored as they are once every step is done (see `Slots`). The parent waits for this
    // production to end before it closes.
    let lease = parent.as_ref().map(Lease::enter).transpose()?;
    let cells = Cells::new(plan.data.steps.len());
    let making = Making {
        plan: &plan.data,
        parent: parent.as_ref(),
        own: Own::Cells(&cells),
    };
    let mut args = ArgBuf::default();
    let mut acquired = Acquired::default();
    let mut failed = None;
    for (i, step) in plan.data.steps.iter().enumerate() {
        match run_step(&making, step, &mut inputs, &mut args) {
            Ok(produced) => {
                // The cell is empty: each step runs once.
                cells.set(i, produced.instance);
                acquired.push(i, produced.release, plan.data.steps.len());
            }
            Err(cause) => {
                failed = Some((step, cause));
                break;
            }
        }
    }
    drop(args);
    let slots = Slots::Filled(cells.into_slots(plan.data.steps.len()));
    let inner = LocatorInner::made(plan.data.clone(), parent, slots, acquired.list);
    let outcome = match failed {
        None => Ok(Locator { inner }),
        Some((step, cause)) => {
            let release_failures = release_and_drop(inner);
            Err(produce_error(step, cause, Vec::new(), release_failures))
        }
    };
    // Registered with the parent (or released and dropped): the parent may close now.
    drop(lease);
    outcome
}

/// What a production acquired, in order, with the release steps.
#[derive(Default)]
struct Acquired {
    list: Vec<(usize, Option<Release>)>,
}

impl Acquired {
    /// Steps complete in plan order here, which is also the order `release_in_order` drops
    /// slots in when they are not listed: the list starts only with the first release step (a
    /// request scope without resources allocates none).
    fn push(&mut self, step: usize, release: Option<Release>, steps: usize) {
        if release.is_some() || !self.list.is_empty() {
            if self.list.is_empty() {
                // The first release step: the steps before it go on the list too.
                self.list.reserve(steps);
                self.list.extend((0..step).map(|j| (j, None)));
            }
            self.list.push((step, release));
        }
    }
}

/// [`produce`] for a plan that hands out the locator being produced: its slots are filled
/// while others may read them.
fn produce_shared(
    plan: &Plan,
    parent: Option<Arc<LocatorInner>>,
    mut inputs: Inputs,
) -> Result<Locator, Error> {
    let inner = LocatorInner::new(plan.data.clone(), parent)?;
    let making = Making::of(&inner);
    let mut args = ArgBuf::default();
    let mut acquired = Acquired::default();
    for (i, step) in plan.data.steps.iter().enumerate() {
        match run_step(&making, step, &mut inputs, &mut args) {
            Ok(produced) => {
                inner.slots.set(i, produced.instance);
                acquired.push(i, produced.release, plan.data.steps.len());
            }
            Err(cause) => {
                drop(args);
                *inner.acquired.lock().unwrap_or_else(|e| e.into_inner()) = acquired.list;
                let release_failures = release_and_drop(inner);
                return Err(produce_error(step, cause, Vec::new(), release_failures));
            }
        }
    }
    drop(args);
    if !acquired.list.is_empty() {
        *inner.acquired.lock().unwrap_or_else(|e| e.into_inner()) = acquired.list;
    }
    inner.produced();
    Ok(Locator { inner })
}

/// The instances of a production in progress. A large plan's are kept in blocks of under a
/// kilobyte: one block of a slot per step, allocated first, would have the allocator (glibc's)
/// merge its small free blocks to serve it, and each component allocated after it would take
/// the allocator's slow path (at N = 1,000, 13% of a production's instructions). The locator's
/// slots are then allocated once the components are.
enum Cells {
    /// Under a kilobyte: one vector, which becomes the slots in place.
    Flat(Vec<OnceCell<Instance>>),
    /// Each block its own allocation: the point of the blocks.
    #[allow(clippy::vec_box)]
    Blocks(Vec<Box<[OnceCell<Instance>; BLOCK]>>),
}

const BLOCK: usize = 32;

impl Cells {
    fn new(len: usize) -> Self {
        if len <= BLOCK {
            return Cells::Flat((0..len).map(|_| OnceCell::new()).collect());
        }
        let blocks = (0..len.div_ceil(BLOCK))
            .map(|_| Box::new(std::array::from_fn(|_| OnceCell::new())))
            .collect();
        Cells::Blocks(blocks)
    }

    #[inline]
    fn cell(&self, slot: usize) -> Option<&OnceCell<Instance>> {
        match self {
            Cells::Flat(cells) => cells.get(slot),
            Cells::Blocks(blocks) => blocks.get(slot / BLOCK).map(|b| &b[slot % BLOCK]),
        }
    }

    #[inline]
    fn get(&self, slot: usize) -> Option<&Instance> {
        self.cell(slot)?.get()
    }

    /// Fills an empty cell (each step runs once).
    fn set(&self, slot: usize, instance: Instance) {
        if let Some(cell) = self.cell(slot) {
            let _ = cell.set(instance);
        }
    }

    /// The first `len` cells' instances, as a locator keeps them.
    fn into_slots(self, len: usize) -> Box<[Option<Instance>]> {
        match self {
            Cells::Flat(cells) => cells.into_iter().map(OnceCell::into_inner).collect(),
            Cells::Blocks(mut blocks) => {
                let mut slots = Vec::with_capacity(len);
                for block in &mut blocks {
                    let rest = (len - slots.len()).min(BLOCK);
                    slots.extend(block[..rest].iter_mut().map(OnceCell::take));
                }
                slots.into_boxed_slice()
            }
        }
    }
}

/// What a step being produced reads: the instances made so far, and the ancestors'.
pub(crate) struct Making<'a> {
    plan: &'a PlanData,
    parent: Option<&'a Arc<LocatorInner>>,
    own: Own<'a>,
}

enum Own<'a> {
    /// The locator, shared while it is being produced.
    Shared(&'a Arc<LocatorInner>),
    /// Cells of the producer's own: the locator does not exist yet.
    Cells(&'a Cells),
}

impl<'a> Making<'a> {
    pub(crate) fn of(inner: &'a Arc<LocatorInner>) -> Self {
        Making {
            plan: &inner.plan,
            parent: inner.parent(),
            own: Own::Shared(inner),
        }
    }

    #[inline]
    fn own(&self, slot: usize) -> Result<&'a Instance, Failure> {
        match self.own {
            Own::Shared(inner) => found(inner.slot(slot)),
            Own::Cells(cells) => match cells.get(slot) {
                Some(instance) => Ok(instance),
                None => found(Lookup::NotYetProduced),
            },
        }
    }

    /// The locator being produced, for a handle to it.
    fn shared(&self) -> Result<&'a Arc<LocatorInner>, Failure> {
        match self.own {
            Own::Shared(inner) => Ok(inner),
            Own::Cells(_) => Err(Failure::Error(
                "distage: a plan that hands out its locator produced without one".into(),
            )),
        }
    }

    #[inline]
    fn ancestor(&self, p: &ParentSlot) -> Result<&'a Arc<LocatorInner>, Failure> {
        let ancestor = match p.depth as usize {
            0 => self.parent,
            depth => self.parent.and_then(|parent| parent.ancestor(depth - 1)),
        };
        ancestor.ok_or_else(|| {
            Failure::Error("distage: the plan needs a parent locator it was not given".into())
        })
    }
}

/// The arguments of one step: up to four inline (a request scope's plan allocates no buffer),
/// more in a vector the following steps reuse.
pub(crate) type ArgBuf<'a> = Small<Arg<'a>, 4>;

/// Produces the plan with every step started as soon as what it depends on is produced: async
/// steps run concurrently, so start-up takes the longest chain, not the sum.
///
/// On a failure (error or panic) no new step starts, the steps in flight finish, everything
/// acquired is released (dependents first, independent resources concurrently), and every
/// failure is returned. If this future is dropped before it finishes, the steps in flight are
/// dropped with it and everything already acquired is released: sync steps at once, async
/// steps on the current tokio runtime.
pub(crate) async fn produce_async(
    plan: &Plan,
    parent: Option<Arc<LocatorInner>>,
    mut inputs: Inputs,
) -> Result<Locator, Error> {
    let steps = &plan.data.steps;
    // Nothing to await: plan order is the order the steps would become ready in (each step's
    // dependencies come before it), and the sync producer skips this one's bookkeeping.
    if !steps.iter().any(|s| matches!(s.action(), Action::Async(_))) {
        return produce(plan, parent, inputs);
    }
    let inner = LocatorInner::new(plan.data.clone(), parent)?;
    // `waiting[i]`: steps `i` waits for; lazy dependencies do not order production.
    let mut waiting: Vec<usize> = (0..steps.len())
        .map(|s| plan.data.dep_steps(s).filter(|(_, lazy)| !lazy).count())
        .collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for i in 0..steps.len() {
        for (dep, lazy) in plan.data.dep_steps(i) {
            if !lazy {
                dependents[dep].push(i);
            }
        }
    }
    // Ready steps, popped from the end: earliest in plan order first.
    let mut ready: Vec<usize> = (0..steps.len())
        .rev()
        .filter(|&i| waiting[i] == 0)
        .collect();
    let mut in_flight: Concurrent<Result<Produced, BoxError>> = Concurrent::new();
    let mut failures: Vec<(usize, Failure)> = Vec::new();
    let mut args = ArgBuf::default();
    let mut finish = |i: usize, produced: Produced, ready: &mut Vec<usize>| {
        complete(&inner, i, produced);
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                let at = ready.partition_point(|&r| r > d);
                ready.insert(at, d);
            }
        }
    };
    loop {
        {
            // In a block: not held across the await (it may hold cells that are not `Sync`).
            let making = Making::of(&inner);
            while failures.is_empty() {
                let Some(i) = ready.pop() else { break };
                match steps[i].action() {
                    Action::Async(call) => match start_async(&making, &steps[i], call) {
                        Ok(future) => in_flight.push(i, future),
                        Err(cause) => failures.push((i, cause)),
                    },
                    _ => match run_step(&making, &steps[i], &mut inputs, &mut args) {
                        Ok(produced) => finish(i, produced, &mut ready),
                        Err(cause) => failures.push((i, cause)),
                    },
                }
            }
        }
        // After a failure, what is in flight still finishes and is recorded, to be released.
        let Some((i, outcome)) = in_flight.next().await else {
            break;
        };
        match outcome {
            Ok(Ok(produced)) => finish(i, produced, &mut ready),
            Ok(Err(e)) => failures.push((i, Failure::Error(e))),
            Err(panic) => failures.push((i, Failure::from_panic(panic))),
        }
    }
    drop(args);
    drop(in_flight);
    if failures.is_empty() {
        inner.produced();
        return Ok(Locator { inner });
    }
    // Runs to its end even if this future is dropped now.
    let release_failures = inner.shutdown_async().await;
    let mut failures = failures.into_iter();
    let Some((first, cause)) = failures.next() else {
        return Err(Error::Internal(
            "a failed production without a failure".into(),
        ));
    };
    let others = failures
        .map(|(i, cause)| StepFailure {
            target: steps[i].target(),
            origin: steps[i].origin(),
            cause,
        })
        .collect();
    Err(produce_error(
        &steps[first],
        cause,
        others,
        release_failures,
    ))
}

fn produce_error(
    step: &Step,
    cause: Failure,
    others: Vec<StepFailure>,
    release_failures: Vec<crate::error::ReleaseFailure>,
) -> Error {
    Error::Produce(Box::new(ProduceError {
        target: step.target(),
        origin: step.origin(),
        cause,
        others,
        release_failures,
    }))
}

fn complete(inner: &LocatorInner, i: usize, produced: Produced) {
    // The slot is empty: each step runs once.
    inner.slots.set(i, produced.instance);
    inner
        .acquired
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((i, produced.release));
}

/// The span a step's constructor or acquire runs in: `distage` with the key, at debug level, so
/// that a slow start-up shows in any tracing subscriber (and costs a level check without one).
fn step_span(step: &Step) -> tracing::Span {
    tracing::debug_span!("distage", produce = %step.target(), at = %step.origin())
}

/// Takes an async step's arguments and calls it; the future it returns does the rest.
fn start_async(
    making: &Making<'_>,
    step: &Step,
    call: &AsyncCall,
) -> Result<BoxFuture<Result<Produced, BoxError>>, Failure> {
    let args = (making.plan.args(step).iter().enumerate())
        .map(|(position, &source)| resolve_arg(making, step, position, source.get()))
        .collect::<Result<Vec<_>, _>>()?;
    let span = step_span(step);
    match catch_unwind(AssertUnwindSafe(|| {
        span.in_scope(|| call(&mut Args::new(&args)))
    })) {
        Ok(Ok(future)) => Ok(Box::pin(tracing::Instrument::instrument(future, span))),
        Ok(Err(e)) => Err(Failure::Error(e)),
        Err(panic) => Err(Failure::from_panic(panic)),
    }
}

/// Runs a sync step (constructor, set assembly, input); `args` is a buffer for its arguments.
pub(crate) fn run_step<'a>(
    making: &Making<'a>,
    step: &'a Step,
    inputs: &mut Inputs,
    args: &mut ArgBuf<'a>,
) -> Result<Produced, Failure> {
    args.clear();
    for (position, &source) in making.plan.args(step).iter().enumerate() {
        // Most arguments are instances of this plan: read here, without a call.
        let arg = match source.get() {
            ArgSource::Local(slot) => Arg::Instance(making.own(slot as usize)?),
            source => resolve_arg(making, step, position, source)?,
        };
        args.push(arg);
    }
    let args = &args[..];
    match step.action() {
        Action::Call(call) => call_step(step, || call(&mut Args::new(args))),
        Action::Fn(call) => call_step(step, || call(&mut Args::new(args))),
        Action::Assemble {
            assemble,
            inherited,
        } => {
            let inherited = match inherited {
                Some(p) => Some(found(making.ancestor(&p)?.slot(p.slot as usize))?),
                None => None,
            };
            let elements: Vec<&Instance> = args
                .iter()
                .filter_map(|a| match a {
                    Arg::Instance(instance) => Some(*instance),
                    _ => None,
                })
                .collect();
            assemble(inherited, &elements)
                .map(|instance| Produced {
                    instance,
                    release: None,
                })
                .map_err(Failure::Error)
        }
        Action::Input(k) => match inputs.get_mut(k).and_then(Option::take) {
            Some(instance) => Ok(Produced {
                instance,
                release: None,
            }),
            None => Err(Failure::Error(
                format!("distage: no value given for `{}`", step.target()).into(),
            )),
        },
        Action::Async(_) => Err(Failure::Error(
            "distage: an async step in the sync producer".into(),
        )),
        Action::NotCallable => Err(Failure::Error(
            format!("distage: `{}` has no constructor to call", step.target()).into(),
        )),
    }
}

/// Calls a step's constructor in its span; a panic is a failure, not an unwind.
#[inline]
fn call_step(
    step: &Step,
    call: impl FnOnce() -> Result<Produced, BoxError>,
) -> Result<Produced, Failure> {
    match catch_unwind(AssertUnwindSafe(|| step_span(step).in_scope(call))) {
        Ok(Ok(produced)) => Ok(produced),
        Ok(Err(e)) => Err(Failure::Error(e)),
        Err(panic) => Err(Failure::from_panic(panic)),
    }
}

#[inline]
fn found(lookup: Lookup<'_>) -> Result<&Instance, Failure> {
    match lookup {
        Lookup::Found(instance) => Ok(instance),
        Lookup::Closed => Err(Failure::Error("the parent locator is closed".into())),
        Lookup::NotYetProduced | Lookup::Absent => Err(Failure::Error(
            "distage: a dependency was not produced before its dependent".into(),
        )),
    }
}

/// Argument `position` of `step`, from where the plan says it comes.
fn resolve_arg<'a>(
    making: &Making<'a>,
    step: &'a Step,
    position: usize,
    source: ArgSource,
) -> Result<Arg<'a>, Failure> {
    let plan = making.plan;
    // A lazy argument keeps its key, to name it if it fails when used.
    let lazy_key = || match step.dependencies().get(position).and_then(Dependency::key) {
        Some(key) => Ok(key.clone()),
        None => Err(Failure::Error(
            "distage: a lazy argument without a key in the plan".into(),
        )),
    };
    Ok(match source {
        ArgSource::Local(slot) => Arg::Instance(making.own(slot as usize)?),
        ArgSource::Parent(p) => {
            let p = &plan.parents[p as usize];
            Arg::Instance(found(making.ancestor(p)?.slot(p.slot as usize))?)
        }
        ArgSource::Absent => Arg::Absent,
        ArgSource::LazyLocal(slot) => Arg::Lazy(Box::new(SlotRef {
            locator: making.shared()?.handle(),
            slot: slot as usize,
            key: lazy_key()?,
        })),
        ArgSource::LazyParent(p) => {
            let p = &plan.parents[p as usize];
            Arg::Lazy(Box::new(SlotRef {
                locator: making.ancestor(p)?.handle(),
                slot: p.slot as usize,
                key: lazy_key()?,
            }))
        }
        ArgSource::Locator => Arg::Locator(LocatorRef {
            inner: making.shared()?.handle(),
        }),
        ArgSource::Logger(name) => {
            Arg::Logger(Box::new(Logger::new(plan.loggers[name as usize].clone())))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_either_layout_become_the_slots_in_step_order() {
        for len in [0, 1, BLOCK, BLOCK + 1, 3 * BLOCK + 5] {
            let cells = Cells::new(len);
            assert!(matches!(cells, Cells::Flat(_)) == (len <= BLOCK));
            for slot in (0..len).filter(|s| s % 3 != 1) {
                cells.set(slot, Instance::shared(Arc::new(slot)));
            }
            assert!(cells.get(len).is_none());
            let slots = cells.into_slots(len);
            assert_eq!(slots.len(), len);
            for (slot, instance) in slots.iter().enumerate() {
                let read = instance.as_ref().and_then(|i| i.as_ref::<usize>());
                assert_eq!(
                    read,
                    (slot % 3 != 1).then_some(&slot),
                    "slot {slot} of {len}"
                );
            }
        }
    }
}
