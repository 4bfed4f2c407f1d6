//! From a struct or an `impl` block to a [`Component`]; checks each attribute on its own.

use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, FnArg, ImplItem, ItemImpl, Member, ReturnType, Type};

use super::model::{Component, Ctor, Param, Role, Shape};
use crate::Errors;
use crate::params::{DiAttrs, classify, take_di, take_flag, take_id};

/// A struct deriving `Injectable`.
pub(crate) fn from_struct(input: &DeriveInput) -> syn::Result<Component> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "`#[derive(Injectable)]` works on structs; for an enum or a type you cannot change, bind a function with `.from(|…| …)`",
        ));
    };
    let shape = match data.fields {
        Fields::Named(_) => Shape::Named,
        Fields::Unnamed(_) => Shape::Tuple,
        Fields::Unit => Shape::Unit,
    };
    let mut errors = Errors::new();
    let mut params = Vec::new();
    for (i, field) in data.fields.iter().enumerate() {
        let member = match &field.ident {
            Some(ident) => Member::Named(ident.clone()),
            None => Member::Unnamed(i.into()),
        };
        let mut attrs = field.attrs.clone();
        if let Some(param) = errors.handle(param(&mut attrs, &field.ty, Some(member), false)) {
            params.push(param);
        }
    }
    let self_ty = {
        let ident = &input.ident;
        let (_, ty_generics, _) = input.generics.split_for_impl();
        syn::parse_quote!(#ident #ty_generics)
    };
    errors.finish_with(Component {
        self_ty,
        generics: input.generics.clone(),
        params,
        ctor: Ctor::Struct {
            path: input.ident.clone().into(),
            shape,
        },
    })
}

/// An `impl` block marked `#[injectable]`: its `fn new` is the constructor. The parameter
/// attributes (`#[di(...)]`, `#[id]`, `#[assisted]`, `#[default]`) are removed from `item`.
pub(crate) fn from_impl(item: &mut ItemImpl) -> syn::Result<Component> {
    if let Some((path, _)) = &item.trait_ {
        return Err(syn::Error::new(
            path.span(),
            "`#[injectable]` goes on an inherent `impl` block (the one with `fn new`), not a trait impl",
        ));
    }
    let self_ty = (*item.self_ty).clone();
    let Some(new) = item.items.iter_mut().find_map(|i| match i {
        ImplItem::Fn(f) if f.sig.ident == "new" => Some(f),
        _ => None,
    }) else {
        return Err(syn::Error::new(
            item.self_ty.span(),
            "`#[injectable]` uses this block's `fn new(…)` as the constructor, and there is none",
        ));
    };
    // A wrong return type does not stop the parameters from being checked too.
    let mut errors = Errors::new();
    let wrong_return = "`new` must return `Self` or `Result<Self, E>`";
    let fallible = match &new.sig.output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(p) if p.path.is_ident("Self") => false,
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Result") => true,
            Type::Path(_) if **ty == self_ty => false,
            other => {
                errors.error(other.span(), wrong_return);
                false
            }
        },
        ReturnType::Default => {
            errors.error(new.sig.span(), wrong_return);
            false
        }
    };
    if let (Some(_), true, ReturnType::Type(_, ty)) = (new.sig.asyncness, fallible, &new.sig.output)
    {
        errors.error(
            ty.span(),
            "an `async fn new` makes a `Factory` product, and `Factory::create_async` cannot \
             fail: return `Self` (an async component that can fail is bound with \
             `make<T>.from_try_async(T::new)`)",
        );
    }
    let mut params = Vec::new();
    for input in new.sig.inputs.iter_mut() {
        match input {
            FnArg::Receiver(r) => errors.error(
                r.span(),
                "a constructor takes no `self`: make `new` an associated function",
            ),
            FnArg::Typed(pat) => {
                if let Some(param) = errors.handle(param(&mut pat.attrs, &pat.ty, None, true)) {
                    params.push(param);
                }
            }
        }
    }
    errors.finish_with(Component {
        self_ty,
        generics: item.generics.clone(),
        params,
        ctor: Ctor::New {
            fallible,
            is_async: new.sig.asyncness.is_some(),
        },
    })
}

/// One field or parameter: its attributes are read and removed from `attrs`. A struct's fields
/// take only `#[di(...)]`, which no other derive reads; a constructor's parameters, which
/// `#[injectable]` strips before anything else sees them, also take the short forms `#[id("…")]`,
/// `#[assisted]` and `#[default]`.
fn param(
    attrs: &mut Vec<syn::Attribute>,
    ty: &Type,
    member: Option<Member>,
    short_forms: bool,
) -> syn::Result<Param> {
    // Every attribute is read (and removed) even after a mistake in one, so that none is left
    // behind on the emitted item; what follows depends on them all being right.
    let mut errors = Errors::new();
    let mut di = errors.handle(take_di(attrs)).unwrap_or_default();
    if short_forms {
        let id = errors.handle(take_id(attrs)).flatten();
        let assisted = errors.handle(take_flag(attrs, "assisted")).flatten();
        let default = errors.handle(take_flag(attrs, "default")).flatten();
        if let Some(id) = id {
            if di.id.is_some() {
                errors.error(id.span(), "a second id: give one id");
            }
            di.id = Some(id);
        }
        di.assisted = di.assisted.or(assisted);
        di.default = di.default.or(default);
    }
    errors.finish()?;
    let DiAttrs {
        id,
        assisted,
        default,
    } = di;
    let role = match (assisted, default) {
        (Some(a), Some(_)) => {
            return Err(syn::Error::new(
                a,
                "a field is either `assisted` or `default`, not both",
            ));
        }
        (Some(span), None) => Role::Assisted(span),
        (None, Some(_)) => Role::Default,
        (None, None) => Role::Injected(classify(ty)?),
    };
    if let (Some(id), Role::Assisted(_) | Role::Default) = (&id, role) {
        return Err(syn::Error::new(
            id.span(),
            "an id names an injected dependency; this one is not injected",
        ));
    }
    crate::params::check_id(id.as_ref(), ty)?;
    Ok(Param {
        ty: ty.clone(),
        role,
        id,
        member,
    })
}
