//! Options given by name (the Node binding's options object): a name that is not an option is a
//! mistake to report, not a key to ignore. `cacheTtl: 0` meant to turn the cache off, and silently
//! did nothing.

use crate::error::ConfigError;

/// `config_invalid` for the first name of `given` that is not in `known`, naming it (as its field)
/// and the closest known name when one is near: the same name in another case (`timeoutMS`), a
/// few letters off (`cacheTtl`), or the start of one (`secret` → `secretKey`).
pub fn check_option_names<'a>(given: impl IntoIterator<Item = &'a str>, known: &[&str]) -> Result<(), ConfigError> {
    for name in given {
        if known.contains(&name) {
            continue;
        }
        let reason = match closest(name, known) {
            Some(near) => format!("is not an option; did you mean `{near}`?"),
            None => format!("is not an option (the options: {})", known.join(", ")),
        };
        // The name is the caller's text: quoted the way any untrusted text is.
        return Err(ConfigError::new(crate::quote::quote_capped(name, 64), reason));
    }
    Ok(())
}

/// The known name nearest to `name`, if any is near enough to be what was meant.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let name = name.to_ascii_lowercase();
    known
        .iter()
        .filter_map(|k| {
            let lower = k.to_ascii_lowercase();
            let d = distance(&name, &lower);
            let near = d <= 2 || (name.len() >= 4 && lower.starts_with(&name));
            near.then_some((d, *k))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance (option names are short, so the plain table is fine).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["secretKey", "timeoutMs", "cacheTtlMs", "cacheMaxEntries", "stores"];

    fn refusal(given: &[&str]) -> ConfigError {
        let e = check_option_names(given.iter().copied(), KNOWN).unwrap_err();
        assert_eq!(crate::Error::from(e.clone()).code(), "config_invalid");
        e
    }

    #[test]
    fn known_names_pass() {
        assert_eq!(check_option_names(["secretKey", "stores", "cacheTtlMs"], KNOWN), Ok(()));
        assert_eq!(check_option_names([], KNOWN), Ok(()));
    }

    /// Issue 20: `{ cacheTtl: 0, timeoutMS: 5 }` was accepted and ignored.
    #[test]
    fn a_typo_is_named_with_the_option_meant() {
        let e = refusal(&["secretKey", "cacheTtl", "timeoutMS"]);
        assert_eq!((e.field.as_str(), e.reason.as_str()), ("cacheTtl", "is not an option; did you mean `cacheTtlMs`?"));
        let e = refusal(&["timeoutMS"]);
        assert_eq!((e.field.as_str(), e.reason.as_str()), ("timeoutMS", "is not an option; did you mean `timeoutMs`?"));
        let e = refusal(&["store"]);
        assert_eq!(e.reason, "is not an option; did you mean `stores`?");
        let e = refusal(&["secret"]);
        assert_eq!(e.reason, "is not an option; did you mean `secretKey`?");
    }

    #[test]
    fn a_name_near_nothing_lists_the_options() {
        let e = refusal(&["apiKey"]);
        assert_eq!(e.field, "apiKey");
        assert_eq!(
            e.reason,
            "is not an option (the options: secretKey, timeoutMs, cacheTtlMs, cacheMaxEntries, stores)"
        );
        // A key pasted as a name is not quoted.
        let key = format!("sk_live_{}", "A1".repeat(20));
        let e = refusal(&[&key]);
        assert!(!e.to_string().contains("A1A1"), "{e}");
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("cachettl", "cachettlms"), 2);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("", "ab"), 2);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
