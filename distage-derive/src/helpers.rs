//! Small helpers every macro's code generation uses.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

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

/// `Origin::new(file!(), line!(), column!())` at `span`: the same position `#[track_caller]`'s
/// `Location::caller()` gives the builder's other statements (for a binding written in a
/// `macro_rules!` body, the outermost call site), so that origins compare equal across the
/// runtime module and its typed graph. (Literals read from `proc_macro::Span` would save the
/// compiler 60,000 built-in expansions at 10,000 bindings, but point into the macro body there
/// and ignore `--remap-path-scope`: different origins for the same binding.)
pub(crate) fn origin_expr(span: Span) -> TokenStream {
    let p = private();
    quote_spanned!(span=> #p::Origin::new(::core::file!(), ::core::line!(), ::core::column!()))
}

/// `"file:line"` at `span`, as a `&'static str` expression (see [`origin_expr`]).
pub(crate) fn file_line_expr(span: Span) -> TokenStream {
    quote_spanned!(span=> ::core::concat!(::core::file!(), ":", ::core::line!()))
}
