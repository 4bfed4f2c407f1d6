//! `module!`: parse → model → graph (relationships between bindings checked) → codegen.
//!
//! A module that includes others is expanded in several passes: each included module's
//! callback macro adds what it binds (its [`Meta`]) to the state and invokes `module!` again;
//! once every include is known, the module is generated.

mod codegen;
mod framework;
mod graph;
mod meta;
mod model;
mod parse;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;
use syn::LitStr;

use crate::Errors;
use meta::Meta;

/// `site` identifies this invocation (`file:line:column`); it is kept across passes.
pub(crate) fn expand(input: TokenStream, site: &str) -> TokenStream {
    let mut errors = Errors::new();
    let Some((state, module_tokens)) = errors.handle(split_state(input)) else {
        return errors.into_compile_error();
    };
    let Some(module) = parse::parse_module(module_tokens.clone(), &mut errors) else {
        return errors.into_compile_error();
    };
    let site = state
        .site
        .clone()
        .unwrap_or_else(|| format!("{site}:{}", module.name));
    if !errors.is_empty() {
        return codegen::fallback(&module, &site, errors.into_compile_error());
    }
    let mut metas = Vec::new();
    for lit in &state.included {
        match Meta::decode(&lit.value()) {
            Ok(meta) => metas.push(meta),
            Err(e) => {
                errors.error(lit.span(), e);
                return errors.into_compile_error();
            }
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
    match errors.handle(graph::Graph::build(&module, &metas, &site)) {
        Some(graph) => codegen::generate(&module, Some(&graph), &metas, &site),
        None => codegen::fallback(&module, &site, errors.into_compile_error()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(src: &str) -> String {
        expand(src.parse().unwrap(), "src/lib.rs:1:1").to_string()
    }

    #[test]
    fn a_module_becomes_a_mod_with_its_checks() {
        let out =
            expand_str("pub App { make<u16>.from_value(1); make<Service>; requires Config; }");
        assert!(out.contains("pub mod App"), "{out}");
        assert!(out.contains("pub fn module ()"), "{out}");
        assert!(out.contains("check_graph :: < 3usize >"), "{out}");
        assert!(
            out.contains("__distage_App_Single < __DistageBy > for __distage_App_T0"),
            "{out}"
        );
        assert!(
            out.contains("< Service as :: distage :: __private :: StaticDeps > :: Deps"),
            "{out}"
        );
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn an_include_is_resolved_through_the_included_modules_callback_first() {
        let out = expand_str("App { include core::Core; make<u8>.from_value(1); }");
        assert!(
            out.starts_with("core :: Core :: __distage_include !"),
            "{out}"
        );
        assert!(out.contains("@ site (\"src/lib.rs:1:1:App\")"), "{out}");
        // The callback adds the included module's metadata and calls `module!` again.
        let meta = meta::Meta {
            id: "src/core.rs:1:1:Core".into(),
            name: "Core".into(),
            checked: true,
            keys: vec![meta::MetaKey {
                spelling: "u16".into(),
                set: false,
                named: false,
                bindings: vec![meta::MetaBinding {
                    tagged: false,
                    source: ("src/core.rs:1:1:Core".into(), 0),
                }],
            }],
            requires: vec![],
        };
        let resumed = format!(
            "@state {{ @site(\"src/lib.rs:1:1:App\") @included({:?}) }} @module {{ App {{ include core::Core; make<u8>.from_value(1); }} }}",
            meta.encode()
        );
        let out = expand_str(&resumed);
        assert!(
            out.contains("core :: Core :: __T0"),
            "the included key is named through the alias: {out}"
        );
        assert!(out.contains("check_graph :: < 2usize >"), "{out}");
    }

    #[test]
    fn raw_identifiers_name_modules() {
        for (src, prefix) in [
            (
                "pub r#match { make<u8>.from_value(1); }",
                "__distage_match_",
            ),
            ("r#Foo { }", "__distage_Foo_"),
        ] {
            let out = expand_str(src);
            assert!(!out.contains("compile_error"), "{src}: {out}");
            assert!(out.contains(prefix), "{src}: {out}");
        }
    }

    #[test]
    fn mistakes_are_all_reported_and_a_stub_module_is_still_emitted() {
        let out = expand_str("App { make<u8>.frm(1); bind<u8>; make<u16>.from_value(1); }");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(out.contains("is not a `make` method"), "{out}");
        assert!(
            out.contains("expected `make`, `many`, `include` or `requires`"),
            "{out}"
        );
        assert!(
            out.contains("pub fn module ()"),
            "the stub keeps users of the module compiling: {out}"
        );
    }

    #[test]
    fn duplicates_are_errors_unless_tags_tell_them_apart() {
        let out = expand_str("App { make<u8>.from_value(1); make<u8>.from_value(2); }");
        assert!(out.contains("duplicate binding: `u8`"), "{out}");
        let out = expand_str(
            "App { make<u8>.from_value(1).tagged(Mode::Prod); make<u8>.from_value(2).tagged(Mode::Test); }",
        );
        assert!(!out.contains("compile_error"), "{out}");
        let out = expand_str(
            "App { make<u8>.from_value(1).tagged(Mode::Prod); make<u8>.from_value(2).tagged(Mode::Prod); }",
        );
        assert!(out.contains("with the same tags"), "{out}");
    }

    #[test]
    fn a_runtime_include_turns_the_checks_off() {
        let out = expand_str("App { include(other()); make<Service>; }");
        assert!(!out.contains("check_graph"), "{out}");
        assert!(out.contains(". include (other ())"), "{out}");
    }

    #[test]
    fn closures_are_wrapped_with_their_ids() {
        let out = expand_str(
            r#"App { make<Server>.from(|#[id("port")] port: u16, db: Arc<Db>| Server); }"#,
        );
        assert!(out.contains(". named (0usize , \"port\")"), "{out}");
        assert!(
            out.contains("Value < u16 >"),
            "values are injected through Value: {out}"
        );
        assert!(!out.contains("# [id"), "the attribute is removed: {out}");
    }
}
