//! Words for the domain's vocabulary (statuses, severities, events, causes,
//! exclusions, swaps, …) in the reader's language, and the keys their
//! `<select>` options use: one place for every enum's label, shared by the
//! widget and the console.

use super::live::{clock_name, pause_name};
use crate::domain::clock::PartClass;
use crate::domain::guide::{Severity, Tier};
use crate::domain::lifecycle::{
    BreachLevel, CaseEvent, ComplaintCategory, ComplaintGravity, ContactChannel, ContactOutcome, EscalationTarget, ReturnVisitOutcome,
    SwapKind,
};
use crate::domain::warranty::{BillingClass, Cause, Exclusion};
use crate::i18n::{fill, ConsoleTexts, Texts};
use crate::models::{CaseStatus, Role};

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

/// A timeline line in words, and its free-text notes if any.
pub fn event_text(t: &Texts, e: &CaseEvent, names: &[(i64, String)]) -> (String, Option<String>) {
    let name = |id: i64| names.iter().find(|(i, _)| *i == id).map_or_else(|| format!("#{id}"), |(_, n)| n.clone());
    let notes = |n: &str| (!n.is_empty()).then(|| n.to_string());
    match e {
        CaseEvent::Escalated { severity } => (format!("{} · {}", t.ev_escalated, self::severity_name(t, *severity)), None),
        CaseEvent::SelfResolved => (t.ev_self_resolved.into(), None),
        CaseEvent::Claimed => (t.ev_claimed.into(), None),
        CaseEvent::Transferred { to } => (fill(t.ev_transferred, name(*to)), None),
        CaseEvent::Contacted { channel, outcome, notes: n } => {
            (format!("{} · {}", self::channel_name(t, *channel), self::outcome_name(t, *outcome)), notes(n))
        }
        CaseEvent::Paused { reason } => (fill(t.ev_paused, pause_name(t, *reason)), None),
        CaseEvent::Resumed => (t.ev_resumed.into(), None),
        CaseEvent::SeverityChanged { to, .. } => (fill(t.ev_severity, self::severity_name(t, *to)), None),
        CaseEvent::Dispatched { technician, notes: n, late, .. } => {
            let mut s = fill(t.ev_dispatched, name(*technician));
            if *late {
                s.push_str(&format!(" ({})", t.ev_late));
            }
            (s, notes(n))
        }
        CaseEvent::OnTheWay { .. } => (t.ev_on_the_way.into(), None),
        CaseEvent::CheckedIn => (t.ev_checked_in.into(), None),
        CaseEvent::EscalatedTo { target, notes: n, .. } => (fill(t.ev_escalated_to, self::target_name(t, *target)), notes(n)),
        CaseEvent::Resolved { summary } => (t.ev_resolved.into(), notes(summary)),
        CaseEvent::Closed => (t.ev_closed.into(), None),
        CaseEvent::BreachRaised { clock, level } => {
            let template = match level {
                BreachLevel::Supervisor => t.ev_breach_supervisor,
                BreachLevel::Management => t.ev_breach_management,
            };
            (fill(template, clock_name(t, *clock)), None)
        }
        CaseEvent::DeadlineNear { clock } => (fill(t.ev_deadline_near, clock_name(t, *clock)), None),
        CaseEvent::Noted { notes: n } => (t.ev_noted.into(), notes(n)),
        CaseEvent::CustomerMessaged { text } => (t.ev_customer_messaged.into(), notes(text)),
        CaseEvent::QuoteIssued { amount_cents, description } => (fill(t.ev_quote_issued, t.money(*amount_cents)), notes(description)),
        CaseEvent::QuoteAnswered { approved: true } => (t.ev_quote_approved.into(), None),
        CaseEvent::QuoteAnswered { approved: false } => (t.ev_quote_declined.into(), None),
        CaseEvent::Diagnosed { cause, exclusion, part, component, notes: n } => {
            let mut what = vec![self::cause(t, *cause), self::part(t, *part)];
            if let Some(x) = exclusion {
                what.push(self::exclusion(t, *x));
            }
            let mut s = fill(t.ev_diagnosed, what.join(" · "));
            if !component.is_empty() {
                s.push_str(&format!(" ({component})"));
            }
            (s, notes(n))
        }
        CaseEvent::WorkRecorded { findings, actions, parts, minutes_worked, photos, .. } => {
            let mut lines = vec![format!("{}{}{}", t.f_findings, t.colon, findings), format!("{}{}{}", t.f_actions, t.colon, actions)];
            if !parts.is_empty() {
                let list = parts.iter().map(|p| format!("{} ×{}", p.name, p.quantity)).collect::<Vec<_>>().join(", ");
                lines.push(format!("{}{}{}", t.report_parts, t.colon, list));
            }
            lines.push(format!("{}{}{}", t.report_hours, t.colon, fill(t.report_minutes, minutes_worked)));
            if !photos.is_empty() {
                lines.push(fill(t.ev_photos, photos.len()));
            }
            (t.ev_work_recorded.into(), Some(lines.join("\n")))
        }
        CaseEvent::UnitSwapped { swap, serial, notes: n } => (format!("{} · {serial}", self::swap(t, *swap)), notes(n)),
        CaseEvent::UnitReturned { swap, serial, notes: n } => {
            (fill(t.ev_unit_returned, format!("{} · {serial}", self::swap(t, *swap))), notes(n))
        }
        CaseEvent::ReportSigned { signer, .. } => (fill(t.ev_report_signed, signer), None),
        CaseEvent::ReportCorrected { notes: n } => (t.ev_report_corrected.into(), notes(n)),
        CaseEvent::InfoAdded { text, photos } => {
            let mut s = t.ev_info_added.to_string();
            if !photos.is_empty() {
                s.push_str(&format!(" · {}", fill(t.ev_photos, photos.len())));
            }
            (s, notes(text))
        }
        CaseEvent::Confirmed { fixed: true, comment } => (t.ev_confirmed_fixed.into(), notes(comment)),
        CaseEvent::Confirmed { fixed: false, comment } => (t.ev_confirmed_not_fixed.into(), notes(comment)),
        CaseEvent::Rated { rating } => {
            let parts = [
                (t.r_attitude, rating.attitude),
                (t.r_skill, rating.skill),
                (t.r_punctuality, rating.punctuality),
                (t.r_promise, rating.promise_kept),
            ];
            let text = parts.iter().map(|(k, v)| format!("{k} {}", self::level(t, *v))).collect::<Vec<_>>().join(" · ");
            (fill(t.ev_rated, text), notes(&rating.comment))
        }
        CaseEvent::ComplaintRaised { category, gravity, text } => {
            (fill(t.ev_complaint_raised, format!("{} · {}", self::complaint(t, *category), self::gravity(t, *gravity))), notes(text))
        }
        CaseEvent::ComplaintAnswered { notes: n } => (t.ev_complaint_answered.into(), notes(n)),
        CaseEvent::ReturnVisited { outcome, notes: n } => (fill(t.ev_return_visited, self::return_visit(t, *outcome)), notes(n)),
    }
}

