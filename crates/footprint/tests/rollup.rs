//! The roll-up on a hand-computed three-tier example, its refusals, and properties checked on
//! many seeded random supply graphs against a naive path-by-path evaluation.

use std::str::FromStr;

use junkan_footprint::model::{DeclaredUnit, StageBreakdown, StageEmissions, StageRatings};
use junkan_footprint::rollup::{
    rollup, rollup_with_value, Component, MissingReason, Part, PartFootprint, RemoteOutcome, RemotePart, RolledValue,
    RollupProblem, SupplyGraph,
};
use junkan_footprint::synthetic::{synthetic_tree, SplitMix64};
use rust_decimal::Decimal;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).expect("test decimal")
}

fn ratings(technological: &str, geographical: &str, temporal: &str) -> StageRatings {
    StageRatings {
        technological: Some(d(technological)),
        geographical: Some(d(geographical)),
        temporal: Some(d(temporal)),
    }
}

/// A footprint with own emissions only (no declared component rows).
fn own(
    unit: DeclaredUnit,
    amount: &str,
    pre: &str,
    main: &str,
    pre_ratings: StageRatings,
    main_ratings: StageRatings,
    share: Option<&str>,
) -> PartFootprint {
    let stages = StageBreakdown {
        pre_production: StageEmissions {
            own: d(pre),
            components: Decimal::ZERO,
            ratings: pre_ratings,
        },
        main_production: StageEmissions {
            own: d(main),
            components: Decimal::ZERO,
            ratings: main_ratings,
        },
    };
    PartFootprint {
        unit,
        declared_unit_amount: d(amount),
        total: stages.total(),
        stages: Some(stages),
        ratings: [None; 3],
        primary_data_share: share.map(d),
    }
}

fn part(
    id: &str,
    organization: &str,
    footprint: Option<PartFootprint>,
    components: &[(&str, &str, DeclaredUnit)],
) -> Part {
    Part {
        id: id.to_owned(),
        organization: organization.to_owned(),
        footprint,
        components: components
            .iter()
            .map(|&(part, amount, unit)| Component {
                part: part.to_owned(),
                amount: d(amount),
                unit,
            })
            .collect(),
    }
}

