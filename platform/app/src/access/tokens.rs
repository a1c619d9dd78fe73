//! Random secrets (session tokens, CSRF tokens, API keys) and their
//! digests. Only digests are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compare secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new API key: `ms_<prefix>_<secret>`. The prefix finds the row; the
/// secret's digest proves the key.
pub struct NewApiKey {
    pub prefix: String,
    pub secret_hash: String,
    pub full: String,
}

pub fn new_api_key() -> NewApiKey {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    let prefix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let secret = random_token();
    NewApiKey {
        secret_hash: sha256_hex(&secret),
        full: format!("ms_{prefix}_{secret}"),
        prefix,
    }
}

/// Split `ms_<prefix>_<secret>`.
pub fn parse_api_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("ms_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 12 && !secret.is_empty()).then_some((prefix, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_round_trip_and_are_hashed() {
        let key = new_api_key();
        let (prefix, secret) = parse_api_key(&key.full).unwrap_or_default();
        assert_eq!(prefix, key.prefix);
        assert_eq!(sha256_hex(secret), key.secret_hash);
        assert!(!key.secret_hash.contains(secret));
        assert!(parse_api_key("Bearer nonsense").is_none());
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
        assert_ne!(random_token(), random_token());
    }
}
