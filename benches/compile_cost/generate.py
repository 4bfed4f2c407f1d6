#!/usr/bin/env python3
"""Generate a standalone Cargo project that wires N components, with distage or by hand.

    python3 benches/compile_cost/generate.py N {distage,hand} OUT_DIR

Both modes get the same graph: components C0..C{N-1} in layers of max(10, ceil(N / 32))
components (so at most 32 layers); every component outside the first layer depends on 1 to 3
distinct components of the (up to) three layers just before its own, drawn with a fixed-seed PRNG
(splitmix64, so the graph does not depend on the Python version). The last component is the one
`main` gets.

The depth is bounded on purpose: a chain of 63 structs each holding an `Arc` of the next
overflows rustc's drop check at the default `recursion_limit` of 128 (E0320 "overflow while
adding drop-check rules for `Arc<C950>`"), hand-written or not, so with a fixed layer width the
graph stops compiling around N = 650 for reasons that have nothing to do with wiring.
`--layer-width 10` reproduces that.

- distage: `#[derive(Injectable)]` structs, one `module! { pub AppModule { make<c::Ci>; ... } }`;
  `main` plans and produces the whole module with `distage::Injector`, then gets C{N-1}.
- hand: the same structs, built into a `Vec<Arc<dyn Any + Send + Sync>>` by chunked functions
  of CHUNK components each (no function with N droppable locals: lesson 3 of
  shared/notes/compile-scale.md), dependencies taken back out with `downcast`.

The components live in `mod c` and are named by path (`c::C7`) where `module!` is invoked.
`--flat` keeps the structs at the crate root instead (names `C0`..`C31` once collided with
`module!`'s generated const generics; `tests/ui/pass/hygiene.rs` now covers that).

The project depends on distage by path (the repository root, computed from this file's
location, or $DISTAGE_PATH) and gets a copy of that workspace's Cargo.lock, so no new resolution
happens (Cargo only drops the entries the project does not use). It declares an empty
`[workspace]` so that Cargo does not attach it to the distage workspace it sits under
(`target/compile_cost/`).
"""

import argparse
import os
import shutil
import sys

