//! The tables an archive holds, in the order it holds them, and how one
//! table's rows become JSON and back. One generic implementation over the
//! sea-orm entities writes every column a model has; [`check_schema`]
//! makes sure the models have every column and table the database has, so
//! nothing a migration adds can be silently left behind.

use anyhow::{Context, bail};
use async_trait::async_trait;
use minsheng_store::entity::{
    answer_template, api_key, audit_event, bulletin, calendar_day, campaign, campaign_cluster,
    campaign_group, campaign_milestone, campaign_project, campaign_project_source,
    campaign_suggestion, case, case_department, case_event, case_idempotency, case_not_duplicate,
    case_stat, category, department, due_work, escalation, outbox, plugin, role, tenant,
    tenant_host, tenant_logo, tenant_quota, user, user_department, user_role, webhook,
};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, IdenStatic,
    IntoActiveModel, Iterable, ModelTrait, PaginatorTrait, PrimaryKeyToColumn, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// Rows read for the archive, and where the next page starts.
pub struct Page {
    pub rows: Vec<serde_json::Value>,
    /// The primary key of the last row, when more may follow.
    pub after: Option<Vec<Value>>,
}

/// One table of a city, as the archive sees it.
#[async_trait]
pub trait Table: Send + Sync {
    fn name(&self) -> &'static str;
    fn columns(&self) -> Vec<&'static str>;
    /// How many rows the city has.
    async fn count(&self, db: &DatabaseTransaction, tenant: Uuid) -> Result<u64, sea_orm::DbErr>;
    /// Up to `limit` of the city's rows after `after`, in key order (or,
    /// for a table read whole, all of them in the order they insert).
    async fn page(
        &self,
        db: &DatabaseTransaction,
        tenant: Uuid,
        after: Option<Vec<Value>>,
        limit: u64,
    ) -> anyhow::Result<Page>;
    /// Somewhere to gather rows to insert into the city `tenant`.
    fn batch(&self, tenant: Uuid) -> Box<dyn Batch + '_>;
}

/// Rows of one table waiting to be inserted together.
#[async_trait]
pub trait Batch: Send {
    /// Read one row; refuse it unless it belongs to the batch's city.
    fn push(&mut self, row: serde_json::Value, bytes: usize) -> anyhow::Result<()>;
    fn is_full(&self) -> bool;
    /// Insert what was gathered, first making sure none of its unique
    /// values (ids, a slug, host names, key prefixes) exists here.
    async fn flush(&mut self, db: &DatabaseTransaction) -> anyhow::Result<()>;
}

/// Every table of a city in the archive, parents before children. The
/// second list names the columns unique across the deployment; keys that
/// start with the city need none, as the city is new where an archive
/// goes.
pub fn all() -> Vec<Box<dyn Table>> {
    vec![
        of::<tenant::Entity>(
            tenant::Column::Id,
            vec![tenant::Column::Id, tenant::Column::Slug],
        ),
        of::<tenant_host::Entity>(
            tenant_host::Column::TenantId,
            vec![tenant_host::Column::Id, tenant_host::Column::Host],
        ),
        of::<tenant_quota::Entity>(tenant_quota::Column::TenantId, vec![]),
        of::<tenant_logo::Entity>(tenant_logo::Column::TenantId, vec![]),
        Box::new(
            Of::<department::Entity>::new(
                department::Column::TenantId,
                vec![department::Column::Id],
            )
            .read_whole(parents_first),
        ),
        of::<category::Entity>(category::Column::TenantId, vec![category::Column::Id]),
        of::<calendar_day::Entity>(
            calendar_day::Column::TenantId,
            vec![calendar_day::Column::Id],
        ),
        of::<role::Entity>(role::Column::TenantId, vec![role::Column::Id]),
        of::<user::Entity>(user::Column::TenantId, vec![user::Column::Id]),
        of::<user_role::Entity>(user_role::Column::TenantId, vec![]),
        of::<user_department::Entity>(user_department::Column::TenantId, vec![]),
        of::<api_key::Entity>(
            api_key::Column::TenantId,
            vec![api_key::Column::Id, api_key::Column::Prefix],
        ),
        of::<webhook::Entity>(webhook::Column::TenantId, vec![webhook::Column::Id]),
        of::<plugin::Entity>(plugin::Column::TenantId, vec![plugin::Column::Id]),
        of::<case::Entity>(case::Column::TenantId, vec![case::Column::Id]),
        of::<case_department::Entity>(case_department::Column::TenantId, vec![]),
        of::<case_not_duplicate::Entity>(case_not_duplicate::Column::TenantId, vec![]),
        of::<campaign::Entity>(campaign::Column::TenantId, vec![campaign::Column::Id]),
        of::<campaign_group::Entity>(
            campaign_group::Column::TenantId,
            vec![campaign_group::Column::Id],
        ),
        of::<campaign_cluster::Entity>(
            campaign_cluster::Column::TenantId,
            vec![campaign_cluster::Column::Id],
        ),
        of::<campaign_suggestion::Entity>(
            campaign_suggestion::Column::TenantId,
            vec![campaign_suggestion::Column::CaseId],
        ),
        of::<campaign_project::Entity>(
            campaign_project::Column::TenantId,
            vec![campaign_project::Column::Id],
        ),
        of::<campaign_milestone::Entity>(
            campaign_milestone::Column::TenantId,
            vec![campaign_milestone::Column::Id],
        ),
        of::<campaign_project_source::Entity>(
            campaign_project_source::Column::TenantId,
            vec![campaign_project_source::Column::Id],
        ),
        of::<answer_template::Entity>(
            answer_template::Column::TenantId,
            vec![answer_template::Column::Id],
        ),
        of::<case_event::Entity>(case_event::Column::TenantId, vec![case_event::Column::Id]),
        of::<case_idempotency::Entity>(case_idempotency::Column::TenantId, vec![]),
        of::<case_stat::Entity>(case_stat::Column::TenantId, vec![]),
        of::<bulletin::Entity>(bulletin::Column::TenantId, vec![bulletin::Column::Id]),
        of::<due_work::Entity>(due_work::Column::TenantId, vec![due_work::Column::Id]),
        of::<escalation::Entity>(escalation::Column::TenantId, vec![escalation::Column::Id]),
        of::<outbox::Entity>(outbox::Column::TenantId, vec![outbox::Column::Id]),
        of::<audit_event::Entity>(audit_event::Column::TenantId, vec![audit_event::Column::Id]),
    ]
}

