//! The planner: from a module, an activation and roots to a checked, ordered [`Plan`].
//!
//! It never recurses (chains thousands of bindings deep plan fine) and collects every problem
//! before failing: missing bindings, conflicts, cycles, incomplete bindings.

mod solver;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::activation::Activation;
use crate::axis::AxisInfo;
use crate::binding::{Binding, BindingRole, ImplKind, Op, Origin, StepTarget};
use crate::error::{Candidate, CycleStep, Dependent, Error, PlanError, Problem};
use crate::hash::{KeyMap, KeySet};
use crate::inject::{DepMode, Dependency};
use crate::key::DIKey;
use crate::logger::Logger;
use crate::module::Module;
use crate::plan::{
    ArgSource, KeyIndex, OtherKind, OtherStep, PackedArg, ParentSlot, Plan, PlanData, Step,
    StepSource, pack, unpack,
};

pub(crate) use solver::{Selection, select};

/// What the planner starts from: the roots to keep (or everything).
#[derive(Clone, Debug, Default)]
pub(crate) enum Roots {
    #[default]
    Everything,
    Keys(Vec<DIKey>),
}

impl Roots {
    /// Adds a root; the first one turns "everything" into "these keys".
    pub(crate) fn push(&mut self, key: DIKey) {
        match self {
            Roots::Keys(keys) => {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            Roots::Everything => *self = Roots::Keys(vec![key]),
        }
    }
}

/// How a key was resolved. A bound key's is kept by key number as a [`Resolved`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Resolution {
    Node(u32),
    /// An ancestor's slot: `Planner::parents[i]`.
    Parent(u32),
    /// Declared as provided from elsewhere (`PlanCheck`).
    Provided,
    /// Not bound here nor in a parent (or ruled out by the activation).
    Missing,
    /// Bound, but its binding has a problem already reported (conflict, incomplete).
    Failed,
}

/// A key's resolution, if it has one yet, in 4 bytes (a 10,000-key module has 10,000): its kind
/// in the top three bits (0: none yet), its number below.
#[derive(Clone, Copy)]
struct Resolved(u32);

impl Resolved {
    const NONE: Resolved = Resolved(0);
    const SHIFT: u32 = 29;

    fn new(resolution: Resolution) -> Self {
        let (kind, number) = match resolution {
            Resolution::Node(n) => (1, n),
            Resolution::Parent(p) => (2, p),
            Resolution::Provided => (3, 0),
            Resolution::Missing => (4, 0),
            Resolution::Failed => (5, 0),
        };
        Resolved(pack(kind, number, Self::SHIFT))
    }

    #[inline]
    fn get(self) -> Option<Resolution> {
        let (kind, number) = unpack(self.0, Self::SHIFT);
        Some(match kind {
            0 => return None,
            1 => Resolution::Node(number),
            2 => Resolution::Parent(number),
            3 => Resolution::Provided,
            4 => Resolution::Missing,
            _ => Resolution::Failed,
        })
    }
}

/// What a node is made from: what does not fit a number is in side tables of the planner. Kept
/// packed in the [`Node`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// The binding at this position in the module.
    Binding(u32),
    /// A value given to each production (a subcontext's local), by position.
    Input(u32),
    /// A set: `Planner::sets[i]`.
    Set(u32),
}

struct SetNode<'a> {
    key: &'a DIKey,
    assemble: crate::binding::Assemble,
    inherited: Option<ParentSlot>,
    elements: Vec<usize>,
    /// Where the set was declared.
    origin: Origin,
}

/// How a dependency of a node was resolved (not stored: read from its key's resolution).
#[derive(Clone, Copy)]
enum Edge {
    Node(u32, DepMode),
    /// An ancestor's slot: `Planner::parents[i]`.
    Parent(u32, DepMode),
    Absent,
    Locator,
    Logger,
}

/// What a node produces, borrowed from the module: owned `StepTarget`s are made only for the
/// plan's steps and for messages.
#[derive(Clone, Copy)]
enum NodeTarget<'a> {
    Key(&'a DIKey),
    Element(&'a Binding),
}

impl NodeTarget<'_> {
    fn step_target(&self) -> StepTarget {
        match self {
            NodeTarget::Key(key) => StepTarget::Key((*key).clone()),
            NodeTarget::Element(b) => StepTarget::SetElement {
                set: b.key().clone(),
                implementation: Box::new(b.provider().kind.clone()),
            },
        }
    }

    fn key(&self) -> &DIKey {
        match self {
            NodeTarget::Key(key) => key,
            NodeTarget::Element(b) => b.key(),
        }
    }
}

impl std::fmt::Display for NodeTarget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.step_target(), f)
    }
}

/// A 10,000-binding plan has 10,000 of these: 8 bytes. What a node produces is not stored
/// but read from its source ([`Planner::target`]), nor its dependencies' resolutions, which
/// are those of their keys ([`Planner::edges`]); what a subcontext node keeps is in
/// `Planner::extras`.
struct Node {
    /// Its [`Source`]: the kind in the top two bits, the number below.
    source: u32,
    /// The node that first needed this one, [`NONE`] for a root.
    reached_from: u32,
}

impl Node {
    const SHIFT: u32 = 30;

    fn new(source: Source, reached_from: u32) -> Self {
        let (kind, number) = match source {
            Source::Binding(b) => (0, b),
            Source::Input(k) => (1, k),
            Source::Set(s) => (2, s),
        };
        Node {
            source: pack(kind, number, Self::SHIFT),
            reached_from,
        }
    }

    #[inline]
    fn source(&self) -> Source {
        let (kind, number) = unpack(self.source, Self::SHIFT);
        match kind {
            0 => Source::Binding(number),
            1 => Source::Input(number),
            _ => Source::Set(number),
        }
    }
}

/// No node (see [`Node`]).
const NONE: u32 = u32::MAX;

#[derive(Default)]
struct SetBindings {
    /// The set's first binding, whichever its role (its key is the set's).
    first: usize,
    declarations: Vec<usize>,
    elements: Vec<usize>,
}

struct MissingEntry {
    key: DIKey,
    needed_by: Vec<Dependent>,
    path: Vec<String>,
}

/// No key: a dependency on a key this module does not bind. (Key numbers are below it: a
/// module of 2^30 bindings would not fit in memory.)
const UNBOUND: u32 = (1 << 30) - 1;

