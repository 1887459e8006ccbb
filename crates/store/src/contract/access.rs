//! Contract cases of data sovereignty (issue 10): access requests and their states, narrowings
//! that widen refused, the enforced purpose, read limits under concurrent readers, standing rules
//! to a role AND a certification, expiry and revocation.

use time::Duration;

use junkan_model::access::{GrantLevel, Grantee, NewCertification, NewGrant, RecordKind};
use junkan_model::facility::Visibility;
use junkan_model::organization::CycleRole;
use junkan_model::principal::{Actor, Role};
use junkan_model::sharing::{Narrowing, NewAccessRequest, Refusal, RequestState};

use super::{facility, first_page, member_of, organization, START};
use crate::{ManualClock, RequestDirection, Store, StoreError};

fn with_purpose(actor: &Actor, purpose: &str) -> Actor {
    Actor {
        purpose: Some(purpose.to_owned()),
        ..actor.clone()
    }
}

/// Requests move pending → approved / narrowed / refused / withdrawn; the resulting grant
/// enforces its purpose and read limit (ten concurrent reads of a five-read grant: exactly five
/// succeed), and revocation and expiry end it.
pub async fn access_requests_purpose_and_concurrent_read_limits(store: &dyn Store, clock: &ManualClock) {
    let owner = organization(store, "所有", &[CycleRole::Manufacturer]).await;
    let reader = organization(store, "閲覧", &[CycleRole::Recycler]).await;
    let owner_admin = member_of(owner, &[Role::OrgAdmin]);
    let reader_member = member_of(reader, &[Role::Member]);
    let secret = store
        .create_facility(&owner_admin, owner, facility("秘密", Visibility::Restricted))
        .await
        .expect("facility");
    let ask = NewAccessRequest {
        owner_organization_id: owner,
        offer_id: None,
        record_kind: RecordKind::Facility,
        record_ids: None,
        record_class: None,
        level: GrantLevel::Full,
        purpose: "planning".to_owned(),
        expires_at: START + Duration::days(30),
        max_reads: Some(5),
        message: None,
        fields: None,
    };
    // To oneself: refused; naming a restricted record without an offer: refused.
    assert!(matches!(
        store
            .create_access_request(&owner_admin, NewAccessRequest { ..ask.clone() })
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .create_access_request(
                &reader_member,
                NewAccessRequest {
                    record_ids: Some(vec![secret.id.to_string()]),
                    ..ask.clone()
                }
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    let request = store
        .create_access_request(&reader_member, ask.clone())
        .await
        .expect("request");
    assert_eq!(request.state, RequestState::Pending);
    let incoming = store
        .list_access_requests(
            &owner_admin,
            RequestDirection::Incoming,
            Some(RequestState::Pending),
            &first_page(),
        )
        .await
        .expect("incoming");
    assert_eq!(incoming.items.len(), 1);
    // A narrowing that widens changes nothing.
    let widening = store
        .narrow_access_request(
            &owner_admin,
            request.id,
            Narrowing {
                max_reads: Some(6),
                ..Narrowing::default()
            },
        )
        .await;
    assert!(matches!(widening, Err(StoreError::Invalid(ref violations)) if violations[0].path == "/max_reads"));
    // Only the owner's administrators decide.
    assert!(matches!(
        store
            .approve_access_request(&member_of(owner, &[Role::Member]), request.id)
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let approved = store
        .approve_access_request(&owner_admin, request.id)
        .await
        .expect("approve");
    assert_eq!(approved.state, RequestState::Approved);
    let grant_id = approved.grant_id.expect("grant");

    // The purpose: none, or another, reads nothing.
    assert!(store.get_facility(&reader_member, secret.id).await.is_err());
    assert!(store
        .get_facility(&with_purpose(&reader_member, "marketing"), secret.id)
        .await
        .is_err());
    // Ten concurrent reads under a five-read grant: exactly five succeed.
    let planning = with_purpose(&reader_member, "planning");
    let reads = (0..10).map(|_| store.get_facility(&planning, secret.id));
    let results = futures::future::join_all(reads).await;
    let succeeded = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!(succeeded, 5, "{results:?}");
    assert!(results
        .iter()
        .filter_map(|result| result.as_ref().err())
        .all(|error| matches!(error, StoreError::NotFound { .. } | StoreError::Forbidden { .. })));
    let grant = store.get_grant(&owner_admin, grant_id).await.expect("grant");
    assert_eq!((grant.reads_used, grant.max_reads), (5, Some(5)));
    assert!(store.get_facility(&planning, secret.id).await.is_err());

    // A second request, narrowed to a lower level and an earlier end, expires by itself.
    let second = store
        .create_access_request(
            &reader_member,
            NewAccessRequest {
                max_reads: None,
                ..ask.clone()
            },
        )
        .await
        .expect("request");
    let narrowed = store
        .narrow_access_request(
            &owner_admin,
            second.id,
            Narrowing {
                level: Some(GrantLevel::LegitimateInterest),
                expires_at: Some(START + Duration::days(2)),
                ..Narrowing::default()
            },
        )
        .await
        .expect("narrow");
    assert_eq!(narrowed.state, RequestState::Narrowed);
    assert!(store.get_facility(&planning, secret.id).await.is_ok());
    clock.advance(Duration::days(3));
    assert!(store.get_facility(&planning, secret.id).await.is_err());
    assert_eq!(
        store
            .get_access_request(&reader_member, second.id)
            .await
            .expect("get")
            .state,
        RequestState::Expired
    );

    // A third, approved then revoked: access ends at once.
    let third = store
        .create_access_request(
            &reader_member,
            NewAccessRequest {
                max_reads: None,
                expires_at: START + Duration::days(30),
                ..ask.clone()
            },
        )
        .await
        .expect("request");
    let approved = store
        .approve_access_request(&owner_admin, third.id)
        .await
        .expect("approve");
    assert!(store.get_facility(&planning, secret.id).await.is_ok());
    store
        .revoke_grant(&owner_admin, approved.grant_id.expect("grant"))
        .await
        .expect("revoke");
    assert!(store.get_facility(&planning, secret.id).await.is_err());
    assert_eq!(
        store
            .get_access_request(&owner_admin, third.id)
            .await
            .expect("get")
            .state,
        RequestState::Revoked
    );

    // Refused and withdrawn requests; decided ones cannot be decided again.
    let fourth = store
        .create_access_request(&reader_member, ask.clone())
        .await
        .expect("request");
    let refused = store
        .refuse_access_request(
            &owner_admin,
            fourth.id,
            Refusal {
                reason: "not now".to_owned(),
            },
        )
        .await
        .expect("refuse");
    assert_eq!(refused.state, RequestState::Refused);
    assert!(matches!(
        store.withdraw_access_request(&reader_member, fourth.id).await,
        Err(StoreError::Conflict { .. })
    ));
    let fifth = store.create_access_request(&reader_member, ask).await.expect("request");
    let withdrawn = store
        .withdraw_access_request(&reader_member, fifth.id)
        .await
        .expect("withdraw");
    assert_eq!(withdrawn.state, RequestState::Withdrawn);
    assert!(matches!(
        store.approve_access_request(&owner_admin, fifth.id).await,
        Err(StoreError::Conflict { .. })
    ));
    // Outsiders see none of it.
    let outsider = organization(store, "部外", &[]).await;
    assert!(matches!(
        store
            .get_access_request(&member_of(outsider, &[Role::OrgAdmin]), fifth.id)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A standing rule to every recycler holding a valid certification of a scheme: a recycler
/// without it, and a certified organization that is not a recycler, read nothing.
pub async fn standing_rules_combine_role_and_certification(store: &dyn Store, _clock: &ManualClock) {
    let owner = organization(store, "家電", &[CycleRole::Manufacturer]).await;
    let certifier = organization(store, "認証", &[CycleRole::Certifier]).await;
    let certified_recycler = organization(store, "認定再資源化", &[CycleRole::Recycler]).await;
    let plain_recycler = organization(store, "再資源化", &[CycleRole::Recycler]).await;
    let certified_collector = organization(store, "認定回収", &[CycleRole::Collector]).await;
    let owner_admin = member_of(owner, &[Role::OrgAdmin]);
    let secret = store
        .create_facility(&owner_admin, owner, facility("解体", Visibility::Restricted))
        .await
        .expect("facility");
    store
        .create_grant(
            &owner_admin,
            NewGrant {
                grantee: Grantee::RoleWithCertification {
                    role: CycleRole::Recycler,
                    scheme: "dismantling".to_owned(),
                },
                record_kind: RecordKind::Facility,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: None,
                expires_at: START + Duration::days(365),
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                fields: None,
            },
        )
        .await
        .expect("standing rule");
    for subject in [certified_recycler, certified_collector] {
        store
            .create_certification(
                &member_of(certifier, &[Role::Member]),
                NewCertification {
                    subject_organization_id: subject,
                    scheme: "dismantling".to_owned(),
                    valid_from: START,
                    valid_until: START + Duration::days(100),
                },
            )
            .await
            .expect("certify");
    }
    let reads = |organization| {
        let actor = member_of(organization, &[Role::Member]);
        async move { store.get_facility(&actor, secret.id).await }
    };
    assert!(reads(certified_recycler).await.is_ok());
    assert!(reads(plain_recycler).await.is_err());
    assert!(reads(certified_collector).await.is_err());
    let rules = store
        .list_grants(&owner_admin, crate::GrantDirection::Standing, &first_page())
        .await
        .expect("rules");
    assert_eq!(rules.items.len(), 1);
}
