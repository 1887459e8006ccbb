//! Material flows between life-cycle stages (物質フロー, the Sankey view) from traced events:
//! production, distribution and use, collection, dismantling and sorting, recycling, and out to
//! energy recovery and landfill, with the masses the events' quantity lists record.
//!
//! Every object (EPC, lot or class) of the events is followed through the events that touch it in
//! time order; consecutive events at different stages make a flow of that object between the two
//! stages. While an object travels inside its parent (added as a child and not yet taken out),
//! the parent carries it and the object makes no flow of its own. An object whose first event
//! used it (rather than made it) flows in from "not recorded" (a source outside the selection or
//! never recorded); one whose last event did not consume it flows out to "not recorded further".
//! A flow's mass is the quantity the receiving event recorded for the object, else the sending
//! event's; objects without a recorded quantity are counted as items, never given a mass.
//!
//! Events the reader may not read are stages of their own, "withheld by <organization>": their
//! step and quantities are not used, objects seen only in them are not named, and flows into or
//! out of them are kept and marked withheld, never dropped.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use time::OffsetDateTime;

use junkan_model::event::{IdentifierRole, LineageEvent};
use junkan_model::ids::OrganizationId;

/// A stage of the material's life cycle: a node of the Sankey diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Before the selection: a source outside the region or period, or never recorded.
    NotRecordedBefore,
    /// Making products and materials (commissioning, assembling, packing, producing).
    Production,
    /// Distribution and use (shipping, receiving, selling, transporting, installing).
    Use,
    /// Collection of used products and waste.
    Collection,
    /// Reuse, refurbishing, repurposing and remanufacturing.
    Reuse,
    /// Dismantling, sorting and mechanical pre-treatment (shredding).
    Sorting,
    /// Material, chemical and organic recycling (composting).
    Recycling,
    /// Energy recovery (熱回収).
    EnergyRecovery,
    /// Landfill and destruction.
    Landfill,
    /// After the selection: no later event recorded (in stock, or beyond the region or period).
    NotRecordedAfter,
    /// Steps of an organization that does not share them with the reader.
    Withheld(OrganizationId),
}

impl Stage {
    /// The stage of a business step (CBV 2.0 or the junkan circular vocabulary, any form of its
    /// URI), or `None` for steps that move nothing between stages (inspecting, storing, ...).
    pub fn of_business_step(step: &str) -> Option<Stage> {
        let name = step.rsplit(['/', ':']).next()?.trim_start_matches("BizStep-");
        let stage = match name {
            "commissioning" | "producing" | "assembling" | "packing" | "creating_class_instance" => Stage::Production,
            "shipping" | "receiving" | "retail_selling" | "transporting" | "installing" | "departing" | "arriving"
            | "loading" | "unloading" | "accepting" | "dispensing" | "consigning" | "using" => Stage::Use,
            "collecting" => Stage::Collection,
            "reusing" | "refurbishing" | "repurposing" | "remanufacturing" | "repairing" => Stage::Reuse,
            "disassembling" | "sorting" | "shredding" | "dismantling" | "decommissioning" => Stage::Sorting,
            "material_recycling" | "chemical_recycling" | "composting" => Stage::Recycling,
            "energy_recovery" => Stage::EnergyRecovery,
            "landfilling" | "destroying" => Stage::Landfill,
            _ => return None,
        };
        Some(stage)
    }

    /// The column the stage is drawn in, left to right along the material's way.
    pub fn column(self) -> usize {
        match self {
            Stage::NotRecordedBefore => 0,
            Stage::Production => 1,
            Stage::Use => 2,
            Stage::Collection => 3,
            Stage::Reuse | Stage::Sorting => 4,
            Stage::Recycling => 5,
            Stage::EnergyRecovery | Stage::Landfill | Stage::NotRecordedAfter => 6,
            // Drawn where the flows reaching it place it (see `place_withheld`); this is the
            // column when nothing does.
            Stage::Withheld(_) => 3,
        }
    }

