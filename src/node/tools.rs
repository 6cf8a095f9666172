//! The agent tools for JS: the registry as plain objects, and `callTool` resolving with the core's
//! tool result (it never rejects for a model's mistake; only a bad scope from the caller throws).

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;

use super::client::NativeClient;
use super::error::{js_error, promise};
use super::numbers::non_finite_argument;
use crate::{Error, ToolError, ToolResult, ToolScope};

/// The caller's scope value as it came (`undefined`, a string, an array…), judged by the core's
/// [`ToolScope::from_value`]; napi is only asked to copy it.
fn scope_of(value: Option<Unknown>) -> Result<ToolScope, Error> {
    let raw = match value {
        Some(v) if !matches!(v.get_type(), Ok(ValueType::Undefined)) => {
            // SAFETY: `v` is a live value of this call's env; serde_json's conversion checks its type
            // and fails (read as nothing, which the core refuses) for what JSON cannot hold.
            unsafe { v.cast::<serde_json::Value>() }.unwrap_or(serde_json::Value::Null)
        }
        _ => serde_json::Value::Null,
    };
    ToolScope::from_value(&raw)
}

/// The scope's app slugs, validated by the core and without repeats: what `createSupportTools`
/// and `createMcpServer` check before any model runs (`invalid_input` otherwise).
#[napi(js_name = "toolScope", ts_args_type = "appSlugs: unknown")]
pub fn tool_scope(env: Env, app_slugs: Option<Unknown>) -> napi::Result<Vec<String>> {
    let scope = scope_of(app_slugs).map_err(|e| js_error(&env, &e))?;
    Ok(scope.apps().iter().map(|a| a.as_str().to_string()).collect())
}

/// A number in a tool's arguments that JSON cannot carry, and where it was (`limit`, `a.b[0]`).
#[napi(object, js_name = "NativeNonFinite")]
pub struct JsNonFinite {
    pub path: String,
    pub value: f64,
}

macro_rules! tool_name_union {
    ($($name:ident: $tool:ty,)*) => {
        /// Every tool's name (the core's one list of tools), as a string union.
        #[napi(string_enum)]
        #[allow(non_camel_case_types, dead_code)]
        pub enum ToolName {
            $($name,)*
        }
    };
}
crate::tools::catalog::with_tools!(tool_name_union);

/// Every tool's name, in the registry's order.
#[napi(js_name = "toolNames", ts_return_type = "ToolName[]")]
pub fn tool_names() -> Vec<&'static str> {
    crate::tools::registry::TOOL_NAMES.to_vec()
}

/// Every tool: `{ name, title, description, inputSchema, examples, outputSchema }`.
#[napi(js_name = "toolDefinitions", ts_return_type = "NativeToolDefinition[]")]
pub fn tool_definitions() -> serde_json::Value {
    serde_json::to_value(crate::tool_definitions()).unwrap_or_default()
}

/// The shape `toolDefinitions()` returns (declared for the generated .d.ts).
#[napi(object, js_name = "NativeToolDefinition")]
pub struct JsToolDefinition {
    /// `snake_case`, stable: the name the model calls.
    #[napi(ts_type = "ToolName")]
    pub name: String,
    /// A short human title (MCP shows it).
    pub title: String,
    /// What it answers, when to use it, what it never does (written for a model).
    pub description: String,
    /// JSON Schema draft 2020-12 of the arguments, generated from the tool's request type.
    #[napi(ts_type = "NativeToolInputSchema & { [keyword: string]: unknown }")]
    pub input_schema: serde_json::Value,
    /// Valid argument objects.
    #[napi(ts_type = "Record<string, unknown>[]")]
    pub examples: serde_json::Value,
    /// JSON Schema draft 2020-12 of the whole result (`{ success: true, data, fetchedAt }` or
    /// `{ success: false, error }`), generated from the tool's result type: MCP's `outputSchema`.
    #[napi(
        ts_type = "{ $schema: 'https://json-schema.org/draft/2020-12/schema'; type: 'object'; [keyword: string]: unknown }"
    )]
    pub output_schema: serde_json::Value,
}

/// A JSON Schema (draft 2020-12) object schema with `additionalProperties: false` (declared for
/// the generated .d.ts: `inputSchema`'s shape).
#[napi(object, js_name = "NativeToolInputSchema")]
pub struct JsToolInputSchema {
    #[napi(js_name = "$schema", ts_type = "'https://json-schema.org/draft/2020-12/schema'")]
    pub schema: String,
    #[napi(ts_type = "'object'")]
    pub r#type: String,
    #[napi(ts_type = "Record<string, Record<string, unknown>>")]
    pub properties: serde_json::Value,
    pub required: Vec<String>,
    #[napi(ts_type = "false")]
    pub additional_properties: bool,
}

#[napi]
impl NativeClient {
    /// Run tool `name` with `args_json` (the model's arguments as JSON text) within the apps
    /// `app_slugs` (the caller's value as given). Throws `invalid_input` only for a bad scope (the
    /// caller's mistake); anything else, unparsable arguments included, resolves with a tool
    /// result. `non_finite` lists the numbers JSON text could not carry (NaN, ±Infinity, which
    /// `JSON.stringify` writes as `null`): the first is an `invalid_input` result, nothing sent.
    /// Resolves with the result as JSON text (its keys in their documented order).
    #[napi(
        ts_args_type = "name: string, argsJson: string, appSlugs: unknown, nonFinite?: Array<NativeNonFinite> | undefined | null",
        ts_return_type = "Promise<string>"
    )]
    pub fn call_tool<'env>(
        &self,
        env: &'env Env,
        name: String,
        args_json: String,
        app_slugs: Option<Unknown>,
        non_finite: Option<Vec<JsNonFinite>>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let scope = scope_of(app_slugs).map_err(|e| js_error(env, &e))?;
        let refused = non_finite
            .and_then(|list| list.into_iter().next())
            .map(|n| ToolResult::Failure { error: ToolError::from(&non_finite_argument(&n.path, n.value)) });
        let client = self.inner.clone();
        let work = async move {
            Ok(match refused {
                Some(result) => result,
                None => client.call_tool_json(&name, &args_json, &scope).await,
            })
        };
        promise(env, work, |_, result| Ok(result.to_json()))
    }
}
