//! Notifications to chat robots, over HTTP against local stand-ins for
//! WeCom, DingTalk and Feishu (support/robots.rs): configuring channels and
//! sending tests, refusing bad configuration, retries after errors and
//! timeouts, and keeping secrets out of answers and logs. Routing by the
//! on-duty roster, the per-robot rate limit, restarts and two instances are
//! in notify_routing.rs.

use std::time::Duration;

use crate::lifecycle::escalate;
use crate::support::logged::LoggedServer;
use crate::support::robots::Robots;
use crate::support::{Db, Response, TestServer};
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};

on_both_databases!(
    an_admin_configures_each_robot_and_sends_a_test,
    bad_configuration_is_refused_with_a_localised_message_and_changes_nothing,
    deliveries_retry_after_errors_and_timeouts_and_fail_after_the_last_try,
    secrets_never_reach_the_logs,
);

/// A fast delivery worker, a short timeout, robots on loopback allowed; no
/// anonymous rate limits or daily cap in the way of many escalations.
pub(crate) const ARGS: &[&str] = &[
    "--notify-any-url",
    "--notify-every-ms",
    "200",
    "--notify-timeout-ms",
    "1000",
    "--anon-rate-per-minute",
    "0",
    "--daily-case-cap",
    "0",
];

pub(crate) const TOPICS: [&str; 6] = ["new_case", "breach", "dispatched", "quote", "complaint", "low_rating"];

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A `save_channel` body for a new channel on every topic, @-mentioning the on-duty person.
pub(crate) fn channel_form(kind: &str, name: &str, url: &str, secret: &str) -> Value {
    json!({ "form": {
        "id": null, "kind": kind, "name": name, "url": url, "secret": secret, "topics": TOPICS,
        "org_id": null, "mention_on_duty": true, "language": "ZhCn", "active": true
    }})
}

/// Saves a new channel; its id.
pub(crate) async fn save_channel(server: &TestServer, admin: &str, kind: &str, name: &str, url: &str, secret: &str) -> i64 {
    let res = server.call_json("save_channel", &channel_form(kind, name, url, secret), Some(admin)).await;
    assert_eq!(res.status, 200, "save_channel {kind} {name}: {}", res.text());
    res.json().as_i64().unwrap_or_else(|| panic!("save_channel answers the id: {}", res.text()))
}

/// `test_channel`'s answer (checked to be a 200 without any of `secrets`).
pub(crate) async fn test_channel(server: &TestServer, admin: &str, id: i64, secrets: &[&str]) -> Value {
    let res = server.call_json("test_channel", &json!({ "id": id }), Some(admin)).await;
    assert_eq!(res.status, 200, "test_channel {id}: {}", res.text());
    assert_no_secrets(&res.text(), secrets, "test_channel");
    res.json()
}

/// The delivery log, newest first.
pub(crate) async fn deliveries(
    server: &TestServer,
    cookie: &str,
    case_number: &str,
    channel_id: Option<i64>,
    status: Option<&str>,
) -> Vec<Value> {
    let filter = json!({ "case_number": case_number, "channel_id": channel_id, "status": status });
    let res = server.call_json("list_deliveries", &json!({ "filter": filter }), Some(cookie)).await;
    assert_eq!(res.status, 200, "list_deliveries: {}", res.text());
    res.json().as_array().unwrap_or_else(|| panic!("a list of deliveries: {}", res.text())).clone()
}

