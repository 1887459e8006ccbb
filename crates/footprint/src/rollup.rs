//! The multi-tier roll-up (積み上げ算定): the CFP of a part is its own emissions plus, for each
//! component in its parts structure (部品構成), the required amount times the supplier's CFP per
//! unit, through any number of tiers and companies.
//!
//! The parts form a directed graph keyed by part id; a part may be used by several parents (its
//! value is computed once); cycles are found and reported, never followed. All arithmetic is on
//! exact decimals; the only divisions are a footprint's values by its declared unit amount (exact
//! whenever the amount is 1, as in Ouranos, or divides them) and the final weighted means.
//!
//! Unlike the Ouranos reference implementation's dummy store, which adds the suppliers' per-unit
//! values, each component's contribution is multiplied by its required amount.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

use junkan_model::validation::{Violation, Violations};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::{DeclaredUnit, Footprint};

/// What the roll-up needs of a footprint: its unit and its values per declared unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartFootprint {
    /// Unit of measurement of the declared unit.
    pub unit: DeclaredUnit,
    /// Units in the declared unit (> 0).
    pub declared_unit_amount: Decimal,
    /// The four Ouranos rows, when the footprint has them.
    pub stages: Option<crate::model::StageBreakdown>,
    /// The PCF excluding biogenic uptake (used as an unstaged total when there are no rows).
    pub total: Decimal,
    /// Ratings of the whole footprint (TeR, GeR, TiR), used where a stage has none.
    pub ratings: [Option<Decimal>; 3],
    /// 一次データ比率 / primary data share, percent.
    pub primary_data_share: Option<Decimal>,
}

impl From<&Footprint> for PartFootprint {
    fn from(footprint: &Footprint) -> Self {
        let pcf = &footprint.pcf;
        PartFootprint {
            unit: pcf.declared_unit,
            declared_unit_amount: pcf.declared_unit_amount,
            stages: pcf.stages.clone(),
            total: pcf.pcf_excluding_biogenic_uptake,
            ratings: match &pcf.dqi {
                Some(dqi) => [Some(dqi.technological), Some(dqi.geographical), Some(dqi.temporal)],
                None => [None; 3],
            },
            primary_data_share: pcf.primary_data_share,
        }
    }
}

/// One line of a parts structure: `amount` of `unit` of the component `part` per one unit of
/// the parent (Ouranos `amountRequired`, `amountRequiredUnit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The component's part id (its own company's part, or a supplier's part linked by a trade).
    pub part: String,
    /// 活動量 / required amount per unit of the parent, >= 0.
    pub amount: Decimal,
    /// Unit of the amount; must be the component footprint's declared unit.
    pub unit: DeclaredUnit,
}

/// A part (部品): who makes it, its footprint if known, and its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Part id (e.g. an Ouranos trace id).
    pub id: String,
    /// The organization that makes it (for reports of what is missing).
    pub organization: String,
    /// The maker's own footprint of the part: its own emissions and the component emissions it
    /// declares itself. Components listed in `components` are added on top, so a footprint should
    /// declare only components that are not linked here.
    pub footprint: Option<PartFootprint>,
    /// The parts structure below this part.
    pub components: Vec<Component>,
}

/// A checked set of parts, indexed by id.
#[derive(Debug, Clone)]
pub struct SupplyGraph {
    parts: Vec<Part>,
    /// Hashed with foldhash: the graph of a roll-up through the store is indexed anew after
    /// every read, and SipHash took a tenth of that.
    index: foldhash::HashMap<String, usize>,
    /// For each part, the index of each component line's part (`None`: not in the graph).
    resolved: Vec<Vec<Option<usize>>>,
    /// Parts a peer node answered for (or withheld), by index ([`SupplyGraph::supply_remotely`]).
    remote: HashMap<usize, RemotePart>,
}

