//! Contract cases for conformity certificates (適合性証明, issue 9): only certifiers issue, never
//! about their own records nor about records they may not read; every problem of a request at
//! once; readers are the certifier, the subject's owner and whoever may read the subject (reads
//! under grants audited); revocation once, by the certifier, with a reason; schemes as data.

use serde_json::json;
use time::Duration;

use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::audit::{AuditAction, AuditFilter};
use junkan_model::certificate::{
    CertificateFilter, CertificateRevocation, CertificateScheme, ClaimType, NewCertificate, SignedCertificate,
    SubjectKind,
};
use junkan_model::facility::Visibility;
use junkan_model::organization::CycleRole;
use junkan_model::principal::{Actor, Role};

use super::{all_audit_items, facility, first_page, member_of, organization, plastics_passport, START};
use crate::{ManualClock, Store, StoreError};

fn request(subject_kind: &str, subject_id: &str, scheme: &str, claim: serde_json::Value) -> NewCertificate {
    serde_json::from_value(json!({
        "scheme": scheme,
        "subject": {"kind": subject_kind, "id": subject_id},
        "claim": claim,
        "valid_from": "2026-04-01T00:00:00Z",
        "valid_until": "2027-04-01T00:00:00Z",
        "reference_number": "RC-2026-0001",
        "evidence": "on-site audit 2026-03; mass-balance ledger examined",
    }))
    .expect("well-formed request")
}

fn recycled_claim() -> serde_json::Value {
    json!({"type": "recycled_content", "material": "PP", "recycled_share_pct": "62.5",
           "pre_consumer_pct": "12.5", "post_consumer_pct": "50", "method": "mass_balance_credit"})
}

/// The credential of a draft as the trust services issue it: an entry of the certifier's status
/// list for this certificate, "signed" by a stand-in (the store keeps what it is given; the
/// signature is the server's business and is tested there). Returns it with its status index.
async fn signed(
    store: &dyn Store,
    actor: &Actor,
    draft: &junkan_model::certificate::CertificateDraft,
) -> (SignedCertificate, u32) {
    let key = store
        .organization_signing_key(actor, draft.certifier_organization_id)
        .await
        .expect("the certifier's key");
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let sign = |index: u32| Ok(format!("eyJhbGciOiJFZERTQSJ9.certificate-{index}.c2ln"));
    let (entry, credential) = store
        .issue_credential(
            actor,
            crate::NewIssuedCredential {
                id: id.clone(),
                issuer: draft.certifier_organization_id,
                record_kind: "certificate".to_owned(),
                record_id: draft.id.to_string(),
                record_version: None,
                key_id: key.kid,
                issued_at: START,
                valid_until: Some(draft.request.valid_until),
                keep_signed: false,
            },
            &sign,
        )
        .await
        .expect("issued");
    (
        SignedCertificate {
            credential,
            credential_id: id,
        },
        entry.status_index,
    )
}

