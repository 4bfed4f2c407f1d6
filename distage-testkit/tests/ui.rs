//! Compile errors of `#[distage::test]`: each `tests/ui/test_attr/*.rs` must fail to compile with
//! the message in its `.stderr` (regenerate with `TRYBUILD=overwrite`, then read every diff).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/test_attr/*.rs");
}
