//! The one place where the SQL backends apply the access rule of `junkan_model::access` and write
//! the audit log. Every record kind that holds restricted data lists through [`readable`] and
//! records its reads through [`audit_reads`].

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use junkan_model::access::{read_basis, GrantLevel, ReadBasis, RecordKind};
use junkan_model::audit::AuditAction;
use junkan_model::field_scope::CoveringGrant;
use junkan_model::ids::{GrantId, OrganizationId};
use junkan_model::principal::{Actor, Role};
use junkan_store::{StoreError, StoreResult};

use crate::bulk::Bulk;
use crate::rows::{opt_text, parsed, text, Param, Sql};
use crate::{micros, unavailable, SqlStore};

/// Starts a query over the records of `table` (aliased `r`) that `actor` may read, with the
/// column `covering_grants`: every live grant covering the record for the actor, one a line, each
/// `"<grant id>|<level>|<fields>"` (`<fields>` its JSON array of pointers, or empty when it covers
/// every field), or NULL when none does; [`admit`] merges them. `owner_column` and
/// `public_condition` describe the table; further conditions are appended with `AND`.
pub fn readable(
    store: &SqlStore,
    actor: &Actor,
    table: &str,
    kind: RecordKind,
    owner_column: &str,
    public_condition: &str,
) -> Sql {
    readable_from(
        store,
        actor,
        "r.*",
        &format!("{table} r"),
        kind,
        owner_column,
        public_condition,
    )
}

/// [`readable`] selecting `columns` (`r.*`, or only those the caller reads) over a `FROM` list
/// that names the record table `r` among others, e.g. an index table that drives the query in
/// the order a page needs (`footprint_keys d CROSS JOIN footprints r`); the caller adds the join
/// condition. The access rule is the same text.
pub fn readable_from(
    store: &SqlStore,
    actor: &Actor,
    columns: &str,
    from: &str,
    kind: RecordKind,
    owner_column: &str,
    public_condition: &str,
) -> Sql {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let auditor = i64::from(actor.has_role(Role::Auditor));
    let now = micros(store.clock_now());
    let purpose = actor.purpose.as_deref().map(str::trim).unwrap_or_default().to_owned();
    // $1 = the actor's organization (empty for anonymous), $2 = now, $3 = 1 when auditor,
    // $4 = the purpose the actor gave (`Junkan-Purpose`, trimmed; empty when none).
    let mut covers = covers(kind, owner_column);
    // A pinned actor (a DSP transfer, a federation pull naming its grant) reads under that grant
    // only: no other grant of its organization is the read's basis, field scope or audit entry.
    // The id is a typed UUID, so its text is safe inline.
    if let Some(pinned) = actor.grant {
        covers.push_str(&format!(" AND g.id = '{pinned}'"));
    }
    let grants = "grants g LEFT JOIN grant_terms gt ON gt.grant_id = g.id";
    let text = format!(
        // No derived table: the caller's filters then apply to the table itself and its indexes.
        // Every covering grant is listed (a line each: no pointer holds a control character and
        // JSON escapes them), so that a read may use the union of what they allow (`admit`).
        // `string_agg` is PostgreSQL's and SQLite's (3.44+) alike.
        "SELECT {columns}, (SELECT string_agg(g.id || '|' || g.level || '|' || COALESCE((SELECT gf.fields FROM grant_fields gf WHERE gf.grant_id = g.id), ''), '\n') \
         FROM {grants} WHERE {covers}) AS covering_grants \
         FROM {from} WHERE (r.{owner_column} = $1 OR ({public_condition}) OR $3 = 1 OR EXISTS (SELECT 1 FROM {grants} WHERE {covers}))"
    );
    Sql::new(
        &text,
        vec![
            Param::Text(me),
            Param::Int(now),
            Param::Int(auditor),
            Param::Text(purpose),
        ],
    )
}

