//! A deterministic synthetic supply tree for benchmarks and property tests (`junkan bench
//! rollup`): parts spread over tiers that widen downwards, each used by a parent one tier up and
//! some by a second parent, made by a fixed number of organizations, with a few suppliers that
//! have not answered yet (no footprint).

use rust_decimal::Decimal;

use crate::model::{DeclaredUnit, StageBreakdown, StageEmissions, StageRatings};
use crate::rollup::{Component, Part, PartFootprint};

/// SplitMix64: a tiny, well-mixed, seedable generator, so that the tree depends only on the seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// A decimal `mantissa` × 10^-`scale`, the mantissa drawn from `low..=high`.
    pub fn decimal(&mut self, low: i64, high: i64, scale: u32) -> Decimal {
        let span = u64::try_from(high - low + 1).unwrap_or(1);
        let offset = i64::try_from(self.below(span)).unwrap_or(0);
        Decimal::new(low + offset, scale)
    }
}

/// How many parts each tier holds: one root, then tiers widening by about the same factor, every
/// tier non-empty, `parts` in all (`parts` >= `tiers` >= 1).
pub fn tier_sizes(parts: usize, tiers: usize) -> Vec<usize> {
    let tiers = tiers.max(1);
    let parts = parts.max(tiers);
    if tiers == 1 {
        return vec![parts];
    }
    // Growth factor: the smallest integer g with 1 + g + ... + g^(tiers-1) >= parts.
    let mut growth = 1usize;
    loop {
        let mut sum = 0usize;
        let mut width = 1usize;
        for _ in 0..tiers {
            sum = sum.saturating_add(width);
            width = width.saturating_mul(growth);
        }
        if sum >= parts || growth > parts {
            break;
        }
        growth += 1;
    }
    let mut sizes = vec![1usize];
    let mut remaining = parts - 1;
    let mut width = 1usize;
    for tier in 1..tiers {
        let tiers_left = tiers - tier;
        width = width.saturating_mul(growth);
        let size = if tiers_left == 1 {
            remaining
        } else {
            width.min(remaining - (tiers_left - 1)).max(1)
        };
        sizes.push(size);
        remaining -= size;
    }
    sizes
}

/// A synthetic supply tree of `parts` parts over `tiers` tiers made by `organizations`
/// organizations, the same for the same arguments. Returns the parts and the root's id.
///
/// Every part of tier t > 0 is a component of one part of tier t - 1; one in ten also of a
/// second; one in a hundred has no footprint. Amounts have two decimals, emissions three; leaf
/// parts are materials in kilograms, the others pieces.
pub fn synthetic_tree(parts: usize, organizations: usize, tiers: usize, seed: u64) -> (Vec<Part>, String) {
    let mut random = SplitMix64::new(seed);
    let sizes = tier_sizes(parts, tiers);
    let organizations = organizations.max(1) as u64;
    let mut tier_ranges = Vec::with_capacity(sizes.len());
    let mut start = 0usize;
    for &size in &sizes {
        tier_ranges.push(start..start + size);
        start += size;
    }
    let leaf_tier = sizes.len() - 1;
    let unit_of_tier = |tier: usize| {
        if tier == leaf_tier && tier > 0 {
            DeclaredUnit::Kilogram
        } else {
            DeclaredUnit::Piece
        }
    };
    let mut all: Vec<Part> = Vec::with_capacity(start);
    for (tier, range) in tier_ranges.iter().enumerate() {
        for index in range.clone() {
            let organization = if index == 0 { 0 } else { random.below(organizations) };
            let footprint = (index == 0 || random.below(100) != 0).then(|| {
                let stage = |random: &mut SplitMix64| StageEmissions {
                    own: random.decimal(0, 50_000, 3),
                    components: random.decimal(0, 5_000, 3),
                    ratings: StageRatings {
                        technological: Some(random.decimal(10, 30, 1)),
                        geographical: Some(random.decimal(10, 30, 1)),
                        temporal: Some(random.decimal(10, 30, 1)),
                    },
                };
                let stages = StageBreakdown {
                    pre_production: stage(&mut random),
                    main_production: stage(&mut random),
                };
                PartFootprint {
                    unit: unit_of_tier(tier),
                    declared_unit_amount: Decimal::ONE,
                    total: stages.total(),
                    stages: Some(stages),
                    ratings: [None; 3],
                    primary_data_share: (random.below(4) != 0).then(|| random.decimal(0, 100, 0)),
                }
            });
            all.push(Part {
                id: format!("part-{index:06}"),
                organization: format!("org-{organization:03}"),
                footprint,
                components: Vec::new(),
            });
        }
    }
    for tier in 1..tier_ranges.len() {
        let parents = tier_ranges[tier - 1].clone();
        let parent_count = parents.len() as u64;
        for (position, index) in tier_ranges[tier].clone().enumerate() {
            // Spread children evenly, so that every parent gets some.
            let first = parents.start + position % parents.len();
            let mut users = vec![first];
            if parent_count > 1 && random.below(10) == 0 {
                let second = parents.start + usize::try_from(random.below(parent_count)).unwrap_or(0);
                if second != first {
                    users.push(second);
                }
            }
            for user in users {
                let component = Component {
                    part: all[index].id.clone(),
                    amount: random.decimal(1, 1_000, 2),
                    unit: unit_of_tier(tier),
                };
                all[user].components.push(component);
            }
        }
    }
    let root = all[0].id.clone();
    (all, root)
}

