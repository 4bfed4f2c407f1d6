//! The type-erased values user code and distage exchange: errors from constructors and
//! resources, futures of async bindings, and produced instances. A leaf: it imports nothing
//! from the crate.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// A boxed error from user code (constructors, resources).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A boxed, sendable future.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

/// A produced instance as a locator stores it.
///
/// A sized component is stored as its own `Arc` (one allocation: the one every dependent
/// shares); what cannot be — an `Arc<dyn Trait>`, whose pointer is wide, or a `Set<T>` — is
/// boxed. A key's readers are generic over `T: ?Sized` and cannot tell which they will find,
/// so the form is a tag, and [`arc`](Self::arc) reads both.
#[doc(hidden)]
pub struct Instance(Repr);

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Repr::Shared(_) => "Instance(shared)",
            Repr::Boxed(_) => "Instance(boxed)",
        })
    }
}

enum Repr {
    /// A component's own `Arc`, behind [`Stored`].
    Shared(Arc<dyn Stored>),
    /// Any other value (an `Arc<T>` of an unsized `T`, a `Set<T>`), boxed.
    Boxed(Box<dyn Any + Send + Sync>),
}

/// A sized instance, type-erased so that a reader generic over `T: ?Sized` can get its
/// `Arc<T>` back: the call dispatches on the stored type, which then checks the reader's.
trait Stored: Send + Sync + 'static {
    /// Moves `self` into `out` when `out` is an `Option<Arc<Self>>`; does nothing otherwise.
    fn put(self: Arc<Self>, out: &mut dyn Any);
    /// The component itself, to be read in place (a value cloned out of it).
    fn any(&self) -> &dyn Any;
}

impl<C: Send + Sync + 'static> Stored for C {
    fn put(self: Arc<Self>, out: &mut dyn Any) {
        if let Some(out) = out.downcast_mut::<Option<Arc<C>>>() {
            *out = Some(self);
        }
    }
    fn any(&self) -> &dyn Any {
        self
    }
}

impl Instance {
    /// A sized component's `Arc`, stored as it is.
    #[inline]
    pub(crate) fn shared<C: Send + Sync + 'static>(arc: Arc<C>) -> Self {
        Instance(Repr::Shared(arc))
    }

    /// Any other value, boxed.
    #[inline]
    pub(crate) fn boxed<V: Any + Send + Sync>(value: V) -> Self {
        Instance(Repr::Boxed(Box::new(value)))
    }

    /// The instance as an `Arc<T>`, whichever form holds it; `None` when it is not one.
    #[inline]
    pub(crate) fn arc<T: ?Sized + 'static>(&self) -> Option<Arc<T>> {
        match &self.0 {
            Repr::Shared(stored) => {
                let mut out: Option<Arc<T>> = None;
                stored.clone().put(&mut out);
                out
            }
            Repr::Boxed(any) => {
                // Through `dyn Any` itself: one downcast instantiation per type, not two.
                let any: &dyn Any = &**any;
                any.downcast_ref::<Arc<T>>().cloned()
            }
        }
    }

    /// The instance as a `&T`, whichever form holds it: what a value is cloned from, without
    /// touching the `Arc`'s count.
    #[inline]
    pub(crate) fn as_ref<T: 'static>(&self) -> Option<&T> {
        match &self.0 {
            // Through the trait object: `Arc<dyn Stored>` is itself `Stored`.
            Repr::Shared(stored) => (**stored).any().downcast_ref::<T>(),
            Repr::Boxed(any) => {
                let any: &dyn Any = &**any;
                any.downcast_ref::<Arc<T>>().map(|arc| &**arc)
            }
        }
    }

    /// A boxed value of type `V` (a `Set<T>`, an `Arc<dyn Trait>`); `None` for a shared
    /// component, read with [`arc`](Self::arc).
    #[inline]
    pub(crate) fn downcast_ref<V: Any>(&self) -> Option<&V> {
        match &self.0 {
            Repr::Boxed(any) => {
                let any: &dyn Any = &**any;
                any.downcast_ref::<V>()
            }
            Repr::Shared(_) => None,
        }
    }
}

/// Releases a resource; runs at most once.
pub(crate) enum Release {
    Sync(Box<dyn FnOnce() -> Result<(), BoxError> + Send>),
    Async(Box<dyn FnOnce() -> BoxFuture<Result<(), BoxError>> + Send>),
}

/// What a provider call yields: the instance and, for resources, how to release it.
#[doc(hidden)]
pub struct Produced {
    pub(crate) instance: Instance,
    pub(crate) release: Option<Release>,
}

impl Produced {
    /// A plain instance (an `Arc<T>` or a `Set<T>`), released by being dropped.
    pub fn instance<V: Any + Send + Sync>(value: V) -> Self {
        Produced {
            instance: Instance::boxed(value),
            release: None,
        }
    }

    /// A sized component's `Arc`, stored as it is (no box around it).
    pub(crate) fn shared<C: Send + Sync + 'static>(arc: Arc<C>) -> Self {
        Produced {
            instance: Instance::shared(arc),
            release: None,
        }
    }

    pub(crate) fn with_release(instance: Instance, release: Release) -> Self {
        Produced {
            instance,
            release: Some(release),
        }
    }
}

impl fmt::Debug for Produced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Produced")
            .field("resource", &self.release.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Greet: Send + Sync {
        fn hi(&self) -> &'static str;
    }
    struct En;
    impl Greet for En {
        fn hi(&self) -> &'static str {
            "hi"
        }
    }

    #[test]
    fn a_shared_component_is_read_back_as_its_own_arc_only() {
        let arc = Arc::new(7u32);
        let instance = Instance::shared(arc.clone());
        let read = instance.arc::<u32>().unwrap();
        assert!(Arc::ptr_eq(&read, &arc));
        assert!(instance.arc::<u64>().is_none());
        assert!(instance.arc::<dyn Greet>().is_none());
        assert!(instance.downcast_ref::<Arc<u32>>().is_none());
        assert_eq!(instance.as_ref::<u32>(), Some(&7));
        assert!(instance.as_ref::<u64>().is_none());
        drop((instance, read));
        assert_eq!(Arc::strong_count(&arc), 1);
    }

    #[test]
    fn a_boxed_arc_of_a_trait_object_is_read_back() {
        let arc: Arc<dyn Greet> = Arc::new(En);
        let instance = Instance::boxed(arc.clone());
        assert_eq!(instance.arc::<dyn Greet>().unwrap().hi(), "hi");
        assert!(instance.arc::<En>().is_none());
        assert!(instance.downcast_ref::<Arc<dyn Greet>>().is_some());
        let value = Instance::boxed(Arc::new(5u8));
        assert_eq!(value.as_ref::<u8>(), Some(&5));
        assert!(value.as_ref::<u16>().is_none());
    }
}
