//! The contract every [`Store`] backend must pass. Each case is an async function over a fresh,
//! migrated store and the manual clock it was built with; [`crate::store_contract_tests!`] turns
//! them into `#[tokio::test]`s for one backend.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use junkan_model::access::{GrantLevel, Grantee, NewCertification, NewGrant, RecordKind};
use junkan_model::audit::{AuditAction, AuditEntry, AuditFilter};
use junkan_model::facility::{FacilityFilter, FacilityPatch, FacilityType, NewFacility, Visibility};
use junkan_model::ids::{FacilityId, OrganizationId};
use junkan_model::industry::Industry;
use junkan_model::organization::{
    CompanySize, CycleRole, NewOrganization, OrganizationFilter, OrganizationPatch, OrganizationType,
};
use junkan_model::page::PageRequest;
use junkan_model::principal::{Actor, NewCredential, PrincipalKind, Role};

use junkan_model::event::{
    CaptureErrorBehaviour, CaptureJob, CapturedEvent, EventIdentifier, EventQuery, IdentifierFilter, IdentifierRole,
};

use crate::{
    Clock, GrantDirection, ManualClock, NewCapture, NewUserRecord, SessionRecord, SigningKeyRecord, Store, StoreError,
};

mod access;
mod certificates;
mod dsp;
mod federation;
pub use federation::federation_peers_remote_organizations_and_received_records;
mod field_scopes;
pub use field_scopes::{
    field_scopes_are_stored_narrowed_and_projected, grants_merge_and_hidden_members_connect_nothing,
    pinned_reads_and_filters_keep_to_the_grant,
};
mod indicators;
mod ledgers;
mod log;
mod organization;
mod partners;
pub use certificates::conformity_certificates_issue_read_and_revoke;
mod trust;
pub use access::{access_requests_purpose_and_concurrent_read_limits, standing_rules_combine_role_and_certification};
pub use dsp::{
    dsp_consumer_side_follows_the_provider, dsp_negotiations_decide_through_requests_and_transfers_stop_with_the_grant,
};
pub use indicators::{
    indicator_values_and_targets_versions_and_read_rule, material_flows_versions_imports_and_read_rule,
};
pub use ledgers::{
    concurrent_claims_cannot_overdraw, ledger_credits_carry_over_between_periods,
    ledger_inputs_from_events_and_passports, ledger_rolling_windows_average_consecutive_periods,
    ledgers_account_per_material, ledgers_are_never_overdrawn_and_count_lots_once,
};
pub use log::transparency_log_commits_every_write;
pub use organization::{
    facilities_class_grants_cover_events_at_the_owners_facilities, organization_flow_reads_follow_the_read_rule,
};
pub use partners::partner_memberships_targets_and_follow_ups;
pub use trust::{issued_credentials_and_revocation, trust_keys_rotate_and_retire};

/// Where every contract case starts its clock.
pub const START: OffsetDateTime = datetime!(2026-04-01 09:00 UTC);

/// Generates one `#[tokio::test]` per contract case for a backend. `$factory` is an async
/// function `fn(Arc<ManualClock>) -> Option<impl Store>` returning a fresh, migrated store, or
/// `None` when the backend is not available here (the test then says so and passes; CI makes
/// the PostgreSQL factory panic instead, so nothing is skipped there).
#[macro_export]
macro_rules! store_contract_tests {
    ($factory:path) => {
        $crate::store_contract_tests!(@cases $factory;
            organizations_round_trip, rejected_writes_change_nothing, facilities_are_isolated_between_organizations,
            grants_open_records_until_they_expire_or_are_revoked, grants_to_roles_and_certifications,
            principals_and_role_assignment, audit_log_visibility, sessions_and_signing_keys, industries_are_data,
            events_are_captured_once_queried_and_isolated, a_conflicting_event_id_rolls_back_or_proceeds,
            concurrent_captures_keep_their_own_outcomes, lineage_events_carry_structure_and_readability, named_queries_subscriptions_and_resource_values,
            passports_versions_views_and_grants, passport_profiles_and_imports,
            footprints_publish_supersede_and_read_rule, footprint_filters_match_the_reference, pact_partners_and_outbox,
            ouranos_parts_structures_and_trades, ouranos_cfp_disclosure_and_rollup,
            material_flows_versions_imports_and_read_rule, indicator_values_and_targets_versions_and_read_rule,
            ledgers_are_never_overdrawn_and_count_lots_once, concurrent_claims_cannot_overdraw,
            ledger_inputs_from_events_and_passports, ledgers_account_per_material, ledger_credits_carry_over_between_periods,
            ledger_rolling_windows_average_consecutive_periods,
            organization_flow_reads_follow_the_read_rule, facilities_class_grants_cover_events_at_the_owners_facilities,
            ouranos_stored_tree_rolls_up_as_in_memory, ouranos_rollup_takes_the_trade_answered_last,
            audit_batched_reads_list_each_record, ouranos_failed_rollup_audits_nothing,
            partner_memberships_targets_and_follow_ups,
            transparency_log_commits_every_write,
            conformity_certificates_issue_read_and_revoke,
            trust_keys_rotate_and_retire, issued_credentials_and_revocation,
            access_requests_purpose_and_concurrent_read_limits, standing_rules_combine_role_and_certification,
            dsp_negotiations_decide_through_requests_and_transfers_stop_with_the_grant,
            dsp_consumer_side_follows_the_provider,
            federation_peers_remote_organizations_and_received_records,
            ouranos_rollup_continues_with_a_peers_answer,
            field_scopes_are_stored_narrowed_and_projected,
            pinned_reads_and_filters_keep_to_the_grant,
            grants_merge_and_hidden_members_connect_nothing);
    };
    (@cases $factory:path; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let clock = $crate::ManualClock::new($crate::contract::START);
                let Some(store) = $factory(clock.clone()).await else {
                    eprintln!("SKIPPED {}: backend not configured", stringify!($case));
                    return;
                };
                $crate::contract::$case(&store, &clock).await;
                // Whatever the case wrote, the store still matches its tamper-evident log.
                $crate::contract::assert_log_intact(&store).await;
            }
        )*
    };
}

/// Recomputes the tamper-evident log from `store` and fails on any divergence: every contract
/// case ends with it, so every write path the suite exercises is shown to log what it writes.
pub async fn assert_log_intact(store: &dyn Store) {
    let report = store.verify_log(&Actor::system()).await.expect("the log verifies");
    assert!(
        report.is_intact(),
        "the store diverges from its log: {:#?}",
        report.divergences
    );
}

fn member_of(organization: OrganizationId, roles: &[Role]) -> Actor {
    Actor {
        kind: PrincipalKind::User,
        principal_id: format!("user-of-{organization}"),
        organization_id: Some(organization),
        roles: roles.to_vec(),
        purpose: Some("contract test".to_owned()),
        request_id: None,
        grant: None,
    }
}

fn company(name: &str, corporate_number: Option<&str>, roles: &[CycleRole]) -> NewOrganization {
    NewOrganization {
        name_ja: format!("{name}株式会社"),
        name_en: format!("{name} Co., Ltd."),
        organization_type: OrganizationType::Company,
        company_size: Some(CompanySize::Sme),
        corporate_number: corporate_number.map(str::to_owned),
        lei: None,
        gs1_company_prefix: None,
        gln: None,
        local_government_code: None,
        prefecture_code: Some("13".to_owned()),
        industries: vec!["batteries".to_owned()],
        roles: roles.to_vec(),
        website: None,
    }
}

fn facility(name: &str, visibility: Visibility) -> NewFacility {
    NewFacility {
        name_ja: format!("{name}工場"),
        name_en: format!("{name} plant"),
        facility_type: FacilityType::RecyclingPlant,
        gln: None,
        ouranos_plant_id: None,
        prefecture_code: None,
        local_government_code: Some("131016".to_owned()),
        address: Some("東京都千代田区1-1".to_owned()),
        visibility,
    }
}

async fn organization(store: &dyn Store, name: &str, roles: &[CycleRole]) -> OrganizationId {
    store
        .create_organization(&Actor::system(), company(name, None, roles))
        .await
        .expect("valid organization")
        .id
}

fn first_page() -> PageRequest {
    PageRequest::first(100)
}

/// Every item of the audit log `actor` may read under `filter`, walked in pages of three so that
/// pages also end inside an entry that names several records.
async fn all_audit_items(store: &dyn Store, actor: &Actor, filter: &AuditFilter) -> Vec<AuditEntry> {
    let mut items = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let entries = store.list_audit(actor, filter, &page).await.expect("audit");
        assert!(entries.items.len() <= 3);
        items.extend(entries.items);
        match entries.next_after {
            Some(after) => page.after = Some(after),
            None => return items,
        }
    }
}

