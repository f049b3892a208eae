//! Authorisation over HTTP: every server function and staff route against
//! every kind of caller, as the code's own role lists say; refusals change
//! nothing; cross-origin writes are refused everywhere; a logged-out session
//! opens nothing (and its live stream is closed); photos only where the
//! caller may put them; a customer's token reaches its own case only.
//! Every test runs on SQLite and on PostgreSQL.

use std::time::{Duration, Instant};

use crate::support::fixtures::alarm_panel;
use crate::support::{Db, TestServer};
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_databases!(
    every_endpoint_admits_exactly_the_callers_its_code_lists,
    cross_origin_writes_are_refused_everywhere_and_change_nothing,
    a_logged_out_session_opens_nothing,
    technicians_attach_photos_only_to_cases_dispatched_to_them,
    a_customer_token_reaches_its_own_case_only,
    a_live_stream_ends_when_its_session_does,
);

/// Who calls. Staff by session cookie; customers by org key and case token
/// (`OtherOrgKey`: case A's token with another organisation's key;
/// `OtherCaseToken`: case B's token on a request about case A).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Caller {
    Anonymous,
    Admin,
    Supervisor,
    Dispatcher,
    Tech,
    OtherOrgKey,
    OtherCaseToken,
}
use crate::support::fixtures::{PNG, PNG_DATA_URL};
use Caller::*;

/// Callers tried on each row.
const STAFF: &[Caller] = &[Anonymous, Admin, Supervisor, Dispatcher, Tech];
const TOKEN: &[Caller] = &[Anonymous, Admin, Supervisor, Dispatcher, Tech, OtherOrgKey];
const CUSTOMER: &[Caller] = &[Anonymous, OtherOrgKey, OtherCaseToken];
/// Who is let in (from `require_staff(&[...])` and the backend's checks).
const EVERYONE: &[Caller] = &[Anonymous, Admin, Supervisor, Dispatcher, Tech];
const ANY_STAFF: &[Caller] = &[Admin, Supervisor, Dispatcher, Tech];
const NOT_TECH: &[Caller] = &[Admin, Supervisor, Dispatcher];
const LEADS: &[Caller] = &[Admin, Supervisor];
const ADMIN: &[Caller] = &[Admin];

/// A 1×1 PNG.
const SESSION: &str = "authz-guide-session-0000001";
const WALK: &str = "authz-walk-submission-00001";
/// Rate limits and the daily cap off: this file is about authorisation only.
#[rustfmt::skip]
const OPTS: &[&str] = &["--anon-rate-per-minute", "0", "--submit-rate-per-minute", "0", "--upload-rate-per-hour", "0", "--login-rate-per-minute", "0", "--daily-case-cap", "0", "--notify-any-url"];

