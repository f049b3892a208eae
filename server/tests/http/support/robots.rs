//! Local stand-ins for the chat robots Fixline posts to: a WeCom group
//! robot, a DingTalk custom robot and a Feishu custom bot, all served by one
//! axum server on loopback. Each checks what the real provider checks (the
//! robot's key or token, DingTalk's and Feishu's signatures and timestamps,
//! message types and sizes, 20 or 100 messages a minute) and answers the way
//! it does, with HTTP 200 and an error code in the body. What they accepted
//! is recorded for the tests; they can also be told to fail or hang.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// A message a robot accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// "wecom", "dingtalk" or "feishu".
    pub provider: &'static str,
    /// The WeCom key, DingTalk access token or Feishu hook id.
    pub robot: String,
    /// The text or markdown content.
    pub text: String,
    /// WeCom `mentioned_mobile_list` or DingTalk `at.atMobiles` (Feishu: none).
    pub mentions: Vec<String>,
    pub at_ms: i64,
}

/// A request a robot refused with an error code (HTTP 200, like the real ones).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub provider: &'static str,
    pub robot: String,
    pub code: i64,
}

#[derive(Default)]
struct Inner {
    wecom: HashSet<String>,
    /// token → secret
    dingtalk: HashMap<String, String>,
    /// hook id → secret
    feishu: HashMap<String, String>,
    fail_next: usize,
    hang: bool,
    requests: usize,
    received: Vec<Received>,
    refusals: Vec<Refusal>,
}

type Shared = Arc<Mutex<Inner>>;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// base64(HMAC-SHA256(key, msg)).
fn hmac_base64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk's `sign` before URL-encoding: the secret signs "timestamp\nsecret".
pub fn dingtalk_sign(secret: &str, timestamp_ms: &str) -> String {
    hmac_base64(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes())
}

/// Feishu's `sign`: "timestamp\nsecret" is the key, the message is empty.
pub fn feishu_sign(secret: &str, timestamp_s: &str) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

impl Inner {
    /// Messages this robot accepted in the last 60 s (its sliding window).
    fn sent_last_minute(&self, provider: &str, robot: &str, now: i64) -> usize {
        self.received.iter().filter(|m| m.provider == provider && m.robot == robot && m.at_ms > now - MINUTE_MS).count()
    }

    fn refuse(&mut self, provider: &'static str, robot: &str, code: i64) {
        self.refusals.push(Refusal { provider, robot: robot.to_string(), code });
    }

    fn accept(&mut self, provider: &'static str, robot: &str, text: &str, mentions: Vec<String>, now: i64) {
        self.received.push(Received { provider, robot: robot.to_string(), text: text.to_string(), mentions, at_ms: now });
    }
}

/// The strings of a JSON array (anything else: none).
fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// Every string in a JSON tree, one a line (Feishu rich text and cards).
fn all_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|x| all_text(x, out)),
        Value::Object(map) => map.values().for_each(|x| all_text(x, out)),
        _ => {}
    }
}

/// What happens before a provider looks at a request: it is counted, and
/// maybe hangs (a timeout for the sender) or fails with HTTP 500.
async fn gate(shared: &Shared) -> Option<Response> {
    let hang = {
        let mut s = shared.lock().unwrap();
        s.requests += 1;
        s.hang
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(120)).await;
        return Some((StatusCode::GATEWAY_TIMEOUT, "hung for 120 s").into_response());
    }
    let fail = {
        let mut s = shared.lock().unwrap();
        let fail = s.fail_next > 0;
        if fail {
            s.fail_next -= 1;
        }
        fail
    };
    fail.then(|| (StatusCode::INTERNAL_SERVER_ERROR, "<html><body>500 Internal Server Error</body></html>").into_response())
}

// ---- WeCom: POST /cgi-bin/webhook/send?key=KEY

async fn wecom(State(shared): State<Shared>, Query(q): Query<HashMap<String, String>>, body: Bytes) -> Response {
    if let Some(r) = gate(&shared).await {
        return r;
    }
    let key = q.get("key").cloned().unwrap_or_default();
    let answer = wecom_send(&mut shared.lock().unwrap(), &key, &body, now_ms());
    Json(answer).into_response()
}

