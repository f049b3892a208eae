//! Texts to customers who opted in at intake, over HTTP against local
//! stand-ins for Aliyun's and Tencent Cloud's template-SMS APIs
//! (support/sms.rs), which check signatures, templates, numbers and the
//! per-number limits as the providers do. Here: configuring an account and
//! sending a test, refusing bad configuration, and who may do what; with
//! the helpers both SMS files use. What the customers get (one text per
//! case event with the right parameters, on either provider; one text per
//! gap and ten a day per number; retries; many customers at once) is in
//! notify_sms_delivery.rs.

use std::time::Duration;

use crate::notify::{assert_no_secrets, attempts, secs, ARGS};
use crate::support::logged::LoggedServer;
use crate::support::sms::SmsProviders;
use crate::support::{Db, Response, TestServer};
use serde_json::{json, Value};
use tokio::time::sleep;

on_both_databases!(
    an_admin_configures_aliyun_and_sends_a_test_without_showing_the_secret,
    bad_sms_configuration_is_refused_and_changes_nothing,
    only_admins_configure_sms_and_leads_read_its_log,
);

/// The server's least time between two texts to one number.
pub(crate) const GAP_MS: i64 = 300;
/// The stand-ins allow a text this much sooner than the server's gap: the
/// server times its sends, the stand-in their arrival.
pub(crate) const SLACK_MS: i64 = 50;

/// The notification tests' arguments, and a short gap between texts to one number.
pub(crate) fn args() -> Vec<&'static str> {
    let mut args = ARGS.to_vec();
    args.extend(["--sms-gap-ms", "300"]);
    args
}

// Distinctive credentials: none may ever be shown back or logged.
const ALI_KEY: &str = "LTAI5tFx7Q2wK9mZ3pR8vN4c";
const ALI_SECRET: &str = "Fx9aLiYunSeCrEt7d2c4b6a8e0f1357";
pub(crate) const TC_ID: &str = "AKIDfx3T9k2LmQ7wZ4pR8sV1nB6cY0hJ5gE";
pub(crate) const TC_KEY: &str = "fxTcSeCrEt8b1d3f5a7c9e2046813579bd";
pub(crate) const TC_APP: &str = "1400987654";
pub(crate) const WRONG_SECRET: &str = "WrongSeCrEt00001111222233334444";
pub(crate) const SIGN: &str = "恒安售后";

/// (message, Aliyun TemplateCode, Tencent TemplateId, the template's variables in order)
const TEMPLATES: [(&str, &str, &str, &[&str]); 5] = [
    ("received", "SMS_480101", "2180101", &["number"]),
    ("appointment", "SMS_480102", "2180102", &["number", "time"]),
    ("on_the_way", "SMS_480105", "2180105", &["number", "time"]),
    ("quote", "SMS_480103", "2180103", &["number", "amount"]),
    ("fixed", "SMS_480104", "2180104", &["number", "link"]),
];

/// Both providers, with the accounts, signature and templates above.
pub(crate) async fn providers() -> SmsProviders {
    let sms = SmsProviders::start().await;
    sms.aliyun_account(ALI_KEY, ALI_SECRET);
    sms.aliyun_sign(SIGN);
    sms.tencent_account(TC_ID, TC_KEY);
    sms.tencent_app(TC_APP);
    sms.tencent_sign(SIGN);
    for (_, aliyun, tencent, vars) in TEMPLATES {
        sms.aliyun_template(aliyun, vars);
        sms.tencent_template(tencent, vars);
    }
    sms.set_gap(Duration::from_millis((GAP_MS - SLACK_MS) as u64));
    sms
}

/// A `save_sms` body for the provider's account above, signing with `secret`.
pub(crate) fn sms_form(provider: &str, endpoint: &str, secret: &str) -> Value {
    let tencent = provider == "tencent";
    let templates: serde_json::Map<String, Value> = TEMPLATES
        .into_iter()
        .map(|(message, aliyun, tc, _)| (message.to_string(), Value::from(if tencent { tc } else { aliyun })))
        .collect();
    let (key_id, app_id) = if tencent { (TC_ID, TC_APP) } else { (ALI_KEY, "") };
    json!({ "form": {
        "provider": provider, "endpoint": endpoint, "key_id": key_id, "secret": secret,
        "sign_name": SIGN, "app_id": app_id, "templates": templates, "active": true
    }})
}

