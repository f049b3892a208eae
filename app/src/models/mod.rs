//! Data exchanged between the server and the browser.

use serde::{Deserialize, Serialize};

use crate::domain::clock::{ClockKind, PauseReason};
use crate::domain::guide::{Guide, Severity, Tier, WalkStep};
use crate::domain::lifecycle::CaseEvent;

pub use domain::case::{CaseStatus, GuideResult, Role};

#[cfg(feature = "console")]
pub mod notify;

/// What the widget needs to show an organisation's intake form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetInfo {
    pub org_name: String,
    pub company_name: String,
    pub hotline: String,
    pub assets: Vec<AssetOption>,
    /// Intranet origins that may embed the widget (postMessage targets).
    pub allowed_origins: Vec<String>,
    /// `#rrggbb` or empty.
    pub theme_color: String,
    /// The organisation's logo (`/widget-logo/KEY?v=…`), or empty.
    #[serde(default)]
    pub logo_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetOption {
    pub id: i64,
    pub label: String,
    /// For a host page's prefill by serial number.
    pub serial: String,
    /// The warranty today, shown as soon as the equipment is chosen.
    #[serde(default)]
    pub warranty: AssetWarranty,
}

/// An asset's warranty as the widget shows it: until (or since) which day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetWarranty {
    /// `YYYY-MM-DD`: the last day covered; empty when not known.
    pub until: String,
    pub covered: bool,
}

/// The guides offered for one asset, with the server's clock for the
/// browser's clock check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideOffer {
    pub asset_id: i64,
    /// The guides, when they are not at `guides_url` (the browser fetches
    /// them from there and fills this in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guides: Vec<Guide>,
    /// Where this asset's guides are, compressed and cached for a year
    /// (the URL names their versions); empty when they are in `guides`.
    #[serde(default)]
    pub guides_url: String,
    pub server_now_ms: i64,
    /// What the customer is promised if they escalate (computed in the browser).
    pub terms: Option<crate::domain::promise::ServiceTerms>,
    /// Nobody is on duty now: when the first person comes on duty (UTC
    /// minute). The promise does not say sooner.
    #[serde(default)]
    pub off_duty_until: Option<i64>,
    /// Outside working hours, the number of whoever is on duty (the night
    /// and holiday line); empty otherwise.
    #[serde(default)]
    pub duty_phone: String,
    /// Browser time when the offer arrived (set in the browser, never sent).
    #[serde(skip)]
    pub received_at_ms: i64,
}

/// A customer's report with the troubleshooting walk behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSubmission {
    pub org_key: String,
    /// Random id made by the widget once per report, so a retried or
    /// double-clicked submission creates one case, not two.
    pub submission_id: String,
    pub reporter_name: String,
    pub phone: String,
    pub asset_id: Option<i64>,
    pub symptom: String,
    pub guide_id: String,
    pub guide_version: u32,
    pub steps: Vec<WalkStep>,
    pub result: GuideResult,
    /// The guide session this walk belongs to, for per-guide analytics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The customer asked for text messages about this case (to `phone`).
    #[serde(default)]
    pub sms_opt_in: bool,
    /// Where the customer wants e-mails about this case (empty: none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// The language the customer reported in: their e-mails use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<crate::i18n::Locale>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReceipt {
    pub number: String,
    /// Lets the customer's browser follow its case later without a login.
    pub access_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRow {
    pub number: String,
    pub org_name: String,
    pub asset_label: String,
    pub symptom: String,
    /// Formatted on the server in the organisation's timezone, so SSR and
    /// hydration print the same text.
    pub reported_at: String,
    pub status: CaseStatus,
    pub severity: Severity,
    pub owner: Option<String>,
    pub paused: Option<PauseReason>,
    /// The running clock that runs out first.
    pub next_clock: Option<ClockView>,
    pub overdue: bool,
}

/// Queue filters; empty fields filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueFilter {
    pub status: Option<CaseStatus>,
    pub severity: Option<Severity>,
    pub org: Option<i64>,
    pub overdue: bool,
    pub mine: bool,
    /// Case number, phone or asset serial (part of it).
    pub search: String,
    /// How many rows to show (0: the default page); the console asks for
    /// more as staff scroll on.
    pub limit: u32,
}

impl QueueFilter {
    pub const PAGE: u32 = 100;
    pub const MAX: u32 = 1000;

