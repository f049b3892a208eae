//! The HTTP side: router, request guards and startup.


use std::time::Duration;

use app::backend::limits::{Class, Limits, LimitsConfig};
use app::backend::live::Live;
use app::backend::{breach, db, demo, state::AppState};
use app::errors::AppError;
use app::routes::widget::WidgetBoot;
use app::widget_app::{widget_shell, WIDGET_PATH};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::ServeArgs;

/// Largest request body accepted; a case report is a few KB.
const BODY_LIMIT: usize = 256 * 1024;
/// Photo uploads: the 5 MB photo limit and a little room, so the handler
/// (not the transport) answers an oversized photo with a clear error.
const UPLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// Time a client has to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time to answer a request (reading its body included); uploads get more.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(180);

pub async fn serve(database_url: &str, args: ServeArgs) -> Result<(), String> {
    raise_fd_limit();
    let mut pool_config = db::PoolConfig::default_for(db::Backend::of(database_url)?);
    if let Some(size) = args.db_pool_size {
        pool_config.size = size;
    }
    pool_config.acquire_timeout = Duration::from_secs(args.db_acquire_timeout);
    let (pool, backend) = db::connect_with(database_url, pool_config).await?;
    let guide_count = app::backend::guides::sync_shipped(&pool).await?;
    tracing::info!(?backend, database = %db::redact(database_url), guides = guide_count, pool = pool_config.size, "database ready");
    let demo_loaded = if args.demo { demo::seed(&pool).await? } else { false };
    let hashed = app::backend::cases::hash_plain_submission_ids(&pool).await.map_err(|e| format!("cannot hash stored submission ids: {e}"))?;
    let scheduled = app::backend::schedule::backfill(&pool).await.map_err(|e| format!("cannot compute case schedules: {e}"))?;
    if hashed + scheduled > 0 {
        tracing::info!(hashed, scheduled, "stored cases brought up to date");
    }
    let limits = std::sync::Arc::new(Limits::new(LimitsConfig {
        anon_per_minute: args.anon_rate_per_minute,
        submit_per_minute: args.submit_rate_per_minute,
        upload_per_hour: args.upload_rate_per_hour,
        login_per_minute: args.login_rate_per_minute,
        daily_case_cap: args.daily_case_cap,
        trust_forwarded_for: args.trust_forwarded_for,
    }));
    app::backend::limits::spawn_cleanup(limits.clone());

    let mut leptos_options = leptos_options()?;
    leptos_options.site_addr = args.addr;
    leptos_options.site_root = args.site_root.clone().into();
    leptos_options.site_pkg_dir = versioned_pkg_dir(&args.site_root).into();

    let live = Live::start(backend, database_url);
    breach::spawn(pool.clone(), backend, database_url.to_string(), live.clone(), Duration::from_secs(args.breach_every));
    let state = AppState { leptos_options, pool: pool.clone(), secure_cookies: args.secure_cookies, live, limits };
    let router = router(state);

    let listener = tokio::net::TcpListener::bind(args.addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!("address {} is already in use: stop the other process or pass --addr HOST:PORT", args.addr)
        }
        _ => format!("cannot listen on {}: {e}", args.addr),
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let intranet = match args.demo_intranet {
        Some(at) => {
            let l = tokio::net::TcpListener::bind(at).await.map_err(|e| format!("cannot listen on {at} for the demo intranet: {e}"))?;
            let at = l.local_addr().map_err(|e| e.to_string())?;
            if args.demo {
                // The demo organisations may be framed by the demo intranet.
                let list = crate::intranet::origins(at).join(" ");
                sqlx::query("UPDATE organisations SET allowed_origins = $1 WHERE widget_key IN ($2, $3)")
                    .bind(list)
                    .bind(demo::DEMO_ORG_KEYS[0])
                    .bind(demo::DEMO_ORG_KEYS[1])
                    .execute(&pool)
                    .await
                    .map_err(|e| format!("cannot allow the demo intranet: {e}"))?;
            }
            tokio::spawn(crate::intranet::serve(l, format!("http://{addr}"), demo::DEMO_ORG_KEYS[0]));
            Some(at)
        }
        None => None,
    };
    crate::print_banner(addr, demo_loaded, args.demo, intranet);
    serve_connections(listener, router, args.max_connections as usize).await;
    Ok(())
}

