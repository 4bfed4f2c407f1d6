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
use crate::helpers::{file_line_expr, origin_expr};
use crate::params::{Kind, id_type, inject_type, runtime_id};
use crate::{private, respan};

/// Binding statements per generated function: keeps functions small for the compiler.
mod checks;
mod exports;
mod runtime;
mod typed;

use checks::*;
use exports::*;
use runtime::*;
use typed::typed;

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
    /// The name of the module's per-dependency check trait inside its `mod`: `AppModuleBinds`
    /// for `AppModule`. Named after the module so that rustc does not add "`()` implements
    /// similarly named trait `OtherModule::Binds`" when two modules meet.
    fn binds_trait(&self) -> Ident {
        format_ident!("{}Binds", self.module.unraw())
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
            {
                let exports = exports(module, graph, &names);
                let binds_trait = binds_trait(&names);
                quote!(#exports #binds_trait)
            },
            export_meta(module, graph, site),
        ),
        None => (
            TokenStream::new(),
            TokenStream::new(),
            unchecked_meta(module, site),
        ),
    };
    let typed_graph = match (module.typed, graph) {
        (None, _) => TokenStream::new(),
        (Some(_), Some(_)) => typed(module, &names).unwrap_or_else(|e| {
            let mut errors = crate::Errors::new();
            errors.push(e);
            errors.into_compile_error()
        }),
        (Some(span), None) => {
            let mut errors = crate::Errors::new();
            errors.error(
                span,
                "a `#[typed]` module cannot include modules joined at run time: it needs every binding at compile time",
            );
            errors.into_compile_error()
        }
    };
    let module_mod = module_mod(module, &names, exports, &meta);
    quote! {
        #runtime
        #typed_graph
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
    let typed_use = module.typed.map(|_| {
        let graph = names.item("Typed");
        quote!(pub use super::#graph as Typed;)
    });
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
            #typed_use

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

// ---- compile-time checks ----

// ---- what includers see ----
