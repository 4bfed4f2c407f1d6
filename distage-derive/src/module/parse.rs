//! `module!`'s syntax: each statement is checked on its own here; relationships between
//! bindings are checked when the graph is built (`graph.rs`).

use proc_macro2::{Span, TokenStream};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, LitStr, Pat, Token, Type, Visibility, braced, parenthesized};

use super::model::*;
use crate::Errors;
use crate::params::{check_id, classify, take_id};

mod kw {
    syn::custom_keyword!(make);
    syn::custom_keyword!(many);
    syn::custom_keyword!(include);
    syn::custom_keyword!(requires);
    syn::custom_keyword!(role);
    syn::custom_keyword!(config);
    syn::custom_keyword!(integration_check);
}

const MAKE_METHODS: &str = "`.named(\"id\")`, `.tagged(choice)`, `.from<Impl>()`, `.from(|deps…| …)`, \
     `.from_value(value)`, `.from_try(|deps…| …)`, `.from_resource(f)`, `.from_async(|deps…| async move { … })`, \
     `.from_try_async(f)`, `.from_resource_async(f)`, `.from_factory()`, `.from_subcontext(module)` with \
     `.local<T>()`, `.using<T>()`, `.using_named<T>(\"id\")`";
const MANY_METHODS: &str = "`.named(\"id\")`, `.add<Impl>()`, `.add_value(value)`, `.add_fn(|deps…| …)`, `.add_async(f)`, \
     `.ref_<T>()`, `.ref_named<T>(\"id\")`, `.weak<T>()`, `.weak_named<T>(\"id\")`, `.tagged(choice)`";

/// Parses a module. A module whose statements have mistakes is still returned (without those
/// statements), every mistake added to `errors`, so that a stub can be generated in its place;
/// `None` when not even the module's name and body can be read.
pub(crate) fn parse_module(tokens: TokenStream, errors: &mut Errors) -> Option<ModuleDef> {
    let module =
        syn::parse::Parser::parse2(|input: ParseStream<'_>| module_def(input, errors), tokens);
    errors.handle(module)
}

fn module_def(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<ModuleDef> {
    {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let typed = attrs
            .iter()
            .position(|a| a.path().is_ident("typed"))
            .map(|i| attrs.remove(i).span());
        let vis: Visibility = input.parse()?;
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the module's name: `module! { pub AppModule { … } }`",
            )
        })?;
        let body;
        braced!(body in input);
        let mut module = ModuleDef {
            attrs,
            typed,
            vis,
            name,
            bindings: Vec::new(),
            sets: Vec::new(),
            includes: Vec::new(),
            runtime_includes: Vec::new(),
            requires: Vec::new(),
        };
        // Each statement is parsed on its own, so one mistake does not hide the next ones.
        while !body.is_empty() {
            let mut tokens = TokenStream::new();
            while !body.is_empty() && !body.peek(Token![;]) {
                tokens.extend([body.parse::<proc_macro2::TokenTree>()?]);
            }
            match body.parse::<Token![;]>() {
                Ok(semi) => tokens.extend(quote::ToTokens::into_token_stream(semi)),
                Err(_) => {
                    errors.push(body.error("expected `;` at the end of the statement"));
                    continue;
                }
            }
            let parsed = syn::parse::Parser::parse2(
                |input: ParseStream<'_>| statement(input, &mut module),
                tokens,
            );
            errors.handle(parsed);
        }
        if !input.is_empty() {
            errors.push(input.error("unexpected tokens after the module's body"));
        }
        Ok(module)
    }
}

