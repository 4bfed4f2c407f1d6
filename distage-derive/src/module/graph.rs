//! The module's keys as a graph: its own bindings and sets, its requirements, and the keys of the
//! modules it includes (flattened, each binding counted once however many paths reach it).
//! Validation of relationships between bindings (duplicates) happens here.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{GenericArgument, LitStr, Path, PathArguments, Type};

use super::meta::Meta;
use super::model::*;
use crate::params::{id_type, static_dep};
use crate::{Errors, private};

pub(crate) struct Graph {
    pub(crate) nodes: Vec<Node>,
}

pub(crate) struct Node {
    /// How users write the key: `String @ "db-url"`, `Set<dyn Handler>`.
    pub(crate) spelling: String,
    pub(crate) set: bool,
    pub(crate) named: bool,
    pub(crate) key: KeyType,
    pub(crate) span: Span,
    pub(crate) bindings: Vec<NodeBinding>,
    /// Declared with `requires` in this module.
    pub(crate) required: bool,
}

/// The key's type (the element type for sets) and id, where they can be named.
pub(crate) enum KeyType {
    Local { ty: Box<Type>, id: Option<LitStr> },
    Included { include: usize, key: usize },
}

pub(crate) struct NodeBinding {
    pub(crate) tagged: bool,
    /// (defining module id, binding number there)
    pub(crate) source: (String, usize),
    pub(crate) origin: BindingOrigin,
}

/// Where a binding of a node was written.
pub(crate) enum BindingOrigin {
    /// In this module.
    Local(Box<LocalBinding>),
    /// In an included module: its include, and the key and binding in that module's numbering.
    Included {
        include: usize,
        key: usize,
        binding: usize,
    },
}

/// A binding written in this module: its dependency tuple type and who needs them.
pub(crate) struct LocalBinding {
    /// The implementation (`.from<I>()`, the closure…), where dependency errors point.
    pub(crate) span: Span,
    /// The statement (`make`/`.add…`), where duplicate errors point.
    pub(crate) statement: Span,
    pub(crate) deps: TokenStream,
    pub(crate) by: TokenStream,
    pub(crate) tags: String,
    /// A function whose parameters are not visible (`.from(path)`): checked in a function body.
    pub(crate) fn_check: Option<syn::Expr>,
}

/// `Vec<u8>` rather than `Vec < u8 >`.
pub(crate) fn pretty(tokens: &impl ToTokens) -> String {
    let raw = tokens.to_token_stream().to_string();
    let mut out = raw
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" ::", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&");
    if out.starts_with("::") {
        out = out[2..].to_string();
    }
    out
}

fn spelling(ty: &Type, id: Option<&LitStr>, set: bool) -> String {
    let mut s = if set {
        format!("Set<{}>", pretty(ty))
    } else {
        pretty(ty)
    };
    if let Some(id) = id {
        s.push_str(&format!(" @ {:?}", id.value()));
    }
    s
}

