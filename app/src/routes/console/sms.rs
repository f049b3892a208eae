//! The customer-SMS account (admins): provider, keys, the approved
//! signature and a template per message, and "send a test" to a number,
//! showing the provider's own answer. The secret comes back masked;
//! leaving it empty keeps it.

use leptos::prelude::*;

use super::notify::TestResult;
use crate::components::staff::StaffOnly;
use crate::components::{ErrorText, FieldMsg, Loaded};
use crate::domain::notify::sms::{SmsMessage, SmsProvider};
use crate::errors::{AppError, Field};
use crate::functions::notify::{load_sms, SaveSms, TestSms};
use crate::i18n::ConsoleTexts;
use crate::language::use_console_texts;
use crate::models::notify::{SmsAccountForm, SmsTemplates, SmsView};

pub fn message_name(t: &ConsoleTexts, m: SmsMessage) -> &'static str {
    match m {
        SmsMessage::Received => t.sms_received,
        SmsMessage::Appointment => t.sms_appointment,
        SmsMessage::OnTheWay => t.sms_on_the_way,
        SmsMessage::Quote => t.sms_quote,
        SmsMessage::Fixed => t.sms_fixed,
        SmsMessage::Test => t.topic_test,
    }
}

fn provider_name(t: &ConsoleTexts, p: SmsProvider) -> &'static str {
    match p {
        SmsProvider::Aliyun => t.sms_aliyun,
        SmsProvider::Tencent => t.sms_tencent,
    }
}

#[component]
pub fn SmsPage() -> impl IntoView {
    let save = ServerAction::<SaveSms>::new();
    // Reloaded after a save that took: a refused one keeps what was typed.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            saved.update(|n| *n += 1);
        }
    });
    let account = Resource::new(move || saved.get(), |_| load_sms());
    view! {
        <StaffOnly>
            <Loaded resource=account render=move |a| view! { <SmsSettings loaded=a save/> }/>
        </StaffOnly>
    }
}

