//! The planner: GC from roots, problems collected together, cycles, deep chains, order.

mod core_common;

use std::sync::Arc;

use core_common::{Drops, at, problems};
use distage::{
    DIKey, Dependent, Error, Functoid, Injector, Module, ModuleBuilder, PlannerInput, Problem,
    StepTarget,
};

struct App;
struct Svc;
struct Repo;
struct Db;
struct Unused;
struct Orphan;
struct Conflicted;
struct MissingOne;
struct MissingTwo;
struct Absent;
struct C1;
struct C2;
struct A;
struct B;
struct C;

fn step_keys(plan: &distage::Plan) -> Vec<DIKey> {
    plan.steps()
        .iter()
        .map(|s| s.target().key().clone())
        .collect()
}

fn position(plan: &distage::Plan, key: &DIKey) -> usize {
    plan.steps()
        .iter()
        .position(|s| s.target() == StepTarget::Key(key.clone()))
        .unwrap_or_else(|| panic!("{key} is not in the plan:\n{plan}"))
}

#[test]
fn a_plan_without_roots_is_for_every_binding_and_names_none() {
    let module = Module::build(|m| {
        m.make::<Svc>().from_fn(|_: Arc<Db>| Svc);
        m.make::<Db>().from_fn(|| Db);
    });
    let plan = Injector::new().plan(&PlannerInput::new(module)).unwrap();
    assert_eq!(
        step_keys(&plan),
        vec![DIKey::of::<Db>(), DIKey::of::<Svc>()]
    );
    assert!(plan.roots().is_empty());
    assert!(
        plan.to_string()
            .starts_with("plan: 2 steps, roots: every binding"),
        "{plan}"
    );
}

#[test]
fn only_keys_reachable_from_the_roots_are_planned() {
    let module = Module::build(|m| {
        m.make::<App>().from_fn(|_: Arc<Svc>| App);
        m.make::<Svc>().from_fn(|_: Arc<Db>| Svc);
        m.make::<Db>().from_fn(|| Db);
        m.make::<Unused>().from_fn(|_: Arc<Db>| Unused);
        // Unreachable: a missing dependency and a conflict are not errors.
        m.make::<Orphan>().from_fn(|_: Arc<Absent>| Orphan);
        m.make::<Conflicted>().from_fn(|| Conflicted);
        m.make::<Conflicted>().from_fn(|| Conflicted);
    });
    let plan = Injector::new()
        .plan(&PlannerInput::new(module).roots::<App>())
        .unwrap_or_else(|e| panic!("unreachable problems must not fail planning: {e}"));
    assert_eq!(
        step_keys(&plan),
        vec![DIKey::of::<Db>(), DIKey::of::<Svc>(), DIKey::of::<App>()]
    );
    assert_eq!(plan.roots(), &[DIKey::of::<App>()]);
    let removed: Vec<DIKey> = plan.removed().iter().map(|b| b.key().clone()).collect();
    assert_eq!(
        removed,
        vec![
            DIKey::of::<Unused>(),
            DIKey::of::<Orphan>(),
            DIKey::of::<Conflicted>(),
            DIKey::of::<Conflicted>(),
        ]
    );
    assert!(plan.contains(&DIKey::of::<Svc>()));
    assert!(!plan.contains(&DIKey::of::<Unused>()));

    let locator = Injector::new().produce(&plan).unwrap();
    assert!(locator.has::<App>());
    assert!(!locator.has::<Unused>());
    assert!(!locator.has::<Orphan>());
}

#[test]
fn unreached_constructors_are_never_called() {
    let calls = Drops::new();
    let c = calls.clone();
    let module = Module::build(move |m| {
        m.make::<Db>().from_fn(|| Db);
        let c = c.clone();
        m.make::<Unused>().from_fn(move || {
            c.bump();
            Unused
        });
    });
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module).roots::<Db>())
        .unwrap();
    let _locator = injector.produce(&plan).unwrap();
    assert_eq!(calls.count(), 0);
}

