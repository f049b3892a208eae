//! Dependability under crashes: a server SIGKILLed mid-load loses no
//! acknowledged case and duplicates none; a PostgreSQL restart is answered
//! with 503 while it lasts and survived without restarting Fixline.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::support::fixtures::{alarm_panel, escalation};
use crate::support::{Db, Response, TestServer};
use futures::future::{join, join3, join_all};
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::time::Instant;

on_both_databases!(acknowledged_cases_survive_sigkill);

/// No rate limit or daily cap gets in the way of the load.
const OPEN: &[&str] = &["--anon-rate-per-minute", "0", "--daily-case-cap", "0"];
const ROUNDS: usize = 4;
const CLIENTS: usize = 16;

fn random_u64() -> u64 {
    static STATE: OnceLock<AtomicU64> = OnceLock::new();
    let state = STATE.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        AtomicU64::new(nanos ^ ((std::process::id() as u64) << 32))
    });
    // splitmix64
    let mut z = state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_submission_id() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

fn submission_of(body: &Value) -> &str {
    body["submission"]["submission_id"].as_str().unwrap()
}

/// `(number, access_token)` of a well-formed receipt.
fn receipt(res: &Response) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(&res.body).ok()?;
    let number = v["number"].as_str()?;
    let token = v["access_token"].as_str()?;
    let ok = case_id(number).is_some() && token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| (number.to_string(), token.to_string()))
}

