//! `#[derive(Axis)]` on a fieldless enum: its variants are the axis's choices.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::private;

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let p = private();
    let name = &input.ident;
    let Data::Enum(data) = &input.data else {
        return syn::Error::new(
            name.span(),
            "`#[derive(Axis)]` works on a fieldless enum: its variants are the choices",
        )
        .to_compile_error();
    };
    let mut errors: Option<syn::Error> = None;
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            crate::params::combine(
                &mut errors,
                syn::Error::new_spanned(&v.fields, "an axis choice has no fields"),
            );
        }
        if let Some((_, d)) = &v.discriminant {
            crate::params::combine(
                &mut errors,
                syn::Error::new_spanned(
                    d,
                    "axis choices are numbered by position: remove the discriminant",
                ),
            );
        }
    }
    if data.variants.is_empty() {
        crate::params::combine(
            &mut errors,
            syn::Error::new(name.span(), "an axis needs at least one choice"),
        );
    }
    if let Some(e) = errors {
        return e.to_compile_error();
    }
    if !input.generics.params.is_empty() {
        return syn::Error::new_spanned(&input.generics, "an axis cannot be generic")
            .to_compile_error();
    }
    let variants: Vec<_> = data.variants.iter().map(|v| &v.ident).collect();
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