#[test]
fn without_roots_everything_is_planned() {
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db);
        m.make::<Unused>().from_fn(|_: Arc<Db>| Unused);
    });
    let plan = Injector::new().plan(&PlannerInput::new(module)).unwrap();
    assert_eq!(
        step_keys(&plan),
        vec![DIKey::of::<Db>(), DIKey::of::<Unused>()]
    );
    assert!(plan.removed().is_empty());
}

#[test]
fn two_missing_dependencies_and_a_cycle_are_one_error() {
    let mut b = ModuleBuilder::new();
    let line_app = line!() + 1;
    b.make::<App>()
        .from_fn(|_: Arc<Svc>, _: Arc<MissingOne>| App);
    let line_svc = line!() + 1;
    b.make::<Svc>().from_fn(|_: Arc<MissingTwo>| Svc);
    let line_c1 = line!() + 1;
    b.make::<C1>().from_fn(|_: Arc<C2>| C1);
    let line_c2 = line!() + 1;
    b.make::<C2>().from_fn(|_: Arc<C1>| C2);
    let module = b.build();

    let err = Injector::new()
        .plan(&PlannerInput::new(module))
        .unwrap_err();
    assert!(matches!(err, Error::Plan(_)));
    let problems = problems(&err);
    assert_eq!(problems.len(), 3, "{err}");

    let missing: Vec<(&DIKey, &Vec<Dependent>)> = problems
        .iter()
        .filter_map(|p| match p {
            Problem::Missing { key, needed_by, .. } => Some((key, needed_by)),
            _ => None,
        })
        .collect();
    assert_eq!(missing.len(), 2, "{err}");
    let one = missing
        .iter()
        .find(|(k, _)| **k == DIKey::of::<MissingOne>())
        .expect("MissingOne reported");
    assert_eq!(
        one.1,
        &vec![Dependent {
            target: Some(StepTarget::Key(DIKey::of::<App>())),
            origin: Some(one.1[0].origin.unwrap()),
        }]
    );
    assert_eq!(one.1[0].origin.unwrap().line(), line_app);
    assert_eq!(one.1[0].origin.unwrap().file(), file!());
    let two = missing
        .iter()
        .find(|(k, _)| **k == DIKey::of::<MissingTwo>())
        .expect("MissingTwo reported");
    assert_eq!(two.1[0].target, Some(StepTarget::Key(DIKey::of::<Svc>())));
    assert_eq!(two.1[0].origin.unwrap().line(), line_svc);

    let cycles: Vec<_> = problems
        .iter()
        .filter_map(|p| match p {
            Problem::Cycle { path } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(cycles.len(), 1, "{err}");
    let path: Vec<String> = cycles[0].iter().map(|s| s.target.to_string()).collect();
    assert!(
        path == ["C1", "C2", "C1"] || path == ["C2", "C1", "C2"],
        "{path:?}"
    );
    let c1 = cycles[0]
        .iter()
        .find(|s| s.target.to_string() == "C1")
        .unwrap();
    assert_eq!(c1.origin.line(), line_c1);

    let text = err.to_string();
    for needle in [
        "cannot plan: 3 problems".to_string(),
        "missing binding: `MissingOne` is required by `App`, but it is not bound".to_string(),
        format!("needed by `App` bound at {}", at(file!(), line_app)),
        "missing binding: `MissingTwo` is required by `Svc`, but it is not bound".to_string(),
        format!("needed by `Svc` bound at {}", at(file!(), line_svc)),
        "dependency cycle: C1 -> C2 -> C1".to_string(),
        format!("`C1` bound at {}", at(file!(), line_c1)),
        format!("`C2` bound at {}", at(file!(), line_c2)),
    ] {
        assert!(text.contains(&needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn a_cycle_reports_its_whole_path_from_the_root() {
    let mut b = ModuleBuilder::new();
    let line_a = line!() + 1;
    b.make::<A>().from_fn(|_: Arc<B>| A);
    let line_b = line!() + 1;
    b.make::<B>().from_fn(|_: Arc<C>| B);
    let line_c = line!() + 1;
    b.make::<C>().from_fn(|_: Arc<A>| C);
    let err = Injector::new()
        .plan(&PlannerInput::new(b.build()).roots::<A>())
        .unwrap_err();
    let [Problem::Cycle { path }] = problems(&err) else {
        panic!("expected exactly one cycle, got {err}");
    };
    let names: Vec<String> = path.iter().map(|s| s.target.to_string()).collect();
    assert_eq!(names, ["A", "B", "C", "A"]);
    let lines: Vec<u32> = path.iter().map(|s| s.origin.line()).collect();
    assert_eq!(lines, [line_a, line_b, line_c, line_a]);
    let text = err.to_string();
    assert!(
        text.starts_with("cannot plan: dependency cycle: A -> B -> C -> A"),
        "{text}"
    );
    assert!(text.contains(&format!("`B` bound at {}", at(file!(), line_b))));
    assert!(
        text.contains("fix: break the cycle with `Lazy<T>`"),
        "{text}"
    );
}

#[test]
fn a_two_step_cycle_reads_a_b_a() {
    let module = Module::build(|m| {
        m.make::<A>().from_fn(|_: Arc<B>| A);
        m.make::<B>().from_fn(|_: Arc<A>| B);
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module).roots::<A>())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot plan: dependency cycle: A -> B -> A"),
        "{err}"
    );
}

#[test]
fn a_self_dependency_is_a_cycle() {
    let module = Module::build(|m| {
        m.make::<A>().from_fn(|_: Arc<A>| A);
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module))
        .unwrap_err();
    let [Problem::Cycle { path }] = problems(&err) else {
        panic!("{err}");
    };
    let names: Vec<String> = path.iter().map(|s| s.target.to_string()).collect();
    assert_eq!(names, ["A", "A"]);
}

struct Link {
    depth: usize,
    _prev: Option<Arc<Link>>,
    drops: Drops,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.drops.bump();
    }
}

#[test]
fn a_chain_4000_deep_plans_produces_and_drops_without_overflowing() {
    const N: usize = 4000;
    let drops = Drops::new();
    let module = Module::build(|b| {
        for i in 0..N {
            let d = drops.clone();
            let make = b.make::<Link>().named(format!("n{i}"));
            if i == 0 {
                make.from_fn(move || Link {
                    depth: 0,
                    _prev: None,
                    drops: d.clone(),
                });
            } else {
                make.from_fn(
                    Functoid::of(move |prev: Arc<Link>| Link {
                        depth: prev.depth + 1,
                        _prev: Some(prev),
                        drops: d.clone(),
                    })
                    .named(0, format!("n{}", i - 1)),
                );
            }
        }
    });
    assert_eq!(module.len(), N);
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module).root_named::<Link>(format!("n{}", N - 1)))
        .unwrap();
    assert_eq!(plan.steps().len(), N);
    for (i, step) in plan.steps().iter().enumerate() {
        assert_eq!(
            step.target(),
            StepTarget::Key(DIKey::named::<Link>(format!("n{i}")))
        );
    }
    // Rendering and queries are iterative too.
    assert!(plan.to_string().lines().count() > N);
    let tree = plan
        .dependencies(&DIKey::named::<Link>(format!("n{}", N - 1)))
        .unwrap();
    assert_eq!(tree.nodes().len(), N);
    // Drawn with bounded indentation: linear in the chain's length, not quadratic.
    let drawn = tree.to_string();
    assert_eq!(drawn.lines().count(), N);
    assert!(drawn.len() < 200 * N, "{} bytes", drawn.len());
    assert!(
        drawn
            .lines()
            .last()
            .unwrap()
            .contains(&format!("└─ [depth {}] ", N - 1)),
        "{}",
        drawn.lines().last().unwrap()
    );

    let locator = injector.produce(&plan).unwrap();
    let last = locator.get_named::<Link>(&format!("n{}", N - 1)).unwrap();
    assert_eq!(last.depth, N - 1);
    drop(last);
    assert_eq!(drops.count(), 0);
    drop(locator);
    assert_eq!(drops.count(), N);
}

#[test]
fn every_step_comes_after_its_dependencies() {
    struct D1;
    struct D2;
    struct D3;
    struct D4;
    struct Top;
    let module = Module::build(|m| {
        // Declared in reverse on purpose.
        m.make::<Top>()
            .from_fn(|_: Arc<D4>, _: Arc<D2>, _: Arc<D1>| Top);
        m.make::<D4>().from_fn(|_: Arc<D3>, _: Arc<D1>| D4);
        m.make::<D3>().from_fn(|_: Arc<D2>| D3);
        m.make::<D2>().from_fn(|_: Arc<D1>| D2);
        m.make::<D1>().from_fn(|| D1);
    });
    let plan = Injector::new()
        .plan(&PlannerInput::new(module).roots::<Top>())
        .unwrap();
    assert_eq!(plan.steps().len(), 5);
    for (i, step) in plan.steps().iter().enumerate() {
        for dep in step.dependencies() {
            let key = dep.key().unwrap();
            let j = position(&plan, key);
            assert!(j < i, "{key} (step {j}) must come before step {i}:\n{plan}");
        }
    }
    assert_eq!(position(&plan, &DIKey::of::<D1>()), 0);
    assert_eq!(position(&plan, &DIKey::of::<Top>()), 4);
}

#[test]
fn an_explicit_empty_root_list_is_rejected() {
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db);
    });
    let input = PlannerInput::new(module).root_keys(Vec::new());
    assert_eq!(input.root_list(), Some(&[][..]));
    let err = Injector::new().plan(&input).unwrap_err();
    assert!(matches!(problems(&err), [Problem::NoRoots]), "{err}");
    assert!(err.to_string().contains("no roots"), "{err}");
}