impl Graph {
    pub(crate) fn build(module: &ModuleDef, metas: &[Meta], site: &str) -> syn::Result<Graph> {
        let mut graph = Graph { nodes: Vec::new() };
        let mut errors = Errors::new();
        let mut ordinal = 0usize;

        for b in &module.bindings {
            let node = graph.node(
                spelling(&b.key, b.id.as_ref(), false),
                (false, b.id.is_some()),
                || KeyType::Local {
                    ty: Box::new(b.key.clone()),
                    id: b.id.clone(),
                },
                b.span,
            );
            if let Some(local) = errors.handle(binding_deps(b)) {
                graph.nodes[node].bindings.push(NodeBinding {
                    tagged: !b.tags.is_empty(),
                    source: (site.to_string(), ordinal),
                    origin: BindingOrigin::Local(Box::new(local)),
                });
            }
            ordinal += 1;
        }
        for s in &module.sets {
            let node = graph.node(
                spelling(&s.element, s.id.as_ref(), true),
                (true, s.id.is_some()),
                || KeyType::Local {
                    ty: Box::new(s.element.clone()),
                    id: s.id.clone(),
                },
                s.span,
            );
            for e in &s.elements {
                let local = element_deps(s, e);
                graph.nodes[node].bindings.push(NodeBinding {
                    tagged: !e.tags.is_empty(),
                    source: (site.to_string(), ordinal),
                    origin: BindingOrigin::Local(Box::new(local)),
                });
                ordinal += 1;
            }
        }
        for r in &module.requires {
            let node = graph.node(
                spelling(&r.ty, r.id.as_ref(), false),
                (false, r.id.is_some()),
                || KeyType::Local {
                    ty: Box::new(r.ty.clone()),
                    id: r.id.clone(),
                },
                r.span,
            );
            graph.nodes[node].required = true;
        }
        for (i, (meta, path)) in metas.iter().zip(&module.includes).enumerate() {
            for (k, key) in meta.keys.iter().enumerate() {
                let node = graph.node(
                    key.spelling.clone(),
                    (key.set, key.named),
                    || KeyType::Included { include: i, key: k },
                    path.span(),
                );
                for (b, binding) in key.bindings.iter().enumerate() {
                    let known = graph.nodes[node]
                        .bindings
                        .iter()
                        .any(|x| x.source == binding.source);
                    if !known {
                        graph.nodes[node].bindings.push(NodeBinding {
                            tagged: binding.tagged,
                            source: binding.source.clone(),
                            origin: BindingOrigin::Included {
                                include: i,
                                key: k,
                                binding: b,
                            },
                        });
                    }
                }
            }
        }
        graph.check_duplicates(module, &mut errors);
        errors.finish_with(graph)
    }

    fn node(
        &mut self,
        spelling: String,
        (set, named): (bool, bool),
        key: impl FnOnce() -> KeyType,
        span: Span,
    ) -> usize {
        if let Some(i) = self.nodes.iter().position(|n| n.spelling == spelling) {
            return i;
        }
        self.nodes.push(Node {
            spelling,
            set,
            named,
            key: key(),
            span,
            bindings: Vec::new(),
            required: false,
        });
        self.nodes.len() - 1
    }

    /// Two bindings of one key with no distinguishing tag: an error at the second one.
    fn check_duplicates(&self, module: &ModuleDef, errors: &mut Errors) {
        use BindingOrigin::{Included, Local};
        for node in self.nodes.iter().filter(|n| !n.set) {
            let mut seen: Vec<&NodeBinding> = Vec::new();
            for b in &node.bindings {
                let clash = seen.iter().find(|s| match (&s.origin, &b.origin) {
                    (Local(x), Local(y)) => x.tags == y.tags,
                    _ => !s.tagged && !b.tagged,
                });
                if let Some(first) = clash {
                    // Point at this module's own binding when there is one.
                    let (first, b) = match (&first.origin, &b.origin) {
                        (Local(_), Included { .. }) => (b, *first),
                        _ => (*first, b),
                    };
                    let other = match first.origin {
                        Included { include, .. } => format!(
                            "in the included module `{}`",
                            pretty(&module.includes[include])
                        ),
                        Local(_) => "earlier in this module".to_string(),
                    };
                    let tags = if b.tagged {
                        "with the same tags"
                    } else {
                        "with no distinguishing tag"
                    };
                    let span = match &b.origin {
                        Local(local) => local.statement,
                        Included { include, .. } => module.includes[*include].span(),
                    };
                    errors.error(
                        span,
                        format!(
                            "duplicate binding: `{}` is already bound {other} {tags}; tag them apart with `.tagged(…)` or remove one",
                            node.spelling
                        ),
                    );
                }
                seen.push(b);
            }
        }
    }
}

