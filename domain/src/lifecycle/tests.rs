//! The lifecycle's rules, one by one, and its properties.

use super::*;
use crate::case::{CaseStatus, Role};
use crate::clock::{ClockEvent, PartClass, PauseReason};
use crate::guide::Severity;
use crate::warranty::{Cause, Exclusion};

const DISPATCHER: i64 = 3;
const OTHER_DISPATCHER: i64 = 5;
const TECH: i64 = 4;
const SUPERVISOR: i64 = 2;

fn cx(actor_id: i64, role: Role) -> Context<'static> {
    Context {
        actor_id,
        role,
        now_ms: 1_000_000,
        is_responder: &|id| id == DISPATCHER || id == OTHER_DISPATCHER || id == SUPERVISOR,
        is_technician: &|id| id == TECH,
        arrival_deadline_ms: Some(2_000_000),
        paid_job: false,
    }
}

fn log(events: Vec<(Actor, CaseEvent)>) -> Vec<LoggedEvent> {
    events.into_iter().enumerate().map(|(i, (actor, event))| LoggedEvent { at_ms: i as i64 * 60_000, actor, event }).collect()
}

fn escalated() -> Vec<LoggedEvent> {
    log(vec![(Actor::Customer, CaseEvent::Escalated { severity: Severity::Major })])
}

fn apply(mut l: Vec<LoggedEvent>, actor_id: i64, role: Role, action: CaseAction) -> Result<Vec<LoggedEvent>, Refusal> {
    let state = CaseState::from_log(&l);
    let event = decide(&state, &action, &cx(actor_id, role))?;
    l.push(LoggedEvent { at_ms: l.len() as i64 * 60_000, actor: Actor::Staff { id: actor_id }, event });
    Ok(l)
}

#[test]
fn a_case_walks_from_claim_to_close() {
    let l = escalated();
    let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
    assert_eq!(CaseState::from_log(&l).owner, Some(DISPATCHER));
    let dispatch = CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: "bring battery".into() };
    let l = apply(l, DISPATCHER, Role::Dispatcher, dispatch).unwrap();
    assert!(matches!(l.last().unwrap().event, CaseEvent::Dispatched { late: false, .. }));
    let l = apply(l, TECH, Role::Technician, CaseAction::CheckIn).unwrap();
    assert_eq!(CaseState::from_log(&l).status, CaseStatus::OnSite);
    let l = apply(l, TECH, Role::Technician, CaseAction::Resolve { summary: "replaced battery".into() }).unwrap();
    // A visit's report is signed before closing.
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, CaseAction::Close).unwrap_err(), Refusal::NotSigned);
    let mut l = l;
    let signed = sign_report(&CaseState::from_log(&l), "王主任", 1, "{}".into(), "ab".into()).unwrap();
    l.push(LoggedEvent { at_ms: l.len() as i64 * 60_000, actor: Actor::Customer, event: signed });
    assert_eq!(sign_report(&CaseState::from_log(&l), "王主任", 1, "{}".into(), "ab".into()), Err(Refusal::State), "signed once");
    let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Close).unwrap();
    let s = CaseState::from_log(&l);
    assert_eq!(s.status, CaseStatus::Closed);
    // Every clock stopped: response, dispatch, arrival and resolution.
    assert_eq!(clock_events(&l).len(), 5);
    assert!(s.visited && s.signed);
}

#[test]
fn roles_and_ownership_are_enforced() {
    let l = escalated();
    assert_eq!(apply(l.clone(), TECH, Role::Technician, CaseAction::Claim).unwrap_err(), Refusal::Role);
    let l = apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
    // Claimed once only.
    assert_eq!(apply(l.clone(), OTHER_DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap_err(), Refusal::State);
    // A technician can never reassign; another dispatcher is not the owner; a supervisor may.
    assert_eq!(apply(l.clone(), TECH, Role::Technician, CaseAction::Transfer { to: OTHER_DISPATCHER }).unwrap_err(), Refusal::Role);
    assert_eq!(
        apply(l.clone(), OTHER_DISPATCHER, Role::Dispatcher, CaseAction::Transfer { to: OTHER_DISPATCHER }).unwrap_err(),
        Refusal::NotOwner
    );
    let moved = apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Transfer { to: OTHER_DISPATCHER }).unwrap();
    assert_eq!(CaseState::from_log(&moved).owner, Some(OTHER_DISPATCHER));
    // Ownership cannot go to a technician or an unknown user.
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, CaseAction::Transfer { to: TECH }).unwrap_err(), Refusal::Input);
    // Only the assigned technician checks in.
    let l =
        apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() })
            .unwrap();
    assert_eq!(apply(l.clone(), 99, Role::Technician, CaseAction::CheckIn).unwrap_err(), Refusal::NotOwner);
    assert_eq!(apply(l, DISPATCHER, Role::Dispatcher, CaseAction::CheckIn).unwrap_err(), Refusal::Role);
}

