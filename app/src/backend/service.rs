//! Service terms of an organisation: its policy, its calendars and the
//! timezone rules the calendars need.

use sqlx::AnyPool;

use crate::domain::calendar::{Calendar, Offsets};
use crate::domain::clock::{Policy, Zone};
use crate::errors::AppError;

/// Everything a case's clocks are computed with.
#[derive(Debug, Clone)]
pub struct Terms {
    pub policy: Policy,
    pub working: Calendar,
    pub always: Calendar,
    pub timezone: String,
}

/// UTC-offset rules for an IANA zone, covering two years back and five
/// ahead (enough for any open case), so the browser needs no tz database.
pub fn offsets_for(timezone: &str) -> Offsets {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Computing takes a few milliseconds; every queue row needs it.
    static CACHE: OnceLock<Mutex<HashMap<String, Offsets>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(o) = cache.lock().ok().and_then(|c| c.get(timezone).cloned()) {
        return o;
    }
    let o = compute_offsets(timezone);
    if let Ok(mut c) = cache.lock() {
        c.insert(timezone.to_string(), o.clone());
    }
    o
}

fn compute_offsets(timezone: &str) -> Offsets {
    use chrono::{Offset, TimeZone};
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let now = chrono::Utc::now().timestamp() / 60;
    let offset_at = |minute: i64| tz.offset_from_utc_datetime(&chrono::DateTime::from_timestamp(minute * 60, 0).unwrap_or_default().naive_utc()).fix().local_minus_utc() / 60;
    let (from, to) = (now - 2 * 366 * 1440, now + 5 * 366 * 1440);
    let first = offset_at(from);
    let mut transitions = vec![(i64::MIN / 2, first)];
    // Hourly samples, then a binary search for the exact transition minute.
    let mut t = from;
    let mut current = first;
    while t < to {
        let next = t + 60;
        let o = offset_at(next);
        if o != current {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if offset_at(mid) == current { lo = mid } else { hi = mid }
            }
            transitions.push((hi, o));
            current = o;
        }
        t = next;
    }
    if transitions.len() == 1 {
        Offsets::Fixed { minutes: first }
    } else {
        Offsets::Transitions(transitions)
    }
}

pub fn parse_zone(s: &str) -> Zone {
    serde_json::from_value(serde_json::Value::String(s.into())).unwrap_or(Zone::Ring3)
}

/// The organisation's terms; a missing or unreadable policy or calendar
/// falls back to the brief's defaults (logged, never fatal for a case).
pub async fn terms<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(db: E, org_id: i64) -> Result<Terms, AppError> {
    let row: Option<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT o.timezone, o.policy, c.data FROM organisations o \
         LEFT JOIN service_calendars c ON c.id = o.calendar_id WHERE o.id = $1",
    )
    .bind(org_id)
    .fetch_optional(db)
    .await?;
    let (timezone, policy, calendar) = row.ok_or(AppError::NotFound)?;
    Ok(terms_from(&timezone, &policy, calendar.as_deref()))
}

pub fn terms_from(timezone: &str, policy: &str, calendar: Option<&str>) -> Terms {
    let policy = if policy.is_empty() {
        Policy::default()
    } else {
        serde_json::from_str(policy).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "unreadable policy: using the defaults");
            Policy::default()
        })
    };
    let offsets = offsets_for(timezone);
    let mut working = calendar
        .and_then(|c| serde_json::from_str::<Calendar>(c).map_err(|e| tracing::warn!(error = %e, "unreadable calendar")).ok())
        .unwrap_or_else(Calendar::china_office);
    working.timezone = timezone.into();
    working.offsets = offsets.clone();
    Terms { policy, working, always: Calendar::always_open(timezone, offsets), timezone: timezone.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_is_fixed_and_new_york_has_dst() {
        assert_eq!(offsets_for("Asia/Shanghai"), Offsets::Fixed { minutes: 480 });
        let Offsets::Transitions(t) = offsets_for("America/New_York") else { panic!("expected DST transitions") };
        assert!(t.len() > 8);
        // Transitions land at 2:00 local (07:00 UTC in winter, 06:00 UTC in summer): whole hours.
        assert!(t[1..].iter().all(|(m, _)| m % 60 == 0));
        assert!(t.iter().all(|(_, o)| *o == -300 || *o == -240));
    }

    #[test]
    fn zones_parse_with_a_safe_default() {
        assert_eq!(parse_zone("ring1"), Zone::Ring1);
        assert_eq!(parse_zone("nearby_city"), Zone::NearbyCity);
        assert_eq!(parse_zone("moon"), Zone::Ring3);
    }
}

/// The calendar an admin submitted, checked line by line.
pub fn calendar_from_form(form: &crate::models::CalendarForm) -> Result<Calendar, Vec<crate::errors::SettingsProblem>> {
    use crate::domain::calendar::{parse_day_hours, Interval};
    use crate::domain::holidays;
    use crate::errors::SettingsProblem;
    let mut problems = Vec::new();
    let mut cal = Calendar::china_office();
    cal.always = form.always;
    if form.weekly.len() != 7 {
        problems.push(SettingsProblem::BadHours { weekday: 0 });
    }
    for (weekday, text) in form.weekly.iter().take(7).enumerate() {
        match parse_day_hours(text) {
            Some(day) if day.windows(2).any(|w| w[1].start < w[0].end) => {
                problems.push(SettingsProblem::OverlappingHours { weekday: weekday as u8 })
            }
            Some(day) => cal.weekly[weekday] = day,
            None => problems.push(SettingsProblem::BadHours { weekday: weekday as u8 }),
        }
    }
    let import = holidays::parse(&form.holidays);
    problems.extend(import.errors.iter().map(|e| SettingsProblem::HolidayLine { line: e.line as u32, issue: e.problem }));
    cal.holidays = import.holidays();
    // Make-up days are worked like a normal weekday (Monday's hours).
    let hours: Vec<Interval> = cal.weekly[0].clone();
    cal.extra_workdays = import.workdays(&hours);
    if problems.is_empty() {
        Ok(cal)
    } else {
        Err(problems)
    }
}

