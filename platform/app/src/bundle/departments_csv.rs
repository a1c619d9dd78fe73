//! The department tree as a CSV file: one department a row, its parent
//! named by code. The console exports and imports it, and a bundle folder
//! may hold it as `departments.csv` instead of `departments.toml`.
//!
//! Columns (the first line names them, in any order; `code`, `name` and
//! `kind` are required): `code, name, kind, parent, phone, email, address,
//! description, active` (`yes` or `no`; empty is `yes`).

use super::csv::{self, Record};
use super::format::DepartmentEntry;
use minsheng_domain::Error;
use minsheng_domain::error::FieldError;

pub const DEPARTMENTS_CSV: &str = "departments.csv";

pub const COLUMNS: [&str; 9] = [
    "code",
    "name",
    "kind",
    "parent",
    "phone",
    "email",
    "address",
    "description",
    "active",
];

/// The departments of a CSV text, each with the line it starts on.
/// Problems name the line and the column (`line 4: parent`).
pub fn parse(text: &str) -> Result<Vec<(usize, DepartmentEntry)>, Error> {
    let records = csv::read(text).map_err(|e| Error::Invalid(vec![e]))?;
    let Some((header, rows)) = records.split_first() else {
        return Err(Error::invalid(
            "line 1",
            format!(
                "the file is empty: its first line names the columns ({})",
                COLUMNS.join(",")
            ),
        ));
    };
    let at = csv::columns(header, &COLUMNS, &COLUMNS[..3]).map_err(Error::Invalid)?;
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for record in rows {
        match entry(record, &at) {
            Ok(e) => out.push((record.line, e)),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(problems))
    }
}

fn entry(record: &Record, at: &[Option<usize>]) -> Result<DepartmentEntry, FieldError> {
    let value = |column: usize| csv::cell(record, at[column]).unwrap_or_default();
    let optional = |column: usize| {
        Some(value(column))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if record.fields.len() > at.iter().flatten().count() {
        return Err(FieldError::new(
            format!("line {}", record.line),
            "more values than columns: quote a value that holds a comma (\"…\")",
        ));
    }
    let active = match value(8).to_ascii_lowercase().as_str() {
        "" | "yes" | "true" | "1" | "是" => true,
        "no" | "false" | "0" | "否" => false,
        other => {
            return Err(FieldError::new(
                format!("line {}: active", record.line),
                format!("{other:?} is neither yes nor no"),
            ));
        }
    };
    Ok(DepartmentEntry {
        code: value(0).to_owned(),
        name: value(1).to_owned(),
        kind: value(2).to_owned(),
        parent: optional(3),
        phone: optional(4),
        email: optional(5),
        address: optional(6),
        description: optional(7),
        active,
    })
}

/// The CSV text of `entries`, the header first.
pub fn render(entries: &[DepartmentEntry]) -> String {
    let mut out = String::new();
    csv::write_record(&mut out, &COLUMNS);
    for d in entries {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        csv::write_record(
            &mut out,
            &[
                d.code.clone(),
                d.name.clone(),
                d.kind.clone(),
                o(&d.parent),
                o(&d.phone),
                o(&d.email),
                o(&d.address),
                o(&d.description),
                if d.active { "yes" } else { "no" }.to_owned(),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_problems_name_the_line() {
        let text = "\u{feff}code,name,kind,parent,phone\nroot,City,government,,\nstreet,\"Main St, office\",street,root,+86 1\n";
        let rows = parse(text.trim_start_matches('\u{feff}')).expect("parses");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].1.parent.as_deref(), Some("root"));
        assert_eq!(rows[1].1.name, "Main St, office");
        let entries: Vec<_> = rows.into_iter().map(|(_, e)| e).collect();
        let again: Vec<_> = parse(&render(&entries))
            .expect("parses")
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        assert_eq!(again, entries);

        let Err(Error::Invalid(problems)) = parse("code,name,kind,active\na,A,government,maybe\n")
        else {
            panic!("a bad value passed");
        };
        assert_eq!(problems[0].field, "line 2: active");
        let Err(Error::Invalid(problems)) = parse("code,name,colour\n") else {
            panic!("a bad header passed");
        };
        assert!(problems.iter().all(|p| p.field == "line 1"), "{problems:?}");
        assert_eq!(problems.len(), 2, "an unknown column and a missing one");
    }
}
