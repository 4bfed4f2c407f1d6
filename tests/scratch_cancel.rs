use distage::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);
impl Log {
    fn push(&self, s: &str) {
        self.0.lock().unwrap().push(s.into())
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

struct X;
struct Y;
struct Z;
struct W(Log);
impl Drop for W {
    fn drop(&mut self) {
        self.0.push("W dropped");
        panic!("W drop panics")
    }
}

fn xy(log: &Log) -> Module {
    let (l1, l2, l3, l4) = (log.clone(), log.clone(), log.clone(), log.clone());
    Module::build(move |m| {
        let (l1, l2, l3, l4) = (l1.clone(), l2.clone(), l3.clone(), l4.clone());
        m.make::<X>().from_resource(move || {
            let (a, b) = (l1.clone(), l2.clone());
            Lifecycle::make(
                move || {
                    a.push("X acquired");
                    X
                },
                move |_| b.push("X released"),
            )
        });
        m.make::<Y>().from_resource_async(move |_x: Arc<X>| {
            let (a, b) = (l3.clone(), l4.clone());
            Lifecycle::make_async(
                async move {
                    a.push("Y acquired");
                    Y
                },
                move |_| async move {
                    b.push("Y release started");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    b.push("Y release finished")
                },
            )
        });
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_close_multi() {
    let log = Log::default();
    let inj = Injector::new();
    let plan = inj.plan(&PlannerInput::new(xy(&log))).unwrap();
    let loc = inj.produce_async(&plan).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(10), loc.close())
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        log.get(),
        [
            "X acquired",
            "Y acquired",
            "Y release started",
            "Y release finished",
            "X released"
        ]
    );
}

#[tokio::test]
async fn dropped_close_current() {
    let log = Log::default();
    let inj = Injector::new();
    let plan = inj.plan(&PlannerInput::new(xy(&log))).unwrap();
    let loc = inj.produce_async(&plan).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(10), loc.close())
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        log.get(),
        [
            "X acquired",
            "Y acquired",
            "Y release started",
            "Y release finished",
            "X released"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_produce_cleanup() {
    let log = Log::default();
    let l = log.clone();
    let m = xy(&log)
        + Module::build(move |m| {
            let l = l.clone();
            m.make::<Z>()
                .from_try_fn(move |_y: Arc<Y>| -> Result<Z, String> {
                    l.push("Z fails");
                    Err("boom".into())
                });
        });
    let inj = Injector::new();
    let plan = inj.plan(&PlannerInput::new(m)).unwrap();
    let r = tokio::time::timeout(Duration::from_millis(10), inj.produce_async(&plan)).await;
    assert!(r.is_err());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        log.get(),
        [
            "X acquired",
            "Y acquired",
            "Z fails",
            "Y release started",
            "Y release finished",
            "X released"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn panicking_drop() {
    let log = Log::default();
    let (l, l2) = (log.clone(), log.clone());
    let m = Module::build(move |m| {
        let (l, l2) = (l.clone(), l2.clone());
        m.make::<W>().from_fn(move || W(l.clone()));
        m.make::<Y>().from_resource_async(move |_w: Arc<W>| {
            let b = l2.clone();
            Lifecycle::make_async(async move { Y }, move |_| async move {
                b.push("Y release started");
                tokio::time::sleep(Duration::from_millis(50)).await;
                b.push("Y release finished")
            })
        });
    });
    let inj = Injector::new();
    let plan = inj.plan(&PlannerInput::new(m)).unwrap();
    let loc = inj.produce_async(&plan).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(10), loc.close())
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        log.get(),
        ["Y release started", "Y release finished", "W dropped"]
    );
}

struct Pool;
struct Cache;
struct Svc;
#[tokio::test(flavor = "multi_thread")]
async fn release_order_by_completion() {
    let log = Log::default();
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    let m = Module::build(move |m| {
        let (a, b, c) = (a.clone(), b.clone(), c.clone());
        m.make::<Cache>().from_resource_async(move || {
            let (s, t) = (b.clone(), b.clone());
            Lifecycle::make_async(
                async move {
                    s.push("CacheStart");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Cache
                },
                move |_| async move { t.push("CacheStop") },
            )
        });
        m.make::<Pool>().from_resource_async(move || {
            let (s, t) = (a.clone(), a.clone());
            Lifecycle::make_async(
                async move {
                    s.push("PoolStart");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Pool
                },
                move |_| async move { t.push("PoolStop") },
            )
        });
        m.make::<Svc>()
            .from_resource_async(move |_p: Arc<Pool>, _c: Arc<Cache>| {
                let (s, t) = (c.clone(), c.clone());
                Lifecycle::make_async(
                    async move {
                        s.push("SvcStart");
                        Svc
                    },
                    move |_| async move { t.push("SvcStop") },
                )
            });
    });
    let inj = Injector::new();
    let plan = inj.plan(&PlannerInput::new(m)).unwrap();
    let loc = inj.produce_async(&plan).await.unwrap();
    loc.close().await.unwrap();
    assert_eq!(
        log.get(),
        [
            "CacheStart",
            "PoolStart",
            "SvcStart",
            "SvcStop",
            "PoolStop",
            "CacheStop"
        ]
    );
}
