//! The connected apps a process is told about through its environment (`stripe-connect-mcp`):
//! `STRIPE_CONNECT_ACCOUNTS` and `STRIPE_CONNECT_APP_SLUGS`, parsed once here for every face.
//!
//! An error names the variable, the entry's position and what is wrong with it, never the entry
//! itself: these variables are where a key pasted in the wrong place ends up, and errors reach logs.

use crate::error::ConfigError;
use crate::ids::{AccountId, AppSlug, MAX_ID_LEN};

pub const ACCOUNTS_VAR: &str = "STRIPE_CONNECT_ACCOUNTS";
pub const APP_SLUGS_VAR: &str = "STRIPE_CONNECT_APP_SLUGS";

/// `STRIPE_CONNECT_ACCOUNTS` and `STRIPE_CONNECT_APP_SLUGS`, validated.
///
/// Every slug in here passed [`AppSlug::parse`] and does not look like a secret, so it is safe to
/// print (the MCP bin's "serving …" line does).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectEnv {
    /// Each app and its account, in the variable's order. No slug and no account appears twice.
    pub accounts: Vec<(AppSlug, AccountId)>,
    /// The tool scope: `STRIPE_CONNECT_APP_SLUGS` (each among `accounts`), else every app of
    /// `accounts`.
    pub app_slugs: Vec<AppSlug>,
}

impl ConnectEnv {
    /// Read the two variables from `get` (a map stands in for the environment in tests).
    ///
    /// `STRIPE_CONNECT_ACCOUNTS="slug=acct_…,slug2=acct_…"` is required. Blank entries (a trailing
    /// comma) are skipped; any other entry must be `slug=acct_…` with a valid slug and account id.
    /// A slug given twice is refused (which account would it mean?), and so is one account under
    /// two slugs: a connection store maps an account to one app (a deauthorization clears "the"
    /// app of the account), so the second slug would silently lose its connection.
    /// `STRIPE_CONNECT_APP_SLUGS` (comma-separated, optional) narrows the scope to apps listed in
    /// `STRIPE_CONNECT_ACCOUNTS`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<ConnectEnv, ConfigError> {
        let value = get(ACCOUNTS_VAR).unwrap_or_default();
        let mut accounts: Vec<(AppSlug, AccountId)> = Vec::new();
        for (position, entry) in entries(&value) {
            let (slug, account) = account_entry(position, entry)?;
            if let Some(first) = accounts.iter().position(|(s, _)| *s == slug) {
                return Err(ConfigError::new(
                    ACCOUNTS_VAR,
                    format!("entry {position} repeats the app slug of entry {}: give each app one account", first + 1),
                ));
            }
            if let Some(first) = accounts.iter().position(|(_, a)| *a == account) {
                return Err(ConfigError::new(
                    ACCOUNTS_VAR,
                    format!(
                        "entry {position} repeats the account of entry {}: an account is connected to one app",
                        first + 1
                    ),
                ));
            }
            accounts.push((slug, account));
        }
        if accounts.is_empty() {
            return Err(ConfigError::new(
                ACCOUNTS_VAR,
                "is not set: name the connected apps as \"slug=acct_…,slug2=acct_…\"",
            ));
        }
        let mut app_slugs: Vec<AppSlug> = Vec::new();
        for (position, entry) in entries(&get(APP_SLUGS_VAR).unwrap_or_default()) {
            let slug = slug(APP_SLUGS_VAR, position, entry)?;
            if !accounts.iter().any(|(s, _)| *s == slug) {
                return Err(ConfigError::new(
                    APP_SLUGS_VAR,
                    format!("entry {position} names an app that {ACCOUNTS_VAR} does not list"),
                ));
            }
            if !app_slugs.contains(&slug) {
                app_slugs.push(slug);
            }
        }
        if app_slugs.is_empty() {
            app_slugs = accounts.iter().map(|(s, _)| s.clone()).collect();
        }
        Ok(ConnectEnv { accounts, app_slugs })
    }
}

/// The non-blank comma-separated entries of `value`, trimmed, with their 1-based positions
/// (counting blank ones, so that a position points at the text as written).
fn entries(value: &str) -> impl Iterator<Item = (usize, &str)> {
    value.split(',').map(str::trim).enumerate().filter(|(_, e)| !e.is_empty()).map(|(i, e)| (i + 1, e))
}

