//! Open311 answers are one tree rendered as JSON or XML, so both formats
//! always carry the same fields. In XML a list repeats its item element
//! inside the parent (`<services><service>…</service></services>`), a
//! missing value is an empty element, and text is escaped; in JSON a list
//! is an array and a missing value is `null`.

use poem::Response;
use poem::http::StatusCode;
#[cfg(test)]
use serde_json::Value;

/// The format a client asked for with the path's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// Split `requests.json` into `("requests", Json)`.
    pub fn split(path: &str) -> Option<(&str, Self)> {
        if let Some(stem) = path.strip_suffix(".json") {
            Some((stem, Self::Json))
        } else {
            path.strip_suffix(".xml").map(|stem| (stem, Self::Xml))
        }
    }
}

/// One value in an answer.
#[derive(Clone, Debug)]
pub enum Node {
    Text(String),
    Number(f64),
    Integer(i64),
    Bool(bool),
    Null,
    /// Fields in order.
    Object(Vec<(&'static str, Node)>),
    /// Items, each written as an `item` element in XML.
    List {
        item: &'static str,
        items: Vec<Node>,
    },
}

impl Node {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Self {
        s.map_or(Self::Null, |s| Self::Text(s.into()))
    }

    /// The tree as a `serde_json::Value`: what the serializer below must
    /// write, byte for byte.
    #[cfg(test)]
    fn to_json(&self) -> Value {
        match self {
            Self::Text(s) => Value::from(s.as_str()),
            Self::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Integer(n) => Value::from(*n),
            Self::Bool(b) => Value::from(*b),
            Self::Null => Value::Null,
            Self::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.to_json()))
                    .collect(),
            ),
            Self::List { items, .. } => Value::Array(items.iter().map(Node::to_json).collect()),
        }
    }

    fn write_xml(&self, out: &mut String) {
        match self {
            Self::Text(s) => escape(s, out),
            Self::Number(n) => out.push_str(&n.to_string()),
            Self::Integer(n) => out.push_str(&n.to_string()),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Null => {}
            Self::Object(fields) => {
                for (name, value) in fields {
                    element(name, value, out);
                }
            }
            Self::List { item, items } => {
                for value in items {
                    element(item, value, out);
                }
            }
        }
    }
}

/// Written straight into the answer's buffer, fields in name order (as
/// the earlier `serde_json::Value` rendering had them).
impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Self::Text(t) => s.serialize_str(t),
            Self::Number(n) if n.is_finite() => s.serialize_f64(*n),
            Self::Number(_) | Self::Null => s.serialize_unit(),
            Self::Integer(n) => s.serialize_i64(*n),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Object(fields) => {
                let mut sorted: Vec<&(&'static str, Node)> = fields.iter().collect();
                sorted.sort_by_key(|(k, _)| *k);
                let mut map = s.serialize_map(Some(sorted.len()))?;
                for (k, v) in sorted {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Self::List { items, .. } => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
        }
    }
}

fn element(name: &str, value: &Node, out: &mut String) {
    if matches!(value, Node::Null) {
        out.push_str(&format!("<{name}/>"));
        return;
    }
    out.push_str(&format!("<{name}>"));
    value.write_xml(out);
    out.push_str(&format!("</{name}>"));
}

/// Escape text for XML content; characters XML 1.0 cannot carry at all
/// are dropped.
fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Render `body` (whose XML root element is `root`) with `status`.
pub fn render(format: Format, status: StatusCode, root: &str, body: &Node) -> Response {
    match format {
        Format::Json => Response::builder()
            .status(status)
            .content_type("application/json; charset=utf-8")
            .body(serde_json::to_vec(body).unwrap_or_default()),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            element(root, body, &mut out);
            Response::builder()
                .status(status)
                .content_type("text/xml; charset=utf-8")
                .body(out)
        }
    }
}

/// The specification's error answer: a list of `code` and `description`.
pub fn error(format: Format, status: StatusCode, descriptions: &[String]) -> Response {
    let items = descriptions
        .iter()
        .map(|d| {
            Node::Object(vec![
                ("code", Node::Integer(i64::from(status.as_u16()))),
                ("description", Node::text(d.clone())),
            ])
        })
        .collect();
    render(
        format,
        status,
        "errors",
        &Node::List {
            item: "error",
            items,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_and_nests_lists() {
        let body = Node::List {
            item: "service",
            items: vec![Node::Object(vec![
                ("service_name", Node::text("<script>&\"暖气\"")),
                ("group", Node::Null),
                ("metadata", Node::Bool(true)),
            ])],
        };
        let mut out = String::new();
        element("services", &body, &mut out);
        assert_eq!(
            out,
            "<services><service><service_name>&lt;script&gt;&amp;&quot;暖气&quot;</service_name>\
             <group/><metadata>true</metadata></service></services>"
        );
        assert_eq!(
            body.to_json(),
            serde_json::json!([{"service_name": "<script>&\"暖气\"", "group": null, "metadata": true}])
        );
    }

    #[test]
    fn json_written_straight_is_what_a_value_would_write() {
        let body = Node::List {
            item: "request",
            items: vec![Node::Object(vec![
                ("service_request_id", Node::text("DQ-1")),
                ("lat", Node::Number(46.58)),
                ("long", Node::Number(f64::NAN)),
                ("views", Node::Integer(3)),
                ("agency_responsible", Node::Null),
                ("public", Node::Bool(false)),
                (
                    "attributes",
                    Node::List {
                        item: "a",
                        items: vec![Node::text("\"引号\"\n")],
                    },
                ),
            ])],
        };
        assert_eq!(
            serde_json::to_string(&body).ok(),
            Some(body.to_json().to_string())
        );
    }

    #[test]
    fn extensions_pick_the_format() {
        assert_eq!(
            Format::split("requests.json"),
            Some(("requests", Format::Json))
        );
        assert_eq!(
            Format::split("requests/AB.xml"),
            Some(("requests/AB", Format::Xml))
        );
        assert_eq!(Format::split("requests.csv"), None);
    }
}
