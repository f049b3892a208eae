//! What the customer may do through the widget with the case token, and
//! the customer's signature and quote answer.

use serde::{Deserialize, Serialize};

use super::events::*;
use super::permit::{signable, Refusal};
use super::state::CaseState;
use crate::case::CaseStatus;

/// What a customer may do through the widget with the case token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CustomerAction {
    AddInfo { text: String, photos: Vec<i64> },
    Confirm { fixed: bool, comment: String },
    Rate { rating: Rating },
    Complain { category: ComplaintCategory, gravity: ComplaintGravity, text: String },
}

/// The customer's steps after a fix, one at a time and in this order: sign
/// the service report (if a technician came), confirm the fix, rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerStep {
    Sign,
    Confirm,
    Rate,
}

/// The step the customer is offered now, if any. The widget shows it and
/// the server refuses the later ones until it is done.
pub fn next_customer_step(state: &CaseState) -> Option<CustomerStep> {
    let done = matches!(state.status, CaseStatus::Resolved | CaseStatus::Closed);
    if signable(state).is_ok() {
        Some(CustomerStep::Sign)
    } else if done && state.confirmed.is_none() {
        Some(CustomerStep::Confirm)
    } else if done && !state.rated {
        Some(CustomerStep::Rate)
    } else {
        None
    }
}

/// Checks a customer's action from the widget.
pub fn customer_decide(state: &CaseState, action: &CustomerAction) -> Result<CaseEvent, Refusal> {
    let step = next_customer_step(state);
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
            if step != Some(CustomerStep::Confirm) {
                return Err(Refusal::State);
            }
            if !notes_ok(comment, !fixed) {
                return Err(Refusal::Input);
            }
            Ok(CaseEvent::Confirmed { fixed: *fixed, comment: comment.trim().into() })
        }
        CustomerAction::Rate { rating } => {
            if step != Some(CustomerStep::Rate) {
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
    signable(state)?;
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
