//! `junkan pact fetch`: fetch a PACT partner's footprints (token discovery, pagination, retries,
//! v3 or v2.3) with a validation report, and optionally import the valid ones into a junkan node
//! through its API (`POST /api/v1/footprints`), so that they are stored once like any other.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

use junkan_server::pact_client::PactClient;

/// Where and how to fetch.
#[derive(Debug)]
pub struct Fetch {
    /// The partner's PACT base URL.
    pub url: String,
    /// Client id at the partner.
    pub client_id: String,
    /// Client secret at the partner.
    pub client_secret: String,
    /// The partner's token endpoint, when discovery is not wanted.
    pub token_endpoint: Option<String>,
    /// 3 or 2.
    pub version: u8,
    /// PACT criteria (`name=value`).
    pub criteria: Vec<String>,
    /// A junkan node to import into, with a bearer token there.
    pub import: Option<(String, String)>,
}

/// Fetches, reports, and imports; returns the report as JSON.
pub fn fetch(request: &Fetch) -> anyhow::Result<Value> {
    let mut client = PactClient::new(
        &request.url,
        request.token_endpoint.clone(),
        &request.client_id,
        &request.client_secret,
    );
    let criteria: Vec<(String, String)> = request
        .criteria
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .with_context(|| format!("--criterion {pair:?} is not name=value"))
        })
        .collect::<anyhow::Result<_>>()?;
    let report = client
        .fetch_footprints(request.version, &criteria)
        .with_context(|| format!("fetching the footprints of {}", request.url))?;
    let mut output = serde_json::to_value(&report)?;
    if let Some((node, token)) = &request.import {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .redirects(0)
            .build();
        let (mut created, mut present, mut refused) = (0, 0, Vec::new());
        for footprint in &report.valid {
            let document = junkan_footprint::pact::to_v3(footprint)
                .map_err(|violations| anyhow::anyhow!("footprint {} has no v3 view: {violations:?}", footprint.id))?;
            let outcome = agent
                .post(&format!("{}/api/v1/footprints", node.trim_end_matches('/')))
                .set("Authorization", &format!("Bearer {token}"))
                .send_json(json!({"footprint": document, "visibility": "restricted"}));
            match outcome {
                Ok(_) => created += 1,
                Err(ureq::Error::Status(409, _)) => present += 1,
                Err(ureq::Error::Status(status, response)) => refused.push(json!({
                    "id": footprint.id, "status": status,
                    "problem": response.into_json::<Value>().unwrap_or(Value::Null),
                })),
                Err(error) => return Err(error).context("importing into the node"),
            }
        }
        output["import"] = json!({"created": created, "already_present": present, "refused": refused});
    }
    Ok(output)
}