/// The battery pack of the three-tier example.
///
/// ```text
/// pack P (A, piece)            own pre 2, main 10; DQR pre 2/2/2, main 1/1/1; primary 100 %
/// ├── 4 × module M (B, piece)  own pre 1.5, main 3; DQR pre 2/2/2, main 3/3/3; primary 50 %
/// │   ├── 12 × cell C (D, piece)       own pre 0.5, main 1.0; DQR 3/3/3 both; primary 20 %
/// │   │   └── 0.05 kg cathode X (F)    no footprint (not answered)
/// │   └── 0.2 kg aluminium Al (E)
/// └── 12.5 kg housing H (C, kilogram)  own pre 0.2, main 0.3; DQR 2/2/2 both; primary unknown
///     └── 1.1 kg aluminium Al (E)      declared per 1000 kg: pre 8000, main 1000
///                                      (= 8 and 1 per kg); DQR TeR 1, GeR 3, TiR 1; primary 100 %
/// ```
///
/// Per unit, bottom-up (pre own / pre components / main own / main components = total):
/// - Al: 8 / 0 / 1 / 0 = 9 per kg.
/// - C: 0.5 / 0 / 1.0 / 0 = 1.5 per cell (X contributes nothing and is reported missing at tier 3).
/// - M: 1.5 / (12 × 0.5 + 0.2 × 8 = 7.6) / 3 / (12 × 1.0 + 0.2 × 1 = 12.2) = 24.3 per module.
/// - H: 0.2 / (1.1 × 8 = 8.8) / 0.3 / (1.1 × 1 = 1.1) = 10.4 per kg.
/// - P: 2 / (4 × 9.1 + 12.5 × 9.0 = 36.4 + 112.5 = 148.9) / 10 / (4 × 15.2 + 12.5 × 1.4 = 60.8 + 17.5
///   = 78.3) = 239.2 per pack; check: 12 + 4 × 24.3 + 12.5 × 10.4 = 12 + 97.2 + 130 = 239.2.
///
/// Tiers: tier 0 = 12; tier 1 = 4 × 4.5 (M own) + 12.5 × 0.5 (H own) = 18 + 6.25 = 24.25;
/// tier 2 = 4 × (12 × 1.5 + 0.2 × 9) + 12.5 × 1.1 × 9 = 79.2 + 123.75 = 202.95; tier 3 = 0.
///
/// TeR, emission-weighted: Σ emission × rating = P 2×2 + 10×1 = 14; M 1.5×2 + 3×3 = 12; C 1.5×3 = 4.5;
/// H 0.5×2 = 1; Al 9×1 = 9. Scaled: M = 12 + 12 × 4.5 + 0.2 × 9 = 67.8; H = 1 + 1.1 × 9 = 10.9;
/// P = 14 + 4 × 67.8 + 12.5 × 10.9 = 14 + 271.2 + 136.25 = 421.45; 421.45 / 239.2 = 1.7619147…
/// GeR differs only through Al (9 × 3 = 27): M = 12 + 54 + 5.4 = 71.4; H = 1 + 29.7 = 30.7;
/// P = 14 + 285.6 + 383.75 = 683.35; 683.35 / 239.2 = 2.8568143…
///
/// Primary data: P 12; M 4.5 × 0.5 = 2.25; C 1.5 × 0.2 = 0.3; Al 9; H none (0.5 unknown).
/// M = 2.25 + 12 × 0.3 + 0.2 × 9 = 7.65; H = 1.1 × 9 = 9.9; P = 12 + 4 × 7.65 + 12.5 × 9.9 = 12 + 30.6
/// + 123.75 = 166.35, so 166.35 / 239.2 = 69.5443143…%; unknown share: 12.5 × 0.5 = 6.25.
fn battery_pack() -> Vec<Part> {
    use DeclaredUnit::{Kilogram, Piece};
    vec![
        part(
            "P",
            "A",
            Some(own(
                Piece,
                "1",
                "2",
                "10",
                ratings("2", "2", "2"),
                ratings("1", "1", "1"),
                Some("100"),
            )),
            &[("M", "4", Piece), ("H", "12.5", Kilogram)],
        ),
        part(
            "M",
            "B",
            Some(own(
                Piece,
                "1",
                "1.5",
                "3",
                ratings("2", "2", "2"),
                ratings("3", "3", "3"),
                Some("50"),
            )),
            &[("C", "12", Piece), ("Al", "0.2", Kilogram)],
        ),
        part(
            "H",
            "C",
            Some(own(
                Kilogram,
                "1",
                "0.2",
                "0.3",
                ratings("2", "2", "2"),
                ratings("2", "2", "2"),
                None,
            )),
            &[("Al", "1.1", Kilogram)],
        ),
        part(
            "C",
            "D",
            Some(own(
                Piece,
                "1",
                "0.5",
                "1.0",
                ratings("3", "3", "3"),
                ratings("3", "3", "3"),
                Some("20"),
            )),
            &[("X", "0.05", Kilogram)],
        ),
        part(
            "Al",
            "E",
            Some(own(
                Kilogram,
                "1000",
                "8000",
                "1000",
                ratings("1", "3", "1"),
                ratings("1", "3", "1"),
                Some("100"),
            )),
            &[],
        ),
        part("X", "F", None, &[]),
    ]
}

