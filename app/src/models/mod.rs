//! Data exchanged between the server and the browser.

use serde::{Deserialize, Serialize};

use crate::domain::guide::{Guide, Severity, Tier, WalkStep};

/// What the widget needs to show an organisation's intake form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetInfo {
    pub org_name: String,
    pub company_name: String,
    pub hotline: String,
    pub assets: Vec<AssetOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetOption {
    pub id: i64,
    pub label: String,
}

/// The guides offered for one asset, with the server's clock for the
/// browser's clock check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideOffer {
    pub asset_id: i64,
    pub guides: Vec<Guide>,
    pub server_now_ms: i64,
    /// Browser time when the offer arrived (set in the browser, never sent).
    #[serde(skip)]
    pub received_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuideResult {
    SelfResolved,
    Escalate,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReceipt {
    pub number: String,
    /// Lets the customer's browser follow its case later without a login.
    pub access_token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Escalated,
    SelfResolved,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Escalated => "escalated",
            CaseStatus::SelfResolved => "self_resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "escalated" => Some(CaseStatus::Escalated),
            "self_resolved" => Some(CaseStatus::SelfResolved),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    Dispatcher,
    Technician,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Dispatcher => "dispatcher",
            Role::Technician => "technician",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "dispatcher" => Some(Role::Dispatcher),
            "technician" => Some(Role::Technician),
            _ => None,
        }
    }
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
    pub symptom: String,
    pub reported_at: String,
    pub guide_id: String,
    pub guide_version: u32,
    pub steps: Vec<WalkStep>,
    /// The walk in the reader's language, resolved on the server.
    pub guide_title: String,
    pub transcript: Vec<TranscriptLine>,
    pub guide_outcome: Option<OutcomeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub prompt: String,
    pub answer: String,
    pub value: Option<String>,
    /// Time the customer spent on this step (from the previous answer).
    pub seconds: Option<i64>,
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
