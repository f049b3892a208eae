//! The HTTP side: startup, the connection loop and the router. Handlers
//! live beside it: `assets` (bundles, loader, logos), `pages` (the widget
//! page, staff files and the live stream, health), `uploads` (photos and
//! logos), `guards` (middleware every request passes).

mod assets;
mod guards;
mod labels;
mod pages;
mod uploads;

use std::time::Duration;

use app::backend::limits::{Limits, LimitsConfig};
use app::backend::live::Live;
use app::backend::{breach, db, demo, notify, state::AppState};
use app::widget_app::WIDGET_PATH;
use app::{shell, App};
use axum::http::{HeaderName, Request, StatusCode};
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::ServeArgs;

/// The header a request's id travels in.
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Largest request body accepted; a case report is a few KB.
pub(crate) const BODY_LIMIT: usize = 256 * 1024;
/// Photo uploads: the 5 MB photo limit and a little room, so the handler
/// (not the transport) answers an oversized photo with a clear error.
pub(crate) const UPLOAD_LIMIT: usize = 6 * 1024 * 1024;

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
    let hashed =
        app::backend::intake::hash_plain_submission_ids(&pool).await.map_err(|e| format!("cannot hash stored submission ids: {e}"))?;
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
    leptos_options.site_pkg_dir = assets::versioned_pkg_dir(&args.site_root).into();

    // Bound first: links in notifications need the real port (port 0 picks one).
    let listener = tokio::net::TcpListener::bind(args.addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!("address {} is already in use: stop the other process or pass --addr HOST:PORT", args.addr)
        }
        _ => format!("cannot listen on {}: {e}", args.addr),
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let timeout = Duration::from_millis(args.notify_timeout_ms);
    let mailer = match &args.smtp_url {
        Some(url) => Some(notify::email::Mailer::new(url, &args.smtp_from, timeout)?),
        None => None,
    };
    let mut sender = notify::Sender::new(timeout, public_url, args.notify_any_url, mailer)?;
    sender.sms_gap_ms = args.sms_gap_ms as i64;
    sender.sms_org_daily_cap = args.sms_daily_cap as i64;
    let keep = Duration::from_secs(args.notify_keep_days as u64 * 86_400);
    notify::spawn(pool.clone(), sender.clone(), Duration::from_millis(args.notify_every_ms), keep);

    let live = Live::start(backend, database_url);
    breach::spawn(pool.clone(), backend, database_url.to_string(), live.clone(), Duration::from_secs(args.breach_every));
    app::backend::db::spawn_checkpointer(pool.clone());
    let state = AppState { leptos_options, pool: pool.clone(), secure_cookies: args.secure_cookies, live, limits, notify: sender };
    let router = router(state);

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
        .route("/api/attachments", post(uploads::photo))
        .route("/api/org-logo", post(uploads::logo))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, UPLOAD_TIMEOUT));
    // The live stream stays open for hours; everything else has a deadline.
    let live = Router::new().route("/console/live", get(pages::live_updates));
    let pages = Router::new()
        .route("/healthz", get(pages::healthz))
        .route("/diagnostics/payload", get(pages::diagnostics_payload))
        .route("/console/guides/{id}/{version}/export", get(pages::export_guide))
        .route("/console/files/{id}", get(pages::staff_file))
        .route("/console/labels", get(labels::label_sheet))
        .route("/embed.js", get(assets::embed_js))
        .route("/widget-logo/{org_key}", get(assets::widget_logo))
        .route("/widget-guides/{kind}/{tag}", get(assets::widget_guides))
        .route("/pkg/{*file}", get(assets::bundle))
        .route("/widget-check/{org_key}", get(pages::widget_check))
        .route(WIDGET_PATH, get(pages::widget_page).post(pages::widget_without_script))
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
        .layer(middleware::from_fn(guards::refuse_unstorable_text))
        .layer(middleware::from_fn(guards::same_origin_writes))
        .layer(middleware::from_fn_with_state(state.clone(), guards::security_headers))
        // Dynamic answers at brotli/gzip level 4: the default (brotli 11)
        // spent more CPU compressing than building them. Bundles are
        // compressed at the top level once, at build time.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        // Every log line of a request carries its id (also sent back as
        // `x-request-id`); the span names the path, never the query.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .with_state(state)
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
