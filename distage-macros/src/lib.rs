//! Procedural macros of distage-rs. The logic lives in `distage-derive`; this crate only
//! exports it. Use them through the `distage` crate.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Makes a struct injectable: its fields are its dependencies, each resolved by its type.
///
/// Field attributes, all under `#[di(...)]` (so that other derives, such as std's `Default`
/// with its `#[default]`, never read them):
///
/// - `#[di(id = "db-url")]`: the dependency bound with `.named("db-url")`;
/// - `#[di(default)]`: not injected, `Default::default()`;
/// - `#[di(assisted)]`: not injected, given to `Factory::create` (the struct then gets a
///   factory: bind `make<Factory<T>>.from_factory()`).
///
/// ```rust,ignore
/// #[derive(Injectable)]
/// struct Postgres {
///     #[di(id = "db-url")]
///     url: String,
///     log: Logger,
///     #[di(default)]
///     queries: AtomicU64,
/// }
/// ```
///
/// Works on named, tuple and unit structs, generic ones included. The `distage` crate's guide
/// lists what a field can be (`Arc<T>`, values, `Option<Arc<T>>`, `Set<T>`, `Factory<T>`,
/// `Lazy<T>`, `LocatorRef`, `Logger`).
#[proc_macro_derive(Injectable, attributes(di))]
pub fn derive_injectable(input: TokenStream) -> TokenStream {
    distage_derive::derive_injectable(input.into()).into()
}

/// On an `impl` block: its `fn new(…)` (returning `Self` or `Result<Self, E>`) is the
/// constructor the injector calls. Its parameters take `#[di(...)]` as the derive's fields do,
/// or the short forms `#[id("…")]`, `#[assisted]`, `#[default]`. An `async fn new` (returning
/// `Self`) makes a `Factory` product: `make<Factory<T>>.from_factory()`, then
/// `factory.create_async(assisted…).await`.
#[proc_macro_attribute]
pub fn injectable(args: TokenStream, item: TokenStream) -> TokenStream {
    distage_derive::injectable_attribute(args.into(), item.into()).into()
}

/// Declares a module whose wiring is checked at compile time: `AppModule::module()` returns it.
///
/// ```rust,ignore
/// module! {
///     pub AppModule {
///         make<UserService>;                                   // its own constructor
///         make<dyn Database>.from<Postgres>().tagged(Mode::Prod);
///         make<String>.named("db-url").from_value("postgres://…".to_string());
///         make<HttpServer>.from(|#[id("port")] port: u16| HttpServer::new(port));
///         make<Config>.from_try(|path: String| Config::load(&path));
///         make<Pool>.from_resource(pool_lifecycle);            // a Lifecycle<Pool>
///         make<Client>.from_async(|cfg: Arc<Config>| async move { Client::connect(&cfg).await });
///         make<Factory<Session>>.from_factory();
///         make<Subcontext<Handler>>.from_subcontext(RequestModule::module()).local<RequestId>();
///         many<dyn Handler>.add<UserHandler>().ref_<AuditHandler>().weak<DebugHandler>();
///         include CoreModule;                                  // checked together
///         include(plugin_module());                            // joined at run time
///         requires Metrics;                                    // provided elsewhere
///     }
/// }
/// ```
///
/// A missing dependency, a cycle, a duplicate binding or an implementation that does not
/// implement the bound trait is a compile error naming your types; the `distage` crate's guide
/// says where these checks stop and the planner takes over.
///
/// `#[typed]` before the module's name also generates `AppModule::Typed`, the typed graph
/// (compile-time instantiation): `AppModule::Typed::build()` (or `build_with(&activation)`)
/// makes every binding by straight calls into a field, `get::<T>()` reads one, `close()`
/// releases resources in reverse order. See the guide's "Typed graphs" for what it builds.
#[proc_macro]
pub fn module(input: TokenStream) -> TokenStream {
    let span = proc_macro::Span::call_site();
    let site = format!("{}:{}:{}", span.file(), span.line(), span.column());
    distage_derive::module(input.into(), &site).into()
}

/// Makes a fieldless enum a configuration axis: its variants are the choices.
#[proc_macro_derive(Axis)]
pub fn derive_axis(input: TokenStream) -> TokenStream {
    distage_derive::derive_axis(input.into()).into()
}

/// A test whose parameters are injected from an environment: `#[distage::test(env = path)]`.
/// See `distage::testkit` (the `testkit` feature).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    distage_derive::test_attribute(args.into(), item.into()).into()
}
