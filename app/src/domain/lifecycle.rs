//! The case lifecycle: what staff may do to a case, and when.
//!
//! A case's state is folded from its event log (never edited in place), so
//! the same log gives the status, the owner and the clocks. `decide` checks
//! one staff action against the state and the actor's role and returns the
//! event to append, or why not.

use serde::{Deserialize, Serialize};

use super::clock::{ClockEvent, PartClass, PauseReason};
use super::guide::Severity;
use super::warranty::{Cause, Exclusion};
use crate::models::{CaseStatus, Role};

/// Who did something to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Staff { id: i64 },
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
        [self.attitude, self.skill, self.punctuality, self.promise_kept].iter().all(|v| (1..=4).contains(v)) && notes_ok(&self.comment, false)
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
    Transferred { to: i64 },
    Contacted { channel: ContactChannel, outcome: ContactOutcome, notes: String },
    Paused { reason: PauseReason },
    Resumed,
    SeverityChanged { from: Severity, to: Severity },
    /// `late`: the appointment is after the arrival deadline (staff were warned).
    Dispatched { technician: i64, appointment_ms: i64, notes: String, late: bool },
    CheckedIn,
    EscalatedTo { target: EscalationTarget, due_ms: i64, notes: String },
    Resolved { summary: String },
    Closed,
    /// The breach job raised a missed clock.
    BreachRaised { clock: super::clock::ClockKind, level: BreachLevel },
    /// Staff added a note (no state change).
    Noted { notes: String },
    /// A paid job's price, for the customer to approve before dispatch.
    QuoteIssued { amount_cents: i64, description: String },
    /// The customer's answer, from the widget.
    QuoteAnswered { approved: bool },
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
    UnitSwapped { swap: SwapKind, serial: String, notes: String },
    UnitReturned { swap: SwapKind, serial: String, notes: String },
    /// The customer signed the service report. `report` is the exact text
    /// signed and `hash` its SHA-256; the signature image is an attachment.
    ReportSigned { signer: String, signature: i64, report: String, hash: String },
    /// A correction after signing is a new entry, never an edit.
    ReportCorrected { notes: String },
    /// The customer added information or photos from the widget.
    InfoAdded {
        text: String,
        #[serde(default)]
        photos: Vec<i64>,
    },
    /// The customer confirmed (or not) that the fault is gone.
    Confirmed { fixed: bool, comment: String },
    Rated { rating: Rating },
    ComplaintRaised { category: ComplaintCategory, gravity: ComplaintGravity, text: String },
    ComplaintAnswered { notes: String },
    ReturnVisited { outcome: ReturnVisitOutcome, notes: String },
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
            CaseEvent::CheckedIn => "checked_in",
            CaseEvent::EscalatedTo { .. } => "escalated_to",
            CaseEvent::Resolved { .. } => "resolved",
            CaseEvent::Closed => "closed",
            CaseEvent::BreachRaised { .. } => "breach_raised",
            CaseEvent::Noted { .. } => "noted",
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