#[test]
fn three_tier_battery_pack_is_exact() {
    let graph = SupplyGraph::new(battery_pack()).expect("valid graph");
    let result = rollup(&graph, "P").expect("rolls up");
    assert_eq!(result.total, d("239.2"));
    assert_eq!(result.unit, Some(DeclaredUnit::Piece));
    assert_eq!(result.stages.pre_production_own, d("2"));
    assert_eq!(result.stages.pre_production_components, d("148.9"));
    assert_eq!(result.stages.main_production_own, d("10"));
    assert_eq!(result.stages.main_production_components, d("78.3"));
    assert_eq!(result.stages.unstaged, d("0"));
    let tiers: Vec<(u32, Decimal)> = result.tiers.iter().map(|tier| (tier.tier, tier.emissions)).collect();
    assert_eq!(
        tiers,
        vec![(0, d("12")), (1, d("24.25")), (2, d("202.95")), (3, d("0"))]
    );
    assert_eq!(result.ratings.technological, Some(d("1.761915")));
    assert_eq!(result.ratings.geographical, Some(d("2.856814")));
    assert_eq!(result.ratings.temporal, Some(d("1.761915")));
    assert_eq!(result.primary_data_share, Some(d("69.544314")));
    assert_eq!(result.emissions_without_primary_data_share, d("6.25"));
    assert_eq!(
        result.parts_visited, 6,
        "aluminium is visited once although two parts use it"
    );
    assert_eq!(result.missing.len(), 1);
    let missing = &result.missing[0];
    assert_eq!(
        (missing.part.as_str(), missing.tier, missing.reason),
        ("X", 3, MissingReason::NoFootprint)
    );
    assert_eq!(missing.organization.as_deref(), Some("F"));
    assert_eq!(missing.used_by, vec!["C".to_owned()]);
    let json = serde_json::to_value(&result).expect("serializes");
    assert_eq!(json["total"], "239.2", "decimals serialize as strings");
}

#[test]
fn a_sub_tree_rolls_up_on_its_own() {
    let graph = SupplyGraph::new(battery_pack()).expect("valid graph");
    let module = rollup(&graph, "M").expect("rolls up");
    assert_eq!(module.total, d("24.3"));
    assert_eq!(module.missing[0].tier, 2);
    let housing = rollup(&graph, "H").expect("rolls up");
    assert_eq!(housing.total, d("10.4"));
    assert_eq!(housing.unit, Some(DeclaredUnit::Kilogram));
}

#[test]
fn unknown_components_are_missing_and_unknown_roots_refused() {
    let mut parts = battery_pack();
    parts[0].components.push(Component {
        part: "cable".to_owned(),
        amount: d("2"),
        unit: DeclaredUnit::Piece,
    });
    let graph = SupplyGraph::new(parts).expect("valid graph");
    let result = rollup(&graph, "P").expect("rolls up");
    assert_eq!(result.total, d("239.2"));
    let cable = result
        .missing
        .iter()
        .find(|missing| missing.part == "cable")
        .expect("cable is missing");
    assert_eq!(
        (cable.tier, cable.reason, cable.organization.clone()),
        (1, MissingReason::UnknownPart, None)
    );
    assert_eq!(
        rollup(&graph, "nothing"),
        Err(vec![RollupProblem::UnknownRoot {
            part: "nothing".to_owned()
        }])
    );
}

#[test]
fn unit_mismatches_are_refused_with_reasons() {
    let mut parts = battery_pack();
    parts[0].components[1].unit = DeclaredUnit::Piece; // housing required in pieces, declared per kg
    parts[1].components[1].unit = DeclaredUnit::Liter; // aluminium in liters
    let graph = SupplyGraph::new(parts).expect("valid graph");
    let problems = rollup(&graph, "P").expect_err("refused");
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec![
            "\"M\" requires \"Al\" in liter, but its footprint is per kilogram".to_owned(),
            "\"P\" requires \"H\" in piece, but its footprint is per kilogram".to_owned(),
        ]
    );
}

#[test]
fn cycles_are_reported_not_followed() {
    let mut parts = battery_pack();
    // The cell now (wrongly) uses the module it goes into.
    parts[3].components.push(Component {
        part: "M".to_owned(),
        amount: d("1"),
        unit: DeclaredUnit::Piece,
    });
    // And aluminium uses itself.
    parts[4].components.push(Component {
        part: "Al".to_owned(),
        amount: d("1"),
        unit: DeclaredUnit::Kilogram,
    });
    let graph = SupplyGraph::new(parts).expect("valid graph");
    let problems = rollup(&graph, "P").expect_err("refused");
    assert_eq!(
        problems,
        vec![
            RollupProblem::Cycle {
                path: vec!["M".to_owned(), "C".to_owned()]
            },
            RollupProblem::Cycle {
                path: vec!["Al".to_owned()]
            },
        ]
    );
    assert_eq!(problems[0].to_string(), "the parts structure loops: M -> C -> M");
}

