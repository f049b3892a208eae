//! Warranty and billing rules from the brief: who pays for a repair.

use serde::{Deserialize, Serialize};

use super::calendar::Date;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warranty {
    /// Acceptance signed or commissioning date.
    pub start: Date,
    pub months: u32,
    /// The manufacturer's term wins when it is longer.
    pub manufacturer_months: Option<u32>,
    /// Per-component terms, e.g. main unit 36, parts 12.
    pub components: Vec<(String, u32)>,
}

/// Facts found at diagnosis that make a job paid even inside warranty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    HumanDamage,
    ForceMajeure,
    UnauthorisedRepair,
    Misuse,
    WrongPower,
    Virus,
}

/// Who caused the fault, as attributed at diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The product failed: warranty or contract terms decide.
    Product,
    /// Our own installation: the service company pays (internal).
    Installation,
    /// The customer's doing (with an exclusion named): paid.
    Customer,
}

impl Exclusion {
    pub const ALL: [Exclusion; 6] = [
        Exclusion::HumanDamage,
        Exclusion::ForceMajeure,
        Exclusion::UnauthorisedRepair,
        Exclusion::Misuse,
        Exclusion::WrongPower,
        Exclusion::Virus,
    ];
}

/// A paid · B maintenance contract · C warranty · D internal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingClass {
    A,
    B,
    C,
    D,
}

impl Warranty {
    fn term_months(&self, component: Option<&str>) -> u32 {
        let base = match component.and_then(|c| self.components.iter().find(|(name, _)| name == c)) {
            Some((_, months)) => *months,
            None => self.months,
        };
        base.max(self.manufacturer_months.unwrap_or(0))
    }

    /// Last day covered. Downtime during warranty (days the equipment was out
    /// of service for a covered fault) is added to the term.
    pub fn end(&self, component: Option<&str>, downtime_days: u32) -> Date {
        self.start.add_months(self.term_months(component) as i32).add_days(downtime_days as i64 - 1)
    }

    pub fn covers(&self, on: Date, component: Option<&str>, downtime_days: u32) -> bool {
        self.start <= on && on <= self.end(component, downtime_days)
    }
}

/// Who pays. Internal jobs are internal; a found exclusion makes the job paid;
/// otherwise warranty, then a maintenance contract, then paid.
pub fn billing_class(in_warranty: bool, under_contract: bool, internal: bool, exclusions: &[Exclusion]) -> BillingClass {
    if internal {
        BillingClass::D
    } else if !exclusions.is_empty() {
        BillingClass::A
    } else if in_warranty {
        BillingClass::C
    } else if under_contract {
        BillingClass::B
    } else {
        BillingClass::A
    }
}

/// Billing once diagnosis attributed the cause; before diagnosis, the
/// warranty and contract decide as for a product fault.
pub fn billing_with_cause(in_warranty: bool, under_contract: bool, cause: Option<Cause>, exclusion: Option<Exclusion>) -> BillingClass {
    match cause {
        Some(Cause::Installation) => BillingClass::D,
        Some(Cause::Customer) => BillingClass::A,
        _ => billing_class(in_warranty, under_contract, false, exclusion.as_slice()),
    }
}

/// Whole days of downtime to add to a warranty (part days count as a day).
pub fn downtime_days(downtime_minutes: i64) -> u32 {
    u32::try_from((downtime_minutes.max(0) + 24 * 60 - 1) / (24 * 60)).unwrap_or(u32::MAX)
}

/// Parses per-component terms as stored on an asset: `[["main_unit", 36], …]`.
pub fn parse_components(text: &str) -> Vec<(String, u32)> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A paid job needs the customer's approval of a quote before dispatch.
pub fn needs_quote_approval(class: BillingClass) -> bool {
    class == BillingClass::A
}

