//! `#[distage::test(env = path)]`: a test function whose parameters are injected, registered with
//! the testkit's harness. Parse (the arguments, the function) → model ([`TestFn`]) → codegen.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, MetaNameValue, Token, Type};

use crate::Errors;
use crate::params::{self, Kind};

/// A test function, checked.
struct TestFn {
    item: ItemFn,
    env: syn::Path,
    params: Vec<Param>,
    ignored: bool,
}

struct Param {
    ty: Type,
    kind: Kind,
    id: Option<LitStr>,
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let Ok(mut item) = syn::parse2::<ItemFn>(item.clone()) else {
        errors.spanned(
            &item,
            "`#[distage::test]` goes on a function: `fn name(db: Arc<dyn Db>) { … }`",
        );
        return errors.into_compile_error();
    };
    match errors.handle(parse(args, &mut item)) {
        Some(test) => generate(&test),
        // The function is kept (its `#[id]`s removed) so that its body is still checked and one
        // mistake is one error.
        None => {
            let errors = errors.into_compile_error();
            quote!(#[allow(dead_code)] #item #errors)
        }
    }
}

/// Reads `env = path`, the attributes and the parameters; `item` loses the attributes the macro
/// consumes (`#[id]` on parameters, `#[ignore]`). Every error found is returned together.
fn parse(args: TokenStream, item: &mut ItemFn) -> syn::Result<TestFn> {
    let mut errors = Errors::new();
    let env = errors.handle(parse_env(args));
    let sig = &item.sig;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            "a `#[distage::test]` function cannot be generic: its parameters are looked up by type",
        );
    }
    let mut ignored = false;
    item.attrs.retain(|attr| {
        if attr.path().is_ident("ignore") {
            ignored = true;
            return false;
        }
        if attr.path().is_ident("should_panic") || attr.path().is_ident("test") {
            errors.spanned(
                attr,
                "`#[distage::test]` makes the function a test; it does not combine with `#[test]` or `#[should_panic]` (catch the panic in the test)",
            );
        }
        true
    });
    let mut params = Vec::new();
    for input in item.sig.inputs.iter_mut() {
        let FnArg::Typed(arg) = input else {
            errors.error(input.span(), "a test function takes no `self`");
            continue;
        };
        let id = errors.handle(params::take_id(&mut arg.attrs)).flatten();
        let checked =
            params::check_id(id.as_ref(), &arg.ty).and_then(|()| params::classify(&arg.ty));
        if let Some(kind) = errors.handle(checked) {
            params.push(Param {
                ty: (*arg.ty).clone(),
                kind,
                id,
            });
        }
    }
    errors.finish()?;
    let env = env.ok_or_else(|| syn::Error::new(Span::call_site(), "no environment"))?;
    Ok(TestFn {
        item: item.clone(),
        env,
        params,
        ignored,
    })
}

fn parse_env(args: TokenStream) -> syn::Result<syn::Path> {
    let missing = || {
        syn::Error::new(
            Span::call_site(),
            "expected `#[distage::test(env = path::to_fn)]`: the function that returns the test's `TestEnv`",
        )
    };
    if args.is_empty() {
        return Err(missing());
    }
    let pairs = syn::parse::Parser::parse2(
        Punctuated::<MetaNameValue, Token![,]>::parse_terminated,
        args,
    )?;
    let mut env = None;
    let mut errors = Errors::new();
    for pair in pairs {
        if !pair.path.is_ident("env") {
            errors.error(
                pair.path.span(),
                "unknown argument: `#[distage::test]` takes `env = path::to_fn`",
            );
            continue;
        }
        match &pair.value {
            syn::Expr::Path(p) if env.is_none() => env = Some(p.path.clone()),
            syn::Expr::Path(p) => errors.error(p.span(), "a second `env`: give one"),
            other => errors.error(
                other.span(),
                "`env` names a function returning `TestEnv`: `env = path::to_fn`",
            ),
        }
    }
    errors.finish()?;
    env.ok_or_else(missing)
}

fn private() -> TokenStream {
    quote!(::distage::testkit::__private)
}

