//! The one integration test binary: a module per domain.

mod access;
mod api;
mod cache;
mod dispute_alerts;
mod fake_stripe;
mod guide;
mod install;
mod layers;
mod leases;
mod oauth;
mod properties;
mod queries;
mod quoting;
mod tools;
mod transport;
mod webhooks;
