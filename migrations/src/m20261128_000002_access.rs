//! Accounts, sessions, API keys, roles and their assignments, login
//! throttling, the audit log, and the policy version that tells every
//! replica to reload its authorization policy.

use crate::columns::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Kind,
    Username,
    DisplayName,
    Email,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserDepartments {
    Table,
    TenantId,
    UserId,
    DepartmentId,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Builtin,
    Permissions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    TenantId,
    UserId,
    RoleCode,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    TenantId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    Name,
    Prefix,
    SecretHash,
    Scopes,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    LockedUntil,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    TenantId,
    At,
    Actor,
    Action,
    Target,
    Outcome,
    ClientIp,
}

#[derive(DeriveIden)]
enum PolicyVersion {
    Table,
    Id,
    Version,
}

fn fk(
    name: &str,
    from: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
    to_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(from)
        .from_col(col)
        .to_tbl(to)
        .to_col(to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Platform operators have no tenant; everyone else belongs to one.
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid_pk(Users::Id))
                    .col(optional(Users::TenantId).uuid())
                    .col(required(Users::Kind).string_len(16))
                    .col(required(Users::Username).string_len(64))
                    .col(required(Users::DisplayName).string_len(200))
                    .col(optional(Users::Email).string_len(200))
                    .col(required(Users::PasswordHash).string_len(200))
                    .col(required(Users::Active).boolean())
                    .col(required(Users::CreatedAt).timestamp_with_time_zone())
                    .col(required(Users::UpdatedAt).timestamp_with_time_zone())
                    .index(
                        Index::create()
                            .name("uq_users_tenant_id")
                            .col(Users::TenantId)
                            .col(Users::Id)
                            .unique(),
                    )
                    .foreign_key(&mut fk(
                        "fk_users_tenant",
                        Users::Table,
                        Users::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // NULL tenant ids are distinct in a unique index on both backends, so
        // operators get their own index.
        manager
            .create_index(
                Index::create()
                    .name("uq_users_tenant_username")
                    .table(Users::Table)
                    .col(Users::TenantId)
                    .col(Users::Username)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_users_operator_username ON users (username) \
                 WHERE tenant_id IS NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserDepartments::Table)
                    .col(required(UserDepartments::TenantId).uuid())
                    .col(required(UserDepartments::UserId).uuid())
                    .col(required(UserDepartments::DepartmentId).uuid())
                    .primary_key(
                        Index::create()
                            .col(UserDepartments::TenantId)
                            .col(UserDepartments::UserId)
                            .col(UserDepartments::DepartmentId),
                    )
                    .foreign_key(&mut same_tenant_fk(
                        "fk_user_departments_user",
                        (UserDepartments::Table, UserDepartments::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_user_departments_department",
                        (UserDepartments::Table, UserDepartments::DepartmentId),
                        (Departments::Table, Departments::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(uuid_pk(Roles::Id))
                    .col(required(Roles::TenantId).uuid())
                    .col(required(Roles::Code).string_len(64))
                    .col(required(Roles::Name).string_len(200))
                    .col(required(Roles::Builtin).boolean())
                    .col(required(Roles::Permissions).json_binary())
                    .col(required(Roles::CreatedAt).timestamp_with_time_zone())
                    .col(required(Roles::UpdatedAt).timestamp_with_time_zone())
                    .index(
                        Index::create()
                            .name("uq_roles_tenant_code")
                            .col(Roles::TenantId)
                            .col(Roles::Code)
                            .unique(),
                    )
                    .foreign_key(&mut fk(
                        "fk_roles_tenant",
                        Roles::Table,
                        Roles::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserRoles::Table)
                    .col(required(UserRoles::TenantId).uuid())
                    .col(required(UserRoles::UserId).uuid())
                    .col(required(UserRoles::RoleCode).string_len(64))
                    .primary_key(
                        Index::create()
                            .col(UserRoles::TenantId)
                            .col(UserRoles::UserId)
                            .col(UserRoles::RoleCode),
                    )
                    .foreign_key(&mut same_tenant_fk(
                        "fk_user_roles_user",
                        (UserRoles::Table, UserRoles::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut same_tenant_fk(
                        "fk_user_roles_role",
                        (UserRoles::Table, UserRoles::RoleCode),
                        (Roles::Table, Roles::Code),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        // The id is the SHA-256 of the cookie's token: a database leak does
        // not hand out live sessions.
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(
                        ColumnDef::new(Sessions::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(required(Sessions::UserId).uuid())
                    .col(optional(Sessions::TenantId).uuid())
                    .col(required(Sessions::CsrfToken).string_len(64))
                    .col(required(Sessions::CreatedAt).timestamp_with_time_zone())
                    .col(required(Sessions::LastSeenAt).timestamp_with_time_zone())
                    .col(required(Sessions::ExpiresAt).timestamp_with_time_zone())
                    .foreign_key(&mut fk(
                        "fk_sessions_user",
                        Sessions::Table,
                        Sessions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(uuid_pk(ApiKeys::Id))
                    .col(required(ApiKeys::TenantId).uuid())
                    .col(required(ApiKeys::Name).string_len(100))
                    .col(required(ApiKeys::Prefix).string_len(32).unique_key())
                    .col(required(ApiKeys::SecretHash).string_len(64))
                    .col(required(ApiKeys::Scopes).json_binary())
                    .col(required(ApiKeys::CreatedAt).timestamp_with_time_zone())
                    .col(optional(ApiKeys::LastUsedAt).timestamp_with_time_zone())
                    .col(optional(ApiKeys::RevokedAt).timestamp_with_time_zone())
                    .index(
                        Index::create()
                            .name("uq_api_keys_tenant_name")
                            .col(ApiKeys::TenantId)
                            .col(ApiKeys::Name)
                            .unique(),
                    )
                    .foreign_key(&mut fk(
                        "fk_api_keys_tenant",
                        ApiKeys::Table,
                        ApiKeys::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(
                        ColumnDef::new(LoginThrottle::Key)
                            .string_len(300)
                            .not_null()
                            .primary_key(),
                    )
                    .col(required(LoginThrottle::Failures).integer())
                    .col(optional(LoginThrottle::LockedUntil).timestamp_with_time_zone())
                    .col(required(LoginThrottle::UpdatedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(uuid_pk(AuditEvents::Id))
                    .col(optional(AuditEvents::TenantId).uuid())
                    .col(required(AuditEvents::At).timestamp_with_time_zone())
                    .col(required(AuditEvents::Actor).string_len(200))
                    .col(required(AuditEvents::Action).string_len(64))
                    .col(required(AuditEvents::Target).string_len(300))
                    .col(required(AuditEvents::Outcome).string_len(16))
                    .col(optional(AuditEvents::ClientIp).string_len(64))
                    .foreign_key(&mut fk(
                        "fk_audit_events_tenant",
                        AuditEvents::Table,
                        AuditEvents::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_tenant_at")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::TenantId)
                    .col(AuditEvents::At)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyVersion::Table)
                    .col(
                        ColumnDef::new(PolicyVersion::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(required(PolicyVersion::Version).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO policy_version (id, version) VALUES (1, 1)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PolicyVersion::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Sessions::Table.into_iden(),
            UserRoles::Table.into_iden(),
            Roles::Table.into_iden(),
            UserDepartments::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
