//! Photo upload and the signature pad, shared by the console (technician's
//! screen) and the widget (customer).

use leptos::prelude::*;

use super::ErrorText;
#[allow(unused_imports)]
use crate::errors::{AppError, UploadProblem};
use crate::language::use_texts;

/// 5 MB, as the server enforces; checked here first so nobody waits for a
/// refused upload.
pub const MAX_PHOTO_BYTES: f64 = 5.0 * 1024.0 * 1024.0;

/// Who uploads, and where the photo goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploader {
    /// Staff, by session cookie.
    Staff { case: String },
    /// The customer, by the case token their widget kept.
    Customer { case: String, org: String, token: String },
    /// The customer during a guide walk, before the case exists: held
    /// against the widget's submission id until it is submitted.
    Walk { org: String, submission: String },
}

impl Uploader {
    /// Where to send the photo, and the secret that allows it: in a header,
    /// never in the URL (proxies log URLs). Only the browser uploads.
    #[cfg(feature = "hydrate")]
    fn request(&self, file_name: &str) -> (String, Option<(&'static str, String)>) {
        let enc = |s: &str| String::from(js_sys::encode_uri_component(s));
        let name = enc(file_name);
        match self {
            Uploader::Staff { case } => (format!("/api/attachments?case={}&name={name}", enc(case)), None),
            Uploader::Customer { case, org, token } => {
                (format!("/api/attachments?case={}&name={name}&org={}", enc(case), enc(org)), Some(("X-Fixline-Token", token.clone())))
            }
            Uploader::Walk { org, submission } => {
                (format!("/api/attachments?name={name}&org={}", enc(org)), Some(("X-Fixline-Submission", submission.clone())))
            }
        }
    }
}

/// A file input that uploads each chosen photo at once and collects the ids.
#[component]
pub fn PhotoPicker(uploader: Uploader, photos: RwSignal<Vec<i64>>, #[prop(into)] id: String) -> impl IntoView {
    let t = use_texts();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let uploader = StoredValue::new(uploader);
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            let Some(files) = input.files() else { return };
            let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
            input.set_value("");
            error.set(None);
            busy.set(true);
            leptos::task::spawn_local(async move {
                for file in files {
                    match upload(&uploader.get_value(), &file).await {
                        Ok(id) => photos.update(|p| p.push(id)),
                        Err(e) => error.set(Some(e)),
                    }
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, uploader, busy);
    };
    view! {
        <div class="photos">
            <label for=id.clone()>{t.f_photos}</label>
            <input id=id type="file" accept="image/jpeg,image/png,image/webp" multiple on:change=on_change data-testid="photo-input"/>
            <p class="hint" role="status" data-testid="photo-status">
                {move || if busy.get() { t.uploading.to_string() } else if photos.get().is_empty() { String::new() } else { crate::i18n::fill(t.photo_added, photos.get().len()) }}
            </p>
            <ErrorText error=error.into()/>
        </div>
    }
    .into_any()
}

/// Sends one photo; answers its attachment id. Checks the size first so
/// nobody waits for a refused upload.
#[cfg(feature = "hydrate")]
pub async fn upload(who: &Uploader, file: &web_sys::File) -> Result<i64, AppError> {
    if file.size() > MAX_PHOTO_BYTES {
        return Err(AppError::InvalidUpload { problem: UploadProblem::TooLarge { max_kb: 5 * 1024 } });
    }
    #[derive(serde::Deserialize)]
    struct Created {
        id: i64,
    }
    let (url, secret) = who.request(&file.name());
    post_file::<Created>(&url, secret, file).await.map(|c| c.id)
}

/// POSTs a file as the request body; answers the JSON reply, or the
/// server's `AppError`.
#[cfg(feature = "hydrate")]
pub async fn post_file<T: serde::de::DeserializeOwned>(
    url: &str,
    header: Option<(&str, String)>,
    file: &web_sys::File,
) -> Result<T, AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(file);
    use crate::functions::widget_client::{client_id, CLIENT_HEADER};
    let headers = js_sys::Object::new();
    let client = (CLIENT_HEADER, client_id());
    for (name, value) in header.into_iter().chain([client]) {
        js_sys::Reflect::set(&headers, &name.into(), &value.into()).map_err(|_| AppError::Internal)?;
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or(AppError::Unreachable)?;
    let res: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| AppError::Unreachable)?
        .dyn_into()
        .map_err(|_| AppError::Internal)?;
    let text = JsFuture::from(res.text().map_err(|_| AppError::Internal)?).await.map_err(|_| AppError::Unreachable)?;
    let text = text.as_string().unwrap_or_default();
    if res.ok() {
        serde_json::from_str::<T>(&text).map_err(|_| AppError::Internal)
    } else {
        Err(serde_json::from_str::<AppError>(&text).unwrap_or(AppError::Internal))
    }
}

/// A canvas to sign on with a finger, pen or mouse. `signature` holds the
/// PNG data URL once something is drawn, `None` when cleared.
#[component]
pub fn SignaturePad(signature: RwSignal<Option<String>>) -> impl IntoView {
    let t = use_texts();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let drawing = RwSignal::new(false);
    #[allow(unused_variables)]
    let point = move |ev: &leptos::ev::PointerEvent| -> Option<(web_sys_ctx::Ctx, f64, f64)> {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let el = canvas.get()?;
            let rect = el.get_bounding_client_rect();
            let sx = el.width() as f64 / rect.width().max(1.0);
            let sy = el.height() as f64 / rect.height().max(1.0);
            let ctx = el.get_context("2d").ok()??.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()?;
            return Some((ctx, (ev.client_x() as f64 - rect.left()) * sx, (ev.client_y() as f64 - rect.top()) * sy));
        }
        #[allow(unreachable_code)]
        None
    };
    let down = move |ev: leptos::ev::PointerEvent| {
        ev.prevent_default();
        let _ = &ev;
        #[cfg(feature = "hydrate")]
        if let Some((ctx, x, y)) = point(&ev) {
            ctx.set_line_width(3.0);
            ctx.set_line_cap("round");
            ctx.set_stroke_style_str("#111");
            ctx.begin_path();
            ctx.move_to(x, y);
            ctx.line_to(x + 0.1, y + 0.1);
            ctx.stroke();
            drawing.set(true);
        }
    };
    let moved = move |ev: leptos::ev::PointerEvent| {
        // Only a stroke that began on the pad draws.
        #[cfg(feature = "hydrate")]
        if drawing.get_untracked() {
            if let Some((ctx, x, y)) = point(&ev) {
                ctx.line_to(x, y);
                ctx.stroke();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&ev, drawing);
    };
    let up = move |_| {
        if drawing.get_untracked() {
            drawing.set(false);
            #[cfg(feature = "hydrate")]
            if let Some(el) = canvas.get() {
                signature.set(el.to_data_url().ok());
            }
        }
    };
    let clear = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = canvas.get() {
            use wasm_bindgen::JsCast;
            if let Some(ctx) = el.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()) {
                ctx.clear_rect(0.0, 0.0, el.width() as f64, el.height() as f64);
            }
        }
        signature.set(None);
    };
    view! {
        <div class="signature-pad">
            <p id="sign-help" class="hint">{t.report_sign_here}</p>
            <canvas node_ref=canvas width="600" height="200" data-testid="signature-canvas" aria-describedby="sign-help"
                role="img" aria-label=t.report_sign_here
                on:pointerdown=down on:pointermove=moved on:pointerup=up on:pointerleave=up></canvas>
            <button type="button" class="secondary" on:click=clear>{t.report_clear}</button>
        </div>
    }
    .into_any()
}

/// The drawing context type, named so the closure above has one signature
/// on the server (where it is never called) and in the browser.
mod web_sys_ctx {
    #[cfg(feature = "hydrate")]
    pub type Ctx = web_sys::CanvasRenderingContext2d;
    #[cfg(not(feature = "hydrate"))]
    pub type Ctx = ();
}
