//! The derive, `#[injectable]` and `module!` at run time: what they build, and the planner
//! reporting what the compiler cannot know, in the same words as the compile-time checks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use distage::prelude::*;
use distage::{DIKey, Problem};

trait Database: Send + Sync {
    fn name(&self) -> &'static str;
}

#[derive(Injectable)]
struct Postgres;
impl Database for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }
}

#[derive(Injectable)]
struct Sqlite;
impl Database for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
}

#[derive(Injectable)]
struct Repo {
    db: Arc<dyn Database>,
}

fn plan(module: Module, activation: Activation) -> Result<Plan, distage::Error> {
    Injector::new().plan(
        &PlannerInput::new(module)
            .activation(activation)
            .roots::<Repo>(),
    )
}

fn problems(err: distage::Error) -> Vec<Problem> {
    match err {
        distage::Error::Plan(p) => p.problems().to_vec(),
        other => panic!("expected a plan error, got {other}"),
    }
}

// ---- fallbacks: what the compiler cannot know, the planner reports ----

module! {
    ProdOnly {
        make<dyn Database>.from<Postgres>().tagged(Mode::Prod);
        make<Repo>;
    }
}

#[test]
fn a_key_bound_only_for_another_activation_is_missing_at_plan_time() {
    // `dyn Database` has a binding, so the module compiles; under `Mode::Test` it has none.
    let err = plan(ProdOnly::module(), Activation::new().with(Mode::Test)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("missing binding: `dyn Database` is required by `Repo`, but it is not bound"),
        "{text}"
    );
    assert!(
        text.contains("ruled out by the activation: Postgres [Mode::Prod]"),
        "{text}"
    );
    assert!(plan(ProdOnly::module(), Activation::new().with(Mode::Prod)).is_ok());
}

module! {
    NeedsDatabase {
        make<Repo>;
        requires dyn Database;
    }
}

module! {
    ProvidesDatabase {
        make<dyn Database>.from<Sqlite>();
    }
}

#[test]
fn a_requirement_is_checked_when_modules_are_joined_at_run_time() {
    let err = plan(NeedsDatabase::module(), Activation::new()).unwrap_err();
    assert!(
        matches!(&problems(err)[..], [Problem::Missing { key, .. }] if *key == DIKey::of::<dyn Database>())
    );
    let joined = NeedsDatabase::module() + ProvidesDatabase::module();
    let plan = plan(joined, Activation::new()).unwrap();
    let locator = Injector::new().produce(&plan).unwrap();
    assert_eq!(locator.get::<Repo>().unwrap().db.name(), "sqlite");
}

#[test]
fn a_requirement_can_be_satisfied_by_a_parent_locator() {
    let parent_plan = Injector::new()
        .plan(&PlannerInput::new(ProvidesDatabase::module()))
        .unwrap();
    let parent = Injector::new().produce(&parent_plan).unwrap();
    let child = Injector::inherit(&parent);
    let plan = child
        .plan(&PlannerInput::new(NeedsDatabase::module()).roots::<Repo>())
        .unwrap();
    assert_eq!(plan.imported(), &[DIKey::of::<dyn Database>()]);
    let locator = child.produce(&plan).unwrap();
    assert!(Arc::ptr_eq(
        &locator.get::<Repo>().unwrap().db,
        &parent.get::<dyn Database>().unwrap()
    ));
}

module! {
    AlsoProvidesDatabase {
        make<dyn Database>.from<Postgres>();
    }
}

#[test]
fn a_duplicate_made_by_joining_modules_is_reported_by_the_planner() {
    let joined =
        ProvidesDatabase::module() + AlsoProvidesDatabase::module() + NeedsDatabase::module();
    let text = plan(joined, Activation::new()).unwrap_err().to_string();
    assert!(
        text.contains(
            "duplicate binding: `dyn Database` is bound 2 times with no distinguishing tag"
        ),
        "{text}"
    );
    assert!(text.contains("macros.rs"), "origins are named: {text}");
}

#[allow(dead_code)]
#[derive(Injectable)]
struct Ping {
    pong: Arc<Pong>,
}

#[allow(dead_code)]
#[derive(Injectable)]
struct Pong {
    ping: Arc<Ping>,
}

