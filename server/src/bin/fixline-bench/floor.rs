//! What this machine can do at best, measured in the same run, so the
//! table reads as ratios rather than absolute times that vary from machine
//! to machine: a bare axum handler returning the same bytes, and a bare
//! insert-per-transaction loop with Fixline's durability settings.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::target::Backend;

/// `fixline-bench floor-server BODY_FILE CONTENT_TYPE [CONTENT_ENCODING]`:
/// answers every request with those bytes.
pub async fn serve(args: &[String]) -> Result<(), String> {
    let [file, content_type, rest @ ..] = args else { return Err("floor-server BODY_FILE CONTENT_TYPE [ENCODING]".into()) };
    let body = axum::body::Bytes::from(std::fs::read(file).map_err(|e| format!("{file}: {e}"))?);
    let mut headers = vec![(http::header::CONTENT_TYPE, content_type.clone())];
    if let Some(encoding) = rest.first() {
        headers.push((http::header::CONTENT_ENCODING, encoding.clone()));
    }
    let app = axum::Router::new().fallback(move || {
        let (body, headers) = (body.clone(), headers.clone());
        async move {
            let mut response = axum::response::Response::new(axum::body::Body::from(body));
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse().expect("a header value"));
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    println!("listening on http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

/// The bare server as a process of its own (as Fixline is).
pub struct FloorServer {
    child: Child,
    pub base: String,
}

impl FloorServer {
    pub fn start(body: &[u8], content_type: &str, encoding: Option<&str>) -> Result<FloorServer, String> {
        let file = std::env::temp_dir().join(format!("fixline-bench-floor-{}-{}", std::process::id(), body.len()));
        std::fs::write(&file, body).map_err(|e| e.to_string())?;
        let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        command.arg("floor-server").arg(&file).arg(content_type);
        if let Some(e) = encoding {
            command.arg(e);
        }
        let mut child = command.stdout(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let line = lines.next().and_then(|l| l.ok()).ok_or("the floor server did not start")?;
        let addr = line.strip_prefix("listening on ").ok_or("the floor server said something else")?.to_string();
        Ok(FloorServer { child, base: addr })
    }
}

impl Drop for FloorServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rows a second that `clients` connections insert, one row per
/// transaction, for `duration`. On SQLite: WAL, `synchronous = FULL`, as
/// Fixline runs it (there is one writer, so one connection).
pub async fn inserts_per_second(backend: Backend, url: &str, clients: usize, duration: Duration) -> Result<f64, String> {
    sqlx::any::install_default_drivers();
    let (url, clients) = match backend {
        Backend::Sqlite => (format!("{url}?mode=rwc"), 1),
        Backend::Postgres => (url.to_string(), clients),
    };
    let mut conns = Vec::new();
    for _ in 0..clients {
        let mut conn = sqlx::AnyConnection::connect(&url).await.map_err(|e| e.to_string())?;
        if backend == Backend::Sqlite {
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"] {
                sqlx::query(pragma).execute(&mut conn).await.map_err(|e| e.to_string())?;
            }
        }
        conns.push(conn);
    }
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_floor (id BIGINT, note TEXT)").execute(&mut conns[0]).await.map_err(|e| e.to_string())?;
    let start = Instant::now();
    let end = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for mut conn in conns {
        tasks.spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
                sqlx::query("INSERT INTO bench_floor (id, note) VALUES ($1, $2)")
                    .bind(n as i64)
                    .bind("floor")
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
                n += 1;
            }
            Ok::<u64, String>(n)
        });
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done.map_err(|e| e.to_string())??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}
