//! Answers to a category's extra questions (Open311 service attributes),
//! checked against the category's definitions. The same check serves the
//! REST API, the citizen pages and Open311, so every route accepts exactly
//! the same answers.

use crate::model::Attribute;
use minsheng_domain::error::Problems;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The field name errors use for an attribute, as Open311 clients send it.
pub fn field(code: &str) -> String {
    format!("attribute[{code}]")
}

/// Check `answers` (code → one or more values) against `definitions`.
/// Returns the JSON object to store (code → string, or list of strings for
/// multi-value lists), or `None` when nothing was answered. Problems are
/// pushed to `p`, one per attribute.
pub fn check(
    definitions: &[Attribute],
    answers: &BTreeMap<String, Vec<String>>,
    p: &mut Problems,
) -> Option<Value> {
    let mut stored = Map::new();
    for code in answers.keys() {
        if !definitions.iter().any(|d| &d.code == code) {
            p.push(
                field(code),
                format!("this category asks no question {code:?}"),
            );
        }
    }
    for definition in definitions {
        let values: Vec<&str> = answers
            .get(&definition.code)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let name = field(&definition.code);
        if values.is_empty() {
            if definition.required {
                p.push(name, format!("required: {}", definition.description));
            }
            continue;
        }
        let keys: Vec<&str> = definition
            .values
            .iter()
            .flatten()
            .map(|v| v.key.as_str())
            .collect();
        let one = |p: &mut Problems| {
            if values.len() > 1 {
                p.push(name.clone(), "give one value");
                None
            } else {
                Some(values[0])
            }
        };
        let value = match definition.datatype.as_str() {
            "multivaluelist" => {
                let unknown: Vec<&&str> = values.iter().filter(|v| !keys.contains(v)).collect();
                if unknown.is_empty() {
                    Some(Value::from(
                        values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>(),
                    ))
                } else {
                    p.push(
                        name.clone(),
                        format!("{unknown:?} not among the choices: {}", keys.join(", ")),
                    );
                    None
                }
            }
            "singlevaluelist" => one(p).and_then(|v| {
                if keys.contains(&v) {
                    Some(Value::from(v))
                } else {
                    p.push(
                        name.clone(),
                        format!("{v:?} is not among the choices: {}", keys.join(", ")),
                    );
                    None
                }
            }),
            "number" => one(p).and_then(|v| {
                if v.parse::<f64>().is_ok_and(f64::is_finite) {
                    Some(Value::from(v))
                } else {
                    p.push(name.clone(), format!("{v:?} is not a number"));
                    None
                }
            }),
            "datetime" => one(p).and_then(|v| {
                if chrono::DateTime::parse_from_rfc3339(v).is_ok() {
                    Some(Value::from(v))
                } else {
                    p.push(
                        name.clone(),
                        format!("{v:?} is not a date and time like 2026-11-28T09:30:00+08:00"),
                    );
                    None
                }
            }),
            "text" => one(p).and_then(|v| limit(p, &name, v, 5000)),
            _ => one(p).and_then(|v| limit(p, &name, v, 200)),
        };
        if let Some(value) = value {
            stored.insert(definition.code.clone(), value);
        }
    }
    (!stored.is_empty()).then_some(Value::Object(stored))
}

fn limit(p: &mut Problems, name: &str, v: &str, max: usize) -> Option<Value> {
    if v.chars().count() > max {
        p.push(name, format!("at most {max} characters"));
        None
    } else {
        Some(Value::from(v))
    }
}

