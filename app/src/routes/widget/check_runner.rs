//! A guide's diagnosis step: runs the check in the browser and shows what
//! it found.

use super::*;

/// Runs one check on request and advances the walk with its finding.
#[component]
pub(super) fn CheckRunner(
    node: String,
    check: Check,
    branches: Vec<guide::Branch>,
    server_now_ms: i64,
    received_at_ms: i64,
    values: Vec<(String, String)>,
    advance: impl Fn(String, String, Option<String>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let t = use_texts();
    let locale = use_locale();
    let progress = RwSignal::new(None::<f64>);
    let check = StoredValue::new(check);
    let branches = StoredValue::new(branches);
    let node = StoredValue::new(node);
    let values = StoredValue::new(values);
    let finish = move |finding: Finding, summary: String| {
        progress.set(None);
        let choice = branches.with_value(|b| choose(b, &finding));
        advance(node.get_value(), choice, Some(summary));
    };
    let run = move |file: Option<FileHandle>| {
        let check = check.get_value();
        progress.set(Some(0.0));
        leptos::task::spawn_local(async move {
            let value_of = |key: &str| values.with_value(|v| v.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
            match check {
                Check::Clock { max_skew_seconds } => {
                    let skew = clock_skew_seconds(server_now_ms, received_at_ms);
                    finish(Finding::Result(clock_result(skew, max_skew_seconds)), format!("clock skew {skew} s"));
                }
                Check::ErrorCode { code_key, codes } => {
                    let code = value_of(&code_key).unwrap_or_default();
                    let meaning =
                        codes.iter().find(|c| c.code.eq_ignore_ascii_case(code.trim())).map(|c| c.meaning.get(locale).to_string());
                    let summary = match meaning {
                        Some(m) => format!("{code}: {m}"),
                        None => format!("{code}: ?"),
                    };
                    finish(Finding::Code(code), summary);
                }
                #[cfg(feature = "hydrate")]
                Check::Reachability { address_key } => {
                    let address = value_of(&address_key).unwrap_or_default();
                    let (result, summary) = super::checks::reachability(&address).await;
                    finish(Finding::Result(result), summary);
                }
                #[cfg(feature = "hydrate")]
                Check::Connection { max_latency_ms, min_kbps } => {
                    let (result, summary) = super::checks::connection(max_latency_ms, min_kbps).await;
                    finish(Finding::Result(result), summary);
                }
                #[cfg(feature = "hydrate")]
                Check::LogAnalysis { patterns } => match file {
                    Some(FileHandle(file)) => match super::checks::scan_file(file, &patterns, |p| progress.set(Some(p))).await {
                        Ok(counts) => {
                            let summary = super::checks::pattern_summary(&patterns, &counts, locale);
                            finish(Finding::Patterns(counts), summary);
                        }
                        Err(e) => finish(Finding::Result(CheckResult::Unknown), e),
                    },
                    None => finish(Finding::Result(CheckResult::Unknown), "no log file".into()),
                },
                // Only the browser build runs the network and file checks; the
                // server renders this component but never runs a check.
                #[allow(unreachable_patterns)]
                _ => {
                    let _ = file;
                    finish(Finding::Result(CheckResult::Unknown), "not run".into())
                }
            }
        });
    };
    let is_log = check.with_value(|c| matches!(c, Check::LogAnalysis { .. }));
    view! {
        {move || match progress.get() {
            Some(p) => view! {
                <p role="status">{t.check_running} " " {format!("{:.0}%", p * 100.0)}</p>
                <progress max="100" value=format!("{:.0}", p * 100.0)></progress>
            }.into_any(),
            None if is_log => view! {
                <label for="log-file">{t.pick_log_file}</label>
                <input id="log-file" type="file" accept=".log,.txt,.csv,text/plain"
                    on:change=move |ev| run(file_from_event(&ev))/>
                <p class="hint">{t.log_stays_local}</p>
                <button type="button" class="link" on:click=move |_| run(None)>{t.skip_check}</button>
            }.into_any(),
            None => view! { <button type="button" class="primary" on:click=move |_| run(None)>{t.run_check}</button> }.into_any(),
        }}
    }
}

/// A picked file; wraps the browser type so the component compiles on the server.
pub(super) struct FileHandle(#[cfg(feature = "hydrate")] web_sys::File, #[cfg(not(feature = "hydrate"))] ());

pub(super) fn file_from_event(ev: &leptos::ev::Event) -> Option<FileHandle> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let input: web_sys::HtmlInputElement = ev.target()?.dyn_into().ok()?;
        input.files()?.get(0).map(FileHandle)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}
