//! Contract cases of the Dataspace Protocol (issue 10, item 4): negotiations decided through
//! access requests, the grant made at finalization with the agreement's id, messages in the
//! wrong state or from the wrong party changing nothing, transfers whose pull token stops with
//! the agreement, and the consumer side's bookkeeping.

use time::Duration;

use junkan_model::access::{GrantLevel, RecordKind};
use junkan_model::dsp::{
    process_id, NegotiationMessage, NegotiationState, ReceivedNegotiationMessage, ReceivedTransferMessage, Role,
    TransferMessage, TransferState,
};
use junkan_model::facility::Visibility;
use junkan_model::organization::CycleRole;
use junkan_model::principal::{Actor, Role as PrincipalRole};
use junkan_model::sharing::{NewDatasetOffer, Refusal, RequestState};

use super::{facility, member_of, organization, START};
use crate::{Clock, ManualClock, Store, StoreError};

fn offer(public: bool) -> NewDatasetOffer {
    NewDatasetOffer {
        title_ja: "工場".to_owned(),
        title_en: "Plants".to_owned(),
        description_ja: "工場の記録".to_owned(),
        description_en: "Plant records".to_owned(),
        record_kind: RecordKind::Facility,
        record_class: None,
        level: GrantLevel::Full,
        purpose: Some("planning".to_owned()),
        max_duration_days: Some(30),
        public,
        fields: None,
    }
}

fn received(message: NegotiationMessage, peer_pid: &str) -> ReceivedNegotiationMessage {
    ReceivedNegotiationMessage {
        message,
        peer_pid: peer_pid.to_owned(),
        agreement: None,
        reason: None,
    }
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict { .. }))
}

fn is_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::NotFound { .. }))
}

