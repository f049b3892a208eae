//! After the fix: the service report and its signature, a technician's
//! visits, follow-ups and satisfaction.

use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

use crate::errors::AppError;
use crate::models::{FollowUps, ReportPage, TechnicianRating, VisitRow};

/// The service report of a case: signed (with its hash check) or the draft.
/// Any signed-in staff member.
#[server(endpoint = "get_report")]
pub async fn get_report(number: String) -> Result<ReportPage, AppError> {
    crate::backend::auth::require_staff(&[]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::reports::report(&pool, &number).await
}

/// The customer signs on the technician's screen. The assigned technician,
/// the owner or a supervisor holds it. `signature` is a PNG data URL.
#[server(input = Json, endpoint = "sign_report")]
pub async fn sign_report(number: String, signer: String, signature: String) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[]).await?;
    let state = crate::backend::state::app_state()?;
    let case_id = crate::domain::case_number::parse(&number).ok_or(AppError::NotFound)?;
    let by = crate::domain::lifecycle::Actor::Staff { id: user.id };
    crate::backend::reports::sign(&state.pool, &state.live, case_id, by, &signer, &signature).await
}

/// The signed-in technician's visits.
#[server(endpoint = "my_visits")]
pub async fn my_visits() -> Result<Vec<VisitRow>, AppError> {
    let user = crate::backend::auth::require_staff(&[]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::worklists::my_visits(&pool, &user).await
}

/// Return visits due, open complaints, loaners and factory returns out.
/// Dispatchers, supervisors and admins.
#[server(endpoint = "list_follow_ups")]
pub async fn list_follow_ups() -> Result<FollowUps, AppError> {
    use crate::models::Role;
    crate::backend::auth::require_staff(&[Role::Dispatcher, Role::Supervisor, Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::worklists::follow_ups(&pool).await
}

/// Satisfaction per technician. Supervisors and admins.
#[server(endpoint = "list_ratings")]
pub async fn list_ratings() -> Result<Vec<TechnicianRating>, AppError> {
    use crate::models::Role;
    crate::backend::auth::require_staff(&[Role::Supervisor, Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::worklists::ratings(&pool).await
}
