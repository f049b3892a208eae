//! Raising overdue cases: which raises a case needs now, and when it may
//! next need one (so the breach job looks only at cases whose moment came).

use super::clock::{self, ClockKind, ClockState, Target, Zone};
use super::lifecycle::{clock_events, BreachLevel, CaseEvent, LoggedEvent};
use super::terms::Terms;

/// Undispatched this long (counted as the dispatch target is) → management.
pub const MANAGEMENT_AFTER_MINUTES: i64 = 4 * 60;

fn raised(log: &[LoggedEvent], clock: ClockKind, level: BreachLevel) -> bool {
    log.iter().any(|e| e.event == CaseEvent::BreachRaised { clock, level })
}

/// Clocks whose deadline is announced ahead: a case nobody claimed, near
/// its response deadline; a return visit coming due.
pub const WARNED: [ClockKind; 2] = [ClockKind::Response, ClockKind::ReturnVisit];
/// The reminder goes when this share of the target (percent) is used:
/// 45 minutes into a 1-hour response target.
pub const WARN_AT_PERCENT: i64 = 75;

/// The minutes of `target` after which its reminder goes.
pub fn warn_minutes(target: i64) -> i64 {
    (target * WARN_AT_PERCENT).div_euclid(100).max(1)
}

fn warned(log: &[LoggedEvent], clock: ClockKind) -> bool {
    log.iter().any(|e| e.event == CaseEvent::DeadlineNear { clock })
}

/// The reminders due now that the log does not hold yet: a running warned
/// clock past its reminder point but not yet overdue (then the raise says it).
pub fn warnings_due(log: &[LoggedEvent], clocks: &[ClockState]) -> Vec<ClockKind> {
    clocks
        .iter()
        .filter(|c| c.stopped_at.is_none() && c.paused.is_none() && WARNED.contains(&c.kind) && !c.breached)
        .filter(|c| c.used >= warn_minutes(c.target.minutes) && !warned(log, c.kind))
        .map(|c| c.kind)
        .collect()
}

/// The raises due now that the log does not hold yet: a running response or
/// dispatch clock past its target → supervisor; the dispatch clock at 4 h →
/// management.
pub fn due(log: &[LoggedEvent], clocks: &[ClockState]) -> Vec<(ClockKind, BreachLevel)> {
    let mut out = Vec::new();
    for c in clocks {
        if c.stopped_at.is_some() || !matches!(c.kind, ClockKind::Response | ClockKind::Dispatch) {
            continue;
        }
        if c.breached {
            out.push((c.kind, BreachLevel::Supervisor));
        }
        if c.kind == ClockKind::Dispatch && c.used >= MANAGEMENT_AFTER_MINUTES {
            out.push((c.kind, BreachLevel::Management));
        }
    }
    out.retain(|&(clock, level)| !raised(log, clock, level));
    out
}

/// The next minute a raise or reminder may come due, or `None` when none
/// can (clocks stopped or paused, or every raise made). `management_deadline`
/// is when the running dispatch clock reaches [`MANAGEMENT_AFTER_MINUTES`];
/// `reminders` when each warned clock reaches its reminder point.
pub fn next_check(
    log: &[LoggedEvent],
    clocks: &[ClockState],
    management_deadline: Option<i64>,
    reminders: &[(ClockKind, i64)],
) -> Option<i64> {
    let mut next: Option<i64> = None;
    let mut consider = |at: Option<i64>| {
        if let Some(at) = at {
            next = Some(next.map_or(at, |n: i64| n.min(at)));
        }
    };
    for c in clocks {
        if c.stopped_at.is_some() || !matches!(c.kind, ClockKind::Response | ClockKind::Dispatch) {
            continue;
        }
        if !raised(log, c.kind, BreachLevel::Supervisor) {
            consider(c.deadline);
        }
        if c.kind == ClockKind::Dispatch && !raised(log, c.kind, BreachLevel::Management) {
            consider(management_deadline);
        }
    }
    for &(kind, at) in reminders {
        let running = clocks.iter().any(|c| c.kind == kind && c.stopped_at.is_none() && c.deadline.is_some() && !c.breached);
        if running && !warned(log, kind) {
            consider(Some(at));
        }
    }
    next
}

/// The nearest deadline among running clocks (what the queue sorts by).
pub fn next_deadline(clocks: &[ClockState]) -> Option<i64> {
    clocks.iter().filter(|c| c.stopped_at.is_none()).filter_map(|c| c.deadline).min()
}

/// Sorts after every real deadline: cases with no running clock (paused,
/// or every clock stopped).
pub const NO_DEADLINE: i64 = 9_000_000_000_000_000;

/// What a case row keeps of its clocks, so the queue sorts and pages in SQL
/// and the breach job reads only cases whose moment came (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub next_deadline_ms: i64,
    pub breach_check_at: Option<i64>,
}

