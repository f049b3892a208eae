//! "My cases": the cases this browser reported, their status, quotes and
//! reports.

use super::*;

/// Keeps the case token in the widget's own storage, so the customer can
/// follow the case later without a login or third-party cookies.
/// Cases this browser reported, newest first: (number, token).
pub(super) fn remembered_cases() -> Vec<(String, String)> {
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

#[cfg(feature = "hydrate")]
async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// One promised deadline as it stands: by when (as the promise said it),
/// or met, missed, paused.
fn clock_line(t: &'static crate::i18n::Texts, c: &crate::models::ClockView) -> String {
    use crate::domain::clock::ClockKind;
    let name = crate::components::live::clock_name(t, c.kind);
    if c.stopped_at_ms.is_some() {
        return format!("{name}{}{}", t.colon, if c.breached { t.clock_missed } else { t.clock_met });
    }
    if c.paused.is_some() {
        return format!("{name}{}{}", t.colon, t.clock_paused);
    }
    let Some(label) = &c.deadline_label else { return name.to_string() };
    // "2026-12-03 14:00" → "12-03 14:00"
    let when = label.get(5..).unwrap_or(label);
    let template = match c.kind {
        ClockKind::Response => t.promise_response,
        ClockKind::Arrival => t.promise_arrival,
        _ => t.promise_resolution,
    };
    let line = template.replace("{t}", when);
    if c.breached {
        format!("{line} · {}", t.track_late)
    } else {
        line
    }
}

/// Live status of the cases this browser reported.
#[component]
pub(super) fn MyCases(org_key: String, #[prop(into)] refresh: Signal<u32>, find: RwSignal<bool>) -> impl IntoView {
    let t = use_texts();
    let tick = RwSignal::new(0u32);
    let org = StoredValue::new(org_key);
    // Live: a request held by the server until one of these cases changes
    // (then refresh at once); a slow poll besides, and every 15 s while the
    // server cannot hold requests.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        if let Ok(h) = set_interval_with_handle(move || tick.update(|n| *n += 1), std::time::Duration::from_secs(60)) {
            on_cleanup(move || h.clear());
        }
        let alive = Arc::new(AtomicBool::new(true));
        let flag = alive.clone();
        on_cleanup(move || flag.store(false, Ordering::Relaxed));
        leptos::task::spawn_local(async move {
            while alive.load(Ordering::Relaxed) {
                let tokens: Vec<String> = remembered_cases().into_iter().map(|(_, token)| token).collect();
                let answer = if tokens.is_empty() {
                    Err(AppError::NotFound)
                } else {
                    crate::functions::widget::await_case_change(org.get_value(), tokens, crate::functions::widget_client::client_id()).await
                };
                match answer {
                    Ok(true) => {
                        let _ = tick.try_update(|n| *n += 1);
                    }
                    Ok(false) => {}
                    Err(_) => {
                        sleep_ms(15_000).await;
                        let _ = tick.try_update(|n| *n += 1);
                    }
                }
            }
        });
    });
    // Local-only: nothing to show on the server's render.
    let tracks = LocalResource::new(move || {
        let _ = (tick.get(), refresh.get());
        async move {
            let mut out = Vec::new();
            for (_, token) in remembered_cases() {
                if let Ok(track) = track_case(org.get_value(), token, crate::functions::widget_client::client_id()).await {
                    out.push(track);
                }
            }
            out
        }
    });
    view! {
        {move || find.get().then(|| view! { <FindCase org=org.get_value() found=Callback::new(move |_| tick.update(|n| *n += 1))/> })}
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
                                        <span class="status" data-testid="track-status">{crate::components::names::status_name(t, c.status)}</span>
                                    </p>
                                    <p class="hint">{c.symptom.clone()}</p>
                                    {c.technician.clone().map(|n| view! { <p>{crate::i18n::fill(t.track_technician, n)}</p> })}
                                    {c.appointment.clone().map(|a| view! { <p>{t.track_appointment.replace("{t}", &a)}</p> })}
                                    {c.eta.clone().map(|a| view! { <p class="eta" data-testid="track-eta">{t.track_on_the_way.replace("{t}", &a)}</p> })}
                                    {(!c.clocks.is_empty()).then(|| view! {
                                        <ul class="track-clocks" data-testid="track-clocks">
                                            {c.clocks.iter().map(|k| view! { <li class:late=k.breached>{clock_line(t, k)}</li> }).collect_view()}
                                        </ul>
                                    })}
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
                                            let (text, notes) = crate::components::names::event_text(t, &e.event, &names);
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

/// "Reported on another device?": the case number and the phone it was
/// reported with find it; this browser then follows it like its own.
#[component]
fn FindCase(org: String, found: Callback<()>) -> impl IntoView {
    let t = use_texts();
    let number = RwSignal::new(String::from("FX-"));
    let phone = RwSignal::new(String::new());
    let done = RwSignal::new(false);
    let find = Action::new(move |_: &()| {
        let (org, n, p) = (org.clone(), number.get_untracked(), phone.get_untracked());
        async move {
            let r = crate::functions::widget::find_case(org, n.clone(), p, crate::functions::widget_client::client_id()).await;
            if let Ok(token) = &r {
                // Kept as a reported case is (the number as the server writes it).
                #[cfg(feature = "hydrate")]
                {
                    let number = crate::domain::case_number::parse(&n).map(crate::domain::case_number::format).unwrap_or(n);
                    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                        let _ = storage.set_item(&format!("fixline.case.{number}"), token);
                    }
                    // For this page's life too, where the frame's storage is blocked.
                    host_bridge::HOST_CASES.with(|h| h.borrow_mut().push((number, token.clone())));
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = token;
                done.set(true);
                found.run(());
            }
            r.map(|_| ())
        }
    });
    let pending = find.pending();
    // "Not found" in words that say what to check.
    let error = Signal::derive(move || find.value().get().and_then(Result::err));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        find.dispatch(());
    };
    view! {
        <Show when=move || !done.get()>
            <form class="find-case" data-testid="find-case" on:submit=submit>
                <h2>{t.find_case_open}</h2>
                <label for="find-number">{t.find_case_number}</label>
                <input id="find-number" maxlength="20" required prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev))/>
                <label for="find-phone">{t.field_phone}</label>
                <input id="find-phone" type="tel" maxlength="30" required prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev))/>
                <button type="submit" class="primary" disabled=move || pending.get()>{t.find_case_button}</button>
                {move || match error.get() {
                    Some(AppError::NotFound) => Some(view! { <p class="error" role="alert">{t.find_case_none}</p> }.into_any()),
                    Some(_) => Some(view! { <ErrorText error/> }.into_any()),
                    None => None,
                }}
            </form>
        </Show>
    }
}

