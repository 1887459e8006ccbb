//! A complete, valid footprint for tests, examples and benchmarks (public so that the store's
//! contract suite and the server's tests start from the same footprint).

use junkan_model::ids::FootprintId;
use time::macros::datetime;

use crate::decimal::literal;
use crate::model::*;

/// A valid footprint of a battery cell with every stage row and rating set.
pub fn cell_footprint() -> Footprint {
    Footprint {
        id: FootprintId::derived("cell"),
        preceding_ids: Vec::new(),
        created: datetime!(2025-04-01 09:00 UTC),
        updated: None,
        status: FootprintStatus::Active,
        status_comment: None,
        validity_period_start: None,
        validity_period_end: None,
        company_name: "Kansai Cell K.K.".to_owned(),
        company_ids: vec!["urn:jp:houjin-bangou:1234567890123".to_owned()],
        product_description: "Prismatic NMC cell, 50 Ah".to_owned(),
        product_ids: vec!["urn:junkan:part:cell-50ah".to_owned()],
        product_classifications: vec!["urn:pact:productclassification:un-cpc:46410".to_owned()],
        product_category_cpc: None,
        product_name_company: "Cell 50Ah".to_owned(),
        comment: None,
        pcf: CarbonFootprint {
            declared_unit: DeclaredUnit::Piece,
            declared_unit_amount: literal("1"),
            product_mass_per_declared_unit: Some(literal("0.9")),
            reference_period_start: datetime!(2024-01-01 00:00 UTC),
            reference_period_end: datetime!(2025-01-01 00:00 UTC),
            geography: Geography::Country("JP".to_owned()),
            boundary_processes_description: Some("Cradle to gate".to_owned()),
            pcf_excluding_biogenic_uptake: literal("12.5"),
            pcf_including_biogenic_uptake: Some(literal("12.5")),
            fossil_ghg_emissions: literal("12.4"),
            fossil_carbon_content: literal("0.1"),
            biogenic_carbon_content: Some(literal("0")),
            recycled_carbon_content: None,
            land_use_change_ghg_emissions: None,
            land_carbon_leakage: None,
            land_management_fossil_ghg_emissions: None,
            land_management_biogenic_co2_emissions: None,
            land_management_biogenic_co2_removals: None,
            biogenic_co2_uptake: None,
            biogenic_non_co2_emissions: None,
            land_management_ghg_emissions: None,
            land_area_occupation: None,
            aircraft_ghg_emissions: None,
            packaging_emissions_included: Some(false),
            packaging_ghg_emissions: None,
            packaging_biogenic_carbon_content: None,
            outbound_logistics_ghg_emissions: None,
            technological_co2_capture_origin: None,
            technological_co2_removals: None,
            ccs_technological_co2_capture_included: None,
            ccs_technological_co2_capture: None,
            ccu_carbon_content: None,
            ccu_calculation_approach: None,
            ccu_credit_certification: None,
            ipcc_characterization_factors: vec!["AR6".to_owned()],
            cross_sectoral_standards: vec!["ISO14067".to_owned(), "PACT-3.0".to_owned()],
            product_or_sector_specific_rules: Vec::new(),
            biogenic_accounting_methodology: None,
            secondary_emission_factor_sources: vec![EmissionFactorSource {
                name: "IDEA".to_owned(),
                version: "3.4".to_owned(),
            }],
            exempted_emissions_percent: literal("0.5"),
            exempted_emissions_description: Some("Office consumables".to_owned()),
            allocation_rules_description: None,
            uncertainty_assessment_description: None,
            primary_data_share: Some(literal("40")),
            dqi: Some(DataQualityIndicators {
                technological: literal("2.1"),
                geographical: literal("2.2"),
                temporal: literal("2.3"),
                coverage_percent: None,
                completeness: None,
                reliability: None,
            }),
            verification: None,
            stages: Some(StageBreakdown {
                pre_production: StageEmissions {
                    own: literal("1.5"),
                    components: literal("8"),
                    ratings: StageRatings {
                        technological: Some(literal("2.1")),
                        geographical: Some(literal("2.2")),
                        temporal: Some(literal("2.3")),
                    },
                },
                main_production: StageEmissions {
                    own: literal("2.5"),
                    components: literal("0.5"),
                    ratings: StageRatings {
                        technological: Some(literal("3.1")),
                        geographical: Some(literal("3.2")),
                        temporal: Some(literal("3.3")),
                    },
                },
            }),
        },
        extensions: Vec::new(),
    }
}
