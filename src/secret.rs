//! Secrets as newtypes: Debug and Display print `[redacted]`, there is no derived equality, and the
//! value is reachable only through `expose()`, which makes every use easy to find in review.

use std::fmt;

use crate::error::ConfigError;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            /// The secret itself. Never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}([redacted])", stringify!($name))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

secret_type!(
    /// The platform's Stripe secret key (`sk_live_…`, `sk_test_…`) or restricted key (`rk_…`).
    SecretKey
);
secret_type!(
    /// A webhook endpoint's signing secret (`whsec_…`). Several may be configured during rotation.
    WebhookSecret
);
secret_type!(
    /// The key that signs OAuth `state` tokens. At least 32 bytes.
    StateSecret
);
secret_type!(
    /// A Stripe App's signing secret (`absec_…`): Stripe signs an install link's redirect with it
    /// (`install_signature`), so only Stripe and the app's backend can produce a valid one.
    StripeAppSecret
);

/// Why `value` cannot key a webhook signature that proves anything: an empty key, a blank one, or
/// nothing but Stripe's `whsec_` prefix is a key anyone can compute a signature with. Checked
/// before any HMAC, wherever a signing secret enters (a variable left unset and read as `""`
/// must never mean "accept everything").
pub(crate) fn unusable_signing_secret(value: &str) -> Option<&'static str> {
    let trimmed = value.trim();
    if value.is_empty() {
        Some("is empty: a signature made with an empty key proves nothing (is the variable set?)")
    } else if trimmed.is_empty() {
        Some("is blank (whitespace only): a signature made with it proves nothing (is the variable set?)")
    } else if trimmed == "whsec_" {
        Some("is only the whsec_ prefix: copy the whole signing secret from the Dashboard")
    } else {
        None
    }
}

fn check_no_whitespace(field: &str, value: &str) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::new(field, "is empty"));
    }
    if value.trim() != value {
        return Err(ConfigError::new(field, "has leading or trailing whitespace (a stray newline from an env file?)"));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(ConfigError::new(field, "contains whitespace"));
    }
    Ok(())
}

impl SecretKey {
    /// Accepts `sk_…` and `rk_…` keys. A publishable key (`pk_…`) or a webhook secret is refused
    /// with a message that says which it looks like (never the value): `config_invalid` for
    /// `secret_key`.
    pub fn new(value: impl Into<String>) -> Result<Self, ConfigError> {
        Self::named("secret_key", value)
    }

    /// [`SecretKey::new`] with errors naming `field` (the option or variable it came from).
    pub(crate) fn named(field: &str, value: impl Into<String>) -> Result<Self, ConfigError> {
        let value = value.into();
        check_no_whitespace(field, &value)?;
        if value.starts_with("pk_") {
            return Err(ConfigError::new(field, "is a publishable key (pk_…); the secret key starts with sk_ or rk_"));
        }
        if value.starts_with("whsec_") {
            return Err(ConfigError::new(
                field,
                "is a webhook signing secret (whsec_…); the secret key starts with sk_ or rk_",
            ));
        }
        if !(value.starts_with("sk_") || value.starts_with("rk_")) {
            return Err(ConfigError::new(field, "must start with sk_ or rk_"));
        }
        // A bare prefix is a placeholder left in a template, not a key.
        if matches!(value.as_str(), "sk_" | "rk_" | "sk_live_" | "sk_test_" | "rk_live_" | "rk_test_") {
            return Err(ConfigError::new(field, "is only a key prefix: copy the whole key from the Dashboard"));
        }
        Ok(SecretKey(value))
    }

    /// `Some(true)` for a live key, `Some(false)` for a test key.
    pub fn livemode(&self) -> Option<bool> {
        if self.0.starts_with("sk_live_") || self.0.starts_with("rk_live_") {
            Some(true)
        } else if self.0.starts_with("sk_test_") || self.0.starts_with("rk_test_") {
            Some(false)
        } else {
            None
        }
    }
}

