//! Contract cases for chain-of-custody ledgers (CoC 台帳, issue 6): never overdrawn, an input lot
//! counted once, claims immutable and reversed instead, period boundaries, concurrent claims,
//! inputs from TransformationEvents with shares from passports and upstream claims, unknown
//! shares reported as missing, per-material accounting (a lot's part of each material, each
//! material's own credits), and the read rule with its audit.

use serde_json::{json, Value};

use junkan_indicators::custody::{
    product_battery_check, FractionSource, ImportLedgerInputs, LedgerFilter, NewCarryOver, NewLedger, NewLedgerClaim,
    NewLedgerInput, ReverseClaim,
};
use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::audit::{AuditAction, AuditFilter};
use junkan_model::event::{CaptureErrorBehaviour, CapturedEvent, EventIdentifier, IdentifierRole};
use junkan_model::facility::Visibility;
use junkan_model::ids::{FacilityId, LedgerId};
use junkan_model::principal::{Actor, Role};
use time::Duration;

use super::{capture_of, facility, first_page, member_of, organization, plastics_passport, START};
use crate::{ManualClock, Store, StoreError};

pub(super) fn ledger(facility: FacilityId, material: &str, model: &str, period: &str, extra: Value) -> NewLedger {
    let mut value = json!({"facility_id": facility, "material": material, "model": model, "period": period});
    if let (Some(target), Some(fields)) = (value.as_object_mut(), extra.as_object()) {
        target.extend(fields.clone());
    }
    serde_json::from_value(value).expect("the shape of a ledger")
}

pub(super) fn input(value: Value) -> NewLedgerInput {
    serde_json::from_value(value).expect("the shape of an input")
}

fn claim(output: &str, mass: &str, share: &str, backed_by: &[&str]) -> NewLedgerClaim {
    serde_json::from_value(
        json!({"output_lot": output, "mass": mass, "unit": "t", "recycled_share_pct": share,
                                  "backed_by": backed_by, "claimed_on": "2026-06-30"}),
    )
    .expect("the shape of a claim")
}

