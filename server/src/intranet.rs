//! A demo "intranet" on another origin (port) that embeds the widget with
//! one script tag, under a strict Content-Security-Policy and a hostile
//! stylesheet, so a newcomer sees the embedding at once.

use std::net::SocketAddr;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const PAGE: &str = include_str!("intranet/index.html");
const CSS: &str = include_str!("intranet/intranet.css");
const JS: &str = include_str!("intranet/intranet.js");

/// The origins the demo intranet is reached at, for the demo organisations'
/// allowed list.
pub fn origins(addr: SocketAddr) -> Vec<String> {
    let mut v = vec![format!("http://{addr}")];
    if addr.ip().is_loopback() {
        v.push(format!("http://localhost:{}", addr.port()));
    }
    v
}

/// Serves the demo intranet until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, fixline: String, org_key: &'static str) {
    let page = move |inline: bool| {
        let mount = if inline { " data-mount=\"#support\"" } else { "" };
        let tag = format!("<script src=\"{fixline}/embed.js\" data-org=\"{org_key}\" data-hotline=\"400-820-1234\"{mount} async></script>");
        let csp = format!(
            "default-src 'none'; script-src 'self' {fixline}; frame-src {fixline}; connect-src {fixline}; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
        );
        let body = PAGE.replace("__EMBED__", &tag);
        let mut res = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
        if let Ok(v) = HeaderValue::from_str(&csp) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
        res
    };
    let floating = page.clone();
    let app = Router::new()
        .route("/", get(move || async move { floating(false) }))
        .route("/inline", get(move || async move { page(true) }))
        .route("/intranet.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/intranet.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "demo intranet stopped");
    }
}

fn asset(mime: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, mime)], body).into_response()
}