/// Certificates: issue, read rule, audit, revoke, schemes.
pub async fn conformity_certificates_issue_read_and_revoke(store: &dyn Store, clock: &ManualClock) {
    let certifier = organization(store, "認証機関", &[CycleRole::Certifier]).await;
    let maker = organization(store, "ペレット", &[CycleRole::Recycler]).await;
    let partner = organization(store, "家電", &[CycleRole::Manufacturer]).await;
    let stranger = organization(store, "他社", &[CycleRole::Manufacturer]).await;
    let certifier_member = member_of(certifier, &[Role::Member]);
    let maker_admin = member_of(maker, &[Role::OrgAdmin, Role::Member]);
    let partner_member = member_of(partner, &[Role::Member]);
    let stranger_member = member_of(stranger, &[Role::Member]);

    let restricted = store
        .create_passport(
            &maker_admin,
            junkan_model::passport::NewPassport {
                visibility: Visibility::Restricted,
                ..plastics_passport("https://id.gs1.org/01/04512345000011/10/PELLET-R")
            },
        )
        .await
        .expect("restricted passport");
    let public = store
        .create_passport(
            &maker_admin,
            plastics_passport("https://id.gs1.org/01/04512345000011/10/PELLET-P"),
        )
        .await
        .expect("public passport");
    let plant = store
        .create_facility(&maker_admin, maker, facility("ペレット", Visibility::Restricted))
        .await
        .expect("facility");

    // The shipped schemes are data; node administrators add more.
    let schemes = store.list_certificate_schemes().await.expect("schemes");
    let codes: Vec<&str> = schemes.iter().map(|scheme| scheme.code.as_str()).collect();
    assert_eq!(
        codes,
        ["cfp_verification", "chain_of_custody", "eco_design", "recycled_content"]
    );
    let new_scheme = CertificateScheme {
        code: "battery_recycled_content".to_owned(),
        label_ja: "電池再生材含有率認証".to_owned(),
        label_en: "Battery recycled-content certification".to_owned(),
        claim_type: ClaimType::RecycledContent,
        subject_kinds: vec![SubjectKind::Passport],
    };
    assert!(matches!(
        store
            .create_certificate_scheme(&certifier_member, new_scheme.clone())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    store
        .create_certificate_scheme(&Actor::system(), new_scheme.clone())
        .await
        .expect("node administrators add schemes");
    assert!(matches!(
        store.create_certificate_scheme(&Actor::system(), new_scheme).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.list_certificate_schemes().await.expect("schemes").len(), 5);

    // Only certifiers issue.
    let about_restricted = request(
        "passport",
        &restricted.id.to_string(),
        "recycled_content",
        recycled_claim(),
    );
    assert!(matches!(
        store
            .prepare_certificate(&partner_member, about_restricted.clone())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    // A subject the certifier may not read is not found (existence does not leak).
    assert!(matches!(
        store
            .prepare_certificate(&certifier_member, about_restricted.clone())
            .await,
        Err(StoreError::NotFound {
            kind: RecordKind::Passport,
            ..
        })
    ));
    // Every problem at once, with its pointer.
    let mut broken = request(
        "facility",
        &public.id.to_string(),
        "recycled_content",
        json!({"type": "recycled_content", "material": "PP", "recycled_share_pct": "50",
               "pre_consumer_pct": "10", "post_consumer_pct": "30"}),
    );
    broken.valid_until = broken.valid_from - Duration::days(1);
    let Err(StoreError::Invalid(violations)) = store.prepare_certificate(&certifier_member, broken).await else {
        panic!("an invalid request is refused");
    };
    let paths: Vec<&str> = violations.iter().map(|violation| violation.path.as_str()).collect();
    assert_eq!(paths, ["/subject/kind", "/claim/post_consumer_pct", "/valid_until"]);
    assert!(matches!(
        store
            .prepare_certificate(
                &certifier_member,
                request("passport", &public.id.to_string(), "no_such_scheme", recycled_claim())
            )
            .await,
        Err(StoreError::Invalid(violations)) if violations[0].path == "/scheme"
    ));

    // A certifier cannot certify its own record.
    let own_plant = store
        .create_facility(
            &member_of(certifier, &[Role::OrgAdmin, Role::Member]),
            certifier,
            facility("認証", Visibility::Public),
        )
        .await
        .expect("certifier's facility");
    let coc = json!({"type": "chain_of_custody", "model": "mass_balance_credit", "material": "PP"});
    assert!(matches!(
        store
            .prepare_certificate(
                &certifier_member,
                request("facility", &own_plant.id.to_string(), "chain_of_custody", coc.clone())
            )
            .await,
        Err(StoreError::Invalid(violations)) if violations[0].path == "/subject/id"
    ));

    // The maker lets the certifier (and its partner) read what is to be certified.
    for grantee in [certifier, partner] {
        store
            .create_grant(
                &maker_admin,
                NewGrant {
                    grantee: Grantee::Organization {
                        organization_id: grantee,
                    },
                    record_kind: RecordKind::Passport,
                    record_ids: None,
                    level: GrantLevel::LegitimateInterest,
                    purpose: Some("certification".to_owned()),
                    expires_at: START + Duration::days(365),
                    record_class: None,
                    max_reads: None,
                    enforce_purpose: false,
                    fields: None,
                },
            )
            .await
            .expect("grant");
    }
    let draft = store
        .prepare_certificate(&certifier_member, about_restricted.clone())
        .await
        .expect("prepared");
    assert_eq!(draft.subject.version, Some(1), "the current version is certified");
    assert_eq!(draft.subject_owner_organization_id, maker);
    let (credential, status_index) = signed(store, &certifier_member, &draft).await;
    // Another organization cannot store a certifier's draft.
    assert!(matches!(
        store
            .create_certificate(&partner_member, draft.clone(), credential.clone())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    // Only with a credential the certifier issued for this very certificate.
    let stray = SignedCertificate {
        credential_id: "urn:uuid:0190b4d2-0000-7000-8000-0000000000ff".to_owned(),
        ..credential.clone()
    };
    assert!(matches!(
        store.create_certificate(&certifier_member, draft.clone(), stray).await,
        Err(StoreError::Invalid(violations)) if violations[0].path == "/credential_id"
    ));
    let on_restricted = store
        .create_certificate(&certifier_member, draft, credential)
        .await
        .expect("issued");
    assert_eq!(on_restricted.subject.version, Some(1));
    assert!(on_restricted.in_force(START));

    let public_draft = store
        .prepare_certificate(
            &certifier_member,
            request("passport", &public.id.to_string(), "recycled_content", recycled_claim()),
        )
        .await
        .expect("prepared");
    let (credential, _) = signed(store, &certifier_member, &public_draft).await;
    let on_public = store
        .create_certificate(&certifier_member, public_draft, credential)
        .await
        .expect("issued");
    let coc_draft = store
        .prepare_certificate(
            &certifier_member,
            request("facility", &plant.id.to_string(), "chain_of_custody", coc),
        )
        .await;
    assert!(
        matches!(coc_draft, Err(StoreError::NotFound { .. })),
        "the plant is restricted and not granted"
    );

    // Readers: certifier, owner, whoever reads the subject; the partner's read is audited.
    for reader in [&certifier_member, &maker_admin, &partner_member] {
        assert_eq!(
            store.get_certificate(reader, on_restricted.id).await.expect("readable"),
            on_restricted
        );
    }
    assert!(matches!(
        store.get_certificate(&stranger_member, on_restricted.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .get_certificate(&Actor::anonymous(), on_public.id)
            .await
            .expect("a certificate of a public passport is public")
            .id,
        on_public.id
    );
    let audited = all_audit_items(
        store,
        &maker_admin,
        &AuditFilter {
            owner_organization_id: Some(maker),
            record_id: Some(on_restricted.id.to_string()),
            action: Some(AuditAction::Read),
            ..AuditFilter::default()
        },
    )
    .await;
    assert_eq!(audited.len(), 1, "{audited:#?}");
    assert_eq!(audited[0].actor_organization_id, Some(partner));
    assert_eq!(audited[0].record_kind, RecordKind::Certificate);

    // Lists: by subject, by certifier, each reader's share.
    let by_certifier = CertificateFilter {
        certifier: Some(certifier),
        ..CertificateFilter::default()
    };
    let ids = |page: junkan_model::page::Page<junkan_model::certificate::Certificate>| {
        page.items
            .into_iter()
            .map(|certificate| certificate.id)
            .collect::<Vec<_>>()
    };
    let mut both = vec![on_restricted.id, on_public.id];
    both.sort();
    assert_eq!(
        ids(store
            .list_certificates(&certifier_member, &by_certifier, &first_page())
            .await
            .expect("list")),
        both
    );
    assert_eq!(
        ids(store
            .list_certificates(&stranger_member, &by_certifier, &first_page())
            .await
            .expect("list")),
        vec![on_public.id]
    );
    let page_of_one = store
        .list_certificates(
            &certifier_member,
            &by_certifier,
            &junkan_model::page::PageRequest::first(1),
        )
        .await
        .expect("list");
    assert_eq!(page_of_one.items.len(), 1);
    assert!(page_of_one.next_after.is_some());
    let by_subject = CertificateFilter {
        subject: Some((SubjectKind::Passport, restricted.id.to_string())),
        ..CertificateFilter::default()
    };
    assert_eq!(
        ids(store
            .list_certificates(&maker_admin, &by_subject, &first_page())
            .await
            .expect("list")),
        vec![on_restricted.id]
    );
    let about_maker = CertificateFilter {
        subject_owner: Some(maker),
        ..CertificateFilter::default()
    };
    assert_eq!(
        ids(store
            .list_certificates(&maker_admin, &about_maker, &first_page())
            .await
            .expect("list")),
        both
    );
    assert!(store
        .list_certificates(&Actor::anonymous(), &by_subject, &first_page())
        .await
        .expect("list")
        .items
        .is_empty());

    // Revocation: by the certifier, with a reason, once.
    clock.advance(Duration::days(30));
    let reason = CertificateRevocation {
        reason: "監査で不適合 / nonconformity found at surveillance audit".to_owned(),
    };
    assert!(matches!(
        store
            .revoke_certificate(&maker_admin, on_restricted.id, reason.clone())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store
            .revoke_certificate(&stranger_member, on_restricted.id, reason.clone())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .revoke_certificate(
                &certifier_member,
                on_restricted.id,
                CertificateRevocation { reason: " ".to_owned() }
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    let revoked = store
        .revoke_certificate(&certifier_member, on_restricted.id, reason.clone())
        .await
        .expect("revoked");
    assert_eq!(revoked.revoked_at, Some(START + Duration::days(30)));
    assert_eq!(revoked.revocation_reason.as_deref(), Some(reason.reason.as_str()));
    assert!(!revoked.in_force(START + Duration::days(31)));
    assert_eq!(
        store.revoked_status_indexes(certifier).await.expect("status list"),
        vec![status_index],
        "the credential's status bit is set with the revocation"
    );
    assert_eq!(
        store
            .get_certificate(&maker_admin, on_restricted.id)
            .await
            .expect("read"),
        revoked
    );
    assert!(matches!(
        store
            .revoke_certificate(&certifier_member, on_restricted.id, reason)
            .await,
        Err(StoreError::Conflict { .. })
    ));
}