/// A module's bindings by key: built once per module, shared by every planning of it
/// (`PlanCheck` plans one module for every combination of axis choices). Every bound key gets a
/// dense number, and every binding's dependencies are numbered once here, so that planning
/// keeps its state in vectors and hashes only keys the module does not bind.
///
/// Building it reads the module once, in order; planning then reads these arrays, not the
/// bindings, which lie all over a large module's memory: a binding is read again only for what
/// the arrays do not say (tags, a subcontext, a key bound elsewhere). Key numbers hold copies
/// of the keys' ids, so confirming a key found by its hash reads no binding either.
pub(crate) struct Index<'a> {
    bindings: &'a [Binding],
    misuses: &'a [crate::module::Misuse],
    /// The bindings of each key, by key number. Keys are numbered in module order (so
    /// "everything" and every listing is deterministic), and a key is read from one of its
    /// bindings ([`Index::key`]).
    entries: Vec<Entry>,
    /// Bindings of the keys with several ([`Entry::Many`]).
    many: Vec<Vec<u32>>,
    /// Bindings of the sets ([`Entry::Set`]).
    sets: Vec<SetBindings>,
    /// Key → key number. The same kind of index a plan keeps (key → step), so that a plan
    /// renumbers this one instead of hashing every key a second time.
    numbers: KeyIndex,
    /// Binding `b`'s dependencies are `deps[dep_start[b]..dep_start[b + 1]]`.
    deps: Vec<PackedDep>,
    dep_start: Vec<u32>,
    /// By binding: untagged, complete and without a subcontext, so that choosing it and
    /// planning it need nothing more from the binding.
    plain: Vec<bool>,
}

/// A dependency as planning reads it. Kept as a [`PackedDep`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dep {
    /// `id` is the key's number ([`UNBOUND`] for a key the module does not bind, which is then
    /// read from the binding).
    Key {
        id: u32,
        mode: DepMode,
    },
    Locator,
    Logger,
}

/// A [`Dep`] in 4 bytes (a 10,000-binding module has about 30,000): its mode in the top two
/// bits (3 for the locator and loggers), its key number below.
#[derive(Clone, Copy)]
struct PackedDep(u32);

impl PackedDep {
    const SHIFT: u32 = 30;

    fn new(dep: Dep) -> Self {
        let (kind, number) = match dep {
            Dep::Key {
                id,
                mode: DepMode::Strict,
            } => (0, id),
            Dep::Key {
                id,
                mode: DepMode::Optional,
            } => (1, id),
            Dep::Key {
                id,
                mode: DepMode::Lazy,
            } => (2, id),
            Dep::Locator => (3, 0),
            Dep::Logger => (3, 1),
        };
        PackedDep(pack(kind, number, Self::SHIFT))
    }

    #[inline]
    fn get(self) -> Dep {
        let (kind, number) = unpack(self.0, Self::SHIFT);
        let mode = match kind {
            0 => DepMode::Strict,
            1 => DepMode::Optional,
            2 => DepMode::Lazy,
            _ if number == 0 => return Dep::Locator,
            _ => return Dep::Logger,
        };
        Dep::Key { id: number, mode }
    }
}

/// The bindings of one key: almost always exactly one single binding. 8 bytes: the few keys
/// with several, and sets, have theirs in side tables of the index.
#[derive(Clone, Copy)]
enum Entry {
    /// A single instance's key without a single binding, only this other binding of the key.
    None(u32),
    One([u32; 1]),
    /// `Index::many[i]`.
    Many(u32),
    /// `Index::sets[i]`.
    Set(u32),
}

impl<'a> Index<'a> {
    pub(crate) fn new(module: &'a Module) -> Self {
        let bindings = module.bindings();
        let mut index = Index {
            bindings,
            misuses: module.misuses(),
            // Sized up front: growing arrays this large (10,000 bindings) copies them and, in
            // glibc, hands back pages that the next planning faults in again.
            entries: Vec::with_capacity(bindings.len()),
            many: Vec::new(),
            sets: Vec::new(),
            numbers: KeyIndex::with_capacity(bindings.len()),
            deps: Vec::new(),
            dep_start: Vec::with_capacity(bindings.len() + 1),
            plain: Vec::with_capacity(bindings.len()),
        };
        let mut dep_count = 0;
        for (i, b) in bindings.iter().enumerate() {
            let provider = b.provider();
            dep_count += provider.deps.len();
            index.plain.push(
                b.tags().is_empty()
                    && !matches!(provider.op, Op::Incomplete)
                    && provider.subcontext.is_none(),
            );
            let id = match index.numbers.find_or_insert(b.key(), index.entries.len()) {
                Some(id) => id,
                None => {
                    // A set's key, whichever binding comes first.
                    index.entries.push(if b.key().is_set() {
                        index.sets.push(SetBindings {
                            first: i,
                            declarations: Vec::new(),
                            elements: Vec::new(),
                        });
                        Entry::Set(index.sets.len() as u32 - 1)
                    } else {
                        Entry::None(i as u32)
                    });
                    index.entries.len() - 1
                }
            };
            // A key names one instance or one set, so its entry has the binding's shape.
            match (index.entries[id], b.role()) {
                (Entry::None(_), BindingRole::Single) => index.entries[id] = Entry::One([i as u32]),
                (Entry::One([first]), BindingRole::Single) => {
                    index.many.push(vec![first, i as u32]);
                    index.entries[id] = Entry::Many(index.many.len() as u32 - 1);
                }
                (Entry::Many(m), BindingRole::Single) => index.many[m as usize].push(i as u32),
                (Entry::Set(s), BindingRole::SetDeclaration) => {
                    index.sets[s as usize].declarations.push(i)
                }
                (Entry::Set(s), BindingRole::SetElement { .. }) => {
                    index.sets[s as usize].elements.push(i)
                }
                _ => {}
            }
        }
        index.deps.reserve_exact(dep_count);
        // A `Logger` the module binds itself is injected instead of the automatic one.
        let logger = match index.id(&DIKey::of::<Logger>()) {
            Some(id) => Dep::Key {
                id: id as u32,
                mode: DepMode::Strict,
            },
            None => Dep::Logger,
        };
        for b in bindings {
            index.dep_start.push(index.deps.len() as u32);
            for dep in b.provider().deps.iter() {
                let dep = match dep {
                    Dependency::Key { key, mode } => Dep::Key {
                        id: index.id(key).map_or(UNBOUND, |id| id as u32),
                        mode: *mode,
                    },
                    Dependency::Locator => Dep::Locator,
                    Dependency::Logger => logger,
                };
                index.deps.push(PackedDep::new(dep));
            }
        }
        index.dep_start.push(index.deps.len() as u32);
        index
    }

