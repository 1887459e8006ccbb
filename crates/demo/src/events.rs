//! The demo's three loops recorded as EPCIS events, end to end, so that a recovered cobalt lot, a
//! recycled pellet lot and a remelted aluminium billet can each be traced back to the products
//! and waste they came from. Identifiers use each member's GS1 company prefix; circular steps use
//! the junkan vocabulary (jkcbv), standard steps the CBV.

use serde_json::{json, Value};

use junkan_epcis::{prepare_document_owned, Syntax};
use junkan_model::event::{CaptureErrorBehaviour, CaptureJob};
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
use junkan_store::{NewCapture, Store, StoreError};

use crate::{company_prefix, organization_admin, MEMBERS};

/// The cells in the demo's battery pack: 96 prismatic cells, each with its passport.
pub const CELLS_PER_PACK: usize = 96;

const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// EPCs of one member: its company prefix with an item reference.
struct Member {
    prefix: String,
    id: OrganizationId,
}

impl Member {
    fn sgtin(&self, item: u32, serial: &str) -> String {
        format!("urn:epc:id:sgtin:{}.0{item:05}.{serial}", self.prefix)
    }

    fn lot(&self, item: u32, lot: &str) -> String {
        format!("urn:epc:class:lgtin:{}.0{item:05}.{lot}", self.prefix)
    }

    fn location(&self) -> String {
        format!("urn:epc:id:sgln:{}.{:05}.0", self.prefix, 1)
    }
}

fn quantity(class: &str, kilograms: &str) -> Value {
    json!({"epcClass": class, "quantity": kilograms.parse::<f64>().unwrap_or(0.0), "uom": "KGM"})
}

fn base(event_type: &str, day: u32, step: &str, location: &str) -> Value {
    json!({"type": event_type, "eventTime": format!("2026-{:02}-{:02}T10:00:00+09:00", 1 + day / 28, 1 + day % 28),
           "eventTimeZoneOffset": "+09:00", "bizStep": step, "readPoint": {"id": location}})
}

fn with(mut event: Value, fields: Value) -> Value {
    if let (Some(target), Some(source)) = (event.as_object_mut(), fields.as_object()) {
        for (key, value) in source {
            target.insert(key.clone(), value.clone());
        }
    }
    event
}

async fn capture(store: &dyn Store, owner: OrganizationId, events: Vec<Value>) -> Result<CaptureJob, StoreError> {
    let document = json!({"@context": [CONTEXT, {"jkcbv": junkan_epcis::vocabulary::NAMESPACE}], "type": "EPCISDocument",
                          "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": {"eventList": events}});
    let prepared = prepare_document_owned(document, Syntax::Json)
        .map_err(|problems| StoreError::Unavailable(format!("demo events are invalid: {problems:?}").into()))?;
    let events = prepared
        .into_iter()
        .enumerate()
        .map(|(index, event)| (format!("/epcisBody/eventList/{index}"), event))
        .collect();
    let capture = NewCapture {
        behaviour: CaptureErrorBehaviour::Rollback,
        events,
        errors: Vec::new(),
        visibility: Visibility::Restricted,
    };
    let job = store.capture_events(&organization_admin(owner), capture).await?;
    if job.success {
        Ok(job)
    } else {
        Err(StoreError::Unavailable(
            format!("demo capture failed: {:?}", job.errors).into(),
        ))
    }
}

/// Identifiers of the traced lots, for the credentials file's examples.
pub struct Traceable {
    /// Recovered cobalt sulfate lot (battery loop).
    pub cobalt_lot: String,
    /// Recycled pellet lot (plastics loop).
    pub pellet_lot: String,
    /// Remelted aluminium billet lot (metals loop).
    pub billet_lot: String,
    /// One EV battery pack.
    pub battery_pack: String,
    /// The cells built into that pack ([`CELLS_PER_PACK`]).
    pub cells: Vec<String>,
    /// The vehicle the pack was fitted to.
    pub vehicle: String,
    /// The refrigerator whose plastics became the pellets.
    pub fridge: String,
    /// The PP flakes the pellets were made from.
    pub flakes_lot: String,
    /// The aluminium scrap the billet was remelted from.
    pub aluminium_scrap_lot: String,
    /// The black mass the cobalt was recovered from.
    pub black_mass_lot: String,
    /// The virgin cobalt blended into the cathode material.
    pub virgin_cobalt_lot: String,
    /// The cathode material lot.
    pub cathode_lot: String,
    /// The municipal can collection the aluminium scrap was sorted from.
    pub mixed_scrap_lot: String,
    /// The capture jobs that stored the loops' events (the node signs them: `junkan demo`).
    pub captures: Vec<CaptureJob>,
}

