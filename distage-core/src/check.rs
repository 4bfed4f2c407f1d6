//! The compile-time wiring checks that `module!` and `#[derive(Injectable)]` expand to.
//!
//! Not a public API: generated code uses it through `::distage::__private`.
//!
//! - A key is a type: `Key<T>` or `Key<T, Named<'d', 'b'>>` for `named("db")` (the id spelled out
//!   in `char` const parameters, so that messages show it), `SetKey<T>` for sets.
//! - A module implements [`Binds`] once per key it binds, naming the key type directly in the
//!   impl header (projections there make rustc's coherence check quadratic).
//! - A component's dependencies are a tuple type ([`StaticDeps::Deps`]) of [`Strict`], [`LazyDep`]
//!   and [`NoDep`] items; [`DepIndices`] turns it into binding indices, one `Binds` obligation per
//!   dependency, and [`check_graph`] runs a depth-first search over them in a `const` item, so
//!   `cargo check` reports a cycle with its whole path.
//! - `module!` checks a tuple's first four items one by one instead ([`Slots`], [`Dep`]), each with
//!   an obligation on the module's own `…Binds` trait, so that a missing key is one short error
//!   (see "per-dependency checks" below); `DepIndices` takes the rest.
#![allow(missing_docs, missing_debug_implementations)]

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::factory::AssistedInjectable;
use crate::factory::Factory;
use crate::inject::Value;
use crate::inject::{Lazy, LocatorRef};
use crate::key::TypeInfo;
use crate::logger::Logger;
use crate::set::Set;

/// The [`TypeInfo`] of every type as a constant: what generated code names
/// (`<T as Typed>::TYPE_INFO`), so that it is neither a function instantiated per type nor an
/// inline `const` block, which the compiler type-checks as one more body at every use.
#[doc(hidden)]
pub trait Typed {
    const TYPE_INFO: TypeInfo;
}

impl<T: ?Sized + 'static> Typed for T {
    const TYPE_INFO: TypeInfo = TypeInfo::of::<T>();
}

/// Never constructed: these types exist only to be named in trait bounds.
type Marker<T, N> = PhantomData<fn() -> (Box<T>, N)>;

/// The key of `T`, unnamed (`N = ()`) or named (`N = Named<…>`).
pub struct Key<T: ?Sized, N = ()>(Marker<T, N>);
/// The key of the set of `T` elements.
pub struct SetKey<T: ?Sized, N = ()>(Marker<T, N>);

/// An id as a type: its characters, 32 per chunk, the rest in `Next`.
pub struct Named<
    const C0: char = '\0',
    const C1: char = '\0',
    const C2: char = '\0',
    const C3: char = '\0',
    const C4: char = '\0',
    const C5: char = '\0',
    const C6: char = '\0',
    const C7: char = '\0',
    const C8: char = '\0',
    const C9: char = '\0',
    const C10: char = '\0',
    const C11: char = '\0',
    const C12: char = '\0',
    const C13: char = '\0',
    const C14: char = '\0',
    const C15: char = '\0',
    const C16: char = '\0',
    const C17: char = '\0',
    const C18: char = '\0',
    const C19: char = '\0',
    const C20: char = '\0',
    const C21: char = '\0',
    const C22: char = '\0',
    const C23: char = '\0',
    const C24: char = '\0',
    const C25: char = '\0',
    const C26: char = '\0',
    const C27: char = '\0',
    const C28: char = '\0',
    const C29: char = '\0',
    const C30: char = '\0',
    const C31: char = '\0',
    Next = (),
>(PhantomData<Next>);

/// A dependency that must be bound and orders production.
pub struct Strict<K>(PhantomData<K>);
/// A dependency that must be bound but does not order production (`Lazy<T>`).
pub struct LazyDep<K>(PhantomData<K>);
/// A parameter that needs no binding: `W` says which (`Optional<K>` for `Option<Arc<T>>`,
/// [`LoggerParam`], [`LocatorParam`]; `()` an empty slot), for typed graphs.
pub struct NoDep<W = ()>(PhantomData<W>);
/// `Option<Arc<T>>`: the key's instance if it is bound.
pub struct Optional<K>(PhantomData<K>);
/// A `Logger` parameter.
pub struct LoggerParam;
/// A `LocatorRef` parameter.
pub struct LocatorParam;

