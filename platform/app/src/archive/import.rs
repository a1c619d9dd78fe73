//! Loading an archive into this deployment: all of it in one transaction,
//! or nothing. A city, id, host name or key prefix that already exists
//! here stops the import; so does a file that is damaged, cut short, from
//! a newer Minsheng, or whose rows name another city.

use super::format::{Header, Line};
use super::read::Reader;
use super::tables::{self, Batch, Table};
use anyhow::{Context, bail};
use minsheng_store::entity::tenant;
use minsheng_store::queries::access as q;
use minsheng_store::{DatabaseTransaction, Scope, Store};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::path::Path;

/// What an import loaded.
#[derive(Clone, Debug)]
pub struct Imported {
    pub header: Header,
    pub rows: u64,
    pub counts: BTreeMap<String, u64>,
}

/// Load the archive at `path`; with `dry_run` everything is checked and
/// inserted, then rolled back. `progress(table, loaded, total)` is called
/// as rows are inserted.
pub async fn import(
    store: &Store,
    path: &Path,
    dry_run: bool,
    mut progress: impl FnMut(&str, u64, u64),
) -> anyhow::Result<Imported> {
    import_all(store, path, dry_run, &mut progress)
        .await
        .with_context(|| format!("cannot import {}; nothing was imported", path.display()))
}

async fn import_all(
    store: &Store,
    path: &Path,
    dry_run: bool,
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<Imported> {
    let known = Store::known_migrations();
    Reader::verify(path, &known)?;
    // Hashed again while loading, in case the file changes in between.
    let (mut reader, header) = Reader::open(path, &known)?;
    let tx = store
        .begin(Scope::Platform)
        .await
        .context("cannot write to the database")?;
    match load(&tx, &mut reader, &header, progress).await {
        Ok(imported) => {
            if dry_run {
                tx.rollback().await?;
            } else {
                tx.commit()
                    .await
                    .context("the database refused to commit the import")?;
                // The search index is not in archives: made from the cases.
                crate::services::search::backfill(store, None, |_, _| {})
                    .await
                    .context("the import is in, but its cases could not be indexed for search (run `minsheng search backfill`)")?;
            }
            Ok(imported)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn load(
    tx: &DatabaseTransaction,
    reader: &mut Reader,
    header: &Header,
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<Imported> {
    let tables = tables::all();
    tables::check_schema(tx, &tables).await?;
    refuse_existing_city(tx, header).await?;
    for name in header.counts.keys() {
        if !tables.iter().any(|t| t.name() == name) {
            bail!(
                "the archive holds a table this Minsheng does not know ({name}); import it with \
                 Minsheng {} or newer",
                header.minsheng
            );
        }
    }

    let mut loading = Loading {
        header,
        tables: &tables,
        at: 0,
        batch: None,
        done: 0,
        counts: BTreeMap::new(),
    };
    let mut rows = 0u64;
    let end = loop {
        let Some(line) = reader.next_line()? else {
            bail!(
                "the archive ends after line {} without its end record: it is truncated (copy \
                 it again, or export again)",
                reader.line
            );
        };
        match line {
            Line::End(end) => break end,
            Line::Row { table, row } => {
                let at = reader.line;
                loading
                    .push(tx, &table, row, reader.last_len(), progress)
                    .await
                    .with_context(|| format!("line {at} of the archive ({table})"))?;
                rows += 1;
            }
        }
    };
    loading.finish_table(tx, progress).await?;
    if reader.next_line()?.is_some() {
        bail!(
            "the archive goes on after its end record (line {}): the file is damaged",
            reader.line
        );
    }
    if end.rows != rows || end.sha256 != reader.digest() {
        bail!(
            "the archive's checksum does not match its contents: the file was changed or damaged \
             after it was written"
        );
    }
    for (name, expected) in &header.counts {
        let loaded = loading.counts.get(name).copied().unwrap_or(0);
        if loaded != *expected {
            bail!("the archive's header promises {expected} rows of {name} but it holds {loaded}");
        }
    }
    if !matches!(loading.counts.get("tenants"), Some(1)) {
        bail!("the archive holds no city");
    }
    // Running servers reload roles and grants when this moves.
    q::bump_policy_version(tx).await?;
    Ok(Imported {
        header: header.clone(),
        rows,
        counts: loading.counts,
    })
}

/// The archive's city must be new here: by slug and by id.
async fn refuse_existing_city(tx: &DatabaseTransaction, header: &Header) -> anyhow::Result<()> {
    let found = tenant::Entity::find()
        .filter(
            Condition::any()
                .add(tenant::Column::Slug.eq(&header.tenant))
                .add(tenant::Column::Id.eq(header.tenant_id)),
        )
        .one(tx)
        .await?;
    match found {
        Some(city) if city.slug == header.tenant => bail!(
            "the city {} already exists in this deployment. An archive brings a city into a \
             deployment that does not have it: import it into another deployment (or a fresh \
             one), or restore a whole deployment from a database backup instead",
            header.tenant
        ),
        Some(city) => bail!(
            "the archive's city {} (id {}) already exists in this deployment under the name {}",
            header.tenant,
            header.tenant_id,
            city.slug
        ),
        None => Ok(()),
    }
}

/// Where the import has got to.
struct Loading<'a> {
    header: &'a Header,
    tables: &'a [Box<dyn Table>],
    /// Index of the table being loaded.
    at: usize,
    batch: Option<Box<dyn Batch + 'a>>,
    /// Rows of the current table inserted or waiting.
    done: u64,
    counts: BTreeMap<String, u64>,
}

impl<'a> Loading<'a> {
    async fn push(
        &mut self,
        tx: &DatabaseTransaction,
        table: &str,
        row: serde_json::Value,
        bytes: usize,
        progress: &mut impl FnMut(&str, u64, u64),
    ) -> anyhow::Result<()> {
        let Some(index) = self.tables.iter().position(|t| t.name() == table) else {
            bail!("the table {table} is unknown to this Minsheng");
        };
        if index < self.at {
            bail!("rows of {table} come out of order: this is not an archive Minsheng wrote");
        }
        if index != self.at || self.batch.is_none() {
            self.finish_table(tx, progress).await?;
            self.at = index;
            self.done = 0;
            self.batch = Some(self.tables[index].batch(self.header.tenant_id));
            self.counts.insert(table.to_owned(), 0);
        }
        let total = self.total(table);
        let Some(batch) = self.batch.as_mut() else {
            bail!("no table is being loaded");
        };
        if self.done >= total {
            bail!("there are more rows of {table} than the header's {total}");
        }
        batch.push(row, bytes)?;
        self.done += 1;
        if batch.is_full() {
            batch.flush(tx).await?;
            progress(table, self.done, total);
        }
        Ok(())
    }

    /// Insert what is left of the current table.
    async fn finish_table(
        &mut self,
        tx: &DatabaseTransaction,
        progress: &mut impl FnMut(&str, u64, u64),
    ) -> anyhow::Result<()> {
        let Some(mut batch) = self.batch.take() else {
            return Ok(());
        };
        let name = self.tables[self.at].name();
        batch
            .flush(tx)
            .await
            .with_context(|| format!("the last rows of {name}"))?;
        progress(name, self.done, self.total(name));
        self.counts.insert(name.to_owned(), self.done);
        Ok(())
    }

    fn total(&self, table: &str) -> u64 {
        self.header.counts.get(table).copied().unwrap_or(0)
    }
}