#[test]
fn bad_graphs_are_refused_with_pointers() {
    let mut parts = battery_pack();
    parts[1].components[0].amount = d("-1");
    parts.push(part("P", "A", None, &[]));
    let violations = SupplyGraph::new(parts).expect_err("refused");
    let report: Vec<String> = violations
        .iter()
        .map(|violation| format!("{}: {}", violation.path, violation.message))
        .collect();
    assert_eq!(
        report,
        vec![
            "/1/components/0/amount: must be zero or more",
            "/6/id: part \"P\" is listed twice"
        ]
    );
}

/// The total of `id` by walking every path separately (exponential, for small graphs only).
fn naive_total(graph: &SupplyGraph, id: &str) -> Decimal {
    let Some(part) = graph.part(id) else {
        return Decimal::ZERO;
    };
    let own = part.footprint.as_ref().map_or(Decimal::ZERO, |footprint| {
        footprint.total / footprint.declared_unit_amount
    });
    own + part
        .components
        .iter()
        .map(|component| component.amount * naive_total(graph, &component.part))
        .sum::<Decimal>()
}

#[test]
fn random_graphs_agree_with_the_naive_evaluation() {
    for seed in 0..40 {
        let (parts, root) = synthetic_tree(40 + usize::try_from(seed).unwrap_or(0), 5, 4, seed);
        let graph = SupplyGraph::new(parts).expect("valid graph");
        let result = rollup(&graph, &root).expect("rolls up");
        assert_eq!(result.total, naive_total(&graph, &root), "seed {seed}");
        assert_eq!(
            result.stages.total(),
            result.total,
            "seed {seed}: stages sum to the total"
        );
        let tier_sum: Decimal = result.tiers.iter().map(|tier| tier.emissions).sum();
        assert_eq!(tier_sum, result.total, "seed {seed}: tiers sum to the total");
        let without_footprint = graph.parts().iter().filter(|part| part.footprint.is_none()).count();
        assert_eq!(
            result.missing.len(),
            without_footprint,
            "seed {seed}: every part without a footprint is listed"
        );
        for rating in [
            result.ratings.technological,
            result.ratings.geographical,
            result.ratings.temporal,
        ] {
            let rating = rating.expect("every synthetic footprint has ratings");
            assert!(
                rating >= d("1") && rating <= d("3"),
                "seed {seed}: a weighted mean stays within the inputs"
            );
        }
    }
}

#[test]
fn scaling_an_amount_scales_its_contribution_exactly() {
    let mut random = SplitMix64::new(7);
    for seed in 0..30 {
        let (parts, root) = synthetic_tree(60, 4, 3, 1_000 + seed);
        let graph = SupplyGraph::new(parts.clone()).expect("valid graph");
        let before = rollup(&graph, &root).expect("rolls up");
        // Scale one component line of the root by a random factor with two decimals.
        let line = usize::try_from(random.below(parts[0].components.len() as u64)).unwrap_or(0);
        let factor = random.decimal(0, 1_000, 2);
        let component = parts[0].components[line].clone();
        let component_total = rollup(&graph, &component.part).expect("rolls up").total;
        let mut scaled = parts;
        scaled[0].components[line].amount = component.amount * factor;
        let after = rollup(&SupplyGraph::new(scaled).expect("valid graph"), &root).expect("rolls up");
        let expected = before.total + (factor - Decimal::ONE) * component.amount * component_total;
        assert_eq!(after.total, expected, "seed {seed}, factor {factor}");
    }
}