/// Organizations: create, read, list with filters and pages, update, conflicts.
pub async fn organizations_round_trip(store: &dyn Store, _clock: &ManualClock) {
    let system = Actor::system();
    let created = store
        .create_organization(&system, company("循環", Some("7000012050002"), &[CycleRole::Recycler]))
        .await
        .expect("valid organization");
    assert_eq!(created.prefecture_code.as_deref(), Some("13"));
    assert_eq!(store.get_organization(created.id).await.expect("stored"), created);

    for index in 0..5 {
        organization(store, &format!("会社{index}"), &[CycleRole::Manufacturer]).await;
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let result = store
            .list_organizations(&OrganizationFilter::default(), &page)
            .await
            .expect("list");
        assert!(result.items.len() <= 2);
        seen.extend(result.items.iter().map(|organization| organization.id));
        match result.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "pagination visits every organization once");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 6);

    let recyclers = store
        .list_organizations(
            &OrganizationFilter {
                role: Some(CycleRole::Recycler),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("list");
    assert_eq!(
        recyclers
            .items
            .iter()
            .map(|organization| organization.id)
            .collect::<Vec<_>>(),
        vec![created.id]
    );
    let by_name = store
        .list_organizations(
            &OrganizationFilter {
                name_contains: Some("循環".to_owned()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("list");
    assert_eq!(by_name.items.len(), 1);
    let by_industry = store
        .list_organizations(
            &OrganizationFilter {
                industry: Some("batteries".to_owned()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("list");
    assert_eq!(by_industry.items.len(), 6);

    let duplicate = store
        .create_organization(&system, company("重複", Some("7000012050002"), &[]))
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict { ref path, .. }) if path == "/corporate_number"),
        "{duplicate:?}"
    );

    let admin = member_of(created.id, &[Role::OrgAdmin]);
    let patch = OrganizationPatch {
        name_en: Some("Junkan Recycling".to_owned()),
        roles: Some(vec![CycleRole::Recycler, CycleRole::Collector]),
        ..Default::default()
    };
    let updated = store
        .update_organization(&admin, created.id, &patch)
        .await
        .expect("update");
    assert_eq!(updated.name_en, "Junkan Recycling");
    assert_eq!(
        store.get_organization(created.id).await.expect("stored").roles,
        vec![CycleRole::Collector, CycleRole::Recycler]
    );

    let stranger = member_of(OrganizationId::derived("stranger"), &[Role::OrgAdmin]);
    assert!(matches!(
        store.update_organization(&stranger, created.id, &patch).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store.create_organization(&admin, company("x", None, &[])).await,
        Err(StoreError::Forbidden { .. })
    ));
}

/// A rejected write leaves no trace.
pub async fn rejected_writes_change_nothing(store: &dyn Store, _clock: &ManualClock) {
    let system = Actor::system();
    let mut bad = company("不正", Some("7000012050003"), &[]);
    bad.industries = vec!["batteries".to_owned(), "no_such_industry".to_owned()];
    assert!(matches!(
        store.create_organization(&system, bad).await,
        Err(StoreError::Invalid(_))
    ));
    let mut unknown_industry = company("未知", None, &[]);
    unknown_industry.industries = vec!["no_such_industry".to_owned()];
    match store.create_organization(&system, unknown_industry).await {
        Err(StoreError::Invalid(violations)) => assert_eq!(violations[0].path, "/industries/0"),
        other => panic!("expected invalid, got {other:?}"),
    }
    let listed = store
        .list_organizations(&OrganizationFilter::default(), &first_page())
        .await
        .expect("list");
    assert!(listed.items.is_empty(), "nothing was written: {:?}", listed.items);

    let owner = organization(store, "所有者", &[]).await;
    let member = member_of(owner, &[Role::Member]);
    let first = store
        .create_facility(
            &member,
            owner,
            NewFacility {
                ouranos_plant_id: Some("PLANT000001".to_owned()),
                ..facility("一", Visibility::Restricted)
            },
        )
        .await
        .expect("facility");
    let clash = store
        .create_facility(
            &member,
            owner,
            NewFacility {
                ouranos_plant_id: Some("PLANT000001".to_owned()),
                ..facility("二", Visibility::Restricted)
            },
        )
        .await;
    assert!(
        matches!(clash, Err(StoreError::Conflict { ref path, .. }) if path == "/ouranos_plant_id"),
        "{clash:?}"
    );
    let bad_patch = FacilityPatch {
        gln: Some(Some("4512345000012".to_owned())),
        name_ja: Some("新".to_owned()),
        ..Default::default()
    };
    assert!(matches!(
        store.update_facility(&member, first.id, &bad_patch).await,
        Err(StoreError::Invalid(_))
    ));
    let facilities = store
        .list_facilities(&member, &FacilityFilter::default(), &first_page())
        .await
        .expect("list");
    assert_eq!(facilities.items, vec![first]);
}

/// Organization B cannot read or change organization A's restricted records; auditors can, audited.
pub async fn facilities_are_isolated_between_organizations(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let b = organization(store, "B", &[]).await;
    let authority = organization(store, "監査", &[]).await;
    let member_a = member_of(a, &[Role::Member]);
    let member_b = member_of(b, &[Role::OrgAdmin, Role::Member]);
    let auditor = member_of(authority, &[Role::Auditor]);
    let node_admin = member_of(OrganizationId::derived("operator"), &[Role::NodeAdmin]);

    let secret = store
        .create_facility(&member_a, a, facility("秘密", Visibility::Restricted))
        .await
        .expect("facility");
    let open = store
        .create_facility(&member_a, a, facility("公開", Visibility::Public))
        .await
        .expect("facility");
    assert!(matches!(
        store
            .create_facility(&member_b, a, facility("侵入", Visibility::Public))
            .await,
        Err(StoreError::Forbidden { .. })
    ));

    for outsider in [&member_b, &Actor::anonymous(), &node_admin] {
        assert!(matches!(
            store.get_facility(outsider, secret.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.get_facility(outsider, open.id).await.expect("public"), open);
        let listed = store
            .list_facilities(outsider, &FacilityFilter::default(), &first_page())
            .await
            .expect("list");
        assert_eq!(listed.items, vec![open.clone()]);
        let patch = FacilityPatch {
            name_en: Some("taken over".to_owned()),
            ..Default::default()
        };
        assert!(store.update_facility(outsider, secret.id, &patch).await.is_err());
        assert!(matches!(
            store.update_facility(outsider, open.id, &patch).await,
            Err(StoreError::Forbidden { .. })
        ));
    }
    assert_eq!(
        store.get_facility(&member_a, secret.id).await.expect("own").name_en,
        "秘密 plant"
    );

    let audit_before = store
        .list_audit(
            &Actor::system(),
            &AuditFilter {
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    assert!(
        audit_before.items.is_empty(),
        "owner and public reads are not audited: {:?}",
        audit_before.items
    );
    assert_eq!(
        store.get_facility(&auditor, secret.id).await.expect("auditor reads"),
        secret
    );
    let listed = store
        .list_facilities(
            &auditor,
            &FacilityFilter {
                organization_id: Some(a),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 2);
    let reads = store
        .list_audit(
            &Actor::system(),
            &AuditFilter {
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    let read_ids: Vec<&str> = reads.items.iter().map(|entry| entry.record_id.as_str()).collect();
    assert_eq!(reads.items.len(), 3, "one get and two listed records: {read_ids:?}");
    assert!(reads
        .items
        .iter()
        .all(|entry| entry.actor_organization_id == Some(authority) && entry.owner_organization_id == Some(a)));
    assert_eq!(reads.items[0].purpose.as_deref(), Some("contract test"));
}

/// Grants open records to their grantee until they expire or are revoked; every such read is
/// audited under the grant.
pub async fn grants_open_records_until_they_expire_or_are_revoked(store: &dyn Store, clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let b = organization(store, "B", &[]).await;
    let admin_a = member_of(a, &[Role::OrgAdmin]);
    let member_a = member_of(a, &[Role::Member]);
    let member_b = member_of(b, &[Role::Member]);
    let shared = store
        .create_facility(&member_a, a, facility("共有", Visibility::Restricted))
        .await
        .expect("facility");
    let unshared = store
        .create_facility(&member_a, a, facility("非共有", Visibility::Restricted))
        .await
        .expect("facility");

    let new_grant = NewGrant {
        record_class: None,
        max_reads: None,
        enforce_purpose: false,
        grantee: Grantee::Organization { organization_id: b },
        record_kind: RecordKind::Facility,
        record_ids: Some(vec![shared.id.to_string()]),
        level: GrantLevel::LegitimateInterest,
        purpose: Some("dismantling".to_owned()),
        expires_at: START + Duration::days(30),
        fields: None,
    };
    assert!(matches!(
        store.create_grant(&member_a, new_grant.clone()).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store.create_grant(&member_b, new_grant.clone()).await,
        Err(StoreError::Forbidden { .. })
    ));
    let bad_ids = NewGrant {
        record_class: None,
        max_reads: None,
        enforce_purpose: false,
        record_ids: Some(vec![FacilityId::derived("nope").to_string()]),
        ..new_grant.clone()
    };
    assert!(matches!(
        store.create_grant(&admin_a, bad_ids).await,
        Err(StoreError::Invalid(_))
    ));
    let grant = store.create_grant(&admin_a, new_grant).await.expect("grant");

    assert_eq!(store.get_facility(&member_b, shared.id).await.expect("granted"), shared);
    assert!(matches!(
        store.get_facility(&member_b, unshared.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let listed = store
        .list_facilities(&member_b, &FacilityFilter::default(), &first_page())
        .await
        .expect("list");
    assert_eq!(listed.items, vec![shared.clone()]);
    let patch = FacilityPatch {
        name_en: Some("changed".to_owned()),
        ..Default::default()
    };
    assert!(matches!(
        store.update_facility(&member_b, shared.id, &patch).await,
        Err(StoreError::Forbidden { .. })
    ));

    let audit = store
        .list_audit(
            &admin_a,
            &AuditFilter {
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("owner reads its audit");
    assert_eq!(audit.items.len(), 3, "get, list and the read before the refused update");
    assert!(audit.items.iter().all(|entry| entry.grant_id == Some(grant.id)
        && entry.actor_organization_id == Some(b)
        && entry.record_id == shared.id.to_string()));

    assert_eq!(
        store
            .list_grants(&member_b, GrantDirection::Received, &first_page())
            .await
            .expect("list")
            .items,
        vec![grant.clone()]
    );
    assert_eq!(
        store
            .list_grants(&admin_a, GrantDirection::Given, &first_page())
            .await
            .expect("list")
            .items,
        vec![grant.clone()]
    );
    assert!(store
        .list_grants(&admin_a, GrantDirection::Received, &first_page())
        .await
        .expect("list")
        .items
        .is_empty());
    assert_eq!(
        store
            .get_grant(&member_b, grant.id)
            .await
            .expect("grantee sees its grant"),
        grant
    );

    clock.advance(Duration::days(31));
    assert!(
        matches!(
            store.get_facility(&member_b, shared.id).await,
            Err(StoreError::NotFound { .. })
        ),
        "expired grants give nothing"
    );

    let whole_kind = NewGrant {
        record_class: None,
        max_reads: None,
        enforce_purpose: false,
        grantee: Grantee::Organization { organization_id: b },
        record_kind: RecordKind::Facility,
        record_ids: None,
        level: GrantLevel::Full,
        purpose: None,
        expires_at: clock.now() + Duration::days(1),
        fields: None,
    };
    let second = store.create_grant(&admin_a, whole_kind).await.expect("grant");
    assert_eq!(
        store
            .list_facilities(&member_b, &FacilityFilter::default(), &first_page())
            .await
            .expect("list")
            .items
            .len(),
        2
    );
    assert!(matches!(
        store.revoke_grant(&member_b, second.id).await,
        Err(StoreError::Forbidden { .. })
    ));
    let revoked = store.revoke_grant(&admin_a, second.id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert!(store
        .list_facilities(&member_b, &FacilityFilter::default(), &first_page())
        .await
        .expect("list")
        .items
        .is_empty());
}

/// Grants to every organization of a role, or holding a valid certification.
pub async fn grants_to_roles_and_certifications(store: &dyn Store, clock: &ManualClock) {
    let maker = organization(store, "家電メーカー", &[CycleRole::Manufacturer]).await;
    let recycler = organization(store, "再資源化", &[CycleRole::Recycler]).await;
    let collector = organization(store, "回収", &[CycleRole::Collector]).await;
    let certifier = organization(store, "認証", &[CycleRole::Certifier]).await;
    let maker_admin = member_of(maker, &[Role::OrgAdmin, Role::Member]);
    let manual = store
        .create_facility(&maker_admin, maker, facility("解体情報", Visibility::Restricted))
        .await
        .expect("facility");

    store
        .create_grant(
            &maker_admin,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Role {
                    role: CycleRole::Recycler,
                },
                record_kind: RecordKind::Facility,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("recycling".to_owned()),
                expires_at: START + Duration::days(365),
                fields: None,
            },
        )
        .await
        .expect("grant");
    assert!(store
        .get_facility(&member_of(recycler, &[Role::Member]), manual.id)
        .await
        .is_ok());
    assert!(store
        .get_facility(&member_of(collector, &[Role::Member]), manual.id)
        .await
        .is_err());

    store
        .create_grant(
            &maker_admin,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Certification {
                    scheme: "certified_collector".to_owned(),
                },
                record_kind: RecordKind::Facility,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: None,
                expires_at: START + Duration::days(365),
                fields: None,
            },
        )
        .await
        .expect("grant");
    let new_certification = NewCertification {
        subject_organization_id: collector,
        scheme: "certified_collector".to_owned(),
        valid_from: START,
        valid_until: START + Duration::days(10),
    };
    assert!(matches!(
        store
            .create_certification(&member_of(recycler, &[Role::Member]), new_certification.clone())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let certification = store
        .create_certification(&member_of(certifier, &[Role::Member]), new_certification)
        .await
        .expect("certify");
    assert!(store
        .get_facility(&member_of(collector, &[Role::Member]), manual.id)
        .await
        .is_ok());
    assert_eq!(
        store
            .list_certifications(Some(collector), &first_page())
            .await
            .expect("list")
            .items,
        vec![certification.clone()]
    );
    clock.advance(Duration::days(11));
    assert!(
        store
            .get_facility(&member_of(collector, &[Role::Member]), manual.id)
            .await
            .is_err(),
        "lapsed certification"
    );
    clock.advance(Duration::days(-11));
    store
        .revoke_certification(&member_of(certifier, &[Role::Member]), certification.id)
        .await
        .expect("revoke");
    assert!(
        store
            .get_facility(&member_of(collector, &[Role::Member]), manual.id)
            .await
            .is_err(),
        "revoked certification"
    );
}

/// Users, clients and API keys: who may create and see them, unique names, revocation.
pub async fn principals_and_role_assignment(store: &dyn Store, clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let b = organization(store, "B", &[]).await;
    let admin_a = member_of(a, &[Role::OrgAdmin]);
    let admin_b = member_of(b, &[Role::OrgAdmin]);
    let user = |name: &str, roles: &[Role]| NewUserRecord {
        username: name.to_owned(),
        display_name: name.to_owned(),
        password_hash: "$argon2id$fake".to_owned(),
        roles: roles.to_vec(),
        locale: "ja".to_owned(),
    };
    let alice = store
        .create_user(&admin_a, a, user("alice", &[Role::Member]))
        .await
        .expect("user");
    assert!(
        matches!(store.create_user(&admin_a, a, user("alice", &[Role::Member])).await, Err(StoreError::Conflict { ref path, .. }) if path == "/username")
    );
    assert!(matches!(
        store.create_user(&admin_a, a, user("root", &[Role::NodeAdmin])).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store.create_user(&admin_b, a, user("mallory", &[Role::Member])).await,
        Err(StoreError::Forbidden { .. })
    ));
    store
        .create_user(&Actor::system(), a, user("auditor", &[Role::Auditor]))
        .await
        .expect("node admin gives auditor");
    let login = store.user_login("alice").await.expect("lookup").expect("exists");
    assert_eq!(login.user, alice);
    assert_eq!(store.user_by_id(alice.id).await.expect("lookup"), Some(alice.clone()));
    assert_eq!(
        store
            .list_users(&admin_a, a, &first_page())
            .await
            .expect("list")
            .items
            .len(),
        2
    );
    assert!(matches!(
        store.list_users(&admin_b, a, &first_page()).await,
        Err(StoreError::Forbidden { .. })
    ));

    let credential = NewCredential {
        name: "ERP".to_owned(),
        roles: vec![Role::Member],
        expires_at: None,
    };
    let client = store
        .create_client(&admin_a, a, &credential, "hash-of-secret")
        .await
        .expect("client");
    let (found, hash) = store.client_login(client.id).await.expect("lookup").expect("exists");
    assert_eq!((found, hash.as_str()), (client.clone(), "hash-of-secret"));
    assert!(matches!(
        store.list_clients(&admin_b, a).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store.revoke_client(&admin_b, client.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let revoked = store.revoke_client(&admin_a, client.id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert!(store
        .client_login(client.id)
        .await
        .expect("lookup")
        .expect("exists")
        .0
        .revoked_at
        .is_some());

    let expiring = NewCredential {
        name: "script".to_owned(),
        roles: vec![Role::Member],
        expires_at: Some(clock.now() + Duration::hours(1)),
    };
    let key = store
        .create_api_key(&admin_a, a, &expiring, "jk_abcd", "key-hash")
        .await
        .expect("key");
    assert_eq!(
        store.api_key_login("key-hash").await.expect("lookup"),
        Some(key.clone())
    );
    assert_eq!(store.list_api_keys(&admin_a, a).await.expect("list"), vec![key.clone()]);
    let expired = NewCredential {
        expires_at: Some(clock.now() - Duration::hours(1)),
        ..expiring
    };
    assert!(matches!(
        store.create_api_key(&admin_a, a, &expired, "jk_x", "other").await,
        Err(StoreError::Invalid(_))
    ));
    store.revoke_api_key(&admin_a, key.id).await.expect("revoke");
    assert!(store
        .api_key_login("key-hash")
        .await
        .expect("lookup")
        .expect("exists")
        .revoked_at
        .is_some());
}

/// Owners' administrators see the audit entries about their own records only; the log is
/// append-only.
pub async fn audit_log_visibility(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let b = organization(store, "B", &[]).await;
    store
        .create_facility(&member_of(a, &[Role::Member]), a, facility("A", Visibility::Restricted))
        .await
        .expect("facility");
    store
        .create_facility(&member_of(b, &[Role::Member]), b, facility("B", Visibility::Restricted))
        .await
        .expect("facility");
    let seen_by_a = store
        .list_audit(&member_of(a, &[Role::OrgAdmin]), &AuditFilter::default(), &first_page())
        .await
        .expect("audit");
    assert!(!seen_by_a.items.is_empty());
    assert!(seen_by_a
        .items
        .iter()
        .all(|entry| entry.owner_organization_id == Some(a)));
    assert!(matches!(
        store
            .list_audit(&member_of(a, &[Role::Member]), &AuditFilter::default(), &first_page())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store
            .list_audit(&Actor::anonymous(), &AuditFilter::default(), &first_page())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let everything = store
        .list_audit(
            &member_of(b, &[Role::Auditor]),
            &AuditFilter::default(),
            &PageRequest::first(2),
        )
        .await
        .expect("audit");
    assert_eq!(everything.items.len(), 2);
    let rest = store
        .list_audit(
            &member_of(b, &[Role::Auditor]),
            &AuditFilter::default(),
            &PageRequest {
                after: everything.next_after.clone(),
                limit: 100,
            },
        )
        .await
        .expect("audit");
    assert!(rest
        .items
        .iter()
        .all(|entry| entry.sequence > everything.items[1].sequence));
    assert!(everything.items[0].sequence < everything.items[1].sequence);
}

/// Sessions expire; signing keys are shared between instances.
pub async fn sessions_and_signing_keys(store: &dyn Store, clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let user = store
        .create_user(
            &Actor::system(),
            a,
            NewUserRecord {
                username: "carol".to_owned(),
                display_name: "Carol".to_owned(),
                password_hash: "$argon2id$fake".to_owned(),
                roles: vec![Role::Member],
                locale: "en".to_owned(),
            },
        )
        .await
        .expect("user");
    let session = SessionRecord {
        id_hash: "session-hash".to_owned(),
        user_id: user.id,
        csrf_token: "csrf".to_owned(),
        expires_at: clock.now() + Duration::hours(8),
    };
    store.create_session(&session).await.expect("session");
    assert_eq!(
        store.session("session-hash").await.expect("lookup"),
        Some((session.clone(), user.clone()))
    );
    clock.advance(Duration::hours(9));
    assert_eq!(store.session("session-hash").await.expect("lookup"), None);
    clock.advance(Duration::hours(-9));

    // The user's language of the web interface: their own audited write, nobody else's.
    let carol = Actor {
        kind: PrincipalKind::User,
        principal_id: user.id.to_string(),
        organization_id: Some(a),
        roles: vec![Role::Member],
        purpose: None,
        request_id: None,
        grant: None,
    };
    let changed = store.set_own_locale(&carol, "ja").await.expect("own locale");
    assert_eq!(changed.locale, "ja");
    assert_eq!(
        store
            .session("session-hash")
            .await
            .expect("lookup")
            .map(|(_, user)| user.locale),
        Some("ja".to_owned())
    );
    assert!(matches!(
        store.set_own_locale(&carol, "fr").await,
        Err(StoreError::Invalid(_))
    ));
    let client = Actor {
        kind: PrincipalKind::Client,
        ..carol.clone()
    };
    assert!(matches!(
        store.set_own_locale(&client, "en").await,
        Err(StoreError::Forbidden { .. })
    ));
    let b = organization(store, "B", &[]).await;
    let impostor = Actor {
        organization_id: Some(b),
        ..carol.clone()
    };
    assert!(matches!(
        store.set_own_locale(&impostor, "en").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.user_by_id(user.id).await.expect("user").map(|user| user.locale),
        Some("ja".to_owned())
    );
    let audit = store
        .list_audit(
            &member_of(a, &[Role::OrgAdmin]),
            &AuditFilter::default(),
            &PageRequest::first(100),
        )
        .await
        .expect("audit");
    assert!(audit.items.iter().any(|entry| entry.record_kind == RecordKind::User
        && entry.record_id == user.id.to_string()
        && entry.action == AuditAction::Update));

    store.delete_session("session-hash").await.expect("logout");
    assert_eq!(store.session("session-hash").await.expect("lookup"), None);

    assert!(store.signing_keys().await.expect("keys").is_empty());
    let key = SigningKeyRecord {
        kid: "k1".to_owned(),
        secret: "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".to_owned(),
        created_at: clock.now(),
    };
    assert_eq!(store.add_signing_key(&key).await.expect("add"), vec![key.clone()]);
    let racing = SigningKeyRecord {
        secret: "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=".to_owned(),
        ..key.clone()
    };
    assert_eq!(
        store.add_signing_key(&racing).await.expect("add"),
        vec![key],
        "the first key with a kid wins"
    );
}

/// Industries are data: seeded, and added by node administrators.
pub async fn industries_are_data(store: &dyn Store, _clock: &ManualClock) {
    let seeded = store.list_industries().await.expect("list");
    assert!(seeded
        .iter()
        .any(|industry| industry.code == "batteries" && industry.name_ja == "蓄電池"));
    let new = Industry {
        code: "solar_panels".to_owned(),
        name_ja: "太陽光パネル".to_owned(),
        name_en: "Solar panels".to_owned(),
    };
    let a = organization(store, "A", &[]).await;
    assert!(matches!(
        store
            .create_industry(&member_of(a, &[Role::OrgAdmin]), new.clone())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    store.create_industry(&Actor::system(), new.clone()).await.expect("add");
    assert!(matches!(
        store.create_industry(&Actor::system(), new.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    let patch = OrganizationPatch {
        industries: Some(vec!["solar_panels".to_owned()]),
        ..Default::default()
    };
    let updated = store
        .update_organization(&Actor::system(), a, &patch)
        .await
        .expect("uses the new industry");
    assert_eq!(updated.industries, vec!["solar_panels".to_owned()]);
}

fn event(
    id: &str,
    event_type: &str,
    identifiers: &[(IdentifierRole, &str)],
    biz_step: &str,
    hour: i64,
) -> CapturedEvent {
    CapturedEvent {
        event_id: id.to_owned(),
        event_hash: format!("ni:///sha-256;{id}?ver=CBV2.0"),
        event_type: event_type.to_owned(),
        event_time: START + Duration::hours(hour),
        action: Some("ADD".to_owned()),
        biz_step: Some(format!("https://ref.gs1.org/cbv/BizStep-{biz_step}")),
        disposition: None,
        read_point: Some("https://id.gs1.org/414/4512345000011".to_owned()),
        biz_location: None,
        identifiers: identifiers
            .iter()
            .map(|(role, value)| EventIdentifier {
                role: *role,
                value: (*value).to_owned(),
                quantity: None,
                uom: None,
            })
            .collect(),
        body: serde_json::json!({"type": event_type, "eventID": id, "eventTime": "2026-04-01T09:00:00Z"}),
        context: serde_json::json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]),
    }
}

fn capture_of(events: Vec<CapturedEvent>, behaviour: CaptureErrorBehaviour) -> NewCapture {
    NewCapture {
        behaviour,
        events: events
            .into_iter()
            .enumerate()
            .map(|(index, event)| (format!("/epcisBody/eventList/{index}"), event))
            .collect(),
        errors: Vec::new(),
        visibility: Visibility::Restricted,
    }
}

const CELL: &str = "https://id.gs1.org/01/04512345123451/21/100";
const BLACK_MASS: &str = "https://id.gs1.org/01/04512345123451/10/BM-1";

/// Events are stored once, found by the standard filters, and kept from other organizations.
pub async fn events_are_captured_once_queried_and_isolated(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let b = organization(store, "B", &[]).await;
    let member_a = member_of(a, &[Role::Member]);
    let member_b = member_of(b, &[Role::OrgAdmin, Role::Member]);
    let shipping = event(
        "urn:uuid:e1",
        "ObjectEvent",
        &[(IdentifierRole::Epc, CELL)],
        "shipping",
        1,
    );
    let recycling = event(
        "urn:uuid:e2",
        "TransformationEvent",
        &[
            (IdentifierRole::Input, CELL),
            (IdentifierRole::OutputQuantity, BLACK_MASS),
        ],
        "commissioning",
        5,
    );
    let job = store
        .capture_events(
            &member_a,
            capture_of(
                vec![shipping.clone(), recycling.clone()],
                CaptureErrorBehaviour::Rollback,
            ),
        )
        .await
        .expect("capture");
    assert!(job.success && job.errors.is_empty());
    assert_eq!((job.captured_count, job.duplicate_count), (2, 0));
    // The capture hands back the Merkle root of what it stored (for its signature); a job read
    // back does not carry it.
    assert!(job.events_root.is_some());
    assert_eq!(
        store.get_capture(&member_a, job.capture_id).await.expect("job"),
        CaptureJob {
            events_root: None,
            ..job.clone()
        }
    );
    assert!(matches!(
        store.get_capture(&member_b, job.capture_id).await,
        Err(StoreError::NotFound { .. })
    ));

    let again = store
        .capture_events(
            &member_a,
            capture_of(
                vec![shipping.clone(), recycling.clone()],
                CaptureErrorBehaviour::Rollback,
            ),
        )
        .await
        .expect("capture");
    assert_eq!(
        (again.success, again.captured_count, again.duplicate_count),
        (true, 0, 2),
        "duplicates are not stored twice"
    );

    let stored = store.get_event(&member_a, "urn:uuid:e1").await.expect("own event");
    assert_eq!(stored.event.identifiers, shipping.identifiers);
    assert_eq!(stored.event.body, shipping.body);
    assert_eq!(stored.capture_id, job.capture_id);

    let page = PageRequest::first(10);
    let filter = |roles: &[IdentifierRole], values: &[&str], prefixes: &[&str]| IdentifierFilter {
        roles: roles.to_vec(),
        values: values.iter().map(|value| (*value).to_owned()).collect(),
        prefixes: prefixes.iter().map(|prefix| (*prefix).to_owned()).collect(),
    };
    let by_epc = EventQuery {
        identifiers: vec![filter(&IdentifierRole::INSTANCE, &[CELL], &[])],
        ..Default::default()
    };
    let ids = |events: Vec<junkan_model::event::StoredEvent>| {
        events.into_iter().map(|event| event.event.event_id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store
            .query_events(&member_a, &by_epc, &page)
            .await
            .expect("query")
            .items),
        vec!["urn:uuid:e1", "urn:uuid:e2"]
    );
    let by_pattern = EventQuery {
        identifiers: vec![filter(
            &[IdentifierRole::Epc],
            &[],
            &["https://id.gs1.org/01/04512345123451/"],
        )],
        ..Default::default()
    };
    assert_eq!(
        ids(store
            .query_events(&member_a, &by_pattern, &page)
            .await
            .expect("query")
            .items),
        vec!["urn:uuid:e1"]
    );
    let literal = EventQuery {
        identifiers: vec![filter(
            &[IdentifierRole::Epc],
            &[],
            &["https://id.gs1.org/01/0451234512345_/"],
        )],
        ..Default::default()
    };
    assert!(
        store
            .query_events(&member_a, &literal, &page)
            .await
            .expect("query")
            .items
            .is_empty(),
        "_ in a prefix is literal"
    );
    let by_class = EventQuery {
        identifiers: vec![filter(&IdentifierRole::CLASS, &[BLACK_MASS], &[])],
        ..Default::default()
    };
    assert_eq!(
        ids(store
            .query_events(&member_a, &by_class, &page)
            .await
            .expect("query")
            .items),
        vec!["urn:uuid:e2"]
    );
    let by_step = EventQuery {
        biz_steps: vec!["https://ref.gs1.org/cbv/BizStep-shipping".to_owned()],
        ..Default::default()
    };
    assert_eq!(
        ids(store
            .query_events(&member_a, &by_step, &page)
            .await
            .expect("query")
            .items),
        vec!["urn:uuid:e1"]
    );
    let by_time = EventQuery {
        ge_event_time: Some(START + Duration::hours(2)),
        event_types: vec!["TransformationEvent".to_owned()],
        ..Default::default()
    };
    assert_eq!(
        ids(store
            .query_events(&member_a, &by_time, &page)
            .await
            .expect("query")
            .items),
        vec!["urn:uuid:e2"]
    );
    let first = store
        .query_events(&member_a, &EventQuery::default(), &PageRequest::first(1))
        .await
        .expect("query");
    assert_eq!(ids(first.items), vec!["urn:uuid:e1"]);
    let second = store
        .query_events(
            &member_a,
            &EventQuery::default(),
            &PageRequest {
                after: first.next_after,
                limit: 1,
            },
        )
        .await
        .expect("query");
    assert_eq!(ids(second.items), vec!["urn:uuid:e2"]);

    assert!(matches!(
        store.get_event(&member_b, "urn:uuid:e1").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .query_events(&member_b, &by_epc, &page)
        .await
        .expect("query")
        .items
        .is_empty());
    assert!(store
        .query_events(&Actor::anonymous(), &EventQuery::default(), &page)
        .await
        .expect("query")
        .items
        .is_empty());
    assert!(matches!(
        store
            .capture_events(&Actor::anonymous(), capture_of(vec![], CaptureErrorBehaviour::Rollback))
            .await,
        Err(StoreError::Forbidden { .. })
    ));

    let auditor = member_of(organization(store, "監査", &[]).await, &[Role::Auditor]);
    assert_eq!(
        store
            .query_events(&auditor, &by_epc, &page)
            .await
            .expect("query")
            .items
            .len(),
        2
    );
    let audited = store
        .list_audit(
            &Actor::system(),
            &AuditFilter {
                action: Some(AuditAction::Read),
                record_id: Some("urn:uuid:e2".to_owned()),
                ..Default::default()
            },
            &page,
        )
        .await
        .expect("audit");
    assert_eq!(audited.items.len(), 1);

    store
        .create_grant(
            &member_of(a, &[Role::OrgAdmin]),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: b },
                record_kind: RecordKind::Event,
                record_ids: Some(vec!["urn:uuid:e2".to_owned()]),
                level: GrantLevel::LegitimateInterest,
                purpose: Some("recycled content".to_owned()),
                expires_at: START + Duration::days(1),
                fields: None,
            },
        )
        .await
        .expect("grant on an event");
    assert_eq!(
        ids(store
            .query_events(&member_b, &by_epc, &page)
            .await
            .expect("query")
            .items),
        vec!["urn:uuid:e2"]
    );
}

/// An eventID already stored for other content fails the capture: with rollback nothing is stored,
/// with proceed the other events are.
pub async fn a_conflicting_event_id_rolls_back_or_proceeds(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let member = member_of(a, &[Role::Member]);
    store
        .capture_events(
            &member,
            capture_of(
                vec![event(
                    "urn:uuid:x",
                    "ObjectEvent",
                    &[(IdentifierRole::Epc, CELL)],
                    "shipping",
                    1,
                )],
                CaptureErrorBehaviour::Rollback,
            ),
        )
        .await
        .expect("capture");
    let mut changed = event(
        "urn:uuid:x",
        "ObjectEvent",
        &[(IdentifierRole::Epc, CELL)],
        "receiving",
        2,
    );
    changed.event_hash = "ni:///sha-256;different?ver=CBV2.0".to_owned();
    let fresh = event(
        "urn:uuid:y",
        "ObjectEvent",
        &[(IdentifierRole::Epc, CELL)],
        "receiving",
        3,
    );

    let job = store
        .capture_events(
            &member,
            capture_of(vec![fresh.clone(), changed.clone()], CaptureErrorBehaviour::Rollback),
        )
        .await
        .expect("capture");
    assert!(!job.success);
    assert_eq!(
        job.errors.iter().map(|error| error.path.as_str()).collect::<Vec<_>>(),
        vec!["/epcisBody/eventList/1/eventID"]
    );
    assert_eq!(job.captured_count, 0);
    assert!(
        matches!(
            store.get_event(&member, "urn:uuid:y").await,
            Err(StoreError::NotFound { .. })
        ),
        "rollback stores nothing"
    );
    assert_eq!(
        store
            .get_capture(&member, job.capture_id)
            .await
            .expect("failed job kept"),
        job
    );
    assert_eq!(
        store
            .get_event(&member, "urn:uuid:x")
            .await
            .expect("original")
            .event
            .event_hash,
        "ni:///sha-256;urn:uuid:x?ver=CBV2.0"
    );

    let job = store
        .capture_events(
            &member,
            capture_of(vec![fresh, changed], CaptureErrorBehaviour::Proceed),
        )
        .await
        .expect("capture");
    assert_eq!((job.success, job.captured_count), (false, 1));
    assert!(
        store.get_event(&member, "urn:uuid:y").await.is_ok(),
        "proceed stores the rest"
    );
    assert_eq!(
        store
            .list_captures(&member, &PageRequest::first(10))
            .await
            .expect("jobs")
            .items
            .len(),
        3
    );
}

/// Captures sent at once each get their own outcome: the embedded engine writes documents that
/// queue up together in one commit (group commit), and one that rolls back must leave the others
/// and keep only its failed job.
pub async fn concurrent_captures_keep_their_own_outcomes(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let member = member_of(a, &[Role::Member]);
    let object = |id: &str, hour: i64| event(id, "ObjectEvent", &[(IdentifierRole::Epc, CELL)], "shipping", hour);
    store
        .capture_events(
            &member,
            capture_of(vec![object("urn:uuid:taken", 0)], CaptureErrorBehaviour::Rollback),
        )
        .await
        .expect("capture");
    let mut conflicting = object("urn:uuid:taken", 1);
    conflicting.event_hash = "ni:///sha-256;other?ver=CBV2.0".to_owned();
    let documents: Vec<NewCapture> = (0..12)
        .map(|document| match document {
            // Rolls back: its first event must not be stored.
            5 => capture_of(
                vec![object("urn:uuid:lost", 2), conflicting.clone()],
                CaptureErrorBehaviour::Rollback,
            ),
            // One event of document 0's, sent at the same time.
            7 => capture_of(
                vec![object("urn:uuid:doc0-a", 3), object("urn:uuid:doc7", 4)],
                CaptureErrorBehaviour::Rollback,
            ),
            _ => capture_of(
                vec![
                    object(&format!("urn:uuid:doc{document}-a"), 3),
                    object(&format!("urn:uuid:doc{document}-b"), 4),
                ],
                CaptureErrorBehaviour::Rollback,
            ),
        })
        .collect();
    let jobs = futures::future::join_all(
        documents
            .into_iter()
            .map(|document| store.capture_events(&member, document)),
    )
    .await;
    for (document, job) in jobs.iter().enumerate() {
        let job = job.as_ref().expect("capture");
        match document {
            5 => {
                assert_eq!((job.success, job.captured_count), (false, 0), "document 5 rolls back");
                assert_eq!(
                    store
                        .get_capture(&member, job.capture_id)
                        .await
                        .expect("failed job kept"),
                    *job
                );
            }
            // Documents 0 and 7 share an event: whichever is written first stores it.
            0 | 7 => assert_eq!(
                (job.success, job.captured_count + job.duplicate_count),
                (true, 2),
                "document {document}"
            ),
            _ => assert_eq!((job.success, job.captured_count), (true, 2), "document {document}"),
        }
    }
    let shared = |document: usize| jobs[document].as_ref().map_or(0, |job| job.duplicate_count);
    assert_eq!(shared(0) + shared(7), 1, "the shared event is stored once");
    assert!(matches!(
        store.get_event(&member, "urn:uuid:lost").await,
        Err(StoreError::NotFound { .. })
    ));
    let query = EventQuery {
        identifiers: vec![IdentifierFilter {
            roles: vec![IdentifierRole::Epc],
            values: vec![CELL.to_owned()],
            prefixes: vec![],
        }],
        ..Default::default()
    };
    let stored = store
        .query_events(&member, &query, &PageRequest::first(100))
        .await
        .expect("query")
        .items;
    // The taken event, two events of each of the ten stored documents but 7, and document 7's own.
    assert_eq!(stored.len(), 1 + 10 * 2 + 1, "each event is stored once");
    assert_eq!(
        store
            .list_captures(&member, &PageRequest::first(100))
            .await
            .expect("jobs")
            .items
            .len(),
        13
    );
}

/// Lineage lookups return every event touching the identifiers, marked readable or not, with
/// owners' names; known events are left out; reads under a grant are audited.
pub async fn lineage_events_carry_structure_and_readability(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "A", &[]).await;
    let b = organization(store, "B", &[CycleRole::Recycler]).await;
    let mut recycling = event(
        "urn:uuid:r1",
        "TransformationEvent",
        &[
            (IdentifierRole::InputQuantity, CELL),
            (IdentifierRole::OutputQuantity, BLACK_MASS),
        ],
        "commissioning",
        1,
    );
    recycling.identifiers[0].quantity = Some("12.5".to_owned());
    recycling.identifiers[0].uom = Some("KGM".to_owned());
    store
        .capture_events(
            &member_of(b, &[Role::Member]),
            capture_of(vec![recycling], CaptureErrorBehaviour::Rollback),
        )
        .await
        .expect("capture");
    let shipping = event(
        "urn:uuid:s1",
        "ObjectEvent",
        &[(IdentifierRole::Epc, CELL)],
        "shipping",
        0,
    );
    store
        .capture_events(
            &member_of(a, &[Role::Member]),
            capture_of(vec![shipping], CaptureErrorBehaviour::Rollback),
        )
        .await
        .expect("capture");

    let reader = member_of(a, &[Role::Member]);
    let found = store
        .lineage_events(&reader, &[CELL.to_owned()], &[])
        .await
        .expect("lineage");
    let summary: Vec<(String, bool, String)> = found
        .iter()
        .map(|event| (event.event_id.clone(), event.readable, event.owner_name.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("urn:uuid:r1".to_owned(), false, "B株式会社".to_owned()),
            ("urn:uuid:s1".to_owned(), true, "A株式会社".to_owned())
        ]
    );
    assert_eq!(
        found[0]
            .identifiers
            .iter()
            .find(|identifier| identifier.value == CELL)
            .and_then(|identifier| identifier.quantity.clone()),
        Some("12.5".to_owned())
    );
    let rest = store
        .lineage_events(&reader, &[CELL.to_owned()], &["urn:uuid:r1".to_owned()])
        .await
        .expect("lineage");
    assert_eq!(
        rest.iter().map(|event| event.event_id.as_str()).collect::<Vec<_>>(),
        vec!["urn:uuid:s1"]
    );

    store
        .create_grant(
            &member_of(b, &[Role::OrgAdmin]),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: a },
                record_kind: RecordKind::Event,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: None,
                expires_at: START + Duration::days(1),
                fields: None,
            },
        )
        .await
        .expect("grant");
    let found = store
        .lineage_events(&reader, &[BLACK_MASS.to_owned()], &[])
        .await
        .expect("lineage");
    assert!(found[0].readable);
    let audit = store
        .list_audit(
            &Actor::system(),
            &AuditFilter {
                action: Some(AuditAction::Read),
                record_id: Some("urn:uuid:r1".to_owned()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    assert_eq!(audit.items.len(), 1);
}

/// Resource values list only own and public events; queries order by event time with a stable
/// cursor and apply residual conditions; named queries and subscriptions belong to their
/// organization, and deleting a query ends its subscriptions.
pub async fn named_queries_subscriptions_and_resource_values(store: &dyn Store, _clock: &ManualClock) {
    use junkan_model::event::{EventField, EventOrder, EventPredicate, OrderField};
    use junkan_model::subscription::NewSubscription;

    let a = organization(store, "A", &[]).await;
    let b = organization(store, "B", &[]).await;
    let member_a = member_of(a, &[Role::Member]);
    let member_b = member_of(b, &[Role::OrgAdmin, Role::Member]);
    let early = event(
        "urn:uuid:q1",
        "ObjectEvent",
        &[(IdentifierRole::Epc, CELL)],
        "shipping",
        5,
    );
    let late = event(
        "urn:uuid:q2",
        "TransformationEvent",
        &[(IdentifierRole::Input, CELL)],
        "commissioning",
        1,
    );
    store
        .capture_events(
            &member_a,
            capture_of(vec![early, late], CaptureErrorBehaviour::Rollback),
        )
        .await
        .expect("capture");

    let types = store
        .event_values(&member_a, EventField::EventType, &PageRequest::first(1))
        .await
        .expect("types");
    assert_eq!(types.items, vec!["ObjectEvent"]);
    let rest = store
        .event_values(
            &member_a,
            EventField::EventType,
            &PageRequest {
                after: types.next_after,
                limit: 10,
            },
        )
        .await
        .expect("more types");
    assert_eq!(rest.items, vec!["TransformationEvent"]);
    let epcs = store
        .event_values(&member_a, EventField::Epc, &PageRequest::first(10))
        .await
        .expect("epcs");
    assert_eq!(epcs.items, vec![CELL]);
    assert!(store
        .event_values(&member_b, EventField::Epc, &PageRequest::first(10))
        .await
        .expect("none")
        .items
        .is_empty());

    // Ascending event time: q2 (hour 1) before q1 (hour 5), one per page.
    let ordered = EventQuery {
        order: Some(EventOrder {
            field: OrderField::EventTime,
            descending: false,
        }),
        ..EventQuery::default()
    };
    let first = store
        .query_events(&member_a, &ordered, &PageRequest::first(1))
        .await
        .expect("first");
    assert_eq!(first.items[0].event.event_id, "urn:uuid:q2");
    let second = store
        .query_events(
            &member_a,
            &ordered,
            &PageRequest {
                after: first.next_after.clone(),
                limit: 1,
            },
        )
        .await
        .expect("second");
    assert_eq!(second.items[0].event.event_id, "urn:uuid:q1");
    assert!(second.next_after.is_none());
    assert!(
        second.items[0].sequence < first.items[0].sequence,
        "sequence is capture order"
    );
    let residual = EventQuery {
        residual: Some(EventPredicate(std::sync::Arc::new(|event: &CapturedEvent| {
            event.event_type == "ObjectEvent"
        }))),
        ..EventQuery::default()
    };
    let matched = store
        .query_events(&member_a, &residual, &PageRequest::first(10))
        .await
        .expect("residual");
    assert_eq!(matched.items.len(), 1);
    assert_eq!(matched.items[0].event.event_id, "urn:uuid:q1");

    let query = serde_json::json!({"EQ_bizStep": ["shipping"]});
    store
        .create_named_query(&member_a, "shipped", query.clone())
        .await
        .expect("named query");
    assert!(matches!(
        store.create_named_query(&member_a, "shipped", query.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    store
        .create_named_query(&member_b, "shipped", query.clone())
        .await
        .expect("names are per organization");
    assert_eq!(
        store.get_named_query(&member_a, "shipped").await.expect("own").query,
        query
    );
    let subscription = store
        .create_subscription(
            &member_a,
            "shipped",
            NewSubscription {
                dest: "https://client.example.com/hook".to_owned(),
                signature_token: Some("secret".to_owned()),
                initial_record_time: None,
                stream: true,
                schedule: None,
                report_if_empty: false,
                epc_format: None,
            },
        )
        .await
        .expect("subscribe");
    assert!(matches!(
        store.get_subscription(&member_b, "shipped", subscription.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let due = store.subscriptions_to_deliver().await.expect("due");
    let (found, found_query, subscriber) = due
        .iter()
        .find(|(found, _, _)| found.id == subscription.id)
        .expect("listed for delivery");
    assert_eq!(found.signature_token.as_deref(), Some("secret"));
    assert_eq!(found_query.query, query);
    assert!(
        subscriber.is_none(),
        "a subscriber without a stored credential gets nothing"
    );
    store
        .record_delivery(
            subscription.id,
            &crate::Delivery {
                delivered_up_to: Some("7".to_owned()),
                notified_at: Some(START),
                error: None,
            },
        )
        .await
        .expect("record");
    let after = store
        .get_subscription(&member_a, "shipped", subscription.id)
        .await
        .expect("shown");
    assert_eq!(
        (after.delivered_up_to.as_deref(), after.last_notified_at),
        (Some("7"), Some(START))
    );
    store.delete_named_query(&member_a, "shipped").await.expect("delete");
    assert!(matches!(
        store.get_subscription(&member_a, "shipped", subscription.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .list_named_queries(&member_b, &PageRequest::first(10))
            .await
            .expect("B's")
            .items
            .len(),
        1
    );
}

fn plastics_passport(identifier: &str) -> junkan_model::passport::NewPassport {
    junkan_model::passport::NewPassport {
        identifier: identifier.to_owned(),
        granularity: junkan_model::passport::Granularity::Batch,
        profile: "plastics".to_owned(),
        status: junkan_model::passport::LifecycleStatus::Original,
        visibility: Visibility::Public,
        data: junkan_passport::builtin::example("plastics").expect("shipped example"),
        links: Vec::new(),
        note: None,
    }
}

fn shipped_profile(code: &str) -> junkan_passport::CompiledProfile {
    let document = junkan_passport::builtin::documents()
        .into_iter()
        .find(|document| document["code"] == code)
        .expect("shipped profile");
    junkan_passport::Profile::compile(&document).expect("compiles")
}

/// Passports: each reader sees exactly the fields of its level (anonymous and other members the
/// public view, grant holders legitimate-interest fields, auditors the authority view, the owner
/// everything); audited reads; immutable versions; owner-only writes; visibility.
pub async fn passports_versions_views_and_grants(store: &dyn Store, clock: &ManualClock) {
    use junkan_model::access::AccessLevel;
    use junkan_model::passport::{LifecycleStatus, PassportFilter, PassportRead, PassportUpdate};

    let a = organization(store, "Repla", &[CycleRole::Recycler]).await;
    let b = organization(store, "Maker", &[CycleRole::Manufacturer]).await;
    let member_a = member_of(a, &[Role::Member]);
    let admin_a = member_of(a, &[Role::OrgAdmin, Role::Member]);
    let member_b = member_of(b, &[Role::Member]);
    let auditor = member_of(organization(store, "Authority", &[]).await, &[Role::Auditor]);
    let profile = shipped_profile("plastics");
    let example = junkan_passport::builtin::example("plastics").expect("example");

    let created = store
        .create_passport(
            &member_a,
            plastics_passport("https://example.jp/01/4912345000019/10/LOT-1"),
        )
        .await
        .expect("created");
    assert_eq!(created.identifier, "https://id.gs1.org/01/04912345000019/10/LOT-1");
    assert_eq!((created.version, created.latest_version), (1, 1));
    assert_eq!(created.data, example);
    assert_eq!(created.access_level, AccessLevel::Owner);

    // Each reader gets exactly the profile's view at its level.
    for (actor, level) in [
        (Actor::anonymous(), AccessLevel::Public),
        (member_b.clone(), AccessLevel::Public),
        (auditor.clone(), AccessLevel::Authority),
        (member_a.clone(), AccessLevel::Owner),
    ] {
        let read = store
            .get_passport(&actor, created.id, PassportRead::default())
            .await
            .expect("readable");
        let expected = profile.view(&example, level);
        assert_eq!(
            (read.access_level, &read.data, &read.withheld),
            (level, &expected.data, &expected.withheld)
        );
    }
    assert!(!profile.view(&example, AccessLevel::Public).withheld.is_empty());
    // A lower view on request; a higher one is refused.
    let preview = store
        .get_passport(
            &member_a,
            created.id,
            PassportRead {
                version: None,
                view: Some(AccessLevel::Public),
            },
        )
        .await
        .expect("preview");
    assert_eq!(preview.data, profile.view(&example, AccessLevel::Public).data);
    assert!(matches!(
        store
            .get_passport(
                &member_b,
                created.id,
                PassportRead {
                    version: None,
                    view: Some(AccessLevel::Owner)
                }
            )
            .await,
        Err(StoreError::Forbidden { .. })
    ));

    // Only the owner writes; a bad change is refused whole.
    let change = PassportUpdate {
        status: Some(LifecycleStatus::InUse),
        note: Some("出荷 / shipped".to_owned()),
        ..PassportUpdate::default()
    };
    assert!(matches!(
        store.update_passport(&member_b, created.id, change.clone()).await,
        Err(StoreError::Forbidden { .. })
    ));
    let mut broken = example.clone();
    broken["polymer"] = serde_json::json!(42);
    match store
        .update_passport(
            &member_a,
            created.id,
            PassportUpdate {
                data: Some(broken),
                ..PassportUpdate::default()
            },
        )
        .await
    {
        Err(StoreError::Invalid(violations)) => {
            assert!(violations.iter().all(|violation| violation.path.starts_with("/data")))
        }
        other => panic!("expected invalid data, got {other:?}"),
    }
    clock.advance(Duration::minutes(5));
    let second = store
        .update_passport(&member_a, created.id, change)
        .await
        .expect("new version");
    assert_eq!((second.version, second.status), (2, LifecycleStatus::InUse));
    assert!(matches!(
        store
            .update_passport(
                &member_a,
                created.id,
                PassportUpdate {
                    base_version: Some(1),
                    status: Some(LifecycleStatus::Waste),
                    ..PassportUpdate::default()
                }
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let first = store
        .get_passport(
            &member_b,
            created.id,
            PassportRead {
                version: Some(1),
                view: None,
            },
        )
        .await
        .expect("old versions stay readable");
    assert_eq!(
        (first.version, first.status, first.latest_version),
        (1, LifecycleStatus::Original, 2)
    );
    let history = store.passport_history(&member_b, created.id).await.expect("history");
    assert_eq!(history.iter().map(|entry| entry.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(history[1].note.as_deref(), Some("出荷 / shipped"));

    // The same identifier twice is a conflict, in any of its forms.
    assert!(matches!(
        store
            .create_passport(&member_a, plastics_passport("urn:epc:class:lgtin:4912345.000001.LOT-1"))
            .await,
        Err(StoreError::Conflict { .. })
    ));

    // A grant opens the legitimate-interest fields, and the read is audited under it.
    let grant = store
        .create_grant(
            &admin_a,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: b },
                record_kind: RecordKind::Passport,
                record_ids: Some(vec![created.id.to_string()]),
                level: GrantLevel::LegitimateInterest,
                purpose: Some("再生材の受入検査 / incoming inspection".to_owned()),
                expires_at: START + Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant");
    let granted = store
        .get_passport(&member_b, created.id, PassportRead::default())
        .await
        .expect("granted");
    assert_eq!(granted.access_level, AccessLevel::LegitimateInterest);
    assert_eq!(
        granted.data,
        profile.view(&example, AccessLevel::LegitimateInterest).data
    );
    let audited = store
        .list_audit(
            &Actor::system(),
            &AuditFilter {
                record_id: Some(created.id.to_string()),
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    assert!(audited.items.iter().any(|entry| entry.grant_id == Some(grant.id)));
    assert!(
        audited.items.iter().all(|entry| entry.actor_organization_id != Some(a)),
        "owner reads are not audited"
    );

    // Lists filter each item the same way; search by material and identifier prefix.
    let listed = store
        .list_passports(
            &member_b,
            &PassportFilter {
                material: Some(profile.materials(&example)[0].to_uppercase()),
                ..Default::default()
            },
            &first_page(),
            PassportRead::default(),
        )
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].data, granted.data);
    let by_prefix = store
        .list_passports(
            &Actor::anonymous(),
            &PassportFilter {
                identifier_prefix: Some("https://id.gs1.org/01/0491234500001".to_owned()),
                ..Default::default()
            },
            &first_page(),
            PassportRead::default(),
        )
        .await
        .expect("list");
    assert_eq!(by_prefix.items.len(), 1);
    assert_eq!(
        by_prefix.items[0].data,
        profile.view(&example, AccessLevel::Public).data
    );
    let none = store
        .list_passports(
            &Actor::anonymous(),
            &PassportFilter {
                identifier_prefix: Some("https://id.gs1.org/01/0491234500001_".to_owned()),
                ..Default::default()
            },
            &first_page(),
            PassportRead::default(),
        )
        .await
        .expect("list");
    assert!(none.items.is_empty(), "LIKE wildcards in a prefix match literally");

    // Restricted passports are invisible to anyone without a right to them.
    let restricted = store
        .update_passport(
            &member_a,
            created.id,
            PassportUpdate {
                visibility: Some(Visibility::Restricted),
                ..PassportUpdate::default()
            },
        )
        .await
        .expect("restricted");
    assert!(matches!(
        store
            .get_passport(&Actor::anonymous(), restricted.id, PassportRead::default())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .get_passport(&member_b, restricted.id, PassportRead::default())
            .await
            .is_ok(),
        "the grant still applies"
    );
    let found = store
        .find_passport(
            &member_b,
            &[
                "https://id.gs1.org/01/04912345000019/10/LOT-1/21/X".to_owned(),
                restricted.identifier.clone(),
            ],
            PassportRead::default(),
        )
        .await
        .expect("found by its identifier");
    assert_eq!(found.id, created.id);
}

/// Profiles are data (registration checks the document and the industry; versions only go up)
/// and imports are all or nothing.
pub async fn passport_profiles_and_imports(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "Importer", &[CycleRole::Recycler]).await;
    let member_a = member_of(a, &[Role::Member]);
    let profiles = store.list_profiles().await.expect("profiles");
    assert_eq!(
        profiles.iter().map(|profile| profile.code.as_str()).collect::<Vec<_>>(),
        [
            "automobile_part",
            "battery",
            "construction_material",
            "home_appliance",
            "metal",
            "office_equipment",
            "plastics",
            "textile",
            "vehicle"
        ]
    );

    let document = serde_json::json!({
        "code": "glass", "version": "1.0.0", "industry": "waste_management",
        "name": {"ja": "ガラスカレット", "en": "Glass cullet"}, "description": {"ja": "再生ガラス原料", "en": "Recycled glass feedstock"},
        "granularities": ["batch"], "default_access": "owner",
        "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                   "properties": {"colour": {"type": "string"}, "mass": {"type": "number"}}, "required": ["colour"]},
        "fields": [
            {"pointer": "/colour", "access": "public", "information": "recycled_material", "label": {"ja": "色", "en": "Colour"}, "search": "material"},
            {"pointer": "/mass", "access": "legitimate_interest", "information": "availability", "label": {"ja": "数量", "en": "Mass"}, "unit": "kg"}
        ]
    });
    assert!(matches!(
        store.register_profile(&member_a, document.clone()).await,
        Err(StoreError::Forbidden { .. })
    ));
    let mut bad = document.clone();
    bad["schema"]["properties"]["mass"]["type"] = serde_json::json!("weight");
    bad["industry"] = serde_json::json!("glass");
    match store.register_profile(&Actor::system(), bad).await {
        Err(StoreError::Invalid(violations)) => assert_eq!(violations[0].path, "/schema/properties/mass/type"),
        other => panic!("expected an invalid schema, got {other:?}"),
    }
    let mut unknown_industry = document.clone();
    unknown_industry["industry"] = serde_json::json!("glassworks");
    assert!(matches!(
        store.register_profile(&Actor::system(), unknown_industry).await,
        Err(StoreError::Invalid(_))
    ));
    let registered = store
        .register_profile(&Actor::system(), document.clone())
        .await
        .expect("registered");
    assert_eq!(
        store
            .register_profile(&Actor::system(), document.clone())
            .await
            .expect("same again"),
        registered
    );
    let mut changed = document.clone();
    changed["name"]["en"] = serde_json::json!("Cullet");
    assert!(matches!(
        store.register_profile(&Actor::system(), changed.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    changed["version"] = serde_json::json!("0.9.0");
    assert!(matches!(
        store.register_profile(&Actor::system(), changed.clone()).await,
        Err(StoreError::Invalid(_))
    ));
    changed["version"] = serde_json::json!("1.1.0");
    store
        .register_profile(&Actor::system(), changed)
        .await
        .expect("newer version");
    assert_eq!(store.get_profile("glass", None).await.expect("newest").version, "1.1.0");
    assert_eq!(
        store.get_profile("glass", Some("1.0.0")).await.expect("older").version,
        "1.0.0"
    );

    let item = |identifier: &str, colour: serde_json::Value| junkan_model::passport::NewPassport {
        identifier: identifier.to_owned(),
        granularity: junkan_model::passport::Granularity::Batch,
        profile: "glass".to_owned(),
        status: junkan_model::passport::LifecycleStatus::Original,
        visibility: Visibility::Public,
        data: serde_json::json!({"colour": colour, "mass": 1200}),
        links: Vec::new(),
        note: None,
    };
    // One bad item refuses the whole import and names it.
    match store
        .import_passports(
            &member_a,
            vec![
                item("urn:example:cullet:1", "flint".into()),
                item("urn:example:cullet:2", 7.into()),
                item("urn:example:cullet:1", "amber".into()),
            ],
            false,
        )
        .await
    {
        Err(StoreError::Invalid(violations)) => {
            let paths: Vec<&str> = violations.iter().map(|violation| violation.path.as_str()).collect();
            assert_eq!(paths, ["/1/data/colour", "/2/identifier"]);
        }
        other => panic!("expected invalid, got {other:?}"),
    }
    let none = store
        .list_passports(
            &member_a,
            &junkan_model::passport::PassportFilter {
                profile: Some("glass".to_owned()),
                ..Default::default()
            },
            &first_page(),
            Default::default(),
        )
        .await
        .expect("list");
    assert!(none.items.is_empty(), "a refused import writes nothing");
    let items = vec![
        item("urn:example:cullet:1", "flint".into()),
        item("urn:example:cullet:2", "amber".into()),
    ];
    let dry = store
        .import_passports(&member_a, items.clone(), true)
        .await
        .expect("dry run");
    assert_eq!((dry.created, dry.dry_run), (2, true));
    let report = store
        .import_passports(&member_a, items.clone(), false)
        .await
        .expect("import");
    assert_eq!((report.created, report.updated, report.unchanged), (2, 0, 0));
    let mut changed = items.clone();
    changed[1].data["mass"] = serde_json::json!(900);
    let report = store
        .import_passports(&member_a, changed, false)
        .await
        .expect("reimport");
    assert_eq!((report.created, report.updated, report.unchanged), (0, 1, 1));
    let other = member_of(organization(store, "Other", &[]).await, &[Role::Member]);
    assert!(matches!(
        store.import_passports(&other, items, false).await,
        Err(StoreError::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Footprints (issue 5)

/// The sample footprint with its own id and product id.
fn sample_footprint(name: &str) -> junkan_footprint::Footprint {
    let mut footprint = junkan_footprint::fixtures::cell_footprint();
    footprint.id = junkan_model::ids::FootprintId::derived(name);
    footprint.product_ids = vec![format!("urn:junkan:part:{name}")];
    footprint
}

/// Footprints: publish, the read rule (restricted, grant of kind footprint, public), audited reads
/// under grants, supersede (old deprecated in the same write, new names it), immutability of
/// the published footprint, bad input.
pub async fn footprints_publish_supersede_and_read_rule(store: &dyn Store, _clock: &ManualClock) {
    use junkan_footprint::FootprintStatus;
    use junkan_model::ids::FootprintId;

    let a = organization(store, "排出量A", &[CycleRole::Manufacturer]).await;
    let b = organization(store, "排出量B", &[CycleRole::Manufacturer]).await;
    let member_a = member_of(a, &[Role::Member]);
    let admin_a = member_of(a, &[Role::OrgAdmin]);
    let member_b = member_of(b, &[Role::Member]);

    let first = sample_footprint("first");
    let stored = store
        .create_footprint(&member_a, first.clone(), Visibility::Restricted)
        .await
        .expect("valid footprint");
    assert_eq!(stored.footprint, first);
    assert_eq!(stored.owner_organization_id, a);
    assert_eq!(store.get_footprint(&member_a, first.id).await.expect("own"), stored);
    for outsider in [&member_b, &Actor::anonymous()] {
        assert!(matches!(
            store.get_footprint(outsider, first.id).await,
            Err(StoreError::NotFound {
                kind: RecordKind::Footprint,
                ..
            })
        ));
    }
    // Only members of an organization publish, and only valid footprints.
    assert!(matches!(
        store
            .create_footprint(&Actor::anonymous(), sample_footprint("anon"), Visibility::Public)
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let mut negative = sample_footprint("negative");
    negative.pcf.fossil_ghg_emissions = junkan_footprint::decimal::literal("-1");
    match store.create_footprint(&member_a, negative, Visibility::Public).await {
        Err(StoreError::Invalid(violations)) => {
            assert!(
                violations
                    .iter()
                    .any(|violation| violation.path == "/pcf/fossilGhgEmissions"),
                "{violations:?}"
            );
        }
        other => panic!("a negative fossil emission must be refused, got {other:?}"),
    }
    assert!(matches!(
        store.create_footprint(&member_a, first.clone(), Visibility::Restricted).await,
        Err(StoreError::Conflict { ref path, .. }) if path == "/id"
    ));

    // Supersede: the new footprint names the old one, which is deprecated.
    let mut second = sample_footprint("second");
    second.product_ids = first.product_ids.clone();
    assert!(matches!(
        store.supersede_footprint(&member_b, first.id, second.clone()).await,
        Err(StoreError::NotFound { .. })
    ));
    let successor = store
        .supersede_footprint(&member_a, first.id, second.clone())
        .await
        .expect("supersede");
    assert_eq!(successor.footprint.preceding_ids, vec![first.id]);
    assert_eq!(successor.visibility, Visibility::Restricted);
    let old = store.get_footprint(&member_a, first.id).await.expect("old");
    assert_eq!(old.footprint.status, FootprintStatus::Deprecated);
    assert_eq!(old.superseded_by, Some(second.id));
    assert_eq!(old.footprint.pcf, first.pcf, "only the status changes");
    let mut third = sample_footprint("third");
    third.company_ids = first.company_ids.clone();
    assert!(matches!(
        store.supersede_footprint(&member_a, first.id, third.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.supersede_footprint(&member_a, second.id, second.clone()).await,
        Err(StoreError::Invalid(_))
    ));

    // A grant of kind footprint naming the successor opens exactly it, and the read is audited.
    let grant = store
        .create_grant(
            &admin_a,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: b },
                record_kind: RecordKind::Footprint,
                record_ids: Some(vec![second.id.to_string()]),
                level: GrantLevel::Full,
                purpose: Some("PACT exchange".to_owned()),
                expires_at: START + Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("footprints are grantable");
    assert_eq!(
        store
            .get_footprint(&member_b, second.id)
            .await
            .expect("granted")
            .footprint
            .id,
        second.id
    );
    assert!(store.get_footprint(&member_b, first.id).await.is_err());
    let listed = store
        .list_footprints(&member_b, &junkan_footprint::FootprintFilter::default(), &first_page())
        .await
        .expect("list");
    assert_eq!(
        listed
            .items
            .iter()
            .map(|stored| stored.footprint.id)
            .collect::<Vec<_>>(),
        vec![second.id]
    );
    // The PACT v3 listing (stored v3 texts) applies the same rule and audits the same way.
    let listed_v3 = store
        .list_footprints_pact_v3(&member_b, &junkan_footprint::FootprintFilter::default(), &first_page())
        .await
        .expect("list v3");
    assert_eq!(
        listed_v3.items.iter().map(|item| item.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    let audit = store
        .list_audit(
            &Actor::system(),
            &AuditFilter {
                record_id: Some(second.id.to_string()),
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    assert_eq!(
        audit.items.len(),
        3,
        "the get, the list and the v3 list by B are all audited"
    );
    assert!(audit.items.iter().all(|entry| entry.grant_id == Some(grant.id)));

    // Public footprints are readable by everyone, unaudited.
    let public = sample_footprint("public");
    store
        .create_footprint(&member_a, public.clone(), Visibility::Public)
        .await
        .expect("public");
    assert_eq!(
        store
            .get_footprint(&Actor::anonymous(), public.id)
            .await
            .expect("public")
            .footprint,
        public
    );
    assert!(matches!(
        store.get_footprint(&member_a, FootprintId::derived("missing")).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Footprint lists: every PACT criterion, alone and combined, gives exactly the footprints the
/// reference `FootprintFilter::matches` selects, in id order, page by page.
pub async fn footprint_filters_match_the_reference(store: &dyn Store, _clock: &ManualClock) {
    use junkan_footprint::model::Geography;
    use junkan_footprint::{FootprintFilter, FootprintStatus};
    use time::macros::datetime;

    let a = organization(store, "絞込A", &[CycleRole::Manufacturer]).await;
    let b = organization(store, "絞込B", &[CycleRole::Manufacturer]).await;
    let member_a = member_of(a, &[Role::Member]);
    let member_b = member_of(b, &[Role::Member]);
    let geographies = [
        Geography::Country("JP".to_owned()),
        Geography::CountrySubdivision("JP-13".to_owned()),
        Geography::RegionOrSubregion("Western Europe".to_owned()),
        Geography::Global,
        Geography::Country("DE".to_owned()),
    ];
    let mut all = Vec::new();
    for index in 0..12_usize {
        let mut footprint = sample_footprint(&format!("filter-{index}"));
        footprint.product_ids.push(format!("urn:junkan:family:{}", index % 3));
        footprint.company_ids = vec![format!("urn:junkan:company:{}", index % 2)];
        footprint.product_classifications = vec![format!("urn:pact:productclassification:un-cpc:{}", 4600 + index % 4)];
        footprint.pcf.geography = geographies[index % geographies.len()].clone();
        let year = 2024 + i32::try_from(index % 3).expect("small");
        footprint.validity_period_start = Some(datetime!(2024-01-01 00:00 UTC).replace_year(year).expect("valid year"));
        footprint.validity_period_end = Some(
            datetime!(2025-01-01 00:00 UTC)
                .replace_year(year + 1)
                .expect("valid year"),
        );
        footprint.pcf.reference_period_start = datetime!(2023-01-01 00:00 UTC);
        footprint.pcf.reference_period_end = datetime!(2024-01-01 00:00 UTC);
        let (actor, owner) = if index % 5 == 4 { (&member_b, b) } else { (&member_a, a) };
        let visibility = if index % 5 == 4 {
            Visibility::Public
        } else {
            Visibility::Restricted
        };
        let stored = store
            .create_footprint(actor, footprint, visibility)
            .await
            .expect("valid footprint");
        all.push((stored.footprint, owner));
    }
    // Deprecate one through a supersede.
    let mut replacement = sample_footprint("filter-replacement");
    replacement.product_ids = all[0].0.product_ids.clone();
    replacement.company_ids = all[0].0.company_ids.clone();
    let old_id = all[0].0.id;
    let successor = store
        .supersede_footprint(&member_a, old_id, replacement)
        .await
        .expect("supersede");
    all[0].0 = store
        .get_footprint(&member_a, old_id)
        .await
        .expect("the deprecated footprint")
        .footprint;
    assert_eq!(all[0].0.status, FootprintStatus::Deprecated);
    all.push((successor.footprint, a));

    let filters = vec![
        FootprintFilter::default(),
        FootprintFilter {
            product_ids: vec!["urn:junkan:family:1".to_owned(), "urn:junkan:part:filter-0".to_owned()],
            ..Default::default()
        },
        FootprintFilter {
            company_ids: vec!["urn:junkan:company:1".to_owned()],
            ..Default::default()
        },
        FootprintFilter {
            geographies: vec!["JP".to_owned()],
            ..Default::default()
        },
        FootprintFilter {
            geographies: vec!["Western Europe".to_owned(), "JP-13".to_owned()],
            ..Default::default()
        },
        FootprintFilter {
            classifications: vec!["urn:pact:productclassification:un-cpc:4601".to_owned()],
            ..Default::default()
        },
        FootprintFilter {
            valid_on: vec![datetime!(2025-06-01 00:00 UTC)],
            ..Default::default()
        },
        FootprintFilter {
            valid_on: vec![datetime!(2024-06-01 00:00 UTC), datetime!(2027-06-01 00:00 UTC)],
            ..Default::default()
        },
        FootprintFilter {
            valid_after: vec![datetime!(2025-06-01 00:00 UTC)],
            ..Default::default()
        },
        FootprintFilter {
            valid_before: vec![datetime!(2026-06-01 00:00 UTC)],
            ..Default::default()
        },
        FootprintFilter {
            statuses: Some(vec![FootprintStatus::Deprecated]),
            ..Default::default()
        },
        FootprintFilter {
            statuses: Some(Vec::new()),
            ..Default::default()
        },
        FootprintFilter {
            owner: Some(b),
            ..Default::default()
        },
        FootprintFilter {
            product_ids: vec!["urn:junkan:family:0".to_owned()],
            geographies: vec!["JP".to_owned(), "DE".to_owned()],
            statuses: Some(vec![FootprintStatus::Active]),
            ..Default::default()
        },
        // One value of a kind drives the query through its index; the other kinds are probes.
        FootprintFilter {
            product_ids: vec!["urn:junkan:family:1".to_owned()],
            company_ids: vec!["urn:junkan:company:1".to_owned(), "urn:junkan:company:0".to_owned()],
            geographies: vec!["JP".to_owned()],
            ..Default::default()
        },
        FootprintFilter {
            geographies: vec!["JP".to_owned()],
            classifications: vec![
                "urn:pact:productclassification:un-cpc:4600".to_owned(),
                "urn:pact:productclassification:un-cpc:4603".to_owned(),
            ],
            statuses: Some(vec![FootprintStatus::Active, FootprintStatus::Deprecated]),
            ..Default::default()
        },
        FootprintFilter {
            company_ids: vec!["urn:junkan:company:0".to_owned()],
            valid_on: vec![datetime!(2025-06-01 00:00 UTC)],
            ..Default::default()
        },
        FootprintFilter {
            geographies: vec!["Global".to_owned()],
            ..Default::default()
        },
    ];
    for actor in [&member_a, &member_b] {
        for filter in &filters {
            let mut expected: Vec<String> = all
                .iter()
                .filter(|(footprint, owner)| {
                    filter.matches(footprint, *owner) && (actor.organization_id == Some(*owner) || *owner == b)
                })
                .map(|(footprint, _)| footprint.id.to_string())
                .collect();
            expected.sort();
            let mut seen = Vec::new();
            let mut page = PageRequest::first(2);
            loop {
                let found = store.list_footprints(actor, filter, &page).await.expect("list");
                assert!(found.items.len() <= 2);
                seen.extend(found.items.iter().map(|stored| stored.footprint.id.to_string()));
                match found.next_after {
                    Some(after) => page.after = Some(after),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "filter {filter:?} as {:?}", actor.organization_id);

            // The PACT v3 listing gives the same pages, each footprint as the v3 rendering of
            // what it is now (a deprecated one says so).
            let mut seen_v3 = Vec::new();
            let mut page = PageRequest::first(2);
            loop {
                let found = store
                    .list_footprints_pact_v3(actor, filter, &page)
                    .await
                    .expect("list v3");
                for item in &found.items {
                    let (footprint, _) = all
                        .iter()
                        .find(|(footprint, _)| footprint.id == item.id)
                        .expect("a stored footprint");
                    let text = item.json.as_deref().expect("every sample is expressible in v3");
                    let stored: serde_json::Value = serde_json::from_str(text).expect("JSON text");
                    assert_eq!(
                        stored,
                        junkan_footprint::pact::to_v3(footprint).expect("v3"),
                        "{}",
                        item.id
                    );
                    seen_v3.push(item.id.to_string());
                }
                match found.next_after {
                    Some(after) => page.after = Some(after),
                    None => break,
                }
            }
            assert_eq!(
                seen_v3, expected,
                "v3 listing of {filter:?} as {:?}",
                actor.organization_id
            );
        }
    }
}

/// PACT partners and the outbox: registration by node administrators, the callback allow-list,
/// `PublishedEvent`s for subscribed partners that may read the footprint, idempotent enqueuing,
/// exponential backoff, giving up after 3 days, delivery.
pub async fn pact_partners_and_outbox(store: &dyn Store, clock: &ManualClock) {
    use crate::{NewPactPartner, OutgoingPactEvent};

    let owner = organization(store, "通知元", &[CycleRole::Manufacturer]).await;
    let buyer = organization(store, "通知先", &[CycleRole::Manufacturer]).await;
    let member_owner = member_of(owner, &[Role::Member]);
    let member_buyer = member_of(buyer, &[Role::Member]);
    let new_partner = NewPactPartner {
        organization_id: buyer,
        name: "Buyer PACT".to_owned(),
        base_url: "https://PACT.buyer.example:443/".to_owned(),
        token_endpoint: None,
        client_id: "junkan".to_owned(),
        client_secret: "secret".to_owned(),
        notify_published: true,
    };
    assert!(matches!(
        store.create_pact_partner(&member_buyer, new_partner.clone()).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store
            .create_pact_partner(
                &Actor::system(),
                NewPactPartner {
                    base_url: "ftp://buyer.example".to_owned(),
                    ..new_partner.clone()
                }
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    let partner = store
        .create_pact_partner(&Actor::system(), new_partner.clone())
        .await
        .expect("partner");
    assert_eq!(partner.host, "pact.buyer.example");
    assert_eq!(partner.base_url, "https://PACT.buyer.example:443");
    assert!(matches!(
        store.create_pact_partner(&Actor::system(), new_partner).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store
            .pact_partner_at(&member_buyer, "pact.buyer.example")
            .await
            .expect("lookup"),
        Some(partner.clone())
    );
    assert_eq!(
        store
            .pact_partner_at(&member_buyer, "evil.example")
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        store
            .pact_partner_at(&member_owner, "pact.buyer.example")
            .await
            .expect("lookup"),
        None
    );

    // A restricted footprint the buyer may not read notifies nobody; a public one notifies it.
    store
        .create_footprint(&member_owner, sample_footprint("quiet"), Visibility::Restricted)
        .await
        .expect("restricted");
    assert!(store.pact_events_due(10).await.expect("due").is_empty());
    let public = sample_footprint("announced");
    store
        .create_footprint(&member_owner, public.clone(), Visibility::Public)
        .await
        .expect("public");
    let due = store.pact_events_due(10).await.expect("due");
    assert_eq!(due.len(), 1);
    let (published, to) = &due[0];
    assert_eq!(to.id, partner.id);
    assert_eq!(published.event_type, "org.wbcsd.pact.ProductFootprint.PublishedEvent.3");
    assert_eq!(
        published.event["data"]["pfIds"],
        serde_json::json!([public.id.to_string()])
    );

    // Enqueuing is idempotent per dedupe key, and only to partners of one's organization.
    let event = |id: &str| OutgoingPactEvent {
        dedupe_key: "fulfil:request-1".to_owned(),
        partner_id: partner.id,
        event: serde_json::json!({"specversion": "1.0", "id": id, "type": "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3", "data": {"requestEventId": "request-1", "pfs": []}}),
    };
    assert!(matches!(
        store.enqueue_pact_event(&member_owner, event("e-1")).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(store
        .enqueue_pact_event(&member_buyer, event("e-1"))
        .await
        .expect("enqueue"));
    assert!(!store
        .enqueue_pact_event(&member_buyer, event("e-2"))
        .await
        .expect("repeat"));
    assert_eq!(store.pact_events_due(10).await.expect("due").len(), 2);

    // Failures back off exponentially; delivery ends it; after 3 days the node gives up.
    let failed = store
        .record_pact_attempt("e-1", Err("connection refused".to_owned()))
        .await
        .expect("attempt");
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.next_attempt_at, START + Duration::seconds(2));
    assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
    let failed = store
        .record_pact_attempt("e-1", Err("503".to_owned()))
        .await
        .expect("attempt");
    assert_eq!(failed.next_attempt_at, START + Duration::seconds(4));
    assert_eq!(store.pact_events_due(10).await.expect("due").len(), 1, "e-1 waits");
    clock.advance(Duration::seconds(4));
    assert_eq!(store.pact_events_due(10).await.expect("due").len(), 2);
    let delivered = store
        .record_pact_attempt(&published.id, Ok(()))
        .await
        .expect("delivered");
    assert!(delivered.delivered_at.is_some());
    for _ in 0..200 {
        let entry = store
            .record_pact_attempt("e-1", Err("503".to_owned()))
            .await
            .expect("attempt");
        if entry.gave_up_at.is_some() {
            break;
        }
        clock.advance(entry.next_attempt_at - clock.now());
    }
    let outbox = store
        .list_pact_outbox(&member_buyer, &first_page())
        .await
        .expect("outbox");
    let given_up = outbox.items.iter().find(|entry| entry.id == "e-1").expect("e-1");
    assert!(given_up.gave_up_at.is_some());
    assert!(given_up.gave_up_at.expect("set") <= START + Duration::days(3) + Duration::hours(1));
    assert!(
        clock.now() >= START + Duration::days(3) - Duration::hours(1),
        "it tried for about 3 days"
    );
    assert!(store.pact_events_due(10).await.expect("due").is_empty());
    assert!(store
        .list_pact_outbox(&member_owner, &first_page())
        .await
        .expect("outbox")
        .items
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// Ouranos data transaction (issue 5)

/// Two Ouranos operators (buyer A, supplier B) with a plant each, and a third operator C.
struct OuranosWorld {
    a: Actor,
    b: Actor,
    c: Actor,
    plant_a: FacilityId,
    plant_b: FacilityId,
}

async fn ouranos_world(store: &dyn Store) -> OuranosWorld {
    use junkan_model::ouranos::PlantWrite;
    let mut actors = Vec::new();
    for (name, number) in [("A", "7000012050002"), ("B", "2010001008774"), ("C", "1000012010003")] {
        let id = store
            .create_organization(
                &Actor::system(),
                company(name, Some(number), &[CycleRole::Manufacturer]),
            )
            .await
            .expect("operator")
            .id;
        actors.push(member_of(id, &[Role::OrgAdmin, Role::Member]));
    }
    let mut plants = Vec::new();
    for (actor, open_plant_id) in [(&actors[0], "7000012050002000001"), (&actors[1], "2010001008774000001")] {
        let plant = store
            .put_ouranos_plant(
                actor,
                PlantWrite {
                    plant_id: None,
                    operator_id: actor.organization_id.expect("member"),
                    open_plant_id: open_plant_id.to_owned(),
                    plant_name: "第一工場".to_owned(),
                    plant_address: "愛知県豊田市1-1".to_owned(),
                    global_plant_id: None,
                },
            )
            .await
            .expect("plant");
        plants.push(plant.plant_id);
    }
    let mut actors = actors.into_iter();
    OuranosWorld {
        a: actors.next().expect("A"),
        b: actors.next().expect("B"),
        c: actors.next().expect("C"),
        plant_a: plants[0],
        plant_b: plants[1],
    }
}

fn ouranos_part(
    actor: &Actor,
    plant: FacilityId,
    name: &str,
    amount: Option<&str>,
    terminated: bool,
) -> junkan_model::ouranos::PartWrite {
    use junkan_model::ouranos::{AmountUnit, Part, PartWrite};
    PartWrite {
        trace_id: None,
        part: Part {
            trace_id: uuid::Uuid::nil(),
            operator_id: actor.organization_id.expect("member"),
            plant_id: plant,
            parts_name: name.to_owned(),
            support_parts_name: Some("2024".to_owned()),
            terminated,
            amount_required: amount.map(|text| text.parse().expect("decimal")),
            amount_required_unit: Some(AmountUnit::Kilogram),
            parts_label_name: None,
            parts_add_info: [None, None, None],
        },
    }
}

fn new_request(buyer: &Actor, part: uuid::Uuid, supplier: &Actor) -> junkan_model::ouranos::NewTradeRequest {
    junkan_model::ouranos::NewTradeRequest {
        downstream_operator_id: buyer.organization_id.expect("member"),
        downstream_trace_id: part,
        upstream_operator_id: supplier.organization_id.expect("member"),
        message: Some("来月中にご回答をお願いします。".to_owned()),
        response_due_date: time::macros::date!(2026 - 06 - 30),
    }
}

/// Parts with deterministic trace ids, structures that part updates never erase, trades with
/// their statuses: only the addressee answers or rejects, only the buyer cancels, the buyer's
/// amounts stay hidden from the supplier.
pub async fn ouranos_parts_structures_and_trades(store: &dyn Store, _clock: &ManualClock) {
    use junkan_model::ouranos::{
        CfpResponseStatus, PartFilter, PartsStructureWrite, StatusChange, StatusFilter, StatusTarget, TradeFilter,
        TradeTreeStatus,
    };
    let world = ouranos_world(store).await;
    let (a, b, c) = (&world.a, &world.b, &world.c);
    let structure = store
        .put_parts_structure(
            a,
            PartsStructureWrite {
                parent: ouranos_part(a, world.plant_a, "PACK", None, false),
                children: vec![ouranos_part(a, world.plant_a, "CELL", Some("5"), false)],
            },
        )
        .await
        .expect("structure");
    let (parent, child) = (structure.parent.trace_id, structure.children[0].trace_id);
    assert_eq!(
        parent,
        junkan_model::ouranos::trace_id(a.organization_id.expect("member"), world.plant_a, "PACK", Some("2024"))
    );
    // The same part written again is the same part; a part update keeps the structure.
    let mut relabel = ouranos_part(a, world.plant_a, "PACK", None, false);
    relabel.trace_id = Some(parent);
    relabel.part.parts_label_name = Some("Battery pack".to_owned());
    assert_eq!(
        store.put_ouranos_part(a, relabel).await.expect("update").trace_id,
        parent
    );
    let read = store.get_parts_structure(a, parent).await.expect("structure");
    assert_eq!(read.parent.parts_label_name.as_deref(), Some("Battery pack"));
    assert_eq!(read.children.len(), 1);
    assert_eq!(read.children[0].amount_required, Some("5".parse().expect("decimal")));
    // A given trace id must be the one the naming fields give.
    let mut renamed = ouranos_part(a, world.plant_a, "PACK-2", None, false);
    renamed.trace_id = Some(parent);
    assert!(matches!(
        store.put_ouranos_part(a, renamed).await,
        Err(StoreError::Invalid(_))
    ));
    // Other operators neither see nor write A's parts, nor use A's plant.
    assert!(matches!(
        store.get_parts_structure(b, parent).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .put_ouranos_part(b, ouranos_part(b, world.plant_a, "X", None, true))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let parents = store
        .list_ouranos_parts(
            a,
            &PartFilter {
                parents_only: true,
                ..PartFilter::default()
            },
            &first_page(),
        )
        .await
        .expect("parents");
    assert_eq!(
        parents.items.iter().map(|part| part.trace_id).collect::<Vec<_>>(),
        [parent]
    );
    // A part inside a structure cannot be deleted.
    assert!(matches!(
        store.delete_ouranos_part(a, child).await,
        Err(StoreError::Invalid(_))
    ));

    let request = store
        .create_trade_request(a, new_request(a, child, b))
        .await
        .expect("request");
    let trade_id = request.trade.trade_id;
    assert_eq!(request.status.cfp_response_status, CfpResponseStatus::NotCompleted);
    assert_eq!(request.status.trade_tree_status, TradeTreeStatus::Unterminated);
    // The supplier sees the buyer's part without the amount.
    let inbox = store.list_trade_responses(b, &first_page()).await.expect("inbox");
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0].part.trace_id, child);
    assert_eq!(inbox.items[0].part.amount_required, None);
    assert!(store
        .list_trade_responses(c, &first_page())
        .await
        .expect("none")
        .items
        .is_empty());

    let cells = store
        .put_ouranos_part(b, ouranos_part(b, world.plant_b, "B-CELL", None, true))
        .await
        .expect("supplier part");
    // Only the addressee answers: others do not find the trade, the buyer may not.
    assert!(matches!(
        store.answer_trade(c, trade_id, cells.trace_id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.answer_trade(a, trade_id, cells.trace_id).await,
        Err(StoreError::Forbidden { .. })
    ));
    // ... and only with a part of its own.
    assert!(matches!(
        store.answer_trade(b, trade_id, child).await,
        Err(StoreError::Invalid(_))
    ));
    let answered = store.answer_trade(b, trade_id, cells.trace_id).await.expect("answer");
    assert_eq!(answered.upstream_trace_id, Some(cells.trace_id));
    let requests = store
        .list_trade_requests(
            a,
            &TradeFilter {
                downstream_trace_ids: vec![child],
            },
            &first_page(),
        )
        .await
        .expect("requests");
    assert_eq!(requests.items, vec![answered.clone()]);
    let statuses = store
        .list_trade_statuses(
            a,
            &StatusFilter {
                target: Some(StatusTarget::Request),
                ..StatusFilter::default()
            },
            &first_page(),
        )
        .await
        .expect("statuses");
    let status = &statuses.items[0];
    assert_eq!(status.cfp_response_status, CfpResponseStatus::Completed);
    assert_eq!(status.trade_tree_status, TradeTreeStatus::Terminated);
    assert_eq!((status.trades_count, status.completed_count), (1, 1));

    // Cancel by the buyer, reject by the supplier, never the other way round.
    let second = store
        .create_trade_request(a, new_request(a, parent, b))
        .await
        .expect("second");
    let third = store
        .create_trade_request(a, new_request(a, parent, b))
        .await
        .expect("third");
    assert!(matches!(
        store
            .change_trade_status(b, second.status.status_id, StatusChange::Cancel)
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store
            .change_trade_status(a, third.status.status_id, StatusChange::Reject { reply_message: None })
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store
            .change_trade_status(c, third.status.status_id, StatusChange::Cancel)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let cancelled = store
        .change_trade_status(a, second.status.status_id, StatusChange::Cancel)
        .await
        .expect("cancel");
    assert_eq!(cancelled.cfp_response_status, CfpResponseStatus::Cancel);
    let rejected = store
        .change_trade_status(
            b,
            third.status.status_id,
            StatusChange::Reject {
                reply_message: Some("該当製品がありません".to_owned()),
            },
        )
        .await
        .expect("reject");
    assert_eq!(rejected.cfp_response_status, CfpResponseStatus::Reject);
    assert_eq!(rejected.reply_message.as_deref(), Some("該当製品がありません"));
    assert!(matches!(
        store.answer_trade(b, third.trade.trade_id, cells.trace_id).await,
        Err(StoreError::Invalid(_))
    ));
    // Newest first, paged by trade id.
    let page = store
        .list_trade_requests(a, &TradeFilter::default(), &PageRequest::first(2))
        .await
        .expect("page");
    assert_eq!(
        page.items.iter().map(|trade| trade.trade_id).collect::<Vec<_>>(),
        [third.trade.trade_id, second.trade.trade_id]
    );
    let rest = store
        .list_trade_requests(
            a,
            &TradeFilter::default(),
            &PageRequest {
                after: page.next_after.clone(),
                limit: 2,
            },
        )
        .await
        .expect("rest");
    assert_eq!(
        rest.items.iter().map(|trade| trade.trade_id).collect::<Vec<_>>(),
        [trade_id]
    );
    assert_eq!(rest.next_after, None);
}

fn ouranos_cfp(trace_id: uuid::Uuid, values: [&str; 4]) -> junkan_footprint::ouranos::CfpWrite {
    let rows: Vec<serde_json::Value> = [
        ("preProduction", "preProcessing"),
        ("mainProduction", "mainProcessing"),
        ("preComponent", "preProcessing"),
        ("mainComponent", "mainProcessing"),
    ]
    .iter()
    .zip(values)
    .map(|((cfp_type, dqr_type), value)| {
        let number: serde_json::Value = serde_json::from_str(value).expect("number");
        serde_json::json!({
            "cfpId": null, "traceId": trace_id.to_string(), "ghgEmission": number, "ghgDeclaredUnit": "kgCO2e/kilogram",
            "cfpType": cfp_type, "dqrType": dqr_type, "dqrValue": {"TeR": 2, "GeR": 2, "TiR": 2}
        })
    })
    .collect();
    junkan_footprint::ouranos::parse_write(&serde_json::Value::Array(rows)).expect("valid write")
}

/// A supplier's CFP reaches the buyer only through an answered trade, rolled up with the required
/// amount; the read is audited; nobody else sees it.
pub async fn ouranos_cfp_disclosure_and_rollup(store: &dyn Store, _clock: &ManualClock) {
    use junkan_footprint::ouranos::CfpType;
    use junkan_model::ouranos::PartsStructureWrite;
    let world = ouranos_world(store).await;
    let (a, b, c) = (&world.a, &world.b, &world.c);
    let structure = store
        .put_parts_structure(
            a,
            PartsStructureWrite {
                parent: ouranos_part(a, world.plant_a, "PACK", None, false),
                children: vec![ouranos_part(a, world.plant_a, "CELL", Some("5"), false)],
            },
        )
        .await
        .expect("structure");
    let (parent, child) = (structure.parent.trace_id, structure.children[0].trace_id);
    let cells = store
        .put_ouranos_part(b, ouranos_part(b, world.plant_b, "B-CELL", None, true))
        .await
        .expect("supplier part")
        .trace_id;
    let written = store
        .put_ouranos_cfp(b, ouranos_cfp(cells, ["1.5", "0.5", "0", "0"]))
        .await
        .expect("supplier CFP");
    let cfp_id = written[0].cfp_id.expect("cfpId");
    // Someone else's part cannot take a CFP.
    assert!(store
        .put_ouranos_cfp(a, ouranos_cfp(cells, ["1", "1", "0", "0"]))
        .await
        .is_err());
    // A rewrite keeps the cfpId.
    let rewritten = store
        .put_ouranos_cfp(b, ouranos_cfp(cells, ["1.5", "0.5", "0", "0"]))
        .await
        .expect("rewrite");
    assert_eq!(rewritten[0].cfp_id, Some(cfp_id));
    store
        .put_ouranos_cfp(a, ouranos_cfp(parent, ["0", "0.5", "0", "0"]))
        .await
        .expect("buyer CFP");

    let request = store
        .create_trade_request(a, new_request(a, child, b))
        .await
        .expect("request");
    // Before the answer: nothing of B's for A or C; the roll-up reports the missing component.
    assert!(store
        .ouranos_cfp_rows(a, &[child, cells])
        .await
        .expect("rows")
        .is_empty());
    let rolled = store.ouranos_rollup(a, parent).await.expect("roll-up");
    assert_eq!(rolled.missing.len(), 1);
    assert_eq!(rolled.missing[0].tier, 1);
    store
        .answer_trade(b, request.trade.trade_id, cells)
        .await
        .expect("answer");

    let rows = store.ouranos_cfp_rows(a, &[child]).await.expect("rows");
    let values: Vec<(CfpType, String)> = rows
        .iter()
        .map(|row| {
            (
                row.cfp_type,
                row.ghg_emission.expect("disclosed").normalize().to_string(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            (CfpType::PreProductionResponse, "1.5".to_owned()),
            (CfpType::MainProductionResponse, "0.5".to_owned())
        ]
    );
    assert_eq!(rows[0].trace_id, child);
    assert_eq!(rows[0].cfp_id, None);
    let totals: Vec<(CfpType, String)> = store
        .ouranos_cfp_rows(a, &[parent])
        .await
        .expect("parent rows")
        .iter()
        .map(|row| (row.cfp_type, row.ghg_emission.expect("own").normalize().to_string()))
        .collect();
    assert_eq!(
        totals[4..],
        [
            (CfpType::PreProductionTotal, "0".to_owned()),
            (CfpType::MainProductionTotal, "0.5".to_owned()),
            (CfpType::PreComponentTotal, "7.5".to_owned()),
            (CfpType::MainComponentTotal, "2.5".to_owned()),
        ]
    );
    let rolled = store.ouranos_rollup(a, parent).await.expect("roll-up");
    assert!(rolled.missing.is_empty());
    assert_eq!(rolled.total.normalize().to_string(), "10.5");
    // Nobody else: not C, not A through B's own trace id, not B through A's parts.
    assert!(store
        .ouranos_cfp_rows(c, &[cells, child, parent])
        .await
        .expect("rows")
        .is_empty());
    assert!(store.ouranos_cfp_rows(a, &[cells]).await.expect("rows").is_empty());
    assert!(store
        .ouranos_cfp_rows(b, &[parent, child])
        .await
        .expect("rows")
        .is_empty());
    assert!(matches!(
        store.ouranos_rollup(c, parent).await,
        Err(StoreError::NotFound { .. })
    ));
    // B's administrators see that A read B's part through the trade.
    let audit = store
        .list_audit(
            b,
            &AuditFilter {
                owner_organization_id: b.organization_id,
                record_id: Some(cells.to_string()),
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    assert!(audit
        .items
        .iter()
        .any(|entry| entry.actor_organization_id == a.organization_id && entry.record_kind == RecordKind::OuranosPart));
    // A cancelled trade discloses nothing any more.
    store
        .change_trade_status(a, request.status.status_id, junkan_model::ouranos::StatusChange::Cancel)
        .await
        .expect("cancel");
    assert!(store.ouranos_cfp_rows(a, &[child]).await.expect("rows").is_empty());
}

/// A tree of several tiers and companies written through the Ouranos operations (structures of
/// each company's own parts, bought parts linked by answered trades, CFP writes) rolls up in the
/// store exactly as the same tree does in memory: totals, stages, ratings, primary data share,
/// tiers and missing parts. Every supplier part read through a trade is audited for its owner,
/// once per line that uses it; a sub-tree rolls up for its own maker alone.
pub async fn ouranos_stored_tree_rolls_up_as_in_memory(store: &dyn Store, _clock: &ManualClock) {
    use junkan_footprint::rollup::{rollup, SupplyGraph};
    use std::collections::HashMap;

    let (parts, root) = junkan_footprint::synthetic::synthetic_tree(150, 5, 4, 3);
    // The tree has what the store must assemble: components of the maker's own and bought ones,
    // a part used by two parents, parts without a footprint.
    let organization: HashMap<&str, &str> = parts
        .iter()
        .map(|part| (part.id.as_str(), part.organization.as_str()))
        .collect();
    let lines: Vec<(&str, &str)> = parts
        .iter()
        .flat_map(|part| {
            part.components
                .iter()
                .map(move |component| (part.id.as_str(), component.part.as_str()))
        })
        .collect();
    let bought = lines
        .iter()
        .filter(|(parent, child)| organization[parent] != organization[child])
        .count();
    assert!(bought > 0 && bought < lines.len(), "bought and own components");
    assert!(lines.len() > parts.len() - 1, "a part used by two parents");
    assert!(
        parts.iter().any(|part| part.footprint.is_none()),
        "a part without a CFP"
    );

    let tree = crate::supply_tree::write_supply_tree(store, &parts, &root)
        .await
        .expect("tree written");
    assert_eq!(tree.counts.operators, 5);
    assert_eq!(tree.counts.lines, lines.len());
    let expected = rollup(&tree.expected, &tree.root.to_string()).expect("in memory");
    assert_eq!(expected.parts_visited, 150);
    assert!(!expected.missing.is_empty());
    let stored = store
        .ouranos_rollup(&tree.root_actor, tree.root)
        .await
        .expect("stored roll-up");
    assert_eq!(stored, expected);
    // The emissions are those of the tree as generated (only the primary data share is derived
    // from the CFP rows by the store).
    let original = rollup(&SupplyGraph::new(parts.clone()).expect("graph"), &root).expect("original");
    assert_eq!(stored.total, original.total);
    assert_eq!(stored.stages, original.stages);
    assert_eq!(stored.tiers, original.tiers);

    // Each supplier sees the automaker's reads of its parts: each part bought from it once (the
    // roll-up's reads of one supplier are one entry, listed per part), under one sequence.
    let automaker = tree.root_actor.organization_id;
    let stored_id: HashMap<&str, &str> = parts
        .iter()
        .zip(tree.expected.parts())
        .map(|(part, stored)| (part.id.as_str(), stored.id.as_str()))
        .collect();
    for operator in &tree.operators {
        let supplier = operator.actor.organization_id;
        if supplier == automaker {
            continue;
        }
        let items = all_audit_items(
            store,
            &operator.actor,
            &AuditFilter {
                owner_organization_id: supplier,
                record_id: None,
                action: Some(AuditAction::Read),
                ..Default::default()
            },
        )
        .await;
        let reads: Vec<&AuditEntry> = items
            .iter()
            .filter(|entry| entry.actor_organization_id == automaker && entry.record_kind == RecordKind::OuranosPart)
            .collect();
        let mut read_parts: Vec<&str> = reads.iter().map(|entry| entry.record_id.as_str()).collect();
        read_parts.sort_unstable();
        let mut expected_parts: Vec<&str> = lines
            .iter()
            .filter(|(parent, child)| {
                organization[child] == operator.label.as_str() && organization[parent] != organization[child]
            })
            .map(|(_, child)| stored_id[child])
            .collect();
        expected_parts.sort_unstable();
        expected_parts.dedup();
        assert_eq!(read_parts, expected_parts, "reads of {}'s parts", operator.label);
        if let Some(first) = reads.first() {
            assert!(
                reads.iter().all(|entry| entry.sequence == first.sequence),
                "one entry per supplier and roll-up"
            );
        }
    }

    // A tier-1 part rolls up for its maker as in memory; the automaker cannot roll up a
    // supplier's part by its trace id.
    let first_tier = &parts[1];
    let maker = tree
        .operators
        .iter()
        .find(|operator| operator.label == first_tier.organization)
        .expect("maker");
    let trace_id: uuid::Uuid = tree.expected.parts()[1].id.parse().expect("trace id");
    let sub_tree = store.ouranos_rollup(&maker.actor, trace_id).await.expect("sub-tree");
    assert_eq!(
        sub_tree,
        rollup(&tree.expected, &trace_id.to_string()).expect("in memory")
    );
    if maker.actor.organization_id != automaker {
        assert!(matches!(
            store.ouranos_rollup(&tree.root_actor, trace_id).await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

/// A component linked by several answered trades rolls up with the part of the trade answered
/// last (not the one requested last); once that trade is cancelled, the one answered before
/// counts again; a rewrite of the supplier's CFP counts at once; a CFP the buyer writes for the
/// component itself replaces the supplier's.
pub async fn ouranos_rollup_takes_the_trade_answered_last(store: &dyn Store, clock: &ManualClock) {
    use junkan_model::ouranos::{PartsStructureWrite, StatusChange};
    let world = ouranos_world(store).await;
    let (a, b) = (&world.a, &world.b);
    let structure = store
        .put_parts_structure(
            a,
            PartsStructureWrite {
                parent: ouranos_part(a, world.plant_a, "PACK", None, false),
                children: vec![ouranos_part(a, world.plant_a, "CELL", Some("2"), false)],
            },
        )
        .await
        .expect("structure");
    let (pack, cell) = (structure.parent.trace_id, structure.children[0].trace_id);
    let mut supplier_parts = Vec::new();
    for (name, values) in [("B-CELL-1", ["1", "0", "0", "0"]), ("B-CELL-2", ["5", "0", "0", "0"])] {
        let part = store
            .put_ouranos_part(b, ouranos_part(b, world.plant_b, name, None, true))
            .await
            .expect("supplier part")
            .trace_id;
        store
            .put_ouranos_cfp(b, ouranos_cfp(part, values))
            .await
            .expect("supplier CFP");
        supplier_parts.push(part);
    }
    let first = store
        .create_trade_request(a, new_request(a, cell, b))
        .await
        .expect("first request");
    clock.advance(Duration::minutes(1));
    let second = store
        .create_trade_request(a, new_request(a, cell, b))
        .await
        .expect("second request");
    // The later request is answered first, the earlier one a minute later.
    clock.advance(Duration::minutes(1));
    store
        .answer_trade(b, second.trade.trade_id, supplier_parts[1])
        .await
        .expect("answer");
    clock.advance(Duration::minutes(1));
    store
        .answer_trade(b, first.trade.trade_id, supplier_parts[0])
        .await
        .expect("answer");
    let rolled = store.ouranos_rollup(a, pack).await.expect("roll-up");
    assert_eq!(rolled.total.to_string(), "2", "2 × B-CELL-1 (1 kgCO2e)");
    assert_eq!(rolled.parts_visited, 2);
    clock.advance(Duration::minutes(1));
    store
        .change_trade_status(a, first.status.status_id, StatusChange::Cancel)
        .await
        .expect("cancel");
    let rolled = store.ouranos_rollup(a, pack).await.expect("roll-up");
    assert_eq!(rolled.total.to_string(), "10", "2 × B-CELL-2 (5 kgCO2e)");
    // The supplier's rewrite of its CFP reaches the buyer's roll-up.
    store
        .put_ouranos_cfp(b, ouranos_cfp(supplier_parts[1], ["7", "0", "0", "0"]))
        .await
        .expect("rewrite");
    let rolled = store.ouranos_rollup(a, pack).await.expect("roll-up");
    assert_eq!(rolled.total.to_string(), "14", "2 × B-CELL-2 (7 kgCO2e)");
    // Once the buyer writes a CFP of its own for the component, that CFP counts, not the
    // supplier's, and nothing of the supplier's is read.
    let before = all_audit_items(store, b, &AuditFilter::default()).await.len();
    store
        .put_ouranos_cfp(a, ouranos_cfp(cell, ["3", "0", "0", "0"]))
        .await
        .expect("buyer's own CFP of the component");
    let rolled = store.ouranos_rollup(a, pack).await.expect("roll-up");
    assert_eq!(rolled.total.to_string(), "6", "2 × A's CELL (3 kgCO2e)");
    assert_eq!(all_audit_items(store, b, &AuditFilter::default()).await.len(), before);
}

/// A request that reads several restricted records of one owner under one grant is one audit
/// entry naming them all; each owner's administrators still see every record read, when, by
/// whom, under which grant, for what purpose and in which request, and filter by record; they
/// see nothing about other owners' records, and neither does the reader.
pub async fn audit_batched_reads_list_each_record(store: &dyn Store, _clock: &ManualClock) {
    let a = organization(store, "監査A", &[CycleRole::Manufacturer]).await;
    let b = organization(store, "監査B", &[CycleRole::Manufacturer]).await;
    let reader = organization(store, "監査R", &[CycleRole::Manufacturer]).await;
    let mut grants = std::collections::HashMap::new();
    let mut published: std::collections::HashMap<OrganizationId, Vec<String>> = std::collections::HashMap::new();
    for (owner, count) in [(a, 5), (b, 3)] {
        for number in 0..count {
            let mut footprint = sample_footprint(&format!("audited-{owner}-{number}"));
            footprint.company_ids = vec![format!("urn:junkan:company:{owner}")];
            store
                .create_footprint(
                    &member_of(owner, &[Role::Member]),
                    footprint.clone(),
                    Visibility::Restricted,
                )
                .await
                .expect("footprint");
            published.entry(owner).or_default().push(footprint.id.to_string());
        }
        let grant = store
            .create_grant(
                &member_of(owner, &[Role::OrgAdmin]),
                NewGrant {
                    record_class: None,
                    max_reads: None,
                    enforce_purpose: false,
                    grantee: Grantee::Organization {
                        organization_id: reader,
                    },
                    record_kind: RecordKind::Footprint,
                    record_ids: None,
                    level: GrantLevel::Full,
                    purpose: Some("PACT exchange".to_owned()),
                    expires_at: START + Duration::days(30),
                    fields: None,
                },
            )
            .await
            .expect("grant");
        grants.insert(owner, grant.id);
    }
    let reading = |request: &str| Actor {
        request_id: Some(request.to_owned()),
        purpose: Some("scope 3".to_owned()),
        ..member_of(reader, &[Role::Member])
    };
    for request in ["request-1", "request-2"] {
        let listed = store
            .list_footprints(
                &reading(request),
                &junkan_footprint::FootprintFilter::default(),
                &first_page(),
            )
            .await
            .expect("list");
        assert_eq!(listed.items.len(), 8);
    }
    let reads = AuditFilter {
        action: Some(AuditAction::Read),
        ..AuditFilter::default()
    };
    for (owner, other) in [(a, b), (b, a)] {
        let items = all_audit_items(store, &member_of(owner, &[Role::OrgAdmin]), &reads).await;
        // Each request's reads of this owner's records: one entry, listed once per record.
        let mut expected = Vec::new();
        for request in ["request-1", "request-2"] {
            let of_request: Vec<&AuditEntry> = items
                .iter()
                .filter(|entry| entry.request_id.as_deref() == Some(request))
                .collect();
            let mut records: Vec<&str> = of_request.iter().map(|entry| entry.record_id.as_str()).collect();
            let mut ids: Vec<&str> = published[&owner].iter().map(String::as_str).collect();
            ids.sort_unstable();
            assert_eq!(records, ids, "every record read in {request}, in record order");
            records.dedup();
            assert_eq!(records.len(), ids.len());
            assert!(of_request.iter().all(|entry| entry.sequence == of_request[0].sequence
                && entry.actor_organization_id == Some(reader)
                && entry.owner_organization_id == Some(owner)
                && entry.grant_id == Some(grants[&owner])
                && entry.record_kind == RecordKind::Footprint
                && entry.purpose.as_deref() == Some("scope 3")));
            expected.push(of_request[0].sequence);
        }
        assert!(expected[0] < expected[1]);
        assert_eq!(items.len(), 2 * published[&owner].len());
        // One record: its read in each request.
        let record = &published[&owner][1];
        let filtered = all_audit_items(
            store,
            &member_of(owner, &[Role::OrgAdmin]),
            &AuditFilter {
                record_id: Some(record.clone()),
                ..reads.clone()
            },
        )
        .await;
        assert_eq!(
            filtered
                .iter()
                .map(|entry| (entry.sequence, entry.record_id.as_str(), entry.request_id.as_deref()))
                .collect::<Vec<_>>(),
            vec![
                (expected[0], record.as_str(), Some("request-1")),
                (expected[1], record.as_str(), Some("request-2"))
            ]
        );
        // Nothing about the other owner's records, even when asked for one of them.
        assert!(all_audit_items(
            store,
            &member_of(owner, &[Role::OrgAdmin]),
            &AuditFilter {
                record_id: Some(published[&other][0].clone()),
                ..AuditFilter::default()
            },
        )
        .await
        .is_empty());
    }
    // The reader's administrators see no entry about the owners' records.
    let readers_view = all_audit_items(store, &member_of(reader, &[Role::OrgAdmin]), &AuditFilter::default()).await;
    assert!(readers_view
        .iter()
        .all(|entry| entry.owner_organization_id == Some(reader)));
    // An auditor sees both owners' entries: the 16 records read.
    let everything = all_audit_items(
        store,
        &member_of(reader, &[Role::Auditor]),
        &AuditFilter {
            action: Some(AuditAction::Read),
            ..AuditFilter::default()
        },
    )
    .await;
    assert_eq!(
        everything
            .iter()
            .filter(|entry| entry.actor_organization_id == Some(reader))
            .count(),
        16
    );
    // A read of a single record stays an entry of its own.
    let single = published[&a][0].parse().expect("footprint id");
    store
        .get_footprint(&reading("request-3"), single)
        .await
        .expect("granted");
    let third: Vec<AuditEntry> = all_audit_items(store, &member_of(a, &[Role::OrgAdmin]), &reads)
        .await
        .into_iter()
        .filter(|entry| entry.request_id.as_deref() == Some("request-3"))
        .collect();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].record_id, published[&a][0]);
}

/// A roll-up that is refused (a loop through two companies' trades, or a caller who does not own
/// the part) returns nothing and writes no audit entry, though it read the suppliers' parts.
pub async fn ouranos_failed_rollup_audits_nothing(store: &dyn Store, _clock: &ManualClock) {
    use junkan_model::ouranos::PartsStructureWrite;
    let world = ouranos_world(store).await;
    let (a, b, c) = (&world.a, &world.b, &world.c);
    // A's pack is made of a cell bought from B; B's cell is made of a part bought from A, which
    // A answers with the pack itself.
    let pack = store
        .put_parts_structure(
            a,
            PartsStructureWrite {
                parent: ouranos_part(a, world.plant_a, "PACK", None, false),
                children: vec![ouranos_part(a, world.plant_a, "CELL", Some("2"), false)],
            },
        )
        .await
        .expect("structure");
    let cell = store
        .put_parts_structure(
            b,
            PartsStructureWrite {
                parent: ouranos_part(b, world.plant_b, "B-CELL", None, false),
                children: vec![ouranos_part(b, world.plant_b, "B-SUB", Some("1"), false)],
            },
        )
        .await
        .expect("structure");
    for (buyer, bought, supplier, answer) in [
        (a, pack.children[0].trace_id, b, cell.parent.trace_id),
        (b, cell.children[0].trace_id, a, pack.parent.trace_id),
    ] {
        let request = store
            .create_trade_request(buyer, new_request(buyer, bought, supplier))
            .await
            .expect("request");
        store
            .answer_trade(supplier, request.trade.trade_id, answer)
            .await
            .expect("answer");
    }
    let reads = AuditFilter {
        action: Some(AuditAction::Read),
        ..AuditFilter::default()
    };
    let auditor = member_of(c.organization_id.expect("member"), &[Role::Auditor]);
    let before = all_audit_items(store, &auditor, &reads).await;
    assert!(matches!(
        store.ouranos_rollup(a, pack.parent.trace_id).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.ouranos_rollup(b, cell.parent.trace_id).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.ouranos_rollup(c, pack.parent.trace_id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(all_audit_items(store, &auditor, &reads).await, before);
}

/// A part bought from an organization of a peer node (issue 10): the buyer's link, the parts a
/// roll-up asks peers about, the provider's roll-up for a reader under a footprint grant (audited,
/// refused without or after the grant) and the buyer's roll-up with the answer or a withheld tier.
/// Both "nodes" live in one store here; the HTTP exchange is tested with real processes
/// (cli/tests/federation.rs).
pub async fn ouranos_rollup_continues_with_a_peers_answer(store: &dyn Store, clock: &ManualClock) {
    use junkan_footprint::rollup::{MissingReason, RemoteOutcome, RemotePart};
    use junkan_model::federation::NewRemoteSupply;
    use junkan_model::ouranos::PartsStructureWrite;
    let world = ouranos_world(store).await;
    let (a, b, c) = (&world.a, &world.b, &world.c);
    let structure = store
        .put_parts_structure(
            a,
            PartsStructureWrite {
                parent: ouranos_part(a, world.plant_a, "PACK", None, false),
                children: vec![ouranos_part(a, world.plant_a, "CELL", Some("5"), false)],
            },
        )
        .await
        .expect("structure");
    let (parent, child) = (structure.parent.trace_id, structure.children[0].trace_id);
    store
        .put_ouranos_cfp(a, ouranos_cfp(parent, ["0", "0.5", "0", "0"]))
        .await
        .expect("buyer CFP");
    let cells = store
        .put_ouranos_part(b, ouranos_part(b, world.plant_b, "B-CELL", None, true))
        .await
        .expect("supplier part")
        .trace_id;
    store
        .put_ouranos_cfp(b, ouranos_cfp(cells, ["1.5", "0.5", "0", "0"]))
        .await
        .expect("supplier CFP");
    let peer = store
        .create_peer(
            &Actor::system(),
            "https://cells.example",
            "did:web:cells.example",
            &serde_json::json!({"id": "did:web:cells.example"}),
        )
        .await
        .expect("peer");
    let supplier_did = format!("did:web:cells.example:organizations:{}", b.organization_id.expect("B"));
    let link = NewRemoteSupply {
        peer_id: peer.id,
        supplier_did: supplier_did.clone(),
        supplier_trace_id: cells,
    };

    // Only the part's operator links it, to a registered peer.
    assert!(matches!(
        store.put_ouranos_remote_supply(c, child, &link).await,
        Err(StoreError::NotFound { .. })
    ));
    let unknown_peer = NewRemoteSupply {
        peer_id: junkan_model::ids::PeerId::derived("nope"),
        ..link.clone()
    };
    assert!(matches!(
        store.put_ouranos_remote_supply(a, child, &unknown_peer).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(store
        .ouranos_remote_supplies_below(a, parent)
        .await
        .expect("none")
        .is_empty());
    let stored = store.put_ouranos_remote_supply(a, child, &link).await.expect("link");
    assert_eq!((stored.trace_id, stored.supplier_trace_id), (child, cells));
    assert_eq!(
        store.list_ouranos_remote_supplies(a).await.expect("list"),
        vec![stored.clone()]
    );
    assert!(store.list_ouranos_remote_supplies(c).await.expect("list").is_empty());
    assert_eq!(
        store.ouranos_remote_supplies_below(a, parent).await.expect("below"),
        vec![stored.clone()]
    );
    assert!(matches!(
        store.ouranos_remote_supplies_below(c, parent).await,
        Err(StoreError::NotFound { .. })
    ));

    // The provider side: C (standing for the buyer's organization on B's node) reads B's
    // roll-up only under a grant on the footprint of B's CFP.
    assert!(matches!(
        store.ouranos_rollup_for_reader(c, cells).await,
        Err(StoreError::NotFound { .. })
    ));
    let admin_b = member_of(b.organization_id.expect("B"), &[Role::OrgAdmin, Role::Member]);
    let grant = store
        .create_grant(
            &admin_b,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization {
                    organization_id: c.organization_id.expect("C"),
                },
                record_kind: RecordKind::Footprint,
                record_ids: None,
                level: GrantLevel::Full,
                purpose: Some("cfp_rollup".to_owned()),
                expires_at: clock.now() + Duration::days(1),
                fields: None,
            },
        )
        .await
        .expect("grant");
    // What the grant covers, paged for the grantee: B's two CFP footprints, not A's.
    let anodes = store
        .put_ouranos_part(b, ouranos_part(b, world.plant_b, "B-ANODE", None, true))
        .await
        .expect("second supplier part")
        .trace_id;
    store
        .put_ouranos_cfp(b, ouranos_cfp(anodes, ["0.25", "0.75", "0", "0"]))
        .await
        .expect("second supplier CFP");
    let (kind, first, more) = store
        .granted_record_ids(c, grant.id, None, 1)
        .await
        .expect("first page");
    assert_eq!((kind, first.len(), more), (RecordKind::Footprint, 1, true));
    let (_, second, more) = store
        .granted_record_ids(c, grant.id, Some(&first[0]), 1)
        .await
        .expect("second page");
    assert_eq!((second.len(), more), (1, false));
    assert!(first[0] < second[0], "in id order");
    for id in first.iter().chain(&second) {
        let footprint = store
            .get_footprint(c, id.parse().expect("footprint id"))
            .await
            .expect("granted footprint");
        assert_eq!(footprint.owner_organization_id, b.organization_id.expect("B"));
    }
    assert!(matches!(
        store.granted_record_ids(a, grant.id, None, 10).await,
        Err(StoreError::NotFound { .. })
    ));
    let (rolled, value, operator) = store.ouranos_rollup_for_reader(c, cells).await.expect("granted");
    assert_eq!(operator, b.organization_id.expect("B"));
    assert_eq!(rolled.total.to_string(), "2");
    assert_eq!(value.total().normalize().to_string(), "2");
    let audit = store
        .list_audit(
            b,
            &AuditFilter {
                owner_organization_id: b.organization_id,
                grant_id: Some(grant.id),
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    // The two footprints read above, then the CFP's footprint read by the roll-up.
    assert_eq!(audit.items.len(), 3, "the reads under the grant are audited for B");
    assert!(audit
        .items
        .iter()
        .all(|entry| entry.record_kind == RecordKind::Footprint));
    // A part without a CFP of its own is not found either.
    assert!(matches!(
        store.ouranos_rollup_for_reader(c, child).await,
        Err(StoreError::NotFound { .. })
    ));

    // The buyer's roll-up with the answer: 0.5 + 5 × 2 = 10.5, the tier as on one node.
    let answered = |outcome| RemotePart {
        part: child.to_string(),
        peer: peer.did.clone(),
        supplier: supplier_did.clone(),
        supplier_part: cells.to_string(),
        outcome,
    };
    let rolled = store
        .ouranos_rollup_with_remote(
            a,
            parent,
            vec![answered(RemoteOutcome::Answered(Box::new(value.clone())))],
        )
        .await
        .expect("roll-up");
    assert_eq!(rolled.total.to_string(), "10.5");
    assert!(rolled.missing.is_empty());
    assert_eq!(rolled.remote_supplies.len(), 1);
    assert_eq!(rolled.remote_supplies[0].total.to_string(), "2");
    let withheld = store
        .ouranos_rollup_with_remote(
            a,
            parent,
            vec![answered(RemoteOutcome::Withheld {
                detail: "revoked".to_owned(),
            })],
        )
        .await
        .expect("roll-up");
    assert_eq!(withheld.total.to_string(), "0.5");
    assert_eq!(withheld.missing.len(), 1);
    assert_eq!(withheld.missing[0].reason, MissingReason::Withheld);
    assert_eq!(withheld.missing[0].peer.as_deref(), Some("did:web:cells.example"));

    // Revoked: the provider refuses at once.
    store.revoke_grant(&admin_b, grant.id).await.expect("revoke");
    assert!(matches!(
        store.granted_record_ids(c, grant.id, None, 10).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.ouranos_rollup_for_reader(c, cells).await,
        Err(StoreError::NotFound { .. })
    ));

    // The link goes; a second removal finds nothing.
    store.delete_ouranos_remote_supply(a, child).await.expect("delete");
    assert!(matches!(
        store.delete_ouranos_remote_supply(a, child).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.list_ouranos_remote_supplies(a).await.expect("list").is_empty());
}
