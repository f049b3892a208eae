//! A bounded fuzz run: thousands of malformed, oversized, wrongly typed and
//! hostile calls to every server function and route, on SQLite and on
//! PostgreSQL. No answer may be a 5xx (or none at all), the server must still
//! be healthy afterwards, and refused calls must have written nothing.
//!
//! Calls come from a small seeded PRNG (set FIXLINE_FUZZ_SEED to replay
//! another run). Every call to a function that writes carries at least one
//! mutation that must get it refused (a NUL byte, bytes that are not UTF-8,
//! a wrong type, a missing field, an unknown reference, an oversized body, …);
//! harmless oddities (extra fields, control characters, odd headers and
//! content types, duplicate keys) only come on top of one.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::fuzz_support::*;
use crate::support::{Db, TestServer};
use futures::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both_databases!(hostile_calls_get_no_5xx_and_write_nothing, nul_bytes_are_refused_with_4xx);

/// Limits off, so that no 429 hides a handler.
const SERVER_ARGS: [&str; 6] = ["--anon-rate-per-minute", "0", "--login-rate-per-minute", "0", "--daily-case-cap", "0"];
const CALLS: usize = 12_000;
const TIME_BUDGET: Duration = Duration::from_secs(45);
const IN_FLIGHT: usize = 16;
const TABLES: [&str; 12] = [
    "cases",
    "case_events",
    "attachments",
    "case_access_tokens",
    "guide_sessions",
    "guides",
    "staff_sessions",
    "notify_channels",
    "notify_outbox",
    "duty_roster",
    "sms_account",
    "sms_outbox",
];

enum Answer {
    Status(u16, String),
    Closed,
    TimedOut,
}

/// One request on its own connection (`Connection: close`); the body is
/// written while the answer is read, since the server may answer (413)
/// without reading it. Path and headers may hold any character.
async fn send(addr: &str, call: &Call) -> Answer {
    let mut head =
        format!("{} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", call.method, call.path, call.body.len());
    for (k, v) in &call.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return Answer::Closed };
    let (mut rd, mut wr) = stream.split();
    let write = async {
        if wr.write_all(head.as_bytes()).await.is_ok() {
            let _ = wr.write_all(&call.body).await;
        }
    };
    let read = async {
        let (mut raw, mut buf) = (Vec::new(), [0u8; 16384]);
        while let Ok(n @ 1..) = rd.read(&mut buf).await {
            raw.extend_from_slice(&buf[..n]);
        }
        raw
    };
    let Ok(((), raw)) = tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(write, read) }).await else {
        return Answer::TimedOut;
    };
    let status = raw.strip_prefix(b"HTTP/1.1 ").and_then(|r| std::str::from_utf8(r.get(..3)?).ok()?.parse().ok());
    let body_at = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |p| p + 4);
    match status {
        Some(s) => Answer::Status(s, String::from_utf8_lossy(&raw[body_at..(body_at + 300).min(raw.len())]).into_owned()),
        None => Answer::Closed,
    }
}

async fn counts(server: &TestServer) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for t in TABLES {
        out.insert(t, server.count(t).await);
    }
    out
}

