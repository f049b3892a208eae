//! Text messages to customers (短信) through a template-SMS provider:
//! Aliyun (阿里云短信) or Tencent Cloud (腾讯云短信). Chinese providers send
//! only templates approved beforehand, so a message is a template id plus
//! parameters, under a signature (签名) the provider approved. Which case
//! events text the customer, with which parameters, and the limits per
//! number live here.

use serde::{Deserialize, Serialize};

use crate::lifecycle::CaseEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsProvider {
    Aliyun,
    Tencent,
}

impl SmsProvider {
    pub const ALL: [SmsProvider; 2] = [SmsProvider::Aliyun, SmsProvider::Tencent];

    pub fn as_str(self) -> &'static str {
        match self {
            SmsProvider::Aliyun => "aliyun",
            SmsProvider::Tencent => "tencent",
        }
    }

    pub fn parse(s: &str) -> Option<SmsProvider> {
        SmsProvider::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn official_host(self) -> &'static str {
        match self {
            SmsProvider::Aliyun => "dysmsapi.aliyuncs.com",
            SmsProvider::Tencent => "sms.tencentcloudapi.com",
        }
    }

    pub fn default_endpoint(self) -> String {
        format!("https://{}/", self.official_host())
    }
}

/// What a customer is told, each by a template of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsMessage {
    /// The case was received, with its number.
    Received,
    /// A technician was sent: the appointment time.
    Appointment,
    /// The technician set off: when they expect to arrive.
    OnTheWay,
    /// A paid repair's price waits for the customer's answer.
    Quote,
    /// Fixed: a link to confirm and rate.
    Fixed,
    /// "Send a test" from the console (uses the `Received` template).
    Test,
}

impl SmsMessage {
    /// The messages an admin gives a template for.
    pub const TEMPLATED: [SmsMessage; 5] =
        [SmsMessage::Received, SmsMessage::Appointment, SmsMessage::OnTheWay, SmsMessage::Quote, SmsMessage::Fixed];

    pub fn as_str(self) -> &'static str {
        match self {
            SmsMessage::Received => "received",
            SmsMessage::Appointment => "appointment",
            SmsMessage::OnTheWay => "on_the_way",
            SmsMessage::Quote => "quote",
            SmsMessage::Fixed => "fixed",
            SmsMessage::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<SmsMessage> {
        [SmsMessage::Test].into_iter().chain(SmsMessage::TEMPLATED).find(|m| m.as_str() == s)
    }

    /// The template's variables, in the order Tencent's positional
    /// parameters take them (Aliyun takes them by name).
    pub fn params(self) -> &'static [&'static str] {
        match self {
            SmsMessage::Received | SmsMessage::Test => &["number"],
            SmsMessage::Appointment | SmsMessage::OnTheWay => &["number", "time"],
            SmsMessage::Quote => &["number", "amount"],
            SmsMessage::Fixed => &["number", "link"],
        }
    }

    /// The template that sends it (a test sends the `Received` one).
    pub fn template(self) -> SmsMessage {
        match self {
            SmsMessage::Test => SmsMessage::Received,
            m => m,
        }
    }
}

/// The message a case event texts to a customer who opted in, if any.
pub fn sms_of(event: &CaseEvent) -> Option<SmsMessage> {
    match event {
        CaseEvent::Escalated { .. } => Some(SmsMessage::Received),
        CaseEvent::Dispatched { .. } => Some(SmsMessage::Appointment),
        CaseEvent::OnTheWay { .. } => Some(SmsMessage::OnTheWay),
        CaseEvent::QuoteIssued { .. } => Some(SmsMessage::Quote),
        CaseEvent::Resolved { .. } => Some(SmsMessage::Fixed),
        _ => None,
    }
}

/// Texts to one number in 24 hours: the providers' usual daily cap for
/// one signature (Aliyun and Tencent both default to 10).
pub const PER_NUMBER_PER_DAY: i64 = 10;
/// Texts to the numbers of one customer organisation's cases in 24 hours,
/// unless the operator sets otherwise: the public form can name anyone's
/// number, and this bounds what a script can make the company pay for.
pub const DEFAULT_ORG_PER_DAY: i64 = 200;
/// The providers' default gap between two texts to one number.
pub const DEFAULT_GAP_MS: i64 = 60_000;

