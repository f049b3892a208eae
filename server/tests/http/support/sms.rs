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
//! Also here: a server process whose log is kept in a file (the secrets
//! test reads it).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::Sha256;

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
struct Inner {
    /// AccessKeyId → AccessKeySecret
    aliyun_keys: HashMap<String, String>,
    aliyun_signs: HashSet<String>,
    /// TemplateCode → variable names
    aliyun_templates: HashMap<String, Vec<String>>,
    /// SignatureNonce values seen (each may be used once).
    nonces: HashSet<String>,
    /// SecretId → SecretKey
    tencent_keys: HashMap<String, String>,
    tencent_apps: HashSet<String>,
    tencent_signs: HashSet<String>,
    /// TemplateId → variable names (positional)
    tencent_templates: HashMap<String, Vec<String>>,
    gap_ms: i64,
    per_hour: Option<usize>,
    per_day: usize,
    fail_next: usize,
    hang: bool,
    requests: usize,
    serial: u64,
    received: Vec<Sms>,
    refusals: Vec<SmsRefusal>,
}

type Shared = Arc<Mutex<Inner>>;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Gap,
    Hour,
    Day,
}

impl Inner {
    fn next_id(&mut self) -> String {
        self.serial += 1;
        format!("F1X0{:04X}-5A3C-4E7B-9D21-{:012X}", self.serial, now_ms())
    }

    fn refuse(&mut self, provider: &'static str, phone: &str, code: &str, message: &str) {
        self.refusals.push(SmsRefusal { provider, phone: phone.to_string(), code: code.to_string(), message: message.to_string() });
    }

    /// The first per-number limit a new text to `phone` would break.
    fn limit(&self, provider: &str, phone: &str, now: i64) -> Option<Limit> {
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
fn mobile(digits: &str) -> Option<String> {
    let b = digits.as_bytes();
    let ok = b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    ok.then(|| digits.to_string())
}

// ---- Encodings and signatures, from the providers' documentation.

/// RFC 3986 percent-encoding as Aliyun's signature v1 documents it:
/// A–Z a–z 0–9 `-` `_` `.` `~` kept, every other UTF-8 byte as %XX (upper case).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// application/x-www-form-urlencoded decoding (`+` is a space); `None` for
/// a broken escape or text that is not UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn form_pairs(s: &str) -> Option<Vec<(String, String)>> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((form_decode(k)?, form_decode(v)?))
        })
        .collect()
}

/// Aliyun RPC signature v1: base64(HMAC-SHA1(secret + "&", "POST&%2F&" + percentEncode(canonicalised))).
pub fn aliyun_signature(secret: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    sorted.sort();
    let canonical = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let string_to_sign = format!("POST&{}&{}", percent_encode("/"), percent_encode(&canonical));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(<Sha256 as sha2::Digest>::digest(data))
}

/// Tencent Cloud TC3-HMAC-SHA256 for service "sms": the hex signature of
/// `canonical_request` at `timestamp` (seconds), with the date its UTC day.
pub fn tc3_signature(secret_key: &str, timestamp: i64, canonical_request: &str) -> String {
    let date = utc_date(timestamp);
    let string_to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{}", sha256_hex(canonical_request.as_bytes()));
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, b"sms");
    let k_signing = hmac_sha256(&k_service, b"tc3_request");
    hex::encode(hmac_sha256(&k_signing, string_to_sign.as_bytes()))
}

fn utc_date(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0).map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Counted; maybe hangs (a timeout for the sender) or fails with HTTP 500
/// before the provider looks at the request.
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
        s.fail_next = s.fail_next.saturating_sub(1);
        fail
    };
    fail.then(|| (StatusCode::INTERNAL_SERVER_ERROR, "<html><body>500 Internal Server Error</body></html>").into_response())
}

// ---- Aliyun: POST / with the parameters in the form body (or the query).

