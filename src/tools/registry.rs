//! The fixed list of tools: name, a description written for a model, the input JSON Schema
//! (draft 2020-12, `additionalProperties: false`), and documented example arguments (tests
//! validate them against the schema with a real validator, and call each against wiremock).

use serde::Serialize;
use serde_json::{json, Value};

/// Payments (and other list items) returned when no `limit` is given.
pub const DEFAULT_TOOL_LIST_LIMIT: u32 = 10;
/// Largest `limit` a tool accepts: results stay small enough for a model's context.
pub const MAX_TOOL_LIST_LIMIT: u32 = 25;

/// One tool as a model sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolDefinition {
    /// `snake_case`, stable: the name the model calls.
    pub name: &'static str,
    /// A short human title (MCP shows it).
    pub title: &'static str,
    /// What it answers, when to use it, what it never does.
    pub description: &'static str,
    /// JSON Schema draft 2020-12 of the arguments object.
    pub input_schema: Value,
    /// Valid argument objects, for docs and prompts.
    pub examples: Vec<Value>,
}

const SCHEMA: &str = "https://json-schema.org/draft/2020-12/schema";

fn app_slug() -> Value {
    json!({
        "type": "string",
        "pattern": "^(?!acct_)[A-Za-z0-9_.-]{1,100}$",
        "description": "The app to ask, by its slug (see list_connected_apps). Omit it when the conversation is about one app; never a Stripe acct_ id."
    })
}

fn email() -> Value {
    json!({
        "type": "string",
        "minLength": 3,
        "maxLength": 512,
        "description": "The customer's email address, any letter case."
    })
}

fn limit(what: &str) -> Value {
    json!({
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_TOOL_LIST_LIMIT,
        "default": DEFAULT_TOOL_LIST_LIMIT,
        "description": format!("Most {what} to return (newest first), 1-{MAX_TOOL_LIST_LIMIT}, default {DEFAULT_TOOL_LIST_LIMIT}.")
    })
}

