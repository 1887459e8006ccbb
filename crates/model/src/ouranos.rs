//! The Ouranos data transaction records (Ouranos Ecosystem データ流通システム API 3.0.0,
//! `testdata/ouranos/openapi.yaml`): operators' extra attributes, plants' extra attributes, parts
//! (部品) with their deterministic trace ids, two-level parts structures (部品構成), trades
//! (取引関係) with their request status (依頼ステータス), and CFP certification metadata.
//!
//! Operators are junkan organizations (`operatorId` = organization id, `openOperatorId` = 法人番号)
//! and plants are junkan facilities (`plantId` = facility id, `openPlantId` = the facility's
//! Ouranos plant id). Only what the directory does not hold lives here.

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::ids::{FacilityId, OrganizationId};

/// Namespace of trace ids (UUID v5 of `urn:junkan:ouranos:trace-id`).
fn trace_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:junkan:ouranos:trace-id")
}

/// The trace id (トレース識別子) of a part: the same operator, plant, part name (部品項目) and
/// auxiliary name (補助項目) always give the same id, and any change gives another. Each component
/// is length-prefixed so that no two different tuples share an input. A missing auxiliary name and
/// an empty one are the same (the reference treats both as "no auxiliary name").
pub fn trace_id(
    operator: OrganizationId,
    plant: FacilityId,
    parts_name: &str,
    support_parts_name: Option<&str>,
) -> Uuid {
    let support = support_parts_name.unwrap_or("");
    let mut name = String::new();
    for part in [
        operator.to_string().as_str(),
        plant.to_string().as_str(),
        parts_name,
        support,
    ] {
        name.push_str(&format!("{}:{part};", part.len()));
    }
    Uuid::new_v5(&trace_namespace(), name.as_bytes())
}

/// Ouranos `amountRequiredUnit` (活動量単位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmountUnit {
    /// liter
    Liter,
    /// kilogram
    Kilogram,
    /// cubic-meter
    CubicMeter,
    /// kilowatt-hour
    KilowattHour,
    /// megajoule
    Megajoule,
    /// ton-kilometer
    TonKilometer,
    /// square-meter
    SquareMeter,
    /// unit
    Unit,
}

impl AmountUnit {
    /// Every unit, in the OpenAPI file's order.
    pub const ALL: [AmountUnit; 8] = [
        AmountUnit::Liter,
        AmountUnit::Kilogram,
        AmountUnit::CubicMeter,
        AmountUnit::KilowattHour,
        AmountUnit::Megajoule,
        AmountUnit::TonKilometer,
        AmountUnit::SquareMeter,
        AmountUnit::Unit,
    ];

    /// The Ouranos name.
    pub fn as_str(self) -> &'static str {
        match self {
            AmountUnit::Liter => "liter",
            AmountUnit::Kilogram => "kilogram",
            AmountUnit::CubicMeter => "cubic-meter",
            AmountUnit::KilowattHour => "kilowatt-hour",
            AmountUnit::Megajoule => "megajoule",
            AmountUnit::TonKilometer => "ton-kilometer",
            AmountUnit::SquareMeter => "square-meter",
            AmountUnit::Unit => "unit",
        }
    }

    /// Parses an Ouranos name.
    pub fn parse(text: &str) -> Option<AmountUnit> {
        AmountUnit::ALL.into_iter().find(|unit| unit.as_str() == text)
    }
}

/// An operator (事業者) as Ouranos shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// `operatorId`: the organization.
    pub operator_id: OrganizationId,
    /// `openOperatorId`: 法人番号.
    pub open_operator_id: String,
    /// `operatorName`.
    pub operator_name: String,
    /// `operatorAddress` (empty until the operator sets it).
    pub operator_address: String,
    /// `operatorAttribute.globalOperatorId`.
    pub global_operator_id: Option<String>,
}

