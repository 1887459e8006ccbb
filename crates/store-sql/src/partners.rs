//! Circular Partners (サーキュラーパートナーズ, issue 8, migration 0017): the secretariat's
//! designation, memberships, targets (one row per version) and follow-ups.
//!
//! Who reads what is decided here, in one place ([`Reader`] and [`visible`]): the member's own
//! organization, the secretariat and auditors read everything (reads of records that are not
//! public are audited, as an auditor's reads are); everyone reads the records of approved
//! members that publish. Writes check the rules of `junkan_partners` on today's date in Japan
//! and are one transaction with their audit entry.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::{Date, UtcOffset};

use junkan_model::access::{ReadBasis, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::ids::{FollowUpId, MembershipId, OrganizationId, PartnerTargetId};
use junkan_model::principal::{Actor, Role};
use junkan_model::Violation;
use junkan_partners::membership::{
    Decision, Membership, MembershipSettings, MembershipStatus, NewApplication, Review, Withdrawal,
};
use junkan_partners::targets::{FollowUp, FollowUpSubmission, PartnerTarget, TargetSubmission};
use junkan_partners::{
    iso_date, FollowUpFilter, MemberType, MembershipFilter, Secretariat, SubmissionFormat, TargetFilter,
};
use junkan_store::{StoreError, StoreResult};

use crate::access::{audit_reads, record, require, RecordRead};
use crate::rows::{int, opt_text, opt_time, parsed, text, time as time_column, write_error, Param, Sql};
use crate::{micros, unavailable, SqlStore};

/// Japan's offset: dates of the partnership (join dates, deadlines) are Japanese dates.
const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Today in Japan by the store's clock.
pub fn today(store: &SqlStore) -> Date {
    store.clock_now().to_offset(JST).date()
}

/// How the actor reads partnership records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The secretariat or an auditor: everything, audited when not its own and not public.
    Overseer(Option<OrganizationId>),
    /// Its own organization's records and the public ones.
    Member(Option<OrganizationId>),
}

/// The designated secretariat organization.
async fn secretariat_organization(store: &SqlStore) -> StoreResult<Option<OrganizationId>> {
    let row = sqlx::query("SELECT organization_id FROM partner_secretariat WHERE singleton = 1")
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.map(|row| parsed(&text(&row, "organization_id")?, "organization id", str::parse))
        .transpose()
}

/// Whether `actor` acts for the secretariat.
async fn is_secretariat(store: &SqlStore, actor: &Actor) -> StoreResult<bool> {
    let Some(secretariat) = secretariat_organization(store).await? else {
        return Ok(false);
    };
    Ok(actor.belongs_to(secretariat) && (actor.has_role(Role::OrgAdmin) || actor.has_role(Role::Member)))
}

async fn reader_of(store: &SqlStore, actor: &Actor) -> StoreResult<Reader> {
    if actor.has_role(Role::Auditor) || is_secretariat(store, actor).await? {
        Ok(Reader::Overseer(actor.organization_id))
    } else {
        Ok(Reader::Member(actor.organization_id))
    }
}

/// The condition that a row joined to its membership `m` is visible to `reader`.
fn visible(sql: &mut Sql, reader: Reader) {
    if let Reader::Member(me) = reader {
        sql.push_with(
            " AND (m.organization_id = ? OR (m.status = 'approved' AND m.publish = 1))",
            vec![Param::Text(me.map(|id| id.to_string()).unwrap_or_default())],
        );
    }
}

/// Audits the reads of `records` (kind, id, owner, public) that an overseer made of other
/// organizations' records that are not public.
async fn audit(
    store: &SqlStore,
    actor: &Actor,
    reader: Reader,
    records: impl IntoIterator<Item = (RecordKind, String, OrganizationId, bool)>,
) -> StoreResult<()> {
    let Reader::Overseer(me) = reader else {
        return Ok(());
    };
    let reads: Vec<RecordRead> = records
        .into_iter()
        .filter(|(_, _, owner, public)| Some(*owner) != me && !public)
        .map(|(kind, id, owner, _)| RecordRead {
            kind,
            id,
            owner,
            basis: ReadBasis::Auditor,
        })
        .collect();
    audit_reads(store, actor, &reads).await
}

