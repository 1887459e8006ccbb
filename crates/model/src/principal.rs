//! Who is calling: principals (users, OAuth clients, API keys), their roles, and the [`Actor`] every
//! store operation receives, so that access is decided below the HTTP layer.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{ApiKeyId, ClientId, GrantId, OrganizationId, UserId};
use crate::validation::{check_text, Violation, Violations};

/// A role a principal holds on the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// ノード管理者 / node administrator: registers organizations and their first administrators.
    /// Does not by that role read other organizations' restricted records.
    NodeAdmin,
    /// 組織管理者 / organization administrator: manages its organization's users, clients and grants.
    OrgAdmin,
    /// 組織メンバー / organization member: reads and writes its organization's records.
    Member,
    /// 監査者・当局 / auditor or authority: reads every record; every such read is audited.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::NodeAdmin, Role::OrgAdmin, Role::Member, Role::Auditor];

    /// The stable text form used in storage and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::NodeAdmin => "node_admin",
            Role::OrgAdmin => "org_admin",
            Role::Member => "member",
            Role::Auditor => "auditor",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// The kind of principal behind a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person signed in with a password (session cookie or token).
    User,
    /// An OAuth 2.0 client (client credentials grant).
    Client,
    /// A script using an API key.
    ApiKey,
    /// Nobody signed in.
    Anonymous,
    /// An organization of a peer node, acting through its node with a request signed by the
    /// organization's key (RFC 9421); `principal_id` is the key's DID URL.
    RemoteOrganization,
}

impl PrincipalKind {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Client => "client",
            PrincipalKind::ApiKey => "api_key",
            PrincipalKind::Anonymous => "anonymous",
            PrincipalKind::RemoteOrganization => "remote_organization",
        }
    }
}

/// The caller of a store operation, established by authentication. Every store method that reads
/// or changes organization data takes one; there is no way around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Kind of principal.
    pub kind: PrincipalKind,
    /// Principal id (user, client or API key id as text); empty for anonymous callers.
    pub principal_id: String,
    /// Organization the principal acts for; `None` for anonymous callers.
    pub organization_id: Option<OrganizationId>,
    /// Roles held.
    pub roles: Vec<Role>,
    /// Why the caller reads (e.g. `recycling`), recorded in the audit log.
    pub purpose: Option<String>,
    /// Request id, recorded in the audit log.
    pub request_id: Option<String>,
    /// The one grant the actor reads under, when pinned: a read made under a DSP agreement or a
    /// federation pull uses that grant only (its fields, level, audit entry and read count), not
    /// the strongest of the grants the organization holds. `None` for every other caller.
    pub grant: Option<GrantId>,
}

impl Actor {
    /// The anonymous public.
    pub fn anonymous() -> Actor {
        Actor {
            kind: PrincipalKind::Anonymous,
            principal_id: String::new(),
            organization_id: None,
            roles: Vec::new(),
            purpose: None,
            request_id: None,
            grant: None,
        }
    }

    /// The node itself, acting as node administrator (for `junkan admin` and the demo loader).
    pub fn system() -> Actor {
        Actor {
            kind: PrincipalKind::User,
            principal_id: "system".to_owned(),
            organization_id: None,
            roles: vec![Role::NodeAdmin],
            purpose: Some("administration".to_owned()),
            request_id: None,
            grant: None,
        }
    }

    /// Whether the actor holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the actor belongs to `organization`.
    pub fn belongs_to(&self, organization: OrganizationId) -> bool {
        self.organization_id == Some(organization)
    }

    /// Whether the actor may manage users, clients and grants of `organization`.
    pub fn administers(&self, organization: OrganizationId) -> bool {
        self.has_role(Role::NodeAdmin) || (self.belongs_to(organization) && self.has_role(Role::OrgAdmin))
    }

    /// Whether the actor may create and change records owned by `organization`.
    pub fn writes_for(&self, organization: OrganizationId) -> bool {
        self.belongs_to(organization) && (self.has_role(Role::OrgAdmin) || self.has_role(Role::Member))
    }

