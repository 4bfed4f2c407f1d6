//! The petstore's launcher: `petstore [-u axis:choice] [-c file] :migrate :http`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use distage::framework::RoleAppMain;
use distage::prelude::*;
use petstore::PetstoreModule;

fn main() -> ExitCode {
    RoleAppMain::new("petstore")
        .about("distage-rs petstore: pets over HTTP, kept in SQLite")
        .module(PetstoreModule::module())
        .default_activation(Activation::new().with(Repo::Prod))
        .run()
}
