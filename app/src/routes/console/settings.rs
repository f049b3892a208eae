//! Service settings in the console: the company's working calendar with its
//! holiday list (previewed in the browser with the same parser the server
//! uses), each contract's time targets, and each site's distance zone.

use leptos::prelude::*;

use crate::components::staff::StaffOnly;
use crate::components::{ErrorText, Loaded};
use crate::domain::clock::{Basis, Policy, Target, Zone};
use crate::domain::holidays::{self, DayKind};
use crate::errors::AppError;
use crate::functions::settings::{load_settings, RemoveLogo, SaveCalendar, SaveEmbedding, SavePolicy, SaveSiteZone};
use crate::i18n::ConsoleTexts;
use crate::language::use_console_texts;
use crate::models::{CalendarForm, OrgTerms, ServiceSettings};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| load_settings());
    view! {
        <StaffOnly>
            <Loaded resource=settings render=|s| view! { <Settings settings=s/> }/>
        </StaffOnly>
    }
}

#[component]
fn Settings(settings: ServiceSettings) -> impl IntoView {
    let t = use_console_texts();
    let can_edit = settings.can_edit;
    let ready = crate::components::ready_marker();
    view! {
        <main class="console settings" data-ready=ready>
            <h1>{t.settings_title}</h1>
            {(!can_edit).then(|| view! { <p class="hint">{t.settings_read_only}</p> })}
            <CalendarEditor form=settings.calendar can_edit/>
            <h2>{t.policies_title}</h2>
            {settings.orgs.into_iter().map(|org| view! { <PolicyEditor org=org.clone() can_edit/> <EmbedEditor org can_edit/> }).collect_view()}
        </main>
    }
    .into_any()
}

