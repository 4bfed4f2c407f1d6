//! Activations from the command line: `mode:prod repo:dummy`, as `-u` flags give them.
//!
//! Apart from `activation.rs` because a parse error is an [`Error`], and errors show
//! activations: the model's one-way imports put this above both.

use crate::activation::Activation;
use crate::axis::{AxisChoice, AxisInfo};
use crate::error::Error;

impl Activation {
    /// Parses `axis:choice` pairs separated by commas or whitespace (`mode:prod, repo:dummy`),
    /// case-insensitively, against the standard axes ([`Mode`], [`Repo`], [`World`]) and the
    /// ones given in `known` (your `#[derive(Axis)]` enums).
    ///
    /// Pairs are layers: a later pair for an axis replaces an earlier one, so defaults followed
    /// by what the command line gives (`-u repo:dummy`) read as one spec.
    ///
    /// ```
    /// use distage_core::{Activation, Mode, Repo};
    ///
    /// let defaults = "mode:prod repo:prod";
    /// let parsed = Activation::parse(&format!("{defaults} repo:dummy"), &[]).unwrap();
    /// assert_eq!(parsed, Activation::new().with(Mode::Prod).with(Repo::Dummy));
    /// ```
    ///
    /// [`Mode`]: crate::Mode
    /// [`Repo`]: crate::Repo
    /// [`World`]: crate::World
    pub fn parse(spec: &str, known: &[AxisInfo]) -> Result<Self, Error> {
        let mut axes = known.to_vec();
        for standard in Self::standard_axes() {
            if !axes.contains(&standard) {
                axes.push(standard);
            }
        }
        let mut activation = Activation::new();
        for part in spec
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            let choice = parse_choice(part, &axes)?;
            activation.choices.insert(choice.axis(), choice);
        }
        Ok(activation)
    }
}

fn parse_choice(part: &str, known: &[AxisInfo]) -> Result<AxisChoice, Error> {
    let valid = || {
        known
            .iter()
            .map(|a| {
                let choices: Vec<String> =
                    a.choice_names().iter().map(|c| c.to_lowercase()).collect();
                format!("{}:{{{}}}", a.name().to_lowercase(), choices.join("|"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((axis_name, choice_name)) = part.split_once(':') else {
        return Err(Error::Activation(format!(
            "`{part}` is not of the form `axis:choice`; valid: {}",
            valid()
        )));
    };
    let Some(axis) = known
        .iter()
        .find(|a| a.name().eq_ignore_ascii_case(axis_name.trim()))
    else {
        return Err(Error::Activation(format!(
            "unknown axis `{axis_name}` in `{part}`; valid: {}",
            valid()
        )));
    };
    axis.choice_named(choice_name.trim()).ok_or_else(|| {
        Error::Activation(format!(
            "axis `{}` has no choice `{choice_name}`; valid: {}",
            axis.name(),
            valid()
        ))
    })
}
