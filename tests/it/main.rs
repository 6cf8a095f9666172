//! The one integration test binary: a module per domain.

mod oauth;
mod webhooks;