pub const MAX_KEY_ID: usize = 100;
/// Provider signatures (签名) are 2–12 characters; one is allowed here.
pub const MAX_SIGN_NAME: usize = 12;
pub const MAX_TEMPLATE_ID: usize = 40;

/// A mainland mobile number (what both providers text): 11 digits from 1.
pub fn is_mobile(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())
}

/// `13800138000` → `138****8000`: enough for staff to tell numbers apart.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() >= 7 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[phone.len() - 4..])
    } else {
        "****".into()
    }
}

/// What is wrong with an SMS account as an admin submits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsProblem {
    Endpoint,
    KeyId,
    Secret,
    SignName,
    AppId,
    Template,
}

/// The account's fields, checked as the providers would refuse them.
pub struct SmsAccount<'a> {
    pub provider: SmsProvider,
    pub endpoint: &'a str,
    pub key_id: &'a str,
    pub secret: &'a str,
    pub sign_name: &'a str,
    pub app_id: &'a str,
    pub templates: &'a [&'a str],
}

pub fn check_account(a: &SmsAccount<'_>, any_url: bool) -> Vec<SmsProblem> {
    let mut problems = Vec::new();
    if !endpoint_ok(a.provider, a.endpoint, any_url) {
        problems.push(SmsProblem::Endpoint);
    }
    let plain = |s: &str, max: usize| !s.is_empty() && s.len() <= max && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if !plain(a.key_id, MAX_KEY_ID) {
        problems.push(SmsProblem::KeyId);
    }
    if !plain(a.secret, super::MAX_SECRET) {
        problems.push(SmsProblem::Secret);
    }
    let sign = a.sign_name.trim();
    if sign.is_empty() || sign.chars().count() > MAX_SIGN_NAME || sign.chars().any(char::is_control) {
        problems.push(SmsProblem::SignName);
    }
    let app_ok = match a.provider {
        SmsProvider::Tencent => (1..=20).contains(&a.app_id.len()) && a.app_id.bytes().all(|b| b.is_ascii_digit()),
        SmsProvider::Aliyun => a.app_id.is_empty(),
    };
    if !app_ok {
        problems.push(SmsProblem::AppId);
    }
    let template_ok = |t: &str| t.is_empty() || (t.len() <= MAX_TEMPLATE_ID && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    if !a.templates.iter().all(|t| template_ok(t)) {
        problems.push(SmsProblem::Template);
    }
    problems
}

/// `https://` on the provider's host (with `any_url`, also `http://` and
/// any host: tests and private gateways), no user part, no query.
pub fn endpoint_ok(provider: SmsProvider, url: &str, any_url: bool) -> bool {
    if url.len() > super::MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains(['?', '#']) {
        return false;
    }
    let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(r), _) => r,
        (None, Some(r)) if any_url => r,
        _ => return false,
    };
    let host = rest.split('/').next().unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    !name.is_empty() && !host.contains('@') && (any_url || host == provider.official_host())
}

/// How long a text may wait for the number's 24-hour window to move on;
/// later than that it is stale ("received" a day late helps nobody).
pub const MAX_DAY_WAIT_MS: i64 = 2 * 3_600_000;

