//! The case lifecycle over HTTP: staff actions, clocks derived from the
//! event log, the queue, live updates across instances, the breach job and
//! service settings. Every test on SQLite and on PostgreSQL.

use crate::support::fixtures::{MINUTE, PNG_DATA_URL};
use crate::support::{Db, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

on_both_databases!(
    a_case_goes_from_claim_to_close,
    roles_and_states_are_enforced_and_refusals_change_nothing,
    pauses_and_severity_changes_recompute_the_clocks,
    the_queue_filters_searches_and_sorts_by_deadline,
    changes_reach_the_live_stream_of_every_instance,
    one_breach_raise_per_clock_with_two_instances,
    service_settings_are_validated_and_drive_the_clocks,
);

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Escalates a report about the hospital's alarm panel; returns the case number.
pub(crate) async fn escalate(server: &TestServer, submission_id: &str, phone: &str) -> String {
    let res = server.call_form("load_widget", "org_key=demo-hospital", None).await;
    let asset = res.json()["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"].as_str().unwrap().contains("无线报警主机"))
        .and_then(|a| a["id"].as_i64())
        .unwrap();
    let body = json!({ "submission": {
        "org_key": "demo-hospital",
        "submission_id": submission_id,
        "reporter_name": "王芳",
        "phone": phone,
        "asset_id": asset,
        "symptom": "报警主机面板全部不亮，按键无反应",
        "guide_id": "",
        "guide_version": 0,
        "steps": [],
        "result": "escalate"
    }});
    let res = server.call_json("submit_case", &body, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["number"].as_str().unwrap().to_string()
}

pub(crate) async fn case(server: &TestServer, cookie: &str, number: &str) -> Value {
    let res = server.call_form("get_case", &format!("number={number}"), Some(cookie)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

pub(crate) fn clock<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["clocks"].as_array().unwrap().iter().find(|c| c["kind"] == kind).unwrap_or_else(|| panic!("no {kind} clock in {case}"))
}

pub(crate) fn kinds(case: &Value) -> Vec<String> {
    case["timeline"].as_array().unwrap().iter().map(|e| e["event"]["kind"].as_str().unwrap().to_string()).collect()
}

pub(crate) async fn staff_id(server: &TestServer, cookie: &str) -> i64 {
    server.call_form("current_staff", "", Some(cookie)).await.json()["id"].as_i64().unwrap()
}

/// Moves a case's history `minutes` into the past.
pub(crate) async fn backdate(server: &TestServer, number: &str, minutes: i64) {
    let id: i64 = number.trim_start_matches("FX-").parse().unwrap();
    server.execute(&format!("UPDATE case_events SET at = at - {} WHERE case_id = {id}", minutes * MINUTE)).await;
    server.execute(&format!("UPDATE cases SET created_at = created_at - {} WHERE id = {id}", minutes * MINUTE)).await;
    // The schedule kept on the row follows from the events: have it recomputed.
    server.execute(&format!("UPDATE cases SET next_deadline_ms = NULL WHERE id = {id}")).await;
}

async fn a_case_goes_from_claim_to_close(db: Db) {
    let server = TestServer::start(db).await;
    let number = escalate(&server, "lifecycle-0000000000000001", "13800138000").await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = staff_id(&server, &tech).await;

    let c = case(&server, &dispatcher, &number).await;
    assert_eq!(c["status"], "escalated");
    assert_eq!(clock(&c, "response")["target_minutes"], 60);
    assert!(clock(&c, "response")["deadline_ms"].as_i64().unwrap() > now_ms() + 58 * MINUTE);
    assert_eq!(clock(&c, "arrival")["target_minutes"], 120, "the hospital is inside ring road 1: 2 h");

    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "claim" })).await.status, 200);
    let c = case(&server, &dispatcher, &number).await;
    assert_eq!(c["status"], "acknowledged");
    assert_eq!(c["owner"], "调度 李娜");
    assert!(clock(&c, "response")["stopped_at_ms"].is_i64(), "claiming stops the response clock");
    assert_eq!(clock(&c, "response")["breached"], false);

    let contact = json!({ "action": "log_contact", "channel": "phone", "outcome": "needs_visit", "notes": "面板无电，需上门检查电源" });
    assert_eq!(server.act(&dispatcher, &number, contact).await.status, 200);

    // An appointment after the arrival deadline is accepted but marked late.
    let late = now_ms() + 3 * 60 * MINUTE;
    let dispatch = json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": late, "notes": "带 12V 电源适配器" });
    assert_eq!(server.act(&dispatcher, &number, dispatch).await.status, 200);
    let c = case(&server, &tech, &number).await;
    assert_eq!(c["status"], "dispatched");
    assert_eq!(c["technician"], "技术员 王强");
    let dispatched = c["timeline"].as_array().unwrap().iter().find(|e| e["event"]["kind"] == "dispatched").unwrap();
    assert_eq!(dispatched["event"]["late"], true);
    assert!(clock(&c, "dispatch")["stopped_at_ms"].is_i64());

    assert_eq!(server.act(&tech, &number, json!({ "action": "check_in" })).await.status, 200);
    assert!(clock(&case(&server, &tech, &number).await, "arrival")["stopped_at_ms"].is_i64());
    let resolve = json!({ "action": "resolve", "summary": "更换电源适配器，主机恢复正常" });
    assert_eq!(server.act(&tech, &number, resolve).await.status, 200);
    // A visit closes only with the customer's signature on the report.
    let res = server.act(&dispatcher, &number, json!({ "action": "close" })).await;
    assert_eq!((res.status, res.json()["kind"].clone()), (409, json!("not_signed")), "{}", res.text());
    let sign = json!({ "number": number, "signer": "王芳", "signature": PNG_DATA_URL });
    assert_eq!(server.call_json("sign_report", &sign, Some(&tech)).await.status, 200);
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "close" })).await.status, 200);

    let c = case(&server, &dispatcher, &number).await;
    assert_eq!(c["status"], "closed");
    assert_eq!(
        kinds(&c),
        ["escalated", "claimed", "contacted", "dispatched", "checked_in", "resolved", "report_signed", "closed"].map(String::from).to_vec()
    );
    // Every clock stopped but the return visit, which the fix started.
    for k in c["clocks"].as_array().unwrap() {
        assert_eq!(k["stopped_at_ms"].is_i64(), k["kind"] != "return_visit", "{k}");
    }
    let actors: Vec<&str> = c["timeline"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(actors[0], "客户");
    assert_eq!(actors[4], "技术员 王强");

    // Closed cases leave the open queue but a search still finds them.
    assert!(server.queue(&dispatcher, json!({})).await.is_empty());
    let found = server.queue(&dispatcher, json!({ "search": number })).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["status"], "closed");
    server.stop().await;
}

