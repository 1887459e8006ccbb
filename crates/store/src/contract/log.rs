//! Contract cases for the tamper-evident log (改ざん検知ログ, issue 9): one leaf per write in the
//! write's transaction (none for a rejected write, one per capture document however many events
//! it holds), inclusion proofs of records and of events inside their capture's leaf, signed tree
//! heads checked against the log, consistency proofs between heads, and proofs given only to
//! those who may have them. Tampering with the database is shown per engine in
//! `store-sql/tests/log_tampering.rs`.

use base64::Engine as _;
use ed25519_dalek::SigningKey;

use junkan_model::event::{CaptureErrorBehaviour, IdentifierRole};
use junkan_model::page::PageRequest;
use junkan_model::principal::{Actor, Role};
use junkan_translog::{verify_consistency, verify_inclusion, TreeHead};

use super::{capture_of, event, member_of, organization, plastics_passport, START};
use crate::{Clock, ManualClock, SigningKeyRecord, Store, StoreError};

/// A node key the store knows, so that verification can check the heads it signs.
async fn node_key(store: &dyn Store) -> (String, SigningKey) {
    let key = SigningKey::from_bytes(&[42; 32]);
    let kid = "contract-key".to_owned();
    store
        .add_signing_key(&SigningKeyRecord {
            kid: kid.clone(),
            secret: base64::engine::general_purpose::STANDARD.encode(key.to_bytes()),
            created_at: START,
        })
        .await
        .expect("adds a key");
    (kid, key)
}

async fn size(store: &dyn Store) -> u64 {
    store.log_tree_state().await.expect("log state").0
}

async fn sign(store: &dyn Store, kid: &str, key: &SigningKey, clock: &ManualClock) -> TreeHead {
    let (size, root) = store.log_tree_state().await.expect("log state");
    let millis = i64::try_from(clock.now().unix_timestamp_nanos() / 1_000_000).expect("fits");
    let head = TreeHead::sign(size, millis, root, kid, key);
    store.add_tree_head(&head).await.expect("a head of the log is stored");
    head
}

