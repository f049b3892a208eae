//! The on-duty roster as stored (CSV text, one row) and who is on duty
//! now, by the company calendar.

use sqlx::{AnyConnection, AnyPool};

use super::message::OnDuty;
use crate::domain::calendar::Calendar;
use crate::domain::notify::roster;
use crate::errors::{AppError, Field, FieldError, Problem};

/// The company calendar in its zone (Asia/Shanghai unless an organisation says otherwise).
pub async fn company_calendar(conn: &mut AnyConnection) -> Result<Calendar, AppError> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT COALESCE((SELECT timezone FROM organisations ORDER BY id LIMIT 1), 'Asia/Shanghai'), \
         (SELECT data FROM service_calendars ORDER BY id LIMIT 1)",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (timezone, data) = row.unwrap_or_else(|| ("Asia/Shanghai".into(), None));
    Ok(super::super::terms::terms_from(&timezone, "", data.as_deref()).working)
}

pub async fn csv(conn: &mut AnyConnection) -> Result<String, AppError> {
    let csv: Option<String> = sqlx::query_scalar("SELECT csv FROM duty_roster WHERE id = 1").fetch_optional(&mut *conn).await?;
    Ok(csv.unwrap_or_else(|| roster::format(&[])))
}

pub async fn view(pool: &AnyPool, can_edit: bool) -> Result<crate::models::notify::RosterView, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(crate::models::notify::RosterView {
        csv: csv(&mut conn).await?,
        can_edit,
        calendar: company_calendar(&mut conn).await?,
        now_ms: super::super::db::now_ms(),
    })
}

/// Replaces the roster; a line that cannot be read refuses all of it.
pub async fn save(pool: &AnyPool, text: &str) -> Result<(), AppError> {
    if text.len() > 64 * 1024 {
        return Err(AppError::invalid(vec![FieldError { field: Field::Roster, problem: Problem::TooLong { max: 64 * 1024 } }]));
    }
    let parsed = roster::parse(text);
    if let Some(&line) = parsed.bad_lines.first() {
        return Err(AppError::invalid(vec![FieldError { field: Field::Roster, problem: Problem::BadLine { line } }]));
    }
    let csv = roster::format(&parsed.shifts);
    let now = super::super::db::now_ms();
    let mut tx = super::super::db::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO duty_roster (id, csv, updated_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET csv = $1, updated_at = $2",
    )
    .bind(&csv)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the widget's promise needs of the roster at `now_ms`: when someone
/// next comes on duty if nobody is now, and outside the working hours of
/// `working` the on-duty number. An empty roster promises nothing.
pub async fn duty_for_promise(pool: &AnyPool, now_ms: i64, working: &Calendar) -> Result<(Option<i64>, String), AppError> {
    let mut conn = pool.acquire().await?;
    let shifts = roster::parse(&csv(&mut conn).await?).shifts;
    if shifts.is_empty() {
        return Ok((None, String::new()));
    }
    let cal = company_calendar(&mut conn).await?;
    drop(conn);
    let now = now_ms.div_euclid(60_000);
    let on = roster::on_duty(&shifts, &cal, now);
    Ok(match on.first() {
        None => (roster::next_on_duty(&shifts, &cal, now), String::new()),
        Some(s) if !working.is_working(now) => (None, s.phone.clone()),
        Some(_) => (None, String::new()),
    })
}

/// The roster's phone for a person named `name` (any shift).
pub async fn phone_of(conn: &mut AnyConnection, name: &str) -> Result<Option<String>, AppError> {
    let shifts = roster::parse(&csv(conn).await?).shifts;
    Ok(roster::phone_of(&shifts, name).map(str::to_string))
}

/// Who is on duty at `now_ms`.
pub async fn on_duty(conn: &mut AnyConnection, now_ms: i64) -> Result<Vec<OnDuty>, AppError> {
    let shifts = roster::parse(&csv(conn).await?).shifts;
    let cal = company_calendar(conn).await?;
    Ok(roster::on_duty(&shifts, &cal, now_ms.div_euclid(60_000))
        .into_iter()
        .map(|s| OnDuty { name: s.name.clone(), phone: s.phone.clone() })
        .collect())
}