#[test]
fn a_missing_key_names_who_needs_it_and_the_path_from_the_root() {
    let mut b = ModuleBuilder::new();
    b.make::<App>().from_fn(|_: Arc<Svc>| App);
    let line_svc = line!() + 1;
    b.make::<Svc>().from_fn(|_: Arc<Repo>| Svc);
    let line_repo = line!() + 1;
    b.make::<Repo>().from_fn(|_: Arc<Db>| Repo);
    let line_other = line!() + 1;
    b.make::<Unused>().from_fn(|_: Arc<Db>| Unused);
    let module = b.build();

    let err = Injector::new()
        .plan(&PlannerInput::new(module.clone()).roots::<App>())
        .unwrap_err();
    let [
        Problem::Missing {
            key,
            needed_by,
            path,
            ruled_out,
        },
    ] = problems(&err)
    else {
        panic!("{err}");
    };
    assert_eq!(*key, DIKey::of::<Db>());
    assert_eq!(path, &["App", "Svc", "Repo", "Db"]);
    assert_eq!(needed_by.len(), 1);
    assert_eq!(
        needed_by[0].target,
        Some(StepTarget::Key(DIKey::of::<Repo>()))
    );
    assert_eq!(needed_by[0].origin.unwrap().line(), line_repo);
    assert!(ruled_out.is_empty());
    let text = err.to_string();
    assert!(
        text.starts_with(
            "cannot plan: missing binding: `Db` is required by `Repo`, but it is not bound"
        ),
        "{text}"
    );
    assert!(text.contains(&format!(
        "needed by `Repo` bound at {}",
        at(file!(), line_repo)
    )));
    assert!(text.contains("path: App -> Svc -> Repo -> Db"), "{text}");
    assert!(text.contains("fix: bind `Db`"), "{text}");
    assert!(!text.contains(&at(file!(), line_svc)), "{text}");

    // Everyone who needs it is listed, once each.
    let err = Injector::new()
        .plan(&PlannerInput::new(module).roots::<App>().roots::<Unused>())
        .unwrap_err();
    let [Problem::Missing { needed_by, .. }] = problems(&err) else {
        panic!("{err}");
    };
    let lines: Vec<u32> = needed_by.iter().map(|d| d.origin.unwrap().line()).collect();
    assert_eq!(lines, vec![line_repo, line_other]);
}

