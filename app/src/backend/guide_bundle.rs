//! The guides offered for an equipment kind as the browser downloads them:
//! serialised and compressed once per set of guide versions, kept in
//! memory, and served under a URL naming those versions
//! (`/widget-guides/{kind}/{tag}`), so browsers keep them for a year and
//! the per-asset `load_guides` answer stays small. Guides never change
//! within a version, so neither does a bundle.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::AnyPool;

use super::guides;
use crate::domain::guide::Guide;
use crate::errors::AppError;

/// One kind's guides: JSON, and the same bytes brotli- and gzip-compressed.
pub struct Bundle {
    pub tag: String,
    pub json: axum::body::Bytes,
    pub br: axum::body::Bytes,
    pub gzip: axum::body::Bytes,
}

/// Equipment kinds as they appear in a URL path segment.
pub fn valid_kind(kind: &str) -> bool {
    !kind.is_empty() && kind.len() <= 64 && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub fn url(kind: &str, tag: &str) -> String {
    format!("/widget-guides/{kind}/{tag}")
}

/// Bundles by kind; only kinds some guide covers get one, so the map is as
/// small as the guide library.
fn cache() -> &'static Mutex<HashMap<String, Arc<Bundle>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Bundle>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The current bundle for a kind; `None` when no guide covers it.
pub async fn for_kind(pool: &AnyPool, kind: &str) -> Result<Option<Arc<Bundle>>, AppError> {
    let library = guides::latest_recent(pool).await?;
    let chosen: Vec<&Guide> = library.iter().filter(|g| g.equipment.iter().any(|e| e == kind)).map(|g| g.as_ref()).collect();
    if chosen.is_empty() {
        return Ok(None);
    }
    let tag = tag_of(&chosen);
    if let Some(b) = cache().lock().ok().and_then(|c| c.get(kind).cloned()) {
        if b.tag == tag {
            return Ok(Some(b));
        }
    }
    let bundle = Arc::new(build(&chosen, tag)?);
    if let Ok(mut c) = cache().lock() {
        c.insert(kind.to_string(), bundle.clone());
    }
    Ok(Some(bundle))
}

/// Names the guide versions in a bundle: what a version holds never
/// changes, so neither does the bundle under this tag.
fn tag_of(guides: &[&Guide]) -> String {
    let list: String = guides.iter().map(|g| format!("{}@{}\n", g.id, g.version)).collect();
    super::digest::sha256_hex(list.as_bytes())[..16].to_string()
}

fn build(guides: &[&Guide], tag: String) -> Result<Bundle, AppError> {
    let json = serde_json::to_vec(guides).map_err(AppError::internal)?;
    // Once per bundle, so the strongest settings.
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(&json).map_err(AppError::internal)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&json).map_err(AppError::internal)?;
    let gzip = gz.finish().map_err(AppError::internal)?;
    Ok(Bundle { tag, json: json.into(), br: br.into(), gzip: gzip.into() })
}
