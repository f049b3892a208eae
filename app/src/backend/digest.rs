//! What Fixline stores instead of secrets, and to prove content: SHA-256,
//! hex-encoded.

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A session or case token as stored.
pub fn token_digest(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// The submission id is a secret of the reporting browser (it proves a
/// retry is the same report): only its hash is stored.
pub fn submission_hash(submission_id: &str) -> String {
    format!("sha256:{}", token_digest(submission_id))
}
