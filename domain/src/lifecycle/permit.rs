//! Who may do what to a case, and when: one rule, asked by `decide` before
//! it checks the input, by the server for photos and signatures, and by the
//! console for which buttons to show.

use serde::{Deserialize, Serialize};

use super::state::CaseState;
use crate::case::{CaseStatus, Role};

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

/// A staff member acting on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: i64,
    pub role: Role,
}

impl Staff {
    fn lead(self) -> bool {
        matches!(self.role, Role::Supervisor | Role::Admin)
    }
}

/// What staff can do to a case, without its details (a `CaseAction`'s
/// kind, plus holding the screen for the customer's signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    Claim,
    Transfer,
    LogContact,
    Pause,
    Resume,
    ChangeSeverity,
    Dispatch,
    /// The technician tells the customer they have set off.
    OnTheWay,
    CheckIn,
    EscalateTo,
    Resolve,
    Close,
    Note,
    /// Write to the customer (seen in the widget).
    MessageCustomer,
    IssueQuote,
    Diagnose,
    RecordWork,
    Swap,
    SwapReturned,
    CorrectReport,
    RegisterComplaint,
    AnswerComplaint,
    ReturnVisit,
    /// Hand the technician's screen to the customer to sign the report.
    CollectSignature,
}

impl Act {
    pub const ALL: [Act; 24] = [
        Act::Claim,
        Act::Transfer,
        Act::LogContact,
        Act::Pause,
        Act::Resume,
        Act::ChangeSeverity,
        Act::Dispatch,
        Act::OnTheWay,
        Act::CheckIn,
        Act::EscalateTo,
        Act::Resolve,
        Act::Close,
        Act::Note,
        Act::MessageCustomer,
        Act::IssueQuote,
        Act::Diagnose,
        Act::RecordWork,
        Act::Swap,
        Act::SwapReturned,
        Act::CorrectReport,
        Act::RegisterComplaint,
        Act::AnswerComplaint,
        Act::ReturnVisit,
        Act::CollectSignature,
    ];
}

/// An act this staff member may take on the case now, or one they will be
/// able to take once the customer has done their part (`waiting`: the
/// quote approved, the report signed) — shown, but not yet usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permit {
    pub act: Act,
    pub waiting: Option<Refusal>,
}

/// Every act `staff` may take on the case in `state`; `paid_job`: out of
/// warranty and not under contract, so dispatch and resolution wait for an
/// approved quote.
pub fn permitted(state: &CaseState, staff: Staff, paid_job: bool) -> Vec<Permit> {
    Act::ALL
        .into_iter()
        .filter_map(|act| match gate(state, act, staff, paid_job) {
            Ok(()) => Some(Permit { act, waiting: None }),
            Err(r @ (Refusal::QuoteNotApproved | Refusal::NotSigned)) => Some(Permit { act, waiting: Some(r) }),
            Err(_) => None,
        })
        .collect()
}

