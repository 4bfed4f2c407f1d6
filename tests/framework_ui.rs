//! Compile-time behaviour of `module!`'s framework statements (`role<T>;`, `config<T>("path");`,
//! `integration_check<T>;`), with the facade's `framework` feature: each
//! `tests/ui/framework/*.rs` must fail with the message in its `.stderr`.

#[test]
fn framework_ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/framework/*.rs");
    t.pass("tests/ui/framework_pass/*.rs");
}
