//! The widget's calls over HTTP: escalation, guides offered and walked,
//! self-fixes, invalid input, guide analytics and imports. The real server
//! binary on a real database; every test on SQLite and on PostgreSQL.

use crate::support::fixtures::{alarm_panel, asset, escalation, offered_guides};
use crate::support::{Db, TestServer};
use serde_json::{json, Value};

on_both_databases!(
    escalation_creates_exactly_one_case,
    guides_are_offered_per_equipment_and_walks_checked_against_them,
    guide_bundles_are_compressed_once_and_cached_by_version,
    guide_sessions_feed_per_guide_analytics,
    guides_are_imported_as_new_versions_by_supervisors_only,
    self_fix_is_recorded_but_not_queued,
    invalid_input_is_refused_and_writes_nothing,
);

async fn escalation_creates_exactly_one_case(db: Db) {
    let server = TestServer::start(db).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let body = escalation(asset, "0123456789abcdef0123456789abcdef");

    let first = server.call_json("submit_case", &body, None).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let number = first.json()["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("FX-") && number.len() == 9, "{number}");
    assert_eq!(first.json()["access_token"].as_str().unwrap().len(), 64);

    // A retry of the same submission (double click, flaky network) is the same case.
    let again = server.call_json("submit_case", &body, None).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["number"], number.as_str());
    assert_eq!(server.count("cases").await, 1);
    assert_eq!(server.count("case_events").await, 1);

    // Staff see it in the queue and can open it with what the customer tried.
    let cookie = server.login("dispatcher", "fixline-demo").await;
    let rows = Value::Array(server.queue(&cookie, json!({})).await);
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["number"], number.as_str());

    let case = server.call_form("get_case", &format!("number={number}"), Some(&cookie)).await;
    assert_eq!(case.status, 200, "{}", case.text());
    let case = case.json();
    assert_eq!(case["phone"], "13800138000");
    assert_eq!(case["reporter_name"], "王芳");
    assert_eq!(case["status"], "escalated");
    assert_eq!(case["steps"].as_array().unwrap().len(), 2);

    // A different submission is a different case.
    let other = server.call_json("submit_case", &escalation(asset, "fedcba9876543210fedcba9876543210"), None).await;
    assert_eq!(other.status, 200);
    assert_ne!(other.json()["number"], number.as_str());
    assert_eq!(server.count("cases").await, 2);
    server.stop().await;
}

/// The guides come apart from the per-asset offer: one address per set of
/// guide versions, compressed ahead, kept by browsers for a year.
async fn guide_bundles_are_compressed_once_and_cached_by_version(db: Db) {
    let server = TestServer::start(db).await;
    let panel = alarm_panel(&server, "demo-hospital").await;
    let offer = server.call_form("load_guides", &format!("org_key=demo-hospital&asset_id={panel}"), None).await.json();
    assert!(offer.get("guides").is_none(), "the offer leaves the guides out: {offer}");
    let url = offer["guides_url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/widget-guides/"), "{url}");

    let plain = server.request("GET", &url, &[], b"").await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-type"), Some("application/json"));
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.header("cache-control").unwrap().contains("immutable"));
    assert!(plain.json().as_array().unwrap().iter().any(|g| g["id"] == "alarm-panel-first-aid"));
    let br = server.request("GET", &url, &[("Accept-Encoding", "gzip, deflate, br")], b"").await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(br.body.len() * 3 < plain.body.len(), "brotli {} of {}", br.body.len(), plain.body.len());
    let gz = server.request("GET", &url, &[("Accept-Encoding", "gzip, br;q=0")], b"").await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    // The same bytes every time (built once), and 304 for a browser that has them.
    assert_eq!(server.request("GET", &url, &[("Accept-Encoding", "br")], b"").await.body, br.body);
    let etag = plain.header("etag").unwrap().to_string();
    let again = server.request("GET", &url, &[("If-None-Match", &etag)], b"").await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // Only the current tag of a covered kind exists.
    let kind = url.split('/').nth(2).unwrap();
    for wrong in [
        format!("/widget-guides/{kind}/0000000000000000"),
        format!("/widget-guides/{kind}/short"),
        "/widget-guides/no_such_kind/0000000000000000".to_string(),
        "/widget-guides/..%2F..%2Fetc/0000000000000000".to_string(),
    ] {
        let res = server.request("GET", &wrong, &[], b"").await;
        assert_eq!(res.status, 404, "{wrong}");
    }
    // Another kind, another bundle.
    let camera = asset(&server, "demo-hospital", "摄像机").await;
    let other = server.call_form("load_guides", &format!("org_key=demo-hospital&asset_id={camera}"), None).await.json();
    assert_ne!(other["guides_url"], offer["guides_url"]);
    server.stop().await;
}

