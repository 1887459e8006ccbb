//! The chain-of-custody ledger of ISO 22095 (CoC モデル): which output lots may claim which
//! recycled share, backed by which input lots. One ledger covers one facility, material and
//! period. It can never be overdrawn, an input lot is entered once, an output lot claims once,
//! and every claim lists the input lots (and the credits from each) that back it.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::PERCENT;

/// The chain-of-custody model (ISO 22095:2020, clause 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustodyModel {
    /// 識別保持: the output is the one input lot it came from, unmixed.
    IdentityPreserved,
    /// 分別: only inputs that are wholly recycled are mixed; outputs are wholly recycled.
    Segregated,
    /// 管理された混合: the output carries the exact share of the blend it came from.
    ControlledBlending,
    /// マスバランス（平均比率法）: every output may claim the period's average input share.
    MassBalanceRollingAverage,
    /// マスバランス（クレジット法）: recycled input × conversion factor gives credits, which
    /// claims draw down; no output may claim more than the credits left.
    MassBalanceCredit,
    /// ブック・アンド・クレーム: certificates traded apart from the material; claims draw on them.
    BookAndClaim,
}

impl CustodyModel {
    /// Every model with its input name.
    pub const ALL: [(&'static str, CustodyModel); 6] = [
        ("identity_preserved", CustodyModel::IdentityPreserved),
        ("segregated", CustodyModel::Segregated),
        ("controlled_blending", CustodyModel::ControlledBlending),
        ("mass_balance_rolling_average", CustodyModel::MassBalanceRollingAverage),
        ("mass_balance_credit", CustodyModel::MassBalanceCredit),
        ("book_and_claim", CustodyModel::BookAndClaim),
    ];

    /// Parses the input name.
    pub fn parse(name: &str) -> Option<CustodyModel> {
        CustodyModel::ALL
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, model)| *model)
    }

    /// The input name (`mass_balance_credit`).
    pub fn as_str(self) -> &'static str {
        CustodyModel::ALL
            .iter()
            .find(|(_, model)| *model == self)
            .map(|(name, _)| *name)
            .expect("every model is listed in ALL")
    }
}

/// Where an input lot's recycled material comes from (ISO 14021).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// ポストインダストリアル / pre-consumer (manufacturing scrap).
    PreConsumer,
    /// ポストコンシューマ / post-consumer.
    PostConsumer,
    /// Not stated.
    Unspecified,
}

/// An input lot entering the process in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputLot {
    /// The lot's identifier (an EPC class, lot Digital Link or any id).
    pub lot: String,
    /// Its mass in tonnes.
    pub mass_t: Decimal,
    /// Its recycled share, 0–100 %.
    pub recycled_share_pct: Decimal,
    /// Where its recycled part comes from.
    pub category: Category,
}

impl InputLot {
    /// The recycled mass of the lot.
    pub fn recycled_t(&self) -> Decimal {
        self.mass_t * self.recycled_share_pct / PERCENT
    }
}

/// A claim asked for: an output lot, its mass and the recycled share it would carry, optionally
/// naming the input lots that back it (otherwise they are drawn in the order entered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The output lot.
    pub output_lot: String,
    /// Its mass in tonnes.
    pub mass_t: Decimal,
    /// The recycled share claimed, 0–100 %.
    pub recycled_share_pct: Decimal,
    /// Input lots to draw from, in order; empty for any.
    pub backed_by: Vec<String>,
}

/// The credits one input lot gives to one claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backing {
    /// The input lot.
    pub lot: String,
    /// The credits (tonnes of recycled material) drawn from it.
    pub credits_t: Decimal,
    /// Where its recycled material comes from.
    pub category: Category,
}

/// An accepted claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// The output lot.
    pub output_lot: String,
    /// Its mass in tonnes.
    pub mass_t: Decimal,
    /// The recycled share it carries, 0–100 %.
    pub recycled_share_pct: Decimal,
    /// Its recycled mass: mass × share.
    pub credits_t: Decimal,
    /// The input lots that back it.
    pub backing: Vec<Backing>,
}

