//! Company-level indicators (企業・組織の指標) computed from the platform's traceability data:
//! the WBCSD Circular Transition Indicators (循環流入率 / % circular inflow, 循環流出率 /
//! % circular outflow, 循環率 / % circularity), ISO 59020-style shares of the inflow and the
//! outflow, and the mass-weighted company MCI, for one organization and period, from what the
//! caller may see.
//!
//! The store gathers the evidence with the caller's actor (set-based: one statement per kind of
//! record, never one per event or lot); this module decides what it means:
//!
//! - **Flows** ([`plan_flows`]). The organization's flows are what the events at the locations
//!   (GLNs) of its facilities that the caller may read record in the period: the
//!   `inputQuantityList` and `inputEPCList` of TransformationEvents are consumed, their output
//!   lists produced; ObjectEvents at a receipt step (receiving, collecting, accepting, arriving)
//!   receive what they name, at commissioning produce it, at a dispatch step (shipping,
//!   departing) send it out; packing and assembly (AggregationEvents with action ADD) consume
//!   the children (`childEPCs`, `childQuantityList`) and produce the parent. Per lot, masses in
//!   tonnes: what transformations both produced and
//!   consumed is internal (an intermediate, neither inflow nor outflow); the **inflow** is the
//!   consumption beyond that, or the receipts when they are larger (one flow seen twice is
//!   counted once); the **outflow** likewise from production, commissioning and dispatch. Other
//!   event types are not flows. Events the caller may not read are named by owner and count
//!   (never by content), and every value is then not computable, since they may hold flows of
//!   either side.
//! - **Inflow shares** ([`inflow_shares`]). A lot's recycled share comes from its passport's
//!   whole-lot `recycledContent`, else from the live ledger claims made for it, else from the
//!   organization's own ledger inputs of it (a share declared with evidence, or copied from a
//!   passport or claim). A ledger entry states the share of its material in the part of the
//!   lot it counts (lot mass × the entry's `material_fraction`), so the recycled mass it credits
//!   to the lot is that share × that part: the lot's share is Σ over its materials of the
//!   material's share × its fraction (a whole-lot entry, fraction 1, gives its share unchanged).
//!   The part of the lot no entry counts is credited no recycled content. Entries of one
//!   material that disagree, or materials whose fractions sum to more than the whole lot, leave
//!   it unknown. Battery passports state recycled content per metal: the lot's share is then
//!   Σ metal mass × the metal's share over the battery's mass (see
//!   [`crate::custody::lot_share_from_passport`]). Renewable shares are read from passports (`renewableContent`); a share that is
//!   not stated is counted as 0 and said so in the notes. An unknown recycled share is never 0:
//!   the lot is missing and the inflow values are not computable.
//! - **Fate of the outflow** ([`fates`]). The events that later touched a lot the organization
//!   put out, outside its own events: a readable event at a reuse, recycling, composting or
//!   collection/pre-treatment step recovered the quantity of the lot it names, one at an energy
//!   recovery or disposal step did not; other steps (e.g. manufacturing with it) say nothing of
//!   recovery. Mass that no recorded step recovered counts as not recovered; while an event the
//!   caller may not read touched the lot and less than all of it is accounted for, its fate is
//!   withheld and the outflow values are not computable.
//! - **Recovery potential** (回収可能性). The share of an output the caller may read as recyclable
//!   in its passport (the `recyclability` template of its profile). What was recovered was
//!   recoverable, so the circular outflow of a lot is exactly its recovered mass: with a stated
//!   potential p and recovered mass r of mass m, the `cti` input is p' = max(p, r/m) and actual
//!   recovery r / (m·p'); without a stated potential, p' = r/m and actual recovery 1 (or 0 when
//!   nothing was recovered). The ISO 59020-style recovery potential and actual recovery shares
//!   need every potential stated.
//! - **Company MCI**: the organization's output lots are its products; each product's MCI comes
//!   from its passport (the `mci` template of its profile, computed by the caller of
//!   [`organization_company_mci`]), weighted by the mass the events put out.
//!
//! The `input` object of each answer reproduces its computation through
//! `POST /api/v1/indicators/{name}`; values that depend on a missing flow are `null` in `result`.

use std::collections::{BTreeMap, HashMap, HashSet};

use junkan_model::event::{EventIdentifier, IdentifierRole, LineageEvent};
use junkan_model::facility::Facility;
use junkan_model::ids::{FacilityId, LedgerClaimId, LedgerId, LedgerInputId, OrganizationId, PassportId};
use junkan_model::passport::Passport;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Map, Value};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

use crate::custody::{
    event_href, lot_share_from_passport, tonnes_per_unit, LedgerClaim, LedgerInput, LedgerRecord, Share, ShareSource,
    LEDGERS_PATH, LEDGER_OFFSET,
};
use crate::{Computation, NotComputable, Outcome, Ratio, PERCENT};

/// Where organizations are read.
pub const ORGANIZATIONS_PATH: &str = "/api/v1/organizations";

/// How the organization scope reads its period, stated with every answer.
pub const PERIOD_RULE: &str =
    "the events' eventTime within the period's days in UTC+09:00 (from 00:00 of the first day to 24:00 of the last)";

/// The instants bounding the days `from`..=`to` (ISO dates, Japan Standard Time): the start of
/// the first day and the start of the day after the last.
pub fn period_instants(from: &str, to: &str) -> Result<(OffsetDateTime, OffsetDateTime), String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = |text: &str| {
        Date::parse(text, &format)
            .map(|date| PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(LEDGER_OFFSET))
            .map_err(|error| format!("{text:?} is not an ISO date: {error}"))
    };
    Ok((day(from)?, day(to)? + Duration::days(1)))
}

/// The location (canonical GLN Digital Link) events name for a facility with GLN `gln`.
pub fn facility_location(gln: &str) -> String {
    format!("https://id.gs1.org/414/{gln}")
}

// ---------------------------------------------------------------------------------------------
// Flows

/// A facility whose events were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacilityUse {
    /// The facility.
    pub id: FacilityId,
    /// 名称.
    pub name_ja: String,
    /// Name.
    pub name_en: String,
    /// Its GLN, without which no event names it.
    pub gln: Option<String>,
    /// The location its events name.
    pub location: Option<String>,
    /// Where to read it.
    pub href: String,
}

/// A link to an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventLink {
    /// Its eventID.
    pub event_id: String,
    /// Where to read it.
    pub href: String,
}

fn event_link(event_id: &str) -> EventLink {
    EventLink {
        event_id: event_id.to_owned(),
        href: event_href(event_id),
    }
}

/// One lot flowing into or out of the organization in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LotFlow {
    /// The lot (canonical: a class-level Digital Link for quantities, an item's for EPCs).
    pub lot: String,
    /// An item (EPC) rather than a quantity of a class.
    pub item: bool,
    /// Its mass in tonnes, when every event states it in a unit of mass.
    #[serde(serialize_with = "optional_decimal")]
    pub mass_t: Option<Decimal>,
    /// Why the mass is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_mass: Option<String>,
    /// Where an item's mass was read, since events do not state it ([`weigh_items`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mass_from: Option<ItemMass>,
    /// The events that record it.
    pub events: Vec<EventLink>,
    /// The earliest of those events (for outflows: when the lot left at the earliest).
    #[serde(skip)]
    pub first_time: OffsetDateTime,
}

/// A lot both produced and consumed by the organization's transformations in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InternalLot {
    /// The lot.
    pub lot: String,
    /// The mass consumed again, in tonnes (unknown for items and unknown quantities).
    #[serde(serialize_with = "optional_decimal")]
    pub mass_t: Option<Decimal>,
    /// The events.
    pub events: Vec<EventLink>,
}

/// Events the caller may not read, by owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WithheldEvents {
    /// Who recorded them.
    pub owner_organization_id: OrganizationId,
    /// Its name (Japanese).
    pub owner_name: String,
    /// How many.
    pub events: usize,
}

fn count_withheld(withheld: &mut Vec<WithheldEvents>, event: &LineageEvent) {
    match withheld
        .iter_mut()
        .find(|entry| entry.owner_organization_id == event.owner)
    {
        Some(entry) => entry.events += 1,
        None => withheld.push(WithheldEvents {
            owner_organization_id: event.owner,
            owner_name: event.owner_name.clone(),
            events: 1,
        }),
    }
}

/// The organization's flows in a period, read from the events at its facilities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowPlan {
    /// The facilities read.
    pub facilities: Vec<FacilityUse>,
    /// Lots taken in.
    pub inflows: Vec<LotFlow>,
    /// Lots put out.
    pub outflows: Vec<LotFlow>,
    /// Intermediates.
    pub internal: Vec<InternalLot>,
    /// Events at the facilities the caller may not read.
    pub withheld: Vec<WithheldEvents>,
    /// Why nothing can be computed whatever the flows (no facility, a facility without a GLN,
    /// withheld events).
    pub gaps: Vec<String>,
    /// Every event at the facilities (read or withheld), to tell the organization's own events
    /// from later ones.
    #[serde(skip)]
    pub event_ids: Vec<String>,
}

/// What an event at the organization's facilities does with a lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Consumed,
    Produced,
    Received,
    Commissioned,
    Dispatched,
}

/// The name of a CBV or junkan (`jkcbv`) business step: `receiving` for
/// `https://ref.gs1.org/cbv/BizStep-receiving`, `material_recycling` for
/// `urn:junkan:cbv:BizStep-material_recycling`.
fn step_name(biz_step: Option<&str>) -> Option<&str> {
    let step = biz_step?;
    ["https://ref.gs1.org/cbv/BizStep-", "urn:junkan:cbv:BizStep-"]
        .into_iter()
        .find_map(|prefix| step.strip_prefix(prefix))
}

fn seen(event: &LineageEvent, role: IdentifierRole) -> Option<Seen> {
    use IdentifierRole as R;
    match event.event_type.as_str() {
        "TransformationEvent" => match role {
            R::Input | R::InputQuantity => Some(Seen::Consumed),
            R::Output | R::OutputQuantity => Some(Seen::Produced),
            _ => None,
        },
        "ObjectEvent" if matches!(role, R::Epc | R::Quantity) => match step_name(event.biz_step.as_deref())? {
            "receiving" | "collecting" | "accepting" | "arriving" => Some(Seen::Received),
            "commissioning" => Some(Seen::Commissioned),
            "shipping" | "departing" => Some(Seen::Dispatched),
            _ => None,
        },
        // Packing or assembly: the children go into the parent, which leaves as one item. An
        // aggregation's OBSERVE and DELETE (unpacking) are no flows of the organization.
        "AggregationEvent" if event.action.as_deref() == Some("ADD") => match role {
            R::Child | R::ChildQuantity => Some(Seen::Consumed),
            R::Parent => Some(Seen::Produced),
            _ => None,
        },
        _ => None,
    }
}

/// The mass in tonnes an identifier's quantity states, or why it states none.
fn mass_of(identifier: &EventIdentifier) -> Result<Decimal, String> {
    let Some(quantity) = identifier.quantity.as_deref() else {
        return Err(
            if matches!(
                identifier.role,
                IdentifierRole::Quantity | IdentifierRole::InputQuantity | IdentifierRole::OutputQuantity
            ) {
                "a quantity element without a quantity".to_owned()
            } else {
                "an item (EPC) without a quantity: the events do not state its mass".to_owned()
            },
        );
    };
    let amount = quantity
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(quantity))
        .ok()
        .filter(|amount| *amount >= Decimal::ZERO)
        .ok_or_else(|| format!("quantity {quantity:?} is not an amount of zero or more"))?;
    let Some(unit) = identifier.uom.as_deref() else {
        return Err(format!(
            "quantity {quantity} has no unit (a count of items), which has no conversion to tonnes"
        ));
    };
    let per = tonnes_per_unit(unit, &BTreeMap::new()).ok_or_else(|| {
        format!("quantity {quantity} {unit}: mixed units without a conversion ({unit} is not a unit of mass, and only masses add up to flows)")
    })?;
    Ok((amount * per).normalize())
}

