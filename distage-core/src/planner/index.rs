//! A module's bindings by key, numbered once per module: what planning reads instead of the
//! bindings themselves.

use super::*;

pub(super) struct SetBindings {
    /// The set's first binding, whichever its role (its key is the set's).
    pub(super) first: BindingIdx,
    pub(super) declarations: Vec<BindingIdx>,
    pub(super) elements: Vec<BindingIdx>,
}

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
    entries: Vec<Entry>,
    /// Bindings of the keys with several ([`Entry::Many`]).
    many: Vec<Vec<BindingIdx>>,
    /// Bindings of the sets ([`Entry::Set`]).
    sets: Vec<SetBindings>,
    /// Key → key number. The same kind of index a plan keeps (key → step), so that a plan
    /// renumbers this one instead of hashing every key a second time.
    pub(super) numbers: KeyIndex,
    /// Binding `b`'s dependencies are `deps[dep_start[b]..dep_start[b + 1]]`.
    deps: Vec<PackedDep>,
    dep_start: Vec<u32>,
    /// By binding: untagged, complete and without a subcontext, so that choosing it and
    /// planning it need nothing more from the binding.
    plain: Vec<bool>,
}

/// A dependency as planning reads it. Kept as a [`PackedDep`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Dep {
    /// A key the module binds, by its number.
    Key {
        id: KeyId,
        mode: DepMode,
    },
    /// A key the module does not bind: read from the binding.
    Unbound {
        mode: DepMode,
    },
    Locator,
    Logger,
}

/// A [`Dep`] in 4 bytes (a 10,000-binding module has about 30,000): its mode in the top two
/// bits (3 for the locator and loggers), its key number below ([`UNBOUND`] for a key the module
/// does not bind).
#[derive(Clone, Copy)]
pub(super) struct PackedDep(u32);

/// No key number. (Key numbers are below it.)
const UNBOUND: u32 = (1 << PackedDep::SHIFT) - 1;
const _: () = assert!(super::ids::LIMIT <= UNBOUND as usize);

impl PackedDep {
    const SHIFT: u32 = 30;

