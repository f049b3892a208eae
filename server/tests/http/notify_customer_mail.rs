//! E-mails to customers who gave an address at intake, through a local
//! SMTP relay (support/smtp.rs): one per case step in the language they
//! reported in, with the link to follow, answer or rate; the address
//! checked at intake; a relay's permanent refusal not retried; ten a day
//! per address; the log for supervisors, masked, and not for technicians.

use std::time::Duration;

use crate::lifecycle::case;
use crate::notify::{attempts, secs, ARGS};
use crate::notify_sms_delivery::{act_ok, appointment_ms, dispatch, staff};
use crate::support::fixtures::alarm_panel;
use crate::support::smtp::{Mail, Smtp};
use crate::support::{Db, TestServer};
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};

on_both_databases!(a_customer_is_mailed_each_step_in_their_language, addresses_are_checked_refusals_kept_and_limits_hold);

async fn server_with_relay(db: Db, relay: &Smtp) -> TestServer {
    let url = relay.url();
    let mut args: Vec<&str> = ARGS.to_vec();
    args.extend(["--smtp-url", url.as_str(), "--smtp-from", "恒安售后 <service@hengan.test>"]);
    TestServer::start_with(db, &args).await
}

/// Reports a fault with `email` (and `locale`, if given); the HTTP answer.
async fn report(server: &TestServer, submission_id: &str, email: &str, locale: Option<&str>) -> crate::support::Response {
    let asset = alarm_panel(server, "demo-factory").await;
    let mut body = json!({ "submission": {
        "org_key": "demo-factory", "submission_id": submission_id, "reporter_name": "王芳", "phone": "13800138000",
        "asset_id": asset, "symptom": "报警主机面板全部不亮，按键无反应", "guide_id": "", "guide_version": 0, "steps": [],
        "result": "escalate", "email": email
    }});
    if let Some(l) = locale {
        body["submission"]["locale"] = json!(l);
    }
    server.call_json("submit_case", &body, None).await
}

async fn reported(server: &TestServer, submission_id: &str, email: &str, locale: Option<&str>) -> (String, String) {
    let res = report(server, submission_id, email, locale).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let r = res.json();
    (r["number"].as_str().unwrap().to_string(), r["access_token"].as_str().unwrap().to_string())
}

