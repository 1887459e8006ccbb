//! Product and material passports (製品・素材パスポート): what a product model, a lot or one item is
//! made of, its environmental and remaining value, and where it is once it is waste.
//!
//! A passport has one global identifier (a GS1 Digital Link URI, an EPC URN, or any other absolute
//! URI of an ISO/IEC 15459-compatible scheme), an owner organization, a profile that says what its
//! `data` may hold and who may read each field, a life-cycle status, links to the passports of its
//! components and materials, and an immutable history: every change is a new version.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::access::AccessLevel;
use crate::facility::Visibility;
use crate::ids::{OrganizationId, PassportId};
use crate::validation::{check_text, Violation, Violations};

/// What a passport describes (粒度 / granularity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// 製品モデル / a product model (e.g. a GTIN).
    Model,
    /// バッチ・ロット / a batch or lot.
    Batch,
    /// 個体 / one individual item.
    Item,
}

impl Granularity {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Model => "model",
            Granularity::Batch => "batch",
            Granularity::Item => "item",
        }
    }
}

/// Where a product or material is in its life (ライフサイクル状態 / life-cycle status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStatus {
    /// 新品 / original, as placed on the market.
    Original,
    /// 使用中 / in use.
    InUse,
    /// 修理済み / repaired.
    Repaired,
    /// リファービッシュ済み / refurbished.
    Refurbished,
    /// 再製造済み / remanufactured.
    Remanufactured,
    /// 用途変更済み / repurposed (e.g. an EV battery in stationary storage).
    Repurposed,
    /// リユース / reused.
    Reused,
    /// 廃棄物 / waste.
    Waste,
    /// リサイクル済み / recycled.
    Recycled,
    /// 廃棄物の終了 / end of waste (secondary raw material).
    EndOfWaste,
}

impl LifecycleStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [LifecycleStatus; 10] = [
        LifecycleStatus::Original,
        LifecycleStatus::InUse,
        LifecycleStatus::Repaired,
        LifecycleStatus::Refurbished,
        LifecycleStatus::Remanufactured,
        LifecycleStatus::Repurposed,
        LifecycleStatus::Reused,
        LifecycleStatus::Waste,
        LifecycleStatus::Recycled,
        LifecycleStatus::EndOfWaste,
    ];

    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStatus::Original => "original",
            LifecycleStatus::InUse => "in_use",
            LifecycleStatus::Repaired => "repaired",
            LifecycleStatus::Refurbished => "refurbished",
            LifecycleStatus::Remanufactured => "remanufactured",
            LifecycleStatus::Repurposed => "repurposed",
            LifecycleStatus::Reused => "reused",
            LifecycleStatus::Waste => "waste",
            LifecycleStatus::Recycled => "recycled",
            LifecycleStatus::EndOfWaste => "end_of_waste",
        }
    }

    /// Japanese and English labels.
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            LifecycleStatus::Original => ("新品", "Original"),
            LifecycleStatus::InUse => ("使用中", "In use"),
            LifecycleStatus::Repaired => ("修理済み", "Repaired"),
            LifecycleStatus::Refurbished => ("リファービッシュ済み", "Refurbished"),
            LifecycleStatus::Remanufactured => ("再製造済み", "Remanufactured"),
            LifecycleStatus::Repurposed => ("用途変更済み", "Repurposed"),
            LifecycleStatus::Reused => ("リユース", "Reused"),
            LifecycleStatus::Waste => ("廃棄物", "Waste"),
            LifecycleStatus::Recycled => ("リサイクル済み", "Recycled"),
            LifecycleStatus::EndOfWaste => ("廃棄物の終了", "End of waste"),
        }
    }
}

/// How a linked passport relates to this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkRelation {
    /// 構成部品 / a component built into this product.
    Component,
    /// 素材 / a material (lot) this product or material is made from.
    Material,
    /// 前身 / what this one was made from by remanufacturing, repurposing or recycling.
    Predecessor,
}

