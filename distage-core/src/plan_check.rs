//! `PlanCheck`: plans a module for every combination of axis choices, producing nothing, and
//! reports each broken configuration.

use std::collections::BTreeMap;
use std::fmt;

use crate::activation::Activation;
use crate::axis::{AxisChoice, AxisInfo};
use crate::binding::BindingRole;
use crate::error::{Candidate, Problem};
use crate::hash::{KeyMap, KeySet};
use crate::key::{DIKey, Id};
use crate::module::Module;
use crate::planner::{self, BindingIdx, Index, Roots, Selection, select};

/// Verifies that a module plans under **every** combination of the axis choices its bindings
/// are tagged with, without producing anything — so a test suite proves an application starts
/// in all its configurations.
///
/// ```
/// use distage_core::{Mode, Module, PlanCheck};
/// struct Db(&'static str);
/// let module = Module::build(|m| {
///     m.make::<Db>().from_value(Db("postgres")).tagged(Mode::Prod);
///     m.make::<Db>().from_value(Db("memory")).tagged(Mode::Test);
/// });
/// PlanCheck::new(module).roots::<Db>().assert_ok();
/// ```
#[derive(Clone, Debug)]
pub struct PlanCheck {
    module: Module,
    roots: Roots,
    excluded: Vec<AxisChoice>,
    provided: Vec<DIKey>,
}

impl PlanCheck {
    /// Checks `module`, rooted at every key it binds until roots are given.
    pub fn new(module: Module) -> Self {
        PlanCheck {
            module,
            roots: Roots::Everything,
            excluded: Vec::new(),
            provided: Vec::new(),
        }
    }

