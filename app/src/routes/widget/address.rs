//! The widget page's address, read the same way by the server (the request
//! being rendered) and the browser (the page shown): its path and query,
//! what the language links keep of it, the equipment a QR label names.

use leptos::prelude::*;

/// The query of the page being rendered (server) or shown (browser),
/// without its `?`.
pub fn page_query() -> String {
    #[cfg(feature = "ssr")]
    return use_context::<http::request::Parts>().and_then(|p| p.uri.query().map(str::to_string)).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    return window().location().search().unwrap_or_default().trim_start_matches('?').to_string();
}

/// What a link to this page in another language keeps of the query: the
/// embedding (`embed`, `host`, as written), so a framed widget stays framed
/// and keeps talking to its host page, and the equipment a QR label named.
pub fn embedding_query(query: &str) -> String {
    query.split('&').filter(|pair| matches!(pair.split('=').next(), Some("embed" | "host" | "asset"))).collect::<Vec<_>>().join("&")
}

/// The equipment a QR label's address names (`?asset=ID`).
pub fn asset_from_query(query: &str) -> Option<i64> {
    query.split('&').find_map(|pair| pair.strip_prefix("asset=")).and_then(|v| v.parse().ok()).filter(|id| *id > 0)
}

/// The path of the page being rendered (server) or shown (browser).
pub fn page_path() -> String {
    #[cfg(feature = "ssr")]
    return use_context::<http::request::Parts>().map(|p| p.uri.path().to_string()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    return window().location().pathname().unwrap_or_default();
}

#[cfg(test)]
mod tests {
    #[test]
    fn language_links_keep_the_embedding_only() {
        let q = "embed=1&lang=en&host=https%3A%2F%2Fintranet.example&name=x&asset=7";
        assert_eq!(super::embedding_query(q), "embed=1&host=https%3A%2F%2Fintranet.example&asset=7");
        assert_eq!(super::asset_from_query(q), Some(7));
        assert_eq!(super::asset_from_query("asset=x"), None);
        assert_eq!(super::asset_from_query("asset=-3"), None);
        assert_eq!(super::embedding_query(""), "");
        assert_eq!(super::embedding_query("lang=zh-TW"), "");
    }
}