fn not_found(kind: RecordKind, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn invalid(path: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![Violation::new(path, message)])
}

// ---------------------------------------------------------------------------------------------
// The secretariat.

/// Designates the secretariat (node administrators).
pub async fn designate_secretariat(
    store: &SqlStore,
    actor: &Actor,
    organization: OrganizationId,
) -> StoreResult<Secretariat> {
    require(
        actor.has_role(Role::NodeAdmin),
        "only a node administrator designates the Circular Partners secretariat",
    )?;
    let exists = sqlx::query("SELECT id FROM organizations WHERE id = $1")
        .bind(organization.to_string())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    if exists.is_none() {
        return Err(invalid(
            "/organization_id",
            format!("no organization has the id {organization}"),
        ));
    }
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO partner_secretariat (singleton, organization_id, designated_at, designated_by) VALUES (1, $1, $2, $3) \
         ON CONFLICT (singleton) DO UPDATE SET organization_id = $1, designated_at = $2, designated_by = $3",
    )
    .bind(organization.to_string())
    .bind(micros(now))
    .bind(actor.principal_id.clone())
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::PartnerSecretariat,
        &organization.to_string(),
        Some(organization),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(Secretariat {
        organization_id: organization,
        designated_at: now,
    })
}

/// The designated secretariat.
pub async fn secretariat(store: &SqlStore) -> StoreResult<Option<Secretariat>> {
    let row = sqlx::query("SELECT organization_id, designated_at FROM partner_secretariat WHERE singleton = 1")
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    row.map(|row| {
        Ok(Secretariat {
            organization_id: parsed(&text(&row, "organization_id")?, "organization id", str::parse)?,
            designated_at: time_column(&row, "designated_at")?,
        })
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------------
// Memberships.

const MEMBERSHIP_COLUMNS: &str = "m.*, o.name_ja AS organization_name_ja, o.name_en AS organization_name_en, \
     o.prefecture_code AS organization_prefecture";

fn date_column(row: &AnyRow, column: &str) -> StoreResult<Option<Date>> {
    opt_text(row, column)?
        .map(|value| parsed(&value, column, iso_date::parse))
        .transpose()
}

fn membership_from_row(row: &AnyRow) -> StoreResult<Membership> {
    let member_type = text(row, "member_type")?;
    let member_type = MemberType::parse(&member_type)
        .ok_or_else(|| StoreError::Unavailable(format!("stored member type {member_type:?} is unknown").into()))?;
    let status = text(row, "status")?;
    let status = MembershipStatus::parse(&status)
        .ok_or_else(|| StoreError::Unavailable(format!("stored membership status {status:?} is unknown").into()))?;
    let working_groups = text(row, "working_groups")?;
    Ok(Membership {
        id: parsed(&text(row, "id")?, "membership id", str::parse)?,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        organization_name_ja: text(row, "organization_name_ja")?,
        organization_name_en: text(row, "organization_name_en")?,
        member_type,
        format: member_type.format(),
        prefecture_code: opt_text(row, "organization_prefecture")?,
        status,
        applied_at: time_column(row, "applied_at")?,
        note: opt_text(row, "note")?,
        working_groups: parsed(&working_groups, "working groups", |text| serde_json::from_str(text))?,
        publish: int(row, "publish")? == 1,
        follow_up_interval_months: row
            .try_get::<Option<i64>, _>("follow_up_interval_months")
            .map_err(unavailable)?
            .and_then(|months| u32::try_from(months).ok()),
        reviewed_at: opt_time(row, "reviewed_at")?,
        review_reason: opt_text(row, "review_reason")?,
        joined_on: date_column(row, "joined_on")?,
        withdrawn_on: date_column(row, "withdrawn_on")?,
        withdrawal_reason: opt_text(row, "withdrawal_reason")?,
    })
}

fn membership_query() -> Sql {
    Sql::new(
        &format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM partner_memberships m JOIN organizations o ON o.id = m.organization_id WHERE 1 = 1"
        ),
        Vec::new(),
    )
}

/// The membership `id`, unchecked (for writes, which decide themselves).
async fn load_membership(connection: &mut AnyConnection, id: MembershipId) -> StoreResult<Option<Membership>> {
    let mut sql = membership_query();
    sql.push_with(" AND m.id = ?", vec![Param::Text(id.to_string())]);
    let row = sql
        .query()
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(membership_from_row).transpose()
}

/// The open (applied or approved) membership of `organization`.
async fn open_membership(
    connection: &mut AnyConnection,
    organization: OrganizationId,
) -> StoreResult<Option<Membership>> {
    let mut sql = membership_query();
    sql.push_with(
        " AND m.organization_id = ? AND m.status IN ('applied', 'approved')",
        vec![Param::Text(organization.to_string())],
    );
    let row = sql
        .query()
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(membership_from_row).transpose()
}

fn is_public(membership: &Membership) -> bool {
    membership.status == MembershipStatus::Approved && membership.publish
}

/// The actor's organization applies.
pub async fn apply(store: &SqlStore, actor: &Actor, application: NewApplication) -> StoreResult<Membership> {
    let organization = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "an organization applies for membership through its own administrators".to_owned(),
    })?;
    require(
        actor.belongs_to(organization) && actor.has_role(Role::OrgAdmin),
        "only the organization's administrators apply for membership",
    )?;
    let directory_entry = crate::organizations::get(store, organization).await?;
    let member_type = MemberType::of(&directory_entry).map_err(|message| invalid("", message))?;
    application.check(member_type).map_err(StoreError::Invalid)?;
    let mut connection = store.writer.acquire().await.map_err(unavailable)?;
    if let Some(open) = open_membership(&mut connection, organization).await? {
        return Err(StoreError::Conflict {
            message: format!(
                "your organization has an open membership or application ({}, /api/v1/partners/memberships/{}); withdraw it before applying again",
                open.status.as_str(),
                open.id
            ),
            path: String::new(),
        });
    }
    drop(connection);
    let id = MembershipId::generate();
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO partner_memberships (id, organization_id, member_type, format, status, applied_at, applied_by, note, \
         working_groups, publish, follow_up_interval_months) VALUES ($1, $2, $3, $4, 'applied', $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(organization.to_string())
    .bind(member_type.as_str())
    .bind(member_type.format().as_str())
    .bind(micros(now))
    .bind(actor.principal_id.clone())
    .bind(application.note.clone())
    .bind(serde_json::to_string(&application.working_groups).map_err(unavailable)?)
    .bind(i64::from(application.publish))
    .bind(application.follow_up_interval_months.map(i64::from))
    .execute(&mut *transaction)
    .await
    .map_err(|error| {
        write_error(
            error,
            &[(
                "partner_memberships",
                "",
                "your organization has an open membership or application",
            )],
        )
    })?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::PartnerMembership,
        &id.to_string(),
        Some(organization),
        None,
    )
    .await?;
    let membership = load_membership(&mut transaction, id)
        .await?
        .ok_or_else(|| StoreError::Unavailable("the membership just written is missing".into()))?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(membership)
}

