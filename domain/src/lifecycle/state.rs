//! What the log says about a case now: folded from its events.

use serde::{Deserialize, Serialize};

use super::events::*;
use crate::case::CaseStatus;
use crate::clock::{ClockEvent, PartClass, PauseReason};
use crate::guide::Severity;
use crate::warranty::{Cause, Exclusion};

/// What the log says about a case now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub status: CaseStatus,
    pub severity: Severity,
    pub owner: Option<i64>,
    pub technician: Option<i64>,
    pub appointment_ms: Option<i64>,
    /// The technician is on the way, expected then (until they check in).
    pub eta_ms: Option<i64>,
    pub paused: Option<PauseReason>,
    pub resolved_at_ms: Option<i64>,
    pub quote: Option<Quote>,
    /// The latest diagnosis.
    pub diagnosis: Option<Diagnosis>,
    /// A technician checked in at least once: the job needs a signed report.
    pub visited: bool,
    pub signed: bool,
    pub confirmed: Option<bool>,
    pub rated: bool,
    pub complaint_open: bool,
    pub return_visited: bool,
    /// Swaps, loaners and factory returns not back yet.
    pub outstanding_swaps: Vec<(SwapKind, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub cause: Cause,
    pub exclusion: Option<Exclusion>,
    pub part: PartClass,
    pub component: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub amount_cents: i64,
    pub description: String,
    /// `None` until the customer answers.
    pub approved: Option<bool>,
}

impl CaseState {
    pub fn from_log(log: &[LoggedEvent]) -> CaseState {
        let mut s = CaseState {
            status: CaseStatus::Escalated,
            severity: Severity::General,
            owner: None,
            technician: None,
            appointment_ms: None,
            eta_ms: None,
            paused: None,
            resolved_at_ms: None,
            quote: None,
            diagnosis: None,
            visited: false,
            signed: false,
            confirmed: None,
            rated: false,
            complaint_open: false,
            return_visited: false,
            outstanding_swaps: Vec::new(),
        };
        for e in log {
            match (&e.event, e.actor) {
                (CaseEvent::Escalated { severity }, _) => {
                    s.status = CaseStatus::Escalated;
                    s.severity = *severity;
                }
                (CaseEvent::SelfResolved, _) => s.status = CaseStatus::SelfResolved,
                (CaseEvent::Claimed, Actor::Staff { id }) => {
                    s.owner = Some(id);
                    s.status = CaseStatus::Acknowledged;
                }
                (CaseEvent::Transferred { to }, _) => s.owner = Some(*to),
                (CaseEvent::Contacted { outcome: ContactOutcome::Resolved, .. }, _) | (CaseEvent::Resolved { .. }, _) => {
                    s.status = CaseStatus::Resolved;
                    s.paused = None;
                    s.eta_ms = None;
                    s.resolved_at_ms = Some(e.at_ms);
                }
                (CaseEvent::Paused { reason }, _) => s.paused = Some(*reason),
                (CaseEvent::Resumed, _) => s.paused = None,
                (CaseEvent::SeverityChanged { to, .. }, _) => s.severity = *to,
                (CaseEvent::Dispatched { technician, appointment_ms, .. }, _) => {
                    s.technician = Some(*technician);
                    s.appointment_ms = Some(*appointment_ms);
                    s.eta_ms = None;
                    s.status = CaseStatus::Dispatched;
                }
                (CaseEvent::OnTheWay { eta_ms }, _) => s.eta_ms = Some(*eta_ms),
                (CaseEvent::CheckedIn, _) => {
                    s.eta_ms = None;
                    s.status = CaseStatus::OnSite;
                    s.visited = true;
                }
                (CaseEvent::Diagnosed { cause, exclusion, part, component, .. }, _) => {
                    s.diagnosis = Some(Diagnosis { cause: *cause, exclusion: *exclusion, part: *part, component: component.clone() })
                }
                (CaseEvent::UnitSwapped { swap, serial, .. }, _) => s.outstanding_swaps.push((*swap, serial.clone())),
                (CaseEvent::UnitReturned { swap, serial, .. }, _) => {
                    if let Some(i) = s.outstanding_swaps.iter().position(|(k, n)| k == swap && n == serial) {
                        s.outstanding_swaps.remove(i);
                    }
                }
                (CaseEvent::ReportSigned { .. }, _) => s.signed = true,
                (CaseEvent::Confirmed { fixed, .. }, _) => s.confirmed = Some(*fixed),
                (CaseEvent::Rated { .. }, _) => s.rated = true,
                (CaseEvent::ComplaintRaised { .. }, _) => s.complaint_open = true,
                (CaseEvent::ComplaintAnswered { .. }, _) => s.complaint_open = false,
                (CaseEvent::ReturnVisited { .. }, _) => s.return_visited = true,
                (CaseEvent::Closed, _) => {
                    s.status = CaseStatus::Closed;
                    s.eta_ms = None;
                }
                (CaseEvent::QuoteIssued { amount_cents, description }, _) => {
                    s.quote = Some(Quote { amount_cents: *amount_cents, description: description.clone(), approved: None })
                }
                (CaseEvent::QuoteAnswered { approved }, _) => {
                    if let Some(q) = s.quote.as_mut() {
                        q.approved = Some(*approved);
                    }
                }
                _ => {}
            }
        }
        s
    }

    pub fn open(&self) -> bool {
        self.status.is_open()
    }
}

/// The clock-moving events of a log, in minutes.
pub fn clock_events(log: &[LoggedEvent]) -> Vec<ClockEvent> {
    log.iter()
        .filter_map(|e| {
            let at = e.at_ms.div_euclid(60_000);
            Some(match &e.event {
                CaseEvent::Escalated { severity } => ClockEvent::Escalated { at, severity: *severity },
                CaseEvent::Claimed => ClockEvent::Acknowledged { at },
                CaseEvent::Dispatched { .. } => ClockEvent::Dispatched { at },
                CaseEvent::CheckedIn => ClockEvent::CheckedIn { at },
                CaseEvent::Resolved { .. } | CaseEvent::Contacted { outcome: ContactOutcome::Resolved, .. } => ClockEvent::Resolved { at },
                CaseEvent::Paused { reason } => ClockEvent::Paused { at, reason: *reason },
                CaseEvent::Resumed => ClockEvent::Resumed { at },
                CaseEvent::SeverityChanged { to, .. } => ClockEvent::SeverityChanged { at, severity: *to },
                CaseEvent::Diagnosed { part, .. } => ClockEvent::PartClassSet { at, part: *part },
                CaseEvent::ComplaintRaised { .. } => ClockEvent::ComplaintRaised { at },
                CaseEvent::ComplaintAnswered { .. } => ClockEvent::ComplaintAnswered { at },
                CaseEvent::ReturnVisited { .. } => ClockEvent::ReturnVisitDone { at },
                _ => return None,
            })
        })
        .collect()
}
