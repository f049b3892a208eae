//! Human-readable case numbers: `FX-000123`.

const PREFIX: &str = "FX-";

pub fn format(id: i64) -> String {
    format!("{PREFIX}{id:06}")
}

/// Accepts `FX-000123`, `fx-123` or `123`; returns the case id.
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = match s.get(..PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(PREFIX) => &s[PREFIX.len()..],
        _ => s,
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_six_digits() {
        assert_eq!(format(123), "FX-000123");
        assert_eq!(format(1234567), "FX-1234567");
    }

    #[test]
    fn parses_variants_and_rejects_junk() {
        assert_eq!(parse("FX-000123"), Some(123));
        assert_eq!(parse("fx-7"), Some(7));
        assert_eq!(parse(" 42 "), Some(42));
        for bad in ["", "FX-", "FX-12a", "-1", "0", "FX-0", "１２３", "FX-9999999999999999999"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn roundtrip(id in 1i64..1_000_000_000_000) {
            prop_assert_eq!(parse(&format(id)), Some(id));
        }
    }
}
