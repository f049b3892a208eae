//! QR labels for equipment: what each label shows, for an organisation,
//! one of its sites, or one asset.

use sqlx::AnyPool;

use crate::errors::AppError;

/// Labels on one printed request at most (a sheet holds 21).
pub const MAX_LABELS: i64 = 630;

/// One label: the service company and its hotline, the equipment, and
/// what the code opens (`/widget/{org_key}?asset={asset_id}`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Label {
    pub company: String,
    pub hotline: String,
    pub org_key: String,
    pub org_name: String,
    pub asset_id: i64,
    pub asset: String,
    pub site: String,
    pub serial: String,
}

/// Which labels: a whole organisation, one of its sites, or one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Org(i64),
    Site(i64),
    Asset(i64),
}

pub async fn labels(pool: &AnyPool, scope: Scope) -> Result<Vec<Label>, AppError> {
    let (filter, id) = match scope {
        Scope::Org(id) => ("a.org_id = $1", id),
        Scope::Site(id) => ("a.site_id = $1", id),
        Scope::Asset(id) => ("a.id = $1", id),
    };
    let sql = format!(
        "SELECT c.name AS company, c.hotline, o.widget_key AS org_key, o.name AS org_name, a.id AS asset_id, \
         a.name || ' ' || a.model AS asset, s.name AS site, a.serial \
         FROM assets a JOIN sites s ON s.id = a.site_id JOIN organisations o ON o.id = a.org_id JOIN companies c ON c.id = o.company_id \
         WHERE {filter} ORDER BY s.name, a.name, a.id LIMIT {MAX_LABELS}"
    );
    Ok(sqlx::query_as(&sql).bind(id).fetch_all(pool).await?)
}
