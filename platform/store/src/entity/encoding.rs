//! How entity models read and write themselves as JSON, for tenant
//! archives: every value must come back exactly as it went out.
//!
//! Models are never an API's response: the API has its own types, which
//! leave out secrets such as password hashes.

use serde::{Deserialize, Deserializer, Serializer};

/// Binary columns as base64 text, not as a list of numbers.
pub mod base64_bytes {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

/// A nullable JSON column holds either SQL NULL or a JSON document, and
/// the document may itself be `null`. Written as JSON, both would be
/// `null`; so SQL NULL leaves the field out (with
/// `skip_serializing_if = "Option::is_none"` and `default`) and a present
/// field is always a document, `null` included.
pub fn present_json<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}
