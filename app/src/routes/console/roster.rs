//! The on-duty roster (值班表) for supervisors and admins: CSV lines edited
//! or imported, checked in the browser with the server's own parser, shown
//! as a table and as this week by the company calendar, exported as CSV.

use leptos::prelude::*;

use crate::components::staff::StaffOnly;
use crate::components::{ErrorText, FieldMsg, Loaded};
use crate::domain::calendar::{Calendar, Date};
use crate::domain::notify::roster::{self, Days, Shift};
use crate::errors::Field;
use crate::functions::notify::{load_roster, SaveRoster};
use crate::i18n::{fill, ConsoleTexts};
use crate::language::use_console_texts;
use crate::models::notify::RosterView;

#[component]
pub fn RosterPage() -> impl IntoView {
    let view_ = Resource::new(|| (), |_| load_roster());
    view! {
        <StaffOnly>
            <Loaded resource=view_ render=|r| view! { <RosterEditor roster=r/> }/>
        </StaffOnly>
    }
}

fn days_name(t: &ConsoleTexts, d: Days) -> String {
    match d {
        Days::Every => t.roster_every.into(),
        Days::Workdays => t.roster_workdays.into(),
        Days::Offdays => t.roster_offdays.into(),
        Days::Weekdays(mask) => (0..7).filter(|i| mask & (1 << i) != 0).map(|i| t.weekday(i)).collect::<Vec<_>>().join("、"),
    }
}

fn span(s: &Shift) -> String {
    s.span().replacen('-', "–", 1)
}

/// Percent-encodes text for a `data:` link (the same on server and browser).
fn data_url(text: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,%EF%BB%BF");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.,:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[component]
fn RosterEditor(roster: RosterView) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    let text = RwSignal::new(roster.csv.clone());
    let parsed = Memo::new(move |_| roster::parse(&text.get()));
    let save = ServerAction::<SaveRoster>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveRoster { csv: text.get_untracked() });
    };
    let on_file = move |ev: leptos::ev::Event| crate::components::read_chosen_file(&ev, text);
    let calendar = roster.calendar.clone();
    let today = calendar.local_date(roster.now_ms.div_euclid(60_000));
    view! {
        <main class="console roster" data-ready=ready>
            <h1>{t.roster_title}</h1>
            <p class="hint">{t.roster_intro}</p>
            <p class="links"><a href="/console/notify">{t.notify_title}</a> " · " <a href="/console/notify/log">{t.deliveries_link}</a></p>
            <WeekView shifts=Signal::derive(move || parsed.get().shifts) calendar today/>
            <form class="settings-form" on:submit=submit>
                <label for="roster-file">{t.roster_import}</label>
                <input id="roster-file" type="file" accept=".csv,.txt,text/csv" on:change=on_file/>
                <label for="roster-text">{t.field_roster}</label>
                <textarea id="roster-text" rows="10" data-testid="roster-text" spellcheck="false"
                    placeholder="days,start,end,name,phone\nworkdays,08:30,18:00,李娜,13800000003"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <p class="hint">{t.roster_format}</p>
                <FieldMsg field=Field::Roster id="roster-error" error/>
                <ul class="errors">
                    {move || parsed.read().bad_lines.iter().map(|n| view! { <li class="error">{fill(t.err_bad_line, n)}</li> }).collect_view()}
                </ul>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || save.pending().get()>{t.roster_save}</button>
                    <a class="button secondary" download="roster.csv" href=move || data_url(&roster::format(&parsed.read().shifts))>{t.roster_export}</a>
                </div>
                <Show when=saved><span class="ok" role="status">{t.saved}</span></Show>
                <ErrorText error/>
            </form>
            <h2>{t.roster_shifts}</h2>
            <div class="table-wrap">
                <table class="shifts" data-testid="roster-shifts">
                    <thead><tr><th>{t.roster_days}</th><th>{t.roster_hours}</th><th>{t.roster_person}</th><th>{t.roster_phone}</th></tr></thead>
                    <tbody>
                        {move || parsed.get().shifts.into_iter().map(|s| view! {
                            <tr><td>{days_name(t, s.days)}</td><td>{span(&s)}</td><td>{s.name.clone()}</td><td><a href=format!("tel:{}", s.phone)>{s.phone.clone()}</a></td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </main>
    }
    .into_any()
}

/// This week, Monday first: each day's kind by the calendar and the shifts
/// that begin on it.
#[component]
fn WeekView(shifts: Signal<Vec<Shift>>, calendar: Calendar, today: Date) -> impl IntoView {
    let t = use_console_texts();
    let monday = today.add_days(-(today.weekday() as i64));
    view! {
        <section class="week" aria-label=t.roster_week>
            <h2>{t.roster_week}</h2>
            <ol class="week-grid" data-testid="roster-week">
                {(0..7).map(|i| {
                    let date = monday.add_days(i);
                    let cal = calendar.clone();
                    let work = roster::is_workday(&calendar, date);
                    view! {
                        <li class:today=date == today class:offday=!work>
                            <h3>{t.weekday(i as usize)} " " <span class="muted">{format!("{:02}-{:02}", date.month, date.day)}</span></h3>
                            <p class="muted">{if work { t.roster_workday } else { t.roster_offday }}</p>
                            <ul>
                                {move || {
                                    let all = shifts.get();
                                    let on = roster::starting_on(&all, &cal, date);
                                    if on.is_empty() {
                                        view! { <li class="error">{t.roster_nobody}</li> }.into_any()
                                    } else {
                                        on.into_iter().map(|s| view! { <li>{span(s)} " " {s.name.clone()}</li> }).collect_view().into_any()
                                    }
                                }}
                            </ul>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}