fn paths<T: std::fmt::Debug>(result: Result<T, StoreError>) -> Vec<String> {
    match result {
        Err(StoreError::Invalid(violations)) => violations.into_iter().map(|violation| violation.path).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict { message, .. }) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub(super) async fn plant(store: &dyn Store, admin: &Actor, gln: Option<&str>) -> FacilityId {
    let mut new = facility("再生", Visibility::Restricted);
    new.gln = gln.map(str::to_owned);
    store
        .create_facility(admin, admin.organization_id.expect("a member"), new)
        .await
        .expect("valid facility")
        .id
}

/// A ledger is never overdrawn, counts an input lot once, keeps claims immutable (a reversal
/// gives credits back), keeps to its period and, once closed, takes nothing more; other
/// organizations do not see it unless granted, and such reads are audited.
pub async fn ledgers_are_never_overdrawn_and_count_lots_once(store: &dyn Store, _clock: &ManualClock) {
    let recycler = organization(store, "再生樹脂", &[]).await;
    let other = organization(store, "他社", &[]).await;
    let admin = member_of(recycler, &[Role::OrgAdmin, Role::Member]);
    let outsider = member_of(other, &[Role::OrgAdmin, Role::Member]);
    let auditor = member_of(other, &[Role::Auditor]);
    let facility_id = plant(store, &admin, None).await;

    // Bad ledgers are refused with every problem; another organization's facility is not found.
    assert_eq!(
        paths(
            store
                .create_ledger(
                    &admin,
                    ledger(
                        facility_id,
                        "",
                        "mass_balance",
                        "2026-04-01/2026-03-01",
                        json!({"conversion_factor": -1})
                    )
                )
                .await
        ),
        ["/material", "/model", "/period", "/conversion_factor"]
    );
    assert_eq!(
        paths(
            store
                .create_ledger(
                    &outsider,
                    ledger(
                        facility_id,
                        "PP",
                        "mass_balance_credit",
                        "2026-04-01/2027-03-31",
                        json!({})
                    )
                )
                .await
        ),
        ["/facility_id"]
    );
    let created = store
        .create_ledger(
            &admin,
            ledger(
                facility_id,
                "PP",
                "mass_balance_credit",
                "2026-04-01/2027-03-31",
                json!({"conversion_factor": "0.9"}),
            ),
        )
        .await
        .expect("valid ledger");
    assert_eq!(
        (created.material.as_str(), created.visibility),
        ("pp", Visibility::Restricted)
    );
    let overlapping = store
        .create_ledger(
            &admin,
            ledger(
                facility_id,
                "pp",
                "mass_balance_credit",
                "2027-01-01/2027-12-31",
                json!({}),
            ),
        )
        .await;
    assert!(conflict(overlapping).contains("overlaps this period"));
    let id = created.id;

    // Inputs: bad ones refused, good ones entered once.
    assert_eq!(
        paths(
            store
                .add_ledger_input(
                    &admin,
                    id,
                    input(json!({"lot": "r1", "mass": -5, "unit": "t", "recycled_share_pct": 120, "received_on": "2027-04-01"}))
                )
                .await
        ),
        ["/mass", "/recycled_share_pct", "/received_on"]
    );
    assert_eq!(
        paths(
            store
                .add_ledger_input(
                    &admin,
                    id,
                    input(json!({"lot": "r1", "mass": 5, "unit": "LTR", "recycled_share_pct": 100, "received_on": "2026-05-01"}))
                )
                .await
        ),
        ["/unit"]
    );
    store
        .add_ledger_input(
            &admin,
            id,
            input(
                json!({"lot": "r1", "mass": 60, "unit": "t", "pre_consumer_pct": 0, "post_consumer_pct": 100,
                         "received_on": "2026-05-01", "evidence": "supplier declaration"}),
            ),
        )
        .await
        .expect("recycled lot");
    store
        .add_ledger_input(
            &admin,
            id,
            input(
                json!({"lot": "r2", "mass": "40000", "unit": "kg", "recycled_share_pct": 50, "pre_consumer_pct": 50,
                         "received_on": "2026-05-02"}),
            ),
        )
        .await
        .expect("half recycled lot, in kg");
    store
        .add_ledger_input(
            &admin,
            id,
            input(json!({"lot": "v1", "mass": 900, "unit": "t", "recycled_share_pct": 0, "received_on": "2026-05-03"})),
        )
        .await
        .expect("virgin lot");
    let twice = store
        .add_ledger_input(
            &admin,
            id,
            input(
                json!({"lot": "r1", "mass": 60, "unit": "t", "recycled_share_pct": 100, "received_on": "2026-05-04"}),
            ),
        )
        .await;
    assert!(conflict(twice).contains("counted once"));
    assert!(matches!(
        store
            .add_ledger_input(
                &outsider,
                id,
                input(
                    json!({"lot": "x", "mass": 1, "unit": "t", "recycled_share_pct": 100, "received_on": "2026-05-01"})
                )
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // (60 + 20) × 0.9 = 72 t of credits. An over-claim is refused and changes nothing.
    let view = store.get_ledger(&admin, id).await.expect("owner reads");
    assert_eq!(view.balance.credits_t.normalize().to_string(), "72");
    let over = conflict(
        store
            .claim_from_ledger(&admin, id, claim("out-0", "80", "100", &[]))
            .await,
    );
    assert!(
        over.contains("needs 80 t of recycled credits but only 72 t are left"),
        "{over}"
    );
    assert_eq!(
        store.get_ledger(&admin, id).await.expect("read"),
        view,
        "nothing changed"
    );
    // r1 gives 54 t: a claim naming it alone for 60 t is refused.
    let named = conflict(
        store
            .claim_from_ledger(&admin, id, claim("out-1", "60", "100", &["r1"]))
            .await,
    );
    assert!(
        named.contains("needs 60 t of recycled credits but only 54 t are left"),
        "{named}"
    );
    let first = store
        .claim_from_ledger(&admin, id, claim("out-1", "50", "100", &["r1"]))
        .await
        .expect("50 of r1's 54 t");
    assert_eq!(
        (
            first.credits_t.normalize().to_string(),
            first.post_consumer_t.normalize().to_string(),
            first.revision
        ),
        ("50".to_owned(), "50".to_owned(), 0)
    );
    // Naming the spent lot again is double counting.
    let double = conflict(
        store
            .claim_from_ledger(&admin, id, claim("out-2", "10", "100", &["r1"]))
            .await,
    );
    assert!(
        double.contains("already back the claims for out-1 (double counting is refused)"),
        "{double}"
    );
    let second = store
        .claim_from_ledger(&admin, id, claim("out-2", "10", "100", &[]))
        .await
        .expect("4 t from r1 and 6 t from r2");
    assert_eq!(
        second
            .backing
            .iter()
            .map(|backing| (backing.lot.as_str(), backing.credits_t.normalize().to_string()))
            .collect::<Vec<_>>(),
        [("r1", "4".to_owned()), ("r2", "6".to_owned())]
    );
    assert_eq!(
        (
            second.pre_consumer_t.normalize().to_string(),
            second.post_consumer_t.normalize().to_string()
        ),
        ("6".to_owned(), "4".to_owned())
    );
    assert!(
        conflict(store.claim_from_ledger(&admin, id, claim("out-2", "1", "1", &[])).await)
            .contains("already has a claim")
    );
    assert_eq!(
        paths(
            store
                .claim_from_ledger(
                    &admin,
                    id,
                    serde_json::from_value(
                        json!({"output_lot": "out-3", "mass": -1, "unit": "t", "recycled_share_pct": 101,
                                                  "claimed_on": "2027-04-01"})
                    )
                    .expect("shape")
                )
                .await
        ),
        ["/mass", "/recycled_share_pct", "/claimed_on"]
    );
    assert_eq!(
        store
            .get_ledger(&admin, id)
            .await
            .expect("read")
            .balance
            .remaining_t
            .normalize()
            .to_string(),
        "12"
    );

    // A reversal gives the credits back; the claim stays, marked; the lot may be claimed again.
    let reversed = store
        .reverse_ledger_claim(
            &admin,
            id,
            first.id,
            ReverseClaim {
                reason: "wrong mass / 質量誤り".to_owned(),
            },
        )
        .await
        .expect("live claim");
    assert!(reversed.reversal.is_some());
    assert!(conflict(
        store
            .reverse_ledger_claim(
                &admin,
                id,
                first.id,
                ReverseClaim {
                    reason: "again".to_owned()
                }
            )
            .await
    )
    .contains("reversed already"));
    let corrected = store
        .claim_from_ledger(&admin, id, claim("out-1", "40", "100", &["r1"]))
        .await
        .expect("r1 has 50 t again");
    assert_eq!(corrected.revision, 1);
    let view = store.get_ledger(&admin, id).await.expect("read");
    assert_eq!(view.claims.len(), 3);
    assert_eq!(view.balance.remaining_t.normalize().to_string(), "22");
    let trace = store.trace_ledger_claim(&admin, id, second.id).await.expect("trace");
    assert_eq!(trace.inputs.len(), 2);
    assert_eq!(trace.inputs[0].input.evidence.as_deref(), Some("supplier declaration"));

    // The next period's ledger may not count r2 again.
    let next = store
        .create_ledger(
            &admin,
            ledger(
                facility_id,
                "pp",
                "mass_balance_credit",
                "2027-04-01/2028-03-31",
                json!({}),
            ),
        )
        .await
        .expect("the next period");
    assert!(conflict(
        store
            .add_ledger_input(
                &admin,
                next.id,
                input(
                    json!({"lot": "r2", "mass": 40, "unit": "t", "recycled_share_pct": 50, "received_on": "2027-05-01"})
                )
            )
            .await
    )
    .contains("counted once"));

    // The read rule: others see nothing until granted; reads under the grant are audited.
    assert!(matches!(
        store.get_ledger(&outsider, id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .list_ledgers(&outsider, &LedgerFilter::default(), &first_page())
        .await
        .expect("list")
        .items
        .is_empty());
    assert!(store
        .ledger_claims_for_lots(&outsider, &["out-2".to_owned()], None)
        .await
        .expect("claims")
        .is_empty());
    store
        .create_grant(
            &admin,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: other },
                record_kind: RecordKind::Ledger,
                record_ids: Some(vec![id.to_string()]),
                level: GrantLevel::LegitimateInterest,
                purpose: Some("再生材含有の確認 / recycled content check".to_owned()),
                expires_at: START + Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant");
    assert_eq!(store.get_ledger(&outsider, id).await.expect("granted").claims.len(), 3);
    assert!(matches!(
        store.get_ledger(&outsider, next.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let upstream = store
        .ledger_claims_for_lots(&outsider, &["out-2".to_owned(), "out-1".to_owned()], Some("pp"))
        .await
        .expect("claims");
    assert_eq!(upstream.len(), 2, "the live claims of out-1 and out-2");
    store.get_ledger(&auditor, next.id).await.expect("auditors read");
    for (ledger_id, reader) in [(id, other), (next.id, other)] {
        let audited = store
            .list_audit(
                &admin,
                &AuditFilter {
                    action: Some(AuditAction::Read),
                    record_id: Some(ledger_id.to_string()),
                    ..AuditFilter::default()
                },
                &first_page(),
            )
            .await
            .expect("audit");
        assert!(
            !audited.items.is_empty()
                && audited
                    .items
                    .iter()
                    .all(|entry| entry.actor_organization_id == Some(reader)),
            "{:?}",
            audited.items
        );
    }

    // Closing: the credits left lapse; nothing more is entered.
    let closed = store.close_ledger(&admin, id).await.expect("close");
    assert_eq!(
        closed.balance.lapsed_t.map(|lapsed| lapsed.normalize().to_string()),
        Some("22".to_owned())
    );
    assert!(conflict(store.claim_from_ledger(&admin, id, claim("out-9", "1", "1", &[])).await).contains("closed"));
    assert!(conflict(store.close_ledger(&admin, id).await).contains("closed"));
    assert!(matches!(
        store.close_ledger(&outsider, next.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Claims sent at the same time cannot together overdraw a ledger or spend one lot twice.
pub async fn concurrent_claims_cannot_overdraw(store: &dyn Store, _clock: &ManualClock) {
    let maker = organization(store, "正極材", &[]).await;
    let admin = member_of(maker, &[Role::OrgAdmin, Role::Member]);
    let facility_id = plant(store, &admin, None).await;
    let id: LedgerId = store
        .create_ledger(
            &admin,
            ledger(
                facility_id,
                "Co",
                "mass_balance_credit",
                "2026-04-01/2027-03-31",
                json!({}),
            ),
        )
        .await
        .expect("ledger")
        .id;
    for lot in ["a", "b"] {
        store
            .add_ledger_input(
                &admin,
                id,
                input(
                    json!({"lot": lot, "mass": 5, "unit": "t", "recycled_share_pct": 100, "received_on": "2026-04-02"}),
                ),
            )
            .await
            .expect("input");
    }
    // 10 t of credits; eight claims of 3 t at once: exactly three fit.
    let attempts = (0..8).map(|index| {
        let admin = admin.clone();
        async move {
            store
                .claim_from_ledger(&admin, id, claim(&format!("out-{index}"), "3", "100", &[]))
                .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let accepted = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!(accepted, 3, "{results:?}");
    assert!(results
        .iter()
        .filter_map(|result| result.as_ref().err())
        .all(|error| matches!(error, StoreError::Conflict { .. })));
    let view = store.get_ledger(&admin, id).await.expect("read");
    assert_eq!(view.balance.remaining_t.normalize().to_string(), "1");
    assert_eq!(view.balance.claimed_t.normalize().to_string(), "9");
    // Four claims naming the rest of lot b at once: one spends it, the others are refused.
    let attempts = (0..4).map(|index| {
        let admin = admin.clone();
        async move {
            store
                .claim_from_ledger(&admin, id, claim(&format!("named-{index}"), "1", "100", &["b"]))
                .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "{results:?}");
    // One output lot claimed at once from two requests: one claim.
    let attempts = (0..2).map(|_| {
        let admin = admin.clone();
        async move { store.claim_from_ledger(&admin, id, claim("same", "0", "0", &[])).await }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "{results:?}");
    let view = store.get_ledger(&admin, id).await.expect("read");
    assert_eq!(view.balance.remaining_t, rust_decimal::Decimal::ZERO);
    assert_eq!(view.claims.len(), 5);
}

pub(super) fn transformation(
    id: &str,
    day: i64,
    location: &str,
    lots: &[(IdentifierRole, &str, Option<&str>, Option<&str>)],
) -> CapturedEvent {
    CapturedEvent {
        event_id: id.to_owned(),
        event_hash: format!("ni:///sha-256;{id}?ver=CBV2.0"),
        event_type: "TransformationEvent".to_owned(),
        event_time: START + Duration::days(day),
        action: None,
        biz_step: Some("https://ref.gs1.org/cbv/BizStep-commissioning".to_owned()),
        disposition: None,
        read_point: Some(location.to_owned()),
        biz_location: None,
        identifiers: lots
            .iter()
            .map(|(role, value, quantity, uom)| EventIdentifier {
                role: *role,
                value: (*value).to_owned(),
                quantity: quantity.map(str::to_owned),
                uom: uom.map(str::to_owned),
            })
            .collect(),
        body: json!({"type": "TransformationEvent", "eventID": id, "eventTime": "2026-04-01T09:00:00Z"}),
        context: json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]),
    }
}

const FLAKES: &str = "https://id.gs1.org/01/04512345123451/10/FLAKE-1";
const REGRIND: &str = "https://id.gs1.org/01/04512345123451/10/REGRIND-1";
const VIRGIN: &str = "https://id.gs1.org/01/04512345123451/10/VIRGIN-1";
const PELLETS: &str = "https://id.gs1.org/01/04512345123451/10/PELLET-1";

/// Inputs from the TransformationEvents at the facility: shares from passports and upstream
/// claims, unknown shares recorded as missing (and blocking share claims) until given, events
/// elsewhere or outside the period left out, units without a conversion refused.
pub async fn ledger_inputs_from_events_and_passports(store: &dyn Store, _clock: &ManualClock) {
    let supplier = organization(store, "フレーク", &[]).await;
    let compounder = organization(store, "コンパウンド", &[]).await;
    let supplier_admin = member_of(supplier, &[Role::OrgAdmin, Role::Member]);
    let admin = member_of(compounder, &[Role::OrgAdmin, Role::Member]);
    let here = "https://id.gs1.org/414/4512345000011";
    let facility_id = plant(store, &admin, Some("4512345000011")).await;
    // The flakes' passport states 98 % (10 pre-, 88 post-consumer); the regrind's share comes
    // from the supplier's own ledger claim, public.
    store
        .create_passport(&supplier_admin, plastics_passport(FLAKES))
        .await
        .expect("passport");
    let supplier_plant = plant(store, &supplier_admin, None).await;
    let upstream = store
        .create_ledger(
            &supplier_admin,
            ledger(
                supplier_plant,
                "pp",
                "segregated",
                "2026-04-01/2027-03-31",
                json!({"visibility": "public"}),
            ),
        )
        .await
        .expect("upstream ledger");
    store
        .add_ledger_input(
            &supplier_admin,
            upstream.id,
            input(
                json!({"lot": "scrap", "mass": 3, "unit": "t", "pre_consumer_pct": 100, "post_consumer_pct": 0,
                         "received_on": "2026-04-01"}),
            ),
        )
        .await
        .expect("scrap");
    store
        .claim_from_ledger(
            &supplier_admin,
            upstream.id,
            serde_json::from_value(
                json!({"output_lot": REGRIND, "mass": 2000, "unit": "kg", "recycled_share_pct": 100,
                                          "claimed_on": "2026-04-02"}),
            )
            .expect("shape"),
        )
        .await
        .expect("regrind claim");
    let events = vec![
        transformation(
            "urn:uuid:e-1",
            3,
            here,
            &[
                (IdentifierRole::InputQuantity, FLAKES, Some("1000"), Some("KGM")),
                (IdentifierRole::InputQuantity, REGRIND, Some("2"), Some("TNE")),
                (IdentifierRole::InputQuantity, VIRGIN, Some("1000"), Some("KGM")),
                (IdentifierRole::OutputQuantity, PELLETS, Some("3800"), Some("KGM")),
            ],
        ),
        // Elsewhere, and outside the period: not read.
        transformation(
            "urn:uuid:e-2",
            3,
            "https://id.gs1.org/414/4512345000028",
            &[(
                IdentifierRole::InputQuantity,
                "https://id.gs1.org/01/04512345123451/10/ELSEWHERE",
                Some("1"),
                Some("KGM"),
            )],
        ),
        transformation(
            "urn:uuid:e-3",
            400,
            here,
            &[(
                IdentifierRole::InputQuantity,
                "https://id.gs1.org/01/04512345123451/10/LATE",
                Some("1"),
                Some("KGM"),
            )],
        ),
    ];
    let job = store
        .capture_events(&admin, capture_of(events, CaptureErrorBehaviour::Rollback))
        .await
        .expect("capture");
    assert!(job.success, "{:?}", job.errors);
    let id = store
        .create_ledger(
            &admin,
            ledger(
                facility_id,
                "pp",
                "mass_balance_rolling_average",
                "2026-04-01/2027-03-31",
                json!({}),
            ),
        )
        .await
        .expect("ledger")
        .id;
    let report = store
        .import_ledger_inputs(&admin, id, ImportLedgerInputs::default())
        .await
        .expect("import");
    assert_eq!(report.events, ["urn:uuid:e-1"]);
    let entered: Vec<(&str, String, &str)> = report
        .entered
        .iter()
        .map(|input| {
            let source = match &input.share_source {
                junkan_indicators::custody::ShareSource::Passport { .. } => "passport",
                junkan_indicators::custody::ShareSource::Claim { .. } => "claim",
                junkan_indicators::custody::ShareSource::Declared => "declared",
                junkan_indicators::custody::ShareSource::CarriedOver { .. } => "carried over",
            };
            (
                input.lot.as_str(),
                input.share.recycled_share_pct.normalize().to_string(),
                source,
            )
        })
        .collect();
    assert_eq!(
        entered,
        [
            (FLAKES, "98".to_owned(), "passport"),
            (REGRIND, "100".to_owned(), "claim")
        ]
    );
    assert_eq!(
        report.entered[1]
            .share
            .pre_consumer_pct
            .map(|share| share.normalize().to_string()),
        Some("100".to_owned())
    );
    assert_eq!(report.missing_shares.len(), 1);
    assert_eq!(report.missing_shares[0].lot, VIRGIN);
    assert_eq!(report.outputs[0].lot, PELLETS);
    assert_eq!(
        report.ledger.balance.rolling_average_share_pct, None,
        "not computable, never 0"
    );
    assert_eq!(report.ledger.balance.unknown_share_t.normalize().to_string(), "1");
    // While the virgin lot's share is unknown, the share of the blend is unknown.
    let blocked = conflict(
        store
            .claim_from_ledger(
                &admin,
                id,
                serde_json::from_value(
                    json!({"output_lot": PELLETS, "mass": 3800, "unit": "kg", "recycled_share_pct": 70,
                                              "claimed_on": "2026-04-04", "event_id": "urn:uuid:e-1"}),
                )
                .expect("shape"),
            )
            .await,
    );
    assert!(blocked.contains("is unknown"), "{blocked}");
    // Importing again enters nothing twice.
    let again = store
        .import_ledger_inputs(&admin, id, ImportLedgerInputs::default())
        .await
        .expect("import again");
    assert!(again.entered.is_empty());
    assert_eq!(again.ledger.inputs.len(), 2);
    // The share of the missing lot, for the events' mass only.
    assert_eq!(
        paths(
            store
                .add_ledger_input(
                    &admin,
                    id,
                    input(json!({"lot": VIRGIN, "mass": 900, "unit": "kg", "recycled_share_pct": 0, "received_on": "2026-04-04"}))
                )
                .await
        ),
        ["/mass"]
    );
    let virgin = store
        .add_ledger_input(
            &admin,
            id,
            input(
                json!({"lot": VIRGIN, "mass": 1, "unit": "t", "recycled_share_pct": 0, "received_on": "2026-04-04",
                         "evidence": "virgin resin / バージン材"}),
            ),
        )
        .await
        .expect("the missing share");
    assert_eq!(virgin.event_ids, ["urn:uuid:e-1"]);
    let view = store.get_ledger(&admin, id).await.expect("read");
    assert!(view.missing_shares[0].resolved);
    // (0.98 + 2) / 4 = 74.5 %.
    assert_eq!(
        view.balance
            .rolling_average_share_pct
            .map(|share| share.normalize().to_string()),
        Some("74.5".to_owned())
    );
    let pellets = store
        .claim_from_ledger(
            &admin,
            id,
            serde_json::from_value(
                json!({"output_lot": PELLETS, "mass": 3800, "unit": "kg", "recycled_share_pct": "74.5",
                                          "claimed_on": "2026-04-04", "event_id": "urn:uuid:e-1"}),
            )
            .expect("shape"),
        )
        .await
        .expect("the average share");
    let trace = store.trace_ledger_claim(&admin, id, pellets.id).await.expect("trace");
    let rels: Vec<Vec<&str>> = trace
        .inputs
        .iter()
        .map(|input| input.links.iter().map(|link| link.rel).collect())
        .collect();
    assert_eq!(rels[0], ["event", "passport"]);
    assert_eq!(rels[1], ["event", "upstream_claim"]);
    assert_eq!(trace.links[0].rel, "event");

    // A quantity in litres without a conversion refuses the whole import.
    let tank = plant(store, &admin, Some("4512345000028")).await;
    let oil = store
        .capture_events(
            &admin,
            capture_of(
                vec![transformation(
                    "urn:uuid:e-4",
                    5,
                    "https://id.gs1.org/414/4512345000028",
                    &[(
                        IdentifierRole::InputQuantity,
                        "https://id.gs1.org/01/04512345123451/10/OIL-1",
                        Some("500"),
                        Some("LTR"),
                    )],
                )],
                CaptureErrorBehaviour::Rollback,
            ),
        )
        .await
        .expect("capture");
    assert!(oil.success);
    let litres = store
        .create_ledger(
            &admin,
            ledger(tank, "oil", "mass_balance_credit", "2026-04-01/2027-03-31", json!({})),
        )
        .await
        .expect("ledger");
    let refused = store
        .import_ledger_inputs(&admin, litres.id, ImportLedgerInputs::default())
        .await;
    match refused {
        Err(StoreError::Invalid(violations)) => {
            assert!(
                violations[0].message.contains("mixed units without a conversion"),
                "{violations:?}"
            )
        }
        other => panic!("expected invalid, got {other:?}"),
    }
    assert!(store
        .get_ledger(&admin, litres.id)
        .await
        .expect("read")
        .missing_shares
        .is_empty());
    let converted = store
        .create_ledger(
            &admin,
            ledger(
                tank,
                "oil",
                "mass_balance_credit",
                "2027-04-01/2028-03-31",
                json!({"unit_conversions": {"LTR": "0.00092"}}),
            ),
        )
        .await
        .expect("ledger with a conversion");
    // The conversion applies, but the events lie in the first period.
    assert!(store
        .import_ledger_inputs(&admin, converted.id, ImportLedgerInputs::default())
        .await
        .expect("nothing in this period")
        .events
        .is_empty());
    // Another organization may not import into the ledger.
    assert!(matches!(
        store
            .import_ledger_inputs(&supplier_admin, id, ImportLedgerInputs::default())
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

const BLACK_MASS: &str = "https://id.gs1.org/01/04512345123451/10/BM-1";
const STEEL: &str = "https://id.gs1.org/01/04512345123451/10/STEEL-1";
const SALT: &str = "https://id.gs1.org/01/04512345123451/10/SALT-1";
const CATHODE: &str = "https://id.gs1.org/01/04512345123451/10/CAM-1";

/// Per-material accounting at one facility: a lot counts in each material's ledger with that
/// material's part of it (from the upstream claim, the passport's composition or the import's
/// explicit conversion), each material keeps its own credits, claims for one output lot are
/// made per material and checked against the Art. 8 minimums, and a refused import or claim
/// writes nothing.
pub async fn ledgers_account_per_material(store: &dyn Store, _clock: &ManualClock) {
    let supplier = organization(store, "黒鉛", &[]).await;
    let maker = organization(store, "正極", &[]).await;
    let supplier_admin = member_of(supplier, &[Role::OrgAdmin, Role::Member]);
    let admin = member_of(maker, &[Role::OrgAdmin, Role::Member]);
    let here = "https://id.gs1.org/414/4512345000035";
    let facility_id = plant(store, &admin, Some("4512345000035")).await;
    // The supplier's public cobalt ledger claims the black mass: 14 % of it is cobalt, all
    // recycled (43.4 kg of cobalt in 310 kg).
    let supplier_plant = plant(store, &supplier_admin, None).await;
    let upstream = store
        .create_ledger(
            &supplier_admin,
            ledger(
                supplier_plant,
                "Co",
                "mass_balance_credit",
                "2026-04-01/2027-03-31",
                json!({"visibility": "public"}),
            ),
        )
        .await
        .expect("upstream ledger");
    store
        .add_ledger_input(
            &supplier_admin,
            upstream.id,
            input(
                json!({"lot": "co-scrap", "mass": 1, "unit": "t", "pre_consumer_pct": 0, "post_consumer_pct": 100,
                         "received_on": "2026-04-01"}),
            ),
        )
        .await
        .expect("scrap");
    let black_mass = store
        .claim_from_ledger(
            &supplier_admin,
            upstream.id,
            serde_json::from_value(
                json!({"output_lot": BLACK_MASS, "mass": 310, "unit": "kg", "material_fraction": "0.14",
                                          "recycled_share_pct": 100, "claimed_on": "2026-04-02"}),
            )
            .expect("shape"),
        )
        .await
        .expect("black mass claim");
    assert_eq!(black_mass.material_t.normalize().to_string(), "0.0434");
    // The maker's steel lot's passport states 0.08 % nickel and 97 % recycled content.
    let mut steel = plastics_passport(STEEL);
    steel.profile = "metal".to_owned();
    steel.data = junkan_passport::builtin::example("metal").expect("shipped example");
    store.create_passport(&admin, steel).await.expect("passport");
    let job = store
        .capture_events(
            &admin,
            capture_of(
                vec![transformation(
                    "urn:uuid:m-1",
                    3,
                    here,
                    &[
                        (IdentifierRole::InputQuantity, BLACK_MASS, Some("310"), Some("KGM")),
                        (IdentifierRole::InputQuantity, STEEL, Some("1000"), Some("KGM")),
                        (IdentifierRole::InputQuantity, SALT, Some("50"), Some("KGM")),
                        (IdentifierRole::OutputQuantity, CATHODE, Some("200"), Some("KGM")),
                    ],
                )],
                CaptureErrorBehaviour::Rollback,
            ),
        )
        .await
        .expect("capture");
    assert!(job.success, "{:?}", job.errors);
    let mut opened = Vec::new();
    for material in ["cobalt", "nickel"] {
        let new = ledger(
            facility_id,
            material,
            "mass_balance_credit",
            "2026-04-01/2027-03-31",
            json!({}),
        );
        opened.push(store.create_ledger(&admin, new).await.expect("ledger"));
    }
    let [cobalt, nickel] = <[_; 2]>::try_from(opened).expect("two ledgers");

    // A conversion for a lot the events do not enter refuses the import, which writes nothing.
    let stranger = ImportLedgerInputs {
        material_fractions: [("https://id.gs1.org/01/04512345123451/10/NOPE".to_owned(), json!("0.5"))].into(),
    };
    assert_eq!(
        paths(store.import_ledger_inputs(&admin, cobalt.id, stranger).await),
        ["/material_fractions/https:~1~1id.gs1.org~101~104512345123451~110~1NOPE"]
    );
    let untouched = store.get_ledger(&admin, cobalt.id).await.expect("read");
    assert!(untouched.inputs.is_empty() && untouched.missing_shares.is_empty());

    // Cobalt: the black mass with the upstream claim's fraction; steel lists no cobalt and the
    // salt has no share, so both are missing, never pure cobalt or 0 %.
    let report = store
        .import_ledger_inputs(&admin, cobalt.id, ImportLedgerInputs::default())
        .await
        .expect("import");
    assert_eq!(report.entered.len(), 1, "{:#?}", report.entered);
    let entered = &report.entered[0];
    assert_eq!(
        (
            entered.lot.as_str(),
            entered.material_t.normalize().to_string(),
            entered.credits_t.normalize().to_string()
        ),
        (BLACK_MASS, "0.0434".to_owned(), "0.0434".to_owned())
    );
    assert!(matches!(entered.fraction_source, FractionSource::Claim { claim_id, .. } if claim_id == black_mass.id));
    let mut missing: Vec<&str> = report
        .missing_shares
        .iter()
        .map(|missing| missing.lot.as_str())
        .collect();
    missing.sort_unstable();
    assert_eq!(missing, [SALT, STEEL]);
    assert!(report
        .missing_shares
        .iter()
        .any(|missing| missing.reason.contains("names no entry for cobalt")));
    assert_eq!(report.ledger.balance.lot_input_t.normalize().to_string(), "0.31");

    // Nickel: the steel with its passport's composition; the cobalt claim says nothing of nickel.
    let report = store
        .import_ledger_inputs(&admin, nickel.id, ImportLedgerInputs::default())
        .await
        .expect("import");
    assert_eq!(report.entered.len(), 1);
    let steel_input = &report.entered[0];
    assert_eq!(
        (
            steel_input.lot.as_str(),
            steel_input.material_fraction.normalize().to_string(),
            steel_input.credits_t.normalize().to_string()
        ),
        (STEEL, "0.0008".to_owned(), "0.000776".to_owned())
    );
    assert!(matches!(steel_input.fraction_source, FractionSource::Passport { .. }));

    // One output lot, a claim per material: 40 kg of cobalt at 100 %, 0.8 kg of nickel at 97 %.
    let per_material = |fraction: &str, share: &str| -> NewLedgerClaim {
        serde_json::from_value(json!({"output_lot": CATHODE, "mass": 200, "unit": "kg", "material_fraction": fraction,
                                      "recycled_share_pct": share, "claimed_on": "2026-04-04", "event_id": "urn:uuid:m-1"}))
        .expect("shape")
    };
    let cobalt_claim = store
        .claim_from_ledger(&admin, cobalt.id, per_material("0.2", "100"))
        .await
        .expect("40 kg of 43.4 kg");
    store
        .claim_from_ledger(&admin, nickel.id, per_material("0.004", "97"))
        .await
        .expect("the nickel credits exactly");
    // 3.4 kg of cobalt credits are left: 4 kg more is refused, and nothing is written.
    let over: NewLedgerClaim = serde_json::from_value(
        json!({"output_lot": "https://id.gs1.org/01/04512345123451/10/CAM-2", "mass": 20, "unit": "kg",
               "material_fraction": "0.2", "recycled_share_pct": 100, "claimed_on": "2026-04-05"}),
    )
    .expect("shape");
    let refused = conflict(store.claim_from_ledger(&admin, cobalt.id, over).await);
    assert!(
        refused.contains("needs 0.004 t of recycled credits but only 0.0034 t are left"),
        "{refused}"
    );
    assert_eq!(store.get_ledger(&admin, cobalt.id).await.expect("read").claims.len(), 1);
    // A fraction above 1 is invalid.
    assert_eq!(
        paths(
            store
                .claim_from_ledger(&admin, nickel.id, per_material("1.5", "1"))
                .await
        ),
        ["/material_fraction"]
    );

    // The output lot's claims, checked per metal against Art. 8.
    let claims = store
        .ledger_claims_for_lots(&admin, &[CATHODE.to_owned()], None)
        .await
        .expect("claims");
    let check = product_battery_check(&format!("product:{CATHODE}"), &claims);
    let mut results: Vec<(String, String, bool)> = check
        .results
        .iter()
        .map(|result| {
            let computation = &result["computation"];
            (
                result["material"].as_str().unwrap_or_default().to_owned(),
                computation["result"]["share_pct"].to_string(),
                computation["result"]["meets_2036"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    results.sort();
    assert_eq!(
        results,
        [
            ("cobalt".to_owned(), "100.0".to_owned(), true),
            ("nickel".to_owned(), "97.0".to_owned(), true)
        ]
    );
    let cobalt_input = &check.results[0]["computation"]["provenance"]["inputs"];
    assert!(
        cobalt_input.to_string().contains("\"40\""),
        "the cobalt in the product, not the lot's mass: {cobalt_input}"
    );
    let trace = store
        .trace_ledger_claim(&admin, cobalt.id, cobalt_claim.id)
        .await
        .expect("trace");
    assert_eq!(trace.inputs.len(), 1);
    let rels: Vec<&str> = trace.inputs[0].links.iter().map(|link| link.rel).collect();
    assert_eq!(rels, ["event", "upstream_claim"]);
}

/// Credit carry-over between periods (繰越し): only from a closed ledger with a carry-over rule
/// into the next period's ledger of the same facility, material and model, once; the entries
/// trace to the period that made the credits, which lapse past the rule's expiry; never
/// overdrawn; a refused carry-over writes nothing.
pub async fn ledger_credits_carry_over_between_periods(store: &dyn Store, _clock: &ManualClock) {
    let owner = organization(store, "繰越", &[]).await;
    let admin = member_of(owner, &[Role::OrgAdmin, Role::Member]);
    let facility_id = plant(store, &admin, None).await;
    let rule = json!({"carry_over": {"expires_after_periods": 1}});
    let open = |period: &str, extra: Value| ledger(facility_id, "pp", "mass_balance_credit", period, extra);
    // Only credits carry over.
    assert_eq!(
        paths(
            store
                .create_ledger(
                    &admin,
                    ledger(
                        facility_id,
                        "pe",
                        "mass_balance_rolling_average",
                        "2026-04-01/2027-03-31",
                        rule.clone()
                    )
                )
                .await
        ),
        ["/carry_over"]
    );
    let first = store
        .create_ledger(&admin, open("2026-04-01/2027-03-31", rule.clone()))
        .await
        .expect("first period");
    assert_eq!(first.carry_over.and_then(|rule| rule.expires_after_periods), Some(1));
    store
        .add_ledger_input(
            &admin,
            first.id,
            input(
                json!({"lot": "r", "mass": 10, "unit": "t", "pre_consumer_pct": 20, "post_consumer_pct": 80,
                         "received_on": "2026-05-01"}),
            ),
        )
        .await
        .expect("input");
    store
        .claim_from_ledger(&admin, first.id, claim("o1", "6", "100", &[]))
        .await
        .expect("6 of 10 t");
    let second = store
        .create_ledger(&admin, open("2027-04-01/2028-03-31", rule.clone()))
        .await
        .expect("second period");
    let carry = |from: LedgerId| NewCarryOver { from_ledger_id: from };
    let claim_on = |output: &str, mass: &str, day: &str| -> NewLedgerClaim {
        serde_json::from_value(
            json!({"output_lot": output, "mass": mass, "unit": "t", "recycled_share_pct": 100,
                                      "claimed_on": day}),
        )
        .expect("the shape of a claim")
    };
    // Not before the first period is closed; nothing is written.
    let open_refused = conflict(store.carry_over_ledger(&admin, second.id, carry(first.id)).await);
    assert!(open_refused.contains("is still open"), "{open_refused}");
    assert!(store
        .get_ledger(&admin, second.id)
        .await
        .expect("read")
        .inputs
        .is_empty());
    store.close_ledger(&admin, first.id).await.expect("close");
    let report = store
        .carry_over_ledger(&admin, second.id, carry(first.id))
        .await
        .expect("carried");
    assert_eq!(report.carried.len(), 1);
    let entry = &report.carried[0];
    assert_eq!(entry.credits_t.normalize().to_string(), "4");
    assert_eq!(
        (
            entry.share.pre_consumer_pct.map(|share| share.normalize().to_string()),
            entry.received_on.as_str()
        ),
        (Some("20".to_owned()), "2027-04-01")
    );
    assert!(matches!(
        &entry.share_source,
        junkan_indicators::custody::ShareSource::CarriedOver { from_ledger_id, origin_ledger_id, age: 1, .. }
            if *from_ledger_id == first.id && *origin_ledger_id == first.id
    ));
    let decimal = |value: Option<rust_decimal::Decimal>| value.map(|value| value.normalize().to_string());
    assert_eq!(
        (
            report.from.balance.carried_out_t.normalize().to_string(),
            decimal(report.from.balance.lapsed_t)
        ),
        ("4".to_owned(), Some("0".to_owned()))
    );
    assert_eq!(
        (
            report.ledger.balance.carried_in_t.normalize().to_string(),
            report.ledger.balance.input_t.normalize().to_string()
        ),
        ("4".to_owned(), "0".to_owned()),
        "carried credits are no input of the period"
    );
    // Once only.
    let twice = conflict(store.carry_over_ledger(&admin, second.id, carry(first.id)).await);
    assert!(twice.contains("carried into this ledger already"), "{twice}");
    // Never overdrawn: 4 t were carried.
    let over = conflict(
        store
            .claim_from_ledger(&admin, second.id, claim_on("o2", "5", "2027-06-30"))
            .await,
    );
    assert!(
        over.contains("needs 5 t of recycled credits but only 4 t are left"),
        "{over}"
    );
    let drawn = store
        .claim_from_ledger(&admin, second.id, claim_on("o2", "3", "2027-06-30"))
        .await
        .expect("3 of the 4 carried t");
    assert_eq!(drawn.pre_consumer_t.normalize().to_string(), "0.6");
    let trace = store
        .trace_ledger_claim(&admin, second.id, drawn.id)
        .await
        .expect("trace");
    assert_eq!(trace.inputs[0].links[0].rel, "carried_over_from");
    assert_eq!(trace.inputs[0].links[0].href, format!("/api/v1/ledgers/{}", first.id));
    // The second period's own credits carry on; what the first period made is now too old.
    store
        .add_ledger_input(
            &admin,
            second.id,
            input(json!({"lot": "s", "mass": 2, "unit": "t", "recycled_share_pct": 100, "received_on": "2027-05-01"})),
        )
        .await
        .expect("input");
    store.close_ledger(&admin, second.id).await.expect("close");
    let third = store
        .create_ledger(&admin, open("2028-04-01/2029-03-31", json!({})))
        .await
        .expect("third period");
    assert_eq!(
        paths(store.carry_over_ledger(&admin, third.id, carry(first.id)).await),
        ["/from_ledger_id"],
        "not the previous period"
    );
    let report = store
        .carry_over_ledger(&admin, third.id, carry(second.id))
        .await
        .expect("carried");
    let carried: Vec<String> = report
        .carried
        .iter()
        .map(|entry| entry.credits_t.normalize().to_string())
        .collect();
    assert_eq!(carried, ["2"]);
    assert_eq!(report.lapsed.len(), 1);
    assert_eq!(
        (
            report.lapsed[0].origin_ledger_id,
            report.lapsed[0].age,
            report.lapsed[0].credits_t.normalize().to_string()
        ),
        (first.id, 2, "1".to_owned())
    );
    let second_view = store.get_ledger(&admin, second.id).await.expect("read");
    assert_eq!(
        (
            second_view.balance.carried_out_t.normalize().to_string(),
            decimal(second_view.balance.lapsed_t)
        ),
        ("2".to_owned(), Some("1".to_owned()))
    );
    // The third ledger states no rule: its credits will lapse, and none can be carried from it.
    store.close_ledger(&admin, third.id).await.expect("close");
    let fourth = store
        .create_ledger(&admin, open("2029-04-01/2030-03-31", json!({})))
        .await
        .expect("fourth period");
    let no_rule = conflict(store.carry_over_ledger(&admin, fourth.id, carry(third.id)).await);
    assert!(no_rule.contains("states no carry-over rule"), "{no_rule}");
}

/// A rolling-average ledger averages over a window of consecutive periods (移動平均): the
/// window's share is stored with the ledger, read back, used by claims (never overdrawing the
/// period's own credits), short when an earlier period has no ledger, and a window naming a
/// ledger of another facility or material, a later period or the same ledger twice is refused
/// with nothing written.
///
/// Hand computation: April 10 t at 20 % → 2 t recycled; May 20 t at 5 % → 1 t; June 10 t at
/// 50 % → 5 t. June over 3 periods: (2 + 1 + 5) / 40 = 20 %; over 4 periods March is missing,
/// so the window is short and its share stays 20 % over the three found.
pub async fn ledger_rolling_windows_average_consecutive_periods(store: &dyn Store, _clock: &ManualClock) {
    let owner = organization(store, "移動平均", &[]).await;
    let admin = member_of(owner, &[Role::OrgAdmin, Role::Member]);
    let facility_id = plant(store, &admin, None).await;
    let other_plant = plant(store, &admin, None).await;
    let model = "mass_balance_rolling_average";
    let monthly = |period: &str, day: &str, mass: u32, share: u32| {
        (
            ledger(facility_id, "pp", model, period, json!({})),
            input(
                json!({"lot": format!("lot-{day}"), "mass": mass, "unit": "t", "recycled_share_pct": share,
                         "received_on": day}),
            ),
        )
    };
    let mut ids = Vec::new();
    for (new, entry) in [
        monthly("2026-04-01/2026-04-30", "2026-04-10", 10, 20),
        monthly("2026-05-01/2026-05-31", "2026-05-10", 20, 5),
    ] {
        let opened = store.create_ledger(&admin, new).await.expect("a month");
        store.add_ledger_input(&admin, opened.id, entry).await.expect("input");
        ids.push(opened.id);
    }
    let elsewhere = store
        .create_ledger(
            &admin,
            ledger(other_plant, "pp", model, "2026-05-01/2026-05-31", json!({})),
        )
        .await
        .expect("another plant");
    let other_material = store
        .create_ledger(
            &admin,
            ledger(facility_id, "pe", model, "2026-05-01/2026-05-31", json!({})),
        )
        .await
        .expect("another material");

    // Bad windows: nothing is written.
    let june = |window: Value| {
        ledger(
            facility_id,
            "pp",
            model,
            "2026-06-01/2026-06-30",
            json!({"rolling_window": window}),
        )
    };
    assert_eq!(
        paths(store.create_ledger(&admin, june(json!({"periods": 0}))).await),
        ["/rolling_window/periods"]
    );
    assert_eq!(
        paths(
            store
                .create_ledger(
                    &admin,
                    june(json!({"periods": 4, "ledgers": [elsewhere.id, other_material.id, ids[0]]}))
                )
                .await
        ),
        ["/rolling_window/ledgers/0", "/rolling_window/ledgers/1"]
    );
    assert_eq!(
        paths(
            store
                .create_ledger(&admin, june(json!({"periods": 3, "ledgers": [ids[1], ids[1]]})))
                .await
        ),
        ["/rolling_window/ledgers/1"]
    );
    let later = store
        .create_ledger(
            &admin,
            ledger(facility_id, "pp", model, "2026-08-01/2026-08-31", json!({})),
        )
        .await
        .expect("a later month");
    match store
        .create_ledger(&admin, june(json!({"periods": 2, "ledgers": [later.id]})))
        .await
    {
        Err(StoreError::Invalid(violations)) => {
            assert_eq!(violations[0].path, "/rolling_window/ledgers/0");
            assert!(
                violations[0].message.contains("overlaps or follows"),
                "{}",
                violations[0].message
            );
        }
        other => panic!("a later ledger is refused, got {other:?}"),
    }
    let juneless = store
        .list_ledgers(
            &admin,
            &LedgerFilter {
                facility_id: Some(facility_id),
                material: Some("pp".to_owned()),
                ..LedgerFilter::default()
            },
            &first_page(),
        )
        .await
        .expect("list");
    assert!(
        juneless.items.iter().all(|head| head.period_from != "2026-06-01"),
        "a refused window writes nothing"
    );

    // Three periods found by the chain: 20 %.
    let opened = store
        .create_ledger(&admin, june(json!({"periods": 3})))
        .await
        .expect("June");
    assert_eq!(opened.rolling_window.as_ref().map(|window| window.periods), Some(3));
    store
        .add_ledger_input(
            &admin,
            opened.id,
            input(json!({"lot": "lot-june", "mass": 10, "unit": "t", "recycled_share_pct": 50, "received_on": "2026-06-10"})),
        )
        .await
        .expect("input");
    let view = store.get_ledger(&admin, opened.id).await.expect("read");
    assert_eq!(
        view.ledger.rolling_window.as_ref().map(|window| window.periods),
        Some(3)
    );
    let window = view.rolling_window.clone().expect("a window");
    assert_eq!(
        (
            window.share_pct.map(|share| share.to_string()),
            window.input_t.to_string(),
            window.used.len(),
            window.short
        ),
        (Some("20".to_owned()), "40".to_owned(), 3, false)
    );
    assert_eq!(
        view.balance.rolling_average_share_pct.map(|share| share.to_string()),
        Some("50".to_owned())
    );
    // Claims carry the window's share, not the period's own 50 %.
    let above = conflict(
        store
            .claim_from_ledger(&admin, opened.id, claim_on_june("o-above", "4", "21"))
            .await,
    );
    assert!(above.contains("at most 20 %"), "{above}");
    let accepted = store
        .claim_from_ledger(&admin, opened.id, claim_on_june("o-1", "10", "20"))
        .await
        .expect("within the window's share");
    assert_eq!(accepted.credits_t.normalize().to_string(), "2");

    // Over four periods, March has no ledger: short, never filled.
    let july = store
        .create_ledger(
            &admin,
            ledger(
                facility_id,
                "pp",
                model,
                "2026-07-01/2026-07-31",
                json!({"rolling_window": {"periods": 5}}),
            ),
        )
        .await
        .expect("July");
    store
        .add_ledger_input(
            &admin,
            july.id,
            input(json!({"lot": "lot-july", "mass": 10, "unit": "t", "recycled_share_pct": 0, "received_on": "2026-07-10"})),
        )
        .await
        .expect("input");
    let window = store
        .get_ledger(&admin, july.id)
        .await
        .expect("read")
        .rolling_window
        .expect("a window");
    // (2 + 1 + 5 + 0) / (10 + 20 + 10 + 10) = 8 / 50 = 16 %.
    assert_eq!(
        (
            window.share_pct.map(|share| share.to_string()),
            window.used.len(),
            window.short
        ),
        (Some("16".to_owned()), 4, true)
    );
    assert!(window.missing[0].contains("ends on 2026-03-31"), "{:?}", window.missing);
}

fn claim_on_june(output: &str, mass: &str, share: &str) -> NewLedgerClaim {
    serde_json::from_value(
        json!({"output_lot": output, "mass": mass, "unit": "t", "recycled_share_pct": share,
                                  "claimed_on": "2026-06-20"}),
    )
    .expect("the shape of a claim")
}
