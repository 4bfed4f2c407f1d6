//! The synthetic graph the benchmarks share: a layered DAG where component `i` depends on up to
//! three earlier components, chosen by a fixed-seed generator, so every run measures the same
//! graph.

#![allow(dead_code)]

use std::sync::Arc;

use distage::{DIKey, Dependency, Functoid, Module, TypeInfo};

/// A component: its value is derived from its dependencies', which it keeps.
pub struct Node {
    pub value: u64,
    pub deps: Vec<Arc<Node>>,
}

/// The dependencies of component `i` (distinct, all earlier).
pub fn deps(i: usize) -> Vec<usize> {
    let mut state = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(3);
    for _ in 0..3 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if i > 0 {
            let d = (state as usize) % i;
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

pub fn key(i: usize) -> DIKey {
    DIKey::named::<Node>(format!("n{i}"))
}

struct NodeFn;

/// The graph as a module: component `i` is `Node` named `n{i}`.
pub fn module(n: usize) -> Module {
    Module::build(|m| {
        for i in 0..n {
            let d = deps(i);
            let count = d.len();
            let f = Functoid::new(
                d.iter().map(|&j| Dependency::strict(key(j))).collect(),
                TypeInfo::of::<NodeFn>(),
                move |args| {
                    let mut deps = Vec::with_capacity(count);
                    for _ in 0..count {
                        deps.push(args.take::<Arc<Node>>()?);
                    }
                    Ok(Node {
                        value: deps.iter().map(|d| d.value).sum::<u64>() + 1,
                        deps,
                    })
                },
            );
            m.make::<Node>().named(format!("n{i}")).from_fn(f);
        }
    })
}
