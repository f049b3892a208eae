//! The customer widget: intake form, guided troubleshooting walked entirely
//! in the browser, then escalation (or a recorded self-fix).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::app::{use_locale, use_texts};
use crate::components::{ErrorText, FieldMsg, LanguageSwitcher, NotFound};
use crate::domain::guide::{self, Guide, NodeKind, Outcome, WalkStep};
use crate::domain::intake;
use crate::errors::{AppError, Field};
use crate::functions::widget::{load_widget, submit_case};
use crate::i18n::fill;
use crate::models::{CaseReceipt, CaseSubmission, GuideResult, WidgetInfo};

#[component]
pub fn WidgetPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let org_key = move || params.read().get("org_key").unwrap_or_default();
    let info = Resource::new(org_key, load_widget);
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(info) => view! { <Widget org_key=org_key() info/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound body=t.org_not_found_body/> }.into_any(),
                    Err(e) => view! { <main class="widget"><p class="error" role="alert">{t.error(&e)}</p></main> }.into_any(),
                }
            })}
        </Suspense>
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
    let guide = StoredValue::new(guide::first_aid());
    let submission_id = StoredValue::new(None::<String>);

    let submit = Action::new(move |result: &GuideResult| {
        let id = submission_id.get_value().unwrap_or_else(random_id);
        submission_id.set_value(Some(id.clone()));
        let submission = CaseSubmission {
            org_key: org_key.clone(),
            submission_id: id,
            reporter_name: name.get_untracked(),
            phone: phone.get_untracked(),
            asset_id: asset.get_untracked(),
            symptom: symptom.get_untracked(),
            guide_id: guide.with_value(|g| g.id.clone()),
            guide_version: guide.with_value(|g| g.version),
            steps: steps.get_untracked(),
            result: *result,
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

    let start_over = move || {
        name.set(String::new());
        phone.set(String::new());
        asset.set(None);
        symptom.set(String::new());
        steps.set(Vec::new());
        error.set(None);
        submission_id.set_value(None);
        stage.set(Stage::Intake);
    };

    let hotline = info.hotline.clone();
    let company_name = info.company_name.clone();
    let org_name = info.org_name.clone();
    view! {
        <main class="widget">
            <header class="widget-head">
                <div>
                    <h1>{t.widget_title}</h1>
                    <p class="org">{org_name}</p>
                </div>
                <LanguageSwitcher/>
            </header>
            {move || match stage.get() {
                Stage::Intake => {
                    view! { <IntakeForm info=info.clone() name phone asset symptom error stage/> }.into_any()
                }
                Stage::Guide => view! { <GuideWalk guide steps error stage submit/> }.into_any(),
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
            <footer class="widget-foot">
                {t.hotline} ": " <a href=format!("tel:{hotline}")>{hotline.clone()}</a> " · " {company_name}
            </footer>
        </main>
    }
}

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

#[component]
fn GuideWalk(
    guide: StoredValue<Guide>,
    steps: RwSignal<Vec<WalkStep>>,
    error: RwSignal<Option<AppError>>,
    stage: RwSignal<Stage>,
    submit: Action<GuideResult, ()>,
) -> impl IntoView {
    let t = use_texts();
    let locale = use_locale();
    let pending = submit.pending();
    let back = move |_| {
        steps.update(|s| {
            s.pop();
        });
        error.set(None);
    };
    let restart = move |_| {
        steps.set(Vec::new());
        error.set(None);
    };
    let escalate = move |_| {
        submit.dispatch(GuideResult::Escalate);
    };
    let error: Signal<Option<AppError>> = error.into();

    let current = move || {
        let taken = steps.get();
        guide.with_value(|g| g.current(&taken).cloned()).map(|node| (taken.len(), node))
    };

    view! {
        <section class="guide" aria-labelledby="guide-prompt">
            <p class="guide-title">{guide.with_value(|g| g.title.get(locale).to_string())}</p>
            {move || {
                let Some((taken, node)) = current() else { return ().into_any() };
                match node.kind {
                    NodeKind::Step { prompt, choices } => {
                        view! {
                            <p class="step-no">{fill(t.guide_step, taken + 1)}</p>
                            <h2 id="guide-prompt" aria-live="polite">{prompt.get(locale).to_string()}</h2>
                            <div class="choices">
                                {choices
                                    .into_iter()
                                    .map(|c| {
                                        let step = WalkStep { node: node.id.clone(), choice: c.id.clone(), at_ms: 0 };
                                        view! {
                                            <button
                                                type="button"
                                                class="choice"
                                                on:click=move |_| {
                                                    let step = WalkStep { at_ms: browser_now_ms(), ..step.clone() };
                                                    steps.update(|s| s.push(step));
                                                }
                                            >
                                                {c.label.get(locale).to_string()}
                                            </button>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                            <button type="button" class="link" on:click=escalate disabled=move || pending.get()>
                                {t.still_not_fixed}
                            </button>
                        }
                            .into_any()
                    }
                    NodeKind::Outcome(Outcome::Resolved { message }) => {
                        view! {
                            <h2 id="guide-prompt" aria-live="polite">{t.resolved_title}</h2>
                            <p>{message.get(locale).to_string()}</p>
                            <button
                                type="button"
                                class="primary"
                                on:click=move |_| {
                                    submit.dispatch(GuideResult::SelfResolved);
                                }
                                disabled=move || pending.get()
                            >
                                {move || if pending.get() { t.submitting } else { t.record_self_fix }}
                            </button>
                        }
                            .into_any()
                    }
                    NodeKind::Outcome(Outcome::Escalate { message, .. }) => {
                        view! {
                            <h2 id="guide-prompt" aria-live="polite">{t.escalate_title}</h2>
                            <p>{message.get(locale).to_string()}</p>
                            <p class="hint">{t.escalate_body}</p>
                            <button type="button" class="primary" on:click=escalate disabled=move || pending.get()>
                                {move || if pending.get() { t.submitting } else { t.escalate_button }}
                            </button>
                        }
                            .into_any()
                    }
                }
            }}
            <ErrorText error/>
            <div class="guide-nav">
                <button type="button" class="secondary" on:click=back disabled=move || steps.read().is_empty()>
                    {t.back}
                </button>
                <button type="button" class="secondary" on:click=restart>{t.restart}</button>
                <button type="button" class="secondary" on:click=move |_| stage.set(Stage::Intake)>
                    {t.edit_report}
                </button>
            </div>
        </section>
    }
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
fn remember_case(receipt: &CaseReceipt) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(&format!("fixline.case.{}", receipt.number), &receipt.access_token);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = receipt;
}