/// A link to the passport of a component or material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassportLink {
    /// The linked passport's identifier (canonical form once stored).
    pub identifier: String,
    /// How it relates.
    pub relation: LinkRelation,
    /// How much of it, e.g. `12.5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// Unit of `quantity`, e.g. `kg` or `pcs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Who may see this link (default: parties with a legitimate interest).
    #[serde(default = "default_link_access")]
    pub access: AccessLevel,
}

fn default_link_access() -> AccessLevel {
    AccessLevel::LegitimateInterest
}

/// A passport as one reader sees it: `data` and `links` hold only what the reader's access level
/// allows; `withheld` names (by JSON pointer into `data`) what was left out.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Passport {
    /// Internal id.
    pub id: PassportId,
    /// The global identifier, canonical (GS1 Digital Link URIs on `https://id.gs1.org`).
    pub identifier: String,
    /// What it describes.
    pub granularity: Granularity,
    /// The owner organization.
    pub owner_organization_id: OrganizationId,
    /// Profile code, e.g. `battery`.
    pub profile: String,
    /// Profile version the data was checked against.
    pub profile_version: String,
    /// Life-cycle status.
    pub status: LifecycleStatus,
    /// Whether anyone may read the public fields, or only the owner, grant holders and authorities.
    pub visibility: Visibility,
    /// This version's number (1 for the first).
    pub version: i64,
    /// The newest version's number.
    pub latest_version: i64,
    /// The data, filtered to the reader's access level.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Links to components and materials the reader may see.
    pub links: Vec<PassportLink>,
    /// JSON pointers of data left out for this reader.
    pub withheld: Vec<String>,
    /// The access level the reader was given.
    pub access_level: AccessLevel,
    /// What changed in this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the first version was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When this version was made.
    #[serde(with = "time::serde::rfc3339")]
    pub version_created_at: OffsetDateTime,
    /// Who made this version (principal id).
    pub version_created_by: String,
}

/// A request to create a passport for the caller's organization.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassport {
    /// The global identifier: a GS1 Digital Link URI, an EPC URN, or another absolute URI.
    pub identifier: String,
    /// What it describes.
    pub granularity: Granularity,
    /// Profile code.
    pub profile: String,
    /// Life-cycle status (default `original`).
    #[serde(default = "default_status")]
    pub status: LifecycleStatus,
    /// Default `public`: anyone reads the public fields.
    #[serde(default = "default_visibility")]
    pub visibility: Visibility,
    /// The data, checked against the profile's schema.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Links to components and materials (at most 1,000).
    #[serde(default)]
    pub links: Vec<PassportLink>,
    /// A note for the history, up to 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

fn default_status() -> LifecycleStatus {
    LifecycleStatus::Original
}

fn default_visibility() -> Visibility {
    Visibility::Public
}

/// A change: a new version. Absent members keep their current value; `data` replaces the data
/// whole (send the complete object).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassportUpdate {
    /// New life-cycle status.
    #[serde(default)]
    pub status: Option<LifecycleStatus>,
    /// New visibility.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// New data (whole).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    /// New links (whole list).
    #[serde(default)]
    pub links: Option<Vec<PassportLink>>,
    /// A note for the history, up to 500 characters.
    #[serde(default)]
    pub note: Option<String>,
    /// The version this change was made against; refused with a conflict when a newer one exists.
    #[serde(default)]
    pub base_version: Option<i64>,
}

/// Which passports to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassportFilter {
    /// Only this profile.
    pub profile: Option<String>,
    /// Only this owner.
    pub owner: Option<OrganizationId>,
    /// Only this status.
    pub status: Option<LifecycleStatus>,
    /// Only passports naming this material in a public material field (case-insensitive).
    pub material: Option<String>,
    /// Only identifiers starting with this text (canonical form).
    pub identifier_prefix: Option<String>,
    /// Only this granularity.
    pub granularity: Option<Granularity>,
}

