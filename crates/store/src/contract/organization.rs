//! Contract cases for the reads behind the organization-scope indicators (issue 6): the events
//! at a set of locations in a period (events the reader may not read reduced to their id, type,
//! time and owner), passports by identifiers and ledger inputs by lots, each one call for the
//! whole set, under the read rule, reads under grants audited.

use serde_json::json;
use time::Duration;

use junkan_model::access::{AccessLevel, GrantLevel, Grantee, NewGrant, RecordClass, RecordKind};
use junkan_model::audit::{AuditAction, AuditFilter};
use junkan_model::event::{CaptureErrorBehaviour, IdentifierRole};
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
use junkan_model::principal::{Actor, Role};

use super::ledgers::{input, ledger, plant, transformation};
use super::{capture_of, first_page, member_of, organization, plastics_passport, START};
use crate::{ManualClock, Store};

const HERE: &str = "https://id.gs1.org/414/4512345000011";
const THERE: &str = "https://id.gs1.org/414/4512345000028";
const FLAKES: &str = "https://id.gs1.org/01/04512345123451/10/FLAKE-7";
const PELLETS: &str = "https://id.gs1.org/01/04512345123451/10/PELLET-7";
const NOWHERE: &str = "https://id.gs1.org/01/04512345123451/10/NONE-7";

