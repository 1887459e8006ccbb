//! The demo's passports, on the objects its EPCIS events trace: the EV battery pack (item level,
//! three versions as it is sold, used and taken back), the refrigerator whose plastics became
//! pellets, the recycled pellet lot, the remelted aluminium billet and a recycled aggregate lot.
//! Each starts from its profile's shipped example, with the facts of the demo written over it.
//! The battery chain's makers state what the organization CTI reads: each cell's passport (the
//! cell maker's) its mass, its metals' masses and their recycled shares; the pack's passport the
//! metals in its cathode material; the vehicle model's passport (the automaker's) its mass.

use serde_json::{json, Value};

use junkan_model::access::AccessLevel;
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
use junkan_model::passport::{
    Granularity, LifecycleStatus, LinkRelation, NewPassport, Passport, PassportLink, PassportUpdate,
};
use junkan_store::{Store, StoreError};

use junkan_indicators::custody::canonical_lot;

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
    /// The battery cells' passports (the cell maker's, one per cell).
    pub cells: Vec<Passport>,
    /// The passport of the vehicle's model (the automaker's, granularity `model`).
    pub vehicle_model: Passport,
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

/// A battery material entry of the Battery Pass composition: a metal by its CAS number, with
/// its mass in kg.
fn metal(component: &str, component_id: &str, cas: &str, name: &str, kilograms: f64) -> Value {
    json!({"batteryMaterialLocation": {"componentName": component, "componentId": component_id},
           "batteryMaterialIdentifier": cas, "batteryMaterialName": name, "batteryMaterialMass": kilograms,
           "isCriticalRawMaterial": true})
}

/// A recycled-content entry of the Battery Pass: a metal's pre- and post-consumer shares in %.
fn recycled(name: &str, pre: f64, post: f64) -> Value {
    json!({"recycledMaterial": name, "preConsumerShare": pre, "postConsumerShare": post})
}

