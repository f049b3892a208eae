//! The delivery log: every message, its channel, case, status and tries,
//! filtered by case, channel and status, and the texts and e-mails to
//! customers; failed ones can be sent again.

use leptos::prelude::*;

use super::notify::{kind_name, topic_name};
use crate::components::staff::StaffOnly;
use crate::components::{ErrorText, Loaded};
use crate::functions::notify::{list_customer_mail, list_deliveries, list_sms, RetryCustomerMail, RetryDelivery, RetrySms};
use crate::i18n::ConsoleTexts;
use crate::language::use_console_texts;
use crate::models::notify::{Delivery, DeliveryFilter, MailDelivery, SmsDelivery};

fn status_name(t: &ConsoleTexts, s: &str) -> &'static str {
    match s {
        "sent" => t.delivery_sent,
        "failed" => t.delivery_failed,
        _ => t.delivery_pending,
    }
}

/// `12-03 09:30`, China time (UTC+8), the same on server and browser.
fn when(ms: i64) -> String {
    let m = crate::domain::calendar::ms_to_local_input(ms, 480);
    m.get(5..).unwrap_or_default().replace('T', " ")
}

#[component]
pub fn NotifyLogPage() -> impl IntoView {
    let filter = RwSignal::new(DeliveryFilter::default());
    let retry = ServerAction::<RetryDelivery>::new();
    let list = Resource::new(move || (filter.get(), retry.version().get()), |(f, _)| list_deliveries(f));
    let t = use_console_texts();
    let number = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let s = status.get_untracked();
        filter.set(DeliveryFilter { case_number: number.get_untracked(), channel_id: None, status: (!s.is_empty()).then_some(s) });
    };
    view! {
        <StaffOnly>
            <main class="console notify-log">
                <h1>{t.deliveries_title}</h1>
                <p class="links"><a href="/console/notify">{t.notify_title}</a></p>
                <form class="filters" on:submit=apply role="search">
                    <label for="log-case">{t.deliveries_case}</label>
                    <input id="log-case" maxlength="20" placeholder="FX-000001" prop:value=move || number.get()
                        on:input=move |ev| number.set(event_target_value(&ev))/>
                    <label for="log-status">{t.deliveries_status}</label>
                    <select id="log-status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">{t.deliveries_any}</option>
                        {["pending", "sent", "failed"].into_iter().map(|s| view! { <option value=s>{status_name(t, s)}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="secondary">{t.deliveries_filter}</button>
                </form>
                <ErrorText error=Signal::derive(move || retry.value().get().and_then(Result::err))/>
                <Loaded resource=list render=move |rows| view! { <LogTable rows retry/> }/>
                <SmsLog number=Signal::derive(move || filter.with(|f| f.case_number.clone()))/>
                <MailLog number=Signal::derive(move || filter.with(|f| f.case_number.clone()))/>
            </main>
        </StaffOnly>
    }
}

#[component]
fn LogTable(rows: Vec<Delivery>, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    if rows.is_empty() {
        return view! { <p data-ready=ready>{t.deliveries_none}</p> }.into_any();
    }
    view! {
        <div class="table-wrap" data-ready=ready>
            <table class="deliveries" data-testid="deliveries">
                <thead><tr>
                    <th>{t.deliveries_time}</th><th>{t.deliveries_channel}</th><th>{t.notify_topics}</th>
                    <th>{t.deliveries_case}</th><th>{t.deliveries_status}</th><th>{t.deliveries_attempts}</th><th>{t.deliveries_answer}</th><th></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|d| {
                        let id = d.id;
                        let failed = d.status == "failed" && d.topic != crate::domain::notify::Topic::Test;
                        let next = (d.status == "pending").then(|| crate::i18n::fill(t.deliveries_next, when(d.next_at_ms)));
                        view! {
                            <tr data-status=d.status.clone() data-topic=d.topic.as_str()>
                                <td>{when(d.sent_at_ms.unwrap_or(d.created_at_ms))}</td>
                                <td>{d.channel_name.clone()} <span class="muted">" · " {kind_name(t, d.kind)}</span></td>
                                <td>{topic_name(t, d.topic)}</td>
                                <td>{d.case_number.clone().map(|n| view! { <a href=format!("/console/cases/{n}")>{n.clone()}</a> })}</td>
                                <td class=format!("status-{}", d.status)>{status_name(t, &d.status)}</td>
                                <td>{d.attempts}</td>
                                <td><code>{d.last_error.clone()}</code> {next}</td>
                                <td>{failed.then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| { retry.dispatch(RetryDelivery { id }); }>{t.deliveries_retry}</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The texts to customers, of the case filtered for (or all).
#[component]
fn SmsLog(number: Signal<String>) -> impl IntoView {
    let t = use_console_texts();
    let retry = ServerAction::<RetrySms>::new();
    let texts = Resource::new(move || (number.get(), retry.version().get()), |(n, _)| list_sms(n));
    view! {
        <h2>{t.sms_log_title}</h2>
        <ErrorText error=Signal::derive(move || retry.value().get().and_then(Result::err))/>
        <Loaded resource=texts render=move |rows| view! { <SmsTable rows retry/> }/>
    }
}

#[component]
fn SmsTable(rows: Vec<SmsDelivery>, retry: ServerAction<RetrySms>) -> impl IntoView {
    let t = use_console_texts();
    if rows.is_empty() {
        return view! { <p>{t.sms_log_none}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="deliveries" data-testid="sms-deliveries">
                <thead><tr>
                    <th>{t.deliveries_time}</th><th>{t.sms_message}</th><th>{t.field_phone}</th>
                    <th>{t.deliveries_case}</th><th>{t.deliveries_status}</th><th>{t.deliveries_attempts}</th><th>{t.deliveries_answer}</th><th></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|d| {
                        let id = d.id;
                        let failed = d.status == "failed" && d.message != crate::domain::notify::sms::SmsMessage::Test;
                        view! {
                            <tr data-status=d.status.clone() data-message=d.message.as_str()>
                                <td>{when(d.sent_at_ms.unwrap_or(d.created_at_ms))}</td>
                                <td>{super::sms::message_name(t, d.message)}</td>
                                <td>{d.phone.clone()}</td>
                                <td>{d.case_number.clone().map(|n| view! { <a href=format!("/console/cases/{n}")>{n.clone()}</a> })}</td>
                                <td class=format!("status-{}", d.status)>{status_name(t, &d.status)}</td>
                                <td>{d.attempts}</td>
                                <td><code>{d.last_error.clone()}</code></td>
                                <td>{failed.then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| { retry.dispatch(RetrySms { id }); }>{t.deliveries_retry}</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The e-mails to customers, of the case filtered for (or all).
#[component]
fn MailLog(number: Signal<String>) -> impl IntoView {
    let t = use_console_texts();
    let retry = ServerAction::<RetryCustomerMail>::new();
    let mails = Resource::new(move || (number.get(), retry.version().get()), |(n, _)| list_customer_mail(n));
    view! {
        <h2>{t.mail_log_title}</h2>
        <ErrorText error=Signal::derive(move || retry.value().get().and_then(Result::err))/>
        <Loaded resource=mails render=move |rows| view! { <MailTable rows retry/> }/>
    }
}

#[component]
fn MailTable(rows: Vec<MailDelivery>, retry: ServerAction<RetryCustomerMail>) -> impl IntoView {
    let t = use_console_texts();
    if rows.is_empty() {
        return view! { <p>{t.mail_log_none}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="deliveries" data-testid="mail-deliveries">
                <thead><tr>
                    <th>{t.deliveries_time}</th><th>{t.sms_message}</th><th>{t.mail_address}</th>
                    <th>{t.deliveries_case}</th><th>{t.deliveries_status}</th><th>{t.deliveries_attempts}</th><th>{t.deliveries_answer}</th><th></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|d| {
                        let id = d.id;
                        view! {
                            <tr data-status=d.status.clone() data-message=d.message.as_str()>
                                <td>{when(d.sent_at_ms.unwrap_or(d.created_at_ms))}</td>
                                <td>{super::sms::message_name(t, d.message)}</td>
                                <td>{d.address.clone()}</td>
                                <td>{d.case_number.clone().map(|n| view! { <a href=format!("/console/cases/{n}")>{n.clone()}</a> })}</td>
                                <td class=format!("status-{}", d.status)>{status_name(t, &d.status)}</td>
                                <td>{d.attempts}</td>
                                <td><code>{d.last_error.clone()}</code></td>
                                <td>{(d.status == "failed").then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| { retry.dispatch(RetryCustomerMail { id }); }>{t.deliveries_retry}</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