    pub(super) fn new(dep: Dep) -> Self {
        let mode = |mode| match mode {
            DepMode::Strict => 0,
            DepMode::Optional => 1,
            DepMode::Lazy => 2,
        };
        let (kind, number) = match dep {
            Dep::Key { id, mode: m } => (mode(m), id.as_u32()),
            Dep::Unbound { mode: m } => (mode(m), UNBOUND),
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
        match number {
            UNBOUND => Dep::Unbound { mode },
            id => Dep::Key {
                id: KeyId::from_u32(id),
                mode,
            },
        }
    }
}

/// The bindings of one key: almost always exactly one single binding. 8 bytes: the few keys
/// with several, and sets, have theirs in side tables of the index.
#[derive(Clone, Copy)]
pub(super) enum Entry {
    /// A single instance's key without a single binding, only this other binding of the key.
    None(BindingIdx),
    One([BindingIdx; 1]),
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
        for (b, binding) in BindingIdx::all(bindings.len()).zip(bindings) {
            let provider = binding.provider();
            dep_count += provider.deps.len();
            index.plain.push(
                binding.tags().is_empty()
                    && !matches!(provider.op, Op::Incomplete)
                    && provider.subcontext.is_none(),
            );
            let id = match index
                .numbers
                .find_or_insert(binding.key(), index.entries.len())
            {
                Some(id) => id,
                None => {
                    // A set's key, whichever binding comes first.
                    index.entries.push(if binding.key().is_set() {
                        index.sets.push(SetBindings {
                            first: b,
                            declarations: Vec::new(),
                            elements: Vec::new(),
                        });
                        Entry::Set(index.sets.len() as u32 - 1)
                    } else {
                        Entry::None(b)
                    });
                    index.entries.len() - 1
                }
            };
            // A key names one instance or one set, so its entry has the binding's shape.
            match (index.entries[id], binding.role()) {
                (Entry::None(_), BindingRole::Single) => index.entries[id] = Entry::One([b]),
                (Entry::One([first]), BindingRole::Single) => {
                    index.many.push(vec![first, b]);
                    index.entries[id] = Entry::Many(index.many.len() as u32 - 1);
                }
                (Entry::Many(m), BindingRole::Single) => index.many[m as usize].push(b),
                (Entry::Set(s), BindingRole::SetDeclaration) => {
                    index.sets[s as usize].declarations.push(b)
                }
                (Entry::Set(s), BindingRole::SetElement { .. }) => {
                    index.sets[s as usize].elements.push(b)
                }
                _ => {}
            }
        }
        index.deps.reserve_exact(dep_count);
        // A `Logger` the module binds itself is injected instead of the automatic one.
        let logger = match index.id(&DIKey::of::<Logger>()) {
            Some(id) => Dep::Key {
                id,
                mode: DepMode::Strict,
            },
            None => Dep::Logger,
        };
        for b in bindings {
            index.dep_start.push(index.deps.len() as u32);
            for dep in b.provider().deps.iter() {
                let dep = match dep {
                    Dependency::Key { key, mode } => match index.id(key) {
                        Some(id) => Dep::Key { id, mode: *mode },
                        None => Dep::Unbound { mode: *mode },
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

    /// How many keys the module binds.
    pub(super) fn key_count(&self) -> usize {
        self.entries.len()
    }

    /// The bindings of key `id` if it is a single instance's.
    pub(super) fn candidates_of(&self, id: KeyId) -> &[BindingIdx] {
        match &self.entries[id.index()] {
            Entry::One(one) => one,
            Entry::Many(m) => &self.many[*m as usize],
            Entry::None(_) | Entry::Set(_) => &[],
        }
    }

    /// The bindings of key `id` if it is a set's.
    pub(super) fn set_of(&self, id: KeyId) -> Option<&SetBindings> {
        match self.entries[id.index()] {
            Entry::Set(s) => Some(&self.sets[s as usize]),
            _ => None,
        }
    }

    pub(crate) fn bindings(&self) -> &'a [Binding] {
        self.bindings
    }

    /// Every key bound, in module order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a DIKey> + '_ {
        KeyId::all(self.key_count()).map(|id| self.key(id))
    }

    /// Every key bound, in module order, with its bindings if it is a single instance's.
    pub(crate) fn keys_and_candidates(
        &self,
    ) -> impl Iterator<Item = (&'a DIKey, &[BindingIdx])> + '_ {
        KeyId::all(self.key_count()).map(|id| (self.key(id), self.candidates_of(id)))
    }

    /// Key `id`, read from one of its bindings.
    pub(super) fn key(&self, id: KeyId) -> &'a DIKey {
        let b = match self.entries[id.index()] {
            Entry::None(b) | Entry::One([b]) => b,
            Entry::Many(m) => self.many[m as usize][0],
            Entry::Set(s) => self.sets[s as usize].first,
        };
        self.bindings[b.index()].key()
    }

    #[inline]
    pub(super) fn id(&self, key: &DIKey) -> Option<KeyId> {
        // Numbers this index gave out (`KeyId::new` checked them then).
        self.numbers.find(key).map(|id| KeyId::from_u32(id as u32))
    }

    /// Binding `b`'s dependencies, in parameter order.
    pub(super) fn deps(&self, b: BindingIdx) -> &[PackedDep] {
        let b = b.index();
        &self.deps[self.dep_start[b] as usize..self.dep_start[b + 1] as usize]
    }

    /// How many dependencies the module's bindings have in all.
    pub(super) fn dep_count(&self) -> usize {
        self.deps.len()
    }

    /// Whether binding `b` is untagged, complete and without a subcontext: choosing it and
    /// planning it need nothing more from the binding.
    #[inline]
    pub(super) fn is_plain(&self, b: BindingIdx) -> bool {
        self.plain[b.index()]
    }
}