#[component]
fn SmsSettings(loaded: SmsView, save: ServerAction<SaveSms>) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    let a = loaded.account;
    let configured = loaded.configured;
    let provider = RwSignal::new(a.provider);
    let endpoint = RwSignal::new(a.endpoint.clone());
    let key_id = RwSignal::new(a.key_id.clone());
    let secret = RwSignal::new(String::new());
    let sign_name = RwSignal::new(a.sign_name.clone());
    let app_id = RwSignal::new(a.app_id.clone());
    let templates = RwSignal::new(a.templates.clone());
    let active = RwSignal::new(a.active || !configured);
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let described = move |field: Field| move || error.get().and_then(|e: AppError| e.problem_for(field)).map(|_| "true");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = SmsAccountForm {
            provider: provider.get_untracked(),
            endpoint: endpoint.get_untracked(),
            key_id: key_id.get_untracked(),
            secret: secret.get_untracked(),
            sign_name: sign_name.get_untracked(),
            app_id: app_id.get_untracked(),
            templates: templates.get_untracked(),
            active: active.get_untracked(),
        };
        save.dispatch(SaveSms { form });
    };
    let switch_provider = move |ev| {
        let Some(p) = SmsProvider::parse(&event_target_value(&ev)) else { return };
        // The address follows the provider unless someone typed their own.
        if SmsProvider::ALL.iter().any(|o| endpoint.get_untracked() == o.default_endpoint()) {
            endpoint.set(p.default_endpoint());
        }
        provider.set(p);
    };
    let template_input = move |m: SmsMessage| {
        let id = format!("sms-tpl-{}", m.as_str());
        let set = move |v: String| {
            templates.update(|ts: &mut SmsTemplates| match m {
                SmsMessage::Received | SmsMessage::Test => ts.received = v,
                SmsMessage::Appointment => ts.appointment = v,
                SmsMessage::OnTheWay => ts.on_the_way = v,
                SmsMessage::Quote => ts.quote = v,
                SmsMessage::Fixed => ts.fixed = v,
            })
        };
        let vars: Vec<String> = m.params().iter().map(|p| format!("${{{p}}}")).collect();
        view! {
            <label for=id.clone()>{message_name(t, m)} " " <span class="muted">{vars.join(" ")}</span></label>
            <input id=id maxlength="40" autocomplete="off" placeholder=move || if provider.get() == SmsProvider::Aliyun { "SMS_123456789" } else { "1234567" }
                prop:value=move || templates.with(|ts| ts.get(m).to_string()) on:input=move |ev| set(event_target_value(&ev))/>
        }
    };
    let keep = if configured { t.notify_keep } else { "" };
    view! {
        <main class="console sms" data-ready=ready>
            <h1>{t.sms_title}</h1>
            <p class="hint">{t.sms_intro}</p>
            <p class="links"><a href="/console/notify">{t.notify_title}</a> " · " <a href="/console/notify/log">{t.deliveries_link}</a></p>
            <form class="settings-form sms-form" on:submit=submit>
                <label for="sms-provider">{t.sms_provider}</label>
                <select id="sms-provider" on:change=switch_provider>
                    {SmsProvider::ALL.into_iter().map(|p| view! {
                        <option value=p.as_str() selected=move || provider.get() == p>{provider_name(t, p)}</option>
                    }).collect_view()}
                </select>
                <label for="sms-endpoint">{t.field_sms_endpoint}</label>
                <input id="sms-endpoint" type="url" maxlength="500" prop:value=move || endpoint.get()
                    on:input=move |ev| endpoint.set(event_target_value(&ev)) aria-invalid=described(Field::SmsEndpoint)/>
                <FieldMsg field=Field::SmsEndpoint id="sms-endpoint-error" error/>
                <label for="sms-key-id">{t.field_sms_key_id}</label>
                <input id="sms-key-id" maxlength="100" autocomplete="off" prop:value=move || key_id.get()
                    on:input=move |ev| key_id.set(event_target_value(&ev)) aria-invalid=described(Field::SmsKeyId)/>
                <FieldMsg field=Field::SmsKeyId id="sms-key-id-error" error/>
                <label for="sms-secret">{t.sms_secret}</label>
                <input id="sms-secret" type="password" maxlength="200" autocomplete="new-password"
                    placeholder=if configured { format!("{} · {}", a.secret, keep) } else { String::new() }
                    prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))
                    aria-invalid=described(Field::ChannelSecret)/>
                <FieldMsg field=Field::ChannelSecret id="sms-secret-error" error/>
                <label for="sms-sign">{t.field_sms_sign_name}</label>
                <input id="sms-sign" maxlength="12" prop:value=move || sign_name.get()
                    on:input=move |ev| sign_name.set(event_target_value(&ev)) aria-invalid=described(Field::SmsSignName)/>
                <FieldMsg field=Field::SmsSignName id="sms-sign-error" error/>
                <Show when=move || provider.get() == SmsProvider::Tencent>
                    <label for="sms-app">{t.field_sms_app_id}</label>
                    <input id="sms-app" inputmode="numeric" maxlength="20" placeholder="1400000000" prop:value=move || app_id.get()
                        on:input=move |ev| app_id.set(event_target_value(&ev)) aria-invalid=described(Field::SmsAppId)/>
                    <FieldMsg field=Field::SmsAppId id="sms-app-error" error/>
                </Show>
                <fieldset class="templates">
                    <legend>{t.field_sms_template}</legend>
                    <p class="hint">{t.sms_templates_hint}</p>
                    {SmsMessage::TEMPLATED.into_iter().map(template_input).collect_view()}
                    <FieldMsg field=Field::SmsTemplate id="sms-template-error" error/>
                </fieldset>
                <label class="check">
                    <input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev))/>
                    {t.notify_active}
                </label>
                <button type="submit" class="primary" disabled=move || save.pending().get()>{t.sms_save}</button>
                <Show when=move || matches!(save.value().get(), Some(Ok(_)))><span class="ok" role="status">{t.saved}</span></Show>
                <ErrorText error/>
            </form>
            {configured.then(|| view! { <SmsTest/> })}
        </main>
    }
}

/// "Send a test" to a number the admin types: the `received` template.
#[component]
fn SmsTest() -> impl IntoView {
    let t = use_console_texts();
    let test = ServerAction::<TestSms>::new();
    let phone = RwSignal::new(String::new());
    let result = move || test.value().get().map(|r| view! { <TestResult result=r testid="sms-test-result"/> });
    view! {
        <form class="settings-form sms-test" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            test.dispatch(TestSms { phone: phone.get_untracked() });
        }>
            <label for="sms-test-phone">{t.sms_test_phone}</label>
            <input id="sms-test-phone" type="tel" inputmode="tel" maxlength="24" placeholder="13800138000" required
                prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev))/>
            <button type="submit" class="primary" disabled=move || test.pending().get()>
                {move || if test.pending().get() { t.notify_testing } else { t.notify_test }}
            </button>
            {result}
        </form>
    }
}
