//! Runs the store contract suite against SQLite always, and against PostgreSQL when
//! `JUNKAN_TEST_POSTGRES_URL` is set. With `JUNKAN_REQUIRE_POSTGRES=1` (as in CI) a missing URL
//! fails the PostgreSQL tests instead of skipping them.

use std::sync::Arc;

use junkan_store::ManualClock;
use junkan_store_sql::{GraphSource, SqlStore};

/// A fresh SQLite database in a temporary directory that lives as long as the process, not yet
/// migrated.
async fn unmigrated_sqlite_store(clock: Arc<ManualClock>) -> SqlStore {
    let directory =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junkan-contract-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).expect("temporary directory");
    let url = format!("sqlite://{}", directory.join("junkan.db").display());
    junkan_store_sql::open(&url, clock).await.expect("open sqlite")
}

/// A fresh schema in the test PostgreSQL database, not yet migrated.
async fn unmigrated_postgres_store(clock: Arc<ManualClock>) -> Option<SqlStore> {
    let url = junkan_store_sql::testing::postgres_url()?;
    let url = junkan_store_sql::testing::fresh_postgres_schema(&url).await;
    Some(junkan_store_sql::open(&url, clock).await.expect("open postgres"))
}

/// A fresh, migrated SQLite database.
async fn sqlite_store(clock: Arc<ManualClock>) -> Option<SqlStore> {
    let store = unmigrated_sqlite_store(clock).await;
    store.migrate().await.expect("migrate sqlite");
    Some(store)
}

/// A fresh, migrated schema in the test PostgreSQL database.
async fn postgres_store(clock: Arc<ManualClock>) -> Option<SqlStore> {
    let store = unmigrated_postgres_store(clock).await?;
    store.migrate().await.expect("migrate postgres");
    Some(store)
}

mod sqlite {
    use super::*;
    junkan_store::store_contract_tests!(sqlite_store);
}

mod postgres {
    use super::*;
    junkan_store::store_contract_tests!(postgres_store);
}

/// The audit log and the record sets its entries name are append-only in the database itself,
/// on both engines.
async fn audit_log_refuses_changes(store: SqlStore) {
    use junkan_model::principal::Actor;
    let created = store
        .create_industry(
            &Actor::system(),
            junkan_model::industry::Industry {
                code: "audited".to_owned(),
                name_ja: "監査".to_owned(),
                name_en: "Audited".to_owned(),
            },
        )
        .await;
    assert!(created.is_ok());
    // A set of records read, as a batch of reads stores it (migration 0014).
    for statement in [
        "INSERT INTO audit_record_sets (id, record_count) VALUES ('set', 2)",
        "INSERT INTO audit_record_set_members (set_id, record_id) VALUES ('set', 'one'), ('set', 'two')",
    ] {
        junkan_store_sql::testing::execute(&store, statement)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    for statement in [
        "UPDATE audit_log SET actor_id = 'someone else'",
        "DELETE FROM audit_log",
        "UPDATE audit_record_sets SET record_count = 1",
        "DELETE FROM audit_record_sets",
        "UPDATE audit_record_set_members SET record_id = 'three'",
        "DELETE FROM audit_record_set_members",
    ] {
        let result = junkan_store_sql::testing::execute(&store, statement).await;
        assert!(result.is_err(), "{statement} must fail, got {result:?}");
    }
}

use junkan_store::Store as _;

#[tokio::test]
async fn sqlite_audit_log_is_append_only() {
    let store = sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START))
        .await
        .expect("sqlite");
    audit_log_refuses_changes(store).await;
}

#[tokio::test]
async fn postgres_audit_log_is_append_only() {
    let Some(store) = postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await else {
        eprintln!("SKIPPED postgres_audit_log_is_append_only: backend not configured");
        return;
    };
    audit_log_refuses_changes(store).await;
}