#[test]
fn states_guard_actions() {
    let l = escalated();
    assert_eq!(apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Close).unwrap_err(), Refusal::State);
    assert_eq!(apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Resume).unwrap_err(), Refusal::State);
    let paused = apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Pause { reason: PauseReason::WaitingForCustomer }).unwrap();
    assert_eq!(
        apply(paused.clone(), SUPERVISOR, Role::Supervisor, CaseAction::Pause { reason: PauseReason::CustomerPostponed }).unwrap_err(),
        Refusal::State
    );
    let resumed = apply(paused, SUPERVISOR, Role::Supervisor, CaseAction::Resume).unwrap();
    assert_eq!(CaseState::from_log(&resumed).paused, None);
    assert_eq!(
        apply(l.clone(), SUPERVISOR, Role::Supervisor, CaseAction::ChangeSeverity { severity: Severity::Major }).unwrap_err(),
        Refusal::State
    );
    // Dispatch needs an owner first.
    let d = CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() };
    assert_eq!(apply(l.clone(), SUPERVISOR, Role::Supervisor, d).unwrap_err(), Refusal::State);
}

#[test]
fn inputs_are_checked_and_late_appointments_flagged() {
    let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
    let past = CaseAction::Dispatch { technician: TECH, appointment_ms: 0, notes: String::new() };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, past).unwrap_err(), Refusal::Input);
    let not_tech = CaseAction::Dispatch { technician: OTHER_DISPATCHER, appointment_ms: 1_500_000, notes: String::new() };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, not_tech).unwrap_err(), Refusal::Input);
    let empty = CaseAction::LogContact { channel: ContactChannel::Phone, outcome: ContactOutcome::FollowUp, notes: "  ".into() };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, empty).unwrap_err(), Refusal::Input);
    let long = CaseAction::Note { notes: "长".repeat(MAX_NOTES + 1) };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, long).unwrap_err(), Refusal::Input);
    let late = CaseAction::Dispatch { technician: TECH, appointment_ms: 3_000_000, notes: String::new() };
    let l = apply(l, DISPATCHER, Role::Dispatcher, late).unwrap();
    assert!(matches!(l.last().unwrap().event, CaseEvent::Dispatched { late: true, .. }));
}

