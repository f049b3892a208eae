//! Sending a template SMS as each provider documents it: Aliyun's SendSms
//! (RPC API, signature v1: HMAC-SHA1 over the sorted, percent-encoded
//! parameters) and Tencent Cloud's SendSms (API 3.0, TC3-HMAC-SHA256 over
//! the canonical request). The answer is judged by the provider's own codes.
//! Keys and secrets never reach a log or an error text.

use std::time::Instant;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::send::{Answer, Sender};
use crate::domain::notify::sms::{SmsMessage, SmsProvider};

/// What a text needs from the account, and the text itself.
pub struct Text<'a> {
    pub provider: SmsProvider,
    pub endpoint: &'a str,
    pub key_id: &'a str,
    pub secret: &'a str,
    pub sign_name: &'a str,
    pub app_id: &'a str,
    pub template: &'a str,
    pub message: SmsMessage,
    /// 11-digit mainland mobile.
    pub phone: &'a str,
    /// The template's parameters by name (`SmsMessage::params`).
    pub params: &'a serde_json::Map<String, Value>,
}

/// The provider's per-number hourly limit: the next try waits an hour.
pub fn is_hourly_limit(answer: &Answer) -> bool {
    ["OneHourLimit", "小时级流控"].iter().any(|c| answer.body.contains(c))
}

/// The provider said something that no retry will change (the number's
/// daily cap, a number it cannot text).
pub fn is_final(answer: &Answer) -> bool {
    ["DailyLimit", "天级流控", "MOBILE_NUMBER_ILLEGAL", "IncorrectPhoneNumber"].iter().any(|c| answer.body.contains(c))
}

impl Sender {
    pub async fn send_sms(&self, t: &Text<'_>) -> Answer {
        let now = chrono::Utc::now();
        let request = match t.provider {
            SmsProvider::Aliyun => {
                let nonce = format!("{:032x}", rand::random::<u128>());
                let form = aliyun_form(t, &now.format("%Y-%m-%dT%H:%M:%SZ").to_string(), &nonce);
                self.client.post(t.endpoint).header("Content-Type", "application/x-www-form-urlencoded").body(form)
            }
            SmsProvider::Tencent => {
                let Ok(url) = reqwest::Url::parse(t.endpoint) else {
                    return failed("bad endpoint", 0);
                };
                let host = match (url.host_str(), url.port()) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.to_string(),
                    (None, _) => return failed("bad endpoint", 0),
                };
                let body = tencent_body(t);
                let auth = tencent_authorization(t.key_id, t.secret, &host, url.path(), &body, now.timestamp());
                self.client
                    .post(url)
                    .header("Content-Type", "application/json; charset=utf-8")
                    .header("X-TC-Action", "SendSms")
                    .header("X-TC-Version", "2021-01-11")
                    .header("X-TC-Region", "ap-guangzhou")
                    .header("X-TC-Timestamp", now.timestamp().to_string())
                    .header("Authorization", auth)
                    .body(body)
            }
        };
        let started = Instant::now();
        let result = request.send().await;
        let latency_ms = started.elapsed().as_millis() as i64;
        match result {
            Ok(res) => {
                let status = res.status().as_u16();
                judge(t.provider, status, res.text().await.unwrap_or_default(), latency_ms)
            }
            Err(e) => {
                let what = if e.is_timeout() { "timeout" } else { "request failed" };
                failed(&format!("{what}: {}", e.without_url()), latency_ms)
            }
        }
    }
}

fn failed(body: &str, latency_ms: i64) -> Answer {
    Answer { ok: false, status: 0, body: body.into(), latency_ms, rate_limited: false }
}

/// RFC 3986 percent-encoding, as Aliyun's signature requires (space is `%20`).
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The form body of an Aliyun SendSms call, signed.
pub fn aliyun_form(t: &Text<'_>, timestamp: &str, nonce: &str) -> String {
    let template_param = Value::Object(t.params.clone()).to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("AccessKeyId", t.key_id),
        ("Action", "SendSms"),
        ("Format", "JSON"),
        ("PhoneNumbers", t.phone),
        ("RegionId", "cn-hangzhou"),
        ("SignName", t.sign_name),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", nonce),
        ("SignatureVersion", "1.0"),
        ("TemplateCode", t.template),
        ("TemplateParam", &template_param),
        ("Timestamp", timestamp),
        ("Version", "2017-05-25"),
    ];
    let (canonical, signature) = aliyun_sign("POST", &mut params, t.secret);
    format!("Signature={}&{canonical}", percent(&signature))
}

