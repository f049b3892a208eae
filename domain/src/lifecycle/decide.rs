//! Staff actions: `decide` checks one against the case's state and the
//! actor, and returns the event that records it or why not. Who may do
//! what, and when, is `permit::gate`; `decide` adds the input checks.

use serde::{Deserialize, Serialize};

use super::events::*;
use super::permit::{gate, Act, Refusal, Staff};
use super::state::CaseState;
use crate::case::Role;
use crate::clock::{PartClass, PauseReason};
use crate::guide::Severity;
use crate::warranty::{Cause, Exclusion};

/// What a staff member asks to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CaseAction {
    Claim,
    Transfer {
        to: i64,
    },
    LogContact {
        channel: ContactChannel,
        outcome: ContactOutcome,
        notes: String,
    },
    Pause {
        reason: PauseReason,
    },
    Resume,
    ChangeSeverity {
        severity: Severity,
    },
    Dispatch {
        technician: i64,
        appointment_ms: i64,
        notes: String,
    },
    /// "On my way": arriving in about `minutes`.
    OnTheWay {
        minutes: i64,
    },
    CheckIn,
    EscalateTo {
        target: EscalationTarget,
        due_ms: i64,
        notes: String,
    },
    Resolve {
        summary: String,
    },
    Close,
    Note {
        notes: String,
    },
    /// A message the customer reads in the widget (and may answer with
    /// "add information"); unlike a note, not internal.
    MessageCustomer {
        text: String,
    },
    IssueQuote {
        amount_cents: i64,
        description: String,
    },
    Diagnose {
        cause: Cause,
        exclusion: Option<Exclusion>,
        part: PartClass,
        component: String,
        notes: String,
    },
    RecordWork {
        findings: String,
        actions: String,
        parts: Vec<PartUsed>,
        minutes_worked: i64,
        downtime_minutes: i64,
        photos: Vec<i64>,
    },
    Swap {
        swap: SwapKind,
        serial: String,
        notes: String,
    },
    SwapReturned {
        swap: SwapKind,
        serial: String,
        notes: String,
    },
    CorrectReport {
        notes: String,
    },
    /// Staff register a complaint the customer made (phone, visit, widget).
    RegisterComplaint {
        category: ComplaintCategory,
        gravity: ComplaintGravity,
        text: String,
    },
    AnswerComplaint {
        notes: String,
    },
    ReturnVisit {
        outcome: ReturnVisitOutcome,
        notes: String,
    },
}

/// The longest journey an "on my way" may announce: twelve hours.
pub const MAX_TRAVEL_MINUTES: i64 = 12 * 60;

/// A work record's hours and downtime: at most 60 days.
const MAX_MINUTES: i64 = 60 * 24 * 60;

/// Facts `decide` needs beyond the log.
pub struct Context<'a> {
    pub actor_id: i64,
    pub role: Role,
    pub now_ms: i64,
    /// Staff who may own a case (not technicians), and technicians.
    pub is_responder: &'a dyn Fn(i64) -> bool,
    pub is_technician: &'a dyn Fn(i64) -> bool,
    /// The arrival deadline, if the arrival clock runs.
    pub arrival_deadline_ms: Option<i64>,
    /// Out of warranty and not under contract: dispatch waits for an approved quote.
    pub paid_job: bool,
}

