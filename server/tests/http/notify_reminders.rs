//! Reminders before a deadline is missed: a case nobody claimed, three
//! quarters into its response target, reaches the channels subscribed to
//! "deadlines near" once; a claimed case and a fresh one do not.

use std::time::Duration;

use serde_json::{json, Value};

use crate::lifecycle::{backdate, case, escalate};
use crate::notify::{channel_form, ARGS};
use crate::support::robots::Robots;
use crate::support::{Db, TestServer};

on_both_databases!(an_unclaimed_case_near_its_response_deadline_is_announced_once);

fn reminders(c: &Value) -> usize {
    c["timeline"].as_array().map_or(0, |t| t.iter().filter(|e| e["event"]["kind"] == "deadline_near").count())
}

async fn an_unclaimed_case_near_its_response_deadline_is_announced_once(db: Db) {
    let robots = Robots::start().await;
    let mut args = ARGS.to_vec();
    args.extend(["--breach-every", "1"]);
    let server = TestServer::start_with(db, &args).await;
    let admin = server.login("admin", "fixline-demo").await;
    let mut form = channel_form("wecom", "提醒群", &robots.wecom("wk-remind-0000000000000001"), "");
    form["form"]["topics"] = json!(["reminder"]);
    let res = server.call_json("save_channel", &form, Some(&admin)).await;
    assert_eq!(res.status, 200, "save_channel: {}", res.text());

    let near = escalate(&server, "reminder-0000000000000001", "13800138000").await;
    let claimed = escalate(&server, "reminder-0000000000000002", "13800138001").await;
    let fresh = escalate(&server, "reminder-0000000000000003", "13800138002").await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    assert_eq!(server.act(&dispatcher, &claimed, json!({ "action": "claim" })).await.status, 200);
    // 50 of the 60 response minutes used: past the reminder point (45), not yet overdue.
    backdate(&server, &near, 50).await;
    backdate(&server, &claimed, 50).await;

    let got = robots.wait_about(&near, 1, Duration::from_secs(20)).await;
    assert!(got[0].text.contains("【即将超时·尚无人受理】"), "{}", got[0].text);
    // More rounds of the breach job: still one reminder, and none for the others.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let all = robots.received();
    assert_eq!(all.iter().filter(|r| r.text.contains(&near)).count(), 1, "{all:#?}");
    assert!(!all.iter().any(|r| r.text.contains(&claimed) || r.text.contains(&fresh)), "{all:#?}");
    assert_eq!(reminders(&case(&server, &dispatcher, &near).await), 1);
    assert_eq!(reminders(&case(&server, &dispatcher, &claimed).await), 0);
    // Overdue later: the raise follows, the reminder is not repeated.
    backdate(&server, &near, 20).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let c = case(&server, &dispatcher, &near).await;
    assert_eq!(reminders(&c), 1);
    assert!(c["timeline"].as_array().unwrap().iter().any(|e| e["event"]["kind"] == "breach_raised"), "{c}");
    server.stop().await;
}
