//! The page's language: the server decides it for each request, writes it
//! into `<html lang>`, and every component reads it from context.

use leptos::prelude::*;

use crate::i18n::{ConsoleTexts, Locale, LocaleTexts, Texts};

/// Remembers a reader's explicit choice (`?lang=`).
pub const LANG_COOKIE: &str = "fixline_lang";

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
    let Some(parts) = use_context::<http::request::Parts>() else { return Locale::default() };
    let from_query = parts
        .uri
        .query()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang").and_then(|(_, v)| Locale::from_tag(&v)));
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
    headers_locale(&parts.headers)
}

/// The language by the request's headers alone: the language cookie, then
/// `Accept-Language`, then zh-CN (for pages outside Leptos).
#[cfg(feature = "ssr")]
pub fn headers_locale(headers: &http::HeaderMap) -> Locale {
    crate::backend::auth::cookie_value(headers, LANG_COOKIE)
        .and_then(|v| Locale::from_tag(&v))
        .or_else(|| headers.get(http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Locale::from_accept_language))
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
