//! The report form: name, phone, equipment and what is wrong.

use super::*;

#[component]
pub(super) fn IntakeForm(info: WidgetInfo, state: WidgetState, preset: Option<i64>) -> impl IntoView {
    let WidgetState { name, phone, sms, email, asset, symptom, error, stage, .. } = state;
    let t = use_texts();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let problems = intake::validate(&intake::Report {
            reporter_name: &name.get_untracked(),
            phone: &phone.get_untracked(),
            asset_id: asset.get_untracked(),
            symptom: &symptom.get_untracked(),
            email: &email.get_untracked(),
        });
        if problems.is_empty() {
            error.set(None);
            stage.set(Stage::Guide);
        } else {
            // The first field to mend, in the form's order, gets the focus.
            let first = [
                (Field::ReporterName, "reporter-name"),
                (Field::Phone, "phone"),
                (Field::Email, "email"),
                (Field::Asset, "asset"),
                (Field::Symptom, "symptom"),
            ]
            .into_iter()
            .find(|(f, _)| problems.iter().any(|p| p.field == *f));
            error.set(Some(AppError::invalid(problems)));
            if let Some((_, id)) = first {
                focus_id(id);
            }
        }
    };
    let error: Signal<Option<AppError>> = error.into();
    // From a QR label: the equipment is shown, not chosen; the customer can still change it.
    let locked = RwSignal::new(preset.is_some());
    let fixed = preset.and_then(|id| info.assets.iter().find(|a| a.id == id).cloned());
    let assets = StoredValue::new(info.assets.clone());
    // The chosen equipment's warranty, at once (the server worked it out for today).
    let warranty = move || {
        let id = asset.get()?;
        let w = assets.with_value(|list| list.iter().find(|a| a.id == id).map(|a| a.warranty.clone()))?;
        (!w.until.is_empty()).then(|| {
            let (class, text) = if w.covered {
                ("ok", t.warranty_covered.replace("{d}", &w.until))
            } else {
                ("warning", t.warranty_expired.replace("{d}", &w.until))
            };
            view! { <p class=class data-testid="asset-warranty">{text}</p> }
        })
    };
    let invalid = move |f: Field| move || error.get().and_then(|e| e.problem_for(f)).is_some().to_string();
    view! {
        // The form is usable before the widget's code has arrived (see
        // `widget_loader`): `data-loading`/`data-failed` are what the page's
        // loader says in `.pre-status` if "next" is pressed that early.
        // POST: a browser without scripts never puts a phone in a URL.
        <form
            class="intake"
            method="post"
            novalidate
            on:submit=on_submit
            data-loading=t.loading
            data-failed=t.err_unreachable
        >
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
            <label class="check">
                <input type="checkbox" name="sms" bind:checked=sms/>
                {t.field_sms_opt_in}
            </label>

            <label for="email">{t.field_email}</label>
            <input
                id="email"
                name="email"
                type="email"
                inputmode="email"
                autocomplete="email"
                maxlength="254"
                // The example the "not in the expected form" message points to.
                placeholder="name@example.com"
                bind:value=email
                aria-invalid=invalid(Field::Email)
                aria-describedby="email-error"
            />
            <FieldMsg field=Field::Email id="email-error" error/>

            {fixed.map(|a| view! {
                <div class="asset-fixed" data-testid="asset-fixed" hidden=move || !locked.get()>
                    <p class="field-label">{t.field_asset}</p>
                    <p><strong>{a.label}</strong><br/>{t.field_serial}{t.colon}{a.serial}</p>
                    <button type="button" class="link" on:click=move |_| locked.set(false)>{t.change_asset}</button>
                </div>
            })}
            <div hidden=move || locked.get()>
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
            </div>
            <FieldMsg field=Field::Asset id="asset-error" error/>
            {warranty}

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
            <p class="pre-status" role="status" data-testid="pre-status"></p>
            <button type="submit" class="primary">{t.start_guide}</button>
        </form>
    }
}
