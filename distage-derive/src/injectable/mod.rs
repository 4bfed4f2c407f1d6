//! `#[derive(Injectable)]` and `#[injectable]`: parse → model → codegen.

mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    match parse::from_struct(&input) {
        Ok(component) => codegen::generate(&component),
        // The type itself is left as it was; only the impls are missing.
        Err(e) => e.write_errors(),
    }
}

pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = darling::Error::accumulator();
    if !args.is_empty() {
        errors.push(darling::Error::custom("`#[injectable]` takes no arguments").with_span(&args));
    }
    let mut block = match syn::parse2::<syn::ItemImpl>(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            errors.push(
                darling::Error::custom(
                    "`#[injectable]` goes on an `impl` block with a `fn new(…)`",
                )
                .with_span(&item),
            );
            // The accumulator must be finished, also on this early way out.
            let errors = errors.finish().err().map(darling::Error::write_errors);
            return quote!(#item #errors);
        }
    };
    let component = errors.handle(parse::from_impl(&mut block));
    let generated = component.map(|c| codegen::generate(&c));
    let errors = match errors.finish() {
        Ok(()) => TokenStream::new(),
        Err(e) => e.write_errors(),
    };
    // The block is always emitted (attributes removed), so one mistake does not hide its methods.
    quote!(#block #generated #errors)
}

#[cfg(test)]
mod tests {
    fn derive_str(src: &str) -> String {
        super::derive(src.parse().unwrap()).to_string()
    }

    #[test]
    fn a_struct_gets_injectable_and_static_deps() {
        let out = derive_str(
            r#"struct S { db: Arc<dyn Db>, #[di(id = "url")] url: String, #[di(default)] n: u8 }"#,
        );
        assert!(
            out.contains("impl :: distage :: __private :: Injectable for S"),
            "{out}"
        );
        assert!(
            out.contains("impl :: distage :: __private :: StaticDeps for S"),
            "{out}"
        );
        // Both parameters in one tuple, taken by one call; the id beside the shapes.
        assert!(
            out.contains(":: InjectAll > :: SHAPES , & [:: core :: option :: Option :: None , :: core :: option :: Option :: Some (\"url\")])"),
            "{out}"
        );
        assert!(out.contains(":: InjectAll > :: take_all"), "{out}");
        assert!(out.contains("Named < 'u' , 'r' , 'l' >"), "{out}");
        assert!(
            out.contains("n : :: core :: default :: Default :: default ()"),
            "{out}"
        );
    }

    #[test]
    fn assisted_fields_make_a_factory_product() {
        let out = derive_str("struct S { db: Arc<Db>, #[di(assisted)] user: String }");
        assert!(out.contains("AssistedInjectable for S"), "{out}");
        assert!(out.contains("type Assisted = String"), "{out}");
        assert!(!out.contains("__private :: Injectable for S"), "{out}");
    }

    #[test]
    fn generic_parameters_must_be_thread_safe() {
        let out = derive_str("struct W<T> { inner: Arc<T> }");
        assert!(
            out.contains("T : :: core :: marker :: Send + :: core :: marker :: Sync + 'static"),
            "{out}"
        );
    }

    #[test]
    fn every_bad_field_is_reported() {
        let out = derive_str("struct S { a: &'static Db, b: Rc<Db>, c: Arc<Db> }");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }

    #[test]
    fn the_attribute_uses_new_and_strips_parameter_attributes() {
        let out = super::attribute(
            proc_macro2::TokenStream::new(),
            r#"impl S { fn new(#[id("x")] x: u8, db: Arc<Db>) -> Result<Self, E> { todo!() } }"#
                .parse()
                .unwrap(),
        )
        .to_string();
        assert!(out.contains("Self :: new ("), "{out}");
        assert!(
            out.contains("map_err"),
            "a fallible constructor's error is converted: {out}"
        );
        assert!(!out.contains("# [id"), "{out}");
    }

    #[test]
    fn the_attribute_on_anything_but_an_impl_block_is_an_error_not_a_panic() {
        for item in [
            "struct S { a: u8 }",
            "fn new() -> u8 { 1 }",
            "enum E { A }",
            "",
        ] {
            for args in ["", "extra"] {
                let out = super::attribute(args.parse().unwrap(), item.parse().unwrap());
                let out = out.to_string();
                assert!(
                    out.contains("goes on an `impl` block"),
                    "{item} / {args}: {out}"
                );
            }
        }
    }
}
