//! Local stand-ins for the two template-SMS providers Fixline texts
//! customers through: Aliyun's dysmsapi `SendSms` (RPC style, signature v1:
//! HMAC-SHA1 over the percent-encoded form) and Tencent Cloud's SMS
//! `SendSms` (API 3.0, TC3-HMAC-SHA256), each on a loopback port of its own
//! at `/`. Written from the providers' documentation, not from the app's
//! code: each checks what the real one checks (credentials, signature,
//! timestamp, nonce, action and version, approved signature and template,
//! the template's variables, the number, the per-number limits) and answers
//! as it does. What they accepted and refused is recorded for the tests;
//! they can also be told to fail (HTTP 500) or to hang.
//!
//! This file holds what both share: the accounts, the record, the
//! per-number limits, failing and hanging, and the two servers. Each
//! provider's checks and answers are in a file of its own (sms_aliyun.rs,
//! sms_tencent.rs).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use super::sms_aliyun::aliyun;
use super::sms_tencent::tencent;

/// A text a provider accepted (one per number).
#[derive(Debug, Clone)]
pub struct Sms {
    /// "aliyun" or "tencent".
    pub provider: &'static str,
    /// The AccessKeyId or SecretId that signed the request.
    pub account: String,
    /// The number, normalised to 11 digits.
    pub phone: String,
    pub sign_name: String,
    /// Aliyun's TemplateCode or Tencent's TemplateId.
    pub template: String,
    /// The template's variables with their values, in the order the
    /// template was registered with. Aliyun: from the TemplateParam object
    /// by name; Tencent: TemplateParamSet by position.
    pub params: Vec<(String, String)>,
    /// When the provider received it (ms since the epoch).
    pub at_ms: i64,
}

impl Sms {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The values in order (Tencent's TemplateParamSet as sent).
    pub fn values(&self) -> Vec<&str> {
        self.params.iter().map(|(_, v)| v.as_str()).collect()
    }
}

/// A request a provider refused: Aliyun's `Code` (HTTP 4xx, or 200 for
/// business errors), Tencent's `Response.Error.Code` or the number's
/// `SendStatusSet[].Code`.
#[derive(Debug, Clone)]
pub struct SmsRefusal {
    pub provider: &'static str,
    /// The number as sent (normalised when it was valid), or "".
    pub phone: String,
    pub code: String,
    pub message: String,
}

#[derive(Default)]
pub(super) struct Inner {
    /// AccessKeyId → AccessKeySecret
    pub(super) aliyun_keys: HashMap<String, String>,
    pub(super) aliyun_signs: HashSet<String>,
    /// TemplateCode → variable names
    pub(super) aliyun_templates: HashMap<String, Vec<String>>,
    /// SignatureNonce values seen (each may be used once).
    pub(super) nonces: HashSet<String>,
    /// SecretId → SecretKey
    pub(super) tencent_keys: HashMap<String, String>,
    pub(super) tencent_apps: HashSet<String>,
    pub(super) tencent_signs: HashSet<String>,
    /// TemplateId → variable names (positional)
    pub(super) tencent_templates: HashMap<String, Vec<String>>,
    gap_ms: i64,
    per_hour: Option<usize>,
    per_day: usize,
    fail_next: usize,
    hang: bool,
    requests: usize,
    pub(super) serial: u64,
    pub(super) received: Vec<Sms>,
    refusals: Vec<SmsRefusal>,
}

pub(super) type Shared = Arc<Mutex<Inner>>;

pub(super) const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Limit {
    Gap,
    Hour,
    Day,
}

impl Inner {
    pub(super) fn next_id(&mut self) -> String {
        self.serial += 1;
        format!("F1X0{:04X}-5A3C-4E7B-9D21-{:012X}", self.serial, now_ms())
    }

    pub(super) fn refuse(&mut self, provider: &'static str, phone: &str, code: &str, message: &str) {
        self.refusals.push(SmsRefusal { provider, phone: phone.to_string(), code: code.to_string(), message: message.to_string() });
    }

    /// The first per-number limit a new text to `phone` would break.
    pub(super) fn limit(&self, provider: &str, phone: &str, now: i64) -> Option<Limit> {
        let times: Vec<i64> = self.received.iter().filter(|m| m.provider == provider && m.phone == phone).map(|m| m.at_ms).collect();
        let within = |ms: i64| times.iter().filter(|t| now - **t < ms).count();
        if within(self.gap_ms) > 0 {
            Some(Limit::Gap)
        } else if self.per_hour.is_some_and(|max| within(HOUR_MS) >= max) {
            Some(Limit::Hour)
        } else if within(DAY_MS) >= self.per_day {
            Some(Limit::Day)
        } else {
            None
        }
    }
}

/// A mainland mobile number: 11 digits, 13x–19x.
pub(super) fn mobile(digits: &str) -> Option<String> {
    let b = digits.as_bytes();
    let ok = b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    ok.then(|| digits.to_string())
}

/// Counted; maybe hangs (a timeout for the sender) or fails with HTTP 500
/// before the provider looks at the request.
pub(super) async fn gate(shared: &Shared) -> Option<Response> {
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
        s.fail_next = s.fail_next.saturating_sub(1);
        fail
    };
    fail.then(|| (StatusCode::INTERNAL_SERVER_ERROR, "<html><body>500 Internal Server Error</body></html>").into_response())
}