async fn list_mail(server: &TestServer, cookie: &str, number: &str) -> Vec<Value> {
    let res = server.call_json("list_customer_mail", &json!({ "case_number": number }), Some(cookie)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json().as_array().unwrap().clone()
}

async fn wait_mail(server: &TestServer, cookie: &str, number: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + secs(20);
    loop {
        let rows = list_mail(server, cookie, number).await;
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{number}: not {what}: {rows:#?}");
        sleep(Duration::from_millis(100)).await;
    }
}

/// The mails about `number`, waiting until there are `n`.
async fn mails_about(relay: &Smtp, number: &str, n: usize) -> Vec<Mail> {
    let deadline = Instant::now() + secs(20);
    loop {
        let got: Vec<Mail> = relay.mails().into_iter().filter(|m| m.header("X-Fixline-Case").as_deref() == Some(number)).collect();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        sleep(Duration::from_millis(100)).await;
    }
}

fn subject(m: &Mail) -> String {
    m.text().lines().next().unwrap_or_default().to_string()
}

async fn a_customer_is_mailed_each_step_in_their_language(db: Db) {
    let relay = Smtp::start().await;
    let server = server_with_relay(db, &relay).await;
    let admin = server.login("admin", "fixline-demo").await;
    let staff = staff(&server).await;

    // Typed with spaces and a capitalised domain; reported in Traditional Chinese.
    let (number, token) = reported(&server, "mail-steps-0000000000000001", "  Wang.Fang@HengAn.test ", Some("ZhTw")).await;
    // Another customer gave no address: nothing is mailed about their case.
    let (silent, _) = reported(&server, "mail-steps-0000000000000002", "", None).await;

    act_ok(&server, &staff.dispatcher, &number, json!({ "action": "claim" })).await;
    let quote = json!({ "action": "issue_quote", "amount_cents": 35_000, "description": "更换主板及电源模块" });
    act_ok(&server, &staff.dispatcher, &number, quote).await;
    let res = server.call_form("answer_quote", &format!("org_key=demo-factory&token={token}&approved=true"), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    dispatch(&server, &staff, &number, appointment_ms()).await;
    act_ok(&server, &staff.tech, &number, json!({ "action": "check_in" })).await;
    act_ok(&server, &staff.tech, &number, json!({ "action": "resolve", "summary": "更换电源适配器，主机恢复正常" })).await;
    act_ok(&server, &staff.dispatcher, &silent, json!({ "action": "claim" })).await;

    let got = mails_about(&relay, &number, 4).await;
    assert_eq!(got.len(), 4, "received, quote, appointment and fixed: {got:#?}");
    let subjects: Vec<String> = got.iter().map(subject).collect();
    for (want, about) in [("報修已受理", "received"), ("請確認報價：¥350.00", "quote"), ("到府預約", "appointment"), ("已修復", "fixed")]
    {
        assert!(subjects.iter().any(|s| s.contains(want) && s.len() < 120), "{about}: {want} in {subjects:?}");
    }
    for m in &got {
        assert_eq!(m.to, ["Wang.Fang@hengan.test"], "trimmed, the domain in lower case (the mailbox part is the owner's)");
        assert_eq!(m.from, "service@hengan.test");
        let text = m.text();
        assert!(text.contains(&number), "{text}");
        assert!(text.contains("/widget/demo-factory"), "a link to follow the case: {text}");
        assert!(text.contains("請勿直接回覆") && !text.contains("请勿"), "zh-TW throughout: {text}");
    }
    // The fixed mail's link is the one to confirm and rate.
    let fixed = got.iter().find(|m| subject(m).contains("已修復")).unwrap();
    assert!(fixed.text().contains("評分"), "{}", fixed.text());

    // More rounds of the worker: nothing doubled, nobody else mailed.
    sleep(secs(2)).await;
    assert_eq!(relay.mails().len(), 4, "{:#?}", relay.mails());
    assert_eq!(relay.out_of_order(), 0);

    // The log: supervisors and admins see it, masked; technicians do not.
    let rows = list_mail(&server, &admin, &number).await;
    assert_eq!(rows.len(), 4, "{rows:#?}");
    for r in &rows {
        assert_eq!((&r["status"], &r["address"], &r["case_number"]), (&json!("sent"), &json!("W***@hengan.test"), &json!(number)), "{r}");
        assert_eq!(attempts(r), 1, "{r}");
    }
    assert!(!serde_json::to_string(&rows).unwrap().contains("Wang.Fang"), "addresses are masked in the log");
    assert!(list_mail(&server, &admin, &silent).await.is_empty());
    let tech = server.call_json("list_customer_mail", &json!({ "case_number": "" }), Some(&staff.tech)).await;
    assert_eq!(tech.status, 403, "{}", tech.text());
    // Staff see the address on the case, to write by hand.
    assert_eq!(case(&server, &staff.dispatcher, &number).await["email"], "Wang.Fang@hengan.test");
    server.stop().await;
}

async fn addresses_are_checked_refusals_kept_and_limits_hold(db: Db) {
    let relay = Smtp::start().await;
    let server = server_with_relay(db, &relay).await;
    let admin = server.login("admin", "fixline-demo").await;

    // Not an address: refused by field (the form names it in the reader's language), nothing created.
    for (i, bad) in
        ["wang@qq", "wang fang@qq.com", "王芳@qq.com", "a@b.c,d@e.com", &format!("{}@qq.com", "w".repeat(250))].iter().enumerate()
    {
        let res = report(&server, &format!("mail-bad-00000000000000{i:02}"), bad, None).await;
        assert_eq!(res.status, 422, "{bad:?}: {}", res.text());
        let body = res.json();
        assert_eq!(body["fields"][0]["field"], "email", "{bad:?}: {body}");
        assert_eq!(body["fields"][0]["problem"], "invalid", "{bad:?}: {body}");
    }
    assert_eq!(server.count("cases").await, 0, "a refused report creates nothing");

    // A mailbox the relay does not have: refused for good, one try, kept as failed, then sent again by hand.
    let (number, _) = reported(&server, "mail-nobody-000000000000001", "nobody@hengan.test", Some("En")).await;
    let rows = wait_mail(&server, &admin, &number, "failed", |r| r.first().is_some_and(|r| r["status"] == "failed")).await;
    assert_eq!(attempts(&rows[0]), 1, "a 550 is not retried: {rows:#?}");
    assert!(rows[0]["last_error"].as_str().unwrap().contains("550"), "{rows:#?}");
    let id = rows[0]["id"].as_i64().unwrap();
    let res = server.call_json("retry_customer_mail", &json!({ "id": id }), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    wait_mail(&server, &admin, &number, "failed again", |r| r.first().is_some_and(|r| r["status"] == "failed" && attempts(r) == 1)).await;

    // A busy relay (451): the mail waits and goes out on the next try.
    relay.fail_next(1);
    let (busy, _) = reported(&server, "mail-busy-0000000000000001", "li@hengan.test", None).await;
    let rows = wait_mail(&server, &admin, &busy, "sent", |r| r.first().is_some_and(|r| r["status"] == "sent")).await;
    assert_eq!(attempts(&rows[0]), 2, "{rows:#?}");
    assert_eq!(mails_about(&relay, &busy, 1).await.len(), 1);

    // Ten a day to one address, however many reports name it, all at once.
    let ids: Vec<String> = (0..12).map(|i| format!("mail-cap-00000000000000{i:02}")).collect();
    let reports = ids.iter().map(|id| reported(&server, id, "zhao@hengan.test", None));
    let numbers: Vec<String> = futures::future::join_all(reports).await.into_iter().map(|(n, _)| n).collect();
    let deadline = Instant::now() + secs(20);
    let (sent, capped) = loop {
        let rows = list_mail(&server, &admin, "").await;
        let of: Vec<&Value> =
            rows.iter().filter(|r| numbers.contains(&r["case_number"].as_str().unwrap_or_default().to_string())).collect();
        let sent = of.iter().filter(|r| r["status"] == "sent").count();
        let capped = of.iter().filter(|r| r["status"] == "failed" && r["last_error"].as_str().unwrap().contains("daily limit")).count();
        if sent + capped == 12 || Instant::now() > deadline {
            break (sent, capped);
        }
        sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((sent, capped), (10, 2), "ten sent, two stopped by the daily limit");
    assert_eq!(relay.mails().iter().filter(|m| m.to == ["zhao@hengan.test"]).count(), 10);
    server.stop().await;
}
