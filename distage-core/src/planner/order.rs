//! Production order, and the cycles that prevent one.

use super::*;

impl<'a> Planner<'a> {
    /// Node `v`'s `i`th edge that may order production: `None` past the last; `Some(None)` for
    /// one that does not (a lazy dependency, or one not planned here). Dependencies (or a set's
    /// elements) come first, then what a subcontext takes.
    pub(super) fn ordering_edge(&self, v: NodeId, i: usize) -> Option<Option<NodeId>> {
        let own = match self.node(v).source() {
            Source::Binding(b) => {
                let deps = self.index.deps(b);
                if let Some(&dep) = deps.get(i) {
                    return Some(match self.edge(b, i, dep) {
                        Edge::Node(t, DepMode::Strict | DepMode::Optional) => Some(t),
                        _ => None,
                    });
                }
                deps.len()
            }
            Source::Set(s) => {
                let elements = &self.sets[s as usize].elements;
                match elements.get(i) {
                    Some(&e) => return Some(Some(e)),
                    None => elements.len(),
                }
            }
            Source::Input(_) => 0,
        };
        let &(e, mode) = self.extra_of(v).get(i - own)?;
        Some((mode != DepMode::Lazy).then_some(e))
    }

    /// One iterative depth-first pass: post-order is the production order (dependencies first);
    /// every back edge is a cycle, reported once with its whole path. (Stack positions as
    /// `u32`, as node numbers are: the arrays of this pass are among a 10,000-node plan's
    /// largest temporaries.)
    pub(super) fn order_and_find_cycles(
        &mut self,
        root_nodes: &[NodeId],
        every_key: bool,
    ) -> Vec<NodeId> {
        const MAX_CYCLES: usize = 32;
        let n = self.nodes.len();
        let mut state = vec![0u8; n]; // 0 unvisited, 1 on the stack, 2 done
        let mut stack_pos = vec![u32::MAX; n];
        let mut order = Vec::with_capacity(n);
        // (node, its next edge)
        let mut stack: Vec<(NodeId, u32)> = Vec::new();
        let mut seen_cycles: KeySet<Vec<NodeId>> = KeySet::default();
        let mut cycles: Vec<Vec<NodeId>> = Vec::new();
        // Every key's node (in key order) when planning everything, then the roots', then the
        // rest.
        let keys = self
            .state
            .iter()
            .take(if every_key { usize::MAX } else { 0 });
        let key_nodes = keys.filter_map(|r| match r.get() {
            Some(Resolution::Node(n)) => Some(n),
            _ => None,
        });
        let starts = key_nodes
            .chain(root_nodes.iter().copied())
            .chain(NodeId::all(n));
        for start in starts {
            if state[start.index()] != 0 {
                continue;
            }
            state[start.index()] = 1;
            stack_pos[start.index()] = 0;
            stack.push((start, 0));
            while let Some(top) = stack.last_mut() {
                let (v, next) = *top;
                let Some(edge) = self.ordering_edge(v, next as usize) else {
                    state[v.index()] = 2;
                    stack.pop();
                    order.push(v);
                    continue;
                };
                top.1 += 1;
                let Some(w) = edge else { continue };
                match state[w.index()] {
                    0 => {
                        state[w.index()] = 1;
                        stack_pos[w.index()] = stack.len() as u32;
                        stack.push((w, 0));
                    }
                    1 => {
                        let cycle: Vec<NodeId> = stack[stack_pos[w.index()] as usize..]
                            .iter()
                            .map(|&(x, _)| x)
                            .collect();
                        let mut canonical = cycle.clone();
                        canonical.sort_unstable();
                        if cycles.len() < MAX_CYCLES && seen_cycles.insert(canonical) {
                            cycles.push(cycle);
                        }
                    }
                    _ => {}
                }
            }
        }
        for cycle in cycles {
            let mut path: Vec<CycleStep> = cycle
                .iter()
                .map(|&c| CycleStep {
                    target: self.target(c).step_target(),
                    origin: self.origin(c),
                })
                .collect();
            path.push(path[0].clone());
            self.problems.push(Problem::Cycle { path });
        }
        order
    }
}
