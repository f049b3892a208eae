//! The customer widget as an application of its own: the root component the
//! widget's WASM bundle (crate `widget`) hydrates, and the document the
//! server renders it in. It provides what `App` provides (language, the
//! hydration mark) but shows only `/widget/{org_key}`, so the bundle carries
//! none of the console: no router, no leptos_meta, its own stylesheet.

use leptos::prelude::*;

use crate::document::{html_document, Scripts};
use crate::language::provide_root_context;
use crate::routes::widget::address::{page_path, page_query};
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
    // Framed by `embed.js`: the panel was opened to be used, so the code
    // comes with the page; on its own (a link, a QR code) after it.
    let scripts = if page_query().split('&').any(|p| p == "embed=1") { Scripts::Hydration } else { Scripts::AfterLoad };
    html_document(options, WIDGET_OUTPUT_NAME, scripts, |t| view! { <title>{t.product}</title> }, || view! { <WidgetApp/> })
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