#[test]
fn a_missing_root_is_needed_by_the_roots() {
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db);
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module).roots::<App>())
        .unwrap_err();
    let [Problem::Missing { key, needed_by, .. }] = problems(&err) else {
        panic!("{err}");
    };
    assert_eq!(*key, DIKey::of::<App>());
    assert_eq!(
        needed_by,
        &vec![Dependent {
            target: None,
            origin: None
        }]
    );
    assert!(
        err.to_string().contains("needed by the plan's roots"),
        "{err}"
    );
}

#[test]
fn a_make_without_implementation_is_reported_with_its_origin() {
    let mut b = ModuleBuilder::new();
    let line = line!() + 1;
    b.make::<Db>();
    let err = Injector::new()
        .plan(&PlannerInput::new(b.build()))
        .unwrap_err();
    let [Problem::Incomplete { key, origin }] = problems(&err) else {
        panic!("{err}");
    };
    assert_eq!(*key, DIKey::of::<Db>());
    assert_eq!(origin.line(), line);
    assert!(
        err.to_string().contains(&format!(
            "`make::<Db>()` at {} has no implementation",
            at(file!(), line)
        )),
        "{err}"
    );
}

#[test]
fn builder_calls_that_cannot_apply_are_plan_problems_with_their_origin() {
    let mut b = ModuleBuilder::new();
    let tagged_line = line!() + 1;
    b.many::<Db>().tagged(distage::Mode::Prod).add_value(Db);
    let local_line = line!() + 2;
    b.make::<distage::Subcontext<App>>()
        .local::<Repo>()
        .from_subcontext(Module::new());
    let err = Injector::new()
        .plan(&PlannerInput::new(b.build()).roots::<distage::Subcontext<App>>())
        .unwrap_err();
    let misuses: Vec<(String, u32)> = problems(&err)
        .iter()
        .filter_map(|p| match p {
            Problem::Misuse { key, origin, .. } => Some((key.to_string(), origin.line())),
            _ => None,
        })
        .collect();
    assert_eq!(
        misuses,
        vec![
            ("Set<Db>".to_string(), tagged_line),
            ("Repo".to_string(), local_line)
        ],
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "misused builder for `Set<Db>` at {}: `.tagged(…)` on a set tags the element added last, and there is none yet",
            at(file!(), tagged_line)
        )),
        "{text}"
    );
    assert!(text.contains("call `.from_subcontext(…)` first"), "{text}");
}

