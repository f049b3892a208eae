//! E-mail channels over SMTP, against a local relay (support/smtp.rs) that
//! speaks the protocol and keeps what it accepts: an admin's test mail and
//! a new case reaching every recipient, a relay's temporary refusal
//! retried, bad recipients refused, and no e-mail channel on a server
//! without a relay.

use std::time::Duration;

use crate::lifecycle::escalate;
use crate::notify::{deliveries, ARGS};
use crate::support::smtp::Smtp;
use crate::support::{Db, TestServer};
use serde_json::{json, Value};

on_both_databases!(e_mail_reaches_every_recipient_and_retries_a_busy_relay, e_mail_channels_are_checked);

fn form(recipients: &str) -> Value {
    json!({ "form": {
        "id": null, "kind": "email", "name": "值班邮箱", "url": recipients, "secret": "",
        "topics": ["new_case", "breach"], "org_id": null, "mention_on_duty": true, "language": "ZhCn", "active": true
    }})
}

async fn server_with_relay(db: Db, relay: &Smtp) -> TestServer {
    let url = relay.url();
    let mut args: Vec<&str> = ARGS.to_vec();
    args.extend(["--smtp-url", url.as_str(), "--smtp-from", "Fixline 售后 <noreply@fixline.test>"]);
    TestServer::start_with(db, &args).await
}

async fn e_mail_reaches_every_recipient_and_retries_a_busy_relay(db: Db) {
    let relay = Smtp::start().await;
    let server = server_with_relay(db, &relay).await;
    let admin = server.login("admin", "fixline-demo").await;
    let res = server.call_json("save_channel", &form("dispatch@hengan.test, 主管 <boss@hengan.test>"), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let id = res.json().as_i64().unwrap();

    // The test mail: the relay's answer comes back, to both recipients, from the configured sender.
    let res = server.call_json("test_channel", &json!({ "id": id }), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let outcome = res.json();
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(outcome["status"], 250, "{outcome}");
    assert!(outcome["answer"].as_str().unwrap().contains("queued"), "{outcome}");
    let mails = relay.mails();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mails[0].from, "noreply@fixline.test");
    assert_eq!(mails[0].to, ["dispatch@hengan.test", "boss@hengan.test"]);
    assert!(mails[0].text().contains("测试"), "{}", mails[0].text());
    assert!(mails[0].header("Subject").is_some_and(|s| !s.is_empty()));

    // A new case: the number in a header of its own and in the text, with a link.
    let number = escalate(&server, "email-case-000000000000001", "13800138000").await;
    let mail =
        relay.wait_for(&number, Duration::from_secs(10)).await.unwrap_or_else(|| panic!("no mail about {number}: {:#?}", relay.mails()));
    assert_eq!(mail.header("X-Fixline-Case").as_deref(), Some(number.as_str()));
    let text = mail.text();
    assert!(text.contains(&format!("/console/cases/{number}")), "{text}");
    assert!(text.contains("报警主机") || text.contains("值班"), "{text}");

    // The relay is busy (451) once: the message waits and goes out on the next try.
    relay.fail_next(1);
    let second = escalate(&server, "email-case-000000000000002", "13800138000").await;
    assert!(relay.wait_for(&second, Duration::from_secs(15)).await.is_some(), "{:#?}", relay.mails());
    let rows = deliveries(&server, &admin, &second, None, None).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["status"], "sent", "{rows:#?}");
    assert_eq!(rows[0]["attempts"], 2, "one refusal, then delivered: {rows:#?}");
    assert_eq!(relay.out_of_order(), 0, "the client keeps the protocol's order");
    // Exactly one mail per case, whatever the retries.
    assert_eq!(relay.mails().iter().filter(|m| m.header("X-Fixline-Case").as_deref() == Some(second.as_str())).count(), 1);
    server.stop().await;
}

async fn e_mail_channels_are_checked(db: Db) {
    let relay = Smtp::start().await;
    let server = server_with_relay(db, &relay).await;
    let admin = server.login("admin", "fixline-demo").await;
    for bad in ["", "not-an-address", "a@b", "ops@hengan.test; x", "a@hengan.test,,b@", &"x".repeat(600)] {
        let res = server.call_json("save_channel", &form(bad), Some(&admin)).await;
        assert_eq!(res.status, 422, "{bad:?}: {}", res.text());
        assert_eq!(res.json()["fields"][0]["field"], "channel_url", "{bad:?}: {}", res.text());
    }
    let many: Vec<String> = (0..21).map(|i| format!("p{i}@hengan.test")).collect();
    assert_eq!(server.call_json("save_channel", &form(&many.join(",")), Some(&admin)).await.status, 422, "at most 20 recipients");
    assert_eq!(server.count("notify_channels").await, 0);
    server.stop().await;

    // Without a relay configured, e-mail channels are refused by name.
    let bare = TestServer::start_with(db, ARGS).await;
    let admin = bare.login("admin", "fixline-demo").await;
    let res = bare.call_json("save_channel", &form("dispatch@hengan.test"), Some(&admin)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(res.json()["fields"][0]["field"], "channel_url");
    let listed = bare.call_json("load_channels", &json!({}), Some(&admin)).await.json();
    assert_eq!(listed["email_ready"], false, "{listed}");
    bare.stop().await;
}
