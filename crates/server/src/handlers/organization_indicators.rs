//! Indicators of an organization (組織スコープ) computed from the platform's data:
//! `GET /api/v1/indicators/cti?scope=organization:<id>&period=` (WBCSD CTI with ISO 59020-style
//! flow shares) and `GET /api/v1/indicators/company-mci?scope=organization:<id>&period=`. The
//! store gathers the evidence with the caller's actor, one set-based call per kind of record
//! (facilities, events at their locations, passports, ledger claims, ledger inputs, later events
//! of the outputs); `junkan_indicators::organization` decides what it means. Passports' profile
//! templates (recovery potential from `recyclability`, product MCI from `mci`) are filled here,
//! as for product scopes.

use std::collections::HashMap;

use junkan_indicators::organization::{
    facility_location, fates, inflow_shares, organization_company_mci, organization_cti, period_instants, plan_flows,
    OrganizationUse, PassportUse, PeriodUse, Potential, ProductMci,
};
use junkan_indicators::records::Scope;
use junkan_indicators::{Computation, ComputeError, IndicatorInfo};
use junkan_model::facility::FacilityFilter;
use junkan_model::ids::OrganizationId;
use junkan_model::passport::{Passport, ProfileRecord};
use junkan_model::principal::Actor;
use junkan_model::validation::Violation;
use junkan_passport::inputs::fill;
use junkan_store::Store;

use crate::error::{ApiError, ApiResult};
use crate::handlers::indicator_records::every_page;

/// The indicators computed for organization scopes.
pub const ORGANIZATION_INDICATORS: [&str; 2] = ["cti", "company-mci"];

/// `info` (one of [`ORGANIZATION_INDICATORS`]) for the organization of `scope` over the days
/// `from`..=`to`, from what `actor` may read.
pub async fn organization_indicator(
    store: &dyn Store,
    actor: &Actor,
    info: &'static IndicatorInfo,
    scope: &Scope,
    (from, to): (String, String),
) -> ApiResult<serde_json::Value> {
    let id: OrganizationId = scope.id.parse().map_err(|_| {
        ApiError::invalid(vec![Violation::new(
            "?scope",
            "an organization scope names the organization's id",
        )])
    })?;
    let organization = store.get_organization(id).await?;
    let (start, end) =
        period_instants(&from, &to).map_err(|message| ApiError::invalid(vec![Violation::new("?period", message)]))?;
    let filter = FacilityFilter {
        organization_id: Some(id),
        ..FacilityFilter::default()
    };
    let facilities = every_page(|page| {
        let filter = &filter;
        async move { store.list_facilities(actor, filter, &page).await }
    })
    .await?;
    let locations: Vec<String> = facilities
        .iter()
        .filter_map(|facility| facility.gln.as_deref().map(facility_location))
        .collect();
    let events = store.events_at_locations(actor, &locations, start, end).await?;
    let plan = plan_flows(&facilities, &events);
    let organization = OrganizationUse::new(id, &organization.name_ja, &organization.name_en);
    let period = PeriodUse::new(&from, &to);
    let outputs: Vec<String> = plan.outflows.iter().map(|flow| flow.lot.clone()).collect();
    let mut profiles = Profiles::default();
    let answer = if info.name == "company-mci" {
        let passports = store.find_passports(actor, &outputs).await?;
        let mut mcis = HashMap::new();
        for lot in &outputs {
            let found = match passport_of(&passports, lot) {
                None => ProductMci::Unknown("no passport of the product that you may read".to_owned()),
                Some(passport) => match profiles.compute(store, passport, "mci").await? {
                    Ok(computation) => match computation.result.get("MCI").and_then(decimal) {
                        Some(mci) => ProductMci::Found {
                            mci,
                            passport: PassportUse::of(passport),
                            computation: Box::new(computation),
                        },
                        None => ProductMci::Unknown("its MCI is not computable".to_owned()),
                    },
                    Err(reason) => ProductMci::Unknown(reason),
                },
            };
            mcis.insert(lot.clone(), found);
        }
        serde_json::to_value(organization_company_mci(organization, period, &plan, &mcis))
    } else {
        let inputs: Vec<String> = plan.inflows.iter().map(|flow| flow.lot.clone()).collect();
        let mut lots = inputs.clone();
        lots.extend(outputs.iter().cloned());
        let passports = store.find_passports(actor, &lots).await?;
        let claims = store.ledger_claims_for_lots(actor, &inputs, None).await?;
        let entered = store.ledger_inputs_for_lots(actor, &inputs).await?;
        let facility_ids: Vec<_> = facilities.iter().map(|facility| facility.id).collect();
        let shares = inflow_shares(&inputs, &facility_ids, &passports, &claims, &entered);
        let mut potentials = HashMap::new();
        for lot in &outputs {
            let potential = match passport_of(&passports, lot) {
                None => Potential::Unknown("no passport of the lot that you may read".to_owned()),
                Some(passport) => match profiles.compute(store, passport, "recyclability").await? {
                    Ok(computation) => match computation.result.get("recyclability_pct").and_then(decimal) {
                        Some(share) => {
                            Potential::Stated(share / rust_decimal::Decimal::ONE_HUNDRED, PassportUse::of(passport))
                        }
                        None => Potential::Unknown("its recyclable share is not computable".to_owned()),
                    },
                    Err(reason) => Potential::Unknown(reason),
                },
            };
            potentials.insert(lot.clone(), potential);
        }
        let downstream = store.lineage_events(actor, &outputs, &plan.event_ids).await?;
        let fates = fates(&plan, &downstream);
        serde_json::to_value(organization_cti(
            organization,
            period,
            &plan,
            &shares,
            &potentials,
            &fates,
        ))
    };
    answer.map_err(|error| ApiError::internal(&error))
}

