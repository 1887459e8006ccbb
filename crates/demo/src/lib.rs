//! A deterministic, realistic synthetic circular economy for the demo and the benchmarks.
//!
//! The base dataset has the loops the platform is first built for: an EV battery loop, a
//! home-appliance plastics loop, a steel and aluminium loop, with a municipality, a university, an
//! industry association, a certifier and an authority; the authority enters Japan's published
//! national material flows, indicator values and targets (`national`), the one set of real figures. Every name is fictional (municipalities
//! are real places, marked デモ). Identifiers carry valid check digits. At `scale` N > 1 the
//! generator adds (N - 1) × 50 further organizations with two facilities each, from a seeded
//! random generator, so the same scale always gives the same data.

pub mod battery_cfp;
pub mod circularity;
mod events;
pub mod national;
pub mod partners;
mod passports;
pub mod recycled_content;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use time::Duration;

use junkan_auth::password::hash_password;
use junkan_auth::secret::{digest, generate_secret};
use junkan_model::access::{GrantLevel, Grantee, NewCertification, NewGrant, RecordKind};
use junkan_model::facility::{FacilityType, NewFacility, Visibility};
use junkan_model::ids::OrganizationId;
use junkan_model::japan::municipalities;
use junkan_model::organization::{CompanySize, CycleRole, NewOrganization, OrganizationType};
use junkan_model::principal::{Actor, NewCredential, PrincipalKind, Role};
use junkan_store::{NewUserRecord, Store, StoreError};

/// One organization of the base dataset.
struct Member {
    slug: &'static str,
    name_ja: &'static str,
    name_en: &'static str,
    kind: OrganizationType,
    size: Option<CompanySize>,
    /// Local-government code of the head office (and, for municipalities, of the body itself).
    city: &'static str,
    industries: &'static [&'static str],
    roles: &'static [CycleRole],
    facilities: &'static [(&'static str, &'static str, FacilityType)],
}

use CycleRole::*;
use FacilityType as F;
use OrganizationType as T;

const SME: Option<CompanySize> = Some(CompanySize::Sme);
const LARGE: Option<CompanySize> = Some(CompanySize::Large);
const SMALL: Option<CompanySize> = Some(CompanySize::Small);