fn statement(input: ParseStream<'_>, module: &mut ModuleDef) -> syn::Result<()> {
    if input.peek(kw::make) {
        let make: kw::make = input.parse()?;
        let key = angled_type(input, "make")?;
        module.bindings.push(binding(input, make.span, key)?);
    } else if input.peek(kw::many) {
        let many: kw::many = input.parse()?;
        let element = angled_type(input, "many")?;
        module.sets.push(set(input, many.span, element)?);
    } else if input.peek(kw::include) {
        input.parse::<kw::include>()?;
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            module.runtime_includes.push(content.parse()?);
        } else {
            module.includes.push(input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a module's path: `include CoreModule;`, or a module value: `include(expr);`",
                )
            })?);
        }
        input.parse::<Token![;]>()?;
    } else if input.peek(kw::requires) {
        let requires: kw::requires = input.parse()?;
        let ty: Type = input.parse()?;
        let mut id = None;
        if input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let method: Ident = input.parse()?;
            if method != "named" {
                return Err(syn::Error::new(
                    method.span(),
                    "`requires T` takes only `.named(\"id\")`",
                ));
            }
            let content;
            parenthesized!(content in input);
            id = Some(
                content
                    .parse::<LitStr>()
                    .map_err(|_| id_literal(method.span()))?,
            );
        }
        input.parse::<Token![;]>()?;
        module.requires.push(Require {
            span: requires.span,
            ty,
            id,
        });
    } else if input.peek(kw::role) && input.peek2(Token![<]) {
        let role: kw::role = input.parse()?;
        let ty = angled_type(input, "role")?;
        super::framework::role(input, role.span, ty, module)?;
    } else if input.peek(kw::config) && input.peek2(Token![<]) {
        let config: kw::config = input.parse()?;
        let ty = angled_type(input, "config")?;
        super::framework::config(input, config.span, ty, module)?;
    } else if input.peek(kw::integration_check) && input.peek2(Token![<]) {
        let check: kw::integration_check = input.parse()?;
        let ty = angled_type(input, "integration_check")?;
        super::framework::integration_check(input, check.span, ty, module)?;
    } else {
        return Err(input.error(
            "expected `make`, `many`, `include` or `requires`: a module holds `make<T>…;`, `many<T>…;`, `include Module;` and `requires T;` statements",
        ));
    }
    Ok(())
}

fn angled_type(input: ParseStream<'_>, what: &str) -> syn::Result<Type> {
    let lt: syn::Result<Token![<]> = input.parse();
    if lt.is_err() {
        return Err(input.error(format!("expected `{what}<Type>`")));
    }
    let ty: Type = input.parse()?;
    input
        .parse::<Token![>]>()
        .map_err(|e| syn::Error::new(e.span(), format!("expected `>` closing `{what}<…>`")))?;
    Ok(ty)
}

/// `.name`, then an optional `<Type>`, then `(args)`.
struct Call {
    name: Ident,
    generic: Option<Type>,
    args: TokenStream,
    span: Span,
}

fn calls(input: ParseStream<'_>) -> syn::Result<Vec<Call>> {
    let mut calls = Vec::new();
    while input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        let name: Ident = input.parse()?;
        let generic = if input.peek(Token![<]) {
            Some(angled_type(input, &name.to_string())?)
        } else {
            None
        };
        if !input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected `(…)` after `.{name}`"),
            ));
        }
        let content;
        parenthesized!(content in input);
        let args: TokenStream = content.parse()?;
        let span = name.span();
        calls.push(Call {
            name,
            generic,
            args,
            span,
        });
    }
    if !input.peek(Token![;]) {
        return Err(input.error("expected `;` or `.method(…)`"));
    }
    input.parse::<Token![;]>()?;
    Ok(calls)
}

