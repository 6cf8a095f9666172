//! Tool arguments as a model sends them: checked strictly, before anything is sent.
//!
//! The same rules as each tool's JSON Schema (`additionalProperties: false`, types, bounds), plus
//! what a schema cannot say well: no string names a Stripe account (`acct_…`; apps are named by
//! `appSlug`), and ids are validated by their types (so `../charges` never reaches a URL).

use serde_json::{Map, Value};

use crate::error::Error;
use crate::ids::shorten;

/// One tool call's arguments (a JSON object), read field by field.
pub(crate) struct Args<'a> {
    tool: &'static str,
    fields: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    /// `value` must be an object whose keys are all in `allowed` (`null` counts as `{}`), and no
    /// string in it may be a Stripe account id.
    pub(crate) fn parse(tool: &'static str, value: &'a Value, allowed: &[&str]) -> Result<Self, Error> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let fields = match value {
            Value::Object(m) => m,
            Value::Null => EMPTY.get_or_init(Map::new),
            other => {
                return Err(Error::invalid_input(
                    "arguments",
                    format!("{tool} takes a JSON object of arguments, got {}", kind(other)),
                ))
            }
        };
        for (key, v) in fields {
            if !allowed.contains(&key.as_str()) {
                let takes = if allowed.is_empty() { "no arguments".to_string() } else { allowed.join(", ") };
                return Err(Error::invalid_input(
                    "arguments",
                    format!("{tool} has no argument {:?} (it takes {takes})", shorten(key)),
                ));
            }
            if let Value::String(s) = v {
                if s.trim_start().starts_with("acct_") {
                    return Err(Error::invalid_input(
                        key.as_str(),
                        "Stripe account ids are never arguments: name the app by its appSlug \
                         (list_connected_apps shows the apps this conversation may see)",
                    ));
                }
            }
        }
        Ok(Args { tool, fields })
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.fields.get(key).filter(|v| !v.is_null())
    }

    /// An optional string (absent and `null` are the same).
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    pub(crate) fn str(&self, key: &str) -> Result<&'a str, Error> {
        self.opt_str(key)?.ok_or_else(|| Error::invalid_input(key, format!("{} needs {key:?}", self.tool)))
    }

    /// An optional integer within `min..=max`.
    pub(crate) fn opt_int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, Error> {
        let Some(v) = self.get(key) else { return Ok(None) };
        // `5.0` is an integer in JSON Schema; `5.5` and `"5"` are not.
        let n = match v {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Some(n) => Err(Error::invalid_input(key, format!("must be {min} to {max}, got {n}"))),
            None => Err(self.wrong_type(key, "an integer", v)),
        }
    }

    fn wrong_type(&self, key: &str, want: &str, got: &Value) -> Error {
        Error::invalid_input(key, format!("{} takes {want} for {key:?}, got {}", self.tool, kind(got)))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_objects_types_and_bounds() {
        let v = json!({"email": "a@b.c", "limit": 5.0});
        let a = Args::parse("t", &v, &["email", "limit"]).unwrap();
        assert_eq!(a.str("email").unwrap(), "a@b.c");
        assert_eq!(a.opt_int("limit", 1, 25).unwrap(), Some(5));
        for (bad, field) in [
            (json!({"email": "a@b.c", "extra": 1}), "arguments"),
            (json!([1]), "arguments"),
            (json!("x"), "arguments"),
            (json!({"email": "acct_123"}), "email"),
        ] {
            match Args::parse("t", &bad, &["email", "limit"]) {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad}: {:?}", other.map(|_| ())),
            }
        }
        let v = json!({"limit": 5.5, "email": 3});
        let a = Args::parse("t", &v, &["email", "limit"]).unwrap();
        assert_eq!(a.opt_int("limit", 1, 25).unwrap_err().code(), "invalid_input");
        assert_eq!(a.str("email").unwrap_err().code(), "invalid_input");
        let v = json!({"limit": 26});
        assert!(Args::parse("t", &v, &["limit"])
            .unwrap()
            .opt_int("limit", 1, 25)
            .unwrap_err()
            .to_string()
            .contains("1 to 25"));
        let v = Value::Null;
        let a = Args::parse("t", &v, &[]).unwrap();
        assert_eq!(a.opt_str("x").unwrap(), None);
    }
}