#[test]
fn phone_fix_resolves_and_stored_events_round_trip() {
    let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
    let fix =
        CaseAction::LogContact { channel: ContactChannel::Phone, outcome: ContactOutcome::Resolved, notes: "re-paired remote".into() };
    let l = apply(l, DISPATCHER, Role::Dispatcher, fix).unwrap();
    assert_eq!(CaseState::from_log(&l).status, CaseStatus::Resolved);
    for e in &l {
        assert_eq!(CaseEvent::from_stored(e.event.kind(), &e.event.to_stored()), Some(e.event.clone()));
    }
    // Events written before severities were stored default to general.
    assert_eq!(CaseEvent::from_stored("escalated", r#"{"reporter":"王"}"#), Some(CaseEvent::Escalated { severity: Severity::General }));
    assert_eq!(Actor::decode(&Actor::Staff { id: 7 }.encode()), Actor::Staff { id: 7 });
    assert_eq!(Actor::decode("customer"), Actor::Customer);
}

#[test]
fn paid_jobs_wait_for_an_approved_quote() {
    let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
    let dispatch = CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() };
    let paid_cx = || Context { paid_job: true, ..cx(DISPATCHER, Role::Dispatcher) };
    let paid = |l: &[LoggedEvent]| decide(&CaseState::from_log(l), &dispatch, &paid_cx());
    let apply = |mut l: Vec<LoggedEvent>, _: i64, _: Role, action: CaseAction| -> Result<Vec<LoggedEvent>, Refusal> {
        let event = decide(&CaseState::from_log(&l), &action, &paid_cx())?;
        l.push(LoggedEvent { at_ms: l.len() as i64 * 60_000, actor: Actor::Staff { id: DISPATCHER }, event });
        Ok(l)
    };
    let warranty = CaseAction::IssueQuote { amount_cents: 85_000, description: "更换主板".into() };
    assert_eq!(
        decide(&CaseState::from_log(&l), &warranty, &cx(DISPATCHER, Role::Dispatcher)),
        Err(Refusal::State),
        "a warranty job has no price"
    );
    assert_eq!(paid(&l), Err(Refusal::QuoteNotApproved));
    assert_eq!(answer_quote(&CaseState::from_log(&l), true), Err(Refusal::State), "no quote to answer");
    let quote = CaseAction::IssueQuote { amount_cents: 0, description: "更换主板".into() };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, quote).unwrap_err(), Refusal::Input);
    let quote = CaseAction::IssueQuote { amount_cents: 85_000, description: "更换主板".into() };
    let mut l = apply(l, DISPATCHER, Role::Dispatcher, quote.clone()).unwrap();
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, quote).unwrap_err(), Refusal::State, "one pending quote at a time");
    assert_eq!(paid(&l), Err(Refusal::QuoteNotApproved));
    let declined = answer_quote(&CaseState::from_log(&l), false).unwrap();
    let mut declined_log = l.clone();
    declined_log.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: declined });
    assert_eq!(paid(&declined_log), Err(Refusal::QuoteNotApproved));
    let approved = answer_quote(&CaseState::from_log(&l), true).unwrap();
    l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: approved });
    assert_eq!(answer_quote(&CaseState::from_log(&l), false), Err(Refusal::State), "answered once");
    assert!(matches!(paid(&l), Ok(CaseEvent::Dispatched { .. })));
}

fn on_site() -> Vec<LoggedEvent> {
    let l = apply(escalated(), DISPATCHER, Role::Dispatcher, CaseAction::Claim).unwrap();
    let l =
        apply(l, DISPATCHER, Role::Dispatcher, CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() })
            .unwrap();
    apply(l, TECH, Role::Technician, CaseAction::CheckIn).unwrap()
}

fn work() -> CaseAction {
    CaseAction::RecordWork {
        findings: "电池电压 3.1 V".into(),
        actions: "更换电池".into(),
        parts: vec![PartUsed { name: "CR123A".into(), quantity: 2 }],
        minutes_worked: 45,
        downtime_minutes: 600,
        photos: vec![],
    }
}