impl Gen<'_> {
    /// A GET (mostly) to one of the other routes, with hostile path segments.
    pub(crate) fn page(&mut self) -> Call {
        let case = self
            .rng
            .pick(&[
                self.ctx.number.as_str(),
                "FX-999999999999",
                "FX-9223372036854775808",
                "%00",
                "FX-000001%00",
                "..%2F..%2Fetc",
                "%FF%FE",
                "FX-%E2%80%AE1",
                "-1",
                "0",
            ])
            .to_string();
        let key = self
            .rng
            .pick(&[
                ORGS[0],
                ORGS[1],
                "no-such-org",
                "%00",
                "demo-hospital%00",
                "..%2F..",
                "%FF",
                "demo-hospital%2Fx",
                "a%20b",
                "%E2%80%AE",
            ])
            .to_string();
        let gid = self.rng.pick(&[GUIDE, "%00", "..", "..%2F..", "alarm-panel-first-aid%00"]).to_string();
        let ver = self.rng.pick(&["1", "-1", "0", "4294967296", "abc", "99999999999999999999", "1%00", "1.5"]);
        let id = self.rng.pick(&["1", "-1", "0", "abc", "9223372036854775807", "9223372036854775808", "1%00", "%00", "1.5"]);
        let pkg = self.rng.pick(&[
            "x".repeat(256),
            "../Cargo.toml".into(),
            "..%2F..%2FCargo.toml".into(),
            "%2e%2e/%2e%2e/etc/passwd".into(),
            "a/../../../etc/passwd".into(),
            "%00".into(),
            "widget.js%00".into(),
            "0123456789abcdef/../../Cargo.toml".into(),
            String::new(),
            "....//....//etc/passwd".into(),
            "..%5C..%5CCargo.toml".into(),
            "%FF%FE.js".into(),
            "fixline.wasm".into(),
            "0123456789abcdef/widget.js".into(),
            "y".repeat(3000),
        ]);
        let long = "x".repeat(256);
        let mut templates = vec![
            "/".to_string(),
            "/console".into(),
            "/console/login".into(),
            "/console/guides".into(),
            "/console/settings".into(),
            "/console/visits".into(),
            "/console/follow-up".into(),
            "/console/ratings".into(),
            format!("/console/cases/{case}"),
            format!("/console/cases/{case}/report"),
            format!("/console/cases/{long}"),
            format!("/console/guides/{gid}/{ver}"),
            format!("/console/guides/{gid}/{ver}/export"),
            format!("/widget/{key}"),
            format!("/widget/{long}"),
            format!("/widget-logo/{key}"),
            format!("/pkg/{pkg}"),
            format!("/pkg/{pkg}"),
            format!("/console/files/{id}"),
            "/healthz".into(),
            "/embed.js".into(),
            format!("/api/{}", self.rng.pick(&ENDPOINTS).0),
            "/api/attachments".into(),
            "/api/org-logo".into(),
            format!("/no/such/{long}"),
            "/%00".into(),
            "/console/%00".into(),
            "//console".into(),
            "/console/./cases/..".into(),
            "/widget/".into(),
            "/console/cases/".into(),
            "/api/no_such_function".into(),
            format!("/api/{long}"),
            "/api/%00".into(),
            "/api/../healthz".into(),
            "/api/load_widget/more".into(),
            "/api/LOAD_WIDGET".into(),
            "/api/".into(),
        ];
        let mut role = self.role();
        if self.rng.chance(3) {
            templates = vec!["/console/live".into(), "/diagnostics/payload".into()];
            role = Role::Anon; // a signed-in live stream would never end
        }
        let mut path = self.rng.pick(&templates);
        if path.starts_with("/api/") {
            role = self.rng.pick(&[Role::Anon, Role::Bogus]);
        }
        if self.rng.chance(30) {
            let q = self.rng.pick(&[
                "?lang=%00",
                "?%zz",
                "?a=1&a=2",
                "?v=0123456789abcdef",
                "?v=%00",
                "?lang=en&lang=zh-TW",
                "?token=abc&case=%00&org=%FF&name=..%2F..",
                "?",
            ]);
            path.push_str(q);
            if self.rng.chance(10) {
                path.push_str(&"q=1&".repeat(1000));
            }
        }
        let known_api =
            path.starts_with("/api/") && ENDPOINTS.iter().map(|e| e.0).chain(["attachments", "org-logo"]).any(|e| path[5..].starts_with(e));
        let method = if known_api {
            "GET"
        } else {
            self.rng.pick(&["GET", "GET", "GET", "GET", "GET", "GET", "GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "BREW"])
        };
        let mut headers = vec![("Origin".to_string(), self.ctx.origin.clone())];
        if let Some(c) = self.cookie(role) {
            headers.push(("Cookie".into(), c));
        }
        for (name, values) in [
            ("Accept-Encoding", &["gzip", "br", "gzip, br, zstd", "identity;q=0", "*;q=abc"][..]),
            ("Range", &["bytes=-1", "bytes=99999999999999999999-", "bytes=5-1", "bytes=0-0,1-1,2-2"][..]),
            ("If-None-Match", &["\"0123456789abcdef\"", "*", "W/\"x\"", "\"\""][..]),
            ("If-Modified-Since", &["yesterday", "Thu, 01 Jan 1970 00:00:00 GMT"][..]),
            ("Accept", &["text/html", "application/json", "*/*", "image/*"][..]),
        ] {
            if self.rng.chance(12) {
                headers.push((name.into(), self.rng.pick(values).into()));
            }
        }
        self.extra_headers(&mut headers);
        let body = if method == "GET" || method == "HEAD" {
            Vec::new()
        } else {
            self.rng.pick(&[&b""[..], b"a=b", b"{\"x\":\"\\u0000\"}", b"\xff\xfe\0"]).to_vec()
        };
        Call { label: format!("{method} route"), role, method: method.into(), path, headers, body, writes: &[], mutating: false }
    }

    /// A photo upload or a logo upload that has to be refused.
    pub(crate) fn upload(&mut self) -> Call {
        let role = self.role();
        let mut headers = vec![("Origin".to_string(), self.ctx.origin.clone())];
        if let Some(c) = self.cookie(role) {
            headers.push(("Cookie".into(), c));
        }
        let mut refs_real = matches!(role, Role::Admin | Role::Tech);
        let (path, writes, label): (String, &'static [&'static str], &str) = if self.rng.chance(25) {
            let q = self.rng.pick(&[
                "",
                "?org_id=1",
                "?org_id=-1",
                "?org_id=abc",
                "?org_id=%00",
                "?org_id=9223372036854775808",
                "?org_id=1&org_id=2",
                "?%zz",
                "?org_id=1%00",
            ]);
            (format!("/api/org-logo{q}"), &[], "org-logo")
        } else {
            let mut q = Vec::new();
            if self.rng.chance(70) {
                let real = self.rng.chance(60);
                refs_real |= real;
                q.push(format!(
                    "case={}",
                    if real {
                        self.ctx.number.clone()
                    } else {
                        self.rng.pick(&["FX-999999999999", "%00", "FX-000001%00", "-1", "", "x"]).into()
                    }
                ));
            }
            if self.rng.chance(60) {
                let real = self.rng.chance(60);
                refs_real |= real;
                q.push(format!(
                    "org={}",
                    if real {
                        self.rng.pick(&ORGS).into()
                    } else {
                        self.rng.pick(&["no-such-org", "%00", "demo-hospital%00", "%FF"]).to_string()
                    }
                ));
            }
            if self.rng.chance(80) {
                let long = "n".repeat(300);
                q.push(format!(
                    "name={}",
                    self.rng.pick(&[
                        "x.jpg",
                        "",
                        "..%2F..%2Fetc%2Fpasswd",
                        "x%00.jpg",
                        "%zz",
                        "%F0%9F%98%80.jpg",
                        "con.jpg",
                        long.as_str()
                    ])
                ));
            }
            for extra in ["token=0123", "submission=0123456789abcdef0123456789abcdef", "&&", "case=1&case=2", "=x", "%"] {
                if self.rng.chance(8) {
                    q.push(extra.into());
                }
            }
            (format!("/api/attachments?{}", q.join("&")), &["attachments"], "attachments")
        };
        if self.rng.chance(50) {
            let real = self.rng.chance(50);
            refs_real |= real;
            let options = [self.rng.hex(65), self.rng.hex(64), String::new(), "é".repeat(32), "0".repeat(1000)];
            let v = if real { self.ctx.token.clone() } else { self.rng.pick(&options) };
            headers.push(("X-Fixline-Token".into(), v));
        }
        if self.rng.chance(30) {
            let real = self.rng.chance(50);
            refs_real |= real;
            let v =
                if real { self.rng.hex(32) } else { self.rng.pick(&["short".to_string(), "x".repeat(65), "a b c d e f g h i j".into()]) };
            headers.push(("X-Fixline-Submission".into(), v));
        }
        if self.rng.chance(80) {
            headers.push((
                "Content-Type".into(),
                self.rng
                    .pick(&["image/jpeg", "image/png", "application/octet-stream", "multipart/form-data; boundary=x", "text/plain"])
                    .into(),
            ));
        }
        let mut body: Vec<u8> = match self.rng.below(8) {
            0 => Vec::new(),
            1 => b"GIF89a\x01\x00\x01\x00".to_vec(),
            2 => b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(),
            3 => b"%PDF-1.4\n\0\0".to_vec(),
            4 => b"RIFF\0\0\0\0WAVEfmt ".to_vec(),
            5 if !refs_real => b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec(), // an image, but from nobody
            _ => (0..self.rng.below(4096) + 1).map(|i| if i == 0 { b'Z' } else { self.rng.next() as u8 }).collect(),
        };
        if self.rng.chance(1) {
            body.resize(UPLOAD_LIMIT + 1024, 0);
        }
        self.extra_headers(&mut headers);
        Call { label: format!("{label} upload"), role, method: "POST".into(), path, headers, body, writes, mutating: true }
    }
}

