//! After the fix: the customer confirms, rates, complains or adds
//! information.

use super::*;

/// What the customer can do after escalating: add information or photos,
/// sign the service report, confirm the fix, rate the service, complain.
#[component]
pub(super) fn CustomerFollowUp(
    org: String,
    token: String,
    number: String,
    status: crate::models::CaseStatus,
    state: crate::domain::lifecycle::CaseState,
    done: Callback<()>,
) -> impl IntoView {
    use crate::components::names;
    use crate::components::photos::{PhotoPicker, SignaturePad, Uploader};
    use crate::domain::lifecycle::{next_customer_step, ComplaintCategory, ComplaintGravity, CustomerAction, CustomerStep, Rating};
    use crate::functions::widget::{customer_action, widget_sign_report};
    use crate::models::CaseStatus;

    let t = use_texts();
    let ids = StoredValue::new((org.clone(), token.clone()));
    let error = RwSignal::new(None::<AppError>);
    let sent = RwSignal::new(false);
    let act = Action::new(move |a: &CustomerAction| {
        let (org, token) = ids.get_value();
        let a = a.clone();
        async move { customer_action(org, token, a, crate::functions::widget_client::client_id()).await }
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
    // Sign, confirm, rate: one at a time, as the server takes them.
    let step = next_customer_step(&state);
    let can_sign = step == Some(CustomerStep::Sign);
    let can_confirm = step == Some(CustomerStep::Confirm);
    let can_rate = step == Some(CustomerStep::Rate);
    let can_add = !matches!(status, CaseStatus::Closed | CaseStatus::SelfResolved);
    let can_complain = !state.complaint_open && status != CaseStatus::SelfResolved;

    // Sign-off in the widget.
    let signer = RwSignal::new(String::new());
    let signature = RwSignal::new(None::<String>);
    let sign = Action::new(move |(signer, png): &(String, String)| {
        let (org, token) = ids.get_value();
        let (signer, png) = (signer.clone(), png.clone());
        async move { widget_sign_report(org, token, signer, png, crate::functions::widget_client::client_id()).await }
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
                <details class="sign" data-testid="w-sign" open>
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