/// Creates the demo passports. `ids` gives each member's organization id by slug.
pub async fn create(
    store: &dyn Store,
    traced: &Traceable,
    ids: &dyn Fn(&str) -> OrganizationId,
) -> Result<DemoPassports, StoreError> {
    // The cells: each 0.9 kg, of which 0.1 kg nickel, 0.02 kg cobalt and 0.01 kg lithium (in its
    // cathode material), with the recycled shares of those metals.
    let cellmaker = organization_admin(ids("cellmaker"));
    let mut cell_passports = Vec::new();
    for cell in &traced.cells {
        let passport = store
            .create_passport(
                &cellmaker,
                new(
                    cell,
                    Granularity::Item,
                    "battery",
                    data(
                        "battery",
                        &[
                            (
                                "/GeneralProductInformation/manufacturerInformation/contactName",
                                json!("東海セルテック株式会社 (Tokai Celltech Co., Ltd.)"),
                            ),
                            (
                                "/GeneralProductInformation/manufacturingPlace/streetAddress",
                                json!("愛知県豊田市 東海セルテック 豊田セル工場"),
                            ),
                            ("/GeneralProductInformation/batteryMass", json!(0.9)),
                            (
                                "/MaterialComposition/batteryMaterials",
                                json!([
                                    metal("Cathode active material", "CELL-CAT", "7440-02-0", "Nickel", 0.1),
                                    metal("Cathode active material", "CELL-CAT", "7440-48-4", "Cobalt", 0.02),
                                    metal("Cathode active material", "CELL-CAT", "7439-93-2", "Lithium", 0.01),
                                ]),
                            ),
                            (
                                "/Circularity/recycledContent",
                                json!([
                                    recycled("Nickel", 2.0, 4.0),
                                    recycled("Cobalt", 6.0, 10.0),
                                    recycled("Lithium", 1.0, 2.0),
                                ]),
                            ),
                        ],
                    )?,
                    Vec::new(),
                ),
            )
            .await?;
        cell_passports.push(passport);
    }

    // The pack: its cells as components; sold, in use, then taken back as waste. Its composition
    // also states the nickel, cobalt and lithium in its NMC811 cathode material (104.6 kg:
    // 50.5 kg, 6.3 kg and 7.5 kg), which its per-metal recycled content refers to.
    let packmaker = organization_admin(ids("packmaker"));
    let mut pack_materials = data("battery", &[])?
        .pointer("/MaterialComposition/batteryMaterials")
        .cloned()
        .unwrap_or_else(|| json!([]));
    if let Some(list) = pack_materials.as_array_mut() {
        list.extend([
            metal(
                "Cathode active material (metal content)",
                "CELL-CAT",
                "7440-02-0",
                "Nickel",
                50.5,
            ),
            metal(
                "Cathode active material (metal content)",
                "CELL-CAT",
                "7440-48-4",
                "Cobalt",
                6.3,
            ),
            metal(
                "Cathode active material (metal content)",
                "CELL-CAT",
                "7439-93-2",
                "Lithium",
                7.5,
            ),
        ]);
    }
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
                        ("/MaterialComposition/batteryMaterials", pack_materials),
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
    // The vehicle's model (its GTIN): the automaker states its mass, 1,850 kg. No shipped profile
    // describes a whole vehicle; the automobile part profile states a mass and materials.
    let vehicle_class = canonical_lot(&traced.vehicle)
        .ok()
        .and_then(|link| junkan_gs1::DigitalLink::parse(&link).ok())
        .map(|link| link.class().canonical())
        .ok_or_else(|| StoreError::Unavailable("the demo vehicle's EPC is not a GS1 identifier".into()))?;
    let mut vehicle_data = data(
        "automobile_part",
        &[
            ("/partNumber", json!("MZ-EV1")),
            (
                "/partName",
                json!("電気自動車（完成車） MIZUHO e-1 / electric vehicle, complete"),
            ),
            (
                "/manufacturer",
                json!({"name": "瑞穂自動車株式会社 (Mizuho Motors Corporation)", "corporateNumber": "2020001999994"}),
            ),
            (
                "/vehicles",
                json!([{"make": "瑞穂自動車", "model": "MIZUHO e-1", "typeDesignation": "ZAA-ME1", "years": "2026-"}]),
            ),
            ("/mass", json!(1850)),
            (
                "/materials",
                json!([
                    {"component": "車体・シャシー / body and chassis", "polymer": "steel and aluminium", "marking": "-", "mass": 1120, "recycledContent": 18},
                    {"component": "駆動用電池 / traction battery", "polymer": "-", "marking": "-", "mass": 478.5, "recycledContent": 1},
                    {"component": "内装・樹脂部品 / interior and plastic parts", "polymer": "PP, ABS, PA", "marking": ">PP<", "mass": 251.5, "recycledContent": 12}
                ]),
            ),
            // (1120 × 18 + 478.5 × 1 + 251.5 × 12) / 1850 = 12.8 %.
            (
                "/recycledContent",
                json!({"share": 12.8, "preConsumer": 4.3, "postConsumer": 8.5,
                       "source": "鋼板・アルミ・樹脂の再生材（供給者の申告）/ recycled steel, aluminium and plastics (suppliers' declarations)"}),
            ),
            (
                "/dismantling",
                json!({"removalTime": 95, "tools": ["絶縁工具一式 / insulated tool set", "電池リフト / battery lift"],
                       "fasteners": [{"type": "M10ボルト / M10 bolt", "count": 16}],
                       "sequence": ["サービスプラグ取外し・絶縁確認 / remove the service plug, check insulation",
                                    "駆動用電池の取外し / remove the traction battery",
                                    "液抜き・エアバッグ類の回収 / drain fluids, recover airbags"],
                       "manualUrl": "https://dismantling.mizuho-motors.example.jp/ME1/vehicle.pdf"}),
            ),
            (
                "/recyclingLaw",
                json!({"asrRelevant": true, "airbagRelated": true, "fluorocarbonRelated": true,
                       "notes": "自動車リサイクル法の対象（フロン類・エアバッグ類・ASR） / under the Automobile Recycling Law"}),
            ),
            (
                "/reuse",
                json!({"suitability": "material_recycling_only", "conditions": "車両としての再使用は中古車流通による / reuse as a vehicle is through the used-car market"}),
            ),
        ],
    )?;
    if let Some(fields) = vehicle_data.as_object_mut() {
        // The example's removed-part record belongs to one dismantled item, not to a model.
        fields.remove("item");
        fields.remove("supplierCost");
    }
    let vehicle_model = store
        .create_passport(
            &organization_admin(ids("automaker")),
            new(
                &vehicle_class,
                Granularity::Model,
                "automobile_part",
                vehicle_data,
                Vec::new(),
            ),
        )
        .await?;

    Ok(DemoPassports {
        cells: cell_passports,
        vehicle_model,
        battery,
        pellets,
        billet,
        aggregate,
        fridge,
        flakes,
    })
}
