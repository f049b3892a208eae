//! Many users at once, on both databases: dozens of parallel calls to the
//! paths staff and customers share, with no error and the counts right.
//! Anonymous limits are off here (they are tested in edge.rs); what is under
//! test is the database work: pooled connections, write transactions, locks.

use crate::support::fixtures::{MINUTE, PNG_DATA_URL};
use crate::support::{Db, TestServer};
use serde_json::{json, Value};

on_both_databases!(
    parallel_staff_views_of_one_case_all_succeed,
    parallel_claims_leave_one_owner,
    parallel_signatures_sign_once,
    parallel_photo_uploads_are_all_stored,
    parallel_escalations_and_retries_create_each_case_once,
    refused_writers_leave_their_neighbours_writes,
    the_most_overdue_case_leads_a_queue_of_hundreds,
    waiting_trackers_hear_of_their_case_at_once,
);

const PARALLEL: usize = 64;

async fn start(db: Db) -> TestServer {
    TestServer::start_with(db, &["--anon-rate-per-minute", "0", "--login-rate-per-minute", "0", "--daily-case-cap", "0"]).await
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn first_asset(server: &TestServer) -> i64 {
    server.call_form("load_widget", "org_key=demo-hospital", None).await.json()["assets"][0]["id"].as_i64().unwrap()
}

fn report(asset: i64, submission_id: &str) -> Value {
    json!({ "submission": {
        "org_key": "demo-hospital", "submission_id": submission_id, "reporter_name": "王芳", "phone": "13800138000",
        "asset_id": asset, "symptom": "主机面板不亮", "guide_id": "", "guide_version": 0, "steps": [], "result": "escalate"
    }})
}

async fn escalate(server: &TestServer, asset: i64, submission_id: &str) -> (String, String) {
    let res = server.call_json("submit_case", &report(asset, submission_id), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let r = res.json();
    (r["number"].as_str().unwrap().to_string(), r["access_token"].as_str().unwrap().to_string())
}

/// Runs `n` copies of `f(i)` at once; answers their statuses in order.
async fn all_at_once<F, Fut>(n: usize, f: F) -> Vec<crate::support::Response>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = crate::support::Response>,
{
    futures::future::join_all((0..n).map(f)).await
}

fn statuses(responses: &[crate::support::Response]) -> std::collections::BTreeMap<u16, usize> {
    let mut m = std::collections::BTreeMap::new();
    for r in responses {
        *m.entry(r.status).or_insert(0) += 1;
    }
    m
}

async fn parallel_staff_views_of_one_case_all_succeed(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    let (number, _) = escalate(&server, asset, "views-0000000000000001").await;
    let cookie = server.login("dispatcher", "fixline-demo").await;
    let body = format!("number={number}");
    let res = all_at_once(PARALLEL, |_| server.call_form("get_case", &body, Some(&cookie))).await;
    assert_eq!(statuses(&res), [(200, PARALLEL)].into(), "{:?}", res.iter().find(|r| r.status != 200).map(|r| r.text()));
    // And the queue and the report page, mixed.
    let res = all_at_once(PARALLEL, |i| {
        let (cookie, number) = (&cookie, &number);
        let server = &server;
        async move {
            match i % 3 {
                0 => server.call_json("list_queue", &json!({ "filter": {} }), Some(cookie)).await,
                1 => server.call_form("get_report", &format!("number={number}"), Some(cookie)).await,
                _ => server.call_form("get_case", &format!("number={number}"), Some(cookie)).await,
            }
        }
    })
    .await;
    assert_eq!(statuses(&res), [(200, PARALLEL)].into());
    server.stop().await;
}

async fn parallel_claims_leave_one_owner(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    let (number, _) = escalate(&server, asset, "claims-000000000000001").await;
    let cookies = [server.login("dispatcher", "fixline-demo").await, server.login("supervisor", "fixline-demo").await];
    let events_before = server.count("case_events").await;
    let res = all_at_once(PARALLEL, |i| server.act(&cookies[i % 2], &number, json!({ "action": "claim" }))).await;
    let s = statuses(&res);
    assert_eq!(s.get(&200), Some(&1), "exactly one claim wins: {s:?}");
    assert_eq!(s.get(&409), Some(&(PARALLEL - 1)), "the others are told the case moved on: {s:?}");
    assert_eq!(server.count("case_events").await, events_before + 1);
    server.stop().await;
}

async fn parallel_signatures_sign_once(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    let (number, _) = escalate(&server, asset, "signs-0000000000000001").await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = server.call_form("current_staff", "", Some(&tech)).await.json()["id"].as_i64().unwrap();
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "claim" })).await.status, 200);
    let dispatch = json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": now_ms() + 60 * MINUTE, "notes": "" });
    assert_eq!(server.act(&dispatcher, &number, dispatch).await.status, 200);
    assert_eq!(server.act(&tech, &number, json!({ "action": "check_in" })).await.status, 200);
    assert_eq!(server.act(&tech, &number, json!({ "action": "resolve", "summary": "更换电源适配器" })).await.status, 200);
    let attachments_before = server.count("attachments").await;
    let sign = json!({ "number": number, "signer": "王芳", "signature": PNG_DATA_URL });
    let res = all_at_once(PARALLEL / 2, |_| server.call_json("sign_report", &sign, Some(&tech))).await;
    let s = statuses(&res);
    assert_eq!(s.get(&200), Some(&1), "signed exactly once: {s:?}");
    assert_eq!(s.get(&409), Some(&(PARALLEL / 2 - 1)), "{s:?}");
    assert_eq!(server.count("attachments").await, attachments_before + 1, "one signature image stored");
    server.stop().await;
}

