//! EPCIS events as the platform stores them: the event as sent (JSON-LD), its canonical hash and
//! id, and the facts queries and lineage need, with every identifier in canonical form.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{CaptureId, OrganizationId};
use crate::validation::Violation;

/// What an identifier is to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierRole {
    /// In epcList.
    Epc,
    /// parentID.
    Parent,
    /// In childEPCs.
    Child,
    /// In inputEPCList.
    Input,
    /// In outputEPCList.
    Output,
    /// epcClass in quantityList.
    Quantity,
    /// epcClass in childQuantityList.
    ChildQuantity,
    /// epcClass in inputQuantityList.
    InputQuantity,
    /// epcClass in outputQuantityList.
    OutputQuantity,
    /// A source of a transfer.
    Source,
    /// A destination of a transfer.
    Destination,
    /// A business transaction.
    BizTransaction,
}

impl IdentifierRole {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierRole::Epc => "epc",
            IdentifierRole::Parent => "parent",
            IdentifierRole::Child => "child",
            IdentifierRole::Input => "input",
            IdentifierRole::Output => "output",
            IdentifierRole::Quantity => "quantity",
            IdentifierRole::ChildQuantity => "child_quantity",
            IdentifierRole::InputQuantity => "input_quantity",
            IdentifierRole::OutputQuantity => "output_quantity",
            IdentifierRole::Source => "source",
            IdentifierRole::Destination => "destination",
            IdentifierRole::BizTransaction => "biz_transaction",
        }
    }

    /// Roles of instance-level identifiers (EPCs), as matched by `MATCH_anyEPC`.
    pub const INSTANCE: [IdentifierRole; 5] = [
        IdentifierRole::Epc,
        IdentifierRole::Parent,
        IdentifierRole::Child,
        IdentifierRole::Input,
        IdentifierRole::Output,
    ];

    /// Roles of class-level identifiers, as matched by `MATCH_anyEPCClass`.
    pub const CLASS: [IdentifierRole; 4] = [
        IdentifierRole::Quantity,
        IdentifierRole::ChildQuantity,
        IdentifierRole::InputQuantity,
        IdentifierRole::OutputQuantity,
    ];
}

/// An identifier of an event, canonical (GS1 keys as Digital Link on id.gs1.org).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventIdentifier {
    /// What it is to the event.
    pub role: IdentifierRole,
    /// Canonical value.
    pub value: String,
    /// Quantity, for quantity-list entries (exact decimal text as sent).
    #[serde(default)]
    pub quantity: Option<String>,
    /// Unit of the quantity (UN/CEFACT Rec 20 code, e.g. `KGM`).
    #[serde(default)]
    pub uom: Option<String>,
}

/// An event ready to be stored: prepared (validated, hashed, indexed) by `junkan-epcis`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapturedEvent {
    /// The eventID as sent, or the event hash when none was sent.
    pub event_id: String,
    /// CBV 2.0 event hash.
    pub event_hash: String,
    /// ObjectEvent, AggregationEvent, ...
    pub event_type: String,
    /// When it happened.
    pub event_time: OffsetDateTime,
    /// action, when the type has one.
    pub action: Option<String>,
    /// Canonical bizStep URI.
    pub biz_step: Option<String>,
    /// Canonical disposition URI.
    pub disposition: Option<String>,
    /// Canonical readPoint id.
    pub read_point: Option<String>,
    /// Canonical bizLocation id.
    pub biz_location: Option<String>,
    /// Every identifier with its role.
    pub identifiers: Vec<EventIdentifier>,
    /// The event as sent (JSON-LD), with `eventID` filled in when it was missing.
    pub body: serde_json::Value,
    /// The `@context` of the document it came in.
    pub context: serde_json::Value,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The event.
    pub event: CapturedEvent,
    /// The organization that captured it.
    pub owner_organization_id: OrganizationId,
    /// The capture job it came in.
    pub capture_id: CaptureId,
    /// When the repository recorded it.
    pub record_time: OffsetDateTime,
    /// Its position in the repository's capture order (increasing, never reused).
    pub sequence: i64,
}

/// A field whose distinct values the EPCIS resource endpoints list (`/eventTypes`, `/epcs`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventField {
    /// Event type.
    EventType,
    /// Instance-level identifiers (EPCs in any role).
    Epc,
    /// bizStep.
    BizStep,
    /// bizLocation.
    BizLocation,
    /// readPoint.
    ReadPoint,
    /// disposition.
    Disposition,
}

/// What happens to the valid events of a document when some are invalid (GS1-Capture-Error-Behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptureErrorBehaviour {
    /// Nothing is stored (the default).
    Rollback,
    /// The valid events are stored.
    Proceed,
}

