//! Generated code must not depend on the names in scope.
#![deny(warnings)]
#![allow(dead_code, non_camel_case_types)]

use distage::{module, Injectable};

struct Result;
struct Ok;
struct Option;
struct Some;
struct Box;
struct Arc;
struct String;
struct Vec;
struct Default;
struct Clone;
// Names the macros' generated generics must not collide with.
struct C0;
struct C7;
struct T;
struct By;
struct N;

#[derive(Injectable)]
struct Config {
    port: u16,
}

#[derive(Injectable)]
struct Service {
    config: std::sync::Arc<Config>,
    #[di(id = "name")]
    name: std::string::String,
    #[di(default)]
    hits: u32,
}

module! {
    AppModule {
        make<u16>.from_value(1);
        make<std::string::String>.named("name").from_value(std::string::String::from("svc"));
        make<Config>;
        make<Service>;
        make<u8>.from(|c: std::sync::Arc<Config>| c.port as u8);
    }
}

fn main() {
    let injector = distage::Injector::new();
    let plan = injector.plan(&distage::PlannerInput::new(AppModule::module())).unwrap();
    let locator = injector.produce(&plan).unwrap();
    assert_eq!(locator.get::<Service>().unwrap().name, "svc");
}
