//! The fault report a customer fills in before troubleshooting. Validated in
//! the browser for quick feedback and again on the server, with the same code.

use crate::case::GuideResult;
use crate::guide::{Guide, Outcome, Severity, WalkError, WalkStep};
use crate::problems::{Field, FieldError, Problem};

pub const NAME_MAX: u32 = 40;
pub const SYMPTOM_MIN: u32 = 4;
pub const SYMPTOM_MAX: u32 = 2000;
/// The longest address mail servers take (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report<'a> {
    pub reporter_name: &'a str,
    pub phone: &'a str,
    pub asset_id: Option<i64>,
    pub symptom: &'a str,
    /// Optional: where the customer wants e-mails about the case.
    pub email: &'a str,
}

/// All problems with a report, in form order; empty means valid.
pub fn validate(r: &Report) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut push = |field, problem| errors.push(FieldError { field, problem });

    let name = r.reporter_name.trim();
    if name.is_empty() {
        push(Field::ReporterName, Problem::Required);
    } else if char_len(name) > NAME_MAX {
        push(Field::ReporterName, Problem::TooLong { max: NAME_MAX });
    }

    let phone = r.phone.trim();
    if phone.is_empty() {
        push(Field::Phone, Problem::Required);
    } else if normalise_phone(phone).is_none() {
        push(Field::Phone, Problem::InvalidPhone);
    }

    if r.asset_id.is_none() {
        push(Field::Asset, Problem::Required);
    }

    if !r.email.trim().is_empty() && normalise_email(r.email).is_none() {
        push(Field::Email, Problem::Invalid);
    }

    let symptom = r.symptom.trim();
    if symptom.is_empty() {
        push(Field::Symptom, Problem::Required);
    } else if char_len(symptom) < SYMPTOM_MIN {
        push(Field::Symptom, Problem::TooShort { min: SYMPTOM_MIN });
    } else if char_len(symptom) > SYMPTOM_MAX {
        push(Field::Symptom, Problem::TooLong { max: SYMPTOM_MAX });
    }
    errors
}

/// Full-width digits, plus, hyphens, dashes, parentheses and the
/// ideographic space as their ASCII forms; anything else unchanged.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        '＋' => '+',
        '－' | '‐' | '‑' | '–' | '—' | '―' | '﹣' => '-',
        '（' => '(',
        '）' => ')',
        '．' => '.',
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn char_len(s: &str) -> u32 {
    s.chars().count().min(u32::MAX as usize) as u32
}

/// A Chinese mobile (`13800138000`, optionally `+86`, in groups: `+86
/// 138-0013-8000`) or landline with area code (`021-12345678`, `0571 8888
/// 6666`, `(0755) 8888 6666`, `+86 21 1234 5678`), with an optional
/// extension (`-123`, `转 123`, `分机 123`, `ext 123`, `x123`). Full-width
/// digits and punctuation (typed with a Chinese input method) count as
/// their ASCII forms. Returns the digits-and-hyphens form we store, or
/// `None` if it is not a phone number.
pub fn normalise_phone(input: &str) -> Option<String> {
    let half: String = input.chars().map(half_width).collect::<String>().to_ascii_lowercase();
    // An extension after a word for it; a hyphen extension is read below.
    let (main, marked_ext) = match ["转", "分机", "ext.", "ext", "x"].iter().find_map(|m| half.split_once(m)) {
        Some((main, ext)) => (main.to_string(), Some(ext.trim().to_string())),
        None => (half, None),
    };
    let s: String = main.chars().filter(|c| !matches!(c, ' ' | '(' | ')' | '.')).collect();
    let s = s.trim_end_matches('-');
    let (s, international) = match s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")) {
        Some(rest) => (rest.strip_prefix('-').unwrap_or(rest), true),
        None => (s, false),
    };
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && digits.starts_with('1') && marked_ext.is_none() && !s.starts_with('-') {
        let second = digits.as_bytes()[1];
        // A mobile has no extension: "13800138000-1" is not one.
        let groups_ok = s.split('-').all(|g| !g.is_empty()) && s.split('-').count() <= 3;
        return ((b'3'..=b'9').contains(&second) && groups_ok).then_some(digits);
    }
    // From abroad a landline's area code drops its 0: +86 21 …
    // (Not a mobile mistyped: those start 1[3-9]; Beijing is 10.)
    let s =
        if international && !s.starts_with('0') && (!s.starts_with('1') || s.starts_with("10")) { format!("0{s}") } else { s.to_string() };
    // Landline: 0 + 2–3 digit area code, 7–8 digit number, optional extension.
    let parts: Vec<&str> = s.split('-').collect();
    let (area, number, ext) = match (parts.as_slice(), marked_ext.as_deref()) {
        ([area, number], None) => (*area, *number, None),
        ([area, number, ext], None) => (*area, *number, Some(*ext)),
        ([area, number], Some(ext)) => (*area, *number, Some(ext)),
        ([joined], ext) if joined.starts_with('0') && (10..=12).contains(&joined.len()) => {
            let area_len = if matches!(joined.as_bytes()[1], b'1' | b'2') { 3 } else { 4 };
            (&joined[..area_len], &joined[area_len..], ext)
        }
        _ => return None,
    };
    let area_ok = area.starts_with('0') && (3..=4).contains(&area.len()) && area.chars().all(|c| c.is_ascii_digit());
    let number_ok = (7..=8).contains(&number.len()) && !number.starts_with('0') && number.chars().all(|c| c.is_ascii_digit());
    let ext_ok = ext.is_none_or(|e| (1..=6).contains(&e.len()) && e.chars().all(|c| c.is_ascii_digit()));
    (area_ok && number_ok && ext_ok).then(|| match ext {
        Some(e) => format!("{area}-{number}-{e}"),
        None => format!("{area}-{number}"),
    })
}

