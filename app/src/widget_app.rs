//! The customer widget as an application of its own: the root component the
//! widget's WASM bundle (crate `widget`) hydrates, and the document the
//! server renders it in. It provides what `App` provides (language, the
//! hydration mark) but shows only `/widget/{org_key}`, so the bundle carries
//! none of the console: no router, no leptos_meta, its own stylesheet.

use leptos::prelude::*;

use crate::document::{html_document, Scripts};
use crate::language::provide_root_context;
use crate::routes::widget::WidgetPage;

/// The bundle's name: `/pkg/widget.js`, `/pkg/widget.wasm`, `/pkg/widget.css`.
pub const WIDGET_OUTPUT_NAME: &str = "widget";
/// The route the widget's document is served on (axum's syntax).
pub const WIDGET_PATH: &str = "/widget/{org_key}";

/// The widget's document: the same as `shell`'s, but loading the widget's
/// bundle and stylesheet (`options.output_name` set to [`WIDGET_OUTPUT_NAME`]
/// here), with the title written by the server.
pub fn widget_shell(mut options: LeptosOptions) -> impl IntoView {
    options.output_name = WIDGET_OUTPUT_NAME.into();
    html_document(options, WIDGET_OUTPUT_NAME, Scripts::AfterLoad, |t| view! { <title>{t.product}</title> }, || view! { <WidgetApp/> })
}

/// One page, so no router (which would be a good part of the bundle): the
/// organisation key is read from the path. The server serves this only on
/// [`WIDGET_PATH`], rendered whole before sending (`render_app_async`).
#[component]
pub fn WidgetApp() -> impl IntoView {
    provide_root_context();
    let org_key = org_key_from_path(&page_path());
    view! { <WidgetPage org_key/> }
}

/// `/widget/{org_key}` → the key (empty for any other path: "not found").
pub fn org_key_from_path(path: &str) -> String {
    path.strip_prefix("/widget/").filter(|k| !k.contains('/')).unwrap_or_default().to_string()
}

/// The query of the page being rendered (server) or shown (browser),
/// without its `?`.
pub fn page_query() -> String {
    #[cfg(feature = "ssr")]
    return use_context::<http::request::Parts>().and_then(|p| p.uri.query().map(str::to_string)).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    return window().location().search().unwrap_or_default().trim_start_matches('?').to_string();
}

/// What a link to this page in another language keeps of the query: the
/// embedding (`embed`, `host`, as written), so a framed widget stays framed
/// and keeps talking to its host page, and the equipment a QR label named.
pub fn embedding_query(query: &str) -> String {
    query.split('&').filter(|pair| matches!(pair.split('=').next(), Some("embed" | "host" | "asset"))).collect::<Vec<_>>().join("&")
}

/// The equipment a QR label's address names (`?asset=ID`).
pub fn asset_from_query(query: &str) -> Option<i64> {
    query.split('&').find_map(|pair| pair.strip_prefix("asset=")).and_then(|v| v.parse().ok()).filter(|id| *id > 0)
}

/// The path of the page being rendered (server) or shown (browser).
pub fn page_path() -> String {
    #[cfg(feature = "ssr")]
    return use_context::<http::request::Parts>().map(|p| p.uri.path().to_string()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    return window().location().pathname().unwrap_or_default();
}

#[cfg(test)]
mod tests {
    #[test]
    fn language_links_keep_the_embedding_only() {
        let q = "embed=1&lang=en&host=https%3A%2F%2Fintranet.example&name=x&asset=7";
        assert_eq!(super::embedding_query(q), "embed=1&host=https%3A%2F%2Fintranet.example&asset=7");
        assert_eq!(super::asset_from_query(q), Some(7));
        assert_eq!(super::asset_from_query("asset=x"), None);
        assert_eq!(super::asset_from_query("asset=-3"), None);
        assert_eq!(super::embedding_query(""), "");
        assert_eq!(super::embedding_query("lang=zh-TW"), "");
    }
}
