//! Organisations as the widget finds them: by their public widget key.

use sqlx::AnyPool;

use crate::errors::AppError;
use crate::models::{AssetOption, AssetWarranty, WidgetInfo};

#[derive(sqlx::FromRow)]
pub(crate) struct Org {
    pub(crate) id: i64,
    name: String,
    company_name: String,
    hotline: String,
    allowed_origins: String,
    theme_color: String,
    logo_sha256: String,
}

/// Widget keys are short; anything else is not looked up.
fn plausible_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 64
}

pub(crate) async fn org_by_key(pool: &AnyPool, key: &str) -> Result<Org, AppError> {
    if !plausible_key(key) {
        return Err(AppError::NotFound);
    }
    sqlx::query_as(
        "SELECT o.id, o.name, c.name AS company_name, c.hotline, o.allowed_origins, o.theme_color, o.logo_sha256 FROM organisations o \
         JOIN companies c ON c.id = o.company_id WHERE o.widget_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// The organisation's logo for its widget: type, content hash and bytes.
pub async fn widget_logo(pool: &AnyPool, org_key: &str) -> Result<(String, String, Vec<u8>), AppError> {
    if !plausible_key(org_key) {
        return Err(AppError::NotFound);
    }
    let row: Option<(String, String, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT logo_mime, logo_sha256, logo FROM organisations WHERE widget_key = $1")
            .bind(org_key)
            .fetch_optional(pool)
            .await?;
    match row {
        Some((mime, sha256, Some(bytes))) if !mime.is_empty() => Ok((mime, sha256, bytes)),
        _ => Err(AppError::NotFound),
    }
}

#[derive(sqlx::FromRow)]
struct AssetRow {
    id: i64,
    name: String,
    model: String,
    site: String,
    serial: String,
    commissioned_on: String,
    warranty_months: i64,
    manufacturer_months: Option<i64>,
    timezone: String,
}

pub async fn widget_info(pool: &AnyPool, org_key: &str) -> Result<WidgetInfo, AppError> {
    let org = org_by_key(pool, org_key).await?;
    let assets: Vec<AssetRow> = sqlx::query_as(
        "SELECT a.id, a.name, a.model, s.name AS site, a.serial, a.commissioned_on, a.warranty_months, a.manufacturer_months, \
         o.timezone FROM assets a JOIN sites s ON s.id = a.site_id JOIN organisations o ON o.id = a.org_id \
         WHERE a.org_id = $1 ORDER BY s.name, a.name, a.id",
    )
    .bind(org.id)
    .fetch_all(pool)
    .await?;
    // Every asset is the organisation's: one local date for all of them.
    let now = super::db::now_ms().div_euclid(60_000);
    let today = assets.first().map(|a| {
        let offsets = super::terms::offsets_for(&a.timezone);
        crate::domain::calendar::Date::from_days((now + offsets.at_utc(now)).div_euclid(24 * 60))
    });
    Ok(WidgetInfo {
        org_name: org.name,
        company_name: org.company_name,
        hotline: org.hotline,
        assets: assets
            .into_iter()
            .map(|a| {
                let today = today.unwrap_or(crate::domain::calendar::Date::from_days(now.div_euclid(24 * 60)));
                let warranty = crate::domain::calendar::Date::parse(&a.commissioned_on).map(|start| crate::domain::warranty::Warranty {
                    start,
                    months: u32::try_from(a.warranty_months).unwrap_or(0),
                    manufacturer_months: a.manufacturer_months.and_then(|m| u32::try_from(m).ok()),
                    components: Vec::new(),
                });
                use crate::domain::promise::{warranty_status, WarrantyStatus};
                let warranty = match warranty_status(warranty.as_ref(), today) {
                    WarrantyStatus::Covered { until } => AssetWarranty { until: until.to_string(), covered: true },
                    WarrantyStatus::Expired { ended } => AssetWarranty { until: ended.to_string(), covered: false },
                    WarrantyStatus::Unknown => AssetWarranty::default(),
                };
                AssetOption { id: a.id, label: format!("{} {}（{}）", a.name, a.model, a.site), serial: a.serial, warranty }
            })
            .collect(),
        allowed_origins: org.allowed_origins.split_whitespace().map(String::from).collect(),
        theme_color: org.theme_color,
        logo_url: logo_url(org_key, &org.logo_sha256),
    })
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
