//! Circular Partners through the API: each member type applies, is approved by the secretariat
//! and submits targets and follow-ups in its format; the bad inputs of the issue are refused with
//! their pointers (or flagged); CSV imports are all or nothing; exports in CSV and xlsx; and on
//! the demo, the secretariat's overdue list, statistics and the measured progress of the linked
//! target.

mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use junkan_model::ids::OrganizationId;
use junkan_model::organization::{NewOrganization, OrganizationType};
use junkan_model::principal::{Actor, Role};
use junkan_partners::progress::fiscal_year_of;
use support::{error_paths, TestApp};

fn this_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

async fn register(app: &TestApp, name: &str, kind: OrganizationType, code: Option<&str>) -> OrganizationId {
    let mut new: NewOrganization = support::company(name, "", &[]);
    new.corporate_number = None;
    new.organization_type = kind;
    new.company_size = None;
    new.local_government_code = code.map(str::to_owned);
    new.prefecture_code = if code.is_some() { None } else { Some("13".to_owned()) };
    app.store
        .create_organization(&Actor::system(), new)
        .await
        .expect("organization")
        .id
}

/// Applies with `token` and has the secretariat approve.
async fn join(app: &TestApp, token: &str, secretariat: &str, body: Value) -> Value {
    let applied = app.post("/api/v1/partners/memberships", token, body).await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.body);
    let id = applied.body["id"].as_str().expect("id").to_owned();
    let approved = app
        .post(
            &format!("/api/v1/partners/memberships/{id}/review"),
            secretariat,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    approved.body
}

fn business_target(categories: &[&str], target_year: i32) -> Value {
    json!({
        "categories": categories,
        "content": "2030年度までに再生材利用率30% / 30 % recycled material by FY2030",
        "quantitative": {"indicator": "再生材利用率", "scope": "全製品", "baseline_year": 2022,
                          "baseline_value": 10, "target_value": "30", "unit": "%", "target_year": target_year},
        "publication_url": "https://example.com/ce"
    })
}

