//! Two real `junkan serve` processes on loopback ports speak the Eclipse Dataspace Protocol
//! 2025-1 (issue 10, item 4): the consumer node's organization negotiates for an offer of the
//! provider node's catalog, the provider's owner agrees in its inbox, the consumer verifies, asks
//! for a transfer, pulls the granted records over HTTP with the transfer's token, and after the
//! owner revokes the agreement's grant the pull fails. A provider that is down is reported.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_junkan")
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let directory =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junkan-dsp-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    TempDir(directory)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// A running `junkan serve`, killed when dropped.
struct Node {
    child: Child,
    base: String,
}

impl Node {
    fn start(data_dir: &TempDir, port: u16) -> Node {
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(binary())
            .args([
                "serve",
                "--data-dir",
                data_dir.0.to_str().expect("utf-8"),
                "--listen",
                &listen,
            ])
            .env("JUNKAN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start junkan");
        let node = Node {
            child,
            base: format!("http://{listen}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&format!("{}/healthz", node.base)).call().is_err() {
            assert!(Instant::now() < deadline, "junkan did not answer /healthz within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    fn token(&self, client: &(String, String)) -> String {
        let response: Value = ureq::post(&format!("{}/auth/token", self.base))
            .send_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client.0),
                ("client_secret", &client.1),
            ])
            .expect("token")
            .into_json()
            .expect("json");
        response["access_token"].as_str().expect("access_token").to_owned()
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let request =
            ureq::request(method, &format!("{}{path}", self.base)).set("Authorization", &format!("Bearer {token}"));
        let outcome = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        match outcome {
            Ok(response) => {
                let status = response.status();
                (status, response.into_json().unwrap_or(Value::Null))
            }
            Err(ureq::Error::Status(status, response)) => (status, response.into_json().unwrap_or(Value::Null)),
            Err(error) => panic!("transport error: {error}"),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Registers an organization on a node's data directory; returns its id.
fn create_organization(data_dir: &TempDir, name: &str, corporate_number: &str) -> String {
    let organization = json!({"name_ja": name, "name_en": name, "organization_type": "company", "company_size": "sme",
                              "corporate_number": corporate_number});
    let mut child = Command::new(binary())
        .args([
            "admin",
            "create-organization",
            "--json",
            "-",
            "--data-dir",
            data_dir.0.to_str().expect("utf-8"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("admin");
    std::io::Write::write_all(
        child.stdin.as_mut().expect("stdin"),
        organization.to_string().as_bytes(),
    )
    .expect("write");
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("admin output");
    assert!(output.status.success(), "create-organization failed");
    let created: Value = serde_json::from_slice(&output.stdout).expect("organization json");
    created["id"].as_str().expect("id").to_owned()
}

/// A client of an organization with org_admin and member roles; returns (id, secret).
fn create_client(data_dir: &TempDir, organization: &str) -> (String, String) {
    let output = Command::new(binary())
        .args([
            "admin",
            "create-client",
            "--organization",
            organization,
            "--name",
            "dsp",
        ])
        .args([
            "--role",
            "org_admin",
            "--role",
            "member",
            "--data-dir",
            data_dir.0.to_str().expect("utf-8"),
        ])
        .output()
        .expect("admin");
    assert!(
        output.status.success(),
        "create-client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let client: Value = serde_json::from_slice(&output.stdout).expect("client json");
    (
        client["client_id"].as_str().expect("id").to_owned(),
        client["client_secret"].as_str().expect("secret").to_owned(),
    )
}

fn wait_for(what: &str, mut check: impl FnMut() -> Option<Value>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_nodes_negotiate_transfer_and_pull_until_the_agreement_is_revoked() {
    let provider_data = temp_dir("provider");
    let consumer_data = temp_dir("consumer");
    // The provider node knows both organizations (the consumer's as a member it issued a key to);
    // the consumer node knows its own.
    let owner = create_organization(&provider_data, "提供株式会社", "7000012050002");
    let consumer_at_provider = create_organization(&provider_data, "利用株式会社", "2010001008774");
    let owner_client = create_client(&provider_data, &owner);
    let consumer_client_at_provider = create_client(&provider_data, &consumer_at_provider);
    let consumer = create_organization(&consumer_data, "利用株式会社", "2010001008774");
    let consumer_client = create_client(&consumer_data, &consumer);

    let provider = Node::start(&provider_data, free_port());
    let consumer_node = Node::start(&consumer_data, free_port());
    let owner_token = provider.token(&owner_client);
    let consumer_admin_at_provider = provider.token(&consumer_client_at_provider);
    let consumer_token = consumer_node.token(&consumer_client);

    // The credential the provider issues to the consumer organization.
    let (status, key) = provider.call(
        "POST",
        &format!("/api/v1/organizations/{consumer_at_provider}/api-keys"),
        &consumer_admin_at_provider,
        Some(json!({"name": "dataspace", "roles": ["member"]})),
    );
    assert_eq!(status, 201, "{key}");
    let credential = key["key"].as_str().expect("key").to_owned();

    // The owner's restricted plant and its offer in the catalog.
    let (status, plant) = provider.call(
        "POST",
        "/api/v1/facilities",
        &owner_token,
        Some(json!({"name_ja": "秘密工場", "name_en": "Secret plant", "facility_type": "plant", "visibility": "restricted"})),
    );
    assert_eq!(status, 201, "{plant}");
    let plant_id = plant["id"].as_str().expect("id").to_owned();
    let (status, offer) = provider.call(
        "POST",
        "/api/v1/dataset-offers",
        &owner_token,
        Some(json!({"title_ja": "工場", "title_en": "Plants", "description_ja": "工場の記録", "description_en": "Plant records",
                    "record_kind": "facility", "level": "full", "purpose": "planning", "max_duration_days": 30})),
    );
    assert_eq!(status, 201, "{offer}");
    let offer_id = format!("urn:junkan:offer:{}", offer["id"].as_str().expect("id"));

    // Discovery.
    let (status, versions) = provider.call("GET", "/.well-known/dspace-version", &owner_token, None);
    assert_eq!(status, 200);
    let protocol = format!(
        "{}{}",
        provider.base,
        versions["protocolVersions"][0]["path"].as_str().expect("path")
    );

    // A provider that is down: reported, the negotiation ends there.
    let (status, down) = consumer_node.call(
        "POST",
        "/api/v1/dsp/negotiations",
        &consumer_token,
        Some(json!({"provider": format!("http://127.0.0.1:{}/dsp", free_port()), "offer_id": offer_id, "credential": credential})),
    );
    assert_eq!(status, 502, "{down}");

    // The consumer negotiates.
    let (status, negotiation) = consumer_node.call(
        "POST",
        "/api/v1/dsp/negotiations",
        &consumer_token,
        Some(json!({"provider": protocol, "offer_id": offer_id, "credential": credential})),
    );
    assert_eq!(status, 201, "{negotiation}");
    assert_eq!(negotiation["state"], "REQUESTED");
    let negotiation_id = negotiation["id"].as_str().expect("id").to_owned();

    // The owner agrees in its inbox.
    let (_, inbox) = provider.call(
        "GET",
        "/api/v1/access-requests?direction=incoming&state=pending",
        &owner_token,
        None,
    );
    let request_id = inbox["items"][0]["id"].as_str().expect("a pending request").to_owned();
    let (status, approved) = provider.call(
        "POST",
        &format!("/api/v1/access-requests/{request_id}/approve"),
        &owner_token,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{approved}");

    // Agreement → verification → finalization, through the callbacks.
    let finalized = wait_for("the finalized negotiation", || {
        let (_, negotiation) = consumer_node.call(
            "GET",
            &format!("/api/v1/dsp/negotiations/{negotiation_id}"),
            &consumer_token,
            None,
        );
        (negotiation["state"] == "FINALIZED").then_some(negotiation)
    });
    let agreement_id = finalized["agreement_id"].as_str().expect("agreement").to_owned();
    assert_eq!(
        finalized["agreement"]["target"],
        format!("urn:uuid:{}", offer["id"].as_str().expect("id"))
    );

    // Transfer and pull.
    let (status, transfer) = consumer_node.call(
        "POST",
        "/api/v1/dsp/transfers",
        &consumer_token,
        Some(json!({"negotiation_id": negotiation_id})),
    );
    assert_eq!(status, 201, "{transfer}");
    let transfer_id = transfer["id"].as_str().expect("id").to_owned();
    wait_for("the started transfer", || {
        let (_, transfer) = consumer_node.call(
            "GET",
            &format!("/api/v1/dsp/transfers/{transfer_id}"),
            &consumer_token,
            None,
        );
        (transfer["state"] == "STARTED").then_some(transfer)
    });
    let (status, data) = consumer_node.call(
        "GET",
        &format!("/api/v1/dsp/transfers/{transfer_id}/data"),
        &consumer_token,
        None,
    );
    assert_eq!(status, 200, "{data}");
    assert_eq!(data["items"][0]["id"], plant_id);
    assert_eq!(data["items"][0]["name_en"], "Secret plant");

    // The owner revokes the agreement's grant: the next pull fails.
    let grant_id = agreement_id.trim_start_matches("urn:uuid:");
    let (status, revoked) = provider.call(
        "POST",
        &format!("/api/v1/grants/{grant_id}/revoke"),
        &owner_token,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{revoked}");
    let (status, refused) = consumer_node.call(
        "GET",
        &format!("/api/v1/dsp/transfers/{transfer_id}/data"),
        &consumer_token,
        None,
    );
    assert_eq!(status, 502, "{refused}");
    // Completing tells the provider; afterwards there is nothing to pull.
    let (status, completed) = consumer_node.call(
        "POST",
        &format!("/api/v1/dsp/transfers/{transfer_id}/complete"),
        &consumer_token,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{completed}");
    assert_eq!(completed["state"], "COMPLETED");
    let (status, _) = consumer_node.call(
        "GET",
        &format!("/api/v1/dsp/transfers/{transfer_id}/data"),
        &consumer_token,
        None,
    );
    assert_eq!(status, 409);
    // A new transfer under the revoked agreement is refused by the provider.
    let (status, _) = consumer_node.call(
        "POST",
        "/api/v1/dsp/transfers",
        &consumer_token,
        Some(json!({"negotiation_id": negotiation_id})),
    );
    assert_eq!(status, 502);
}
