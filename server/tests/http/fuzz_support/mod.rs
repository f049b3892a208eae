//! The fuzz run's generator: seeded calls to every server function, each
//! carrying a mutation that must get it refused (see ../fuzz.rs).

#![allow(dead_code)]

use serde_json::{json, Value};

use crate::support::TestServer;

mod args;

/// The server's request body limit (server/src/web.rs), and its upload limit.
pub const BODY_LIMIT: usize = 256 * 1024;
pub const UPLOAD_LIMIT: usize = 6 * 1024 * 1024;
pub const ORGS: [&str; 2] = ["demo-hospital", "demo-factory"];
pub const GUIDE: &str = "alarm-panel-first-aid";

/// Every server function: (endpoint, takes JSON, counted tables it may write when it accepts).
pub const ENDPOINTS: [(&str, bool, &[&str]); 44] = [
    ("load_widget", false, &[]),
    ("load_guides", false, &[]),
    ("start_guide", false, &["guide_sessions"]),
    ("guide_progress", true, &[]), // an UPDATE only
    ("submit_case", true, &["cases", "case_events", "case_access_tokens", "guide_sessions", "attachments"]),
    ("track_case", false, &[]),
    ("find_case", false, &["case_access_tokens"]),
    ("answer_quote", false, &["case_events"]),
    ("customer_action", true, &["case_events", "attachments"]),
    ("widget_report", false, &[]),
    ("widget_sign_report", true, &["case_events", "attachments"]),
    ("get_report", false, &[]),
    ("sign_report", true, &["case_events", "attachments"]),
    ("my_visits", false, &[]),
    ("list_follow_ups", false, &[]),
    ("list_ratings", false, &[]),
    ("list_queue", true, &[]),
    ("get_case", false, &[]),
    ("case_action", true, &["case_events", "attachments"]),
    ("login", false, &["staff_sessions"]),
    ("logout", false, &[]), // only ever called without a real session
    ("current_staff", false, &[]),
    ("guide_stats", false, &[]),
    ("get_guide", false, &[]),
    ("import_guide", true, &["guides"]),
    ("load_settings", false, &[]),
    ("save_calendar", true, &[]),
    ("save_policy", true, &[]),
    ("save_site_zone", true, &[]),
    ("save_embedding", true, &[]),
    ("remove_logo", true, &[]),
    ("load_channels", true, &[]),
    ("save_channel", true, &["notify_channels"]),
    ("delete_channel", true, &[]),
    ("test_channel", true, &["notify_outbox"]),
    ("list_deliveries", true, &[]),
    ("retry_delivery", true, &[]),
    ("load_roster", true, &[]),
    ("save_roster", true, &["duty_roster"]),
    ("load_sms", true, &[]),
    ("save_sms", true, &["sms_account"]),
    ("test_sms", true, &["sms_outbox"]),
    ("list_sms", true, &[]),
    ("retry_sms", true, &[]),
];
pub const READERS: [&str; 20] = [
    "load_widget",
    "load_guides",
    "track_case",
    "widget_report",
    "get_report",
    "my_visits",
    "list_follow_ups",
    "list_ratings",
    "list_queue",
    "get_case",
    "current_staff",
    "guide_stats",
    "get_guide",
    "load_settings",
    "logout",
    "load_channels",
    "list_deliveries",
    "load_roster",
    "load_sms",
    "list_sms",
];

/// How a field is judged, from its name: what makes a value of it certainly wrong.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum K {
    Key,  // must name something that exists
    Text, // free text
    Tag,  // an enum variant
    Id,   // an i64 reference
    Num,  // u32 / u8
    Int,  // any i64
    Bool,
    Obj,
}

pub fn kind(key: &str, v: &Value) -> K {
    const KEYS: [&str; 11] =
        ["org_key", "token", "number", "session_id", "submission_id", "guide_id", "id", "username", "node", "choice", "json"];
    const TAGS: [&str; 16] = [
        "action", "result", "status", "severity", "reason", "channel", "outcome", "category", "gravity", "zone", "target", "cause", "part",
        "basis", "kind", "language",
    ];
    const IDS: [&str; 6] = ["asset_id", "org_id", "site_id", "technician", "to", "org"];
    const NUMS: [&str; 7] = ["guide_version", "version", "steps", "attitude", "skill", "punctuality", "promise_kept"];
    match v {
        Value::String(_) if KEYS.contains(&key) => K::Key,
        Value::String(_) if TAGS.contains(&key) => K::Tag,
        Value::String(_) => K::Text,
        Value::Number(_) if IDS.contains(&key) => K::Id,
        Value::Number(_) if NUMS.contains(&key) => K::Num,
        Value::Number(_) => K::Int,
        Value::Bool(_) => K::Bool,
        _ => K::Obj,
    }
}

