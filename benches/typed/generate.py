#!/usr/bin/env python3
"""Generate the typed graph of `benches/typed.rs`: N distinct components, wired by distage and by hand.

    python3 benches/typed/generate.py N OUT.rs          # one graph module (n100.rs, n1000.rs)
    python3 benches/typed/generate.py N --project DIR    # a standalone bench project (N = 10,000)

The graph is compile_cost's (`benches/compile_cost/generate.py`, `graph(n, root=True)`): a
fixed-seed layered DAG of components C0..C{N-1}, each needing 1 to 3 components of the three
layers before its own, and a root C{N-1} that needs every component nothing else needs (about
N / 8 of them), as an application's main or router does.

The module written for N holds:

- `mod c`: the structs, each `#[derive(Injectable)]` with one `Arc` field per dependency, and a
  `Reach` impl that visits what an instance holds (the bench counts the distinct instances
  reachable from the root: N for both wirings, so both built the same graph and shared it);
- `AppModule`: one `module!` binding every component with `make<c::Ci>;`;
- the hand-wired application, as a person writes it: one struct per layer with one
  `Arc<c::Ci>` field per component, each layer built by one function from the layers it reads
  (`Layer5 { c50: Arc::new(c::C50 { d0: Arc::clone(&l3.c34) }), .. }`), and an `App` holding the
  layers and the root. Components of a layer never depend on each other, so a layer is one struct
  expression; there is no function with N locals (lesson 3 of shared/notes/compile-scale.md);
- `Graph`, implementing the bench's `TypedGraph` for both.

`--project DIR` writes a Cargo project in DIR (git-ignored under `target/`) whose one bench runs
`benches/typed/harness.rs` on the graph of N: large graphs are measured without being compiled by
every `cargo clippy --all-targets` (a 10,000-component `module!` takes a minute and GBs to check).
It depends on distage by path and gets a copy of the workspace's Cargo.lock, as compile_cost's
projects do.
"""

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def _compile_cost():
    """compile_cost's generator, for its graph (one graph generator for every bench)."""
    path = os.path.join(HERE, "..", "compile_cost", "generate.py")
    spec = importlib.util.spec_from_file_location("compile_cost_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compile_cost = _compile_cost()
write_if_changed = compile_cost.write_if_changed


def layers_of(n):
    """The layer of each non-root component, as the graph generator drew them."""
    width = compile_cost.layer_width(n)
    return [i // width for i in range(n - 1)]


def components(deps):
    out = ["pub mod c {\n", "    use std::collections::HashSet;\n", "    use std::sync::Arc;\n\n"]
    out.append("    use distage::prelude::*;\n\n")
    out.append("    use crate::harness::Reach;\n")
    for i, ds in enumerate(deps):
        fields = "".join(f"        pub d{k}: Arc<C{j}>,\n" for k, j in enumerate(ds))
        out.append(f"\n    #[derive(Injectable)]\n    pub struct C{i} {{\n{fields}    }}\n")
        visits = "".join(f"            self.d{k}.reach(seen);\n" for k in range(len(ds)))
        if visits:
            body = f"        if seen.insert(std::ptr::from_ref(self).addr()) {{\n{visits}        }}\n"
        else:
            body = "        seen.insert(std::ptr::from_ref(self).addr());\n"
        out.append(
            f"\n    impl Reach for C{i} {{\n"
            f"        fn reach(&self, seen: &mut HashSet<usize>) {{\n{body}        }}\n    }}\n"
        )
    out.append("}\n")
    return "".join(out)


def app_module(n):
    makes = "".join(f"        make<c::C{i}>;\n" for i in range(n))
    return f"module! {{\n    #[typed]\n    pub AppModule {{\n{makes}    }}\n}}\n"


def field(j, layer):
    """How the hand-wired code names component j: a field of its layer's struct."""
    return f"Arc::clone(&l{layer[j]}.c{j})"


def construct(i, deps, layer):
    fields = ", ".join(f"d{k}: {field(j, layer)}" for k, j in enumerate(deps[i]))
    return f"Arc::new(c::C{i} {{ {fields} }})" if fields else f"Arc::new(c::C{i} {{}})"


def hand_wired(n, deps):
    layer = layers_of(n)
    count = layer[-1] + 1
    members = [[i for i in range(n - 1) if layer[i] == k] for k in range(count)]
    out = []
    for k, ids in enumerate(members):
        fields = "".join(f"    pub c{i}: Arc<c::C{i}>,\n" for i in ids)
        out.append(f"\npub struct Layer{k} {{\n{fields}}}\n")
    out.append("\n/// The application wired by hand: every component in a field of its layer.\n")
    out.append("pub struct App {\n")
    out += [f"    pub l{k}: Layer{k},\n" for k in range(count)]
    out.append(f"    pub root: Arc<c::C{n - 1}>,\n}}\n")
    for k, ids in enumerate(members):
        reads = sorted({layer[j] for i in ids for j in deps[i]})
        params = ", ".join(f"l{r}: &Layer{r}" for r in reads)
        out.append(f"\nfn layer{k}({params}) -> Layer{k} {{\n    Layer{k} {{\n")
        out += [f"        c{i}: {construct(i, deps, layer)},\n" for i in ids]
        out.append("    }\n}\n")
    out.append("\npub fn app() -> App {\n")
    for k, ids in enumerate(members):
        reads = sorted({layer[j] for i in ids for j in deps[i]})
        args = ", ".join(f"&l{r}" for r in reads)
        out.append(f"    let l{k} = layer{k}({args});\n")
    out.append(f"    let root = {construct(n - 1, deps, layer)};\n")
    layers = ", ".join(f"l{k}" for k in range(count))
    out.append(f"    App {{ {layers}, root }}\n}}\n")
    return "".join(out)


def graph_impl(n):
    probe = n // 2
    return (
        "\n/// The graph of this file, for the bench harness.\n"
        "pub struct Graph;\n\n"
        "impl TypedGraph for Graph {\n"
        f"    const N: usize = {n};\n"
        f"    type Root = c::C{n - 1};\n"
        f"    type Probe = c::C{probe};\n"
        "    type App = App;\n"
        "    type Typed = AppModule::Typed;\n\n"
        "    fn module() -> Module {\n        AppModule::module()\n    }\n\n"
        "    fn hand_wired() -> App {\n        app()\n    }\n\n"
        "    fn typed() -> AppModule::Typed {\n        AppModule::Typed::build().unwrap()\n    }\n\n"
        "    fn typed_root(graph: &AppModule::Typed) -> Arc<Self::Root> {\n        graph.get()\n    }\n\n"
        "    fn typed_probe(graph: &AppModule::Typed) -> Arc<Self::Probe> {\n        graph.get()\n    }\n\n"
        "    fn root(app: &App) -> &Arc<Self::Root> {\n        &app.root\n    }\n\n"
        "    fn probe(app: &App) -> &Arc<Self::Probe> {\n"
        f"        &app.l{layers_of(n)[probe]}.c{probe}\n    }}\n"
        "}\n"
    )


def graph_module(n):
    if n < compile_cost.MIN_LAYER_WIDTH + 2:
        raise ValueError(f"n must be at least {compile_cost.MIN_LAYER_WIDTH + 2}")
    deps = compile_cost.graph(n, root=True)
    edges = sum(len(d) for d in deps)
    header = (
        f"//! The typed graph of N = {n} ({edges} edges, root fan-in {len(deps[-1])}), wired by\n"
        "//! distage and by hand. Generated by benches/typed/generate.py; do not edit, regenerate:\n"
        f"//! `python3 benches/typed/generate.py {n} benches/typed/n{n}.rs`.\n\n"
        "// A hand-wired application keeps its layers whether or not it reads every field again.\n"
        "#![allow(dead_code)]\n\n"
        "use std::sync::Arc;\n\n"
        "use distage::prelude::*;\n\n"
        "use crate::harness::TypedGraph;\n\n"
    )
    return rustfmt(
        header + components(deps) + "\n" + app_module(n) + hand_wired(n, deps) + graph_impl(n)
    )


def write_project(n, out_dir):
    """A standalone Cargo project with the bench of the graph of `n` (see the module doc)."""
    os.makedirs(os.path.join(out_dir, "benches"), exist_ok=True)
    harness = os.path.join(HERE, "harness.rs")
    cargo_toml = (
        "# Generated by benches/typed/generate.py. Do not edit.\n"
        "[package]\n"
        f'name = "typed-bench-{n}"\n'
        'version = "0.0.0"\n'
        'edition = "2024"\n'
        "publish = false\n"
        f"# benches/n{n}.rs is a module of the bench, not a bench of its own.\n"
        "autobenches = false\n\n"
        "[dependencies]\n"
        f'distage = {{ path = "{REPO_ROOT}" }}\n\n'
        "[dev-dependencies]\n"
        'criterion = { version = "0.8", default-features = false, features = ["cargo_bench_support"] }\n\n'
        "[[bench]]\n"
        'name = "typed"\n'
        "harness = false\n\n"
        "# Standalone: not a member of the distage workspace this directory sits under.\n"
        "[workspace]\n"
    )
    bench = (
        "//! Generated by benches/typed/generate.py --project. Do not edit.\n\n"
        f'#[path = "{harness}"]\n'
        "mod harness;\n"
        f'#[path = "n{n}.rs"]\n'
        f"mod n{n};\n\n"
        "use criterion::{criterion_group, criterion_main};\n\n"
        f"criterion_group!(benches, harness::bench::<n{n}::Graph>);\n"
        "criterion_main!(benches);\n"
    )
    write_if_changed(os.path.join(out_dir, "Cargo.toml"), cargo_toml)
    write_if_changed(os.path.join(out_dir, "benches", "typed.rs"), bench)
    write_if_changed(os.path.join(out_dir, "benches", f"n{n}.rs"), graph_module(n))
    shutil.copyfile(os.path.join(REPO_ROOT, "Cargo.lock"), os.path.join(out_dir, "Cargo.lock"))


def rustfmt(text):
    """`text` as `cargo fmt --check` wants it (the repository's rustfmt.toml applies)."""
    return subprocess.run(
        ["rustfmt", "--edition", "2024", "--emit", "stdout"],
        input=text,
        capture_output=True,
        check=True,
        cwd=REPO_ROOT,
        text=True,
    ).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of components, root included (>= 12)")
    parser.add_argument("out", help="the .rs file to write, or with --project the project directory")
    parser.add_argument("--project", action="store_true", help="write a standalone bench project")
    args = parser.parse_args()
    try:
        if args.project:
            write_project(args.n, os.path.abspath(args.out))
        else:
            write_if_changed(args.out, graph_module(args.n))
    except ValueError as e:
        parser.error(str(e))
    print(f"{args.out}: typed graph of {args.n} components", file=sys.stderr)


if __name__ == "__main__":
    main()
