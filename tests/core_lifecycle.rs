//! Resources: acquire in order, release in exact reverse order exactly once, also on failure.

mod core_common;

use std::sync::Arc;

use core_common::{Drops, Log, at};
use distage::{
    DIKey, Error, Failure, Injector, Lifecycle, Locator, Module, ModuleBuilder, PlannerInput,
    ProduceError, StepTarget,
};

/// A user error type for fallible acquire/release.
type Msg = &'static str;

#[derive(Debug)]
struct X;
#[derive(Debug)]
struct Y;
#[derive(Debug)]
struct Z;
#[derive(Debug)]
struct W;

fn produce(module: Module) -> Result<Locator, Error> {
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module))
        .unwrap_or_else(|e| panic!("{e}"));
    injector.produce(&plan)
}

fn produce_error(result: Result<Locator, Error>) -> Box<ProduceError> {
    match result {
        Err(Error::Produce(e)) => e,
        Err(other) => panic!("expected Error::Produce, got {other}"),
        Ok(_) => panic!("expected producing to fail"),
    }
}

/// X <- Y <- Z, all resources.
fn chain(log: &Log) -> Module {
    let log = log.clone();
    Module::build(move |m| {
        let l = log.clone();
        m.make::<X>().from_resource(move || l.resource("X", X));
        let l = log.clone();
        m.make::<Y>()
            .from_resource(move |_: Arc<X>| l.resource("Y", Y));
        let l = log.clone();
        m.make::<Z>()
            .from_resource(move |_: Arc<Y>| l.resource("Z", Z));
    })
}

#[test]
fn released_in_exact_reverse_order_exactly_once_on_close() {
    let log = Log::new();
    let locator = produce(chain(&log)).unwrap();
    assert_eq!(log.entries(), ["X start", "Y start", "Z start"]);
    // Lookups and runs do not release anything.
    for _ in 0..3 {
        locator.get::<Z>().unwrap();
        locator.run(|_: Arc<X>, _: Arc<Y>| ()).unwrap();
    }
    locator.close().unwrap();
    assert_eq!(
        log.entries(),
        [
            "X start", "Y start", "Z start", "Z stop", "Y stop", "X stop"
        ]
    );
}

#[test]
fn released_in_exact_reverse_order_exactly_once_on_drop() {
    let log = Log::new();
    let locator = produce(chain(&log)).unwrap();
    let z = locator.get::<Z>().unwrap();
    drop(locator);
    assert_eq!(
        log.entries(),
        [
            "X start", "Y start", "Z start", "Z stop", "Y stop", "X stop"
        ]
    );
    // An instance kept past the locator does not cause a second release.
    drop(z);
    assert_eq!(log.entries().len(), 6);
}

#[test]
fn a_handle_kept_alive_does_not_delay_or_repeat_release_on_close() {
    let log = Log::new();
    let locator = produce(chain(&log)).unwrap();
    let handle = locator.locator_ref();
    locator.close().unwrap();
    assert_eq!(log.entries()[3..], ["Z stop", "Y stop", "X stop"]);
    drop(handle);
    assert_eq!(log.entries().len(), 6);
}

#[test]
fn a_failing_constructor_releases_what_was_acquired_in_reverse() {
    let log = Log::new();
    let w_built = Drops::new();
    let mut b = ModuleBuilder::new();
    let l = log.clone();
    b.make::<X>().from_resource(move || l.resource("X", X));
    let l = log.clone();
    b.make::<Y>()
        .from_resource(move |_: Arc<X>| l.resource("Y", Y));
    let z_line = line!() + 1;
    b.make::<Z>()
        .from_try_fn(|_: Arc<Y>| Err::<Z, _>("z failed"));
    let wb = w_built.clone();
    b.make::<W>().from_fn(move |_: Arc<Z>| {
        wb.bump();
        W
    });

    let err = produce_error(produce(b.build()));
    assert_eq!(log.entries(), ["X start", "Y start", "Y stop", "X stop"]);
    assert_eq!(w_built.count(), 0);
    assert_eq!(err.target, StepTarget::Key(DIKey::of::<Z>()));
    assert_eq!(err.origin.line(), z_line);
    assert_eq!(err.origin.file(), file!());
    assert!(matches!(&err.cause, Failure::Error(e) if e.to_string() == "z failed"));
    assert!(err.release_failures.is_empty());
    assert_eq!(
        err.to_string(),
        format!(
            "failed to produce `Z` (bound at {}): z failed",
            at(file!(), z_line)
        )
    );
    let source = std::error::Error::source(&*err).expect("the cause is the source");
    assert_eq!(source.to_string(), "z failed");
}

