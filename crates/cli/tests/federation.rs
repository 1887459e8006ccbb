//! Federation between junkan nodes with real processes (issue 10 items 4 and 6): three `junkan
//! serve` processes on loopback ports chosen by the OS, each with its own SQLite file and
//! company — a battery maker, a recycler and a material maker — registered as peers of each
//! other with `junkan peer add`; then discovery, an access request, its approval, the pull of the
//! granted passport with its credential verified (and again with `junkan verify`), revocation
//! (the next pull fails), a provider that is down, and the signature checks: unsigned, replayed,
//! expired, and signed by a key that is not the claimed organization's. The last ones are sent by
//! this test acting as a fourth node: a small HTTP server publishing its own DID documents.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
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
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("junkan-federation-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    TempDir(directory)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// A company's node: a `junkan serve` process with its own database, killed when dropped.
struct Node {
    child: Option<Child>,
    base: String,
    database: String,
    organization: String,
    token: String,
    _data: TempDir,
}

fn run(args: &[&str], database: &str, base: &str, stdin: Option<&str>) -> Value {
    let mut child = Command::new(binary())
        .args(args)
        .args(["--database-url", database, "--base-url", base])
        .env("JUNKAN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run junkan");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("output");
    assert!(
        output.status.success(),
        "junkan {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json output")
}

impl Node {
    fn start(name: &str, name_ja: &str, corporate_number: &str) -> Node {
        let data = temp_dir(name);
        let database = format!("sqlite://{}", data.0.join("junkan.db").display());
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let organization = run(
            &["admin", "create-organization", "--json", "-"],
            &database,
            &base,
            Some(
                &json!({"name_ja": name_ja, "name_en": name, "organization_type": "company", "company_size": "large",
                        "corporate_number": corporate_number})
                .to_string(),
            ),
        );
        let organization = organization["id"].as_str().expect("id").to_owned();
        let client = run(
            &[
                "admin",
                "create-client",
                "--organization",
                &organization,
                "--name",
                "operator",
                "--role",
                "org_admin",
                "--role",
                "member",
            ],
            &database,
            &base,
            None,
        );
        let child = Command::new(binary())
            .args(["serve", "--database-url", &database, "--base-url", &base])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("JUNKAN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start junkan");
        let mut node = Node {
            child: Some(child),
            base,
            database,
            organization,
            token: String::new(),
            _data: data,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&format!("{}/healthz", node.base)).call().is_err() {
            assert!(Instant::now() < deadline, "{name} did not answer /healthz within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        let token: Value = ureq::post(&format!("{}/auth/token", node.base))
            .send_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client["client_id"].as_str().expect("client id")),
                ("client_secret", client["client_secret"].as_str().expect("secret")),
            ])
            .expect("token")
            .into_json()
            .expect("json");
        node.token = token["access_token"].as_str().expect("access_token").to_owned();
        node
    }

    fn did(&self) -> String {
        format!(
            "did:web:{}",
            self.base.trim_start_matches("http://").replace(':', "%3A")
        )
    }

    fn add_peer(&self, base: &str) -> Value {
        run(&["peer", "add", base], &self.database, &self.base, None)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = ureq::request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {}", self.token));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        answer(result)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None, &[])
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body), &[])
    }

    /// Signs in to the node's web application as a new member of its organization; answers the
    /// session cookie.
    fn web_session(&self, username: &str) -> String {
        let password = "correct horse battery staple";
        run(
            &[
                "admin",
                "create-user",
                "--organization",
                &self.organization,
                "--username",
                username,
                "--password",
                password,
                "--role",
                "member",
            ],
            &self.database,
            &self.base,
            None,
        );
        let response = ureq::post(&format!("{}/auth/login", self.base))
            .send_json(json!({"username": username, "password": password}))
            .expect("signed in");
        let cookie = response.header("set-cookie").expect("a session cookie");
        cookie.split(';').next().expect("name=value").to_owned()
    }

    /// A page of the node's web application, as the session `cookie` sees it.
    fn web_page(&self, path: &str, cookie: &str) -> String {
        let response = ureq::get(&format!("{}{path}", self.base))
            .set("Cookie", cookie)
            .call()
            .expect("the page answers 200");
        response.into_string().expect("html")
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("transport error: {error}"),
    };
    let status = response.status();
    let text = response.into_string().expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// This test as a fourth node: an HTTP server publishing a node DID document and the DID
/// documents of two organizations, whose keys the test holds.
struct FakeNode {
    base: String,
    did: String,
    first: (String, SigningKey),
    second: (String, SigningKey),
}

fn fake_node() -> FakeNode {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let base = format!("http://127.0.0.1:{port}");
    let did = format!("did:web:127.0.0.1%3A{port}");
    let first = (
        format!("{did}:organizations:11111111-1111-4111-8111-111111111111"),
        SigningKey::from_bytes(&[11; 32]),
    );
    let second = (
        format!("{did}:organizations:22222222-2222-4222-8222-222222222222"),
        SigningKey::from_bytes(&[22; 32]),
    );
    let document = |id: &str, key: &SigningKey| {
        let method = format!("{id}#key-1");
        json!({"@context": ["https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"], "id": id,
               "verificationMethod": [{"id": method, "type": "JsonWebKey", "controller": id,
                                       "publicKeyJwk": junkan_credential::did::public_key_jwk(&key.verifying_key())}],
               "assertionMethod": [method], "authentication": [method]})
    };
    let node_key = SigningKey::from_bytes(&[33; 32]);
    let documents = [
        ("/.well-known/did.json".to_owned(), document(&did, &node_key)),
        (
            "/organizations/11111111-1111-4111-8111-111111111111/did.json".to_owned(),
            document(&first.0, &first.1),
        ),
        (
            "/organizations/22222222-2222-4222-8222-222222222222/did.json".to_owned(),
            document(&second.0, &second.1),
        ),
    ];
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Skip the headers.
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
            }
            let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
            let (status, body) = match documents.iter().find(|(known, _)| *known == path) {
                Some((_, document)) => ("200 OK", document.to_string()),
                None => ("404 Not Found", "{}".to_owned()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let mut rest = Vec::new();
            let _ = stream.set_read_timeout(Some(Duration::from_millis(10)));
            let _ = stream.read_to_end(&mut rest);
        }
    });
    FakeNode {
        base,
        did,
        first,
        second,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        .try_into()
        .expect("seconds")
}