/// A change of the operator's own record (`PUT authInfo?dataTarget=operator`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorUpdate {
    /// `operatorId`: must be the caller's organization.
    pub operator_id: OrganizationId,
    /// `openOperatorId`: immutable, must equal the stored 法人番号.
    pub open_operator_id: String,
    /// `operatorName` (becomes the organization's Japanese name).
    pub operator_name: String,
    /// `operatorAddress`.
    pub operator_address: String,
    /// `operatorAttribute.globalOperatorId`; `None` leaves it unset (not checked for duplicates).
    pub global_operator_id: Option<String>,
}

/// A plant (事業所) as Ouranos shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plant {
    /// `plantId`: the facility.
    pub plant_id: FacilityId,
    /// `operatorId`.
    pub operator_id: OrganizationId,
    /// `openPlantId`: the facility's Ouranos plant id.
    pub open_plant_id: String,
    /// `plantName`.
    pub plant_name: String,
    /// `plantAddress`.
    pub plant_address: String,
    /// `plantAttribute.globalPlantId`.
    pub global_plant_id: Option<String>,
}

/// A plant write (`PUT authInfo?dataTarget=plant`): `plant_id` `None` creates one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantWrite {
    /// `plantId`.
    pub plant_id: Option<FacilityId>,
    /// `operatorId`: must be the caller's organization.
    pub operator_id: OrganizationId,
    /// `openPlantId`.
    pub open_plant_id: String,
    /// `plantName`.
    pub plant_name: String,
    /// `plantAddress`.
    pub plant_address: String,
    /// `plantAttribute.globalPlantId`.
    pub global_plant_id: Option<String>,
}

/// A part (部品, `PartsModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `traceId`.
    pub trace_id: Uuid,
    /// `operatorId`: the owner.
    pub operator_id: OrganizationId,
    /// `plantId`.
    pub plant_id: FacilityId,
    /// `partsName` (部品項目).
    pub parts_name: String,
    /// `supportPartsName` (補助項目).
    pub support_parts_name: Option<String>,
    /// `terminatedFlag` (終端フラグ): no supplier will be asked for this part.
    pub terminated: bool,
    /// `amountRequired` (活動量) per unit of the parent, in a structure; `None` for parents and
    /// wherever it is withheld.
    pub amount_required: Option<Decimal>,
    /// `amountRequiredUnit`.
    pub amount_required_unit: Option<AmountUnit>,
    /// `partsLabelName` (部品名称).
    pub parts_label_name: Option<String>,
    /// `partsAddInfo1` .. `partsAddInfo3`.
    pub parts_add_info: [Option<String>; 3],
}

/// A part write: `trace_id` `None` creates (or finds) the part named by its operator, plant, name
/// and auxiliary name; a given trace id must be the one those fields give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartWrite {
    /// `traceId`, if known.
    pub trace_id: Option<Uuid>,
    /// The rest of the part; its `trace_id` is ignored.
    pub part: Part,
}

impl PartWrite {
    /// The trace id this part has by its naming fields.
    pub fn derived_trace_id(&self) -> Uuid {
        trace_id(
            self.part.operator_id,
            self.part.plant_id,
            &self.part.parts_name,
            self.part.support_parts_name.as_deref(),
        )
    }
}

/// A parts structure (`PartsStructureModel`): a parent and its direct components, with the
/// amount of each per unit of the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartsStructure {
    /// `parentPartsModel`.
    pub parent: Part,
    /// `childrenPartsModel`.
    pub children: Vec<Part>,
}

/// A parts structure write: the parent and the complete list of its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartsStructureWrite {
    /// The parent.
    pub parent: PartWrite,
    /// The components (the structure becomes exactly these).
    pub children: Vec<PartWrite>,
}

/// Filter of `GET datatransport?dataTarget=parts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartFilter {
    /// `traceId`.
    pub trace_id: Option<Uuid>,
    /// `partsName`.
    pub parts_name: Option<String>,
    /// `plantId`.
    pub plant_id: Option<FacilityId>,
    /// `parentFlag=true`: only parts that are the parent of a structure.
    pub parents_only: bool,
}

/// `cfpResponseStatus` (CFP回答ステータス).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CfpResponseStatus {
    /// 依頼中.
    NotCompleted,
    /// 回答完了: the supplier linked its part.
    Completed,
    /// 差戻: the supplier refused.
    Reject,
    /// 取消: the buyer withdrew the request.
    Cancel,
}

