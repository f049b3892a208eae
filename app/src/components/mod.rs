//! Small pieces shared by the widget and the console.

pub mod live;
pub mod names;
pub mod photos;
pub mod staff;

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::errors::{AppError, Field};
use crate::i18n::{word_error, ErrorWording, Locale, LocaleTexts};
use crate::language::{use_locale, use_texts};

/// `data-ready` for a part of the page that hydrates late (after its data
/// arrives): "false" as rendered on the server, "true" once it is
/// interactive. End-to-end tests wait for no "false" to remain.
pub fn ready_marker() -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    move || if ready.get() { "true" } else { "false" }
}

/// A resource's value once it has loaded. "Not found" becomes the 404 page
/// (with `not_found` as its text), any other error a sentence saying what
/// to do next.
#[component]
pub fn Loaded<T, F, V>(
    resource: Resource<Result<T, AppError>>,
    render: F,
    #[prop(optional)] not_found: Option<&'static str>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let t = use_texts();
    let (wording, locale) = (use_context::<ErrorWording>(), use_locale());
    view! {
        <Suspense fallback=move || view! { <p class="loading" role="status">{t.loading}</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(AppError::NotFound) => view! { <NotFound body=not_found.unwrap_or(t.not_found_body)/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{word_error(wording, locale, &e)}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// A 404 page; also sets the response status when rendered on the server.
/// Puts the text of the file chosen in an `<input type="file">` into
/// `into` (the holiday list, the roster): read in the browser, no upload.
pub fn read_chosen_file(ev: &leptos::ev::Event, into: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let file = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).and_then(|i| i.files()).and_then(|f| f.get(0));
        if let Some(file) = file {
            leptos::task::spawn_local(async move {
                if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    into.set(text.as_string().unwrap_or_default());
                }
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, into);
}

#[component]
pub fn NotFound(#[prop(optional)] body: Option<&'static str>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    let t = use_texts();
    view! {
        <main class="page narrow">
            <h1>{t.not_found_title}</h1>
            <p>{body.unwrap_or(t.not_found_body)}</p>
            <p><a href="/">{t.go_home}</a></p>
        </main>
    }
}

/// Links to the same page in each language. They load a new page
/// (`rel="external"` bypasses client routing) because the server picks the
/// language of everything it renders.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let path = use_location().pathname;
    view! { <LanguageLinks path/> }
}

/// The language links for a given path (the widget has no router).
#[component]
pub fn LanguageLinks(#[prop(into)] path: Signal<String>) -> impl IntoView {
    let t = use_texts();
    let current = use_locale();
    view! {
        <nav class="langs" aria-label=t.language>
            {Locale::ALL
                .into_iter()
                .map(|l| {
                    let href = move || {
                        let path = path.get();
                        let sep = if path.contains('?') { '&' } else { '?' };
                        format!("{path}{sep}lang={}", l.tag())
                    };
                    view! {
                        <a href=href rel="external" hreflang=l.tag() lang=l.tag() aria-current=(l == current).then_some("true")>
                            {l.native_name()}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// The message for one field, from the latest error; empty when none.
#[component]
pub fn FieldMsg(field: Field, id: &'static str, error: Signal<Option<AppError>>) -> impl IntoView {
    let t = use_texts();
    view! {
        <p class="field-error" id=id aria-live="polite">
            {move || error.get().and_then(|e| e.problem_for(field)).map(|p| t.problem(p))}
        </p>
    }
}

/// An error sentence for errors that belong to no single field.
#[component]
pub fn ErrorText(error: Signal<Option<AppError>>) -> impl IntoView {
    let t = use_texts();
    let (wording, locale) = (use_context::<ErrorWording>(), use_locale());
    move || {
        error.get().map(|e| {
            let text = match &e {
                // Field problems are shown next to their fields.
                AppError::Invalid { .. } => t.fix_errors_above.to_string(),
                other => word_error(wording, locale, other),
            };
            view! { <p class="error" role="alert">{text}</p> }
        })
    }
}
