//! The archive file: JSON lines, one header, one line per row, one end line.
//!
//! ```text
//! {"format":"minsheng-tenant-archive","version":1,"minsheng":"0.1.0",...}
//! {"table":"tenants","row":{...}}
//! {"table":"tenant_hosts","row":{...}}
//! ...
//! {"end":{"rows":71234,"sha256":"…"}}
//! ```
//!
//! Rows follow in the order of [`super::tables::all`], each table's rows
//! together, so every row comes after the rows it refers to. The end line
//! holds the number of rows and the SHA-256 of every byte before it: a
//! file cut short or changed is refused as a whole.
//!
//! Rules for changing the format: a new column or table needs no new
//! version (the header lists the migrations the rows were written under,
//! and an archive from an older schema still reads when what it lacks may
//! be null); anything an older reader would misread bumps [`VERSION`].

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The header's `format`: what kind of file this is.
pub const FORMAT: &str = "minsheng-tenant-archive";

/// The version of the layout this build writes and the newest it reads.
pub const VERSION: u32 = 1;

/// City tables an archive leaves out, with why: sign-ins do not move.
pub const OMITTED: &[(&str, &str)] = &[
    ("sessions", "signed-in browsers; people sign in again"),
    (
        "login_throttle",
        "failed sign-in counters; they start afresh",
    ),
    (
        "case_search",
        "the search index; made again from the cases (`minsheng search backfill`, or at start)",
    ),
    (
        "case_duplicates",
        "likely duplicates; found again from the search index by the worker",
    ),
];

/// The first line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The Minsheng version that wrote it.
    pub minsheng: String,
    /// The migrations the exporting database had applied: the schema the
    /// rows were read under.
    pub migrations: Vec<String>,
    pub exported_at: DateTime<Utc>,
    /// The city's slug and id.
    pub tenant: String,
    pub tenant_id: Uuid,
    /// Rows per table, in the order they follow.
    pub counts: BTreeMap<String, u64>,
    pub tables: Vec<String>,
    /// Tables of the city deliberately left out.
    pub omitted: Vec<String>,
}

/// The last line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct End {
    pub rows: u64,
    /// Hex SHA-256 of every byte before this line.
    pub sha256: String,
}

#[derive(Serialize)]
pub struct RowLine<'a> {
    pub table: &'a str,
    pub row: &'a serde_json::Value,
}

#[derive(Serialize)]
pub struct EndLine<'a> {
    pub end: &'a End,
}

/// A line after the header, as read.
#[derive(Debug)]
pub enum Line {
    Row {
        table: String,
        row: serde_json::Value,
    },
    End(End),
}

impl Line {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut value: serde_json::Value =
            serde_json::from_str(text).context("it is not valid JSON")?;
        let Some(object) = value.as_object_mut() else {
            bail!("it is not a JSON object");
        };
        if let Some(end) = object.remove("end") {
            let end = serde_json::from_value(end).context("its end record is malformed")?;
            return Ok(Self::End(end));
        }
        let table = match object.remove("table") {
            Some(serde_json::Value::String(table)) => table,
            _ => bail!("it names no table"),
        };
        let Some(row) = object.remove("row") else {
            bail!("it holds no row");
        };
        Ok(Self::Row { table, row })
    }
}

impl Header {
    /// Read the first line, refusing what this build cannot load: another
    /// kind of file, a newer layout, or rows written under migrations this
    /// build does not have.
    pub fn parse(text: &str, known_migrations: &[String]) -> anyhow::Result<Self> {
        let not_archive = || {
            anyhow::anyhow!(
                "this is not a Minsheng tenant archive (its first line should be a header \
                 with \"format\": \"{FORMAT}\"); archives are written by \
                 `minsheng tenant export <city> --with-cases`"
            )
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| not_archive())?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(not_archive());
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) if v > u64::from(VERSION) => {
                let writer = value
                    .get("minsheng")
                    .and_then(|m| m.as_str())
                    .unwrap_or("a newer version");
                bail!(
                    "this archive has format version {v}, written by Minsheng {writer}; this \
                     Minsheng ({}) reads version {VERSION} and older: import it with Minsheng \
                     {writer} or newer",
                    env!("CARGO_PKG_VERSION")
                );
            }
            _ => bail!("the archive's header has no valid format version"),
        }
        let header: Self =
            serde_json::from_value(value).context("the archive's header is malformed")?;
        let unknown: Vec<&str> = header
            .migrations
            .iter()
            .filter(|m| !known_migrations.contains(m))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            bail!(
                "the archive was written by Minsheng {} under database migrations this build \
                 ({}) does not have: {}. Upgrade this deployment to Minsheng {} or newer, then \
                 import",
                header.minsheng,
                env!("CARGO_PKG_VERSION"),
                unknown.join(", "),
                header.minsheng
            );
        }
        if header.tables.len() != header.counts.len()
            || header.tables.iter().any(|t| !header.counts.contains_key(t))
        {
            bail!("the archive's header is malformed: its tables and counts disagree");
        }
        Ok(header)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: FORMAT.into(),
            version: VERSION,
            minsheng: "0.1.0".into(),
            migrations: vec!["m1".into()],
            exported_at: Utc::now(),
            tenant: "daqing".into(),
            tenant_id: Uuid::now_v7(),
            counts: [("tenants".to_owned(), 1)].into_iter().collect(),
            tables: vec!["tenants".into()],
            omitted: vec![],
        }
    }

    fn text(value: &serde_json::Value) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn a_header_reads_back() {
        let h = header();
        let line = serde_json::to_string(&h).unwrap();
        let read = Header::parse(&line, &["m1".into(), "m2".into()]).unwrap();
        assert_eq!(read, h);
    }

    #[test]
    fn refuses_what_it_cannot_load() {
        let known = vec!["m1".to_owned()];
        let mut v = serde_json::to_value(header()).unwrap();
        let err = |v: &serde_json::Value| Header::parse(&text(v), &known).unwrap_err().to_string();
        assert!(err(&serde_json::json!({"a": 1})).contains("not a Minsheng tenant archive"));
        let toml = Header::parse("[tenant]\nslug = 1", &known).unwrap_err();
        assert!(toml.to_string().contains("not a Minsheng"));
        v["version"] = 2.into();
        v["minsheng"] = "9.0.0".into();
        let e = err(&v);
        assert!(e.contains("format version 2") && e.contains("9.0.0"), "{e}");
        v["version"] = 1.into();
        v["migrations"] = serde_json::json!(["m1", "m9_future"]);
        let e = err(&v);
        assert!(e.contains("m9_future") && e.contains("Upgrade"), "{e}");
    }

    #[test]
    fn lines_parse() {
        assert!(matches!(
            Line::parse(r#"{"table":"cases","row":{"id":1}}"#),
            Ok(Line::Row { table, .. }) if table == "cases"
        ));
        assert!(matches!(
            Line::parse(r#"{"end":{"rows":3,"sha256":"ab"}}"#),
            Ok(Line::End(End { rows: 3, .. }))
        ));
        assert!(Line::parse(r#"{"table":"cases","ro"#).is_err());
        assert!(Line::parse(r#"{"row":{}}"#).is_err());
    }
}
