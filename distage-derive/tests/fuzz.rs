//! Parser fuzzing without nightly: the macros' logic is plain proc_macro2, so random and mutated
//! token streams built from valid inputs' tokens go straight to every public entry point. Each
//! must return tokens (an expansion or a `compile_error!`), never panic.
//!
//! `cargo test -p distage-derive --test fuzz`; `PROPTEST_CASES=100000` for a longer run.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use proptest::prelude::*;

/// Valid `module!` bodies.
const MODULES: &[&str] = &[
    "pub AppModule {
        make<String>.named(\"db-url\").from_value(\"postgres://\".to_string());
        make<dyn Database>.from<Postgres>().tagged(Mode::Prod);
        make<dyn Database>.from<InMemory>().tagged(Mode::Test);
        make<UserService>;
        make<HttpServer>.from(|hp: Arc<HostPort>| HttpServer::new(&hp.host, hp.port));
        make<Config>.from_try(|#[id(\"path\")] path: String| Config::load(&path));
        make<Pool>.from_resource(pool_lifecycle);
        make<Client>.from_async(|cfg: Arc<Config>| async move { Client::connect(&cfg).await });
        make<Conn>.from_resource_async(connection);
        make<Subcontext<Handler>>.from_subcontext(RequestModule::module()).local<RequestId>();
        make<Factory<UserSession>>.from_factory();
        make<dyn Cache>.using<RedisCache>();
        many<dyn Handler>.add<UserHandler>().add<AdminHandler>().tagged(Mode::Prod);
        many<dyn Handler>.ref_<AuditHandler>().weak<DebugHandler>();
        include CoreModule;
        include(plugin_module());
        requires Metrics;
    }",
    "RequestModule { make<Handler>; requires Db; requires RequestId; }",
    "pub(crate) Empty {}",
    "Chain { make<A>; make<B>.from(|a: Arc<A>| B(a)); make<C>.named(\"c\").from_value(C); }",
];

/// Valid `#[derive(Injectable)]` inputs.
const DERIVES: &[&str] = &[
    "struct Handler { db: Arc<Db>, request: Arc<RequestId> }",
    "pub struct English { #[id(\"punctuation\")] punctuation: String }",
    "struct Unit;",
    "struct Tuple(Arc<A>, #[id(\"b\")] Arc<B>);",
    "struct Session<T: Send> { repo: Arc<Repo>, #[assisted] user: String, #[default] n: u8, \
     lazy: Lazy<T>, set: Set<dyn Plugin>, opt: Option<Arc<X>>, r: LocatorRef }",
];

/// Valid `#[injectable]` items.
const IMPLS: &[&str] = &[
    "impl Counter { fn new(#[id(\"start\")] start: u32, _unit: Arc<Unit>) -> Self { Counter { start } } }",
    "impl Session { fn new(repo: Arc<Repo>, #[id(\"user\")] user: String) -> Result<Self, Error> { \
     Ok(Session { repo, user }) } }",
    "impl<T> Generic<T> where T: Send { pub fn new() -> Self { todo!() } fn other(&self) {} }",
];

/// Valid `#[derive(Axis)]` inputs.
const AXES: &[&str] = &[
    "enum Region { Eu, Us }",
    "pub enum Style { AllCaps, Normal, }",
];

/// Tokens the mutations insert: keywords, raw identifiers, punctuation, literals, groups.
const POOL: &str = "r#match r#Foo r#type r#fn match fn impl struct enum mod pub crate self Self \
    super dyn async await move where for in let static const unsafe extern r#abstract _ a Z \
    ; : :: , . .. ..= < > = == => -> & && * # ! ? @ $ ~ | + - / % ^ 'a 'static 0 1u8 18446744073709551616 \
    1.5 1e9 \"s\" r\"raw\" b'x' b\"bytes\" 'c' true false \
    make many include requires from_value from from_fn named tagged using ref_ weak local id \
    assisted default injectable Injectable Arc Set Lazy Factory Subcontext Result Option Box \
    () [] {} (a) [0] {x} <T> #[id(\"x\")] #[assisted] #[default] #[doc = \"d\"]";

fn parse(source: &str) -> Vec<TokenTree> {
    source
        .parse::<TokenStream>()
        .unwrap_or_else(|e| panic!("the corpus must lex: {e}: {source}"))
        .into_iter()
        .collect()
}

fn corpus() -> Vec<Vec<TokenTree>> {
    MODULES
        .iter()
        .chain(DERIVES)
        .chain(IMPLS)
        .chain(AXES)
        .map(|s| parse(s))
        .collect()
}

/// One mutation, applied `depth` groups down when there are groups to go into.
#[derive(Clone, Debug)]
struct Mutation {
    kind: u8,
    at: usize,
    other: usize,
    pick: usize,
    depth: u8,
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(
        (
            0u8..9,
            any::<usize>(),
            any::<usize>(),
            any::<usize>(),
            0u8..4,
        )
            .prop_map(|(kind, at, other, pick, depth)| Mutation {
                kind,
                at,
                other,
                pick,
                depth,
            }),
        0..8,
    )
}

fn apply(tokens: &mut Vec<TokenTree>, m: &Mutation, pool: &[TokenTree], depth: u8) {
    if depth < m.depth {
        let groups: Vec<usize> = (0..tokens.len())
            .filter(|&i| matches!(tokens[i], TokenTree::Group(_)))
            .collect();
        if !groups.is_empty() {
            let i = groups[m.at % groups.len()];
            let TokenTree::Group(g) = &tokens[i] else {
                unreachable!("filtered above")
            };
            let mut inner: Vec<TokenTree> = g.stream().into_iter().collect();
            apply(&mut inner, m, pool, depth + 1);
            let mut rebuilt = Group::new(g.delimiter(), inner.into_iter().collect());
            rebuilt.set_span(g.span());
            tokens[i] = TokenTree::Group(rebuilt);
            return;
        }
    }
    let len = tokens.len();
    let from_pool = pool[m.pick % pool.len()].clone();
    match m.kind {
        0 if len > 0 => {
            tokens.remove(m.at % len);
        }
        1 if len > 0 => {
            let t = tokens[m.at % len].clone();
            tokens.insert(m.other % (len + 1), t);
        }
        2 if len > 1 => tokens.swap(m.at % len, m.other % len),
        3 if len > 0 => tokens[m.at % len] = from_pool,
        4 => tokens.insert(m.at % (len + 1), from_pool),
        5 if len > 0 => {
            let start = m.at % len;
            let end = (start + 1 + m.other % 4).min(len);
            let delimiter = [
                Delimiter::Parenthesis,
                Delimiter::Brace,
                Delimiter::Bracket,
                Delimiter::None,
            ][m.pick % 4];
            let wrapped: TokenStream = tokens.drain(start..end).collect();
            tokens.insert(start, TokenTree::Group(Group::new(delimiter, wrapped)));
        }
        6 if len > 0 => {
            let i = m.at % len;
            if let TokenTree::Group(g) = &tokens[i] {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                tokens.splice(i..=i, inner);
            }
        }
        7 => tokens.truncate(m.at % (len + 1)),
        // A token of another valid input: the entry points see each other's syntax.
        _ => tokens.insert(m.at % (len + 1), from_pool),
    }
}

thread_local! {
    /// Set while an entry point runs under `catch_unwind`: its panic is reported by the test.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

fn quiet_caught_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into an error naming the entry point and the input.
fn no_panic(entry: &str, input: &str, f: impl FnOnce() -> TokenStream) -> Result<String, String> {
    quiet_caught_panics();
    CATCHING.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(false));
    result.map(|out| out.to_string()).map_err(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{entry} panicked: {msg}\n  input: {input}")
    })
}

