//! The Tencent Cloud stand-in (see sms.rs): SMS `SendSms`, API 3.0, at
//! `POST /` with a JSON body, signed in the headers with TC3-HMAC-SHA256.
//! It checks the action, version and timestamp, the SecretId and the
//! signature, the region and the content type, then the SMS application,
//! the approved signature and template, the template's parameters, the
//! numbers and the per-number limits, and answers as Tencent Cloud does
//! (always HTTP 200: `Response.Error`, or a `SendStatusSet` entry per
//! number).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::sms::{gate, mobile, now_ms, Inner, Limit, Shared, Sms};

// ---- The signature, from Tencent Cloud's documentation.

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

// ---- Tencent Cloud: POST / with a JSON body, signed in the headers.

pub(super) async fn tencent(State(shared): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
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