module! {
    PingModule {
        make<Ping>;
        requires Pong;
    }
}

module! {
    PongModule {
        make<Pong>;
        requires Ping;
    }
}

#[test]
fn a_cycle_made_by_joining_modules_is_reported_by_the_planner() {
    let joined = PingModule::module() + PongModule::module();
    let err = Injector::new()
        .plan(&PlannerInput::new(joined))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("dependency cycle: Ping -> Pong -> Ping"),
        "{text}"
    );
}

// ---- Lazy: a cycle through a lazy edge plans, resolves to the same instances, and does not leak ----

static A_DROPS: AtomicUsize = AtomicUsize::new(0);
static B_DROPS: AtomicUsize = AtomicUsize::new(0);

#[derive(Injectable)]
struct A {
    b: Lazy<B>,
}
impl Drop for A {
    fn drop(&mut self) {
        A_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Injectable)]
struct B {
    a: Arc<A>,
}
impl Drop for B {
    fn drop(&mut self) {
        B_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

module! {
    LazyModule {
        make<A>;
        make<B>;
    }
}

#[test]
fn a_lazy_edge_breaks_a_cycle_without_leaking() {
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(LazyModule::module()))
        .unwrap();
    let locator = injector.produce(&plan).unwrap();
    let a = locator.get::<A>().unwrap();
    let b = a.b.get().unwrap();
    assert!(Arc::ptr_eq(&b, &locator.get::<B>().unwrap()));
    assert!(Arc::ptr_eq(&b.a, &a));
    drop((a, b));
    drop(locator);
    assert_eq!(
        (
            A_DROPS.load(Ordering::SeqCst),
            B_DROPS.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
}

// ---- derive shapes ----

#[derive(Injectable)]
struct Tuple(Arc<dyn Database>, #[di(id = "port")] u16);

#[derive(Injectable)]
struct Unit;

#[derive(Injectable)]
struct Wrapper<T: Send + Sync + 'static> {
    inner: Arc<T>,
    #[di(default)]
    count: usize,
}

/// `#[di(...)]` does not collide with std's `#[derive(Default)]` and its `#[default]`.
#[derive(Injectable, Default, Debug, PartialEq)]
struct Settings {
    #[di(id = "port")]
    port: u16,
    #[di(default)]
    retries: u32,
}

struct Counter {
    start: u32,
}

#[injectable]
impl Counter {
    fn new(#[id("start")] start: u32, _unit: Arc<Unit>) -> Self {
        Counter { start }
    }
}

struct Session {
    repo: Arc<Repo>,
    user: String,
    attempt: u8,
}

#[injectable]
impl Session {
    fn new(repo: Arc<Repo>, #[assisted] user: String, #[assisted] attempt: u8) -> Self {
        Session {
            repo,
            user,
            attempt,
        }
    }
}

module! {
    Shapes {
        make<dyn Database>.from<Sqlite>();
        make<u16>.named("port").from_value(8080);
        make<u32>.named("start").from_value(5);
        make<Tuple>;
        make<Unit>;
        make<Wrapper<Unit>>;
        make<Settings>;
        make<Counter>;
        make<Repo>;
        make<Factory<Session>>.from_factory();
        make<Factory<Settings>>.from_factory();
        make<Factory<Counter>>.from_factory();
        make<Factory<Wrapper<Unit>>>.from_factory();
    }
}

#[test]
fn tuple_unit_generic_impl_block_and_assisted_components() {
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(Shapes::module())).unwrap();
    let locator = injector.produce(&plan).unwrap();
    let tuple = locator.get::<Tuple>().unwrap();
    assert_eq!((tuple.0.name(), tuple.1), ("sqlite", 8080));
    let wrapper = locator.get::<Wrapper<Unit>>().unwrap();
    assert!(Arc::ptr_eq(&wrapper.inner, &locator.get::<Unit>().unwrap()));
    assert_eq!(wrapper.count, 0);
    let settings = locator.get::<Settings>().unwrap();
    assert_eq!(
        *settings,
        Settings {
            port: 8080,
            retries: 0
        }
    );
    assert_eq!(
        Settings::default(),
        Settings {
            port: 0,
            retries: 0
        }
    );
    assert_eq!(locator.get::<Counter>().unwrap().start, 5);

    // A factory of a component without assisted fields: `create(())`, a new one each time,
    // its dependencies shared.
    let settings_factory = locator.get::<Factory<Settings>>().unwrap();
    let (a, b) = (settings_factory.create(()), settings_factory.create(()));
    assert_eq!((a.port, b.port), (8080, 8080));
    assert_eq!(
        locator.get::<Factory<Counter>>().unwrap().create(()).start,
        5
    );
    let wrappers = locator.get::<Factory<Wrapper<Unit>>>().unwrap();
    let (w1, w2) = (wrappers.create(()), wrappers.create(()));
    assert!(Arc::ptr_eq(&w1.inner, &w2.inner));
    assert!(Arc::ptr_eq(&w1.inner, &wrapper.inner));
    let factory = locator.get::<Factory<Session>>().unwrap();
    let (s1, s2) = (
        factory.create(("alice".into(), 1)),
        factory.create(("bob".into(), 2)),
    );
    assert_eq!(
        (s1.user.as_str(), s1.attempt, s2.user.as_str(), s2.attempt),
        ("alice", 1, "bob", 2)
    );
    assert!(
        Arc::ptr_eq(&s1.repo, &s2.repo),
        "injected dependencies are shared singletons"
    );
    assert!(Arc::ptr_eq(&s1.repo, &locator.get::<Repo>().unwrap()));
}

#[test]
fn bindings_record_the_line_they_were_written_on() {
    let module = Shapes::module();
    let port = module
        .bindings()
        .iter()
        .find(|b| b.key() == &DIKey::named::<u16>("port"))
        .unwrap();
    assert!(
        port.origin().file().ends_with("macros.rs"),
        "{}",
        port.origin()
    );
    let source = include_str!("macros.rs");
    let line = source
        .lines()
        .nth(port.origin().line() as usize - 1)
        .unwrap();
    assert!(line.contains("make<u16>.named(\"port\")"), "{line}");
}

#[test]
fn a_module_is_built_once_and_including_it_twice_keeps_one_copy() {
    assert_eq!(
        Shapes::module().len(),
        (Shapes::module() + Shapes::module()).len()
    );
}

// ---- axes derived by users ----

#[derive(Axis, Clone, Copy, Debug, PartialEq)]
enum Region {
    Eu,
    Us,
}

#[test]
fn derived_axes_have_names_choices_and_parse() {
    use distage::Axis as _;
    assert_eq!(Region::NAME, "Region");
    assert_eq!(Region::CHOICES, &["Eu", "Us"]);
    assert_eq!((Region::Eu.index(), Region::Us.index()), (0, 1));
    let activation = Activation::parse("region:us", &[distage::AxisInfo::of::<Region>()]).unwrap();
    assert_eq!(activation, Activation::new().with(Region::Us));
}

struct Wide(u64);

#[allow(clippy::too_many_arguments)]
fn make_wide(
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: u128,
    f: i8,
    g: i16,
    h: i32,
    i: i64,
    j: i128,
    k: usize,
    l: isize,
    m: bool,
    n: char,
) -> Wide {
    let ints = [a as u64, b as u64, c as u64, d, e as u64, k as u64];
    let signed = [f as i64, g as i64, h as i64, i, j as i64, l as i64];
    Wide(ints.iter().sum::<u64>() + signed.iter().sum::<i64>() as u64 + m as u64 + n as u64)
}

module! {
    WideModule {
        make<Wide>.from(make_wide);
        make<u8>.from_value(1);
        make<u16>.from_value(1);
        make<u32>.from_value(1);
        make<u64>.from_value(1);
        make<u128>.from_value(1);
        make<i8>.from_value(1);
        make<i16>.from_value(1);
        make<i32>.from_value(1);
        make<i64>.from_value(1);
        make<i128>.from_value(1);
        make<usize>.from_value(1);
        make<isize>.from_value(1);
        make<bool>.from_value(true);
        make<char>.from_value('\u{1}');
    }
}

#[test]
fn a_function_given_by_path_may_take_up_to_16_parameters() {
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(WideModule::module()).roots::<Wide>())
        .unwrap();
    let locator = injector.produce(&plan).unwrap();
    assert_eq!(locator.get::<Wide>().unwrap().0, 14);
}

#[derive(Injectable)]
struct NamedKinds {
    #[di(id = "primary")]
    primary: Option<Arc<dyn Database>>,
    #[di(id = "absent")]
    absent: Option<Arc<dyn Database>>,
    #[di(id = "later")]
    later: Lazy<Sqlite>,
    #[di(id = "port")]
    port: u16,
}

/// `#[id]` on optional, lazy and value fields reaches the keys the derive asks for, and the
/// instances it gets.
#[test]
fn ids_on_optional_lazy_and_value_fields_name_their_keys() {
    let deps: Vec<String> = <NamedKinds as distage::Injectable>::dependencies()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        deps,
        [
            "dyn Database @ \"primary\"?",
            "dyn Database @ \"absent\"?",
            "lazy Sqlite @ \"later\"",
            "u16 @ \"port\"",
        ]
    );
    let module = Module::build(|m| {
        m.make::<dyn Database>()
            .named("primary")
            .from_arc(Arc::new(Postgres));
        m.make::<Sqlite>().named("later").from_value(Sqlite);
        m.make::<u16>().named("port").from_value(5432);
        m.make::<NamedKinds>().from::<NamedKinds>();
    });
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module).roots::<NamedKinds>())
        .unwrap();
    let locator = injector.produce(&plan).unwrap();
    let got = locator.get::<NamedKinds>().unwrap();
    assert_eq!(got.primary.as_ref().map(|d| d.name()), Some("postgres"));
    assert!(got.absent.is_none());
    assert_eq!(got.later.get().unwrap().name(), "sqlite");
    assert_eq!(got.port, 5432);
}