/// Events stored in the shape of migration 0002 are carried over by 0004 (hash keys, interned
/// identifiers, contexts) and read, queried, traced and deduplicated as before.
async fn events_before_0004_are_carried_over(store: SqlStore) {
    use junkan_model::event::{CaptureErrorBehaviour, EventIdentifier, EventQuery, IdentifierFilter, IdentifierRole};
    use junkan_model::facility::Visibility;
    use junkan_model::organization::{CompanySize, NewOrganization, OrganizationType};
    use junkan_model::page::PageRequest;
    use junkan_model::principal::{Actor, PrincipalKind, Role};
    use junkan_store::NewCapture;

    // The code of today writes into the schema of then, which has no log yet (migration 0024).
    let store = store.without_log();
    junkan_store_sql::testing::migrate_to(&store, 3)
        .await
        .expect("migrations 1-3");
    let organization = store
        .create_organization(
            &Actor::system(),
            NewOrganization {
                name_ja: "移行株式会社".to_owned(),
                name_en: "Migration Co.".to_owned(),
                organization_type: OrganizationType::Company,
                company_size: Some(CompanySize::Sme),
                corporate_number: None,
                lei: None,
                gs1_company_prefix: None,
                gln: None,
                local_government_code: None,
                prefecture_code: Some("13".to_owned()),
                industries: vec![],
                roles: vec![],
                website: None,
            },
        )
        .await
        .expect("organization");
    let owner = organization.id.to_string();
    let hashed = format!("ni:///sha-256;{}?ver=CBV2.0", "0a".repeat(32));
    let item = "https://id.gs1.org/01/04512345123451/21/7";
    let lot = "https://id.gs1.org/01/04512345123451/10/L1";
    let context = r#"["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]"#;
    let statements = [
        format!(
            "INSERT INTO epcis_captures (id, owner_organization_id, created_at, finished_at, success, error_behaviour, errors, captured_count, duplicate_count) \
             VALUES ('c0000000-0000-0000-0000-000000000001', '{owner}', 1, 1, 1, 'rollback', '[]', 2, 0)"
        ),
        format!(
            "INSERT INTO epcis_events (seq, id, event_hash, owner_organization_id, capture_id, visibility, event_type, event_time, record_time, action, biz_step, body, context) \
             VALUES (1, '{hashed}', '{hashed}', '{owner}', 'c0000000-0000-0000-0000-000000000001', 'restricted', 'ObjectEvent', 10, 20, 'OBSERVE', 'shipping', \
             '{{\"type\":\"ObjectEvent\",\"eventID\":\"{hashed}\"}}', '{context}')"
        ),
        format!(
            "INSERT INTO epcis_events (seq, id, event_hash, owner_organization_id, capture_id, visibility, event_type, event_time, record_time, body, context) \
             VALUES (2, 'urn:uuid:legacy', 'ni:///sha-256;legacy?ver=CBV2.0', '{owner}', 'c0000000-0000-0000-0000-000000000001', 'restricted', 'TransformationEvent', 11, 20, \
             '{{\"type\":\"TransformationEvent\",\"eventID\":\"urn:uuid:legacy\"}}', '{context}')"
        ),
        format!("INSERT INTO epcis_event_identifiers (value, role, event_seq) VALUES ('{item}', 'epc', 1)"),
        format!("INSERT INTO epcis_event_identifiers (value, role, event_seq) VALUES ('{item}', 'input', 2)"),
        format!("INSERT INTO epcis_event_identifiers (value, role, event_seq, quantity, uom) VALUES ('{lot}', 'output_quantity', 2, '12.5', 'KGM')"),
    ];
    for statement in &statements {
        junkan_store_sql::testing::execute(&store, statement)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    store.migrate().await.expect("migration 0004 over stored events");

    let actor = Actor {
        kind: PrincipalKind::User,
        principal_id: "migration".to_owned(),
        organization_id: Some(organization.id),
        roles: vec![Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let first = store
        .get_event(&actor, &hashed)
        .await
        .expect("event stored under its hash");
    assert_eq!((first.event.event_hash.as_str(), first.sequence), (hashed.as_str(), 1));
    assert_eq!(first.event.body["eventID"], hashed.as_str());
    assert_eq!(first.event.context.to_string(), context.replace(' ', ""));
    let second = store
        .get_event(&actor, "urn:uuid:legacy")
        .await
        .expect("event with its own eventID");
    assert_eq!(second.event.event_hash, "ni:///sha-256;legacy?ver=CBV2.0");
    assert_eq!(
        second
            .event
            .identifiers
            .iter()
            .find(|identifier| identifier.value == lot),
        Some(&EventIdentifier {
            role: IdentifierRole::OutputQuantity,
            value: lot.to_owned(),
            quantity: Some("12.5".to_owned()),
            uom: Some("KGM".to_owned()),
        })
    );
    let matching = store
        .query_events(
            &actor,
            &EventQuery {
                identifiers: vec![IdentifierFilter {
                    roles: vec![IdentifierRole::Epc, IdentifierRole::Input],
                    values: vec![item.to_owned()],
                    prefixes: vec![],
                }],
                ..EventQuery::default()
            },
            &PageRequest::first(10),
        )
        .await
        .expect("query");
    assert_eq!(
        matching.items.iter().map(|event| event.sequence).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let traced = store
        .lineage_events(&actor, &[lot.to_owned()], &[])
        .await
        .expect("lineage");
    assert_eq!(traced.len(), 1);
    assert_eq!(traced[0].event_id, "urn:uuid:legacy");

    // New captures continue after the carried-over events: the same hash is a duplicate, and an
    // event given another event's hash as its eventID conflicts with it.
    let mut again = first.event.clone();
    again.body = serde_json::json!({"type": "ObjectEvent"});
    let mut impostor = second.event.clone();
    impostor.event_id = hashed.clone();
    impostor.event_hash = format!("ni:///sha-256;{}?ver=CBV2.0", "0b".repeat(32));
    let mut fresh = second.event.clone();
    fresh.event_id = format!("ni:///sha-256;{}?ver=CBV2.0", "0c".repeat(32));
    fresh.event_hash = fresh.event_id.clone();
    let job = store
        .capture_events(
            &actor,
            NewCapture {
                behaviour: CaptureErrorBehaviour::Proceed,
                events: vec![
                    ("/0".to_owned(), again),
                    ("/1".to_owned(), impostor),
                    ("/2".to_owned(), fresh.clone()),
                ],
                errors: vec![],
                visibility: Visibility::Restricted,
            },
        )
        .await
        .expect("capture");
    assert_eq!((job.captured_count, job.duplicate_count), (1, 1));
    assert_eq!(job.errors.len(), 1, "{:?}", job.errors);
    assert_eq!(job.errors[0].path, "/1/eventID");
    let stored = store.get_event(&actor, &fresh.event_id).await.expect("new event");
    assert_eq!(
        (stored.sequence, stored.event.event_hash.as_str()),
        (3, fresh.event_hash.as_str())
    );
}

#[tokio::test]
async fn sqlite_events_before_0004_are_carried_over() {
    let store = unmigrated_sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await;
    events_before_0004_are_carried_over(store).await;
}

#[tokio::test]
async fn postgres_events_before_0004_are_carried_over() {
    let Some(store) = unmigrated_postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await
    else {
        eprintln!("SKIPPED postgres_events_before_0004_are_carried_over: backend not configured");
        return;
    };
    events_before_0004_are_carried_over(store).await;
}

/// A published footprint is immutable in the database itself, on both engines: only its status
/// moves from Active to Deprecated (a supersede), and nothing is deleted.
async fn footprints_refuse_changes(store: SqlStore) {
    use junkan_model::facility::Visibility;
    use junkan_model::principal::{Actor, PrincipalKind, Role};
    let organization = store
        .create_organization(
            &Actor::system(),
            junkan_model::organization::NewOrganization {
                name_ja: "不変株式会社".to_owned(),
                name_en: "Immutable".to_owned(),
                organization_type: junkan_model::organization::OrganizationType::Company,
                company_size: Some(junkan_model::organization::CompanySize::Small),
                corporate_number: None,
                lei: None,
                gs1_company_prefix: None,
                gln: None,
                local_government_code: None,
                prefecture_code: None,
                industries: vec![],
                roles: vec![],
                website: None,
            },
        )
        .await
        .expect("organization");
    let member = Actor {
        kind: PrincipalKind::User,
        principal_id: "member".to_owned(),
        organization_id: Some(organization.id),
        roles: vec![Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    store
        .create_footprint(
            &member,
            junkan_footprint::fixtures::cell_footprint(),
            Visibility::Public,
        )
        .await
        .expect("footprint");
    for statement in [
        "UPDATE footprints SET document = '{}'",
        "UPDATE footprints SET owner_organization_id = owner_organization_id, status = 'Active', visibility = 'restricted'",
        "DELETE FROM footprints",
    ] {
        let result = junkan_store_sql::testing::execute(&store, statement).await;
        assert!(result.is_err(), "{statement} must fail, got {result:?}");
    }
    let deprecate = junkan_store_sql::testing::execute(&store, "UPDATE footprints SET status = 'Deprecated'").await;
    assert!(deprecate.is_ok(), "the one allowed transition: {deprecate:?}");
}

#[tokio::test]
async fn sqlite_footprints_are_immutable() {
    let store = sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START))
        .await
        .expect("sqlite");
    footprints_refuse_changes(store).await;
}

#[tokio::test]
async fn postgres_footprints_are_immutable() {
    let Some(store) = postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await else {
        eprintln!("SKIPPED postgres_footprints_are_immutable: backend not configured");
        return;
    };
    footprints_refuse_changes(store).await;
}

/// Material-flow records, indicator values and targets are immutable in the database itself, on
/// both engines: the one change allowed is marking the current version superseded (a
/// correction), and nothing is deleted.
async fn indicator_records_refuse_changes(store: SqlStore) {
    use junkan_model::principal::{Actor, PrincipalKind, Role};
    let organization = store
        .create_organization(
            &Actor::system(),
            junkan_model::organization::NewOrganization {
                name_ja: "統計株式会社".to_owned(),
                name_en: "Statistics".to_owned(),
                organization_type: junkan_model::organization::OrganizationType::Company,
                company_size: Some(junkan_model::organization::CompanySize::Small),
                corporate_number: None,
                lei: None,
                gs1_company_prefix: None,
                gln: None,
                local_government_code: None,
                prefecture_code: None,
                industries: vec![],
                roles: vec![],
                website: None,
            },
        )
        .await
        .expect("organization");
    let member = Actor {
        kind: PrincipalKind::User,
        principal_id: "member".to_owned(),
        organization_id: Some(organization.id),
        roles: vec![Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let flow = serde_json::from_value(serde_json::json!({
        "region": "JP", "fiscal_year": 2000, "kind": "circular_use", "amount": "218", "unit": "Mt", "source": "plan"
    }))
    .expect("record");
    store.create_material_flow(&member, flow).await.expect("record");
    let value = serde_json::from_value(serde_json::json!({
        "indicator": "cmu", "scope": "nation:JP", "fiscal_year": 2022, "result": {"CMU_pct": 11.5}, "source": "Eurostat"
    }))
    .expect("value");
    store.create_indicator_value(&member, value).await.expect("value");
    let target = junkan_indicators::records::japan_national_target_records().remove(0);
    store.create_indicator_target(&member, target).await.expect("target");
    for (table, column) in [
        ("material_flows", "amount = '1'"),
        ("indicator_values", "result = '{}'"),
        ("indicator_targets", "target_value = '1'"),
    ] {
        for statement in [
            format!("UPDATE {table} SET {column}"),
            format!("UPDATE {table} SET {column}, superseded_by = 'x'"),
            format!("DELETE FROM {table}"),
        ] {
            let result = junkan_store_sql::testing::execute(&store, &statement).await;
            assert!(result.is_err(), "{statement} must fail, got {result:?}");
        }
        let supersede = format!("UPDATE {table} SET superseded_by = 'x'");
        let result = junkan_store_sql::testing::execute(&store, &supersede).await;
        assert!(result.is_ok(), "the one allowed change: {result:?}");
        let again = format!("UPDATE {table} SET superseded_by = 'y'");
        assert!(
            junkan_store_sql::testing::execute(&store, &again).await.is_err(),
            "a superseded version stays as it is"
        );
    }
}

#[tokio::test]
async fn sqlite_indicator_records_are_immutable() {
    let store = sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START))
        .await
        .expect("sqlite");
    indicator_records_refuse_changes(store).await;
}

#[tokio::test]
async fn postgres_indicator_records_are_immutable() {
    let Some(store) = postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await else {
        eprintln!("SKIPPED postgres_indicator_records_are_immutable: backend not configured");
        return;
    };
    indicator_records_refuse_changes(store).await;
}

/// Ledger entries are append-only in the database itself, on both engines: a claim is corrected
/// by a reversal, never by an update, and a ledger changes only by its entries and its closing.
async fn ledger_entries_refuse_changes(store: SqlStore) {
    use junkan_model::facility::{FacilityType, NewFacility, Visibility};
    use junkan_model::principal::{Actor, PrincipalKind, Role};
    use serde_json::json;
    let organization = store
        .create_organization(
            &Actor::system(),
            junkan_model::organization::NewOrganization {
                name_ja: "台帳株式会社".to_owned(),
                name_en: "Ledger Co., Ltd.".to_owned(),
                organization_type: junkan_model::organization::OrganizationType::Company,
                company_size: Some(junkan_model::organization::CompanySize::Sme),
                corporate_number: None,
                lei: None,
                gs1_company_prefix: None,
                gln: None,
                local_government_code: None,
                prefecture_code: Some("13".to_owned()),
                industries: vec![],
                roles: vec![],
                website: None,
            },
        )
        .await
        .expect("organization");
    let admin = Actor {
        kind: PrincipalKind::User,
        principal_id: "ledger-admin".to_owned(),
        organization_id: Some(organization.id),
        roles: vec![Role::OrgAdmin, Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let facility = store
        .create_facility(
            &admin,
            organization.id,
            NewFacility {
                name_ja: "工場".to_owned(),
                name_en: "Plant".to_owned(),
                facility_type: FacilityType::Plant,
                gln: None,
                ouranos_plant_id: None,
                prefecture_code: None,
                local_government_code: Some("131016".to_owned()),
                address: None,
                visibility: Visibility::Restricted,
            },
        )
        .await
        .expect("facility");
    let ledger = store
        .create_ledger(
            &admin,
            serde_json::from_value(
                json!({"facility_id": facility.id, "material": "Ni", "model": "mass_balance_credit",
                                          "period": "2026-04-01/2027-03-31"}),
            )
            .expect("shape"),
        )
        .await
        .expect("ledger");
    store
        .add_ledger_input(
            &admin,
            ledger.id,
            serde_json::from_value(json!({"lot": "r", "mass": 1, "unit": "t", "recycled_share_pct": 100,
                                          "received_on": "2026-04-02"}))
            .expect("shape"),
        )
        .await
        .expect("input");
    let claim = store
        .claim_from_ledger(
            &admin,
            ledger.id,
            serde_json::from_value(
                json!({"output_lot": "o", "mass": 1, "unit": "t", "recycled_share_pct": 100,
                                          "claimed_on": "2026-04-03"}),
            )
            .expect("shape"),
        )
        .await
        .expect("claim");
    store
        .reverse_ledger_claim(
            &admin,
            ledger.id,
            claim.id,
            junkan_indicators::custody::ReverseClaim {
                reason: "test".to_owned(),
            },
        )
        .await
        .expect("reversal");
    // A rolling-average ledger's window (migration 0032) is fixed when the ledger is opened.
    store
        .create_ledger(
            &admin,
            serde_json::from_value(json!({"facility_id": facility.id, "material": "Co",
                "model": "mass_balance_rolling_average", "period": "2026-04-01/2027-03-31",
                "rolling_window": {"periods": 3}}))
            .expect("shape"),
        )
        .await
        .expect("a windowed ledger");
    for statement in [
        "UPDATE ledger_rolling_windows SET periods = 12",
        "DELETE FROM ledger_rolling_windows",
        "UPDATE ledger_inputs SET recycled_share_pct = '50'",
        "DELETE FROM ledger_inputs",
        "UPDATE ledger_claims SET recycled_share_pct = '10'",
        "DELETE FROM ledger_claims",
        "UPDATE ledger_claim_backings SET credits_t = '10'",
        "DELETE FROM ledger_claim_backings",
        "UPDATE ledger_claim_reversals SET reason = 'x'",
        "DELETE FROM ledger_claim_reversals",
        "UPDATE ledgers SET material = 'cobalt'",
        "UPDATE ledgers SET conversion_factor = '2', revision = revision + 1",
        "DELETE FROM ledgers",
    ] {
        let result = junkan_store_sql::testing::execute(&store, statement).await;
        assert!(result.is_err(), "{statement} must fail, got {result:?}");
    }
    // Raising the revision (what every entry's write does) is allowed.
    junkan_store_sql::testing::execute(&store, "UPDATE ledgers SET revision = revision + 1")
        .await
        .expect("revision");
}

#[tokio::test]
async fn sqlite_ledger_entries_are_append_only() {
    let store = sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START))
        .await
        .expect("sqlite");
    ledger_entries_refuse_changes(store).await;
}

#[tokio::test]
async fn postgres_ledger_entries_are_append_only() {
    let Some(store) = postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await else {
        eprintln!("SKIPPED postgres_ledger_entries_are_append_only: backend not configured");
        return;
    };
    ledger_entries_refuse_changes(store).await;
}

/// CFPs written before migration 0012 have no roll-up line beside them (nor, after 0014, on the
/// structure lines that lead to them): the roll-up then reads their footprints' JSON and gives
/// the same result, on both engines.
async fn cfps_without_rollup_lines_roll_up_from_their_documents(store: SqlStore) {
    let (parts, root) = junkan_footprint::synthetic::synthetic_tree(60, 3, 3, 5);
    let tree = junkan_store::supply_tree::write_supply_tree(&store, &parts, &root)
        .await
        .expect("tree written");
    let expected = junkan_footprint::rollup::rollup(&tree.expected, &tree.root.to_string()).expect("in memory");
    let with_lines = store
        .ouranos_rollup(&tree.root_actor, tree.root)
        .await
        .expect("roll-up");
    assert_eq!(with_lines, expected);
    let cleared = junkan_store_sql::testing::execute(&store, "UPDATE ouranos_cfps SET rollup_input = NULL")
        .await
        .expect("roll-up lines cleared");
    assert_eq!(cleared, tree.counts.cfps as u64);
    // The structure lines that lead to those CFPs then carry '?' (migration 0014).
    let marked = junkan_store_sql::testing::execute(
        &store,
        "UPDATE ouranos_parts_structures SET rollup_input = '?' WHERE rollup_input IS NOT NULL",
    )
    .await
    .expect("lines marked");
    assert!(marked > 0);
    let from_documents = store
        .ouranos_rollup(&tree.root_actor, tree.root)
        .await
        .expect("roll-up");
    assert_eq!(from_documents, expected);
}

#[tokio::test]
async fn sqlite_cfps_without_rollup_lines_roll_up_from_their_documents() {
    let store = sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START))
        .await
        .expect("sqlite");
    cfps_without_rollup_lines_roll_up_from_their_documents(store).await;
}

#[tokio::test]
async fn postgres_cfps_without_rollup_lines_roll_up_from_their_documents() {
    let Some(store) = postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await else {
        eprintln!("SKIPPED postgres_cfps_without_rollup_lines_roll_up_from_their_documents: backend not configured");
        return;
    };
    cfps_without_rollup_lines_roll_up_from_their_documents(store).await;
}

/// A roll-up uses the graph this process read before only while nothing it was read from has
/// changed in the database, whoever changed it: here plain SQL that no store code sees, as
/// another process or an operator would. Every table the graph is read from counts.
async fn rollup_reads_its_graph_again_after_any_change(store: SqlStore) {
    let (parts, root) = junkan_footprint::synthetic::synthetic_tree(60, 3, 3, 5);
    let tree = junkan_store::supply_tree::write_supply_tree(&store, &parts, &root)
        .await
        .expect("tree written");
    let roll_up = || store.ouranos_rollup_with_cost(&tree.root_actor, tree.root);
    let (first, cost) = roll_up().await.expect("roll-up");
    assert_eq!(cost.graph, GraphSource::Read, "the first roll-up reads the database");
    let (again, cost) = roll_up().await.expect("roll-up");
    assert_eq!(
        cost.graph,
        GraphSource::Kept,
        "nothing changed: the graph read before is used"
    );
    assert_eq!(again, first);

    // The amounts of the root's structure lines change (a '1' put in front of each).
    let changed = junkan_store_sql::testing::execute(
        &store,
        &format!(
            "UPDATE ouranos_parts_structures SET amount_required = '1' || amount_required \
             WHERE parent_trace_id = '{}' AND amount_required IS NOT NULL",
            tree.root
        ),
    )
    .await
    .expect("amounts changed");
    assert!(changed > 0);
    let (after, cost) = roll_up().await.expect("roll-up");
    assert_eq!(
        cost.graph,
        GraphSource::Patched,
        "a changed line makes the roll-up read the changed part again"
    );
    assert_ne!(after.total, first.total);
    store.forget_cached_graphs();
    let (fresh, cost) = roll_up().await.expect("roll-up");
    assert_eq!(cost.graph, GraphSource::Read);
    assert_eq!(
        after, fresh,
        "the roll-up after the change is the one a fresh read gives"
    );

    // A change to a part outside the graph (one no line leads to) leaves the kept graph in use,
    // unless the list of changed parts no longer reaches back to when it was read.
    let outside = format!(
        "UPDATE ouranos_parts SET parts_name = parts_name WHERE trace_id = (SELECT p.trace_id FROM ouranos_parts p \
         WHERE p.trace_id <> '{}' AND NOT EXISTS (SELECT 1 FROM ouranos_parts_structures s WHERE s.rollup_target = p.trace_id) \
         ORDER BY p.trace_id LIMIT 1)",
        tree.root
    );
    let before = junkan_store_sql::testing::select_integer(&store, "SELECT generation FROM ouranos_graph_generation")
        .await
        .expect("count");
    assert_eq!(
        junkan_store_sql::testing::execute(&store, &outside)
            .await
            .expect("outside"),
        1
    );
    let counted = junkan_store_sql::testing::select_integer(&store, "SELECT generation FROM ouranos_graph_generation")
        .await
        .expect("count");
    assert!(counted > before, "the change is counted");
    let (rolled, cost) = roll_up().await.expect("roll-up");
    assert_eq!(
        cost.graph,
        GraphSource::Kept,
        "a change outside the graph leaves it in use"
    );
    assert_eq!(rolled, fresh);
    assert_eq!(roll_up().await.expect("roll-up").1.graph, GraphSource::Kept);
    junkan_store_sql::testing::execute(&store, &outside)
        .await
        .expect("outside");
    junkan_store_sql::testing::execute(
        &store,
        "UPDATE ouranos_graph_generation SET pruned_through = generation",
    )
    .await
    .expect("pruned");
    let (rolled, cost) = roll_up().await.expect("roll-up");
    assert_eq!(
        cost.graph,
        GraphSource::Read,
        "changes no longer listed make the roll-up read again"
    );
    assert_eq!(rolled, fresh);

    for statement in [
        "UPDATE ouranos_parts SET organization_id = organization_id",
        "UPDATE ouranos_cfps SET updated_at = updated_at",
        "UPDATE ouranos_parts_structures SET position = position",
        // The one change a footprint allows.
        "UPDATE footprints SET status = 'Deprecated' WHERE status = 'Active'",
    ] {
        assert_eq!(
            roll_up().await.expect("roll-up").1.graph,
            GraphSource::Kept,
            "before {statement}"
        );
        junkan_store_sql::testing::execute(&store, statement)
            .await
            .expect(statement);
        let (rolled, cost) = roll_up().await.expect("roll-up");
        assert_eq!(
            cost.graph,
            GraphSource::Patched,
            "{statement} must make the roll-up read the changed parts again"
        );
        assert_eq!(rolled, fresh);
    }
}

#[tokio::test]
async fn sqlite_rollup_reads_its_graph_again_after_any_change() {
    let store = sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START))
        .await
        .expect("sqlite");
    rollup_reads_its_graph_again_after_any_change(store).await;
}