    /// A stable text key of the stage (for links).
    pub fn key(self) -> String {
        match self {
            Stage::NotRecordedBefore => "before".to_owned(),
            Stage::Production => "production".to_owned(),
            Stage::Use => "use".to_owned(),
            Stage::Collection => "collection".to_owned(),
            Stage::Reuse => "reuse".to_owned(),
            Stage::Sorting => "sorting".to_owned(),
            Stage::Recycling => "recycling".to_owned(),
            Stage::EnergyRecovery => "energy-recovery".to_owned(),
            Stage::Landfill => "landfill".to_owned(),
            Stage::NotRecordedAfter => "after".to_owned(),
            Stage::Withheld(organization) => format!("withheld-{organization}"),
        }
    }
}

/// One event at one end of an object's flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEnd {
    /// eventID (`None` for a withheld event: not shown).
    pub event_id: Option<String>,
    /// When it happened (`None` for a withheld event).
    pub event_time: Option<OffsetDateTime>,
    /// bizStep (`None` for a withheld event).
    pub biz_step: Option<String>,
    /// The organization that recorded it.
    pub organization: OrganizationId,
    /// Its name (Japanese), as the store gives it.
    pub organization_name: String,
}

/// One object's passage from one stage to the next: a lot or an item behind a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLot {
    /// The object's identifier; `None` when it is known only through withheld events.
    pub identifier: Option<String>,
    /// The recorded quantity, if any (exact decimal text, and its unit).
    pub quantity: Option<(Decimal, String)>,
    /// The event it left (`None` when it came from before the selection).
    pub from: Option<FlowEnd>,
    /// The event it reached (`None` when nothing later is recorded).
    pub to: Option<FlowEnd>,
}

/// A flow between two stages: the sum of the objects that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// Where it leaves.
    pub from: Stage,
    /// Where it arrives.
    pub to: Stage,
    /// Recorded quantities per unit (UN/CEFACT code, e.g. `KGM`).
    pub quantities: BTreeMap<String, Decimal>,
    /// Objects that passed without a recorded quantity (items).
    pub items_without_quantity: u64,
    /// The objects, in time order.
    pub lots: Vec<FlowLot>,
}

impl Flow {
    /// The recorded mass in kilograms (`KGM`), the unit the diagram is drawn in.
    pub fn kilograms(&self) -> Decimal {
        self.quantities.get("KGM").copied().unwrap_or(Decimal::ZERO)
    }

    /// Whether the flow touches a withheld stage (its quantities are not known).
    pub fn withheld(&self) -> bool {
        matches!(self.from, Stage::Withheld(_)) || matches!(self.to, Stage::Withheld(_))
    }

    /// A stable text key of the flow (`from~to`), for links.
    pub fn key(&self) -> String {
        format!("{}~{}", self.from.key(), self.to.key())
    }
}

/// The material flows of a set of events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MaterialFlows {
    /// Flows, by (from, to).
    pub flows: Vec<Flow>,
    /// The stages that occur, in drawing order.
    pub stages: Vec<Stage>,
    /// How many events were read (readable) and withheld.
    pub readable_events: usize,
    /// How many events were withheld from the reader.
    pub withheld_events: usize,
}

/// What an event did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Made it (output, parent of an ADD, commissioned by an ADD).
    Made,
    /// Consumed it (input of a transformation).
    Consumed,
    /// Put it inside a parent (child of an ADD or OBSERVE aggregation).
    PackedIn,
    /// Anything else: observed, shipped, taken out of its parent, ...
    Touched,
}

fn part_of(role: IdentifierRole, action: Option<&str>) -> Option<Part> {
    let removed = action == Some("DELETE");
    Some(match role {
        IdentifierRole::Output | IdentifierRole::OutputQuantity => Part::Made,
        IdentifierRole::Input | IdentifierRole::InputQuantity => Part::Consumed,
        IdentifierRole::Parent if !removed && action == Some("ADD") => Part::Made,
        IdentifierRole::Child | IdentifierRole::ChildQuantity if !removed => Part::PackedIn,
        IdentifierRole::Epc | IdentifierRole::Quantity if action == Some("ADD") => Part::Made,
        IdentifierRole::Epc
        | IdentifierRole::Quantity
        | IdentifierRole::Parent
        | IdentifierRole::Child
        | IdentifierRole::ChildQuantity => Part::Touched,
        IdentifierRole::Source | IdentifierRole::Destination | IdentifierRole::BizTransaction => return None,
    })
}