/// Reads membership `id` for a change by `actor`: `NotFound` when the actor may not read it.
async fn membership_for_change(store: &SqlStore, actor: &Actor, id: MembershipId) -> StoreResult<Membership> {
    let membership = get_membership(store, actor, id).await?;
    Ok(membership)
}

/// Writes the changed `columns` of membership `id` (from `expected` status), audited.
async fn change_membership(
    store: &SqlStore,
    actor: &Actor,
    membership: &Membership,
    expected: &[MembershipStatus],
    mut sql: Sql,
) -> StoreResult<Membership> {
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sql.push_with(" WHERE id = ?", vec![Param::Text(membership.id.to_string())]);
    let statuses: Vec<Param> = expected
        .iter()
        .map(|status| Param::Text(status.as_str().to_owned()))
        .collect();
    sql.text.push_str(" AND status IN ");
    sql.push_list(statuses);
    let changed = sql
        .query()
        .execute(&mut *transaction)
        .await
        .map_err(unavailable)?
        .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict {
            message: "the membership changed meanwhile; read it again".to_owned(),
            path: String::new(),
        });
    }
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Update,
        RecordKind::PartnerMembership,
        &membership.id.to_string(),
        Some(membership.organization_id),
        None,
    )
    .await?;
    let changed = load_membership(&mut transaction, membership.id)
        .await?
        .ok_or_else(|| StoreError::Unavailable("the membership just changed is missing".into()))?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(changed)
}

