//! Organizations (the public directory) and industries.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use junkan_model::access::RecordKind;
use junkan_model::audit::AuditAction;
use junkan_model::ids::OrganizationId;
use junkan_model::industry::Industry;
use junkan_model::organization::{CycleRole, NewOrganization, Organization, OrganizationFilter, OrganizationPatch};
use junkan_model::page::{Page, PageRequest};
use junkan_model::principal::{Actor, Role};
use junkan_model::Violation;
use junkan_store::{StoreError, StoreResult};

use crate::access::{record, require};
use crate::rows::{enum_value, opt_text, parsed, text, time, write_error, Param, Sql};
use crate::{micros, unavailable, SqlStore};

const CONFLICTS: [(&str, &str, &str); 3] = [
    (
        "corporate_number",
        "/corporate_number",
        "an organization with this corporate number is already registered",
    ),
    ("lei", "/lei", "an organization with this LEI is already registered"),
    ("gln", "/gln", "an organization with this GLN is already registered"),
];

pub async fn create(store: &SqlStore, actor: &Actor, new: NewOrganization) -> StoreResult<Organization> {
    require(
        actor.has_role(Role::NodeAdmin),
        "only node administrators register organizations",
    )?;
    new.validate().map_err(StoreError::Invalid)?;
    let now = store.clock_now();
    let organization = Organization::from_new(OrganizationId::generate(), new, now, now);
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    check_industries(&mut transaction, &organization.industries).await?;
    sqlx::query(
        "INSERT INTO organizations (id, name_ja, name_en, organization_type, company_size, corporate_number, lei, gs1_company_prefix, gln, \
         local_government_code, prefecture_code, website, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(organization.id.to_string())
    .bind(organization.name_ja.clone())
    .bind(organization.name_en.clone())
    .bind(organization.organization_type.as_str())
    .bind(organization.company_size.map(|size| size.as_str()))
    .bind(organization.corporate_number.clone())
    .bind(organization.lei.clone())
    .bind(organization.gs1_company_prefix.clone())
    .bind(organization.gln.clone())
    .bind(organization.local_government_code.clone())
    .bind(organization.prefecture_code.clone())
    .bind(organization.website.clone())
    .bind(micros(now))
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &CONFLICTS))?;
    replace_memberships(&mut transaction, &organization).await?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Organization,
        &organization.id.to_string(),
        Some(organization.id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(organization)
}

pub async fn get(store: &SqlStore, id: OrganizationId) -> StoreResult<Organization> {
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    fetch(&mut connection, id).await
}

async fn fetch(connection: &mut AnyConnection, id: OrganizationId) -> StoreResult<Organization> {
    let row = sqlx::query("SELECT * FROM organizations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| StoreError::NotFound {
            kind: RecordKind::Organization,
            id: id.to_string(),
        })?;
    let mut organizations = with_memberships(connection, vec![row]).await?;
    Ok(organizations.remove(0))
}

pub async fn list(
    store: &SqlStore,
    filter: &OrganizationFilter,
    page: &PageRequest,
) -> StoreResult<Page<Organization>> {
    let mut sql = Sql::new("SELECT * FROM organizations o WHERE 1 = 1", Vec::new());
    if let Some(organization_type) = filter.organization_type {
        sql.push_with(
            " AND o.organization_type = ?",
            vec![Param::Text(organization_type.as_str().to_owned())],
        );
    }
    if let Some(prefecture) = &filter.prefecture_code {
        sql.push_with(" AND o.prefecture_code = ?", vec![Param::Text(prefecture.clone())]);
    }
    if let Some(role) = filter.role {
        sql.push_with(
            " AND EXISTS (SELECT 1 FROM organization_roles r WHERE r.organization_id = o.id AND r.role = ?)",
            vec![Param::Text(role.as_str().to_owned())],
        );
    }
    if let Some(industry) = &filter.industry {
        sql.push_with(
            " AND EXISTS (SELECT 1 FROM organization_industries i WHERE i.organization_id = o.id AND i.industry_code = ?)",
            vec![Param::Text(industry.clone())],
        );
    }
    if let Some(name) = &filter.name_contains {
        let pattern = format!("%{}%", crate::rows::like_literal(&name.to_lowercase()));
        sql.push_with(
            " AND (LOWER(o.name_ja) LIKE ? ESCAPE '\\' OR LOWER(o.name_en) LIKE ? ESCAPE '\\')",
            vec![Param::Text(pattern.clone()), Param::Text(pattern)],
        );
    }
    if let Some(after) = &page.after {
        sql.push_with(" AND o.id > ?", vec![Param::Text(after.clone())]);
    }
    sql.push_with(" ORDER BY o.id LIMIT ?", vec![Param::Int(i64::from(page.limit) + 1)]);
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    let rows = sql.query().fetch_all(&mut *connection).await.map_err(unavailable)?;
    let organizations = with_memberships(&mut connection, rows).await?;
    Ok(Page::from_overfetch(organizations, page.limit, |organization| {
        organization.id.to_string()
    }))
}

