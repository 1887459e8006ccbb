//! What the demo needs for company-level circularity (循環移行指標, WBCSD CTI): each company that
//! took in a supplier's lot lets the supplier read the events in which it used the lot, as a
//! recycler gives a waste generator its proof of recycling (再資源化の証明), so that the supplier
//! can see what became of its outflow. The figures are not computed here: the node computes them
//! from the events (`GET /api/v1/indicators/cti?scope=organization:<id>&period=2026`), and the
//! cli asks it for the companies of [`CTI_COMPANIES`].

use time::Duration;

use junkan_indicators::custody::canonical_lot;
use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::event::{EventQuery, IdentifierFilter, IdentifierRole};
use junkan_model::ids::OrganizationId;
use junkan_model::page::PageRequest;
use junkan_store::{Store, StoreError};

use crate::events::Traceable;
use crate::organization_admin;
use crate::passports::DemoPassports;

/// The companies whose CTI the demo shows (slugs): the plastics recycler, the battery chain's
/// recycler and cathode maker, the scrap yard and the secondary aluminium plant, which record
/// their flows with quantities; the black-mass recycler, whose input (a battery pack) is weighed
/// and rated by the pack's passport, whose composition the pack maker shares with it as
/// dismantling information; and the pack maker and the automaker, whose items (cells, packs,
/// vehicles) are weighed and rated by their passports.
pub const CTI_COMPANIES: &[&str] = &[
    "pellet",
    "refiner",
    "cathode",
    "scrapyard",
    "aluminium",
    "blackmass",
    "packmaker",
    "automaker",
];

/// The companies whose mass-weighted company MCI (企業のMCI) the demo shows (slugs): the
/// appliance maker, whose refrigerator's passport states the MCI inputs and its mass
/// (`GET /api/v1/indicators/company-mci?scope=organization:<id>&period=2026`).
pub const COMPANY_MCI_COMPANIES: &[&str] = &["appliance"];

/// Lets each supplier read the events in which its customer used its lot: (customer, supplier,
/// lot).
pub async fn share_downstream_use(
    store: &dyn Store,
    traced: &Traceable,
    passports: &DemoPassports,
    ids: &dyn Fn(&str) -> OrganizationId,
) -> Result<(), StoreError> {
    let now = store.now();
    // The makers' passports state the composition (the metals' masses) to legitimate interest
    // only: each maker shares it with its customer, who needs it for its inflow's share, and the
    // pack maker with the black-mass recycler that takes the pack at its end of life, as a maker
    // shares dismantling and composition information with its recycler (EU 2023/1542 Art. 77(2)
    // gives recyclers access to the composition of the battery).
    for (maker, customer, shared, purpose) in [
        (
            "cellmaker",
            "packmaker",
            passports.cells.iter().collect::<Vec<_>>(),
            "納入品の再生材含有率の算定 / recycled content of delivered items",
        ),
        (
            "packmaker",
            "automaker",
            vec![&passports.battery],
            "納入品の再生材含有率の算定 / recycled content of delivered items",
        ),
        (
            "packmaker",
            "blackmass",
            vec![&passports.battery],
            "解体・再資源化のための組成情報 / composition for dismantling and recycling",
        ),
    ] {
        store
            .create_grant(
                &organization_admin(ids(maker)),
                NewGrant {
                    record_class: None,
                    max_reads: None,
                    enforce_purpose: false,
                    grantee: Grantee::Organization {
                        organization_id: ids(customer),
                    },
                    record_kind: RecordKind::Passport,
                    record_ids: Some(shared.iter().map(|passport| passport.id.to_string()).collect()),
                    level: GrantLevel::LegitimateInterest,
                    purpose: Some(purpose.to_owned()),
                    expires_at: now + Duration::days(365),
                    fields: None,
                },
            )
            .await?;
    }
    for (customer, supplier, lot) in [
        ("compounder", "pellet", &traced.pellet_lot),
        ("cathode", "refiner", &traced.cobalt_lot),
        ("aluminium", "scrapyard", &traced.aluminium_scrap_lot),
        ("refiner", "blackmass", &traced.black_mass_lot),
        // Items: the dismantler's take-back and disassembly of the vehicle and its pack, and the
        // black-mass recycler's shredding of the pack.
        ("dismantler", "automaker", &traced.vehicle),
        ("dismantler", "packmaker", &traced.battery_pack),
        ("blackmass", "packmaker", &traced.battery_pack),
    ] {
        let admin = organization_admin(ids(customer));
        let lot = canonical_lot(lot).map_err(|message| StoreError::Unavailable(message.into()))?;
        let query = EventQuery {
            identifiers: vec![IdentifierFilter {
                roles: IdentifierRole::CLASS
                    .into_iter()
                    .chain(IdentifierRole::INSTANCE)
                    .collect(),
                values: vec![lot.clone()],
                prefixes: Vec::new(),
            }],
            ..EventQuery::default()
        };
        let events = store.query_events(&admin, &query, &PageRequest::first(100)).await?;
        let record_ids: Vec<String> = events
            .items
            .iter()
            .filter(|stored| stored.owner_organization_id == ids(customer))
            .map(|stored| stored.event.event_id.clone())
            .collect();
        if record_ids.is_empty() {
            return Err(StoreError::Unavailable(
                format!("demo circularity: {customer} has no event using {lot}").into(),
            ));
        }
        store
            .create_grant(
                &admin,
                NewGrant {
                    record_class: None,
                    max_reads: None,
                    enforce_purpose: false,
                    grantee: Grantee::Organization {
                        organization_id: ids(supplier),
                    },
                    record_kind: RecordKind::Event,
                    record_ids: Some(record_ids),
                    level: GrantLevel::LegitimateInterest,
                    purpose: Some(
                        "納入ロットの使用・再資源化の証明 / proof of use and recycling of delivered lots".to_owned(),
                    ),
                    expires_at: now + Duration::days(365),
                    fields: None,
                },
            )
            .await?;
    }
    Ok(())
}
