//! Contract cases for the trust services' storage (issue 9): organization keys made on first use,
//! rotation with retirement (only by administrators; retired keys kept), the node's keys apart
//! from organizations', issued credentials with distinct status-list indexes, revocation by the
//! issuer's administrators only, entries readable only by the issuer, and rejected writes that
//! change nothing.

use junkan_model::access::RecordKind;
use junkan_model::principal::{Actor, Role};

use super::{member_of, organization, START};
use crate::{Clock, KeyOwner, ManualClock, NewIssuedCredential, SigningKeyRecord, Store, StoreError};

fn new_credential(store: &dyn Store, issuer: junkan_model::ids::OrganizationId, key_id: &str) -> NewIssuedCredential {
    NewIssuedCredential {
        id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        issuer,
        record_kind: "passport".to_owned(),
        record_id: "p-1".to_owned(),
        record_version: Some(2),
        key_id: key_id.to_owned(),
        issued_at: store.now(),
        valid_until: None,
        keep_signed: true,
    }
}

/// Keys: made on first use, rotated with retirement by administrators only, kept; the node's
/// keys are not organizations' keys.
pub async fn trust_keys_rotate_and_retire(store: &dyn Store, clock: &ManualClock) {
    let a = organization(store, "鍵A", &[]).await;
    let b = organization(store, "鍵B", &[]).await;
    let admin_a = member_of(a, &[Role::OrgAdmin]);
    let member_a = member_of(a, &[Role::Member]);
    let admin_b = member_of(b, &[Role::OrgAdmin]);
    store
        .add_signing_key(&SigningKeyRecord {
            kid: "node-key".to_owned(),
            secret: "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=".to_owned(),
            created_at: START,
        })
        .await
        .expect("node key");

    assert!(store
        .trust_keys(KeyOwner::Organization(a))
        .await
        .expect("keys")
        .is_empty());
    let first = store
        .organization_signing_key(&member_a, a)
        .await
        .expect("made on first use");
    assert_eq!(first.organization_id, Some(a));
    assert_eq!(first.public_key.len(), 43, "base64url of 32 bytes");
    let again = store
        .organization_signing_key(&member_a, a)
        .await
        .expect("the same key");
    assert_eq!(again.kid, first.kid);
    assert_eq!(
        store.trust_keys(KeyOwner::Organization(a)).await.expect("keys").len(),
        1
    );
    // Eight first uses at once (on PostgreSQL, eight connections) make one key, which all get.
    let c = organization(store, "鍵C", &[]).await;
    let member_c = member_of(c, &[Role::Member]);
    let firsts = futures::future::join_all((0..8).map(|_| store.organization_signing_key(&member_c, c))).await;
    let kids: std::collections::BTreeSet<String> =
        firsts.into_iter().map(|key| key.expect("made or found").kid).collect();
    assert_eq!(kids.len(), 1, "{kids:?}");
    assert_eq!(
        store.trust_keys(KeyOwner::Organization(c)).await.expect("keys").len(),
        1
    );
    // The node's keys and the organizations' stay apart.
    let node = store.trust_keys(KeyOwner::Node).await.expect("node keys");
    assert_eq!(
        node.iter().map(|key| key.kid.as_str()).collect::<Vec<_>>(),
        ["node-key"]
    );
    assert_eq!(store.signing_keys().await.expect("keyring").len(), 1);

    // Only administrators rotate; others change nothing.
    for (actor, why) in [
        (&member_a, "a member"),
        (&admin_b, "another organization's administrator"),
    ] {
        let refused = store.rotate_key(actor, KeyOwner::Organization(a)).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden { .. })),
            "{why}: {refused:?}"
        );
    }
    let refused = store.rotate_key(&admin_a, KeyOwner::Node).await;
    assert!(matches!(refused, Err(StoreError::Forbidden { .. })), "{refused:?}");
    assert_eq!(
        store.trust_keys(KeyOwner::Organization(a)).await.expect("keys").len(),
        1
    );

    clock.advance(time::Duration::hours(1));
    let rotated = store
        .rotate_key(&admin_a, KeyOwner::Organization(a))
        .await
        .expect("rotated");
    assert_eq!(rotated.len(), 2);
    assert!(rotated[0].retired_at.is_none(), "the new key comes first");
    assert_ne!(rotated[0].kid, first.kid);
    assert_eq!(rotated[1].kid, first.kid);
    assert_eq!(rotated[1].retired_at, Some(clock.now()));
    let current = store.organization_signing_key(&member_a, a).await.expect("current");
    assert_eq!(current.kid, rotated[0].kid);
    // Node administrators rotate any organization's keys and the node's.
    let node_admin = Actor::system();
    assert_eq!(
        store
            .rotate_key(&node_admin, KeyOwner::Organization(a))
            .await
            .expect("rotated")
            .len(),
        3
    );
    let node = store
        .rotate_key(&node_admin, KeyOwner::Node)
        .await
        .expect("node rotated");
    assert_eq!(node.len(), 2);
    assert_eq!(
        store.signing_keys().await.expect("keyring")[0].kid,
        node[0].kid,
        "the new key signs"
    );
    assert!(node.iter().all(|key| key.organization_id.is_none()));
    // Rotation of an unknown organization: not found.
    let unknown = store
        .rotate_key(
            &node_admin,
            KeyOwner::Organization(junkan_model::ids::OrganizationId::generate()),
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
    // The writes are audited as the actor's.
    let entries = super::all_audit_items(
        store,
        &admin_a,
        &junkan_model::audit::AuditFilter {
            owner_organization_id: Some(a),
            record_id: Some(first.kid.clone()),
            action: None,
            ..Default::default()
        },
    )
    .await;
    // Made, then retired.
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.iter().all(|entry| entry.record_kind == RecordKind::SigningKey));
}

