//! The Ouranos-compatible API under `/ouranos`: the two-company flow (login, plant, parts,
//! parts structure, trade request, trade response, CFP, status), disclosure beyond the reference,
//! bad input, and every operation of `testdata/ouranos/openapi.json` with its request examples,
//! answered in the documented shape (field names, types, nullability, enums).

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Map, Value};

use junkan_auth::password::hash_password;
use junkan_auth::secret::{digest, generate_api_key};
use junkan_auth::AccessClaims;
use junkan_model::ids::{FacilityId, OrganizationId};
use junkan_model::principal::{Actor, NewCredential, PrincipalKind, Role};
use junkan_store::NewUserRecord;

use support::{Reply, TestApp};

const PASSWORD: &str = "Passw0rd!2024";

/// A node with operators A (buyer), B (supplier) and C (a third company), each with a user, and
/// an application API key.
struct Node {
    app: TestApp,
    api_key: String,
    c: OrganizationId,
}

impl Node {
    async fn new() -> Node {
        let app = TestApp::new().await;
        let system = Actor::system();
        let c = app
            .store
            .create_organization(
                &system,
                support::company(
                    "C",
                    "1000012010003",
                    &[junkan_model::organization::CycleRole::Manufacturer],
                ),
            )
            .await
            .expect("C")
            .id;
        for (organization, name) in [(app.a, "a@example.jp"), (app.b, "b@example.jp"), (c, "c@example.jp")] {
            app.store
                .create_user(
                    &system,
                    organization,
                    NewUserRecord {
                        username: name.to_owned(),
                        display_name: name.to_owned(),
                        password_hash: hash_password(PASSWORD),
                        roles: vec![Role::OrgAdmin, Role::Member],
                        locale: "ja".to_owned(),
                    },
                )
                .await
                .expect("user");
        }
        let api_key = generate_api_key();
        let prefix: String = api_key.chars().take(8).collect();
        app.store
            .create_api_key(
                &system,
                c,
                &NewCredential {
                    name: "traceability application".to_owned(),
                    roles: vec![Role::Member],
                    expires_at: None,
                },
                &prefix,
                &digest(&api_key),
            )
            .await
            .expect("API key");
        Node { app, api_key, c }
    }

    async fn request(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.request_with_key(method, path, token, body, Some(&self.api_key))
            .await
    }

    async fn request_with_key(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        api_key: Option<&str>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(key) = api_key {
            builder = builder.header("apiKey", key);
        }
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        };
        self.app.send(request.expect("request")).await
    }

    async fn login(&self, account: &str) -> String {
        let reply = self
            .request(
                "POST",
                "/ouranos/auth/login",
                None,
                Some(json!({"operatorAccountId": account, "accountPassword": PASSWORD})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert!(reply.body["refreshToken"].is_string());
        reply.body["accessToken"].as_str().expect("token").to_owned()
    }

    async fn put(&self, token: &str, target: &str, body: Value) -> Reply {
        self.request(
            "PUT",
            &format!("/ouranos/api/v1/datatransport?dataTarget={target}"),
            Some(token),
            Some(body),
        )
        .await
    }

    async fn get(&self, token: &str, query: &str) -> Reply {
        self.request(
            "GET",
            &format!("/ouranos/api/v1/datatransport?{query}"),
            Some(token),
            None,
        )
        .await
    }

    async fn plant(&self, token: &str, operator: OrganizationId, open_plant_id: &str) -> String {
        let reply = self
            .request(
                "PUT",
                "/ouranos/api/v1/authInfo?dataTarget=plant",
                Some(token),
                Some(json!({
                    "openPlantId": open_plant_id, "operatorId": operator.to_string(), "plantAddress": "愛知県豊田市1-1",
                    "plantId": null, "plantName": "第一工場", "plantAttribute": {}
                })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["plantId"].as_str().expect("plantId").to_owned()
    }
}

fn part(operator: OrganizationId, plant: &str, name: &str, support: &str, amount: Value, terminated: bool) -> Value {
    json!({
        "amountRequired": amount, "amountRequiredUnit": "kilogram", "operatorId": operator.to_string(),
        "partsName": name, "plantId": plant, "supportPartsName": support, "terminatedFlag": terminated,
        "traceId": null, "partsLabelName": name, "partsAddInfo1": null, "partsAddInfo2": null, "partsAddInfo3": null
    })
}

fn cfp_write(trace_id: &str, cfp_id: Value, values: [&str; 4], pre: [&str; 3], main: [&str; 3]) -> Value {
    let number = |text: &str| serde_json::from_str::<Value>(text).expect("number");
    let kinds = [
        ("preProduction", "preProcessing", pre),
        ("mainProduction", "mainProcessing", main),
        ("preComponent", "preProcessing", pre),
        ("mainComponent", "mainProcessing", main),
    ];
    Value::Array(
        kinds
            .iter()
            .zip(values)
            .map(|((cfp_type, dqr_type, dqr), value)| {
                json!({
                    "cfpId": cfp_id, "traceId": trace_id, "ghgEmission": number(value), "ghgDeclaredUnit": "kgCO2e/kilogram",
                    "cfpType": cfp_type, "dqrType": dqr_type,
                    "dqrValue": {"TeR": number(dqr[0]), "GeR": number(dqr[1]), "TiR": number(dqr[2])}
                })
            })
            .collect(),
    )
}

/// `cfpType` → `ghgEmission` of a list of CFP rows, as text.
fn emissions(rows: &Value) -> Vec<(String, String)> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row["cfpType"].as_str().expect("type").to_owned(),
                row["ghgEmission"].to_string(),
            )
        })
        .collect()
}

