//! Plan introspection: Display with origins, DOT and Mermaid exports, dependency trees.

mod core_common;

use std::sync::Arc;

use core_common::at;
use distage::{
    Activation, DIKey, Injector, Lazy, Mode, ModuleBuilder, Plan, PlannerInput, StepTarget,
};

struct Config;
struct Db;
struct Repo;
struct Cache;
struct Service;
struct Unused;

struct Lines {
    config: u32,
    db: u32,
    repo: u32,
    cache: u32,
    service: u32,
    set: u32,
}

/// Config <- Db <- Repo <- Service, Cache <- Service (Mode::Prod), Set<u8> <- Service (lazy Db).
fn plan() -> (Plan, Lines) {
    let mut b = ModuleBuilder::new();
    let config = line!() + 1;
    b.make::<Config>().from_fn(|| Config);
    let db = line!() + 1;
    b.make::<Db>().from_fn(|_: Arc<Config>| Db);
    let repo = line!() + 1;
    b.make::<Repo>().from_fn(|_: Arc<Db>| Repo);
    let cache = line!() + 1;
    b.make::<Cache>().tagged(Mode::Prod).from_fn(|| Cache);
    b.make::<Cache>().tagged(Mode::Test).from_fn(|| Cache);
    let service = line!() + 1;
    b.make::<Service>()
        .from_fn(|_: Arc<Repo>, _: Arc<Cache>, _: distage::Set<u8>, _: Lazy<Db>| Service);
    let set = line!() + 1;
    b.many::<u8>().add_value(1);
    b.make::<Unused>().from_fn(|| Unused);
    let plan = Injector::new()
        .plan(
            &PlannerInput::new(b.build())
                .activation(Activation::new().with(Mode::Prod))
                .roots::<Service>(),
        )
        .unwrap();
    (
        plan,
        Lines {
            config,
            db,
            repo,
            cache,
            service,
            set,
        },
    )
}

fn index_of(plan: &Plan, target: &str) -> usize {
    plan.steps()
        .iter()
        .position(|s| s.target().to_string() == target)
        .unwrap_or_else(|| panic!("no step {target}:\n{plan}"))
}