impl WebhookSecret {
    /// Any non-empty string without whitespace: Stripe's are `whsec_…`, but the key is whatever
    /// bytes the endpoint was given, so others are accepted (the official SDK test vectors use
    /// `webhook_secret`). An `sk_`/`rk_`/`pk_` key is refused: it is never a signing secret
    /// (`config_invalid` for `webhook_secret`).
    pub fn new(value: impl Into<String>) -> Result<Self, ConfigError> {
        Self::named("webhook_secret", value)
    }

    /// [`WebhookSecret::new`] with errors naming `field` (the option or variable it came from).
    pub(crate) fn named(field: &str, value: impl Into<String>) -> Result<Self, ConfigError> {
        let value = value.into();
        if let Some(reason) = unusable_signing_secret(&value) {
            return Err(ConfigError::new(field, reason));
        }
        check_no_whitespace(field, &value)?;
        if value.starts_with("sk_") || value.starts_with("rk_") || value.starts_with("pk_") {
            return Err(ConfigError::new(
                field,
                "looks like an API key, not a webhook signing secret; use the endpoint's whsec_… secret from the Dashboard",
            ));
        }
        Ok(WebhookSecret(value))
    }

    /// Builds a secret without the API-key and whitespace checks, for verifying against whatever
    /// the caller holds (the mismatch message then explains what looks wrong). An empty or blank
    /// secret, or a bare `whsec_`, is still refused by [`verify_signature`](crate::verify_signature)
    /// with `config_invalid` before any HMAC.
    pub fn unchecked(value: impl Into<String>) -> Self {
        WebhookSecret(value.into())
    }

    /// Why this secret cannot verify anything, if it cannot (see [`unusable_signing_secret`]).
    pub(crate) fn unusable(&self) -> Option<&'static str> {
        unusable_signing_secret(&self.0)
    }

    pub(crate) fn problem_hint(&self) -> Option<&'static str> {
        let v = self.0.as_str();
        if v.trim() != v {
            Some("a configured webhook secret has leading or trailing whitespace")
        } else if v.starts_with("sk_") || v.starts_with("rk_") {
            Some("a configured webhook secret is an API key (sk_/rk_); use the endpoint's whsec_… signing secret")
        } else {
            None
        }
    }
}

impl StripeAppSecret {
    /// Any non-empty string without whitespace that is not an API key or a webhook secret
    /// (Stripe's are `absec_…`): `config_invalid` for `stripe_app_secret`.
    pub fn new(value: impl Into<String>) -> Result<Self, ConfigError> {
        Self::named("stripe_app_secret", value)
    }

    /// [`StripeAppSecret::new`] with errors naming `field` (the option or variable it came from).
    pub(crate) fn named(field: &str, value: impl Into<String>) -> Result<Self, ConfigError> {
        let value = value.into();
        if let Some(reason) = unusable_signing_secret(&value) {
            return Err(ConfigError::new(field, reason));
        }
        check_no_whitespace(field, &value)?;
        if value == "absec_" {
            return Err(ConfigError::new(field, "is only the absec_ prefix: copy the whole signing secret"));
        }
        if ["sk_", "rk_", "pk_", "whsec_"].iter().any(|p| value.starts_with(p)) {
            return Err(ConfigError::new(
                field,
                "looks like an API key or a webhook secret; use the app's signing secret (absec_…) from its \
                 settings page in the Dashboard",
            ));
        }
        Ok(StripeAppSecret(value))
    }
}

impl StateSecret {
    pub const MIN_LEN: usize = 32;

    /// At least [`StateSecret::MIN_LEN`] bytes, not blank (`config_invalid` for `state_secret`).
    pub fn new(value: impl Into<String>) -> Result<Self, ConfigError> {
        Self::named("state_secret", value)
    }

    /// [`StateSecret::new`] with errors naming `field` (the option or variable it came from).
    pub(crate) fn named(field: &str, value: impl Into<String>) -> Result<Self, ConfigError> {
        let value = value.into();
        if value.trim().is_empty() {
            return Err(ConfigError::new(field, "is blank: a state signed with it could be forged by anyone"));
        }
        if value.len() < Self::MIN_LEN {
            return Err(ConfigError::new(field, format!("must be at least {} bytes", Self::MIN_LEN)));
        }
        Ok(StateSecret(value))
    }

