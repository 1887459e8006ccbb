//! The demo's Circular Partners (サーキュラーパートナーズ): the node operator is the secretariat;
//! demo organizations of every member type are members with targets and follow-ups, some on
//! time, some overdue, one application awaiting review, and the municipality's recycling-rate
//! target linked to the rate the platform computes from its material-flow records.
//!
//! Dates follow the demo's clock: every date is counted from the store's today (in Japan), and
//! each member's dates are placed so that it is overdue, or not, whatever the day of the year
//! the demo is loaded ([`EXPECTED_OVERDUE`] holds on every day):
//! - `appliance` joined on 15 April two fiscal years ago and reported both completed years;
//! - `pellet` joined then too, set a target and never reported (follow-up overdue);
//! - `eaf` joined 400 days ago and set no target (targets overdue);
//! - `university` has a project that ended 200 days ago without results (results overdue);
//! - `refiner` joined 100 days ago and reported last fiscal year, with a band that contradicts
//!   its value (flagged);
//! - `association` joined on 1 April this fiscal year; `dealer` 30 days ago without targets
//!   (within its year); `municipality` joined 800 days ago, reports every 24 months and just did;
//! - `compounder` has applied and awaits the secretariat's review.

use rust_decimal::Decimal;
use serde_json::json;
use time::{Date, Duration, Month, UtcOffset};

use junkan_indicators::records::NewMaterialFlow;
use junkan_model::ids::OrganizationId;
use junkan_model::principal::Actor;
use junkan_partners::membership::{Decision, MembershipSettings, NewApplication, Review};
use junkan_partners::progress::{fiscal_year_of, OverdueKind};
use junkan_partners::targets::{FollowUpSubmission, LinkedIndicator, Project, Quantitative, TargetSubmission};
use junkan_partners::{AchievementBand, ProgressStatus, TargetCategory, WorkingGroup};
use junkan_store::{Store, StoreError};

use crate::organization_admin;

/// The members overdue on any day the demo is loaded, with what they owe.
pub const EXPECTED_OVERDUE: [(&str, OverdueKind); 3] = [
    ("pellet", OverdueKind::FollowUp),
    ("eaf", OverdueKind::Targets),
    ("university", OverdueKind::ProjectResults),
];

/// The approved members (slugs) and the one application under review.
pub const MEMBERS: [&str; 8] = [
    "appliance",
    "pellet",
    "refiner",
    "eaf",
    "association",
    "municipality",
    "university",
    "dealer",
];

/// The organization that applied and awaits review.
pub const APPLICANT: &str = "compounder";

/// What the demo made, for `demo-credentials.json`.
#[derive(Debug, Clone)]
pub struct PartnersDemo {
    /// The municipality's recycling-rate target, linked to the computed indicator.
    pub linked_target: String,
    /// The target whose follow-up is flagged.
    pub flagged_target: String,
}

const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

fn day(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).expect("a day of the calendar")
}

fn quantitative(indicator: &str, scope: &str, baseline: (i32, i64), target: (i64, i32), unit: &str) -> Quantitative {
    Quantitative {
        indicator: indicator.to_owned(),
        scope: scope.to_owned(),
        baseline_year: baseline.0,
        baseline_value: Decimal::from(baseline.1),
        target_value: Decimal::from(target.0),
        unit: unit.to_owned(),
        target_year: target.1,
    }
}

fn target(categories: &[TargetCategory], content: &str, quantitative: Quantitative) -> TargetSubmission {
    TargetSubmission {
        categories: categories.to_vec(),
        content: Some(content.to_owned()),
        quantitative: Some(quantitative),
        project: None,
        publication_url: Some("https://example.com/demo/circular-economy".to_owned()),
        linked_indicator: None,
    }
}

fn report(year: i32, band: AchievementBand, status: ProgressStatus, value: Decimal) -> FollowUpSubmission {
    FollowUpSubmission {
        fiscal_year: year,
        achievement_band: Some(band),
        progress_status: Some(status),
        current_value: Some(value),
        current_year: Some(year),
        publication_url: Some("https://example.com/demo/progress".to_owned()),
        ..FollowUpSubmission::default()
    }
}

