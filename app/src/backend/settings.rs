//! Service settings staff edit: the company calendar, each organisation's
//! service-time targets, embedding and logo, and each site's zone. A change
//! that moves clocks marks open cases for recomputing (`schedule`).

use sqlx::AnyPool;

use super::terms::terms_from;
use crate::domain::calendar::Calendar;
use crate::domain::clock::{Policy, Zone};
use crate::errors::AppError;

/// An organisation's row as the settings page reads it.
#[derive(sqlx::FromRow)]
struct OrgRow {
    id: i64,
    name: String,
    timezone: String,
    policy: String,
    widget_key: String,
    allowed_origins: String,
    theme_color: String,
    logo_sha256: String,
    daily_case_cap: Option<i64>,
    hotline: String,
}

pub async fn settings(pool: &AnyPool, can_edit: bool) -> Result<crate::models::ServiceSettings, AppError> {
    use crate::domain::calendar::format_day_hours;
    use crate::models::{CalendarForm, OrgTerms, ServiceSettings, SiteZone};
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT data, source FROM service_calendars ORDER BY id LIMIT 1").fetch_optional(pool).await?;
    let calendar = match row {
        Some((data, source)) => {
            let cal: Calendar = serde_json::from_str(&data).map_err(AppError::internal)?;
            CalendarForm { always: cal.always, weekly: cal.weekly.iter().map(|d| format_day_hours(d)).collect(), holidays: source }
        }
        None => {
            let cal = Calendar::china_office();
            CalendarForm { always: false, weekly: cal.weekly.iter().map(|d| format_day_hours(d)).collect(), holidays: String::new() }
        }
    };
    let orgs: Vec<OrgRow> = sqlx::query_as(
        "SELECT o.id, o.name, o.timezone, o.policy, o.widget_key, o.allowed_origins, o.theme_color, o.logo_sha256, o.daily_case_cap, \
         COALESCE(c.hotline, '') AS hotline FROM organisations o LEFT JOIN companies c ON c.id = o.company_id ORDER BY o.name, o.id",
    )
    .fetch_all(pool)
    .await?;
    let sites: Vec<(i64, i64, String, String)> =
        sqlx::query_as("SELECT id, org_id, name, zone FROM sites ORDER BY name, id").fetch_all(pool).await?;
    let orgs = orgs
        .into_iter()
        .map(|o| OrgTerms {
            id: o.id,
            daily_case_cap: o.daily_case_cap.and_then(|c| u32::try_from(c).ok()),
            name: o.name,
            logo_url: super::orgs::logo_url(&o.widget_key, &o.logo_sha256),
            widget_key: o.widget_key,
            allowed_origins: o.allowed_origins.split_whitespace().map(String::from).collect(),
            theme_color: o.theme_color,
            hotline: o.hotline,
            policy: terms_from(&o.timezone, &o.policy, None).policy,
            timezone: o.timezone,
            sites: sites
                .iter()
                .filter(|s| s.1 == o.id)
                .map(|(sid, _, name, zone)| SiteZone { id: *sid, name: name.clone(), zone: Zone::from_stored(zone) })
                .collect(),
        })
        .collect();
    Ok(ServiceSettings { calendar, orgs, can_edit })
}