/// What the log says about a case now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub status: CaseStatus,
    pub severity: Severity,
    pub owner: Option<i64>,
    pub technician: Option<i64>,
    pub appointment_ms: Option<i64>,
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
                    s.resolved_at_ms = Some(e.at_ms);
                }
                (CaseEvent::Paused { reason }, _) => s.paused = Some(*reason),
                (CaseEvent::Resumed, _) => s.paused = None,
                (CaseEvent::SeverityChanged { to, .. }, _) => s.severity = *to,
                (CaseEvent::Dispatched { technician, appointment_ms, .. }, _) => {
                    s.technician = Some(*technician);
                    s.appointment_ms = Some(*appointment_ms);
                    s.status = CaseStatus::Dispatched;
                }
                (CaseEvent::CheckedIn, _) => {
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
                (CaseEvent::Closed, _) => s.status = CaseStatus::Closed,
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

    fn open(&self) -> bool {
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
                CaseEvent::Resolved { .. } | CaseEvent::Contacted { outcome: ContactOutcome::Resolved, .. } => {
                    ClockEvent::Resolved { at }
                }
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

/// What a staff member asks to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CaseAction {
    Claim,
    Transfer { to: i64 },
    LogContact { channel: ContactChannel, outcome: ContactOutcome, notes: String },
    Pause { reason: PauseReason },
    Resume,
    ChangeSeverity { severity: Severity },
    Dispatch { technician: i64, appointment_ms: i64, notes: String },
    CheckIn,
    EscalateTo { target: EscalationTarget, due_ms: i64, notes: String },
    Resolve { summary: String },
    Close,
    Note { notes: String },
    IssueQuote { amount_cents: i64, description: String },
    Diagnose { cause: Cause, exclusion: Option<Exclusion>, part: PartClass, component: String, notes: String },
    RecordWork { findings: String, actions: String, parts: Vec<PartUsed>, minutes_worked: i64, downtime_minutes: i64, photos: Vec<i64> },
    Swap { swap: SwapKind, serial: String, notes: String },
    SwapReturned { swap: SwapKind, serial: String, notes: String },
    CorrectReport { notes: String },
    /// Staff register a complaint the customer made (phone, visit, widget).
    RegisterComplaint { category: ComplaintCategory, gravity: ComplaintGravity, text: String },
    AnswerComplaint { notes: String },
    ReturnVisit { outcome: ReturnVisitOutcome, notes: String },
}

/// What a customer may do through the widget with the case token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CustomerAction {
    AddInfo { text: String, photos: Vec<i64> },
    Confirm { fixed: bool, comment: String },
    Rate { rating: Rating },
    Complain { category: ComplaintCategory, gravity: ComplaintGravity, text: String },
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The role may never do this.
    Role,
    /// Only the owner (or a supervisor) may do this.
    NotOwner,
    /// Not in this state (e.g. closing an open case, claiming a claimed one).
    State,
    /// A field is empty, too long or out of range.
    Input,
    /// A paid job: the customer has not approved the quote yet.
    QuoteNotApproved,
    /// A visit's report must be signed by the customer before closing.
    NotSigned,
}

pub const MAX_NOTES: usize = 2000;
pub const MAX_PARTS: usize = 50;
pub const MAX_PHOTOS: usize = 10;
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

fn notes_ok(notes: &str, required: bool) -> bool {
    let n = notes.trim().chars().count();
    n <= MAX_NOTES && (!required || n > 0)
}