fn charge_id() -> Value {
    json!({
        "type": "string",
        "pattern": "^(ch|py)_[A-Za-z0-9_]{1,250}$",
        "description": "A Stripe charge id (ch_… or py_…), as it appears in the payment history."
    })
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "$schema": SCHEMA,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

/// Every tool, in a stable order.
pub fn definitions() -> Vec<ToolDefinition> {
    vec![
        ToolDefinition {
            name: "get_customer_context",
            title: "Customer context across apps",
            description: "Everything billing knows about one customer, by email, in every app this conversation may see: \
                their customer records, newest payments (amount, status, refunded, disputed), subscriptions (status, plan, \
                renewal date) and open disputes, per app. Use it first when a customer writes about billing. Read-only: \
                it never charges, refunds or changes anything. An app that fails is reported in its own `error`; the \
                others still answer. Amounts are in minor units with `amountFormatted` for reading; times are Unix seconds.",
            input_schema: object(json!({"email": email(), "limit": limit("payments per app")}), &["email"]),
            examples: vec![json!({"email": "jane@example.com"}), json!({"email": "jane@example.com", "limit": 5})],
        },
        ToolDefinition {
            name: "get_payment_history",
            title: "Payment history",
            description: "The customer's charges in one app, newest first: amount, status (succeeded, pending, failed), \
                whether refunded (and how much) or disputed, date and description. Covers every customer record with that \
                email. Use it to answer \"was I charged?\", \"why was I charged twice?\". Read-only: it never refunds or \
                charges. `truncated: true` means older payments exist; ask with a larger `limit` if needed.",
            input_schema: object(
                json!({"appSlug": app_slug(), "email": email(), "limit": limit("payments")}),
                &["email"],
            ),
            examples: vec![
                json!({"email": "jane@example.com"}),
                json!({"appSlug": "helpdesk", "email": "jane@example.com", "limit": 20}),
            ],
        },
        ToolDefinition {
            name: "get_subscription_status",
            title: "Subscription status",
            description: "Every subscription of the customer in one app, any status (active, trialing, past_due, canceled, \
                unpaid, …), newest first, with the plan name, when the current period ends, and whether it cancels at \
                period end. Use it for \"is my plan active?\", \"when do I renew?\", \"did my cancellation go through?\". \
                Read-only: it never cancels or changes a subscription.",
            input_schema: object(json!({"appSlug": app_slug(), "email": email()}), &["email"]),
            examples: vec![json!({"email": "jane@example.com"}), json!({"appSlug": "billing-bot", "email": "jane@example.com"})],
        },
        ToolDefinition {
            name: "lookup_charge",
            title: "Look up a charge",
            description: "One charge by its id in one app: amount, status, paid, refunded (and how much), disputed, the \
                customer id, description, failure reason if it failed. Use it when the customer or a payment history \
                names a specific charge. Read-only: it never refunds or captures.",
            input_schema: object(json!({"appSlug": app_slug(), "chargeId": charge_id()}), &["chargeId"]),
            examples: vec![json!({"chargeId": "ch_3MmlLrLkdIwHu7ix0snN0B15"})],
        },
        ToolDefinition {
            name: "verify_refund",
            title: "Verify a refund",
            description: "Check a refund the app says it made: does it exist on that app's Stripe account, did it succeed, \
                for how much, on which charge. Give `expectedAmount` (minor units, e.g. 1500 for $15.00) and/or \
                `chargeId` to have them compared. `verified` is true only when the refund succeeded and nothing differs; \
                otherwise `discrepancies` says what is wrong (refund_not_found, amount_mismatch, charge_mismatch, \
                refund_pending, refund_requires_action, refund_failed, refund_canceled, refund_status_unknown). Read-only: \
                it never creates or changes a refund.",
            input_schema: object(
                json!({
                    "appSlug": app_slug(),
                    "refundId": {
                        "type": "string",
                        "pattern": "^(re|pyr)_[A-Za-z0-9_]{1,250}$",
                        "description": "The Stripe refund id (re_… or pyr_…) the app reported."
                    },
                    "expectedAmount": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "The amount the app says was refunded, in minor units of the refund's currency."
                    },
                    "chargeId": charge_id()
                }),
                &["refundId"],
            ),
            examples: vec![
                json!({"refundId": "re_1Nispe2eZvKYlo2Cd31jOCgZ"}),
                json!({"refundId": "re_1Nispe2eZvKYlo2Cd31jOCgZ", "expectedAmount": 1500, "chargeId": "ch_3MmlLrLkdIwHu7ix0snN0B15"}),
            ],
        },
        ToolDefinition {
            name: "get_disputes",
            title: "Disputes",
            description: "Disputes (chargebacks) in one app, newest first: on the charges of a customer (`email`) or on one \
                charge (`chargeId`); give exactly one of the two. Each has its amount, reason, status, whether it is still \
                open, and the evidence due date. Read-only: it never submits evidence or accepts a dispute.",
            input_schema: object(json!({"appSlug": app_slug(), "email": email(), "chargeId": charge_id()}), &[]),
            examples: vec![json!({"email": "jane@example.com"}), json!({"chargeId": "ch_3MmlLrLkdIwHu7ix0snN0B15"})],
        },
        ToolDefinition {
            name: "list_connected_apps",
            title: "Connected apps",
            description: "The apps this conversation may see, by slug, and whether each has a Stripe account connected \
                (and if it is live or test mode). Use it to learn which `appSlug` values other tools accept. Takes no \
                arguments; read-only.",
            input_schema: object(json!({}), &[]),
            examples: vec![json!({})],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_a_closed_object_of_draft_2020_12() {
        let defs = definitions();
        let mut names: Vec<&str> = defs.iter().map(|d| d.name).collect();
        names.dedup();
        assert_eq!(names.len(), 7);
        for d in &defs {
            let s = &d.input_schema;
            assert_eq!(s["$schema"], SCHEMA, "{}", d.name);
            assert_eq!(s["type"], "object", "{}", d.name);
            assert_eq!(s["additionalProperties"], false, "{}", d.name);
            for req in s["required"].as_array().unwrap() {
                assert!(s["properties"].get(req.as_str().unwrap()).is_some(), "{}: {req}", d.name);
            }
            assert!(!d.examples.is_empty(), "{}", d.name);
            assert!(!d.description.contains("acct_1"), "{}: descriptions name apps by slug", d.name);
        }
    }
}
