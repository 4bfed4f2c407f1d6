//! The axis solver: which binding an activation selects, and the errors when none can be.

mod core_common;

use std::sync::Arc;

use core_common::{at, problems};
use distage::{
    Activation, Axis, AxisInfo, DIKey, Error, Injector, Mode, Module, ModuleBuilder, PlannerInput,
    Problem, Repo, World,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    AllCaps,
    Normal,
}

impl Axis for Style {
    const NAME: &'static str = "Style";
    const CHOICES: &'static [&'static str] = &["AllCaps", "Normal"];
    fn index(&self) -> usize {
        *self as usize
    }
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Color {
    Blue,
    Green,
    Red,
}

struct Lines {
    blue: u32,
    green: u32,
    red: u32,
}

/// Blue = Mode::Test, Green = Mode::Prod, Red = Mode::Prod + Style::AllCaps.
fn colors() -> (Module, Lines) {
    let mut b = ModuleBuilder::new();
    let blue = line!() + 1;
    b.make::<Color>().tagged(Mode::Test).from_value(Color::Blue);
    let green = line!() + 1;
    b.make::<Color>()
        .tagged(Mode::Prod)
        .from_value(Color::Green);
    let red = line!() + 1;
    b.make::<Color>()
        .tagged(Mode::Prod)
        .tagged(Style::AllCaps)
        .from_value(Color::Red);
    (b.build(), Lines { blue, green, red })
}

fn choose(module: Module, activation: Activation) -> Result<Color, Error> {
    let injector = Injector::new();
    let plan = injector.plan(
        &PlannerInput::new(module)
            .activation(activation)
            .roots::<Color>(),
    )?;
    let locator = injector.produce(&plan)?;
    Ok(*locator.get::<Color>()?)
}

#[test]
fn the_distage_color_examples() {
    let (module, _) = colors();
    let cases = [
        (
            Activation::new().with(Mode::Prod).with(Style::AllCaps),
            Color::Red,
        ),
        (
            Activation::new().with(Mode::Test).with(Style::AllCaps),
            Color::Blue,
        ),
        (
            Activation::new().with(Mode::Prod).with(Style::Normal),
            Color::Green,
        ),
        (Activation::new().with(Mode::Test), Color::Blue),
        (
            Activation::new().with(Mode::Test).with(Style::Normal),
            Color::Blue,
        ),
    ];
    for (activation, expected) in cases {
        let got = choose(module.clone(), activation.clone())
            .unwrap_or_else(|e| panic!("{activation}: {e}"));
        assert_eq!(got, expected, "{activation}");
    }
}

#[test]
fn results_do_not_depend_on_module_or_activation_order() {
    let (module, _) = colors();
    let reversed: Module = module.bindings().iter().rev().cloned().collect();
    let activation = Activation::new().with(Style::AllCaps).with(Mode::Prod);
    assert_eq!(choose(reversed.clone(), activation).unwrap(), Color::Red);
    assert_eq!(
        choose(
            reversed,
            Activation::new().with(Style::Normal).with(Mode::Prod)
        )
        .unwrap(),
        Color::Green
    );
}

#[test]
fn normal_alone_leaves_mode_unset_and_is_an_error_naming_mode() {
    let (module, lines) = colors();
    let err = choose(module, Activation::new().with(Style::Normal)).unwrap_err();
    let [
        Problem::Conflict {
            key,
            candidates,
            unset_axes,
            ..
        },
    ] = problems(&err)
    else {
        panic!("{err}");
    };
    assert_eq!(*key, DIKey::of::<Color>());
    assert_eq!(unset_axes, &vec![AxisInfo::of::<Mode>()]);
    // Red is ruled out by Style::Normal; Blue and Green remain.
    let mut lines_left: Vec<u32> = candidates.iter().map(|c| c.origin.line()).collect();
    lines_left.sort();
    assert_eq!(lines_left, vec![lines.blue, lines.green]);
    let text = err.to_string();
    assert!(
        text.contains(
            "conflicting bindings: `Color` has 2 candidates under activation {Style::Normal}"
        ),
        "{text}"
    );
    assert!(
        text.contains("axis `Mode` is not set: activate one of Mode::Prod, Mode::Test"),
        "{text}"
    );
    assert!(
        text.contains(&format!("[Mode::Test] at {}", at(file!(), lines.blue))),
        "{text}"
    );
    assert!(
        text.contains(&format!("[Mode::Prod] at {}", at(file!(), lines.green))),
        "{text}"
    );
    assert!(!text.contains(&at(file!(), lines.red)), "{text}");
}