impl SupplyGraph {
    /// Indexes `parts`; reports duplicate ids, blank ids and negative amounts (pointers
    /// `/{part index}/components/{component index}/amount`).
    pub fn new(parts: Vec<Part>) -> Result<SupplyGraph, Vec<Violation>> {
        let mut violations = Violations::new();
        let mut index = foldhash::HashMap::with_capacity_and_hasher(parts.len(), Default::default());
        for (position, part) in parts.iter().enumerate() {
            if part.id.trim().is_empty() {
                violations.push(format!("/{position}/id"), "must not be blank");
            }
            if index.insert(part.id.clone(), position).is_some() {
                violations.push(format!("/{position}/id"), format!("part {:?} is listed twice", part.id));
            }
            if let Some(footprint) = &part.footprint {
                if footprint.declared_unit_amount <= Decimal::ZERO {
                    violations.push(
                        format!("/{position}/footprint/declaredUnitAmount"),
                        "must be more than zero",
                    );
                }
            }
            for (line, component) in part.components.iter().enumerate() {
                if component.amount < Decimal::ZERO {
                    violations.push(format!("/{position}/components/{line}/amount"), "must be zero or more");
                }
            }
        }
        violations.into_result()?;
        let resolved = parts
            .iter()
            .map(|part| {
                part.components
                    .iter()
                    .map(|component| index.get(&component.part).copied())
                    .collect()
            })
            .collect();
        Ok(SupplyGraph {
            parts,
            index,
            resolved,
            remote: HashMap::new(),
        })
    }

    /// Records what a peer node answered for part `remote.part` (a part bought from an
    /// organization of another node, ノード間の調達): its supplier's rolled-up value per unit, which
    /// then stands for the part and everything below it, or why it was withheld, which makes the
    /// part a missing one naming the peer. Returns `false` when the graph has no such part.
    pub fn supply_remotely(&mut self, remote: RemotePart) -> bool {
        match self.index.get(&remote.part) {
            Some(&position) => {
                self.remote.insert(position, remote);
                true
            }
            None => false,
        }
    }

    /// The parts.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The part with this id.
    pub fn part(&self, id: &str) -> Option<&Part> {
        self.index.get(id).map(|&position| &self.parts[position])
    }
}

/// Why a roll-up was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RollupProblem {
    /// The root part is not in the graph.
    UnknownRoot {
        /// The id asked for.
        part: String,
    },
    /// The parts structure loops: each part in `path` uses the next, and the last uses the first.
    Cycle {
        /// The parts of the loop.
        path: Vec<String>,
    },
    /// A component's amount is in another unit than the component's footprint.
    UnitMismatch {
        /// The using part.
        parent: String,
        /// The component.
        component: String,
        /// Unit of the required amount.
        amount_unit: DeclaredUnit,
        /// Declared unit of the component's footprint.
        footprint_unit: DeclaredUnit,
    },
}

impl fmt::Display for RollupProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RollupProblem::UnknownRoot { part } => write!(formatter, "part {part:?} is not known"),
            RollupProblem::Cycle { path } => write!(
                formatter,
                "the parts structure loops: {} -> {}",
                path.join(" -> "),
                path[0]
            ),
            RollupProblem::UnitMismatch {
                parent,
                component,
                amount_unit,
                footprint_unit,
            } => write!(
                formatter,
                "{parent:?} requires {component:?} in {amount_unit}, but its footprint is per {footprint_unit}"
            ),
        }
    }
}

/// Why a part counts as missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingReason {
    /// The part is known but has no footprint (e.g. the supplier has not answered yet, 未回答).
    NoFootprint,
    /// A parts structure names a part the graph does not hold.
    UnknownPart,
    /// 非開示 / the part is bought from an organization of a peer node, which did not answer
    /// for it: no grant there, the grant was revoked or expired, or the node is down.
    Withheld,
}