async fn roles_and_states_are_enforced_and_refusals_change_nothing(db: Db) {
    let server = TestServer::start(db).await;
    let number = escalate(&server, "lifecycle-0000000000000002", "13800138000").await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = staff_id(&server, &tech).await;
    let supervisor_id = staff_id(&server, &supervisor).await;
    let events = server.count("case_events").await;

    // A technician can neither claim nor do an owner's work.
    for action in [
        json!({ "action": "claim" }),
        json!({ "action": "transfer", "to": supervisor_id }),
        json!({ "action": "pause", "reason": "waiting_for_customer" }),
        json!({ "action": "close" }),
    ] {
        let res = server.act(&tech, &number, action.clone()).await;
        assert_eq!(res.status, 403, "technician {action}: {}", res.text());
        assert_eq!(res.json()["kind"], "forbidden");
    }
    // Nothing to close, resume or check in yet.
    for action in [json!({ "action": "close" }), json!({ "action": "resume" }), json!({ "action": "check_in" })] {
        let res = server.act(&supervisor, &number, action.clone()).await;
        assert_eq!(res.status, 409, "{action}: {}", res.text());
        assert_eq!(res.json()["kind"], "conflict");
    }
    // Malformed or out-of-range input.
    for action in [
        json!({ "action": "fly_to_the_moon" }),
        json!({ "action": "pause", "reason": "lunch" }),
        json!({ "action": "note", "notes": "   " }),
        json!({ "action": "note", "notes": "长".repeat(2001) }),
    ] {
        let res = server.act(&supervisor, &number, action.clone()).await;
        assert_eq!(res.status, 400, "{action}: {}", res.text());
    }
    assert_eq!(server.act(&supervisor, "FX-999999", json!({ "action": "claim" })).await.status, 404);
    assert_eq!(server.act(&supervisor, "not-a-case", json!({ "action": "claim" })).await.status, 404);
    assert_eq!(server.count("case_events").await, events, "refusals write nothing");

    // First responder owns it; a second claim is a conflict.
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "claim" })).await.status, 200);
    assert_eq!(server.act(&supervisor, &number, json!({ "action": "claim" })).await.status, 409);
    // Ownership goes only to a responder, never to a technician.
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "transfer", "to": tech_id })).await.status, 400);
    // The technician must be a technician, the appointment not in the past.
    let past = json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": now_ms() - 60 * MINUTE, "notes": "" });
    assert_eq!(server.act(&dispatcher, &number, past).await.status, 400);
    let wrong = json!({ "action": "dispatch", "technician": supervisor_id, "appointment_ms": now_ms() + 60 * MINUTE, "notes": "" });
    assert_eq!(server.act(&dispatcher, &number, wrong).await.status, 400);
    // A supervisor may transfer anyone's case.
    assert_eq!(server.act(&supervisor, &number, json!({ "action": "transfer", "to": supervisor_id })).await.status, 200);
    let c = case(&server, &supervisor, &number).await;
    assert_eq!(c["owner"], "主管 陈立");
    // The former owner is no longer the owner.
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "pause", "reason": "waiting_for_customer" })).await.status, 403);

    // Cross-site writes are refused before any of this.
    let res = server
        .request(
            "POST",
            "/api/case_action",
            &[("Content-Type", "application/json"), ("Origin", "https://evil.example"), ("Cookie", supervisor.as_str())],
            json!({ "number": number, "action": { "action": "close" } }).to_string().as_bytes(),
        )
        .await;
    assert_eq!(res.status, 403);
    server.stop().await;
}