/// splitmix64: small, seeded, the same on every machine.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }
    pub fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b"0123456789abcdef"[self.below(16)])).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Anon,
    Admin,
    Tech,
    Bogus,
}

pub struct Call {
    pub label: String,
    pub role: Role,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub writes: &'static [&'static str],
    pub mutating: bool,
}

/// What the run needs to aim at real things: sessions, a case and its token.
pub struct Ctx {
    pub origin: String,
    pub admin: String,
    pub tech: String,
    pub number: String,
    pub token: String,
    pub assets: Vec<i64>,
    pub panel: i64,
    /// The first-aid guide's current version.
    pub version: u32,
}

pub fn escalation(asset_id: i64, version: u32, submission_id: &str) -> Value {
    json!({ "submission": {
        "org_key": "demo-hospital", "submission_id": submission_id, "reporter_name": "王芳", "phone": "138 0013 8000",
        "asset_id": asset_id, "symptom": "报警主机面板全部不亮，按键无反应", "guide_id": GUIDE, "guide_version": version,
        "steps": [
            { "node": "lights", "choice": "all_off", "at_ms": 1_700_000_000_000i64 },
            { "node": "power", "choice": "no", "at_ms": 1_700_000_030_000i64 }
        ],
        "result": "escalate"
    }})
}

impl Ctx {
    pub async fn prepare(server: &TestServer) -> Ctx {
        let admin = server.login("admin", "fixline-demo").await;
        let tech = server.login("tech", "fixline-demo").await;
        let (mut assets, mut panel) = (Vec::new(), None);
        for org in ORGS {
            let res = server.call_form("load_widget", &format!("org_key={org}"), None).await;
            assert_eq!(res.status, 200, "load_widget {org}: {}", res.text());
            for a in res.json()["assets"].as_array().unwrap() {
                assets.push(a["id"].as_i64().unwrap());
                if org == ORGS[0] && a["label"].as_str().unwrap_or_default().contains("无线报警主机") {
                    panel = a["id"].as_i64();
                }
            }
        }
        let panel = panel.expect("the hospital's alarm panel");
        let res = server.call_form("load_guides", &format!("org_key={}&asset_id={panel}", ORGS[0]), None).await;
        assert_eq!(res.status, 200, "load_guides: {}", res.text());
        let offer = res.json();
        let guides = crate::support::fixtures::offered_guides(server, &offer).await;
        let guide = guides.iter().find(|g| g["id"] == GUIDE).expect("the alarm panel's first-aid guide");
        let version = guide["version"].as_u64().unwrap() as u32;
        let res = server.call_json("submit_case", &escalation(panel, version, "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"), None).await;
        assert_eq!(res.status, 200, "a valid case: {}", res.text());
        let receipt = res.json();
        let (number, token) = (receipt["number"].as_str().unwrap().to_string(), receipt["access_token"].as_str().unwrap().to_string());
        Ctx { origin: format!("http://{}", server.addr), admin, tech, number, token, assets, panel, version }
    }
}

/// Keys no real organisation, case, token, session or submission has:
/// wrong lengths, characters ids never hold, traversal, escapes.
pub fn bogus_keys() -> Vec<String> {
    vec![
        String::new(),
        "   ".into(),
        "ab".into(),
        "x".repeat(256),
        "y".repeat(5000),
        "../../etc/passwd".into(),
        "FX-999999999999".into(),
        "FX-0".into(),
        "-1".into(),
        "%00".into(),
        "' OR '1'='1".into(),
        "demo-hospital'--".into(),
        "\u{202e}latipsoh-omed".into(),
        "ｄｅｍｏ-hospital".into(),
        "🔥🔥🔥".into(),
        "a".repeat(65),
        "0123456789abcdef".repeat(8),
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0".into(),
        "{{7*7}}".into(),
        "<script>".into(),
        "null".into(),
    ]
}

/// Case numbers that are no case (some would be valid as other ids).
pub fn bogus_numbers() -> Vec<String> {
    let mut v = bogus_keys();
    v.extend(["FX-9223372036854775808", "FX-99999999999999999999", "FX-000000", "fx--1", "1e5", "FX-１"].map(String::from));
    v
}

pub struct Gen<'a> {
    pub ctx: &'a Ctx,
    pub rng: Rng,
    pub raws: Vec<Vec<u8>>,
}