/// Earlier repairs of one asset: (resolved on, fault code, case id).
pub type RepairHistory<'a> = &'a [(Date, &'a str, i64)];

/// The same fault repaired three times (this one included) → replace the unit.
pub fn should_replace_unit(history: RepairHistory, fault: &str) -> bool {
    history.iter().filter(|(_, f, _)| *f == fault).count() + 1 >= 3
}

/// The same fault again within 30 days of its last repair is a free return
/// visit linked to that case.
pub fn return_visit_of(history: RepairHistory, fault: &str, reported_on: Date) -> Option<i64> {
    history
        .iter()
        .filter(|(on, f, _)| *f == fault && *on <= reported_on && reported_on.to_days() - on.to_days() <= 30)
        .max_by_key(|(on, _, _)| *on)
        .map(|(_, _, case)| *case)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn terms_components_manufacturer_and_downtime() {
        let w = Warranty { start: d("2025-03-15"), months: 12, manufacturer_months: None, components: vec![("main_unit".into(), 36)] };
        assert_eq!(w.end(None, 0), d("2026-03-14"));
        assert_eq!(w.end(Some("main_unit"), 0), d("2028-03-14"));
        assert_eq!(w.end(Some("unknown"), 0), d("2026-03-14"));
        // 10 days out of service during warranty extend it by 10 days.
        assert_eq!(w.end(None, 10), d("2026-03-24"));
        assert!(w.covers(d("2026-03-14"), None, 0));
        assert!(!w.covers(d("2026-03-15"), None, 0));
        assert!(!w.covers(d("2025-03-14"), None, 0));
        let longer = Warranty { manufacturer_months: Some(24), ..w };
        assert_eq!(longer.end(None, 0), d("2027-03-14"));
    }

    #[test]
    fn billing_classes() {
        assert_eq!(billing_class(true, false, false, &[]), BillingClass::C);
        assert_eq!(billing_class(true, true, false, &[Exclusion::WrongPower]), BillingClass::A);
        assert_eq!(billing_class(false, true, false, &[]), BillingClass::B);
        assert_eq!(billing_class(false, false, false, &[]), BillingClass::A);
        assert_eq!(billing_class(false, false, true, &[Exclusion::Misuse]), BillingClass::D);
        assert!(needs_quote_approval(BillingClass::A));
        assert!(!needs_quote_approval(BillingClass::C));
        assert_eq!(billing_with_cause(true, false, Some(Cause::Installation), None), BillingClass::D);
        assert_eq!(billing_with_cause(true, false, Some(Cause::Customer), Some(Exclusion::HumanDamage)), BillingClass::A);
        assert_eq!(billing_with_cause(true, false, Some(Cause::Product), None), BillingClass::C);
        assert_eq!(billing_with_cause(true, false, Some(Cause::Product), Some(Exclusion::WrongPower)), BillingClass::A);
        assert_eq!(billing_with_cause(false, true, None, None), BillingClass::B);
    }

    #[test]
    fn downtime_and_component_terms() {
        assert_eq!(downtime_days(0), 0);
        assert_eq!(downtime_days(1), 1);
        assert_eq!(downtime_days(24 * 60), 1);
        assert_eq!(downtime_days(24 * 60 + 1), 2);
        assert_eq!(downtime_days(-5), 0);
        assert_eq!(parse_components(r#"[["main_unit",36],["parts",12]]"#), vec![("main_unit".into(), 36), ("parts".into(), 12)]);
        assert!(parse_components("").is_empty());
    }

    #[test]
    fn repeat_faults() {
        let history = [(d("2026-01-10"), "no_power", 11), (d("2026-06-01"), "no_power", 12), (d("2026-06-20"), "battery", 13)];
        assert!(should_replace_unit(&history, "no_power"));
        assert!(!should_replace_unit(&history, "battery"));
        assert_eq!(return_visit_of(&history, "no_power", d("2026-07-01")), Some(12));
        assert_eq!(return_visit_of(&history, "no_power", d("2026-07-02")), None);
        assert_eq!(return_visit_of(&history, "battery", d("2026-07-01")), Some(13));
        assert_eq!(return_visit_of(&history, "comms", d("2026-07-01")), None);
    }
}
