//! From the planner's nodes, in production order, to a plan's steps and arguments.

use super::*;

impl<'a> Planner<'a> {
    /// The step at which node `n`'s instance is made: a reference's is its referent's (0 for
    /// one in a parent locator, made before anything here), anything else's its own.
    pub(super) fn produced_at(&self, n: NodeId, step_of: &[u32]) -> u32 {
        if let Source::Binding(b) = self.node(n).source()
            && let ImplKind::Reference(_) = self.binding(b).provider().kind()
        {
            match self.edges(b).next() {
                Some(Edge::Node(t, _)) => return step_of[t.index()],
                Some(Edge::Parent(..)) => return 0,
                _ => {}
            }
        }
        step_of[n.index()]
    }

    /// The plan's data, but for its key index (left empty), and where each key went.
    pub(super) fn build(
        self,
        order: Vec<NodeId>,
        roots: Option<Vec<DIKey>>,
        parent: Option<Arc<PlanData>>,
    ) -> (PlanData, Numbered) {
        let mut step_of = vec![u32::MAX; self.nodes.len()];
        for (step, &node) in order.iter().enumerate() {
            step_of[node.index()] = step as u32;
        }
        let mut imported: Vec<DIKey> = Vec::new();
        let mut steps = Vec::with_capacity(order.len());
        let mut args: Vec<PackedArg> = Vec::with_capacity(self.index.dep_count());
        let mut loggers: Vec<Arc<str>> = Vec::new();
        let mut after: Vec<(u32, u32, bool)> = Vec::new();
        for (step_no, &n) in order.iter().enumerate() {
            let args_start = args.len() as u32;
            let step = match self.node(n).source() {
                Source::Binding(b) => {
                    // Named after the step only when something asks for a `Logger`.
                    let mut logger: Option<u32> = None;
                    args.extend(self.edges(b).map(|edge| {
                        PackedArg::new(match edge {
                            Edge::Node(t, DepMode::Lazy) => {
                                ArgSource::LazyLocal(step_of[t.index()])
                            }
                            Edge::Node(t, _) => ArgSource::Local(step_of[t.index()]),
                            Edge::Parent(p, DepMode::Lazy) => ArgSource::LazyParent(p),
                            Edge::Parent(p, _) => ArgSource::Parent(p),
                            Edge::Absent => ArgSource::Absent,
                            Edge::Locator => ArgSource::Locator,
                            Edge::Logger => ArgSource::Logger(*logger.get_or_insert_with(|| {
                                loggers.push(logger_name(self.binding(b)).into());
                                (loggers.len() - 1) as u32
                            })),
                        })
                    }));
                    // In step order, as `PlanData::after` is searched.
                    after.extend(self.extra_of(n).iter().map(|&(e, mode)| {
                        (step_no as u32, step_of[e.index()], mode == DepMode::Lazy)
                    }));
                    Step {
                        source: StepSource::Binding(self.binding(b).clone()),
                        args: (args_start, args.len() as u32),
                    }
                }
                Source::Input(k) => Step {
                    source: StepSource::Other(Box::new(OtherStep {
                        key: self.inputs[k as usize].0.clone(),
                        origin: self.inputs[k as usize].1,
                        kind: OtherKind::Input(k as usize),
                    })),
                    args: (args_start, args_start),
                },
                Source::Set(s) => {
                    let set = &self.sets[s as usize];
                    // In the order the elements' instances were produced: a reference's
                    // instance is its referent's, made at the referent's step.
                    let mut element_steps: Vec<(u32, u32)> = set
                        .elements
                        .iter()
                        .map(|&e| (self.produced_at(e, &step_of), step_of[e.index()]))
                        .collect();
                    element_steps.sort_unstable();
                    if set.inherited.is_some() {
                        imported.push(set.key.clone());
                    }
                    args.extend(
                        element_steps
                            .iter()
                            .map(|&(_, s)| PackedArg::new(ArgSource::Local(s))),
                    );
                    Step {
                        source: StepSource::Other(Box::new(OtherStep {
                            key: set.key.clone(),
                            origin: set.origin,
                            kind: OtherKind::Assemble {
                                assemble: set.assemble,
                                inherited: set.inherited,
                            },
                        })),
                        args: (args_start, args.len() as u32),
                    }
                }
            };
            steps.push(step);
        }
        let bound = self
            .state
            .iter()
            .zip(self.index.keys())
            .filter_map(|(r, k)| Some((k, r.get()?)));
        imported.extend(
            bound
                .chain(self.others.iter().map(|(k, r)| (*k, *r)))
                .filter(|(_, r)| matches!(r, Resolution::Parent(_)))
                .map(|(k, _)| k.clone()),
        );
        imported.sort();
        let removed = self
            .bindings
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(b, _)| b.clone())
            .collect();
        let unbound = self
            .others
            .iter()
            .filter_map(|(k, r)| match r {
                Resolution::Node(n) => Some(((*k).clone(), step_of[n.index()] as usize)),
                _ => None,
            })
            .collect();
        let shares_itself =
            (args.iter()).any(|a| matches!(a.get(), ArgSource::Locator | ArgSource::LazyLocal(_)));
        let data = PlanData {
            shares_itself,
            steps,
            args,
            parents: self.parents,
            loggers,
            after,
            index: KeyIndex::default(),
            roots,
            removed,
            imported,
            activation: self.activation.clone(),
            parent,
        };
        let numbered = Numbered {
            state: self.state,
            step_of,
            unbound,
        };
        (data, numbered)
    }
}
