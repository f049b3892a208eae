//! The case lifecycle over HTTP: staff actions, clocks derived from the
//! event log, the queue, live updates across instances and the breach job.
//! Every test runs on SQLite and on PostgreSQL.

#[macro_use]
mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{Db, TestServer};

on_both_databases!(
    a_case_goes_from_claim_to_close,
    roles_and_states_are_enforced_and_refusals_change_nothing,
    pauses_and_severity_changes_recompute_the_clocks,
    the_queue_filters_searches_and_sorts_by_deadline,
    changes_reach_the_live_stream_of_every_instance,
    one_breach_raise_per_clock_with_two_instances,
    service_settings_are_validated_and_drive_the_clocks,
    warranty_and_repeat_faults_show_on_the_case,
    customers_track_their_case_by_its_token_only,
    a_paid_repair_waits_for_the_customers_approval,
    a_visit_ends_with_a_signed_report_rating_and_return_visit,
    photos_are_checked_by_type_size_and_owner,
    warranty_follows_components_downtime_and_diagnosis,
    photos_taken_during_a_guide_walk_reach_the_case,
);

/// A 1×1 PNG as a canvas would hand it over.
const PNG_DATA_URL: &str =
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const MINUTE: i64 = 60_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Escalates a report about the hospital's alarm panel; returns the case number.
async fn escalate(server: &TestServer, submission_id: &str, phone: &str) -> String {
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

async fn case(server: &TestServer, cookie: &str, number: &str) -> Value {
    let res = server.call_form("get_case", &format!("number={number}"), Some(cookie)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

fn clock<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["clocks"].as_array().unwrap().iter().find(|c| c["kind"] == kind).unwrap_or_else(|| panic!("no {kind} clock in {case}"))
}

fn kinds(case: &Value) -> Vec<String> {
    case["timeline"].as_array().unwrap().iter().map(|e| e["event"]["kind"].as_str().unwrap().to_string()).collect()
}

async fn staff_id(server: &TestServer, cookie: &str) -> i64 {
    server.call_form("current_staff", "", Some(cookie)).await.json()["id"].as_i64().unwrap()
}

/// Moves a case's history `minutes` into the past.
async fn backdate(server: &TestServer, number: &str, minutes: i64) {
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

/// Escalates after walking the alarm-panel guide (so repeats of the same fault are recognised).
async fn escalate_walked(server: &TestServer, org_key: &str, submission_id: &str) -> String {
    let res = server.call_form("load_widget", &format!("org_key={org_key}"), None).await;
    let asset = res.json()["assets"].as_array().unwrap().iter().find(|a| a["label"].as_str().unwrap().contains("无线报警主机")).unwrap()
        ["id"]
        .clone();
    let body = json!({ "submission": {
        "org_key": org_key, "submission_id": submission_id, "reporter_name": "王芳", "phone": "13800138000",
        "asset_id": asset, "symptom": "报警主机面板全部不亮", "guide_id": "alarm-panel-first-aid", "guide_version": 2,
        "steps": [
            { "node": "lights", "choice": "all_off", "at_ms": 1_700_000_000_000i64 },
            { "node": "power", "choice": "no", "at_ms": 1_700_000_030_000i64 }
        ],
        "result": "escalate"
    }});
    let res = server.call_json("submit_case", &body, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["number"].as_str().unwrap().to_string()
}

async fn warranty_and_repeat_faults_show_on_the_case(db: Db) {
    let server = TestServer::start(db).await;
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let fixed_by_phone = json!({ "action": "log_contact", "channel": "phone", "outcome": "resolved", "notes": "指导客户更换电源后恢复" });

    let first = escalate_walked(&server, "demo-hospital", "repeat-00000000000000001").await;
    let c = case(&server, &supervisor, &first).await;
    assert_eq!(c["warranty"], json!({ "status": "covered", "until": { "year": 2027, "month": 3, "day": 14 } }));
    assert_eq!(c["billing"], "C");
    assert!(c["repeat"].is_null());
    assert_eq!(server.act(&supervisor, &first, json!({ "action": "claim" })).await.status, 200);
    assert_eq!(server.act(&supervisor, &first, fixed_by_phone.clone()).await.status, 200);

    let second = escalate_walked(&server, "demo-hospital", "repeat-00000000000000002").await;
    let c = case(&server, &supervisor, &second).await;
    assert_eq!(c["repeat"], json!({ "occurrence": 2, "replace_unit": false, "return_visit_of": first }));
    assert_eq!(server.act(&supervisor, &second, json!({ "action": "claim" })).await.status, 200);
    assert_eq!(server.act(&supervisor, &second, fixed_by_phone).await.status, 200);

    let third = escalate_walked(&server, "demo-hospital", "repeat-00000000000000003").await;
    let c = case(&server, &supervisor, &third).await;
    assert_eq!(c["repeat"], json!({ "occurrence": 3, "replace_unit": true, "return_visit_of": second }));

    // The factory's 2022 panel is out of warranty: a paid job.
    let old = escalate_walked(&server, "demo-factory", "repeat-00000000000000004").await;
    let c = case(&server, &supervisor, &old).await;
    assert_eq!(c["warranty"]["status"], "expired");
    assert_eq!(c["billing"], "A");
    assert!(c["repeat"].is_null(), "another unit's history does not count");
    server.stop().await;
}

async fn customers_track_their_case_by_its_token_only(db: Db) {
    let server = TestServer::start(db).await;
    let res = server.call_form("load_widget", "org_key=demo-hospital", None).await;
    let asset = res.json()["assets"][0]["id"].clone();
    let body = json!({ "submission": {
        "org_key": "demo-hospital", "submission_id": "track-000000000000000001", "reporter_name": "王芳",
        "phone": "13800138000", "asset_id": asset, "symptom": "摄像机无图像", "guide_id": "", "guide_version": 0,
        "steps": [], "result": "escalate"
    }});
    let receipt = server.call_json("submit_case", &body, None).await.json();
    let (number, token) = (receipt["number"].as_str().unwrap().to_string(), receipt["access_token"].as_str().unwrap().to_string());
    let track = |org: &str, token: &str| format!("org_key={org}&token={token}");

    let res = server.call_form("track_case", &track("demo-hospital", &token), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["number"], number.as_str());
    assert_eq!(res.json()["status"], "escalated");

    // Another organisation's widget, a guessed or malformed token: nothing.
    for (org, tok) in
        [("demo-factory", token.as_str()), ("demo-hospital", &"0".repeat(64)), ("demo-hospital", "abc"), ("nobody", token.as_str())]
    {
        let res = server.call_form("track_case", &track(org, tok), None).await;
        assert_eq!(res.status, 404, "{org} {tok}: {}", res.text());
    }

    let supervisor = server.login("supervisor", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = staff_id(&server, &tech).await;
    assert_eq!(server.act(&supervisor, &number, json!({ "action": "claim" })).await.status, 200);
    let contact = json!({ "action": "log_contact", "channel": "phone", "outcome": "needs_visit", "notes": "客户语气急躁-内部" });
    assert_eq!(server.act(&supervisor, &number, contact).await.status, 200);
    let dispatch =
        json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": now_ms() + 60 * MINUTE, "notes": "带备用硬盘-内部" });
    assert_eq!(server.act(&supervisor, &number, dispatch).await.status, 200);

    let res = server.call_form("track_case", &track("demo-hospital", &token), None).await;
    let text = res.text();
    assert_eq!(res.json()["status"], "dispatched");
    assert_eq!(res.json()["technician"], "技术员 王强");
    assert!(res.json()["appointment"].is_string());
    assert!(!text.contains("内部"), "staff notes never reach the customer: {text}");
    let tracked = res.json();
    let kinds: Vec<&str> = tracked["updates"].as_array().unwrap().iter().map(|u| u["event"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["escalated", "claimed", "dispatched"]);
    server.stop().await;
}

async fn a_paid_repair_waits_for_the_customers_approval(db: Db) {
    let server = TestServer::start(db).await;
    // The factory's 2022 alarm panel is out of warranty.
    let res = server.call_form("load_widget", "org_key=demo-factory", None).await;
    let asset = res.json()["assets"].as_array().unwrap().iter().find(|a| a["label"].as_str().unwrap().contains("无线报警主机")).unwrap()
        ["id"]
        .clone();
    let body = json!({ "submission": {
        "org_key": "demo-factory", "submission_id": "quote-000000000000000001", "reporter_name": "赵工",
        "phone": "13900139000", "asset_id": asset, "symptom": "主机反复重启", "guide_id": "", "guide_version": 0,
        "steps": [], "result": "escalate"
    }});
    let receipt = server.call_json("submit_case", &body, None).await.json();
    let (number, token) = (receipt["number"].as_str().unwrap().to_string(), receipt["access_token"].as_str().unwrap().to_string());
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = staff_id(&server, &tech).await;
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "claim" })).await.status, 200);
    let dispatch = json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": now_ms() + 60 * MINUTE, "notes": "" });
    let res = server.act(&dispatcher, &number, dispatch.clone()).await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert_eq!(res.json()["kind"], "quote_not_approved");

    let answer = |token: &str, approved: bool| format!("org_key=demo-factory&token={token}&approved={approved}");
    assert_eq!(server.call_form("answer_quote", &answer(&token, true), None).await.status, 409, "no quote yet");
    let quote = json!({ "action": "issue_quote", "amount_cents": 85_000, "description": "更换主板及电源模块" });
    assert_eq!(server.act(&dispatcher, &number, quote).await.status, 200);
    assert_eq!(server.act(&dispatcher, &number, dispatch.clone()).await.status, 409, "not approved yet");
    let tracked = server.call_form("track_case", &format!("org_key=demo-factory&token={token}"), None).await.json();
    assert_eq!(tracked["quote"], json!({ "amount_cents": 85_000, "description": "更换主板及电源模块", "approved": null }));

    assert_eq!(server.call_form("answer_quote", &answer(&"f".repeat(64), true), None).await.status, 404);
    let wrong_org = format!("org_key=demo-hospital&token={token}&approved=true");
    assert_eq!(server.call_form("answer_quote", &wrong_org, None).await.status, 404);
    let res = server.call_form("answer_quote", &answer(&token, true), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(server.call_form("answer_quote", &answer(&token, false), None).await.status, 409, "answered once");

    let res = server.act(&dispatcher, &number, dispatch).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let c = case(&server, &dispatcher, &number).await;
    assert_eq!(c["quote"]["approved"], true);
    let answered = c["timeline"].as_array().unwrap().iter().find(|e| e["event"]["kind"] == "quote_answered").unwrap().clone();
    assert_eq!(answered["actor"], "客户");
    server.stop().await;
}

/// Claims, dispatches to the demo technician and checks in; returns (dispatcher, tech) cookies.
async fn on_site(server: &TestServer, number: &str) -> (String, String) {
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = staff_id(server, &tech).await;
    assert_eq!(server.act(&dispatcher, number, json!({ "action": "claim" })).await.status, 200);
    let dispatch = json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": now_ms() + 60 * MINUTE, "notes": "带备用电池" });
    assert_eq!(server.act(&dispatcher, number, dispatch).await.status, 200);
    assert_eq!(server.act(&tech, number, json!({ "action": "check_in" })).await.status, 200);
    (dispatcher, tech)
}

/// Uploads a photo as the widget and console do: `token=` and `submission=`
/// in `query` travel as the `X-Fixline-Token` and `X-Fixline-Submission`
/// headers (the server refuses them in the URL).
async fn upload(server: &TestServer, query: &str, cookie: Option<&str>, body: &[u8]) -> support::Response {
    let origin = format!("http://{}", server.addr);
    let mut headers = vec![("Origin", origin.as_str()), ("Content-Type", "application/octet-stream")];
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    let mut rest = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("token", v)) => headers.push(("X-Fixline-Token", v)),
            Some(("submission", v)) => headers.push(("X-Fixline-Submission", v)),
            _ => rest.push(pair),
        }
    }
    server.request("POST", &format!("/api/attachments?{}", rest.join("&")), &headers, body).await
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[0u8; 64]);
    v
}