fn of<E>(city: E::Column, unique: Vec<E::Column>) -> Box<dyn Table>
where
    Of<E>: Table + 'static,
    E: EntityTrait,
{
    Box::new(Of::<E>::new(city, unique))
}

/// Departments refer to their parent: parents first, each level in id
/// order.
fn parents_first(rows: Vec<department::Model>) -> anyhow::Result<Vec<department::Model>> {
    let mut placed: BTreeSet<Uuid> = BTreeSet::new();
    let mut waiting = rows;
    let mut ordered = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let (ready, rest): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .partition(|d| d.parent_id.is_none_or(|p| placed.contains(&p)));
        if ready.is_empty() {
            bail!(
                "the departments' parents form a loop or name a department of no city: {}",
                rest.iter()
                    .map(|d| d.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        placed.extend(ready.iter().map(|d| d.id));
        ordered.extend(ready);
        waiting = rest;
    }
    Ok(ordered)
}

type Arrange<M> = fn(Vec<M>) -> anyhow::Result<Vec<M>>;

/// [`Table`] for the entity `E`.
struct Of<E: EntityTrait> {
    /// The column naming the city (the id itself for `tenants`).
    city: E::Column,
    /// Columns unique across the deployment, checked before inserting.
    unique: Vec<E::Column>,
    /// Read the table whole and put its rows in this order.
    arrange: Option<Arrange<E::Model>>,
}

impl<E: EntityTrait> Of<E> {
    fn new(city: E::Column, unique: Vec<E::Column>) -> Self {
        Self {
            city,
            unique,
            arrange: None,
        }
    }

    fn read_whole(mut self, arrange: Arrange<E::Model>) -> Self {
        self.arrange = Some(arrange);
        self
    }

    /// The primary key without the city column: the city is fixed.
    fn key(&self) -> Vec<E::Column> {
        E::PrimaryKey::iter()
            .map(PrimaryKeyToColumn::into_column)
            .filter(|c| c.as_str() != self.city.as_str())
            .collect()
    }

    fn name() -> &'static str {
        E::default().table_name()
    }
}

/// Rows whose key comes after `after`, for keys of any width:
/// `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR …`.
fn after_key<C: ColumnTrait>(key: &[C], after: &[Value]) -> Condition {
    let mut any = Condition::any();
    for n in 1..=key.len().min(after.len()) {
        let mut all = Condition::all();
        for (i, (column, value)) in key.iter().zip(after).take(n).enumerate() {
            all = if i + 1 < n {
                all.add(column.eq(value.clone()))
            } else {
                all.add(column.gt(value.clone()))
            };
        }
        any = any.add(all);
    }
    any
}

fn key_text<M: ModelTrait>(model: &M, key: &[<M::Entity as EntityTrait>::Column]) -> String {
    key.iter()
        .map(|c| format!("{} {}", c.as_str(), model.get(*c)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl<E> Table for Of<E>
where
    E: EntityTrait + Sync,
    E::Model: Serialize + DeserializeOwned + PartialEq + Sync,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
    E::Column: Send + Sync,
{
    fn name(&self) -> &'static str {
        Self::name()
    }

    fn columns(&self) -> Vec<&'static str> {
        E::Column::iter().map(|c| c.as_str()).collect()
    }

    async fn count(&self, db: &DatabaseTransaction, tenant: Uuid) -> Result<u64, sea_orm::DbErr> {
        E::find().filter(self.city.eq(tenant)).count(db).await
    }

    async fn page(
        &self,
        db: &DatabaseTransaction,
        tenant: Uuid,
        after: Option<Vec<Value>>,
        limit: u64,
    ) -> anyhow::Result<Page> {
        let key = self.key();
        let mut query = E::find().filter(self.city.eq(tenant));
        for column in &key {
            query = query.order_by_asc(*column);
        }
        let (models, after) = if let Some(arrange) = self.arrange {
            (arrange(query.all(db).await?)?, None)
        } else {
            if let Some(after) = after {
                query = query.filter(after_key(&key, &after));
            }
            let models = query.limit(limit).all(db).await?;
            let more = models.len() as u64 == limit;
            let after = models
                .last()
                .filter(|_| more)
                .map(|m| key.iter().map(|c| m.get(*c)).collect());
            (models, after)
        };
        let mut rows = Vec::with_capacity(models.len());
        for model in &models {
            let row = serde_json::to_value(model).with_context(|| {
                format!("cannot write {} ({})", Self::name(), key_text(model, &key))
            })?;
            // A value JSON cannot carry (a float that is not a number, say)
            // stops the export rather than changing on the way.
            let back: Option<E::Model> = serde_json::from_value(row.clone()).ok();
            if back.as_ref() != Some(model) {
                bail!(
                    "a row of {} ({}) would not read back as it is stored; nothing was written",
                    Self::name(),
                    key_text(model, &key)
                );
            }
            rows.push(row);
        }
        Ok(Page { rows, after })
    }

    fn batch(&self, tenant: Uuid) -> Box<dyn Batch + '_> {
        // Stay well under SQLite's 32,766 bound values per statement.
        let columns = E::Column::iter().count().max(1);
        Box::new(Rows::<E> {
            table: self,
            tenant: Value::from(tenant),
            models: Vec::new(),
            bytes: 0,
            limit: (20_000 / columns).clamp(1, 1_000),
        })
    }
}

/// Flush a batch at this many bytes of JSON even when it has few rows
/// (plugin components are large).
const BATCH_BYTES: usize = 8 << 20;

struct Rows<'a, E: EntityTrait> {
    table: &'a Of<E>,
    tenant: Value,
    models: Vec<E::Model>,
    bytes: usize,
    limit: usize,
}