/// The case's schedule at `now_ms`, from its log and terms.
pub fn schedule(log: &[LoggedEvent], terms: &Terms, zone: Zone, now_ms: i64) -> Schedule {
    let clocks = terms.clocks(log, zone, now_ms);
    // When the dispatch clock reaches the management threshold: the same
    // clock computed with that threshold as its target.
    let mut policy = terms.policy.clone();
    policy.dispatch = Target { minutes: MANAGEMENT_AFTER_MINUTES, basis: policy.dispatch.basis };
    let events = clock_events(log);
    let now = now_ms.div_euclid(60_000);
    let management = clock::clocks(&events, &policy, zone, &terms.always, &terms.working, now)
        .into_iter()
        .find(|c| c.kind == ClockKind::Dispatch && c.stopped_at.is_none())
        .and_then(|c| c.deadline);
    // When each warned clock reaches its reminder point: the same clocks
    // computed with that point as their target.
    let mut early = terms.policy.clone();
    early.response.minutes = warn_minutes(early.response.minutes);
    early.return_visit.minutes = warn_minutes(early.return_visit.minutes);
    let reminders: Vec<(ClockKind, i64)> = clock::clocks(&events, &early, zone, &terms.always, &terms.working, now)
        .into_iter()
        .filter(|c| WARNED.contains(&c.kind) && c.stopped_at.is_none())
        .filter_map(|c| Some((c.kind, c.deadline?)))
        .collect();
    Schedule {
        next_deadline_ms: next_deadline(&clocks).map_or(NO_DEADLINE, |m| m * 60_000),
        breach_check_at: next_check(log, &clocks, management, &reminders).map(|m| m * 60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Basis, Target};
    use crate::lifecycle::Actor;

    fn clock(kind: ClockKind, used: i64, deadline: Option<i64>, breached: bool) -> ClockState {
        ClockState {
            kind,
            target: Target { minutes: 120, basis: Basis::Always },
            started_at: 0,
            used,
            deadline,
            stopped_at: None,
            paused: None,
            breached,
        }
    }

    fn raise(clock: ClockKind, level: BreachLevel) -> LoggedEvent {
        LoggedEvent { at_ms: 0, actor: Actor::System, event: CaseEvent::BreachRaised { clock, level } }
    }

    #[test]
    fn overdue_clocks_are_raised_once() {
        let clocks = [clock(ClockKind::Response, 70, Some(60), true), clock(ClockKind::Dispatch, 70, Some(120), false)];
        assert_eq!(due(&[], &clocks), vec![(ClockKind::Response, BreachLevel::Supervisor)]);
        assert!(due(&[raise(ClockKind::Response, BreachLevel::Supervisor)], &clocks).is_empty());
    }

    #[test]
    fn management_is_told_at_four_hours_undispatched() {
        let clocks = [clock(ClockKind::Dispatch, 240, Some(120), true)];
        let log = [raise(ClockKind::Dispatch, BreachLevel::Supervisor)];
        assert_eq!(due(&log, &clocks), vec![(ClockKind::Dispatch, BreachLevel::Management)]);
    }

    #[test]
    fn next_check_is_the_earliest_unraised_moment() {
        let clocks = [clock(ClockKind::Response, 10, Some(60), false), clock(ClockKind::Dispatch, 10, Some(120), false)];
        assert_eq!(next_check(&[], &clocks, Some(240), &[]), Some(60));
        let log = [raise(ClockKind::Response, BreachLevel::Supervisor), raise(ClockKind::Dispatch, BreachLevel::Supervisor)];
        assert_eq!(next_check(&log, &clocks, Some(240), &[]), Some(240));
        let all = [
            raise(ClockKind::Response, BreachLevel::Supervisor),
            raise(ClockKind::Dispatch, BreachLevel::Supervisor),
            raise(ClockKind::Dispatch, BreachLevel::Management),
        ];
        assert_eq!(next_check(&all, &clocks, Some(240), &[]), None);
        // Paused clocks have no deadline: nothing to check until they resume.
        assert_eq!(next_check(&[], &[clock(ClockKind::Response, 10, None, false)], None, &[]), None);
    }

    #[test]
    fn a_reminder_goes_once_at_three_quarters_of_the_target() {
        // Target 120 minutes: the reminder point is 90.
        assert!(warnings_due(&[], &[clock(ClockKind::Response, 89, Some(120), false)]).is_empty());
        assert_eq!(warnings_due(&[], &[clock(ClockKind::Response, 90, Some(120), false)]), vec![ClockKind::Response]);
        let told = [LoggedEvent { at_ms: 0, actor: Actor::System, event: CaseEvent::DeadlineNear { clock: ClockKind::Response } }];
        assert!(warnings_due(&told, &[clock(ClockKind::Response, 100, Some(120), false)]).is_empty());
        // Overdue already: the raise says it, not a reminder.
        assert!(warnings_due(&[], &[clock(ClockKind::Response, 130, Some(120), true)]).is_empty());
        // Dispatch is raised, never reminded.
        assert!(warnings_due(&[], &[clock(ClockKind::Dispatch, 100, Some(120), false)]).is_empty());
        // The reminder point comes before the deadline, and only until told.
        let clocks = [clock(ClockKind::Response, 10, Some(120), false)];
        assert_eq!(next_check(&[], &clocks, None, &[(ClockKind::Response, 90)]), Some(90));
        assert_eq!(next_check(&told, &clocks, None, &[(ClockKind::Response, 90)]), Some(120));
    }

    #[test]
    fn next_deadline_ignores_stopped_clocks() {
        let mut stopped = clock(ClockKind::Response, 10, Some(5), false);
        stopped.stopped_at = Some(7);
        assert_eq!(next_deadline(&[stopped, clock(ClockKind::Arrival, 0, Some(300), false)]), Some(300));
    }
}
