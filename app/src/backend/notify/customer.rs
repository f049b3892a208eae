//! What a case event tells its customer: a text if they opted in at intake
//! (and the SMS account has a template for it), an e-mail if they gave an
//! address. One read of the case's contact details, in the transaction of
//! the event that causes the messages, so they commit or roll back with it.

use serde_json::{json, Map, Value};
use sqlx::AnyConnection;

use super::{customer_mail, sms};
use crate::backend::db::format_local;
use crate::domain::case_number;
use crate::domain::lifecycle::CaseEvent;
use crate::domain::notify::sms::{is_mobile, sms_of};
use crate::errors::AppError;
use crate::models::notify::SmsTemplates;

#[derive(sqlx::FromRow)]
struct Contact {
    org_id: i64,
    phone: String,
    sms_opt_in: i64,
    email: String,
    locale: String,
    widget_key: String,
    timezone: String,
    templates: Option<String>,
    active: Option<i64>,
}

/// Writes the messages this event sends the customer, if any.
pub async fn enqueue(conn: &mut AnyConnection, case_id: i64, event_id: i64, event: &CaseEvent, at_ms: i64) -> Result<(), AppError> {
    let Some(message) = sms_of(event) else { return Ok(()) };
    let contact: Option<Contact> = sqlx::query_as(
        "SELECT c.org_id AS org_id, c.phone AS phone, c.sms_opt_in AS sms_opt_in, c.email AS email, c.locale AS locale, \
         o.widget_key AS widget_key, o.timezone AS timezone, s.templates AS templates, s.active AS active \
         FROM cases c JOIN organisations o ON o.id = c.org_id LEFT JOIN sms_account s ON s.id = 1 WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(c) = contact else { return Ok(()) };
    let templates: SmsTemplates = c.templates.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
    let texted = c.sms_opt_in != 0 && c.active == Some(1) && is_mobile(&c.phone) && !templates.get(message).is_empty();
    let mailed = !c.email.is_empty();
    if !texted && !mailed {
        return Ok(());
    }
    let params = params(case_id, event, &c.widget_key, &c.timezone);
    if texted {
        sms::insert(conn, case_id, event_id, message, &c.phone, &params, at_ms).await?;
    }
    if mailed {
        let to = customer_mail::Recipient { case_id, org_id: c.org_id, address: &c.email, locale: &c.locale };
        customer_mail::insert(conn, &to, event_id, message, &params, at_ms).await?;
    }
    Ok(())
}

/// What the message fills in: the case number, and the appointment, arrival
/// time, price or link the event brings. Times are the organisation's local
/// time, short ("12-03 14:00"), as SMS template variables must be.
fn params(case_id: i64, event: &CaseEvent, widget_key: &str, timezone: &str) -> Map<String, Value> {
    let mut params = Map::new();
    params.insert("number".into(), json!(case_number::format(case_id)));
    match event {
        CaseEvent::Dispatched { appointment_ms, .. } => {
            let local = format_local(*appointment_ms, timezone);
            params.insert("time".into(), json!(local.get(5..).unwrap_or(&local)));
        }
        CaseEvent::OnTheWay { eta_ms } => {
            let local = format_local(*eta_ms, timezone);
            params.insert("time".into(), json!(local.get(11..).unwrap_or(&local)));
        }
        CaseEvent::QuoteIssued { amount_cents, .. } => {
            params.insert("amount".into(), json!(format!("{}.{:02}", amount_cents / 100, amount_cents % 100)));
        }
        // A path: the sender puts the server's public address before it.
        CaseEvent::Resolved { .. } => {
            params.insert("link".into(), json!(format!("/widget/{widget_key}")));
        }
        _ => {}
    }
    params
}
