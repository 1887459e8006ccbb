//! Facilities and plants (事業所・工場) of an organization, with their own identifiers.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::identifiers::{check_gln, check_ouranos_plant_id};
use crate::ids::{FacilityId, OrganizationId};
use crate::japan::{check_local_government, check_prefecture_code, local_government};
use crate::organization::present;
use crate::validation::{check_text, Violation, Violations};

/// What a facility does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FacilityType {
    /// 製造工場 / manufacturing plant.
    Plant,
    /// 倉庫・物流拠点 / warehouse or distribution centre.
    Warehouse,
    /// 事務所 / office.
    Office,
    /// 店舗 / shop.
    Store,
    /// 回収拠点 / collection point.
    CollectionPoint,
    /// 解体・選別施設 / dismantling or sorting plant.
    DismantlingSortingPlant,
    /// リサイクル施設 / recycling plant.
    RecyclingPlant,
    /// 精錬・製錬所 / refinery or smelter.
    Refinery,
    /// 焼却・エネルギー回収施設 / incineration or energy-recovery plant.
    EnergyRecoveryPlant,
    /// 最終処分場 / final disposal site.
    DisposalSite,
    /// その他 / other.
    Other,
}

impl FacilityType {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            FacilityType::Plant => "plant",
            FacilityType::Warehouse => "warehouse",
            FacilityType::Office => "office",
            FacilityType::Store => "store",
            FacilityType::CollectionPoint => "collection_point",
            FacilityType::DismantlingSortingPlant => "dismantling_sorting_plant",
            FacilityType::RecyclingPlant => "recycling_plant",
            FacilityType::Refinery => "refinery",
            FacilityType::EnergyRecoveryPlant => "energy_recovery_plant",
            FacilityType::DisposalSite => "disposal_site",
            FacilityType::Other => "other",
        }
    }
}

/// Who may read a record besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// 公開 / anyone, signed in or not.
    Public,
    /// 限定 / the owner, holders of a grant, and auditors (every such read is audited).
    #[default]
    Restricted,
}

impl Visibility {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Restricted => "restricted",
        }
    }
}

/// A facility as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Facility {
    /// Identifier.
    pub id: FacilityId,
    /// Owning organization.
    pub organization_id: OrganizationId,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
    /// What the facility does.
    pub facility_type: FacilityType,
    /// GS1 Global Location Number.
    pub gln: Option<String>,
    /// Ouranos open plant id (事業所識別子), unique within the organization.
    pub ouranos_plant_id: Option<String>,
    /// Two-digit prefecture code.
    pub prefecture_code: Option<String>,
    /// Local-government code of the municipality it lies in.
    pub local_government_code: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Who may read it.
    pub visibility: Visibility,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A request to register a facility of the caller's organization.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFacility {
    /// Name in Japanese, 1-200 characters.
    pub name_ja: String,
    /// Name in English, 1-200 characters.
    pub name_en: String,
    /// What the facility does.
    pub facility_type: FacilityType,
    /// GS1 Global Location Number.
    #[serde(default)]
    pub gln: Option<String>,
    /// Ouranos open plant id: 6-26 characters, the last 6 digits.
    #[serde(default)]
    pub ouranos_plant_id: Option<String>,
    /// Two-digit prefecture code.
    #[serde(default)]
    pub prefecture_code: Option<String>,
    /// Local-government code of the municipality.
    #[serde(default)]
    pub local_government_code: Option<String>,
    /// Postal address, up to 300 characters.
    #[serde(default)]
    pub address: Option<String>,
    /// Who may read it; restricted unless said otherwise.
    #[serde(default)]
    pub visibility: Visibility,
}

/// A partial update of a facility (merge patch: absent stays, `null` clears).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityPatch {
    /// New Japanese name.
    #[serde(default)]
    pub name_ja: Option<String>,
    /// New English name.
    #[serde(default)]
    pub name_en: Option<String>,
    /// New type.
    #[serde(default)]
    pub facility_type: Option<FacilityType>,
    /// New GLN, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub gln: Option<Option<String>>,
    /// New Ouranos plant id, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub ouranos_plant_id: Option<Option<String>>,
    /// New prefecture code, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub prefecture_code: Option<Option<String>>,
    /// New local-government code, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub local_government_code: Option<Option<String>>,
    /// New address, or `null` to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// New visibility.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

impl NewFacility {
    /// Checks every rule and returns every violation.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/name_ja", check_text(&self.name_ja, 200));
        violations.check("/name_en", check_text(&self.name_en, 200));
        if let Some(gln) = &self.gln {
            violations.check("/gln", check_gln(gln));
        }
        if let Some(plant_id) = &self.ouranos_plant_id {
            violations.check("/ouranos_plant_id", check_ouranos_plant_id(plant_id));
        }
        if let Some(prefecture_code) = &self.prefecture_code {
            violations.check("/prefecture_code", check_prefecture_code(prefecture_code));
        }
        if let Some(address) = &self.address {
            violations.check("/address", check_text(address, 300));
        }
        if let Some(code) = &self.local_government_code {
            check_local_government(&mut violations, code, self.prefecture_code.as_deref());
        }
        violations.into_result()
    }
}

impl Facility {
    /// Builds the stored form of a validated registration.
    pub fn from_new(
        id: FacilityId,
        organization_id: OrganizationId,
        new: NewFacility,
        created_at: OffsetDateTime,
        updated_at: OffsetDateTime,
    ) -> Facility {
        let prefecture_code = new.prefecture_code.or_else(|| {
            new.local_government_code
                .as_deref()
                .and_then(local_government)
                .map(|(prefecture, _)| prefecture.to_owned())
        });
        Facility {
            id,
            organization_id,
            name_ja: new.name_ja.trim().to_owned(),
            name_en: new.name_en.trim().to_owned(),
            facility_type: new.facility_type,
            gln: new.gln,
            ouranos_plant_id: new.ouranos_plant_id,
            prefecture_code,
            local_government_code: new.local_government_code,
            address: new.address,
            visibility: new.visibility,
            created_at,
            updated_at,
        }
    }

    /// Applies `patch`, validating the result as a whole.
    pub fn patched(&self, patch: &FacilityPatch, now: OffsetDateTime) -> Result<Facility, Vec<Violation>> {
        fn pick(current: &Option<String>, change: &Option<Option<String>>) -> Option<String> {
            change.clone().unwrap_or_else(|| current.clone())
        }
        let candidate = NewFacility {
            name_ja: patch.name_ja.clone().unwrap_or_else(|| self.name_ja.clone()),
            name_en: patch.name_en.clone().unwrap_or_else(|| self.name_en.clone()),
            facility_type: patch.facility_type.unwrap_or(self.facility_type),
            gln: pick(&self.gln, &patch.gln),
            ouranos_plant_id: pick(&self.ouranos_plant_id, &patch.ouranos_plant_id),
            prefecture_code: pick(&self.prefecture_code, &patch.prefecture_code),
            local_government_code: pick(&self.local_government_code, &patch.local_government_code),
            address: pick(&self.address, &patch.address),
            visibility: patch.visibility.unwrap_or(self.visibility),
        };
        candidate.validate()?;
        Ok(Facility::from_new(
            self.id,
            self.organization_id,
            candidate,
            self.created_at,
            now,
        ))
    }
}

/// Filters for facility listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacilityFilter {
    /// Only facilities of this organization.
    pub organization_id: Option<OrganizationId>,
    /// Only facilities of this type.
    pub facility_type: Option<FacilityType>,
    /// Only facilities in this prefecture.
    pub prefecture_code: Option<String>,
}
