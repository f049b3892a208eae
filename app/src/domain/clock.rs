//! Service-level clocks, derived from a case's event log, never stored.
//!
//! A clock starts when the case escalates and stops at its own event
//! (response: acknowledged; dispatch: dispatched; arrival: technician
//! checked in; resolution: resolved). Pauses, each with a reason, stop every
//! running clock. Targets come from the policy and the case's current
//! severity and site zone, so a severity change recomputes them from history.
//!
//! Three clocks start later and only when their event happens: repair after
//! arrival (check-in → resolved, by the part class found), complaint answer
//! (complaint → answered) and the return visit (resolved → visit recorded).

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
    Repair,
    Complaint,
    ReturnVisit,
}

impl ClockKind {
    pub const ALL: [ClockKind; 7] = [
        ClockKind::Response,
        ClockKind::Dispatch,
        ClockKind::Arrival,
        ClockKind::Resolution,
        ClockKind::Repair,
        ClockKind::Complaint,
        ClockKind::ReturnVisit,
    ];

    /// Pauses stop the case's own work clocks, not the complaint answer or
    /// the return visit (those are the company's duty whatever the customer does).
    fn pausable(self) -> bool {
        !matches!(self, ClockKind::Complaint | ClockKind::ReturnVisit)
    }
}

/// What failed, as found on site: decides the repair-after-arrival target
/// (brief: host, controller or terminal 3 days; accessories 1 day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartClass {
    #[default]
    Host,
    Accessory,
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

fn repair_host() -> Target {
    hours(72)
}
fn repair_accessory() -> Target {
    hours(24)
}
/// Three working days of the default office calendar (7.5 h each).
fn complaint() -> Target {
    Target { minutes: 3 * 450, basis: Basis::Working }
}
fn return_visit() -> Target {
    hours(72)
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
    // Added later: policies saved before have the brief's values.
    #[serde(default = "repair_host")]
    pub repair_host: Target,
    #[serde(default = "repair_accessory")]
    pub repair_accessory: Target,
    #[serde(default = "complaint")]
    pub complaint: Target,
    #[serde(default = "return_visit")]
    pub return_visit: Target,
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
            repair_host: repair_host(),
            repair_accessory: repair_accessory(),
            complaint: complaint(),
            return_visit: return_visit(),
        }
    }
}

impl Policy {
    /// Every target, for validation.
    pub fn all(&self) -> [Target; 15] {
        [
            self.response,
            self.dispatch,
            self.arrival_ring1,
            self.arrival_ring2,
            self.arrival_ring3,
            self.arrival_nearby_city,
            self.arrival_far,
            self.arrival_emergency,
            self.resolution_emergency,
            self.resolution_major,
            self.resolution_general,
            self.repair_host,
            self.repair_accessory,
            self.complaint,
            self.return_visit,
        ]
    }

