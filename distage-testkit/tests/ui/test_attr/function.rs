use std::sync::Arc;

use distage::testkit::TestEnv;

fn env() -> TestEnv {
    TestEnv::new(distage::Module::new())
}

#[distage::test(env = env)]
fn generic<T>(_x: Arc<u8>) {}

#[distage::test(env = env)]
fn reference(_name: &str, _db: Box<u8>) {}

#[distage::test(env = env)]
#[should_panic]
fn should_panic() {}

#[distage::test(env = env)]
fn id_on_logger(#[id("x")] _log: distage::Logger) {}

#[distage::test(env = env)]
struct NotAFunction;

fn main() {}
