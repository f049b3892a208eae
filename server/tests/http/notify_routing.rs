//! Who gets which notification, and that each goes out once: the on-duty
//! person by roster on a working day, a holiday and at night; at most 20
//! messages a minute per robot; undelivered messages after a restart; two
//! instances on one PostgreSQL database. Against the local robot stand-ins
//! (support/robots.rs); helpers are in notify.rs.

use std::time::Duration;

use crate::lifecycle::{escalate, now_ms};
use crate::notify::{deliveries, save_channel, save_roster, secs, ARGS};
use crate::support::robots::{Received, Robots};
use crate::support::{Db, TestServer};
use chrono::Timelike;
use serde_json::json;
use tokio::time::{sleep, Instant};

on_both_databases!(
    escalations_reach_the_on_duty_person_by_roster_day_night_and_holiday,
    a_burst_goes_as_one_message_of_several_parts,
    a_dispatch_mentions_the_technician_by_the_rosters_phone,
    a_robot_gets_at_most_20_a_minute_and_the_rest_wait,
    undelivered_messages_go_out_after_a_restart_once_each,
);

/// `HH:MM` of a minute of the day (any integer: wrapped into 0..1440).
fn hm(minute: i64) -> String {
    let m = minute.rem_euclid(24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The company calendar: open all day every day, plus `holidays` lines.
async fn save_calendar(server: &TestServer, admin: &str, holidays: &str) {
    let weekly = vec!["00:00-24:00"; 7];
    let body = json!({ "form": { "always": false, "weekly": weekly, "holidays": holidays } });
    let res = server.call_json("save_calendar", &body, Some(admin)).await;
    assert_eq!(res.status, 200, "save_calendar: {}", res.text());
}

async fn roster(server: &TestServer, admin: &str, lines: &str) {
    let res = save_roster(server, admin, &format!("days,start,end,name,phone\n{lines}")).await;
    assert_eq!(res.status, 200, "save_roster: {}", res.text());
}

/// The one message `provider` received among `msgs`.
fn from<'a>(msgs: &'a [Received], provider: &str) -> &'a Received {
    let mut of = msgs.iter().filter(|m| m.provider == provider);
    let first = of.next().unwrap_or_else(|| panic!("no {provider} message in {msgs:#?}"));
    assert!(of.next().is_none(), "more than one {provider} message in {msgs:#?}");
    first
}

/// The three robots' messages about a case (one each, within 10 s).
async fn about(robots: &Robots, number: &str) -> Vec<Received> {
    let got = robots.wait_about(number, 3, secs(10)).await;
    assert_eq!(got.len(), 3, "one message per robot about {number}: {got:#?}");
    got
}

