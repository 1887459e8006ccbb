//! Contract cases for material-flow records, stored indicator values and targets (issue 6):
//! versions and corrections, all-or-nothing imports, filters and pages, and the read rule with
//! its audit.

use serde_json::{json, Value};

use junkan_indicators::records::{
    japan_national_target_records, IndicatorTargetCorrection, IndicatorTargetFilter, IndicatorValueCorrection,
    IndicatorValueFilter, MaterialFlowCorrection, MaterialFlowFilter, NewIndicatorTarget, NewIndicatorValue,
    NewMaterialFlow,
};
use junkan_model::access::{GrantLevel, Grantee, NewGrant, RecordKind};
use junkan_model::audit::{AuditAction, AuditFilter};
use junkan_model::facility::Visibility;
use junkan_model::organization::CycleRole;
use junkan_model::page::PageRequest;
use junkan_model::principal::{Actor, Role};

use super::{first_page, member_of, organization};
use crate::{ManualClock, Store, StoreError};

fn flow(value: Value) -> NewMaterialFlow {
    serde_json::from_value(value).expect("the shape of a material-flow record")
}

fn national(kind: &str, year: i64, amount: &str) -> NewMaterialFlow {
    flow(
        json!({"region": "JP", "fiscal_year": year, "kind": kind, "amount": amount, "unit": "Mt",
                "source": "循環型社会形成推進基本計画 / Fundamental Plan", "visibility": "public"}),
    )
}

