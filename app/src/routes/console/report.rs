//! The service report (售后服务反馈单): a clean print layout with labels in
//! Chinese and English. Before signing it is a draft the customer signs on
//! the technician's screen; once signed it is the stored text, checked
//! against its hash, with any later corrections listed below it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::names;
use crate::components::photos::SignaturePad;
use crate::components::staff::StaffOnly;
use crate::components::{ErrorText, Loaded};
use crate::errors::AppError;
use crate::functions::visits::{get_report, sign_report};
use crate::i18n::{fill, EN_CONSOLE, ZH_CN_CONSOLE};
use crate::language::use_console_texts;
use crate::models::{ReportPage, ReportView};

#[component]
pub fn ReportRoute() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let bump = RwSignal::new(0u32);
    let report = Resource::new(move || (number(), bump.get()), |(n, _)| get_report(n));
    view! {
        <StaffOnly>
            <Loaded resource=report render=move |page| view! {
                <ReportScreen page number=number() signed=Callback::new(move |_| bump.update(|b| *b += 1))/>
            }/>
        </StaffOnly>
    }
}

#[component]
fn ReportScreen(page: ReportPage, number: String, signed: Callback<()>) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    let back = format!("/console/cases/{number}");
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let body = match (page.signed, page.draft) {
        (Some(s), _) => view! {
            <ReportBody report=s.report/>
            <section class="report-signature" data-testid="report-signed">
                <h2>{bi(ZH_CN_CONSOLE.report_signed_by, EN_CONSOLE.report_signed_by)}</h2>
                <img src=format!("/console/files/{}", s.signature_id) alt=fill(t.ev_report_signed, &s.signer) class="signature"/>
                <p><strong>{s.signer.clone()}</strong> " · " {bi(ZH_CN_CONSOLE.report_signed_at, EN_CONSOLE.report_signed_at)} " " {s.signed_at.clone()}</p>
                <p class="hash">{bi(ZH_CN_CONSOLE.report_hash, EN_CONSOLE.report_hash)} " " <code>{s.hash.clone()}</code></p>
                <p class=if s.verified { "ok" } else { "error" } data-testid="report-verified">
                    {if s.verified { t.report_verified } else { t.report_tampered }}
                </p>
                {(!s.corrections.is_empty()).then(|| view! {
                    <h2>{bi(ZH_CN_CONSOLE.report_corrections, EN_CONSOLE.report_corrections)}</h2>
                    <ul>{s.corrections.into_iter().map(|(at, notes)| view! { <li><time>{at}</time> " " {notes}</li> }).collect_view()}</ul>
                })}
            </section>
        }
        .into_any(),
        (None, Some(draft)) => view! {
            <p class="hint no-print">{t.report_draft_note}</p>
            <ReportBody report=draft/>
            {page.can_sign.then(|| view! { <SignForm number=number.clone() signed/> })}
        }
        .into_any(),
        (None, None) => ().into_any(),
    };
    view! {
        <main class="console report" data-ready=ready data-testid="report">
            <p class="no-print"><a href=back>"← " {number.clone()}</a>
                " " <button type="button" class="secondary" on:click=print>{t.report_print}</button></p>
            {body}
        </main>
    }
    .into_any()
}

/// A label in both languages, as on the printed form.
fn bi(zh: &'static str, en: &'static str) -> String {
    format!("{zh} / {en}")
}

