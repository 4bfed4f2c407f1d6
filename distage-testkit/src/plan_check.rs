//! PlanCheck as tests: one test per activation of a module, named after it, so a failing run
//! names the configuration that broke.

use distage_core::{Activation, AxisChoice, Module, PlanCheck};
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

/// The tests of one `plan_check_tests!` call: the module is checked once (planning every
/// configuration, producing nothing); each test reports its configuration's problems.
pub(crate) fn plan_check_trials(entry: &PlanCheckTests) -> Vec<Trial> {
    let report = PlanCheck::new((entry.module)()).run();
    let prefix = test_name(entry.module_path, &format!("plan_check::{}", entry.name));
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