impl CfpResponseStatus {
    /// The Ouranos name.
    pub fn as_str(self) -> &'static str {
        match self {
            CfpResponseStatus::NotCompleted => "NOT_COMPLETED",
            CfpResponseStatus::Completed => "COMPLETED",
            CfpResponseStatus::Reject => "REJECT",
            CfpResponseStatus::Cancel => "CANCEL",
        }
    }

    /// Parses an Ouranos name.
    pub fn parse(text: &str) -> Option<CfpResponseStatus> {
        [
            CfpResponseStatus::NotCompleted,
            CfpResponseStatus::Completed,
            CfpResponseStatus::Reject,
            CfpResponseStatus::Cancel,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// `tradeTreeStatus` (樹形図ステータス).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TradeTreeStatus {
    /// 終端済み: every part upstream of the trade is terminated or answered down to the end.
    Terminated,
    /// 未終端.
    Unterminated,
}

impl TradeTreeStatus {
    /// The Ouranos name.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeTreeStatus::Terminated => "TERMINATED",
            TradeTreeStatus::Unterminated => "UNTERMINATED",
        }
    }

    /// Parses an Ouranos name.
    pub fn parse(text: &str) -> Option<TradeTreeStatus> {
        match text {
            "TERMINATED" => Some(TradeTreeStatus::Terminated),
            "UNTERMINATED" => Some(TradeTreeStatus::Unterminated),
            _ => None,
        }
    }
}

/// A trade (取引関係, `TradeModel`): the buyer (downstream) asks the supplier (upstream) for the
/// CFP of the buyer's part; the supplier answers by linking its own part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// `tradeId`.
    pub trade_id: Uuid,
    /// `downstreamOperatorId`: the buyer.
    pub downstream_operator_id: OrganizationId,
    /// `downstreamTraceId`: the buyer's part.
    pub downstream_trace_id: Uuid,
    /// `upstreamOperatorId`: the supplier.
    pub upstream_operator_id: OrganizationId,
    /// `upstreamTraceId`: the supplier's part, once answered.
    pub upstream_trace_id: Option<Uuid>,
}

/// The request status of a trade (`StatusModel`), with the counts over the supplier's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeStatus {
    /// `statusId`.
    pub status_id: Uuid,
    /// `tradeId`.
    pub trade_id: Uuid,
    /// `message` (依頼メッセージ).
    pub message: Option<String>,
    /// `replyMessage` (差戻メッセージ).
    pub reply_message: Option<String>,
    /// `requestStatus.cfpResponseStatus`.
    pub cfp_response_status: CfpResponseStatus,
    /// `requestStatus.tradeTreeStatus`.
    pub trade_tree_status: TradeTreeStatus,
    /// `requestStatus.completedCount`: answered trades in the tree from this one upstream.
    pub completed_count: u64,
    /// `requestStatus.completedCountModifiedAt`.
    pub completed_count_modified_at: OffsetDateTime,
    /// `requestStatus.tradesCount`: trades in the tree from this one upstream.
    pub trades_count: u64,
    /// `requestStatus.tradesCountModifiedAt`.
    pub trades_count_modified_at: OffsetDateTime,
    /// `responseDueDate` (回答希望日).
    pub response_due_date: Option<Date>,
}

/// A trade with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRequest {
    /// `tradeModel`.
    pub trade: Trade,
    /// `statusModel`.
    pub status: TradeStatus,
}

/// A trade request to create (`PUT datatransport?dataTarget=tradeRequest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTradeRequest {
    /// The buyer (must be the caller's organization).
    pub downstream_operator_id: OrganizationId,
    /// The buyer's part.
    pub downstream_trace_id: Uuid,
    /// The supplier.
    pub upstream_operator_id: OrganizationId,
    /// `message`.
    pub message: Option<String>,
    /// `responseDueDate` (required on creation).
    pub response_due_date: Date,
}

/// What a supplier sees of a request addressed to it (`TradeResponseModel`): the buyer's part
/// without its required amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeResponse {
    /// `tradeModel`.
    pub trade: Trade,
    /// `statusModel`.
    pub status: TradeStatus,
    /// `partsModel`: the buyer's part, `amount_required` withheld.
    pub part: Part,
}