/// Issued credentials: distinct status-list indexes, entries for the issuer only, revocation
/// by the issuer's administrators, keys that are not the issuer's refused.
pub async fn issued_credentials_and_revocation(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "発行A", &[]).await;
    let b = organization(store, "発行B", &[]).await;
    let admin_a = member_of(a, &[Role::OrgAdmin]);
    let member_a = member_of(a, &[Role::Member]);
    let reader_b = member_of(b, &[Role::OrgAdmin, Role::Member]);
    let key_a = store.organization_signing_key(&member_a, a).await.expect("key");
    let key_b = store.organization_signing_key(&reader_b, b).await.expect("key");

    let mut indexes = std::collections::BTreeSet::new();
    let mut first = None;
    for _ in 0..20 {
        let new = new_credential(store, a, &key_a.kid);
        let (entry, signed) = store
            .issue_credential(&reader_b, new, &|index| Ok(format!("signed-{index}")))
            .await
            .expect("issued");
        assert_eq!(signed, format!("signed-{}", entry.status_index));
        assert_eq!(entry.credential.as_deref(), Some(signed.as_str()), "kept when asked");
        assert!(entry.status_index < crate::STATUS_LIST_LENGTH);
        assert!(indexes.insert(entry.status_index), "indexes are never reused");
        first.get_or_insert(entry);
    }
    let first = first.expect("issued");

    // Refused: another organization's key, a bad id, a signer that fails; nothing is stored.
    let wrong_key = store
        .issue_credential(&member_a, new_credential(store, a, &key_b.kid), &|_| Ok(String::new()))
        .await;
    assert!(matches!(wrong_key, Err(StoreError::Invalid(_))), "{wrong_key:?}");
    let mut bad_id = new_credential(store, a, &key_a.kid);
    bad_id.id = "not-a-urn".to_owned();
    let bad_id = store.issue_credential(&member_a, bad_id, &|_| Ok(String::new())).await;
    assert!(matches!(bad_id, Err(StoreError::Invalid(_))), "{bad_id:?}");
    let failing = new_credential(store, a, &key_a.kid);
    let failing_id = failing.id.clone();
    assert!(store
        .issue_credential(&member_a, failing, &|_| Err("no".to_owned()))
        .await
        .is_err());
    assert!(matches!(
        store.issued_credential(&member_a, &failing_id).await,
        Err(StoreError::NotFound { .. })
    ));

    // Entries: the issuer's members read them; another organization does not see them.
    let read = store
        .issued_credential(&member_a, &first.id)
        .await
        .expect("issuer reads");
    assert_eq!(read, first);
    assert!(matches!(
        store.issued_credential(&reader_b, &first.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .credentials_of_record(&member_a, "passport", "p-1")
            .await
            .expect("listed")
            .len(),
        20
    );
    assert!(store
        .credentials_of_record(&reader_b, "passport", "p-1")
        .await
        .expect("listed")
        .is_empty());

    // Revocation: the issuer's administrators only; the bit is public.
    assert!(store.revoked_status_indexes(a).await.expect("list").is_empty());
    assert!(matches!(
        store.revoke_credential(&member_a, &first.id).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store.revoke_credential(&reader_b, &first.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.revoked_status_indexes(a).await.expect("list").is_empty());
    let revoked = store.revoke_credential(&admin_a, &first.id).await.expect("revoked");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        store.revoked_status_indexes(a).await.expect("list"),
        [first.status_index]
    );
    assert!(store.revoked_status_indexes(b).await.expect("list").is_empty());
    // Revoking again keeps the first revocation time.
    let again = store.revoke_credential(&admin_a, &first.id).await.expect("idempotent");
    assert_eq!(again.revoked_at, revoked.revoked_at);
}
