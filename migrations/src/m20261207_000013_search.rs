//! Full-text search and near-duplicates: `case_search`, one row per case
//! with the segmented tokens of its title, text and answer (words joined by
//! spaces, made by the application with jieba), its 64-bit SimHash and the
//! hash's four 16-bit bands.
//!
//! - SQLite: an FTS5 table `case_fts` with `case_search` as its external
//!   content (`unicode61` over the pre-segmented tokens: the trigram
//!   tokenizer cannot match 2-character words), kept in step by triggers;
//!   `seq` is the rowid it refers to (a case's own key is a UUID, and
//!   the implicit rowid of such a table may change on `VACUUM`).
//! - PostgreSQL: a stored `tsvector` (`simple` configuration, weights A
//!   title, B text, C answer) with a GIN index; row-level security.
//!
//! Either way each band has an index `(tenant_id, bandN)`: equality on one
//! band finds every hash within 3 bits.

use crate::columns::{required, same_tenant_fk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CaseSearch {
    Table,
    Seq,
    TenantId,
    CaseId,
    TitleTokens,
    BodyTokens,
    AnswerTokens,
    Simhash,
    Band0,
    Band1,
    Band2,
    Band3,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

const BANDS: [CaseSearch; 4] = [
    CaseSearch::Band0,
    CaseSearch::Band1,
    CaseSearch::Band2,
    CaseSearch::Band3,
];

const SQLITE_FTS: &str = "
CREATE VIRTUAL TABLE case_fts USING fts5(
  title_tokens, body_tokens, answer_tokens,
  content = 'case_search', content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER case_search_ai AFTER INSERT ON case_search BEGIN
  INSERT INTO case_fts (rowid, title_tokens, body_tokens, answer_tokens)
  VALUES (new.seq, new.title_tokens, new.body_tokens, new.answer_tokens);
END;
CREATE TRIGGER case_search_ad AFTER DELETE ON case_search BEGIN
  INSERT INTO case_fts (case_fts, rowid, title_tokens, body_tokens, answer_tokens)
  VALUES ('delete', old.seq, old.title_tokens, old.body_tokens, old.answer_tokens);
END;
CREATE TRIGGER case_search_au AFTER UPDATE OF title_tokens, body_tokens, answer_tokens ON case_search BEGIN
  INSERT INTO case_fts (case_fts, rowid, title_tokens, body_tokens, answer_tokens)
  VALUES ('delete', old.seq, old.title_tokens, old.body_tokens, old.answer_tokens);
  INSERT INTO case_fts (rowid, title_tokens, body_tokens, answer_tokens)
  VALUES (new.seq, new.title_tokens, new.body_tokens, new.answer_tokens);
END;
";

const POSTGRES_DOCUMENT: &str = "
ALTER TABLE case_search ADD COLUMN document tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple'::regconfig, title_tokens), 'A') ||
  setweight(to_tsvector('simple'::regconfig, body_tokens), 'B') ||
  setweight(to_tsvector('simple'::regconfig, answer_tokens), 'C')
) STORED;
CREATE INDEX ix_case_search_document ON case_search USING GIN (document);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = Table::create().table(CaseSearch::Table).to_owned();
        if backend == DbBackend::Sqlite {
            table.col(
                ColumnDef::new(CaseSearch::Seq)
                    .integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            );
        }
        table
            .col(required(CaseSearch::TenantId).uuid())
            .col(required(CaseSearch::CaseId).uuid())
            .col(required(CaseSearch::TitleTokens).text())
            .col(required(CaseSearch::BodyTokens).text())
            .col(required(CaseSearch::AnswerTokens).text())
            .col(required(CaseSearch::Simhash).big_integer());
        for band in BANDS {
            table.col(required(band).integer());
        }
        if backend == DbBackend::Postgres {
            table.primary_key(
                Index::create()
                    .col(CaseSearch::TenantId)
                    .col(CaseSearch::CaseId),
            );
        }
        table.foreign_key(&mut same_tenant_fk(
            "fk_case_search_case",
            (CaseSearch::Table, CaseSearch::CaseId),
            (Cases::Table, Cases::Id),
            ForeignKeyAction::Cascade,
        ));
        manager.create_table(table).await?;
        if backend == DbBackend::Sqlite {
            manager
                .create_index(
                    Index::create()
                        .name("uq_case_search_case")
                        .table(CaseSearch::Table)
                        .col(CaseSearch::TenantId)
                        .col(CaseSearch::CaseId)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        for (i, band) in BANDS.into_iter().enumerate() {
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_case_search_band{i}"))
                        .table(CaseSearch::Table)
                        .col(CaseSearch::TenantId)
                        .col(band)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        match backend {
            DbBackend::Sqlite => {
                db.execute_unprepared(SQLITE_FTS).await?;
            }
            _ => {
                db.execute_unprepared(POSTGRES_DOCUMENT).await?;
                db.execute_unprepared(&super::m20261128_000003_row_level_security::enable_sql(
                    "case_search",
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS case_fts;")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(CaseSearch::Table).to_owned())
            .await
    }
}
