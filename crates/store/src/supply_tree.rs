//! Writes a supply tree into a store as its companies would through the Ouranos operations, so
//! that the automaker's root part rolls up across companies: one operator (organization with a
//! 法人番号, a plant and a member) per organization of the tree, each part a part of its maker,
//! each parts structure written by the parent's maker, and each component made by another company
//! bought as a part of the buyer's own (調達品) that a trade links to the supplier's part: the buyer
//! asks, the supplier answers. Every footprint becomes the maker's CFP write.
//!
//! Used by `junkan bench rollup` and by the contract suite, which both compare
//! [`crate::Store::ouranos_rollup`] with the in-memory roll-up of the same tree
//! ([`StoredTree::expected`]).

use std::collections::{BTreeSet, HashMap, HashSet};

use time::macros::{date, datetime};
use uuid::Uuid;

use junkan_footprint::model::{DeclaredUnit, Geography};
use junkan_footprint::ouranos::{footprint_from_write, CfpWrite, FootprintContext};
use junkan_footprint::rollup::{Component, Part as TreePart, PartFootprint, SupplyGraph};
use junkan_model::ids::{FacilityId, FootprintId, OrganizationId};
use junkan_model::organization::{CompanySize, CycleRole, NewOrganization, OrganizationType};
use junkan_model::ouranos::{AmountUnit, NewTradeRequest, Part, PartWrite, PartsStructureWrite, PlantWrite};
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_model::Violation;

use crate::{Store, StoreError, StoreResult};

/// One operator of the tree as stored.
#[derive(Debug, Clone)]
pub struct TreeOperator {
    /// The organization label in the input tree.
    pub label: String,
    /// A member (administrator) of the operator, who writes its records.
    pub actor: Actor,
    /// The operator's plant, where all its parts are made.
    pub plant: FacilityId,
}

/// What was written, in counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeCounts {
    /// Operators (organizations with a plant).
    pub operators: usize,
    /// Parts written: the tree's own and the bought parts the buyers keep for them.
    pub parts: usize,
    /// Parts structures (one per part with components).
    pub structures: usize,
    /// Structure lines (components).
    pub lines: usize,
    /// Trades, each requested by the buyer and answered by the supplier.
    pub trades: usize,
    /// CFP writes.
    pub cfps: usize,
}

/// A tree written into a store.
#[derive(Debug, Clone)]
pub struct StoredTree {
    /// The root part's trace id.
    pub root: Uuid,
    /// A member of the root part's maker (the automaker), who may roll the root up.
    pub root_actor: Actor,
    /// The operators, in order of first appearance in the input.
    pub operators: Vec<TreeOperator>,
    /// The same tree in memory with the ids as stored (trace ids, organization ids) and each
    /// footprint as the store keeps it (`footprint_from_write` of its CFP write): the graph whose
    /// roll-up `Store::ouranos_rollup` of [`StoredTree::root`] must equal.
    pub expected: SupplyGraph,
    /// What was written.
    pub counts: TreeCounts,
}

fn invalid(path: String, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![Violation::new(path, message)])
}

/// A corporate number (法人番号) with a valid check digit over twelve digits taken from `seed`.
fn corporate_number(seed: u128) -> String {
    let body: Vec<u32> = (0..12).map(|position| ((seed >> (position * 8)) % 10) as u32).collect();
    let weighted: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| digit * if index % 2 == 0 { 1 } else { 2 })
        .sum();
    let digits: String = body.iter().map(u32::to_string).collect();
    format!("{}{digits}", 9 - weighted % 9)
}

/// The Ouranos amount unit of a declared unit (`None` for units Ouranos lacks).
fn amount_unit(unit: DeclaredUnit) -> Option<AmountUnit> {
    unit.ouranos_name().and_then(AmountUnit::parse)
}

