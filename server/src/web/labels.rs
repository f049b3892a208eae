//! QR labels for equipment, as an A4 sheet to print (`/console/labels`).
//! Each code opens the widget's report page for that asset, on the
//! server's public address; the address holds no secret (the organisation
//! key and the asset's number are on the label for anyone to read anyway).

use app::backend::auth::SignedIn;
use app::backend::labels::{labels, Label, Scope};
use app::backend::state::AppState;
use app::errors::AppError;
use app::i18n::{Locale, LocaleTexts};
use app::models::Role;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

/// `?org=ID`, `?site=ID` or `?asset=ID` (the narrowest given wins).
#[derive(serde::Deserialize)]
pub(super) struct LabelQuery {
    org: Option<i64>,
    site: Option<i64>,
    asset: Option<i64>,
}

pub(super) async fn label_sheet(
    State(state): State<AppState>,
    staff: SignedIn,
    Query(q): Query<LabelQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = staff.require(&[Role::Admin, Role::Supervisor, Role::Dispatcher]) {
        return e.into_response();
    }
    let scope = match (q.asset, q.site, q.org) {
        (Some(id), _, _) => Scope::Asset(id),
        (None, Some(id), _) => Scope::Site(id),
        (None, None, Some(id)) => Scope::Org(id),
        (None, None, None) => return AppError::BadRequest.into_response(),
    };
    let rows = match labels(&state.pool, scope).await {
        Ok(rows) => rows,
        Err(e) => return e.into_response(),
    };
    let locale = app::language::headers_locale(&headers);
    let base = state.notify.public_url.trim_end_matches('/').to_string();
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // No scripts at all; the sheet's own style only.
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        sheet(locale, &base, &rows),
    )
        .into_response()
}

/// The widget's report page for one asset.
pub fn asset_url(base: &str, label: &Label) -> String {
    format!("{base}/widget/{}?asset={}", label.org_key, label.asset_id)
}

fn sheet(locale: Locale, base: &str, rows: &[Label]) -> String {
    let t = locale.texts();
    let c = locale.console_texts();
    let mut body = String::new();
    for l in rows {
        let url = asset_url(base, l);
        // A code that cannot be made (never for these short addresses) leaves the address in words.
        let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
            .map(|q| q.render::<qrcode::render::svg::Color>().quiet_zone(false).min_dimensions(120, 120).build())
            .unwrap_or_default();
        body += &format!(
            "<div class=\"label\" data-testid=\"label\" data-url=\"{url}\"><div class=\"code\">{code}</div><div class=\"text\">\
             <p class=\"scan\">{scan}</p><p class=\"asset\">{asset}</p><p>{site} · {serial_label}{colon}{serial}</p>\
             <p class=\"tel\">{hotline_label}{colon}{hotline}</p><p class=\"company\">{company}</p></div></div>",
            scan = esc(c.label_scan),
            asset = esc(&l.asset),
            site = esc(&l.site),
            serial_label = esc(c.label_serial),
            colon = esc(t.colon),
            serial = esc(&l.serial),
            hotline_label = esc(t.hotline),
            hotline = esc(&l.hotline),
            company = esc(&l.company),
            url = esc(&url),
        );
    }
    if rows.is_empty() {
        body = format!("<p>{}</p>", esc(c.labels_none));
    }
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><header class=\"no-print\"><h1>{title}</h1><p>{hint}</p></header>\
         <main class=\"sheet\">{body}</main></body></html>",
        lang = locale.tag(),
        title = esc(c.labels_title),
        hint = esc(c.labels_hint),
    )
}

/// A4, 3 × 7 labels of 63.5 × 38.1 mm (the common sticker sheet).
const STYLE: &str = "@page{size:A4;margin:15.15mm 7.2mm}\
body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:1rem;color:#111}\
.sheet{display:grid;grid-template-columns:repeat(3,63.5mm);grid-auto-rows:38.1mm;column-gap:2.5mm}\
.label{display:flex;gap:2mm;align-items:center;padding:2mm;box-sizing:border-box;overflow:hidden;border:1px dashed #bbb;break-inside:avoid}\
.code svg{width:27mm;height:27mm;display:block}\
.text{min-width:0;font-size:7.5pt;line-height:1.25}.text p{margin:0;overflow-wrap:anywhere}\
.scan{font-weight:700;font-size:9pt}.asset{font-weight:600}.tel{font-weight:700}.company{color:#444}\
@media print{body{margin:0}.no-print{display:none}.label{border:0}}";

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
