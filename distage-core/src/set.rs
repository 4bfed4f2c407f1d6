//! Set bindings: many elements of one type, collected into a `Set<T>`.

use std::fmt;
use std::sync::Arc;

use crate::boxed::{BoxError, Instance};
use crate::inject::{Arg, DepMode, DepShape, Inject, instance};
use crate::key::{KeyKind, TypeInfo};

/// The elements of a set binding (`many::<T>()`), in dependency order: the order in which
/// their instances were produced (an element that references another key, `ref_::<E>()`,
/// stands where `E` was made).
///
/// Cheap to clone: it shares the elements.
///
/// ```
/// use distage_core::{Injector, Module, PlannerInput, Set};
///
/// let module = Module::build(|m| {
///     m.many::<String>().add_value("a".into()).add_fn(|| "b".to_string());
/// });
/// let injector = Injector::new();
/// let locator = injector.produce(&injector.plan(&PlannerInput::new(module)).unwrap()).unwrap();
/// let set: Set<String> = locator.get_set::<String>().unwrap();
/// let items: Vec<&str> = set.iter().map(|s| s.as_str()).collect();
/// assert_eq!(items, ["a", "b"]);
/// ```
pub struct Set<T: ?Sized> {
    items: Arc<[Arc<T>]>,
}

impl<T: ?Sized> Set<T> {
    /// The number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The elements, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Arc<T>> {
        self.items.iter()
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[Arc<T>] {
        &self.items
    }
}

impl<T: ?Sized> Clone for Set<T> {
    fn clone(&self) -> Self {
        Set {
            items: self.items.clone(),
        }
    }
}

impl<T: ?Sized> Default for Set<T> {
    fn default() -> Self {
        Set {
            items: Arc::new([]),
        }
    }
}

impl<T: ?Sized> FromIterator<Arc<T>> for Set<T> {
    fn from_iter<I: IntoIterator<Item = Arc<T>>>(iter: I) -> Self {
        Set {
            items: iter.into_iter().collect(),
        }
    }
}

impl<'a, T: ?Sized> IntoIterator for &'a Set<T> {
    type Item = &'a Arc<T>;
    type IntoIter = std::slice::Iter<'a, Arc<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T: ?Sized> fmt::Debug for Set<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Set<{}>[{} elements]",
            crate::key::short_type_name(std::any::type_name::<T>()),
            self.items.len()
        )
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Set<T> {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Key {
        ty: TypeInfo::of::<T>(),
        kind: KeyKind::Set,
        mode: DepMode::Strict,
    };
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        instance::<Set<T>>(arg).cloned()
    }
}

/// Builds the `Set<T>` instance from an inherited set and the elements' `Arc<T>` instances.
pub(crate) fn assemble<T: ?Sized + Send + Sync + 'static>(
    inherited: Option<&Instance>,
    elements: &[&Instance],
) -> Result<Instance, BoxError> {
    let mut items: Vec<Arc<T>> = Vec::with_capacity(elements.len());
    if let Some(base) = inherited {
        let base = base
            .downcast_ref::<Set<T>>()
            .ok_or("distage: inherited set has another type")?;
        items.extend(base.iter().cloned());
    }
    for e in elements {
        items.push(
            e.arc::<T>()
                .ok_or("distage: set element has another type")?,
        );
    }
    Ok(Instance::boxed(Set::<T> {
        items: items.into(),
    }))
}