#[test]
fn a_resource_whose_acquire_fails_releases_the_others_in_reverse() {
    let log = Log::new();
    let l = log.clone();
    let l2 = log.clone();
    let module = Module::build(move |m| {
        let l = l.clone();
        m.make::<X>().from_resource(move || l.resource("X", X));
        let l = l2.clone();
        m.make::<Y>()
            .from_resource(move |_: Arc<X>| l.resource("Y", Y));
        m.make::<Z>().from_resource(|_: Arc<Y>| {
            Lifecycle::try_make(
                || Err::<Z, _>("no connection"),
                |_: &Z| -> Result<(), Msg> { panic!("never acquired, never released") },
            )
        });
    });
    let err = produce_error(produce(module));
    assert_eq!(log.entries(), ["X start", "Y start", "Y stop", "X stop"]);
    assert_eq!(err.target, StepTarget::Key(DIKey::of::<Z>()));
    assert!(err.to_string().ends_with(": no connection"), "{err}");
}

#[test]
fn a_panicking_constructor_is_caught_and_what_was_acquired_is_released() {
    let log = Log::new();
    let l = log.clone();
    let l2 = log.clone();
    let mut b = ModuleBuilder::new();
    b.make::<X>().from_resource(move || l.resource("X", X));
    b.make::<Y>()
        .from_resource(move |_: Arc<X>| l2.resource("Y", Y));
    let z_line = line!() + 1;
    b.make::<Z>().from_fn(|_: Arc<Y>| -> Z {
        panic!("constructor exploded");
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| produce(b.build())));
    let result = result.expect("no panic escapes produce");
    let err = produce_error(result);
    assert_eq!(log.entries(), ["X start", "Y start", "Y stop", "X stop"]);
    assert!(matches!(&err.cause, Failure::Panic(msg) if msg == "constructor exploded"));
    assert_eq!(err.origin.line(), z_line);
    assert_eq!(
        err.to_string(),
        format!(
            "failed to produce `Z` (bound at {}): panicked: constructor exploded",
            at(file!(), z_line)
        )
    );
}

#[test]
fn a_panicking_acquire_and_a_non_string_payload_are_caught() {
    let log = Log::new();
    let l = log.clone();
    let module = Module::build(move |m| {
        let l = l.clone();
        m.make::<X>().from_resource(move || l.resource("X", X));
        m.make::<Y>().from_resource(|_: Arc<X>| {
            Lifecycle::make(|| -> Y { std::panic::panic_any(42u32) }, |_| ())
        });
    });
    let err = produce_error(produce(module));
    assert_eq!(log.entries(), ["X start", "X stop"]);
    assert!(
        matches!(&err.cause, Failure::Panic(msg) if msg == "<non-string panic payload>"),
        "{err}"
    );
    assert_eq!(err.target, StepTarget::Key(DIKey::of::<Y>()));
}

