//! From a module and its graph to: the runtime `Module` (built once, then cloned), the
//! compile-time checks, and the `mod` through which other modules include it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Type};

use super::graph::{Graph, KeyType, Node, NodeBinding, struct_path};
use super::meta::{Meta, MetaBinding, MetaKey, MetaRequire};
use super::model::*;
use crate::params::{Kind, id_type, inject_type, runtime_id};
use crate::{private, respan};

/// Binding statements per generated function: keeps functions small for the compiler.
const BINDINGS_PER_PART: usize = 64;

pub(crate) struct Names {
    pub(crate) module: Ident,
    prefix: String,
}

impl Names {
    pub(crate) fn new(module: &Ident) -> Names {
        Names {
            module: module.clone(),
            // `r#match` is the module `match`: `__distage_match_…`, not `__distage_r#match_…`.
            prefix: format!("__distage_{}", module.unraw()),
        }
    }
    fn item(&self, suffix: impl std::fmt::Display) -> Ident {
        format_ident!("{}_{}", self.prefix, suffix.to_string())
    }
    fn marker(&self) -> TokenStream {
        let m = &self.module;
        quote!(#m::#m)
    }
}

/// The module's expansion; `graph` is given when its wiring is checked at compile time (every
/// include checked too), `None` for a module checked only when planned.
pub(crate) fn generate(
    module: &ModuleDef,
    graph: Option<&Graph>,
    metas: &[Meta],
    site: &str,
) -> TokenStream {
    let names = Names::new(&module.name);
    let runtime = runtime(module, &names);
    let (checks, exports, meta) = match graph {
        Some(graph) => (
            checks(module, graph, metas, &names),
            exports(graph, &names),
            export_meta(module, graph, site),
        ),
        None => (
            TokenStream::new(),
            TokenStream::new(),
            unchecked_meta(module, site),
        ),
    };
    let module_mod = module_mod(module, &names, exports, &meta);
    quote! {
        #runtime
        #module_mod
        #checks
    }
}

/// What is emitted when the module has errors: the errors, and a module that compiles, so that
/// one mistake does not cascade into errors everywhere the module is used.
pub(crate) fn fallback(module: &ModuleDef, site: &str, errors: TokenStream) -> TokenStream {
    let p = private();
    let names = Names::new(&module.name);
    let build = names.item("module");
    let meta = unchecked_meta(module, site);
    let module_mod = module_mod(module, &names, TokenStream::new(), &meta);
    quote! {
        #errors
        #[doc(hidden)]
        #[allow(non_snake_case, dead_code)]
        fn #build() -> #p::Module {
            #p::Module::new()
        }
        #module_mod
    }
}

fn module_mod(module: &ModuleDef, names: &Names, exports: TokenStream, meta: &Meta) -> TokenStream {
    let p = private();
    let attrs = &module.attrs;
    let vis = &module.vis;
    let name = &module.name;
    let build = names.item("module");
    let callback = format_ident!("__distage_callback_{}", name);
    let meta = LitStr::new(&meta.encode(), Span::call_site());
    let doc = format!("The `{name}` module: `{name}::module()` builds its bindings.");
    quote! {
        #(#attrs)*
        #[allow(non_snake_case, non_camel_case_types, private_interfaces, private_bounds, dead_code)]
        #vis mod #name {
            #[doc = #doc]
            #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug, ::core::default::Default, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash)]
            pub struct #name;

            impl #name {
                /// The module's bindings (built once, then cloned).
                pub fn module() -> #p::Module {
                    super::#build()
                }
            }

            /// The module's bindings (built once, then cloned).
            pub fn module() -> #p::Module {
                super::#build()
            }

            #exports

            #[doc(hidden)]
            macro_rules! #callback {
                (@state { $($state:tt)* } $($rest:tt)*) => {
                    ::distage::module! { @state { $($state)* @included(#meta) } $($rest)* }
                };
            }
            #[doc(hidden)]
            pub(crate) use #callback as __distage_include;
        }
    }
}

// ---- the runtime module ----

