//! The service company's template-SMS account (Aliyun or Tencent Cloud):
//! checked as the provider would refuse it, stored, and shown back with the
//! secret masked.

use sqlx::{AnyConnection, AnyPool};

use crate::backend::db::{begin_write, now_ms};
use crate::domain::notify::sms::{check_account, SmsAccount, SmsProblem, SmsProvider};
use crate::domain::notify::{self};
use crate::errors::{AppError, Field, FieldError, Problem};
use crate::models::notify::{SmsAccountForm, SmsTemplates, SmsView};

/// The account with what sending needs (the secret in full: never send it out).
#[derive(Debug, Clone)]
pub struct Account {
    pub form: SmsAccountForm,
}

#[derive(sqlx::FromRow)]
struct Row {
    provider: String,
    endpoint: String,
    key_id: String,
    secret: String,
    sign_name: String,
    app_id: String,
    templates: String,
    active: i64,
}

pub async fn load(conn: &mut AnyConnection) -> Result<Option<Account>, AppError> {
    let row: Option<Row> =
        sqlx::query_as("SELECT provider, endpoint, key_id, secret, sign_name, app_id, templates, active FROM sms_account WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.and_then(|r| {
        Some(Account {
            form: SmsAccountForm {
                provider: SmsProvider::parse(&r.provider)?,
                endpoint: r.endpoint,
                key_id: r.key_id,
                secret: r.secret,
                sign_name: r.sign_name,
                app_id: r.app_id,
                templates: serde_json::from_str(&r.templates).unwrap_or_default(),
                active: r.active != 0,
            },
        })
    }))
}

/// The account as the console shows it: the secret masked.
pub async fn view(pool: &AnyPool) -> Result<SmsView, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(match load(&mut conn).await? {
        Some(a) => SmsView { configured: true, account: SmsAccountForm { secret: notify::mask(&a.form.secret), ..a.form } },
        None => SmsView {
            configured: false,
            account: SmsAccountForm {
                provider: SmsProvider::Aliyun,
                endpoint: SmsProvider::Aliyun.default_endpoint(),
                key_id: String::new(),
                secret: String::new(),
                sign_name: String::new(),
                app_id: String::new(),
                templates: SmsTemplates::default(),
                active: false,
            },
        },
    })
}

/// Stores the account; an empty secret keeps the stored one (of the same
/// provider: another provider's secret never signs).
pub async fn save(pool: &AnyPool, form: &SmsAccountForm, any_url: bool) -> Result<(), AppError> {
    let mut tx = begin_write(pool).await?;
    let stored = load(&mut tx).await?;
    let secret = match &stored {
        Some(s) if form.secret.trim().is_empty() && s.form.provider == form.provider => s.form.secret.clone(),
        _ => form.secret.trim().to_string(),
    };
    let (endpoint, key_id, sign_name) = (form.endpoint.trim(), form.key_id.trim(), form.sign_name.trim());
    // Only Tencent has an app id: one left over from switching providers is dropped.
    let app_id = if form.provider == SmsProvider::Tencent { form.app_id.trim() } else { "" };
    let templates = SmsTemplates {
        received: form.templates.received.trim().into(),
        appointment: form.templates.appointment.trim().into(),
        on_the_way: form.templates.on_the_way.trim().into(),
        quote: form.templates.quote.trim().into(),
        fixed: form.templates.fixed.trim().into(),
    };
    let problems = check_account(
        &SmsAccount { provider: form.provider, endpoint, key_id, secret: &secret, sign_name, app_id, templates: &templates.all() },
        any_url,
    );
    if !problems.is_empty() {
        let fields = problems
            .into_iter()
            .map(|p| {
                let (field, empty) = match p {
                    SmsProblem::Endpoint => (Field::SmsEndpoint, endpoint.is_empty()),
                    SmsProblem::KeyId => (Field::SmsKeyId, key_id.is_empty()),
                    SmsProblem::Secret => (Field::ChannelSecret, secret.is_empty()),
                    SmsProblem::SignName => (Field::SmsSignName, sign_name.is_empty()),
                    SmsProblem::AppId => (Field::SmsAppId, app_id.is_empty()),
                    SmsProblem::Template => (Field::SmsTemplate, false),
                };
                FieldError { field, problem: if empty { Problem::Required } else { Problem::Invalid } }
            })
            .collect();
        return Err(AppError::invalid(fields));
    }
    let templates = serde_json::to_string(&templates).map_err(AppError::internal)?;
    sqlx::query(
        "INSERT INTO sms_account (id, provider, endpoint, key_id, secret, sign_name, app_id, templates, active, updated_at) \
         VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, endpoint = excluded.endpoint, key_id = excluded.key_id, \
         secret = excluded.secret, sign_name = excluded.sign_name, app_id = excluded.app_id, templates = excluded.templates, \
         active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(form.provider.as_str())
    .bind(endpoint)
    .bind(key_id)
    .bind(&secret)
    .bind(sign_name)
    .bind(app_id)
    .bind(&templates)
    .bind(form.active as i64)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
