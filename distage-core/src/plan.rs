//! The plan: the ordered steps that produce a locator, and ways to look at it.

use std::any::TypeId;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::activation::Activation;
use crate::axis::Tags;
use crate::binding::{
    Assemble, AsyncCall, Binding, BindingRole, ImplKind, Op, Origin, StepTarget, SyncCall,
};
use crate::inject::Dependency;
use crate::key::{DIKey, Id, KeyKind, key_hash};

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

/// Key → slot lookup by a hash of the key's parts, so a named lookup neither allocates nor
/// scans the other keys of its type.
///
/// Open addressing over a small table of 8-byte cells, each naming an entry; the entries are
/// dense and hold the whole key (its id copied when inline), so a lookup reads a cell and an
/// entry, and nothing else unless the id is longer than an inline one. A 10,000-key index is 16,384 cells (128 KiB) and 10,000 entries
/// (480 KB). The planner numbers a module's keys with one, and a plan renumbers it to its
/// steps ([`KeyIndex::remap`]).
#[derive(Default)]
pub(crate) struct KeyIndex {
    /// A power of two long, at most 5/8 full. A cell is 0 when empty, else the high half of
    /// its key's hash over the entry's number + 1.
    cells: Vec<u64>,
    entries: Vec<Entry>,
}

/// 48 bytes.
struct Entry {
    ty: TypeId,
    id: Option<Id>,
    /// [`GONE`] for a key a plan left out.
    slot: u32,
    kind: KeyKind,
}

/// The slot of a key no longer in the index.
const GONE: u32 = u32::MAX;

