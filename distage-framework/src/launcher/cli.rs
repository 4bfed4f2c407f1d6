//! The command line: `app [-u axis:choice]… [-c file.toml]… [--print-plan [FORMAT]] [--check]
//! [--log-level L] :role [role args] :role2 …`, parsed with clap; roles split off at each
//! argument starting with `:`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, ArgAction, Command};
use distage_core::AxisInfo;

use super::Exit;
use crate::role::{RoleEntry, RoleKind};

/// How `--print-plan` draws the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlanFormat {
    Text,
    Dot,
    Mermaid,
}

/// What the command line asks for.
#[derive(Debug)]
pub(crate) struct Cli {
    pub(crate) uses: Vec<String>,
    pub(crate) configs: Vec<PathBuf>,
    pub(crate) print_plan: Option<PlanFormat>,
    pub(crate) check: bool,
    pub(crate) log_level: Option<String>,
    pub(crate) roles: Vec<(RoleEntry, clap::ArgMatches)>,
}

/// The global command, with the roles and axes listed in its help.
pub(crate) fn command(
    app: &str,
    about: Option<&str>,
    roles: &[RoleEntry],
    axes: &[AxisInfo],
) -> Command {
    let mut cmd = Command::new(app.to_string())
        .override_usage(format!(
            "{app} [OPTIONS] :ROLE [ROLE OPTIONS] [:ROLE [ROLE OPTIONS]]..."
        ))
        .disable_version_flag(true)
        .arg(
            Arg::new("use")
                .short('u')
                .long("use")
                .value_name("AXIS:CHOICE")
                .action(ArgAction::Append)
                .help("Choose a binding axis (e.g. `-u repo:dummy`); repeatable"),
        )
        .arg(
            Arg::new("config")
                .short('c')
                .long("config")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Append)
                .help(format!(
                    "Read a TOML config file over `{app}.toml`; repeatable, later files win"
                )),
        )
        .arg(
            Arg::new("print-plan")
                .long("print-plan")
                .value_name("FORMAT")
                .num_args(0..=1)
                .require_equals(false)
                .default_missing_value("text")
                .value_parser(["text", "dot", "mermaid"])
                .help("Print the plan for the chosen roles and activation, then exit"),
        )
        .arg(
            Arg::new("check")
                .long("check")
                .action(ArgAction::SetTrue)
                .help("Plan every role under every activation and read every config section they need; produce nothing"),
        )
        .arg(
            Arg::new("log-level")
                .long("log-level")
                .value_name("LEVEL")
                .help("trace, debug, info, warn or error (default: RUST_LOG, else info)"),
        )
        .after_help(roles_and_axes(app, roles, axes));
    if let Some(about) = about {
        cmd = cmd.about(about.to_string());
    }
    cmd
}

fn roles_and_axes(app: &str, roles: &[RoleEntry], axes: &[AxisInfo]) -> String {
    let mut out = String::from("Roles:\n");
    let width = roles.iter().map(|r| r.id().len()).max().unwrap_or(0);
    if roles.is_empty() {
        out.push_str("  (none bound: add `role<T>;` to a module)\n");
    }
    for r in roles {
        let kind = match r.kind() {
            RoleKind::Task => "task",
            RoleKind::Service => "service",
        };
        out.push_str(&format!("  :{:<width$}  {} ({kind})\n", r.id(), r.about()));
    }
    if !axes.is_empty() {
        out.push_str("\nAxes (-u axis:choice):\n");
        for a in axes {
            let choices: Vec<String> = a.choice_names().iter().map(|c| c.to_lowercase()).collect();
            out.push_str(&format!(
                "  {}: {}\n",
                a.name().to_lowercase(),
                choices.join(", ")
            ));
        }
    }
    out.push_str(&format!(
        "\n`{app} :ROLE --help` shows a role's own options."
    ));
    out
}