fn account_entry(position: usize, entry: &str) -> Result<(AppSlug, AccountId), ConfigError> {
    let err = |why: String| ConfigError::new(ACCOUNTS_VAR, format!("entry {position} {why}"));
    let Some((slug_part, account_part)) = entry.split_once('=') else {
        return Err(err(if looks_secret(entry) {
            "looks like a Stripe secret key, not slug=acct_…; keys belong in STRIPE_SECRET_KEY".to_string()
        } else {
            "is not slug=acct_… (no `=`)".to_string()
        }));
    };
    let slug = slug(ACCOUNTS_VAR, position, slug_part.trim())?;
    let account = account_part.trim();
    if account.is_empty() {
        return Err(err("has no account id after `=`".to_string()));
    }
    if looks_secret(account) {
        // Named by kind and length (`[sk_test_ redacted, 30 chars]`), never quoted.
        let kind = crate::quote::scrub_secrets(account);
        return Err(err(format!("has a Stripe secret key {kind} where the account id acct_… belongs")));
    }
    let account = AccountId::parse(account).map_err(|_| err(account_problem(account)))?;
    Ok((slug, account))
}

/// Entry `position`'s slug, or what is wrong with it (without quoting it).
fn slug(var: &str, position: usize, value: &str) -> Result<AppSlug, ConfigError> {
    let err = |why: String| ConfigError::new(var, format!("entry {position}'s app slug {why}"));
    if value.is_empty() {
        return Err(err("is empty (write slug=acct_…)".to_string()));
    }
    if looks_secret(value) {
        return Err(err("looks like a Stripe secret key".to_string()));
    }
    AppSlug::parse(value).map_err(|_| err(slug_problem(value)))
}

fn slug_problem(value: &str) -> String {
    if value.len() > AppSlug::MAX_LEN {
        return format!("is longer than {} characters", AppSlug::MAX_LEN);
    }
    // The offending character is never a letter or digit, so naming it reveals nothing secret.
    match value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        Some(c) => format!("contains {c:?}; use letters, digits, `_`, `-` and `.`"),
        None => "is `.` or `..`, which are not names".to_string(),
    }
}

fn account_problem(value: &str) -> String {
    let Some(rest) = value.strip_prefix("acct_") else {
        return "has an account id that does not start with acct_".to_string();
    };
    if rest.is_empty() {
        return "has nothing after acct_".to_string();
    }
    if value.len() > MAX_ID_LEN {
        return format!("has an account id longer than {MAX_ID_LEN} characters");
    }
    match rest.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        Some(c) => format!("has an account id that contains {c:?}; ids are letters, digits and `_` only"),
        None => "has an account id that is not acct_…".to_string(),
    }
}

