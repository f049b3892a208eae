//! Posting to the chat robots as each provider documents it: WeCom's key
//! in the URL, DingTalk's signed query (`timestamp`, `sign`), Feishu's
//! signed body. The answer is judged by the provider's own error codes.
//! Webhook addresses and secrets never reach a log or an error text.

use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

pub use super::answer::Answer;
use crate::domain::notify::ChannelKind;

/// Longest provider answer kept in the delivery log.
const MAX_ANSWER: usize = 500;

/// The HTTP client deliveries share, and where message links point.
#[derive(Clone)]
pub struct Sender {
    pub(super) client: reqwest::Client,
    /// `https://fixline.example.com`: links in messages.
    pub public_url: String,
    /// Channel addresses may be `http://` and any host (tests, private relays).
    pub any_url: bool,
    /// How long a worker holds a message it took (a delivery's longest run and room).
    pub lease_ms: i64,
    /// The SMTP relay, when the server has one (`--smtp-url`).
    pub mailer: Option<super::email::Mailer>,
    /// Least time between two texts to one number (`--sms-gap-ms`).
    pub sms_gap_ms: i64,
    /// Texts one customer organisation's cases may send in 24 hours
    /// (`--sms-daily-cap`; 0: no cap).
    pub sms_org_daily_cap: i64,
}

/// One message to one robot.
pub struct Outgoing<'a> {
    pub kind: ChannelKind,
    pub url: &'a str,
    pub secret: &'a str,
    pub text: &'a str,
    /// Mobile numbers to @-mention.
    pub mentions: &'a [String],
    /// For e-mail: a header mail filters can match.
    pub case_number: Option<&'a str>,
}

impl Sender {
    pub fn new(timeout: Duration, public_url: String, any_url: bool, mailer: Option<super::email::Mailer>) -> Result<Sender, String> {
        // reqwest is built without a default crypto provider (no aws-lc to
        // compile); ring serves TLS for the whole process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Fixline/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the notification HTTP client: {e}"))?;
        let lease_ms = 2 * timeout.as_millis() as i64 + 30_000;
        let sms_gap_ms = crate::domain::notify::sms::DEFAULT_GAP_MS;
        Ok(Sender {
            client,
            public_url: public_url.trim_end_matches('/').to_string(),
            any_url,
            lease_ms,
            mailer,
            sms_gap_ms,
            sms_org_daily_cap: crate::domain::notify::sms::DEFAULT_ORG_PER_DAY,
        })
    }

    pub async fn send(&self, m: Outgoing<'_>) -> Answer {
        if m.kind == ChannelKind::Email {
            let recipients = crate::domain::notify::recipients(m.url).unwrap_or_default();
            return match &self.mailer {
                Some(mailer) => mailer.send(&recipients, m.case_number, m.text).await,
                None => Answer {
                    ok: false,
                    status: 0,
                    body: "no SMTP relay configured (--smtp-url)".into(),
                    latency_ms: 0,
                    rate_limited: false,
                },
            };
        }
        let (url, body) = request(&m, chrono::Utc::now().timestamp_millis());
        let started = Instant::now();
        let result = self.client.post(url).json(&body).send().await;
        let latency_ms = started.elapsed().as_millis() as i64;
        match result {
            Ok(res) => {
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                judge(m.kind, status, shorten(&text), latency_ms)
            }
            // Without the URL: it carries the robot's key or token.
            Err(e) => {
                let what = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                };
                Answer { ok: false, status: 0, body: format!("{what}: {}", e.without_url()), latency_ms, rate_limited: false }
            }
        }
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(MAX_ANSWER).collect()
}