async fn a_visit_ends_with_a_signed_report_rating_and_return_visit(db: Db) {
    let server = TestServer::start(db).await;
    let res = server.call_form("load_widget", "org_key=demo-hospital", None).await;
    let asset = res.json()["assets"].as_array().unwrap().iter().find(|a| a["label"].as_str().unwrap().contains("无线报警主机")).unwrap()
        ["id"]
        .clone();
    let body = json!({ "submission": {
        "org_key": "demo-hospital", "submission_id": "visit-000000000000000001", "reporter_name": "王芳",
        "phone": "13800138000", "asset_id": asset, "symptom": "遥控器无法布防", "guide_id": "", "guide_version": 0,
        "steps": [], "result": "escalate"
    }});
    let receipt = server.call_json("submit_case", &body, None).await.json();
    let (number, token) = (receipt["number"].as_str().unwrap().to_string(), receipt["access_token"].as_str().unwrap().to_string());
    let (dispatcher, tech) = on_site(&server, &number).await;
    let supervisor = server.login("supervisor", "fixline-demo").await;

    // Diagnosis: a customer cause must name its exclusion; an accessory sets a 1-day repair clock.
    let bad = json!({ "action": "diagnose", "cause": "customer", "exclusion": null, "part": "accessory", "component": "", "notes": "" });
    assert_eq!(server.act(&tech, &number, bad).await.status, 400);
    let diagnose = json!({ "action": "diagnose", "cause": "product", "exclusion": null, "part": "accessory", "component": "", "notes": "遥控器电池耗尽" });
    assert_eq!(server.act(&tech, &number, diagnose).await.status, 200);
    let c = case(&server, &tech, &number).await;
    assert_eq!(clock(&c, "repair")["target_minutes"], 24 * 60);
    assert_eq!(c["billing"], "C", "a product fault in warranty is free");

    // The work record, with a photo of this case only.
    let photo = upload(&server, &format!("case={number}&name=remote.png"), Some(&tech), &png()).await;
    assert_eq!(photo.status, 200, "{}", photo.text());
    let photo_id = photo.json()["id"].as_i64().unwrap();
    let work = |photos: Value| {
        json!({ "action": "record_work", "findings": "电池电压 2.1 V", "actions": "更换电池并重新对码",
        "parts": [{ "name": "CR2032 电池", "quantity": 2 }], "minutes_worked": 40, "downtime_minutes": 0, "photos": photos })
    };
    assert_eq!(server.act(&tech, &number, work(json!([999_999]))).await.status, 400, "someone else's photo");
    let res = server.act(&tech, &number, work(json!([photo_id]))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let file = server.request("GET", &format!("/console/files/{photo_id}"), &[("Cookie", tech.as_str())], b"").await;
    assert_eq!((file.status, file.header("content-type")), (200, Some("image/png")));
    assert_eq!(server.request("GET", &format!("/console/files/{photo_id}"), &[], b"").await.status, 401);

    // The technician's list shows the visit; after the fix it waits for the signature.
    let visits = server.call_form("my_visits", "", Some(&tech)).await.json();
    assert_eq!(visits[0]["number"], number.as_str());
    assert_eq!(visits[0]["status"], "on_site");
    assert_eq!(server.act(&tech, &number, json!({ "action": "resolve", "summary": "已恢复布防" })).await.status, 200);
    let visits = server.call_form("my_visits", "", Some(&tech)).await.json();
    assert_eq!(visits[0]["needs_signature"], true);

    // The draft report lists the parts; the customer signs once.
    let page = server.call_form("get_report", &format!("number={number}"), Some(&tech)).await.json();
    assert_eq!(page["can_sign"], true);
    assert_eq!(page["draft"]["parts"], json!([{ "name": "CR2032 电池", "quantity": 2 }]));
    let sign = |signer: &str, sig: &str| json!({ "number": number, "signer": signer, "signature": sig });
    assert_eq!(server.call_json("sign_report", &sign("王芳", "data:text/html;base64,PHNjcmlwdD4="), Some(&tech)).await.status, 415);
    assert_eq!(server.call_json("sign_report", &sign(" ", PNG_DATA_URL), Some(&tech)).await.status, 400);
    let anonymous = server.call_json("sign_report", &sign("王芳", PNG_DATA_URL), None).await;
    assert_eq!(anonymous.status, 401);
    let res = server.call_json("sign_report", &sign("王芳", PNG_DATA_URL), Some(&tech)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(server.call_json("sign_report", &sign("王芳", PNG_DATA_URL), Some(&tech)).await.status, 409);
    let page = server.call_form("get_report", &format!("number={number}"), Some(&dispatcher)).await.json();
    let signed = &page["signed"];
    assert_eq!((signed["signer"].as_str(), signed["verified"].as_bool()), (Some("王芳"), Some(true)));
    assert_eq!(signed["hash"].as_str().unwrap().len(), 64);
    assert_eq!(signed["report"]["work"][0]["photos"], json!([photo_id]));

    // Signed means final: no more edits, corrections are new entries.
    assert_eq!(server.act(&tech, &number, work(json!([]))).await.status, 409);
    assert_eq!(server.act(&tech, &number, json!({ "action": "correct_report", "notes": "电池型号应为 CR2025" })).await.status, 200);
    let again = server.call_form("get_report", &format!("number={number}"), Some(&dispatcher)).await.json();
    assert_eq!(again["signed"]["hash"], signed["hash"]);
    assert_eq!(again["signed"]["corrections"].as_array().unwrap().len(), 1);
    // Anyone editing the stored text behind the app's back is caught by the hash.
    server.execute("UPDATE case_events SET data = REPLACE(data, '更换电池并重新对码', '未做任何处理') WHERE kind = 'report_signed'").await;
    let tampered = server.call_form("get_report", &format!("number={number}"), Some(&dispatcher)).await.json();
    assert_eq!(tampered["signed"]["verified"], false);
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "close" })).await.status, 200);

    // The customer rates (4 levels), confirms, complains; all once.
    let customer = |action: Value| json!({ "org_key": "demo-hospital", "token": token, "action": action });
    let rating = |v: u8| json!({ "action": "rate", "rating": { "attitude": v, "skill": 4, "punctuality": 3, "promise_kept": 4, "comment": "很及时" } });
    assert_eq!(server.call_json("customer_action", &customer(rating(5)), None).await.status, 400);
    assert_eq!(server.call_json("customer_action", &customer(rating(4)), None).await.status, 200);
    assert_eq!(server.call_json("customer_action", &customer(rating(4)), None).await.status, 409);
    let wrong_org = json!({ "org_key": "demo-factory", "token": token, "action": rating(4) });
    assert_eq!(server.call_json("customer_action", &wrong_org, None).await.status, 404);
    let confirm = json!({ "action": "confirm", "fixed": true, "comment": "" });
    assert_eq!(server.call_json("customer_action", &customer(confirm), None).await.status, 200);
    let complain = json!({ "action": "complain", "category": "human", "gravity": "minor", "text": "技术员未穿鞋套" });
    assert_eq!(server.call_json("customer_action", &customer(complain), None).await.status, 200);
    let tracked = server.call_form("track_case", &format!("org_key=demo-hospital&token={token}"), None).await.json();
    assert_eq!((tracked["state"]["signed"].as_bool(), tracked["state"]["rated"].as_bool()), (Some(true), Some(true)));
    assert!(!tracked.to_string().contains("电池电压"), "work notes stay inside");

    // Complaints: 3 working days, answered above the first responder.
    let c = case(&server, &dispatcher, &number).await;
    assert_eq!(clock(&c, "complaint")["working_time"], true);
    assert!(clock(&c, "return_visit")["deadline_ms"].is_i64());
    let answer = json!({ "action": "answer_complaint", "notes": "已致电致歉并培训" });
    assert_eq!(server.act(&dispatcher, &number, answer.clone()).await.status, 403);
    assert_eq!(server.act(&supervisor, &number, answer).await.status, 200);

    // Follow-up list and ratings, by role.
    assert_eq!(server.call_form("list_follow_ups", "", Some(&tech)).await.status, 403);
    let fu = server.call_form("list_follow_ups", "", Some(&dispatcher)).await.json();
    assert!(fu["return_visits"].as_array().unwrap().iter().any(|r| r["number"] == number.as_str()));
    assert!(fu["complaints"].as_array().unwrap().is_empty());
    assert_eq!(server.call_form("list_ratings", "", Some(&dispatcher)).await.status, 403);
    let ratings = server.call_form("list_ratings", "", Some(&supervisor)).await.json();
    let row = ratings.as_array().unwrap().iter().find(|r| r["technician"] == "技术员 王强").unwrap().clone();
    assert_eq!((row["jobs"].as_i64(), row["attitude"].as_i64(), row["punctuality"].as_i64()), (Some(1), Some(400), Some(300)));

    // The return visit is recorded once, by intake staff or leads.
    let visit = json!({ "action": "return_visit", "outcome": "satisfied", "notes": "" });
    assert_eq!(server.act(&tech, &number, visit.clone()).await.status, 403);
    assert_eq!(server.act(&dispatcher, &number, visit.clone()).await.status, 200);
    assert_eq!(server.act(&dispatcher, &number, visit).await.status, 409);
    let fu = server.call_form("list_follow_ups", "", Some(&dispatcher)).await.json();
    assert!(!fu["return_visits"].as_array().unwrap().iter().any(|r| r["number"] == number.as_str()));
    assert!(clock(&case(&server, &dispatcher, &number).await, "return_visit")["stopped_at_ms"].is_i64());
    server.stop().await;
}