#[test]
fn display_lists_every_step_with_its_origin() {
    let (plan, lines) = plan();
    let text = plan.to_string();
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "plan: 7 steps, roots: Service, activation {Mode::Prod}"
    );
    for (target, line) in [
        ("Config", lines.config),
        ("Db", lines.db),
        ("Repo", lines.repo),
        ("Cache", lines.cache),
        ("Service", lines.service),
        ("Set<u8>", lines.set),
    ] {
        let row = text
            .lines()
            .find(|r| {
                r.split_once(". ")
                    .is_some_and(|(_, rest)| rest.starts_with(&format!("{target} ")))
            })
            .unwrap_or_else(|| panic!("no row for {target}:\n{text}"));
        assert!(
            row.trim_end()
                .ends_with(&format!("at {}", at(file!(), line))),
            "{row}"
        );
    }
    let service_row = text.lines().find(|r| r.contains("Service ")).unwrap();
    assert!(
        service_row.contains(":= fn(Repo, Cache, Set<u8>, lazy Db)"),
        "{service_row}"
    );
    let cache_row = text.lines().find(|r| r.contains("Cache ")).unwrap();
    assert!(cache_row.contains("[Mode::Prod]"), "{cache_row}");
    assert!(text.contains("Set<u8> element value u8"), "{text}");
    // The bindings left out are listed too.
    assert!(text.contains("left out (2):"), "{text}");
    assert!(text.contains("make Unused := fn at"), "{text}");
    assert!(text.contains("make Cache := fn [Mode::Test] at"), "{text}");
    // Numbered rows: one per step.
    let numbered = text
        .lines()
        .filter(|r| {
            r.trim_start()
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(numbered, plan.steps().len());
}

#[test]
fn steps_expose_target_origin_tags_and_dependencies() {
    let (plan, lines) = plan();
    let service = plan.step(&DIKey::of::<Service>()).unwrap();
    assert_eq!(service.target(), StepTarget::Key(DIKey::of::<Service>()));
    assert_eq!(service.origin().line(), lines.service);
    assert_eq!(service.origin().file(), file!());
    let deps: Vec<String> = service
        .dependencies()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(deps, ["Repo", "Cache", "Set<u8>", "lazy Db"]);
    let cache = plan.step(&DIKey::of::<Cache>()).unwrap();
    assert_eq!(cache.tags().to_string(), "[Mode::Prod]");
    assert!(plan.step(&DIKey::of::<Unused>()).is_none());
}

#[test]
fn dot_contains_every_step_and_edge() {
    let (plan, _) = plan();
    let dot = plan.to_dot();
    assert!(dot.starts_with("digraph plan {"), "{dot}");
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    for (i, step) in plan.steps().iter().enumerate() {
        let node = format!("  s{i} [label=\"{}\\n", step.target());
        assert!(dot.contains(&node), "missing {node:?} in\n{dot}");
        assert!(dot.contains(&step.origin().to_string()), "{dot}");
    }
    let edge =
        |from: &str, to: &str| format!("s{} -> s{}", index_of(&plan, from), index_of(&plan, to));
    for (from, to) in [
        ("Db", "Config"),
        ("Repo", "Db"),
        ("Service", "Repo"),
        ("Service", "Cache"),
        ("Service", "Set<u8>"),
        ("Set<u8>", "Set<u8> element value u8"),
    ] {
        assert!(
            dot.contains(&format!("  {};", edge(from, to))),
            "{from} -> {to}:\n{dot}"
        );
    }
    assert!(
        dot.contains(&format!(
            "  {} [style=dashed, label=\"lazy\"];",
            edge("Service", "Db")
        )),
        "{dot}"
    );
    let edges = dot.lines().filter(|l| l.contains(" -> ")).count();
    assert_eq!(edges, 7, "{dot}");
    assert!(!dot.contains("Unused"), "{dot}");
}

#[test]
fn mermaid_contains_every_step_and_edge() {
    let (plan, _) = plan();
    let mermaid = plan.to_mermaid();
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    for (i, step) in plan.steps().iter().enumerate() {
        let target = step
            .target()
            .to_string()
            .replace('<', "#lt;")
            .replace('>', "#gt;");
        let node = format!("  s{i}[\"{target}<br/>");
        assert!(mermaid.contains(&node), "missing {node:?} in\n{mermaid}");
    }
    let edge =
        |from: &str, to: &str| format!("s{} --> s{}", index_of(&plan, from), index_of(&plan, to));
    for (from, to) in [
        ("Db", "Config"),
        ("Repo", "Db"),
        ("Service", "Repo"),
        ("Service", "Cache"),
        ("Service", "Set<u8>"),
    ] {
        assert!(
            mermaid.contains(&edge(from, to)),
            "{from} -> {to}:\n{mermaid}"
        );
    }
    assert!(
        mermaid.contains(&format!(
            "s{} -.->|lazy| s{}",
            index_of(&plan, "Service"),
            index_of(&plan, "Db")
        )),
        "{mermaid}"
    );
    let edges = mermaid
        .lines()
        .filter(|l| l.contains("-->") || l.contains("-.->"))
        .count();
    assert_eq!(edges, 7, "{mermaid}");
}

fn names(targets: Vec<&StepTarget>) -> Vec<String> {
    targets.iter().map(|t| t.to_string()).collect()
}

#[test]
fn dependency_and_dependee_trees() {
    let (plan, lines) = plan();
    let deps = plan.dependencies(&DIKey::of::<Service>()).unwrap();
    assert_eq!(
        deps.nodes()[0].target,
        StepTarget::Key(DIKey::of::<Service>())
    );
    assert_eq!(deps.nodes()[0].depth, 0);
    let mut got = names(deps.targets());
    got.sort();
    assert_eq!(
        got,
        [
            "Cache",
            "Config",
            "Db",
            "Repo",
            "Set<u8>",
            "Set<u8> element value u8"
        ]
    );
    let db_nodes: Vec<_> = deps
        .nodes()
        .iter()
        .filter(|n| n.target == StepTarget::Key(DIKey::of::<Db>()))
        .collect();
    // Db appears under Repo (strict) and directly under Service (lazy): expanded once.
    assert_eq!(db_nodes.len(), 2);
    assert_eq!(db_nodes.iter().filter(|n| n.repeated).count(), 1);
    assert!(db_nodes.iter().any(|n| n.lazy && n.depth == 1));
    let rendered = deps.to_string();
    assert!(
        rendered.starts_with(&format!("Service ({})", at(file!(), lines.service))),
        "{rendered}"
    );
    assert!(rendered.contains("└~ Db"), "{rendered}");
    assert!(rendered.contains("[see above]"), "{rendered}");

    let leaf = plan.dependencies(&DIKey::of::<Config>()).unwrap();
    assert_eq!(leaf.nodes().len(), 1);
    assert!(leaf.targets().is_empty());

    let dependees = plan.dependees(&DIKey::of::<Config>()).unwrap();
    assert_eq!(names(dependees.targets()), ["Db", "Repo", "Service"]);
    let db_dependees = plan.dependees(&DIKey::of::<Db>()).unwrap();
    let mut got = names(db_dependees.targets());
    got.sort();
    assert_eq!(got, ["Repo", "Service"]);
    assert!(
        plan.dependees(&DIKey::of::<Service>())
            .unwrap()
            .targets()
            .is_empty()
    );
    assert!(plan.dependencies(&DIKey::of::<Unused>()).is_none());
    assert!(plan.dependees(&DIKey::of::<Unused>()).is_none());
}

#[test]
fn a_child_plan_shows_what_it_takes_from_the_parent() {
    let (plan, _) = plan();
    let parent = Injector::new().produce(&plan).unwrap();
    let mut b = ModuleBuilder::new();
    b.make::<Unused>().from_fn(|_: Arc<Db>| Unused);
    let child = Injector::inherit(&parent)
        .plan(&PlannerInput::new(b.build()))
        .unwrap();
    assert_eq!(child.imported(), &[DIKey::of::<Db>()]);
    assert!(
        child.to_string().contains("from the parent locator: Db"),
        "{child}"
    );
    let dot = child.to_dot();
    assert!(
        dot.contains("p0 [label=\"Db\\n(parent)\", style=dashed];"),
        "{dot}"
    );
    assert!(dot.contains("s0 -> p0;"), "{dot}");
}

#[test]
fn a_wide_tree_draws_its_first_hundred_children_and_counts_the_rest() {
    let module = distage::Module::build(|m| {
        let mut set = m.many::<u32>();
        for i in 0..250u32 {
            set = set.add_value(i);
        }
    });
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(module)).unwrap();
    let tree = plan.dependencies(&DIKey::set_of::<u32>()).unwrap();
    assert_eq!(tree.nodes().len(), 251);
    let drawn = tree.to_string();
    let lines: Vec<&str> = drawn.lines().collect();
    assert_eq!(lines.len(), 1 + 100 + 1, "{drawn}");
    assert_eq!(lines.last().unwrap().trim(), "└─ … and 150 more");
}
