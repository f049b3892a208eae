//! "On my way": the dispatched technician (or a lead, for one who phoned
//! in) tells the customer they have set off and when they expect to arrive.
//! The customer's tracker shows it, a customer who opted in gets a text
//! with the time, and checking in ends it. Nobody else may say it, and a
//! journey of no time or over twelve hours is refused.

use std::time::Duration;

use crate::lifecycle::{case, now_ms};
use crate::notify_sms::{aliyun_form, args, list_sms, providers, save_sms};
use crate::notify_sms_delivery::{act_ok, appointment_ms, dispatch, report, staff};
use crate::support::{Db, TestServer};
use serde_json::json;
use tokio::time::{sleep, Instant};

on_both_databases!(the_customer_sees_and_is_texted_when_the_technician_sets_off,);

/// `HH:MM` in Shanghai (the demo organisations' zone).
fn clock_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().with_timezone(&chrono_tz::Asia::Shanghai).format("%H:%M").to_string()
}

/// The customer's view of the case, by its token.
async fn track(server: &TestServer, token: &str) -> crate::support::Response {
    server.call_form("track_case", &format!("org_key=demo-hospital&token={token}"), None).await
}

async fn the_customer_sees_and_is_texted_when_the_technician_sets_off(db: Db) {
    let sms = providers().await;
    let server = TestServer::start_with(db, &args()).await;
    let admin = server.login("admin", "fixline-demo").await;
    save_sms(&server, &admin, &aliyun_form(&sms.aliyun_url())).await;
    let staff = staff(&server).await;
    let (number, token) = report(&server, "demo-hospital", "on-the-way-00000000000001", "13800001234", Some(true)).await;

    act_ok(&server, &staff.dispatcher, &number, json!({ "action": "claim" })).await;
    // Not before a technician is sent.
    let early = server.act(&staff.tech, &number, json!({ "action": "on_the_way", "minutes": 30 })).await;
    assert!(matches!(early.status, 403 | 409), "before dispatch: {} {}", early.status, early.text());
    dispatch(&server, &staff, &number, appointment_ms()).await;

    // A journey of no time, or longer than twelve hours: refused, nothing recorded.
    for minutes in [0, -5, 721, 100_000] {
        let res = server.act(&staff.tech, &number, json!({ "action": "on_the_way", "minutes": minutes })).await;
        assert_eq!(res.status, 400, "{minutes} min: {}", res.text());
    }
    // Nobody signed out may say it.
    let anonymous = server.act("", &number, json!({ "action": "on_the_way", "minutes": 30 })).await;
    assert!(matches!(anonymous.status, 401 | 403), "{} {}", anonymous.status, anonymous.text());
    assert!(track(&server, &token).await.json()["eta"].is_null(), "nothing recorded: {}", track(&server, &token).await.text());

    let before = now_ms();
    act_ok(&server, &staff.tech, &number, json!({ "action": "on_the_way", "minutes": 45 })).await;
    let after = now_ms();
    // The customer's tracker: the time, and the step in the timeline.
    let tracked = track(&server, &token).await.json();
    let eta = tracked["eta"].as_str().unwrap_or_else(|| panic!("an ETA: {tracked}")).to_string();
    let expected = [clock_time(before + 45 * 60_000), clock_time(after + 45 * 60_000)];
    assert!(expected.contains(&eta), "ETA {eta}, expected one of {expected:?}");
    let kinds: Vec<&str> = tracked["updates"].as_array().unwrap().iter().filter_map(|u| u["event"]["kind"].as_str()).collect();
    assert!(kinds.contains(&"on_the_way"), "{kinds:?}");
    // Staff see it on the case page.
    let detail = case(&server, &staff.dispatcher, &number).await;
    assert_eq!(detail["eta"], eta.as_str(), "{detail}");

    // The customer's text: the on-the-way template with the number and the time.
    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        if let Some(t) = sms.to("13800001234").into_iter().find(|m| m.template == "SMS_480105") {
            break t;
        }
        assert!(Instant::now() < deadline, "no on-the-way text: {:#?} {:#?}", sms.received(), list_sms(&server, &admin, &number).await);
        sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(text.params, vec![("number".to_string(), number.clone()), ("time".to_string(), eta.clone())], "{text:#?}");

    // Checking in ends "on the way".
    act_ok(&server, &staff.tech, &number, json!({ "action": "check_in" })).await;
    assert!(track(&server, &token).await.json()["eta"].is_null());
    let again = server.act(&staff.tech, &number, json!({ "action": "on_the_way", "minutes": 10 })).await;
    assert!(matches!(again.status, 403 | 409), "after check-in: {} {}", again.status, again.text());
    server.stop().await;
}
