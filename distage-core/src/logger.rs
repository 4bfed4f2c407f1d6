//! `Logger`: a per-component logger, injected automatically, over `tracing`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::callsite::{Callsite, Identifier};
use tracing::field::{FieldSet, Value};
use tracing::metadata::{Kind, Level, Metadata};
use tracing::subscriber::Interest;

use crate::key::short_type_name;

/// A logger named after the component it is injected into.
///
/// Its events are `tracing` events whose **target is the component's module path** (so
/// `RUST_LOG=myapp::db=debug` with `tracing-subscriber`'s `EnvFilter` shows what `myapp::db`'s
/// components log) and which carry a `component` field. For structured fields, enter
/// [`span`](Logger::span) and use `tracing`'s own macros inside it:
///
/// ```
/// use distage_core::Logger;
///
/// let log = Logger::new("myapp::users::UserService");
/// assert_eq!(log.component(), "UserService");
/// assert_eq!(log.target(), "myapp::users");
/// log.info(format_args!("created {}", "alice"));
/// let _entered = log.span().entered();
/// tracing::info!(user = "alice", "created"); // inside a `component = "UserService"` span
/// ```
///
/// A `Logger` bound in the module (`make::<Logger>().from_value(…)`) is injected instead of the
/// automatic one.
#[derive(Clone)]
pub struct Logger {
    component: Arc<str>,
    target: &'static str,
}

impl Logger {
    /// A logger for `name`: a type path (`myapp::db::Postgres`, optionally followed by
    /// ` @ "id"`) gives the component `Postgres` and the target `myapp::db`; any other name is
    /// both the component and the target.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        let name: Arc<str> = name.into();
        let (path, id) = match name.find(" @ ") {
            Some(at) => name.split_at(at),
            None => (&*name, ""),
        };
        let path = path.strip_prefix("dyn ").unwrap_or(path);
        match module_path_of(path) {
            Some(module) => Logger {
                component: format!("{}{id}", short_type_name(path)).into(),
                target: intern(module),
            },
            None => Logger {
                target: intern(&name),
                component: name,
            },
        }
    }

    /// The component's name.
    pub fn component(&self) -> &str {
        &self.component
    }

    /// The `tracing` target of its events: the component's module path.
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// Logs at `TRACE`.
    pub fn trace(&self, message: impl fmt::Display) {
        self.event(Level::TRACE, &message);
    }
    /// Logs at `DEBUG`.
    pub fn debug(&self, message: impl fmt::Display) {
        self.event(Level::DEBUG, &message);
    }
    /// Logs at `INFO`.
    pub fn info(&self, message: impl fmt::Display) {
        self.event(Level::INFO, &message);
    }
    /// Logs at `WARN`.
    pub fn warn(&self, message: impl fmt::Display) {
        self.event(Level::WARN, &message);
    }
    /// Logs at `ERROR`.
    pub fn error(&self, message: impl fmt::Display) {
        self.event(Level::ERROR, &message);
    }

    /// An `INFO` span with the component's target and a `component` field: enter it, and the
    /// events `tracing`'s macros record inside (with any fields) belong to the component.
    pub fn span(&self) -> tracing::Span {
        let meta = callsite(self.target, Level::INFO, Kind::SPAN);
        let fields = meta.fields();
        let Some(component) = fields.field("component") else {
            return tracing::Span::none();
        };
        let name: &str = &self.component;
        tracing::Span::new(
            meta,
            &fields.value_set(&[(&component, Some(&name as &dyn Value))]),
        )
    }

    fn event(&self, level: Level, message: &dyn fmt::Display) {
        if level > tracing::level_filters::LevelFilter::current() {
            return;
        }
        let meta = callsite(self.target, level, Kind::EVENT);
        let fields = meta.fields();
        let (Some(message_field), Some(component)) =
            (fields.field("message"), fields.field("component"))
        else {
            return;
        };
        tracing::dispatcher::get_default(|dispatch| {
            if !dispatch.enabled(meta) {
                return;
            }
            let message = format_args!("{message}");
            let name: &str = &self.component;
            let values = [
                (&message_field, Some(&message as &dyn Value)),
                (&component, Some(&name as &dyn Value)),
            ];
            dispatch.event(&tracing::Event::new(meta, &fields.value_set(&values)));
        });
    }
}

/// `myapp::db` for `myapp::db::Postgres<myapp::Unit>`; `None` for a name without a path.
fn module_path_of(path: &str) -> Option<&str> {
    let outer = &path[..path.find(['<', '(', '[', ' ']).unwrap_or(path.len())];
    outer.rfind("::").map(|end| &outer[..end])
}

/// Targets are `&'static str` in `tracing`'s metadata: each distinct one is kept once.
fn intern(target: &str) -> &'static str {
    static TARGETS: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut targets = TARGETS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(t) = targets.get(target) {
        return t;
    }
    let leaked: &'static str = Box::leak(target.to_owned().into_boxed_str());
    targets.insert(target.to_owned(), leaked);
    leaked
}

/// A callsite made at run time for one target, level and kind: `tracing`'s macros make theirs
/// at compile time, where the target must be a literal. One per component module and level.
struct DynCallsite {
    meta: OnceLock<Metadata<'static>>,
}

impl Callsite for DynCallsite {
    fn set_interest(&self, _: Interest) {}
    fn metadata(&self) -> &Metadata<'_> {
        self.meta
            .get()
            .expect("set before the callsite is registered")
    }
}

fn callsite(target: &'static str, level: Level, kind: Kind) -> &'static Metadata<'static> {
    type Sites = HashMap<(&'static str, Level, bool), &'static DynCallsite>;
    static SITES: OnceLock<Mutex<Sites>> = OnceLock::new();
    let is_span = kind.is_span();
    let mut sites = SITES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let site = *sites.entry((target, level, is_span)).or_insert_with(|| {
        let site: &'static DynCallsite = Box::leak(Box::new(DynCallsite {
            meta: OnceLock::new(),
        }));
        let (name, fields): (&'static str, &'static [&'static str]) = if is_span {
            ("distage component", &["component"])
        } else {
            ("distage logger event", &["message", "component"])
        };
        let _ = site.meta.set(Metadata::new(
            name,
            target,
            level,
            None,
            None,
            Some(target),
            FieldSet::new(fields, Identifier(site)),
            kind,
        ));
        tracing::callsite::register(site);
        site
    });
    drop(sites);
    site.meta.get().expect("set above")
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logger({})", self.component)
    }
}
