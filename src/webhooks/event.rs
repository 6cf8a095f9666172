//! Typed Stripe events: the two Connect events that matter, and everything else passed through.
//!
//! Unknown fields and new enum values never fail parsing: statuses and reasons stay strings.

use serde::Deserialize;
use serde_json::Value;

use crate::error::WebhookError;

/// A verified Stripe event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    pub id: String,
    /// `type`, e.g. `charge.dispute.created`.
    pub event_type: String,
    /// The connected account for Connect events (top-level `account`).
    pub account: Option<String>,
    pub livemode: bool,
    pub created: i64,
    pub api_version: Option<String>,
    /// `data.object` as sent.
    pub data_object: Value,
    pub kind: EventKind,
}

/// What the event means to this library.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// `account.application.deauthorized`: the account in `Event::account` disconnected the platform.
    ApplicationDeauthorized(DeauthorizedApplication),
    /// `charge.dispute.created`.
    DisputeCreated(DisputeCreated),
    /// Any other event type.
    Other,
}

/// `data.object` of `account.application.deauthorized`: the platform's application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct DeauthorizedApplication {
    /// `ca_…`
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `data.object` of `charge.dispute.created`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct DisputeCreated {
    /// `dp_…`
    pub id: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// `ch_…`; Stripe documents it as always present, kept optional so a variant never fails.
    #[serde(default)]
    pub charge: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<String>,
    pub reason: String,
    pub status: String,
    /// `evidence_details.due_by`, Unix seconds.
    #[serde(default)]
    pub evidence_due_by: Option<i64>,
    #[serde(default)]
    pub is_charge_refundable: bool,
    #[serde(default)]
    pub created: Option<i64>,
}

/// The envelope of an event, with `data.object` left as `O`: a `Value` for [`parse_event`], or the
/// unparsed JSON text for [`validate_event`].
#[derive(Deserialize)]
struct RawEvent<O> {
    id: Option<String>,
    object: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    livemode: bool,
    #[serde(default)]
    created: i64,
    #[serde(default)]
    api_version: Option<String>,
    data: Option<RawData<O>>,
}

#[derive(Deserialize)]
struct RawData<O> {
    object: O,
}

#[derive(Deserialize)]
struct RawDispute {
    id: String,
    amount: i64,
    currency: String,
    #[serde(default)]
    charge: Option<String>,
    #[serde(default)]
    payment_intent: Option<String>,
    reason: String,
    status: String,
    #[serde(default)]
    evidence_details: Option<RawEvidenceDetails>,
    #[serde(default)]
    is_charge_refundable: bool,
    #[serde(default)]
    created: Option<i64>,
}

#[derive(Deserialize)]
struct RawEvidenceDetails {
    #[serde(default)]
    due_by: Option<i64>,
}

fn invalid(reason: impl Into<String>) -> WebhookError {
    WebhookError::InvalidPayload { reason: reason.into() }
}

/// `data.object` as parsed JSON or as raw text: either can be read again as a typed object.
trait DataObject {
    fn read<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T>;
}

impl DataObject for Value {
    fn read<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        T::deserialize(self)
    }
}

impl DataObject for &serde_json::value::RawValue {
    fn read<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.get())
    }
}

/// An event body checked against every rule, with `data.object` kept as `O`.
struct Envelope<O> {
    id: String,
    event_type: String,
    account: Option<String>,
    livemode: bool,
    created: i64,
    api_version: Option<String>,
    data_object: O,
    kind: EventKind,
}

fn parse_envelope<'de, O: Deserialize<'de> + DataObject>(payload: &'de [u8]) -> Result<Envelope<O>, WebhookError> {
    // One pass straight into the envelope; every field is optional here so that a thin event or
    // another object is reported as such rather than as a missing field.
    let raw: RawEvent<O> = serde_json::from_slice(payload).map_err(not_an_event)?;
    check_envelope(raw)
}

fn not_an_event(e: serde_json::Error) -> WebhookError {
    if e.is_data() {
        invalid(format!("not a Stripe event: {e}"))
    } else {
        invalid(e.to_string())
    }
}

