//! Contract cases for Circular Partners (issue 8): the secretariat's designation, applications
//! and their review, targets in each member type's format with versions and imports, follow-ups
//! with their flags, and who reads what (audited for the secretariat).

use rust_decimal::Decimal;
use time::macros::date;

use junkan_model::access::RecordKind;
use junkan_model::audit::{AuditAction, AuditFilter};
use junkan_model::ids::{OrganizationId, PartnerTargetId};
use junkan_model::organization::{NewOrganization, OrganizationType};
use junkan_model::principal::{Actor, Role};
use junkan_partners::membership::{Decision, MembershipSettings, MembershipStatus, NewApplication, Review, Withdrawal};
use junkan_partners::targets::{FollowUpSubmission, Project, Quantitative, TargetSubmission};
use junkan_partners::{
    AchievementBand, FollowUpFilter, MemberType, MembershipFilter, ProgressStatus, TargetCategory, TargetFilter,
    WorkingGroup,
};

use super::{all_audit_items, company, member_of};
use crate::{ManualClock, Store, StoreError};

async fn register(store: &dyn Store, new: NewOrganization) -> OrganizationId {
    store
        .create_organization(&Actor::system(), new)
        .await
        .expect("valid organization")
        .id
}

fn of_type(name: &str, kind: OrganizationType, code: Option<&str>) -> NewOrganization {
    NewOrganization {
        organization_type: kind,
        company_size: None,
        local_government_code: code.map(str::to_owned),
        prefecture_code: if code.is_some() { None } else { Some("13".to_owned()) },
        industries: vec![],
        ..company(name, None, &[])
    }
}

fn business_target(year: i32) -> TargetSubmission {
    TargetSubmission {
        categories: vec![TargetCategory::ResourceCirculation],
        content: Some("再生材利用率を2030年度までに30%へ".to_owned()),
        quantitative: Some(Quantitative {
            indicator: "再生材利用率".to_owned(),
            scope: "全製品".to_owned(),
            baseline_year: 2022,
            baseline_value: Decimal::from(10),
            target_value: Decimal::from(30),
            unit: "%".to_owned(),
            target_year: year,
        }),
        project: None,
        publication_url: Some("https://example.com/ce".to_owned()),
        linked_indicator: None,
    }
}

