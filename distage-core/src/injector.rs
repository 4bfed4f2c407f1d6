//! The injector: plans modules and produces plans.

use std::fmt;
use std::sync::Arc;

use crate::activation::Activation;
use crate::error::Error;
use crate::functoid::RunFn;
use crate::inject::{DepMode, Dependency};
use crate::key::{DIKey, Id};
use crate::locator::{AsyncLocator, Locator, LocatorInner};
use crate::module::Module;
use crate::plan::Plan;
use crate::planner::{self, Roots};

/// What to plan: a module, the activation, and the roots to keep.
///
/// ```
/// use distage_core::{Activation, Injector, Mode, Module, PlannerInput};
///
/// let module = Module::build(|m| {
///     m.make::<String>().from_value("prod".to_string()).tagged(Mode::Prod);
///     m.make::<String>().from_value("test".to_string()).tagged(Mode::Test);
///     m.make::<u32>().from_value(7); // not needed by the roots: not planned
/// });
/// let input = PlannerInput::new(module)
///     .activation(Activation::new().with(Mode::Test))
///     .roots::<String>();
/// let plan = Injector::new().plan(&input).unwrap();
/// assert_eq!(plan.steps().len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct PlannerInput {
    pub(crate) module: Module,
    pub(crate) activation: Activation,
    pub(crate) roots: Roots,
    /// Roots planned only if bound (optional parameters of `produce_run`).
    pub(crate) optional_roots: Vec<DIKey>,
}

impl PlannerInput {
    /// Plans `module` with no activation, keeping every binding (no roots given yet).
    pub fn new(module: Module) -> Self {
        PlannerInput {
            module,
            activation: Activation::new(),
            roots: Roots::Everything,
            optional_roots: Vec::new(),
        }
    }

    /// Plans for `activation`.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Adds `T` to the roots: only what the roots need is planned and produced.
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

    /// Sets the roots to exactly `keys`; an empty list is an error when planning.
    pub fn root_keys(mut self, keys: impl IntoIterator<Item = DIKey>) -> Self {
        self.roots = Roots::Keys(Vec::new());
        for key in keys {
            self = self.root_key(key);
        }
        self
    }

    /// Keeps every binding (the default).
    pub fn everything(mut self) -> Self {
        self.roots = Roots::Everything;
        self
    }

    /// The module.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// The activation.
    pub fn get_activation(&self) -> &Activation {
        &self.activation
    }

    /// The explicit roots, or `None` for "everything".
    pub fn root_list(&self) -> Option<&[DIKey]> {
        match &self.roots {
            Roots::Everything => None,
            Roots::Keys(k) => Some(k),
        }
    }
}

/// Plans and produces. A child injector ([`Injector::inherit`]) resolves what its modules do not
/// bind from a parent locator, and may override the parent's keys locally.
///
/// ```
/// use std::sync::Arc;
/// use distage_core::{Injector, Module, PlannerInput};
///
/// struct Db(String);
/// struct Users(Arc<Db>);
///
/// let module = Module::build(|m| {
///     m.make::<Db>().from_fn(|| Db("pg://app".into()));
///     m.make::<Users>().from_fn(Users);
/// });
/// let injector = Injector::new();
/// let plan = injector.plan(&PlannerInput::new(module).roots::<Users>())?; // pure: no constructor runs
/// let locator = injector.produce(&plan)?;
/// assert_eq!(locator.get::<Users>()?.0.0, "pg://app");
/// # Ok::<(), distage_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Injector {
    parent: Option<Arc<LocatorInner>>,
}

impl Injector {
    /// An injector without a parent.
    pub fn new() -> Self {
        Injector { parent: None }
    }

    /// A child injector: its plans may use `parent`'s instances, never change them, and its sets
    /// extend the parent's sets.
    pub fn inherit(parent: &Locator) -> Self {
        Injector {
            parent: Some(parent.inner.clone()),
        }
    }

