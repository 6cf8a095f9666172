//! JS numbers as the core's types. A JS number may be NaN, ±Infinity or a fraction where the core
//! wants a count or a duration, and napi would read NaN as 0, ±Infinity as the extremes and 1.5 as
//! 1: each check here refuses what is not what it claims, before the core sees it. The core takes
//! `u32`s and `Duration`s and never sees an `f64`.

use std::time::Duration;

use crate::{ConfigError, Error};

/// `v` as JS would print it (`NaN`, `-Infinity`, `1.5`).
pub fn js_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        format!("{}Infinity", if v < 0.0 { "-" } else { "" })
    } else {
        v.to_string()
    }
}

/// A JS number as a whole number in `min..=max`, or why not.
pub fn whole_number(field: &str, v: f64, min: i64, max: i64) -> Result<i64, String> {
    if !v.is_finite() || v.fract() != 0.0 {
        return Err(format!("{field} must be a whole number, got {}", js_text(v)));
    }
    // Both bounds are exact in f64 where they are used (|bound| < 2^53 or ±2^63).
    if v < min as f64 || v > max as f64 {
        return Err(format!("{field} must be {min} to {max}, got {v}"));
    }
    Ok(v as i64)
}

/// A whole number of milliseconds from 1 to `max`, or the `config_invalid` naming `field`:
/// never wrapped or truncated into range.
pub fn millis(field: &str, ms: f64, max: Duration) -> Result<Duration, ConfigError> {
    let max = max.as_millis() as f64;
    if ms.fract() == 0.0 && (1.0..=max).contains(&ms) {
        Ok(Duration::from_millis(ms as u64))
    } else {
        Err(ConfigError::new(
            field,
            format!("must be a whole number of milliseconds from 1 to {max}, got {}", js_text(ms)),
        ))
    }
}

/// A cache lifetime in milliseconds: 0 (no cache) or more.
pub fn cache_millis(field: &str, ms: f64) -> Result<Duration, ConfigError> {
    let n = whole_number(field, ms, i64::MIN, i64::MAX).map_err(|r| ConfigError::new(field, r))?;
    u64::try_from(n)
        .map(Duration::from_millis)
        .map_err(|_| ConfigError::new(field, format!("must be 0 (no cache) or more, got {n}")))
}

/// A tool argument that JSON cannot carry (NaN, ±Infinity): `invalid_input` naming where it was.
/// `JSON.stringify` would write it as `null`, which reads as "not given" and runs the tool anyway.
pub fn non_finite_argument(path: &str, v: f64) -> Error {
    // The path is built from the model's keys: quoted as any untrusted text is.
    Error::invalid_input(
        crate::quote::quote_capped(path, 64),
        format!("must be a finite number, got {}; nothing was sent", js_text(v)),
    )
}