/// Index meaning "no edge" in [`check_graph`].
pub const NO_EDGE: usize = usize::MAX;

/// Implemented by a module (its marker type) for every key it binds, includes or requires.
/// `module!` implements it through four traits of its own (single, named, set, named set) whose
/// messages name the module and the missing type.
#[diagnostic::on_unimplemented(
    message = "missing binding: `{K}` is required by `{By}` but module `{Self}` does not bind it",
    label = "`{By}` needs `{K}`, which this module does not bind",
    note = "bind it in the module (`make<...>`), `include` a module that binds it, or declare it with `requires ...;` if another module provides it at run time"
)]
pub trait Binds<K, By: ?Sized> {
    /// The key's node in the module's graph.
    const INDEX: usize;
}

/// One item of a dependency tuple, resolved against module `M`.
pub trait DepItem<M, By: ?Sized> {
    const INDEX: usize;
}

impl<M: Binds<K, By>, By: ?Sized, K> DepItem<M, By> for Strict<K> {
    const INDEX: usize = <M as Binds<K, By>>::INDEX;
}
impl<M: Binds<K, By>, By: ?Sized, K> DepItem<M, By> for LazyDep<K> {
    const INDEX: usize = NO_EDGE;
}
impl<M, By: ?Sized, W> DepItem<M, By> for NoDep<W> {
    const INDEX: usize = NO_EDGE;
}

/// A dependency tuple as binding indices of module `M` ([`NO_EDGE`] for lazy and optional ones).
pub trait DepIndices<M, By: ?Sized> {
    const EDGES: &'static [usize];
}

macro_rules! dep_tuples {
    ($($a:ident)*) => {
        impl<M, By: ?Sized, $($a: DepItem<M, By>),*> DepIndices<M, By> for ($($a,)*) {
            const EDGES: &'static [usize] = &[$(<$a as DepItem<M, By>>::INDEX),*];
        }
    };
}

crate::arity::for_arities!(dependency_tuples, dep_tuples);

/// A dependency list too long to check at compile time (more than 32): the planner checks it.
///
/// `X` holds the list all the same, as a tree of tuples of at most 32 items, for typed graphs
/// (which build such a component); the checks do not look into it.
pub struct Unchecked<X = ()>(PhantomData<X>);

impl<M, By: ?Sized, X> DepIndices<M, By> for Unchecked<X> {
    const EDGES: &'static [usize] = &[];
}

// ---- per-dependency checks ----
//
// A missing binding is reported by rustc at the obligation that failed, followed by one "required
// for …" note per impl between it and the code that asked (three for `DepIndices` -> `DepItem` ->
// `Binds`), and `#[diagnostic::do_not_recommend]` can only move the report *up* that chain, never
// drop the notes in between. So `module!` asks for every dependency directly: it takes the first
// four items of a dependency tuple apart with `Slots` and `Dep` (projections, which
// cannot fail) and writes one obligation per item on its own trait, whose impls are
// `do_not_recommend`: the error is that obligation, with the module's message and nothing under
// it. Items past the slots go through `DepIndices` as before (a longer message, same check).

/// An empty slot of a dependency tuple, and the key it names.
pub struct NoKey;

/// How `module!`'s checks see one item of a dependency tuple: `Key`, the key as the message
/// shows it (`T`, `Set<T>`, and `(Named<…>, T)` for a named one: the id is in the message only
/// if it is in this type), `Id` (`()` or `Named<…>`), and `Kind`: `()` a key, `((),)` a `Lazy`
/// key (checked, no ordering edge), `[()]` a set. The kinds are std types because the kind is
/// the `Self` type of the failing obligation, and rustc adds a "not implemented for" line naming
/// it (a line pointing at its definition if it were a type of the user's crate).
pub trait Dep {
    type Key: ?Sized;
    type Kind: ?Sized;
    type Id;
}

