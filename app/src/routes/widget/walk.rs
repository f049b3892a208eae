//! The guided walk: one step at a time, checks run in the browser, and
//! the promise the customer is given before escalating.

use super::*;

/// Loads the guides for the chosen asset once, then walks one entirely in
/// the browser: no request per step.
#[component]
pub(super) fn GuideWalk(org_key: String, state: WidgetState) -> impl IntoView {
    let WidgetState { name, phone, sms, email, asset, symptom, offer, guide, resume, session, steps, error, stage, submission_id } = state;
    // Sending the report lives here, with the buttons that send it (the
    // guide walk's chunk), so the first download needs no server-function
    // client.
    let submit_org = org_key.clone();
    let submit_locale = use_locale();
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
            sms_opt_in: sms.get_untracked(),
            email: email.get_untracked(),
            locale: Some(submit_locale),
        };
        let result = *result;
        async move {
            match submit_case(submission, crate::functions::widget_client::client_id()).await {
                Ok(receipt) => {
                    remember_case(&receipt);
                    error.set(None);
                    stage.set(match result {
                        GuideResult::Escalate => Stage::Escalated(receipt),
                        GuideResult::SelfResolved => Stage::SelfResolved,
                    });
                }
                Err(e) => {
                    let intake_problem = [Field::ReporterName, Field::Phone, Field::Email, Field::Asset, Field::Symptom]
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
            let _ = start_guide(org_key, id, g.id, g.version, crate::functions::widget_client::client_id()).await;
        });
    });
    let load = Action::new(move |asset_id: &i64| {
        let (org_key, asset_id) = (org_key.clone(), *asset_id);
        async move {
            let offer_and_guides = async {
                let mut o = load_guides(org_key, asset_id, crate::functions::widget_client::client_id()).await?;
                if o.guides.is_empty() && !o.guides_url.is_empty() {
                    // The browser's fetch is not Send; this runs in the browser only.
                    o.guides = send_wrapper::SendWrapper::new(fetch_guides(o.guides_url.clone())).await?;
                }
                Ok::<_, AppError>(o)
            };
            match offer_and_guides.await {
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
    // Loads the guides again after a failure (the service was down).
    let reload = move || {
        error.set(None);
        if let Some(a) = asset.get_untracked() {
            load.dispatch(a);
        }
    };
    let restart = move |_| {
        steps.set(Vec::new());
        error.set(None);
        if offer.read_untracked().is_none() && !load.pending().get_untracked() {
            reload();
        }
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
            // A failed load says why (below) and offers to try again.
            if error.with(Option::is_some) && !load.pending().get() {
                return view! {
                    <p><button type="button" class="secondary" data-testid="guides-retry" on:click=move |_| reload()>{t.retry}</button></p>
                }
                .into_any();
            }
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
pub(super) fn PromiseNote(offer: GuideOffer, severity: Severity) -> impl IntoView {
    let t = use_texts();
    offer.terms.clone().map(|terms| promise_view(t, &offer, &terms, severity))
}

pub(super) fn promise_view(
    t: &'static crate::i18n::Texts,
    offer: &GuideOffer,
    terms: &crate::domain::promise::ServiceTerms,
    severity: Severity,
) -> impl IntoView {
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
    // Nobody on duty until then: no call back sooner, whatever the target says.
    let off_duty = offer.off_duty_until.filter(|m| *m > now);
    let response_by = match (p.response_by, off_duty) {
        (Some(by), Some(from)) => Some(by.max(from)),
        (by, _) => by,
    };
    let off_duty = off_duty.map(|m| t.promise_off_duty.replace("{t}", &when(m)));
    let phone = offer.duty_phone.clone();
    let warranty = match p.warranty {
        WarrantyStatus::Covered { until } => Some(("ok", t.warranty_covered.replace("{d}", &until.to_string()))),
        WarrantyStatus::Expired { ended } => Some(("warning", t.warranty_expired.replace("{d}", &ended.to_string()))),
        WarrantyStatus::Unknown => None,
    };
    view! {
        <div class="promise" data-testid="promise">
            <h3>{t.promise_title}</h3>
            <ul>
                {line(t.promise_response, response_by).map(|l| view! { <li>{l}</li> })}
                {line(t.promise_arrival, p.arrival_by).map(|l| view! { <li data-testid="promise-arrival">{l}</li> })}
                {line(t.promise_resolution, p.resolution_by).map(|l| view! { <li>{l}</li> })}
            </ul>
            {off_duty.map(|text| view! { <p class="warning" data-testid="promise-off-duty">{text}</p> })}
            {(!phone.is_empty()).then(|| view! {
                <p data-testid="promise-duty-phone">{t.promise_duty_phone} <a href=format!("tel:{phone}")>{phone.clone()}</a></p>
            })}
            {warranty.map(|(class, text)| view! { <p class=class data-testid="promise-warranty">{text}</p> })}
        </div>
    }
}

/// After escalating: the same promise the walk showed before the customer
/// pressed "send", for the severity the walk ended with.
#[component]
pub(super) fn ReceiptPromise(state: WidgetState) -> impl IntoView {
    let severity = state
        .guide
        .with_untracked(|g| {
            let steps = state.steps.get_untracked();
            g.as_ref().and_then(|g| g.current(&steps)).and_then(|node| match &node.kind {
                NodeKind::Outcome(Outcome::Escalate { severity, .. }) => Some(*severity),
                _ => None,
            })
        })
        .unwrap_or(Severity::General);
    state.offer.get_untracked().map(|offer| view! { <PromiseNote offer severity/> })
}

#[component]
pub(super) fn StillNotFixed(escalate: impl Fn(leptos::ev::MouseEvent) + Copy + 'static, pending: Memo<bool>) -> impl IntoView {
    let t = use_texts();
    view! {
        <button type="button" class="link" on:click=escalate disabled=move || pending.get()>{t.still_not_fixed}</button>
    }
}

/// The guides at `load_guides`' address: a plain GET the browser caches
/// (the address names their versions).
#[cfg(feature = "hydrate")]
async fn fetch_guides(url: String) -> Result<Vec<crate::domain::guide::Guide>, AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or(AppError::Unreachable)?;
    let res: web_sys::Response =
        JsFuture::from(window.fetch_with_str(&url)).await.map_err(|_| AppError::Unreachable)?.dyn_into().map_err(|_| AppError::Internal)?;
    if !res.ok() {
        return Err(if res.status() == 404 { AppError::NotFound } else { AppError::Unavailable });
    }
    let buffer = JsFuture::from(res.array_buffer().map_err(|_| AppError::Internal)?).await.map_err(|_| AppError::Unreachable)?;
    // from_slice, as the server functions decode: the offer's decoder is reused.
    serde_json::from_slice(&js_sys::Uint8Array::new(&buffer).to_vec()).map_err(|_| AppError::Internal)
}

#[cfg(not(feature = "hydrate"))]
async fn fetch_guides(_url: String) -> Result<Vec<crate::domain::guide::Guide>, AppError> {
    Err(AppError::Unreachable)
}