#[test]
fn diagnosis_work_record_and_swaps() {
    let l = on_site();
    let customer_without_exclusion = CaseAction::Diagnose {
        cause: Cause::Customer,
        exclusion: None,
        part: PartClass::Accessory,
        component: String::new(),
        notes: String::new(),
    };
    assert_eq!(apply(l.clone(), TECH, Role::Technician, customer_without_exclusion).unwrap_err(), Refusal::Input);
    let diagnose = CaseAction::Diagnose {
        cause: Cause::Customer,
        exclusion: Some(Exclusion::WrongPower),
        part: PartClass::Accessory,
        component: "parts".into(),
        notes: "接入 380 V".into(),
    };
    // Another technician is not assigned.
    assert_eq!(apply(l.clone(), 99, Role::Technician, diagnose.clone()).unwrap_err(), Refusal::NotOwner);
    let l = apply(l, TECH, Role::Technician, diagnose).unwrap();
    let s = CaseState::from_log(&l);
    assert_eq!(s.diagnosis.as_ref().map(|d| d.part), Some(PartClass::Accessory));
    assert!(clock_events(&l).iter().any(|e| matches!(e, ClockEvent::PartClassSet { part: PartClass::Accessory, .. })));
    let bad_parts = CaseAction::RecordWork {
        findings: "f".into(),
        actions: "a".into(),
        parts: vec![PartUsed { name: "x".into(), quantity: 0 }],
        minutes_worked: 10,
        downtime_minutes: 0,
        photos: vec![],
    };
    assert_eq!(apply(l.clone(), TECH, Role::Technician, bad_parts).unwrap_err(), Refusal::Input);
    let l = apply(l, TECH, Role::Technician, work()).unwrap();
    let l =
        apply(l, TECH, Role::Technician, CaseAction::Swap { swap: SwapKind::Loaner, serial: "LN-7".into(), notes: String::new() }).unwrap();
    assert_eq!(CaseState::from_log(&l).outstanding_swaps, vec![(SwapKind::Loaner, "LN-7".to_string())]);
    let back = CaseAction::SwapReturned { swap: SwapKind::Loaner, serial: "LN-8".into(), notes: String::new() };
    assert_eq!(apply(l.clone(), TECH, Role::Technician, back).unwrap_err(), Refusal::State, "no such loaner out");
    let back = CaseAction::SwapReturned { swap: SwapKind::Loaner, serial: "LN-7".into(), notes: String::new() };
    let l = apply(l, DISPATCHER, Role::Dispatcher, back).unwrap();
    assert!(CaseState::from_log(&l).outstanding_swaps.is_empty());
    // Paid after the exclusion: resolving waits for an approved quote.
    let mut paid = cx(TECH, Role::Technician);
    paid.paid_job = true;
    let resolve = CaseAction::Resolve { summary: "done".into() };
    assert_eq!(decide(&CaseState::from_log(&l), &resolve, &paid), Err(Refusal::QuoteNotApproved));
    let l = apply(l, TECH, Role::Technician, resolve).unwrap();
    // After the fix and before signing the record can still be completed; after signing, only corrections.
    let l = apply(l, TECH, Role::Technician, work()).unwrap();
    assert_eq!(apply(l.clone(), TECH, Role::Technician, CaseAction::CorrectReport { notes: "x".into() }).unwrap_err(), Refusal::State);
    let mut l = l;
    l.push(LoggedEvent {
        at_ms: 0,
        actor: Actor::Customer,
        event: sign_report(&CaseState::from_log(&l), "李", 9, "{}".into(), "h".into()).unwrap(),
    });
    assert_eq!(apply(l.clone(), TECH, Role::Technician, work()).unwrap_err(), Refusal::State, "signed: no more edits");
    apply(l, TECH, Role::Technician, CaseAction::CorrectReport { notes: "零件数量应为 1".into() }).unwrap();
}

#[test]
fn customer_follow_up_complaints_and_return_visits() {
    let l = on_site();
    let rate = CustomerAction::Rate { rating: Rating { attitude: 4, skill: 3, punctuality: 4, promise_kept: 4, comment: "好".into() } };
    assert_eq!(customer_decide(&CaseState::from_log(&l), &rate), Err(Refusal::State), "rated after the fix");
    let info = CustomerAction::AddInfo { text: "  ".into(), photos: vec![] };
    assert_eq!(customer_decide(&CaseState::from_log(&l), &info), Err(Refusal::Input));
    let complain =
        CustomerAction::Complain { category: ComplaintCategory::Human, gravity: ComplaintGravity::Serious, text: "迟到两小时".into() };
    let mut l = l;
    l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: customer_decide(&CaseState::from_log(&l), &complain).unwrap() });
    assert_eq!(customer_decide(&CaseState::from_log(&l), &complain), Err(Refusal::State), "one open complaint");
    assert!(clock_events(&l).iter().any(|e| matches!(e, ClockEvent::ComplaintRaised { .. })));
    let answer = CaseAction::AnswerComplaint { notes: "已致电道歉".into() };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, answer.clone()).unwrap_err(), Refusal::Role);
    let l = apply(l, SUPERVISOR, Role::Supervisor, answer).unwrap();
    let visit = CaseAction::ReturnVisit { outcome: ReturnVisitOutcome::Satisfied, notes: String::new() };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, visit.clone()).unwrap_err(), Refusal::State, "not fixed yet");
    let mut l = apply(l, TECH, Role::Technician, CaseAction::Resolve { summary: "ok".into() }).unwrap();
    // One step at a time: sign the visit's report, confirm the fix, rate.
    let confirm = CustomerAction::Confirm { fixed: true, comment: String::new() };
    assert_eq!(next_customer_step(&CaseState::from_log(&l)), Some(CustomerStep::Sign));
    assert_eq!(customer_decide(&CaseState::from_log(&l), &rate), Err(Refusal::State), "signature first");
    assert_eq!(customer_decide(&CaseState::from_log(&l), &confirm), Err(Refusal::State), "signature first");
    l.push(LoggedEvent {
        at_ms: 0,
        actor: Actor::Customer,
        event: sign_report(&CaseState::from_log(&l), "李", 9, "{}".into(), "h".into()).unwrap(),
    });
    assert_eq!(next_customer_step(&CaseState::from_log(&l)), Some(CustomerStep::Confirm));
    assert_eq!(customer_decide(&CaseState::from_log(&l), &rate), Err(Refusal::State), "confirmation first");
    l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: customer_decide(&CaseState::from_log(&l), &confirm).unwrap() });
    assert_eq!(next_customer_step(&CaseState::from_log(&l)), Some(CustomerStep::Rate));
    let bad = CustomerAction::Rate { rating: Rating { attitude: 5, skill: 3, punctuality: 4, promise_kept: 4, comment: String::new() } };
    assert_eq!(customer_decide(&CaseState::from_log(&l), &bad), Err(Refusal::Input));
    l.push(LoggedEvent { at_ms: 0, actor: Actor::Customer, event: customer_decide(&CaseState::from_log(&l), &rate).unwrap() });
    assert_eq!(customer_decide(&CaseState::from_log(&l), &rate), Err(Refusal::State), "rated once");
    assert_eq!(next_customer_step(&CaseState::from_log(&l)), None);
    assert_eq!(apply(l.clone(), TECH, Role::Technician, visit.clone()).unwrap_err(), Refusal::Role);
    let persists = CaseAction::ReturnVisit { outcome: ReturnVisitOutcome::ProblemPersists, notes: String::new() };
    assert_eq!(apply(l.clone(), DISPATCHER, Role::Dispatcher, persists).unwrap_err(), Refusal::Input, "say what persists");
    let l = apply(l, DISPATCHER, Role::Dispatcher, visit.clone()).unwrap();
    assert!(CaseState::from_log(&l).return_visited);
    assert_eq!(apply(l, DISPATCHER, Role::Dispatcher, visit).unwrap_err(), Refusal::State, "once");
}