#[component]
fn CalendarEditor(form: CalendarForm, can_edit: bool) -> impl IntoView {
    let t = use_console_texts();
    let always = RwSignal::new(form.always);
    let weekly: Vec<RwSignal<String>> = (0..7).map(|i| RwSignal::new(form.weekly.get(i).cloned().unwrap_or_default())).collect();
    let holidays_text = RwSignal::new(form.holidays.clone());
    // Parsed in the browser on every change: the preview costs no round trip.
    let preview = Memo::new(move |_| holidays::parse(&holidays_text.get()));
    let save = ServerAction::<SaveCalendar>::new();
    let pending = save.pending();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let weekly_for_submit = weekly.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = CalendarForm {
            always: always.get_untracked(),
            weekly: weekly_for_submit.iter().map(|w| w.get_untracked()).collect(),
            holidays: holidays_text.get_untracked(),
        };
        save.dispatch(SaveCalendar { form });
    };
    let on_file = move |ev: leptos::ev::Event| crate::components::read_chosen_file(&ev, holidays_text);
    view! {
        <section aria-labelledby="calendar-h">
            <h2 id="calendar-h">{t.calendar_title}</h2>
            <form class="settings-form" on:submit=submit>
                <fieldset disabled=!can_edit>
                    <p class="hint">{t.calendar_intro}</p>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || always.get() on:change=move |ev| always.set(event_target_checked(&ev))/>
                        {t.calendar_always}
                    </label>
                    <div class="weekly">
                        {weekly.iter().enumerate().map(|(i, w)| {
                            let w = *w;
                            let id = format!("hours-{i}");
                            view! {
                                <label for=id.clone()>{t.weekday(i)}</label>
                                <input id=id inputmode="numeric" maxlength="80" placeholder="08:30-12:00 13:30-17:30"
                                    prop:value=move || w.get() on:input=move |ev| w.set(event_target_value(&ev))/>
                            }
                        }).collect_view()}
                    </div>
                    <h3>{t.holidays_title}</h3>
                    <p class="hint">{t.holidays_intro}</p>
                    <label for="holiday-file">{t.holidays_file}</label>
                    <input id="holiday-file" type="file" accept=".csv,.ics,.txt,text/csv,text/calendar" on:change=on_file/>
                    <label for="holiday-text">{t.holidays_title}</label>
                    <textarea id="holiday-text" rows="8" data-testid="holiday-text"
                        placeholder="2026-10-01,假,国庆节\n2026-10-10,班,国庆调休"
                        prop:value=move || holidays_text.get() on:input=move |ev| holidays_text.set(event_target_value(&ev))></textarea>
                    <HolidayPreview preview/>
                    <button type="submit" class="primary" disabled=move || pending.get()>{t.save_calendar}</button>
                    <Show when=saved><span class="ok" role="status">{t.saved}</span></Show>
                    <ErrorText error/>
                </fieldset>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn HolidayPreview(preview: Memo<holidays::HolidayImport>) -> impl IntoView {
    let t = use_console_texts();
    let summary = move || {
        let p = preview.read();
        let h = p.days.iter().filter(|d| d.kind == DayKind::Holiday).count();
        let w = p.days.len() - h;
        t.holidays_preview.replace("{h}", &h.to_string()).replace("{w}", &w.to_string())
    };
    view! {
        <div class="holiday-preview" data-testid="holiday-preview">
            <p role="status">{summary}</p>
            <ul class="errors">
                {move || preview.read().errors.iter().map(|e| {
                    let text = crate::i18n::fill(t.err_holiday_line, e.line).replace("{p}", t.line_problem(e.problem));
                    view! { <li class="error">{text} <code>{e.text.clone()}</code></li> }
                }).collect_view()}
            </ul>
            <div class="table-wrap">
                <table class="queue">
                    <tbody>
                        {move || preview.read().days.iter().take(400).map(|d| view! {
                            <tr>
                                <td>{d.date.to_string()}</td>
                                <td>{if d.kind == DayKind::Holiday { t.holiday_kind_holiday } else { t.holiday_kind_workday }}</td>
                                <td>{d.name.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}

/// Reaches one target of a policy, for its field in the form.
type TargetField = fn(&mut Policy) -> &mut Target;

fn policy_targets() -> [(&'static str, TargetField); 15] {
    [
        ("response", |p| &mut p.response),
        ("dispatch", |p| &mut p.dispatch),
        ("arrival_ring1", |p| &mut p.arrival_ring1),
        ("arrival_ring2", |p| &mut p.arrival_ring2),
        ("arrival_ring3", |p| &mut p.arrival_ring3),
        ("arrival_nearby_city", |p| &mut p.arrival_nearby_city),
        ("arrival_far", |p| &mut p.arrival_far),
        ("arrival_emergency", |p| &mut p.arrival_emergency),
        ("resolution_emergency", |p| &mut p.resolution_emergency),
        ("resolution_major", |p| &mut p.resolution_major),
        ("resolution_general", |p| &mut p.resolution_general),
        ("repair_host", |p| &mut p.repair_host),
        ("repair_accessory", |p| &mut p.repair_accessory),
        ("complaint", |p| &mut p.complaint),
        ("return_visit", |p| &mut p.return_visit),
    ]
}

fn target_label(t: &ConsoleTexts, key: &str) -> &'static str {
    match key {
        "response" => t.target_response,
        "dispatch" => t.target_dispatch,
        "arrival_ring1" => t.target_arrival_ring1,
        "arrival_ring2" => t.target_arrival_ring2,
        "arrival_ring3" => t.target_arrival_ring3,
        "arrival_nearby_city" => t.target_arrival_nearby_city,
        "arrival_far" => t.target_arrival_far,
        "arrival_emergency" => t.target_arrival_emergency,
        "resolution_emergency" => t.target_resolution_emergency,
        "resolution_major" => t.target_resolution_major,
        "repair_host" => t.target_repair_host,
        "repair_accessory" => t.target_repair_accessory,
        "complaint" => t.target_complaint,
        "return_visit" => t.target_return_visit,
        _ => t.target_resolution_general,
    }
}

pub(crate) fn zone_name(t: &ConsoleTexts, z: Zone) -> &'static str {
    match z {
        Zone::Ring1 => t.zone_ring1,
        Zone::Ring2 => t.zone_ring2,
        Zone::Ring3 => t.zone_ring3,
        Zone::NearbyCity => t.zone_nearby_city,
        Zone::Far => t.zone_far,
    }
}

const ZONES: [(Zone, &str); 5] =
    [(Zone::Ring1, "ring1"), (Zone::Ring2, "ring2"), (Zone::Ring3, "ring3"), (Zone::NearbyCity, "nearby_city"), (Zone::Far, "far")];

#[component]
fn PolicyEditor(org: OrgTerms, can_edit: bool) -> impl IntoView {
    let t = use_console_texts();
    let policy = RwSignal::new(org.policy.clone());
    let save = ServerAction::<SavePolicy>::new();
    let pending = save.pending();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let zone_save = ServerAction::<SaveSiteZone>::new();
    let zone_error = Signal::derive(move || zone_save.value().get().and_then(Result::err));
    let org_id = org.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SavePolicy { org_id, policy: policy.get_untracked() });
    };
    view! {
        <section class="policy" data-testid="policy">
            <h3>{org.name.clone()} <span class="hint">" · " {org.timezone.clone()}</span></h3>
            <form class="settings-form" on:submit=submit>
                <fieldset disabled=!can_edit>
                    <table class="targets">
                        <tbody>
                            {policy_targets().into_iter().map(|(key, field)| {
                                let id = format!("t-{org_id}-{key}");
                                let hours = move || {
                                    let mut p = policy.get();
                                    let m = field(&mut p).minutes;
                                    if m % 60 == 0 { (m / 60).to_string() } else { format!("{:.2}", m as f64 / 60.0) }
                                };
                                let working = move || {
                                    let mut p = policy.get();
                                    field(&mut p).basis == Basis::Working
                                };
                                view! {
                                    <tr>
                                        <td><label for=id.clone()>{target_label(t, key)}</label></td>
                                        <td>
                                            <input id=id type="number" min="0.1" max="1440" step="0.5" required class="hours"
                                                prop:value=hours
                                                on:change=move |ev| {
                                                    let h: f64 = event_target_value(&ev).parse().unwrap_or(0.0);
                                                    policy.update(|p| field(p).minutes = (h * 60.0).round() as i64);
                                                }/>
                                            " " {t.policy_hours}
                                        </td>
                                        <td>
                                            <select aria-label=target_label(t, key) on:change=move |ev| {
                                                let b = if event_target_value(&ev) == "working" { Basis::Working } else { Basis::Always };
                                                policy.update(|p| field(p).basis = b);
                                            }>
                                                <option value="always" selected=move || !working()>{t.policy_basis_always}</option>
                                                <option value="working" selected=working>{t.policy_basis_working}</option>
                                            </select>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <button type="submit" class="primary" disabled=move || pending.get()>{t.save_policy}</button>
                    <Show when=saved><span class="ok" role="status">{t.saved}</span></Show>
                    <ErrorText error/>
                    <h4>{t.sites_title}</h4>
                    <ul class="sites">
                        {org.sites.into_iter().map(|site| {
                            let id = format!("zone-{}", site.id);
                            let site_id = site.id;
                            view! {
                                <li>
                                    <label for=id.clone()>{site.name}</label>
                                    <select id=id on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        if let Some((zone, _)) = ZONES.iter().find(|(_, k)| *k == v) {
                                            zone_save.dispatch(SaveSiteZone { site_id, zone: *zone });
                                        }
                                    }>
                                        {ZONES.iter().map(|(z, k)| view! {
                                            <option value=*k selected=site.zone == *z>{zone_name(t, *z)}</option>
                                        }).collect_view()}
                                    </select>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <ErrorText error=zone_error/>
                </fieldset>
            </form>
        </section>
    }
    .into_any()
}

/// Where the organisation's widget may be embedded, its colour, and the
/// line to paste into the intranet page.
#[component]
fn EmbedEditor(org: OrgTerms, can_edit: bool) -> impl IntoView {
    let t = use_console_texts();
    let origins = RwSignal::new(org.allowed_origins.join("\n"));
    let colour = RwSignal::new(org.theme_color.clone());
    let cap = RwSignal::new(org.daily_case_cap.map(|c| c.to_string()).unwrap_or_default());
    let save = ServerAction::<SaveEmbedding>::new();
    let pending = save.pending();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let org_id = org.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Empty: the server's default; anything else the server checks (a
        // number out of range or not a number gets its localised error).
        let daily_case_cap = match cap.get_untracked().trim() {
            "" => None,
            text => Some(text.parse::<u32>().unwrap_or(0)),
        };
        save.dispatch(SaveEmbedding { org_id, origins: origins.get_untracked(), colour: colour.get_untracked(), daily_case_cap });
    };
    // The page's own origin, known in the browser once hydrated.
    let server = RwSignal::new(String::from("https://SERVER"));
    Effect::new(move |_| {
        if let Ok(origin) = window().location().origin() {
            server.set(origin);
        }
    });
    let key = org.widget_key.clone();
    // With the hotline: what the launcher shows when the service cannot be reached.
    let hotline: String = org.hotline.chars().filter(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ')).collect();
    let snippet =
        move || format!("<script src=\"{}/embed.js\" data-org=\"{}\" data-hotline=\"{}\" async></script>", server.get(), key, hotline);
    let id = format!("origins-{org_id}");
    let colour_id = format!("colour-{org_id}");
    let cap_id = format!("cap-{org_id}");
    view! {
        <section class="embed" data-testid="embed-settings">
            <h4>{t.embed_title}</h4>
            <form class="settings-form" on:submit=submit>
                <fieldset disabled=!can_edit>
                    <label for=id.clone()>{t.embed_origins}</label>
                    <textarea id=id rows="3" spellcheck="false" prop:value=move || origins.get()
                        on:input=move |ev| origins.set(event_target_value(&ev))></textarea>
                    <label for=colour_id.clone()>{t.embed_colour}</label>
                    <input id=colour_id maxlength="7" prop:value=move || colour.get() on:input=move |ev| colour.set(event_target_value(&ev))/>
                    <label for=cap_id.clone()>{t.embed_daily_cap}</label>
                    <input id=cap_id type="text" inputmode="numeric" maxlength="6" data-testid="daily-cap"
                        prop:value=move || cap.get() on:input=move |ev| cap.set(event_target_value(&ev))/>
                    <button type="submit" class="primary" disabled=move || pending.get()>{t.save_embed}</button>
                    <Show when=saved><span class="ok" role="status">{t.saved}</span></Show>
                    <ErrorText error/>
                </fieldset>
            </form>
            <LogoEditor org_id logo_url=org.logo_url.clone() can_edit/>
            <p>{t.embed_snippet}</p>
            <pre class="snippet" data-testid="embed-snippet"><code>{snippet}</code></pre>
            // QR labels on the equipment open the same report page, the equipment chosen.
            <ul class="links" data-testid="label-links">
                <li><a href=format!("/console/labels?org={org_id}") target="_blank" rel="external">{t.labels_org}</a></li>
                {org.sites.iter().map(|site| view! {
                    <li><a href=format!("/console/labels?site={}", site.id) target="_blank" rel="external">{t.labels_site.replace("{s}", &site.name)}</a></li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// The logo at the top of the organisation's widget: uploaded as soon as it
/// is chosen (the server checks type and size), shown, and removable.
#[component]
fn LogoEditor(org_id: i64, logo_url: String, can_edit: bool) -> impl IntoView {
    let t = use_console_texts();
    let logo = RwSignal::new(logo_url);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let remove = ServerAction::<RemoveLogo>::new();
    let remove_error = Signal::derive(move || remove.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            logo.set(String::new());
        }
    });
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            error.set(None);
            busy.set(true);
            leptos::task::spawn_local(async move {
                match upload_logo(org_id, &file).await {
                    Ok(url) => logo.set(url),
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, org_id, busy, error);
    };
    let id = format!("logo-{org_id}");
    view! {
        <div class="logo-editor" data-testid="logo-editor">
            <label for=id.clone()>{t.embed_logo}</label>
            {move || {
                let url = logo.get();
                if url.is_empty() {
                    view! { <p class="hint">{t.embed_logo_none}</p> }.into_any()
                } else {
                    view! { <img class="logo-preview" src=url alt="" data-testid="logo-preview"/> }.into_any()
                }
            }}
            <input id=id type="file" accept="image/png,image/jpeg,image/webp" disabled=!can_edit on:change=on_change data-testid="logo-input"/>
            <p class="hint" role="status">{move || if busy.get() { t.embed_logo_uploading } else { "" }}</p>
            <Show when=move || can_edit && !logo.get().is_empty()>
                <button type="button" class="secondary" disabled=move || remove.pending().get()
                    on:click=move |_| { remove.dispatch(RemoveLogo { org_id }); }>{t.remove_logo}</button>
            </Show>
            <ErrorText error=error.into()/>
            <ErrorText error=remove_error/>
        </div>
    }
    .into_any()
}

/// Sends the logo as the request body; answers its new address.
#[cfg(feature = "hydrate")]
async fn upload_logo(org_id: i64, file: &web_sys::File) -> Result<String, AppError> {
    use crate::domain::embedding::MAX_LOGO_BYTES;
    use crate::errors::UploadProblem;
    // Refused at once rather than after the upload.
    if file.size() > MAX_LOGO_BYTES as f64 {
        return Err(AppError::InvalidUpload { problem: UploadProblem::TooLarge { max_kb: (MAX_LOGO_BYTES / 1024) as u32 } });
    }
    #[derive(serde::Deserialize)]
    struct Saved {
        url: String,
    }
    crate::components::photos::post_file::<Saved>(&format!("/api/org-logo?org_id={org_id}"), None, file).await.map(|s| s.url)
}
