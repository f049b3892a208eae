//! Staff actions on a case and the customer's answers from the widget:
//! each locks the case, checks the action against the log
//! (`domain::lifecycle`), appends one event and tells every instance's
//! live queue.

use sqlx::{AnyConnection, AnyPool};

use super::db::now_ms;
use super::events::{append, load_log, lock_case};
use super::live::Live;
use super::present::staff_directory;
use super::terms::Terms;
use crate::domain::case_number;
use crate::domain::clock::ClockKind;
use crate::domain::lifecycle::{self, Actor, CaseAction, CaseEvent, CaseState, CustomerAction};
use crate::errors::AppError;
use crate::models::{Role, StaffUser};

/// Runs a staff action on a case: authorised, checked against the case's
/// state, recorded as one event. One connection: the write transaction.
pub async fn act(pool: &AnyPool, live: &Live, user: &StaffUser, number: &str, action: &CaseAction) -> Result<CaseEvent, AppError> {
    let case_id = case_number::parse(number).ok_or(AppError::NotFound)?;
    let mut tx = super::db::begin_write(pool).await?;
    let now = now_ms();
    let case = lock_case(&mut tx, case_id).await?;
    let dir = staff_directory(&mut *tx).await?;
    let log = load_log(&mut tx, case_id).await?;
    let state = CaseState::from_log(&log);
    let arrival_deadline_ms =
        case.terms.clocks(&log, case.zone, now).iter().find(|c| c.kind == ClockKind::Arrival).and_then(|c| c.deadline).map(|m| m * 60_000);
    super::attachments::check_action_photos(&mut tx, case_id, action).await?;
    let event = {
        let paid_job = paid_job(&mut tx, case_id, &case.terms, &state).await?;
        let is_responder = |id: i64| dir.get(&id).is_some_and(|(_, r)| *r != Role::Technician);
        let is_technician = |id: i64| dir.get(&id).is_some_and(|(_, r)| *r == Role::Technician);
        let cx = lifecycle::Context {
            actor_id: user.id,
            role: user.role,
            now_ms: now,
            is_responder: &is_responder,
            is_technician: &is_technician,
            arrival_deadline_ms,
            paid_job,
        };
        lifecycle::decide(&state, action, &cx).map_err(AppError::from)?
    };
    append(&mut tx, &case, now, Actor::Staff { id: user.id }, &event, &log).await?;
    tx.commit().await?;
    tracing::info!(case = number, user = %user.username, kind = event.kind(), "case action");
    live.publish(pool, number).await;
    Ok(event)
}

/// Paid (class A: out of warranty on the day of the report, or an
/// exclusion found at diagnosis): dispatch and resolution need an approved quote.
async fn paid_job(conn: &mut AnyConnection, case_id: i64, terms: &Terms, state: &CaseState) -> Result<bool, AppError> {
    let created_at: i64 = sqlx::query_scalar("SELECT created_at FROM cases WHERE id = $1").bind(case_id).fetch_one(&mut *conn).await?;
    let on = terms.working.local_date(created_at.div_euclid(60_000));
    let (_, billing) = super::warranty::assess(conn, case_id, on, state.diagnosis.as_ref()).await?;
    Ok(crate::domain::warranty::needs_quote_approval(billing))
}

/// The customer approves or declines the pending quote from the widget.
pub async fn answer_quote(pool: &AnyPool, live: &Live, case_id: i64, approved: bool) -> Result<(), AppError> {
    let mut tx = super::db::begin_write(pool).await?;
    let case = lock_case(&mut tx, case_id).await?;
    let log = load_log(&mut tx, case_id).await?;
    let event = lifecycle::answer_quote(&CaseState::from_log(&log), approved).map_err(AppError::from)?;
    append(&mut tx, &case, now_ms(), Actor::Customer, &event, &log).await?;
    tx.commit().await?;
    live.publish(pool, &case_number::format(case_id)).await;
    Ok(())
}

/// A customer action from the widget (case token already resolved).
pub async fn customer_act(pool: &AnyPool, live: &Live, case_id: i64, action: &CustomerAction) -> Result<(), AppError> {
    let mut tx = super::db::begin_write(pool).await?;
    let case = lock_case(&mut tx, case_id).await?;
    let log = load_log(&mut tx, case_id).await?;
    let event = lifecycle::customer_decide(&CaseState::from_log(&log), action).map_err(AppError::from)?;
    if let CustomerAction::AddInfo { photos, .. } = action {
        super::attachments::check_photos(&mut tx, case_id, photos).await?;
    }
    append(&mut tx, &case, now_ms(), Actor::Customer, &event, &log).await?;
    tx.commit().await?;
    tracing::info!(case = case_id, kind = event.kind(), "customer action");
    live.publish(pool, &case_number::format(case_id)).await;
    Ok(())
}
