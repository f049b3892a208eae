//! After escalation: warranty and repeat faults, the customer's tracker,
//! quotes, visits with a signed report, rating and return visit, photos.
//! Every test on SQLite and on PostgreSQL.

use crate::lifecycle::{case, clock, escalate, now_ms, staff_id};
use crate::support::fixtures::{MINUTE, PNG_DATA_URL};
use crate::support::{Db, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

on_both_databases!(
    warranty_and_repeat_faults_show_on_the_case,
    customers_track_their_case_by_its_token_only,
    a_paid_repair_waits_for_the_customers_approval,
    a_visit_ends_with_a_signed_report_rating_and_return_visit,
    photos_are_checked_by_type_size_and_owner,
    warranty_follows_components_downtime_and_diagnosis,
    photos_taken_during_a_guide_walk_reach_the_case,
);

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
async fn upload(server: &TestServer, query: &str, cookie: Option<&str>, body: &[u8]) -> crate::support::Response {
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

    // The customer confirms, then rates (4 levels), complains; all once,
    // in that order (the report was signed above).
    let customer = |action: Value| json!({ "org_key": "demo-hospital", "token": token, "action": action });
    let rating = |v: u8| json!({ "action": "rate", "rating": { "attitude": v, "skill": 4, "punctuality": 3, "promise_kept": 4, "comment": "很及时" } });
    assert_eq!(server.call_json("customer_action", &customer(rating(4)), None).await.status, 409, "confirmation first");
    let confirm = json!({ "action": "confirm", "fixed": true, "comment": "" });
    assert_eq!(server.call_json("customer_action", &customer(confirm), None).await.status, 200);
    assert_eq!(server.call_json("customer_action", &customer(rating(5)), None).await.status, 400);
    assert_eq!(server.call_json("customer_action", &customer(rating(4)), None).await.status, 200);
    assert_eq!(server.call_json("customer_action", &customer(rating(4)), None).await.status, 409);
    let wrong_org = json!({ "org_key": "demo-factory", "token": token, "action": rating(4) });
    assert_eq!(server.call_json("customer_action", &wrong_org, None).await.status, 404);
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
