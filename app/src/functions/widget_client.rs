//! The widget's own client id, sent with each of its calls (the `client`
//! argument of its server functions, the `X-Fixline-Client` header of its
//! uploads) so rate limits can tell apart colleagues who reach Fixline
//! through one egress address (`backend::limits`). Not a secret and not a
//! person: 128 random bits the widget keeps in its storage, so a reload
//! keeps its share. (An argument rather than a custom server-fn client: the
//! custom client moved ~22 KB of the calls' code into the first download.)

/// The header uploads carry it in (read by `backend::limits`).
pub const CLIENT_HEADER: &str = "x-fixline-client";

#[cfg(feature = "hydrate")]
const STORAGE_KEY: &str = "fixline.client";

/// 128 random bits from the browser's CSPRNG, hex-encoded.
pub fn random_id() -> String {
    #[allow(unused_mut)]
    let mut bytes = [0u8; 16];
    #[cfg(feature = "hydrate")]
    {
        let filled = web_sys::window().and_then(|w| w.crypto().ok()).is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
        if !filled {
            for b in bytes.iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This browser's client id: kept in storage, or for this page only when
/// storage is refused (private mode, blocked third-party storage).
pub fn client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        thread_local! {
            static ID: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
        }
        ID.with(|id| {
            id.get_or_init(|| {
                let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
                if let Some(kept) = storage.as_ref().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).filter(|v| v.len() == 32) {
                    return kept;
                }
                let fresh = random_id();
                if let Some(s) = storage {
                    let _ = s.set_item(STORAGE_KEY, &fresh);
                }
                fresh
            })
            .clone()
        })
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}
