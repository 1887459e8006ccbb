//! The demo's battery CFP exchange (カーボンフットプリント / carbon footprint, issue 5), played
//! through the node's own HTTP API by the companies themselves, each with its own credentials:
//! PACT v3 (the refiner publishes and shares its footprint, the cathode maker fetches it with
//! `/auth/token` and `GET /3/footprints`) and the Ouranos-compatible API (login, plants, parts
//! structures, a trade request from each buyer to its supplier, the supplier's CFP write and
//! trade response, status), until the automaker reads the rolled-up CFP of its vehicle battery.
//!
//! The requests go through the router the node then serves (every middleware, credential check,
//! validation and store call), in process rather than over a socket, so the demo stays quick and
//! deterministic whatever the listen address or TLS set-up, and also runs with `--no-serve`. The
//! figures are `junkan_demo::battery_cfp`.

use std::str::FromStr;

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use base64::Engine;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tower::ServiceExt;

use junkan_demo::battery_cfp::{
    refiner_footprint, ChainPart, CHAIN, RECYCLED_MATERIAL_PER_KG_CATHODE, RECYCLED_MATERIAL_PRODUCT_ID,
};
use junkan_demo::{DemoCredentials, OrganizationLogin};

/// What the automaker needs afterwards, recorded under `examples.battery_cfp` in
/// `demo-credentials.json`.
#[derive(Debug, Clone)]
pub struct BatteryCfp {
    /// The automaker's vehicle battery part (Ouranos `traceId`).
    pub vehicle_battery_trace_id: String,
    /// The rolled-up CFP per vehicle battery, kgCO2e (exact decimal text).
    pub total: String,
    /// Its primary data share, percent.
    pub primary_data_share: Option<String>,
    /// The whole record written to the credentials file.
    pub record: Value,
}

/// One HTTP answer.
struct Answer {
    status: StatusCode,
    body: Value,
}

/// Sends one request through the router and reads the JSON answer.
async fn send(
    router: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<Body>,
    content_type: &str,
) -> anyhow::Result<Answer> {
    let mut builder = Request::builder().method(method.clone()).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    let request = match body {
        Some(body) => builder.header(header::CONTENT_TYPE, content_type).body(body)?,
        None => builder.body(Body::empty())?,
    };
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await?.to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).with_context(|| format!("{method} {path} did not answer JSON"))?
    };
    Ok(Answer { status, body })
}

/// Sends a request and insists on `expected`.
pub(crate) async fn call(
    router: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<Value>,
    expected: StatusCode,
) -> anyhow::Result<Value> {
    let body = body.map(|value| Body::from(value.to_string()));
    let answer = send(router, method.clone(), path, headers, body, "application/json").await?;
    if answer.status != expected {
        bail!("{method} {path} answered {} {}", answer.status, answer.body);
    }
    Ok(answer.body)
}

/// A company's access token: client credentials in HTTP Basic, as PACT prescribes (`/auth/token`
/// takes them so for every client).
pub(crate) async fn client_token(router: &Router, login: &OrganizationLogin) -> anyhow::Result<String> {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", login.client_id, login.client_secret));
    let answer = send(
        router,
        Method::POST,
        "/auth/token",
        &[("authorization", format!("Basic {basic}"))],
        Some(Body::from("grant_type=client_credentials")),
        "application/x-www-form-urlencoded",
    )
    .await?;
    if answer.status != StatusCode::OK {
        bail!(
            "/auth/token for {} answered {} {}",
            login.slug,
            answer.status,
            answer.body
        );
    }
    Ok(answer.body["access_token"]
        .as_str()
        .context("/auth/token gave no access_token")?
        .to_owned())
}

/// A company of the Ouranos chain, signed in.
struct Operator {
    organization_id: String,
    api_key: String,
    token: String,
    plant_id: String,
}

impl Operator {
    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("apikey", self.api_key.clone()),
            ("authorization", format!("Bearer {}", self.token)),
        ]
    }

    async fn put(&self, router: &Router, target: &str, query: &str, body: Option<Value>) -> anyhow::Result<Value> {
        call(
            router,
            Method::PUT,
            &format!("/ouranos/api/v1/datatransport?dataTarget={target}{query}"),
            &self.headers(),
            body,
            StatusCode::CREATED,
        )
        .await
    }

    async fn get(&self, router: &Router, query: &str) -> anyhow::Result<Value> {
        call(
            router,
            Method::GET,
            &format!("/ouranos/api/v1/datatransport?{query}"),
            &self.headers(),
            None,
            StatusCode::OK,
        )
        .await
    }
}