async fn escalations_reach_the_on_duty_person_by_roster_day_night_and_holiday(db: Db) {
    let robots = Robots::start().await;
    let server = TestServer::start_with(db, ARGS).await;
    let admin = server.login("admin", "fixline-demo").await;
    let ding = robots.dingtalk("dt-duty-00000000000000001", "SECduty000000000000000000001");
    save_channel(&server, &admin, "dingtalk", "值班群（钉钉）", &ding, "SECduty000000000000000000001").await;
    save_channel(&server, &admin, "wecom", "值班群（企业微信）", &robots.wecom("wk-duty-00000000000000001"), "").await;
    let feishu = robots.feishu("fs-duty-00000000000000001", "fskduty0000000000000000001");
    save_channel(&server, &admin, "feishu", "值班群（飞书）", &feishu, "fskduty0000000000000000001").await;

    // Rosters and calendars are in Shanghai time.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let minute = i64::from(now.hour() * 60 + now.minute());
    // From an hour ago to an hour from now (past midnight is fine: an
    // overnight shift); and 3 to 4 hours from now, which never covers now.
    let (on_start, on_end) = (hm(minute - 60), hm(minute + 60));
    let (off_start, off_end) = (hm(minute + 180), hm(minute + 240));

    // A working day: the shift covering now is mentioned, the other is not.
    save_calendar(&server, &admin, "").await;
    roster(&server, &admin, &format!("every,{on_start},{on_end},值班甲,13900000001\nevery,{off_start},{off_end},值班乙,13900000002\n"))
        .await;
    let day = escalate(&server, "notify-duty-00000000000001", "13800138000").await;
    let got = about(&robots, &day).await;
    let d = from(&got, "dingtalk");
    assert_eq!(d.mentions, ["13900000001"], "{d:#?}");
    assert!(d.text.contains("@13900000001"), "DingTalk mentions in the text too: {d:#?}");
    assert_eq!(from(&got, "wecom").mentions, ["13900000001"], "{got:#?}");
    let f = from(&got, "feishu");
    assert!(f.mentions.is_empty() && f.text.contains("值班甲") && f.text.contains("13900000001"), "{f:#?}");
    assert!(got.iter().all(|m| !m.text.contains("13900000002") && !m.text.contains("值班乙")), "{got:#?}");

    // A holiday (today and tomorrow, in case the test runs over midnight):
    // the off-day shift is on duty, the working-day one is not.
    let today = now.date_naive();
    let tomorrow = today.succ_opt().unwrap();
    save_calendar(&server, &admin, &format!("{today},假,测试假日\n{tomorrow},假,测试假日\n")).await;
    roster(&server, &admin, "offdays,00:00,00:00,假日值班,13900000003\nworkdays,00:00,00:00,工作日值班,13900000004\n").await;
    let holiday = escalate(&server, "notify-duty-00000000000002", "13800138000").await;
    let got = about(&robots, &holiday).await;
    assert_eq!(from(&got, "dingtalk").mentions, ["13900000003"], "{got:#?}");
    assert_eq!(from(&got, "wecom").mentions, ["13900000003"], "{got:#?}");
    let f = from(&got, "feishu");
    assert!(f.text.contains("假日值班") && f.text.contains("13900000003"), "{f:#?}");
    assert!(got.iter().all(|m| !m.text.contains("13900000004")), "{got:#?}");

    // Night: nobody's shift covers now, so nobody is mentioned.
    roster(&server, &admin, &format!("every,{off_start},{off_end},值班乙,13900000002\n")).await;
    let night = escalate(&server, "notify-duty-00000000000003", "13800138000").await;
    let got = about(&robots, &night).await;
    for m in &got {
        assert!(m.mentions.is_empty(), "{m:#?}");
        assert!(!m.text.contains("13900000002") && !m.text.contains("@1"), "{m:#?}");
    }

    // Each escalation went out once per robot, nothing more.
    sleep(secs(1)).await;
    assert_eq!(robots.received().len(), 9, "{:#?}", robots.received());
    server.stop().await;
}

/// The notification tests' arguments with a slow worker: a burst is due at once.
fn slow_worker() -> Vec<&'static str> {
    let mut args: Vec<&str> = ARGS.to_vec();
    let every = args.iter().position(|a| *a == "--notify-every-ms").expect("ARGS set the worker's pace");
    args[every + 1] = "3000";
    args
}

async fn a_burst_goes_as_one_message_of_several_parts(db: Db) {
    let robots = Robots::start().await;
    let server = TestServer::start_with(db, &slow_worker()).await;
    let admin = server.login("admin", "fixline-demo").await;
    let key = "wk-bundle-000000000000001";
    let channel = save_channel(&server, &admin, "wecom", "调度群", &robots.wecom(key), "").await;
    save_roster(&server, &admin, "days,start,end,name,phone\nevery,00:00,00:00,值班甲,13900000001\n").await;

    let mut numbers = Vec::new();
    for i in 0..12 {
        numbers.push(escalate(&server, &format!("notify-bundle-{i:012}"), "13800138000").await);
    }
    let deadline = Instant::now() + secs(20);
    while !numbers.iter().all(|n| robots.received().iter().any(|m| m.text.contains(n.as_str()))) {
        assert!(Instant::now() < deadline, "not every case announced: {:#?}", robots.received());
        sleep(Duration::from_millis(100)).await;
    }
    sleep(secs(4)).await;
    let got = robots.received();
    // Each case once; fewer messages than cases, one of several parts with
    // its heading; each within WeCom's 2048 bytes (the stand-in refuses more).
    for n in &numbers {
        assert_eq!(got.iter().filter(|m| m.text.contains(n.as_str())).count(), 1, "{n}: {got:#?}");
    }
    assert!(got.len() < numbers.len(), "a burst of {} went as {} messages: {got:#?}", numbers.len(), got.len());
    let bundled = got.iter().find(|m| m.text.contains("条通知】")).unwrap_or_else(|| panic!("no bundle: {got:#?}"));
    assert!(bundled.text.matches("FX-").count() >= 2, "{bundled:#?}");
    assert!(robots.refusals().is_empty(), "{:?}", robots.refusals());
    // The on-duty person is mentioned once per message, not once per part.
    assert_eq!(bundled.mentions, ["13900000001"], "{bundled:#?}");
    // The log has every message sent, each with its own try.
    let sent = deliveries(&server, &admin, "", Some(channel), Some("sent")).await;
    assert_eq!(sent.len(), numbers.len(), "{sent:#?}");
    assert_eq!(server.count("notify_attempts").await, numbers.len() as i64);
    server.stop().await;
}

