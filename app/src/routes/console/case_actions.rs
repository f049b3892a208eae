//! The actions panel of a case page. It offers exactly what the server
//! says the signed-in person may do now (`CaseDetail::permits`, from
//! `domain::lifecycle::permitted`, the rule `decide` enforces); acts that
//! wait for the customer (an approved quote, a signed report) are shown
//! disabled with the reason.

use leptos::prelude::*;

use crate::components::live::pause_name;
use crate::components::names;
use crate::components::names::{channel_name, outcome_name, severity_name, target_name};
use crate::components::photos::{PhotoPicker, Uploader};
use crate::components::ErrorText;
use crate::domain::calendar;
use crate::domain::clock::PartClass;
use crate::domain::clock::{ClockKind, PauseReason};
use crate::domain::guide::Severity;
use crate::domain::lifecycle::{
    Act, CaseAction, ComplaintCategory, ComplaintGravity, ContactChannel, ContactOutcome, EscalationTarget, PartUsed, Refusal,
    ReturnVisitOutcome, SwapKind,
};
use crate::domain::warranty::{Cause, Exclusion};
use crate::errors::AppError;
use crate::functions::cases::ActOnCase;
use crate::language::use_console_texts;
use crate::models::CaseDetail;

/// The journeys a technician picks from for "on my way", in minutes.
const TRAVEL_MINUTES: [i64; 8] = [10, 20, 30, 45, 60, 90, 120, 180];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Transfer,
    Contact,
    Pause,
    Severity,
    Dispatch,
    OnTheWay,
    Escalate,
    Resolve,
    Note,
    Message,
    Quote,
    Diagnose,
    Work,
    Swap,
    SwapBack,
    Correct,
    Complaint,
    AnswerComplaint,
    ReturnVisit,
}