#[tokio::test]
async fn postgres_rollup_reads_its_graph_again_after_any_change() {
    let Some(store) = postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await else {
        eprintln!("SKIPPED postgres_rollup_reads_its_graph_again_after_any_change: backend not configured");
        return;
    };
    rollup_reads_its_graph_again_after_any_change(store).await;
}

/// The CFP write of four rows per kilogram (own and component emissions of the two stages).
fn kilogram_cfp(trace_id: uuid::Uuid, values: [&str; 4]) -> junkan_footprint::ouranos::CfpWrite {
    let rows: Vec<serde_json::Value> = [
        ("preProduction", "preProcessing"),
        ("mainProduction", "mainProcessing"),
        ("preComponent", "preProcessing"),
        ("mainComponent", "mainProcessing"),
    ]
    .iter()
    .zip(values)
    .map(|((cfp_type, dqr_type), value)| {
        let number: serde_json::Value = serde_json::from_str(value).expect("number");
        serde_json::json!({
            "cfpId": null, "traceId": trace_id.to_string(), "ghgEmission": number, "ghgDeclaredUnit": "kgCO2e/kilogram",
            "cfpType": cfp_type, "dqrType": dqr_type, "dqrValue": {"TeR": 2, "GeR": 3, "TiR": 1}
        })
    })
    .collect();
    junkan_footprint::ouranos::parse_write(&serde_json::Value::Array(rows)).expect("valid write")
}

