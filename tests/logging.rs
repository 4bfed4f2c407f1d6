//! `Logger` over `tracing`: events target the component's module path and carry its name.

use std::sync::{Arc, Mutex};

use distage::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One event or span: its target and its fields as `name=value`.
type Observed = (String, Vec<String>);

/// What a subscriber saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Observed>>>);

struct Fields(Vec<String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(format!("{}={value}", field.name()));
    }
}

/// Accepts what `RUST_LOG=<only>=info` would: events and spans whose target starts with `only`.
struct Capture {
    only: &'static str,
    seen: Seen,
}

impl Subscriber for Capture {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.target().starts_with(self.only)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(vec![format!("span={}", span.metadata().name())]);
        span.record(&mut fields);
        let target = span.metadata().target().to_string();
        self.seen.0.lock().unwrap().push((target, fields.0));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        let target = event.metadata().target().to_string();
        self.seen.0.lock().unwrap().push((target, fields.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

mod users {
    use distage::prelude::*;

    #[derive(Injectable)]
    pub struct UserService {
        pub log: Logger,
    }
}

#[test]
fn events_target_the_components_module_and_name_it() {
    let seen = Seen::default();
    let subscriber = Capture {
        only: "logging::users",
        seen: seen.clone(),
    };
    tracing::subscriber::with_default(subscriber, || {
        let module = Module::build(|m| {
            m.make::<users::UserService>().from::<users::UserService>();
        });
        let injector = Injector::new();
        let locator = injector
            .produce(&injector.plan(&PlannerInput::new(module)).unwrap())
            .unwrap();
        let users = locator.get::<users::UserService>().unwrap();
        assert_eq!(users.log.component(), "UserService");
        assert_eq!(users.log.target(), "logging::users");
        users.log.info(format_args!("created {}", "alice"));
        // Structured fields: tracing's macros inside the component's span.
        let _entered = users.log.span().entered();
        tracing::info!(target: "logging::users::audit", user = "bob", "created");
        // Another module's logger is filtered out, as `RUST_LOG=logging::users=info` would.
        Logger::new("logging::billing::Invoices").info("not shown");
    });
    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            (
                "logging::users".to_string(),
                vec![
                    "message=created alice".to_string(),
                    "component=UserService".to_string()
                ]
            ),
            (
                "logging::users".to_string(),
                vec![
                    "span=distage component".to_string(),
                    "component=UserService".to_string()
                ]
            ),
            (
                "logging::users::audit".to_string(),
                vec!["message=created".to_string(), "user=bob".to_string()]
            ),
        ]
    );
}

#[test]
fn a_logger_made_by_hand_is_named_as_given() {
    let log = Logger::new("custom");
    assert_eq!((log.component(), log.target()), ("custom", "custom"));
    let log = Logger::new("app::db::Pool<app::Conn> @ \"primary\"");
    assert_eq!(log.component(), "Pool<Conn> @ \"primary\"");
    assert_eq!(log.target(), "app::db");
}

/// Producing runs each constructor, acquire and release in a `distage` span naming the key, so a
/// slow start-up (or shutdown) shows in any subscriber.
#[test]
fn constructors_acquires_and_releases_run_in_a_span_naming_their_key() {
    struct Pool;
    struct Repo;
    let seen = Seen::default();
    let subscriber = Capture {
        only: "distage_core",
        seen: seen.clone(),
    };
    tracing::subscriber::with_default(subscriber, || {
        let module = Module::build(|m| {
            m.make::<Pool>()
                .from_resource(|| Lifecycle::make(|| Pool, |_: &Pool| {}));
            m.make::<Repo>().from_fn(|_: Arc<Pool>| Repo);
        });
        let injector = Injector::new();
        let locator = injector
            .produce(&injector.plan(&PlannerInput::new(module)).unwrap())
            .unwrap();
        locator.close().unwrap();
    });
    let spans: Vec<Vec<String>> = seen
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, fields)| fields.first().is_some_and(|f| f == "span=distage"))
        .map(|(_, fields)| fields[1..2].to_vec())
        .collect();
    assert_eq!(
        spans,
        [
            vec!["produce=Pool".to_string()],
            vec!["produce=Repo".to_string()],
            vec!["release=Pool".to_string()],
        ]
    );
}