async fn guides_are_offered_per_equipment_and_walks_checked_against_them(db: Db) {
    let server = TestServer::start(db).await;
    let panel = alarm_panel(&server, "demo-hospital").await;
    let offer = server.call_form("load_guides", &format!("org_key=demo-hospital&asset_id={panel}"), None).await;
    assert_eq!(offer.status, 200, "{}", offer.text());
    let offer = offer.json();
    let guides = offered_guides(&server, &offer).await;
    let ids: Vec<&str> = guides.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"alarm-panel-first-aid"), "{ids:?}");
    assert!(offer["server_now_ms"].as_i64().unwrap() > 1_700_000_000_000);
    // Another organisation's asset is not offered anything.
    let other = alarm_panel(&server, "demo-factory").await;
    let res = server.call_form("load_guides", &format!("org_key=demo-hospital&asset_id={other}"), None).await;
    assert_eq!(res.status, 404);

    // An alarm-panel walk does not fit a camera.
    let camera = asset(&server, "demo-hospital", "摄像机").await;
    let res = server.call_json("submit_case", &escalation(camera, "1111111111111111aaaaaaaaaaaaaaaa"), None).await;
    assert_eq!(res.status, 422, "{}", res.text());
    // Escalating part-way through a guide, or with no guide, is allowed.
    let mut partial = escalation(panel, "2222222222222222aaaaaaaaaaaaaaaa");
    partial["submission"]["steps"].as_array_mut().unwrap().pop();
    assert_eq!(server.call_json("submit_case", &partial, None).await.status, 200);
    let mut no_guide = escalation(camera, "3333333333333333aaaaaaaaaaaaaaaa");
    no_guide["submission"]["guide_id"] = json!("");
    no_guide["submission"]["guide_version"] = json!(0);
    no_guide["submission"]["steps"] = json!([]);
    assert_eq!(server.call_json("submit_case", &no_guide, None).await.status, 200);
    // ...but a claimed self-fix must reach a "resolved" outcome.
    let mut claimed = partial.clone();
    claimed["submission"]["submission_id"] = json!("4444444444444444aaaaaaaaaaaaaaaa");
    claimed["submission"]["result"] = json!("self_resolved");
    assert_eq!(server.call_json("submit_case", &claimed, None).await.status, 422);
    assert_eq!(server.count("cases").await, 2);

    // Staff read the walk in words, in their language.
    let cookie = server.login("dispatcher", "fixline-demo").await;
    let number = server.call_json("submit_case", &escalation(panel, "5555555555555555aaaaaaaaaaaaaaaa"), None).await.json()["number"]
        .as_str()
        .unwrap()
        .to_string();
    let res = server
        .request(
            "POST",
            "/api/get_case",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &format!("http://{}", server.addr)),
                ("Cookie", &cookie),
                ("Accept-Language", "en"),
            ],
            format!("number={number}").as_bytes(),
        )
        .await;
    let case = res.json();
    assert_eq!(case["transcript"][0]["answer"], "All off");
    assert_eq!(case["transcript"][1]["answer"], "No, still faulty");
    assert_eq!(case["guide_outcome"]["severity"], "major");
    assert!(case["guide_outcome"]["technician_hint"].as_str().unwrap().contains("12 V adapter"));
    server.stop().await;
}