    /// The bindings of key number `id` if it is a single instance's.
    fn candidates_of(&self, id: usize) -> &[u32] {
        match &self.entries[id] {
            Entry::One(one) => one,
            Entry::Many(m) => &self.many[*m as usize],
            Entry::None(_) | Entry::Set(_) => &[],
        }
    }

    pub(crate) fn bindings(&self) -> &'a [Binding] {
        self.bindings
    }

    /// Every key bound, in module order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a DIKey> + '_ {
        (0..self.entries.len()).map(|id| self.key(id))
    }

    /// Every key bound, in module order, with its bindings by module position if it is a
    /// single instance's.
    pub(crate) fn keys_and_candidates(&self) -> impl Iterator<Item = (&'a DIKey, &[u32])> + '_ {
        (0..self.entries.len()).map(|id| (self.key(id), self.candidates_of(id)))
    }

    /// Key number `id`, read from one of its bindings.
    fn key(&self, id: usize) -> &'a DIKey {
        let b = match self.entries[id] {
            Entry::None(b) | Entry::One([b]) => b as usize,
            Entry::Many(m) => self.many[m as usize][0] as usize,
            Entry::Set(s) => self.sets[s as usize].first,
        };
        self.bindings[b].key()
    }

    fn id(&self, key: &DIKey) -> Option<usize> {
        self.numbers.find(key)
    }

    /// Binding `b`'s dependencies, in parameter order.
    fn deps(&self, b: usize) -> &[PackedDep] {
        &self.deps[self.dep_start[b] as usize..self.dep_start[b + 1] as usize]
    }
}

/// What planning for one activation found, before any plan is built.
pub(crate) struct Outcome {
    pub(crate) problems: Vec<Problem>,
    /// Keys the traversal reached.
    pub(crate) reached: KeySet<DIKey>,
    /// The axes whose choice any decision depended on: an activation agreeing with this one on
    /// them gives the same outcome.
    pub(crate) consulted: Vec<AxisInfo>,
}

struct Planner<'a> {
    index: &'a Index<'a>,
    bindings: &'a [Binding],
    activation: &'a Activation,
    /// The plans of the locators this one inherits from, nearest first.
    ancestors: Ancestors<'a>,
    provided: &'a KeySet<DIKey>,
    /// Keys given to each production (a subcontext's locals), with where they were declared.
    inputs: &'a [(DIKey, Origin)],
    consulted: Vec<AxisInfo>,
    nodes: Vec<Node>,
    /// The sets planned ([`Source::Set`]).
    sets: Vec<SetNode<'a>>,
    /// What a subcontext node will take from this locator when it runs, with how it is
    /// needed, by node: kept in the plan, and produced first unless needed lazily.
    extras: KeyMap<u32, Vec<(usize, DepMode)>>,
    /// Ancestors' slots keys resolve to ([`Resolution::Parent`]); a plan's arguments use the
    /// same numbers.
    parents: Vec<ParentSlot>,
    /// Resolutions of bound keys, by key number.
    state: Vec<Resolved>,
    /// Resolutions of keys the module does not bind.
    others: KeyMap<&'a DIKey, Resolution>,
    ruled_out: KeyMap<&'a DIKey, Vec<usize>>,
    queue: VecDeque<usize>,
    problems: Vec<Problem>,
    missing: Vec<MissingEntry>,
    missing_index: KeyMap<DIKey, usize>,
    weak_pending: Vec<(usize, usize)>,
    used: Vec<bool>,
}

