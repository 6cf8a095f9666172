//! The configuration's JS faces: an options object checked name by name before it is read, and the
//! environment of `stripe-connect-mcp` parsed by the core ([`ConnectEnv`]).

use std::collections::HashMap;

use napi::bindgen_prelude::{Object, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;

use super::error::js_error;
use super::types::{JsConnection, NativeOptions};
use crate::{ConfigError, ConnectEnv, Connection, Error, Scope, SecretKey};

/// Options the TypeScript facade takes out before the rest reaches the glue: known names, so a
/// typo of one (`store`) is pointed at it.
const FACADE_OPTIONS: &[&str] = &["stores"];

/// `options` (the JS value as given) as [`NativeOptions`], once every key has been found to be an
/// option: `config_invalid` names the first that is not, with the option meant where one is near.
pub fn checked_options(options: Option<Unknown>) -> Result<NativeOptions, Error> {
    let Some(options) = options else { return Ok(NativeOptions::default()) };
    match options.get_type().map_err(napi_failure)? {
        ValueType::Undefined | ValueType::Null => return Ok(NativeOptions::default()),
        ValueType::Object => {}
        other => {
            let kind = format!("{other:?}").to_lowercase();
            return Err(ConfigError::new("options", format!("must be an object, got {kind}")).into());
        }
    }
    // SAFETY: `options` is a live value of this call's env, and its type was checked to be an object.
    let object: Object = unsafe { options.cast() }.map_err(napi_failure)?;
    let given = Object::keys(&object).map_err(napi_failure)?;
    let names = NativeOptions::names();
    let mut known: Vec<&str> = names.iter().map(String::as_str).collect();
    known.extend(FACADE_OPTIONS);
    crate::config::check_option_names(given.iter().map(String::as_str), &known)?;
    // SAFETY: as above; napi's generated conversion reads each field by name and checks its type.
    unsafe { options.cast::<NativeOptions>() }.map_err(|e| ConfigError::new("options", e.reason.clone()).into())
}

fn napi_failure(e: napi::Error) -> Error {
    Error::from(ConfigError::new("options", e.reason.clone()))
}

/// What `parseConnectEnv` returns: the connections `STRIPE_CONNECT_ACCOUNTS` names and the tool
/// scope (`STRIPE_CONNECT_APP_SLUGS`, else every app). The slugs are validated and safe to print.
#[napi(object, js_name = "NativeConnectEnv")]
pub struct JsConnectEnv {
    #[napi(ts_type = "NativeConnection[]")]
    pub connections: Vec<JsConnection>,
    pub app_slugs: Vec<String>,
}

/// The core's [`ConnectEnv`] over `vars` (JS's `process.env`): `config_invalid` naming the variable
/// and the entry's position, never its value. The connections are live when `STRIPE_SECRET_KEY` is.
#[napi(js_name = "parseConnectEnv")]
pub fn parse_connect_env(env: Env, vars: HashMap<String, String>) -> napi::Result<JsConnectEnv> {
    let parsed = ConnectEnv::from_vars(|name| vars.get(name).cloned()).map_err(|e| js_error(&env, &e.into()))?;
    let livemode = vars
        .get("STRIPE_SECRET_KEY")
        .and_then(|k| SecretKey::new("STRIPE_SECRET_KEY", k.as_str()).ok())
        .and_then(|k| k.livemode())
        .unwrap_or(false);
    Ok(JsConnectEnv {
        connections: parsed
            .accounts
            .into_iter()
            .map(|(slug, account)| JsConnection::from(&Connection::new(slug, account, livemode, Scope::ReadWrite)))
            .collect(),
        app_slugs: parsed.app_slugs.iter().map(|s| s.as_str().to_string()).collect(),
    })
}