/// Sends a request to `node` signed by `key` under `keyid`, created at `created`.
fn signed(
    node: &Node,
    method: &str,
    path: &str,
    key: &SigningKey,
    keyid: &str,
    created: i64,
) -> (Vec<(String, String)>, String) {
    let target = format!("{}{path}", node.base);
    let headers =
        junkan_server::federation::signed_headers(key, keyid, method, &target, None, None, created).expect("sign");
    (headers, target)
}

fn send(method: &str, target: &str, headers: &[(String, String)]) -> (u16, Value) {
    let mut request = ureq::request(method, target);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    answer(request.call())
}

const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
const RAW: &str = "urn:epc:class:lgtin:4512345.011111.RAW-1";
const CATHODE: &str = "urn:epc:class:lgtin:4512345.022222.CATHODE-1";
const BATTERY: &str = "urn:epc:class:lgtin:4512345.033333.BATTERY-1";
const RECOVERED: &str = "urn:epc:class:lgtin:4512345.044444.RECOVERED-1";

fn transformation(id: &str, input: &str, output: &str) -> Value {
    json!({"@context": [CONTEXT], "type": "TransformationEvent", "eventID": id,
           "eventTime": "2026-06-01T10:00:00+09:00", "eventTimeZoneOffset": "+09:00",
           "inputQuantityList": [{"epcClass": input, "quantity": 100, "uom": "KGM"}],
           "outputQuantityList": [{"epcClass": output, "quantity": 90, "uom": "KGM"}],
           "bizStep": "commissioning"})
}

fn nodes<'a>(lineage: &'a Value, kind: &str) -> Vec<&'a Value> {
    lineage["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|node| node["kind"] == kind)
        .collect()
}