/// One entry of a passport's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PassportVersionInfo {
    /// Version number.
    pub version: i64,
    /// Life-cycle status in that version.
    pub status: LifecycleStatus,
    /// Profile version.
    pub profile_version: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who made it.
    pub created_by: String,
    /// Its note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The largest passport data document accepted, in bytes of JSON.
pub const MAX_DATA_BYTES: usize = 1024 * 1024;

/// Checks a passport's parts that need no profile: identifier, links, note, data shape. Returns
/// the canonical identifier.
pub fn check_passport_parts(
    identifier: &str,
    granularity: Granularity,
    data: &serde_json::Value,
    links: &[PassportLink],
    note: Option<&str>,
) -> Result<String, Vec<Violation>> {
    let mut violations = Violations::new();
    let canonical = match canonical_identifier(identifier, granularity) {
        Ok(canonical) => Some(canonical),
        Err(message) => {
            violations.push("/identifier", message);
            None
        }
    };
    check_data_and_links(data, links, note, &mut violations);
    violations.into_result().map(|()| canonical.unwrap_or_default())
}

/// Checks the parts of a change that need no profile.
pub fn check_update_parts(update: &PassportUpdate) -> Result<(), Vec<Violation>> {
    let mut violations = Violations::new();
    let empty = serde_json::Value::Object(serde_json::Map::new());
    check_data_and_links(
        update.data.as_ref().unwrap_or(&empty),
        update.links.as_deref().unwrap_or(&[]),
        update.note.as_deref(),
        &mut violations,
    );
    if update.status.is_none() && update.visibility.is_none() && update.data.is_none() && update.links.is_none() {
        violations.push("", "a change needs at least one of status, visibility, data or links");
    }
    violations.into_result()
}

fn check_data_and_links(
    data: &serde_json::Value,
    links: &[PassportLink],
    note: Option<&str>,
    violations: &mut Violations,
) {
    if !data.is_object() {
        violations.push("/data", "must be a JSON object");
    } else if data.to_string().len() > MAX_DATA_BYTES {
        violations.push("/data", format!("must be at most {MAX_DATA_BYTES} bytes of JSON"));
    }
    if links.len() > 1000 {
        violations.push("/links", "must hold at most 1000 links");
    }
    for (index, link) in links.iter().enumerate() {
        if let Err(message) = canonical_link(&link.identifier) {
            violations.push(format!("/links/{index}/identifier"), message);
        }
        if let Some(quantity) = link.quantity {
            if !quantity.is_finite() || quantity < 0.0 {
                violations.push(format!("/links/{index}/quantity"), "must be a number of at least 0");
            }
        }
        if let Some(unit) = &link.unit {
            violations.check(&format!("/links/{index}/unit"), check_text(unit, 20));
        }
    }
    if let Some(note) = note {
        violations.check("/note", check_text(note, 500));
    }
}

/// The canonical form of a link target (any granularity).
pub fn canonical_link(identifier: &str) -> Result<String, String> {
    if looks_gs1(identifier) {
        junkan_gs1::canonicalize(identifier)
            .map(|link| link.canonical())
            .map_err(|error| error.to_string())
    } else {
        check_uri(identifier).map(|()| identifier.to_owned())
    }
}

