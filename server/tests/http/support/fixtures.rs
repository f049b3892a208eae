//! What several suites report and look up: the demo organisations' assets
//! and a well-formed escalation.

use serde_json::{json, Value};

use super::TestServer;

/// The id of the organisation's asset whose label contains `name`.
pub async fn asset(server: &TestServer, org_key: &str, name: &str) -> i64 {
    let res = server.call_form("load_widget", &format!("org_key={org_key}"), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let assets = res.json()["assets"].as_array().unwrap().clone();
    assets
        .iter()
        .find(|a| a["label"].as_str().unwrap().contains(name))
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("no asset named {name} in {assets:?}"))
}

/// The demo organisation's wireless alarm panel.
pub async fn alarm_panel(server: &TestServer, org_key: &str) -> i64 {
    asset(server, org_key, "无线报警主机").await
}

/// The guides a `load_guides` answer offers: fetched from its `guides_url`
/// as the widget does (or inline, where the offer carries them).
pub async fn offered_guides(server: &TestServer, offer: &Value) -> Vec<Value> {
    let url = offer["guides_url"].as_str().unwrap_or_default();
    if url.is_empty() {
        return offer["guides"].as_array().cloned().unwrap_or_default();
    }
    let res = server.request("GET", url, &[], b"").await;
    assert_eq!(res.status, 200, "{url}: {}", res.text());
    res.json().as_array().unwrap().clone()
}

/// A `submit_case` body: the hospital's alarm panel, walked through its
/// first-aid guide to "escalate".
pub fn escalation(asset_id: i64, submission_id: &str) -> Value {
    json!({ "submission": {
        "org_key": "demo-hospital",
        "submission_id": submission_id,
        "reporter_name": "王芳",
        "phone": "138 0013 8000",
        "asset_id": asset_id,
        "symptom": "报警主机面板全部不亮，按键无反应",
        "guide_id": "alarm-panel-first-aid",
        "guide_version": 2,
        "steps": [
            { "node": "lights", "choice": "all_off", "at_ms": 1_700_000_000_000i64 },
            { "node": "power", "choice": "no", "at_ms": 1_700_000_030_000i64 }
        ],
        "result": "escalate"
    }})
}

/// A valid 1×1 PNG, as bytes and as the data URL a signature pad sends.
pub const PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73,
    68, 65, 84, 120, 218, 99, 100, 96, 248, 95, 15, 0, 2, 135, 1, 128, 235, 71, 186, 146, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];
pub const PNG_DATA_URL: &str =
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

pub const MINUTE: i64 = 60_000;