async fn photos_are_checked_by_type_size_and_owner(db: Db) {
    let server = TestServer::start(db).await;
    let res = server.call_form("load_widget", "org_key=demo-hospital", None).await;
    let asset = res.json()["assets"][0]["id"].clone();
    let body = json!({ "submission": {
        "org_key": "demo-hospital", "submission_id": "photo-000000000000000001", "reporter_name": "王芳",
        "phone": "13800138000", "asset_id": asset, "symptom": "探测器误报", "guide_id": "", "guide_version": 0,
        "steps": [], "result": "escalate"
    }});
    let receipt = server.call_json("submit_case", &body, None).await.json();
    let (number, token) = (receipt["number"].as_str().unwrap().to_string(), receipt["access_token"].as_str().unwrap().to_string());
    let technician = server.login("tech", "fixline-demo").await;
    let tech = server.login("dispatcher", "fixline-demo").await;
    let before = server.count("attachments").await;
    // A technician adds photos only to their own visits; this case is not dispatched.
    assert_eq!(upload(&server, &format!("case={number}"), Some(&technician), &png()).await.status, 403);
    // Secrets never in the URL, even when the header is right.
    let origin = format!("http://{}", server.addr);
    let in_url = server
        .request(
            "POST",
            &format!("/api/attachments?case={number}&org=demo-hospital&token={token}"),
            &[("Origin", origin.as_str()), ("X-Fixline-Token", token.as_str())],
            &png(),
        )
        .await;
    assert_eq!(in_url.status, 400);

    let res = upload(&server, &format!("case={number}"), Some(&tech), b"%PDF-1.7 not a photo").await;
    assert_eq!(
        (res.status, res.json()["kind"].as_str(), res.json()["problem"]["problem"].as_str()),
        (415, Some("invalid_upload"), Some("not_an_image"))
    );
    let res = upload(&server, &format!("case={number}"), Some(&tech), b"").await;
    assert_eq!(res.status, 415);
    let mut big = png();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let res = upload(&server, &format!("case={number}"), Some(&tech), &big).await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert_eq!(upload(&server, &format!("case={number}"), None, &png()).await.status, 401);
    assert_eq!(upload(&server, "case=FX-999999", Some(&tech), &png()).await.status, 404);
    // Customers: their own case by its token, and no other.
    let other = format!("FX-{:06}", number.trim_start_matches("FX-").parse::<i64>().unwrap() + 1);
    let wrong = upload(&server, &format!("case={other}&org=demo-hospital&token={token}"), None, &png()).await;
    assert_eq!(wrong.status, 404);
    assert_eq!(upload(&server, &format!("case={number}&org=demo-factory&token={token}"), None, &png()).await.status, 404);
    assert_eq!(server.count("attachments").await, before, "refused uploads store nothing");
    let ok = upload(&server, &format!("case={number}&org=demo-hospital&token={token}&name=a.jpg"), None, b"\xFF\xD8\xFF\xE0jpeg").await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let id = ok.json()["id"].as_i64().unwrap();
    let add = json!({ "org_key": "demo-hospital", "token": token, "action": { "action": "add_info", "text": "现场照片", "photos": [id] } });
    assert_eq!(server.call_json("customer_action", &add, None).await.status, 200);
    // A cross-site upload is refused like any other write.
    let res = server
        .request(
            "POST",
            &format!("/api/attachments?case={number}"),
            &[("Origin", "https://evil.example"), ("Cookie", tech.as_str())],
            &png(),
        )
        .await;
    assert_eq!(res.status, 403);
    server.stop().await;
}

