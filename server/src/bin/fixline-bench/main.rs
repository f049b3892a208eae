//! `fixline-bench`: Fixline's performance budgets, measured. Run through
//! `tools/bench` (which builds the release server first); not part of the
//! test command, because timings belong in a bench, not in timed tests.
//!
//! For each database it starts the release server on a fresh database,
//! loads it from this process over loopback, and prints one table with the
//! same run's floors (a bare HTTP handler, a bare insert loop) and a
//! PASS/FAIL line per budget. Every loop is bounded in time.

mod floor;
mod load;
mod report;
mod seed;
mod target;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use load::{Sample, Spec};
use serde_json::{json, Value};
use target::{Backend, Database, Server};

#[derive(Parser)]
#[command(name = "fixline-bench", about = "Fixline's performance budgets, measured")]
struct Options {
    /// Databases to measure: sqlite, postgres or both
    #[arg(long, default_value = "both")]
    db: String,
    /// Seconds each load runs
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Cases in the database for the queue and idle measurements
    #[arg(long, default_value_t = 100_000)]
    cases: i64,
    /// How many of them are open
    #[arg(long, default_value_t = 10_000)]
    open: i64,
    /// A PostgreSQL database the bench may create and drop databases from
    #[arg(long, env = "FIXLINE_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg_url: String,
    /// The release server
    #[arg(long, default_value = "target/release/fixline")]
    fixline: String,
    /// The built site (bundles and assets)
    #[arg(long, default_value = "target/site")]
    site_root: String,
    /// Only the queue and console with many cases (printed, no budgets):
    /// for profiling one part without the rest
    #[arg(long)]
    only_queue: bool,
    /// With --only-queue: keep the seeded server up this many seconds
    /// afterwards (its address and a staff cookie are printed)
    #[arg(long, default_value_t = 0)]
    hold: u64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    if args.get(1).map(String::as_str) == Some("floor-server") {
        return match runtime.block_on(floor::serve(&args[2..])) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        };
    }
    let options = Options::parse();
    let backends = match options.db.as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        "both" => vec![Backend::Sqlite, Backend::Postgres],
        other => return fail(format!("--db {other}: use sqlite, postgres or both")),
    };
    if options.only_queue {
        for backend in backends {
            let client = load::client();
            let run = Duration::from_secs(options.seconds);
            match runtime.block_on(measure_queue(&options, backend, &client, Duration::from_millis(700), run)) {
                Ok(q) => println!(
                    "{}: list_queue p50 {:.1} p99 {:.1} ms {:.0}/s; /console p50 {:.1} p99 {:.1} ms {:.0}/s",
                    backend.name(),
                    q.queue.quantile_ms(0.5),
                    q.queue.quantile_ms(0.99),
                    q.queue.rate(),
                    q.console.quantile_ms(0.5),
                    q.console.quantile_ms(0.99),
                    q.console.rate()
                ),
                Err(e) => return fail(format!("{}: {e}", backend.name())),
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut results = Vec::new();
    for backend in backends {
        eprintln!("[bench] {} …", backend.name());
        match runtime.block_on(measure(&options, backend)) {
            Ok(r) => results.push(r),
            Err(e) => return fail(format!("{}: {e}", backend.name())),
        }
    }
    if report::print(&results, &options) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("fixline-bench: {message}");
    ExitCode::FAILURE
}

/// What one database measured.
pub struct Results {
    pub backend: Backend,
    pub escalation: Vec<(usize, Sample)>,
    pub escalation_open: (u32, Sample),
    pub insert_floor: f64,
    pub guides: Sample,
    pub guides_floor: Sample,
    pub widget: Sample,
    pub widget_floor: Sample,
    pub queue: Sample,
    pub console: Sample,
    pub rss_idle_mb: f64,
    pub rss_peak_mb: f64,
    pub rss_after_mb: f64,
    pub idle_cpu_percent: f64,
    pub idle_db_cpu_percent: f64,
    pub settle_seconds: f64,
    /// The widget's sizes, brotli KB (from end2end/size-report.mjs).
    pub widget_kb: Option<report::WidgetSizes>,
}

const ORG: &str = "demo-hospital";
pub const CLOSED_CLIENTS: [usize; 3] = [1, 32, 200];
pub const OPEN_RATE: u32 = 500;

async fn measure(o: &Options, backend: Backend) -> Result<Results, String> {
    let client = load::client();
    let run = Duration::from_secs(o.seconds);
    let warm = Duration::from_millis(700);

    // Escalations: each level on a fresh database.
    let mut escalation = Vec::new();
    let (mut rss_idle_mb, mut rss_peak_mb, mut rss_after_mb) = (0.0, 0.0, 0.0);
    for clients in CLOSED_CLIENTS {
        let (db, server) = start(o, backend, &[]).await?;
        if clients == 1 {
            rss_idle_mb = server.rss_mb();
        }
        let spec = Arc::new(escalation_spec(&client, &server).await?);
        load::closed(&client, spec.clone(), clients, warm).await;
        let sample = load::closed(&client, spec, clients, run).await;
        eprintln!("[bench]   escalation c={clients}: {:.0}/s p99 {:.1} ms", sample.rate(), sample.quantile_ms(0.99));
        if clients == 200 {
            rss_peak_mb = server.peak_rss_mb();
            tokio::time::sleep(Duration::from_secs(3)).await;
            rss_after_mb = server.rss_mb();
        }
        escalation.push((clients, sample));
        server.stop();
        db.remove().await;
    }
    let (db, server) = start(o, backend, &[]).await?;
    let spec = Arc::new(escalation_spec(&client, &server).await?);
    load::closed(&client, spec.clone(), 8, warm).await;
    let escalation_open = (OPEN_RATE, load::open(&client, spec, OPEN_RATE, run).await);
    server.stop();
    db.remove().await;

    let db = Database::fresh(backend, &o.pg_url).await?;
    let floor_url = match backend {
        Backend::Sqlite => db.url.replace("fixline.db", "floor.db"),
        Backend::Postgres => db.url.clone(),
    };
    let insert_floor = floor::inserts_per_second(backend, &floor_url, 32, run).await?;
    db.remove().await;

    // Reads, beside a bare handler serving the very same bytes.
    let (db, server) = start(o, backend, &[]).await?;
    let asset = alarm_panel(&client, &server).await?;
    let guides_spec = Arc::new(form_spec(&server, "load_guides", format!("org_key={ORG}&asset_id={asset}")));
    let widget_spec = Arc::new(Spec::get(format!("{}/widget/{ORG}", server.base), browser_headers("text/html")));
    let (guides, guides_floor) = beside_floor(&client, guides_spec, 32, warm, run).await?;
    let (widget, widget_floor) = beside_floor(&client, widget_spec, 32, warm, run).await?;
    let widget_kb = report::widget_sizes_kb(&server.base);
    server.stop();
    db.remove().await;

    let q = measure_queue(o, backend, &client, warm, run).await?;

    Ok(Results {
        backend,
        escalation,
        escalation_open,
        insert_floor,
        guides,
        guides_floor,
        widget,
        widget_floor,
        queue: q.queue,
        console: q.console,
        rss_idle_mb,
        rss_peak_mb,
        rss_after_mb,
        idle_cpu_percent: q.idle_cpu_percent,
        idle_db_cpu_percent: q.idle_db_cpu_percent,
        settle_seconds: q.settle_seconds,
        widget_kb,
    })
}

/// The queue, the console and the idle server, on a year of cases.
struct QueueResults {
    queue: Sample,
    console: Sample,
    idle_cpu_percent: f64,
    idle_db_cpu_percent: f64,
    settle_seconds: f64,
}

async fn measure_queue(
    o: &Options,
    backend: Backend,
    client: &reqwest::Client,
    warm: Duration,
    run: Duration,
) -> Result<QueueResults, String> {
    let (db, server) = start(o, backend, &[]).await?;
    let template = submit_one(client, &server).await?;
    server.stop();
    eprintln!("[bench]   seeding {} cases ({} open) …", o.cases, o.open);
    seed::cases(&db.url, template, o.open, o.cases - o.open).await?;
    let server = Server::start(&o.fixline, &o.site_root, &db.url, &["--breach-every", "10"])?;
    let settle_seconds = seed::settled(&db.url, Duration::from_secs(300)).await?.as_secs_f64();
    seed::analyze(&db.url).await?;
    let idle = Duration::from_secs(20);
    let (cpu_before, db_cpu_before) = (server.cpu_seconds(), target::postgres_cpu());
    tokio::time::sleep(idle).await;
    let idle_cpu_percent = (server.cpu_seconds() - cpu_before) / idle.as_secs_f64() * 100.0;
    let idle_db_cpu_percent = match backend {
        Backend::Postgres => target::postgres_cpu_between(&db_cpu_before, &target::postgres_cpu()) / idle.as_secs_f64() * 100.0,
        Backend::Sqlite => 0.0,
    };
    let cookie = login(client, &server).await?;
    let cookie_text = cookie.clone();
    let mut queue_spec = json_spec(&server, "list_queue", json!({ "filter": {} }));
    queue_spec.headers.push(("cookie", cookie.clone()));
    let queue_spec = Arc::new(queue_spec);
    let mut console_headers = browser_headers("text/html");
    console_headers.push(("cookie", cookie));
    let console_spec = Arc::new(Spec::get(format!("{}/console", server.base), console_headers));
    load::closed(client, queue_spec.clone(), 4, warm).await;
    let queue = load::closed(client, queue_spec, 4, run).await;
    load::closed(client, console_spec.clone(), 4, warm).await;
    let console = load::closed(client, console_spec, 4, run).await;
    if o.hold > 0 {
        eprintln!("[bench]   holding {} (pid {}) for {} s; cookie: {cookie_text}", server.base, server.pid(), o.hold);
        tokio::time::sleep(Duration::from_secs(o.hold)).await;
    }
    server.stop();
    db.remove().await;
    Ok(QueueResults { queue, console, idle_cpu_percent, idle_db_cpu_percent, settle_seconds })
}

async fn start(o: &Options, backend: Backend, extra: &[&str]) -> Result<(Database, Server), String> {
    let db = Database::fresh(backend, &o.pg_url).await?;
    let server = Server::start(&o.fixline, &o.site_root, &db.url, extra)?;
    Ok((db, server))
}

/// Loads a spec against Fixline, then against a bare handler answering
/// with the bytes Fixline sent.
async fn beside_floor(
    client: &reqwest::Client,
    spec: Arc<Spec>,
    clients: usize,
    warm: Duration,
    run: Duration,
) -> Result<(Sample, Sample), String> {
    load::closed(client, spec.clone(), clients, warm).await;
    let sample = load::closed(client, spec.clone(), clients, run).await;
    let mut request = client.request(spec.method.clone(), &spec.url).body((spec.body)(0));
    for (name, value) in &spec.headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (content_type, encoding) = (header("content-type").unwrap_or_default(), header("content-encoding"));
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    let floor = floor::FloorServer::start(&bytes, &content_type, encoding.as_deref())?;
    let path = spec.url.splitn(4, '/').nth(3).unwrap_or("");
    let floor_spec = Arc::new(Spec {
        method: reqwest::Method::GET,
        url: format!("{}/{path}", floor.base),
        headers: spec.headers.clone(),
        body: Box::new(|_| Vec::new()),
    });
    load::closed(client, floor_spec.clone(), clients, warm).await;
    let floor_sample = load::closed(client, floor_spec, clients, run).await;
    Ok((sample, floor_sample))
}

/// What a browser sends with a request.
fn browser_headers(accept: &str) -> Vec<(&'static str, String)> {
    vec![("accept", accept.to_string()), ("accept-encoding", "br, gzip".to_string())]
}

fn form_spec(server: &Server, endpoint: &str, body: String) -> Spec {
    let mut headers = browser_headers("application/json");
    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
    headers.push(("origin", server.base.clone()));
    Spec {
        method: reqwest::Method::POST,
        url: format!("{}/api/{endpoint}", server.base),
        headers,
        body: Box::new(move |_| body.clone().into_bytes()),
    }
}

fn json_spec(server: &Server, endpoint: &str, body: Value) -> Spec {
    let mut headers = browser_headers("application/json");
    headers.push(("content-type", "application/json".into()));
    headers.push(("origin", server.base.clone()));
    let body = body.to_string();
    Spec {
        method: reqwest::Method::POST,
        url: format!("{}/api/{endpoint}", server.base),
        headers,
        body: Box::new(move |_| body.clone().into_bytes()),
    }
}

async fn call(client: &reqwest::Client, spec: &Spec) -> Result<(Value, Option<String>), String> {
    let mut request = client.request(spec.method.clone(), &spec.url).body((spec.body)(0));
    for (name, value) in &spec.headers {
        if *name != "accept-encoding" {
            request = request.header(*name, value);
        }
    }
    let response = request.send().await.map_err(|e| format!("{}: {e}", spec.url))?;
    let status = response.status();
    let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).map(|c| c.split(';').next().unwrap_or("").to_string());
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() && !status.is_redirection() {
        return Err(format!("{}: HTTP {status}: {text}", spec.url));
    }
    Ok((serde_json::from_str(&text).unwrap_or(Value::Null), cookie))
}

/// The demo hospital's wireless alarm panel.
async fn alarm_panel(client: &reqwest::Client, server: &Server) -> Result<i64, String> {
    let (widget, _) = call(client, &form_spec(server, "load_widget", format!("org_key={ORG}"))).await?;
    widget["assets"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["label"].as_str().is_some_and(|l| l.contains("无线报警主机"))))
        .and_then(|a| a["id"].as_i64())
        .ok_or_else(|| "the demo hospital has no wireless alarm panel".to_string())
}