fn wecom_send(s: &mut Inner, key: &str, body: &[u8], now: i64) -> Value {
    let refuse = |s: &mut Inner, code: i64, msg: &str| {
        s.refuse("wecom", key, code);
        json!({ "errcode": code, "errmsg": msg })
    };
    if !s.wecom.contains(key) {
        return refuse(s, 93000, "invalid webhook url");
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return refuse(s, 40035, "invalid parameter: the body is not JSON");
    };
    let (text, mentions, max_bytes) = match v["msgtype"].as_str() {
        Some("text") => (v["text"]["content"].as_str(), strings(&v["text"]["mentioned_mobile_list"]), 2048),
        Some("markdown") => (v["markdown"]["content"].as_str(), Vec::new(), 4096),
        _ => return refuse(s, 40008, "invalid message type"),
    };
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return refuse(s, 44004, "empty content");
    };
    if text.len() > max_bytes {
        return refuse(s, 40058, "content exceed max length");
    }
    if s.sent_last_minute("wecom", key, now) >= 20 {
        return refuse(s, 45009, "api freq out of limit");
    }
    s.accept("wecom", key, text, mentions, now);
    json!({ "errcode": 0, "errmsg": "ok" })
}

// ---- DingTalk: POST /robot/send?access_token=T&timestamp=MS&sign=S

async fn dingtalk(State(shared): State<Shared>, Query(q): Query<HashMap<String, String>>, body: Bytes) -> Response {
    if let Some(r) = gate(&shared).await {
        return r;
    }
    let answer = dingtalk_send(&mut shared.lock().unwrap(), &q, &body, now_ms());
    Json(answer).into_response()
}

fn dingtalk_send(s: &mut Inner, q: &HashMap<String, String>, body: &[u8], now: i64) -> Value {
    let token = q.get("access_token").cloned().unwrap_or_default();
    let refuse = |s: &mut Inner, code: i64, msg: &str| {
        s.refuse("dingtalk", &token, code);
        json!({ "errcode": code, "errmsg": msg })
    };
    let Some(secret) = s.dingtalk.get(&token).cloned() else {
        return refuse(s, 300001, "token is not exist");
    };
    let timestamp = q.get("timestamp").cloned().unwrap_or_default();
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (now - t).abs() <= HOUR_MS);
    if !fresh {
        return refuse(s, 310000, "timestamp invalid");
    }
    // The Query extractor has URL-decoded `sign` already: compare plain base64.
    if q.get("sign") != Some(&dingtalk_sign(&secret, &timestamp)) {
        return refuse(s, 310000, "sign not match");
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return refuse(s, 40035, "缺少参数 json");
    };
    let text = match v["msgtype"].as_str() {
        Some("text") => v["text"]["content"].as_str(),
        Some("markdown") => v["markdown"]["text"].as_str().filter(|_| v["markdown"]["title"].is_string()),
        _ => return refuse(s, 40035, "invalid msgtype"),
    };
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return refuse(s, 40035, "缺少参数 content");
    };
    if text.len() > 20_000 {
        return refuse(s, 460101, "message too long");
    }
    if s.sent_last_minute("dingtalk", &token, now) >= 20 {
        return refuse(s, 130101, "send too fast, exceed 20 times per minute");
    }
    let mentions = strings(&v["at"]["atMobiles"]);
    s.accept("dingtalk", &token, text, mentions, now);
    json!({ "errcode": 0, "errmsg": "ok" })
}

// ---- Feishu: POST /open-apis/bot/v2/hook/ID, signed in the body

async fn feishu(State(shared): State<Shared>, Path(hook): Path<String>, body: Bytes) -> Response {
    if let Some(r) = gate(&shared).await {
        return r;
    }
    let answer = feishu_send(&mut shared.lock().unwrap(), &hook, &body, now_ms());
    Json(answer).into_response()
}