#[test]
fn optional_dependencies_are_not_missing() {
    let module = Module::build(|m| {
        m.make::<App>().from_fn(|db: Option<Arc<Db>>| {
            assert!(db.is_none());
            App
        });
    });
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(module)).unwrap();
    assert_eq!(plan.steps().len(), 1);
    injector.produce(&plan).unwrap();
}

/// Types declared inside a closure (a test's body, a `Module::build` callback) are named as
/// written, without the `{{closure}}` path segment the compiler gives them.
#[test]
fn types_declared_inside_a_closure_are_named_without_closure_segments() {
    let check = || {
        struct X;
        struct Y;
        let module = Module::build(|m| {
            m.make::<X>().from_fn(|_: Arc<Y>| X);
            m.make::<Y>().from_fn(|_: Arc<X>| Y);
        });
        let err = Injector::new()
            .plan(&PlannerInput::new(module).roots::<X>())
            .unwrap_err();
        assert!(
            std::any::type_name::<X>().contains("{{closure}}"),
            "the premise: {}",
            std::any::type_name::<X>()
        );
        err.to_string()
    };
    let text = check();
    assert!(
        text.starts_with("cannot plan: dependency cycle: X -> Y -> X"),
        "{text}"
    );
    assert!(!text.contains("{{"), "{text}");
}
