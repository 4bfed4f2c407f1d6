//! PlanCheck as tests: one test per role x activation of a module (per activation without
//! roles), named after it, so a failing run names the configuration that broke.

use distage_core::{Activation, AxisChoice, DIKey, Injector, Module, PlanCheck, PlannerInput};
use distage_framework::{AppConfig, ConfigSection, RoleEntry};
use libtest_mimic::Trial;

use crate::harness::test_name;

/// A module registered by `plan_check_tests!`.
#[derive(Debug)]
pub struct PlanCheckTests {
    /// The name the tests are grouped under (the module's name).
    pub name: &'static str,
    /// `module_path!()` of the macro call.
    pub module_path: &'static str,
    /// The module to check.
    pub module: fn() -> Module,
}

inventory::collect!(PlanCheckTests);

/// `axis:choice` in lower case, as on a command line (`repo:dummy`).
fn choice_name(choice: &AxisChoice) -> String {
    format!("{}:{}", choice.axis().name(), choice.name()).to_lowercase()
}

/// The test name of one configuration: its choices joined with `,`, or `default` without axes.
pub(crate) fn configuration_name(activation: &Activation) -> String {
    let names: Vec<String> = activation.choices().map(|c| choice_name(&c)).collect();
    if names.is_empty() {
        "default".to_string()
    } else {
        names.join(",")
    }
}

/// Every combination of one choice per axis.
fn combinations(axes: &[distage_core::AxisInfo]) -> Vec<Activation> {
    let mut all = vec![Activation::new()];
    for axis in axes {
        all = all
            .into_iter()
            .flat_map(|a| axis.choices().map(move |c| a.clone().with(c)))
            .collect();
    }
    all
}

/// The roles a module binds (`role<T>;`): their entries are plain values, so producing their set
/// builds nothing else. `None` when the set does not plan.
fn roles(module: &Module) -> Result<Vec<RoleEntry>, String> {
    let declared = module.clone()
        + Module::build(|m| {
            m.many::<RoleEntry>();
        });
    let injector = Injector::new();
    let input = PlannerInput::new(declared).root_set::<RoleEntry>();
    let locator = injector
        .plan(&input)
        .and_then(|plan| injector.produce(&plan))
        .map_err(|e| e.to_string())?;
    let roles = locator.get_set::<RoleEntry>().map_err(|e| e.to_string())?;
    Ok(roles.iter().map(|r| (**r).clone()).collect())
}

/// The module without the framework's own sets (what the launcher plans roles against).
fn without_framework_sets(module: &Module) -> Module {
    let internal = [
        DIKey::set_of::<RoleEntry>(),
        DIKey::set_of::<ConfigSection>(),
    ];
    module
        .bindings()
        .iter()
        .filter(|b| !internal.contains(b.key()))
        .cloned()
        .collect()
}

/// The tests of one `plan_check_tests!` call: one per role x activation for a module with roles
/// (each role's plan, as `app :role` would make it, config provided), one per activation of the
/// whole module otherwise. Each `PlanCheck` plans every configuration once, producing nothing.
pub(crate) fn plan_check_trials(entry: &PlanCheckTests) -> Vec<Trial> {
    let module = (entry.module)();
    let prefix = test_name(entry.module_path, &format!("plan_check::{}", entry.name));
    let roles = match roles(&module) {
        Ok(roles) => roles,
        Err(e) => {
            let message = format!("the roles of the module cannot be read:\n{e}");
            return vec![Trial::test(format!("{prefix}::roles"), move || {
                Err(message.into())
            })];
        }
    };
    if roles.is_empty() {
        return configuration_trials(&prefix, PlanCheck::new(module));
    }
    let module = without_framework_sets(&module);
    roles
        .iter()
        .flat_map(|role| {
            let check = PlanCheck::new(module.clone())
                .root_key(role.key().clone())
                .provided::<AppConfig>();
            configuration_trials(&format!("{prefix}::{}", role.id()), check)
        })
        .collect()
}

/// One test per activation of `check`'s module, named `<prefix>::<activation>`, plus one named
/// `<prefix>::module` when the module itself has problems (e.g. a binding no activation selects).
fn configuration_trials(prefix: &str, check: PlanCheck) -> Vec<Trial> {
    let report = check.run();
    let mut trials: Vec<Trial> = combinations(report.axes())
        .into_iter()
        .map(|activation| {
            let problems: Vec<String> = report
                .broken()
                .iter()
                .filter(|b| b.activation == activation)
                .flat_map(|b| b.problems.iter().map(|p| p.to_string()))
                .collect();
            let name = format!("{prefix}::{}", configuration_name(&activation));
            Trial::test(name, move || {
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "configuration {activation} does not plan:\n{}",
                        problems.join("\n")
                    )
                    .into())
                }
            })
        })
        .collect();
    if !report.module_problems().is_empty() {
        let problems: Vec<String> = report
            .module_problems()
            .iter()
            .map(|p| p.to_string())
            .collect();
        trials.push(Trial::test(format!("{prefix}::module"), move || {
            Err(problems.join("\n").into())
        }));
    }
    trials
}

#[cfg(test)]
mod tests {
    use super::*;
    use distage_core::{Mode, Repo};

    #[test]
    fn configurations_are_named_after_their_choices() {
        let a = Activation::new().with(Repo::Dummy).with(Mode::Test);
        let name = configuration_name(&a);
        assert!(name.contains("repo:dummy"), "{name}");
        assert!(name.contains("mode:test"), "{name}");
        assert_eq!(configuration_name(&Activation::new()), "default");
    }

    #[test]
    fn combinations_take_one_choice_per_axis() {
        let axes = [
            distage_core::AxisInfo::of::<Repo>(),
            distage_core::AxisInfo::of::<Mode>(),
        ];
        let all = combinations(&axes);
        let expected = axes[0].choices().count() * axes[1].choices().count();
        assert_eq!(all.len(), expected);
        let mut names: Vec<String> = all.iter().map(configuration_name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), expected);
    }
}
