//! What a model is shown of a query's result item: a view over the item's own serde fields, not a
//! copy of its type. Each result type says only what the view leaves out ([`Compact::OMIT`]) and
//! what it adds ([`Compact::extra`]); the fields themselves, their names and their order are the
//! result type's (`src/queries/types.rs`, `src/dispute.rs`), declared once. Free text is cut to
//! [`MAX_TEXT`](super::results::MAX_TEXT) characters and an amount gets `amountFormatted` after it.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::ser::{Error as _, Impossible, SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::{json, Value};

use super::money::format_amount;
use super::results::text;
use crate::dispute::Dispute;
use crate::queries::{ChargeDetails, Customer, FailedPayment, Invoice, Payment, Refund, Subscription, TimelineEntry};

/// A result item as a model sees it.
pub(crate) trait Compact: Serialize + JsonSchema + Sized + 'static {
    /// Fields (as serialized, camelCase) a model does not need: ids of other objects it cannot
    /// use, fields that repeat another, what only a program reads.
    const OMIT: &'static [&'static str];
    /// Fields the view adds.
    const EXTRA: &'static [Extra<Self>] = &[];
    /// Amounts (minor units of the item's `currency`) that get a formatted sibling after them:
    /// `amount` → `amountFormatted`, `amountDue` → `amountDueFormatted` (`null` when the amount is).
    const AMOUNTS: &'static [&'static str] = &["amount"];
}

/// The name of an amount's formatted sibling.
fn formatted_name(amount: &str) -> String {
    format!("{amount}Formatted")
}

/// A field a view adds to its item: placed after the field `after`, always a boolean (what a
/// model should not have to work out, such as whether a dispute is still open).
pub(crate) struct Extra<T> {
    pub after: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub value: fn(&T) -> bool,
}

/// Free-text fields, cut to `MAX_TEXT` characters.
const TEXT: &[&str] = &["description", "name", "planName", "failureMessage"];

impl Compact for Customer {
    const OMIT: &'static [&'static str] = &["email"];
}

impl Compact for Payment {
    const OMIT: &'static [&'static str] = &["customerId"];
}

impl Compact for Subscription {
    const OMIT: &'static [&'static str] = &["priceId", "productId", "customerId"];
}

impl Compact for ChargeDetails {
    const OMIT: &'static [&'static str] = &["amountCaptured", "captured", "paymentIntent", "receiptUrl", "fetchedAt"];
}

impl Compact for Dispute {
    const OMIT: &'static [&'static str] = &["paymentIntentId", "isChargeRefundable"];
    const EXTRA: &'static [Extra<Self>] = &[Extra {
        after: "status",
        name: "open",
        description: "Still needs attention: not won, lost, warning_closed or prevented.",
        value: Dispute::is_open,
    }];
}

impl Compact for Invoice {
    const OMIT: &'static [&'static str] = &["customerId", "amountPaid"];
    const AMOUNTS: &'static [&'static str] = &["amountDue", "amountRemaining"];
}

/// An invoice as the customer context shows it: which one, its status, what it asks for and when
/// (`get_invoices` has the rest: number, period, links, payments). Small, so that many apps'
/// contexts still fit the budget with theirs.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub(crate) struct InvoiceSummary(pub Invoice);

/// The invoice's own schema, inlined (the view removes what the summary leaves out).
impl JsonSchema for InvoiceSummary {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "InvoiceSummary".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Invoice::json_schema(generator)
    }
}

impl Compact for InvoiceSummary {
    const OMIT: &'static [&'static str] = &[
        "number",
        "customerId",
        "amountPaid",
        "amountRemaining",
        "periodStart",
        "periodEnd",
        "billingReason",
        "subscriptionId",
        "hostedInvoiceUrl",
        "invoicePdf",
        "payments",
    ];
    const AMOUNTS: &'static [&'static str] = &["amountDue"];
}

impl Compact for FailedPayment {
    const OMIT: &'static [&'static str] = &["customerId"];
}

impl Compact for Refund {
    const OMIT: &'static [&'static str] = &["chargeId", "paymentIntentId", "fetchedAt"];
}

impl Compact for TimelineEntry {
    const OMIT: &'static [&'static str] = &[];
}

/// The view of one item (see the module).
#[derive(Debug)]
pub(crate) struct View<T>(pub T);

impl<T: Compact> From<T> for View<T> {
    fn from(item: T) -> Self {
        View(item)
    }
}

impl<T: Compact> Serialize for View<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = self.0.serialize(Fields).map_err(S::Error::custom)?;
        let currency = fields.iter().find(|(k, _)| *k == "currency").and_then(|(_, v)| v.as_str());
        let mut map = s.serialize_map(None)?;
        for (name, v) in &fields {
            if T::OMIT.contains(name) {
                continue;
            }
            match v {
                Value::String(t) if TEXT.contains(name) => map.serialize_entry(name, &text(Some(t)))?,
                _ => map.serialize_entry(name, v)?,
            }
            if T::AMOUNTS.contains(name) {
                let formatted = v.as_i64().zip(currency).map(|(amount, c)| format_amount(amount, c));
                map.serialize_entry(&formatted_name(name), &formatted)?;
            }
            for extra in T::EXTRA.iter().filter(|e| e.after == *name) {
                map.serialize_entry(extra.name, &(extra.value)(&self.0))?;
            }
        }
        map.end()
    }
}