/// Every rule of an event, on its envelope as read.
fn check_envelope<O: DataObject>(raw: RawEvent<O>) -> Result<Envelope<O>, WebhookError> {
    match raw.object.as_deref() {
        Some("event") => {}
        Some(other) => return Err(WebhookError::ThinEvent { object: other.to_string() }),
        None => return Err(invalid("no `object` field: not a Stripe event")),
    }
    let id = raw.id.filter(|s| !s.is_empty()).ok_or_else(|| invalid("the event has no id"))?;
    let event_type = raw.event_type.filter(|s| !s.is_empty()).ok_or_else(|| invalid("the event has no type"))?;
    let data_object = raw.data.map(|d| d.object).ok_or_else(|| invalid("the event has no data.object"))?;
    let kind = match event_type.as_str() {
        "account.application.deauthorized" => {
            let app: DeauthorizedApplication = data_object.read().map_err(|e| {
                invalid(format!("account.application.deauthorized: data.object is not an application: {e}"))
            })?;
            EventKind::ApplicationDeauthorized(app)
        }
        "charge.dispute.created" => {
            let d: RawDispute = data_object
                .read()
                .map_err(|e| invalid(format!("charge.dispute.created: data.object is not a dispute: {e}")))?;
            EventKind::DisputeCreated(DisputeCreated {
                id: d.id,
                amount: d.amount,
                currency: d.currency,
                charge: d.charge,
                payment_intent: d.payment_intent,
                reason: d.reason,
                status: d.status,
                evidence_due_by: d.evidence_details.and_then(|e| e.due_by),
                is_charge_refundable: d.is_charge_refundable,
                created: d.created,
            })
        }
        _ => EventKind::Other,
    };
    Ok(Envelope {
        id,
        event_type,
        account: raw.account,
        livemode: raw.livemode,
        created: raw.created,
        api_version: raw.api_version,
        data_object,
        kind,
    })
}

/// Parse a (verified) body as a Stripe event. Not JSON, or JSON that is not an event object, is
/// `webhook_invalid_payload`; an object other than `"event"` (a thin event) is `webhook_thin_event`.
pub fn parse_event(payload: &[u8]) -> Result<Event, WebhookError> {
    let e = parse_envelope::<Value>(payload)?;
    Ok(Event {
        id: e.id,
        event_type: e.event_type,
        account: e.account,
        livemode: e.livemode,
        created: e.created,
        api_version: e.api_version,
        data_object: e.data_object,
        kind: e.kind,
    })
}

/// The checks of [`parse_event`] without building the event: `data.object` is scanned, not
/// materialised. For callers that parse the body themselves (the Node package hands the bytes
/// to `JSON.parse`), so that verifying costs little more than the HMAC.
pub fn validate_event(payload: &[u8]) -> Result<(), WebhookError> {
    parse_envelope::<&serde_json::value::RawValue>(payload).map(drop)
}

/// What a JSON value is, as far as the event rules look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonKind {
    /// The field is absent.
    Missing,
    Null,
    Bool,
    /// A number with no fractional part that fits an `i64`.
    Integer,
    /// Any other number.
    Float,
    String,
    Array,
    Object,
}

/// An already-parsed event, read field by field: how the Node package hands the object
/// `JSON.parse` built to [`check_event_view`] without converting it. Paths are keys from the top,
/// e.g. `["data", "object", "amount"]`.
pub trait EventView {
    /// The kind of the value at `path` ([`JsonKind::Missing`] if it or a parent is absent).
    fn kind(&mut self, path: &[&str]) -> JsonKind;
    /// The string at `path`, if it is one.
    fn text(&mut self, path: &[&str]) -> Option<String>;
}

/// What a field may be, as the serde structs above declare it.
#[derive(Clone, Copy)]
enum Expect {
    /// `String`
    Str,
    /// `Option<String>`
    OptStr,
    /// `i64`
    Int,
    /// `Option<i64>`
    OptInt,
    /// `#[serde(default)] i64`
    DefaultInt,
    /// `#[serde(default)] bool`
    DefaultBool,
}