/// Makes the partnership: `secretariat` is the operator organization (its user signs in as the
/// secretariat), `ids` finds the demo organizations by slug.
pub async fn load(
    store: &dyn Store,
    secretariat: OrganizationId,
    ids: &dyn Fn(&str) -> OrganizationId,
) -> Result<PartnersDemo, StoreError> {
    let system = Actor::system();
    store.designate_partner_secretariat(&system, secretariat).await?;
    let office = organization_admin(secretariat);
    let today = store.now().to_offset(JST).date();
    let this_year = today.year();
    let fiscal_year = fiscal_year_of(today);
    let two_years_ago = day(fiscal_year - 2, Month::April, 15);
    let join_dates = [
        (
            "appliance",
            two_years_ago,
            true,
            vec![WorkingGroup::InformationPlatform],
        ),
        ("pellet", two_years_ago, true, vec![WorkingGroup::RegionalCirculation]),
        (
            "refiner",
            today - Duration::days(100),
            false,
            vec![WorkingGroup::InformationPlatform],
        ),
        ("eaf", today - Duration::days(400), false, vec![]),
        (
            "association",
            day(fiscal_year, Month::April, 1),
            false,
            vec![WorkingGroup::VisionRoadmap],
        ),
        (
            "municipality",
            today - Duration::days(800),
            true,
            vec![WorkingGroup::RegionalCirculation],
        ),
        (
            "university",
            today - Duration::days(700),
            true,
            vec![WorkingGroup::VisionRoadmap],
        ),
        ("dealer", today - Duration::days(30), false, vec![]),
    ];
    for (slug, joined, publish, working_groups) in join_dates {
        let admin = organization_admin(ids(slug));
        let application = NewApplication {
            note: Some("デモ: 資源循環の取組を進めます / demo: we advance resource circulation".to_owned()),
            working_groups,
            publish,
            follow_up_interval_months: (slug == "municipality").then_some(24),
        };
        let membership = store.apply_for_membership(&admin, application).await?;
        store
            .review_membership(
                &office,
                membership.id,
                Review {
                    decision: Decision::Approve,
                    reason: None,
                    join_date: Some(joined),
                },
            )
            .await?;
    }
    store
        .apply_for_membership(
            &organization_admin(ids(APPLICANT)),
            NewApplication {
                note: Some("再生材コンパウンドの利用拡大 / more recycled compounds".to_owned()),
                ..NewApplication::default()
            },
        )
        .await?;

    // The appliance maker: on time, both completed fiscal years reported.
    let appliance = organization_admin(ids("appliance"));
    let plastics = store
        .submit_partner_target(
            &appliance,
            target(
                &[TargetCategory::ResourceCirculation, TargetCategory::EnvironmentalImpact],
                "家電製品の再生プラスチック使用率を30%に高める / raise the recycled-plastic share of our appliances to 30 %",
                quantitative("再生プラスチック使用率 / recycled-plastic use rate", "国内販売の家電製品 / appliances sold in Japan", (2022, 12), (30, this_year + 4), "%"),
            ),
        )
        .await?;
    for (year, band, status, value) in [
        (
            fiscal_year - 2,
            AchievementBand::From40,
            ProgressStatus::MostlyOnPlan,
            20,
        ),
        (fiscal_year - 1, AchievementBand::From60, ProgressStatus::OnPlan, 24),
    ] {
        store
            .submit_follow_up(
                &appliance,
                plastics.id,
                report(year, band, status, Decimal::from(value)),
            )
            .await?;
    }
    store
        .submit_partner_target(
            &appliance,
            target(
                &[TargetCategory::EconomicImpact],
                "リユース・修理サービスの売上を50億円に / reuse and repair sales of 5 billion yen",
                quantitative(
                    "CE事業売上 / sales of circular business",
                    "全社 / whole company",
                    (2023, 12),
                    (50, this_year + 4),
                    "億円",
                ),
            ),
        )
        .await?;

    // The pellet maker: a target, never reported.
    store
        .submit_partner_target(
            &organization_admin(ids("pellet")),
            target(
                &[TargetCategory::ResourceCirculation],
                "再生ペレットの生産量を2倍に / double our recycled-pellet output",
                quantitative(
                    "再生ペレット生産量 / recycled-pellet output",
                    "大津工場 / Otsu plant",
                    (2023, 6000),
                    (12000, this_year + 3),
                    "t",
                ),
            ),
        )
        .await?;

    // The refiner: a band that contradicts its value, flagged for the secretariat.
    let refiner = organization_admin(ids("refiner"));
    let recovery = store
        .submit_partner_target(
            &refiner,
            target(
                &[TargetCategory::ResourceCirculation, TargetCategory::EnvironmentalImpact],
                "使用済み電池からのコバルト回収率を95%に / recover 95 % of the cobalt in spent batteries",
                quantitative(
                    "コバルト回収率 / cobalt recovery rate",
                    "呉精錬所 / Kure refinery",
                    (2023, 80),
                    (95, this_year + 5),
                    "%",
                ),
            ),
        )
        .await?;
    store
        .submit_follow_up(
            &refiner,
            recovery.id,
            report(
                fiscal_year - 1,
                AchievementBand::From80,
                ProgressStatus::OnPlan,
                Decimal::from(83),
            ),
        )
        .await?;

    // The industry association.
    store
        .submit_partner_target(
            &organization_admin(ids("association")),
            target(
                &[TargetCategory::ResourceCirculation],
                "会員企業の電池回収率を90%に / members collect 90 % of spent batteries",
                quantitative(
                    "電池回収率 / battery collection rate",
                    "会員企業 / member companies",
                    (2024, 70),
                    (90, this_year + 4),
                    "%",
                ),
            ),
        )
        .await?;

    // The municipality: its recycling rate linked to the platform's computation from its
    // material-flow records, and a social-impact target; reported just now.
    let city = organization_admin(ids("municipality"));
    let last_year = i64::from(fiscal_year - 1);
    for (kind, amount) in [
        ("total_treated", "400000"),
        ("direct_recycling", "30000"),
        ("recycling_after_treatment", "50000"),
        ("group_collection", "20000"),
    ] {
        let flow: NewMaterialFlow = serde_json::from_value(json!({
            "region": "401005", "fiscal_year": last_year, "kind": kind, "amount": amount, "unit": "t",
            "source": "北九州市（デモ）一般廃棄物処理実績 / Kitakyushu (demo) municipal waste statistics",
            "visibility": "public"}))
        .map_err(|error| StoreError::Unavailable(format!("demo material flow: {error}").into()))?;
        store.create_material_flow(&city, flow).await?;
    }
    let mut recycling = target(
        &[TargetCategory::ResourceCirculation],
        "一般廃棄物のリサイクル率を30%に / recycle 30 % of municipal waste",
        quantitative(
            "リサイクル率 / recycling rate",
            "市内の一般廃棄物 / municipal waste of the city",
            (2019, 20),
            (30, this_year + 4),
            "%",
        ),
    );
    recycling.linked_indicator = Some(LinkedIndicator {
        indicator: "municipal-recycling-rate".to_owned(),
        output: "recycling_rate_pct".to_owned(),
        scope: "region:401005".to_owned(),
    });
    let linked = store.submit_partner_target(&city, recycling).await?;
    store
        .submit_follow_up(
            &city,
            linked.id,
            report(
                fiscal_year - 1,
                AchievementBand::From20,
                ProgressStatus::PartlyOnPlan,
                Decimal::new(238, 1),
            ),
        )
        .await?;
    store
        .submit_partner_target(
            &city,
            target(
                &[TargetCategory::SocialImpact],
                "資源循環分野で新たな雇用を500人 / 500 new jobs in resource circulation",
                quantitative(
                    "創出雇用数 / jobs created",
                    "市内 / the city",
                    (2022, 0),
                    (500, this_year + 4),
                    "人",
                ),
            ),
        )
        .await?;

    // The university: a finished project without results, and a running one.
    let campus = organization_admin(ids("university"));
    for (title, start, end, planned) in [
        (
            "使用済みリチウムイオン電池の直接再生技術 / direct recycling of spent lithium-ion batteries",
            today - Duration::days(600),
            today - Duration::days(200),
            false,
        ),
        (
            "地域の資源循環モデルの評価 / assessing regional circulation models",
            today - Duration::days(300),
            today + Duration::days(400),
            true,
        ),
    ] {
        store
            .submit_partner_target(
                &campus,
                TargetSubmission {
                    project: Some(Project {
                        title: title.to_owned(),
                        start_date: start,
                        end_date: end,
                        end_date_planned: planned,
                    }),
                    publication_url: Some("https://example.com/demo/research".to_owned()),
                    ..TargetSubmission::default()
                },
            )
            .await?;
    }
    // The municipality publishes; the settings change goes through the store as the member's.
    let city_membership = store
        .list_memberships(
            &city,
            &junkan_partners::MembershipFilter {
                organization: Some(ids("municipality")),
                ..junkan_partners::MembershipFilter::default()
            },
        )
        .await?;
    if let Some(membership) = city_membership.first() {
        store
            .update_membership(
                &city,
                membership.id,
                MembershipSettings {
                    publish: Some(true),
                    ..MembershipSettings::default()
                },
            )
            .await?;
    }
    Ok(PartnersDemo {
        linked_target: linked.id.to_string(),
        flagged_target: recovery.id.to_string(),
    })
}
