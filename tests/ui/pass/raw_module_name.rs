//! Raw identifiers are valid module names, as anywhere in Rust.
use distage::prelude::*;

struct Port(u16);

module! {
    pub r#match {
        make<Port>.from_value(Port(8080));
    }
}

module! {
    r#Outer {
        include r#match;
    }
}

fn main() {
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(r#Outer::module()).roots::<Port>())
        .unwrap();
    assert_eq!(injector.produce(&plan).unwrap().get::<Port>().unwrap().0, 8080);
}
