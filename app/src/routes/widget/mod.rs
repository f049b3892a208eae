//! The customer widget: intake form, guided troubleshooting walked entirely
//! in the browser, then escalation (or a recorded self-fix).

use crate::functions::widget_client::random_id;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::{ErrorText, FieldMsg, LanguageLinks, NotFound};
use crate::domain::guide::{self, Check, CheckResult, Guide, InputKind, NodeKind, Outcome, Severity, WalkStep};
use crate::domain::intake;
use crate::domain::logscan::{choose, Finding};
use crate::errors::{AppError, Field};
use crate::functions::widget::{answer_quote, load_guides, start_guide, submit_case, track_case};
use crate::i18n::fill;
use crate::language::{use_locale, use_texts};
use crate::models::{CaseReceipt, CaseSubmission, GuideOffer, GuideResult, WidgetInfo};
use checks::{clock_result, clock_skew_seconds};

pub mod address;
mod browser;
mod check_runner;
pub mod checks;
mod drafts;
mod followup;
mod intake_form;
mod state;
mod tracker;
mod walk;

/// The browser's JSON, through js-sys: reading and writing the few small
/// things the main part keeps (the boot data, drafts) this way keeps serde
/// out of the first download.
#[cfg(feature = "hydrate")]
mod js;

/// Talks to `embed.js` on the host page when the widget runs in its iframe
/// (`?embed=1&host=ORIGIN`): says when it is ready, its height, Escape to
/// close, and cases escalated or fixed; takes a prefill of name, phone and
/// serial. Messages go only to the host origin, and only if the
/// organisation lists it (the same list as the route's `frame-ancestors`).
mod host_bridge;

use browser::*;
use check_runner::*;
use followup::*;
use intake_form::*;
use state::*;
use tracker::*;
use walk::*;

/// What the widget page starts from, decided by the server before it
/// renders: the organisation's details, or why there are none. It reaches
/// the browser in the page itself, as the `data-boot` attribute (JSON, read
/// with the browser's own parser), so the first download needs neither
/// serde nor a server-function client.
#[derive(Debug, Clone, PartialEq)]
pub enum WidgetBoot {
    Ready(WidgetInfo),
    NotFound,
    /// The server could not look the organisation up (database down).
    Failed,
}

const BOOT_NOT_FOUND: &str = "not-found";
#[cfg(feature = "ssr")]
const BOOT_FAILED: &str = "failed";

impl WidgetBoot {
    /// The boot the server provided (server), or the one in the page (browser),
    /// with the attribute's text.
    fn current() -> (WidgetBoot, String) {
        #[cfg(feature = "ssr")]
        {
            let boot = use_context::<WidgetBoot>().unwrap_or(WidgetBoot::Failed);
            let text = match &boot {
                WidgetBoot::Ready(info) => serde_json::to_string(info).unwrap_or_default(),
                WidgetBoot::NotFound => BOOT_NOT_FOUND.to_string(),
                WidgetBoot::Failed => BOOT_FAILED.to_string(),
            };
            (boot, text)
        }
        #[cfg(not(feature = "ssr"))]
        {
            #[cfg(feature = "hydrate")]
            let text =
                document().query_selector("[data-boot]").ok().flatten().and_then(|e| e.get_attribute("data-boot")).unwrap_or_default();
            #[cfg(not(feature = "hydrate"))]
            let text = String::new();
            (WidgetBoot::parse(&text), text)
        }
    }

    #[cfg(not(feature = "ssr"))]
    fn parse(text: &str) -> WidgetBoot {
        match text {
            BOOT_NOT_FOUND => WidgetBoot::NotFound,
            #[cfg(feature = "hydrate")]
            json if json.starts_with('{') => js::widget_info(json).map_or(WidgetBoot::Failed, WidgetBoot::Ready),
            _ => WidgetBoot::Failed,
        }
    }
}