impl CaseAction {
    /// The act this action is, for `permit::gate`.
    pub fn act(&self) -> Act {
        match self {
            CaseAction::Claim => Act::Claim,
            CaseAction::Transfer { .. } => Act::Transfer,
            CaseAction::LogContact { .. } => Act::LogContact,
            CaseAction::Pause { .. } => Act::Pause,
            CaseAction::Resume => Act::Resume,
            CaseAction::ChangeSeverity { .. } => Act::ChangeSeverity,
            CaseAction::Dispatch { .. } => Act::Dispatch,
            CaseAction::OnTheWay { .. } => Act::OnTheWay,
            CaseAction::CheckIn => Act::CheckIn,
            CaseAction::EscalateTo { .. } => Act::EscalateTo,
            CaseAction::Resolve { .. } => Act::Resolve,
            CaseAction::Close => Act::Close,
            CaseAction::Note { .. } => Act::Note,
            CaseAction::MessageCustomer { .. } => Act::MessageCustomer,
            CaseAction::IssueQuote { .. } => Act::IssueQuote,
            CaseAction::Diagnose { .. } => Act::Diagnose,
            CaseAction::RecordWork { .. } => Act::RecordWork,
            CaseAction::Swap { .. } => Act::Swap,
            CaseAction::SwapReturned { .. } => Act::SwapReturned,
            CaseAction::CorrectReport { .. } => Act::CorrectReport,
            CaseAction::RegisterComplaint { .. } => Act::RegisterComplaint,
            CaseAction::AnswerComplaint { .. } => Act::AnswerComplaint,
            CaseAction::ReturnVisit { .. } => Act::ReturnVisit,
        }
    }
}

