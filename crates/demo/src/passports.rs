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

/// The mass of one of the pack's cells, in kg.
const CELL_KG: f64 = 3.75;

/// The recycled shares of the cells' metals (pre- and post-consumer, %): nickel 2 + 4, cobalt
/// 6 + 10, lithium 1 + 2. The pack's are the same, as all its nickel, cobalt and lithium is in
/// its cells.
fn cell_recycled_content() -> Value {
    json!([
        recycled("Nickel", 2.0, 4.0),
        recycled("Cobalt", 6.0, 10.0),
        recycled("Lithium", 1.0, 2.0),
    ])
}

/// Creates the demo passports. `ids` gives each member's organization id by slug.
pub async fn create(
    store: &dyn Store,
    traced: &Traceable,
    ids: &dyn Fn(&str) -> OrganizationId,
) -> Result<DemoPassports, StoreError> {
    // The cells: each 3.75 kg, of which 0.525 kg nickel, 0.065 kg cobalt and 0.0775 kg lithium (in
    // its cathode material, 1.0875 kg of NMC811), with the recycled shares of those metals. The
    // pack's 96 cells hold 360 kg: 50.4 kg nickel, 6.24 kg cobalt and 7.44 kg lithium, as its
    // passport states.
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
                            ("/GeneralProductInformation/batteryMass", json!(CELL_KG)),
                            (
                                "/MaterialComposition/batteryMaterials",
                                json!([
                                    metal("Cathode active material", "CELL-CAT", "7440-02-0", "Nickel", 0.525),
                                    metal("Cathode active material", "CELL-CAT", "7440-48-4", "Cobalt", 0.065),
                                    metal("Cathode active material", "CELL-CAT", "7439-93-2", "Lithium", 0.0775),
                                ]),
                            ),
                            ("/Circularity/recycledContent", cell_recycled_content()),
                        ],
                    )?,
                    Vec::new(),
                ),
            )
            .await?;
        cell_passports.push(passport);
    }

    // The pack: its cells as components; sold, in use, then taken back as waste. It weighs 478.5 kg:
    // 96 cells of 3.75 kg (360 kg) and 118.5 kg outside the cells, which its composition states
    // explicitly: the aluminium housing (96.3 kg) and the steel frame and fasteners (22.2 kg). Its
    // composition also states the nickel, cobalt and lithium in its cells' NMC811 cathode
    // material (96 × 1.0875 = 104.4 kg: 50.4 kg, 6.24 kg and 7.44 kg), which its per-metal
    // recycled content refers to; those shares are its cells' (the pack adds no metal).
    let packmaker = organization_admin(ids("packmaker"));
    let mut pack_materials = data("battery", &[])?
        .pointer("/MaterialComposition/batteryMaterials")
        .cloned()
        .unwrap_or_else(|| json!([]));
    if let Some(list) = pack_materials.as_array_mut() {
        for entry in list.iter_mut() {
            match entry
                .pointer("/batteryMaterialLocation/componentId")
                .and_then(Value::as_str)
            {
                Some("CELL-CAT") => entry["batteryMaterialMass"] = json!(104.4),
                Some("PACK-HSG") => {
                    entry["batteryMaterialLocation"]["componentName"] = json!("Pack housing (outside the cells)");
                }
                _ => {}
            }
        }
        list.extend([
            json!({"batteryMaterialLocation": {"componentName": "Pack frame and fasteners (outside the cells)", "componentId": "PACK-FRM"},
                   "batteryMaterialIdentifier": "12597-69-2", "batteryMaterialName": "Steel", "batteryMaterialMass": 22.2,
                   "isCriticalRawMaterial": false}),
            metal(
                "Cathode active material (metal content)",
                "CELL-CAT",
                "7440-02-0",
                "Nickel",
                50.4,
            ),
            metal(
                "Cathode active material (metal content)",
                "CELL-CAT",
                "7440-48-4",
                "Cobalt",
                6.24,
            ),
            metal(
                "Cathode active material (metal content)",
                "CELL-CAT",
                "7439-93-2",
                "Lithium",
                7.44,
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
                Some(CELL_KG),
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
                        ("/Circularity/recycledContent", cell_recycled_content()),
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
    // The vehicle's model (its GTIN), in the shipped `vehicle` profile (車両・完成車): the
    // automaker states its curb mass, 1,850 kg, its materials with their recycled content and its
    // traction battery, the demo's pack (478.5 kg; its cells' nickel, cobalt and lithium are
    // 1.4568 kg pre-consumer and 2.7888 kg post-consumer recycled, 0.30 % and 0.58 % of the pack).
    let vehicle_class = canonical_lot(&traced.vehicle)
        .ok()
        .and_then(|link| junkan_gs1::DigitalLink::parse(&link).ok())
        .map(|link| link.class().canonical())
        .ok_or_else(|| StoreError::Unavailable("the demo vehicle's EPC is not a GS1 identifier".into()))?;
    let mut vehicle_data = data(
        "vehicle",
        &[
            (
                "/materials",
                json!([
                    {"group": "車体・シャシー / body and chassis", "material": "鋼材 / steel", "mass": 820, "preConsumer": 5, "postConsumer": 15},
                    {"group": "車体・シャシー / body and chassis", "material": "アルミニウム / aluminium", "mass": 300, "preConsumer": 8, "postConsumer": 20},
                    {"group": "駆動用電池 / traction battery", "material": "リチウムイオン電池 / lithium-ion battery", "mass": 478.5, "preConsumer": 0.3, "postConsumer": 0.6},
                    {"group": "内装・樹脂部品 / interior and plastic parts", "material": "樹脂 (PP, ABS, PA) / plastics", "mass": 190, "preConsumer": 3, "postConsumer": 12},
                    {"group": "その他 / other (glass, rubber, fluids)", "material": "ガラス・ゴム・液類 / glass, rubber, fluids", "mass": 61.5, "preConsumer": 0, "postConsumer": 0}
                ]),
            ),
            // Pre-consumer (4100 + 2400 + 143.55 + 570) / 1850 = 3.90 %, post-consumer
            // (12300 + 6000 + 287.1 + 2280) / 1850 = 11.28 %.
            (
                "/recycledContent",
                json!({"total": 15.18, "preConsumer": 3.9, "postConsumer": 11.28,
                       "source": "部位ごとの材料の再生材含有率（供給者の申告）の質量加重 / mass-weighted from the suppliers' declarations per material"}),
            ),
            (
                "/tractionBattery",
                json!({"identifier": traced.battery_pack, "chemistry": "NMC811", "mass": 478.5, "capacityKwh": 75}),
            ),
        ],
    )?;
    if let Some(fields) = vehicle_data.as_object_mut() {
        // The example's record of one vehicle belongs to an item, not to a model.
        fields.remove("item");
    }
    let vehicle_model = store
        .create_passport(
            &organization_admin(ids("automaker")),
            new(&vehicle_class, Granularity::Model, "vehicle", vehicle_data, Vec::new()),
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