#[test]
fn three_nodes_discover_request_pull_and_revoke() {
    let started = Instant::now();
    let battery = Node::start("Battery Maker", "電池製造株式会社", "1010001000006");
    let recycler = Node::start("Recycler", "再資源化株式会社", "2010001000005");
    let mut material = Node::start("Material Maker", "素材製造株式会社", "3010001000004");
    for (node, others) in [
        (&battery, [&recycler, &material]),
        (&recycler, [&battery, &material]),
        (&material, [&battery, &recycler]),
    ] {
        for other in others {
            let peer = node.add_peer(&other.base);
            assert_eq!(peer["did"], other.did());
            assert_eq!(peer["base_url"], other.base);
        }
    }
    // A second registration of the same peer is a conflict; a non-peer URL does not register.
    let (status, body) = battery.get("/api/v1/peers");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(2));

    // The battery maker's restricted passport and an offer of its plastics passports, listed to
    // authenticated organizations only.
    let example: Value =
        serde_json::from_str(include_str!("../../passport/profiles/examples/plastics.json")).expect("example");
    let (status, passport) = battery.post(
        "/api/v1/passports",
        json!({"identifier": "https://id.gs1.org/01/04912345000019/10/FED-1", "granularity": "batch",
               "profile": "plastics", "visibility": "restricted", "data": example}),
    );
    assert_eq!(status, 201, "{passport}");
    let passport_id = passport["id"].as_str().expect("id").to_owned();
    let (status, offer) = battery.post(
        "/api/v1/dataset-offers",
        json!({"title_ja": "再生樹脂パスポート", "title_en": "Recycled plastics passports",
               "description_ja": "ロットごとのパスポート", "description_en": "Passports per lot",
               "record_kind": "passport", "record_class": {"type": "profile", "profile": "plastics"},
               "level": "full", "public": false}),
    );
    assert_eq!(status, 201, "{offer}");
    let offer_id = offer["id"].as_str().expect("id").to_owned();

    // Discovery: anonymously the offer is not listed; the recycler's signed fetch lists it.
    let anonymous: Value = ureq::get(&format!("{}/catalog", battery.base))
        .call()
        .expect("catalog")
        .into_json()
        .expect("json");
    assert!(!anonymous.to_string().contains(&offer_id));
    let peers = recycler.get("/api/v1/peers").1;
    let battery_peer = peers["items"]
        .as_array()
        .expect("peers")
        .iter()
        .find(|peer| peer["did"] == battery.did())
        .expect("battery peer")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, catalog) = recycler.post(&format!("/api/v1/peers/{battery_peer}/catalog"), json!({}));
    assert_eq!(status, 200, "{catalog}");
    assert!(catalog.to_string().contains(&offer_id), "{catalog}");

    // Before any grant, a pull of the passport is refused by the provider.
    // Request: sent signed to the battery maker's node.
    let (status, request) = recycler.post(
        "/api/v1/remote-requests",
        json!({"peer_id": battery_peer, "request": {
            "owner_organization_id": battery.organization, "offer_id": offer_id, "record_kind": "passport",
            "record_ids": [passport_id], "level": "full", "purpose": "recycling",
            "expires_at": "2099-01-01T00:00:00Z", "message": "再資源化計画のため",
            "fields": ["lotNumber", "/polymer", "contaminants"]}}),
    );
    assert_eq!(status, 201, "{request}");
    assert_eq!(request["state"], "pending");
    let remote_request = request["id"].as_str().expect("id").to_owned();
    let (status, early) = recycler.post(&format!("/api/v1/remote-requests/{remote_request}/pull"), json!({}));
    assert_eq!(status, 404, "no grant yet: {early}");
    assert_eq!(early["type"], "urn:junkan:problem:peer-refused");

    // The provider sees it in its inbox, from the recycler's DID, and approves it.
    let (status, inbox) = battery.get("/api/v1/access-requests?direction=incoming");
    assert_eq!(status, 200, "{inbox}");
    let incoming = inbox["items"].as_array().expect("items")[0].clone();
    let requester = incoming["requester_organization_id"]
        .as_str()
        .expect("requester")
        .to_owned();
    let (status, directory_entry) = battery.get(&format!("/api/v1/organizations/{requester}"));
    assert_eq!(status, 200);
    assert_eq!(
        directory_entry["name_en"], "Recycler",
        "names come from the peer's directory"
    );
    // Approved narrowed to two of the three fields asked for (項目の範囲).
    let (status, approved) = battery.post(
        &format!(
            "/api/v1/access-requests/{}/narrow",
            incoming["id"].as_str().expect("id")
        ),
        json!({"fields": ["lotNumber", "/polymer/code"]}),
    );
    assert_eq!(status, 200, "{approved}");
    let grant_id = approved["grant_id"].as_str().expect("grant").to_owned();

    // The recycler's organization also holds a grant of every field of the passport (outside
    // the request): the pull names the request's grant and is served and audited under it only.
    let (status, wide) = battery.post(
        "/api/v1/grants",
        json!({"grantee": {"type": "organization", "organization_id": incoming["requester_organization_id"]},
               "record_kind": "passport", "record_ids": [passport_id], "level": "full",
               "expires_at": "2099-01-01T00:00:00Z"}),
    );
    assert_eq!(status, 201, "{wide}");
    let wide_id = wide["id"].as_str().expect("grant").to_owned();

    // Pull: the credential of the passport, verified and kept.
    let (status, pulled) = recycler.post(&format!("/api/v1/remote-requests/{remote_request}/pull"), json!({}));
    assert_eq!(status, 201, "{pulled}");
    let received = pulled["items"][0].clone();
    assert_eq!(received["record_id"], passport_id.as_str());
    assert_eq!(received["record_kind"], "passport");
    assert_eq!(received["grant_id"], grant_id.as_str());
    assert_eq!(
        received["provider_did"],
        format!("{}:organizations:{}", battery.did(), battery.organization)
    );
    assert_eq!(received["subject"]["content"]["data"]["lotNumber"], "TRP-PP-250512-03");
    // The federation pull serves only the granted fields, signed as served.
    assert_eq!(
        received["subject"]["content"]["data"],
        json!({"lotNumber": "TRP-PP-250512-03", "polymer": {"code": "PP"}}),
        "{received}"
    );
    let (status, listed) = recycler.get(&format!("/api/v1/received-records?remote_request={remote_request}"));
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    let (status, state) = recycler.get(&format!("/api/v1/remote-requests/{remote_request}"));
    assert_eq!((status, state["state"].as_str()), (200, Some("narrowed")));
    // `junkan verify` verifies the received credential against the provider's published DID.
    let credential_file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("junkan-federation-{}.jwt", uuid::Uuid::new_v4()));
    std::fs::write(&credential_file, received["credential"].as_str().expect("credential")).expect("write");
    let verified = Command::new(binary())
        .args([
            "verify",
            credential_file.to_str().expect("utf-8"),
            "--online",
            "--did-web-scheme",
            "http",
        ])
        .output()
        .expect("verify");
    let _ = std::fs::remove_file(&credential_file);
    assert!(
        verified.status.success(),
        "junkan verify: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    // The web application's received records: the record with its provenance, its credential
    // verified again now against the battery maker's DID document and status list on its node.
    let cookie = recycler.web_session("recycler-web");
    let page = recycler.web_page("/app/received", &cookie);
    assert!(page.contains(&passport_id) && page.contains(&battery.did()), "{page}");
    assert!(page.contains(">検証済み<") && !page.contains("検証失敗"), "{page}");
    let received_id = received["id"].as_str().expect("id");
    let detail = recycler.web_page(&format!("/app/received/{received_id}"), &cookie);
    assert!(
        detail.contains("TRP-PP-250512-03") && detail.contains(">合格<") && !detail.contains(">不合格<"),
        "{detail}"
    );
    // The owner's audit names the recycler's local record and the grant.
    let (status, audit) = battery.get(&format!("/api/v1/audit?grant_id={grant_id}"));
    assert_eq!(status, 200, "{audit}");
    assert!(audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|entry| entry["actor_organization_id"] == requester.as_str() && entry["purpose"] == "recycling"));
    let (status, audit) = battery.get(&format!("/api/v1/audit?grant_id={wide_id}&action=read"));
    assert_eq!(status, 200, "{audit}");
    assert_eq!(
        audit["items"].as_array().map(Vec::len),
        Some(0),
        "the wider grant is not the pull's: {audit}"
    );

    // Revocation: the next pull fails at once (the wider grant does not serve it: the pull names
    // the revoked one).
    let (status, revoked) = battery.post(&format!("/api/v1/grants/{grant_id}/revoke"), json!({}));
    assert_eq!(status, 200, "{revoked}");
    let (status, refused) = recycler.post(&format!("/api/v1/remote-requests/{remote_request}/pull"), json!({}));
    assert_eq!(status, 404, "{refused}");
    assert!(refused["detail"].as_str().expect("detail").contains(&battery.did()));
    let (_, state) = recycler.get(&format!("/api/v1/remote-requests/{remote_request}"));
    assert_eq!(state["state"], "revoked");

    // Lineage across three nodes: the material maker made the cathode material from raw
    // material, the battery maker the battery from it, the recycler recovered material from the
    // battery. The recycler traces its recovered material back.
    let made = [
        (&material, "urn:uuid:eeeeeeee-0000-4000-8000-000000000001", RAW, CATHODE),
        (
            &battery,
            "urn:uuid:eeeeeeee-0000-4000-8000-000000000002",
            CATHODE,
            BATTERY,
        ),
        (
            &recycler,
            "urn:uuid:eeeeeeee-0000-4000-8000-000000000003",
            BATTERY,
            RECOVERED,
        ),
    ];
    for (node, id, input, output) in made {
        let (status, body) = node.post("/epcis/events", transformation(id, input, output));
        assert_eq!(status, 201, "{body}");
    }
    // The battery maker's grant of its events shows the quantity lists, not the bizStep.
    let (status, grant) = battery.post(
        "/api/v1/grants",
        json!({"grantee": {"type": "organization", "organization_id": requester}, "record_kind": "event",
               "level": "full", "expires_at": "2099-01-01T00:00:00Z",
               "fields": ["inputQuantityList", "outputQuantityList"]}),
    );
    assert_eq!(status, 201, "{grant}");
    let event_grant = grant["id"].as_str().expect("grant").to_owned();
    let trace_path = format!("/api/v1/lineage?id={RECOVERED}&direction=backward&depth=8");
    let (status, lineage) = recycler.get(&trace_path);
    assert_eq!(status, 200, "{lineage}");
    let events = nodes(&lineage, "event");
    let battery_event = events
        .iter()
        .find(|node| {
            node["event_id"] == "urn:uuid:eeeeeeee-0000-4000-8000-000000000002" && node["peer"] == battery.did()
        })
        .unwrap_or_else(|| panic!("the battery maker's event: {lineage}"));
    // The lineage at the battery maker's node was read under that grant (named in the signed
    // request): its fields, its audit entry.
    assert_eq!(battery_event["biz_step"], Value::Null, "{lineage}");
    assert!(
        events
            .iter()
            .any(|node| node["peer"].is_null() && !node["biz_step"].is_null()),
        "the recycler's own event keeps its bizStep: {lineage}"
    );
    let (status, audit) = battery.get(&format!("/api/v1/audit?grant_id={event_grant}&action=read"));
    assert_eq!(status, 200, "{audit}");
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|entry| entry["actor_organization_id"] == requester.as_str() && entry["record_kind"] == "event"),
        "{audit}"
    );
    // The material maker gave no grant of its events: its node is not asked, and shows as a
    // withheld peer.
    assert!(nodes(&lineage, "withheld_event").is_empty(), "{lineage}");
    let withheld = nodes(&lineage, "withheld_peer");
    assert_eq!(withheld.len(), 1, "the material maker gave no grant: {lineage}");
    assert_eq!(withheld[0]["peer"], material.did());
    let text = lineage.to_string();
    assert!(
        !text.contains("RAW-1") && !text.contains("eeeeeeee-0000-4000-8000-000000000001"),
        "{text}"
    );
    // The material maker now knows the recycler (its signed request) and grants it its events.
    let (_, directory) = material.get("/api/v1/organizations?limit=100");
    let recycler_on_material = directory["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|entry| entry["name_en"] == "Recycler")
        .expect("the recycler in the material maker's directory")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, grant) = material.post(
        "/api/v1/grants",
        json!({"grantee": {"type": "organization", "organization_id": recycler_on_material}, "record_kind": "event",
               "level": "full", "expires_at": "2099-01-01T00:00:00Z"}),
    );
    assert_eq!(status, 201, "{grant}");
    let (_, lineage) = recycler.get(&trace_path);
    assert!(nodes(&lineage, "withheld_event").is_empty(), "{lineage}");
    assert!(nodes(&lineage, "event").iter().any(|node| node["event_id"]
        == "urn:uuid:eeeeeeee-0000-4000-8000-000000000001"
        && node["peer"] == material.did()));
    assert!(nodes(&lineage, "object")
        .iter()
        .any(|node| node["identifier"].as_str().is_some_and(|id| id.contains("RAW-1"))));
    // Forward too: from the raw material, which no event of the recycler's node names, the
    // trace goes to the material maker's node (cathode material), on to the battery maker's
    // (battery), and back to the recycler's own recovery event.
    let forward_path = format!("/api/v1/lineage?id={RAW}&direction=forward&depth=8");
    let (status, forward) = recycler.get(&forward_path);
    assert_eq!(status, 200, "{forward}");
    let forward_events = nodes(&forward, "event");
    for (event, peer) in [
        (
            "urn:uuid:eeeeeeee-0000-4000-8000-000000000001",
            Value::from(material.did()),
        ),
        (
            "urn:uuid:eeeeeeee-0000-4000-8000-000000000002",
            Value::from(battery.did()),
        ),
        ("urn:uuid:eeeeeeee-0000-4000-8000-000000000003", Value::Null),
    ] {
        assert!(
            forward_events
                .iter()
                .any(|node| node["event_id"] == event && node["peer"] == peer),
            "{event} on {peer}: {forward}"
        );
    }
    assert!(
        nodes(&forward, "object")
            .iter()
            .any(|node| node["identifier"].as_str().is_some_and(|id| id.contains("RECOVERED-1"))),
        "{forward}"
    );
    assert!(nodes(&forward, "withheld_event").is_empty(), "{forward}");

    // Unsigned requests to federation routes: 401.
    let (status, unsigned) = answer(ureq::get(&format!("{}/federation/v1/catalog", battery.base)).call());
    assert_eq!(status, 401, "{unsigned}");
    assert_eq!(unsigned["type"], "urn:junkan:problem:signature-missing");

    // The test as a fourth node, registered by the battery maker only.
    let fake = fake_node();
    let peer = battery.add_peer(&fake.base);
    assert_eq!(peer["did"], fake.did);
    let (first_did, first_key) = &fake.first;
    let (second_did, second_key) = &fake.second;
    // A good signature is accepted: the fake node's organization reads the catalog.
    let (headers, target) = signed(
        &battery,
        "GET",
        "/federation/v1/catalog",
        first_key,
        &format!("{first_did}#key-1"),
        now(),
    );
    let (status, body) = send("GET", &target, &headers);
    assert_eq!(status, 200, "{body}");
    pinned_lineage_refusals(&battery, first_did, first_key);
    // The same message again: a replay.
    let (status, body) = send("GET", &target, &headers);
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("urn:junkan:problem:signature-replay")),
        "{body}"
    );
    // Signed by the second organization's key while naming the first's: not the claimed
    // organization's key.
    let (headers, target) = signed(
        &battery,
        "GET",
        "/federation/v1/catalog",
        second_key,
        &format!("{first_did}#key-1"),
        now(),
    );
    let (status, body) = send("GET", &target, &headers);
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("urn:junkan:problem:signature-invalid")),
        "{body}"
    );
    assert!(body["detail"].as_str().expect("detail").contains(first_did.as_str()));
    // A key id the claimed organization's DID document does not list.
    let (headers, target) = signed(
        &battery,
        "GET",
        "/federation/v1/catalog",
        second_key,
        &format!("{first_did}#key-9"),
        now(),
    );
    let (status, body) = send("GET", &target, &headers);
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("urn:junkan:problem:signature-key")),
        "{body}"
    );
    // An old signature.
    let (headers, target) = signed(
        &battery,
        "GET",
        "/federation/v1/catalog",
        second_key,
        &format!("{second_did}#key-1"),
        now() - 3600,
    );
    let (status, body) = send("GET", &target, &headers);
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("urn:junkan:problem:signature-expired")),
        "{body}"
    );
    // A node the recycler never registered.
    let (headers, target) = signed(
        &recycler,
        "GET",
        "/federation/v1/catalog",
        first_key,
        &format!("{first_did}#key-1"),
        now(),
    );
    let (status, body) = send("GET", &target, &headers);
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("urn:junkan:problem:signature-unknown-peer")),
        "{body}"
    );
    // A signed request for another URL than the one it was signed for.
    let (headers, _) = signed(
        &battery,
        "GET",
        "/federation/v1/catalog",
        first_key,
        &format!("{first_did}#key-1"),
        now(),
    );
    let (status, body) = send(
        "GET",
        &format!("{}/federation/v1/access-requests/x", battery.base),
        &headers,
    );
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("urn:junkan:problem:signature-invalid")),
        "{body}"
    );

    // A provider that is down: the consumer names it and keeps working.
    let material_peer = peers["items"]
        .as_array()
        .expect("peers")
        .iter()
        .find(|peer| peer["did"] == material.did())
        .expect("material peer")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    material.stop();
    let (status, down) = recycler.post(&format!("/api/v1/peers/{material_peer}/catalog"), json!({}));
    assert_eq!(status, 502, "{down}");
    assert_eq!(down["type"], "urn:junkan:problem:peer-unavailable");
    assert!(down["detail"].as_str().expect("detail").contains(&material.did()));
    assert_eq!(recycler.get("/api/v1/received-records").0, 200);
    let (status, lineage) = recycler.get(&trace_path);
    assert_eq!(status, 200, "{lineage}");
    let unavailable = nodes(&lineage, "withheld_peer");
    assert_eq!(unavailable.len(), 1, "{lineage}");
    assert_eq!(unavailable[0]["peer"], material.did());

    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