// ---- one rule for buttons and for the server

/// Everyone who can act on a case in these tests.
const STAFF: [(i64, Role); 5] = [
    (SUPERVISOR, Role::Supervisor),
    (DISPATCHER, Role::Dispatcher),
    (OTHER_DISPATCHER, Role::Dispatcher),
    (TECH, Role::Technician),
    (9, Role::Admin),
];

/// A well-formed action of kind `act` for the case in `state`, as the
/// console's form would send it.
fn sample(act: Act, state: &CaseState) -> Option<CaseAction> {
    let notes = || "已处理".to_string();
    Some(match act {
        Act::Claim => CaseAction::Claim,
        Act::Transfer => CaseAction::Transfer { to: if state.owner == Some(DISPATCHER) { OTHER_DISPATCHER } else { DISPATCHER } },
        Act::LogContact => CaseAction::LogContact { channel: ContactChannel::Phone, outcome: ContactOutcome::FollowUp, notes: notes() },
        Act::Pause => CaseAction::Pause { reason: PauseReason::WaitingForCustomer },
        Act::Resume => CaseAction::Resume,
        Act::ChangeSeverity => {
            CaseAction::ChangeSeverity { severity: if state.severity == Severity::General { Severity::Major } else { Severity::General } }
        }
        Act::Dispatch => CaseAction::Dispatch { technician: TECH, appointment_ms: 1_500_000, notes: String::new() },
        Act::OnTheWay => CaseAction::OnTheWay { minutes: 30 },
        Act::CheckIn => CaseAction::CheckIn,
        Act::EscalateTo => CaseAction::EscalateTo { target: EscalationTarget::Supervisor, due_ms: 1_900_000, notes: notes() },
        Act::Resolve => CaseAction::Resolve { summary: notes() },
        Act::Close => CaseAction::Close,
        Act::Note => CaseAction::Note { notes: notes() },
        Act::MessageCustomer => CaseAction::MessageCustomer { text: notes() },
        Act::IssueQuote => CaseAction::IssueQuote { amount_cents: 85_000, description: notes() },
        Act::Diagnose => CaseAction::Diagnose {
            cause: Cause::Product,
            exclusion: None,
            part: PartClass::Host,
            component: "主板".into(),
            notes: String::new(),
        },
        Act::RecordWork => work(),
        Act::Swap => {
            CaseAction::Swap { swap: SwapKind::Spare, serial: format!("SN{}", state.outstanding_swaps.len()), notes: String::new() }
        }
        Act::SwapReturned => {
            let (swap, serial) = state.outstanding_swaps.first().cloned().unwrap_or((SwapKind::Spare, "SN0".into()));
            CaseAction::SwapReturned { swap, serial, notes: String::new() }
        }
        Act::CorrectReport => CaseAction::CorrectReport { notes: notes() },
        Act::RegisterComplaint => {
            CaseAction::RegisterComplaint { category: ComplaintCategory::Quality, gravity: ComplaintGravity::Minor, text: notes() }
        }
        Act::AnswerComplaint => CaseAction::AnswerComplaint { notes: notes() },
        Act::ReturnVisit => CaseAction::ReturnVisit { outcome: ReturnVisitOutcome::Satisfied, notes: String::new() },
        Act::CollectSignature => return None,
    })
}

