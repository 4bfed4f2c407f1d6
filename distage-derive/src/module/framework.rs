//! The framework's statements, written in terms of `make` and `many` so that the compile-time
//! checks cover them like any binding:
//!
//! - `role<T>;` binds `T` (its own constructor) and adds `T`'s role entry to the set the
//!   launcher reads;
//! - `config<T>("path");` binds `T` from the config section at `path` (the application's
//!   `AppConfig`, bound by the launcher, is `requires`d) and adds the section to the set the
//!   launcher checks before producing;
//! - `integration_check<T>;` adds `T` to the integration checks as a weak element: checked only
//!   when something else keeps `T` in the plan.
//!
//! The expansion names `::distage::__private::framework`, present with the facade's
//! `framework` feature.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::parse::ParseStream;
use syn::{LitStr, Token, Type, parenthesized};

use super::model::*;

pub(crate) fn role(
    input: ParseStream<'_>,
    span: Span,
    ty: Type,
    module: &mut ModuleDef,
) -> syn::Result<()> {
    input
        .parse::<Token![;]>()
        .map_err(|e| syn::Error::new(e.span(), "expected `;`: a role is bound as `role<T>;`"))?;
    module.bindings.push(Binding {
        span,
        key: ty.clone(),
        id: None,
        tags: Vec::new(),
        implementation: Implementation::SelfType,
        impl_span: span,
    });
    let fw = framework(span);
    let entry: syn::Expr = syn::parse2(quote_spanned! {span=>
        {
            #[allow(unused_imports)]
            use #fw::{TaskProbe as _, ServiceProbe as _, NeitherProbe as _};
            #fw::role_entry::<#ty>((&&&#fw::RoleProbe::<#ty>::new()).__distage_role_entry())
        }
    })?;
    push_element(
        module,
        span,
        quote_spanned!(span=> #fw::RoleEntry),
        ElementKind::Value(entry),
    )
}

pub(crate) fn config(
    input: ParseStream<'_>,
    span: Span,
    ty: Type,
    module: &mut ModuleDef,
) -> syn::Result<()> {
    let path: LitStr = if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        content.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the section's path as a string: `config<T>(\"http\");`",
            )
        })?
    } else {
        return Err(input.error("expected the section's path: `config<T>(\"http\");`"));
    };
    input.parse::<Token![;]>().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected `;`: a config section is bound as `config<T>(\"path\");`",
        )
    })?;
    let fw = framework(span);
    let reader = quote_spanned! {span=>
        |__distage_config: ::std::sync::Arc<#fw::AppConfig>| __distage_config.section::<#ty>(#path)
    };
    let function = super::parse::fn_impl(reader, span)?;
    module.bindings.push(Binding {
        span,
        key: ty.clone(),
        id: None,
        tags: Vec::new(),
        implementation: Implementation::TryFn(function),
        impl_span: span,
    });
    let config_ty: Type = syn::parse2(quote_spanned!(span=> #fw::AppConfig))?;
    let spelled = |t: &Type| quote::ToTokens::to_token_stream(t).to_string();
    if !module
        .requires
        .iter()
        .any(|r| r.id.is_none() && spelled(&r.ty) == spelled(&config_ty))
    {
        module.requires.push(Require {
            span,
            ty: config_ty,
            id: None,
        });
    }
    let section: syn::Expr =
        syn::parse2(quote_spanned!(span=> #fw::ConfigSection::of::<#ty>(#path)))?;
    push_element(
        module,
        span,
        quote_spanned!(span=> #fw::ConfigSection),
        ElementKind::Value(section),
    )
}

pub(crate) fn integration_check(
    input: ParseStream<'_>,
    span: Span,
    ty: Type,
    module: &mut ModuleDef,
) -> syn::Result<()> {
    input.parse::<Token![;]>().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected `;`: a check is registered as `integration_check<T>;`",
        )
    })?;
    let fw = framework(span);
    push_element(
        module,
        span,
        quote_spanned!(span=> dyn #fw::DynIntegrationCheck),
        ElementKind::Weak(ty, None),
    )
}

fn framework(span: Span) -> TokenStream {
    quote_spanned!(span=> ::distage::__private::framework)
}

fn push_element(
    module: &mut ModuleDef,
    span: Span,
    element: TokenStream,
    kind: ElementKind,
) -> syn::Result<()> {
    module.sets.push(SetDef {
        span,
        element: syn::parse2(element)?,
        id: None,
        elements: vec![Element {
            span,
            kind,
            tags: Vec::new(),
        }],
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    fn expand(src: &str) -> String {
        super::super::expand(src.parse().unwrap(), "src/main.rs:1:1").to_string()
    }

    #[test]
    fn a_role_is_a_binding_and_an_entry_checked_like_any_binding() {
        let out = expand("App { role<Migrate>; }");
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("construct_injectable :: < Migrate >"), "{out}");
        assert!(
            out.contains("many :: < :: distage :: __private :: framework :: RoleEntry > ()"),
            "{out}"
        );
        assert!(
            out.contains("role_entry :: < Migrate >"),
            "the entry names the role type: {out}"
        );
        assert!(
            out.contains("< Migrate as :: distage :: __private :: StaticDeps > :: Deps"),
            "the role's dependencies are checked: {out}"
        );
    }

    #[test]
    fn a_config_section_reads_the_app_config_which_is_required_once() {
        let out = expand(r#"App { config<Http>("http"); config<Db>("db.main"); }"#);
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains(r#"section :: < Http > ("http")"#), "{out}");
        assert!(
            out.contains(r#"ConfigSection :: of :: < Db > ("db.main")"#),
            "{out}"
        );
        assert_eq!(
            out.matches("requires_key").count(),
            1,
            "AppConfig is required once: {out}"
        );
    }

    #[test]
    fn an_integration_check_is_a_weak_element() {
        let out = expand("App { make<Db>; integration_check<Db>; }");
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains(". weak_impl :: < Db >"), "{out}");
        assert!(
            out.contains("dyn :: distage :: __private :: framework :: DynIntegrationCheck"),
            "{out}"
        );
    }

    #[test]
    fn mistakes_are_spanned_errors() {
        let out = expand("App { config<Http>; role<Migrate> now; }");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(out.contains("expected the section's path"), "{out}");
        assert!(out.contains("a role is bound as `role<T>;`"), "{out}");
    }
}
