//! `#[derive(Axis)]` on a fieldless enum: its variants are the axis's choices.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Fields};

use crate::{Errors, private};

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let Some(input) = errors.handle(syn::parse2::<DeriveInput>(input)) else {
        return errors.into_compile_error();
    };
    let p = private();
    let name = &input.ident;
    let not_an_enum = Punctuated::new();
    let variants = match &input.data {
        Data::Enum(data) => {
            if data.variants.is_empty() {
                errors.error(name.span(), "an axis needs at least one choice");
            }
            &data.variants
        }
        _ => {
            errors.error(
                name.span(),
                "`#[derive(Axis)]` works on a fieldless enum: its variants are the choices",
            );
            &not_an_enum
        }
    };
    if !input.generics.params.is_empty() {
        errors.spanned(&input.generics, "an axis cannot be generic");
    }
    for v in variants {
        if !matches!(v.fields, Fields::Unit) {
            errors.spanned(&v.fields, "an axis choice has no fields");
        }
        if let Some((_, d)) = &v.discriminant {
            errors.spanned(
                d,
                "axis choices are numbered by position: remove the discriminant",
            );
        }
    }
    if !errors.is_empty() {
        return errors.into_compile_error();
    }
    let variants: Vec<_> = variants.iter().map(|v| &v.ident).collect();
    let names = variants.iter().map(|v| v.to_string());
    let indices = 0..variants.len();
    let name_str = name.to_string();
    quote! {
        #[automatically_derived]
        impl #p::Axis for #name {
            const NAME: &'static str = #name_str;
            const CHOICES: &'static [&'static str] = &[#(#names),*];
            fn index(&self) -> usize {
                match self { #(Self::#variants => #indices,)* }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn derive_str(src: &str) -> String {
        super::derive(src.parse().unwrap()).to_string()
    }

    #[test]
    fn a_fieldless_enum_is_an_axis() {
        let out = derive_str("enum Mode { Prod, Test }");
        assert!(out.contains("const CHOICES"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn every_mistake_is_reported_together() {
        let out = derive_str("enum Mode<T> { Prod(T), Test = 3 }");
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
        assert!(out.contains("cannot be generic"), "{out}");
        assert!(out.contains("has no fields"), "{out}");
        assert!(out.contains("remove the discriminant"), "{out}");
        let out = derive_str("struct Mode<T>(T);");
        assert!(out.contains("works on a fieldless enum"), "{out}");
        assert!(out.contains("cannot be generic"), "{out}");
    }
}
