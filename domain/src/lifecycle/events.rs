//! What happens to a case, as events: who did it and what they recorded.
//! The log of these events is the case; nothing is edited in place.

use serde::{Deserialize, Serialize};

use crate::clock::PartClass;
use crate::clock::PauseReason;
use crate::guide::Severity;
use crate::warranty::{Cause, Exclusion};

/// Longest note, description or comment, in characters.
pub const MAX_NOTES: usize = 2000;
/// Most parts on one work record.
pub const MAX_PARTS: usize = 50;
/// Most photos on one event.
pub const MAX_PHOTOS: usize = 10;

/// A note within `MAX_NOTES` characters (trimmed); `required`: not empty.
pub(super) fn notes_ok(notes: &str, required: bool) -> bool {
    let n = notes.trim().chars().count();
    n <= MAX_NOTES && (!required || n > 0)
}

/// Who did something to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Staff {
        id: i64,
    },
    /// The breach job.
    System,
}

impl Actor {
    /// As stored in `case_events.actor`.
    pub fn encode(self) -> String {
        match self {
            Actor::Customer => "customer".into(),
            Actor::System => "system".into(),
            Actor::Staff { id } => format!("staff:{id}"),
        }
    }

    pub fn decode(s: &str) -> Actor {
        match s.strip_prefix("staff:").and_then(|id| id.parse().ok()) {
            Some(id) => Actor::Staff { id },
            None if s == "system" => Actor::System,
            None => Actor::Customer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    Phone,
    Remote,
}

/// How a phone or remote session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// Fixed over the phone or remotely.
    Resolved,
    /// A technician must go on site.
    NeedsVisit,
    /// More contact needed.
    FollowUp,
}

/// Where a case is escalated beyond first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    Supervisor,
    TechnicalSupport,
    Manufacturer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachLevel {
    /// Not acknowledged in time, or not dispatched within 2 h: supervisor.
    Supervisor,
    /// Still not dispatched at 4 h: management.
    Management,
}

/// A part used on a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartUsed {
    pub name: String,
    pub quantity: u32,
}

impl PartUsed {
    /// Parts typed one per line as `name quantity` (the last word is the count).
    pub fn parse_lines(text: &str) -> Option<Vec<PartUsed>> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let (name, qty) = line.rsplit_once(char::is_whitespace).unwrap_or((line, "1"));
                let quantity = qty.trim().parse().ok().filter(|q| (1..=10_000).contains(q));
                match quantity {
                    Some(quantity) => Some(PartUsed { name: name.trim().to_string(), quantity }),
                    // No number at the end: the whole line is the name, one piece.
                    None if qty.parse::<i64>().is_err() => Some(PartUsed { name: line.to_string(), quantity: 1 }),
                    None => None,
                }
            })
            .collect()
    }
}

/// Beyond an on-site repair (brief's tier ladder): a spare swapped in, a
/// loaner lent, or the unit sent back to the factory, each tracked until back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapKind {
    Spare,
    Loaner,
    ReturnToFactory,
}

/// Complaint register (brief): type and gravity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintCategory {
    Quality,
    Human,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintGravity {
    Minor,
    Serious,
    Major,
}

/// How a return visit (回访) went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnVisitOutcome {
    Satisfied,
    ProblemPersists,
    Unreachable,
}

/// Satisfaction survey: each on 4 levels (4 = very satisfied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub attitude: u8,
    pub skill: u8,
    pub punctuality: u8,
    pub promise_kept: u8,
    pub comment: String,
}

impl Rating {
    pub fn valid(&self) -> bool {
        [self.attitude, self.skill, self.punctuality, self.promise_kept].iter().all(|v| (1..=4).contains(v))
            && notes_ok(&self.comment, false)
    }
}

