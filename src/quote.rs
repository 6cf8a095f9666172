//! Text from a request or from Stripe, made fit to quote in an error message.
//!
//! Error messages end up in logs. Anything quoted in one that the library did not write itself (a
//! callback's `error_description`, an upstream body, an id given as input) goes through [`quote`]:
//! - anything shaped like a secret is replaced by its kind and length: Stripe secret and
//!   restricted keys (`sk_…`, `rk_…`), webhook secrets (`whsec_…`), and the token after `Bearer` or
//!   `Basic` (a proxy that echoes the request echoes the `Authorization` header);
//! - control characters (CR and LF forge log lines; ESC rewrites terminals) and the Unicode line
//!   and paragraph separators become `�`;
//! - the result is cut to a few hundred characters, and says how long the original was.
//!
//! The same goes for values equal to a configured secret, which [`scrub_exact`] replaces, and
//! [`scrub_configured`] does for every secret of every live `Config` (an `Error`'s `Display` runs
//! it, so no face can print a configured secret, whatever the error quotes).

use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Most characters of untrusted text quoted in one error.
pub(crate) const MAX_QUOTED_CHARS: usize = 300;

/// Token prefixes of Stripe secrets, longest first so the reported kind is the most precise.
const SECRET_PREFIXES: &[&str] = &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "sk_", "rk_"];

/// The prefixes specific enough to be a secret wherever they start, even inside a word: an id
/// built around a key (`ch_sk_test_…`) must not carry the key into a message.
const INNER_SECRET_PREFIXES: &[&str] = &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"];

/// Shortest word after `Bearer`/`Basic` taken for a credential.
const MIN_CREDENTIAL_CHARS: usize = 8;

/// Schemes of an `Authorization` header whose next word is a credential.
const AUTH_SCHEMES: &[&str] = &["bearer", "basic"];

/// `text` scrubbed of secrets and control characters and cut to [`MAX_QUOTED_CHARS`].
pub(crate) fn quote(text: &str) -> String {
    quote_capped(text, MAX_QUOTED_CHARS)
}

/// [`quote`] with a cap of `max_chars`.
pub(crate) fn quote_capped(text: &str, max_chars: usize) -> String {
    // Only the head can be shown: scrub a generous head rather than megabytes (a token cut at its
    // end still starts with its prefix, so it is still redacted).
    let head = match text.char_indices().nth(max_chars.saturating_mul(2).saturating_add(256)) {
        // A token the cut splits is dropped whole: cut short, a credential would no longer look
        // like one (under 8 characters after `Bearer`) and its first characters could show.
        Some((at, _)) => {
            let cut = &text[..at];
            match cut.trim_end_matches(|c: char| !ends_token(c)) {
                "" => cut,
                whole_tokens => whole_tokens,
            }
        }
        None => text,
    };
    let clean: String = scrub_secrets(head).chars().map(|c| if is_unsafe_char(c) { '\u{FFFD}' } else { c }).collect();
    if head.len() == text.len() && clean.chars().count() <= max_chars {
        return clean;
    }
    let total = text.chars().count();
    let mut cut: String = clean.chars().take(max_chars).collect();
    cut.push_str(&format!("… ({total} characters in all)"));
    cut
}

/// Where a token (a key, a credential) ends.
fn ends_token(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';')
}

/// Characters that must not reach a log line as they are.
fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `text` with every secret-shaped token replaced by `[<kind> redacted, <n> chars]`.
pub(crate) fn scrub_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut at_boundary = true;
    while let Some(c) = rest.chars().next() {
        let prefixes = if at_boundary { SECRET_PREFIXES } else { INNER_SECRET_PREFIXES };
        if let Some(prefix) = prefixes.iter().find(|p| starts_with_ignore_case(rest, p, false)) {
            let len = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
            if len > prefix.len() {
                out.push_str(&format!("[{prefix}… redacted, {len} chars]"));
                rest = &rest[len..];
                at_boundary = false;
                continue;
            }
        }
        if at_boundary {
            if let Some(scheme) = AUTH_SCHEMES.iter().find(|s| starts_with_ignore_case(rest, s, true)) {
                let after = &rest[scheme.len()..];
                let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
                let credential = &after[spaces..];
                let len = credential.find(ends_token).unwrap_or(credential.len());
                // Real credentials are long; "the bearer of news" is not one, and neither is a
                // credential this function already redacted (quoting twice changes nothing).
                if spaces > 0 && len >= MIN_CREDENTIAL_CHARS && !credential.starts_with('[') {
                    out.push_str(&rest[..scheme.len() + spaces]);
                    out.push_str(&format!("[credential redacted, {len} chars]"));
                    rest = &credential[len..];
                    at_boundary = false;
                    continue;
                }
            }
        }
        out.push(c);
        at_boundary = !is_token_char(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn starts_with_ignore_case(text: &str, prefix: &str, ignore_case: bool) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| if ignore_case { head.eq_ignore_ascii_case(prefix) } else { head == prefix })
}

/// The secrets of every live `Config` (weakly held: a config that is dropped is forgotten).
fn configured() -> &'static Mutex<Vec<Weak<Remembered>>> {
    static CONFIGURED: OnceLock<Mutex<Vec<Weak<Remembered>>>> = OnceLock::new();
    CONFIGURED.get_or_init(|| Mutex::new(Vec::new()))
}

/// A config's secret values, remembered for [`scrub_configured`] for as long as this is alive.
pub(crate) struct Remembered(Vec<String>);