fn binding(input: ParseStream<'_>, span: Span, key: Type) -> syn::Result<Binding> {
    let mut id = None;
    let mut tags = Vec::new();
    let mut implementation: Option<(Implementation, Span)> = None;
    let mut errors = Errors::new();
    for call in calls(input)? {
        let call_result = binding_call(&call, &mut id, &mut tags, &mut implementation);
        if let Some(Some(imp)) = errors.handle(call_result) {
            match &implementation {
                Some((_, first)) => {
                    errors.error(
                        call.span,
                        "a second implementation: a binding has exactly one `.from…`",
                    );
                    errors.error(*first, "the first implementation is here");
                }
                None => implementation = Some((imp, call.span)),
            }
        }
    }
    errors.finish()?;
    let (implementation, impl_span) =
        implementation.unwrap_or((Implementation::SelfType, key.span()));
    Ok(Binding {
        span,
        key,
        id,
        tags,
        implementation,
        impl_span,
    })
}

/// One `.method(…)` of a `make`: an implementation to set, or a modifier applied in place.
fn binding_call(
    call: &Call,
    id: &mut Option<LitStr>,
    tags: &mut Vec<Expr>,
    implementation: &mut Option<(Implementation, Span)>,
) -> syn::Result<Option<Implementation>> {
    let name = call.name.to_string();
    let args = || call.args.clone();
    Ok(Some(match (name.as_str(), &call.generic) {
        ("named", None) => {
            *id = Some(syn::parse2::<LitStr>(args()).map_err(|_| id_literal(call.span))?);
            return Ok(None);
        }
        ("tagged", None) => {
            tags.push(syn::parse2::<Expr>(args())?);
            return Ok(None);
        }
        ("local" | "local_named", Some(ty)) => {
            let local_id = if name == "local_named" {
                Some(syn::parse2::<LitStr>(args()).map_err(|_| id_literal(call.span))?)
            } else {
                no_args(call)?;
                None
            };
            return match implementation {
                Some((Implementation::Subcontext(_, locals), _)) => {
                    locals.push((ty.clone(), local_id));
                    Ok(None)
                }
                _ => Err(syn::Error::new(
                    call.span,
                    "`.local<T>()` declares a subcontext's local: it comes after `.from_subcontext(module)`",
                )),
            };
        }
        ("from", Some(ty)) => {
            no_args(call)?;
            Implementation::Type(ty.clone())
        }
        ("from", None) => Implementation::Fn(fn_impl(args(), call.span)?),
        ("from_value", None) => Implementation::Value(syn::parse2(args())?),
        ("from_try", None) => Implementation::TryFn(fn_impl(args(), call.span)?),
        ("from_resource", None) => Implementation::Resource(fn_impl(args(), call.span)?),
        ("from_async", None) => Implementation::Async(fn_impl(args(), call.span)?),
        ("from_try_async", None) => Implementation::TryAsync(fn_impl(args(), call.span)?),
        ("from_resource_async", None) => Implementation::ResourceAsync(fn_impl(args(), call.span)?),
        ("from_subcontext", None) => Implementation::Subcontext(syn::parse2(args())?, Vec::new()),
        ("from_factory", None) => {
            no_args(call)?;
            Implementation::Factory
        }
        ("using", Some(ty)) => {
            no_args(call)?;
            Implementation::Using(ty.clone(), None)
        }
        ("using_named", Some(ty)) => {
            let target = syn::parse2::<LitStr>(args()).map_err(|_| id_literal(call.span))?;
            Implementation::Using(ty.clone(), Some(target))
        }
        _ => return Err(unknown_method(call, "make", MAKE_METHODS)),
    }))
}