/// When a text to a number may go, given the times (ms) texts to it were
/// sent or are being sent in the last day and how many older texts to it
/// still wait (they go first: a customer reads "received" before
/// "appointment"): `Some(at)` (now, or later), or `None` when the daily
/// cap stays used up for longer than [`MAX_DAY_WAIT_MS`].
pub fn next_slot(now: i64, recent: &[i64], ahead: i64, gap_ms: i64) -> Option<i64> {
    const DAY: i64 = 86_400_000;
    let mut day: Vec<i64> = recent.iter().copied().filter(|t| *t > now - DAY).collect();
    day.sort_unstable();
    // How many of the day's texts must age out before this one fits.
    let over = day.len() as i64 + ahead + 1 - PER_NUMBER_PER_DAY;
    let window = if over > 0 {
        let frees = *day.get(over as usize - 1)? + DAY;
        if frees - now > MAX_DAY_WAIT_MS {
            return None;
        }
        frees
    } else {
        now
    };
    let free = match day.last() {
        Some(t) if t + gap_ms > window => t + gap_ms,
        _ => window,
    };
    Some(if ahead > 0 { (free + ahead * gap_ms).max(now + 100) } else { free })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_customer_message_has_its_event() {
        use crate::guide::Severity;
        assert_eq!(sms_of(&CaseEvent::Escalated { severity: Severity::Major }), Some(SmsMessage::Received));
        assert_eq!(sms_of(&CaseEvent::Resolved { summary: String::new() }), Some(SmsMessage::Fixed));
        assert_eq!(sms_of(&CaseEvent::Claimed), None);
        for m in SmsMessage::TEMPLATED {
            assert_eq!(SmsMessage::parse(m.as_str()), Some(m));
            assert_eq!(m.params()[0], "number");
        }
    }

    #[test]
    fn numbers_are_masked_and_only_mobiles_texted() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert!(is_mobile("13800138000"));
        assert!(!is_mobile("021-12345678") && !is_mobile("1380013800") && !is_mobile("23800138000"));
    }

    #[test]
    fn endpoints_are_the_providers_hosts() {
        assert!(endpoint_ok(SmsProvider::Aliyun, "https://dysmsapi.aliyuncs.com/", false));
        assert!(endpoint_ok(SmsProvider::Tencent, "https://sms.tencentcloudapi.com", false));
        assert!(!endpoint_ok(SmsProvider::Aliyun, "https://sms.tencentcloudapi.com/", false));
        assert!(!endpoint_ok(SmsProvider::Aliyun, "http://dysmsapi.aliyuncs.com/", false));
        assert!(endpoint_ok(SmsProvider::Aliyun, "http://127.0.0.1:9000/", true));
        assert!(!endpoint_ok(SmsProvider::Aliyun, "https://user@dysmsapi.aliyuncs.com/", true));
        assert!(!endpoint_ok(SmsProvider::Aliyun, "ftp://x/", true));
    }

    #[test]
    fn a_bad_account_names_each_problem() {
        let a = SmsAccount {
            provider: SmsProvider::Tencent,
            endpoint: "https://sms.tencentcloudapi.com/",
            key_id: "AKID x",
            secret: "s",
            sign_name: "一个过长的短信签名不能被批准的",
            app_id: "14000a",
            templates: &["123456", "SMS-1"],
        };
        assert_eq!(check_account(&a, false), vec![SmsProblem::KeyId, SmsProblem::SignName, SmsProblem::AppId, SmsProblem::Template]);
    }

    #[test]
    fn a_number_gets_one_text_per_gap_and_ten_a_day() {
        let now = 100_000_000;
        assert_eq!(next_slot(now, &[], 0, 60_000), Some(now));
        assert_eq!(next_slot(now, &[now - 10_000], 0, 60_000), Some(now + 50_000));
        assert_eq!(next_slot(now, &[now - 90_000_000], 0, 60_000), Some(now));
        let day: Vec<i64> = (1..=10).map(|i| now - i * 100_000).collect();
        assert_eq!(next_slot(now, &day, 0, 60_000), None);
        // Older texts waiting go first, and count against the day.
        assert_eq!(next_slot(now, &[], 2, 60_000), Some(now + 120_000));
        assert_eq!(next_slot(now, &[], 1, 0), Some(now + 100));
        assert_eq!(next_slot(now, &day[..9], 1, 60_000), None);
        // A full day whose oldest text ages out soon: wait for it.
        let mut aging = day[..9].to_vec();
        aging.push(now - 86_400_000 + 1_800_000);
        assert_eq!(next_slot(now, &aging, 0, 60_000), Some(now + 1_800_000));
        // ... also behind a waiting text, whose slot comes a gap later.
        let mut two = day[..8].to_vec();
        two.push(now - 86_400_000 + 600_000);
        assert_eq!(next_slot(now, &two, 1, 60_000), Some(now + 600_000 + 60_000));
        // Too far off: stale by then.
        aging[9] = now - 86_400_000 + MAX_DAY_WAIT_MS + 1;
        assert_eq!(next_slot(now, &aging, 0, 60_000), None);
    }
}
