//! The delivery log: every message, its channel, case, status and tries,
//! filtered by case, channel and status, and the texts and e-mails to
//! customers; failed ones can be sent again.

use leptos::prelude::*;

use super::notify::{kind_name, topic_name};
use crate::components::staff::StaffOnly;
use crate::components::{ErrorText, Loaded};
use crate::domain::notify::sms::SmsMessage;
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
                <CustomerLogs number=Signal::derive(move || filter.with(|f| f.case_number.clone()))/>
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

/// One text or e-mail to a customer, as its table shows it.
struct CustomerMessage {
    id: i64,
    message: SmsMessage,
    /// The number or address, masked.
    to: String,
    case_number: Option<String>,
    status: String,
    attempts: i64,
    at_ms: i64,
    last_error: String,
}

impl From<SmsDelivery> for CustomerMessage {
    fn from(d: SmsDelivery) -> Self {
        let at_ms = d.sent_at_ms.unwrap_or(d.created_at_ms);
        CustomerMessage {
            id: d.id,
            message: d.message,
            to: d.phone,
            case_number: d.case_number,
            status: d.status,
            attempts: d.attempts,
            at_ms,
            last_error: d.last_error,
        }
    }
}

impl From<MailDelivery> for CustomerMessage {
    fn from(d: MailDelivery) -> Self {
        let at_ms = d.sent_at_ms.unwrap_or(d.created_at_ms);
        CustomerMessage {
            id: d.id,
            message: d.message,
            to: d.address,
            case_number: d.case_number,
            status: d.status,
            attempts: d.attempts,
            at_ms,
            last_error: d.last_error,
        }
    }
}

/// The texts and the e-mails to customers, of the case filtered for (or all).
#[component]
fn CustomerLogs(number: Signal<String>) -> impl IntoView {
    let t = use_console_texts();
    let retry_text = ServerAction::<RetrySms>::new();
    let retry_mail = ServerAction::<RetryCustomerMail>::new();
    let texts = Resource::new(move || (number.get(), retry_text.version().get()), |(n, _)| list_sms(n));
    let mails = Resource::new(move || (number.get(), retry_mail.version().get()), |(n, _)| list_customer_mail(n));
    let text_again = Callback::new(move |id| {
        retry_text.dispatch(RetrySms { id });
    });
    let mail_again = Callback::new(move |id| {
        retry_mail.dispatch(RetryCustomerMail { id });
    });
    view! {
        <h2>{t.sms_log_title}</h2>
        <ErrorText error=Signal::derive(move || retry_text.value().get().and_then(Result::err))/>
        <Loaded resource=texts render=move |rows| {
            let rows = rows.into_iter().map(CustomerMessage::from).collect();
            view! { <CustomerTable rows testid="sms-deliveries" to=t.field_phone none=t.sms_log_none again=text_again/> }
        }/>
        <h2>{t.mail_log_title}</h2>
        <ErrorText error=Signal::derive(move || retry_mail.value().get().and_then(Result::err))/>
        <Loaded resource=mails render=move |rows| {
            let rows = rows.into_iter().map(CustomerMessage::from).collect();
            view! { <CustomerTable rows testid="mail-deliveries" to=t.mail_address none=t.mail_log_none again=mail_again/> }
        }/>
    }
}

#[component]
fn CustomerTable(
    rows: Vec<CustomerMessage>,
    testid: &'static str,
    /// The recipient column's heading.
    to: &'static str,
    none: &'static str,
    again: Callback<i64>,
) -> impl IntoView {
    let t = use_console_texts();
    if rows.is_empty() {
        return view! { <p>{none}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="deliveries" data-testid=testid>
                <thead><tr>
                    <th>{t.deliveries_time}</th><th>{t.sms_message}</th><th>{to}</th>
                    <th>{t.deliveries_case}</th><th>{t.deliveries_status}</th><th>{t.deliveries_attempts}</th><th>{t.deliveries_answer}</th><th></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|d| {
                        let id = d.id;
                        // "Send a test" makes a new test; a failed one is not sent again.
                        let failed = d.status == "failed" && d.message != SmsMessage::Test;
                        view! {
                            <tr data-status=d.status.clone() data-message=d.message.as_str()>
                                <td>{when(d.at_ms)}</td>
                                <td>{super::sms::message_name(t, d.message)}</td>
                                <td>{d.to}</td>
                                <td>{d.case_number.map(|n| view! { <a href=format!("/console/cases/{n}")>{n.clone()}</a> })}</td>
                                <td class=format!("status-{}", d.status)>{status_name(t, &d.status)}</td>
                                <td>{d.attempts}</td>
                                <td><code>{d.last_error}</code></td>
                                <td>{failed.then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| again.run(id)>{t.deliveries_retry}</button>
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
