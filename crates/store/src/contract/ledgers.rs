//! Contract cases for chain-of-custody ledgers (CoC 台帳, issue 6): never overdrawn, an input lot
//! counted once, claims immutable and reversed instead, period boundaries, concurrent claims,
//! inputs from TransformationEvents with shares from passports and upstream claims, unknown
//! shares reported as missing, and the read rule with its audit.

use serde_json::{json, Value};

use junkan_indicators::custody::{LedgerFilter, NewLedger, NewLedgerClaim, NewLedgerInput, ReverseClaim};
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
                grantee: Grantee::Organization { organization_id: other },
                record_kind: RecordKind::Ledger,
                record_ids: Some(vec![id.to_string()]),
                level: GrantLevel::LegitimateInterest,
                purpose: Some("再生材含有の確認 / recycled content check".to_owned()),
                expires_at: START + Duration::days(30),
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
    let report = store.import_ledger_inputs(&admin, id).await.expect("import");
    assert_eq!(report.events, ["urn:uuid:e-1"]);
    let entered: Vec<(&str, String, &str)> = report
        .entered
        .iter()
        .map(|input| {
            let source = match &input.share_source {
                junkan_indicators::custody::ShareSource::Passport { .. } => "passport",
                junkan_indicators::custody::ShareSource::Claim { .. } => "claim",
                junkan_indicators::custody::ShareSource::Declared => "declared",
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
    let again = store.import_ledger_inputs(&admin, id).await.expect("import again");
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
    let refused = store.import_ledger_inputs(&admin, litres.id).await;
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
        .import_ledger_inputs(&admin, converted.id)
        .await
        .expect("nothing in this period")
        .events
        .is_empty());
    // Another organization may not import into the ledger.
    assert!(matches!(
        store.import_ledger_inputs(&supplier_admin, id).await,
        Err(StoreError::NotFound { .. })
    ));
}