async fn warranty_follows_components_downtime_and_diagnosis(db: Db) {
    let server = TestServer::start(db).await;
    let first = escalate(&server, "warranty-00000000000000001", "13800138000").await;
    let (dispatcher, tech) = on_site(&server, &first).await;
    let c = case(&server, &dispatcher, &first).await;
    let until = day(&c["warranty"]["until"]);
    assert_eq!(c["billing"], "C");

    // Parts of this panel have a 1-year term: a part diagnosed is out of warranty, so paid.
    let part =
        json!({ "action": "diagnose", "cause": "product", "exclusion": null, "part": "accessory", "component": "parts", "notes": "" });
    assert_eq!(server.act(&tech, &first, part).await.status, 200);
    assert_eq!(case(&server, &dispatcher, &first).await["billing"], "A");
    // Our own installation fault: internal.
    let install = json!({ "action": "diagnose", "cause": "installation", "exclusion": null, "part": "host", "component": "main_unit", "notes": "接线松动" });
    assert_eq!(server.act(&tech, &first, install).await.status, 200);
    let c = case(&server, &dispatcher, &first).await;
    assert_eq!(c["billing"], "D");
    assert_eq!(clock(&c, "repair")["target_minutes"], 72 * 60);
    // Human damage found at diagnosis: paid, and the fix waits for an approved quote.
    let damage = json!({ "action": "diagnose", "cause": "customer", "exclusion": "human_damage", "part": "host", "component": "", "notes": "外壳被撬" });
    assert_eq!(server.act(&tech, &first, damage).await.status, 200);
    let c = case(&server, &dispatcher, &first).await;
    assert_eq!(c["billing"], "A");
    let res = server.act(&tech, &first, json!({ "action": "resolve", "summary": "更换外壳" })).await;
    assert_eq!((res.status, res.json()["kind"].clone()), (409, json!("quote_not_approved")));
    let product =
        json!({ "action": "diagnose", "cause": "product", "exclusion": null, "part": "host", "component": "", "notes": "复核：产品故障" });
    assert_eq!(server.act(&tech, &first, product).await.status, 200);
    // Two days out of service while covered...
    let work = json!({ "action": "record_work", "findings": "主板故障", "actions": "返厂维修期间停用", "parts": [],
        "minutes_worked": 90, "downtime_minutes": 2 * 24 * 60, "photos": [] });
    assert_eq!(server.act(&tech, &first, work).await.status, 200);
    assert_eq!(server.act(&tech, &first, json!({ "action": "resolve", "summary": "已修复" })).await.status, 200);
    // ...extend the unit's warranty by two days for the next report.
    let second = escalate(&server, "warranty-00000000000000002", "13800138000").await;
    let later = day(&case(&server, &dispatcher, &second).await["warranty"]["until"]);
    assert_eq!(later - until, 2, "downtime of 2 days extends the warranty by 2 days");
    // The manufacturer's longer term wins.
    server.execute("UPDATE assets SET manufacturer_months = 120 WHERE kind = 'alarm_panel'").await;
    let c = case(&server, &dispatcher, &second).await;
    assert!(day(&c["warranty"]["until"]) > later + 365 * 5);
    server.stop().await;
}

