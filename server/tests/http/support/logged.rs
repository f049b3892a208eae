//! A server process of a test's own, logging to a file the test reads:
//! for checking what reaches the log (secrets must not).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A server process of the test's own on an existing database, its log
/// (stderr) in a file, at the level `log_filter`.
pub struct LoggedServer {
    child: Child,
    pub addr: String,
    log: PathBuf,
}

impl LoggedServer {
    pub async fn spawn(database_url: &str, args: &[&str], log_filter: &str) -> LoggedServer {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let log = std::env::temp_dir().join(format!("fixline-log-{}-{nanos}.log", std::process::id()));
        let file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fixline"))
            .args(["--addr", "127.0.0.1:0", "--demo", "--database-url", database_url])
            .args(args)
            .env("FIXLINE_LOG", log_filter)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(file))
            .spawn()
            .expect("start the fixline binary");
        let stdout = child.stdout.take().unwrap();
        let addr = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let addr =
                lines.by_ref().map_while(Result::ok).find_map(|l| l.strip_prefix("listening on http://").map(|a| a.trim().to_string()));
            // Keep draining so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            addr
        })
        .await
        .unwrap();
        let addr = addr.unwrap_or_else(|| panic!("no address printed; log: {}", std::fs::read_to_string(&log).unwrap_or_default()));
        LoggedServer { child, addr, log }
    }

    /// Stops the process; everything it logged.
    pub fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned();
        let _ = std::fs::remove_file(&self.log);
        text
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