/// The secretariat reviews an application.
pub async fn review(store: &SqlStore, actor: &Actor, id: MembershipId, review: Review) -> StoreResult<Membership> {
    let membership = membership_for_change(store, actor, id).await?;
    require(
        is_secretariat(store, actor).await?,
        "only the Circular Partners secretariat (事務局) reviews applications",
    )?;
    if membership.status != MembershipStatus::Applied {
        return Err(StoreError::Conflict {
            message: format!(
                "the application was decided already (status {})",
                membership.status.as_str()
            ),
            path: String::new(),
        });
    }
    let today = today(store);
    review.check(today).map_err(StoreError::Invalid)?;
    let (status, joined_on) = match review.decision {
        Decision::Approve => (MembershipStatus::Approved, Some(review.join_date.unwrap_or(today))),
        Decision::Reject => (MembershipStatus::Rejected, None),
    };
    let sql = Sql::new(
        "UPDATE partner_memberships SET status = $1, reviewed_at = $2, reviewed_by = $3, review_reason = $4, joined_on = $5",
        vec![
            Param::Text(status.as_str().to_owned()),
            Param::Int(micros(store.clock_now())),
            Param::Text(actor.principal_id.clone()),
            Param::OptText(review.reason.clone()),
            Param::OptText(joined_on.map(iso_date::format)),
        ],
    );
    change_membership(store, actor, &membership, &[MembershipStatus::Applied], sql).await
}

/// The member withdraws.
pub async fn withdraw(
    store: &SqlStore,
    actor: &Actor,
    id: MembershipId,
    withdrawal: Withdrawal,
) -> StoreResult<Membership> {
    let membership = membership_for_change(store, actor, id).await?;
    require(
        actor.belongs_to(membership.organization_id) && actor.has_role(Role::OrgAdmin),
        "only the member's administrators withdraw its membership",
    )?;
    if !membership.status.is_open() {
        return Err(StoreError::Conflict {
            message: format!("the membership is {} already", membership.status.as_str()),
            path: String::new(),
        });
    }
    withdrawal.check().map_err(StoreError::Invalid)?;
    let sql = Sql::new(
        "UPDATE partner_memberships SET status = 'withdrawn', withdrawn_on = $1, withdrawal_reason = $2",
        vec![
            Param::Text(iso_date::format(today(store))),
            Param::OptText(withdrawal.reason.clone()),
        ],
    );
    change_membership(
        store,
        actor,
        &membership,
        &[MembershipStatus::Applied, MembershipStatus::Approved],
        sql,
    )
    .await
}

/// The member changes its settings.
pub async fn update(
    store: &SqlStore,
    actor: &Actor,
    id: MembershipId,
    settings: MembershipSettings,
) -> StoreResult<Membership> {
    let membership = membership_for_change(store, actor, id).await?;
    require(
        actor.belongs_to(membership.organization_id) && actor.has_role(Role::OrgAdmin),
        "only the member's administrators change its membership",
    )?;
    if !membership.status.is_open() {
        return Err(StoreError::Conflict {
            message: format!("a {} membership is not changed", membership.status.as_str()),
            path: String::new(),
        });
    }
    settings.check(membership.member_type).map_err(StoreError::Invalid)?;
    let groups = settings.working_groups.as_ref().unwrap_or(&membership.working_groups);
    let mut sql = Sql::new(
        "UPDATE partner_memberships SET working_groups = $1, publish = $2",
        vec![
            Param::Text(serde_json::to_string(groups).map_err(unavailable)?),
            Param::Int(i64::from(settings.publish.unwrap_or(membership.publish))),
        ],
    );
    // A NULL is not bound as a parameter: the Any driver would type it as text, which
    // PostgreSQL refuses for an integer column.
    if let Some(months) = settings.follow_up_interval_months {
        sql.push_with(", follow_up_interval_months = ?", vec![Param::Int(i64::from(months))]);
    }
    change_membership(
        store,
        actor,
        &membership,
        &[MembershipStatus::Applied, MembershipStatus::Approved],
        sql,
    )
    .await
}

