//! Small browser-only helpers: focus, the progress beacon, the clock.

#[cfg(feature = "hydrate")]
use super::js;
#[cfg(feature = "hydrate")]
use leptos::prelude::{document, request_animation_frame};

pub(super) fn focus_prompt() {
    focus_id("guide-prompt");
}

/// Focuses the element with this id once the page has been redrawn.
pub(super) fn focus_id(id: &'static str) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

pub(super) fn send_progress_beacon(org_key: &str, session_id: &str, last_node: &str, steps: usize) {
    #[cfg(feature = "hydrate")]
    {
        let body = js_sys::Object::new();
        js::set(&body, "org_key", org_key);
        js::set(&body, "session_id", session_id);
        js::set(&body, "last_node", last_node);
        js::set(&body, "steps", steps as f64);
        js::set(&body, "client", crate::functions::widget_client::client_id().as_str());
        if let (Some(w), Some(body)) = (web_sys::window(), js::stringify(&body.into())) {
            let _ = w.navigator().send_beacon_with_opt_str("/api/guide_progress", Some(&body));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (org_key, session_id, last_node, steps);
}

pub(super) fn browser_now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    0
}
