//! `#[derive(Injectable)]` and `#[injectable]`: parse → model → codegen.

mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

use crate::Errors;

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let generated = errors
        .handle(syn::parse2::<syn::DeriveInput>(input))
        .and_then(|input| errors.handle(parse::from_struct(&input)))
        .map(|component| codegen::generate(&component));
    // On an error the type itself is left as it was; only the impls are missing.
    let errors = errors.into_compile_error();
    quote!(#generated #errors)
}

pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    if !args.is_empty() {
        errors.error(args.span(), "`#[injectable]` takes no arguments");
    }
    let Ok(mut block) = syn::parse2::<syn::ItemImpl>(item.clone()) else {
        errors.error(
            item.span(),
            "`#[injectable]` goes on an `impl` block with a `fn new(…)`",
        );
        let errors = errors.into_compile_error();
        return quote!(#item #errors);
    };
    let component = errors.handle(parse::from_impl(&mut block));
    let generated = component.map(|c| codegen::generate(&c));
    let errors = errors.into_compile_error();
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
        // `Injectable` comes from distage's blanket impl over `FromParts`.
        assert!(
            out.contains("impl :: distage :: __private :: FromParts for S"),
            "{out}"
        );
        assert!(!out.contains("Injectable for S"), "{out}");
        assert!(
            out.contains("impl :: distage :: __private :: StaticDeps for S"),
            "{out}"
        );
        // Both parameters in one tuple, taken by one call; the id beside the shapes.
        assert!(
            out.contains(":: InjectAll > :: SHAPES , & [:: core :: option :: Option :: None , :: core :: option :: Option :: Some (\"url\")])"),
            "{out}"
        );
        // The parameters' tuple, and the constructor taking them one by one.
        assert!(
            out.contains(
                "type Parts = (Arc < dyn Db > , :: distage :: __private :: Value < String > ,)"
            ),
            "{out}"
        );
        assert!(
            out.contains("const NEW : < Self :: Parts as :: distage :: __private :: PartsFn < Self >> :: Fn = | __distage_a0 : Arc < dyn Db > , __distage_a1 : :: distage :: __private :: Value < String > |"),
            "{out}"
        );
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
    fn every_bad_attribute_of_one_field_is_reported() {
        let out = derive_str("struct S { #[di(bogus)] #[di(default, default)] a: u8 }");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(out.contains("given twice"), "{out}");
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
    fn a_wrong_return_type_and_bad_parameters_are_reported_together() {
        let out = super::attribute(
            proc_macro2::TokenStream::new(),
            r#"impl S { fn new(&self, a: Rc<A>, #[di(bogus)] #[id("x")] b: u8) -> u8 { 1 } }"#
                .parse()
                .unwrap(),
        )
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
        assert!(out.contains("must return `Self`"), "{out}");
        assert!(out.contains("takes no `self`"), "{out}");
        assert!(out.contains("`Rc` is not thread-safe"), "{out}");
        assert!(out.contains("unknown `di` option"), "{out}");
        assert!(
            !out.contains("# [id"),
            "every attribute is removed, also after a mistake in another: {out}"
        );
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