/// Remember `secrets` (a config's key, state secret and webhook secrets) until the returned handle
/// and its clones are dropped.
pub(crate) fn remember(secrets: Vec<String>) -> Arc<Remembered> {
    let handle = Arc::new(Remembered(secrets));
    let mut list = configured().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    list.retain(|w| w.strong_count() > 0);
    list.push(Arc::downgrade(&handle));
    handle
}

/// `text` with every value of a live config's secrets replaced by its length ([`scrub_exact`]).
pub(crate) fn scrub_configured(text: &str) -> String {
    let live: Vec<Arc<Remembered>> = {
        let list = configured().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        list.iter().filter_map(Weak::upgrade).collect()
    };
    let secrets: Vec<&str> = live.iter().flat_map(|r| r.0.iter().map(String::as_str)).collect();
    scrub_exact(text, &secrets)
}

/// `text` with every occurrence of one of `secrets` (values the caller configured) replaced by
/// its length. Values shorter than 8 bytes are not searched for: they would match ordinary words.
pub(crate) fn scrub_exact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        if out.contains(*secret) {
            out = out.replace(*secret, &format!("[value of a configured secret redacted, {} chars]", secret.len()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_secrets_and_credentials_become_their_kind_and_length() {
        let key = format!("sk_live_{}", "a1B2".repeat(24));
        let text = format!("echo: Authorization: Bearer {key}, key={key} rk_test_xyz whsec_abc Basic c2tfdGVzdF94Og==");
        let q = quote(&text);
        for leaked in [key.as_str(), "rk_test_xyz", "whsec_abc", "c2tfdGVzdF94Og=="] {
            assert!(!q.contains(leaked), "{leaked} in {q}");
        }
        assert!(q.contains("[sk_live_… redacted, 104 chars]"), "{q}");
        assert!(q.contains("Bearer [credential redacted, 104 chars]"), "{q}");
        assert!(q.contains("[rk_test_… redacted, 11 chars]"), "{q}");
        assert!(q.contains("Basic [credential redacted, 16 chars]"), "{q}");
    }

    #[test]
    fn lookalikes_inside_words_and_bare_prefixes_are_kept() {
        for keep in ["task_sk_1 is fine", "sk_ alone", "the bearer of news", "Basic plan", "Bearer", "ask_x", "whsec_"]
        {
            assert_eq!(quote(keep), keep);
        }
    }

    #[test]
    fn a_credential_split_by_the_head_is_dropped_not_shown_in_part() {
        // Found by mutation testing of describe_body: the redaction before it shortened the text,
        // and the first 7 characters of a credential cut by the head fell into the shown part.
        let text = format!("{}{} Bearer abcdefghijklmnop", "sk_live_", "a".repeat(393));
        let q = quote_capped(&text, 80);
        assert!(!q.contains("abcdefg"), "{q}");
        assert_eq!(q, "[sk_live_… redacted, 401 chars] Bearer … (425 characters in all)");
        // A head that is one token is kept (nothing to trim back to).
        let q = quote_capped(&"x".repeat(1_000), 10);
        assert_eq!(q, "xxxxxxxxxx… (1000 characters in all)");
    }

    #[test]
    fn quoting_twice_is_quoting_once() {
        let key = format!("sk_live_{}", "a1B2".repeat(24));
        let text = format!("Authorization: Bearer {key} and Bearer abcdefghijkl, whsec_abcdefgh\r\n");
        let once = quote(&text);
        assert_eq!(quote(&once), once);
        assert_eq!(scrub_secrets(&once), once);
    }

    #[test]
    fn a_key_inside_an_id_is_redacted_too() {
        // Issue 20 item 3: Stripe's 404 quoted "No such charge: 'ch_sk_test_…'" whole.
        let key = format!("sk_test_{}", "Ab1".repeat(30));
        let q = quote(&format!("No such charge: 'ch_{key}'"));
        assert!(!q.contains(&key), "{q}");
        assert_eq!(q, "No such charge: 'ch_[sk_test_… redacted, 98 chars]'");
        assert_eq!(quote("mask_live_1"), "ma[sk_live_… redacted, 9 chars]");
    }

    #[test]
    fn secrets_of_a_live_config_are_scrubbed_until_it_is_dropped() {
        let secret = "a-state-secret-that-is-only-letters-and-dashes";
        let handle = remember(vec![secret.to_string()]);
        let text = format!("app {secret} has no connection");
        assert_eq!(scrub_configured(&text), "app [value of a configured secret redacted, 46 chars] has no connection");
        drop(handle);
        assert_eq!(scrub_configured(&text), text);
    }

    #[test]
    fn control_characters_are_replaced_and_length_is_capped() {
        let forged = format!("denied\r\n2026-01-01 INFO admin logged in\u{1b}[2J\u{2028}{}", "x".repeat(500_000));
        let q = quote(&forged);
        assert!(!q.contains(['\r', '\n', '\u{1b}', '\u{2028}']), "{q:.80}");
        assert!(q.starts_with("denied\u{FFFD}\u{FFFD}2026"), "{q:.80}");
        assert!(q.chars().count() <= MAX_QUOTED_CHARS + 40, "{}", q.chars().count());
        let total = format!("({} characters in all)", forged.chars().count());
        assert!(q.ends_with(&total), "{}", &q[q.len() - 40..]);
    }

    #[test]
    fn configured_secrets_are_replaced_wherever_they_appear() {
        let q = scrub_exact("client id webhook_secret_123 is not ca_", &["webhook_secret_123", "short"]);
        assert_eq!(q, "client id [value of a configured secret redacted, 18 chars] is not ca_");
    }
}
