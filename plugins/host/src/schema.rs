//! A rule's configuration is checked against the JSON Schema the rule
//! publishes, before it is saved and so before any call.
//!
//! A schema comes from a city's upload, so checking it must terminate in
//! bounded time and memory whatever it says: it is refused unless it is
//! small ([`MAX_SCHEMA_BYTES`], [`MAX_SCHEMA_DEPTH`]), its `$ref`s are
//! local JSON pointers without cycles, and it stays small with every
//! `$ref` written out ([`MAX_SCHEMA_EXPANDED`]: no "billion laughs").
//! Checking a configuration repeats these checks first (a schema stored
//! before them fails closed) and refuses configurations over
//! [`MAX_CONFIG_BYTES`].

use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// Largest schema accepted, as JSON text.
pub const MAX_SCHEMA_BYTES: usize = 64 << 10;
/// Deepest nesting of a schema's JSON.
pub const MAX_SCHEMA_DEPTH: usize = 32;
/// Most JSON values a schema may stand for with every `$ref` replaced by
/// what it points at.
pub const MAX_SCHEMA_EXPANDED: u64 = 10_000;
/// Largest configuration accepted, as JSON text.
pub const MAX_CONFIG_BYTES: usize = 64 << 10;

/// One thing wrong with a configuration: where, and what.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigError {
    /// JSON pointer into the configuration ("" for the whole).
    pub path: String,
    pub message: String,
}

/// Whether `schema` is a JSON Schema we can check configurations with,
/// within the bounds above.
pub fn check_schema(schema: &str) -> Result<(), String> {
    parse_schema(schema).map(|_| ())
}

fn parse_schema(schema: &str) -> Result<Value, String> {
    if schema.len() > MAX_SCHEMA_BYTES {
        return Err(format!(
            "the schema is {} bytes of JSON; the limit is {MAX_SCHEMA_BYTES}",
            schema.len()
        ));
    }
    let value: Value = serde_json::from_str(schema).map_err(|e| format!("not JSON: {e}"))?;
    if !value.is_object() && !value.is_boolean() {
        return Err("must be a JSON object".into());
    }
    let depth = depth(&value);
    if depth > MAX_SCHEMA_DEPTH {
        return Err(format!(
            "the schema nests {depth} levels deep; the limit is {MAX_SCHEMA_DEPTH}"
        ));
    }
    let expanded = References::new(&value).expanded("", &value)?;
    if expanded > MAX_SCHEMA_EXPANDED {
        return Err(format!(
            "with its $refs written out the schema has more than {MAX_SCHEMA_EXPANDED} parts; share less through $ref or simplify it"
        ));
    }
    jsonschema::validator_for(&value).map_err(|e| format!("not a valid JSON Schema: {e}"))?;
    Ok(value)
}

fn depth(value: &Value) -> usize {
    // Iterative: a deep document must not overflow our own stack.
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

/// The walk that sizes a schema with its `$ref`s written out, refusing
/// what cannot be sized: references that are not local pointers, dynamic
/// references, nested `$id`s (they move what a reference means) and
/// cycles.
struct References<'a> {
    root: &'a Value,
    /// Sizes of the targets already walked, by pointer.
    sizes: HashMap<String, u64>,
    /// Pointers being walked: meeting one again is a cycle.
    path: Vec<String>,
}

impl<'a> References<'a> {
    fn new(root: &'a Value) -> Self {
        Self {
            root,
            sizes: HashMap::new(),
            path: Vec::new(),
        }
    }

    /// Values under `value` (at `at`), counting what each `$ref` points at.
    fn expanded(&mut self, at: &str, value: &'a Value) -> Result<u64, String> {
        let mut total: u64 = 1;
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    total = total.saturating_add(self.expanded(&format!("{at}/{i}"), item)?);
                    self.stop_early(total)?;
                }
            }
            Value::Object(map) => {
                for key in ["$dynamicRef", "$recursiveRef", "$dynamicAnchor", "$anchor"] {
                    if map.contains_key(key) {
                        return Err(format!(
                            "{key} at {} is not supported; use \"$ref\": \"#/$defs/…\"",
                            display(at)
                        ));
                    }
                }
                if !at.is_empty() && map.get("$id").is_some_and(Value::is_string) {
                    return Err(format!(
                        "$id at {} is not supported below the top of the schema",
                        display(at)
                    ));
                }
                if let Some(Value::String(target)) = map.get("$ref") {
                    total = total.saturating_add(self.reference(at, target)?);
                }
                for (key, item) in map {
                    let child = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                    total = total.saturating_add(self.expanded(&child, item)?);
                    self.stop_early(total)?;
                }
            }
            _ => {}
        }
        Ok(total)
    }

    fn reference(&mut self, at: &str, target: &str) -> Result<u64, String> {
        let Some(pointer) = target.strip_prefix('#') else {
            return Err(format!(
                "$ref {target:?} at {} points outside the schema; only local references such as \"#/$defs/name\" are allowed",
                display(at)
            ));
        };
        let pointer = percent_decoded(pointer);
        if let Some(size) = self.sizes.get(&pointer) {
            return Ok(*size);
        }
        if let Some(start) = self.path.iter().position(|p| *p == pointer) {
            let mut cycle: Vec<String> = self.path[start..].iter().map(|p| display(p)).collect();
            cycle.push(display(&pointer));
            return Err(format!(
                "$ref cycle: {}; a configuration schema must not refer to itself",
                cycle.join(" → ")
            ));
        }
        let Some(value) = self.root.pointer(&pointer) else {
            return Err(format!(
                "$ref {target:?} at {} points at nothing in the schema",
                display(at)
            ));
        };
        self.path.push(pointer.clone());
        let size = self.expanded(&pointer, value);
        self.path.pop();
        let size = size?;
        self.sizes.insert(pointer, size);
        Ok(size)
    }

    fn stop_early(&self, total: u64) -> Result<(), String> {
        if total > MAX_SCHEMA_EXPANDED {
            return Err(format!(
                "with its $refs written out the schema has more than {MAX_SCHEMA_EXPANDED} parts; share less through $ref or simplify it"
            ));
        }
        Ok(())
    }
}