#[component]
fn ReportBody(report: ReportView) -> impl IntoView {
    let t = use_console_texts();
    let row = |zh: &'static str, en: &'static str, value: String| {
        view! { <tr><th scope="row">{bi(zh, en)}</th><td>{value}</td></tr> }
    };
    let charge = names::charge_name(t, report.billing);
    let diagnosis = report.diagnosis.as_ref().map(|d| {
        let mut v = vec![names::cause(t, d.cause).to_string(), names::part(t, d.part).to_string()];
        if let Some(x) = d.exclusion {
            v.push(names::exclusion(t, x).to_string());
        }
        v.join(" · ")
    });
    view! {
        <header class="report-head">
            <h1>{bi(ZH_CN_CONSOLE.report_title, EN_CONSOLE.report_title)}</h1>
            <p class="number">{report.number.clone()}</p>
        </header>
        <table class="report-table">
            <tbody>
                {row(ZH_CN_CONSOLE.report_company, EN_CONSOLE.report_company, report.company.clone())}
                {row(ZH_CN_CONSOLE.report_customer, EN_CONSOLE.report_customer, report.org_name.clone())}
                {row(ZH_CN_CONSOLE.report_site, EN_CONSOLE.report_site, report.site.clone())}
                {row(ZH_CN_CONSOLE.report_asset, EN_CONSOLE.report_asset, report.asset_label.clone())}
                {row(ZH_CN_CONSOLE.report_serial, EN_CONSOLE.report_serial, report.asset_serial.clone())}
                {row(ZH_CN_CONSOLE.report_reporter, EN_CONSOLE.report_reporter, report.reporter_name.clone())}
                {row(ZH_CN_CONSOLE.report_reported, EN_CONSOLE.report_reported, report.reported_at.clone())}
                {row(ZH_CN_CONSOLE.report_symptom, EN_CONSOLE.report_symptom, report.symptom.clone())}
                {row(ZH_CN_CONSOLE.report_technician, EN_CONSOLE.report_technician, report.technician.clone().unwrap_or_default())}
                {row(ZH_CN_CONSOLE.report_arrived, EN_CONSOLE.report_arrived, report.arrived_at.clone().unwrap_or_default())}
                {row(ZH_CN_CONSOLE.report_resolved, EN_CONSOLE.report_resolved, report.resolved_at.clone().unwrap_or_default())}
                {row(ZH_CN_CONSOLE.report_diagnosis, EN_CONSOLE.report_diagnosis, diagnosis.unwrap_or_default())}
                {row(ZH_CN_CONSOLE.report_summary, EN_CONSOLE.report_summary, report.summary.clone())}
                {row(ZH_CN_CONSOLE.report_hours, EN_CONSOLE.report_hours, fill(t.report_minutes, report.minutes_worked))}
                {row(ZH_CN_CONSOLE.report_billing, EN_CONSOLE.report_billing, charge.to_string())}
            </tbody>
        </table>
        <h2>{bi(ZH_CN_CONSOLE.report_work, EN_CONSOLE.report_work)}</h2>
        <ol class="report-work">
            {report.work.into_iter().map(|w| view! {
                <li>
                    <p><time>{w.at}</time> " · " {w.by}</p>
                    <p>{t.f_findings}{t.colon}{w.findings}</p>
                    <p>{t.f_actions}{t.colon}{w.actions}</p>
                    {(!w.photos.is_empty()).then(|| view! {
                        <p class="photos">{w.photos.into_iter().map(|id| view! {
                            <a href=format!("/console/files/{id}") target="_blank" rel="noopener">
                                <img src=format!("/console/files/{id}") alt=fill(t.ev_photos, 1) loading="lazy" class="thumb"/>
                            </a>
                        }).collect_view()}</p>
                    })}
                </li>
            }).collect_view()}
        </ol>
        <h2>{bi(ZH_CN_CONSOLE.report_parts, EN_CONSOLE.report_parts)}</h2>
        <table class="report-parts">
            <tbody>
                {report.parts.into_iter().map(|p| view! { <tr><td>{p.name}</td><td class="qty">{format!("×{}", p.quantity)}</td></tr> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The customer signs on this screen: name, signature, confirm.
#[component]
pub fn SignForm(number: String, signed: Callback<()>) -> impl IntoView {
    let t = use_console_texts();
    let signer = RwSignal::new(String::new());
    let signature = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let missing = RwSignal::new(false);
    let action = Action::new(move |(number, signer, png): &(String, String, String)| {
        let (number, signer, png) = (number.clone(), signer.clone(), png.clone());
        async move { sign_report(number, signer, png).await }
    });
    let pending = action.pending();
    Effect::new(move |_| match action.value().get() {
        Some(Ok(())) => signed.run(()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let number = StoredValue::new(number);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match signature.get_untracked() {
            Some(png) => {
                missing.set(false);
                action.dispatch((number.get_value(), signer.get_untracked(), png));
            }
            None => missing.set(true),
        }
    };
    view! {
        <form class="sign-form no-print" on:submit=submit data-testid="sign-form">
            <h2>{t.report_sign_title}</h2>
            <label for="f-signer">{t.report_signer}</label>
            <input id="f-signer" required maxlength="40" autocomplete="name" on:input=move |ev| signer.set(event_target_value(&ev))/>
            <SignaturePad signature/>
            {move || missing.get().then(|| view! { <p class="error" role="alert">{t.report_sign_empty}</p> })}
            <button type="submit" class="primary" data-testid="sign-submit" disabled=move || pending.get()>{t.report_sign_submit}</button>
            <ErrorText error=error.into()/>
        </form>
    }
    .into_any()
}