#[rustfmt::skip]
const MEMBERS: &[Member] = &[
    // EV battery loop.
    Member { slug: "cellmaker", name_ja: "東海セルテック株式会社", name_en: "Tokai Celltech Co., Ltd.", kind: T::Company, size: LARGE, city: "232114", industries: &["batteries"], roles: &[Manufacturer], facilities: &[("豊田セル工場", "Toyota cell plant", F::Plant)] },
    Member { slug: "packmaker", name_ja: "みらい電池パック株式会社", name_en: "Mirai Battery Pack Co., Ltd.", kind: T::Company, size: SME, city: "232025", industries: &["batteries"], roles: &[Manufacturer], facilities: &[("岡崎パック工場", "Okazaki pack plant", F::Plant)] },
    Member { slug: "automaker", name_ja: "瑞穂自動車株式会社", name_en: "Mizuho Motors Corporation", kind: T::Company, size: LARGE, city: "141305", industries: &["automobiles", "batteries"], roles: &[Manufacturer], facilities: &[("川崎組立工場", "Kawasaki assembly plant", F::Plant), ("横浜部品センター", "Yokohama parts centre", F::Warehouse)] },
    Member { slug: "dealer", name_ja: "さくらモータース販売株式会社", name_en: "Sakura Motors Sales Co., Ltd.", kind: T::Company, size: SMALL, city: "131130", industries: &["automobiles"], roles: &[Distributor], facilities: &[("渋谷店", "Shibuya store", F::Store)] },
    Member { slug: "fleet", name_ja: "はやて配送株式会社", name_en: "Hayate Delivery Co., Ltd.", kind: T::Company, size: SME, city: "271004", industries: &["automobiles"], roles: &[User], facilities: &[("大阪配送センター", "Osaka delivery centre", F::Warehouse)] },
    Member { slug: "collector", name_ja: "北関東リサイクル回収株式会社", name_en: "Kita-Kanto Recycling Collection Co., Ltd.", kind: T::Company, size: SMALL, city: "092011", industries: &["batteries", "waste_management"], roles: &[Collector], facilities: &[("宇都宮回収拠点", "Utsunomiya collection point", F::CollectionPoint)] },
    Member { slug: "dismantler", name_ja: "常陸解体工業株式会社", name_en: "Hitachi Dismantling Industries Co., Ltd.", kind: T::Company, size: SME, city: "082015", industries: &["automobiles", "batteries"], roles: &[DismantlerSorter], facilities: &[("水戸解体工場", "Mito dismantling plant", F::DismantlingSortingPlant)] },
    Member { slug: "blackmass", name_ja: "ブラックマス再生株式会社", name_en: "Black Mass Renewal K.K.", kind: T::Company, size: SME, city: "202011", industries: &["batteries"], roles: &[Recycler], facilities: &[("長野前処理工場", "Nagano pre-treatment plant", F::RecyclingPlant)] },
    Member { slug: "refiner", name_ja: "瀬戸内非鉄精錬株式会社", name_en: "Setouchi Non-Ferrous Refining Co., Ltd.", kind: T::Company, size: LARGE, city: "342025", industries: &["batteries", "chemicals"], roles: &[Recycler, RecycledMaterialProducer], facilities: &[("呉精錬所", "Kure refinery", F::Refinery)] },
    Member { slug: "cathode", name_ja: "正極マテリアル株式会社", name_en: "Cathode Materials Corporation", kind: T::Company, size: LARGE, city: "382019", industries: &["batteries", "chemicals"], roles: &[Manufacturer], facilities: &[("松山正極材工場", "Matsuyama cathode plant", F::Plant)] },
    // Home-appliance plastics loop.
    Member { slug: "appliance", name_ja: "やまと家電株式会社", name_en: "Yamato Home Appliances Co., Ltd.", kind: T::Company, size: LARGE, city: "272051", industries: &["home_appliances"], roles: &[Manufacturer], facilities: &[("吹田工場", "Suita plant", F::Plant)] },
    Member { slug: "appliance-recycling", name_ja: "関西家電リサイクルセンター株式会社", name_en: "Kansai Appliance Recycling Centre Co., Ltd.", kind: T::Company, size: SME, city: "282014", industries: &["home_appliances", "waste_management"], roles: &[Collector, DismantlerSorter, Recycler], facilities: &[("姫路家電リサイクルプラント", "Himeji appliance recycling plant", F::DismantlingSortingPlant)] },
    Member { slug: "pellet", name_ja: "再生ペレット化成株式会社", name_en: "Recycled Pellet Kasei Co., Ltd.", kind: T::Company, size: SMALL, city: "252018", industries: &["plastics"], roles: &[Recycler, RecycledMaterialProducer], facilities: &[("大津フレーク・ペレット工場", "Otsu flake and pellet plant", F::RecyclingPlant)] },
    Member { slug: "compounder", name_ja: "近江コンパウンド株式会社", name_en: "Omi Compound Co., Ltd.", kind: T::Company, size: SME, city: "261009", industries: &["plastics", "chemicals"], roles: &[RecycledMaterialProducer, Manufacturer], facilities: &[("京都コンパウンド工場", "Kyoto compounding plant", F::Plant)] },
    // Steel and aluminium loop.
    Member { slug: "scrapyard", name_ja: "博多金属スクラップ株式会社", name_en: "Hakata Metal Scrap Co., Ltd.", kind: T::Company, size: SMALL, city: "401323", industries: &["steel", "aluminium", "waste_management"], roles: &[Collector, DismantlerSorter], facilities: &[("博多スクラップヤード", "Hakata scrap yard", F::DismantlingSortingPlant)] },
    Member { slug: "eaf", name_ja: "九州電炉製鋼株式会社", name_en: "Kyushu Electric Arc Steel Co., Ltd.", kind: T::Company, size: LARGE, city: "401005", industries: &["steel"], roles: &[Recycler, RecycledMaterialProducer], facilities: &[("北九州電炉工場", "Kitakyushu EAF works", F::RecyclingPlant)] },
    Member { slug: "aluminium", name_ja: "水平リサイクルアルミ株式会社", name_en: "Horizontal Recycling Aluminium Co., Ltd.", kind: T::Company, size: SME, city: "222038", industries: &["aluminium"], roles: &[Recycler, RecycledMaterialProducer], facilities: &[("沼津再生アルミ工場", "Numazu secondary aluminium plant", F::RecyclingPlant)] },
    // Public bodies and partners.
    Member { slug: "municipality", name_ja: "北九州市（デモ）", name_en: "Kitakyushu City (demo)", kind: T::Municipality, size: None, city: "401005", industries: &["waste_management"], roles: &[Collector], facilities: &[("日明清掃工場", "Hiagari incineration plant", F::EnergyRecoveryPlant)] },
    Member { slug: "university", name_ja: "循環工学大学", name_en: "University of Circular Engineering", kind: T::UniversityOrResearchInstitute, size: None, city: "041009", industries: &["research_education"], roles: &[], facilities: &[] },
    Member { slug: "association", name_ja: "一般社団法人 電池リサイクル協会", name_en: "Battery Recycling Association", kind: T::IndustryAssociation, size: None, city: "131016", industries: &["batteries"], roles: &[], facilities: &[] },
    Member { slug: "certifier", name_ja: "日本循環認証機構株式会社", name_en: "Japan Circularity Certification K.K.", kind: T::Company, size: SME, city: "131032", industries: &[], roles: &[Certifier], facilities: &[] },
    Member { slug: "authority", name_ja: "資源循環監督庁（デモ）", name_en: "Resource Circulation Agency (demo)", kind: T::GovernmentBody, size: None, city: "131016", industries: &[], roles: &[], facilities: &[] },
    // Buildings and civil materials: recycled aggregate from demolition concrete.
    Member { slug: "aggregate", name_ja: "関東再生砕石株式会社", name_en: "Kanto Recycled Aggregate Co., Ltd.", kind: T::Company, size: SME, city: "112216", industries: &["buildings_civil", "waste_management"], roles: &[Recycler, RecycledMaterialProducer], facilities: &[("草加再生骨材工場", "Soka recycled aggregate plant", F::RecyclingPlant)] },
];

