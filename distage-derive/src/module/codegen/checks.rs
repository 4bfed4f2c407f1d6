//! The compile-time checks: one obligation per dependency on the module's `…Binds` traits
//! (missing keys, reported right at the dependency), the module's key traits (which index the
//! keys), and the `const` cycle check.

use super::*;
use crate::module::graph::BindingOrigin;

/// One obligation per dependency (`…Binds`), one `const` graph search for cycles.
pub(super) fn checks(
    module: &ModuleDef,
    graph: &Graph,
    metas: &[Meta],
    names: &Names,
) -> TokenStream {
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
                #[allow(non_camel_case_types, dead_code)]
                type #k_alias = #wrapper<#t_alias, #n_alias>;
            }
        });
        // Private items: no `doc(hidden)` (at 10,000 bindings every token counts).
        items.push(quote_spanned! {span=>
            #[allow(non_camel_case_types, dead_code)]
            type #t_alias = #t;
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
        for (b, binding) in node.bindings.iter().enumerate() {
            let deps_alias = names.item(format_args!("E{i}_{b}"));
            let (deps, by, span) = match &binding.origin {
                BindingOrigin::Local(local) => {
                    if let Some(expr) = &local.fn_check {
                        let by = &local.by;
                        let check = respan(quote!(#p::check_fn::<#marker, #by, _, _>), local.span);
                        fn_checks.push(quote!(#check(&(#expr));));
                    }
                    let deps = &local.deps;
                    (quote!(#deps), local.by.clone(), local.span)
                }
                &BindingOrigin::Included {
                    include,
                    key,
                    binding: number,
                } => {
                    let path = &module.includes[include];
                    let e = format_ident!("__E{key}_{number}");
                    (quote!(#path::#e), struct_path(path), path.span())
                }
            };
            items.push(quote_spanned! {span=>
                #[allow(non_camel_case_types, dead_code)]
                type #deps_alias = #deps;
            });
            let (slots, rest) = tuple_edges(&quote!(#deps_alias), &by, span, names);
            if orders && !binding.tagged {
                node_edges.push(slots);
                node_edges.push(rest);
            } else if let BindingOrigin::Local(_) = binding.origin {
                extra_checks.push(quote_spanned!(span=> let _: &[usize] = #slots;));
                extra_checks.push(quote_spanned!(span=> let _: &[usize] = #rest;));
            }
        }
        edges.push(quote!(&[#(#node_edges),*]));
        node_names.push(node.spelling.clone());
        origins.push(node_origin(node, module));
    }

    // What the included modules require must be bound here (or required in turn).
    for (meta, path) in metas.iter().zip(&module.includes) {
        let by = struct_path(path);
        for r in 0..meta.requires.len() {
            let alias = format_ident!("__R{r}");
            let check = dep_edge(
                &quote!((#p::Strict<#path::#alias>,)),
                0,
                &by,
                path.span(),
                names,
            );
            extra_checks.push(quote!(let _: usize = #check;));
        }
    }

    let n = graph.nodes.len();
    // The nodes' edges in constants of `EDGE_CHUNK` nodes each: one body for all of them made
    // type checking more than linear in a large module, one body per node made const
    // evaluation pay its fixed cost N times.
    let chunk_consts: Vec<Ident> = (0..n.div_ceil(EDGE_CHUNK))
        .map(|k| names.item(format_args!("EDGES{k}")))
        .collect();
    for (chunk, name) in edges.chunks(EDGE_CHUNK).zip(&chunk_consts) {
        items.push(quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            const #name: &[&[&[usize]]] = &[#(#chunk),*];
        });
    }
    let node_names = LitStr::new(&node_names.join("\n"), Span::call_site());
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
        quote!(#EDGE_CHUNK, &[#(#chunk_consts),*], #node_names, #origins_const),
    );
    graph_args.set_span(name_span);
    let semi = quote_spanned!(name_span=> ;);
    let slot_aliases = slot_alias_items(names);
    quote! {
        #slot_aliases
        #(#items)*
        /// Where each key was bound, for the cycle check's message (and includers').
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        // A reference, not an array value: `ORIGINS[i]` (once per exported key) then reads one
        // element through it, where indexing an array constant copies all N in const
        // evaluation: quadratic, 1.5 s of a 4,000-binding module's check.
        const #origins_const: &[&str; #n] = &[#(#origins),*];
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

/// Nodes per constant of the cycle check's edges.
const EDGE_CHUNK: usize = 64;

/// Where a key was first bound, as a `&str` expression: `file:line` of its binding here, or
/// the included module's record of it (what the cycle message and includers show).
pub(super) fn node_origin(node: &Node, module: &ModuleDef) -> TokenStream {
    match node.bindings.first().map(|b| &b.origin) {
        Some(BindingOrigin::Local(local)) => file_line_expr(local.span),
        Some(&BindingOrigin::Included { include, key, .. }) => {
            let path = &module.includes[include];
            quote!(#path::__ORIGINS[#key])
        }
        None => file_line_expr(node.span),
    }
}

/// The edges of a dependency tuple: its first four items checked one by one (`dep_edge`), as a
/// `&[usize]`, and the rest, if any, through `DepIndices` (same check, longer message).
fn tuple_edges(
    deps: &TokenStream,
    by: &TokenStream,
    span: Span,
    names: &Names,
) -> (TokenStream, TokenStream) {
    let p = private();
    let marker = names.marker();
    let slots = [0, 1, 2, 3].map(|slot| dep_edge(deps, slot, by, span, names));
    let slot_rest = names.item("SlotRest");
    let rest = respan(
        quote!(<#slot_rest<#deps> as #p::DepIndices<#marker, #by>>::EDGES),
        span,
    );
    (quote_spanned!(span=> &[#(#slots),*]), rest)
}

/// Item `slot` of dependency tuple `deps`, checked by an obligation of its own on the module's
/// `…Binds` trait, whose impls are `do_not_recommend`: a missing key is reported right there,
/// with the module's message and no notes on how the check got there. An empty slot and a lazy
/// key give `NO_EDGE`, which the cycle check skips. The item's parts are named through
/// distage's `SlotKind0`… aliases (the projections through `Slots` and `Dep`).
fn dep_edge(
    deps: &TokenStream,
    slot: usize,
    by: &TokenStream,
    span: Span,
    names: &Names,
) -> TokenStream {
    let module = &names.module;
    let binds = names.binds_trait();
    let [kind, key, id] = slot_aliases(slot, names);
    respan(
        quote!(<#kind<#deps> as #module::#binds<#key<#deps>, #id<#deps>, #by>>::INDEX),
        span,
    )
}

/// The module's short names for distage's `SlotKind{slot}`, `SlotKey{slot}` and `SlotId{slot}`:
/// every dependency of every binding names three of them, and at 10,000 bindings the paths'
/// tokens alone are a measurable part of the compiler's memory.
fn slot_aliases(slot: usize, names: &Names) -> [Ident; 3] {
    ["Kind", "Key", "Id"].map(|part| names.item(format_args!("Slot{part}{slot}")))
}

/// The declarations of [`slot_aliases`], once per module.
fn slot_alias_items(names: &Names) -> TokenStream {
    let p = private();
    let items = (0..4).flat_map(|slot| {
        let ours = slot_aliases(slot, names);
        let theirs = ["Kind", "Key", "Id"].map(|part| format_ident!("Slot{part}{slot}"));
        ours.into_iter().zip(theirs).map(
            |(ours, theirs)| quote!(#[allow(non_camel_case_types, dead_code)] type #ours<E> = #p::#theirs<E>;),
        )
    });
    let slot_rest = names.item("SlotRest");
    quote! {
        #(#items)*
        #[allow(non_camel_case_types, dead_code)]
        type #slot_rest<E> = #p::SlotRest<E>;
    }
}

/// The module's per-dependency check trait, declared inside its `mod` so that rustc's "not
/// implemented" line reads `AppModuleBinds<Database, (), UserService>`; its impls (beside the
/// key traits, which they forward to) are `do_not_recommend`, so that a failure is reported at
/// the dependency, not at the key trait under it. One trait for every kind of key (one
/// obligation per dependency: a second, for named keys, cost a quarter more `cargo check` time
/// at 1,000 bindings), so a named key's message shows it as `(Named<…>, T)`.
pub(super) fn binds_trait(names: &Names) -> TokenStream {
    let module = names.module.unraw().to_string();
    let binds = names.binds_trait();
    let note = format!(
        "bind it in `{module}` (`make<…>`, or `many<…>` for a set), `include` a module that binds it, or declare it with `requires …;` when another module provides it at run time"
    );
    let msg = format!(
        "missing binding: `{{K}}` is required by `{{By}}`, but module `{module}` does not bind it"
    );
    quote! {
        #[doc(hidden)]
        #[diagnostic::on_unimplemented(message = #msg, label = "`{By}` needs `{K}`", note = #note)]
        pub(super) trait #binds<K: ?::core::marker::Sized, N, By: ?::core::marker::Sized> {
            const INDEX: usize;
        }
    }
}

/// A key orders production when one binding (or, for a set, every untagged element) is always
/// chosen; keys with alternatives (tags) are left to the planner, which knows the activation.
pub(super) fn orders_production(node: &Node) -> bool {
    node.set || node.bindings.len() == 1
}

/// The key's type (element type for sets) and its id as a type.
pub(super) fn key_type(node: &Node, module: &ModuleDef) -> (TokenStream, TokenStream) {
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

pub(super) fn key_trait_name(set: bool, named: bool) -> &'static str {
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
pub(super) fn key_traits(names: &Names) -> TokenStream {
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
    let m = &names.module;
    let binds_trait = names.binds_trait();
    let b = quote!(#m::#binds_trait);
    let sized = quote!(?::core::marker::Sized);
    let slot_impls = quote! {
        #[diagnostic::do_not_recommend]
        #[allow(private_bounds)]
        impl<T: #sized + #single<By>, By: #sized> #b<T, (), By> for () {
            const INDEX: usize = <T as #single<By>>::INDEX;
        }
        #[diagnostic::do_not_recommend]
        #[allow(private_bounds)]
        impl<T: #sized + #single<By>, By: #sized> #b<T, (), By> for ((),) {
            const INDEX: usize = #p::NO_EDGE;
        }
        #[diagnostic::do_not_recommend]
        #[allow(private_bounds)]
        impl<T: #sized + #set<By>, By: #sized> #b<#p::Set<T>, (), By> for [()] {
            const INDEX: usize = <T as #set<By>>::INDEX;
        }
        #[diagnostic::do_not_recommend]
        #[allow(private_bounds)]
        impl<T: #sized + #named<#id, By>, #id_params, By: #sized> #b<(#id, T), #id, By> for () {
            const INDEX: usize = <T as #named<#id, By>>::INDEX;
        }
        #[diagnostic::do_not_recommend]
        #[allow(private_bounds)]
        impl<T: #sized + #named<#id, By>, #id_params, By: #sized> #b<(#id, T), #id, By> for ((),) {
            const INDEX: usize = #p::NO_EDGE;
        }
        #[diagnostic::do_not_recommend]
        #[allow(private_bounds)]
        impl<T: #sized + #named_set<#id, By>, #id_params, By: #sized> #b<(#id, #p::Set<T>), #id, By> for [()] {
            const INDEX: usize = <T as #named_set<#id, By>>::INDEX;
        }
        #[diagnostic::do_not_recommend]
        impl<By: #sized> #b<#p::NoKey, (), By> for #p::NoKey {
            const INDEX: usize = #p::NO_EDGE;
        }
    };
    quote!(#traits #binds_impls #slot_impls)
}
