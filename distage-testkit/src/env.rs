//! `TestEnv`: what a test's parameters are injected from, and which keys its configuration shares.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use distage_core::{Activation, DIKey, Id, Module};

/// The environment of a test: a module, the activation it is planned under, overrides (fakes)
/// and the keys to *memoize*: produce once per configuration and share with every test of the
/// run that has the same configuration.
///
/// ```
/// use distage_core::{Activation, Module, Repo};
/// use distage_testkit::TestEnv;
///
/// struct Db;
/// let env = TestEnv::new(Module::build(|m| { m.make::<Db>().from_value(Db); }))
///     .activation(Activation::new().with(Repo::Dummy))
///     .memoize::<Db>();
/// assert_eq!(env.memoized().len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct TestEnv {
    module: Module,
    activation: Activation,
    memoized: Vec<DIKey>,
}

impl TestEnv {
    /// Tests planned from `module`, with no activation and nothing memoized.
    pub fn new(module: Module) -> Self {
        TestEnv {
            module,
            activation: Activation::new(),
            memoized: Vec::new(),
        }
    }

    /// Plans under `activation` (merged with the choices given before).
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = self.activation.merge(&activation);
        self
    }

    /// Replaces the bindings `overrides` binds (e.g. with fakes): a test asking for such a key
    /// gets the override. See [`Module::overridden_by`].
    pub fn overridden_by(mut self, overrides: &Module) -> Self {
        self.module = self.module.overridden_by(overrides);
        self
    }

    /// Memoizes `T`: produced once per configuration (with what it depends on), shared by every
    /// test of that configuration, released after the last of them.
    pub fn memoize<T: ?Sized + 'static>(self) -> Self {
        self.memoize_key(DIKey::of::<T>())
    }

    /// Memoizes `T` named `id`.
    pub fn memoize_named<T: ?Sized + 'static>(self, id: impl Into<Id>) -> Self {
        self.memoize_key(DIKey::named::<T>(id))
    }

    /// Memoizes `key`.
    pub fn memoize_key(mut self, key: DIKey) -> Self {
        if !self.memoized.contains(&key) {
            self.memoized.push(key);
        }
        self
    }

    /// The module, overrides applied.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// The activation.
    pub fn get_activation(&self) -> &Activation {
        &self.activation
    }

    /// The memoized keys.
    pub fn memoized(&self) -> &[DIKey] {
        &self.memoized
    }

    /// What identifies this environment's configuration: two environments with equal
    /// configurations share their memoized instances. It is made of the activation, the
    /// memoized keys and each binding's key, tags, implementation and the place it was written
    /// (so two modules built by the same code are the same configuration, whatever function
    /// returned them).
    pub fn configuration(&self) -> Configuration {
        let bindings: BTreeSet<String> = self
            .module
            .bindings()
            .iter()
            .map(|b| {
                let origin = b.origin();
                let mut line = format!("{:?} {:?}", b.key(), b.provider().kind());
                for tag in b.tags().iter() {
                    let _ = write!(line, " {tag}");
                }
                let _ = write!(
                    line,
                    " @{}:{}:{}",
                    origin.file(),
                    origin.line(),
                    origin.column()
                );
                line
            })
            .collect();
        let memoized: BTreeSet<String> = self.memoized.iter().map(|k| k.to_string()).collect();
        Configuration {
            activation: self.activation.to_string(),
            memoized: memoized.into_iter().collect(),
            bindings: bindings.into_iter().collect(),
        }
    }
}

/// The identity of a [`TestEnv`]'s configuration (see [`TestEnv::configuration`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Configuration {
    activation: String,
    memoized: Vec<String>,
    bindings: Vec<String>,
}

impl fmt::Display for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "activation {}, memoized [{}], {} bindings",
            self.activation,
            self.memoized.join(", "),
            self.bindings.len()
        )
    }
}

impl fmt::Debug for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Configuration({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distage_core::Repo;

    struct Db;
    struct Fake;

    fn module() -> Module {
        Module::build(|m| {
            m.make::<Db>().from_value(Db);
        })
    }

    fn dummy() -> TestEnv {
        TestEnv::new(module()).activation(Activation::new().with(Repo::Dummy))
    }

    #[test]
    fn environments_built_by_the_same_code_are_one_configuration() {
        assert_eq!(dummy().configuration(), dummy().configuration());
        let other = TestEnv::new(module()).activation(Activation::new().with(Repo::Dummy));
        assert_eq!(dummy().configuration(), other.configuration());
    }

    #[test]
    fn activation_memoized_keys_and_overrides_tell_configurations_apart() {
        let base = dummy().configuration();
        let prod = TestEnv::new(module()).activation(Activation::new().with(Repo::Prod));
        assert_ne!(base, prod.configuration());
        assert_ne!(base, dummy().memoize::<Db>().configuration());
        let fake = Module::build(|m| {
            m.make::<Fake>().from_value(Fake);
        });
        assert_ne!(base, dummy().overridden_by(&fake).configuration());
        assert_eq!(
            dummy().memoize::<Db>().memoize::<Db>().memoized().len(),
            1,
            "memoizing twice is once"
        );
    }
}
