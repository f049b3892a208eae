//! The queue of escalated cases: filters, search, live updates.

use leptos::prelude::*;

use crate::components::live::{use_live_updates, use_ticking_now, ClockBadge};
use crate::components::names::{severity_name, status_name};
use crate::components::staff::StaffOnly;
use crate::domain::guide::Severity;
use crate::functions::cases::list_queue;
use crate::language::use_console_texts;
use crate::models::{CaseStatus, Queue, QueueFilter};

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
    let t = use_console_texts();
    let filter = RwSignal::new(QueueFilter::default());
    let bump = RwSignal::new(0u32);
    let rows = Resource::new(move || (filter.get(), bump.get()), |(f, _)| list_queue(f));
    // Any change anywhere may move a row in or out of the view: refetch.
    // After (re)connecting, catch up, re-rendering only if something changed.
    let live = use_live_updates(move |changed| {
        if changed != "*" {
            bump.update(|b| *b += 1);
            return;
        }
        let summary = |q: &Queue| q.rows.iter().map(|r| (r.number.clone(), r.status, r.owner.clone())).collect::<Vec<_>>();
        let f = filter.get_untracked();
        leptos::task::spawn_local(async move {
            // Compare with what is (or is about to be) on screen.
            let known = rows.await.ok().map(|q| summary(&q));
            if let Ok(fresh) = list_queue(f).await {
                if Some(summary(&fresh)) != known {
                    bump.update(|b| *b += 1);
                }
            }
        });
    });
    let set = move |f: fn(&mut QueueFilter, String), v: String| filter.update(|q| f(q, v));
    view! {
        <main class="console">
            <div class="queue-head">
                <h1>{t.queue_title}</h1>
                <span class=move || if live.get() { "live on" } else { "live off" } role="status" data-testid="live-status">
                    {move || if live.get() { t.queue_live } else { "" }}
                </span>
            </div>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label>
                    {t.filter_search}
                    <input type="search" data-testid="queue-search" placeholder=t.search_placeholder maxlength="64"
                        on:input=move |ev| set(|q, v| q.search = v, event_target_value(&ev))/>
                </label>
                <label>
                    {t.filter_status}
                    <select data-testid="filter-status" on:change=move |ev| set(|q, v| q.status = CaseStatus::parse(&v), event_target_value(&ev))>
                        <option value="">{t.filter_open}</option>
                        {CaseStatus::ALL.into_iter().filter(|s| *s != CaseStatus::SelfResolved).map(|s| view! {
                            <option value=s.as_str()>{status_name(t, s)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {t.col_severity}
                    <select data-testid="filter-severity" on:change=move |ev| set(|q, v| q.severity = Severity::parse(&v), event_target_value(&ev))>
                        <option value="">{t.filter_any}</option>
                        {Severity::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str()>{severity_name(t, s)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {t.filter_org}
                    <select data-testid="filter-org" on:change=move |ev| set(|q, v| q.org = v.parse().ok(), event_target_value(&ev))>
                        <option value="">{t.filter_any}</option>
                        <Transition>
                            {move || Suspend::new(async move {
                                rows.await.map(|q| q.organisations.into_iter().map(|(id, name)| view! {
                                    <option value=id.to_string() selected=move || filter.read().org == Some(id)>{name}</option>
                                }).collect_view()).unwrap_or_default()
                            })}
                        </Transition>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="filter-overdue" on:change=move |ev| filter.update(|q| q.overdue = event_target_checked(&ev))/>
                    {t.filter_overdue}
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="filter-mine" on:change=move |ev| filter.update(|q| q.mine = event_target_checked(&ev))/>
                    {t.filter_mine}
                </label>
            </form>
            <Transition fallback=move || view! { <p class="loading" role="status">{t.loading}</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(q) if q.rows.is_empty() => view! { <p class="empty">{t.queue_empty}</p> }.into_any(),
                        Ok(q) => {
                            let (shown, total) = (q.rows.len() as i64, q.total);
                            let limited = q.limited.clone();
                            view! {
                                {(!limited.is_empty()).then(|| view! {
                                    <p class="notice" role="status" data-testid="limits-biting">
                                        {t.limits_biting}" "
                                        {limited.iter().map(|(org, what, n)| format!("{org} · {what} × {n}")).collect::<Vec<_>>().join("；")}
                                    </p>
                                })}
                                <QueueTable queue=q/>
                                <p class="queue-count" data-testid="queue-total">
                                    {crate::i18n::fill(t.queue_total, total)}
                                    {(shown < total).then(|| view! {
                                        " "
                                        <button type="button" data-testid="queue-more"
                                            on:click=move |_| filter.update(|f| f.limit = f.page_size() + QueueFilter::PAGE)>
                                            {t.queue_more}
                                        </button>
                                    })}
                                </p>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{t.error(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn QueueTable(queue: Queue) -> impl IntoView {
    let t = use_console_texts();
    let now = use_ticking_now(queue.server_now_ms);
    view! {
        <div class="table-wrap">
            <table class="queue" data-testid="queue">
                <thead>
                    <tr>
                        <th scope="col">{t.col_number}</th>
                        <th scope="col">{t.col_deadline}</th>
                        <th scope="col">{t.col_severity}</th>
                        <th scope="col">{t.col_status}</th>
                        <th scope="col">{t.col_org}</th>
                        <th scope="col">{t.col_asset}</th>
                        <th scope="col">{t.col_symptom}</th>
                        <th scope="col">{t.col_owner}</th>
                        <th scope="col">{t.col_reported_at}</th>
                    </tr>
                </thead>
                <tbody>
                    {queue
                        .rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr class:overdue=r.overdue data-testid="queue-row" data-case=r.number.clone()>
                                    <td>
                                        <a href=format!("/console/cases/{}", r.number)>{r.number.clone()}</a>
                                    </td>
                                    <td>{r.next_clock.map(|c| view! { <ClockBadge clock=c now with_name=true/> })}</td>
                                    <td><span class=format!("severity {}", r.severity.as_str())>{severity_name(t, r.severity)}</span></td>
                                    <td>{status_name(t, r.status)}</td>
                                    <td>{r.org_name}</td>
                                    <td>{r.asset_label}</td>
                                    <td class="symptom">{r.symptom}</td>
                                    <td>{r.owner.unwrap_or_else(|| t.nobody.to_string())}</td>
                                    <td>{r.reported_at}</td>
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
