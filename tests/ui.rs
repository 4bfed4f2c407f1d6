//! Compile-time behaviour of the macros: each `tests/ui/<topic>/*.rs` must fail to compile with
//! the message in its `.stderr` (regenerate with `TRYBUILD=overwrite`, then read every diff);
//! `tests/ui/pass/*.rs` must compile.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/module/*.rs");
    t.compile_fail("tests/ui/include/*.rs");
    t.compile_fail("tests/ui/derive/*.rs");
    t.compile_fail("tests/ui/syntax/*.rs");
    t.compile_fail("tests/ui/run/*.rs");
    t.compile_fail("tests/ui/typed/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