fn set(input: ParseStream<'_>, span: Span, element: Type) -> syn::Result<SetDef> {
    let mut set = SetDef {
        span,
        element,
        id: None,
        elements: Vec::new(),
    };
    let mut errors = Errors::new();
    for call in calls(input)? {
        let name = call.name.to_string();
        let result = (|| -> syn::Result<()> {
            let kind = match (name.as_str(), &call.generic) {
                ("named", None) => {
                    set.id = Some(
                        syn::parse2::<LitStr>(call.args.clone())
                            .map_err(|_| id_literal(call.span))?,
                    );
                    return Ok(());
                }
                ("tagged", None) => {
                    let tag = syn::parse2::<Expr>(call.args.clone())?;
                    match set.elements.last_mut() {
                        Some(last) => last.tags.push(tag),
                        None => {
                            return Err(syn::Error::new(
                                call.span,
                                "`.tagged(…)` on a set tags the element added just before it: add one first",
                            ));
                        }
                    }
                    return Ok(());
                }
                ("add", Some(ty)) => {
                    no_args(&call)?;
                    ElementKind::Type(ty.clone())
                }
                ("add_value", None) => ElementKind::Value(syn::parse2(call.args.clone())?),
                ("add_fn", None) => ElementKind::Fn(fn_impl(call.args.clone(), call.span)?),
                ("add_async", None) => ElementKind::Async(fn_impl(call.args.clone(), call.span)?),
                ("ref_", Some(ty)) => {
                    no_args(&call)?;
                    ElementKind::Ref(ty.clone(), None)
                }
                ("ref_named", Some(ty)) => {
                    let target = syn::parse2::<LitStr>(call.args.clone())
                        .map_err(|_| id_literal(call.span))?;
                    ElementKind::Ref(ty.clone(), Some(target))
                }
                ("weak", Some(ty)) => {
                    no_args(&call)?;
                    ElementKind::Weak(ty.clone(), None)
                }
                ("weak_named", Some(ty)) => {
                    let target = syn::parse2::<LitStr>(call.args.clone())
                        .map_err(|_| id_literal(call.span))?;
                    ElementKind::Weak(ty.clone(), Some(target))
                }
                _ => return Err(unknown_method(&call, "many", MANY_METHODS)),
            };
            set.elements.push(Element {
                span: call.span,
                kind,
                tags: Vec::new(),
            });
            Ok(())
        })();
        errors.handle(result);
    }
    errors.finish_with(set)
}

fn id_literal(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "ids in `module!` are string literals, so they can be checked at compile time",
    )
}

fn no_args(call: &Call) -> syn::Result<()> {
    if call.args.is_empty() {
        Ok(())
    } else {
        Err(syn::Error::new(
            call.args.span(),
            format!("`.{}` takes no arguments", call.name),
        ))
    }
}

fn unknown_method(call: &Call, what: &str, valid: &str) -> syn::Error {
    let shape = if call.generic.is_some() {
        format!("`.{}<…>(…)`", call.name)
    } else {
        format!("`.{}(…)`", call.name)
    };
    syn::Error::new(
        call.span,
        format!("{shape} is not a `{what}` method; expected one of {valid}"),
    )
}

/// A closure's parameters are read (types, `#[id]`); any other expression is kept as is.
pub(super) fn fn_impl(args: TokenStream, span: Span) -> syn::Result<FnImpl> {
    if args.is_empty() {
        return Err(syn::Error::new(span, "expected a function or closure"));
    }
    let expr: Expr = syn::parse2(args)?;
    let Expr::Closure(mut closure) = expr else {
        return Ok(FnImpl::Expr(expr));
    };
    let mut params = Vec::new();
    let mut errors = Errors::new();
    let inputs: Punctuated<Pat, Token![,]> = std::mem::take(&mut closure.inputs);
    for mut pat in inputs {
        match &mut pat {
            Pat::Type(typed) => {
                let id = take_id(&mut typed.attrs)
                    .and_then(|id| check_id(id.as_ref(), &typed.ty).map(|()| id));
                if let Some(id) = errors.handle(id)
                    && let Some(kind) = errors.handle(classify(&typed.ty))
                {
                    params.push(ClosureParam {
                        ty: (*typed.ty).clone(),
                        kind,
                        id,
                    });
                }
            }
            other => errors.error(
                other.span(),
                "give this parameter a type (`name: Arc<T>`): the injector finds dependencies by type",
            ),
        }
        closure.inputs.push(pat);
    }
    errors.finish_with(FnImpl::Closure(Closure { closure, params }))
}