fn png(seed: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&seed.to_le_bytes());
    v.extend_from_slice(&[7u8; 2048]);
    v
}

async fn parallel_photo_uploads_are_all_stored(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    let (number, token) = escalate(&server, asset, "photos-000000000000001").await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let origin = format!("http://{}", server.addr);
    let before = server.count("attachments").await;
    // Staff and the customer add photos to one case at once.
    let res = all_at_once(PARALLEL / 2, |i| {
        let (server, origin, dispatcher, number, token) = (&server, &origin, &dispatcher, &number, &token);
        async move {
            if i % 2 == 0 {
                let headers = [("Origin", origin.as_str()), ("Cookie", dispatcher.as_str())];
                server.request("POST", &format!("/api/attachments?case={number}&name=s{i}.png"), &headers, &png(i)).await
            } else {
                let headers = [("Origin", origin.as_str()), ("X-Fixline-Token", token.as_str())];
                server.request("POST", &format!("/api/attachments?case={number}&org=demo-hospital&name=c{i}.png"), &headers, &png(i)).await
            }
        }
    })
    .await;
    assert_eq!(statuses(&res), [(200, PARALLEL / 2)].into(), "{:?}", res.iter().find(|r| r.status != 200).map(|r| r.text()));
    // Photos during guide walks, many walks at once (the case quota of
    // customer photos is 20, so the customer's above stay within it).
    let res = all_at_once(PARALLEL, |i| {
        let (server, origin) = (&server, &origin);
        async move {
            let walk = format!("walk-{i:020}");
            let headers = [("Origin", origin.as_str()), ("X-Fixline-Submission", walk.as_str())];
            server.request("POST", "/api/attachments?org=demo-hospital&name=w.png", &headers, &png(i)).await
        }
    })
    .await;
    assert_eq!(statuses(&res), [(200, PARALLEL)].into(), "{:?}", res.iter().find(|r| r.status != 200).map(|r| r.text()));
    assert_eq!(server.count("attachments").await, before + (PARALLEL / 2 + PARALLEL) as i64);
    server.stop().await;
}

async fn parallel_escalations_and_retries_create_each_case_once(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    // 64 different reports, each sent twice at the same moment (a double tap).
    let res = all_at_once(PARALLEL * 2, |i| {
        let server = &server;
        async move { server.call_json("submit_case", &report(asset, &format!("burst-{:020}", i / 2)), None).await }
    })
    .await;
    assert_eq!(statuses(&res), [(200, PARALLEL * 2)].into(), "{:?}", res.iter().find(|r| r.status != 200).map(|r| r.text()));
    for pair in res.chunks(2) {
        assert_eq!(pair[0].json()["number"], pair[1].json()["number"], "a repeat gets the same case");
    }
    assert_eq!(server.count("cases").await, PARALLEL as i64);
    assert_eq!(server.count("case_events").await, PARALLEL as i64);
    // The same id with another report is refused and changes nothing.
    let mut other = report(asset, &format!("burst-{:020}", 0));
    other["submission"]["symptom"] = json!("另一个故障");
    let res = server.call_json("submit_case", &other, None).await;
    assert_eq!(res.status, 409, "{}", res.text());
    assert_eq!(server.count("cases").await, PARALLEL as i64);
    server.stop().await;
}

/// On SQLite, writers at the same moment share one commit (group commit):
/// a writer refused halfway undoes only its own part, never its
/// neighbours' cases, and each answer comes after its case is stored.
async fn refused_writers_leave_their_neighbours_writes(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    escalate(&server, asset, "neighbour-00000000000000000000").await;
    let mut replay = report(asset, "neighbour-00000000000000000000");
    replay["submission"]["symptom"] = json!("另一个故障");
    let res = all_at_once(PARALLEL * 2, |i| {
        let (server, replay) = (&server, replay.clone());
        async move {
            if i % 2 == 0 {
                server.call_json("submit_case", &report(asset, &format!("neighbour-{:020}", i + 1)), None).await
            } else {
                server.call_json("submit_case", &replay, None).await
            }
        }
    })
    .await;
    assert_eq!(statuses(&res), [(200, PARALLEL), (409, PARALLEL)].into());
    assert_eq!(server.count("cases").await, PARALLEL as i64 + 1);
    assert_eq!(server.count("case_events").await, PARALLEL as i64 + 1);
    assert_eq!(server.count("case_access_tokens").await, PARALLEL as i64 + 1);
    // Every receipt's case can be followed at once.
    for r in res.iter().filter(|r| r.status == 200) {
        let token = r.json()["access_token"].as_str().unwrap().to_string();
        let track = server.call_form("track_case", &format!("org_key=demo-hospital&token={token}"), None).await;
        assert_eq!(track.status, 200, "{}", track.text());
    }
    server.stop().await;
}

