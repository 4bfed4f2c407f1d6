use distage::testkit::TestEnv;

fn env() -> TestEnv {
    TestEnv::new(distage::Module::new())
}

#[distage::test]
fn without_env() {}

#[distage::test(environment = env)]
fn unknown_argument() {}

#[distage::test(env = "env")]
fn env_not_a_path() {}

#[distage::test(env = env, env = env)]
fn two_envs() {}

fn main() {}