async fn self_fix_is_recorded_but_not_queued(db: Db) {
    let server = TestServer::start(db).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let mut body = escalation(asset, "aaaaaaaaaaaaaaaa1111111111111111");
    body["submission"]["steps"][1]["choice"] = json!("yes");
    body["submission"]["result"] = json!("self_resolved");
    let res = server.call_json("submit_case", &body, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(server.count("cases").await, 1);

    let cookie = server.login("tech", "fixline-demo").await;
    assert_eq!(server.queue(&cookie, json!({})).await.len(), 0, "self-fixed cases are not in the queue");
    let number = res.json()["number"].as_str().unwrap().to_string();
    let case = server.call_form("get_case", &format!("number={number}"), Some(&cookie)).await;
    assert_eq!(case.json()["status"], "self_resolved");
    server.stop().await;
}

async fn invalid_input_is_refused_and_writes_nothing(db: Db) {
    let server = TestServer::start(db).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let other_org_asset = alarm_panel(&server, "demo-factory").await;

    let field_problems = |res: &crate::support::Response| -> Vec<(String, String)> {
        res.json()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["field"].as_str().unwrap().to_string(), f["problem"].as_str().unwrap().to_string()))
            .collect()
    };

    // Every intake field wrong at once: each is named.
    let mut bad = escalation(asset, "0123456789abcdef0123456789abcdef");
    bad["submission"]["reporter_name"] = json!("   ");
    bad["submission"]["phone"] = json!("12345");
    bad["submission"]["asset_id"] = Value::Null;
    bad["submission"]["symptom"] = json!("x".repeat(2001));
    let res = server.call_json("submit_case", &bad, None).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(res.json()["kind"], "invalid");
    assert_eq!(
        field_problems(&res),
        [("reporter_name", "required"), ("phone", "invalid_phone"), ("asset", "required"), ("symptom", "too_long")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // Another organisation's asset.
    let res = server.call_json("submit_case", &escalation(other_org_asset, "0123456789abcdef0123456789abcdef"), None).await;
    assert_eq!(res.status, 422);
    assert_eq!(field_problems(&res), [("asset".to_string(), "unknown_asset".to_string())]);

    // A walk that does not follow the guide, or claims a fix the guide did not reach.
    let mut tampered = escalation(asset, "0123456789abcdef0123456789abcdef");
    tampered["submission"]["steps"][1]["node"] = json!("restart");
    let res = server.call_json("submit_case", &tampered, None).await;
    assert_eq!(res.status, 422);
    assert_eq!(field_problems(&res), [("steps".to_string(), "invalid_steps".to_string())]);
    let mut false_fix = escalation(asset, "0123456789abcdef0123456789abcdef");
    false_fix["submission"]["result"] = json!("self_resolved");
    assert_eq!(server.call_json("submit_case", &false_fix, None).await.status, 422);

    // Unknown organisation, bad submission id, malformed and oversized bodies.
    let mut unknown_org = escalation(asset, "0123456789abcdef0123456789abcdef");
    unknown_org["submission"]["org_key"] = json!("no-such-org");
    assert_eq!(server.call_json("submit_case", &unknown_org, None).await.status, 404);
    let mut bad_id = escalation(asset, "short");
    bad_id["submission"]["submission_id"] = json!("short");
    assert_eq!(server.call_json("submit_case", &bad_id, None).await.status, 400);
    let res = server.call("submit_case", "application/json", "{\"submission\": {\"org_key\": 5", None).await;
    assert_eq!(res.status, 400, "{}", res.text());
    let res = server.call("submit_case", "application/json", "[1,2,3]", None).await;
    assert_eq!(res.status, 400, "{}", res.text());
    let huge = format!("{{\"submission\": {{\"symptom\": \"{}\"}}}}", "x".repeat(400 * 1024));
    // Raw: the server may refuse it before reading it.
    let origin = format!("http://{}", server.addr);
    let headers = [("Content-Type", "application/json"), ("Origin", origin.as_str())];
    let res = server.raw_request("POST", "/api/submit_case", &headers, huge.as_bytes()).await;
    assert!(res.status == 413 || res.status == 400, "oversized body: {}", res.status);
    let res = server.call_form("no_such_function", "a=b", None).await;
    assert!((400..500).contains(&res.status), "unknown server function: {}", res.status);

    assert_eq!(server.count("cases").await, 0, "nothing written");
    assert_eq!(server.count("case_events").await, 0);
    server.stop().await;
}

async fn guide_sessions_feed_per_guide_analytics(db: Db) {
    let owned = TestServer::start(db).await;
    let server = &owned;
    let panel = alarm_panel(server, "demo-hospital").await;
    let start = |session: &'static str| {
        let body = format!("org_key=demo-hospital&session_id={session}&guide_id=alarm-panel-first-aid&guide_version=2");
        async move { server.call_form("start_guide", &body, None).await.status }
    };
    // Three walks: one self-fix, one escalation, one left at the second step.
    assert_eq!(start("aaaaaaaaaaaaaaaa0000000000000001").await, 200);
    assert_eq!(start("aaaaaaaaaaaaaaaa0000000000000002").await, 200);
    assert_eq!(start("aaaaaaaaaaaaaaaa0000000000000003").await, 200);
    assert_eq!(start("aaaaaaaaaaaaaaaa0000000000000003").await, 200, "a repeat is ignored");
    assert_eq!(start("bad id").await, 400);

    let mut fixed = escalation(panel, "6666666666666666aaaaaaaaaaaaaaaa");
    fixed["submission"]["steps"][1]["choice"] = json!("yes");
    fixed["submission"]["result"] = json!("self_resolved");
    fixed["submission"]["session_id"] = json!("aaaaaaaaaaaaaaaa0000000000000001");
    assert_eq!(server.call_json("submit_case", &fixed, None).await.status, 200);
    let mut escalated = escalation(panel, "7777777777777777aaaaaaaaaaaaaaaa");
    escalated["submission"]["session_id"] = json!("aaaaaaaaaaaaaaaa0000000000000002");
    assert_eq!(server.call_json("submit_case", &escalated, None).await.status, 200);
    let progress =
        json!({ "org_key": "demo-hospital", "session_id": "aaaaaaaaaaaaaaaa0000000000000003", "last_node": "power", "steps": 1 });
    // As the widget's beacon sends it: text/plain.
    assert_eq!(server.call("guide_progress", "text/plain;charset=UTF-8", &progress.to_string(), None).await.status, 200);

    assert_eq!(server.call_form("guide_stats", "", None).await.status, 401);
    let cookie = server.login("supervisor", "fixline-demo").await;
    let stats = server.call_form("guide_stats", "", Some(&cookie)).await;
    assert_eq!(stats.status, 200, "{}", stats.text());
    let stats = stats.json();
    let first_aid = stats.as_array().unwrap().iter().find(|g| g["id"] == "alarm-panel-first-aid").unwrap().clone();
    assert_eq!(
        (
            first_aid["started"].as_i64(),
            first_aid["self_resolved"].as_i64(),
            first_aid["escalated"].as_i64(),
            first_aid["abandoned"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    assert_eq!(first_aid["deflection_percent"], 50);
    assert!(first_aid["resolved_at"][0][0].as_str().unwrap().starts_with("fixed"));
    assert!(first_aid["escalated_from"][0][0].as_str().unwrap().starts_with("no_power"));
    assert!(first_aid["abandoned_at"][0][0].as_str().unwrap().starts_with("power"));
    // Every shipped guide is listed, each shipped version stored once.
    assert!(stats.as_array().unwrap().len() >= 11);
    owned.stop().await;
}

async fn guides_are_imported_as_new_versions_by_supervisors_only(db: Db) {
    let server = TestServer::start(db).await;
    let shipped = server.count("guides").await;
    assert!(shipped >= 11, "shipped guides stored: {shipped}");
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;

    // Export the shipped v2 (staff only), then import it again: it becomes v3.
    let export = server.request("GET", "/console/guides/alarm-panel-first-aid/2/export", &[], b"").await;
    assert_eq!(export.status, 401);
    let export = server.request("GET", "/console/guides/alarm-panel-first-aid/2/export", &[("Cookie", &supervisor)], b"").await;
    assert_eq!(export.status, 200);
    assert!(export.header("content-disposition").unwrap().contains("alarm-panel-first-aid-v2.json"));
    let mut guide = export.json();
    guide["title"]["en"] = json!("Alarm panel self-check (revised)");
    let body = json!({ "json": guide.to_string() });

    let panel = alarm_panel(&server, "demo-hospital").await;
    let load = format!("org_key=demo-hospital&asset_id={panel}");
    let before = server.call_form("load_guides", &load, None).await.json()["guides_url"].as_str().unwrap().to_string();
    let res = server.call_json("import_guide", &body, Some(&tech)).await;
    assert_eq!(res.status, 403, "technicians cannot import");
    let res = server.call_json("import_guide", &body, Some(&supervisor)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!(["alarm-panel-first-aid", 3]));
    assert_eq!(server.count("guides").await, shipped + 1);
    // The bundle's address names the versions: a new one, and the old is gone.
    let after = server.call_form("load_guides", &load, None).await.json()["guides_url"].as_str().unwrap().to_string();
    assert_ne!(before, after);
    assert_eq!(server.request("GET", &before, &[], b"").await.status, 404);

    // The widget now offers v3; cases walked on v2 keep v2.
    let panel = alarm_panel(&server, "demo-hospital").await;
    let offer = server.call_form("load_guides", &format!("org_key=demo-hospital&asset_id={panel}"), None).await.json();
    let offered = offered_guides(&server, &offer).await.into_iter().find(|g| g["id"] == "alarm-panel-first-aid").unwrap();
    assert_eq!(offered["version"], 3);
    assert_eq!(server.call_json("submit_case", &escalation(panel, "8888888888888888aaaaaaaaaaaaaaaa"), None).await.status, 200);

    // A broken guide is refused with the node and the problem named; nothing stored.
    guide["nodes"][1]["helped"] = json!("ghost");
    let res = server.call_json("import_guide", &json!({ "json": guide.to_string() }), Some(&supervisor)).await;
    assert_eq!(res.status, 422);
    let problems = res.json()["problems"].to_string();
    assert!(problems.contains("node 'power': 'yes' leads to missing node 'ghost'"), "{problems}");
    let res = server.call_json("import_guide", &json!({ "json": "not json" }), Some(&supervisor)).await;
    assert_eq!(res.status, 422);
    assert_eq!(server.count("guides").await, shipped + 1);
    server.stop().await;
}
