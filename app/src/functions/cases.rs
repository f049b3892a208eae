use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{CaseDetail, QueueRow};

/// Escalated cases, newest first. Any signed-in staff member.
#[server(endpoint = "list_queue")]
pub async fn list_queue() -> Result<Vec<QueueRow>, AppError> {
    crate::backend::auth::require_staff(&[]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::cases::queue(&pool).await
}

/// One case with what the customer reported and tried. Any signed-in staff member.
#[server(endpoint = "get_case")]
pub async fn get_case(number: String) -> Result<CaseDetail, AppError> {
    crate::backend::auth::require_staff(&[]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::cases::detail(&pool, &number, crate::app::request_locale()).await
}