async fn pauses_and_severity_changes_recompute_the_clocks(db: Db) {
    let server = TestServer::start(db).await;
    let number = escalate(&server, "lifecycle-0000000000000003", "13800138000").await;
    let supervisor = server.login("supervisor", "fixline-demo").await;
    backdate(&server, &number, 30).await;

    let c = case(&server, &supervisor, &number).await;
    let response = clock(&c, "response");
    assert_eq!(response["used_minutes"], 30);
    let deadline = response["deadline_ms"].as_i64().unwrap();
    assert!((deadline - (now_ms() + 30 * MINUTE)).abs() <= 2 * MINUTE, "{response}");

    let pause = json!({ "action": "pause", "reason": "waiting_for_customer" });
    assert_eq!(server.act(&supervisor, &number, pause.clone()).await.status, 200);
    let c = case(&server, &supervisor, &number).await;
    assert_eq!(c["paused"], "waiting_for_customer");
    assert_eq!(clock(&c, "response")["paused"], "waiting_for_customer");
    assert!(clock(&c, "response")["deadline_ms"].is_null(), "no deadline while paused");
    assert_eq!(server.act(&supervisor, &number, pause).await.status, 409, "already paused");

    // Say the pause began 20 minutes ago: only 10 minutes counted before it.
    let id: i64 = number.trim_start_matches("FX-").parse().unwrap();
    server.execute(&format!("UPDATE case_events SET at = at - {} WHERE case_id = {id} AND kind = 'paused'", 20 * MINUTE)).await;
    assert_eq!(server.act(&supervisor, &number, json!({ "action": "resume" })).await.status, 200);
    let c = case(&server, &supervisor, &number).await;
    let response = clock(&c, "response");
    assert!(response["paused"].is_null());
    assert_eq!(response["used_minutes"], 10);
    let deadline = response["deadline_ms"].as_i64().unwrap();
    assert!((deadline - (now_ms() + 50 * MINUTE)).abs() <= 2 * MINUTE, "the pause moved the deadline: {response}");

    // Severity recomputes the targets from history (brief: 24 h / 7 d / 48 h).
    for (severity, minutes) in [("emergency", 24 * 60), ("major", 7 * 24 * 60), ("general", 48 * 60)] {
        let c = case(&server, &supervisor, &number).await;
        if c["severity"] != severity {
            let res = server.act(&supervisor, &number, json!({ "action": "change_severity", "severity": severity })).await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
        let c = case(&server, &supervisor, &number).await;
        assert_eq!(c["severity"], severity);
        assert_eq!(clock(&c, "resolution")["target_minutes"], minutes, "{severity}");
    }
    let c = case(&server, &supervisor, &number).await;
    assert!(kinds(&c).iter().filter(|k| *k == "severity_changed").count() >= 2);
    assert_eq!(kinds(&c).iter().filter(|k| *k == "paused" || *k == "resumed").count(), 2);
    server.stop().await;
}

async fn the_queue_filters_searches_and_sorts_by_deadline(db: Db) {
    let server = TestServer::start(db).await;
    let fresh = escalate(&server, "lifecycle-0000000000000004", "13800138000").await;
    let old = escalate(&server, "lifecycle-0000000000000005", "021-63850000").await;
    backdate(&server, &old, 90).await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;

    let rows = server.queue(&dispatcher, json!({})).await;
    let numbers: Vec<&str> = rows.iter().map(|r| r["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, [old.as_str(), fresh.as_str()], "the nearest deadline first");
    assert_eq!(rows[0]["overdue"], true, "90 minutes unacknowledged is past the 1 h response target");
    assert_eq!(rows[0]["next_clock"]["kind"], "response");
    assert_eq!(rows[1]["overdue"], false);

    let overdue = server.queue(&dispatcher, json!({ "overdue": true })).await;
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["number"], old.as_str());

    assert_eq!(server.act(&dispatcher, &fresh, json!({ "action": "claim" })).await.status, 200);
    let mine = server.queue(&dispatcher, json!({ "mine": true })).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["number"], fresh.as_str());
    assert!(server.queue(&tech, json!({ "mine": true })).await.is_empty());
    assert_eq!(server.queue(&dispatcher, json!({ "status": "acknowledged" })).await.len(), 1);
    assert_eq!(server.queue(&dispatcher, json!({ "status": "escalated" })).await.len(), 1);

    // Search by case number, phone (part of it) and asset serial (any case).
    assert_eq!(server.queue(&dispatcher, json!({ "search": old })).await.len(), 1);
    assert_eq!(server.queue(&dispatcher, json!({ "search": "63850000" })).await.len(), 1);
    assert_eq!(server.queue(&dispatcher, json!({ "search": "ha88-2024" })).await.len(), 2);
    assert!(server.queue(&dispatcher, json!({ "search": "%" })).await.is_empty(), "wildcards are literal");
    assert!(server.queue(&dispatcher, json!({ "severity": "emergency" })).await.is_empty());

    // The other organisation's filter shows none of these.
    let res = server.call_json("list_queue", &json!({ "filter": {} }), Some(&dispatcher)).await;
    let orgs = res.json()["organisations"].as_array().unwrap().clone();
    let factory = orgs.iter().find(|o| o[1].as_str().unwrap().contains("制造")).unwrap()[0].as_i64().unwrap();
    assert!(server.queue(&dispatcher, json!({ "org": factory })).await.is_empty());

    // A bad filter is a clear 400, not a 500.
    let res = server.call_json("list_queue", &json!({ "filter": { "status": "lost" } }), Some(&dispatcher)).await;
    assert_eq!(res.status, 400);
    server.stop().await;
}

async fn changes_reach_the_live_stream_of_every_instance(db: Db) {
    let a = TestServer::start(db).await;
    // On PostgreSQL a second instance shares the database; on SQLite the
    // one instance streams its own changes.
    let b = match db {
        Db::Postgres => Some(a.another_instance(&[]).await),
        Db::Sqlite => None,
    };
    let watcher = b.as_ref().unwrap_or(&a);
    let dispatcher = a.login("dispatcher", "fixline-demo").await;

    let res = watcher.request("GET", "/console/live", &[], b"").await;
    assert_eq!(res.status, 401, "the live stream needs a staff session");

    let mut stream = watcher.live_stream(&dispatcher).await;
    // Let the subscription settle before the change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let number = escalate(&a, "lifecycle-0000000000000006", "13800138000").await;
    assert!(stream.wait_for(&number, Duration::from_secs(10)).await, "escalation streamed: {}", stream.status_line());
    assert_eq!(a.act(&dispatcher, &number, json!({ "action": "claim" })).await.status, 200);
    let mut second = watcher.live_stream(&dispatcher).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.act(&dispatcher, &number, json!({ "action": "note", "notes": "已电话联系" })).await.status, 200);
    assert!(second.wait_for(&number, Duration::from_secs(10)).await, "staff action streamed");
    if let Some(b) = b {
        b.stop().await;
    }
    a.stop().await;
}

