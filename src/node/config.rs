//! The configuration's JS faces: an options object checked name by name before it is read, and the
//! environment of `stripe-connect-mcp` parsed by the core ([`ConnectEnv`]).

use std::collections::HashMap;

use napi::bindgen_prelude::{Object, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;

use super::error::js_error;
use super::types::{JsConnection, NativeOptions};
use crate::{ConnectEnv, Connection, Error, Scope, SecretKey};

/// Options the TypeScript facade takes out before the rest reaches the glue: known names, so a
/// typo of one (`store`) is pointed at it.
const FACADE_OPTIONS: &[&str] = &["stores"];

/// `options` (the JS value as given) as [`NativeOptions`], once every key has been found to be an
/// option: `config_invalid` names the first that is not, with the option meant where one is near.
/// A value of the wrong type is napi's own conversion error, as for any argument (`invalid_input`).
pub fn checked_options(env: &Env, options: Option<Unknown>) -> napi::Result<NativeOptions> {
    let Some(options) = options else { return Ok(NativeOptions::default()) };
    match options.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(NativeOptions::default()),
        ValueType::Object => {
            // SAFETY: `options` is a live value of this call's env, and its type is object.
            let object: Object = unsafe { options.cast() }?;
            let given = Object::keys(&object)?;
            let names = NativeOptions::names();
            let mut known: Vec<&str> = names.iter().map(String::as_str).collect();
            known.extend(FACADE_OPTIONS);
            crate::config::check_option_names(given.iter().map(String::as_str), &known)
                .map_err(|e| js_error(env, &Error::from(e)))?;
        }
        _ => {}
    }
    // SAFETY: `options` is a live value of this call's env; napi's generated conversion checks
    // the value's type and each field's, and fails with its own error otherwise.
    unsafe { options.cast::<NativeOptions>() }
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
        .and_then(|k| SecretKey::named("STRIPE_SECRET_KEY", k.as_str()).ok())
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