/// An e-mail address as a customer types it (`wang.fang@hengan.com.cn`),
/// trimmed and with its domain in lower case; `None` if it is not one
/// (no `@`, a domain without a dot, spaces, quoting, or too long). Plain
/// addresses only: what a person types into a form, not a `Name <…>`.
pub fn normalise_email(input: &str) -> Option<String> {
    let s = input.trim();
    let (local, domain) = s.split_once('@')?;
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    (s.len() <= EMAIL_MAX && local_ok && domain_ok).then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A submission id as the widget makes it: 16–64 letters, digits or `-`.
pub fn valid_submission_id(s: &str) -> bool {
    (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A customer's walk that fits its guide: where it stopped (for the
/// guide's analytics) and the severity the guide suggests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkFit {
    pub final_node: Option<String>,
    pub severity: Severity,
}

/// Whether a reported walk follows the guide offered for the asset
/// (`guide`: the one named by the report, if it exists; `asset_kind`: the
/// asset's equipment kind). A customer may escalate at any point (an
/// unfinished walk) or with no guide at all; a self-fix must have reached a
/// "resolved" outcome. `None`: the walk does not fit.
pub fn check_walk(
    guide_id: &str,
    guide: Option<&Guide>,
    asset_kind: Option<&str>,
    steps: &[WalkStep],
    result: GuideResult,
) -> Option<WalkFit> {
    if guide_id.is_empty() {
        let fits = steps.is_empty() && result == GuideResult::Escalate;
        return fits.then_some(WalkFit { final_node: None, severity: Severity::General });
    }
    let g = guide.filter(|g| asset_kind.is_none_or(|k| g.equipment.iter().any(|e| e == k)))?;
    let replay = g.replay(steps);
    let fits = matches!(
        (&replay, result),
        (Ok(Outcome::Resolved { .. }), GuideResult::SelfResolved)
            | (Ok(Outcome::Escalate { .. }) | Err(WalkError::NotFinished), GuideResult::Escalate)
    );
    let severity = match replay {
        Ok(Outcome::Escalate { severity, .. }) => *severity,
        _ => Severity::General,
    };
    fits.then(|| WalkFit { final_node: g.current(steps).map(|n| n.id.clone()), severity })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_report() -> Report<'static> {
        Report { reporter_name: "王芳", phone: "13800138000", asset_id: Some(1), symptom: "主机面板不亮", email: "" }
    }

    #[test]
    fn valid_report_has_no_errors() {
        assert!(validate(&ok_report()).is_empty());
    }

    #[test]
    fn every_field_reports_its_problem() {
        let r = Report { reporter_name: "  ", phone: "12345", asset_id: None, symptom: "坏", email: "wang@" };
        let fields: Vec<_> = validate(&r).into_iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            fields,
            vec![
                (Field::ReporterName, Problem::Required),
                (Field::Phone, Problem::InvalidPhone),
                (Field::Asset, Problem::Required),
                (Field::Email, Problem::Invalid),
                (Field::Symptom, Problem::TooShort { min: SYMPTOM_MIN }),
            ]
        );
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let name: String = "王".repeat(NAME_MAX as usize);
        let r = Report { reporter_name: &name, ..ok_report() };
        assert!(validate(&r).is_empty());
        let long: String = "王".repeat(NAME_MAX as usize + 1);
        let r = Report { reporter_name: &long, ..ok_report() };
        assert_eq!(validate(&r)[0].problem, Problem::TooLong { max: NAME_MAX });
        let symptom = "x".repeat(SYMPTOM_MAX as usize + 1);
        let r = Report { symptom: &symptom, ..ok_report() };
        assert_eq!(validate(&r)[0].problem, Problem::TooLong { max: SYMPTOM_MAX });
    }

    #[test]
    fn phones() {
        for (input, want) in [
            ("13800138000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("021-12345678", "021-12345678"),
            ("0571 88886666", "0571-88886666"),
            ("02112345678", "021-12345678"),
            ("010-8888888-123", "010-8888888-123"),
            // As customers write them (issue 18).
            ("+86 138-0013-8000", "13800138000"),
            ("138 0013 8000", "13800138000"),
            ("0755-8888 6666 转 123", "0755-88886666-123"),
            ("0755-88886666 分机123", "0755-88886666-123"),
            ("(0755) 8888 6666", "0755-88886666"),
            ("021-12345678 ext. 45", "021-12345678-45"),
            ("021-12345678x45", "021-12345678-45"),
            ("+86 21 1234 5678", "021-12345678"),
            ("+86 10 8888 8888", "010-88888888"),
            ("１３８００１３８０００", "13800138000"),
            ("０２１－１２３４５６７８", "021-12345678"),
            ("＋８６\u{3000}１３８　００１３　８０００", "13800138000"),
        ] {
            assert_eq!(normalise_phone(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "12345",
            "12800138000",
            "1380013800",
            "138001380001",
            "21-12345678",
            "021-0123456",
            "abc",
            "021-123456789",
            "13800138000-1",
            "13800138000 转 1",
            "0755-8888 6666 转",
            "0755-88886666 转 1234567",
            "021-1234-5678-9-1",
            "+86 12345",
            "138--0013-8000",
            "+86 1380013800",
        ] {
            assert_eq!(normalise_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn e_mail_addresses() {
        for (input, want) in [
            ("wang.fang@hengan.com.cn", "wang.fang@hengan.com.cn"),
            ("  12345678@QQ.com ", "12345678@qq.com"),
            ("li+fixline@163.com", "li+fixline@163.com"),
            ("a_b-c@mail.example-co.cn", "a_b-c@mail.example-co.cn"),
        ] {
            assert_eq!(normalise_email(input).as_deref(), Some(want), "{input}");
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(63));
        assert!(normalise_email(&long).is_some());
        for bad in [
            "",
            "wang",
            "wang@",
            "@qq.com",
            "wang@qq",
            "wang@qq.c",
            "wang@@qq.com",
            "wang fang@qq.com",
            "wang@qq..com",
            ".wang@qq.com",
            "wang.@qq.com",
            "w..ang@qq.com",
            "王芳@qq.com",
            "wang@-qq.com",
            "wang@qq.com\r\nBcc: x@qq.com",
            "Wang <wang@qq.com>",
            "\"wang\"@qq.com",
            "wang@qq.com,li@qq.com",
            "wang@qq.123",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad:?}");
        }
        let too_long = format!("{}@{}.{}.{}.com", "a".repeat(64), "b".repeat(63), "c".repeat(63), "d".repeat(63));
        assert!(too_long.len() > EMAIL_MAX);
        assert_eq!(normalise_email(&too_long), None);
    }

    #[test]
    fn an_empty_e_mail_is_no_e_mail_and_a_bad_one_is_named() {
        assert!(validate(&Report { email: "   ", ..ok_report() }).is_empty());
        assert!(validate(&Report { email: "wang@qq.com", ..ok_report() }).is_empty());
        let problems = validate(&Report { email: "wang@qq", ..ok_report() });
        assert_eq!(problems, vec![FieldError { field: Field::Email, problem: Problem::Invalid }]);
    }

    proptest::proptest! {
        /// What we store is accepted as it is, and written full-width
        /// (a Chinese input method) it means the same.
        #[test]
        fn stored_phones_are_stable(mobile in "1[3-9][0-9]{9}", area in "0[1-9][0-9]{1,2}", number in "[1-9][0-9]{6,7}", ext in proptest::option::of("[0-9]{1,6}")) {
            let landline = match &ext {
                Some(e) => format!("{area}-{number}-{e}"),
                None => format!("{area}-{number}"),
            };
            for phone in [mobile, landline] {
                let stored = normalise_phone(&phone);
                proptest::prop_assert!(stored.is_some(), "{}", phone);
                proptest::prop_assert_eq!(normalise_phone(stored.as_deref().unwrap_or_default()), stored.clone());
                let full: String = phone.chars().map(|c| match c {
                    '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
                    '-' => '－',
                    _ => c,
                }).collect();
                proptest::prop_assert_eq!(normalise_phone(&full), stored);
            }
        }
    }
}