fn excerpt(bytes: &[u8], n: usize) -> String {
    format!("{:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(n)]))
}

async fn hostile_calls_get_no_5xx_and_write_nothing(db: Db) {
    let server = TestServer::start_with(db, &SERVER_ARGS).await;
    let ctx = Ctx::prepare(&server).await;
    let before = counts(&server).await;
    let seed = std::env::var("FIXLINE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_F1C5_u64);
    let mut gen = Gen { ctx: &ctx, rng: Rng(seed), raws: Vec::new() };
    let started = Instant::now();
    let calls = std::iter::from_fn(|| (started.elapsed() < TIME_BUDGET).then(|| gen.call())).take(CALLS);
    let addr = server.addr.clone();
    struct Seen {
        call: String,
        answer: Answer,
        role: Role,
        writes: &'static [&'static str],
        mutating: bool,
        oversize: bool,
    }
    let seen: Vec<Seen> = futures::stream::iter(calls)
        .map(|call| {
            let addr = addr.clone();
            async move {
                let answer = send(&addr, &call).await;
                let text =
                    format!("{} {} {} body {}", call.label, call.method, excerpt(call.path.as_bytes(), 200), excerpt(&call.body, 200));
                let oversize = call.body.len() > BODY_LIMIT;
                Seen { call: text, answer, role: call.role, writes: call.writes, mutating: call.mutating, oversize }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let elapsed = started.elapsed();

    let (mut classes, mut statuses, mut coverage) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let (mut failures, mut accepted_writes, mut redirected_errors) = (Vec::new(), Vec::new(), 0);
    for s in &seen {
        let class = match &s.answer {
            Answer::Status(code, body) => {
                *statuses.entry(*code).or_insert(0usize) += 1;
                if *code >= 500 {
                    failures.push(format!("{} -> {code} {body:?}", s.call));
                }
                // With `Accept: text/html` a server function answers as to a
                // form posted without JavaScript: a redirect, the error (if
                // any) as the body.
                let refused = *code >= 400 || (*code >= 300 && body.starts_with("{\"kind\""));
                if *code >= 300 && *code < 400 && body.starts_with("{\"kind\"") {
                    redirected_errors += 1;
                }
                if !refused && s.mutating {
                    accepted_writes.push((s.writes, format!("{} -> {code} {body:?}", s.call)));
                }
                format!("{}xx", code / 100)
            }
            Answer::Closed if s.oversize => "closed (oversized body)".into(),
            Answer::Closed => {
                failures.push(format!("{} -> connection closed without an answer", s.call));
                "closed".into()
            }
            Answer::TimedOut => {
                failures.push(format!("{} -> no answer within 20 s", s.call));
                "timed out".into()
            }
        };
        *classes.entry(class).or_insert(0usize) += 1;
        let endpoint = s.call.split(' ').next().unwrap_or_default().to_string();
        coverage.entry(endpoint).or_insert_with(Vec::new).push(s.role);
    }
    eprintln!("{db:?}: {} calls in {:.1} s (seed {seed}); by class {classes:?}; by status {statuses:?}", seen.len(), elapsed.as_secs_f64());
    eprintln!("{db:?}: {redirected_errors} refusals came as a redirect with the error as body (Accept: text/html); {} calls meant to be refused were accepted", accepted_writes.len());
    if seen.len() < 10_000 {
        eprintln!("{db:?}: only {} calls within the {TIME_BUDGET:?} budget", seen.len());
    }
    assert!(seen.len() >= 1_000, "the run made only {} calls", seen.len());
    for (name, ..) in ENDPOINTS {
        let roles = coverage.get(name).cloned().unwrap_or_default();
        let wanted: &[Role] = if name == "logout" { &[Role::Anon] } else { &[Role::Anon, Role::Admin, Role::Tech] };
        for r in wanted {
            assert!(roles.contains(r), "{name} was never called as {r:?}");
        }
    }
    assert!(
        failures.is_empty(),
        "{db:?}: {} calls got a 5xx or no answer; the first 20:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );

    let health = server.request("GET", "/healthz", &[], b"").await;
    assert_eq!(health.status, 200, "healthz after the run: {}", health.text());
    server.queue(&ctx.admin, json!({})).await; // the admin's session still works

    let after = counts(&server).await;
    for (w, call) in accepted_writes.iter().take(20) {
        eprintln!("{db:?}: a call meant to be refused was accepted (may write {w:?}): {call}");
    }
    for t in TABLES {
        if accepted_writes.iter().any(|(w, _)| w.contains(&t)) {
            assert!(after[t] >= before[t], "{t}: {} rows before, {} after", before[t], after[t]);
        } else {
            assert_eq!(after[t], before[t], "{db:?}: refused calls changed {t} ({} rows before, {} after)", before[t], after[t]);
        }
    }
    server.stop().await;
}

/// NUL bytes on each input named in issue 14: a 4xx, never a 5xx or a success.
async fn nul_bytes_are_refused_with_4xx(db: Db) {
    let server = TestServer::start_with(db, &SERVER_ARGS).await;
    let ctx = Ctx::prepare(&server).await;
    let before = counts(&server).await;
    let (org, token, number, asset) = (ORGS[0], ctx.token.as_str(), ctx.number.as_str(), ctx.panel);
    let form = "application/x-www-form-urlencoded";
    let mut calls: Vec<RawCall> = vec![
        ("POST", "/api/load_widget".into(), vec![("Content-Type", form.into())], b"org_key=demo-hospital%00".to_vec()),
        ("POST", "/api/load_widget".into(), vec![("Content-Type", form.into())], b"org_key=demo-hospital\0".to_vec()),
        (
            "POST",
            "/api/load_guides".into(),
            vec![("Content-Type", form.into())],
            format!("org_key=demo%00hospital&asset_id={asset}").into_bytes(),
        ),
        ("POST", "/api/load_guides".into(), vec![("Content-Type", form.into())], format!("org_key={org}&asset_id={asset}%00").into_bytes()),
        ("POST", "/api/login".into(), vec![("Content-Type", form.into())], b"username=admin%00&password=fixline-demo".to_vec()),
        ("POST", "/api/login".into(), vec![("Content-Type", form.into())], b"username=supervisor&password=fixline-demo%00".to_vec()),
        ("POST", "/api/login".into(), vec![("Content-Type", form.into())], b"username=%00&password=%00".to_vec()),
        ("POST", "/api/track_case".into(), vec![("Content-Type", form.into())], format!("org_key={org}%00&token={token}").into_bytes()),
        ("POST", "/api/track_case".into(), vec![("Content-Type", form.into())], format!("org_key={org}&token={token}%00").into_bytes()),
        (
            "POST",
            "/api/track_case".into(),
            vec![("Content-Type", form.into())],
            format!("org_key={org}&token={}%00", &token[..63]).into_bytes(),
        ),
        ("GET", format!("/widget-logo/{org}%00"), vec![], vec![]),
        ("GET", "/widget-logo/%00".into(), vec![], vec![]),
        ("GET", format!("/console/guides/{GUIDE}%00/1/export"), vec![("Cookie", ctx.admin.clone())], vec![]),
        ("GET", "/console/guides/%00/1/export".into(), vec![("Cookie", ctx.admin.clone())], vec![]),
        ("GET", format!("/console/guides/{GUIDE}/1%00/export"), vec![("Cookie", ctx.admin.clone())], vec![]),
    ];
    let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
    for (query, header) in [
        (format!("case={number}%00&org={org}&name=x.jpg"), ("X-Fixline-Token", token.to_string())),
        (format!("case={number}&org={org}%00&name=x.jpg"), ("X-Fixline-Token", token.to_string())),
        (format!("case={number}&org={org}&name=x%00.jpg"), ("X-Fixline-Token", token.to_string())),
        (format!("org={org}&name=x%00.jpg"), ("X-Fixline-Submission", "0123456789abcdef0123456789abcdef".into())),
        (format!("org={org}%00&name=x.jpg"), ("X-Fixline-Submission", "0123456789abcdef0123456789abcdef".into())),
        (format!("case={number}&name=x%00.jpg"), ("Cookie", ctx.admin.clone())),
    ] {
        calls.push(("POST", format!("/api/attachments?{query}"), vec![("Content-Type", "image/jpeg".into()), header], jpeg.clone()));
    }
    for search in ["\u{0}", "FX-\u{0}", "13800\u{0}138000"] {
        for cookie in [&ctx.admin, &ctx.tech] {
            let body = json!({ "filter": { "search": search } }).to_string().into_bytes();
            calls.push((
                "POST",
                "/api/list_queue".into(),
                vec![("Content-Type", "application/json".into()), ("Cookie", cookie.clone())],
                body,
            ));
        }
    }
    let fields = ["org_key", "submission_id", "reporter_name", "phone", "symptom", "guide_id", "result", "steps/0/node", "steps/1/choice"];
    for (i, field) in fields.iter().enumerate() {
        let mut body = escalation(asset, ctx.version, &format!("{i:0>2}23456789abcdef0123456789abcdef"));
        let v = body.pointer_mut(&format!("/submission/{field}")).unwrap();
        *v = json!(format!("{}\0", v.as_str().unwrap()));
        calls.push(("POST", "/api/submit_case".into(), vec![("Content-Type", "application/json".into())], body.to_string().into_bytes()));
    }
    let mut body = escalation(asset, ctx.version, "ff23456789abcdef0123456789abcdef");
    body["submission"]["steps"][0]["value"] = json!("12\u{0}V");
    calls.push(("POST", "/api/submit_case".into(), vec![("Content-Type", "application/json".into())], body.to_string().into_bytes()));

    let mut wrong = Vec::new();
    for (method, path, mut headers, body) in calls {
        headers.push(("Origin", ctx.origin.clone()));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = server.raw_request(method, &path, &headers, &body).await;
        if !(400..500).contains(&res.status) {
            wrong.push(format!("{method} {path} body {} -> {} {}", excerpt(&body, 200), res.status, excerpt(&res.body, 200)));
        }
    }
    assert!(wrong.is_empty(), "{db:?}: NUL bytes not refused with a 4xx:\n{}", wrong.join("\n"));
    assert_eq!(counts(&server).await, before, "{db:?}: refused NUL calls wrote something");
    server.stop().await;
}

/// A hostile request: method, path and query, headers, body.
type RawCall<'a> = (&'a str, String, Vec<(&'a str, String)>, Vec<u8>);
