//! Notification channels, the delivery log and the on-duty roster. Admins
//! configure channels; supervisors and admins read the log, send failed
//! messages again and keep the roster.

use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

use crate::errors::AppError;
use crate::models::notify::{
    ChannelForm, Channels, Delivery, DeliveryFilter, MailDelivery, RosterView, SmsAccountForm, SmsDelivery, SmsView, TestOutcome,
};
#[cfg(feature = "ssr")]
use crate::models::Role;

#[server(input = Json, endpoint = "load_channels")]
pub async fn load_channels() -> Result<Channels, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let state = crate::backend::state::app_state()?;
    crate::backend::notify::channels::list(&state.pool, state.notify.mailer.is_some()).await
}

/// Creates or edits a channel; returns its id.
#[server(input = Json, endpoint = "save_channel")]
pub async fn save_channel(form: ChannelForm) -> Result<i64, AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let state = crate::backend::state::app_state()?;
    let id = crate::backend::notify::channels::save(&state.pool, &form, state.notify.any_url, state.notify.mailer.is_some()).await?;
    // The id and kind only: the address and secret are never logged.
    tracing::info!(user = %user.username, channel = id, kind = form.kind.as_str(), "notification channel saved");
    Ok(id)
}

#[server(input = Json, endpoint = "delete_channel")]
pub async fn delete_channel(id: i64) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::channels::delete(&pool, id).await?;
    tracing::info!(user = %user.username, channel = id, "notification channel removed");
    Ok(())
}

/// Sends a test message now and returns what the provider answered.
#[server(input = Json, endpoint = "test_channel")]
pub async fn test_channel(id: i64) -> Result<TestOutcome, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let state = crate::backend::state::app_state()?;
    crate::backend::notify::outbox::send_test(&state.pool, &state.notify, id).await
}

#[server(input = Json, endpoint = "list_deliveries")]
pub async fn list_deliveries(filter: DeliveryFilter) -> Result<Vec<Delivery>, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::delivery_log::list(&pool, &filter).await
}

#[server(input = Json, endpoint = "retry_delivery")]
pub async fn retry_delivery(id: i64) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::delivery_log::retry(&pool, id).await?;
    tracing::info!(user = %user.username, message = id, "notification retried by hand");
    Ok(())
}

#[server(input = Json, endpoint = "load_roster")]
pub async fn load_roster() -> Result<RosterView, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::roster::view(&pool, true).await
}

#[server(input = Json, endpoint = "save_roster")]
pub async fn save_roster(csv: String) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::roster::save(&pool, &csv).await?;
    tracing::info!(user = %user.username, "on-duty roster saved");
    Ok(())
}

#[server(input = Json, endpoint = "load_sms")]
pub async fn load_sms() -> Result<SmsView, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::sms_account::view(&pool).await
}

#[server(input = Json, endpoint = "save_sms")]
pub async fn save_sms(form: SmsAccountForm) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let state = crate::backend::state::app_state()?;
    crate::backend::notify::sms_account::save(&state.pool, &form, state.notify.any_url).await?;
    // The provider only: keys and secrets are never logged.
    tracing::info!(user = %user.username, provider = form.provider.as_str(), "SMS account saved");
    Ok(())
}

/// Texts the `received` template to `phone` now; what the provider answered.
#[server(input = Json, endpoint = "test_sms")]
pub async fn test_sms(phone: String) -> Result<TestOutcome, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin]).await?;
    let state = crate::backend::state::app_state()?;
    crate::backend::notify::sms::send_test(&state.pool, &state.notify, &phone).await
}

#[server(input = Json, endpoint = "list_sms")]
pub async fn list_sms(case_number: String) -> Result<Vec<SmsDelivery>, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::sms::list(&pool, &case_number).await
}

#[server(input = Json, endpoint = "retry_sms")]
pub async fn retry_sms(id: i64) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::sms::retry(&pool, id).await?;
    tracing::info!(user = %user.username, sms = id, "text retried by hand");
    Ok(())
}

/// E-mails to customers, of one case or all (addresses masked).
#[server(input = Json, endpoint = "list_customer_mail")]
pub async fn list_customer_mail(case_number: String) -> Result<Vec<MailDelivery>, AppError> {
    crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::customer_mail::list(&pool, &case_number).await
}

#[server(input = Json, endpoint = "retry_customer_mail")]
pub async fn retry_customer_mail(id: i64) -> Result<(), AppError> {
    let user = crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    crate::backend::notify::customer_mail::retry(&pool, id).await?;
    tracing::info!(user = %user.username, mail = id, "customer e-mail retried by hand");
    Ok(())
}
