//! Notification settings, the delivery log and the on-duty roster, as the
//! console exchanges them with the server. Secrets travel only inward:
//! what comes back is masked.

use serde::{Deserialize, Serialize};

use crate::domain::calendar::Calendar;
use crate::domain::notify::sms::{SmsMessage, SmsProvider};
use crate::domain::notify::{ChannelKind, Topic};
use crate::i18n::Locale;

/// A channel as shown in the console: address and secret masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub topics: Vec<Topic>,
    pub org_id: Option<i64>,
    pub mention_on_duty: bool,
    pub language: Locale,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channels {
    pub channels: Vec<ChannelView>,
    /// Customer organisations a channel can be limited to.
    pub orgs: Vec<(i64, String)>,
    /// The server has an SMTP relay: e-mail channels can be added.
    pub email_ready: bool,
}

/// A channel as an admin submits it. Editing (`id` set): an empty `url` or
/// `secret` keeps the stored one, so secrets never need to be shown back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelForm {
    pub id: Option<i64>,
    pub kind: ChannelKind,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub topics: Vec<Topic>,
    pub org_id: Option<i64>,
    pub mention_on_duty: bool,
    pub language: Locale,
    pub active: bool,
}

/// What the provider answered to "send a test".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub ok: bool,
    pub status: u16,
    pub answer: String,
    pub latency_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFilter {
    /// `FX-000123` (or part of it); empty: any.
    pub case_number: String,
    pub channel_id: Option<i64>,
    /// `pending`, `sent` or `failed`; none: any.
    pub status: Option<String>,
}

/// One message in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub channel_id: i64,
    pub channel_name: String,
    pub kind: ChannelKind,
    pub topic: Topic,
    pub case_number: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub next_at_ms: i64,
    /// The last provider answer or transport error, when not delivered.
    pub last_error: String,
}

/// The on-duty roster as CSV, with the company calendar the week view
/// needs (working days, holidays) and the server's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterView {
    pub csv: String,
    pub can_edit: bool,
    pub calendar: Calendar,
    pub now_ms: i64,
}

/// Template ids per customer message (empty: that message is not sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsTemplates {
    pub received: String,
    pub appointment: String,
    /// Added later: accounts saved before it have none.
    #[serde(default)]
    pub on_the_way: String,
    pub quote: String,
    pub fixed: String,
}

impl SmsTemplates {
    pub fn get(&self, m: SmsMessage) -> &str {
        match m.template() {
            SmsMessage::Received | SmsMessage::Test => &self.received,
            SmsMessage::Appointment => &self.appointment,
            SmsMessage::OnTheWay => &self.on_the_way,
            SmsMessage::Quote => &self.quote,
            SmsMessage::Fixed => &self.fixed,
        }
    }

    pub fn all(&self) -> [&str; 5] {
        [&self.received, &self.appointment, &self.on_the_way, &self.quote, &self.fixed]
    }
}

/// The customer-SMS account as shown in the console (secret masked), or
/// as an admin submits it (an empty `secret` keeps the stored one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsAccountForm {
    pub provider: SmsProvider,
    pub endpoint: String,
    pub key_id: String,
    pub secret: String,
    pub sign_name: String,
    pub app_id: String,
    pub templates: SmsTemplates,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsView {
    /// An account was saved.
    pub configured: bool,
    #[serde(flatten)]
    pub account: SmsAccountForm,
}

/// One e-mail to a customer in the log; the address masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDelivery {
    pub id: i64,
    pub case_number: Option<String>,
    pub message: SmsMessage,
    pub address: String,
    pub status: String,
    pub attempts: i64,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub last_error: String,
}

/// One text in the SMS log; the number masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsDelivery {
    pub id: i64,
    pub case_number: Option<String>,
    pub message: SmsMessage,
    pub phone: String,
    pub status: String,
    pub attempts: i64,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub last_error: String,
}
