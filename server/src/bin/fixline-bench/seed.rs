//! A database the size of a busy installation: copies of one real case,
//! made through the API, inserted with SQL (minutes through the API).
//! Open cases are spread over the last 30 days, closed ones over the year
//! before. Their schedules are left empty: the server computes them when it
//! starts, as it does for rows from an older version.

use app::domain::lifecycle::{Actor, CaseEvent};
use sqlx::{AnyConnection, Connection};

const DAY_MS: i64 = 24 * 3600 * 1000;
const BATCH: i64 = 5_000;

/// Adds `open` open and `closed` closed copies of case `template`.
pub async fn cases(database_url: &str, template: i64, open: i64, closed: i64) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(database_url).await.map_err(|e| e.to_string())?;
    let now = chrono::Utc::now().timestamp_millis();
    let closed_event = (CaseEvent::Closed.kind(), CaseEvent::Closed.to_stored(), Actor::Staff { id: 1 }.encode());
    for (status, count, newest, span) in
        [("escalated", open, now - 60_000, 30 * DAY_MS), ("closed", closed, now - 30 * DAY_MS, 335 * DAY_MS)]
    {
        let step = (span / count.max(1)).max(1);
        let mut from = 0;
        while from < count {
            let n = BATCH.min(count - from);
            let first_id: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM cases").fetch_one(&mut conn).await.map_err(|e| e.to_string())?;
            let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
            // Numbers 1..=n from a recursive CTE: the same SQL on both databases.
            let sql = format!(
                "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}) \
                 INSERT INTO cases (org_id, asset_id, submission_id, reporter_name, phone, symptom, status, guide_id, \
                 guide_version, steps, created_at, severity, sms_opt_in) \
                 SELECT c.org_id, c.asset_id, 'bench-{status}-' || CAST({from} + seq.i AS TEXT), c.reporter_name, \
                 '1390000' || CAST(1000 + ({from} + seq.i) % 9000 AS TEXT), c.symptom, '{status}', c.guide_id, c.guide_version, \
                 c.steps, {newest} - CAST({from} + seq.i AS BIGINT) * {step}, c.severity, 0 FROM cases c, seq WHERE c.id = {template}"
            );
            sqlx::query(&sql).execute(&mut *tx).await.map_err(|e| format!("seeding cases: {e}"))?;
            // The template's own events (the escalation), at each copy's time.
            sqlx::query(&format!(
                "INSERT INTO case_events (case_id, at, kind, actor, data) \
                 SELECT c.id, c.created_at, e.kind, e.actor, e.data FROM cases c, case_events e \
                 WHERE c.id > {first_id} AND e.case_id = {template} ORDER BY c.id, e.id"
            ))
            .execute(&mut *tx)
            .await
            .map_err(|e| format!("seeding events: {e}"))?;
            if status == "closed" {
                sqlx::query(&format!(
                    "INSERT INTO case_events (case_id, at, kind, actor, data) \
                     SELECT id, created_at + 2 * {DAY_MS}, $1, $2, $3 FROM cases WHERE id > {first_id} ORDER BY id"
                ))
                .bind(closed_event.0)
                .bind(&closed_event.1)
                .bind(&closed_event.2)
                .execute(&mut *tx)
                .await
                .map_err(|e| format!("seeding closing events: {e}"))?;
            }
            tx.commit().await.map_err(|e| e.to_string())?;
            from += n;
        }
    }
    conn.close().await.ok();
    Ok(())
}

/// Planner statistics as a database in use has them (PostgreSQL's
/// autovacuum keeps them; taken once the server has filled in schedules).
pub async fn analyze(database_url: &str) -> Result<(), String> {
    let mut conn = AnyConnection::connect(database_url).await.map_err(|e| e.to_string())?;
    // PostgreSQL: what autovacuum does within a minute of a bulk load (the
    // visibility map lets counts read the index alone); SQLite has no such step.
    let sql = if database_url.starts_with("postgres") { "VACUUM ANALYZE" } else { "ANALYZE" };
    sqlx::query(sql).execute(&mut conn).await.map_err(|e| e.to_string())?;
    conn.close().await.ok();
    Ok(())
}

/// Waits (at most `within`) until the server has computed every schedule
/// and the breach job has nothing due: what "idle" means.
pub async fn settled(database_url: &str, within: std::time::Duration) -> Result<std::time::Duration, String> {
    let start = std::time::Instant::now();
    let mut conn = AnyConnection::connect(database_url).await.map_err(|e| e.to_string())?;
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE next_deadline_ms IS NULL OR breach_check_at <= $1")
            .bind(now)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        if pending == 0 {
            conn.close().await.ok();
            return Ok(start.elapsed());
        }
        if start.elapsed() > within {
            return Err(format!("{pending} cases still had work due after {within:?}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
