//! Verifying a subcontext's submodule when its parent is planned.

use super::*;

impl<'a> Planner<'a> {
    /// Plans a subcontext's module under this activation, its locals given: its problems are this
    /// plan's problems, the axes it consults are this plan's, and what it takes from this
    /// locator is resolved here, so that it is kept (and, unless only needed lazily, produced
    /// before the subcontext).
    pub(super) fn verify_subcontext(
        &mut self,
        node: NodeId,
        spec: &'a crate::module::SubcontextSpec,
    ) {
        let index = Index::new(&spec.module);
        let provided = KeySet::default();
        let roots = Roots::Keys(vec![spec.root.clone()]);
        let (nested, _, _) = traverse(
            &index,
            self.activation,
            &roots,
            &[],
            &[],
            &provided,
            &spec.locals,
        );
        self.consulted.extend(nested.consulted.iter().copied());
        // Keys the subcontext's module neither binds nor receives as locals, however they are
        // needed (`Option<Arc<T>>` included): the subcontext finds them in this locator.
        let bindings = spec.module.bindings();
        let unbound = |key: &DIKey| matches!(nested.resolution(key), Some(Resolution::Missing));
        let mut outer: Vec<(&'a DIKey, DepMode)> = Vec::new();
        if unbound(&spec.root) {
            outer.push((&spec.root, DepMode::Strict));
        }
        for (i, n) in NodeId::all(nested.nodes.len()).zip(&nested.nodes) {
            match n.source() {
                Source::Binding(b) => {
                    for dep in bindings[b.index()].provider().deps.iter() {
                        if let Dependency::Key { key, mode } = dep
                            && unbound(key)
                        {
                            outer.push((key, *mode));
                        }
                    }
                }
                // A set the subcontext declares also holds this locator's elements.
                Source::Set(_) => {
                    if let Some(b) = bindings.iter().find(|b| b.key() == nested.target(i).key()) {
                        outer.push((b.key(), DepMode::Optional));
                    }
                }
                Source::Input(_) => {}
            }
        }
        let mut missing: Vec<&'a DIKey> = Vec::new();
        for &(key, mode) in &outer {
            match self.resolve(key, Some(node)) {
                Resolution::Node(n) => self.push_extra(node, n, mode),
                Resolution::Missing if mode != DepMode::Optional => missing.push(key),
                _ => {}
            }
        }
        for problem in nested.problems {
            let Problem::Missing {
                key,
                needed_by,
                mut path,
                ruled_out,
            } = problem
            else {
                self.problems.push(problem);
                continue;
            };
            if !missing.contains(&&key) {
                if outer.iter().any(|(k, _)| **k == key) {
                    continue;
                }
                // Needed by a subcontext nested in this one: look for it here too.
                let Some(found) = find_dependency(&spec.module, &key) else {
                    continue;
                };
                match self.resolve(found, Some(node)) {
                    Resolution::Node(n) => {
                        self.push_extra(node, n, DepMode::Strict);
                        continue;
                    }
                    Resolution::Missing => {}
                    _ => continue,
                }
            }
            path.insert(0, self.target(node).to_string());
            self.problems.push(Problem::Missing {
                key,
                needed_by,
                path,
                ruled_out,
            });
        }
    }
}