#[test]
fn a_failing_release_does_not_stop_the_others_and_close_reports_it() {
    let log = Log::new();
    let mut b = ModuleBuilder::new();
    let l = log.clone();
    b.make::<X>().from_resource(move || l.resource("X", X));
    let l = log.clone();
    let y_line = line!() + 1;
    b.make::<Y>().from_resource(move |_: Arc<X>| {
        let (start, stop) = (l.clone(), l.clone());
        Lifecycle::try_make(
            move || {
                start.push("Y start");
                Ok::<_, Msg>(Y)
            },
            move |_| {
                stop.push("Y stop (failing)");
                Err("disk full")
            },
        )
    });
    let l = log.clone();
    let w_line = line!() + 1;
    b.make::<W>().from_resource(move |_: Arc<Y>| {
        let (start, stop) = (l.clone(), l.clone());
        Lifecycle::make(
            move || {
                start.push("W start");
                W
            },
            move |_| {
                stop.push("W stop (panicking)");
                panic!("release panicked");
            },
        )
    });
    let l = log.clone();
    b.make::<Z>()
        .from_resource(move |_: Arc<W>| l.resource("Z", Z));
    let locator = produce(b.build()).unwrap();
    let err = locator.close().unwrap_err();
    assert_eq!(
        log.entries(),
        [
            "X start",
            "Y start",
            "W start",
            "Z start",
            "Z stop",
            "W stop (panicking)",
            "Y stop (failing)",
            "X stop"
        ]
    );
    let Error::Release(failures) = &err else {
        panic!("expected Error::Release, got {err:?}");
    };
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0].target, StepTarget::Key(DIKey::of::<W>()));
    assert_eq!(failures[0].origin.line(), w_line);
    assert!(matches!(&failures[0].cause, Failure::Panic(m) if m == "release panicked"));
    assert_eq!(failures[1].target, StepTarget::Key(DIKey::of::<Y>()));
    assert_eq!(failures[1].origin.line(), y_line);
    assert!(matches!(&failures[1].cause, Failure::Error(e) if e.to_string() == "disk full"));
    assert_eq!(
        err.to_string(),
        format!(
            "2 resource(s) failed to release\n    releasing `W` (bound at {}) failed: panicked: release panicked\n    releasing `Y` (bound at {}) failed: disk full",
            at(file!(), w_line),
            at(file!(), y_line)
        )
    );
}

#[test]
fn release_failures_while_undoing_a_failed_produce_are_reported_with_it() {
    let log = Log::new();
    let l = log.clone();
    let module = Module::build(move |m| {
        let l = l.clone();
        m.make::<X>().from_resource(move || l.resource("X", X));
        m.make::<Y>().from_resource(|_: Arc<X>| {
            Lifecycle::try_make(|| Ok::<_, Msg>(Y), |_| Err::<(), _>("y release failed"))
        });
        m.make::<Z>()
            .from_try_fn(|_: Arc<Y>| Err::<Z, _>("z failed"));
    });
    let err = produce_error(produce(module));
    assert_eq!(log.entries(), ["X start", "X stop"]);
    assert_eq!(err.release_failures.len(), 1);
    assert_eq!(
        err.release_failures[0].target,
        StepTarget::Key(DIKey::of::<Y>())
    );
    let text = err.to_string();
    assert!(
        text.contains(": z failed\n    and then releasing `Y`"),
        "{text}"
    );
    assert!(text.ends_with("failed: y release failed"), "{text}");
}

/// Logs its name when dropped.
struct Dropper {
    name: &'static str,
    log: Log,
}

impl Drop for Dropper {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.name));
    }
}

struct D1 {
    _dropper: Dropper,
}
struct D2 {
    _dropper: Dropper,
}
struct D3 {
    _dropper: Dropper,
}

fn droppers(log: &Log) -> Module {
    let log = log.clone();
    Module::build(move |m| {
        let l = log.clone();
        m.make::<D1>().from_resource(move || {
            let l = l.clone();
            Lifecycle::from_drop(move || D1 {
                _dropper: Dropper { name: "D1", log: l },
            })
        });
        let l = log.clone();
        m.make::<D2>().from_resource(move |_: Arc<D1>| {
            let l = l.clone();
            Lifecycle::from_drop(move || D2 {
                _dropper: Dropper { name: "D2", log: l },
            })
        });
        let l = log.clone();
        // A plain constructor is dropped in the same reverse order.
        m.make::<D3>().from_fn(move |_: Arc<D2>| D3 {
            _dropper: Dropper {
                name: "D3",
                log: l.clone(),
            },
        });
    })
}

#[test]
fn from_drop_values_are_dropped_in_reverse_order_on_drop() {
    let log = Log::new();
    let locator = produce(droppers(&log)).unwrap();
    assert!(log.entries().is_empty());
    drop(locator);
    assert_eq!(log.entries(), ["drop D3", "drop D2", "drop D1"]);
}

#[test]
fn from_drop_values_are_dropped_in_reverse_order_on_close() {
    let log = Log::new();
    let locator = produce(droppers(&log)).unwrap();
    locator.close().unwrap();
    assert_eq!(log.entries(), ["drop D3", "drop D2", "drop D1"]);
}