/// Why an input or a claim was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// The same input lot was entered twice (its recycled material would count twice).
    DuplicateLot {
        /// The lot.
        lot: String,
    },
    /// The same output lot claimed twice.
    DuplicateClaim {
        /// The output lot.
        output_lot: String,
    },
    /// A claim names an input lot the ledger does not have.
    UnknownLot {
        /// The lot.
        lot: String,
    },
    /// A lot that does not fit the model (a partly virgin lot in a segregated chain).
    LotNotAdmitted {
        /// The lot.
        lot: String,
        /// Why.
        reason: String,
    },
    /// A claim needs more credits than are left (in the ledger, or in the lots it names).
    Overdrawn {
        /// The output lot.
        output_lot: String,
        /// Credits the claim needs.
        needed_t: Decimal,
        /// Credits left to it.
        available_t: Decimal,
        /// Claims that already drew on the lots named, when the claim names lots (double counting).
        already_claimed_by: Vec<String>,
    },
    /// A claim's share is more than the model allows for it.
    ShareTooHigh {
        /// The output lot.
        output_lot: String,
        /// The share claimed.
        claimed_pct: Decimal,
        /// The most it may claim.
        allowed_pct: Decimal,
    },
    /// An identity-preserved claim must name exactly one input lot.
    NotOneLot {
        /// The output lot.
        output_lot: String,
    },
}

impl fmt::Display for LedgerError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::DuplicateLot { lot } => write!(
                formatter,
                "input lot {lot:?} is entered twice; its recycled material would be counted twice"
            ),
            LedgerError::DuplicateClaim { output_lot } => {
                write!(formatter, "output lot {output_lot:?} already has a claim")
            }
            LedgerError::UnknownLot { lot } => write!(formatter, "input lot {lot:?} is not an input of this ledger"),
            LedgerError::LotNotAdmitted { lot, reason } => {
                write!(formatter, "input lot {lot:?} is not admitted: {reason}")
            }
            LedgerError::Overdrawn {
                output_lot,
                needed_t,
                available_t,
                already_claimed_by,
            } => {
                write!(
                    formatter,
                    "the claim for output lot {output_lot:?} needs {} t of recycled credits but only {} t are left",
                    needed_t.normalize(),
                    available_t.normalize()
                )?;
                if !already_claimed_by.is_empty() {
                    write!(
                        formatter,
                        "; the input lots it names already back the claims for {} (double counting is refused)",
                        already_claimed_by.join(", ")
                    )?;
                }
                Ok(())
            }
            LedgerError::ShareTooHigh {
                output_lot,
                claimed_pct,
                allowed_pct,
            } => write!(
                formatter,
                "output lot {output_lot:?} claims {} % recycled content; the model allows at most {} %",
                claimed_pct.normalize(),
                allowed_pct.round_dp(6).normalize()
            ),
            LedgerError::NotOneLot { output_lot } => write!(
                formatter,
                "output lot {output_lot:?}: an identity-preserved claim names exactly one input lot in backed_by"
            ),
        }
    }
}

impl std::error::Error for LedgerError {}

/// One input lot's account.
#[derive(Debug, Clone)]
struct Account {
    lot: InputLot,
    /// Credits carried over from an earlier period: no input of this period, so outside its
    /// mass and average share.
    carried: bool,
    credits_t: Decimal,
    remaining_t: Decimal,
    claimed_by: Vec<String>,
}

/// The ledger of one facility, material and period.
#[derive(Debug, Clone)]
pub struct Ledger {
    model: CustodyModel,
    conversion_factor: Decimal,
    allowed_share_pct: Option<Decimal>,
    accounts: Vec<Account>,
    claims: Vec<Claim>,
}