/// A customer's escalation after walking the panel's first-aid guide, each
/// with a submission id of its own.
async fn escalation_spec(client: &reqwest::Client, server: &Server) -> Result<Spec, String> {
    let asset = alarm_panel(client, server).await?;
    let (offer, _) = call(client, &form_spec(server, "load_guides", format!("org_key={ORG}&asset_id={asset}"))).await?;
    // The guides are at the address the offer names, as the widget finds them.
    let url = format!("{}{}", server.base, offer["guides_url"].as_str().unwrap_or_default());
    let (guides, _) = call(client, &Spec::get(url, vec![("accept", "application/json".into())])).await?;
    let version = guides
        .as_array()
        .and_then(|g| g.iter().find(|g| g["id"] == "alarm-panel-first-aid"))
        .and_then(|g| g["version"].as_u64())
        .ok_or("the panel is offered no first-aid guide")?;
    let template = json!({ "submission": {
        "org_key": ORG, "submission_id": "", "reporter_name": "王芳", "phone": "138 0013 8000", "asset_id": asset,
        "symptom": "报警主机面板全部不亮，按键无反应", "guide_id": "alarm-panel-first-aid", "guide_version": version,
        "steps": [
            { "node": "lights", "choice": "all_off", "at_ms": 1_700_000_000_000i64 },
            { "node": "power", "choice": "no", "at_ms": 1_700_000_030_000i64 }
        ],
        "result": "escalate"
    }});
    let mut spec = json_spec(server, "submit_case", Value::Null);
    let run = format!("{:08x}", std::process::id() ^ rand_seed());
    spec.body = Box::new(move |n| {
        let mut body = template.clone();
        body["submission"]["submission_id"] = Value::String(format!("bench-{run}-{n:012}"));
        body.to_string().into_bytes()
    });
    Ok(spec)
}

fn rand_seed() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

/// One real escalation; returns its case id (from its number).
async fn submit_one(client: &reqwest::Client, server: &Server) -> Result<i64, String> {
    let spec = escalation_spec(client, server).await?;
    let (receipt, _) = call(client, &spec).await?;
    let number = receipt["number"].as_str().ok_or_else(|| format!("no case number in {receipt}"))?;
    app::domain::case_number::parse(number).ok_or_else(|| format!("unreadable case number {number}"))
}

async fn login(client: &reqwest::Client, server: &Server) -> Result<String, String> {
    let password = app::backend::demo::DEMO_PASSWORD;
    let (_, cookie) = call(client, &form_spec(server, "login", format!("username=dispatcher&password={password}"))).await?;
    cookie.ok_or_else(|| "signing in gave no session cookie".to_string())
}
