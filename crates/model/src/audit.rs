//! The audit log: an append-only record of who read or changed which restricted record, when,
//! under which grant and why.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::access::RecordKind;
use crate::ids::{GrantId, OrganizationId};
use crate::principal::PrincipalKind;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A restricted record was read by someone other than its owner.
    Read,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was revoked or deleted.
    Revoke,
    /// 一覧 / the ids of the records a grant covers were listed by its grantee (a federation or
    /// Dataspace Protocol pull): which records exist is itself restricted, so the owner sees it.
    List,
}

impl AuditAction {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Read => "read",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Revoke => "revoke",
            AuditAction::List => "list",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<AuditAction> {
        [
            AuditAction::Read,
            AuditAction::Create,
            AuditAction::Update,
            AuditAction::Revoke,
            AuditAction::List,
        ]
        .into_iter()
        .find(|action| action.as_str() == text)
    }
}

/// One record read or changed, as the audit log tells it. The reads of one request of several
/// records of one owner under one grant are stored as one entry; it is listed as one item per
/// record, all with the entry's sequence, time, actor, grant, purpose and request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position of the entry in the log (increasing; the items of one entry share it, ordered by
    /// record id).
    pub sequence: i64,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Kind of principal that acted.
    pub actor_kind: PrincipalKind,
    /// Principal id that acted.
    pub actor_id: String,
    /// Organization the principal acted for.
    pub actor_organization_id: Option<OrganizationId>,
    /// What was done.
    pub action: AuditAction,
    /// Kind of record.
    pub record_kind: RecordKind,
    /// Record id.
    pub record_id: String,
    /// Owner of the record.
    pub owner_organization_id: Option<OrganizationId>,
    /// Grant the read relied on, if any.
    pub grant_id: Option<GrantId>,
    /// Purpose the caller gave.
    pub purpose: Option<String>,
    /// Request id of the HTTP request.
    pub request_id: Option<String>,
}

/// Filters for reading the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries about records of this owner.
    pub owner_organization_id: Option<OrganizationId>,
    /// Only entries about this record.
    pub record_id: Option<String>,
    /// Only entries of this action.
    pub action: Option<AuditAction>,
    /// Only reads under this grant.
    pub grant_id: Option<GrantId>,
    /// Only entries of principals acting for this organization (the reader).
    pub actor_organization_id: Option<OrganizationId>,
    /// Only entries at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only entries before this time.
    pub until: Option<OffsetDateTime>,
}
