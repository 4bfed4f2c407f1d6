//! Activations: one chosen value per configuration axis.

use std::collections::BTreeMap;
use std::fmt;

use crate::axis::{AxisChoice, AxisInfo, Tags};

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
    pub(crate) choices: BTreeMap<AxisInfo, AxisChoice>,
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
