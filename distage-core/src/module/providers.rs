//! Providers: how each kind of implementation (constructor, value, function, resource,
//! factory, reference) becomes a binding's type-erased call.

use super::*;

/// An `Injectable` type's constructor as a plain function (what `module!` registers).
#[doc(hidden)]
pub fn construct_injectable<I: Injectable>(args: &mut Args<'_>) -> Result<Produced, BoxError> {
    // `match` rather than `?`: this is instantiated for every component, and so is everything
    // generic it calls.
    match I::construct(args) {
        Ok(value) => Ok(Produced::shared(Arc::new(value))),
        Err(e) => Err(e),
    }
}

/// An `Injectable` type's constructor, its result converted to the key's type.
#[doc(hidden)]
pub fn injectable_provider<I: Injectable, T: ?Sized + Send + Sync + 'static, C>(
    coerce: C,
) -> Provider
where
    C: Fn(Arc<I>) -> Arc<T> + Send + Sync + 'static,
{
    Provider::call(
        I::DEPENDENCY_LIST.to_vec(),
        ImplKind::Constructor(TypeInfo::of::<I>()),
        move |args: &mut Args<'_>| Ok(Produced::instance(coerce(Arc::new(I::construct(args)?)))),
    )
    // A coercion that holds no data (`Into::into`) leaves the call fixed by the two types.
    .with_identity((std::mem::size_of::<C>() == 0).then(std::any::TypeId::of::<(I, C)>))
}

/// A shared value.
#[doc(hidden)]
pub fn value_provider<T: ?Sized + Send + Sync + 'static>(value: Arc<T>) -> Provider {
    Provider::call(
        Vec::new(),
        ImplKind::Value(TypeInfo::of::<T>()),
        move |_: &mut Args<'_>| Ok(Produced::instance(value.clone())),
    )
}

/// A function's result.
#[doc(hidden)]
pub fn fn_provider<M, R: IntoArc<T> + 'static, T: ?Sized + Send + Sync + 'static>(
    f: impl IntoFunctoid<M, R>,
) -> Provider {
    let (deps, call, identity) = f.into_functoid().into_parts();
    Provider::call(deps, ImplKind::Function, move |args: &mut Args<'_>| {
        Ok(call(args)?.into_produced())
    })
    .with_identity(identity)
}

/// A fallible function's result.
#[doc(hidden)]
pub fn try_fn_provider<M, R, E, T>(f: impl IntoFunctoid<M, Result<R, E>>) -> Provider
where
    R: IntoArc<T> + 'static,
    E: Into<BoxError> + 'static,
    T: ?Sized + Send + Sync + 'static,
{
    let (deps, call, identity) = f.into_functoid().into_parts();
    Provider::call(deps, ImplKind::Function, move |args: &mut Args<'_>| {
        let value = call(args)?.map_err(Into::into)?;
        Ok(value.into_produced())
    })
    .with_identity(identity)
}

/// The instance of another key, converted.
#[doc(hidden)]
pub fn ref_provider<I: ?Sized + Send + Sync + 'static, T: ?Sized + Send + Sync + 'static>(
    key: DIKey,
    coerce: impl Fn(Arc<I>) -> Arc<T> + Send + Sync + 'static,
) -> Provider {
    Provider::call(
        vec![Dependency::strict(key.clone())],
        ImplKind::Reference(Box::new(key)),
        move |args: &mut Args<'_>| Ok(Produced::instance(coerce(args.take::<Arc<I>>()?))),
    )
}

