//! End-to-end tests of the real `junkan` binary on loopback ports: the demo, graceful shutdown,
//! the admin commands, and durability of acknowledged writes across SIGKILL on SQLite (always)
//! and PostgreSQL (when `JUNKAN_TEST_POSTGRES_URL` is set, as in CI).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_junkan")
}

/// A test's data directory, removed when the test ends (a demo database is ~40 MB).
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let directory =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junkan-e2e-{name}-{}", uuid::Uuid::new_v4()));
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

/// A running `junkan` process, killed when dropped.
struct Node {
    child: Child,
    base: String,
}

impl Node {
    fn start(args: &[&str], port: u16) -> Node {
        Node::start_with(args, port, "http", &ureq::agent())
    }

    fn start_with(args: &[&str], port: u16, scheme: &str, agent: &ureq::Agent) -> Node {
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(binary())
            .args(args)
            .args(["--listen", &listen])
            .env("JUNKAN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start junkan");
        let node = Node {
            child,
            base: format!("{scheme}://{listen}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while agent.get(&format!("{}/healthz", node.base)).call().is_err() {
            assert!(Instant::now() < deadline, "junkan did not answer /healthz within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    fn token(&self, client_id: &str, client_secret: &str) -> String {
        let response: Value = ureq::post(&format!("{}/auth/token", self.base))
            .send_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", client_secret),
            ])
            .expect("token")
            .into_json()
            .expect("json");
        response["access_token"].as_str().expect("access_token").to_owned()
    }

    fn get(&self, path: &str, token: &str) -> Result<Value, u16> {
        match ureq::get(&format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {token}"))
            .call()
        {
            Ok(response) => Ok(response.into_json().expect("json")),
            Err(ureq::Error::Status(code, _)) => Err(code),
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

#[test]
fn demo_serves_and_a_demo_client_lists_its_organization() {
    let data = temp_dir("demo");
    let port = free_port();
    let mut node = Node::start(&["demo", "--data-dir", data.to_str().expect("utf-8")], port);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials file"))
            .expect("json");
    assert_eq!(credentials["base_url"], node.base.as_str());
    let organizations = credentials["organizations"].as_array().expect("organizations");
    assert!(organizations.len() >= 20, "the base dataset has every loop's members");
    for key in [
        "client_id",
        "client_secret",
        "username",
        "password",
        "roles",
        "id",
        "name",
    ] {
        assert!(organizations[0].get(key).is_some(), "credentials name {key}");
    }
    let slugs: Vec<&str> = organizations
        .iter()
        .filter_map(|organization| organization["slug"].as_str())
        .collect();
    for slug in [
        "cellmaker",
        "blackmass",
        "cathode",
        "appliance-recycling",
        "compounder",
        "eaf",
        "aluminium",
        "municipality",
        "university",
        "association",
        "certifier",
    ] {
        assert!(slugs.contains(&slug), "demo has {slug}");
    }
    let first = &organizations[0];
    let token = node.token(
        first["client_id"].as_str().expect("id"),
        first["client_secret"].as_str().expect("secret"),
    );
    let me = node.get("/api/v1/me", &token).expect("me");
    assert_eq!(me["organization"]["id"], first["id"]);
    let own = node
        .get(
            &format!("/api/v1/organizations/{}", first["id"].as_str().expect("id")),
            &token,
        )
        .expect("own organization");
    assert_eq!(own["name_ja"], first["name"]);
    let facilities = node
        .get(
            &format!(
                "/api/v1/facilities?organization_id={}",
                first["id"].as_str().expect("id")
            ),
            &token,
        )
        .expect("facilities");
    assert!(!facilities["items"].as_array().expect("items").is_empty());

    // The national material-flow indicators from the published FY2000 flows the demo stored.
    let national_path = credentials["examples"]["national_indicators"]
        .as_str()
        .expect("example");
    let national = node.get(national_path, &token).expect("national indicators");
    let fy2000 = &national["periods"][0];
    for (output, published) in [
        ("inlet_circular_use_rate_pct", 10.23),
        ("outlet_circular_use_rate_pct", 36.33),
        ("balance_gap_mt", 1.0),
    ] {
        let computed = fy2000["result"][output].as_f64().unwrap_or(f64::NAN);
        assert!((computed - published).abs() < 0.01, "{output}: {computed} ({fy2000})");
    }

    // The dismantler holds a grant on the automaker's plants; the fleet operator does not.
    let by_slug = |slug: &str| {
        organizations
            .iter()
            .find(|organization| organization["slug"] == slug)
            .expect("slug")
    };
    let automaker = by_slug("automaker")["id"].as_str().expect("id").to_owned();
    let dismantler = by_slug("dismantler");
    let dismantler_token = node.token(
        dismantler["client_id"].as_str().expect("id"),
        dismantler["client_secret"].as_str().expect("secret"),
    );
    let shared = node
        .get(
            &format!("/api/v1/facilities?organization_id={automaker}"),
            &dismantler_token,
        )
        .expect("list");
    assert_eq!(shared["items"].as_array().map(Vec::len), Some(2));
    let fleet = by_slug("fleet");
    let fleet_token = node.token(
        fleet["client_id"].as_str().expect("id"),
        fleet["client_secret"].as_str().expect("secret"),
    );
    let hidden = node
        .get(&format!("/api/v1/facilities?organization_id={automaker}"), &fleet_token)
        .expect("list");
    assert_eq!(hidden["items"].as_array().map(Vec::len), Some(0));

    // SIGTERM stops the node gracefully with success.
    let status = Command::new("kill")
        .args(["-TERM", &node.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = node.child.try_wait().expect("wait") {
            assert!(status.success(), "graceful shutdown exits with success, got {status}");
            break;
        }
        assert!(Instant::now() < deadline, "junkan did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Registers an organization and a client with the admin commands; returns (client id, secret).
fn admin_setup(database: &[&str]) -> (String, String) {
    let organization = r#"{"name_ja": "耐久試験株式会社", "name_en": "Durability Test K.K.", "organization_type": "company", "company_size": "sme", "corporate_number": "7000012050002"}"#;
    let mut child = Command::new(binary())
        .args(["admin", "create-organization", "--json", "-"])
        .args(database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("admin");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), organization.as_bytes()).expect("write");
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("admin output");
    assert!(output.status.success(), "create-organization failed");
    let created: Value = serde_json::from_slice(&output.stdout).expect("organization json");
    let output = Command::new(binary())
        .args([
            "admin",
            "create-client",
            "--organization",
            created["id"].as_str().expect("id"),
            "--name",
            "writer",
            "--role",
            "member",
        ])
        .args(database)
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

/// Writes facilities as fast as the node acknowledges them, kills the node with SIGKILL in the
/// middle of the stream, restarts it and checks every acknowledged write is there.
fn acknowledged_writes_survive_sigkill(database: &[&str]) {
    let (client_id, secret) = admin_setup(database);
    let port = free_port();
    let mut node = Node::start(&[&["serve"], database].concat(), port);
    let token = node.token(&client_id, &secret);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acknowledged, stop, base, token) = (acknowledged.clone(), stop.clone(), node.base.clone(), token.clone());
        std::thread::spawn(move || {
            let mut number = 0;
            while !stop.load(Ordering::SeqCst) {
                number += 1;
                let body = json!({"name_ja": format!("工場{number}"), "name_en": format!("Plant {number}"), "facility_type": "plant", "ouranos_plant_id": format!("KILL{number:06}")});
                match ureq::post(&format!("{base}/api/v1/facilities"))
                    .set("Authorization", &format!("Bearer {token}"))
                    .send_json(body)
                {
                    Ok(response) if response.status() == 201 => {
                        let created: Value = response.into_json().expect("json");
                        acknowledged
                            .lock()
                            .expect("lock")
                            .push(created["id"].as_str().expect("id").to_owned());
                    }
                    Ok(response) => panic!("unexpected status {}", response.status()),
                    // The node died mid-request: this write was never acknowledged.
                    Err(_) => break,
                }
            }
        })
    };
    // EPCIS captures beside them (on SQLite they take the capture writer's own connection): a
    // document of two events each, acknowledged by 202 once it is committed.
    let captured = Arc::new(Mutex::new(Vec::<String>::new()));
    let capturer = {
        let (captured, stop, base, token) = (captured.clone(), stop.clone(), node.base.clone(), token.clone());
        std::thread::spawn(move || {
            let mut number = 0u64;
            while !stop.load(Ordering::SeqCst) {
                number += 1;
                let ids: Vec<String> = (0..2)
                    .map(|half| format!("urn:uuid:00000000-0000-4000-8000-{:012}", number * 2 + half))
                    .collect();
                let events: Vec<Value> = ids
                    .iter()
                    .enumerate()
                    .map(|(half, id)| {
                        json!({"type": "ObjectEvent", "eventID": id, "eventTime": "2026-05-01T09:00:00.000+09:00",
                        "eventTimeZoneOffset": "+09:00", "action": "OBSERVE", "bizStep": "shipping",
                        "epcList": [format!("urn:epc:id:sgtin:4512345.012345.K{number}-{half}")]})
                    })
                    .collect();
                let document = json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                    "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
                    "epcisBody": {"eventList": events}});
                match ureq::post(&format!("{base}/epcis/capture"))
                    .set("Authorization", &format!("Bearer {token}"))
                    .set("Content-Type", "application/ld+json")
                    .send_string(&document.to_string())
                {
                    Ok(response) if response.status() == 202 => captured.lock().expect("lock").extend(ids),
                    Ok(response) => panic!("unexpected capture status {}", response.status()),
                    Err(ureq::Error::Status(status, response)) => {
                        panic!(
                            "capture refused with {status}: {}",
                            response.into_string().unwrap_or_default()
                        )
                    }
                    Err(_) => break,
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().expect("lock").len() < 40 || captured.lock().expect("lock").len() < 40 {
        assert!(Instant::now() < deadline, "writes are too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    node.child.kill().expect("SIGKILL");
    node.child.wait().expect("reaped");
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("writer thread");
    capturer.join().expect("capturing thread");
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 40);
    let captured = captured.lock().expect("lock").clone();

    let node = Node::start(&[&["serve"], database].concat(), free_port());
    let token = node.token(&client_id, &secret);
    let mut stored = Vec::new();
    let mut next = Some("/api/v1/facilities?limit=500".to_owned());
    while let Some(path) = next.take() {
        let page = node.get(&path, &token).expect("list");
        stored.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|item| item["id"].as_str().expect("id").to_owned()),
        );
        next = page["next_cursor"]
            .as_str()
            .map(|cursor| format!("/api/v1/facilities?limit=500&cursor={cursor}"));
    }
    let lost: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes were lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
    let lost_events: Vec<&String> = captured
        .iter()
        .filter(|id| node.get(&format!("/epcis/events/{id}"), &token).is_err())
        .collect();
    assert!(
        lost_events.is_empty(),
        "{} of {} acknowledged captured events were lost: {lost_events:?}",
        lost_events.len(),
        captured.len()
    );
    eprintln!(
        "{} acknowledged writes, {} stored after SIGKILL; {} acknowledged captured events, all stored",
        acknowledged.len(),
        stored.len(),
        captured.len()
    );
}

#[test]
fn acknowledged_writes_survive_sigkill_on_sqlite() {
    let data = temp_dir("kill");
    acknowledged_writes_survive_sigkill(&["--data-dir", data.to_str().expect("utf-8")]);
}

#[test]
fn acknowledged_writes_survive_sigkill_on_postgres() {
    let Some(url) = junkan_store_sql::testing::postgres_url() else {
        eprintln!("SKIPPED: JUNKAN_TEST_POSTGRES_URL is not set");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = runtime.block_on(junkan_store_sql::testing::fresh_postgres_schema(&url));
    let data = temp_dir("kill-pg");
    acknowledged_writes_survive_sigkill(&["--database-url", &url, "--data-dir", data.to_str().expect("utf-8")]);
}

#[test]
fn configuration_file_and_environment_are_honoured() {
    let data = temp_dir("config");
    let port = free_port();
    let config = data.join("junkan.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:1\"\ndata_dir = \"{}\"\n", data.display()),
    )
    .expect("write");
    // The flag (given by Node::start) beats the file's listen address; the file's data_dir is used.
    let node = Node::start(&["serve", "--config", config.to_str().expect("utf-8")], port);
    let discovery: Value = ureq::get(&format!("{}/.well-known/openid-configuration", node.base))
        .call()
        .expect("discovery")
        .into_json()
        .expect("json");
    assert_eq!(discovery["issuer"], node.base.as_str());
    assert!(
        Path::new(&data.join("junkan.db")).exists(),
        "the database lives in the configured data_dir"
    );
    // The environment beats the file: JUNKAN_DATA_DIR moves the database.
    let from_env = temp_dir("config-env");
    let output = Command::new(binary())
        .args(["migrate", "--config", config.to_str().expect("utf-8")])
        .env("JUNKAN_DATA_DIR", &*from_env)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        from_env.join("junkan.db").exists(),
        "JUNKAN_DATA_DIR beats the file's data_dir"
    );
    let bad = Command::new(binary())
        .args(["migrate", "--database-url", "mysql://nope"])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn serves_https_with_the_given_certificate() {
    let data = temp_dir("tls");
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("certificate");
    let (cert, key) = (data.join("cert.pem"), data.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.key_pair.serialize_pem()).expect("write key");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).expect("root");
    let tls =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_root_certificates(roots)
            .with_no_client_auth();
    let agent = ureq::AgentBuilder::new().tls_config(std::sync::Arc::new(tls)).build();
    let args = [
        "serve",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--tls-cert",
        cert.to_str().expect("utf-8"),
        "--tls-key",
        key.to_str().expect("utf-8"),
    ];
    let node = Node::start_with(&args, free_port(), "https", &agent);
    let discovery: Value = agent
        .get(&format!("{}/.well-known/openid-configuration", node.base))
        .call()
        .expect("https")
        .into_json()
        .expect("json");
    assert_eq!(discovery["issuer"], node.base.as_str());
    assert!(node.base.starts_with("https://"));
    // Plain HTTP to the TLS port is not served.
    assert!(
        ureq::get(&format!("{}/healthz", node.base.replace("https://", "http://")))
            .call()
            .is_err()
    );
}

#[test]
fn trace_follows_a_demo_lot_from_the_command_line() {
    let data = temp_dir("trace");
    let data_dir = data.to_str().expect("utf-8");
    let loaded = Command::new(binary())
        .args(["demo", "--no-serve", "--data-dir", data_dir])
        .output()
        .expect("demo");
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials")).expect("json");
    let cobalt = credentials["examples"]["recovered_cobalt_lot"]
        .as_str()
        .expect("example");
    let output = Command::new(binary())
        .args(["trace", cobalt, "--data-dir", data_dir])
        .output()
        .expect("trace");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lineage: Value = serde_json::from_slice(&output.stdout).expect("lineage json");
    let text = lineage.to_string();
    assert!(
        text.contains("/10/BM2026-01") && text.contains("P0001"),
        "the operator's view reaches the battery pack: {text}"
    );
    let bad = Command::new(binary())
        .args(["trace", cobalt, "--data-dir", data_dir, "--direction", "sideways"])
        .output()
        .expect("trace");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("backward, forward or both"));
}

/// `junkan passports import` sends a large file in checked chunks with a progress bar; a bad line
/// anywhere refuses the whole file before anything is written; `export` writes what the token
/// may read.
#[test]
fn passports_import_and_export_from_the_command_line() {
    let data = temp_dir("passports");
    let port = free_port();
    let node = Node::start(&["demo", "--data-dir", data.to_str().expect("utf-8")], port);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials")).expect("json");
    let pellet = credentials["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .find(|organization| organization["slug"] == "pellet")
        .expect("pellet maker");
    let token = node.token(
        pellet["client_id"].as_str().expect("id"),
        pellet["client_secret"].as_str().expect("secret"),
    );
    let example: Value =
        serde_json::from_str(include_str!("../../passport/profiles/examples/plastics.json")).expect("example");
    let line = |lot: usize| {
        json!({"identifier": format!("https://id.gs1.org/01/04912345000019/10/CLI-{lot}"), "granularity": "batch",
               "profile": "plastics", "data": example})
        .to_string()
    };
    let good: Vec<String> = (0..2500).map(line).collect();
    let mut bad = good.clone();
    bad[2100] = bad[2100].replace("\"profile\":\"plastics\"", "\"profile\":\"nope\"");
    let run = |file: &Path, extra: &[&str]| {
        Command::new(binary())
            .args([
                "passports",
                "import",
                file.to_str().expect("utf-8"),
                "--url",
                &node.base,
                "--token",
                &token,
            ])
            .args(extra)
            .output()
            .expect("run junkan passports import")
    };
    let bad_file = data.join("bad.jsonl");
    std::fs::write(&bad_file, bad.join("\n")).expect("write");
    let refused = run(&bad_file, &[]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("record 2001") && message.contains("/100/profile"),
        "{message}"
    );
    let listed = node
        .get("/api/v1/passports?profile=plastics&limit=500", &token)
        .expect("list");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "only the demo's pellet lot and the public flakes lot it was made from: nothing was written"
    );

    let good_file = data.join("good.jsonl");
    std::fs::write(&good_file, good.join("\n")).expect("write");
    let imported = run(&good_file, &[]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let report: Value = serde_json::from_slice(&imported.stdout).expect("report");
    assert_eq!(report["created"], 2500);

    let output = data.join("plastics.csv");
    let exported = Command::new(binary())
        .args([
            "passports",
            "export",
            output.to_str().expect("utf-8"),
            "--profile",
            "plastics",
            "--url",
            &node.base,
            "--token",
            &token,
        ])
        .output()
        .expect("run junkan passports export");
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let mut reader = csv::Reader::from_path(&output).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let records: Vec<csv::StringRecord> = reader.records().map(|record| record.expect("row")).collect();
    assert_eq!(
        records.len(),
        2502,
        "the token reads the recycler's public flakes passport too"
    );
    // Only the pellet maker's own passports go back in (another's identifiers are refused).
    let column = headers
        .iter()
        .position(|header| header == "identifier")
        .expect("identifier column");
    let own = data.join("own.csv");
    let mut writer = csv::Writer::from_path(&own).expect("csv");
    writer.write_record(&headers).expect("headers");
    for record in records.iter().filter(|record| !record[column].contains("PP-FLAKE-07")) {
        writer.write_record(record).expect("row");
    }
    writer.flush().expect("flush");
    let again = run(&own, &["--chunk-size", "700"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let report: Value = serde_json::from_slice(&again.stdout).expect("report");
    assert_eq!(report["unchanged"], 2501, "{report}");
}

/// `junkan indicator <name> --input <file>` computes every worked case of
/// `testdata/indicators/cases.json` with the expected values; bad input exits non-zero naming
/// the problem.
#[test]
fn indicators_from_the_command_line() {
    use junkan_indicators::cases::{check_result, worked_cases};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/indicators/cases.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("cases.json")).expect("json");
    let directory = temp_dir("indicators");
    for case in worked_cases(&file).expect("cases placed") {
        let input = directory.join(format!("{}.json", case.id));
        std::fs::write(&input, case.inputs.to_string()).expect("write input");
        let output = Command::new(binary())
            .args(["indicator", case.indicator, "--input", input.to_str().expect("utf-8")])
            .output()
            .expect("indicator");
        assert!(
            output.status.success(),
            "{}: {}",
            case.id,
            String::from_utf8_lossy(&output.stderr)
        );
        let computed: Value = serde_json::from_slice(&output.stdout).expect("json output");
        check_result(&case, &computed["result"]).unwrap_or_else(|mismatch| panic!("{mismatch}"));
        assert!(computed["provenance"]["formula"]
            .as_str()
            .is_some_and(|formula| !formula.is_empty()));
    }
    let bad = directory.join("bad.json");
    std::fs::write(&bad, r#"{"DMC": 6000, "RCV_O": -800, "IMP_w": 60, "EXP_w": 40}"#).expect("write");
    let output = Command::new(binary())
        .args(["indicator", "cmu", "--input", bad.to_str().expect("utf-8")])
        .output()
        .expect("indicator");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("/RCV_O: must not be negative, got -800"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Any request to the node: (status, JSON body or null).
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: Option<Value>) -> (u16, Value) {
    let mut request = ureq::request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("transport error: {error}"),
    };
    let status = response.status();
    let text = response.into_string().expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The demo's battery chain (issue 5, item 6): the companies exchanged their CFP requests and
/// answers through the PACT and Ouranos APIs while the demo loaded; the automaker reads the
/// rolled-up battery CFP, and nobody outside the chain reads the suppliers' CFPs.
#[test]
fn demo_battery_chain_rolls_up_the_cfp_for_the_automaker_only() {
    let data = temp_dir("battery-cfp");
    let port = free_port();
    let node = Node::start(&["demo", "--data-dir", data.to_str().expect("utf-8")], port);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials")).expect("json");
    let by_slug = |slug: &str| {
        credentials["organizations"]
            .as_array()
            .expect("organizations")
            .iter()
            .find(|organization| organization["slug"] == slug)
            .expect("slug")
            .clone()
    };
    let battery = &credentials["examples"]["battery_cfp"];
    let trace_of = |company: &str, key: &str| {
        battery["chain"]
            .as_array()
            .expect("chain")
            .iter()
            .find(|part| part["company"] == company)
            .and_then(|part| part[key].as_str())
            .unwrap_or_else(|| panic!("{company} {key} in {battery}"))
            .to_owned()
    };
    let vehicle_battery = battery["vehicle_battery_trace_id"].as_str().expect("trace id");

    // Hand computation from the demo's figures (crates/demo/src/battery_cfp.rs), kgCO2e:
    //   recycled NiCo sulphate (refiner, PACT): 5.5 per kg, primary data share 85 %
    //   cathode material per kg: own 4.8 + 6.4, bought 9.4 + 0.2 kg × 5.5 = 1.1   → 21.7
    //   cell: own 9.6, bought 7.2, 1.25 kg × 21.7 = 27.125                           → 43.925
    //   pack: own 180, bought 40, 96 cells × 43.925 = 4216.8                        → 4436.8
    //   vehicle battery: own 12.5, 1 pack × 4436.8                                  → 4449.3
    // Primary data (each company's own rows): 12.5 + 180 + 96 × 9.6 + 120 kg × 11.2 = 2458.1,
    // i.e. 2458.1 / 4449.3 = 55.2468927…% (six decimals: 55.246893).
    assert_eq!(battery["rolled_up_kgco2e_per_unit"], json!("4449.3"), "{battery}");

    let automaker = by_slug("automaker");
    let automaker_key = automaker["api_key"].as_str().expect("the automaker's Ouranos API key");
    let base = node.base.clone();
    let ouranos_login = |login: &Value, api_key: &str| {
        let (status, body) = http(
            "POST",
            &format!("{base}/ouranos/auth/login"),
            &[("apiKey", api_key)],
            Some(json!({"operatorAccountId": login["username"], "accountPassword": login["password"]})),
        );
        assert_eq!(status, 201, "{body}");
        body["accessToken"].as_str().expect("accessToken").to_owned()
    };
    let ouranos_get = |api_key: &str, token: &str, query: &str| {
        http(
            "GET",
            &format!("{base}/ouranos/api/v1/datatransport?{query}"),
            &[("apiKey", api_key), ("Authorization", &format!("Bearer {token}"))],
            None,
        )
    };
    let automaker_token = ouranos_login(&automaker, automaker_key);
    let (status, rollup) = ouranos_get(
        automaker_key,
        &automaker_token,
        &format!("dataTarget=cfpRollup&traceId={vehicle_battery}"),
    );
    assert_eq!(status, 200, "{rollup}");
    assert_eq!(rollup["total"], json!("4449.3"), "{rollup}");
    assert_eq!(rollup["primary_data_share"], json!("55.246893"), "{rollup}");
    assert_eq!(rollup["missing"], json!([]));
    // The pack maker's answer as the automaker sees it on its own part: per stage, over the
    // whole chain below the pack: pre 96 × (7.2 + 1.25 × (4.8 + 10.5)) = 2527.2,
    // main 180 + 40 + 96 × (9.6 + 1.25 × 6.4) = 1909.6.
    let pack_line = trace_of("packmaker", "buyer_trace_id");
    let (status, answer) = ouranos_get(
        automaker_key,
        &automaker_token,
        &format!("dataTarget=cfp&traceIds={pack_line}"),
    );
    assert_eq!(status, 200, "{answer}");
    let rows: Vec<(String, String)> = answer
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row["cfpType"].as_str().expect("type").to_owned(),
                row["ghgEmission"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("preProductionResponse".to_owned(), "2527.2".to_owned()),
            ("mainProductionResponse".to_owned(), "1909.6".to_owned())
        ]
    );
    // The automaker's request is answered.
    let (_, statuses) = ouranos_get(
        automaker_key,
        &automaker_token,
        "dataTarget=status&statusTarget=REQUEST",
    );
    assert_eq!(
        statuses[0]["requestStatus"]["cfpResponseStatus"],
        json!("COMPLETED"),
        "{statuses}"
    );

    // A company outside the chain (the appliance maker) with its own application key and login
    // reads none of the suppliers' CFPs, over either API.
    let outsider = by_slug("appliance");
    let outsider_pact = node.token(
        outsider["client_id"].as_str().expect("id"),
        outsider["client_secret"].as_str().expect("secret"),
    );
    let (status, created) = http(
        "POST",
        &format!(
            "{base}/api/v1/organizations/{}/api-keys",
            outsider["id"].as_str().expect("id")
        ),
        &[("Authorization", &format!("Bearer {outsider_pact}"))],
        Some(json!({"name": "outsider application", "roles": ["member"]})),
    );
    assert_eq!(status, 201, "{created}");
    let outsider_key = created["key"].as_str().expect("key").to_owned();
    let outsider_token = ouranos_login(&outsider, &outsider_key);
    let supplier_parts = ["packmaker", "cellmaker", "cathode"]
        .map(|company| trace_of(company, "trace_id"))
        .join(",");
    let (status, rows) = ouranos_get(
        &outsider_key,
        &outsider_token,
        &format!("dataTarget=cfp&traceIds={supplier_parts},{pack_line},{vehicle_battery}"),
    );
    assert_eq!((status, rows), (200, json!([])));
    let (status, body) = ouranos_get(
        &outsider_key,
        &outsider_token,
        &format!("dataTarget=cfpRollup&traceId={vehicle_battery}"),
    );
    assert_eq!(status, 404, "{body}");
    for company in ["packmaker", "cellmaker", "cathode"] {
        let footprint = trace_of(company, "footprint_id");
        assert_eq!(
            node.get(&format!("/3/footprints/{footprint}"), &outsider_pact),
            Err(404),
            "{company}'s footprint over PACT"
        );
        let listed = node
            .get(
                &format!(
                    "/3/footprints?productId=urn:ouranos:trace-id:{}",
                    trace_of(company, "trace_id")
                ),
                &outsider_pact,
            )
            .expect("list");
        assert_eq!(listed["data"], json!([]));
    }
    let recycled = battery["recycled_material_footprint_id"].as_str().expect("id");
    assert_eq!(node.get(&format!("/3/footprints/{recycled}"), &outsider_pact), Err(404));
    // The refiner shared its footprint with the cathode maker alone; the automaker reaches its
    // suppliers' figures only through the roll-up, not their footprints.
    let cathode = by_slug("cathode");
    let cathode_pact = node.token(
        cathode["client_id"].as_str().expect("id"),
        cathode["client_secret"].as_str().expect("secret"),
    );
    let shared = node
        .get(&format!("/3/footprints/{recycled}"), &cathode_pact)
        .expect("the cathode maker reads the refiner's footprint");
    assert_eq!(shared["data"]["pcf"]["pcfExcludingBiogenicUptake"], json!("5.5"));
    let automaker_pact = node.token(
        automaker["client_id"].as_str().expect("id"),
        automaker["client_secret"].as_str().expect("secret"),
    );
    assert_eq!(
        node.get(
            &format!("/3/footprints/{}", trace_of("cellmaker", "footprint_id")),
            &automaker_pact
        ),
        Err(404)
    );
}

/// The demo's recycled content (issue 6, "Done when"): the pellets', cathode material's and
/// aluminium billets' claims are backed by ledger entries traceable to input lots and their
/// events (the cathode's cobalt through the refiner's claim, across companies), the stored
/// ledgers answer the facility and product indicators, and an over-claim is refused.
#[test]
fn demo_recycled_content_claims_are_backed_by_ledgers_and_over_claims_are_refused() {
    let data = temp_dir("recycled-content");
    let port = free_port();
    let node = Node::start(&["demo", "--data-dir", data.to_str().expect("utf-8")], port);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials")).expect("json");
    let token_of = |slug: &str| {
        let login = credentials["organizations"]
            .as_array()
            .expect("organizations")
            .iter()
            .find(|organization| organization["slug"] == slug)
            .expect("slug")
            .clone();
        node.token(
            login["client_id"].as_str().expect("id"),
            login["client_secret"].as_str().expect("secret"),
        )
    };
    let claims = credentials["examples"]["recycled_content"]
        .as_array()
        .expect("recycled content examples")
        .clone();
    let owners = ["pellet", "cathode", "aluminium"];
    assert_eq!(claims.len(), owners.len());
    for (claim, owner) in claims.iter().zip(owners) {
        let token = token_of(owner);
        let trace = node
            .get(claim["trace"].as_str().expect("trace"), &token)
            .expect("the owner traces its claim");
        let inputs = trace["inputs"].as_array().expect("inputs");
        assert!(!inputs.is_empty(), "{trace}");
        let mut backed = 0.0;
        for input in inputs {
            backed += input["backing"]["credits_t"]
                .as_str()
                .and_then(|credits| credits.parse::<f64>().ok())
                .expect("credits");
            let links = input["links"].as_array().expect("links");
            assert!(
                links.iter().any(|link| link["rel"] == "event"),
                "every input lot entered in an event: {input}"
            );
            let event = links.iter().find(|link| link["rel"] == "event").expect("event link");
            node.get(event["href"].as_str().expect("href"), &token)
                .expect("the event behind the input");
        }
        let claimed: f64 = trace["claim"]["credits_t"]
            .as_str()
            .and_then(|credits| credits.parse().ok())
            .expect("credits");
        assert!((backed - claimed).abs() < 1e-9, "{trace}");
        assert!(trace["claim"]["event_id"].is_string(), "{trace}");
        // The facility's mass balance answers from the stored ledger.
        let facility = node
            .get(claim["facility_scope"].as_str().expect("scope"), &token)
            .expect("mass balance");
        assert_eq!(
            facility["ledgers"][0]["claims"][0]["trace"], claim["trace"],
            "{facility}"
        );
        // Another company sees none of it.
        assert_eq!(
            node.get(claim["ledger"].as_str().expect("ledger"), &token_of("fleet")),
            Err(404)
        );
    }
    assert_eq!(claims[0]["recycled_share_pct"], "100");
    assert_eq!(claims[1]["recycled_share_pct"], "20");

    // The cathode material's recycled cobalt traces across companies to the refiner's claim,
    // and from there to the black mass and its event.
    let cathode = token_of("cathode");
    let trace = node
        .get(claims[1]["trace"].as_str().expect("trace"), &cathode)
        .expect("trace");
    let upstream = trace["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .flat_map(|input| input["links"].as_array().cloned().unwrap_or_default())
        .find(|link| link["rel"] == "upstream_claim")
        .expect("the cobalt lot's share comes from the refiner's claim");
    let refiner_trace = node
        .get(upstream["href"].as_str().expect("href"), &cathode)
        .expect("the refiner shares its ledgers with the cathode maker");
    assert!(
        refiner_trace["inputs"][0]["input"]["lot"]
            .as_str()
            .expect("lot")
            .ends_with("/10/BM2026-01"),
        "{refiner_trace}"
    );
    let battery = node
        .get(
            claims[1]["battery_regulation"]["check"].as_str().expect("check"),
            &cathode,
        )
        .expect("battery check");
    assert_eq!(
        battery["results"][0]["computation"]["result"]["meets_2031"],
        json!(true),
        "{battery}"
    );
    assert_eq!(
        battery["results"][0]["computation"]["result"]["meets_2036"],
        json!(false)
    );

    // 480 kg of scrap × 0.95 = 456 kg of credits, 455 kg claimed by the billets: an over-claim
    // of 10 kg more is refused, and the ledger is unchanged.
    let aluminium = token_of("aluminium");
    let ledger = claims[2]["ledger"].as_str().expect("ledger");
    let before = node.get(ledger, &aluminium).expect("ledger");
    assert_eq!(before["balance"]["remaining_t"], "0.001", "{}", before["balance"]);
    let (status, problem) = http(
        "POST",
        &format!("{}{ledger}/claims", node.base),
        &[("Authorization", &format!("Bearer {aluminium}"))],
        Some(
            json!({"output_lot": "urn:epc:class:lgtin:4599916.022001.BILLET-EXTRA", "mass": 10, "unit": "KGM",
                    "recycled_share_pct": 100, "claimed_on": "2026-09-20"}),
        ),
    );
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("needs 0.01 t of recycled credits but only 0.001 t are left"),
        "{problem}"
    );
    assert_eq!(node.get(ledger, &aluminium).expect("ledger"), before);
}

/// The demo's company-level CTI (issue 6, "Demo"), computed by the node from the demo's FY2026
/// events, printed in the banner and answered by the API with its provenance. The hand
/// computation, from `crates/demo/src/events.rs`, the demo's passports and ledgers:
///
/// - pellet maker: takes in 18.4 kg of PP flakes (100 % recycled: their passport) and puts out
///   17.1 kg of pellets, which the compounder compounds (not a recovery step): circular inflow
///   18.4 / 18.4 = 100 %, circular outflow 0 / 17.1 = 0 %, circularity 18.4 / 35.5 = 51.83 %;
///   the pellets' passport states them 100 % recyclable;
/// - refiner: takes in 156 kg of black mass (from the one pack), declared in its cobalt ledger as
///   4 % cobalt (`material_fraction` 0.04: the pack's 6.24 kg) that is 100 % post-consumer; the
///   entry credits the lot its share × the part it counts, 6.24 kg (the rest of the black mass
///   is in no ledger, so no recycled content is credited to it); it puts out 6.1 kg of cobalt
///   (compounded into cathode material) and 48 kg of nickel (no later event): 6.24 / 156 = 4 %,
///   0 %, 6.24 / (156 + 54.1) = 2.97 %;
/// - cathode maker: 6 kg of recovered cobalt (100 %: the refiner's claim) and 24 kg of virgin
///   cobalt (0 %: declared in its ledger) into 30 kg of cathode material: 6 / 30 = 20 %,
///   0 %, 6 / 60 = 10 %;
/// - scrap yard: collects 1,200 kg of cans (received and sorted: one flow), declared in its
///   aluminium ledger as 40 % aluminium (`material_fraction` 0.4: 480 kg), 100 % post-consumer,
///   so 480 kg are credited; it puts out 480 kg of aluminium scrap, which the aluminium plant
///   recycles, and 690 kg of steel scrap (no later event): 480 / 1200 = 40 %,
///   480 / 1170 = 41.03 %, (480 + 480) / (1200 + 1170) = 40.51 %;
/// - aluminium plant: 480 kg of scrap (100 %: the scrap yard's claim) into 455 kg of billets:
///   100 %, 0 %, 480 / 935 = 51.34 %;
/// - black-mass recycler: shreds the battery pack, weighed by its passport (478.5 kg), whose
///   composition the pack maker shares with it (a grant on the pack's passport, as a maker shares
///   composition and dismantling data with its recycler): 50.4 kg nickel at 6 % (2 + 4),
///   6.24 kg cobalt at 16 % (6 + 10) and 7.44 kg lithium at 3 % (1 + 2): 3.024 + 0.9984 +
///   0.2232 = 4.2456 kg recycled (0.8873 %), and 0.8 % renewable content (3.828 kg): circular
///   inflow 8.0736 / 478.5 = 1.6873 %; its 156 kg of black mass are all recycled by the refiner:
///   circular outflow 100 %; circularity (8.0736 + 156) / (478.5 + 156) = 25.86 %;
/// - pack maker: packs 96 cells into the pack in April 2026. Each cell's passport states 3.75 kg,
///   of which 0.525 kg nickel (6 % recycled), 0.065 kg cobalt (16 %) and 0.0775 kg lithium (3 %):
///   0.0315 + 0.0104 + 0.002325 = 0.044225 kg recycled per cell, 4.2456 kg of 360 kg (1.1793 %;
///   the same metal as the pack's passport states), and 0.8 % renewable content
///   (`Circularity/renewableContent`, 2.88 kg): circular inflow 7.1256 / 360 = 1.9793 %; the
///   pack (478.5 kg: the cells' 360 kg and 118.5 kg of housing and frame, its passport) is
///   disassembled by the dismantler and shredded by the black-mass recycler, events they share
///   with the pack maker: 100 %; circularity (7.1256 + 478.5) / (360 + 478.5) = 57.92 %;
/// - automaker: fits the pack (478.5 kg, 4.2456 kg recycled and 3.828 kg renewable as above:
///   1.6873 %) into the vehicle, which its model's passport (the shipped `vehicle` profile)
///   states at 1,850 kg and the dismantler takes back: 1.6873 %, 100 %,
///   (8.0736 + 1850) / (478.5 + 1850) = 79.80 %.
#[test]
fn demo_company_cti_is_computed_from_the_events_and_printed() {
    let data = temp_dir("cti");
    let data_dir = data.to_str().expect("utf-8");
    let loaded = Command::new(binary())
        .args(["demo", "--no-serve", "--data-dir", data_dir])
        .output()
        .expect("demo");
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
    let banner = String::from_utf8_lossy(&loaded.stdout).to_string();
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials")).expect("json");
    // (company, circular inflow, circular outflow, circularity), `None` when not computable.
    let expected: [(&str, [Option<f64>; 3]); 8] = [
        ("pellet", [Some(100.0), Some(0.0), Some(18.4 / 35.5 * 100.0)]),
        ("refiner", [Some(4.0), Some(0.0), Some(6.24 / 210.1 * 100.0)]),
        ("cathode", [Some(20.0), Some(0.0), Some(10.0)]),
        (
            "scrapyard",
            [Some(40.0), Some(480.0 / 1170.0 * 100.0), Some(960.0 / 2370.0 * 100.0)],
        ),
        ("aluminium", [Some(100.0), Some(0.0), Some(480.0 / 935.0 * 100.0)]),
        (
            "blackmass",
            [
                Some(8.0736 / 478.5 * 100.0),
                Some(100.0),
                Some((8.0736 + 156.0) / 634.5 * 100.0),
            ],
        ),
        (
            "packmaker",
            [
                Some(7.1256 / 360.0 * 100.0),
                Some(100.0),
                Some((7.1256 + 478.5) / 838.5 * 100.0),
            ],
        ),
        (
            "automaker",
            [
                Some(8.0736 / 478.5 * 100.0),
                Some(100.0),
                Some((8.0736 + 1850.0) / 2328.5 * 100.0),
            ],
        ),
    ];
    let recorded = credentials["examples"]["circularity"]
        .as_array()
        .expect("circularity examples");
    assert_eq!(recorded.len(), expected.len());
    let port = free_port();
    let node = Node::start(&["serve", "--data-dir", data_dir], port);
    let login = |slug: &str| {
        credentials["organizations"]
            .as_array()
            .expect("organizations")
            .iter()
            .find(|organization| organization["slug"] == slug)
            .expect("slug")
            .clone()
    };
    let token_of = |slug: &str| {
        let login = login(slug);
        node.token(
            login["client_id"].as_str().expect("id"),
            login["client_secret"].as_str().expect("secret"),
        )
    };
    let close = |value: &Value, expected: Option<f64>, what: &str| match expected {
        Some(expected) => {
            let value = value
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: a number, got {value}"));
            assert!((value - expected).abs() < 1e-6, "{what}: {value} ≠ {expected}");
        }
        None => assert_eq!(value, &Value::Null, "{what} is not computable"),
    };
    for ((slug, [inflow, outflow, circularity]), example) in expected.iter().zip(recorded) {
        assert_eq!(example["organization"], *slug);
        let answer = node
            .get(example["href"].as_str().expect("href"), &token_of(slug))
            .expect("the company's CTI");
        let result = &answer["result"];
        close(&result["circular_inflow_pct"], *inflow, &format!("{slug} inflow"));
        close(&result["circular_outflow_pct"], *outflow, &format!("{slug} outflow"));
        close(&result["circularity_pct"], *circularity, &format!("{slug} circularity"));
        assert_eq!(example["circularity_pct"], result["circularity_pct"], "{slug}");
        // The banner line: name, then the three figures to one decimal place (— when null).
        let shown = |value: Option<f64>| {
            value
                .map(|value| format!("{value:.1} %"))
                .unwrap_or_else(|| "—".to_owned())
        };
        let line = format!("{} / {} / {}", shown(*inflow), shown(*outflow), shown(*circularity));
        let name = login(slug)["name"].as_str().expect("name").to_owned();
        assert!(
            banner
                .lines()
                .any(|printed| printed.contains(&name) && printed.ends_with(&line)),
            "banner shows {name} {line}: {banner}"
        );
    }

    // Where the figures come from: the cathode maker's recovered cobalt through the refiner's
    // claim, its virgin cobalt through its own ledger entry; the scrap yard's aluminium scrap
    // recycled by the aluminium plant, in an event the plant shares with it.
    let cathode = node
        .get(recorded[2]["href"].as_str().expect("href"), &token_of("cathode"))
        .expect("cti");
    let sources: Vec<&str> = cathode["inflows"]
        .as_array()
        .expect("inflows")
        .iter()
        .map(|inflow| inflow["source"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(sources, ["claim", "ledger_input"], "{cathode}");
    // The black-mass recycler reads the pack's composition under the pack maker's grant: the
    // pack is weighed by, and its share read from, the pack's own passport. Shares are presented
    // to 6 decimal places (half to even), never with the 28 places of the exact quotient.
    let blackmass = node
        .get(recorded[5]["href"].as_str().expect("href"), &token_of("blackmass"))
        .expect("cti");
    let pack = &blackmass["inflows"][0];
    assert_eq!(
        (
            &pack["source"]["kind"],
            &pack["source"]["basis"],
            &pack["mass_from"]["basis"]
        ),
        (&json!("passport"), &json!("item"), &json!("item")),
        "{blackmass}"
    );
    assert_eq!(pack["share"]["recycled_share_pct"], "0.887273", "{pack}");
    assert_eq!(blackmass["result"]["circular_inflow_pct"], json!(1.687273));
    let scrapyard = node
        .get(recorded[3]["href"].as_str().expect("href"), &token_of("scrapyard"))
        .expect("cti");
    let aluminium_scrap = &scrapyard["outflows"][0];
    assert!(aluminium_scrap["lot"]
        .as_str()
        .expect("lot")
        .ends_with("/10/AL-2026-10"));
    assert_eq!(aluminium_scrap["fate"]["routes"], json!({"recycling": "0.48"}));
    let event = aluminium_scrap["fate"]["events"][0]["href"].as_str().expect("event");
    node.get(event, &token_of("scrapyard"))
        .expect("the aluminium plant shares the event with the scrap yard");
    assert_eq!(
        node.get(recorded[0]["href"].as_str().expect("href"), &token_of("pellet"))
            .expect("cti")["outflows"][0]["recovery_potential_pct"],
        "100"
    );
    // Another company sees nothing of the pellet maker's flows.
    let outsider = node
        .get(recorded[0]["href"].as_str().expect("href"), &token_of("fleet"))
        .expect("cti");
    assert_eq!(outsider["computable"], false);
    assert_eq!(outsider["inflows"], json!([]));
    assert_eq!(outsider["result"]["circularity_pct"], Value::Null);
}

/// The demo's mass-weighted company MCI (企業のMCI, issue 6, "Demo"): the appliance maker made one
/// refrigerator in FY2026 (commissioned on 2026-04-02), weighed and rated by its passport (the
/// shipped example: M = 88 kg, F_R = 0.08, F_U = 0, C_R = 0.66, C_U = 0, E_C = 0.80, E_F = 0.90,
/// L/L_av = 15/13, U = U_av). Hand computation: V = 88 × 0.92 = 80.96; W0 = 88 × 0.34 = 29.92;
/// W_C = 88 × 0.2 × 0.66 = 11.616; W_F = 88 × 0.1 × 0.08 / 0.9 = 0.782; W = 29.92 +
/// (0.782 + 11.616) / 2 = 36.119; LFI = (80.96 + 36.119) / (176 + (0.782 − 11.616) / 2) =
/// 117.079 / 170.583 = 0.68635; F(X) = 0.9 / (15 / 13) = 0.78; MCI = 1 − 0.68635 × 0.78 = 0.46465.
/// One product, so the company MCI is that product's: Σ M·MCI / Σ M = 0.088 × 0.46465 / 0.088.
#[test]
fn demo_company_mci_is_computed_from_the_appliance_makers_products() {
    let data = temp_dir("company-mci");
    let data_dir = data.to_str().expect("utf-8");
    let loaded = Command::new(binary())
        .args(["demo", "--no-serve", "--data-dir", data_dir])
        .output()
        .expect("demo");
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
    let banner = String::from_utf8_lossy(&loaded.stdout).to_string();
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials")).expect("json");
    let recorded = credentials["examples"]["company_mci"]
        .as_array()
        .expect("company MCI examples");
    assert_eq!(recorded.len(), 1);
    let appliance = &recorded[0];
    assert_eq!(appliance["organization"], "appliance");
    assert_eq!(appliance["computable"], true, "{appliance}");
    let mci = appliance["mci"].as_f64().expect("a number");
    assert!((mci - 0.46465).abs() < 1e-4, "company MCI {mci}");
    assert_eq!(appliance["mass_t"].as_f64(), Some(0.088), "{appliance}");
    let name = appliance["name"].as_str().expect("name");
    assert!(
        banner
            .lines()
            .any(|line| line.contains(name) && line.ends_with("MCI 0.465")),
        "banner shows {name} MCI 0.465: {banner}"
    );
    let port = free_port();
    let node = Node::start(&["serve", "--data-dir", data_dir], port);
    let login = credentials["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .find(|organization| organization["slug"] == "appliance")
        .expect("the appliance maker")
        .clone();
    let token = node.token(
        login["client_id"].as_str().expect("id"),
        login["client_secret"].as_str().expect("secret"),
    );
    let answer = node
        .get(appliance["href"].as_str().expect("href"), &token)
        .expect("the company MCI");
    assert_eq!(answer["result"]["MCI"], appliance["mci"]);
    let product = &answer["products"][0];
    assert!(product["lot"].as_str().expect("lot").contains("F0001"), "{answer}");
    assert!(product["passport"]["href"]
        .as_str()
        .expect("href")
        .starts_with("/api/v1/passports/"));
}

/// A record's credential exported from a running node verifies with `junkan verify` on its own,
/// from the exported file plus the issuer's published DID document and status list (as on
/// another machine); the same files with a revoked credential fail. The keys were rotated with
/// `junkan admin rotate-key` before: the DID document keeps the retired key.
#[test]
fn an_exported_credential_verifies_offline_with_the_published_did_document() {
    let data = temp_dir("trust");
    let database = ["--data-dir", data.to_str().expect("utf-8")];
    let (client_id, secret) = admin_setup(&database);
    let port = free_port();
    let node = Node::start(&[&["serve"], &database[..]].concat(), port);
    let token = node.token(&client_id, &secret);
    let me = node.get("/api/v1/me", &token).expect("me");
    let organization = me["organization"]["id"].as_str().expect("organization id").to_owned();
    drop(node);
    // Rotation from the command line, then the node again.
    let rotated = Command::new(binary())
        .args(["admin", "rotate-key", "--organization", &organization])
        .args(database)
        .output()
        .expect("admin");
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    let keys: Value = serde_json::from_slice(&rotated.stdout).expect("keys json");
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(1), "the first key: {keys}");
    let node = Node::start(&[&["serve"], &database[..]].concat(), port);
    let token = node.token(&client_id, &secret);
    let created: Value = ureq::post(&format!("{}/api/v1/facilities", node.base))
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(json!({"name_ja": "検証工場", "name_en": "Verification plant", "facility_type": "plant"}))
        .expect("facility")
        .into_json()
        .expect("json");
    let facility = created["id"].as_str().expect("id");
    let exported = node
        .get(&format!("/api/v1/credentials/facility/{facility}"), &token)
        .expect("credential");
    // The node comes back on the same port after each restart.
    let base = node.base.clone();
    let text = |path: &str| {
        ureq::get(&format!("{base}{path}"))
            .call()
            .expect("published")
            .into_string()
            .expect("text")
    };
    let did_document = text(&format!("/organizations/{organization}/did.json"));
    let status_list = text(&format!("/credentials/status/{organization}"));
    let files = [
        (
            "credential.jwt",
            exported["credential"].as_str().expect("jwt").to_owned(),
        ),
        ("did.json", did_document),
        ("status.jwt", status_list),
    ];
    for (name, content) in &files {
        std::fs::write(data.join(name), content).expect("write");
    }
    let path = |name: &str| data.join(name).to_str().expect("utf-8").to_owned();
    let verify = |status_list: &str| {
        Command::new(binary())
            .args(["verify", &path("credential.jwt"), "--did", &path("did.json")])
            .args(["--status-list", status_list])
            .output()
            .expect("verify")
    };
    let output = verify(&path("status.jwt"));
    let report: Value = serde_json::from_slice(&output.stdout).expect("report");
    assert!(output.status.success(), "{report:#}");
    assert_eq!(report["issuer"], exported["issuer"]);
    // Revoked by the issuer: the newly published list says so.
    // The status of the revocation request (its body is not needed).
    let revoke = |token: &str| -> u16 {
        match ureq::post(&format!(
            "{base}/api/v1/credentials/{}/revoke",
            exported["id"].as_str().expect("id")
        ))
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(json!({}))
        {
            Ok(response) => response.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(error) => panic!("transport error: {error}"),
        }
    };
    // The client is a member: revocation is for the organization's administrators.
    assert_eq!(revoke(&token), 403);
    drop(node);
    let output = Command::new(binary())
        .args([
            "admin",
            "create-client",
            "--organization",
            &organization,
            "--name",
            "administrator",
            "--role",
            "org_admin",
        ])
        .args(database)
        .output()
        .expect("admin");
    let administrator: Value = serde_json::from_slice(&output.stdout).expect("client json");
    let node = Node::start(&[&["serve"], &database[..]].concat(), port);
    let admin_token = node.token(
        administrator["client_id"].as_str().expect("id"),
        administrator["client_secret"].as_str().expect("secret"),
    );
    assert_eq!(revoke(&admin_token), 200);
    std::fs::write(
        data.join("revoked.jwt"),
        text(&format!("/credentials/status/{organization}")),
    )
    .expect("write");
    let output = verify(&path("revoked.jwt"));
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("report");
    assert_eq!(report["valid"], json!(false), "{report:#}");
}

/// The demo's conformity certificates (適合性証明): the certification body's three certificates
/// (the pellets' recycled content, the battery's CFP, the refrigerator's eco-design) are listed
/// in the credentials file; the node verifies the first two and reports the third revoked; its
/// credential is a `vc+jwt` whose bit in the certifier's status list is set.
#[test]
fn demo_certificates_verify_and_the_revoked_one_reports_revoked() {
    let data = temp_dir("certificates");
    let port = free_port();
    let node = Node::start(&["demo", "--data-dir", data.to_str().expect("utf-8")], port);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).expect("credentials")).expect("json");
    let certifier = credentials["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .find(|organization| organization["slug"] == "certifier")
        .expect("the certification body")
        .clone();
    let token = node.token(
        certifier["client_id"].as_str().expect("id"),
        certifier["client_secret"].as_str().expect("secret"),
    );
    let certificates = credentials["examples"]["certificates"]
        .as_array()
        .expect("certificates in the credentials file")
        .clone();
    let schemes: Vec<&str> = certificates
        .iter()
        .map(|certificate| certificate["scheme"].as_str().expect("scheme"))
        .collect();
    assert_eq!(schemes, ["recycled_content", "cfp_verification", "eco_design"]);
    let pellets = credentials["examples"]["recycled_content"][0].clone();
    assert_eq!(
        certificates[0]["claim"]["recycled_share_pct"], pellets["recycled_share_pct"],
        "the certificate states the share the demo computed by mass balance"
    );
    let expected = ["valid", "valid", "revoked"];
    for (certificate, status) in certificates.iter().zip(expected) {
        let id = certificate["id"].as_str().expect("id");
        let verification = node
            .get(&format!("/api/v1/certificates/{id}/verification"), &token)
            .expect("verification");
        assert_eq!(verification["status"], status, "{verification}");
        assert_eq!(certificate["revoked"], status == "revoked");
    }
    // The public pellet passport's certificate is public, and its credential is a vc+jwt.
    let (status, _) = http(
        "GET",
        &format!(
            "{}/api/v1/certificates/{}",
            node.base,
            certificates[0]["id"].as_str().expect("id")
        ),
        &[],
        None,
    );
    assert_eq!(status, 200);
    let credential = ureq::get(&format!(
        "{}/api/v1/certificates/{}/credential",
        node.base,
        certificates[2]["id"].as_str().expect("id")
    ))
    .call()
    .expect("the credential")
    .into_string()
    .expect("text");
    assert_eq!(credential.split('.').count(), 3, "a compact JWS: {credential}");
    // On "another machine": `junkan verify` fetches the certifier's DID document and status list
    // (did:web over HTTP on loopback) and checks each credential file.
    for (certificate, status) in certificates.iter().zip(expected) {
        let jwt = ureq::get(&format!(
            "{}/api/v1/certificates/{}/credential",
            node.base,
            certificate["id"].as_str().expect("id")
        ))
        .set("authorization", &format!("Bearer {token}"))
        .call()
        .expect("the credential")
        .into_string()
        .expect("text");
        let file = data.join(format!("{}.jwt", certificate["scheme"].as_str().expect("scheme")));
        std::fs::write(&file, &jwt).expect("writes");
        let checked = Command::new(binary())
            .args([
                "verify",
                file.to_str().expect("utf-8"),
                "--online",
                "--did-web-scheme",
                "http",
            ])
            .output()
            .expect("junkan verify");
        let report = String::from_utf8_lossy(&checked.stdout);
        if status == "revoked" {
            assert_eq!(checked.status.code(), Some(1), "{report}");
            assert!(report.contains("revoked"), "{report}");
        } else {
            assert_eq!(
                checked.status.code(),
                Some(0),
                "{report}{}",
                String::from_utf8_lossy(&checked.stderr)
            );
        }
    }
}
