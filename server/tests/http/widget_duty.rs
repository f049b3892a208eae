//! The widget's promise follows the on-duty roster: with nobody on duty it
//! learns when someone next is (and promises no call back sooner); with
//! someone on duty out of hours it gets their number; an empty roster
//! changes nothing.

use serde_json::Value;

use crate::notify::save_roster;
use crate::support::fixtures::alarm_panel;
use crate::support::{Db, TestServer};

on_both_databases!(the_promise_knows_when_someone_is_on_duty);

const MINUTE: i64 = 60_000;

async fn offer(server: &TestServer, panel: i64) -> Value {
    let res = server.call_form("load_guides", &format!("org_key=demo-hospital&asset_id={panel}"), None).await;
    assert_eq!(res.status, 200, "load_guides: {}", res.text());
    res.json()
}

/// `HH:MM` in Shanghai time, `minutes` from the server's now.
fn shanghai_hm(now_ms: i64, minutes: i64) -> String {
    let local = (now_ms / MINUTE + minutes + 480).rem_euclid(1440);
    format!("{:02}:{:02}", local / 60, local % 60)
}

async fn the_promise_knows_when_someone_is_on_duty(db: Db) {
    let server = TestServer::start(db).await;
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let panel = alarm_panel(&server, "demo-hospital").await;

    // Nobody on duty now: the only shift starts two hours from now (every day).
    let now = offer(&server, panel).await["server_now_ms"].as_i64().unwrap();
    let (start, end) = (shanghai_hm(now, 120), shanghai_hm(now, 180));
    let res = save_roster(&server, &supervisor, &format!("days,start,end,name,phone\nevery,{start},{end},李娜,13800000003\n")).await;
    assert_eq!(res.status, 200, "save_roster: {}", res.text());
    let o = offer(&server, panel).await;
    let now_min = o["server_now_ms"].as_i64().unwrap() / MINUTE;
    let from = o["off_duty_until"].as_i64().unwrap_or_else(|| panic!("nobody on duty: {o}"));
    // The shift's start, to the minute (the offer may be a minute later than the roster was written).
    assert!((118..=121).contains(&(from - now_min)), "on duty from {from}, now {now_min}: {o}");
    assert_eq!(o["duty_phone"], "", "{o}");

    // Someone on duty all day, every day: no wait; out of hours their number.
    let res = save_roster(&server, &supervisor, "days,start,end,name,phone\nevery,00:00,00:00,值班,13800000009\n").await;
    assert_eq!(res.status, 200, "save_roster: {}", res.text());
    let o = offer(&server, panel).await;
    assert!(o["off_duty_until"].is_null(), "{o}");
    assert!(o["duty_phone"] == "" || o["duty_phone"] == "13800000009", "{o}");

    // An empty roster promises nothing beyond the service targets.
    let res = save_roster(&server, &supervisor, "days,start,end,name,phone\n").await;
    assert_eq!(res.status, 200, "save_roster: {}", res.text());
    let o = offer(&server, panel).await;
    assert!(o["off_duty_until"].is_null() && o["duty_phone"] == "", "{o}");
    server.stop().await;
}
