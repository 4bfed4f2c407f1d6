//! The logic of distage-rs's macros, as an ordinary library on `proc_macro2` so that it can be
//! unit-tested: `#[derive(Injectable)]`, `#[injectable]`, `module!`, `#[derive(Axis)]` and
//! `#[distage::test]`.
//! Each macro is parsed into a model, validated, then generated; `distage-macros` is the thin
//! `proc-macro` shim that exports them.
#![forbid(unsafe_code)]

mod axis;
mod errors;
mod helpers;
mod injectable;
mod module;
mod params;
mod test_attr;

use proc_macro2::TokenStream;

pub(crate) use errors::Errors;
pub(crate) use helpers::{private, respan};

/// `#[derive(Injectable)]`.
pub fn derive_injectable(input: TokenStream) -> TokenStream {
    debug("derive(Injectable)", injectable::derive(input))
}

/// `#[injectable]` on an `impl` block: its `fn new(…)` is the constructor.
pub fn injectable_attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("#[injectable]", injectable::attribute(args, item))
}

/// `module! { … }`; `site` identifies the invocation (`file:line:column`).
pub fn module(input: TokenStream, site: &str) -> TokenStream {
    debug("module!", module::expand(input, site))
}

/// `#[derive(Axis)]`.
pub fn derive_axis(input: TokenStream) -> TokenStream {
    debug("derive(Axis)", axis::derive(input))
}

/// `#[distage::test(env = path)]` on a test function: its parameters are injected, and it is
/// registered with the testkit's harness.
pub fn test_attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    debug("#[distage::test]", test_attr::expand(args, item))
}

/// With `DISTAGE_MACROS_DEBUG=1` set, prints every expansion to stderr.
fn debug(what: &str, output: TokenStream) -> TokenStream {
    if std::env::var_os("DISTAGE_MACROS_DEBUG").is_some_and(|v| v != "0") {
        eprintln!("---- distage {what} expansion ----\n{output}\n----");
    }
    output
}