/// The view's schema: the item's, minus [`Compact::OMIT`], plus the formatted sibling of each of
/// [`Compact::AMOUNTS`] it has (nullable where the amount is), plus [`Compact::EXTRA`]. Inlined: a
/// view is not a type of its own.
impl<T: Compact> JsonSchema for View<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("{}View", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = T::json_schema(generator);
        let object = schema.ensure_object();
        object.remove("title");
        let mut formatted = Vec::new();
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            properties.retain(|name, _| !T::OMIT.contains(&name.as_str()));
            for amount in T::AMOUNTS {
                let Some(schema) = properties.get(*amount) else { continue };
                let nullable = schema["type"].as_array().is_some_and(|t| t.iter().any(|t| t == "null"));
                let kind = if nullable { json!(["string", "null"]) } else { json!("string") };
                let description = "The amount for reading, in its currency (\"$15.00\", \"¥5000\").";
                properties.insert(formatted_name(amount), json!({"type": kind, "description": description}));
                formatted.push(Value::from(formatted_name(amount)));
            }
            for extra in T::EXTRA {
                properties.insert(extra.name.into(), json!({"type": "boolean", "description": extra.description}));
            }
        }
        if let Some(Value::Array(required)) = object.get_mut("required") {
            required.retain(|name| !name.as_str().is_some_and(|n| T::OMIT.contains(&n)));
            required.extend(formatted);
            required.extend(T::EXTRA.iter().map(|e| Value::from(e.name)));
        }
        object.insert("additionalProperties".into(), Value::Bool(false));
        schema
    }
}

/// A struct's fields in their order, each as a JSON value: all a view needs of serde.
struct Fields;

#[derive(Debug)]
struct NotAStruct(String);

impl std::fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAStruct {}

impl serde::ser::Error for NotAStruct {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        NotAStruct(msg.to_string())
    }
}

type Collected = Vec<(&'static str, Value)>;

struct FieldList(Collected);

impl SerializeStruct for FieldList {
    type Ok = Collected;
    type Error = NotAStruct;
    fn serialize_field<V: ?Sized + Serialize>(&mut self, key: &'static str, value: &V) -> Result<(), NotAStruct> {
        self.0.push((key, serde_json::to_value(value).map_err(NotAStruct::custom)?));
        Ok(())
    }
    fn end(self) -> Result<Collected, NotAStruct> {
        Ok(self.0)
    }
}

macro_rules! not_a_struct {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $arg),*) -> Result<Collected, NotAStruct> {
            Err(NotAStruct(concat!("a view takes a struct, not ", stringify!($method)).into()))
        }
    )*};
}

impl Serializer for Fields {
    type Ok = Collected;
    type Error = NotAStruct;
    type SerializeSeq = Impossible<Collected, NotAStruct>;
    type SerializeTuple = Impossible<Collected, NotAStruct>;
    type SerializeTupleStruct = Impossible<Collected, NotAStruct>;
    type SerializeTupleVariant = Impossible<Collected, NotAStruct>;
    type SerializeMap = Impossible<Collected, NotAStruct>;
    type SerializeStruct = FieldList;
    type SerializeStructVariant = Impossible<Collected, NotAStruct>;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<FieldList, NotAStruct> {
        Ok(FieldList(Vec::with_capacity(len)))
    }

    not_a_struct!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<V: ?Sized + Serialize>(self, _: &V) -> Result<Collected, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not an option".into()))
    }
    fn serialize_newtype_struct<V: ?Sized + Serialize>(self, _: &'static str, _: &V) -> Result<Collected, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not a newtype".into()))
    }
    fn serialize_newtype_variant<V: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<Collected, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not an enum".into()))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not a list".into()))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not a tuple".into()))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not a tuple".into()))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not an enum".into()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not a map".into()))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAStruct> {
        Err(NotAStruct("a view takes a struct, not an enum".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(description: &str) -> Payment {
        serde_json::from_value(serde_json::json!({
            "id": "ch_1", "amount": 1500, "currency": "usd", "status": "succeeded", "refunded": false,
            "amountRefunded": 0, "disputed": false, "created": 7, "description": description,
            "customerId": "cus_1"
        }))
        .unwrap()
    }

    #[test]
    fn a_view_keeps_the_types_fields_in_order_minus_the_omitted_plus_the_formatted_amount() {
        let text = serde_json::to_string(&View(payment("Pro"))).unwrap();
        assert_eq!(
            text,
            r#"{"id":"ch_1","amount":1500,"amountFormatted":"$15.00","currency":"usd","status":"succeeded","refunded":false,"amountRefunded":0,"disputed":false,"created":7,"description":"Pro"}"#
        );
    }

    #[test]
    fn free_text_is_cut_and_extras_follow_their_field() {
        let long = "x".repeat(500);
        let v = serde_json::to_value(View(payment(&long))).unwrap();
        assert_eq!(v["description"].as_str().unwrap().chars().count(), super::super::results::MAX_TEXT);
        let d: Dispute = serde_json::from_value(serde_json::json!({
            "id": "dp_1", "amount": 100, "currency": "jpy", "chargeId": "ch_1", "paymentIntentId": null,
            "reason": "fraudulent", "status": "won", "evidenceDueBy": null, "isChargeRefundable": false, "created": 1
        }))
        .unwrap();
        let text = serde_json::to_string(&View(d)).unwrap();
        assert!(text.contains(r#""status":"won","open":false,"evidenceDueBy""#), "{text}");
        assert!(!text.contains("paymentIntentId") && !text.contains("isChargeRefundable"), "{text}");
        assert!(text.contains(r#""amountFormatted":"¥100""#), "{text}");
    }

    #[test]
    fn only_structs_have_views() {
        assert!(1u8.serialize(Fields).is_err());
        assert!(Some("x").serialize(Fields).is_err());
        assert!(vec![1].serialize(Fields).is_err());
    }
}
