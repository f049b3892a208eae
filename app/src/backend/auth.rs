//! Staff passwords (argon2) and sessions (random 256-bit tokens in an
//! HttpOnly, SameSite=Strict cookie; only their SHA-256 is stored).

use super::digest::token_digest;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sqlx::AnyPool;

use super::db::now_ms;
use crate::errors::AppError;
use crate::models::{Role, StaffUser};

pub const SESSION_COOKIE: &str = "fixline_session";
const SESSION_HOURS: i64 = 12;
/// Wrong passwords for one (client address, username) allowed before each
/// further attempt must wait: 2 s, doubling, at most 15 minutes. Nobody can
/// lock an account for its owner, who signs in from another address.
const FREE_FAILURES: i64 = 3;
const MAX_DELAY_MS: i64 = 15 * 60 * 1000;

fn delay_after(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else {
        (2_000i64 << (failures - FREE_FAILURES).min(20)).min(MAX_DELAY_MS)
    }
}

use super::limits::release_memory;

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string());
        release_memory();
        hash
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let ok = PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        release_memory();
        ok
    })
    .await
    .unwrap_or(false)
}

/// 256 random bits, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    session_cookie_with(token.to_string(), cookie::time::Duration::hours(SESSION_HOURS), secure)
}

pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie_with(String::new(), cookie::time::Duration::ZERO, secure)
}

fn session_cookie_with(value: String, max_age: cookie::time::Duration, secure: bool) -> String {
    cookie::Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(max_age)
        .secure(secure)
        .build()
        .to_string()
}

/// The value of the named cookie in the request's `Cookie` headers.
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

fn staff_from_row(row: (i64, String, String, String)) -> Result<StaffUser, AppError> {
    let role = Role::parse(&row.3).ok_or_else(|| AppError::internal(format!("bad role '{}'", row.3)))?;
    Ok(StaffUser { id: row.0, username: row.1, display_name: row.2, role })
}

/// The staff member whose session cookie came with the request, if any.
pub async fn session_user(pool: &AnyPool, headers: &http::HeaderMap) -> Result<Option<StaffUser>, AppError> {
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else { return Ok(None) };
    if token.len() != 64 {
        return Ok(None);
    }
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role FROM staff_sessions s \
         JOIN staff_users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(token_digest(&token))
    .bind(now_ms())
    .fetch_optional(pool)
    .await?;
    row.map(staff_from_row).transpose()
}

/// A signed-in staff member, for axum handlers (server functions use
/// `require_staff`): 401 without a session.
pub struct SignedIn(pub StaffUser);

impl axum::extract::FromRequestParts<super::state::AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &super::state::AppState) -> Result<Self, AppError> {
        session_user(&state.pool, &parts.headers).await?.map(SignedIn).ok_or(AppError::Unauthenticated)
    }
}

