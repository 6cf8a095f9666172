//! What a tool is ([`Tool`]), and the registry made from the one list of tools
//! ([`with_tools!`](super::catalog)): the definitions a model is shown, and the dispatch of a call
//! by name. A tool's input JSON Schema (draft 2020-12, `additionalProperties: false`) is generated
//! from its request type, the same type its arguments are parsed into, so the two cannot differ.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::catalog::with_tools;
use super::results::{Shrink, MAX_RESULT_BYTES};
use super::{request, ToolScope};
use crate::client::StripeConnect;
use crate::error::Error;

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
    /// JSON Schema draft 2020-12 of the arguments object, generated from the tool's request type
    /// (the type its arguments are parsed into).
    pub input_schema: Value,
    /// Valid argument objects, for docs and prompts.
    pub examples: Vec<Value>,
    /// JSON Schema draft 2020-12 of the whole result a call answers with (MCP's
    /// `structuredContent`): `{success: true, data, fetchedAt}` with this tool's data, or
    /// `{success: false, error}`. Generated from the tool's result type.
    pub output_schema: Value,
}

/// One tool: everything but its name (the list in [`super::catalog`] names each tool once).
pub(crate) trait Tool {
    /// A short human title (MCP shows it).
    const TITLE: &'static str;
    /// What it answers, when to use it, what it never does: written for a model.
    const DESCRIPTION: &'static str;
    /// The arguments: strict serde (`deny_unknown_fields`, camelCase), and their JSON Schema.
    type Args: DeserializeOwned + JsonSchema;
    /// The compact answer (see [`super::results`]).
    type Output: Serialize + JsonSchema + Shrink;

    /// Valid argument objects, for docs and prompts (tests run each).
    fn examples() -> Vec<Value>;

    /// The answer, and when its oldest part was read (`None`: nothing kept was read; now).
    async fn run(
        stripe: &StripeConnect,
        args: Self::Args,
        scope: &ToolScope,
    ) -> Result<(Self::Output, Option<i64>), Error>;
}

/// The input schema of request type `A`: the arguments' shape only.
pub(crate) fn input_schema<A: JsonSchema>() -> Value {
    let mut schema = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<A>().to_value();
    let Some(root) = schema.as_object_mut() else { return schema };
    // The request type's Rust name is not the model's business.
    root.remove("title");
    root.entry("properties").or_insert_with(|| Value::Object(Default::default()));
    root.entry("required").or_insert_with(|| Value::Array(Vec::new()));
    // `null` is parsed as "not given", but the schema offers the model only the real type.
    if let Some(Value::Object(props)) = root.get_mut("properties") {
        for prop in props.values_mut() {
            if let Some(Value::Array(types)) = prop.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    prop["type"] = only;
                }
            }
        }
    }
    schema
}

/// schemars names Rust's integer widths as formats (`uint`, `int64`): no JSON Schema format, so a
/// strict validator (ajv, an MCP client's) refuses the schema. The bounds stay as `minimum`.
fn drop_rust_formats(schema: &mut schemars::Schema) {
    let rust_width = |f: &str| {
        matches!(f, "int8" | "int16" | "int32" | "int64" | "uint" | "uint8" | "uint16" | "uint32" | "uint64")
            || matches!(f, "int" | "float" | "double")
    };
    if schema.get("format").and_then(Value::as_str).is_some_and(rust_width) {
        schema.remove("format");
    }
}

