//! Runs the store contract suite against SQLite always, and against PostgreSQL when
//! `JUNKAN_TEST_POSTGRES_URL` is set. With `JUNKAN_REQUIRE_POSTGRES=1` (as in CI) a missing URL
//! fails the PostgreSQL tests instead of skipping them.

use std::sync::Arc;

use junkan_store::ManualClock;
use junkan_store_sql::SqlStore;

/// A fresh SQLite database in a temporary directory that lives as long as the process.
async fn sqlite_store(clock: Arc<ManualClock>) -> Option<SqlStore> {
    let directory = std::env::temp_dir().join(format!("junkan-contract-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).expect("temporary directory");
    let url = format!("sqlite://{}", directory.join("junkan.db").display());
    let store = junkan_store_sql::open(&url, clock).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    Some(store)
}

/// A fresh schema in the test PostgreSQL database.
async fn postgres_store(clock: Arc<ManualClock>) -> Option<SqlStore> {
    let url = junkan_store_sql::testing::postgres_url()?;
    let url = junkan_store_sql::testing::fresh_postgres_schema(&url).await;
    let store = junkan_store_sql::open(&url, clock).await.expect("open postgres");
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

/// The audit log is append-only in the database itself, on both engines.
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
    for statement in [
        "UPDATE audit_log SET actor_id = 'someone else'",
        "DELETE FROM audit_log",
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
