//! `module!`: parse → model → validate (graph) → codegen.
//!
//! A module that includes others is expanded in several passes: each included module's
//! callback macro adds what it binds (its [`Meta`]) to the state and invokes `module!` again;
//! once every include is known, the module is generated.

mod codegen;
mod graph;
mod meta;
mod model;
mod parse;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;
use syn::LitStr;

use meta::Meta;

/// `site` identifies this invocation (`file:line:column`); it is kept across passes.
pub(crate) fn expand(input: TokenStream, site: &str) -> TokenStream {
    let (state, module_tokens) = match split_state(input) {
        Ok(parts) => parts,
        Err(e) => return e.to_compile_error(),
    };
    let (module, statement_errors) = match parse::parse_module(module_tokens.clone()) {
        Ok(parsed) => parsed,
        Err(e) => return e.to_compile_error(),
    };
    let site = state
        .site
        .clone()
        .unwrap_or_else(|| format!("{site}:{}", module.name));
    if let Some(errors) = statement_errors {
        return codegen::fallback(&module, &site, errors.to_compile_error());
    }
    let mut metas = Vec::new();
    for lit in &state.included {
        match Meta::decode(&lit.value()) {
            Ok(meta) => metas.push(meta),
            Err(e) => return syn::Error::new(lit.span(), e).to_compile_error(),
        }
    }
    if let Some(next) = module.includes.get(metas.len()) {
        let site_lit = LitStr::new(&site, proc_macro2::Span::call_site());
        let included = &state.included;
        return quote! {
            #next::__distage_include! {
                @state { @site(#site_lit) #(@included(#included))* }
                @module { #module_tokens }
            }
        };
    }
    let checked = module.runtime_includes.is_empty() && metas.iter().all(|m| m.checked);
    if !checked {
        return codegen::generate(&module, None, &metas, &site);
    }
    match graph::Graph::build(&module, &metas, &site) {
        Ok(graph) => codegen::generate(&module, Some(&graph), &metas, &site),
        Err(e) => codegen::fallback(&module, &site, e.to_compile_error()),
    }
}

#[derive(Default)]
struct State {
    site: Option<String>,
    included: Vec<LitStr>,
}

/// `@state { @site("…") @included("…")* } @module { … }`, or a plain module.
fn split_state(input: TokenStream) -> syn::Result<(State, TokenStream)> {
    let tokens: Vec<TokenTree> = input.clone().into_iter().collect();
    let is_at =
        |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == '@');
    if !is_at(tokens.first()) {
        return Ok((State::default(), input));
    }
    let malformed = || {
        syn::Error::new(
            proc_macro2::Span::call_site(),
            "distage: malformed `module!` include state",
        )
    };
    let group =
        |t: Option<&TokenTree>, name: &str, head: Option<&TokenTree>| -> Option<TokenStream> {
            match (head, t) {
                (Some(TokenTree::Ident(i)), Some(TokenTree::Group(g)))
                    if i == name && g.delimiter() == Delimiter::Brace =>
                {
                    Some(g.stream())
                }
                _ => None,
            }
        };
    let state_tokens = group(tokens.get(2), "state", tokens.get(1)).ok_or_else(malformed)?;
    if !is_at(tokens.get(3)) {
        return Err(malformed());
    }
    let module_tokens = group(tokens.get(5), "module", tokens.get(4)).ok_or_else(malformed)?;
    let mut state = State::default();
    let items: Vec<TokenTree> = state_tokens.into_iter().collect();
    for chunk in items.chunks(3) {
        let [
            TokenTree::Punct(_),
            TokenTree::Ident(name),
            TokenTree::Group(arg),
        ] = chunk
        else {
            return Err(malformed());
        };
        let lit: LitStr = syn::parse2(arg.stream())?;
        match name.to_string().as_str() {
            "site" => state.site = Some(lit.value()),
            "included" => state.included.push(lit),
            _ => return Err(malformed()),
        }
    }
    Ok((state, module_tokens))
}