/// A nullable value as `anyOf: [{type: X, …}, {type: "null"}]`, not `type: [X, "null"]`: both are
/// JSON Schema, but a client that maps schemas onto a one-type dialect (the OpenAPI subset of some
/// model providers) refuses the array form (the MCP Inspector's `--strict` flags each one). Keywords
/// about the value (bounds, items, properties) go with its type; the description stays outside.
fn split_nullable(schema: &mut schemars::Schema) {
    let Some(Value::Array(types)) = schema.get("type") else { return };
    let [kind] = types.iter().filter(|t| *t != "null").collect::<Vec<_>>()[..] else { return };
    if types.len() != 2 {
        return;
    }
    let kind = kind.clone();
    let Some(object) = schema.as_object_mut() else { return };
    object.remove("type");
    let mut branch = serde_json::Map::from_iter([("type".to_owned(), kind)]);
    let annotations = ["description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"];
    for key in object.keys().filter(|k| !annotations.contains(&k.as_str())).cloned().collect::<Vec<_>>() {
        if let Some(value) = object.remove(&key) {
            branch.insert(key, value);
        }
    }
    object.insert("anyOf".to_owned(), json!([branch, {"type": "null"}]));
}

/// What makes a result schema portable: no Rust formats, no type arrays.
fn portable(schema: &mut schemars::Schema) {
    drop_rust_formats(schema);
    split_nullable(schema);
}

/// The output schema of a tool whose data is `D` (see [`ToolDefinition::output_schema`]).
pub(crate) fn output_schema<D: JsonSchema>() -> Value {
    let mut generator = SchemaSettings::draft2020_12().with_transform(RecursiveTransform(portable)).into_generator();
    let data = generator.subschema_for::<D>();
    let error = generator.subschema_for::<super::ToolError>();
    let definitions = generator.take_definitions(true);
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "oneOf": [
            {
                "properties": {
                    "success": {"const": true},
                    "data": data,
                    "fetchedAt": {"type": "integer", "description": "Unix seconds when the oldest part of the answer was read from Stripe."}
                },
                "required": ["success", "data", "fetchedAt"],
                "additionalProperties": false
            },
            {
                "properties": {"success": {"const": false}, "error": error},
                "required": ["success", "error"],
                "additionalProperties": false
            }
        ]
    });
    if !definitions.is_empty() {
        schema["$defs"] = Value::Object(definitions);
    }
    schema
}

fn definition<T: Tool>(name: &'static str) -> ToolDefinition {
    ToolDefinition {
        name,
        title: T::TITLE,
        description: T::DESCRIPTION,
        input_schema: input_schema::<T::Args>(),
        examples: T::examples(),
        output_schema: output_schema::<T::Output>(),
    }
}

/// Room for the result's envelope around the data (`{"success":true,"data":`, `,"fetchedAt":…}`).
const ENVELOPE_BYTES: usize = 64;

/// `out` as JSON text of at most [`MAX_RESULT_BYTES`] with its envelope: its lists give up their
/// oldest items, longest list first, until it fits (each says so with `count` and `truncated`).
pub(crate) fn within_budget<O: Serialize + Shrink>(mut out: O) -> Result<Box<RawValue>, Error> {
    loop {
        let text = serde_json::to_string(&out).map_err(|e| Error::invalid_input("result", e.to_string()))?;
        if text.len() + ENVELOPE_BYTES <= MAX_RESULT_BYTES || !out.shrink() {
            return RawValue::from_string(text).map_err(|e| Error::invalid_input("result", e.to_string()));
        }
    }
}

/// Parse `args` into `T`'s request, run it, and serialize its answer (within the budget).
async fn run<T: Tool>(
    stripe: &StripeConnect,
    name: &str,
    args: &Value,
    scope: &ToolScope,
) -> Result<(Box<RawValue>, Option<i64>), Error> {
    let args = request::parse::<T::Args>(name, args)?;
    let (out, read_at) = T::run(stripe, args, scope).await?;
    Ok((within_budget(out)?, read_at))
}