fn part_write(operator: &TreeOperator, name: &str, line: Option<&Component>, terminated: bool) -> PartWrite {
    PartWrite {
        trace_id: None,
        part: Part {
            trace_id: Uuid::nil(),
            operator_id: operator
                .actor
                .organization_id
                .expect("tree operators' actors are members"),
            plant_id: operator.plant,
            parts_name: name.to_owned(),
            support_parts_name: None,
            terminated,
            amount_required: line.map(|component| component.amount),
            amount_required_unit: line.and_then(|component| amount_unit(component.unit)),
            parts_label_name: None,
            parts_add_info: [None, None, None],
        },
    }
}

/// The CFP write of a tree footprint: its four rows per one unit.
fn cfp_write(position: usize, trace_id: Uuid, footprint: &PartFootprint) -> StoreResult<CfpWrite> {
    let Some(stages) = &footprint.stages else {
        return Err(invalid(
            format!("/{position}/footprint/stages"),
            "an Ouranos CFP has the stage split",
        ));
    };
    if footprint.declared_unit_amount != rust_decimal::Decimal::ONE || amount_unit(footprint.unit).is_none() {
        return Err(invalid(
            format!("/{position}/footprint/unit"),
            "an Ouranos CFP is per one unit Ouranos knows",
        ));
    }
    Ok(CfpWrite {
        cfp_id: None,
        trace_id,
        unit: footprint.unit,
        stages: stages.clone(),
    })
}

/// The footprint the store derives from `write`, as the roll-up reads it.
fn stored_footprint(write: &CfpWrite, position: usize) -> StoreResult<PartFootprint> {
    let context = FootprintContext {
        id: FootprintId::generate(),
        created: datetime!(2026-04-01 09:00 UTC),
        company_name: "サプライヤー".to_owned(),
        company_ids: vec!["urn:jp:houjin-bangou:7000012050002".to_owned()],
        product_ids: vec![format!("urn:ouranos:trace-id:{}", write.trace_id)],
        product_name_company: "部品".to_owned(),
        product_description: "部品".to_owned(),
        reference_period_start: datetime!(2025-04-01 00:00 UTC),
        reference_period_end: datetime!(2026-04-01 00:00 UTC),
        geography: Geography::Country("JP".to_owned()),
        fossil_ghg_emissions: write.stages.total(),
        fossil_carbon_content: rust_decimal::Decimal::ZERO,
        product_mass_per_declared_unit: rust_decimal::Decimal::ZERO,
        ipcc_characterization_factors: vec!["AR6".to_owned()],
        cross_sectoral_standards: vec!["ISO14067".to_owned()],
        exempted_emissions_percent: rust_decimal::Decimal::ZERO,
    };
    let footprint = footprint_from_write(write, context).map_err(|violations| {
        StoreError::Invalid(
            violations
                .into_iter()
                .map(|violation| Violation::new(format!("/{position}/footprint{}", violation.path), violation.message))
                .collect(),
        )
    })?;
    Ok(PartFootprint::from(&footprint))
}

