//! From a [`Component`] to its `Injectable` (or `AssistedInjectable`) and `StaticDeps` impls.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericParam, Generics, Type};

use super::model::{Component, Ctor, Role, Shape};
use crate::params::{Kind, inject_type, static_dep};
use crate::{private, respan};

/// Dependency lists longer than this are not checked at compile time (the planner still is).
const MAX_STATIC_DEPS: usize = 32;

/// Constructors with up to this many injected parameters take them with one
/// [`InjectAll`](distage_core::InjectAll) call (its tuple impls go this far).
const MAX_TAKE_ALL: usize = 16;

pub(crate) fn generate(c: &Component) -> TokenStream {
    let p = private();
    let generics = with_send_sync_bounds(&c.generics);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let self_ty = &c.self_ty;

    // Up to `MAX_TAKE_ALL` parameters, both methods go through the tuple of the parameter types
    // (`InjectAll`): its `SHAPES` and `take_all` are type-checked once in the library, not in
    // every component. Each element is `<T as Inject>::Checked` at the field's span, so a type
    // that cannot be injected is one error at its field (the same in both methods, so reported
    // once), and the tuple then holds an error type rather than being a second error.
    let injected = c.injected().count();
    let tuple = (1..=MAX_TAKE_ALL).contains(&injected).then(|| {
        let types = c.injected().map(|(_, param, kind)| {
            let inject = inject_type(&param.ty, kind);
            respan(quote!(<#inject as #p::Inject>::Checked), param.ty.span())
        });
        quote!((#(#types,)*))
    });
    let dependencies = match &tuple {
        None if injected == 0 => quote!(#p::DependencyList::Shapes(&[], &[])),
        Some(tuple) => {
            let ids: Vec<TokenStream> = c
                .injected()
                .map(|(_, param, _)| match param.id.as_ref() {
                    Some(id) => quote!(::core::option::Option::Some(#id)),
                    None => quote!(::core::option::Option::None),
                })
                .collect();
            // Without ids, no id list: a missing id is `None`.
            let ids = if c.injected().any(|(_, param, _)| param.id.is_some()) {
                quote!(&[#(#ids),*])
            } else {
                quote!(&[])
            };
            quote!(#p::DependencyList::Shapes(<#tuple as #p::InjectAll>::SHAPES, #ids))
        }
        None => {
            // One constant slice of the parameters' `SHAPE`s (and ids), turned into
            // dependencies by a non-generic function.
            let shapes = c.injected().map(|(_, param, kind)| {
                let inject = inject_type(&param.ty, kind);
                let id = match param.id.as_ref() {
                    Some(id) => quote!(::core::option::Option::Some(#id)),
                    None => quote!(::core::option::Option::None),
                };
                // Errors about the field's type point at the field.
                respan(
                    quote!((<#inject as #p::Inject>::SHAPE, #id)),
                    param.ty.span(),
                )
            });
            quote!(#p::DependencyList::Call(|| {
                #p::Dependency::from_shapes(const { &[#(#shapes),*] })
            }))
        }
    };

    let static_deps = {
        let deps: Vec<TokenStream> = c
            .injected()
            .map(|(_, param, kind)| static_dep(&param.ty, kind, param.id.as_ref()))
            .collect();
        if deps.len() > MAX_STATIC_DEPS {
            let tree = dep_tree(deps);
            quote!(#p::Unchecked<#tree>)
        } else {
            quote!((#(#deps,)*))
        }
    };

    // A component with `FromParts` gets its `Injectable` from distage's blanket impl.
    let has_parts = !c.is_assisted()
        && !matches!(
            c.ctor,
            Ctor::New { fallible: true, .. } | Ctor::New { is_async: true, .. }
        )
        && injected <= MAX_TAKE_ALL;
    let main_impl = if c.is_assisted() || c.is_async() {
        assisted_impl(c, &dependencies)
    } else if has_parts {
        TokenStream::new()
    } else {
        injectable_impl(c, &dependencies, tuple.as_ref())
    };
    let parts_impl = if has_parts {
        from_parts_impl(c, &dependencies)
    } else {
        TokenStream::new()
    };

    quote! {
        const _: () = {
            #main_impl
            #parts_impl

            #[automatically_derived]
            impl #impl_generics #p::StaticDeps for #self_ty #where_clause {
                type Deps = #static_deps;
            }
        };
    }
}

/// A dependency list too long for one tuple, as a tree of tuples of at most `MAX_STATIC_DEPS`
/// items (what a typed graph reads; the checks do not).
fn dep_tree(mut items: Vec<TokenStream>) -> TokenStream {
    while items.len() > MAX_STATIC_DEPS {
        items = items
            .chunks(MAX_STATIC_DEPS)
            .map(|chunk| quote!((#(#chunk,)*)))
            .collect();
    }
    quote!((#(#items,)*))
}

/// `Injectable` for the components `FromParts` does not fit (a fallible `new`, more than
/// `MAX_TAKE_ALL` parameters): every argument, taken from the resolved dependencies in order, by
/// one `InjectAll` call into a tuple when there is one (see `generate`), else in tuples of
/// `MAX_TAKE_ALL`.
fn injectable_impl(
    c: &Component,
    dependencies: &TokenStream,
    tuple: Option<&TokenStream>,
) -> TokenStream {
    let p = private();
    let generics = with_send_sync_bounds(&c.generics);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let self_ty = &c.self_ty;
    let args = format_ident!("__distage_args");
    let values: Vec<TokenStream> = {
        let mut taken = 0;
        c.params
            .iter()
            .map(|param| match param.role {
                Role::Injected(kind) => {
                    let unwrap = (kind == Kind::Value).then(|| quote!(.0));
                    let var = format_ident!("__distage_a{taken}");
                    taken += 1;
                    quote!(#var #unwrap)
                }
                Role::Default => {
                    quote_spanned!(param.ty.span()=> ::core::default::Default::default())
                }
                Role::Assisted(_) => unreachable!("assisted components get a factory impl"),
            })
            .collect()
    };
    let build = construct(c, &values);
    // Every parameter taken by one call and bound by one pattern: one tuple when they fit (here
    // only for a fallible `new`: the others have `FromParts`), else a tree of tuples (see
    // `TakeChunks`).
    let types: Vec<TokenStream> = c
        .injected()
        .map(|(_, param, kind)| {
            let inject = inject_type(&param.ty, kind);
            respan(quote!(<#inject as #p::Inject>::Checked), param.ty.span())
        })
        .collect();
    let taken = match tuple {
        Some(tuple) => {
            let vars = (0..types.len()).map(|i| format_ident!("__distage_a{i}"));
            Some((
                quote!(<#tuple as #p::InjectAll>::take_all),
                quote!((#(#vars,)*)),
            ))
        }
        None => chunk_tree(types)
            .map(|(tree, pattern)| (quote!(<#tree as #p::TakeChunks>::take_chunks), pattern)),
    };
    let build = match taken {
        Some((take, pattern)) => quote! {
            match #take(#args) {
                ::core::result::Result::Ok(#pattern) => #build,
                ::core::result::Result::Err(__distage_e) => ::core::result::Result::Err(__distage_e),
            }
        },
        None => build,
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::Injectable for #self_ty #where_clause {
            // A constant: `module!` reads it, and no `dependencies` is compiled per component.
            const DEPENDENCY_LIST: #p::DependencyList = #dependencies;
            fn dependencies() -> ::std::vec::Vec<#p::Dependency> {
                <Self as #p::Injectable>::DEPENDENCY_LIST.to_vec()
            }
            fn construct(#args: &mut #p::Args<'_>) -> ::core::result::Result<Self, #p::BoxError> {
                #build
            }
        }
    }
}

/// The `TakeChunks` tree of more than `MAX_TAKE_ALL` parameter types, and the pattern binding
/// each parameter to `__distage_a{i}`: tuples of `MAX_TAKE_ALL` (`InjectAll`), grouped
/// `MAX_TAKE_ALL` to a tuple, and those into `Chunks` of `MAX_TAKE_ALL` until one is left;
/// `None` without parameters.
fn chunk_tree(types: Vec<TokenStream>) -> Option<(TokenStream, TokenStream)> {
    let p = private();
    let group = |items: Vec<(TokenStream, TokenStream)>, wrap: Option<&TokenStream>| {
        items
            .chunks(MAX_TAKE_ALL)
            .map(|chunk| {
                let (tys, pats): (Vec<_>, Vec<_>) = chunk.iter().cloned().unzip();
                match wrap {
                    Some(chunks) => (quote!(#chunks<(#(#tys,)*)>), quote!(#chunks((#(#pats,)*)))),
                    None => (quote!((#(#tys,)*)), quote!((#(#pats,)*))),
                }
            })
            .collect::<Vec<_>>()
    };
    let leaves = types
        .into_iter()
        .enumerate()
        .map(|(i, ty)| {
            let var = format_ident!("__distage_a{i}");
            (ty, quote!(#var))
        })
        .collect();
    let mut nodes = group(group(leaves, None), None);
    let chunks = quote!(#p::Chunks);
    while nodes.len() > 1 {
        nodes = group(nodes, Some(&chunks));
    }
    nodes.pop()
}

/// `FromParts` (and through it `Injectable`, and a `Factory` with `create(())`) for a component
/// whose constructor cannot fail and whose parameters fit one tuple: the tuple, the ids, the
/// dependency list, and `NEW`, a closure taking the parameters one by one. Every function over
/// the whole component is generic, in distage (see `FromParts`): the only body here is `NEW`'s,
/// whose locals are the parameters and the component. (A closure rather than an inherent
/// function: at 10,000 components, 10,000 inherent impls fewer cost `cargo check` 95 MiB less.)
fn from_parts_impl(c: &Component, dependencies: &TokenStream) -> TokenStream {
    let p = private();
    // The plain parameter types: `<T as Inject>::Checked` (in `DEPENDENCIES`, see `generate`)
    // reports a type that cannot be injected, once, at its field. Here it would be checked in
    // the impl's own environment, where rustc caches nothing it proves across components: a
    // check of every type each component reaches, for each component.
    let parts = c
        .injected()
        .map(|(_, param, kind)| inject_type(&param.ty, kind));
    let parts = quote!((#(#parts,)*));
    let ids = c
        .injected()
        .map(|(_, param, _)| crate::params::id_type(param.id.as_ref()));
    let ids = quote!((#(#ids,)*));
    let generics = with_send_sync_bounds(&c.generics);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let self_ty = &c.self_ty;
    let mut taken = 0;
    let mut params = Vec::new();
    let values: Vec<TokenStream> = c
        .params
        .iter()
        .map(|param| match param.role {
            Role::Injected(kind) => {
                let var = format_ident!("__distage_a{taken}");
                taken += 1;
                let ty = inject_type(&param.ty, kind);
                params.push(quote!(#var: #ty));
                let unwrap = (kind == Kind::Value).then(|| quote!(.0));
                quote!(#var #unwrap)
            }
            _ => quote_spanned!(param.ty.span()=> ::core::default::Default::default()),
        })
        .collect();
    let build = match &c.ctor {
        Ctor::Struct { path, shape } => struct_literal(path, *shape, c, &values),
        Ctor::New { .. } => quote!(Self::new(#(#values),*)),
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::FromParts for #self_ty #where_clause {
            type Parts = #parts;
            type Ids = #ids;
            const DEPENDENCIES: #p::DependencyList = #dependencies;
            const NEW: <Self::Parts as #p::PartsFn<Self>>::Fn = |#(#params),*| #build;
        }
    }
}

/// Injected arguments are captured once (`capture`), assisted ones come with every `create`.
fn assisted_impl(c: &Component, dependencies: &TokenStream) -> TokenStream {
    let p = private();
    let generics = with_send_sync_bounds(&c.generics);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let self_ty = &c.self_ty;
    let args = format_ident!("__distage_args");
    let captured = format_ident!("__distage_captured");
    let assisted = format_ident!("__distage_assisted");

    let injected: Vec<_> = c.injected().collect();
    let captured_types = injected
        .iter()
        .map(|(_, param, kind)| inject_type(&param.ty, *kind));
    let takes = injected.iter().map(|(_, param, kind)| {
        let inject = inject_type(&param.ty, *kind);
        let take = respan(quote!(take::<#inject>), param.ty.span());
        quote!(#args.#take()?)
    });

    let assisted_params: Vec<_> = c.assisted().collect();
    let assisted_names: Vec<_> = (0..assisted_params.len())
        .map(|i| format_ident!("__distage_a{i}"))
        .collect();
    let assisted_types: Vec<&Type> = assisted_params.iter().map(|(_, param)| &param.ty).collect();
    let (assisted_type, destructure) = match assisted_types.as_slice() {
        [] => (quote!(()), quote!(let () = #assisted;)),
        [one] => {
            let name = &assisted_names[0];
            (quote!(#one), quote!(let #name = #assisted;))
        }
        many => (
            quote!((#(#many),*)),
            quote!(let (#(#assisted_names),*) = #assisted;),
        ),
    };

    let values: Vec<TokenStream> = c
        .params
        .iter()
        .enumerate()
        .map(|(i, param)| match param.role {
            Role::Injected(kind) => {
                let slot = syn::Index::from(injected.iter().position(|(j, _, _)| *j == i).unwrap_or_default());
                let unwrap = (kind == Kind::Value).then(|| quote!(.0));
                quote_spanned!(param.ty.span()=> ::core::clone::Clone::clone(&#captured.#slot) #unwrap)
            }
            Role::Default => quote_spanned!(param.ty.span()=> ::core::default::Default::default()),
            Role::Assisted(_) => {
                let k = assisted_params.iter().position(|(j, _)| *j == i).unwrap_or_default();
                let name = &assisted_names[k];
                quote!(#name)
            }
        })
        .collect();
    if let Ctor::New { fallible: true, .. } = c.ctor {
        let span = assisted_params.first().map(|(_, param)| match param.role {
            Role::Assisted(span) => span,
            _ => param.ty.span(),
        });
        let span = span.unwrap_or_else(proc_macro2::Span::call_site);
        return quote_spanned! {span=>
            ::core::compile_error!("a constructor with `#[assisted]` parameters must return `Self`: `Factory::create` cannot fail");
        };
    }
    let create = if c.is_async() {
        // The captured parts are borrowed: clone what the constructor takes before the future.
        let vars: Vec<_> = (0..values.len())
            .map(|i| format_ident!("__distage_v{i}"))
            .collect();
        quote! {
            #[automatically_derived]
            impl #impl_generics #p::AssistedCreateAsync for #self_ty #where_clause {
                fn create_async(#captured: &Self::Captured, #assisted: Self::Assisted) -> #p::BoxFuture<Self> {
                    #destructure
                    #(let #vars = #values;)*
                    ::std::boxed::Box::pin(async move { Self::new(#(#vars),*).await })
                }
            }
        }
    } else {
        let build = match &c.ctor {
            Ctor::New { .. } => quote!(Self::new(#(#values),*)),
            Ctor::Struct { path, shape } => struct_literal(path, *shape, c, &values),
        };
        quote! {
            #[automatically_derived]
            impl #impl_generics #p::AssistedCreate for #self_ty #where_clause {
                fn create(#captured: &Self::Captured, #assisted: Self::Assisted) -> Self {
                    #destructure
                    #build
                }
            }
        }
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::AssistedInjectable for #self_ty #where_clause {
            type Assisted = #assisted_type;
            type Captured = (#(#captured_types,)*);
            fn dependencies() -> ::std::vec::Vec<#p::Dependency> {
                #p::DependencyList::to_vec(#dependencies)
            }
            fn capture(#args: &mut #p::Args<'_>) -> ::core::result::Result<Self::Captured, #p::BoxError> {
                ::core::result::Result::Ok((#(#takes,)*))
            }
        }
        #create
    }
}

/// `Ok(Name { … })`, or `Self::new(…)` wrapped so that its error becomes the producer's error.
fn construct(c: &Component, values: &[TokenStream]) -> TokenStream {
    let p = private();
    match &c.ctor {
        Ctor::Struct { path, shape } => {
            let literal = struct_literal(path, *shape, c, values);
            quote!(::core::result::Result::Ok(#literal))
        }
        Ctor::New {
            fallible: false, ..
        } => {
            quote!(::core::result::Result::Ok(Self::new(#(#values),*)))
        }
        Ctor::New { fallible: true, .. } => quote! {
            Self::new(#(#values),*).map_err(::core::convert::Into::<#p::BoxError>::into)
        },
    }
}

fn struct_literal(
    path: &syn::Path,
    shape: Shape,
    c: &Component,
    values: &[TokenStream],
) -> TokenStream {
    match shape {
        Shape::Unit => quote!(#path),
        Shape::Tuple => quote!(#path(#(#values),*)),
        Shape::Named => {
            let members = c
                .params
                .iter()
                .map(|param| param.member.as_ref().expect("named fields have members"));
            quote!(#path { #(#members: #values),* })
        }
    }
}

/// Injectable types are shared across threads: every type parameter must be too.
fn with_send_sync_bounds(generics: &Generics) -> Generics {
    let mut generics = generics.clone();
    let params: Vec<syn::Ident> = generics
        .params
        .iter()
        .filter_map(|g| match g {
            GenericParam::Type(t) => Some(t.ident.clone()),
            _ => None,
        })
        .collect();
    let where_clause = generics.make_where_clause();
    for ident in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#ident: ::core::marker::Send + ::core::marker::Sync + 'static));
    }
    generics
}
