//! Helpers shared by the `core_*` integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use distage::{Error, Lifecycle, PlanError, Problem};

/// An event log shared by constructors and resources.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// A resource that logs `"{name} start"` on acquire and `"{name} stop"` on release.
    pub fn resource<T: Send + Sync + 'static>(&self, name: &str, value: T) -> Lifecycle<T> {
        let (start, stop) = (self.clone(), self.clone());
        let (n1, n2) = (name.to_string(), name.to_string());
        Lifecycle::make(
            move || {
                start.push(format!("{n1} start"));
                value
            },
            move |_| stop.push(format!("{n2} stop")),
        )
    }
}

/// Counts drops.
#[derive(Clone, Default)]
pub struct Drops(Arc<AtomicUsize>);

impl Drops {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// The plan error inside `err`, or a panic naming what it was instead.
pub fn plan_error(err: &Error) -> &PlanError {
    match err {
        Error::Plan(p) => p,
        other => panic!("expected Error::Plan, got {other:?}"),
    }
}

/// The problems of a plan error.
pub fn problems(err: &Error) -> &[Problem] {
    plan_error(err).problems()
}

/// `"file:line"` as an origin displays it.
pub fn at(file: &str, line: u32) -> String {
    format!("{file}:{line}")
}