/// A pending quote with approve / decline buttons.
#[component]
pub(super) fn QuoteAnswer(org: String, token: String, quote: crate::domain::lifecycle::Quote, done: Callback<()>) -> impl IntoView {
    let t = use_texts();
    let answer = Action::new(move |approved: &bool| {
        let (org, token, approved) = (org.clone(), token.clone(), *approved);
        async move {
            let r = answer_quote(org, token, approved, crate::functions::widget_client::client_id()).await;
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

pub(super) fn remember_case(receipt: &CaseReceipt) {
    #[cfg(feature = "hydrate")]
    {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(&format!("fixline.case.{}", receipt.number), &receipt.access_token);
        }
        // And in this page's memory: where the frame has no storage, the
        // tracker shows the case at once, not after the host page hands
        // its tokens back on the next load.
        host_bridge::HOST_CASES.with(|h| {
            let mut h = h.borrow_mut();
            if !h.iter().any(|(n, _)| *n == receipt.number) {
                h.push((receipt.number.clone(), receipt.access_token.clone()));
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = receipt;
}

/// The draft service report, for the customer to read before signing.
#[component]
pub(super) fn WidgetReport(org: String, token: String) -> impl IntoView {
    use crate::functions::widget::widget_report;
    let t = use_texts();
    let report = LocalResource::new(move || widget_report(org.clone(), token.clone(), crate::functions::widget_client::client_id()));
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