/// Makes the company's application API key (as its administrator client), signs in to the
/// Ouranos API with its user's password and finds its plant.
async fn sign_in(router: &Router, login: &mut OrganizationLogin, plant_name: &str) -> anyhow::Result<Operator> {
    let token = client_token(router, login).await?;
    let created = call(
        router,
        Method::POST,
        &format!("/api/v1/organizations/{}/api-keys", login.id),
        &[("authorization", format!("Bearer {token}"))],
        Some(json!({"name": "Ouranos application (demo)", "roles": ["member"]})),
        StatusCode::CREATED,
    )
    .await?;
    let api_key = created["key"].as_str().context("the new API key")?.to_owned();
    login.api_key = Some(api_key.clone());
    let signed_in = call(
        router,
        Method::POST,
        "/ouranos/auth/login",
        &[("apikey", api_key.clone())],
        Some(json!({"operatorAccountId": login.username, "accountPassword": login.password})),
        StatusCode::CREATED,
    )
    .await?;
    let mut operator = Operator {
        organization_id: login.id.to_string(),
        api_key,
        token: signed_in["accessToken"]
            .as_str()
            .context("Ouranos login gave no accessToken")?
            .to_owned(),
        plant_id: String::new(),
    };
    let plants = call(
        router,
        Method::GET,
        "/ouranos/api/v1/authInfo?dataTarget=plant",
        &operator.headers(),
        None,
        StatusCode::OK,
    )
    .await?;
    operator.plant_id = plants
        .as_array()
        .and_then(|plants| plants.iter().find(|plant| plant["plantName"] == json!(plant_name)))
        .and_then(|plant| plant["plantId"].as_str())
        .with_context(|| format!("{} has no plant {plant_name}", login.slug))?
        .to_owned();
    Ok(operator)
}

fn number(text: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text).with_context(|| format!("{text} is not a number"))
}

/// An Ouranos `PartsModel` of the operator.
fn part_model(
    operator: &Operator,
    name: &str,
    support: &str,
    label: &str,
    amount: Value,
    unit: &str,
    terminated: bool,
) -> Value {
    json!({
        "amountRequired": amount, "amountRequiredUnit": unit, "operatorId": operator.organization_id,
        "partsName": name, "plantId": operator.plant_id, "supportPartsName": support, "terminatedFlag": terminated,
        "traceId": null, "partsLabelName": label, "partsAddInfo1": null, "partsAddInfo2": null, "partsAddInfo3": null
    })
}

/// The four-row CFP write of `part` with `bought_pre` as its pre-processing component row.
fn cfp_write(part: &ChainPart, trace_id: &str, bought_pre: &str) -> anyhow::Result<Value> {
    let mut rows = Vec::new();
    for (cfp_type, dqr_type, value, dqr) in [
        ("preProduction", "preProcessing", part.own_pre, part.dqr_pre),
        ("mainProduction", "mainProcessing", part.own_main, part.dqr_main),
        ("preComponent", "preProcessing", bought_pre, part.dqr_pre),
        ("mainComponent", "mainProcessing", part.bought_main, part.dqr_main),
    ] {
        rows.push(json!({
            "cfpId": null, "traceId": trace_id, "ghgEmission": number(value)?,
            "ghgDeclaredUnit": format!("kgCO2e/{}", part.unit), "cfpType": cfp_type, "dqrType": dqr_type,
            "dqrValue": {"TeR": number(dqr[0])?, "GeR": number(dqr[1])?, "TiR": number(dqr[2])?},
        }));
    }
    Ok(Value::Array(rows))
}

fn login_of<'a>(credentials: &'a mut DemoCredentials, slug: &str) -> anyhow::Result<&'a mut OrganizationLogin> {
    credentials
        .organizations
        .iter_mut()
        .find(|login| login.slug == slug)
        .with_context(|| format!("the demo has no organization {slug}"))
}

