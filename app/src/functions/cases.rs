use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

use crate::domain::lifecycle::CaseAction;
use crate::errors::AppError;
use crate::models::{CaseDetail, Queue, QueueFilter};

/// Escalated cases, nearest deadline first, filtered. Any signed-in staff member.
#[server(input = Json, endpoint = "list_queue")]
pub async fn list_queue(filter: QueueFilter) -> Result<Queue, AppError> {
    let user = crate::backend::auth::require_staff(&[]).await?;
    let state = crate::backend::state::app_state()?;
    let mut queue = crate::backend::cases::queue(&state.pool, &user, &filter).await?;
    // Supervisors and admins see when a limit refuses someone (it may be a
    // real organisation whose limit needs raising).
    if matches!(user.role, crate::models::Role::Supervisor | crate::models::Role::Admin) {
        queue.limited = state.limits.biting().into_iter().map(|b| (b.org_key, b.class.to_string(), b.refused)).collect();
    }
    Ok(queue)
}

/// One case with what the customer reported and tried, its clocks and its
/// history. Any signed-in staff member.
#[server(endpoint = "get_case")]
pub async fn get_case(number: String) -> Result<CaseDetail, AppError> {
    let user = crate::backend::auth::require_staff(&[]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::cases::detail(&pool, &number, &user, crate::language::request_locale()).await
}

/// A staff action on a case (claim, transfer, dispatch, …). Who may do
/// what is decided on the server by `domain::lifecycle::decide`.
#[server(input = Json, endpoint = "case_action")]
pub async fn act_on_case(number: String, action: CaseAction) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[]).await?;
    let state = crate::backend::state::app_state()?;
    crate::backend::actions::act(&state.pool, &state.live, &user, &number, &action).await.map(|_| ())
}
