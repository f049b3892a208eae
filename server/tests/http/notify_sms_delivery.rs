//! What customers who opted in at intake get by text (the stand-ins and
//! helpers are described in notify_sms.rs): one text per case event with
//! the right parameters and nobody else texted, the same texts through
//! Tencent Cloud signed with TC3, one text per gap and ten a day per
//! number, retries, and many customers at once (two instances on
//! PostgreSQL).

use std::time::Duration;

use crate::lifecycle::{now_ms, staff_id};
use crate::notify::{assert_no_secrets, attempts, secs};
use crate::notify_sms::{
    aliyun_form, args, assert_masked, count, list_sms, load_sms, pairs, providers, save_sms, sms_form, tencent_form, test_sms, with,
    GAP_MS, SIGN, SLACK_MS, TC_APP, TC_ID, TC_KEY, WRONG_SECRET,
};
use crate::support::fixtures::{alarm_panel, MINUTE};
use crate::support::sms::Sms;
use crate::support::{Db, TestServer};
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};

on_both_databases!(
    an_opted_in_customer_is_texted_once_per_step_and_nobody_else_is,
    tencent_cloud_gets_the_same_texts_signed_with_tc3,
    a_number_gets_one_text_per_gap_and_ten_a_day,
    failed_texts_are_retried_and_can_be_sent_again,
    dozens_of_customers_at_once_get_one_text_each,
);

/// Polls the log until `done` holds for its rows; panics with `what` after `within`.
async fn wait_sms(
    server: &TestServer,
    cookie: &str,
    case_number: &str,
    what: &str,
    within: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let rows = list_sms(server, cookie, case_number).await;
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{case_number:?}: not {what} within {within:?}: {rows:#?}");
        sleep(Duration::from_millis(100)).await;
    }
}

/// Reports a fault on the organisation's alarm panel, with or without
/// `sms_opt_in` (`None`: the field left out); the case number and its token.
pub(crate) async fn report(server: &TestServer, org_key: &str, submission_id: &str, phone: &str, opt_in: Option<bool>) -> (String, String) {
    let asset = alarm_panel(server, org_key).await;
    let mut body = json!({ "submission": {
        "org_key": org_key, "submission_id": submission_id, "reporter_name": "王芳", "phone": phone, "asset_id": asset,
        "symptom": "报警主机面板全部不亮，按键无反应", "guide_id": "", "guide_version": 0, "steps": [], "result": "escalate"
    }});
    if let Some(opt_in) = opt_in {
        body["submission"]["sms_opt_in"] = json!(opt_in);
    }
    let res = server.call_json("submit_case", &body, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let receipt = res.json();
    (receipt["number"].as_str().unwrap().to_string(), receipt["access_token"].as_str().unwrap().to_string())
}

pub(crate) struct Staff {
    pub dispatcher: String,
    pub tech: String,
    pub tech_id: i64,
}

pub(crate) async fn staff(server: &TestServer) -> Staff {
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let tech = server.login("tech", "fixline-demo").await;
    let tech_id = staff_id(server, &tech).await;
    Staff { dispatcher, tech, tech_id }
}

pub(crate) async fn act_ok(server: &TestServer, cookie: &str, number: &str, action: Value) {
    let res = server.act(cookie, number, action.clone()).await;
    assert_eq!(res.status, 200, "{number} {action}: {}", res.text());
}

/// Sends the demo technician (the case already claimed).
pub(crate) async fn dispatch(server: &TestServer, staff: &Staff, number: &str, appointment_ms: i64) {
    let dispatch = json!({ "action": "dispatch", "technician": staff.tech_id, "appointment_ms": appointment_ms, "notes": "" });
    act_ok(server, &staff.dispatcher, number, dispatch).await;
}

/// The technician checks in and resolves.
async fn fix(server: &TestServer, staff: &Staff, number: &str) {
    act_ok(server, &staff.tech, number, json!({ "action": "check_in" })).await;
    act_ok(server, &staff.tech, number, json!({ "action": "resolve", "summary": "更换电源适配器，主机恢复正常" })).await;
}

/// A whole minute an hour and a half from now.
pub(crate) fn appointment_ms() -> i64 {
    (now_ms() / MINUTE + 90) * MINUTE
}

/// `MM-DD HH:MM` in Shanghai (the demo organisations' zone).
fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().with_timezone(&chrono_tz::Asia::Shanghai).format("%m-%d %H:%M").to_string()
}