pub(crate) fn aliyun_form(endpoint: &str) -> Value {
    sms_form("aliyun", endpoint, ALI_SECRET)
}

pub(crate) fn tencent_form(endpoint: &str) -> Value {
    sms_form("tencent", endpoint, TC_KEY)
}

/// `form` with the field at `path` (e.g. "templates/received") set to `value`.
pub(crate) fn with(form: &Value, path: &str, value: Value) -> Value {
    let mut form = form.clone();
    *form.pointer_mut(&format!("/form/{path}")).unwrap_or_else(|| panic!("no {path} in the form")) = value;
    form
}

pub(crate) async fn save_sms(server: &TestServer, admin: &str, form: &Value) {
    let res = server.call_json("save_sms", form, Some(admin)).await;
    assert_eq!(res.status, 200, "save_sms {form}: {}", res.text());
}

/// The status of a refused account: 422 with `kind: "invalid"` and the
/// fields named, as a refused save_channel.
const REFUSED: u16 = 422;

/// A refused `save_sms`: an error the console words in the user's language.
async fn refused(server: &TestServer, admin: &str, form: &Value) {
    let res = server.call_json("save_sms", form, Some(admin)).await;
    assert_eq!(res.status, REFUSED, "{form}: expected a refusal, got {} {}", res.status, res.text());
    assert!(res.json()["kind"].is_string(), "{form}: not an error the console can word: {}", res.text());
}

pub(crate) async fn load_sms(server: &TestServer, admin: &str) -> Value {
    let res = server.call_json("load_sms", &json!({}), Some(admin)).await;
    assert_eq!(res.status, 200, "load_sms: {}", res.text());
    res.json()
}

pub(crate) async fn test_sms(server: &TestServer, admin: &str, phone: &str) -> Response {
    server.call_json("test_sms", &json!({ "phone": phone }), Some(admin)).await
}

/// The text log, newest first ("" for every case).
pub(crate) async fn list_sms(server: &TestServer, cookie: &str, case_number: &str) -> Vec<Value> {
    let res = server.call_json("list_sms", &json!({ "case_number": case_number }), Some(cookie)).await;
    assert_eq!(res.status, 200, "list_sms: {}", res.text());
    res.json().as_array().unwrap_or_else(|| panic!("a list of texts: {}", res.text())).clone()
}

pub(crate) fn count(rows: &[Value], status: &str) -> usize {
    rows.iter().filter(|r| r["status"] == status).count()
}

/// Log rows show numbers masked (`138****8000`), never in full.
pub(crate) fn assert_masked(rows: &[Value], phones: &[&str]) {
    let text = serde_json::to_string(rows).unwrap();
    for phone in phones {
        assert!(!text.contains(phone), "the log shows {phone} in full: {text}");
    }
    for r in rows {
        assert!(r["phone"].as_str().is_some_and(|p| p.contains("****")), "not masked: {r}");
    }
}