    pub fn target(&self, kind: ClockKind, severity: Severity, zone: Zone, part: PartClass) -> Target {
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
            ClockKind::Repair => match part {
                PartClass::Host => self.repair_host,
                PartClass::Accessory => self.repair_accessory,
            },
            ClockKind::Complaint => self.complaint,
            ClockKind::ReturnVisit => self.return_visit,
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
    /// Diagnosis named the failed part's class.
    PartClassSet { at: i64, part: PartClass },
    ComplaintRaised { at: i64 },
    ComplaintAnswered { at: i64 },
    ReturnVisitDone { at: i64 },
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
            | ClockEvent::SeverityChanged { at, .. }
            | ClockEvent::PartClassSet { at, .. }
            | ClockEvent::ComplaintRaised { at }
            | ClockEvent::ComplaintAnswered { at }
            | ClockEvent::ReturnVisitDone { at } => at,
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

/// Every clock of a case at `now`: the four case clocks from escalation,
/// and the later ones once their start event has happened. Events may come
/// in any order; they are sorted by time (stable, so same-minute events keep
/// their log order). No clocks before the case escalates.
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
    let mut part = PartClass::default();
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
            ClockEvent::PartClassSet { part: p, .. } => part = p,
            _ => {}
        }
    }
    let first = |pick: &dyn Fn(&ClockEvent) -> bool, from: i64| events.iter().find(|e| e.at() >= from && pick(e)).map(ClockEvent::at);

    ClockKind::ALL
        .into_iter()
        .filter_map(|kind| {
            // When this clock starts and what stops it.
            let (clock_start, stop): (i64, &dyn Fn(&ClockEvent) -> bool) = match kind {
                ClockKind::Response => (start, &|e| matches!(e, ClockEvent::Acknowledged { .. })),
                ClockKind::Dispatch => (start, &|e| matches!(e, ClockEvent::Dispatched { .. })),
                ClockKind::Arrival => (start, &|e| matches!(e, ClockEvent::CheckedIn { .. })),
                ClockKind::Resolution => (start, &|e| matches!(e, ClockEvent::Resolved { .. })),
                ClockKind::Repair => {
                    (first(&|e| matches!(e, ClockEvent::CheckedIn { .. }), start)?, &|e| matches!(e, ClockEvent::Resolved { .. }))
                }
                // The latest complaint: an answered one followed by a new one runs again.
                ClockKind::Complaint => (
                    events.iter().rev().find(|e| matches!(e, ClockEvent::ComplaintRaised { .. }) && e.at() >= start)?.at(),
                    &|e| matches!(e, ClockEvent::ComplaintAnswered { .. }),
                ),
                ClockKind::ReturnVisit => {
                    (first(&|e| matches!(e, ClockEvent::Resolved { .. }), start)?, &|e| matches!(e, ClockEvent::ReturnVisitDone { .. }))
                }
            };
            // Case clocks stop at their first stop event, even one logged in
            // the same minute as the start; later clocks at the first after it.
            let stopped_at = if clock_start == start {
                events.iter().find(|e| stop(e)).map(|e| e.at().max(start))
            } else {
                events.iter().skip_while(|e| e.at() < clock_start).find(|e| stop(e)).map(ClockEvent::at)
            };
            let periods: Vec<(i64, Option<i64>)> = if kind.pausable() {
                active.iter().filter(|(_, b)| b.is_none_or(|b| b > clock_start)).map(|&(a, b)| (a.max(clock_start), b)).collect()
            } else {
                vec![(clock_start, None)]
            };
            let target = policy.target(kind, severity, zone, part);
            let calendar = match target.basis {
                Basis::Always => always,
                Basis::Working => working,
            };
            let until = stopped_at.unwrap_or(now);
            let used = periods.iter().map(|&(a, b)| calendar.working_between(a, b.unwrap_or(until).min(until)).max(0)).sum::<i64>();
            // Where the target runs out, following the active periods.
            let mut deadline = None;
            let mut left = target.minutes;
            for &(a, b) in &periods {
                let span = b.map_or(i64::MAX, |b| calendar.working_between(a, b));
                if span >= left {
                    deadline = calendar.add_working(a, left);
                    break;
                }
                left -= span;
            }
            let clock_paused = if kind.pausable() { paused } else { None };
            let is_paused = stopped_at.is_none() && clock_paused.is_some();
            let breached = match stopped_at {
                Some(_) => used > target.minutes,
                None => used >= target.minutes && deadline.is_some_and(|d| d <= now),
            };
            Some(ClockState {
                kind,
                target,
                started_at: clock_start,
                used,
                deadline: if stopped_at.is_some() || is_paused { None } else { deadline },
                stopped_at,
                paused: if is_paused { clock_paused } else { None },
                breached,
            })
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
        let t = |k, s, z| p.target(k, s, z, PartClass::Host).minutes / 60;
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
        assert_eq!(t(ClockKind::Repair, Severity::General, Zone::Ring1), 72);
        assert_eq!(p.target(ClockKind::Repair, Severity::General, Zone::Ring1, PartClass::Accessory).minutes, 24 * 60);
        assert_eq!(p.complaint, Target { minutes: 3 * 450, basis: Basis::Working }, "3 working days of 7.5 h");
        assert_eq!(t(ClockKind::ReturnVisit, Severity::General, Zone::Ring1), 72);
    }

    #[test]
    fn policies_saved_before_the_later_clocks_get_the_briefs_values() {
        let mut old = serde_json::to_value(Policy::default()).unwrap();
        for key in ["repair_host", "repair_accessory", "complaint", "return_visit"] {
            old.as_object_mut().unwrap().remove(key);
        }
        assert_eq!(serde_json::from_value::<Policy>(old).unwrap(), Policy::default());
    }

    #[test]
    fn later_clocks_start_at_their_own_event() {
        let (always, working) = cals();
        let start = cst(2026, 11, 23, 10, 0);
        let mut events = vec![
            ClockEvent::Escalated { at: start, severity: Severity::General },
            ClockEvent::Acknowledged { at: start + 10 },
            ClockEvent::Dispatched { at: start + 20 },
        ];
        let p = Policy::default();
        let kinds = |all: &[ClockState]| all.iter().map(|c| c.kind).collect::<Vec<_>>();
        assert_eq!(kinds(&clocks(&events, &p, Zone::Ring1, &always, &working, start + 30)).len(), 4);
        events.push(ClockEvent::CheckedIn { at: start + 100 });
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start + 200);
        assert_eq!(clock(&all, ClockKind::Repair).deadline, Some(start + 100 + 72 * 60));
        // An accessory found on site: one day. A pause stops the repair clock too.
        events.push(ClockEvent::PartClassSet { at: start + 150, part: PartClass::Accessory });
        events.push(ClockEvent::Paused { at: start + 200, reason: PauseReason::WaitingForCustomer });
        events.push(ClockEvent::Resumed { at: start + 260 });
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start + 300);
        let repair = clock(&all, ClockKind::Repair);
        assert_eq!((repair.used, repair.deadline), (140, Some(start + 100 + 24 * 60 + 60)));
        // Resolved: repair stops, the return visit starts (72 h, pauses do not apply).
        events.push(ClockEvent::Resolved { at: start + 400 });
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start + 500);
        assert_eq!(clock(&all, ClockKind::Repair).stopped_at, Some(start + 400));
        let visit = clock(&all, ClockKind::ReturnVisit);
        assert_eq!((visit.deadline, visit.used), (Some(start + 400 + 72 * 60), 100));
        events.push(ClockEvent::ReturnVisitDone { at: start + 600 });
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start + 700);
        let visit = clock(&all, ClockKind::ReturnVisit);
        assert_eq!((visit.stopped_at, visit.breached), (Some(start + 600), false));
        assert!(!all.iter().any(|c| c.kind == ClockKind::Complaint));
    }

    #[test]
    fn a_complaint_is_answered_within_three_working_days() {
        let (always, working) = cals();
        // Friday 17:00 → Wednesday 17:00 (half an hour Friday, Monday, Tuesday, Wednesday to 17:00).
        let start = cst(2026, 11, 27, 17, 0);
        let mut events = vec![ClockEvent::Escalated { at: start, severity: Severity::General }, ClockEvent::ComplaintRaised { at: start }];
        let p = Policy::default();
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start + 10);
        let complaint = clock(&all, ClockKind::Complaint);
        assert_eq!(complaint.deadline, Some(cst(2026, 12, 2, 17, 0)));
        events.push(ClockEvent::ComplaintAnswered { at: start + 60 * 24 * 3 });
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start + 60 * 24 * 4);
        let complaint = clock(&all, ClockKind::Complaint);
        assert_eq!((complaint.stopped_at, complaint.breached), (Some(start + 60 * 24 * 3), false));
        // A second complaint runs a new clock.
        events.push(ClockEvent::ComplaintRaised { at: start + 60 * 24 * 5 });
        let all = clocks(&events, &p, Zone::Ring1, &always, &working, start + 60 * 24 * 5 + 1);
        let complaint = clock(&all, ClockKind::Complaint);
        assert_eq!((complaint.started_at, complaint.stopped_at), (start + 60 * 24 * 5, None));
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
        proptest::collection::vec((0i64..5000, 0u8..11), 0..14).prop_map(move |raw| {
            let mut events = vec![ClockEvent::Escalated { at: start, severity: Severity::Major }];
            for (offset, kind) in raw {
                let at = start + offset;
                events.push(match kind {
                    0 => ClockEvent::Paused { at, reason: PauseReason::CustomerPostponed },
                    1 => ClockEvent::Resumed { at },
                    2 => ClockEvent::Acknowledged { at },
                    3 => ClockEvent::CheckedIn { at },
                    4 => ClockEvent::SeverityChanged { at, severity: Severity::General },
                    5 => ClockEvent::PartClassSet { at, part: PartClass::Accessory },
                    6 => ClockEvent::ComplaintRaised { at },
                    7 => ClockEvent::ComplaintAnswered { at },
                    8 => ClockEvent::Resolved { at },
                    9 => ClockEvent::ReturnVisitDone { at },
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
            for x in &a {
                let y = b.iter().find(|y| y.kind == x.kind).unwrap();
                // A later complaint runs a new clock; same clock, time only adds up.
                if x.started_at == y.started_at {
                    prop_assert!(x.used <= y.used);
                }
                prop_assert!(x.used >= 0 && x.used <= t1);
                if let Some(d) = x.deadline {
                    prop_assert_eq!(x.breached, d <= start + t1);
                }
            }
        }
    }
}