impl Ledger {
    /// A ledger for `model` whose outputs are `conversion_factor` × inputs (yield, > 0).
    pub fn new(model: CustodyModel, conversion_factor: Decimal) -> Ledger {
        Ledger {
            model,
            conversion_factor,
            allowed_share_pct: None,
            accounts: Vec::new(),
            claims: Vec::new(),
        }
    }

    /// Enters an input lot; refused when the lot is already in, or does not fit the model.
    pub fn add_input(&mut self, lot: InputLot) -> Result<(), LedgerError> {
        if self.accounts.iter().any(|account| account.lot.lot == lot.lot) {
            return Err(LedgerError::DuplicateLot { lot: lot.lot });
        }
        if self.model == CustodyModel::Segregated && lot.recycled_share_pct != PERCENT {
            return Err(LedgerError::LotNotAdmitted {
                reason: format!(
                    "a segregated chain mixes only wholly recycled lots, this one is {} % recycled",
                    lot.recycled_share_pct.normalize()
                ),
                lot: lot.lot,
            });
        }
        // Book and claim certificates are already tonnes of recycled material; elsewhere the
        // yield of the process turns recycled input into recycled output.
        let factor = if self.model == CustodyModel::BookAndClaim {
            Decimal::ONE
        } else {
            self.conversion_factor
        };
        let credits_t = lot.recycled_t() * factor;
        self.accounts.push(Account {
            lot,
            carried: false,
            credits_t,
            remaining_t: credits_t,
            claimed_by: Vec::new(),
        });
        Ok(())
    }

    /// Enters credits carried over from an earlier period (繰越し) under the name `lot`:
    /// `credits_t` of recycled material, already converted, which claims draw like any lot's but
    /// which are no input of this period (outside its input mass and average share).
    pub fn add_carried(&mut self, lot: &str, credits_t: Decimal, category: Category) -> Result<(), LedgerError> {
        if self.accounts.iter().any(|account| account.lot.lot == lot) {
            return Err(LedgerError::DuplicateLot { lot: lot.to_owned() });
        }
        self.accounts.push(Account {
            lot: InputLot {
                lot: lot.to_owned(),
                mass_t: Decimal::ZERO,
                recycled_share_pct: Decimal::ZERO,
                category,
            },
            carried: true,
            credits_t,
            remaining_t: credits_t,
            claimed_by: Vec::new(),
        });
        Ok(())
    }

    /// Sets the share claims may carry under a share-based model to `share_pct` instead of the
    /// average of the ledger's own inputs (a rolling window over several periods). Credits
    /// are still drawn from the ledger's own inputs, so it is never overdrawn.
    pub fn allow_share(&mut self, share_pct: Decimal) {
        self.allowed_share_pct = Some(share_pct);
    }

    /// The model.
    pub fn model(&self) -> CustodyModel {
        self.model
    }

    /// Total input mass (carried-over credits are no input).
    pub fn input_t(&self) -> Decimal {
        self.accounts
            .iter()
            .filter(|account| !account.carried)
            .map(|account| account.lot.mass_t)
            .sum()
    }

    /// Total recycled input mass.
    pub fn recycled_input_t(&self) -> Decimal {
        self.accounts
            .iter()
            .filter(|account| !account.carried)
            .map(|account| account.lot.recycled_t())
            .sum()
    }

    /// Credits given by all inputs.
    pub fn credits_t(&self) -> Decimal {
        self.accounts.iter().map(|account| account.credits_t).sum()
    }

    /// Credits claimed so far.
    pub fn claimed_t(&self) -> Decimal {
        self.claims.iter().map(|claim| claim.credits_t).sum()
    }

    /// Credits left.
    pub fn remaining_t(&self) -> Decimal {
        self.accounts.iter().map(|account| account.remaining_t).sum()
    }