/// The sorted, encoded parameters and their signature: base64(HMAC-SHA1(
/// key = secret + "&", msg = METHOD + "&%2F&" + percent(canonical))).
pub fn aliyun_sign(method: &str, params: &mut [(&str, &str)], secret: &str) -> (String, String) {
    params.sort_by(|a, b| a.0.cmp(b.0));
    let canonical: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", percent(k), percent(v))).collect();
    let canonical = canonical.join("&");
    let to_sign = format!("{method}&{}&{}", percent("/"), percent(&canonical));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("HMAC accepts any key length");
    mac.update(to_sign.as_bytes());
    (canonical, base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// The JSON body of a Tencent SendSms call: parameters by position.
pub fn tencent_body(t: &Text<'_>) -> String {
    let values: Vec<&str> = t.message.params().iter().map(|name| t.params.get(*name).and_then(Value::as_str).unwrap_or("")).collect();
    json!({
        "PhoneNumberSet": [format!("+86{}", t.phone)],
        "SmsSdkAppId": t.app_id,
        "SignName": t.sign_name,
        "TemplateId": t.template,
        "TemplateParamSet": values,
    })
    .to_string()
}

/// `TC3-HMAC-SHA256 Credential=…, SignedHeaders=content-type;host, Signature=…`.
pub fn tencent_authorization(secret_id: &str, secret_key: &str, host: &str, path: &str, body: &str, timestamp: i64) -> String {
    tc3("sms", secret_id, secret_key, host, path, body, timestamp)
}

fn tc3(service: &str, secret_id: &str, secret_key: &str, host: &str, path: &str, body: &str, timestamp: i64) -> String {
    let date = chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default().format("%Y-%m-%d").to_string();
    let path = if path.is_empty() { "/" } else { path };
    let canonical = format!(
        "POST\n{path}\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\n\ncontent-type;host\n{}",
        hex::encode(Sha256::digest(body.as_bytes()))
    );
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let k_date = hmac256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac256(&k_date, service.as_bytes());
    let k_signing = hmac256(&k_service, b"tc3_request");
    let signature = hex::encode(hmac256(&k_signing, to_sign.as_bytes()));
    format!("TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}")
}

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// Aliyun: HTTP 200 and `Code` "OK". Tencent: no `Response.Error` and the
/// number's status `Code` "Ok". Judged on the whole answer, kept shortened.
fn judge(provider: SmsProvider, status: u16, full: String, latency_ms: i64) -> Answer {
    let json: Value = serde_json::from_str(&full).unwrap_or(Value::Null);
    let body: String = full.chars().take(500).collect();
    let code = match provider {
        SmsProvider::Aliyun => json["Code"].as_str().unwrap_or(""),
        SmsProvider::Tencent => {
            json["Response"]["Error"]["Code"].as_str().or_else(|| json["Response"]["SendStatusSet"][0]["Code"].as_str()).unwrap_or("")
        }
    };
    let ok = (200..300).contains(&status)
        && match provider {
            SmsProvider::Aliyun => code == "OK",
            SmsProvider::Tencent => code == "Ok",
        };
    let rate_limited = status == 429
        || code == "isv.BUSINESS_LIMIT_CONTROL" && !body.contains("天级流控")
        || code.starts_with("LimitExceeded.") && !code.contains("DailyLimit")
        || code == "RequestLimitExceeded";
    Answer { ok, status, body, latency_ms, rate_limited }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(provider: SmsProvider, params: &'a serde_json::Map<String, Value>) -> Text<'a> {
        Text {
            provider,
            endpoint: "https://dysmsapi.aliyuncs.com/",
            key_id: "testid",
            secret: "testsecret",
            sign_name: "阿里云短信测试",
            app_id: "1400000001",
            template: "SMS_154950909",
            message: SmsMessage::Received,
            phone: "13800138000",
            params,
        }
    }

    #[test]
    fn aliyun_signs_the_documented_example() {
        // The example of Aliyun's RPC signature documentation (ECS DescribeRegions).
        let mut params = vec![
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("Version", "2014-05-26"),
            ("AccessKeyId", "testid"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ];
        let (canonical, signature) = aliyun_sign("GET", &mut params, "testsecret");
        assert!(canonical.starts_with("AccessKeyId=testid&Action=DescribeRegions&Format=XML&"), "{canonical}");
        assert_eq!(signature, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        // A SendSms form carries the parameters encoded and the signature first.
        let mut p = serde_json::Map::new();
        p.insert("number".into(), json!("FX-000012"));
        let form = aliyun_form(&text(SmsProvider::Aliyun, &p), "2017-07-12T02:42:19Z", "n1");
        assert!(form.starts_with("Signature="), "{form}");
        assert!(form.contains("&TemplateParam=%7B%22number%22%3A%22FX-000012%22%7D&"), "{form}");
        assert!(form.contains("SignName=%E9%98%BF"), "{form}");
    }

    #[test]
    fn tencent_signs_the_documented_example() {
        // The example of Tencent Cloud's API 3.0 signature (v3) documentation.
        let body = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        assert_eq!(hex::encode(Sha256::digest(body.as_bytes())), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
        let auth = tc3(
            "cvm",
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
            "Gu5t9xGARNpq86cd98joQYCN3*******",
            "cvm.tencentcloudapi.com",
            "/",
            body,
            1551113065,
        );
        assert_eq!(
            auth,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
        let p = serde_json::Map::new();
        let body = tencent_body(&text(SmsProvider::Tencent, &p));
        assert!(body.contains(r#""PhoneNumberSet":["+8613800138000"]"#), "{body}");
    }

    #[test]
    fn answers_are_judged_by_the_providers_codes() {
        assert!(judge(SmsProvider::Aliyun, 200, r#"{"Code":"OK","Message":"OK"}"#.into(), 1).ok);
        let limited =
            judge(SmsProvider::Aliyun, 200, r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控Permits:1"}"#.into(), 1);
        assert!(!limited.ok && limited.rate_limited && !is_final(&limited));
        let daily =
            judge(SmsProvider::Aliyun, 200, r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发天级流控Permits:10"}"#.into(), 1);
        assert!(!daily.rate_limited && is_final(&daily));
        let ok = r#"{"Response":{"SendStatusSet":[{"Code":"Ok","Message":"send success"}],"RequestId":"x"}}"#;
        assert!(judge(SmsProvider::Tencent, 200, ok.into(), 1).ok);
        let err = r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"x"},"RequestId":"x"}}"#;
        assert!(!judge(SmsProvider::Tencent, 200, err.into(), 1).ok);
        let thirty = r#"{"Response":{"SendStatusSet":[{"Code":"LimitExceeded.PhoneNumberThirtySecondLimit"}]}}"#;
        assert!(judge(SmsProvider::Tencent, 200, thirty.into(), 1).rate_limited);
    }
}