/// Both providers, each on its own loopback port; stopped on drop.
pub struct SmsProviders {
    aliyun_addr: String,
    tencent_addr: String,
    shared: Shared,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SmsProviders {
    /// The providers' default limits per number: one text a minute, 5 an
    /// hour, 10 a day (see `set_gap`, `set_hourly_limit`).
    pub async fn start() -> SmsProviders {
        let shared = Shared::default();
        {
            let mut s = shared.lock().unwrap();
            s.gap_ms = MINUTE_MS;
            s.per_hour = Some(5);
            s.per_day = 10;
        }
        let mut tasks = Vec::new();
        let mut addrs = Vec::new();
        for which in ["aliyun", "tencent"] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind an SMS provider's port");
            addrs.push(listener.local_addr().unwrap().to_string());
            let app = match which {
                "aliyun" => Router::new().route("/", post(aliyun)),
                _ => Router::new().route("/", post(tencent)),
            }
            .with_state(shared.clone());
            tasks.push(tokio::spawn(async move {
                axum::serve(listener, app).await.expect("an SMS provider's server");
            }));
        }
        SmsProviders { aliyun_addr: addrs[0].clone(), tencent_addr: addrs[1].clone(), shared, tasks }
    }

    /// `http://127.0.0.1:PORT/`
    pub fn aliyun_url(&self) -> String {
        format!("http://{}/", self.aliyun_addr)
    }

    /// `http://127.0.0.1:PORT/`
    pub fn tencent_url(&self) -> String {
        format!("http://{}/", self.tencent_addr)
    }

    /// An Aliyun AccessKey pair.
    pub fn aliyun_account(&self, key_id: &str, secret: &str) {
        self.shared.lock().unwrap().aliyun_keys.insert(key_id.to_string(), secret.to_string());
    }

    /// An approved Aliyun signature (签名).
    pub fn aliyun_sign(&self, sign_name: &str) {
        self.shared.lock().unwrap().aliyun_signs.insert(sign_name.to_string());
    }

    /// An approved Aliyun template with its variables, e.g. `("SMS_1", &["number", "time"])`.
    pub fn aliyun_template(&self, code: &str, vars: &[&str]) {
        self.shared.lock().unwrap().aliyun_templates.insert(code.to_string(), vars.iter().map(|v| v.to_string()).collect());
    }

    /// A Tencent Cloud API key pair.
    pub fn tencent_account(&self, secret_id: &str, secret_key: &str) {
        self.shared.lock().unwrap().tencent_keys.insert(secret_id.to_string(), secret_key.to_string());
    }

    /// A Tencent SMS application (SmsSdkAppId).
    pub fn tencent_app(&self, app_id: &str) {
        self.shared.lock().unwrap().tencent_apps.insert(app_id.to_string());
    }

    pub fn tencent_sign(&self, sign_name: &str) {
        self.shared.lock().unwrap().tencent_signs.insert(sign_name.to_string());
    }

    /// An approved Tencent template; its variables `{1}`, `{2}`… named in order.
    pub fn tencent_template(&self, id: &str, vars: &[&str]) {
        self.shared.lock().unwrap().tencent_templates.insert(id.to_string(), vars.iter().map(|v| v.to_string()).collect());
    }

    /// The least time between two texts to one number (both providers).
    pub fn set_gap(&self, gap: Duration) {
        self.shared.lock().unwrap().gap_ms = gap.as_millis() as i64;
    }

    /// Texts to one number an hour (`None`: no hourly limit).
    pub fn set_hourly_limit(&self, max: Option<usize>) {
        self.shared.lock().unwrap().per_hour = max;
    }

    /// The next `n` requests (either provider) answer HTTP 500 and are not
    /// looked at; `fail_next(0)` ends a failure run at once.
    pub fn fail_next(&self, n: usize) {
        self.shared.lock().unwrap().fail_next = n;
    }

    /// While on, requests wait 120 s before an answer and are never recorded.
    pub fn hang(&self, on: bool) {
        self.shared.lock().unwrap().hang = on;
    }

    /// Every text accepted so far, oldest first.
    pub fn received(&self) -> Vec<Sms> {
        self.shared.lock().unwrap().received.clone()
    }

    /// The accepted texts whose `number` parameter is `case_number`.
    pub fn about(&self, case_number: &str) -> Vec<Sms> {
        self.received().into_iter().filter(|m| m.param("number") == Some(case_number)).collect()
    }

    /// The accepted texts to `phone` (11 digits).
    pub fn to(&self, phone: &str) -> Vec<Sms> {
        self.received().into_iter().filter(|m| m.phone == phone).collect()
    }

    pub fn refusals(&self) -> Vec<SmsRefusal> {
        self.shared.lock().unwrap().refusals.clone()
    }

    /// Every request that arrived, accepted or not.
    pub fn requests(&self) -> usize {
        self.shared.lock().unwrap().requests
    }

    /// Waits until at least `n` texts were accepted; what there is at the deadline.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Sms> {
        self.wait_until(within, |all| all.len() >= n).await
    }

    /// Waits until at least `n` texts are about `case_number`; those at the deadline.
    pub async fn wait_about(&self, case_number: &str, n: usize, within: Duration) -> Vec<Sms> {
        let about = |m: &Sms| m.param("number") == Some(case_number);
        let all = self.wait_until(within, |all| all.iter().filter(|m| about(m)).count() >= n).await;
        all.into_iter().filter(about).collect()
    }

    async fn wait_until(&self, within: Duration, done: impl Fn(&[Sms]) -> bool) -> Vec<Sms> {
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

impl Drop for SmsProviders {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}