/// SQL condition: grant `g` (joined with its terms `gt`) covers record `r` of `kind` for
/// organization `$1` at time `$2` with purpose `$4`: the owner's, of the kind, live, naming the
/// record or all of them, given to the organization, its purpose kept when enforced, the record
/// in its class, reads left. The one text of the rule, used by [`readable_from`] and by the
/// listing of what one grant covers ([`granted_record_ids`]).
fn covers(kind: RecordKind, owner_column: &str) -> String {
    format!(
        "g.owner_organization_id = r.{owner_column} AND g.record_kind = '{kind}' AND g.revoked_at IS NULL AND g.expires_at > $2 \
         AND (g.all_records = 1 OR EXISTS (SELECT 1 FROM grant_records gr WHERE gr.grant_id = g.id AND gr.record_id = r.id)) \
         AND {GRANTEE_IS_ME} \
         AND (gt.enforce_purpose IS NULL OR gt.enforce_purpose = 0 OR g.purpose = $4) \
         AND (gt.record_class IS NULL OR {class}) \
         AND NOT EXISTS (SELECT 1 FROM grant_reads gu WHERE gu.grant_id = g.id AND gu.reads_used >= gu.max_reads)",
        kind = kind.as_str(),
        class = class_condition(kind),
    )
}

/// The ids of the records grant `grant` covers for `actor` now, in id order after `after`, at
/// most `limit` (and whether more follow), with the grant's kind: what a grantee may pull when the
/// grant covers a whole kind or class rather than named records. A grant that is not live and
/// given to the actor's organization (with the purpose it enforces) is NotFound. Listing ids is
/// not a read of the records (each record read afterwards is audited and counted as usual), but
/// which records exist is restricted too: each listing is audited for the owner as a `list`
/// entry naming the grant, written before the ids are returned.
pub async fn granted_record_ids(
    store: &SqlStore,
    actor: &Actor,
    grant: GrantId,
    after: Option<&str>,
    limit: u32,
) -> StoreResult<(RecordKind, Vec<String>, bool)> {
    let me = actor.organization_id.map(|id| id.to_string()).unwrap_or_default();
    let now = micros(store.clock_now());
    let purpose = actor.purpose.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let hidden = || StoreError::NotFound {
        kind: RecordKind::Grant,
        id: grant.to_string(),
    };
    // $1 me, $2 now, $3 the grant, $4 the purpose (the numbering of `covers`).
    let live = format!(
        "SELECT g.record_kind, g.owner_organization_id FROM grants g LEFT JOIN grant_terms gt ON gt.grant_id = g.id \
         WHERE g.id = $3 AND g.revoked_at IS NULL AND g.expires_at > $2 AND {GRANTEE_IS_ME} \
         AND (gt.enforce_purpose IS NULL OR gt.enforce_purpose = 0 OR g.purpose = $4)"
    );
    let kind: Option<(String, String)> = sqlx::query_as(&live)
        .bind(me.clone())
        .bind(now)
        .bind(grant.to_string())
        .bind(purpose.clone())
        .fetch_optional(&store.reader)
        .await
        .map_err(unavailable)?;
    let Some((kind, owner)) = kind else {
        return Err(hidden());
    };
    let owner: OrganizationId = parsed(&owner, "organization id", str::parse)?;
    let kind: RecordKind = crate::rows::enum_value(&kind, "record kind")?;
    let Some((table, owner_column)) = record_table(kind) else {
        return Err(hidden());
    };
    let text = format!(
        "SELECT r.id FROM {table} r WHERE EXISTS (SELECT 1 FROM grants g LEFT JOIN grant_terms gt ON gt.grant_id = g.id \
         WHERE g.id = $3 AND {covers}) AND r.id > $5 ORDER BY r.id LIMIT $6",
        covers = covers(kind, owner_column),
    );
    let rows: Vec<(String,)> = sqlx::query_as(&text)
        .bind(me)
        .bind(now)
        .bind(grant.to_string())
        .bind(purpose)
        .bind(after.unwrap_or_default().to_owned())
        .bind(i64::from(limit) + 1)
        .fetch_all(&store.reader)
        .await
        .map_err(unavailable)?;
    let more = rows.len() > limit as usize;
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    AuditEntry::new(
        store,
        actor,
        AuditAction::List,
        RecordKind::Grant,
        &grant.to_string(),
        Some(owner),
        Some(grant),
    )
    .insert(&mut transaction)
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok((
        kind,
        rows.into_iter().take(limit as usize).map(|(id,)| id).collect(),
        more,
    ))
}

