//! The runtime module: `module()`, which builds the bindings once, statement by statement.

use super::*;

pub(super) fn runtime(module: &ModuleDef, names: &Names) -> TokenStream {
    let p = private();
    let m = format_ident!("__distage_m");
    let mut statements: Vec<TokenStream> = Vec::new();
    for b in &module.bindings {
        statements.push(binding_statement(b, &m));
    }
    for s in &module.sets {
        statements.push(set_statement(s, &m));
    }
    for r in &module.requires {
        let ty = &r.ty;
        let key = match &r.id {
            Some(id) => quote!(#p::DIKey::named::<#ty>(#id)),
            None => quote!(#p::DIKey::of::<#ty>()),
        };
        let origin = origin_expr(r.span);
        statements.push(quote_spanned! {r.span=>
            #m.requires_key(#key, #origin);
        });
    }
    let parts: Vec<Ident> = (0..statements.len().div_ceil(BINDINGS_PER_PART))
        .map(|i| format_ident!("__distage_part{i}"))
        .collect();
    let part_fns = statements
        .chunks(BINDINGS_PER_PART)
        .zip(&parts)
        .map(|(chunk, part)| {
            quote! {
                fn #part(#m: &mut #p::ModuleBuilder) {
                    #[allow(unused_imports)]
                    use #p::{ViaArc as _, ViaKey as _, ViaValue as _};
                    #(#chunk)*
                }
            }
        });
    let includes = module
        .includes
        .iter()
        .map(|path| quote_spanned!(path.span()=> #m.include(#path::module());));
    let runtime_includes = module
        .runtime_includes
        .iter()
        .map(|e| quote_spanned!(e.span()=> #m.include(#e);));
    let build = names.item("module");
    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        fn #build() -> #p::Module {
            #(#part_fns)*
            static __DISTAGE_MODULE: ::std::sync::OnceLock<#p::Module> = ::std::sync::OnceLock::new();
            ::core::clone::Clone::clone(__DISTAGE_MODULE.get_or_init(|| {
                let mut #m = #p::ModuleBuilder::new();
                #(#parts(&mut #m);)*
                #(#includes)*
                #(#runtime_includes)*
                #m.build()
            }))
        }
    }
}

pub(super) fn identity() -> TokenStream {
    quote!(|__distage_x| __distage_x)
}

pub(super) fn binding_statement(b: &Binding, m: &Ident) -> TokenStream {
    let p = private();
    if let Implementation::SelfType = b.implementation {
        // `make<T>;`: one small generic call per component.
        let key = &b.key;
        let id = runtime_id(b.id.as_ref());
        let tags = b
            .tags
            .iter()
            .map(|t| quote_spanned!(t.span()=> ::core::convert::Into::into(#t)));
        let origin = origin_expr(b.span);
        // Spanned at the type, so that "not injectable" points there (the local is not respanned:
        // locals from two expansion contexts do not see each other).
        let args = respan(
            // A constant: computed by the compiler, not instantiated per component.
            quote!(<#key as #p::Typed>::TYPE_INFO, <#key as #p::Injectable>::DEPENDENCY_LIST, #p::construct_injectable::<#key>),
            key.span(),
        );
        return quote!(#m.add_constructor(#args, #origin, #id, &[#(#tags),*]););
    }
    let key = &b.key;
    let named = b.id.as_ref().map(|id| quote!(.named(#id)));
    let tags = b
        .tags
        .iter()
        .map(|t| quote_spanned!(t.span()=> .tagged(#t)));
    let span = b.impl_span;
    let id = respan(identity(), span);
    let implementation = match &b.implementation {
        Implementation::SelfType => {
            let id = respan(identity(), key.span());
            quote_spanned!(key.span()=> .from_impl::<#key>(#id))
        }
        Implementation::Type(i) => quote_spanned!(span=> .from_impl::<#i>(#id)),
        Implementation::Value(v) => {
            let arc = coerced_value(v, key);
            quote_spanned!(span=> .from_arc(#arc))
        }
        Implementation::Fn(FnImpl::Closure(c)) => {
            let f = closure_functoid(c, Returns::Arc(key));
            quote_spanned!(span=> .from_fn(#f))
        }
        Implementation::Fn(FnImpl::Expr(e)) => quote_spanned!(span=> .from_fn(#e)),
        Implementation::TryFn(FnImpl::Closure(c)) => {
            let f = closure_functoid(c, Returns::TryArc(key));
            quote_spanned!(span=> .from_try_fn(#f))
        }
        Implementation::TryFn(FnImpl::Expr(e)) => quote_spanned!(span=> .from_try_fn(#e)),
        Implementation::Resource(FnImpl::Closure(c)) => {
            let f = closure_functoid(c, Returns::AsIs);
            quote_spanned!(span=> .from_resource_impl(#f, #id))
        }
        Implementation::Resource(FnImpl::Expr(e)) => {
            quote_spanned!(span=> .from_resource_impl(#e, #id))
        }
        Implementation::Async(FnImpl::Closure(c)) => {
            let f = closure_functoid(c, Returns::AsyncArc(key));
            quote_spanned!(span=> .from_async(#f))
        }
        Implementation::Async(FnImpl::Expr(e)) => quote_spanned!(span=> .from_async(#e)),
        Implementation::TryAsync(FnImpl::Closure(c)) => {
            let f = closure_functoid(c, Returns::TryAsyncArc(key));
            quote_spanned!(span=> .from_try_async(#f))
        }
        Implementation::TryAsync(FnImpl::Expr(e)) => quote_spanned!(span=> .from_try_async(#e)),
        Implementation::ResourceAsync(FnImpl::Closure(c)) => {
            let f = closure_functoid(c, Returns::AsIs);
            quote_spanned!(span=> .from_resource_async_impl(#f, #id))
        }
        Implementation::ResourceAsync(FnImpl::Expr(e)) => {
            quote_spanned!(span=> .from_resource_async_impl(#e, #id))
        }
        Implementation::Subcontext(module, locals) => {
            let locals = locals.iter().map(|(ty, local_id)| match local_id {
                Some(local_id) => quote!(.local_named::<#ty>(#local_id)),
                None => quote!(.local::<#ty>()),
            });
            quote_spanned!(span=> .from_subcontext(#module) #(#locals)*)
        }
        Implementation::Factory => quote_spanned!(span=> .from_factory()),
        Implementation::Using(target, target_id) => {
            let target_id = runtime_id(target_id.as_ref());
            quote_spanned!(span=> .using_impl::<#target>(#target_id, #id))
        }
    };
    let make = quote_spanned!(b.span=> #m.make::<#key>());
    quote!(#make #named #implementation #(#tags)*;)
}

pub(super) fn set_statement(s: &SetDef, m: &Ident) -> TokenStream {
    let elem = &s.element;
    let named = s.id.as_ref().map(|id| quote!(.named(#id)));
    let elements = s.elements.iter().map(|e| {
        let span = e.span;
        let id = respan(identity(), span);
        let add = match &e.kind {
            ElementKind::Type(i) => quote_spanned!(span=> .add_impl::<#i>(#id)),
            ElementKind::Value(v) => {
                let arc = coerced_value(v, elem);
                quote_spanned!(span=> .add_arc(#arc))
            }
            ElementKind::Fn(FnImpl::Closure(c)) => {
                let f = closure_functoid(c, Returns::Arc(elem));
                quote_spanned!(span=> .add_fn(#f))
            }
            ElementKind::Fn(FnImpl::Expr(e)) => quote_spanned!(span=> .add_fn(#e)),
            ElementKind::Async(FnImpl::Closure(c)) => {
                let f = closure_functoid(c, Returns::AsyncArc(elem));
                quote_spanned!(span=> .add_async(#f))
            }
            ElementKind::Async(FnImpl::Expr(e)) => quote_spanned!(span=> .add_async(#e)),
            ElementKind::Ref(t, target_id) => {
                let target_id = runtime_id(target_id.as_ref());
                quote_spanned!(span=> .ref_impl::<#t>(#target_id, #id))
            }
            ElementKind::Weak(t, target_id) => {
                let target_id = runtime_id(target_id.as_ref());
                quote_spanned!(span=> .weak_impl::<#t>(#target_id, #id))
            }
        };
        let tags = e
            .tags
            .iter()
            .map(|t| quote_spanned!(t.span()=> .tagged(#t)));
        quote!(#add #(#tags)*)
    });
    let many = quote_spanned!(s.span=> #m.many::<#elem>());
    quote!(#many #named #(#elements)*;)
}

/// A value for `from_value`/`add_value`: an `Arc<X>` is used as is, anything else is wrapped;
/// then converted to the key's type (`dyn Trait`).
pub(super) fn coerced_value(value: &syn::Expr, key: &Type) -> TokenStream {
    let p = private();
    let id = identity();
    quote_spanned! {value.span()=>
        #p::coerce_value::<_, #key>((&&#p::Wrap::<_, #key>::new(#value)).__distage_arc(), #id)
    }
}

#[derive(Clone, Copy)]
pub(super) enum Returns<'a> {
    /// The closure's result becomes an `Arc` of the key's type.
    Arc(&'a Type),
    /// The closure returns a `Result`; its `Ok` becomes an `Arc` of the key's type.
    TryArc(&'a Type),
    /// The closure returns a future; its output becomes an `Arc` of the key's type.
    AsyncArc(&'a Type),
    /// The closure returns a future of a `Result`; its `Ok` becomes an `Arc` of the key's type.
    TryAsyncArc(&'a Type),
    /// The closure's result is passed on (a `Lifecycle`).
    AsIs,
}

/// The user's closure, called by a closure whose parameters the injector fills (`Value<T>` for
/// values), with `#[id]`s applied.
pub(super) fn closure_functoid(c: &Closure, returns: Returns<'_>) -> TokenStream {
    let p = private();
    let wrapper = closure_wrapper(c, returns);
    let named = c
        .params
        .iter()
        .enumerate()
        .filter_map(|(i, param)| param.id.as_ref().map(|id| quote!(.named(#i, #id))));
    quote! {
        #p::Functoid::of(#wrapper)
        #(#named)*
    }
}

/// The closure the injector calls: its parameters are what is injected (`Value<T>` for values),
/// and it calls the user's closure, converting the result as `returns` says.
pub(super) fn closure_wrapper(c: &Closure, returns: Returns<'_>) -> TokenStream {
    let p = private();
    let closure = &c.closure;
    let args: Vec<Ident> = (0..c.params.len())
        .map(|i| format_ident!("__distage_a{i}"))
        .collect();
    let types = c
        .params
        .iter()
        .map(|param| inject_type(&param.ty, param.kind));
    let passed = c
        .params
        .iter()
        .zip(&args)
        .map(|(param, a)| match param.kind {
            Kind::Value => quote!(#a.0),
            Kind::Inject => quote!(#a),
        });
    let call = quote!(__distage_f(#(#passed),*));
    let id = identity();
    let body = match returns {
        Returns::Arc(key) => quote! {
            -> ::std::sync::Arc<#key> {
                #p::coerce_value::<_, #key>((&&#p::Wrap::<_, #key>::new(#call)).__distage_arc(), #id)
            }
        },
        Returns::TryArc(key) => quote! {
            -> ::core::result::Result<::std::sync::Arc<#key>, #p::BoxError> {
                match #call {
                    ::core::result::Result::Ok(__distage_v) => ::core::result::Result::Ok(
                        #p::coerce_value::<_, #key>((&&#p::Wrap::<_, #key>::new(__distage_v)).__distage_arc(), #id),
                    ),
                    ::core::result::Result::Err(__distage_e) => {
                        ::core::result::Result::Err(::core::convert::Into::into(__distage_e))
                    }
                }
            }
        },
        Returns::AsyncArc(key) => quote! {
            {
                let __distage_future = #call;
                async move {
                    #[allow(unused_imports)]
                    use #p::{ViaArc as _, ViaKey as _, ViaValue as _};
                    #p::coerce_value::<_, #key>((&&#p::Wrap::<_, #key>::new(__distage_future.await)).__distage_arc(), #id)
                }
            }
        },
        Returns::TryAsyncArc(key) => quote! {
            {
                let __distage_future = #call;
                async move {
                    #[allow(unused_imports)]
                    use #p::{ViaArc as _, ViaKey as _, ViaValue as _};
                    match __distage_future.await {
                        ::core::result::Result::Ok(__distage_v) => ::core::result::Result::Ok(
                            #p::coerce_value::<_, #key>((&&#p::Wrap::<_, #key>::new(__distage_v)).__distage_arc(), #id),
                        ),
                        ::core::result::Result::Err(__distage_e) => ::core::result::Result::Err(
                            ::core::convert::Into::<#p::BoxError>::into(__distage_e),
                        ),
                    }
                }
            }
        },
        Returns::AsIs => quote!({ #call }),
    };
    // One span for every generated local: after an include callback, `call_site` lies in the
    // callback's `macro_rules` context, and locals from two contexts do not see each other.
    quote! {
        {
            let __distage_f = #closure;
            move |#(#args: #types),*| #body
        }
    }
}
