//! Notifications: which case events reach which channel, what a channel's
//! address must look like, how secrets are shown back, and how often a
//! failed delivery is retried. The on-duty roster is in `roster`.

pub mod bundle;
pub mod roster;
pub mod sms;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::lifecycle::{BreachLevel, CaseEvent};

/// What a message is about; a channel subscribes to topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// A customer escalated: the on-duty person and the dispatch group.
    NewCase,
    /// A missed clock raised by the breach job (supervisor, then management).
    Breach,
    /// A deadline draws near: a case nobody claimed, a return visit due.
    Reminder,
    /// A technician was sent, or the appointment moved.
    Dispatched,
    /// The customer approved or declined a quote.
    Quote,
    Complaint,
    /// Any rating of 2 or less.
    LowRating,
    /// "Send a test" from the console.
    Test,
}

impl Topic {
    /// The topics a channel can subscribe to (not `Test`: every channel gets its own tests).
    pub const SUBSCRIBABLE: [Topic; 7] =
        [Topic::NewCase, Topic::Reminder, Topic::Breach, Topic::Dispatched, Topic::Quote, Topic::Complaint, Topic::LowRating];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::NewCase => "new_case",
            Topic::Breach => "breach",
            Topic::Reminder => "reminder",
            Topic::Dispatched => "dispatched",
            Topic::Quote => "quote",
            Topic::Complaint => "complaint",
            Topic::LowRating => "low_rating",
            Topic::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        [Topic::Test].into_iter().chain(Topic::SUBSCRIBABLE).find(|t| t.as_str() == s)
    }

    /// Whether the on-duty person is @-mentioned (when the channel asks for it).
    pub fn mentions_on_duty(self) -> bool {
        matches!(self, Topic::NewCase | Topic::Breach | Topic::Reminder)
    }
}

/// The topic a case event is announced under, if any.
pub fn topic_of(event: &CaseEvent) -> Option<Topic> {
    match event {
        CaseEvent::Escalated { .. } => Some(Topic::NewCase),
        CaseEvent::BreachRaised { .. } => Some(Topic::Breach),
        CaseEvent::DeadlineNear { .. } => Some(Topic::Reminder),
        CaseEvent::Dispatched { .. } => Some(Topic::Dispatched),
        CaseEvent::QuoteAnswered { .. } => Some(Topic::Quote),
        CaseEvent::ComplaintRaised { .. } => Some(Topic::Complaint),
        CaseEvent::Rated { rating } => {
            let low = [rating.attitude, rating.skill, rating.punctuality, rating.promise_kept].iter().any(|v| *v <= 2);
            low.then_some(Topic::LowRating)
        }
        _ => None,
    }
}

/// A breach for management is worse than one for the supervisor.
pub fn breach_level(event: &CaseEvent) -> Option<BreachLevel> {
    match event {
        CaseEvent::BreachRaised { level, .. } => Some(*level),
        _ => None,
    }
}

/// The chat robots Fixline posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// WeCom (企业微信) group robot: the key is in the URL.
    Wecom,
    /// DingTalk (钉钉) custom robot: token in the URL, requests signed.
    Dingtalk,
    /// Feishu (飞书) custom bot: hook id in the URL, body signed.
    Feishu,
    /// E-mail through the server's SMTP relay: the "address" is a list of recipients.
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [ChannelKind::Wecom, ChannelKind::Dingtalk, ChannelKind::Feishu, ChannelKind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Wecom => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Feishu => "feishu",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The provider's own host; other hosts only when the server allows any.
    pub fn official_host(self) -> &'static str {
        match self {
            ChannelKind::Wecom => "qyapi.weixin.qq.com",
            ChannelKind::Dingtalk => "oapi.dingtalk.com",
            ChannelKind::Feishu => "open.feishu.cn",
            ChannelKind::Email => "",
        }
    }

    /// Whether requests are signed with a secret the admin gives.
    pub fn needs_secret(self) -> bool {
        matches!(self, ChannelKind::Dingtalk | ChannelKind::Feishu)
    }

    /// Messages a robot accepts per minute (WeCom and DingTalk: 20; Feishu: 100).
    pub fn per_minute(self) -> u32 {
        match self {
            ChannelKind::Feishu => 100,
            ChannelKind::Email => 60,
            _ => 20,
        }
    }
}