#[async_trait]
impl<E> Batch for Rows<'_, E>
where
    E: EntityTrait + Sync,
    E::Model: Serialize + DeserializeOwned + PartialEq + Sync,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
    E::Column: Send + Sync,
{
    fn push(&mut self, row: serde_json::Value, bytes: usize) -> anyhow::Result<()> {
        let model: E::Model = serde_json::from_value(row).with_context(|| {
            format!(
                "it is not a row of {} this build can read (an archive whose rows lack a \
                 column added since can be imported only if the column may be empty)",
                Of::<E>::name()
            )
        })?;
        if model.get(self.table.city) != self.tenant {
            bail!(
                "the row belongs to another city ({} is {}, the archive's city is {})",
                self.table.city.as_str(),
                model.get(self.table.city),
                self.tenant
            );
        }
        self.models.push(model);
        self.bytes += bytes;
        Ok(())
    }

    fn is_full(&self) -> bool {
        self.models.len() >= self.limit || self.bytes >= BATCH_BYTES
    }

    async fn flush(&mut self, db: &DatabaseTransaction) -> anyhow::Result<()> {
        if self.models.is_empty() {
            return Ok(());
        }
        for column in &self.table.unique {
            let values: Vec<Value> = self.models.iter().map(|m| m.get(*column)).collect();
            let taken = E::find()
                .filter(column.is_in(values))
                .one(db)
                .await
                .with_context(|| format!("cannot read {}", Of::<E>::name()))?;
            if let Some(taken) = taken {
                bail!(
                    "{}.{} {} already exists in this deployment",
                    Of::<E>::name(),
                    column.as_str(),
                    taken.get(*column)
                );
            }
        }
        let models = std::mem::take(&mut self.models);
        self.bytes = 0;
        E::insert_many(models.into_iter().map(IntoActiveModel::into_active_model))
            .exec_without_returning(db)
            .await
            .with_context(|| format!("the database refused rows of {}", Of::<E>::name()))?;
        Ok(())
    }
}

