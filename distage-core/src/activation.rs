//! Activations: one chosen value per configuration axis.

use std::collections::BTreeMap;
use std::fmt;

use crate::axis::{AxisChoice, AxisInfo, Tags};
use crate::error::Error;

/// The axis choices a plan is made for, e.g. `Activation::new().with(Mode::Prod)`.
///
/// Setting two different choices on one axis is a mistake the planner reports (it never panics);
/// [`Activation::merge`] is the way to let one activation override another.
///
/// ```
/// use distage_core::{Activation, Mode, Repo};
///
/// let defaults = Activation::new().with(Mode::Prod).with(Repo::Prod);
/// let overridden = defaults.merge(&Activation::new().with(Repo::Dummy));
/// assert_eq!(overridden.to_string(), "{Mode::Prod, Repo::Dummy}");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Activation {
    choices: BTreeMap<AxisInfo, AxisChoice>,
    contradictions: Vec<(AxisChoice, AxisChoice)>,
}

impl Activation {
    /// The empty activation: every axis unset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `choice` on its axis.
    pub fn with(mut self, choice: impl Into<AxisChoice>) -> Self {
        let choice = choice.into();
        if let Some(previous) = self.choices.insert(choice.axis(), choice)
            && previous != choice
        {
            self.contradictions.push((previous, choice));
        }
        self
    }

    /// This activation with `other`'s choices on top: where both set an axis, `other` wins.
    pub fn merge(mut self, other: &Activation) -> Self {
        for (axis, choice) in &other.choices {
            self.choices.insert(*axis, *choice);
        }
        self.contradictions
            .extend(other.contradictions.iter().copied());
        self
    }

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

    /// The standard axes: [`Mode`](crate::Mode), [`Repo`](crate::Repo), [`World`](crate::World).
    pub fn standard_axes() -> [AxisInfo; 3] {
        [
            AxisInfo::of::<crate::axis::Mode>(),
            AxisInfo::of::<crate::axis::Repo>(),
            AxisInfo::of::<crate::axis::World>(),
        ]
    }

    /// The choice set on `axis`, if any.
    pub fn choice(&self, axis: &AxisInfo) -> Option<AxisChoice> {
        self.choices.get(axis).copied()
    }

    /// True when `axis` has a choice.
    pub fn is_set(&self, axis: &AxisInfo) -> bool {
        self.choices.contains_key(axis)
    }

    /// The choices, ordered by axis name.
    pub fn choices(&self) -> impl Iterator<Item = AxisChoice> + '_ {
        self.choices.values().copied()
    }

    /// True when no axis is set.
    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }

    /// True when a tag of the binding names another choice of an axis this activation sets.
    pub fn contradicts(&self, tags: &Tags) -> bool {
        tags.iter()
            .any(|t| self.choice(&t.axis()).is_some_and(|c| c != *t))
    }

    /// Pairs of choices given for the same axis with `with`.
    pub(crate) fn contradictions(&self) -> &[(AxisChoice, AxisChoice)] {
        &self.contradictions
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

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, c) in self.choices.values().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("}")
    }
}
impl fmt::Debug for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Activation{self}")
    }
}
