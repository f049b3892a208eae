use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::components::NotFound;
use crate::i18n::{ConsoleTexts, Locale, Texts};
use crate::routes::console::{CasePage, LoginPage, QueuePage};
use crate::routes::guides::{GuidePreviewPage, GuidesPage};
use crate::routes::followup::{FollowUpPage, RatingsPage, VisitsPage};
use crate::routes::home::HomePage;
use crate::routes::report::ReportRoute;
use crate::routes::settings::SettingsPage;

pub const LANG_COOKIE: &str = "fixline_lang";

pub fn shell(options: LeptosOptions) -> impl IntoView {
    html_document(options, "fixline", |_| view! { <MetaTags/> }, || view! { <App/> })
}

/// The HTML document around a root component: language, CSP (with the
/// response's nonce), the stylesheet `/{pkg}/{stylesheet}.css`, the rest of
/// the head (`head`, given the page's texts), and the hydration scripts for `options.output_name` (the
/// console's bundle, or the widget's). Rendered on the server only, so the
/// head's links can carry the bundles' versioned directory
/// (`options.site_pkg_dir`, set by the server) without the browser knowing it.
pub(crate) fn html_document<H: IntoView + 'static, V: IntoView + 'static>(
    options: LeptosOptions,
    stylesheet: &str,
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
                <HydrationScripts options/>
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

/// What every root component (`App`, `WidgetApp`) sets up: the request's
/// language and the `data-hydrated` mark. Returns the texts.
pub(crate) fn provide_root_context() -> &'static Texts {
    let locale = request_locale();
    provide_context(locale);
    // Effects run only in the browser, after hydration: tests and scripts
    // wait for this mark before interacting.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    locale.texts()
}

#[component]
pub fn App() -> impl IntoView {
    // Pages set their titles with leptos_meta; the widget does without it.
    provide_meta_context();
    let t = provide_root_context();

    view! {
        <Title text=t.product/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=StaticSegment("") view=HomePage/>
                <Route path=(StaticSegment("console"), StaticSegment("login")) view=LoginPage/>
                <Route path=StaticSegment("console") view=QueuePage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("guides")) view=GuidesPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("settings")) view=SettingsPage ssr=SsrMode::Async/>
                <Route
                    path=(StaticSegment("console"), StaticSegment("guides"), ParamSegment("id"), ParamSegment("version"))
                    view=GuidePreviewPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("console"), StaticSegment("cases"), ParamSegment("number"))
                    view=CasePage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("console"), StaticSegment("cases"), ParamSegment("number"), StaticSegment("report"))
                    view=ReportRoute
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("console"), StaticSegment("visits")) view=VisitsPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("follow-up")) view=FollowUpPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("ratings")) view=RatingsPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

pub fn use_texts() -> &'static Texts {
    use_locale().texts()
}

/// The console's pages: their own texts and the shared ones.
pub fn use_console_texts() -> &'static ConsoleTexts {
    use_locale().console_texts()
}

/// The page's language. The server decides (`?lang=`, then the language
/// cookie, then `Accept-Language`, then zh-CN) and writes it into
/// `<html lang>`; the browser reads it back from there, so both agree.
#[cfg(feature = "ssr")]
pub fn request_locale() -> Locale {
    use crate::backend::auth::cookie_value;

    let Some(parts) = use_context::<http::request::Parts>() else { return Locale::default() };
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == "lang").and_then(|(_, v)| Locale::from_tag(v))
    });
    if let Some(locale) = from_query {
        // Remember an explicit choice for the next pages.
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", locale.tag());
            if let Ok(v) = http::HeaderValue::from_str(&cookie) {
                res.insert_header(http::header::SET_COOKIE, v);
            }
        }
        return locale;
    }
    cookie_value(&parts.headers, LANG_COOKIE)
        .and_then(Locale::from_tag)
        .or_else(|| {
            parts
                .headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
pub fn request_locale() -> Locale {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|tag| Locale::from_tag(&tag))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    Locale::default()
}
