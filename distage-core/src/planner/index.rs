//! A module's bindings by key, numbered once per module: what planning reads instead of the
//! bindings themselves.

use super::*;

#[derive(Default)]
pub(super) struct SetBindings {
    /// The set's first binding, whichever its role (its key is the set's).
    pub(super) first: usize,
    pub(super) declarations: Vec<usize>,
    pub(super) elements: Vec<usize>,
}

/// No key: a dependency on a key this module does not bind. (Key numbers are below it: a
/// module of 2^30 bindings would not fit in memory.)
pub(super) const UNBOUND: u32 = (1 << 30) - 1;

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
    pub(super) bindings: &'a [Binding],
    pub(super) misuses: &'a [crate::module::Misuse],
    /// The bindings of each key, by key number. Keys are numbered in module order (so
    /// "everything" and every listing is deterministic), and a key is read from one of its
    /// bindings ([`Index::key`]).
    pub(super) entries: Vec<Entry>,
    /// Bindings of the keys with several ([`Entry::Many`]).
    pub(super) many: Vec<Vec<u32>>,
    /// Bindings of the sets ([`Entry::Set`]).
    pub(super) sets: Vec<SetBindings>,
    /// Key → key number. The same kind of index a plan keeps (key → step), so that a plan
    /// renumbers this one instead of hashing every key a second time.
    pub(super) numbers: KeyIndex,
    /// Binding `b`'s dependencies are `deps[dep_start[b]..dep_start[b + 1]]`.
    pub(super) deps: Vec<PackedDep>,
    pub(super) dep_start: Vec<u32>,
    /// By binding: untagged, complete and without a subcontext, so that choosing it and
    /// planning it need nothing more from the binding.
    pub(super) plain: Vec<bool>,
}

/// A dependency as planning reads it. Kept as a [`PackedDep`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Dep {
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
pub(super) struct PackedDep(pub(super) u32);

impl PackedDep {
    pub(super) const SHIFT: u32 = 30;

    pub(super) fn new(dep: Dep) -> Self {
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
    pub(super) fn get(self) -> Dep {
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
pub(super) enum Entry {
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
    pub(super) fn candidates_of(&self, id: usize) -> &[u32] {
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
    pub(super) fn key(&self, id: usize) -> &'a DIKey {
        let b = match self.entries[id] {
            Entry::None(b) | Entry::One([b]) => b as usize,
            Entry::Many(m) => self.many[m as usize][0] as usize,
            Entry::Set(s) => self.sets[s as usize].first,
        };
        self.bindings[b].key()
    }

    pub(super) fn id(&self, key: &DIKey) -> Option<usize> {
        self.numbers.find(key)
    }

    /// Binding `b`'s dependencies, in parameter order.
    pub(super) fn deps(&self, b: usize) -> &[PackedDep] {
        &self.deps[self.dep_start[b] as usize..self.dep_start[b + 1] as usize]
    }
}
