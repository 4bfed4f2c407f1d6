use distage::testkit::TestEnv;

fn not_an_env() -> u8 {
    0
}

fn env() -> TestEnv {
    TestEnv::new(distage::Module::new())
}

#[distage::test(env = not_an_env)]
fn env_of_the_wrong_type() {}

#[distage::test(env = env)]
fn returns_a_number() -> u8 {
    1
}

#[distage::test(env = env)]
async fn returns_a_string() -> String {
    String::new()
}

fn main() {}
