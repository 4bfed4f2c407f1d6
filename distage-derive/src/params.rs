//! Parameters and fields: what kind of injection a type asks for, and its key as a type.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericArgument, LitStr, PathArguments, Type};

use crate::{Errors, private};

/// How a field or parameter is handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The type implements `Inject` itself (`Arc<T>`, `Set<T>`, `Logger`, …).
    Inject,
    /// Any other type: cloned out of its binding, through `Value<T>`.
    Value,
}

/// Names the injector treats specially, by their last path segment.
const INJECT_TYPES: &[&str] = &[
    "Arc",
    "Set",
    "Factory",
    "Lazy",
    "LocatorRef",
    "Logger",
    "Value",
];

/// An `#[id]` on `LocatorRef` or `Logger` is an error: they are handed over without a key, so an
/// id would silently mean nothing.
pub(crate) fn check_id(id: Option<&LitStr>, ty: &Type) -> syn::Result<()> {
    let (Some(id), Type::Path(p)) = (id, ty) else {
        return Ok(());
    };
    let Some(last) = p.path.segments.last() else {
        return Ok(());
    };
    match ["LocatorRef", "Logger"].iter().find(|n| last.ident == n) {
        Some(name) => Err(syn::Error::new(
            id.span(),
            format!("`{name}` takes no id: it is not looked up by key"),
        )),
        None => Ok(()),
    }
}

/// Classifies a type written by the user. Errors point at the type and say what to write.
pub(crate) fn classify(ty: &Type) -> syn::Result<Kind> {
    let unsupported = |what: &str| Err(syn::Error::new(ty.span(), what.to_string()));
    match ty {
        Type::Reference(_) => unsupported(
            "references cannot be injected: ask for `Arc<T>` (shared) or `T` (a clone of a bound value)",
        ),
        Type::Ptr(_) => unsupported("raw pointers cannot be injected: ask for `Arc<T>`"),
        Type::ImplTrait(_) => unsupported(
            "`impl Trait` cannot be injected: ask for `Arc<dyn Trait>` and bind `dyn Trait`",
        ),
        Type::TraitObject(_) => {
            unsupported("a trait object cannot be injected by value: ask for `Arc<dyn Trait>`")
        }
        Type::Infer(_) => unsupported("the injector needs the parameter's type: write it out"),
        Type::Never(_) | Type::Slice(_) => unsupported("this type cannot be injected"),
        Type::Paren(p) => classify(&p.elem),
        Type::Group(g) => classify(&g.elem),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return Ok(Kind::Value);
            };
            let name = last.ident.to_string();
            match name.as_str() {
                n if INJECT_TYPES.contains(&n) => Ok(Kind::Inject),
                "Option" => match first_type_arg(&last.arguments) {
                    Some(Type::Path(inner))
                        if inner.path.segments.last().is_some_and(|s| s.ident == "Arc") =>
                    {
                        Ok(Kind::Inject)
                    }
                    _ => unsupported(
                        "optional dependencies are written `Option<Arc<T>>`: `None` when `T` is not bound",
                    ),
                },
                "Rc" => unsupported("`Rc` is not thread-safe: ask for `Arc<T>`"),
                "Weak" => {
                    unsupported("to refer to an instance without owning it, ask for `Lazy<T>`")
                }
                "Box" => unsupported(
                    "boxed dependencies are shared: ask for `Arc<T>` (or `Arc<dyn Trait>`)",
                ),
                "RefCell" | "Cell" => unsupported(
                    "`RefCell`/`Cell` are not `Sync`: bind `Mutex<T>` or `RwLock<T>` and ask for `Arc<…>`",
                ),
                _ => Ok(Kind::Value),
            }
        }
        _ => Ok(Kind::Value),
    }
}