/// Checks an action and returns the event that records it.
pub fn decide(state: &CaseState, action: &CaseAction, cx: &Context) -> Result<CaseEvent, Refusal> {
    use Role::*;
    let lead = matches!(cx.role, Supervisor | Admin);
    let owner = state.owner == Some(cx.actor_id);
    let assigned_tech = cx.role == Technician && state.technician == Some(cx.actor_id);
    // Owner-or-lead actions on an open case.
    let manage = |open_needed: bool| -> Result<(), Refusal> {
        if cx.role == Technician {
            return Err(Refusal::Role);
        }
        if open_needed && !state.open() {
            return Err(Refusal::State);
        }
        if !(owner || lead) {
            return Err(Refusal::NotOwner);
        }
        Ok(())
    };
    match action {
        CaseAction::Claim => {
            if cx.role == Technician {
                return Err(Refusal::Role);
            }
            if state.status != CaseStatus::Escalated || state.owner.is_some() {
                return Err(Refusal::State);
            }
            Ok(CaseEvent::Claimed)
        }
        CaseAction::Transfer { to } => {
            manage(true)?;
            if state.owner.is_none() || state.owner == Some(*to) {
                return Err(Refusal::State);
            }
            if !(cx.is_responder)(*to) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::Transferred { to: *to })
        }
        CaseAction::LogContact { channel, outcome, notes } => {
            manage(true)?;
            if state.owner.is_none() {
                return Err(Refusal::State);
            }
            if !notes_ok(notes, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::Contacted { channel: *channel, outcome: *outcome, notes: notes.trim().into() })
        }
        CaseAction::Pause { reason } => {
            manage(true)?;
            if state.paused.is_some() {
                return Err(Refusal::State);
            }
            Ok(CaseEvent::Paused { reason: *reason })
        }
        CaseAction::Resume => {
            manage(true)?;
            if state.paused.is_none() {
                return Err(Refusal::State);
            }
            Ok(CaseEvent::Resumed)
        }
        CaseAction::ChangeSeverity { severity } => {
            manage(true)?;
            if state.severity == *severity {
                return Err(Refusal::State);
            }
            Ok(CaseEvent::SeverityChanged { from: state.severity, to: *severity })
        }
        CaseAction::Dispatch { technician, appointment_ms, notes } => {
            manage(true)?;
            if state.owner.is_none() || state.status == CaseStatus::OnSite || state.paused.is_some() {
                return Err(Refusal::State);
            }
            // An appointment in the past (a minute's grace) or over a year out is a typo.
            let year = 366 * 24 * 3_600_000;
            if !(cx.is_technician)(*technician)
                || *appointment_ms < cx.now_ms - 60_000
                || *appointment_ms > cx.now_ms + year
                || !notes_ok(notes, false)
            {
                return Err(Refusal::Input);
            }
            if cx.paid_job && !state.quote.as_ref().is_some_and(|q| q.approved == Some(true)) {
                return Err(Refusal::QuoteNotApproved);
            }
            let late = cx.arrival_deadline_ms.is_some_and(|d| *appointment_ms > d);
            Ok(CaseEvent::Dispatched { technician: *technician, appointment_ms: *appointment_ms, notes: notes.trim().into(), late })
        }
        CaseAction::CheckIn => {
            if !(state.technician == Some(cx.actor_id) || lead) {
                return Err(if cx.role == Technician { Refusal::NotOwner } else { Refusal::Role });
            }
            if state.status != CaseStatus::Dispatched {
                return Err(Refusal::State);
            }
            Ok(CaseEvent::CheckedIn)
        }
        CaseAction::EscalateTo { target, due_ms, notes } => {
            manage(true)?;
            if *due_ms < cx.now_ms || !notes_ok(notes, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::EscalatedTo { target: *target, due_ms: *due_ms, notes: notes.trim().into() })
        }
        CaseAction::Resolve { summary } => {
            let assigned = state.technician == Some(cx.actor_id) && state.status == CaseStatus::OnSite;
            if !assigned {
                manage(true)?;
            }
            if state.status == CaseStatus::Escalated || !state.open() {
                return Err(Refusal::State);
            }
            if !notes_ok(summary, true) {
                return Err(Refusal::Input);
            }
            // Exclusion found at diagnosis made it paid: the quote first.
            if cx.paid_job && !state.quote.as_ref().is_some_and(|q| q.approved == Some(true)) {
                return Err(Refusal::QuoteNotApproved);
            }
            Ok(CaseEvent::Resolved { summary: summary.trim().into() })
        }
        CaseAction::Close => {
            manage(false)?;
            if state.status != CaseStatus::Resolved {
                return Err(Refusal::State);
            }
            // An unsigned service report does not count (brief 002-P22).
            if state.visited && !state.signed {
                return Err(Refusal::NotSigned);
            }
            Ok(CaseEvent::Closed)
        }
        CaseAction::Diagnose { cause, exclusion, part, component, notes } => {
            if !(assigned_tech || owner || lead) {
                return Err(Refusal::NotOwner);
            }
            if !state.open() {
                return Err(Refusal::State);
            }
            // A customer-caused fault names its exclusion; our own installation has none.
            let consistent = match cause {
                Cause::Customer => exclusion.is_some(),
                Cause::Installation => exclusion.is_none(),
                Cause::Product => true,
            };
            if !consistent || component.trim().chars().count() > 60 || !notes_ok(notes, false) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::Diagnosed {
                cause: *cause,
                exclusion: *exclusion,
                part: *part,
                component: component.trim().into(),
                notes: notes.trim().into(),
            })
        }
        CaseAction::RecordWork { findings, actions, parts, minutes_worked, downtime_minutes, photos } => {
            if !(assigned_tech || owner || lead) {
                return Err(Refusal::NotOwner);
            }
            // On site, or after the fix until the customer signs.
            let when = state.status == CaseStatus::OnSite || (state.status == CaseStatus::Resolved && !state.signed);
            if !when {
                return Err(Refusal::State);
            }
            let parts_ok = parts.len() <= MAX_PARTS
                && parts.iter().all(|p| (1..=10_000).contains(&p.quantity) && (1..=100).contains(&p.name.trim().chars().count()));
            if !notes_ok(findings, true)
                || !notes_ok(actions, true)
                || !parts_ok
                || !(0..=MAX_MINUTES).contains(minutes_worked)
                || !(0..=MAX_MINUTES).contains(downtime_minutes)
                || photos.len() > MAX_PHOTOS
            {
                return Err(Refusal::Input);
            }
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
            if !(assigned_tech || owner || lead) {
                return Err(Refusal::NotOwner);
            }
            if !state.open() {
                return Err(Refusal::State);
            }
            if !(1..=60).contains(&serial.trim().chars().count()) || !notes_ok(notes, false) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::UnitSwapped { swap: *swap, serial: serial.trim().into(), notes: notes.trim().into() })
        }
        CaseAction::SwapReturned { swap, serial, notes } => {
            if !(assigned_tech || owner || lead || cx.role == Dispatcher) {
                return Err(Refusal::NotOwner);
            }
            if !state.outstanding_swaps.iter().any(|(k, s)| k == swap && s == serial.trim()) {
                return Err(Refusal::State);
            }
            if !notes_ok(notes, false) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::UnitReturned { swap: *swap, serial: serial.trim().into(), notes: notes.trim().into() })
        }
        CaseAction::CorrectReport { notes } => {
            if !(assigned_tech || owner || lead) {
                return Err(Refusal::NotOwner);
            }
            if !state.signed {
                return Err(Refusal::State);
            }
            if !notes_ok(notes, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::ReportCorrected { notes: notes.trim().into() })
        }
        CaseAction::RegisterComplaint { category, gravity, text } => {
            if cx.role == Technician {
                return Err(Refusal::Role);
            }
            if state.complaint_open {
                return Err(Refusal::State);
            }
            if !notes_ok(text, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::ComplaintRaised { category: *category, gravity: *gravity, text: text.trim().into() })
        }
        CaseAction::AnswerComplaint { notes } => {
            // Complaints go above the first responder.
            if !lead {
                return Err(Refusal::Role);
            }
            if !state.complaint_open {
                return Err(Refusal::State);
            }
            if !notes_ok(notes, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::ComplaintAnswered { notes: notes.trim().into() })
        }
        CaseAction::ReturnVisit { outcome, notes } => {
            if cx.role == Technician {
                return Err(Refusal::Role);
            }
            if !matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed) || state.return_visited {
                return Err(Refusal::State);
            }
            if !notes_ok(notes, *outcome == ReturnVisitOutcome::ProblemPersists) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::ReturnVisited { outcome: *outcome, notes: notes.trim().into() })
        }
        CaseAction::IssueQuote { amount_cents, description } => {
            manage(true)?;
            if state.quote.as_ref().is_some_and(|q| q.approved.is_none()) {
                return Err(Refusal::State);
            }
            if !(1..=100_000_000).contains(amount_cents) || !notes_ok(description, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::QuoteIssued { amount_cents: *amount_cents, description: description.trim().into() })
        }
        CaseAction::Note { notes } => {
            let involved = owner || lead || state.technician == Some(cx.actor_id) || cx.role == Dispatcher;
            if !involved {
                return Err(Refusal::NotOwner);
            }
            if !notes_ok(notes, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::Noted { notes: notes.trim().into() })
        }
    }
}

