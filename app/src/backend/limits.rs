//! Limits on what anonymous clients and sign-in attempts can cost: request
//! rates per client address and organisation key (GCRA, `governor`), a
//! daily cap on cases per organisation, and a bound on concurrent password
//! hashing. Refusals are `AppError::RateLimited` (429 with `Retry-After`);
//! staff see which organisations were limited today on the queue page.
//!
//! A whole hospital often reaches Fixline through one egress address, so
//! each widget is limited on its own: the widget keeps a random client id
//! and sends it with every call (the `client` argument of its server
//! functions, `X-Fixline-Client` on uploads), and each (address, org key,
//! client id) gets the configured share. Ids are the client's to choose, so the
//! address and org key together also have a crowd's share (`CROWD` times
//! as much), which bounds a script that invents a new id per call. Callers
//! without an id share one bucket per address and key. The tight bounds are
//! on what costs storage (photos) and on cases an organisation can create a
//! day.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use sqlx::AnyConnection;

use crate::errors::AppError;
use crate::functions::widget_client::CLIENT_HEADER;

/// What the operator configured (`fixline serve --help`); 0 turns a limit off.
#[derive(Debug, Clone, Copy)]
pub struct LimitsConfig {
    /// Anonymous reads (widget, guides, tracking) per client address and
    /// organisation key, a minute. 0 turns every anonymous limit off.
    pub anon_per_minute: u32,
    /// Case submissions and customer actions per address and key, a minute.
    pub submit_per_minute: u32,
    /// Photo uploads per address and key, an hour.
    pub upload_per_hour: u32,
    /// Sign-in attempts per client address, a minute.
    pub login_per_minute: u32,
    /// Cases per organisation in 24 hours, unless the organisation has its own.
    pub daily_case_cap: u32,
    /// Take the client address from the last `X-Forwarded-For` entry (set
    /// only behind a proxy that writes it).
    pub trust_forwarded_for: bool,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            anon_per_minute: 600,
            submit_per_minute: 60,
            upload_per_hour: 240,
            login_per_minute: 30,
            daily_case_cap: 1000,
            trust_forwarded_for: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Read,
    Submit,
    Upload,
    Login,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Submit => "submit",
            Class::Upload => "upload",
            Class::Login => "login",
        }
    }
}

/// How many widgets' shares one address and org key get together.
pub const CROWD: u32 = 20;

/// Who is asking: the address, and the widget's client id when the request
/// can carry one (`None` for page loads: a browser navigating sends no
/// header of ours; `Some("")` for a call without an id).
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub ip: IpAddr,
    pub client: Option<&'a str>,
}

impl<'a> Caller<'a> {
    /// A widget's call: the client id is kept only when it looks like one
    /// the widget makes (16–64 letters, digits, `-`, `_`); else the call
    /// shares the bucket of callers without one.
    pub fn widget(ip: IpAddr, client: &'a str) -> Caller<'a> {
        let valid = (16..=64).contains(&client.len()) && client.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        Caller { ip, client: Some(if valid { client } else { "" }) }
    }

    /// A caller from request headers (`X-Fixline-Client`, photo uploads).
    pub fn from_headers(ip: IpAddr, headers: &'a http::HeaderMap) -> Caller<'a> {
        Caller::widget(ip, headers.get(CLIENT_HEADER).and_then(|v| v.to_str().ok()).unwrap_or(""))
    }

    /// A page load: no client id can travel with it.
    pub fn page(ip: IpAddr) -> Caller<'static> {
        Caller { ip, client: None }
    }
}

/// Addresses are limited as /64 networks for IPv6 (one host has many).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    net: IpAddr,
    org_key: String,
    client: String,
}

/// One class's limiters: each widget's share and the crowd's.
struct Shares {
    client: DefaultKeyedRateLimiter<Key>,
    crowd: DefaultKeyedRateLimiter<Key>,
}

impl Shares {
    fn new(quota: Option<Quota>, crowd: Option<Quota>) -> Option<Shares> {
        Some(Shares { client: RateLimiter::keyed(quota?), crowd: RateLimiter::keyed(crowd?) })
    }
}

fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

fn limiter<K: Hash + Eq + Clone>(quota: Option<Quota>) -> Option<DefaultKeyedRateLimiter<K>> {
    quota.map(RateLimiter::keyed)
}

/// `n` a minute with a burst of half of it.
fn per_minute(n: u32) -> Option<Quota> {
    Some(Quota::per_minute(NonZeroU32::new(n)?).allow_burst(NonZeroU32::new((n / 2).max(1))?))
}

/// `n` an hour with a burst of an eighth of it (at least 6: a walk's photos).
fn per_hour(n: u32) -> Option<Quota> {
    let n = NonZeroU32::new(n)?;
    Some(Quota::per_hour(n).allow_burst(NonZeroU32::new((n.get() / 8).max(6))?))
}

/// A limit that refused someone today, for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Biting {
    pub org_key: String,
    pub class: &'static str,
    pub refused: u64,
    pub last_ms: i64,
}

