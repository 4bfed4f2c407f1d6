//! Small helpers every macro's code generation uses.

use proc_macro2::TokenStream;

/// The path generated code reaches the runtime through.
pub(crate) fn private() -> TokenStream {
    quote::quote!(::distage::__private)
}

/// `tokens` with every span set to `span`: generated code whose errors should point at one
/// place in the user's input (an interpolated `quote_spanned!` argument keeps its own spans).
pub(crate) fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(g) = &tree {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tree = proc_macro2::TokenTree::Group(group);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}