/// A part without a footprint, where it sits and who uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingPart {
    /// The part id.
    pub part: String,
    /// Its maker, when the part is known.
    pub organization: Option<String>,
    /// 階層 / the shallowest tier it appears at (the root is tier 0, its components tier 1).
    pub tier: u32,
    /// The parts that use it.
    pub used_by: Vec<String>,
    /// Why it is missing.
    pub reason: MissingReason,
    /// The peer node (DID) that withheld it (reason `withheld`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// What the peer node answered (reason `withheld`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a peer node answered for a part bought from one of its organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOutcome {
    /// The supplier's rolled-up value of its part, per unit.
    Answered(Box<RolledValue>),
    /// Nothing: why (the peer's refusal, or that it did not answer).
    Withheld {
        /// The reason, as the peer gave it or as the request failed.
        detail: String,
    },
}

/// A part of the graph bought from an organization of a peer node, and the peer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePart {
    /// The buyer's part (the component in its parts structure).
    pub part: String,
    /// The peer node's DID.
    pub peer: String,
    /// The supplier organization's DID on the peer.
    pub supplier: String,
    /// The supplier's part on the peer (its trace id).
    pub supplier_part: String,
    /// The answer.
    pub outcome: RemoteOutcome,
}

/// A part a peer node answered for, as the roll-up reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteSupplyReport {
    /// The buyer's part.
    pub part: String,
    /// 階層 / the shallowest tier it appears at.
    pub tier: u32,
    /// The peer node's DID.
    pub peer: String,
    /// The supplier organization's DID on the peer.
    pub supplier: String,
    /// The supplier's part on the peer.
    pub supplier_part: String,
    /// The supplier's rolled-up CFP per unit of the part (kgCO2e).
    #[serde(with = "crate::decimal::text")]
    pub total: Decimal,
}

/// A rolled-up value per unit of a part, exactly as the roll-up keeps it while it adds tiers:
/// what one node answers another for a part (`/federation/v1/ouranos/cfp-rollup`), so that the
/// buyer's roll-up over both nodes equals the one over a single node (no rounded means cross).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledValue {
    /// The unit of the part's footprint (the amounts of the buyer's structure must be in it).
    pub unit: DeclaredUnit,
    /// The split by stage, per unit.
    pub stages: StageTotals,
    /// Per rating (TeR, GeR, TiR): the sum of emissions × rating over the contributions rated.
    pub rating_sums: [Decimal; 3],
    /// Per rating: the emissions of the contributions rated.
    pub rating_weights: [Decimal; 3],
    /// Emissions from primary data (一次データ).
    pub primary: Decimal,
    /// Emissions of footprints that declare no primary data share.
    pub unknown_primary: Decimal,
    /// Emissions per tier below the part (0 = the part's own).
    pub tiers: Vec<Decimal>,
}

const RATING_NAMES: [&str; 3] = ["technological", "geographical", "temporal"];

impl RolledValue {
    /// The total per unit.
    pub fn total(&self) -> Decimal {
        self.stages.total()
    }

    /// The JSON form: decimals as strings, the unit as its PACT text.
    pub fn to_json(&self) -> serde_json::Value {
        let text = |value: Decimal| serde_json::Value::String(value.normalize().to_string());
        let ratings = |values: &[Decimal; 3]| {
            serde_json::Value::Object(
                RATING_NAMES
                    .iter()
                    .zip(values)
                    .map(|(name, value)| ((*name).to_owned(), text(*value)))
                    .collect(),
            )
        };
        serde_json::json!({
            "unit": self.unit.pact_name(),
            "stages": {
                "pre_production_own": text(self.stages.pre_production_own),
                "pre_production_components": text(self.stages.pre_production_components),
                "main_production_own": text(self.stages.main_production_own),
                "main_production_components": text(self.stages.main_production_components),
                "unstaged": text(self.stages.unstaged),
            },
            "rating_sums": ratings(&self.rating_sums),
            "rating_weights": ratings(&self.rating_weights),
            "primary": text(self.primary),
            "unknown_primary": text(self.unknown_primary),
            "tiers": self.tiers.iter().map(|value| text(*value)).collect::<Vec<_>>(),
        })
    }