/// A membership the actor may read.
pub async fn get_membership(store: &SqlStore, actor: &Actor, id: MembershipId) -> StoreResult<Membership> {
    let reader = reader_of(store, actor).await?;
    let mut sql = membership_query();
    sql.push_with(" AND m.id = ?", vec![Param::Text(id.to_string())]);
    visible(&mut sql, reader);
    let row = sql.query().fetch_optional(&store.reader).await.map_err(unavailable)?;
    let membership = row
        .as_ref()
        .map(membership_from_row)
        .transpose()?
        .ok_or_else(|| not_found(RecordKind::PartnerMembership, id))?;
    audit(
        store,
        actor,
        reader,
        [(
            RecordKind::PartnerMembership,
            membership.id.to_string(),
            membership.organization_id,
            is_public(&membership),
        )],
    )
    .await?;
    Ok(membership)
}

/// The memberships the actor may read.
pub async fn list_memberships(
    store: &SqlStore,
    actor: &Actor,
    filter: &MembershipFilter,
) -> StoreResult<Vec<Membership>> {
    let reader = reader_of(store, actor).await?;
    let mut sql = membership_query();
    if let Some(status) = filter.status {
        sql.push_with(" AND m.status = ?", vec![Param::Text(status.as_str().to_owned())]);
    }
    if let Some(organization) = filter.organization {
        sql.push_with(
            " AND m.organization_id = ?",
            vec![Param::Text(organization.to_string())],
        );
    }
    visible(&mut sql, reader);
    sql.text.push_str(" ORDER BY m.applied_at, m.id");
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let memberships = rows.iter().map(membership_from_row).collect::<StoreResult<Vec<_>>>()?;
    audit(
        store,
        actor,
        reader,
        memberships.iter().map(|membership| {
            (
                RecordKind::PartnerMembership,
                membership.id.to_string(),
                membership.organization_id,
                is_public(membership),
            )
        }),
    )
    .await?;
    Ok(memberships)
}

// ---------------------------------------------------------------------------------------------
// Targets.

const TARGET_SELECT: &str = "SELECT t.*, m.status AS membership_status, m.publish AS membership_publish \
     FROM partner_targets t JOIN partner_memberships m ON m.id = t.membership_id WHERE 1 = 1";

fn target_from_row(row: &AnyRow) -> StoreResult<PartnerTarget> {
    let format = text(row, "format")?;
    let submission = text(row, "submission")?;
    let status = text(row, "membership_status")?;
    Ok(PartnerTarget {
        id: parsed(&text(row, "id")?, "target id", str::parse)?,
        version: int(row, "version")?,
        current: int(row, "is_current")? == 1,
        organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
        membership_id: parsed(&text(row, "membership_id")?, "membership id", str::parse)?,
        format: SubmissionFormat::parse(&format)
            .ok_or_else(|| StoreError::Unavailable(format!("stored format {format:?} is unknown").into()))?,
        submission: parsed(&submission, "target submission", |text| serde_json::from_str(text))?,
        submitted_at: time_column(row, "submitted_at")?,
        published: status == "approved" && int(row, "membership_publish")? == 1,
    })
}

/// The approved membership of the actor's organization, for a write by its members.
async fn approved_membership_of(store: &SqlStore, actor: &Actor) -> StoreResult<Membership> {
    let organization = actor.organization_id.ok_or_else(|| StoreError::Forbidden {
        reason: "only members of a Circular Partners member submit its targets".to_owned(),
    })?;
    require(
        actor.writes_for(organization),
        "only members of a Circular Partners member submit its targets and follow-ups",
    )?;
    let mut connection = store.reader.acquire().await.map_err(unavailable)?;
    match open_membership(&mut connection, organization).await? {
        Some(membership) if membership.status == MembershipStatus::Approved => Ok(membership),
        Some(_) => Err(StoreError::Forbidden {
            reason: "your organization's application is still under review; targets are submitted once the secretariat approves it".to_owned(),
        }),
        None => Err(StoreError::Forbidden {
            reason: "your organization is not a Circular Partners member; apply first (POST /api/v1/partners/memberships)".to_owned(),
        }),
    }
}

