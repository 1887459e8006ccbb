//! Japan's prefectures (都道府県) and municipalities (市区町村) with their local-government codes,
//! from the public-domain table in `data/japan/` (see its SOURCE.txt).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;
use utoipa::ToSchema;

use crate::identifiers::check_local_government_code;
use crate::validation::Violations;

const PREFECTURES_CSV: &str = include_str!("../data/japan/prefjp-utf8.csv");
const MUNICIPALITIES_CSV: &str = include_str!("../data/japan/localgovjp-utf8.csv");

/// A prefecture: JIS X 0401 code `01`..`47`, names, and the location of its office.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Prefecture {
    /// Two-digit JIS X 0401 code, e.g. `13`.
    pub code: String,
    /// Japanese name, e.g. `東京都`.
    pub name_ja: String,
    /// English name, e.g. `Tokyo`.
    pub name_en: String,
    /// ISO 3166-2 code, e.g. `JP-13`.
    pub iso3166_2: String,
    /// Six-digit local-government code of the prefecture itself.
    pub local_government_code: String,
}

/// A municipality or ward with its six-digit local-government code.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Municipality {
    /// Six-digit local-government code (check digit included), e.g. `131016`.
    pub local_government_code: String,
    /// Two-digit prefecture code.
    pub prefecture_code: String,
    /// Japanese name, e.g. `千代田区`.
    pub name_ja: String,
    /// Reading in hiragana.
    pub name_kana: String,
    /// Latitude of the office (WGS 84).
    pub latitude: f64,
    /// Longitude of the office (WGS 84).
    pub longitude: f64,
}

/// All 47 prefectures in code order.
pub fn prefectures() -> &'static [Prefecture] {
    static PREFECTURES: OnceLock<Vec<Prefecture>> = OnceLock::new();
    PREFECTURES.get_or_init(|| {
        csv_rows(PREFECTURES_CSV)
            .map(|fields| Prefecture {
                code: format!("{:0>2}", fields[0]),
                name_ja: fields[1].to_owned(),
                name_en: fields[5].to_owned(),
                iso3166_2: fields[9].to_owned(),
                local_government_code: format!("{:0>6}", fields[8]),
            })
            .collect()
    })
}

/// The prefecture with two-digit code `code`, if any.
pub fn prefecture(code: &str) -> Option<&'static Prefecture> {
    prefectures().iter().find(|prefecture| prefecture.code == code)
}

/// All municipalities and wards, in the order of the source table.
pub fn municipalities() -> &'static [Municipality] {
    static MUNICIPALITIES: OnceLock<Vec<Municipality>> = OnceLock::new();
    MUNICIPALITIES.get_or_init(|| {
        csv_rows(MUNICIPALITIES_CSV)
            .map(|fields| Municipality {
                local_government_code: fields[9].to_owned(),
                prefecture_code: format!("{:0>2}", fields[0]),
                name_ja: fields[3].to_owned(),
                name_kana: fields[4].to_owned(),
                latitude: fields[5].parse().unwrap_or(f64::NAN),
                longitude: fields[6].parse().unwrap_or(f64::NAN),
            })
            .collect()
    })
}

/// The local government (prefecture or municipality) with six-digit code `code`: its prefecture
/// code and Japanese name.
pub fn local_government(code: &str) -> Option<(&'static str, &'static str)> {
    static BY_CODE: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    let by_code = BY_CODE.get_or_init(|| {
        let municipalities = municipalities().iter().map(|municipality| {
            (
                municipality.local_government_code.as_str(),
                (municipality.prefecture_code.as_str(), municipality.name_ja.as_str()),
            )
        });
        let prefectures = prefectures().iter().map(|prefecture| {
            (
                prefecture.local_government_code.as_str(),
                (prefecture.code.as_str(), prefecture.name_ja.as_str()),
            )
        });
        municipalities.chain(prefectures).collect()
    });
    by_code.get(code).copied()
}

/// Checks that `code` is a two-digit prefecture code.
pub fn check_prefecture_code(code: &str) -> Result<(), String> {
    match prefecture(code) {
        Some(_) => Ok(()),
        None => Err(format!(
            "unknown prefecture code {code:?}: expected 01 (Hokkaido) to 47 (Okinawa)"
        )),
    }
}

/// Checks a local-government code at `/local_government_code` (check digit, presence in the
/// national list) and that `prefecture_code`, when given, is the prefecture it lies in.
pub fn check_local_government(violations: &mut Violations, code: &str, prefecture_code: Option<&str>) {
    if let Err(message) = check_local_government_code(code) {
        violations.push("/local_government_code", message);
        return;
    }
    match local_government(code) {
        None => violations.push(
            "/local_government_code",
            format!("{code} has a valid check digit but names no prefecture or municipality in the national list"),
        ),
        Some((actual_prefecture, name)) => {
            if let Some(given) = prefecture_code {
                if given != actual_prefecture {
                    violations.push(
                        "/prefecture_code",
                        format!("is {given}, but local-government code {code} ({name}) lies in prefecture {actual_prefecture}"),
                    );
                }
            }
        }
    }
}

/// Splits the simple comma-separated tables above (no quoted fields) into rows of fields, skipping
/// the header and the byte-order mark.
fn csv_rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split(',').collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_in_the_table_has_a_valid_check_digit() {
        assert_eq!(prefectures().len(), 47);
        assert!(municipalities().len() > 1_800);
        for municipality in municipalities() {
            assert_eq!(
                check_local_government_code(&municipality.local_government_code),
                Ok(()),
                "{municipality:?}"
            );
            assert!(
                municipality.latitude.is_finite() && municipality.longitude.is_finite(),
                "{municipality:?}"
            );
        }
        for prefecture in prefectures() {
            assert_eq!(
                check_local_government_code(&prefecture.local_government_code),
                Ok(()),
                "{prefecture:?}"
            );
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(prefecture("13").map(|p| p.name_en.as_str()), Some("Tokyo"));
        assert_eq!(local_government("131016"), Some(("13", "千代田区")));
        assert_eq!(local_government("130001"), Some(("13", "東京都")));
        assert_eq!(local_government("131017"), None);
        assert!(check_prefecture_code("48").is_err());
    }
}
