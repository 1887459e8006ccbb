//! Targets (目標値) and the gap of a value to them: Japan's national material-flow targets of the
//! 4th (2018, for FY2025) and 5th (2024, for FY2030) Fundamental Plans, and any target a member
//! sets, with the direction in which the indicator improves.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which way an indicator improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (rates, productivity).
    AtLeast,
    /// Lower is better (final disposal).
    AtMost,
}

/// A target for one output of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The indicator (`jp-material-flow`).
    pub indicator: &'static str,
    /// The result's name for the value (`inlet_circular_use_rate_pct`).
    pub output: &'static str,
    /// The fiscal year the target is for.
    pub fiscal_year: u16,
    /// The target value.
    pub value: Decimal,
    /// Which way the indicator improves.
    pub direction: Direction,
    /// Where the target is set.
    pub set_by: &'static str,
}

/// How far a value is from its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// value − target.
    pub difference: Decimal,
    /// Whether the target is met.
    pub met: bool,
}

impl Target {
    /// The gap of `value` to the target.
    pub fn gap(&self, value: Decimal) -> Gap {
        gap(value, self.value, self.direction)
    }
}

/// The gap of `value` to a target of `target` in `direction`: value − target, and whether the
/// target is met.
pub fn gap(value: Decimal, target: Decimal, direction: Direction) -> Gap {
    let difference = value - target;
    let met = match direction {
        Direction::AtLeast => difference >= Decimal::ZERO,
        Direction::AtMost => difference <= Decimal::ZERO,
    };
    Gap { difference, met }
}

const FOURTH_PLAN: &str = "4th Fundamental Plan for Establishing a Sound Material-Cycle Society (2018)";
const FIFTH_PLAN: &str = "5th Fundamental Plan for Establishing a Sound Material-Cycle Society (2024)";

/// Japan's national targets for the material-flow indicators.
pub fn japan_national_targets() -> Vec<Target> {
    let target = |output, fiscal_year, value: Decimal, direction, set_by| Target {
        indicator: "jp-material-flow",
        output,
        fiscal_year,
        value,
        direction,
        set_by,
    };
    vec![
        target(
            "resource_productivity_man_yen_per_t",
            2025,
            Decimal::from(49),
            Direction::AtLeast,
            FOURTH_PLAN,
        ),
        target(
            "inlet_circular_use_rate_pct",
            2025,
            Decimal::from(18),
            Direction::AtLeast,
            FOURTH_PLAN,
        ),
        target(
            "outlet_circular_use_rate_pct",
            2025,
            Decimal::from(47),
            Direction::AtLeast,
            FOURTH_PLAN,
        ),
        target(
            "final_disposal_mt",
            2025,
            Decimal::from(13),
            Direction::AtMost,
            FOURTH_PLAN,
        ),
        target(
            "resource_productivity_man_yen_per_t",
            2030,
            Decimal::from(60),
            Direction::AtLeast,
            FIFTH_PLAN,
        ),
        target(
            "inlet_circular_use_rate_pct",
            2030,
            Decimal::from(19),
            Direction::AtLeast,
            FIFTH_PLAN,
        ),
        target(
            "outlet_circular_use_rate_pct",
            2030,
            Decimal::from(44),
            Direction::AtLeast,
            FIFTH_PLAN,
        ),
        target(
            "final_disposal_mt",
            2030,
            Decimal::from(11),
            Direction::AtMost,
            FIFTH_PLAN,
        ),
    ]
}
