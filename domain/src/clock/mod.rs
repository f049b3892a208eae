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

impl Zone {
    /// A zone as stored (`ring1`, `nearby_city`…); anything else is the
    /// brief's default, the third ring.
    pub fn from_stored(s: &str) -> Zone {
        match s {
            "ring1" => Zone::Ring1,
            "ring2" => Zone::Ring2,
            "nearby_city" => Zone::NearbyCity,
            "far" => Zone::Far,
            _ => Zone::Ring3,
        }
    }
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
    Escalated {
        at: i64,
        severity: Severity,
    },
    Acknowledged {
        at: i64,
    },
    Dispatched {
        at: i64,
    },
    CheckedIn {
        at: i64,
    },
    Resolved {
        at: i64,
    },
    Paused {
        at: i64,
        reason: PauseReason,
    },
    Resumed {
        at: i64,
    },
    SeverityChanged {
        at: i64,
        severity: Severity,
    },
    /// Diagnosis named the failed part's class.
    PartClassSet {
        at: i64,
        part: PartClass,
    },
    ComplaintRaised {
        at: i64,
    },
    ComplaintAnswered {
        at: i64,
    },
    ReturnVisitDone {
        at: i64,
    },
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
                ClockKind::Complaint => {
                    (events.iter().rev().find(|e| matches!(e, ClockEvent::ComplaintRaised { .. }) && e.at() >= start)?.at(), &|e| {
                        matches!(e, ClockEvent::ComplaintAnswered { .. })
                    })
                }
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
mod tests;