    /// The average recycled share of the inputs (`None` without inputs).
    pub fn average_share_pct(&self) -> Option<Decimal> {
        let input = self.input_t();
        (!input.is_zero()).then(|| self.recycled_input_t() / input * PERCENT)
    }

    /// The accepted claims, in order.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// Credits left in one input lot (`None` when the ledger does not have it).
    pub fn remaining_of(&self, lot: &str) -> Option<Decimal> {
        self.accounts
            .iter()
            .find(|account| account.lot.lot == lot)
            .map(|account| account.remaining_t)
    }

    /// Applies a claim accepted earlier (as stored), drawing exactly the credits its backing
    /// names. Refused, changing nothing, when the output lot already has a claim, a backing names
    /// a lot the ledger does not have, or draws more than the lot has left: stored claims that
    /// no longer fit their inputs are reported, never silently accepted.
    pub fn record(&mut self, claim: Claim) -> Result<(), LedgerError> {
        if self
            .claims
            .iter()
            .any(|existing| existing.output_lot == claim.output_lot)
        {
            return Err(LedgerError::DuplicateClaim {
                output_lot: claim.output_lot,
            });
        }
        let mut drawn: Vec<(usize, Decimal)> = Vec::with_capacity(claim.backing.len());
        for backing in &claim.backing {
            let Some(index) = self.accounts.iter().position(|account| account.lot.lot == backing.lot) else {
                return Err(LedgerError::UnknownLot {
                    lot: backing.lot.clone(),
                });
            };
            let already: Decimal = drawn
                .iter()
                .filter(|(other, _)| *other == index)
                .map(|(_, credits)| *credits)
                .sum();
            let account = &self.accounts[index];
            if backing.credits_t < Decimal::ZERO || already + backing.credits_t > account.remaining_t {
                return Err(LedgerError::Overdrawn {
                    output_lot: claim.output_lot.clone(),
                    needed_t: already + backing.credits_t,
                    available_t: account.remaining_t,
                    already_claimed_by: account.claimed_by.clone(),
                });
            }
            drawn.push((index, backing.credits_t));
        }
        for (index, credits) in drawn {
            let account = &mut self.accounts[index];
            account.remaining_t -= credits;
            account.claimed_by.push(claim.output_lot.clone());
        }
        self.claims.push(claim);
        Ok(())
    }

