//! The one integration test binary: a module per domain.

mod api;
mod fake_stripe;
mod queries;
mod webhooks;