fn closure_deps(c: &Closure) -> TokenStream {
    let deps = c
        .params
        .iter()
        .map(|param| static_dep(&param.ty, param.kind, param.id.as_ref()));
    quote!((#(#deps,)*))
}

fn strict_key(ty: &Type, id: Option<&LitStr>) -> TokenStream {
    let p = private();
    let n = id_type(id);
    quote!((#p::Strict<#p::Key<#ty, #n>>,))
}

fn static_deps_of(ty: &impl ToTokens) -> TokenStream {
    let p = private();
    quote!(<#ty as #p::StaticDeps>::Deps)
}

fn tags_text(tags: &[syn::Expr]) -> String {
    let mut texts: Vec<String> = tags.iter().map(pretty).collect();
    texts.sort();
    texts.join(",")
}

fn binding_deps(b: &Binding) -> syn::Result<LocalBinding> {
    let key = &b.key;
    let (deps, by, fn_check) = match &b.implementation {
        Implementation::SelfType => (static_deps_of(key), quote!(#key), None),
        Implementation::Type(i) => (static_deps_of(i), quote!(#i), None),
        Implementation::Value(_) => (quote!(()), quote!(#key), None),
        Implementation::Fn(f)
        | Implementation::TryFn(f)
        | Implementation::Resource(f)
        | Implementation::Async(f)
        | Implementation::TryAsync(f)
        | Implementation::ResourceAsync(f) => match f {
            FnImpl::Closure(c) => (closure_deps(c), quote!(#key), None),
            FnImpl::Expr(e) => (quote!(()), quote!(#key), Some(e.clone())),
        },
        Implementation::Factory => {
            let product = factory_product(key).ok_or_else(|| {
                syn::Error::new(
                    b.impl_span,
                    "`.from_factory()` binds a factory: write `make<Factory<T>>.from_factory()`",
                )
            })?;
            (static_deps_of(&product), quote!(#product), None)
        }
        Implementation::Using(target, id) => (strict_key(target, id.as_ref()), quote!(#key), None),
        // Checked by the planner, which plans the submodule with this module's keys.
        Implementation::Subcontext(..) => (quote!(()), quote!(#key), None),
    };
    Ok(LocalBinding {
        span: b.impl_span,
        statement: b.span,
        deps,
        by,
        tags: tags_text(&b.tags),
        fn_check,
    })
}

fn element_deps(s: &SetDef, e: &Element) -> LocalBinding {
    let elem = &s.element;
    let (deps, by, fn_check) = match &e.kind {
        ElementKind::Type(i) => (static_deps_of(i), quote!(#i), None),
        ElementKind::Value(_) => (quote!(()), quote!(#elem), None),
        ElementKind::Fn(FnImpl::Closure(c)) | ElementKind::Async(FnImpl::Closure(c)) => {
            (closure_deps(c), quote!(#elem), None)
        }
        ElementKind::Fn(FnImpl::Expr(expr)) | ElementKind::Async(FnImpl::Expr(expr)) => {
            (quote!(()), quote!(#elem), Some(expr.clone()))
        }
        ElementKind::Ref(target, id) => (strict_key(target, id.as_ref()), quote!(#elem), None),
        // A weak reference to an absent key is ignored: nothing to check.
        ElementKind::Weak(..) => (quote!(()), quote!(#elem), None),
    };
    LocalBinding {
        span: e.span,
        statement: e.span,
        deps,
        by,
        tags: tags_text(&e.tags),
        fn_check,
    }
}

/// `U` in `Factory<U>`.
pub(crate) fn factory_product(key: &Type) -> Option<Type> {
    let Type::Path(p) = key else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Factory" {
        return None;
    }
    match &last.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }),
        _ => None,
    }
}

/// The path of an included module's struct: `Core` → `Core::Core`.
pub(crate) fn struct_path(module: &Path) -> TokenStream {
    let last = module.segments.last().map(|s| s.ident.clone());
    quote!(#module::#last)
}
