//! The plan: the ordered steps that produce a locator, and ways to look at it.

use std::any::TypeId;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::activation::Activation;
use crate::axis::Tags;
use crate::binding::{
    Assemble, AsyncCall, Binding, BindingRole, Construct, ImplKind, Op, Origin, StepTarget,
    SyncCall,
};
use crate::inject::Dependency;
use crate::key::{DIKey, Id, KeyKind, key_hash};

mod key_index;
mod render;

pub(crate) use key_index::KeyIndex;
pub use render::{PlanTree, TreeNode};

/// An instance slot of an ancestor of the locator being produced (`depth` 0 is the parent).
/// Plans name ancestors by depth, not by reference, so a plan kept inside its parent locator
/// (a subcontext's) does not keep that locator alive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParentSlot {
    pub(crate) depth: u32,
    pub(crate) slot: u32,
}

/// Where a call's argument comes from: what does not fit a number is in side tables of the
/// plan, or read from the step. Kept as a [`PackedArg`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum ArgSource {
    /// The instance of a step of this plan.
    Local(u32),
    /// An ancestor's instance: `PlanData::parents[i]`.
    Parent(u32),
    Absent,
    /// A step of this plan, lazily; the key (named when it fails on use) is the step's
    /// dependency at the argument's position.
    LazyLocal(u32),
    /// An ancestor's instance (`PlanData::parents[i]`), lazily.
    LazyParent(u32),
    Locator,
    /// A logger named `PlanData::loggers[i]`.
    Logger(u32),
}

/// `kind` in the bits from `shift` up and `number` below: how the plan's and the planner's
/// per-binding arrays keep an enum of a kind and a number in 4 bytes. Numbers stay below
/// `1 << shift` (at 29 bits, half a billion: a module that large would not fit in memory).
#[inline]
pub(crate) fn pack(kind: u32, number: u32, shift: u32) -> u32 {
    let mask = (1 << shift) - 1;
    debug_assert!(number <= mask, "{number} does not fit in {shift} bits");
    kind << shift | number & mask
}

/// The kind and the number [`pack`] put in `bits`.
#[inline]
pub(crate) fn unpack(bits: u32, shift: u32) -> (u32, u32) {
    (bits >> shift, bits & ((1 << shift) - 1))
}

/// An [`ArgSource`] in 4 bytes (a 10,000-binding plan has about 30,000 arguments): its kind in
/// the top three bits, its number below. Numbers (steps, and places in the plan's side tables)
/// stay below 2^29: a plan that large would not fit in memory.
#[derive(Clone, Copy)]
pub(crate) struct PackedArg(u32);

impl PackedArg {
    const SHIFT: u32 = 29;

    pub(crate) fn new(source: ArgSource) -> Self {
        let (kind, number) = match source {
            ArgSource::Local(n) => (0, n),
            ArgSource::Parent(n) => (1, n),
            ArgSource::Absent => (2, 0),
            ArgSource::LazyLocal(n) => (3, n),
            ArgSource::LazyParent(n) => (4, n),
            ArgSource::Locator => (5, 0),
            ArgSource::Logger(n) => (6, n),
        };
        PackedArg(pack(kind, number, Self::SHIFT))
    }

    #[inline]
    pub(crate) fn get(self) -> ArgSource {
        let (kind, n) = unpack(self.0, Self::SHIFT);
        match kind {
            0 => ArgSource::Local(n),
            1 => ArgSource::Parent(n),
            3 => ArgSource::LazyLocal(n),
            4 => ArgSource::LazyParent(n),
            5 => ArgSource::Locator,
            6 => ArgSource::Logger(n),
            _ => ArgSource::Absent,
        }
    }
}

