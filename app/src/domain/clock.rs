//! Service-level clocks, derived from a case's event log, never stored.
//!
//! A clock starts when the case escalates and stops at its own event
//! (response: acknowledged; dispatch: dispatched; arrival: technician
//! checked in; resolution: resolved). Pauses, each with a reason, stop every
//! running clock. Targets come from the policy and the case's current
//! severity and site zone, so a severity change recomputes them from history.

use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::guide::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    Response,
    Dispatch,
    Arrival,
    Resolution,
}

impl ClockKind {
    pub const ALL: [ClockKind; 4] = [ClockKind::Response, ClockKind::Dispatch, ClockKind::Arrival, ClockKind::Resolution];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    WaitingForCustomer,
    CustomerPostponed,
    AwaitingQuoteApproval,
}

/// Distance zone of a site (brief: ring road 1 / 2 / 3, nearby city, far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    Ring1,
    Ring2,
    Ring3,
    NearbyCity,
    Far,
}

/// What a clock counts: 24/7 time or the service company's working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Always,
    Working,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub minutes: i64,
    pub basis: Basis,
}

const fn hours(h: i64) -> Target {
    Target { minutes: h * 60, basis: Basis::Always }
}

/// Per-contract time commitments; `Policy::default()` is the brief's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub response: Target,
    pub dispatch: Target,
    pub arrival_ring1: Target,
    pub arrival_ring2: Target,
    pub arrival_ring3: Target,
    pub arrival_nearby_city: Target,
    pub arrival_far: Target,
    pub arrival_emergency: Target,
    pub resolution_emergency: Target,
    pub resolution_major: Target,
    pub resolution_general: Target,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            response: hours(1),
            dispatch: hours(2),
            arrival_ring1: hours(2),
            arrival_ring2: hours(3),
            arrival_ring3: hours(4),
            arrival_nearby_city: hours(6),
            arrival_far: hours(48),
            arrival_emergency: hours(2),
            resolution_emergency: hours(24),
            resolution_major: hours(7 * 24),
            resolution_general: hours(48),
        }
    }
}

impl Policy {
    pub fn target(&self, kind: ClockKind, severity: Severity, zone: Zone) -> Target {
        match kind {
            ClockKind::Response => self.response,
            ClockKind::Dispatch => self.dispatch,
            ClockKind::Arrival => {
                let by_zone = match zone {
                    Zone::Ring1 => self.arrival_ring1,
                    Zone::Ring2 => self.arrival_ring2,
                    Zone::Ring3 => self.arrival_ring3,
                    Zone::NearbyCity => self.arrival_nearby_city,
                    Zone::Far => self.arrival_far,
                };
                // An emergency never waits longer than its own target.
                if severity == Severity::Emergency && self.arrival_emergency.minutes < by_zone.minutes {
                    self.arrival_emergency
                } else {
                    by_zone
                }
            }
            ClockKind::Resolution => match severity {
                Severity::Emergency => self.resolution_emergency,
                Severity::Major => self.resolution_major,
                Severity::General => self.resolution_general,
            },
        }
    }
}

/// The events that move clocks; `at` is a UTC minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ClockEvent {
    Escalated { at: i64, severity: Severity },
    Acknowledged { at: i64 },
    Dispatched { at: i64 },
    CheckedIn { at: i64 },
    Resolved { at: i64 },
    Paused { at: i64, reason: PauseReason },
    Resumed { at: i64 },
    SeverityChanged { at: i64, severity: Severity },
}