/// Writes append exactly their leaves; proofs verify; heads are checked; the log verifies.
pub async fn transparency_log_commits_every_write(store: &dyn Store, clock: &ManualClock) {
    let (kid, key) = node_key(store).await;
    let before = size(store).await;
    assert!(before > 0, "migration seeds (industries, shipped profiles) are logged");
    let a = organization(store, "LogA", &[]).await;
    let b = organization(store, "LogB", &[]).await;
    assert_eq!(size(store).await, before + 2, "one leaf per organization created");
    let alice = member_of(a, &[Role::Member]);
    let bob = member_of(b, &[Role::Member]);

    // A capture of three events is one leaf.
    let events = vec![
        event(
            "log-1",
            "ObjectEvent",
            &[(IdentifierRole::Epc, "urn:epc:id:sgtin:4512345.012345.1")],
            "shipping",
            1,
        ),
        event(
            "log-2",
            "ObjectEvent",
            &[(IdentifierRole::Epc, "urn:epc:id:sgtin:4512345.012345.2")],
            "shipping",
            2,
        ),
        event(
            "log-3",
            "ObjectEvent",
            &[(IdentifierRole::Epc, "urn:epc:id:sgtin:4512345.012345.3")],
            "receiving",
            3,
        ),
    ];
    let job = store
        .capture_events(&alice, capture_of(events, CaptureErrorBehaviour::Rollback))
        .await
        .expect("captured");
    assert_eq!(job.captured_count, 3);
    assert_eq!(size(store).await, before + 3, "one leaf for the whole document");

    // A rejected write leaves no leaf.
    let mut invalid = plastics_passport("urn:epc:class:lgtin:4912345.000001.LOG-0");
    invalid.profile = "no-such-profile".to_owned();
    assert!(store.create_passport(&alice, invalid).await.is_err());
    assert_eq!(size(store).await, before + 3, "a refused write appends nothing");

    let first_head = sign(store, &kid, &key, clock).await;
    let passport = store
        .create_passport(&alice, plastics_passport("urn:epc:class:lgtin:4912345.000001.LOG-1"))
        .await
        .expect("created");
    assert_eq!(size(store).await, before + 4);

    // A head whose root is not the log's is refused.
    let (now_size, _) = store.log_tree_state().await.expect("state");
    let forged = TreeHead::sign(now_size, 0, [7; 32], &kid, &key);
    assert!(matches!(
        store.add_tree_head(&forged).await,
        Err(StoreError::Invalid(_))
    ));
    clock.advance(time::Duration::minutes(5));
    let second_head = sign(store, &kid, &key, clock).await;

    // The passport's inclusion proof, to the newest head by default.
    let passport_id = passport.id.to_string();
    let inclusion = store
        .log_inclusion(&alice, "passport", &passport_id, None)
        .await
        .expect("the owner gets the proof");
    assert_eq!(inclusion.tree_size, second_head.size);
    assert_eq!(inclusion.root, second_head.root);
    assert_eq!(inclusion.leaf.record_id, passport_id);
    assert_eq!(inclusion.leaf.hash(), inclusion.leaf_hash);
    assert_eq!(
        verify_inclusion(
            inclusion.leaf.index,
            inclusion.tree_size,
            &inclusion.leaf_hash,
            &inclusion.path,
            &second_head.root
        ),
        Ok(())
    );
    // Others are told nothing exists; node administrators and auditors get it.
    assert!(matches!(
        store.log_inclusion(&bob, "passport", &passport_id, None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .log_inclusion(&Actor::system(), "passport", &passport_id, None)
        .await
        .is_ok());

    // An event: its capture's leaf, and its digest inside the capture's tree of events.
    let event_inclusion = store
        .log_inclusion(&alice, "event", "log-2", Some(first_head.size))
        .await
        .expect("the owner gets the event's proof");
    assert_eq!(event_inclusion.leaf.kind, "capture");
    assert_eq!(event_inclusion.leaf.record_id, job.capture_id.to_string());
    assert_eq!(
        verify_inclusion(
            event_inclusion.leaf.index,
            first_head.size,
            &event_inclusion.leaf_hash,
            &event_inclusion.path,
            &first_head.root
        ),
        Ok(())
    );
    let member = event_inclusion.member.expect("an event has its place in the capture");
    assert_eq!((member.index, member.count), (1, 3));
    assert_eq!(
        verify_inclusion(
            member.index,
            member.count,
            &junkan_translog::leaf_hash(&member.digest),
            &member.path,
            &member.root
        ),
        Ok(())
    );
    assert!(store
        .log_inclusion(&alice, "event", "no-such-event", None)
        .await
        .is_err());
    assert!(matches!(
        store.log_inclusion(&alice, "spaceship", "x", None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(
        matches!(
            store
                .log_inclusion(&alice, "passport", &passport_id, Some(first_head.size))
                .await,
            Err(StoreError::Invalid(_))
        ),
        "the passport's leaf is not inside the first head's tree"
    );

    // Consistency between the two heads.
    let proof = store
        .log_consistency(first_head.size, second_head.size)
        .await
        .expect("proof");
    assert_eq!(
        verify_consistency(
            first_head.size,
            second_head.size,
            &first_head.root,
            &second_head.root,
            &proof
        ),
        Ok(())
    );
    assert!(store.log_consistency(second_head.size, first_head.size).await.is_err());
    assert!(store.log_consistency(1, second_head.size + 100).await.is_err());

    // History, newest first.
    let heads = store.tree_heads(&PageRequest::first(1)).await.expect("heads");
    assert_eq!(heads.items[0].head, second_head);
    let older = store
        .tree_heads(&PageRequest {
            after: heads.next_after.clone(),
            limit: 10,
        })
        .await
        .expect("older heads");
    assert_eq!(
        older.items.iter().map(|stored| &stored.head).collect::<Vec<_>>(),
        vec![&first_head]
    );
    assert_eq!(
        store
            .latest_tree_head()
            .await
            .expect("latest")
            .map(|stored| stored.head),
        Some(second_head.clone())
    );

    // The whole log verifies, and only node administrators and auditors verify it.
    let report = store.verify_log(&Actor::system()).await.expect("verifies");
    assert!(report.is_intact(), "{:#?}", report.divergences);
    assert_eq!(report.leaves, second_head.size);
    assert_eq!(report.tree_heads, 2);
    assert_eq!(report.root, Some(second_head.root));
    assert!(matches!(
        store.verify_log(&alice).await,
        Err(StoreError::Forbidden { .. })
    ));
}
