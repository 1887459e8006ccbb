//! Identifier newtypes: one type per kind of record, so that an organization id can never be passed
//! where a facility id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) identifier.
            pub fn generate() -> Self {
                $name(Uuid::now_v7())
            }

            /// An identifier derived deterministically from `name` (UUID v5), for reproducible data.
            pub fn derived(name: &str) -> Self {
                $name(Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("urn:junkan:{}:{name}", stringify!($name)).as_bytes()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(formatter)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map($name)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

uuid_id!(
    /// Identifies an organization (participant).
    OrganizationId
);
uuid_id!(
    /// Identifies a facility or plant of an organization.
    FacilityId
);
uuid_id!(
    /// Identifies a user account (a person who signs in with a password).
    UserId
);
uuid_id!(
    /// Identifies an OAuth client credential (machine-to-machine access).
    ClientId
);
uuid_id!(
    /// Identifies an API key.
    ApiKeyId
);
uuid_id!(
    /// Identifies an access grant.
    GrantId
);
uuid_id!(
    /// Identifies a certification of an organization recorded by a certifier.
    CertificationId
);
uuid_id!(
    /// Identifies a conformity certificate (適合性証明) a certifier issued about a record.
    CertificateId
);
uuid_id!(
    /// Identifies an EPCIS capture job.
    CaptureId
);
uuid_id!(
    /// Identifies an EPCIS query subscription.
    SubscriptionId
);
uuid_id!(
    /// Identifies a product or material passport.
    PassportId
);
uuid_id!(
    /// Identifies a product carbon footprint (PACT `id`; a changed footprint gets a new one).
    FootprintId
);
uuid_id!(
    /// Identifies a PACT partner registered on the node.
    PactPartnerId
);
uuid_id!(
    /// Identifies one version of a material-flow record (物質フロー); a correction gets a new one.
    MaterialFlowId
);
uuid_id!(
    /// Identifies one version of a stored indicator value (指標値); a correction gets a new one.
    IndicatorValueId
);
uuid_id!(
    /// Identifies one version of an indicator target (目標値); a correction gets a new one.
    IndicatorTargetId
);
uuid_id!(
    /// Identifies a chain-of-custody ledger (CoC 台帳) of one facility, material and period.
    LedgerId
);
uuid_id!(
    /// Identifies an input lot entered in a chain-of-custody ledger.
    LedgerInputId
);
uuid_id!(
    /// Identifies a claim (再生材含有の主張) made in a chain-of-custody ledger for an output lot.
    LedgerClaimId
);
uuid_id!(
    /// Identifies a Circular Partners membership application (サーキュラーパートナーズ入会申請) and,
    /// once approved, the membership.
    MembershipId
);
uuid_id!(
    /// Identifies a Circular Partners target (CPs 目標) across its versions; each edit is a new
    /// version under the same id.
    PartnerTargetId
);
uuid_id!(
    /// Identifies a follow-up (フォローアップ) report on one Circular Partners target.
    FollowUpId
);
uuid_id!(
    /// Identifies an access request (アクセス申請) of one organization to another.
    AccessRequestId
);
uuid_id!(
    /// Identifies a dataset offer (データセットの提供) an organization publishes in the catalog.
    DatasetOfferId
);
uuid_id!(
    /// Identifies a Dataspace Protocol contract negotiation (契約交渉) on this node; its process id
    /// (`providerPid` or `consumerPid`) is `urn:uuid:<id>`.
    NegotiationId
);
uuid_id!(
    /// Identifies a Dataspace Protocol transfer process (データ転送) on this node.
    TransferId
);
uuid_id!(
    /// Identifies a peer node (連携ノード) registered on this node.
    PeerId
);
uuid_id!(
    /// Identifies an access request this node's organization sent to a peer node.
    RemoteRequestId
);
uuid_id!(
    /// Identifies a record received from a peer node with its credential.
    ReceivedRecordId
);