#[test]
fn instances_made_before_a_failure_are_dropped_in_reverse() {
    let log = Log::new();
    let l = log.clone();
    let module = droppers(&log)
        + Module::build(move |m| {
            let l = l.clone();
            m.make::<Z>().from_try_fn(move |_: Arc<D3>| {
                l.push("Z fails");
                Err::<Z, _>("nope")
            });
        });
    let err = produce_error(produce(module));
    assert_eq!(err.target, StepTarget::Key(DIKey::of::<Z>()));
    assert_eq!(log.entries(), ["Z fails", "drop D3", "drop D2", "drop D1"]);
}

#[test]
fn pure_and_on_release() {
    let log = Log::new();
    let l = log.clone();
    let module = Module::build(move |m| {
        m.make::<u32>().from_resource(|| Lifecycle::pure(7u32));
        let l = l.clone();
        m.make::<X>().from_resource(move |_: Arc<u32>| {
            let (a, b) = (l.clone(), l.clone());
            Lifecycle::make(|| X, move |_| a.push("release"))
                .on_release(move |_| b.push("on_release first"))
        });
    });
    let locator = produce(module).unwrap();
    assert_eq!(*locator.get::<u32>().unwrap(), 7);
    locator.close().unwrap();
    assert_eq!(log.entries(), ["on_release first", "release"]);
}

#[test]
fn a_trait_object_resource_is_released_once() {
    trait Conn: Send + Sync {
        fn id(&self) -> u8;
    }
    struct Pg;
    impl Conn for Pg {
        fn id(&self) -> u8 {
            1
        }
    }
    let log = Log::new();
    let l = log.clone();
    let module = Module::build(move |m| {
        let l = l.clone();
        m.make::<dyn Conn>()
            .from_resource_impl(move || l.resource("Pg", Pg), |p| p);
    });
    let locator = produce(module).unwrap();
    assert_eq!(locator.get::<dyn Conn>().unwrap().id(), 1);
    drop(locator);
    assert_eq!(log.entries(), ["Pg start", "Pg stop"]);
}

#[test]
fn produce_run_releases_after_the_function_returns() {
    let log = Log::new();
    let l = log.clone();
    let out = Injector::new()
        .produce_run(&PlannerInput::new(chain(&log)), move |_: Arc<Z>| {
            l.push("run");
            5
        })
        .unwrap();
    assert_eq!(out, 5);
    assert_eq!(
        log.entries(),
        [
            "X start", "Y start", "Z start", "run", "Z stop", "Y stop", "X stop"
        ]
    );
}

#[test]
fn a_failing_release_on_drop_does_not_stop_the_others() {
    let log = Log::new();
    let l = log.clone();
    let module = chain(&log)
        + Module::build(move |m| {
            let l = l.clone();
            m.make::<W>().from_resource(move |_: Arc<Z>| {
                let (start, stop) = (l.clone(), l.clone());
                Lifecycle::try_make(
                    move || {
                        start.push("W start");
                        Ok::<_, Msg>(W)
                    },
                    move |_| {
                        stop.push("W stop (failing)");
                        Err("nope")
                    },
                )
            });
        });
    let locator = produce(module).unwrap();
    drop(locator);
    assert_eq!(
        log.entries(),
        [
            "X start",
            "Y start",
            "Z start",
            "W start",
            "W stop (failing)",
            "Z stop",
            "Y stop",
            "X stop"
        ]
    );
}

/// Panics when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("drop panicked");
    }
}

#[test]
fn a_panicking_drop_does_not_stop_the_other_drops() {
    let log = Log::new();
    let l = log.clone();
    let module = droppers(&log)
        + Module::build(move |m| {
            m.make::<Bomb>().from_fn(|_: Arc<D2>| Bomb);
            let l = l.clone();
            m.make::<W>()
                .from_resource(move |_: Arc<Bomb>, _: Arc<D3>| l.resource("W", W));
        });
    let locator = produce(module).unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(locator)));
    assert!(
        outcome.is_ok(),
        "a panicking Drop must not escape the locator"
    );
    // Reverse plan order (D1, D2, D3, Bomb, W); Bomb's panic is swallowed between W and D3.
    assert_eq!(
        log.entries(),
        ["W start", "W stop", "drop D3", "drop D2", "drop D1"]
    );
}