/// Accepts connections up to `max_connections` at once (further ones wait
/// in the listen queue), each with a deadline for its request headers, so
/// idle or half-sent connections cannot exhaust file descriptors.
async fn serve_connections(listener: tokio::net::TcpListener, router: Router, max_connections: usize) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a reset during accept: pause, go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceExt::map_request(router.clone(), move |mut req: http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(remote));
            req
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("connections still open after 10 s; closing"),
    }
}

/// Many connections need many descriptors: raise the soft limit to the hard one.
fn raise_fd_limit() {
    // SAFETY: plain getrlimit/setrlimit on a local struct.
    unsafe {
        let mut l = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &l) != 0 {
                tracing::warn!("cannot raise the open-file limit");
            }
        }
    }
}

fn leptos_options() -> Result<LeptosOptions, String> {
    get_configuration(None).map(|c| c.leptos_options).map_err(|e| format!("bad Leptos configuration: {e}"))
}

pub fn router(state: AppState) -> Router {
    // The widget's page is rendered by its own root component and loads its
    // own bundle (see `widget_page`); `App` has no widget route.
    let routes = generate_route_list(App);
    let uploads = Router::new()
        .route("/api/attachments", post(upload_photo))
        .route("/api/org-logo", post(upload_logo))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, UPLOAD_TIMEOUT));
    // The live stream stays open for hours; everything else has a deadline.
    let live = Router::new().route("/console/live", get(live_updates));
    let pages = Router::new()
        .route("/healthz", get(healthz))
        .route("/diagnostics/payload", get(diagnostics_payload))
        .route("/console/guides/{id}/{version}/export", get(export_guide))
        .route("/console/files/{id}", get(staff_file))
        .route("/embed.js", get(embed_js))
        .route("/widget-logo/{org_key}", get(widget_logo))
        .route("/pkg/{*file}", get(bundle))
        .route(WIDGET_PATH, get(widget_page))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT));
    uploads
        .merge(live)
        .merge(pages)
        .layer(middleware::from_fn(refuse_unstorable_text))
        .layer(middleware::from_fn(api_error_status))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Where tools/build.sh puts the WASM, JS and CSS bundles, under the site root.
const PKG_DIR: &str = "pkg";

/// `pkg/<build id>`: the directory pages load the bundles from. The id is a
/// hash of the bundles (names and contents, not the .br/.gz copies), so every
/// server instance of the same build agrees on it, and a new build gets new
/// URLs, which browsers may keep for a year without checking back. Plain
/// `pkg` when there is nothing to hash (no front-end build).
fn versioned_pkg_dir(site_root: &str) -> String {
    use sha2::{Digest, Sha256};
    let dir = std::path::Path::new(site_root).join(PKG_DIR);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
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
    let id: String = hash.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect();
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
async fn bundle(State(state): State<AppState>, mut req: Request) -> Response {
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

/// The customer widget, rendered as `leptos_routes` renders the other pages
/// (whole page once its data has loaded, `AppState` in context for the
/// server functions it calls), in a document that loads the widget's bundle.
async fn widget_page(State(state): State<AppState>, req: Request) -> Response {
    // The organisation is looked up before rendering and handed to the page
    // whole (`WidgetBoot`): the browser reads it from the page, not through a
    // server function.
    let org_key = app::widget_app::org_key_from_path(req.uri().path());
    let ip = app::backend::limits::client_ip_of(req.headers(), req.extensions(), state.limits.config().trust_forwarded_for);
    if let Err(e) = state.limits.check(Class::Read, ip, &org_key) {
        return error_response(e);
    }
    let boot = match app::backend::cases::widget_info(&state.pool, &org_key).await {
        Ok(info) => WidgetBoot::Ready(info),
        Err(AppError::NotFound) => WidgetBoot::NotFound,
        Err(e) => {
            tracing::error!(error = ?e, "widget page: organisation lookup failed");
            WidgetBoot::Failed
        }
    };
    let failed = boot == WidgetBoot::Failed;
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(state.clone());
            provide_context(boot.clone());
        },
        move || widget_shell(options.clone()),
    );
    let mut res = handler(req).await;
    if failed {
        *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    res
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&state.pool).await {
        Ok(_) => "ok".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// 256 KB for the widget's connection check; never cached or compressed
/// (it would measure the wrong thing).
async fn diagnostics_payload() -> Response {
    let body: Vec<u8> = (0..256 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_ENCODING, "identity"),
        ],
        body,
    )
        .into_response()
}