/// Records the three loops. `ids` gives each member's organization id by slug.
pub async fn record_loops(store: &dyn Store, ids: &dyn Fn(&str) -> OrganizationId) -> Result<Traceable, StoreError> {
    let member = |slug: &str| {
        let index = MEMBERS
            .iter()
            .position(|member| member.slug == slug)
            .expect("slug of the base dataset");
        Member {
            prefix: company_prefix(index),
            id: ids(slug),
        }
    };
    let (cells, packs, automaker, dealer, dismantler, black_mass, refiner, cathode) = (
        member("cellmaker"),
        member("packmaker"),
        member("automaker"),
        member("dealer"),
        member("dismantler"),
        member("blackmass"),
        member("refiner"),
        member("cathode"),
    );
    let mut captures = Vec::new();
    // Battery loop: cells → pack → vehicle → use → take-back → dismantling → black mass → cobalt → cathode.
    // The pack holds 96 prismatic cells (as in the CFP chain of `battery_cfp.rs`).
    let cell_epcs: Vec<String> = (1..=CELLS_PER_PACK)
        .map(|serial| cells.sgtin(10001, &format!("C{serial:04}")))
        .collect();
    captures.push(
        capture(
            store,
            cells.id,
            vec![with(
                // April 2026 (FY2026, the fiscal year the demo's indicators are asked for):
                // cells made, packed, fitted to a vehicle, shipped and sold.
                base("ObjectEvent", 84, "commissioning", &cells.location()),
                json!({"action": "ADD", "epcList": cell_epcs}),
            )],
        )
        .await?,
    );
    let pack = packs.sgtin(20001, "P0001");
    let vehicle = automaker.sgtin(30001, "V0001");
    captures.push(
        capture(
            store,
            packs.id,
            vec![with(
                base("AggregationEvent", 89, "packing", &packs.location()),
                json!({"action": "ADD", "parentID": pack, "childEPCs": cell_epcs}),
            )],
        )
        .await?,
    );
    captures.push(
        capture(
            store,
            automaker.id,
            vec![
                with(
                    base("AggregationEvent", 94, "assembling", &automaker.location()),
                    json!({"action": "ADD", "parentID": vehicle, "childEPCs": [pack]}),
                ),
                with(
                    base("ObjectEvent", 96, "shipping", &automaker.location()),
                    json!({"action": "OBSERVE", "epcList": [vehicle], "disposition": "in_transit"}),
                ),
            ],
        )
        .await?,
    );
    captures.push(
        capture(
            store,
            dealer.id,
            vec![with(
                base("ObjectEvent", 98, "retail_selling", &dealer.location()),
                json!({"action": "OBSERVE", "epcList": [vehicle], "disposition": "retail_sold"}),
            )],
        )
        .await?,
    );
    let black_mass_lot = black_mass.lot(40001, "BM2026-01");
    captures.push(
        capture(
            store,
            dismantler.id,
            vec![
                with(
                    base("ObjectEvent", 200, "collecting", &dismantler.location()),
                    json!({"action": "OBSERVE", "epcList": [vehicle], "disposition": "jkcbv:Disp-waste"}),
                ),
                with(
                    base("AggregationEvent", 201, "disassembling", &dismantler.location()),
                    json!({"action": "DELETE", "parentID": vehicle, "childEPCs": [pack]}),
                ),
            ],
        )
        .await?,
    );
    captures.push(
        capture(
            store,
            black_mass.id,
            vec![with(
                base(
                    "TransformationEvent",
                    205,
                    "jkcbv:BizStep-shredding",
                    &black_mass.location(),
                ),
                // The pack's cells give 156 kg of black mass (their active materials: all the
                // pack's 6.24 kg of cobalt and 50.4 kg of nickel); housing and foils go elsewhere.
                json!({"inputEPCList": [pack], "outputQuantityList": [quantity(&black_mass_lot, "156")]}),
            )],
        )
        .await?,
    );
    let cobalt_lot = refiner.lot(50001, "CO2026-01");
    let nickel_lot = refiner.lot(50002, "NI2026-01");
    captures.push(
        capture(
            store,
            refiner.id,
            vec![with(
                base(
                    "TransformationEvent",
                    210,
                    "jkcbv:BizStep-chemical_recycling",
                    &refiner.location(),
                ),
                // Of the black mass's 6.24 kg of cobalt and 50.4 kg of nickel, 6.1 kg and 48 kg
                // are recovered.
                json!({"inputQuantityList": [quantity(&black_mass_lot, "156")],
               "outputQuantityList": [quantity(&cobalt_lot, "6.1"), quantity(&nickel_lot, "48")],
               "disposition": "jkcbv:Disp-secondary_raw_material"}),
            )],
        )
        .await?,
    );
    let virgin_cobalt = cathode.lot(60009, "VIRGIN-CO-7");
    let cathode_lot = cathode.lot(60001, "NMC2026-01");
    captures.push(
        capture(
            store,
            cathode.id,
            vec![with(
                base("TransformationEvent", 215, "commissioning", &cathode.location()),
                json!({"inputQuantityList": [quantity(&cobalt_lot, "6"), quantity(&virgin_cobalt, "24")],
               "outputQuantityList": [quantity(&cathode_lot, "30")]}),
            )],
        )
        .await?,
    );

    // Plastics loop: appliance → recycling plant (flakes) → pellets → compound.
    let (appliance, plant, pellets, compounder) = (
        member("appliance"),
        member("appliance-recycling"),
        member("pellet"),
        member("compounder"),
    );
    let fridge = appliance.sgtin(11001, "F0001");
    captures.push(
        capture(
            store,
            appliance.id,
            vec![with(
                // 2026-04-02: made in FY2026, the fiscal year the demo's indicators are asked for.
                base("ObjectEvent", 85, "commissioning", &appliance.location()),
                json!({"action": "ADD", "epcList": [fridge]}),
            )],
        )
        .await?,
    );
    let flakes = plant.lot(21001, "PP-FLAKE-07");
    captures.push(
        capture(
            store,
            plant.id,
            vec![
                with(
                    base("ObjectEvent", 220, "collecting", &plant.location()),
                    json!({"action": "OBSERVE", "epcList": [fridge], "disposition": "jkcbv:Disp-waste"}),
                ),
                with(
                    base("TransformationEvent", 221, "jkcbv:BizStep-sorting", &plant.location()),
                    json!({"inputEPCList": [fridge], "outputQuantityList": [quantity(&flakes, "18.4")]}),
                ),
            ],
        )
        .await?,
    );
    let pellet_lot = pellets.lot(31001, "RPP-2026-11");
    captures.push(capture(store, pellets.id, vec![with(
        base("TransformationEvent", 225, "jkcbv:BizStep-material_recycling", &pellets.location()),
        json!({"inputQuantityList": [quantity(&flakes, "18.4")], "outputQuantityList": [quantity(&pellet_lot, "17.1")],
               "disposition": "jkcbv:Disp-secondary_raw_material"}),
    )])
    .await?);
    let compound = compounder.lot(41001, "CMP-2026-11");
    captures.push(capture(store, compounder.id, vec![with(
        base("TransformationEvent", 230, "commissioning", &compounder.location()),
        json!({"inputQuantityList": [quantity(&pellet_lot, "17.1"), quantity(&compounder.lot(41009, "VIRGIN-PP"), "39.9")],
               "outputQuantityList": [quantity(&compound, "57")]}),
    )])
    .await?);

    // Metals loop: municipal can collection → scrap yard sorting → horizontal aluminium recycling.
    let (scrapyard, aluminium) = (member("scrapyard"), member("aluminium"));
    let mixed = scrapyard.lot(12001, "MIX-2026-10");
    let aluminium_scrap = scrapyard.lot(12002, "AL-2026-10");
    let steel_scrap = scrapyard.lot(12003, "FE-2026-10");
    captures.push(capture(
        store,
        scrapyard.id,
        vec![
            with(
                base("ObjectEvent", 235, "collecting", &scrapyard.location()),
                json!({"action": "ADD", "quantityList": [quantity(&mixed, "1200")], "disposition": "jkcbv:Disp-waste"}),
            ),
            with(
                base(
                    "TransformationEvent",
                    236,
                    "jkcbv:BizStep-sorting",
                    &scrapyard.location(),
                ),
                json!({"inputQuantityList": [quantity(&mixed, "1200")],
                   "outputQuantityList": [quantity(&aluminium_scrap, "480"), quantity(&steel_scrap, "690")]}),
            ),
        ],
    )
    .await?);
    let billet = aluminium.lot(22001, "BILLET-2026-11");
    captures.push(capture(store, aluminium.id, vec![with(
        base("TransformationEvent", 240, "jkcbv:BizStep-material_recycling", &aluminium.location()),
        json!({"inputQuantityList": [quantity(&aluminium_scrap, "480")], "outputQuantityList": [quantity(&billet, "455")],
               "disposition": "jkcbv:Disp-end_of_waste"}),
    )])
    .await?);

    Ok(Traceable {
        captures,
        cobalt_lot,
        pellet_lot,
        billet_lot: billet,
        battery_pack: pack,
        vehicle,
        cells: cell_epcs,
        fridge,
        flakes_lot: flakes,
        aluminium_scrap_lot: aluminium_scrap,
        black_mass_lot,
        virgin_cobalt_lot: virgin_cobalt,
        cathode_lot,
        mixed_scrap_lot: mixed,
    })
}