async fn share(store: &dyn Store, owner: &Actor, reader: OrganizationId, kind: RecordKind) -> String {
    store
        .create_grant(
            owner,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization {
                    organization_id: reader,
                },
                record_kind: kind,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("循環指標 / circularity indicators".to_owned()),
                expires_at: START + Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant")
        .id
        .to_string()
}

/// Whether `owner` sees a read of `record` by `reader` under `grant` in its audit log.
async fn audited(store: &dyn Store, owner: &Actor, record: &str, reader: OrganizationId, grant: &str) -> bool {
    store
        .list_audit(
            owner,
            &AuditFilter {
                action: Some(AuditAction::Read),
                record_id: Some(record.to_owned()),
                ..AuditFilter::default()
            },
            &first_page(),
        )
        .await
        .expect("audit")
        .items
        .iter()
        .any(|entry| {
            entry.actor_organization_id == Some(reader)
                && entry.grant_id.map(|id| id.to_string()).as_deref() == Some(grant)
        })
}

/// Events at locations in a period, passports by identifiers and ledger inputs by lots: the set
/// asked for in one call, what the reader may not read withheld (events: by owner only) or left
/// out, and reads under grants audited.
pub async fn organization_flow_reads_follow_the_read_rule(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "循環A", &[]).await;
    let b = organization(store, "循環B", &[]).await;
    let admin_a = member_of(a, &[Role::OrgAdmin, Role::Member]);
    let admin_b = member_of(b, &[Role::OrgAdmin, Role::Member]);

    // Events: A's at its place (one on its bizLocation only), one elsewhere, one after the
    // period; B's at A's place (a contractor's record), restricted.
    let mut on_location = transformation(
        "urn:uuid:o-4",
        5,
        HERE,
        &[(IdentifierRole::InputQuantity, FLAKES, Some("1"), Some("TNE"))],
    );
    on_location.biz_location = on_location.read_point.take();
    let events = vec![
        transformation(
            "urn:uuid:o-1",
            3,
            HERE,
            &[
                (IdentifierRole::InputQuantity, FLAKES, Some("1000"), Some("KGM")),
                (IdentifierRole::OutputQuantity, PELLETS, Some("950"), Some("KGM")),
            ],
        ),
        transformation(
            "urn:uuid:o-2",
            400,
            HERE,
            &[(IdentifierRole::InputQuantity, FLAKES, Some("1"), Some("KGM"))],
        ),
        transformation(
            "urn:uuid:o-3",
            3,
            THERE,
            &[(IdentifierRole::InputQuantity, FLAKES, Some("1"), Some("KGM"))],
        ),
        on_location,
    ];
    let job = store
        .capture_events(&admin_a, capture_of(events, CaptureErrorBehaviour::Rollback))
        .await
        .expect("capture");
    assert!(job.success, "{:?}", job.errors);
    let contractor = vec![transformation(
        "urn:uuid:o-5",
        4,
        HERE,
        &[(IdentifierRole::InputQuantity, PELLETS, Some("10"), Some("KGM"))],
    )];
    let job = store
        .capture_events(&admin_b, capture_of(contractor, CaptureErrorBehaviour::Rollback))
        .await
        .expect("capture");
    assert!(job.success, "{:?}", job.errors);
    let (from, until) = (START - Duration::hours(9), START + Duration::days(365));
    let here = [HERE.to_owned()];
    let found = store
        .events_at_locations(&admin_a, &here, from, until)
        .await
        .expect("events");
    let ids: Vec<&str> = found.iter().map(|event| event.event_id.as_str()).collect();
    assert_eq!(ids, ["urn:uuid:o-1", "urn:uuid:o-5", "urn:uuid:o-4"], "in time order");
    assert!(found[0].readable);
    assert_eq!(found[0].identifiers.len(), 2);
    assert_eq!(found[0].identifiers[0].quantity.as_deref(), Some("1000"));
    let withheld = &found[1];
    assert!(!withheld.readable);
    assert_eq!((withheld.owner, withheld.owner_name.as_str()), (b, "循環B株式会社"));
    assert!(withheld.identifiers.is_empty() && withheld.biz_step.is_none() && withheld.action.is_none());
    let both = [HERE.to_owned(), THERE.to_owned()];
    assert_eq!(
        store
            .events_at_locations(&admin_a, &both, from, until)
            .await
            .expect("events")
            .len(),
        4
    );
    assert!(store
        .events_at_locations(&admin_a, &[], from, until)
        .await
        .expect("no locations")
        .is_empty());
    let grant = share(store, &admin_b, a, RecordKind::Event).await;
    let found = store
        .events_at_locations(&admin_a, &here, from, until)
        .await
        .expect("events");
    assert!(found[1].readable && found[1].identifiers.len() == 1, "{:?}", found[1]);
    assert!(audited(store, &admin_b, "urn:uuid:o-5", a, &grant).await);

    // Passports: the readable ones of the identifiers asked for, each in the reader's view.
    store
        .create_passport(&admin_a, plastics_passport(FLAKES))
        .await
        .expect("public passport");
    let mut restricted = plastics_passport(PELLETS);
    restricted.visibility = Visibility::Restricted;
    store
        .create_passport(&admin_b, restricted)
        .await
        .expect("restricted passport");
    let asked = [FLAKES.to_owned(), PELLETS.to_owned(), NOWHERE.to_owned()];
    let passports = store.find_passports(&admin_a, &asked).await.expect("passports");
    assert_eq!(passports.len(), 1);
    assert_eq!(passports[0].identifier, FLAKES);
    assert!(store.find_passports(&admin_a, &[]).await.expect("none").is_empty());
    let grant = share(store, &admin_b, a, RecordKind::Passport).await;
    let passports = store.find_passports(&admin_a, &asked).await.expect("passports");
    let identifiers: Vec<&str> = passports.iter().map(|passport| passport.identifier.as_str()).collect();
    assert_eq!(identifiers, [FLAKES, PELLETS]);
    assert_eq!(passports[1].access_level, AccessLevel::LegitimateInterest);
    assert!(
        passports[1].withheld.contains(&"/price".to_owned()),
        "{:?}",
        passports[1].withheld
    );
    assert!(audited(store, &admin_b, &passports[1].id.to_string(), a, &grant).await);

    // Ledger inputs: of the lots asked for, in the ledgers the reader may read.
    let mut ledger_ids = Vec::new();
    for admin in [&admin_a, &admin_b] {
        let facility = plant(store, admin, None).await;
        let opened = store
            .create_ledger(
                admin,
                ledger(
                    facility,
                    "pp",
                    "mass_balance_credit",
                    "2026-04-01/2027-03-31",
                    json!({}),
                ),
            )
            .await
            .expect("ledger");
        store
            .add_ledger_input(
                admin,
                opened.id,
                input(
                    json!({"lot": FLAKES, "mass": 1, "unit": "t", "pre_consumer_pct": 0, "post_consumer_pct": 100,
                             "received_on": "2026-04-04", "evidence": "受入検査"}),
                ),
            )
            .await
            .expect("input");
        ledger_ids.push(opened.id);
    }
    let lots = [FLAKES.to_owned(), NOWHERE.to_owned()];
    let own = store.ledger_inputs_for_lots(&admin_a, &lots).await.expect("inputs");
    assert_eq!(own.len(), 1);
    assert_eq!((own[0].0.id, own[0].1.lot.as_str()), (ledger_ids[0], FLAKES));
    assert_eq!(own[0].1.share.recycled_share_pct.normalize().to_string(), "100");
    assert!(store
        .ledger_inputs_for_lots(&admin_a, &[])
        .await
        .expect("none")
        .is_empty());
    let grant = share(store, &admin_b, a, RecordKind::Ledger).await;
    let both = store.ledger_inputs_for_lots(&admin_a, &lots).await.expect("inputs");
    let mut ledgers: Vec<_> = both.iter().map(|(ledger, _)| ledger.id).collect();
    ledgers.sort();
    let mut expected = ledger_ids.clone();
    expected.sort();
    assert_eq!(ledgers, expected);
    assert!(audited(store, &admin_b, &ledger_ids[1].to_string(), a, &grant).await);
}