/// What a customer can do between staff actions, by number.
fn customer_step(state: &CaseState, pick: u8) -> Option<CaseEvent> {
    match pick % 4 {
        0 => answer_quote(state, pick % 8 < 6).ok(),
        1 => sign_report(state, "王芳", 1, "{}".into(), "00".into()).ok(),
        2 => customer_decide(
            state,
            &CustomerAction::Complain { category: ComplaintCategory::Other, gravity: ComplaintGravity::Minor, text: "太慢".into() },
        )
        .ok(),
        _ => customer_decide(state, &CustomerAction::Confirm { fixed: true, comment: String::new() }).ok(),
    }
}

mod permits {
    use super::*;
    use proptest::prelude::*;

    /// Random reachable cases: walks of staff actions (by anyone, often
    /// refused) and customer answers.
    fn walks() -> impl Strategy<Value = (Vec<LoggedEvent>, bool)> {
        (proptest::collection::vec((0usize..STAFF.len(), 0usize..Act::ALL.len(), any::<u8>()), 0..40), any::<bool>()).prop_map(
            |(steps, paid)| {
                let mut l = escalated();
                for (who, act, pick) in steps {
                    let state = CaseState::from_log(&l);
                    if pick % 3 == 0 {
                        if let Some(event) = customer_step(&state, pick / 3) {
                            l.push(LoggedEvent { at_ms: l.len() as i64 * 60_000, actor: Actor::Customer, event });
                        }
                        continue;
                    }
                    let (id, role) = STAFF[who];
                    let Some(action) = sample(Act::ALL[act], &state) else { continue };
                    if let Ok(event) = decide(&state, &action, &Context { paid_job: paid, ..cx(id, role) }) {
                        l.push(LoggedEvent { at_ms: l.len() as i64 * 60_000, actor: Actor::Staff { id }, event });
                    }
                }
                (l, paid)
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// A button is offered exactly when `decide` accepts a well-formed
        /// action of its kind, and shown as waiting exactly when `decide`
        /// refuses it for what the customer has not done yet.
        #[test]
        fn buttons_match_decide((l, paid) in walks()) {
            let state = CaseState::from_log(&l);
            for (id, role) in STAFF {
                let permits = permitted(&state, Staff { id, role }, paid);
                for act in Act::ALL {
                    let Some(action) = sample(act, &state) else { continue };
                    let decided = decide(&state, &action, &Context { paid_job: paid, ..cx(id, role) });
                    let permit = permits.iter().find(|p| p.act == act);
                    match (permit, &decided) {
                        (Some(Permit { waiting: None, .. }), Ok(_)) | (None, Err(Refusal::Role | Refusal::NotOwner | Refusal::State)) => {}
                        (Some(Permit { waiting: Some(why), .. }), Err(refused)) if why == refused => {}
                        _ => prop_assert!(false, "{act:?} by {role:?} {id}: permit {permit:?}, decide {decided:?}, state {state:?}"),
                    }
                }
            }
        }
    }
}

#[test]
fn parts_are_typed_one_per_line() {
    let parts = PartUsed::parse_lines("CR123A 电池 2\n\n 接收模块\n").unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!((parts[0].name.as_str(), parts[0].quantity), ("CR123A 电池", 2));
    assert_eq!((parts[1].name.as_str(), parts[1].quantity), ("接收模块", 1));
    assert!(PartUsed::parse_lines("螺丝 0").is_none());
    assert!(PartUsed::parse_lines("螺丝 -3").is_none());
}