/// What the demo writes to `demo-credentials.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DemoCredentials {
    /// Where the node answers.
    pub base_url: String,
    /// Every organization of the base dataset with its logins.
    pub organizations: Vec<OrganizationLogin>,
    /// The node administrator.
    pub node_admin: UserLogin,
    /// Ids of a few records, for scripts and later capabilities.
    pub examples: serde_json::Map<String, serde_json::Value>,
    /// The capture jobs that stored the demo's events, for the node to sign (not written out).
    #[serde(skip)]
    pub captures: Vec<junkan_model::event::CaptureJob>,
}

/// The logins of one demo organization.
#[derive(Debug, Clone, Serialize)]
pub struct OrganizationLogin {
    /// Organization id.
    pub id: OrganizationId,
    /// Short name used in user names.
    pub slug: String,
    /// Japanese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// OAuth client id (client credentials grant).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Administrator user name.
    pub username: String,
    /// Administrator password.
    pub password: String,
    /// Roles of the administrator and the client.
    pub roles: Vec<Role>,
    /// The API key the organization's application sends as the Ouranos `apiKey` header, for
    /// the companies of the battery CFP chain (made through the API when the demo plays it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

/// A user login.
#[derive(Debug, Clone, Serialize)]
pub struct UserLogin {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Loads the dataset into an empty, migrated store.
pub async fn load(store: &dyn Store, scale: u32, base_url: &str) -> Result<DemoCredentials, StoreError> {
    let system = Actor::system();
    let mut random = ChaCha8Rng::seed_from_u64(0x6a75_6e6b_616e);
    let operator = store
        .create_organization(
            &system,
            NewOrganization {
                name_ja: "junkan デモノード運営".to_owned(),
                name_en: "junkan demo node operator".to_owned(),
                organization_type: T::RelatedOrganization,
                company_size: None,
                corporate_number: Some(corporate_number(&mut random)),
                lei: None,
                gs1_company_prefix: None,
                gln: None,
                local_government_code: None,
                prefecture_code: Some("13".to_owned()),
                industries: vec![],
                roles: vec![],
                website: None,
            },
        )
        .await?;
    let node_admin = UserLogin {
        username: "node-admin".to_owned(),
        password: "junkan-demo-node-admin".to_owned(),
    };
    create_user(store, operator.id, &node_admin, vec![Role::NodeAdmin]).await?;

    let mut logins = Vec::new();
    let mut examples = serde_json::Map::new();
    for (index, member) in MEMBERS.iter().enumerate() {
        let organization = store
            .create_organization(&system, new_organization(member, index, &mut random))
            .await?;
        let admin = organization_admin(organization.id);
        for (plant_index, (name_ja, name_en, facility_type)) in member.facilities.iter().enumerate() {
            let facility = store
                .create_facility(
                    &admin,
                    organization.id,
                    new_facility(member, index, plant_index, name_ja, name_en, *facility_type),
                )
                .await?;
            examples
                .entry(format!("{}_facility_id", member.slug.replace('-', "_")))
                .or_insert(facility.id.to_string().into());
        }
        let roles = if member.slug == "authority" {
            vec![Role::Auditor]
        } else {
            vec![Role::OrgAdmin, Role::Member]
        };
        let login = UserLogin {
            username: format!("{}-admin", member.slug),
            password: format!("junkan-demo-{}", member.slug),
        };
        create_user(store, organization.id, &login, roles.clone()).await?;
        let client_secret = generate_secret();
        let client = store
            .create_client(
                &system,
                organization.id,
                &NewCredential {
                    name: "demo client".to_owned(),
                    roles: roles.clone(),
                    expires_at: None,
                },
                &digest(&client_secret),
            )
            .await?;
        examples
            .entry(format!("{}_organization_id", member.slug.replace('-', "_")))
            .or_insert(organization.id.to_string().into());
        logins.push(OrganizationLogin {
            id: organization.id,
            slug: member.slug.to_owned(),
            name: organization.name_ja,
            name_en: organization.name_en,
            client_id: client.id.to_string(),
            client_secret,
            username: login.username,
            password: login.password,
            roles,
            api_key: None,
        });
    }
    share_along_the_loops(store, &logins, &mut examples).await?;
    let id_of = |slug: &str| {
        logins
            .iter()
            .find(|login| login.slug == slug)
            .map(|login| login.id)
            .expect("slug of the base dataset")
    };
    let mut traceable = events::record_loops(store, &id_of).await?;
    let captures = std::mem::take(&mut traceable.captures);
    let passports = passports::create(store, &traceable, &id_of).await?;
    for (key, passport) in [
        ("battery_passport", &passports.battery),
        ("pellet_passport", &passports.pellets),
        ("billet_passport", &passports.billet),
        ("aggregate_passport", &passports.aggregate),
        ("fridge_passport", &passports.fridge),
        ("flakes_passport", &passports.flakes),
    ] {
        examples.insert(format!("{key}_id"), passport.id.to_string().into());
        examples.insert(format!("{key}_digital_link"), passport.identifier.clone().into());
    }
    // Recycled content by mass balance from the events, through the companies' ledgers.
    let facility_of = |slug: &str| {
        examples
            .get(&format!("{}_facility_id", slug.replace('-', "_")))
            .and_then(|value| value.as_str())
            .and_then(|id| id.parse().ok())
            .expect("every loop member has a facility")
    };
    let claims = recycled_content::compute(store, &traceable, &id_of, &facility_of).await?;
    examples.insert(
        "recycled_content".to_owned(),
        claims.iter().map(recycled_content::DemoClaim::example).collect(),
    );
    // Company-level circularity: customers show their suppliers what became of their lots.
    circularity::share_downstream_use(store, &traceable, &passports, &id_of).await?;
    for (key, value) in [
        ("recovered_cobalt_lot", &traceable.cobalt_lot),
        ("recycled_pellet_lot", &traceable.pellet_lot),
        ("remelted_billet_lot", &traceable.billet_lot),
        ("battery_pack_epc", &traceable.battery_pack),
    ] {
        examples.insert(key.to_owned(), value.clone().into());
    }
    // Japan's published national material flows, FY2019 indicator values and targets, entered by
    // the authority as public records (物質フロー指標).
    national::load(store, &organization_admin(id_of("authority"))).await?;
    examples.insert(
        "national_indicators".to_owned(),
        "/api/v1/indicators/jp-material-flow?scope=nation:JP&period=2000".into(),
    );
    examples.insert(
        "national_indicator_series".to_owned(),
        "/api/v1/indicators/jp-material-flow/series?scope=nation:JP&period=2015/2030".into(),
    );
    // Circular Partners: the operator is the secretariat, signed in as `cps-secretariat`.
    let secretariat = UserLogin {
        username: "cps-secretariat".to_owned(),
        password: "junkan-demo-secretariat".to_owned(),
    };
    create_user(store, operator.id, &secretariat, vec![Role::Member]).await?;
    let partners = partners::load(store, operator.id, &id_of).await?;
    examples.insert(
        "partners".to_owned(),
        serde_json::json!({
            "secretariat_username": secretariat.username,
            "secretariat_password": secretariat.password,
            "secretariat_page": "/app/partners/secretariat",
            "secretariat_overview": "/api/v1/partners/secretariat/overview",
            "linked_target_progress": format!("/api/v1/partners/targets/{}/progress", partners.linked_target),
            "flagged_target": format!("/api/v1/partners/targets/{}", partners.flagged_target),
        }),
    );
    add_synthetic_organizations(store, scale, &mut random).await?;
    Ok(DemoCredentials {
        base_url: base_url.to_owned(),
        organizations: logins,
        node_admin,
        examples,
        captures,
    })
}

/// Grants and certifications between the loops' members, as they would share in practice.
async fn share_along_the_loops(
    store: &dyn Store,
    logins: &[OrganizationLogin],
    examples: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<(), StoreError> {
    let id = |slug: &str| {
        logins
            .iter()
            .find(|login| login.slug == slug)
            .map(|login| login.id)
            .expect("slug of the base dataset")
    };
    let now = store.now();
    // The automaker lets its dismantler see its plants, for take-back logistics.
    let grant = store
        .create_grant(
            &organization_admin(id("automaker")),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization {
                    organization_id: id("dismantler"),
                },
                record_kind: RecordKind::Facility,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("使用済み電池の引取り / take-back of used batteries".to_owned()),
                expires_at: now + Duration::days(365),
                fields: None,
            },
        )
        .await?;
    examples.insert("grant_id".to_owned(), grant.id.to_string().into());
    // The appliance maker opens its plant data to every recycler (standing rule by role).
    store
        .create_grant(
            &organization_admin(id("appliance")),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Role { role: Recycler },
                record_kind: RecordKind::Facility,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("再資源化 / recycling".to_owned()),
                expires_at: now + Duration::days(365),
                fields: None,
            },
        )
        .await?;
    // The refiner opens its traceability events to the cathode maker, so the cathode maker can
    // follow recovered cobalt back through the refinery (the black-mass recycler shares nothing,
    // so its steps appear withheld).
    store
        .create_grant(
            &organization_admin(id("refiner")),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Organization {
                    organization_id: id("cathode"),
                },
                record_kind: RecordKind::Event,
                record_ids: None,
                level: GrantLevel::LegitimateInterest,
                purpose: Some("再生材含有率の確認 / recycled content verification".to_owned()),
                expires_at: now + Duration::days(365),
                fields: None,
            },
        )
        .await?;
    // The certifier certifies the refiner's recycled content; the cathode maker shares with
    // every holder of that certification.
    let certification = store
        .create_certification(
            &organization_admin(id("certifier")),
            NewCertification {
                subject_organization_id: id("refiner"),
                scheme: "recycled_content".to_owned(),
                valid_from: now - Duration::days(30),
                valid_until: now + Duration::days(3 * 365),
            },
        )
        .await?;
    examples.insert("certification_id".to_owned(), certification.id.to_string().into());
    store
        .create_grant(
            &organization_admin(id("cathode")),
            NewGrant {
                record_class: None,
                max_reads: None,
                enforce_purpose: false,
                grantee: Grantee::Certification {
                    scheme: "recycled_content".to_owned(),
                },
                record_kind: RecordKind::Facility,
                record_ids: None,
                level: GrantLevel::Full,
                purpose: Some("再生材の供給 / recycled material supply".to_owned()),
                expires_at: now + Duration::days(365),
                fields: None,
            },
        )
        .await?;
    Ok(())
}

