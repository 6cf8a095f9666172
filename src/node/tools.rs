//! The agent tools for JS: the registry as plain objects, and `callTool` resolving with the core's
//! tool result (it never rejects for a model's mistake; only a bad scope from the caller throws).

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;

use super::client::NativeClient;
use super::error::{js_error, promise};
use crate::ToolScope;

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

/// Every tool: `{ name, title, description, inputSchema, examples }`.
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
    /// `app_slugs`. Throws `invalid_input` only for a bad scope (the caller's mistake); anything
    /// else, unparsable arguments included, resolves with a tool result.
    /// Resolves with the result as JSON text (its keys in their documented order).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn call_tool<'env>(
        &self,
        env: &'env Env,
        name: String,
        args_json: String,
        app_slugs: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let scope = ToolScope::new(&app_slugs).map_err(|e| js_error(env, &e))?;
        let client = self.inner.clone();
        let work = async move { Ok(client.call_tool_json(&name, &args_json, &scope).await) };
        promise(env, work, |_, result| Ok(result.to_json()))
    }
}