/// A resource from a function returning its `Lifecycle` (sync acquire and release).
#[doc(hidden)]
pub fn resource_provider<M, I: Send + Sync + 'static, T: ?Sized + Send + Sync + 'static>(
    f: impl IntoFunctoid<M, Lifecycle<I>>,
    coerce: impl Fn(Arc<I>) -> Arc<T> + Send + Sync + 'static,
) -> Provider {
    // Not identified: `coerce` may hold data.
    let (deps, call, _) = f.into_functoid().into_parts();
    Provider::call(deps, ImplKind::Resource, move |args: &mut Args<'_>| {
        let (resource, release) = call(args)?
            .acquire_sync("bind it with `from_resource_async` and produce with `produce_async`")?;
        let instance = coerce(resource);
        Ok(match release {
            Some(release) => {
                Produced::with_release(Instance::boxed(instance), Release::Sync(release))
            }
            None => Produced::instance(instance),
        })
    })
}

/// A resource whose `Lifecycle` may acquire and release asynchronously.
#[doc(hidden)]
pub fn resource_async_provider<M, I: Send + Sync + 'static, T: ?Sized + Send + Sync + 'static>(
    f: impl IntoFunctoid<M, Lifecycle<I>>,
    coerce: impl Fn(Arc<I>) -> Arc<T> + Send + Sync + 'static,
) -> Provider {
    // Not identified: `coerce` may hold data.
    let (deps, call, _) = f.into_functoid().into_parts();
    let coerce = Arc::new(coerce);
    Provider::call_async(deps, ImplKind::AsyncResource, move |args: &mut Args<'_>| {
        let Lifecycle { acquire, release } = call(args)?;
        let coerce = coerce.clone();
        Ok(Box::pin(async move {
            let resource = Arc::new(match acquire {
                Acquire::Sync(acquire) => acquire()?,
                Acquire::Async(acquire) => acquire.await?,
            });
            let instance = coerce(resource.clone());
            Ok(match release {
                Some(ReleaseFn::Sync(release)) => Produced::with_release(
                    Instance::boxed(instance),
                    Release::Sync(Box::new(move || release(&resource))),
                ),
                Some(ReleaseFn::Async(release)) => Produced::with_release(
                    Instance::boxed(instance),
                    Release::Async(Box::new(move || release(resource))),
                ),
                None => Produced::instance(instance),
            })
        }) as BoxFuture<_>)
    })
}

/// An async function's result.
#[doc(hidden)]
pub fn fn_async_provider<M, Fut, R, T>(f: impl IntoFunctoid<M, Fut>) -> Provider
where
    Fut: Future<Output = R> + Send + 'static,
    R: IntoArc<T> + 'static,
    T: ?Sized + Send + Sync + 'static,
{
    let (deps, call, identity) = f.into_functoid().into_parts();
    Provider::call_async(deps, ImplKind::AsyncFunction, move |args: &mut Args<'_>| {
        let future = call(args)?;
        Ok(Box::pin(async move { Ok(future.await.into_produced()) }) as BoxFuture<_>)
    })
    .with_identity(identity)
}

/// A fallible async function's result.
#[doc(hidden)]
pub fn try_fn_async_provider<M, Fut, R, E, T>(f: impl IntoFunctoid<M, Fut>) -> Provider
where
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: IntoArc<T> + 'static,
    E: Into<BoxError> + 'static,
    T: ?Sized + Send + Sync + 'static,
{
    let (deps, call, identity) = f.into_functoid().into_parts();
    Provider::call_async(deps, ImplKind::AsyncFunction, move |args: &mut Args<'_>| {
        let future = call(args)?;
        Ok(Box::pin(async move {
            let value = future.await.map_err(Into::into)?;
            Ok(value.into_produced())
        }) as BoxFuture<_>)
    })
    .with_identity(identity)
}

/// A `Factory<U>` capturing `U`'s injected dependencies.
#[doc(hidden)]
pub fn factory_provider<U: AssistedInjectable>() -> Provider {
    Provider::call(
        U::dependencies(),
        ImplKind::Factory(TypeInfo::of::<U>()),
        |args: &mut Args<'_>| {
            Ok(Produced::shared(Arc::new(Factory::<U>::new(U::capture(
                args,
            )?))))
        },
    )
    .with_identity(Some(std::any::TypeId::of::<Factory<U>>()))
}
