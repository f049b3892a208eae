//! The table and the budgets.

use crate::load::Sample;
use crate::target::Backend;
use crate::{Options, Results};

/// The widget's sizes in brotli KB, by the test command's own size report
/// (Node): the first open (what the report form needs), with the code that
/// follows it, and a whole guide walk (plus the walk's chunks). `None`
/// where Node or the script is missing.
pub fn widget_sizes_kb(base: &str) -> Option<WidgetSizes> {
    let pkg = std::path::Path::new(&std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into())).join("pkg");
    // The walk's own chunk and the chunks it shares with the tracker.
    let mut later = vec!["/pkg/split_widget_guide.wasm".to_string()];
    if let Ok(dir) = std::fs::read_dir(&pkg) {
        later.extend(
            dir.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with("chunk_") && n.ends_with(".wasm"))
                .map(|n| format!("/pkg/{n}")),
        );
    }
    let out = std::process::Command::new("node")
        .args(["end2end/size-report.mjs", &format!("{base}/widget/{}", crate::ORG)])
        .args(&later)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let total = |label: &str| -> Option<f64> {
        // Labels end where the columns begin (two spaces or more).
        let line = text.lines().find(|l| l.split("  ").next() == Some(label))?;
        line.split_whitespace().last()?.parse().ok()
    };
    Some(WidgetSizes { first_open: total("total")?, with_code: total("total with code")?, guide_walk: total("total with later")? })
}

#[derive(Debug, Clone, Copy)]
pub struct WidgetSizes {
    pub first_open: f64,
    pub with_code: f64,
    pub guide_walk: f64,
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).unwrap_or("?").trim().to_string();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem_kb: f64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0.0);
    format!("{model}, {cores} cores, {:.0} GB", mem_kb / 1024.0 / 1024.0)
}

fn load(s: &Sample) -> String {
    let failed = if s.failed > 0 { format!(" ({} failed)", s.failed) } else { String::new() };
    format!("{:>6.0}/s p50 {:>5.1} p99 {:>6.1} ms{failed}", s.rate(), s.quantile_ms(0.5), s.quantile_ms(0.99))
}