/// A sum of masses some of which may be unknown.
#[derive(Debug, Clone, Default)]
struct Tally {
    seen: bool,
    mass_t: Decimal,
    unknown: Option<String>,
}

impl Tally {
    fn add(&mut self, mass: Result<Decimal, String>) {
        self.seen = true;
        match mass {
            Ok(mass) => self.mass_t += mass,
            Err(reason) => {
                self.unknown.get_or_insert(reason);
            }
        }
    }

    fn known(&self) -> Result<Decimal, String> {
        match &self.unknown {
            Some(reason) => Err(reason.clone()),
            None => Ok(self.mass_t),
        }
    }
}

#[derive(Debug, Clone)]
struct LotTallies {
    lot: String,
    item: bool,
    consumed: Tally,
    produced: Tally,
    received: Tally,
    commissioned: Tally,
    dispatched: Tally,
    events: Vec<EventLink>,
    first_in: Option<OffsetDateTime>,
    first_out: Option<OffsetDateTime>,
}

/// The largest of the known masses of the seen tallies (one flow observed several ways), or why
/// one of them is unknown; `Ok(None)` when none was seen.
fn largest(parts: &[(&Tally, Decimal)]) -> Result<Option<Decimal>, String> {
    let mut largest: Option<Decimal> = None;
    for (tally, less) in parts.iter().filter(|(tally, _)| tally.seen) {
        let mass = (tally.known()? - less).max(Decimal::ZERO);
        largest = Some(largest.map_or(mass, |known| known.max(mass)));
    }
    Ok(largest)
}

/// Reads the organization's flows from `events` at the locations of `facilities` (the events the
/// store found there in the period, unreadable ones reduced to their owner).
pub fn plan_flows(facilities: &[Facility], events: &[LineageEvent]) -> FlowPlan {
    let mut plan = FlowPlan {
        facilities: facilities
            .iter()
            .map(|facility| FacilityUse {
                id: facility.id,
                name_ja: facility.name_ja.clone(),
                name_en: facility.name_en.clone(),
                gln: facility.gln.clone(),
                location: facility.gln.as_deref().map(facility_location),
                href: format!("/api/v1/facilities/{}", facility.id),
            })
            .collect(),
        inflows: Vec::new(),
        outflows: Vec::new(),
        internal: Vec::new(),
        withheld: Vec::new(),
        gaps: Vec::new(),
        event_ids: events.iter().map(|event| event.event_id.clone()).collect(),
    };
    if facilities.is_empty() {
        plan.gaps.push("no facility of the organization that you may read: its flows are not known to you (facilities are read under the read rule; a grant of kind facility opens them)".to_owned());
    }
    for facility in facilities.iter().filter(|facility| facility.gln.is_none()) {
        plan.gaps.push(format!(
            "facility {} ({}) has no GLN, so no event names it and its flows are not known",
            facility.id, facility.name_ja
        ));
    }
    let mut lots: Vec<LotTallies> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    for event in events {
        if !event.readable {
            count_withheld(&mut plan.withheld, event);
            continue;
        }
        for identifier in &event.identifiers {
            let Some(what) = seen(event, identifier.role) else {
                continue;
            };
            let index = *index_of.entry(identifier.value.clone()).or_insert_with(|| {
                lots.push(LotTallies {
                    lot: identifier.value.clone(),
                    item: matches!(
                        identifier.role,
                        IdentifierRole::Epc
                            | IdentifierRole::Input
                            | IdentifierRole::Output
                            | IdentifierRole::Child
                            | IdentifierRole::Parent
                    ),
                    consumed: Tally::default(),
                    produced: Tally::default(),
                    received: Tally::default(),
                    commissioned: Tally::default(),
                    dispatched: Tally::default(),
                    events: Vec::new(),
                    first_in: None,
                    first_out: None,
                });
                lots.len() - 1
            });
            let lot = &mut lots[index];
            let mass = mass_of(identifier);
            let (tally, outgoing) = match what {
                Seen::Consumed => (&mut lot.consumed, false),
                Seen::Received => (&mut lot.received, false),
                Seen::Produced => (&mut lot.produced, true),
                Seen::Commissioned => (&mut lot.commissioned, true),
                Seen::Dispatched => (&mut lot.dispatched, true),
            };
            tally.add(mass);
            let first = if outgoing {
                &mut lot.first_out
            } else {
                &mut lot.first_in
            };
            first.get_or_insert(event.event_time);
            if !lot.events.iter().any(|link| link.event_id == event.event_id) {
                lot.events.push(event_link(&event.event_id));
            }
        }
    }
    for withheld in &plan.withheld {
        plan.gaps.push(format!(
            "{} event(s) at the organization's facilities in the period are withheld from you (recorded by {}); they may hold flows of either side",
            withheld.events, withheld.owner_name
        ));
    }
    for lot in lots {
        split_lot(&mut plan, lot);
    }
    plan
}

/// Splits one lot's tallies into internal, inflow and outflow mass.
fn split_lot(plan: &mut FlowPlan, lot: LotTallies) {
    let both = lot.consumed.seen && lot.produced.seen;
    // A flow of the lot: `Ok(None)` is none, `Err` one of unknown mass.
    let flow = |mass: Result<Option<Decimal>, String>, first: Option<OffsetDateTime>| {
        let (mass_t, unknown_mass) = match mass {
            Ok(None) => return None,
            Ok(Some(mass)) => (Some(mass), None),
            Err(reason) => (None, Some(reason)),
        };
        Some(LotFlow {
            lot: lot.lot.clone(),
            item: lot.item,
            mass_t,
            unknown_mass,
            mass_from: None,
            events: lot.events.clone(),
            first_time: first.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    };
    if lot.item {
        // An item made and used again here is an intermediate; otherwise it flows, mass unknown.
        if both {
            plan.internal.push(InternalLot {
                lot: lot.lot.clone(),
                mass_t: None,
                events: lot.events.clone(),
            });
            return;
        }
        let unknown = || Err("an item (EPC) without a quantity: the events do not state its mass".to_owned());
        if lot.consumed.seen || lot.received.seen {
            plan.inflows.extend(flow(unknown(), lot.first_in));
        }
        if lot.produced.seen || lot.commissioned.seen || lot.dispatched.seen {
            plan.outflows.extend(flow(unknown(), lot.first_out));
        }
        return;
    }
    let internal = if both {
        match (lot.consumed.known(), lot.produced.known()) {
            (Ok(consumed), Ok(produced)) => Ok(consumed.min(produced)),
            (Err(reason), _) | (_, Err(reason)) => Err(format!(
                "produced and consumed again at the organization's facilities, but {reason}, so how much of it crossed the boundary is not known"
            )),
        }
    } else {
        Ok(Decimal::ZERO)
    };
    if both {
        plan.internal.push(InternalLot {
            lot: lot.lot.clone(),
            mass_t: internal.clone().ok(),
            events: lot.events.clone(),
        });
    }
    let beyond = |parts: &[(&Tally, bool)]| -> Result<Option<Decimal>, String> {
        let internal = internal.clone()?;
        let parts: Vec<(&Tally, Decimal)> = parts
            .iter()
            .map(|(tally, less)| (*tally, if *less { internal } else { Decimal::ZERO }))
            .collect();
        // A lot that only went round inside is no flow.
        Ok(largest(&parts)?.filter(|mass| !(both && mass.is_zero())))
    };
    if lot.consumed.seen || lot.received.seen {
        plan.inflows.extend(flow(
            beyond(&[(&lot.consumed, true), (&lot.received, false)]),
            lot.first_in,
        ));
    }
    if lot.produced.seen || lot.commissioned.seen || lot.dispatched.seen {
        plan.outflows.extend(flow(
            beyond(&[
                (&lot.produced, true),
                (&lot.commissioned, false),
                (&lot.dispatched, false),
            ]),
            lot.first_out,
        ));
    }
}

/// Where the mass of an item (an EPC, whose events state no quantity) was read: a passport the
/// caller may read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemMass {
    /// The item's mass, in tonnes.
    #[serde(serialize_with = "decimal_text")]
    pub mass_t: Decimal,
    /// The passport it was read from.
    pub passport: PassportUse,
    /// Where in that passport: the data pointer of its profile's stated mass (`summary.mass`), or
    /// `/links/<n>` for a link of another passport that names the item with its mass.
    pub pointer: String,
    /// How the passport relates to the item.
    pub basis: MassBasis,
}

/// How the passport an item's mass was read from relates to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MassBasis {
    /// The item's own passport.
    Item,
    /// The passport of its product model (the class the item belongs to, e.g. its GTIN).
    Model,
    /// A passport that names the item as a part (component, input) with its mass.
    Link,
}

/// Gives the item flows of `plan` whose mass the events do not state the mass found for them in
/// passports (`masses`, by the item's canonical identifier), so that serialised products (a
/// battery pack, a vehicle, a refrigerator) weigh in their makers' and users' flows. An item
/// without one keeps its unknown mass; nothing is guessed.
pub fn weigh_items(plan: &mut FlowPlan, masses: &HashMap<String, ItemMass>) {
    for flow in plan.inflows.iter_mut().chain(plan.outflows.iter_mut()) {
        if !flow.item || flow.mass_t.is_some() {
            continue;
        }
        if let Some(found) = masses.get(&flow.lot) {
            flow.mass_t = Some(found.mass_t);
            flow.unknown_mass = None;
            flow.mass_from = Some(found.clone());
        }
    }
}

/// The item flows of `plan` whose mass is not known: what [`weigh_items`] looks up.
pub fn unweighed_items(plan: &FlowPlan) -> Vec<String> {
    let mut items: Vec<String> = plan
        .inflows
        .iter()
        .chain(&plan.outflows)
        .filter(|flow| flow.item && flow.mass_t.is_none())
        .map(|flow| flow.lot.clone())
        .collect();
    items.sort_unstable();
    items.dedup();
    items
}

// ---------------------------------------------------------------------------------------------
// Inflow shares

/// Where an inflow lot's share comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InflowShareSource {
    /// A passport's whole-lot recycled content: the lot's own, or for an item or batch without
    /// one that states it, its product model's (the class of its identifier, e.g. its GTIN).
    Passport {
        /// Whose passport stated it: `item` (the lot's own) or `model` (its product model's).
        basis: MassBasis,
        /// The passport.
        passport_id: PassportId,
        /// Its profile.
        profile: String,
        /// The field read.
        pointer: String,
        /// Where to read it.
        href: String,
    },
    /// A live claim made for the lot in a chain-of-custody ledger (its material's share).
    Claim {
        /// The mass fraction of the ledger's material in the lot the claim counts: the lot is
        /// credited the claim's share × this part of it.
        material_fraction: Decimal,
        /// The ledger.
        ledger_id: LedgerId,
        /// The claim.
        claim_id: LedgerClaimId,
        /// Who made it.
        owner_organization_id: OrganizationId,
        /// The ledger's material.
        material: String,
        /// Where to trace it.
        href: String,
    },
    /// An input entry of the lot in one of the organization's own ledgers.
    LedgerInput {
        /// The mass fraction of the ledger's material in the lot the entry counts.
        material_fraction: Decimal,
        /// The ledger.
        ledger_id: LedgerId,
        /// The entry.
        input_id: LedgerInputId,
        /// The ledger's material.
        material: String,
        /// Where the keeper took the share from.
        entered_from: ShareSource,
        /// Where to read the ledger.
        href: String,
    },
    /// Ledger entries (claims, or the organization's inputs) of several materials of the lot,
    /// each crediting its share × its material's part of the lot.
    Materials {
        /// One source per material.
        parts: Vec<InflowShareSource>,
    },
}

