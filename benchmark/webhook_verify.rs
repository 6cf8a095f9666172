//! The Rust core's webhook verification speed, to set against the machine's raw HMAC-SHA256 speed
//! (`openssl speed -evp sha256 -bytes 16384`). Run: `cargo bench --bench webhook_verify`.
//!
//! `verify_signature` is the HMAC path; `verify_event` is what the Node package's `constructEvent`
//! runs natively before `JSON.parse` (the signature, then `check_event_rules`: the event rules
//! over the bytes); `construct_event` also builds the Rust `Event`.
//!
//! `rules/*` time the event-shape check alone, three ways (issue 13 asked for serde_json to be
//! measured before a faster JSON crate): `scanner` (the shipped `check_event_rules`),
//! `serde_ignored_any` (a borrowed serde struct of the fields the rules read, every other value
//! `IgnoredAny`, `data.object` read again as the typed dispute) and `serde_raw_value` (the
//! previous `validate_event`: the envelope with `data.object` as a `RawValue`, then the dispute).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::Deserialize;
use stripe_connect::{
    check_event_rules, construct_event, generate_test_header, validate_event, verify_signature, Tolerance,
    WebhookSecret,
};

/// The envelope fields the rules read, borrowed where possible; `data.object` as `O`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Envelope<'a, O> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    object: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    account: Option<Cow<'a, str>>,
    #[serde(default)]
    livemode: bool,
    #[serde(default)]
    created: i64,
    #[serde(borrow, default)]
    api_version: Option<Cow<'a, str>>,
    data: Option<Data<O>>,
}

#[derive(Deserialize)]
struct Data<O> {
    object: O,
}

/// The dispute's fields as the rules read them; everything else ignored.
#[derive(Deserialize)]
#[allow(dead_code)]
struct DisputeFields<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    amount: i64,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(default)]
    charge: Option<IgnoredAny>,
    #[serde(default)]
    payment_intent: Option<IgnoredAny>,
    #[serde(borrow, default)]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(default)]
    evidence_details: Option<Evidence>,
    #[serde(default)]
    is_charge_refundable: bool,
    created: i64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Evidence {
    #[serde(default)]
    due_by: Option<i64>,
}

/// serde, check only: one pass, `data.object` typed in place (the event type comes after `data`
/// in Stripe's bodies, so a real check would need a second pass for other types).
fn serde_ignored_any(body: &[u8]) -> bool {
    serde_json::from_slice::<Envelope<DisputeFields>>(body).is_ok()
}

/// serde with `data.object` as raw text, then the dispute read from it (the previous design).
fn serde_raw_value(body: &[u8]) -> bool {
    let Ok(e) = serde_json::from_slice::<Envelope<&serde_json::value::RawValue>>(body) else { return false };
    e.data.is_some_and(|d| serde_json::from_str::<DisputeFields>(d.object.get()).is_ok())
}

/// A `charge.dispute.created` event, pretty-printed like Stripe, padded with realistic metadata to
/// about `size` bytes.
fn dispute_event(size: usize) -> Vec<u8> {
    let mut metadata = serde_json::Map::new();
    let mut i = 0;
    loop {
        let body = event_with(&metadata);
        if body.len() >= size {
            return body;
        }
        metadata.insert(
            format!("order_line_{i:04}"),
            serde_json::Value::String(format!("sku_{i:08}:qty=1:note=gift wrap requested")),
        );
        i += 1;
    }
}

fn event_with(metadata: &serde_json::Map<String, serde_json::Value>) -> Vec<u8> {
    let v = serde_json::json!({
        "id": "evt_1Pgc76B7WZ01zgkWwyRHS12y", "object": "event", "account": "acct_1Connected",
        "api_version": "2026-10-28.endive", "created": 1_750_000_000, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": "charge.dispute.created",
        "data": {"object": {
            "id": "dp_1Pgc71B7WZ01zgkWMevJiAUx", "object": "dispute", "amount": 1000, "currency": "usd",
            "charge": "ch_1PgafuB7WZ01zgkWXYmPNZs8", "payment_intent": null, "reason": "general",
            "status": "warning_needs_response", "is_charge_refundable": true, "created": 1_750_000_000,
            "evidence_details": {"due_by": 1_751_000_000, "has_evidence": false, "past_due": false, "submission_count": 0},
            "balance_transactions": [], "livemode": false, "metadata": metadata,
        }}
    });
    serde_json::to_vec_pretty(&v).unwrap()
}

fn bench(c: &mut Criterion) {
    let secret = "whsec_benchmark_secret_0123456789";
    let secrets = [WebhookSecret::unchecked(secret)];
    let now = 1_750_000_000;
    let mut group = c.benchmark_group("webhook");
    for size in [2 * 1024, 16 * 1024, 20 * 1024] {
        let body = dispute_event(size);
        let header = generate_test_header(&body, secret, now);
        // Checked before timing: both paths accept this delivery.
        verify_signature(&body, Some(&header), &secrets, Tolerance::default(), now).unwrap();
        construct_event(&body, Some(&header), &secrets, Tolerance::default(), now).unwrap();
        validate_event(&body).unwrap();
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("verify_signature", body.len()), &body, |b, body| {
            b.iter(|| verify_signature(body, Some(&header), &secrets, Tolerance::default(), now).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("verify_event", body.len()), &body, |b, body| {
            b.iter(|| {
                verify_signature(body, Some(&header), &secrets, Tolerance::default(), now).unwrap();
                check_event_rules(body).unwrap()
            })
        });
        assert!(serde_ignored_any(&body) && serde_raw_value(&body));
        group.bench_with_input(BenchmarkId::new("rules/scanner", body.len()), &body, |b, body| {
            b.iter(|| check_event_rules(body).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("rules/serde_ignored_any", body.len()), &body, |b, body| {
            b.iter(|| assert!(serde_ignored_any(body)))
        });
        group.bench_with_input(BenchmarkId::new("rules/serde_raw_value", body.len()), &body, |b, body| {
            b.iter(|| assert!(serde_raw_value(body)))
        });
        group.bench_with_input(BenchmarkId::new("construct_event", body.len()), &body, |b, body| {
            b.iter(|| construct_event(body, Some(&header), &secrets, Tolerance::default(), now).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