struct World {
    node: Node,
    token_a: String,
    token_b: String,
    plant_a: String,
    plant_b: String,
    parent: String,
    child: String,
    supplier_part: String,
    trade: String,
    status: String,
}

/// The two-company flow up to the supplier's answer, checking each step's documented answer.
async fn two_companies() -> World {
    let node = Node::new().await;
    let (a, b) = (node.app.a, node.app.b);
    let token_a = node.login("a@example.jp").await;
    let token_b = node.login("b@example.jp").await;

    // Operators are organizations: A reads itself and B by 法人番号.
    let me = node
        .request(
            "GET",
            "/ouranos/api/v1/authInfo?dataTarget=operator",
            Some(&token_a),
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["operatorId"], json!(a.to_string()));
    assert_eq!(me.body["openOperatorId"], json!("7000012050002"));
    let by_number = node
        .request(
            "GET",
            "/ouranos/api/v1/authInfo?dataTarget=operator&openOperatorId=2010001008774",
            Some(&token_a),
            None,
        )
        .await;
    assert_eq!(by_number.body["operatorId"], json!(b.to_string()));

    let plant_a = node.plant(&token_a, a, "7000012050002000001").await;
    let plant_b = node.plant(&token_b, b, "2010001008774000001").await;
    let plants = node
        .request("GET", "/ouranos/api/v1/authInfo?dataTarget=plant", Some(&token_a), None)
        .await;
    assert_eq!(plants.body.as_array().map(Vec::len), Some(1), "{}", plants.body);

    // A's battery pack made of 5 kg of cells bought from B.
    let structure = node
        .put(
            &token_a,
            "partsStructure",
            json!({
                "parentPartsModel": part(a, &plant_a, "PACK-01", "2024", Value::Null, false),
                "childrenPartsModel": [part(a, &plant_a, "CELL-01", "from B", json!(5), false)],
            }),
        )
        .await;
    assert_eq!(structure.status, StatusCode::CREATED, "{}", structure.body);
    let parent = structure.body["parentPartsModel"]["traceId"]
        .as_str()
        .expect("parent")
        .to_owned();
    let child = structure.body["childrenPartsModel"][0]["traceId"]
        .as_str()
        .expect("child")
        .to_owned();
    assert_eq!(structure.body["childrenPartsModel"][0]["amountRequired"], json!(5));
    // Trace ids are deterministic: writing the same part again gives the same id.
    let again = node
        .put(
            &token_a,
            "parts",
            part(a, &plant_a, "PACK-01", "2024", Value::Null, false),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["traceId"], json!(parent));

    let request = node
        .put(
            &token_a,
            "tradeRequest",
            json!({
                "statusModel": {"message": "来月中にご回答をお願いします。", "replyMessage": null, "requestStatus": {},
                                "requestType": "CFP", "statusId": null, "tradeId": null, "responseDueDate": "2024-12-31"},
                "tradeModel": {"downstreamOperatorId": a.to_string(), "downstreamTraceId": child, "tradeId": null,
                               "upstreamOperatorId": b.to_string(), "upstreamTraceId": null},
            }),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let trade = request.body["tradeModel"]["tradeId"]
        .as_str()
        .expect("trade")
        .to_owned();
    let status = request.body["statusModel"]["statusId"]
        .as_str()
        .expect("status")
        .to_owned();
    assert_eq!(
        request.body["statusModel"]["requestStatus"]["cfpResponseStatus"],
        json!("NOT_COMPLETED")
    );

    // B sees the request with A's part, but not how much of it A needs.
    let inbox = node.get(&token_b, "dataTarget=tradeResponse").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert_eq!(inbox.body[0]["tradeModel"]["tradeId"], json!(trade));
    assert_eq!(inbox.body[0]["partsModel"]["traceId"], json!(child));
    assert_eq!(inbox.body[0]["partsModel"]["amountRequired"], Value::Null);

    // B's cells with their CFP; then B answers by linking them.
    let cells = node
        .put(&token_b, "parts", part(b, &plant_b, "B-CELL", "", Value::Null, true))
        .await;
    assert_eq!(cells.status, StatusCode::CREATED, "{}", cells.body);
    let supplier_part = cells.body["traceId"].as_str().expect("trace").to_owned();
    let written = node
        .put(
            &token_b,
            "cfp",
            cfp_write(
                &supplier_part,
                Value::Null,
                ["1.5", "0.5", "0", "0"],
                ["2.1", "2.2", "2.3"],
                ["3.1", "3.2", "3.3"],
            ),
        )
        .await;
    assert_eq!(written.status, StatusCode::CREATED, "{}", written.body);
    assert!(written.body[0]["cfpId"].is_string());

    // Before the answer, A sees nothing of B's CFP.
    let before = node.get(&token_a, &format!("dataTarget=cfp&traceIds={child}")).await;
    assert_eq!(before.body, json!([]));

    let answer = node
        .request(
            "PUT",
            &format!("/ouranos/api/v1/datatransport?dataTarget=tradeResponse&tradeId={trade}&traceId={supplier_part}"),
            Some(&token_b),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["upstreamTraceId"], json!(supplier_part));
    World {
        node,
        token_a,
        token_b,
        plant_a,
        plant_b,
        parent,
        child,
        supplier_part,
        trade,
        status,
    }
}

#[tokio::test]
async fn two_company_flow_rolls_up_the_suppliers_cfp_for_the_buyer_only() {
    let world = two_companies().await;
    let node = &world.node;
    let (a, child, parent) = (node.app.a, &world.child, &world.parent);

    // The buyer's part now answers with the supplier's values (response rows, cfpId null).
    let response = node
        .get(&world.token_a, &format!("dataTarget=cfp&traceIds={child}"))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(
        emissions(&response.body),
        vec![
            ("preProductionResponse".to_owned(), "1.5".to_owned()),
            ("mainProductionResponse".to_owned(), "0.5".to_owned())
        ]
    );
    assert_eq!(response.body[0]["cfpId"], Value::Null);
    assert_eq!(response.body[0]["traceId"], json!(child));
    // The ratings are the emission-weighted means over the supplier's roll-up.
    assert_eq!(
        response.body[1]["dqrValue"],
        json!({"TeR": 2.35, "GeR": 2.45, "TiR": 2.55})
    );
    assert!(response.headers.contains_key("x-track"));

    // A's own CFP of the pack; its totals add 5 kg of B's cells.
    let own = node
        .put(
            &world.token_a,
            "cfp",
            cfp_write(
                parent,
                Value::Null,
                ["0", "0.5", "0", "0"],
                ["0", "0", "0"],
                ["1", "1", "1"],
            ),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    let cfp_id = own.body[0]["cfpId"].clone();
    let rows = node
        .get(&world.token_a, &format!("dataTarget=cfp&traceIds={parent}"))
        .await;
    assert_eq!(
        emissions(&rows.body),
        [
            ("preProduction", "0"),
            ("mainProduction", "0.5"),
            ("preComponent", "0"),
            ("mainComponent", "0"),
            ("preProductionTotal", "0"),
            ("mainProductionTotal", "0.5"),
            ("preComponentTotal", "7.5"),
            ("mainComponentTotal", "2.5"),
        ]
        .map(|(kind, value)| (kind.to_owned(), value.to_owned()))
        .to_vec()
    );
    // A rewrite keeps the cfpId; three rows are refused.
    let rewrite = node
        .put(
            &world.token_a,
            "cfp",
            cfp_write(
                parent,
                cfp_id.clone(),
                ["0", "0.7", "0", "0"],
                ["0", "0", "0"],
                ["1", "1", "1"],
            ),
        )
        .await;
    assert_eq!(rewrite.status, StatusCode::CREATED, "{}", rewrite.body);
    assert_eq!(rewrite.body[1]["cfpId"], cfp_id);
    assert_eq!(rewrite.body[1]["ghgEmission"], json!(0.7));

    // The roll-up (junkan addition): primary data share and missing tiers.
    let rolled = node
        .get(&world.token_a, &format!("dataTarget=cfpRollup&traceId={parent}"))
        .await;
    assert_eq!(rolled.status, StatusCode::OK, "{}", rolled.body);
    assert_eq!(rolled.body["total"], json!("10.7"));
    assert_eq!(rolled.body["missing"], json!([]));

    // Status: answered, and the supplier's tree ends at its CFP.
    let statuses = node.get(&world.token_a, "dataTarget=status&statusTarget=REQUEST").await;
    assert_eq!(statuses.status, StatusCode::OK, "{}", statuses.body);
    let request_status = &statuses.body[0]["requestStatus"];
    assert_eq!(request_status["cfpResponseStatus"], json!("COMPLETED"));
    assert_eq!(request_status["tradeTreeStatus"], json!("TERMINATED"));
    assert_eq!(request_status["tradesCount"], json!(1));
    assert_eq!(request_status["completedCount"], json!(1));
    assert_eq!(statuses.body[0]["statusId"], json!(world.status));

    // Nobody else reads B's CFP: not C, not A through B's trace id, not B through A's parts.
    let token_c = node.login("c@example.jp").await;
    let supplier = &world.supplier_part;
    assert_eq!(
        node.get(&token_c, &format!("dataTarget=cfp&traceIds={supplier}"))
            .await
            .body,
        json!([])
    );
    assert_eq!(
        node.get(&world.token_a, &format!("dataTarget=cfp&traceIds={supplier}"))
            .await
            .body,
        json!([])
    );
    assert_eq!(
        node.get(&world.token_b, &format!("dataTarget=cfp&traceIds={parent},{child}"))
            .await
            .body,
        json!([])
    );
    // B still does not learn A's amount, and A's disclosure read was audited.
    let inbox = node.get(&world.token_b, "dataTarget=tradeResponse").await;
    assert_eq!(inbox.body[0]["partsModel"]["amountRequired"], Value::Null);

    // Updating the parent part through dataTarget=parts keeps its components (unlike the reference).
    let relabel = node
        .put(&world.token_a, "parts", {
            let mut body = part(a, &world.plant_a, "PACK-01", "2024", Value::Null, false);
            body["traceId"] = json!(parent);
            body["partsLabelName"] = json!("Battery pack");
            body
        })
        .await;
    assert_eq!(relabel.status, StatusCode::CREATED, "{}", relabel.body);
    let structure = node
        .get(&world.token_a, &format!("dataTarget=partsStructure&traceId={parent}"))
        .await;
    assert_eq!(
        structure.body["parentPartsModel"]["partsLabelName"],
        json!("Battery pack")
    );
    assert_eq!(structure.body["childrenPartsModel"][0]["traceId"], json!(child));
    assert_eq!(structure.body["childrenPartsModel"][0]["amountRequired"], json!(5));
    let _ = (&world.plant_b, &world.trade);
}

#[tokio::test]
async fn requests_are_cancelled_by_the_buyer_and_rejected_by_the_supplier() {
    let world = two_companies().await;
    let node = &world.node;
    let (a, b) = (node.app.a, node.app.b);
    let mut statuses = Vec::new();
    for name in ["CELL-02", "CELL-03"] {
        let child = node
            .put(
                &world.token_a,
                "parts",
                part(a, &world.plant_a, name, "", json!(1), false),
            )
            .await;
        let request = node
            .put(
                &world.token_a,
                "tradeRequest",
                json!({
                    "statusModel": {"message": null, "replyMessage": null, "requestStatus": {}, "requestType": "CFP",
                                    "statusId": null, "tradeId": null, "responseDueDate": "2025-01-31"},
                    "tradeModel": {"downstreamOperatorId": a.to_string(), "downstreamTraceId": child.body["traceId"],
                                   "tradeId": null, "upstreamOperatorId": b.to_string(), "upstreamTraceId": null},
                }),
            )
            .await;
        assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
        statuses.push(request.body["statusModel"].clone());
    }
    let change = |status: &Value, kind: &str, reply: Value| {
        let mut body = status.clone();
        body["requestStatus"]["cfpResponseStatus"] = json!(kind);
        body["replyMessage"] = reply;
        body
    };
    // The supplier cannot cancel and the buyer cannot reject.
    let wrong = node
        .put(&world.token_b, "status", change(&statuses[0], "CANCEL", Value::Null))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    let wrong = node
        .put(&world.token_a, "status", change(&statuses[1], "REJECT", json!("x")))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    let cancel = node
        .put(&world.token_a, "status", change(&statuses[0], "CANCEL", Value::Null))
        .await;
    assert_eq!(cancel.status, StatusCode::CREATED, "{}", cancel.body);
    let reject = node
        .put(
            &world.token_b,
            "status",
            change(&statuses[1], "REJECT", json!("該当製品がありません")),
        )
        .await;
    assert_eq!(reject.status, StatusCode::CREATED, "{}", reject.body);
    // COMPLETED is not a status change anyone makes.
    let completed = node
        .put(&world.token_b, "status", change(&statuses[1], "COMPLETED", Value::Null))
        .await;
    assert_eq!(completed.status, StatusCode::BAD_REQUEST, "{}", completed.body);

    let listed = node
        .get(&world.token_b, "dataTarget=status&statusTarget=RESPONSE")
        .await;
    let by_id: Map<String, Value> = listed
        .body
        .as_array()
        .expect("statuses")
        .iter()
        .map(|status| (status["statusId"].as_str().expect("id").to_owned(), status.clone()))
        .collect();
    let first = statuses[0]["statusId"].as_str().expect("id");
    let second = statuses[1]["statusId"].as_str().expect("id");
    assert_eq!(by_id[first]["requestStatus"]["cfpResponseStatus"], json!("CANCEL"));
    assert_eq!(by_id[second]["requestStatus"]["cfpResponseStatus"], json!("REJECT"));
    assert_eq!(by_id[second]["replyMessage"], json!("該当製品がありません"));
    assert_eq!(by_id[second]["requestStatus"]["completedCount"], json!(0));
    // A rejected request cannot be answered any more.
    let trade = by_id[second]["tradeId"].as_str().expect("trade");
    let late = node
        .request(
            "PUT",
            &format!(
                "/ouranos/api/v1/datatransport?dataTarget=tradeResponse&tradeId={trade}&traceId={}",
                world.supplier_part
            ),
            Some(&world.token_b),
            None,
        )
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.body);
}

#[tokio::test]
async fn bad_input_is_refused_with_ouranos_error_bodies() {
    let world = two_companies().await;
    let node = &world.node;
    let check = |reply: &Reply, status: StatusCode, code: &str| {
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(reply.body["code"], json!(code), "{}", reply.body);
        assert!(
            reply.body["message"].is_string() && reply.body["detail"].is_string(),
            "{}",
            reply.body
        );
        assert!(reply.headers.contains_key("x-track"));
    };
    let token = &world.token_a;
    check(
        &node.get(token, "dataTarget=hoge").await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    check(
        &node.get(token, "dataTarget=parts&limit=101").await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    check(
        &node.get(token, "dataTarget=parts&limit=0").await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    check(
        &node.get(token, "dataTarget=parts&unknown=1").await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    let many: Vec<String> = (0..51).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let reply = node
        .get(token, &format!("dataTarget=cfp&traceIds={}", many.join(",")))
        .await;
    check(&reply, StatusCode::BAD_REQUEST, "[dataspace] BadRequest");
    let reply = node
        .get(token, &format!("dataTarget=cfp&traceIds={}", many[..50].join(",")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = node
        .request("GET", "/ouranos/api/v1/authInfo?dataTarget=hoge", Some(token), None)
        .await;
    check(&reply, StatusCode::BAD_REQUEST, "[auth] BadRequest");

    // A CFP write of three rows.
    let mut three = cfp_write(
        &world.parent,
        Value::Null,
        ["0", "0.5", "0", "0"],
        ["0", "0", "0"],
        ["1", "1", "1"],
    );
    three.as_array_mut().expect("rows").pop();
    check(
        &node.put(token, "cfp", three).await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    // More than five decimals, a decimal as text, a negative amount.
    let six = cfp_write(
        &world.parent,
        Value::Null,
        ["0", "0.1234567", "0", "0"],
        ["0", "0", "0"],
        ["1", "1", "1"],
    );
    check(
        &node.put(token, "cfp", six).await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    let mut text = part(node.app.a, &world.plant_a, "X-1", "", json!("1.5"), true);
    check(
        &node.put(token, "parts", text.clone()).await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    text["amountRequired"] = json!(-1);
    check(
        &node.put(token, "parts", text.clone()).await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    text["amountRequired"] = json!(1);
    text["amountRequiredUnit"] = json!("キログラム");
    check(
        &node.put(token, "parts", text).await,
        StatusCode::BAD_REQUEST,
        "[dataspace] BadRequest",
    );
    // A malformed date and malformed JSON.
    let bad_date = json!({
        "statusModel": {"message": null, "replyMessage": null, "requestStatus": {}, "requestType": "CFP",
                        "statusId": null, "tradeId": null, "responseDueDate": "2024-13-45"},
        "tradeModel": {"downstreamOperatorId": node.app.a.to_string(), "downstreamTraceId": world.child,
                       "tradeId": null, "upstreamOperatorId": node.app.b.to_string(), "upstreamTraceId": null},
    });
    let reply = node.put(token, "tradeRequest", bad_date).await;
    check(&reply, StatusCode::BAD_REQUEST, "[dataspace] BadRequest");
    assert!(
        reply.body["message"].as_str().unwrap_or("").contains("responseDueDate"),
        "{}",
        reply.body
    );
    let reply = node
        .request_with_key(
            "PUT",
            "/ouranos/api/v1/datatransport?dataTarget=parts",
            Some(token),
            None,
            Some(&node.api_key),
        )
        .await;
    check(&reply, StatusCode::BAD_REQUEST, "[dataspace] BadRequest");

    // A trade response by a company the request is not addressed to (C), or by the buyer.
    let token_c = node.login("c@example.jp").await;
    let path = format!(
        "/ouranos/api/v1/datatransport?dataTarget=tradeResponse&tradeId={}&traceId={}",
        world.trade, world.supplier_part
    );
    check(
        &node.request("PUT", &path, Some(&token_c), None).await,
        StatusCode::NOT_FOUND,
        "[dataspace] NotFound",
    );
    check(
        &node.request("PUT", &path, Some(token), None).await,
        StatusCode::FORBIDDEN,
        "[auth] AccessDenied",
    );
    let _ = node.c;

    // Tokens: missing, forged, expired, a refresh token used as an access token.
    let operator = "/ouranos/api/v1/authInfo?dataTarget=operator";
    let reply = node.request("GET", operator, None, None).await;
    check(&reply, StatusCode::UNAUTHORIZED, "[auth] Unauthorized");
    assert_eq!(reply.body["message"], json!("Authentication required"));
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let reply = node.request("GET", operator, Some(&forged), None).await;
    check(&reply, StatusCode::UNAUTHORIZED, "[auth] Unauthorized");
    assert_eq!(reply.body["message"], json!("Invalid or expired token"));
    let now = node.app.store.now().unix_timestamp();
    let expired = node.app.state.keys().sign(&AccessClaims {
        iss: support::ISSUER.to_owned(),
        sub: uuid::Uuid::new_v4().to_string(),
        aud: support::ISSUER.to_owned(),
        exp: now - 3600,
        nbf: now - 7200,
        iat: now - 7200,
        jti: uuid::Uuid::new_v4().to_string(),
        principal_kind: PrincipalKind::User,
        org: node.app.a,
        roles: vec![Role::Member],
        scope: String::new(),
    });
    check(
        &node.request("GET", operator, Some(&expired), None).await,
        StatusCode::UNAUTHORIZED,
        "[auth] Unauthorized",
    );
    let login = node
        .request(
            "POST",
            "/ouranos/auth/login",
            None,
            Some(json!({"operatorAccountId": "a@example.jp", "accountPassword": PASSWORD})),
        )
        .await;
    let refresh_token = login.body["refreshToken"].as_str().expect("refresh").to_owned();
    check(
        &node.request("GET", operator, Some(&refresh_token), None).await,
        StatusCode::UNAUTHORIZED,
        "[auth] Unauthorized",
    );
    let refreshed = node
        .request(
            "POST",
            "/ouranos/auth/refresh",
            None,
            Some(json!({"refreshToken": refresh_token})),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::CREATED, "{}", refreshed.body);
    let fresh = refreshed.body["accessToken"].as_str().expect("access");
    assert_eq!(
        node.request("GET", operator, Some(fresh), None).await.status,
        StatusCode::OK
    );
    let reply = node
        .request(
            "POST",
            "/ouranos/auth/refresh",
            None,
            Some(json!({"refreshToken": token})),
        )
        .await;
    check(&reply, StatusCode::UNAUTHORIZED, "[auth] Unauthorized");
    let wrong = node
        .request(
            "POST",
            "/ouranos/auth/login",
            None,
            Some(json!({"operatorAccountId": "a@example.jp", "accountPassword": "wrong"})),
        )
        .await;
    check(&wrong, StatusCode::UNAUTHORIZED, "[auth] Unauthorized");
    assert_eq!(wrong.body["message"], json!("Invalid credentials"));

    // The apiKey header: missing or unknown.
    let reply = node.request_with_key("GET", operator, Some(token), None, None).await;
    check(&reply, StatusCode::FORBIDDEN, "[auth] AccessDenied");
    assert_eq!(reply.body["message"], json!("You do not have the necessary privileges"));
    let reply = node
        .request_with_key("GET", operator, Some(token), None, Some("jk_unknown"))
        .await;
    check(&reply, StatusCode::FORBIDDEN, "[auth] AccessDenied");
    assert_eq!(reply.body["message"], json!("Invalid key"));

    // Unknown endpoints.
    let reply = node.request("GET", "/ouranos/api/v1/nothing", Some(token), None).await;
    check(&reply, StatusCode::NOT_FOUND, "[dataspace] NotFound");
    assert_eq!(reply.body["message"], json!("Endpoint Not Found"));
}

#[tokio::test]
async fn pages_follow_the_link_header() {
    let world = two_companies().await;
    let node = &world.node;
    for index in 0..5 {
        let reply = node
            .put(
                &world.token_a,
                "parts",
                part(
                    node.app.a,
                    &world.plant_a,
                    &format!("P-{index:02}"),
                    "",
                    Value::Null,
                    true,
                ),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let mut names = Vec::new();
    let mut query = "dataTarget=parts&limit=3".to_owned();
    loop {
        let reply = node.get(&world.token_a, &query).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        names.extend(
            reply
                .body
                .as_array()
                .expect("parts")
                .iter()
                .map(|part| part["partsName"].as_str().expect("name").to_owned()),
        );
        let Some(link) = reply.headers.get(header::LINK) else {
            break;
        };
        let link = link.to_str().expect("link");
        let url = link
            .split('<')
            .nth(1)
            .and_then(|rest| rest.split('>').next())
            .expect("url");
        assert!(
            url.starts_with(&format!("{}/ouranos/api/v1/datatransport?", support::ISSUER)),
            "{link}"
        );
        query = url.split_once('?').expect("query").1.to_owned();
    }
    assert_eq!(names, ["CELL-01", "P-00", "P-01", "P-02", "P-03", "P-04", "PACK-01"]);
}

// ---------------------------------------------------------------------------------------------
// Every operation of the OpenAPI file, with its request examples, answered in its documented shape.

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ouranos/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("openapi.json")).expect("JSON")
}

/// An OpenAPI 3.0 schema as a strict JSON Schema: `$ref`s inlined, `nullable` as a `null` type,
/// and no properties beyond the documented ones.
fn strict_schema(schema: &Value, components: &Value) -> Value {
    match schema {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                let name = reference.trim_start_matches("#/components/schemas/");
                return strict_schema(&components[name], components);
            }
            let mut result = Map::new();
            for (key, value) in object {
                match key.as_str() {
                    "example" | "nullable" | "description" | "format" => {}
                    "properties" => {
                        let properties = value
                            .as_object()
                            .expect("properties")
                            .iter()
                            .map(|(name, property)| (name.clone(), strict_schema(property, components)))
                            .collect();
                        result.insert(key.clone(), Value::Object(properties));
                    }
                    "items" | "allOf" => {
                        result.insert(key.clone(), strict_schema(value, components));
                    }
                    _ => {
                        result.insert(key.clone(), value.clone());
                    }
                }
            }
            if let Value::Array(items) = schema {
                return Value::Array(items.iter().map(|item| strict_schema(item, components)).collect());
            }
            if object.get("nullable") == Some(&json!(true)) {
                if let Some(kind) = result.get("type").cloned() {
                    result.insert("type".to_owned(), json!([kind, "null"]));
                } else {
                    // An enum without a type (cfpType) stays an enum; null joins it.
                }
                if let Some(Value::Array(values)) = result.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            if result.contains_key("properties") && !result.contains_key("allOf") {
                result.insert("additionalProperties".to_owned(), json!(false));
            }
            Value::Object(result)
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| strict_schema(item, components)).collect()),
        other => other.clone(),
    }
}

fn assert_shape(schema: &Value, components: &Value, body: &Value, context: &str) {
    let strict = strict_schema(schema, components);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&strict)
        .expect("schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{context}: {problems:?}\n{body}");
}

/// Replaces the example's ids with the node's: operators, plants, parts (by the trace id their
/// naming fields give), CFP ids and statuses.
fn substitute(value: &mut Value, ids: &Ids) {
    match value {
        Value::Object(object) => {
            let is_part = object.contains_key("partsName");
            for (key, field) in object.iter_mut() {
                match key.as_str() {
                    "operatorId" | "downstreamOperatorId" if field.is_string() => *field = json!(ids.a.to_string()),
                    "upstreamOperatorId" | "upsreamOperatorId" => *field = json!(ids.b.to_string()),
                    "openOperatorId" => *field = json!("7000012050002"),
                    "plantId" if field.is_string() => *field = json!(ids.plant_a),
                    "downstreamTraceId" => *field = json!(ids.request_part),
                    "cfpId" if field.is_string() => *field = json!(ids.cfp_id),
                    "statusId" if field.is_string() => *field = json!(ids.status_id),
                    "traceId" if field.is_string() && !is_part => *field = json!(ids.parent),
                    _ => substitute(field, ids),
                }
            }
            if is_part && object.get("traceId").is_some_and(Value::is_string) {
                let name = object["partsName"].as_str().unwrap_or_default().to_owned();
                let support = object["supportPartsName"].as_str().map(str::to_owned);
                let trace = junkan_model::ouranos::trace_id(
                    ids.a,
                    ids.plant_a.parse::<FacilityId>().expect("plant"),
                    &name,
                    support.as_deref(),
                );
                object.insert("traceId".to_owned(), json!(trace.to_string()));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| substitute(item, ids)),
        _ => {}
    }
}

struct Ids {
    a: OrganizationId,
    b: OrganizationId,
    plant_a: String,
    parent: String,
    request_part: String,
    cfp_id: String,
    status_id: String,
}

#[tokio::test]
async fn every_operation_accepts_its_examples_and_answers_in_the_documented_shape() {
    let world = two_companies().await;
    let node = &world.node;
    let document = openapi();
    let components = &document["components"]["schemas"];
    let (a, b) = (node.app.a, node.app.b);

    // The parent's CFP and a certification, so that every read has something to show.
    let own = node
        .put(
            &world.token_a,
            "cfp",
            cfp_write(
                &world.parent,
                Value::Null,
                ["0", "0.5", "0", "0"],
                ["0", "0", "0"],
                ["1", "1", "1"],
            ),
        )
        .await;
    let cfp_id = own.body[0]["cfpId"].as_str().expect("cfpId").to_owned();
    let certification = node
        .put(
            &world.token_b,
            "cfpCertification",
            json!({"cfpCertificationId": null, "traceId": world.supplier_part, "cfpCertificationDescription": "B01のCFP証明書説明。",
                   "cfpCertificationFileInfo": [{"operatorId": b.to_string(), "fileId": uuid::Uuid::new_v4().to_string(), "fileName": "B01_CFP.pdf"}]}),
        )
        .await;
    assert_eq!(certification.status, StatusCode::CREATED, "{}", certification.body);
    // The documented certification shapes: the owner's and the buyer's (description withheld).
    let own_certificates = node
        .get(
            &world.token_b,
            &format!("dataTarget=cfpCertification&traceId={}", world.supplier_part),
        )
        .await;
    assert_eq!(
        own_certificates.body[0]["cfpCertificationDescription"],
        json!("B01のCFP証明書説明。")
    );
    let buyer_certificates = node
        .get(
            &world.token_a,
            &format!("dataTarget=cfpCertification&traceId={}", world.child),
        )
        .await;
    assert_eq!(buyer_certificates.body[0]["cfpCertificationDescription"], Value::Null);
    assert_eq!(buyer_certificates.body[0]["traceId"], json!(world.child));
    assert_eq!(
        buyer_certificates.body[0]["cfpCertificationFileInfo"][0]["fileName"],
        json!("B01_CFP.pdf")
    );

    // A part of A with a pending request (for the tradeRequest example), a request to reject and
    // one to cancel, and a part to delete.
    let request_part = node
        .put(
            &world.token_a,
            "parts",
            part(a, &world.plant_a, "REQ-01", "", json!(1), false),
        )
        .await
        .body["traceId"]
        .as_str()
        .expect("trace")
        .to_owned();
    let deletable = node
        .put(
            &world.token_a,
            "parts",
            part(a, &world.plant_a, "DEL-01", "", Value::Null, true),
        )
        .await
        .body["traceId"]
        .as_str()
        .expect("trace")
        .to_owned();
    let mut pending = Vec::new();
    for _ in 0..2 {
        let reply = node
            .put(
                &world.token_a,
                "tradeRequest",
                json!({
                    "statusModel": {"message": null, "replyMessage": null, "requestStatus": {}, "requestType": "CFP",
                                    "statusId": null, "tradeId": null, "responseDueDate": "2025-03-31"},
                    "tradeModel": {"downstreamOperatorId": a.to_string(), "downstreamTraceId": request_part,
                                   "tradeId": null, "upstreamOperatorId": b.to_string(), "upstreamTraceId": null},
                }),
            )
            .await;
        pending.push(
            reply.body["statusModel"]["statusId"]
                .as_str()
                .expect("status")
                .to_owned(),
        );
    }

    let mut operations = 0;
    for (path_template, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let (path, template_query) = path_template.split_once('?').unwrap_or((path_template, ""));
            let summary = operation["summary"].as_str().unwrap_or_default();
            let (status_text, success) = operation["responses"]
                .as_object()
                .expect("responses")
                .iter()
                .find(|(status, _)| status.starts_with('2'))
                .expect("a success response");
            let expected = StatusCode::from_u16(status_text.parse().expect("status")).expect("status");
            // The supplier's operations run as B; the rest as A.
            let supplier = template_query.contains("tradeResponse");
            let mut query: Vec<(String, String)> = Vec::new();
            for pair in template_query.split('&').filter(|pair| !pair.is_empty()) {
                let (name, value) = pair.split_once('=').expect("name=value");
                let value = match (name, value) {
                    (_, "{uuid}") => match name {
                        "traceIds" => format!("{},{}", world.parent, world.child),
                        "traceId" if template_query.contains("tradeResponse") => world.supplier_part.clone(),
                        "traceId" if method == "delete" => deletable.clone(),
                        "traceId" if template_query.contains("cfpCertification") => world.child.clone(),
                        "traceId" => world.parent.clone(),
                        "tradeId" => world.trade.clone(),
                        "operatorIds" => format!("{a},{b}"),
                        other => panic!("no value for {other}"),
                    },
                    _ => value.to_owned(),
                };
                query.push((name.to_owned(), value));
            }
            let mut bodies: Vec<(String, Option<Value>)> = Vec::new();
            if let Some(content) = operation["requestBody"]["content"]["application/json"].as_object() {
                match content.get("examples").and_then(Value::as_object) {
                    Some(examples) => {
                        for (name, example) in examples {
                            bodies.push((name.clone(), Some(example["value"].clone())));
                        }
                    }
                    None => bodies.push(("schema".to_owned(), None)),
                }
            } else {
                bodies.push(("no body".to_owned(), None));
            }
            for (example, body) in bodies {
                let ids = Ids {
                    a,
                    b,
                    plant_a: world.plant_a.clone(),
                    parent: world.parent.clone(),
                    request_part: request_part.clone(),
                    cfp_id: cfp_id.clone(),
                    status_id: if example == "reject" {
                        pending[0].clone()
                    } else {
                        pending[1].clone()
                    },
                };
                let mut token = if supplier || example == "reject" {
                    world.token_b.clone()
                } else {
                    world.token_a.clone()
                };
                let mut body = body.map(|mut value| {
                    substitute(&mut value, &ids);
                    value
                });
                // Bodies without examples: the operation's own documented model.
                match (path, &body) {
                    ("/auth/login", None) => {
                        body = Some(json!({"operatorAccountId": "a@example.jp", "accountPassword": PASSWORD}));
                    }
                    ("/auth/refresh", None) => {
                        let login = node
                            .request(
                                "POST",
                                "/ouranos/auth/login",
                                None,
                                Some(json!({"operatorAccountId": "c@example.jp", "accountPassword": PASSWORD})),
                            )
                            .await;
                        body = Some(json!({"refreshToken": login.body["refreshToken"]}));
                    }
                    ("/auth/change", None) => {
                        token = node.login("c@example.jp").await;
                        body = Some(json!({"newPassword": PASSWORD}));
                    }
                    _ => {}
                }
                if example == "create" && path.ends_with("authInfo") {
                    // A new plant needs an open plant id of its own.
                    if let Some(object) = body.as_mut() {
                        object["openPlantId"] = json!("7000012050002000999");
                    }
                }
                let uri = format!(
                    "/ouranos{path}{}{}",
                    if query.is_empty() { "" } else { "?" },
                    serde_urlencoded::to_string(&query).expect("query")
                );
                let auth = if path.starts_with("/auth/login") || path.starts_with("/auth/refresh") {
                    None
                } else {
                    Some(token.as_str())
                };
                let reply = node.request(&method.to_uppercase(), &uri, auth, body.clone()).await;
                let context = format!(
                    "{} {path_template} ({summary}) example {example}",
                    method.to_uppercase()
                );
                assert_eq!(reply.status, expected, "{context}: {}\nsent {body:?}", reply.body);
                if let Some(schema) = success["content"]["application/json"]["schema"].as_object() {
                    assert_shape(&Value::Object(schema.clone()), components, &reply.body, &context);
                    // The documented examples have the same shape (the schema reading is right).
                    if let Some(examples) = success["content"]["application/json"]["examples"].as_object() {
                        for (name, documented) in examples {
                            assert_shape(
                                &Value::Object(schema.clone()),
                                components,
                                &documented["value"],
                                &format!("{context} documented example {name}"),
                            );
                        }
                    }
                }
                if success["headers"].get("x-track").is_some() {
                    assert!(reply.headers.contains_key("x-track"), "{context}: no X-Track");
                }
                operations += 1;
            }
        }
    }
    // 23 operations, several with more than one request example.
    assert!(operations >= 23, "{operations}");
}

#[tokio::test]
async fn a_plant_whose_ids_are_taken_is_refused_and_stores_nothing() {
    let node = Node::new().await;
    let a = node.app.a;
    let token = node.login("a@example.jp").await;
    let put = |open_plant_id: &str, name: &str| {
        let body = json!({
            "openPlantId": open_plant_id, "operatorId": a.to_string(), "plantAddress": "愛知県豊田市1-1",
            "plantId": null, "plantName": name, "plantAttribute": {"globalPlantId": "GP-1"}
        });
        node.request(
            "PUT",
            "/ouranos/api/v1/authInfo?dataTarget=plant",
            Some(&token),
            Some(body),
        )
    };
    let first = put("7000012050002000001", "第一工場").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let plants = || async {
        let reply = node
            .request("GET", "/ouranos/api/v1/authInfo?dataTarget=plant", Some(&token), None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body.as_array().expect("plants").len()
    };
    let facilities = || async {
        node.app
            .get("/api/v1/facilities", &node.app.token_a)
            .await
            .body
            .to_string()
    };
    let (plants_before, facilities_before) = (plants().await, facilities().await);
    // The same openPlantId (the facility is refused), then a new openPlantId with the same
    // globalPlantId (the facility would be new, its plant row is refused: nothing stays).
    for (open_plant_id, taken) in [
        ("7000012050002000001", "7000012050002000001"),
        ("7000012050002000002", "globalPlantId"),
    ] {
        let reply = put(open_plant_id, "第二工場").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(
            reply.body["message"]
                .as_str()
                .is_some_and(|message| message.contains(taken)),
            "{}",
            reply.body
        );
        assert_eq!(plants().await, plants_before, "no second plant");
        assert_eq!(facilities().await, facilities_before, "no facility either");
    }
}