/// One entry of a case's history. Stored as JSON in `case_events.data`
/// with the tag in `case_events.kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseEvent {
    /// The customer escalated from the widget; clocks start.
    Escalated {
        #[serde(default = "general")]
        severity: Severity,
    },
    /// The customer fixed it with a guide.
    SelfResolved,
    /// First-responder ownership; stops the response clock.
    Claimed,
    Transferred {
        to: i64,
    },
    Contacted {
        channel: ContactChannel,
        outcome: ContactOutcome,
        notes: String,
    },
    Paused {
        reason: PauseReason,
    },
    Resumed,
    SeverityChanged {
        from: Severity,
        to: Severity,
    },
    /// `late`: the appointment is after the arrival deadline (staff were warned).
    Dispatched {
        technician: i64,
        appointment_ms: i64,
        notes: String,
        late: bool,
    },
    /// The technician set off for the site; `eta_ms`: when they expect to
    /// arrive (the customer sees it, and may be texted).
    OnTheWay {
        eta_ms: i64,
    },
    CheckedIn,
    EscalatedTo {
        target: EscalationTarget,
        due_ms: i64,
        notes: String,
    },
    Resolved {
        summary: String,
    },
    Closed,
    /// The breach job raised a missed clock.
    BreachRaised {
        clock: crate::clock::ClockKind,
        level: BreachLevel,
    },
    /// The breach job's reminder that a clock's deadline draws near: an
    /// unclaimed case near its response deadline, a return visit coming due.
    DeadlineNear {
        clock: crate::clock::ClockKind,
    },
    /// Staff added a note (no state change).
    Noted {
        notes: String,
    },
    /// Staff wrote to the customer, who sees it in the widget.
    CustomerMessaged {
        text: String,
    },
    /// A paid job's price, for the customer to approve before dispatch.
    QuoteIssued {
        amount_cents: i64,
        description: String,
    },
    /// The customer's answer, from the widget.
    QuoteAnswered {
        approved: bool,
    },
    /// Diagnosis: who caused it (billing), any exclusion, the part class
    /// (repair target) and the component (its own warranty term).
    Diagnosed {
        cause: Cause,
        exclusion: Option<Exclusion>,
        part: PartClass,
        #[serde(default)]
        component: String,
        notes: String,
    },
    /// A technician's work record; several visits add several.
    WorkRecorded {
        findings: String,
        actions: String,
        parts: Vec<PartUsed>,
        minutes_worked: i64,
        /// Equipment out of service; extends the warranty.
        downtime_minutes: i64,
        #[serde(default)]
        photos: Vec<i64>,
    },
    UnitSwapped {
        swap: SwapKind,
        serial: String,
        notes: String,
    },
    UnitReturned {
        swap: SwapKind,
        serial: String,
        notes: String,
    },
    /// The customer signed the service report. `report` is the exact text
    /// signed and `hash` its SHA-256; the signature image is an attachment.
    ReportSigned {
        signer: String,
        signature: i64,
        report: String,
        hash: String,
    },
    /// A correction after signing is a new entry, never an edit.
    ReportCorrected {
        notes: String,
    },
    /// The customer added information or photos from the widget.
    InfoAdded {
        text: String,
        #[serde(default)]
        photos: Vec<i64>,
    },
    /// The customer confirmed (or not) that the fault is gone.
    Confirmed {
        fixed: bool,
        comment: String,
    },
    Rated {
        rating: Rating,
    },
    ComplaintRaised {
        category: ComplaintCategory,
        gravity: ComplaintGravity,
        text: String,
    },
    ComplaintAnswered {
        notes: String,
    },
    ReturnVisited {
        outcome: ReturnVisitOutcome,
        notes: String,
    },
}

fn general() -> Severity {
    Severity::General
}

impl CaseEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            CaseEvent::Escalated { .. } => "escalated",
            CaseEvent::SelfResolved => "self_resolved",
            CaseEvent::Claimed => "claimed",
            CaseEvent::Transferred { .. } => "transferred",
            CaseEvent::Contacted { .. } => "contacted",
            CaseEvent::Paused { .. } => "paused",
            CaseEvent::Resumed => "resumed",
            CaseEvent::SeverityChanged { .. } => "severity_changed",
            CaseEvent::Dispatched { .. } => "dispatched",
            CaseEvent::OnTheWay { .. } => "on_the_way",
            CaseEvent::CheckedIn => "checked_in",
            CaseEvent::EscalatedTo { .. } => "escalated_to",
            CaseEvent::Resolved { .. } => "resolved",
            CaseEvent::Closed => "closed",
            CaseEvent::BreachRaised { .. } => "breach_raised",
            CaseEvent::DeadlineNear { .. } => "deadline_near",
            CaseEvent::Noted { .. } => "noted",
            CaseEvent::CustomerMessaged { .. } => "customer_messaged",
            CaseEvent::QuoteIssued { .. } => "quote_issued",
            CaseEvent::QuoteAnswered { .. } => "quote_answered",
            CaseEvent::Diagnosed { .. } => "diagnosed",
            CaseEvent::WorkRecorded { .. } => "work_recorded",
            CaseEvent::UnitSwapped { .. } => "unit_swapped",
            CaseEvent::UnitReturned { .. } => "unit_returned",
            CaseEvent::ReportSigned { .. } => "report_signed",
            CaseEvent::ReportCorrected { .. } => "report_corrected",
            CaseEvent::InfoAdded { .. } => "info_added",
            CaseEvent::Confirmed { .. } => "confirmed",
            CaseEvent::Rated { .. } => "rated",
            CaseEvent::ComplaintRaised { .. } => "complaint_raised",
            CaseEvent::ComplaintAnswered { .. } => "complaint_answered",
            CaseEvent::ReturnVisited { .. } => "return_visited",
        }
    }

    /// Reads a stored event; `kind` wins over any tag inside `data`.
    pub fn from_stored(kind: &str, data: &str) -> Option<CaseEvent> {
        let mut value: serde_json::Value = serde_json::from_str(data).ok()?;
        let obj = value.as_object_mut()?;
        obj.insert("kind".into(), serde_json::Value::String(kind.into()));
        serde_json::from_value(value).ok()
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// A stored event with its time (ms) and actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedEvent {
    pub at_ms: i64,
    pub actor: Actor,
    pub event: CaseEvent,
}
