//! Console: the guide library with per-guide analytics, import, export and
//! a preview of the walk as customers see it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::staff::StaffOnly;
use crate::components::Loaded;
use crate::domain::guide::{Guide, NodeKind, Outcome, WalkStep};
use crate::functions::guides::{get_guide, list_guide_stats, ImportGuide};
use crate::language::{use_console_texts, use_locale};
use crate::models::GuideStats;

#[component]
pub fn GuidesPage() -> impl IntoView {
    view! {
        <StaffOnly>
            <GuideLibrary/>
        </StaffOnly>
    }
}

#[component]
fn GuideLibrary() -> impl IntoView {
    let t = use_console_texts();
    let import = ServerAction::<ImportGuide>::new();
    // Reload the table after each successful import.
    let stats = Resource::new(move || import.version().get(), |_| list_guide_stats());
    view! {
        <main class="console">
            <h1>{t.guides_title}</h1>
            <Loaded resource=stats render=|rows| view! { <StatsTable rows/> }/>
            <ImportForm import/>
        </main>
    }
}

#[component]
fn StatsTable(rows: Vec<GuideStats>) -> impl IntoView {
    let t = use_console_texts();
    let top = |rows: &[(String, i64)]| rows.iter().take(3).map(|(n, c)| format!("{n} ({c})")).collect::<Vec<_>>().join("; ");
    view! {
        <div class="table-wrap">
            <table class="queue guides" data-testid="guide-stats">
                <thead>
                    <tr>
                        <th scope="col">{t.col_guide}</th>
                        <th scope="col">{t.col_equipment}</th>
                        <th scope="col">{t.col_started}</th>
                        <th scope="col">{t.col_self_resolved}</th>
                        <th scope="col">{t.col_escalated}</th>
                        <th scope="col">{t.col_abandoned}</th>
                        <th scope="col">{t.col_deflection}</th>
                        <th scope="col">{t.resolved_at} / {t.escalated_from} / {t.abandoned_at}</th>
                        <th scope="col"></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let detail = [
                                (t.resolved_at, top(&r.resolved_at)),
                                (t.escalated_from, top(&r.escalated_from)),
                                (t.abandoned_at, top(&r.abandoned_at)),
                            ];
                            view! {
                                <tr data-guide=r.id.clone()>
                                    <td>
                                        <strong>{r.title}</strong>
                                        <br/>
                                        <span class="hint">{format!("{} v{} · {} nodes", r.id, r.version, r.nodes)}</span>
                                    </td>
                                    <td>{r.equipment.join(", ")}</td>
                                    <td class="num" data-col="started">{r.started}</td>
                                    <td class="num" data-col="self_resolved">{r.self_resolved}</td>
                                    <td class="num" data-col="escalated">{r.escalated}</td>
                                    <td class="num" data-col="abandoned">{r.abandoned}</td>
                                    <td class="num" data-col="deflection">{r.deflection_percent.map(|p| format!("{p}%")).unwrap_or_else(|| "–".into())}</td>
                                    <td class="nodes">
                                        {detail
                                            .into_iter()
                                            .filter(|(_, v)| !v.is_empty())
                                            .map(|(k, v)| view! { <div><span class="hint">{k} ": "</span> {v}</div> })
                                            .collect_view()}
                                    </td>
                                    <td class="actions">
                                        <a href=format!("/console/guides/{}/{}", r.id, r.version)>{t.preview}</a>
                                        " "
                                        <a href=format!("/console/guides/{}/{}/export", r.id, r.version) rel="external" download>{t.export}</a>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ImportForm(import: ServerAction<ImportGuide>) -> impl IntoView {
    let t = use_console_texts();
    let json = RwSignal::new(String::new());
    let pending = import.pending();
    let result = import.value();
    let area = NodeRef::<leptos::html::Textarea>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Import what the field shows: text pasted while the page was still
        // hydrating never reached the signal.
        let shown = area.get_untracked().map(|a| a.value());
        import.dispatch(ImportGuide { json: shown.unwrap_or_else(|| json.get_untracked()) });
    };
    view! {
        <section class="import" aria-labelledby="import-title">
            <h2 id="import-title">{t.import_title}</h2>
            <p class="hint">{t.import_hint}</p>
            <form on:submit=on_submit>
                <label for="guide-file">{t.import_title}</label>
                <input id="guide-file" type="file" accept=".json,application/json" on:change=move |ev| read_file_into(&ev, json)/>
                <label for="guide-json">"JSON"</label>
                <textarea id="guide-json" rows="8" bind:value=json node_ref=area spellcheck="false"></textarea>
                <button type="submit" class="primary" disabled=move || pending.get()>{t.import_button}</button>
            </form>
            {move || {
                result.get().map(|r| match r {
                    Ok((id, version)) => view! { <p class="ok" role="status">{format!("{}: {id} v{version}", t.imported)}</p> }.into_any(),
                    Err(e) => view! { <pre class="error" role="alert">{t.error(&e)}</pre> }.into_any(),
                })
            }}
        </section>
    }
}

fn read_file_into(ev: &leptos::ev::Event, into: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let file = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).and_then(|i| i.files()).and_then(|f| f.get(0));
        if let Some(file) = file {
            leptos::task::spawn_local(async move {
                if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    into.set(text.as_string().unwrap_or_default());
                }
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, into);
}

#[component]
pub fn GuidePreviewPage() -> impl IntoView {
    view! {
        <StaffOnly>
            <GuidePreviewLoader/>
        </StaffOnly>
    }
}

#[component]
fn GuidePreviewLoader() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (p.get("id").unwrap_or_default(), p.get("version").and_then(|v| v.parse::<u32>().ok()).unwrap_or(0))
    };
    let guide = Resource::new(key, |(id, version)| get_guide(id, version));
    view! { <Loaded resource=guide render=|g| view! { <GuidePreview guide=g/> }/> }
}