    /// Adds `T` to the roots.
    pub fn roots<T: ?Sized + 'static>(self) -> Self {
        self.root_key(DIKey::of::<T>())
    }

    /// Adds `T` named `id` to the roots.
    pub fn root_named<T: ?Sized + 'static>(self, id: impl Into<Id>) -> Self {
        self.root_key(DIKey::named::<T>(id))
    }

    /// Adds the set of `T` to the roots.
    pub fn root_set<T: ?Sized + 'static>(self) -> Self {
        self.root_key(DIKey::set_of::<T>())
    }

    /// Adds `key` to the roots.
    pub fn root_key(mut self, key: DIKey) -> Self {
        self.roots.push(key);
        self
    }

    /// Leaves configurations with this choice out (e.g. `Repo::Dummy` in a production check).
    pub fn exclude(mut self, choice: impl Into<AxisChoice>) -> Self {
        self.excluded.push(choice.into());
        self
    }

    /// Declares `T` provided from outside (a parent locator, another module): not missing.
    pub fn provided<T: ?Sized + 'static>(self) -> Self {
        self.provided_key(DIKey::of::<T>())
    }

    /// Declares `key` provided from outside.
    pub fn provided_key(mut self, key: DIKey) -> Self {
        self.provided.push(key);
        self
    }

    /// Checks every configuration.
    pub fn run(&self) -> PlanCheckReport {
        let index = Index::new(&self.module);
        let mut provided: KeySet<DIKey> = self.provided.iter().cloned().collect();
        provided.extend(self.module.requirements().iter().map(|(k, _)| k.clone()));

        let mut module_problems = Vec::new();
        let axes = self.axes(&index, &mut module_problems);
        let configurations = combinations(&axes);

        let mut reached: KeySet<DIKey> = KeySet::default();
        // Outcomes by the choices of the axes their planning consulted: a configuration that
        // agrees with an earlier one on those axes has the same outcome.
        let mut known: Vec<(Vec<AxisInfo>, Outcomes)> = Vec::new();
        let mut broken = Vec::new();
        let mut planned = 0;
        for activation in &configurations {
            let reused = known.iter().find_map(|(consulted, outcomes)| {
                outcomes.get(&project(activation, consulted)).cloned()
            });
            let problems = match reused {
                Some(problems) => problems,
                None => {
                    planned += 1;
                    let outcome = planner::check(&index, activation, &self.roots, &provided);
                    reached.extend(outcome.reached);
                    let projection = project(activation, &outcome.consulted);
                    match known.iter_mut().find(|(c, _)| *c == outcome.consulted) {
                        Some((_, outcomes)) => {
                            outcomes.insert(projection, outcome.problems.clone());
                        }
                        None => {
                            let mut outcomes = KeyMap::default();
                            outcomes.insert(projection, outcome.problems.clone());
                            known.push((outcome.consulted, outcomes));
                        }
                    }
                    outcome.problems
                }
            };
            if !problems.is_empty() {
                broken.push(BrokenConfiguration {
                    activation: activation.clone(),
                    problems: with_activation(problems, activation),
                });
            }
        }
        module_problems.extend(self.unselectable(&index, &axes, &reached));
        PlanCheckReport {
            axes: axes.iter().map(|(a, _)| *a).collect(),
            configurations: configurations.len(),
            planned,
            broken,
            module_problems,
        }
    }

    /// Plans every configuration and panics with the whole report if any is broken: for tests.
    #[track_caller]
    pub fn assert_ok(&self) {
        let report = self.run();
        if !report.is_ok() {
            panic!("{report}");
        }
    }

    /// The axes the module's bindings are tagged with, each with its choices left after the
    /// exclusions.
    fn axes(
        &self,
        index: &Index<'_>,
        problems: &mut Vec<Problem>,
    ) -> Vec<(AxisInfo, Vec<AxisChoice>)> {
        let mut axes: BTreeMap<AxisInfo, ()> = BTreeMap::new();
        // Subcontexts' modules are planned with each configuration too.
        let mut pending: Vec<&[crate::binding::Binding]> = vec![index.bindings()];
        while let Some(bindings) = pending.pop() {
            for b in bindings {
                for t in b.tags().iter() {
                    axes.insert(t.axis(), ());
                }
                if let Some(spec) = &b.provider().subcontext {
                    pending.push(spec.module.bindings());
                }
            }
        }
        let mut out = Vec::new();
        for axis in axes.into_keys() {
            let choices: Vec<AxisChoice> = axis
                .choices()
                .filter(|c| !self.excluded.contains(c))
                .collect();
            if choices.is_empty() {
                problems.push(Problem::AllChoicesExcluded { axis });
            } else {
                out.push((axis, choices));
            }
        }
        out
    }

    /// Bindings of reached keys that no configuration selects: tagged twice on one axis, or
    /// shadowed by the others. Bindings tagged with an excluded choice are left alone.
    fn unselectable(
        &self,
        index: &Index<'_>,
        axes: &[(AxisInfo, Vec<AxisChoice>)],
        reached: &KeySet<DIKey>,
    ) -> Vec<Problem> {
        let bindings = index.bindings();
        let mut problems = Vec::new();
        for (key, candidates) in index.keys_and_candidates() {
            if !reached.contains(key) {
                continue;
            }
            for &c in candidates {
                let tags = bindings[c.index()].tags();
                let contradictory = tags.contradictory_axes();
                if !contradictory.is_empty() {
                    problems.push(Problem::ContradictoryTags {
                        key: (*key).clone(),
                        binding: candidate(index, c),
                        axes: contradictory,
                    });
                }
            }
            if candidates.len() < 2 {
                continue;
            }
            // Selection depends only on the axes the candidates are tagged with.
            let mut relevant: Vec<(AxisInfo, Vec<AxisChoice>)> = axes
                .iter()
                .filter(|(a, _)| {
                    candidates
                        .iter()
                        .any(|&c| bindings[c.index()].tags().iter().any(|t| t.axis() == *a))
                })
                .cloned()
                .collect();
            relevant.sort_by_key(|(a, _)| *a);
            let mut chosen = vec![false; candidates.len()];
            for activation in combinations(&relevant) {
                if let Selection::One(b) = select(candidates, bindings, &activation)
                    && let Some(i) = candidates.iter().position(|&x| x == b)
                {
                    chosen[i] = true;
                }
            }
            for (i, &c) in candidates.iter().enumerate() {
                let b = &bindings[c.index()];
                let excluded = b.tags().iter().any(|t| self.excluded.contains(t));
                // Duplicates are reported as such by the configurations they break.
                let duplicate = candidates
                    .iter()
                    .any(|&o| o != c && bindings[o.index()].tags() == b.tags());
                if !chosen[i]
                    && !excluded
                    && !duplicate
                    && b.tags().contradictory_axes().is_empty()
                    && b.role() == BindingRole::Single
                {
                    problems.push(Problem::Shadowed {
                        key: (*key).clone(),
                        binding: candidate(index, c),
                    });
                }
            }
        }
        problems
    }
}

fn candidate(index: &Index<'_>, b: BindingIdx) -> Candidate {
    let binding = &index.bindings()[b.index()];
    Candidate {
        implementation: binding.provider().kind.clone(),
        tags: binding.tags().clone(),
        origin: binding.origin(),
    }
}

/// Problems by the choices made on some axes.
type Outcomes = KeyMap<Vec<AxisChoice>, Vec<Problem>>;

