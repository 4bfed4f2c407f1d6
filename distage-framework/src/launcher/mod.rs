//! `RoleAppMain`: the launcher that runs the roles chosen on the command line.

mod cli;
mod run;
mod verify;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::process::ExitCode;

use distage_core::{Activation, AxisInfo, DIKey, Injector, Module, Plan, PlannerInput};

use crate::check::DynIntegrationCheck;
use crate::config::{AppConfig, ConfigError, ConfigSection};
use crate::plugin::{Plugin, plugins};
use crate::role::RoleEntry;
use cli::PlanFormat;

/// Runs a distage application from its command line:
///
/// ```text
/// app [-u axis:choice]... [-c file.toml]... [--print-plan [text|dot|mermaid]] [--check]
///     [--log-level L] :role [role args] [:role2 [role2 args]]...
/// ```
///
/// Only the chosen roles are roots: what they do not need is never built. Services start
/// concurrently once everything is produced and every integration check passed; tasks run in
/// the order given; SIGINT or SIGTERM stops the services and releases every resource in reverse
/// order (a second signal exits at once). Exit codes: 0 done, 1 a plan, config, produce,
/// integration check or role failure (every problem printed), 2 a usage mistake (unknown role,
/// bad `-u`, bad arguments), 130 a task interrupted by a signal.
#[derive(Debug)]
pub struct RoleAppMain {
    name: String,
    about: Option<String>,
    modules: Vec<Module>,
    plugins: bool,
    defaults: Activation,
}

impl RoleAppMain {
    /// A launcher for the application `name`: the program name in help, `<name>.toml` the
    /// default config file, `<NAME>_` the prefix of config environment variables.
    pub fn new(name: impl Into<String>) -> Self {
        RoleAppMain {
            name: name.into(),
            about: None,
            modules: Vec::new(),
            plugins: false,
            defaults: Activation::new(),
        }
    }

    /// The one-line description `--help` starts with.
    pub fn about(mut self, about: impl Into<String>) -> Self {
        self.about = Some(about.into());
        self
    }

    /// The choices used where `-u` sets none (`Activation::new().with(Repo::Prod)`); `--check`
    /// still checks every choice.
    pub fn default_activation(mut self, activation: Activation) -> Self {
        self.defaults = activation;
        self
    }

    /// Adds a module (roles, config sections and everything they need).
    pub fn module(mut self, module: Module) -> Self {
        self.modules.push(module);
        self
    }

    /// Also uses every module registered with [`plugin!`](crate::plugin) in the program.
    pub fn plugins(mut self) -> Self {
        self.plugins = true;
        self
    }

    /// Runs the command line of the process and returns the exit code.
    pub fn run(self) -> ExitCode {
        self.run_with(std::env::args_os())
    }

    /// Runs `args` (the program name first) as the command line.
    pub fn run_with(self, args: impl IntoIterator<Item = impl Into<OsString>>) -> ExitCode {
        let exit = match self.launch(args.into_iter().map(Into::into).collect()) {
            Ok(()) => Exit::ok(),
            Err(exit) => exit,
        };
        exit.report()
    }

    fn launch(self, args: Vec<OsString>) -> Result<(), Exit> {
        let app = App::assemble(self)?;
        let command = cli::command(&app.name, app.about.as_deref(), &app.roles, &app.axes);
        let cli = cli::parse(command.clone(), &app.roles, args)?;
        run::install_tracing(cli.log_level.as_deref())?;
        let activation = Activation::parse(&cli.uses.join(","), &app.axes)
            .map(|chosen| app.defaults.clone().merge(&chosen))
            .map_err(|e| Exit::usage(e.to_string()))?;
        if cli.check {
            let config = AppConfig::load(&app.name, &cli.configs).map_err(Exit::failure)?;
            return verify::check(&app, &cli, &config);
        }
        if cli.roles.is_empty() {
            let help = command.clone().render_help().to_string();
            return Err(Exit {
                code: 2,
                stdout: None,
                stderr: Some(format!("no role given\n\n{help}")),
            });
        }
        let config = AppConfig::load(&app.name, &cli.configs).map_err(Exit::failure)?;
        let roots = cli.roles.iter().map(|(r, _)| r.key().clone());
        let plan = app
            .plan(&config, activation, roots)
            .map_err(Exit::failure)?;
        if let Some(format) = cli.print_plan {
            return Err(Exit::printed(0, app.render(&plan, format)));
        }
        let problems = app.config_problems(&plan, &config);
        if !problems.is_empty() {
            return Err(Exit::failure(list("config", &problems)));
        }
        run::run(plan, cli.roles)
    }
}

/// What the application consists of, read from its modules before the command line is parsed.
pub(crate) struct App {
    name: String,
    about: Option<String>,
    module: Module,
    roles: Vec<RoleEntry>,
    sections: Vec<ConfigSection>,
    axes: Vec<AxisInfo>,
    plugins: Vec<&'static Plugin>,
    defaults: Activation,
}