/// `<T as Inject>::dependency(id)` for a parameter: the key its value is looked up by.
fn dependency(param: &Param) -> TokenStream {
    let p = private();
    let inject = inject_type(param);
    let id = match &param.id {
        Some(id) => quote!(::core::option::Option::Some(#p::Id::from(#id))),
        None => quote!(::core::option::Option::None),
    };
    quote_spanned!(param.ty.span()=> <#inject as #p::Inject>::dependency(#id))
}

fn inject_type(param: &Param) -> TokenStream {
    let p = private();
    let ty = &param.ty;
    match param.kind {
        Kind::Inject => quote!(#ty),
        Kind::Value => quote_spanned!(ty.span()=> #p::Value<#ty>),
    }
}

/// The arguments, each taken from the run context, and the call of the user's function.
fn call(test: &TestFn) -> TokenStream {
    let p = private();
    let name = &test.item.sig.ident;
    let mut takes = Vec::new();
    let mut args = Vec::new();
    for (i, param) in test.params.iter().enumerate() {
        let arg = format_ident!("__distage_arg{i}");
        let inject = inject_type(param);
        let dep = dependency(param);
        takes.push(quote! {
            let #arg: #inject = #p::extract::<#inject>(__distage_context, &#dep)?;
        });
        args.push(match param.kind {
            Kind::Inject => quote!(#arg),
            Kind::Value => quote!(#p::Value::into_inner(#arg)),
        });
    }
    quote!(#(#takes)* #name(#(#args),*))
}

fn call_fn(test: &TestFn) -> TokenStream {
    let p = private();
    let call = call(test);
    // The return type written out, so that one that is not a test outcome is reported there.
    let output = match &test.item.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    if test.item.sig.asyncness.is_some() {
        quote! {
            fn __distage_call(
                __distage_context: &#p::RunContext<'_>,
            ) -> ::core::result::Result<#p::TestFuture, #p::Error> {
                ::core::result::Result::Ok(#p::boxed::<#output, _>({ #call }))
            }
        }
    } else {
        quote! {
            fn __distage_call(
                __distage_context: &#p::RunContext<'_>,
            ) -> ::core::result::Result<::core::result::Result<(), ::std::string::String>, #p::Error>
            {
                ::core::result::Result::Ok(<#output as #p::TestOutcome>::into_outcome({ #call }))
            }
        }
    }
}

fn registration(test: &TestFn) -> TokenStream {
    let p = private();
    let name = &test.item.sig.ident;
    let env = &test.env;
    let ignored = test.ignored;
    let kind = if test.item.sig.asyncness.is_some() {
        quote!(Async)
    } else {
        quote!(Sync)
    };
    let deps = test.params.iter().map(dependency);
    let env = quote_spanned!(env.span()=> #env);
    quote! {
        fn __distage_dependencies() -> ::std::vec::Vec<#p::Dependency> {
            ::std::vec![#(#deps),*]
        }
        #p::inventory::submit! {
            #p::TestCase {
                name: ::core::stringify!(#name),
                module_path: ::core::module_path!(),
                env: #env,
                dependencies: __distage_dependencies,
                call: #p::TestCall::#kind(__distage_call),
                ignored: #ignored,
            }
        }
    }
}

fn generate(test: &TestFn) -> TokenStream {
    let item = &test.item;
    let call_fn = call_fn(test);
    let registration = registration(test);
    quote! {
        // Called by the harness only.
        #[allow(dead_code)]
        #item
        #[automatically_derived]
        const _: () = {
            #call_fn
            #registration
        };
    }
}

#[cfg(test)]
mod tests {
    fn expand(args: &str, item: &str) -> String {
        super::expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn registers_the_test_with_its_dependencies() {
        let out = expand(
            "env = envs::dummy",
            r#"async fn lists(pets: Arc<dyn PetRepo>, #[id("url")] url: String, cfg: Config) {}"#,
        );
        assert!(out.contains("TestCall :: Async"), "{out}");
        assert!(out.contains("env : envs :: dummy"), "{out}");
        assert!(out.contains("Id :: from (\"url\")"), "{out}");
        assert!(out.contains("Value < Config >"), "{out}");
        assert!(!out.contains("# [id"), "the `#[id]` is consumed: {out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn ignore_is_read_and_removed() {
        let out = expand("env = e", "#[ignore] fn slow() {}");
        assert!(out.contains("ignored : true"), "{out}");
        assert!(!out.contains("# [ignore]"), "{out}");
    }

    #[test]
    fn mistakes_are_compile_errors_together() {
        let out = expand("", "fn t<T>(x: &str) {}");
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
        let out = expand("envv = e", "fn t() {}");
        assert!(out.contains("unknown argument"), "{out}");
        let out = expand("env = e", "struct S;");
        assert!(out.contains("goes on a function"), "{out}");
    }
}