    /// Reads the JSON form, reporting every violation with its path. Emissions, weights and
    /// rating sums must be zero or more (a peer's answer is input like any other).
    pub fn from_json(value: &serde_json::Value) -> Result<RolledValue, Vec<Violation>> {
        let mut violations = Violations::new();
        let mut decimal = |path: &str| -> Decimal {
            let pointer = path.replace('.', "/");
            match value
                .pointer(&format!("/{pointer}"))
                .and_then(serde_json::Value::as_str)
            {
                Some(text) => match crate::decimal::parse_signed(text, crate::decimal::Sign::PositiveOrZero) {
                    Ok(parsed) => parsed,
                    Err(message) => {
                        violations.push(format!("/{pointer}"), message);
                        Decimal::ZERO
                    }
                },
                None => {
                    violations.push(format!("/{pointer}"), "must be a decimal string");
                    Decimal::ZERO
                }
            }
        };
        let stages = StageTotals {
            pre_production_own: decimal("stages.pre_production_own"),
            pre_production_components: decimal("stages.pre_production_components"),
            main_production_own: decimal("stages.main_production_own"),
            main_production_components: decimal("stages.main_production_components"),
            unstaged: decimal("stages.unstaged"),
        };
        let rating_sums = RATING_NAMES.map(|name| decimal(&format!("rating_sums.{name}")));
        let rating_weights = RATING_NAMES.map(|name| decimal(&format!("rating_weights.{name}")));
        let primary = decimal("primary");
        let unknown_primary = decimal("unknown_primary");
        let tiers = match value.get("tiers").and_then(serde_json::Value::as_array) {
            Some(items) if !items.is_empty() => {
                (0..items.len()).map(|tier| decimal(&format!("tiers.{tier}"))).collect()
            }
            _ => {
                violations.push("/tiers", "must be a non-empty array of decimal strings");
                Vec::new()
            }
        };
        let unit = value
            .get("unit")
            .and_then(serde_json::Value::as_str)
            .and_then(DeclaredUnit::from_pact_name);
        if unit.is_none() {
            violations.push("/unit", "must be a declared unit (PACT text, e.g. \"kilogram\")");
        }
        violations.into_result()?;
        let rolled = RolledValue {
            unit: unit.expect("checked above"),
            stages,
            rating_sums,
            rating_weights,
            primary,
            unknown_primary,
            tiers,
        };
        // The parts must add up, or the answer is not a roll-up.
        let mut problems = Violations::new();
        if rolled.tiers.iter().copied().sum::<Decimal>() != rolled.total() {
            problems.push("/tiers", "the tiers do not add up to the stages' total");
        }
        if rolled.primary + rolled.unknown_primary > rolled.total() {
            problems.push("/primary", "primary and undeclared emissions exceed the total");
        }
        problems.into_result()?;
        Ok(rolled)
    }

    fn part_value(&self) -> PartValue {
        PartValue {
            stages: self.stages,
            rating_sums: self.rating_sums,
            rating_weights: self.rating_weights,
            primary: self.primary,
            unknown_primary: self.unknown_primary,
            tiers: self.tiers.clone(),
        }
    }
}

