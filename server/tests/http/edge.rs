//! The HTTP edge: sign-in and its throttle, CSRF, 404s, security headers
//! and framing, precompressed bundles, logos, daily caps and rate limits,
//! text the databases cannot store. Every test on SQLite and on PostgreSQL.

use crate::support::fixtures::PNG;
use crate::support::fixtures::{alarm_panel, escalation};
use crate::support::{Db, TestServer};
use serde_json::{json, Value};

on_both_databases!(
    staff_endpoints_refuse_unauthenticated_calls,
    cross_origin_writes_are_refused,
    wrong_passwords_slow_down_the_guesser_not_the_owner,
    unknown_pages_and_org_keys_are_404,
    pages_have_a_strict_policy_and_the_widget_is_framed_only_where_listed,
    bundles_are_sent_precompressed_and_cached,
    the_widget_says_so_when_the_database_fails,
    an_admin_gives_the_widget_a_logo,
    an_organisations_daily_case_cap_holds_and_staff_see_it,
    anonymous_floods_are_told_to_slow_down,
    colleagues_behind_one_address_each_have_their_share,
    secrets_and_unstorable_text_are_refused_at_the_edge,
);

async fn staff_endpoints_refuse_unauthenticated_calls(db: Db) {
    let server = TestServer::start(db).await;
    for (endpoint, body) in [("list_queue", ""), ("get_case", "number=FX-000001"), ("case_action", "")] {
        let json_body = match endpoint {
            "list_queue" => json!({ "filter": {} }).to_string(),
            "case_action" => json!({ "number": "FX-000001", "action": { "action": "claim" } }).to_string(),
            _ => String::new(),
        };
        let (content_type, body) =
            if json_body.is_empty() { ("application/x-www-form-urlencoded", body.to_string()) } else { ("application/json", json_body) };
        let res = server.call(endpoint, content_type, &body, None).await;
        assert_eq!(res.status, 401, "{endpoint} without a session: {}", res.text());
        assert_eq!(res.json()["kind"], "unauthenticated");
        let forged = format!("fixline_session={}", "a".repeat(64));
        let res = server.call(endpoint, content_type, &body, Some(&forged)).await;
        assert_eq!(res.status, 401, "{endpoint} with a forged session");
    }
    let res = server.call_form("current_staff", "", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), Value::Null);

    let res = server.call_form("login", "username=admin&password=wrong-password", None).await;
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["kind"], "wrong_credentials");
    let res = server.call_form("login", "username=nobody&password=whatever", None).await;
    assert_eq!(res.status, 401);
    let res = server.call_form("login", "username=&password=", None).await;
    assert_eq!(res.status, 422);

    let cookie = server.login("admin", "fixline-demo").await;
    let res = server.call_form("login", "username=admin&password=fixline-demo", None).await;
    let set_cookie = res.header("set-cookie").unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let me = server.call_form("current_staff", "", Some(&cookie)).await;
    assert_eq!(me.json()["role"], "admin");
    assert_eq!(server.call_json("list_queue", &json!({ "filter": {} }), Some(&cookie)).await.status, 200);
    assert_eq!(server.call_form("get_case", "number=FX-999999", Some(&cookie)).await.status, 404);

    // After logout the same cookie is worthless.
    server.call_form("logout", "", Some(&cookie)).await;
    assert_eq!(server.call_json("list_queue", &json!({ "filter": {} }), Some(&cookie)).await.status, 401);
    server.stop().await;
}