/// An inflow lot's share, or why it is not known.
#[derive(Debug, Clone, PartialEq)]
pub enum InflowShare {
    /// Known.
    Found {
        /// The recycled share.
        share: Share,
        /// The renewable share the passport states, in percent.
        renewable_pct: Option<Decimal>,
        /// Where the recycled share comes from.
        source: Box<InflowShareSource>,
    },
    /// Unknown, and why.
    Unknown(String),
}

/// The renewable share (%) a passport states: `renewableContent` (a number in %) at the top or
/// in the battery profile's `Circularity`.
fn renewable_pct(data: &Value) -> Option<Decimal> {
    ["/renewableContent", "/Circularity/renewableContent"]
        .into_iter()
        .find_map(|pointer| data.pointer(pointer))
        .and_then(|value| crate::input::decimal_of(value).ok())
        .filter(|share| (Decimal::ZERO..=PERCENT).contains(share))
}

/// One ledger entry (a claim or an input) of a lot: the share of its material and the part of
/// the lot it counts.
struct EntryShare {
    material: String,
    share: Share,
    material_fraction: Decimal,
    described: String,
    source: InflowShareSource,
}

/// The lot's share from its ledger entries, or why there is none (`None` without entries).
/// Entries of one material must agree (share and fraction); the lot's recycled mass is
/// Σ over materials of share × fraction × lot mass, so its share is Σ share × fraction, which
/// needs the fractions to sum to at most the whole lot. Pre-/post-consumer parts combine the
/// same way when every material states them.
fn combined_entry_share(entries: Vec<EntryShare>) -> Option<Result<(Share, InflowShareSource), String>> {
    let first = entries.first()?;
    let mut materials: Vec<&EntryShare> = Vec::new();
    for entry in &entries {
        match materials.iter().find(|kept| kept.material == entry.material) {
            Some(kept) if kept.share != entry.share || kept.material_fraction != entry.material_fraction => {
                let same: Vec<String> = entries
                    .iter()
                    .filter(|other| other.material == entry.material)
                    .map(|other| other.described.clone())
                    .collect();
                return Some(Err(format!(
                    "its ledger entries state different shares of {} ({}), so the share of the lot is not known",
                    entry.material,
                    same.join("; ")
                )));
            }
            Some(_) => {}
            None => materials.push(entry),
        }
    }
    let fractions: Decimal = materials.iter().map(|entry| entry.material_fraction).sum();
    if fractions > Decimal::ONE {
        return Some(Err(format!(
            "its ledger entries count more than the whole lot (mass fractions summing to {}: {}), so the share of the lot is not known",
            fractions.normalize(),
            materials
                .iter()
                .map(|entry| format!("{} × {}", entry.described, entry.material_fraction.normalize()))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let part = |value: Decimal, fraction: Decimal| value * fraction;
    let recycled: Decimal = materials
        .iter()
        .map(|entry| part(entry.share.recycled_share_pct, entry.material_fraction))
        .sum();
    let split = |pick: fn(&Share) -> Option<Decimal>| -> Option<Decimal> {
        materials
            .iter()
            .map(|entry| pick(&entry.share).map(|value| part(value, entry.material_fraction)))
            .sum::<Option<Decimal>>()
            .map(|value| value.normalize())
    };
    let share = Share {
        recycled_share_pct: recycled.normalize(),
        pre_consumer_pct: split(|share| share.pre_consumer_pct),
        post_consumer_pct: split(|share| share.post_consumer_pct),
    };
    let source = if materials.len() == 1 {
        first.source.clone()
    } else {
        InflowShareSource::Materials {
            parts: materials.iter().map(|entry| entry.source.clone()).collect(),
        }
    };
    Some(Ok((share, source)))
}

/// The share a lot's passport (`basis`: the lot's own or its product model's) states, with its
/// renewable share (that passport's, else `renewable`), or why it states none.
fn share_stated_by(passport: &Passport, basis: MassBasis, renewable: Option<Decimal>) -> Result<InflowShare, String> {
    let whose = if basis == MassBasis::Model {
        "its model's"
    } else {
        "its"
    };
    let (share, pointer) = lot_share_from_passport(&passport.data, &passport.withheld)
        .map_err(|reason| format!("{whose} passport /api/v1/passports/{}: {reason}", passport.id))?;
    Ok(InflowShare::Found {
        share,
        renewable_pct: renewable_pct(&passport.data).or(renewable),
        source: Box::new(InflowShareSource::Passport {
            basis,
            passport_id: passport.id,
            profile: passport.profile.clone(),
            pointer,
            href: format!("/api/v1/passports/{}?version={}", passport.id, passport.version),
        }),
    })
}

/// The share of every inflow lot in `lots`: from its passport, else the live claims for it,
/// else the inputs of it in the ledgers of `facilities`, else (an item or batch) its product
/// model's passport, `model_of` giving a lot's model identifier (see the module's rules).
pub fn inflow_shares(
    lots: &[String],
    model_of: &HashMap<String, String>,
    facilities: &[FacilityId],
    passports: &[Passport],
    claims: &[(LedgerRecord, LedgerClaim)],
    inputs: &[(LedgerRecord, LedgerInput)],
) -> HashMap<String, InflowShare> {
    // Each kind of evidence by lot, so that every lot is looked up, not searched for.
    let mut passport_of: HashMap<&str, &Passport> = HashMap::new();
    for passport in passports {
        passport_of.entry(passport.identifier.as_str()).or_insert(passport);
    }
    let mut claims_of: HashMap<&str, Vec<&(LedgerRecord, LedgerClaim)>> = HashMap::new();
    for entry in claims {
        claims_of.entry(entry.1.output_lot.as_str()).or_default().push(entry);
    }
    let mut inputs_of: HashMap<&str, Vec<&(LedgerRecord, LedgerInput)>> = HashMap::new();
    for entry in inputs
        .iter()
        .filter(|(ledger, _)| facilities.contains(&ledger.facility_id))
    {
        inputs_of.entry(entry.1.lot.as_str()).or_default().push(entry);
    }
    let mut shares = HashMap::new();
    for lot in lots {
        let own = passport_of.get(lot.as_str()).copied();
        let model = model_of
            .get(lot)
            .and_then(|class| passport_of.get(class.as_str()).copied());
        let renewable = own.or(model).and_then(|passport| renewable_pct(&passport.data));
        let mut reasons = Vec::new();
        // The lot's own passport first; its product model's only after the lot's own ledger
        // entries, as the most general statement.
        if let Some(passport) = own {
            match share_stated_by(passport, MassBasis::Item, renewable) {
                Ok(found) => {
                    shares.insert(lot.clone(), found);
                    continue;
                }
                Err(reason) => reasons.push(reason),
            }
        }
        let for_lot: Vec<EntryShare> = claims_of
            .get(lot.as_str())
            .map(|entries| {
                entries
                    .iter()
                    .map(|(ledger, claim)| EntryShare {
                        material: ledger.material.clone(),
                        share: claim.share(),
                        material_fraction: claim.material_fraction,
                        described: format!(
                            "{} {} % at {}",
                            ledger.material,
                            claim.recycled_share_pct.normalize(),
                            claim.href()
                        ),
                        source: InflowShareSource::Claim {
                            material_fraction: claim.material_fraction,
                            ledger_id: ledger.id,
                            claim_id: claim.id,
                            owner_organization_id: ledger.owner_organization_id,
                            material: ledger.material.clone(),
                            href: claim.href(),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        match combined_entry_share(for_lot) {
            Some(Ok((share, source))) => {
                shares.insert(
                    lot.clone(),
                    InflowShare::Found {
                        share,
                        renewable_pct: renewable,
                        source: Box::new(source),
                    },
                );
                continue;
            }
            Some(Err(reason)) => reasons.push(format!("claims: {reason}")),
            None => {}
        }
        let entered: Vec<EntryShare> = inputs_of
            .get(lot.as_str())
            .map(|entries| {
                entries
                    .iter()
                    .map(|(ledger, input)| EntryShare {
                        material: ledger.material.clone(),
                        share: input.share,
                        material_fraction: input.material_fraction,
                        described: format!(
                            "{} {} % in {}",
                            ledger.material,
                            input.share.recycled_share_pct.normalize(),
                            ledger.href()
                        ),
                        source: InflowShareSource::LedgerInput {
                            material_fraction: input.material_fraction,
                            ledger_id: ledger.id,
                            input_id: input.id,
                            material: ledger.material.clone(),
                            entered_from: input.share_source.clone(),
                            href: format!("{LEDGERS_PATH}/{}", ledger.id),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        match combined_entry_share(entered) {
            Some(Ok((share, source))) => {
                shares.insert(
                    lot.clone(),
                    InflowShare::Found {
                        share,
                        renewable_pct: renewable,
                        source: Box::new(source),
                    },
                );
                continue;
            }
            Some(Err(reason)) => reasons.push(format!("ledger inputs: {reason}")),
            None => {}
        }
        if let Some(passport) = model {
            match share_stated_by(passport, MassBasis::Model, renewable) {
                Ok(found) => {
                    shares.insert(lot.clone(), found);
                    continue;
                }
                Err(reason) => reasons.push(reason),
            }
        }
        if reasons.is_empty() {
            reasons.push(
                "no passport, ledger claim or ledger input that you may read states its recycled share".to_owned(),
            );
        }
        shares.insert(lot.clone(), InflowShare::Unknown(reasons.join("; ")));
    }
    shares
}

// ---------------------------------------------------------------------------------------------
// The fate of the outflow

/// What became of (part of) an outflow, by the step that handled it (ISO 59020-style routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Reused, refurbished, remanufactured or repurposed (再使用・再製造).
    Reuse,
    /// Material or chemical recycling (リサイクル).
    Recycling,
    /// Composting (堆肥化).
    Composting,
    /// Collected, dismantled, sorted or shredded for recovery, with no later treatment recorded
    /// (回収・前処理).
    Collection,
    /// Energy recovery (熱回収): not circular.
    EnergyRecovery,
    /// Landfill or destruction (埋立・処分): not circular.
    Disposal,
}

impl Route {
    /// Whether the route keeps the material in a cycle (WBCSD CTI: technical or biological).
    pub fn is_circular(self) -> bool {
        matches!(
            self,
            Route::Reuse | Route::Recycling | Route::Composting | Route::Collection
        )
    }

    /// Its name in answers (`recycling`, `energy_recovery`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Route::Reuse => "reuse",
            Route::Recycling => "recycling",
            Route::Composting => "composting",
            Route::Collection => "collection",
            Route::EnergyRecovery => "energy_recovery",
            Route::Disposal => "disposal",
        }
    }

    fn of_step(step: &str) -> Option<Route> {
        Some(match step {
            "reusing" | "refurbishing" | "remanufacturing" | "repurposing" => Route::Reuse,
            "material_recycling" | "chemical_recycling" => Route::Recycling,
            "composting" => Route::Composting,
            "collecting" | "disassembling" | "sorting" | "shredding" => Route::Collection,
            "energy_recovery" => Route::EnergyRecovery,
            "landfilling" | "destroying" => Route::Disposal,
            _ => return None,
        })
    }
}

/// A later event that handled an outflow lot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FateEvent {
    /// The event.
    pub event_id: String,
    /// Where to read it.
    pub href: String,
    /// Who recorded it.
    pub owner_name: String,
    /// Its business step.
    pub step: String,
    /// The route it counts for.
    pub route: Route,
    /// The mass of the lot it handled, in tonnes (`None` for an item, which counts whole).
    #[serde(serialize_with = "optional_decimal")]
    pub mass_t: Option<Decimal>,
}

/// What became of one outflow lot, as far as the caller may see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fate {
    /// Mass per route, in tonnes (collection only beyond what later steps account for; the sum
    /// capped at the outflow's mass, circular routes first).
    pub routes: BTreeMap<Route, Decimal>,
    /// Mass recovered in a cycle.
    pub recovered_t: Decimal,
    /// Mass no recorded step recovered or disposed of.
    pub not_recorded_t: Decimal,
    /// The events that handled it.
    pub events: Vec<FateEvent>,
    /// Later events touching it that the caller may not read.
    pub withheld: Vec<WithheldEvents>,
    /// Why its fate is not known (withheld, or quantities without a conversion).
    pub unknown: Option<String>,
    /// Remarks (capping).
    pub notes: Vec<String>,
}

/// The fate of every outflow of `plan` from the `downstream` events (those touching the outflow
/// lots; the organization's own events and events before the lot left are not its fate).
pub fn fates(plan: &FlowPlan, downstream: &[LineageEvent]) -> HashMap<String, Fate> {
    let own: HashSet<&str> = plan.event_ids.iter().map(String::as_str).collect();
    let mut touching: HashMap<&str, Vec<&LineageEvent>> = HashMap::new();
    for event in downstream.iter().filter(|event| !own.contains(event.event_id.as_str())) {
        let mut lots: Vec<&str> = event
            .identifiers
            .iter()
            .map(|identifier| identifier.value.as_str())
            .collect();
        lots.sort_unstable();
        lots.dedup();
        for lot in lots {
            touching.entry(lot).or_default().push(event);
        }
    }
    let mut fates = HashMap::new();
    for outflow in &plan.outflows {
        let mut fate = Fate {
            routes: BTreeMap::new(),
            recovered_t: Decimal::ZERO,
            not_recorded_t: Decimal::ZERO,
            events: Vec::new(),
            withheld: Vec::new(),
            unknown: None,
            notes: Vec::new(),
        };
        let mut raw: BTreeMap<Route, Decimal> = BTreeMap::new();
        let mut whole_item = false;
        // Withheld events keep their structure here (lineage), so they can be told apart by the
        // lots they touch; nothing of them but their owner reaches the answer.
        let later = touching
            .get(outflow.lot.as_str())
            .into_iter()
            .flatten()
            .filter(|event| event.event_time >= outflow.first_time);
        for event in later {
            if !event.readable {
                count_withheld(&mut fate.withheld, event);
                continue;
            }
            let Some(step) = step_name(event.biz_step.as_deref()) else {
                continue;
            };
            let Some(route) = Route::of_step(step) else {
                continue;
            };
            for identifier in event.identifiers.iter().filter(|identifier| {
                identifier.value == outflow.lot
                    && !matches!(
                        identifier.role,
                        IdentifierRole::Output
                            | IdentifierRole::OutputQuantity
                            | IdentifierRole::Source
                            | IdentifierRole::Destination
                            | IdentifierRole::BizTransaction
                    )
            }) {
                let mass = if outflow.item {
                    // An item counts whole on each route recorded (capped at its mass below).
                    whole_item = true;
                    if let Some(mass) = outflow.mass_t {
                        *raw.entry(route).or_default() += mass;
                    }
                    outflow.mass_t
                } else {
                    match mass_of(identifier) {
                        Ok(mass) => {
                            *raw.entry(route).or_default() += mass;
                            Some(mass)
                        }
                        Err(reason) => {
                            fate.unknown
                                .get_or_insert(format!("event {} handled it at {step}, but {reason}", event.event_id));
                            None
                        }
                    }
                };
                fate.events.push(FateEvent {
                    event_id: event.event_id.clone(),
                    href: event_href(&event.event_id),
                    owner_name: event.owner_name.clone(),
                    step: step.to_owned(),
                    route,
                    mass_t: mass,
                });
            }
        }
        if let Some(mass_t) = outflow.mass_t {
            settle(&mut fate, raw, mass_t);
        } else if whole_item {
            fate.notes
                .push("an item: it counts whole on the routes recorded, but its mass is not known".to_owned());
        }
        fates.insert(outflow.lot.clone(), fate);
    }
    fates
}

/// The masses per route of an outflow of `mass_t`: final treatments first, collection only for
/// what no later step accounts for; circular routes before the others within the outflow's mass.
fn settle(fate: &mut Fate, raw: BTreeMap<Route, Decimal>, mass_t: Decimal) {
    let treated: Decimal = raw
        .iter()
        .filter(|(route, _)| **route != Route::Collection)
        .map(|(_, mass)| *mass)
        .sum();
    let mut left = mass_t;
    let mut take = |route: Route, mass: Decimal, fate: &mut Fate| {
        let taken = mass.min(left);
        if taken < mass {
            fate.notes.push(format!(
                "{} t recorded on the {} route exceed what is left of the outflow; {} t counted",
                mass.normalize(),
                route.name(),
                taken.normalize()
            ));
        }
        left -= taken;
        if !taken.is_zero() {
            fate.routes.insert(route, taken.normalize());
        }
        taken
    };
    let mut recovered = Decimal::ZERO;
    for route in [Route::Reuse, Route::Recycling, Route::Composting] {
        if let Some(mass) = raw.get(&route) {
            recovered += take(route, *mass, fate);
        }
    }
    if let Some(collected) = raw.get(&Route::Collection) {
        let beyond = (*collected - treated).max(Decimal::ZERO);
        if !beyond.is_zero() {
            recovered += take(Route::Collection, beyond, fate);
        }
    }
    for route in [Route::EnergyRecovery, Route::Disposal] {
        if let Some(mass) = raw.get(&route) {
            take(route, *mass, fate);
        }
    }
    fate.recovered_t = recovered.normalize();
    fate.not_recorded_t = left.normalize();
    if !left.is_zero() && !fate.withheld.is_empty() && fate.unknown.is_none() {
        fate.unknown = Some(format!(
            "{} t of it are not accounted for by the events you may read, and {} later event(s) touching it are withheld from you ({})",
            left.normalize(),
            fate.withheld.iter().map(|entry| entry.events).sum::<usize>(),
            fate.withheld
                .iter()
                .map(|entry| entry.owner_name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Answers

/// The organization an answer is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganizationUse {
    /// Its id.
    pub id: OrganizationId,
    /// 名称.
    pub name_ja: String,
    /// Name.
    pub name_en: String,
    /// Where to read it.
    pub href: String,
}

impl OrganizationUse {
    /// The organization `id` named so.
    pub fn new(id: OrganizationId, name_ja: &str, name_en: &str) -> OrganizationUse {
        OrganizationUse {
            id,
            name_ja: name_ja.to_owned(),
            name_en: name_en.to_owned(),
            href: format!("{ORGANIZATIONS_PATH}/{id}"),
        }
    }
}

/// The period of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodUse {
    /// First day (ISO).
    pub from: String,
    /// Last day (ISO).
    pub to: String,
    /// How events are placed in it.
    pub rule: &'static str,
}

impl PeriodUse {
    /// The days `from`..=`to`.
    pub fn new(from: &str, to: &str) -> PeriodUse {
        PeriodUse {
            from: from.to_owned(),
            to: to.to_owned(),
            rule: PERIOD_RULE,
        }
    }
}

/// A flow left out of the computation, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingFlow {
    /// `inflow`, `outflow` or `product`.
    pub flow: &'static str,
    /// The lot.
    pub lot: String,
    /// Why.
    pub reason: String,
}

/// An inflow as used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InflowUse {
    /// The flow.
    #[serde(flatten)]
    pub flow: LotFlow,
    /// Its recycled share, split pre-/post-consumer where known.
    pub share: Option<Share>,
    /// Its renewable share (%), as its passport states it.
    #[serde(serialize_with = "crate::optional_share_text")]
    pub renewable_share_pct: Option<Decimal>,
    /// Where the recycled share comes from.
    pub source: Option<InflowShareSource>,
    /// Whether it entered the computation.
    pub used: bool,
}

/// A passport read for an outflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassportUse {
    /// The passport.
    pub passport_id: PassportId,
    /// Its version.
    pub version: i64,
    /// Its profile and version.
    pub profile: String,
    /// Where to read it.
    pub href: String,
}

impl PassportUse {
    /// The passport as read.
    pub fn of(passport: &Passport) -> PassportUse {
        PassportUse {
            passport_id: passport.id,
            version: passport.version,
            profile: format!("{} {}", passport.profile, passport.profile_version),
            href: format!("/api/v1/passports/{}?version={}", passport.id, passport.version),
        }
    }
}

/// An output's recovery potential (回収可能性: the recyclable share its passport states), or why
/// it is not stated.
#[derive(Debug, Clone, PartialEq)]
pub enum Potential {
    /// Stated: a fraction 0–1, and the passport.
    Stated(Decimal, PassportUse),
    /// Not stated, and why.
    Unknown(String),
}

/// An outflow as used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutflowUse {
    /// The flow.
    #[serde(flatten)]
    pub flow: LotFlow,
    /// The recovery potential its passport states (%), when stated.
    #[serde(serialize_with = "crate::optional_share_text")]
    pub recovery_potential_pct: Option<Decimal>,
    /// The passport it comes from, or why none states it.
    pub potential_source: Option<PassportUse>,
    /// Why no recovery potential is stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub potential_unknown: Option<String>,
    /// What became of it.
    pub fate: Option<Fate>,
    /// Whether it entered the computation.
    pub used: bool,
}

/// A set of shares (ISO 59020-style): values, their numerators and denominators, and what was
/// not computable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shares {
    /// The values (percent), `null` when not computable.
    pub values: Map<String, Value>,
    /// Numerator and denominator of each.
    pub ratios: BTreeMap<String, Ratio>,
    /// What was not computable, and why.
    pub not_computable: Vec<NotComputable>,
}

impl From<Outcome> for Shares {
    fn from(outcome: Outcome) -> Shares {
        Shares {
            values: outcome.values,
            ratios: outcome.ratios,
            not_computable: outcome.not_computable,
        }
    }
}

/// ISO 59020-style shares of the inflow and the outflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowShares {
    /// Of the inflow mass: recycled (pre-/post-consumer), renewable, neither.
    pub inflow: Shares,
    /// Of the outflow mass: per route, not recorded; recovery potential and actual recovery.
    pub outflow: Shares,
}

/// `cti` for an organization (and, through its shares, ISO 59020-style flow shares).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganizationCti {
    /// `cti`.
    pub indicator: &'static str,
    /// The methodology and version.
    pub methodology: &'static str,
    /// `organization:<id>`.
    pub scope: String,
    /// The organization.
    pub organization: OrganizationUse,
    /// The period.
    pub period: PeriodUse,
    /// The facilities whose events were read.
    pub facilities: Vec<FacilityUse>,
    /// Whether every value could be computed.
    pub computable: bool,
    /// The values (`null` where a flow they depend on is missing).
    pub result: Map<String, Value>,
    /// The values not computed, and why.
    pub not_computable: Vec<NotComputable>,
    /// The inflows, with their shares and sources.
    pub inflows: Vec<InflowUse>,
    /// The outflows, with their recovery potential and fate.
    pub outflows: Vec<OutflowUse>,
    /// Intermediates (neither inflow nor outflow).
    pub internal: Vec<InternalLot>,
    /// Events at the facilities withheld from the caller.
    pub withheld: Vec<WithheldEvents>,
    /// Flows left out, and why.
    pub missing: Vec<MissingFlow>,
    /// ISO 59020-style shares.
    pub flow_shares: FlowShares,
    /// The `cti` input built from the flows used (`POST /api/v1/indicators/cti` reproduces
    /// `computation`).
    pub input: Value,
    /// The computation over the flows used.
    pub computation: Option<Computation>,
    /// Assumptions and remarks.
    pub notes: Vec<String>,
}

fn fraction_text(value: Decimal) -> Value {
    Value::String(value.normalize().to_string())
}

/// A fraction 0–1 (a share) as a decimal string, at the precision of a share in percent
/// ([`crate::SHARE_DECIMAL_PLACES`] + 2 decimal places, half to even).
fn share_fraction_text(value: Decimal) -> Value {
    let places = crate::SHARE_DECIMAL_PLACES + 2;
    Value::String(
        value
            .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointNearestEven)
            .normalize()
            .to_string(),
    )
}

/// Sets `names` of `result` to null with `reason` (once per name).
fn not_computable(result: &mut Map<String, Value>, missing: &mut Vec<NotComputable>, names: &[&str], reason: &str) {
    for name in names {
        if missing.iter().any(|entry| entry.output == *name) {
            continue;
        }
        result.insert((*name).to_owned(), Value::Null);
        missing.push(NotComputable {
            output: (*name).to_owned(),
            reason: reason.to_owned(),
        });
    }
}

/// Adds the reasons `computation` gives for values not yet in `list`.
fn add_own_reasons(list: &mut Vec<NotComputable>, computation: Option<&Computation>) {
    for entry in computation
        .map(|computation| computation.provenance.not_computable.as_slice())
        .unwrap_or_default()
    {
        if !list.iter().any(|known| known.output == entry.output) {
            list.push(entry.clone());
        }
    }
}

/// `cti` and the flow shares of the organization from its flows, the inflows' shares, the
/// outflows' recovery potentials and fates.
pub fn organization_cti(
    organization: OrganizationUse,
    period: PeriodUse,
    plan: &FlowPlan,
    shares: &HashMap<String, InflowShare>,
    potentials: &HashMap<String, Potential>,
    fates: &HashMap<String, Fate>,
) -> OrganizationCti {
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    let mut inflows = Vec::new();
    let mut inflow_input = Vec::new();
    let mut not_stated_renewable = Vec::new();
    for flow in &plan.inflows {
        let share = shares.get(&flow.lot);
        let (found, renewable, source) = match share {
            Some(InflowShare::Found {
                share,
                renewable_pct,
                source,
            }) => (Some(*share), *renewable_pct, Some((**source).clone())),
            _ => (None, None, None),
        };
        let usable = match (flow.mass_t, found) {
            (Some(mass_t), Some(share)) => Ok((mass_t, share)),
            (None, _) => Err(flow
                .unknown_mass
                .clone()
                .unwrap_or_else(|| "its mass is not known".to_owned())),
            (Some(_), None) => Err(match share {
                Some(InflowShare::Unknown(reason)) => format!("recycled share unknown: {reason}"),
                _ => "recycled share not looked up".to_owned(),
            }),
        };
        match &usable {
            Ok((mass_t, share)) => {
                if renewable.is_none() {
                    not_stated_renewable.push(flow.lot.clone());
                }
                inflow_input.push(json!({
                    "name": flow.lot, "mass": fraction_text(*mass_t), "unit": "t",
                    "recycled_share": share_fraction_text(share.recycled_share_pct / PERCENT),
                    "renewable_share": share_fraction_text(renewable.unwrap_or_default() / PERCENT),
                }));
            }
            Err(reason) => missing.push(MissingFlow {
                flow: "inflow",
                lot: flow.lot.clone(),
                reason: reason.clone(),
            }),
        }
        inflows.push(InflowUse {
            flow: flow.clone(),
            share: found,
            renewable_share_pct: renewable,
            source,
            used: usable.is_ok(),
        });
    }
    if !not_stated_renewable.is_empty() {
        notes.push(format!(
            "no renewable or reused share is stated for {} inflow lot(s) ({}); they are counted as 0: circular inflow there is the recycled share",
            not_stated_renewable.len(),
            not_stated_renewable.join(", ")
        ));
    }

    let mut outflows = Vec::new();
    let mut outflow_input = Vec::new();
    for flow in &plan.outflows {
        let fate = fates.get(&flow.lot).cloned();
        let potential = potentials.get(&flow.lot);
        let (stated, potential_source, potential_unknown) = match potential {
            Some(Potential::Stated(share, passport)) => (Some(*share), Some(passport.clone()), None),
            Some(Potential::Unknown(reason)) => (None, None, Some(reason.clone())),
            None => (None, None, Some("no passport of the lot that you may read".to_owned())),
        };
        let usable = match (flow.mass_t, &fate) {
            (None, _) => Err(flow
                .unknown_mass
                .clone()
                .unwrap_or_else(|| "its mass is not known".to_owned())),
            (Some(_), None) => Err("its fate was not looked up".to_owned()),
            (Some(_), Some(fate)) if fate.unknown.is_some() => {
                Err(format!("fate unknown: {}", fate.unknown.clone().unwrap_or_default()))
            }
            (Some(mass_t), Some(fate)) => Ok((mass_t, fate.recovered_t)),
        };
        match &usable {
            Ok((mass_t, recovered)) => {
                let observed = if mass_t.is_zero() {
                    Decimal::ZERO
                } else {
                    *recovered / *mass_t
                };
                let potential_used = match stated {
                    Some(stated) if stated >= observed => stated,
                    Some(stated) => {
                        notes.push(format!(
                            "{}: its passport states a recovery potential of {} %, less than the {} % recorded as recovered; the recovered share is used",
                            flow.lot,
                            (stated * PERCENT).normalize(),
                            (observed * PERCENT).round_dp(4).normalize()
                        ));
                        observed
                    }
                    None => observed,
                };
                let actual = if potential_used.is_zero() {
                    Decimal::ZERO
                } else {
                    (observed / potential_used).min(Decimal::ONE)
                };
                outflow_input.push(json!({
                    "name": flow.lot, "mass": fraction_text(*mass_t), "unit": "t",
                    "recovery_potential": share_fraction_text(potential_used),
                    "actual_recovery": share_fraction_text(actual),
                }));
            }
            Err(reason) => missing.push(MissingFlow {
                flow: "outflow",
                lot: flow.lot.clone(),
                reason: reason.clone(),
            }),
        }
        outflows.push(OutflowUse {
            flow: flow.clone(),
            recovery_potential_pct: stated.map(|share| share * PERCENT),
            potential_source,
            potential_unknown,
            fate,
            used: usable.is_ok(),
        });
    }
    if outflows
        .iter()
        .any(|outflow| outflow.used && outflow.recovery_potential_pct.is_none())
    {
        notes.push("where no passport states an output's recovery potential, its recovered share (a lower bound) is the cti input: what was recovered was recoverable, and the circular outflow (potential × actual recovery = recovered mass) does not depend on it".to_owned());
    }
    notes.push("actual recovery counts what the events you may read record later for each output lot (reuse, recycling, composting, collection for recovery); mass no recorded step recovered counts as not recovered".to_owned());

    let input = json!({
        "organization": organization.id, "period": format!("{}/{}", period.from, period.to),
        "inflows": inflow_input, "outflows": outflow_input,
    });
    let computation = crate::compute("cti", &input).ok();
    let mut result = computation
        .as_ref()
        .map(|computation| computation.result.clone())
        .unwrap_or_default();
    // What the organization's data lacks comes first; the computation's own reasons (a zero
    // denominator) only for values not already explained.
    let mut not_computable_list: Vec<NotComputable> = Vec::new();
    let all = [
        "circular_inflow_pct",
        "circular_outflow_pct",
        "circularity_pct",
        "inflow_mass",
        "outflow_mass",
    ];
    for gap in &plan.gaps {
        not_computable(&mut result, &mut not_computable_list, &all, gap);
    }
    if computation.is_none() {
        not_computable(
            &mut result,
            &mut not_computable_list,
            &all,
            "the flows' figures did not pass the cti checks",
        );
    }
    let missing_of = |side: &str| missing.iter().filter(|entry| entry.flow == side).count();
    if missing_of("inflow") > 0 {
        not_computable(
            &mut result,
            &mut not_computable_list,
            &["circular_inflow_pct", "inflow_mass", "circularity_pct"],
            &format!("{} inflow lot(s) are missing (see missing)", missing_of("inflow")),
        );
    }
    if missing_of("outflow") > 0 {
        not_computable(
            &mut result,
            &mut not_computable_list,
            &["circular_outflow_pct", "outflow_mass", "circularity_pct"],
            &format!("{} outflow lot(s) are missing (see missing)", missing_of("outflow")),
        );
    }
    add_own_reasons(&mut not_computable_list, computation.as_ref());
    let flow_shares = flow_shares(plan, &inflows, &outflows, &missing);
    OrganizationCti {
        indicator: crate::cti::INFO.name,
        methodology: crate::cti::INFO.methodology,
        scope: format!("organization:{}", organization.id),
        organization,
        period,
        facilities: plan.facilities.clone(),
        computable: not_computable_list.is_empty(),
        result,
        not_computable: not_computable_list,
        inflows,
        outflows,
        internal: plan.internal.clone(),
        withheld: plan.withheld.clone(),
        missing,
        flow_shares,
        input,
        computation,
        notes,
    }
}

/// The ISO 59020-style shares of the inflow and outflow used; each side not computable while a
/// flow of it is missing, everything while the plan has gaps.
fn flow_shares(plan: &FlowPlan, inflows: &[InflowUse], outflows: &[OutflowUse], missing: &[MissingFlow]) -> FlowShares {
    let side_gap = |side: &str| {
        plan.gaps.first().cloned().or_else(|| {
            missing
                .iter()
                .find(|entry| entry.flow == side)
                .map(|entry| format!("{} {} is missing: {}", entry.flow, entry.lot, entry.reason))
        })
    };

    let mut inflow = Outcome::new(
        "share = mass of the kind / inflow mass",
        "ISO 59020:2024, resource inflow",
    );
    let used_in: Vec<(Decimal, Share, Decimal)> = inflows
        .iter()
        .filter(|inflow| inflow.used)
        .filter_map(|inflow| {
            Some((
                inflow.flow.mass_t?,
                inflow.share?,
                inflow.renewable_share_pct.unwrap_or_default(),
            ))
        })
        .collect();
    let mass_in: Decimal = used_in.iter().map(|(mass, _, _)| *mass).sum();
    let weighted = |part: &dyn Fn(&Share, Decimal) -> Decimal| -> Decimal {
        used_in
            .iter()
            .map(|(mass, share, renewable)| *mass * part(share, *renewable) / PERCENT)
            .sum()
    };
    let recycled = weighted(&|share, _| share.recycled_share_pct);
    let renewable = weighted(&|_, renewable| renewable);
    inflow.ratio(
        "recycled_pct",
        recycled,
        mass_in,
        PERCENT,
        "recycled inflow mass / inflow mass",
    );
    let split_known = used_in
        .iter()
        .all(|(_, share, _)| share.pre_consumer_pct.is_some() && share.post_consumer_pct.is_some());
    if split_known {
        let pre = weighted(&|share, _| share.pre_consumer_pct.unwrap_or_default());
        let post = weighted(&|share, _| share.post_consumer_pct.unwrap_or_default());
        inflow.ratio(
            "pre_consumer_pct",
            pre,
            mass_in,
            PERCENT,
            "pre-consumer recycled inflow mass / inflow mass",
        );
        inflow.ratio(
            "post_consumer_pct",
            post,
            mass_in,
            PERCENT,
            "post-consumer recycled inflow mass / inflow mass",
        );
    } else {
        for name in ["pre_consumer_pct", "post_consumer_pct"] {
            inflow.missing(name, "the pre-/post-consumer split of a recycled inflow is not stated");
        }
    }
    inflow.ratio(
        "renewable_pct",
        renewable,
        mass_in,
        PERCENT,
        "renewable inflow mass (as stated) / inflow mass",
    );
    inflow.ratio(
        "non_circular_pct",
        mass_in - recycled - renewable,
        mass_in,
        PERCENT,
        "virgin non-renewable inflow mass / inflow mass",
    );
    let mut inflow = Shares::from(inflow);
    if let Some(reason) = side_gap("inflow") {
        let names: Vec<String> = inflow.values.keys().cloned().collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        inflow.not_computable.clear();
        not_computable(&mut inflow.values, &mut inflow.not_computable, &names, &reason);
    }

    let mut outflow = Outcome::new(
        "share = mass on the route / outflow mass; recovery potential = Σ mass × stated potential / outflow mass; actual recovery = recovered mass / Σ mass × stated potential",
        "ISO 59020:2024, resource outflow; WBCSD CTI v4.0",
    );
    let used_out: Vec<(&OutflowUse, Decimal, &Fate)> = outflows
        .iter()
        .filter(|outflow| outflow.used)
        .filter_map(|outflow| Some((outflow, outflow.flow.mass_t?, outflow.fate.as_ref()?)))
        .collect();
    let mass_out: Decimal = used_out.iter().map(|(_, mass, _)| *mass).sum();
    for (name, route, meaning) in [
        (
            "reuse_pct",
            Route::Reuse,
            "reused, refurbished, remanufactured or repurposed mass / outflow mass",
        ),
        ("recycling_pct", Route::Recycling, "recycled mass / outflow mass"),
        ("composting_pct", Route::Composting, "composted mass / outflow mass"),
        (
            "collection_pct",
            Route::Collection,
            "mass collected or pre-treated for recovery, no later treatment recorded / outflow mass",
        ),
        (
            "energy_recovery_pct",
            Route::EnergyRecovery,
            "mass sent to energy recovery / outflow mass",
        ),
        (
            "disposal_pct",
            Route::Disposal,
            "mass landfilled or destroyed / outflow mass",
        ),
    ] {
        let on_route: Decimal = used_out
            .iter()
            .map(|(_, _, fate)| fate.routes.get(&route).copied().unwrap_or_default())
            .sum();
        outflow.ratio(name, on_route, mass_out, PERCENT, meaning);
    }
    let not_recorded: Decimal = used_out.iter().map(|(_, _, fate)| fate.not_recorded_t).sum();
    outflow.ratio(
        "not_recorded_pct",
        not_recorded,
        mass_out,
        PERCENT,
        "mass no recorded step recovered or disposed of / outflow mass",
    );
    let recovered: Decimal = used_out.iter().map(|(_, _, fate)| fate.recovered_t).sum();
    let potentials: Option<Decimal> = used_out
        .iter()
        .map(|(outflow, mass, _)| {
            outflow
                .recovery_potential_pct
                .map(|potential| *mass * potential / PERCENT)
        })
        .sum();
    match potentials {
        Some(recoverable) => {
            outflow.ratio(
                "recovery_potential_pct",
                recoverable,
                mass_out,
                PERCENT,
                "recoverable mass (stated in passports) / outflow mass",
            );
            outflow.ratio(
                "actual_recovery_pct",
                recovered,
                recoverable,
                PERCENT,
                "recovered mass / recoverable mass",
            );
        }
        None => {
            for name in ["recovery_potential_pct", "actual_recovery_pct"] {
                outflow.missing(
                    name,
                    "the recovery potential of an output is not stated in a passport you may read",
                );
            }
        }
    }
    let mut outflow = Shares::from(outflow);
    if let Some(reason) = side_gap("outflow") {
        let names: Vec<String> = outflow.values.keys().cloned().collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        outflow.not_computable.clear();
        not_computable(&mut outflow.values, &mut outflow.not_computable, &names, &reason);
    }
    FlowShares { inflow, outflow }
}

// ---------------------------------------------------------------------------------------------
// Company MCI

/// A product's MCI from its passport, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductMci {
    /// Computed from the passport.
    Found {
        /// The MCI, 0–1.
        mci: Decimal,
        /// The passport.
        passport: PassportUse,
        /// Its computation.
        computation: Box<Computation>,
    },
    /// Not computable, and why.
    Unknown(String),
}

/// A product (output lot) as used for the company MCI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductUse {
    /// The flow.
    #[serde(flatten)]
    pub flow: LotFlow,
    /// Its MCI.
    #[serde(serialize_with = "crate::optional_share_text")]
    pub mci: Option<Decimal>,
    /// The passport it comes from.
    pub passport: Option<PassportUse>,
    /// Its computation.
    pub computation: Option<Box<Computation>>,
    /// Whether it entered the company MCI.
    pub used: bool,
}

/// `company-mci` for an organization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganizationCompanyMci {
    /// `company-mci`.
    pub indicator: &'static str,
    /// The methodology and version.
    pub methodology: &'static str,
    /// `organization:<id>`.
    pub scope: String,
    /// The organization.
    pub organization: OrganizationUse,
    /// The period.
    pub period: PeriodUse,
    /// The facilities whose events were read.
    pub facilities: Vec<FacilityUse>,
    /// Whether the MCI could be computed.
    pub computable: bool,
    /// The values (`null` when a product is missing).
    pub result: Map<String, Value>,
    /// The values not computed, and why.
    pub not_computable: Vec<NotComputable>,
    /// The products (output lots), each with its MCI and passport.
    pub products: Vec<ProductUse>,
    /// Events at the facilities withheld from the caller.
    pub withheld: Vec<WithheldEvents>,
    /// Products left out, and why.
    pub missing: Vec<MissingFlow>,
    /// The `company-mci` input built from the products used.
    pub input: Value,
    /// The computation over the products used.
    pub computation: Option<Computation>,
}

/// `company-mci` of the organization: Σ M·MCI / Σ M over its output lots (mass from the events,
/// MCI from each product's passport).
pub fn organization_company_mci(
    organization: OrganizationUse,
    period: PeriodUse,
    plan: &FlowPlan,
    mcis: &HashMap<String, ProductMci>,
) -> OrganizationCompanyMci {
    let mut missing = Vec::new();
    let mut products = Vec::new();
    let mut product_input = Vec::new();
    for flow in &plan.outflows {
        let found = mcis.get(&flow.lot);
        let (mci, passport, computation) = match found {
            Some(ProductMci::Found {
                mci,
                passport,
                computation,
            }) => (Some(*mci), Some(passport.clone()), Some(computation.clone())),
            _ => (None, None, None),
        };
        let used = match (flow.mass_t, mci) {
            (Some(mass_t), Some(mci)) if mass_t > Decimal::ZERO => {
                product_input
                    .push(json!({"name": flow.lot, "M": fraction_text(mass_t), "MCI": share_fraction_text(mci)}));
                true
            }
            (Some(mass_t), Some(_)) if mass_t.is_zero() => false,
            (None, _) => {
                missing.push(MissingFlow {
                    flow: "product",
                    lot: flow.lot.clone(),
                    reason: flow
                        .unknown_mass
                        .clone()
                        .unwrap_or_else(|| "its mass is not known".to_owned()),
                });
                false
            }
            _ => {
                missing.push(MissingFlow {
                    flow: "product",
                    lot: flow.lot.clone(),
                    reason: match found {
                        Some(ProductMci::Unknown(reason)) => format!("MCI not computable: {reason}"),
                        _ => "no passport of the product that you may read".to_owned(),
                    },
                });
                false
            }
        };
        products.push(ProductUse {
            flow: flow.clone(),
            mci,
            passport,
            computation,
            used,
        });
    }
    let input = json!({"products": product_input});
    let computation = if product_input.is_empty() {
        None
    } else {
        crate::compute("company-mci", &input).ok()
    };
    let mut result = computation
        .as_ref()
        .map(|computation| computation.result.clone())
        .unwrap_or_default();
    let mut not_computable_list = Vec::new();
    let all = ["MCI", "M"];
    for gap in &plan.gaps {
        not_computable(&mut result, &mut not_computable_list, &all, gap);
    }
    if !missing.is_empty() {
        not_computable(
            &mut result,
            &mut not_computable_list,
            &all,
            &format!(
                "{} product(s) are missing (see missing): a mass-weighted average over the others would misstate the company",
                missing.len()
            ),
        );
    }
    if product_input.is_empty() {
        not_computable(
            &mut result,
            &mut not_computable_list,
            &all,
            "no output lot with a mass and an MCI in the period",
        );
    }
    add_own_reasons(&mut not_computable_list, computation.as_ref());
    OrganizationCompanyMci {
        indicator: crate::mci::COMPANY_INFO.name,
        methodology: crate::mci::COMPANY_INFO.methodology,
        scope: format!("organization:{}", organization.id),
        organization,
        period,
        facilities: plan.facilities.clone(),
        computable: not_computable_list.is_empty(),
        result,
        not_computable: not_computable_list,
        products,
        withheld: plan.withheld.clone(),
        missing,
        input,
        computation,
    }
}

fn decimal_text<S: serde::Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.normalize().to_string())
}

