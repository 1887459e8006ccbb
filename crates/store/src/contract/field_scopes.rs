//! Contract case of field scopes (項目の範囲, issue 10): the fields a request asks for and a grant
//! covers are stored with them, a narrowing keeps fewer and never more, and every read under the
//! grant returns only those fields, until the grant is revoked.

use time::Duration;

use junkan_model::access::{AccessLevel, GrantLevel, Grantee, NewGrant, RecordClass, RecordKind};
use junkan_model::event::{CaptureErrorBehaviour, IdentifierRole};
use junkan_model::facility::Visibility;
use junkan_model::organization::CycleRole;
use junkan_model::passport::PassportRead;
use junkan_model::principal::{Actor, Role};
use junkan_model::sharing::{Narrowing, NewAccessRequest, RequestState};

use super::{capture_of, event, member_of, organization, plastics_passport, START};
use crate::{ManualClock, Store, StoreError};

/// A passport request for three fields, narrowed to fewer (a widening refused, nothing written),
/// read back with only the granted fields; an event grant limited to `bizStep`; fields on a kind
/// shared whole refused; revocation ends both.
pub async fn field_scopes_are_stored_narrowed_and_projected(store: &dyn Store, _clock: &ManualClock) {
    let owner = organization(store, "樹脂", &[CycleRole::Manufacturer]).await;
    let reader = organization(store, "成形", &[CycleRole::Manufacturer]).await;
    let owner_admin = member_of(owner, &[Role::OrgAdmin, Role::Member]);
    let reader_member = member_of(reader, &[Role::Member]);
    let passport = store
        .create_passport(
            &owner_admin,
            junkan_model::passport::NewPassport {
                visibility: Visibility::Restricted,
                ..plastics_passport("https://id.gs1.org/01/04912345000019/10/FIELDS")
            },
        )
        .await
        .expect("passport");

    let ask = NewAccessRequest {
        owner_organization_id: owner,
        offer_id: None,
        record_kind: RecordKind::Passport,
        record_ids: None,
        record_class: Some(RecordClass::Profile {
            profile: "plastics".to_owned(),
        }),
        level: GrantLevel::Full,
        purpose: "compounding".to_owned(),
        expires_at: START + Duration::days(30),
        max_reads: None,
        message: None,
        fields: Some(vec![
            "contaminants".to_owned(),
            "/polymer".to_owned(),
            "inputSuppliers".to_owned(),
        ]),
    };
    // Fields of a kind shared whole, and a malformed pointer, are refused at their members.
    let refused = store
        .create_access_request(
            &reader_member,
            NewAccessRequest {
                record_kind: RecordKind::Footprint,
                record_class: None,
                ..ask.clone()
            },
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(ref violations)) if violations.iter().any(|violation| violation.path == "/fields"))
    );
    let refused = store
        .create_access_request(
            &reader_member,
            NewAccessRequest {
                fields: Some(vec!["/a~9".to_owned()]),
                ..ask.clone()
            },
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref violations)) if violations[0].path == "/fields/0"));

    let request = store
        .create_access_request(&reader_member, ask.clone())
        .await
        .expect("request");
    // Stored in the pointer form, read back as stored.
    let stored = store
        .get_access_request(&owner_admin, request.id)
        .await
        .expect("request");
    assert_eq!(
        stored.requested.fields,
        Some(vec![
            "/contaminants".to_owned(),
            "/inputSuppliers".to_owned(),
            "/polymer".to_owned()
        ])
    );
    // A narrowing that adds a field is refused at that field, and writes nothing.
    let widening = store
        .narrow_access_request(
            &owner_admin,
            request.id,
            Narrowing {
                fields: Some(vec!["/contaminants".to_owned(), "/price".to_owned()]),
                ..Narrowing::default()
            },
        )
        .await;
    assert!(
        matches!(widening, Err(StoreError::Invalid(ref violations)) if violations.len() == 1 && violations[0].path == "/fields/1")
    );
    let unchanged = store
        .get_access_request(&owner_admin, request.id)
        .await
        .expect("request");
    assert_eq!((unchanged.state, unchanged.grant_id), (RequestState::Pending, None));
    // Narrowed to a member of one field and another field whole.
    let narrowed = store
        .narrow_access_request(
            &owner_admin,
            request.id,
            Narrowing {
                fields: Some(vec!["/contaminants/ash".to_owned(), "polymer".to_owned()]),
                reason: Some("灰分のみ / ash only".to_owned()),
                ..Narrowing::default()
            },
        )
        .await
        .expect("narrowed");
    assert_eq!(narrowed.state, RequestState::Narrowed);
    let granted_fields = vec!["/contaminants/ash".to_owned(), "/polymer".to_owned()];
    assert_eq!(
        narrowed.granted.as_ref().and_then(|scope| scope.fields.clone()),
        Some(granted_fields.clone())
    );
    let grant_id = narrowed.grant_id.expect("grant");
    let grant = store.get_grant(&owner_admin, grant_id).await.expect("grant");
    assert_eq!(grant.fields, Some(granted_fields.clone()));

    // The reader gets exactly those fields; the rest is listed as withheld.
    let compounding = Actor {
        purpose: Some("compounding".to_owned()),
        ..reader_member.clone()
    };
    let read = store
        .get_passport(&compounding, passport.id, PassportRead::default())
        .await
        .expect("readable under the grant");
    assert_eq!(read.access_level, AccessLevel::Owner);
    assert_eq!(
        read.data,
        serde_json::json!({"contaminants": {"ash": 1.8}, "polymer": passport.data["polymer"].clone()})
    );
    assert!(read.withheld.contains(&"/inputSuppliers".to_owned()));
    assert!(read.withheld.contains(&"/price".to_owned()));
    // The owner still reads everything.
    let own = store
        .get_passport(&owner_admin, passport.id, PassportRead::default())
        .await
        .expect("own");
    assert_eq!(own.data, passport.data);

    // An event grant limited to bizStep: the event keeps its identity and that member only.
    let mut shipped = event(
        "urn:uuid:fields-1",
        "ObjectEvent",
        &[(IdentifierRole::Epc, "https://id.gs1.org/01/04912345000019/21/1")],
        "shipping",
        1,
    );
    shipped.body = serde_json::json!({"type": "ObjectEvent", "eventID": "urn:uuid:fields-1",
        "eventTime": "2026-04-01T10:00:00Z", "eventTimeZoneOffset": "+09:00", "action": "ADD",
        "bizStep": "shipping", "readPoint": {"id": "https://id.gs1.org/414/4512345000011"},
        "epcList": ["https://id.gs1.org/01/04912345000019/21/1"]});
    store
        .capture_events(&owner_admin, capture_of(vec![shipped], CaptureErrorBehaviour::Rollback))
        .await
        .expect("capture");
    let event_grant = store
        .create_grant(
            &owner_admin,
            NewGrant {
                grantee: Grantee::Organization {
                    organization_id: reader,
                },
                record_kind: RecordKind::Event,
                record_ids: None,
                level: GrantLevel::Full,
                purpose: None,
                expires_at: START + Duration::days(30),
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                fields: Some(vec!["bizStep".to_owned()]),
            },
        )
        .await
        .expect("event grant");
    assert_eq!(event_grant.fields, Some(vec!["/bizStep".to_owned()]));
    let read = store
        .get_event(&reader_member, "urn:uuid:fields-1")
        .await
        .expect("readable under the grant");
    assert_eq!(
        read.event.body,
        serde_json::json!({"type": "ObjectEvent", "eventID": "urn:uuid:fields-1",
            "eventTime": "2026-04-01T10:00:00Z", "eventTimeZoneOffset": "+09:00", "bizStep": "shipping"})
    );
    assert!(read.event.biz_step.is_some());
    assert_eq!(
        (read.event.read_point.as_deref(), read.event.action.as_deref()),
        (None, None)
    );
    assert!(read.event.identifiers.is_empty());

    // Fields on a kind shared whole are refused for grants too.
    let refused = store
        .create_grant(
            &owner_admin,
            NewGrant {
                record_kind: RecordKind::Footprint,
                fields: Some(vec!["pcf".to_owned()]),
                ..NewGrant {
                    grantee: Grantee::Organization {
                        organization_id: reader,
                    },
                    record_kind: RecordKind::Event,
                    record_ids: None,
                    level: GrantLevel::Full,
                    purpose: None,
                    expires_at: START + Duration::days(30),
                    record_class: None,
                    max_reads: None,
                    enforce_purpose: false,
                    fields: None,
                }
            },
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref violations)) if violations[0].path == "/fields"));

    // Revocation ends both at once.
    store.revoke_grant(&owner_admin, grant_id).await.expect("revoked");
    store.revoke_grant(&owner_admin, event_grant.id).await.expect("revoked");
    assert!(matches!(
        store
            .get_passport(&compounding, passport.id, PassportRead::default())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_event(&reader_member, "urn:uuid:fields-1").await,
        Err(StoreError::NotFound { .. })
    ));
}