/// Whether `value` holds something shaped like a Stripe secret (the rule quoting uses).
fn looks_secret(value: &str) -> bool {
    crate::quote::scrub_secrets(value) != value
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(accounts: Option<&str>, app_slugs: Option<&str>) -> Result<ConnectEnv, ConfigError> {
        let mut map = HashMap::new();
        if let Some(v) = accounts {
            map.insert(ACCOUNTS_VAR, v.to_string());
        }
        if let Some(v) = app_slugs {
            map.insert(APP_SLUGS_VAR, v.to_string());
        }
        ConnectEnv::from_vars(|name| map.get(name).cloned())
    }

    fn slugs(list: &[AppSlug]) -> Vec<&str> {
        list.iter().map(AppSlug::as_str).collect()
    }

    /// The refusal of `accounts` (and `app_slugs`): config_invalid naming `var`, with `reason`
    /// exactly, and no part of the value that made it fail.
    fn refused(accounts: &str, app_slugs: Option<&str>, var: &str, reason: &str, hidden: &str) {
        let e = parse(Some(accounts), app_slugs).unwrap_err();
        assert_eq!(crate::Error::from(e.clone()).code(), "config_invalid", "{accounts}");
        assert_eq!(e.field, var, "{accounts}");
        assert_eq!(e.reason, reason, "{accounts}");
        assert!(!e.to_string().contains(hidden), "{hidden:?} quoted in: {e}");
    }

    #[test]
    fn accounts_and_the_default_scope() {
        let env = parse(Some(" helpdesk=acct_1, billing-bot = acct_2 ,"), None).unwrap();
        let pairs: Vec<(&str, &str)> = env.accounts.iter().map(|(s, a)| (s.as_str(), a.as_str())).collect();
        assert_eq!(pairs, [("helpdesk", "acct_1"), ("billing-bot", "acct_2")]);
        assert_eq!(slugs(&env.app_slugs), ["helpdesk", "billing-bot"]);
        let env = parse(Some("helpdesk=acct_1,billing-bot=acct_2"), Some(" billing-bot, ,billing-bot")).unwrap();
        assert_eq!(slugs(&env.app_slugs), ["billing-bot"], "blank entries skipped, repeats kept once");
        let env = parse(Some("helpdesk=acct_1"), Some(" ")).unwrap();
        assert_eq!(slugs(&env.app_slugs), ["helpdesk"], "a blank scope is every app");
    }

    #[test]
    fn missing_or_blank_accounts_are_refused() {
        for value in [None, Some(""), Some(" , ")] {
            let e = parse(value, None).unwrap_err();
            assert_eq!(e.field, ACCOUNTS_VAR);
            assert!(e.reason.starts_with("is not set"), "{value:?}: {e}");
        }
    }

    /// Issue 20: a live key pasted as the variable's value was quoted on stderr (64 of 110 chars).
    #[test]
    fn a_key_pasted_as_the_value_is_named_not_quoted() {
        let live = format!("sk_live_{}", "Q7x".repeat(34));
        refused(
            &live,
            None,
            ACCOUNTS_VAR,
            "entry 1 looks like a Stripe secret key, not slug=acct_…; keys belong in STRIPE_SECRET_KEY",
            &live[8..20],
        );
        refused(
            &format!("helpdesk=acct_1,{live}"),
            None,
            ACCOUNTS_VAR,
            "entry 2 looks like a Stripe secret key, not slug=acct_…; keys belong in STRIPE_SECRET_KEY",
            &live[8..20],
        );
    }

    #[test]
    fn malformed_entries_are_refused_by_position_without_their_value() {
        let key = "sk_test_51Mal4rmedEntryKey0123456789";
        refused(
            &format!("helpdesk={key}"),
            None,
            ACCOUNTS_VAR,
            "entry 1 has a Stripe secret key [sk_test_… redacted, 36 chars] where the account id acct_… belongs",
            "51Mal4rmed",
        );
        refused(
            "helpdesk=acct_1,desk=acct_x y",
            None,
            ACCOUNTS_VAR,
            "entry 2 has an account id that contains ' '; ids are letters, digits and `_` only",
            "acct_x",
        );
        refused(
            "acct_../../x=acct_1",
            None,
            ACCOUNTS_VAR,
            "entry 1's app slug contains '/'; use letters, digits, `_`, `-` and `.`",
            "acct_..",
        );
        refused(
            "Help Desk=acct_1",
            None,
            ACCOUNTS_VAR,
            "entry 1's app slug contains ' '; use letters, digits, `_`, `-` and `.`",
            "Help",
        );
        refused("helpdesk", None, ACCOUNTS_VAR, "entry 1 is not slug=acct_… (no `=`)", "helpdesk");
        refused("=acct_1", None, ACCOUNTS_VAR, "entry 1's app slug is empty (write slug=acct_…)", "acct_1");
        refused("helpdesk=", None, ACCOUNTS_VAR, "entry 1 has no account id after `=`", "helpdesk");
        refused(
            "helpdesk=cus_1",
            None,
            ACCOUNTS_VAR,
            "entry 1 has an account id that does not start with acct_",
            "cus_1",
        );
        refused("helpdesk=acct_", None, ACCOUNTS_VAR, "entry 1 has nothing after acct_", "helpdesk");
        refused("..=acct_1", None, ACCOUNTS_VAR, "entry 1's app slug is `.` or `..`, which are not names", "acct_1");
        let long = "s".repeat(101);
        refused(
            &format!("{long}=acct_1"),
            None,
            ACCOUNTS_VAR,
            "entry 1's app slug is longer than 100 characters",
            &long,
        );
        refused(
            &format!("h=acct_{}", "9".repeat(251)),
            None,
            ACCOUNTS_VAR,
            "entry 1 has an account id longer than 255 characters",
            "9999",
        );
        // A slug that is a key (the two sides swapped) is refused, so a printed slug is never one.
        refused(
            &format!("{key}=acct_1"),
            None,
            ACCOUNTS_VAR,
            "entry 1's app slug looks like a Stripe secret key",
            "51Mal4rmed",
        );
    }

    /// Issue 20: the duplicated slug silently used the last account.
    #[test]
    fn a_slug_or_an_account_given_twice_is_refused() {
        refused(
            "helpdesk=acct_1,billing=acct_2,helpdesk=acct_3",
            None,
            ACCOUNTS_VAR,
            "entry 3 repeats the app slug of entry 1: give each app one account",
            "acct_3",
        );
        refused(
            "helpdesk=acct_1,billing=acct_1",
            None,
            ACCOUNTS_VAR,
            "entry 2 repeats the account of entry 1: an account is connected to one app",
            "acct_1",
        );
    }

    #[test]
    fn the_scope_must_be_valid_slugs_among_the_accounts() {
        refused(
            "helpdesk=acct_1",
            Some("helpdesk,billing"),
            APP_SLUGS_VAR,
            "entry 2 names an app that STRIPE_CONNECT_ACCOUNTS does not list",
            "billing",
        );
        refused(
            "helpdesk=acct_1",
            Some("help desk"),
            APP_SLUGS_VAR,
            "entry 1's app slug contains ' '; use letters, digits, `_`, `-` and `.`",
            "desk",
        );
        let live = format!("sk_live_{}", "Zq".repeat(40));
        refused(
            "helpdesk=acct_1",
            Some(&live),
            APP_SLUGS_VAR,
            "entry 1's app slug looks like a Stripe secret key",
            &live[8..20],
        );
    }
}