/// Plays the exchange and returns what the automaker sees.
pub async fn play(router: &Router, credentials: &mut DemoCredentials) -> anyhow::Result<BatteryCfp> {
    // PACT: the refiner publishes its recycled material's footprint (restricted) and shares it
    // with the cathode maker only.
    let cathode_id = login_of(credentials, "cathode")?.id;
    let refiner = login_of(credentials, "refiner")?.clone();
    let refiner_token = client_token(router, &refiner).await?;
    let refiner_bearer = [("authorization", format!("Bearer {refiner_token}"))];
    call(
        router,
        Method::POST,
        "/api/v1/footprints",
        &refiner_bearer,
        Some(json!({"footprint": refiner_footprint(), "visibility": "restricted"})),
        StatusCode::CREATED,
    )
    .await?;
    let refiner_footprint_id = refiner_footprint()["id"]
        .as_str()
        .context("the refiner's footprint id")?
        .to_owned();
    call(
        router,
        Method::POST,
        &format!("/api/v1/footprints/{refiner_footprint_id}/share"),
        &refiner_bearer,
        Some(json!({"organization_id": cathode_id, "purpose": "正極材のCFP算定 / cathode material CFP"})),
        StatusCode::CREATED,
    )
    .await?;

    // Ouranos: every company of the chain signs in as itself.
    let mut operators = Vec::new();
    for part in &CHAIN {
        operators.push(sign_in(router, login_of(credentials, part.company)?, part.plant).await?);
    }

    // Top down: each buyer puts its part with the component it buys and asks the supplier for
    // the component's CFP; the supplier finds the request in its inbox.
    let mut own_parts = Vec::new();
    let mut trades = Vec::new();
    for (index, part) in CHAIN.iter().enumerate() {
        let operator = &operators[index];
        let parent = part_model(
            operator,
            part.parts_name,
            part.support_parts_name,
            part.label,
            Value::Null,
            part.unit,
            part.component.is_none(),
        );
        let Some(component) = part.component else {
            let written = operator.put(router, "parts", "", Some(parent)).await?;
            own_parts.push(written["traceId"].as_str().context("the part's traceId")?.to_owned());
            break;
        };
        let structure = operator
            .put(
                router,
                "partsStructure",
                "",
                Some(json!({
                    "parentPartsModel": parent,
                    "childrenPartsModel": [part_model(operator, component.parts_name, "", component.parts_name,
                        number(component.amount)?, component.unit, false)],
                })),
            )
            .await?;
        own_parts.push(
            structure["parentPartsModel"]["traceId"]
                .as_str()
                .context("the parent's traceId")?
                .to_owned(),
        );
        let child = structure["childrenPartsModel"][0]["traceId"]
            .as_str()
            .context("the child's traceId")?
            .to_owned();
        let supplier = &operators[index + 1];
        let request = operator
            .put(
                router,
                "tradeRequest",
                "",
                Some(json!({
                    "statusModel": {"message": "部品のCFPをご回答ください。/ Please answer the CFP of this part.",
                                    "replyMessage": null, "requestStatus": {}, "requestType": "CFP", "statusId": null,
                                    "tradeId": null, "responseDueDate": "2025-12-31"},
                    "tradeModel": {"downstreamOperatorId": operator.organization_id, "downstreamTraceId": child,
                                   "tradeId": null, "upstreamOperatorId": supplier.organization_id, "upstreamTraceId": null},
                })),
            )
            .await?;
        let trade_id = request["tradeModel"]["tradeId"]
            .as_str()
            .context("the tradeId")?
            .to_owned();
        let inbox = supplier.get(router, "dataTarget=tradeResponse").await?;
        let received = inbox.as_array().is_some_and(|requests| {
            requests
                .iter()
                .any(|request| request["tradeModel"]["tradeId"] == json!(trade_id))
        });
        if !received {
            bail!(
                "{} did not receive the trade request {trade_id}",
                CHAIN[index + 1].company
            );
        }
        trades.push((trade_id, child));
    }

    // PACT: the cathode maker fetches the refiner's footprint with its own client.
    let cathode = login_of(credentials, "cathode")?.clone();
    let cathode_token = client_token(router, &cathode).await?;
    let fetched = call(
        router,
        Method::GET,
        &format!("/3/footprints?productId={RECYCLED_MATERIAL_PRODUCT_ID}"),
        &[("authorization", format!("Bearer {cathode_token}"))],
        None,
        StatusCode::OK,
    )
    .await?;
    let recycled_pcf = fetched["data"]
        .as_array()
        .and_then(|data| {
            data.iter()
                .find(|footprint| footprint["id"] == json!(refiner_footprint_id))
        })
        .and_then(|footprint| footprint["pcf"]["pcfExcludingBiogenicUptake"].as_str())
        .context("the cathode maker cannot read the refiner's footprint over PACT")?;
    let recycled_pcf = Decimal::from_str(recycled_pcf).context("the refiner's PCF")?;

    // Bottom up: each supplier writes its CFP and answers its buyer by linking its part.
    for (index, part) in CHAIN.iter().enumerate().rev() {
        let operator = &operators[index];
        let bought_pre = if part.company == "cathode" {
            let per_kg = Decimal::from_str(RECYCLED_MATERIAL_PER_KG_CATHODE).context("amount")?;
            (Decimal::from_str(part.bought_pre).context("bought_pre")? + per_kg * recycled_pcf)
                .normalize()
                .to_string()
        } else {
            part.bought_pre.to_owned()
        };
        operator
            .put(
                router,
                "cfp",
                "",
                Some(cfp_write(part, &own_parts[index], &bought_pre)?),
            )
            .await?;
        if index > 0 {
            let (trade_id, _) = &trades[index - 1];
            operator
                .put(
                    router,
                    "tradeResponse",
                    &format!("&tradeId={trade_id}&traceId={}", own_parts[index]),
                    None,
                )
                .await?;
        }
    }

    // The automaker: the pack maker's answer, the request status, and the roll-up.
    let automaker = &operators[0];
    let answered = automaker
        .get(router, &format!("dataTarget=cfp&traceIds={}", trades[0].1))
        .await?;
    if answered.as_array().is_none_or(Vec::is_empty) {
        bail!("the automaker sees no answer from the pack maker");
    }
    let statuses = automaker.get(router, "dataTarget=status&statusTarget=REQUEST").await?;
    let completed = statuses.as_array().is_some_and(|statuses| {
        statuses
            .iter()
            .any(|status| status["requestStatus"]["cfpResponseStatus"] == json!("COMPLETED"))
    });
    if !completed {
        bail!("the automaker's request is not completed: {statuses}");
    }
    let rollup = automaker
        .get(router, &format!("dataTarget=cfpRollup&traceId={}", own_parts[0]))
        .await?;
    let total = rollup["total"].as_str().context("the roll-up's total")?.to_owned();
    let primary_data_share = rollup["primary_data_share"].as_str().map(str::to_owned);

    // Each company finds its own footprint id over PACT, by its part's product id.
    let mut parts = Vec::new();
    for (index, part) in CHAIN.iter().enumerate() {
        let login = login_of(credentials, part.company)?.clone();
        let token = client_token(router, &login).await?;
        let own = call(
            router,
            Method::GET,
            &format!("/3/footprints?productId=urn:ouranos:trace-id:{}", own_parts[index]),
            &[("authorization", format!("Bearer {token}"))],
            None,
            StatusCode::OK,
        )
        .await?;
        parts.push(json!({
            "company": part.company,
            "parts_name": part.parts_name,
            "trace_id": own_parts[index],
            "footprint_id": own["data"][0]["id"],
            "trade_id": (index > 0).then(|| trades[index - 1].0.clone()),
            "buyer_trace_id": (index > 0).then(|| trades[index - 1].1.clone()),
        }));
    }
    let record = json!({
        "vehicle_battery_trace_id": own_parts[0],
        "rolled_up_kgco2e_per_unit": total,
        "declared_unit": "kgCO2e/unit",
        "primary_data_share_pct": primary_data_share,
        "rollup_request": format!("/ouranos/api/v1/datatransport?dataTarget=cfpRollup&traceId={}", own_parts[0]),
        "chain": parts,
        "recycled_material_footprint_id": refiner_footprint_id,
        "recycled_material_product_id": RECYCLED_MATERIAL_PRODUCT_ID,
    });
    Ok(BatteryCfp {
        vehicle_battery_trace_id: own_parts[0].clone(),
        total,
        primary_data_share,
        record,
    })
}