/// The administrator of `organization`, acting as it in the loader.
/// An administrator of `organization` as the demo loader acts for it.
pub fn organization_admin(organization: OrganizationId) -> Actor {
    Actor {
        kind: PrincipalKind::User,
        principal_id: "demo-loader".to_owned(),
        organization_id: Some(organization),
        roles: vec![Role::OrgAdmin, Role::Member],
        purpose: Some("demo data".to_owned()),
        request_id: None,
    }
}

async fn create_user(
    store: &dyn Store,
    organization: OrganizationId,
    login: &UserLogin,
    roles: Vec<Role>,
) -> Result<(), StoreError> {
    let record = NewUserRecord {
        username: login.username.clone(),
        display_name: login.username.clone(),
        password_hash: hash_password(&login.password),
        roles,
        locale: "ja".to_owned(),
    };
    store
        .create_user(&Actor::system(), organization, record)
        .await
        .map(|_| ())
}

fn new_organization(member: &Member, index: usize, random: &mut ChaCha8Rng) -> NewOrganization {
    let is_company = member.kind == T::Company;
    NewOrganization {
        name_ja: member.name_ja.to_owned(),
        name_en: member.name_en.to_owned(),
        organization_type: member.kind,
        company_size: member.size,
        corporate_number: Some(corporate_number(random)),
        lei: None,
        gs1_company_prefix: is_company.then(|| company_prefix(index)),
        gln: is_company.then(|| gln(&company_prefix(index), 0)),
        local_government_code: (member.kind == T::Municipality).then(|| member.city.to_owned()),
        prefecture_code: (member.kind != T::Municipality).then(|| member.city[..2].to_owned()),
        industries: member
            .industries
            .iter()
            .map(|industry| (*industry).to_owned())
            .collect(),
        roles: member.roles.to_vec(),
        website: None,
    }
}