impl Expect {
    fn allows(self, kind: JsonKind) -> bool {
        use JsonKind::*;
        match self {
            Expect::Str => kind == String,
            Expect::OptStr => matches!(kind, Missing | Null | String),
            Expect::Int => kind == Integer,
            Expect::OptInt => matches!(kind, Missing | Null | Integer),
            Expect::DefaultInt => matches!(kind, Missing | Integer),
            Expect::DefaultBool => matches!(kind, Missing | Bool),
        }
    }
}

/// `RawEvent`'s fields (`data` aside).
const ENVELOPE: &[(&str, Expect)] = &[
    ("id", Expect::OptStr),
    ("object", Expect::OptStr),
    ("type", Expect::OptStr),
    ("account", Expect::OptStr),
    ("livemode", Expect::DefaultBool),
    ("created", Expect::DefaultInt),
    ("api_version", Expect::OptStr),
];

/// `RawDispute`'s fields (`evidence_details` aside).
const DISPUTE: &[(&str, Expect)] = &[
    ("id", Expect::Str),
    ("amount", Expect::Int),
    ("currency", Expect::Str),
    ("charge", Expect::OptStr),
    ("payment_intent", Expect::OptStr),
    ("reason", Expect::Str),
    ("status", Expect::Str),
    ("is_charge_refundable", Expect::DefaultBool),
    ("created", Expect::OptInt),
];

/// `DeauthorizedApplication`'s fields.
const APPLICATION: &[(&str, Expect)] = &[("id", Expect::Str), ("name", Expect::OptStr)];

fn check_fields(view: &mut impl EventView, base: &[&str], fields: &[(&str, Expect)]) -> Result<(), String> {
    let mut path: Vec<&str> = base.to_vec();
    for (name, expect) in fields {
        path.push(name);
        let kind = view.kind(&path);
        if !expect.allows(kind) {
            return Err(format!("`{}` is {kind:?}", path.join(".")));
        }
        path.pop();
    }
    Ok(())
}

/// The rules of [`parse_event`] (same outcomes and codes, in the same order: a field of the wrong
/// type first, then a thin event, then what is missing, then the typed objects) on an event that
/// is already parsed, read through `view`: only the fields the rules need are looked at.
pub fn check_event_view<V: EventView>(view: &mut V) -> Result<(), WebhookError> {
    check_fields(view, &[], ENVELOPE).map_err(|e| invalid(format!("not a Stripe event: {e}")))?;
    let has_data_object = match view.kind(&["data"]) {
        JsonKind::Missing | JsonKind::Null => false,
        JsonKind::Object if view.kind(&["data", "object"]) != JsonKind::Missing => true,
        JsonKind::Object => return Err(invalid("not a Stripe event: `data` has no `object`")),
        other => return Err(invalid(format!("not a Stripe event: `data` is {other:?}"))),
    };
    match view.text(&["object"]) {
        Some(o) if o == "event" => {}
        Some(other) => return Err(WebhookError::ThinEvent { object: other }),
        None => return Err(invalid("no `object` field: not a Stripe event")),
    }
    view.text(&["id"]).filter(|s| !s.is_empty()).ok_or_else(|| invalid("the event has no id"))?;
    let event_type = view.text(&["type"]).filter(|s| !s.is_empty()).ok_or_else(|| invalid("the event has no type"))?;
    if !has_data_object {
        return Err(invalid("the event has no data.object"));
    }
    let object = ["data", "object"];
    let typed = |view: &mut V, fields: &[(&str, Expect)]| -> Result<(), String> {
        match EventView::kind(view, &object) {
            JsonKind::Object => check_fields(view, &object, fields),
            other => Err(format!("`data.object` is {other:?}")),
        }
    };
    match event_type.as_str() {
        "account.application.deauthorized" => typed(view, APPLICATION)
            .map_err(|e| invalid(format!("account.application.deauthorized: data.object is not an application: {e}"))),
        "charge.dispute.created" => typed(view, DISPUTE)
            .and_then(|()| {
                let details = ["data", "object", "evidence_details"];
                match view.kind(&details) {
                    JsonKind::Missing | JsonKind::Null => Ok(()),
                    JsonKind::Object => check_fields(view, &details, &[("due_by", Expect::OptInt)]),
                    other => Err(format!("`data.object.evidence_details` is {other:?}")),
                }
            })
            .map_err(|e| invalid(format!("charge.dispute.created: data.object is not a dispute: {e}"))),
        _ => Ok(()),
    }
}

