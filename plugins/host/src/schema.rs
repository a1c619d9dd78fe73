//! A rule's configuration is checked against the JSON Schema the rule
//! publishes, before it is saved and so before any call.

use serde::Serialize;

/// One thing wrong with a configuration: where, and what.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigError {
    /// JSON pointer into the configuration ("" for the whole).
    pub path: String,
    pub message: String,
}

/// Whether `schema` is a JSON Schema we can check configurations with.
pub fn check_schema(schema: &str) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_str(schema).map_err(|e| format!("not JSON: {e}"))?;
    if !value.is_object() && !value.is_boolean() {
        return Err("must be a JSON object".into());
    }
    jsonschema::validator_for(&value)
        .map(|_| ())
        .map_err(|e| format!("not a valid JSON Schema: {e}"))
}

/// Check `config` against `schema`; every problem at once.
pub fn check_config(schema: &str, config: &serde_json::Value) -> Result<(), Vec<ConfigError>> {
    let schema: serde_json::Value = serde_json::from_str(schema).map_err(|e| {
        vec![ConfigError {
            path: String::new(),
            message: format!("the rule's schema is not JSON: {e}"),
        }]
    })?;
    let validator = jsonschema::validator_for(&schema).map_err(|e| {
        vec![ConfigError {
            path: String::new(),
            message: format!("the rule's schema is invalid: {e}"),
        }]
    })?;
    let errors: Vec<ConfigError> = validator
        .iter_errors(config)
        .map(|e| ConfigError {
            path: e.instance_path.to_string(),
            message: e.to_string(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let schema = r#"{"type":"object","properties":{"keywords":{"type":"array","items":{"type":"string"}},"limit":{"type":"integer","minimum":1}},"required":["keywords"],"additionalProperties":false}"#;
        assert!(check_config(schema, &serde_json::json!({"keywords": ["a"]})).is_ok());
        let errors = check_config(
            schema,
            &serde_json::json!({"keywords": [1], "limit": 0, "x": true}),
        )
        .err()
        .unwrap_or_default();
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"/keywords/0"), "{errors:?}");
        assert!(paths.contains(&"/limit"), "{errors:?}");
        assert!(errors.len() >= 3, "{errors:?}");
        assert!(check_schema("{\"type\": 5}").is_err());
        assert!(check_schema("[]").is_err());
    }
}
