//! `Logger`: a per-component logger, injected automatically.

use std::fmt;
use std::sync::Arc;

use crate::error::BoxError;
use crate::inject::{Arg, DepShape, Inject, instance};

/// A logger named after the component it is injected into. Events go to `tracing` with a
/// `component` field; install any `tracing` subscriber to see them.
#[derive(Clone)]
pub struct Logger {
    component: Arc<str>,
}

impl Logger {
    /// A logger for `component`.
    pub fn new(component: impl Into<Arc<str>>) -> Self {
        Logger {
            component: component.into(),
        }
    }

    /// The component's name.
    pub fn component(&self) -> &str {
        &self.component
    }

    /// Logs at `TRACE`.
    pub fn trace(&self, message: impl fmt::Display) {
        tracing::trace!(component = %self.component, "{message}");
    }
    /// Logs at `DEBUG`.
    pub fn debug(&self, message: impl fmt::Display) {
        tracing::debug!(component = %self.component, "{message}");
    }
    /// Logs at `INFO`.
    pub fn info(&self, message: impl fmt::Display) {
        tracing::info!(component = %self.component, "{message}");
    }
    /// Logs at `WARN`.
    pub fn warn(&self, message: impl fmt::Display) {
        tracing::warn!(component = %self.component, "{message}");
    }
    /// Logs at `ERROR`.
    pub fn error(&self, message: impl fmt::Display) {
        tracing::error!(component = %self.component, "{message}");
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logger({})", self.component)
    }
}

impl Inject for Logger {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Logger;
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        match arg {
            Arg::Logger(l) => Ok(l.clone()),
            // A module's own `Logger` binding.
            Arg::Instance(_) => instance::<Arc<Logger>>(arg).map(|l| Logger::clone(l)),
            other => Err(format!("distage: expected a logger, got {other:?}").into()),
        }
    }
}