pub(crate) fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn an_admin_configures_aliyun_and_sends_a_test_without_showing_the_secret(db: Db) {
    let sms = providers().await;
    // The usual test server creates and seeds the database (and drops it at
    // the end); a process of our own, logging at debug level, serves it.
    let args = args();
    let mut server = TestServer::start_with(db, &args).await;
    server.kill_hard();
    let mut logged = LoggedServer::spawn(&server.database_url, &args, "debug").await;
    server.addr = logged.addr.clone();
    let admin = server.login("admin", "fixline-demo").await;
    let secrets = [ALI_SECRET, WRONG_SECRET];

    let empty = load_sms(&server, &admin).await;
    assert_eq!((&empty["configured"], &empty["provider"], &empty["active"]), (&json!(false), &json!("aliyun"), &json!(false)), "{empty}");
    assert_eq!(empty["endpoint"], "https://dysmsapi.aliyuncs.com/", "{empty}");
    for field in ["key_id", "secret", "sign_name", "app_id"] {
        assert_eq!(empty[field], "", "{field}: {empty}");
    }
    for (message, ..) in TEMPLATES {
        assert_eq!(empty["templates"][message], "", "{message}: {empty}");
    }

    let url = sms.aliyun_url();
    save_sms(&server, &admin, &aliyun_form(&url)).await;
    let loaded = load_sms(&server, &admin).await;
    assert_no_secrets(&loaded.to_string(), &secrets, "load_sms");
    assert_eq!((&loaded["configured"], &loaded["provider"], &loaded["active"]), (&json!(true), &json!("aliyun"), &json!(true)), "{loaded}");
    assert_eq!((&loaded["endpoint"], &loaded["key_id"], &loaded["sign_name"]), (&json!(url), &json!(ALI_KEY), &json!(SIGN)), "{loaded}");
    assert!(loaded["secret"].is_string(), "{loaded}");
    for (message, code, ..) in TEMPLATES {
        assert_eq!(loaded["templates"][message], code, "{loaded}");
    }

    // The test: the received template with a made-up number, sent at once.
    let res = test_sms(&server, &admin, "13800138000").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_no_secrets(&res.text(), &secrets, "test_sms");
    let t = res.json();
    assert_eq!((&t["ok"], &t["status"]), (&json!(true), &json!(200)), "{t}");
    assert!(t["answer"].as_str().unwrap_or_default().contains("OK") && t["latency_ms"].is_i64(), "{t}");
    let got = sms.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    let m = &got[0];
    assert_eq!((m.provider, m.account.as_str(), m.phone.as_str()), ("aliyun", ALI_KEY, "13800138000"), "{m:#?}");
    assert_eq!((m.sign_name.as_str(), m.template.as_str()), (SIGN, "SMS_480101"), "{m:#?}");
    assert_eq!(m.params, pairs(&[("number", "FX-000000")]));
    assert!(sms.refusals().is_empty(), "{:?}", sms.refusals());
    let rows = list_sms(&server, &admin, "").await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let row = &rows[0];
    assert_eq!((&row["message"], &row["status"], &row["phone"]), (&json!("test"), &json!("sent"), &json!("138****8000")), "{row}");
    assert!(row["case_number"].is_null() && row["sent_at_ms"].is_i64() && attempts(row) == 1, "{row}");
    assert_masked(&rows, &["13800138000"]);

    // Saved with an empty secret, the stored one is kept: it still signs.
    save_sms(&server, &admin, &with(&aliyun_form(&url), "secret", json!(""))).await;
    assert_eq!(load_sms(&server, &admin).await, loaded, "an empty secret changes nothing");
    assert_eq!(test_sms(&server, &admin, "13900139000").await.json()["ok"], true);

    // A wrong secret: Aliyun refuses the signature, and the test says so.
    save_sms(&server, &admin, &sms_form("aliyun", &url, WRONG_SECRET)).await;
    let res = test_sms(&server, &admin, "13700137000").await;
    assert_no_secrets(&res.text(), &secrets, "test_sms");
    let t = res.json();
    assert_eq!((&t["ok"], &t["status"]), (&json!(false), &json!(400)), "{t}");
    assert!(t["answer"].as_str().unwrap_or_default().contains("SignatureDoesNotMatch"), "{t}");
    // A key Aliyun does not know.
    save_sms(&server, &admin, &with(&aliyun_form(&url), "key_id", json!("LTAI5tUnknownKey00000000"))).await;
    let t = test_sms(&server, &admin, "13600136000").await.json();
    assert_eq!((&t["ok"], &t["status"]), (&json!(false), &json!(404)), "{t}");
    assert!(t["answer"].as_str().unwrap_or_default().contains("InvalidAccessKeyId.NotFound"), "{t}");
    let codes: Vec<String> = sms.refusals().into_iter().map(|r| r.code).collect();
    assert_eq!(codes, ["SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound"]);

    // What is no mainland mobile number is refused before anything is sent.
    for phone in ["", "12345", "021-63850000", "23800138000", "+1 415 555 0100"] {
        let res = test_sms(&server, &admin, phone).await;
        assert_eq!(res.status, 422, "{phone:?}: {}", res.text());
    }
    // A test is tried once, never again by the worker.
    sleep(secs(2)).await;
    assert_eq!(sms.requests(), 4);
    assert_eq!(sms.received().len(), 2);
    let rows = list_sms(&server, &admin, "").await;
    assert_eq!(count(&rows, "sent"), 2, "{rows:#?}");
    assert!(rows.iter().all(|r| r["message"] == "test" && r["case_number"].is_null()), "{rows:#?}");
    assert_masked(&rows, &["13800138000", "13900139000", "13700137000", "13600136000"]);
    assert_no_secrets(&serde_json::to_string(&rows).unwrap(), &secrets, "list_sms");

    let log = logged.stop();
    assert!(log.lines().count() > 5, "debug logging wrote next to nothing: {log}");
    assert_no_secrets(&log, &secrets, "the log");
    server.stop().await;
}

