//! WASM entry point of the customer widget: hydrates the server-rendered
//! widget page (`/widget/{org_key}`) and nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::widget_app::WidgetApp);
}