/// The canonical form of a passport identifier, checking that GTIN-based identifiers match the
/// granularity: a model has no lot or serial, a batch a lot and no serial, an item a serial.
pub fn canonical_identifier(identifier: &str, granularity: Granularity) -> Result<String, String> {
    if !looks_gs1(identifier) {
        check_uri(identifier)?;
        return Ok(identifier.to_owned());
    }
    let link = junkan_gs1::canonicalize(identifier).map_err(|error| error.to_string())?;
    if link.primary.0 == "01" {
        let lot = link.qualifier("10").is_some();
        let serial = link.qualifier("21").is_some();
        let fits = match granularity {
            Granularity::Model => !lot && !serial,
            Granularity::Batch => lot && !serial,
            Granularity::Item => serial,
        };
        if !fits {
            return Err(format!(
                "a GTIN-based identifier of a {} passport must {}",
                granularity.as_str(),
                match granularity {
                    Granularity::Model => "have neither a lot (10) nor a serial number (21)",
                    Granularity::Batch => "have a lot (10) and no serial number (21)",
                    Granularity::Item => "have a serial number (21)",
                }
            ));
        }
    }
    Ok(link.canonical())
}

/// Whether an identifier is meant as a GS1 key: an EPC URN, or an http(s) URI whose path names a
/// Digital Link primary key followed by a value, so that it is validated as one (check digits,
/// qualifier order, characters) instead of passing as an opaque URI.
fn looks_gs1(identifier: &str) -> bool {
    if identifier.starts_with("urn:epc:") {
        return true;
    }
    let Some(rest) = identifier
        .strip_prefix("https://")
        .or_else(|| identifier.strip_prefix("http://"))
    else {
        return false;
    };
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let segments: Vec<&str> = path.split('/').skip(1).filter(|segment| !segment.is_empty()).collect();
    segments
        .windows(2)
        .any(|pair| junkan_gs1::dictionary::lookup(pair[0]).is_some_and(|entry| entry.primary_key_qualifiers.is_some()))
}

/// An absolute URI: a scheme, a colon, no whitespace, at most 1024 characters.
fn check_uri(identifier: &str) -> Result<(), String> {
    let scheme_ok = identifier.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.len() >= 2
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if !scheme_ok {
        return Err(format!(
            "{identifier:?} is not an absolute URI (a GS1 Digital Link URI, an EPC URN or another scheme:value URI)"
        ));
    }
    if identifier.len() > 1024 || identifier.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("an identifier has at most 1024 characters and no spaces".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_canonical_and_fit_the_granularity() {
        assert_eq!(
            canonical_identifier("https://example.jp/01/4912345000019/21/ABC", Granularity::Item),
            Ok("https://id.gs1.org/01/04912345000019/21/ABC".to_owned())
        );
        assert!(canonical_identifier("https://id.gs1.org/01/04912345000019", Granularity::Item).is_err());
        assert!(canonical_identifier("https://id.gs1.org/01/04912345000019/10/L1", Granularity::Batch).is_ok());
        assert!(
            canonical_identifier("https://id.gs1.org/01/04912345000018", Granularity::Model)
                .is_err_and(|message| message.contains("check digit"))
        );
        assert_eq!(
            canonical_identifier("urn:epc:id:sgtin:4912345.000001.7", Granularity::Item),
            Ok("https://id.gs1.org/01/04912345000019/21/7".to_owned())
        );
        assert_eq!(
            canonical_identifier("urn:iso:std:iso:15459:JP:ABC123", Granularity::Item),
            Ok("urn:iso:std:iso:15459:JP:ABC123".to_owned())
        );
        assert!(canonical_identifier("not a uri", Granularity::Item).is_err());
    }
}

/// A registered profile version.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProfileRecord {
    /// Profile code.
    pub code: String,
    /// Version.
    pub version: String,
    /// Industry code.
    pub industry: String,
    /// The profile document.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// How to read a passport.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassportRead {
    /// This version instead of the newest.
    pub version: Option<i64>,
    /// A view below the reader's own level (e.g. an owner previewing the public view); asking for
    /// more than the reader may see is refused.
    pub view: Option<AccessLevel>,
}

/// What a bulk import did (or, on a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Passports created.
    pub created: u64,
    /// Passports given a new version.
    pub updated: u64,
    /// Lines whose content equals the newest version (nothing written).
    pub unchanged: u64,
    /// Whether nothing was written because the import was a dry run.
    pub dry_run: bool,
}
