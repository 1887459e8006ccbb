//! Contract case of field scopes (項目の範囲, issue 10): the fields a request asks for and a grant
//! covers are stored with them, a narrowing keeps fewer and never more, and every read under the
//! grant returns only those fields, until the grant is revoked.

use time::Duration;

use junkan_model::access::{AccessLevel, GrantLevel, Grantee, NewGrant, RecordClass, RecordKind};
use junkan_model::event::{CaptureErrorBehaviour, IdentifierRole};
use junkan_model::facility::Visibility;
use junkan_model::ids::OrganizationId;
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
    let Parties {
        owner,
        reader,
        owner_admin,
        reader_member,
        passport,
    } = parties(store, "", "FIELDS").await;

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
            full_grant(reader, RecordKind::Event, None, Some(vec!["bizStep".to_owned()])),
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
            "eventTime": "2026-04-01T10:00:00Z", "eventTimeZoneOffset": "+09:00", "bizStep": "shipping",
            "urn:junkan:withheld": ["/action", "/epcList", "/readPoint"]})
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
            full_grant(reader, RecordKind::Footprint, None, Some(vec!["pcf".to_owned()])),
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

/// An actor pinned to one grant (a DSP transfer, a federation pull naming its grant) reads under
/// that grant only: its fields and its audit entry, though the organization holds a wider grant;
/// pinned to a grant that does not cover the record, it reads nothing. An event query's filter
/// on a member the reader's grant withholds does not match the event, while a filter on a
/// member it shows does.
pub async fn pinned_reads_and_filters_keep_to_the_grant(store: &dyn Store, _clock: &ManualClock) {
    use junkan_model::audit::{AuditAction, AuditFilter};
    use junkan_model::event::{EventQuery, IdentifierFilter};
    use junkan_model::page::PageRequest;

    let Parties {
        reader,
        owner_admin,
        reader_member,
        passport,
        ..
    } = parties(store, "B", "PINNED").await;
    let grant_of = |record_kind: RecordKind, record_ids: Option<Vec<String>>, fields: Option<Vec<String>>| {
        full_grant(reader, record_kind, record_ids, fields)
    };
    let wide = store
        .create_grant(
            &owner_admin,
            grant_of(RecordKind::Passport, Some(vec![passport.id.to_string()]), None),
        )
        .await
        .expect("wide grant");
    let narrow = store
        .create_grant(
            &owner_admin,
            grant_of(
                RecordKind::Passport,
                Some(vec![passport.id.to_string()]),
                Some(vec!["polymer".to_owned()]),
            ),
        )
        .await
        .expect("narrow grant");
    // Unpinned: the strongest grant (every field).
    let read = store
        .get_passport(&reader_member, passport.id, PassportRead::default())
        .await
        .expect("readable");
    assert_eq!(read.data, passport.data);
    // Pinned to the narrow grant: its field only, audited under it.
    let pinned = Actor {
        grant: Some(narrow.id),
        ..reader_member.clone()
    };
    let read = store
        .get_passport(&pinned, passport.id, PassportRead::default())
        .await
        .expect("readable under the pinned grant");
    assert_eq!(
        read.data,
        serde_json::json!({"polymer": passport.data["polymer"].clone()})
    );
    let audited = |grant| AuditFilter {
        record_id: Some(passport.id.to_string()),
        action: Some(AuditAction::Read),
        grant_id: Some(grant),
        ..AuditFilter::default()
    };
    let under_narrow = store
        .list_audit(&owner_admin, &audited(narrow.id), &PageRequest::first(10))
        .await
        .expect("audit");
    let under_wide = store
        .list_audit(&owner_admin, &audited(wide.id), &PageRequest::first(10))
        .await
        .expect("audit");
    assert_eq!((under_narrow.items.len(), under_wide.items.len()), (1, 1));
    // Pinned to a grant that covers another kind: nothing of the passport is readable.
    let events_only = store
        .create_grant(
            &owner_admin,
            grant_of(RecordKind::Event, None, Some(vec!["bizStep".to_owned()])),
        )
        .await
        .expect("event grant");
    let elsewhere = Actor {
        grant: Some(events_only.id),
        ..reader_member.clone()
    };
    assert!(matches!(
        store
            .get_passport(&elsewhere, passport.id, PassportRead::default())
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Filters: the event grant shows bizStep only.
    let mut shipped = event(
        "urn:uuid:pinned-1",
        "ObjectEvent",
        &[(IdentifierRole::Epc, "https://id.gs1.org/01/04912345000019/21/77")],
        "shipping",
        1,
    );
    shipped.read_point = Some("https://id.gs1.org/414/4512345000028".to_owned());
    shipped.body = serde_json::json!({"type": "ObjectEvent", "eventID": "urn:uuid:pinned-1",
        "eventTime": "2026-04-01T10:00:00Z", "eventTimeZoneOffset": "+09:00", "action": "ADD",
        "bizStep": "shipping", "readPoint": {"id": "https://id.gs1.org/414/4512345000028"},
        "epcList": ["https://id.gs1.org/01/04912345000019/21/77"]});
    store
        .capture_events(
            &owner_admin,
            capture_of(vec![shipped.clone()], CaptureErrorBehaviour::Rollback),
        )
        .await
        .expect("capture");
    let reader_ref = &reader_member;
    let found = |query: EventQuery| async move {
        store
            .query_events(reader_ref, &query, &PageRequest::first(10))
            .await
            .expect("query")
            .items
            .into_iter()
            .map(|stored| stored.event.event_id)
            .collect::<Vec<_>>()
    };
    let shown = found(EventQuery {
        biz_steps: shipped.biz_step.clone().into_iter().collect(),
        ..EventQuery::default()
    })
    .await;
    assert_eq!(shown, ["urn:uuid:pinned-1"]);
    let by_read_point = found(EventQuery {
        read_points: vec!["https://id.gs1.org/414/4512345000028".to_owned()],
        ..EventQuery::default()
    })
    .await;
    assert!(by_read_point.is_empty(), "readPoint is withheld: {by_read_point:?}");
    let by_action = found(EventQuery {
        actions: vec!["ADD".to_owned()],
        ..EventQuery::default()
    })
    .await;
    assert!(by_action.is_empty(), "action is withheld: {by_action:?}");
    let by_epc = found(EventQuery {
        identifiers: vec![IdentifierFilter {
            roles: vec![IdentifierRole::Epc],
            values: vec!["https://id.gs1.org/01/04912345000019/21/77".to_owned()],
            prefixes: Vec::new(),
        }],
        ..EventQuery::default()
    })
    .await;
    assert!(by_epc.is_empty(), "epcList is withheld: {by_epc:?}");
    // The owner's own query matches on every member.
    let owned = store
        .query_events(
            &owner_admin,
            &EventQuery {
                read_points: vec!["https://id.gs1.org/414/4512345000028".to_owned()],
                ..EventQuery::default()
            },
            &PageRequest::first(10),
        )
        .await
        .expect("query");
    assert_eq!(owned.items.len(), 1);
}

/// Several grants of one reader merge (fields union, the audit entry of each grant used), a
/// pinned read keeps to its one grant; a member kept in part is listed by its hidden pointers
/// and filters on a hidden sub-member match nothing; a lineage look-up does not connect through
/// an identifier only a hidden member names.
pub async fn grants_merge_and_hidden_members_connect_nothing(store: &dyn Store, _clock: &ManualClock) {
    use junkan_model::audit::{AuditAction, AuditFilter};
    use junkan_model::event::EventQuery;
    use junkan_model::page::PageRequest;

    let Parties {
        reader,
        owner_admin,
        reader_member,
        passport,
        ..
    } = parties(store, "C", "MERGED").await;
    let grant_of = |record_kind: RecordKind, fields: &[&str]| {
        full_grant(
            reader,
            record_kind,
            None,
            Some(fields.iter().map(|field| (*field).to_owned()).collect()),
        )
    };
    let first = store
        .create_grant(
            &owner_admin,
            grant_of(RecordKind::Passport, &["lotNumber", "/polymer/code"]),
        )
        .await
        .expect("grant of two fields");
    let second = store
        .create_grant(&owner_admin, grant_of(RecordKind::Passport, &["grade"]))
        .await
        .expect("grant of a third");
    // Unpinned: the union of both grants' fields; the member kept in part lists what it hides.
    let read = store
        .get_passport(&reader_member, passport.id, PassportRead::default())
        .await
        .expect("readable");
    assert_eq!(
        read.data,
        serde_json::json!({"lotNumber": passport.data["lotNumber"].clone(),
            "polymer": {"code": passport.data["polymer"]["code"].clone()},
            "grade": passport.data["grade"].clone()})
    );
    assert!(
        read.withheld.iter().any(|pointer| pointer == "/polymer/name"),
        "{:?}",
        read.withheld
    );
    assert!(
        read.withheld.iter().any(|pointer| pointer == "/contaminants"),
        "{:?}",
        read.withheld
    );
    assert!(
        !read.withheld.iter().any(|pointer| pointer == "/polymer"),
        "{:?}",
        read.withheld
    );
    // The read is audited under each grant it used.
    let audited = |grant| AuditFilter {
        record_id: Some(passport.id.to_string()),
        action: Some(AuditAction::Read),
        grant_id: Some(grant),
        ..AuditFilter::default()
    };
    for grant in [first.id, second.id] {
        let entries = store
            .list_audit(&owner_admin, &audited(grant), &PageRequest::first(10))
            .await
            .expect("audit");
        assert_eq!(entries.items.len(), 1, "one entry under {grant}");
    }
    // Pinned to one grant: only its fields, only its entry.
    let pinned = Actor {
        grant: Some(second.id),
        ..reader_member.clone()
    };
    let read = store
        .get_passport(&pinned, passport.id, PassportRead::default())
        .await
        .expect("readable under the pinned grant");
    assert_eq!(read.data, serde_json::json!({"grade": passport.data["grade"].clone()}));
    let entries = store
        .list_audit(&owner_admin, &audited(first.id), &PageRequest::first(10))
        .await
        .expect("audit");
    assert_eq!(
        entries.items.len(),
        1,
        "the pinned read is not audited under the other grant"
    );

    // Events: a transformation whose inputs only `inputEPCList` names, and an event whose
    // readPoint has an extension member. The reader's grant shows the outputs, the bizStep and
    // the readPoint's extension, not its id.
    const INPUT: &str = "https://id.gs1.org/01/04912345000019/21/IN-1";
    const OUTPUT: &str = "https://id.gs1.org/01/04912345000019/21/OUT-1";
    let mut made = event(
        "urn:uuid:merged-1",
        "TransformationEvent",
        &[(IdentifierRole::Input, INPUT), (IdentifierRole::Output, OUTPUT)],
        "commissioning",
        1,
    );
    made.action = None;
    made.body = serde_json::json!({"type": "TransformationEvent", "eventID": "urn:uuid:merged-1",
        "eventTime": "2026-04-01T10:00:00Z", "eventTimeZoneOffset": "+09:00",
        "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
        "readPoint": {"id": "https://id.gs1.org/414/4512345000011", "example:line": "L2"},
        "inputEPCList": [INPUT], "outputEPCList": [OUTPUT]});
    store
        .capture_events(&owner_admin, capture_of(vec![made], CaptureErrorBehaviour::Rollback))
        .await
        .expect("capture");
    store
        .create_grant(
            &owner_admin,
            grant_of(
                RecordKind::Event,
                &["bizStep", "outputEPCList", "/readPoint/example:line"],
            ),
        )
        .await
        .expect("event grant");
    // Looked up by the input, which only the hidden inputEPCList names: the event connects nothing.
    let by_input = store
        .lineage_events(&reader_member, &[INPUT.to_owned()], &[])
        .await
        .expect("lineage");
    let found = by_input
        .iter()
        .find(|event| event.event_id == "urn:uuid:merged-1")
        .expect("the event is touched");
    assert!(found.readable);
    assert!(
        found.identifiers.iter().all(|identifier| identifier.value != INPUT),
        "the hidden input is no link: {found:?}"
    );
    // Looked up by the output, it connects through the output only.
    let by_output = store
        .lineage_events(&reader_member, &[OUTPUT.to_owned()], &[])
        .await
        .expect("lineage");
    let found = by_output
        .iter()
        .find(|event| event.event_id == "urn:uuid:merged-1")
        .expect("the event");
    assert_eq!(
        found
            .identifiers
            .iter()
            .map(|identifier| identifier.value.as_str())
            .collect::<Vec<_>>(),
        [OUTPUT]
    );
    // The owner's lineage keeps both.
    let owned = store
        .lineage_events(&owner_admin, &[INPUT.to_owned()], &[])
        .await
        .expect("lineage");
    assert_eq!(
        owned
            .iter()
            .find(|event| event.event_id == "urn:uuid:merged-1")
            .map(|event| event.identifiers.len()),
        Some(2)
    );
    // The readPoint is kept in part: its id is hidden, so a readPoint filter matches nothing, and
    // the event names the hidden pointer.
    let by_read_point = store
        .query_events(
            &reader_member,
            &EventQuery {
                read_points: vec!["https://id.gs1.org/414/4512345000011".to_owned()],
                ..EventQuery::default()
            },
            &PageRequest::first(10),
        )
        .await
        .expect("query");
    assert!(by_read_point.items.is_empty(), "readPoint/id is hidden");
    let read = store
        .get_event(&reader_member, "urn:uuid:merged-1")
        .await
        .expect("readable event");
    assert_eq!(read.event.body["readPoint"], serde_json::json!({"example:line": "L2"}));
    let withheld = read.event.body["urn:junkan:withheld"].clone();
    assert!(
        withheld
            .as_array()
            .is_some_and(|pointers| pointers.contains(&serde_json::json!("/readPoint/id"))
                && pointers.contains(&serde_json::json!("/inputEPCList"))),
        "{withheld}"
    );
    assert_eq!(read.event.read_point, None);
    // Found by the location its grant hides, the event shows only that it exists.
    let here = ["https://id.gs1.org/414/4512345000011".to_owned()];
    let here = &here;
    let at = |actor: Actor| async move {
        store
            .events_at_locations(&actor, here, START, START + Duration::hours(2))
            .await
            .expect("events at the location")
            .into_iter()
            .find(|event| event.event_id == "urn:uuid:merged-1")
            .expect("the event")
    };
    let seen = at(reader_member.clone()).await;
    assert!(
        !seen.readable && seen.identifiers.is_empty() && seen.biz_step.is_none(),
        "{seen:?}"
    );
    assert!(at(owner_admin.clone()).await.readable);
    // A second grant of the readPoint's id: the grants merge, the readPoint is shown whole and a
    // readPoint filter matches.
    store
        .create_grant(&owner_admin, grant_of(RecordKind::Event, &["/readPoint/id"]))
        .await
        .expect("grant of the readPoint id");
    let by_read_point = store
        .query_events(
            &reader_member,
            &EventQuery {
                read_points: vec!["https://id.gs1.org/414/4512345000011".to_owned()],
                ..EventQuery::default()
            },
            &PageRequest::first(10),
        )
        .await
        .expect("query");
    assert_eq!(by_read_point.items.len(), 1, "readPoint/id is granted now");
    let read = store
        .get_event(&reader_member, "urn:uuid:merged-1")
        .await
        .expect("readable event");
    assert_eq!(
        read.event.body["readPoint"],
        serde_json::json!({"id": "https://id.gs1.org/414/4512345000011", "example:line": "L2"})
    );
    assert_eq!(
        read.event.read_point.as_deref(),
        Some("https://id.gs1.org/414/4512345000011")
    );
}

/// The two organizations of a case, their members, and a restricted plastics passport of the owner.
struct Parties {
    owner: OrganizationId,
    reader: OrganizationId,
    owner_admin: Actor,
    reader_member: Actor,
    passport: junkan_model::passport::Passport,
}

/// The parties of a case: the owner 樹脂`suffix` and the reader 成形`suffix`, and the owner's
/// passport of serial `serial`.
async fn parties(store: &dyn Store, suffix: &str, serial: &str) -> Parties {
    let owner = organization(store, &format!("樹脂{suffix}"), &[CycleRole::Manufacturer]).await;
    let reader = organization(store, &format!("成形{suffix}"), &[CycleRole::Manufacturer]).await;
    let owner_admin = member_of(owner, &[Role::OrgAdmin, Role::Member]);
    let reader_member = member_of(reader, &[Role::Member]);
    let passport = store
        .create_passport(
            &owner_admin,
            junkan_model::passport::NewPassport {
                visibility: Visibility::Restricted,
                ..plastics_passport(&format!("https://id.gs1.org/01/04912345000019/10/{serial}"))
            },
        )
        .await
        .expect("passport");
    Parties {
        owner,
        reader,
        owner_admin,
        reader_member,
        passport,
    }
}

/// A grant of `record_kind` at the full level to `reader` for 30 days, of `record_ids` (all when
/// `None`) and `fields` (all when `None`).
fn full_grant(
    reader: OrganizationId,
    record_kind: RecordKind,
    record_ids: Option<Vec<String>>,
    fields: Option<Vec<String>>,
) -> NewGrant {
    NewGrant {
        grantee: Grantee::Organization {
            organization_id: reader,
        },
        record_kind,
        record_ids,
        level: GrantLevel::Full,
        purpose: None,
        expires_at: START + Duration::days(30),
        record_class: None,
        max_reads: None,
        enforce_purpose: false,
        fields,
    }
}
