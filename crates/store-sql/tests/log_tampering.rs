//! The tamper-evident log catches a database edited behind the node's back, on SQLite and on
//! PostgreSQL (when `JUNKAN_TEST_POSTGRES_URL` is set): an event's quantity changed in its stored
//! body, a passport field changed in a stored version, a footprint value changed, an event row
//! deleted, a leaf deleted, a record inserted without a leaf, a signed tree head altered. Each
//! case loads the same data into a fresh store, checks that it verifies, edits one thing with SQL
//! and checks that verification names the record (and leaf) concerned. Records stored before the
//! log existed get their leaves once, when migration 0024 is applied.

use std::sync::Arc;

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde_json::json;
use time::macros::datetime;

use junkan_model::event::{CaptureErrorBehaviour, CapturedEvent, EventIdentifier, IdentifierRole};
use junkan_model::facility::Visibility;
use junkan_model::organization::{CompanySize, NewOrganization, OrganizationType};
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_store::{Backend, LogReport, ManualClock, NewCapture, SigningKeyRecord, Store};
use junkan_store_sql::testing::{execute, execute_with, select_text};
use junkan_store_sql::SqlStore;
use junkan_translog::TreeHead;

const START: time::OffsetDateTime = datetime!(2026-04-01 09:00 UTC);

async fn unmigrated(engine: Backend) -> Option<SqlStore> {
    let clock: Arc<ManualClock> = ManualClock::new(START);
    let url = match engine {
        Backend::Sqlite => {
            let directory =
                std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junkan-log-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&directory).expect("temporary directory");
            format!("sqlite://{}", directory.join("junkan.db").display())
        }
        Backend::Postgres => {
            let url = junkan_store_sql::testing::postgres_url()?;
            junkan_store_sql::testing::fresh_postgres_schema(&url).await
        }
    };
    Some(junkan_store_sql::open(&url, clock).await.expect("opens"))
}

async fn fresh(engine: Backend) -> Option<SqlStore> {
    let store = unmigrated(engine).await?;
    store.migrate().await.expect("migrates");
    Some(store)
}

/// What the loaded store holds, for the edits.
struct Loaded {
    passport_id: String,
    footprint_id: String,
    capture_id: String,
}

fn weighed_event(id: &str, kilograms: u32) -> CapturedEvent {
    let lot = format!("https://id.gs1.org/01/04512345123451/10/{id}");
    CapturedEvent {
        event_id: id.to_owned(),
        event_hash: format!("ni:///sha-256;{id}?ver=CBV2.0"),
        event_type: "ObjectEvent".to_owned(),
        event_time: START,
        action: Some("OBSERVE".to_owned()),
        biz_step: Some("https://ref.gs1.org/cbv/BizStep-shipping".to_owned()),
        disposition: None,
        read_point: None,
        biz_location: None,
        identifiers: vec![EventIdentifier {
            role: IdentifierRole::Quantity,
            value: lot.clone(),
            quantity: Some(kilograms.to_string()),
            uom: Some("KGM".to_owned()),
        }],
        body: json!({
            "type": "ObjectEvent", "eventID": id, "eventTime": "2026-04-01T09:00:00Z", "action": "OBSERVE",
            "quantityList": [{"epcClass": lot, "quantity": kilograms, "uom": "KGM"}]
        }),
        context: json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]),
    }
}

