//! `role`, `config` and `integration_check` in `module!`, and the launcher run in-process.
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use distage::framework::{
    BoxError, IntegrationCheck, NoArgs, RoleAppMain, RoleService, RoleTask, Shutdown,
};
use distage::prelude::*;

type Ports = BTreeMap<String, u16>;

#[derive(Injectable)]
struct Db;

impl IntegrationCheck for Db {
    async fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

#[derive(Injectable)]
struct Migrate {
    _db: Arc<Db>,
    ports: Ports,
}

impl RoleTask for Migrate {
    const ID: &'static str = "migrate";
    const ABOUT: &'static str = "create the schema";
    type Args = NoArgs;
    async fn run(&self, _: NoArgs) -> Result<(), BoxError> {
        assert!(self.ports.is_empty());
        Ok(())
    }
}

#[derive(Injectable)]
struct Http;

impl RoleService for Http {
    const ID: &'static str = "http";
    const ABOUT: &'static str = "serve";
    type Args = NoArgs;
    async fn serve(&self, _: NoArgs, shutdown: Shutdown) -> Result<(), BoxError> {
        shutdown.wait().await;
        Ok(())
    }
}

module! {
    AppModule {
        config<Ports>("ports");
        make<Db>;
        role<Migrate>;
        role<Http>;
        integration_check<Db>;
    }
}

fn main() {
    let app = || RoleAppMain::new("framework-pass").module(AppModule::module());
    let code = app().run_with(["framework-pass", "--print-plan", ":migrate", ":http"]);
    assert_eq!(code, ExitCode::SUCCESS);
    // No config file: `--check` finds the `ports` section missing.
    let code = app().run_with(["framework-pass", "--check"]);
    assert_eq!(code, ExitCode::from(1));
}