/// A grant of the lineage through the owner's facilities (`RecordClass::Facilities`) covers the
/// owner's events whose readPoint or bizLocation is a GLN of one of its facilities, or a
/// sub-location under it, and nothing else; revoked, it covers nothing.
pub async fn facilities_class_grants_cover_events_at_the_owners_facilities(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "拠点A", &[]).await;
    let b = organization(store, "拠点B", &[]).await;
    let admin_a = member_of(a, &[Role::OrgAdmin, Role::Member]);
    let admin_b = member_of(b, &[Role::OrgAdmin, Role::Member]);
    plant(store, &admin_a, Some("4512345000011")).await;
    let dock = format!("{HERE}/254/7");
    let mut on_biz_location = transformation(
        "urn:uuid:f-3",
        3,
        HERE,
        &[(IdentifierRole::InputQuantity, FLAKES, Some("1"), Some("KGM"))],
    );
    on_biz_location.biz_location = on_biz_location.read_point.take();
    let events = vec![
        transformation(
            "urn:uuid:f-1",
            3,
            HERE,
            &[(IdentifierRole::InputQuantity, FLAKES, Some("1"), Some("KGM"))],
        ),
        transformation(
            "urn:uuid:f-2",
            3,
            &dock,
            &[(IdentifierRole::InputQuantity, FLAKES, Some("1"), Some("KGM"))],
        ),
        on_biz_location,
        transformation(
            "urn:uuid:f-4",
            3,
            THERE,
            &[(IdentifierRole::InputQuantity, FLAKES, Some("1"), Some("KGM"))],
        ),
    ];
    let job = store
        .capture_events(&admin_a, capture_of(events, CaptureErrorBehaviour::Rollback))
        .await
        .expect("capture");
    assert!(job.success, "{:?}", job.errors);
    let (from, until) = (START - Duration::hours(9), START + Duration::days(365));
    let places = [HERE.to_owned(), dock.clone(), THERE.to_owned()];
    let readable = |found: Vec<junkan_model::event::LineageEvent>| -> Vec<String> {
        let mut ids: Vec<String> = found
            .into_iter()
            .filter(|event| event.readable)
            .map(|event| event.event_id)
            .collect();
        ids.sort();
        ids
    };
    let before = store
        .events_at_locations(&admin_b, &places, from, until)
        .await
        .expect("events");
    assert_eq!(before.len(), 4);
    assert!(readable(before).is_empty());
    let grant = store
        .create_grant(
            &admin_a,
            NewGrant {
                record_class: Some(RecordClass::Facilities {}),
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: b },
                record_kind: RecordKind::Event,
                record_ids: None,
                level: GrantLevel::Full,
                purpose: Some("トレース / lineage".to_owned()),
                expires_at: START + Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant");
    assert_eq!(grant.record_class, Some(RecordClass::Facilities {}));
    let found = store
        .events_at_locations(&admin_b, &places, from, until)
        .await
        .expect("events");
    assert_eq!(readable(found), ["urn:uuid:f-1", "urn:uuid:f-2", "urn:uuid:f-3"]);
    assert!(audited(store, &admin_a, "urn:uuid:f-2", b, &grant.id.to_string()).await);
    store.revoke_grant(&admin_a, grant.id).await.expect("revoke");
    let after = store
        .events_at_locations(&admin_b, &places, from, until)
        .await
        .expect("events");
    assert!(readable(after).is_empty());
}
