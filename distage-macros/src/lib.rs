//! Procedural macros of distage-rs. The logic lives in `distage-derive`; this crate only
//! exports it. Use them through the `distage` crate.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Makes a struct injectable: its fields are its dependencies. See the `distage` crate.
#[proc_macro_derive(Injectable, attributes(id, assisted, default))]
pub fn derive_injectable(input: TokenStream) -> TokenStream {
    distage_derive::derive_injectable(input.into()).into()
}

/// On an `impl` block: its `fn new(…)` is the constructor the injector calls.
#[proc_macro_attribute]
pub fn injectable(args: TokenStream, item: TokenStream) -> TokenStream {
    distage_derive::injectable_attribute(args.into(), item.into()).into()
}

/// Declares a module whose wiring is checked at compile time.
#[proc_macro]
pub fn module(input: TokenStream) -> TokenStream {
    let span = proc_macro::Span::call_site();
    let site = format!("{}:{}:{}", span.file(), span.line(), span.column());
    distage_derive::module(input.into(), &site).into()
}

/// Makes a fieldless enum a configuration axis: its variants are the choices.
#[proc_macro_derive(Axis)]
pub fn derive_axis(input: TokenStream) -> TokenStream {
    distage_derive::derive_axis(input.into()).into()
}

/// A test whose parameters are injected from an environment: `#[distage::test(env = path)]`.
/// See `distage::testkit` (the `testkit` feature).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    distage_derive::test_attribute(args.into(), item.into()).into()
}