    pub fn page_size(&self) -> u32 {
        if self.limit == 0 {
            Self::PAGE
        } else {
            self.limit.min(Self::MAX)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub rows: Vec<QueueRow>,
    /// Every case the filter matches (the rows are the first of them).
    pub total: i64,
    /// Limits that refused clients lately: (organisation key, what, how often).
    #[serde(default)]
    pub limited: Vec<(String, String, u64)>,
    pub organisations: Vec<(i64, String)>,
    pub server_now_ms: i64,
}

/// One service-level clock of a case, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockView {
    pub kind: ClockKind,
    pub target_minutes: i64,
    /// Counts working time only (otherwise around the clock).
    pub working_time: bool,
    /// When it runs out; `None` while paused or once stopped.
    pub deadline_ms: Option<i64>,
    pub deadline_label: Option<String>,
    pub stopped_at_ms: Option<i64>,
    pub paused: Option<PauseReason>,
    pub breached: bool,
    pub used_minutes: i64,
}

/// One line of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: String,
    pub actor: String,
    pub event: CaseEvent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOption {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub number: String,
    pub status: CaseStatus,
    pub org_name: String,
    pub site_name: String,
    pub asset_label: String,
    pub asset_serial: String,
    pub reporter_name: String,
    pub phone: String,
    /// The address the customer gave for e-mails (empty: none).
    pub email: String,
    pub symptom: String,
    pub reported_at: String,
    pub guide_id: String,
    pub guide_version: u32,
    pub steps: Vec<WalkStep>,
    /// The walk in the reader's language, resolved on the server.
    pub guide_title: String,
    pub transcript: Vec<TranscriptLine>,
    pub guide_outcome: Option<OutcomeView>,
    pub severity: Severity,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub technician_id: Option<i64>,
    pub technician: Option<String>,
    pub appointment: Option<String>,
    /// The technician is on the way: expected at (`HH:MM`, local).
    pub eta: Option<String>,
    pub paused: Option<PauseReason>,
    pub clocks: Vec<ClockView>,
    pub timeline: Vec<TimelineEntry>,
    /// Who may own a case, and who can be dispatched (for the action forms).
    pub responders: Vec<StaffOption>,
    pub technicians: Vec<StaffOption>,
    pub timezone_offset_minutes: i64,
    pub server_now_ms: i64,
    pub warranty: crate::domain::promise::WarrantyStatus,
    pub billing: crate::domain::warranty::BillingClass,
    /// Earlier repairs of the same fault (same guide) on this unit.
    pub repeat: Option<RepeatFault>,
    pub quote: Option<crate::domain::lifecycle::Quote>,
    /// Everything the log says now (diagnosis, signature, rating, swaps…).
    pub state: crate::domain::lifecycle::CaseState,
    /// What the viewer may do to the case now (`lifecycle::permitted`):
    /// the console shows exactly these buttons.
    pub permits: Vec<crate::domain::lifecycle::Permit>,
}

/// A service report (售后服务反馈单) as the customer signs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    pub number: String,
    pub company: String,
    pub org_name: String,
    pub site: String,
    pub asset_label: String,
    pub asset_serial: String,
    pub reporter_name: String,
    pub reported_at: String,
    pub symptom: String,
    pub technician: Option<String>,
    pub arrived_at: Option<String>,
    pub resolved_at: Option<String>,
    pub summary: String,
    pub diagnosis: Option<crate::domain::lifecycle::Diagnosis>,
    pub work: Vec<WorkView>,
    /// All parts used, summed by name.
    pub parts: Vec<crate::domain::lifecycle::PartUsed>,
    pub minutes_worked: i64,
    pub billing: crate::domain::warranty::BillingClass,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkView {
    pub at: String,
    pub by: String,
    pub findings: String,
    pub actions: String,
    pub parts: Vec<crate::domain::lifecycle::PartUsed>,
    pub minutes_worked: i64,
    pub downtime_minutes: i64,
    pub photos: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedReport {
    pub report: ReportView,
    pub signer: String,
    pub signed_at: String,
    /// SHA-256 of the signed text, stored with the signature.
    pub hash: String,
    /// The stored text still matches its hash.
    pub verified: bool,
    pub signature_id: i64,
    /// (when, what): corrections after signing, never edits.
    pub corrections: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPage {
    pub signed: Option<SignedReport>,
    pub draft: Option<ReportView>,
    pub can_sign: bool,
}

/// A technician's visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRow {
    pub number: String,
    pub status: CaseStatus,
    pub org_name: String,
    pub site: String,
    pub asset_label: String,
    pub symptom: String,
    pub contact: String,
    pub appointment: String,
    pub appointment_ms: i64,
    pub today: bool,
    pub late: bool,
    pub needs_signature: bool,
    /// The dispatch order: probable cause, spares and tools to bring.
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUps {
    pub return_visits: Vec<ReturnVisitRow>,
    pub complaints: Vec<ComplaintRow>,
    pub swaps: Vec<SwapRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnVisitRow {
    pub number: String,
    pub org_name: String,
    pub contact: String,
    pub asset_label: String,
    pub resolved_at: String,
    pub due: String,
    pub due_ms: i64,
    pub overdue: bool,
    pub confirmed: Option<bool>,
    pub rating: Option<crate::domain::lifecycle::Rating>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintRow {
    pub number: String,
    pub org_name: String,
    pub category: crate::domain::lifecycle::ComplaintCategory,
    pub gravity: crate::domain::lifecycle::ComplaintGravity,
    pub text: String,
    pub raised_at: String,
    pub due: String,
    pub due_ms: i64,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapRow {
    pub number: String,
    pub org_name: String,
    pub swap: crate::domain::lifecycle::SwapKind,
    pub serial: String,
    pub since: String,
}

/// Averages ×100 (4 levels: 400 = all "very satisfied").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianRating {
    pub technician: Option<String>,
    pub jobs: i64,
    pub attitude: i64,
    pub skill: i64,
    pub punctuality: i64,
    pub promise_kept: i64,
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatFault {
    /// This report's number among repairs of the fault (2 = second time).
    pub occurrence: usize,
    pub replace_unit: bool,
    /// The case this one is a free return visit of (same fault within 30 days).
    pub return_visit_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub prompt: String,
    pub answer: String,
    pub value: Option<String>,
    /// Time the customer spent on this step (from the previous answer).
    pub seconds: Option<i64>,
    /// A photo taken at this step (served to staff at /console/files/ID).
    pub photo: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeView {
    pub message: String,
    pub severity: Option<Severity>,
    pub tier: Option<Tier>,
    pub technician_hint: Option<String>,
}

/// How a guide performs: where walks end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideStats {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub equipment: Vec<String>,
    pub nodes: usize,
    pub started: i64,
    pub self_resolved: i64,
    pub escalated: i64,
    pub abandoned: i64,
    /// Self-fixes among finished walks, in percent.
    pub deflection_percent: Option<u32>,
    /// (node, sessions), most first.
    pub resolved_at: Vec<(String, i64)>,
    pub escalated_from: Vec<(String, i64)>,
    pub abandoned_at: Vec<(String, i64)>,
}

/// The service company's working calendar as an admin edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarForm {
    /// Around the clock: no working hours, holidays or make-up days apply.
    pub always: bool,
    /// Monday first, e.g. `08:30-12:00 13:30-17:30`; empty = day off.
    pub weekly: Vec<String>,
    /// The holiday list (CSV or iCalendar) as imported.
    pub holidays: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteZone {
    pub id: i64,
    pub name: String,
    pub zone: crate::domain::clock::Zone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgTerms {
    pub id: i64,
    pub name: String,
    pub timezone: String,
    pub policy: crate::domain::clock::Policy,
    pub sites: Vec<SiteZone>,
    pub widget_key: String,
    /// Intranet origins that may frame the widget.
    pub allowed_origins: Vec<String>,
    pub theme_color: String,
    /// The widget's logo (`/widget-logo/KEY?v=…`), or empty.
    pub logo_url: String,
    /// Cases the organisation may report in 24 hours; `None`: the server's default.
    #[serde(default)]
    pub daily_case_cap: Option<u32>,
    /// The service company's hotline, for the embed snippet (`data-hotline`).
    #[serde(default)]
    pub hotline: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSettings {
    pub calendar: CalendarForm,
    pub orgs: Vec<OrgTerms>,
    /// Only admins may change settings; supervisors read them.
    pub can_edit: bool,
}

/// What a customer sees of their case (by its access token): no staff notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTrack {
    pub number: String,
    pub status: CaseStatus,
    pub symptom: String,
    pub reported_at: String,
    pub technician: Option<String>,
    pub appointment: Option<String>,
    /// The technician is on the way: expected at (`HH:MM`, local).
    pub eta: Option<String>,
    pub updates: Vec<TimelineEntry>,
    /// Names of staff the updates refer to (the technician).
    pub names: Vec<(i64, String)>,
    pub quote: Option<crate::domain::lifecycle::Quote>,
    /// What the customer may still do (sign, confirm, rate, complain).
    pub state: crate::domain::lifecycle::CaseState,
    /// The promise's clocks (response, arrival, resolution), live.
    #[serde(default)]
    pub clocks: Vec<ClockView>,
}