/// Longest channel name and URL, in characters.
pub const MAX_NAME: usize = 60;
pub const MAX_URL: usize = 500;
pub const MAX_SECRET: usize = 200;

/// Whether `url` is a webhook address of this kind: `https://` on the
/// provider's host (or, with `any_url`, also `http://` and any host), with
/// the part that names the robot (`key=`, `access_token=`, `/hook/ID`).
pub fn url_ok(kind: ChannelKind, url: &str, any_url: bool) -> bool {
    if kind == ChannelKind::Email {
        return recipients(url).is_some();
    }
    if url.chars().count() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(r), _) => r,
        (None, Some(r)) if any_url => r,
        _ => return false,
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if host_name.is_empty() || host.contains('@') || (!any_url && host != kind.official_host()) {
        return false;
    }
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let param = |name: &str| query.split('&').filter_map(|p| p.split_once('=')).any(|(k, v)| k == name && !v.is_empty());
    match kind {
        ChannelKind::Wecom => path == "cgi-bin/webhook/send" && param("key"),
        ChannelKind::Dingtalk => path == "robot/send" && param("access_token"),
        ChannelKind::Feishu => path.strip_prefix("open-apis/bot/v2/hook/").is_some_and(|id| !id.is_empty() && !id.contains('/')),
        ChannelKind::Email => false,
    }
}

/// Most recipients of an e-mail channel.
pub const MAX_RECIPIENTS: usize = 20;

/// An e-mail channel's recipients, one to `MAX_RECIPIENTS`, separated by
/// commas (or 、 ；), each `name@domain.tld` or `Name <name@domain.tld>`;
/// `None` if any is not an address.
pub fn recipients(list: &str) -> Option<Vec<&str>> {
    if list.chars().count() > MAX_URL {
        return None;
    }
    let all: Vec<&str> = list.split([',', '，', '、', ';', '；']).map(str::trim).collect();
    let ok = |r: &str| {
        let address = match (r.rfind('<'), r.strip_suffix('>')) {
            (Some(open), Some(_)) => &r[open + 1..r.len() - 1],
            (None, None) => r,
            _ => return false,
        };
        let Some((local, domain)) = address.split_once('@') else { return false };
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && address.len() <= 254
            && !address.chars().any(|c| c.is_whitespace() || c.is_control() || "<>@,;\"".contains(c) && c != '@')
            && !domain.contains('@')
            && !r.chars().any(char::is_control)
    };
    (!all.is_empty() && all.len() <= MAX_RECIPIENTS && all.iter().all(|r| ok(r))).then_some(all)
}

/// A customer's e-mail address as staff lists show it: its first character
/// and domain (`w***@qq.com`), enough to tell two apart, not to copy one.
pub fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().map(String::from).unwrap_or_default()),
        None => "***".into(),
    }
}

/// A secret as shown back: its first and last two characters, never more
/// than a quarter of it (short ones fully hidden).
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 16 {
        return "•".repeat(chars.len().min(8));
    }
    format!("{}{}…{}", chars[0], chars[1], chars[chars.len() - 2..].iter().collect::<String>())
}

/// A webhook URL as shown back: the scheme, host and path, with the value
/// naming the robot masked (`…?key=ab…9f`, `…/hook/ab…9f`).
pub fn mask_url(url: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = match base.rsplit_once("/hook/") {
        Some((head, id)) => format!("{head}/hook/{}", mask(id)),
        None => base.to_string(),
    };
    if query.is_empty() {
        return base;
    }
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, v)) => format!("{k}={}", mask(v)),
            None => p.to_string(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// Tries before a message is marked failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// When to try a message (robot's or text) again after `attempts` failed
/// tries, or `None` when the last try was made. A provider's "too many"
/// waits out its minute; anything else backs off.
pub fn next_try_in_ms(attempts: u32, rate_limited: bool) -> Option<i64> {
    (attempts < MAX_ATTEMPTS).then(|| if rate_limited { 60_000 } else { retry_delay_ms(attempts) })
}

/// Wait before the next try after `attempts` failed ones: 1 s, 2 s, 4 s …
/// doubling up to 10 minutes (8 tries span about 2 minutes).
pub fn retry_delay_ms(attempts: u32) -> i64 {
    let doubled = 1_000i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    doubled.min(600_000)
}