fn feishu_send(s: &mut Inner, hook: &str, body: &[u8], now: i64) -> Value {
    let refuse = |s: &mut Inner, code: i64, msg: &str| {
        s.refuse("feishu", hook, code);
        json!({ "code": code, "msg": msg, "data": {} })
    };
    let Some(secret) = s.feishu.get(hook).cloned() else {
        return refuse(s, 19001, "param invalid: incoming webhook access token invalid");
    };
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return refuse(s, 9499, "Bad Request");
    };
    // Feishu's documented shape: the timestamp in seconds, as a string.
    let timestamp = v["timestamp"].as_str().unwrap_or_default();
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (now / 1000 - t).abs() <= HOUR_MS / 1000);
    if !fresh || v["sign"].as_str() != Some(feishu_sign(&secret, timestamp).as_str()) {
        return refuse(s, 19021, "sign match fail or timestamp is not within one hour from current time");
    }
    let text = match v["msg_type"].as_str() {
        Some("text") => v["content"]["text"].as_str().unwrap_or_default().to_string(),
        Some("post") => {
            let mut out = String::new();
            all_text(&v["content"]["post"], &mut out);
            out
        }
        Some("interactive") => {
            let mut out = String::new();
            all_text(&v["card"], &mut out);
            out
        }
        _ => return refuse(s, 9499, "Bad Request: unknown msg_type"),
    };
    if text.trim().is_empty() {
        return refuse(s, 9499, "Bad Request: empty content");
    }
    if s.sent_last_minute("feishu", hook, now) >= 100 {
        return refuse(s, 11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]");
    }
    // Feishu bots cannot @-mention by phone number.
    s.accept("feishu", hook, &text, Vec::new(), now);
    json!({ "code": 0, "msg": "success", "data": {} })
}

/// The three robots on one local server; stopped on drop.
pub struct Robots {
    addr: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Robots {
    pub async fn start() -> Robots {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the robots' port");
        let addr = listener.local_addr().unwrap().to_string();
        let shared = Shared::default();
        let app = Router::new()
            .route("/cgi-bin/webhook/send", post(wecom))
            .route("/robot/send", post(dingtalk))
            .route("/open-apis/bot/v2/hook/{hook}", post(feishu))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the robots' server");
        });
        Robots { addr, shared, task }
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Registers a WeCom robot; its webhook URL.
    pub fn wecom(&self, key: &str) -> String {
        self.shared.lock().unwrap().wecom.insert(key.to_string());
        format!("http://{}/cgi-bin/webhook/send?key={key}", self.addr)
    }

    /// Registers a DingTalk robot signing with `secret`; its webhook URL.
    pub fn dingtalk(&self, token: &str, secret: &str) -> String {
        self.shared.lock().unwrap().dingtalk.insert(token.to_string(), secret.to_string());
        format!("http://{}/robot/send?access_token={token}", self.addr)
    }

    /// Registers a Feishu bot signing with `secret`; its webhook URL.
    pub fn feishu(&self, hook: &str, secret: &str) -> String {
        self.shared.lock().unwrap().feishu.insert(hook.to_string(), secret.to_string());
        format!("http://{}/open-apis/bot/v2/hook/{hook}", self.addr)
    }

    /// The next `n` requests (any provider) answer HTTP 500 and are not
    /// recorded; `fail_next(0)` ends a failure run at once.
    pub fn fail_next(&self, n: usize) {
        self.shared.lock().unwrap().fail_next = n;
    }

    /// While on, requests wait 120 s before an answer (a timeout for the
    /// sender) and are never recorded.
    pub fn hang(&self, on: bool) {
        self.shared.lock().unwrap().hang = on;
    }

    /// Every message accepted so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// The accepted messages whose text contains `needle` (e.g. a case number).
    pub fn about(&self, needle: &str) -> Vec<Received> {
        self.received().into_iter().filter(|m| m.text.contains(needle)).collect()
    }

    /// Every refusal with an error code (bad key, signature, rate limit …).
    pub fn refusals(&self) -> Vec<Refusal> {
        self.shared.lock().unwrap().refusals.clone()
    }

    /// Every request that arrived, accepted or not.
    pub fn requests(&self) -> usize {
        self.shared.lock().unwrap().requests
    }

    /// Waits until at least `n` messages were accepted; what there is at the deadline.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        self.wait_until(within, |all| all.len() >= n).await
    }

    /// Waits until at least `n` accepted messages contain `needle`; those at the deadline.
    pub async fn wait_about(&self, needle: &str, n: usize, within: Duration) -> Vec<Received> {
        let matching = self.wait_until(within, |all| all.iter().filter(|m| m.text.contains(needle)).count() >= n).await;
        matching.into_iter().filter(|m| m.text.contains(needle)).collect()
    }

    async fn wait_until(&self, within: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let all = self.received();
            if done(&all) || tokio::time::Instant::now() >= deadline {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Robots {
    fn drop(&mut self) {
        self.task.abort();
    }
}