fn new_facility(
    member: &Member,
    index: usize,
    plant_index: usize,
    name_ja: &str,
    name_en: &str,
    facility_type: FacilityType,
) -> NewFacility {
    NewFacility {
        name_ja: name_ja.to_owned(),
        name_en: name_en.to_owned(),
        facility_type,
        gln: (member.kind == T::Company).then(|| gln(&company_prefix(index), plant_index as u64 + 1)),
        ouranos_plant_id: Some(format!("JKN{}{:06}", member.slug.len(), index * 100 + plant_index + 1)),
        prefecture_code: None,
        local_government_code: Some(member.city.to_owned()),
        address: Some(format!("{name_ja} 1-{}-{}", index + 1, plant_index + 1)),
        visibility: if facility_type == F::Store || facility_type == F::CollectionPoint {
            Visibility::Public
        } else {
            Visibility::Restricted
        },
    }
}

/// A GS1 company prefix in a range GS1 Japan allocates (45xxxxx), one per demo member.
fn company_prefix(index: usize) -> String {
    format!("45999{:02}", index % 100)
}

/// A GLN under `prefix` with location reference `reference`.
fn gln(prefix: &str, reference: u64) -> String {
    let body = format!("{prefix}{reference:0width$}", width = 12 - prefix.len());
    let digits: Vec<u8> = body.bytes().map(|byte| byte - b'0').collect();
    format!("{body}{}", junkan_gs1::check_digit(&digits))
}