struct Req {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn form(endpoint: &str, body: String) -> Req {
    let headers = vec![("Content-Type", "application/x-www-form-urlencoded".to_string())];
    Req { method: "POST", path: format!("/api/{endpoint}"), headers, body: body.into_bytes() }
}

fn json_req(endpoint: &str, body: Value) -> Req {
    Req {
        method: "POST",
        path: format!("/api/{endpoint}"),
        headers: vec![("Content-Type", "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

fn get(path: String) -> Req {
    Req { method: "GET", path, headers: vec![], body: vec![] }
}

fn upload(path: String, credential: Option<(&'static str, &str)>) -> Req {
    let mut headers = vec![("Content-Type", "application/octet-stream".to_string())];
    headers.extend(credential.map(|(k, v)| (k, v.to_string())));
    Req { method: "POST", path, headers, body: PNG.to_vec() }
}

/// A customer's credentials as the widget holds them.
struct Cred {
    org: &'static str,
    token: String,
}

/// What the matrix works on: case A (and B) of the demo hospital, escalated
/// and not dispatched to anyone; a photo on A; today's settings; a guide.
struct Fx {
    cookies: Vec<(Caller, String)>,
    asset: i64,
    case_a: String,
    token_a: String,
    token_b: String,
    hospital_id: i64,
    factory_id: i64,
    site_id: i64,
    calendar: Value,
    policy: Value,
    guide: String,
    /// The shipped alarm-panel guide's version.
    guide_version: i64,
    photo_a: i64,
}

impl Fx {
    fn cookie(&self, caller: Caller) -> Option<&str> {
        self.cookies.iter().find(|(c, _)| *c == caller).map(|(_, v)| v.as_str())
    }

    fn cred(&self, caller: Caller) -> Cred {
        match caller {
            OtherOrgKey => Cred { org: "demo-factory", token: self.token_a.clone() },
            OtherCaseToken => Cred { org: "demo-hospital", token: self.token_b.clone() },
            _ => Cred { org: "demo-hospital", token: self.token_a.clone() },
        }
    }
}

type Build = fn(&Fx, &Cred) -> Req;

struct Row {
    name: &'static str,
    callers: &'static [Caller],
    allowed: &'static [Caller],
    build: Build,
}

fn r(name: &'static str, callers: &'static [Caller], allowed: &'static [Caller], build: Build) -> Row {
    Row { name, callers, allowed, build }
}

fn submission(org: &str, asset: i64, id: &str) -> Value {
    json!({ "submission": {
        "org_key": org, "submission_id": id, "reporter_name": "王芳", "phone": "13800138000", "asset_id": asset,
        "symptom": "报警主机面板全部不亮，按键无反应", "guide_id": "", "guide_version": 0, "steps": [], "result": "escalate"
    }})
}

/// One line per endpoint: (name, callers tried, callers let in, request).
/// `logout` is not a row (it would end the callers' sessions): see
/// `a_logged_out_session_opens_nothing` and the cross-origin test.
#[rustfmt::skip]
fn matrix() -> Vec<Row> {
    vec![
        r("load_widget", STAFF, EVERYONE, |_, c| form("load_widget", format!("org_key={}", c.org))),
        r("load_guides", TOKEN, EVERYONE, |f, c| form("load_guides", format!("org_key={}&asset_id={}", c.org, f.asset))),
        r("start_guide", STAFF, EVERYONE, |f, c| form("start_guide", format!("org_key={}&session_id={SESSION}&guide_id=alarm-panel-first-aid&guide_version={}", c.org, f.guide_version))),
        r("guide_progress", STAFF, EVERYONE, |_, c| json_req("guide_progress", json!({ "org_key": c.org, "session_id": SESSION, "last_node": "power", "steps": 1 }))),
        r("submit_case", STAFF, EVERYONE, |f, c| json_req("submit_case", submission(c.org, f.asset, "authz-matrix-submission-01"))),
        r("track_case", TOKEN, EVERYONE, |_, c| form("track_case", format!("org_key={}&token={}", c.org, c.token))),
        r("answer_quote", TOKEN, EVERYONE, |_, c| form("answer_quote", format!("org_key={}&token={}&approved=true", c.org, c.token))),
        r("customer_action", TOKEN, EVERYONE, |_, c| json_req("customer_action", json!({ "org_key": c.org, "token": c.token, "action": { "action": "add_info", "text": "补充：仍然不亮", "photos": [] } }))),
        r("widget_report", TOKEN, EVERYONE, |_, c| form("widget_report", format!("org_key={}&token={}", c.org, c.token))),
        r("widget_sign_report", TOKEN, EVERYONE, |_, c| json_req("widget_sign_report", json!({ "org_key": c.org, "token": c.token, "signer": "王芳", "signature": PNG_DATA_URL }))),
        r("login", STAFF, EVERYONE, |_, _| form("login", "username=supervisor&password=fixline-demo".into())),
        r("current_staff", STAFF, EVERYONE, |_, _| form("current_staff", String::new())),
        r("list_queue", STAFF, ANY_STAFF, |_, _| json_req("list_queue", json!({ "filter": {} }))),
        r("get_case", STAFF, ANY_STAFF, |f, _| form("get_case", format!("number={}", f.case_a))),
        // A note: owner, leads, the assigned technician or any dispatcher (domain::lifecycle::decide).
        r("case_action", STAFF, NOT_TECH, |f, _| json_req("case_action", json!({ "number": f.case_a, "action": { "action": "note", "notes": "权限矩阵" } }))),
        r("get_report", STAFF, ANY_STAFF, |f, _| form("get_report", format!("number={}", f.case_a))),
        // Leads, or the case's technician or owner (visits::sign): nobody else on case A.
        r("sign_report", STAFF, LEADS, |f, _| json_req("sign_report", json!({ "number": f.case_a, "signer": "王芳", "signature": PNG_DATA_URL }))),
        r("my_visits", STAFF, ANY_STAFF, |_, _| form("my_visits", String::new())),
        r("list_follow_ups", STAFF, NOT_TECH, |_, _| form("list_follow_ups", String::new())),
        r("list_ratings", STAFF, LEADS, |_, _| form("list_ratings", String::new())),
        r("guide_stats", STAFF, ANY_STAFF, |_, _| form("guide_stats", String::new())),
        r("get_guide", STAFF, ANY_STAFF, |f, _| form("get_guide", format!("id=alarm-panel-first-aid&version={}", f.guide_version))),
        r("import_guide", STAFF, LEADS, |f, _| json_req("import_guide", json!({ "json": f.guide }))),
        r("load_settings", STAFF, LEADS, |_, _| form("load_settings", String::new())),
        r("save_calendar", STAFF, ADMIN, |f, _| json_req("save_calendar", json!({ "form": f.calendar }))),
        r("save_policy", STAFF, ADMIN, |f, _| json_req("save_policy", json!({ "org_id": f.hospital_id, "policy": f.policy }))),
        r("save_site_zone", STAFF, ADMIN, |f, _| json_req("save_site_zone", json!({ "site_id": f.site_id, "zone": "ring3" }))),
        r("save_embedding", STAFF, ADMIN, |f, _| json_req("save_embedding", json!({ "org_id": f.hospital_id, "origins": "https://intranet.hospital.cn", "colour": "#0b5cad" }))),
        r("remove_logo", STAFF, ADMIN, |f, _| json_req("remove_logo", json!({ "org_id": f.hospital_id }))),
        // Channel 1 is the admin's from this row; nothing listens on port 9, so its test fails fast and stays pending.
        r("save_channel", STAFF, ADMIN, |_, _| json_req("save_channel", json!({ "form": { "id": null, "kind": "wecom", "name": "调度群", "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=authz", "secret": "", "topics": ["new_case"], "org_id": null, "mention_on_duty": true, "language": "ZhCn", "active": false } }))),
        r("load_channels", STAFF, ADMIN, |_, _| json_req("load_channels", json!({}))),
        r("test_channel", STAFF, ADMIN, |_, _| json_req("test_channel", json!({ "id": 1 }))),
        r("list_deliveries", STAFF, LEADS, |_, _| json_req("list_deliveries", json!({ "filter": { "case_number": "", "channel_id": null, "status": null } }))),
        // A test message, tried once and never sent again: a 409 for those let in.
        r("retry_delivery", STAFF, LEADS, |_, _| json_req("retry_delivery", json!({ "id": 1 }))),
        r("delete_channel", STAFF, ADMIN, |_, _| json_req("delete_channel", json!({ "id": 1 }))),
        r("load_roster", STAFF, LEADS, |_, _| json_req("load_roster", json!({}))),
        r("save_roster", STAFF, LEADS, |_, _| json_req("save_roster", json!({ "csv": "days,start,end,name,phone\nevery,00:00,00:00,值班,13800000003\n" }))),
        // Inactive, and nothing listens on port 9: a test fails fast.
        r("save_sms", STAFF, ADMIN, |_, _| json_req("save_sms", json!({ "form": { "provider": "aliyun", "endpoint": "http://127.0.0.1:9/", "key_id": "LTAIauthz", "secret": "authz-secret-0001", "sign_name": "某某安防", "app_id": "", "templates": { "received": "SMS_1", "appointment": "", "quote": "", "fixed": "" }, "active": false } }))),
        r("load_sms", STAFF, ADMIN, |_, _| json_req("load_sms", json!({}))),
        r("test_sms", STAFF, ADMIN, |_, _| json_req("test_sms", json!({ "phone": "13800000009" }))),
        r("list_sms", STAFF, LEADS, |_, _| json_req("list_sms", json!({ "case_number": "" }))),
        // A test is never sent again: a 409 for those let in.
        r("retry_sms", STAFF, LEADS, |_, _| json_req("retry_sms", json!({ "id": 1 }))),
        r("GET /console/live", STAFF, ANY_STAFF, |_, _| get("/console/live".into())),
        r("GET /console/files/{id}", STAFF, ANY_STAFF, |f, _| get(format!("/console/files/{}", f.photo_a))),
        r("GET /console/guides/{id}/{version}/export", STAFF, ANY_STAFF, |f, _| get(format!("/console/guides/alarm-panel-first-aid/{}/export", f.guide_version))),
        // Case A is not dispatched to the technician.
        r("POST /api/attachments (staff)", STAFF, NOT_TECH, |f, _| upload(format!("/api/attachments?case={}&name=matrix.png", f.case_a), None)),
        r("POST /api/attachments (case token)", CUSTOMER, &[Anonymous], |f, c| upload(format!("/api/attachments?case={}&org={}&name=matrix.png", f.case_a, c.org), Some(("X-Fixline-Token", c.token.as_str())))),
        r("POST /api/attachments (guide walk)", &[Anonymous], &[Anonymous], |_, c| upload(format!("/api/attachments?org={}&name=walk.png", c.org), Some(("X-Fixline-Submission", WALK)))),
        r("POST /api/org-logo", STAFF, ADMIN, |f, _| upload(format!("/api/org-logo?org_id={}", f.factory_id), None)),
    ]
}

fn refusal(caller: Caller) -> (u16, &'static str) {
    match caller {
        Anonymous => (401, "unauthenticated"),
        OtherOrgKey | OtherCaseToken => (404, "not_found"),
        _ => (403, "forbidden"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Own,
    Evil,
    CrossSiteBare,
}

struct Reply {
    status: u16,
    kind: Option<String>,
    text: String,
}

async fn send(server: &TestServer, req: &Req, cookie: Option<&str>, origin: Origin) -> Reply {
    if req.path == "/console/live" {
        let (status, _, _) = open_live(server, cookie).await;
        return Reply { status, kind: None, text: String::new() };
    }
    let own = format!("http://{}", server.addr);
    let mut headers: Vec<(&str, &str)> = req.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if req.path.starts_with("/api/") {
        headers.push(("Accept", "application/json"));
    }
    match origin {
        Origin::Own if req.method == "POST" => headers.push(("Origin", &own)),
        Origin::Own => {}
        Origin::Evil => headers.push(("Origin", "http://evil.example")),
        Origin::CrossSiteBare => headers.push(("Sec-Fetch-Site", "cross-site")),
    }
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    let res = server.request(req.method, &req.path, &headers, &req.body).await;
    let kind = serde_json::from_slice::<Value>(&res.body).ok().and_then(|v| v["kind"].as_str().map(String::from));
    Reply { status: res.status, kind, text: res.text().chars().take(200).collect() }
}

/// Opens the console's live stream; returns its status, the connection and what was read.
async fn open_live(server: &TestServer, cookie: Option<&str>) -> (u16, TcpStream, Vec<u8>) {
    let mut tcp = TcpStream::connect(&server.addr).await.expect("connect");
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    let head =
        format!("GET /console/live HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nConnection: close\r\n{cookie}\r\n", server.addr);
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            other => panic!("no response head from /console/live: {other:?}"),
        }
    }
    let status = String::from_utf8_lossy(&seen).split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    (status, tcp, seen)
}

/// Reads the stream until `needle` arrives (true) or the server ends the
/// response (EOF, or the last chunk of a chunked body) or `until` passes.
async fn read_stream(tcp: &mut TcpStream, seen: &mut Vec<u8>, needle: Option<&str>, until: tokio::time::Instant) -> StreamEnd {
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(seen);
        if needle.is_some_and(|n| text.contains(n)) {
            return StreamEnd::Found;
        }
        if text.split_once("\r\n\r\n").is_some_and(|(_, body)| body.starts_with("0\r\n\r\n") || body.contains("\r\n0\r\n\r\n")) {
            return StreamEnd::Closed;
        }
        match tokio::time::timeout_at(until, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return StreamEnd::Closed,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => return StreamEnd::TimedOut,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum StreamEnd {
    Found,
    Closed,
    TimedOut,
}

/// Everything an endpoint here could write, read straight from the database.
async fn fingerprint(server: &TestServer) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&server.database_url).await.unwrap();
    let mut out = Vec::new();
    for table in [
        "cases",
        "case_events",
        "case_access_tokens",
        "attachments",
        "guides",
        "guide_sessions",
        "service_calendars",
        "staff_sessions",
        "notify_channels",
        "notify_outbox",
        "notify_attempts",
        "sms_account",
        "sms_outbox",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut conn).await.unwrap();
        out.push(format!("{table}: {n} rows"));
    }
    for sql in [
        "SELECT 'org ' || CAST(id AS TEXT) || '|' || policy || '|' || allowed_origins || '|' || theme_color || '|' || logo_sha256 || '|' \
         || COALESCE(CAST(calendar_id AS TEXT), '-') FROM organisations ORDER BY id",
        "SELECT 'site ' || CAST(id AS TEXT) || '|' || zone FROM sites ORDER BY id",
        "SELECT 'channel ' || CAST(id AS TEXT) || '|' || name || '|' || CAST(active AS TEXT) || '|' || COALESCE(CAST(deleted_at AS TEXT), '-') FROM notify_channels ORDER BY id",
        "SELECT 'outbox ' || CAST(id AS TEXT) || '|' || status || '|' || CAST(attempts AS TEXT) FROM notify_outbox ORDER BY id",
        "SELECT 'roster ' || csv FROM duty_roster",
        "SELECT 'sms ' || provider || '|' || key_id || '|' || CAST(active AS TEXT) || '|' || CAST(updated_at AS TEXT) FROM sms_account",
        "SELECT 'text ' || CAST(id AS TEXT) || '|' || status || '|' || CAST(attempts AS TEXT) FROM sms_outbox ORDER BY id",
        "SELECT 'calendar ' || CAST(id AS TEXT) || '|' || data || '|' || source FROM service_calendars ORDER BY id",
        "SELECT 'case ' || CAST(id AS TEXT) || '|' || status || '|' || COALESCE(CAST(owner_id AS TEXT), '-') || '|' \
         || COALESCE(CAST(technician_id AS TEXT), '-') || '|' || CAST(version AS TEXT) FROM cases ORDER BY id",
        "SELECT 'walk ' || id || '|' || last_node || '|' || CAST(steps AS TEXT) || '|' || COALESCE(result, '-') FROM guide_sessions ORDER BY id",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap();
        out.extend(rows);
    }
    conn.close().await.ok();
    out
}

fn changes(before: &[String], after: &[String]) -> String {
    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    format!("before {gone:?} after {new:?}")
}

/// Reports a fault from the widget; returns the case number and its token.
async fn report(server: &TestServer, org: &str, asset: i64, submission_id: &str) -> (String, String) {
    let res = server.call_json("submit_case", &submission(org, asset, submission_id), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let receipt = res.json();
    (receipt["number"].as_str().unwrap().to_string(), receipt["access_token"].as_str().unwrap().to_string())
}

async fn staff_upload(server: &TestServer, number: &str, cookie: &str) -> crate::support::Response {
    let own = format!("http://{}", server.addr);
    let headers = [("Origin", own.as_str()), ("Content-Type", "application/octet-stream"), ("Cookie", cookie)];
    server.request("POST", &format!("/api/attachments?case={number}&name=site.png"), &headers, PNG).await
}

async fn token_upload(server: &TestServer, number: &str, org: &str, token: &str) -> crate::support::Response {
    let own = format!("http://{}", server.addr);
    let headers = [("Origin", own.as_str()), ("Content-Type", "application/octet-stream"), ("X-Fixline-Token", token)];
    server.request("POST", &format!("/api/attachments?case={number}&org={org}&name=mine.png"), &headers, PNG).await
}

async fn fixture(server: &TestServer) -> Fx {
    let mut cookies = Vec::new();
    for (caller, user) in [(Admin, "admin"), (Supervisor, "supervisor"), (Dispatcher, "dispatcher"), (Tech, "tech")] {
        cookies.push((caller, server.login(user, "fixline-demo").await));
    }
    let admin = cookies[0].1.clone();
    let asset = alarm_panel(server, "demo-hospital").await;
    let (case_a, token_a) = report(server, "demo-hospital", asset, "authz-case-a-0000000000001").await;
    let (_, token_b) = report(server, "demo-hospital", asset, "authz-case-b-0000000000001").await;
    let settings = server.call_form("load_settings", "", Some(&admin)).await.json();
    let org = |key: &str| settings["orgs"].as_array().unwrap().iter().find(|o| o["widget_key"] == key).unwrap().clone();
    let (hospital, factory) = (org("demo-hospital"), org("demo-factory"));
    assert_ne!(hospital["logo_url"], "", "the demo hospital has a logo to remove");
    let stats = server.call_form("guide_stats", "", Some(&admin)).await.json();
    let guide_version = stats.as_array().unwrap().iter().find(|g| g["id"] == "alarm-panel-first-aid").unwrap()["version"].as_i64().unwrap();
    let guide =
        server.request("GET", &format!("/console/guides/alarm-panel-first-aid/{guide_version}/export"), &[("Cookie", &admin)], b"").await;
    assert_eq!(guide.status, 200);
    let photo = staff_upload(server, &case_a, &admin).await;
    assert_eq!(photo.status, 200, "{}", photo.text());
    Fx {
        cookies,
        asset,
        case_a,
        token_a,
        token_b,
        hospital_id: hospital["id"].as_i64().unwrap(),
        factory_id: factory["id"].as_i64().unwrap(),
        site_id: hospital["sites"][0]["id"].as_i64().unwrap(),
        calendar: settings["calendar"].clone(),
        policy: hospital["policy"].clone(),
        guide: guide.text(),
        guide_version,
        photo_a: photo.json()["id"].as_i64().unwrap(),
    }
}

async fn every_endpoint_admits_exactly_the_callers_its_code_lists(db: Db) {
    let server = TestServer::start_with(db, OPTS).await;
    let fx = fixture(&server).await;
    let (mut cells, mut findings) = (0, Vec::new());
    for row in matrix() {
        // Refusals first, while what a permitted call would change is still there.
        let mut callers = row.callers.to_vec();
        callers.sort_by_key(|c| row.allowed.contains(c));
        for caller in callers {
            cells += 1;
            let req = (row.build)(&fx, &fx.cred(caller));
            let allowed = row.allowed.contains(&caller);
            let before = if allowed { Vec::new() } else { fingerprint(&server).await };
            let res = send(&server, &req, fx.cookie(caller), Origin::Own).await;
            let cell = format!("{} as {caller:?}: {} {:?} {}", row.name, res.status, res.kind, res.text);
            if allowed {
                if matches!(res.status, 401 | 403 | 404) || res.status >= 500 {
                    findings.push(format!("{cell} (expected to be let in)"));
                }
                continue;
            }
            let (status, kind) = refusal(caller);
            if res.status != status || res.kind.as_deref().is_some_and(|k| k != kind) {
                findings.push(format!("{cell} (expected {status} {kind})"));
            }
            let after = fingerprint(&server).await;
            if after != before {
                findings.push(format!("{cell}: the refusal changed {}", changes(&before, &after)));
            }
        }
    }
    eprintln!("authz matrix on {db:?}: {cells} cells");
    assert!(findings.is_empty(), "{} of {cells} cells differ from the code's role lists:\n{}", findings.len(), findings.join("\n"));
    server.stop().await;
}

async fn cross_origin_writes_are_refused_everywhere_and_change_nothing(db: Db) {
    let server = TestServer::start_with(db, OPTS).await;
    let fx = fixture(&server).await;
    let admin = fx.cookie(Admin).unwrap().to_string();
    let mut writes: Vec<(&str, Req)> =
        matrix().into_iter().map(|row| (row.name, (row.build)(&fx, &fx.cred(Anonymous)))).filter(|(_, req)| req.method == "POST").collect();
    writes.push(("logout", form("logout", String::new())));
    assert!(writes.len() >= 42, "every server function and upload: {}", writes.len());
    let mut findings = Vec::new();
    for (name, req) in &writes {
        for origin in [Origin::Evil, Origin::CrossSiteBare] {
            let before = fingerprint(&server).await;
            let res = send(&server, req, Some(&admin), origin).await;
            let how = if origin == Origin::Evil { "Origin: http://evil.example" } else { "Sec-Fetch-Site: cross-site" };
            if res.status != 403 {
                findings.push(format!("{name} with {how}: {} {}", res.status, res.text));
            }
            let after = fingerprint(&server).await;
            if after != before {
                findings.push(format!("{name} with {how} changed {}", changes(&before, &after)));
            }
        }
    }
    assert!(findings.is_empty(), "cross-origin writes let through:\n{}", findings.join("\n"));
    // The refused logouts left the session alone.
    let me = server.call_form("current_staff", "", Some(&admin)).await;
    assert_eq!(me.json()["role"], "admin", "{}", me.text());
    server.stop().await;
}

async fn a_logged_out_session_opens_nothing(db: Db) {
    let server = TestServer::start_with(db, OPTS).await;
    let fx = fixture(&server).await;
    let mut findings = Vec::new();
    let mut tried = 0;
    for (caller, user) in [(Admin, "admin"), (Supervisor, "supervisor"), (Dispatcher, "dispatcher"), (Tech, "tech")] {
        let cookie = server.login(user, "fixline-demo").await;
        assert_eq!(server.call_form("current_staff", "", Some(&cookie)).await.json()["username"], user);
        let out = server.call_form("logout", "", Some(&cookie)).await;
        assert!(out.status < 400, "logout: {} {}", out.status, out.text());
        assert!(out.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")), "logout clears the cookie");
        assert_eq!(server.call_form("current_staff", "", Some(&cookie)).await.json(), Value::Null);
        let before = fingerprint(&server).await;
        for row in matrix().iter().filter(|row| row.callers.contains(&caller) && !row.allowed.contains(&Anonymous)) {
            tried += 1;
            let res = send(&server, &(row.build)(&fx, &fx.cred(caller)), Some(&cookie), Origin::Own).await;
            if res.status != 401 {
                findings.push(format!("{} with {user}'s logged-out session: {} {}", row.name, res.status, res.text));
            }
        }
        let after = fingerprint(&server).await;
        assert_eq!(after, before, "{user}'s logged-out session changed {}", changes(&before, &after));
    }
    assert_eq!(tried, 4 * 35, "every staff endpoint tried: {tried}");
    assert!(findings.is_empty(), "a logged-out session still works:\n{}", findings.join("\n"));
    server.stop().await;
}

async fn technicians_attach_photos_only_to_cases_dispatched_to_them(db: Db) {
    let server = TestServer::start_with(db, OPTS).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let (theirs, _) = report(&server, "demo-hospital", asset, "authz-tech-dispatched-0001").await;
    let (unclaimed, _) = report(&server, "demo-hospital", asset, "authz-tech-unclaimed-00001").await;
    let (claimed, _) = report(&server, "demo-hospital", asset, "authz-tech-claimed-000001").await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = server.call_form("current_staff", "", Some(&tech)).await.json()["id"].as_i64().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    for number in [&theirs, &claimed] {
        assert_eq!(server.act(&dispatcher, number, json!({ "action": "claim" })).await.status, 200);
    }
    let dispatch = json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": now + 3_600_000, "notes": "" });
    assert_eq!(server.act(&dispatcher, &theirs, dispatch).await.status, 200);

    let before = fingerprint(&server).await;
    for number in [&unclaimed, &claimed] {
        let res = staff_upload(&server, number, &tech).await;
        assert_eq!(res.status, 403, "technician on {number}, not dispatched to them: {}", res.text());
        assert_eq!(res.json()["kind"], "forbidden");
    }
    assert_eq!(fingerprint(&server).await, before, "refused photos store nothing");

    let res = staff_upload(&server, &theirs, &tech).await;
    assert_eq!(res.status, 200, "technician on their own dispatched case: {}", res.text());
    let id = res.json()["id"].as_i64().unwrap();
    let file = server.request("GET", &format!("/console/files/{id}"), &[("Cookie", &tech)], b"").await;
    assert_eq!((file.status, file.body.as_slice()), (200, PNG));
    // Dispatchers are not limited to cases they hold.
    assert_eq!(staff_upload(&server, &unclaimed, &dispatcher).await.status, 200);
    server.stop().await;
}

async fn a_customer_token_reaches_its_own_case_only(db: Db) {
    let server = TestServer::start_with(db, OPTS).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let (a, token_a) = report(&server, "demo-hospital", asset, "authz-customer-a-00000001").await;
    let (b, token_b) = report(&server, "demo-hospital", asset, "authz-customer-b-00000001").await;
    let factory_asset = alarm_panel(&server, "demo-factory").await;
    let (f, token_f) = report(&server, "demo-factory", factory_asset, "authz-customer-f-00000001").await;
    let photo_b = token_upload(&server, &b, "demo-hospital", &token_b).await;
    assert_eq!(photo_b.status, 200, "case B's own token attaches to B: {}", photo_b.text());
    let photo_b = photo_b.json()["id"].as_i64().unwrap();

    let before = fingerprint(&server).await;
    for (number, org, token, what) in [
        (&b, "demo-hospital", &token_a, "case A's token on case B"),
        (&a, "demo-factory", &token_a, "case A's token with demo-factory's key"),
        (&f, "demo-hospital", &token_f, "a factory case's token with the hospital's key"),
        (&f, "demo-factory", &token_a, "case A's token on a factory case"),
    ] {
        let res = token_upload(&server, number, org, token).await;
        assert_eq!(res.status, 404, "{what}: {}", res.text());
    }
    for (endpoint, extra) in [("track_case", ""), ("answer_quote", "&approved=true"), ("widget_report", "")] {
        let res = server.call_form(endpoint, &format!("org_key=demo-factory&token={token_a}{extra}"), None).await;
        assert_eq!(res.status, 404, "{endpoint} with demo-factory's key: {}", res.text());
    }
    let act = |org: &str, photos: Value| json!({ "org_key": org, "token": token_a, "action": { "action": "add_info", "text": "现场照片", "photos": photos } });
    assert_eq!(server.call_json("customer_action", &act("demo-factory", json!([])), None).await.status, 404);
    let sign = json!({ "org_key": "demo-factory", "token": token_a, "signer": "王芳", "signature": PNG_DATA_URL });
    assert_eq!(server.call_json("widget_sign_report", &sign, None).await.status, 404);
    // Case A's token cannot hang case B's photo on case A either.
    let res = server.call_json("customer_action", &act("demo-hospital", json!([photo_b])), None).await;
    assert!(matches!(res.status, 400 | 404), "naming another case's photo: {} {}", res.status, res.text());
    let after = fingerprint(&server).await;
    assert_eq!(after, before, "refusals changed {}", changes(&before, &after));

    // What token A reads and does is case A's, never case B's.
    let track = server.call_form("track_case", &format!("org_key=demo-hospital&token={token_a}"), None).await;
    assert_eq!((track.status, track.json()["number"].as_str()), (200, Some(a.as_str())));
    assert!(!track.text().contains(&b), "{}", track.text());
    let page = server.call_form("widget_report", &format!("org_key=demo-hospital&token={token_a}"), None).await;
    assert_eq!((page.status, page.json()["draft"]["number"].as_str()), (200, Some(a.as_str())), "{}", page.text());
    let events = |number: &str| format!("case_events WHERE case_id = {}", number.trim_start_matches("FX-").parse::<i64>().unwrap());
    let (a_events, b_events) = (server.count(&events(&a)).await, server.count(&events(&b)).await);
    assert_eq!(server.call_json("customer_action", &act("demo-hospital", json!([])), None).await.status, 200);
    assert_eq!(server.count(&events(&a)).await, a_events + 1);
    assert_eq!(server.count(&events(&b)).await, b_events, "case B untouched");
    server.stop().await;
}

async fn a_live_stream_ends_when_its_session_does(db: Db) {
    let server = TestServer::start_with(db, OPTS).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let leaving = server.login("dispatcher", "fixline-demo").await;
    let staying = server.login("supervisor", "fixline-demo").await;
    let (status, mut gone, mut gone_seen) = open_live(&server, Some(&leaving)).await;
    assert_eq!(status, 200);
    let (status, mut kept, mut kept_seen) = open_live(&server, Some(&staying)).await;
    assert_eq!(status, 200);
    let soon = || tokio::time::Instant::now() + Duration::from_secs(10);

    let (first, _) = report(&server, "demo-hospital", asset, "authz-live-first-000000001").await;
    let needle = format!("data: {first}\n");
    assert_eq!(read_stream(&mut gone, &mut gone_seen, Some(needle.as_str()), soon()).await, StreamEnd::Found, "the stream is live");
    assert_eq!(read_stream(&mut kept, &mut kept_seen, Some(needle.as_str()), soon()).await, StreamEnd::Found);

    let out = server.call_form("logout", "", Some(&leaving)).await;
    assert!(out.status < 400, "logout: {}", out.status);
    let at = Instant::now();
    let end = read_stream(&mut gone, &mut gone_seen, None, tokio::time::Instant::now() + Duration::from_secs(40)).await;
    assert_eq!(end, StreamEnd::Closed, "the logged-out dispatcher's stream is still open after 40 s");
    eprintln!("live stream closed {:.1} s after logout on {db:?}", at.elapsed().as_secs_f64());

    // Another user's stream is not closed with it.
    let (second, _) = report(&server, "demo-hospital", asset, "authz-live-second-00000001").await;
    let needle = format!("data: {second}\n");
    assert_eq!(
        read_stream(&mut kept, &mut kept_seen, Some(needle.as_str()), soon()).await,
        StreamEnd::Found,
        "the supervisor's stream lives on"
    );
    server.stop().await;
}
