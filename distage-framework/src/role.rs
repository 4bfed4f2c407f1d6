//! Roles: the one-off tasks and long-running services one binary holds, chosen on the command
//! line (`app :migrate :http`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use distage_core::{BoxError, DIKey, Locator};

/// A boxed, sendable future that owns what it uses.
pub(crate) type RoleFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'static>>;

/// A one-off job (`app :migrate --dry-run`): injected like any component, run once, in the
/// order the command line gives; the application stops when the last one is done (unless a
/// service runs).
///
/// Bind it with `role<Migrate>;` in `module!`: the compile-time check then covers its
/// dependencies like those of a `make<Migrate>;`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a task role",
    note = "implement `RoleTask` (a one-off job) or `RoleService` (long-running) for `{Self}`"
)]
pub trait RoleTask: Send + Sync + 'static {
    /// The name on the command line, without the colon: `"migrate"` for `:migrate`.
    const ID: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// The role's own arguments (`#[derive(clap::Args)]`), or [`NoArgs`].
    type Args: clap::Args + Send + 'static;

    /// Does the job. An error stops the application (after every resource is released) with a
    /// non-zero exit code.
    fn run(&self, args: Self::Args) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// A long-running role (`app :http --port 8081`): started concurrently with the other
/// services once everything is produced, it serves until `shutdown` resolves (SIGINT or
/// SIGTERM, or a task that failed), then returns; resources are released after every service
/// returned.
///
/// Bind it with `role<HttpServer>;` in `module!`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a service role",
    note = "implement `RoleService` (long-running) or `RoleTask` (a one-off job) for `{Self}`"
)]
pub trait RoleService: Send + Sync + 'static {
    /// The name on the command line, without the colon: `"http"` for `:http`.
    const ID: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// The role's own arguments (`#[derive(clap::Args)]`), or [`NoArgs`].
    type Args: clap::Args + Send + 'static;

    /// Serves until `shutdown` resolves; an error stops the application with a non-zero exit
    /// code.
    fn serve(
        &self,
        args: Self::Args,
        shutdown: Shutdown,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// The arguments of a role that takes none.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoArgs;

impl clap::FromArgMatches for NoArgs {
    fn from_arg_matches(_: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(NoArgs)
    }
    fn update_from_arg_matches(&mut self, _: &clap::ArgMatches) -> Result<(), clap::Error> {
        Ok(())
    }
}

impl clap::Args for NoArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd
    }
}

/// Resolves when the application is asked to stop (SIGINT, SIGTERM, or a failed role).
/// Cheap to clone; `wait()` is `'static`, as `axum::serve(..).with_graceful_shutdown` wants.
#[derive(Clone, Debug)]
pub struct Shutdown {
    rx: tokio::sync::watch::Receiver<bool>,
}

impl Shutdown {
    /// A shutdown handle and the sender that triggers it.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (ShutdownTrigger { tx }, Shutdown { rx })
    }

    /// True once stopping was asked for.
    pub fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once stopping is asked for (at once if it already was).
    pub fn wait(self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.rx;
        async move {
            // An error means the trigger is gone: nobody can ask any more, so stop too.
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }
}

/// Asks every [`Shutdown`] made with it to resolve.
#[derive(Debug)]
pub struct ShutdownTrigger {
    tx: tokio::sync::watch::Sender<bool>,
}

impl ShutdownTrigger {
    /// Resolves every [`Shutdown`] of this trigger.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }
}

/// Whether a role runs once or until shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleKind {
    /// A [`RoleTask`].
    Task,
    /// A [`RoleService`].
    Service,
}

type Start = fn(&Locator, &clap::ArgMatches, Shutdown) -> Result<RoleFuture, BoxError>;

/// A role as the launcher sees it: `role<T>;` in `module!` adds one to the module (as an
/// element of a set the launcher reads).
#[derive(Clone)]
pub struct RoleEntry {
    id: &'static str,
    about: &'static str,
    kind: RoleKind,
    key: DIKey,
    type_name: &'static str,
    command: fn() -> clap::Command,
    start: Start,
}

impl RoleEntry {
    /// The entry of a task.
    pub fn task<T: RoleTask>() -> Self {
        RoleEntry {
            id: T::ID,
            about: T::ABOUT,
            kind: RoleKind::Task,
            key: DIKey::of::<T>(),
            type_name: std::any::type_name::<T>(),
            command: || <T::Args as clap::Args>::augment_args(clap::Command::new(T::ID)),
            start: start_task::<T>,
        }
    }

