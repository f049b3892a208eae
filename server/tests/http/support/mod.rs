//! Test support: a real Fixline server process on a real database (a fresh
//! SQLite file, or a fresh PostgreSQL database), and its HTTP client
//! (reqwest; raw bytes over TCP only for what no well-behaved client sends).

#![allow(dead_code)]

pub mod fixtures;
pub mod logged;
pub mod robots;
pub mod sms;
pub mod sms_aliyun;
pub mod sms_tencent;
pub mod smtp;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One `#[tokio::test]` per database for each named `async fn(Db)`.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Db::Postgres).await
            }
        }
    )*};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    child: Child,
    client: reqwest::Client,
    pub addr: String,
    pub database_url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// A second instance on another server's database: nothing of its own.
    Nothing,
    Dir(PathBuf),
    PgDatabase {
        admin_url: String,
        name: String,
    },
}

/// A client per server: its connections belong to the test's own runtime.
fn http_client() -> reqwest::Client {
    // The app's reqwest (unified with this one) has TLS without a provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(0).build().expect("an HTTP client")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("fixline_t{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst), nanos)
}

/// The PostgreSQL to test against. Never skipped: no server is a failure.
pub fn pg_admin_url() -> String {
    std::env::var("FIXLINE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let slash = base.rfind('/').expect("database URL has a path");
    let mut out = format!("{}/{}", &base[..slash], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestServer {
    pub async fn start(db: Db) -> TestServer {
        Self::start_with(db, &[]).await
    }

    /// Another instance on this server's database (as behind a load balancer).
    pub async fn another_instance(&self, extra_args: &[&str]) -> TestServer {
        Self::spawn(self.database_url.clone(), Cleanup::Nothing, extra_args).await
    }

    pub async fn start_with(db: Db, extra_args: &[&str]) -> TestServer {
        let name = unique_name();
        let (database_url, cleanup) = match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                (format!("sqlite://{}/fixline.db", dir.display()), Cleanup::Dir(dir))
            }
            Db::Postgres => {
                let admin_url = pg_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL tests need a server: cannot connect to {admin_url}: {e}. \
                         Run tools/test (it finds or starts one) or set FIXLINE_TEST_PG_URL."
                    )
                });
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                conn.close().await.ok();
                (replace_db_name(&admin_url, &name), Cleanup::PgDatabase { admin_url, name })
            }
        };
        Self::spawn(database_url, cleanup, extra_args).await
    }

    async fn spawn(database_url: String, cleanup: Cleanup, extra_args: &[&str]) -> TestServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fixline"))
            .args(["--addr", "127.0.0.1:0", "--demo", "--database-url", &database_url])
            .args(extra_args)
            .env("FIXLINE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the fixline binary");
        let stdout = child.stdout.take().unwrap();
        let addr = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let addr = loop {
                match lines.next() {
                    Some(Ok(line)) => {
                        if let Some(rest) = line.strip_prefix("listening on http://") {
                            break Some(rest.trim().to_string());
                        }
                    }
                    _ => break None,
                }
            };
            // Keep draining so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            addr
        })
        .await
        .unwrap()
        .expect("server printed its address");
        TestServer { child, client: http_client(), addr, database_url, cleanup }
    }

    /// One HTTP exchange: a new connection each time (no pool), no
    /// redirects followed, bodies as sent (no decompression).
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        self.try_request(method, path, headers, body, Duration::from_secs(30)).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Like `request`, but a refused or reset connection, an incomplete
    /// response or no response within `within` is an `Err` describing it.
    pub async fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        within: Duration,
    ) -> Result<Response, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| format!("method: {e}"))?;
        let mut request = self.client.request(method, format!("http://{}{path}", self.addr)).body(body.to_vec());
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let exchange = async {
            let res = request.send().await.map_err(|e| format!("send: {e:?}"))?;
            let status = res.status().as_u16();
            let mut map: HashMap<String, Vec<String>> = HashMap::new();
            for (k, v) in res.headers() {
                map.entry(k.as_str().to_string()).or_default().push(String::from_utf8_lossy(v.as_bytes()).into_owned());
            }
            let body = res.bytes().await.map_err(|e| format!("truncated body: {e:?}"))?.to_vec();
            Ok(Response { status, headers: map, body })
        };
        tokio::time::timeout(within, exchange).await.map_err(|_| format!("no response within {within:?}"))?
    }

    /// Bytes straight over TCP, for requests no HTTP client would send
    /// (malformed headers, `..` in paths, bodies the server refuses before
    /// reading them).
    pub async fn raw_request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut stream = TcpStream::connect(&self.addr).await.expect("connect");
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n", self.addr, body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        // The server may answer (413) before reading a large body.
        let _ = stream.write_all(body).await;
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw)).await.expect("response in time").ok();
        Response::parse(&raw)
    }

    /// A server function call as the widget makes it: same-origin, JSON or form body.
    pub async fn call(&self, endpoint: &str, content_type: &str, body: &str, cookie: Option<&str>) -> Response {
        let origin = format!("http://{}", self.addr);
        let mut headers = vec![("Content-Type", content_type), ("Origin", origin.as_str()), ("Accept", "application/json")];
        if let Some(c) = cookie {
            headers.push(("Cookie", c));
        }
        self.request("POST", &format!("/api/{endpoint}"), &headers, body.as_bytes()).await
    }

    pub async fn call_json(&self, endpoint: &str, body: &serde_json::Value, cookie: Option<&str>) -> Response {
        self.call(endpoint, "application/json", &body.to_string(), cookie).await
    }

    pub async fn call_form(&self, endpoint: &str, body: &str, cookie: Option<&str>) -> Response {
        self.call(endpoint, "application/x-www-form-urlencoded", body, cookie).await
    }

    /// Signs in and returns the `Cookie` header value for the session.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self.call_form("login", &format!("username={username}&password={password}"), None).await;
        assert!(res.status < 400, "login failed: {} {}", res.status, res.text());
        let set_cookie = res.header("set-cookie").expect("session cookie");
        set_cookie.split(';').next().unwrap().to_string()
    }

    /// The staff queue's rows for a filter (`{}` for every open case).
    pub async fn queue(&self, cookie: &str, filter: serde_json::Value) -> Vec<serde_json::Value> {
        let res = self.call_json("list_queue", &serde_json::json!({ "filter": filter }), Some(cookie)).await;
        assert_eq!(res.status, 200, "list_queue: {}", res.text());
        res.json()["rows"].as_array().unwrap().clone()
    }

    /// A staff action on a case; returns the response.
    pub async fn act(&self, cookie: &str, number: &str, action: serde_json::Value) -> Response {
        self.call_json("case_action", &serde_json::json!({ "number": number, "action": action }), Some(cookie)).await
    }

    /// Runs SQL straight on the server's database (tests move time by
    /// back-dating events; the server itself only ever uses real time).
    pub async fn execute(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.ok();
    }

    /// Opens the console's live stream (server-sent events) as `cookie`.
    pub async fn live_stream(&self, cookie: &str) -> LiveStream {
        let mut stream = TcpStream::connect(&self.addr).await.expect("connect");
        let head = format!("GET /console/live HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n", self.addr);
        stream.write_all(head.as_bytes()).await.unwrap();
        LiveStream { stream, seen: String::new() }
    }

    /// Counts rows straight from the database the server uses.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url).await.unwrap();
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut conn).await.unwrap();
        conn.close().await.ok();
        n
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        match &self.cleanup {
            Cleanup::Nothing => {}
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                }
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, Vec<String>>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("complete HTTP response");
        let head = String::from_utf8_lossy(&raw[..split]);
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers: HashMap<String, Vec<String>> = HashMap::new();
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                headers.entry(k.trim().to_ascii_lowercase()).or_default().push(v.trim().to_string());
            }
        }
        let mut body = raw[split + 4..].to_vec();
        if headers.get("transfer-encoding").is_some_and(|v| v.iter().any(|e| e.contains("chunked"))) {
            body = dechunk(&body);
        }
        Response { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

pub struct LiveStream {
    stream: TcpStream,
    seen: String,
}

impl LiveStream {
    /// Waits until a `case` event naming `number` arrives; false on timeout.
    pub async fn wait_for(&mut self, number: &str, within: Duration) -> bool {
        let needle = format!("event: case\ndata: {number}\n");
        let deadline = tokio::time::Instant::now() + within;
        let mut buf = [0u8; 4096];
        loop {
            if self.seen.contains(&needle) {
                return true;
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => return false,
            }
        }
    }

    pub fn status_line(&self) -> &str {
        self.seen.lines().next().unwrap_or_default()
    }
}

// ---- Added for crash.rs: killing and restarting a server, starting one on
// a given database URL, and requests that report a dead server instead of
// panicking.

impl TestServer {
    /// A server on an existing database (e.g. a PostgreSQL cluster of the
    /// test's own); the database is not dropped by `stop`.
    pub async fn start_on(database_url: &str, extra_args: &[&str]) -> TestServer {
        Self::spawn(database_url.to_string(), Cleanup::Nothing, extra_args).await
    }

    /// SIGKILL: no shutdown of any kind; the database is kept.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a new process on the same database (after `kill_hard`); `addr`
    /// is the new one's. The database keeps its cleanup for `stop`.
    pub async fn restart(&mut self, extra_args: &[&str]) {
        self.kill_hard();
        let mut fresh = Self::spawn(self.database_url.clone(), Cleanup::Nothing, extra_args).await;
        std::mem::swap(&mut self.child, &mut fresh.child);
        std::mem::swap(&mut self.addr, &mut fresh.addr);
        // `fresh` now holds the dead process; dropping it is harmless.
    }

    /// `call_json` through `try_request`.
    pub async fn try_call_json(
        &self,
        endpoint: &str,
        body: &serde_json::Value,
        cookie: Option<&str>,
        within: Duration,
    ) -> Result<Response, String> {
        let origin = format!("http://{}", self.addr);
        let mut headers = vec![("Content-Type", "application/json"), ("Origin", origin.as_str()), ("Accept", "application/json")];
        if let Some(c) = cookie {
            headers.push(("Cookie", c));
        }
        self.try_request("POST", &format!("/api/{endpoint}"), &headers, body.to_string().as_bytes(), within).await
    }
}

impl LiveStream {
    /// Everything read from the stream so far (status line, headers, events).
    pub fn seen(&self) -> &str {
        &self.seen
    }

    /// Reads whatever arrives during `for_`.
    pub async fn drain(&mut self, for_: Duration) {
        let deadline = tokio::time::Instant::now() + for_;
        let mut buf = [0u8; 4096];
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    /// Waits until `found` holds for the text read after byte `from`; false
    /// on timeout or when the stream ends.
    pub async fn wait_after(&mut self, from: usize, within: Duration, found: impl Fn(&str) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        let mut buf = [0u8; 4096];
        loop {
            if found(self.seen.get(from..).unwrap_or_default()) {
                return true;
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => return false,
            }
        }
    }
}

impl TestServer {
    /// Sends SIGKILL without waiting (usable while requests borrow the
    /// server); `kill_hard` or `restart` reaps the process afterwards.
    pub fn sigkill(&self) {
        let _ = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status();
    }
}