/// [`EventView`] over a parsed [`Value`].
impl EventView for &Value {
    fn kind(&mut self, path: &[&str]) -> JsonKind {
        let mut v: &Value = self;
        for key in path {
            match v.get(key) {
                Some(next) => v = next,
                None => return JsonKind::Missing,
            }
        }
        match v {
            Value::Null => JsonKind::Null,
            Value::Bool(_) => JsonKind::Bool,
            Value::Number(n) if n.is_i64() => JsonKind::Integer,
            Value::Number(_) => JsonKind::Float,
            Value::String(_) => JsonKind::String,
            Value::Array(_) => JsonKind::Array,
            Value::Object(_) => JsonKind::Object,
        }
    }

    fn text(&mut self, path: &[&str]) -> Option<String> {
        let mut v: &Value = self;
        for key in path {
            v = v.get(key)?;
        }
        v.as_str().map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, object: Value) -> Vec<u8> {
        serde_json::to_vec_pretty(&serde_json::json!({
            "id": "evt_1", "object": "event", "type": kind, "account": "acct_1", "livemode": true,
            "created": 1_700_000_000, "api_version": "2026-10-28.endive", "brand_new_field": {"x": 1},
            "data": {"object": object}
        }))
        .unwrap()
    }

    #[test]
    fn dispute_created_fields() {
        let e = parse_event(&event(
            "charge.dispute.created",
            serde_json::json!({"id": "dp_1", "object": "dispute", "amount": 1000, "currency": "usd", "charge": "ch_1",
                "payment_intent": null, "reason": "a_reason_from_2030", "status": "needs_response",
                "evidence_details": {"due_by": 1_700_500_000, "has_evidence": false},
                "is_charge_refundable": true, "created": 1_700_000_000, "unknown": [1, 2]}),
        ))
        .unwrap();
        let EventKind::DisputeCreated(d) = e.kind else { panic!("{:?}", e.kind) };
        assert_eq!((d.id.as_str(), d.amount, d.currency.as_str()), ("dp_1", 1000, "usd"));
        assert_eq!(d.charge.as_deref(), Some("ch_1"));
        assert_eq!(d.payment_intent, None);
        assert_eq!(d.reason, "a_reason_from_2030");
        assert_eq!(d.evidence_due_by, Some(1_700_500_000));
        assert!(d.is_charge_refundable);
        assert_eq!(e.account.as_deref(), Some("acct_1"));
        assert!(e.livemode);
    }

    #[test]
    fn deauthorized_reads_the_application() {
        let e = parse_event(&event(
            "account.application.deauthorized",
            serde_json::json!({"id": "ca_1", "object": "application", "name": "Support"}),
        ))
        .unwrap();
        assert_eq!(
            e.kind,
            EventKind::ApplicationDeauthorized(DeauthorizedApplication {
                id: "ca_1".into(),
                name: Some("Support".into())
            })
        );
    }

    #[test]
    fn other_types_pass_through() {
        let e = parse_event(&event("customer.created", serde_json::json!({"id": "cus_1"}))).unwrap();
        assert_eq!(e.kind, EventKind::Other);
        assert_eq!(e.event_type, "customer.created");
        assert_eq!(e.data_object["id"], "cus_1");
    }