/// Walks a guide as the customer would; every exit is a button, so staff can
/// reach each branch (checks included) without running the check.
#[component]
fn GuidePreview(guide: Guide) -> impl IntoView {
    let t = use_console_texts();
    let locale = use_locale();
    let steps = RwSignal::new(Vec::<WalkStep>::new());
    let title = guide.title.get(locale).to_string();
    let guide = StoredValue::new(guide);
    let view_node = move || {
        let taken = steps.get();
        let node = guide.with_value(|g| g.current(&taken).cloned())?;
        let text = match &node.kind {
            NodeKind::Question { prompt, .. } | NodeKind::Collect { prompt, .. } | NodeKind::Check { prompt, .. } => {
                prompt.get(locale).to_string()
            }
            NodeKind::Instruction { text, .. } => text.get(locale).to_string(),
            NodeKind::Outcome(Outcome::Resolved { message }) => format!("{} — {}", t.resolved_title, message.get(locale)),
            NodeKind::Outcome(Outcome::Escalate { message, technician_hint, .. }) => {
                format!("{} — {} ({}: {})", t.escalate_title, message.get(locale), t.case_technician_hint, technician_hint.get(locale))
            }
        };
        let labels: Vec<(String, String)> = match &node.kind {
            NodeKind::Question { choices, .. } => choices.iter().map(|c| (c.id.clone(), c.label.get(locale).to_string())).collect(),
            NodeKind::Instruction { .. } => vec![("yes".into(), t.helped_yes.into()), ("no".into(), t.helped_no.into())],
            _ => node.kind.exits().into_iter().map(|(choice, next)| (choice.clone(), format!("{choice} → {next}"))).collect(),
        };
        Some(view! {
            <p class="step-no">{format!("{} · {}", node.id, crate::i18n::fill(t.guide_step, taken.len() + 1))}</p>
            <h2 data-testid="preview-prompt">{text}</h2>
            <div class="choices">
                {labels
                    .into_iter()
                    .map(|(choice, label)| {
                        let node_id = node.id.clone();
                        view! {
                            <button type="button" class="choice" on:click=move |_| {
                                steps.update(|s| s.push(WalkStep { node: node_id.clone(), choice: choice.clone(), value: None, photo: None, at_ms: 0 }))
                            }>{label}</button>
                        }
                    })
                    .collect_view()}
            </div>
        })
    };
    view! {
        <main class="console guide-preview">
            <p><a href="/console/guides">"← " {t.guides_title}</a></p>
            <h1>{t.preview} ": " {title}</h1>
            <p class="hint">{t.preview_note}</p>
            <section class="guide widget-like">{view_node}</section>
            <div class="guide-nav">
                <button type="button" class="secondary" on:click=move |_| { steps.update(|s| { s.pop(); }); }>{t.back}</button>
                <button type="button" class="secondary" on:click=move |_| steps.set(Vec::new())>{t.restart}</button>
            </div>
        </main>
    }
}