/// An Ouranos write or read on a node, with its API key and bearer token (and headers).
fn ouranos(
    node: &Node,
    api_key: &str,
    method: &str,
    query: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = ureq::request(method, &format!("{}/ouranos/api/v1/datatransport?{query}", node.base))
        .set("Authorization", &format!("Bearer {}", node.token))
        .set("apiKey", api_key);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    answer(match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    })
}

/// A node's Ouranos API key and first plant (its 法人番号 + "000001").
fn ouranos_setup(node: &Node, corporate_number: &str) -> (String, String) {
    let (status, key) = node.post(
        &format!("/api/v1/organizations/{}/api-keys", node.organization),
        json!({"name": "ouranos"}),
    );
    assert_eq!(status, 201, "{key}");
    let api_key = key["key"].as_str().expect("key").to_owned();
    let (status, plant) = answer(
        ureq::put(&format!("{}/ouranos/api/v1/authInfo?dataTarget=plant", node.base))
            .set("Authorization", &format!("Bearer {}", node.token))
            .set("apiKey", &api_key)
            .send_json(json!({
                "openPlantId": format!("{corporate_number}000001"), "operatorId": node.organization,
                "plantAddress": "愛知県豊田市1-1", "plantId": null, "plantName": "第一工場", "plantAttribute": {}
            })),
    );
    assert_eq!(status, 201, "{plant}");
    (api_key, plant["plantId"].as_str().expect("plantId").to_owned())
}

