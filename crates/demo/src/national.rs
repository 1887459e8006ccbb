//! Japan's published national figures for the regional and national indicators (物質フロー指標):
//! the material flows of the fiscal years `testdata/indicators/cases.json` gives from published
//! sources (FY2000 material flows, FY2014 municipal waste), the published FY2019 indicator values,
//! and the national targets of the 4th and 5th Fundamental Plans, each with its source. The demo
//! stores them as public records of the authority, so that `GET
//! /api/v1/indicators/jp-material-flow?scope=nation:JP&period=2000` answers the published rates
//! and `.../series` shows the gap to the targets.

use junkan_indicators::records::{japan_national_target_records, NewIndicatorValue, NewMaterialFlow};
use junkan_model::facility::Visibility;
use junkan_model::principal::Actor;
use junkan_store::{Store, StoreError};
use serde_json::{json, Map, Value};

/// One published national flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedFlow {
    /// The fiscal year (年度).
    pub fiscal_year: i64,
    /// The flow (an indicator input name).
    pub kind: &'static str,
    /// The amount as published.
    pub amount: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Where it is published.
    pub source: &'static str,
}

const FIRST_PLAN_FY2000: &str = "循環型社会形成推進基本計画（第一次、2003年）物質フロー図 平成12年度 / Fundamental Plan for Establishing a Sound Material-Cycle Society (1st plan, 2003), material flow figure for FY2000";
const WHITE_PAPER_FY2014: &str = "環境白書（平成28年版）図表データ 一般廃棄物 平成26年度 / Ministry of the Environment white paper (H28) figure data, municipal waste FY2014";

/// The national flows the demo stores.
pub const NATIONAL_FLOWS: &[PublishedFlow] = &[
    flow(2000, "natural_resource_input", "1912", "Mt", FIRST_PLAN_FY2000),
    flow(2000, "circular_use", "218", "Mt", FIRST_PLAN_FY2000),
    flow(2000, "waste_generation", "600", "Mt", FIRST_PLAN_FY2000),
    flow(2000, "reduction", "241", "Mt", FIRST_PLAN_FY2000),
    flow(2000, "final_disposal", "56", "Mt", FIRST_PLAN_FY2000),
    flow(2000, "natural_return", "84", "Mt", FIRST_PLAN_FY2000),
    flow(2014, "direct_recycling", "208", "万t", WHITE_PAPER_FY2014),
    flow(2014, "recycling_after_treatment", "455", "万t", WHITE_PAPER_FY2014),
    flow(2014, "group_collection", "250", "万t", WHITE_PAPER_FY2014),
    flow(2014, "total_treated", "4184", "万t", WHITE_PAPER_FY2014),
];

const fn flow(
    fiscal_year: i64,
    kind: &'static str,
    amount: &'static str,
    unit: &'static str,
    source: &'static str,
) -> PublishedFlow {
    PublishedFlow {
        fiscal_year,
        kind,
        amount,
        unit,
        source,
    }
}

/// The published FY2019 values of Japan's material-flow indicators (4th plan, 2nd progress
/// review, 2022), as a stored value's result.
pub fn published_fy2019() -> NewIndicatorValue {
    let result: Map<String, Value> = [
        ("resource_productivity_man_yen_per_t", json!(43.6)),
        ("inlet_circular_use_rate_pct", json!(15.7)),
        ("outlet_circular_use_rate_pct", json!(43.0)),
        ("final_disposal_mt", json!(13.04)),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    NewIndicatorValue {
        indicator: "jp-material-flow".to_owned(),
        scope: "nation:JP".to_owned(),
        fiscal_year: 2019,
        result,
        methodology: None,
        provenance: Some(json!({"published": "values as published, not computed on this node"})),
        source: "第四次循環型社会形成推進基本計画 第2回点検報告（2022年） / 4th plan, 2nd progress review (2022)"
            .to_owned(),
        source_url: None,
        note: None,
        visibility: Some(Visibility::Public),
    }
}

/// Stores the national flows, the published FY2019 values and the national targets as public
/// records of the organization `actor` writes for. Returns how many of each were stored.
pub async fn load(store: &dyn Store, actor: &Actor) -> Result<(usize, usize, usize), StoreError> {
    let flows: Vec<NewMaterialFlow> = NATIONAL_FLOWS
        .iter()
        .map(|flow| NewMaterialFlow {
            region: "JP".to_owned(),
            fiscal_year: flow.fiscal_year,
            kind: flow.kind.to_owned(),
            amount: Value::String(flow.amount.to_owned()),
            unit: flow.unit.to_owned(),
            source: flow.source.to_owned(),
            source_url: None,
            note: None,
            visibility: Some(Visibility::Public),
        })
        .collect();
    let flows = store.import_material_flows(actor, flows).await?.len();
    store.create_indicator_value(actor, published_fy2019()).await?;
    let mut targets = 0;
    for target in japan_national_target_records() {
        store.create_indicator_target(actor, target).await?;
        targets += 1;
    }
    Ok((flows, 1, targets))
}
