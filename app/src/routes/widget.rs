//! The customer widget: intake form, guided troubleshooting walked entirely
//! in the browser, then escalation (or a recorded self-fix).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::app::{use_locale, use_texts};
use crate::components::{ErrorText, FieldMsg, LanguageLinks, NotFound};
use super::checks::{clock_result, clock_skew_seconds};
use crate::domain::guide::{self, Check, CheckResult, Guide, InputKind, NodeKind, Outcome, Severity, WalkStep};
use crate::domain::intake;
use crate::domain::logscan::{choose, Finding};
use crate::errors::{AppError, Field};
use crate::functions::widget::{answer_quote, load_guides, start_guide, submit_case, track_case};
use crate::i18n::fill;
use crate::models::{CaseReceipt, CaseSubmission, GuideOffer, GuideResult, WidgetInfo};

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
            let text = document()
                .query_selector("[data-boot]")
                .ok()
                .flatten()
                .and_then(|e| e.get_attribute("data-boot"))
                .unwrap_or_default();
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
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let asset = RwSignal::new(None::<i64>);
    let symptom = RwSignal::new(String::new());
    let stage = RwSignal::new(Stage::Intake);
    let steps = RwSignal::new(Vec::<WalkStep>::new());
    // Client-side validation errors and server answers share one slot.
    let error = RwSignal::new(None::<AppError>);
    let offer = RwSignal::new(None::<GuideOffer>);
    let guide = RwSignal::new(None::<Guide>);
    // The guide a restored draft was walking, (id, version), until the walk
    // has reloaded the guides and found it again.
    let resume = StoredValue::new(None::<(String, u32)>);
    // (guide id, session id) of the walk under way, for the guide's analytics.
    let session = RwSignal::new(None::<(String, String)>);
    let submission_id = StoredValue::new(None::<String>);

    let draft_key = format!("fixline.draft.{org_key}");
    let page_path = format!("/widget/{org_key}");
    // Read by the walk, the tracker and the beacon, each in closures of its own.
    let org_key = StoredValue::new(org_key);
    // Nothing typed is lost: the report and the walk are kept in this
    // browser until the case is submitted, and restored after a reload.
    // (Effects run only in the browser, after hydration.)
    Effect::new(move |restored: Option<()>| {
        if restored.is_none() {
            if let Some(d) = drafts::load(&draft_key) {
                name.set(d.name);
                phone.set(d.phone);
                asset.set(d.asset_id);
                symptom.set(d.symptom);
                steps.set(d.steps);
                resume.set_value(d.guide);
                session.set(d.session);
                submission_id.set_value(d.submission_id);
                if d.in_guide {
                    stage.set(Stage::Guide);
                }
            }
        }
        let draft = drafts::Draft {
            name: name.get(),
            phone: phone.get(),
            asset_id: asset.get(),
            symptom: symptom.get(),
            guide: guide.with(|g| g.as_ref().map(|g| (g.id.clone(), g.version))).or_else(|| resume.get_value()),
            steps: steps.get(),
            session: session.get(),
            submission_id: submission_id.get_value(),
            in_guide: matches!(stage.get(), Stage::Guide),
        };
        match stage.get() {
            Stage::Escalated(_) | Stage::SelfResolved => drafts::clear(&draft_key),
            _ => drafts::save(&draft_key, &draft),
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

    let start_over = move || {
        name.set(String::new());
        phone.set(String::new());
        asset.set(None);
        symptom.set(String::new());
        steps.set(Vec::new());
        offer.set(None);
        guide.set(None);
        resume.set_value(None);
        session.set(None);
        error.set(None);
        submission_id.set_value(None);
        stage.set(Stage::Intake);
    };

    // Bumped when the host page hands over the case tokens it kept.
    let host_cases = RwSignal::new(0u32);
    let host = host_bridge::connect(&info, name, phone, asset, host_cases);
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
                    view! { <IntakeForm info=info.clone() name phone asset symptom error stage/> }.into_any()
                }
                Stage::Guide => {
                    let load = move || {
                        let org_key = org_key.get_value();
                        guide_walk_chunk(GuideWalkProps { org_key, name, phone, asset, symptom, offer, guide, resume, session, steps, error, stage, submission_id })
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
                let load = move || my_cases_chunk(MyCasesProps { org_key: org_key.get_value(), refresh: tracker_refresh });
                has_cases.get().then(|| view! { <Deferred load/> })
            }}
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
deferred_component!(my_cases_chunk, prefetch_my_cases, widget_cases, MyCases, MyCasesProps);

#[component]
fn IntakeForm(
    info: WidgetInfo,
    name: RwSignal<String>,
    phone: RwSignal<String>,
    asset: RwSignal<Option<i64>>,
    symptom: RwSignal<String>,
    error: RwSignal<Option<AppError>>,
    stage: RwSignal<Stage>,
) -> impl IntoView {
    let t = use_texts();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let problems = intake::validate(&intake::Report {
            reporter_name: &name.get_untracked(),
            phone: &phone.get_untracked(),
            asset_id: asset.get_untracked(),
            symptom: &symptom.get_untracked(),
        });
        if problems.is_empty() {
            error.set(None);
            stage.set(Stage::Guide);
        } else {
            error.set(Some(AppError::invalid(problems)));
        }
    };
    let error: Signal<Option<AppError>> = error.into();
    let invalid = move |f: Field| move || error.get().and_then(|e| e.problem_for(f)).is_some().to_string();
    view! {
        <form class="intake" novalidate on:submit=on_submit>
            <p class="intro">{t.widget_intro}</p>
            <label for="reporter-name">{t.field_reporter_name}</label>
            <input
                id="reporter-name"
                name="reporter_name"
                autocomplete="name"
                maxlength="40"
                bind:value=name
                aria-invalid=invalid(Field::ReporterName)
                aria-describedby="reporter-name-error"
            />
            <FieldMsg field=Field::ReporterName id="reporter-name-error" error/>

            <label for="phone">{t.field_phone}</label>
            <input
                id="phone"
                name="phone"
                type="tel"
                inputmode="tel"
                autocomplete="tel"
                maxlength="24"
                bind:value=phone
                aria-invalid=invalid(Field::Phone)
                aria-describedby="phone-hint phone-error"
            />
            <p class="hint" id="phone-hint">{t.field_phone_hint}</p>
            <FieldMsg field=Field::Phone id="phone-error" error/>

            <label for="asset">{t.field_asset}</label>
            <select
                id="asset"
                name="asset"
                on:change=move |ev| asset.set(event_target_value(&ev).parse().ok())
                prop:value=move || asset.get().map(|a| a.to_string()).unwrap_or_default()
                aria-invalid=invalid(Field::Asset)
                aria-describedby="asset-error"
            >
                <option value="">{t.field_asset_choose}</option>
                {info
                    .assets
                    .into_iter()
                    .map(|a| view! { <option value=a.id.to_string()>{a.label}</option> })
                    .collect_view()}
            </select>
            <FieldMsg field=Field::Asset id="asset-error" error/>

            <label for="symptom">{t.field_symptom}</label>
            <textarea
                id="symptom"
                name="symptom"
                rows="4"
                maxlength="2000"
                placeholder=t.field_symptom_hint
                bind:value=symptom
                aria-invalid=invalid(Field::Symptom)
                aria-describedby="symptom-error"
            ></textarea>
            <FieldMsg field=Field::Symptom id="symptom-error" error/>

            <ErrorText error/>
            <button type="submit" class="primary">{t.start_guide}</button>
        </form>
    }
}

/// Loads the guides for the chosen asset once, then walks one entirely in
/// the browser: no request per step.
#[component]
fn GuideWalk(
    org_key: String,
    name: RwSignal<String>,
    phone: RwSignal<String>,
    asset: RwSignal<Option<i64>>,
    symptom: RwSignal<String>,
    offer: RwSignal<Option<GuideOffer>>,
    guide: RwSignal<Option<Guide>>,
    resume: StoredValue<Option<(String, u32)>>,
    session: RwSignal<Option<(String, String)>>,
    steps: RwSignal<Vec<WalkStep>>,
    error: RwSignal<Option<AppError>>,
    stage: RwSignal<Stage>,
    /// The widget's id for this report, made on first use; photos taken
    /// during the walk are held against it until the case exists.
    submission_id: StoredValue<Option<String>>,
) -> impl IntoView {
    // Sending the report lives here, with the buttons that send it (the
    // guide walk's chunk), so the first download needs no server-function
    // client.
    let submit_org = org_key.clone();
    let submit = Action::new(move |result: &GuideResult| {
        let id = submission_id.get_value().unwrap_or_else(random_id);
        submission_id.set_value(Some(id.clone()));
        let submission = CaseSubmission {
            org_key: submit_org.clone(),
            submission_id: id,
            reporter_name: name.get_untracked(),
            phone: phone.get_untracked(),
            asset_id: asset.get_untracked(),
            symptom: symptom.get_untracked(),
            guide_id: guide.with_untracked(|g| g.as_ref().map(|g| g.id.clone()).unwrap_or_default()),
            guide_version: guide.with_untracked(|g| g.as_ref().map_or(0, |g| g.version)),
            // Without a guide there is no walk to send.
            steps: if guide.with_untracked(Option::is_some) { steps.get_untracked() } else { Vec::new() },
            result: *result,
            session_id: session.get_untracked().map(|(_, id)| id),
        };
        let result = *result;
        async move {
            match submit_case(submission).await {
                Ok(receipt) => {
                    remember_case(&receipt);
                    error.set(None);
                    stage.set(match result {
                        GuideResult::Escalate => Stage::Escalated(receipt),
                        GuideResult::SelfResolved => Stage::SelfResolved,
                    });
                }
                Err(e) => {
                    let intake_problem = [Field::ReporterName, Field::Phone, Field::Asset, Field::Symptom]
                        .into_iter()
                        .any(|f| e.problem_for(f).is_some());
                    if intake_problem {
                        stage.set(Stage::Intake);
                    }
                    error.set(Some(e));
                }
            }
        }
    });

    let t = use_texts();
    let locale = use_locale();
    let pending = submit.pending();
    let photo_org = StoredValue::new(org_key.clone());
    // Each guide the customer starts is one session; counting it is not on
    // the walk's path, so a failure here is ignored.
    let session_org = org_key.clone();
    Effect::new(move |_| {
        let Some(g) = guide.get() else { return };
        if session.with_untracked(|s| s.as_ref().is_some_and(|(id, _)| *id == g.id)) {
            return;
        }
        let id = random_id();
        session.set(Some((g.id.clone(), id.clone())));
        let org_key = session_org.clone();
        leptos::task::spawn_local(async move {
            let _ = start_guide(org_key, id, g.id, g.version).await;
        });
    });
    let load = Action::new(move |asset_id: &i64| {
        let (org_key, asset_id) = (org_key.clone(), *asset_id);
        async move {
            match load_guides(org_key, asset_id).await {
                Ok(mut o) => {
                    o.received_at_ms = browser_now_ms();
                    // Keep the guide being walked (e.g. restored after a reload)
                    // if it is still offered; else the only one, else let the customer pick.
                    let current = guide.with_untracked(|g| g.as_ref().map(|g| (g.id.clone(), g.version))).or_else(|| resume.get_value());
                    resume.set_value(None);
                    let kept = current.as_ref().and_then(|(id, v)| o.guides.iter().find(|g| &g.id == id && g.version == *v).cloned());
                    if kept.is_none() {
                        steps.set(Vec::new());
                    }
                    guide.set(kept.or_else(|| (o.guides.len() == 1).then(|| o.guides[0].clone())));
                    offer.set(Some(o));
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });
    // Load once per asset; coming back to the same asset keeps the walk.
    Effect::new(move |_| {
        if let Some(a) = asset.get() {
            if offer.read_untracked().as_ref().map(|o| o.asset_id) != Some(a) {
                offer.set(None);
                load.dispatch(a);
            }
        }
    });

    let back = move |_| {
        if steps.read().is_empty() {
            if offer.read().as_ref().is_some_and(|o| o.guides.len() > 1) {
                guide.set(None);
            }
        } else {
            steps.update(|s| {
                s.pop();
            });
        }
        error.set(None);
    };
    let restart = move |_| {
        steps.set(Vec::new());
        error.set(None);
    };
    let escalate = move |_| {
        submit.dispatch(GuideResult::Escalate);
    };
    let advance = move |node: String, choice: String, value: Option<String>| {
        steps.update(|s| s.push(WalkStep { node, choice, value, photo: None, at_ms: browser_now_ms() }));
    };
    let error_signal: Signal<Option<AppError>> = error.into();
    // Keyboard and screen-reader users land on each new step's prompt
    // (the button they pressed is gone from the page).
    Effect::new(move |first: Option<()>| {
        steps.track();
        guide.track();
        offer.track();
        if first.is_some() {
            focus_prompt();
        }
    });

    let body = move || {
        let Some(offer_now) = offer.get() else {
            return view! { <p class="loading" role="status">{t.loading}</p> }.into_any();
        };
        let Some(g) = guide.get() else {
            if offer_now.guides.is_empty() {
                return view! {
                    <h2 id="guide-prompt" tabindex="-1">{t.escalate_title}</h2>
                    <p>{t.no_guide}</p>
                    <PromiseNote offer=offer_now.clone() severity=Severity::General/>
                    <button type="button" class="primary" on:click=escalate disabled=move || pending.get()>
                        {move || if pending.get() { t.submitting } else { t.escalate_button }}
                    </button>
                }
                .into_any();
            }
            return view! {
                <h2 id="guide-prompt" tabindex="-1">{t.pick_guide}</h2>
                <div class="choices">
                    {offer_now
                        .guides
                        .into_iter()
                        .map(|g| {
                            let title = g.title.get(locale).to_string();
                            view! { <button type="button" class="choice" on:click=move |_| guide.set(Some(g.clone()))>{title}</button> }
                        })
                        .collect_view()}
                </div>
            }
            .into_any();
        };
        let taken = steps.get();
        let Some(node) = g.current(&taken).cloned() else { return ().into_any() };
        let step_no = view! { <p class="step-no">{fill(t.guide_step, taken.len() + 1)}</p> };
        let node_id = node.id.clone();
        match node.kind {
            NodeKind::Question { prompt, choices } => view! {
                {step_no}
                <h2 id="guide-prompt" tabindex="-1">{prompt.get(locale).to_string()}</h2>
                <div class="choices">
                    {choices
                        .into_iter()
                        .map(|c| {
                            let (node, id) = (node_id.clone(), c.id.clone());
                            view! {
                                <button type="button" class="choice" on:click=move |_| advance(node.clone(), id.clone(), None)>
                                    {c.label.get(locale).to_string()}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <StillNotFixed escalate pending/>
            }
            .into_any(),
            NodeKind::Instruction { text, image, .. } => {
                let (yes_node, no_node) = (node_id.clone(), node_id.clone());
                // Pictures are served by Fixline itself (public/), never a third party.
                let image = image.filter(|src| src.starts_with('/') && !src.starts_with("//"));
                view! {
                    {step_no}
                    <h2 id="guide-prompt" tabindex="-1">{text.get(locale).to_string()}</h2>
                    {image.map(|src| view! { <img class="step-image" src=src alt="" loading="lazy"/> })}
                    <div class="choices">
                        <button type="button" class="choice" on:click=move |_| advance(yes_node.clone(), "yes".into(), None)>{t.helped_yes}</button>
                        <button type="button" class="choice" on:click=move |_| advance(no_node.clone(), "no".into(), None)>{t.helped_no}</button>
                    </div>
                    <StillNotFixed escalate pending/>
                }
                .into_any()
            }
            NodeKind::Collect { prompt, input, optional, .. } => {
                let value = RwSignal::new(String::new());
                let missing = RwSignal::new(false);
                // A photo is uploaded as soon as it is chosen; the step keeps its id.
                let photo = RwSignal::new(None::<i64>);
                let uploading = RwSignal::new(false);
                let upload_error = RwSignal::new(None::<AppError>);
                let node_for_next = node_id.clone();
                let next = move |ev: SubmitEvent| {
                    ev.prevent_default();
                    if uploading.get_untracked() {
                        return;
                    }
                    let v = value.get_untracked().trim().to_string();
                    if v.is_empty() && !optional {
                        missing.set(true);
                        return;
                    }
                    let step = WalkStep {
                        node: node_for_next.clone(),
                        choice: "next".into(),
                        value: (!v.is_empty()).then_some(v),
                        photo: photo.get_untracked(),
                        at_ms: browser_now_ms(),
                    };
                    steps.update(|s| s.push(step));
                };
                #[allow(unused_variables)]
                let on_photo = move |ev: leptos::ev::Event| {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        let Some(file) = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                            .and_then(|i| i.files())
                            .and_then(|f| f.get(0))
                        else {
                            return;
                        };
                        let submission = submission_id.get_value().unwrap_or_else(random_id);
                        submission_id.set_value(Some(submission.clone()));
                        let who = crate::components::photos::Uploader::Walk { org: photo_org.get_value(), submission };
                        value.set(String::new());
                        photo.set(None);
                        upload_error.set(None);
                        missing.set(false);
                        uploading.set(true);
                        leptos::task::spawn_local(async move {
                            match crate::components::photos::upload(&who, &file).await {
                                Ok(id) => {
                                    photo.set(Some(id));
                                    value.set(file.name().chars().take(100).collect());
                                }
                                Err(e) => upload_error.set(Some(e)),
                            }
                            uploading.set(false);
                        });
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = (ev, submission_id, photo_org);
                };
                let input_view = match input {
                    InputKind::Number => view! { <input id="collect" type="text" inputmode="decimal" maxlength="40" bind:value=value aria-describedby="collect-error"/> }.into_any(),
                    InputKind::Text => view! { <input id="collect" type="text" maxlength="200" bind:value=value aria-describedby="collect-error"/> }.into_any(),
                    InputKind::Photo => view! {
                        <input id="collect" type="file" accept="image/jpeg,image/png,image/webp" capture="environment"
                            on:change=on_photo aria-describedby="collect-status collect-error" data-testid="walk-photo"/>
                        <p class="hint" id="collect-status" role="status" data-testid="walk-photo-status">
                            {move || if uploading.get() {
                                t.uploading.to_string()
                            } else if photo.get().is_some() {
                                fill(t.photo_added, 1)
                            } else {
                                String::new()
                            }}
                        </p>
                        <ErrorText error=upload_error.into()/>
                    }.into_any(),
                };
                view! {
                    {step_no}
                    <form class="collect" novalidate on:submit=next>
                        <label for="collect" id="guide-prompt" tabindex="-1">{prompt.get(locale).to_string()}</label>
                        {input_view}
                        <p class="field-error" id="collect-error" aria-live="polite">{move || missing.get().then_some(t.err_required)}</p>
                        <button type="submit" class="primary" disabled=move || uploading.get()>{t.next}</button>
                    </form>
                    <StillNotFixed escalate pending/>
                }
                .into_any()
            }
            NodeKind::Check { prompt, check, branches, .. } => {
                // Values the customer entered earlier, by key (device address, error code).
                let values: Vec<(String, String)> = taken
                    .iter()
                    .filter_map(|s| match (&g.node(&s.node)?.kind, &s.value) {
                        (NodeKind::Collect { key, .. }, Some(v)) => Some((key.clone(), v.clone())),
                        _ => None,
                    })
                    .collect();
                view! {
                    {step_no}
                    <h2 id="guide-prompt" tabindex="-1">{prompt.get(locale).to_string()}</h2>
                    <CheckRunner
                        node=node_id
                        check
                        branches
                        server_now_ms=offer_now.server_now_ms
                        received_at_ms=offer_now.received_at_ms
                        values
                        advance
                    />
                    <StillNotFixed escalate pending/>
                }
                .into_any()
            }
            NodeKind::Outcome(Outcome::Resolved { message }) => view! {
                <h2 id="guide-prompt" tabindex="-1">{t.resolved_title}</h2>
                <p>{message.get(locale).to_string()}</p>
                <button type="button" class="primary" on:click=move |_| { submit.dispatch(GuideResult::SelfResolved); } disabled=move || pending.get()>
                    {move || if pending.get() { t.submitting } else { t.record_self_fix }}
                </button>
            }
            .into_any(),
            NodeKind::Outcome(Outcome::Escalate { message, severity, .. }) => view! {
                <h2 id="guide-prompt" tabindex="-1">{t.escalate_title}</h2>
                <p>{message.get(locale).to_string()}</p>
                <p class="hint">{t.escalate_body}</p>
                {offer.get_untracked().map(|o| view! { <PromiseNote offer=o severity=severity/> })}
                <button type="button" class="primary" on:click=escalate disabled=move || pending.get()>
                    {move || if pending.get() { t.submitting } else { t.escalate_button }}
                </button>
            }
            .into_any(),
        }
    };

    view! {
        <section class="guide" aria-labelledby="guide-prompt">
            <p class="guide-title">{move || guide.read().as_ref().map(|g| g.title.get(locale).to_string())}</p>
            <div aria-live="polite">{body}</div>
            <ErrorText error=error_signal/>
            <div class="guide-nav">
                <button type="button" class="secondary" on:click=back disabled=move || steps.read().is_empty() && guide.read().is_none()>
                    {t.back}
                </button>
                <button type="button" class="secondary" on:click=restart>{t.restart}</button>
                <button type="button" class="secondary" on:click=move |_| stage.set(Stage::Intake)>{t.edit_report}</button>
            </div>
        </section>
    }
}

/// Warranty and the service-level promise in plain words, computed here
/// in the browser with the server's clock rules and the org's calendar.
#[component]
fn PromiseNote(offer: GuideOffer, severity: Severity) -> impl IntoView {
    let t = use_texts();
    offer.terms.clone().map(|terms| promise_view(t, &offer, &terms, severity))
}

fn promise_view(t: &'static crate::i18n::Texts, offer: &GuideOffer, terms: &crate::domain::promise::ServiceTerms, severity: Severity) -> impl IntoView {
    use crate::domain::promise::{local_time, promise, Day, WarrantyStatus};
    // The server's "now", carried forward by the browser's clock since the offer arrived.
    let now_ms = if offer.received_at_ms > 0 { offer.server_now_ms + browser_now_ms() - offer.received_at_ms } else { offer.server_now_ms };
    let now = now_ms.div_euclid(60_000);
    let p = promise(terms, severity, now);
    let when = |utc: i64| {
        let (day, hm) = local_time(&terms.working, utc, now);
        match day {
            Day::Today => t.day_today.replace("{t}", &hm),
            Day::Tomorrow => t.day_tomorrow.replace("{t}", &hm),
            Day::On(d) => t.day_on.replace("{d}", &d.to_string()).replace("{t}", &hm),
        }
    };
    let line = |template: &str, at: Option<i64>| at.map(|m| template.replace("{t}", &when(m)));
    let warranty = match p.warranty {
        WarrantyStatus::Covered { until } => Some(("ok", t.warranty_covered.replace("{d}", &until.to_string()))),
        WarrantyStatus::Expired { ended } => Some(("warning", t.warranty_expired.replace("{d}", &ended.to_string()))),
        WarrantyStatus::Unknown => None,
    };
    view! {
        <div class="promise" data-testid="promise">
            <h3>{t.promise_title}</h3>
            <ul>
                {line(t.promise_response, p.response_by).map(|l| view! { <li>{l}</li> })}
                {line(t.promise_arrival, p.arrival_by).map(|l| view! { <li data-testid="promise-arrival">{l}</li> })}
                {line(t.promise_resolution, p.resolution_by).map(|l| view! { <li>{l}</li> })}
            </ul>
            {warranty.map(|(class, text)| view! { <p class=class data-testid="promise-warranty">{text}</p> })}
        </div>
    }
}

#[component]
fn StillNotFixed(escalate: impl Fn(leptos::ev::MouseEvent) + Copy + 'static, pending: Memo<bool>) -> impl IntoView {
    let t = use_texts();
    view! {
        <button type="button" class="link" on:click=escalate disabled=move || pending.get()>{t.still_not_fixed}</button>
    }
}

/// Runs one check on request and advances the walk with its finding.
#[component]
fn CheckRunner(
    node: String,
    check: Check,
    branches: Vec<guide::Branch>,
    server_now_ms: i64,
    received_at_ms: i64,
    values: Vec<(String, String)>,
    advance: impl Fn(String, String, Option<String>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let t = use_texts();
    let locale = use_locale();
    let progress = RwSignal::new(None::<f64>);
    let check = StoredValue::new(check);
    let branches = StoredValue::new(branches);
    let node = StoredValue::new(node);
    let values = StoredValue::new(values);
    let finish = move |finding: Finding, summary: String| {
        progress.set(None);
        let choice = branches.with_value(|b| choose(b, &finding));
        advance(node.get_value(), choice, Some(summary));
    };
    let run = move |file: Option<FileHandle>| {
        let check = check.get_value();
        progress.set(Some(0.0));
        leptos::task::spawn_local(async move {
            let value_of = |key: &str| values.with_value(|v| v.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
            match check {
                Check::Clock { max_skew_seconds } => {
                    let skew = clock_skew_seconds(server_now_ms, received_at_ms);
                    finish(Finding::Result(clock_result(skew, max_skew_seconds)), format!("clock skew {skew} s"));
                }
                Check::ErrorCode { code_key, codes } => {
                    let code = value_of(&code_key).unwrap_or_default();
                    let meaning = codes.iter().find(|c| c.code.eq_ignore_ascii_case(code.trim())).map(|c| c.meaning.get(locale).to_string());
                    let summary = match meaning {
                        Some(m) => format!("{code}: {m}"),
                        None => format!("{code}: ?"),
                    };
                    finish(Finding::Code(code), summary);
                }
                #[cfg(feature = "hydrate")]
                Check::Reachability { address_key } => {
                    let address = value_of(&address_key).unwrap_or_default();
                    let (result, summary) = super::checks::reachability(&address).await;
                    finish(Finding::Result(result), summary);
                }
                #[cfg(feature = "hydrate")]
                Check::Connection { max_latency_ms, min_kbps } => {
                    let (result, summary) = super::checks::connection(max_latency_ms, min_kbps).await;
                    finish(Finding::Result(result), summary);
                }
                #[cfg(feature = "hydrate")]
                Check::LogAnalysis { patterns } => match file {
                    Some(FileHandle(file)) => match super::checks::scan_file(file, &patterns, |p| progress.set(Some(p))).await {
                        Ok(counts) => {
                            let summary = super::checks::pattern_summary(&patterns, &counts, locale);
                            finish(Finding::Patterns(counts), summary);
                        }
                        Err(e) => finish(Finding::Result(CheckResult::Unknown), e),
                    },
                    None => finish(Finding::Result(CheckResult::Unknown), "no log file".into()),
                },
                // Only the browser build runs the network and file checks; the
                // server renders this component but never runs a check.
                #[allow(unreachable_patterns)]
                _ => {
                    let _ = file;
                    finish(Finding::Result(CheckResult::Unknown), "not run".into())
                }
            }
        });
    };
    let is_log = check.with_value(|c| matches!(c, Check::LogAnalysis { .. }));
    view! {
        {move || match progress.get() {
            Some(p) => view! {
                <p role="status">{t.check_running} " " {format!("{:.0}%", p * 100.0)}</p>
                <progress max="100" value=format!("{:.0}", p * 100.0)></progress>
            }.into_any(),
            None if is_log => view! {
                <label for="log-file">{t.pick_log_file}</label>
                <input id="log-file" type="file" accept=".log,.txt,.csv,text/plain"
                    on:change=move |ev| run(file_from_event(&ev))/>
                <p class="hint">{t.log_stays_local}</p>
                <button type="button" class="link" on:click=move |_| run(None)>{t.skip_check}</button>
            }.into_any(),
            None => view! { <button type="button" class="primary" on:click=move |_| run(None)>{t.run_check}</button> }.into_any(),
        }}
    }
}

/// A picked file; wraps the browser type so the component compiles on the server.
struct FileHandle(#[cfg(feature = "hydrate")] web_sys::File, #[cfg(not(feature = "hydrate"))] ());

fn file_from_event(ev: &leptos::ev::Event) -> Option<FileHandle> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let input: web_sys::HtmlInputElement = ev.target()?.dyn_into().ok()?;
        input.files()?.get(0).map(FileHandle)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}


/// The browser's JSON, through js-sys: reading and writing the few small
/// things the main part keeps (the boot data, drafts) this way keeps serde
/// out of the first download.
#[cfg(feature = "hydrate")]
mod js {
    use js_sys::{Array, Object, Reflect, JSON};
    use wasm_bindgen::JsValue;

    use crate::models::{AssetOption, WidgetInfo};

    pub fn parse(text: &str) -> Option<JsValue> {
        JSON::parse(text).ok().filter(|v| v.is_object())
    }

    pub fn stringify(value: &JsValue) -> Option<String> {
        JSON::stringify(value).ok()?.as_string()
    }

    pub fn get(v: &JsValue, key: &str) -> JsValue {
        Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    pub fn string(v: &JsValue, key: &str) -> Option<String> {
        get(v, key).as_string()
    }

    /// A whole number (ids, times in ms); anything else is absent.
    pub fn integer(v: &JsValue, key: &str) -> Option<i64> {
        get(v, key).as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15).map(|n| n as i64)
    }

    pub fn list(v: &JsValue, key: &str) -> Vec<JsValue> {
        let a = get(v, key);
        if Array::is_array(&a) { Array::from(&a).iter().collect() } else { Vec::new() }
    }

    pub fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
        let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
    }

    pub fn optional(value: Option<impl Into<JsValue>>) -> JsValue {
        value.map_or(JsValue::NULL, Into::into)
    }

    pub fn array(items: impl IntoIterator<Item = JsValue>) -> JsValue {
        items.into_iter().collect::<Array>().into()
    }

    pub fn widget_info(text: &str) -> Option<WidgetInfo> {
        let v = parse(text)?;
        Some(WidgetInfo {
            org_name: string(&v, "org_name")?,
            company_name: string(&v, "company_name")?,
            hotline: string(&v, "hotline")?,
            assets: list(&v, "assets")
                .iter()
                .filter_map(|a| Some(AssetOption { id: integer(a, "id")?, label: string(a, "label")?, serial: string(a, "serial").unwrap_or_default() }))
                .collect(),
            allowed_origins: list(&v, "allowed_origins").iter().filter_map(JsValue::as_string).collect(),
            theme_color: string(&v, "theme_color").unwrap_or_default(),
            logo_url: string(&v, "logo_url").unwrap_or_default(),
        })
    }
}

mod drafts {
    use crate::domain::guide::WalkStep;

    /// The guide itself is not kept, only which one (id, version): the walk
    /// loads the guides again anyway. Stored as JSON in the shape serde would
    /// write; a draft from before `guide_ref` has its guide under `guide`,
    /// which is ignored (the report is kept, the walk starts again).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Draft {
        pub name: String,
        pub phone: String,
        pub asset_id: Option<i64>,
        pub symptom: String,
        pub guide: Option<(String, u32)>,
        pub steps: Vec<WalkStep>,
        pub session: Option<(String, String)>,
        pub submission_id: Option<String>,
        pub in_guide: bool,
    }

    #[cfg(feature = "hydrate")]
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    #[cfg(feature = "hydrate")]
    fn decode(text: &str) -> Option<Draft> {
        use super::js::{get, integer, list, parse, string};
        use js_sys::Array;
        let pair = |v: wasm_bindgen::JsValue| -> Option<(wasm_bindgen::JsValue, wasm_bindgen::JsValue)> {
            Array::is_array(&v).then(|| (Array::from(&v).get(0), Array::from(&v).get(1)))
        };
        let v = parse(text)?;
        Some(Draft {
            name: string(&v, "name").unwrap_or_default(),
            phone: string(&v, "phone").unwrap_or_default(),
            asset_id: integer(&v, "asset_id"),
            symptom: string(&v, "symptom").unwrap_or_default(),
            guide: pair(get(&v, "guide_ref")).and_then(|(id, version)| {
                Some((id.as_string()?, version.as_f64().filter(|n| *n >= 0.0 && *n <= u32::MAX as f64)? as u32))
            }),
            steps: list(&v, "steps")
                .iter()
                .filter_map(|s| {
                    Some(WalkStep {
                        node: string(s, "node")?,
                        choice: string(s, "choice")?,
                        value: string(s, "value"),
                        photo: integer(s, "photo"),
                        at_ms: integer(s, "at_ms").unwrap_or(0),
                    })
                })
                .collect(),
            session: pair(get(&v, "session")).and_then(|(g, s)| Some((g.as_string()?, s.as_string()?))),
            submission_id: string(&v, "submission_id"),
            in_guide: get(&v, "in_guide").as_bool().unwrap_or(false),
        })
    }

    #[cfg(feature = "hydrate")]
    fn encode(d: &Draft) -> Option<String> {
        use super::js::{array, optional, set, stringify};
        use js_sys::Object;
        use wasm_bindgen::JsValue;
        let o = Object::new();
        set(&o, "name", d.name.as_str());
        set(&o, "phone", d.phone.as_str());
        set(&o, "asset_id", optional(d.asset_id.map(|a| a as f64)));
        set(&o, "symptom", d.symptom.as_str());
        set(&o, "guide_ref", optional(d.guide.as_ref().map(|(id, v)| array([JsValue::from_str(id), JsValue::from(*v)]))));
        set(
            &o,
            "steps",
            array(d.steps.iter().map(|s| {
                let step = Object::new();
                set(&step, "node", s.node.as_str());
                set(&step, "choice", s.choice.as_str());
                if let Some(value) = &s.value {
                    set(&step, "value", value.as_str());
                }
                if let Some(photo) = s.photo {
                    set(&step, "photo", photo as f64);
                }
                set(&step, "at_ms", s.at_ms as f64);
                step.into()
            })),
        );
        set(&o, "session", optional(d.session.as_ref().map(|(g, s)| array([JsValue::from_str(g), JsValue::from_str(s)]))));
        set(&o, "submission_id", optional(d.submission_id.as_deref()));
        set(&o, "in_guide", d.in_guide);
        stringify(&o.into())
    }

    pub fn load(key: &str) -> Option<Draft> {
        #[cfg(feature = "hydrate")]
        return decode(&storage()?.get_item(key).ok()??);
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = key;
            None
        }
    }

    pub fn save(key: &str, draft: &Draft) {
        #[cfg(feature = "hydrate")]
        if let (Some(s), Some(json)) = (storage(), encode(draft)) {
            let _ = s.set_item(key, &json);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (key, draft);
    }

    pub fn clear(key: &str) {
        #[cfg(feature = "hydrate")]
        if let Some(s) = storage() {
            let _ = s.remove_item(key);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = key;
    }
}

fn focus_prompt() {
    #[cfg(feature = "hydrate")]
    request_animation_frame(|| {
        use wasm_bindgen::JsCast;
        if let Some(el) = document().get_element_by_id("guide-prompt").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
}

fn send_progress_beacon(org_key: &str, session_id: &str, last_node: &str, steps: usize) {
    #[cfg(feature = "hydrate")]
    {
        let body = js_sys::Object::new();
        js::set(&body, "org_key", org_key);
        js::set(&body, "session_id", session_id);
        js::set(&body, "last_node", last_node);
        js::set(&body, "steps", steps as f64);
        if let (Some(w), Some(body)) = (web_sys::window(), js::stringify(&body.into())) {
            let _ = w.navigator().send_beacon_with_opt_str("/api/guide_progress", Some(&body));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (org_key, session_id, last_node, steps);
}

fn browser_now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// 128 random bits from the browser's CSPRNG, hex-encoded.
fn random_id() -> String {
    #[allow(unused_mut)]
    let mut bytes = [0u8; 16];
    #[cfg(feature = "hydrate")]
    {
        let filled = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
        if !filled {
            for b in bytes.iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps the case token in the widget's own storage, so the customer can
/// follow the case later without a login or third-party cookies.
/// Cases this browser reported, newest first: (number, token).
fn remembered_cases() -> Vec<(String, String)> {
    #[cfg(feature = "hydrate")]
    {
        // The frame's own storage (absent when the browser blocks
        // third-party storage), then what the host page kept for us.
        let mut out: Vec<(String, String)> = match web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            Some(storage) => (0..storage.length().unwrap_or(0))
                .filter_map(|i| storage.key(i).ok().flatten())
                .filter_map(|k| Some((k.strip_prefix("fixline.case.")?.to_string(), storage.get_item(&k).ok().flatten()?)))
                .collect(),
            None => Vec::new(),
        };
        host_bridge::HOST_CASES.with(|h| {
            for (n, t) in h.borrow().iter() {
                if !out.iter().any(|(m, _)| m == n) {
                    out.push((n.clone(), t.clone()));
                }
            }
        });
        out.sort_by(|a, b| b.0.cmp(&a.0));
        out.truncate(5);
        out
    }
    #[cfg(not(feature = "hydrate"))]
    vec![]
}

/// Live status of the cases this browser reported (polled while open).
#[component]
fn MyCases(org_key: String, #[prop(into)] refresh: Signal<u32>) -> impl IntoView {
    let t = use_texts();
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Ok(h) = set_interval_with_handle(move || tick.update(|n| *n += 1), std::time::Duration::from_secs(15)) {
            on_cleanup(move || h.clear());
        }
    });
    let org = StoredValue::new(org_key);
    // Local-only: nothing to show on the server's render.
    let tracks = LocalResource::new(move || {
        let _ = (tick.get(), refresh.get());
        async move {
            let mut out = Vec::new();
            for (_, token) in remembered_cases() {
                if let Ok(track) = track_case(org.get_value(), token).await {
                    out.push(track);
                }
            }
            out
        }
    });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let tracks = tracks.await;
                (!tracks.is_empty()).then(|| view! {
                    <section class="my-cases" aria-labelledby="my-cases-h" data-testid="my-cases">
                        <h2 id="my-cases-h">{t.my_cases_title}</h2>
                        {tracks.into_iter().map(|c| {
                            let names = c.names.clone();
                            view! {
                                <article class="track" data-case=c.number.clone()>
                                    <p>
                                        <strong>{c.number.clone()}</strong> " · "
                                        <span class="status" data-testid="track-status">{super::console::status_name(t, c.status)}</span>
                                    </p>
                                    <p class="hint">{c.symptom.clone()}</p>
                                    {c.technician.clone().map(|n| view! { <p>{crate::i18n::fill(t.track_technician, n)}</p> })}
                                    {c.appointment.clone().map(|a| view! { <p>{t.track_appointment.replace("{t}", &a)}</p> })}
                                    {c.quote.clone().filter(|q| q.approved.is_none()).map(|q| {
                                        let token = remembered_cases().into_iter().find(|(n, _)| *n == c.number).map(|(_, tok)| tok).unwrap_or_default();
                                        view! { <QuoteAnswer org=org.get_value() token quote=q done=Callback::new(move |_| tick.update(|n| *n += 1))/> }
                                    })}
                                    {
                                        let token = remembered_cases().into_iter().find(|(n, _)| *n == c.number).map(|(_, tok)| tok).unwrap_or_default();
                                        view! {
                                            <CustomerFollowUp org=org.get_value() token number=c.number.clone() status=c.status state=c.state.clone()
                                                done=Callback::new(move |_| tick.update(|n| *n += 1))/>
                                        }
                                    }
                                    <ol class="timeline">
                                        {c.updates.into_iter().map(|e| {
                                            let (text, notes) = super::console::event_text(t, &e.event, &names);
                                            view! {
                                                <li data-kind=e.event.kind()>
                                                    <time>{e.at}</time> " " {text}
                                                    {notes.map(|n| view! { <br/><span class="notes">{n}</span> })}
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ol>
                                </article>
                            }
                        }).collect_view()}
                    </section>
                })
            })}
        </Suspense>
    }
    .into_any()
}

/// A pending quote with approve / decline buttons.
#[component]
fn QuoteAnswer(org: String, token: String, quote: crate::domain::lifecycle::Quote, done: Callback<()>) -> impl IntoView {
    let t = use_texts();
    let answer = Action::new(move |approved: &bool| {
        let (org, token, approved) = (org.clone(), token.clone(), *approved);
        async move {
            let r = answer_quote(org, token, approved).await;
            if r.is_ok() {
                done.run(());
            }
            r
        }
    });
    let pending = answer.pending();
    let error = Signal::derive(move || answer.value().get().and_then(Result::err));
    view! {
        <div class="quote" data-testid="quote">
            <p><strong>{t.quote_ask.replace("{n}", &t.money(quote.amount_cents))}</strong></p>
            <p class="hint">{quote.description}</p>
            <button type="button" class="primary" disabled=move || pending.get() on:click=move |_| { answer.dispatch(true); }>{t.quote_approve}</button>
            <button type="button" class="secondary" disabled=move || pending.get() on:click=move |_| { answer.dispatch(false); }>{t.quote_decline}</button>
            <ErrorText error/>
        </div>
    }
    .into_any()
}

fn remember_case(receipt: &CaseReceipt) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(&format!("fixline.case.{}", receipt.number), &receipt.access_token);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = receipt;
}

/// The draft service report, for the customer to read before signing.
#[component]
fn WidgetReport(org: String, token: String) -> impl IntoView {
    use crate::functions::widget::widget_report;
    let t = use_texts();
    let report = LocalResource::new(move || widget_report(org.clone(), token.clone()));
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t.loading}</p> }>
            {move || Suspend::new(async move {
                report.await.ok().and_then(|page| page.draft).map(|r| view! {
                    <dl class="report-summary" data-testid="w-report">
                        <dt>{t.report_symptom}</dt><dd>{r.symptom.clone()}</dd>
                        <dt>{t.report_technician}</dt><dd>{r.technician.clone().unwrap_or_default()}</dd>
                        <dt>{t.report_arrived}</dt><dd>{r.arrived_at.clone().unwrap_or_default()}</dd>
                        <dt>{t.report_resolved}</dt><dd>{r.resolved_at.clone().unwrap_or_default()}</dd>
                        <dt>{t.report_summary}</dt><dd>{r.summary.clone()}</dd>
                        <dt>{t.report_work}</dt>
                        <dd>{r.work.iter().map(|w| w.actions.clone()).collect::<Vec<_>>().join("；")}</dd>
                        <dt>{t.report_parts}</dt>
                        <dd>{r.parts.iter().map(|p| format!("{} ×{}", p.name, p.quantity)).collect::<Vec<_>>().join("，")}</dd>
                        <dt>{t.report_hours}</dt><dd>{crate::i18n::fill(t.report_minutes, r.minutes_worked)}</dd>
                    </dl>
                })
            })}
        </Suspense>
    }
    .into_any()
}

/// What the customer can do after escalating: add information or photos,
/// sign the service report, confirm the fix, rate the service, complain.
#[component]
fn CustomerFollowUp(
    org: String,
    token: String,
    number: String,
    status: crate::models::CaseStatus,
    state: crate::domain::lifecycle::CaseState,
    done: Callback<()>,
) -> impl IntoView {
    use crate::components::photos::{PhotoPicker, SignaturePad, Uploader};
    use crate::domain::lifecycle::{ComplaintCategory, ComplaintGravity, CustomerAction, Rating};
    use crate::functions::widget::{customer_action, widget_sign_report};
    use crate::models::CaseStatus;
    use super::names;

    let t = use_texts();
    let ids = StoredValue::new((org.clone(), token.clone()));
    let error = RwSignal::new(None::<AppError>);
    let sent = RwSignal::new(false);
    let act = Action::new(move |a: &CustomerAction| {
        let (org, token) = ids.get_value();
        let a = a.clone();
        async move { customer_action(org, token, a).await }
    });
    let pending = act.pending();
    Effect::new(move |_| match act.value().get() {
        Some(Ok(())) => {
            error.set(None);
            sent.set(true);
            done.run(());
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let fixed_done = matches!(status, CaseStatus::Resolved | CaseStatus::Closed);
    let can_sign = fixed_done && state.visited && !state.signed;
    let can_confirm = fixed_done && state.confirmed.is_none();
    let can_rate = fixed_done && !state.rated;
    let can_add = !matches!(status, CaseStatus::Closed | CaseStatus::SelfResolved);
    let can_complain = !state.complaint_open && status != CaseStatus::SelfResolved;

    // Sign-off in the widget.
    let signer = RwSignal::new(String::new());
    let signature = RwSignal::new(None::<String>);
    let sign = Action::new(move |(signer, png): &(String, String)| {
        let (org, token) = ids.get_value();
        let (signer, png) = (signer.clone(), png.clone());
        async move { widget_sign_report(org, token, signer, png).await }
    });
    Effect::new(move |_| match sign.value().get() {
        Some(Ok(())) => done.run(()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let sign_missing = RwSignal::new(false);
    let submit_sign = move |ev: SubmitEvent| {
        ev.prevent_default();
        match signature.get_untracked() {
            Some(png) => {
                sign_missing.set(false);
                sign.dispatch((signer.get_untracked(), png));
            }
            None => sign_missing.set(true),
        }
    };

    let not_fixed = RwSignal::new(false);
    let comment = RwSignal::new(String::new());
    let levels = [RwSignal::new(0u8), RwSignal::new(0u8), RwSignal::new(0u8), RwSignal::new(0u8)];
    let rate_comment = RwSignal::new(String::new());
    let info = RwSignal::new(String::new());
    let photos = RwSignal::new(Vec::<i64>::new());
    let category = RwSignal::new(String::new());
    let gravity = RwSignal::new(String::new());
    let complaint = RwSignal::new(String::new());
    let key = number.replace('-', "");
    let radio_group = move |i: usize, label: &'static str| {
        let name = format!("rate-{key}-{i}");
        view! {
            <fieldset class="rating">
                <legend>{label}</legend>
                {(1..=4u8).map(|v| {
                    let name = name.clone();
                    view! {
                        <label class="choice">
                            <input type="radio" name=name value=v.to_string() required on:change=move |_| levels[i].set(v)/>
                            {names::level(t, v)}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        }
    };

    view! {
        <div class="customer-follow-up" data-testid="customer-follow-up">
            {can_sign.then(|| view! {
                <details class="sign" data-testid="w-sign">
                    <summary>{t.w_sign_title}</summary>
                    <WidgetReport org=org.clone() token=token.clone()/>
                    <form on:submit=submit_sign>
                        <label for=format!("w-signer-{number}")>{t.report_signer}</label>
                        <input id=format!("w-signer-{number}") required maxlength="40" autocomplete="name"
                            on:input=move |ev| signer.set(event_target_value(&ev))/>
                        <SignaturePad signature/>
                        {move || sign_missing.get().then(|| view! { <p class="error" role="alert">{t.report_sign_empty}</p> })}
                        <button type="submit" class="primary" disabled=move || sign.pending().get()>{t.report_sign_submit}</button>
                    </form>
                </details>
            })}
            {can_confirm.then(|| view! {
                <div class="confirm" data-testid="w-confirm">
                    <p><strong>{t.w_fixed_q}</strong></p>
                    <button type="button" class="primary" disabled=move || pending.get()
                        on:click=move |_| { act.dispatch(CustomerAction::Confirm { fixed: true, comment: String::new() }); }>{t.w_fixed_yes}</button>
                    <button type="button" class="secondary" on:click=move |_| not_fixed.set(true)>{t.w_fixed_no}</button>
                    {move || not_fixed.get().then(|| view! {
                        <form on:submit=move |ev: SubmitEvent| {
                            ev.prevent_default();
                            act.dispatch(CustomerAction::Confirm { fixed: false, comment: comment.get_untracked() });
                        }>
                            <label for="w-not-fixed">{t.w_not_fixed_comment}</label>
                            <textarea id="w-not-fixed" required maxlength="2000" on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                            <button type="submit" class="primary" disabled=move || pending.get()>{t.w_add_info_submit}</button>
                        </form>
                    })}
                </div>
            })}
            {can_rate.then(|| view! {
                <form class="rate" data-testid="w-rate" on:submit=move |ev: SubmitEvent| {
                    ev.prevent_default();
                    let rating = Rating {
                        attitude: levels[0].get_untracked(),
                        skill: levels[1].get_untracked(),
                        punctuality: levels[2].get_untracked(),
                        promise_kept: levels[3].get_untracked(),
                        comment: rate_comment.get_untracked(),
                    };
                    act.dispatch(CustomerAction::Rate { rating });
                }>
                    <h3>{t.w_rate_title}</h3>
                    {radio_group(0, t.r_attitude)}
                    {radio_group(1, t.r_skill)}
                    {radio_group(2, t.r_punctuality)}
                    {radio_group(3, t.r_promise)}
                    <label for=format!("w-rate-comment-{number}")>{t.w_comment}</label>
                    <textarea id=format!("w-rate-comment-{number}") maxlength="2000" on:input=move |ev| rate_comment.set(event_target_value(&ev))></textarea>
                    <button type="submit" class="primary" disabled=move || pending.get()>{t.w_rate_submit}</button>
                </form>
            })}
            {can_add.then(|| view! {
                <details class="add-info" data-testid="w-add-info">
                    <summary>{t.w_add_info_title}</summary>
                    <form on:submit=move |ev: SubmitEvent| {
                        ev.prevent_default();
                        act.dispatch(CustomerAction::AddInfo { text: info.get_untracked(), photos: photos.get_untracked() });
                    }>
                        <label for=format!("w-info-{number}")>{t.f_notes}</label>
                        <textarea id=format!("w-info-{number}") maxlength="2000" on:input=move |ev| info.set(event_target_value(&ev))></textarea>
                        <PhotoPicker uploader=Uploader::Customer { case: number.clone(), org: org.clone(), token: token.clone() } photos id=format!("w-photos-{number}")/>
                        <button type="submit" class="primary" disabled=move || pending.get()>{t.w_add_info_submit}</button>
                    </form>
                </details>
            })}
            {can_complain.then(|| view! {
                <details class="complain" data-testid="w-complain">
                    <summary>{t.w_complain_title}</summary>
                    <form on:submit=move |ev: SubmitEvent| {
                        ev.prevent_default();
                        if let (Some(category), Some(gravity)) = (names::parse::<ComplaintCategory>(&category.get_untracked()), names::parse::<ComplaintGravity>(&gravity.get_untracked())) {
                            act.dispatch(CustomerAction::Complain { category, gravity, text: complaint.get_untracked() });
                        }
                    }>
                        <p class="hint">{t.w_complain_note}</p>
                        <label for=format!("w-cat-{number}")>{t.f_complaint_category}</label>
                        <select id=format!("w-cat-{number}") required on:change=move |ev| category.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {[ComplaintCategory::Quality, ComplaintCategory::Human, ComplaintCategory::Other].into_iter()
                                .map(|c| view! { <option value=names::key(c)>{names::complaint(t, c)}</option> }).collect_view()}
                        </select>
                        <label for=format!("w-grav-{number}")>{t.f_gravity}</label>
                        <select id=format!("w-grav-{number}") required on:change=move |ev| gravity.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {[ComplaintGravity::Minor, ComplaintGravity::Serious, ComplaintGravity::Major].into_iter()
                                .map(|g| view! { <option value=names::key(g)>{names::gravity(t, g)}</option> }).collect_view()}
                        </select>
                        <label for=format!("w-complaint-{number}")>{t.f_complaint_text}</label>
                        <textarea id=format!("w-complaint-{number}") required maxlength="2000" on:input=move |ev| complaint.set(event_target_value(&ev))></textarea>
                        <button type="submit" class="primary" disabled=move || pending.get()>{t.w_complain_submit}</button>
                    </form>
                </details>
            })}
            <p role="status" class="hint">{move || sent.get().then_some(t.w_thanks)}</p>
            <ErrorText error=error.into()/>
        </div>
    }
    .into_any()
}

/// Talks to `embed.js` on the host page when the widget runs in its iframe
/// (`?embed=1&host=ORIGIN`): says when it is ready, its height, Escape to
/// close, and cases escalated or fixed; takes a prefill of name, phone and
/// serial. Messages go only to the host origin, and only if the
/// organisation lists it (the same list as the route's `frame-ancestors`).
mod host_bridge {
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

    pub fn connect(
        info: &WidgetInfo,
        name: RwSignal<String>,
        phone: RwSignal<String>,
        asset: RwSignal<Option<i64>>,
        host_cases: RwSignal<u32>,
    ) -> Host {
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
                listen(host_origin.clone(), name, phone, asset, assets.clone(), host_cases);
                post(&host_origin, "ready", None, None);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (info, name, phone, asset, host_cases);
        host
    }

    #[cfg(feature = "hydrate")]
    fn listen(
        origin: String,
        name: RwSignal<String>,
        phone: RwSignal<String>,
        asset: RwSignal<Option<i64>>,
        assets: Vec<crate::models::AssetOption>,
        host_cases: RwSignal<u32>,
    ) {
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
                    let valid_token = |t: &str| (16..=100).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
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
}