fn ouranos_part(node: &Node, plant: &str, name: &str, amount: Value) -> Value {
    json!({
        "amountRequired": amount, "amountRequiredUnit": "kilogram", "operatorId": node.organization,
        "partsName": name, "plantId": plant, "supportPartsName": "2026", "terminatedFlag": false,
        "traceId": null, "partsLabelName": name, "partsAddInfo1": null, "partsAddInfo2": null, "partsAddInfo3": null
    })
}

/// The four CFP rows of a part: own pre- and main-production emissions per kg (component rows 0),
/// with the ratings (TeR, GeR, TiR) of each stage.
fn ouranos_cfp(trace_id: &str, pre: &str, main: &str, pre_dqr: [&str; 3], main_dqr: [&str; 3]) -> Value {
    let number = |text: &str| serde_json::from_str::<Value>(text).expect("number");
    let rows = [
        ("preProduction", "preProcessing", pre, pre_dqr),
        ("mainProduction", "mainProcessing", main, main_dqr),
        ("preComponent", "preProcessing", "0", pre_dqr),
        ("mainComponent", "mainProcessing", "0", main_dqr),
    ];
    Value::Array(
        rows.iter()
            .map(|(cfp_type, dqr_type, value, dqr)| {
                json!({
                    "cfpId": null, "traceId": trace_id, "ghgEmission": number(value), "ghgDeclaredUnit": "kgCO2e/kilogram",
                    "cfpType": cfp_type, "dqrType": dqr_type,
                    "dqrValue": {"TeR": number(dqr[0]), "GeR": number(dqr[1]), "TiR": number(dqr[2])}
                })
            })
            .collect(),
    )
}