    #[test]
    fn rejects_what_stripe_does_not_send() {
        let code = |b: &[u8]| parse_event(b).unwrap_err().code();
        assert_eq!(code(b"not json"), "webhook_invalid_payload");
        assert_eq!(code(b"{\"id\": \"evt_1\""), "webhook_invalid_payload");
        assert_eq!(code(b"[1,2]"), "webhook_invalid_payload");
        assert_eq!(code(b"{\"id\":\"evt_1\",\"type\":\"x\",\"data\":{\"object\":{}}}"), "webhook_invalid_payload");
        assert_eq!(
            code(br#"{"id":"evt_1","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered"}"#),
            "webhook_thin_event"
        );
        assert_eq!(code(br#"{"id":"evt_1","object":"event","type":"x"}"#), "webhook_invalid_payload");
        assert_eq!(code(br#"{"id":7,"object":"event","type":"x","data":{"object":{}}}"#), "webhook_invalid_payload");
        // A dispute event whose object is not a dispute.
        assert_eq!(
            code(&event("charge.dispute.created", serde_json::json!({"id": "dp_1"}))),
            "webhook_invalid_payload"
        );
    }

    #[test]
    fn check_event_view_agrees_with_parse_event() {
        let bodies: Vec<Vec<u8>> = vec![
            b"[1,2]".to_vec(),
            b"7".to_vec(),
            b"null".to_vec(),
            br#"{"id":"evt_1","object":"v2.core.event","type":"x"}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x"}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x","data":{}}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x","data":7}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x","data":{"object":null}}"#.to_vec(),
            br#"{"id":7,"object":"event","type":"x","data":{"object":{}}}"#.to_vec(),
            br#"{"id":"","object":"event","type":"x","data":{"object":{}}}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"","data":{"object":{}}}"#.to_vec(),
            br#"{"id":"evt_1","type":"x","data":{"object":{}}}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x","created":"soon","data":{"object":{}}}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x","livemode":1,"data":{"object":{}}}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x","account":5,"data":{"object":{}}}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"charge.dispute.created","data":{"object":"dp_1"}}"#.to_vec(),
            event("charge.dispute.created", serde_json::json!({"id": "dp_1"})),
            event(
                "charge.dispute.created",
                serde_json::json!({"id": "dp_1", "amount": "1000", "currency": "usd", "reason": "x", "status": "y"}),
            ),
            event(
                "charge.dispute.created",
                serde_json::json!({"id": "dp_1", "amount": 1000, "currency": "usd", "reason": "x", "status": "y",
                    "evidence_details": {"due_by": "tomorrow"}}),
            ),
            event(
                "charge.dispute.created",
                serde_json::json!({"id": "dp_1", "amount": 1000, "currency": "usd", "reason": "x", "status": "y",
                    "evidence_details": {"due_by": 1}, "charge": "ch_1", "payment_intent": null,
                    "is_charge_refundable": false, "created": 1, "metadata": {"k": "v"}}),
            ),
            event("customer.created", serde_json::json!({"id": "cus_1", "nested": {"a": [1, "\u{e9}"]}})),
            event("account.application.deauthorized", serde_json::json!({"id": "ca_1", "name": "x"})),
            event("account.application.deauthorized", serde_json::json!({"id": "ca_1", "name": 7})),
            event("account.application.deauthorized", serde_json::json!({"name": "x"})),
        ];
        for b in bodies {
            let parsed = parse_event(&b).map(drop).map_err(|e| e.code());
            let value: Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(
                check_event_view(&mut &value).map_err(|e| e.code()),
                parsed,
                "view: {}",
                String::from_utf8_lossy(&b)
            );
        }
        assert_eq!(
            check_event_view(&mut &serde_json::json!({"id": "evt_1", "object": "v2.core.event", "type": "x"}))
                .unwrap_err()
                .code(),
            "webhook_thin_event"
        );
    }

    #[test]
    fn validate_event_agrees_with_parse_event() {
        let bodies: Vec<Vec<u8>> = vec![
            b"not json".to_vec(),
            b"[1,2]".to_vec(),
            b"{\"id\": \"evt_1\"".to_vec(),
            br#"{"id":"evt_1","object":"v2.core.event","type":"x"}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x"}"#.to_vec(),
            br#"{"id":7,"object":"event","type":"x","data":{"object":{}}}"#.to_vec(),
            event("charge.dispute.created", serde_json::json!({"id": "dp_1"})),
            event("customer.created", serde_json::json!({"id": "cus_1", "nested": {"a": [1, "\u{e9}"]}})),
            event("account.application.deauthorized", serde_json::json!({"id": "ca_1", "name": "x"})),
        ];
        for b in bodies {
            // Same outcome and code (positions in messages may differ).
            let parsed = parse_event(&b).map(drop).map_err(|e| e.code());
            assert_eq!(validate_event(&b).map_err(|e| e.code()), parsed, "{}", String::from_utf8_lossy(&b));
        }
    }
}