/// The benchmark's shape (issue 5): 10,000 parts, 50 organizations, 5 tiers.
pub const BENCHMARK_PARTS: usize = 10_000;
/// Organizations of the benchmark tree.
pub const BENCHMARK_ORGANIZATIONS: usize = 50;
/// Tiers of the benchmark tree.
pub const BENCHMARK_TIERS: usize = 5;

/// The benchmark's supply graph for `seed`, ready for [`crate::rollup::rollup`] from the returned root.
pub fn benchmark_graph(seed: u64) -> (crate::rollup::SupplyGraph, String) {
    let (parts, root) = synthetic_tree(BENCHMARK_PARTS, BENCHMARK_ORGANIZATIONS, BENCHMARK_TIERS, seed);
    let graph =
        crate::rollup::SupplyGraph::new(parts).expect("synthetic parts have unique ids and non-negative amounts");
    (graph, root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_widen_and_hold_every_part() {
        assert_eq!(tier_sizes(10_000, 5), vec![1, 10, 100, 1000, 8889]);
        assert_eq!(tier_sizes(5, 5), vec![1, 1, 1, 1, 1]);
        assert_eq!(tier_sizes(7, 3), vec![1, 2, 4]);
        assert_eq!(tier_sizes(3, 1), vec![3]);
        for (parts, tiers) in [(10, 4), (100, 2), (1234, 6)] {
            let sizes = tier_sizes(parts, tiers);
            assert_eq!(sizes.iter().sum::<usize>(), parts);
            assert_eq!(sizes.len(), tiers);
            assert!(sizes.iter().all(|&size| size >= 1));
        }
    }

    #[test]
    fn the_tree_is_deterministic() {
        let (first, root) = synthetic_tree(500, 7, 4, 42);
        let (second, _) = synthetic_tree(500, 7, 4, 42);
        let (other, _) = synthetic_tree(500, 7, 4, 43);
        assert_eq!(first, second);
        assert_ne!(first, other);
        assert_eq!(root, "part-000000");
        assert_eq!(first.len(), 500);
    }

    #[test]
    fn the_benchmark_graph_rolls_up() {
        let (graph, root) = benchmark_graph(1);
        let result = crate::rollup::rollup(&graph, &root).expect("rolls up");
        assert_eq!(result.parts_visited, BENCHMARK_PARTS);
        assert_eq!(result.tiers.len(), BENCHMARK_TIERS);
        assert!(
            !result.missing.is_empty(),
            "about one part in a hundred has no footprint"
        );
    }
}