impl App {
    fn assemble(main: RoleAppMain) -> Result<App, Exit> {
        let plugins = if main.plugins { plugins() } else { Vec::new() };
        let mut module = Module::build(|m| {
            // Declared empty so that reading them never fails when nothing adds to them.
            m.many::<RoleEntry>();
            m.many::<ConfigSection>();
            m.many::<dyn DynIntegrationCheck>();
        });
        for m in main.modules {
            module += m;
        }
        for p in &plugins {
            module += p.module();
        }
        // Role entries and config sections are plain values: producing their sets builds
        // nothing else. The plans of roles leave them out (and the modules' `requires`, which
        // an application as a whole has nobody to provide).
        let injector = Injector::new();
        let input = PlannerInput::new(module.clone())
            .root_set::<RoleEntry>()
            .root_set::<ConfigSection>();
        let locator = injector
            .plan(&input)
            .and_then(|plan| injector.produce(&plan))
            .map_err(|e| Exit::failure(e.to_string()))?;
        let roles: Vec<RoleEntry> = match locator.get_set::<RoleEntry>() {
            Ok(set) => set.iter().map(|r| (**r).clone()).collect(),
            Err(e) => return Err(Exit::failure(e.to_string())),
        };
        let sections: Vec<ConfigSection> = match locator.get_set::<ConfigSection>() {
            Ok(set) => set.iter().map(|s| (**s).clone()).collect(),
            Err(e) => return Err(Exit::failure(e.to_string())),
        };
        let mut ids = BTreeSet::new();
        for r in &roles {
            if !ids.insert(r.id()) {
                return Err(Exit::failure(format!(
                    "two roles are named `:{}`; role ids must be unique",
                    r.id()
                )));
            }
        }
        let internal = [
            DIKey::set_of::<RoleEntry>(),
            DIKey::set_of::<ConfigSection>(),
        ];
        let module: Module = module
            .bindings()
            .iter()
            .filter(|b| !internal.contains(b.key()))
            .cloned()
            .collect();
        let axes: BTreeSet<AxisInfo> = module
            .bindings()
            .iter()
            .flat_map(|b| b.tags().iter().map(|c| c.axis()))
            .collect();
        Ok(App {
            name: main.name,
            about: main.about,
            module,
            roles,
            sections,
            axes: axes.into_iter().collect(),
            plugins,
            defaults: main.defaults,
        })
    }

    /// The plan of `roots` (and the integration checks of what they need) under `activation`.
    fn plan(
        &self,
        config: &AppConfig,
        activation: Activation,
        roots: impl IntoIterator<Item = DIKey>,
    ) -> Result<Plan, distage_core::Error> {
        let config = config.clone();
        let module = self.module.clone()
            + Module::build(move |m| {
                m.make::<AppConfig>().from_value(config);
            });
        let input = PlannerInput::new(module)
            .activation(activation)
            .root_keys(roots)
            .root_set::<dyn DynIntegrationCheck>();
        Injector::new().plan(&input)
    }

    /// Every config section `plan` needs that does not deserialize.
    fn config_problems(&self, plan: &Plan, config: &AppConfig) -> Vec<ConfigError> {
        self.sections
            .iter()
            .filter(|s| plan.contains(s.key()))
            .filter_map(|s| s.check(config).err())
            .collect()
    }

    fn render(&self, plan: &Plan, format: PlanFormat) -> String {
        match format {
            PlanFormat::Dot => plan.to_dot(),
            PlanFormat::Mermaid => plan.to_mermaid(),
            PlanFormat::Text => {
                let mut out = plan.to_string();
                // What the activation chose, and the alternatives it ruled out.
                for step in plan.steps().iter().filter(|s| !s.tags().is_empty()) {
                    let beaten: Vec<String> = plan
                        .removed()
                        .iter()
                        .filter(|b| b.key() == step.key())
                        .map(|b| format!("{} at {}", b.tags(), b.origin()))
                        .collect();
                    if !beaten.is_empty() {
                        out.push_str(&format!(
                            "\n  {} chosen by {}: {}, over {}",
                            step.key(),
                            plan.activation(),
                            step.tags(),
                            beaten.join(", ")
                        ));
                    }
                }
                for p in &self.plugins {
                    out.push_str(&format!(
                        "\n  plugin {} registered at {} (its bindings point into its file)",
                        p.name(),
                        p.origin()
                    ));
                }
                out
            }
        }
    }
}

fn list(what: &str, problems: &[impl std::fmt::Display]) -> String {
    let mut out = format!("{} {what} problem(s):", problems.len());
    for (i, p) in problems.iter().enumerate() {
        out.push_str(&format!("\n  {}. {p}", i + 1));
    }
    out
}

/// How the launcher ends: the exit code and what to print.
#[derive(Debug)]
pub(crate) struct Exit {
    code: u8,
    stdout: Option<String>,
    stderr: Option<String>,
}

impl Exit {
    fn ok() -> Self {
        Exit {
            code: 0,
            stdout: None,
            stderr: None,
        }
    }

    /// Exit 2 with `message` (and a pointer to `--help`).
    pub(crate) fn usage(message: String) -> Self {
        Exit {
            code: 2,
            stdout: None,
            stderr: Some(format!(
                "error: {message}\n\nFor more information, try '--help'."
            )),
        }
    }

    /// Exit 1 with `message`.
    pub(crate) fn failure(message: impl std::fmt::Display) -> Self {
        Exit {
            code: 1,
            stdout: None,
            stderr: Some(format!("error: {message}")),
        }
    }

    pub(crate) fn printed(code: u8, stdout: String) -> Self {
        Exit {
            code,
            stdout: Some(stdout),
            stderr: None,
        }
    }

    fn report(self) -> ExitCode {
        if let Some(out) = self.stdout {
            println!("{}", out.trim_end());
        }
        if let Some(err) = self.stderr {
            eprintln!("{err}");
        }
        ExitCode::from(self.code)
    }
}
