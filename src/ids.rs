//! Validated Stripe ids and app slugs.
//!
//! An id reaches a URL path or a header only through one of these types, so `../charges`,
//! `ch_1?expand=x` or a header-splitting `acct_1\r\n` is an `invalid_input` error before anything
//! is sent. The rule: a known prefix, then 1+ characters of `[A-Za-z0-9_]`, at most 255 in all.

use std::fmt;

use crate::error::Error;

/// Longest id accepted (Stripe documents ids as up to 255 characters).
pub const MAX_ID_LEN: usize = 255;

/// What an id may hold after its prefix, besides ASCII letters and digits.
const ID_PUNCTUATION: &[char] = &['_'];

fn allowed(c: char, punctuation: &[char]) -> bool {
    c.is_ascii_alphanumeric() || punctuation.contains(&c)
}

/// The regex character class of ASCII letters, digits and `punctuation`, for JSON Schema
/// `pattern`s: generated from the same lists the parsers check, so the two cannot drift. The
/// lists hold only `_`, `.` and `-`, which a class reads as themselves with `-` last.
fn char_class(punctuation: &[char]) -> String {
    let mut p: Vec<char> = punctuation.to_vec();
    p.sort_by_key(|c| *c == '-');
    format!("[A-Za-z0-9{}]", p.into_iter().collect::<String>())
}

/// `^(?:ch_|py_)[A-Za-z0-9_]+$`, from the prefixes (letters and `_` only) and the id charset.
fn id_pattern(prefixes: &[&str]) -> String {
    format!("^(?:{}){}+$", prefixes.join("|"), char_class(ID_PUNCTUATION))
}

/// The JSON Schema of an id with these prefixes: the pattern and the lengths the parser allows.
fn id_schema(prefixes: &[&str]) -> schemars::Schema {
    let shortest = prefixes.iter().map(|p| p.len()).min().unwrap_or(0);
    schemars::json_schema!({
        "type": "string",
        "pattern": id_pattern(prefixes),
        "minLength": shortest + 1,
        "maxLength": MAX_ID_LEN,
    })
}

/// `impl JsonSchema` for a type whose schema is inlined where it is used (a field's own schema,
/// no `$defs` entry): `$schema` is evaluated inside the impl, so it may use `Self`.
macro_rules! inline_json_schema {
    ($ty:ident, $schema:expr) => {
        impl schemars::JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $schema
            }
        }
    };
}
pub(crate) use inline_json_schema;

/// An [`Error`] as a serde error: only its reason, because the deserializer names the position
/// (the tools name the argument as the model sent it, `chargeId`, not this module's `charge_id`).
pub(crate) fn de_error<E: serde::de::Error>(e: Error) -> E {
    match e {
        Error::InvalidInput { reason, .. } => E::custom(reason),
        other => E::custom(other),
    }
}

fn check_id(field: &str, value: &str, prefixes: &[&str]) -> Result<(), Error> {
    let Some(prefix) = prefixes.iter().find(|p| value.starts_with(*p)) else {
        return Err(Error::invalid_input(
            field,
            format!("expected an id starting with {}, got {:?}", prefixes.join(" or "), shorten(value)),
        ));
    };
    let rest = &value[prefix.len()..];
    if rest.is_empty() {
        return Err(Error::invalid_input(field, format!("{value:?} has nothing after the prefix")));
    }
    if value.len() > MAX_ID_LEN {
        return Err(Error::invalid_input(field, format!("id is longer than {MAX_ID_LEN} characters")));
    }
    if let Some(bad) = rest.chars().find(|c| !allowed(*c, ID_PUNCTUATION)) {
        return Err(Error::invalid_input(
            field,
            format!("{:?} contains {bad:?}; Stripe ids are letters, digits and `_` only", shorten(value)),
        ));
    }
    Ok(())
}