    /// The entry of a service.
    pub fn service<T: RoleService>() -> Self {
        RoleEntry {
            id: T::ID,
            about: T::ABOUT,
            kind: RoleKind::Service,
            key: DIKey::of::<T>(),
            type_name: std::any::type_name::<T>(),
            command: || <T::Args as clap::Args>::augment_args(clap::Command::new(T::ID)),
            start: start_service::<T>,
        }
    }

    /// The name on the command line, without the colon.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The one-line description.
    pub fn about(&self) -> &'static str {
        self.about
    }

    /// Task or service.
    pub fn kind(&self) -> RoleKind {
        self.kind
    }

    /// The role's key: the root of its plan.
    pub fn key(&self) -> &DIKey {
        &self.key
    }

    /// The role's own arguments as a clap command named after the role.
    pub fn command(&self) -> clap::Command {
        (self.command)()
            .about(self.about)
            .no_binary_name(true)
            .disable_version_flag(true)
    }

    /// Gets the role from `locator`, parses its arguments and returns the future that runs it.
    pub(crate) fn start(
        &self,
        locator: &Locator,
        args: &clap::ArgMatches,
        shutdown: Shutdown,
    ) -> Result<RoleFuture, BoxError> {
        (self.start)(locator, args, shutdown)
    }
}

impl fmt::Debug for RoleEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleEntry")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("type", &self.type_name)
            .finish()
    }
}

fn start_task<T: RoleTask>(
    locator: &Locator,
    matches: &clap::ArgMatches,
    _: Shutdown,
) -> Result<RoleFuture, BoxError> {
    let role = locator.get::<T>()?;
    let args = <T::Args as clap::FromArgMatches>::from_arg_matches(matches)?;
    Ok(Box::pin(async move { role.run(args).await }))
}

fn start_service<T: RoleService>(
    locator: &Locator,
    matches: &clap::ArgMatches,
    shutdown: Shutdown,
) -> Result<RoleFuture, BoxError> {
    let role = locator.get::<T>()?;
    let args = <T::Args as clap::FromArgMatches>::from_arg_matches(matches)?;
    Ok(Box::pin(async move { role.serve(args, shutdown).await }))
}

// ---- what `role<T>;` expands to: the entry of a task or of a service, whichever `T` is ----

/// Picks [`RoleEntry::task`] or [`RoleEntry::service`] by the trait `T` implements (method
/// resolution tries `&&Probe` before `&Probe` before `Probe`).
#[doc(hidden)]
#[derive(Debug)]
pub struct RoleProbe<T>(PhantomData<fn() -> T>);

impl<T> RoleProbe<T> {
    #[doc(hidden)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        RoleProbe(PhantomData)
    }
}

#[doc(hidden)]
pub trait TaskProbe {
    fn __distage_role_entry(&self) -> RoleEntry;
}
impl<T: RoleTask> TaskProbe for &&RoleProbe<T> {
    fn __distage_role_entry(&self) -> RoleEntry {
        RoleEntry::task::<T>()
    }
}

#[doc(hidden)]
pub trait ServiceProbe {
    fn __distage_role_entry(&self) -> RoleEntry;
}
impl<T: RoleService> ServiceProbe for &RoleProbe<T> {
    fn __distage_role_entry(&self) -> RoleEntry {
        RoleEntry::service::<T>()
    }
}

#[doc(hidden)]
pub trait NeitherProbe<T> {
    fn __distage_role_entry(&self) -> NotARole<T>;
}
impl<T> NeitherProbe<T> for RoleProbe<T> {
    fn __distage_role_entry(&self) -> NotARole<T> {
        NotARole(PhantomData)
    }
}

/// What `role<T>;` finds when `T` is neither a task nor a service.
#[doc(hidden)]
#[derive(Debug)]
pub struct NotARole<T>(PhantomData<fn() -> T>);

/// A [`RoleEntry`], or the compile error `role<T>;` gives for a type that is not a role.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`role<{T}>`: `{T}` is not a role",
    label = "bound with `role<…>` here",
    note = "implement `RoleTask` (a one-off job) or `RoleService` (long-running) for `{T}`, or bind it with `make<…>`"
)]
pub trait IntoRoleEntry<T> {
    fn into_role_entry(self) -> RoleEntry;
}
impl<T> IntoRoleEntry<T> for RoleEntry {
    fn into_role_entry(self) -> RoleEntry {
        self
    }
}

#[doc(hidden)]
pub fn role_entry<T>(entry: impl IntoRoleEntry<T>) -> RoleEntry {
    entry.into_role_entry()
}