fn invalid_paths<T: std::fmt::Debug>(result: Result<T, StoreError>) -> Vec<String> {
    match result {
        Err(StoreError::Invalid(violations)) => violations.into_iter().map(|violation| violation.path).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn approve() -> Review {
    Review {
        decision: Decision::Approve,
        reason: None,
        join_date: None,
    }
}

/// Applications, review by the secretariat alone, targets per format with versions, follow-ups
/// with flags, imports all or nothing, publication and the audited reads of the secretariat.
pub async fn partner_memberships_targets_and_follow_ups(store: &dyn Store, _clock: &ManualClock) {
    let maker = register(store, company("会員", None, &[])).await;
    let other = register(store, company("他社", None, &[])).await;
    let office = register(store, of_type("事務局", OrganizationType::RelatedOrganization, None)).await;
    let city = register(
        store,
        of_type("北九州市", OrganizationType::Municipality, Some("401005")),
    )
    .await;
    let campus = register(
        store,
        of_type("循環大学", OrganizationType::UniversityOrResearchInstitute, None),
    )
    .await;
    let ministry = register(store, of_type("省", OrganizationType::GovernmentBody, None)).await;
    let admin = |organization| member_of(organization, &[Role::OrgAdmin, Role::Member]);
    let (maker_admin, other_admin, secretariat) = (admin(maker), admin(other), member_of(office, &[Role::Member]));
    let maker_member = member_of(maker, &[Role::Member]);

    // The secretariat is designated by a node administrator only.
    assert!(matches!(
        store.designate_partner_secretariat(&maker_admin, maker).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert_eq!(store.partner_secretariat().await.expect("read"), None);

    // Applications: by the organization's administrators, one open at a time; government bodies
    // are observers.
    assert!(matches!(
        store
            .apply_for_membership(&maker_member, NewApplication::default())
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert_eq!(
        invalid_paths(
            store
                .apply_for_membership(&admin(ministry), NewApplication::default())
                .await
        ),
        [""]
    );
    let application = store
        .apply_for_membership(
            &maker_admin,
            NewApplication {
                note: Some("再生材の利用拡大".to_owned()),
                working_groups: vec![WorkingGroup::InformationPlatform],
                publish: false,
                follow_up_interval_months: None,
            },
        )
        .await
        .expect("applied");
    assert_eq!(application.status, MembershipStatus::Applied);
    assert_eq!(application.member_type, MemberType::SmeCompany);
    assert!(matches!(
        store
            .apply_for_membership(&maker_admin, NewApplication::default())
            .await,
        Err(StoreError::Conflict { .. })
    ));
    // No target before approval.
    assert!(matches!(
        store.submit_partner_target(&maker_member, business_target(2030)).await,
        Err(StoreError::Forbidden { .. })
    ));
    // Without a designated secretariat nobody reviews; other organizations do not even see the
    // application.
    assert!(matches!(
        store.review_membership(&secretariat, application.id, approve()).await,
        Err(StoreError::NotFound { .. })
    ));
    store
        .designate_partner_secretariat(&Actor::system(), office)
        .await
        .expect("designated");
    assert_eq!(
        store
            .partner_secretariat()
            .await
            .expect("read")
            .map(|it| it.organization_id),
        Some(office)
    );
    assert!(matches!(
        store.review_membership(&other_admin, application.id, approve()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.review_membership(&maker_admin, application.id, approve()).await,
        Err(StoreError::Forbidden { .. })
    ));
    assert_eq!(
        invalid_paths(
            store
                .review_membership(
                    &secretariat,
                    application.id,
                    Review {
                        decision: Decision::Reject,
                        reason: None,
                        join_date: None
                    }
                )
                .await
        ),
        ["/reason"]
    );
    let member = store
        .review_membership(&secretariat, application.id, approve())
        .await
        .expect("approved");
    assert_eq!(
        (member.status, member.joined_on),
        (MembershipStatus::Approved, Some(date!(2026 - 04 - 01)))
    );
    assert!(matches!(
        store.review_membership(&secretariat, application.id, approve()).await,
        Err(StoreError::Conflict { .. })
    ));

    // Targets in the company format: wrong category, past year and long text refused, nothing
    // stored.
    let mut wrong = business_target(2025);
    wrong.categories = vec![TargetCategory::SocialImpact];
    wrong.content = Some("長".repeat(1001));
    assert_eq!(
        invalid_paths(store.submit_partner_target(&maker_member, wrong).await),
        ["/categories/0", "/content", "/quantitative/target_year"]
    );
    let mine = TargetFilter {
        organization: Some(maker),
        ..TargetFilter::default()
    };
    assert!(store
        .list_partner_targets(&maker_member, &mine)
        .await
        .expect("list")
        .is_empty());
    let target = store
        .submit_partner_target(&maker_member, business_target(2030))
        .await
        .expect("submitted");
    assert_eq!((target.version, target.current, target.published), (1, true, false));

    // Unpublished: other organizations and the public see nothing; the secretariat sees it,
    // audited.
    assert!(matches!(
        store
            .edit_partner_target(&other_admin, target.id, business_target(2031))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .list_partner_targets(&Actor::anonymous(), &mine)
        .await
        .expect("list")
        .is_empty());
    assert_eq!(
        store
            .list_partner_targets(&secretariat, &mine)
            .await
            .expect("list")
            .len(),
        1
    );
    let audited = all_audit_items(
        store,
        &maker_admin,
        &AuditFilter {
            owner_organization_id: Some(maker),
            record_id: Some(target.id.to_string()),
            action: Some(AuditAction::Read),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(audited.len(), 1, "the secretariat's read of an unpublished target");
    assert_eq!(audited[0].record_kind, RecordKind::PartnerTarget);

    // Publishing opens them to everyone; still only the member edits.
    store
        .update_membership(
            &maker_admin,
            member.id,
            MembershipSettings {
                publish: Some(true),
                ..MembershipSettings::default()
            },
        )
        .await
        .expect("published");
    assert_eq!(
        store
            .list_partner_targets(&Actor::anonymous(), &mine)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(matches!(
        store
            .edit_partner_target(&other_admin, target.id, business_target(2031))
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    let edited = store
        .edit_partner_target(&maker_member, target.id, business_target(2032))
        .await
        .expect("edited");
    assert_eq!((edited.id, edited.version), (target.id, 2));
    let versions = store
        .list_partner_target_versions(&maker_member, target.id)
        .await
        .expect("versions");
    assert_eq!(
        versions.iter().map(|it| (it.version, it.current)).collect::<Vec<_>>(),
        [(1, false), (2, true)]
    );
    assert_eq!(
        store
            .get_partner_target(&maker_member, target.id, Some(1))
            .await
            .expect("first version")
            .submission
            .quantitative
            .map(|it| it.target_year),
        Some(2030)
    );

    // Follow-ups: a target that does not exist, a contradiction flagged, one per fiscal year.
    let report = FollowUpSubmission {
        fiscal_year: 2025,
        achievement_band: Some(AchievementBand::From80),
        progress_status: Some(ProgressStatus::MostlyOnPlan),
        current_value: Some(Decimal::from(14)),
        current_year: Some(2025),
        ..FollowUpSubmission::default()
    };
    assert!(matches!(
        store
            .submit_follow_up(&maker_member, PartnerTargetId::generate(), report.clone())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.submit_follow_up(&other_admin, target.id, report.clone()).await,
        Err(StoreError::Forbidden { .. })
    ));
    let flagged = store
        .submit_follow_up(&maker_member, target.id, report.clone())
        .await
        .expect("accepted and flagged");
    assert_eq!(
        flagged.flags.iter().map(|flag| flag.code.as_str()).collect::<Vec<_>>(),
        ["band_contradicts_value"]
    );
    assert_eq!(flagged.share_achieved, Some(Decimal::from(20)));
    assert_eq!(flagged.target_version, 2);
    assert!(matches!(
        store.submit_follow_up(&maker_member, target.id, report).await,
        Err(StoreError::Conflict { .. })
    ));
    let follow_ups = store
        .list_follow_ups(
            &Actor::anonymous(),
            &FollowUpFilter {
                organization: Some(maker),
                ..FollowUpFilter::default()
            },
        )
        .await
        .expect("public follow-ups");
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(follow_ups[0].flags, flagged.flags);

    // Imports: all or nothing, problems by index.
    assert_eq!(
        invalid_paths(
            store
                .import_partner_targets(&maker_member, vec![business_target(2030), business_target(2020)])
                .await
        ),
        ["/1/quantitative/target_year", "/1/quantitative/baseline_year"]
    );
    assert_eq!(
        store
            .list_partner_targets(&maker_member, &mine)
            .await
            .expect("list")
            .len(),
        1
    );
    let imported = store
        .import_partner_targets(&maker_member, vec![business_target(2030), business_target(2035)])
        .await
        .expect("imported");
    assert_eq!(imported.len(), 2);
    assert_eq!(
        store
            .list_partner_targets(&maker_member, &mine)
            .await
            .expect("list")
            .len(),
        3
    );

    // A municipality: its own categories and schedule.
    let city_admin = admin(city);
    let city_member = store
        .apply_for_membership(
            &city_admin,
            NewApplication {
                follow_up_interval_months: Some(24),
                ..NewApplication::default()
            },
        )
        .await
        .expect("applied");
    store
        .review_membership(&secretariat, city_member.id, approve())
        .await
        .expect("approved");
    let mut social = business_target(2030);
    social.categories = vec![TargetCategory::SocialImpact, TargetCategory::EconomicImpact];
    assert_eq!(
        invalid_paths(store.submit_partner_target(&city_admin, social.clone()).await),
        ["/categories/1"]
    );
    social.categories.pop();
    store
        .submit_partner_target(&city_admin, social)
        .await
        .expect("a municipality's social-impact target");
    let by_category = store
        .list_partner_targets(
            &secretariat,
            &TargetFilter {
                category: Some(TargetCategory::SocialImpact),
                ..TargetFilter::default()
            },
        )
        .await
        .expect("by category");
    assert_eq!(by_category.len(), 1);
    assert_eq!(by_category[0].organization_id, city);

    // A university: projects, results in at most 400 characters.
    let campus_admin = admin(campus);
    let campus_member = store
        .apply_for_membership(&campus_admin, NewApplication::default())
        .await
        .expect("applied");
    store
        .review_membership(&secretariat, campus_member.id, approve())
        .await
        .expect("approved");
    assert_eq!(
        invalid_paths(store.submit_partner_target(&campus_admin, business_target(2030)).await),
        ["/categories", "/quantitative", "/project"]
    );
    let project = store
        .submit_partner_target(
            &campus_admin,
            TargetSubmission {
                project: Some(Project {
                    title: "リサイクル材の品質評価".to_owned(),
                    start_date: date!(2024 - 04 - 01),
                    end_date: date!(2026 - 03 - 31),
                    end_date_planned: false,
                }),
                ..TargetSubmission::default()
            },
        )
        .await
        .expect("a project");
    let results = |length| FollowUpSubmission {
        fiscal_year: 2025,
        results_summary: Some("成".repeat(length)),
        ..FollowUpSubmission::default()
    };
    assert_eq!(
        invalid_paths(store.submit_follow_up(&campus_admin, project.id, results(401)).await),
        ["/results_summary"]
    );
    store
        .submit_follow_up(&campus_admin, project.id, results(400))
        .await
        .expect("results reported");

    // Listing: the secretariat sees every membership, the public the published ones.
    assert_eq!(
        store
            .list_memberships(&secretariat, &MembershipFilter::default())
            .await
            .expect("all")
            .len(),
        3
    );
    assert_eq!(
        store
            .list_memberships(&Actor::anonymous(), &MembershipFilter::default())
            .await
            .expect("public")
            .iter()
            .map(|membership| membership.organization_id)
            .collect::<Vec<_>>(),
        [maker]
    );

    // Withdrawal ends the membership; no more targets.
    let withdrawn = store
        .withdraw_membership(
            &maker_admin,
            member.id,
            Withdrawal {
                reason: Some("事業再編".to_owned()),
            },
        )
        .await
        .expect("withdrawn");
    assert_eq!(withdrawn.status, MembershipStatus::Withdrawn);
    assert_eq!(withdrawn.withdrawn_on, Some(date!(2026 - 04 - 01)));
    assert!(matches!(
        store.submit_partner_target(&maker_member, business_target(2030)).await,
        Err(StoreError::Forbidden { .. })
    ));
}
