//! The case page: what happened, the clocks, the walk, and the actions.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::case_actions::CaseActions;
use crate::components::live::{clock_name, duration_text, use_live_updates, use_ticking_now, ClockBadge};
use crate::components::names::{self, billing_name, event_text, severity_name, status_name, tier_name};
use crate::components::staff::{SignedIn, StaffOnly};
use crate::components::{ready_marker, NotFound};
use crate::domain::lifecycle::CaseEvent;
use crate::domain::promise::WarrantyStatus;
use crate::domain::warranty::BillingClass;
use crate::errors::AppError;
use crate::functions::cases::get_case;
use crate::i18n::fill;
use crate::language::use_console_texts;
use crate::models::{CaseDetail, StaffUser};

#[component]
pub fn CasePage() -> impl IntoView {
    view! {
        <StaffOnly>
            <CaseView/>
        </StaffOnly>
    }
}

#[component]
fn CaseView() -> impl IntoView {
    let t = use_console_texts();
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let bump = RwSignal::new(0u32);
    let case = Resource::new(move || (number(), bump.get()), |(n, _)| get_case(n));
    // Someone else changed this case: reload it, unless this person is in
    // the middle of filling a form (then offer the reload).
    let editing = RwSignal::new(false);
    let stale = RwSignal::new(false);
    let changed_here = move || {
        if editing.get_untracked() {
            stale.set(true);
        } else {
            bump.update(|b| *b += 1);
        }
    };
    let _live = use_live_updates(move |changed| {
        if changed == number() {
            changed_here();
        } else if changed == "*" {
            // After (re)connecting: catch up on what was not streamed,
            // re-rendering only if the case did change.
            let n = number();
            leptos::task::spawn_local(async move {
                // Compare with what is (or is about to be) on screen.
                let known = case.await.ok().map(|c| (c.status, c.timeline.len()));
                if let Ok(fresh) = get_case(n).await {
                    if Some((fresh.status, fresh.timeline.len())) != known {
                        changed_here();
                    }
                }
            });
        }
    });
    let refresh = Callback::new(move |_: ()| {
        stale.set(false);
        editing.set(false);
        bump.update(|b| *b += 1);
    });
    // Who is looking decides the actions offered. Awaited with the case, not
    // read as it stands: after a click from the queue both are fetched, and
    // the case could arrive first (and the actions never appear).
    let signed_in = use_context::<SignedIn>().map(|s| s.0);
    view! {
        <Show when=move || stale.get()>
            <p class="notice" role="status">
                {t.err_conflict} " "
                <button type="button" class="secondary" on:click=move |_| refresh.run(())>{t.submit_action}</button>
            </p>
        </Show>
        <Transition fallback=move || view! { <p class="loading" role="status">{t.loading}</p> }>
            {move || Suspend::new(async move {
                let me = match signed_in {
                    Some(user) => user.await.ok().flatten(),
                    None => None,
                };
                match case.await {
                    Ok(case) => view! { <CaseDetailView case me refresh editing/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{t.error(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CaseDetailView(case: CaseDetail, me: Option<StaffUser>, refresh: Callback<()>, editing: RwSignal<bool>) -> impl IntoView {
    let t = use_console_texts();
    let now = use_ticking_now(case.server_now_ms);
    let names: Vec<(i64, String)> = case.responders.iter().chain(case.technicians.iter()).map(|s| (s.id, s.name.clone())).collect();
    let timeline = case.timeline.clone();
    let ready = ready_marker();
    view! {
        <main class="console case" data-ready=ready>
            <p><a href="/console">"← " {t.back_to_queue}</a></p>
            <h1>{t.case_title} " " <span data-testid="case-number">{case.number.clone()}</span></h1>
            <p class="case-status">
                <span class="status" data-testid="case-status">{status_name(t, case.status)}</span>
                " "
                <span class=format!("severity {}", case.severity.as_str()) data-testid="case-severity">{severity_name(t, case.severity)}</span>
            </p>
            <dl class="facts">
                <dt>{t.owner_label}</dt><dd data-testid="case-owner">{case.owner.clone().unwrap_or_else(|| t.nobody.to_string())}</dd>
                <dt>{t.technician_label}</dt><dd data-testid="case-technician">{case.technician.clone().unwrap_or_else(|| t.nobody.to_string())}</dd>
                {case.appointment.clone().map(|a| view! { <dt>{t.appointment_label}</dt><dd>{a}</dd> })}
                {case.eta.clone().map(|a| view! { <dt>{t.ev_on_the_way}</dt><dd data-testid="case-eta">{a}</dd> })}
                <dt>{t.case_warranty}</dt>
                <dd data-testid="case-warranty">{match case.warranty {
                    WarrantyStatus::Covered { until } => t.warranty_until.replace("{d}", &until.to_string()),
                    WarrantyStatus::Expired { ended } => t.warranty_ended.replace("{d}", &ended.to_string()),
                    WarrantyStatus::Unknown => t.warranty_unknown.to_string(),
                }}</dd>
                <dt>{t.case_billing}</dt>
                <dd data-testid="case-billing" class=if case.billing == BillingClass::A { "warning" } else { "" }>{billing_name(t, case.billing)}</dd>
                {case.state.diagnosis.clone().map(|d| view! {
                    <dt>{t.report_diagnosis}</dt>
                    <dd data-testid="case-diagnosis">
                        {names::cause(t, d.cause)} " · " {names::part(t, d.part)}
                        {d.exclusion.map(|x| format!(" · {}", names::exclusion(t, x)))}
                    </dd>
                })}
                {case.quote.clone().map(|q| view! {
                    <dt>{t.quote_label}</dt>
                    <dd data-testid="case-quote">
                        {t.money(q.amount_cents)} " · " {q.description.clone()} " · "
                        {match q.approved { None => t.quote_pending, Some(true) => t.quote_approved, Some(false) => t.quote_declined }}
                    </dd>
                })}
                {case.repeat.clone().map(|r| view! {
                    <dt>{t.case_repeat}</dt>
                    <dd data-testid="case-repeat" class="warning">
                        {fill(t.repeat_count, r.occurrence)}
                        {r.replace_unit.then(|| format!(" · {}", t.replace_unit))}
                        {r.return_visit_of.map(|n| format!(" · {}", fill(t.return_visit, n)))}
                    </dd>
                })}
            </dl>
            <section aria-labelledby="clocks-h">
                <h2 id="clocks-h">{t.clocks_title}</h2>
                <ul class="clocks">
                    {case.clocks.iter().cloned().map(|c| {
                        let deadline = c.deadline_label.clone();
                        let target = c.target_minutes;
                        let working = c.working_time;
                        view! {
                            <li>
                                <strong>{clock_name(t, c.kind)}</strong>
                                <ClockBadge clock=c now/>
                                <span class="hint">
                                    {format!(" {}{}{}", t.clock_target, t.colon, duration_text(target * 60_000))}
                                    {working.then(|| format!(" · {}", t.clock_working_time))}
                                    {deadline.map(|d| format!(" · {} {}", t.clock_deadline, d))}
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            {me.map(|_| view! { <CaseActions case=case.clone() refresh editing/> })}
            <dl class="facts">
                <dt>{t.case_org}</dt><dd>{case.org_name.clone()}</dd>
                <dt>{t.case_site}</dt><dd>{case.site_name.clone()}</dd>
                <dt>{t.case_asset}</dt><dd>{case.asset_label.clone()}</dd>
                <dt>{t.case_serial}</dt><dd>{case.asset_serial.clone()}</dd>
                <dt>{t.case_reporter}</dt><dd>{case.reporter_name.clone()}</dd>
                <dt>{t.case_phone}</dt><dd><a href=format!("tel:{}", case.phone)>{case.phone.clone()}</a></dd>
                {(!case.email.is_empty()).then(|| view! {
                    <dt>{t.mail_address}</dt><dd><a href=format!("mailto:{}", case.email)>{case.email.clone()}</a></dd>
                })}
                <dt>{t.case_reported_at}</dt><dd>{case.reported_at.clone()}</dd>
            </dl>
            <h2>{t.case_symptom}</h2>
            <p class="symptom" data-testid="case-symptom">{case.symptom.clone()}</p>
            <h2>{t.case_steps}</h2>
            {(!case.guide_title.is_empty()).then(|| view! { <p class="hint">{case.guide_title.clone()}</p> })}
            {if case.transcript.is_empty() {
                view! { <p>{t.case_no_steps}</p> }.into_any()
            } else {
                view! {
                    <ol class="transcript" data-testid="transcript">
                        {case
                            .transcript
                            .into_iter()
                            .map(|l| {
                                view! {
                                    <li>
                                        <span class="q">{l.prompt}</span> " → " <strong>{l.answer}</strong>
                                        {l.seconds.map(|s| view! { <span class="hint">{format!(" ({s} s)")}</span> })}
                                        {l.value.map(|v| view! { <br/><span class="finding">{v}</span> })}
                                        {l.photo.map(|id| view! {
                                            <br/>
                                            <a href=format!("/console/files/{id}") target="_blank" rel="noopener" data-testid="transcript-photo">
                                                <img src=format!("/console/files/{id}") alt=fill(t.ev_photos, 1) loading="lazy" class="thumb"/>
                                            </a>
                                        })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            {case.guide_outcome.map(|o| view! {
                <h2>{t.case_guide_result}</h2>
                <p>{o.message}</p>
                {(o.severity.is_some() || o.technician_hint.is_some()).then(|| view! {
                    <dl class="facts">
                        {o.severity.map(|s| view! { <dt>{t.case_severity}</dt><dd>{severity_name(t, s)}</dd> })}
                        {o.tier.map(|tier| view! { <dt>{t.case_tier}</dt><dd>{tier_name(t, tier)}</dd> })}
                        {o.technician_hint.map(|h| view! { <dt>{t.case_technician_hint}</dt><dd>{h}</dd> })}
                    </dl>
                })}
            })}
            <section aria-labelledby="timeline-h">
                <h2 id="timeline-h">{t.timeline_title}</h2>
                <ol class="timeline" data-testid="timeline">
                    {timeline.into_iter().map(|e| {
                        let (text, notes) = event_text(t, &e.event, &names);
                        let photos = match &e.event {
                            CaseEvent::WorkRecorded { photos, .. } | CaseEvent::InfoAdded { photos, .. } => photos.clone(),
                            _ => vec![],
                        };
                        view! {
                            <li data-kind=e.event.kind()>
                                <time>{e.at}</time> " " <strong>{e.actor}</strong> " · " {text}
                                {notes.map(|n| view! { <br/><span class="notes">{n}</span> })}
                                {(!photos.is_empty()).then(|| view! {
                                    <span class="photos">{photos.into_iter().map(|id| view! {
                                        <a href=format!("/console/files/{id}") target="_blank" rel="noopener">
                                            <img src=format!("/console/files/{id}") alt=fill(t.ev_photos, 1) loading="lazy" class="thumb"/>
                                        </a>
                                    }).collect_view()}</span>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
        </main>
    }
    .into_any()
}
