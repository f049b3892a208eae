use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

use crate::errors::AppError;
use crate::models::{CaseReceipt, CaseSubmission, WidgetInfo};

/// The organisation behind a widget key, with its assets. No login: the key
/// is public, like the page that embeds it.
#[server(endpoint = "load_widget")]
pub async fn load_widget(org_key: String) -> Result<WidgetInfo, AppError> {
    let pool = crate::backend::state::pool()?;
    crate::backend::cases::widget_info(&pool, &org_key).await
}

/// Creates a case from the widget: escalated to a technician, or recorded as
/// fixed by the customer.
#[server(input = Json, endpoint = "submit_case")]
pub async fn submit_case(submission: CaseSubmission) -> Result<CaseReceipt, AppError> {
    let pool = crate::backend::state::pool()?;
    crate::backend::cases::submit(&pool, submission).await
}