#[component]
pub fn WidgetPage(org_key: String) -> impl IntoView {
    let t = use_texts();
    let (boot, text) = WidgetBoot::current();
    view! {
        <div class="widget-root" data-boot=text>
            {match boot {
                WidgetBoot::Ready(info) => view! { <Widget org_key info/> }.into_any(),
                WidgetBoot::NotFound => view! { <NotFound body=t.org_not_found_body/> }.into_any(),
                WidgetBoot::Failed => view! {
                    <main class="page narrow">
                        <p class="error" role="alert">{t.error(&AppError::Internal)}</p>
                    </main>
                }
                .into_any(),
            }}
        </div>
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Intake,
    Guide,
    Escalated(CaseReceipt),
    SelfResolved,
}

#[component]
fn Widget(org_key: String, info: WidgetInfo) -> impl IntoView {
    let t = use_texts();
    let state = WidgetState::new();
    let WidgetState { stage, steps, guide, session, .. } = state;

    // Opened from a QR label: the equipment is chosen already (if it is
    // still this organisation's), and the walk's restored draft does not
    // override it.
    let preset = address::asset_from_query(&address::page_query());
    let preset_known = preset.filter(|id| info.assets.iter().any(|a| a.id == *id));
    if preset_known.is_some() {
        state.asset.set(preset_known);
    }
    let draft_key = format!("fixline.draft.{org_key}");
    // Language links keep the embedding: switching language in a framed
    // widget must not cut it off from its host page.
    let page_path = match address::embedding_query(&address::page_query()) {
        q if q.is_empty() => format!("/widget/{org_key}"),
        q => format!("/widget/{org_key}?{q}"),
    };
    // Read by the walk, the tracker and the beacon, each in closures of its own.
    let org_key = StoredValue::new(org_key);
    // Nothing typed is lost: the report and the walk are kept in this
    // browser until the case is submitted, and restored after a reload.
    // (Effects run only in the browser, after hydration.)
    // (When framed, the host page keeps a copy: see `host_bridge`.)
    let host_cases = RwSignal::new(0u32);
    let host = host_bridge::connect(&info, state, draft_key.clone(), host_cases);
    Effect::new(move |restored: Option<()>| {
        if restored.is_none() {
            if let Some(d) = drafts::load(&draft_key) {
                state.restore(d);
                if preset_known.is_some() && state.asset.get_untracked() != preset_known {
                    state.asset.set(preset_known);
                }
            }
        }
        let draft = state.draft();
        match stage.get() {
            Stage::Escalated(_) | Stage::SelfResolved => {
                drafts::clear(&draft_key);
                host.keep_draft(None);
            }
            _ => {
                drafts::save(&draft_key, &draft);
                // An untouched form is not worth a message.
                if draft != drafts::Draft::default() {
                    host.keep_draft(drafts::to_json(&draft).as_deref());
                }
            }
        }
    });

    // A walk left unfinished is reported once, as the page goes away, so
    // the guide's analytics can show where customers give up.
    let _ = window_event_listener(leptos::ev::pagehide, move |_| {
        let (Some((_, session_id)), Some(g)) = (session.get_untracked(), guide.get_untracked()) else { return };
        if !matches!(stage.get_untracked(), Stage::Guide | Stage::Intake) {
            return;
        }
        let taken = steps.get_untracked();
        let Some(node) = g.current(&taken) else { return };
        org_key.with_value(|org_key| send_progress_beacon(org_key, &session_id, &node.id, taken.len()));
    });

    let start_over = move || state.start_over();

    Effect::new(move |_| match stage.get() {
        Stage::Escalated(receipt) => {
            host.post("escalated", Some(&receipt.number));
            host.remember(&receipt.number, &receipt.access_token);
        }
        Stage::SelfResolved => host.post("resolved", None),
        _ => {}
    });
    // The tracker reads this browser's storage, so it appears only once
    // hydrated: the server renders the same page on every request, and
    // hydration never meets a part the server could not know.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let tracker_refresh = Signal::derive(move || host_cases.get() * 2 + u32::from(matches!(stage.get(), Stage::Escalated(_))));
    // The tracker's code is fetched only by a browser that has reported a
    // case: most visitors never download it.
    // "Reported on another device?": finding a case loads the tracker too.
    let find = RwSignal::new(false);
    let has_cases = Memo::new(move |_| {
        tracker_refresh.track();
        mounted.get() && !remembered_cases().is_empty()
    });
    let hotline = info.hotline.clone();
    let company_name = info.company_name.clone();
    let org_name = info.org_name.clone();
    let logo_url = info.logo_url.clone();
    // Someone filling in the form will most likely walk a guide next: fetch
    // its code meanwhile, so "next" shows the guide without a wait.
    let prefetched = StoredValue::new(false);
    let prefetch = move |_| {
        if !prefetched.get_value() {
            prefetched.set_value(true);
            leptos::task::spawn_local(async move {
                // A failure is met again, and explained, when the walk starts.
                let _ = prefetch_guide_walk().await;
            });
        }
    };
    view! {
        <main class="widget" on:focusin=prefetch>
            <header class="widget-head">
                // Decorative: the organisation's name is the text beside it.
                {(!logo_url.is_empty()).then(|| view! { <img class="org-logo" src=logo_url alt="" data-testid="org-logo"/> })}
                <div>
                    <h1>{t.widget_title}</h1>
                    <p class="org">{org_name}</p>
                </div>
                <LanguageLinks path=page_path/>
            </header>
            {move || match stage.get() {
                Stage::Intake => {
                    view! {
                        {(preset.is_some() && preset_known.is_none()).then(|| view! {
                            <p class="warning" role="alert" data-testid="qr-unknown-asset">{t.qr_unknown_asset}</p>
                        })}
                        <IntakeForm info=info.clone() state preset=preset_known/>
                    }
                    .into_any()
                }
                Stage::Guide => {
                    let load = move || {
                        let org_key = org_key.get_value();
                        guide_walk_chunk(GuideWalkProps { org_key, state })
                    };
                    view! { <Deferred load/> }.into_any()
                }
                Stage::Escalated(receipt) => {
                    view! {
                        <section class="done" aria-live="polite">
                            <h2>{t.escalated_title}</h2>
                            <p class="case-number">
                                {t.case_number_label} ": " <strong data-testid="case-number">{receipt.number}</strong>
                            </p>
                            <p>{t.escalated_body}</p>
                            // The promise the walk showed, still live (its code is the walk's, already here).
                            {move || state.offer.with(Option::is_some).then(|| {
                                let load = move || receipt_promise_chunk(ReceiptPromiseProps { state });
                                view! { <Deferred load/> }
                            })}
                            <button type="button" class="secondary" on:click=move |_| start_over()>
                                {t.new_report}
                            </button>
                        </section>
                    }
                        .into_any()
                }
                Stage::SelfResolved => {
                    view! {
                        <section class="done" aria-live="polite">
                            <h2>{t.resolved_title}</h2>
                            <p data-testid="self-fix-recorded">{t.self_fix_recorded}</p>
                            <button type="button" class="secondary" on:click=move |_| start_over()>
                                {t.new_report}
                            </button>
                        </section>
                    }
                        .into_any()
                }
            }}
            {move || {
                let load = move || my_cases_chunk(MyCasesProps { org_key: org_key.get_value(), refresh: tracker_refresh, find });
                (has_cases.get() || find.get()).then(|| view! { <Deferred load/> })
            }}
            {move || (mounted.get() && !find.get()).then(|| view! {
                <p><button type="button" class="link" data-testid="find-case-open" on:click=move |_| find.set(true)>{t.find_case_open}</button></p>
            })}
            <footer class="widget-foot">
                {t.hotline} ": " <a href=format!("tel:{hotline}")>{hotline.clone()}</a> " · " {company_name}
            </footer>
        </main>
    }
}

/// A part of the widget that is not in the first download: its code is a
/// WASM chunk of its own (`cargo leptos build --split`), fetched on first use.
/// If the chunk cannot be fetched the customer is told and can try again;
/// nothing typed is lost (the draft lives in the main part).
#[component]
fn Deferred<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<AnyView, ChunkMissing>> + 'static,
{
    let t = use_texts();
    let attempt = RwSignal::new(0u32);
    view! {
        <Suspense fallback=move || view! { <p class="loading" role="status">{t.loading}</p> }>
            {move || {
                attempt.track();
                let chunk = send_wrapper::SendWrapper::new(load());
                Suspend::new(async move {
                    match chunk.await {
                        Ok(view) => view,
                        Err(ChunkMissing) => view! {
                            <div class="chunk-missing" role="alert">
                                <p class="error">{t.err_unreachable}</p>
                                <button type="button" class="secondary" on:click=move |_| attempt.update(|n| *n += 1)>{t.retry}</button>
                            </div>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// A deferred part's chunk could not be fetched (offline, server down).
struct ChunkMissing;

impl From<leptos::wasm_split::SplitLoaderError> for ChunkMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ChunkMissing
    }
}

/// `$name(props)` renders `$component` from the WASM chunk `$chunk` (in the
/// browser; the server calls it directly), and `$prefetch()` fetches the
/// chunk ahead of need. Components already run untracked.
macro_rules! deferred_component {
    ($name:ident, $prefetch:ident, $chunk:ident, $component:ident, $props:ty) => {
        #[cfg(feature = "hydrate")]
        #[allow(improper_ctypes_definitions)]
        #[leptos::wasm_split::wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible, preload($prefetch))]
        fn $name(props: $props) -> Result<AnyView, ChunkMissing> {
            Ok($component(props).into_any())
        }

        #[cfg(not(feature = "hydrate"))]
        async fn $name(props: $props) -> Result<AnyView, ChunkMissing> {
            Ok($component(props).into_any())
        }

        #[cfg(not(feature = "hydrate"))]
        #[allow(dead_code)]
        async fn $prefetch() -> Result<(), ChunkMissing> {
            Ok(())
        }
    };
}

deferred_component!(guide_walk_chunk, prefetch_guide_walk, widget_guide, GuideWalk, GuideWalkProps);
deferred_component!(receipt_promise_chunk, prefetch_receipt_promise, widget_guide, ReceiptPromise, ReceiptPromiseProps);
deferred_component!(my_cases_chunk, prefetch_my_cases, widget_cases, MyCases, MyCasesProps);
