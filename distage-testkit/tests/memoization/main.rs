//! The testkit checked from outside: `cargo test` runs `outer.rs`'s checks, each of which runs
//! this same binary again as a testkit harness over `inner.rs`'s tests (which include a
//! deliberately panicking test and a deliberately broken configuration) and reads what it did.

mod inner;
mod outer;

/// Set for the inner run: the file where acquisitions, releases and test ends are logged.
pub const LOG_VAR: &str = "TESTKIT_DEMO_LOG";

fn main() -> std::process::ExitCode {
    if std::env::var_os(LOG_VAR).is_some() {
        distage::testkit::run_main()
    } else {
        outer::run()
    }
}
