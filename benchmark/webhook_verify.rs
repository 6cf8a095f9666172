//! The Rust core's webhook verification speed, to set against the machine's raw HMAC-SHA256 speed
//! (`openssl speed -evp sha256 -bytes 16384`). Run: `cargo bench --bench webhook_verify`.
//!
//! `verify_signature` is the HMAC path; `verify_event` is what the Node package's `constructEvent`
//! runs natively (the signature, then `validate_event`'s checks of the event's shape) before
//! `JSON.parse`; `construct_event` also builds the Rust `Event`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use stripe_connect::{
    construct_event, generate_test_header, validate_event, verify_signature, Tolerance, WebhookSecret,
};

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
        verify_signature(&body, Some(&header), &secrets, Tolerance::Seconds(300), now).unwrap();
        construct_event(&body, Some(&header), &secrets, Tolerance::Seconds(300), now).unwrap();
        validate_event(&body).unwrap();
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("verify_signature", body.len()), &body, |b, body| {
            b.iter(|| verify_signature(body, Some(&header), &secrets, Tolerance::Seconds(300), now).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("verify_event", body.len()), &body, |b, body| {
            b.iter(|| {
                verify_signature(body, Some(&header), &secrets, Tolerance::Seconds(300), now).unwrap();
                validate_event(body).unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("construct_event", body.len()), &body, |b, body| {
            b.iter(|| construct_event(body, Some(&header), &secrets, Tolerance::Seconds(300), now).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
