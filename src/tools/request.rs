//! A tool call's arguments (the model's JSON) into the tool's typed request, with the rules a
//! schema cannot say: `null` arguments are `{}`, no string may be an `acct_` id, `5.0` is an
//! integer but `5.5` and `"5"` are not. Every refusal is `invalid_input` naming the argument as
//! the model sent it (`chargeId`), and never quotes its input unshortened.
//!
//! A small serde `Deserializer` over the JSON value does this rather than `serde_json`'s: its
//! error type decides every message (serde_json's quote strings whole, and name no field), and
//! it knows which argument each error came from.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

use super::registry::{DEFAULT_TOOL_LIST_LIMIT, MAX_TOOL_LIST_LIMIT};
use crate::error::Error;
use crate::ids::{inline_json_schema, shorten, AccountId};

/// `args` as tool `tool`'s request `T` (`deny_unknown_fields`, camelCase, typed fields).
pub(crate) fn parse<T: DeserializeOwned>(tool: &str, args: &Value) -> Result<T, Error> {
    let empty = Value::Object(Map::new());
    let fields = match args {
        Value::Object(m) => m,
        Value::Null => return finish(tool, T::deserialize(Json(&empty))),
        other => {
            return Err(Error::invalid_input(
                "arguments",
                format!("{tool} takes a JSON object of arguments, got {}", kind(other)),
            ))
        }
    };
    for (key, v) in fields {
        let is_account = |s: &str| AccountId::PREFIXES.iter().any(|p| s.trim_start().starts_with(p));
        if matches!(v, Value::String(s) if is_account(s)) {
            return Err(Error::invalid_input(
                shorten(key),
                "Stripe account ids are never arguments: name the app by its appSlug \
                 (list_connected_apps shows the apps this conversation may see)",
            ));
        }
    }
    finish(tool, T::deserialize(Json(args)))
}

fn finish<T>(tool: &str, parsed: Result<T, ArgError>) -> Result<T, Error> {
    parsed.map_err(|e| match e.field {
        Some(field) => Error::invalid_input(field, e.message),
        None => Error::invalid_input("arguments", format!("{tool} {}", e.message)),
    })
}

/// What went wrong, and in which argument (`None`: the arguments object as a whole).
#[derive(Debug)]
pub(crate) struct ArgError {
    field: Option<String>,
    message: String,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ArgError {}

impl de::Error for ArgError {
    /// The types' own reasons (ids, emails, bounds), which shorten what they quote.
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ArgError { field: None, message: msg.to_string() }
    }

    /// Named by kind: the value itself is never quoted.
    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        ArgError::custom(format!("takes {expected}, got {}", unexpected_kind(&unexpected)))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        ArgError::custom(format!("must be {expected}, got {}", unexpected_kind(&unexpected)))
    }

    fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Self {
        ArgError::custom(format!("must be one of {}", expected.join(", ")))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let takes = if expected.is_empty() { "no arguments".to_string() } else { expected.join(", ") };
        ArgError { field: None, message: format!("has no argument {:?} (it takes {takes})", shorten(field)) }
    }

    fn missing_field(field: &'static str) -> Self {
        ArgError { field: None, message: format!("needs {field:?}") }
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

fn unexpected_kind(u: &Unexpected<'_>) -> &'static str {
    match u {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Char(_) | Unexpected::Str(_) => "a string",
        Unexpected::Unit | Unexpected::Option => "null",
        Unexpected::Seq => "an array",
        Unexpected::Map => "an object",
        _ => "another kind of value",
    }
}

/// One JSON value as a serde deserializer with [`ArgError`]s.
struct Json<'a>(&'a Value);

impl<'de> Deserializer<'de> for Json<'de> {
    type Error = ArgError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ArgError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, f) => visitor.visit_f64(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            // Every argument is a scalar: a list or an object is the wrong type, whatever it holds.
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            Value::Object(m) => visitor.visit_map(Fields { iter: m.iter(), value: None, key: "" }),
        }
    }

    /// `null` is the same as leaving the argument out.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ArgError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, ArgError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// An object's entries; an error in a value is named by its key.
struct Fields<'a> {
    iter: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
    key: &'a str,
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = ArgError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ArgError> {
        let Some((key, value)) = self.iter.next() else { return Ok(None) };
        self.key = key;
        self.value = Some(value);
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ArgError> {
        let value = self.value.take().ok_or_else(|| <ArgError as de::Error>::custom("a value without a key"))?;
        seed.deserialize(Json(value)).map_err(|mut e| {
            e.field.get_or_insert_with(|| shorten(self.key));
            e
        })
    }
}

