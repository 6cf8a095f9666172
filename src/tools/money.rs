//! Amounts for people (and models): `"$99.00"`, `"¥5000"`, `"BHD 1.500"`.
//!
//! Stripe sends amounts in the currency's minor unit. Most currencies have two decimals; the
//! zero-decimal ones are sent in whole units (`jpy` 5000 is ¥5000, not ¥50.00) and five have three
//! decimals. Getting this wrong is off by a factor of 100, so it lives here once.

/// Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal).
const ZERO_DECIMAL: &[&str] =
    &["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];

/// Stripe's three-decimal currencies (docs.stripe.com/currencies#three-decimal).
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

/// Symbols that name one currency unambiguously; others are written with their ISO code.
const SYMBOLS: &[(&str, &str)] = &[("usd", "$"), ("eur", "€"), ("gbp", "£"), ("jpy", "¥"), ("krw", "₩"), ("inr", "₹")];

/// How many decimals `currency`'s minor unit has in Stripe's API.
pub fn decimals(currency: &str) -> u32 {
    let c = currency.to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&c.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&c.as_str()) {
        3
    } else {
        2
    }
}

/// `amount` (minor units of `currency`) as text: a symbol where one is unambiguous, else the
/// upper-case ISO code. No thousands separators: the digits are exact and easy to compare.
pub fn format_amount(amount: i64, currency: &str) -> String {
    let places = decimals(currency);
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let number = if places == 0 {
        abs.to_string()
    } else {
        let unit = 10u64.pow(places);
        format!("{}.{:0width$}", abs / unit, abs % unit, width = places as usize)
    };
    let lower = currency.to_ascii_lowercase();
    match SYMBOLS.iter().find(|(code, _)| *code == lower) {
        Some((_, symbol)) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{} {number}", currency.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_zero_and_three_decimal_currencies() {
        assert_eq!(format_amount(9900, "usd"), "$99.00");
        assert_eq!(format_amount(12000, "eur"), "€120.00");
        assert_eq!(format_amount(5, "gbp"), "£0.05");
        assert_eq!(format_amount(5000, "jpy"), "¥5000");
        assert_eq!(format_amount(5000, "JPY"), "¥5000");
        assert_eq!(format_amount(15000, "krw"), "₩15000");
        assert_eq!(format_amount(990, "clp"), "CLP 990");
        assert_eq!(format_amount(1500, "bhd"), "BHD 1.500");
        assert_eq!(format_amount(123456, "chf"), "CHF 1234.56");
        assert_eq!(format_amount(-1500, "usd"), "-$15.00");
        assert_eq!(format_amount(0, "usd"), "$0.00");
        assert_eq!(format_amount(i64::MIN, "usd"), "-$92233720368547758.08");
    }

    #[test]
    fn decimals_per_currency() {
        assert_eq!((decimals("usd"), decimals("jpy"), decimals("kwd"), decimals("xof")), (2, 0, 3, 0));
    }
}