async fn insert_target(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    membership: &Membership,
    (id, version): (PartnerTargetId, i64),
    submission: &TargetSubmission,
) -> StoreResult<()> {
    let categories: Vec<&str> = submission.categories.iter().map(|category| category.as_str()).collect();
    sqlx::query(
        "INSERT INTO partner_targets (id, version, organization_id, membership_id, format, categories, submission, is_current, \
         submitted_at, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
    )
    .bind(id.to_string())
    .bind(version)
    .bind(membership.organization_id.to_string())
    .bind(membership.id.to_string())
    .bind(membership.format.as_str())
    .bind(categories.join(","))
    .bind(serde_json::to_string(submission).map_err(unavailable)?)
    .bind(micros(store.clock_now()))
    .bind(actor.principal_id.clone())
    .execute(&mut *connection)
    .await
    .map_err(unavailable)?;
    record(
        store,
        connection,
        actor,
        if version == 1 {
            AuditAction::Create
        } else {
            AuditAction::Update
        },
        RecordKind::PartnerTarget,
        &id.to_string(),
        Some(membership.organization_id),
        None,
    )
    .await
}

async fn load_target(
    connection: &mut AnyConnection,
    id: PartnerTargetId,
    version: Option<i64>,
) -> StoreResult<Option<PartnerTarget>> {
    let mut sql = Sql::new(TARGET_SELECT, Vec::new());
    sql.push_with(" AND t.id = ?", vec![Param::Text(id.to_string())]);
    match version {
        Some(version) => sql.push_with(" AND t.version = ?", vec![Param::Int(version)]),
        None => sql.push_with(" AND t.is_current = 1", vec![]),
    };
    let row = sql
        .query()
        .fetch_optional(&mut *connection)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(target_from_row).transpose()
}

/// Submits targets of the actor's organization in one transaction.
pub async fn submit_targets(
    store: &SqlStore,
    actor: &Actor,
    submissions: Vec<TargetSubmission>,
    indexed: bool,
) -> StoreResult<Vec<PartnerTarget>> {
    let membership = approved_membership_of(store, actor).await?;
    let today = today(store);
    let mut violations = junkan_model::Violations::new();
    for (index, submission) in submissions.iter().enumerate() {
        let prefix = if indexed { format!("/{index}") } else { String::new() };
        submission.check_into(&mut violations, &prefix, membership.format, today);
    }
    if indexed && submissions.is_empty() {
        violations.push("", "the import holds no targets");
    }
    violations.into_result().map_err(StoreError::Invalid)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let mut stored = Vec::with_capacity(submissions.len());
    for submission in &submissions {
        let id = PartnerTargetId::generate();
        insert_target(store, &mut transaction, actor, &membership, (id, 1), submission).await?;
        stored.push(
            load_target(&mut transaction, id, None)
                .await?
                .ok_or_else(|| StoreError::Unavailable("the target just written is missing".into()))?,
        );
    }
    transaction.commit().await.map_err(unavailable)?;
    Ok(stored)
}

/// A target the actor may read and, for a write, whether it may change it.
async fn target_for_change(store: &SqlStore, actor: &Actor, id: PartnerTargetId) -> StoreResult<PartnerTarget> {
    let target = get_target(store, actor, id, None).await?;
    require(
        actor.writes_for(target.organization_id),
        "only members of the organization that set a target edit it or report on it",
    )?;
    Ok(target)
}