async fn bad_sms_configuration_is_refused_and_changes_nothing(db: Db) {
    let server = TestServer::start_with(db, &args()).await;
    let admin = server.login("admin", "fixline-demo").await;
    let url = "http://127.0.0.1:9/";
    let (aliyun, tencent) = (aliyun_form(url), tencent_form(url));
    let bad = [
        with(&aliyun, "endpoint", json!("ftp://127.0.0.1:9/")),
        with(&aliyun, "endpoint", json!("127.0.0.1:9")),
        with(&aliyun, "endpoint", json!("")),
        with(&aliyun, "key_id", json!("")),
        with(&aliyun, "key_id", json!("LTAI 5tFx7Q2w")),
        with(&aliyun, "key_id", json!("L".repeat(101))),
        with(&aliyun, "sign_name", json!("")),
        with(&aliyun, "sign_name", json!("恒".repeat(13))),
        with(&aliyun, "templates/received", json!("SMS-480101")),
        with(&aliyun, "templates/fixed", json!("模板")),
        with(&aliyun, "templates/quote", json!("S".repeat(41))),
        with(&tencent, "app_id", json!("")),
        with(&tencent, "app_id", json!("14009876a")),
        with(&tencent, "app_id", json!("1".repeat(21))),
        with(&tencent, "endpoint", json!("ftp://127.0.0.1:9/")),
    ];

    let unconfigured = load_sms(&server, &admin).await;
    assert_eq!(test_sms(&server, &admin, "13800138000").await.status, 422, "nothing to test with yet");
    refused(&server, &admin, &with(&aliyun, "secret", json!(""))).await;
    for form in &bad {
        refused(&server, &admin, form).await;
    }
    let res = server.call_json("save_sms", &with(&aliyun, "provider", json!("twilio")), Some(&admin)).await;
    assert_eq!(res.status, 400, "an unknown provider: {}", res.text());
    assert_eq!(load_sms(&server, &admin).await, unconfigured, "refusals store nothing");

    save_sms(&server, &admin, &aliyun).await;
    let saved = load_sms(&server, &admin).await;
    for form in &bad {
        refused(&server, &admin, form).await;
    }
    assert_eq!(load_sms(&server, &admin).await, saved, "refusals change nothing");

    // Without a received template the account is valid, but has nothing to test with.
    save_sms(&server, &admin, &with(&aliyun, "templates/received", json!(""))).await;
    assert_eq!(load_sms(&server, &admin).await["templates"]["received"], "");
    let res = test_sms(&server, &admin, "13800138000").await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(list_sms(&server, &admin, "").await.is_empty());

    // Without --notify-any-url only https on the provider's own host.
    let strict = TestServer::start_with(db, &["--sms-gap-ms", "300"]).await;
    let admin = strict.login("admin", "fixline-demo").await;
    let before = load_sms(&strict, &admin).await;
    for (provider, endpoint) in [
        ("aliyun", "http://dysmsapi.aliyuncs.com/"),
        ("aliyun", "https://example.com/"),
        ("aliyun", "https://sms.tencentcloudapi.com/"),
        ("aliyun", url),
        ("tencent", "https://dysmsapi.aliyuncs.com/"),
        ("tencent", "http://sms.tencentcloudapi.com/"),
    ] {
        refused(&strict, &admin, &sms_form(provider, endpoint, "s3cretValue0001")).await;
    }
    assert_eq!(load_sms(&strict, &admin).await, before);
    // The providers' own endpoints are accepted (inactive: a test never texts anyone for real).
    for (provider, endpoint) in [("aliyun", "https://dysmsapi.aliyuncs.com/"), ("tencent", "https://sms.tencentcloudapi.com/")] {
        save_sms(&strict, &admin, &with(&sms_form(provider, endpoint, "s3cretValue0001"), "active", json!(false))).await;
        let loaded = load_sms(&strict, &admin).await;
        assert_eq!((&loaded["provider"], &loaded["endpoint"], &loaded["active"]), (&json!(provider), &json!(endpoint), &json!(false)));
    }
    strict.stop().await;
    server.stop().await;
}

