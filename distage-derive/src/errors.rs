//! The one error sink of every macro: mistakes are collected while parsing and checking, so that
//! several independent ones in one input are reported together, and turned into
//! `compile_error!`s in one place ([`Errors::into_compile_error`]).

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Collected errors, each with its own span. Anything that converts into a `syn::Error` can be
/// pushed: a `syn::Error`, which may itself hold several.
///
/// Under this crate's tests, dropping a sink that still holds errors panics (outside an unwind):
/// reporting is the caller's job, and an error lost on an early return would otherwise expand to
/// code that compiles.
#[derive(Default)]
pub(crate) struct Errors {
    collected: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn new() -> Errors {
        Errors::default()
    }

    /// Adds an error (or every error it holds).
    pub(crate) fn push(&mut self, error: impl Into<syn::Error>) {
        let error = error.into();
        match &mut self.collected {
            Some(collected) => collected.combine(error),
            None => self.collected = Some(error),
        }
    }

    /// Adds `message` at `span`.
    pub(crate) fn error(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Adds `message` spanning every token of `tokens`, from the first to the last.
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// The value of `result`, or `None` with its error added.
    pub(crate) fn handle<T, E: Into<syn::Error>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.collected.is_none()
    }

    /// `Ok(())`, or every collected error as one `syn::Error`.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.finish_with(())
    }

    /// `value` if no error was collected.
    pub(crate) fn finish_with<T>(mut self, value: T) -> syn::Result<T> {
        match self.collected.take() {
            Some(errors) => Err(errors),
            None => Ok(value),
        }
    }

    /// Every collected error as a `compile_error!` at its span; nothing if there is none. A macro
    /// emits these beside whatever it can still generate (the item, a stub), so that one mistake
    /// does not cascade into errors about missing items.
    pub(crate) fn into_compile_error(mut self) -> TokenStream {
        self.collected
            .take()
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}

impl<E: Into<syn::Error>> Extend<E> for Errors {
    fn extend<I: IntoIterator<Item = E>>(&mut self, errors: I) {
        for error in errors {
            self.push(error);
        }
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        // Only under this crate's tests (the fuzz tests call every entry point): a user's build
        // never gets a macro panic from here.
        if cfg!(test) && self.collected.is_some() && !std::thread::panicking() {
            panic!("distage: errors were collected but never reported (a bug in the macro)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(result: syn::Result<()>) -> Vec<String> {
        result
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn errors_are_reported_together_in_the_order_found() {
        let mut errors = Errors::new();
        assert!(errors.is_empty());
        errors.error(Span::call_site(), "first");
        let mut two = syn::Error::new(Span::call_site(), "second");
        two.combine(syn::Error::new(Span::call_site(), "third"));
        errors.push(two);
        errors.push(syn::Error::new(Span::call_site(), "fourth"));
        assert_eq!(errors.handle(Ok::<_, syn::Error>(5)), Some(5));
        assert_eq!(
            errors.handle(Err::<u8, _>(syn::Error::new(Span::call_site(), "fifth"))),
            None
        );
        errors.extend([syn::Error::new(Span::call_site(), "sixth")]);
        assert!(!errors.is_empty());
        assert_eq!(
            messages(errors.finish()),
            ["first", "second", "third", "fourth", "fifth", "sixth"]
        );
    }

    #[test]
    fn an_empty_sink_finishes_with_the_value_and_emits_nothing() {
        assert_eq!(Errors::new().finish_with(7).unwrap(), 7);
        assert!(Errors::new().into_compile_error().is_empty());
    }

    #[test]
    fn each_error_becomes_one_compile_error() {
        let mut errors = Errors::new();
        errors.spanned(quote::quote!(a b), "one");
        errors.error(Span::call_site(), "two");
        let tokens = errors.into_compile_error().to_string();
        assert_eq!(tokens.matches("compile_error").count(), 2, "{tokens}");
    }

    #[test]
    #[should_panic(expected = "never reported")]
    fn dropping_unreported_errors_is_a_bug() {
        let mut errors = Errors::new();
        errors.error(Span::call_site(), "lost");
    }
}
