//! Property tests: random DAGs plan in dependency order, injected back edges are reported as real
//! cycles, and a failure at a random position releases exactly what was acquired, in reverse.

mod core_common;

use std::collections::BTreeSet;
use std::sync::Arc;

use core_common::{Log, problems};
use distage::__private::Args;
use distage::{
    BoxError, DIKey, Dependency, Error, Functoid, Injector, Lifecycle, Module, ModuleBuilder, Plan,
    PlannerInput, Problem, StepTarget, TypeInfo,
};
use proptest::prelude::*;
use proptest::sample::subsequence;

/// Identifies the generated node constructors (for deduplication, all distinct by key anyway).
struct NodeFn;

fn key(i: usize) -> DIKey {
    DIKey::named::<u64>(format!("n{i}"))
}

fn index_of(target: &StepTarget) -> usize {
    let StepTarget::Key(k) = target else {
        panic!("unexpected step {target}");
    };
    k.id()
        .expect("named")
        .as_str()
        .strip_prefix('n')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected key {k}"))
}

/// Node `i` depends on `deps`; its value is `i + sum(deps' values)` (wrapping).
fn node(i: usize, deps: &[usize]) -> Functoid<u64> {
    let n = deps.len();
    Functoid::new(
        deps.iter().map(|&j| Dependency::strict(key(j))).collect(),
        TypeInfo::of::<NodeFn>(),
        move |args: &mut Args<'_>| {
            let mut sum = i as u64;
            for _ in 0..n {
                let v: Arc<u64> = args.take()?;
                sum = sum.wrapping_add(*v);
            }
            Ok(sum)
        },
    )
}

/// Declares the nodes in `order`.
fn graph_module(deps: &[Vec<usize>], order: &[usize]) -> Module {
    let mut b = ModuleBuilder::new();
    for &i in order {
        b.make::<u64>()
            .named(format!("n{i}"))
            .from_fn(node(i, &deps[i]));
    }
    b.build()
}

/// Node `i` depends on a random subset (at most 5) of the nodes before it.
fn dag(max: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1..=max).prop_flat_map(|n| {
        (0..n)
            .map(|i| subsequence((0..i).collect::<Vec<_>>(), 0..=i.min(5)))
            .collect::<Vec<_>>()
    })
}

/// A DAG and a random declaration order.
fn dag_and_order(max: usize) -> impl Strategy<Value = (Vec<Vec<usize>>, Vec<usize>)> {
    dag(max).prop_flat_map(|deps| {
        let order = Just((0..deps.len()).collect::<Vec<_>>()).prop_shuffle();
        (Just(deps), order)
    })
}

/// `from` and everything it transitively depends on.
fn closure(deps: &[Vec<usize>], from: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(v) = stack.pop() {
        if seen.insert(v) {
            stack.extend(deps[v].iter().copied());
        }
    }
    seen
}

fn expected_values(deps: &[Vec<usize>]) -> Vec<u64> {
    let mut values: Vec<u64> = Vec::with_capacity(deps.len());
    for (i, ds) in deps.iter().enumerate() {
        let v = ds
            .iter()
            .fold(i as u64, |acc, &j| acc.wrapping_add(values[j]));
        values.push(v);
    }
    values
}