/// After each kind of change to what a roll-up reads, the graph the process kept is patched
/// (only the changed parts are read again) and equals the graph a fresh read gives — parts,
/// footprints, lines in order, the suppliers' parts read through trades — and so does its
/// roll-up: a CFP rewritten, a line's amount changed, a line added (to parts not in the graph,
/// with a structure of their own), a line removed, a trade answered with another part, a part
/// renamed, parts deleted. The patches build on each other; the fresh reads use a cache of their
/// own.
async fn rollup_patches_its_graph_after_each_kind_of_change(store: SqlStore, clock: &ManualClock) {
    use junkan_model::ouranos::{AmountUnit, NewTradeRequest, Part, PartWrite, PartsStructureWrite};
    use junkan_store::Store as _;

    let (parts, root) = junkan_footprint::synthetic::synthetic_tree(60, 3, 3, 5);
    let tree = junkan_store::supply_tree::write_supply_tree(&store, &parts, &root)
        .await
        .expect("tree written");
    let fresh = junkan_store_sql::testing::with_own_graph_cache(&store);
    let (_, _, source) = junkan_store_sql::testing::supply_graph(&store, tree.root)
        .await
        .expect("graph");
    assert_eq!(source, GraphSource::Read);
    let operator_of = |organization: &str| {
        tree.operators
            .iter()
            .find(|operator| operator.actor.organization_id.map(|id| id.to_string()).as_deref() == Some(organization))
            .expect("an operator of the tree")
    };
    // The graph the store kept, patched, against a fresh read; then the same for the roll-up.
    let check = |change: &'static str, expected_source: GraphSource| {
        let (store, fresh, tree) = (&store, &fresh, &tree);
        async move {
            let (parts, disclosures, source) = junkan_store_sql::testing::supply_graph(store, tree.root)
                .await
                .expect("graph");
            assert_eq!(source, expected_source, "after {change}");
            fresh.forget_cached_graphs();
            let (fresh_parts, fresh_disclosures, fresh_source) =
                junkan_store_sql::testing::supply_graph(fresh, tree.root)
                    .await
                    .expect("fresh graph");
            assert_eq!(fresh_source, GraphSource::Read);
            assert_eq!(parts, fresh_parts, "the patched graph after {change} is a fresh one");
            assert_eq!(disclosures, fresh_disclosures, "after {change}");
            let (rolled, cost) = store
                .ouranos_rollup_with_cost(&tree.root_actor, tree.root)
                .await
                .expect("roll-up");
            assert_eq!(cost.graph, GraphSource::Kept, "the patched graph is kept");
            fresh.forget_cached_graphs();
            assert_eq!(
                rolled,
                fresh
                    .ouranos_rollup(&tree.root_actor, tree.root)
                    .await
                    .expect("fresh roll-up"),
                "after {change}"
            );
            rolled
        }
    };
    let before = check("nothing", GraphSource::Kept).await;

    // A supplier rewrites the CFP of one of its parts (tier 2 or deeper): the roll-up is also
    // the in-memory roll-up of the tree with that footprint.
    let supplier_part = tree.expected.parts()[tree.expected.parts().len() / 2].clone();
    assert!(supplier_part.footprint.is_some(), "a part with a CFP");
    let changed = junkan_store::supply_tree::rewrite_cfp(
        &store,
        &tree,
        &tree.expected,
        supplier_part.id.parse().expect("trace id"),
        rust_decimal::Decimal::from(3),
    )
    .await
    .expect("CFP rewritten");
    let rolled = check("a CFP rewritten", GraphSource::Patched).await;
    assert_eq!(
        rolled,
        junkan_footprint::rollup::rollup(&changed, &tree.root.to_string()).expect("in memory")
    );
    assert_ne!(rolled.total, before.total);

    // The automaker changes the amount of its structure's first line.
    let automaker = &tree.root_actor;
    let write_of = |part: &Part| PartWrite {
        trace_id: Some(part.trace_id),
        part: part.clone(),
    };
    let structure = store
        .get_parts_structure(automaker, tree.root)
        .await
        .expect("structure");
    let mut children: Vec<PartWrite> = structure.children.iter().map(write_of).collect();
    children[0].part.amount_required = children[0]
        .part
        .amount_required
        .map(|amount| amount * rust_decimal::Decimal::from(2));
    store
        .put_parts_structure(
            automaker,
            PartsStructureWrite {
                parent: write_of(&structure.parent),
                children: children.clone(),
            },
        )
        .await
        .expect("amount changed");
    let rolled = check("a line's amount changed", GraphSource::Patched).await;
    assert_ne!(rolled.total, before.total);

    // It adds a line to a new part with a structure and CFPs of its own: the patch reads both.
    let new_part = |name: &str, amount: Option<&str>| PartWrite {
        trace_id: None,
        part: Part {
            trace_id: uuid::Uuid::nil(),
            operator_id: automaker.organization_id.expect("member"),
            plant_id: tree.operators[0].plant,
            parts_name: name.to_owned(),
            support_parts_name: None,
            terminated: false,
            amount_required: amount.map(|text| text.parse().expect("decimal")),
            amount_required_unit: amount.map(|_| AmountUnit::Kilogram),
            parts_label_name: None,
            parts_add_info: [None, None, None],
        },
    };
    assert_eq!(
        tree.operators[0].actor.organization_id, automaker.organization_id,
        "the automaker is the first operator"
    );
    let sub_structure = store
        .put_parts_structure(
            automaker,
            PartsStructureWrite {
                parent: new_part("NEW-MODULE", None),
                children: vec![new_part("NEW-BRACKET", Some("0.5"))],
            },
        )
        .await
        .expect("new structure");
    let (module, bracket) = (sub_structure.parent.trace_id, sub_structure.children[0].trace_id);
    store
        .put_ouranos_cfp(automaker, kilogram_cfp(module, ["1", "2", "0", "0"]))
        .await
        .expect("module CFP");
    store
        .put_ouranos_cfp(automaker, kilogram_cfp(bracket, ["4", "0", "0", "0"]))
        .await
        .expect("bracket CFP");
    let mut with_module = children.clone();
    let mut module_line = write_of(&sub_structure.parent);
    module_line.part.amount_required = Some("2".parse().expect("decimal"));
    module_line.part.amount_required_unit = Some(AmountUnit::Kilogram);
    with_module.push(module_line);
    store
        .put_parts_structure(
            automaker,
            PartsStructureWrite {
                parent: write_of(&structure.parent),
                children: with_module,
            },
        )
        .await
        .expect("line added");
    let added = check("a line added", GraphSource::Patched).await;
    assert_eq!(added.parts_visited, rolled.parts_visited + 2);
    assert_eq!(
        added.total - rolled.total,
        "10".parse::<rust_decimal::Decimal>().expect("decimal"),
        "2 × (3 + 0.5 × 4)"
    );

    // A leaf of the graph gets a structure of its own (its maker adds a component to it): the
    // lines that lead to it learn that it has lines now (migration 0039), and the patch reads
    // them.
    let leaf_position = tree
        .expected
        .parts()
        .iter()
        .rposition(|part| part.components.is_empty() && part.footprint.is_some())
        .expect("a leaf with a CFP");
    let leaf = &tree.expected.parts()[leaf_position];
    let maker = operator_of(&leaf.organization);
    let maker_part = |name: &str, amount: Option<&str>| PartWrite {
        trace_id: None,
        part: Part {
            trace_id: uuid::Uuid::nil(),
            operator_id: maker.actor.organization_id.expect("member"),
            plant_id: maker.plant,
            parts_name: name.to_owned(),
            support_parts_name: None,
            terminated: amount.is_some(),
            amount_required: amount.map(|text| text.parse().expect("decimal")),
            amount_required_unit: amount.map(|_| AmountUnit::Kilogram),
            parts_label_name: None,
            parts_add_info: [None, None, None],
        },
    };
    let screw = store
        .put_parts_structure(
            &maker.actor,
            PartsStructureWrite {
                parent: maker_part(&parts[leaf_position].id, None),
                children: vec![maker_part("NEW-SCREW", Some("3"))],
            },
        )
        .await
        .expect("the leaf's structure");
    assert_eq!(screw.parent.trace_id.to_string(), leaf.id, "the same part");
    store
        .put_ouranos_cfp(
            &maker.actor,
            kilogram_cfp(screw.children[0].trace_id, ["2", "0", "0", "0"]),
        )
        .await
        .expect("screw CFP");
    let below_leaf = check("a structure under a leaf", GraphSource::Patched).await;
    assert_eq!(below_leaf.parts_visited, added.parts_visited + 1);
    let added = below_leaf;

    // A supplier answers a new request for a part the automaker buys with another part of its
    // own: that part counts from then on (the trade answered last).
    let (buyer_part, supplier) = tree
        .expected
        .parts()
        .iter()
        .find_map(|parent| {
            let buyer = operator_of(&parent.organization);
            parent.components.iter().enumerate().find_map(|(position, component)| {
                let supplied = tree.expected.part(&component.part)?;
                (supplied.organization != parent.organization).then(|| (parent.id.clone(), position, buyer, supplied))
            })
        })
        .map(|(parent, position, buyer, supplied)| {
            let parent: uuid::Uuid = parent.parse().expect("trace id");
            (parent, position, buyer, operator_of(&supplied.organization))
        })
        .map(|(parent, position, buyer, supplier)| ((parent, position, buyer), supplier))
        .expect("a part bought from another company");
    let (parent, position, buyer) = buyer_part;
    let bought = store
        .get_parts_structure(&buyer.actor, parent)
        .await
        .expect("buyer's structure")
        .children[position]
        .clone();
    let replacement = store
        .put_ouranos_part(
            &supplier.actor,
            PartWrite {
                trace_id: None,
                part: Part {
                    trace_id: uuid::Uuid::nil(),
                    operator_id: supplier.actor.organization_id.expect("member"),
                    plant_id: supplier.plant,
                    parts_name: "REPLACEMENT".to_owned(),
                    support_parts_name: None,
                    terminated: true,
                    amount_required: None,
                    amount_required_unit: None,
                    parts_label_name: None,
                    parts_add_info: [None, None, None],
                },
            },
        )
        .await
        .expect("replacement part");
    let unit = bought.amount_required_unit.unwrap_or(AmountUnit::Kilogram);
    let mut replacement_cfp = kilogram_cfp(replacement.trace_id, ["9", "0", "0", "0"]);
    replacement_cfp.unit = junkan_footprint::model::DeclaredUnit::from_ouranos_name(unit.as_str()).expect("unit");
    store
        .put_ouranos_cfp(&supplier.actor, replacement_cfp)
        .await
        .expect("replacement CFP");
    clock.advance(time::Duration::minutes(1));
    let request = store
        .create_trade_request(
            &buyer.actor,
            NewTradeRequest {
                downstream_operator_id: buyer.actor.organization_id.expect("member"),
                downstream_trace_id: bought.trace_id,
                upstream_operator_id: supplier.actor.organization_id.expect("member"),
                message: None,
                response_due_date: time::macros::date!(2026 - 06 - 30),
            },
        )
        .await
        .expect("request");
    let (_, _, source) = junkan_store_sql::testing::supply_graph(&store, tree.root)
        .await
        .expect("graph");
    assert_eq!(source, GraphSource::Patched, "a trade requested refreshes its lines");
    store
        .answer_trade(&supplier.actor, request.trade.trade_id, replacement.trace_id)
        .await
        .expect("answer");
    let answered = check("a trade answered with another part", GraphSource::Patched).await;
    assert_ne!(answered.total, added.total);

    // Parts get a new label (their name fields make their trace ids): the root, in the graph,
    // and the part the automaker buys, which stands for the supplier's part and is not.
    let mut renamed = write_of(&structure.parent);
    renamed.part.parts_label_name = Some("改名した部品".to_owned());
    store.put_ouranos_part(automaker, renamed).await.expect("renamed");
    assert_eq!(check("a part renamed", GraphSource::Patched).await, answered);
    let mut renamed = write_of(&bought);
    renamed.part.parts_label_name = Some("改名した調達品".to_owned());
    store.put_ouranos_part(&buyer.actor, renamed).await.expect("renamed");
    assert_eq!(
        check("a part outside the graph renamed", GraphSource::Kept).await,
        answered
    );

    // The new module loses its line to the bracket (the bracket leaves the graph), the bracket is
    // deleted, the module's line is removed and the module deleted.
    store
        .put_parts_structure(
            automaker,
            PartsStructureWrite {
                parent: write_of(&sub_structure.parent),
                children: Vec::new(),
            },
        )
        .await
        .expect("bracket's line removed");
    let without_bracket = check("a line removed below", GraphSource::Patched).await;
    assert_eq!(without_bracket.parts_visited, answered.parts_visited - 1);
    store
        .delete_ouranos_part(automaker, bracket)
        .await
        .expect("bracket deleted");
    assert_eq!(
        check("a part outside the graph deleted", GraphSource::Kept).await,
        without_bracket
    );
    store
        .put_parts_structure(
            automaker,
            PartsStructureWrite {
                parent: write_of(&structure.parent),
                children,
            },
        )
        .await
        .expect("module's line removed");
    let without_module = check("a line removed", GraphSource::Patched).await;
    assert_eq!(without_module.parts_visited, answered.parts_visited - 2);
    store
        .delete_ouranos_part(automaker, module)
        .await
        .expect("module deleted");
    assert_eq!(
        check("another part outside the graph deleted", GraphSource::Kept).await,
        without_module
    );
    junkan_store::contract::assert_log_intact(&store).await;
}