/// The plans of the locators a plan is made against (`Injector::inherit`, subcontexts),
/// nearest first: keys they hold are taken from them, by depth and slot.
pub(crate) type Ancestors<'a> = &'a [&'a Arc<PlanData>];

pub(crate) fn plan(
    module: &Module,
    activation: &Activation,
    roots: &Roots,
    optional_roots: &[DIKey],
    ancestors: Ancestors<'_>,
) -> Result<Plan, Error> {
    let parent = ancestors.first().map(|p| Arc::clone(p));
    plan_with(
        module,
        activation,
        roots,
        optional_roots,
        ancestors,
        &[],
        parent,
    )
}

/// Plans a subcontext's module against the locator it runs in: rooted at `root`, its `locals`
/// given at each run. The plan refers to the parent by depth only, so the parent can keep it.
pub(crate) fn plan_subcontext(
    module: &Module,
    activation: &Activation,
    root: &DIKey,
    locals: &[(DIKey, Origin)],
    ancestors: Ancestors<'_>,
) -> Result<Plan, Error> {
    let roots = Roots::Keys(vec![root.clone()]);
    plan_with(module, activation, &roots, &[], ancestors, locals, None)
}

/// Plans `module`, failing with every problem found; the plan names `plan_parent` as the plan
/// of the locator it must be produced from.
fn plan_with(
    module: &Module,
    activation: &Activation,
    roots: &Roots,
    optional_roots: &[DIKey],
    ancestors: Ancestors<'_>,
    inputs: &[(DIKey, Origin)],
    plan_parent: Option<Arc<PlanData>>,
) -> Result<Plan, Error> {
    let index = Index::new(module);
    let provided = KeySet::default();
    let (planner, order, kept_roots) = traverse(
        &index,
        activation,
        roots,
        optional_roots,
        ancestors,
        &provided,
        inputs,
    );
    if !planner.problems.is_empty() {
        return Err(PlanError {
            problems: planner.problems,
        }
        .into());
    }
    // A plan of everything names no roots; optional roots only come with explicit ones
    // (`produce_run`), so none are lost here.
    let kept_roots = matches!(roots, Roots::Keys(_)).then_some(kept_roots);
    let (mut data, numbered) = planner.build(order, kept_roots, plan_parent);
    // The module's key numbers become the plan's steps (or go, for keys not planned).
    let mut keys = index.numbers;
    keys.remap(|id| match numbered.state[id as usize].get() {
        Some(Resolution::Node(n)) => Some(numbered.step_of[n as usize]),
        _ => None,
    });
    for (key, step) in numbered.unbound {
        keys.insert(&key, step);
    }
    data.index = keys;
    Ok(Plan {
        data: Arc::new(data),
    })
}

/// What a plan's key index needs from the planner: where each key went.
struct Numbered {
    /// By key number: how the key was resolved (the planner's).
    state: Vec<Resolved>,
    /// By node: its step.
    step_of: Vec<u32>,
    /// Planned keys the module does not bind (a subcontext's locals), with their steps.
    unbound: Vec<(DIKey, usize)>,
}

/// Plans `index` for `activation` without building a plan: every problem, and the bindings
/// chosen. Keys in `provided` count as bound elsewhere.
pub(crate) fn check(
    index: &Index<'_>,
    activation: &Activation,
    roots: &Roots,
    provided: &KeySet<DIKey>,
) -> Outcome {
    let (planner, _, _) = traverse(index, activation, roots, &[], &[], provided, &[]);
    let reached = planner.reached();
    let mut consulted = planner.consulted;
    consulted.sort();
    consulted.dedup();
    Outcome {
        problems: planner.problems,
        reached,
        consulted,
    }
}

fn traverse<'a>(
    index: &'a Index<'a>,
    activation: &'a Activation,
    roots: &'a Roots,
    optional_roots: &'a [DIKey],
    ancestors: Ancestors<'a>,
    provided: &'a KeySet<DIKey>,
    inputs: &'a [(DIKey, Origin)],
) -> (Planner<'a>, Vec<u32>, Vec<DIKey>) {
    let bindings = index.bindings;
    let mut planner = Planner {
        index,
        bindings,
        activation,
        ancestors,
        provided,
        inputs,
        consulted: Vec::new(),
        nodes: Vec::with_capacity(bindings.len()),
        sets: Vec::new(),
        extras: KeyMap::default(),
        parents: Vec::new(),
        state: vec![Resolved::NONE; index.entries.len()],
        others: KeyMap::default(),
        ruled_out: KeyMap::default(),
        queue: VecDeque::new(),
        problems: Vec::new(),
        missing: Vec::new(),
        missing_index: KeyMap::default(),
        weak_pending: Vec::new(),
        used: vec![false; bindings.len()],
    };
    for m in index.misuses {
        planner.problems.push(Problem::Misuse {
            key: m.key.clone(),
            origin: m.origin,
            message: m.message,
        });
    }
    for &(first, second) in activation.contradictions() {
        planner
            .problems
            .push(Problem::ContradictoryActivation { first, second });
    }
    // Either every key (in module order) or the roots listed.
    let (every_key, listed): (usize, &[DIKey]) = match roots {
        Roots::Everything => (index.entries.len(), &[]),
        Roots::Keys(keys) => {
            if keys.is_empty() && optional_roots.is_empty() {
                planner.problems.push(Problem::NoRoots);
            }
            (0, keys)
        }
    };
    let explicit = matches!(roots, Roots::Keys(_));
    // With "everything", the roots' nodes are those of the keys (`Planner::state`), and the plan
    // names no roots (rather than a copy of every key).
    let mut root_nodes = Vec::with_capacity(listed.len());
    let mut kept_roots = Vec::new();
    let every_key = (0..every_key).map(|id| (index.key(id), Some(id)));
    for (key, id) in every_key.chain(listed.iter().map(|key| (key, index.id(key)))) {
        match planner.resolve_id(key, id, None) {
            Resolution::Node(n) if explicit => {
                root_nodes.push(n);
                kept_roots.push(key.clone());
            }
            Resolution::Node(_) => {}
            Resolution::Parent(_) | Resolution::Provided if explicit => {
                kept_roots.push(key.clone())
            }
            Resolution::Parent(_) | Resolution::Provided => {}
            // With "everything", a key whose bindings the activation rules out is simply absent.
            Resolution::Missing if explicit => planner.add_missing(key, None),
            Resolution::Missing | Resolution::Failed => {}
        }
        planner.drain_queue();
    }
    // Optional roots (`Option<Arc<T>>` parameters of `produce_run`) are kept when bound.
    for key in optional_roots {
        match planner.resolve(key, None) {
            Resolution::Node(n) => {
                root_nodes.push(n);
                kept_roots.push(key.clone());
            }
            Resolution::Parent(_) | Resolution::Provided => kept_roots.push(key.clone()),
            Resolution::Missing | Resolution::Failed => {}
        }
        planner.drain_queue();
    }
    planner.add_weak_elements();
    planner.drain_queue();

    planner.flush_missing();
    let order = planner.order_and_find_cycles(&root_nodes, !explicit);
    (planner, order, kept_roots)
}

impl<'a> Planner<'a> {
    fn parent_slot(&self, key: &DIKey) -> Option<ParentSlot> {
        self.ancestors.iter().enumerate().find_map(|(depth, plan)| {
            plan.find_key(key).map(|slot| ParentSlot {
                depth: depth as u32,
                slot: slot as u32,
            })
        })
    }

    /// Resolves `key` for the node `from` (`None`: a root). Each key is resolved once; later
    /// calls return the first resolution.
    fn resolve(&mut self, key: &'a DIKey, from: Option<usize>) -> Resolution {
        let id = self.index.id(key);
        self.resolve_id(key, id, from)
    }

    /// [`resolve`](Self::resolve) with the key's number in the index, `None` when unbound.
    fn resolve_id(&mut self, key: &'a DIKey, id: Option<usize>, from: Option<usize>) -> Resolution {
        let Some(id) = id else {
            if let Some(r) = self.others.get(key) {
                return *r;
            }
            let r = match self.input(key, from) {
                Some(node) => Resolution::Node(node as u32),
                None => self.elsewhere(key),
            };
            self.others.insert(key, r);
            return r;
        };
        if let Some(r) = self.state[id].get() {
            return r;
        }
        let r = if matches!(self.index.entries[id], Entry::Set(_)) {
            self.resolve_set(key, id, from)
        } else {
            self.resolve_single(key, id, from)
        };
        self.state[id] = Resolved::new(r);
        r
    }

    /// What the traversal reached: every key resolved.
    fn reached(&self) -> KeySet<DIKey> {
        let bound = self
            .state
            .iter()
            .zip(self.index.keys())
            .filter(|(r, _)| r.get().is_some())
            .map(|(_, k)| k.clone());
        bound
            .chain(self.others.keys().map(|k| (*k).clone()))
            .collect()
    }

    /// How `key` was resolved, if it was.
    fn resolution(&self, key: &DIKey) -> Option<Resolution> {
        match self.index.id(key) {
            Some(id) => self.state[id].get(),
            None => self.others.get(key).copied(),
        }
    }

    /// A subcontext's local value, given to each production.
    fn input(&mut self, key: &'a DIKey, from: Option<usize>) -> Option<usize> {
        let k = self.inputs.iter().position(|(input, _)| input == key)?;
        Some(self.add_node(Source::Input(k as u32), from))
    }

