//! `--check`: every role under every activation planned, and every config section each of those
//! plans needs deserialized — distage's `checkWithConfig` — producing nothing.

use distage_core::{Activation, AxisChoice, PlanCheck};

use super::cli::Cli;
use super::{App, Exit};
use crate::config::AppConfig;

/// Checks the roles given on the command line, or every role; `-u` choices fix their axes.
pub(super) fn check(app: &App, cli: &Cli, config: &AppConfig) -> Result<(), Exit> {
    let roles: Vec<_> = if cli.roles.is_empty() {
        app.roles.iter().collect()
    } else {
        cli.roles.iter().map(|(r, _)| r).collect()
    };
    if roles.is_empty() {
        return Err(Exit::failure("--check: no role to check"));
    }
    let fixed = Activation::parse(&cli.uses.join(","), &app.axes)
        .map_err(|e| Exit::usage(e.to_string()))?;
    let activations = combinations(&app.axes, &fixed);
    let mut broken = 0;
    let mut out = format!(
        "--check: {} role(s) x {} configuration(s)",
        roles.len(),
        activations.len()
    );
    for role in roles {
        let mut problems: Vec<String> = Vec::new();
        let mut report = PlanCheck::new(app.module.clone())
            .root_key(role.key().clone())
            .provided::<AppConfig>();
        for axis in &app.axes {
            if let Some(choice) = fixed.choice(axis) {
                for other in axis.choices().filter(|c| *c != choice) {
                    report = report.exclude(other);
                }
            }
        }
        let report = report.run();
        if !report.is_ok() {
            problems.push(report.to_string().replace('\n', "\n    "));
        }
        // Config: each section a configuration's plan needs, once per distinct problem.
        let mut config_problems: Vec<(String, Vec<String>)> = Vec::new();
        for activation in &activations {
            let Ok(plan) = app.plan(config, activation.clone(), [role.key().clone()]) else {
                continue; // reported by PlanCheck above
            };
            for problem in app.config_problems(&plan, config) {
                let text = problem.to_string();
                match config_problems.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, acts)) => acts.push(activation.to_string()),
                    None => config_problems.push((text, vec![activation.to_string()])),
                }
            }
        }
        for (text, acts) in config_problems {
            problems.push(format!(
                "{text}\n      in {} configuration(s): {}",
                acts.len(),
                acts.join(", ")
            ));
        }
        if problems.is_empty() {
            out.push_str(&format!("\n  :{} ok", role.id()));
        } else {
            broken += 1;
            out.push_str(&format!("\n  :{} broken:", role.id()));
            for p in problems {
                out.push_str(&format!("\n    - {p}"));
            }
        }
    }
    if broken == 0 {
        Err(Exit::printed(0, out))
    } else {
        Err(Exit {
            code: 1,
            stdout: None,
            stderr: Some(format!("{out}\nerror: {broken} role(s) broken")),
        })
    }
}

/// Every activation setting each axis to one of its choices (only `fixed`'s on the axes it
/// sets); one empty activation when there are no axes.
fn combinations(axes: &[distage_core::AxisInfo], fixed: &Activation) -> Vec<Activation> {
    let mut all = vec![Activation::new()];
    for axis in axes {
        let choices: Vec<AxisChoice> = match fixed.choice(axis) {
            Some(choice) => vec![choice],
            None => axis.choices().collect(),
        };
        all = all
            .iter()
            .flat_map(|a| choices.iter().map(|c| a.clone().with(*c)))
            .collect();
    }
    all
}
