//! The server under test: a fresh database for each run, the release
//! binary as a process of its own, and what /proc says about it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database made for one run, removed when dropped.
pub struct Database {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Pg { admin_url: String, name: String },
}

static SEQUENCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Database {
    pub async fn fresh(backend: Backend, pg_admin_url: &str) -> Result<Database, String> {
        let name = format!("fixline_bench_{}_{}", std::process::id(), SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                Ok(Database { url: format!("sqlite://{}/fixline.db", dir.display()), cleanup: Cleanup::Dir(dir) })
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(pg_admin_url)
                    .await
                    .map_err(|e| format!("cannot connect to PostgreSQL at {pg_admin_url}: {e} (set --pg-url, or --db sqlite)"))?;
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.map_err(|e| e.to_string())?;
                conn.close().await.ok();
                let base = pg_admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(pg_admin_url);
                Ok(Database { url: format!("{base}/{name}"), cleanup: Cleanup::Pg { admin_url: pg_admin_url.to_string(), name } })
            }
        }
    }

    pub async fn remove(self) {
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Pg { admin_url, name } => {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                    conn.close().await.ok();
                }
            }
        }
    }
}

/// A running `fixline`: demo data, anonymous limits off (the bench is
/// one client address sending what many customers would).
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(binary: &str, site_root: &str, database_url: &str, extra: &[&str]) -> Result<Server, String> {
        let mut child = Command::new(binary)
            .args(["--addr", "127.0.0.1:0", "--demo", "--database-url", database_url, "--site-root", site_root])
            .args(["--anon-rate-per-minute", "0", "--submit-rate-per-minute", "0", "--daily-case-cap", "0"])
            .args(extra)
            .env("FIXLINE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {binary}: {e} (run tools/bench, which builds it)"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("listening on http://") {
                        break rest.trim().to_string();
                    }
                }
                _ => return Err("the server exited before it listened".into()),
            }
        };
        // Keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server { child, base: format!("http://{addr}") })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> f64 {
        status_kb(self.pid(), "VmRSS:") as f64 / 1024.0
    }

    /// The most resident memory so far, in MB.
    pub fn peak_rss_mb(&self) -> f64 {
        status_kb(self.pid(), "VmHWM:") as f64 / 1024.0
    }

    /// CPU time used so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.pid())
    }

    /// Stops it as an operator would (SIGTERM), and waits.
    pub fn stop(mut self) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// utime + stime of a process, in seconds (Linux clock ticks of 1/100 s).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields; `after` starts at the 3rd.
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i).and_then(|v| v.parse::<u64>().ok())).sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / hz
}

/// The PostgreSQL server's own processes and their CPU so far, in seconds
/// (it does part of every request's work); empty where they cannot be read.
pub fn postgres_cpu() -> std::collections::HashMap<u32, f64> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Default::default() };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .map(|pid| (pid, cpu_seconds(pid)))
        .collect()
}

/// CPU PostgreSQL used between two readings: processes that ended meanwhile
/// took their time with them, so only those seen at the end count.
pub fn postgres_cpu_between(before: &std::collections::HashMap<u32, f64>, after: &std::collections::HashMap<u32, f64>) -> f64 {
    after.iter().map(|(pid, t)| t - before.get(pid).copied().unwrap_or(0.0)).filter(|d| *d > 0.0).sum()
}
