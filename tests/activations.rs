//! Activations (the axis solver over `module!` bindings) and `PlanCheck` over every
//! configuration.

use std::sync::Arc;

use distage::prelude::*;
use distage::{AxisInfo, DIKey, PlanCheckReport, Problem};

trait Cache: Send + Sync {
    fn name(&self) -> &'static str;
}

macro_rules! caches {
    ($($name:ident),*) => {$(
        #[derive(Injectable)]
        struct $name;
        impl Cache for $name {
            fn name(&self) -> &'static str {
                stringify!($name)
            }
        }
    )*};
}

caches!(Redis, LocalRedis, MockCache, Memory, Fallback);

module! {
    CacheModule {
        make<dyn Cache>.from<Redis>().tagged(Mode::Prod).tagged(World::Real);
        make<dyn Cache>.from<LocalRedis>().tagged(Mode::Test).tagged(World::Real);
        make<dyn Cache>.from<MockCache>().tagged(Mode::Prod).tagged(World::Mock);
        make<dyn Cache>.from<Memory>().tagged(Mode::Test).tagged(World::Mock);
    }
}

fn chosen(module: Module, activation: Activation) -> Result<&'static str, distage::Error> {
    let injector = Injector::new();
    let plan = injector.plan(
        &PlannerInput::new(module)
            .activation(activation)
            .roots::<dyn Cache>(),
    )?;
    Ok(injector.produce(&plan)?.get::<dyn Cache>()?.name())
}

#[test]
fn a_two_by_two_of_mode_and_world_picks_exactly() {
    let cases = [
        (Mode::Prod, World::Real, "Redis"),
        (Mode::Test, World::Real, "LocalRedis"),
        (Mode::Prod, World::Mock, "MockCache"),
        (Mode::Test, World::Mock, "Memory"),
    ];
    for (mode, world, expected) in cases {
        let activation = Activation::new().with(mode).with(world);
        assert_eq!(
            chosen(CacheModule::module(), activation).unwrap(),
            expected,
            "{mode:?} {world:?}"
        );
    }
    // With World left open, two candidates remain: a conflict naming the unset axis.
    let err = chosen(CacheModule::module(), Activation::new().with(Mode::Prod))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("conflicting bindings: `dyn Cache` has 2 candidates"),
        "{err}"
    );
    assert!(
        err.contains("axis `World` is not set: activate one of World::Real, World::Mock"),
        "{err}"
    );
}

module! {
    DefaultedModule {
        make<dyn Cache>.from<Fallback>();
        make<dyn Cache>.from<Redis>().tagged(Mode::Prod);
    }
}

#[test]
fn an_untagged_default_is_used_only_when_every_alternative_is_contradicted() {
    assert_eq!(
        chosen(
            DefaultedModule::module(),
            Activation::new().with(Mode::Test)
        )
        .unwrap(),
        "Fallback"
    );
    assert_eq!(
        chosen(
            DefaultedModule::module(),
            Activation::new().with(Mode::Prod)
        )
        .unwrap(),
        "Redis"
    );
    let err = chosen(DefaultedModule::module(), Activation::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("axis `Mode` is not set"), "{err}");
}

#[derive(Axis, Clone, Copy, Debug)]
enum Style {
    AllCaps,
    Normal,
}

#[test]
fn activations_merge_right_wins_and_parse_from_strings() {
    let base = Activation::new().with(Mode::Prod).with(World::Real);
    let merged = base.merge(&Activation::new().with(Mode::Test).with(Style::Normal));
    assert_eq!(
        merged,
        Activation::new()
            .with(Mode::Test)
            .with(World::Real)
            .with(Style::Normal)
    );
    assert_eq!(
        merged.to_string(),
        "{Mode::Test, Style::Normal, World::Real}"
    );

    let known = [
        AxisInfo::of::<Mode>(),
        AxisInfo::of::<World>(),
        AxisInfo::of::<Style>(),
    ];
    let parsed = Activation::parse("mode:prod, style:allcaps", &known).unwrap();
    assert_eq!(
        parsed,
        Activation::new().with(Mode::Prod).with(Style::AllCaps)
    );
    let err = Activation::parse("mood:prod", &known)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown axis `mood`"), "{err}");
    assert!(
        err.contains("mode:{prod|test}, world:{real|mock}, style:{allcaps|normal}"),
        "{err}"
    );
    let err = Activation::parse("mode:staging", &known)
        .unwrap_err()
        .to_string();
    assert!(err.contains("axis `Mode` has no choice `staging`"), "{err}");
    // Later pairs override earlier ones: defaults, then what the command line says.
    let layered = Activation::parse(
        "mode:prod repo:prod, style:normal repo:dummy",
        &[AxisInfo::of::<Style>()],
    )
    .unwrap();
    assert_eq!(
        layered,
        Activation::new()
            .with(Mode::Prod)
            .with(Repo::Dummy)
            .with(Style::Normal)
    );
    // The standard axes need not be listed.
    assert_eq!(
        Activation::parse("world:mock", &[]).unwrap(),
        Activation::new().with(World::Mock)
    );
}