/// Writes `parts` (ids unique, each component naming a part of the list, footprints with the
/// Ouranos stage split per one unit) into `store`, and returns what the roll-up of `root` must
/// give. Organizations are the parts' `organization` labels; each becomes a new operator.
pub async fn write_supply_tree(store: &dyn Store, parts: &[TreePart], root: &str) -> StoreResult<StoredTree> {
    let index: HashMap<&str, usize> = parts
        .iter()
        .enumerate()
        .map(|(position, part)| (part.id.as_str(), position))
        .collect();
    if !index.contains_key(root) {
        return Err(invalid(
            String::new(),
            format!("the root {root:?} is not among the parts"),
        ));
    }

    // One operator per organization label, with a plant and an administrator.
    let mut operators: Vec<TreeOperator> = Vec::new();
    let mut operator_of_label: HashMap<&str, usize> = HashMap::new();
    for part in parts {
        if operator_of_label.contains_key(part.organization.as_str()) {
            continue;
        }
        // Random digits: the numbers are unique in a database, which may hold earlier trees.
        let number = corporate_number(Uuid::new_v4().as_u128());
        let organization = store
            .create_organization(
                &Actor::system(),
                NewOrganization {
                    name_ja: format!("{}部品株式会社", part.organization),
                    name_en: format!("{} Parts Co., Ltd.", part.organization),
                    organization_type: OrganizationType::Company,
                    company_size: Some(CompanySize::Sme),
                    corporate_number: Some(number.clone()),
                    lei: None,
                    gs1_company_prefix: None,
                    gln: None,
                    local_government_code: None,
                    prefecture_code: Some("23".to_owned()),
                    industries: vec![],
                    roles: vec![CycleRole::Manufacturer],
                    website: None,
                },
            )
            .await?;
        let actor = Actor {
            kind: PrincipalKind::User,
            principal_id: format!("supply-tree-{}", organization.id),
            organization_id: Some(organization.id),
            roles: vec![Role::OrgAdmin, Role::Member],
            purpose: Some("supply tree".to_owned()),
            request_id: None,
            grant: None,
        };
        let plant = store
            .put_ouranos_plant(
                &actor,
                PlantWrite {
                    plant_id: None,
                    operator_id: organization.id,
                    open_plant_id: format!("{number}000001"),
                    plant_name: "第一工場".to_owned(),
                    plant_address: "愛知県豊田市1-1".to_owned(),
                    global_plant_id: None,
                },
            )
            .await?;
        operator_of_label.insert(part.organization.as_str(), operators.len());
        operators.push(TreeOperator {
            label: part.organization.clone(),
            actor,
            plant: plant.plant_id,
        });
    }
    let operator_of = |part: &TreePart| &operators[operator_of_label[part.organization.as_str()]];
    let organization_of = |part: &TreePart| -> OrganizationId {
        operator_of(part)
            .actor
            .organization_id
            .expect("tree operators' actors are members")
    };
    let trace_of = |part: &TreePart| {
        let operator = operator_of(part);
        junkan_model::ouranos::trace_id(organization_of(part), operator.plant, &part.id, None)
    };

    let mut counts = TreeCounts {
        operators: operators.len(),
        ..TreeCounts::default()
    };
    let mut written: HashSet<Uuid> = HashSet::new();
    // (buyer's operator, supplier's part): each bought part once per buyer.
    let mut bought: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (position, part) in parts.iter().enumerate() {
        if part.components.is_empty() {
            continue;
        }
        let operator = operator_of(part);
        let mut children = Vec::with_capacity(part.components.len());
        for (line, component) in part.components.iter().enumerate() {
            let Some(&child_position) = index.get(component.part.as_str()) else {
                return Err(invalid(
                    format!("/{position}/components/{line}/part"),
                    format!("{:?} is not among the parts", component.part),
                ));
            };
            let child = &parts[child_position];
            if child.organization == part.organization {
                children.push(part_write(
                    operator,
                    &child.id,
                    Some(component),
                    child.components.is_empty(),
                ));
            } else {
                // A part of the buyer's own that stands for the supplier's until a trade links them.
                children.push(part_write(operator, &child.id, Some(component), false));
                bought.insert((operator_of_label[part.organization.as_str()], child_position));
            }
        }
        let structure = store
            .put_parts_structure(
                &operator.actor,
                PartsStructureWrite {
                    parent: part_write(operator, &part.id, None, false),
                    children,
                },
            )
            .await?;
        counts.structures += 1;
        counts.lines += structure.children.len();
        written.insert(structure.parent.trace_id);
        written.extend(structure.children.iter().map(|child| child.trace_id));
    }
    for part in parts {
        if written.insert(trace_of(part)) {
            let operator = operator_of(part);
            store
                .put_ouranos_part(
                    &operator.actor,
                    part_write(operator, &part.id, None, part.components.is_empty()),
                )
                .await?;
        }
    }
    counts.parts = written.len();

    // The buyer asks the supplier for each bought part; the supplier links its own.
    for &(buyer, child_position) in &bought {
        let buyer = &operators[buyer];
        let child = &parts[child_position];
        let supplier = operator_of(child);
        let request = store
            .create_trade_request(
                &buyer.actor,
                NewTradeRequest {
                    downstream_operator_id: buyer.actor.organization_id.expect("tree operators' actors are members"),
                    downstream_trace_id: junkan_model::ouranos::trace_id(
                        buyer.actor.organization_id.expect("tree operators' actors are members"),
                        buyer.plant,
                        &child.id,
                        None,
                    ),
                    upstream_operator_id: organization_of(child),
                    message: None,
                    response_due_date: date!(2026 - 06 - 30),
                },
            )
            .await?;
        store
            .answer_trade(&supplier.actor, request.trade.trade_id, trace_of(child))
            .await?;
        counts.trades += 1;
    }

    // Each footprint as its maker's CFP; the expected graph holds what the store derives of it.
    let mut expected = Vec::with_capacity(parts.len());
    for (position, part) in parts.iter().enumerate() {
        let trace_id = trace_of(part);
        let footprint = match &part.footprint {
            Some(footprint) => {
                let write = cfp_write(position, trace_id, footprint)?;
                let stored = stored_footprint(&write, position)?;
                store.put_ouranos_cfp(&operator_of(part).actor, write).await?;
                counts.cfps += 1;
                Some(stored)
            }
            None => None,
        };
        expected.push(TreePart {
            id: trace_id.to_string(),
            organization: organization_of(part).to_string(),
            footprint,
            components: part
                .components
                .iter()
                .map(|component| Component {
                    part: trace_of(&parts[index[component.part.as_str()]]).to_string(),
                    amount: component.amount,
                    unit: component.unit,
                })
                .collect(),
        });
    }
    let expected = SupplyGraph::new(expected).map_err(StoreError::Invalid)?;
    let root_part = &parts[index[root]];
    Ok(StoredTree {
        root: trace_of(root_part),
        root_actor: operator_of(root_part).actor.clone(),
        operators,
        expected,
        counts,
    })
}