/// A guide version as a JSON file, for staff to edit and import again.
async fn export_guide(
    State(state): State<AppState>,
    axum::extract::Path((id, version)): axum::extract::Path<(String, u32)>,
    headers: http::HeaderMap,
) -> Response {
    match app::backend::auth::session_user(&state.pool, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return error_response(AppError::Unauthenticated),
        Err(e) => return error_response(e),
    }
    match app::backend::guides::find(&state.pool, &id, version).await {
        Ok(Some(g)) => {
            let body = serde_json::to_string_pretty(&*g).unwrap_or_default();
            let disposition = format!("attachment; filename=\"{}-v{}.json\"", g.id, g.version);
            (
                [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)],
                body,
            )
                .into_response()
        }
        Ok(None) => error_response(AppError::NotFound),
        Err(e) => error_response(e),
    }
}

#[derive(serde::Deserialize)]
struct UploadQuery {
    /// Case number, e.g. FX-000123.
    #[serde(default)]
    case: String,
    /// Customers: the widget's organisation key.
    org: Option<String>,
    name: Option<String>,
    /// Secrets never travel in URLs (proxy logs keep them): these are
    /// refused, the header below is the only way.
    token: Option<String>,
    submission: Option<String>,
}

/// The customer's case token.
const TOKEN_HEADER: &str = "x-fixline-token";
/// The widget's submission id, for a photo taken during a guide walk.
const SUBMISSION_HEADER: &str = "x-fixline-submission";