/// Up to 16 injected parameters are taken by one tuple call, more one by one: both ways build
/// the same thing, with `#[id]`, value and default parameters in between.
#[derive(Injectable)]
#[allow(dead_code)] // most fields are there only to be injected
struct Sixteen {
    a0: Arc<Postgres>,
    #[di(id = "port")]
    a1: u16,
    a2: Arc<Sqlite>,
    a3: Arc<Postgres>,
    a4: Arc<Postgres>,
    #[di(default)]
    skipped: u8,
    a5: Arc<Postgres>,
    a6: Arc<Postgres>,
    a7: Arc<Postgres>,
    a8: Arc<Postgres>,
    a9: Arc<Postgres>,
    a10: Arc<Postgres>,
    a11: Arc<Postgres>,
    a12: Arc<Postgres>,
    a13: Arc<Postgres>,
    a14: Arc<Postgres>,
    a15: Option<Arc<dyn Database>>,
}

#[derive(Injectable)]
#[allow(dead_code)]
struct Seventeen {
    sixteen: Arc<Sixteen>,
    b1: Arc<Postgres>,
    #[di(id = "port")]
    b2: u16,
    b3: Arc<Postgres>,
    b4: Arc<Postgres>,
    b5: Arc<Postgres>,
    b6: Arc<Postgres>,
    b7: Arc<Postgres>,
    b8: Arc<Postgres>,
    b9: Arc<Postgres>,
    b10: Arc<Postgres>,
    b11: Arc<Postgres>,
    b12: Arc<Postgres>,
    b13: Arc<Postgres>,
    b14: Arc<Postgres>,
    b15: Arc<Postgres>,
    b16: Arc<Sqlite>,
}