/// What running a step does, borrowed from the step.
pub(crate) enum Action<'a> {
    Call(&'a SyncCall),
    Fn(Construct),
    Async(&'a AsyncCall),
    /// A value given to the producer (a subcontext's local value), by position.
    Input(usize),
    Assemble {
        assemble: Assemble,
        inherited: Option<ParentSlot>,
    },
    /// A binding with nothing to call (never planned as a step).
    NotCallable,
}

/// Where a step comes from: a binding of the module (shared with it, not copied), or what the
/// planner made itself.
#[derive(Clone)]
pub(crate) enum StepSource {
    Binding(Binding),
    /// Boxed: inputs and sets are few, and every step has this enum's size.
    Other(Box<OtherStep>),
}

#[derive(Clone)]
pub(crate) struct OtherStep {
    pub(crate) key: DIKey,
    pub(crate) origin: Origin,
    pub(crate) kind: OtherKind,
}

#[derive(Clone)]
pub(crate) enum OtherKind {
    /// A value given to the producer (a subcontext's local value), by position.
    Input(usize),
    /// A set, assembled from its element steps (the step's arguments) and, for a child
    /// locator, the parent's set.
    Assemble {
        assemble: Assemble,
        inherited: Option<ParentSlot>,
    },
}

/// One step of a plan. 24 bytes: what describes it (key, origin, tags, implementation,
/// dependencies) is read from the binding it shares with the module.
#[derive(Clone)]
pub struct Step {
    pub(crate) source: StepSource,
    /// The step's arguments are `PlanData::args[args.0..args.1]`: one array for the whole plan,
    /// not an allocation per step.
    pub(crate) args: (u32, u32),
}

/// No tags, for steps without a binding.
static NO_TAGS: Tags = Tags::new();

impl Step {
    /// What the step produces.
    pub fn target(&self) -> StepTarget {
        match &self.source {
            StepSource::Binding(b) if matches!(b.role(), BindingRole::SetElement { .. }) => {
                StepTarget::SetElement {
                    set: b.key().clone(),
                    implementation: Box::new(b.provider().kind.clone()),
                }
            }
            _ => StepTarget::Key(self.key().clone()),
        }
    }

    /// The key it produces (the set's key for an element).
    pub fn key(&self) -> &DIKey {
        match &self.source {
            StepSource::Binding(b) => b.key(),
            StepSource::Other(o) => &o.key,
        }
    }

    /// Where its binding was written.
    pub fn origin(&self) -> Origin {
        match &self.source {
            StepSource::Binding(b) => b.origin(),
            StepSource::Other(o) => o.origin,
        }
    }

    /// The binding's tags.
    pub fn tags(&self) -> &Tags {
        match &self.source {
            StepSource::Binding(b) => b.tags(),
            StepSource::Other(_) => &NO_TAGS,
        }
    }

    /// How the instance is made.
    pub fn implementation(&self) -> &ImplKind {
        match &self.source {
            StepSource::Binding(b) => &b.provider().kind,
            StepSource::Other(o) => match o.kind {
                OtherKind::Input(_) => &ImplKind::Local,
                OtherKind::Assemble { .. } => &ImplKind::Set,
            },
        }
    }

    /// The dependencies, in parameter order.
    pub fn dependencies(&self) -> &[Dependency] {
        match &self.source {
            StepSource::Binding(b) => b.provider().dependencies(),
            StepSource::Other(_) => &[],
        }
    }

    /// The binding the step runs, if it comes from one (sets and subcontext locals do not).
    pub fn binding(&self) -> Option<&Binding> {
        match &self.source {
            StepSource::Binding(b) => Some(b),
            StepSource::Other(_) => None,
        }
    }

    pub(crate) fn action(&self) -> Action<'_> {
        match &self.source {
            StepSource::Binding(b) => match &b.provider().op {
                Op::Call(call) => Action::Call(call),
                Op::Fn(call) => Action::Fn(*call),
                Op::Async(call) => Action::Async(call),
                // The planner makes steps of call bindings only (a set declaration's step is
                // an `Assemble`, an incomplete binding a plan error): should one slip through,
                // running it is an error, not a panic.
                Op::Set(_) | Op::Incomplete => Action::NotCallable,
            },
            StepSource::Other(o) => match o.kind {
                OtherKind::Input(i) => Action::Input(i),
                OtherKind::Assemble {
                    assemble,
                    inherited,
                } => Action::Assemble {
                    assemble,
                    inherited,
                },
            },
        }
    }
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} := {} at {}",
            self.target(),
            self.implementation(),
            self.origin()
        )
    }
}

pub(crate) struct PlanData {
    pub(crate) steps: Vec<Step>,
    /// Every step's arguments, step after step (see [`Step::args`]).
    pub(crate) args: Vec<PackedArg>,
    /// Ancestors' slots that arguments take ([`ArgSource::Parent`], [`ArgSource::LazyParent`]).
    pub(crate) parents: Vec<ParentSlot>,
    /// Names of the loggers arguments get ([`ArgSource::Logger`]).
    pub(crate) loggers: Vec<Arc<str>>,
    /// Steps kept for another without being its arguments (what a subcontext will take from
    /// this locator when it runs), by step: `(step, kept step, lazy)`, a lazy need not ordering
    /// production. Few steps have any, so they are not in [`Step`].
    pub(crate) after: Vec<(u32, u32, bool)>,
    pub(crate) index: KeyIndex,
    /// `None` for a plan of every binding.
    pub(crate) roots: Option<Vec<DIKey>>,
    pub(crate) removed: Vec<Binding>,
    pub(crate) imported: Vec<DIKey>,
    pub(crate) activation: Activation,
    /// The plan of the locator this one must be produced from (`Injector::inherit`): kept to
    /// check, at produce time, that the injector's parent is a locator of that plan.
    pub(crate) parent: Option<Arc<PlanData>>,
    /// An argument hands out the locator being produced (`LocatorRef`, a lazy handle to one of
    /// its own instances): its production fills slots others may read (see `Slots`).
    pub(crate) shares_itself: bool,
}

