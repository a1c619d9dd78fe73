//! Reading an archive line by line, hashing as it goes, so a file cut
//! short, changed or damaged is noticed before anything is committed.

use super::format::{Header, Line};
use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Read};
use std::path::Path;

/// No line of an archive Minsheng writes comes near this (the largest is a
/// plugin's component in base64).
const MAX_LINE: u64 = 256 << 20;

pub struct Reader {
    file: std::io::BufReader<std::fs::File>,
    hash: Sha256,
    /// The number of the line last read (the header is line 1).
    pub line: u64,
    buf: Vec<u8>,
}

impl Reader {
    /// Open the archive and read its header.
    pub fn open(path: &Path, known_migrations: &[String]) -> anyhow::Result<(Self, Header)> {
        if path.is_dir() {
            bail!(
                "{} is a folder: `tenant import` reads the one file `tenant export --with-cases` \
                 writes (a bundle folder is loaded with `tenant apply`)",
                path.display()
            );
        }
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut reader = Self {
            file: std::io::BufReader::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            line: 0,
            buf: Vec::new(),
        };
        if !reader.read_line()? {
            bail!("{} is empty", path.display());
        }
        let text = std::str::from_utf8(&reader.buf).unwrap_or_default();
        let header = Header::parse(text, known_migrations)?;
        reader.hash.update(&reader.buf);
        Ok((reader, header))
    }

    /// Read the whole archive once without loading it: it must be complete
    /// and unchanged, so a damaged file is refused before anything is
    /// written. Returns the number of rows.
    pub fn verify(path: &Path, known_migrations: &[String]) -> anyhow::Result<u64> {
        let (mut reader, _) = Self::open(path, known_migrations)?;
        let mut rows = 0u64;
        loop {
            if !reader.read_line()? {
                bail!(
                    "the archive ends after line {} without its end record: it is truncated \
                     (copy it again, or export again)",
                    reader.line
                );
            }
            if !reader.buf.ends_with(b"\n") {
                bail!(
                    "the archive ends in the middle of line {}: it is truncated (copy it again, \
                     or export again)",
                    reader.line
                );
            }
            if reader.buf.starts_with(b"{\"end\":") {
                break;
            }
            reader.hash.update(&reader.buf);
            rows += 1;
        }
        let end = match Line::parse(std::str::from_utf8(&reader.buf).unwrap_or_default()) {
            Ok(Line::End(end)) => end,
            _ => return Err(reader.damaged(reader.line, "its end record is malformed")),
        };
        if reader.read_line()? {
            bail!(
                "the archive goes on after its end record (line {}): the file is damaged",
                reader.line
            );
        }
        if end.rows != rows || end.sha256 != reader.digest() {
            bail!(
                "the archive's checksum does not match its contents: the file was changed or \
                 damaged after it was written"
            );
        }
        Ok(rows)
    }

    /// The next line after the header, or none at the end of the file.
    pub fn next_line(&mut self) -> anyhow::Result<Option<Line>> {
        if !self.read_line()? {
            return Ok(None);
        }
        let line = self.line;
        let complete = self.buf.ends_with(b"\n");
        let text = std::str::from_utf8(&self.buf)
            .map_err(|_| self.damaged(line, "it is not UTF-8 text"))?;
        let parsed = Line::parse(text).map_err(|e| {
            if complete {
                self.damaged(line, &e.to_string())
            } else {
                anyhow::anyhow!(
                    "the archive ends in the middle of line {line}: it is truncated (copy it \
                     again, or export again)"
                )
            }
        })?;
        if !matches!(parsed, Line::End(_)) {
            self.hash.update(&self.buf);
        }
        Ok(Some(parsed))
    }

    /// Hex SHA-256 of every line read so far except an end line.
    pub fn digest(&self) -> String {
        super::write::hex(&self.hash.clone().finalize())
    }

    /// Size of the last line read, in bytes.
    pub fn last_len(&self) -> usize {
        self.buf.len()
    }

    fn damaged(&self, line: u64, why: &str) -> anyhow::Error {
        anyhow::anyhow!("line {line} of the archive cannot be read ({why}): the file is damaged")
    }

    fn read_line(&mut self) -> anyhow::Result<bool> {
        self.buf.clear();
        let read = (&mut self.file)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.buf)
            .context("cannot read the archive")?;
        if read == 0 {
            return Ok(false);
        }
        self.line += 1;
        if self.buf.len() as u64 > MAX_LINE {
            bail!(
                "line {} of the archive is longer than {} MiB: this is not an archive Minsheng wrote",
                self.line,
                MAX_LINE >> 20
            );
        }
        Ok(true)
    }
}