pub fn channel_name(t: &Texts, c: ContactChannel) -> &'static str {
    match c {
        ContactChannel::Phone => t.channel_phone,
        ContactChannel::Remote => t.channel_remote,
    }
}

pub fn outcome_name(t: &Texts, o: ContactOutcome) -> &'static str {
    match o {
        ContactOutcome::Resolved => t.outcome_resolved,
        ContactOutcome::NeedsVisit => t.outcome_needs_visit,
        ContactOutcome::FollowUp => t.outcome_follow_up,
    }
}

pub fn target_name(t: &Texts, x: EscalationTarget) -> &'static str {
    match x {
        EscalationTarget::Supervisor => t.target_supervisor,
        EscalationTarget::TechnicalSupport => t.target_technical_support,
        EscalationTarget::Manufacturer => t.target_manufacturer,
    }
}

pub fn tier_name(t: &ConsoleTexts, tier: Tier) -> &'static str {
    match tier {
        Tier::Phone => t.tier_phone,
        Tier::Remote => t.tier_remote,
        Tier::OnSite => t.tier_on_site,
        Tier::ReturnToFactory => t.tier_return_to_factory,
    }
}

pub fn status_name(t: &Texts, s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Escalated => t.status_escalated,
        CaseStatus::Acknowledged => t.status_acknowledged,
        CaseStatus::Dispatched => t.status_dispatched,
        CaseStatus::OnSite => t.status_on_site,
        CaseStatus::Resolved => t.status_resolved,
        CaseStatus::Closed => t.status_closed,
        CaseStatus::SelfResolved => t.status_self_resolved,
    }
}

pub fn billing_name(t: &ConsoleTexts, b: BillingClass) -> &'static str {
    match b {
        BillingClass::A => t.billing_a,
        BillingClass::B => t.billing_b,
        BillingClass::C => t.billing_c,
        BillingClass::D => t.billing_d,
    }
}

/// The billing class as the customer reads it on the service report:
/// what it means for them, not the internal letter.
pub fn charge_name(t: &ConsoleTexts, b: BillingClass) -> &'static str {
    match b {
        BillingClass::A => t.charge_a,
        BillingClass::B => t.charge_b,
        BillingClass::C => t.charge_c,
        BillingClass::D => t.charge_d,
    }
}

pub fn severity_name(t: &Texts, s: Severity) -> &'static str {
    match s {
        Severity::Emergency => t.severity_emergency,
        Severity::Major => t.severity_major,
        Severity::General => t.severity_general,
    }
}

pub fn role_name(t: &ConsoleTexts, r: Role) -> &'static str {
    match r {
        Role::Admin => t.role_admin,
        Role::Supervisor => t.role_supervisor,
        Role::Dispatcher => t.role_dispatcher,
        Role::Technician => t.role_technician,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        assert_eq!(key(Exclusion::WrongPower), "wrong_power");
        assert_eq!(parse::<Exclusion>("wrong_power"), Some(Exclusion::WrongPower));
        assert_eq!(parse::<Exclusion>("nope"), None);
    }
}
