//! The demo's recycled content (再生材含有率) computed by mass balance from its traceability
//! events, through the stored chain-of-custody ledgers (CoC 台帳) of the companies themselves:
//!
//! - **Pellets** (plastics loop): the pellet maker imports its TransformationEvent; the PP
//!   flakes' share comes from their passport (100 % post-consumer, from collected
//!   refrigerators); credits × yield back the pellet lot.
//! - **Cathode material** (battery loop): the refiner imports its event, declares the black
//!   mass (from an end-of-life pack; no passport states it, so the import reports it missing)
//!   and claims its recovered cobalt lot; the cathode maker imports its event, the cobalt lot's
//!   share comes from the refiner's claim (shared with it by a grant), the virgin cobalt is
//!   declared 0 %, and the cathode lot claims the rolling average share, which is checked
//!   against the EU Battery Regulation's 2031/2036 cobalt minimums.
//! - **Aluminium billets** (metals loop): the scrap yard declares the municipal can collection
//!   post-consumer and claims its sorted aluminium scrap; the secondary aluminium plant's
//!   import takes that claim's share, and the billet lot claims what the credits allow.
//!
//! Every claim is backed by ledger entries traceable to input lots and their events.

use rust_decimal::Decimal;
use serde_json::{json, Value};
use time::Duration;

use junkan_indicators::custody::{
    canonical_lot, product_battery_check, tonnes_per_unit, ImportLedgerInputs, ImportReport, LedgerClaim, LedgerRecord,
    NewLedger,
};
use junkan_indicators::ledger::CustodyModel;
use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::ids::{FacilityId, OrganizationId};
use junkan_store::{Store, StoreError};

use crate::events::Traceable;
use crate::organization_admin;

/// One of the demo's recycled-content claims.
#[derive(Debug, Clone)]
pub struct DemoClaim {
    /// What the lot is (Japanese / English).
    pub product: &'static str,
    /// The ledger that backs it.
    pub ledger: LedgerRecord,
    /// The claim.
    pub claim: LedgerClaim,
}

impl DemoClaim {
    /// The claim as an example for the credentials file; a battery metal's claim with its check
    /// against the Art. 8 minimums.
    pub fn example(&self) -> Value {
        let mut example = json!({"product": self.product, "ledger_id": self.ledger.id, "claim_id": self.claim.id,
               "output_lot": self.claim.output_lot, "material": self.ledger.material,
               "recycled_share_pct": self.claim.recycled_share_pct.normalize().to_string(),
               "ledger": self.ledger.href(), "trace": self.claim.href(),
               "facility_scope": format!("/api/v1/indicators/mass-balance?scope=facility:{}&period=2026", self.ledger.facility_id),
               "model": self.ledger.model.as_str()});
        // The pre-/post-consumer split of the share, in proportion to the credits drawn (as a
        // conformity certificate states it), when every credit's origin is known.
        if self.claim.unspecified_t.is_zero() && !self.claim.credits_t.is_zero() {
            let share = self.claim.recycled_share_pct;
            let pre = (share * self.claim.pre_consumer_t / self.claim.credits_t).round_dp(4);
            example["pre_consumer_pct"] = json!(pre.normalize().to_string());
            example["post_consumer_pct"] = json!((share - pre).normalize().to_string());
        }
        let check = product_battery_check(
            &format!("product:{}", self.claim.output_lot),
            &[(self.ledger.clone(), self.claim.clone())],
        );
        if let Some(result) = check.results.first() {
            let computed = &result["computation"]["result"];
            example["battery_regulation"] = json!({
                "meets_2031": computed["meets_2031"], "minimum_2031_pct": computed["minimum_2031_pct"],
                "meets_2036": computed["meets_2036"], "minimum_2036_pct": computed["minimum_2036_pct"],
                "check": format!("/api/v1/indicators/battery-recycled-content?scope=product:{}&period=2026", self.claim.output_lot),
            });
        }
        example
    }
}

fn invalid(what: &str) -> StoreError {
    StoreError::Unavailable(format!("demo recycled content: {what}").into())
}

