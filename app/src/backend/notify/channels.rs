//! Notification channels as admins configure them: checked, stored, and
//! listed with their address and secret masked.

use sqlx::{AnyConnection, AnyPool};

use crate::domain::notify::{self, ChannelKind, Topic};
use crate::errors::{AppError, Field, FieldError, Problem};
use crate::i18n::Locale;
use crate::models::notify::{ChannelForm, ChannelView, Channels};

/// A channel with what sending needs (secrets in full: never send it out).
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub topics: Vec<Topic>,
    pub org_id: Option<i64>,
    pub mention_on_duty: bool,
    pub language: Locale,
    pub active: bool,
    /// Removed by an admin (kept for the log).
    pub removed: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    name: String,
    url: String,
    secret: String,
    topics: String,
    org_id: Option<i64>,
    mention_on_duty: i64,
    language: String,
    active: i64,
    deleted_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, name, url, secret, topics, org_id, mention_on_duty, language, active, deleted_at";

impl Row {
    fn stored(self) -> Option<Stored> {
        Some(Stored {
            id: self.id,
            kind: ChannelKind::parse(&self.kind)?,
            name: self.name,
            url: self.url,
            secret: self.secret,
            topics: self.topics.split_whitespace().filter_map(Topic::parse).collect(),
            org_id: self.org_id,
            mention_on_duty: self.mention_on_duty != 0,
            language: Locale::from_tag(&self.language).unwrap_or_default(),
            active: self.active != 0,
            removed: self.deleted_at.is_some(),
        })
    }
}

impl Stored {
    fn view(&self) -> ChannelView {
        ChannelView {
            id: self.id,
            kind: self.kind,
            name: self.name.clone(),
            // Recipients are not secrets; webhook addresses are.
            url: if self.kind == ChannelKind::Email { self.url.clone() } else { notify::mask_url(&self.url) },
            secret: if self.secret.is_empty() { String::new() } else { notify::mask(&self.secret) },
            topics: self.topics.clone(),
            org_id: self.org_id,
            mention_on_duty: self.mention_on_duty,
            language: self.language,
            active: self.active,
        }
    }
}

/// Every channel not removed, masked, and the organisations to limit one to.
pub async fn list(pool: &AnyPool, email_ready: bool) -> Result<Channels, AppError> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM notify_channels WHERE deleted_at IS NULL ORDER BY id")).fetch_all(pool).await?;
    let orgs: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM organisations ORDER BY name, id").fetch_all(pool).await?;
    Ok(Channels { channels: rows.into_iter().filter_map(Row::stored).map(|c| c.view()).collect(), orgs, email_ready })
}

/// A channel (removed ones too: the log still names them).
pub async fn load(conn: &mut AnyConnection, id: i64) -> Result<Option<Stored>, AppError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM notify_channels WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.and_then(Row::stored))
}

/// What is wrong with a form, given the stored channel it edits.
pub fn check(form: &ChannelForm, existing: Option<&Stored>, any_url: bool, email_ready: bool) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut problem = |field, problem| out.push(FieldError { field, problem });
    let name = form.name.trim();
    if name.is_empty() {
        problem(Field::ChannelName, Problem::Required);
    } else if name.chars().count() > notify::MAX_NAME || name.chars().any(char::is_control) {
        problem(Field::ChannelName, Problem::TooLong { max: notify::MAX_NAME as u32 });
    }
    let url = effective(&form.url, existing.map(|e| e.url.as_str()));
    // E-mail needs the server's relay; without one the address cannot be used.
    if !notify::url_ok(form.kind, url.trim(), any_url) || (form.kind == ChannelKind::Email && !email_ready) {
        problem(Field::ChannelUrl, Problem::Invalid);
    }
    let secret = effective(&form.secret, existing.map(|e| e.secret.as_str()));
    if form.kind.needs_secret() && secret.trim().is_empty() {
        problem(Field::ChannelSecret, Problem::Required);
    } else if secret.chars().count() > notify::MAX_SECRET || secret.trim().chars().any(|c| c.is_whitespace() || c.is_control()) {
        problem(Field::ChannelSecret, Problem::Invalid);
    }
    out
}

/// A typed value, or the stored one when left empty while editing.
fn effective<'a>(typed: &'a str, stored: Option<&'a str>) -> &'a str {
    match stored {
        Some(s) if typed.trim().is_empty() => s,
        _ => typed,
    }
}

/// Creates or updates a channel; returns its id.
pub async fn save(pool: &AnyPool, form: &ChannelForm, any_url: bool, email_ready: bool) -> Result<i64, AppError> {
    let now = super::super::db::now_ms();
    let mut tx = super::super::db::begin_write(pool).await?;
    let existing = match form.id {
        Some(id) => Some(load(&mut tx, id).await?.filter(|c| !c.removed).ok_or(AppError::NotFound)?),
        None => None,
    };
    let problems = check(form, existing.as_ref(), any_url, email_ready);
    if !problems.is_empty() {
        return Err(AppError::invalid(problems));
    }
    if let Some(org) = form.org_id {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM organisations WHERE id = $1").bind(org).fetch_optional(&mut *tx).await?;
        found.ok_or(AppError::NotFound)?;
    }
    let url = effective(&form.url, existing.as_ref().map(|e| e.url.as_str())).trim().to_string();
    let secret = effective(&form.secret, existing.as_ref().map(|e| e.secret.as_str())).trim().to_string();
    let mut topics: Vec<&str> = Vec::new();
    for t in form.topics.iter().filter(|t| **t != Topic::Test) {
        if !topics.contains(&t.as_str()) {
            topics.push(t.as_str());
        }
    }
    let topics = topics.join(" ");
    let flag = |b: bool| b as i64;
    let id = match form.id {
        Some(id) => {
            sqlx::query(
                "UPDATE notify_channels SET kind = $1, name = $2, url = $3, secret = $4, topics = $5, org_id = $6, \
                 mention_on_duty = $7, language = $8, active = $9, updated_at = $10 WHERE id = $11 AND deleted_at IS NULL",
            )
            .bind(form.kind.as_str())
            .bind(form.name.trim())
            .bind(&url)
            .bind(&secret)
            .bind(&topics)
            .bind(form.org_id)
            .bind(flag(form.mention_on_duty))
            .bind(form.language.tag())
            .bind(flag(form.active))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO notify_channels (kind, name, url, secret, topics, org_id, mention_on_duty, language, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            )
            .bind(form.kind.as_str())
            .bind(form.name.trim())
            .bind(&url)
            .bind(&secret)
            .bind(&topics)
            .bind(form.org_id)
            .bind(flag(form.mention_on_duty))
            .bind(form.language.tag())
            .bind(flag(form.active))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok(id)
}

/// Removes a channel: it stays for the log; its waiting messages are failed.
pub async fn delete(pool: &AnyPool, id: i64) -> Result<(), AppError> {
    let now = super::super::db::now_ms();
    let mut tx = super::super::db::begin_write(pool).await?;
    let done = sqlx::query("UPDATE notify_channels SET deleted_at = $1, active = 0 WHERE id = $2 AND deleted_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    sqlx::query("UPDATE notify_outbox SET status = 'failed', last_error = 'channel removed' WHERE channel_id = $1 AND status = 'pending'")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