impl SignedIn {
    /// The staff member, if their role is one of `roles` (any when empty); else 403.
    pub fn require(self, roles: &[Role]) -> Result<StaffUser, AppError> {
        if roles.is_empty() || roles.contains(&self.0.role) {
            Ok(self.0)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The signed-in staff member, refused unless their role is in `roles`
/// (an empty list admits every role).
pub async fn require_staff(roles: &[Role]) -> Result<StaffUser, AppError> {
    let pool = super::state::pool()?;
    let user = session_user(&pool, &super::state::request_headers()).await?.ok_or(AppError::Unauthenticated)?;
    if roles.is_empty() || roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

// A real argon2 hash of a random string: unknown usernames are verified
// against it so a login takes as long whether or not the user exists.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1c5T0YyBq0zZJ0s3UuS2jq1Tt4XyM8m0m8Uu3J8oE7s";

/// Where a (client address, username) pair stands: hashed, so the table
/// holds no addresses or names.
fn throttle_key(ip: std::net::IpAddr, username: &str) -> String {
    token_digest(&format!("{ip}|{}", username.to_lowercase()))
}

/// Checks the credentials and opens a session; returns the session token.
/// Unknown and known usernames are answered alike, in time and in kind.
pub async fn login(
    pool: &AnyPool,
    limits: &super::limits::Limits,
    ip: std::net::IpAddr,
    username: &str,
    password: &str,
) -> Result<(StaffUser, String), AppError> {
    limits.check(super::limits::Class::Login, super::limits::Caller::page(ip), "")?;
    let now = now_ms();
    let key = throttle_key(ip, username);
    let throttle: Option<(i64, i64)> =
        sqlx::query_as("SELECT failures, blocked_until FROM login_throttle WHERE key = $1").bind(&key).fetch_optional(pool).await?;
    let (failures, blocked_until) = throttle.unwrap_or((0, 0));
    if blocked_until > now {
        return Err(AppError::RateLimited { retry_after_s: ((blocked_until - now) / 1000 + 1) as u32 });
    }
    let row: Option<(i64, String, String, String, String)> =
        sqlx::query_as("SELECT id, username, display_name, role, password_hash FROM staff_users WHERE username = $1 AND active = 1")
            .bind(username)
            .fetch_optional(pool)
            .await?;
    let verified = {
        let _turn = limits.hashing_turn().await?;
        match &row {
            Some((.., hash)) => verify_password(password.to_string(), hash.clone()).await,
            None => {
                verify_password(password.to_string(), DUMMY_HASH.to_string()).await;
                false
            }
        }
    };
    let Some((id, username, display_name, role, _)) = row.filter(|_| verified) else {
        let failures = failures + 1;
        let blocked_until = now + delay_after(failures);
        super::db::execute_write(
            pool,
            sqlx::query(
                "INSERT INTO login_throttle (key, failures, blocked_until, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = $2, blocked_until = $3, updated_at = $4",
            )
            .bind(&key)
            .bind(failures)
            .bind(blocked_until)
            .bind(now),
        )
        .await?;
        tracing::info!(failures, "sign-in refused");
        return Err(AppError::WrongCredentials);
    };
    let user = staff_from_row((id, username, display_name, role))?;
    let token = new_token();
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query("DELETE FROM login_throttle WHERE key = $1 OR updated_at < $2")
        .bind(&key)
        .bind(now - 24 * 3600 * 1000)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM staff_sessions WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO staff_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_digest(&token))
        .bind(id)
        .bind(now)
        .bind(now + SESSION_HOURS * 3600 * 1000)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((user, token))
}

pub async fn logout(pool: &AnyPool, headers: &http::HeaderMap) -> Result<(), AppError> {
    if let Some(token) = cookie_value(headers, SESSION_COOKIE) {
        super::db::execute_write(pool, sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1").bind(token_digest(&token))).await?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CreateStaffError {
    #[error("username must be 3–32 letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("password must be at least 10 characters")]
    WeakPassword,
    #[error("a staff user named '{0}' already exists")]
    Exists(String),
    #[error("{0}")]
    Other(String),
}

pub async fn create_staff(pool: &AnyPool, username: &str, display_name: &str, role: Role, password: &str) -> Result<i64, CreateStaffError> {
    let valid_name =
        (3..=32).contains(&username.len()) && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid_name {
        return Err(CreateStaffError::BadUsername);
    }
    if password.chars().count() < 10 {
        return Err(CreateStaffError::WeakPassword);
    }
    let hash = hash_password(password.to_string()).await.map_err(|e| CreateStaffError::Other(e.to_string()))?;
    let display_name = if display_name.trim().is_empty() { username } else { display_name.trim() };
    sqlx::query_scalar(
        "INSERT INTO staff_users (username, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(role.as_str())
    .bind(hash)
    .bind(now_ms())
    .fetch_one(pool)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => CreateStaffError::Exists(username.to_string()),
        other => CreateStaffError::Other(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_digest(&a).len(), 64);
        assert_ne!(token_digest(&a), a);
    }

    #[test]
    fn cookie_parsing() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, "a=1; fixline_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie_value(&h, "c"), None);
        let plain = session_cookie("t", false);
        assert!(plain.starts_with("fixline_session=t;"), "{plain}");
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(plain.contains(part), "{plain} lacks {part}");
        }
        assert!(!plain.contains("Secure"));
        assert!(session_cookie("t", true).contains("; Secure"));
        assert!(clear_session_cookie(false).contains("Max-Age=0"));
    }

    #[test]
    fn delays_grow_and_stay_bounded() {
        assert_eq!(delay_after(1), 0);
        assert_eq!(delay_after(3), 2_000);
        assert_eq!(delay_after(4), 4_000);
        assert_eq!(delay_after(60), MAX_DELAY_MS);
    }

    #[tokio::test]
    async fn dummy_hash_parses_and_passwords_verify() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(verify_password("correct horse".into(), hash.clone()).await);
        assert!(!verify_password("wrong".into(), hash).await);
    }
}
