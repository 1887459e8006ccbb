//! Indicators of an organization (組織スコープ) computed from the platform's data:
//! `GET /api/v1/indicators/cti?scope=organization:<id>&period=` (WBCSD CTI with ISO 59020-style
//! flow shares) and `GET /api/v1/indicators/company-mci?scope=organization:<id>&period=`. The
//! store gathers the evidence with the caller's actor, one set-based call per kind of record
//! (facilities, events at their locations, passports, ledger claims, ledger inputs, later events
//! of the outputs); `junkan_indicators::organization` decides what it means. Passports' profile
//! templates (recovery potential from `recyclability`, product MCI from `mci`) are filled here,
//! as for product scopes.

use std::collections::HashMap;

use junkan_indicators::custody::tonnes_per_unit;
use junkan_indicators::organization::{
    facility_location, fates, inflow_shares, organization_company_mci, organization_cti, period_instants, plan_flows,
    unweighed_items, weigh_items, ItemMass, MassBasis, OrganizationUse, PassportUse, PeriodUse, Potential, ProductMci,
};
use junkan_indicators::records::Scope;
use junkan_indicators::{Computation, ComputeError, IndicatorInfo};
use junkan_model::facility::FacilityFilter;
use junkan_model::ids::OrganizationId;
use junkan_model::passport::{LinkRelation, Passport, ProfileRecord};
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
    let mut plan = plan_flows(&facilities, &events);
    let mut profiles = Profiles::default();
    let items = unweighed_items(&plan);
    if !items.is_empty() {
        let masses = item_masses(store, actor, &items, &mut profiles).await?;
        weigh_items(&mut plan, &masses);
    }
    let organization = OrganizationUse::new(id, &organization.name_ja, &organization.name_en);
    let period = PeriodUse::new(&from, &to);
    let outputs: Vec<String> = plan.outflows.iter().map(|flow| flow.lot.clone()).collect();
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
        // The recycled share of an item or a batch may be stated by its product model's passport
        // (the class of its Digital Link, e.g. its GTIN) when its own passport does not state it.
        let model_of: HashMap<String, String> = plan
            .inflows
            .iter()
            .filter_map(|flow| Some((flow.lot.clone(), model_identifier(&flow.lot)?)))
            .collect();
        let mut lots = inputs.clone();
        lots.extend(outputs.iter().cloned());
        lots.extend(model_of.values().cloned());
        lots.sort_unstable();
        lots.dedup();
        let passports = store.find_passports(actor, &lots).await?;
        let claims = store.ledger_claims_for_lots(actor, &inputs, None).await?;
        let entered = store.ledger_inputs_for_lots(actor, &inputs).await?;
        let facility_ids: Vec<_> = facilities.iter().map(|facility| facility.id).collect();
        let shares = inflow_shares(&inputs, &model_of, &facility_ids, &passports, &claims, &entered);
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

