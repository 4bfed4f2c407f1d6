//! The planner: from a module, an activation and roots to a checked, ordered [`Plan`].
//!
//! It never recurses (chains thousands of bindings deep plan fine) and collects every problem
//! before failing: missing bindings, conflicts, cycles, incomplete bindings.

mod assemble;
mod ids;
mod index;
mod node;
mod order;
mod solver;
mod subcontexts;

pub(crate) use ids::BindingIdx;
use ids::{KeyId, NodeId};
pub(crate) use index::Index;
use index::{Dep, PackedDep, SetBindings};
use node::{Edge, Node, NodeTarget, Resolution, Resolved, SetNode, Source};

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

struct MissingEntry {
    key: DIKey,
    needed_by: Vec<Dependent>,
    path: Vec<String>,
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
    extras: KeyMap<NodeId, Vec<(NodeId, DepMode)>>,
    /// Ancestors' slots keys resolve to ([`Resolution::Parent`]); a plan's arguments use the
    /// same numbers.
    parents: Vec<ParentSlot>,
    /// Resolutions of bound keys, by key number.
    state: Vec<Resolved>,
    /// Resolutions of keys the module does not bind.
    others: KeyMap<&'a DIKey, Resolution>,
    ruled_out: KeyMap<&'a DIKey, Vec<BindingIdx>>,
    queue: VecDeque<NodeId>,
    problems: Vec<Problem>,
    missing: Vec<MissingEntry>,
    missing_index: KeyMap<DIKey, usize>,
    /// Weak elements of sets, kept if what they refer to is planned: (set node, element).
    weak_pending: Vec<(NodeId, BindingIdx)>,
    /// By binding: planned (or a declaration of a set planned).
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
    keys.remap(|id| numbered.step_of_key(KeyId::from_u32(id)));
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

impl Numbered {
    /// The step that produces key `id`, if the key was planned here.
    fn step_of_key(&self, id: KeyId) -> Option<u32> {
        match self.state[id.index()].get() {
            Some(Resolution::Node(n)) => Some(self.step_of[n.index()]),
            _ => None,
        }
    }
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
) -> (Planner<'a>, Vec<NodeId>, Vec<DIKey>) {
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
        state: vec![Resolved::NONE; index.key_count()],
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
        Roots::Everything => (index.key_count(), &[]),
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
    let every_key = KeyId::all(every_key).map(|id| (index.key(id), Some(id)));
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
    fn resolve(&mut self, key: &'a DIKey, from: Option<NodeId>) -> Resolution {
        let id = self.index.id(key);
        self.resolve_id(key, id, from)
    }

    /// [`resolve`](Self::resolve) with the key's number in the index, `None` when unbound.
    fn resolve_id(
        &mut self,
        key: &'a DIKey,
        id: Option<KeyId>,
        from: Option<NodeId>,
    ) -> Resolution {
        let Some(id) = id else {
            if let Some(r) = self.others.get(key) {
                return *r;
            }
            let r = match self.input(key, from) {
                Some(node) => Resolution::Node(node),
                None => self.elsewhere(key),
            };
            self.others.insert(key, r);
            return r;
        };
        if let Some(r) = self.state[id.index()].get() {
            return r;
        }
        let r = match self.index.set_of(id) {
            Some(set) => self.resolve_set(key, set, from),
            None => self.resolve_single(key, id, from),
        };
        self.state[id.index()] = Resolved::new(r);
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
            Some(id) => self.state[id.index()].get(),
            None => self.others.get(key).copied(),
        }
    }

    /// A subcontext's local value, given to each production.
    #[inline]
    fn input(&mut self, key: &'a DIKey, from: Option<NodeId>) -> Option<NodeId> {
        let k = self.inputs.iter().position(|(input, _)| input == key)?;
        Some(self.add_node(Source::Input(k as u32), from))
    }