pub struct Limits {
    config: LimitsConfig,
    read: Option<Shares>,
    submit: Option<Shares>,
    upload: Option<Shares>,
    login: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Argon2 needs ~19 MiB and a core per hash: at most one per core at once.
    hashing: tokio::sync::Semaphore,
    biting: Mutex<HashMap<(String, &'static str), Refusals>>,
}

/// How many requests a limit refused, and when it last did (ms).
type Refusals = (u64, i64);

impl Limits {
    pub fn new(config: LimitsConfig) -> Limits {
        let anon_on = config.anon_per_minute > 0;
        let shares = |quota: fn(u32) -> Option<Quota>, n: u32| {
            if anon_on {
                Shares::new(quota(n), quota(n.saturating_mul(CROWD)))
            } else {
                None
            }
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let login_quota = NonZeroU32::new(config.login_per_minute).map(|n| Quota::per_minute(n).allow_burst(n));
        Limits {
            config,
            read: shares(per_minute, config.anon_per_minute),
            submit: shares(per_minute, config.submit_per_minute),
            upload: shares(per_hour, config.upload_per_hour),
            login: limiter(login_quota),
            hashing: tokio::sync::Semaphore::new(cores.max(1)),
            biting: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> LimitsConfig {
        self.config
    }

    /// Refuses the request when this caller has used its share of `class`
    /// (or the crowd at its address has used theirs).
    pub fn check(&self, class: Class, caller: Caller<'_>, org_key: &str) -> Result<(), AppError> {
        let org_key: String = org_key.chars().take(64).collect();
        let net = network(caller.ip);
        let (refused, who) = match class {
            Class::Login => (self.login.as_ref().and_then(|l| l.check_key(&net).err()), "address"),
            _ => {
                let shares = match class {
                    Class::Read => &self.read,
                    Class::Submit => &self.submit,
                    _ => &self.upload,
                };
                let Some(shares) = shares else { return Ok(()) };
                let client =
                    caller.client.map(|id| shares.client.check_key(&Key { net, org_key: org_key.clone(), client: id.to_string() }));
                match client {
                    Some(Err(not_until)) => (Some(not_until), "client"),
                    _ => (shares.crowd.check_key(&Key { net, org_key: org_key.clone(), client: String::new() }).err(), "crowd"),
                }
            }
        };
        match refused {
            None => Ok(()),
            Some(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
                self.note_biting(&org_key, class.as_str());
                tracing::warn!(class = class.as_str(), org_key = %org_key, who, "rate limit refused a request");
                Err(AppError::RateLimited { retry_after_s: wait.as_secs().clamp(1, 3600) as u32 + 1 })
            }
        }
    }

    fn note_biting(&self, org_key: &str, class: &'static str) {
        if let Ok(mut m) = self.biting.lock() {
            // Bounded: a flood of invented keys must not grow it without end.
            if m.len() > 1000 {
                m.clear();
            }
            let e = m.entry((org_key.to_string(), class)).or_insert((0, 0));
            e.0 += 1;
            e.1 = super::db::now_ms();
        }
    }

    /// Limits that refused someone in the last 24 hours (this instance).
    pub fn biting(&self) -> Vec<Biting> {
        let since = super::db::now_ms() - 24 * 3600 * 1000;
        let mut out: Vec<Biting> = self
            .biting
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|(_, (_, last))| *last >= since)
                    .map(|((org_key, class), (refused, last))| Biting {
                        org_key: org_key.clone(),
                        class,
                        refused: *refused,
                        last_ms: *last,
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by_key(|b| std::cmp::Reverse(b.last_ms));
        out
    }

    /// The organisation's cap on cases in 24 hours (its own, else the
    /// server's). On PostgreSQL, near the cap the organisation's row is
    /// locked and the count taken again, so parallel reports cannot pass it.
    pub async fn check_daily_cases(&self, conn: &mut AnyConnection, org_id: i64, org_key: &str) -> Result<(), AppError> {
        let own: Option<Option<i64>> =
            sqlx::query_scalar("SELECT daily_case_cap FROM organisations WHERE id = $1").bind(org_id).fetch_optional(&mut *conn).await?;
        let cap = own.flatten().unwrap_or(i64::from(self.config.daily_case_cap));
        if cap <= 0 {
            return Ok(());
        }
        let since = super::db::now_ms() - 24 * 3600 * 1000;
        let mut n = cases_since(conn, org_id, since).await?;
        if n * 10 >= cap * 9 && !is_sqlite(conn) {
            sqlx::query("SELECT id FROM organisations WHERE id = $1 FOR UPDATE").bind(org_id).execute(&mut *conn).await?;
            n = cases_since(conn, org_id, since).await?;
        }
        if n >= cap {
            self.note_biting(org_key, "daily_cases");
            tracing::warn!(org = org_id, cap, "daily case cap reached; report refused");
            return Err(AppError::RateLimited { retry_after_s: 3600 });
        }
        Ok(())
    }

    /// Waits for a turn to hash a password.
    pub async fn hashing_turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.hashing.acquire().await.map_err(AppError::internal)
    }

    /// Forgets clients idle long enough to be back at full allowance.
    pub fn forget_idle(&self) {
        for s in [&self.read, &self.submit, &self.upload].into_iter().flatten() {
            for l in [&s.client, &s.crowd] {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
        if let Some(l) = &self.login {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

async fn cases_since(conn: &mut AnyConnection, org_id: i64, since: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE org_id = $1 AND created_at >= $2").bind(org_id).bind(since).fetch_one(conn).await
}

fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// The client's address: the connection's peer, or with
/// `trust_forwarded_for` the last `X-Forwarded-For` entry.
pub fn client_ip(headers: &http::HeaderMap, extensions: &http::Extensions, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for {
        if let Some(ip) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|s| s.trim().parse().ok())
        {
            return ip;
        }
    }
    extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Hands freed memory back to the system: glibc keeps what a password hash
/// (~19 MiB) or a photo upload (5 MB, copied a few times) used, so without
/// this a flood leaves the process large for good.
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the OS.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Every minute, forget idle clients (bounded memory under a flood).
pub fn spawn_cleanup(limits: std::sync::Arc<Limits>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limits.forget_idle();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widget(ip: &str, id: &'static str) -> Caller<'static> {
        Caller { ip: ip.parse().unwrap(), client: Some(id) }
    }

    #[test]
    fn a_client_over_its_share_is_told_when_to_return() {
        let l = Limits::new(LimitsConfig { submit_per_minute: 4, ..LimitsConfig::default() });
        let me = widget("10.0.0.1", "");
        let results: Vec<_> = (0..6).map(|_| l.check(Class::Submit, me, "demo")).collect();
        assert!(results[0].is_ok());
        assert!(matches!(results.last(), Some(Err(AppError::RateLimited { retry_after_s })) if *retry_after_s >= 1));
        // Another organisation behind the same address has its own share.
        assert!(l.check(Class::Submit, me, "other").is_ok());
        assert_eq!(l.biting()[0].org_key, "demo");
    }

    #[test]
    fn widgets_behind_one_address_each_have_their_share_and_the_crowd_is_bounded() {
        let l = Limits::new(LimitsConfig { submit_per_minute: 4, ..LimitsConfig::default() });
        // One widget uses its burst (2) and is refused...
        let a = widget("10.0.0.3", "aaaaaaaaaaaaaaaa");
        assert!((0..2).all(|_| l.check(Class::Submit, a, "demo").is_ok()));
        assert!(l.check(Class::Submit, a, "demo").is_err());
        // ...while a colleague's widget behind the same egress is not.
        assert!(l.check(Class::Submit, widget("10.0.0.3", "bbbbbbbbbbbbbbbb"), "demo").is_ok());
        // A script inventing a new id per call meets the crowd's share:
        // burst of 4 × CROWD / 2, minus the three calls above.
        let ids: Vec<&'static str> = (0..200).map(|i| &*Box::leak(format!("{i:016}").into_boxed_str())).collect();
        let passed = ids.iter().filter(|id| l.check(Class::Submit, widget("10.0.0.3", id), "demo").is_ok()).count();
        assert_eq!(passed, (4 * CROWD / 2) as usize - 3);
    }

    #[test]
    fn page_loads_count_only_against_the_crowd() {
        let l = Limits::new(LimitsConfig { anon_per_minute: 4, ..LimitsConfig::default() });
        let ip = "10.0.0.4".parse().unwrap();
        let passed = (0..100).filter(|_| l.check(Class::Read, Caller::page(ip), "demo").is_ok()).count();
        assert_eq!(passed, (4 * CROWD / 2) as usize);
    }

    #[test]
    fn only_widget_made_ids_are_kept() {
        let ip = "10.0.0.5".parse().unwrap();
        let mut h = http::HeaderMap::new();
        h.insert(CLIENT_HEADER, "0123456789abcdef0123456789abcdef".parse().unwrap());
        assert_eq!(Caller::from_headers(ip, &h).client, Some("0123456789abcdef0123456789abcdef"));
        h.insert(CLIENT_HEADER, "short".parse().unwrap());
        assert_eq!(Caller::from_headers(ip, &h).client, Some(""));
        h.insert(CLIENT_HEADER, "0123456789abcdef 0123".parse().unwrap());
        assert_eq!(Caller::from_headers(ip, &h).client, Some(""));
        assert_eq!(Caller::from_headers(ip, &http::HeaderMap::new()).client, Some(""));
    }

    #[test]
    fn zero_turns_anonymous_limits_off() {
        let l = Limits::new(LimitsConfig { anon_per_minute: 0, submit_per_minute: 1, ..LimitsConfig::default() });
        assert!((0..100).all(|_| l.check(Class::Submit, widget("10.0.0.2", ""), "demo").is_ok()));
    }

    #[test]
    fn ipv6_hosts_share_their_network_allowance() {
        assert_eq!(network("2001:db8:1:2:aaaa::1".parse().unwrap()), network("2001:db8:1:2:bbbb::9".parse().unwrap()));
    }
}