    /// A state secret derived from the secret key, so the state needs no extra configuration.
    pub(crate) fn derived_from(key: &SecretKey) -> Self {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.expose().as_bytes()).expect("HMAC takes any key length");
        mac.update(b"stripe-connect oauth state v1");
        StateSecret(hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let k = SecretKey::new("sk_test_supersecret123").unwrap();
        assert_eq!(format!("{k:?}"), "SecretKey([redacted])");
        assert_eq!(format!("{k}"), "[redacted]");
        let w = WebhookSecret::new("whsec_abcdef").unwrap();
        assert!(!format!("{w:?}{w}").contains("abcdef"));
        let s = StateSecret::new("x".repeat(40)).unwrap();
        assert!(!format!("{s:?}{s}").contains("xxxx"));
    }

    #[test]
    fn secret_key_rules() {
        assert_eq!(SecretKey::new("sk_live_x").unwrap().livemode(), Some(true));
        assert_eq!(SecretKey::new("rk_test_x").unwrap().livemode(), Some(false));
        for bad in ["", "pk_test_x", "whsec_x", "sk_test_x\n", " sk_test_x", "hello", "sk_", "sk_test_", "rk_live_"] {
            let e = SecretKey::named("STRIPE_SECRET_KEY", bad).unwrap_err();
            assert_eq!(e.field, "STRIPE_SECRET_KEY");
            assert!(!e.to_string().contains("_x"), "message must not echo the value: {e}");
        }
    }

    #[test]
    fn webhook_secret_rules() {
        assert!(WebhookSecret::new("webhook_secret").is_ok());
        let e = WebhookSecret::new("sk_test_abc").unwrap_err();
        assert!(e.reason.contains("API key"));
        // The public constructor names the option a Rust caller knows; the config builder and
        // the environment name their own (see `named`).
        assert_eq!(e.field, "webhook_secret");
        assert!(WebhookSecret::new("whsec_abc ").unwrap_err().reason.contains("whitespace"));
        assert_eq!(SecretKey::new("pk_test_1").unwrap_err().field, "secret_key");
        assert_eq!(StateSecret::new("short").unwrap_err().field, "state_secret");
    }

    #[test]
    fn empty_blank_and_bare_prefix_webhook_secrets_are_refused() {
        for (bad, says) in
            [("", "empty"), (" ", "blank"), (" \t\n", "blank"), ("whsec_", "prefix"), (" whsec_\n", "prefix")]
        {
            let e = WebhookSecret::named("STRIPE_WEBHOOK_SECRET", bad).unwrap_err();
            assert_eq!(e.field, "STRIPE_WEBHOOK_SECRET");
            assert!(e.reason.contains(says), "{bad:?}: {e}");
            assert!(WebhookSecret::unchecked(bad).unusable().is_some(), "{bad:?}");
        }
        assert!(WebhookSecret::unchecked("whsec_a").unusable().is_none());
    }

    #[test]
    fn every_api_key_kind_is_refused_as_a_webhook_secret() {
        for key in ["sk_test_abc", "rk_live_abc", "pk_test_abc"] {
            let e = WebhookSecret::new(key).unwrap_err();
            assert!(e.reason.contains("looks like an API key"), "{key}: {e}");
        }
        assert!(WebhookSecret::new("whsec_sk_abc").is_ok(), "only a key's own prefix counts");
    }

    #[test]
    fn a_state_secret_of_exactly_the_minimum_length_is_accepted() {
        assert!(StateSecret::new("k".repeat(StateSecret::MIN_LEN)).is_ok());
        let e = StateSecret::new("k".repeat(StateSecret::MIN_LEN - 1)).unwrap_err();
        assert_eq!(e.reason, "must be at least 32 bytes");
    }

    #[test]
    fn blank_state_secret_is_refused() {
        assert!(StateSecret::new(" ".repeat(40)).unwrap_err().reason.contains("blank"));
    }

    #[test]
    fn state_secret_length_and_derivation() {
        assert!(StateSecret::new("short").is_err());
        let k = SecretKey::new("sk_test_abc").unwrap();
        let a = StateSecret::derived_from(&k);
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), StateSecret::derived_from(&SecretKey::new("sk_test_abd").unwrap()).expose());
    }
}
