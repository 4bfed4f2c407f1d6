//! Configuration axes (`Mode`, `Repo`, `World`, your own) and the tags bindings carry.

use std::any::TypeId;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A configuration axis: a fieldless enum whose variants are the axis's choices.
///
/// Derive it with `#[derive(Axis)]`, or implement it by hand:
///
/// ```
/// use distage_core::Axis;
/// #[derive(Clone, Copy, PartialEq, Eq, Debug)]
/// enum Style { AllCaps, Normal }
/// impl Axis for Style {
///     const NAME: &'static str = "Style";
///     const CHOICES: &'static [&'static str] = &["AllCaps", "Normal"];
///     fn index(&self) -> usize { *self as usize }
/// }
/// assert_eq!(distage_core::AxisChoice::of(Style::Normal).to_string(), "Style::Normal");
/// ```
pub trait Axis: Send + Sync + 'static {
    /// The axis name as users write it (`Mode`).
    const NAME: &'static str;
    /// The names of the choices, in declaration order (`["Prod", "Test"]`).
    const CHOICES: &'static [&'static str];
    /// The position of this choice in `CHOICES`.
    fn index(&self) -> usize;
}

/// An axis, type-erased: its identity is the Rust type, never its name.
#[derive(Clone, Copy)]
pub struct AxisInfo {
    type_id: TypeId,
    name: &'static str,
    choices: &'static [&'static str],
}

impl AxisInfo {
    /// The axis `A`.
    pub fn of<A: Axis>() -> Self {
        AxisInfo {
            type_id: TypeId::of::<A>(),
            name: A::NAME,
            choices: A::CHOICES,
        }
    }

    /// The axis name (`Mode`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The names of the axis's choices.
    pub fn choice_names(&self) -> &'static [&'static str] {
        self.choices
    }

    /// Every choice of the axis.
    pub fn choices(&self) -> impl Iterator<Item = AxisChoice> + '_ {
        (0..self.choices.len()).map(|index| AxisChoice {
            axis: *self,
            index: index as u16,
        })
    }

    /// The choice called `name` (case-insensitive).
    pub fn choice_named(&self, name: &str) -> Option<AxisChoice> {
        self.choices().find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

impl PartialEq for AxisInfo {
    fn eq(&self, other: &Self) -> bool {
        self.type_id == other.type_id
    }
}
impl Eq for AxisInfo {}
impl Hash for AxisInfo {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.type_id.hash(state);
    }
}
impl PartialOrd for AxisInfo {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for AxisInfo {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name
            .cmp(other.name)
            .then(self.type_id.cmp(&other.type_id))
    }
}
impl fmt::Debug for AxisInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
impl fmt::Display for AxisInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// One choice of one axis, e.g. `Mode::Prod`. Identity is (axis type, variant): `Repo::Prod`
/// and `Mode::Prod` never collide.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AxisChoice {
    axis: AxisInfo,
    index: u16,
}

impl AxisChoice {
    /// The erased form of `choice`.
    pub fn of<A: Axis>(choice: A) -> Self {
        AxisChoice {
            axis: AxisInfo::of::<A>(),
            index: choice.index() as u16,
        }
    }

    /// The axis this choice belongs to.
    pub fn axis(&self) -> AxisInfo {
        self.axis
    }

    /// The choice's name (`Prod`).
    pub fn name(&self) -> &'static str {
        self.axis
            .choices
            .get(self.index as usize)
            .copied()
            .unwrap_or("?")
    }
}

impl<A: Axis> From<A> for AxisChoice {
    fn from(choice: A) -> Self {
        AxisChoice::of(choice)
    }
}

impl fmt::Display for AxisChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.axis.name, self.name())
    }
}
impl fmt::Debug for AxisChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The axis choices a binding is tagged with, kept sorted.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tags(Vec<AxisChoice>);

impl Tags {
    /// No tags: the binding is a default.
    pub const fn new() -> Self {
        Tags(Vec::new())
    }

    /// Adds a choice. Two choices on one axis are kept: such a binding is ruled out by any
    /// activation that sets the axis, and `PlanCheck` reports it.
    pub(crate) fn insert(&mut self, choice: AxisChoice) {
        if let Err(i) = self.0.binary_search(&choice) {
            self.0.insert(i, choice);
        }
    }

    /// Axes this binding is tagged with more than one choice of.
    pub fn contradictory_axes(&self) -> Vec<AxisInfo> {
        let mut axes: Vec<AxisInfo> = self
            .0
            .windows(2)
            .filter(|w| w[0].axis == w[1].axis)
            .map(|w| w[0].axis)
            .collect();
        axes.dedup();
        axes
    }

    /// The choices, sorted by axis.
    pub fn iter(&self) -> impl Iterator<Item = &AxisChoice> {
        self.0.iter()
    }

    /// True when the binding has no tags.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The choice this binding has on `axis`, if any.
    pub fn on_axis(&self, axis: &AxisInfo) -> Option<AxisChoice> {
        self.0
            .binary_search_by(|c| c.axis.cmp(axis))
            .ok()
            .map(|i| self.0[i])
    }

    /// True when every tag of `self` is also a tag of `other`.
    pub fn is_subset_of(&self, other: &Tags) -> bool {
        self.0.iter().all(|c| other.0.contains(c))
    }
}

impl fmt::Display for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("]")
    }
}
impl fmt::Debug for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

macro_rules! standard_axis {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }
        impl Axis for $name {
            const NAME: &'static str = stringify!($name);
            const CHOICES: &'static [&'static str] = &[$(stringify!($variant)),+];
            fn index(&self) -> usize { *self as usize }
        }
    };
}

standard_axis! {
    /// The standard axis for production versus test wiring.
    Mode {
        /// Production wiring.
        Prod,
        /// Test wiring.
        Test
    }
}
standard_axis! {
    /// The standard axis for real versus dummy (in-memory) repositories.
    Repo {
        /// Real storage.
        Prod,
        /// In-memory stand-ins.
        Dummy
    }
}
standard_axis! {
    /// The standard axis for real versus mocked third-party services.
    World {
        /// Real external services.
        Real,
        /// Mocks of external services.
        Mock
    }
}