    #[inline]
    fn binding(&self, b: BindingIdx) -> &'a Binding {
        &self.bindings[b.index()]
    }

    #[inline]
    fn node(&self, n: NodeId) -> &Node {
        &self.nodes[n.index()]
    }

    /// What node `n` produces.
    fn target(&self, n: NodeId) -> NodeTarget<'a> {
        match self.node(n).source() {
            Source::Binding(b) => {
                let binding = self.binding(b);
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
    fn origin(&self, n: NodeId) -> Origin {
        match self.node(n).source() {
            Source::Binding(b) => self.binding(b).origin(),
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

    fn consult(&mut self, b: BindingIdx) {
        self.consulted
            .extend(self.binding(b).tags().iter().map(|t| t.axis()));
    }

    fn resolve_single(&mut self, key: &'a DIKey, id: KeyId, from: Option<NodeId>) -> Resolution {
        if let Some(node) = self.input(key, from) {
            return Resolution::Node(node);
        }
        let index = self.index;
        let candidates = index.candidates_of(id);
        if candidates.is_empty() {
            return self.elsewhere(key);
        }
        // The common case, decided without reading the binding: one untagged candidate.
        if let [b] = *candidates
            && index.is_plain(b)
        {
            return Resolution::Node(self.add_node(Source::Binding(b), from));
        }
        for &c in candidates {
            self.consult(c);
        }
        match select(candidates, self.bindings, self.activation) {
            Selection::One(b) => {
                let binding = self.binding(b);
                if matches!(binding.provider().op, Op::Incomplete) {
                    self.problems.push(Problem::Incomplete {
                        key: key.clone(),
                        origin: binding.origin(),
                    });
                    return Resolution::Failed;
                }
                let node = self.add_node(Source::Binding(b), from);
                if let Some(spec) = &binding.provider().subcontext {
                    // Resolved before its submodule is planned: a submodule needing the
                    // subcontext itself finds this node (a cycle unless lazily) instead of
                    // planning the subcontext again, inside itself, without end.
                    self.state[id.index()] = Resolved::new(Resolution::Node(node));
                    self.verify_subcontext(node, spec);
                }
                Resolution::Node(node)
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

    fn resolve_set(
        &mut self,
        key: &'a DIKey,
        set: &'a SetBindings,
        from: Option<NodeId>,
    ) -> Resolution {
        let inherited = self.parent_slot(key);
        let assemble = set
            .declarations
            .iter()
            .find_map(|&d| match self.binding(d).provider().op {
                Op::Set(assemble) => Some(assemble),
                _ => None,
            });
        let Some(assemble) = assemble else {
            // Elements without a declaration cannot come from the public API.
            return self.inherit(inherited);
        };
        let origin = self.binding(set.declarations[0]).origin();
        for d in &set.declarations {
            self.used[d.index()] = true;
        }
        self.sets.push(SetNode {
            key,
            assemble,
            inherited,
            elements: Vec::new(),
            origin,
        });
        let set_node = self.add_node(Source::Set(self.sets.len() as u32 - 1), from);
        for &e in &set.elements {
            self.consult(e);
            let binding = self.binding(e);
            if self.activation.contradicts(binding.tags()) {
                continue;
            }
            if binding.role() == (BindingRole::SetElement { weak: true }) {
                self.weak_pending.push((set_node, e));
            } else {
                self.add_element(set_node, e);
            }
        }
        Resolution::Node(set_node)
    }

    fn add_element(&mut self, set_node: NodeId, e: BindingIdx) {
        let node = self.add_node(Source::Binding(e), Some(set_node));
        if let Source::Set(s) = self.node(set_node).source() {
            self.sets[s as usize].elements.push(node);
        }
    }

    fn add_node(&mut self, source: Source, from: Option<NodeId>) -> NodeId {
        if let Source::Binding(b) = source {
            self.used[b.index()] = true;
        }
        let id = NodeId::new(self.nodes.len());
        self.nodes.push(Node::new(source, from));
        self.queue.push_back(id);
        id
    }

    fn candidate(&self, b: BindingIdx) -> Candidate {
        let binding = self.binding(b);
        Candidate {
            implementation: binding.provider().kind.clone(),
            tags: binding.tags().clone(),
            origin: binding.origin(),
        }
    }

    /// Resolves the dependencies of every queued node, breadth-first.
    fn drain_queue(&mut self) {
        let index = self.index;
        while let Some(node) = self.queue.pop_front() {
            let Source::Binding(b) = self.node(node).source() else {
                continue;
            };
            for (i, dep) in index.deps(b).iter().enumerate() {
                // A bound key is taken from its own bindings' handles (`Index::key`): the
                // dependency list of the binding needing it is read only for a key bound
                // elsewhere.
                let (key, id, mode) = match dep.get() {
                    Dep::Key { id, mode } => (index.key(id), Some(id), mode),
                    Dep::Unbound { mode } => match self.binding(b).provider().deps[i].key() {
                        Some(key) => (key, None, mode),
                        // (Never: `Dep::Unbound` is made from a key.)
                        None => continue,
                    },
                    Dep::Locator | Dep::Logger => continue,
                };
                let resolution = self.resolve_id(key, id, Some(node));
                if matches!(resolution, Resolution::Missing) && mode != DepMode::Optional {
                    self.add_missing(key, Some(node));
                }
            }
        }
    }

    /// The resolutions of binding `b`'s dependencies, in parameter order: those of their keys,
    /// once `b`'s node is drained.
    fn edges(&self, b: BindingIdx) -> impl Iterator<Item = Edge> + '_ {
        let deps = self.index.deps(b);
        (0..deps.len()).map(move |i| self.edge(b, i, deps[i]))
    }

    /// The resolution of `dep`, binding `b`'s dependency `i`.
    fn edge(&self, b: BindingIdx, i: usize, dep: PackedDep) -> Edge {
        let (resolution, mode) = match dep.get() {
            Dep::Key { id, mode } => (self.state[id.index()].get(), mode),
            Dep::Unbound { mode } => {
                let key = self.binding(b).provider().deps[i].key();
                (key.and_then(|key| self.others.get(key).copied()), mode)
            }
            Dep::Locator => return Edge::Locator,
            Dep::Logger => return Edge::Logger,
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
            let referent = self
                .binding(e)
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

    fn add_missing(&mut self, key: &DIKey, from: Option<NodeId>) {
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
            at = self.node(n).reached_from();
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

    fn push_extra(&mut self, node: NodeId, kept: NodeId, mode: DepMode) {
        self.extras.entry(node).or_default().push((kept, mode));
    }

    fn extra_of(&self, n: NodeId) -> &[(NodeId, DepMode)] {
        if self.extras.is_empty() {
            return &[];
        }
        self.extras.get(&n).map_or(&[], Vec::as_slice)
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
mod tests;