/// Opens a ledger for FY2026 (2026-04-01/2027-03-31) and imports the facility's events.
async fn open_and_import(
    store: &dyn Store,
    owner: OrganizationId,
    facility: FacilityId,
    material: &str,
    model: CustodyModel,
    conversion_factor: &str,
    note: &str,
) -> Result<ImportReport, StoreError> {
    let admin = organization_admin(owner);
    let new: NewLedger = serde_json::from_value(json!({
        "facility_id": facility, "material": material, "model": model.as_str(), "period": "2026-04-01/2027-03-31",
        "conversion_factor": conversion_factor, "note": note,
    }))
    .map_err(|error| invalid(&error.to_string()))?;
    let ledger = store.create_ledger(&admin, new).await?;
    store
        .import_ledger_inputs(&admin, ledger.id, ImportLedgerInputs::default())
        .await
}

/// Gives the share of a lot the import reported missing, for the events' mass, with the mass
/// fraction of the ledger's material in the lot when it is not the material itself.
async fn declare(
    store: &dyn Store,
    owner: OrganizationId,
    report: &ImportReport,
    lot: &str,
    (pre, post, material_fraction): (u32, u32, Option<&str>),
    evidence: &str,
) -> Result<(), StoreError> {
    let lot = canonical_lot(lot).map_err(|message| invalid(&message))?;
    let missing = report
        .missing_shares
        .iter()
        .find(|missing| missing.lot == lot)
        .ok_or_else(|| invalid(&format!("{lot} was not reported missing")))?;
    let (Some(mass), Some(unit)) = (missing.mass, missing.unit.clone()) else {
        return Err(invalid(&format!("{lot} has no quantity in the events")));
    };
    store
        .add_ledger_input(
            &organization_admin(owner),
            report.ledger.ledger.id,
            serde_json::from_value(json!({"lot": lot, "mass": mass.to_string(), "unit": unit,
                "material_fraction": material_fraction.unwrap_or("1"),
                "recycled_share_pct": pre + post, "pre_consumer_pct": pre, "post_consumer_pct": post,
                "received_on": missing.received_on, "evidence": evidence}))
            .map_err(|error| invalid(&error.to_string()))?,
        )
        .await
        .map(|_| ())
}

/// Claims for the output lot `lot` of the events the share the ledger allows: the rolling
/// average under that model, else what the credits left cover (at most 100 %).
async fn claim_output(
    store: &dyn Store,
    owner: OrganizationId,
    report: &ImportReport,
    lot: &str,
) -> Result<LedgerClaim, StoreError> {
    let admin = organization_admin(owner);
    let lot = canonical_lot(lot).map_err(|message| invalid(&message))?;
    let output = report
        .outputs
        .iter()
        .find(|output| output.lot == lot)
        .ok_or_else(|| invalid(&format!("no event shows {lot} leaving the facility")))?;
    let (Some(mass), Some(unit)) = (output.mass, output.unit.clone()) else {
        return Err(invalid(&format!("{lot} has no quantity in the events")));
    };
    let view = store.get_ledger(&admin, report.ledger.ledger.id).await?;
    let per = tonnes_per_unit(&unit, &view.ledger.unit_conversions)
        .ok_or_else(|| invalid(&format!("{lot} is in {unit}, which has no conversion to tonnes")))?;
    let mass_t = mass * per;
    let share = match view.ledger.model {
        CustodyModel::MassBalanceRollingAverage | CustodyModel::ControlledBlending => {
            view.balance.rolling_average_share_pct.ok_or_else(|| {
                invalid(&format!(
                    "the average share of {} is not computable",
                    view.ledger.href()
                ))
            })?
        }
        _ => (view.balance.remaining_t / mass_t * Decimal::ONE_HUNDRED).min(Decimal::ONE_HUNDRED),
    }
    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
    store
        .claim_from_ledger(
            &admin,
            view.ledger.id,
            serde_json::from_value(json!({"output_lot": lot, "mass": mass.to_string(), "unit": unit,
                "recycled_share_pct": share.to_string(), "claimed_on": output.produced_on, "event_id": output.event_id}))
            .map_err(|error| invalid(&error.to_string()))?,
        )
        .await
}

/// Lets `reader` read the ledgers of `owner`, so that its claims can back the reader's inputs.
async fn share_ledgers(store: &dyn Store, owner: OrganizationId, reader: OrganizationId) -> Result<(), StoreError> {
    let now = store.now();
    store
        .create_grant(
            &organization_admin(owner),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization {
                    organization_id: reader,
                },
                record_kind: RecordKind::Ledger,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("再生材含有の主張の引継ぎ / passing recycled-content claims downstream".to_owned()),
                expires_at: now + Duration::days(365),
                fields: None,
            },
        )
        .await
        .map(|_| ())
}