/// The masses of serialised items (EPCs, whose events state no quantity) that passports the
/// caller may read state, by item: the item's own passport's mass (its profile's `summary.mass`,
/// in kg), else that of its product model's passport (the class of its Digital Link, e.g. its
/// GTIN), else the mass a component link of one of those passports gives it (a pack's passport
/// naming its cells with their masses). Values withheld from the reader are not used.
async fn item_masses(
    store: &dyn Store,
    actor: &Actor,
    items: &[String],
    profiles: &mut Profiles,
) -> ApiResult<HashMap<String, ItemMass>> {
    let classes: HashMap<&str, String> = items
        .iter()
        .filter_map(|item| Some((item.as_str(), model_identifier(item)?)))
        .collect();
    let mut wanted = items.to_vec();
    wanted.extend(classes.values().cloned());
    wanted.sort_unstable();
    wanted.dedup();
    let passports = store.find_passports(actor, &wanted).await?;
    let mut masses = HashMap::new();
    // The weakest evidence first, so that stronger evidence replaces it.
    for passport in &passports {
        for (index, link) in passport.links.iter().enumerate() {
            let (Some(quantity), Some(unit)) = (link.quantity, link.unit.as_deref()) else {
                continue;
            };
            if link.relation != LinkRelation::Component || !items.contains(&link.identifier) {
                continue;
            }
            let mass = tonnes_per_unit(unit, &Default::default())
                .zip(quantity.to_string().parse::<rust_decimal::Decimal>().ok())
                .map(|(per, amount)| (amount * per).normalize())
                .filter(|mass| *mass > rust_decimal::Decimal::ZERO);
            if let Some(mass_t) = mass {
                masses.insert(
                    link.identifier.clone(),
                    ItemMass {
                        mass_t,
                        passport: PassportUse::of(passport),
                        pointer: format!("/links/{index}"),
                        basis: MassBasis::Link,
                    },
                );
            }
        }
    }
    for basis in [MassBasis::Model, MassBasis::Item] {
        for item in items {
            let identifier = match basis {
                MassBasis::Model => match classes.get(item.as_str()) {
                    Some(class) => class,
                    None => continue,
                },
                _ => item,
            };
            let Some(passport) = passport_of(&passports, identifier) else {
                continue;
            };
            if let Some((mass_t, pointer)) = profiles.stated_mass(store, passport).await? {
                masses.insert(
                    item.clone(),
                    ItemMass {
                        mass_t,
                        passport: PassportUse::of(passport),
                        pointer,
                        basis,
                    },
                );
            }
        }
    }
    Ok(masses)
}

/// The identifier of an item's or a batch's product model: the class of its Digital Link (e.g.
/// its GTIN), `None` when it is no GS1 identifier or is a class already.
fn model_identifier(item: &str) -> Option<String> {
    let class = junkan_gs1::DigitalLink::parse(item).ok()?.class().canonical();
    (class != item).then_some(class)
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
    /// The profile of `passport`, read once.
    async fn of(&mut self, store: &dyn Store, passport: &Passport) -> ApiResult<&ProfileRecord> {
        let key = (passport.profile.clone(), passport.profile_version.clone());
        if !self.0.contains_key(&key) {
            let profile = store.get_profile(&key.0, Some(&key.1)).await?;
            self.0.insert(key.clone(), profile);
        }
        Ok(&self.0[&key])
    }

    /// The mass in tonnes `passport` states for its product in the reader's view (its profile's
    /// `summary.mass`, in kg) with the pointer it was read at; `None` when the profile names none
    /// or the value is withheld, absent or not a positive number.
    async fn stated_mass(
        &mut self,
        store: &dyn Store,
        passport: &Passport,
    ) -> ApiResult<Option<(rust_decimal::Decimal, String)>> {
        let profile = self.of(store, passport).await?;
        let Some(pointer) = profile
            .document
            .pointer("/summary/mass")
            .and_then(serde_json::Value::as_str)
        else {
            return Ok(None);
        };
        let kilograms = passport
            .data
            .pointer(pointer)
            .and_then(|value| junkan_indicators::input::decimal_of(value).ok())
            .filter(|mass| *mass > rust_decimal::Decimal::ZERO);
        Ok(kilograms.map(|kilograms| {
            (
                (kilograms / rust_decimal::Decimal::ONE_THOUSAND).normalize(),
                pointer.to_owned(),
            )
        }))
    }

    /// Computes `indicator` from `passport` through its profile's template for it, from the data
    /// the reader was given: `Err` with the reason when the profile declares none, an input is
    /// withheld or absent, or the values do not pass the indicator's checks.
    async fn compute(
        &mut self,
        store: &dyn Store,
        passport: &Passport,
        indicator: &str,
    ) -> ApiResult<Result<Computation, String>> {
        let profile = self.of(store, passport).await?;
        let key = (&profile.code, &profile.version);
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