async fn one_breach_raise_per_clock_with_two_instances(db: Db) {
    let a = TestServer::start_with(db, &["--breach-every", "1"]).await;
    let b = a.another_instance(&["--breach-every", "1"]).await;
    let supervisor = a.login("supervisor", "fixline-demo").await;
    let number = escalate(&a, "lifecycle-0000000000000007", "13800138000").await;
    let quiet = escalate(&a, "lifecycle-0000000000000008", "13800138000").await;
    // Five hours unacknowledged: response and dispatch overdue, and past 4 h.
    backdate(&a, &number, 5 * 60).await;

    let breaches = |c: &Value| -> Vec<(String, String)> {
        c["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"]["kind"] == "breach_raised")
            .map(|e| (e["event"]["clock"].as_str().unwrap().to_string(), e["event"]["level"].as_str().unwrap().to_string()))
            .collect()
    };
    let mut raised = Vec::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        raised = breaches(&case(&a, &supervisor, &number).await);
        if raised.len() >= 3 {
            break;
        }
    }
    // Several more rounds on both instances: still exactly one of each.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut raised_now = breaches(&case(&a, &supervisor, &number).await);
    raised_now.sort();
    assert_eq!(raised.len(), 3, "{raised:?}");
    assert_eq!(
        raised_now,
        [("dispatch", "management"), ("dispatch", "supervisor"), ("response", "supervisor")]
            .map(|(c, l)| (c.to_string(), l.to_string()))
            .to_vec()
    );
    let c = case(&a, &supervisor, &number).await;
    assert_eq!(c["timeline"].as_array().unwrap().last().unwrap()["actor"], "系统");
    assert!(breaches(&case(&a, &supervisor, &quiet).await).is_empty(), "a case within its targets is left alone");
    b.stop().await;
    a.stop().await;
}