/// Every activation choosing one of each axis's choices (one empty activation for no axes).
fn combinations(axes: &[(AxisInfo, Vec<AxisChoice>)]) -> Vec<Activation> {
    let mut out = Vec::new();
    let mut digits = vec![0usize; axes.len()];
    loop {
        let mut activation = Activation::new();
        for ((_, choices), &d) in axes.iter().zip(&digits) {
            activation = activation.with(choices[d]);
        }
        out.push(activation);
        // Mixed-radix increment: the last axis varies fastest.
        let mut i = axes.len();
        loop {
            if i == 0 {
                return out;
            }
            i -= 1;
            digits[i] += 1;
            if digits[i] < axes[i].1.len() {
                break;
            }
            digits[i] = 0;
        }
    }
}

fn project(activation: &Activation, axes: &[AxisInfo]) -> Vec<AxisChoice> {
    axes.iter().filter_map(|a| activation.choice(a)).collect()
}

/// Problems reused from another configuration name this one's activation.
fn with_activation(problems: Vec<Problem>, activation: &Activation) -> Vec<Problem> {
    problems
        .into_iter()
        .map(|p| match p {
            Problem::Conflict {
                key,
                candidates,
                unset_axes,
                ..
            } => Problem::Conflict {
                key,
                candidates,
                unset_axes,
                activation: activation.clone(),
            },
            other => other,
        })
        .collect()
}

/// One configuration that does not plan, and why.
#[derive(Clone, Debug)]
pub struct BrokenConfiguration {
    /// The axis choices.
    pub activation: Activation,
    /// Everything wrong with it.
    pub problems: Vec<Problem>,
}

/// What [`PlanCheck::run`] found.
#[derive(Clone, Debug)]
pub struct PlanCheckReport {
    axes: Vec<AxisInfo>,
    configurations: usize,
    planned: usize,
    broken: Vec<BrokenConfiguration>,
    module_problems: Vec<Problem>,
}

impl PlanCheckReport {
    /// True when every configuration plans and no binding is unselectable.
    pub fn is_ok(&self) -> bool {
        self.broken.is_empty() && self.module_problems.is_empty()
    }

    /// The configurations that do not plan.
    pub fn broken(&self) -> &[BrokenConfiguration] {
        &self.broken
    }

    /// Problems of the module as a whole (contradictory tags, shadowed bindings).
    pub fn module_problems(&self) -> &[Problem] {
        &self.module_problems
    }

    /// How many configurations were checked.
    pub fn configurations(&self) -> usize {
        self.configurations
    }

    /// How many of them were actually planned; the others had the same choices on every axis
    /// their planning depends on as one planned before.
    pub fn planned(&self) -> usize {
        self.planned
    }

    /// The axes varied.
    pub fn axes(&self) -> &[AxisInfo] {
        &self.axes
    }

    /// Panics with the whole report unless everything is fine.
    #[track_caller]
    pub fn assert_ok(&self) {
        if !self.is_ok() {
            panic!("{self}");
        }
    }
}

/// The text of a problem without the activation it was found under, to group configurations.
fn problem_text(problem: &Problem) -> String {
    match problem {
        Problem::Conflict {
            key,
            candidates,
            unset_axes,
            ..
        } => Problem::Conflict {
            key: key.clone(),
            candidates: candidates.clone(),
            unset_axes: unset_axes.clone(),
            activation: Activation::new(),
        }
        .to_string()
        .replace(" under activation {}", ""),
        other => other.to_string(),
    }
}

impl fmt::Display for PlanCheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let axes: Vec<String> = self.axes.iter().map(|a| a.to_string()).collect();
        write!(
            f,
            "PlanCheck: {} configuration(s) of axes [{}], {} broken",
            self.configurations,
            axes.join(", "),
            self.broken.len()
        )?;
        // The same problem in many configurations is shown once, with its configurations.
        let mut groups: Vec<(String, Vec<&Activation>)> = Vec::new();
        for b in &self.broken {
            for p in &b.problems {
                let text = problem_text(p);
                match groups.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, acts)) => acts.push(&b.activation),
                    None => groups.push((text, vec![&b.activation])),
                }
            }
        }
        for (i, (text, activations)) in groups.iter().enumerate() {
            write!(f, "\n  {}. {}", i + 1, text.replace('\n', "\n     "))?;
            const SHOWN: usize = 6;
            let shown: Vec<String> = activations
                .iter()
                .take(SHOWN)
                .map(|a| a.to_string())
                .collect();
            write!(
                f,
                "\n     in {} configuration(s): {}",
                activations.len(),
                shown.join(", ")
            )?;
            if activations.len() > SHOWN {
                write!(f, ", and {} more", activations.len() - SHOWN)?;
            }
        }
        for (i, p) in self.module_problems.iter().enumerate() {
            write!(
                f,
                "\n  {}. {}",
                groups.len() + i + 1,
                p.to_string().replace('\n', "\n     ")
            )?;
        }
        Ok(())
    }
}