/// Parses `args` (the program name first). Help and usage mistakes end in an [`Exit`].
pub(crate) fn parse(
    command: Command,
    roles: &[RoleEntry],
    args: Vec<OsString>,
) -> Result<Cli, Exit> {
    let mut args = args.into_iter();
    let program = args
        .next()
        .unwrap_or_else(|| OsString::from(command.get_name()));
    let is_role = |a: &OsString| {
        a.to_str()
            .is_some_and(|s| s.len() > 1 && s.starts_with(':'))
    };
    let mut global = vec![program];
    let mut segments: Vec<(String, Vec<OsString>)> = Vec::new();
    for arg in args {
        if is_role(&arg) {
            let name = arg.to_string_lossy()[1..].to_string();
            segments.push((name, Vec::new()));
        } else {
            match segments.last_mut() {
                Some((_, role_args)) => role_args.push(arg),
                None => global.push(arg),
            }
        }
    }
    let matches = command
        .clone()
        .try_get_matches_from(global)
        .map_err(clap_exit)?;

    let mut chosen: Vec<(RoleEntry, clap::ArgMatches)> = Vec::new();
    for (name, role_args) in segments {
        let Some(entry) = roles.iter().find(|r| r.id() == name) else {
            return Err(Exit::usage(format!(
                "unknown role `:{name}`; known roles: {}",
                known_roles(roles)
            )));
        };
        if chosen.iter().any(|(r, _)| r.id() == name) {
            return Err(Exit::usage(format!("role `:{name}` is given twice")));
        }
        let role_matches = entry
            .command()
            .bin_name(format!("{} :{name}", command.get_name()))
            .try_get_matches_from(role_args)
            .map_err(clap_exit)?;
        chosen.push((entry.clone(), role_matches));
    }
    let strings = |id: &str| -> Vec<String> {
        matches
            .get_many::<String>(id)
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    };
    Ok(Cli {
        uses: strings("use"),
        configs: matches
            .get_many::<PathBuf>("config")
            .map(|v| v.cloned().collect())
            .unwrap_or_default(),
        print_plan: matches
            .get_one::<String>("print-plan")
            .map(|f| match f.as_str() {
                "dot" => PlanFormat::Dot,
                "mermaid" => PlanFormat::Mermaid,
                _ => PlanFormat::Text,
            }),
        check: matches.get_flag("check"),
        log_level: matches.get_one::<String>("log-level").cloned(),
        roles: chosen,
    })
}

pub(crate) fn known_roles(roles: &[RoleEntry]) -> String {
    if roles.is_empty() {
        return "none".to_string();
    }
    roles
        .iter()
        .map(|r| format!(":{}", r.id()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// clap's own output for `--help` (exit 0) and usage mistakes (exit 2).
fn clap_exit(e: clap::Error) -> Exit {
    let code = e.exit_code();
    let text = e.render().to_string();
    if code == 0 {
        Exit::printed(0, text)
    } else {
        Exit {
            code: code as u8,
            stdout: None,
            stderr: Some(text.trim_end().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::{NoArgs, RoleService, RoleTask, Shutdown};
    use distage_core::{BoxError, Mode};

    struct Migrate;
    impl RoleTask for Migrate {
        const ID: &'static str = "migrate";
        const ABOUT: &'static str = "create the schema";
        type Args = NoArgs;
        async fn run(&self, _: NoArgs) -> Result<(), BoxError> {
            Ok(())
        }
    }

    struct Http;
    impl RoleService for Http {
        const ID: &'static str = "http";
        const ABOUT: &'static str = "serve";
        type Args = NoArgs;
        async fn serve(&self, _: NoArgs, _: Shutdown) -> Result<(), BoxError> {
            Ok(())
        }
    }

    fn roles() -> Vec<RoleEntry> {
        vec![RoleEntry::task::<Migrate>(), RoleEntry::service::<Http>()]
    }

    fn parse_line(line: &str) -> Result<Cli, Exit> {
        let roles = roles();
        let cmd = command("app", None, &roles, &[AxisInfo::of::<Mode>()]);
        parse(
            cmd,
            &roles,
            line.split_whitespace().map(OsString::from).collect(),
        )
    }

    #[test]
    fn global_options_come_before_the_first_role_and_roles_keep_their_order() {
        let cli =
            parse_line("app -u mode:test -c a.toml -c b.toml --check :http :migrate").unwrap();
        assert_eq!(cli.uses, ["mode:test"]);
        assert_eq!(
            cli.configs,
            [PathBuf::from("a.toml"), PathBuf::from("b.toml")]
        );
        assert!(cli.check);
        let ids: Vec<&str> = cli.roles.iter().map(|(r, _)| r.id()).collect();
        assert_eq!(ids, ["http", "migrate"]);
        assert_eq!(
            parse_line("app --print-plan :http").unwrap().print_plan,
            Some(PlanFormat::Text)
        );
        assert_eq!(
            parse_line("app --print-plan dot :http").unwrap().print_plan,
            Some(PlanFormat::Dot)
        );
    }

    #[test]
    fn usage_mistakes_exit_2_and_help_exits_0() {
        let e = parse_line("app :deploy").unwrap_err();
        assert_eq!(e.code, 2);
        assert!(
            e.stderr
                .unwrap()
                .contains("unknown role `:deploy`; known roles: :migrate, :http")
        );
        let e = parse_line("app :http :http").unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.stderr.unwrap().contains("role `:http` is given twice"));
        let e = parse_line("app :http --verbose").unwrap_err();
        assert_eq!(e.code, 2);
        let e = parse_line("app --print-plan svg :http").unwrap_err();
        assert_eq!(e.code, 2);
        let help = parse_line("app --help").unwrap_err();
        assert_eq!(help.code, 0);
        let help = help.stdout.unwrap();
        assert!(
            help.contains(":migrate  create the schema (task)"),
            "{help}"
        );
        assert!(help.contains(":http     serve (service)"), "{help}");
        assert!(help.contains("mode: prod, test"), "{help}");
    }
}
