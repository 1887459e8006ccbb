//! Industries (業種・分野). The platform starts with the industries the partnership named first;
//! more are added as data by a node administrator, without code.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::{check_text, Violation, Violations};

/// An industry with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    /// Stable code, e.g. `batteries`.
    pub code: String,
    /// Japanese label, e.g. `蓄電池`.
    pub name_ja: String,
    /// English label.
    pub name_en: String,
}

/// The industries every node knows from its first start (installed by the first migration).
pub const SEED_INDUSTRIES: [(&str, &str, &str); 12] = [
    ("batteries", "蓄電池", "Batteries"),
    ("home_appliances", "家電", "Home appliances"),
    ("office_equipment", "事務機器", "Office equipment"),
    ("textiles", "繊維", "Textiles"),
    ("buildings_civil", "建築・土木資材", "Buildings and civil materials"),
    ("plastics", "プラスチック", "Plastics"),
    ("steel", "鉄鋼", "Steel"),
    ("aluminium", "アルミニウム", "Aluminium"),
    ("automobiles", "自動車", "Automobiles"),
    ("chemicals", "化学", "Chemicals"),
    ("waste_management", "廃棄物処理", "Waste management"),
    ("research_education", "研究・教育", "Research and education"),
];

/// Checks the form of an industry code: 2-40 characters `[a-z][a-z0-9_]*`.
pub fn check_industry_code(code: &str) -> Result<(), String> {
    let well_formed = (2..=40).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if well_formed {
        Ok(())
    } else {
        Err("industry codes are 2-40 lower-case letters, digits and underscores, starting with a letter".to_owned())
    }
}

impl Industry {
    /// Checks every rule and returns every violation.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut violations = Violations::new();
        violations.check("/code", check_industry_code(&self.code));
        violations.check("/name_ja", check_text(&self.name_ja, 100));
        violations.check("/name_en", check_text(&self.name_en, 100));
        violations.into_result()
    }
}