macro_rules! registry {
    ($($name:ident: $tool:ty,)*) => {
        /// Every tool's name, in the registry's order.
        pub(crate) const TOOL_NAMES: &[&str] = &[$(stringify!($name)),*];

        /// Every tool, in a stable order.
        pub fn definitions() -> Vec<ToolDefinition> {
            vec![$(definition::<$tool>(stringify!($name)),)*]
        }

        /// Run the tool called `name`: `invalid_input` listing the tools if there is none.
        pub(crate) async fn call(
            stripe: &StripeConnect,
            name: &str,
            args: &Value,
            scope: &ToolScope,
        ) -> Result<(Box<RawValue>, Option<i64>), Error> {
            match name {
                $(stringify!($name) => run::<$tool>(stripe, name, args, scope).await,)*
                other => Err(Error::invalid_input(
                    "name",
                    format!("no tool named {:?}; the tools are {}", crate::ids::shorten(other), TOOL_NAMES.join(", ")),
                )),
            }
        }
    };
}
with_tools!(registry);

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "https://json-schema.org/draft/2020-12/schema";

    #[test]
    fn every_schema_is_a_closed_object_of_draft_2020_12() {
        let defs = definitions();
        let mut names: Vec<&str> = defs.iter().map(|d| d.name).collect();
        assert_eq!(names, TOOL_NAMES);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 10);
        for d in &defs {
            let s = &d.input_schema;
            assert_eq!(s["$schema"], SCHEMA, "{}", d.name);
            assert_eq!(s["type"], "object", "{}", d.name);
            assert_eq!(s["additionalProperties"], false, "{}", d.name);
            assert!(s.get("$defs").is_none() && s.get("title").is_none(), "{}: {s}", d.name);
            for req in s["required"].as_array().unwrap() {
                assert!(s["properties"].get(req.as_str().unwrap()).is_some(), "{}: {req}", d.name);
            }
            for (key, prop) in s["properties"].as_object().unwrap() {
                assert!(prop["type"].is_string(), "{}.{key}: one type, no null: {prop}", d.name);
                assert!(prop["description"].is_string(), "{}.{key}: described for the model", d.name);
            }
            assert!(!d.examples.is_empty(), "{}", d.name);
            assert!(!d.description.contains("acct_1"), "{}: descriptions name apps by slug", d.name);
        }
    }

    #[test]
    fn the_schema_says_what_the_parser_checks() {
        let defs = definitions();
        let history = &defs.iter().find(|d| d.name == "get_payment_history").unwrap().input_schema;
        assert_eq!(history["required"], serde_json::json!(["email"]));
        let limit = &history["properties"]["limit"];
        assert_eq!(
            (&limit["type"], &limit["minimum"], &limit["maximum"], &limit["default"]),
            (&"integer".into(), &1.into(), &MAX_TOOL_LIST_LIMIT.into(), &DEFAULT_TOOL_LIST_LIMIT.into())
        );
        let email = &history["properties"]["email"];
        assert_eq!((&email["minLength"], &email["maxLength"]), (&3.into(), &512.into()));
        let refund = &defs.iter().find(|d| d.name == "verify_refund").unwrap().input_schema;
        assert_eq!(refund["properties"]["expectedAmount"]["minimum"], 1);
        assert_eq!(refund["properties"]["refundId"]["maxLength"], crate::ids::MAX_ID_LEN);
        assert_eq!(refund["required"], serde_json::json!(["refundId"]));
        let apps = &defs.iter().find(|d| d.name == "list_connected_apps").unwrap().input_schema;
        assert_eq!((&apps["properties"], &apps["required"]), (&serde_json::json!({}), &serde_json::json!([])));
    }

    /// `v`, or what its `$ref` to `root`'s `$defs` points at.
    fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
        match v["$ref"].as_str() {
            Some(r) => &root["$defs"][r.trim_start_matches("#/$defs/")],
            None => v,
        }
    }

    #[test]
    fn every_output_schema_is_the_result_union_with_the_tools_data() {
        for d in definitions() {
            let s = &d.output_schema;
            assert_eq!((&s["$schema"], &s["type"]), (&SCHEMA.into(), &"object".into()), "{}", d.name);
            let [success, failure] = s["oneOf"].as_array().unwrap().as_slice() else { panic!("{}: {s}", d.name) };
            assert_eq!(success["properties"]["success"]["const"], true, "{}", d.name);
            assert_eq!(success["required"], serde_json::json!(["success", "data", "fetchedAt"]), "{}", d.name);
            assert_eq!(failure["properties"]["success"]["const"], false, "{}", d.name);
            // The error's code is one of the core's codes.
            let text = s.to_string();
            assert!(text.contains("\"app_out_of_scope\"") && text.contains("\"store_failed\""), "{}", d.name);
        }
        let defs = definitions();
        let charge = &defs.iter().find(|d| d.name == "lookup_charge").unwrap().output_schema;
        let data = resolve(charge, &charge["oneOf"][0]["properties"]["data"]);
        let charge_view = resolve(charge, &data["properties"]["charge"]);
        let fields = charge_view["properties"].as_object().unwrap();
        // The view's fields: the result type's, minus what a model does not need, plus the formatted amount.
        assert!(fields.contains_key("amountFormatted") && fields.contains_key("customerId"), "{charge_view}");
        assert!(!fields.contains_key("receiptUrl") && !fields.contains_key("fetchedAt"), "{charge_view}");
        assert_eq!(charge_view["additionalProperties"], false);
        let disputes = &defs.iter().find(|d| d.name == "get_disputes").unwrap().output_schema;
        assert!(disputes.to_string().contains("\"open\":{\"description\""), "{disputes}");
        // Issue 24: an invoice's amounts due and remaining are formatted; a timeline line's amount
        // may be null, and so may its formatted sibling.
        let invoices = &defs.iter().find(|d| d.name == "get_invoices").unwrap().output_schema;
        let text = invoices.to_string();
        assert!(text.contains("\"amountDueFormatted\"") && text.contains("\"hostedInvoiceUrl\""), "{invoices}");
        let timeline = &defs.iter().find(|d| d.name == "get_billing_timeline").unwrap().output_schema;
        let data = resolve(timeline, &timeline["oneOf"][0]["properties"]["data"]);
        let entries = resolve(timeline, &data["properties"]["entries"]);
        let line = resolve(timeline, &entries["properties"]["items"]["items"]);
        assert_eq!(
            line["properties"]["amountFormatted"]["anyOf"],
            serde_json::json!([{"type": "string"}, {"type": "null"}]),
            "{line}"
        );
        assert_eq!(
            line["properties"]["kind"]["enum"],
            serde_json::json!(["charge", "refund", "dispute", "invoice", "failed_payment", "fraud_warning"])
        );
        let context = &defs.iter().find(|d| d.name == "get_customer_context").unwrap().output_schema.to_string();
        assert!(context.contains("\"latestInvoice\"") && context.contains("\"recentFailures\""), "{context}");
        assert!(!context.contains("\"hostedInvoiceUrl\""), "the context's invoice is a summary");
    }

    /// Every `type` in `v` (at any depth), with where it is.
    fn types<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    if k == "type" {
                        out.push((path.clone(), child));
                    }
                    types(child, format!("{path}.{k}"), out);
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, c)| types(c, format!("{path}[{i}]"), out)),
            _ => {}
        }
    }

    #[test]
    fn output_schemas_have_one_type_per_schema_and_nullable_values_as_any_of() {
        let defs = definitions();
        for d in &defs {
            let mut found = Vec::new();
            types(&d.output_schema, d.name.to_owned(), &mut found);
            for (path, t) in found {
                assert!(t.is_string() || path.ends_with(".properties"), "{path}: {t}");
            }
        }
        // A nullable field keeps its description outside and its bounds with its type.
        let history = &defs.iter().find(|d| d.name == "get_payment_history").unwrap().output_schema;
        let warning = &resolve(history, &history["oneOf"][0]["properties"]["data"])["properties"]["warning"];
        assert_eq!(warning["anyOf"], serde_json::json!([{"type": "string"}, {"type": "null"}]), "{warning}");
    }
}