impl<T: ?Sized, N: IdSide> Dep for Strict<Key<T, N>> {
    type Key = N::Key<T>;
    type Kind = ();
    type Id = N;
}
impl<T: ?Sized, N: IdSide> Dep for LazyDep<Key<T, N>> {
    type Key = N::Key<T>;
    type Kind = ((),);
    type Id = N;
}
impl<T: ?Sized, N: IdSide> Dep for Strict<SetKey<T, N>> {
    type Key = N::Key<Set<T>>;
    type Kind = [()];
    type Id = N;
}
impl<W> Dep for NoDep<W> {
    type Key = NoKey;
    type Kind = NoKey;
    type Id = ();
}

/// A key as messages show it, by its id: `T` unnamed, `(Named<…>, T)` named (the id first: only
/// a tuple's last element may be unsized, as `dyn Trait` is).
pub trait IdSide {
    type Key<T: ?Sized>: ?Sized;
}

impl IdSide for () {
    type Key<T: ?Sized> = T;
}

macro_rules! named_side {
    ($($c:ident)*) => {
        impl<$(const $c: char,)* Next> IdSide for Named<$($c,)* Next> {
            type Key<T: ?Sized> = (Self, T);
        }
    };
}

named_side!(
    C0 C1 C2 C3 C4 C5 C6 C7 C8 C9 C10 C11 C12 C13 C14 C15
    C16 C17 C18 C19 C20 C21 C22 C23 C24 C25 C26 C27 C28 C29 C30 C31
);

/// A dependency tuple as its first four items ([`NoDep`] where it is shorter) and the rest.
pub trait Slots {
    type S0;
    type S1;
    type S2;
    type S3;
    type Rest;
}

/// A tuple's first four items are its slots ([`NoDep`] past its end), the rest is its `Rest`.
macro_rules! slots {
    (@ [$($t:ident)*]) => { slots!(@impl [$($t)*] NoDep NoDep NoDep NoDep; ()); };
    (@ [$($t:ident)*] $a:ident) => { slots!(@impl [$($t)*] $a NoDep NoDep NoDep; ()); };
    (@ [$($t:ident)*] $a:ident $b:ident) => { slots!(@impl [$($t)*] $a $b NoDep NoDep; ()); };
    (@ [$($t:ident)*] $a:ident $b:ident $c:ident) => {
        slots!(@impl [$($t)*] $a $b $c NoDep; ());
    };
    (@ [$($t:ident)*] $a:ident $b:ident $c:ident $d:ident $($r:ident)*) => {
        slots!(@impl [$($t)*] $a $b $c $d; ($($r,)*));
    };
    (@impl [$($t:ident)*] $s0:ident $s1:ident $s2:ident $s3:ident; $rest:ty) => {
        impl<$($t),*> Slots for ($($t,)*) {
            type S0 = $s0;
            type S1 = $s1;
            type S2 = $s2;
            type S3 = $s3;
            type Rest = $rest;
        }
    };
    ($($t:ident)*) => {
        slots!(@ [$($t)*] $($t)*);
    };
}

crate::arity::for_arities!(dependency_tuples, slots);

/// Each slot's `Dep` parts by name, for `module!`'s checks: one generic alias instead of the
/// projection written out (four slots, three projections each, per binding; a 10,000-binding
/// module's expansion took 1.13 GB with them, 1.04 GB with the aliases). rustc resolves an
/// alias to the projection it names: the obligations, and the messages, are the same.
macro_rules! slot_aliases {
    ($($slot:ident $kind:ident $key:ident $id:ident;)*) => {$(
        pub type $kind<E> = <<E as Slots>::$slot as Dep>::Kind;
        pub type $key<E> = <<E as Slots>::$slot as Dep>::Key;
        pub type $id<E> = <<E as Slots>::$slot as Dep>::Id;
    )*};
}

slot_aliases! {
    S0 SlotKind0 SlotKey0 SlotId0;
    S1 SlotKind1 SlotKey1 SlotId1;
    S2 SlotKind2 SlotKey2 SlotId2;
    S3 SlotKind3 SlotKey3 SlotId3;
}

