//! Writing a city's archive: one consistent snapshot of the database,
//! read a page at a time so memory stays flat, written to a private file
//! that gets its final name only once complete.

use super::format::{self, End, EndLine, Header, RowLine};
use super::tables;
use anyhow::{Context, bail};
use chrono::Utc;
use minsheng_store::entity::tenant;
use minsheng_store::{Scope, Store};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rows read per query.
const PAGE: u64 = 1_000;

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct Exported {
    pub path: PathBuf,
    pub tenant_id: uuid::Uuid,
    pub rows: u64,
    pub bytes: u64,
}

/// The default file name: the city and the time, so a new backup never
/// replaces an older one.
pub fn default_path(slug: &str) -> PathBuf {
    PathBuf::from(format!(
        "{slug}-{}.minsheng-archive",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    ))
}

/// Write the archive of the city `slug` to `path`, which must not exist.
/// `progress(table, written, total)` is called as rows are written.
pub async fn export(
    store: &Store,
    slug: &str,
    path: &Path,
    mut progress: impl FnMut(&str, u64, u64),
) -> anyhow::Result<Exported> {
    if path.exists() {
        bail!(
            "{} already exists; give another file with --out, or move it away first",
            path.display()
        );
    }
    let tx = store
        .snapshot(Scope::Platform)
        .await
        .context("cannot read the database")?;
    let Some(city) = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(&tx)
        .await?
    else {
        bail!("there is no city {slug:?} here (`minsheng tenant list` shows the cities)");
    };
    let tables = tables::all();
    tables::check_schema(&tx, &tables).await?;
    let mut counts = BTreeMap::new();
    for table in &tables {
        counts.insert(table.name().to_owned(), table.count(&tx, city.id).await?);
    }
    let header = Header {
        format: format::FORMAT.to_owned(),
        version: format::VERSION,
        minsheng: env!("CARGO_PKG_VERSION").to_owned(),
        migrations: Store::applied_migrations(&tx).await?,
        exported_at: Utc::now(),
        tenant: city.slug.clone(),
        tenant_id: city.id,
        counts: counts.clone(),
        tables: tables.iter().map(|t| t.name().to_owned()).collect(),
        omitted: format::OMITTED
            .iter()
            .map(|(t, _)| (*t).to_owned())
            .collect(),
    };

    let partial = partial_path(path);
    let mut out = Out::create(&partial)?;
    let written = async {
        out.line(&header)?;
        for table in &tables {
            let total = counts.get(table.name()).copied().unwrap_or(0);
            let mut done = 0;
            let mut after = None;
            progress(table.name(), 0, total);
            loop {
                let page = table.page(&tx, city.id, after, PAGE).await?;
                for row in &page.rows {
                    out.line(&RowLine {
                        table: table.name(),
                        row,
                    })?;
                }
                done += page.rows.len() as u64;
                progress(table.name(), done, total);
                match page.after {
                    Some(next) if done < total => after = Some(next),
                    _ => break,
                }
            }
            if done != total {
                bail!(
                    "{} had {total} rows but {done} were read; nothing was written",
                    table.name()
                );
            }
        }
        out.finish()
    }
    .await;
    let _ = tx.rollback().await;
    let (rows, bytes) = match written {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))?;
    Ok(Exported {
        path: path.to_owned(),
        tenant_id: city.id,
        rows,
        bytes,
    })
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// The file being written, hashing every byte.
struct Out {
    file: std::io::BufWriter<std::fs::File>,
    hash: Sha256,
    rows: u64,
    bytes: u64,
}

impl Out {
    /// A new file only its owner may read: the archive holds personal data
    /// and secrets.
    fn create(path: &Path) -> anyhow::Result<Self> {
        let _ = std::fs::remove_file(path);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            rows: 0,
            bytes: 0,
        })
    }

    /// The header and the rows: counted and hashed.
    fn line(&mut self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        let mut text = serde_json::to_vec(value)?;
        text.push(b'\n');
        self.hash.update(&text);
        self.file
            .write_all(&text)
            .context("cannot write the archive")?;
        self.rows += 1;
        self.bytes += text.len() as u64;
        Ok(())
    }

    /// Write the end line and make the file durable; the rows (without the
    /// header) and the bytes written.
    fn finish(&mut self) -> anyhow::Result<(u64, u64)> {
        let rows = self.rows.saturating_sub(1);
        let end = End {
            rows,
            sha256: hex(&self.hash.clone().finalize()),
        };
        let mut text = serde_json::to_vec(&EndLine { end: &end })?;
        text.push(b'\n');
        self.file
            .write_all(&text)
            .context("cannot write the archive")?;
        self.file.flush().context("cannot write the archive")?;
        self.file
            .get_ref()
            .sync_all()
            .context("cannot write the archive")?;
        Ok((rows, self.bytes + text.len() as u64))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