/// A photo for a case, as the raw request body. Staff by session (a
/// technician only on a case dispatched to them); the customer by the case
/// token their widget kept, sent in `X-Fixline-Token`; during a guide walk,
/// by the widget's submission id in `X-Fixline-Submission`. The bytes decide
/// the type (JPEG, PNG, WebP); at most 5 MB. Answers `{"id": N}`.
async fn upload_photo(State(state): State<AppState>, req: Request) -> Response {
    use app::domain::lifecycle::Actor;
    let (parts, body) = req.into_parts();
    let Ok(axum::extract::Query(q)) = axum::extract::Query::<UploadQuery>::try_from_uri(&parts.uri) else {
        return error_response(AppError::BadRequest);
    };
    if q.token.is_some() || q.submission.is_some() {
        return error_response(AppError::BadRequest);
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (token, submission) = (header(TOKEN_HEADER), header(SUBMISSION_HEADER));
    if let Some(org) = &q.org {
        let ip = app::backend::limits::client_ip(&parts, state.limits.config().trust_forwarded_for);
        if let Err(e) = state.limits.check(Class::Upload, ip, org) {
            return error_response(e);
        }
    }
    let body = match axum::body::to_bytes(body, UPLOAD_LIMIT).await {
        Ok(b) => b,
        Err(_) => return error_response(AppError::InvalidUpload { problem: app::errors::UploadProblem::TooLarge { max_kb: 5 * 1024 } }),
    };
    let name = q.name.clone().unwrap_or_default();
    if let (Some(org), None, Some(submission)) = (&q.org, &token, &submission) {
        let stored = app::backend::visits::upload_walk_photo(&state.pool, org, submission, &name, &body).await;
        drop(body);
        release_after_upload();
        return match stored {
            Ok(id) => ([(header::CONTENT_TYPE, "application/json")], format!("{{\"id\":{id}}}")).into_response(),
            Err(e) => error_response(e),
        };
    }
    let who = match (&q.org, &token) {
        (Some(org), Some(token)) => match app::backend::cases::case_for_token(&state.pool, org, token).await {
            Ok(case_id) if Some(case_id) == app::domain::case_number::parse(&q.case) => Ok((case_id, Actor::Customer, None)),
            Ok(_) => Err(AppError::NotFound),
            Err(e) => Err(e),
        },
        (Some(_), None) => Err(AppError::NotFound),
        _ => match app::backend::auth::session_user(&state.pool, &parts.headers).await {
            Ok(Some(user)) => app::domain::case_number::parse(&q.case)
                .map(|id| (id, Actor::Staff { id: user.id }, Some(user.role)))
                .ok_or(AppError::NotFound),
            Ok(None) => Err(AppError::Unauthenticated),
            Err(e) => Err(e),
        },
    };
    let (case_id, by, role) = match who {
        Ok(w) => w,
        Err(e) => return error_response(e),
    };
    let stored = app::backend::visits::upload_photo(&state.pool, case_id, &name, &body, by, role).await;
    drop(body);
    release_after_upload();
    match stored {
        Ok(id) => ([(header::CONTENT_TYPE, "application/json")], format!("{{\"id\":{id}}}")).into_response(),
        Err(e) => error_response(e),
    }
}

/// Large bodies leave freed memory behind; give it back off the async threads.
fn release_after_upload() {
    tokio::task::spawn_blocking(app::backend::limits::release_memory);
}

/// An admin sets the logo of an organisation's widget: the image is the
/// body (`?org_id=…`). Answers `{"url": …}`, its new address.
async fn upload_logo(State(state): State<AppState>, uri: http::Uri, headers: http::HeaderMap, body: axum::body::Bytes) -> Response {
    use app::models::Role;
    match app::backend::auth::session_user(&state.pool, &headers).await {
        Ok(Some(user)) if user.role == Role::Admin => {}
        Ok(Some(_)) => return error_response(AppError::Forbidden),
        Ok(None) => return error_response(AppError::Unauthenticated),
        Err(e) => return error_response(e),
    }
    let org_id = uri.query().unwrap_or_default().split('&').find_map(|kv| kv.strip_prefix("org_id=")).and_then(|v| v.parse::<i64>().ok());
    let Some(org_id) = org_id else { return error_response(AppError::BadRequest) };
    match app::backend::service::save_logo(&state.pool, org_id, Some(&body)).await {
        Ok(url) => {
            tracing::info!(org_id, size = body.len(), "widget logo saved");
            ([(header::CONTENT_TYPE, "application/json")], serde_json::json!({ "url": url }).to_string()).into_response()
        }
        Err(e) => error_response(e),
    }
}

/// An organisation's logo, shown in its widget. At its current address
/// (`?v=` its hash) it never changes, so it is cached for a year; anywhere
/// else it is checked back by its hash (ETag, 304 when unchanged).
async fn widget_logo(
    State(state): State<AppState>,
    axum::extract::Path(org_key): axum::extract::Path<String>,
    uri: http::Uri,
    headers: http::HeaderMap,
) -> Response {
    match app::backend::cases::widget_logo(&state.pool, &org_key).await {
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
        Err(e) => error_response(e),
    }
}

/// The loader customers put on their intranet. Its address never changes,
/// so it is cached briefly.
async fn embed_js(State(state): State<AppState>) -> Response {
    // tools/build.sh writes the minified loader into the site; the source
    // (the same script, readable) serves when there is no build.
    let path = std::path::Path::new(&*state.leptos_options.site_root).join("embed.js");
    let script = match tokio::fs::read_to_string(&path).await {
        Ok(minified) => std::borrow::Cow::Owned(minified),
        Err(_) => std::borrow::Cow::Borrowed(include_str!("../../public/embed.js")),
    };
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        script,
    )
        .into_response()
}

/// A case's photo or signature, for staff only.
async fn staff_file(State(state): State<AppState>, axum::extract::Path(id): axum::extract::Path<i64>, headers: http::HeaderMap) -> Response {
    match app::backend::auth::session_user(&state.pool, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return error_response(AppError::Unauthenticated),
        Err(e) => return error_response(e),
    }
    match app::backend::visits::attachment(&state.pool, id).await {
        Ok((mime, bytes)) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "private, max-age=86400, immutable".into()),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".into()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_response(e),
    }
}

/// How often an open live stream checks that its session still stands.
const LIVE_SESSION_CHECK: Duration = Duration::from_secs(15);

