//! Warranty of a case's asset on the day of the report, and who pays.

use sqlx::AnyConnection;

use crate::domain::calendar::Date;
use crate::domain::lifecycle::Diagnosis;
use crate::domain::promise::WarrantyStatus;
use crate::domain::warranty::{self, BillingClass, Warranty};
use crate::errors::AppError;

/// Warranty on the day of the report and who pays, with the asset's
/// manufacturer and component terms, downtime of earlier covered repairs
/// added, and the diagnosis (cause, exclusion, component) applied.
pub async fn assess(
    conn: &mut AnyConnection,
    case_id: i64,
    on: Date,
    diagnosis: Option<&Diagnosis>,
) -> Result<(WarrantyStatus, BillingClass), AppError> {
    let (asset_id, created_at, commissioned_on, months, manufacturer, components): (i64, i64, String, i64, Option<i64>, String) =
        sqlx::query_as(
            "SELECT a.id, c.created_at, a.commissioned_on, a.warranty_months, a.manufacturer_months, a.component_terms \
         FROM cases c JOIN assets a ON a.id = c.asset_id WHERE c.id = $1",
        )
        .bind(case_id)
        .fetch_one(&mut *conn)
        .await?;
    let Some(start) = Date::parse(&commissioned_on) else {
        return Ok((
            WarrantyStatus::Unknown,
            warranty::billing_with_cause(false, false, diagnosis.map(|d| d.cause), diagnosis.and_then(|d| d.exclusion)),
        ));
    };
    let w = Warranty {
        start,
        months: u32::try_from(months).unwrap_or(0),
        manufacturer_months: manufacturer.and_then(|m| u32::try_from(m).ok()),
        components: warranty::parse_components(&components),
    };
    let component = diagnosis.map(|d| d.component.as_str()).filter(|c| !c.is_empty());
    // Downtime recorded on this unit's earlier repairs made while covered.
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT c.created_at, e.data FROM case_events e JOIN cases c ON c.id = e.case_id \
         WHERE c.asset_id = $1 AND c.id <> $2 AND c.created_at < $3 AND e.kind = 'work_recorded'",
    )
    .bind(asset_id)
    .bind(case_id)
    .bind(created_at)
    .fetch_all(&mut *conn)
    .await?;
    let base_end = w.end(component, 0);
    let downtime: i64 = rows
        .iter()
        .filter(|(at, _)| Date::from_days(at.div_euclid(86_400_000)) <= base_end)
        .filter_map(|(_, data)| serde_json::from_str::<serde_json::Value>(data).ok()?.get("downtime_minutes")?.as_i64())
        .sum();
    let days = warranty::downtime_days(downtime);
    let covered = w.covers(on, component, days);
    let end = w.end(component, days);
    let status = if covered { WarrantyStatus::Covered { until: end } } else { WarrantyStatus::Expired { ended: end } };
    Ok((status, warranty::billing_with_cause(covered, false, diagnosis.map(|d| d.cause), diagnosis.and_then(|d| d.exclusion))))
}
