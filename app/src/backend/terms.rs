//! An organisation's service terms as stored: its policy, the company
//! calendar, and the timezone rules the calendars need (from chrono-tz, so
//! the browser needs no tz database).

use crate::domain::calendar::{Calendar, Offsets};
use crate::domain::clock::Policy;
use crate::errors::AppError;

pub use crate::domain::terms::Terms;

/// UTC-offset rules for an IANA zone, covering two years back and five
/// ahead (enough for any open case), so the browser needs no tz database.
pub fn offsets_for(timezone: &str) -> Offsets {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Computing takes a few milliseconds; every queue row needs it.
    static CACHE: OnceLock<Mutex<HashMap<String, Offsets>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(o) = cache.lock().ok().and_then(|c| c.get(timezone).cloned()) {
        return o;
    }
    let o = compute_offsets(timezone);
    if let Ok(mut c) = cache.lock() {
        c.insert(timezone.to_string(), o.clone());
    }
    o
}

fn compute_offsets(timezone: &str) -> Offsets {
    use chrono::{Offset, TimeZone};
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let now = chrono::Utc::now().timestamp() / 60;
    let offset_at = |minute: i64| {
        tz.offset_from_utc_datetime(&chrono::DateTime::from_timestamp(minute * 60, 0).unwrap_or_default().naive_utc())
            .fix()
            .local_minus_utc()
            / 60
    };
    let (from, to) = (now - 2 * 366 * 1440, now + 5 * 366 * 1440);
    let first = offset_at(from);
    let mut transitions = vec![(i64::MIN / 2, first)];
    // Hourly samples, then a binary search for the exact transition minute.
    let mut t = from;
    let mut current = first;
    while t < to {
        let next = t + 60;
        let o = offset_at(next);
        if o != current {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if offset_at(mid) == current {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            transitions.push((hi, o));
            current = o;
        }
        t = next;
    }
    if transitions.len() == 1 {
        Offsets::Fixed { minutes: first }
    } else {
        Offsets::Transitions(transitions)
    }
}

/// The organisation's terms; a missing or unreadable policy or calendar
/// falls back to the brief's defaults (logged, never fatal for a case).
pub async fn terms<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(db: E, org_id: i64) -> Result<Terms, AppError> {
    let row: Option<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT o.timezone, o.policy, c.data FROM organisations o \
         LEFT JOIN service_calendars c ON c.id = o.calendar_id WHERE o.id = $1",
    )
    .bind(org_id)
    .fetch_optional(db)
    .await?;
    let (timezone, policy, calendar) = row.ok_or(AppError::NotFound)?;
    Ok(terms_from(&timezone, &policy, calendar.as_deref()))
}

pub fn terms_from(timezone: &str, policy: &str, calendar: Option<&str>) -> Terms {
    let policy = if policy.is_empty() {
        Policy::default()
    } else {
        serde_json::from_str(policy).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "unreadable policy: using the defaults");
            Policy::default()
        })
    };
    let offsets = offsets_for(timezone);
    let mut working = calendar
        .and_then(|c| serde_json::from_str::<Calendar>(c).map_err(|e| tracing::warn!(error = %e, "unreadable calendar")).ok())
        .unwrap_or_else(Calendar::china_office);
    working.timezone = timezone.into();
    working.offsets = offsets.clone();
    Terms { policy, working, always: Calendar::always_open(timezone, offsets), timezone: timezone.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_is_fixed_and_new_york_has_dst() {
        assert_eq!(offsets_for("Asia/Shanghai"), Offsets::Fixed { minutes: 480 });
        let Offsets::Transitions(t) = offsets_for("America/New_York") else { panic!("expected DST transitions") };
        assert!(t.len() > 8);
        // Transitions land at 2:00 local (07:00 UTC in winter, 06:00 UTC in summer): whole hours.
        assert!(t[1..].iter().all(|(m, _)| m % 60 == 0));
        assert!(t.iter().all(|(_, o)| *o == -300 || *o == -240));
    }
}