#[test]
fn constructors_of_up_to_sixteen_and_of_more_parameters_get_every_argument() {
    let module = Module::build(|m| {
        m.make::<Postgres>().from::<Postgres>();
        m.make::<Sqlite>().from::<Sqlite>();
        m.make::<u16>().named("port").from_value(5432);
        m.make::<Sixteen>().from::<Sixteen>();
        m.make::<Seventeen>().from::<Seventeen>();
    });
    let plan = Injector::new()
        .plan(&PlannerInput::new(module).roots::<Seventeen>())
        .unwrap();
    let sixteen_deps = plan
        .step(&DIKey::of::<Sixteen>())
        .unwrap()
        .dependencies()
        .len();
    assert_eq!(sixteen_deps, 16);
    let seventeen_deps = plan.step(&DIKey::of::<Seventeen>()).unwrap().dependencies();
    assert_eq!(seventeen_deps.len(), 17);
    assert_eq!(seventeen_deps[2].key(), Some(&DIKey::named::<u16>("port")));
    let locator = Injector::new().produce(&plan).unwrap();
    let seventeen = locator.get::<Seventeen>().unwrap();
    assert_eq!(seventeen.b2, 5432);
    assert_eq!(seventeen.b16.name(), "sqlite");
    assert_eq!(seventeen.sixteen.a1, 5432);
    assert_eq!(seventeen.sixteen.skipped, 0);
    assert_eq!(seventeen.sixteen.a2.name(), "sqlite");
    assert!(
        seventeen.sixteen.a15.is_none(),
        "no `dyn Database` is bound"
    );
    assert!(Arc::ptr_eq(&seventeen.sixteen.a0, &seventeen.b1));
}