async fn send_raw(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, String, Vec<u8>) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    (status, content_type, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_member_type_submits_targets_and_follow_ups_and_bad_input_is_refused() {
    let app = TestApp::new().await;
    let office = register(&app, "事務局", OrganizationType::RelatedOrganization, None).await;
    let secretariat = app.client_token(office, &[Role::Member]).await;
    // Only a node administrator designates the secretariat.
    let refused = app
        .call(
            "PUT",
            "/api/v1/partners/secretariat",
            Some(&app.token_a),
            Some(json!({"organization_id": office})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let designated = app
        .call(
            "PUT",
            "/api/v1/partners/secretariat",
            Some(&app.token_node_admin),
            Some(json!({"organization_id": office})),
        )
        .await;
    assert_eq!(designated.status, StatusCode::OK, "{}", designated.body);

    // A company (A, large).
    let membership = join(
        &app,
        &app.token_a,
        &secretariat,
        json!({"publish": true, "working_groups": ["information_platform"]}),
    )
    .await;
    assert_eq!(membership["member_type"], "large_company");
    // A category of another format, a past target year and a text too long: every problem.
    let mut bad = business_target(&["social_impact"], this_year() - 1);
    bad["content"] = json!("長".repeat(1001));
    let refused = app.post("/api/v1/partners/targets", &app.token_a_member, bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(refused.body["type"], "urn:junkan:problem:validation");
    assert_eq!(
        error_paths(&refused.body),
        ["/categories/0", "/content", "/quantitative/target_year"]
    );
    let target = app
        .post(
            "/api/v1/partners/targets",
            &app.token_a_member,
            business_target(&["resource_circulation", "economic_impact"], this_year() + 4),
        )
        .await;
    assert_eq!(target.status, StatusCode::CREATED, "{}", target.body);
    let target_id = target.body["id"].as_str().expect("id").to_owned();
    // Edits by another organization are refused; the owner's edit is version 2.
    let foreign = app
        .call(
            "PUT",
            &format!("/api/v1/partners/targets/{target_id}"),
            Some(&app.token_b),
            Some(business_target(&["resource_circulation"], this_year() + 5)),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.body);
    let edited = app
        .call(
            "PUT",
            &format!("/api/v1/partners/targets/{target_id}"),
            Some(&app.token_a_member),
            Some(business_target(&["resource_circulation"], this_year() + 5)),
        )
        .await;
    assert_eq!(
        (edited.status, edited.body["version"].clone()),
        (StatusCode::OK, json!(2))
    );
    // Follow-ups: for a target that does not exist; a band that contradicts the value (flagged).
    let report = json!({"fiscal_year": this_year() - 1, "achievement_band": "80-99", "progress_status": "on_plan",
                        "current_value": 12, "current_year": this_year() - 1});
    let missing = app
        .post(
            "/api/v1/partners/targets/0190a5e0-0000-7000-8000-000000000000/follow-ups",
            &app.token_a_member,
            report.clone(),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let by_b = app
        .post(
            &format!("/api/v1/partners/targets/{target_id}/follow-ups"),
            &app.token_b,
            report.clone(),
        )
        .await;
    assert_eq!(by_b.status, StatusCode::FORBIDDEN);
    let flagged = app
        .post(
            &format!("/api/v1/partners/targets/{target_id}/follow-ups"),
            &app.token_a_member,
            report.clone(),
        )
        .await;
    assert_eq!(flagged.status, StatusCode::CREATED, "{}", flagged.body);
    assert_eq!(flagged.body["flags"][0]["code"], "band_contradicts_value");
    assert_eq!(
        flagged.body["share_achieved"]
            .as_str()
            .and_then(|share| share.parse::<f64>().ok()),
        Some(10.0)
    );
    let unknown_band = app
        .post(
            &format!("/api/v1/partners/targets/{target_id}/follow-ups"),
            &app.token_a_member,
            json!({"fiscal_year": 2025, "achievement_band": "50"}),
        )
        .await;
    assert_eq!(unknown_band.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&unknown_band.body), ["/achievement_band"]);

    // CSV import: broken rows reported by line, nothing imported; then a good file.
    let header = "categories,content,indicator,scope,baseline_year,baseline_value,target_value,unit,target_year,publication_url\n";
    let year = this_year() + 3;
    let broken = format!(
        "{header}資源循環,良い行,再生材利用率,製品,2022,10,30,%,{year},\n社会インパクト,分類違い,雇用,市内,2022,0,10,人,{year},\n資源循環,過去,再生材利用率,製品,2020,10,30,%,2020,\n"
    );
    let (status, _, body) = send_raw(
        &app,
        "POST",
        "/api/v1/partners/targets/import",
        &app.token_a_member,
        "text/csv",
        broken,
    )
    .await;
    let body: Value = serde_json::from_slice(&body).expect("problem");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        error_paths(&body),
        [
            "/rows/3/categories/0",
            "/rows/4/quantitative/target_year",
            "/rows/4/quantitative/baseline_year"
        ]
    );
    let listed = app
        .get(
            &format!("/api/v1/partners/targets?organization={}", app.a),
            &app.token_a_member,
        )
        .await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1), "nothing imported");
    let good = format!("{header}資源循環;環境インパクト,行1,再生材利用率,製品,2022,10,30,%,{year},\n経済インパクト,行2,CE売上,全社,2023,1,5,億円,{year},\n");
    let (status, _, body) = send_raw(
        &app,
        "POST",
        "/api/v1/partners/targets/import",
        &app.token_a_member,
        "text/csv",
        good,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let listed = app
        .get(
            &format!("/api/v1/partners/targets?organization={}", app.a),
            &app.token_a_member,
        )
        .await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(3));

    // A municipality: its categories, its own schedule.
    let city = register(&app, "北九州市", OrganizationType::Municipality, Some("401005")).await;
    let city_token = app.client_token(city, &[Role::OrgAdmin, Role::Member]).await;
    let city_membership = join(
        &app,
        &city_token,
        &secretariat,
        json!({"follow_up_interval_months": 24}),
    )
    .await;
    assert_eq!(city_membership["format"], "municipality");
    let economic = app
        .post(
            "/api/v1/partners/targets",
            &city_token,
            business_target(&["economic_impact"], this_year() + 4),
        )
        .await;
    assert_eq!(error_paths(&economic.body), ["/categories/0"]);
    let mut social = business_target(&["social_impact", "environmental_impact"], this_year() + 4);
    social["linked_indicator"] =
        json!({"indicator": "municipal-recycling-rate", "output": "recycling_rate_pct", "scope": "region:401005"});
    let social = app.post("/api/v1/partners/targets", &city_token, social).await;
    assert_eq!(social.status, StatusCode::CREATED, "{}", social.body);
    let city_target = social.body["id"].as_str().expect("id").to_owned();
    let city_report = app
        .post(
            &format!("/api/v1/partners/targets/{city_target}/follow-ups"),
            &city_token,
            json!({"fiscal_year": this_year() - 1, "achievement_band": "100", "progress_status": "on_plan"}),
        )
        .await;
    assert_eq!(city_report.status, StatusCode::CREATED, "{}", city_report.body);
    assert_eq!(city_report.body["flags"][0]["code"], "achieved_without_value");

    // A university: projects and a results summary of at most 400 characters.
    let campus = register(&app, "循環大学", OrganizationType::UniversityOrResearchInstitute, None).await;
    let campus_token = app.client_token(campus, &[Role::OrgAdmin, Role::Member]).await;
    join(&app, &campus_token, &secretariat, json!({})).await;
    let project = app
        .post(
            "/api/v1/partners/targets",
            &campus_token,
            json!({"project": {"title": "電池の直接再生", "start_date": "2024-04-01", "end_date": "2025-03-31"},
                     "publication_url": "https://example.ac.jp/project"}),
        )
        .await;
    assert_eq!(project.status, StatusCode::CREATED, "{}", project.body);
    let project_id = project.body["id"].as_str().expect("id").to_owned();
    let long = app
        .post(
            &format!("/api/v1/partners/targets/{project_id}/follow-ups"),
            &campus_token,
            json!({"fiscal_year": 2024, "results_summary": "成".repeat(401)}),
        )
        .await;
    assert_eq!(error_paths(&long.body), ["/results_summary"]);
    let results = app
        .post(&format!("/api/v1/partners/targets/{project_id}/follow-ups"), &campus_token,
              json!({"fiscal_year": 2024, "results_summary": "成".repeat(400), "publication_url": "https://example.ac.jp/results"}))
        .await;
    assert_eq!(results.status, StatusCode::CREATED, "{}", results.body);
    let dated = app
        .post(
            "/api/v1/partners/targets",
            &campus_token,
            json!({"project": {"title": "逆転", "start_date": "2024-04-01", "end_date": "2023-03-31"}}),
        )
        .await;
    assert_eq!(error_paths(&dated.body), ["/project/end_date"]);

    // A government body is an observer, not a member.
    let authority_admin = app.client_token(app.authority, &[Role::OrgAdmin]).await;
    let observer = app
        .post("/api/v1/partners/memberships", &authority_admin, json!({}))
        .await;
    assert_eq!(observer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", observer.body);
    assert!(observer.body["detail"].as_str().unwrap_or("").contains("observers"));

    // The secretariat's overview: three members (large company, municipality, university).
    let overview = app.get("/api/v1/partners/secretariat/overview", &secretariat).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert_eq!(overview.body["statistics"]["members"], 3);
    assert_eq!(overview.body["flagged_follow_ups"], 2);
    // B (not a member) sees only the published ones: A.
    let seen_by_b = app.get("/api/v1/partners/secretariat/overview", &app.token_b).await;
    assert_eq!(seen_by_b.body["statistics"]["members"], 1);

    // Exports: CSV with a BOM and one row per category, and an xlsx workbook.
    let (status, content_type, csv) = send_raw(
        &app,
        "GET",
        "/api/v1/partners/targets/export?format=csv",
        &secretariat,
        "text/plain",
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"));
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8_lossy(&csv);
    // A's targets: 1 + 2 + 1 categories; the city's 2; the project 1.
    assert_eq!(text.lines().count(), 1 + 4 + 2 + 1, "{text}");
    assert!(text.contains("社会インパクト / Social impact"));
    let (status, content_type, xlsx) = send_raw(
        &app,
        "GET",
        "/api/v1/partners/targets/export?format=xlsx",
        &secretariat,
        "text/plain",
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.starts_with(b"PK\x03\x04"));
    let (status, _, _) = send_raw(
        &app,
        "GET",
        "/api/v1/partners/targets/export?format=pdf",
        &secretariat,
        "text/plain",
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_s_overdue_list_statistics_and_measured_progress_are_correct() {
    let app = TestApp::new().await;
    let credentials = junkan_demo::load(app.store.as_ref(), 1, support::ISSUER)
        .await
        .expect("demo loads");
    let slug_of = |id: &str| {
        credentials
            .organizations
            .iter()
            .find(|login| login.id.to_string() == id)
            .map(|login| login.slug.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let office = app
        .store
        .partner_secretariat()
        .await
        .expect("read")
        .expect("designated")
        .organization_id;
    let secretariat = app.client_token(office, &[Role::Member]).await;
    let overview = app.get("/api/v1/partners/secretariat/overview", &secretariat).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let overdue: BTreeSet<(String, String)> = overview.body["overdue"]
        .as_array()
        .expect("overdue")
        .iter()
        .map(|item| {
            (
                slug_of(item["organization_id"].as_str().expect("id")),
                item["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("eaf", "targets"),
        ("pellet", "follow_up"),
        ("university", "project_results"),
    ]
    .into_iter()
    .map(|(slug, kind)| (slug.to_owned(), kind.to_owned()))
    .collect();
    assert_eq!(overdue, expected);
    let pellet = overview.body["overdue"]
        .as_array()
        .expect("overdue")
        .iter()
        .find(|item| item["kind"] == "follow_up")
        .expect("pellet");
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date();
    assert_eq!(pellet["fiscal_year"], fiscal_year_of(today) - 2);

    let statistics = &overview.body["statistics"];
    assert_eq!(
        (statistics["members"].clone(), statistics["applications"].clone()),
        (json!(8), json!(1))
    );
    let counts = |key: &str| -> Vec<(String, u64)> {
        statistics[key]
            .as_array()
            .expect("counts")
            .iter()
            .map(|count| {
                (
                    count["key"].as_str().expect("key").to_owned(),
                    count["count"].as_u64().expect("count"),
                )
            })
            .filter(|(_, count)| *count > 0)
            .collect()
    };
    let pairs = |items: &[(&str, u64)]| {
        items
            .iter()
            .map(|(key, count)| ((*key).to_owned(), *count))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        counts("by_type"),
        pairs(&[
            ("large_company", 3),
            ("small_company", 2),
            ("industry_association", 1),
            ("municipality", 1),
            ("university_or_research_institute", 1)
        ])
    );
    assert_eq!(counts("by_size"), pairs(&[("large", 3), ("small", 2)]));
    assert_eq!(
        counts("by_prefecture"),
        pairs(&[("04", 1), ("13", 2), ("25", 1), ("27", 1), ("34", 1), ("40", 2)])
    );
    assert_eq!(overview.body["flagged_follow_ups"], 1);

    // The municipality's recycling rate: computed from its material flows next to the declared
    // value, with the suggested band.
    let progress_path = credentials.examples["partners"]["linked_target_progress"]
        .as_str()
        .expect("path")
        .to_owned();
    let progress = app.get(&progress_path, &secretariat).await;
    assert_eq!(progress.status, StatusCode::OK, "{}", progress.body);
    let measured = &progress.body["measured"];
    assert_eq!(measured["computed_value"], "23.81");
    assert_eq!(measured["suggested_band"], "20-39");
    assert_eq!(measured["declared_value"], "23.8");
    assert_eq!(measured["declared_band"], "20-39");
    // The public sees the published members only (appliance, pellet, municipality, university).
    let public = app.call("GET", "/api/v1/partners/memberships", None, None).await;
    let published: BTreeSet<String> = public
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|membership| slug_of(membership["organization_id"].as_str().expect("id")))
        .collect();
    assert_eq!(
        published,
        ["appliance", "municipality", "pellet", "university"]
            .map(str::to_owned)
            .into_iter()
            .collect()
    );
}