impl ClockEvent {
    pub fn at(&self) -> i64 {
        match *self {
            ClockEvent::Escalated { at, .. }
            | ClockEvent::Acknowledged { at }
            | ClockEvent::Dispatched { at }
            | ClockEvent::CheckedIn { at }
            | ClockEvent::Resolved { at }
            | ClockEvent::Paused { at, .. }
            | ClockEvent::Resumed { at }
            | ClockEvent::SeverityChanged { at, .. } => at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    pub kind: ClockKind,
    pub target: Target,
    pub started_at: i64,
    /// Counted minutes so far (working or 24/7 per the target), pauses excluded.
    pub used: i64,
    /// When the target runs out; `None` while paused or once stopped.
    pub deadline: Option<i64>,
    pub stopped_at: Option<i64>,
    pub paused: Option<PauseReason>,
    pub breached: bool,
}

impl ClockState {
    pub fn remaining(&self) -> i64 {
        self.target.minutes - self.used
    }
}

/// Every clock of a case at `now`. Events may come in any order; they are
/// sorted by time (stable, so same-minute events keep their log order).
/// No clocks before the case escalates.
pub fn clocks(events: &[ClockEvent], policy: &Policy, zone: Zone, always: &Calendar, working: &Calendar, now: i64) -> Vec<ClockState> {
    // The state as of `now`: later events (clock skew, tests) do not count yet.
    let mut events: Vec<ClockEvent> = events.iter().copied().filter(|e| e.at() <= now).collect();
    events.sort_by_key(ClockEvent::at);
    let Some((start, mut severity)) = events.iter().find_map(|e| match *e {
        ClockEvent::Escalated { at, severity } => Some((at, severity)),
        _ => None,
    }) else {
        return Vec::new();
    };

    // Active (unpaused) periods from the start; the last may be open.
    let mut active: Vec<(i64, Option<i64>)> = vec![(start, None)];
    let mut paused = None;
    for e in events.iter().filter(|e| e.at() >= start) {
        match *e {
            ClockEvent::Paused { at, reason } if paused.is_none() => {
                if let Some(last) = active.last_mut() {
                    last.1 = Some(at);
                }
                paused = Some(reason);
            }
            ClockEvent::Resumed { at } if paused.is_some() => {
                active.push((at, None));
                paused = None;
            }
            ClockEvent::SeverityChanged { severity: s, .. } => severity = s,
            _ => {}
        }
    }

    ClockKind::ALL
        .into_iter()
        .map(|kind| {
            let stopped_at = events.iter().find_map(|e| match (kind, *e) {
                (ClockKind::Response, ClockEvent::Acknowledged { at })
                | (ClockKind::Dispatch, ClockEvent::Dispatched { at })
                | (ClockKind::Arrival, ClockEvent::CheckedIn { at })
                | (ClockKind::Resolution, ClockEvent::Resolved { at }) => Some(at.max(start)),
                _ => None,
            });
            let target = policy.target(kind, severity, zone);
            let calendar = match target.basis {
                Basis::Always => always,
                Basis::Working => working,
            };
            let until = stopped_at.unwrap_or(now);
            let used = active
                .iter()
                .map(|&(a, b)| calendar.working_between(a, b.unwrap_or(until).min(until)))
                .sum::<i64>();
            // Where the target runs out, following the active periods.
            let mut deadline = None;
            let mut left = target.minutes;
            for &(a, b) in &active {
                let span = b.map_or(i64::MAX, |b| calendar.working_between(a, b));
                if span >= left {
                    deadline = calendar.add_working(a, left);
                    break;
                }
                left -= span;
            }
            let is_paused = stopped_at.is_none() && paused.is_some();
            let breached = match stopped_at {
                Some(_) => used > target.minutes,
                None => used >= target.minutes && deadline.is_some_and(|d| d <= now),
            };
            ClockState {
                kind,
                target,
                started_at: start,
                used,
                deadline: if stopped_at.is_some() || is_paused { None } else { deadline },
                stopped_at,
                paused: if is_paused { paused } else { None },
                breached,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{Date, Offsets, MINUTES_PER_DAY};
    use proptest::prelude::*;

    fn cst(y: i32, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
        Date::new(y, mo, d).unwrap().to_days() * MINUTES_PER_DAY + h * 60 + mi - 8 * 60
    }

    fn cals() -> (Calendar, Calendar) {
        (Calendar::always_open("Asia/Shanghai", Offsets::Fixed { minutes: 480 }), Calendar::china_office())
    }

    fn clock(all: &[ClockState], kind: ClockKind) -> &ClockState {
        all.iter().find(|c| c.kind == kind).unwrap()
    }

    #[test]
    fn the_briefs_numbers() {
        let p = Policy::default();
        let t = |k, s, z| p.target(k, s, z).minutes / 60;
        assert_eq!(t(ClockKind::Response, Severity::General, Zone::Ring1), 1);
        assert_eq!(t(ClockKind::Dispatch, Severity::General, Zone::Ring1), 2);
        assert_eq!(t(ClockKind::Arrival, Severity::General, Zone::Ring1), 2);
        assert_eq!(t(ClockKind::Arrival, Severity::General, Zone::Ring2), 3);
        assert_eq!(t(ClockKind::Arrival, Severity::General, Zone::Ring3), 4);
        assert_eq!(t(ClockKind::Arrival, Severity::Major, Zone::NearbyCity), 6);
        assert_eq!(t(ClockKind::Arrival, Severity::Emergency, Zone::NearbyCity), 2);
        assert_eq!(t(ClockKind::Resolution, Severity::General, Zone::Ring1), 48);
        assert_eq!(t(ClockKind::Resolution, Severity::Major, Zone::Ring1), 168);
        assert_eq!(t(ClockKind::Resolution, Severity::Emergency, Zone::Ring1), 24);
    }

    #[test]
    fn clocks_run_stop_and_breach() {
        let (always, working) = cals();
        let start = cst(2026, 11, 23, 10, 0);
        let events = [
            ClockEvent::Escalated { at: start, severity: Severity::General },
            ClockEvent::Acknowledged { at: start + 40 },
        ];
        let now = start + 150;
        let all = clocks(&events, &Policy::default(), Zone::Ring2, &always, &working, now);
        let response = clock(&all, ClockKind::Response);
        assert_eq!((response.stopped_at, response.used, response.breached), (Some(start + 40), 40, false));
        let dispatch = clock(&all, ClockKind::Dispatch);
        assert_eq!(dispatch.deadline, Some(start + 120));
        assert!(dispatch.breached, "not dispatched within 2 h");
        let arrival = clock(&all, ClockKind::Arrival);
        assert_eq!((arrival.deadline, arrival.breached, arrival.remaining()), (Some(start + 180), false, 30));
    }

    #[test]
    fn pauses_move_deadlines_and_show_their_reason() {
        let (always, working) = cals();
        let start = cst(2026, 11, 23, 10, 0);
        let mut events = vec![
            ClockEvent::Escalated { at: start, severity: Severity::General },
            ClockEvent::Paused { at: start + 30, reason: PauseReason::WaitingForCustomer },
        ];
        let p = Policy::default();
        let paused = clocks(&events, &p, Zone::Ring1, &always, &working, start + 500);
        let response = clock(&paused, ClockKind::Response);
        assert_eq!((response.paused, response.deadline, response.used, response.breached), (Some(PauseReason::WaitingForCustomer), None, 30, false));
        events.push(ClockEvent::Resumed { at: start + 90 });
        let resumed = clocks(&events, &p, Zone::Ring1, &always, &working, start + 100);
        let response = clock(&resumed, ClockKind::Response);
        assert_eq!((response.paused, response.deadline, response.used), (None, Some(start + 120), 40));
    }

    #[test]
    fn severity_change_recomputes_from_history() {
        let (always, working) = cals();
        let start = cst(2026, 11, 23, 10, 0);
        let mut events = vec![ClockEvent::Escalated { at: start, severity: Severity::General }];
        let p = Policy::default();
        let before = clocks(&events, &p, Zone::Ring3, &always, &working, start + 60);
        assert_eq!(clock(&before, ClockKind::Arrival).deadline, Some(start + 4 * 60));
        events.push(ClockEvent::SeverityChanged { at: start + 60, severity: Severity::Emergency });
        let after = clocks(&events, &p, Zone::Ring3, &always, &working, start + 60);
        assert_eq!(clock(&after, ClockKind::Arrival).deadline, Some(start + 2 * 60));
        assert_eq!(clock(&after, ClockKind::Resolution).deadline, Some(start + 24 * 60));
    }

    #[test]
    fn working_time_targets_skip_nights_and_weekends() {
        let (always, working) = cals();
        let mut p = Policy::default();
        p.dispatch = Target { minutes: 120, basis: Basis::Working };
        // Friday 16:30: 1 h on Friday, 1 h on Monday.
        let start = cst(2026, 11, 27, 16, 30);
        let events = [ClockEvent::Escalated { at: start, severity: Severity::General }];
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start);
        assert_eq!(clock(&all, ClockKind::Dispatch).deadline, Some(cst(2026, 11, 30, 9, 30)));
    }

    #[test]
    fn nothing_before_escalation() {
        let (always, working) = cals();
        assert!(clocks(&[ClockEvent::Acknowledged { at: 5 }], &Policy::default(), Zone::Ring1, &always, &working, 10).is_empty());
    }

    fn arb_events() -> impl Strategy<Value = Vec<ClockEvent>> {
        let start = cst(2026, 11, 23, 9, 0);
        proptest::collection::vec((0i64..5000, 0u8..6), 0..12).prop_map(move |raw| {
            let mut events = vec![ClockEvent::Escalated { at: start, severity: Severity::Major }];
            for (offset, kind) in raw {
                let at = start + offset;
                events.push(match kind {
                    0 => ClockEvent::Paused { at, reason: PauseReason::CustomerPostponed },
                    1 => ClockEvent::Resumed { at },
                    2 => ClockEvent::Acknowledged { at },
                    3 => ClockEvent::CheckedIn { at },
                    4 => ClockEvent::SeverityChanged { at, severity: Severity::General },
                    _ => ClockEvent::Dispatched { at },
                });
            }
            events
        })
    }

    proptest! {
        /// Time only adds up: a later look never shows less used time, and a
        /// running, unpaused clock is breached exactly when its deadline passed.
        #[test]
        fn used_time_grows_and_breach_matches_deadline(events in arb_events(), t1 in 0i64..6000, dt in 0i64..3000) {
            let (always, working) = cals();
            let p = Policy::default();
            let start = cst(2026, 11, 23, 9, 0);
            let a = clocks(&events, &p, Zone::Ring2, &always, &working, start + t1);
            let b = clocks(&events, &p, Zone::Ring2, &always, &working, start + t1 + dt);
            for (x, y) in a.iter().zip(&b) {
                prop_assert!(x.used <= y.used);
                prop_assert!(x.used >= 0 && x.used <= t1);
                if let Some(d) = x.deadline {
                    prop_assert_eq!(x.breached, d <= start + t1);
                }
            }
        }
    }
}