async fn the_most_overdue_case_leads_a_queue_of_hundreds(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    let (oldest, _) = escalate(&server, asset, "oldest-000000000000001").await;
    // 600 newer open cases, 32 at a time.
    for batch in 0..(600 / 32 + 1) {
        let n = if batch == 600 / 32 { 600 % 32 } else { 32 };
        let res = all_at_once(n, |i| {
            let server = &server;
            async move { server.call_json("submit_case", &report(asset, &format!("flood-{batch:04}-{i:014}")), None).await }
        })
        .await;
        assert!(res.iter().all(|r| r.status == 200));
    }
    // The oldest became overdue two days ago.
    let id: i64 = oldest.trim_start_matches("FX-").parse().unwrap();
    server.execute(&format!("UPDATE case_events SET at = at - {} WHERE case_id = {id}", 2 * 24 * 60 * MINUTE)).await;
    server
        .execute(&format!("UPDATE cases SET created_at = created_at - {0}, next_deadline_ms = NULL WHERE id = {id}", 2 * 24 * 60 * MINUTE))
        .await;
    let cookie = server.login("dispatcher", "fixline-demo").await;
    let res = server.call_json("list_queue", &json!({ "filter": {} }), Some(&cookie)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let q = res.json();
    assert_eq!(q["total"], 601);
    let rows = q["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 100, "one page");
    assert_eq!(rows[0]["number"], oldest.as_str(), "the most overdue first");
    assert_eq!(rows[0]["overdue"], true);
    // Overdue filter finds it alone; more rows on request.
    let res = server.call_json("list_queue", &json!({ "filter": { "overdue": true } }), Some(&cookie)).await.json();
    assert_eq!(res["total"], 1);
    let res = server.call_json("list_queue", &json!({ "filter": { "limit": 700 } }), Some(&cookie)).await.json();
    assert_eq!(res["rows"].as_array().unwrap().len(), 601);
    let deadlines: Vec<i64> = res["rows"].as_array().unwrap().iter().filter_map(|r| r["next_clock"]["deadline_ms"].as_i64()).collect();
    assert!(deadlines.windows(2).all(|w| w[0] <= w[1]), "nearest deadline first");
    server.stop().await;
}

/// Dozens of customers' trackers wait for news (the request is held); a
/// staff action on their case answers them all at once, while a tracker of
/// another case keeps waiting. Bad waits are refused without holding.
async fn waiting_trackers_hear_of_their_case_at_once(db: Db) {
    let server = start(db).await;
    let asset = first_asset(&server).await;
    let (number, token) = escalate(&server, asset, "wait-00000000000000000001").await;
    let (_, other_token) = escalate(&server, asset, "wait-00000000000000000002").await;
    let wait = |tokens: Vec<&str>| json!({ "org_key": "demo-hospital", "tokens": tokens, "client": "wait-client-0000000000000001" });

    let (alone, both) = (wait(vec![&other_token]), wait(vec![&token, &other_token]));
    let other = server.call_json("await_case_change", &alone, None);
    let waiters = async {
        let answers = all_at_once(32, |_| server.call_json("await_case_change", &both, None)).await;
        (answers, std::time::Instant::now())
    };
    let act = async {
        // Let the waiters arrive and subscribe, then change the case.
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        let dispatcher = server.login("dispatcher", "fixline-demo").await;
        let started = std::time::Instant::now();
        assert_eq!(server.act(&dispatcher, &number, json!({ "action": "claim" })).await.status, 200);
        started
    };
    let quiet = tokio::time::timeout(std::time::Duration::from_secs(4), other);
    let ((answers, heard), started, quiet) = tokio::join!(waiters, act, quiet);
    assert_eq!(statuses(&answers), [(200, 32)].into());
    assert!(answers.iter().all(|r| r.json() == json!(true)), "every waiter heard of the claim");
    assert!(heard.duration_since(started) < std::time::Duration::from_secs(2), "at once: {:?}", heard.duration_since(started));
    assert!(quiet.is_err(), "the other case's tracker is still waiting");

    // Too many tokens, none, or only unknown ones: refused at once.
    let six: Vec<&str> = std::iter::repeat_n(token.as_str(), 6).collect();
    assert_eq!(server.call_json("await_case_change", &wait(six), None).await.status, 400);
    assert_eq!(server.call_json("await_case_change", &wait(vec![]), None).await.status, 400);
    let unknown = "0".repeat(64);
    assert_eq!(server.call_json("await_case_change", &wait(vec![&unknown]), None).await.status, 404);
    let wrong_org = json!({ "org_key": "demo-factory", "tokens": [token], "client": "wait-client-0000000000000001" });
    assert_eq!(server.call_json("await_case_change", &wrong_org, None).await.status, 404);
    server.stop().await;
}
