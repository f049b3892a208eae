//! The load generator: closed loops (N clients, each sending its next
//! request when the last one is answered) and open loops (requests sent at
//! a fixed rate whatever the answers do, so a slow server cannot hide its
//! queueing: latency counts from when a request was due, not sent).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to send: the body may differ per request (a fresh submission id).
pub struct Spec {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Box<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
}

impl Spec {
    pub fn get(url: String, headers: Vec<(&'static str, String)>) -> Spec {
        Spec { method: reqwest::Method::GET, url, headers, body: Box::new(|_| Vec::new()) }
    }
}

/// What one run saw.
#[derive(Default)]
pub struct Sample {
    pub ok: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
    pub seconds: f64,
    latencies_us: Vec<u32>,
}

impl Sample {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }

    /// The q-quantile latency in milliseconds (0 with no answers).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * q).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }

    fn merge(&mut self, other: Part) {
        self.ok += other.ok;
        self.failed += other.failed;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
        self.latencies_us.extend(other.latencies_us);
    }

    fn finish(mut self, seconds: f64) -> Sample {
        self.seconds = seconds;
        self.latencies_us.sort_unstable();
        self
    }
}

#[derive(Default)]
struct Part {
    ok: u64,
    failed: u64,
    first_failure: Option<String>,
    latencies_us: Vec<u32>,
}

impl Part {
    fn record(&mut self, result: Result<(), String>, took: Duration) {
        match result {
            Ok(()) => {
                self.ok += 1;
                self.latencies_us.push(took.as_micros().min(u32::MAX as u128) as u32);
            }
            Err(e) => {
                self.failed += 1;
                self.first_failure.get_or_insert(e);
            }
        }
    }
}

pub fn client() -> reqwest::Client {
    // reqwest's TLS is built without a provider (the app's choice); plain
    // HTTP needs none, but the builder asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .tcp_nodelay(true)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// One exchange; a status of 400 or more is a failure. The body is read
/// to its end (a browser waits for all of it too).
async fn exchange(client: &reqwest::Client, spec: &Spec, n: u64) -> Result<(), String> {
    let mut request = client.request(spec.method.clone(), &spec.url);
    for (name, value) in &spec.headers {
        request = request.header(*name, value);
    }
    if spec.method != reqwest::Method::GET {
        request = request.body((spec.body)(n));
    }
    let response = request.send().await.map_err(|e| format!("send: {e}"))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("body: {e}"))?;
    if status.as_u16() >= 400 {
        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body[..body.len().min(200)])));
    }
    Ok(())
}

/// `clients` loops, each sending its next request when the last one is
/// answered, for `duration`.
pub async fn closed(client: &reqwest::Client, spec: Arc<Spec>, clients: usize, duration: Duration) -> Sample {
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (client, spec, counter) = (client.clone(), spec.clone(), counter.clone());
        tasks.spawn(async move {
            let mut part = Part::default();
            while Instant::now() < end {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let result = exchange(&client, &spec, n).await;
                part.record(result, sent.elapsed());
            }
            part
        });
    }
    let mut sample = Sample::default();
    while let Some(part) = tasks.join_next().await {
        sample.merge(part.expect("a load task"));
    }
    sample.finish(start.elapsed().as_secs_f64())
}

/// Requests due at `rate` a second for `duration`, each sent when due
/// (at most `MAX_IN_FLIGHT` unanswered; beyond that a request counts as
/// failed rather than the loop slowing down).
pub async fn open(client: &reqwest::Client, spec: Arc<Spec>, rate: u32, duration: Duration) -> Sample {
    const MAX_IN_FLIGHT: usize = 4096;
    let total = (rate as f64 * duration.as_secs_f64()) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut sample = Sample::default();
    let mut late = Part::default();
    for n in 0..total {
        let due = start + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due).await;
        if tasks.len() >= MAX_IN_FLIGHT {
            late.record(Err(format!("more than {MAX_IN_FLIGHT} requests unanswered")), Duration::ZERO);
            continue;
        }
        let (client, spec) = (client.clone(), spec.clone());
        tasks.spawn(async move {
            let mut part = Part::default();
            let result = exchange(&client, &spec, n).await;
            part.record(result, due.elapsed());
            part
        });
        while let Some(done) = tasks.try_join_next() {
            sample.merge(done.expect("a load task"));
        }
    }
    while let Some(done) = tasks.join_next().await {
        sample.merge(done.expect("a load task"));
    }
    sample.merge(late);
    sample.finish(start.elapsed().as_secs_f64())
}