/// A JSON number that is an integer (`5` or `5.0`, not `5.5` or `"5"`) within `min..=max`.
fn whole_number<'de, D: Deserializer<'de>>(d: D, min: i64, max: i64) -> Result<i64, D::Error> {
    struct Whole;
    impl Visitor<'_> for Whole {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<i64, E> {
            Ok(n)
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<i64, E> {
            Ok(i64::try_from(n).unwrap_or(i64::MAX))
        }
        // JSON Schema's integer is a number with no fraction, however written.
        fn visit_f64<E: de::Error>(self, n: f64) -> Result<i64, E> {
            if n.is_finite() && n.fract() == 0.0 {
                Ok(n as i64)
            } else {
                Err(E::invalid_type(Unexpected::Float(n), &self))
            }
        }
    }
    let n = d.deserialize_any(Whole)?;
    match (min..=max).contains(&n) {
        true => Ok(n),
        false if max == i64::MAX => Err(de::Error::custom(format!("must be at least {min}, got {n}"))),
        false => Err(de::Error::custom(format!("must be {min} to {max}, got {n}"))),
    }
}

/// How many items a list tool returns: 1 to [`MAX_TOOL_LIST_LIMIT`], [`DEFAULT_TOOL_LIST_LIMIT`]
/// when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ToolLimit(u32);

impl ToolLimit {
    pub(crate) fn get(limit: Option<ToolLimit>) -> u32 {
        limit.map_or(DEFAULT_TOOL_LIST_LIMIT, |l| l.0)
    }
}

impl<'de> de::Deserialize<'de> for ToolLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = whole_number(d, 1, MAX_TOOL_LIST_LIMIT.into())?;
        Ok(ToolLimit(u32::try_from(n).unwrap_or(MAX_TOOL_LIST_LIMIT)))
    }
}

inline_json_schema!(ToolLimit, {
    schemars::json_schema!({
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_TOOL_LIST_LIMIT,
        "default": DEFAULT_TOOL_LIST_LIMIT,
    })
});

/// A positive amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MinorUnits(pub(crate) i64);

impl<'de> de::Deserialize<'de> for MinorUnits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        whole_number(d, 1, i64::MAX).map(MinorUnits)
    }
}

inline_json_schema!(MinorUnits, schemars::json_schema!({ "type": "integer", "minimum": 1 }));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ChargeId;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Args {
        charge_id: ChargeId,
        limit: Option<ToolLimit>,
    }

    fn refusal(v: Value) -> (String, String) {
        match parse::<Args>("t", &v) {
            Err(Error::InvalidInput { field, reason }) => (field, reason),
            other => panic!("{v}: {other:?}"),
        }
    }

    #[test]
    fn whole_numbers_in_range() {
        let a: Args = parse("t", &json!({"chargeId": "ch_1", "limit": 5.0})).unwrap();
        assert_eq!(ToolLimit::get(a.limit), 5);
        let a: Args = parse("t", &json!({"chargeId": "ch_1", "limit": null})).unwrap();
        assert_eq!(ToolLimit::get(a.limit), DEFAULT_TOOL_LIST_LIMIT);
        assert_eq!(
            refusal(json!({"chargeId": "ch_1", "limit": 5.5})),
            ("limit".into(), "takes an integer, got a number".into())
        );
        assert_eq!(
            refusal(json!({"chargeId": "ch_1", "limit": "5"})),
            ("limit".into(), "takes an integer, got a string".into())
        );
        assert_eq!(
            refusal(json!({"chargeId": "ch_1", "limit": 26})),
            ("limit".into(), "must be 1 to 25, got 26".into())
        );
        assert_eq!(refusal(json!({"chargeId": "ch_1", "limit": 1e300})).1, "must be 1 to 25, got 9223372036854775807");
    }

    #[test]
    fn refusals_name_the_argument_as_sent() {
        let (field, reason) = refusal(json!({"chargeId": "re_1"}));
        assert_eq!(field, "chargeId");
        assert!(reason.starts_with("expected an id starting with ch_ or py_"), "{reason}");
        assert_eq!(refusal(json!({})), ("arguments".into(), "t needs \"chargeId\"".into()));
        assert_eq!(refusal(json!(null)), ("arguments".into(), "t needs \"chargeId\"".into()));
        assert_eq!(
            refusal(json!([1])),
            ("arguments".into(), "t takes a JSON object of arguments, got an array".into())
        );
        assert_eq!(refusal(json!({"chargeId": ["ch_1"]})), ("chargeId".into(), "takes a string, got an array".into()));
        let (field, reason) = refusal(json!({"chargeId": "ch_1", "x\r\ny": 1}));
        assert_eq!(field, "arguments");
        assert!(
            reason.starts_with("t has no argument \"x") && reason.ends_with("(it takes chargeId, limit)"),
            "{reason}"
        );
        assert!(!reason.contains(['\r', '\n']), "control characters are replaced: {reason}");
        let (field, reason) = refusal(json!({"chargeId": " acct_1"}));
        assert_eq!(field, "chargeId");
        assert!(reason.contains("appSlug"), "{reason}");
    }

    #[test]
    fn input_is_never_quoted_whole() {
        let long = format!("ch_{}\"{}", "a".repeat(500), "b".repeat(500));
        let (_, reason) = refusal(json!({ "chargeId": long }));
        assert!(reason.len() < 300 && !reason.contains(&"a".repeat(100)), "{reason}");
        let (_, reason) = refusal(json!({ "chargeId": true, "limit": 1 }));
        assert_eq!(reason, "takes a string, got a boolean");
    }
}
