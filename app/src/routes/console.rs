//! The staff console: sign-in, the queue of escalated cases, the case page.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

use crate::app::use_texts;
use crate::components::{ErrorText, LanguageSwitcher, Loaded};
use crate::domain::guide::{Severity, Tier};
use crate::errors::AppError;
use crate::functions::auth::{current_staff, Login, Logout};
use crate::functions::cases::{get_case, list_queue};
use crate::i18n::Texts;
use crate::models::{CaseDetail, CaseStatus, Role, StaffUser};

#[component]
pub fn LoginPage() -> impl IntoView {
    let t = use_texts();
    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let error = Signal::derive(move || login.value().get().and_then(Result::err));
    view! {
        <main class="page narrow console-login">
            <LanguageSwitcher/>
            <h1>{t.login_title}</h1>
            <ActionForm action=login attr:class="login-form">
                <label for="username">{t.field_username}</label>
                <input id="username" name="username" autocomplete="username" required maxlength="64"/>
                <label for="password">{t.field_password}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <ErrorText error=Signal::derive(move || error.get().map(|e| match e {
                    AppError::Invalid { .. } => AppError::WrongCredentials,
                    other => other,
                }))/>
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { t.logging_in } else { t.login_button }}
                </button>
            </ActionForm>
        </main>
    }
}

/// Renders `children` for a signed-in staff member; otherwise sends the
/// browser to the sign-in page.
#[component]
pub(crate) fn StaffOnly(children: ChildrenFn) -> impl IntoView {
    let t = use_texts();
    let user = Resource::new(|| (), |_| current_staff());
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=move || view! { <p class="loading">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => {
                        view! {
                            <ConsoleHeader user/>
                            {children.read_value()()}
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/console/login"/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{t.error(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConsoleHeader(user: StaffUser) -> impl IntoView {
    let t = use_texts();
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="console-head">
            <a class="brand" href="/console">{t.console_title}</a>
            <nav class="console-nav" aria-label=t.console_title>
                <a href="/console">{t.queue_title}</a>
                <a href="/console/guides">{t.guides_link}</a>
            </nav>
            <span class="who">
                {t.signed_in_as} ": " <strong data-testid="staff-name">{user.display_name}</strong> " (" {role_name(t, user.role)} ")"
            </span>
            <LanguageSwitcher/>
            <ActionForm action=logout attr:class="logout">
                <button type="submit" class="secondary">{t.logout_button}</button>
            </ActionForm>
        </header>
    }
}

#[component]
pub fn QueuePage() -> impl IntoView {
    view! {
        <StaffOnly>
            <Queue/>
        </StaffOnly>
    }
}

#[component]
fn Queue() -> impl IntoView {
    let t = use_texts();
    let rows = Resource::new(|| (), |_| list_queue());
    view! {
        <main class="console">
            <h1>{t.queue_title}</h1>
            <Suspense fallback=move || view! { <p class="loading">{t.loading}</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">{t.queue_empty}</p> }.into_any(),
                        Ok(rows) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="queue">
                                        <thead>
                                            <tr>
                                                <th scope="col">{t.col_number}</th>
                                                <th scope="col">{t.col_org}</th>
                                                <th scope="col">{t.col_asset}</th>
                                                <th scope="col">{t.col_symptom}</th>
                                                <th scope="col">{t.col_reported_at}</th>
                                                <th scope="col">{t.col_status}</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {rows
                                                .into_iter()
                                                .map(|r| {
                                                    view! {
                                                        <tr>
                                                            <td>
                                                                <a href=format!("/console/cases/{}", r.number)>{r.number.clone()}</a>
                                                            </td>
                                                            <td>{r.org_name}</td>
                                                            <td>{r.asset_label}</td>
                                                            <td class="symptom">{r.symptom}</td>
                                                            <td>{r.reported_at}</td>
                                                            <td>{status_name(t, r.status)}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{t.error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

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
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let case = Resource::new(number, get_case);
    view! { <Loaded resource=case render=|case| view! { <CaseDetailView case/> }/> }
}

#[component]
fn CaseDetailView(case: CaseDetail) -> impl IntoView {
    let t = use_texts();
    view! {
        <main class="console case">
            <p><a href="/console">"← " {t.back_to_queue}</a></p>
            <h1>{t.case_title} " " <span data-testid="case-number">{case.number.clone()}</span></h1>
            <p class="status">{status_name(t, case.status)}</p>
            <dl class="facts">
                <dt>{t.case_org}</dt><dd>{case.org_name.clone()}</dd>
                <dt>{t.case_site}</dt><dd>{case.site_name.clone()}</dd>
                <dt>{t.case_asset}</dt><dd>{case.asset_label.clone()}</dd>
                <dt>{t.case_serial}</dt><dd>{case.asset_serial.clone()}</dd>
                <dt>{t.case_reporter}</dt><dd>{case.reporter_name.clone()}</dd>
                <dt>{t.case_phone}</dt><dd><a href=format!("tel:{}", case.phone)>{case.phone.clone()}</a></dd>
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
        </main>
    }
}

fn tier_name(t: &Texts, tier: Tier) -> &'static str {
    match tier {
        Tier::Phone => t.tier_phone,
        Tier::Remote => t.tier_remote,
        Tier::OnSite => t.tier_on_site,
        Tier::ReturnToFactory => t.tier_return_to_factory,
    }
}

fn status_name(t: &Texts, s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Escalated => t.status_escalated,
        CaseStatus::SelfResolved => t.status_self_resolved,
    }
}

fn severity_name(t: &Texts, s: Severity) -> &'static str {
    match s {
        Severity::Emergency => t.severity_emergency,
        Severity::Major => t.severity_major,
        Severity::General => t.severity_general,
    }
}

fn role_name(t: &Texts, r: Role) -> &'static str {
    match r {
        Role::Admin => t.role_admin,
        Role::Supervisor => t.role_supervisor,
        Role::Dispatcher => t.role_dispatcher,
        Role::Technician => t.role_technician,
    }
}