/// Whether `staff` may take `act` on the case in `state`, whatever the
/// details they give; `decide` checks the details after this.
pub fn gate(state: &CaseState, act: Act, staff: Staff, paid_job: bool) -> Result<(), Refusal> {
    use Role::*;
    let lead = staff.lead();
    let owner = state.owner == Some(staff.id);
    let assigned = state.technician == Some(staff.id);
    let assigned_tech = staff.role == Technician && assigned;
    let hands_on = assigned_tech || owner || lead;
    let quote_approved = state.quote.as_ref().is_some_and(|q| q.approved == Some(true));
    let check = |ok: bool, why: Refusal| if ok { Ok(()) } else { Err(why) };
    // Owner-or-lead work on a case (open, unless `open_needed` is false).
    let manage = |open_needed: bool| -> Result<(), Refusal> {
        check(staff.role != Technician, Refusal::Role)?;
        check(!open_needed || state.open(), Refusal::State)?;
        check(owner || lead, Refusal::NotOwner)
    };
    match act {
        Act::Claim => {
            check(staff.role != Technician, Refusal::Role)?;
            check(state.status == CaseStatus::Escalated && state.owner.is_none(), Refusal::State)
        }
        Act::Transfer | Act::LogContact => {
            manage(true)?;
            check(state.owner.is_some(), Refusal::State)
        }
        Act::Pause => {
            manage(true)?;
            check(state.paused.is_none(), Refusal::State)
        }
        Act::Resume => {
            manage(true)?;
            check(state.paused.is_some(), Refusal::State)
        }
        Act::ChangeSeverity | Act::EscalateTo => manage(true),
        Act::Dispatch => {
            manage(true)?;
            check(state.owner.is_some() && state.status != CaseStatus::OnSite && state.paused.is_none(), Refusal::State)?;
            check(!paid_job || quote_approved, Refusal::QuoteNotApproved)
        }
        // Leads may say it for a technician who phoned in.
        Act::OnTheWay | Act::CheckIn => {
            check(assigned || lead, if staff.role == Technician { Refusal::NotOwner } else { Refusal::Role })?;
            check(state.status == CaseStatus::Dispatched, Refusal::State)
        }
        Act::Resolve => {
            // The assigned technician on site, or the owner or a lead.
            if !(assigned && state.status == CaseStatus::OnSite) {
                manage(true)?;
            }
            check(state.status != CaseStatus::Escalated && state.open(), Refusal::State)?;
            // An exclusion found at diagnosis made it paid: the quote first.
            check(!paid_job || quote_approved, Refusal::QuoteNotApproved)
        }
        Act::Close => {
            manage(false)?;
            check(state.status == CaseStatus::Resolved, Refusal::State)?;
            // An unsigned service report does not count (brief 002-P22).
            check(!state.visited || state.signed, Refusal::NotSigned)
        }
        Act::IssueQuote => {
            manage(true)?;
            // Only a paid job has a price, and one quote waits at a time.
            check(paid_job && state.quote.as_ref().is_none_or(|q| q.approved.is_some()), Refusal::State)
        }
        Act::Diagnose | Act::Swap => {
            check(hands_on, Refusal::NotOwner)?;
            check(state.open(), Refusal::State)
        }
        Act::RecordWork => {
            check(hands_on, Refusal::NotOwner)?;
            // On site, or after the fix until the customer signs.
            check(state.status == CaseStatus::OnSite || (state.status == CaseStatus::Resolved && !state.signed), Refusal::State)
        }
        Act::SwapReturned => {
            check(hands_on || staff.role == Dispatcher, Refusal::NotOwner)?;
            check(!state.outstanding_swaps.is_empty(), Refusal::State)
        }
        Act::CorrectReport => {
            check(hands_on, Refusal::NotOwner)?;
            check(state.signed, Refusal::State)
        }
        Act::RegisterComplaint => {
            check(staff.role != Technician, Refusal::Role)?;
            check(!state.complaint_open, Refusal::State)
        }
        Act::AnswerComplaint => {
            // Complaints go above the first responder.
            check(lead, Refusal::Role)?;
            check(state.complaint_open, Refusal::State)
        }
        Act::ReturnVisit => {
            check(staff.role != Technician, Refusal::Role)?;
            check(matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed) && !state.return_visited, Refusal::State)
        }
        Act::Note => check(owner || lead || assigned || staff.role == Dispatcher, Refusal::NotOwner),
        // Those who deal with the customer, while there is a case to talk about.
        Act::MessageCustomer => {
            check(owner || lead || assigned || staff.role == Dispatcher, Refusal::NotOwner)?;
            check(state.status != CaseStatus::SelfResolved, Refusal::State)
        }
        Act::CollectSignature => {
            check(lead || assigned || owner, Refusal::NotOwner)?;
            signable(state)
        }
    }
}

/// Whether `staff` may add photos to a case whose technician is
/// `technician`: a technician only to a case dispatched to them.
pub fn may_add_photos(staff: Staff, technician: Option<i64>) -> bool {
    staff.role != Role::Technician || technician == Some(staff.id)
}

/// Whether the case's service report can be signed now: a resolved visit,
/// not signed yet.
pub fn signable(state: &CaseState) -> Result<(), Refusal> {
    if matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed) && state.visited && !state.signed {
        Ok(())
    } else {
        Err(Refusal::State)
    }
}