async fn service_settings_are_validated_and_drive_the_clocks(db: Db) {
    let server = TestServer::start(db).await;
    let admin = server.login("admin", "fixline-demo").await;
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    assert_eq!(server.call_form("load_settings", "", Some(&tech)).await.status, 403);
    let res = server.call_form("load_settings", "", Some(&supervisor)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let settings = res.json();
    assert_eq!(settings["can_edit"], false);
    assert_eq!(settings["calendar"]["weekly"][0], "08:30-12:00 13:30-17:30");
    let hospital = settings["orgs"].as_array().unwrap().iter().find(|o| o["name"] == "市第一人民医院").unwrap().clone();
    assert_eq!(hospital["policy"]["response"]["minutes"], 60);

    let week = |monday: &str| json!([monday, "08:30-17:30", "08:30-17:30", "08:30-17:30", "08:30-17:30", "", ""]);
    let calendar = |weekly: Value, holidays: &str| json!({ "form": { "always": false, "weekly": weekly, "holidays": holidays } });
    // Only admins save; bad hours and bad holiday lines are named, and nothing is saved.
    let good = calendar(week("08:30-12:00 13:30-17:30"), "日期,类型,名称\n2026-10-01,假,国庆节\n2026-10-10,班,国庆调休\n");
    assert_eq!(server.call_json("save_calendar", &good, Some(&supervisor)).await.status, 403);
    let res = server.call_json("save_calendar", &calendar(week("8-12"), "2026-10-01,假\n2026-13-01,假\n"), Some(&admin)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let problems = res.json()["problems"].clone();
    assert_eq!(problems[0], json!({ "problem": "bad_hours", "weekday": 0 }));
    assert_eq!(problems[1], json!({ "problem": "holiday_line", "line": 2, "issue": "bad_date" }));
    assert_eq!(server.count("service_calendars").await, 0);
    let res = server.call_json("save_calendar", &good, Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let saved = server.call_form("load_settings", "", Some(&admin)).await.json();
    assert_eq!(saved["can_edit"], true);
    assert!(saved["calendar"]["holidays"].as_str().unwrap().contains("国庆调休"), "the list keeps its names");

    // A contract with a 30-minute response counted in working time.
    let mut policy = hospital["policy"].clone();
    policy["response"] = json!({ "minutes": 30, "basis": "working" });
    let org_id = hospital["id"].as_i64().unwrap();
    let bad = {
        let mut p = policy.clone();
        p["dispatch"]["minutes"] = json!(0);
        p
    };
    assert_eq!(server.call_json("save_policy", &json!({ "org_id": org_id, "policy": bad }), Some(&admin)).await.status, 422);
    assert_eq!(server.call_json("save_policy", &json!({ "org_id": 99999, "policy": policy }), Some(&admin)).await.status, 404);
    let res = server.call_json("save_policy", &json!({ "org_id": org_id, "policy": policy }), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());

    // The hospital's outpatient building moves to a nearby-city zone: 6 h arrival.
    let site = hospital["sites"].as_array().unwrap().iter().find(|s| s["name"] == "门诊楼").unwrap()["id"].as_i64().unwrap();
    assert_eq!(server.call_json("save_site_zone", &json!({ "site_id": site, "zone": "mars" }), Some(&admin)).await.status, 400);
    let res = server.call_json("save_site_zone", &json!({ "site_id": site, "zone": "nearby_city" }), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let number = escalate(&server, "lifecycle-0000000000000009", "13800138000").await;
    let c = case(&server, &admin, &number).await;
    assert_eq!(clock(&c, "response")["target_minutes"], 30);
    assert_eq!(clock(&c, "response")["working_time"], true);
    assert_eq!(clock(&c, "arrival")["target_minutes"], 6 * 60);
    server.stop().await;
}