fn runtime(module: &ModuleDef, names: &Names) -> TokenStream {
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
        statements.push(quote_spanned! {r.span=>
            #m.requires_key(#key, #p::Origin::new(::core::file!(), ::core::line!(), ::core::column!()));
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

fn identity() -> TokenStream {
    quote!(|__distage_x| __distage_x)
}

fn binding_statement(b: &Binding, m: &Ident) -> TokenStream {
    let p = private();
    if let Implementation::SelfType = b.implementation {
        // `make<T>;`: one small generic call per component.
        let key = &b.key;
        let id = runtime_id(b.id.as_ref());
        let tags = b
            .tags
            .iter()
            .map(|t| quote_spanned!(t.span()=> ::core::convert::Into::into(#t)));
        let origin = quote_spanned!(b.span=> #p::Origin::new(::core::file!(), ::core::line!(), ::core::column!()));
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

fn set_statement(s: &SetDef, m: &Ident) -> TokenStream {
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
fn coerced_value(value: &syn::Expr, key: &Type) -> TokenStream {
    let p = private();
    let id = identity();
    quote_spanned! {value.span()=>
        #p::coerce_value::<_, #key>((&&#p::Wrap::<_, #key>::new(#value)).__distage_arc(), #id)
    }
}

enum Returns<'a> {
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
fn closure_functoid(c: &Closure, returns: Returns<'_>) -> TokenStream {
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
    let named = c
        .params
        .iter()
        .enumerate()
        .filter_map(|(i, param)| param.id.as_ref().map(|id| quote!(.named(#i, #id))));
    // One span for every generated local: after an include callback, `call_site` lies in the
    // callback's `macro_rules` context, and locals from two contexts do not see each other.
    quote! {
        #p::Functoid::of({
            let __distage_f = #closure;
            move |#(#args: #types),*| #body
        })
        #(#named)*
    }
}

// ---- compile-time checks ----

/// One obligation per dependency (`Binds`), one `const` graph search for cycles.
fn checks(module: &ModuleDef, graph: &Graph, metas: &[Meta], names: &Names) -> TokenStream {
    let p = private();
    let marker = names.marker();
    let mut items = Vec::new();
    let mut edges: Vec<TokenStream> = Vec::new();
    let mut node_names = Vec::new();
    let mut origins = Vec::new();
    let mut extra_checks = Vec::new();
    let mut fn_checks = Vec::new();

    items.push(key_traits(names));
    for (i, node) in graph.nodes.iter().enumerate() {
        let (t, n) = key_type(node, module);
        let t_alias = names.item(format_args!("T{i}"));
        let n_alias = names.item(format_args!("N{i}"));
        let k_alias = names.item(format_args!("K{i}"));
        let key_trait = names.item(key_trait_name(node.set, node.named));
        let trait_args = if node.named {
            quote!(#n_alias, __DistageBy)
        } else {
            quote!(__DistageBy)
        };
        let wrapper = if node.set {
            quote!(#p::SetKey)
        } else {
            quote!(#p::Key)
        };
        let span = node.span;
        // The key as a `Key<…>` type is needed only to check included modules' requirements.
        let k_alias = node.required.then(|| {
            quote_spanned! {span=>
                #[doc(hidden)]
                #[allow(non_camel_case_types, dead_code)]
                type #k_alias = #wrapper<#t_alias, #n_alias>;
            }
        });
        items.push(quote_spanned! {span=>
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            type #t_alias = #t;
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            type #n_alias = #n;
            #k_alias
            #[automatically_derived]
            impl<__DistageBy: ?::core::marker::Sized> #key_trait<#trait_args> for #t_alias {
                const INDEX: usize = #i;
            }
        });
        let orders = orders_production(node);
        let mut node_edges = Vec::new();
        let mut node_origin = None;
        for (b, binding) in node.bindings.iter().enumerate() {
            let deps_alias = names.item(format_args!("E{i}_{b}"));
            let (deps, by, span, origin) = match (&binding.local, binding.included) {
                (Some(local), _) => {
                    if let Some(expr) = &local.fn_check {
                        let by = &local.by;
                        let check = respan(quote!(#p::check_fn::<#marker, #by, _, _>), local.span);
                        fn_checks.push(quote!(#check(&(#expr));));
                    }
                    let deps = &local.deps;
                    let origin = quote_spanned!(local.span=> ::core::concat!(::core::file!(), ":", ::core::line!()));
                    (quote!(#deps), local.by.clone(), local.span, origin)
                }
                (None, Some((inc, k, b))) => {
                    let path = &module.includes[inc];
                    let e = format_ident!("__E{k}_{b}");
                    (
                        quote!(#path::#e),
                        struct_path(path),
                        path.span(),
                        quote!(#path::__ORIGINS[#k]),
                    )
                }
                (None, None) => unreachable!("a binding is local or included"),
            };
            items.push(quote_spanned! {span=>
                #[doc(hidden)]
                #[allow(non_camel_case_types, dead_code)]
                type #deps_alias = #deps;
            });
            if b == 0 {
                node_origin = Some(origin);
            }
            let indices = respan(
                quote!(<#deps_alias as #p::DepIndices<#marker, #by>>::EDGES),
                span,
            );
            if orders && !binding.tagged {
                node_edges.push(indices);
            } else if binding.local.is_some() {
                extra_checks.push(quote_spanned!(span=> let _: &[usize] = #indices;));
            }
        }
        edges.push(quote!(&[#(#node_edges),*]));
        node_names.push(node.spelling.clone());
        origins.push(node_origin.unwrap_or_else(
            || quote_spanned!(node.span=> ::core::concat!(::core::file!(), ":", ::core::line!())),
        ));
    }

    // What the included modules require must be bound here (or required in turn).
    for (meta, path) in metas.iter().zip(&module.includes) {
        let by = struct_path(path);
        for r in 0..meta.requires.len() {
            let alias = format_ident!("__R{r}");
            let check = respan(
                quote!(<(#p::Strict<#path::#alias>,) as #p::DepIndices<#marker, #by>>::EDGES),
                path.span(),
            );
            extra_checks.push(quote!(let _: &[usize] = #check;));
        }
    }

    let n = graph.nodes.len();
    let origins_const = names.item("ORIGINS");
    let fn_checks_name = names.item("fn_checks");
    let name_span = module.name.span();
    let report_const = names.item("GRAPH");
    let check_graph = respan(
        quote!(const #report_const: #p::GraphReport = #p::check_graph::<#n>),
        name_span,
    );
    // The panic is here, not in distage, so the error shows only the module.
    let panic_on_cycle = quote_spanned!(name_span=>
        const _: () = if let ::core::option::Option::Some(__distage_m) = #report_const.cycle() {
            ::core::panic!("{}", __distage_m)
        };
    );
    let mut graph_args = proc_macro2::Group::new(
        proc_macro2::Delimiter::Parenthesis,
        quote!(&[#(#edges),*], &[#(#node_names),*], &#origins_const),
    );
    graph_args.set_span(name_span);
    let semi = quote_spanned!(name_span=> ;);
    quote! {
        #(#items)*
        /// Where each key was bound, for the cycle check's message (and includers').
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const #origins_const: [&str; #n] = [#(#origins),*];
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #check_graph #graph_args #semi
        #panic_on_cycle
        const _: () = { #(#extra_checks)* };
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case)]
        fn #fn_checks_name() { #(#fn_checks)* }
    }
}

/// A key orders production when one binding (or, for a set, every untagged element) is always
/// chosen; keys with alternatives (tags) are left to the planner, which knows the activation.
fn orders_production(node: &Node) -> bool {
    node.set || node.bindings.len() == 1
}

/// The key's type (element type for sets) and its id as a type.
fn key_type(node: &Node, module: &ModuleDef) -> (TokenStream, TokenStream) {
    match &node.key {
        KeyType::Local { ty, id } => (quote!(#ty), id_type(id.as_ref())),
        KeyType::Included { include, key } => {
            let path = &module.includes[*include];
            let t = format_ident!("__T{key}");
            let n = format_ident!("__N{key}");
            (quote!(#path::#t), quote!(#path::#n))
        }
    }
}

fn key_trait_name(set: bool, named: bool) -> &'static str {
    match (set, named) {
        (false, false) => "Single",
        (false, true) => "Named",
        (true, false) => "Set",
        (true, true) => "NamedSet",
    }
}

/// The module's own key traits, one per key shape, implemented by the key types themselves
/// (so the compiler finds a key's impl by its type instead of scanning every key of the
/// module), with messages that name the module and the missing type; `Binds` is implemented
/// through them.
fn key_traits(names: &Names) -> TokenStream {
    let p = private();
    let marker = names.marker();
    let module = names.module.unraw().to_string();
    let note = format!(
        "bind it in `{module}` (`make<…>`), `include` a module that binds it, or declare it with `requires …;` when another module provides it at run time"
    );
    let single = names.item("Single");
    let named = names.item("Named");
    let set = names.item("Set");
    let named_set = names.item("NamedSet");
    let single_msg = format!(
        "missing binding: `{{Self}}` is required by `{{By}}`, but module `{module}` does not bind it"
    );
    let named_msg = format!(
        "missing binding: `{{Self}}` with id `{{N}}` is required by `{{By}}`, but module `{module}` does not bind it"
    );
    let set_msg = format!(
        "missing binding: the set `Set<{{Self}}>` is required by `{{By}}`, but module `{module}` declares no `many<{{Self}}>`"
    );
    let named_set_msg = format!(
        "missing binding: the set `Set<{{Self}}>` with id `{{N}}` is required by `{{By}}`, but module `{module}` declares no such `many<{{Self}}>`"
    );
    // Reserved names: a user type called `C0` in scope must not shadow them.
    let chars: Vec<Ident> = (0..32).map(|i| format_ident!("__DISTAGE_C{i}")).collect();
    let id = quote!(#p::Named<#(#chars,)* __DistageNext>);
    let id_params = quote!(#(const #chars: char,)* __DistageNext);
    let traits = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[diagnostic::on_unimplemented(message = #single_msg, label = "`{By}` needs `{Self}`", note = #note)]
        trait #single<By: ?::core::marker::Sized> {
            const INDEX: usize;
        }
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[diagnostic::on_unimplemented(message = #named_msg, label = "`{By}` needs `{Self}` with id `{N}`", note = #note)]
        trait #named<N, By: ?::core::marker::Sized> {
            const INDEX: usize;
        }
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[diagnostic::on_unimplemented(message = #set_msg, label = "`{By}` needs `Set<{Self}>`", note = #note)]
        trait #set<By: ?::core::marker::Sized> {
            const INDEX: usize;
        }
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[diagnostic::on_unimplemented(message = #named_set_msg, label = "`{By}` needs `Set<{Self}>` with id `{N}`", note = #note)]
        trait #named_set<N, By: ?::core::marker::Sized> {
            const INDEX: usize;
        }
    };
    // At the module's name: a missing binding's "required for" note then shows that line, not
    // the whole `module!` block.
    let binds_impls = quote! {
        #[allow(private_bounds)]
        impl<T: ?::core::marker::Sized + #single<By>, By: ?::core::marker::Sized> #p::Binds<#p::Key<T>, By> for #marker {
            const INDEX: usize = <T as #single<By>>::INDEX;
        }
        #[allow(private_bounds)]
        impl<T: ?::core::marker::Sized + #named<#id, By>, #id_params, By: ?::core::marker::Sized> #p::Binds<#p::Key<T, #id>, By> for #marker {
            const INDEX: usize = <T as #named<#id, By>>::INDEX;
        }
        #[allow(private_bounds)]
        impl<T: ?::core::marker::Sized + #set<By>, By: ?::core::marker::Sized> #p::Binds<#p::SetKey<T>, By> for #marker {
            const INDEX: usize = <T as #set<By>>::INDEX;
        }
        #[allow(private_bounds)]
        impl<T: ?::core::marker::Sized + #named_set<#id, By>, #id_params, By: ?::core::marker::Sized> #p::Binds<#p::SetKey<T, #id>, By> for #marker {
            const INDEX: usize = <T as #named_set<#id, By>>::INDEX;
        }
    };
    let binds_impls = respan(binds_impls, names.module.span());
    quote!(#traits #binds_impls)
}

// ---- what includers see ----

fn exported(graph: &Graph) -> impl Iterator<Item = (usize, &Node)> {
    graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !(n.required && n.bindings.is_empty()))
}

fn exports(graph: &Graph, names: &Names) -> TokenStream {
    let mut items = Vec::new();
    for (k, (i, node)) in exported(graph).enumerate() {
        let t = format_ident!("__T{k}");
        let n = format_ident!("__N{k}");
        let local_t = names.item(format_args!("T{i}"));
        let local_n = names.item(format_args!("N{i}"));
        items.push(quote! {
            #[doc(hidden)] pub type #t = super::#local_t;
            #[doc(hidden)] pub type #n = super::#local_n;
        });
        for b in 0..node.bindings.len() {
            let e = format_ident!("__E{k}_{b}");
            let local_e = names.item(format_args!("E{i}_{b}"));
            items.push(quote!(#[doc(hidden)] pub type #e = super::#local_e;));
        }
    }
    let origins_const = names.item("ORIGINS");
    let exported_origins = exported(graph).map(|(i, _)| quote!(super::#origins_const[#i]));
    items.push(quote!(#[doc(hidden)] pub const __ORIGINS: &[&str] = &[#(#exported_origins),*];));
    for (r, (i, _)) in graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.required)
        .enumerate()
    {
        let alias = format_ident!("__R{r}");
        let local = names.item(format_args!("K{i}"));
        items.push(quote!(#[doc(hidden)] pub type #alias = super::#local;));
    }
    quote!(#(#items)*)
}

fn export_meta(module: &ModuleDef, graph: &Graph, site: &str) -> Meta {
    Meta {
        id: site.to_string(),
        name: module.name.unraw().to_string(),
        checked: true,
        keys: exported(graph)
            .map(|(_, node)| MetaKey {
                spelling: node.spelling.clone(),
                set: node.set,
                named: node.named,
                bindings: node
                    .bindings
                    .iter()
                    .map(|b: &NodeBinding| MetaBinding {
                        tagged: b.tagged,
                        source: b.source.clone(),
                    })
                    .collect(),
            })
            .collect(),
        requires: graph
            .nodes
            .iter()
            .filter(|n| n.required)
            .map(|n| MetaRequire {
                spelling: n.spelling.clone(),
            })
            .collect(),
    }
}

fn unchecked_meta(module: &ModuleDef, site: &str) -> Meta {
    Meta {
        id: site.to_string(),
        name: module.name.unraw().to_string(),
        checked: false,
        keys: Vec::new(),
        requires: Vec::new(),
    }
}