fn display(pointer: &str) -> String {
    format!("#{pointer}")
}

/// `%25` → `%` and the like, as a URI fragment is written.
fn percent_decoded(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = fragment.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Check `config` against `schema`; every problem at once. A schema that
/// fails [`check_schema`] refuses every configuration.
pub fn check_config(schema: &str, config: &Value) -> Result<(), Vec<ConfigError>> {
    let whole = |message: String| {
        vec![ConfigError {
            path: String::new(),
            message,
        }]
    };
    let size = serde_json::to_vec(config).map(|v| v.len()).unwrap_or(0);
    if size > MAX_CONFIG_BYTES {
        return Err(whole(format!(
            "the configuration is {size} bytes of JSON; the limit is {MAX_CONFIG_BYTES}"
        )));
    }
    let schema = parse_schema(schema).map_err(|e| {
        whole(format!(
            "the rule's schema is refused by this server ({e}); upload a version of the rule with a simpler schema"
        ))
    })?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| whole(format!("the rule's schema is invalid: {e}")))?;
    let errors: Vec<ConfigError> = validator
        .iter_errors(config)
        .take(100)
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
    use serde_json::json;

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let schema = r#"{"type":"object","properties":{"keywords":{"type":"array","items":{"type":"string"}},"limit":{"type":"integer","minimum":1}},"required":["keywords"],"additionalProperties":false}"#;
        assert!(check_config(schema, &json!({"keywords": ["a"]})).is_ok());
        let errors = check_config(schema, &json!({"keywords": [1], "limit": 0, "x": true}))
            .err()
            .unwrap_or_default();
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"/keywords/0"), "{errors:?}");
        assert!(paths.contains(&"/limit"), "{errors:?}");
        assert!(errors.len() >= 3, "{errors:?}");
        assert!(check_schema("{\"type\": 5}").is_err());
        assert!(check_schema("[]").is_err());
    }

    fn refused(schema: Value) -> String {
        check_schema(&schema.to_string()).expect_err("refused")
    }

    #[test]
    fn reference_cycles_are_refused_with_the_cycle() {
        let two = refused(json!({
            "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
            "$ref": "#/$defs/a"
        }));
        assert!(two.contains("$ref cycle"), "{two}");
        assert!(two.contains("#/$defs/a → #/$defs/b → #/$defs/a"), "{two}");
        // Reached only under a property, and through the root itself.
        let nested = refused(json!({
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/a"}},
            "$defs": {"a": {"type": "object", "properties": {"y": {"$ref": "#/$defs/a"}}}}
        }));
        assert!(nested.contains("$ref cycle"), "{nested}");
        let root = refused(json!({"properties": {"x": {"$ref": "#"}}}));
        assert!(root.contains("$ref cycle"), "{root}");
    }

    #[test]
    fn what_cannot_be_sized_is_refused() {
        assert!(refused(json!({"$ref": "https://example.com/s.json"})).contains("outside"));
        assert!(refused(json!({"$ref": "#/$defs/none"})).contains("points at nothing"));
        assert!(refused(json!({"$dynamicRef": "#x"})).contains("$dynamicRef"));
        assert!(refused(json!({"$defs": {"a": {"$id": "x", "type": "string"}}})).contains("$id"));
        let mut deep = json!({"type": "string"});
        for _ in 0..40 {
            deep = json!({ "items": deep });
        }
        assert!(refused(deep).contains("levels deep"));
        let big = format!("{{\"description\":\"{}\"}}", "x".repeat(MAX_SCHEMA_BYTES));
        assert!(
            check_schema(&big)
                .expect_err("a schema over the byte limit is refused")
                .contains("bytes")
        );
    }

    #[test]
    fn exponential_expansion_is_refused_quickly() {
        // Each level refers twice to the one below: 2^30 parts written out.
        let mut defs = serde_json::Map::new();
        defs.insert("d0".into(), json!({"type": "string"}));
        for i in 1..=30 {
            let below = format!("#/$defs/d{}", i - 1);
            defs.insert(
                format!("d{i}"),
                json!({"anyOf": [{"$ref": below}, {"$ref": below}]}),
            );
        }
        let schema = json!({"$defs": defs, "$ref": "#/$defs/d30"});
        let started = std::time::Instant::now();
        assert!(refused(schema.clone()).contains("written out"));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let errors =
            check_config(&schema.to_string(), &json!("x")).expect_err("a string is not an object");
        assert!(
            errors[0].message.contains("refused by this server"),
            "{errors:?}"
        );
    }

    #[test]
    fn shared_definitions_are_fine() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/code"}, "b": {"$ref": "#/$defs/code"}},
            "$defs": {"code": {"type": "string", "pattern": "^[a-z]+$"}}
        });
        check_schema(&schema.to_string()).expect("accepted");
        assert!(check_config(&schema.to_string(), &json!({"a": "x", "b": "y"})).is_ok());
        assert!(check_config(&schema.to_string(), &json!({"a": "X"})).is_err());
        let big = json!({"k": "x".repeat(MAX_CONFIG_BYTES)});
        let errors = check_config(&schema.to_string(), &big)
            .expect_err("a config over the byte limit is refused");
        assert!(errors[0].message.contains("bytes"), "{errors:?}");
    }
}