/// The address and JSON body of a message, signed for `now_ms`.
pub fn request(m: &Outgoing<'_>, now_ms: i64) -> (String, Value) {
    match m.kind {
        ChannelKind::Wecom => {
            (m.url.to_string(), json!({ "msgtype": "text", "text": { "content": m.text, "mentioned_mobile_list": m.mentions } }))
        }
        ChannelKind::Dingtalk => {
            let sign: String = form_urlencoded::byte_serialize(dingtalk_sign(m.secret, now_ms).as_bytes()).collect();
            let url = format!("{}&timestamp={now_ms}&sign={sign}", m.url);
            // DingTalk highlights a mention only when the number is in the text too.
            let mut content = m.text.to_string();
            for phone in m.mentions {
                content.push_str(&format!(" @{phone}"));
            }
            (url, json!({ "msgtype": "text", "text": { "content": content }, "at": { "atMobiles": m.mentions, "isAtAll": false } }))
        }
        // Sent by `Sender::send` through the relay, never as HTTP.
        ChannelKind::Email => (String::new(), Value::Null),
        ChannelKind::Feishu => {
            let ts = now_ms / 1000;
            let body = json!({
                "timestamp": ts.to_string(),
                "sign": feishu_sign(m.secret, ts),
                "msg_type": "text",
                "content": { "text": m.text },
            });
            (m.url.to_string(), body)
        }
    }
}

/// `base64(HMAC-SHA256(key = secret, msg = timestamp_ms + "\n" + secret))`
/// (URL-encoded by the caller).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    hmac_b64(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes())
}

/// `base64(HMAC-SHA256(key = timestamp_s + "\n" + secret, msg = ""))`.
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    hmac_b64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Success is HTTP 2xx with the provider's code 0: WeCom and DingTalk
/// answer `errcode`, Feishu `code` (older bots `StatusCode`).
fn judge(kind: ChannelKind, status: u16, body: String, latency_ms: i64) -> Answer {
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let code = match kind {
        ChannelKind::Wecom | ChannelKind::Dingtalk => json["errcode"].as_i64(),
        ChannelKind::Feishu => json["code"].as_i64().or_else(|| json["StatusCode"].as_i64()),
        ChannelKind::Email => None,
    };
    let rate_limited = status == 429
        || matches!(
            (kind, code),
            (ChannelKind::Wecom, Some(45009)) | (ChannelKind::Dingtalk, Some(130101)) | (ChannelKind::Feishu, Some(11232))
        );
    Answer { ok: (200..300).contains(&status) && code == Some(0), status, body, latency_ms, rate_limited }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_providers_examples() {
        // Recomputed independently: HMAC-SHA256 per each provider's documentation.
        let d = dingtalk_sign("SEC000", 1_700_000_000_000);
        let f = feishu_sign("SEC000", 1_700_000_000);
        assert_eq!(d.len(), 44);
        assert_ne!(d, f);
        assert_eq!(d, hmac_b64(b"SEC000", b"1700000000000\nSEC000"));
        assert_eq!(f, hmac_b64(b"1700000000\nSEC000", b""));
        // RFC 4231 test case 2 shows the HMAC itself is right.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac.finalize().into_bytes()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn answers_are_judged_by_the_providers_codes() {
        assert!(judge(ChannelKind::Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#.into(), 1).ok);
        assert!(!judge(ChannelKind::Dingtalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#.into(), 1).ok);
        assert!(judge(ChannelKind::Dingtalk, 200, r#"{"errcode":130101}"#.into(), 1).rate_limited);
        assert!(judge(ChannelKind::Feishu, 200, r#"{"code":0,"msg":"success","data":{}}"#.into(), 1).ok);
        assert!(judge(ChannelKind::Feishu, 200, r#"{"StatusCode":0}"#.into(), 1).ok);
        assert!(!judge(ChannelKind::Wecom, 500, r#"{"errcode":0}"#.into(), 1).ok);
        assert!(!judge(ChannelKind::Wecom, 200, "<html>".into(), 1).ok);
    }

    #[test]
    fn dingtalk_requests_carry_timestamp_and_encoded_sign() {
        let m = Outgoing {
            kind: ChannelKind::Dingtalk,
            url: "https://oapi.dingtalk.com/robot/send?access_token=T",
            secret: "S",
            text: "hi",
            mentions: &["13900000001".into()],
            case_number: None,
        };
        let (url, body) = request(&m, 1_700_000_000_000);
        assert!(url.starts_with("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign="));
        assert!(!url.contains('+') && !url.ends_with('='), "{url}");
        assert_eq!(body["at"]["atMobiles"][0], "13900000001");
        assert_eq!(body["text"]["content"], "hi @13900000001");
    }
}