/// SQL condition: grant `g` is given to organization `$1` at time `$2`: by name, by a cycle role
/// it plays, by a scheme it holds a valid certification of, or by both a role and a scheme (a
/// standing rule's combined grantee). Shared with the grant listings (`grants.rs`).
pub const GRANTEE_IS_ME: &str = "((g.grantee_kind = 'organization' AND g.grantee_value = $1) \
    OR (g.grantee_kind = 'role' AND EXISTS (SELECT 1 FROM organization_roles orl WHERE orl.organization_id = $1 AND orl.role = g.grantee_value)) \
    OR (g.grantee_kind = 'certification' AND EXISTS (SELECT 1 FROM certifications c WHERE c.subject_organization_id = $1 \
        AND c.scheme = g.grantee_value AND c.revoked_at IS NULL AND c.valid_from <= $2 AND c.valid_until > $2)) \
    OR (g.grantee_kind = 'role_certification' AND EXISTS (SELECT 1 FROM organization_roles orl JOIN certifications c \
        ON c.subject_organization_id = orl.organization_id WHERE orl.organization_id = $1 \
        AND g.grantee_value = orl.role || ':' || c.scheme AND c.revoked_at IS NULL AND c.valid_from <= $2 AND c.valid_until > $2)))";

/// SQL condition: record `r` of `kind` belongs to the class `gt.record_class` of a grant's terms
/// (`RecordClass::to_stored`). Passports by profile; events by the GTIN of any identifier they
/// name (the canonical Digital Link of the class, or of a lot or instance under it), or by where
/// they happened (`facilities:own`: readPoint or bizLocation at a GLN of one of the event owner's
/// facilities, or a sub-location under it — the lineage through its facilities). Other kinds
/// have no classes (validation refuses them), so a class there covers nothing.
pub(crate) fn class_condition(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Passport => "gt.record_class = 'profile:' || r.profile",
        RecordKind::Event => {
            "(EXISTS (SELECT 1 FROM epcis_event_identifiers ci WHERE ci.event_seq = r.seq \
             AND gt.record_class LIKE 'gtin:%' AND (ci.value = 'https://id.gs1.org/01/' || substr(gt.record_class, 6) \
             OR ci.value LIKE 'https://id.gs1.org/01/' || substr(gt.record_class, 6) || '/%')) \
             OR (gt.record_class = 'facilities:own' AND EXISTS (SELECT 1 FROM facilities fc \
             WHERE fc.organization_id = r.owner_organization_id AND fc.gln IS NOT NULL \
             AND (r.read_point = 'https://id.gs1.org/414/' || fc.gln OR r.read_point LIKE 'https://id.gs1.org/414/' || fc.gln || '/%' \
             OR r.biz_location = 'https://id.gs1.org/414/' || fc.gln OR r.biz_location LIKE 'https://id.gs1.org/414/' || fc.gln || '/%'))))"
        }
        _ => "1 = 0",
    }
}

/// Why `actor` could read `row` (selected through [`readable`]) owned by `owner`.
pub fn basis_of(actor: &Actor, row: &AnyRow, owner: OrganizationId, is_public: bool) -> StoreResult<ReadBasis> {
    admit(actor, row, owner, is_public).map(|admitted| admitted.basis)
}

/// A read the rule allows: why, the grants it is made under and the fields they cover together
/// when they limit them (field scopes, `junkan_model::field_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// Why the read is allowed (under a grant: the strongest one used, at the highest level).
    pub basis: ReadBasis,
    /// The only fields the read may return (JSON Pointers), when its grants limit them.
    pub fields: Option<Vec<String>>,
    /// Every grant the read is made under (empty unless `basis` is a grant): each is named by an
    /// audit entry and counts the read.
    pub grants: Vec<GrantId>,
    /// The live grants covering the record, from which [`Admitted::at_level`] chooses again.
    covering: Vec<CoveringGrant>,
}