/// An organization with a capture of two weighed events, a passport and a footprint, and a
/// signed tree head over all of it.
async fn load(store: &SqlStore) -> Loaded {
    let organization = store
        .create_organization(
            &Actor::system(),
            NewOrganization {
                name_ja: "改ざん検知株式会社".to_owned(),
                name_en: "Tamper Evident Co., Ltd.".to_owned(),
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
        principal_id: "member".to_owned(),
        organization_id: Some(organization.id),
        roles: vec![Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let job = store
        .capture_events(
            &member,
            NewCapture {
                behaviour: CaptureErrorBehaviour::Rollback,
                events: vec![
                    ("/epcisBody/eventList/0".to_owned(), weighed_event("lot-a", 500)),
                    ("/epcisBody/eventList/1".to_owned(), weighed_event("lot-b", 700)),
                ],
                errors: Vec::new(),
                visibility: Visibility::Restricted,
            },
        )
        .await
        .expect("captured");
    let passport = store
        .create_passport(
            &member,
            junkan_model::passport::NewPassport {
                identifier: "urn:epc:class:lgtin:4912345.000001.TAMPER".to_owned(),
                granularity: junkan_model::passport::Granularity::Batch,
                profile: "plastics".to_owned(),
                status: junkan_model::passport::LifecycleStatus::Original,
                visibility: Visibility::Public,
                data: junkan_passport::builtin::example("plastics").expect("shipped example"),
                links: Vec::new(),
                note: None,
            },
        )
        .await
        .expect("passport");
    let footprint = store
        .create_footprint(
            &member,
            junkan_footprint::fixtures::cell_footprint(),
            Visibility::Restricted,
        )
        .await
        .expect("footprint");
    // A node key, and a tree head signed with it.
    let key = SigningKey::from_bytes(&[9; 32]);
    store
        .add_signing_key(&SigningKeyRecord {
            kid: "node".to_owned(),
            secret: base64::engine::general_purpose::STANDARD.encode(key.to_bytes()),
            created_at: START,
        })
        .await
        .expect("key");
    let (size, root) = store.log_tree_state().await.expect("state");
    store
        .add_tree_head(&TreeHead::sign(size, 1_775_034_000_000, root, "node", &key))
        .await
        .expect("head");
    let report = verify(store).await;
    assert!(report.is_intact(), "{:#?}", report.divergences);
    Loaded {
        passport_id: passport.id.to_string(),
        footprint_id: footprint.footprint.id.to_string(),
        capture_id: job.capture_id.to_string(),
    }
}

async fn verify(store: &SqlStore) -> LogReport {
    store.verify_log(&Actor::system()).await.expect("verification runs")
}

/// Runs `edit` on a freshly loaded store of `engine` and checks that the first divergence names
/// `kind` and `id` (and comes with the leaf that committed to the record when `at_leaf`).
async fn caught(
    engine: Backend,
    edit: impl AsyncFnOnce(&SqlStore, &Loaded) -> (String, String),
    at_leaf: bool,
) -> Option<LogReport> {
    let store = fresh(engine).await?;
    let loaded = load(&store).await;
    let (kind, id) = edit(&store, &loaded).await;
    let report = verify(&store).await;
    let first = report
        .divergences
        .first()
        .unwrap_or_else(|| panic!("the edit of {kind} {id} went unnoticed"));
    assert_eq!(
        (first.record_kind.as_str(), first.record_id.as_str()),
        (kind.as_str(), id.as_str()),
        "{first:#?}"
    );
    assert_eq!(first.leaf_index.is_some(), at_leaf, "{first:#?}");
    assert_ne!(first.expected, first.found, "{first:#?}");
    Some(report)
}

/// Drops the immutability triggers of `table` (an attacker with the database can).
async fn drop_triggers(store: &SqlStore, engine: Backend, sqlite: &[&str], postgres: &[&str], table: &str) {
    let statements: Vec<String> = match engine {
        Backend::Sqlite => sqlite.iter().map(|name| format!("DROP TRIGGER {name}")).collect(),
        Backend::Postgres => postgres
            .iter()
            .map(|name| format!("DROP TRIGGER {name} ON {table}"))
            .collect(),
    };
    for statement in statements {
        execute(store, &statement)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
}

async fn event_quantity_changed(engine: Backend) {
    caught(
        engine,
        async |store, loaded| {
            let changed = execute(
                store,
                "UPDATE epcis_event_records SET body = replace(body, '\"quantity\":700', '\"quantity\":70')",
            )
            .await
            .expect("edit");
            assert_eq!(changed, 2, "the statement touches every event, one body changes");
            ("capture".to_owned(), loaded.capture_id.clone())
        },
        true,
    )
    .await;
}

async fn event_deleted(engine: Backend) {
    caught(
        engine,
        async |store, loaded| {
            let seq = junkan_store_sql::testing::select_integer(store, "SELECT MAX(seq) FROM epcis_event_records")
                .await
                .expect("an event");
            for statement in [
                format!("DELETE FROM epcis_event_links WHERE event_seq = {seq}"),
                format!("DELETE FROM epcis_event_records WHERE seq = {seq}"),
            ] {
                execute(store, &statement).await.expect("delete");
            }
            ("capture".to_owned(), loaded.capture_id.clone())
        },
        true,
    )
    .await;
}

async fn passport_field_changed(engine: Backend) {
    caught(
        engine,
        async |store, loaded| {
            drop_triggers(
                store,
                engine,
                &["passport_versions_no_update"],
                &["passport_versions_no_change"],
                "passport_versions",
            )
            .await;
            let sql = format!(
                "SELECT data FROM passport_versions WHERE passport_id = '{}'",
                loaded.passport_id
            );
            let mut data: serde_json::Value =
                serde_json::from_str(&select_text(store, &sql).await.expect("data")).expect("JSON");
            let object = data.as_object_mut().expect("an object");
            let (field, _) = object
                .iter()
                .next()
                .map(|(key, value)| (key.clone(), value.clone()))
                .expect("a field");
            object.insert(field, json!("changed behind the node's back"));
            execute_with(
                store,
                "UPDATE passport_versions SET data = $1 WHERE passport_id = $2",
                &[&data.to_string(), &loaded.passport_id],
            )
            .await
            .expect("edit");
            ("passport".to_owned(), loaded.passport_id.clone())
        },
        true,
    )
    .await;
}

async fn footprint_value_changed(engine: Backend) {
    caught(
        engine,
        async |store, loaded| {
            drop_triggers(
                store,
                engine,
                &["footprints_immutable"],
                &["footprints_no_change"],
                "footprints",
            )
            .await;
            let sql = format!("SELECT document FROM footprints WHERE id = '{}'", loaded.footprint_id);
            let document = select_text(store, &sql).await.expect("document");
            let mut value: serde_json::Value = serde_json::from_str(&document).expect("JSON");
            // Change the footprint's emissions (PCF excluding biogenic uptake).
            let emissions = value
                .pointer_mut("/pcf/pcfExcludingBiogenicUptake")
                .unwrap_or_else(|| panic!("no emissions value in {document}"));
            *emissions = json!("0.001");
            execute_with(
                store,
                "UPDATE footprints SET document = $1 WHERE id = $2",
                &[&value.to_string(), &loaded.footprint_id],
            )
            .await
            .expect("edit");
            ("footprint".to_owned(), loaded.footprint_id.clone())
        },
        true,
    )
    .await;
}

async fn leaf_deleted(engine: Backend) {
    let Some(report) = caught(
        engine,
        async |store, _| {
            execute(store, "DELETE FROM log_leaves WHERE leaf_index = 3")
                .await
                .expect("delete");
            ("log".to_owned(), "3".to_owned())
        },
        true,
    )
    .await
    else {
        return;
    };
    // The signed tree head no longer matches the leaves either.
    assert!(
        report
            .divergences
            .iter()
            .any(|divergence| divergence.record_kind == "tree_head"),
        "{:#?}",
        report.divergences
    );
}

async fn record_inserted_without_leaf(engine: Backend) {
    caught(
        engine,
        async |store, _| {
            execute(
                store,
                "INSERT INTO industries (code, name_ja, name_en, created_at) VALUES ('smuggled', '密輸', 'Smuggled', 0)",
            )
            .await
            .expect("insert");
            ("industry".to_owned(), "smuggled".to_owned())
        },
        false,
    )
    .await;
}

async fn tree_head_altered(engine: Backend) {
    caught(
        engine,
        async |store, _| {
            execute(store, "UPDATE log_tree_heads SET tree_size = tree_size - 1")
                .await
                .expect("edit");
            ("tree_head".to_owned(), "1".to_owned())
        },
        // A head of one leaf fewer: its last leaf is named.
        true,
    )
    .await;
}

/// Records written before migration 0024 get their leaves when it is applied, and the store
/// verifies; what is written afterwards is logged as it is written.
async fn records_before_the_log_are_backfilled(engine: Backend) {
    let Some(store) = unmigrated(engine).await else { return };
    junkan_store_sql::testing::migrate_to(&store, 16)
        .await
        .expect("migrations before the log");
    let before = store.clone().without_log();
    load_without_heads(&before).await;
    store.migrate().await.expect("the log's migration");
    let report = verify(&store).await;
    assert!(report.is_intact(), "{:#?}", report.divergences);
    assert!(
        report.leaves > 3,
        "the organization, its capture and its passport have leaves"
    );
    // Migrating again adds nothing; a later write appends.
    store.migrate().await.expect("idempotent");
    assert_eq!(verify(&store).await.leaves, report.leaves);
    load_without_heads(&store).await;
    let report = verify(&store).await;
    assert!(report.is_intact(), "{:#?}", report.divergences);
}

/// The data of [`load`] without its tree head (a store without the log's tables cannot store
/// one).
async fn load_without_heads(store: &SqlStore) {
    let organization = store
        .create_organization(
            &Actor::system(),
            NewOrganization {
                name_ja: format!("移行{}", uuid::Uuid::new_v4().simple()),
                name_en: "Before the log".to_owned(),
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
        principal_id: "member".to_owned(),
        organization_id: Some(organization.id),
        roles: vec![Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    store
        .capture_events(
            &member,
            NewCapture {
                behaviour: CaptureErrorBehaviour::Rollback,
                events: vec![("/epcisBody/eventList/0".to_owned(), weighed_event(&suffix, 5))],
                errors: Vec::new(),
                visibility: Visibility::Restricted,
            },
        )
        .await
        .expect("captured");
}

macro_rules! on_both_engines {
    ($($case:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(junkan_store::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(junkan_store::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_both_engines!(
    event_quantity_changed,
    event_deleted,
    passport_field_changed,
    footprint_value_changed,
    leaf_deleted,
    record_inserted_without_leaf,
    tree_head_altered,
    records_before_the_log_are_backfilled
);
