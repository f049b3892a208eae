//! A local SMTP server for the e-mail tests: it speaks the protocol as a
//! relay does (greeting, EHLO, MAIL FROM, RCPT TO, DATA with dot-stuffing,
//! QUIT), refuses commands out of order with 503, and keeps what it
//! accepted. It can be told to answer the next recipients with a temporary
//! failure (451), as a relay under load does, and refuses `nobody@…` for
//! good (550 user unknown).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A message as the relay received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The whole message: headers and body, dot-stuffing undone.
    pub data: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_string()))
    }

    /// The body, decoded when it is base64.
    pub fn text(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        if self.header("Content-Transfer-Encoding").is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
            let joined: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD.decode(joined).unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            body.to_string()
        }
    }
}

#[derive(Default)]
struct State {
    mails: Vec<Mail>,
    fail_next: usize,
    out_of_order: usize,
}

pub struct Smtp {
    addr: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Smtp {
    pub async fn start() -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Smtp { addr, state, task }
    }

    /// `smtp://127.0.0.1:PORT`: no TLS, no login (loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.state.lock().unwrap().mails.clone()
    }

    /// Commands sent out of order (answered 503): always 0 from a good client.
    pub fn out_of_order(&self) -> usize {
        self.state.lock().unwrap().out_of_order
    }

    /// The next `n` recipients get `451 try again later`.
    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail_next = n;
    }

    /// Waits until a mail holds `needle` (headers or decoded body).
    pub async fn wait_for(&self, needle: &str, within: Duration) -> Option<Mail> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(m) = self.mails().into_iter().find(|m| m.data.contains(needle) || m.text().contains(needle)) {
                return Some(m);
            }
            if tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Angle-bracketed address after `MAIL FROM:` or `RCPT TO:`.
fn address(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    let a = &arg[start + 1..end];
    (a.contains('@') || a.is_empty()).then(|| a.to_string())
}

async fn session(stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(&crlf("220 relay.test ESMTP ready")).await.is_err() {
        return;
    }
    let (mut greeted, mut from, mut to): (bool, Option<String>, Vec<String>) = (false, None, Vec::new());
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO ") || upper.starts_with("HELO ") {
            greeted = true;
            "250-relay.test\r\n250-8BITMIME\r\n250 SIZE 10485760".to_string()
        } else if upper.starts_with("MAIL FROM:") {
            match (greeted, address(&line[10..])) {
                (true, Some(a)) => {
                    (from, to) = (Some(a), Vec::new());
                    "250 2.1.0 sender ok".into()
                }
                (false, _) => bad(&state),
                (_, None) => "501 5.1.7 bad sender address".into(),
            }
        } else if upper.starts_with("RCPT TO:") {
            let mut s = state.lock().unwrap();
            match (from.is_some(), address(&line[8..])) {
                (false, _) => {
                    s.out_of_order += 1;
                    "503 5.5.1 need MAIL first".into()
                }
                (true, None) => "501 5.1.3 bad recipient address".into(),
                // As a real relay answers for a mailbox it does not have.
                (true, Some(a)) if a.starts_with("nobody@") => "550 5.1.1 user unknown".into(),
                (true, Some(_)) if s.fail_next > 0 => {
                    s.fail_next -= 1;
                    "451 4.3.0 try again later".into()
                }
                (true, Some(a)) => {
                    to.push(a);
                    "250 2.1.5 recipient ok".into()
                }
            }
        } else if upper == "DATA" {
            if from.is_none() || to.is_empty() {
                bad(&state)
            } else {
                if write.write_all(&crlf("354 end with <CRLF>.<CRLF>")).await.is_err() {
                    return;
                }
                let mut data = String::new();
                loop {
                    match lines.next_line().await {
                        Ok(Some(l)) if l == "." => break,
                        Ok(Some(l)) => {
                            data.push_str(l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(&l));
                            data.push_str("\r\n");
                        }
                        _ => return,
                    }
                }
                let mail = Mail { from: from.take().unwrap_or_default(), to: std::mem::take(&mut to), data };
                state.lock().unwrap().mails.push(mail);
                "250 2.0.0 queued as T1".into()
            }
        } else if upper == "RSET" {
            (from, to) = (None, Vec::new());
            "250 2.0.0 ok".into()
        } else if upper == "NOOP" {
            "250 2.0.0 ok".into()
        } else if upper == "QUIT" {
            let _ = write.write_all(&crlf("221 2.0.0 bye")).await;
            return;
        } else {
            "500 5.5.2 command not recognised".into()
        };
        if write.write_all(&crlf(&reply)).await.is_err() {
            return;
        }
    }
}

fn crlf(text: &str) -> Vec<u8> {
    format!("{text}\r\n").into_bytes()
}

fn bad(state: &Arc<Mutex<State>>) -> String {
    state.lock().unwrap().out_of_order += 1;
    "503 5.5.1 bad sequence of commands".into()
}