async fn cross_origin_writes_are_refused(db: Db) {
    let server = TestServer::start(db).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let body = escalation(asset, "0123456789abcdef0123456789abcdef").to_string();
    let res = server
        .request("POST", "/api/submit_case", &[("Content-Type", "application/json"), ("Origin", "http://evil.example")], body.as_bytes())
        .await;
    assert_eq!(res.status, 403);
    let res = server
        .request(
            "POST",
            "/api/login",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Sec-Fetch-Site", "cross-site")],
            b"username=admin&password=fixline-demo",
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(res.header("set-cookie").is_none());
    assert_eq!(server.count("cases").await, 0);
    assert_eq!(server.count("staff_sessions").await, 0);
    server.stop().await;
}

async fn wrong_passwords_slow_down_the_guesser_not_the_owner(db: Db) {
    let server = TestServer::start(db).await;
    let login = |user: &'static str, password: &'static str| {
        let server = &server;
        async move { server.call_form("login", &format!("username={user}&password={password}"), None).await }
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..4 {
        known.push(login("tech", "not-the-password").await.status);
        unknown.push(login("nobody-here", "not-the-password").await.status);
    }
    // Known and unknown names are answered alike: no way to tell which exist.
    assert_eq!(known, [401, 401, 401, 429]);
    assert_eq!(unknown, known);
    let limited = login("tech", "fixline-demo").await;
    assert_eq!(limited.status, 429, "the guesser's address waits, even with the right password");
    let wait: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=3).contains(&wait), "{wait}");
    assert_eq!(limited.json()["kind"], "rate_limited");
    // The owner, from another address, is not locked out.
    let elsewhere = post_from("127.0.0.2", &server, "/api/login", "username=tech&password=fixline-demo").await;
    assert!(elsewhere.starts_with("HTTP/1.1 302") || elsewhere.starts_with("HTTP/1.1 200"), "{elsewhere}");
    // Nor is anyone once the delay has passed; other accounts never were.
    server.login("admin", "fixline-demo").await;
    tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 200)).await;
    server.login("tech", "fixline-demo").await;
    server.stop().await;
}

/// A form POST from another loopback address; answers the raw response head.
async fn post_from(source: &str, server: &TestServer, path: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(server.addr.parse().unwrap()).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len(),
        addr = server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    String::from_utf8_lossy(&raw).lines().next().unwrap_or_default().to_string()
}

async fn unknown_pages_and_org_keys_are_404(db: Db) {
    let server = TestServer::start(db).await;
    let res = server.request("GET", "/widget/no-such-org", &[("Accept-Language", "en")], b"").await;
    assert_eq!(res.status, 404);
    assert!(res.text().contains("This fault-report link is not valid"), "{}", res.text());

    let res = server.request("GET", "/widget/demo-hospital", &[], b"").await;
    assert_eq!(res.status, 200);
    let html = res.text();
    assert!(html.contains("<html lang=\"zh-CN\""), "zh-CN is the default");
    assert!(html.contains("故障报修") && html.contains("市第一人民医院"));

    let res = server.request("GET", "/widget/demo-hospital?lang=zh-TW", &[], b"").await;
    assert!(res.text().contains("故障報修"));

    let res = server.request("GET", "/no/such/page", &[], b"").await;
    assert_eq!(res.status, 404);

    // The console is never frameable; unauthenticated visitors go to sign-in.
    let res = server.request("GET", "/console", &[("Accept", "text/html")], b"").await;
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert!(res.status == 302 || res.status == 303 || res.status == 307, "console redirects: {}", res.status);
    assert_eq!(res.header("location"), Some("/console/login"));
    server.stop().await;
}