    /// What node `n` produces.
    fn target(&self, n: usize) -> NodeTarget<'a> {
        match self.nodes[n].source() {
            Source::Binding(b) => {
                let binding = &self.bindings[b as usize];
                match binding.role() {
                    BindingRole::SetElement { .. } => NodeTarget::Element(binding),
                    _ => NodeTarget::Key(binding.key()),
                }
            }
            Source::Input(k) => NodeTarget::Key(&self.inputs[k as usize].0),
            Source::Set(s) => NodeTarget::Key(self.sets[s as usize].key),
        }
    }

    /// Where node `n`'s binding (or local, or set declaration) was written.
    fn origin(&self, n: usize) -> Origin {
        match self.nodes[n].source() {
            Source::Binding(b) => self.bindings[b as usize].origin(),
            Source::Input(k) => self.inputs[k as usize].1,
            Source::Set(s) => self.sets[s as usize].origin,
        }
    }

    fn elsewhere(&mut self, key: &DIKey) -> Resolution {
        if self.provided.contains(key) {
            return Resolution::Provided;
        }
        let slot = self.parent_slot(key);
        self.inherit(slot)
    }

    /// An ancestor's slot as a resolution (missing without one).
    fn inherit(&mut self, slot: Option<ParentSlot>) -> Resolution {
        let Some(slot) = slot else {
            return Resolution::Missing;
        };
        self.parents.push(slot);
        Resolution::Parent(self.parents.len() as u32 - 1)
    }

    fn consult(&mut self, binding: usize) {
        self.consulted
            .extend(self.bindings[binding].tags().iter().map(|t| t.axis()));
    }

    fn resolve_single(&mut self, key: &'a DIKey, id: usize, from: Option<usize>) -> Resolution {
        if let Some(node) = self.input(key, from) {
            return Resolution::Node(node as u32);
        }
        let index = self.index;
        let candidates = index.candidates_of(id);
        if candidates.is_empty() {
            return self.elsewhere(key);
        }
        // The common case, decided without reading the binding: one untagged candidate.
        if let [b] = *candidates
            && index.plain[b as usize]
        {
            return Resolution::Node(self.add_node(Source::Binding(b), from) as u32);
        }
        for &c in candidates {
            self.consult(c as usize);
        }
        match select(candidates, self.bindings, self.activation) {
            Selection::One(b) => {
                let binding = &self.bindings[b];
                if matches!(binding.provider().op, Op::Incomplete) {
                    self.problems.push(Problem::Incomplete {
                        key: key.clone(),
                        origin: binding.origin(),
                    });
                    return Resolution::Failed;
                }
                let node = self.add_node(Source::Binding(b as u32), from);
                if let Some(spec) = &binding.provider().subcontext {
                    // Resolved before its submodule is planned: a submodule needing the
                    // subcontext itself finds this node (a cycle unless lazily) instead of
                    // planning the subcontext again, inside itself, without end.
                    self.state[id] = Resolved::new(Resolution::Node(node as u32));
                    self.verify_subcontext(node, spec);
                }
                Resolution::Node(node as u32)
            }
            Selection::Nothing(ruled_out) => {
                self.ruled_out.insert(key, ruled_out);
                self.elsewhere(key)
            }
            Selection::Conflict {
                candidates,
                unset_axes,
            } => {
                self.problems.push(Problem::Conflict {
                    key: key.clone(),
                    candidates: candidates.iter().map(|&c| self.candidate(c)).collect(),
                    unset_axes,
                    activation: self.activation.clone(),
                });
                Resolution::Failed
            }
        }
    }

    fn resolve_set(&mut self, key: &'a DIKey, id: usize, from: Option<usize>) -> Resolution {
        let inherited = self.parent_slot(key);
        let index = self.index;
        let Entry::Set(s) = index.entries[id] else {
            return self.elsewhere(key);
        };
        let set = &index.sets[s as usize];
        let assemble =
            set.declarations
                .iter()
                .find_map(|&d| match self.bindings[d].provider().op {
                    Op::Set(assemble) => Some(assemble),
                    _ => None,
                });
        let Some(assemble) = assemble else {
            // Elements without a declaration cannot come from the public API.
            return self.inherit(inherited);
        };
        let declarations = set.declarations.clone();
        let elements = set.elements.clone();
        let origin = self.bindings[declarations[0]].origin();
        for d in declarations {
            self.used[d] = true;
        }
        self.sets.push(SetNode {
            key,
            assemble,
            inherited,
            elements: Vec::new(),
            origin,
        });
        let set_node = self.add_node(Source::Set(self.sets.len() as u32 - 1), from);
        for e in elements {
            self.consult(e);
            let binding = &self.bindings[e];
            if self.activation.contradicts(binding.tags()) {
                continue;
            }
            if binding.role() == (BindingRole::SetElement { weak: true }) {
                self.weak_pending.push((set_node, e));
            } else {
                self.add_element(set_node, e);
            }
        }
        Resolution::Node(set_node as u32)
    }

    /// Plans a subcontext's module under this activation, its locals given: its problems are this
    /// plan's problems, the axes it consults are this plan's, and what it takes from this
    /// locator is resolved here, so that it is kept (and, unless only needed lazily, produced
    /// before the subcontext).
    fn verify_subcontext(&mut self, node: usize, spec: &'a crate::module::SubcontextSpec) {
        let index = Index::new(&spec.module);
        let provided = KeySet::default();
        let roots = Roots::Keys(vec![spec.root.clone()]);
        let (nested, _, _) = traverse(
            &index,
            self.activation,
            &roots,
            &[],
            &[],
            &provided,
            &spec.locals,
        );
        self.consulted.extend(nested.consulted.iter().copied());
        // Keys the subcontext's module neither binds nor receives as locals, however they are
        // needed (`Option<Arc<T>>` included): the subcontext finds them in this locator.
        let bindings = spec.module.bindings();
        let unbound = |key: &DIKey| matches!(nested.resolution(key), Some(Resolution::Missing));
        let mut outer: Vec<(&'a DIKey, DepMode)> = Vec::new();
        if unbound(&spec.root) {
            outer.push((&spec.root, DepMode::Strict));
        }
        for (i, n) in nested.nodes.iter().enumerate() {
            match n.source() {
                Source::Binding(b) => {
                    for dep in bindings[b as usize].provider().deps.iter() {
                        if let Dependency::Key { key, mode } = dep
                            && unbound(key)
                        {
                            outer.push((key, *mode));
                        }
                    }
                }
                // A set the subcontext declares also holds this locator's elements.
                Source::Set(_) => {
                    if let Some(b) = bindings.iter().find(|b| b.key() == nested.target(i).key()) {
                        outer.push((b.key(), DepMode::Optional));
                    }
                }
                Source::Input(_) => {}
            }
        }
        let mut missing: Vec<&'a DIKey> = Vec::new();
        for &(key, mode) in &outer {
            match self.resolve(key, Some(node)) {
                Resolution::Node(n) => self.push_extra(node, n as usize, mode),
                Resolution::Missing if mode != DepMode::Optional => missing.push(key),
                _ => {}
            }
        }
        for problem in nested.problems {
            let Problem::Missing {
                key,
                needed_by,
                mut path,
                ruled_out,
            } = problem
            else {
                self.problems.push(problem);
                continue;
            };
            if !missing.contains(&&key) {
                if outer.iter().any(|(k, _)| **k == key) {
                    continue;
                }
                // Needed by a subcontext nested in this one: look for it here too.
                let Some(found) = find_dependency(&spec.module, &key) else {
                    continue;
                };
                match self.resolve(found, Some(node)) {
                    Resolution::Node(n) => {
                        self.push_extra(node, n as usize, DepMode::Strict);
                        continue;
                    }
                    Resolution::Missing => {}
                    _ => continue,
                }
            }
            path.insert(0, self.target(node).to_string());
            self.problems.push(Problem::Missing {
                key,
                needed_by,
                path,
                ruled_out,
            });
        }
    }

    fn add_element(&mut self, set_node: usize, e: usize) {
        let node = self.add_node(Source::Binding(e as u32), Some(set_node));
        if let Source::Set(s) = self.nodes[set_node].source() {
            self.sets[s as usize].elements.push(node);
        }
    }

    fn add_node(&mut self, source: Source, from: Option<usize>) -> usize {
        if let Source::Binding(b) = source {
            self.used[b as usize] = true;
        }
        let id = self.nodes.len();
        self.nodes
            .push(Node::new(source, from.map_or(NONE, |f| f as u32)));
        self.queue.push_back(id);
        id
    }

    fn candidate(&self, b: usize) -> Candidate {
        let binding = &self.bindings[b];
        Candidate {
            implementation: binding.provider().kind.clone(),
            tags: binding.tags().clone(),
            origin: binding.origin(),
        }
    }

    /// Resolves the dependencies of every queued node, breadth-first.
    fn drain_queue(&mut self) {
        let index = self.index;
        let bindings = self.bindings;
        while let Some(node) = self.queue.pop_front() {
            let Source::Binding(b) = self.nodes[node].source() else {
                continue;
            };
            let b = b as usize;
            for (i, dep) in index.deps(b).iter().enumerate() {
                let Dep::Key { id, mode } = dep.get() else {
                    continue;
                };
                // A bound key is taken from its own bindings' handles (`Index::key`): the
                // dependency list of the binding needing it is read only for a key bound
                // elsewhere.
                let (key, id) = match id {
                    UNBOUND => (bindings[b].provider().deps[i].key(), None),
                    id => (Some(index.key(id as usize)), Some(id as usize)),
                };
                // (Always a key: `Dep::Key` is made from one.)
                let Some(key) = key else { continue };
                let resolution = self.resolve_id(key, id, Some(node));
                if matches!(resolution, Resolution::Missing) && mode != DepMode::Optional {
                    self.add_missing(key, Some(node));
                }
            }
        }
    }

    /// The resolutions of binding `b`'s dependencies, in parameter order: those of their keys,
    /// once `b`'s node is drained.
    fn edges(&self, b: usize) -> impl Iterator<Item = Edge> + '_ {
        let deps = self.index.deps(b);
        (0..deps.len()).map(move |i| self.edge(b, i, deps[i].get()))
    }

    /// The resolution of `dep`, binding `b`'s dependency `i`.
    fn edge(&self, b: usize, i: usize, dep: Dep) -> Edge {
        let (id, mode) = match dep {
            Dep::Key { id, mode } => (id, mode),
            Dep::Locator => return Edge::Locator,
            Dep::Logger => return Edge::Logger,
        };
        let resolution = match id {
            UNBOUND => self.bindings[b].provider().deps[i]
                .key()
                .and_then(|key| self.others.get(key).copied()),
            id => self.state[id as usize].get(),
        };
        match resolution {
            Some(Resolution::Node(n)) => Edge::Node(n, mode),
            Some(Resolution::Parent(p)) => Edge::Parent(p, mode),
            _ => Edge::Absent,
        }
    }

    /// Weak set elements are kept only when what they refer to is needed by something other
    /// than the set; they never make anything reachable themselves.
    fn add_weak_elements(&mut self) {
        for (set_node, e) in std::mem::take(&mut self.weak_pending) {
            let referent = self.bindings[e]
                .provider()
                .deps
                .first()
                .and_then(Dependency::key);
            let retained = referent.is_some_and(|k| {
                matches!(
                    self.resolution(k),
                    Some(Resolution::Node(_) | Resolution::Parent(_) | Resolution::Provided)
                )
            });
            if retained {
                self.add_element(set_node, e);
            }
        }
    }

    fn add_missing(&mut self, key: &DIKey, from: Option<usize>) {
        let dependent = match from {
            Some(n) => Dependent {
                target: Some(self.target(n).step_target()),
                origin: Some(self.origin(n)),
            },
            None => Dependent {
                target: None,
                origin: None,
            },
        };
        if let Some(&i) = self.missing_index.get(key) {
            if !self.missing[i].needed_by.contains(&dependent) {
                self.missing[i].needed_by.push(dependent);
            }
            return;
        }
        let mut path = vec![key.to_string()];
        let mut at = from;
        while let Some(n) = at {
            path.push(self.target(n).to_string());
            let from = self.nodes[n].reached_from;
            at = (from != NONE).then_some(from as usize);
        }
        path.reverse();
        self.missing_index.insert(key.clone(), self.missing.len());
        self.missing.push(MissingEntry {
            key: key.clone(),
            needed_by: vec![dependent],
            path,
        });
    }

    fn flush_missing(&mut self) {
        for entry in std::mem::take(&mut self.missing) {
            let ruled_out = self
                .ruled_out
                .get(&entry.key)
                .map(|bs| bs.iter().map(|&b| self.candidate(b)).collect())
                .unwrap_or_default();
            self.problems.push(Problem::Missing {
                key: entry.key,
                needed_by: entry.needed_by,
                path: entry.path,
                ruled_out,
            });
        }
    }

    fn push_extra(&mut self, node: usize, kept: usize, mode: DepMode) {
        self.extras
            .entry(node as u32)
            .or_default()
            .push((kept, mode));
    }

    fn extra_of(&self, n: usize) -> &[(usize, DepMode)] {
        if self.extras.is_empty() {
            return &[];
        }
        self.extras.get(&(n as u32)).map_or(&[], Vec::as_slice)
    }

    /// Node `v`'s `i`th edge that may order production: `None` past the last; `Some(None)` for
    /// one that does not (a lazy dependency, or one not planned here). Dependencies (or a set's
    /// elements) come first, then what a subcontext takes.
    fn ordering_edge(&self, v: usize, i: usize) -> Option<Option<u32>> {
        let own = match self.nodes[v].source() {
            Source::Binding(b) => {
                let b = b as usize;
                let deps = self.index.deps(b);
                if let Some(&dep) = deps.get(i) {
                    return Some(match self.edge(b, i, dep.get()) {
                        Edge::Node(t, DepMode::Strict | DepMode::Optional) => Some(t),
                        _ => None,
                    });
                }
                deps.len()
            }
            Source::Set(s) => {
                let elements = &self.sets[s as usize].elements;
                match elements.get(i) {
                    Some(&e) => return Some(Some(e as u32)),
                    None => elements.len(),
                }
            }
            Source::Input(_) => 0,
        };
        let &(e, mode) = self.extra_of(v).get(i - own)?;
        Some((mode != DepMode::Lazy).then_some(e as u32))
    }

    /// One iterative depth-first pass: post-order is the production order (dependencies first);
    /// every back edge is a cycle, reported once with its whole path. (Node numbers as `u32`:
    /// the arrays of this pass are among a 10,000-node plan's largest temporaries.)
    fn order_and_find_cycles(&mut self, root_nodes: &[u32], every_key: bool) -> Vec<u32> {
        const MAX_CYCLES: usize = 32;
        let n = self.nodes.len();
        let mut state = vec![0u8; n]; // 0 unvisited, 1 on the stack, 2 done
        let mut stack_pos = vec![u32::MAX; n];
        let mut order = Vec::with_capacity(n);
        // (node, its next edge)
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let mut seen_cycles: KeySet<Vec<usize>> = KeySet::default();
        let mut cycles: Vec<Vec<usize>> = Vec::new();
        // Every key's node (in key order) when planning everything, then the roots', then the
        // rest.
        let keys = self
            .state
            .iter()
            .take(if every_key { usize::MAX } else { 0 });
        let key_nodes = keys.filter_map(|r| match r.get() {
            Some(Resolution::Node(n)) => Some(n),
            _ => None,
        });
        let starts = key_nodes
            .chain(root_nodes.iter().copied())
            .chain(0..n as u32);
        for start in starts {
            if state[start as usize] != 0 {
                continue;
            }
            state[start as usize] = 1;
            stack_pos[start as usize] = 0;
            stack.push((start, 0));
            while let Some(top) = stack.last_mut() {
                let (v, next) = *top;
                let Some(edge) = self.ordering_edge(v as usize, next as usize) else {
                    state[v as usize] = 2;
                    stack.pop();
                    order.push(v);
                    continue;
                };
                top.1 += 1;
                let Some(w) = edge else { continue };
                match state[w as usize] {
                    0 => {
                        state[w as usize] = 1;
                        stack_pos[w as usize] = stack.len() as u32;
                        stack.push((w, 0));
                    }
                    1 => {
                        let cycle: Vec<usize> = stack[stack_pos[w as usize] as usize..]
                            .iter()
                            .map(|&(x, _)| x as usize)
                            .collect();
                        let mut canonical = cycle.clone();
                        canonical.sort_unstable();
                        if cycles.len() < MAX_CYCLES && seen_cycles.insert(canonical) {
                            cycles.push(cycle);
                        }
                    }
                    _ => {}
                }
            }
        }
        for cycle in cycles {
            let mut path: Vec<CycleStep> = cycle
                .iter()
                .map(|&c| CycleStep {
                    target: self.target(c).step_target(),
                    origin: self.origin(c),
                })
                .collect();
            path.push(path[0].clone());
            self.problems.push(Problem::Cycle { path });
        }
        order
    }

    /// The step at which node `n`'s instance is made: a reference's is its referent's (0 for
    /// one in a parent locator, made before anything here), anything else's its own.
    fn produced_at(&self, n: usize, step_of: &[u32]) -> u32 {
        if let Source::Binding(b) = self.nodes[n].source()
            && let ImplKind::Reference(_) = self.bindings[b as usize].provider().kind()
        {
            match self.edges(b as usize).next() {
                Some(Edge::Node(t, _)) => return step_of[t as usize],
                Some(Edge::Parent(..)) => return 0,
                _ => {}
            }
        }
        step_of[n]
    }

    /// The plan's data, but for its key index (left empty), and where each key went.
    fn build(
        self,
        order: Vec<u32>,
        roots: Option<Vec<DIKey>>,
        parent: Option<Arc<PlanData>>,
    ) -> (PlanData, Numbered) {
        let mut step_of = vec![u32::MAX; self.nodes.len()];
        for (step, &node) in order.iter().enumerate() {
            step_of[node as usize] = step as u32;
        }
        let mut imported: Vec<DIKey> = Vec::new();
        let mut steps = Vec::with_capacity(order.len());
        let mut args: Vec<PackedArg> = Vec::with_capacity(self.index.deps.len());
        let mut loggers: Vec<Arc<str>> = Vec::new();
        let mut after: Vec<(u32, u32, bool)> = Vec::new();
        for (step_no, &n) in order.iter().enumerate() {
            let n = n as usize;
            let args_start = args.len() as u32;
            let step = match self.nodes[n].source() {
                Source::Binding(b) => {
                    // Named after the step only when something asks for a `Logger`.
                    let mut logger: Option<u32> = None;
                    args.extend(self.edges(b as usize).map(|edge| {
                        PackedArg::new(match edge {
                            Edge::Node(t, DepMode::Lazy) => {
                                ArgSource::LazyLocal(step_of[t as usize])
                            }
                            Edge::Node(t, _) => ArgSource::Local(step_of[t as usize]),
                            Edge::Parent(p, DepMode::Lazy) => ArgSource::LazyParent(p),
                            Edge::Parent(p, _) => ArgSource::Parent(p),
                            Edge::Absent => ArgSource::Absent,
                            Edge::Locator => ArgSource::Locator,
                            Edge::Logger => ArgSource::Logger(*logger.get_or_insert_with(|| {
                                loggers.push(logger_name(&self.bindings[b as usize]).into());
                                (loggers.len() - 1) as u32
                            })),
                        })
                    }));
                    // In step order, as `PlanData::after` is searched.
                    after.extend(
                        self.extra_of(n)
                            .iter()
                            .map(|&(e, mode)| (step_no as u32, step_of[e], mode == DepMode::Lazy)),
                    );
                    Step {
                        source: StepSource::Binding(self.bindings[b as usize].clone()),
                        args: (args_start, args.len() as u32),
                    }
                }
                Source::Input(k) => Step {
                    source: StepSource::Other(Box::new(OtherStep {
                        key: self.inputs[k as usize].0.clone(),
                        origin: self.inputs[k as usize].1,
                        kind: OtherKind::Input(k as usize),
                    })),
                    args: (args_start, args_start),
                },
                Source::Set(s) => {
                    let set = &self.sets[s as usize];
                    // In the order the elements' instances were produced: a reference's
                    // instance is its referent's, made at the referent's step.
                    let mut element_steps: Vec<(u32, u32)> = set
                        .elements
                        .iter()
                        .map(|&e| (self.produced_at(e, &step_of), step_of[e]))
                        .collect();
                    element_steps.sort_unstable();
                    if set.inherited.is_some() {
                        imported.push(set.key.clone());
                    }
                    args.extend(
                        element_steps
                            .iter()
                            .map(|&(_, s)| PackedArg::new(ArgSource::Local(s))),
                    );
                    Step {
                        source: StepSource::Other(Box::new(OtherStep {
                            key: set.key.clone(),
                            origin: set.origin,
                            kind: OtherKind::Assemble {
                                assemble: set.assemble,
                                inherited: set.inherited,
                            },
                        })),
                        args: (args_start, args.len() as u32),
                    }
                }
            };
            steps.push(step);
        }
        let bound = self
            .state
            .iter()
            .zip(self.index.keys())
            .filter_map(|(r, k)| Some((k, r.get()?)));
        imported.extend(
            bound
                .chain(self.others.iter().map(|(k, r)| (*k, *r)))
                .filter(|(_, r)| matches!(r, Resolution::Parent(_)))
                .map(|(k, _)| k.clone()),
        );
        imported.sort();
        let removed = self
            .bindings
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(b, _)| b.clone())
            .collect();
        let unbound = self
            .others
            .iter()
            .filter_map(|(k, r)| match r {
                Resolution::Node(n) => Some(((*k).clone(), step_of[*n as usize] as usize)),
                _ => None,
            })
            .collect();
        let data = PlanData {
            steps,
            args,
            parents: self.parents,
            loggers,
            after,
            index: KeyIndex::default(),
            roots,
            removed,
            imported,
            activation: self.activation.clone(),
            parent,
        };
        let numbered = Numbered {
            state: self.state,
            step_of,
            unbound,
        };
        (data, numbered)
    }
}
/// What a binding's `Logger` is named: the full path of the component's type (the constructed
/// type, or the key's), from which [`Logger::new`] takes the event target, and its id.
fn logger_name(binding: &Binding) -> String {
    let ty = match binding.provider().kind() {
        ImplKind::Constructor(t) => *t,
        _ => binding.key().type_info(),
    };
    match binding.key().id() {
        Some(id) => format!("{} @ {:?}", ty.full_name(), id.as_str()),
        None => ty.full_name().to_string(),
    }
}