/// A capture job as the EPCIS REST binding shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptureJob {
    /// Capture id.
    #[serde(rename = "captureID")]
    #[schema(value_type = String)]
    pub capture_id: CaptureId,
    /// When the job was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Whether it still runs.
    pub running: bool,
    /// Whether no error occurred.
    pub success: bool,
    /// The behaviour asked for.
    pub capture_error_behaviour: CaptureErrorBehaviour,
    /// Every error, with its location in the document.
    pub errors: Vec<Violation>,
    /// Events stored by this job.
    pub captured_count: u64,
    /// Events of the document that were already stored (same eventID or hash) and were skipped.
    pub duplicate_count: u64,
    /// Organization that captured.
    #[serde(skip)]
    pub owner_organization_id: Option<OrganizationId>,
    /// The Merkle tree hash (RFC 9162) over the digests of the events this capture stored, in
    /// capture order, as the tamper-evident log committed to it; set by the capture itself
    /// when the log is on (what a signed capture's credential states), `None` when read back.
    #[serde(skip)]
    #[schema(ignore)]
    pub events_root: Option<[u8; 32]>,
}

/// The filters of an event query (a subset of the EPCIS query parameters, all in canonical form).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    /// Only these event types.
    pub event_types: Vec<String>,
    /// eventTime >= this.
    pub ge_event_time: Option<OffsetDateTime>,
    /// eventTime < this.
    pub lt_event_time: Option<OffsetDateTime>,
    /// recordTime >= this.
    pub ge_record_time: Option<OffsetDateTime>,
    /// recordTime < this.
    pub lt_record_time: Option<OffsetDateTime>,
    /// action in these.
    pub actions: Vec<String>,
    /// bizStep in these (canonical URIs).
    pub biz_steps: Vec<String>,
    /// disposition in these (canonical URIs).
    pub dispositions: Vec<String>,
    /// readPoint in these (canonical).
    pub read_points: Vec<String>,
    /// bizLocation in these (canonical).
    pub biz_locations: Vec<String>,
    /// Identifier filters; all must hold.
    pub identifiers: Vec<IdentifierFilter>,
    /// eventID in these.
    pub event_ids: Vec<String>,
    /// readPoint is one of these or below one of them (`WD_readPoint`: `{value}/...`).
    pub read_points_within: Vec<String>,
    /// bizLocation is one of these or below one of them (`WD_bizLocation`).
    pub biz_locations_within: Vec<String>,
    /// Result order (`orderBy`, `orderDirection`); `None` is capture order.
    pub order: Option<EventOrder>,
    /// Conditions on the event body that no column holds (quantities, error declarations,
    /// sensor data, extension fields), checked after the indexed filters.
    pub residual: Option<EventPredicate>,
}

/// The field results are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    /// eventTime.
    EventTime,
    /// recordTime.
    RecordTime,
}

/// A result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventOrder {
    /// The key.
    pub field: OrderField,
    /// Newest first (the binding's default when `orderBy` is given).
    pub descending: bool,
}

/// A condition on a whole event, built by the EPCIS query reader.
#[derive(Clone)]
pub struct EventPredicate(pub std::sync::Arc<dyn Fn(&CapturedEvent) -> bool + Send + Sync>);

impl EventPredicate {
    /// Whether `event` meets the condition.
    pub fn matches(&self, event: &CapturedEvent) -> bool {
        (self.0)(event)
    }
}

impl std::fmt::Debug for EventPredicate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("EventPredicate(..)")
    }
}

impl PartialEq for EventPredicate {
    fn eq(&self, other: &EventPredicate) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// An identifier filter: the event has, in one of `roles`, one of `values` or an identifier
/// starting with one of `prefixes` (patterns such as every serial of a GTIN).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentifierFilter {
    /// Roles to look in.
    pub roles: Vec<IdentifierRole>,
    /// Exact canonical values.
    pub values: Vec<String>,
    /// Canonical prefixes, each ending in `/`.
    pub prefixes: Vec<String>,
}

/// What the caller knows of one event touching the traced identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct LineageEvent {
    /// eventID.
    pub event_id: String,
    /// Event type.
    pub event_type: String,
    /// When it happened.
    pub event_time: OffsetDateTime,
    /// Canonical bizStep.
    pub biz_step: Option<String>,
    /// action.
    pub action: Option<String>,
    /// Owner organization.
    pub owner: OrganizationId,
    /// Owner's name (Japanese), shown even when the event is withheld.
    pub owner_name: String,
    /// Whether the caller may read the event.
    pub readable: bool,
    /// The event's identifiers with roles and quantities.
    pub identifiers: Vec<EventIdentifier>,
}
