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

/// Where `span` starts — file, line and column (counted in bytes) — as the compiler tells a
/// macro, or `None` outside a macro invocation (this crate's unit tests). Generated code writes
/// these as literals rather than expanding `file!()`, `line!()` and `column!()` per binding: at
/// 10,000 bindings those 60,000 built-in expansions cost `cargo check` 30 MiB.
fn location(span: Span) -> Option<(String, u32, u32)> {
    if !proc_macro::is_available() {
        return None;
    }
    let span = span.unwrap();
    let line = u32::try_from(span.line()).ok()?;
    let column = u32::try_from(span.column()).ok()?;
    Some((span.file(), line, column))
}

/// `Origin::new(file, line, column)` of `span`.
pub(crate) fn origin_expr(span: Span) -> TokenStream {
    let p = private();
    match location(span) {
        Some((file, line, column)) => quote_spanned!(span=> #p::Origin::new(#file, #line, #column)),
        None => quote_spanned!(span=>
            #p::Origin::new(::core::file!(), ::core::line!(), ::core::column!())
        ),
    }
}

/// `"file:line"` of `span`, as a `&'static str` expression.
pub(crate) fn file_line_expr(span: Span) -> TokenStream {
    match location(span) {
        Some((file, line, _)) => {
            let text = syn::LitStr::new(&format!("{file}:{line}"), span);
            quote::quote!(#text)
        }
        None => quote_spanned!(span=> ::core::concat!(::core::file!(), ":", ::core::line!())),
    }
}
