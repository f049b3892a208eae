//! The lists staff work from after dispatch: a technician's visits (phone
//! sized), return visits and complaints to answer, units out on loan or at
//! the factory, and satisfaction per technician.

use leptos::prelude::*;

use crate::components::names;
use crate::components::names::status_name;
use crate::components::staff::StaffOnly;
use crate::components::Loaded;
use crate::functions::visits::{list_follow_ups, list_ratings, my_visits};
use crate::language::use_console_texts;
use crate::models::{FollowUps, TechnicianRating, VisitRow};

#[component]
pub fn VisitsPage() -> impl IntoView {
    let visits = Resource::new(|| (), |_| my_visits());
    view! {
        <StaffOnly>
            <Loaded resource=visits render=|v| view! { <Visits visits=v/> }/>
        </StaffOnly>
    }
}

#[component]
fn Visits(visits: Vec<VisitRow>) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    let (sign, rest): (Vec<_>, Vec<_>) = visits.into_iter().partition(|v| v.needs_signature);
    let (today, other): (Vec<_>, Vec<_>) = rest.into_iter().partition(|v| v.today || v.status == crate::models::CaseStatus::OnSite);
    let empty = sign.is_empty() && today.is_empty() && other.is_empty();
    let group = move |title: &'static str, testid: &'static str, rows: Vec<VisitRow>| {
        (!rows.is_empty()).then(|| view! {
            <section aria-label=title data-testid=testid>
                <h2>{title}</h2>
                <ul class="visits">
                    {rows.into_iter().map(|v| view! {
                        <li class="visit" class:late=v.late data-case=v.number.clone()>
                            <a href=format!("/console/cases/{}", v.number)><strong>{v.number.clone()}</strong></a>
                            " · " <span>{status_name(t, v.status)}</span>
                            <p><time>{v.appointment.clone()}</time> {v.late.then(|| view! { " · " <span class="error">{t.visits_late}</span> })}</p>
                            <p>{v.org_name.clone()} " · " {v.site.clone()}</p>
                            <p>{v.asset_label.clone()} " — " {v.symptom.clone()}</p>
                            <p>{v.contact.clone()}</p>
                            {v.notes.clone().map(|n| view! { <p class="hint">{n}</p> })}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })
    };
    view! {
        <main class="console visits-page" data-ready=ready>
            <h1>{t.visits_title}</h1>
            {empty.then(|| view! { <p>{t.visits_none}</p> })}
            {group(t.visits_to_sign, "visits-sign", sign)}
            {group(t.visits_today, "visits-today", today)}
            {group(t.visits_other, "visits-other", other)}
        </main>
    }
    .into_any()
}

#[component]
pub fn FollowUpPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_follow_ups());
    view! {
        <StaffOnly>
            <Loaded resource=list render=|f| view! { <FollowUpList list=f/> }/>
        </StaffOnly>
    }
}

#[component]
fn FollowUpList(list: FollowUps) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    let link = |n: &str| view! { <a href=format!("/console/cases/{n}")><strong>{n.to_string()}</strong></a> };
    view! {
        <main class="console follow-up" data-ready=ready>
            <h1>{t.followups_title}</h1>
            <section aria-labelledby="fu-rv" data-testid="fu-return-visits">
                <h2 id="fu-rv">{t.fu_return_visits}</h2>
                {list.return_visits.is_empty().then(|| view! { <p>{t.fu_none}</p> })}
                <ul>
                    {list.return_visits.into_iter().map(|r| view! {
                        <li class:late=r.overdue data-case=r.number.clone()>
                            {link(&r.number)} " · " {r.org_name.clone()} " · " {r.contact.clone()}
                            <p>{r.asset_label.clone()} " · " <span class:error=r.overdue>{t.fu_due.replace("{t}", &r.due)}</span></p>
                            {(r.confirmed == Some(false)).then(|| view! { <p class="error">{t.fu_not_fixed}</p> })}
                            {r.rating.clone().map(|x| view! {
                                <p class="hint">{t.r_attitude} " " {names::level(t, x.attitude)} " · " {t.r_skill} " " {names::level(t, x.skill)}
                                    " · " {t.r_punctuality} " " {names::level(t, x.punctuality)} " · " {t.r_promise} " " {names::level(t, x.promise_kept)}</p>
                            })}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section aria-labelledby="fu-c" data-testid="fu-complaints">
                <h2 id="fu-c">{t.fu_complaints}</h2>
                {list.complaints.is_empty().then(|| view! { <p>{t.fu_none}</p> })}
                <ul>
                    {list.complaints.into_iter().map(|c| view! {
                        <li class:late=c.overdue data-case=c.number.clone()>
                            {link(&c.number)} " · " {c.org_name.clone()} " · " {names::complaint(t, c.category)} " · " {names::gravity(t, c.gravity)}
                            <p>{c.text.clone()}</p>
                            <p><span class:error=c.overdue>{t.fu_due.replace("{t}", &c.due)}</span></p>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section aria-labelledby="fu-s" data-testid="fu-swaps">
                <h2 id="fu-s">{t.fu_swaps}</h2>
                {list.swaps.is_empty().then(|| view! { <p>{t.fu_none}</p> })}
                <ul>
                    {list.swaps.into_iter().map(|s| view! {
                        <li data-case=s.number.clone()>
                            {link(&s.number)} " · " {s.org_name.clone()} " · " {names::swap(t, s.swap)} " · " {s.serial.clone()}
                            " · " {t.fu_since.replace("{t}", &s.since)}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </main>
    }
    .into_any()
}

#[component]
pub fn RatingsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_ratings());
    view! {
        <StaffOnly>
            <Loaded resource=list render=|r| view! { <Ratings rows=r/> }/>
        </StaffOnly>
    }
}

/// An average ×100 on the 4-level scale, as "3.50".
fn avg(v: i64) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

#[component]
fn Ratings(rows: Vec<TechnicianRating>) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    view! {
        <main class="console ratings" data-ready=ready>
            <h1>{t.ratings_title}</h1>
            {rows.is_empty().then(|| view! { <p>{t.ratings_none}</p> })}
            <div class="table-scroll">
                <table data-testid="ratings">
                    <thead><tr>
                        <th scope="col">{t.report_technician}</th><th scope="col">{t.r_jobs}</th>
                        <th scope="col">{t.r_attitude}</th><th scope="col">{t.r_skill}</th>
                        <th scope="col">{t.r_punctuality}</th><th scope="col">{t.r_promise}</th>
                        <th scope="col">{t.r_comments}</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr>
                                <th scope="row">{r.technician.clone().unwrap_or_else(|| "—".into())}</th>
                                <td>{r.jobs}</td><td>{avg(r.attitude)}</td><td>{avg(r.skill)}</td>
                                <td>{avg(r.punctuality)}</td><td>{avg(r.promise_kept)}</td>
                                <td>{r.comments.join(" / ")}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="hint">{format!("1 {} · 2 {} · 3 {} · 4 {}", t.rate_1, t.rate_2, t.rate_3, t.rate_4)}</p>
        </main>
    }
    .into_any()
}