/// A generic component past the 16 parameters one tuple call takes.
#[derive(Injectable)]
#[allow(dead_code)]
struct ManyOf<T: Send + Sync + 'static> {
    t0: Arc<T>,
    t1: Arc<T>,
    t2: Arc<T>,
    t3: Arc<T>,
    t4: Arc<T>,
    t5: Arc<T>,
    t6: Arc<T>,
    t7: Arc<T>,
    t8: Arc<T>,
    t9: Arc<T>,
    t10: Arc<T>,
    t11: Arc<T>,
    t12: Arc<T>,
    t13: Arc<T>,
    t14: Arc<T>,
    t15: Arc<T>,
    #[di(id = "last")]
    t16: Arc<T>,
}

#[test]
fn a_generic_component_with_more_than_sixteen_parameters_gets_every_argument() {
    let module = Module::build(|m| {
        m.make::<u32>().from_value(1);
        m.make::<u32>().named("last").from_value(2);
        m.make::<ManyOf<u32>>().from::<ManyOf<u32>>();
    });
    let plan = Injector::new()
        .plan(&PlannerInput::new(module).roots::<ManyOf<u32>>())
        .unwrap();
    let deps = plan
        .step(&DIKey::of::<ManyOf<u32>>())
        .unwrap()
        .dependencies();
    assert_eq!(deps.len(), 17);
    assert_eq!(deps[16].key(), Some(&DIKey::named::<u32>("last")));
    let wide = Injector::new()
        .produce(&plan)
        .unwrap()
        .get::<ManyOf<u32>>()
        .unwrap();
    assert_eq!((*wide.t0, *wide.t15, *wide.t16), (1, 1, 2));
}

macro_rules! wide {
    ($name:ident $($field:ident)*) => {
        #[derive(Injectable)]
        #[allow(dead_code)]
        struct $name {
            $($field: Arc<u32>,)*
            #[di(id = "last")]
            last: Arc<u32>,
        }
    };
}

// 40 parameters: two full tuples of 16 and a third of 8, taken one after another.
wide!(Forty f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 f13 f14 f15 f16 f17 f18 f19 f20 f21 f22 f23 f24 f25 f26 f27 f28 f29 f30 f31 f32 f33 f34 f35 f36 f37 f38);

#[test]
fn a_constructor_of_forty_parameters_takes_them_in_order_across_tuples() {
    let module = Module::build(|m| {
        m.make::<u32>().from_value(1);
        m.make::<u32>().named("last").from_value(2);
        m.make::<Forty>().from::<Forty>();
    });
    let plan = Injector::new()
        .plan(&PlannerInput::new(module).roots::<Forty>())
        .unwrap();
    assert_eq!(
        plan.step(&DIKey::of::<Forty>())
            .unwrap()
            .dependencies()
            .len(),
        40
    );
    let forty = Injector::new()
        .produce(&plan)
        .unwrap()
        .get::<Forty>()
        .unwrap();
    assert_eq!(
        (*forty.f0, *forty.f15, *forty.f16, *forty.f38, *forty.last),
        (1, 1, 1, 1, 2)
    );
}

