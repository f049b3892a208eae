use super::*;
use crate::calendar::{Date, Offsets, MINUTES_PER_DAY};
use proptest::prelude::*;

#[test]
fn zones_read_as_stored_and_default_to_the_third_ring() {
    for zone in [Zone::Ring1, Zone::Ring2, Zone::Ring3, Zone::NearbyCity, Zone::Far] {
        let stored = serde_json::to_value(zone).unwrap();
        assert_eq!(Zone::from_stored(stored.as_str().unwrap()), zone);
    }
    assert_eq!(Zone::from_stored("moon"), Zone::Ring3);
}

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
    let events = [ClockEvent::Escalated { at: start, severity: Severity::General }, ClockEvent::Acknowledged { at: start + 40 }];
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
    assert_eq!(
        (response.paused, response.deadline, response.used, response.breached),
        (Some(PauseReason::WaitingForCustomer), None, 30, false)
    );
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
    let p = Policy { dispatch: Target { minutes: 120, basis: Basis::Working }, ..Policy::default() };
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