/// Checks a customer's action from the widget.
pub fn customer_decide(state: &CaseState, action: &CustomerAction) -> Result<CaseEvent, Refusal> {
    let done = matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed);
    match action {
        CustomerAction::AddInfo { text, photos } => {
            if matches!(state.status, CaseStatus::Closed | CaseStatus::SelfResolved) {
                return Err(Refusal::State);
            }
            let text_ok = notes_ok(text, photos.is_empty());
            if !text_ok || photos.len() > MAX_PHOTOS {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::InfoAdded { text: text.trim().into(), photos: photos.clone() })
        }
        CustomerAction::Confirm { fixed, comment } => {
            if !done || state.confirmed.is_some() {
                return Err(Refusal::State);
            }
            if !notes_ok(comment, !fixed) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::Confirmed { fixed: *fixed, comment: comment.trim().into() })
        }
        CustomerAction::Rate { rating } => {
            if !done || state.rated {
                return Err(Refusal::State);
            }
            if !rating.valid() {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::Rated { rating: Rating { comment: rating.comment.trim().into(), ..rating.clone() } })
        }
        CustomerAction::Complain { category, gravity, text } => {
            if state.complaint_open || state.status == CaseStatus::SelfResolved {
                return Err(Refusal::State);
            }
            if !notes_ok(text, true) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::ComplaintRaised { category: *category, gravity: *gravity, text: text.trim().into() })
        }
    }
}

