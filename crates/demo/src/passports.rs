//! The demo's passports, on the objects its EPCIS events trace: the EV battery pack (item level,
//! three versions as it is sold, used and taken back), the refrigerator whose plastics became
//! pellets, the recycled pellet lot, the remelted aluminium billet and a recycled aggregate lot.
//! Each starts from its profile's shipped example, with the facts of the demo written over it.

use serde_json::{json, Value};

use junkan_model::access::AccessLevel;
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
use junkan_model::passport::{
    Granularity, LifecycleStatus, LinkRelation, NewPassport, Passport, PassportLink, PassportUpdate,
};
use junkan_store::{Store, StoreError};

use crate::events::Traceable;
use crate::organization_admin;

/// Identifiers of the demo passports, for the credentials file's examples.
pub struct DemoPassports {
    /// The EV battery pack's passport.
    pub battery: Passport,
    /// The recycled pellet lot's passport.
    pub pellets: Passport,
    /// The aluminium billet's passport.
    pub billet: Passport,
    /// The recycled aggregate lot's passport.
    pub aggregate: Passport,
    /// The refrigerator's passport.
    pub fridge: Passport,
    /// The PP flakes' passport (their recycled share feeds the pellet maker's ledger).
    pub flakes: Passport,
}

/// The shipped example of `profile` with `changes` (pointer, value) written over it.
fn data(profile: &str, changes: &[(&str, Value)]) -> Result<Value, StoreError> {
    let mut data = junkan_passport::builtin::example(profile)
        .ok_or_else(|| StoreError::Unavailable(format!("no shipped example for {profile}").into()))?;
    for (pointer, value) in changes {
        let target = data
            .pointer_mut(pointer)
            .ok_or_else(|| StoreError::Unavailable(format!("{profile} example has no {pointer}").into()))?;
        *target = value.clone();
    }
    Ok(data)
}

fn link(identifier: &str, relation: LinkRelation, kilograms: Option<f64>, access: AccessLevel) -> PassportLink {
    PassportLink {
        identifier: identifier.to_owned(),
        relation,
        quantity: kilograms,
        unit: kilograms.map(|_| "kg".to_owned()),
        access,
    }
}

fn new(
    identifier: &str,
    granularity: Granularity,
    profile: &str,
    data: Value,
    links: Vec<PassportLink>,
) -> NewPassport {
    NewPassport {
        identifier: identifier.to_owned(),
        granularity,
        profile: profile.to_owned(),
        status: LifecycleStatus::Original,
        visibility: Visibility::Public,
        data,
        links,
        note: Some("初版 / first edition".to_owned()),
    }
}