/// The passport whose identifier is `lot`.
fn passport_of<'a>(passports: &'a [Passport], lot: &str) -> Option<&'a Passport> {
    passports.iter().find(|passport| passport.identifier == lot)
}

/// A decimal result value (a JSON number or decimal string).
fn decimal(value: &serde_json::Value) -> Option<rust_decimal::Decimal> {
    junkan_indicators::input::decimal_of(value).ok()
}

/// The profiles read so far, by code and version.
#[derive(Default)]
struct Profiles(HashMap<(String, String), ProfileRecord>);

impl Profiles {
    /// Computes `indicator` from `passport` through its profile's template for it, from the data
    /// the reader was given: `Err` with the reason when the profile declares none, an input is
    /// withheld or absent, or the values do not pass the indicator's checks.
    async fn compute(
        &mut self,
        store: &dyn Store,
        passport: &Passport,
        indicator: &str,
    ) -> ApiResult<Result<Computation, String>> {
        let key = (passport.profile.clone(), passport.profile_version.clone());
        if !self.0.contains_key(&key) {
            let profile = store.get_profile(&key.0, Some(&key.1)).await?;
            self.0.insert(key.clone(), profile);
        }
        let profile = &self.0[&key];
        let href = format!("/api/v1/passports/{}?version={}", passport.id, passport.version);
        let Some(template) = profile
            .document
            .get("indicators")
            .and_then(|templates| templates.get(indicator))
        else {
            return Ok(Err(format!(
                "profile {} {} of passport {href} declares no {indicator} input",
                key.0, key.1
            )));
        };
        let filled = fill(template, &passport.data, &passport.withheld);
        if !filled.missing.is_empty() {
            let missing: Vec<String> = filled
                .missing
                .iter()
                .map(|missing| format!("{} ({})", missing.source, missing.reason))
                .collect();
            return Ok(Err(format!("passport {href} does not give you {}", missing.join(", "))));
        }
        Ok(match junkan_indicators::compute(indicator, &filled.input) {
            Ok(computation) => Ok(computation),
            Err(ComputeError::Invalid(violations)) => Err(format!(
                "the values of passport {href} do not pass the {indicator} checks: {}",
                violations
                    .iter()
                    .map(|violation| format!("{}: {}", violation.path, violation.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Err(error @ ComputeError::UnknownIndicator(_)) => return Err(ApiError::internal(&error)),
        })
    }
}
