//! The arguments of server-function calls: nearly valid ones, then the
//! mutations that must get them refused, then their encoding.

use serde_json::{json, Value};

use super::*;

impl Gen<'_> {
    /// Arguments that would be (nearly) acceptable, before mutation.
    pub fn base(&mut self, name: &str) -> Value {
        let (org, token, number, asset, sid) = (self.org(), self.token(), self.number(), self.asset(), self.rng.hex(32));
        let sig = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        let target = json!({ "minutes": 120, "basis": "always" });
        match name {
            "load_widget" => json!({ "org_key": org }),
            "load_guides" => json!({ "org_key": org, "asset_id": asset }),
            "start_guide" => json!({ "org_key": org, "session_id": sid, "guide_id": GUIDE, "guide_version": self.ctx.version }),
            "guide_progress" => json!({ "org_key": org, "session_id": sid, "last_node": "power", "steps": 1 }),
            "submit_case" => {
                let mut v = escalation(asset, self.ctx.version, &sid);
                v["submission"]["org_key"] = json!(org);
                v
            }
            "track_case" | "widget_report" => json!({ "org_key": org, "token": token }),
            // A phone no fuzz case was reported with: a miss, mutated or not.
            "find_case" => json!({ "org_key": org, "number": number, "phone": "13900000009" }),
            "answer_quote" => json!({ "org_key": org, "token": token, "approved": self.rng.chance(50) }),
            "customer_action" => {
                let action = self.rng.pick(&[
                    json!({ "action": "add_info", "text": "面板又亮了一下", "photos": [] }),
                    json!({ "action": "confirm", "fixed": true, "comment": "好了" }),
                    json!({ "action": "rate", "rating": { "attitude": 4, "skill": 4, "punctuality": 3, "promise_kept": 4, "comment": "" } }),
                    json!({ "action": "complain", "category": "quality", "gravity": "minor", "text": "太慢" }),
                ]);
                json!({ "org_key": org, "token": token, "action": action })
            }
            "widget_sign_report" => json!({ "org_key": org, "token": token, "signer": "王芳", "signature": sig }),
            "get_report" | "get_case" => json!({ "number": number }),
            "sign_report" => json!({ "number": number, "signer": "王芳", "signature": sig }),
            "list_queue" => {
                json!({ "filter": { "status": "escalated", "severity": "major", "org": 1, "overdue": false, "mine": false, "search": "FX" } })
            }
            "case_action" => {
                let action = self.rng.pick(&[
                    json!({ "action": "claim" }),
                    json!({ "action": "note", "notes": "已电话联系" }),
                    json!({ "action": "transfer", "to": 1 }),
                    json!({ "action": "pause", "reason": "waiting_for_customer" }),
                    json!({ "action": "change_severity", "severity": "general" }),
                    json!({ "action": "dispatch", "technician": 4, "appointment_ms": 1_900_000_000_000i64, "notes": "" }),
                    json!({ "action": "resolve", "summary": "更换电源适配器" }),
                    json!({ "action": "issue_quote", "amount_cents": 12_000, "description": "电源" }),
                    json!({ "action": "log_contact", "channel": "phone", "outcome": "needs_visit", "notes": "" }),
                    json!({ "action": "escalate_to", "target": "supervisor", "due_ms": 1_900_000_000_000i64, "notes": "" }),
                    json!({ "action": "diagnose", "cause": "product", "part": "host", "component": "电源", "notes": "" }),
                ]);
                json!({ "number": number, "action": action })
            }
            "login" => json!({ "username": self.rng.pick(&["supervisor", "dispatcher", "nobody"]), "password": "not-the-password" }),
            "get_guide" => json!({ "id": GUIDE, "version": self.ctx.version }),
            "import_guide" => json!({ "json": self.rng.pick(&["{}", "{\"id\":\"x\",\"version\":1}", "[]", "not json"]) }),
            "save_calendar" => {
                let weekly = ["08:30-12:00 13:30-17:30", "08:30-12:00 13:30-17:30", "08:30-12:00", "09:00-17:00", "08:30-17:30", "", ""];
                json!({ "form": { "always": false, "weekly": weekly, "holidays": "2025-01-01,元旦" } })
            }
            "save_policy" => {
                let mut policy = serde_json::Map::new();
                for k in [
                    "response",
                    "dispatch",
                    "arrival_ring1",
                    "arrival_ring2",
                    "arrival_ring3",
                    "arrival_nearby_city",
                    "arrival_far",
                    "arrival_emergency",
                ] {
                    policy.insert(k.into(), target.clone());
                }
                for k in ["resolution_emergency", "resolution_major", "resolution_general"] {
                    policy.insert(k.into(), target.clone());
                }
                json!({ "org_id": 1, "policy": policy })
            }
            "save_site_zone" => json!({ "site_id": 1, "zone": "ring2" }),
            "save_embedding" => json!({ "org_id": 1, "origins": "https://intranet.example", "colour": "#0a7cff" }),
            "remove_logo" => json!({ "org_id": 1 }),
            // Paused: the fuzz run sends nothing out.
            "save_channel" => json!({ "form": {
                "id": null, "kind": "wecom", "name": "调度群", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=fuzz-key-0001",
                "secret": "", "topics": ["new_case"], "org_id": null, "mention_on_duty": true, "language": "ZhCn", "active": false
            } }),
            "test_channel" | "delete_channel" | "retry_delivery" => json!({ "id": 999_999 }),
            "list_deliveries" => json!({ "filter": { "case_number": "FX-000001", "channel_id": null, "status": "failed" } }),
            "save_roster" => json!({ "csv": "days,start,end,name,phone\nworkdays,08:30,18:00,李娜,13800000003\n" }),
            // Paused, on the provider's host: the fuzz run sends nothing out.
            "save_sms" => json!({ "form": {
                "provider": "aliyun", "endpoint": "https://dysmsapi.aliyuncs.com/", "key_id": "LTAIfuzz0001", "secret": "fuzz-secret-0001",
                "sign_name": "某某安防", "app_id": "", "active": false,
                "templates": { "received": "SMS_100001", "appointment": "", "quote": "", "fixed": "" }
            } }),
            // Not a mobile number: a test is refused before anything is sent.
            "test_sms" => json!({ "phone": "021-12345678" }),
            "list_sms" => json!({ "case_number": "FX-000001" }),
            "retry_sms" => json!({ "id": 999_999 }),
            _ => json!({}),
        }
    }

    /// A value the field certainly refuses; `None` removes it.
    pub fn hard(&mut self, k: K, cur: &Value, form: bool, in_array: bool) -> (Option<Value>, String) {
        let s = cur.as_str().unwrap_or("x").to_string();
        let at = s.char_indices().map(|(i, _)| i).nth(self.rng.below(s.chars().count() + 1)).unwrap_or(s.len());
        // Short when form-encoded: never a valid id of 16 to 64 characters.
        let junk =
            [json!(-1), json!(1e300), json!(1.5), json!(true), Value::Null, json!([]), json!(["a", 1]), json!({ "a": { "b": null } })];
        let r = self.rng.below(10);
        if r == 9 && !in_array {
            return (None, "missing".into());
        }
        let v = match (k, r) {
            (K::Key, 0..=3) => json!(self.rng.pick(&bogus_keys())),
            (K::Key | K::Text | K::Tag, 4) => json!(format!("{}\0{}", &s[..at], &s[at..])),
            (K::Key | K::Text | K::Tag, 5) => json!(format!("{}{}{}", &s[..at], self.raw(b"\0"), &s[at..])),
            (K::Key | K::Text | K::Tag, 6) => {
                // Raw bytes, and what stands for them in each encoding.
                let escaped: &[u8] = if form {
                    self.rng.pick(&[&b"%FF"[..], b"%C3%28", b"%ED%A0%80"])
                } else {
                    self.rng.pick(&[&b"\\ud800"[..], b"\\udc00x"])
                };
                let bad = self.rng.pick(&[&b"\xff"[..], b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", escaped]);
                json!(format!("{}{}{}", &s[..at], self.raw(bad), &s[at..]))
            }
            (K::Key | K::Text | K::Tag, 7) => self.rng.pick(&junk),
            (K::Key | K::Text | K::Tag, 8) => json!("z".repeat(BODY_LIMIT + 1 + self.rng.below(4096))),
            (K::Key, _) => json!(self.rng.pick(&bogus_keys())),
            (K::Tag, _) => json!(self.rng.pick(&["", "CLAIM", "claim ", "__proto__", "ｃｌａｉｍ", "escalated\u{0}"])),
            (K::Text, _) => json!(format!("{}\0", s)),
            (K::Id, _) => {
                let bytes = self.rng.pick(&[&b"9223372036854775808"[..], b"1e400", b"-0.5", b"0x10", b"+1"]);
                let raw = self.raw(bytes);
                self.rng.pick(&[
                    json!(-1),
                    json!(0),
                    json!(i64::MAX),
                    json!(i64::MIN),
                    json!(9_999_999_999i64),
                    json!(raw),
                    json!("abc"),
                    json!(1.5),
                    json!([]),
                ])
            }
            (K::Num, _) => {
                let bytes = self.rng.pick(&[&b"1e400"[..], b"-1", b"4294967296", b"0x1"]);
                let raw = self.raw(bytes);
                self.rng.pick(&[
                    json!(-1),
                    json!(4_294_967_296i64),
                    json!(i64::MAX),
                    json!(1.5),
                    json!("x"),
                    Value::Null,
                    json!(raw),
                    json!(99_999_999),
                ])
            }
            (K::Int, _) => {
                let bytes = self.rng.pick(&[&b"9223372036854775808"[..], b"1e400", b"NaN", b"--1", b"Infinity"]);
                let raw = self.raw(bytes);
                self.rng.pick(&[json!(1.5), json!("x"), Value::Null, json!([]), json!({}), json!(raw)])
            }
            (K::Bool, _) => {
                let raw = self.raw(b"tru");
                let mut options = vec![json!("maybe"), json!(2), json!(""), json!([]), json!(raw), json!(-1)];
                if !form {
                    options.extend([json!("true"), Value::Null, json!(0)]);
                }
                self.rng.pick(&options)
            }
            (K::Obj, _) => {
                let deep = self.deep();
                let other = if cur.is_array() { json!({}) } else { json!([]) };
                self.rng.pick(&[json!("x"), json!(1), Value::Null, json!(true), other, json!(deep)])
            }
        };
        let note = format!("{}", v).chars().take(40).collect();
        (Some(v), note)
    }

    /// Oddities a field may be allowed to hold: control characters and the like.
    pub fn soft_text(&mut self, s: &str) -> String {
        let odd = self.rng.pick(&[
            "\u{1}",
            "\u{7}",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{2028}",
            "\u{202e}",
            "\u{feff}",
            "\r\n",
            "\t",
            "😀",
            "\u{fffd}",
            "𝓧",
            "\\",
            "\"",
            "%",
            "+&=",
        ]);
        format!("{s}{odd}")
    }

    /// A call to one server function, with mutated arguments.
    pub fn server_fn(&mut self) -> Call {
        let (name, json, writes) = self.rng.pick(&ENDPOINTS);
        let role = if name == "logout" { self.rng.pick(&[Role::Anon, Role::Bogus]) } else { self.role() };
        let mutating = !READERS.contains(&name);
        let mut args = self.base(name);
        let mut notes = Vec::new();
        let mut fields = Vec::new();
        leaves(&args, String::new(), "", &mut fields);
        let texts: Vec<String> = fields.iter().filter(|(_, k)| *k == K::Text).map(|(p, _)| p.clone()).collect();
        if self.rng.chance(25) {
            let junk = self.rng.pick(&[
                json!("\u{0}"),
                json!({ "__proto__": { "admin": true } }),
                json!([1, "2", null]),
                json!(i64::MIN),
                json!("x".repeat(1000)),
            ]);
            let key = self.rng.pick(&["zzz", "__proto__", "role", "org_id", "is_admin", "", "\u{0}"]);
            args.as_object_mut().unwrap().insert(key.into(), junk);
            notes.push(format!("extra {key:?}"));
        }
        if !texts.is_empty() && self.rng.chance(20) {
            let p = self.rng.pick(&texts);
            let odd = self.soft_text(args.pointer(&p).and_then(Value::as_str).unwrap_or_default());
            *args.pointer_mut(&p).unwrap() = json!(odd);
            notes.push(format!("odd text {p}"));
        }
        if !texts.is_empty() && self.rng.chance(3) {
            let p = self.rng.pick(&texts);
            *args.pointer_mut(&p).unwrap() = json!("长".repeat(40_000 + self.rng.below(40_000)));
            notes.push(format!("huge text {p}"));
        }
        let must_refuse = mutating || self.rng.chance(70);
        let body_level = fields.is_empty() || self.rng.chance(15);
        if must_refuse && !body_level {
            let (p, k) = self.rng.pick(&fields);
            let (parent, last) = p.rsplit_once('/').unwrap();
            let in_array = args.pointer(parent).is_some_and(Value::is_array);
            let cur = args.pointer(&p).cloned().unwrap_or_default();
            let (v, note) = self.hard(k, &cur, !json, in_array);
            match (v, args.pointer_mut(parent).unwrap()) {
                (Some(v), _) => *args.pointer_mut(&p).unwrap() = v,
                (None, Value::Object(m)) => drop(m.remove(last)),
                (None, _) => unreachable!(),
            }
            notes.push(format!("{p}:{k:?}={note}"));
        }
        let mut body = if json { encode_json(&args) } else { encode_form(&args) };
        for (i, raw) in std::mem::take(&mut self.raws).iter().enumerate() {
            let mark = format!("~RAW{i}~");
            if json {
                body = replace(&body, format!("\"{mark}\"").as_bytes(), raw);
            }
            body = replace(&body, mark.as_bytes(), raw);
        }
        if must_refuse && body_level {
            let (b, note) = self.body_level(body, json);
            body = b;
            notes.push(note);
        }
        if self.rng.chance(5) {
            body = duplicate_first_key(&body, json);
            notes.push("duplicate key".into());
        }
        let mut headers = vec![
            ("Origin".to_string(), self.ctx.origin.clone()),
            ("Accept".into(), self.rng.pick(&["application/json", "application/json", "text/html", "*/*", ""]).into()),
        ];
        let ct = if json { "application/json" } else { "application/x-www-form-urlencoded" };
        match self.rng.below(100) {
            0..=2 => notes.push("no content type".into()),
            3..=12 => {
                let odd = self.rng.pick(&[
                    "text/plain;charset=UTF-8",
                    "",
                    "application/xml",
                    "multipart/form-data; boundary=zz",
                    "application/json; charset=utf-16",
                    "application/x-www-form-urlencoded; charset=iso-8859-1",
                    "image/jpeg",
                    "application/json, text/html",
                    "*/*",
                ]);
                headers.push(("Content-Type".into(), odd.into()));
                notes.push(format!("content type {odd:?}"));
            }
            _ => headers.push(("Content-Type".into(), ct.into())),
        }
        if let Some(c) = self.cookie(role) {
            headers.push(("Cookie".into(), c));
        }
        self.extra_headers(&mut headers);
        Call {
            label: format!("{name} [{}]", notes.join("; ")),
            role,
            method: "POST".into(),
            path: format!("/api/{name}"),
            headers,
            body,
            writes,
            mutating,
        }
    }

    /// Whole-body damage that no server function accepts.
    pub fn body_level(&mut self, body: Vec<u8>, json: bool) -> (Vec<u8>, String) {
        let at = self.rng.below(body.len() + 1);
        let mut out = body.clone();
        let note = match (json, self.rng.below(8)) {
            (_, 0) => {
                out.clear();
                "empty body"
            }
            (_, 1) => {
                out.extend(std::iter::repeat_n(if json { b' ' } else { b'&' }, BODY_LIMIT + 1));
                "over the body limit"
            }
            (_, 2) => {
                out.insert(at.min(out.len()), 0);
                if !json {
                    out.insert(0, 0);
                }
                "literal NUL in body"
            }
            (true, 3) if !body.is_empty() => {
                out.truncate(self.rng.below(body.len()));
                "truncated JSON"
            }
            (true, 4) => {
                out = self.rng.pick(&["null", "[]", "\"x\"", "0", "true", "{}", "\u{feff}{}", "{\"a\":1,}", "{'a':1}"]).into();
                "not an object"
            }
            (true, 5) => {
                out = self.deep_text().into_bytes();
                "deep nesting"
            }
            (true, _) => {
                let bad = self.rng.pick(&[&b"\xff\xfe"[..], b"\xc0\x80", b"\x80"]);
                out.splice(at..at, bad.iter().copied());
                "invalid UTF-8"
            }
            (false, _) => {
                out = self.rng.pick(&["&&&", "=", "%", "%zz=%zz", "=x&=y", "a=b", "\u{feff}"]).into();
                "junk form"
            }
        };
        (out, note.into())
    }
}