/// The roll-up's emissions split the Ouranos way, per unit of the root part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StageTotals {
    /// 前処理自社由来排出量（合計）/ the root's own pre-processing emissions (`preProductionTotal`).
    #[serde(with = "crate::decimal::text")]
    pub pre_production_own: Decimal,
    /// 前処理部品由来排出量（合計）/ pre-processing emissions of all components (`preComponentTotal`).
    #[serde(with = "crate::decimal::text")]
    pub pre_production_components: Decimal,
    /// 製造自社由来排出量（合計）/ the root's own main-production emissions (`mainProductionTotal`).
    #[serde(with = "crate::decimal::text")]
    pub main_production_own: Decimal,
    /// 製造部品由来排出量（合計）/ main-production emissions of all components (`mainComponentTotal`).
    #[serde(with = "crate::decimal::text")]
    pub main_production_components: Decimal,
    /// Emissions of footprints without the stage split (imported from PACT), not attributable to a stage.
    #[serde(with = "crate::decimal::text")]
    pub unstaged: Decimal,
}

impl StageTotals {
    /// The sum of all five.
    pub fn total(&self) -> Decimal {
        self.pre_production_own
            + self.pre_production_components
            + self.main_production_own
            + self.main_production_components
            + self.unstaged
    }
}

/// Emission-weighted data-quality ratings of the total; `None` where no contribution had one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WeightedRatings {
    /// 技術的代表性 / TeR.
    #[serde(with = "crate::decimal::option_text")]
    pub technological: Option<Decimal>,
    /// 地理的代表性 / GeR.
    #[serde(with = "crate::decimal::option_text")]
    pub geographical: Option<Decimal>,
    /// 時間的代表性 / TiR.
    #[serde(with = "crate::decimal::option_text")]
    pub temporal: Option<Decimal>,
}

/// Emissions contributed at one tier, per unit of the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TierTotal {
    /// 階層 / tier (0 = the root's own emissions).
    pub tier: u32,
    /// Emissions (kgCO2e per unit of the root).
    #[serde(with = "crate::decimal::text")]
    pub emissions: Decimal,
}

/// The rolled-up CFP of a part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollup {
    /// The root part.
    pub root: String,
    /// The root's unit (from its footprint; `None` when the root has no footprint).
    pub unit: Option<DeclaredUnit>,
    /// Total kgCO2e per one unit of the root (all decimals of a roll-up are normalized: no trailing zeros).
    #[serde(with = "crate::decimal::text")]
    pub total: Decimal,
    /// The total split by stage.
    pub stages: StageTotals,
    /// Emission-weighted means of the ratings, rounded to six decimals.
    pub ratings: WeightedRatings,
    /// 一次データ比率 / emission-weighted primary data share of the total, percent (six decimals);
    /// footprints that declare no share count as secondary data. `None` when the total is zero.
    #[serde(with = "crate::decimal::option_text")]
    pub primary_data_share: Option<Decimal>,
    /// The part of the total whose footprints declare no primary data share.
    #[serde(with = "crate::decimal::text")]
    pub emissions_without_primary_data_share: Decimal,
    /// Emissions per tier.
    pub tiers: Vec<TierTotal>,
    /// Parts without a footprint, by tier then id.
    pub missing: Vec<MissingPart>,
    /// Parts bought from organizations of peer nodes that answered for them, by tier then id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remote_supplies: Vec<RemoteSupplyReport>,
    /// How many distinct parts the roll-up visited.
    pub parts_visited: usize,
}

/// Per-part values, per one unit of the part.
#[derive(Debug, Clone, Default)]
struct PartValue {
    stages: StageTotals,
    rating_sums: [Decimal; 3],
    rating_weights: [Decimal; 3],
    primary: Decimal,
    unknown_primary: Decimal,
    tiers: Vec<Decimal>,
}

impl PartValue {
    fn total(&self) -> Decimal {
        self.stages.total()
    }