async fn a_dispatch_mentions_the_technician_by_the_rosters_phone(db: Db) {
    let robots = Robots::start().await;
    let server = TestServer::start_with(db, ARGS).await;
    let admin = server.login("admin", "fixline-demo").await;
    let (token, secret) = ("dt-tech-00000000000000001", "SECtech000000000000000000001");
    save_channel(&server, &admin, "dingtalk", "调度群（钉钉）", &robots.dingtalk(token, secret), secret).await;
    save_channel(&server, &admin, "wecom", "调度群（企业微信）", &robots.wecom("wk-tech-00000000000000001"), "").await;
    // The technician's shift is not now: it is the name that finds the phone, not the duty.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let minute = i64::from(now.hour() * 60 + now.minute());
    let (start, end) = (hm(minute + 180), hm(minute + 240));
    roster(&server, &admin, &format!("every,{start},{end},技术员 王强,13900000044\n")).await;

    let number = escalate(&server, "notify-tech-0000000000001", "13800138000").await;
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = crate::lifecycle::staff_id(&server, &tech).await;
    assert_eq!(server.act(&dispatcher, &number, json!({ "action": "claim" })).await.status, 200);
    let appointment = (now_ms() / 60_000 + 90) * 60_000;
    let dispatch = json!({ "action": "dispatch", "technician": tech_id, "appointment_ms": appointment, "notes": "" });
    assert_eq!(server.act(&dispatcher, &number, dispatch).await.status, 200);

    let deadline = Instant::now() + secs(15);
    let dispatched = loop {
        let got: Vec<Received> = robots.about(&number).into_iter().filter(|m| m.text.contains("技术员 王强")).collect();
        if got.len() == 2 {
            break got;
        }
        assert!(Instant::now() < deadline, "no dispatch message on both robots: {:#?}", robots.received());
        sleep(Duration::from_millis(100)).await;
    };
    for m in &dispatched {
        assert_eq!(m.mentions, ["13900000044"], "{m:#?}");
    }
    // DingTalk highlights a mention only with the number in the text too.
    assert!(from(&dispatched, "dingtalk").text.contains("@13900000044"), "{dispatched:#?}");
    server.stop().await;
}

async fn a_robot_gets_at_most_20_a_minute_and_the_rest_wait(db: Db) {
    let robots = Robots::start().await;
    let server = TestServer::start_with(db, ARGS).await;
    let admin = server.login("admin", "fixline-demo").await;
    let key = "wk-burst-0000000000000001";
    let channel = save_channel(&server, &admin, "wecom", "调度群", &robots.wecom(key), "").await;

    // One at a time (each delivered before the next case), so none are
    // bundled: twenty messages, then the limit.
    for i in 0..25 {
        let number = escalate(&server, &format!("notify-burst-{i:013}"), "13800138000").await;
        if i < 20 {
            assert_eq!(robots.wait_about(&number, 1, secs(10)).await.len(), 1, "{number} delivered alone");
        }
    }
    let got = robots.wait_for(20, secs(20)).await;
    assert_eq!(got.len(), 20, "{got:#?}");
    // A few more rounds of the worker: still 20, and the robot never had to refuse.
    sleep(secs(3)).await;
    assert_eq!(robots.received().len(), 20, "at most 20 a minute");
    assert!(robots.refusals().is_empty(), "the server kept within the limit itself: {:?}", robots.refusals());

    let sent = deliveries(&server, &admin, "", Some(channel), Some("sent")).await;
    assert_eq!(sent.len(), 20, "{sent:#?}");
    let waiting = deliveries(&server, &admin, "", Some(channel), Some("pending")).await;
    assert_eq!(waiting.len(), 5, "{waiting:#?}");
    let now = now_ms();
    for r in &waiting {
        assert!(r["next_at_ms"].as_i64().is_some_and(|at| at > now), "waits for the minute to pass: {r}");
    }
    server.stop().await;
}