/// Edits a target: its next version.
pub async fn edit_target(
    store: &SqlStore,
    actor: &Actor,
    id: PartnerTargetId,
    submission: TargetSubmission,
) -> StoreResult<PartnerTarget> {
    let target = target_for_change(store, actor, id).await?;
    let membership = approved_membership_of(store, actor).await?;
    if membership.id != target.membership_id {
        return Err(StoreError::Forbidden {
            reason: "the target belongs to an earlier membership of your organization".to_owned(),
        });
    }
    submission
        .check(membership.format, today(store))
        .map_err(StoreError::Invalid)?;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    let changed =
        sqlx::query("UPDATE partner_targets SET is_current = 0 WHERE id = $1 AND version = $2 AND is_current = 1")
            .bind(id.to_string())
            .bind(target.version)
            .execute(&mut *transaction)
            .await
            .map_err(unavailable)?
            .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict {
            message: format!(
                "version {} of the target was edited meanwhile; edit its current version",
                target.version
            ),
            path: String::new(),
        });
    }
    insert_target(
        store,
        &mut transaction,
        actor,
        &membership,
        (id, target.version + 1),
        &submission,
    )
    .await?;
    let stored = load_target(&mut transaction, id, None)
        .await?
        .ok_or_else(|| StoreError::Unavailable("the target just written is missing".into()))?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(stored)
}

async fn read_targets(store: &SqlStore, actor: &Actor, mut sql: Sql) -> StoreResult<Vec<PartnerTarget>> {
    let reader = reader_of(store, actor).await?;
    visible(&mut sql, reader);
    sql.text.push_str(" ORDER BY t.organization_id, t.id, t.version");
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let targets = rows.iter().map(target_from_row).collect::<StoreResult<Vec<_>>>()?;
    audit(
        store,
        actor,
        reader,
        targets.iter().map(|target| {
            (
                RecordKind::PartnerTarget,
                target.id.to_string(),
                target.organization_id,
                target.published,
            )
        }),
    )
    .await?;
    Ok(targets)
}

/// A target's version the actor may read.
pub async fn get_target(
    store: &SqlStore,
    actor: &Actor,
    id: PartnerTargetId,
    version: Option<i64>,
) -> StoreResult<PartnerTarget> {
    let mut sql = Sql::new(TARGET_SELECT, Vec::new());
    sql.push_with(" AND t.id = ?", vec![Param::Text(id.to_string())]);
    match version {
        Some(version) => sql.push_with(" AND t.version = ?", vec![Param::Int(version)]),
        None => sql.push_with(" AND t.is_current = 1", vec![]),
    };
    read_targets(store, actor, sql)
        .await?
        .pop()
        .ok_or_else(|| not_found(RecordKind::PartnerTarget, id))
}

/// Every version of a target.
pub async fn target_versions(store: &SqlStore, actor: &Actor, id: PartnerTargetId) -> StoreResult<Vec<PartnerTarget>> {
    let mut sql = Sql::new(TARGET_SELECT, Vec::new());
    sql.push_with(" AND t.id = ?", vec![Param::Text(id.to_string())]);
    let versions = read_targets(store, actor, sql).await?;
    if versions.is_empty() {
        return Err(not_found(RecordKind::PartnerTarget, id));
    }
    Ok(versions)
}

/// The current targets the actor may read.
pub async fn list_targets(store: &SqlStore, actor: &Actor, filter: &TargetFilter) -> StoreResult<Vec<PartnerTarget>> {
    let mut sql = Sql::new(TARGET_SELECT, Vec::new());
    sql.text.push_str(" AND t.is_current = 1");
    if let Some(organization) = filter.organization {
        sql.push_with(
            " AND t.organization_id = ?",
            vec![Param::Text(organization.to_string())],
        );
    }
    if let Some(category) = filter.category {
        sql.push_with(
            " AND (',' || t.categories || ',') LIKE ?",
            vec![Param::Text(format!("%,{},%", category.as_str()))],
        );
    }
    read_targets(store, actor, sql).await
}

// ---------------------------------------------------------------------------------------------
// Follow-ups.

const FOLLOW_UP_SELECT: &str = "SELECT f.*, m.status AS membership_status, m.publish AS membership_publish \
     FROM partner_follow_ups f JOIN partner_targets t ON t.id = f.target_id AND t.version = f.target_version \
     JOIN partner_memberships m ON m.id = t.membership_id WHERE 1 = 1";