/// Filter of `GET datatransport?dataTarget=tradeRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeFilter {
    /// `traceIds`: only trades of these buyer parts (at most 50).
    pub downstream_trace_ids: Vec<Uuid>,
}

/// `statusTarget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusTarget {
    /// Requests the caller made (依頼情報).
    Request,
    /// Requests addressed to the caller (回答情報).
    Response,
}

/// Filter of `GET datatransport?dataTarget=status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusFilter {
    /// `statusTarget`; `None`: both directions.
    pub target: Option<StatusTarget>,
    /// `statusId`.
    pub status_id: Option<Uuid>,
    /// `traceId`: the buyer's part (with `statusTarget=REQUEST`).
    pub trace_id: Option<Uuid>,
}

/// A status change (`PUT datatransport?dataTarget=status`): the buyer cancels or the supplier
/// rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// 依頼取消 by the buyer.
    Cancel,
    /// 依頼差戻 by the supplier, with its reason.
    Reject {
        /// `replyMessage`.
        reply_message: Option<String>,
    },
}

/// One file of a CFP certification (`cfpCertificationFileInfo` item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationFile {
    /// `operatorId`: who holds the file.
    pub operator_id: Option<OrganizationId>,
    /// `fileId`.
    pub file_id: Option<Uuid>,
    /// `fileName`.
    pub file_name: Option<String>,
}

/// CFP certification metadata of a part (`CfpCertificationModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfpCertification {
    /// `cfpCertificationId`.
    pub cfp_certification_id: Uuid,
    /// `traceId`.
    pub trace_id: Uuid,
    /// `cfpCertificationDescription`; withheld (null) for buyers, as in the reference.
    pub description: Option<String>,
    /// `cfpCertificationFileInfo`; `None` when withheld.
    pub files: Option<Vec<CertificationFile>>,
}

/// A certification write (junkan addition: the reference has no write operation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfpCertificationWrite {
    /// `cfpCertificationId`; `None` creates one.
    pub cfp_certification_id: Option<Uuid>,
    /// `traceId`: a part of the caller's organization.
    pub trace_id: Uuid,
    /// `cfpCertificationDescription`.
    pub description: Option<String>,
    /// `cfpCertificationFileInfo`.
    pub files: Vec<CertificationFile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_depend_on_every_naming_field_and_nothing_else() {
        let operator = OrganizationId::derived("a");
        let plant = FacilityId::derived("p");
        let base = trace_id(operator, plant, "A12345", Some("modelA"));
        assert_eq!(base, trace_id(operator, plant, "A12345", Some("modelA")));
        assert_ne!(
            base,
            trace_id(OrganizationId::derived("b"), plant, "A12345", Some("modelA"))
        );
        assert_ne!(
            base,
            trace_id(operator, FacilityId::derived("q"), "A12345", Some("modelA"))
        );
        assert_ne!(base, trace_id(operator, plant, "A12346", Some("modelA")));
        assert_ne!(base, trace_id(operator, plant, "A12345", Some("modelB")));
        // Moving text between the name and the auxiliary name is a different part.
        assert_ne!(
            trace_id(operator, plant, "A1", Some("2")),
            trace_id(operator, plant, "A", Some("12"))
        );
        assert_eq!(
            trace_id(operator, plant, "A", None),
            trace_id(operator, plant, "A", Some(""))
        );
    }

    #[test]
    fn units_and_statuses_round_trip() {
        for unit in AmountUnit::ALL {
            assert_eq!(AmountUnit::parse(unit.as_str()), Some(unit));
        }
        assert_eq!(AmountUnit::parse("キログラム"), None);
        assert_eq!(CfpResponseStatus::parse("CANCEL"), Some(CfpResponseStatus::Cancel));
        assert_eq!(TradeTreeStatus::parse("TERMINATED"), Some(TradeTreeStatus::Terminated));
        assert_eq!(CfpResponseStatus::parse("DONE"), None);
    }
}
