//! Contract case of federation (issue 10 item 4): peers, organizations of peers as directory
//! rows under the one read rule, nonces (replays), requests sent to peers and received records.

use serde_json::json;
use time::Duration;

use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::facility::Visibility;
use junkan_model::federation::NewReceivedRecord;
use junkan_model::organization::CycleRole;
use junkan_model::principal::{Actor, PrincipalKind, Role};

use super::{facility, member_of, organization, START};
use crate::{ManualClock, Store, StoreError};

fn remote_actor(keyid: &str, organization: Option<junkan_model::ids::OrganizationId>) -> Actor {
    Actor {
        kind: PrincipalKind::RemoteOrganization,
        principal_id: keyid.to_owned(),
        organization_id: organization,
        roles: if organization.is_some() {
            vec![Role::Member]
        } else {
            Vec::new()
        },
        purpose: None,
        request_id: None,
    }
}

/// A peer's organization becomes a directory row linked to its DID, reads under a grant like a
/// local organization and no more, never gets a key here; nonces refuse replays until they
/// expire; requests sent to peers and received records are their organization's only.
pub async fn federation_peers_remote_organizations_and_received_records(store: &dyn Store, clock: &ManualClock) {
    let owner = organization(store, "提供", &[CycleRole::Manufacturer]).await;
    let consumer = organization(store, "受領", &[CycleRole::Recycler]).await;
    let owner_admin = member_of(owner, &[Role::OrgAdmin]);
    let consumer_member = member_of(consumer, &[Role::Member]);
    let document = json!({"id": "did:web:peer.example"});

    // Peers: node administrators only; one per base URL and DID.
    assert!(matches!(
        store
            .create_peer(&owner_admin, "https://peer.example", "did:web:peer.example", &document)
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let peer = store
        .create_peer(
            &Actor::system(),
            "https://peer.example",
            "did:web:peer.example",
            &document,
        )
        .await
        .expect("peer");
    assert!(matches!(
        store
            .create_peer(
                &Actor::system(),
                "https://peer.example",
                "did:web:other.example",
                &document
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.get_peer(peer.id).await.expect("peer"), peer);
    assert_eq!(
        store.peer_by_did("did:web:peer.example").await.expect("by did"),
        Some(peer.clone())
    );
    assert_eq!(store.list_peers().await.expect("peers"), vec![peer.clone()]);

    // A peer's organization, registered by its own signed request only.
    let did = "did:web:peer.example:organizations:abc";
    let keyid = format!("{did}#key-1");
    assert!(matches!(
        store
            .register_remote_organization(&owner_admin, peer.id, did, "遠隔", "Remote", &[])
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store
            .register_remote_organization(
                &remote_actor("did:web:peer.example:organizations:other#k", None),
                peer.id,
                did,
                "遠隔",
                "Remote",
                &[]
            )
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let remote = store
        .register_remote_organization(
            &remote_actor(&keyid, None),
            peer.id,
            did,
            "遠隔株式会社",
            "Remote K.K.",
            &[CycleRole::Recycler],
        )
        .await
        .expect("remote organization");
    let again = store
        .register_remote_organization(&remote_actor(&keyid, None), peer.id, did, "x", "x", &[])
        .await
        .expect("known");
    assert_eq!(again.organization_id, remote.organization_id);
    let entry = store.get_organization(remote.organization_id).await.expect("directory");
    assert_eq!(entry.name_en, "Remote K.K.");
    assert_eq!(entry.roles, vec![CycleRole::Recycler]);
    assert_eq!(
        store
            .remote_organization_of(remote.organization_id)
            .await
            .expect("link"),
        Some(remote.clone())
    );
    assert_eq!(store.remote_organization_of(owner).await.expect("local"), None);
    // Its keys are on its own node.
    assert!(matches!(
        store
            .organization_signing_key(&owner_admin, remote.organization_id)
            .await,
        Err(StoreError::Forbidden { .. })
    ));

    // Under a grant it reads like a local organization; revoked, it reads nothing.
    let secret = store
        .create_facility(&owner_admin, owner, facility("秘密", Visibility::Restricted))
        .await
        .expect("facility");
    let remote_reader = remote_actor(&keyid, Some(remote.organization_id));
    assert!(matches!(
        store.get_facility(&remote_reader, secret.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let grant = store
        .create_grant(
            &owner_admin,
            NewGrant {
                grantee: Grantee::Organization {
                    organization_id: remote.organization_id,
                },
                record_kind: RecordKind::Facility,
                record_ids: Some(vec![secret.id.to_string()]),
                level: GrantLevel::Full,
                purpose: None,
                expires_at: START + Duration::days(30),
                record_class: None,
                enforce_purpose: false,
                max_reads: None,
                fields: None,
            },
        )
        .await
        .expect("grant");
    assert_eq!(
        store.get_facility(&remote_reader, secret.id).await.expect("granted").id,
        secret.id
    );
    store.revoke_grant(&owner_admin, grant.id).await.expect("revoke");
    assert!(matches!(
        store.get_facility(&remote_reader, secret.id).await,
        Err(StoreError::NotFound { .. })
    ));

    // Nonces: a second use is a replay until the first expires.
    let expires = START + Duration::minutes(5);
    assert!(store.use_nonce(&keyid, "n1", expires).await.expect("nonce"));
    assert!(!store.use_nonce(&keyid, "n1", expires).await.expect("replay"));
    assert!(store
        .use_nonce("did:web:x:organizations:y#k", "n1", expires)
        .await
        .expect("other key"));
    clock.advance(Duration::minutes(10));
    assert!(store
        .use_nonce(&keyid, "n1", START + Duration::minutes(20))
        .await
        .expect("expired nonce forgotten"));

    // Requests to peers: the sending organization's members write and read them.
    assert!(matches!(
        store
            .create_remote_request(&remote_reader, peer.id, did, "r1", &json!({}), &json!({}), "pending")
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let request = store
        .create_remote_request(
            &consumer_member,
            peer.id,
            did,
            "r1",
            &json!({"record_kind": "passport", "record_ids": ["p1"]}),
            &json!({"id": "r1", "state": "pending"}),
            "pending",
        )
        .await
        .expect("remote request");
    assert!(matches!(
        store.get_remote_request(&owner_admin, request.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let updated = store
        .update_remote_request(
            &consumer_member,
            request.id,
            "approved",
            Some("g1"),
            &json!({"id": "r1", "state": "approved", "grant_id": "g1"}),
        )
        .await
        .expect("update");
    assert_eq!(
        (updated.state.as_str(), updated.grant_id.as_deref()),
        ("approved", Some("g1"))
    );
    assert_eq!(
        store
            .get_remote_request(&consumer_member, request.id)
            .await
            .expect("read"),
        updated
    );
    assert!(matches!(
        store
            .update_remote_request(&owner_admin, request.id, "refused", None, &json!({}))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.list_remote_requests(&owner_admin).await.expect("none"), vec![]);

    // Received records: kept with provenance, their organization's only.
    let received = store
        .create_received_record(
            &consumer_member,
            NewReceivedRecord {
                peer_id: peer.id,
                remote_request_id: Some(request.id),
                provider_did: did.to_owned(),
                record_kind: "passport".to_owned(),
                record_id: "p1".to_owned(),
                record_version: Some(2),
                grant_id: Some("g1".to_owned()),
                credential: "h.p.s".to_owned(),
                credential_id: Some("urn:uuid:c1".to_owned()),
                issuer_key_id: keyid.clone(),
                subject: json!({"recordId": "p1"}),
                verified_at: START,
            },
        )
        .await
        .expect("received");
    assert_eq!(
        store
            .list_received_records(&consumer_member, Some(request.id))
            .await
            .expect("list"),
        vec![received.clone()]
    );
    assert_eq!(
        store
            .get_received_record(&consumer_member, received.id)
            .await
            .expect("read"),
        received
    );
    assert!(matches!(
        store.get_received_record(&owner_admin, received.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_received_record(&remote_reader, received.id).await,
        Err(StoreError::NotFound { .. })
    ));
}