impl KeyIndex {
    /// An index for `capacity` keys.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        KeyIndex {
            cells: vec![0; Self::cells_for(capacity)],
            entries: Vec::with_capacity(capacity),
        }
    }

    /// Enough cells for `keys` keys to fill at most 5/8 of them.
    fn cells_for(keys: usize) -> usize {
        (keys * 8).div_ceil(5).next_power_of_two().max(8)
    }

    /// Adds `key` at `slot`; the key must not be in the index.
    pub(crate) fn insert(&mut self, key: &DIKey, slot: usize) {
        self.insert_hashed(key.cached_hash(), key, slot);
    }

    fn insert_hashed(&mut self, hash: u64, key: &DIKey, slot: usize) {
        self.reserve_one();
        let cell = self.free_cell(hash);
        self.fill(cell, hash, key, slot);
    }

    /// The slot of `key` if it is in the index; else adds it at `slot`. (One search where
    /// [`find`](Self::find) and then [`insert`](Self::insert) would make two.)
    pub(crate) fn find_or_insert(&mut self, key: &DIKey, slot: usize) -> Option<usize> {
        self.reserve_one();
        let hash = key.cached_hash();
        let id = key.id().map(Id::as_bytes);
        match self.search(hash, key.type_info().type_id(), key.kind(), id) {
            Ok(slot) => Some(slot),
            Err(cell) => {
                self.fill(cell, hash, key, slot);
                None
            }
        }
    }

    /// Room for one more key within the load limit.
    fn reserve_one(&mut self) {
        if (self.entries.len() + 1) * 8 > self.cells.len() * 5 {
            self.rebuild(Self::cells_for(self.entries.len() + 1));
        }
    }

    /// Adds `key` at `slot` as a new entry named by the empty cell `cell`.
    fn fill(&mut self, cell: usize, hash: u64, key: &DIKey, slot: usize) {
        self.entries.push(Entry {
            ty: key.type_info().type_id(),
            id: key.id().cloned(),
            slot: slot as u32,
            kind: key.kind(),
        });
        self.cells[cell] = (hash >> 32) << 32 | self.entries.len() as u64;
    }

    /// The first empty cell from `hash`'s own.
    fn free_cell(&self, hash: u64) -> usize {
        let mask = self.cells.len() - 1;
        let mut i = hash as usize & mask;
        while self.cells[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// New cells, `cells` long, for the entries still in the index.
    fn rebuild(&mut self, cells: usize) {
        self.entries.retain(|e| e.slot != GONE);
        self.cells = vec![0; cells];
        for e in 0..self.entries.len() {
            let entry = &self.entries[e];
            let hash = key_hash(entry.ty, entry.kind, entry.id.as_ref().map(Id::as_bytes));
            let cell = self.free_cell(hash);
            self.cells[cell] = (hash >> 32) << 32 | (e as u64 + 1);
        }
    }

    /// The slot of `key`.
    #[inline]
    pub(crate) fn find(&self, key: &DIKey) -> Option<usize> {
        self.find_hashed(
            key.cached_hash(),
            key.type_info().type_id(),
            key.kind(),
            key.id().map(Id::as_bytes),
        )
    }

    /// Moves every key to the slot `moved(slot)`, dropping those it maps to `None`; an index
    /// left mostly empty gives back its memory.
    pub(crate) fn remap(&mut self, moved: impl Fn(u32) -> Option<u32>) {
        let mut kept = 0;
        for e in &mut self.entries {
            if e.slot != GONE {
                e.slot = moved(e.slot).unwrap_or(GONE);
                kept += usize::from(e.slot != GONE);
            }
        }
        if kept * 4 < self.entries.len() {
            self.rebuild(Self::cells_for(kept));
            self.entries.shrink_to_fit();
        }
    }

    /// The slot of the key with these parts, `hash` being their
    /// [`key_hash`](crate::key::key_hash).
    #[inline]
    pub(crate) fn find_hashed(
        &self,
        hash: u64,
        ty: TypeId,
        kind: KeyKind,
        id: Option<&[u8]>,
    ) -> Option<usize> {
        if self.cells.is_empty() {
            return None;
        }
        self.search(hash, ty, kind, id).ok()
    }

    /// From `hash`'s own cell on: the slot of the key with these parts, or else the first
    /// empty cell. (The cells must not be empty.)
    #[inline(always)]
    fn search(
        &self,
        hash: u64,
        ty: TypeId,
        kind: KeyKind,
        id: Option<&[u8]>,
    ) -> Result<usize, usize> {
        let mask = self.cells.len() - 1;
        let tag = hash >> 32;
        let mut i = hash as usize & mask;
        loop {
            // Never full, so an empty cell ends every search.
            let cell = self.cells[i];
            if cell == 0 {
                return Err(i);
            }
            if cell >> 32 == tag {
                let entry = &self.entries[(cell as u32 - 1) as usize];
                // (A key dropped and added again has a second entry, further on.)
                if entry.slot != GONE
                    && entry.ty == ty
                    && entry.kind == kind
                    && entry.id.as_ref().map(Id::as_bytes) == id
                {
                    return Ok(entry.slot as usize);
                }
            }
            i = (i + 1) & mask;
        }
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

    /// What `key` depends on, transitively, as a tree.
    pub fn dependencies(&self, key: &DIKey) -> Option<PlanTree> {
        let root = self.data.find_key(key)?;
        Some(self.tree(root, |s| self.data.dep_steps(s).collect()))
    }

    /// What depends on `key`, transitively, as a tree.
    pub fn dependees(&self, key: &DIKey) -> Option<PlanTree> {
        let root = self.data.find_key(key)?;
        let mut reverse: Vec<Vec<(usize, bool)>> = vec![Vec::new(); self.data.steps.len()];
        for i in 0..self.data.steps.len() {
            for (d, lazy) in self.data.dep_steps(i) {
                reverse[d].push((i, lazy));
            }
        }
        Some(self.tree(root, |s| reverse[s].clone()))
    }

    /// Depth-first, iteratively (chains may be thousands deep); a step already shown is marked
    /// as repeated instead of expanded again, which keeps the tree linear in the plan's size.
    fn tree(&self, root: usize, children: impl Fn(usize) -> Vec<(usize, bool)>) -> PlanTree {
        let mut nodes = Vec::new();
        let mut seen = vec![false; self.data.steps.len()];
        let mut stack = vec![(root, 0usize, false)];
        while let Some((step, depth, lazy)) = stack.pop() {
            let s = &self.data.steps[step];
            let repeated = seen[step];
            nodes.push(TreeNode {
                target: s.target(),
                origin: s.origin(),
                depth,
                lazy,
                repeated,
            });
            if !repeated {
                seen[step] = true;
                for (child, lazy) in children(step).into_iter().rev() {
                    stack.push((child, depth + 1, lazy));
                }
            }
        }
        PlanTree { nodes }
    }

    /// The plan as a Graphviz DOT digraph; edges point from a step to what it depends on.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph plan {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        for (i, s) in self.data.steps.iter().enumerate() {
            let label = [
                s.target().to_string(),
                s.implementation().to_string(),
                s.origin().to_string(),
            ]
            .map(|part| dot_escape(&part))
            .join("\\n");
            let _ = writeln!(out, "  s{i} [label=\"{label}\"];");
        }
        for (i, key) in self.data.imported.iter().enumerate() {
            let label = format!("{}\\n(parent)", dot_escape(&key.to_string()));
            let _ = writeln!(out, "  p{i} [label=\"{label}\", style=dashed];");
        }
        for (i, s) in self.data.steps.iter().enumerate() {
            for (d, lazy) in self.data.dep_steps(i) {
                let style = if lazy {
                    " [style=dashed, label=\"lazy\"]"
                } else {
                    ""
                };
                let _ = writeln!(out, "  s{i} -> s{d}{style};");
            }
            for dep in s.dependencies().iter() {
                if let Some(p) = dep
                    .key()
                    .and_then(|k| self.data.imported.iter().position(|x| x == k))
                {
                    let _ = writeln!(out, "  s{i} -> p{p};");
                }
            }
        }
        out.push_str("}\n");
        out
    }

    /// The plan as a Mermaid flowchart; arrows point from a step to what it depends on.
    pub fn to_mermaid(&self) -> String {
        let escape = |s: String| {
            s.replace('"', "#quot;")
                .replace('<', "#lt;")
                .replace('>', "#gt;")
        };
        let mut out = String::from("flowchart LR\n");
        for (i, s) in self.data.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "  s{i}[\"{}<br/>{}<br/>{}\"]",
                escape(s.target().to_string()),
                escape(s.implementation().to_string()),
                s.origin()
            );
        }
        for i in 0..self.data.steps.len() {
            for (d, lazy) in self.data.dep_steps(i) {
                let arrow = if lazy { "-.->|lazy|" } else { "-->" };
                let _ = writeln!(out, "  s{i} {arrow} s{d}");
            }
        }
        out
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data;
        let roots = match &d.roots {
            Some(roots) => roots
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            None => "every binding".to_string(),
        };
        write!(f, "plan: {} steps, roots: {roots}", d.steps.len())?;
        if !d.activation.is_empty() {
            write!(f, ", activation {}", d.activation)?;
        }
        let lines: Vec<(String, String, Origin)> = d
            .steps
            .iter()
            .map(|s| {
                let deps: Vec<String> = s.dependencies().iter().map(|d| d.to_string()).collect();
                let mut how = s.implementation().to_string();
                if !deps.is_empty() {
                    let _ = write!(how, "({})", deps.join(", "));
                } else if let Action::Assemble { .. } = s.action() {
                    let _ = write!(how, " of {}", d.args(s).len());
                }
                if !s.tags().is_empty() {
                    let _ = write!(how, " {}", s.tags());
                }
                (s.target().to_string(), how, s.origin())
            })
            .collect();
        let width = lines.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
        let how_width = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
        let num_width = lines.len().to_string().len();
        for (i, (target, how, origin)) in lines.iter().enumerate() {
            write!(
                f,
                "\n  {:>num_width$}. {target:<width$} := {how:<how_width$}  at {origin}",
                i + 1
            )?;
        }
        if !d.imported.is_empty() {
            let imported: Vec<String> = d.imported.iter().map(|k| k.to_string()).collect();
            write!(f, "\n  from the parent locator: {}", imported.join(", "))?;
        }
        if !d.removed.is_empty() {
            write!(f, "\n  left out ({}):", d.removed.len())?;
            for b in &d.removed {
                write!(f, "\n    - {b}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A node of a [`PlanTree`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeNode {
    /// The step.
    pub target: StepTarget,
    /// Where it was bound.
    pub origin: Origin,
    /// Distance from the tree's root.
    pub depth: usize,
    /// Reached through a `Lazy` edge.
    pub lazy: bool,
    /// Already shown earlier in the tree; its children are not repeated.
    pub repeated: bool,
}

/// Dependencies or dependees of a key, as a tree in depth-first order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanTree {
    nodes: Vec<TreeNode>,
}

impl PlanTree {
    /// The nodes in depth-first order; the first is the root.
    pub fn nodes(&self) -> &[TreeNode] {
        &self.nodes
    }

    /// Every distinct step in the tree except the root.
    pub fn targets(&self) -> Vec<&StepTarget> {
        let mut seen = std::collections::HashSet::new();
        self.nodes
            .iter()
            .skip(1)
            .map(|n| &n.target)
            .filter(|t| seen.insert(*t))
            .collect()
    }
}

/// Deeper nodes are drawn at this depth, with their real depth written out, so a chain of
/// thousands of steps prints in lines of bounded length (linear, not quadratic, in its size).
const TREE_MAX_INDENT: usize = 24;
/// Children of one node drawn before the rest are summed up in one line.
const TREE_MAX_CHILDREN: usize = 100;

impl fmt::Display for PlanTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Per depth: children of the current parent drawn, and left out.
        let mut drawn: Vec<usize> = Vec::new();
        let mut left_out: Vec<usize> = Vec::new();
        // Inside the subtree of a child left out: everything deeper than this is left out too.
        let mut skipping_below: Option<usize> = None;
        let line = |f: &mut fmt::Formatter<'_>, depth: usize, lazy: bool| -> fmt::Result {
            f.write_str("\n")?;
            for _ in 1..depth.min(TREE_MAX_INDENT) {
                f.write_str("   ")?;
            }
            f.write_str(if lazy { "└~ " } else { "└─ " })?;
            if depth > TREE_MAX_INDENT {
                write!(f, "[depth {depth}] ")?;
            }
            Ok(())
        };
        let flush = |f: &mut fmt::Formatter<'_>,
                     drawn: &mut Vec<usize>,
                     left_out: &mut Vec<usize>,
                     keep: usize|
         -> fmt::Result {
            while drawn.len() > keep {
                let depth = drawn.len() - 1;
                drawn.pop();
                if let Some(n) = left_out.pop().filter(|&n| n > 0) {
                    line(f, depth, false)?;
                    write!(f, "… and {n} more")?;
                }
            }
            Ok(())
        };
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                if skipping_below.is_some_and(|d| n.depth > d) {
                    continue;
                }
                skipping_below = None;
                flush(f, &mut drawn, &mut left_out, n.depth + 1)?;
                drawn.resize(n.depth + 1, 0);
                left_out.resize(n.depth + 1, 0);
                if drawn[n.depth] == TREE_MAX_CHILDREN {
                    left_out[n.depth] += 1;
                    skipping_below = Some(n.depth);
                    continue;
                }
                drawn[n.depth] += 1;
                line(f, n.depth, n.lazy)?;
            }
            write!(f, "{} ({})", n.target, n.origin)?;
            if n.repeated {
                f.write_str(" [see above]")?;
            }
        }
        flush(f, &mut drawn, &mut left_out, 0)
    }
}