#[component]
pub fn CaseActions(case: CaseDetail, refresh: Callback<()>, editing: RwSignal<bool>) -> impl IntoView {
    let t = use_console_texts();
    let act = ServerAction::<ActOnCase>::new();
    let pending = act.pending();
    let error = Signal::derive(move || act.value().get().and_then(Result::err));
    let open = RwSignal::new(None::<Form>);
    Effect::new(move |_| editing.set(open.get().is_some()));
    // A successful action reloads the case (and closes the form).
    Effect::new(move |_| {
        if let Some(Ok(())) = act.value().get() {
            open.set(None);
            refresh.run(());
        }
    });

    let permits = case.permits.clone();
    let may = |act: Act| permits.iter().any(|p| p.act == act && p.waiting.is_none());
    // Acts that wait for the customer: shown, disabled, with the reason.
    let waiting = |act: Act| permits.iter().find(|p| p.act == act).and_then(|p| p.waiting);
    let waiting_reason = move |why: Refusal| {
        let e = match why {
            Refusal::NotSigned => AppError::NotSigned,
            _ => AppError::QuoteNotApproved,
        };
        t.error(&e)
    };

    let number = StoredValue::new(case.number.clone());
    let send = move |action: CaseAction| {
        act.dispatch(ActOnCase { number: number.get_value(), action });
    };
    let toggle = move |f: Form| open.update(|o| *o = if *o == Some(f) { None } else { Some(f) });
    let button = move |label: &'static str, testid: &'static str, f: Form| {
        view! {
            <button type="button" class="secondary" data-testid=testid
                aria-expanded=move || (open.get() == Some(f)).to_string()
                on:click=move |_| toggle(f)>{label}</button>
        }
    };
    let direct = move |label: &'static str, testid: &'static str, action: CaseAction| {
        let action = StoredValue::new(action);
        view! {
            <button type="button" class="primary" data-testid=testid disabled=move || pending.get()
                on:click=move |_| send(action.get_value())>{label}</button>
        }
    };
    // A waiting act is a disabled button pointing at its reason, said once
    // under the buttons however many acts wait for it.
    let why_id = |why: Refusal| if why == Refusal::NotSigned { "why-signature" } else { "why-quote" };
    let blocked = move |label: &'static str, testid: &'static str, why: Refusal| {
        view! { <button type="button" class="secondary" data-testid=testid disabled aria-describedby=why_id(why)>{label}</button> }
    };
    let mut reasons: Vec<Refusal> = Vec::new();
    for why in permits.iter().filter_map(|p| p.waiting) {
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }
    let reasons = reasons
        .into_iter()
        .map(|why| view! { <p class="hint" id=why_id(why) data-testid="act-waiting">{waiting_reason(why)}</p> })
        .collect_view();
    let offer = move |act: Act, label: &'static str, testid: &'static str, f: Form| match waiting(act) {
        Some(why) => Some(blocked(label, testid, why).into_any()),
        None => may(act).then(|| button(label, testid, f).into_any()),
    };
    let st = &case.state;
    let report_href = format!("/console/cases/{}/report", case.number);

    view! {
        <section class="actions" aria-labelledby="actions-h" data-testid="case-actions">
            <h2 id="actions-h">{t.actions_title}</h2>
            <div class="action-buttons">
                {may(Act::Claim).then(|| direct(t.act_claim, "act-claim", CaseAction::Claim))}
                {may(Act::OnTheWay).then(|| button(t.act_on_the_way, "act-on-the-way", Form::OnTheWay))}
                {may(Act::CheckIn).then(|| direct(t.act_check_in, "act-check-in", CaseAction::CheckIn))}
                {offer(Act::Dispatch, t.act_dispatch, "act-dispatch", Form::Dispatch)}
                {may(Act::LogContact).then(|| button(t.act_contact, "act-contact", Form::Contact))}
                {offer(Act::Resolve, t.act_resolve, "act-resolve", Form::Resolve)}
                {may(Act::Transfer).then(|| button(t.act_transfer, "act-transfer", Form::Transfer))}
                {may(Act::Pause).then(|| button(t.act_pause, "act-pause", Form::Pause))}
                {may(Act::Resume).then(|| direct(t.act_resume, "act-resume", CaseAction::Resume))}
                {may(Act::ChangeSeverity).then(|| button(t.act_severity, "act-severity", Form::Severity))}
                {may(Act::EscalateTo).then(|| button(t.act_escalate, "act-escalate", Form::Escalate))}
                {may(Act::IssueQuote).then(|| button(t.act_quote, "act-quote", Form::Quote))}
                {match waiting(Act::Close) {
                    Some(why) => Some(blocked(t.act_close, "act-close", why).into_any()),
                    None => may(Act::Close).then(|| direct(t.act_close, "act-close", CaseAction::Close).into_any()),
                }}
                {may(Act::Note).then(|| button(t.act_note, "act-note", Form::Note))}
                {may(Act::MessageCustomer).then(|| button(t.act_message, "act-message", Form::Message))}
                {may(Act::Diagnose).then(|| button(t.act_diagnose, "act-diagnose", Form::Diagnose))}
                {may(Act::RecordWork).then(|| button(t.act_work, "act-work", Form::Work))}
                {may(Act::Swap).then(|| button(t.act_swap, "act-swap", Form::Swap))}
                {may(Act::SwapReturned).then(|| button(t.act_swap_back, "act-swap-back", Form::SwapBack))}
                {st.visited.then(|| view! { <a class="button secondary" href=report_href data-testid="act-report">{t.act_report}</a> })}
                {may(Act::CorrectReport).then(|| button(t.act_correct, "act-correct", Form::Correct))}
                {may(Act::RegisterComplaint).then(|| button(t.act_complaint, "act-complaint", Form::Complaint))}
                {may(Act::AnswerComplaint).then(|| button(t.act_answer_complaint, "act-answer-complaint", Form::AnswerComplaint))}
                {may(Act::ReturnVisit).then(|| button(t.act_return_visit, "act-return-visit", Form::ReturnVisit))}
            </div>
            {reasons}
            {move || open.get().map(|f| view! { <ActionFormFor form=f case=case.clone() send=Callback::new(send) pending/> })}
            <ErrorText error/>
        </section>
    }
    .into_any()
}