    /// Adds `amount` units of `component` as this part's components.
    fn add_component(&mut self, amount: Decimal, component: &PartValue) {
        let stages = &component.stages;
        self.stages.pre_production_components +=
            amount * (stages.pre_production_own + stages.pre_production_components);
        self.stages.main_production_components +=
            amount * (stages.main_production_own + stages.main_production_components);
        self.stages.unstaged += amount * stages.unstaged;
        for rating in 0..3 {
            self.rating_sums[rating] += amount * component.rating_sums[rating];
            self.rating_weights[rating] += amount * component.rating_weights[rating];
        }
        self.primary += amount * component.primary;
        self.unknown_primary += amount * component.unknown_primary;
        if self.tiers.len() < component.tiers.len() + 1 {
            self.tiers.resize(component.tiers.len() + 1, Decimal::ZERO);
        }
        for (depth, emissions) in component.tiers.iter().enumerate() {
            self.tiers[depth + 1] += amount * emissions;
        }
    }
}

/// The part's own values from its footprint, per one unit of measurement.
fn own_value(footprint: Option<&PartFootprint>) -> PartValue {
    let mut value = PartValue {
        tiers: vec![Decimal::ZERO],
        ..PartValue::default()
    };
    let Some(footprint) = footprint else {
        return value;
    };
    let divisor = footprint.declared_unit_amount;
    // Division is the slow operation of decimals; most footprints are per one unit.
    let per_unit = |amount: Decimal| {
        if divisor == Decimal::ONE {
            amount
        } else {
            amount / divisor
        }
    };
    let mut weigh = |weight: Decimal, ratings: [Option<Decimal>; 3]| {
        for (rating, score) in ratings.into_iter().enumerate() {
            if let Some(score) = score {
                value.rating_sums[rating] += weight * score;
                value.rating_weights[rating] += weight;
            }
        }
    };
    let own_total;
    match &footprint.stages {
        Some(stages) => {
            for stage in [&stages.pre_production, &stages.main_production] {
                let ratings = [
                    stage.ratings.technological,
                    stage.ratings.geographical,
                    stage.ratings.temporal,
                ];
                let chosen = std::array::from_fn(|rating| ratings[rating].or(footprint.ratings[rating]));
                weigh(per_unit(stage.total()), chosen);
            }
            value.stages.pre_production_own = per_unit(stages.pre_production.own);
            value.stages.pre_production_components = per_unit(stages.pre_production.components);
            value.stages.main_production_own = per_unit(stages.main_production.own);
            value.stages.main_production_components = per_unit(stages.main_production.components);
            own_total = value.stages.total();
        }
        None => {
            value.stages.unstaged = per_unit(footprint.total);
            own_total = value.stages.unstaged;
            weigh(own_total, footprint.ratings);
        }
    }
    match footprint.primary_data_share {
        Some(share) => value.primary = own_total * share / Decimal::ONE_HUNDRED,
        None => value.unknown_primary = own_total,
    }
    value.tiers[0] = own_total;
    value
}

/// Rolls up the CFP of `root` through every tier below it. Refuses, listing every problem, when the
/// root is unknown, the structure below it loops, or a component's unit does not match its footprint.
pub fn rollup(graph: &SupplyGraph, root: &str) -> Result<Rollup, Vec<RollupProblem>> {
    rollup_with_value(graph, root).map(|(rolled, _)| rolled)
}

