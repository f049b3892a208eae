//! What bounds the notification tables and the texts an anonymous caller
//! can cause: an organisation's texts in 24 hours are capped (the public
//! form can name any number), and finished messages are deleted with their
//! tries after the retention period, pending ones never.

use std::time::Duration;

use crate::notify_sms::{aliyun_form, args, count, list_sms, providers, save_sms};
use crate::notify_sms_delivery::{act_ok, report, staff};
use crate::support::{Db, TestServer};
use tokio::time::{sleep, Instant};

on_both_databases!(an_organisations_texts_are_capped_a_day, old_finished_notifications_are_purged_with_their_tries,);

async fn an_organisations_texts_are_capped_a_day(db: Db) {
    let sms = providers().await;
    let mut with_cap = args();
    with_cap.extend(["--sms-daily-cap", "2"]);
    let server = TestServer::start_with(db, &with_cap).await;
    let admin = server.login("admin", "fixline-demo").await;
    save_sms(&server, &admin, &aliyun_form(&sms.aliyun_url())).await;

    // Three strangers' numbers typed into the factory's public form, one
    // at the hospital: each a different number, so no per-number limit applies.
    let mut factory = Vec::new();
    for (i, phone) in ["13800000101", "13800000102", "13800000103"].into_iter().enumerate() {
        factory.push(report(&server, "demo-factory", &format!("sms-cap-0000000000000000{i}"), phone, Some(true)).await.0);
    }
    let (hospital, _) = report(&server, "demo-hospital", "sms-cap-00000000000000009", "13800000109", Some(true)).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    let rows = loop {
        let rows = list_sms(&server, &admin, "").await;
        if count(&rows, "pending") == 0 && rows.len() == 4 {
            break rows;
        }
        assert!(Instant::now() < deadline, "texts not settled: {rows:#?}");
        sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(count(&rows, "sent"), 3, "{rows:#?}");
    let failed: Vec<_> = rows.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{rows:#?}");
    assert!(factory.iter().any(|n| failed[0]["case_number"] == n.as_str()), "the factory's third text is the one refused: {rows:#?}");
    let why = failed[0]["last_error"].as_str().unwrap_or_default();
    assert!(why.contains("organisation") && why.contains('2'), "the log says why: {why}");
    assert!(
        rows.iter().any(|r| r["case_number"] == hospital.as_str() && r["status"] == "sent"),
        "another organisation is not held back: {rows:#?}"
    );
    // The provider got three texts and no fourth.
    assert_eq!(sms.received().len(), 3, "{:#?}", sms.received());

    // An admin's "send again" is still capped (the day is not over).
    let id = failed[0]["id"].as_i64().unwrap();
    let res = server.call_json("retry_sms", &serde_json::json!({ "id": id }), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    sleep(Duration::from_millis(1500)).await;
    assert_eq!(sms.received().len(), 3, "a retried text went past the cap: {:#?}", sms.received());

    // Texts staff actions cause still go: spam on the form must not cost a
    // real customer their quote or appointment.
    let staff = staff(&server).await;
    let capped = failed[0]["case_number"].as_str().unwrap().to_string();
    act_ok(&server, &staff.dispatcher, &capped, serde_json::json!({ "action": "claim" })).await;
    let quote = serde_json::json!({ "action": "issue_quote", "amount_cents": 35_000, "description": "更换主板及电源模块" });
    act_ok(&server, &staff.dispatcher, &capped, quote).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !sms.received().iter().any(|m| m.template == "SMS_480103") {
        assert!(Instant::now() < deadline, "no quote text past the cap: {:#?}", list_sms(&server, &admin, &capped).await);
        sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}

const DAY: i64 = 86_400_000;

async fn old_finished_notifications_are_purged_with_their_tries(db: Db) {
    let mut server = TestServer::start_with(db, &args()).await;
    let now = crate::lifecycle::now_ms();
    let old = now - 91 * DAY;
    let recent = now - 2 * DAY;
    let later = now + 30 * DAY;
    server
        .execute(&format!(
            "INSERT INTO notify_channels (id, kind, name, url, secret, topics, active, created_at, updated_at) \
             VALUES (901, 'wecom', 'old robot', 'http://127.0.0.1:9/x', '', 'new_case', 0, {old}, {old})"
        ))
        .await;
    // (id, status, created) for both outboxes: two old finished, one old
    // still pending (its next try a month off), one recent finished.
    let rows = [(1, "sent", old), (2, "failed", old), (3, "pending", old), (4, "sent", recent)];
    for (id, status, at) in rows {
        server
            .execute(&format!(
                "INSERT INTO notify_outbox (id, channel_id, topic, dedupe_key, status, attempts, next_at, created_at) \
                 VALUES ({}, 901, 'new_case', 'old-{id}', '{status}', 1, {later}, {at})",
                9000 + id
            ))
            .await;
        server.execute(&format!("INSERT INTO notify_attempts (outbox_id, channel_id, at, ok) VALUES ({}, 901, {at}, 1)", 9000 + id)).await;
        server
            .execute(&format!(
                "INSERT INTO sms_outbox (id, message, phone, params, dedupe_key, status, attempts, next_at, created_at) \
                 VALUES ({}, 'received', '13800000111', '{{}}', 'old-{id}', '{status}', 1, {later}, {at})",
                9000 + id
            ))
            .await;
        server
            .execute(&format!(
                "INSERT INTO sms_attempts (outbox_id, phone, at, done, ok) VALUES ({}, '13800000111', {at}, 1, 1)",
                9000 + id
            ))
            .await;
    }
    // The worker purges when it starts, then hourly.
    server.restart(&args()).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = [
            server.count("notify_outbox").await,
            server.count("notify_attempts").await,
            server.count("sms_outbox").await,
            server.count("sms_attempts").await,
        ];
        if left == [2, 2, 2, 2] {
            break;
        }
        assert!(Instant::now() < deadline, "old finished messages not purged: {left:?} rows left");
        sleep(Duration::from_millis(200)).await;
    }
    for table in ["notify_outbox", "sms_outbox"] {
        assert_eq!(server.count(&format!("{table} WHERE id IN (9003, 9004)")).await, 2, "{table}: the pending and the recent stay");
    }
    for table in ["notify_attempts", "sms_attempts"] {
        assert_eq!(server.count(&format!("{table} WHERE outbox_id IN (9003, 9004)")).await, 2, "{table}: their tries stay");
    }
    server.stop().await;
}