pub async fn update(
    store: &SqlStore,
    actor: &Actor,
    id: OrganizationId,
    patch: &OrganizationPatch,
) -> StoreResult<Organization> {
    require(
        actor.administers(id),
        "only this organization's administrators or a node administrator change it",
    )?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let current = fetch(&mut transaction, id).await?;
    let updated = current.patched(patch, store.clock_now()).map_err(StoreError::Invalid)?;
    check_industries(&mut transaction, &updated.industries).await?;
    sqlx::query(
        "UPDATE organizations SET name_ja = $2, name_en = $3, company_size = $4, corporate_number = $5, lei = $6, gs1_company_prefix = $7, \
         gln = $8, local_government_code = $9, prefecture_code = $10, website = $11, updated_at = $12 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(updated.name_ja.clone())
    .bind(updated.name_en.clone())
    .bind(updated.company_size.map(|size| size.as_str()))
    .bind(updated.corporate_number.clone())
    .bind(updated.lei.clone())
    .bind(updated.gs1_company_prefix.clone())
    .bind(updated.gln.clone())
    .bind(updated.local_government_code.clone())
    .bind(updated.prefecture_code.clone())
    .bind(updated.website.clone())
    .bind(micros(updated.updated_at))
    .execute(&mut *transaction)
    .await
    .map_err(|error| write_error(error, &CONFLICTS))?;
    replace_memberships(&mut transaction, &updated).await?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::Organization,
        &id.to_string(),
        Some(id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(updated)
}

pub async fn list_industries(store: &SqlStore) -> StoreResult<Vec<Industry>> {
    let rows = sqlx::query("SELECT code, name_ja, name_en FROM industries ORDER BY code")
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    rows.iter()
        .map(|row| {
            Ok(Industry {
                code: text(row, "code")?,
                name_ja: text(row, "name_ja")?,
                name_en: text(row, "name_en")?,
            })
        })
        .collect()
}

pub async fn create_industry(store: &SqlStore, actor: &Actor, industry: Industry) -> StoreResult<Industry> {
    require(
        actor.has_role(Role::NodeAdmin),
        "only node administrators add industries",
    )?;
    industry.validate().map_err(StoreError::Invalid)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query("INSERT INTO industries (code, name_ja, name_en, created_at) VALUES ($1, $2, $3, $4)")
        .bind(industry.code.clone())
        .bind(industry.name_ja.clone())
        .bind(industry.name_en.clone())
        .bind(micros(store.clock_now()))
        .execute(&mut *transaction)
        .await
        .map_err(|error| write_error(error, &[("code", "/code", "an industry with this code exists")]))?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::Industry,
        &industry.code,
        None,
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(industry)
}

async fn check_industries(connection: &mut AnyConnection, codes: &[String]) -> StoreResult<()> {
    let mut violations = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        let known = sqlx::query("SELECT 1 FROM industries WHERE code = $1")
            .bind(code.clone())
            .fetch_optional(&mut *connection)
            .await
            .map_err(unavailable)?
            .is_some();
        if !known {
            violations.push(Violation::new(
                format!("/industries/{index}"),
                format!("unknown industry {code:?}: see GET /api/v1/industries"),
            ));
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(violations))
    }
}

async fn replace_memberships(connection: &mut AnyConnection, organization: &Organization) -> StoreResult<()> {
    let id = organization.id.to_string();
    for statement in [
        "DELETE FROM organization_industries WHERE organization_id = $1",
        "DELETE FROM organization_roles WHERE organization_id = $1",
    ] {
        sqlx::query(statement)
            .bind(id.clone())
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    for industry in &organization.industries {
        sqlx::query("INSERT INTO organization_industries (organization_id, industry_code) VALUES ($1, $2)")
            .bind(id.clone())
            .bind(industry.clone())
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    for role in &organization.roles {
        sqlx::query("INSERT INTO organization_roles (organization_id, role) VALUES ($1, $2)")
            .bind(id.clone())
            .bind(role.as_str())
            .execute(&mut *connection)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

/// Builds organizations from their rows, loading industries and roles in two queries.
async fn with_memberships(connection: &mut AnyConnection, rows: Vec<AnyRow>) -> StoreResult<Vec<Organization>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|row| text(row, "id")).collect::<StoreResult<_>>()?;
    let placeholders: Vec<String> = (1..=ids.len()).map(|index| format!("${index}")).collect();
    let in_list = placeholders.join(", ");
    let mut industries: Vec<(String, String)> = Vec::new();
    let mut roles: Vec<(String, String)> = Vec::new();
    for (table, column, target) in [
        ("organization_industries", "industry_code", &mut industries),
        ("organization_roles", "role", &mut roles),
    ] {
        let sql = Sql::new(
            &format!("SELECT organization_id, {column} AS value FROM {table} WHERE organization_id IN ({in_list}) ORDER BY organization_id, {column}"),
            ids.iter().cloned().map(Param::Text).collect(),
        );
        for row in sql.query().fetch_all(&mut *connection).await.map_err(unavailable)? {
            target.push((text(&row, "organization_id")?, text(&row, "value")?));
        }
    }
    rows.iter()
        .map(|row| {
            let id = text(row, "id")?;
            let organization_roles = roles
                .iter()
                .filter(|(organization, _)| *organization == id)
                .map(|(_, role)| {
                    CycleRole::parse(role)
                        .ok_or_else(|| StoreError::Unavailable(format!("stored role {role:?} is unknown").into()))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Organization {
                id: parsed(&id, "organization id", str::parse)?,
                name_ja: text(row, "name_ja")?,
                name_en: text(row, "name_en")?,
                organization_type: enum_value(&text(row, "organization_type")?, "organization type")?,
                company_size: opt_text(row, "company_size")?
                    .map(|size| enum_value(&size, "company size"))
                    .transpose()?,
                corporate_number: opt_text(row, "corporate_number")?,
                lei: opt_text(row, "lei")?,
                gs1_company_prefix: opt_text(row, "gs1_company_prefix")?,
                gln: opt_text(row, "gln")?,
                local_government_code: opt_text(row, "local_government_code")?,
                prefecture_code: opt_text(row, "prefecture_code")?,
                industries: industries
                    .iter()
                    .filter(|(organization, _)| *organization == id)
                    .map(|(_, code)| code.clone())
                    .collect(),
                roles: organization_roles,
                website: opt_text(row, "website")?,
                created_at: time(row, "created_at")?,
                updated_at: time(row, "updated_at")?,
            })
        })
        .collect()
}
