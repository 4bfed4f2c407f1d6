//! The one error type, and the problems a plan can have.

use std::fmt;

use crate::activation::Activation;
use crate::axis::{AxisChoice, AxisInfo, Tags};
use crate::boxed::BoxError;
use crate::key::DIKey;
use crate::origin::StepTarget;
use crate::origin::{ImplKind, Origin};

/// Everything that can go wrong while planning, producing or using a locator.
///
/// `{:?}` prints what `{}` prints, then the chain of causes, so `fn main() -> Result<(),
/// distage::Error>` reports a failure a person can read. `{:#?}` prints the structure, and the
/// variants' fields are public.
///
/// ```
/// use distage_core::{Injector, Module, PlannerInput};
///
/// let err = Injector::new()
///     .plan(&PlannerInput::new(Module::new()).roots::<String>())
///     .unwrap_err();
/// assert!(format!("{err:?}").starts_with("cannot plan: missing binding: `String`"));
/// assert!(format!("{err:#?}").starts_with("Plan("));
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plan is broken; every problem found is listed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A constructor or resource failed or panicked while producing.
    #[error(transparent)]
    Produce(Box<ProduceError>),
    /// A key was asked for that the locator does not hold.
    #[error("no instance of `{key}` in this locator{}", needed_by_suffix(.needed_by))]
    NotFound {
        /// The key asked for.
        key: DIKey,
        /// Who asked, when it was not a direct `get`.
        needed_by: Option<String>,
    },
    /// The key is in the plan but its instance is not made yet (a `Lazy` or `LocatorRef`
    /// used inside a constructor that runs before it).
    #[error(
        "`{key}` is not produced yet: it cannot be used while the constructors it depends on are running"
    )]
    NotYetProduced {
        /// The key asked for.
        key: DIKey,
    },
    /// The locator was closed (or dropped) before the access.
    #[error("the locator is closed{}", key_suffix(.key))]
    Closed {
        /// The key asked for, if any.
        key: Option<DIKey>,
    },
    /// A locator was to be produced from a parent (`Injector::inherit`, a subcontext run) that
    /// is closing or closed; nothing was acquired.
    #[error("the parent locator is closed: nothing can be produced from it any more")]
    ParentClosed,
    /// A plan made by a child injector (`Injector::inherit(&parent)`) was produced by an injector
    /// that does not inherit a locator of the same plan as `parent`; nothing was acquired.
    #[error(
        "this plan was made against a parent locator (`Injector::inherit`); produce it with an injector that inherits that locator"
    )]
    PlanOfAnotherParent,
    /// Releasing resources failed; every failure is listed, all other resources were released.
    #[error("{}", ReleaseList(.0))]
    Release(Vec<ReleaseFailure>),
    /// An activation could not be parsed.
    #[error("invalid activation: {0}")]
    Activation(String),
    /// A broken invariant inside distage; please report it.
    #[error("distage internal error: {0}")]
    Internal(String),
    /// A plan with async bindings was produced with the sync producer; nothing was acquired.
    #[error("the plan has async bindings, which `produce` cannot run: {keys}; use `produce_async`")]
    AsyncInSyncProduce {
        /// The async bindings, with their origins.
        keys: String,
    },
    /// A subcontext was given a value that is not one of its locals.
    #[error("`{key}` is not a local of this subcontext; its locals are {locals}")]
    UnknownLocal {
        /// The key given.
        key: DIKey,
        /// The subcontext's locals.
        locals: String,
    },
    /// A subcontext was run without one of its local values.
    #[error(
        "missing local value: `{key}` is a local of the subcontext, give it with `.provide(…)` before running"
    )]
    MissingLocal {
        /// The local's key.
        key: DIKey,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return self.fmt_structure(f);
        }
        let shown = self.to_string();
        f.write_str(&shown)?;
        // A cause whose text is already part of the message (a constructor's error is) is not
        // repeated; the rest follow as anyhow prints them.
        let mut causes = Vec::new();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            let text = cause.to_string();
            if !shown.contains(&text) && !causes.contains(&text) {
                causes.push(text);
            }
            next = cause.source();
        }
        if !causes.is_empty() {
            f.write_str("\n\nCaused by:")?;
            for (i, c) in causes.iter().enumerate() {
                let c = c.replace('\n', "\n       ");
                write!(f, "\n    {i}: {c}")?;
            }
        }
        Ok(())
    }
}