/// Provider side: request → the owner's decision (AGREED) → the consumer's verification
/// (FINALIZED, the grant made with the agreement's id) → a transfer whose token works until the
/// grant is revoked. Public offers agree by themselves; a refusal terminates.
pub async fn dsp_negotiations_decide_through_requests_and_transfers_stop_with_the_grant(
    store: &dyn Store,
    clock: &ManualClock,
) {
    let owner = organization(store, "提供", &[CycleRole::Manufacturer]).await;
    let consumer = organization(store, "利用", &[CycleRole::Recycler]).await;
    let stranger = organization(store, "部外", &[CycleRole::Recycler]).await;
    let owner_admin = member_of(owner, &[PrincipalRole::OrgAdmin]);
    let consumer_member = member_of(consumer, &[PrincipalRole::Member]);
    let stranger_member = member_of(stranger, &[PrincipalRole::Member]);
    let plant = store
        .create_facility(&owner_admin, owner, facility("秘密", Visibility::Restricted))
        .await
        .expect("facility");
    let members_only = store
        .create_dataset_offer(&owner_admin, offer(false))
        .await
        .expect("offer");

    // From no organization: refused, nothing written.
    assert!(matches!(
        store
            .dsp_request_contract(
                &Actor::anonymous(),
                members_only.id,
                "urn:uuid:c1",
                "http://consumer/dsp"
            )
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let negotiation = store
        .dsp_request_contract(&consumer_member, members_only.id, "urn:uuid:c1", "http://consumer/dsp")
        .await
        .expect("requested");
    assert_eq!(negotiation.state, NegotiationState::Requested);
    assert_eq!(negotiation.role, Role::Provider);
    assert_eq!(negotiation.counterparty_organization_id, Some(consumer));
    let request_id = negotiation.access_request_id.expect("decided through a request");
    // Members-only offers wait for the owner.
    assert_eq!(store.dsp_agree_by_offer(negotiation.id).await.expect("checked"), None);
    // Verification before the agreement: the state refuses it and nothing changes.
    assert!(is_conflict(
        store
            .dsp_receive_negotiation_message(
                &consumer_member,
                negotiation.id,
                received(NegotiationMessage::Verification, "urn:uuid:c1")
            )
            .await
    ));
    // A message the provider itself sends is not received by it.
    assert!(is_conflict(
        store
            .dsp_receive_negotiation_message(
                &consumer_member,
                negotiation.id,
                received(NegotiationMessage::Agreement, "urn:uuid:c1")
            )
            .await
    ));
    // Another organization, or the wrong consumer process id: the negotiation does not exist.
    assert!(is_not_found(
        store
            .dsp_receive_negotiation_message(
                &stranger_member,
                negotiation.id,
                received(NegotiationMessage::Termination, "urn:uuid:c1")
            )
            .await
    ));
    assert!(is_not_found(
        store
            .dsp_receive_negotiation_message(
                &consumer_member,
                negotiation.id,
                received(NegotiationMessage::Termination, "urn:uuid:other")
            )
            .await
    ));
    assert!(is_not_found(
        store.dsp_negotiation(&stranger_member, negotiation.id).await
    ));

    // The owner agrees through the inbox: AGREED, no grant yet.
    let approved = store
        .approve_access_request(&owner_admin, request_id)
        .await
        .expect("approved");
    assert_eq!(approved.state, RequestState::Approved);
    assert_eq!(approved.grant_id, None);
    let agreed = store
        .dsp_negotiation_for_request(&owner_admin, request_id)
        .await
        .expect("read")
        .expect("linked");
    assert_eq!(agreed.state, NegotiationState::Agreed);
    let agreement_id = agreed.agreement_id.clone().expect("agreement id");
    assert_eq!(
        agreed.agreement.as_ref().expect("agreement")["@id"],
        agreement_id.as_str()
    );
    let reader = Actor {
        purpose: Some("planning".to_owned()),
        ..consumer_member.clone()
    };
    assert!(is_not_found(store.get_facility(&reader, plant.id).await));
    // No transfer before finalization.
    assert!(matches!(
        store
            .dsp_request_transfer(
                &consumer_member,
                &agreement_id,
                "urn:uuid:t1",
                "http://consumer/dsp",
                "HttpData-PULL"
            )
            .await,
        Err(StoreError::Invalid(_))
    ));

    let finalized = store
        .dsp_receive_negotiation_message(
            &consumer_member,
            negotiation.id,
            received(NegotiationMessage::Verification, "urn:uuid:c1"),
        )
        .await
        .expect("verified");
    assert_eq!(finalized.state, NegotiationState::Finalized);
    let grant_id = junkan_model::dsp::local_id(&agreement_id).expect("the agreement names the grant");
    let grant = store.get_grant(&owner_admin, grant_id).await.expect("the grant exists");
    assert_eq!(grant.access_request_id, Some(request_id));
    assert_eq!(grant.purpose.as_deref(), Some("planning"));
    assert_eq!(grant.expires_at, START + Duration::days(30));
    assert_eq!(
        store
            .get_access_request(&consumer_member, request_id)
            .await
            .expect("request")
            .grant_id,
        Some(grant_id)
    );
    store
        .get_facility(&reader, plant.id)
        .await
        .expect("readable under the agreement");
    // Terminating a finalized negotiation: not allowed (revoking the grant ends it).
    assert!(is_conflict(
        store
            .dsp_receive_negotiation_message(
                &consumer_member,
                negotiation.id,
                received(NegotiationMessage::Termination, "urn:uuid:c1")
            )
            .await
    ));

    // Transfers: only HttpData-PULL, only the agreement's holder.
    assert!(matches!(
        store
            .dsp_request_transfer(
                &consumer_member,
                &agreement_id,
                "urn:uuid:t1",
                "http://consumer/dsp",
                "HttpData-PUSH"
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .dsp_request_transfer(
                &stranger_member,
                &agreement_id,
                "urn:uuid:t1",
                "http://consumer/dsp",
                "HttpData-PULL"
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    let transfer = store
        .dsp_request_transfer(
            &consumer_member,
            &agreement_id,
            "urn:uuid:t1",
            "http://consumer/dsp",
            "HttpData-PULL",
        )
        .await
        .expect("requested");
    assert_eq!(transfer.state, TransferState::Requested);
    assert_eq!(
        store.dsp_transfer_reader(transfer.id, "digest").await.expect("checked"),
        None
    );
    let started = store
        .dsp_start_transfer(&owner_admin, transfer.id, "digest", START + Duration::minutes(10))
        .await
        .expect("started");
    assert_eq!(started.state, TransferState::Started);
    let (pull_actor, pull_grant) = store
        .dsp_transfer_reader(transfer.id, "digest")
        .await
        .expect("checked")
        .expect("the token works");
    assert_eq!(pull_actor.organization_id, Some(consumer));
    assert_eq!(pull_actor.purpose.as_deref(), Some("planning"));
    assert_eq!(pull_grant, grant_id);
    assert_eq!(
        store.dsp_transfer_reader(transfer.id, "wrong").await.expect("checked"),
        None
    );
    // Starting twice is a wrong state.
    assert!(is_conflict(
        store
            .dsp_start_transfer(&owner_admin, transfer.id, "other", START + Duration::minutes(10))
            .await
    ));
    // The token ends with its time...
    clock.advance(Duration::minutes(11));
    assert_eq!(
        store.dsp_transfer_reader(transfer.id, "digest").await.expect("checked"),
        None
    );
    // ...and with the grant: a new transfer works until the owner revokes.
    let second = store
        .dsp_request_transfer(
            &consumer_member,
            &agreement_id,
            "urn:uuid:t2",
            "http://consumer/dsp",
            "HttpData-PULL",
        )
        .await
        .expect("requested");
    store
        .dsp_start_transfer(&owner_admin, second.id, "digest2", clock.now() + Duration::minutes(10))
        .await
        .expect("started");
    assert!(store
        .dsp_transfer_reader(second.id, "digest2")
        .await
        .expect("checked")
        .is_some());
    store.revoke_grant(&owner_admin, grant_id).await.expect("revoked");
    assert_eq!(
        store.dsp_transfer_reader(second.id, "digest2").await.expect("checked"),
        None
    );
    assert!(matches!(
        store
            .dsp_request_transfer(
                &consumer_member,
                &agreement_id,
                "urn:uuid:t3",
                "http://consumer/dsp",
                "HttpData-PULL"
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    // The consumer completes; a completed transfer takes no further message.
    let completed = store
        .dsp_receive_transfer_message(
            &consumer_member,
            second.id,
            ReceivedTransferMessage {
                message: TransferMessage::Completion,
                peer_pid: "urn:uuid:t2".to_owned(),
                endpoint: None,
                reason: None,
            },
        )
        .await
        .expect("completed");
    assert_eq!(completed.state, TransferState::Completed);
    assert!(is_conflict(
        store
            .dsp_receive_transfer_message(
                &consumer_member,
                second.id,
                ReceivedTransferMessage {
                    message: TransferMessage::Suspension,
                    peer_pid: "urn:uuid:t2".to_owned(),
                    endpoint: None,
                    reason: None,
                },
            )
            .await
    ));

    // A public offer agrees by itself.
    let public = store
        .create_dataset_offer(&owner_admin, offer(true))
        .await
        .expect("offer");
    let automatic = store
        .dsp_request_contract(&consumer_member, public.id, "urn:uuid:c2", "http://consumer/dsp")
        .await
        .expect("requested");
    let agreed = store
        .dsp_agree_by_offer(automatic.id)
        .await
        .expect("agreed")
        .expect("by the offer");
    assert_eq!(agreed.state, NegotiationState::Agreed);
    let request = store
        .get_access_request(&owner_admin, automatic.access_request_id.expect("request"))
        .await
        .expect("request");
    assert_eq!(
        request.decided_by.as_deref(),
        Some("urn:junkan:dsp:automatic-agreement")
    );

    // A refusal terminates; the consumer's termination withdraws a pending request.
    let refused = store
        .dsp_request_contract(&consumer_member, members_only.id, "urn:uuid:c3", "http://consumer/dsp")
        .await
        .expect("requested");
    store
        .refuse_access_request(
            &owner_admin,
            refused.access_request_id.expect("request"),
            Refusal {
                reason: "not now".to_owned(),
            },
        )
        .await
        .expect("refused");
    let terminated = store.dsp_negotiation(&consumer_member, refused.id).await.expect("read");
    assert_eq!(terminated.state, NegotiationState::Terminated);
    assert_eq!(terminated.reason.as_deref(), Some("not now"));
    let withdrawn = store
        .dsp_request_contract(&consumer_member, members_only.id, "urn:uuid:c4", "http://consumer/dsp")
        .await
        .expect("requested");
    store
        .dsp_receive_negotiation_message(
            &consumer_member,
            withdrawn.id,
            ReceivedNegotiationMessage {
                reason: Some("changed plans".to_owned()),
                ..received(NegotiationMessage::Termination, "urn:uuid:c4")
            },
        )
        .await
        .expect("terminated");
    assert_eq!(
        store
            .get_access_request(&owner_admin, withdrawn.access_request_id.expect("request"))
            .await
            .expect("request")
            .state,
        RequestState::Withdrawn
    );
    let listed = store
        .dsp_list_negotiations(&owner_admin, &super::first_page())
        .await
        .expect("listed");
    assert_eq!(listed.items.len(), 4);
}

/// Consumer side: the negotiation is written before the request leaves, the provider's process
/// id is fixed by its first answer, callbacks naming another provider process find nothing, and
/// a started transfer's endpoint is kept for members of the consumer only.
pub async fn dsp_consumer_side_follows_the_provider(store: &dyn Store, _clock: &ManualClock) {
    let consumer = organization(store, "利用側", &[CycleRole::Recycler]).await;
    let other = organization(store, "他社", &[CycleRole::Recycler]).await;
    let member = member_of(consumer, &[PrincipalRole::Member]);
    let other_member = member_of(other, &[PrincipalRole::Member]);
    let negotiation = store
        .dsp_create_consumer_negotiation(
            &member,
            "http://provider/dsp",
            "urn:junkan:offer:x",
            Some("urn:uuid:d"),
            Some("jk_secret"),
            None,
        )
        .await
        .expect("created");
    assert_eq!(negotiation.state, NegotiationState::Requested);
    assert_eq!(
        store
            .dsp_peer_credential(&member, negotiation.id)
            .await
            .expect("credential"),
        "jk_secret"
    );
    assert!(is_not_found(
        store.dsp_peer_credential(&other_member, negotiation.id).await
    ));
    store
        .dsp_record_sent_negotiation_message(
            &member,
            negotiation.id,
            NegotiationMessage::Request,
            Some("urn:uuid:p1".to_owned()),
            None,
        )
        .await
        .expect("acknowledged");
    let peer = Actor::anonymous();
    assert!(is_not_found(
        store
            .dsp_receive_negotiation_message(
                &peer,
                negotiation.id,
                received(NegotiationMessage::Agreement, "urn:uuid:p2")
            )
            .await
    ));
    // The consumer does not receive its own messages.
    assert!(is_conflict(
        store
            .dsp_receive_negotiation_message(
                &peer,
                negotiation.id,
                received(NegotiationMessage::Verification, "urn:uuid:p1")
            )
            .await
    ));
    let agreement = serde_json::json!({"@id": "urn:uuid:agreement", "@type": "Agreement"});
    let agreed = store
        .dsp_receive_negotiation_message(
            &peer,
            negotiation.id,
            ReceivedNegotiationMessage {
                agreement: Some(agreement.clone()),
                ..received(NegotiationMessage::Agreement, "urn:uuid:p1")
            },
        )
        .await
        .expect("agreed");
    assert_eq!(agreed.state, NegotiationState::Agreed);
    assert_eq!(agreed.agreement_id.as_deref(), Some("urn:uuid:agreement"));
    // No transfer before finalization.
    assert!(is_conflict(
        store.dsp_create_consumer_transfer(&member, negotiation.id).await
    ));
    store
        .dsp_record_sent_negotiation_message(&member, negotiation.id, NegotiationMessage::Verification, None, None)
        .await
        .expect("verified");
    let finalized = store
        .dsp_receive_negotiation_message(
            &peer,
            negotiation.id,
            received(NegotiationMessage::Finalized, "urn:uuid:p1"),
        )
        .await
        .expect("finalized");
    assert_eq!(finalized.state, NegotiationState::Finalized);

    let transfer = store
        .dsp_create_consumer_transfer(&member, negotiation.id)
        .await
        .expect("transfer");
    assert_eq!(transfer.agreement_id, "urn:uuid:agreement");
    assert!(is_conflict(store.dsp_transfer_endpoint(&member, transfer.id).await));
    store
        .dsp_record_sent_transfer_message(
            &member,
            transfer.id,
            TransferMessage::Request,
            Some("urn:uuid:pt".to_owned()),
            None,
        )
        .await
        .expect("acknowledged");
    let started = store
        .dsp_receive_transfer_message(
            &peer,
            transfer.id,
            ReceivedTransferMessage {
                message: TransferMessage::Start,
                peer_pid: "urn:uuid:pt".to_owned(),
                endpoint: Some(("http://provider/dsp/data".to_owned(), "token".to_owned())),
                reason: None,
            },
        )
        .await
        .expect("started");
    assert_eq!(started.state, TransferState::Started);
    assert_eq!(started.endpoint.as_deref(), Some("http://provider/dsp/data"));
    assert_eq!(
        store
            .dsp_transfer_endpoint(&member, transfer.id)
            .await
            .expect("endpoint"),
        ("http://provider/dsp/data".to_owned(), "token".to_owned())
    );
    assert!(is_not_found(
        store.dsp_transfer_endpoint(&other_member, transfer.id).await
    ));
    let completed = store
        .dsp_record_sent_transfer_message(&member, transfer.id, TransferMessage::Completion, None, None)
        .await
        .expect("completed");
    assert_eq!(completed.state, TransferState::Completed);
    assert!(is_conflict(store.dsp_transfer_endpoint(&member, transfer.id).await));
    assert_eq!(process_id(transfer.id), format!("urn:uuid:{}", transfer.id));
    let transfers = store
        .dsp_list_transfers(&member, &super::first_page())
        .await
        .expect("listed");
    assert_eq!(transfers.items.len(), 1);
}