/// Computes the demo's recycled content. `ids` gives each member's organization id and
/// `facility` its first facility by slug.
pub async fn compute(
    store: &dyn Store,
    traced: &Traceable,
    ids: &dyn Fn(&str) -> OrganizationId,
    facility: &dyn Fn(&str) -> FacilityId,
) -> Result<Vec<DemoClaim>, StoreError> {
    let mut claims = Vec::new();

    // Plastics: flakes (passport: 100 % post-consumer) → pellets.
    let report = open_and_import(
        store,
        ids("pellet"),
        facility("pellet"),
        "PP",
        CustodyModel::MassBalanceCredit,
        "0.93",
        "再生PPペレット（歩留まり93 %） / recycled PP pellets (93 % yield)",
    )
    .await?;
    let claim = claim_output(store, ids("pellet"), &report, &traced.pellet_lot).await?;
    claims.push(DemoClaim {
        product: "再生PPペレット / recycled PP pellets",
        ledger: report.ledger.ledger,
        claim,
    });

    // Battery: black mass → recovered cobalt (refiner) → cathode material.
    share_ledgers(store, ids("refiner"), ids("cathode")).await?;
    let report = open_and_import(
        store,
        ids("refiner"),
        facility("refiner"),
        "Co",
        CustodyModel::MassBalanceCredit,
        "0.98",
        "ブラックマスからのコバルト回収（収率98 %） / cobalt recovered from black mass (98 % yield)",
    )
    .await?;
    declare(
        store,
        ids("refiner"),
        &report,
        &traced.black_mass_lot,
        // 4 % of the black mass is cobalt: the pack's 6.24 kg in its 156 kg.
        (0, 100, Some("0.04")),
        "使用済みEV電池パック由来（解体・破砕の記録: EPCIS） / from an end-of-life EV battery pack (dismantling and shredding recorded in EPCIS)",
    )
    .await?;
    claim_output(store, ids("refiner"), &report, &traced.cobalt_lot).await?;
    let report = open_and_import(
        store,
        ids("cathode"),
        facility("cathode"),
        "Co",
        CustodyModel::MassBalanceRollingAverage,
        "1",
        "正極材のコバルト（平均比率法） / cobalt in cathode material (rolling average)",
    )
    .await?;
    declare(
        store,
        ids("cathode"),
        &report,
        &traced.virgin_cobalt_lot,
        (0, 0, None),
        "鉱山由来の一次コバルト（供給者の申告） / mined cobalt (supplier's declaration)",
    )
    .await?;
    let claim = claim_output(store, ids("cathode"), &report, &traced.cathode_lot).await?;
    claims.push(DemoClaim {
        product: "正極材（コバルト） / cathode material (cobalt)",
        ledger: report.ledger.ledger,
        claim,
    });

    // Metals: municipal cans (post-consumer) → sorted aluminium scrap → billets.
    share_ledgers(store, ids("scrapyard"), ids("aluminium")).await?;
    let report = open_and_import(
        store,
        ids("scrapyard"),
        facility("scrapyard"),
        "Al",
        CustodyModel::MassBalanceCredit,
        "1",
        "缶スクラップの選別 / can scrap sorting",
    )
    .await?;
    declare(
        store,
        ids("scrapyard"),
        &report,
        &traced.mixed_scrap_lot,
        // 40 % of the collected cans is aluminium: 480 kg of 1,200 kg.
        (0, 100, Some("0.4")),
        "自治体の資源ごみ（缶）回収 / municipal collection of used cans",
    )
    .await?;
    claim_output(store, ids("scrapyard"), &report, &traced.aluminium_scrap_lot).await?;
    let report = open_and_import(
        store,
        ids("aluminium"),
        facility("aluminium"),
        "Al",
        CustodyModel::MassBalanceCredit,
        "0.95",
        "水平リサイクル再生ビレット（歩留まり95 %） / horizontally recycled billets (95 % yield)",
    )
    .await?;
    let claim = claim_output(store, ids("aluminium"), &report, &traced.billet_lot).await?;
    claims.push(DemoClaim {
        product: "再生アルミビレット / secondary aluminium billets",
        ledger: report.ledger.ledger,
        claim,
    });
    Ok(claims)
}