/// The one text with this template among `got`.
fn one<'a>(got: &'a [Sms], template: &str) -> &'a Sms {
    let mut of = got.iter().filter(|m| m.template == template);
    let first = of.next().unwrap_or_else(|| panic!("no text with template {template} in {got:#?}"));
    assert!(of.next().is_none(), "more than one text with template {template} in {got:#?}");
    first
}

/// Texts to one number arrived at least the gap apart.
fn assert_spaced(got: &[Sms]) {
    let mut at: Vec<i64> = got.iter().map(|m| m.at_ms).collect();
    at.sort();
    for w in at.windows(2) {
        assert!(w[1] - w[0] >= GAP_MS - SLACK_MS, "texts {} ms apart (gap {GAP_MS} ms): {got:#?}", w[1] - w[0]);
    }
}

async fn an_opted_in_customer_is_texted_once_per_step_and_nobody_else_is(db: Db) {
    let sms = providers().await;
    let server = TestServer::start_with(db, &args()).await;
    let admin = server.login("admin", "fixline-demo").await;
    save_sms(&server, &admin, &aliyun_form(&sms.aliyun_url())).await;
    let staff = staff(&server).await;

    // A paid repair at the factory, for a customer who agreed to texts (the number as typed).
    let (number, token) = report(&server, "demo-factory", "sms-steps-000000000000001", "138 0013 8000", Some(true)).await;
    // Customers who said no, and who were not asked.
    let (declined, _) = report(&server, "demo-hospital", "sms-steps-000000000000002", "13900139000", Some(false)).await;
    let (unasked, _) = report(&server, "demo-hospital", "sms-steps-000000000000003", "13700137000", None).await;

    let appointment = appointment_ms();
    act_ok(&server, &staff.dispatcher, &number, json!({ "action": "claim" })).await;
    let quote = json!({ "action": "issue_quote", "amount_cents": 35_000, "description": "更换主板及电源模块" });
    act_ok(&server, &staff.dispatcher, &number, quote).await;
    let res = server.call_form("answer_quote", &format!("org_key=demo-factory&token={token}&approved=true"), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    dispatch(&server, &staff, &number, appointment).await;
    fix(&server, &staff, &number).await;
    for other in [&declined, &unasked] {
        act_ok(&server, &staff.dispatcher, other, json!({ "action": "claim" })).await;
        dispatch(&server, &staff, other, appointment).await;
        fix(&server, &staff, other).await;
    }

    let got = sms.wait_about(&number, 4, secs(20)).await;
    assert_eq!(got.len(), 4, "received, quote, appointment and fixed: {got:#?}");
    assert_eq!(one(&got, "SMS_480101").params, pairs(&[("number", number.as_str())]));
    assert_eq!(one(&got, "SMS_480103").params, pairs(&[("number", number.as_str()), ("amount", "350.00")]));
    assert_eq!(one(&got, "SMS_480102").params, pairs(&[("number", number.as_str()), ("time", local_time(appointment).as_str())]));
    let fixed = one(&got, "SMS_480104");
    assert_eq!(fixed.param("number"), Some(number.as_str()));
    let link = fixed.param("link").unwrap_or_default();
    assert!(link.starts_with("http") && link.ends_with("/widget/demo-factory"), "{link}");
    for m in &got {
        assert_eq!((m.provider, m.phone.as_str(), m.sign_name.as_str()), ("aliyun", "13800138000", SIGN), "{m:#?}");
    }
    assert_spaced(&got);

    // More rounds of the worker: nothing doubled, nobody else texted.
    sleep(secs(2)).await;
    assert_eq!(sms.received().len(), 4, "{:#?}", sms.received());
    assert!(sms.refusals().is_empty(), "{:?}", sms.refusals());

    let rows = list_sms(&server, &admin, &number).await;
    let mut messages: Vec<&str> = rows.iter().map(|r| r["message"].as_str().unwrap_or_default()).collect();
    messages.sort();
    assert_eq!(messages, ["appointment", "fixed", "quote", "received"], "{rows:#?}");
    for r in &rows {
        assert_eq!((&r["case_number"], &r["status"], &r["phone"]), (&json!(number), &json!("sent"), &json!("138****8000")), "{r}");
        assert!(attempts(r) == 1 && r["sent_at_ms"].is_i64() && r["created_at_ms"].is_i64(), "{r}");
    }
    let created: Vec<i64> = rows.iter().map(|r| r["created_at_ms"].as_i64().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first: {rows:#?}");
    assert_masked(&rows, &["13800138000"]);
    for other in [&declined, &unasked] {
        assert!(list_sms(&server, &admin, other).await.is_empty(), "{other} did not opt in");
    }
    assert_eq!(list_sms(&server, &admin, "").await.len(), 4);
    server.stop().await;
}

async fn tencent_cloud_gets_the_same_texts_signed_with_tc3(db: Db) {
    let sms = providers().await;
    let server = TestServer::start_with(db, &args()).await;
    let admin = server.login("admin", "fixline-demo").await;
    let url = sms.tencent_url();
    save_sms(&server, &admin, &tencent_form(&url)).await;
    let loaded = load_sms(&server, &admin).await;
    assert_no_secrets(&loaded.to_string(), &[TC_KEY, WRONG_SECRET], "load_sms");
    assert_eq!((&loaded["provider"], &loaded["endpoint"], &loaded["app_id"]), (&json!("tencent"), &json!(url), &json!(TC_APP)));
    assert_eq!((&loaded["key_id"], &loaded["templates"]["fixed"]), (&json!(TC_ID), &json!("2180104")));

    let t = test_sms(&server, &admin, "13800138000").await.json();
    assert_eq!((&t["ok"], &t["status"]), (&json!(true), &json!(200)), "{t}");
    assert!(t["answer"].as_str().unwrap_or_default().contains(r#""Ok""#), "{t}");
    let got = sms.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!((got[0].provider, got[0].account.as_str(), got[0].template.as_str()), ("tencent", TC_ID, "2180101"));
    assert_eq!((got[0].phone.as_str(), got[0].values()), ("13800138000", vec!["FX-000000"]));

    let staff = staff(&server).await;
    let (number, _) = report(&server, "demo-hospital", "sms-tencent-0000000000001", "13600136000", Some(true)).await;
    let appointment = appointment_ms();
    act_ok(&server, &staff.dispatcher, &number, json!({ "action": "claim" })).await;
    dispatch(&server, &staff, &number, appointment).await;
    fix(&server, &staff, &number).await;
    let got = sms.wait_about(&number, 3, secs(20)).await;
    assert_eq!(got.len(), 3, "received, appointment and fixed: {got:#?}");
    // TemplateParamSet is positional: the values in the template's order.
    assert_eq!(one(&got, "2180101").values(), [number.as_str()]);
    assert_eq!(one(&got, "2180102").values(), [number.as_str(), local_time(appointment).as_str()]);
    let fixed = one(&got, "2180104").values();
    assert!(fixed.len() == 2 && fixed[0] == number && fixed[1].ends_with("/widget/demo-hospital"), "{fixed:?}");
    for m in &got {
        assert_eq!((m.phone.as_str(), m.sign_name.as_str()), ("13600136000", SIGN), "{m:#?}");
    }
    assert_spaced(&got);
    sleep(secs(1)).await;
    assert_eq!(sms.received().len(), 4, "{:#?}", sms.received());
    assert!(sms.refusals().is_empty(), "every request signed as Tencent Cloud checks: {:?}", sms.refusals());
    let rows = list_sms(&server, &admin, &number).await;
    assert_eq!((rows.len(), count(&rows, "sent")), (3, 3), "{rows:#?}");
    assert!(rows.iter().all(|r| r["phone"] == "136****6000"), "{rows:#?}");
    assert_masked(&rows, &["13600136000"]);

    // A wrong secret key: Tencent Cloud refuses the signature.
    save_sms(&server, &admin, &sms_form("tencent", &url, WRONG_SECRET)).await;
    let res = test_sms(&server, &admin, "13500135000").await;
    assert_no_secrets(&res.text(), &[TC_KEY, WRONG_SECRET], "test_sms");
    let t = res.json();
    assert_eq!(t["ok"], false, "{t}");
    assert!(t["answer"].as_str().unwrap_or_default().contains("AuthFailure.SignatureFailure"), "{t}");
    // An application the account does not have.
    save_sms(&server, &admin, &with(&tencent_form(&url), "app_id", json!("1400000002"))).await;
    let t = test_sms(&server, &admin, "13500135001").await.json();
    assert_eq!(t["ok"], false, "{t}");
    assert!(t["answer"].as_str().unwrap_or_default().contains("InvalidParameterValue.SdkAppIdNotExist"), "{t}");
    let codes: Vec<String> = sms.refusals().into_iter().map(|r| r.code).collect();
    assert_eq!(codes, ["AuthFailure.SignatureFailure", "InvalidParameterValue.SdkAppIdNotExist"]);
    assert_eq!(sms.received().len(), 4);
    server.stop().await;
}

async fn a_number_gets_one_text_per_gap_and_ten_a_day(db: Db) {
    let sms = providers().await;
    // Eleven texts to one number within seconds: the gap and the daily limit are under test.
    sms.set_hourly_limit(None);
    let server = TestServer::start_with(db, &args()).await;
    let admin = server.login("admin", "fixline-demo").await;
    save_sms(&server, &admin, &aliyun_form(&sms.aliyun_url())).await;

    let phone = "13500135000";
    let mut numbers = Vec::new();
    for i in 0..11 {
        numbers.push(report(&server, "demo-hospital", &format!("sms-daily-{i:016}"), phone, Some(true)).await.0);
    }
    let rows =
        wait_sms(&server, &admin, "", "ten sent and one failed", secs(40), |rows| count(rows, "sent") == 10 && count(rows, "failed") == 1)
            .await;
    assert_eq!(rows.len(), 11, "{rows:#?}");
    let failed = rows.iter().find(|r| r["status"] == "failed").unwrap().clone();
    assert!(failed["last_error"].as_str().unwrap_or_default().contains("daily limit"), "{failed}");
    assert_eq!(failed["case_number"], numbers[10].as_str(), "the eleventh in line is refused: {rows:#?}");
    let got = sms.received();
    assert_eq!(got.len(), 10, "{got:#?}");
    for number in &numbers[..10] {
        assert_eq!(sms.about(number).len(), 1, "{number}: {got:#?}");
    }
    assert_spaced(&got);
    assert!(sms.refusals().is_empty(), "the server kept within the limits itself: {:?}", sms.refusals());

    // Put back, it is refused again by the same limit; nothing doubled.
    let res = server.call_json("retry_sms", &json!({ "id": failed["id"] }), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    wait_sms(&server, &admin, &numbers[10], "failed again", secs(10), |rows| {
        rows.len() == 1 && rows[0]["status"] == "failed" && rows[0]["last_error"].as_str().is_some_and(|e| e.contains("daily limit"))
    })
    .await;
    sleep(secs(2)).await;
    assert_eq!(sms.requests(), 10, "the eleventh never went out");
    let rows = list_sms(&server, &admin, "").await;
    assert_eq!((rows.len(), count(&rows, "sent"), count(&rows, "failed")), (11, 10, 1), "{rows:#?}");

    // Another number is not held up by this one.
    let (other, _) = report(&server, "demo-hospital", "sms-daily-other-000000001", "13500135001", Some(true)).await;
    assert_eq!(sms.wait_about(&other, 1, secs(10)).await.len(), 1);
    server.stop().await;
}

async fn failed_texts_are_retried_and_can_be_sent_again(db: Db) {
    let sms = providers().await;
    let server = TestServer::start_with(db, &args()).await;
    let admin = server.login("admin", "fixline-demo").await;
    save_sms(&server, &admin, &aliyun_form(&sms.aliyun_url())).await;

    // Two server errors, then the provider answers: sent on the third try.
    sms.fail_next(2);
    let (first, _) = report(&server, "demo-hospital", "sms-retry-000000000000001", "13300133000", Some(true)).await;
    let rows = wait_sms(&server, &admin, &first, "sent after two errors", secs(20), |rows| count(rows, "sent") == 1).await;
    assert_eq!(rows.len(), 1, "one text per event: {rows:#?}");
    assert_eq!((&rows[0]["message"], attempts(&rows[0])), (&json!("received"), 3), "{rows:#?}");
    assert!(rows[0]["sent_at_ms"].is_i64(), "{rows:#?}");
    assert_eq!(sms.requests(), 3);
    assert_eq!(sms.about(&first).len(), 1);

    // A provider that keeps failing: failed after the last try. Skip the
    // real backoff (minutes): seven tries done, the last one due now; set
    // again whenever a try in flight wrote its own count over ours.
    sms.fail_next(1_000_000);
    let (second, _) = report(&server, "demo-hospital", "sms-retry-000000000000002", "13300133001", Some(true)).await;
    let rows = wait_sms(&server, &admin, &second, "tried", secs(10), |rows| rows.first().is_some_and(|r| attempts(r) >= 1)).await;
    let id = rows[0]["id"].as_i64().unwrap_or_else(|| panic!("an id: {rows:#?}"));
    assert_eq!(rows[0]["status"], "pending", "{rows:#?}");
    assert!(!rows[0]["last_error"].as_str().unwrap_or_default().is_empty(), "the error is recorded: {rows:#?}");
    let deadline = Instant::now() + secs(20);
    let failed = loop {
        let row = list_sms(&server, &admin, &second).await.remove(0);
        if row["status"] == "failed" {
            break row;
        }
        if attempts(&row) < 7 {
            server.execute(&format!("UPDATE sms_outbox SET attempts = 7, next_at = 0 WHERE id = {id}")).await;
        }
        assert!(Instant::now() < deadline, "never failed: {row}");
        sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(attempts(&failed), 8, "{failed}");
    assert!(!failed["last_error"].as_str().unwrap_or_default().is_empty(), "{failed}");
    assert!(sms.about(&second).is_empty());

    // A supervisor puts it back; it goes out once the provider answers.
    sms.fail_next(0);
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let res = server.call_json("retry_sms", &json!({ "id": id }), Some(&supervisor)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let row = list_sms(&server, &admin, &second).await.remove(0);
    assert!(row["status"] == "pending" || row["status"] == "sent", "{row}");
    wait_sms(&server, &admin, &second, "sent after the retry", secs(20), |rows| count(rows, "sent") == 1).await;
    sleep(secs(1)).await;
    assert_eq!(sms.about(&second).len(), 1, "{:#?}", sms.received());
    // Only a failed text can be put back.
    let res = server.call_json("retry_sms", &json!({ "id": id }), Some(&supervisor)).await;
    assert_eq!(res.status, 409, "{}", res.text());
    let first_id = list_sms(&server, &admin, &first).await[0]["id"].clone();
    assert_eq!(server.call_json("retry_sms", &json!({ "id": first_id }), Some(&admin)).await.status, 409);
    assert_eq!(sms.received().len(), 2);
    server.stop().await;
}

async fn dozens_of_customers_at_once_get_one_text_each(db: Db) {
    let sms = providers().await;
    let args = args();
    let a = TestServer::start_with(db, &args).await;
    // On PostgreSQL a second instance shares the outbox, and both deliver.
    let b = match db {
        Db::Postgres => Some(a.another_instance(&args).await),
        Db::Sqlite => None,
    };
    let admin = a.login("admin", "fixline-demo").await;
    save_sms(&a, &admin, &aliyun_form(&sms.aliyun_url())).await;

    let servers: Vec<&TestServer> = std::iter::once(&a).chain(b.as_ref()).collect();
    let phones: Vec<String> = (0..30).map(|i| format!("1391234{i:04}")).collect();
    let ids: Vec<String> = (0..30).map(|i| format!("sms-many-{i:017}")).collect();
    let receipts =
        futures::future::join_all((0..30).map(|i| report(servers[i % servers.len()], "demo-hospital", &ids[i], &phones[i], Some(true))))
            .await;
    let numbers: Vec<String> = receipts.into_iter().map(|(number, _)| number).collect();

    let got = sms.wait_for(30, secs(40)).await;
    assert_eq!(got.len(), 30, "{got:#?}");
    // More rounds on every instance: still one each.
    sleep(secs(3)).await;
    let got = sms.received();
    assert_eq!(got.len(), 30, "{got:#?}");
    for (number, phone) in numbers.iter().zip(&phones) {
        let texts: Vec<&Sms> = got.iter().filter(|m| m.param("number") == Some(number.as_str())).collect();
        assert_eq!(texts.len(), 1, "{number}: {texts:#?}");
        assert_eq!(&texts[0].phone, phone, "{number}");
    }
    assert_eq!(sms.requests(), 30, "one request per text");
    assert!(sms.refusals().is_empty(), "{:?}", sms.refusals());
    let rows = list_sms(&a, &admin, "").await;
    assert_eq!((rows.len(), count(&rows, "sent")), (30, 30), "{rows:#?}");
    assert!(rows.iter().all(|r| attempts(r) == 1), "{rows:#?}");
    if let Some(b) = b {
        b.stop().await;
    }
    a.stop().await;
}