fn latency(s: &Sample) -> String {
    let failed = if s.failed > 0 { format!(" ({} failed)", s.failed) } else { String::new() };
    format!("p50 {:>5.1} p99 {:>6.1} ms, {:.0}/s{failed}", s.quantile_ms(0.5), s.quantile_ms(0.99), s.rate())
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

fn escalation(r: &Results, clients: usize) -> &Sample {
    &r.escalation.iter().find(|(c, _)| *c == clients).expect("measured").1
}

/// Prints the table and the budgets; true when every budget passed.
pub fn print(results: &[Results], o: &Options) -> bool {
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    println!("Fixline bench, {now}: {}; {} s per load over loopback, load generator on the same machine", machine(), o.seconds);
    println!();
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |label: &str, f: &dyn Fn(&Results) -> String| rows.push((label.to_string(), results.iter().map(f).collect()));
    for clients in crate::CLOSED_CLIENTS {
        row(&format!("escalation (submit_case), c={clients}"), &|r| load(escalation(r, clients)));
    }
    row(&format!("escalation, open loop {}/s", crate::OPEN_RATE), &|r| latency(&r.escalation_open.1));
    row("floor: bare insert, 1 row per transaction", &|r| format!("{:>6.0}/s", r.insert_floor));
    row("escalation c=32 / bare insert floor", &|r| format!("{:>5.0} %", percent(escalation(r, 32).rate(), r.insert_floor)));
    row("load_guides, c=32", &|r| load(&r.guides));
    row("  floor: bare handler, same bytes", &|r| {
        format!("{} → {:.0} %", load(&r.guides_floor), percent(r.guides.rate(), r.guides_floor.rate()))
    });
    row("widget page, c=32", &|r| load(&r.widget));
    row("  floor: bare handler, same bytes", &|r| {
        format!("{} → {:.0} %", load(&r.widget_floor), percent(r.widget.rate(), r.widget_floor.rate()))
    });
    let scale = format!("{} cases ({} open)", o.cases, o.open);
    row(&format!("list_queue, {scale}, c=4"), &|r| latency(&r.queue));
    row(&format!("/console, {scale}, c=4"), &|r| latency(&r.console));
    row("schedules computed, breach job settled", &|r| format!("{:.1} s after start", r.settle_seconds));
    row("server CPU when idle (20 s)", &|r| match r.backend {
        Backend::Postgres => format!("{:.2} % of a core (+ {:.2} % in PostgreSQL)", r.idle_cpu_percent, r.idle_db_cpu_percent),
        Backend::Sqlite => format!("{:.2} % of a core", r.idle_cpu_percent),
    });
    row("RSS idle / peak at c=200 / 3 s after", &|r| format!("{:.1} / {:.1} / {:.1} MB", r.rss_idle_mb, r.rss_peak_mb, r.rss_after_mb));
    let sizes = |f: fn(&WidgetSizes) -> f64| {
        move |r: &Results| r.widget_kb.as_ref().map(|s| format!("{:.1} KB", f(s))).unwrap_or_else(|| "not measured (no node)".into())
    };
    row("widget first open (brotli)", &sizes(|s| s.first_open));
    row("  with its code, after the page", &sizes(|s| s.with_code));
    row("  a whole guide walk", &sizes(|s| s.guide_walk));
    let width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0) + 2;
    print!("{:width$}", "");
    for r in results {
        print!("{:<48}", r.backend.name());
    }
    println!();
    for (label, cells) in &rows {
        print!("{label:width$}", label = label, width = width);
        for c in cells {
            print!("{c:<48}");
        }
        println!();
    }

    println!();
    let mut all = true;
    let mut budget = |ok: bool, what: String| {
        all &= ok;
        println!("{}  {what}", if ok { "PASS" } else { "FAIL" });
    };
    let sqlite = results.iter().find(|r| r.backend == Backend::Sqlite);
    let postgres = results.iter().find(|r| r.backend == Backend::Postgres);
    if let Some(s) = sqlite {
        let e = escalation(s, 32);
        budget(e.rate() >= 1500.0, format!("SQLite escalation c=32 ≥ 1,500/s: {:.0}/s", e.rate()));
        budget(e.quantile_ms(0.99) <= 40.0, format!("SQLite escalation c=32 p99 ≤ 40 ms: {:.1} ms", e.quantile_ms(0.99)));
        if let Some(p) = postgres {
            let pe = escalation(p, 32);
            budget(e.rate() >= pe.rate(), format!("SQLite escalation c=32 ≥ PostgreSQL's: {:.0}/s vs {:.0}/s", e.rate(), pe.rate()));
        }
        if let Some(w) = s.widget_kb {
            budget(w.first_open <= 100.0, format!("widget first open ≤ 100 KB brotli: {:.1} KB", w.first_open));
            budget(w.guide_walk <= 200.0, format!("widget guide walk ≤ 200 KB brotli: {:.1} KB", w.guide_walk));
        }
    }
    for r in results {
        let n = r.backend.name();
        let open = &r.escalation_open.1;
        budget(
            open.quantile_ms(0.99) <= 25.0,
            format!("{n} escalation open loop {}/s p99 ≤ 25 ms: {:.1} ms", r.escalation_open.0, open.quantile_ms(0.99)),
        );
        let share = percent(escalation(r, 32).rate(), r.insert_floor);
        budget(share >= 50.0, format!("{n} escalation c=32 ≥ 50 % of the bare-insert floor: {share:.0} %"));
        budget(
            r.queue.quantile_ms(0.99) <= 30.0,
            format!("{n} list_queue p99 ≤ 30 ms with {} cases: {:.1} ms", o.cases, r.queue.quantile_ms(0.99)),
        );
        budget(
            r.console.quantile_ms(0.99) <= 30.0,
            format!("{n} /console p99 ≤ 30 ms with {} cases: {:.1} ms", o.cases, r.console.quantile_ms(0.99)),
        );
        budget(r.idle_cpu_percent <= 2.0, format!("{n} idle server CPU ≤ 2 % of a core: {:.2} %", r.idle_cpu_percent));
        budget(r.rss_idle_mb <= 32.0, format!("{n} RSS idle ≤ 32 MB: {:.1} MB", r.rss_idle_mb));
        budget(r.rss_peak_mb <= 128.0, format!("{n} RSS under load ≤ 128 MB: {:.1} MB", r.rss_peak_mb));
        let samples = r.escalation.iter().map(|(_, s)| s).chain([open, &r.guides, &r.widget, &r.queue, &r.console]);
        let failed: u64 = samples.clone().map(|s| s.failed).sum();
        let first = samples.filter_map(|s| s.first_failure.clone()).next().unwrap_or_default();
        budget(failed == 0, format!("{n} no request failed: {failed} failed {first}"));
    }
    all
}
