use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

use crate::domain::clock::{Policy, Zone};
use crate::errors::AppError;
#[cfg(feature = "ssr")]
use crate::models::Role;
use crate::models::{CalendarForm, ServiceSettings};

/// Calendar, policies and site zones. Admins edit; supervisors read.
#[server(endpoint = "load_settings")]
pub async fn load_settings() -> Result<ServiceSettings, AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::settings::settings(&pool, user.role == Role::Admin).await
}

#[server(input = Json, endpoint = "save_calendar")]
pub async fn save_calendar(form: CalendarForm) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::settings::save_calendar(&pool, &form).await?;
    tracing::info!(user = %user.username, "service calendar saved");
    Ok(())
}

#[server(input = Json, endpoint = "save_policy")]
pub async fn save_policy(org_id: i64, policy: Policy) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::settings::save_policy(&pool, org_id, &policy).await?;
    tracing::info!(user = %user.username, org_id, "service policy saved");
    Ok(())
}

#[server(input = Json, endpoint = "save_site_zone")]
pub async fn save_site_zone(site_id: i64, zone: Zone) -> Result<(), AppError> {
    crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::settings::save_zone(&pool, site_id, zone).await
}

/// Allowed embedding origins (the widget's `frame-ancestors`) and theme colour.
#[server(input = Json, endpoint = "save_embedding")]
pub async fn save_embedding(org_id: i64, origins: String, colour: String, daily_case_cap: Option<u32>) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::settings::save_embedding(&pool, org_id, &origins, &colour, daily_case_cap).await?;
    tracing::info!(user = %user.username, org_id, "embedding settings saved");
    Ok(())
}

/// Removes the logo from an organisation's widget (uploads go to
/// `POST /api/org-logo?org_id=…`, the image as the body).
#[server(input = Json, endpoint = "remove_logo")]
pub async fn remove_logo(org_id: i64) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::settings::save_logo(&pool, org_id, None).await?;
    tracing::info!(user = %user.username, org_id, "widget logo removed");
    Ok(())
}