SEED = 0x5EED_D15_7A6E
MIN_LAYER_WIDTH = 10
MAX_LAYERS = 32
WINDOW_LAYERS = 3
MAX_DEPS = 3
CHUNK = 64

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# The distage checkout the project depends on: this repository, unless DISTAGE_PATH names another
# (run.sh sets it to a `git archive` snapshot when DISTAGE_REV is given).
DISTAGE_PATH = os.path.abspath(os.environ.get("DISTAGE_PATH") or REPO_ROOT)


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def layer_width(n):
    return max(MIN_LAYER_WIDTH, -(-n // MAX_LAYERS))


def graph(n, width=None, root=False):
    """deps[i]: the sorted, distinct earlier components that component i needs. With `root`,
    the last component is a root that needs every earlier component nothing else needs (what an
    application's main or router does: fan-in of about N / 8)."""
    if root:
        deps = graph(n - 1, width or layer_width(n))
        needed = {j for ds in deps for j in ds}
        deps.append([i for i in range(n - 1) if i not in needed])
        return deps
    width = width or layer_width(n)
    rng = SplitMix64(SEED)
    deps = []
    for i in range(n):
        layer = i // width
        if layer == 0:
            deps.append([])
            continue
        lo = max(0, (layer - WINDOW_LAYERS) * width)
        hi = layer * width  # exclusive: only earlier layers
        want = 1 + rng.below(MAX_DEPS)
        chosen = set()
        while len(chosen) < min(want, hi - lo):
            chosen.add(lo + rng.below(hi - lo))
        deps.append(sorted(chosen))
    return deps


def struct(i, ds, derive):
    attr = "#[derive(Injectable)]\n" if derive else ""
    fields = "".join(f"    pub d{k}: Arc<C{j}>,\n" for k, j in enumerate(ds))
    return f"{attr}pub struct C{i} {{\n{fields}}}\n"


def components(deps, derive, flat):
    """The structs, in `mod c` (returned prefix `c::`) or at the crate root (`--flat`)."""
    structs = "".join(struct(i, ds, derive) for i, ds in enumerate(deps))
    if flat:
        return structs, ""
    uses = "    use std::sync::Arc;\n"
    if derive:
        uses += "\n    use distage::prelude::*;\n"
    body = "".join(f"    {line}\n" if line else "\n" for line in structs.splitlines())
    return f"pub mod c {{\n{uses}\n{body}}}\n", "c::"


def distage_main(n, deps, flat, typed=False):
    structs, c = components(deps, True, flat)
    last = f"{c}C{n - 1}"
    mode = "typed" if typed else "distage"
    out = [
        f"//! Generated by benches/compile_cost/generate.py ({mode} mode). Do not edit.\n",
        "#![allow(dead_code)]\n\n",
        "use std::sync::Arc;\n\n",
        "use distage::prelude::*;\n\n",
        structs,
        "\nmodule! {\n" + ("    #[typed]\n" if typed else "") + "    pub AppModule {\n",
    ]
    out += [f"        make<{c}C{i}>;\n" for i in range(n)]
    out.append("    }\n}\n\n")
    if typed:
        # The typed graph is what the program builds; the runtime module is generated as well.
        out.append(
            "fn main() -> Result<(), distage::Error> {\n"
            "    let graph = AppModule::Typed::build()?;\n"
            f"    let last: Arc<{last}> = graph.get::<{last}>();\n"
            "    std::hint::black_box(&last);\n"
            "    graph.close()\n"
            "}\n"
        )
        return "".join(out)
    out.append(
        "fn main() -> Result<(), distage::Error> {\n"
        "    let injector = Injector::new();\n"
        "    let plan = injector.plan(&PlannerInput::new(AppModule::module()))?;\n"
        f"    assert_eq!(plan.steps().len(), {n});\n"
        "    let locator = injector.produce(&plan)?;\n"
        f"    let last: Arc<{last}> = locator.get::<{last}>()?;\n"
        "    std::hint::black_box(&last);\n"
        "    locator.close()\n"
        "}\n"
    )
    return "".join(out)


def hand_main(n, deps, flat):
    structs, c = components(deps, False, flat)
    out = [
        "//! Generated by benches/compile_cost/generate.py (hand mode). Do not edit.\n",
        "#![allow(dead_code)]\n\n",
        "use std::any::Any;\n",
        "use std::sync::Arc;\n\n",
        "type Slot = Arc<dyn Any + Send + Sync>;\n\n",
        "fn get<T: Any + Send + Sync>(built: &[Slot], i: usize) -> Arc<T> {\n",
        "    match Arc::clone(&built[i]).downcast::<T>() {\n",
        "        Ok(arc) => arc,\n",
        "        Err(_) => panic!(\"component {i} has the wrong type\"),\n",
        "    }\n",
        "}\n\n",
        structs,
    ]
    parts = []
    for start in range(0, n, CHUNK):
        name = f"build_part{start // CHUNK}"
        parts.append(name)
        out.append(f"\nfn {name}(built: &mut Vec<Slot>) {{\n")
        for i in range(start, min(n, start + CHUNK)):
            fields = "".join(f" d{k}: get(built, {j})," for k, j in enumerate(deps[i]))
            out.append(f"    built.push(Arc::new({c}C{i} {{{fields} }}));\n")
        out.append("}\n")
    last = n - 1
    out.append(f"\nfn main() {{\n    let mut built: Vec<Slot> = Vec::with_capacity({n});\n")
    out += [f"    {p}(&mut built);\n" for p in parts]
    out.append(
        f"    assert_eq!(built.len(), {n});\n"
        f"    let last: Arc<{c}C{last}> = get(&built, {last});\n"
        "    std::hint::black_box(&last);\n"
        "}\n"
    )
    return "".join(out)


def crate_name(n, mode):
    return f"cc_{mode}_{n}"


def depth(deps):
    """Components on the longest dependency chain."""
    longest = []
    for ds in deps:
        longest.append(1 + max((longest[j] for j in ds), default=0))
    return max(longest)


def write_project(n, mode, out_dir, flat=False, width=None, root=False):
    deps = graph(n, width, root)
    name = crate_name(n, mode).replace("_", "-")
    os.makedirs(os.path.join(out_dir, "src"), exist_ok=True)
    dependencies = f'distage = {{ path = "{DISTAGE_PATH}" }}\n' if mode != "hand" else ""
    cargo_toml = (
        "# Generated by benches/compile_cost/generate.py. Do not edit.\n"
        "[package]\n"
        f'name = "{name}"\n'
        'version = "0.0.0"\n'
        'edition = "2024"\n'
        "publish = false\n\n"
        "[dependencies]\n"
        f"{dependencies}\n"
        "# Standalone: not a member of the distage workspace this directory sits under.\n"
        "[workspace]\n"
    )
    if mode == "hand":
        main_rs = hand_main(n, deps, flat)
    else:
        main_rs = distage_main(n, deps, flat, typed=mode == "typed")
    write_if_changed(os.path.join(out_dir, "Cargo.toml"), cargo_toml)
    write_if_changed(os.path.join(out_dir, "src", "main.rs"), main_rs)
    # The workspace's versions; Cargo only prunes what this project does not use.
    shutil.copyfile(os.path.join(DISTAGE_PATH, "Cargo.lock"), os.path.join(out_dir, "Cargo.lock"))
    edges = sum(len(d) for d in deps)
    print(
        f"{out_dir}: {n} components, {edges} edges, longest chain {depth(deps)},"
        f" crate {crate_name(n, mode)}",
        file=sys.stderr,
    )


def write_if_changed(path, text):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of components (>= 1)")
    parser.add_argument("mode", choices=["distage", "typed", "hand"])
    parser.add_argument("out_dir", help="directory of the generated project")
    parser.add_argument(
        "--flat",
        action="store_true",
        help="structs at the crate root, where `module!` is invoked (reproduces the C0..C31 clash)",
    )
    parser.add_argument(
        "--layer-width",
        type=int,
        help="components per layer (default max(10, ceil(N / 32))); 10 makes deep graphs",
    )
    parser.add_argument(
        "--root",
        action="store_true",
        help="the last component needs every component nothing else needs (fan-in ~N/8)",
    )
    args = parser.parse_args()
    if args.n < 1:
        parser.error("n must be at least 1")
    write_project(
        args.n, args.mode, os.path.abspath(args.out_dir), args.flat, args.layer_width, args.root
    )


if __name__ == "__main__":
    main()