/// The id of an expandable field: a string, or an expanded object's `id`.
pub(crate) fn expandable_id(v: &Option<serde_json::Value>) -> Option<String> {
    match v.as_ref()? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("id").and_then(serde_json::Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Untrusted input as it may be echoed in an error message: cut to 64 characters, control
/// characters replaced, and a secret-shaped value (an `sk_live_…` key pasted into the client id)
/// named by kind and length instead of quoted.
pub(crate) fn shorten(value: &str) -> String {
    crate::quote::quote_capped(value, 64)
}

macro_rules! stripe_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, [$($prefix:literal),+]) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The prefixes this id may start with.
            pub const PREFIXES: &'static [&'static str] = &[$($prefix),+];

            /// Validate `value`; `invalid_input` if it is not such an id.
            pub fn parse(value: impl AsRef<str>) -> Result<Self, Error> {
                let value = value.as_ref();
                check_id($field, value, Self::PREFIXES)?;
                Ok($name(value.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(de_error)
            }
        }

        inline_json_schema!($name, id_schema(Self::PREFIXES));
    };
}

stripe_id!(
    /// A connected account, `acct_…`.
    AccountId, "account_id", ["acct_"]
);
stripe_id!(
    /// A customer, `cus_…`.
    CustomerId, "customer_id", ["cus_"]
);
stripe_id!(
    /// A charge: `ch_…`, or `py_…` for charges made by non-card payment methods.
    ChargeId, "charge_id", ["ch_", "py_"]
);
stripe_id!(
    /// A payment intent, `pi_…`.
    PaymentIntentId, "payment_intent_id", ["pi_"]
);
stripe_id!(
    /// A refund: `re_…`, or `pyr_…` for refunds of `py_` charges.
    RefundId, "refund_id", ["re_", "pyr_"]
);
stripe_id!(
    /// A dispute: `dp_…`, or `du_…` for disputes on non-card payments.
    DisputeId, "dispute_id", ["dp_", "du_"]
);
stripe_id!(
    /// A Connect platform's OAuth client id, `ca_…`.
    ClientId, "client_id", ["ca_"]
);

/// A Stripe App's id, as in its manifest (`com.example.support`): 1–100 characters of
/// `[A-Za-z0-9_.-]`. It goes into the install link's path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StripeAppId(String);

impl StripeAppId {
    pub const MAX_LEN: usize = 100;

