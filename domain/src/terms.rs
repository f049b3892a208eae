//! The terms a case's clocks run on: the organisation's service-time policy
//! and the company's calendars (working time, and around the clock).

use crate::calendar::Calendar;
use crate::clock::{self, ClockState, Policy, Zone};
use crate::lifecycle::{clock_events, LoggedEvent};

/// Everything a case's clocks are computed with.
#[derive(Debug, Clone)]
pub struct Terms {
    pub policy: Policy,
    pub working: Calendar,
    pub always: Calendar,
    /// The IANA zone the calendars' offsets come from.
    pub timezone: String,
}

impl Terms {
    /// The case's clocks at `now_ms`, from its log.
    pub fn clocks(&self, log: &[LoggedEvent], zone: Zone, now_ms: i64) -> Vec<ClockState> {
        clock::clocks(&clock_events(log), &self.policy, zone, &self.always, &self.working, now_ms.div_euclid(60_000))
    }
}