impl Admitted {
    /// The one projection of a record's content to the fields its grants cover: `value` (a
    /// passport's data after its level, an EPCIS event) keeps only those members, and the
    /// pointers of the members left out are returned (a member kept in part by the pointers
    /// hidden under it). Unchanged when the read is not limited to fields (owner, public,
    /// auditor, or a grant of every field).
    pub fn project(&self, value: &mut serde_json::Value) -> Vec<String> {
        let Some(fields) = &self.fields else {
            return Vec::new();
        };
        let (projected, withheld) = junkan_model::field_scope::project(value, fields);
        *value = projected;
        withheld
    }

    /// Whether this read withholds the value at any of `pointers` (whole or in part): a query
    /// filter on such a value must not match the record, or the reader could test a value it
    /// is not shown.
    pub fn hides_any(&self, pointers: &[&str]) -> bool {
        pointers.iter().any(|pointer| !self.shows(pointer))
    }

    /// Whether the value at `pointer` (e.g. `/action`, `/readPoint/id`) is returned whole by
    /// this read: the pointer is granted, or lies under a granted member.
    pub fn shows(&self, pointer: &str) -> bool {
        self.fields
            .as_ref()
            .is_none_or(|fields| junkan_model::field_scope::within(pointer, fields))
    }

    /// The same read made at `level` (a passport read at a lower level than the grants allow):
    /// every covering grant of at least that level may then contribute its fields.
    pub fn at_level(mut self, level: GrantLevel) -> Admitted {
        if matches!(self.basis, ReadBasis::Grant(..)) && !self.covering.is_empty() {
            let (grants, fields) = junkan_model::field_scope::merge_grants(&self.covering, level);
            if !grants.is_empty() {
                self.grants = grants;
                self.fields = fields;
            }
        }
        self
    }

    /// The audited reads of record `id` of `kind` owned by `owner` made by this read: one per
    /// grant it is made under (so each grant's entry names it and its count is raised), one for
    /// an auditor, none otherwise.
    pub fn reads(&self, kind: RecordKind, id: &str, owner: OrganizationId) -> Vec<RecordRead> {
        match self.basis {
            ReadBasis::Grant(_, level) => self
                .grants
                .iter()
                .map(|grant| RecordRead {
                    kind,
                    id: id.to_owned(),
                    owner,
                    basis: ReadBasis::Grant(*grant, level),
                })
                .collect(),
            ReadBasis::Auditor => vec![RecordRead {
                kind,
                id: id.to_owned(),
                owner,
                basis: ReadBasis::Auditor,
            }],
            ReadBasis::Owner | ReadBasis::Public => Vec::new(),
        }
    }
}

/// Why `actor` could read `row` (selected through [`readable`]) owned by `owner`, which grants
/// the read is made under and which fields they cover: the read rule and the field scope,
/// resolved together. A reader holding several live grants of the record reads the union of
/// what those of the highest level allow (`field_scope::merge_grants`); a pinned actor
/// (`Actor::grant`) has only that grant among them.
pub fn admit(actor: &Actor, row: &AnyRow, owner: OrganizationId, is_public: bool) -> StoreResult<Admitted> {
    let mut covering = Vec::new();
    for line in opt_text(row, "covering_grants")?.unwrap_or_default().lines() {
        let mut parts = line.splitn(3, '|');
        let id = parts.next().unwrap_or_default();
        let level = parts.next().unwrap_or_default();
        let fields = parts.next().unwrap_or_default();
        let id: GrantId = parsed(id, "grant id", str::parse)?;
        let level = GrantLevel::parse(level)
            .ok_or_else(|| StoreError::Unavailable(format!("stored grant level {level:?} is unknown").into()))?;
        let fields = if fields.is_empty() {
            None
        } else {
            Some(parsed(fields, "grant fields", |text| {
                serde_json::from_str::<Vec<String>>(text)
            })?)
        };
        covering.push(CoveringGrant { id, level, fields });
    }
    let highest = covering.iter().map(|grant| grant.level).max();
    let (grants, fields) = match highest {
        Some(level) => junkan_model::field_scope::merge_grants(&covering, level),
        None => (Vec::new(), None),
    };
    let strongest = grants.first().copied().zip(highest);
    let basis = read_basis(actor, owner, is_public, strongest)
        .ok_or_else(|| StoreError::Unavailable("a row selected as readable fails the read rule".into()))?;
    let by_grant = matches!(basis, ReadBasis::Grant(..));
    Ok(Admitted {
        fields: fields.filter(|_| by_grant),
        grants: if by_grant { grants } else { Vec::new() },
        covering: if by_grant { covering } else { Vec::new() },
        basis,
    })
}