/// A stored answer as the list of its values.
pub fn values(stored: &Value) -> Vec<String> {
    match stored {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

/// Check an optional link to a photo or other media: http or https, at most
/// 500 characters.
pub fn check_media_url(url: Option<&str>, p: &mut Problems) -> Option<String> {
    let url = url.map(str::trim).filter(|u| !u.is_empty())?;
    let lower = url.to_ascii_lowercase();
    if url.chars().count() > 500 {
        p.push("media_url", "at most 500 characters");
        None
    } else if !(lower.starts_with("https://") || lower.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        p.push("media_url", "must be an http:// or https:// link");
        None
    } else {
        Some(url.to_owned())
    }
}

/// One answer to a category's question as staff read it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Labelled {
    /// The question as the citizen saw it (the code when the category no
    /// longer asks it).
    pub question: String,
    /// The chosen values' names (a list's key when it is no longer listed).
    pub answers: Vec<String>,
}

/// `answers` (code → values) labelled by `definitions`, in the category's
/// order of questions, then any the category no longer asks.
pub fn labelled(
    definitions: &[Attribute],
    answers: &BTreeMap<String, Vec<String>>,
) -> Vec<Labelled> {
    let mut out = Vec::with_capacity(answers.len());
    for d in definitions {
        let Some(given) = answers.get(&d.code) else {
            continue;
        };
        let name = |v: &String| {
            d.values
                .iter()
                .flatten()
                .find(|x| &x.key == v)
                .map_or_else(|| v.clone(), |x| x.name.clone())
        };
        out.push(Labelled {
            question: d.description.clone(),
            answers: given.iter().map(name).collect(),
        });
    }
    for (code, given) in answers {
        if !definitions.iter().any(|d| &d.code == code) {
            out.push(Labelled {
                question: code.clone(),
                answers: given.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttributeValue;

    fn list(datatype: &str, required: bool) -> Attribute {
        Attribute {
            code: "size".into(),
            description: "How big?".into(),
            datatype: datatype.into(),
            required,
            datatype_description: None,
            values: Some(vec![
                AttributeValue {
                    key: "small".into(),
                    name: "Small".into(),
                },
                AttributeValue {
                    key: "large".into(),
                    name: "Large".into(),
                },
            ]),
        }
    }

    fn answers(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect()
    }

    fn fields(p: Problems) -> Vec<String> {
        match p.finish() {
            Ok(()) => Vec::new(),
            Err(minsheng_domain::Error::Invalid(errors)) => {
                errors.into_iter().map(|e| e.field).collect()
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn required_and_unknown_answers_are_named() {
        let mut p = Problems::new();
        let stored = check(
            &[list("singlevaluelist", true)],
            &answers(&[("colour", &["red"])]),
            &mut p,
        );
        assert_eq!(stored, None);
        assert_eq!(fields(p), ["attribute[colour]", "attribute[size]"]);
    }

    #[test]
    fn lists_keep_one_or_many_known_keys() {
        let mut p = Problems::new();
        let single = check(
            &[list("singlevaluelist", true)],
            &answers(&[("size", &["large"])]),
            &mut p,
        );
        let multi = check(
            &[list("multivaluelist", false)],
            &answers(&[("size", &["small", "large"])]),
            &mut p,
        );
        assert!(fields(p).is_empty());
        assert_eq!(single, Some(serde_json::json!({"size": "large"})));
        assert_eq!(multi, Some(serde_json::json!({"size": ["small", "large"]})));

        let mut p = Problems::new();
        check(
            &[list("singlevaluelist", true)],
            &answers(&[("size", &["small", "large"])]),
            &mut p,
        );
        check(
            &[list("multivaluelist", true)],
            &answers(&[("size", &["huge"])]),
            &mut p,
        );
        assert_eq!(fields(p), ["attribute[size]", "attribute[size]"]);
    }

    #[test]
    fn numbers_dates_and_links_are_checked() {
        let mut number = list("number", false);
        number.values = None;
        let mut p = Problems::new();
        check(&[number.clone()], &answers(&[("size", &["2.5"])]), &mut p);
        assert!(check_media_url(Some("https://example.org/a.jpg"), &mut p).is_some());
        assert!(fields(p).is_empty());
        let mut p = Problems::new();
        check(&[number], &answers(&[("size", &["two"])]), &mut p);
        check_media_url(Some("javascript:alert(1)"), &mut p);
        assert_eq!(fields(p), ["attribute[size]", "media_url"]);
    }

    #[test]
    fn answers_are_labelled_by_the_questions() {
        let definitions = vec![
            Attribute {
                code: "indoor_temp".into(),
                description: "目前室内温度大约是多少？".into(),
                datatype: "singlevaluelist".into(),
                required: true,
                datatype_description: None,
                values: Some(vec![AttributeValue {
                    key: "10-14".into(),
                    name: "10–14℃".into(),
                }]),
            },
            Attribute {
                code: "address_detail".into(),
                description: "详细地址".into(),
                datatype: "string".into(),
                required: false,
                datatype_description: None,
                values: None,
            },
        ];
        let answers = BTreeMap::from([
            ("address_detail".to_owned(), vec!["C-22 栋".to_owned()]),
            ("indoor_temp".to_owned(), vec!["10-14".to_owned()]),
            ("retired".to_owned(), vec!["x".to_owned()]),
        ]);
        let shown: Vec<(String, Vec<String>)> = labelled(&definitions, &answers)
            .into_iter()
            .map(|l| (l.question, l.answers))
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "目前室内温度大约是多少？".to_owned(),
                    vec!["10–14℃".to_owned()]
                ),
                ("详细地址".to_owned(), vec!["C-22 栋".to_owned()]),
                ("retired".to_owned(), vec!["x".to_owned()]),
            ]
        );
    }
}