/// A dependency tuple's items past its slots.
pub type SlotRest<E> = <E as Slots>::Rest;

impl<X> Slots for Unchecked<X> {
    type S0 = NoDep;
    type S1 = NoDep;
    type S2 = NoDep;
    type S3 = NoDep;
    type Rest = Unchecked<X>;
}

/// The compile-time dependency list of a component: implemented by `#[derive(Injectable)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no compile-time dependency list",
    label = "`module!` cannot check the wiring of `{Self}`",
    note = "add `#[derive(Injectable)]` to `{Self}` (or `#[injectable]` on its `impl` block), or bind it with `.from(|deps...| ...)`"
)]
pub trait StaticDeps {
    /// A tuple of [`Strict`], [`LazyDep`] and [`NoDep`] items, in parameter order, or
    /// [`Unchecked`] for more than 32.
    type Deps;
}

/// The type-level dependency of a parameter type, named `N` (`()` when unnamed).
pub trait StaticInject<N> {
    type Dep;
}

impl<T: ?Sized, N> StaticInject<N> for Arc<T> {
    type Dep = Strict<Key<T, N>>;
}
impl<T: ?Sized, N> StaticInject<N> for Option<Arc<T>> {
    type Dep = NoDep<Optional<Key<T, N>>>;
}
impl<T: ?Sized, N> StaticInject<N> for Set<T> {
    type Dep = Strict<SetKey<T, N>>;
}
impl<T: ?Sized, N> StaticInject<N> for Lazy<T> {
    type Dep = LazyDep<Key<T, N>>;
}
impl<T: AssistedInjectable, N> StaticInject<N> for Factory<T> {
    type Dep = Strict<Key<Factory<T>, N>>;
}
impl<T, N> StaticInject<N> for Value<T> {
    type Dep = Strict<Key<T, N>>;
}
impl<T: ?Sized, N> StaticInject<N> for crate::subcontext::Subcontext<T> {
    type Dep = Strict<Key<crate::subcontext::Subcontext<T>, N>>;
}
impl<N> StaticInject<N> for Logger {
    type Dep = NoDep<LoggerParam>;
}
impl<N> StaticInject<N> for LocatorRef {
    type Dep = NoDep<LocatorParam>;
}
impl<T, N> StaticInject<N> for Vec<T> {
    type Dep = Strict<Key<Vec<T>, N>>;
}

macro_rules! static_values {
    ($($t:ty),* $(,)?) => {$(
        impl<N> StaticInject<N> for $t {
            type Dep = Strict<Key<$t, N>>;
        }
    )*};
}

crate::inject::for_value_types!(static_values);

/// Checks, in a function body, that a function's parameters are bound in module `M` (used for
/// `.from(path)` where the parameters are not visible to the macro).
pub fn check_fn<M, By: ?Sized, Marker, F>(_f: &F)
where
    F: FnDeps<Marker>,
    <F as FnDeps<Marker>>::Deps: DepIndices<M, By>,
{
}

/// The dependency tuple of a function's parameters.
pub trait FnDeps<Marker> {
    type Deps;
}

macro_rules! fn_deps {
    ($($a:ident)*) => {
        impl<F, R, $($a: StaticInject<()>),*> FnDeps<fn($($a),*) -> R> for F
        where
            F: Fn($($a),*) -> R,
        {
            type Deps = ($(<$a as StaticInject<()>>::Dep,)*);
        }
    };
}

crate::arity::for_arities!(functions, fn_deps);

/// Turns what a `module!` closure or value gives into an `Arc` for key `K`, by autoref
/// specialization, most specific first: a `K` is wrapped (`&&Wrap<K, K>`), an `Arc<X>` is used
/// as is (`&Wrap<Arc<X>, K>`), any other value is wrapped and then converted (`Wrap<V, K>`).
pub struct Wrap<V, K: ?Sized>(Cell<Option<V>>, PhantomData<fn() -> Box<K>>);

