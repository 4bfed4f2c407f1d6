//! The typed graph of a `#[typed]` module (compile-time instantiation): a struct with one
//! `Arc` field per binding, built by straight calls in dependency order, `get` a field read.
//!
//! The builder has one `OnceCell` per binding and implements `Provide<K, N>` per key: providing a
//! key builds its dependencies first (each once), then it. The order needs no plan: it is the
//! order of the calls. What the typed graph cannot build (activations, sets, includes, async,
//! subcontexts, factories) is a compile error at the statement, naming the runtime plan as the way.

use super::*;
use crate::params::static_dep;

/// The typed graph's code, or the errors saying which statements it cannot build.
pub(super) fn typed(module: &ModuleDef, names: &Names) -> syn::Result<TokenStream> {
    check_supported(module)?;
    let p = private();
    let graph = names.item("Typed");
    let builder = names.item("Builder");
    let module_name = &module.name;
    let title = format!("{module_name}::Typed");

    let mut builder_fields = Vec::new();
    let mut graph_fields = Vec::new();
    let mut inits = Vec::new();
    let mut provides = Vec::new();
    let mut named_gets = Vec::new();
    let mut takes = Vec::new();
    let mut moves = Vec::new();
    let mut choices = Vec::new();
    for (g, group) in key_groups(module).iter().enumerate() {
        let field = format_ident!("__distage_f{g}");
        let first = group[0].1;
        let key = &first.key;
        let n = id_type(first.id.as_ref());
        builder_fields.push(quote!(#field: ::core::cell::OnceCell<::std::sync::Arc<#key>>));
        graph_fields.push(quote!(#field: ::core::option::Option<::std::sync::Arc<#key>>));
        inits.push(quote!(#field: ::core::cell::OnceCell::new()));
        for &(i, b) in group {
            if is_guarded(b) {
                let flag = format_ident!("__distage_building{i}");
                builder_fields.push(quote!(#flag: ::core::cell::Cell<bool>));
                inits.push(quote!(#flag: ::core::cell::Cell::new(false)));
            }
        }
        if is_chosen(group) {
            // Which binding the activation chose, computed by the planner at `build_with`.
            let choice = format_ident!("__distage_choice{g}");
            builder_fields.push(quote!(#choice: usize));
            inits.push(quote!(#choice));
            let key_value = key_value(first);
            let statements = group.iter().map(|(i, _)| i);
            choices.push(quote! {
                let #choice = #p::typed_choice(&__distage_plan, #key_value, &[#(#statements),*])?;
            });
        }
        provides.push(provide_impl(group, g, &builder, &graph));
        if let Some(id) = &first.id {
            named_gets.push(quote! {
                if __distage_id == #id {
                    let __distage_field: &dyn ::core::any::Any = #p::typed_built(&self.#field);
                    if let ::core::option::Option::Some(__distage_v) =
                        __distage_field.downcast_ref::<::std::sync::Arc<T>>()
                    {
                        return ::core::option::Option::Some(::std::sync::Arc::clone(__distage_v));
                    }
                }
            });
        }
        moves.push(quote!(#field: __distage_b.#field.into_inner()));
        takes.push(quote! {
            <#builder as #p::Provide<#key, #n>>::provide(__distage_b)?;
        });
    }
    // Instances are dropped in reverse order of declaration, built or not (the builder's fields
    // too, for a failed build): in a module declared dependencies first, the order a locator
    // drops its instances in. (A component holding an `Arc` of another keeps it alive anyway.)
    graph_fields.reverse();
    builder_fields.reverse();
    // In functions of `BINDINGS_PER_PART` bindings: checking one function of them all costs
    // more than checking its parts.
    let take_parts: Vec<Ident> = (0..takes.len().div_ceil(BINDINGS_PER_PART))
        .map(|i| format_ident!("__distage_take{i}"))
        .collect();
    let take_fns = takes
        .chunks(BINDINGS_PER_PART)
        .zip(&take_parts)
        .map(|(chunk, part)| {
            quote! {
                fn #part(__distage_b: &#builder) -> ::core::result::Result<(), #p::Failed> {
                    #(#chunk)*
                    ::core::result::Result::Ok(())
                }
            }
        });
    let module_fn = names.item("module");
    let plan = (!choices.is_empty())
        .then(|| quote!(let __distage_plan = #p::typed_plan(#module_fn(), __distage_activation)?;));
    let doc = format!(
        "The typed graph of module `{module_name}`: every binding built by straight calls in \
         dependency order into a field, `get` a field read. `build()` makes it; its resources are \
         released in reverse order on `close()` or drop."
    );
    Ok(quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types, private_interfaces, private_bounds, dead_code)]
        pub struct #graph {
            // First: released before the instances are dropped.
            __distage_releases: #p::TypedReleases,
            #(#graph_fields,)*
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        struct #builder {
            __distage_releases: #p::BuildReleases,
            #(#builder_fields,)*
        }

        #(#provides)*

        #[allow(private_interfaces, private_bounds, dead_code)]
        impl #graph {
            /// Builds every binding of the module, each once, dependencies first. A constructor
            /// that fails or panics fails the build, naming its key and binding, after what was
            /// acquired is released in reverse order.
            pub fn build() -> ::core::result::Result<Self, #p::Error> {
                Self::build_with(&#p::Activation::new())
            }

            /// [`build`](Self::build) under `activation`: where a key has tagged bindings, the
            /// one the planner chooses for `Injector::plan` under the same activation is built.
            #[allow(unused_variables)]
            pub fn build_with(
                __distage_activation: &#p::Activation,
            ) -> ::core::result::Result<Self, #p::Error> {
                #(#take_fns)*
                #plan
                #(#choices)*
                let __distage_b = #builder {
                    __distage_releases: ::core::default::Default::default(),
                    #(#inits,)*
                };
                // Every binding, in declaration order (each builds what it needs first); no value
                // is held across these calls, so an early return drops nothing.
                let __distage_built = #p::typed_catch(&__distage_b.__distage_releases, || {
                    #(#take_parts(&__distage_b)?;)*
                    ::core::result::Result::Ok(())
                });
                match __distage_built {
                    ::core::result::Result::Ok(()) => ::core::result::Result::Ok(#graph {
                        __distage_releases: __distage_b.__distage_releases.built(),
                        #(#moves,)*
                    }),
                    ::core::result::Result::Err(__distage_e) => {
                        ::core::result::Result::Err(__distage_b.__distage_releases.fail(__distage_e))
                    }
                }
            }

            /// The instance of `T` (an unnamed key of the module): a field read.
            #[inline]
            pub fn get<T: ?Sized>(&self) -> ::std::sync::Arc<T>
            where
                #builder: #p::Provide<T, Graph = Self>,
            {
                ::std::sync::Arc::clone(<#builder as #p::Provide<T>>::field(self))
            }

            /// The instance of `T` bound with `.named(id)`, or `None` when the module binds no
            /// such key (ids are strings: this one is checked when called, not compiled).
            #[allow(unused_variables)]
            pub fn get_named<T: ?Sized + 'static>(
                &self,
                __distage_id: &str,
            ) -> ::core::option::Option<::std::sync::Arc<T>> {
                #(#named_gets)*
                ::core::option::Option::None
            }

            /// Releases the resources in reverse order of acquisition (dropping the graph does
            /// too, logging failures); the error lists every release that failed.
            pub fn close(self) -> ::core::result::Result<(), #p::Error> {
                self.__distage_releases.close()
            }
        }

        impl ::core::fmt::Debug for #graph {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#title).finish_non_exhaustive()
            }
        }
    })
}

/// The bindings of each key, in order of first appearance: one field per key.
fn key_groups(module: &ModuleDef) -> Vec<Vec<(usize, &Binding)>> {
    let mut groups: Vec<(String, Vec<(usize, &Binding)>)> = Vec::new();
    for (i, b) in module.bindings.iter().enumerate() {
        let spelling = format!(
            "{} @ {:?}",
            super::super::graph::pretty(&b.key),
            b.id.as_ref().map(LitStr::value)
        );
        match groups.iter_mut().find(|(s, _)| *s == spelling) {
            Some((_, group)) => group.push((i, b)),
            None => groups.push((spelling, vec![(i, b)])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// A key whose binding the activation chooses (several bindings, or a tagged one).
fn is_chosen(group: &[(usize, &Binding)]) -> bool {
    group.len() > 1 || group.iter().any(|(_, b)| !b.tags.is_empty())
}

fn key_value(b: &Binding) -> TokenStream {
    let p = private();
    let key = &b.key;
    match &b.id {
        Some(id) => quote!(#p::DIKey::named::<#key>(#id)),
        None => quote!(#p::DIKey::of::<#key>()),
    }
}

/// Where `b` was bound, as the runtime module records it (the statement's span).
fn origin(b: &Binding) -> TokenStream {
    origin_expr(b.span)
}

/// `impl Provide<K, N> for Builder`: the field if built, else build it (dependencies first):
/// the key's one binding, or the one the activation chose.
fn provide_impl(
    group: &[(usize, &Binding)],
    g: usize,
    builder: &Ident,
    graph: &Ident,
) -> TokenStream {
    let p = private();
    let field = format_ident!("__distage_f{g}");
    let first = group[0].1;
    let key = &first.key;
    let n = id_type(first.id.as_ref());
    if let [(_, b)] = group
        && !is_chosen(group)
        && let Some(derived) = derived_cell(b, &field)
    {
        return quote! {
            impl #p::Provide<#key, #n> for #builder {
                type Graph = #graph;
                #[inline]
                fn cell(&self) -> &::core::cell::OnceCell<::std::sync::Arc<#key>> {
                    &self.#field
                }
                #[inline]
                fn field(__distage_g: &#graph) -> &::std::sync::Arc<#key> {
                    #p::typed_built(&__distage_g.#field)
                }
                #[inline(never)]
                fn build_cell(&self) -> ::core::result::Result<&::std::sync::Arc<#key>, #p::Failed> {
                    use #p::{ViaArgs as _, ViaParts as _};
                    #derived
                }
            }
        };
    }
    let steps: Vec<TokenStream> = group.iter().map(|&(i, b)| step(b, i)).collect();
    let body = if is_chosen(group) {
        let choice = format_ident!("__distage_choice{g}");
        let arms = steps
            .iter()
            .enumerate()
            .map(|(k, step)| quote!(#k => { #step }));
        let key_value = key_value(first);
        quote! {
            let __distage_v = match self.#choice {
                #(#arms)*
                _ => return ::core::result::Result::Err(
                    #p::typed_unchosen(&self.__distage_releases, #key_value),
                ),
            };
        }
    } else {
        let step = &steps[0];
        quote!(let __distage_v = { #step };)
    };
    quote! {
        impl #p::Provide<#key, #n> for #builder {
            type Graph = #graph;
            #[inline]
            fn cell(&self) -> &::core::cell::OnceCell<::std::sync::Arc<#key>> {
                &self.#field
            }
            #[inline]
            fn field(__distage_g: &#graph) -> &::std::sync::Arc<#key> {
                #p::typed_built(&__distage_g.#field)
            }
            #[inline(never)]
            #[allow(unused_imports)]
            fn build_cell(&self) -> ::core::result::Result<&::std::sync::Arc<#key>, #p::Failed> {
                use #p::{ViaArc as _, ViaArgs as _, ViaKey as _, ViaParts as _, ViaValue as _};
                #body
                ::core::result::Result::Ok(#p::typed_fill(&self.#field, __distage_v))
            }
        }
    }
}

/// Builds binding `b` (number `i` in the module), as an `Arc` of its key, returning early on
/// failure.
fn step(b: &Binding, i: usize) -> TokenStream {
    let p = private();
    let key = &b.key;
    let key_value = key_value(b);
    let origin = origin(b);
    let target = quote!(|| (#key_value, #origin));
    let build = build_expr(b, &target);
    if is_guarded(b) {
        let flag = format_ident!("__distage_building{i}");
        quote! {
            if self.#flag.replace(true) {
                return ::core::result::Result::Err(
                    #p::typed_cycle(&self.__distage_releases, #target),
                );
            }
            let __distage_v = #p::typed_step::<#key>(&self.__distage_releases, #target, || #build);
            self.#flag.set(false);
            __distage_v?
        }
    } else {
        quote!(#p::typed_step::<#key>(&self.__distage_releases, #target, || #build)?)
    }
}

/// A function whose parameters are not visible is not in the compile-time cycle check: a cycle
/// through it would recurse forever, so its `provide` notices being re-entered.
fn is_guarded(b: &Binding) -> bool {
    matches!(
        &b.implementation,
        Implementation::Fn(FnImpl::Expr(_))
            | Implementation::TryFn(FnImpl::Expr(_))
            | Implementation::Resource(FnImpl::Expr(_))
    )
}

/// What builds binding `b` inside `provide` (`self` is the builder): a `Built<Arc<K>>`.
fn build_expr(b: &Binding, target: &TokenStream) -> TokenStream {
    let p = private();
    let key = &b.key;
    let coerce = identity();
    let name = quote!(::core::any::type_name::<#key>());
    let releases = quote!(self.__distage_releases);
    match &b.implementation {
        Implementation::SelfType => derived(key),
        Implementation::Type(i) => {
            let built = derived(i);
            quote!(#p::typed_coerce::<#i, #key>(#built, #coerce))
        }
        Implementation::Value(v) => {
            let arc = coerced_value(v, key);
            quote!(::core::result::Result::Ok(::core::result::Result::Ok(#arc)))
        }
        Implementation::Using(target_ty, target_id) => {
            let n = id_type(target_id.as_ref());
            quote! {
                match <Self as #p::Provide<#target_ty, #n>>::provide(self) {
                    ::core::result::Result::Ok(__distage_x) => ::core::result::Result::Ok(
                        ::core::result::Result::Ok(#p::coerce_arc::<#target_ty, #key>(__distage_x, #coerce)),
                    ),
                    ::core::result::Result::Err(__distage_e) => ::core::result::Result::Err(__distage_e),
                }
            }
        }
        Implementation::Fn(FnImpl::Closure(c)) => closure_call(c, key, Returns::Arc(key), quote!()),
        Implementation::TryFn(FnImpl::Closure(c)) => {
            closure_call(c, key, Returns::TryArc(key), quote!())
        }
        Implementation::Resource(FnImpl::Closure(c)) => closure_call(
            c,
            key,
            Returns::AsIs,
            quote!(.and_then(|__distage_l| #releases.acquire::<_, #key>(#target, __distage_l, #coerce))),
        ),
        Implementation::Fn(FnImpl::Expr(e)) => {
            quote!(#p::typed_into_arc::<_, #key>(#p::typed_fn::<Self, _, _, _>(self, #name, #e)))
        }
        Implementation::TryFn(FnImpl::Expr(e)) => {
            quote!(#p::typed_try::<_, _, #key>(#p::typed_fn::<Self, _, _, _>(self, #name, #e)))
        }
        Implementation::Resource(FnImpl::Expr(e)) => quote! {
            match #p::typed_fn::<Self, _, _, _>(self, #name, #e) {
                ::core::result::Result::Ok(::core::result::Result::Ok(__distage_l)) => ::core::result::Result::Ok(
                    #releases.acquire::<_, #key>(#target, __distage_l, #coerce),
                ),
                ::core::result::Result::Ok(::core::result::Result::Err(__distage_e)) => {
                    ::core::result::Result::Ok(::core::result::Result::Err(__distage_e))
                }
                ::core::result::Result::Err(__distage_e) => ::core::result::Result::Err(__distage_e),
            }
        },
        // Rejected by `check_supported` before any code is generated; a compile error all the
        // same, never code that panics.
        Implementation::Async(_)
        | Implementation::TryAsync(_)
        | Implementation::ResourceAsync(_)
        | Implementation::Subcontext(..)
        | Implementation::Factory => {
            quote!(::core::compile_error!(
                "distage: a typed graph cannot build this binding"
            ))
        }
    }
}

/// The body of `build_cell` for a key's one binding when it is a derived component (`make<T>;`,
/// `.from<I>()`): one generic call (see `TypedBuild::build_into`); `None` for other bindings.
fn derived_cell(b: &Binding, field: &Ident) -> Option<TokenStream> {
    let p = private();
    let key = &b.key;
    let (ty, coerce) = match &b.implementation {
        Implementation::SelfType => (key, quote!(#p::typed_same::<#key>)),
        Implementation::Type(i) => (i, identity()),
        _ => return None,
    };
    let key_value = key_value(b);
    let origin = origin(b);
    let path = quote_spanned! {ty.span()=>
        (&&#p::TypedVia::<#ty>::new()).typed_path(self)
    };
    Some(quote! {
        #p::TypedBuild::build_into(
            #path,
            self,
            &self.__distage_releases,
            &self.#field,
            || (#key_value, #origin),
            #coerce,
        )
    })
}

/// A derived component (`make<T>;`, `.from<T>()`), at `T`'s span: errors about its parameters
/// point at the statement.
fn derived(ty: &Type) -> TokenStream {
    let p = private();
    quote_spanned! {ty.span()=>
        #p::TypedBuild::build((&&#p::TypedVia::<#ty>::new()).typed_path(self), self)
    }
}

/// A closure binding: its parameters from the builder (by their compile-time dependency
/// items), its result converted as `returns` says, then `then` applied to the `Result`.
fn closure_call(c: &Closure, key: &Type, returns: Returns<'_>, then: TokenStream) -> TokenStream {
    let p = private();
    let wrapper = closure_wrapper(c, returns);
    let deps = c
        .params
        .iter()
        .map(|param| static_dep(&param.ty, param.kind, param.id.as_ref()));
    let takes = c.params.iter().map(|param| {
        let ty = inject_type(&param.ty, param.kind);
        quote!(__distage_args.take::<#ty>()?)
    });
    let call = match returns {
        Returns::Arc(_) | Returns::AsIs => {
            quote!(::core::result::Result::Ok(__distage_w(#(#takes),*)))
        }
        _ => quote!(__distage_w(#(#takes),*)),
    };
    quote! {{
        let __distage_w = #wrapper;
        <(#(#deps,)*) as #p::TypedArgs<Self>>::with(
            self,
            ::core::any::type_name::<#key>(),
            |__distage_args| -> ::core::result::Result<_, #p::BoxError> { #call },
        )
        .map(|__distage_r| __distage_r #then)
    }}
}

/// Every statement a typed graph cannot build, as errors at the statement.
fn check_supported(module: &ModuleDef) -> syn::Result<()> {
    let mut errors = crate::Errors::new();
    let mut reject = |span: Span, what: &str| {
        errors.error(
            span,
            format!(
                "a `#[typed]` module cannot build {what}; that needs the runtime plan \
                 (remove `#[typed]` and produce the module with an `Injector`)"
            ),
        );
    };
    for b in &module.bindings {
        let what = match &b.implementation {
            Implementation::Async(_) | Implementation::TryAsync(_) => Some("async constructors"),
            Implementation::ResourceAsync(_) => Some("async resources"),
            Implementation::Subcontext(..) => Some("subcontexts"),
            Implementation::Factory => Some("factories"),
            _ => None,
        };
        if let Some(what) = what {
            reject(b.impl_span, what);
        }
    }
    for s in &module.sets {
        reject(s.span, "sets (`many<T>`)");
    }
    for path in &module.includes {
        reject(
            path.span(),
            "included modules (a typed graph holds its own bindings)",
        );
    }
    for e in &module.runtime_includes {
        reject(e.span(), "modules joined at run time");
    }
    for r in &module.requires {
        reject(r.span, "`requires` (every key must be bound in the module)");
    }
    errors.finish()
}
