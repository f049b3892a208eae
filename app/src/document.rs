//! The HTML document around a root component (`App`, `WidgetApp`), with
//! the strict content security policy Fixline's pages are served under.

use leptos::prelude::*;

use crate::i18n::{LocaleTexts, Texts};
use crate::language::request_locale;

/// How a page's code arrives: Leptos's hydration scripts (fetched with the
/// page: the console, the framed widget), or the widget's loader, which
/// fetches the code only after the page has loaded (`widget_loader`).
pub(crate) enum Scripts {
    Hydration,
    AfterLoad,
}

/// The HTML document around a root component: language, CSP (with the
/// response's nonce), the stylesheet `/{pkg}/{stylesheet}.css`, the rest of
/// the head (`head`, given the page's texts), and the scripts (`scripts`) for `options.output_name` (the
/// console's bundle, or the widget's). Rendered on the server only, so the
/// head's links can carry the bundles' versioned directory
/// (`options.site_pkg_dir`, set by the server) without the browser knowing it.
pub(crate) fn html_document<H: IntoView + 'static, V: IntoView + 'static>(
    options: LeptosOptions,
    stylesheet: &str,
    scripts: Scripts,
    head: impl FnOnce(&'static Texts) -> H,
    body: impl FnOnce() -> V,
) -> impl IntoView {
    let locale = request_locale();
    let head = head(locale.texts());
    let stylesheet = format!("/{}/{stylesheet}.css", options.site_pkg_dir);
    #[cfg(feature = "ssr")]
    strict_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=stylesheet/>
                {match scripts {
                    Scripts::Hydration => view! { <HydrationScripts options/> }.into_any(),
                    Scripts::AfterLoad => crate::widget_loader::loader_script(&options).into_any(),
                }}
                {head}
            </head>
            <body>
                {body()}
            </body>
        </html>
    }
}

/// Fixline's own pages allow only their own script files, inline scripts
/// carrying this response's nonce (the hydration script and streamed
/// resources), and the WASM. ('self' because Leptos's module preload link
/// carries no nonce.) Framing (`frame-ancestors`) is added per route by the server.
#[cfg(feature = "ssr")]
fn strict_content_security_policy() {
    let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) else { return };
    // The widget's remote diagnosis probes devices on the customer's network.
    let widget = use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/widget/"));
    let connect = if widget { "'self' http: https:" } else { "'self'" };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src {connect}; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    );
    if let Ok(v) = http::HeaderValue::from_str(&policy) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}