    /// Accepts `request` or says why not; a refused claim changes nothing.
    pub fn claim(&mut self, request: ClaimRequest) -> Result<&Claim, LedgerError> {
        if self.claims.iter().any(|claim| claim.output_lot == request.output_lot) {
            return Err(LedgerError::DuplicateClaim {
                output_lot: request.output_lot,
            });
        }
        for lot in &request.backed_by {
            if !self.accounts.iter().any(|account| &account.lot.lot == lot) {
                return Err(LedgerError::UnknownLot { lot: lot.clone() });
            }
        }
        let needed_t = request.mass_t * request.recycled_share_pct / PERCENT;
        match self.model {
            CustodyModel::IdentityPreserved => {
                let [lot] = request.backed_by.as_slice() else {
                    return Err(LedgerError::NotOneLot {
                        output_lot: request.output_lot,
                    });
                };
                let account = self
                    .accounts
                    .iter()
                    .find(|account| &account.lot.lot == lot)
                    .expect("checked above");
                if request.recycled_share_pct > account.lot.recycled_share_pct {
                    return Err(LedgerError::ShareTooHigh {
                        output_lot: request.output_lot,
                        claimed_pct: request.recycled_share_pct,
                        allowed_pct: account.lot.recycled_share_pct,
                    });
                }
            }
            CustodyModel::Segregated | CustodyModel::MassBalanceCredit | CustodyModel::BookAndClaim => {}
            CustodyModel::ControlledBlending | CustodyModel::MassBalanceRollingAverage => {
                let allowed_pct = self
                    .allowed_share_pct
                    .or_else(|| self.average_share_pct())
                    .unwrap_or_default();
                if request.recycled_share_pct > allowed_pct {
                    return Err(LedgerError::ShareTooHigh {
                        output_lot: request.output_lot,
                        claimed_pct: request.recycled_share_pct,
                        allowed_pct,
                    });
                }
            }
        }
        // Draw the credits: from the named lots in order, or from every lot in entry order.
        let named = !request.backed_by.is_empty();
        let order: Vec<usize> = if named {
            request
                .backed_by
                .iter()
                .filter_map(|lot| self.accounts.iter().position(|account| &account.lot.lot == lot))
                .collect()
        } else {
            (0..self.accounts.len()).collect()
        };
        let available_t: Decimal = order.iter().map(|index| self.accounts[*index].remaining_t).sum();
        // Share-based models still cannot hand out more recycled material than came in.
        if needed_t > available_t {
            let mut already_claimed_by: Vec<String> = if named {
                order
                    .iter()
                    .flat_map(|index| self.accounts[*index].claimed_by.iter().cloned())
                    .collect()
            } else {
                Vec::new()
            };
            already_claimed_by.dedup();
            return Err(LedgerError::Overdrawn {
                output_lot: request.output_lot,
                needed_t,
                available_t,
                already_claimed_by,
            });
        }
        let mut backing = Vec::new();
        let mut left = needed_t;
        for index in order {
            if left.is_zero() {
                break;
            }
            let account = &mut self.accounts[index];
            let drawn = left.min(account.remaining_t);
            if drawn.is_zero() {
                continue;
            }
            account.remaining_t -= drawn;
            account.claimed_by.push(request.output_lot.clone());
            left -= drawn;
            backing.push(Backing {
                lot: account.lot.lot.clone(),
                credits_t: drawn,
                category: account.lot.category,
            });
        }
        self.claims.push(Claim {
            output_lot: request.output_lot,
            mass_t: request.mass_t,
            recycled_share_pct: request.recycled_share_pct,
            credits_t: needed_t,
            backing,
        });
        Ok(self.claims.last().expect("just pushed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("a test decimal")
    }

    fn lot(name: &str, mass: &str, share: &str) -> InputLot {
        InputLot {
            lot: name.to_owned(),
            mass_t: decimal(mass),
            recycled_share_pct: decimal(share),
            category: Category::PostConsumer,
        }
    }

    fn request(output: &str, mass: &str, share: &str, backed_by: &[&str]) -> ClaimRequest {
        ClaimRequest {
            output_lot: output.to_owned(),
            mass_t: decimal(mass),
            recycled_share_pct: decimal(share),
            backed_by: backed_by.iter().map(|lot| (*lot).to_owned()).collect(),
        }
    }

    #[test]
    fn credit_ledger_is_never_overdrawn_and_claims_name_their_lots() {
        let mut ledger = Ledger::new(CustodyModel::MassBalanceCredit, decimal("0.9"));
        ledger.add_input(lot("recycled-1", "60", "100")).expect("first lot");
        ledger.add_input(lot("recycled-2", "40", "50")).expect("second lot");
        ledger.add_input(lot("virgin-1", "900", "0")).expect("virgin lot");
        // (60 + 20) × 0.9 = 72 t of credits.
        assert_eq!(ledger.credits_t(), decimal("72"));
        let claim = ledger.claim(request("out-1", "60", "100", &[])).expect("60 t fits");
        assert_eq!(claim.backing[0].lot, "recycled-1");
        assert_eq!(claim.backing[0].credits_t, decimal("54"));
        assert_eq!(claim.backing[1].credits_t, decimal("6"));
        let refused = ledger
            .claim(request("out-2", "20", "100", &[]))
            .expect_err("only 12 t left");
        assert!(
            refused
                .to_string()
                .contains("needs 20 t of recycled credits but only 12 t are left"),
            "{refused}"
        );
        assert_eq!(ledger.remaining_t(), decimal("12"), "a refused claim changes nothing");
        assert_eq!(ledger.claims().len(), 1);
        let again = ledger
            .claim(request("out-1", "1", "10", &[]))
            .expect_err("one claim per output lot");
        assert_eq!(
            again,
            LedgerError::DuplicateClaim {
                output_lot: "out-1".to_owned()
            }
        );
    }

    #[test]
    fn naming_an_exhausted_lot_again_is_double_counting() {
        let mut ledger = Ledger::new(CustodyModel::MassBalanceCredit, Decimal::ONE);
        ledger.add_input(lot("r", "10", "100")).expect("lot");
        ledger.claim(request("a", "10", "100", &["r"])).expect("all of r");
        let refused = ledger.claim(request("b", "5", "100", &["r"])).expect_err("r is spent");
        assert!(
            refused
                .to_string()
                .contains("already back the claims for a (double counting is refused)"),
            "{refused}"
        );
        assert_eq!(
            ledger.add_input(lot("r", "1", "100")),
            Err(LedgerError::DuplicateLot { lot: "r".to_owned() })
        );
    }

    #[test]
    fn share_models_cap_the_share() {
        let mut ledger = Ledger::new(CustodyModel::MassBalanceRollingAverage, Decimal::ONE);
        ledger.add_input(lot("r", "100", "100")).expect("lot");
        ledger.add_input(lot("v", "900", "0")).expect("lot");
        assert_eq!(ledger.average_share_pct(), Some(decimal("10")));
        ledger.claim(request("a", "500", "10", &[])).expect("10 % of 500 t");
        let refused = ledger
            .claim(request("b", "100", "11", &[]))
            .expect_err("above the average");
        assert!(matches!(refused, LedgerError::ShareTooHigh { .. }));

        let mut segregated = Ledger::new(CustodyModel::Segregated, Decimal::ONE);
        assert!(matches!(
            segregated.add_input(lot("half", "10", "50")),
            Err(LedgerError::LotNotAdmitted { .. })
        ));

        let mut identity = Ledger::new(CustodyModel::IdentityPreserved, Decimal::ONE);
        identity.add_input(lot("x", "10", "30")).expect("lot");
        assert!(matches!(
            identity.claim(request("o", "10", "30", &[])),
            Err(LedgerError::NotOneLot { .. })
        ));
        assert!(matches!(
            identity.claim(request("o", "10", "31", &["x"])),
            Err(LedgerError::ShareTooHigh { .. })
        ));
        identity
            .claim(request("o", "10", "30", &["x"]))
            .expect("the lot's own share");
    }

    #[test]
    fn recorded_claims_draw_their_backing_and_never_overdraw() {
        let mut first = Ledger::new(CustodyModel::MassBalanceCredit, Decimal::ONE);
        first.add_input(lot("r", "10", "100")).expect("lot");
        first.add_input(lot("s", "10", "50")).expect("lot");
        let accepted = first.claim(request("a", "12", "100", &[])).expect("12 of 15 t").clone();
        let mut replayed = Ledger::new(CustodyModel::MassBalanceCredit, Decimal::ONE);
        replayed.add_input(lot("r", "10", "100")).expect("lot");
        replayed.add_input(lot("s", "10", "50")).expect("lot");
        replayed.record(accepted.clone()).expect("fits");
        assert_eq!(replayed.remaining_t(), decimal("3"));
        assert_eq!(replayed.remaining_of("r"), Some(Decimal::ZERO));
        assert!(matches!(
            replayed.record(accepted.clone()),
            Err(LedgerError::DuplicateClaim { .. })
        ));
        let mut greedy = accepted;
        greedy.output_lot = "b".to_owned();
        let refused = replayed.record(greedy).expect_err("r is spent");
        assert!(matches!(refused, LedgerError::Overdrawn { .. }), "{refused}");
        assert_eq!(replayed.remaining_t(), decimal("3"), "a refused record changes nothing");
    }
}
