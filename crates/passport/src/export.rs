//! Exports of a passport into other passport formats. Every export is built from a reader's view
//! ([`crate::CompiledProfile::view`]), so it carries no more than that reader may see.
//!
//! - UNTP Digital Product Passport, **version 0.6.0** (UN/CEFACT UN Transparency Protocol; JSON-LD
//!   context `https://test.uncefact.org/vocabulary/untp/dpp/0.6.0/`), unsigned: the credential is
//!   the payload a trust service signs (issue 9).
//! - Battery Pass data model v1.2: one JSON object per aspect, keyed by aspect name.

use serde_json::{json, Map, Value};

use junkan_model::passport::{LinkRelation, Passport};

use crate::profile::Summary;

/// The UNTP DPP version the export implements.
pub const UNTP_VERSION: &str = "0.6.0";
/// The UNTP DPP JSON-LD context of that version.
pub const UNTP_CONTEXT: &str = "https://test.uncefact.org/vocabulary/untp/dpp/0.6.0/";
/// The W3C Verifiable Credentials 2.0 context.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

/// The Battery Pass aspects, in the order of the data model, with the name of their schema file.
pub const BATTERY_PASS_ASPECTS: [(&str, &str); 7] = [
    ("GeneralProductInformation", "GeneralProductInformation-schema.json"),
    ("CarbonFootprint", "CarbonFootprintForBatteries-schema.json"),
    ("SupplyChainDueDiligence", "SupplyChainDueDiligence-schema.json"),
    ("MaterialComposition", "MaterialComposition-schema.json"),
    ("Circularity", "Circularity-schema.json"),
    ("PerformanceAndDurability", "PerformanceAndDurability-schema.json"),
    ("Labeling", "Labeling-schema.json"),
];

/// The issuer of an export: the passport's owner as the node knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issuer {
    /// A URI for the organization (the node's DID or directory URL).
    pub id: String,
    /// Name.
    pub name: String,
    /// Japan's corporate number (法人番号), when known.
    pub corporate_number: Option<String>,
}

/// The value a summary pointer names in `data`, if the reader's view holds it.
pub fn summary_value<'a>(data: &'a Value, pointer: Option<&str>) -> Option<&'a Value> {
    pointer.and_then(|pointer| data.pointer(pointer))
}

fn summary_text(data: &Value, pointer: Option<&str>) -> Option<String> {
    summary_value(data, pointer).and_then(|value| match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    })
}

fn summary_number(data: &Value, pointer: Option<&str>) -> Option<f64> {
    summary_value(data, pointer).and_then(|value| match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    })
}

fn link(url: &str, name: &str, link_type: &str) -> Value {
    json!({"linkURL": url, "linkName": name, "linkType": link_type})
}