#[tokio::test]
async fn sqlite_rollup_patches_its_graph_after_each_kind_of_change() {
    let clock = junkan_store::ManualClock::new(junkan_store::contract::START);
    let store = sqlite_store(clock.clone()).await.expect("sqlite");
    rollup_patches_its_graph_after_each_kind_of_change(store, &clock).await;
}

#[tokio::test]
async fn postgres_rollup_patches_its_graph_after_each_kind_of_change() {
    let clock = junkan_store::ManualClock::new(junkan_store::contract::START);
    let Some(store) = postgres_store(clock.clone()).await else {
        eprintln!("SKIPPED postgres_rollup_patches_its_graph_after_each_kind_of_change: backend not configured");
        return;
    };
    rollup_patches_its_graph_after_each_kind_of_change(store, &clock).await;
}

/// Audit entries and structure lines stored before migration 0014 are carried over: the log keeps
/// its entries and sequence numbers (SQLite copies the table), new entries follow them, and each
/// line's roll-up target is set from the stored CFPs and trades (the trade answered last; a
/// cancelled one does not count), so the roll-up reads the same graph.
async fn audit_and_structures_before_0014_are_carried_over(store: SqlStore) {
    use junkan_model::audit::{AuditAction, AuditFilter};
    use junkan_model::facility::{FacilityType, NewFacility, Visibility};
    use junkan_model::organization::{CompanySize, NewOrganization, OrganizationType};
    use junkan_model::page::PageRequest;
    use junkan_model::principal::{Actor, PrincipalKind, Role};

    // The code of today writes into the schema of then, which has no log yet (migration 0024).
    let store = store.without_log();
    junkan_store_sql::testing::migrate_to(&store, 12)
        .await
        .expect("migrations before 0014");
    let mut members = Vec::new();
    let mut plants = Vec::new();
    for name in ["買い手", "売り手"] {
        let organization = store
            .create_organization(
                &Actor::system(),
                NewOrganization {
                    name_ja: format!("{name}株式会社"),
                    name_en: "Migration Co.".to_owned(),
                    organization_type: OrganizationType::Company,
                    company_size: Some(CompanySize::Sme),
                    corporate_number: None,
                    lei: None,
                    gs1_company_prefix: None,
                    gln: None,
                    local_government_code: None,
                    prefecture_code: Some("13".to_owned()),
                    industries: vec![],
                    roles: vec![],
                    website: None,
                },
            )
            .await
            .expect("organization");
        let member = Actor {
            kind: PrincipalKind::User,
            principal_id: format!("member-of-{name}"),
            organization_id: Some(organization.id),
            roles: vec![Role::Member, Role::OrgAdmin],
            purpose: None,
            request_id: None,
            grant: None,
        };
        let plant = store
            .create_facility(
                &member,
                organization.id,
                NewFacility {
                    name_ja: format!("{name}工場"),
                    name_en: "Plant".to_owned(),
                    facility_type: FacilityType::RecyclingPlant,
                    gln: None,
                    ouranos_plant_id: None,
                    prefecture_code: None,
                    local_government_code: Some("131016".to_owned()),
                    address: None,
                    visibility: Visibility::Restricted,
                },
            )
            .await
            .expect("plant");
        members.push(member);
        plants.push((organization.id.to_string(), plant.id.to_string()));
    }
    let auditor = Actor {
        roles: vec![Role::Auditor],
        ..members[0].clone()
    };
    let everything = |store: &SqlStore| {
        let store = store.clone();
        let auditor = auditor.clone();
        async move {
            store
                .list_audit(&auditor, &AuditFilter::default(), &PageRequest::first(500))
                .await
                .expect("audit")
                .items
        }
    };
    // Listed after the migration (the listing reads its tables); counted now.
    let entries_before = junkan_store_sql::testing::select_integer(&store, "SELECT COUNT(*) FROM audit_log")
        .await
        .expect("count");
    let last_before = junkan_store_sql::testing::select_integer(&store, "SELECT MAX(sequence) FROM audit_log")
        .await
        .expect("last sequence");
    assert!(entries_before >= 4, "two organizations and their plants");

    // The buyer's pack is made of a cell bought from the seller (answered twice, then a newer
    // request cancelled) and of a bolt of its own; nothing has a CFP.
    let [(buyer, buyer_plant), (seller, seller_plant)] = [plants[0].clone(), plants[1].clone()];
    let part = |name: &str| {
        format!(
            "00000000-0000-4000-8000-{:012}",
            name.len() * 1000 + name.as_bytes()[0] as usize
        )
    };
    let (pack, cell, bolt, old_cell, new_cell) = (
        part("pack"),
        part("cell"),
        part("bolt"),
        part("old-cell"),
        part("new-cell"),
    );
    let mut statements = Vec::new();
    for (trace_id, organization, plant) in [
        (&pack, &buyer, &buyer_plant),
        (&cell, &buyer, &buyer_plant),
        (&bolt, &buyer, &buyer_plant),
        (&old_cell, &seller, &seller_plant),
        (&new_cell, &seller, &seller_plant),
    ] {
        statements.push(format!(
            "INSERT INTO ouranos_parts (trace_id, organization_id, plant_id, parts_name, terminated, created_at, updated_at) \
             VALUES ('{trace_id}', '{organization}', '{plant}', 'part {trace_id}', 0, 1, 1)"
        ));
    }
    for (position, child) in [&cell, &bolt].into_iter().enumerate() {
        statements.push(format!(
            "INSERT INTO ouranos_parts_structures (parent_trace_id, child_trace_id, position, amount_required, amount_required_unit) \
             VALUES ('{pack}', '{child}', {position}, '2', 'kilogram')"
        ));
    }
    for (number, upstream, status, updated_at) in [
        (1, Some(&old_cell), "COMPLETED", 10),
        (2, Some(&new_cell), "COMPLETED", 20),
        (3, None, "CANCEL", 30),
    ] {
        let upstream = upstream.map_or("NULL".to_owned(), |id| format!("'{id}'"));
        statements.push(format!(
            "INSERT INTO ouranos_trades (trade_id, status_id, downstream_organization_id, downstream_trace_id, upstream_organization_id, \
             upstream_trace_id, request_type, cfp_response_status, created_at, updated_at) \
             VALUES ('00000000-0000-4000-9000-00000000000{number}', '00000000-0000-4000-a000-00000000000{number}', '{buyer}', '{cell}', \
             '{seller}', {upstream}, 'CFP', '{status}', {updated_at}, {updated_at})"
        ));
    }
    for statement in &statements {
        junkan_store_sql::testing::execute(&store, statement)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    store
        .migrate()
        .await
        .expect("migration 0014 over stored entries and lines");

    // (Completing the migrations also registers the seed data, with entries of its own.)
    let carried: Vec<_> = everything(&store)
        .await
        .into_iter()
        .filter(|entry| entry.sequence <= last_before)
        .collect();
    assert_eq!(carried.len() as i64, entries_before, "the log as it was");
    assert_eq!(carried.last().map(|entry| entry.sequence), Some(last_before));
    for (organization, _) in &plants {
        assert!(carried
            .iter()
            .any(|entry| &entry.record_id == organization && entry.action == AuditAction::Create));
    }
    let rolled = store
        .ouranos_rollup(&members[0], pack.parse().expect("trace id"))
        .await
        .expect("roll-up");
    let mut missing: Vec<&str> = rolled.missing.iter().map(|part| part.part.as_str()).collect();
    missing.sort_unstable();
    // (The pack itself has no CFP either.)
    let mut expected = vec![pack.as_str(), new_cell.as_str(), bolt.as_str()];
    expected.sort_unstable();
    assert_eq!(
        missing, expected,
        "the cell leads to the part of the trade answered last"
    );
    // The roll-up's read of the seller's part is a new entry after the carried ones.
    let after = everything(&store).await;
    let read = after
        .iter()
        .find(|entry| entry.action == AuditAction::Read)
        .expect("the seller's part read");
    assert_eq!(read.record_id, new_cell);
    assert!(read.sequence > last_before);
}

#[tokio::test]
async fn sqlite_audit_and_structures_before_0014_are_carried_over() {
    let store = unmigrated_sqlite_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await;
    audit_and_structures_before_0014_are_carried_over(store).await;
}

#[tokio::test]
async fn postgres_audit_and_structures_before_0014_are_carried_over() {
    let Some(store) = unmigrated_postgres_store(junkan_store::ManualClock::new(junkan_store::contract::START)).await
    else {
        eprintln!("SKIPPED postgres_audit_and_structures_before_0014_are_carried_over: backend not configured");
        return;
    };
    audit_and_structures_before_0014_are_carried_over(store).await;
}
