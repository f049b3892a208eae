//! What is wrong with something a person submitted, field by field: the
//! server refuses with these and the browser shows them in the reader's
//! language (`app::i18n`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ReporterName,
    Phone,
    Asset,
    Symptom,
    /// The customer's e-mail address (optional).
    Email,
    Steps,
    Username,
    Password,
    /// Notification channels and the on-duty roster (console).
    ChannelName,
    ChannelUrl,
    ChannelSecret,
    Roster,
    /// The customer-SMS account (console).
    SmsEndpoint,
    SmsKeyId,
    SmsSignName,
    SmsAppId,
    SmsTemplate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    Required,
    TooShort {
        min: u32,
    },
    TooLong {
        max: u32,
    },
    InvalidPhone,
    UnknownAsset,
    InvalidSteps,
    /// Not in the form the field takes (a webhook address, say).
    Invalid,
    /// A line of an imported list (1-based).
    BadLine {
        line: u32,
    },
}

/// What is wrong with submitted service settings; each names its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum SettingsProblem {
    /// Working hours of a weekday (0 = Monday) are not `08:30-12:00 13:30-17:30`.
    BadHours {
        weekday: u8,
    },
    OverlappingHours {
        weekday: u8,
    },
    /// A line of the holiday list.
    HolidayLine {
        line: u32,
        issue: crate::holidays::LineProblem,
    },
    /// A time target out of range (1 minute to 60 days).
    BadTarget,
    /// An allowed embedding origin (0-based position in the list).
    BadOrigin {
        index: u32,
    },
    TooManyOrigins,
    BadColour,
    /// A daily case cap outside 1–100,000 (empty: the server's default).
    BadCaseCap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum UploadProblem {
    Empty,
    TooLarge {
        max_kb: u32,
    },
    /// Only JPEG, PNG and WebP photos (PNG signatures), judged by content.
    NotAnImage,
    /// A guide walk holds at most `max` photos before it becomes a case
    /// (and a customer at most this many on one case).
    TooMany {
        max: u32,
    },
    /// The case's or the organisation's storage quota is used up.
    StorageFull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    #[serde(flatten)]
    pub problem: Problem,
}
