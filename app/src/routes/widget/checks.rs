//! Remote diagnosis that runs in the customer's browser. Each check ends in
//! a `Finding` (which picks the guide's branch) and a one-line summary for
//! the technician. Nothing here runs on the server.

use crate::domain::guide::{CheckResult, LogPattern};
use crate::domain::logscan::PatternCount;
use crate::i18n::Locale;

/// Browser clock against the server's: `loaded_at_ms` is the browser's time
/// when the server's `server_now_ms` arrived. Returns the skew in seconds.
pub fn clock_skew_seconds(server_now_ms: i64, loaded_at_ms: i64) -> i64 {
    (loaded_at_ms - server_now_ms) / 1000
}

pub fn clock_result(skew_seconds: i64, max_skew_seconds: u32) -> CheckResult {
    if skew_seconds.unsigned_abs() <= max_skew_seconds as u64 {
        CheckResult::Ok
    } else {
        CheckResult::Failed
    }
}

/// "RF jamming ×14 (2026-11-20 09:12:03 – 10:40:11); Low battery ×0".
pub fn pattern_summary(patterns: &[LogPattern], counts: &[PatternCount], locale: Locale) -> String {
    counts
        .iter()
        .map(|c| {
            let label = patterns.iter().find(|p| p.id == c.id).map_or(c.id.as_str(), |p| p.label.get(locale));
            match (&c.first, &c.last) {
                (Some(first), Some(last)) if c.count > 1 => format!("{label} ×{} ({first} – {last})", c.count),
                (Some(first), _) => format!("{label} ×{} ({first})", c.count),
                _ => format!("{label} ×{}", c.count),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Is this host on a private network (or this machine)?
pub fn is_private_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host == "localhost" || host.ends_with(".local") || host == "::1" {
        return true;
    }
    let Ok(ip) = host.parse::<std::net::Ipv4Addr>() else { return false };
    ip.is_private() || ip.is_loopback() || ip.is_link_local()
}

/// `192.168.1.64` → `http://192.168.1.64/`; keeps a given scheme.
pub fn device_url(address: &str) -> Option<String> {
    let a = address.trim();
    if a.is_empty() || a.contains(char::is_whitespace) || a.len() > 200 {
        return None;
    }
    Some(if a.starts_with("http://") || a.starts_with("https://") { a.to_string() } else { format!("http://{a}/") })
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Date, Uint8Array};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, RequestInit, RequestMode, Response};

    use super::*;
    use crate::domain::logscan::LogScanner;

    async fn fetch(url: &str, mode: RequestMode, timeout_ms: i32) -> Result<Response, String> {
        let window = web_sys::window().ok_or("no window")?;
        let controller = AbortController::new().map_err(|_| "no AbortController")?;
        let init = RequestInit::new();
        init.set_mode(mode);
        init.set_cache(web_sys::RequestCache::NoStore);
        init.set_signal(Some(&controller.signal()));
        let abort = wasm_bindgen::closure::Closure::once(move || controller.abort());
        let timer = window.set_timeout_with_callback_and_timeout_and_arguments_0(abort.as_ref().unchecked_ref(), timeout_ms).unwrap_or(0);
        let result = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await;
        window.clear_timeout_with_handle(timer);
        drop(abort);
        result
            .map(|r| r.unchecked_into())
            .map_err(|e| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.name())).unwrap_or_else(|| "error".into()))
    }

    /// Fetches the device page with `no-cors`: an opaque answer means it is
    /// there. When the browser itself would block the probe (an HTTPS page
    /// asking for HTTP, or a public page asking into a private network) the
    /// answer is `Unknown`, never a false "down".
    pub async fn reachability(address: &str) -> (CheckResult, String) {
        let Some(url) = device_url(address) else { return (CheckResult::Unknown, "no address".into()) };
        let page = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
        if page.starts_with("https://") && url.starts_with("http://") {
            return (CheckResult::Unknown, format!("{url}: blocked by the browser (HTTPS page, HTTP device)"));
        }
        let started = Date::now();
        match fetch(&url, RequestMode::NoCors, 5000).await {
            Ok(_) => (CheckResult::Ok, format!("{url}: answered in {} ms", (Date::now() - started) as i64)),
            Err(name) if name == "AbortError" => (CheckResult::Failed, format!("{url}: no answer within 5 s")),
            Err(_) if !is_private_host(url_host(&page)) && is_private_host(url_host(&url)) => {
                (CheckResult::Unknown, format!("{url}: the browser may block private-network requests"))
            }
            Err(_) => (CheckResult::Failed, format!("{url}: connection refused or no route")),
        }
    }

    /// Round trip to the service and download rate of a 256 KB payload.
    pub async fn connection(max_latency_ms: u32, min_kbps: u32) -> (CheckResult, String) {
        let started = Date::now();
        if fetch("/healthz", RequestMode::SameOrigin, 10_000).await.is_err() {
            return (CheckResult::Failed, "the service did not answer".into());
        }
        let latency = Date::now() - started;
        let started = Date::now();
        let bytes = match fetch("/diagnostics/payload", RequestMode::SameOrigin, 20_000).await {
            Ok(res) => match res.array_buffer() {
                Ok(p) => JsFuture::from(p).await.map(|b| Uint8Array::new(&b).length()).unwrap_or(0),
                Err(_) => 0,
            },
            Err(_) => 0,
        };
        let ms = (Date::now() - started).max(1.0);
        let kbps = (bytes as f64 * 8.0 / ms) as u32; // bits per ms = kbit/s
        let ok = latency <= max_latency_ms as f64 && kbps >= min_kbps;
        (if ok { CheckResult::Ok } else { CheckResult::Failed }, format!("latency {} ms, download {kbps} kbit/s", latency as i64))
    }

    /// Scans a file in 1 MiB slices, reporting progress from 0 to 1.
    pub async fn scan_file(file: web_sys::File, patterns: &[LogPattern], progress: impl Fn(f64)) -> Result<Vec<PatternCount>, String> {
        const CHUNK: f64 = 1024.0 * 1024.0;
        let size = file.size();
        let mut scanner = LogScanner::new(patterns);
        let mut carry: Vec<u8> = Vec::new();
        let mut offset = 0.0;
        while offset < size {
            let end = (offset + CHUNK).min(size);
            let blob = file.slice_with_f64_and_f64(offset, end).map_err(|_| "cannot read the file")?;
            let buffer = JsFuture::from(blob.array_buffer()).await.map_err(|_| "cannot read the file")?;
            carry.extend(Uint8Array::new(&buffer).to_vec());
            // Decode up to the last whole UTF-8 character; keep the rest for the next slice.
            let valid = match std::str::from_utf8(&carry) {
                Ok(_) => carry.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(_) => carry.len(),
            };
            scanner.feed(&String::from_utf8_lossy(&carry[..valid]));
            carry.drain(..valid);
            offset = end;
            progress(offset / size);
        }
        if !carry.is_empty() {
            scanner.feed(&String::from_utf8_lossy(&carry));
        }
        Ok(scanner.finish())
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{connection, reachability, scan_file};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_hosts() {
        assert_eq!(clock_skew_seconds(1_000_000, 1_300_000), 300);
        assert_eq!(clock_result(300, 120), CheckResult::Failed);
        assert_eq!(clock_result(-100, 120), CheckResult::Ok);
        assert!(is_private_host("192.168.1.64"));
        assert!(is_private_host("10.0.0.8"));
        assert!(is_private_host("localhost"));
        assert!(!is_private_host("fixline.example.com"));
        assert!(!is_private_host("8.8.8.8"));
        assert_eq!(device_url("192.168.1.64").as_deref(), Some("http://192.168.1.64/"));
        assert_eq!(device_url("https://nvr.local:8443/").as_deref(), Some("https://nvr.local:8443/"));
        assert_eq!(device_url("a b"), None);
        assert_eq!(url_host("http://192.168.1.64:8080/x"), "192.168.1.64");
    }
}