/// The passport as a UNTP DPP credential. `base` is the node's public URL.
pub fn untp(passport: &Passport, summary: &Summary, issuer: &Issuer, base: &str) -> Value {
    let data = &passport.data;
    let name = summary_text(data, summary.name.as_deref()).unwrap_or_else(|| passport.identifier.clone());
    let mut product = Map::new();
    product.insert("type".into(), json!(["Product"]));
    product.insert("id".into(), json!(passport.identifier));
    product.insert("name".into(), json!(name));
    if let Ok(link) = junkan_gs1::canonicalize(&passport.identifier) {
        let (ai, value) = &link.primary;
        let mut registered = value.clone();
        for (qualifier, qualifier_value) in &link.qualifiers {
            registered.push_str(&format!(".{qualifier}.{qualifier_value}"));
        }
        product.insert("registeredId".into(), json!(registered));
        product.insert(
            "idScheme".into(),
            json!({"type": ["IdentifierScheme"], "id": format!("https://id.gs1.org/{ai}/"), "name": scheme_name(ai)}),
        );
        if let Some(lot) = link.qualifier("10") {
            product.insert("batchNumber".into(), json!(lot));
        }
        if let Some(serial) = link.qualifier("21") {
            product.insert("serialNumber".into(), json!(serial));
        }
    }
    if let Some(description) = summary_text(data, summary.description.as_deref()) {
        product.insert("description".into(), json!(description));
    }
    if let Some(date) = summary_text(data, summary.production_date.as_deref()) {
        // UNTP wants a full date; a month (YYYY-MM) is given as its first day.
        let date = if date.len() == 7 { format!("{date}-01") } else { date };
        if date.len() == 10 {
            product.insert("productionDate".into(), json!(date));
        }
    }
    if let Some(country) = summary_text(data, summary.country_of_production.as_deref()) {
        product.insert("countryOfProduction".into(), json!(country));
    }
    if let Some(mass) = summary_number(data, summary.mass.as_deref()) {
        product.insert("dimensions".into(), json!({"weight": {"value": mass, "unit": "KGM"}}));
    }
    let page = format!("{base}/api/v1/passports/{}", passport.id);
    product.insert(
        "furtherInformation".into(),
        json!([link(
            &format!("{page}/page"),
            "Passport page / パスポート",
            "https://gs1.org/voc/pip"
        )]),
    );
    product.insert("producedByParty".into(), json!({"id": issuer.id, "name": issuer.name}));
    // Everything else the reader may see, under Product.characteristics (UNTP's place for
    // industry-specific information), keyed by the junkan profile.
    product.insert(
        "characteristics".into(),
        json!({"profile": passport.profile, "profileVersion": passport.profile_version, "data": data}),
    );
    let mut subject = Map::new();
    subject.insert("type".into(), json!(["ProductPassport"]));
    subject.insert("id".into(), json!(passport.identifier));
    subject.insert("product".into(), Value::Object(product));
    subject.insert("granularityLevel".into(), json!(passport.granularity.as_str()));
    subject.insert("conformityClaim".into(), json!([]));
    if let Some(footprint) = summary_number(data, summary.carbon_footprint.as_deref()) {
        subject.insert(
            "emissionsScorecard".into(),
            json!({"carbonFootprint": footprint, "declaredUnit": "KGM", "operationalScope": "CradleToGate", "primarySourcedRatio": 0}),
        );
    }
    if let Some(recycled) = summary_number(data, summary.recycled_content.as_deref()) {
        subject.insert(
            "circularityScorecard".into(),
            json!({"recycledContent": recycled / 100.0}),
        );
    }
    let materials: Vec<Value> = passport
        .links
        .iter()
        .filter(|link| link.relation == LinkRelation::Material)
        .map(|link| {
            let mut material = json!({"name": link.identifier, "id": link.identifier});
            if let (Some(quantity), Some("kg")) = (link.quantity, link.unit.as_deref()) {
                material["massAmount"] = json!({"value": quantity, "unit": "KGM"});
            }
            material
        })
        .collect();
    if !materials.is_empty() {
        subject.insert("materialsProvenance".into(), Value::Array(materials));
    }
    subject.insert(
        "traceabilityInformation".into(),
        json!([{
            "valueChainProcess": "EPCIS 2.0 events",
            "traceabilityEvent": [link(
                &format!("{base}/epcis/events?MATCH_anyEPC={}", junkan_gs1::digital_link::percent_encode(&passport.identifier)),
                "EPCIS events / トレーサビリティ",
                "https://test.uncefact.org/vocabulary/linkTypes/dte",
            )]
        }]),
    );
    let mut issuer_value = json!({"type": ["CredentialIssuer"], "id": issuer.id, "name": issuer.name});
    if let Some(number) = &issuer.corporate_number {
        issuer_value["issuerAlsoKnownAs"] = json!([{
            "id": format!("https://www.houjin-bangou.nta.go.jp/henkorireki-johoto.html?selHouzinNo={number}"),
            "name": issuer.name,
            "registeredId": number,
        }]);
    }
    json!({
        "@context": [VC_CONTEXT, UNTP_CONTEXT],
        "type": ["DigitalProductPassport", "VerifiableCredential"],
        "id": format!("{page}/export?format=untp&version={}", passport.version),
        "issuer": issuer_value,
        "validFrom": passport
            .version_created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        "credentialSubject": Value::Object(subject),
    })
}

fn scheme_name(ai: &str) -> &'static str {
    match ai {
        "01" => "Global Trade Item Number (GTIN)",
        "00" => "Serial Shipping Container Code (SSCC)",
        "8003" => "Global Returnable Asset Identifier (GRAI)",
        "8004" => "Global Individual Asset Identifier (GIAI)",
        "414" | "417" => "Global Location Number (GLN)",
        _ => "GS1 identification key",
    }
}

/// A battery passport's data as the Battery Pass data model v1.2: one object per aspect, keyed by
/// aspect name; aspects the reader may not see at all are absent.
pub fn battery_pass(data: &Value) -> Value {
    let mut out = Map::new();
    for (aspect, _) in BATTERY_PASS_ASPECTS {
        if let Some(value) = data.get(aspect) {
            out.insert(aspect.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}