/// The CFP roll-up (積み上げ算定) continues on a peer node: the pack maker's pack uses 5 kg of
/// cells bought from the cell maker on another node, whose cells use 2 kg of its own anodes.
///
/// ```text
/// pack (pack maker, node A)       own pre 0, main 0.7 per kg; DQR 1/1/1
/// └── 5 kg cells (bought; the cell maker's part on node B, linked as a remote supply)
///     cells (cell maker, node B)  own pre 1.5, main 0.5; DQR pre 2.1/2.2/2.3, main 3.1/3.2/3.3
///     └── 2 kg anodes (B)         own pre 0.25, main 0.75; DQR pre 1/1/1, main 2/2/2
/// ```
///
/// Per kg of cells: 1.5 + 0.5 + 2 × (0.25 + 0.75) = 4 (pre 1.5 + 0.5 = 2, main 0.5 + 1.5 = 2).
/// Per pack: 0.7 + 5 × 4 = 20.7; pre-production of components 5 × 2 = 10, main 5 × 2 = 10;
/// tiers 0.7 / 5 × 2 = 10 / 5 × 2 × 1 = 10.
/// TeR: cells 1.5 × 2.1 + 0.5 × 3.1 = 4.7, anodes 0.25 × 1 + 0.75 × 2 = 1.75, so per kg of cells
/// 4.7 + 2 × 1.75 = 8.2; pack 0.7 × 1 + 5 × 8.2 = 41.7; 41.7 / 20.7 = 2.0144927… → 2.014493.
/// GeR: cells 3.3 + 1.6 = 4.9 → 4.9 + 3.5 = 8.4; pack 0.7 + 42 = 42.7; / 20.7 = 2.0628019… → 2.062802.
/// TiR: cells 3.45 + 1.65 = 5.1 → 8.6; pack 0.7 + 43 = 43.7; / 20.7 = 2.1111111… → 2.111111.
#[test]
fn cfp_rollup_continues_on_a_peer_node_under_a_grant() {
    let packs = Node::start("Pack Maker", "電池パック製造株式会社", "4010001000003");
    let mut cells = Node::start("Cell Maker", "電池セル製造株式会社", "5010001000002");
    packs.add_peer(&cells.base);
    cells.add_peer(&packs.base);
    let (packs_key, packs_plant) = ouranos_setup(&packs, "4010001000003");
    let (cells_key, cells_plant) = ouranos_setup(&cells, "5010001000002");

    // Node B: cells made of anodes, each with its CFP.
    let (status, structure) = ouranos(
        &cells,
        &cells_key,
        "PUT",
        "dataTarget=partsStructure",
        Some(json!({
            "parentPartsModel": ouranos_part(&cells, &cells_plant, "CELL-B", Value::Null),
            "childrenPartsModel": [ouranos_part(&cells, &cells_plant, "ANODE-B", json!(2))],
        })),
        &[],
    );
    assert_eq!(status, 201, "{structure}");
    let cell_part = structure["parentPartsModel"]["traceId"]
        .as_str()
        .expect("cell")
        .to_owned();
    let anode_part = structure["childrenPartsModel"][0]["traceId"]
        .as_str()
        .expect("anode")
        .to_owned();
    for body in [
        ouranos_cfp(&cell_part, "1.5", "0.5", ["2.1", "2.2", "2.3"], ["3.1", "3.2", "3.3"]),
        ouranos_cfp(&anode_part, "0.25", "0.75", ["1", "1", "1"], ["2", "2", "2"]),
    ] {
        let (status, written) = ouranos(&cells, &cells_key, "PUT", "dataTarget=cfp", Some(body), &[]);
        assert_eq!(status, 201, "{written}");
    }

    // Node A: the pack of 5 kg of bought cells, its own CFP, and the cells linked to node B.
    let (status, structure) = ouranos(
        &packs,
        &packs_key,
        "PUT",
        "dataTarget=partsStructure",
        Some(json!({
            "parentPartsModel": ouranos_part(&packs, &packs_plant, "PACK-A", Value::Null),
            "childrenPartsModel": [ouranos_part(&packs, &packs_plant, "CELL-BOUGHT", json!(5))],
        })),
        &[],
    );
    assert_eq!(status, 201, "{structure}");
    let pack_part = structure["parentPartsModel"]["traceId"]
        .as_str()
        .expect("pack")
        .to_owned();
    let bought = structure["childrenPartsModel"][0]["traceId"]
        .as_str()
        .expect("bought")
        .to_owned();
    let (status, written) = ouranos(
        &packs,
        &packs_key,
        "PUT",
        "dataTarget=cfp",
        Some(ouranos_cfp(&pack_part, "0", "0.7", ["1", "1", "1"], ["1", "1", "1"])),
        &[],
    );
    assert_eq!(status, 201, "{written}");
    let peers = packs.get("/api/v1/peers").1;
    let cells_peer = peers["items"][0]["id"].as_str().expect("peer").to_owned();
    let supplier_did = format!("{}:organizations:{}", cells.did(), cells.organization);
    // A DID that is not of the named peer is refused.
    let (status, refused) = packs.call(
        "PUT",
        &format!("/api/v1/ouranos-remote-supplies/{bought}"),
        Some(json!({"peer_id": cells_peer, "supplier_did": format!("{}:organizations:{}", packs.did(), packs.organization),
                    "supplier_trace_id": cell_part})),
        &[],
    );
    assert_eq!(status, 422, "{refused}");
    let (status, link) = packs.call(
        "PUT",
        &format!("/api/v1/ouranos-remote-supplies/{bought}"),
        Some(json!({"peer_id": cells_peer, "supplier_did": supplier_did, "supplier_trace_id": cell_part})),
        &[],
    );
    assert_eq!(status, 200, "{link}");
    let purpose = [("Junkan-Purpose", "cfp_rollup")];
    let rollup_query = format!("dataTarget=cfpRollup&traceId={pack_part}");
    // The totals rows of `dataTarget=cfp` ask the peer the way cfpRollup does: (type, emission).
    let cfp_query = format!("dataTarget=cfp&traceIds={pack_part}");
    let totals = |node: &Node| {
        let (status, rows) = ouranos(node, &packs_key, "GET", &cfp_query, None, &purpose);
        assert_eq!(status, 200, "{rows}");
        let mut totals: Vec<(String, String)> = rows
            .as_array()
            .expect("rows")
            .iter()
            .filter(|row| row["cfpType"].as_str().is_some_and(|kind| kind.ends_with("Total")))
            .map(|row| {
                (
                    row["cfpType"].as_str().unwrap_or_default().to_owned(),
                    row["ghgEmission"].to_string(),
                )
            })
            .collect();
        totals.sort();
        totals
    };
    let withheld_totals = [
        ("mainComponentTotal", "null"),
        ("mainProductionTotal", "0.7"),
        ("preComponentTotal", "null"),
        ("preProductionTotal", "0"),
    ]
    .map(|(kind, value)| (kind.to_owned(), value.to_owned()));

    // No grant yet: the cells' tier is withheld by node B, named; the pack's own 0.7 stays.
    let (status, rolled) = ouranos(&packs, &packs_key, "GET", &rollup_query, None, &purpose);
    assert_eq!(status, 200, "{rolled}");
    assert_eq!(rolled["total"], "0.7", "{rolled}");
    assert_eq!(rolled["missing"].as_array().map(Vec::len), Some(1), "{rolled}");
    assert_eq!(rolled["missing"][0]["part"], bought.as_str());
    assert_eq!(rolled["missing"][0]["reason"], "withheld");
    assert_eq!(rolled["missing"][0]["tier"], 1);
    assert_eq!(rolled["missing"][0]["peer"], cells.did());
    assert!(
        rolled["missing"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("no live grant"),
        "{rolled}"
    );
    assert_eq!(
        totals(&packs),
        withheld_totals,
        "the cells' totals are withheld, not zero"
    );

    // The pack maker asks the cell maker for its footprints; the cell maker approves.
    let (status, request) = packs.post(
        "/api/v1/remote-requests",
        json!({"peer_id": cells_peer, "request": {
            "owner_organization_id": cells.organization, "record_kind": "footprint", "level": "full",
            "purpose": "cfp_rollup", "expires_at": "2099-01-01T00:00:00Z", "message": "電池パックの CFP 積み上げのため"}}),
    );
    assert_eq!(status, 201, "{request}");
    let (status, inbox) = cells.get("/api/v1/access-requests?direction=incoming");
    assert_eq!(status, 200, "{inbox}");
    let (status, approved) = cells.post(
        &format!(
            "/api/v1/access-requests/{}/approve",
            inbox["items"][0]["id"].as_str().expect("id")
        ),
        json!({}),
    );
    assert_eq!(status, 200, "{approved}");
    let grant_id = approved["grant_id"].as_str().expect("grant").to_owned();

    // Under the grant: exactly the hand-computed figures, with the cells' tier from node B.
    let (status, rolled) = ouranos(&packs, &packs_key, "GET", &rollup_query, None, &purpose);
    assert_eq!(status, 200, "{rolled}");
    assert_eq!(rolled["total"], "20.7", "{rolled}");
    assert_eq!(rolled["missing"], json!([]));
    assert_eq!(
        rolled["stages"],
        json!({"pre_production_own": "0", "pre_production_components": "10", "main_production_own": "0.7",
               "main_production_components": "10", "unstaged": "0"})
    );
    assert_eq!(
        rolled["tiers"],
        json!([{"tier": 0, "emissions": "0.7"}, {"tier": 1, "emissions": "10"}, {"tier": 2, "emissions": "10"}])
    );
    assert_eq!(
        rolled["ratings"],
        json!({"technological": "2.014493", "geographical": "2.062802", "temporal": "2.111111"})
    );
    // Own rows of an Ouranos CFP count as primary data (一次データ, 100 % here) on both nodes; the share
    // crosses the nodes as emissions, not as a rounded percentage.
    assert_eq!(rolled["primary_data_share"], "100");
    assert_eq!(rolled["emissions_without_primary_data_share"], "0");
    assert_eq!(rolled["remote_supplies"][0]["part"], bought.as_str());
    assert_eq!(rolled["remote_supplies"][0]["supplier"], supplier_did.as_str());
    assert_eq!(rolled["remote_supplies"][0]["supplier_part"], cell_part.as_str());
    assert_eq!(rolled["remote_supplies"][0]["total"], "4");
    assert_eq!(
        totals(&packs),
        [
            ("mainComponentTotal", "10"),
            ("mainProductionTotal", "0.7"),
            ("preComponentTotal", "10"),
            ("preProductionTotal", "0"),
        ]
        .map(|(kind, value)| (kind.to_owned(), value.to_owned())),
        "the cells' CFP from node B in the component totals"
    );

    // The cell maker's audit: the pack maker read its footprint under the grant.
    let (status, audit) = cells.get(&format!("/api/v1/audit?grant_id={grant_id}&action=read"));
    assert_eq!(status, 200, "{audit}");
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|entry| entry["record_kind"] == "footprint"),
        "{audit}"
    );

    // The grant covers the cell maker's footprints as a kind (no record named): the pack maker
    // pulls what it covers page by page, each credential verified, then nothing is left.
    let remote_request = request["id"].as_str().expect("id").to_owned();
    let pull = format!("/api/v1/remote-requests/{remote_request}/pull");
    let (status, first) = packs.post(&pull, json!({"limit": 1}));
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["items"].as_array().map(Vec::len), Some(1), "{first}");
    assert_eq!(first["items"][0]["record_kind"], "footprint");
    assert_eq!(first["items"][0]["grant_id"], grant_id.as_str());
    let after = first["next_after"].as_str().expect("a second page").to_owned();
    assert_eq!(first["items"][0]["record_id"], after.as_str());
    let (status, second) = packs.post(&pull, json!({"limit": 1, "after": after}));
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1), "{second}");
    assert_eq!(second["next_after"], Value::Null);
    assert_ne!(second["items"][0]["record_id"], first["items"][0]["record_id"]);
    let (status, bad) = packs.post(&pull, json!({"limit": 0}));
    assert_eq!(status, 422, "{bad}");

    // Revoked: the next roll-up is withheld again at once, and the class pull is refused.
    let (status, revoked) = cells.post(&format!("/api/v1/grants/{grant_id}/revoke"), json!({}));
    assert_eq!(status, 200, "{revoked}");
    let (status, rolled) = ouranos(&packs, &packs_key, "GET", &rollup_query, None, &purpose);
    assert_eq!(status, 200, "{rolled}");
    assert_eq!(rolled["total"], "0.7", "{rolled}");
    assert_eq!(rolled["missing"][0]["reason"], "withheld");
    assert_eq!(totals(&packs), withheld_totals);
    let (status, refused) = packs.post(&pull, json!({}));
    assert_eq!(status, 404, "{refused}");
    assert_eq!(refused["type"], "urn:junkan:problem:peer-refused");

    // Node B down: still withheld, naming it; node A keeps answering.
    cells.stop();
    let (status, rolled) = ouranos(&packs, &packs_key, "GET", &rollup_query, None, &purpose);
    assert_eq!(status, 200, "{rolled}");
    assert_eq!(rolled["total"], "0.7", "{rolled}");
    assert_eq!(rolled["missing"][0]["peer"], cells.did());
    assert!(
        rolled["missing"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("did not answer"),
        "{rolled}"
    );
}