/// The customer (on the technician's screen or in the widget) signs the
/// service report. Only a resolved visit, once.
pub fn sign_report(state: &CaseState, signer: &str, signature: i64, report: String, hash: String) -> Result<CaseEvent, Refusal> {
    if !matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed) || !state.visited || state.signed {
        return Err(Refusal::State);
    }
    if !(1..=40).contains(&signer.trim().chars().count()) {
        return Err(Refusal::Input);
    }
    Ok(CaseEvent::ReportSigned { signer: signer.trim().into(), signature, report, hash })
}

/// The customer's answer to a pending quote.
pub fn answer_quote(state: &CaseState, approved: bool) -> Result<CaseEvent, Refusal> {
    match &state.quote {
        Some(q) if q.approved.is_none() && state.open() => Ok(CaseEvent::QuoteAnswered { approved }),
        _ => Err(Refusal::State),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISPATCHER: i64 = 3;
    const OTHER_DISPATCHER: i64 = 5;
    const TECH: i64 = 4;
    const SUPERVISOR: i64 = 2;

    fn cx(actor_id: i64, role: Role) -> Context<'static> {
        Context {
            actor_id,
            role,
            now_ms: 1_000_000,
            is_responder: &|id| id == DISPATCHER || id == OTHER_DISPATCHER || id == SUPERVISOR,
            is_technician: &|id| id == TECH,
            arrival_deadline_ms: Some(2_000_000),
            paid_job: false,
        }
    }

    fn log(events: Vec<(Actor, CaseEvent)>) -> Vec<LoggedEvent> {
        events.into_iter().enumerate().map(|(i, (actor, event))| LoggedEvent { at_ms: i as i64 * 60_000, actor, event }).collect()
    }

    fn escalated() -> Vec<LoggedEvent> {
        log(vec![(Actor::Customer, CaseEvent::Escalated { severity: Severity::Major })])
    }

    fn apply(mut l: Vec<LoggedEvent>, actor_id: i64, role: Role, action: CaseAction) -> Result<Vec<LoggedEvent>, Refusal> {
        let state = CaseState::from_log(&l);
        let event = decide(&state, &action, &cx(actor_id, role))?;
        l.push(LoggedEvent { at_ms: l.len() as i64 * 60_000, actor: Actor::Staff { id: actor_id }, event });
        Ok(l)
    }

    #[test]
    fn a_case_walks_from_claim_to_close() {
        let l = escalated();
        let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
        assert_eq!(CaseState::from_log(&l).owner, Some(DISPATCHER));
        let dispatch = CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: "bring battery".into() };
        let l = apply(l, DISPATCHER, Role::Dispatcher, dispatch).unwrap();
        assert!(matches!(l.last().unwrap().event, CaseEvent::Dispatched { late: false, .. }));
        let l = apply(l, TECH, Role::Technician, CaseAction::CheckIn).unwrap();
        assert_eq!(CaseState::from_log(&l).status, CaseStatus::OnSite);
        let l = apply(l, TECH, Role::Technician, CaseAction::Resolve { summary: "replaced battery".into() }).unwrap();
        // A visit's report is signed before closing.
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, CaseAction::Close).unwrap_err(), Refusal::NotSigned);
        let mut l = l;
        let signed = sign_report(&CaseState::from_log(&l), "王主任", 1, "{}".into(), "ab".into()).unwrap();
        l.push(LoggedEvent { at_ms: l.len() as i64 * 60_000, actor: Actor::Customer, event: signed });
        assert_eq!(sign_report(&CaseState::from_log(&l), "王主任", 1, "{}".into(), "ab".into()), Err(Refusal::State), "signed once");
        let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Close).unwrap();
        let s = CaseState::from_log(&l);
        assert_eq!(s.status, CaseStatus::Closed);
        // Every clock stopped: response, dispatch, arrival and resolution.
        assert_eq!(clock_events(&l).len(), 5);
        assert!(s.visited && s.signed);
    }

    #[test]
    fn roles_and_ownership_are_enforced() {
        let l = escalated();
        assert_eq!(apply(l.clone(), TECH, Role::Technician, CaseAction::Claim).unwrap_err(), Refusal::Role);
        let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
        // Claimed once only.
        assert_eq!(apply(l.clone(), OTHER_DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap_err(), Refusal::State);
        // A technician can never reassign; another dispatcher is not the owner; a supervisor may.
        assert_eq!(apply(l.clone(), TECH, Role::Technician, CaseAction::Transfer { to: OTHER_DISPATCHER }).unwrap_err(), Refusal::Role);
        assert_eq!(
            apply(l.clone(), OTHER_DISPATCHER, Role::Dispatcher, CaseAction::Transfer { to: OTHER_DISPATCHER }).unwrap_err(),
            Refusal::NotOwner
        );
        let moved = apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Transfer { to: OTHER_DISPATCHER }).unwrap();
        assert_eq!(CaseState::from_log(&moved).owner, Some(OTHER_DISPATCHER));
        // Ownership cannot go to a technician or an unknown user.
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, CaseAction::Transfer { to: TECH }).unwrap_err(), Refusal::Input);
        // Only the assigned technician checks in.
        let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() })
            .unwrap();
        assert_eq!(apply(l.clone(), 99, Role::Technician, CaseAction::CheckIn).unwrap_err(), Refusal::NotOwner);
        assert_eq!(apply(l, DISPATCHER, Role::Dispatcher, CaseAction::CheckIn).unwrap_err(), Refusal::Role);
    }

    #[test]
    fn states_guard_actions() {
        let l = escalated();
        assert_eq!(apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Close).unwrap_err(), Refusal::State);
        assert_eq!(apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Resume).unwrap_err(), Refusal::State);
        let paused = apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Pause { reason: PauseReason::WaitingForCustomer }).unwrap();
        assert_eq!(
            apply(paused.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Pause { reason: PauseReason::CustomerPostponed }).unwrap_err(),
            Refusal::State
        );
        let resumed = apply(paused, SUPERVISOR, Role::Supervisor, CaseAction::Resume).unwrap();
        assert_eq!(CaseState::from_log(&resumed).paused, None);
        assert_eq!(
            apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::ChangeSeverity { severity: Severity::Major }).unwrap_err(),
            Refusal::State
        );
        // Dispatch needs an owner first.
        let d = CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() };
        assert_eq!(apply(l.clone(), SUPERVISOR, Role::Supervisor, d).unwrap_err(), Refusal::State);
    }

    #[test]
    fn inputs_are_checked_and_late_appointments_flagged() {
        let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
        let past = CaseAction::Dispatch { technician: TECH, appointment_ms: 0, notes: String::new() };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, past).unwrap_err(), Refusal::Input);
        let not_tech = CaseAction::Dispatch { technician: OTHER_DISPATCHER, appointment_ms: 1_500_000, notes: String::new() };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, not_tech).unwrap_err(), Refusal::Input);
        let empty = CaseAction::LogContact { channel: ContactChannel::Phone, outcome: ContactOutcome::FollowUp, notes: "  ".into() };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, empty).unwrap_err(), Refusal::Input);
        let long = CaseAction::Note { notes: "长".repeat(MAX_NOTES + 1) };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, long).unwrap_err(), Refusal::Input);
        let late = CaseAction::Dispatch { technician: TECH, appointment_ms: 3_000_000, notes: String::new() };
        let l = apply(l, DISPATCHER, Role::Dispatcher, late).unwrap();
        assert!(matches!(l.last().unwrap().event, CaseEvent::Dispatched { late: true, .. }));
    }

    #[test]
    fn phone_fix_resolves_and_stored_events_round_trip() {
        let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
        let fix = CaseAction::LogContact { channel: ContactChannel::Phone, outcome: ContactOutcome::Resolved, notes: "re-paired remote".into() };
        let l = apply(l, DISPATCHER, Role::Dispatcher, fix).unwrap();
        assert_eq!(CaseState::from_log(&l).status, CaseStatus::Resolved);
        for e in &l {
            assert_eq!(CaseEvent::from_stored(e.event.kind(), &e.event.to_stored()), Some(e.event.clone()));
        }
        // Events written before severities were stored default to general.
        assert_eq!(CaseEvent::from_stored("escalated", r#"{"reporter":"王"}"#), Some(CaseEvent::Escalated { severity: Severity::General }));
        assert_eq!(Actor::decode(&Actor::Staff { id: 7 }.encode()), Actor::Staff { id: 7 });
        assert_eq!(Actor::decode("customer"), Actor::Customer);
    }

    #[test]
    fn paid_jobs_wait_for_an_approved_quote() {
        let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
        let dispatch = CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() };
        let paid = |l: &[LoggedEvent]| {
            let mut c = cx(DISPATCHER, Role::Dispatcher);
            c.paid_job = true;
            decide(&CaseState::from_log(l), &dispatch, &c)
        };
        assert_eq!(paid(&l), Err(Refusal::QuoteNotApproved));
        assert_eq!(answer_quote(&CaseState::from_log(&l), true), Err(Refusal::State), "no quote to answer");
        let quote = CaseAction::IssueQuote { amount_cents: 0, description: "更换主板".into() };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, quote).unwrap_err(), Refusal::Input);
        let quote = CaseAction::IssueQuote { amount_cents: 85_000, description: "更换主板".into() };
        let mut l = apply(l, DISPATCHER, Role::Dispatcher, quote.clone()).unwrap();
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, quote).unwrap_err(), Refusal::State, "one pending quote at a time");
        assert_eq!(paid(&l), Err(Refusal::QuoteNotApproved));
        let declined = answer_quote(&CaseState::from_log(&l), false).unwrap();
        let mut declined_log = l.clone();
        declined_log.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: declined });
        assert_eq!(paid(&declined_log), Err(Refusal::QuoteNotApproved));
        let approved = answer_quote(&CaseState::from_log(&l), true).unwrap();
        l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: approved });
        assert_eq!(answer_quote(&CaseState::from_log(&l), false), Err(Refusal::State), "answered once");
        assert!(matches!(paid(&l), Ok(CaseEvent::Dispatched { .. })));
    }

    fn on_site() -> Vec<LoggedEvent> {
        let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
        let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() })
            .unwrap();
        apply(l, TECH, Role::Technician, CaseAction::CheckIn).unwrap()
    }

    fn work() -> CaseAction {
        CaseAction::RecordWork {
            findings: "电池电压 3.1 V".into(),
            actions: "更换电池".into(),
            parts: vec![PartUsed { name: "CR123A".into(), quantity: 2 }],
            minutes_worked: 45,
            downtime_minutes: 600,
            photos: vec![],
        }
    }

    #[test]
    fn diagnosis_work_record_and_swaps() {
        let l = on_site();
        let customer_without_exclusion =
            CaseAction::Diagnose { cause: Cause::Customer, exclusion: None, part: PartClass::Accessory, component: String::new(), notes: String::new() };
        assert_eq!(apply(l.clone(), TECH, Role::Technician, customer_without_exclusion).unwrap_err(), Refusal::Input);
        let diagnose = CaseAction::Diagnose {
            cause: Cause::Customer,
            exclusion: Some(Exclusion::WrongPower),
            part: PartClass::Accessory,
            component: "parts".into(),
            notes: "接入 380 V".into(),
        };
        // Another technician is not assigned.
        assert_eq!(apply(l.clone(), 99, Role::Technician, diagnose.clone()).unwrap_err(), Refusal::NotOwner);
        let l = apply(l, TECH, Role::Technician, diagnose).unwrap();
        let s = CaseState::from_log(&l);
        assert_eq!(s.diagnosis.as_ref().map(|d| d.part), Some(PartClass::Accessory));
        assert!(clock_events(&l).iter().any(|e| matches!(e, ClockEvent::PartClassSet { part: PartClass::Accessory, .. })));
        let bad_parts = CaseAction::RecordWork {
            findings: "f".into(),
            actions: "a".into(),
            parts: vec![PartUsed { name: "x".into(), quantity: 0 }],
            minutes_worked: 10,
            downtime_minutes: 0,
            photos: vec![],
        };
        assert_eq!(apply(l.clone(), TECH, Role::Technician, bad_parts).unwrap_err(), Refusal::Input);
        let l = apply(l, TECH, Role::Technician, work()).unwrap();
        let l = apply(l, TECH, Role::Technician, CaseAction::Swap { swap: SwapKind::Loaner, serial: "LN-7".into(), notes: String::new() }).unwrap();
        assert_eq!(CaseState::from_log(&l).outstanding_swaps, vec![(SwapKind::Loaner, "LN-7".to_string())]);
        let back = CaseAction::SwapReturned { swap: SwapKind::Loaner, serial: "LN-8".into(), notes: String::new() };
        assert_eq!(apply(l.clone(), TECH, Role::Technician, back).unwrap_err(), Refusal::State, "no such loaner out");
        let back = CaseAction::SwapReturned { swap: SwapKind::Loaner, serial: "LN-7".into(), notes: String::new() };
        let l = apply(l, DISPATCHER, Role::Dispatcher, back).unwrap();
        assert!(CaseState::from_log(&l).outstanding_swaps.is_empty());
        // Paid after the exclusion: resolving waits for an approved quote.
        let mut paid = cx(TECH, Role::Technician);
        paid.paid_job = true;
        let resolve = CaseAction::Resolve { summary: "done".into() };
        assert_eq!(decide(&CaseState::from_log(&l), &resolve, &paid), Err(Refusal::QuoteNotApproved));
        let l = apply(l, TECH, Role::Technician, resolve).unwrap();
        // After the fix and before signing the record can still be completed; after signing, only corrections.
        let l = apply(l, TECH, Role::Technician, work()).unwrap();
        assert_eq!(apply(l.clone(), TECH, Role::Technician, CaseAction::CorrectReport { notes: "x".into() }).unwrap_err(), Refusal::State);
        let mut l = l;
        l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: sign_report(&CaseState::from_log(&l), "李", 9, "{}".into(), "h".into()).unwrap() });
        assert_eq!(apply(l.clone(), TECH, Role::Technician, work()).unwrap_err(), Refusal::State, "signed: no more edits");
        apply(l, TECH, Role::Technician, CaseAction::CorrectReport { notes: "零件数量应为 1".into() }).unwrap();
    }

    #[test]
    fn customer_follow_up_complaints_and_return_visits() {
        let l = on_site();
        let rate = CustomerAction::Rate { rating: Rating { attitude: 4, skill: 3, punctuality: 4, promise_kept: 4, comment: "好".into() } };
        assert_eq!(customer_decide(&CaseState::from_log(&l), &rate), Err(Refusal::State), "rated after the fix");
        let info = CustomerAction::AddInfo { text: "  ".into(), photos: vec![] };
        assert_eq!(customer_decide(&CaseState::from_log(&l), &info), Err(Refusal::Input));
        let complain = CustomerAction::Complain { category: ComplaintCategory::Human, gravity: ComplaintGravity::Serious, text: "迟到两小时".into() };
        let mut l = l;
        l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: customer_decide(&CaseState::from_log(&l), &complain).unwrap() });
        assert_eq!(customer_decide(&CaseState::from_log(&l), &complain), Err(Refusal::State), "one open complaint");
        assert!(clock_events(&l).iter().any(|e| matches!(e, ClockEvent::ComplaintRaised { .. })));
        let answer = CaseAction::AnswerComplaint { notes: "已致电道歉".into() };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, answer.clone()).unwrap_err(), Refusal::Role);
        let l = apply(l, SUPERVISOR, Role::Supervisor, answer).unwrap();
        let visit = CaseAction::ReturnVisit { outcome: ReturnVisitOutcome::Satisfied, notes: String::new() };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, visit.clone()).unwrap_err(), Refusal::State, "not fixed yet");
        let mut l = apply(l, TECH, Role::Technician, CaseAction::Resolve { summary: "ok".into() }).unwrap();
        let bad = CustomerAction::Rate { rating: Rating { attitude: 5, skill: 3, punctuality: 4, promise_kept: 4, comment: String::new() } };
        assert_eq!(customer_decide(&CaseState::from_log(&l), &bad), Err(Refusal::Input));
        l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: customer_decide(&CaseState::from_log(&l), &rate).unwrap() });
        assert_eq!(customer_decide(&CaseState::from_log(&l), &rate), Err(Refusal::State), "rated once");
        assert_eq!(apply(l.clone(), TECH, Role::Technician, visit.clone()).unwrap_err(), Refusal::Role);
        let persists = CaseAction::ReturnVisit { outcome: ReturnVisitOutcome::ProblemPersists, notes: String::new() };
        assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, persists).unwrap_err(), Refusal::Input, "say what persists");
        let l = apply(l, DISPATCHER, Role::Dispatcher, visit.clone()).unwrap();
        assert!(CaseState::from_log(&l).return_visited);
        assert_eq!(apply(l, DISPATCHER, Role::Dispatcher, visit).unwrap_err(), Refusal::State, "once");
    }
}
