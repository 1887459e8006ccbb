//! The demo's conformity certificates (適合性証明): the certification body (日本循環認証機構)
//! certifies, through the router the node serves and with its own client credentials, the
//! recycled content of the recycled pellet lot's passport (the share the demo computed by mass
//! balance, split pre-/post-consumer), the CFP of the automaker's vehicle battery footprint
//! (shared with it by the automaker for the verification), and the eco-design of the
//! refrigerator's passport, which it then revokes. Each is a `vc+jwt` signed by the certifier's
//! key with an entry in its status list; they are listed under `examples.certificates` in
//! `demo-credentials.json` and printed in the banner.

use anyhow::{bail, Context};
use axum::http::{Method, StatusCode};
use axum::Router;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use junkan_demo::DemoCredentials;

use crate::demo_cfp::{call, client_token};

fn example<'a>(credentials: &'a DemoCredentials, key: &str) -> anyhow::Result<&'a Value> {
    credentials
        .examples
        .get(key)
        .with_context(|| format!("the demo recorded no {key}"))
}

fn text(value: &Value, what: &str) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {what} in {value}"))
}

/// Issues the three certificates, revokes the third, and records them.
pub async fn issue(router: &Router, credentials: &mut DemoCredentials) -> anyhow::Result<Vec<Value>> {
    let login = |slug: &str| {
        credentials
            .organizations
            .iter()
            .find(|login| login.slug == slug)
            .cloned()
            .with_context(|| format!("no demo organization {slug}"))
    };
    let certifier = login("certifier")?;
    let automaker = login("automaker")?;
    let certifier_bearer = [(
        "authorization",
        format!("Bearer {}", client_token(router, &certifier).await?),
    )];
    let automaker_bearer = [(
        "authorization",
        format!("Bearer {}", client_token(router, &automaker).await?),
    )];

    // 1. The pellet lot's recycled content, as its ledger claims it.
    let pellets = example(credentials, "recycled_content")?
        .as_array()
        .and_then(|claims| {
            claims
                .iter()
                .find(|claim| claim["product"].as_str().is_some_and(|name| name.contains("pellets")))
        })
        .context("the demo's pellet claim")?
        .clone();
    let pellet_passport = text(example(credentials, "pellet_passport_id")?, "pellet passport id")?;
    let recycled = json!({
        "scheme": "recycled_content",
        "subject": {"kind": "passport", "id": pellet_passport},
        "claim": {"type": "recycled_content", "material": pellets["material"],
                  "recycled_share_pct": pellets["recycled_share_pct"],
                  "pre_consumer_pct": pellets["pre_consumer_pct"], "post_consumer_pct": pellets["post_consumer_pct"],
                  "method": pellets["model"]},
        "valid_from": "2026-04-01T00:00:00+09:00",
        "valid_until": "2027-04-01T00:00:00+09:00",
        "reference_number": "JCC-RC-2026-0042",
        "evidence": format!("マスバランス台帳とクレームの追跡を確認 / mass-balance ledger and claim trace examined: {}",
                            pellets["trace"].as_str().unwrap_or_default()),
    });

    // 2. The vehicle battery's CFP: the automaker shares its footprint with the certifier, which
    // verifies the value per declared unit.
    let battery = example(credentials, "battery_cfp")?;
    let footprint_id = text(&battery["chain"][0]["footprint_id"], "battery footprint id")?;
    call(
        router,
        Method::POST,
        &format!("/api/v1/footprints/{footprint_id}/share"),
        &automaker_bearer,
        Some(json!({"organization_id": certifier.id, "purpose": "CFP検証 / CFP verification"})),
        StatusCode::CREATED,
    )
    .await?;
    let footprint = call(
        router,
        Method::GET,
        &format!("/3/footprints/{footprint_id}"),
        &certifier_bearer,
        None,
        StatusCode::OK,
    )
    .await?;
    let pcf = &footprint["data"]["pcf"];
    let total: Decimal = text(&pcf["pcfExcludingBiogenicUptake"], "pcf")?.parse()?;
    let amount: Decimal = text(&pcf["declaredUnitAmount"], "declared unit amount")?.parse()?;
    let declared_unit = text(&pcf["declaredUnitOfMeasurement"], "declared unit")?;
    let per_unit = (total / amount).normalize();
    let cfp = json!({
        "scheme": "cfp_verification",
        "subject": {"kind": "footprint", "id": footprint_id},
        "claim": {"type": "cfp", "value": per_unit.to_string(), "unit": "kgCO2e",
                  "declared_unit": declared_unit, "standard": "ISO 14067:2018"},
        "valid_from": "2026-04-01T00:00:00+09:00",
        "valid_until": "2029-04-01T00:00:00+09:00",
        "reference_number": "JCC-CFP-2026-0007",
        "evidence": "一次データと部品CFPの積上げを検証 / primary data and the parts' roll-up verified",
    });

    // 3. The refrigerator's eco-design, revoked after a surveillance audit.
    let fridge_passport = text(example(credentials, "fridge_passport_id")?, "refrigerator passport id")?;
    let eco_design = json!({
        "scheme": "eco_design",
        "subject": {"kind": "passport", "id": fridge_passport},
        "claim": {"type": "eco_design", "product_category": "家電（冷蔵庫） / home appliance (refrigerator)",
                  "criteria": ["解体容易性 / ease of disassembly", "再生プラスチック利用 / recycled plastics used"]},
        "valid_from": "2026-04-01T00:00:00+09:00",
        "valid_until": "2028-04-01T00:00:00+09:00",
        "reference_number": "JCC-ED-2026-0013",
    });

    let mut issued = Vec::new();
    for (label, request) in [
        ("再生PPペレットの再生材含有率 / pellets' recycled content", recycled),
        ("車載電池システムのCFP / vehicle battery CFP", cfp),
        ("冷蔵庫の環境配慮設計 / refrigerator eco-design", eco_design),
    ] {
        let certificate = call(
            router,
            Method::POST,
            "/api/v1/certificates",
            &certifier_bearer,
            Some(request),
            StatusCode::CREATED,
        )
        .await
        .with_context(|| format!("issuing the certificate of {label}"))?;
        issued.push((label, certificate));
    }
    let revoked_id = text(&issued[2].1["id"], "certificate id")?;
    let revoked = call(
        router,
        Method::POST,
        &format!("/api/v1/certificates/{revoked_id}/revoke"),
        &certifier_bearer,
        Some(json!({"reason": "定期監査で基準不適合 / criteria no longer met at the surveillance audit"})),
        StatusCode::OK,
    )
    .await?;
    if revoked["revoked_at"].is_null() {
        bail!("the revoked certificate has no revocation time: {revoked}");
    }
    issued[2].1 = revoked;

    let listed: Vec<Value> = issued
        .iter()
        .map(|(label, certificate)| {
            json!({
                "label": label,
                "id": certificate["id"],
                "scheme": certificate["scheme"],
                "subject": certificate["subject"],
                "claim": certificate["claim"],
                "valid_from": certificate["valid_from"],
                "valid_until": certificate["valid_until"],
                "reference_number": certificate["reference_number"],
                "credential_id": certificate["credential_id"],
                "revoked": !certificate["revoked_at"].is_null(),
                "href": format!("/api/v1/certificates/{}", certificate["id"].as_str().unwrap_or_default()),
                "credential": format!("/api/v1/certificates/{}/credential", certificate["id"].as_str().unwrap_or_default()),
            })
        })
        .collect();
    credentials
        .examples
        .insert("certificates".to_owned(), Value::Array(listed.clone()));
    Ok(listed)
}

/// The banner lines.
pub fn print(base_url: &str, certificates: &[Value]) {
    println!(
        "  Certificates: 適合性証明（認証機関の署名付き vc+jwt） / conformity certificates signed by the certifier:"
    );
    for certificate in certificates {
        println!(
            "    {:<52} {} {}",
            certificate["label"].as_str().unwrap_or("-"),
            if certificate["revoked"].as_bool() == Some(true) {
                "取消済み / revoked"
            } else {
                "有効 / in force"
            },
            format_args!("{base_url}{}", certificate["credential"].as_str().unwrap_or_default()),
        );
    }
}