/// Feeds `tokens` to every entry point (as the item and as the attribute's arguments).
fn every_entry_point(tokens: &TokenStream) -> Result<(), String> {
    let input = tokens.to_string();
    let valid_impl: TokenStream = IMPLS[0].parse().expect("lexes");
    no_panic("derive_injectable", &input, || {
        distage_derive::derive_injectable(tokens.clone())
    })?;
    no_panic("injectable_attribute (item)", &input, || {
        distage_derive::injectable_attribute(TokenStream::new(), tokens.clone())
    })?;
    no_panic("injectable_attribute (arguments)", &input, || {
        distage_derive::injectable_attribute(tokens.clone(), valid_impl)
    })?;
    no_panic("module", &input, || {
        distage_derive::module(tokens.clone(), "fuzz.rs:1:1")
    })?;
    no_panic("derive_axis", &input, || {
        distage_derive::derive_axis(tokens.clone())
    })?;
    Ok(())
}

fn pool() -> Vec<TokenTree> {
    let mut pool = parse(POOL);
    pool.extend(corpus().into_iter().flatten());
    pool
}

/// 2,000 per test unless `PROPTEST_CASES` says otherwise.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_valid_inputs_never_panic(which in any::<prop::sample::Index>(), ms in mutations()) {
        let corpus = corpus();
        let pool = pool();
        let mut tokens = corpus[which.index(corpus.len())].clone();
        for m in &ms {
            apply(&mut tokens, m, &pool, 0);
        }
        let stream: TokenStream = tokens.into_iter().collect();
        every_entry_point(&stream).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn random_token_soup_never_panics(picks in prop::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let pool = pool();
        let stream: TokenStream = picks.iter().map(|p| p.get(&pool).clone()).collect();
        every_entry_point(&stream).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn every_valid_input_expands_without_compile_errors() {
    for (source, entry) in MODULES
        .iter()
        .map(|s| (s, "module"))
        .chain(DERIVES.iter().map(|s| (s, "derive_injectable")))
        .chain(IMPLS.iter().map(|s| (s, "injectable_attribute")))
        .chain(AXES.iter().map(|s| (s, "derive_axis")))
    {
        let tokens: TokenStream = source.parse().unwrap();
        let out = no_panic(entry, source, || match entry {
            "module" => distage_derive::module(tokens, "fuzz.rs:1:1"),
            "derive_injectable" => distage_derive::derive_injectable(tokens),
            "injectable_attribute" => {
                distage_derive::injectable_attribute(TokenStream::new(), tokens)
            }
            _ => distage_derive::derive_axis(tokens),
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !out.contains("compile_error"),
            "{entry} rejected a valid input: {source}\n  expansion: {out}"
        );
    }
}

/// Expands `module! { source }`, failing on a panic.
fn expand_module(source: &str) -> String {
    let tokens: TokenStream = source.parse().unwrap();
    no_panic("module", source, || {
        distage_derive::module(tokens, "fuzz.rs:1:1")
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn module_named_with_a_raw_keyword_expands() {
    let out = expand_module("pub r#match { make<u8>.from_value(1u8); }");
    assert!(!out.contains("compile_error"), "{out}");
}

#[test]
fn module_named_with_a_raw_identifier_expands() {
    let out = expand_module("r#Foo { }");
    assert!(!out.contains("compile_error"), "{out}");
}

/// Expands `#[injectable] source`, failing on a panic.
fn expand_injectable(source: &str) -> String {
    let tokens: TokenStream = source.parse().unwrap();
    no_panic("injectable_attribute", source, || {
        distage_derive::injectable_attribute(TokenStream::new(), tokens)
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn injectable_on_a_struct_is_a_compile_error() {
    let out = expand_injectable("struct S { a: Arc<A> }");
    assert!(out.contains("compile_error"), "{out}");
}

#[test]
fn injectable_on_a_fn_is_a_compile_error() {
    let out = expand_injectable("fn new(a: Arc<A>) -> S { S { a } }");
    assert!(out.contains("compile_error"), "{out}");
}

#[test]
fn injectable_on_an_enum_is_a_compile_error() {
    let out = expand_injectable("enum E { A, B }");
    assert!(out.contains("compile_error"), "{out}");
}
