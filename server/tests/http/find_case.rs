//! A customer on another device finds their case by its number and the
//! phone they reported it with, and follows it from there with a token of
//! that browser's own. A wrong phone, an unknown number, another
//! organisation's widget and malformed input all get the same "not found";
//! guessing is rate-limited; a case keeps at most 20 device tokens.

use crate::lifecycle::escalate;
use crate::support::{Db, TestServer};

on_both_databases!(a_case_is_found_by_number_and_phone_from_another_device,);

fn form(org: &str, number: &str, phone: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
    };
    format!("org_key={org}&number={}&phone={}&client=find-case-client-000000000001", enc(number), enc(phone))
}

async fn a_case_is_found_by_number_and_phone_from_another_device(db: Db) {
    let server = TestServer::start_with(db, &["--anon-rate-per-minute", "0"]).await;
    let number = escalate(&server, "find-case-00000000000000001", "13800001234").await;

    // The phone as a customer types it: spaces, +86.
    let res = server.call_form("find_case", &form("demo-hospital", &number, "+86 138 0000 1234"), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let token = res.json().as_str().unwrap_or_else(|| panic!("a token: {}", res.text())).to_string();
    assert_eq!(token.len(), 64);
    let track = server.call_form("track_case", &format!("org_key=demo-hospital&token={token}"), None).await;
    assert_eq!(track.status, 200, "{}", track.text());
    assert_eq!(track.json()["number"], number.as_str());

    // The same answer for a wrong phone, an unknown or malformed number,
    // another organisation, and nothing typed.
    let refused = [
        form("demo-hospital", &number, "13800009999"),
        form("demo-hospital", "FX-999999", "13800001234"),
        form("demo-hospital", "FX-", "13800001234"),
        form("demo-hospital", "1 OR 1=1", "13800001234"),
        form("demo-factory", &number, "13800001234"),
        form("demo-hospital", "", ""),
    ];
    let mut bodies = Vec::new();
    for body in &refused {
        let res = server.call_form("find_case", body, None).await;
        assert_eq!(res.status, 404, "{body}: {}", res.text());
        bodies.push(res.text());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "one answer for every miss: {bodies:?}");

    // Each find makes a token; a case keeps the newest 20 (the reporter's too).
    for _ in 0..25 {
        let res = server.call_form("find_case", &form("demo-hospital", &number, "13800001234"), None).await;
        if res.status == 429 {
            break;
        }
        assert_eq!(res.status, 200, "{}", res.text());
    }
    // Thirty browsers at once: each gets its token, none a 5xx.
    let (s, body) = (&server, form("demo-hospital", &number, "13800001234"));
    let at_once = futures::future::join_all((0..30).map(|_| s.call_form("find_case", &body, None))).await;
    for res in &at_once {
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let id: i64 = number.trim_start_matches("FX-").parse().unwrap();
    let kept = server.count(&format!("case_access_tokens WHERE case_id = {id}")).await;
    assert!(kept <= 20, "{kept} tokens kept for one case");
    server.stop().await;
}

/// Guessing phone numbers for a known case number runs into the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_is_rate_limited() {
    let server = TestServer::start_with(Db::Sqlite, &["--submit-rate-per-minute", "10"]).await;
    let number = escalate(&server, "find-case-00000000000000002", "13800001234").await;
    let mut statuses = Vec::new();
    for i in 0..15 {
        let res = server.call_form("find_case", &form("demo-hospital", &number, &format!("1380000{i:04}")), None).await;
        statuses.push(res.status);
    }
    assert!(statuses.contains(&429), "no limit after 15 guesses: {statuses:?}");
    assert!(statuses.iter().all(|s| [404, 429].contains(s)), "{statuses:?}");
    server.stop().await;
}