/// Days since 1970 of a `{year, month, day}` date (civil calendar).
fn day(v: &Value) -> i64 {
    let (y, m, d) = (v["year"].as_i64().unwrap(), v["month"].as_i64().unwrap(), v["day"].as_i64().unwrap());
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A photo taken in the widget during a walk, before the case exists, is
/// held against the submission and shown to staff in the transcript.
async fn photos_taken_during_a_guide_walk_reach_the_case(db: Db) {
    let server = TestServer::start_with(db, &["--breach-every", "1"]).await;
    let res = server.call_form("load_widget", "org_key=demo-hospital", None).await;
    let camera =
        res.json()["assets"].as_array().unwrap().iter().find(|a| a["label"].as_str().unwrap().contains("摄像机")).unwrap()["id"].clone();
    let walk = "walkphoto-000000000000001";
    let before = server.count("attachments").await;

    // Refusals store nothing.
    assert_eq!(upload(&server, &format!("org=nobody&submission={walk}"), None, &png()).await.status, 404);
    assert_eq!(upload(&server, "org=demo-hospital&submission=short", None, &png()).await.status, 400);
    let res = upload(&server, &format!("org=demo-hospital&submission={walk}"), None, b"GIF89a....").await;
    assert_eq!((res.status, res.json()["problem"]["problem"].as_str()), (415, Some("not_an_image")));
    let res = server
        .request("POST", &format!("/api/attachments?org=demo-hospital&submission={walk}"), &[("Origin", "https://evil.example")], &png())
        .await;
    assert_eq!(res.status, 403, "cross-site uploads are refused");
    assert_eq!(server.count("attachments").await, before);

    let ok = upload(&server, &format!("org=demo-hospital&submission={walk}&name=nvr-channels.png"), None, &png()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let photo = ok.json()["id"].as_i64().unwrap();
    // Another customer's walk photo, which this walk will try to name.
    let other = upload(&server, "org=demo-hospital&submission=walkphoto-000000000000002&name=x.png", None, &png()).await.json()["id"]
        .as_i64()
        .unwrap();
    // At most 6 per walk.
    let crowded = "walkphoto-000000000000003";
    for _ in 0..6 {
        assert_eq!(upload(&server, &format!("org=demo-hospital&submission={crowded}"), None, &png()).await.status, 200);
    }
    let res = upload(&server, &format!("org=demo-hospital&submission={crowded}"), None, &png()).await;
    assert_eq!(
        (res.status, res.json()["problem"]["problem"].as_str(), res.json()["problem"]["max"].as_i64()),
        (409, Some("too_many"), Some(6))
    );

    let at = 1_700_000_000_000i64;
    let step = |node: &str, choice: &str, i: i64| json!({ "node": node, "choice": choice, "at_ms": at + i * 20_000 });
    let mut ip = step("collect_ip", "next", 4);
    ip["value"] = json!("192.168.1.64");
    ip["photo"] = json!(other);
    let mut reach = step("reach", "branch-2", 5);
    reach["value"] = json!("could not check");
    let mut shot = step("nvr_photo", "next", 7);
    shot["value"] = json!("nvr-channels.png");
    shot["photo"] = json!(photo);
    let body = json!({ "submission": {
        "org_key": "demo-hospital", "submission_id": walk, "reporter_name": "王芳", "phone": "13800138000",
        "asset_id": camera, "symptom": "护士站摄像机没有画面", "guide_id": "camera-no-picture", "guide_version": 1,
        "steps": [step("scope", "one", 0), step("power_type", "unsure", 1), step("cable_walk", "intact", 2), step("ir_check", "ir_on", 3),
                  ip, reach, step("nvr_status", "unsure", 6), shot],
        "result": "escalate"
    }});
    let res = server.call_json("submit_case", &body, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let number = res.json()["number"].as_str().unwrap().to_string();

    let admin = server.login("admin", "fixline-demo").await;
    let c = case(&server, &admin, &number).await;
    let photos: Vec<i64> = c["transcript"].as_array().unwrap().iter().filter_map(|l| l["photo"].as_i64()).collect();
    assert_eq!(photos, vec![photo], "the walk's own photo is kept; another walk's is dropped: {}", c["transcript"]);
    let file = server.request("GET", &format!("/console/files/{photo}"), &[("Cookie", admin.as_str())], b"").await;
    assert_eq!((file.status, file.header("content-type")), (200, Some("image/png")));
    assert_eq!(server.request("GET", &format!("/console/files/{photo}"), &[], b"").await.status, 401);
    // Once submitted, more photos go through the case token.
    assert_eq!(upload(&server, &format!("org=demo-hospital&submission={walk}"), None, &png()).await.status, 409);

    // Unclaimed walk photos are purged after a week; the case's stays.
    server.execute(&format!("UPDATE attachments SET created_at = created_at - {} WHERE id = {other}", 8 * 24 * 60 * MINUTE)).await;
    let mut left = i64::MAX;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        left = server.count("attachments").await;
        if left == before + 7 {
            break;
        }
    }
    assert_eq!(left, before + 7, "one photo of the case and six of the crowded walk remain");
    let file = server.request("GET", &format!("/console/files/{other}"), &[("Cookie", admin.as_str())], b"").await;
    assert_eq!(file.status, 404);
    server.stop().await;
}
