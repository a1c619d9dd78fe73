//! Comma-separated text (RFC 4180) as the console's files use it: UTF-8
//! with or without a byte-order mark, fields quoted with `"` when they hold
//! a comma, a quote or a line break. Each record keeps the line it starts
//! on, so problems can name it.

use minsheng_domain::error::FieldError;

/// One record of a file and the line (from 1) it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// The text of an uploaded file: UTF-8, a leading byte-order mark dropped.
pub fn decode(bytes: &[u8]) -> Result<&str, String> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(
            "this is a spreadsheet workbook (.xlsx or .xls), not a CSV file: save it as \"CSV UTF-8\""
                .into(),
        );
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        format!("line {line}: the file is not UTF-8 text: save it as CSV in UTF-8 (\"CSV UTF-8\")")
    })
}

/// The records of `text`; blank lines are skipped.
pub fn read(text: &str) -> Result<Vec<Record>, FieldError> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start) = (1, 1);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, start: usize| {
        fields.push(std::mem::take(field));
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push(Record {
                line: start,
                fields: std::mem::take(fields),
            });
        }
        fields.clear();
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n' | '\r') => {
                end_record(&mut fields, &mut field, start);
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(FieldError::new(
            format!("line {start}"),
            "a quoted field is not closed: a \" is missing",
        ));
    }
    end_record(&mut fields, &mut field, start);
    Ok(records)
}

/// Append one record to `out`, quoting the fields that need it.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = f.as_ref();
        if f.contains([',', '"', '\n', '\r']) || f.trim() != f {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
}

/// Where each of `wanted` columns is in the header record, or the
/// problems with the header (an unknown or repeated column, a required one
/// missing).
pub fn columns(
    header: &Record,
    known: &[&str],
    required: &[&str],
) -> Result<Vec<Option<usize>>, Vec<FieldError>> {
    let mut problems = Vec::new();
    let mut at = vec![None; known.len()];
    let here = format!("line {}", header.line);
    for (i, name) in header.fields.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        match known.iter().position(|k| *k == name) {
            Some(k) if at[k].is_some() => {
                problems.push(FieldError::new(
                    &here,
                    format!("the column {name:?} is there twice"),
                ));
            }
            Some(k) => at[k] = Some(i),
            None => problems.push(FieldError::new(
                &here,
                format!(
                    "{name:?} is not a column: the first line names the columns, of {}",
                    known.join(", ")
                ),
            )),
        }
    }
    for name in required {
        if let Some(k) = known.iter().position(|k| k == name)
            && at[k].is_none()
        {
            problems.push(FieldError::new(
                &here,
                format!("the column {name:?} is missing: the first line names the columns"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(at)
    } else {
        Err(problems)
    }
}

/// A record's value in a column (`None` for an absent column or a short
/// record), trimmed.
pub fn cell(record: &Record, column: Option<usize>) -> Option<&str> {
    column.and_then(|i| record.fields.get(i)).map(|s| s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_line_numbers() {
        let text = "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",z\nlast,";
        let records = read(text).expect("parses");
        let shown: Vec<(usize, Vec<&str>)> = records
            .iter()
            .map(|r| (r.line, r.fields.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (1, vec!["a", "b"]),
                (2, vec!["x, y", "say \"hi\""]),
                (4, vec!["two\nlines", "z"]),
                (6, vec!["last", ""]),
            ]
        );
        assert_eq!(read("a,\"b\nc").expect_err("an error").field, "line 1");
    }

    #[test]
    fn written_records_read_back() {
        let mut out = String::new();
        write_record(&mut out, &["plain", "with, comma", "\"q\"", " pad", "新"]);
        assert_eq!(
            read(&out).expect("parses")[0].fields,
            ["plain", "with, comma", "\"q\"", " pad", "新"]
        );
    }

    #[test]
    fn a_mark_is_dropped_and_other_encodings_named() {
        assert_eq!(decode(b"\xEF\xBB\xBFcode").expect("parses"), "code");
        assert!(
            decode(b"PK\x03\x04rest")
                .expect_err("a workbook")
                .contains("CSV UTF-8")
        );
        assert!(
            decode(b"a\nb\n\xB4\xF3")
                .expect_err("an error")
                .starts_with("line 3:")
        );
    }
}