fn optional_decimal<S: serde::Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.serialize_str(&value.normalize().to_string()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};
    use junkan_model::facility::{FacilityType, Visibility};

    use super::*;

    const HERE: &str = "4512345000011";

    fn facility() -> Facility {
        Facility {
            id: FacilityId::derived("plant"),
            organization_id: OrganizationId::derived("company"),
            name_ja: "工場".to_owned(),
            name_en: "Plant".to_owned(),
            facility_type: FacilityType::Plant,
            gln: Some(HERE.to_owned()),
            ouranos_plant_id: None,
            prefecture_code: None,
            local_government_code: None,
            address: None,
            visibility: Visibility::Restricted,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    /// An event: `kind` is `T` (TransformationEvent) or `O:<step>` (ObjectEvent at a CBV step)
    /// or `J:<step>` (TransformationEvent at a junkan step) or `A:<action>` (AggregationEvent at
    /// packing); identifiers are `<role> <lot>[ <quantity>[ <uom>]]` with roles in, out, iq, oq,
    /// epc, q, parent, child, cq; `!` withholds it.
    fn event(id: &str, day: i64, kind: &str, identifiers: &[&str]) -> LineageEvent {
        let readable = !id.starts_with('!');
        let action = kind.strip_prefix("A:").map(str::to_owned);
        let (event_type, biz_step) = match kind.split_once(':') {
            Some(("A", _)) => ("AggregationEvent", "https://ref.gs1.org/cbv/BizStep-packing".to_owned()),
            Some(("O", step)) => ("ObjectEvent", format!("https://ref.gs1.org/cbv/BizStep-{step}")),
            Some(("J", step)) => ("TransformationEvent", format!("urn:junkan:cbv:BizStep-{step}")),
            _ => (
                "TransformationEvent",
                "https://ref.gs1.org/cbv/BizStep-commissioning".to_owned(),
            ),
        };
        LineageEvent {
            event_id: id.trim_start_matches('!').to_owned(),
            event_type: event_type.to_owned(),
            event_time: OffsetDateTime::UNIX_EPOCH + Duration::days(day),
            biz_step: Some(biz_step),
            action,
            owner: OrganizationId::derived(if readable { "company" } else { "other" }),
            owner_name: if readable { "自社" } else { "他社" }.to_owned(),
            readable,
            identifiers: identifiers
                .iter()
                .map(|text| {
                    let mut parts = text.split(' ');
                    let role = match parts.next().expect("role") {
                        "in" => IdentifierRole::Input,
                        "out" => IdentifierRole::Output,
                        "iq" => IdentifierRole::InputQuantity,
                        "oq" => IdentifierRole::OutputQuantity,
                        "epc" => IdentifierRole::Epc,
                        "parent" => IdentifierRole::Parent,
                        "child" => IdentifierRole::Child,
                        "cq" => IdentifierRole::ChildQuantity,
                        _ => IdentifierRole::Quantity,
                    };
                    let value = parts.next().expect("lot").to_owned();
                    let quantity = parts.next().map(str::to_owned);
                    let uom = parts.next().map(str::to_owned);
                    EventIdentifier {
                        role,
                        value,
                        quantity,
                        uom,
                    }
                })
                .collect(),
        }
    }

    fn mass(value: Option<Decimal>) -> String {
        value.map_or("?".to_owned(), |mass| mass.normalize().to_string())
    }

    /// The plan as lines: inflows, outflows, internal lots, gaps.
    fn check_plan(events: &[LineageEvent], expect: Expect) {
        let plan = plan_flows(&[facility()], events);
        let mut lines = Vec::new();
        for (side, flows) in [("in", &plan.inflows), ("out", &plan.outflows)] {
            for flow in flows {
                lines.push(format!(
                    "{side} {} {} t{}",
                    flow.lot,
                    mass(flow.mass_t),
                    flow.unknown_mass
                        .as_deref()
                        .map(|why| format!(" ({why})"))
                        .unwrap_or_default()
                ));
            }
        }
        for lot in &plan.internal {
            lines.push(format!("internal {} {} t", lot.lot, mass(lot.mass_t)));
        }
        for gap in &plan.gaps {
            lines.push(format!("gap: {gap}"));
        }
        expect.assert_eq(&lines.join("\n"));
    }

    #[test]
    fn flows_are_counted_once_at_the_boundary() {
        // Received and consumed: one inflow; made and used again: internal; the rest leaves.
        check_plan(
            &[
                event("r", 1, "O:receiving", &["q flakes 1000 KGM"]),
                event(
                    "t1",
                    2,
                    "T",
                    &["iq flakes 1000 KGM", "iq virgin 1 TNE", "oq blend 2000 KGM"],
                ),
                event("t2", 3, "T", &["iq blend 1500 KGM", "oq pellets 1400 KGM"]),
                event("s", 4, "O:shipping", &["q blend 500 KGM"]),
            ],
            expect![[r#"
                in flakes 1 t
                in virgin 1 t
                out blend 0.5 t
                out pellets 1.4 t
                internal blend 1.5 t"#]],
        );
        // A trader's lot received and shipped unchanged flows both ways; receipts larger than
        // the consumption count in full.
        check_plan(
            &[
                event("r", 1, "O:receiving", &["q goods 50 KGM", "q resin 80 KGM"]),
                event("t", 2, "T", &["iq resin 60 KGM", "oq parts 55 KGM"]),
                event("s", 3, "O:shipping", &["q goods 50 KGM"]),
                event("i", 4, "O:inspecting", &["q parts 55 KGM"]),
            ],
            expect![[r#"
                in goods 0.05 t
                in resin 0.08 t
                out goods 0.05 t
                out parts 0.055 t"#]],
        );
    }

    #[test]
    fn packing_and_assembly_consume_the_children_and_put_out_the_parent() {
        // Cells packed into a pack (children as items and as a class quantity), the pack
        // assembled into a vehicle that is shipped: the pack is internal, the vehicle one
        // outflow; unpacking (DELETE) and an OBSERVE are no flows.
        check_plan(
            &[
                event(
                    "pack",
                    1,
                    "A:ADD",
                    &["parent pack-1", "child cell-1", "cq cells 80 KGM"],
                ),
                event("vehicle", 2, "A:ADD", &["parent car-1", "child pack-1"]),
                event("ship", 3, "O:shipping", &["epc car-1"]),
                event("look", 4, "A:OBSERVE", &["parent crate-1", "child part-9"]),
                event("unpack", 5, "A:DELETE", &["parent old-car", "child old-pack"]),
            ],
            expect![[r#"
                in cell-1 ? t (an item (EPC) without a quantity: the events do not state its mass)
                in cells 0.08 t
                out car-1 ? t (an item (EPC) without a quantity: the events do not state its mass)
                internal pack-1 ? t"#]],
        );
    }

    #[test]
    fn unknown_masses_and_withheld_events_are_named() {
        check_plan(
            &[
                event(
                    "t",
                    1,
                    "T",
                    &[
                        "in urn:epc:id:sgtin:4512345.012345.1",
                        "iq oil 10 LTR",
                        "oq mass 1 t",
                        "oq count 5",
                    ],
                ),
                event("!w", 2, "T", &["iq secret 1 t"]),
                event("c", 3, "O:commissioning", &["epc urn:epc:id:sgtin:4512345.012345.2"]),
            ],
            expect![[r#"
                in urn:epc:id:sgtin:4512345.012345.1 ? t (an item (EPC) without a quantity: the events do not state its mass)
                in oil ? t (quantity 10 LTR: mixed units without a conversion (LTR is not a unit of mass, and only masses add up to flows))
                out mass 1 t
                out count ? t (quantity 5 has no unit (a count of items), which has no conversion to tonnes)
                out urn:epc:id:sgtin:4512345.012345.2 ? t (an item (EPC) without a quantity: the events do not state its mass)
                gap: 1 event(s) at the organization's facilities in the period are withheld from you (recorded by 他社); they may hold flows of either side"#]],
        );
        let mut without_gln = facility();
        without_gln.gln = None;
        let plan = plan_flows(&[without_gln], &[]);
        assert!(plan.gaps[0].contains("has no GLN"), "{:?}", plan.gaps);
        assert!(plan_flows(&[], &[]).gaps[0].contains("no facility of the organization that you may read"));
    }

    /// The fate of each outflow as `lot: routes; recovered; not recorded; unknown`.
    fn check_fates(own: &[LineageEvent], downstream: &[LineageEvent], expect: Expect) {
        let plan = plan_flows(&[facility()], own);
        let fates = fates(&plan, downstream);
        let lines: Vec<String> = plan
            .outflows
            .iter()
            .map(|flow| {
                let fate = &fates[&flow.lot];
                let routes: Vec<String> = fate
                    .routes
                    .iter()
                    .map(|(route, mass)| format!("{route:?} {mass}"))
                    .collect();
                format!(
                    "{}: [{}]; recovered {}; not recorded {}; {}",
                    flow.lot,
                    routes.join(", "),
                    fate.recovered_t,
                    fate.not_recorded_t,
                    fate.unknown.as_deref().unwrap_or("known")
                )
            })
            .collect();
        expect.assert_eq(&lines.join("\n"));
    }

    #[test]
    fn what_later_events_did_with_the_outflow() {
        let own = [event(
            "t",
            10,
            "T",
            &[
                "iq in 10 t",
                "oq a 1000 KGM",
                "oq b 1 t",
                "oq c 1 t",
                "oq d 1 t",
                "oq e 1 t",
            ],
        )];
        check_fates(
            &own,
            &[
                // a: collected, then recycled: one recovery, not two (the recycling event names
                // the lot twice, as input and as a by-product, and is counted once).
                event("a1", 11, "O:collecting", &["q a 1 t"]),
                event(
                    "a2",
                    12,
                    "J:material_recycling",
                    &["iq a 600 KGM", "oq a2 500 KGM", "oq a 1 KGM"],
                ),
                // b: collected, then burnt: energy recovery only.
                event("b1", 11, "O:collecting", &["q b 1 t"]),
                event("b2", 12, "J:energy_recovery", &["iq b 1 t", "oq heat 0 t"]),
                // c: recorded twice over: capped at the outflow; an event before it left and
                // one that only made it again say nothing.
                event("c0", 9, "J:material_recycling", &["iq c 1 t", "oq x 1 t"]),
                event("c1", 11, "J:reusing", &["iq c 3 t", "oq c2 3 t"]),
                event("c2", 12, "T", &["oq c 1 t"]),
                // d: half recycled, and an event withheld from the reader touches it.
                event("d1", 11, "J:chemical_recycling", &["iq d 0.5 t", "oq d2 0.4 t"]),
                event("!d2", 12, "T", &["iq d 0.5 t"]),
                // e: wholly recycled; a withheld event does not matter then.
                event("e1", 11, "J:material_recycling", &["iq e 1 t", "oq e2 1 t"]),
                event("!e2", 12, "T", &["iq e 1 t"]),
            ],
            expect![[r#"
                a: [Recycling 0.6, Collection 0.4]; recovered 1; not recorded 0; known
                b: [EnergyRecovery 1]; recovered 0; not recorded 0; known
                c: [Reuse 1]; recovered 1; not recorded 0; known
                d: [Recycling 0.5]; recovered 0.5; not recorded 0.5; 0.5 t of it are not accounted for by the events you may read, and 1 later event(s) touching it are withheld from you (他社)
                e: [Recycling 1]; recovered 1; not recorded 0; known"#]],
        );
    }

    #[test]
    fn items_weigh_what_their_passports_state() {
        // A pack maker packs two cells into a pack and ships it; the pack is later shredded.
        let (cell_1, cell_2, cell_3) = (
            "urn:epc:id:sgtin:4512345.012345.1",
            "urn:epc:id:sgtin:4512345.012345.2",
            "urn:epc:id:sgtin:4512345.012345.3",
        );
        let pack = "urn:epc:id:sgtin:4512345.054321.9";
        let own = [
            event(
                "p",
                10,
                "A:ADD",
                &[
                    &format!("parent {pack}"),
                    &format!("child {cell_1}"),
                    &format!("child {cell_2}"),
                ],
            ),
            event("r", 9, "O:receiving", &[&format!("epc {cell_3}")]),
        ];
        let mut plan = plan_flows(&[facility()], &own);
        assert_eq!(unweighed_items(&plan), vec![cell_1, cell_2, cell_3, pack]);
        let stated = |mass: &str, basis| ItemMass {
            mass_t: mass.parse().expect("decimal"),
            passport: PassportUse::of(&passport(pack, json!({}))),
            pointer: "/batteryMass".to_owned(),
            basis,
        };
        let masses = HashMap::from([
            (pack.to_owned(), stated("0.45", MassBasis::Item)),
            (cell_1.to_owned(), stated("0.0009", MassBasis::Link)),
            (cell_2.to_owned(), stated("0.0009", MassBasis::Model)),
        ]);
        weigh_items(&mut plan, &masses);
        let lines: Vec<String> = plan
            .inflows
            .iter()
            .chain(&plan.outflows)
            .map(|flow| {
                format!(
                    "{} {} {:?}",
                    flow.lot,
                    mass(flow.mass_t),
                    flow.mass_from.as_ref().map(|found| found.basis)
                )
            })
            .collect();
        expect![[r#"
            urn:epc:id:sgtin:4512345.012345.1 0.0009 Some(Link)
            urn:epc:id:sgtin:4512345.012345.2 0.0009 Some(Model)
            urn:epc:id:sgtin:4512345.012345.3 ? None
            urn:epc:id:sgtin:4512345.054321.9 0.45 Some(Item)"#]]
        .assert_eq(&lines.join("\n"));
        assert!(
            plan.inflows[2].unknown_mass.is_some(),
            "an item without a stated mass stays unknown"
        );
        // Its fate: shredded whole, then recorded again: capped at its mass.
        let fates = fates(
            &plan,
            &[
                event(
                    "s1",
                    11,
                    "J:material_recycling",
                    &[&format!("in {pack}"), "oq bm 0.3 t"],
                ),
                event("s2", 12, "O:collecting", &[&format!("epc {pack}")]),
            ],
        );
        let fate = &fates[pack];
        assert_eq!(
            fate.recovered_t,
            "0.45".parse::<Decimal>().expect("decimal"),
            "{fate:?}"
        );
        assert_eq!(fate.not_recorded_t, Decimal::ZERO);
        assert!(
            fate.notes.iter().all(|note| !note.contains("mass is not known")),
            "{:?}",
            fate.notes
        );
    }

    fn passport(lot: &str, data: Value) -> Passport {
        Passport {
            id: PassportId::derived(lot),
            identifier: lot.to_owned(),
            granularity: junkan_model::passport::Granularity::Batch,
            owner_organization_id: OrganizationId::derived("supplier"),
            profile: "plastics".to_owned(),
            profile_version: "1.2.0".to_owned(),
            status: junkan_model::passport::LifecycleStatus::Original,
            visibility: Visibility::Public,
            version: 1,
            latest_version: 1,
            data,
            links: Vec::new(),
            withheld: Vec::new(),
            access_level: junkan_model::access::AccessLevel::Public,
            note: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            version_created_at: OffsetDateTime::UNIX_EPOCH,
            version_created_by: "tester".to_owned(),
        }
    }

    fn ledger_of(material: &str, facility_id: FacilityId) -> LedgerRecord {
        LedgerRecord {
            id: LedgerId::derived(material),
            owner_organization_id: OrganizationId::derived("company"),
            facility_id,
            material: material.to_owned(),
            model: crate::ledger::CustodyModel::MassBalanceCredit,
            period_from: "2026-04-01".to_owned(),
            period_to: "2027-03-31".to_owned(),
            conversion_factor: Decimal::ONE,
            unit_conversions: BTreeMap::new(),
            visibility: Visibility::Restricted,
            note: None,
            carry_over: None,
            rolling_window: None,
            closed_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: "tester".to_owned(),
        }
    }

    fn claim(ledger: &LedgerRecord, lot: &str, share: i64) -> LedgerClaim {
        LedgerClaim {
            id: LedgerClaimId::derived(&format!("{lot} {}", ledger.material)),
            ledger_id: ledger.id,
            output_lot: lot.to_owned(),
            revision: 1,
            mass: Decimal::ONE,
            unit: "t".to_owned(),
            mass_t: Decimal::ONE,
            material_fraction: Decimal::ONE,
            material_t: Decimal::ONE,
            recycled_share_pct: Decimal::from(share),
            credits_t: Decimal::ZERO,
            pre_consumer_t: Decimal::ZERO,
            post_consumer_t: Decimal::ZERO,
            unspecified_t: Decimal::ZERO,
            backing: Vec::new(),
            claimed_on: "2026-05-01".to_owned(),
            event_id: None,
            reversal: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: "tester".to_owned(),
        }
    }

    fn entry(ledger: &LedgerRecord, lot: &str, share: i64) -> LedgerInput {
        LedgerInput {
            id: LedgerInputId::derived(lot),
            ledger_id: ledger.id,
            lot: lot.to_owned(),
            mass: Decimal::ONE,
            unit: "t".to_owned(),
            mass_t: Decimal::ONE,
            material_fraction: Decimal::ONE,
            fraction_source: crate::custody::FractionSource::WholeLot,
            material_t: Decimal::ONE,
            share: Share {
                recycled_share_pct: Decimal::from(share),
                pre_consumer_pct: None,
                post_consumer_pct: None,
            },
            credits_t: Decimal::ZERO,
            received_on: "2026-05-01".to_owned(),
            share_source: ShareSource::Declared,
            event_ids: Vec::new(),
            evidence: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            created_by: "tester".to_owned(),
        }
    }

    #[test]
    fn inflow_shares_come_from_passports_then_claims_then_own_ledgers() {
        let here = FacilityId::derived("plant");
        let elsewhere = FacilityId::derived("elsewhere");
        let (cobalt, nickel, other) = (
            ledger_of("cobalt", elsewhere),
            ledger_of("nickel", elsewhere),
            ledger_of("pp", here),
        );
        let lots: Vec<String> = [
            "passport",
            "claimed",
            "conflict",
            "entered",
            "elsewhere",
            "battery",
            "none",
        ]
        .map(str::to_owned)
        .to_vec();
        let passports = [
            passport(
                "passport",
                json!({"recycledContent": {"preConsumer": 10, "postConsumer": 20, "total": 30}, "renewableContent": 5}),
            ),
            passport("battery", json!({"Circularity": {"recycledContent": []}})),
        ];
        let claims = [
            (cobalt.clone(), claim(&cobalt, "claimed", 40)),
            (cobalt.clone(), claim(&cobalt, "conflict", 100)),
            (nickel.clone(), claim(&nickel, "conflict", 0)),
            (cobalt.clone(), claim(&cobalt, "passport", 99)),
        ];
        let inputs = [
            (other.clone(), entry(&other, "entered", 70)),
            (cobalt.clone(), entry(&cobalt, "elsewhere", 70)),
        ];
        let shares = inflow_shares(&lots, &HashMap::new(), &[here], &passports, &claims, &inputs);
        let described: Vec<String> = lots
            .iter()
            .map(|lot| match &shares[lot] {
                InflowShare::Found {
                    share,
                    renewable_pct,
                    source,
                } => format!(
                    "{lot}: {} % (renewable {:?}) from {}",
                    share.recycled_share_pct,
                    renewable_pct.map(|share| share.to_string()),
                    serde_json::to_value(source).expect("json")["kind"]
                ),
                InflowShare::Unknown(reason) => format!("{lot}: unknown: {reason}"),
            })
            .collect();
        expect![[r#"
            passport: 30 % (renewable Some("5")) from "passport"
            claimed: 40 % (renewable None) from "claim"
            conflict: unknown: claims: its ledger entries count more than the whole lot (mass fractions summing to 2: cobalt 100 % at /api/v1/ledgers/ad6e951d-dc8e-5beb-b50e-095b02e327f5/claims/fae4756c-76d0-501d-a15f-6e8e3fb8e566/trace × 1; nickel 0 % at /api/v1/ledgers/4a735965-7cfb-5b6d-814a-6fabcd6712b3/claims/c75db387-f1ea-576c-aad4-6cdd96fa2a7d/trace × 1), so the share of the lot is not known
            entered: 70 % (renewable None) from "ledger_input"
            elsewhere: unknown: no passport, ledger claim or ledger input that you may read states its recycled share
            battery: unknown: its passport /api/v1/passports/caf1bf80-2d4f-58d0-8ba6-4ea6049f5f27: the battery passport's /Circularity/recycledContent names no metal
            none: unknown: no passport, ledger claim or ledger input that you may read states its recycled share"#]]
        .assert_eq(&described.join("\n"));
    }

    /// An item whose own passport states no recycled share takes its product model's statement
    /// (the class of its identifier), and the source says which passport stated it: `item-a`
    /// has no passport of its own, `item-b` one that states nothing of its recycled content,
    /// `item-c` its own 40 % (its model's 12 % is not read), `item-d` a model without passport,
    /// `item-e` a live claim of 50 % made for it (more specific than its model's statement).
    #[test]
    fn an_item_without_a_stated_share_takes_its_models() {
        let lots: Vec<String> = ["item-a", "item-b", "item-c", "item-d", "item-e"]
            .map(str::to_owned)
            .to_vec();
        let model_of: HashMap<String, String> = [
            ("item-a", "model"),
            ("item-b", "model"),
            ("item-c", "model"),
            ("item-d", "other model"),
            ("item-e", "model"),
        ]
        .into_iter()
        .map(|(item, model)| (item.to_owned(), model.to_owned()))
        .collect();
        let passports = [
            passport(
                "model",
                json!({"recycledContent": {"preConsumer": 4, "postConsumer": 8, "total": 12}, "renewableContent": 1}),
            ),
            passport("item-b", json!({"colour": "grey"})),
            passport("item-c", json!({"recycledContent": 40})),
        ];
        let ledger = ledger_of("pp", FacilityId::derived("supplier's plant"));
        let claims = [(ledger.clone(), claim(&ledger, "item-e", 50))];
        let shares = inflow_shares(&lots, &model_of, &[], &passports, &claims, &[]);
        let described: Vec<String> = lots
            .iter()
            .map(|lot| match &shares[lot] {
                InflowShare::Found {
                    share,
                    renewable_pct,
                    source,
                } => {
                    let source = serde_json::to_value(source).expect("json");
                    format!(
                        "{lot}: {} % (pre {:?}, renewable {:?}) from the {} passport {}",
                        share.recycled_share_pct,
                        share.pre_consumer_pct.map(|share| share.to_string()),
                        renewable_pct.map(|share| share.to_string()),
                        source["basis"]
                            .as_str()
                            .unwrap_or(source["kind"].as_str().unwrap_or_default()),
                        source["passport_id"] == json!(PassportId::derived("model"))
                    )
                }
                InflowShare::Unknown(reason) => format!("{lot}: unknown: {reason}"),
            })
            .collect();
        expect![[r#"
            item-a: 12 % (pre Some("4"), renewable Some("1")) from the model passport true
            item-b: 12 % (pre Some("4"), renewable Some("1")) from the model passport true
            item-c: 40 % (pre None, renewable None) from the item passport false
            item-d: unknown: no passport, ledger claim or ledger input that you may read states its recycled share
            item-e: 50 % (pre Some("0"), renewable Some("1")) from the claim passport false"#]]
        .assert_eq(&described.join("\n"));
    }

    /// A ledger entry counts only its material's part of the lot (lot mass × material_fraction),
    /// so it credits the lot its share × that part, not its share of the whole lot.
    ///
    /// Hand computation, per 1 t of lot:
    /// - `cobalt-only`: one cobalt claim of 50 % (post-consumer) on a fraction of 0.2 →
    ///   0.2 t × 50 % = 0.1 t recycled, 10 % of the lot (the old rule credited 50 %, 0.5 t).
    /// - `two-metals`: cobalt input 50 % × 0.2 and nickel input 20 % × 0.5 → 0.1 + 0.1 = 0.2 t,
    ///   20 %; pre-consumer 0.2 × 10 + 0.5 × 20 = 12 %, post-consumer 0.2 × 40 + 0.5 × 0 = 8 %.
    /// - `disagree`: two cobalt inputs in two facilities' ledgers, 50 % and 60 % → unknown.
    #[test]
    fn entry_shares_count_only_the_part_of_the_lot_they_account_for() {
        let here = FacilityId::derived("plant");
        let there = FacilityId::derived("second plant");
        let (cobalt, nickel, cobalt_there) = (
            ledger_of("cobalt", here),
            ledger_of("nickel", here),
            ledger_of("cobalt", there),
        );
        let fraction = |entry: LedgerClaim, value: &str| LedgerClaim {
            material_fraction: value.parse().expect("decimal"),
            material_t: value.parse().expect("decimal"),
            credits_t: "0.1".parse().expect("decimal"),
            post_consumer_t: "0.1".parse().expect("decimal"),
            ..entry
        };
        let input = |entry: LedgerInput, value: &str, pre: i64, post: i64| LedgerInput {
            material_fraction: value.parse().expect("decimal"),
            material_t: value.parse().expect("decimal"),
            share: Share {
                recycled_share_pct: Decimal::from(pre + post),
                pre_consumer_pct: Some(Decimal::from(pre)),
                post_consumer_pct: Some(Decimal::from(post)),
            },
            ..entry
        };
        let lots: Vec<String> = ["cobalt-only", "two-metals", "disagree"].map(str::to_owned).to_vec();
        let claims = [(cobalt.clone(), fraction(claim(&cobalt, "cobalt-only", 50), "0.2"))];
        let inputs = [
            (cobalt.clone(), input(entry(&cobalt, "two-metals", 0), "0.2", 10, 40)),
            (nickel.clone(), input(entry(&nickel, "two-metals", 0), "0.5", 20, 0)),
            (cobalt.clone(), input(entry(&cobalt, "disagree", 0), "0.2", 0, 50)),
            (
                cobalt_there.clone(),
                input(entry(&cobalt_there, "disagree", 0), "0.2", 0, 60),
            ),
        ];
        let shares = inflow_shares(&lots, &HashMap::new(), &[here, there], &[], &claims, &inputs);
        let described: Vec<String> = lots
            .iter()
            .map(|lot| match &shares[lot] {
                InflowShare::Found { share, source, .. } => format!(
                    "{lot}: {} % (pre {:?}, post {:?}) from {}",
                    share.recycled_share_pct,
                    share.pre_consumer_pct.map(|value| value.to_string()),
                    share.post_consumer_pct.map(|value| value.to_string()),
                    serde_json::to_value(source).expect("json")["kind"]
                ),
                InflowShare::Unknown(reason) => format!("{lot}: unknown: {reason}"),
            })
            .collect();
        expect![[r#"
            cobalt-only: 10 % (pre Some("0"), post Some("10")) from "claim"
            two-metals: 20 % (pre Some("12"), post Some("8")) from "materials"
            disagree: unknown: ledger inputs: its ledger entries state different shares of cobalt (cobalt 50 % in /api/v1/ledgers/ad6e951d-dc8e-5beb-b50e-095b02e327f5; cobalt 60 % in /api/v1/ledgers/ad6e951d-dc8e-5beb-b50e-095b02e327f5), so the share of the lot is not known"#]]
        .assert_eq(&described.join("\n"));
    }
}
