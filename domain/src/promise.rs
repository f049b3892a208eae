//! The service promise a customer sees before escalating: when someone
//! calls back, when a technician is on site, when it is fixed, and who
//! pays. Computed with the same clocks the server runs, so the widget
//! (WASM) and the case page agree to the minute.

use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, Date};
use super::clock::{self, ClockEvent, ClockKind, Policy, Zone};
use super::guide::Severity;
use super::warranty::Warranty;

/// What an organisation's contract and the asset's site promise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTerms {
    pub policy: Policy,
    pub working: Calendar,
    pub always: Calendar,
    pub zone: Zone,
    pub warranty: Option<Warranty>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum WarrantyStatus {
    /// Free repair; covered up to and including `until`.
    Covered {
        until: Date,
    },
    /// Paid: the customer approves a quote before the visit.
    Expired {
        ended: Date,
    },
    Unknown,
}

/// Deadlines as UTC minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    pub response_by: Option<i64>,
    pub arrival_by: Option<i64>,
    pub resolution_by: Option<i64>,
    pub warranty: WarrantyStatus,
}

/// The promise for a case escalated at `now` (UTC minute) with `severity`.
pub fn promise(terms: &ServiceTerms, severity: Severity, now: i64) -> Promise {
    let events = [ClockEvent::Escalated { at: now, severity }];
    let clocks = clock::clocks(&events, &terms.policy, terms.zone, &terms.always, &terms.working, now);
    let by = |kind: ClockKind| clocks.iter().find(|c| c.kind == kind).and_then(|c| c.deadline);
    let warranty = warranty_status(terms.warranty.as_ref(), terms.working.local_date(now));
    Promise { response_by: by(ClockKind::Response), arrival_by: by(ClockKind::Arrival), resolution_by: by(ClockKind::Resolution), warranty }
}

/// The equipment's warranty on `today` (local date), as the customer is told it.
pub fn warranty_status(warranty: Option<&Warranty>, today: Date) -> WarrantyStatus {
    match warranty {
        Some(w) if w.covers(today, None, 0) => WarrantyStatus::Covered { until: w.end(None, 0) },
        Some(w) if today > w.start => WarrantyStatus::Expired { ended: w.end(None, 0) },
        _ => WarrantyStatus::Unknown,
    }
}

/// When a deadline falls, in the calendar's local time, relative to `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    Today,
    Tomorrow,
    On(Date),
}

/// `(day, "HH:MM")` of a UTC minute in the calendar's timezone.
pub fn local_time(calendar: &Calendar, utc: i64, now: i64) -> (Day, String) {
    let local = calendar.local_minute(utc);
    let date = calendar.local_date(utc);
    let today = calendar.local_date(now);
    let day = match date.to_days() - today.to_days() {
        0 => Day::Today,
        1 => Day::Tomorrow,
        _ => Day::On(date),
    };
    let minute = local.rem_euclid(1440);
    (day, format!("{:02}:{:02}", minute / 60, minute % 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Offsets;

    fn terms(zone: Zone, warranty: Option<Warranty>) -> ServiceTerms {
        ServiceTerms {
            policy: Policy::default(),
            working: Calendar::china_office(),
            always: Calendar::always_open("Asia/Shanghai", Offsets::Fixed { minutes: 480 }),
            zone,
            warranty,
        }
    }

    /// A UTC minute from Shanghai local time.
    fn cst(y: i32, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
        Date::new(y, mo, d).unwrap().to_days() * 1440 + h * 60 + mi - 480
    }

    #[test]
    fn the_briefs_promises_by_zone_and_severity() {
        let now = cst(2026, 11, 23, 13, 40); // a Monday
        let p = promise(&terms(Zone::Ring1, None), Severity::General, now);
        assert_eq!(p.response_by, Some(cst(2026, 11, 23, 14, 40)));
        assert_eq!(p.arrival_by, Some(cst(2026, 11, 23, 15, 40)));
        assert_eq!(p.resolution_by, Some(cst(2026, 11, 25, 13, 40)));
        let p = promise(&terms(Zone::NearbyCity, None), Severity::General, now);
        assert_eq!(p.arrival_by, Some(cst(2026, 11, 23, 19, 40)));
        // An emergency never waits longer than 2 h, whatever the distance.
        let p = promise(&terms(Zone::NearbyCity, None), Severity::Emergency, now);
        assert_eq!(p.arrival_by, Some(cst(2026, 11, 23, 15, 40)));
        assert_eq!(p.resolution_by, Some(cst(2026, 11, 24, 13, 40)));
    }

    #[test]
    fn local_times_say_today_tomorrow_or_the_date() {
        let cal = Calendar::china_office();
        let now = cst(2026, 11, 23, 22, 0);
        assert_eq!(local_time(&cal, cst(2026, 11, 23, 23, 30), now), (Day::Today, "23:30".into()));
        assert_eq!(local_time(&cal, cst(2026, 11, 24, 0, 5), now), (Day::Tomorrow, "00:05".into()));
        assert_eq!(local_time(&cal, cst(2026, 11, 26, 9, 0), now), (Day::On(Date::new(2026, 11, 26).unwrap()), "09:00".into()));
    }

    #[test]
    fn warranty_decides_who_pays() {
        let now = cst(2026, 11, 23, 10, 0);
        let w =
            |start: &str| Some(Warranty { start: Date::parse(start).unwrap(), months: 24, manufacturer_months: None, components: vec![] });
        assert_eq!(
            promise(&terms(Zone::Ring1, w("2025-03-15")), Severity::General, now).warranty,
            WarrantyStatus::Covered { until: Date::new(2027, 3, 14).unwrap() }
        );
        assert_eq!(
            promise(&terms(Zone::Ring1, w("2022-09-01")), Severity::General, now).warranty,
            WarrantyStatus::Expired { ended: Date::new(2024, 8, 31).unwrap() }
        );
        assert_eq!(promise(&terms(Zone::Ring1, None), Severity::General, now).warranty, WarrantyStatus::Unknown);
    }
}