#[test]
fn the_most_specific_binding_needs_all_its_axes_set() {
    let (module, lines) = colors();
    // Green and Red remain; Red is the most specific but Style is unset.
    let err = choose(module.clone(), Activation::new().with(Mode::Prod)).unwrap_err();
    let [
        Problem::Conflict {
            unset_axes,
            candidates,
            ..
        },
    ] = problems(&err)
    else {
        panic!("{err}");
    };
    assert_eq!(unset_axes, &vec![AxisInfo::of::<Style>()]);
    let mut lines_left: Vec<u32> = candidates.iter().map(|c| c.origin.line()).collect();
    lines_left.sort();
    assert_eq!(lines_left, vec![lines.green, lines.red]);
    assert!(err.to_string().contains("axis `Style` is not set"), "{err}");

    // Nothing set at all: all three remain.
    let err = choose(module, Activation::new()).unwrap_err();
    let [
        Problem::Conflict {
            unset_axes,
            candidates,
            ..
        },
    ] = problems(&err)
    else {
        panic!("{err}");
    };
    assert_eq!(candidates.len(), 3);
    assert_eq!(
        unset_axes,
        &vec![AxisInfo::of::<Mode>(), AxisInfo::of::<Style>()]
    );
}

#[test]
fn an_untagged_default_with_a_tagged_alternative_and_the_axis_unset_is_a_conflict() {
    let mut b = ModuleBuilder::new();
    let default_line = line!() + 1;
    b.make::<Color>().from_value(Color::Green);
    let tagged_line = line!() + 1;
    b.make::<Color>().tagged(Mode::Test).from_value(Color::Blue);
    let module = b.build();

    let err = choose(module.clone(), Activation::new()).unwrap_err();
    let [
        Problem::Conflict {
            unset_axes,
            candidates,
            ..
        },
    ] = problems(&err)
    else {
        panic!("{err}");
    };
    assert_eq!(unset_axes, &vec![AxisInfo::of::<Mode>()]);
    assert_eq!(candidates.len(), 2);
    let text = err.to_string();
    assert!(text.contains("axis `Mode` is not set"), "{text}");
    assert!(
        text.contains(&format!("value Color at {}", at(file!(), default_line))),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "value Color [Mode::Test] at {}",
            at(file!(), tagged_line)
        )),
        "{text}"
    );

    // Another axis being set does not help.
    let err = choose(module.clone(), Activation::new().with(Style::Normal)).unwrap_err();
    assert!(
        matches!(problems(&err), [Problem::Conflict { .. }]),
        "{err}"
    );

    // The default is used only when the tagged alternative is contradicted.
    assert_eq!(
        choose(module.clone(), Activation::new().with(Mode::Prod)).unwrap(),
        Color::Green
    );
    assert_eq!(
        choose(module, Activation::new().with(Mode::Test)).unwrap(),
        Color::Blue
    );
}

#[test]
fn a_sole_binding_is_chosen_even_if_its_axis_is_unset() {
    let module = Module::build(|m| {
        m.make::<Color>()
            .tagged(Mode::Prod)
            .from_value(Color::Green);
    });
    assert_eq!(choose(module, Activation::new()).unwrap(), Color::Green);
}

struct Painter;

#[test]
fn a_sole_binding_with_the_opposite_choice_is_missing_for_its_dependent() {
    let mut b = ModuleBuilder::new();
    let painter_line = line!() + 1;
    b.make::<Painter>().from_fn(|_: Arc<Color>| Painter);
    let color_line = line!() + 1;
    b.make::<Color>()
        .tagged(Mode::Prod)
        .from_value(Color::Green);
    let err = Injector::new()
        .plan(
            &PlannerInput::new(b.build())
                .activation(Activation::new().with(Mode::Test))
                .roots::<Painter>(),
        )
        .unwrap_err();
    let [
        Problem::Missing {
            key,
            needed_by,
            ruled_out,
            ..
        },
    ] = problems(&err)
    else {
        panic!("{err}");
    };
    assert_eq!(*key, DIKey::of::<Color>());
    assert_eq!(needed_by[0].origin.unwrap().line(), painter_line);
    assert_eq!(ruled_out.len(), 1);
    assert_eq!(ruled_out[0].origin.line(), color_line);
    let text = err.to_string();
    assert!(
        text.contains("missing binding: `Color` is required by `Painter`, but it is not bound"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ruled out by the activation: value Color [Mode::Prod] at {}",
            at(file!(), color_line)
        )),
        "{text}"
    );
    assert!(text.contains("fix: change the activation"), "{text}");
}