fn paths(result: Result<impl std::fmt::Debug, StoreError>) -> Vec<String> {
    match result {
        Err(StoreError::Invalid(violations)) => violations.into_iter().map(|violation| violation.path).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

async fn count_flows(store: &dyn Store, actor: &Actor, filter: &MaterialFlowFilter) -> usize {
    store
        .list_material_flows(actor, filter, &first_page())
        .await
        .expect("list")
        .items
        .len()
}

/// Material-flow records: create, refuse bad input and duplicates (changing nothing), correct
/// as versions, import all or nothing, filter and page, and the read rule with its audit.
pub async fn material_flows_versions_imports_and_read_rule(store: &dyn Store, _clock: &ManualClock) {
    let state = organization(store, "統計", &[]).await;
    let city = organization(store, "市役所", &[CycleRole::Collector]).await;
    let other = organization(store, "他社", &[CycleRole::Recycler]).await;
    let state_member = member_of(state, &[Role::Member]);
    let city_admin = member_of(city, &[Role::OrgAdmin, Role::Member]);
    let other_member = member_of(other, &[Role::Member]);
    let auditor = member_of(other, &[Role::Auditor]);
    let everything = MaterialFlowFilter {
        include_superseded: true,
        ..MaterialFlowFilter::default()
    };

    let first = store
        .create_material_flow(&state_member, national("natural_resource_input", 2000, "1912"))
        .await
        .expect("valid record");
    assert_eq!(
        (first.version, first.owner_organization_id, first.amount.to_string()),
        (1, state, "1912".to_owned())
    );
    assert_eq!(
        store
            .get_material_flow(&Actor::anonymous(), first.id)
            .await
            .expect("public"),
        first
    );

    // Refused writes change nothing.
    assert!(matches!(
        store
            .create_material_flow(&state_member, national("natural_resource_input", 2000, "1913"))
            .await,
        Err(StoreError::Conflict { ref message, .. }) if message.contains(&first.id.to_string())
    ));
    assert_eq!(
        paths(
            store
                .create_material_flow(
                    &state_member,
                    flow(
                        json!({"region": "999999", "fiscal_year": 2000, "kind": "final_disposal", "amount": -56,
                                "unit": "Mt", "source": "x"})
                    )
                )
                .await
        ),
        ["/region", "/amount"]
    );
    assert!(matches!(
        store
            .create_material_flow(&Actor::anonymous(), national("circular_use", 2000, "218"))
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert!(matches!(
        store
            .create_material_flow(&auditor, national("circular_use", 2000, "218"))
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert_eq!(count_flows(store, &state_member, &everything).await, 1);

    // A correction is the next version; the old one stays readable, marked superseded.
    let correction = |amount: &str, reason: &str| MaterialFlowCorrection {
        reason: reason.to_owned(),
        record: national("natural_resource_input", 2000, amount),
    };
    assert!(matches!(
        store
            .correct_material_flow(&other_member, first.id, correction("1", "hijack"))
            .await,
        Err(StoreError::Forbidden { .. })
    ));
    assert_eq!(
        paths(
            store
                .correct_material_flow(&state_member, first.id, correction("-1", " "))
                .await
        ),
        ["/reason", "/record/amount"]
    );
    assert_eq!(
        paths(
            store
                .correct_material_flow(&state_member, first.id, correction("-1", "typo"))
                .await
        ),
        ["/record/amount"]
    );
    let second = store
        .correct_material_flow(
            &state_member,
            first.id,
            correction("1913", "転記誤り / transcription error"),
        )
        .await
        .expect("correction");
    assert_eq!(
        (second.version, second.supersedes, second.correction_reason.as_deref()),
        (2, Some(first.id), Some("転記誤り / transcription error"))
    );
    assert_eq!(second.visibility, Visibility::Public);
    let old = store
        .get_material_flow(&other_member, first.id)
        .await
        .expect("old version");
    assert_eq!(
        (old.superseded_by, old.amount.to_string()),
        (Some(second.id), "1912".to_owned())
    );
    assert!(matches!(
        store
            .correct_material_flow(&state_member, first.id, correction("1914", "again"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let current = store
        .list_material_flows(&other_member, &MaterialFlowFilter::default(), &first_page())
        .await
        .expect("list");
    assert_eq!(
        current.items.iter().map(|record| record.id).collect::<Vec<_>>(),
        [second.id]
    );
    assert_eq!(count_flows(store, &other_member, &everything).await, 2);

    // Restricted records: the owner, grantees and auditors read them; reads under a grant or as
    // auditor are audited.
    let restricted = store
        .create_material_flow(
            &city_admin,
            flow(
                json!({"region": "401005", "fiscal_year": 2014, "kind": "total_treated", "amount": "41840",
                        "unit": "t", "source": "一般廃棄物処理実態調査"}),
            ),
        )
        .await
        .expect("restricted record");
    assert_eq!(restricted.visibility, Visibility::Restricted);
    for outsider in [&other_member, &Actor::anonymous()] {
        assert!(matches!(
            store.get_material_flow(outsider, restricted.id).await,
            Err(StoreError::NotFound {
                kind: RecordKind::MaterialFlow,
                ..
            })
        ));
    }
    let city_filter = MaterialFlowFilter {
        region: Some("401005".to_owned()),
        ..MaterialFlowFilter::default()
    };
    assert_eq!(count_flows(store, &other_member, &city_filter).await, 0);
    assert_eq!(count_flows(store, &auditor, &city_filter).await, 1);
    let grant = store
        .create_grant(
            &city_admin,
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization { organization_id: other },
                record_kind: RecordKind::MaterialFlow,
                record_ids: Some(vec![restricted.id.to_string()]),
                level: GrantLevel::Full,
                purpose: Some("広域計画 / regional planning".to_owned()),
                expires_at: super::START + time::Duration::days(30),
                fields: None,
            },
        )
        .await
        .expect("grant");
    assert_eq!(
        store
            .get_material_flow(&other_member, restricted.id)
            .await
            .expect("granted"),
        restricted
    );
    assert_eq!(count_flows(store, &other_member, &city_filter).await, 1);
    let reads = store
        .list_audit(
            &city_admin,
            &AuditFilter {
                owner_organization_id: Some(city),
                record_id: Some(restricted.id.to_string()),
                action: Some(AuditAction::Read),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .expect("audit");
    assert_eq!(
        reads.items.len(),
        3,
        "the auditor's list, the grantee's get and list: {reads:?}"
    );
    assert!(reads.items.iter().any(|entry| entry.grant_id == Some(grant.id)));
    store.revoke_grant(&city_admin, grant.id).await.expect("revoke");
    assert!(store.get_material_flow(&other_member, restricted.id).await.is_err());
    // Correcting a record one may not see is NotFound, as reading it.
    assert!(matches!(
        store
            .correct_material_flow(&other_member, restricted.id, correction("1", "x"))
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Imports are all or nothing, with every problem of every row.
    let before = count_flows(store, &state_member, &everything).await;
    let bad_rows = vec![
        national("circular_use", 2000, "218"),
        flow(
            json!({"region": "JP", "fiscal_year": 1800, "kind": "circular_use", "amount": "x", "unit": "m3", "source": "s"}),
        ),
        national("natural_resource_input", 2000, "1"),
        national("circular_use", 2000, "219"),
        flow(
            json!({"region": "JP", "fiscal_year": 2000, "kind": "population", "amount": 0, "unit": "persons", "source": "s"}),
        ),
    ];
    assert_eq!(
        paths(store.import_material_flows(&state_member, bad_rows).await),
        [
            "/1/fiscal_year",
            "/1/amount",
            "/1/unit",
            "/2/kind",
            "/3/kind",
            "/4/amount"
        ]
    );
    assert_eq!(count_flows(store, &state_member, &everything).await, before);
    let imported = store
        .import_material_flows(
            &state_member,
            vec![
                national("circular_use", 2000, "218"),
                national("waste_generation", 2000, "600"),
                national("final_disposal", 2019, "13.04"),
            ],
        )
        .await
        .expect("valid import");
    assert_eq!(imported.len(), 3);
    assert!(imported.iter().all(|record| record.version == 1));

    // Filters and pages.
    let fy2000 = MaterialFlowFilter {
        region: Some("JP".to_owned()),
        fiscal_years: junkan_indicators::records::FiscalYears::parse("2000").ok(),
        ..MaterialFlowFilter::default()
    };
    assert_eq!(count_flows(store, &other_member, &fy2000).await, 3);
    let kinds = MaterialFlowFilter {
        kinds: vec!["circular_use".to_owned(), "final_disposal".to_owned()],
        ..MaterialFlowFilter::default()
    };
    assert_eq!(count_flows(store, &other_member, &kinds).await, 2);
    let of_city = MaterialFlowFilter {
        owner: Some(city),
        ..MaterialFlowFilter::default()
    };
    assert_eq!(count_flows(store, &city_admin, &of_city).await, 1);
    let mut page = PageRequest::first(2);
    let mut seen = Vec::new();
    loop {
        let found = store
            .list_material_flows(&state_member, &everything, &page)
            .await
            .expect("page");
        assert!(found.items.len() <= 2);
        seen.extend(found.items.iter().map(|record| record.id));
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "every record once, in id order");
    assert_eq!(seen.len(), 5);
}

/// Stored indicator values and targets: checked, versioned, filtered, and read under the rule.
pub async fn indicator_values_and_targets_versions_and_read_rule(store: &dyn Store, _clock: &ManualClock) {
    let state = organization(store, "環境省", &[]).await;
    let company = organization(store, "製造", &[CycleRole::Manufacturer]).await;
    let state_member = member_of(state, &[Role::Member]);
    let company_member = member_of(company, &[Role::Member]);
    let auditor = member_of(company, &[Role::Auditor]);

    let published: NewIndicatorValue = serde_json::from_value(json!({
        "indicator": "jp-material-flow", "scope": "nation:JP", "fiscal_year": 2019, "visibility": "public",
        "result": {"resource_productivity_man_yen_per_t": 43.6, "inlet_circular_use_rate_pct": 15.7,
                   "outlet_circular_use_rate_pct": 43.0, "final_disposal_mt": 13.04},
        "source": "4th plan, 2nd progress review (2022)"
    }))
    .expect("shape");
    let value = store
        .create_indicator_value(&state_member, published.clone())
        .await
        .expect("valid value");
    assert!(
        value.methodology.contains("Fundamental Plan"),
        "the indicator's methodology by default"
    );
    assert!(matches!(
        store.create_indicator_value(&state_member, published.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    let mut out_of_range = published.clone();
    out_of_range.fiscal_year = 2020;
    out_of_range
        .result
        .insert("inlet_circular_use_rate_pct".to_owned(), json!(115.7));
    assert_eq!(
        paths(store.create_indicator_value(&state_member, out_of_range).await),
        ["/result/inlet_circular_use_rate_pct"]
    );
    let mut corrected = published.clone();
    corrected.result.insert("final_disposal_mt".to_owned(), json!("13.0"));
    let second = store
        .correct_indicator_value(
            &state_member,
            value.id,
            IndicatorValueCorrection {
                reason: "rounding".to_owned(),
                record: corrected,
            },
        )
        .await
        .expect("correction");
    assert_eq!((second.version, second.supersedes), (2, Some(value.id)));
    assert_eq!(
        store
            .get_indicator_value(&company_member, value.id)
            .await
            .expect("old version")
            .superseded_by,
        Some(second.id)
    );
    let restricted: NewIndicatorValue = serde_json::from_value(json!({
        "indicator": "cmu", "scope": format!("organization:{company}"), "fiscal_year": 2024,
        "result": {"U": 780, "CMU_pct": 11.5}, "source": "own computation",
        "provenance": {"inputs": {"DMC": 6000}}
    }))
    .expect("shape");
    let own = store
        .create_indicator_value(&company_member, restricted)
        .await
        .expect("restricted value");
    assert_eq!(own.provenance, Some(json!({"inputs": {"DMC": 6000}})));
    assert!(store.get_indicator_value(&state_member, own.id).await.is_err());
    assert_eq!(store.get_indicator_value(&auditor, own.id).await.expect("auditor"), own);
    let national = IndicatorValueFilter {
        indicator: Some("jp-material-flow".to_owned()),
        scope: Some("nation:JP".to_owned()),
        fiscal_years: junkan_indicators::records::FiscalYears::parse("2015/2022").ok(),
        ..IndicatorValueFilter::default()
    };
    let listed = store
        .list_indicator_values(&company_member, &national, &first_page())
        .await
        .expect("list");
    assert_eq!(
        listed.items.iter().map(|value| value.id).collect::<Vec<_>>(),
        [second.id]
    );
    let all_visible = store
        .list_indicator_values(
            &state_member,
            &IndicatorValueFilter {
                include_superseded: true,
                ..IndicatorValueFilter::default()
            },
            &first_page(),
        )
        .await
        .expect("list");
    assert_eq!(
        all_visible.items.len(),
        2,
        "the company's restricted value stays hidden"
    );

    // Targets: the national ones, checked; a correction; a restricted one.
    for target in japan_national_target_records() {
        store
            .create_indicator_target(&state_member, target)
            .await
            .expect("national target");
    }
    let national_targets = IndicatorTargetFilter {
        indicator: Some("jp-material-flow".to_owned()),
        scope: Some("nation:JP".to_owned()),
        ..IndicatorTargetFilter::default()
    };
    let targets = store
        .list_indicator_targets(&Actor::anonymous(), &national_targets, &first_page())
        .await
        .expect("list");
    assert_eq!(targets.items.len(), 8);
    let disposal = targets
        .items
        .iter()
        .find(|target| target.output == "final_disposal_mt" && target.target_fiscal_year == 2030)
        .expect("FY2030 final disposal target");
    assert_eq!(disposal.target_value.to_string(), "11");
    let bad: NewIndicatorTarget = serde_json::from_value(json!({
        "indicator": "jp-material-flow", "output": "inlet_circular_use_rate_pct", "scope": "nation:JP",
        "target_fiscal_year": 2030, "target_value": 190, "unit": "Mt", "source": "x"
    }))
    .expect("shape");
    assert_eq!(
        paths(store.create_indicator_target(&state_member, bad).await),
        ["/target_value", "/unit"]
    );
    let mut record: NewIndicatorTarget = serde_json::from_value(json!({
        "indicator": "jp-material-flow", "output": "final_disposal_mt", "scope": "nation:JP",
        "target_fiscal_year": 2030, "target_value": "10.5", "unit": "Mt", "source": "5th plan (2024)",
        "baseline_fiscal_year": 2019, "baseline_value": "13.04"
    }))
    .expect("shape");
    let corrected = store
        .correct_indicator_target(
            &state_member,
            disposal.id,
            IndicatorTargetCorrection {
                reason: "baseline added".to_owned(),
                record: record.clone(),
            },
        )
        .await
        .expect("correction");
    assert_eq!(
        (corrected.version, corrected.baseline_fiscal_year, corrected.visibility),
        (2, Some(2019), Visibility::Public)
    );
    assert_eq!(
        store
            .list_indicator_targets(&Actor::anonymous(), &national_targets, &first_page())
            .await
            .expect("list")
            .items
            .len(),
        8,
        "still one current target per key"
    );
    record.scope = format!("organization:{company}");
    record.output = "outlet_circular_use_rate_pct".to_owned();
    record.unit = "%".to_owned();
    record.target_value = json!(60);
    record.baseline_value = Some(json!(40));
    let own_target = store
        .create_indicator_target(&company_member, record)
        .await
        .expect("restricted target");
    assert!(store.get_indicator_target(&state_member, own_target.id).await.is_err());
    assert_eq!(
        store
            .get_indicator_target(&company_member, own_target.id)
            .await
            .expect("own"),
        own_target
    );
}
