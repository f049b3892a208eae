use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

use crate::errors::AppError;
use crate::models::{CaseReceipt, CaseSubmission, CaseTrack, GuideOffer, WidgetInfo};

/// The organisation behind a widget key, with its assets. No login: the key
/// is public, like the page that embeds it.
#[server(endpoint = "load_widget")]
pub async fn load_widget(org_key: String, #[server(default)] client: String) -> Result<WidgetInfo, AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Read, &org_key, &client)?;
    let pool = crate::backend::state::pool()?;
    crate::backend::orgs::widget_info(&pool, &org_key).await
}

/// The troubleshooting guides for one of the organisation's assets. The
/// browser walks them with no further requests.
#[server(endpoint = "load_guides")]
pub async fn load_guides(org_key: String, asset_id: i64, #[server(default)] client: String) -> Result<GuideOffer, AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Read, &org_key, &client)?;
    let pool = crate::backend::state::pool()?;
    crate::backend::intake::guide_offer(&pool, &org_key, asset_id).await
}

/// The customer began walking a guide (counted for the guide's analytics).
#[server(endpoint = "start_guide")]
pub async fn start_guide(
    org_key: String,
    session_id: String,
    guide_id: String,
    guide_version: u32,
    #[server(default)] client: String,
) -> Result<(), AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Read, &org_key, &client)?;
    let pool = crate::backend::state::pool()?;
    crate::backend::intake::start_guide_session(&pool, &org_key, &session_id, &guide_id, guide_version).await
}

/// Where an unfinished walk stands; sent as a beacon when the page is hidden.
#[server(input = Json, endpoint = "guide_progress")]
pub async fn guide_progress(
    org_key: String,
    session_id: String,
    last_node: String,
    steps: u32,
    #[server(default)] client: String,
) -> Result<(), AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Read, &org_key, &client)?;
    let pool = crate::backend::state::pool()?;
    crate::backend::intake::guide_progress(&pool, &org_key, &session_id, &last_node, steps).await
}

/// Creates a case from the widget: escalated to a technician, or recorded as
/// fixed by the customer.
#[server(input = Json, endpoint = "submit_case")]
pub async fn submit_case(submission: CaseSubmission, #[server(default)] client: String) -> Result<CaseReceipt, AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Submit, &submission.org_key, &client)?;
    // A widget from before the field: the request's language.
    let mut submission = submission;
    submission.locale = submission.locale.or_else(|| Some(crate::language::request_locale()));
    let state = crate::backend::state::app_state()?;
    let receipt = crate::backend::intake::submit(&state.pool, &state.limits, submission).await?;
    state.live.publish(&state.pool, &receipt.number).await;
    Ok(receipt)
}

/// The customer's view of a case, by the token their browser kept when
/// they reported it. No login; the token is the key.
#[server(endpoint = "track_case")]
pub async fn track_case(org_key: String, token: String, #[server(default)] client: String) -> Result<CaseTrack, AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Read, &org_key, &client)?;
    let pool = crate::backend::state::pool()?;
    crate::backend::cases::track(&pool, &org_key, &token, crate::language::request_locale()).await
}

/// Holds until one of this browser's cases changes (`true`) or 25 s pass
/// (`false`): the tracker then refreshes at once. The tokens travel in the
/// body, never in an address.
#[server(input = Json, endpoint = "await_case_change")]
pub async fn await_case_change(org_key: String, tokens: Vec<String>, #[server(default)] client: String) -> Result<bool, AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Read, &org_key, &client)?;
    let state = crate::backend::state::app_state()?;
    crate::backend::case_watch::wait(&state.pool, &state.live, &org_key, &tokens).await
}

/// A customer on another device finds a case by its number and the phone
/// it was reported with; this browser gets its own token (the answer).
/// "Not found" alike for an unknown number and a wrong phone.
#[server(endpoint = "find_case")]
pub async fn find_case(org_key: String, number: String, phone: String, #[server(default)] client: String) -> Result<String, AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Submit, &org_key, &client)?;
    let pool = crate::backend::state::pool()?;
    crate::backend::case_lookup::find(&pool, &org_key, &number, &phone).await.map(|r| r.access_token)
}

/// The customer approves (or declines) the price of a paid repair.
#[server(endpoint = "answer_quote")]
pub async fn answer_quote(org_key: String, token: String, approved: bool, #[server(default)] client: String) -> Result<(), AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Submit, &org_key, &client)?;
    let state = crate::backend::state::app_state()?;
    let case_id = crate::backend::cases::case_for_token(&state.pool, &org_key, &token).await?;
    crate::backend::actions::answer_quote(&state.pool, &state.live, case_id, approved).await
}

/// The customer adds information, confirms the fix, rates or complains.
#[server(input = Json, endpoint = "customer_action")]
pub async fn customer_action(
    org_key: String,
    token: String,
    action: crate::domain::lifecycle::CustomerAction,
    #[server(default)] client: String,
) -> Result<(), AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Submit, &org_key, &client)?;
    let state = crate::backend::state::app_state()?;
    let case_id = crate::backend::cases::case_for_token(&state.pool, &org_key, &token).await?;
    crate::backend::actions::customer_act(&state.pool, &state.live, case_id, &action).await
}

/// The service report as the customer sees it in the widget.
#[server(endpoint = "widget_report")]
pub async fn widget_report(
    org_key: String,
    token: String,
    #[server(default)] client: String,
) -> Result<crate::models::ReportPage, AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Read, &org_key, &client)?;
    let pool = crate::backend::state::pool()?;
    let case_id = crate::backend::cases::case_for_token(&pool, &org_key, &token).await?;
    crate::backend::reports::report(&pool, &crate::domain::case_number::format(case_id)).await
}

/// The customer signs the report later, in the widget.
#[server(input = Json, endpoint = "widget_sign_report")]
pub async fn widget_sign_report(
    org_key: String,
    token: String,
    signer: String,
    signature: String,
    #[server(default)] client: String,
) -> Result<(), AppError> {
    crate::backend::state::check_limit(crate::backend::limits::Class::Submit, &org_key, &client)?;
    let state = crate::backend::state::app_state()?;
    let case_id = crate::backend::cases::case_for_token(&state.pool, &org_key, &token).await?;
    crate::backend::reports::sign(&state.pool, &state.live, case_id, crate::domain::lifecycle::Actor::Customer, &signer, &signature).await
}
