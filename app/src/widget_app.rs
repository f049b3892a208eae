//! The customer widget as an application of its own: the root component the
//! widget's WASM bundle (crate `widget`) hydrates, and the document the
//! server renders it in. It provides what `App` provides to the widget route
//! (meta, language, the hydration mark, the stylesheet) but routes only
//! `/widget/{org_key}`, so the bundle carries none of the console.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::app::{html_document, provide_root_context};
use crate::components::NotFound;
use crate::routes::widget::WidgetPage;

/// The bundle's name: `/pkg/widget.js` and `/pkg/widget.wasm`.
pub const WIDGET_OUTPUT_NAME: &str = "widget";
/// The route the widget's document is served on (axum's syntax).
pub const WIDGET_PATH: &str = "/widget/{org_key}";

/// The widget's document: the same as `shell`'s, but loading the widget's
/// bundle (`options.output_name` set to [`WIDGET_OUTPUT_NAME`] here).
pub fn widget_shell(mut options: LeptosOptions) -> impl IntoView {
    options.output_name = WIDGET_OUTPUT_NAME.into();
    html_document(options, || view! { <WidgetApp/> })
}

#[component]
pub fn WidgetApp() -> impl IntoView {
    let t = provide_root_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/fixline.css"/>
        <Title text=t.product/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=(StaticSegment("widget"), ParamSegment("org_key")) view=WidgetPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