#[test]
fn a_shared_part_counts_once_per_use() {
    // Two parents using the same part add it twice; one parent using it twice as well.
    use DeclaredUnit::Piece;
    let leaf = || {
        Some(own(
            Piece,
            "1",
            "1",
            "2",
            StageRatings::default(),
            StageRatings::default(),
            None,
        ))
    };
    let parts = vec![
        part("root", "A", leaf(), &[("left", "2", Piece), ("right", "3", Piece)]),
        part("left", "B", leaf(), &[("shared", "0.5", Piece)]),
        part(
            "right",
            "C",
            leaf(),
            &[("shared", "1.5", Piece), ("shared", "1", Piece)],
        ),
        part("shared", "D", leaf(), &[]),
    ];
    let result = rollup(&SupplyGraph::new(parts).expect("valid graph"), "root").expect("rolls up");
    // root 3 + 2 × (3 + 0.5 × 3) + 3 × (3 + 2.5 × 3) = 3 + 9 + 31.5 = 43.5
    assert_eq!(result.total, d("43.5"));
    assert_eq!(result.ratings.technological, None, "no ratings anywhere");
    assert_eq!(result.primary_data_share, Some(d("0")));
}

#[test]
fn a_footprint_without_stages_rolls_up_as_unstaged() {
    use DeclaredUnit::Kilogram;
    let imported = PartFootprint {
        unit: Kilogram,
        declared_unit_amount: d("2"),
        stages: None,
        total: d("5"),
        ratings: [Some(d("2")), None, Some(d("4"))],
        primary_data_share: Some(d("10")),
    };
    let parts = vec![
        part(
            "root",
            "A",
            Some(own(
                Kilogram,
                "1",
                "1",
                "1",
                ratings("1", "1", "1"),
                ratings("1", "1", "1"),
                Some("100"),
            )),
            &[("resin", "4", Kilogram)],
        ),
        part("resin", "B", Some(imported), &[]),
    ];
    let result = rollup(&SupplyGraph::new(parts).expect("valid graph"), "root").expect("rolls up");
    // resin: 5 per 2 kg = 2.5 per kg; 4 kg = 10.
    assert_eq!(result.stages.unstaged, d("10"));
    assert_eq!(result.total, d("12"));
    // TeR: (2 × 1 + 10 × 2) / 12 = 1.833333…; GeR only from the root: 1; TiR: (2 + 40) / 12 = 3.5.
    assert_eq!(result.ratings.technological, Some(d("1.833333")));
    assert_eq!(result.ratings.geographical, Some(d("1")));
    assert_eq!(result.ratings.temporal, Some(d("3.5")));
    // Primary: 2 + 10 × 10 % = 3 of 12 = 25 %.
    assert_eq!(result.primary_data_share, Some(d("25")));
}