#[component]
fn ActionFormFor(form: Form, case: CaseDetail, send: Callback<CaseAction>, pending: Memo<bool>) -> impl IntoView {
    let t = use_console_texts();
    let notes = RwSignal::new(String::new());
    let choice = RwSignal::new(String::new());
    let when = RwSignal::new(String::new());
    let extra = RwSignal::new(String::new());
    let extra2 = RwSignal::new(String::new());
    let extra3 = RwSignal::new(String::new());
    let photos = RwSignal::new(Vec::<i64>::new());
    let offset = case.timezone_offset_minutes;
    let arrival = case.clocks.iter().find(|c| c.kind == ClockKind::Arrival && c.stopped_at_ms.is_none()).cloned();
    let hint = case.guide_outcome.as_ref().and_then(|o| o.technician_hint.clone());

    let fields = match form {
        Form::Transfer => {
            let options = case.responders.iter().filter(|s| Some(s.id) != case.owner_id).cloned().collect::<Vec<_>>();
            view! {
                <label for="f-to">{t.f_to}</label>
                <select id="f-to" required on:change=move |ev| choice.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {options.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                </select>
            }
            .into_any()
        }
        Form::Contact => view! {
            <label for="f-channel">{t.f_channel}</label>
            <select id="f-channel" on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="phone">{channel_name(t, ContactChannel::Phone)}</option>
                <option value="remote">{channel_name(t, ContactChannel::Remote)}</option>
            </select>
            <label for="f-outcome">{t.f_outcome}</label>
            <select id="f-outcome" on:change=move |ev| when.set(event_target_value(&ev))>
                <option value="follow_up">{outcome_name(t, ContactOutcome::FollowUp)}</option>
                <option value="needs_visit">{outcome_name(t, ContactOutcome::NeedsVisit)}</option>
                <option value="resolved">{outcome_name(t, ContactOutcome::Resolved)}</option>
            </select>
        }
        .into_any(),
        Form::Pause => view! {
            <label for="f-reason">{t.f_reason}</label>
            <select id="f-reason" required on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {[PauseReason::WaitingForCustomer, PauseReason::CustomerPostponed, PauseReason::AwaitingQuoteApproval]
                    .into_iter()
                    .map(|r| view! { <option value=pause_key(r)>{pause_name(t, r)}</option> })
                    .collect_view()}
            </select>
        }
        .into_any(),
        Form::OnTheWay => view! {
            <label for="f-eta">{t.f_eta}</label>
            <select id="f-eta" required on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {TRAVEL_MINUTES
                    .into_iter()
                    .map(|m| view! { <option value=m.to_string()>{crate::i18n::fill(t.common.report_minutes, m)}</option> })
                    .collect_view()}
            </select>
        }
        .into_any(),
        Form::Severity => view! {
            <label for="f-severity">{t.case_severity}</label>
            <select id="f-severity" required on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {Severity::ALL
                    .into_iter()
                    .filter(|s| *s != case.severity)
                    .map(|s| view! { <option value=s.as_str()>{severity_name(t, s)}</option> })
                    .collect_view()}
            </select>
        }
        .into_any(),
        Form::Dispatch => {
            if let Some(h) = &hint {
                notes.set(h.clone());
            }
            let techs = case.technicians.clone();
            let deadline = arrival.as_ref().and_then(|c| c.deadline_ms);
            let deadline_label = arrival.as_ref().and_then(|c| c.deadline_label.clone()).unwrap_or_default();
            let late = move || {
                let at = calendar::local_input_to_ms(&when.get(), offset)?;
                deadline.filter(|d| at > *d).map(|_| t.dispatch_late_warning.replace("{t}", &deadline_label))
            };
            view! {
                <label for="f-tech">{t.technician_label}</label>
                <select id="f-tech" required on:change=move |ev| choice.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {techs.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                </select>
                <label for="f-when">{t.f_appointment}</label>
                <input id="f-when" type="datetime-local" required
                    min=calendar::ms_to_local_input(case.server_now_ms, offset)
                    on:input=move |ev| when.set(event_target_value(&ev))/>
                <p class="warning" role="status" data-testid="dispatch-late">{late}</p>
                {hint.clone().map(|h| view! { <p class="hint">{t.dispatch_hint} {h}</p> })}
            }
            .into_any()
        }
        Form::Escalate => view! {
            <label for="f-target">{t.f_target}</label>
            <select id="f-target" on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="supervisor">{target_name(t, EscalationTarget::Supervisor)}</option>
                <option value="technical_support">{target_name(t, EscalationTarget::TechnicalSupport)}</option>
                <option value="manufacturer">{target_name(t, EscalationTarget::Manufacturer)}</option>
            </select>
            <label for="f-due">{t.f_due}</label>
            <input id="f-due" type="datetime-local" required min=calendar::ms_to_local_input(case.server_now_ms, offset)
                on:input=move |ev| when.set(event_target_value(&ev))/>
        }
        .into_any(),
        Form::Quote => view! {
            <label for="f-amount">{t.f_amount}</label>
            <input id="f-amount" type="number" min="0.01" step="0.01" max="1000000" required inputmode="decimal"
                on:input=move |ev| choice.set(event_target_value(&ev))/>
        }
        .into_any(),
        Form::Diagnose => view! {
            <label for="f-cause">{t.f_cause}</label>
            <select id="f-cause" required on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {[Cause::Product, Cause::Installation, Cause::Customer].into_iter()
                    .map(|c| view! { <option value=names::key(c)>{names::cause(t, c)}</option> }).collect_view()}
            </select>
            <label for="f-exclusion">{t.f_exclusion}</label>
            <select id="f-exclusion" on:change=move |ev| when.set(event_target_value(&ev))>
                <option value="">{t.none_option}</option>
                {Exclusion::ALL.into_iter().map(|x| view! { <option value=names::key(x)>{names::exclusion(t, x)}</option> }).collect_view()}
            </select>
            <label for="f-part">{t.f_part}</label>
            <select id="f-part" on:change=move |ev| extra.set(event_target_value(&ev))>
                <option value="host">{names::part(t, PartClass::Host)}</option>
                <option value="accessory">{names::part(t, PartClass::Accessory)}</option>
            </select>
            <label for="f-component">{t.f_component}</label>
            <input id="f-component" maxlength="60" on:input=move |ev| extra2.set(event_target_value(&ev))/>
        }
        .into_any(),
        Form::Work => view! {
            <label for="f-findings">{t.f_findings}</label>
            <textarea id="f-findings" rows="2" maxlength="2000" required on:input=move |ev| choice.set(event_target_value(&ev))></textarea>
            <label for="f-actions">{t.f_actions}</label>
            <textarea id="f-actions" rows="2" maxlength="2000" required on:input=move |ev| when.set(event_target_value(&ev))></textarea>
            <label for="f-parts">{t.f_parts}</label>
            <textarea id="f-parts" rows="2" on:input=move |ev| extra.set(event_target_value(&ev))></textarea>
            <label for="f-minutes">{t.f_minutes_worked}</label>
            <input id="f-minutes" type="number" min="0" max="86400" step="1" inputmode="numeric" required
                on:input=move |ev| extra2.set(event_target_value(&ev))/>
            <label for="f-downtime">{t.f_downtime}</label>
            <input id="f-downtime" type="number" min="0" max="86400" step="1" inputmode="numeric"
                on:input=move |ev| extra3.set(event_target_value(&ev))/>
            <PhotoPicker uploader=Uploader::Staff { case: case.number.clone() } photos id="f-photos"/>
        }
        .into_any(),
        Form::Swap => view! {
            <label for="f-swap">{t.f_swap_kind}</label>
            <select id="f-swap" required on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {[SwapKind::Spare, SwapKind::Loaner, SwapKind::ReturnToFactory].into_iter()
                    .map(|k| view! { <option value=names::key(k)>{names::swap(t, k)}</option> }).collect_view()}
            </select>
            <label for="f-serial">{t.f_serial}</label>
            <input id="f-serial" required maxlength="60" on:input=move |ev| when.set(event_target_value(&ev))/>
        }
        .into_any(),
        Form::SwapBack => {
            let out = case.state.outstanding_swaps.clone();
            view! {
                <label for="f-swap-back">{t.f_serial}</label>
                <select id="f-swap-back" required on:change=move |ev| choice.set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {out.into_iter().map(|(k, serial)| {
                        let label = format!("{} · {serial}", names::swap(t, k));
                        view! { <option value=format!("{}|{serial}", names::key(k))>{label}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        Form::Complaint => view! {
            <label for="f-category">{t.f_complaint_category}</label>
            <select id="f-category" required on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {[ComplaintCategory::Quality, ComplaintCategory::Human, ComplaintCategory::Other].into_iter()
                    .map(|c| view! { <option value=names::key(c)>{names::complaint(t, c)}</option> }).collect_view()}
            </select>
            <label for="f-gravity">{t.f_gravity}</label>
            <select id="f-gravity" required on:change=move |ev| when.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {[ComplaintGravity::Minor, ComplaintGravity::Serious, ComplaintGravity::Major].into_iter()
                    .map(|g| view! { <option value=names::key(g)>{names::gravity(t, g)}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        Form::ReturnVisit => view! {
            <label for="f-rv">{t.f_rv_outcome}</label>
            <select id="f-rv" required on:change=move |ev| choice.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {[ReturnVisitOutcome::Satisfied, ReturnVisitOutcome::ProblemPersists, ReturnVisitOutcome::Unreachable].into_iter()
                    .map(|o| view! { <option value=names::key(o)>{names::return_visit(t, o)}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        Form::Resolve | Form::Note | Form::Message | Form::Correct | Form::AnswerComplaint => ().into_any(),
    };
    let notes_label = match form {
        Form::Resolve => t.f_summary,
        Form::Quote => t.f_quote_description,
        Form::Complaint => t.f_complaint_text,
        Form::Message => t.f_message,
        _ => t.f_notes,
    };
    let notes_required = matches!(
        form,
        Form::Contact
            | Form::Escalate
            | Form::Resolve
            | Form::Note
            | Form::Message
            | Form::Quote
            | Form::Correct
            | Form::Complaint
            | Form::AnswerComplaint
    );
    let show_notes = !matches!(form, Form::Transfer | Form::Pause | Form::Severity | Form::Work | Form::OnTheWay);
    let parts_error = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c = choice.get_untracked();
        let n = notes.get_untracked();
        let w = calendar::local_input_to_ms(&when.get_untracked(), offset);
        let action = match form {
            Form::Transfer => c.parse().ok().map(|to| CaseAction::Transfer { to }),
            Form::Contact => Some(CaseAction::LogContact {
                channel: if c == "remote" { ContactChannel::Remote } else { ContactChannel::Phone },
                outcome: match when.get_untracked().as_str() {
                    "resolved" => ContactOutcome::Resolved,
                    "needs_visit" => ContactOutcome::NeedsVisit,
                    _ => ContactOutcome::FollowUp,
                },
                notes: n,
            }),
            Form::Pause => parse_pause(&c).map(|reason| CaseAction::Pause { reason }),
            Form::Severity => Severity::parse(&c).map(|severity| CaseAction::ChangeSeverity { severity }),
            Form::OnTheWay => c.parse().ok().map(|minutes| CaseAction::OnTheWay { minutes }),
            Form::Dispatch => match (c.parse(), w) {
                (Ok(technician), Some(appointment_ms)) => Some(CaseAction::Dispatch { technician, appointment_ms, notes: n }),
                _ => None,
            },
            Form::Escalate => w.map(|due_ms| CaseAction::EscalateTo {
                target: match c.as_str() {
                    "technical_support" => EscalationTarget::TechnicalSupport,
                    "manufacturer" => EscalationTarget::Manufacturer,
                    _ => EscalationTarget::Supervisor,
                },
                due_ms,
                notes: n,
            }),
            Form::Resolve => Some(CaseAction::Resolve { summary: n }),
            Form::Note => Some(CaseAction::Note { notes: n }),
            Form::Message => Some(CaseAction::MessageCustomer { text: n }),
            Form::Quote => c
                .trim()
                .parse::<f64>()
                .ok()
                .map(|yuan| CaseAction::IssueQuote { amount_cents: (yuan * 100.0).round() as i64, description: n }),
            Form::Diagnose => names::parse(&c).map(|cause| CaseAction::Diagnose {
                cause,
                exclusion: names::parse(&when.get_untracked()),
                part: names::parse(&extra.get_untracked()).unwrap_or_default(),
                component: extra2.get_untracked(),
                notes: n,
            }),
            Form::Work => {
                let parts = PartUsed::parse_lines(&extra.get_untracked());
                parts_error.set(parts.is_none());
                parts.map(|parts| CaseAction::RecordWork {
                    findings: c,
                    actions: when.get_untracked(),
                    parts,
                    minutes_worked: extra2.get_untracked().trim().parse().unwrap_or(-1),
                    downtime_minutes: extra3.get_untracked().trim().parse().unwrap_or(0),
                    photos: photos.get_untracked(),
                })
            }
            Form::Swap => names::parse(&c).map(|swap| CaseAction::Swap { swap, serial: when.get_untracked(), notes: n }),
            Form::SwapBack => c.split_once('|').and_then(|(k, serial)| {
                names::parse(k).map(|swap| CaseAction::SwapReturned { swap, serial: serial.to_string(), notes: n.clone() })
            }),
            Form::Correct => Some(CaseAction::CorrectReport { notes: n }),
            Form::Complaint => match (names::parse(&c), names::parse(&when.get_untracked())) {
                (Some(category), Some(gravity)) => Some(CaseAction::RegisterComplaint { category, gravity, text: n }),
                _ => None,
            },
            Form::AnswerComplaint => Some(CaseAction::AnswerComplaint { notes: n }),
            Form::ReturnVisit => names::parse(&c).map(|outcome| CaseAction::ReturnVisit { outcome, notes: n }),
        };
        // The browser's `required` catches empty fields; anything else the server refuses with a message.
        if let Some(a) = action {
            send.run(a);
        }
    };
    view! {
        <form class="action-form" data-testid="action-form" on:submit=submit>
            {fields}
            {show_notes.then(|| view! {
                <label for="f-notes">{notes_label}</label>
                <textarea id="f-notes" rows="3" maxlength="2000" required=notes_required
                    prop:value=move || notes.get()
                    on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            })}
            {move || parts_error.get().then(|| view! { <p class="error" role="alert">{t.bad_parts}</p> })}
            <button type="submit" class="primary" data-testid="action-submit" disabled=move || pending.get()>
                {move || if pending.get() { t.saving } else { t.submit_action }}
            </button>
        </form>
    }
    .into_any()
}

fn pause_key(r: PauseReason) -> &'static str {
    match r {
        PauseReason::WaitingForCustomer => "waiting_for_customer",
        PauseReason::CustomerPostponed => "customer_postponed",
        PauseReason::AwaitingQuoteApproval => "awaiting_quote_approval",
    }
}

fn parse_pause(s: &str) -> Option<PauseReason> {
    [PauseReason::WaitingForCustomer, PauseReason::CustomerPostponed, PauseReason::AwaitingQuoteApproval]
        .into_iter()
        .find(|r| pause_key(*r) == s)
}
