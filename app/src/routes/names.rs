//! Words for the after-the-fix vocabulary (causes, exclusions, swaps, …),
//! and the keys their `<select>` options use.

use crate::domain::clock::PartClass;
use crate::domain::lifecycle::{ComplaintCategory, ComplaintGravity, ReturnVisitOutcome, SwapKind};
use crate::domain::warranty::{Cause, Exclusion};
use crate::i18n::Texts;

pub fn cause(t: &Texts, c: Cause) -> &'static str {
    match c {
        Cause::Product => t.cause_product,
        Cause::Installation => t.cause_installation,
        Cause::Customer => t.cause_customer,
    }
}

pub fn exclusion(t: &Texts, x: Exclusion) -> &'static str {
    match x {
        Exclusion::HumanDamage => t.excl_human_damage,
        Exclusion::ForceMajeure => t.excl_force_majeure,
        Exclusion::UnauthorisedRepair => t.excl_unauthorised_repair,
        Exclusion::Misuse => t.excl_misuse,
        Exclusion::WrongPower => t.excl_wrong_power,
        Exclusion::Virus => t.excl_virus,
    }
}

pub fn part(t: &Texts, p: PartClass) -> &'static str {
    match p {
        PartClass::Host => t.part_host,
        PartClass::Accessory => t.part_accessory,
    }
}

pub fn swap(t: &Texts, s: SwapKind) -> &'static str {
    match s {
        SwapKind::Spare => t.swap_spare,
        SwapKind::Loaner => t.swap_loaner,
        SwapKind::ReturnToFactory => t.swap_rtf,
    }
}

pub fn complaint(t: &Texts, c: ComplaintCategory) -> &'static str {
    match c {
        ComplaintCategory::Quality => t.complaint_quality,
        ComplaintCategory::Human => t.complaint_human,
        ComplaintCategory::Other => t.complaint_other,
    }
}

pub fn gravity(t: &Texts, g: ComplaintGravity) -> &'static str {
    match g {
        ComplaintGravity::Minor => t.gravity_minor,
        ComplaintGravity::Serious => t.gravity_serious,
        ComplaintGravity::Major => t.gravity_major,
    }
}

pub fn return_visit(t: &Texts, o: ReturnVisitOutcome) -> &'static str {
    match o {
        ReturnVisitOutcome::Satisfied => t.rv_satisfied,
        ReturnVisitOutcome::ProblemPersists => t.rv_problem_persists,
        ReturnVisitOutcome::Unreachable => t.rv_unreachable,
    }
}

/// One of the survey's 4 levels.
pub fn level(t: &Texts, v: u8) -> &'static str {
    match v {
        1 => t.rate_1,
        2 => t.rate_2,
        3 => t.rate_3,
        _ => t.rate_4,
    }
}

/// The serde name of a unit enum value (`"wrong_power"`), for `<option value>`.
pub fn key<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// The value back from its key.
pub fn parse<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.to_string())).ok()
}

/// Parts typed one per line as `name quantity` (the last word is the count).
pub fn parse_parts(text: &str) -> Option<Vec<crate::domain::lifecycle::PartUsed>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (name, qty) = line.rsplit_once(char::is_whitespace).unwrap_or((line, "1"));
            let quantity = qty.trim().parse().ok().filter(|q| (1..=10_000).contains(q));
            match quantity {
                Some(quantity) => Some(crate::domain::lifecycle::PartUsed { name: name.trim().to_string(), quantity }),
                // No number at the end: the whole line is the name, one piece.
                None if qty.parse::<i64>().is_err() => Some(crate::domain::lifecycle::PartUsed { name: line.to_string(), quantity: 1 }),
                None => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_parts_parse() {
        assert_eq!(key(Exclusion::WrongPower), "wrong_power");
        assert_eq!(parse::<Exclusion>("wrong_power"), Some(Exclusion::WrongPower));
        assert_eq!(parse::<Exclusion>("nope"), None);
        let parts = parse_parts("CR123A 电池 2\n\n 接收模块\n").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].quantity), ("CR123A 电池", 2));
        assert_eq!((parts[1].name.as_str(), parts[1].quantity), ("接收模块", 1));
        assert!(parse_parts("螺丝 0").is_none());
        assert!(parse_parts("螺丝 -3").is_none());
    }
}
