//! What a provider answered to one message (or why nothing came back):
//! what the sender (HTTP or SMTP) gives the outbox to record.

#[derive(Debug, Clone)]
pub struct Answer {
    pub ok: bool,
    /// HTTP status or SMTP reply code; 0 when no answer arrived.
    pub status: u16,
    pub body: String,
    pub latency_ms: i64,
    /// The provider said "too fast": wait a minute before the next try.
    pub rate_limited: bool,
}

impl Answer {
    /// Not sent at all (the channel is gone, say).
    pub fn gave_up(why: &str) -> Answer {
        Answer { ok: false, status: 0, body: why.into(), latency_ms: 0, rate_limited: false }
    }
}