fn first_type_arg(args: &PathArguments) -> Option<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// The type that implements `Inject` for a parameter: itself, or `Value<T>`.
pub(crate) fn inject_type(ty: &Type, kind: Kind) -> TokenStream {
    let p = private();
    match kind {
        Kind::Inject => quote!(#ty),
        Kind::Value => quote_spanned!(ty.span()=> #p::Value<#ty>),
    }
}

/// `None`, or `Some(Id::from("…"))`, for the runtime dependency.
pub(crate) fn runtime_id(id: Option<&LitStr>) -> TokenStream {
    let p = private();
    match id {
        Some(id) => quote!(::core::option::Option::Some(#p::RuntimeId::from(#id))),
        None => quote!(::core::option::Option::None),
    }
}

/// The id as a type: `()` unnamed, `Named<'d', 'b'>` named; past 32 characters the rest continues
/// in a nested `Named` as the 33rd parameter.
pub(crate) fn id_type(id: Option<&LitStr>) -> TokenStream {
    let p = private();
    let Some(id) = id else { return quote!(()) };
    let chars: Vec<char> = id.value().chars().collect();
    let span = id.span();
    fn chunked(chars: &[char], span: Span, p: &TokenStream) -> TokenStream {
        let (head, tail) = chars.split_at(chars.len().min(32));
        let lits = head.iter().map(|c| syn::LitChar::new(*c, span));
        if tail.is_empty() {
            quote_spanned!(span=> #p::Named<#(#lits),*>)
        } else {
            let next = chunked(tail, span, p);
            quote_spanned!(span=> #p::Named<#(#lits,)* #next>)
        }
    }
    chunked(&chars, span, &p)
}

/// The compile-time dependency of a parameter: `<P as StaticInject<N>>::Dep`.
pub(crate) fn static_dep(ty: &Type, kind: Kind, id: Option<&LitStr>) -> TokenStream {
    let p = private();
    let inject = inject_type(ty, kind);
    let n = id_type(id);
    quote_spanned!(ty.span()=> <#inject as #p::StaticInject<#n>>::Dep)
}

/// Reads `#[id("…")]` from attributes; returns the id and the attributes left.
pub(crate) fn take_id(attrs: &mut Vec<syn::Attribute>) -> syn::Result<Option<LitStr>> {
    let mut id = None;
    let mut errors = Errors::new();
    attrs.retain(|attr| {
        if !attr.path().is_ident("id") {
            return true;
        }
        match attr.parse_args::<LitStr>() {
            Ok(lit) if id.is_none() => id = Some(lit),
            Ok(lit) => errors.error(lit.span(), "a second `#[id]`: give one id"),
            Err(_) => errors.error(
                attr.span(),
                "expected `#[id(\"name\")]`: the id is a string literal",
            ),
        }
        false
    });
    errors.finish_with(id)
}

/// What `#[di(...)]` attributes say about one field or parameter.
#[derive(Default)]
pub(crate) struct DiAttrs {
    /// `id = "…"`.
    pub(crate) id: Option<LitStr>,
    /// `assisted`, where it was written.
    pub(crate) assisted: Option<Span>,
    /// `default`, where it was written.
    pub(crate) default: Option<Span>,
}

/// Reads and removes `#[di(id = "…", assisted, default)]` (any number of them, in any order):
/// one namespace, so that no other derive's attribute (std's `#[default]`) is taken for ours.
pub(crate) fn take_di(attrs: &mut Vec<syn::Attribute>) -> syn::Result<DiAttrs> {
    let mut found = DiAttrs::default();
    let mut errors = Errors::new();
    attrs.retain(|attr| {
        if !attr.path().is_ident("di") {
            return true;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            // At the option's name (`meta.error` would span up to where parsing stopped).
            let error = |message: &str| syn::Error::new(meta.path.span(), message);
            let twice = |what: &str| error(&format!("`{what}` is given twice"));
            if meta.path.is_ident("id") {
                let lit: LitStr = meta
                    .value()?
                    .parse()
                    .map_err(|_| error("expected `id = \"name\"`: the id is a string literal"))?;
                if found.id.is_some() {
                    return Err(twice("id"));
                }
                found.id = Some(lit);
            } else if meta.path.is_ident("assisted") {
                if found.assisted.replace(meta.path.span()).is_some() {
                    return Err(twice("assisted"));
                }
            } else if meta.path.is_ident("default") {
                if found.default.replace(meta.path.span()).is_some() {
                    return Err(twice("default"));
                }
            } else {
                return Err(error(
                    "unknown `di` option: expected `id = \"name\"`, `assisted` or `default`",
                ));
            }
            Ok(())
        });
        errors.handle(parsed);
        false
    });
    errors.finish_with(found)
}

/// Reads a marker attribute (`#[assisted]`, `#[default]`), removing it.
pub(crate) fn take_flag(attrs: &mut Vec<syn::Attribute>, name: &str) -> syn::Result<Option<Span>> {
    let mut found = None;
    let mut errors = Errors::new();
    attrs.retain(|attr| {
        if !attr.path().is_ident(name) {
            return true;
        }
        if let syn::Meta::Path(_) = attr.meta {
            found = Some(attr.span());
        } else {
            errors.error(attr.span(), format!("`#[{name}]` takes no arguments"));
        }
        false
    });
    errors.finish_with(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(src: &str) -> Result<Kind, String> {
        classify(&syn::parse_str::<Type>(src).unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn classifies_field_types() {
        assert_eq!(kind("Arc<dyn Db>"), Ok(Kind::Inject));
        assert_eq!(kind("std::sync::Arc<Db>"), Ok(Kind::Inject));
        assert_eq!(kind("Option<Arc<Db>>"), Ok(Kind::Inject));
        assert_eq!(kind("Set<dyn Handler>"), Ok(Kind::Inject));
        assert_eq!(kind("Logger"), Ok(Kind::Inject));
        assert_eq!(kind("String"), Ok(Kind::Value));
        assert_eq!(kind("(u8, u16)"), Ok(Kind::Value));
        assert!(
            kind("&str")
                .unwrap_err()
                .contains("references cannot be injected")
        );
        assert!(
            kind("Option<String>")
                .unwrap_err()
                .contains("Option<Arc<T>>")
        );
        assert!(kind("Rc<Db>").unwrap_err().contains("Arc<T>"));
        assert!(kind("Box<dyn Db>").unwrap_err().contains("Arc<dyn Trait>"));
    }

    #[test]
    fn ids_become_char_types() {
        let lit: LitStr = syn::parse_str("\"db-url\"").unwrap();
        let t = id_type(Some(&lit)).to_string();
        assert!(
            t.contains("Named < 'd' , 'b' , '-' , 'u' , 'r' , 'l' >"),
            "{t}"
        );
        let long: LitStr = syn::parse_str(&format!("\"{}\"", "x".repeat(40))).unwrap();
        let t = id_type(Some(&long)).to_string();
        assert_eq!(t.matches("Named <").count(), 2, "{t}");
        assert_eq!(id_type(None).to_string(), "()");
    }
}