/// One record read, for the audit log.
pub struct RecordRead {
    /// Kind of record.
    pub kind: RecordKind,
    /// Record id.
    pub id: String,
    /// Owner.
    pub owner: OrganizationId,
    /// Why the read was allowed.
    pub basis: ReadBasis,
}

/// Records every audited read in `reads` in one transaction. The caller returns data only after
/// this succeeds, so no restricted record leaves the store unaudited.
pub async fn audit_reads(store: &SqlStore, actor: &Actor, reads: &[RecordRead]) -> StoreResult<()> {
    let audited: Vec<ReadEntry<'_>> = reads
        .iter()
        .filter(|read| read.basis.is_audited())
        .map(|read| ReadEntry {
            kind: read.kind,
            id: &read.id,
            owner: read.owner.to_string(),
            grant: match read.basis {
                ReadBasis::Grant(id, _) => Some(id),
                _ => None,
            },
        })
        .collect();
    if audited.is_empty() {
        return Ok(());
    }
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    insert_reads(store, &mut transaction, actor, &audited).await?;
    transaction.commit().await.map_err(unavailable)
}

/// One read to audit: the record, its owner and the grant it was read under, if any.
pub struct ReadEntry<'a> {
    /// Kind of record.
    pub kind: RecordKind,
    /// Record id.
    pub id: &'a str,
    /// Owner (organization id).
    pub owner: String,
    /// The grant that allowed the read.
    pub grant: Option<GrantId>,
}

/// What [`insert_reads`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditedReads {
    /// Statements issued (without the caller's BEGIN and COMMIT).
    pub statements: usize,
    /// Entries appended to `audit_log`: one per owner, kind and grant of the records read.
    pub entries: usize,
    /// Distinct records the entries name.
    pub records: usize,
    /// Record sets stored for the first time, and their members.
    pub new_sets: usize,
    /// Members of the new sets.
    pub new_members: usize,
}

/// How many rows one multi-row statement inserts: at most five values each, far below both
/// engines' limits on bound values (32,766 on SQLite, 65,535 on PostgreSQL).
const ROWS_PER_INSERT: usize = 2000;

/// The reads of one request that share an entry: same kind, owner and grant.
struct ReadGroup<'a> {
    kind: RecordKind,
    owner: &'a str,
    grant: Option<String>,
    /// The records read, sorted and distinct once grouping is done.
    ids: Vec<&'a str>,
}