/// Server-sent events for the console: one `case` event (the case number)
/// per change, on whichever instance it was made. The stream ends when the
/// session does (sign-out, expiry, deactivated account).
async fn live_updates(State(state): State<AppState>, headers: http::HeaderMap) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    match app::backend::auth::session_user(&state.pool, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return error_response(AppError::Unauthenticated),
        Err(e) => return error_response(e),
    }
    let rx = state.live.subscribe();
    let mut check = tokio::time::interval_at(tokio::time::Instant::now() + LIVE_SESSION_CHECK, LIVE_SESSION_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stream = futures::stream::unfold((rx, check, state.pool.clone(), headers), |(mut rx, mut check, pool, headers)| async move {
        loop {
            tokio::select! {
                received = rx.recv() => match received {
                    Ok(number) => {
                        let event = Event::default().event("case").data(number);
                        return Some((Ok::<_, std::convert::Infallible>(event), (rx, check, pool, headers)));
                    }
                    // Fell behind: tell the page to reload everything.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Ok(Event::default().event("case").data("*")), (rx, check, pool, headers)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                _ = check.tick() => {
                    // Signed out (or unknown): end. A database hiccup keeps the stream.
                    if let Ok(None) = app::backend::auth::session_user(&pool, &headers).await {
                        return None;
                    }
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

fn error_response(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&error).unwrap_or_default();
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    add_retry_after(&mut res, &error);
    res
}

/// 429 and 503 say when to try again.
fn add_retry_after(res: &mut Response, error: &AppError) {
    let seconds = match error {
        AppError::RateLimited { retry_after_s } => *retry_after_s,
        AppError::Unavailable => 5,
        _ => return,
    };
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
}

/// Text the databases cannot store (NUL; PostgreSQL refuses it) or that is
/// not UTF-8 is refused at the edge with 400, before any handler runs: in
/// the URL of any request and in the body of API calls other than the
/// binary uploads.
async fn refuse_unstorable_text(req: Request, next: Next) -> Response {
    let uri = req.uri().to_string();
    if uri.contains("%00") || uri.bytes().any(|b| b.is_ascii_control()) {
        return error_response(AppError::BadRequest);
    }
    let path = req.uri().path();
    let binary = path == "/api/attachments" || path == "/api/org-logo";
    if !path.starts_with("/api/") || binary {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return error_response(AppError::InvalidUpload { problem: app::errors::UploadProblem::TooLarge { max_kb: (BODY_LIMIT / 1024) as u32 } });
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return error_response(AppError::BadRequest);
    };
    if text.contains('\0') || text.contains("%00") || text.contains("\\u0000") {
        return error_response(AppError::BadRequest);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// CSRF guard: a state-changing request must come from our own origin.
/// Browsers send `Origin` (or at least `Sec-Fetch-Site`) on every POST, and
/// the session cookie is SameSite=Strict besides.
async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text(header::HOST);
    let allowed = match text(header::ORIGIN) {
        Some(origin) => {
            let origin_host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            origin_host.is_some() && origin_host == host
        }
        None => !matches!(text(header::HeaderName::from_static("sec-fetch-site")), Some("cross-site" | "same-site")),
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), origin = ?text(header::ORIGIN), "cross-origin write refused");
        error_response(AppError::Forbidden)
    }
}

/// Server functions answer errors with 500 by default; give each `AppError`
/// its own status (422 invalid input, 401, 403, 404, …).
async fn api_error_status(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return error_response(AppError::Internal);
    };
    let error = serde_json::from_slice::<AppError>(&bytes).ok();
    if let Some(error) = &error {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let mut res = Response::from_parts(parts, Body::from(bytes));
    if let Some(error) = &error {
        add_retry_after(&mut res, error);
    }
    res
}

/// Headers every response gets. Pages set their own strict CSP (scripts by
/// nonce); this adds who may frame them: nobody for the console, the
/// organisation's listed intranet origins for its widget.
async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let widget_key = req.uri().path().strip_prefix("/widget/").map(|rest| rest.split('/').next().unwrap_or("").to_string());
    let mut res = next.run(req).await;
    let ancestors = match widget_key {
        Some(key) => match app::backend::service::frame_ancestors(&state.pool, &key).await {
            Ok(a) => a,
            Err(_) => "frame-ancestors 'none'".to_string(),
        },
        None => "frame-ancestors 'none'".to_string(),
    };
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if ancestors.ends_with("'none'") {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let policy = match h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) {
        Some(page) => format!("{page}; {ancestors}"),
        None => ancestors,
    };
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