async fn undelivered_messages_go_out_after_a_restart_once_each(db: Db) {
    let robots = Robots::start().await;
    let mut server = TestServer::start_with(db, ARGS).await;
    let admin = server.login("admin", "fixline-demo").await;
    let (key, token, secret) = ("wk-restart-00000000000001", "dt-restart-00000000000001", "SECrestart000000000000000001");
    save_channel(&server, &admin, "wecom", "调度群（企业微信）", &robots.wecom(key), "").await;
    save_channel(&server, &admin, "dingtalk", "调度群（钉钉）", &robots.dingtalk(token, secret), secret).await;

    // The robots are down; every message is tried (and fails) before the restart.
    robots.fail_next(1_000_000);
    let mut numbers = Vec::new();
    for i in 0..5 {
        numbers.push(escalate(&server, &format!("notify-restart-{i:011}"), "13800138000").await);
    }
    let deadline = Instant::now() + secs(15);
    loop {
        let rows = deliveries(&server, &admin, "", None, None).await;
        let tried = rows.iter().filter(|r| r["topic"] == "new_case" && r["attempts"].as_i64().unwrap_or(0) >= 1).count();
        if tried == 10 {
            break;
        }
        assert!(Instant::now() < deadline, "not every message tried: {rows:#?}");
        sleep(Duration::from_millis(100)).await;
    }
    assert!(robots.received().is_empty());

    // The robots come back only once the old process is gone.
    server.kill_hard();
    robots.fail_next(0);
    server.restart(ARGS).await;
    // A message the killed process had in hand stays leased to it for up to
    // 2 × the timeout + 30 s: 32 s here.
    // Due together after the restart, each robot's five may go as fewer
    // messages of several parts.
    let all_in = |got: &[Received]| {
        numbers.iter().all(|n| [key, token].iter().all(|r| got.iter().any(|m| m.robot == *r && m.text.contains(n.as_str()))))
    };
    let deadline = Instant::now() + secs(45);
    while !all_in(&robots.received()) {
        assert!(Instant::now() < deadline, "not every message delivered: {:#?}", robots.received());
        sleep(Duration::from_millis(100)).await;
    }
    // Some more rounds: nothing goes out twice.
    sleep(secs(3)).await;
    let got = robots.received();
    for number in &numbers {
        for robot in [key, token] {
            let n = got.iter().filter(|m| m.robot == robot && m.text.contains(number.as_str())).count();
            assert_eq!(n, 1, "{number} on {robot}: {got:#?}");
        }
    }
    assert!(got.len() <= 10, "{got:#?}");
    let admin = server.login("admin", "fixline-demo").await;
    let rows = deliveries(&server, &admin, "", None, Some("sent")).await;
    assert_eq!(rows.len(), 10, "{rows:#?}");
    server.stop().await;
}

/// Two instances share the outbox: each message is sent by one of them, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_deliver_each_message_once() {
    let robots = Robots::start().await;
    let a = TestServer::start_with(Db::Postgres, ARGS).await;
    let b = a.another_instance(ARGS).await;
    let admin = a.login("admin", "fixline-demo").await;
    let (token, secret) = ("dt-pair-00000000000000001", "SECpair000000000000000000001");
    save_channel(&a, &admin, "dingtalk", "调度群", &robots.dingtalk(token, secret), secret).await;

    let mut numbers = Vec::new();
    for i in 0..15 {
        let server = if i % 2 == 0 { &a } else { &b };
        numbers.push(escalate(server, &format!("notify-pair-{i:014}"), "13800138000").await);
    }
    let deadline = Instant::now() + secs(30);
    while !numbers.iter().all(|n| robots.received().iter().any(|m| m.text.contains(n.as_str()))) {
        assert!(Instant::now() < deadline, "not every message delivered: {:#?}", robots.received());
        sleep(Duration::from_millis(100)).await;
    }
    // Several more rounds on both instances: still once each.
    sleep(secs(3)).await;
    let got = robots.received();
    for number in &numbers {
        assert_eq!(got.iter().filter(|m| m.text.contains(number.as_str())).count(), 1, "{number}: {got:#?}");
    }
    assert!(got.len() <= 15, "{got:#?}");
    assert_eq!(a.count("notify_attempts").await, 15, "one attempt per message");
    b.stop().await;
    a.stop().await;
}