/// `key` as a dependency of some binding in `module` or in a subcontext nested in it.
fn find_dependency<'m>(module: &'m Module, key: &DIKey) -> Option<&'m DIKey> {
    module.bindings().iter().find_map(|b| {
        let spec = b.provider().subcontext.as_deref();
        b.provider()
            .deps
            .iter()
            .filter_map(Dependency::key)
            .chain(spec.map(|s| &s.root))
            .find(|k| *k == key)
            .or_else(|| spec.and_then(|s| find_dependency(&s.module, key)))
    })
}

#[cfg(test)]
mod tests {
    /// A 10,000-binding plan has 10,000 nodes, index entries and resolutions, and about 30,000
    /// dependencies: they must not grow back (a node was 160 bytes, an entry 56).
    #[test]
    fn nodes_dependencies_and_index_entries_stay_small() {
        assert!(std::mem::size_of::<super::Node>() <= 8);
        assert!(std::mem::size_of::<super::PackedDep>() <= 4);
        assert!(std::mem::size_of::<super::Resolved>() <= 4);
        assert!(std::mem::size_of::<super::Entry>() <= 8);
    }

    #[test]
    fn packed_dependencies_unpack_to_what_was_packed() {
        use super::{Dep, PackedDep, UNBOUND};
        use crate::inject::DepMode;
        let deps = [
            Dep::Key {
                id: 0,
                mode: DepMode::Strict,
            },
            Dep::Key {
                id: UNBOUND,
                mode: DepMode::Optional,
            },
            Dep::Key {
                id: 12_345,
                mode: DepMode::Lazy,
            },
            Dep::Locator,
            Dep::Logger,
        ];
        for dep in deps {
            assert_eq!(PackedDep::new(dep).get(), dep);
        }
    }

    #[test]
    fn packed_resolutions_unpack_to_what_was_packed() {
        use super::{Resolution, Resolved};
        let max = (1 << Resolved::SHIFT) - 1;
        assert_eq!(Resolved::NONE.get(), None);
        for r in [
            Resolution::Node(0),
            Resolution::Node(max),
            Resolution::Parent(max),
            Resolution::Provided,
            Resolution::Missing,
            Resolution::Failed,
        ] {
            assert_eq!(Resolved::new(r).get(), Some(r));
        }
    }

    #[test]
    fn packed_node_sources_unpack_to_what_was_packed() {
        use super::{NONE, Node, Source};
        let max = (1 << Node::SHIFT) - 1;
        for source in [
            Source::Binding(0),
            Source::Binding(max),
            Source::Input(max),
            Source::Set(0),
            Source::Set(max),
        ] {
            let node = Node::new(source, NONE);
            assert_eq!(node.source(), source);
            assert_eq!(node.reached_from, NONE);
        }
    }
}