/// Polls the log rows of one case until `done` holds for them; panics with `what` after `within`.
pub(crate) async fn wait_rows(
    server: &TestServer,
    cookie: &str,
    case_number: &str,
    what: &str,
    within: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let rows = deliveries(server, cookie, case_number, None, None).await;
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{case_number}: not {what} within {within:?}: {rows:#?}");
        sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn attempts(row: &Value) -> i64 {
    row["attempts"].as_i64().unwrap_or_else(|| panic!("attempts in {row}"))
}

pub(crate) async fn load_roster(server: &TestServer, cookie: &str) -> String {
    let res = server.call_json("load_roster", &json!({}), Some(cookie)).await;
    assert_eq!(res.status, 200, "load_roster: {}", res.text());
    res.json()["csv"].as_str().unwrap_or_else(|| panic!("csv in {}", res.text())).to_string()
}

pub(crate) async fn save_roster(server: &TestServer, cookie: &str, csv: &str) -> Response {
    server.call_json("save_roster", &json!({ "csv": csv }), Some(cookie)).await
}

pub(crate) fn assert_no_secrets(text: &str, secrets: &[&str], place: &str) {
    for s in secrets {
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(s)).take(3).collect();
        assert!(lines.is_empty(), "{place} shows {s:?}: {lines:?}");
    }
}

/// A 422 naming `field` (and `problem`, when given).
fn names_field(res: &Response, field: &str, problem: Option<&str>) -> bool {
    let body = res.json();
    res.status == 422
        && body["kind"] == "invalid"
        && body["fields"]
            .as_array()
            .is_some_and(|fields| fields.iter().any(|f| f["field"] == field && problem.is_none_or(|p| f["problem"] == p)))
}

// Distinctive robot credentials: none of them may ever be shown back.
const WECOM_KEY: &str = "wk-3f9a1c7e5b2d4680aa11";
const DING_TOKEN: &str = "dt-8c2e4a6f0b1d3957cc22";
const DING_SECRET: &str = "SECd41f7a9e2b6c8035ee33ff";
const FEISHU_HOOK: &str = "fs-5e7b9d1f3a2c4860dd44";
const FEISHU_SECRET: &str = "fsk-1a3c5e7b9d2f4a6c8e00";
const OTHER_TOKEN: &str = "dt-0b9a8c7d6e5f4a3b2c1d";
const OTHER_SECRET: &str = "SEC0f1e2d3c4b5a69788796a5";
const WRONG_SECRET: &str = "SECffffeeeeddddccccbbbbaaaa";

async fn an_admin_configures_each_robot_and_sends_a_test(db: Db) {
    let robots = Robots::start().await;
    let server = TestServer::start_with(db, ARGS).await;
    let admin = server.login("admin", "fixline-demo").await;
    let secrets = [WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_HOOK, FEISHU_SECRET, OTHER_TOKEN, OTHER_SECRET, WRONG_SECRET];

    let wecom = save_channel(&server, &admin, "wecom", "调度群（企业微信）", &robots.wecom(WECOM_KEY), "").await;
    let ding = save_channel(&server, &admin, "dingtalk", "调度群（钉钉）", &robots.dingtalk(DING_TOKEN, DING_SECRET), DING_SECRET).await;
    let feishu = save_channel(&server, &admin, "feishu", "调度群（飞书）", &robots.feishu(FEISHU_HOOK, FEISHU_SECRET), FEISHU_SECRET).await;

    let res = server.call_json("load_channels", &json!({}), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_no_secrets(&res.text(), &secrets, "load_channels");
    let listed = res.json()["channels"].as_array().unwrap().clone();
    let mut kinds: Vec<&str> = listed.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["dingtalk", "feishu", "wecom"]);
    for c in &listed {
        assert_eq!(c["topics"].as_array().map(Vec::len), Some(6), "{c}");
        assert_eq!(c["active"], true, "{c}");
        // Masked, but still recognisably the robot's address.
        assert!(c["url"].as_str().unwrap().contains(robots.addr()), "{c}");
    }

    for (id, success) in [(wecom, r#""errcode":0"#), (ding, r#""errcode":0"#), (feishu, r#""code":0"#)] {
        let t = test_channel(&server, &admin, id, &secrets).await;
        assert_eq!(t["ok"], true, "{t}");
        assert_eq!(t["status"], 200, "{t}");
        assert!(t["answer"].as_str().unwrap().contains(success), "{t}");
        assert!(t["latency_ms"].is_i64(), "{t}");
    }
    // One message per robot, and DingTalk's and Feishu's signatures held.
    let got = robots.received();
    assert_eq!(got.len(), 3, "{got:#?}");
    for (provider, robot) in [("wecom", WECOM_KEY), ("dingtalk", DING_TOKEN), ("feishu", FEISHU_HOOK)] {
        assert_eq!(got.iter().filter(|m| m.provider == provider && m.robot == robot).count(), 1, "{provider}: {got:#?}");
    }
    assert!(robots.refusals().is_empty(), "{:?}", robots.refusals());

    // Editing with an empty address and secret keeps the stored ones.
    let mut edit = channel_form("dingtalk", "值班群（钉钉）", "", "");
    edit["form"]["id"] = json!(ding);
    let res = server.call_json("save_channel", &edit, Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json().as_i64(), Some(ding));
    assert_eq!(test_channel(&server, &admin, ding, &secrets).await["ok"], true, "the kept secret still signs");

    // A wrong secret: DingTalk refuses the signature, and the test says so.
    let wrong = save_channel(&server, &admin, "dingtalk", "密钥错误", &robots.dingtalk(OTHER_TOKEN, OTHER_SECRET), WRONG_SECRET).await;
    let t = test_channel(&server, &admin, wrong, &secrets).await;
    assert_eq!(t["ok"], false, "{t}");
    assert!(t["answer"].as_str().unwrap().contains("310000"), "{t}");
    assert!(robots.refusals().iter().any(|r| r.robot == OTHER_TOKEN && r.code == 310000));

    // Nothing else goes out: a test is sent once, not again by the worker.
    sleep(secs(1)).await;
    assert_eq!(robots.received().len(), 4, "{:#?}", robots.received());

    let rows = deliveries(&server, &admin, "", None, None).await;
    assert_no_secrets(&serde_json::to_string(&rows).unwrap(), &secrets, "list_deliveries");
    for (id, tests) in [(wecom, 1), (ding, 2), (feishu, 1)] {
        let sent = rows.iter().filter(|r| r["channel_id"] == id && r["topic"] == "test" && r["status"] == "sent").count();
        assert_eq!(sent, tests, "channel {id}: {rows:#?}");
    }
    assert!(rows.iter().any(|r| r["channel_id"] == wrong && r["topic"] == "test" && r["status"] != "sent"), "{rows:#?}");
    assert!(rows.iter().all(|r| r["case_number"].is_null()), "tests are about no case: {rows:#?}");
    // Supervisors read the log too; the status filter works.
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let sent = deliveries(&server, &supervisor, "", None, Some("sent")).await;
    assert_eq!(sent.len(), 4, "{sent:#?}");
    let of_feishu = deliveries(&server, &admin, "", Some(feishu), None).await;
    assert_eq!(of_feishu.len(), 1, "{of_feishu:#?}");

    // A channel is deleted.
    let spare = save_channel(&server, &admin, "wecom", "备用群", &robots.wecom("wk-spare-00000000000001"), "").await;
    let res = server.call_json("delete_channel", &json!({ "id": spare }), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = server.call_json("load_channels", &json!({}), Some(&admin)).await;
    let ids: Vec<i64> = res.json()["channels"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(!ids.contains(&spare));
    server.stop().await;
}

async fn bad_configuration_is_refused_with_a_localised_message_and_changes_nothing(db: Db) {
    let server = TestServer::start_with(db, ARGS).await;
    let admin = server.login("admin", "fixline-demo").await;
    let wecom_url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=wk-local-0001";
    let ding_url = "http://127.0.0.1:9/robot/send?access_token=dt-local-0001";
    let secret = "SECabcdef0123456789abcdef";
    let long_name = "群".repeat(61);
    let refused = [
        (channel_form("wecom", "", wecom_url, ""), "channel_name", Some("required")),
        (channel_form("wecom", "   ", wecom_url, ""), "channel_name", Some("required")),
        (channel_form("wecom", &long_name, wecom_url, ""), "channel_name", Some("too_long")),
        (channel_form("wecom", "调度群", "ftp://127.0.0.1/cgi-bin/webhook/send?key=k1", ""), "channel_url", Some("invalid")),
        (channel_form("wecom", "调度群", "http://127.0.0.1:9/cgi-bin/webhook/send", ""), "channel_url", Some("invalid")),
        (channel_form("dingtalk", "调度群", "http://127.0.0.1:9/robot/send", secret), "channel_url", Some("invalid")),
        (channel_form("dingtalk", "调度群", wecom_url, secret), "channel_url", Some("invalid")),
        (channel_form("feishu", "调度群", "http://127.0.0.1:9/open-apis/bot/v2/hook/", secret), "channel_url", Some("invalid")),
        (channel_form("wecom", "调度群", "", ""), "channel_url", None),
        (channel_form("dingtalk", "调度群", ding_url, ""), "channel_secret", Some("required")),
        (
            channel_form("feishu", "调度群", "http://127.0.0.1:9/open-apis/bot/v2/hook/fs-local-0001", ""),
            "channel_secret",
            Some("required"),
        ),
    ];
    for (body, field, problem) in &refused {
        let res = server.call_json("save_channel", body, Some(&admin)).await;
        assert!(names_field(&res, field, *problem), "{body}: expected 422 on {field} {problem:?}, got {} {}", res.status, res.text());
    }
    let res = server.call_json("save_channel", &channel_form("slack", "调度群", wecom_url, ""), Some(&admin)).await;
    assert_eq!(res.status, 400, "an unknown kind: {}", res.text());
    assert_eq!(server.count("notify_channels").await, 0, "refusals store nothing");

    // Only an admin configures channels; only an admin or supervisor reads the log and edits the roster.
    let valid = channel_form("wecom", "调度群", wecom_url, "");
    let admin_only = [
        ("save_channel", valid.clone()),
        ("load_channels", json!({})),
        ("test_channel", json!({ "id": 1 })),
        ("delete_channel", json!({ "id": 1 })),
    ];
    let filter = json!({ "filter": { "case_number": "", "channel_id": null, "status": null } });
    let supervisor_too = [
        ("list_deliveries", filter),
        ("retry_delivery", json!({ "id": 1 })),
        ("load_roster", json!({})),
        ("save_roster", json!({ "csv": "" })),
    ];
    for user in ["supervisor", "dispatcher", "tech"] {
        let cookie = server.login(user, "fixline-demo").await;
        let forbidden = admin_only.iter().chain(if user == "supervisor" { &supervisor_too[..0] } else { &supervisor_too[..] });
        for (endpoint, body) in forbidden {
            let res = server.call_json(endpoint, body, Some(&cookie)).await;
            assert_eq!(res.status, 403, "{user} {endpoint}: {}", res.text());
            assert_eq!(res.json()["kind"], "forbidden", "{user} {endpoint}");
        }
    }
    for (endpoint, body) in admin_only.iter().chain(&supervisor_too) {
        let res = server.call_json(endpoint, body, None).await;
        assert_eq!(res.status, 401, "signed out {endpoint}: {}", res.text());
    }
    assert_eq!(server.count("notify_channels").await, 0);

    // A bad roster line is named by its number, and the roster stays as it was.
    let before = load_roster(&server, &admin).await;
    assert!(before.lines().filter(|l| !l.trim().is_empty()).count() >= 2, "the demo seeds a roster: {before}");
    let bad = [
        ("days,start,end,name,phone\nevery,08:00,18:00,张三,13900000001\nevery,25:00,18:00,李四,13900000002\n", 3),
        ("every,08:00,18:00,张三,1390000\n", 1),
        ("every,08:00,18:00,张三,13900000001\nfunday,08:00,18:00,李四,13900000002\n", 2),
        ("workdays,08:00,18:00,张三,13900000001\n\nmon+tue,18:00,08:30,李四\n", 3),
    ];
    for (csv, line) in bad {
        let res = save_roster(&server, &admin, csv).await;
        assert_eq!(res.status, 422, "{csv:?}: {}", res.text());
        let body = res.json();
        assert_eq!(body["kind"], "invalid", "{body}");
        let fields = body["fields"].as_array().unwrap_or_else(|| panic!("fields in {body}"));
        let named = fields.iter().any(|f| f["field"] == "roster" && f["problem"] == "bad_line" && f["line"] == line);
        assert!(named, "{csv:?}: line {line} not named in {body}");
    }
    assert_eq!(load_roster(&server, &admin).await, before, "a refused roster changes nothing");
    // A supervisor may edit it.
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let res = save_roster(&server, &supervisor, "days,start,end,name,phone\nmon+tue+sat,18:00,08:30,夜班,13900000005\n").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = server.call_json("load_roster", &json!({}), Some(&supervisor)).await;
    assert_eq!(res.json()["can_edit"], true);
    let after = res.json()["csv"].as_str().unwrap().to_string();
    let seeded = before.lines().find(|l| !l.trim().is_empty() && !l.starts_with("days,")).unwrap();
    assert!(after.contains("13900000005") && !after.contains(seeded), "the whole list is replaced: {after}");

    // Without --notify-any-url only https to the providers' own hosts.
    let strict = TestServer::start_with(db, &["--notify-every-ms", "200"]).await;
    let admin = strict.login("admin", "fixline-demo").await;
    for url in [
        "https://example.com/cgi-bin/webhook/send?key=wk-strict-0001",
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wk-strict-0001",
        "https://oapi.dingtalk.com/robot/send?access_token=dt-strict-0001",
        wecom_url,
    ] {
        let res = strict.call_json("save_channel", &channel_form("wecom", "调度群", url, ""), Some(&admin)).await;
        assert!(names_field(&res, "channel_url", Some("invalid")), "{url}: {} {}", res.status, res.text());
    }
    assert_eq!(strict.count("notify_channels").await, 0);
    let mut official = channel_form("wecom", "调度群", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wk-strict-0001", "");
    official["form"]["active"] = json!(false); // never posts to the real WeCom
    let res = strict.call_json("save_channel", &official, Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(strict.count("notify_channels").await, 1);
    strict.stop().await;
    server.stop().await;
}

async fn deliveries_retry_after_errors_and_timeouts_and_fail_after_the_last_try(db: Db) {
    let robots = Robots::start().await;
    let server = TestServer::start_with(db, ARGS).await;
    let admin = server.login("admin", "fixline-demo").await;
    let (token, secret) = ("dt-retry-000000000000001", "SECretry00000000000000001");
    let ding = save_channel(&server, &admin, "dingtalk", "调度群", &robots.dingtalk(token, secret), secret).await;

    // Two server errors, then the robot answers: sent on the third attempt.
    robots.fail_next(2);
    let first = escalate(&server, "notify-retry-0000000000001", "13800138000").await;
    let rows =
        wait_rows(&server, &admin, &first, "sent after two errors", secs(15), |rows| rows.iter().any(|r| r["status"] == "sent")).await;
    assert_eq!(rows.len(), 1, "one message per channel: {rows:#?}");
    let row = &rows[0];
    assert_eq!(
        (row["channel_id"].as_i64(), row["topic"].as_str(), row["case_number"].as_str()),
        (Some(ding), Some("new_case"), Some(first.as_str()))
    );
    assert_eq!(attempts(row), 3, "{row}");
    assert!(row["sent_at_ms"].is_i64(), "{row}");
    assert_eq!(server.count("notify_attempts").await, 3, "one row per attempt");
    assert_eq!(robots.requests(), 3);
    assert_eq!(robots.about(&first).len(), 1);

    // A robot that does not answer: timeouts, retried until it does.
    robots.hang(true);
    let second = escalate(&server, "notify-retry-0000000000002", "13800138000").await;
    let rows = wait_rows(&server, &admin, &second, "tried twice", secs(20), |rows| rows.first().is_some_and(|r| attempts(r) >= 2)).await;
    assert_eq!(rows[0]["status"], "pending", "{rows:#?}");
    assert!(!rows[0]["last_error"].as_str().unwrap_or_default().is_empty(), "the timeout is recorded: {rows:#?}");
    robots.hang(false);
    let rows = wait_rows(&server, &admin, &second, "sent once the robot answers", secs(20), |rows| {
        rows.first().is_some_and(|r| r["status"] == "sent")
    })
    .await;
    assert!(attempts(&rows[0]) >= 3, "{rows:#?}");
    assert_eq!(robots.about(&second).len(), 1, "the timed-out tries were not delivered");

    // A robot nobody listens for: failed after the last try.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead_key = "wk-closed-port-0000000001";
    let dead_url = format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key={dead_key}");
    let dead = save_channel(&server, &admin, "wecom", "无人接收的群", &dead_url, "").await;
    let third = escalate(&server, "notify-retry-0000000000003", "13800138000").await;
    let on_dead = |rows: &[Value]| rows.iter().find(|r| r["channel_id"] == dead).cloned();
    let rows =
        wait_rows(&server, &admin, &third, "tried on the closed port", secs(10), |rows| on_dead(rows).is_some_and(|r| attempts(&r) >= 1))
            .await;
    let row = on_dead(&rows).unwrap();
    let id = row["id"].as_i64().unwrap();
    assert_eq!(row["status"], "pending", "{row}");
    assert!(!row["last_error"].as_str().unwrap_or_default().is_empty(), "{row}");
    // Skip the real backoff (minutes): seven tries done, the last one due now.
    // Set again whenever a try in flight wrote its own count over ours.
    let deadline = Instant::now() + secs(15);
    let failed = loop {
        let row = on_dead(&deliveries(&server, &admin, &third, Some(dead), None).await).unwrap();
        if row["status"] == "failed" {
            break row;
        }
        if attempts(&row) < 7 {
            server.execute(&format!("UPDATE notify_outbox SET attempts = 7, next_at = 0 WHERE id = {id}")).await;
        }
        assert!(Instant::now() < deadline, "never failed: {row}");
        sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(attempts(&failed), 8, "{failed}");
    assert!(!failed["last_error"].as_str().unwrap_or_default().is_empty(), "{failed}");
    let failed_ids: Vec<i64> =
        deliveries(&server, &admin, "", None, Some("failed")).await.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(failed_ids, [id]);
    let all = deliveries(&server, &admin, "", None, None).await;
    assert_no_secrets(&serde_json::to_string(&all).unwrap(), &[token, secret, dead_key], "list_deliveries");

    // A supervisor (or admin) puts it back; it is pending again, its tries counted afresh.
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let res = server.call_json("retry_delivery", &json!({ "id": id }), Some(&supervisor)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let row = on_dead(&deliveries(&server, &admin, &third, Some(dead), None).await).unwrap();
    assert_eq!(row["status"], "pending", "{row}");
    assert!(attempts(&row) < 8, "{row}");
    server.stop().await;
}

async fn secrets_never_reach_the_logs(db: Db) {
    let robots = Robots::start().await;
    // The usual test server creates and seeds the database (and drops it at
    // the end); a process of our own, logging at debug level, then serves it.
    let mut server = TestServer::start_with(db, ARGS).await;
    server.kill_hard();
    let mut logged = LoggedServer::spawn(&server.database_url, ARGS, "debug").await;
    server.addr = logged.addr.clone();

    let (key, token, secret, wrong) =
        ("wk-logcheck-7d1e9b3a5c2f", "dt-logcheck-4a8c2e6b0d1f", "SEClogcheck9f8e7d6c5b4a3210", "SEClogwrong0a1b2c3d4e5f6789");
    let (other_token, other_secret) = ("dt-logcheck-other-31b5d7f9", "SEClogother13579bdf2468ace0");
    let secrets = [key, token, secret, wrong, other_token, other_secret];
    let admin = server.login("admin", "fixline-demo").await;
    let ding = save_channel(&server, &admin, "dingtalk", "钉钉群", &robots.dingtalk(token, secret), secret).await;
    let wecom = save_channel(&server, &admin, "wecom", "企业微信群", &robots.wecom(key), "").await;
    let refused = save_channel(&server, &admin, "dingtalk", "密钥错误", &robots.dingtalk(other_token, other_secret), wrong).await;
    for id in [ding, wecom] {
        assert_eq!(test_channel(&server, &admin, id, &secrets).await["ok"], true);
    }
    assert_eq!(test_channel(&server, &admin, refused, &secrets).await["ok"], false);

    // A case, its first delivery failing once.
    robots.fail_next(1);
    let number = escalate(&server, "notify-logs-00000000000001", "13800138000").await;
    wait_rows(&server, &admin, &number, "sent on both channels", secs(15), |rows| {
        rows.iter().filter(|r| r["status"] == "sent").count() == 2
    })
    .await;
    let mut answers = server.call_json("load_channels", &json!({}), Some(&admin)).await.text();
    answers += &serde_json::to_string(&deliveries(&server, &admin, "", None, None).await).unwrap();
    assert_no_secrets(&answers, &secrets, "an answer");

    let log = logged.stop();
    assert!(log.lines().count() > 5, "debug logging wrote next to nothing: {log}");
    assert_no_secrets(&log, &secrets, "the log");
    server.stop().await;
}