macro_rules! very_wide {
    ($name:ident [$($before:ident)*] [$($after:ident)*]) => {
        #[derive(Injectable)]
        #[allow(dead_code)]
        struct $name {
            #[di(id = "first")]
            first: Arc<u32>,
            $($before: Arc<u32>,)*
            #[di(id = "256")]
            at256: Arc<u32>,
            #[di(id = "257")]
            at257: Arc<u32>,
            $($after: Arc<u32>,)*
            #[di(id = "last")]
            last: Value<u32>,
        }
    };
}

// 300 parameters: more than 16 tuples of 16, so the tuples are grouped twice over; the named
// ones sit at both ends and either side of the first 256.
very_wide!(ThreeHundred
    [b1 b2 b3 b4 b5 b6 b7 b8 b9 b10 b11 b12 b13 b14 b15 b16 b17 b18 b19 b20 b21 b22 b23 b24 b25 b26 b27 b28 b29 b30 b31 b32 b33 b34 b35 b36 b37 b38 b39 b40 b41 b42 b43 b44 b45 b46 b47 b48 b49 b50 b51 b52 b53 b54 b55 b56 b57 b58 b59 b60 b61 b62 b63 b64 b65 b66 b67 b68 b69 b70 b71 b72 b73 b74 b75 b76 b77 b78 b79 b80 b81 b82 b83 b84 b85 b86 b87 b88 b89 b90 b91 b92 b93 b94 b95 b96 b97 b98 b99 b100 b101 b102 b103 b104 b105 b106 b107 b108 b109 b110 b111 b112 b113 b114 b115 b116 b117 b118 b119 b120 b121 b122 b123 b124 b125 b126 b127 b128 b129 b130 b131 b132 b133 b134 b135 b136 b137 b138 b139 b140 b141 b142 b143 b144 b145 b146 b147 b148 b149 b150 b151 b152 b153 b154 b155 b156 b157 b158 b159 b160 b161 b162 b163 b164 b165 b166 b167 b168 b169 b170 b171 b172 b173 b174 b175 b176 b177 b178 b179 b180 b181 b182 b183 b184 b185 b186 b187 b188 b189 b190 b191 b192 b193 b194 b195 b196 b197 b198 b199 b200 b201 b202 b203 b204 b205 b206 b207 b208 b209 b210 b211 b212 b213 b214 b215 b216 b217 b218 b219 b220 b221 b222 b223 b224 b225 b226 b227 b228 b229 b230 b231 b232 b233 b234 b235 b236 b237 b238 b239 b240 b241 b242 b243 b244 b245 b246 b247 b248 b249 b250 b251 b252 b253 b254]
    [a257 a258 a259 a260 a261 a262 a263 a264 a265 a266 a267 a268 a269 a270 a271 a272 a273 a274 a275 a276 a277 a278 a279 a280 a281 a282 a283 a284 a285 a286 a287 a288 a289 a290 a291 a292 a293 a294 a295 a296 a297 a298]);

#[test]
fn a_constructor_of_three_hundred_parameters_takes_each_from_its_own_key() {
    let module = Module::build(|m| {
        m.make::<u32>().from_value(0);
        for (id, value) in [("first", 1), ("256", 256), ("257", 257), ("last", 300)] {
            m.make::<u32>().named(id).from_value(value);
        }
        m.make::<ThreeHundred>().from::<ThreeHundred>();
    });
    let plan = Injector::new()
        .plan(&PlannerInput::new(module).roots::<ThreeHundred>())
        .unwrap();
    let deps = plan
        .step(&DIKey::of::<ThreeHundred>())
        .unwrap()
        .dependencies();
    assert_eq!(deps.len(), 300);
    assert_eq!(deps[255].key(), Some(&DIKey::named::<u32>("256")));
    let wide = Injector::new()
        .produce(&plan)
        .unwrap()
        .get::<ThreeHundred>()
        .unwrap();
    assert_eq!(
        (
            *wide.first,
            *wide.b1,
            *wide.b254,
            *wide.at256,
            *wide.at257,
            *wide.a257,
            *wide.a298,
            wide.last.0
        ),
        (1, 0, 0, 256, 257, 0, 0, 300)
    );
}
