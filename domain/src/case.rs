//! What a case is at any moment and who works on it: its status, the staff
//! roles, and how a customer's guided walk ended.

use serde::{Deserialize, Serialize};

/// How a customer's guided walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuideResult {
    SelfResolved,
    Escalate,
}

/// Where a case is; derived from its event log and cached on the row for the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Escalated by the customer, nobody has claimed it yet.
    Escalated,
    Acknowledged,
    Dispatched,
    OnSite,
    Resolved,
    Closed,
    SelfResolved,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 7] = [
        CaseStatus::Escalated,
        CaseStatus::Acknowledged,
        CaseStatus::Dispatched,
        CaseStatus::OnSite,
        CaseStatus::Resolved,
        CaseStatus::Closed,
        CaseStatus::SelfResolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Escalated => "escalated",
            CaseStatus::Acknowledged => "acknowledged",
            CaseStatus::Dispatched => "dispatched",
            CaseStatus::OnSite => "on_site",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
            CaseStatus::SelfResolved => "self_resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Still needs staff: in the live queue.
    pub fn is_open(self) -> bool {
        matches!(self, CaseStatus::Escalated | CaseStatus::Acknowledged | CaseStatus::Dispatched | CaseStatus::OnSite)
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