fn assert_dependency_order(plan: &Plan, deps: &[Vec<usize>]) -> Result<(), TestCaseError> {
    let mut position = vec![usize::MAX; deps.len()];
    for (p, step) in plan.steps().iter().enumerate() {
        position[index_of(&step.target())] = p;
    }
    for (p, step) in plan.steps().iter().enumerate() {
        let i = index_of(&step.target());
        let step_deps: Vec<usize> = step
            .dependencies()
            .iter()
            .map(|d| {
                let k = d.key().expect("key dependency");
                index_of(&StepTarget::Key(k.clone()))
            })
            .collect();
        prop_assert_eq!(&step_deps, &deps[i]);
        for &j in &deps[i] {
            prop_assert!(
                position[j] < p,
                "n{} (step {}) must come before n{} (step {})",
                j,
                position[j],
                i,
                p
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_dags_plan_in_dependency_order((deps, order) in dag_and_order(60)) {
        let n = deps.len();
        let module = graph_module(&deps, &order);
        let injector = Injector::new();
        let plan = injector.plan(&PlannerInput::new(module)).map_err(|e| {
            TestCaseError::fail(format!("{e}"))
        })?;
        prop_assert_eq!(plan.steps().len(), n);
        assert_dependency_order(&plan, &deps)?;

        let locator = injector.produce(&plan).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = expected_values(&deps);
        for (i, v) in expected.iter().enumerate() {
            prop_assert_eq!(*locator.get_named::<u64>(&format!("n{i}")).unwrap(), *v);
        }
    }

    #[test]
    fn rooted_random_dags_plan_exactly_what_the_root_needs(
        (deps, order) in dag_and_order(60),
        root_pick in any::<prop::sample::Index>(),
    ) {
        let n = deps.len();
        let root = root_pick.index(n);
        let module = graph_module(&deps, &order);
        let plan = Injector::new()
            .plan(&PlannerInput::new(module).root_key(key(root)))
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let planned: BTreeSet<usize> =
            plan.steps().iter().map(|s| index_of(&s.target())).collect();
        let needed = closure(&deps, root);
        prop_assert_eq!(&planned, &needed);
        prop_assert_eq!(plan.steps().len(), needed.len());
        prop_assert_eq!(plan.removed().len(), n - needed.len());
        prop_assert_eq!(index_of(&plan.steps().last().unwrap().target()), root);
        assert_dependency_order(&plan, &deps)?;
    }

    #[test]
    fn an_injected_back_edge_is_reported_as_a_real_cycle(
        (mut deps, order) in dag_and_order(40),
        to_pick in any::<prop::sample::Index>(),
        from_pick in any::<prop::sample::Index>(),
    ) {
        // `to` reaches `from` (or is it), so the new edge `from -> to` closes a cycle.
        let to = to_pick.index(deps.len());
        let reach: Vec<usize> = closure(&deps, to).into_iter().collect();
        let from = *from_pick.get(&reach);
        deps[from].push(to);

        let module = graph_module(&deps, &order);
        let err = Injector::new()
            .plan(&PlannerInput::new(module))
            .expect_err("a cycle must fail planning");
        prop_assert!(matches!(err, Error::Plan(_)));
        let problems = problems(&err);
        prop_assert!(!problems.is_empty());
        for problem in problems {
            let Problem::Cycle { path } = problem else {
                return Err(TestCaseError::fail(format!("only cycles expected: {err}")));
            };
            let nodes: Vec<usize> = path.iter().map(|s| index_of(&s.target)).collect();
            prop_assert!(nodes.len() >= 2, "{:?}", nodes);
            prop_assert_eq!(nodes.first(), nodes.last());
            for w in nodes.windows(2) {
                prop_assert!(
                    deps[w[0]].contains(&w[1]),
                    "n{} does not depend on n{} in cycle {:?}",
                    w[0],
                    w[1],
                    nodes
                );
            }
            // The rest of the graph is acyclic: every cycle goes through the injected edge.
            prop_assert!(
                nodes.windows(2).any(|w| w == [from, to]),
                "cycle {:?} misses the edge n{} -> n{}",
                nodes,
                from,
                to
            );
            // A simple cycle: no node repeats except the closing one.
            let inner: BTreeSet<usize> = nodes[..nodes.len() - 1].iter().copied().collect();
            prop_assert_eq!(inner.len(), nodes.len() - 1);
        }
        prop_assert!(err.to_string().contains("dependency cycle: "));
    }

    #[test]
    fn a_failure_in_a_chain_releases_exactly_what_was_acquired_in_reverse(
        (n, k) in (1usize..=70).prop_flat_map(|n| (Just(n), 0..n)),
        fail_in_acquire in any::<bool>(),
    ) {
        let log = Log::new();
        let mut b = ModuleBuilder::new();
        for i in 0..n {
            let l = log.clone();
            let make = b.make::<u64>().named(format!("r{i}"));
            if i == k && !fail_in_acquire {
                // A plain fallible constructor instead of a resource.
                let fail = move || -> Result<u64, BoxError> { Err(format!("r{i} failed").into()) };
                if i == 0 {
                    make.from_try_fn(Functoid::of(fail));
                } else {
                    make.from_try_fn(
                        Functoid::of(move |_: Arc<u64>| fail()).named(0, format!("r{}", i - 1)),
                    );
                }
                continue;
            }
            let lifecycle = move || -> Lifecycle<u64> {
                if i == k {
                    Lifecycle::try_make(
                        move || Err::<u64, _>(format!("r{i} failed")),
                        |_| Ok::<(), BoxError>(()),
                    )
                } else {
                    l.resource(&format!("r{i}"), i as u64)
                }
            };
            if i == 0 {
                make.from_resource(Functoid::of(lifecycle));
            } else {
                make.from_resource(
                    Functoid::of(move |_: Arc<u64>| lifecycle()).named(0, format!("r{}", i - 1)),
                );
            }
        }
        let injector = Injector::new();
        let plan = injector
            .plan(&PlannerInput::new(b.build()))
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let err = match injector.produce(&plan) {
            Err(Error::Produce(e)) => e,
            Err(other) => return Err(TestCaseError::fail(format!("unexpected {other}"))),
            Ok(_) => return Err(TestCaseError::fail("producing must fail")),
        };
        prop_assert_eq!(&err.target, &StepTarget::Key(DIKey::named::<u64>(format!("r{k}"))));
        let failed_suffix = format!(": r{k} failed");
        prop_assert!(err.to_string().ends_with(&failed_suffix), "{}", err);
        let mut expected: Vec<String> = (0..k).map(|i| format!("r{i} start")).collect();
        expected.extend((0..k).rev().map(|i| format!("r{i} stop")));
        prop_assert_eq!(log.entries(), expected);
    }

    #[test]
    fn a_failure_in_a_random_dag_releases_the_acquired_prefix_in_reverse(
        (deps, order) in dag_and_order(80),
        fail_pick in any::<prop::sample::Index>(),
    ) {
        let n = deps.len();
        let k = fail_pick.index(n);
        let log = Log::new();
        let mut b = ModuleBuilder::new();
        for &i in &order {
            let l = log.clone();
            let ds = deps[i].clone();
            let resource = Functoid::new(
                ds.iter().map(|&j| Dependency::strict(key(j))).collect(),
                TypeInfo::of::<NodeFn>(),
                move |args: &mut Args<'_>| {
                    for _ in 0..ds.len() {
                        let _: Arc<u64> = args.take()?;
                    }
                    Ok(if i == k {
                        Lifecycle::try_make(
                            move || Err::<u64, _>("acquire failed"),
                            |_| Ok::<(), BoxError>(()),
                        )
                    } else {
                        l.resource(&format!("n{i}"), i as u64)
                    })
                },
            );
            b.make::<u64>().named(format!("n{i}")).from_resource(resource);
        }
        let injector = Injector::new();
        let plan = injector
            .plan(&PlannerInput::new(b.build()))
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let before: Vec<usize> = plan
            .steps()
            .iter()
            .map(|s| index_of(&s.target()))
            .take_while(|&i| i != k)
            .collect();
        let err = match injector.produce(&plan) {
            Err(Error::Produce(e)) => e,
            Err(other) => return Err(TestCaseError::fail(format!("unexpected {other}"))),
            Ok(_) => return Err(TestCaseError::fail("producing must fail")),
        };
        prop_assert_eq!(&err.target, &StepTarget::Key(key(k)));
        let mut expected: Vec<String> = before.iter().map(|i| format!("n{i} start")).collect();
        expected.extend(before.iter().rev().map(|i| format!("n{i} stop")));
        prop_assert_eq!(log.entries(), expected);
    }
}