impl Error {
    fn fmt_structure(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Plan(e) => f.debug_tuple("Plan").field(e).finish(),
            Error::Produce(e) => f.debug_tuple("Produce").field(e).finish(),
            Error::NotFound { key, needed_by } => f
                .debug_struct("NotFound")
                .field("key", key)
                .field("needed_by", needed_by)
                .finish(),
            Error::NotYetProduced { key } => {
                f.debug_struct("NotYetProduced").field("key", key).finish()
            }
            Error::Closed { key } => f.debug_struct("Closed").field("key", key).finish(),
            Error::ParentClosed => f.write_str("ParentClosed"),
            Error::PlanOfAnotherParent => f.write_str("PlanOfAnotherParent"),
            Error::Release(failures) => f.debug_tuple("Release").field(failures).finish(),
            Error::Activation(m) => f.debug_tuple("Activation").field(m).finish(),
            Error::Internal(m) => f.debug_tuple("Internal").field(m).finish(),
            Error::AsyncInSyncProduce { keys } => f
                .debug_struct("AsyncInSyncProduce")
                .field("keys", keys)
                .finish(),
            Error::UnknownLocal { key, locals } => f
                .debug_struct("UnknownLocal")
                .field("key", key)
                .field("locals", locals)
                .finish(),
            Error::MissingLocal { key } => {
                f.debug_struct("MissingLocal").field("key", key).finish()
            }
        }
    }
}

fn needed_by_suffix(needed_by: &Option<String>) -> String {
    needed_by
        .as_ref()
        .map(|n| format!(" (needed by {n})"))
        .unwrap_or_default()
}

fn key_suffix(key: &Option<DIKey>) -> String {
    key.as_ref()
        .map(|k| format!(": `{k}` can no longer be obtained"))
        .unwrap_or_default()
}

/// Every problem the planner found, in the order it found them.
#[derive(Debug, Clone)]
pub struct PlanError {
    pub(crate) problems: Vec<Problem>,
}

impl PlanError {
    /// The problems.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "cannot plan: {one}"),
            many => {
                write!(f, "cannot plan: {} problems", many.len())?;
                for (i, p) in many.iter().enumerate() {
                    let text = p.to_string().replace('\n', "\n     ");
                    write!(f, "\n  {}. {text}", i + 1)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// Who needs a key: a binding (with its origin) or the plan's roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependent {
    /// The step that needs it; `None` when the key is a root.
    pub target: Option<StepTarget>,
    /// Where the dependent was bound.
    pub origin: Option<Origin>,
}

impl fmt::Display for Dependent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.target, &self.origin) {
            (Some(t), Some(o)) => write!(f, "`{t}` bound at {o}"),
            (Some(t), None) => write!(f, "`{t}`"),
            (None, _) => f.write_str("the plan's roots"),
        }
    }
}

/// A binding considered for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// How it makes the instance.
    pub implementation: ImplKind,
    /// Its tags.
    pub tags: Tags,
    /// Where it was written.
    pub origin: Origin,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.implementation)?;
        if !self.tags.is_empty() {
            write!(f, " {}", self.tags)?;
        }
        write!(f, " at {}", self.origin)
    }
}

/// One step of a dependency cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleStep {
    /// The step.
    pub target: StepTarget,
    /// Where it was bound.
    pub origin: Origin,
}