    pub fn parse(value: impl AsRef<str>) -> Result<Self, Error> {
        let value = value.as_ref();
        // A secret pasted here would travel in every install link: refused, and never quoted.
        if ["absec_", "sk_", "rk_", "whsec_", "pk_"].iter().any(|p| value.starts_with(p)) {
            return Err(Error::invalid_input(
                "stripe_app_id",
                "looks like a key or a signing secret, not a Stripe App id (the manifest's `id`, com.example.support)",
            ));
        }
        let ok = !value.is_empty()
            && value.len() <= Self::MAX_LEN
            && value != "."
            && value != ".."
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !ok {
            return Err(Error::invalid_input(
                "stripe_app_id",
                format!(
                    "{} is not a Stripe App id (1–{} characters of letters, digits, `.`, `_`, `-`, as in the app's \
                     manifest: com.example.support)",
                    crate::quote::quote_capped(value, 120),
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(StripeAppId(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StripeAppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The support platform's name for one of its apps (the `slug` column of the apps table).
///
/// 1–100 characters of `[A-Za-z0-9_.-]`, other than `.` and `..`: it travels inside the OAuth
/// state and into store keys.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AppSlug(String);

impl AppSlug {
    pub const MAX_LEN: usize = 100;
    /// What a slug may hold besides ASCII letters and digits.
    const PUNCTUATION: &'static [char] = &['_', '-', '.'];

    pub fn parse(value: impl AsRef<str>) -> Result<Self, Error> {
        let value = value.as_ref();
        if value.is_empty() {
            return Err(Error::invalid_input("app_slug", "must not be empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(Error::invalid_input("app_slug", format!("longer than {} characters", Self::MAX_LEN)));
        }
        // `.` and `..` are path steps, not names: a slug may end up in a path or a URL.
        if value == "." || value == ".." {
            return Err(Error::invalid_input(
                "app_slug",
                format!("{value:?} is not a name (`.` and `..` are refused)"),
            ));
        }
        if let Some(bad) = value.chars().find(|c| !allowed(*c, Self::PUNCTUATION)) {
            return Err(Error::invalid_input(
                "app_slug",
                format!("{:?} contains {bad:?}; use letters, digits, `_`, `-` and `.`", shorten(value)),
            ));
        }
        Ok(AppSlug(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AppSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppSlug({:?})", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for AppSlug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AppSlug::parse(&s).map_err(de_error)
    }
}

// A slug as a model must give it: the parser's charset and length, not `.` or `..`, and never an
// account id (`acct_…` is a valid slug, but the agent tools refuse it: apps are named by slug).
inline_json_schema!(AppSlug, {
    let not_accounts: String = AccountId::PREFIXES.iter().map(|p| format!("(?!{p})")).collect();
    schemars::json_schema!({
        "type": "string",
        "pattern": format!("^{not_accounts}(?!\\.\\.?$){}+$", char_class(Self::PUNCTUATION)),
        "minLength": 1,
        "maxLength": Self::MAX_LEN,
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_ids() {
        assert_eq!(AccountId::parse("acct_1032D82eZvKYlo2C").unwrap().as_str(), "acct_1032D82eZvKYlo2C");
        assert!(ChargeId::parse("ch_3MmlLrLkdIwHu7ix0snN0B15").is_ok());
        assert!(ChargeId::parse("py_1Abc").is_ok());
        assert!(RefundId::parse("re_1Nispe2eZvKYlo2Cd31jOCgZ").is_ok());
        assert!(DisputeId::parse("dp_1MtJUT2eZvKYlo2CNaw2HvEv").is_ok());
        assert!(CustomerId::parse("cus_NffrFeUfNV2Hib").is_ok());
        assert!(PaymentIntentId::parse("pi_3MtwBwLkdIwHu7ix28a3tqPa").is_ok());
        assert_eq!(PaymentIntentId::parse("ch_1").unwrap_err().code(), "invalid_input");
        assert_eq!(PaymentIntentId::parse("pi_1/../x").unwrap_err().code(), "invalid_input");
        assert!(ClientId::parse("ca_FkyHCg7X8mlvCUdMDao4mMxagUfhIwXb").is_ok());
    }

    #[test]
    fn rejects_path_traversal_and_injection() {
        for bad in [
            "../charges",
            "re_../charges",
            "re_1/refunds",
            "re_1?expand[]=x",
            "re_1#x",
            "re_1 ",
            "re_1\r\nX: y",
            "re_é",
            "re_",
            "",
            "ch_1",
        ] {
            let err = RefundId::parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad:?}");
        }
        let long = format!("acct_{}", "a".repeat(MAX_ID_LEN));
        assert_eq!(AccountId::parse(&long).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn error_names_the_field_and_the_prefix() {
        let msg = AccountId::parse("cus_123").unwrap_err().to_string();
        assert!(msg.contains("account_id") && msg.contains("acct_"), "{msg}");
    }

    /// Issue 10 item 3: `STRIPE_CONNECT_CLIENT_ID=sk_live_…` (swapped variables) must not put the
    /// live key in the message.
    #[test]
    fn a_secret_given_as_an_id_is_named_not_quoted() {
        let key = format!("sk_live_{}", "Z9".repeat(50));
        for e in [ClientId::parse(&key).unwrap_err(), AccountId::parse(&key).unwrap_err()] {
            let msg = e.to_string();
            assert!(!msg.contains(&key[..20]) && msg.contains("sk_live_… redacted, 108 chars"), "{msg}");
        }
        let e = AccountId::parse(format!("acct_1\r\n{}", "x".repeat(1000))).unwrap_err().to_string();
        assert!(!e.contains(['\r', '\n']) && e.len() < 300, "{e}");
    }

    /// The schemas a model is shown say what the parsers check, from the same constants.
    #[test]
    fn schemas_come_from_the_parsers_rules() {
        use schemars::JsonSchema;
        let g = &mut schemars::SchemaGenerator::default();
        let charge = ChargeId::json_schema(g).to_value();
        assert_eq!(charge["pattern"], "^(?:ch_|py_)[A-Za-z0-9_]+$");
        assert_eq!((&charge["minLength"], &charge["maxLength"]), (&4.into(), &MAX_ID_LEN.into()));
        assert_eq!(RefundId::json_schema(g).to_value()["pattern"], "^(?:re_|pyr_)[A-Za-z0-9_]+$");
        let slug = AppSlug::json_schema(g).to_value();
        assert_eq!(slug["pattern"], "^(?!acct_)(?!\\.\\.?$)[A-Za-z0-9_.-]+$");
        assert_eq!((&slug["minLength"], &slug["maxLength"]), (&1.into(), &AppSlug::MAX_LEN.into()));
    }

    /// Deserialized, an id's error is its reason: the caller names the position (the tools name
    /// the argument as the model sent it, `chargeId`).
    #[test]
    fn deserialize_errors_name_no_field() {
        let e = serde_json::from_str::<ChargeId>("\"re_1\"").unwrap_err().to_string();
        assert!(e.starts_with("expected an id starting with ch_ or py_") && !e.contains("charge_id"), "{e}");
        let e = serde_json::from_str::<AppSlug>("\"a/b\"").unwrap_err().to_string();
        assert!(e.contains("contains '/'") && !e.contains("app_slug"), "{e}");
    }

    #[test]
    fn deserialize_validates() {
        let ok: AccountId = serde_json::from_str("\"acct_123\"").unwrap();
        assert_eq!(ok.as_str(), "acct_123");
        assert!(serde_json::from_str::<AccountId>("\"acct_../x\"").is_err());
    }

    #[test]
    fn app_slugs() {
        assert!(AppSlug::parse("helper-app_2.prod").is_ok());
        assert!(AppSlug::parse("...").is_ok() && AppSlug::parse(".hidden").is_ok());
        for bad in ["", ".", "..", "a/b", "a b", "ä", &"a".repeat(101)] {
            assert_eq!(AppSlug::parse(bad).unwrap_err().code(), "invalid_input", "{bad:?}");
        }
        let longest = "a".repeat(AppSlug::MAX_LEN);
        assert_eq!(AppSlug::parse(&longest).unwrap().as_str(), longest, "exactly 100 characters is fine");
    }

    #[test]
    fn app_slugs_print_and_deserialize_checked() {
        let slug = AppSlug::parse("help.desk-2").unwrap();
        assert_eq!(format!("{slug}"), "help.desk-2");
        assert_eq!(format!("{slug:?}"), "AppSlug(\"help.desk-2\")");
        assert_eq!(serde_json::from_str::<AppSlug>("\"help.desk-2\"").unwrap(), slug);
        assert!(serde_json::from_str::<AppSlug>("\"a/b\"").is_err());
    }

    #[test]
    fn ids_may_be_exactly_255_characters() {
        let longest = format!("acct_{}", "a".repeat(MAX_ID_LEN - 5));
        assert_eq!(AccountId::parse(&longest).unwrap().as_str(), longest);
        let msg = AccountId::parse(format!("{longest}b")).unwrap_err().to_string();
        assert!(msg.contains("longer than 255"), "{msg}");
    }

    #[test]
    fn shorten_cuts_after_64_characters() {
        let exactly = "é".repeat(64);
        assert_eq!(shorten(&exactly), exactly, "64 characters (not bytes) are kept as they are");
        assert_eq!(shorten("abc"), "abc");
        assert_eq!(shorten(&"x".repeat(65)), format!("{}… (65 characters in all)", "x".repeat(64)));
    }
}