pub async fn settings(pool: &AnyPool, can_edit: bool) -> Result<crate::models::ServiceSettings, AppError> {
    use crate::domain::calendar::format_day_hours;
    use crate::models::{CalendarForm, OrgTerms, ServiceSettings, SiteZone};
    let row: Option<(String, String)> = sqlx::query_as("SELECT data, source FROM service_calendars ORDER BY id LIMIT 1").fetch_optional(pool).await?;
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
    let orgs: Vec<(i64, String, String, String, String, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, timezone, policy, widget_key, allowed_origins, theme_color, logo_sha256, daily_case_cap FROM organisations ORDER BY name, id",
    )
    .fetch_all(pool)
    .await?;
    let sites: Vec<(i64, i64, String, String)> = sqlx::query_as("SELECT id, org_id, name, zone FROM sites ORDER BY name, id").fetch_all(pool).await?;
    let orgs = orgs
        .into_iter()
        .map(|(id, name, timezone, policy, widget_key, origins, theme_color, logo_sha256, cap)| OrgTerms {
            id,
            daily_case_cap: cap.and_then(|c| u32::try_from(c).ok()),
            name,
            logo_url: logo_url(&widget_key, &logo_sha256),
            widget_key,
            allowed_origins: origins.split_whitespace().map(String::from).collect(),
            theme_color,
            policy: terms_from(&timezone, &policy, None).policy,
            timezone,
            sites: sites
                .iter()
                .filter(|s| s.1 == id)
                .map(|(sid, _, name, zone)| SiteZone { id: *sid, name: name.clone(), zone: parse_zone(zone) })
                .collect(),
        })
        .collect();
    Ok(ServiceSettings { calendar, orgs, can_edit })
}

/// Saves the company calendar; every organisation's clocks use it.
pub async fn save_calendar(pool: &AnyPool, form: &crate::models::CalendarForm) -> Result<(), AppError> {
    if form.holidays.len() > crate::domain::holidays::MAX_BYTES {
        return Err(AppError::InvalidSettings {
            problems: vec![crate::errors::SettingsProblem::HolidayLine { line: 1, issue: crate::domain::holidays::LineProblem::TooLong }],
        });
    }
    let cal = calendar_from_form(form).map_err(|problems| AppError::InvalidSettings { problems })?;
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
    let changed = sqlx::query("UPDATE organisations SET policy = $1 WHERE id = $2").bind(json).bind(org_id).execute(pool).await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    super::schedule::refresh_open(pool).await?;
    Ok(())
}

pub async fn save_zone(pool: &AnyPool, site_id: i64, zone: Zone) -> Result<(), AppError> {
    let text = serde_json::to_value(zone).ok().and_then(|v| v.as_str().map(String::from)).ok_or(AppError::BadRequest)?;
    let changed = sqlx::query("UPDATE sites SET zone = $1 WHERE id = $2").bind(text).bind(site_id).execute(pool).await?;
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
    let changed = sqlx::query("UPDATE organisations SET allowed_origins = $1, theme_color = $2, daily_case_cap = $3 WHERE id = $4")
        .bind(list.join(" "))
        .bind(colour.trim().to_ascii_lowercase())
        .bind(daily_case_cap.map(i64::from))
        .bind(org_id)
        .execute(pool)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The widget route's `frame-ancestors` for an organisation's key.
pub async fn frame_ancestors(pool: &AnyPool, widget_key: &str) -> Result<String, AppError> {
    let origins: Option<String> =
        sqlx::query_scalar("SELECT allowed_origins FROM organisations WHERE widget_key = $1").bind(widget_key).fetch_optional(pool).await?;
    let list: Vec<String> = origins.unwrap_or_default().split_whitespace().map(String::from).collect();
    Ok(crate::domain::embedding::frame_ancestors(&list))
}

/// The logo's address, versioned by its hash (so it can be cached for a
/// year), or empty when the organisation has none.
pub fn logo_url(widget_key: &str, sha256: &str) -> String {
    match sha256.get(..16) {
        Some(version) => format!("/widget-logo/{widget_key}?v={version}"),
        None => String::new(),
    }
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
            let mime = super::visits::sniff_image(b).ok_or(AppError::InvalidUpload { problem: UploadProblem::NotAnImage })?;
            (Some(b.to_vec()), mime, super::visits::hex(&Sha256::digest(b)))
        }
    };
    let key: Option<String> = sqlx::query_scalar("UPDATE organisations SET logo = $1, logo_mime = $2, logo_sha256 = $3 WHERE id = $4 RETURNING widget_key")
        .bind(bytes)
        .bind(mime)
        .bind(&sha256)
        .bind(org_id)
        .fetch_optional(pool)
        .await?;
    Ok(logo_url(&key.ok_or(AppError::NotFound)?, &sha256))
}