fn case_id(number: &str) -> Option<i64> {
    number.strip_prefix("FX-").filter(|d| d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()
}

fn number_of(id: i64) -> String {
    format!("FX-{id:06}")
}

#[derive(Default)]
struct Load {
    /// (submission body, case number) answered with 200.
    acked: Vec<(Value, String)>,
    /// Submissions whose connection died before an answer.
    unanswered: Vec<Value>,
    /// Anything else: a non-200 answer, or a connection error while up.
    failures: Vec<String>,
}

async fn client(server: &TestServer, asset: i64, killed: &AtomicBool, load: &Mutex<Load>) {
    while !killed.load(Ordering::SeqCst) {
        let body = escalation(asset, &random_submission_id());
        let outcome = server.try_call_json("submit_case", &body, None, Duration::from_secs(20)).await;
        let mut load = load.lock().unwrap();
        match outcome {
            Ok(res) if res.status == 200 => match receipt(&res) {
                Some((number, _)) => load.acked.push((body, number)),
                None => load.failures.push(format!("200 without a receipt: {}", res.text())),
            },
            Ok(res) => load.failures.push(format!("submit_case answered {}: {}", res.status, res.text())),
            Err(e) => {
                if !killed.load(Ordering::SeqCst) {
                    load.failures.push(format!("connection error while the server was up: {e}"));
                }
                load.unanswered.push(body);
                return;
            }
        }
    }
}

/// How a submission id is stored: only its hash (the id is the reporting
/// browser's secret).
fn stored_key(submission_id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(submission_id.as_bytes());
    format!("sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Every case row: id → stored submission key (a plain id is hashed alike).
async fn case_rows(database_url: &str) -> Vec<(i64, String)> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, submission_id FROM cases").fetch_all(&mut conn).await.unwrap();
    conn.close().await.ok();
    rows.into_iter().map(|(id, s)| if s.starts_with("sha256:") { (id, s) } else { (id, stored_key(&s)) }).collect()
}

fn duplicates(rows: &[(i64, String)]) -> Vec<(String, Vec<i64>)> {
    let mut by_submission: HashMap<&str, Vec<i64>> = HashMap::new();
    for (id, sub) in rows {
        by_submission.entry(sub).or_default().push(*id);
    }
    by_submission.into_iter().filter(|(_, ids)| ids.len() > 1).map(|(s, ids)| (s.to_string(), ids)).collect()
}

async fn acknowledged_cases_survive_sigkill(db: Db) {
    let started = Instant::now();
    let mut server = TestServer::start_with(db, OPEN).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let load = Mutex::new(Load::default());

    for round in 0..ROUNDS {
        if round > 0 {
            server.restart(OPEN).await;
        }
        let killed = AtomicBool::new(false);
        let run_for = Duration::from_millis(300 + random_u64() % 1200);
        let clients = join_all((0..CLIENTS).map(|_| client(&server, asset, &killed, &load)));
        let killer = async {
            tokio::time::sleep(run_for).await;
            killed.store(true, Ordering::SeqCst);
            server.sigkill();
        };
        join(clients, killer).await;
        server.kill_hard();
        let l = load.lock().unwrap();
        eprintln!(
            "{db:?} round {round}: killed after {run_for:?}; so far {} acknowledged, {} unanswered",
            l.acked.len(),
            l.unanswered.len()
        );
    }
    server.restart(OPEN).await;
    let Load { acked, unanswered, failures } = load.into_inner().unwrap();
    assert!(failures.is_empty(), "{} bad answers under load, e.g. {:?}", failures.len(), &failures[..failures.len().min(5)]);
    assert!(!acked.is_empty(), "no submission was acknowledged at all");

    // Every acknowledged case is there, once, under its number.
    let rows = case_rows(&server.database_url).await;
    let by_id: HashMap<i64, &str> = rows.iter().map(|(id, s)| (*id, s.as_str())).collect();
    let dups = duplicates(&rows);
    assert!(dups.is_empty(), "submissions stored as several cases: {dups:?}");
    let mut numbers = HashSet::new();
    for (body, number) in &acked {
        assert!(numbers.insert(number.clone()), "{number} acknowledged for two different submissions");
        let id = case_id(number).unwrap();
        assert_eq!(
            by_id.get(&id).copied(),
            Some(stored_key(submission_of(body)).as_str()),
            "acknowledged {number} (submission {}) is not in the database after SIGKILL",
            submission_of(body)
        );
    }
    let by_submission: HashMap<&str, i64> = rows.iter().map(|(id, s)| (s.as_str(), *id)).collect();
    let stored_unanswered = unanswered.iter().filter(|b| by_submission.contains_key(stored_key(submission_of(b)).as_str())).count();
    let before = rows.len();

    // A retry of every submission is answered with its case, and creates
    // only the cases that had never been stored.
    let mut expected: Vec<(&Value, Option<String>)> = acked.iter().map(|(b, n)| (b, Some(n.clone()))).collect();
    expected.extend(unanswered.iter().map(|b| (b, by_submission.get(stored_key(submission_of(b)).as_str()).map(|id| number_of(*id)))));
    let mut retry_failures = Vec::new();
    let mut tokens = Vec::new();
    for chunk in expected.chunks(CLIENTS) {
        let answers =
            join_all(chunk.iter().map(|(body, _)| server.try_call_json("submit_case", body, None, Duration::from_secs(20)))).await;
        for ((body, number), answer) in chunk.iter().zip(answers) {
            let sub = submission_of(body);
            match answer {
                Ok(res) if res.status == 200 => match (receipt(&res), number) {
                    (Some((got, _)), Some(want)) if &got != want => {
                        retry_failures.push(format!("{sub}: retry answered {got}, the case is {want}"))
                    }
                    (Some((got, token)), _) => tokens.push((got, token)),
                    (None, _) => retry_failures.push(format!("{sub}: 200 without a receipt: {}", res.text())),
                },
                Ok(res) => retry_failures.push(format!("{sub}: retry answered {}: {}", res.status, res.text())),
                Err(e) => retry_failures.push(format!("{sub}: retry got no answer: {e}")),
            }
        }
    }
    assert!(
        retry_failures.is_empty(),
        "{} of {} retries failed, e.g. {:?}",
        retry_failures.len(),
        expected.len(),
        &retry_failures[..retry_failures.len().min(5)]
    );
    let after = case_rows(&server.database_url).await;
    let dups = duplicates(&after);
    assert!(dups.is_empty(), "retries duplicated cases: {dups:?}");
    assert_eq!(
        after.len(),
        before + unanswered.len() - stored_unanswered,
        "retries may only add the {} unanswered submissions that had not been stored",
        unanswered.len() - stored_unanswered
    );
    // The retries' receipts carry working access tokens.
    for (number, token) in tokens.iter().take(5) {
        let res = server
            .try_request(
                "POST",
                "/api/track_case",
                &[("Content-Type", "application/x-www-form-urlencoded"), ("Origin", &format!("http://{}", server.addr))],
                format!("org_key=demo-hospital&token={token}").as_bytes(),
                Duration::from_secs(20),
            )
            .await
            .expect("track_case answered");
        assert_eq!(res.status, 200, "track_case with the retry's token: {}", res.text());
        assert_eq!(res.json()["number"], number.as_str());
    }
    eprintln!(
        "{db:?}: {} acknowledged, {} unanswered ({stored_unanswered} of them stored), {} cases in {:?}",
        acked.len(),
        unanswered.len(),
        after.len(),
        started.elapsed()
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------
// PostgreSQL restarting under a running Fixline.

/// A throwaway PostgreSQL cluster; stopped and removed on drop (also on panic).
struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_root: bool,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn newest_pg_bin() -> PathBuf {
    let mut bins: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("bin/initdb").exists())
        .map(|e| (e.file_name().to_string_lossy().split('.').filter_map(|p| p.parse().ok()).collect(), e.path().join("bin")))
        .collect();
    bins.sort();
    bins.pop().expect("an initdb under /usr/lib/postgresql/*/bin").1
}

impl PgCluster {
    async fn create() -> PgCluster {
        let as_root = String::from_utf8_lossy(&std::process::Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("fixline-crash-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = PgCluster { bin: newest_pg_bin(), dir, port: free_port(), as_root };
        if as_root {
            let ok = tokio::process::Command::new("chown").arg("postgres").arg(&cluster.dir).status().await.unwrap();
            assert!(ok.success(), "chown postgres {}", cluster.dir.display());
        }
        let data = cluster.dir.join("data");
        cluster.run("initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "-N"]).await;
        cluster.start().await;
        cluster
    }

    fn command(&self, tool: &str) -> (PathBuf, Vec<String>) {
        let exe = self.bin.join(tool);
        if self.as_root {
            let args = vec!["-u".into(), "postgres".into(), "--".into(), exe.display().to_string()];
            (PathBuf::from("runuser"), args)
        } else {
            (exe, Vec::new())
        }
    }

    async fn run(&self, tool: &str, args: &[&str]) {
        let (exe, mut all) = self.command(tool);
        all.extend(args.iter().map(|a| a.to_string()));
        let out = tokio::process::Command::new(&exe).args(&all).stdin(std::process::Stdio::null()).output().await.unwrap();
        assert!(out.status.success(), "{tool} {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    async fn start(&self) {
        let log = self.dir.join("log").display().to_string();
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.display());
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-w", "-o", &opts, "start"]).await;
    }

    async fn stop_immediate(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]).await;
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let (exe, mut args) = self.command("pg_ctl");
        args.extend(["-D".into(), self.data(), "-m".into(), "immediate".into(), "stop".into()]);
        let _ = std::process::Command::new(exe).args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request of the background load.
struct Sample {
    sent: Instant,
    what: &'static str,
    outcome: Result<(u16, String), String>,
}

fn is_unavailable(status: u16, body: &str) -> bool {
    status == 503 && serde_json::from_str::<Value>(body).is_ok_and(|v| v["kind"] == "unavailable")
}

const EACH_WITHIN: Duration = Duration::from_secs(15);

/// Background load until `stop`: escalations (`queue == false`) or staff queue reads.
async fn background(server: &TestServer, cookie: &str, asset: i64, queue: bool, stop: &AtomicBool, out: &Mutex<Vec<Sample>>) {
    while !stop.load(Ordering::SeqCst) {
        let sent = Instant::now();
        let (what, res) = if queue {
            ("list_queue", server.try_call_json("list_queue", &json!({ "filter": {} }), Some(cookie), EACH_WITHIN).await)
        } else {
            let body = escalation(asset, &random_submission_id());
            ("submit_case", server.try_call_json("submit_case", &body, None, EACH_WITHIN).await)
        };
        out.lock().unwrap().push(Sample { sent, what, outcome: res.map(|r| (r.status, r.text())) });
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Requests while PostgreSQL is down: each a 503 `unavailable`, in time.
async fn assert_unavailable(server: &TestServer, cookie: &str, asset: i64, attempt: u32) {
    let sub = random_submission_id();
    let submit = escalation(asset, &sub);
    let queue = json!({ "filter": {} });
    let t = Instant::now();
    let (a, b, c) = join3(
        server.try_call_json("submit_case", &submit, None, EACH_WITHIN),
        server.try_call_json("list_queue", &queue, Some(cookie), EACH_WITHIN),
        async {
            let origin = format!("http://{}", server.addr);
            let headers =
                [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", origin.as_str()), ("Accept", "application/json")];
            server.try_request("POST", "/api/load_widget", &headers, b"org_key=demo-hospital", EACH_WITHIN).await
        },
    )
    .await;
    for (what, res) in [("submit_case", a), ("list_queue", b), ("load_widget", c)] {
        let res = res.unwrap_or_else(|e| panic!("{what} while PostgreSQL is down (check {attempt}): {e}"));
        assert!(
            is_unavailable(res.status, &res.text()),
            "{what} while PostgreSQL is down (check {attempt}): want 503 {{\"kind\":\"unavailable\"}}, got {} {}",
            res.status,
            res.text()
        );
    }
    eprintln!("outage check {attempt}: three 503s in {:?}", t.elapsed());
}

#[tokio::test]
async fn postgres_restart_is_survived() {
    let started = Instant::now();
    let cluster = PgCluster::create().await;
    {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::PgConnection::connect(&cluster.url("postgres")).await.unwrap();
        sqlx::query("CREATE DATABASE fixline").execute(&mut conn).await.unwrap();
        conn.close().await.ok();
    }
    let server = TestServer::start_on(&cluster.url("fixline"), OPEN).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let cookie = server.login("dispatcher", "fixline-demo").await;
    let mut live = server.live_stream(&cookie).await;
    live.drain(Duration::from_millis(300)).await;
    assert!(live.status_line().contains("200"), "live stream opened: {:?}", live.seen());

    let stop = AtomicBool::new(false);
    let samples = Mutex::new(Vec::new());
    let load = join_all((0..5).map(|i| background(&server, &cookie, asset, i >= 3, &stop, &samples)));
    let control = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        live.drain(Duration::from_millis(200)).await;
        let mark = live.seen().len();

        cluster.stop_immediate().await;
        let down = Instant::now();
        assert_unavailable(&server, &cookie, asset, 1).await;
        assert_unavailable(&server, &cookie, asset, 2).await;

        cluster.start().await;
        let up = Instant::now();
        eprintln!("PostgreSQL down for {:?}", up - down);
        // Fixline comes back by itself within 30 s; meanwhile only 503s.
        let recovered = loop {
            let res = server.try_call_json("list_queue", &json!({ "filter": {} }), Some(&cookie), EACH_WITHIN).await;
            let res = res.unwrap_or_else(|e| panic!("list_queue after PostgreSQL restarted: {e}"));
            if res.status == 200 {
                break Instant::now();
            }
            assert!(is_unavailable(res.status, &res.text()), "list_queue while recovering: {} {}", res.status, res.text());
            assert!(up.elapsed() < Duration::from_secs(30), "still {} 30 s after PostgreSQL restarted: {}", res.status, res.text());
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        eprintln!("Fixline answered again {:?} after PostgreSQL restarted", recovered - up);
        let res = server
            .try_call_json("submit_case", &escalation(asset, &random_submission_id()), None, EACH_WITHIN)
            .await
            .unwrap_or_else(|e| panic!("submit_case after recovery: {e}"));
        assert_eq!(res.status, 200, "submit_case after recovery: {}", res.text());
        let (number, _) = receipt(&res).expect("a receipt after recovery");
        let needle = format!("data: {number}\n");
        let streamed = live.wait_after(mark, Duration::from_secs(15), |s| s.contains("data: *") || s.contains(&needle)).await;
        assert!(
            streamed,
            "the live stream opened before the outage got neither {number} nor `data: *` after recovery; read after the outage began: {:?}",
            &live.seen()[mark..]
        );
        let after = &live.seen()[mark..];
        eprintln!("live stream after recovery: `data: *` {}, {number} {}", after.contains("data: *"), after.contains(&needle));
        // Let the load run on a recovered server for a while.
        tokio::time::sleep_until(recovered + Duration::from_secs(4)).await;
        stop.store(true, Ordering::SeqCst);
        (down, recovered)
    };
    let (_, (down, recovered)) = join(load, control).await;

    let samples = samples.into_inner().unwrap();
    let mut bad = Vec::new();
    let (mut ok, mut unavailable) = (0, 0);
    for s in &samples {
        match &s.outcome {
            Err(e) => bad.push(format!("{} sent {:?} into the outage: {e}", s.what, s.sent.checked_duration_since(down))),
            Ok((200, _)) => ok += 1,
            Ok((status, body)) if is_unavailable(*status, body) => {
                unavailable += 1;
                if s.sent > recovered + Duration::from_secs(2) {
                    bad.push(format!("{} sent {:?} after recovery got 503", s.what, s.sent - recovered));
                }
            }
            Ok((status, body)) => {
                bad.push(format!("{} sent {:?} into the outage: {status} {body}", s.what, s.sent.checked_duration_since(down)))
            }
        }
    }
    eprintln!("background load: {} requests, {ok} answered 200, {unavailable} answered 503", samples.len());
    assert!(bad.is_empty(), "{} bad answers in the background load, e.g. {:?}", bad.len(), &bad[..bad.len().min(5)]);
    assert!(samples.iter().any(|s| s.sent > recovered && matches!(s.outcome, Ok((200, _)))), "the load succeeded again after recovery");
    drop(live);
    server.stop().await;
    drop(cluster);
    eprintln!("postgres_restart_is_survived in {:?}", started.elapsed());
}