impl Gen<'_> {
    /// A placeholder for bytes no `Value` can hold, put in after encoding.
    pub fn raw(&mut self, bytes: &[u8]) -> String {
        self.raws.push(bytes.to_vec());
        format!("~RAW{}~", self.raws.len() - 1)
    }

    pub fn deep_text(&mut self) -> String {
        let n = 200 + self.rng.below(4000);
        if self.rng.chance(50) {
            format!("{}{}", "[".repeat(n), "]".repeat(n))
        } else {
            format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))
        }
    }

    pub fn deep(&mut self) -> String {
        let text = self.deep_text();
        self.raw(text.as_bytes())
    }

    pub fn org(&mut self) -> String {
        if self.rng.chance(85) {
            self.rng.pick(&ORGS).into()
        } else {
            self.rng.pick(&bogus_keys())
        }
    }
    pub fn token(&mut self) -> String {
        if self.rng.chance(85) {
            self.ctx.token.clone()
        } else {
            self.rng.pick(&bogus_keys())
        }
    }
    pub fn number(&mut self) -> String {
        if self.rng.chance(85) {
            self.ctx.number.clone()
        } else {
            self.rng.pick(&bogus_numbers())
        }
    }
    pub fn asset(&mut self) -> i64 {
        if self.rng.chance(85) {
            self.rng.pick(&self.ctx.assets)
        } else {
            self.rng.pick(&[-1, 0, i64::MAX, i64::MIN, 9_999_999])
        }
    }

    pub fn cookie(&mut self, role: Role) -> Option<String> {
        match role {
            Role::Anon => None,
            Role::Admin => Some(self.ctx.admin.clone()),
            Role::Tech => Some(self.ctx.tech.clone()),
            Role::Bogus => {
                let options = [
                    self.rng.hex(63),
                    self.rng.hex(65),
                    "a".repeat(64),
                    "é".repeat(32),
                    String::new(),
                    "%00".into(),
                    "x; fixline_session=y".into(),
                    "\u{0}".repeat(64),
                ];
                Some(format!("fixline_session={}", self.rng.pick(&options)))
            }
        }
    }

    pub fn role(&mut self) -> Role {
        self.rng.pick(&[Role::Anon, Role::Anon, Role::Admin, Role::Admin, Role::Tech, Role::Tech, Role::Bogus])
    }

    pub fn extra_headers(&mut self, headers: &mut Vec<(String, String)>) {
        if self.rng.chance(10) {
            let v = self.rng.pick(&["zz", "en;q=abc", "zh-TW,zh;q=0.9,en;q=0.8", "*", "en-US\u{7f}", "", "q=0.5"]);
            headers.push(("Accept-Language".into(), if self.rng.chance(10) { "x".repeat(3000) } else { v.into() }));
        }
        if self.rng.chance(4) {
            headers.push(("X-Forwarded-For".into(), self.rng.pick(&["1.1.1.1, ::1, garbage", "", "999.999.999.999"]).into()));
        }
        if self.rng.chance(3) {
            headers.push(("Cookie".into(), format!("fixline_session={}; other=1", self.rng.hex(64))));
        }
    }

    pub fn call(&mut self) -> Call {
        match self.rng.below(100) {
            0..=71 => self.server_fn(),
            72..=89 => self.page(),
            _ => self.upload(),
        }
    }
}

pub fn leaves(v: &Value, at: String, key: &str, out: &mut Vec<(String, K)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push((format!("{at}/{k}"), kind(k, x)));
            leaves(x, format!("{at}/{k}"), k, out);
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
            out.push((format!("{at}/{i}"), kind(key, x)));
            leaves(x, format!("{at}/{i}"), key, out);
        }),
        _ => {}
    }
}

pub fn encode_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// Form encoding as a browser does it; arrays repeat the key, objects
/// become `key[sub]=…`, null is a bare key.
pub fn encode_form(v: &Value) -> Vec<u8> {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
            .collect()
    }
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(enc(s)),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
            other => Some(other.to_string()),
        }
    }
    let mut pairs = Vec::new();
    for (k, x) in v.as_object().unwrap() {
        match x {
            Value::Null => pairs.push(enc(k)),
            Value::Array(a) => a.iter().filter_map(scalar).for_each(|s| pairs.push(format!("{}={s}", enc(k)))),
            Value::Object(m) => {
                m.iter().for_each(|(sub, y)| pairs.push(format!("{}%5B{}%5D={}", enc(k), enc(sub), scalar(y).unwrap_or_default())))
            }
            other => pairs.push(format!("{}={}", enc(k), scalar(other).unwrap())),
        }
    }
    pairs.join("&").into_bytes()
}

pub fn replace(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

/// The first key again, with the same value (JSON) or as a second pair (form).
pub fn duplicate_first_key(body: &[u8], json: bool) -> Vec<u8> {
    if json {
        let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else { return body.to_vec() };
        let Some((k, v)) = m.iter().next() else { return body.to_vec() };
        let mut out = format!("{{{}:{},", Value::String(k.clone()), v).into_bytes();
        out.extend_from_slice(&body[1..]);
        out
    } else {
        let first = body.split(|b| *b == b'&').next().unwrap_or_default().to_vec();
        [body, b"&", &first].concat()
    }
}
