//! The demo's company-level CTI (循環移行指標, WBCSD Circular Transition Indicators): each company
//! of [`junkan_demo::circularity::CTI_COMPANIES`] asks the node, with its own client credentials
//! and through the router the node serves, for its CTI over FY2026 computed from the demo's
//! events (`GET /api/v1/indicators/cti?scope=organization:<id>&period=2026`). The answers are
//! recorded under `examples.circularity` in `demo-credentials.json` and printed in the banner.
//! The companies of [`COMPANY_MCI_COMPANIES`] likewise ask for their mass-weighted company MCI
//! (企業のMCI, `company-mci`), recorded under `examples.company_mci`.

use anyhow::Context;
use axum::http::{Method, StatusCode};
use axum::Router;
use serde_json::{json, Value};

use junkan_demo::circularity::{COMPANY_MCI_COMPANIES, CTI_COMPANIES};
use junkan_demo::DemoCredentials;

use crate::demo_cfp::{call, client_token};

/// The period the demo's events fall in: fiscal year 2026 (2026-04-01 to 2027-03-31).
const PERIOD: &str = "2026";

/// Asks the node for the CTI of every company of `CTI_COMPANIES` and records them.
pub async fn compute(router: &Router, credentials: &mut DemoCredentials) -> anyhow::Result<Vec<Value>> {
    let mut figures = Vec::new();
    for slug in CTI_COMPANIES {
        let login = credentials
            .organizations
            .iter()
            .find(|login| login.slug == *slug)
            .with_context(|| format!("no demo organization {slug}"))?;
        let token = client_token(router, login).await?;
        let path = format!("/api/v1/indicators/cti?scope=organization:{}&period={PERIOD}", login.id);
        let body = call(
            router,
            Method::GET,
            &path,
            &[("authorization", format!("Bearer {token}"))],
            None,
            StatusCode::OK,
        )
        .await?;
        figures.push(json!({
            "organization": slug, "name": login.name, "name_en": login.name_en, "href": path,
            "computable": body["computable"],
            "circular_inflow_pct": body["result"]["circular_inflow_pct"],
            "circular_outflow_pct": body["result"]["circular_outflow_pct"],
            "circularity_pct": body["result"]["circularity_pct"],
            "inflow_mass_t": body["result"]["inflow_mass"],
            "outflow_mass_t": body["result"]["outflow_mass"],
            "not_computable": body["not_computable"],
        }));
    }
    credentials
        .examples
        .insert("circularity".to_owned(), Value::Array(figures.clone()));
    Ok(figures)
}

/// A percentage for the banner: one decimal place, or "—" when not computable.
fn percent(value: &Value) -> String {
    value
        .as_f64()
        .map(|share| format!("{share:.1} %"))
        .unwrap_or_else(|| "—".to_owned())
}

/// The banner lines.
pub fn print(base_url: &str, figures: &[Value]) {
    println!(
        "  CTI:          循環移行指標（WBCSD CTI、FY2026のEPCISイベントから） / company circularity from the events: 循環流入率 circular inflow / 循環流出率 circular outflow / 循環率 circularity"
    );
    for figure in figures {
        println!(
            "    {:<28} {} / {} / {}",
            figure["name"].as_str().unwrap_or("-"),
            percent(&figure["circular_inflow_pct"]),
            percent(&figure["circular_outflow_pct"]),
            percent(&figure["circularity_pct"]),
        );
    }
    if let Some(first) = figures.first() {
        println!(
            "    each with its inputs, sources and missing data: GET {base_url}{}",
            first["href"].as_str().unwrap_or_default()
        );
    }
}

/// Asks the node for the company MCI of every company of `COMPANY_MCI_COMPANIES` and records
/// them.
pub async fn compute_company_mci(router: &Router, credentials: &mut DemoCredentials) -> anyhow::Result<Vec<Value>> {
    let mut figures = Vec::new();
    for slug in COMPANY_MCI_COMPANIES {
        let login = credentials
            .organizations
            .iter()
            .find(|login| login.slug == *slug)
            .with_context(|| format!("no demo organization {slug}"))?;
        let token = client_token(router, login).await?;
        let path = format!(
            "/api/v1/indicators/company-mci?scope=organization:{}&period={PERIOD}",
            login.id
        );
        let body = call(
            router,
            Method::GET,
            &path,
            &[("authorization", format!("Bearer {token}"))],
            None,
            StatusCode::OK,
        )
        .await?;
        figures.push(json!({
            "organization": slug, "name": login.name, "name_en": login.name_en, "href": path,
            "computable": body["computable"],
            "mci": body["result"]["MCI"],
            "mass_t": body["result"]["M"],
            "not_computable": body["not_computable"],
        }));
    }
    credentials
        .examples
        .insert("company_mci".to_owned(), Value::Array(figures.clone()));
    Ok(figures)
}

/// The company MCI banner lines (three decimal places, or "—" when not computable).
pub fn print_company_mci(base_url: &str, figures: &[Value]) {
    println!(
        "  Company MCI:  企業のマテリアル循環性指標（質量加重、FY2026の出荷製品のパスポートから） / mass-weighted company MCI from the products made in FY2026"
    );
    for figure in figures {
        let shown = figure["mci"]
            .as_f64()
            .map(|mci| format!("{mci:.3}"))
            .unwrap_or_else(|| "—".to_owned());
        println!("    {:<28} MCI {shown}", figure["name"].as_str().unwrap_or("-"));
    }
    if let Some(first) = figures.first() {
        println!(
            "    with each product's MCI, mass and passport: GET {base_url}{}",
            first["href"].as_str().unwrap_or_default()
        );
    }
}