/// Creates the demo passports. `ids` gives each member's organization id by slug.
pub async fn create(
    store: &dyn Store,
    traced: &Traceable,
    ids: &dyn Fn(&str) -> OrganizationId,
) -> Result<DemoPassports, StoreError> {
    // The pack: its cells as components; sold, in use, then taken back as waste.
    let packmaker = organization_admin(ids("packmaker"));
    let cells = traced
        .cells
        .iter()
        .map(|cell| {
            link(
                cell,
                LinkRelation::Component,
                Some(0.9),
                AccessLevel::LegitimateInterest,
            )
        })
        .collect();
    let battery = store
        .create_passport(
            &packmaker,
            new(
                &traced.battery_pack,
                Granularity::Item,
                "battery",
                data(
                    "battery",
                    &[
                        (
                            "/GeneralProductInformation/manufacturerInformation/contactName",
                            json!("みらい電池パック株式会社 (Mirai Battery Pack Co., Ltd.)"),
                        ),
                        (
                            "/GeneralProductInformation/manufacturingPlace/streetAddress",
                            json!("愛知県岡崎市 みらい電池パック 岡崎パック工場"),
                        ),
                    ],
                )?,
                cells,
            ),
        )
        .await?;
    let mut taken_back = battery.data.clone();
    if let Some(status) = taken_back.pointer_mut("/GeneralProductInformation/batteryStatus") {
        *status = json!("Waste");
    }
    store
        .update_passport(
            &packmaker,
            battery.id,
            PassportUpdate {
                status: Some(LifecycleStatus::InUse),
                note: Some("車両に搭載・販売 / fitted to a vehicle and sold".to_owned()),
                ..PassportUpdate::default()
            },
        )
        .await?;
    let battery = store
        .update_passport(
            &packmaker,
            battery.id,
            PassportUpdate {
                status: Some(LifecycleStatus::Waste),
                data: Some(taken_back),
                note: Some("使用済み・解体事業者が回収 / end of life, taken back by the dismantler".to_owned()),
                ..PassportUpdate::default()
            },
        )
        .await?;

    // The refrigerator, collected under the Home Appliance Recycling Law.
    let fridge = store
        .create_passport(
            &organization_admin(ids("appliance")),
            new(
                &traced.fridge,
                Granularity::Item,
                "home_appliance",
                data("home_appliance", &[])?,
                Vec::new(),
            ),
        )
        .await?;
    let fridge = store
        .update_passport(
            &organization_admin(ids("appliance")),
            fridge.id,
            PassportUpdate {
                status: Some(LifecycleStatus::Waste),
                note: Some("家電リサイクル券により引取り / collected with a recycling ticket".to_owned()),
                ..PassportUpdate::default()
            },
        )
        .await?;

    // The PP flakes sorted from the refrigerator's plastics: wholly post-consumer.
    let flakes = store
        .create_passport(
            &organization_admin(ids("appliance-recycling")),
            NewPassport {
                status: LifecycleStatus::EndOfWaste,
                ..new(
                    &traced.flakes_lot,
                    Granularity::Batch,
                    "plastics",
                    data(
                        "plastics",
                        &[
                            ("/producer/name", json!("関西家電リサイクルセンター株式会社 (Kansai Appliance Recycling Centre Co., Ltd.)")),
                            ("/form", json!("flake")),
                            ("/recycledContent", json!({"preConsumer": 0, "postConsumer": 100, "total": 100, "claimBasis": "third-party verified"})),
                        ],
                    )?,
                    vec![link(&traced.fridge, LinkRelation::Material, None, AccessLevel::Public)],
                )
            },
        )
        .await?;

    // The recycled pellet lot, made from the flakes of the refrigerator's plastics.
    let pellets = store
        .create_passport(
            &organization_admin(ids("pellet")),
            NewPassport {
                status: LifecycleStatus::EndOfWaste,
                ..new(
                    &traced.pellet_lot,
                    Granularity::Batch,
                    "plastics",
                    data(
                        "plastics",
                        &[
                            (
                                "/producer/name",
                                json!("再生ペレット化成株式会社 (Recycled Pellet Kasei Co., Ltd.)"),
                            ),
                            // As the pellet maker's mass-balance ledger claims for the lot.
                            (
                                "/recycledContent",
                                json!({"preConsumer": 0, "postConsumer": 100, "total": 100, "claimBasis": "mass balance (ISCC PLUS)"}),
                            ),
                        ],
                    )?,
                    vec![
                        link(
                            &traced.flakes_lot,
                            LinkRelation::Predecessor,
                            Some(1050.0),
                            AccessLevel::LegitimateInterest,
                        ),
                        link(&traced.fridge, LinkRelation::Material, None, AccessLevel::Public),
                    ],
                )
            },
        )
        .await?;

    // The remelted aluminium billet.
    let billet = store
        .create_passport(
            &organization_admin(ids("aluminium")),
            NewPassport {
                status: LifecycleStatus::EndOfWaste,
                ..new(
                    &traced.billet_lot,
                    Granularity::Batch,
                    "metal",
                    data(
                        "metal",
                        &[
                            ("/metal", json!("aluminium_wrought")),
                            ("/productForm", json!("billet")),
                            ("/grade", json!({"standard": "JIS H 4100", "designation": "A6063"})),
                            ("/productionRoute", json!("remelting")),
                            ("/producer/name", json!("水平リサイクルアルミ株式会社 (Horizontal Recycling Aluminium Co., Ltd.)")),
                            ("/scrapInput", json!([{"class": "アルミ上物（UBC）", "origin": "post_consumer", "share": 100}])),
                            // As the aluminium plant's mass-balance ledger claims for the lot.
                            ("/recycledContent", json!({"preConsumer": 0, "postConsumer": 100, "total": 100, "method": "ISO 22095 マスバランス（クレジット法） / mass balance, credit method"})),
                            ("/carbonFootprint/value", json!(610)),
                        ],
                    )?,
                    vec![link(&traced.aluminium_scrap_lot, LinkRelation::Predecessor, Some(5200.0), AccessLevel::LegitimateInterest)],
                )
            },
        )
        .await?;

    // A recycled aggregate lot (no EPCIS events in the demo: a URI of the producer's own scheme).
    let aggregate = store
        .create_passport(
            &organization_admin(ids("aggregate")),
            NewPassport {
                status: LifecycleStatus::EndOfWaste,
                ..new(
                    "urn:junkan:demo:aggregate:RA-M-2026-0412",
                    Granularity::Batch,
                    "construction_material",
                    data("construction_material", &[])?,
                    Vec::new(),
                )
            },
        )
        .await?;
    Ok(DemoPassports {
        battery,
        pellets,
        billet,
        aggregate,
        fridge,
        flakes,
    })
}