/// One thing wrong with a plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Problem {
    /// A key is needed but nothing binds it (under this activation).
    Missing {
        /// The missing key.
        key: DIKey,
        /// Everyone who needs it.
        needed_by: Vec<Dependent>,
        /// A path from a root to the key.
        path: Vec<String>,
        /// Bindings of the key that the activation rules out.
        ruled_out: Vec<Candidate>,
    },
    /// Several bindings remain for one key and none is the most specific.
    Conflict {
        /// The key.
        key: DIKey,
        /// The bindings left after the activation filtered the others.
        candidates: Vec<Candidate>,
        /// Axes the candidates differ on that the activation leaves unset.
        unset_axes: Vec<AxisInfo>,
        /// The activation planned for.
        activation: Activation,
    },
    /// A dependency cycle without a `Lazy` edge to break it.
    Cycle {
        /// The cycle, starting and ending at the same step.
        path: Vec<CycleStep>,
    },
    /// A `make` without any `.from…`.
    Incomplete {
        /// The key.
        key: DIKey,
        /// Where the binding was written.
        origin: Origin,
    },
    /// A builder call that could not apply, e.g. `.tagged(…)` on a set before any element.
    Misuse {
        /// The key the call was about.
        key: DIKey,
        /// Where the call was written.
        origin: Origin,
        /// What was wrong and how to fix it.
        message: &'static str,
    },
    /// Two choices were given for one axis.
    ContradictoryActivation {
        /// The first choice.
        first: AxisChoice,
        /// The second choice.
        second: AxisChoice,
    },
    /// An explicit, empty list of roots.
    NoRoots,
    /// A binding tagged with two choices of one axis: no activation can select it.
    ContradictoryTags {
        /// The binding's key.
        key: DIKey,
        /// The binding.
        binding: Candidate,
        /// The axes tagged twice.
        axes: Vec<AxisInfo>,
    },
    /// A binding no combination of axis choices selects (`PlanCheck`).
    Shadowed {
        /// The binding's key.
        key: DIKey,
        /// The binding never chosen.
        binding: Candidate,
    },
    /// Every choice of an axis the module uses was excluded (`PlanCheck`).
    AllChoicesExcluded {
        /// The axis.
        axis: AxisInfo,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { key, needed_by, path, ruled_out } => {
                write!(f, "missing binding: `{key}` is required")?;
                if let Some(first) = needed_by.first().and_then(|d| d.target.as_ref()) {
                    write!(f, " by `{first}`")?;
                }
                f.write_str(", but it is not bound")?;
                for d in needed_by {
                    write!(f, "\n    needed by {d}")?;
                }
                if path.len() > 1 {
                    write!(f, "\n    path: {}", path.join(" -> "))?;
                }
                for c in ruled_out {
                    write!(f, "\n    ruled out by the activation: {c}")?;
                }
                if ruled_out.is_empty() {
                    write!(f, "\n    fix: bind `{key}` in a module, or declare it provided by a parent locator")
                } else {
                    f.write_str("\n    fix: change the activation, or add a binding for it")
                }
            }
            Problem::Conflict { key, candidates, unset_axes, activation } => {
                let same_tags = candidates.windows(2).all(|w| w[0].tags == w[1].tags);
                if same_tags {
                    write!(f, "duplicate binding: `{key}` is bound {} times with no distinguishing tag", candidates.len())?;
                } else {
                    write!(f, "conflicting bindings: `{key}` has {} candidates under activation {activation}", candidates.len())?;
                }
                for c in candidates {
                    write!(f, "\n    {c}")?;
                }
                for axis in unset_axes {
                    let choices: Vec<String> = axis.choices().map(|c| c.to_string()).collect();
                    write!(f, "\n    axis `{axis}` is not set: activate one of {}", choices.join(", "))?;
                }
                let same_origin = candidates.windows(2).all(|w| w[0].origin == w[1].origin);
                if same_tags && same_origin {
                    f.write_str(
                        "\n    the same declaration was added twice: build the module once and \
                         clone it, or give the bindings distinct ids with `.named(...)`",
                    )?;
                } else if same_tags {
                    f.write_str("\n    fix: remove one, or tag them apart with `.tagged(...)`")?;
                }
                Ok(())
            }
            Problem::Cycle { path } => {
                f.write_str("dependency cycle: ")?;
                let names: Vec<String> = path.iter().map(|s| s.target.to_string()).collect();
                f.write_str(&names.join(" -> "))?;
                for s in &path[..path.len().saturating_sub(1)] {
                    write!(f, "\n    `{}` bound at {}", s.target, s.origin)?;
                }
                f.write_str("\n    fix: break the cycle with `Lazy<T>` on one of these dependencies")
            }
            Problem::Incomplete { key, origin } => write!(
                f,
                "incomplete binding: `make::<{key}>()` at {origin} has no implementation; add `.from…(…)`"
            ),
            Problem::Misuse {
                key,
                origin,
                message,
            } => write!(f, "misused builder for `{key}` at {origin}: {message}"),
            Problem::ContradictoryActivation { first, second } => write!(
                f,
                "contradictory activation: axis `{}` is set to both `{first}` and `{second}`",
                first.axis()
            ),
            Problem::NoRoots => f.write_str(
                "no roots: the root list is empty; give at least one root, or none to plan everything",
            ),
            Problem::ContradictoryTags { key, binding, axes } => {
                let axes: Vec<String> = axes.iter().map(|a| format!("`{a}`")).collect();
                write!(
                    f,
                    "contradictory tags: a binding of `{key}` ({binding}) has two choices of axis {}, so no activation selects it",
                    axes.join(", ")
                )
            }
            Problem::Shadowed { key, binding } => write!(
                f,
                "shadowed binding: no combination of axis choices selects this binding of `{key}`: {binding}\n    \
                 fix: remove it, or tag it so that some activation prefers it"
            ),
            Problem::AllChoicesExcluded { axis } => {
                write!(f, "every choice of axis `{axis}` is excluded: nothing is left to check")
            }
        }
    }
}

