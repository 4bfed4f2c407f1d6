//! The arities distage implements traits over, listed once.
//!
//! - `for_arities!(functions, m)` invokes `m!()`, `m!(A1)`, … up to 16 parameters: functions given
//!   to `from`/`run` (`IntoFunctoid`, `RunFn`, and `FnDeps` for their compile-time check), and
//!   the parameter tuples derived constructors take in one call (`InjectAll`; a constructor with
//!   more parameters takes them in tuples of 16, so this is no limit on components).
//! - `for_arities!(dependency_tuples, m)` goes on to 32: the dependency tuples `module!` checks
//!   at compile time (`DepIndices`, `Slots`). They are a component's whole dependency list, which
//!   derived components may make longer than 16; past 32 a list is `Unchecked` and only the
//!   planner checks it (each arity is one more impl rustc considers at every check).
//!
//! The macro crate states the same two limits (`MAX_TAKE_ALL`, `MAX_STATIC_DEPS` in
//! `distage-derive/src/injectable/codegen.rs`): change them together.

/// Invokes `$m` once per arity of the named list, from 0 parameters (`$m!()`) to its maximum.
macro_rules! for_arities {
    (functions, $m:ident) => {
        $crate::arity::prefixes!($m; []; A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16);
    };
    (dependency_tuples, $m:ident) => {
        $crate::arity::prefixes!($m; [];
            A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16
            A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32
        );
    };
}

/// Invokes `$m` once per arity from 0 to 16, each parameter a pair `(A N)` of a type and its id
/// (the parts of a derived constructor and their ids, for typed graphs).
macro_rules! for_paired_arities {
    ($m:ident) => {
        $crate::arity::prefixes!($m; [];
            (A1 N1) (A2 N2) (A3 N3) (A4 N4) (A5 N5) (A6 N6) (A7 N7) (A8 N8)
            (A9 N9) (A10 N10) (A11 N11) (A12 N12) (A13 N13) (A14 N14) (A15 N15) (A16 N16)
        );
    };
}

/// `$m!` with every prefix of the list: the empty one, then one more identifier at a time.
macro_rules! prefixes {
    ($m:ident; [$($done:tt)*];) => {
        $m!($($done)*);
    };
    ($m:ident; [$($done:tt)*]; $next:tt $($rest:tt)*) => {
        $m!($($done)*);
        $crate::arity::prefixes!($m; [$($done)* $next]; $($rest)*);
    };
}

pub(crate) use {for_arities, for_paired_arities, prefixes};
