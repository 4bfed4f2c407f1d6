//! The producer: runs a plan's steps in order into a locator.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::binding::Produced;
use crate::error::{Error, Failure, ProduceError};
use crate::inject::{Arg, Args};
use crate::locator::{Locator, LocatorInner, LocatorRef, Lookup, SlotRef};
use crate::logger::Logger;
use crate::plan::{Action, ArgSource, ParentSlot, Plan, Step};

/// Produces every step in order. On the first failure (error or panic), everything already
/// acquired is released in reverse order and the failure is returned with its key.
pub(crate) fn produce(plan: &Plan) -> Result<Locator, Error> {
    let mut inner = Arc::new(LocatorInner::new(plan.data.clone(), plan.data.parent.clone()));
    for (i, step) in plan.data.steps.iter().enumerate() {
        match run_step(&inner, step) {
            Ok(produced) => {
                // The slot is empty: each step runs once.
                let _ = inner.slots[i].set(produced.instance);
                inner
                    .acquired
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, produced.release));
            }
            Err(cause) => {
                let release_failures = inner.shutdown();
                return Err(Error::Produce(Box::new(ProduceError {
                    target: step.target.clone(),
                    origin: step.origin,
                    cause,
                    release_failures,
                })));
            }
        }
    }
    Ok(Locator { inner })
}

pub(crate) fn run_step(inner: &Arc<LocatorInner>, step: &Step) -> Result<Produced, Failure> {
    let args = step
        .args
        .iter()
        .map(|source| resolve_arg(inner, source))
        .collect::<Result<Vec<_>, _>>()?;
    match &step.action {
        Action::Call(call) => {
            match catch_unwind(AssertUnwindSafe(|| call(&mut Args::new(&args)))) {
                Ok(Ok(produced)) => Ok(produced),
                Ok(Err(e)) => Err(Failure::Error(e)),
                Err(panic) => Err(Failure::from_panic(panic)),
            }
        }
        Action::Assemble {
            assemble,
            inherited,
        } => {
            let inherited = match inherited {
                Some(p) => Some(found(ancestor(inner, p)?.slot(p.slot))?),
                None => None,
            };
            let elements: Vec<&(dyn Any + Send + Sync)> = args
                .iter()
                .filter_map(|a| match a {
                    Arg::Instance(any) => Some(*any),
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
    }
}

fn ancestor<'a>(inner: &'a LocatorInner, p: &ParentSlot) -> Result<&'a Arc<LocatorInner>, Failure> {
    inner
        .ancestor(p.depth)
        .ok_or_else(|| Failure::Error("distage: the plan needs a parent locator it was not given".into()))
}

fn found(lookup: Lookup<'_>) -> Result<&(dyn Any + Send + Sync), Failure> {
    match lookup {
        Lookup::Found(any) => Ok(any),
        Lookup::Closed => Err(Failure::Error("the parent locator is closed".into())),
        Lookup::NotYetProduced | Lookup::Absent => Err(Failure::Error(
            "distage: a dependency was not produced before its dependent".into(),
        )),
    }
}

fn resolve_arg<'a>(
    inner: &'a Arc<LocatorInner>,
    source: &'a ArgSource,
) -> Result<Arg<'a>, Failure> {
    Ok(match source {
        ArgSource::Local(slot) => Arg::Instance(found(inner.slot(*slot))?),
        ArgSource::Parent(p) => Arg::Instance(found(ancestor(inner, p)?.slot(p.slot))?),
        ArgSource::Absent => Arg::Absent,
        ArgSource::LazyLocal(slot, key) => Arg::Lazy(SlotRef {
            locator: Arc::downgrade(inner),
            slot: *slot,
            key: key.clone(),
        }),
        ArgSource::LazyParent(p, key) => Arg::Lazy(SlotRef {
            locator: Arc::downgrade(ancestor(inner, p)?),
            slot: p.slot,
            key: key.clone(),
        }),
        ArgSource::Locator => Arg::Locator(LocatorRef {
            inner: Arc::downgrade(inner),
        }),
        ArgSource::Logger(name) => Arg::Logger(Logger::new(name.clone())),
    })
}
