//! What modules that `include` this one see: its keys, through the `mod` and the metadata
//! its callback macro hands them.

use super::*;
use crate::module::graph::BindingOrigin;

pub(super) fn exported(graph: &Graph) -> impl Iterator<Item = (usize, &Node)> {
    graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !(n.required && n.bindings.is_empty()))
}

pub(super) fn exports(module: &ModuleDef, graph: &Graph, names: &Names) -> TokenStream {
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
    // A key bound here: its `file:line` written out again rather than read from the module's
    // `ORIGINS` by index, since each read of a constant in const evaluation costs in proportion
    // to its size (quadratic over a large module). A key from an include: read from `ORIGINS`
    // (the include's path is the caller's, not valid in here).
    let origins_const = names.item("ORIGINS");
    let exported_origins =
        exported(graph).map(|(i, node)| match node.bindings.first().map(|b| &b.origin) {
            Some(BindingOrigin::Included { .. }) => quote!(super::#origins_const[#i]),
            _ => super::checks::node_origin(node, module),
        });
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

pub(super) fn export_meta(module: &ModuleDef, graph: &Graph, site: &str) -> Meta {
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

pub(super) fn unchecked_meta(module: &ModuleDef, site: &str) -> Meta {
    Meta {
        id: site.to_string(),
        name: module.name.unraw().to_string(),
        checked: false,
        keys: Vec::new(),
        requires: Vec::new(),
    }
}
