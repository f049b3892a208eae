//! The Aliyun stand-in (see sms.rs): dysmsapi `SendSms`, RPC style, at
//! `POST /` with the parameters in the form body (or the query), signed
//! with signature v1 (HMAC-SHA1 over the percent-encoded form). It checks
//! the common parameters, the timestamp, the nonce, the AccessKey and the
//! signature (HTTP 4xx when wrong), then the numbers, the approved
//! signature and template, the template's variables and the per-number
//! limits (business errors: HTTP 200 with a `Code`), as Aliyun does.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;

use super::sms::{gate, mobile, now_ms, Inner, Limit, Shared, Sms, MINUTE_MS};

// ---- Encodings and the signature, from Aliyun's documentation.

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

// ---- Aliyun: POST / with the parameters in the form body (or the query).

pub(super) async fn aliyun(State(shared): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
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