/// Rewrites the CFP of the tree's part `trace_id` as its maker would (`Store::put_ouranos_cfp`):
/// the footprint the tree was written with, each stage's own and component emissions multiplied
/// by `factor`. Returns `current` (the tree as the store held it before) with that part's
/// footprint as the store keeps it now, whose roll-up the store's must then equal. `junkan bench
/// rollup` times roll-ups right after such a change.
pub async fn rewrite_cfp(
    store: &dyn Store,
    tree: &StoredTree,
    current: &SupplyGraph,
    trace_id: Uuid,
    factor: rust_decimal::Decimal,
) -> StoreResult<SupplyGraph> {
    let id = trace_id.to_string();
    let (position, part) = tree
        .expected
        .parts()
        .iter()
        .enumerate()
        .find(|(_, part)| part.id == id)
        .ok_or_else(|| invalid(String::new(), format!("{id} is not a part of the tree")))?;
    let Some(original) = &part.footprint else {
        return Err(invalid(
            format!("/{position}/footprint"),
            "the part has no CFP to rewrite",
        ));
    };
    let operator = tree
        .operators
        .iter()
        .find(|operator| {
            operator.actor.organization_id.map(|id| id.to_string()).as_deref() == Some(part.organization.as_str())
        })
        .ok_or_else(|| {
            invalid(
                format!("/{position}/organization"),
                "no operator of the tree makes the part",
            )
        })?;
    let mut write = cfp_write(position, trace_id, original)?;
    for stage in [&mut write.stages.pre_production, &mut write.stages.main_production] {
        stage.own *= factor;
        stage.components *= factor;
    }
    let stored = stored_footprint(&write, position)?;
    store.put_ouranos_cfp(&operator.actor, write).await?;
    let parts = current
        .parts()
        .iter()
        .map(|candidate| {
            let mut candidate = candidate.clone();
            if candidate.id == id {
                candidate.footprint = Some(stored.clone());
            }
            candidate
        })
        .collect();
    SupplyGraph::new(parts).map_err(StoreError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corporate_numbers_pass_the_check() {
        for seed in [0u128, 1, u128::MAX, 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef] {
            let number = corporate_number(seed);
            assert_eq!(
                junkan_model::identifiers::check_corporate_number(&number),
                Ok(()),
                "{number}"
            );
        }
    }
}