/// `s` inside a quoted DOT string.
fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
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
        assert!(std::mem::size_of::<Entry>() <= 48);
        assert_eq!(KeyIndex::with_capacity(10_000).cells.len(), 16_384);
    }

    #[test]
    fn key_index_tells_apart_keys_whose_hashes_collide() {
        let keys = [
            DIKey::of::<u8>(),
            DIKey::named::<u8>("a"),
            DIKey::named::<u8>("b"),
            DIKey::set_of::<u8>(),
            DIKey::of::<u16>(),
        ];
        let mut index = KeyIndex::with_capacity(keys.len());
        for (slot, key) in keys.iter().enumerate() {
            index.insert_hashed(7, key, slot);
        }
        for (slot, key) in keys.iter().enumerate() {
            let found = index.find_hashed(
                7,
                key.type_info().type_id(),
                key.kind(),
                key.id().map(Id::as_bytes),
            );
            assert_eq!(found, Some(slot), "{key}");
        }
        let absent = index.find_hashed(7, TypeId::of::<u8>(), KeyKind::Single, Some(b"c"));
        assert_eq!(absent, None);
        let a = DIKey::named::<u8>("a");
        let hashed_as_7 = index.find_hashed(
            a.cached_hash(),
            a.type_info().type_id(),
            a.kind(),
            a.id().map(Id::as_bytes),
        );
        assert_eq!(hashed_as_7, None, "inserted under hash 7");
    }

    #[test]
    fn key_index_grows_and_renumbers() {
        let long = "an id longer than the twenty-two bytes kept inline";
        let keys: Vec<DIKey> = (0..100)
            .map(|i| DIKey::named::<u8>(format!("{long} {i}")))
            .chain((0..100).map(|i| DIKey::named::<u16>(format!("k{i}"))))
            .collect();
        let mut index = KeyIndex::with_capacity(1);
        for (slot, key) in keys.iter().enumerate() {
            assert_eq!(index.find_or_insert(key, slot), None, "{key}");
        }
        for (slot, key) in keys.iter().enumerate() {
            assert_eq!(index.find(key), Some(slot), "{key}");
            assert_eq!(index.find_or_insert(key, 999), Some(slot), "{key}");
        }
        assert_eq!(index.entries.len(), keys.len());
        // Every fifth key kept, moved; the rest gone, and the cells shrunk to fit.
        index.remap(|slot| (slot % 5 == 0).then_some(slot * 10));
        assert_eq!(index.entries.len(), 40);
        assert_eq!(index.cells.len(), KeyIndex::cells_for(40));
        for (slot, key) in keys.iter().enumerate() {
            let expected = (slot % 5 == 0).then_some(slot * 10);
            assert_eq!(index.find(key), expected, "{key}");
        }
        assert_eq!(index.find(&DIKey::named::<u8>("k1")), None);

        // Dropped by the last renumbering (and still in the cells when not rebuilt), added
        // again: found at its new slot. A second renumbering moves only the keys still in.
        let mut index = KeyIndex::with_capacity(keys.len());
        for (slot, key) in keys.iter().enumerate() {
            index.insert(key, slot);
        }
        index.remap(|slot| (slot != 1).then_some(slot));
        index.insert(&keys[1], 500);
        index.remap(|slot| Some(slot + 1));
        assert_eq!(index.find(&keys[0]), Some(1));
        assert_eq!(index.find(&keys[1]), Some(501));
        assert_eq!(index.find(&keys[2]), Some(3));
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
