//! The one integration test binary: a module per domain.

mod api;
mod cache;
mod fake_stripe;
mod layers;
mod leases;
mod oauth;
mod queries;
mod transport;
mod webhooks;