impl PlanData {
    /// The step producing `key`.
    pub(crate) fn find_key(&self, key: &DIKey) -> Option<usize> {
        self.index.find(key)
    }

    /// Where `step`'s arguments come from, in parameter order.
    #[inline]
    pub(crate) fn args(&self, step: &Step) -> &[PackedArg] {
        &self.args[step.args.0 as usize..step.args.1 as usize]
    }

    /// Local steps step `step` depends on, with whether the dependency is lazy (which does not
    /// order production).
    pub(crate) fn dep_steps(&self, step: usize) -> impl Iterator<Item = (usize, bool)> + '_ {
        let start = self.after.partition_point(|&(s, _, _)| (s as usize) < step);
        let after = self.after[start..]
            .iter()
            .take_while(move |&&(s, _, _)| s as usize == step)
            .map(|&(_, kept, lazy)| (kept as usize, lazy));
        let step = &self.steps[step];
        self.args(step)
            .iter()
            .filter_map(|a| match a.get() {
                ArgSource::Local(i) => Some((i as usize, false)),
                ArgSource::LazyLocal(i) => Some((i as usize, true)),
                _ => None,
            })
            .chain(after)
    }
}

/// An ordered, checked recipe for producing a locator: every key reachable from the roots,
/// each after what it depends on. Cheap to clone; produce it as many times as you like.
///
/// ```
/// use std::sync::Arc;
/// use distage_core::{DIKey, Injector, Module, PlannerInput};
///
/// struct Db;
/// struct Users(Arc<Db>);
///
/// let module = Module::build(|m| {
///     m.make::<Db>().from_fn(|| Db);
///     m.make::<Users>().from_fn(Users);
/// });
/// let plan = Injector::new().plan(&PlannerInput::new(module).roots::<Users>()).unwrap();
/// assert!(plan.contains(&DIKey::of::<Db>()));
/// let text = plan.to_string(); // each step with the file:line it was bound at
/// assert!(text.contains("Users"), "{text}");
/// ```
#[derive(Clone)]
pub struct Plan {
    pub(crate) data: Arc<PlanData>,
}

impl Plan {
    /// The steps in production order.
    pub fn steps(&self) -> &[Step] {
        &self.data.steps
    }

    /// The roots the plan was made for; empty when it was made for every binding (no roots
    /// given).
    pub fn roots(&self) -> &[DIKey] {
        self.data.roots.as_deref().unwrap_or_default()
    }

    /// The bindings left out: unreachable from the roots, or ruled out by the activation.
    pub fn removed(&self) -> &[Binding] {
        &self.data.removed
    }

    /// Keys taken from the parent locator.
    pub fn imported(&self) -> &[DIKey] {
        &self.data.imported
    }

    /// The activation the plan was made for.
    pub fn activation(&self) -> &Activation {
        &self.data.activation
    }

    /// True when the plan produces `key`.
    pub fn contains(&self, key: &DIKey) -> bool {
        self.data.find_key(key).is_some()
    }

    /// The step producing `key`, if the plan has one.
    pub fn step(&self, key: &DIKey) -> Option<&Step> {
        self.data.find_key(key).map(|i| &self.data.steps[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10,000-binding plan has 10,000 steps and index entries and about 30,000 arguments:
    /// they must not grow back (a step was 208 bytes, an argument 24, and an index slot 64).
    #[test]
    fn steps_arguments_and_index_entries_stay_small() {
        assert!(std::mem::size_of::<Step>() <= 24);
        assert!(std::mem::size_of::<PackedArg>() <= 4);
    }

    #[test]
    fn packed_arguments_unpack_to_what_was_packed() {
        let max = (1 << PackedArg::SHIFT) - 1;
        let sources = [
            ArgSource::Local(0),
            ArgSource::Local(max),
            ArgSource::Parent(7),
            ArgSource::Absent,
            ArgSource::LazyLocal(max),
            ArgSource::LazyParent(3),
            ArgSource::Locator,
            ArgSource::Logger(max),
        ];
        for source in sources {
            let unpacked = PackedArg::new(source).get();
            assert_eq!(format!("{unpacked:?}"), format!("{source:?}"));
        }
    }
}
