//! A rule's configuration form, generated from its JSON Schema: strings,
//! numbers, booleans, enumerations and arrays of strings get fields of
//! their own; anything deeper a JSON text area of its own. A schema that
//! is not an object of properties gets one JSON text area for the whole
//! configuration. The schema itself judges the result (the registry
//! checks it); here only what cannot be read is refused, named by path.

use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use serde_json::{Map, Value, json};

/// The form field of the whole configuration as JSON.
pub const WHOLE: &str = "config_json";

/// How one property is edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    Choice,
    Lines,
    Json,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Choice => "choice",
            Kind::Lines => "lines",
            Kind::Json => "json",
        }
    }
}

fn kind(schema: &Value) -> Kind {
    if schema["enum"].is_array() {
        return Kind::Choice;
    }
    match schema["type"].as_str() {
        Some("string") => Kind::Text,
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        Some("array")
            if schema["items"]["type"] == "string" && schema["items"]["enum"].is_null() =>
        {
            Kind::Lines
        }
        _ => Kind::Json,
    }
}

/// The properties of an object schema, when it is one.
fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema["properties"]
        .as_object()
        .filter(|p| !p.is_empty() && (schema["type"] == "object" || schema["type"].is_null()))
}

/// The form's fields for `schema`, filled from `config` (or from what was
/// sent, `sent`, when the form comes back with errors). `None`: one JSON
/// text area for the whole configuration.
pub fn fields(schema: &Value, config: &Value, sent: Option<&[(String, String)]>) -> Option<Value> {
    let props = properties(schema)?;
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let sent_value = |name: &str| -> Option<String> {
        sent.map(|s| {
            s.iter()
                .filter(|(k, _)| k == &format!("f.{name}"))
                .map(|(_, v)| v.clone())
                .next_back()
                .unwrap_or_default()
        })
    };
    let mut out = Vec::new();
    for (name, prop) in props {
        let k = kind(prop);
        let current = &config[name.as_str()];
        let value = match sent_value(name) {
            Some(v) => v,
            None => match k {
                Kind::Lines => current
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
                Kind::Json if current.is_null() => String::new(),
                Kind::Json => serde_json::to_string_pretty(current).unwrap_or_default(),
                _ => match current {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            },
        };
        let checked = match sent {
            Some(_) => !value.is_empty(),
            None => current.as_bool().unwrap_or(false),
        };
        let choices: Vec<Value> = prop["enum"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|c| {
                        let text = c.as_str().map_or_else(|| c.to_string(), str::to_owned);
                        json!({"value": text, "selected": text == value})
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(json!({
            "name": name,
            "kind": k.name(),
            "required": required.contains(&name.as_str()),
            "description": prop["description"].as_str().or(prop["title"].as_str()),
            "value": value,
            "checked": checked,
            "choices": choices,
            "minimum": prop["minimum"],
            "maximum": prop["maximum"],
        }));
    }
    Some(Value::Array(out))
}

/// The configuration the form sent, or what cannot be read in it, each
/// problem named `config/<property>`.
pub fn read(schema: &Value, form: &[(String, String)]) -> Result<Value, Error> {
    let get = |name: &str| {
        form.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .next_back()
    };
    let Some(props) = properties(schema) else {
        let text = get(WHOLE).unwrap_or("").trim();
        if text.is_empty() {
            return Ok(json!({}));
        }
        return serde_json::from_str(text)
            .map_err(|e| Error::invalid("config", format!("not JSON: {e}")));
    };
    let mut p = Problems::new();
    let mut config = Map::new();
    for (name, prop) in props {
        let field = format!("config/{name}");
        let raw = get(&format!("f.{name}")).unwrap_or("");
        let text = raw.trim();
        let value = match kind(prop) {
            Kind::Boolean => Some(Value::Bool(!raw.is_empty())),
            _ if text.is_empty() => None,
            Kind::Text => Some(Value::String(raw.to_owned())),
            Kind::Integer => match text.parse::<i64>() {
                Ok(n) => Some(json!(n)),
                Err(_) => {
                    p.push(field, "must be a whole number");
                    None
                }
            },
            Kind::Number => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Some(json!(n)),
                _ => {
                    p.push(field, "must be a number");
                    None
                }
            },
            Kind::Choice => prop["enum"].as_array().and_then(|e| {
                let found = e
                    .iter()
                    .find(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned) == text)
                    .cloned();
                if found.is_none() {
                    p.push(field, "choose one of the listed values");
                }
                found
            }),
            Kind::Lines => Some(Value::Array(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_owned()))
                    .collect(),
            )),
            Kind::Json => match serde_json::from_str(text) {
                Ok(v) => Some(v),
                Err(e) => {
                    p.push(field, format!("not JSON: {e}"));
                    None
                }
            },
        };
        if let Some(v) = value {
            config.insert(name.clone(), v);
        }
    }
    p.finish()?;
    Ok(Value::Object(config))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn simple_properties_become_fields_and_come_back() {
        let schema = json!({"type": "object", "properties": {
            "words": {"type": "array", "items": {"type": "string"}},
            "max": {"type": "integer"},
            "on": {"type": "boolean"},
            "level": {"enum": ["low", "high"]},
            "routes": {"type": "array", "items": {"type": "object"}}
        }});
        let config = read(
            &schema,
            &form(&[
                ("f.words", "a\r\n\r\n b \n"),
                ("f.max", " 3 "),
                ("f.on", "on"),
                ("f.level", "high"),
                ("f.routes", "[{\"x\": 1}]"),
            ]),
        )
        .unwrap();
        assert_eq!(
            config,
            json!({"words": ["a", "b"], "max": 3, "on": true, "level": "high", "routes": [{"x": 1}]})
        );
        let shown = fields(&schema, &config, None).unwrap();
        let words = shown
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "words")
            .unwrap();
        assert_eq!(words["value"], "a\nb");
        assert_eq!(words["kind"], "lines");
    }

    #[test]
    fn unreadable_values_are_named_by_path() {
        let schema = json!({"type": "object", "properties": {
            "max": {"type": "integer"},
            "routes": {"type": "array", "items": {"type": "object"}}
        }});
        let Err(Error::Invalid(errors)) =
            read(&schema, &form(&[("f.max", "many"), ("f.routes", "[")]))
        else {
            panic!("accepted");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["config/max", "config/routes"]);
    }

    #[test]
    fn a_schema_without_properties_is_one_json_text() {
        let schema = json!({"type": "object"});
        assert!(fields(&schema, &json!({}), None).is_none());
        assert_eq!(
            read(&schema, &form(&[(WHOLE, "{\"a\": 1}")])).unwrap(),
            json!({"a": 1})
        );
        assert!(read(&schema, &form(&[(WHOLE, "{")])).is_err());
    }
}