impl<V, K: ?Sized> Wrap<V, K> {
    pub fn new(v: V) -> Self {
        Wrap(Cell::new(Some(v)), PhantomData)
    }
}

pub trait ViaKey {
    type Target: ?Sized;
    fn __distage_arc(self) -> Option<Arc<Self::Target>>;
}
impl<K> ViaKey for &&Wrap<K, K> {
    type Target = K;
    fn __distage_arc(self) -> Option<Arc<K>> {
        self.0.take().map(Arc::new)
    }
}

pub trait ViaArc {
    type Target: ?Sized;
    fn __distage_arc(self) -> Option<Arc<Self::Target>>;
}
impl<X: ?Sized, K: ?Sized> ViaArc for &Wrap<Arc<X>, K> {
    type Target = X;
    fn __distage_arc(self) -> Option<Arc<X>> {
        self.0.take()
    }
}

pub trait ViaValue {
    type Target;
    fn __distage_arc(self) -> Option<Arc<Self::Target>>;
}
impl<V, K: ?Sized> ViaValue for Wrap<V, K> {
    type Target = V;
    fn __distage_arc(self) -> Option<Arc<V>> {
        self.0.into_inner().map(Arc::new)
    }
}

/// Applies the key's coercion (`|x| x`, from a concrete type to `dyn Trait`) to a wrapped
/// value, which is taken exactly once.
pub fn coerce_value<I: ?Sized, T: ?Sized>(
    value: Option<Arc<I>>,
    coerce: fn(Arc<I>) -> Arc<T>,
) -> Arc<T> {
    match value {
        Some(arc) => coerce(arc),
        None => unreachable!("distage: a wrapped value is taken once, right after it is wrapped"),
    }
}

/// What [`check_graph`] found: the first cycle's message, or nothing.
pub struct GraphReport {
    buf: [u8; MESSAGE_CAPACITY],
    len: usize,
}

