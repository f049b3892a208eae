//! E-mail over SMTP (lettre): the relay comes from the server's
//! configuration (`--smtp-url`, credentials included, never logged), a
//! channel names the recipients. The body goes as UTF-8 text, base64, with
//! the case number in a header of its own for mail filters.

use std::time::{Duration, Instant};

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::answer::Answer;

/// The relay and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// For the whole exchange: lettre's own timeout covers connecting only.
    timeout: Duration,
}

impl Mailer {
    /// From `smtp://host:25`, `smtp://user:pass@host:587?tls=required` or
    /// `smtps://user:pass@host:465`. Errors name the problem, not the URL.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Mailer, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("bad --smtp-url (smtp://, smtps://, with user, password, host and port): {e}"))?
            .timeout(Some(timeout))
            .build();
        let from = from.parse().map_err(|e| format!("bad --smtp-from '{from}': {e}"))?;
        Ok(Mailer { transport, from, timeout })
    }

    /// Sends `text` to every recipient: the first line is the subject.
    pub async fn send(&self, recipients: &[&str], case_number: Option<&str>, text: &str) -> Answer {
        let started = Instant::now();
        let answer = |ok: bool, status: u16, body: String| Answer {
            ok,
            status,
            body: body.chars().take(500).collect(),
            latency_ms: started.elapsed().as_millis() as i64,
            rate_limited: false,
        };
        let subject = text.lines().next().unwrap_or("Fixline");
        let mut builder = Message::builder().from(self.from.clone()).subject(subject);
        for r in recipients {
            match r.parse::<Mailbox>() {
                Ok(m) => builder = builder.to(m),
                Err(e) => return answer(false, 0, format!("bad recipient: {e}")),
            }
        }
        if let Some(n) = case_number {
            builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-Fixline-Case"), n.to_string()));
        }
        let body = SinglePart::builder().header(ContentType::TEXT_PLAIN).header(ContentTransferEncoding::Base64).body(text.to_string());
        let message = match builder.singlepart(body) {
            Ok(m) => m,
            Err(e) => return answer(false, 0, format!("message not built: {e}")),
        };
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => answer(false, 0, "timeout: the relay did not finish in time".into()),
            Ok(Ok(res)) => {
                let code: u16 = res.code().to_string().parse().unwrap_or(0);
                answer(res.is_positive(), code, format!("{code} {}", res.message().collect::<Vec<_>>().join(" ")))
            }
            Ok(Err(e)) => {
                let code = e.status().and_then(|c| c.to_string().parse().ok()).unwrap_or(0);
                let what = if e.is_timeout() {
                    "timeout"
                } else if e.is_transient() {
                    "try again later"
                } else {
                    "refused"
                };
                answer(false, code, format!("{what}: {e}"))
            }
        }
    }
}