async fn only_admins_configure_sms_and_leads_read_its_log(db: Db) {
    let server = TestServer::start_with(db, &args()).await;
    let admin = server.login("admin", "fixline-demo").await;
    // Nothing listens on port 9; nothing here may send anything anyway.
    save_sms(&server, &admin, &aliyun_form("http://127.0.0.1:9/")).await;
    let before = load_sms(&server, &admin).await;
    let calls = [
        ("load_sms", json!({})),
        ("save_sms", with(&aliyun_form("http://127.0.0.1:9/"), "sign_name", json!("别人的签名"))),
        ("test_sms", json!({ "phone": "13800138000" })),
        ("list_sms", json!({ "case_number": "" })),
        ("retry_sms", json!({ "id": 1 })),
    ];
    for user in ["dispatcher", "tech"] {
        let cookie = server.login(user, "fixline-demo").await;
        for (endpoint, body) in &calls {
            let res = server.call_json(endpoint, body, Some(&cookie)).await;
            assert_eq!(res.status, 403, "{user} {endpoint}: {}", res.text());
            assert_eq!(res.json()["kind"], "forbidden", "{user} {endpoint}");
        }
    }
    // A supervisor reads the log and puts failed texts back, but configures nothing.
    let supervisor = server.login("supervisor", "fixline-demo").await;
    for (endpoint, body) in &calls[..3] {
        let res = server.call_json(endpoint, body, Some(&supervisor)).await;
        assert_eq!(res.status, 403, "supervisor {endpoint}: {}", res.text());
    }
    let res = server.call_json("list_sms", &calls[3].1, Some(&supervisor)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.json().is_array(), "{}", res.text());
    let res = server.call_json("retry_sms", &calls[4].1, Some(&supervisor)).await;
    assert!(matches!(res.status, 404 | 409), "nothing failed to put back: {} {}", res.status, res.text());

    // Signed out, or never signed in: 401 on all five.
    let gone = server.login("supervisor", "fixline-demo").await;
    let out = server.call_form("logout", "", Some(&gone)).await;
    assert!(out.status < 400, "logout: {} {}", out.status, out.text());
    for cookie in [None, Some(gone.as_str())] {
        for (endpoint, body) in &calls {
            let res = server.call_json(endpoint, body, cookie).await;
            assert_eq!(res.status, 401, "{endpoint} with {cookie:?}: {}", res.text());
            assert_eq!(res.json()["kind"], "unauthenticated", "{endpoint}");
        }
    }
    assert_eq!(load_sms(&server, &admin).await, before, "refusals change nothing");
    assert!(list_sms(&server, &admin, "").await.is_empty(), "no test was sent");
    server.stop().await;
}
