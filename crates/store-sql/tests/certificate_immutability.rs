//! Conformity certificates (適合性証明) cannot be changed behind the node's back, on SQLite and on
//! PostgreSQL (when `JUNKAN_TEST_POSTGRES_URL` is set): migration 0026's trigger refuses every
//! UPDATE of a stored certificate but its one revocation, and every DELETE; what the store wrote
//! (issue and revocation) verifies against the tamper-evident log.

use std::sync::Arc;

use serde_json::json;
use time::macros::datetime;

use junkan_model::certificate::{CertificateRevocation, NewCertificate, SignedCertificate};
use junkan_model::organization::{CompanySize, CycleRole, NewOrganization, OrganizationType};
use junkan_model::passport::{Granularity, LifecycleStatus, NewPassport};
use junkan_model::principal::{Actor, PrincipalKind, Role};
use junkan_store::{Backend, ManualClock, Store};
use junkan_store_sql::testing::execute_with;
use junkan_store_sql::SqlStore;

async fn fresh(engine: Backend) -> Option<SqlStore> {
    let clock: Arc<ManualClock> = ManualClock::new(datetime!(2026-04-01 09:00 UTC));
    let url = match engine {
        Backend::Sqlite => {
            let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("junkan-certificates-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&directory).expect("temporary directory");
            format!("sqlite://{}", directory.join("junkan.db").display())
        }
        Backend::Postgres => {
            let url = junkan_store_sql::testing::postgres_url()?;
            junkan_store_sql::testing::fresh_postgres_schema(&url).await
        }
    };
    let store = junkan_store_sql::open(&url, clock).await.expect("opens");
    store.migrate().await.expect("migrates");
    Some(store)
}

fn organization(name: &str, roles: &[CycleRole]) -> NewOrganization {
    NewOrganization {
        name_ja: format!("{name}株式会社"),
        name_en: format!("{name} Co., Ltd."),
        organization_type: OrganizationType::Company,
        company_size: Some(CompanySize::Sme),
        corporate_number: None,
        lei: None,
        gs1_company_prefix: None,
        gln: None,
        local_government_code: None,
        prefecture_code: Some("13".to_owned()),
        industries: vec![],
        roles: roles.to_vec(),
        website: None,
    }
}

fn member(organization: junkan_model::ids::OrganizationId) -> Actor {
    Actor {
        kind: PrincipalKind::User,
        principal_id: format!("member-of-{organization}"),
        organization_id: Some(organization),
        roles: vec![Role::OrgAdmin, Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    }
}

async fn certificates_refuse_every_edit_but_their_revocation(engine: Backend) {
    let Some(store) = fresh(engine).await else {
        eprintln!("SKIPPED on {engine:?}: backend not configured");
        return;
    };
    let system = Actor::system();
    let certifier = store
        .create_organization(&system, organization("認証", &[CycleRole::Certifier]))
        .await
        .expect("certifier")
        .id;
    let maker = store
        .create_organization(&system, organization("ペレット", &[CycleRole::Recycler]))
        .await
        .expect("maker")
        .id;
    let passport = store
        .create_passport(
            &member(maker),
            NewPassport {
                identifier: "urn:example:pellets:immutable".to_owned(),
                granularity: Granularity::Batch,
                profile: "plastics".to_owned(),
                status: LifecycleStatus::Original,
                visibility: junkan_model::facility::Visibility::Public,
                data: junkan_passport::builtin::example("plastics").expect("example"),
                links: vec![],
                note: None,
            },
        )
        .await
        .expect("passport");
    let request: NewCertificate = serde_json::from_value(json!({
        "scheme": "recycled_content", "subject": {"kind": "passport", "id": passport.id},
        "claim": {"type": "recycled_content", "material": "PP", "recycled_share_pct": "30",
                  "pre_consumer_pct": "0", "post_consumer_pct": "30"},
        "valid_from": "2026-04-01T00:00:00Z", "valid_until": "2027-04-01T00:00:00Z", "reference_number": "R-1"}))
    .expect("request");
    let draft = store
        .prepare_certificate(&member(certifier), request)
        .await
        .expect("prepared");
    let key = store
        .organization_signing_key(&member(certifier), certifier)
        .await
        .expect("key");
    let credential_id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let (_, credential) = store
        .issue_credential(
            &member(certifier),
            junkan_store::NewIssuedCredential {
                id: credential_id.clone(),
                issuer: certifier,
                record_kind: "certificate".to_owned(),
                record_id: draft.id.to_string(),
                record_version: None,
                key_id: key.kid,
                issued_at: datetime!(2026-04-01 09:00 UTC),
                valid_until: None,
                keep_signed: false,
            },
            &|_| Ok("header.payload.signature".to_owned()),
        )
        .await
        .expect("entry");
    let certificate = store
        .create_certificate(
            &member(certifier),
            draft,
            SignedCertificate {
                credential,
                credential_id,
            },
        )
        .await
        .expect("stored");
    let id = certificate.id.to_string();

    for (sql, values) in [
        (
            "UPDATE conformity_certificates SET claim = $2 WHERE id = $1",
            vec![
                id.as_str(),
                r#"{"type":"recycled_content","material":"PP","recycled_share_pct":"90","pre_consumer_pct":"0","post_consumer_pct":"90"}"#,
            ],
        ),
        (
            "UPDATE conformity_certificates SET credential = $2 WHERE id = $1",
            vec![id.as_str(), "forged.jwt.here"],
        ),
        ("DELETE FROM conformity_certificates WHERE id = $1", vec![id.as_str()]),
    ] {
        assert!(
            execute_with(&store, sql, &values).await.is_err(),
            "{engine:?}: {sql} must be refused"
        );
    }
    store
        .revoke_certificate(
            &member(certifier),
            certificate.id,
            CertificateRevocation {
                reason: "surveillance audit".to_owned(),
            },
        )
        .await
        .expect("revoked");
    assert!(
        execute_with(
            &store,
            "UPDATE conformity_certificates SET revoked_at = NULL, revocation_reason = NULL WHERE id = $1",
            &[id.as_str()]
        )
        .await
        .is_err(),
        "{engine:?}: a revocation is not undone"
    );
    let report = store.verify_log(&system).await.expect("verifies");
    assert!(report.is_intact(), "{engine:?}: {:#?}", report.divergences);
}

#[tokio::test]
async fn certificates_refuse_every_edit_but_their_revocation_on_sqlite() {
    certificates_refuse_every_edit_but_their_revocation(Backend::Sqlite).await;
}

#[tokio::test]
async fn certificates_refuse_every_edit_but_their_revocation_on_postgres() {
    certificates_refuse_every_edit_but_their_revocation(Backend::Postgres).await;
}