/// A corporate number with a valid check digit over twelve random digits.
fn corporate_number(random: &mut ChaCha8Rng) -> String {
    let base: Vec<u32> = (0..12).map(|_| random.gen_range(0..10)).collect();
    let weighted: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| digit * if index % 2 == 0 { 1 } else { 2 })
        .sum();
    let check = 9 - weighted % 9;
    format!("{check}{}", base.iter().map(u32::to_string).collect::<String>())
}

/// Adds `(scale - 1) × 50` synthetic companies with two facilities each.
async fn add_synthetic_organizations(store: &dyn Store, scale: u32, random: &mut ChaCha8Rng) -> Result<(), StoreError> {
    const PREFIXES: [&str; 10] = [
        "東日本",
        "西日本",
        "中部",
        "北陸",
        "山陽",
        "南海",
        "東北",
        "北海",
        "九州",
        "関東",
    ];
    const TRADES: [(&str, &str, &str, CycleRole); 6] = [
        ("金属リサイクル", "Metal Recycling", "steel", Recycler),
        ("樹脂再生", "Resin Renewal", "plastics", RecycledMaterialProducer),
        ("電池回収", "Battery Collection", "batteries", Collector),
        ("家電解体", "Appliance Dismantling", "home_appliances", DismantlerSorter),
        ("繊維循環", "Textile Circulation", "textiles", Recycler),
        (
            "建材再生",
            "Building Material Renewal",
            "buildings_civil",
            RecycledMaterialProducer,
        ),
    ];
    let cities: Vec<&str> = municipalities()
        .iter()
        .map(|municipality| municipality.local_government_code.as_str())
        .collect();
    let extra = scale.saturating_sub(1) as usize * 50;
    for number in 0..extra {
        let (trade_ja, trade_en, industry, role) = TRADES[number % TRADES.len()];
        let region = PREFIXES[(number / TRADES.len()) % PREFIXES.len()];
        let city = *cities.choose(random).expect("the municipality table is not empty");
        let organization = store
            .create_organization(
                &Actor::system(),
                NewOrganization {
                    name_ja: format!("{region}{trade_ja}第{number}株式会社"),
                    name_en: format!("{trade_en} No. {number} Co., Ltd."),
                    organization_type: T::Company,
                    company_size: Some([CompanySize::Large, CompanySize::Sme, CompanySize::Small][number % 3]),
                    corporate_number: Some(corporate_number(random)),
                    lei: None,
                    gs1_company_prefix: None,
                    gln: None,
                    local_government_code: None,
                    prefecture_code: Some(city[..2].to_owned()),
                    industries: vec![industry.to_owned()],
                    roles: vec![role],
                    website: None,
                },
            )
            .await?;
        for plant in 0..2 {
            store
                .create_facility(
                    &organization_admin(organization.id),
                    organization.id,
                    NewFacility {
                        name_ja: format!("第{}工場", plant + 1),
                        name_en: format!("Plant {}", plant + 1),
                        facility_type: if plant == 0 { F::RecyclingPlant } else { F::Warehouse },
                        gln: None,
                        ouranos_plant_id: Some(format!("SYN{:06}", number * 2 + plant)),
                        prefecture_code: None,
                        local_government_code: Some(city.to_owned()),
                        address: None,
                        visibility: if plant == 0 {
                            Visibility::Restricted
                        } else {
                            Visibility::Public
                        },
                    },
                )
                .await?;
        }
    }
    Ok(())
}