/// A lineage asked of the battery maker's node by the fake node's organization (`did`, `key`):
/// named the grant, it is read under that grant only (its fields, its audit entry); without a
/// grant, or naming one that is revoked, of another kind or not the organization's, it is
/// refused with problem+json and nothing is audited.
fn pinned_lineage_refusals(battery: &Node, did: &str, key: &SigningKey) {
    let ask = |path: &str| {
        let (headers, target) = signed(battery, "GET", path, key, &format!("{did}#key-1"), now());
        send("GET", &target, &headers)
    };
    // The organization as the battery maker's node registered it (named after its DID).
    let (_, directory) = battery.get("/api/v1/organizations?limit=100");
    let organization = directory["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|entry| entry["name_ja"] == did)
        .unwrap_or_else(|| panic!("{did} in the directory: {directory}"))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let grant = |fields: Option<Value>, kind: &str| {
        let mut body = json!({"grantee": {"type": "organization", "organization_id": organization},
                              "record_kind": kind, "level": "full", "expires_at": "2099-01-01T00:00:00Z"});
        if let Some(fields) = fields {
            body["fields"] = fields;
        }
        let (status, grant) = battery.post("/api/v1/grants", body);
        assert_eq!(status, 201, "{grant}");
        grant["id"].as_str().expect("id").to_owned()
    };
    // Outputs only, and every field.
    let outputs = grant(Some(json!(["outputQuantityList"])), "event");
    let whole = grant(None, "event");
    let passports = grant(None, "passport");
    let audited = |grant: &str| {
        let (status, audit) = battery.get(&format!("/api/v1/audit?grant_id={grant}&action=read"));
        assert_eq!(status, 200, "{audit}");
        audit["items"].as_array().map_or(0, Vec::len)
    };
    let lineage = format!("/federation/v1/lineage?id={BATTERY}&direction=backward&depth=8");
    // Under the grant of outputs: the battery is found where it was made, but the hidden inputs
    // connect nothing, so the cathode material is not in the graph.
    let (status, narrow) = ask(&format!("{lineage}&grant={outputs}"));
    assert_eq!(status, 200, "{narrow}");
    assert!(
        nodes(&narrow, "event")
            .iter()
            .any(|node| node["event_id"] == "urn:uuid:eeeeeeee-0000-4000-8000-000000000002"),
        "{narrow}"
    );
    assert!(!narrow.to_string().contains("CATHODE"), "{narrow}");
    assert!(audited(&outputs) > 0, "the read is audited under the grant it named");
    assert_eq!(audited(&whole), 0, "and under no other");
    // Under the grant of every field the inputs connect.
    let (status, wide) = ask(&format!("{lineage}&grant={whole}"));
    assert_eq!(status, 200, "{wide}");
    assert!(wide.to_string().contains("CATHODE"), "{wide}");

    // Refusals: each problem+json, each auditing nothing.
    let (status, audit) = battery.get(&format!("/api/v1/audit?actor_organization_id={organization}&limit=100"));
    assert_eq!(status, 200, "{audit}");
    let before = audit["items"].as_array().map_or(0, Vec::len);
    let (status, missing) = ask(&lineage);
    assert_eq!(status, 422, "{missing}");
    assert_eq!(missing["errors"][0]["path"], "?grant", "{missing}");
    let (status, other_kind) = ask(&format!("{lineage}&grant={passports}"));
    assert_eq!(
        (status, other_kind["type"].as_str()),
        (403, Some("urn:junkan:problem:forbidden")),
        "{other_kind}"
    );
    let (status, unknown) = ask(&format!("{lineage}&grant=01234567-89ab-4def-8123-456789abcdef"));
    assert_eq!(status, 403, "{unknown}");
    let (status, revoked) = battery.post(&format!("/api/v1/grants/{outputs}/revoke"), json!({}));
    assert_eq!(status, 200, "{revoked}");
    let (status, refused) = ask(&format!("{lineage}&grant={outputs}"));
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["detail"].as_str().expect("detail").contains("revoked"),
        "{refused}"
    );
    let (status, roll_up) = ask(&format!("/federation/v1/ouranos/cfp-rollup/{}", uuid::Uuid::new_v4()));
    assert_eq!(status, 422, "{roll_up}");
    assert_eq!(roll_up["errors"][0]["path"], "?grant", "{roll_up}");
    let (_, audit) = battery.get(&format!("/api/v1/audit?actor_organization_id={organization}&limit=100"));
    assert_eq!(
        audit["items"].as_array().map_or(0, Vec::len),
        before,
        "refusals audit nothing: {audit}"
    );
}
