//! Forms with a file (`multipart/form-data`), read with a cap on the file's
//! size so an upload built to exhaust the server is cut off, not buffered.

use minsheng_domain::Error;
use poem::web::Multipart;
use tokio::io::AsyncReadExt;

/// A form's text fields, in order, and its one file.
#[derive(Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    /// The file field's bytes; empty when none was chosen.
    pub file: Vec<u8>,
}

impl Upload {
    /// The first value of a text field.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Text fields up to this size each (a CSRF token, an operation).
const MAX_TEXT: u64 = 64 << 10;

/// Fields a form with a file may have.
const MAX_FIELDS: usize = 20;

/// Read `multipart`: its text fields and the file in `file_field`, which
/// may be at most `max_file` bytes (more is a 422 on `file_field` naming
/// the limit).
pub async fn read(
    mut multipart: Multipart,
    file_field: &str,
    max_file: usize,
) -> Result<Upload, Error> {
    let broken = || {
        Error::invalid(
            file_field,
            "the upload was cut off or is not a form: send it again",
        )
    };
    let mut upload = Upload::default();
    let mut count = 0;
    while let Some(field) = multipart.next_field().await.map_err(|_| broken())? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(Error::invalid(file_field, "the form has too many fields"));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == file_field {
            max_file as u64 + 1
        } else {
            MAX_TEXT + 1
        };
        let mut bytes = Vec::new();
        field
            .into_async_read()
            .take(limit)
            .read_to_end(&mut bytes)
            .await
            .map_err(|_| broken())?;
        if name == file_field {
            if bytes.len() > max_file {
                return Err(Error::invalid(
                    file_field,
                    format!("the file is larger than {} KiB", max_file / 1024),
                ));
            }
            upload.file = bytes;
        } else {
            if bytes.len() as u64 > MAX_TEXT {
                return Err(Error::invalid(name, "too long"));
            }
            let text = String::from_utf8(bytes).map_err(|_| Error::invalid(&name, "not text"))?;
            upload.fields.push((name, text));
        }
    }
    Ok(upload)
}