/// Checks an action and returns the event that records it: first who may
/// do it now (`permit::gate`), then what they gave.
pub fn decide(state: &CaseState, action: &CaseAction, cx: &Context) -> Result<CaseEvent, Refusal> {
    gate(state, action.act(), Staff { id: cx.actor_id, role: cx.role }, cx.paid_job)?;
    let input = |ok: bool| if ok { Ok(()) } else { Err(Refusal::Input) };
    match action {
        CaseAction::Claim => Ok(CaseEvent::Claimed),
        CaseAction::Transfer { to } => {
            if state.owner == Some(*to) {
                return Err(Refusal::State);
            }
            input((cx.is_responder)(*to))?;
            Ok(CaseEvent::Transferred { to: *to })
        }
        CaseAction::LogContact { channel, outcome, notes } => {
            input(notes_ok(notes, true))?;
            Ok(CaseEvent::Contacted { channel: *channel, outcome: *outcome, notes: notes.trim().into() })
        }
        CaseAction::Pause { reason } => Ok(CaseEvent::Paused { reason: *reason }),
        CaseAction::Resume => Ok(CaseEvent::Resumed),
        CaseAction::ChangeSeverity { severity } => {
            if state.severity == *severity {
                return Err(Refusal::State);
            }
            Ok(CaseEvent::SeverityChanged { from: state.severity, to: *severity })
        }
        CaseAction::Dispatch { technician, appointment_ms, notes } => {
            // An appointment in the past (a minute's grace) or over a year out is a typo.
            let year = 366 * 24 * 3_600_000;
            input(
                (cx.is_technician)(*technician)
                    && *appointment_ms >= cx.now_ms - 60_000
                    && *appointment_ms <= cx.now_ms + year
                    && notes_ok(notes, false),
            )?;
            let late = cx.arrival_deadline_ms.is_some_and(|d| *appointment_ms > d);
            Ok(CaseEvent::Dispatched { technician: *technician, appointment_ms: *appointment_ms, notes: notes.trim().into(), late })
        }
        CaseAction::OnTheWay { minutes } => {
            input((1..=MAX_TRAVEL_MINUTES).contains(minutes))?;
            Ok(CaseEvent::OnTheWay { eta_ms: cx.now_ms + minutes * 60_000 })
        }
        CaseAction::CheckIn => Ok(CaseEvent::CheckedIn),
        CaseAction::EscalateTo { target, due_ms, notes } => {
            input(*due_ms >= cx.now_ms && notes_ok(notes, true))?;
            Ok(CaseEvent::EscalatedTo { target: *target, due_ms: *due_ms, notes: notes.trim().into() })
        }
        CaseAction::Resolve { summary } => {
            input(notes_ok(summary, true))?;
            Ok(CaseEvent::Resolved { summary: summary.trim().into() })
        }
        CaseAction::Close => Ok(CaseEvent::Closed),
        CaseAction::Diagnose { cause, exclusion, part, component, notes } => {
            // A customer-caused fault names its exclusion; our own installation has none.
            let consistent = match cause {
                Cause::Customer => exclusion.is_some(),
                Cause::Installation => exclusion.is_none(),
                Cause::Product => true,
            };
            input(consistent && component.trim().chars().count() <= 60 && notes_ok(notes, false))?;
            Ok(CaseEvent::Diagnosed {
                cause: *cause,
                exclusion: *exclusion,
                part: *part,
                component: component.trim().into(),
                notes: notes.trim().into(),
            })
        }
        CaseAction::RecordWork { findings, actions, parts, minutes_worked, downtime_minutes, photos } => {
            let parts_ok = parts.len() <= MAX_PARTS
                && parts.iter().all(|p| (1..=10_000).contains(&p.quantity) && (1..=100).contains(&p.name.trim().chars().count()));
            input(
                notes_ok(findings, true)
                    && notes_ok(actions, true)
                    && parts_ok
                    && (0..=MAX_MINUTES).contains(minutes_worked)
                    && (0..=MAX_MINUTES).contains(downtime_minutes)
                    && photos.len() <= MAX_PHOTOS,
            )?;
            Ok(CaseEvent::WorkRecorded {
                findings: findings.trim().into(),
                actions: actions.trim().into(),
                parts: parts.iter().map(|p| PartUsed { name: p.name.trim().into(), quantity: p.quantity }).collect(),
                minutes_worked: *minutes_worked,
                downtime_minutes: *downtime_minutes,
                photos: photos.clone(),
            })
        }
        CaseAction::Swap { swap, serial, notes } => {
            input((1..=60).contains(&serial.trim().chars().count()) && notes_ok(notes, false))?;
            Ok(CaseEvent::UnitSwapped { swap: *swap, serial: serial.trim().into(), notes: notes.trim().into() })
        }
        CaseAction::SwapReturned { swap, serial, notes } => {
            // Only a unit that is out can come back.
            if !state.outstanding_swaps.iter().any(|(k, s)| k == swap && s == serial.trim()) {
                return Err(Refusal::State);
            }
            input(notes_ok(notes, false))?;
            Ok(CaseEvent::UnitReturned { swap: *swap, serial: serial.trim().into(), notes: notes.trim().into() })
        }
        CaseAction::CorrectReport { notes } => {
            input(notes_ok(notes, true))?;
            Ok(CaseEvent::ReportCorrected { notes: notes.trim().into() })
        }
        CaseAction::RegisterComplaint { category, gravity, text } => {
            input(notes_ok(text, true))?;
            Ok(CaseEvent::ComplaintRaised { category: *category, gravity: *gravity, text: text.trim().into() })
        }
        CaseAction::AnswerComplaint { notes } => {
            input(notes_ok(notes, true))?;
            Ok(CaseEvent::ComplaintAnswered { notes: notes.trim().into() })
        }
        CaseAction::ReturnVisit { outcome, notes } => {
            input(notes_ok(notes, *outcome == ReturnVisitOutcome::ProblemPersists))?;
            Ok(CaseEvent::ReturnVisited { outcome: *outcome, notes: notes.trim().into() })
        }
        CaseAction::IssueQuote { amount_cents, description } => {
            input((1..=100_000_000).contains(amount_cents) && notes_ok(description, true))?;
            Ok(CaseEvent::QuoteIssued { amount_cents: *amount_cents, description: description.trim().into() })
        }
        CaseAction::Note { notes } => {
            input(notes_ok(notes, true))?;
            Ok(CaseEvent::Noted { notes: notes.trim().into() })
        }
        CaseAction::MessageCustomer { text } => {
            input(notes_ok(text, true))?;
            Ok(CaseEvent::CustomerMessaged { text: text.trim().into() })
        }
    }
}