async fn pages_have_a_strict_policy_and_the_widget_is_framed_only_where_listed(db: Db) {
    let server = TestServer::start(db).await;
    let csp = |res: &crate::support::Response| res.header("content-security-policy").unwrap_or_default().to_string();
    // Fixline's pages: scripts by a fresh nonce, WASM allowed, nothing inline.
    let a = server.request("GET", "/widget/demo-hospital", &[], b"").await;
    let b = server.request("GET", "/widget/demo-hospital", &[], b"").await;
    let (pa, pb) = (csp(&a), csp(&b));
    assert!(pa.contains("script-src 'self' 'nonce-") && pa.contains("'wasm-unsafe-eval'") && !pa.contains("unsafe-inline"), "{pa}");
    assert_ne!(pa, pb, "a new nonce per response");
    let nonce = pa.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    let html = a.text();
    assert!(
        html.matches("<script").count() > 0 && html.matches("<script").count() == html.matches(&format!("nonce=\"{nonce}\"")).count(),
        "every script carries the nonce"
    );
    // Nobody is listed yet: only Fixline itself may frame the widget; the console never.
    assert!(pa.ends_with("frame-ancestors 'self'"), "{pa}");
    assert!(a.header("x-frame-options").is_none());
    let console = server.request("GET", "/console/login", &[], b"").await;
    assert!(csp(&console).ends_with("frame-ancestors 'none'"));

    // Only admins list origins; bad entries are named and change nothing.
    let org_id: i64 = server.call_form("load_settings", "", Some(&server.login("admin", "fixline-demo").await)).await.json()["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["widget_key"] == "demo-hospital")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let admin = server.login("admin", "fixline-demo").await;
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let save = |origins: &str, colour: &str| json!({ "org_id": org_id, "origins": origins, "colour": colour });
    assert_eq!(server.call_json("save_embedding", &save("https://intranet.hospital.cn", ""), Some(&supervisor)).await.status, 403);
    let res = server.call_json("save_embedding", &save("https://intranet.hospital.cn https://*.evil.cn", "red"), Some(&admin)).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(res.json()["problems"], json!([{ "problem": "bad_origin", "index": 1 }, { "problem": "bad_colour" }]));
    assert!(csp(&server.request("GET", "/widget/demo-hospital", &[], b"").await).ends_with("frame-ancestors 'self'"));
    let res =
        server.call_json("save_embedding", &save("https://Intranet.Hospital.cn/\nhttp://10.0.0.8:8080", "#0B5CAD"), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let policy = csp(&server.request("GET", "/widget/demo-hospital/", &[], b"").await);
    assert!(policy.ends_with("frame-ancestors 'self' https://intranet.hospital.cn http://10.0.0.8:8080"), "{policy}");
    // Another organisation's widget is not opened up by it.
    assert!(csp(&server.request("GET", "/widget/demo-factory", &[], b"").await).ends_with("frame-ancestors 'self'"));
    // embed.js asks first, from the host page's origin, and learns why not.
    let check = |org: &str, host: &str| format!("/widget-check/{org}?host={}", host.replace(':', "%3A").replace('/', "%2F"));
    for (org, host, answer) in [
        ("demo-hospital", "https://intranet.hospital.cn", json!({ "ok": true })),
        ("demo-hospital", "http://10.0.0.8:8080", json!({ "ok": true })),
        ("demo-hospital", "https://intranet.hospital.cn/", json!({ "problem": "host_not_allowed" })),
        ("demo-hospital", "https://evil.example", json!({ "problem": "host_not_allowed" })),
        ("demo-hospital", "", json!({ "problem": "host_not_allowed" })),
        ("demo-factory", "https://intranet.hospital.cn", json!({ "problem": "host_not_allowed" })),
        ("no-such-org", "https://intranet.hospital.cn", json!({ "problem": "unknown_org" })),
    ] {
        let res = server.request("GET", &check(org, host), &[("Origin", "https://evil.example")], b"").await;
        assert_eq!((res.status, res.json()), (200, answer), "{org} {host}");
        assert_eq!(res.header("access-control-allow-origin"), Some("*"));
        assert_eq!(res.header("cache-control"), Some("no-store"));
    }
    let info = server.call_form("load_widget", "org_key=demo-hospital", None).await.json();
    assert_eq!(info["allowed_origins"], json!(["https://intranet.hospital.cn", "http://10.0.0.8:8080"]));
    assert_eq!(info["theme_color"], "#0b5cad");
    // A browser without scripts posts the report form: it is told scripts
    // are needed and given the hotline; nothing is stored, nothing lands in a URL.
    let own = format!("http://{}", server.addr);
    let res = server
        .request(
            "POST",
            "/widget/demo-hospital",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Origin", &own), ("Accept-Language", "en")],
            b"reporter_name=Li&phone=13800138000&symptom=no+scripts",
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.text().contains("needs JavaScript") && res.text().contains("href=\"tel:"), "{}", res.text());
    assert!(!res.text().contains("13800138000"));
    // embed.js is served, small and framework-free.
    let js = server.request("GET", "/embed.js", &[], b"").await;
    assert_eq!(js.status, 200);
    // It asks before framing, keeps drafts and case tokens for the frame: under 6 KB.
    assert!(js.body.len() < 6 * 1024, "embed.js is {} bytes", js.body.len());
    server.stop().await;
}

/// The widget's WASM as the browser gets it: compressed once at build time
/// (brotli or gzip, as accepted). Pages link to the build's own directory,
/// cached for a year; the plain path is kept but checked back with a 304.
async fn bundles_are_sent_precompressed_and_cached(db: Db) {
    let server = TestServer::start(db).await;
    let page = server.request("GET", "/widget/demo-hospital", &[], b"").await.text();
    let dir = page
        .split("href=\"/pkg/")
        .nth(1)
        .and_then(|rest| rest.split_once("/widget.css"))
        .map(|(id, _)| format!("/pkg/{id}"))
        .expect("the widget page links its stylesheet under /pkg/<build id>/");
    assert_eq!(dir.len(), "/pkg/".len() + 16, "a 64-bit hex build id: {dir}");
    assert!(page.contains(&format!("{dir}/widget.wasm")), "the widget page loads the widget's own bundle");
    assert!(!page.contains("fixline.wasm") && !page.contains("fixline.css"), "and not the console's");
    let console = server.request("GET", "/console/login", &[], b"").await.text();
    assert!(console.contains(&format!("{dir}/fixline.css")) && console.contains(&format!("{dir}/fixline.wasm")));

    let raw = server.request("GET", &format!("{dir}/widget.wasm"), &[("Accept-Encoding", "identity")], b"").await;
    assert_eq!((raw.status, raw.header("content-type")), (200, Some("application/wasm")));
    assert!(raw.body.starts_with(b"\0asm"));
    assert_eq!(raw.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let br = server.request("GET", &format!("{dir}/widget.wasm"), &[("Accept-Encoding", "gzip, deflate, br")], b"").await;
    assert_eq!((br.status, br.header("content-encoding")), (200, Some("br")));
    assert!(br.body.len() * 3 < raw.body.len(), "brotli at build time: {} of {} bytes", br.body.len(), raw.body.len());
    let gz = server.request("GET", &format!("{dir}/widget.js"), &[("Accept-Encoding", "gzip")], b"").await;
    assert_eq!((gz.status, gz.header("content-encoding")), (200, Some("gzip")));
    let css = server.request("GET", &format!("{dir}/widget.css"), &[], b"").await;
    assert_eq!((css.status, css.header("content-type")), (200, Some("text/css")));
    assert!(css.text().contains("widget-head"), "{}", css.text());
    assert!(!css.text().contains("settings-form"), "the widget's stylesheet has none of the console's rules");

    let plain = server.request("GET", "/pkg/widget.wasm", &[("Accept-Encoding", "identity")], b"").await;
    assert_eq!((plain.status, plain.header("cache-control")), (200, Some("public, no-cache")));
    assert_eq!(plain.body, raw.body);
    let modified = plain.header("last-modified").expect("last-modified").to_string();
    let again = server.request("GET", "/pkg/widget.wasm", &[("If-Modified-Since", modified.as_str())], b"").await;
    assert_eq!(again.status, 304);
    assert_eq!(server.request("GET", "/pkg/nothing.wasm", &[], b"").await.status, 404);
    // Another build's id (a page from another instance during an update)
    // gets today's files, but never cached for good under that name.
    let other = server.request("GET", "/pkg/0123456789abcdef/widget.wasm", &[("Accept-Encoding", "identity")], b"").await;
    assert_eq!((other.status, other.header("cache-control")), (200, Some("public, no-cache")));
    assert_eq!(other.body, raw.body);
    assert_eq!(server.raw_request("GET", &format!("{dir}/../../Cargo.toml"), &[], b"").await.status, 404);
    server.stop().await;
}

/// The database fails while the widget's organisation is looked up: the
/// customer gets a page that says the service is unavailable (503), not
/// "not found" and not a bare 500.
async fn the_widget_says_so_when_the_database_fails(db: Db) {
    let server = TestServer::start(db).await;
    server.execute("ALTER TABLE organisations RENAME TO organisations_gone").await;
    let res = server.request("GET", "/widget/demo-hospital", &[("Accept-Language", "en")], b"").await;
    assert_eq!(res.status, 503, "{}", res.text());
    let html = res.text();
    assert!(html.contains("data-boot=\"failed\""), "{html}");
    assert!(html.contains("Something went wrong on the server"), "{html}");
    assert!(!html.contains("not valid"), "not the unknown-link page");
    server.stop().await;
}

async fn post_logo(server: &TestServer, query: &str, cookie: Option<&str>, origin: Option<&str>, body: &[u8]) -> crate::support::Response {
    let own = format!("http://{}", server.addr);
    let mut headers = vec![("Content-Type", "application/octet-stream"), ("Origin", origin.unwrap_or(&own))];
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    server.request("POST", &format!("/api/org-logo?{query}"), &headers, body).await
}

/// An admin gives an organisation's widget a logo: only admins, only from
/// Fixline's own pages, only a real image of modest size. It shows in that
/// organisation's widget only, is cached at its versioned address, and can
/// be removed.
async fn an_admin_gives_the_widget_a_logo(db: Db) {
    let server = TestServer::start(db).await;
    let admin = server.login("admin", "fixline-demo").await;
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let orgs = server.call_form("load_settings", "", Some(&admin)).await.json()["orgs"].clone();
    let org = orgs.as_array().unwrap().iter().find(|o| o["widget_key"] == "demo-factory").unwrap().clone();
    assert_eq!(org["logo_url"], "", "no logo yet");
    let q = format!("org_id={}", org["id"]);

    assert_eq!(post_logo(&server, &q, None, None, PNG).await.status, 401);
    assert_eq!(post_logo(&server, &q, Some(&supervisor), None, PNG).await.status, 403);
    assert_eq!(post_logo(&server, &q, Some(&admin), Some("https://evil.example"), PNG).await.status, 403, "cross-site upload");
    let res = post_logo(&server, &q, Some(&admin), None, b"<svg onload=alert(1)>").await;
    assert_eq!(
        (res.status, res.json()["kind"].as_str(), res.json()["problem"]["problem"].as_str()),
        (415, Some("invalid_upload"), Some("not_an_image"))
    );
    let mut big = PNG.to_vec();
    big.resize(300 * 1024, 0);
    assert_eq!(post_logo(&server, &q, Some(&admin), None, &big).await.status, 413);
    assert_eq!(post_logo(&server, &q, Some(&admin), None, b"").await.status, 415);
    assert_eq!(post_logo(&server, "org_id=x", Some(&admin), None, PNG).await.status, 400);
    assert_eq!(post_logo(&server, "org_id=999999", Some(&admin), None, PNG).await.status, 404);
    assert!(!server.request("GET", "/widget/demo-factory", &[], b"").await.text().contains("org-logo"), "refused uploads change nothing");

    let res = post_logo(&server, &q, Some(&admin), None, PNG).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let url = res.json()["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/widget-logo/demo-factory?v="), "{url}");
    let logo = server.request("GET", &url, &[], b"").await;
    assert_eq!((logo.status, logo.header("content-type")), (200, Some("image/png")));
    assert_eq!(logo.body, PNG);
    assert_eq!(logo.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let unversioned = server.request("GET", "/widget-logo/demo-factory", &[], b"").await;
    assert_eq!((unversioned.status, unversioned.header("cache-control")), (200, Some("public, no-cache")));
    let etag = unversioned.header("etag").expect("etag").to_string();
    assert_eq!(server.request("GET", "/widget-logo/demo-factory", &[("If-None-Match", etag.as_str())], b"").await.status, 304);
    let page = server.request("GET", "/widget/demo-factory", &[], b"").await.text();
    assert!(page.contains("class=\"org-logo\"") && page.contains(&url), "the widget shows it");
    let settings = server.call_form("load_settings", "", Some(&admin)).await.json();
    assert!(settings["orgs"].as_array().unwrap().iter().any(|o| o["logo_url"] == url.as_str()));
    // Another organisation's widget keeps its own (the demo hospital's).
    let hospital = server.request("GET", "/widget/demo-hospital", &[], b"").await.text();
    assert!(hospital.contains("/widget-logo/demo-hospital?v=") && !hospital.contains("/widget-logo/demo-factory"));
    let theirs = server.request("GET", "/widget-logo/demo-hospital", &[], b"").await;
    assert_eq!((theirs.status, theirs.header("content-type")), (200, Some("image/png")));
    assert_ne!(theirs.body, PNG);

    let remove = json!({ "org_id": org["id"] });
    assert_eq!(server.call_json("remove_logo", &remove, Some(&supervisor)).await.status, 403);
    assert_eq!(server.call_json("remove_logo", &remove, Some(&admin)).await.status, 200);
    assert_eq!(server.request("GET", &url, &[], b"").await.status, 404);
    assert!(!server.request("GET", "/widget/demo-factory", &[], b"").await.text().contains("org-logo"));
    server.stop().await;
}

async fn an_organisations_daily_case_cap_holds_and_staff_see_it(db: Db) {
    let server = TestServer::start(db).await;
    let admin = server.login("admin", "fixline-demo").await;
    let settings = server.call_form("load_settings", "", Some(&admin)).await.json();
    let factory = settings["orgs"].as_array().unwrap().iter().find(|o| o["widget_key"] == "demo-factory").unwrap()["id"].as_i64().unwrap();
    let save = |cap: Value| json!({ "org_id": factory, "origins": "", "colour": "#0b5cad", "daily_case_cap": cap });
    let res = server.call_json("save_embedding", &save(json!(0)), Some(&admin)).await;
    assert_eq!((res.status, res.json()["problems"][0]["problem"].clone()), (422, json!("bad_case_cap")), "{}", res.text());
    assert_eq!(server.call_json("save_embedding", &save(json!(2)), Some(&admin)).await.status, 200);
    let settings = server.call_form("load_settings", "", Some(&admin)).await.json();
    assert_eq!(settings["orgs"].as_array().unwrap().iter().find(|o| o["id"] == factory).unwrap()["daily_case_cap"], 2);

    let asset = server.call_form("load_widget", "org_key=demo-factory", None).await.json()["assets"][0]["id"].as_i64().unwrap();
    let report = |id: &str| {
        let mut body = escalation(asset, id);
        body["submission"]["org_key"] = json!("demo-factory");
        body["submission"]["guide_id"] = json!("");
        body["submission"]["guide_version"] = json!(0);
        body["submission"]["steps"] = json!([]);
        body
    };
    for id in ["cap-00000000000000000001", "cap-00000000000000000002"] {
        let res = server.call_json("submit_case", &report(id), None).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let before = server.count("cases").await;
    let refused = server.call_json("submit_case", &report("cap-00000000000000000003"), None).await;
    assert_eq!((refused.status, refused.json()["kind"].clone()), (429, json!("rate_limited")));
    assert!(refused.header("retry-after").is_some());
    assert_eq!(server.count("cases").await, before, "nothing written");
    // A retry of an accepted report is still answered; the other organisation is not capped.
    assert_eq!(server.call_json("submit_case", &report("cap-00000000000000000001"), None).await.status, 200);
    let hospital = alarm_panel(&server, "demo-hospital").await;
    assert_eq!(server.call_json("submit_case", &escalation(hospital, "cap-hospital-0000000001"), None).await.status, 200);
    // Supervisors see that the limit refused someone; dispatchers are not bothered.
    let supervisor = server.login("supervisor", "fixline-demo").await;
    let q = server.call_json("list_queue", &json!({ "filter": {} }), Some(&supervisor)).await.json();
    assert!(q["limited"].as_array().unwrap().iter().any(|l| l[0] == "demo-factory" && l[1] == "daily_cases"), "{}", q["limited"]);
    let dispatcher = server.login("dispatcher", "fixline-demo").await;
    let q = server.call_json("list_queue", &json!({ "filter": {} }), Some(&dispatcher)).await.json();
    assert_eq!(q["limited"], json!([]));
    server.stop().await;
}

async fn anonymous_floods_are_told_to_slow_down(db: Db) {
    let server = TestServer::start_with(db, &["--submit-rate-per-minute", "10", "--anon-rate-per-minute", "60"]).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    // A burst of reports from one address: the first few pass, then 429s
    // that say when to come back, and nothing is written for them.
    let mut statuses = Vec::new();
    for i in 0..12 {
        let res = server.call_json("submit_case", &escalation(asset, &format!("flood-{i:018}")), None).await;
        if res.status == 429 {
            assert!(res.header("retry-after").unwrap().parse::<u32>().unwrap() >= 1);
        }
        statuses.push(res.status);
    }
    let accepted = statuses.iter().filter(|s| **s == 200).count() as i64;
    assert!(accepted >= 4 && statuses.contains(&429), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429), "{statuses:?}");
    assert_eq!(server.count("cases").await, accepted);
    // Another organisation's widget behind the same address has its own share.
    let factory = server.call_form("load_widget", "org_key=demo-factory", None).await;
    assert_eq!(factory.status, 200);
    // Reads are limited too, per organisation key.
    let mut read = Vec::new();
    for _ in 0..80 {
        read.push(server.call_form("load_widget", "org_key=demo-hospital", None).await.status);
    }
    assert!(read.contains(&429) && read.iter().all(|s| *s == 200 || *s == 429), "{read:?}");
    server.stop().await;
}

async fn colleagues_behind_one_address_each_have_their_share(db: Db) {
    // A hospital's staff reach Fixline through one egress address: each
    // widget (its client id, sent with every call) has its own share, so one busy
    // colleague does not lock out the next; ids invented per call meet the
    // crowd's share (20 widgets' worth) and the widget page is still a page.
    let server = TestServer::start_with(db, &["--submit-rate-per-minute", "4", "--anon-rate-per-minute", "4"]).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let submit = |client: String, i: usize| {
        let mut body = escalation(asset, &format!("share-{client}-{i:04}"));
        body["client"] = json!(client);
        let server = &server;
        async move { server.call_json("submit_case", &body, None).await.status }
    };
    let a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_string();
    let mut first = Vec::new();
    for i in 0..3 {
        first.push(submit(a.clone(), i).await);
    }
    assert_eq!(first, [200, 200, 429], "one widget's burst is half its minute's share");
    assert_eq!(submit("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".into(), 0).await, 200, "a colleague's widget is not locked out");
    let mut invented = Vec::new();
    for i in 0..60 {
        invented.push(submit(format!("{i:032}"), 0).await);
    }
    let passed = invented.iter().filter(|s| **s == 200).count();
    // The crowd's burst (4 × 20 / 2) less the three calls above; it refills
    // one call each 0.75 s, so a slow run may pass one or two more.
    assert!((37..=39).contains(&passed), "invented ids are bounded by the crowd's share: {invented:?}");
    assert!(invented.iter().all(|s| *s == 200 || *s == 429));
    // The widget page, refused, is a page in the browser's language.
    let mut page = None;
    for _ in 0..60 {
        let res = server.request("GET", "/widget/demo-hospital", &[("Accept-Language", "zh-TW,zh;q=0.9")], b"").await;
        if res.status == 429 {
            page = Some(res);
            break;
        }
    }
    let page = page.expect("the page load limit bites");
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.header("retry-after").is_some());
    assert!(page.text().contains("請求過於頻繁"), "{}", page.text());
    server.stop().await;
}

async fn secrets_and_unstorable_text_are_refused_at_the_edge(db: Db) {
    let server = TestServer::start(db).await;
    let asset = alarm_panel(&server, "demo-hospital").await;
    let before = server.count("cases").await;
    // NUL bytes, in every encoding a client can send them, on both databases: 400, nothing written.
    let mut nul = escalation(asset, "nul-0000000000000000001");
    nul["submission"]["symptom"] = json!("面板\u{0}不亮");
    assert_eq!(server.call_json("submit_case", &nul, None).await.status, 400);
    assert_eq!(server.call_form("load_widget", "org_key=demo%00hospital", None).await.status, 400);
    assert_eq!(server.call_form("login", "username=admin%00&password=x", None).await.status, 400);
    assert_eq!(server.request("GET", "/widget-logo/demo%00", &[], b"").await.status, 400);
    let mut bad_utf8 = b"org_key=demo-hospital".to_vec();
    bad_utf8.extend_from_slice(&[0xff, 0xfe]);
    let origin = format!("http://{}", server.addr);
    let res = server
        .request(
            "POST",
            "/api/load_widget",
            &[("Origin", origin.as_str()), ("Content-Type", "application/x-www-form-urlencoded")],
            &bad_utf8,
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(server.count("cases").await, before);
    // A case report whose id is replayed: only the submission's hash is stored.
    let first = server.call_json("submit_case", &escalation(asset, "secret-000000000000000001"), None).await;
    assert_eq!(first.status, 200);
    let stored: i64 = {
        sqlx::any::install_default_drivers();
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&server.database_url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE submission_id LIKE '%secret-%'").fetch_one(&mut conn).await.unwrap()
    };
    assert_eq!(stored, 0, "the submission id is stored hashed");
    // Unknown report pages and over-long bundle names are 404s, not errors.
    let cookie = server.login("dispatcher", "fixline-demo").await;
    assert_eq!(server.call_form("get_report", "number=FX-999999", Some(&cookie)).await.status, 404);
    assert_eq!(server.request("GET", &format!("/pkg/{}", "a".repeat(256)), &[], b"").await.status, 404);
    server.stop().await;
}