/// The id of a set of records: the lower-case hex SHA-256 of its ids (sorted, distinct), each
/// as its length in bytes (8 bytes, little-endian) and its bytes, so that no two sets share an
/// encoding (migration 0014).
fn record_set_id(sorted_ids: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for id in sorted_ids {
        hasher.update((id.len() as u64).to_le_bytes());
        hasher.update(id.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut text, byte| {
            use std::fmt::Write;
            write!(text, "{byte:02x}").expect("writing to a String cannot fail");
            text
        })
}

/// Appends the `read` entries of `actor` now for `reads` in the transaction of `connection`.
///
/// The reads are grouped by kind, owner and grant (purpose, request, actor and time are the
/// same for all): a group of one record is an entry naming that record, as every entry used
/// to; a larger group is one entry naming the set of its records, stored once under its content
/// hash with one row per member (`audit_record_sets`, `audit_record_set_members`) — written
/// here only when no earlier entry named the same set. The owner's audit listing expands each
/// entry into the records it names, so it still shows every record read, when, by whom and under
/// which grant; a record read twice by one request is one record of the entry. Each kind of row
/// is one multi-row statement per [`ROWS_PER_INSERT`] rows, with the placeholders each engine
/// binds cheaply (`bulk::Bulk`: with numbered ones, SQLite's binding cost grows with the square
/// of their number).
pub async fn insert_reads(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    reads: &[ReadEntry<'_>],
) -> StoreResult<AuditedReads> {
    let mut groups: Vec<ReadGroup<'_>> = Vec::new();
    let mut index: foldhash::HashMap<(RecordKind, &str, Option<GrantId>), usize> = foldhash::HashMap::default();
    for read in reads {
        let position = *index
            .entry((read.kind, read.owner.as_str(), read.grant))
            .or_insert_with(|| {
                groups.push(ReadGroup {
                    kind: read.kind,
                    owner: &read.owner,
                    grant: read.grant.map(|id| id.to_string()),
                    ids: Vec::new(),
                });
                groups.len() - 1
            });
        groups[position].ids.push(read.id);
    }
    let mut written = AuditedReads::default();
    // Each group's set id, when it has more than one record.
    let mut set_ids: Vec<Option<String>> = Vec::with_capacity(groups.len());
    for group in &mut groups {
        group.ids.sort_unstable();
        group.ids.dedup();
        written.records += group.ids.len();
        set_ids.push((group.ids.len() > 1).then(|| record_set_id(&group.ids)));
    }
    let sets: Vec<(usize, &str)> = set_ids
        .iter()
        .enumerate()
        .filter_map(|(position, set)| set.as_deref().map(|set| (position, set)))
        .collect();
    for chunk in sets.chunks(ROWS_PER_INSERT) {
        // A set another entry named is already stored with its members (in that entry's
        // transaction): only the sets inserted now get their members.
        let mut insert = Bulk::new(
            store.backend,
            "INSERT INTO audit_record_sets (id, record_count) VALUES ",
        );
        for (position, (group, set)) in chunk.iter().enumerate() {
            insert
                .push(if position == 0 { "(" } else { ", (" })
                .param(*set)
                .push(", ")
                .param(i64::try_from(groups[*group].ids.len()).unwrap_or(i64::MAX))
                .push(")");
        }
        insert.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
        let inserted: foldhash::HashSet<String> = insert
            .fetch_all(&mut *connection)
            .await
            .map_err(unavailable)?
            .iter()
            .map(|row| text(row, "id"))
            .collect::<StoreResult<_>>()?;
        written.statements += 1;
        written.new_sets += inserted.len();
        let members: Vec<(&str, &str)> = chunk
            .iter()
            .filter(|(_, set)| inserted.contains(*set))
            .flat_map(|(group, set)| groups[*group].ids.iter().map(move |id| (*set, *id)))
            .collect();
        written.new_members += members.len();
        for rows in members.chunks(ROWS_PER_INSERT) {
            let mut insert = Bulk::new(
                store.backend,
                "INSERT INTO audit_record_set_members (set_id, record_id) VALUES ",
            );
            for (position, (set, id)) in rows.iter().enumerate() {
                insert
                    .push(if position == 0 { "(" } else { ", (" })
                    .param(*set)
                    .push(", ")
                    .param(*id)
                    .push(")");
            }
            insert.execute(&mut *connection).await.map_err(unavailable)?;
            written.statements += 1;
        }
    }

    consume_reads(&mut *connection, &groups).await?;
    let at = micros(store.clock_now());
    let actor_organization = actor.organization_id.map(|id| id.to_string());
    let entries: Vec<(&ReadGroup<'_>, Option<&str>)> =
        groups.iter().zip(set_ids.iter().map(Option::as_deref)).collect();
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut insert = Bulk::new(
            store.backend,
            "INSERT INTO audit_log (at, actor_kind, actor_id, actor_organization_id, action, purpose, request_id, \
             record_kind, record_id, owner_organization_id, grant_id, record_set_id) SELECT ",
        );
        insert
            .param(at)
            .push(", ")
            .param(actor.kind.as_str())
            .push(", ")
            .param(actor.principal_id.as_str())
            .push(", ")
            .param(actor_organization.as_deref())
            .push(", ")
            .param(AuditAction::Read.as_str())
            .push(", ")
            .param(actor.purpose.as_deref())
            .push(", ")
            .param(actor.request_id.as_deref())
            // The columns of a VALUES list are column1, column2, ... on both engines.
            .push(", v.column1, v.column2, v.column3, v.column4, v.column5 FROM (VALUES ");
        for (position, (group, set)) in chunk.iter().enumerate() {
            insert
                .push(if position == 0 { "(" } else { ", (" })
                .param(group.kind.as_str())
                .push(", ")
                // An entry names its one record or its set.
                .param(set.is_none().then(|| group.ids[0]))
                .push(", ")
                .param(group.owner)
                .push(", ")
                .param(group.grant.as_deref())
                .push(", ")
                .param(*set)
                .push(")");
        }
        insert.push(") AS v");
        insert.execute(&mut *connection).await.map_err(unavailable)?;
        written.statements += 1;
    }
    written.entries = groups.len();
    Ok(written)
}

/// Counts the reads of each group made under a grant with a read limit (`grant_reads`), in the
/// transaction that audits them: one conditional UPDATE per grant adds the group's records only
/// while the sum stays within the limit. PostgreSQL re-checks the condition on the row it locked
/// and SQLite has one writer, so concurrent readers cannot exceed the limit on either engine; a
/// request that would is refused as a whole (its transaction, audit entries included, rolls
/// back), and the grant covers nothing once its reads are used up (`readable`).
async fn consume_reads(connection: &mut AnyConnection, groups: &[ReadGroup<'_>]) -> StoreResult<()> {
    for group in groups {
        let Some(grant) = &group.grant else { continue };
        let count = i64::try_from(group.ids.len()).unwrap_or(i64::MAX);
        let updated = sqlx::query(
            "UPDATE grant_reads SET reads_used = reads_used + $2 WHERE grant_id = $1 AND reads_used + $2 <= max_reads",
        )
        .bind(grant.clone())
        .bind(count)
        .execute(&mut *connection)
        .await
        .map_err(unavailable)?
        .rows_affected();
        if updated == 0 {
            let limited: Option<(i64, i64)> =
                sqlx::query_as("SELECT max_reads, reads_used FROM grant_reads WHERE grant_id = $1")
                    .bind(grant.clone())
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(unavailable)?;
            if let Some((max_reads, reads_used)) = limited {
                return Err(StoreError::Forbidden {
                    reason: format!(
                        "grant {grant} allows {max_reads} record reads and {} are left; this request reads {count} \
                         (ask for fewer records per page, or for a new grant)",
                        (max_reads - reads_used).max(0)
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Appends one entry to the audit log inside the caller's transaction and, for a write, the
/// record's leaf of the tamper-evident log (`log::append_record`): call it after the record's
/// rows are written.
#[expect(
    clippy::too_many_arguments,
    reason = "an audit entry has this many facts; a struct would only rename them"
)]
pub async fn record(
    store: &SqlStore,
    connection: &mut AnyConnection,
    actor: &Actor,
    action: AuditAction,
    kind: RecordKind,
    record_id: &str,
    owner: Option<OrganizationId>,
    grant: Option<GrantId>,
) -> StoreResult<()> {
    AuditEntry::new(store, actor, action, kind, record_id, owner, grant)
        .insert(connection)
        .await?;
    // The one place every sqlx write reaches: its leaf of the tamper-evident log.
    crate::log::append_record(store, connection, action, kind, record_id, owner).await
}

/// One row of `audit_log`, as every write path stores it (the sqlx one of [`record`] and the
/// embedded capture writer's).
#[derive(Clone)]
pub struct AuditEntry {
    pub at: i64,
    pub actor_kind: &'static str,
    pub actor_id: String,
    pub actor_organization_id: Option<String>,
    pub action: &'static str,
    pub record_kind: &'static str,
    pub record_id: String,
    pub owner_organization_id: Option<String>,
    pub grant_id: Option<String>,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// The statement, its values in field order.
    pub const INSERT: &'static str =
        "INSERT INTO audit_log (at, actor_kind, actor_id, actor_organization_id, action, record_kind, record_id, \
         owner_organization_id, grant_id, purpose, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

    /// Writes the entry through sqlx, in the transaction of `connection`.
    pub async fn insert(self, connection: &mut AnyConnection) -> StoreResult<()> {
        sqlx::query(AuditEntry::INSERT)
            .bind(self.at)
            .bind(self.actor_kind)
            .bind(self.actor_id)
            .bind(self.actor_organization_id)
            .bind(self.action)
            .bind(self.record_kind)
            .bind(self.record_id)
            .bind(self.owner_organization_id)
            .bind(self.grant_id)
            .bind(self.purpose)
            .bind(self.request_id)
            .execute(connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// What `actor` did now with record `record_id`.
    pub fn new(
        store: &SqlStore,
        actor: &Actor,
        action: AuditAction,
        kind: RecordKind,
        record_id: &str,
        owner: Option<OrganizationId>,
        grant: Option<GrantId>,
    ) -> AuditEntry {
        AuditEntry {
            at: micros(store.clock_now()),
            actor_kind: actor.kind.as_str(),
            actor_id: actor.principal_id.clone(),
            actor_organization_id: actor.organization_id.map(|id| id.to_string()),
            action: action.as_str(),
            record_kind: kind.as_str(),
            record_id: record_id.to_owned(),
            owner_organization_id: owner.map(|id| id.to_string()),
            grant_id: grant.map(|id| id.to_string()),
            purpose: actor.purpose.clone(),
            request_id: actor.request_id.clone(),
        }
    }
}

/// Marks record `id` of `table` revoked now, unless it already was, and audits the revocation, in
/// one transaction. Returns the time to report (the earlier revocation wins).
pub async fn revoke(
    store: &SqlStore,
    actor: &Actor,
    table: &'static str,
    kind: RecordKind,
    id: &str,
    owner: OrganizationId,
    already_revoked_at: Option<time::OffsetDateTime>,
) -> StoreResult<time::OffsetDateTime> {
    let now = store.clock_now();
    let mut transaction = store.writer.begin().await.map_err(unavailable)?;
    sqlx::query(&format!(
        "UPDATE {table} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
    ))
    .bind(id.to_owned())
    .bind(micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(unavailable)?;
    record(
        store,
        &mut transaction,
        actor,
        AuditAction::Revoke,
        kind,
        id,
        Some(owner),
        None,
    )
    .await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(already_revoked_at.unwrap_or(now))
}

/// The table and owner column of a kind of record grants may cover (`RecordKind::is_grantable`).
pub fn record_table(kind: RecordKind) -> Option<(&'static str, &'static str)> {
    match kind {
        RecordKind::Event => Some(("epcis_events", "owner_organization_id")),
        RecordKind::Facility => Some(("facilities", "organization_id")),
        RecordKind::Passport => Some(("passports", "owner_organization_id")),
        RecordKind::Footprint => Some(("footprints", "owner_organization_id")),
        RecordKind::MaterialFlow => Some(("material_flows", "owner_organization_id")),
        RecordKind::IndicatorValue => Some(("indicator_values", "owner_organization_id")),
        RecordKind::IndicatorTarget => Some(("indicator_targets", "owner_organization_id")),
        RecordKind::Ledger => Some(("ledgers", "owner_organization_id")),
        _ => None,
    }
}

/// Refuses with `Forbidden` unless `allowed`.
pub fn require(allowed: bool, reason: &str) -> StoreResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(StoreError::Forbidden {
            reason: reason.to_owned(),
        })
    }
}