/// Saves the company calendar; every organisation's clocks use it.
pub async fn save_calendar(pool: &AnyPool, form: &crate::models::CalendarForm) -> Result<(), AppError> {
    let cal = crate::domain::settings::calendar_from_form(form.always, &form.weekly, &form.holidays)
        .map_err(|problems| AppError::InvalidSettings { problems })?;
    let data = serde_json::to_string(&cal).map_err(AppError::internal)?;
    let now = super::db::now_ms();
    let mut tx = super::db::begin_write(pool).await?;
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM service_calendars ORDER BY id LIMIT 1").fetch_optional(&mut *tx).await?;
    let id = match existing {
        Some(id) => {
            sqlx::query("UPDATE service_calendars SET data = $1, source = $2, updated_at = $3 WHERE id = $4")
                .bind(&data)
                .bind(&form.holidays)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            sqlx::query_scalar("INSERT INTO service_calendars (name, data, source, updated_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind("service")
                .bind(&data)
                .bind(&form.holidays)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    sqlx::query("UPDATE organisations SET calendar_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    super::schedule::refresh_open(pool).await?;
    Ok(())
}

/// Longest target an admin may set: 60 days.
const MAX_TARGET_MINUTES: i64 = 60 * 24 * 60;

pub async fn save_policy(pool: &AnyPool, org_id: i64, policy: &Policy) -> Result<(), AppError> {
    let targets = policy.all();
    if targets.iter().any(|t| !(1..=MAX_TARGET_MINUTES).contains(&t.minutes)) {
        return Err(AppError::InvalidSettings { problems: vec![crate::errors::SettingsProblem::BadTarget] });
    }
    let json = serde_json::to_string(policy).map_err(AppError::internal)?;
    let changed =
        super::db::execute_write(pool, sqlx::query("UPDATE organisations SET policy = $1 WHERE id = $2").bind(json).bind(org_id)).await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    super::schedule::refresh_open(pool).await?;
    Ok(())
}

pub async fn save_zone(pool: &AnyPool, site_id: i64, zone: Zone) -> Result<(), AppError> {
    let text = serde_json::to_value(zone).ok().and_then(|v| v.as_str().map(String::from)).ok_or(AppError::BadRequest)?;
    let changed = super::db::execute_write(pool, sqlx::query("UPDATE sites SET zone = $1 WHERE id = $2").bind(text).bind(site_id)).await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    super::schedule::refresh_open(pool).await?;
    Ok(())
}

/// Where an organisation's widget may be embedded, and its colour.
pub async fn save_embedding(pool: &AnyPool, org_id: i64, origins: &str, colour: &str, daily_case_cap: Option<u32>) -> Result<(), AppError> {
    use crate::domain::embedding::{self, OriginProblem};
    use crate::errors::SettingsProblem;
    let mut problems = Vec::new();
    let list = embedding::parse_origins(origins).unwrap_or_else(|errs| {
        problems.extend(errs.into_iter().map(|e| match e {
            OriginProblem::NotAnOrigin { index } => SettingsProblem::BadOrigin { index },
            OriginProblem::TooMany => SettingsProblem::TooManyOrigins,
        }));
        Vec::new()
    });
    if !embedding::valid_colour(colour) {
        problems.push(SettingsProblem::BadColour);
    }
    if daily_case_cap.is_some_and(|c| !(1..=100_000).contains(&c)) {
        problems.push(SettingsProblem::BadCaseCap);
    }
    if !problems.is_empty() {
        return Err(AppError::InvalidSettings { problems });
    }
    let changed = super::db::execute_write(
        pool,
        sqlx::query("UPDATE organisations SET allowed_origins = $1, theme_color = $2, daily_case_cap = $3 WHERE id = $4")
            .bind(list.join(" "))
            .bind(colour.trim().to_ascii_lowercase())
            .bind(daily_case_cap.map(i64::from))
            .bind(org_id),
    )
    .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) the logo of an organisation's widget.
/// PNG, JPEG or WebP, judged by the bytes. Returns its new address.
pub async fn save_logo(pool: &AnyPool, org_id: i64, image: Option<&[u8]>) -> Result<String, AppError> {
    use crate::domain::embedding::MAX_LOGO_BYTES;
    use crate::errors::UploadProblem;
    use sha2::{Digest, Sha256};
    let (bytes, mime, sha256) = match image {
        None => (None, "", String::new()),
        Some([]) => return Err(AppError::InvalidUpload { problem: UploadProblem::Empty }),
        Some(b) if b.len() > MAX_LOGO_BYTES => {
            return Err(AppError::InvalidUpload { problem: UploadProblem::TooLarge { max_kb: (MAX_LOGO_BYTES / 1024) as u32 } })
        }
        Some(b) => {
            let mime = super::attachments::sniff_image(b).ok_or(AppError::InvalidUpload { problem: UploadProblem::NotAnImage })?;
            (Some(b.to_vec()), mime, hex::encode(Sha256::digest(b)))
        }
    };
    let key: Option<String> =
        sqlx::query_scalar("UPDATE organisations SET logo = $1, logo_mime = $2, logo_sha256 = $3 WHERE id = $4 RETURNING widget_key")
            .bind(bytes)
            .bind(mime)
            .bind(&sha256)
            .bind(org_id)
            .fetch_optional(pool)
            .await?;
    Ok(super::orgs::logo_url(&key.ok_or(AppError::NotFound)?, &sha256))
}
