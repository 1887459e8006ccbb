//! The battery chain's carbon footprints (カーボンフットプリント / CFP, issue 5) as data: which
//! company makes which part from which supplier's part, and the figures each company declares.
//! The demo (`junkan demo`) plays the exchange through the node's own PACT and Ouranos APIs with
//! these figures; nothing here performs IO.
//!
//! The chain, from the automaker down:
//!
//! ```text
//! 瑞穂自動車 vehicle battery system (1 unit)
//!   └ 1 × みらい電池パック battery pack (unit)
//!       └ 96 × 東海セルテック prismatic cell (unit)
//!           └ 1.25 kg × 正極マテリアル NMC811 cathode active material (kilogram)
//!               └ 0.2 kg × 瀬戸内非鉄精錬 recycled nickel-cobalt sulphate, over PACT
//! ```
//!
//! The refiner speaks PACT only: it publishes its footprint (with its primary data share) and
//! shares it with the cathode maker, who fetches it through `/3/footprints` and enters it, times
//! the amount used, in its own Ouranos CFP as component (部品由来) emissions.

use serde_json::Value;

/// One company's part in the Ouranos exchange and the CFP it writes for it, per one unit.
#[derive(Debug, Clone, Copy)]
pub struct ChainPart {
    /// The company (demo slug).
    pub company: &'static str,
    /// The plant that makes the part (its Japanese name, as in the base dataset).
    pub plant: &'static str,
    /// Ouranos `partsName`.
    pub parts_name: &'static str,
    /// Ouranos `supportPartsName`.
    pub support_parts_name: &'static str,
    /// Ouranos `partsLabelName`.
    pub label: &'static str,
    /// Ouranos unit of the part (`ghgDeclaredUnit` is kgCO2e per it).
    pub unit: &'static str,
    /// 前処理自社由来排出量 / own pre-processing emissions, kgCO2e per unit.
    pub own_pre: &'static str,
    /// 製造自社由来排出量 / own main-production emissions, kgCO2e per unit.
    pub own_main: &'static str,
    /// 前処理部品由来排出量 of purchased material that is not requested through the chain
    /// (secondary data), kgCO2e per unit.
    pub bought_pre: &'static str,
    /// 製造部品由来排出量 of bought-in parts outside the chain (secondary data), kgCO2e per unit.
    pub bought_main: &'static str,
    /// Data-quality ratings (TeR, GeR, TiR) of the pre-processing stage.
    pub dqr_pre: [&'static str; 3],
    /// Data-quality ratings (TeR, GeR, TiR) of the main-production stage.
    pub dqr_main: [&'static str; 3],
    /// The component requested from the next company down the chain: the buyer's own name for
    /// it (`partsName` of its child part) and the amount needed per unit of this part.
    pub component: Option<ChainComponent>,
}

/// A component line requested from the supplier below in the chain.
#[derive(Debug, Clone, Copy)]
pub struct ChainComponent {
    /// `partsName` of the buyer's child part.
    pub parts_name: &'static str,
    /// `amountRequired` per one unit of the parent.
    pub amount: &'static str,
    /// `amountRequiredUnit`.
    pub unit: &'static str,
}

/// The Ouranos part of the chain, buyer first: each part's component is answered by the part
/// after it.
#[rustfmt::skip]
pub const CHAIN: [ChainPart; 4] = [
    ChainPart {
        company: "automaker", plant: "川崎組立工場", parts_name: "MZ-EV-BATTERY-SYSTEM", support_parts_name: "2025",
        label: "車載電池システム / vehicle battery system", unit: "unit",
        own_pre: "0", own_main: "12.5", bought_pre: "0", bought_main: "0",
        dqr_pre: ["1", "1", "1"], dqr_main: ["1.2", "1", "1.1"],
        component: Some(ChainComponent { parts_name: "BATTERY-PACK-75KWH", amount: "1", unit: "unit" }),
    },
    ChainPart {
        company: "packmaker", plant: "岡崎パック工場", parts_name: "MP-PACK-75", support_parts_name: "rev.B",
        label: "電池パック 75 kWh / battery pack 75 kWh", unit: "unit",
        own_pre: "0", own_main: "180", bought_pre: "0", bought_main: "40",
        dqr_pre: ["1", "1", "1"], dqr_main: ["1.5", "1.2", "1.4"],
        component: Some(ChainComponent { parts_name: "CELL-NMC-213AH", amount: "96", unit: "unit" }),
    },
    ChainPart {
        company: "cellmaker", plant: "豊田セル工場", parts_name: "TC-P213-NMC811", support_parts_name: "",
        label: "角形セル 213 Ah / prismatic cell 213 Ah", unit: "unit",
        own_pre: "0", own_main: "9.6", bought_pre: "7.2", bought_main: "0",
        dqr_pre: ["2.1", "1.8", "1.6"], dqr_main: ["1.3", "1.1", "1.2"],
        component: Some(ChainComponent { parts_name: "CAM-NMC811", amount: "1.25", unit: "kilogram" }),
    },
    ChainPart {
        company: "cathode", plant: "松山正極材工場", parts_name: "CM-NMC811-CAM", support_parts_name: "",
        label: "NMC811 正極活物質 / NMC811 cathode active material", unit: "kilogram",
        own_pre: "4.8", own_main: "6.4", bought_pre: "9.4", bought_main: "0",
        dqr_pre: ["2.4", "2.2", "1.9"], dqr_main: ["1.4", "1.2", "1.3"],
        component: None,
    },
];

/// The refiner's recycled material as the cathode maker uses it: kilograms per kilogram of
/// cathode material, added to the cathode maker's `preComponent` row times the refiner's PCF.
pub const RECYCLED_MATERIAL_PER_KG_CATHODE: &str = "0.2";

/// The product id under which the refiner publishes its recycled material over PACT.
pub const RECYCLED_MATERIAL_PRODUCT_ID: &str = "urn:junkan:demo:product:recycled-nico-sulphate";

/// The refiner's PACT v3.0 `ProductFootprint` of its recycled nickel-cobalt sulphate:
/// 5.5 kgCO2e per kilogram, primary data share 85 %. The id is fixed so the demo is repeatable.
pub fn refiner_footprint() -> Value {
    serde_json::json!({
        "id": "5d3b1c2e-8f7a-4c1b-9e6d-2a4f8b7c9d01",
        "specVersion": "3.0.0",
        "created": "2025-04-01T00:00:00Z",
        "status": "Active",
        "companyName": "瀬戸内非鉄精錬株式会社 / Setouchi Non-Ferrous Refining Co., Ltd.",
        "companyIds": ["urn:junkan:demo:company:refiner"],
        "productDescription": "使用済み電池由来の再生硫酸ニッケル・コバルト / nickel-cobalt sulphate recovered from used batteries",
        "productIds": [RECYCLED_MATERIAL_PRODUCT_ID],
        "productNameCompany": "再生NiCo硫酸塩 / recycled NiCo sulphate",
        "pcf": {
            "declaredUnitOfMeasurement": "kilogram",
            "declaredUnitAmount": "1",
            "productMassPerDeclaredUnit": "1",
            "referencePeriodStart": "2024-04-01T00:00:00Z",
            "referencePeriodEnd": "2025-04-01T00:00:00Z",
            "geographyCountry": "JP",
            "pcfExcludingBiogenicUptake": "5.5",
            "pcfIncludingBiogenicUptake": "5.5",
            "fossilGhgEmissions": "5.4",
            "fossilCarbonContent": "0",
            "ipccCharacterizationFactors": ["AR6"],
            "crossSectoralStandards": ["ISO14067", "PACT-3.0"],
            "exemptedEmissionsPercent": "0",
            "primaryDataShare": "85",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refiners_footprint_is_valid_pact_v3() {
        let footprint = junkan_footprint::pact::from_v3(&refiner_footprint()).expect("valid v3 footprint");
        assert_eq!(footprint.pcf.pcf_excluding_biogenic_uptake.to_string(), "5.5");
        assert_eq!(
            footprint.pcf.primary_data_share.map(|share| share.to_string()),
            Some("85".to_owned())
        );
    }

    #[test]
    fn each_component_is_answered_by_the_next_part() {
        for pair in CHAIN.windows(2) {
            assert!(pair[0].component.is_some(), "{} needs a component", pair[0].parts_name);
            assert_ne!(pair[0].company, pair[1].company);
        }
        assert!(CHAIN[CHAIN.len() - 1].component.is_none());
    }
}