/// The module M of the battery pack made on another node: its maker's roll-up (M and below) is
/// answered as an exact value, through its JSON form, for the pack maker's bought part "M-buy",
/// which has no footprint of its own. The pack's roll-up must equal the one on a single node.
#[test]
fn a_tier_answered_by_a_peer_rolls_up_as_on_one_node() {
    let single = rollup(&SupplyGraph::new(battery_pack()).expect("valid"), "P").expect("rolls up");

    // The module maker's node: M and what is below it.
    let supplier_parts: Vec<Part> = battery_pack()
        .into_iter()
        .filter(|part| part.id != "P" && part.id != "H")
        .collect();
    let supplier_graph = SupplyGraph::new(supplier_parts).expect("valid");
    let (_, value) = rollup_with_value(&supplier_graph, "M").expect("rolls up");
    let value = value.expect("M has a footprint");
    assert_eq!(value.total(), d("24.3"));
    let wire = value.to_json();
    let received = RolledValue::from_json(&wire).expect("its own JSON reads back");
    assert_eq!(received, value);

    // The pack maker's node: P uses 4 × its own bought part M-buy (no footprint), and H as before.
    let buyer_parts = |_: ()| -> Vec<Part> {
        battery_pack()
            .into_iter()
            .filter(|part| ["P", "H", "Al"].contains(&part.id.as_str()))
            .map(|mut part| {
                for component in &mut part.components {
                    if component.part == "M" {
                        component.part = "M-buy".to_owned();
                    }
                }
                part
            })
            .chain([part("M-buy", "A", None, &[])])
            .collect()
    };
    let mut graph = SupplyGraph::new(buyer_parts(())).expect("valid");
    assert!(graph.supply_remotely(RemotePart {
        part: "M-buy".to_owned(),
        peer: "did:web:modules.example".to_owned(),
        supplier: "did:web:modules.example:organizations:B".to_owned(),
        supplier_part: "M".to_owned(),
        outcome: RemoteOutcome::Answered(Box::new(received)),
    }));
    let federated = rollup(&graph, "P").expect("rolls up");
    assert_eq!(federated.total, single.total);
    assert_eq!(federated.stages, single.stages);
    assert_eq!(federated.tiers, single.tiers);
    assert_eq!(federated.ratings, single.ratings);
    assert_eq!(federated.primary_data_share, single.primary_data_share);
    assert_eq!(
        federated.emissions_without_primary_data_share,
        single.emissions_without_primary_data_share
    );
    // The cathode X below M is missing on the module maker's node, not here.
    assert_eq!(federated.missing, vec![]);
    assert_eq!(federated.remote_supplies.len(), 1);
    assert_eq!(
        (
            federated.remote_supplies[0].part.as_str(),
            federated.remote_supplies[0].tier,
            federated.remote_supplies[0].total
        ),
        ("M-buy", 1, d("24.3"))
    );

    // Withheld: the tier is missing, named after the peer; the rest still adds up (12 + 130).
    let mut graph = SupplyGraph::new(buyer_parts(())).expect("valid");
    graph.supply_remotely(RemotePart {
        part: "M-buy".to_owned(),
        peer: "did:web:modules.example".to_owned(),
        supplier: "did:web:modules.example:organizations:B".to_owned(),
        supplier_part: "M".to_owned(),
        outcome: RemoteOutcome::Withheld {
            detail: "no grant".to_owned(),
        },
    });
    let withheld = rollup(&graph, "P").expect("rolls up");
    assert_eq!(withheld.total, d("142"));
    assert_eq!(withheld.missing.len(), 1);
    let missing = &withheld.missing[0];
    assert_eq!(
        (missing.part.as_str(), missing.tier, missing.reason),
        ("M-buy", 1, MissingReason::Withheld)
    );
    assert_eq!(missing.peer.as_deref(), Some("did:web:modules.example"));
    assert_eq!(missing.detail.as_deref(), Some("no grant"));
    assert!(withheld.remote_supplies.is_empty());

    // An answer in another unit than the structure's amount is refused like a local one.
    let mut wrong_unit = value.clone();
    wrong_unit.unit = DeclaredUnit::Kilogram;
    let mut graph = SupplyGraph::new(buyer_parts(())).expect("valid");
    graph.supply_remotely(RemotePart {
        part: "M-buy".to_owned(),
        peer: "did:web:modules.example".to_owned(),
        supplier: "did:web:modules.example:organizations:B".to_owned(),
        supplier_part: "M".to_owned(),
        outcome: RemoteOutcome::Answered(Box::new(wrong_unit)),
    });
    assert!(matches!(
        rollup(&graph, "P").expect_err("refused").as_slice(),
        [RollupProblem::UnitMismatch { .. }]
    ));
}

/// A peer's answer is input: bad decimals, negative values, a missing unit and figures that do
/// not add up are refused with their paths.
#[test]
fn a_peer_answer_that_is_not_a_roll_up_is_refused() {
    let graph = SupplyGraph::new(battery_pack()).expect("valid");
    let (_, value) = rollup_with_value(&graph, "M").expect("rolls up");
    let good = value.expect("footprint").to_json();
    let mut bad = good.clone();
    bad["stages"]["main_production_own"] = serde_json::json!("-1");
    bad["unit"] = serde_json::json!("gallon");
    bad["primary"] = serde_json::json!(3.5);
    let paths: Vec<String> = RolledValue::from_json(&bad)
        .expect_err("refused")
        .iter()
        .map(|violation| violation.path.clone())
        .collect();
    assert_eq!(paths, ["/stages/main_production_own", "/primary", "/unit"]);
    let mut inconsistent = good;
    inconsistent["tiers"][0] = serde_json::json!("1000");
    let paths: Vec<String> = RolledValue::from_json(&inconsistent)
        .expect_err("refused")
        .iter()
        .map(|violation| violation.path.clone())
        .collect();
    assert_eq!(paths, ["/tiers"]);
}