/// Check that the archive knows every table holding a city's rows and
/// every column of those tables, so an archive can never silently leave
/// something behind; and, where an archive goes, that every column it
/// writes exists.
pub async fn check_schema(
    db: &impl ConnectionTrait,
    tables: &[Box<dyn Table>],
) -> anyhow::Result<()> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table'"
        }
        _ => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema()"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .context("cannot read the database's tables")?;
    let mut schema: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        let table: String = row.try_get("", "t")?;
        let column: String = row.try_get("", "c")?;
        schema.entry(table).or_default().insert(column);
    }
    let known: HashMap<&str, &Box<dyn Table>> = tables.iter().map(|t| (t.name(), t)).collect();
    let omitted: Vec<&str> = super::format::OMITTED.iter().map(|(t, _)| *t).collect();
    for (table, columns) in &schema {
        let of_a_city = table == "tenants" || columns.contains("tenant_id");
        if of_a_city && !known.contains_key(table.as_str()) && !omitted.contains(&table.as_str()) {
            bail!(
                "the table {table} holds cities' rows but tenant archives do not know it: \
                 this build cannot archive a city completely (a bug; please report it)"
            );
        }
    }
    for table in tables {
        let Some(columns) = schema.get(table.name()) else {
            bail!("the database has no table {}", table.name());
        };
        let model: BTreeSet<&str> = table.columns().into_iter().collect();
        let missing: Vec<&str> = columns
            .iter()
            .map(String::as_str)
            .filter(|c| !model.contains(c))
            .collect();
        if !missing.is_empty() {
            bail!(
                "the table {} has columns tenant archives do not know: {} (a bug; please report it)",
                table.name(),
                missing.join(", ")
            );
        }
        let absent: Vec<&str> = model
            .iter()
            .copied()
            .filter(|c| !columns.contains(*c))
            .collect();
        if !absent.is_empty() {
            bail!(
                "the table {} lacks the columns {}: is the database fully migrated?",
                table.name(),
                absent.join(", ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dept(code: &str, id: u128, parent: Option<u128>) -> department::Model {
        let now = chrono::Utc::now();
        department::Model {
            id: Uuid::from_u128(id),
            tenant_id: Uuid::nil(),
            code: code.into(),
            name: code.into(),
            kind: "bureau".into(),
            parent_id: parent.map(Uuid::from_u128),
            phone: None,
            email: None,
            address: None,
            description: None,
            sort_order: 0,
            active: true,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn parents_come_first() {
        let rows = vec![
            dept("leaf", 1, Some(3)),
            dept("root", 2, None),
            dept("mid", 3, Some(2)),
        ];
        let codes: Vec<String> = parents_first(rows)
            .unwrap()
            .into_iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["root", "mid", "leaf"]);
        let looped = parents_first(vec![dept("a", 1, Some(2)), dept("b", 2, Some(1))]);
        assert!(looped.unwrap_err().to_string().contains("a, b"));
    }

    #[test]
    fn tables_are_named_once_in_order() {
        let names: Vec<&str> = all().iter().map(|t| t.name()).collect();
        assert_eq!(names[0], "tenants");
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len());
        for (omitted, _) in super::super::format::OMITTED {
            assert!(!names.contains(omitted));
        }
    }

    #[test]
    fn a_nullable_json_document_that_is_null_stays_null() {
        let now = chrono::Utc::now();
        let mut event = case_event::Model {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            case_id: Uuid::now_v7(),
            at: now,
            actor: "x".into(),
            action: "note".into(),
            from_state: None,
            to_state: None,
            department_id: None,
            public: false,
            text: None,
            detail: Some(serde_json::Value::Null),
        };
        for detail in [
            Some(serde_json::Value::Null),
            None,
            Some(serde_json::json!({"a": 1})),
        ] {
            event.detail = detail;
            let back: case_event::Model =
                serde_json::from_value(serde_json::to_value(&event).unwrap()).unwrap();
            assert_eq!(back, event);
        }
    }
}