/// A constructor or resource that failed while producing, and what was released after it.
#[derive(Debug)]
pub struct ProduceError {
    /// The step that failed (the first one, when several branches failed).
    pub target: StepTarget,
    /// Where it was bound.
    pub origin: Origin,
    /// What went wrong.
    pub cause: Failure,
    /// Other steps that failed concurrently (`produce_async`).
    pub others: Vec<StepFailure>,
    /// Releases that failed while undoing the partial production.
    pub release_failures: Vec<ReleaseFailure>,
}

/// A step that failed while producing.
#[derive(Debug)]
pub struct StepFailure {
    /// The step.
    pub target: StepTarget,
    /// Where it was bound.
    pub origin: Origin,
    /// What went wrong.
    pub cause: Failure,
}

impl fmt::Display for ProduceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "failed to produce `{}` (bound at {}): {}",
            self.target, self.origin, self.cause
        )?;
        for o in &self.others {
            write!(
                f,
                "\n    and `{}` (bound at {}): {}",
                o.target, o.origin, o.cause
            )?;
        }
        for r in &self.release_failures {
            write!(f, "\n    and then {r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProduceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Failure::Error(e) => Some(&**e),
            Failure::Panic(_) => None,
        }
    }
}

/// How user code failed.
#[derive(Debug)]
pub enum Failure {
    /// It returned an error.
    Error(BoxError),
    /// It panicked, with this message.
    Panic(String),
}

impl Failure {
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<non-string panic payload>".to_string());
        Failure::Panic(msg)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "{e}"),
            Failure::Panic(msg) => write!(f, "panicked: {msg}"),
        }
    }
}

/// A resource whose release failed.
#[derive(Debug)]
pub struct ReleaseFailure {
    /// The resource.
    pub target: StepTarget,
    /// Where it was bound.
    pub origin: Origin,
    /// What went wrong.
    pub cause: Failure,
}

impl fmt::Display for ReleaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "releasing `{}` (bound at {}) failed: {}",
            self.target, self.origin, self.cause
        )
    }
}

struct ReleaseList<'a>(&'a [ReleaseFailure]);

impl fmt::Display for ReleaseList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} resource(s) failed to release", self.0.len())?;
        for r in self.0 {
            write!(f, "\n    {r}")?;
        }
        Ok(())
    }
}
