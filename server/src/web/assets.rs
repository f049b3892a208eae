//! Files the browser loads: the WASM, JS and CSS bundles (versioned and
//! precompressed), the intranet loader and organisations' logos.

use app::backend::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Where tools/build.sh puts the WASM, JS and CSS bundles, under the site root.
const PKG_DIR: &str = "pkg";

/// `pkg/<build id>`: the directory pages load the bundles from. The id is a
/// hash of the bundles (names and contents, not the .br/.gz copies), so every
/// server instance of the same build agrees on it, and a new build gets new
/// URLs, which browsers may keep for a year without checking back. Plain
/// `pkg` when there is nothing to hash (no front-end build).
pub(super) fn versioned_pkg_dir(site_root: &str) -> String {
    use sha2::{Digest, Sha256};
    let dir = std::path::Path::new(site_root).join(PKG_DIR);
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.is_file() && !matches!(p.extension().and_then(|e| e.to_str()), Some("br" | "gz")));
    files.sort();
    let mut hash = Sha256::new();
    for path in &files {
        let Ok(bytes) = std::fs::read(path) else { return PKG_DIR.into() };
        hash.update(path.file_name().unwrap_or_default().as_encoded_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    if files.is_empty() {
        return PKG_DIR.into();
    }
    let id = hex::encode(&hash.finalize()[..8]);
    format!("{PKG_DIR}/{id}")
}

/// A WASM, JS or CSS bundle. tools/build.sh stores each also brotli- and
/// gzip-compressed at the highest level (.br, .gz), served as the browser
/// accepts, so nothing is compressed per request. Under the current build's
/// directory (`/pkg/<build id>/…`, what pages link to) a file never changes,
/// so it is cached for a year; under plain `/pkg/…` browsers keep it but
/// check back (304 when unchanged). So does another build's id (a page from
/// another instance during a rolling update): today's files must not be
/// cached under its name, but the page still gets them.
pub(super) async fn bundle(State(state): State<AppState>, mut req: Request) -> Response {
    use tower::ServiceExt;
    const IMMUTABLE: &str = "public, max-age=31536000, immutable";
    const REVALIDATE: &str = "public, no-cache";
    let build_id = state.leptos_options.site_pkg_dir.strip_prefix(PKG_DIR).and_then(|rest| rest.strip_prefix('/'));
    let path = req.uri().path().to_string();
    let rest = path.strip_prefix("/pkg/").unwrap_or_default();
    // Our bundle names are short; a long one can only be a probe (and the
    // file system would refuse it with an error, not "not found").
    if rest.len() > 160 || rest.split('/').any(|part| part == ".." || part.len() > 100) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (file, cache_control) = match rest.split_once('/') {
        Some((id, file)) if Some(id) == build_id => (file, IMMUTABLE),
        Some((id, file)) if id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) => (file, REVALIDATE),
        _ => (rest, REVALIDATE),
    };
    match format!("/{file}").parse() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    }
    let dir = std::path::Path::new(&*state.leptos_options.site_root).join(PKG_DIR);
    let files = tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let mut res = match files.oneshot(req).await {
        Ok(res) => res.map(Body::new),
        Err(never) => match never {},
    };
    if res.status() == StatusCode::OK || res.status() == StatusCode::NOT_MODIFIED {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    }
    res
}

/// An organisation's logo, shown in its widget. At its current address
/// (`?v=` its hash) it never changes, so it is cached for a year; anywhere
/// else it is checked back by its hash (ETag, 304 when unchanged).
pub(super) async fn widget_logo(
    State(state): State<AppState>,
    axum::extract::Path(org_key): axum::extract::Path<String>,
    uri: http::Uri,
    headers: http::HeaderMap,
) -> Response {
    match app::backend::orgs::widget_logo(&state.pool, &org_key).await {
        Ok((mime, sha256, bytes)) => {
            let version = sha256.get(..16).unwrap_or_default();
            let current = uri.query() == Some(format!("v={version}").as_str());
            let cache = if current { "public, max-age=31536000, immutable" } else { "public, no-cache" };
            let etag = format!("\"{version}\"");
            let headers_out = [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, cache.to_string()),
                (header::ETAG, etag.clone()),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".to_string()),
            ];
            if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
                return (StatusCode::NOT_MODIFIED, headers_out).into_response();
            }
            (headers_out, bytes).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The guides for an equipment kind (`/widget-guides/{kind}/{tag}`), as
/// `load_guides` names them: built and compressed once, served from memory,
/// cached for a year (the tag names the guide versions). A tag that is not
/// the current one is 404, never another bundle under its name.
pub(super) async fn widget_guides(
    State(state): State<AppState>,
    axum::extract::Path((kind, tag)): axum::extract::Path<(String, String)>,
    headers: http::HeaderMap,
) -> Response {
    use app::backend::guide_bundle;
    if !guide_bundle::valid_kind(&kind) || tag.len() != 16 {
        return StatusCode::NOT_FOUND.into_response();
    }
    let bundle = match guide_bundle::for_kind(&state.pool, &kind).await {
        Ok(Some(b)) if b.tag == tag => b,
        Ok(_) => return (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(e) => return e.into_response(),
    };
    let etag = format!("\"{tag}\"");
    let common = [
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable".to_string()),
        (header::ETAG, etag.clone()),
        (header::VARY, "accept-encoding".to_string()),
    ];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let accepts = |coding: &str| {
        headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|c| {
            let mut parts = c.split(';');
            parts.next().is_some_and(|name| name.trim().eq_ignore_ascii_case(coding))
                && !parts.any(|p| matches!(p.trim().strip_prefix("q="), Some(q) if q.parse::<f32>().is_ok_and(|q| q == 0.0)))
        })
    };
    let (encoding, bytes) = if accepts("br") {
        (Some("br"), bundle.br.clone())
    } else if accepts("gzip") {
        (Some("gzip"), bundle.gzip.clone())
    } else {
        (None, bundle.json.clone())
    };
    let mut res = (common, [(header::CONTENT_TYPE, "application/json")], bytes).into_response();
    if let Some(e) = encoding {
        res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    res
}

/// The loader customers put on their intranet. Its address never changes,
/// so it is cached briefly.
pub(super) async fn embed_js(State(state): State<AppState>) -> Response {
    // tools/build.sh writes the minified loader into the site; the source
    // (the same script, readable) serves when there is no build.
    let path = std::path::Path::new(&*state.leptos_options.site_root).join("embed.js");
    let script = match tokio::fs::read_to_string(&path).await {
        Ok(minified) => std::borrow::Cow::Owned(minified),
        Err(_) => std::borrow::Cow::Borrowed(include_str!("../../../public/embed.js")),
    };
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], script).into_response()
}