/// [`rollup`], with the exact value per unit of the root that a peer node is answered with
/// (`None` when the root has no footprint, hence no unit a buyer could multiply).
pub fn rollup_with_value(graph: &SupplyGraph, root: &str) -> Result<(Rollup, Option<RolledValue>), Vec<RollupProblem>> {
    let Some(&root_index) = graph.index.get(root) else {
        return Err(vec![RollupProblem::UnknownRoot { part: root.to_owned() }]);
    };
    let parts = &graph.parts;
    let resolved = &graph.resolved;

    // Depth-first walk: cycles, unit checks and a post-order in which components come first.
    let mut problems = Vec::new();
    let mut state = vec![0u8; parts.len()]; // 0 unseen, 1 on the walk, 2 done
    let mut post_order = Vec::new();
    let mut stack: Vec<(usize, usize)> = vec![(root_index, 0)];
    state[root_index] = 1;
    while let Some(&mut (part_index, ref mut next_line)) = stack.last_mut() {
        let part = &parts[part_index];
        if let Some(component) = part.components.get(*next_line) {
            let line = *next_line;
            *next_line += 1;
            let Some(child) = resolved[part_index][line] else {
                continue;
            };
            let child_unit = match graph.remote.get(&child).map(|remote| &remote.outcome) {
                Some(RemoteOutcome::Answered(value)) => Some(value.unit),
                _ => parts[child].footprint.as_ref().map(|footprint| footprint.unit),
            };
            if let Some(footprint_unit) = child_unit {
                if footprint_unit != component.unit {
                    problems.push(RollupProblem::UnitMismatch {
                        parent: part.id.clone(),
                        component: component.part.clone(),
                        amount_unit: component.unit,
                        footprint_unit,
                    });
                }
            }
            match state[child] {
                0 => {
                    state[child] = 1;
                    stack.push((child, 0));
                }
                1 => {
                    let start = stack
                        .iter()
                        .position(|&(index, _)| index == child)
                        .expect("a part on the walk is on the stack");
                    let path = stack[start..]
                        .iter()
                        .map(|&(index, _)| parts[index].id.clone())
                        .collect();
                    problems.push(RollupProblem::Cycle { path });
                }
                _ => {}
            }
        } else {
            state[part_index] = 2;
            post_order.push(part_index);
            stack.pop();
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    // Breadth-first for the shallowest tier of each part and who uses it (for missing parts).
    let mut tier_of = vec![u32::MAX; parts.len()];
    tier_of[root_index] = 0;
    let mut queue = VecDeque::from([root_index]);
    let mut unknown: BTreeMap<String, (u32, Vec<String>)> = BTreeMap::new();
    let mut users: HashMap<usize, Vec<String>> = HashMap::new();
    while let Some(part_index) = queue.pop_front() {
        let part = &parts[part_index];
        let tier = tier_of[part_index] + 1;
        for (component, &child) in part.components.iter().zip(&resolved[part_index]) {
            match child {
                Some(child) => {
                    if parts[child].footprint.is_none() && !answered(graph, child) {
                        let list = users.entry(child).or_default();
                        if !list.contains(&part.id) {
                            list.push(part.id.clone());
                        }
                    }
                    if tier_of[child] == u32::MAX {
                        tier_of[child] = tier;
                        queue.push_back(child);
                    }
                }
                None => {
                    let entry = unknown.entry(component.part.clone()).or_insert((tier, Vec::new()));
                    entry.0 = entry.0.min(tier);
                    if !entry.1.contains(&part.id) {
                        entry.1.push(part.id.clone());
                    }
                }
            }
        }
    }

    // Values bottom-up; each part once, however many parents use it.
    let mut values: Vec<Option<PartValue>> = vec![None; parts.len()];
    for &part_index in &post_order {
        let part = &parts[part_index];
        // A part a peer answered for stands as answered: the supplier's own emissions and
        // everything below its part on its node.
        if let Some(RemoteOutcome::Answered(remote)) = graph.remote.get(&part_index).map(|remote| &remote.outcome) {
            values[part_index] = Some(remote.part_value());
            continue;
        }
        let mut value = own_value(part.footprint.as_ref());
        for (component, &child) in part.components.iter().zip(&resolved[part_index]) {
            if let Some(child) = child {
                let child_value = values[child]
                    .as_ref()
                    .expect("components are computed before their users");
                value.add_component(component.amount, child_value);
            }
        }
        values[part_index] = Some(value);
    }
    let value = values[root_index].take().expect("the root is computed");

    let mut missing: Vec<MissingPart> = post_order
        .iter()
        .filter(|&&index| parts[index].footprint.is_none() && !answered(graph, index))
        .map(|&index| {
            let withheld = graph.remote.get(&index).and_then(|remote| match &remote.outcome {
                RemoteOutcome::Withheld { detail } => Some((remote.peer.clone(), detail.clone())),
                RemoteOutcome::Answered(_) => None,
            });
            MissingPart {
                part: parts[index].id.clone(),
                organization: Some(parts[index].organization.clone()),
                tier: tier_of[index],
                used_by: users.remove(&index).unwrap_or_default(),
                reason: if withheld.is_some() {
                    MissingReason::Withheld
                } else {
                    MissingReason::NoFootprint
                },
                peer: withheld.as_ref().map(|(peer, _)| peer.clone()),
                detail: withheld.map(|(_, detail)| detail),
            }
        })
        .chain(unknown.into_iter().map(|(part, (tier, used_by))| MissingPart {
            part,
            organization: None,
            tier,
            used_by,
            reason: MissingReason::UnknownPart,
            peer: None,
            detail: None,
        }))
        .collect();
    missing.sort_by(|left, right| (left.tier, &left.part).cmp(&(right.tier, &right.part)));

    let total = value.total().normalize();
    let stages = StageTotals {
        pre_production_own: value.stages.pre_production_own.normalize(),
        pre_production_components: value.stages.pre_production_components.normalize(),
        main_production_own: value.stages.main_production_own.normalize(),
        main_production_components: value.stages.main_production_components.normalize(),
        unstaged: value.stages.unstaged.normalize(),
    };
    let mean = |rating: usize| {
        let weight = value.rating_weights[rating];
        (weight > Decimal::ZERO).then(|| (value.rating_sums[rating] / weight).round_dp(6).normalize())
    };
    let mut remote_supplies: Vec<RemoteSupplyReport> = post_order
        .iter()
        .filter_map(|&index| {
            let remote = graph.remote.get(&index)?;
            let RemoteOutcome::Answered(answer) = &remote.outcome else {
                return None;
            };
            Some(RemoteSupplyReport {
                part: remote.part.clone(),
                tier: tier_of[index],
                peer: remote.peer.clone(),
                supplier: remote.supplier.clone(),
                supplier_part: remote.supplier_part.clone(),
                total: answer.total().normalize(),
            })
        })
        .collect();
    remote_supplies.sort_by(|left, right| (left.tier, &left.part).cmp(&(right.tier, &right.part)));
    let root_unit = match graph.remote.get(&root_index).map(|remote| &remote.outcome) {
        Some(RemoteOutcome::Answered(answer)) => Some(answer.unit),
        _ => parts[root_index].footprint.as_ref().map(|footprint| footprint.unit),
    };
    let exact = root_unit.map(|unit| RolledValue {
        unit,
        stages: value.stages,
        rating_sums: value.rating_sums,
        rating_weights: value.rating_weights,
        primary: value.primary,
        unknown_primary: value.unknown_primary,
        tiers: value.tiers.clone(),
    });
    let rolled = Rollup {
        root: root.to_owned(),
        unit: root_unit,
        total,
        stages,
        ratings: WeightedRatings {
            technological: mean(0),
            geographical: mean(1),
            temporal: mean(2),
        },
        primary_data_share: (total != Decimal::ZERO)
            .then(|| (value.primary * Decimal::ONE_HUNDRED / total).round_dp(6).normalize()),
        emissions_without_primary_data_share: value.unknown_primary.normalize(),
        tiers: value
            .tiers
            .iter()
            .enumerate()
            .map(|(tier, emissions)| TierTotal {
                tier: u32::try_from(tier).unwrap_or(u32::MAX),
                emissions: emissions.normalize(),
            })
            .collect(),
        missing,
        remote_supplies,
        parts_visited: post_order.len(),
    };
    Ok((rolled, exact))
}

/// Whether a peer answered for part `index`.
fn answered(graph: &SupplyGraph, index: usize) -> bool {
    matches!(
        graph.remote.get(&index).map(|remote| &remote.outcome),
        Some(RemoteOutcome::Answered(_))
    )
}