/// One step of an object's life: an event, what it did to the object, the quantity it recorded.
struct Step<'a> {
    event: &'a LineageEvent,
    stage: Option<Stage>,
    part: Part,
    quantity: Option<(Decimal, String)>,
}

fn end_of(event: &LineageEvent) -> FlowEnd {
    FlowEnd {
        event_id: event.readable.then(|| event.event_id.clone()),
        event_time: event.readable.then_some(event.event_time),
        biz_step: if event.readable { event.biz_step.clone() } else { None },
        organization: event.owner,
        organization_name: event.owner_name.clone(),
    }
}

fn stage_of(event: &LineageEvent) -> Option<Stage> {
    if event.readable {
        event.biz_step.as_deref().and_then(Stage::of_business_step)
    } else {
        Some(Stage::Withheld(event.owner))
    }
}

/// The flows between stages of `events` (each event once; readable and withheld ones as the
/// store marked them).
pub fn material_flows(events: &[LineageEvent]) -> MaterialFlows {
    // Objects seen in a readable event may be named; others are withheld (as in the lineage).
    let named: BTreeSet<&str> = events
        .iter()
        .filter(|event| event.readable)
        .flat_map(|event| event.identifiers.iter().map(|identifier| identifier.value.as_str()))
        .collect();
    let mut lives: BTreeMap<&str, Vec<Step>> = BTreeMap::new();
    for event in events {
        let stage = stage_of(event);
        for identifier in &event.identifiers {
            let Some(part) = part_of(identifier.role, event.action.as_deref()) else {
                continue;
            };
            let quantity = if event.readable {
                match (identifier.quantity.as_deref(), identifier.uom.as_deref()) {
                    (Some(quantity), unit) => quantity
                        .parse::<Decimal>()
                        .ok()
                        .map(|value| (value, unit.unwrap_or("").to_owned())),
                    (None, _) => None,
                }
            } else {
                None
            };
            let steps = lives.entry(identifier.value.as_str()).or_default();
            // An event naming an object twice (input and output) counts once, by its first role.
            if steps.iter().any(|step| step.event.event_id == event.event_id) {
                continue;
            }
            steps.push(Step {
                event,
                stage,
                part,
                quantity,
            });
        }
    }
    let mut flows: BTreeMap<(Stage, Stage), Flow> = BTreeMap::new();
    let mut add = |from: Stage, to: Stage, lot: FlowLot| {
        let flow = flows.entry((from, to)).or_insert_with(|| Flow {
            from,
            to,
            quantities: BTreeMap::new(),
            items_without_quantity: 0,
            lots: Vec::new(),
        });
        match &lot.quantity {
            Some((value, unit)) => *flow.quantities.entry(unit.clone()).or_insert(Decimal::ZERO) += value,
            None => flow.items_without_quantity += 1,
        }
        flow.lots.push(lot);
    };
    for (identifier, mut steps) in lives {
        steps.sort_by(|left, right| {
            (left.event.event_time, &left.event.event_id).cmp(&(right.event.event_time, &right.event.event_id))
        });
        // Steps whose business step belongs to no stage move nothing; they are passed over.
        let staged: Vec<&Step> = steps.iter().filter(|step| step.stage.is_some()).collect();
        let (Some(first), Some(last)) = (staged.first(), staged.last()) else {
            continue;
        };
        let name = named.contains(identifier).then(|| identifier.to_owned());
        let stage = |step: &Step| step.stage.expect("only staged steps");
        if first.part != Part::Made {
            add(
                Stage::NotRecordedBefore,
                stage(first),
                FlowLot {
                    identifier: name.clone(),
                    quantity: first.quantity.clone(),
                    from: None,
                    to: Some(end_of(first.event)),
                },
            );
        }
        for pair in staged.windows(2) {
            let (sending, receiving) = (pair[0], pair[1]);
            // Inside its parent, the object travels with it: the parent's flow carries it.
            if sending.part == Part::PackedIn || stage(sending) == stage(receiving) {
                continue;
            }
            add(
                stage(sending),
                stage(receiving),
                FlowLot {
                    identifier: name.clone(),
                    quantity: receiving.quantity.clone().or_else(|| sending.quantity.clone()),
                    from: Some(end_of(sending.event)),
                    to: Some(end_of(receiving.event)),
                },
            );
        }
        if !matches!(last.part, Part::Consumed | Part::PackedIn) {
            add(
                stage(last),
                Stage::NotRecordedAfter,
                FlowLot {
                    identifier: name,
                    quantity: last.quantity.clone(),
                    from: Some(end_of(last.event)),
                    to: None,
                },
            );
        }
    }
    let stages: BTreeSet<Stage> = flows.keys().flat_map(|(from, to)| [*from, *to]).collect();
    MaterialFlows {
        flows: flows.into_values().collect(),
        stages: stages.into_iter().collect(),
        readable_events: events.iter().filter(|event| event.readable).count(),
        withheld_events: events.iter().filter(|event| !event.readable).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use junkan_model::event::EventIdentifier;

    fn organization(number: u8) -> OrganizationId {
        format!("00000000-0000-0000-0000-{number:012}").parse().expect("a UUID")
    }

    fn identifier(role: IdentifierRole, value: &str, kilograms: Option<&str>) -> EventIdentifier {
        EventIdentifier {
            role,
            value: value.to_owned(),
            quantity: kilograms.map(str::to_owned),
            uom: kilograms.map(|_| "KGM".to_owned()),
        }
    }

    fn event(
        id: &str,
        day: i64,
        step: &str,
        action: Option<&str>,
        readable: bool,
        identifiers: Vec<EventIdentifier>,
    ) -> LineageEvent {
        LineageEvent {
            event_id: id.to_owned(),
            event_type: "ObjectEvent".to_owned(),
            event_time: OffsetDateTime::UNIX_EPOCH + time::Duration::days(day),
            biz_step: Some(format!("https://ref.gs1.org/cbv/BizStep-{step}")),
            action: action.map(str::to_owned),
            owner: organization(if readable { 1 } else { 2 }),
            owner_name: if readable { "A社" } else { "B社" }.to_owned(),
            readable,
            identifiers,
        }
    }

    /// Flows as `from → to: quantities, items [objects]` lines.
    fn summary(flows: &MaterialFlows) -> String {
        flows
            .flows
            .iter()
            .map(|flow| {
                let quantities: Vec<String> = flow
                    .quantities
                    .iter()
                    .map(|(unit, value)| format!("{value} {unit}"))
                    .collect();
                let lots: Vec<String> = flow
                    .lots
                    .iter()
                    .map(|lot| lot.identifier.clone().unwrap_or_else(|| "(withheld)".to_owned()))
                    .collect();
                format!(
                    "{} -> {}: [{}] items {} {:?}\n",
                    flow.from.key(),
                    flow.to.key(),
                    quantities.join(", "),
                    flow.items_without_quantity,
                    lots
                )
            })
            .collect()
    }

    #[test]
    fn a_battery_loop_flows_through_every_stage_and_back_into_production() {
        use IdentifierRole::*;
        let events = vec![
            event(
                "cells",
                0,
                "commissioning",
                Some("ADD"),
                true,
                vec![identifier(Epc, "cell", None)],
            ),
            event(
                "pack",
                1,
                "packing",
                Some("ADD"),
                true,
                vec![identifier(Parent, "pack", None), identifier(Child, "cell", None)],
            ),
            event(
                "vehicle",
                2,
                "assembling",
                Some("ADD"),
                true,
                vec![identifier(Parent, "car", None), identifier(Child, "pack", None)],
            ),
            event(
                "sold",
                3,
                "retail_selling",
                Some("OBSERVE"),
                true,
                vec![identifier(Epc, "car", None)],
            ),
            event(
                "inspected",
                4,
                "inspecting",
                Some("OBSERVE"),
                true,
                vec![identifier(Epc, "car", None)],
            ),
            event(
                "collected",
                5,
                "collecting",
                Some("OBSERVE"),
                true,
                vec![identifier(Epc, "car", None)],
            ),
            event(
                "dismantled",
                6,
                "disassembling",
                Some("DELETE"),
                true,
                vec![identifier(Parent, "car", None), identifier(Child, "pack", None)],
            ),
            event(
                "shredded",
                7,
                "shredding",
                None,
                true,
                vec![
                    identifier(Input, "pack", None),
                    identifier(OutputQuantity, "black-mass", Some("310")),
                ],
            ),
            event(
                "refined",
                8,
                "chemical_recycling",
                None,
                true,
                vec![
                    identifier(InputQuantity, "black-mass", Some("310")),
                    identifier(OutputQuantity, "cobalt", Some("42.5")),
                    identifier(OutputQuantity, "nickel", Some("61")),
                ],
            ),
            event(
                "cathode",
                9,
                "commissioning",
                None,
                true,
                vec![
                    identifier(InputQuantity, "cobalt", Some("40")),
                    identifier(InputQuantity, "virgin", Some("160")),
                    identifier(OutputQuantity, "cathode", Some("200")),
                ],
            ),
        ];
        let flows = material_flows(&events);
        expect_test::expect![[r#"
            before -> production: [160 KGM] items 0 ["virgin"]
            production -> use: [] items 1 ["car"]
            production -> after: [200 KGM] items 0 ["cathode"]
            use -> collection: [] items 1 ["car"]
            collection -> sorting: [] items 1 ["car"]
            sorting -> recycling: [310 KGM] items 0 ["black-mass"]
            sorting -> after: [] items 1 ["car"]
            recycling -> production: [40 KGM] items 0 ["cobalt"]
            recycling -> after: [61 KGM] items 0 ["nickel"]
        "#]]
        .assert_eq(&summary(&flows));
        assert_eq!(flows.readable_events, 10);
        assert_eq!(flows.stages.first(), Some(&Stage::NotRecordedBefore));
    }

    #[test]
    fn withheld_steps_are_stages_of_their_own_and_their_objects_stay_unnamed() {
        use IdentifierRole::*;
        let events = vec![
            event(
                "collected",
                0,
                "collecting",
                Some("ADD"),
                true,
                vec![identifier(Quantity, "scrap", Some("1000"))],
            ),
            // B's sorting: withheld; its quantities are not used, its output not named (the
            // flow into it carries the quantity A recorded).
            event(
                "sorted",
                1,
                "sorting",
                None,
                false,
                vec![
                    identifier(InputQuantity, "scrap", Some("1000")),
                    identifier(OutputQuantity, "secret", Some("900")),
                ],
            ),
        ];
        let flows = material_flows(&events);
        expect_test::expect![[r#"
            collection -> withheld-00000000-0000-0000-0000-000000000002: [1000 KGM] items 0 ["scrap"]
            withheld-00000000-0000-0000-0000-000000000002 -> after: [] items 1 ["(withheld)"]
        "#]]
        .assert_eq(&summary(&flows));
        assert!(flows.flows.iter().all(Flow::withheld));
        assert_eq!(flows.withheld_events, 1);
        let withheld_end = flows.flows[0].lots[0].to.as_ref().expect("an end");
        assert_eq!(
            (withheld_end.event_id.as_deref(), withheld_end.biz_step.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn stages_of_business_steps_in_any_form() {
        assert_eq!(
            Stage::of_business_step("urn:epcglobal:cbv:bizstep:shipping"),
            Some(Stage::Use)
        );
        assert_eq!(
            Stage::of_business_step("urn:junkan:cbv:BizStep-energy_recovery"),
            Some(Stage::EnergyRecovery)
        );
        assert_eq!(
            Stage::of_business_step("jkcbv:BizStep-landfilling"),
            Some(Stage::Landfill)
        );
        assert_eq!(
            Stage::of_business_step("https://ref.gs1.org/cbv/BizStep-inspecting"),
            None
        );
    }
}
