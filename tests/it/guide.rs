//! docs/rust.md's first page, held to what it says: the dependency line names this crate (which
//! is not on crates.io) and the Tokio features it needs, and outside a Tokio runtime a call
//! panics with the message the guide quotes. (Its examples are doctests of the `guide` module.)

use std::future::Future;
use std::task::{Context, Waker};

use stripe_connect::{AccountId, Config, PaymentOptions, StripeConnect};

const GUIDE: &str = include_str!("../../docs/rust.md");
const README: &str = include_str!("../../README.md");
const CARGO_TOML: &str = include_str!("../../Cargo.toml");

/// The ```toml block of "Add it to a service".
fn dependency_block() -> &'static str {
    let start = GUIDE.find("## Add it to a service").expect("the guide has its first section");
    let block = &GUIDE[start..];
    let block = &block[block.find("```toml\n").expect("a toml block") + 8..];
    &block[..block.find("```").expect("the block ends")]
}

#[test]
fn the_dependency_line_names_this_crate_and_the_tokio_features_it_needs() {
    let block = dependency_block();
    let name = env!("CARGO_PKG_NAME");
    // Not on crates.io: a git or path dependency, as the guide says.
    assert!(CARGO_TOML.lines().any(|l| l.trim() == "publish = false"), "Cargo.toml publishes the crate");
    assert!(GUIDE.contains("not on crates.io (`publish = false`"), "the guide no longer says why");
    assert!(
        block.lines().any(|l| l.starts_with(&format!("{name} = {{ git = \"")) && l.contains("rev = ")),
        "no pinned git dependency on {name}:\n{block}"
    );
    assert!(block.contains(&format!("# {name} = {{ path = ")), "no path dependency on {name}:\n{block}");
    // No features: `node` is the addon's only.
    assert!(!block.contains("features = [\"node\""), "{block}");
    let tokio = block.lines().find(|l| l.starts_with("tokio = ")).expect("tokio is in the block");
    for feature in ["\"rt-multi-thread\"", "\"macros\""] {
        assert!(tokio.contains(feature), "{tokio} lacks {feature}");
        assert!(README.contains(feature), "the README's Rust section lacks {feature}");
    }
}

#[test]
fn outside_a_tokio_runtime_a_call_panics_with_the_message_the_guide_quotes() {
    const MESSAGE: &str = "there is no reactor running, must be called from the context of a Tokio 1.x runtime";
    assert!(GUIDE.replace('\n', " ").contains(MESSAGE), "the guide no longer quotes the panic");
    let stripe = StripeConnect::new(Config::builder().secret_key("sk_test_123").build().unwrap());
    let acct = stripe.account(&AccountId::parse("acct_1032D82eZvKYlo2C").unwrap());
    let call = acct.payment_history("jenny.rosen@example.com", PaymentOptions::default());
    let mut call = std::pin::pin!(call);
    // Polled by hand, as another executor would: no Tokio runtime around it.
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut cx = Context::from_waker(Waker::noop());
        let _ = call.as_mut().poll(&mut cx);
    }))
    .expect_err("a call outside a Tokio runtime must not run");
    let text = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(text.contains(MESSAGE), "{text}");
}