async fn aliyun(State(shared): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = gate(&shared).await {
        return r;
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let query = form_pairs(uri.query().unwrap_or_default());
    let body_pairs = match std::str::from_utf8(&body) {
        Ok(text) if form || text.is_empty() => form_pairs(text),
        _ => None,
    };
    let (status, answer) = {
        let mut s = shared.lock().unwrap();
        match (query, body_pairs) {
            (Some(mut params), Some(more)) => {
                params.extend(more);
                aliyun_send(&mut s, &params, now_ms())
            }
            _ => {
                let id = s.next_id();
                let message = "The request body is not application/x-www-form-urlencoded.";
                s.refuse("aliyun", "", "InvalidParameter", message);
                aliyun_error(id, StatusCode::BAD_REQUEST, "InvalidParameter", message)
            }
        }
    };
    (status, Json(answer)).into_response()
}

fn aliyun_error(request_id: String, status: StatusCode, code: &str, message: &str) -> (StatusCode, Value) {
    let answer = json!({
        "RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com", "Code": code, "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi")
    });
    (status, answer)
}

fn aliyun_send(s: &mut Inner, params: &[(String, String)], now: i64) -> (StatusCode, Value) {
    let id = s.next_id();
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let phones_sent = get("PhoneNumbers").unwrap_or_default().to_string();
    let refuse = |s: &mut Inner, status: StatusCode, code: &str, message: &str| {
        s.refuse("aliyun", &phones_sent, code, message);
        aliyun_error(id.clone(), status, code, message)
    };
    let mut names = HashSet::new();
    if let Some((dup, _)) = params.iter().find(|(k, _)| !names.insert(k.as_str())) {
        return refuse(s, StatusCode::BAD_REQUEST, "InvalidParameter", &format!("The parameter {dup} is given more than once."));
    }
    let common = ["AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp", "Version"];
    for name in common.into_iter().chain(["Signature"]) {
        if get(name).is_none_or(str::is_empty) {
            return refuse(s, StatusCode::BAD_REQUEST, &format!("Missing{name}"), &format!("{name} is mandatory for this action."));
        }
    }
    let field = |name: &str| get(name).unwrap_or_default();
    if field("Action") != "SendSms" {
        let msg = "Specified api is not found, please check your url and method.";
        return refuse(s, StatusCode::NOT_FOUND, "InvalidAction.NotFound", msg);
    }
    if field("Version") != "2017-05-25" {
        return refuse(s, StatusCode::BAD_REQUEST, "InvalidVersion", "Specified parameter Version is not valid.");
    }
    if !field("Format").eq_ignore_ascii_case("JSON") {
        return refuse(s, StatusCode::BAD_REQUEST, "InvalidParameter.Format", "This stand-in answers Format=JSON only.");
    }
    if field("SignatureMethod") != "HMAC-SHA1" {
        return refuse(s, StatusCode::BAD_REQUEST, "InvalidParameter.SignatureMethod", "Specified signature method is not supported.");
    }
    if field("SignatureVersion") != "1.0" {
        return refuse(s, StatusCode::BAD_REQUEST, "InvalidParameter.SignatureVersion", "Specified signature version is not supported.");
    }
    let Ok(at) = chrono::NaiveDateTime::parse_from_str(field("Timestamp"), "%Y-%m-%dT%H:%M:%SZ") else {
        let msg = "Specified time stamp or date value is not well formatted.";
        return refuse(s, StatusCode::BAD_REQUEST, "InvalidTimeStamp.Format", msg);
    };
    if (now - at.and_utc().timestamp_millis()).abs() > 15 * MINUTE_MS {
        return refuse(s, StatusCode::BAD_REQUEST, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
    }
    let Some(secret) = s.aliyun_keys.get(field("AccessKeyId")).cloned() else {
        return refuse(s, StatusCode::NOT_FOUND, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    };
    if s.nonces.contains(field("SignatureNonce")) {
        return refuse(s, StatusCode::BAD_REQUEST, "SignatureNonceUsed", "Specified signature nonce was used already.");
    }
    if aliyun_signature(&secret, params) != field("Signature") {
        let msg = "Specified signature is not matched with our calculation.";
        return refuse(s, StatusCode::BAD_REQUEST, "SignatureDoesNotMatch", msg);
    }
    s.nonces.insert(field("SignatureNonce").to_string());

    // Signed and fresh: now the message itself (business errors are HTTP 200).
    for name in ["PhoneNumbers", "SignName", "TemplateCode"] {
        if get(name).is_none_or(str::is_empty) {
            return refuse(s, StatusCode::BAD_REQUEST, &format!("Missing{name}"), &format!("{name} is mandatory for this action."));
        }
    }
    let ok = StatusCode::OK;
    let mut phones = Vec::new();
    for raw in field("PhoneNumbers").split(',') {
        let raw = raw.trim();
        let digits = raw.strip_prefix("+86").or_else(|| raw.strip_prefix("0086")).unwrap_or(raw);
        let digits = if digits.len() == 13 { digits.strip_prefix("86").unwrap_or(digits) } else { digits };
        match mobile(digits) {
            Some(p) => phones.push(p),
            None => return refuse(s, ok, "isv.MOBILE_NUMBER_ILLEGAL", "手机号码格式错误"),
        }
    }
    if !s.aliyun_signs.contains(field("SignName")) {
        return refuse(s, ok, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名");
    }
    let Some(vars) = s.aliyun_templates.get(field("TemplateCode")).cloned() else {
        return refuse(s, ok, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板");
    };
    let values = match get("TemplateParam") {
        None | Some("") if vars.is_empty() => serde_json::Map::new(),
        None | Some("") => return refuse(s, ok, "isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量"),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => return refuse(s, ok, "isv.TEMPLATE_PARAMS_ILLEGAL", "模板变量里包含非法关键字"),
        },
    };
    if vars.iter().any(|v| !values.contains_key(v)) {
        return refuse(s, ok, "isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量");
    }
    if values.len() != vars.len() || values.values().any(|v| !v.is_string()) {
        return refuse(s, ok, "isv.TEMPLATE_PARAMS_ILLEGAL", "模板变量里包含非法关键字");
    }
    for phone in &phones {
        let message = match s.limit("aliyun", phone, now) {
            None => continue,
            Some(Limit::Gap) => "触发分钟级流控Permits:1",
            Some(Limit::Hour) => "触发小时级流控Permits:5",
            Some(Limit::Day) => "触发天级流控Permits:10",
        };
        s.refuse("aliyun", phone, "isv.BUSINESS_LIMIT_CONTROL", message);
        return aliyun_error(id, ok, "isv.BUSINESS_LIMIT_CONTROL", message);
    }
    let value = |name: &String| values.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let params: Vec<(String, String)> = vars.iter().map(|v| (v.clone(), value(v))).collect();
    for phone in phones {
        s.received.push(Sms {
            provider: "aliyun",
            account: field("AccessKeyId").to_string(),
            phone,
            sign_name: field("SignName").to_string(),
            template: field("TemplateCode").to_string(),
            params: params.clone(),
            at_ms: now,
        });
    }
    let biz_id = format!("{}^{}", now, s.serial);
    (ok, json!({ "Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": id }))
}

// ---- Tencent Cloud: POST / with a JSON body, signed in the headers.

async fn tencent(State(shared): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = gate(&shared).await {
        return r;
    }
    let answer = tencent_send(&mut shared.lock().unwrap(), &uri, &headers, &body, now_ms());
    Json(answer).into_response()
}

fn tencent_send(s: &mut Inner, uri: &Uri, headers: &HeaderMap, body: &[u8], now: i64) -> Value {
    let id = s.next_id();
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let phones_sent = parsed.as_ref().map(|v| v["PhoneNumberSet"].to_string()).unwrap_or_default();
    let refuse = |s: &mut Inner, code: &str, message: &str| {
        s.refuse("tencent", &phones_sent, code, message);
        json!({ "Response": { "Error": { "Code": code, "Message": message }, "RequestId": id.clone() } })
    };
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let Some(timestamp) = h("x-tc-timestamp") else {
        return refuse(s, "MissingParameter", "The request is missing a required parameter `Timestamp`.");
    };
    if h("x-tc-action") != Some("SendSms") {
        return refuse(s, "InvalidAction", "The requested action does not exist.");
    }
    if h("x-tc-version") != Some("2021-01-11") {
        return refuse(s, "NoSuchVersion", "The requested version does not exist or is not supported for this action.");
    }
    let Some(ts) = timestamp.parse::<i64>().ok() else {
        return refuse(s, "InvalidParameter", "The parameter `Timestamp` is not a number of seconds.");
    };
    if (now / 1000 - ts).abs() > 300 {
        return refuse(
            s,
            "AuthFailure.SignatureExpire",
            "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.",
        );
    }
    // Authorization: TC3-HMAC-SHA256 Credential=ID/DATE/sms/tc3_request, SignedHeaders=a;b, Signature=HEX
    let auth = h("authorization").and_then(|a| a.strip_prefix("TC3-HMAC-SHA256 ")).unwrap_or_default();
    let part = |key: &str| auth.split(',').map(str::trim).find_map(|p| p.strip_prefix(key)?.strip_prefix('='));
    let (Some(credential), Some(signed_headers), Some(signature)) = (part("Credential"), part("SignedHeaders"), part("Signature")) else {
        return refuse(
            s,
            "AuthFailure.InvalidAuthorization",
            "The Authorization header is not TC3-HMAC-SHA256 with Credential, SignedHeaders and Signature.",
        );
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [secret_id, date, service, terminator] = scope[..] else {
        return refuse(s, "AuthFailure.InvalidAuthorization", "Credential is not SecretId/Date/Service/tc3_request.");
    };
    let Some(secret_key) = s.tencent_keys.get(secret_id).cloned() else {
        return refuse(s, "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct.");
    };
    let names: Vec<&str> = signed_headers.split(';').collect();
    let failure = "The provided credentials could not be validated. Please check your signature is correct.";
    if service != "sms"
        || terminator != "tc3_request"
        || date != utc_date(ts)
        || !names.contains(&"content-type")
        || !names.contains(&"host")
    {
        return refuse(s, "AuthFailure.SignatureFailure", failure);
    }
    let mut canonical_headers = String::new();
    for name in names.iter().copied() {
        let Some(value) = h(name) else {
            return refuse(s, "AuthFailure.SignatureFailure", failure);
        };
        canonical_headers.push_str(&format!("{}:{}\n", name.to_ascii_lowercase(), value.to_ascii_lowercase()));
    }
    let canonical_request =
        format!("POST\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}", uri.path(), uri.query().unwrap_or_default(), sha256_hex(body));
    if tc3_signature(&secret_key, ts, &canonical_request) != signature {
        return refuse(s, "AuthFailure.SignatureFailure", failure);
    }
    if !matches!(h("x-tc-region"), Some("ap-guangzhou" | "ap-beijing" | "ap-nanjing")) {
        return refuse(s, "UnsupportedRegion", "The action does not support this region.");
    }
    if !h("content-type").is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json")) {
        return refuse(s, "InvalidParameter", "Content-Type must be application/json.");
    }

    // Signed and fresh: the request itself.
    let Some(v) = parsed.filter(Value::is_object) else {
        return refuse(s, "InvalidParameter", "The request body is not a JSON object.");
    };
    for name in ["PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId"] {
        if v[name].is_null() {
            return refuse(s, "MissingParameter", &format!("The request is missing a required parameter `{name}`."));
        }
    }
    let text = |name: &str| v[name].as_str().unwrap_or_default().to_string();
    if !s.tencent_apps.contains(&text("SmsSdkAppId")) {
        return refuse(s, "InvalidParameterValue.SdkAppIdNotExist", "SdkAppId不存在。");
    }
    if !s.tencent_signs.contains(&text("SignName")) {
        return refuse(s, "FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误。");
    }
    let Some(vars) = s.tencent_templates.get(&text("TemplateId")).cloned() else {
        return refuse(s, "FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配。");
    };
    let values: Option<Vec<String>> = match &v["TemplateParamSet"] {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items.iter().map(|x| x.as_str().map(String::from)).collect(),
        _ => None,
    };
    let Some(values) = values.filter(|vals| vals.len() == vars.len()) else {
        return refuse(s, "InvalidParameterValue.TemplateParameterFormatError", "验证码模板参数格式错误或参数个数与模板不符。");
    };
    let Some(set) = v["PhoneNumberSet"].as_array().filter(|a| (1..=200).contains(&a.len())) else {
        return refuse(s, "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误。");
    };
    let mut phones = Vec::new();
    for p in set {
        match p.as_str().and_then(|p| p.strip_prefix("+86")).and_then(mobile) {
            Some(p) => phones.push(p),
            None => return refuse(s, "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误。"),
        }
    }
    let params: Vec<(String, String)> = vars.iter().cloned().zip(values).collect();
    let mut statuses = Vec::new();
    for phone in phones {
        let (code, message) = match s.limit("tencent", &phone, now) {
            None => ("Ok", "send success"),
            Some(Limit::Gap) => ("LimitExceeded.PhoneNumberThirtySecondLimit", "单个手机号30秒内下发短信条数超过设定的上限"),
            Some(Limit::Hour) => ("LimitExceeded.PhoneNumberOneHourLimit", "单个手机号1小时内下发短信条数超过设定的上限"),
            Some(Limit::Day) => ("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发短信条数超过设定的上限"),
        };
        if code == "Ok" {
            s.received.push(Sms {
                provider: "tencent",
                account: secret_id.to_string(),
                phone: phone.clone(),
                sign_name: text("SignName"),
                template: text("TemplateId"),
                params: params.clone(),
                at_ms: now,
            });
        } else {
            s.refuse("tencent", &phone, code, message);
        }
        let serial = if code == "Ok" { s.next_id() } else { String::new() };
        statuses.push(json!({
            "SerialNo": serial, "PhoneNumber": format!("+86{phone}"), "Fee": u8::from(code == "Ok"),
            "SessionContext": v["SessionContext"].as_str().unwrap_or_default(), "Code": code, "Message": message, "IsoCode": "CN"
        }));
    }
    json!({ "Response": { "SendStatusSet": statuses, "RequestId": id } })
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

/// A server process of the test's own on an existing database, its log
/// (stderr) in a file, at the level `log_filter`.
pub struct LoggedServer {
    child: Child,
    pub addr: String,
    log: PathBuf,
}

impl LoggedServer {
    pub async fn spawn(database_url: &str, args: &[&str], log_filter: &str) -> LoggedServer {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let log = std::env::temp_dir().join(format!("fixline-sms-log-{}-{nanos}.log", std::process::id()));
        let file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fixline"))
            .args(["--addr", "127.0.0.1:0", "--demo", "--database-url", database_url])
            .args(args)
            .env("FIXLINE_LOG", log_filter)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(file))
            .spawn()
            .expect("start the fixline binary");
        let stdout = child.stdout.take().unwrap();
        let addr = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let addr =
                lines.by_ref().map_while(Result::ok).find_map(|l| l.strip_prefix("listening on http://").map(|a| a.trim().to_string()));
            // Keep draining so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            addr
        })
        .await
        .unwrap();
        let addr = addr.unwrap_or_else(|| panic!("no address printed; log: {}", std::fs::read_to_string(&log).unwrap_or_default()));
        LoggedServer { child, addr, log }
    }

    /// Stops the process; everything it logged.
    pub fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned();
        let _ = std::fs::remove_file(&self.log);
        text
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