#[test]
fn choices_of_different_axes_with_the_same_name_never_collide() {
    let module = Module::build(|m| {
        m.make::<Color>()
            .tagged(Mode::Prod)
            .from_value(Color::Green);
        m.make::<Color>().tagged(Mode::Test).from_value(Color::Blue);
        m.make::<Painter>().tagged(Repo::Prod).from_fn(|| Painter);
    });
    // Repo::Prod is not Mode::Prod: Mode stays unset.
    let err = choose(module.clone(), Activation::new().with(Repo::Prod)).unwrap_err();
    let [Problem::Conflict { unset_axes, .. }] = problems(&err) else {
        panic!("{err}");
    };
    assert_eq!(unset_axes, &vec![AxisInfo::of::<Mode>()]);

    // Mode::Test with Repo::Prod picks Blue, and keeps the Repo::Prod painter.
    let activation = Activation::new().with(Repo::Prod).with(Mode::Test);
    assert_eq!(
        choose(module.clone(), activation.clone()).unwrap(),
        Color::Blue
    );
    let plan = Injector::new()
        .plan(
            &PlannerInput::new(module.clone())
                .activation(activation)
                .roots::<Painter>(),
        )
        .unwrap();
    assert!(plan.contains(&DIKey::of::<Painter>()));

    // Mode::Prod does not contradict a Repo::Prod tag, Repo::Dummy does.
    let dummy = Injector::new().plan(
        &PlannerInput::new(module)
            .activation(Activation::new().with(Mode::Prod).with(Repo::Dummy))
            .roots::<Painter>(),
    );
    let err = dummy.unwrap_err();
    assert!(
        matches!(problems(&err), [Problem::Missing { key, .. }] if *key == DIKey::of::<Painter>()),
        "{err}"
    );
}

#[test]
fn two_choices_for_one_axis_is_an_error() {
    let (module, _) = colors();
    let err = choose(module, Activation::new().with(Mode::Prod).with(Mode::Test)).unwrap_err();
    assert!(
        problems(&err)
            .iter()
            .any(|p| matches!(p, Problem::ContradictoryActivation { .. })),
        "{err}"
    );
    assert!(
        err.to_string().contains(
            "contradictory activation: axis `Mode` is set to both `Mode::Prod` and `Mode::Test`"
        ),
        "{err}"
    );
}

#[test]
fn two_bindings_with_the_same_tags_are_a_duplicate() {
    let module = Module::build(|m| {
        m.make::<Color>()
            .tagged(Mode::Prod)
            .from_value(Color::Green);
        m.make::<Color>().tagged(Mode::Prod).from_value(Color::Red);
    });
    let err = choose(module, Activation::new().with(Mode::Prod)).unwrap_err();
    assert!(
        err.to_string()
            .contains("duplicate binding: `Color` is bound 2 times with no distinguishing tag"),
        "{err}"
    );
}

#[test]
fn unreachable_keys_are_not_resolved_against_the_activation() {
    let module = Module::build(|m| {
        m.make::<Painter>().from_fn(|| Painter);
        // Both alive under an empty activation, but nobody needs Color.
        m.make::<Color>()
            .tagged(Mode::Prod)
            .from_value(Color::Green);
        m.make::<Color>().tagged(Mode::Test).from_value(Color::Blue);
    });
    Injector::new()
        .plan(&PlannerInput::new(module).roots::<Painter>())
        .unwrap();
}

#[test]
fn set_elements_are_filtered_by_the_activation() {
    let module = Module::build(|m| {
        m.many::<&'static str>()
            .add_value("always")
            .add_value("prod")
            .tagged(Mode::Prod)
            .add_value("test")
            .tagged(Mode::Test)
            .add_value("prod+real")
            .tagged(Mode::Prod)
            .tagged(World::Real)
            .add_value("mock")
            .tagged(World::Mock);
    });
    let elements = |activation: Activation| -> Vec<&'static str> {
        let injector = Injector::new();
        let plan = injector
            .plan(
                &PlannerInput::new(module.clone())
                    .activation(activation)
                    .root_set::<&'static str>(),
            )
            .unwrap();
        let locator = injector.produce(&plan).unwrap();
        locator
            .get_set::<&'static str>()
            .unwrap()
            .iter()
            .map(|s| **s)
            .collect()
    };
    assert_eq!(
        elements(Activation::new().with(Mode::Prod).with(World::Real)),
        vec!["always", "prod", "prod+real"]
    );
    assert_eq!(
        elements(Activation::new().with(Mode::Test).with(World::Mock)),
        vec!["always", "test", "mock"]
    );
    assert_eq!(
        elements(Activation::new().with(Mode::Test).with(World::Real)),
        vec!["always", "test"]
    );
}

#[test]
fn a_chosen_binding_pulls_in_its_own_dependencies_only() {
    struct ProdDb;
    struct TestDb;
    let module = Module::build(|m| {
        m.make::<ProdDb>().from_fn(|| ProdDb);
        m.make::<TestDb>().from_fn(|| TestDb);
        m.make::<Color>()
            .tagged(Mode::Prod)
            .from_fn(|_: Arc<ProdDb>| Color::Green);
        m.make::<Color>()
            .tagged(Mode::Test)
            .from_fn(|_: Arc<TestDb>| Color::Blue);
    });
    let plan = Injector::new()
        .plan(
            &PlannerInput::new(module)
                .activation(Activation::new().with(Mode::Test))
                .roots::<Color>(),
        )
        .unwrap();
    assert!(plan.contains(&DIKey::of::<TestDb>()));
    assert!(!plan.contains(&DIKey::of::<ProdDb>()));
    assert_eq!(plan.steps().len(), 2);
    assert_eq!(plan.removed().len(), 2, "{plan}");
}