impl GraphReport {
    /// The cycle's message, if there is one. The generated `const` item panics with it itself, so
    /// that the compile error points at the module and at nothing inside distage.
    pub const fn cycle(&'static self) -> Option<&'static str> {
        if self.len == 0 {
            return None;
        }
        let (message, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(message) {
            Ok(m) => Some(m),
            Err(_) => Some("dependency cycle"),
        }
    }
}

/// Depth-first search over a module's graph (node `i`'s edge slices are
/// `chunks[i / chunk][i % chunk]`, the nodes given in constants of `chunk` nodes): the first
/// cycle's whole path, for the `const` item it is called in to panic with at compile time.
/// `names` holds the nodes' names, one per line: one string literal, where an array of N of
/// them made evaluating the constant quadratic.
pub const fn check_graph<const N: usize>(
    chunk: usize,
    chunks: &[&[&[&[usize]]]],
    names: &str,
    origins: &[&str; N],
) -> GraphReport {
    // 0 = unseen, 1 = on the stack, 2 = done.
    let mut color = [0u8; N];
    // (node, slice, element) frames.
    let mut stack = [(0usize, 0usize, 0usize); N];
    let mut start = 0;
    while start < N {
        if color[start] == 0 {
            let mut sp = 1;
            stack[0] = (start, 0, 0);
            color[start] = 1;
            while sp > 0 {
                let (v, s, e) = stack[sp - 1];
                let node = chunks[v / chunk][v % chunk];
                if s >= node.len() {
                    color[v] = 2;
                    sp -= 1;
                    continue;
                }
                if e >= node[s].len() {
                    stack[sp - 1] = (v, s + 1, 0);
                    continue;
                }
                stack[sp - 1] = (v, s, e + 1);
                let w = node[s][e];
                if w >= N {
                    continue;
                }
                if color[w] == 1 {
                    return report_cycle(&stack, sp, w, names, origins);
                }
                if color[w] == 0 {
                    color[w] = 1;
                    stack[sp] = (w, 0, 0);
                    sp += 1;
                }
            }
        }
        start += 1;
    }
    GraphReport {
        buf: [0u8; MESSAGE_CAPACITY],
        len: 0,
    }
}

const MESSAGE_CAPACITY: usize = 4096;

/// Line `i` of `lines` (the name of node `i`).
const fn line(lines: &str, i: usize) -> &str {
    let bytes = lines.as_bytes();
    let (mut at, mut seen) = (0, 0);
    while seen < i && at < bytes.len() {
        if bytes[at] == b'\n' {
            seen += 1;
        }
        at += 1;
    }
    let mut end = at;
    while end < bytes.len() && bytes[end] != b'\n' {
        end += 1;
    }
    let (_, rest) = bytes.split_at(at);
    let (name, _) = rest.split_at(end - at);
    match core::str::from_utf8(name) {
        Ok(name) => name,
        Err(_) => "?",
    }
}

const fn report_cycle<const N: usize>(
    stack: &[(usize, usize, usize); N],
    sp: usize,
    w: usize,
    names: &str,
    origins: &[&str; N],
) -> GraphReport {
    let mut buf = [0u8; MESSAGE_CAPACITY];
    let mut len = push(&mut buf, 0, "dependency cycle: ");
    let mut k = 0;
    while stack[k].0 != w {
        k += 1;
    }
    let first = k;
    while k < sp {
        len = push(&mut buf, len, line(names, stack[k].0));
        len = push(&mut buf, len, " -> ");
        k += 1;
    }
    len = push(&mut buf, len, line(names, w));
    k = first;
    while k < sp {
        len = push(&mut buf, len, "\n`");
        len = push(&mut buf, len, line(names, stack[k].0));
        len = push(&mut buf, len, "` bound at ");
        len = push(&mut buf, len, origins[stack[k].0]);
        k += 1;
    }
    len = push(
        &mut buf,
        len,
        "\nfix: break the cycle with `Lazy<T>` on one of these dependencies",
    );
    GraphReport { buf, len }
}

const fn push(buf: &mut [u8; MESSAGE_CAPACITY], mut len: usize, s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    // Stop at a character boundary so the message stays valid UTF-8 when truncated.
    if len + bytes.len() > MESSAGE_CAPACITY {
        return len;
    }
    while i < bytes.len() {
        buf[len] = bytes[i];
        len += 1;
        i += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &str = "A\nB\nC\nD\nE";
    const ORIGINS: [&str; 5] = ["a.rs:1", "b.rs:2", "c.rs:3", "d.rs:4", "e.rs:5"];

    /// Nodes given two per chunk: A -> B -> D -> E -> B is a cycle through three chunks, and its
    /// message names the nodes from the one names string, with their origins.
    #[test]
    fn a_cycle_across_chunks_is_reported_with_its_names_and_origins() {
        static CHUNKS: [&[&[&[usize]]]; 3] = [
            &[&[&[1]], &[&[3, NO_EDGE]]],
            &[&[], &[&[4]]],
            &[&[&[], &[1]]],
        ];
        let report = check_graph::<5>(2, &CHUNKS, NAMES, &ORIGINS);
        assert_eq!(
            report.cycle_message(),
            Some(
                "dependency cycle: B -> D -> E -> B\n`B` bound at b.rs:2\n`D` bound at d.rs:4\n\
                 `E` bound at e.rs:5\nfix: break the cycle with `Lazy<T>` on one of these dependencies"
            )
        );
    }

    #[test]
    fn an_acyclic_graph_has_no_report() {
        static CHUNKS: [&[&[&[usize]]]; 3] = [&[&[&[1, 2]], &[&[3]]], &[&[&[3]], &[&[4]]], &[&[]]];
        assert_eq!(
            check_graph::<5>(2, &CHUNKS, NAMES, &ORIGINS).cycle_message(),
            None
        );
    }

    #[test]
    fn line_reads_one_name_of_several() {
        assert_eq!(line(NAMES, 0), "A");
        assert_eq!(line(NAMES, 4), "E");
        assert_eq!(line("only", 0), "only");
    }

    impl GraphReport {
        fn cycle_message(&self) -> Option<&str> {
            (self.len > 0).then(|| std::str::from_utf8(&self.buf[..self.len]).unwrap())
        }
    }
}