    /// Checks that the actor may give `roles` to a principal of `organization`: organization
    /// administrators give `org_admin` and `member` within their organization; only node
    /// administrators give `node_admin` and `auditor`.
    pub fn check_can_assign(&self, organization: OrganizationId, roles: &[Role]) -> Result<(), String> {
        if !self.administers(organization) {
            return Err(
                "only this organization's administrators or a node administrator manage its principals".to_owned(),
            );
        }
        if let Some(role) = roles
            .iter()
            .find(|role| matches!(role, Role::NodeAdmin | Role::Auditor))
        {
            if !self.has_role(Role::NodeAdmin) {
                return Err(format!("only a node administrator may give the role {}", role.as_str()));
            }
        }
        Ok(())
    }
}

/// A user account as shown (never with its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Organization the user belongs to.
    pub organization_id: OrganizationId,
    /// Sign-in name, unique on the node.
    pub username: String,
    /// Name shown in the interface.
    pub display_name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Preferred interface language: `ja` or `en`.
    pub locale: String,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A request to create a user.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Sign-in name: 3-64 characters of letters, digits, `.`, `_`, `-`, `@`.
    pub username: String,
    /// Name shown in the interface.
    pub display_name: String,
    /// Password, at least 12 characters.
    pub password: String,
    /// Roles; `member` when absent.
    #[serde(default = "default_roles")]
    pub roles: Vec<Role>,
    /// Preferred language, `ja` (default) or `en`.
    #[serde(default = "default_locale")]
    pub locale: String,
}

fn default_roles() -> Vec<Role> {
    vec![Role::Member]
}

fn default_locale() -> String {
    "ja".to_owned()
}

impl NewUser {
    /// Checks every rule and returns every violation.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        let username_ok = (3..=64).contains(&self.username.len())
            && self
                .username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
        if !username_ok {
            violations.push(
                "/username",
                "must be 3-64 characters of letters, digits, '.', '_', '-' and '@'",
            );
        }
        violations.check("/display_name", check_text(&self.display_name, 100));
        let password_length = self.password.chars().count();
        if password_length < 12 {
            violations.push(
                "/password",
                format!("must be at least 12 characters, got {password_length}"),
            );
        } else if password_length > 256 {
            violations.push("/password", "must be at most 256 characters");
        }
        check_roles(&mut violations, &self.roles);
        if !matches!(self.locale.as_str(), "ja" | "en") {
            violations.push("/locale", "must be ja or en");
        }
        violations.into_result()
    }
}

/// An OAuth client credential as shown (the secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ClientCredential {
    /// Identifier (also the OAuth `client_id`).
    pub id: ClientId,
    /// Organization the client acts for.
    pub organization_id: OrganizationId,
    /// What the client is for.
    pub name: String,
    /// Roles tokens of this client carry.
    pub roles: Vec<Role>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A request to create an OAuth client or an API key.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    /// What it is for, 1-100 characters.
    pub name: String,
    /// Roles it carries; `member` when absent.
    #[serde(default = "default_roles")]
    pub roles: Vec<Role>,
    /// When it stops working (API keys only; clients live until revoked).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl NewCredential {
    /// Checks every rule and returns every violation.
    pub fn validate(&self, now: OffsetDateTime) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/name", check_text(&self.name, 100));
        check_roles(&mut violations, &self.roles);
        if self.expires_at.is_some_and(|expires_at| expires_at <= now) {
            violations.push("/expires_at", "must be in the future");
        }
        violations.into_result()
    }
}

/// An API key as shown (the key itself is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ApiKey {
    /// Identifier.
    pub id: ApiKeyId,
    /// Organization the key acts for.
    pub organization_id: OrganizationId,
    /// What it is for.
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// Roles it carries.
    pub roles: Vec<Role>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

fn check_roles(violations: &mut Violations, roles: &[Role]) {
    if roles.is_empty() {
        violations.push("/roles", "must name at least one role");
    }
    for (index, role) in roles.iter().enumerate() {
        if roles[..index].contains(role) {
            violations.push(format!("/roles/{index}"), format!("{} is listed twice", role.as_str()));
        }
    }
}
