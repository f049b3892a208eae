use leptos::prelude::*;

use crate::models::WidgetInfo;

#[derive(Clone, Copy)]
pub struct Host {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    origin: StoredValue<Option<String>>,
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// Case tokens the host page kept in its own storage and handed over.
    pub static HOST_CASES: std::cell::RefCell<Vec<(String, String)>> = Default::default();
}

impl Host {
    /// Asks the host page to keep a case's token: a browser that blocks
    /// third-party storage keeps none for this frame.
    pub fn remember(&self, number: &str, token: &str) {
        #[cfg(feature = "hydrate")]
        if let (Some(origin), Some(parent)) = (self.origin.get_value(), window().parent().ok().flatten()) {
            use js_sys::{Object, Reflect};
            let msg = Object::new();
            let _ = Reflect::set(&msg, &"fixline".into(), &1.into());
            let _ = Reflect::set(&msg, &"type".into(), &"remember".into());
            let _ = Reflect::set(&msg, &"number".into(), &number.into());
            let _ = Reflect::set(&msg, &"token".into(), &token.into());
            let _ = parent.post_message(&msg, &origin);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (number, token);
    }

    /// Asks the host page to keep the report being written (the draft's
    /// JSON; `None`: forget it), for a browser that gives this frame no
    /// storage: a reload, or a language switch, must not lose it.
    pub fn keep_draft(&self, json: Option<&str>) {
        #[cfg(feature = "hydrate")]
        if let (Some(origin), Some(parent)) = (self.origin.get_value(), window().parent().ok().flatten()) {
            use js_sys::{Object, Reflect};
            let msg = Object::new();
            let _ = Reflect::set(&msg, &"fixline".into(), &1.into());
            let _ = Reflect::set(&msg, &"type".into(), &"draft".into());
            let _ = Reflect::set(&msg, &"data".into(), &json.unwrap_or_default().into());
            let _ = parent.post_message(&msg, &origin);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = json;
    }

    pub fn post(&self, kind: &str, number: Option<&str>) {
        #[cfg(feature = "hydrate")]
        if let Some(origin) = self.origin.get_value() {
            post(&origin, kind, number, None);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (kind, number);
    }
}

#[cfg(feature = "hydrate")]
fn post(origin: &str, kind: &str, number: Option<&str>, height: Option<f64>) {
    use js_sys::{Object, Reflect};
    let Some(parent) = window().parent().ok().flatten() else { return };
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"fixline".into(), &1.into());
    let _ = Reflect::set(&msg, &"type".into(), &kind.into());
    if let Some(n) = number {
        let _ = Reflect::set(&msg, &"number".into(), &n.into());
    }
    if let Some(h) = height {
        let _ = Reflect::set(&msg, &"height".into(), &h.into());
    }
    let _ = parent.post_message(&msg, origin);
}

pub fn connect(info: &WidgetInfo, state: super::WidgetState, draft_key: String, host_cases: RwSignal<u32>) -> Host {
    let origin = StoredValue::new(None::<String>);
    let host = Host { origin };
    #[cfg(feature = "hydrate")]
    {
        let allowed = info.allowed_origins.clone();
        let assets = info.assets.clone();
        let colour = info.theme_color.clone();
        Effect::new(move |_| {
            // Theme colour through the CSSOM (no style attributes under the CSP).
            if crate::domain::embedding::valid_colour(&colour) && !colour.is_empty() {
                if let Some(root) = document().document_element() {
                    use wasm_bindgen::JsCast;
                    if let Ok(el) = root.dyn_into::<web_sys::HtmlElement>() {
                        let _ = el.style().set_property("--brand", &colour);
                        let _ = el.style().set_property("--brand-dark", &colour);
                    }
                }
            }
            let Ok(search) = window().location().search() else { return };
            let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else { return };
            if params.get("embed").as_deref() != Some("1") {
                return;
            }
            let Some(claimed) = params.get("host") else { return };
            let normal = crate::domain::embedding::normalise_origin(&claimed);
            let Some(host_origin) = normal.filter(|o| *o == claimed && allowed.contains(o)) else { return };
            origin.set_value(Some(host_origin.clone()));
            listen(host_origin.clone(), state, draft_key.clone(), assets.clone(), host_cases);
            post(&host_origin, "ready", None, None);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (info, state, draft_key, host_cases);
    host
}

#[cfg(feature = "hydrate")]
fn listen(
    origin: String,
    state: super::WidgetState,
    draft_key: String,
    assets: Vec<crate::models::AssetOption>,
    host_cases: RwSignal<u32>,
) {
    let super::WidgetState { name, phone, asset, .. } = state;
    use js_sys::Reflect;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::JsValue;

    let text = |v: &JsValue, key: &str| -> Option<String> {
        let s = Reflect::get(v, &key.into()).ok()?.as_string()?;
        let s: String = s.trim().chars().take(100).collect();
        (!s.is_empty()).then_some(s)
    };
    let from = origin.clone();
    let _ = window_event_listener(leptos::ev::message, move |ev: web_sys::MessageEvent| {
        let parent: Option<JsValue> = window().parent().ok().flatten().map(Into::into);
        let source: Option<JsValue> = ev.source().map(Into::into);
        if ev.origin() != from || parent.is_none() || source.as_ref().map(|s| s as &JsValue) != parent.as_ref() {
            return;
        }
        let data = ev.data();
        if Reflect::get(&data, &"fixline".into()).ok().and_then(|v| v.as_f64()) != Some(1.0) {
            return;
        }
        match Reflect::get(&data, &"type".into()).ok().and_then(|v| v.as_string()).as_deref() {
            Some("prefill") => {
                let Ok(fields) = Reflect::get(&data, &"data".into()) else { return };
                // Only fields the customer has not typed in yet.
                if let Some(n) = text(&fields, "name").filter(|_| name.get_untracked().is_empty()) {
                    name.set(n);
                }
                if let Some(p) = text(&fields, "phone").filter(|_| phone.get_untracked().is_empty()) {
                    phone.set(p);
                }
                if let Some(serial) = text(&fields, "serial") {
                    if asset.get_untracked().is_none() {
                        if let Some(a) = assets.iter().find(|a| a.serial.eq_ignore_ascii_case(&serial)) {
                            asset.set(Some(a.id));
                        }
                    }
                }
            }
            Some("cases") => {
                let Ok(list) = Reflect::get(&data, &"data".into()) else { return };
                let Ok(list) = list.dyn_into::<js_sys::Array>() else { return };
                let valid_token =
                    |t: &str| (16..=100).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                let cases: Vec<(String, String)> = list
                    .iter()
                    .take(20)
                    .filter_map(|item| {
                        let pair = item.dyn_into::<js_sys::Array>().ok()?;
                        let (n, t) = (pair.get(0).as_string()?, pair.get(1).as_string()?);
                        (crate::domain::case_number::parse(&n).is_some() && valid_token(&t)).then_some((n, t))
                    })
                    .collect();
                HOST_CASES.with(|h| *h.borrow_mut() = cases);
                host_cases.update(|n| *n += 1);
            }
            // The draft the host page kept: taken only when this frame has
            // none of its own and nothing has been typed yet.
            Some("draft") => {
                let Some(json) = Reflect::get(&data, &"data".into()).ok().and_then(|v| v.as_string()) else { return };
                let untouched = super::drafts::load(&draft_key).is_none() && state.draft() == super::drafts::Draft::default();
                if let Some(d) = super::drafts::from_json(&json).filter(|_| untouched && json.len() <= super::drafts::MAX_JSON) {
                    state.restore(d);
                }
            }
            Some("open") => {
                if let Some(el) = document().query_selector("main.widget input, main.widget select").ok().flatten() {
                    if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                        let _ = el.focus();
                    }
                }
            }
            _ => {}
        }
    });
    // Escape inside the frame: the host page cannot see those keys.
    let to = origin.clone();
    let _ = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" {
            post(&to, "close", None, None);
        }
    });
    // The content's height, for inline mode: checked a few times a
    // second, sent when it changes.
    let to = origin;
    let last = std::cell::Cell::new(0);
    let _ = set_interval_with_handle(
        move || {
            let Some(body) = document().body() else { return };
            let height = body.scroll_height();
            if height != last.get() {
                last.set(height);
                post(&to, "resize", None, Some(height as f64));
            }
        },
        std::time::Duration::from_millis(250),
    );
}