// ---- PlanCheck ----

#[derive(Injectable)]
struct Service {
    _cache: Arc<dyn Cache>,
}

module! {
    ProdOnlyModule {
        make<dyn Cache>.from<Redis>().tagged(Mode::Prod);
        make<Service>;
    }
}

fn report_text(report: &PlanCheckReport) -> String {
    report.to_string()
}

#[test]
fn plan_check_passes_a_module_that_plans_in_every_configuration() {
    let report = PlanCheck::new(CacheModule::module())
        .roots::<dyn Cache>()
        .run();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.configurations(), 4);
    PlanCheck::new(CacheModule::module()).assert_ok();
}

#[test]
fn plan_check_names_each_broken_configuration_and_why() {
    let report = PlanCheck::new(ProdOnlyModule::module())
        .roots::<Service>()
        .run();
    assert!(!report.is_ok());
    let broken: Vec<String> = report
        .broken()
        .iter()
        .map(|b| b.activation.to_string())
        .collect();
    assert_eq!(broken, vec!["{Mode::Test}"]);
    assert!(
        matches!(&report.broken()[0].problems[..], [Problem::Missing { key, ruled_out, .. }]
        if *key == DIKey::of::<dyn Cache>() && ruled_out.len() == 1)
    );
    let text = report_text(&report);
    assert!(
        text.contains("PlanCheck: 2 configuration(s) of axes [Mode], 1 broken"),
        "{text}"
    );
    assert!(
        text.contains("missing binding: `dyn Cache` is required by `Service`, but it is not bound"),
        "{text}"
    );
    assert!(
        text.contains("in 1 configuration(s): {Mode::Test}"),
        "{text}"
    );
    // Leaving the test configurations out makes it pass.
    PlanCheck::new(ProdOnlyModule::module())
        .roots::<Service>()
        .exclude(Mode::Test)
        .assert_ok();
}

#[test]
#[should_panic(expected = "missing binding: `dyn Cache` is required by `Service`")]
fn assert_ok_panics_with_the_whole_report() {
    PlanCheck::new(ProdOnlyModule::module())
        .roots::<Service>()
        .assert_ok();
}

struct Config;

#[derive(Injectable)]
struct NeedsConfig {
    _config: Arc<Config>,
}

module! {
    RequiresConfig {
        make<NeedsConfig>;
        requires Config;
    }
}

#[test]
fn provided_and_required_keys_are_not_missing() {
    // `requires` in the module counts as provided.
    PlanCheck::new(RequiresConfig::module()).assert_ok();
    let runtime = Module::build(|m| {
        m.make::<NeedsConfig>()
            .from_fn(|c: Arc<Config>| NeedsConfig { _config: c });
    });
    assert!(!PlanCheck::new(runtime.clone()).run().is_ok());
    PlanCheck::new(runtime).provided::<Config>().assert_ok();
}

#[test]
fn contradictory_tags_duplicates_and_shadowed_bindings_are_reported() {
    let module = Module::build(|m| {
        m.make::<dyn Cache>()
            .from_impl::<Redis>(|c| c)
            .tagged(Mode::Prod)
            .tagged(Mode::Test);
        m.make::<dyn Cache>().from_impl::<Memory>(|c| c);
        m.make::<u8>().from_value(1).tagged(World::Real);
        m.make::<u8>().from_value(2).tagged(World::Real);
        m.make::<u8>().from_value(3).tagged(World::Mock);
        m.make::<u16>().from_value(1);
        m.make::<u16>().from_value(2).tagged(Repo::Prod);
        m.make::<u16>().from_value(3).tagged(Repo::Dummy);
    });
    let report = PlanCheck::new(module).run();
    let text = report_text(&report);
    assert!(
        text.contains("contradictory tags: a binding of `dyn Cache`"),
        "{text}"
    );
    assert!(
        text.contains("duplicate binding: `u8` is bound 2 times with no distinguishing tag"),
        "{text}"
    );
    assert!(text.contains("shadowed binding: no combination of axis choices selects this binding of `u16`: value u16 at"), "{text}");
    let shadowed = report
        .module_problems()
        .iter()
        .filter(|p| matches!(p, Problem::Shadowed { .. }))
        .count();
    assert_eq!(shadowed, 1, "{text}");
}

#[test]
fn configurations_agreeing_on_the_axes_that_matter_are_planned_once() {
    // Three axes, 8 configurations; only Mode matters for `Service`, so two are planned.
    let module = ProdOnlyModule::module()
        + Module::build(|m| {
            m.make::<u8>().from_value(1).tagged(World::Real);
            m.make::<u8>().from_value(2).tagged(World::Mock);
            m.make::<u16>().from_value(1).tagged(Repo::Prod);
            m.make::<u16>().from_value(2).tagged(Repo::Dummy);
        });
    let report = PlanCheck::new(module).roots::<Service>().run();
    assert_eq!(
        (report.configurations(), report.planned()),
        (8, 2),
        "{report}"
    );
    assert_eq!(
        report.broken().len(),
        4,
        "every Mode::Test configuration is broken"
    );
}