    /// Plans `input`: pure, produces nothing. On failure the error lists every problem found.
    pub fn plan(&self, input: &PlannerInput) -> Result<Plan, Error> {
        let lineage = self
            .parent
            .as_ref()
            .map(|p| p.lineage())
            .unwrap_or_default();
        planner::plan(
            &input.module,
            &input.activation,
            &input.roots,
            &input.optional_roots,
            &lineage,
        )
    }

    /// Produces `plan` into a new locator: one instance per key, resources acquired in plan
    /// order. If a step fails or panics, what was acquired is released in reverse order and the
    /// error names the step.
    pub fn produce(&self, plan: &Plan) -> Result<Locator, Error> {
        crate::producer::produce(plan, self.parent_for(plan)?, Default::default())
    }

    /// Produces `plan`, awaiting async constructors and resources; each step starts as soon as
    /// what it depends on is produced, so independent branches run concurrently and start-up
    /// takes the longest chain rather than the sum. Runs on any executor.
    ///
    /// On a failure or panic no new step starts, the steps in flight finish, everything acquired
    /// is released (every dependent before what it depends on), and every failure is returned
    /// with its key. If the returned future is dropped before it finishes, the steps in flight
    /// are dropped and everything already acquired is released: sync release steps at once,
    /// async ones on the current tokio runtime (or a temporary one when there is none).
    pub async fn produce_async(&self, plan: &Plan) -> Result<AsyncLocator, Error> {
        crate::producer::produce_async(plan, self.parent_for(plan)?, Default::default())
            .await
            .map(|locator| AsyncLocator { locator })
    }

    /// [`produce_run`](Self::produce_run) for async plans and functions: plans `input` rooted
    /// at `f`'s parameters, produces it, awaits `f`, and closes the locator.
    pub async fn produce_run_async<M, Fut, F>(
        &self,
        input: &PlannerInput,
        f: F,
    ) -> Result<Fut::Output, Error>
    where
        F: RunFn<M, Fut>,
        Fut: std::future::Future,
    {
        let plan = self.plan_for(input, &f)?;
        let locator = self.produce_async(&plan).await?;
        let result = locator.run(f).await;
        locator.close().await?;
        result
    }

    /// Plans `input` rooted at `f`'s parameters, produces it, runs `f`, and closes the locator.
    pub fn produce_run<M, R, F: RunFn<M, R>>(
        &self,
        input: &PlannerInput,
        f: F,
    ) -> Result<R, Error> {
        let plan = self.plan_for(input, &f)?;
        let locator = self.produce(&plan)?;
        let result = locator.run(f);
        locator.close()?;
        result
    }
}

impl Injector {
    /// The locator `plan` is produced from: this injector's parent, which must hold the plan
    /// `plan` was made against (a plan names its parent's instances by slot).
    fn parent_for(&self, plan: &Plan) -> Result<Option<Arc<LocatorInner>>, Error> {
        match (&plan.data.parent, &self.parent) {
            (None, _) => Ok(None),
            (Some(made_against), Some(parent)) if Arc::ptr_eq(made_against, &parent.plan) => {
                Ok(Some(parent.clone()))
            }
            (Some(_), _) => Err(Error::PlanOfAnotherParent),
        }
    }

    /// `input` rooted at `f`'s parameters (optional ones only when bound).
    fn plan_for<M, R, F: RunFn<M, R>>(&self, input: &PlannerInput, f: &F) -> Result<Plan, Error> {
        let mut input = input.clone().root_keys([]);
        for dep in f.dependencies() {
            match dep {
                Dependency::Key {
                    key,
                    mode: DepMode::Optional,
                } => input.optional_roots.push(key),
                Dependency::Key { key, .. } => input = input.root_key(key),
                Dependency::Locator | Dependency::Logger => {}
            }
        }
        if input.root_list().is_some_and(|r| r.is_empty()) && input.optional_roots.is_empty() {
            // A function without key parameters needs nothing planned.
            return self.plan(&PlannerInput::new(Module::new()));
        }
        self.plan(&input)
    }
}

impl fmt::Debug for Injector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Injector")
            .field("has_parent", &self.parent.is_some())
            .finish()
    }
}
