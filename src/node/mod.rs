//! napi-rs glue for the Node package (feature `node`). Thin: converts types, maps errors, adapts
//! JS stores. Every behaviour lives in the core; a function here only translates arguments, calls
//! the core, and translates the result or the error back.
//!
//! - [`error`]: the one mapping from [`crate::Error`] to a JS `Error` carrying `code`, `requestId`,
//!   `statusCode`, `stripeCode`, `accountId`, and the promise helper that rejects with it.
//! - [`types`]: `#[napi(object)]` mirrors of the core's types, converted with `From`/`TryFrom`.
//! - [`stores`]: JS objects (plain or class instances, sync or async methods) as the core's store
//!   traits.
//! - [`webhooks`]: signature verification and test headers (sync, CPU only).
//! - [`tools`]: the agent tools' registry and `callTool`.
//! - [`config`]: options objects checked against the option names, and the MCP bin's environment.
//! - [`numbers`]: JS numbers (NaN, ±Infinity, fractions) as the core's counts and durations.
//! - [`queries`]: the options objects of the client's queries (their TS types are generated).
//! - [`client`]: `NativeClient`, the object the TypeScript `StripeConnect` class wraps.
//! - [`results`]: the queries' results as `#[napi(object)]` types (the generated TS types).
//! - [`constants`]: `STRIPE_VERSION`, the state's lifetime, the error codes and the slug rule.
//!
//! These names are internal: the package's public face is the TypeScript facade in
//! `bindings/src/`, which turns every error into a `StripeConnectError`.

// napi is a C API: the glue calls it directly where napi-rs' safe wrappers cost a copy, and the
// napi macros expand to unsafe code. Each hand-written unsafe block carries a `SAFETY:` comment.
#![allow(unsafe_code)]

pub mod client;
pub mod config;
pub mod constants;
pub mod error;
pub mod numbers;
pub mod queries;
pub mod results;
pub mod stores;
pub mod tools;
pub mod types;
pub mod webhooks;
