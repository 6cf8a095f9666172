//! The agent tools for JS: the registry as plain objects, and `callTool` resolving with the core's
//! tool result (it never rejects for a model's mistake; only a bad scope from the caller throws).

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;

use super::client::NativeClient;
use super::error::{js_error, promise};
use crate::ToolScope;

/// Every tool: `{ name, title, description, inputSchema, examples }`.
#[napi(js_name = "toolDefinitions", ts_return_type = "NativeToolDefinition[]")]
pub fn tool_definitions() -> serde_json::Value {
    serde_json::to_value(crate::tool_definitions()).unwrap_or_default()
}

/// The shape `toolDefinitions()` returns (declared for the generated .d.ts).
#[napi(object, js_name = "NativeToolDefinition")]
pub struct JsToolDefinition {
    pub name: String,
    pub title: String,
    pub description: String,
    #[napi(ts_type = "Record<string, unknown>")]
    pub input_schema: serde_json::Value,
    #[napi(ts_type = "Record<string, unknown>[]")]
    pub examples: serde_json::Value,
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
