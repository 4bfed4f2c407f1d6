//! `#[derive(Injectable)]` and `#[injectable]`: parse → model → codegen.

mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    match parse::from_struct(&input) {
        Ok(component) => codegen::generate(&component),
        // The type itself is left as it was; only the impls are missing.
        Err(e) => e.write_errors(),
    }
}

pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = darling::Error::accumulator();
    if !args.is_empty() {
        errors.push(darling::Error::custom("`#[injectable]` takes no arguments").with_span(&args));
    }
    let mut block = match syn::parse2::<syn::ItemImpl>(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            let e = darling::Error::custom(
                "`#[injectable]` goes on an `impl` block with a `fn new(…)`",
            )
            .with_span(&item)
            .write_errors();
            return quote!(#item #e);
        }
    };
    let component = errors.handle(parse::from_impl(&mut block));
    let generated = component.map(|c| codegen::generate(&c));
    let errors = match errors.finish() {
        Ok(()) => TokenStream::new(),
        Err(e) => e.write_errors(),
    };
    // The block is always emitted (attributes removed), so one mistake does not hide its methods.
    quote!(#block #generated #errors)
}