fn follow_up_from_row(row: &AnyRow) -> StoreResult<(FollowUp, bool)> {
    let submission = text(row, "submission")?;
    let flags = text(row, "flags")?;
    let published = text(row, "membership_status")? == "approved" && int(row, "membership_publish")? == 1;
    Ok((
        FollowUp {
            id: parsed(&text(row, "id")?, "follow-up id", str::parse)?,
            organization_id: parsed(&text(row, "organization_id")?, "organization id", str::parse)?,
            target_id: parsed(&text(row, "target_id")?, "target id", str::parse)?,
            target_version: int(row, "target_version")?,
            submission: parsed(&submission, "follow-up", |text| serde_json::from_str(text))?,
            share_achieved: opt_text(row, "share_achieved")?
                .map(|value| parsed(&value, "share achieved", str::parse))
                .transpose()?,
            flags: parsed(&flags, "follow-up flags", |text| serde_json::from_str(text))?,
            submitted_at: time_column(row, "submitted_at")?,
        },
        published,
    ))
}

/// Submits a follow-up on the current version of `target_id`.
pub async fn submit_follow_up(
    store: &SqlStore,
    actor: &Actor,
    target_id: PartnerTargetId,
    submission: FollowUpSubmission,
) -> StoreResult<FollowUp> {
    let target = target_for_change(store, actor, target_id).await?;
    approved_membership_of(store, actor).await?;
    let flags = submission.check(&target, today(store)).map_err(StoreError::Invalid)?;
    let share = match (&target.submission.quantitative, submission.current_value) {
        (Some(quantitative), Some(value)) => quantitative.share_achieved(value),
        _ => None,
    };
    let id = FollowUpId::generate();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO partner_follow_ups (id, organization_id, target_id, target_version, fiscal_year, submission, \
         share_achieved, flags, submitted_at, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(target.organization_id.to_string())
    .bind(target_id.to_string())
    .bind(target.version)
    .bind(i64::from(submission.fiscal_year))
    .bind(serde_json::to_string(&submission).map_err(unavailable)?)
    .bind(share.map(|share| share.to_string()))
    .bind(serde_json::to_string(&flags).map_err(unavailable)?)
    .bind(micros(store.clock_now()))
    .bind(actor.principal_id.clone())
    .execute(&mut *transaction)
    .await
    .map_err(|error| {
        write_error(
            error,
            &[(
                "partner_follow_ups",
                "/fiscal_year",
                "the target has a follow-up for this fiscal year already",
            )],
        )
    })?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Create,
        RecordKind::PartnerFollowUp,
        &id.to_string(),
        Some(target.organization_id),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(FollowUp {
        id,
        organization_id: target.organization_id,
        target_id,
        target_version: target.version,
        submission,
        share_achieved: share,
        flags,
        submitted_at: from_store_now(store),
    })
}

/// The stored form of now (microseconds), as a read gives it back.
fn from_store_now(store: &SqlStore) -> time::OffsetDateTime {
    crate::rows::from_micros(micros(store.clock_now()))
}

/// The follow-ups the actor may read.
pub async fn list_follow_ups(store: &SqlStore, actor: &Actor, filter: &FollowUpFilter) -> StoreResult<Vec<FollowUp>> {
    let reader = reader_of(store, actor).await?;
    let mut sql = Sql::new(FOLLOW_UP_SELECT, Vec::new());
    if let Some(organization) = filter.organization {
        sql.push_with(
            " AND f.organization_id = ?",
            vec![Param::Text(organization.to_string())],
        );
    }
    if let Some(target) = filter.target {
        sql.push_with(" AND f.target_id = ?", vec![Param::Text(target.to_string())]);
    }
    visible(&mut sql, reader);
    sql.text.push_str(" ORDER BY f.submitted_at, f.id");
    let rows = sql.query().fetch_all(&store.reader).await.map_err(unavailable)?;
    let follow_ups = rows.iter().map(follow_up_from_row).collect::<StoreResult<Vec<_>>>()?;
    audit(
        store,
        actor,
        reader,
        follow_ups.iter().map(|(follow_up, published)| {
            (
                RecordKind::PartnerFollowUp,
                follow_up.id.to_string(),
                follow_up.organization_id,
                *published,
            )
        }),
    )
    .await?;
    Ok(follow_ups.into_iter().map(|(follow_up, _)| follow_up).collect())
}
