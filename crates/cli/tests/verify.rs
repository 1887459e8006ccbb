//! `junkan verify <file>` and `junkan present` as another machine runs them: the real binary on
//! credential files issued with fixed keys, the issuer's DID document and status lists as files
//! (and over HTTP on loopback with `--online`). Exit 0 for a good credential; 1 naming the failed
//! check for each bad input of issue 9; 2 for usage errors.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

use junkan_credential::did::{did_web, DidDocument};
use junkan_credential::sd_jwt::{issue_sd_jwt_vc, SdJwtVcRequest};
use junkan_credential::status_list::{status_list_credential, StatusList, StatusListEntry, StatusPurpose};
use junkan_credential::vc::issue_vc_jwt;
use junkan_credential::IssuerKey;

const ISSUER: &str = "did:web:node.example:organizations:maker";
const SIGNED_AT: OffsetDateTime = datetime!(2026-05-01 09:00 UTC);
const AT: &str = "2026-06-01T00:00:00Z";
const STATUS_URL: &str = "https://node.example/organizations/maker/status/1";

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_junkan")
}

fn key() -> IssuerKey {
    IssuerKey::from_seed(format!("{ISSUER}#key-1"), &[1; 32]).expect("kid")
}

struct Files {
    directory: PathBuf,
}

impl Files {
    fn new(name: &str) -> Files {
        let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("junkan-verify-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("temp dir");
        Files { directory }
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.directory.join(name);
        std::fs::write(&path, content).expect("write");
        path
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn credential(status_index: Option<u64>) -> Value {
    let mut credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://node.example/passports/p1/versions/1",
        "type": ["VerifiableCredential", "DigitalProductPassport"],
        "issuer": ISSUER,
        "validFrom": "2026-04-01T00:00:00Z",
        "validUntil": "2030-04-01T00:00:00Z",
        "credentialSubject": {"id": "https://id.gs1.org/01/04912345000019/21/B1", "recycledShare": "0.25"}
    });
    if let Some(index) = status_index {
        credential["credentialStatus"] = StatusListEntry {
            status_list_credential: STATUS_URL.to_owned(),
            status_list_index: index,
            status_purpose: StatusPurpose::Revocation,
        }
        .to_json();
    }
    credential
}

fn did_document(retired_at: Option<OffsetDateTime>) -> String {
    DidDocument::new(ISSUER, vec![key().verification_method(None, retired_at)])
        .to_json()
        .to_string()
}

fn status_list(revoked: &[u64]) -> String {
    let mut list = StatusList::new();
    for index in revoked {
        list.set(*index, true).expect("in range");
    }
    let unsigned = status_list_credential(STATUS_URL, ISSUER, StatusPurpose::Revocation, &list, SIGNED_AT, None);
    issue_vc_jwt(&unsigned, &key(), SIGNED_AT).expect("valid status list")
}

fn run(arguments: &[&str]) -> Output {
    Command::new(binary())
        .args(arguments)
        .output()
        .expect("the binary runs")
}

fn verify(file: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut arguments = vec!["verify", file.to_str().expect("utf-8 path")];
    arguments.extend_from_slice(extra);
    let output = run(&arguments);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        report,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The failed checks of a report, as `name:code`.
fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .filter(|check| check["outcome"] == "failed")
                .map(|check| {
                    format!(
                        "{}:{}",
                        check["name"].as_str().unwrap_or("?"),
                        check["code"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_good_credential_verifies_offline_from_its_file_and_the_did_document() {
    let files = Files::new("good");
    let token = issue_vc_jwt(&credential(None), &key(), SIGNED_AT).expect("valid");
    let compact = files.write("credential.jwt", &token);
    let did = files.write("did.json", &did_document(None));
    let did = did.to_str().expect("utf-8");
    let (code, report, stderr) = verify(&compact, &["--did", did, "--at", AT]);
    assert_eq!(code, 0, "{report:#} {stderr}");
    assert_eq!(report["valid"], true);
    assert_eq!(report["credential"]["credentialSubject"]["recycledShare"], "0.25");
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(8));
    // The same as JSON: an EnvelopedVerifiableCredential (VC JOSE COSE), and {"credential": …}.
    let enveloped = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": format!("data:application/vc+jwt,{token}"),
        "type": "EnvelopedVerifiableCredential"
    });
    let enveloped = files.write("enveloped.json", &enveloped.to_string());
    assert_eq!(verify(&enveloped, &["--did", did, "--at", AT]).0, 0);
    let wrapped = files.write("wrapped.json", &json!({"credential": token}).to_string());
    assert_eq!(verify(&wrapped, &["--did", did, "--at", AT]).0, 0);
}

#[test]
fn each_bad_credential_exits_1_naming_the_failed_check() {
    let files = Files::new("bad");
    let did = files.write("did.json", &did_document(None));
    let did = did.to_str().expect("utf-8");
    let token = issue_vc_jwt(&credential(None), &key(), SIGNED_AT).expect("valid");

    // A changed byte in the payload.
    let middle = token.find('.').expect("dot") + 40;
    let mut changed = token.clone();
    let replacement = if &token[middle..=middle] == "A" { "B" } else { "A" };
    changed.replace_range(middle..=middle, replacement);
    let file = files.write("changed.jwt", &changed);
    let (code, report, stderr) = verify(&file, &["--did", did, "--at", AT]);
    assert_eq!(code, 1);
    assert!(
        failed(&report).contains(&"signature:bad_signature".to_owned()),
        "{report:#}"
    );
    assert!(stderr.contains("signature"), "{stderr}");

    // Expired and not yet valid.
    let file = files.write("good.jwt", &token);
    let (code, report, _) = verify(&file, &["--did", did, "--at", "2031-01-01T00:00:00Z"]);
    assert_eq!((code, failed(&report)), (1, vec!["validity_period:expired".to_owned()]));
    let (code, report, _) = verify(&file, &["--did", did, "--at", "2026-05-02T00:00:00+09:00"]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report, _) = verify(&file, &["--did", did, "--at", "2026-03-01T00:00:00Z"]);
    assert_eq!(code, 1);
    assert!(
        failed(&report).contains(&"validity_period:not_yet_valid".to_owned()),
        "{report:#}"
    );

    // A wrong issuer: another organization's key signs a credential naming this issuer.
    let intruder = IssuerKey::from_seed("did:web:node.example:organizations:intruder#key-1", &[4; 32]).expect("kid");
    let mut claimed = credential(None);
    claimed["issuer"] = json!("did:web:node.example:organizations:intruder");
    let intruder_token = issue_vc_jwt(&claimed, &intruder, SIGNED_AT).expect("valid");
    let parts: Vec<&str> = intruder_token.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&base64_decode(parts[1])).expect("json");
    payload["issuer"] = json!(ISSUER);
    let header = base64_decode(parts[0]);
    let resigned = sign_parts(&header, &payload, &[4; 32]);
    let intruder_did = DidDocument::new(
        "did:web:node.example:organizations:intruder",
        vec![intruder.verification_method(None, None)],
    )
    .to_json()
    .to_string();
    let intruder_did = files.write("intruder.json", &intruder_did);
    let file = files.write("wrong-issuer.jwt", &resigned);
    let (code, report, _) = verify(
        &file,
        &["--did", did, "--did", intruder_did.to_str().expect("utf-8"), "--at", AT],
    );
    assert_eq!((code, failed(&report)), (1, vec!["issuer:wrong_issuer".to_owned()]));

    // A signature by a rotated-out key after its retirement date.
    let retired = files.write("retired.json", &did_document(Some(datetime!(2026-04-15 00:00 UTC))));
    let (code, report, _) = verify(
        &file_of(&files, "good.jwt"),
        &["--did", retired.to_str().expect("utf-8"), "--at", AT],
    );
    assert_eq!(
        (code, failed(&report)),
        (1, vec!["key_validity:key_retired".to_owned()])
    );
    // … while what it signed before its retirement still verifies.
    let still = files.write("still.json", &did_document(Some(datetime!(2026-05-15 00:00 UTC))));
    assert_eq!(
        verify(
            &file_of(&files, "good.jwt"),
            &["--did", still.to_str().expect("utf-8"), "--at", AT]
        )
        .0,
        0
    );

    // A DID document that does not match the key that signed.
    let impostor = DidDocument::new(
        ISSUER,
        vec![IssuerKey::from_seed(format!("{ISSUER}#key-1"), &[3; 32])
            .expect("kid")
            .verification_method(None, None)],
    );
    let impostor = files.write("impostor.json", &impostor.to_json().to_string());
    let (code, report, _) = verify(
        &file_of(&files, "good.jwt"),
        &["--did", impostor.to_str().expect("utf-8"), "--at", AT],
    );
    assert_eq!((code, failed(&report)), (1, vec!["signature:bad_signature".to_owned()]));
    // A DID document with a broken key, and no DID document at all.
    let mut broken: Value = serde_json::from_str(&did_document(None)).expect("json");
    broken["verificationMethod"][0]["publicKeyJwk"]["d"] = json!("c2VjcmV0");
    let broken = files.write("broken.json", &broken.to_string());
    let (code, report, _) = verify(
        &file_of(&files, "good.jwt"),
        &["--did", broken.to_str().expect("utf-8"), "--at", AT],
    );
    assert_eq!((code, failed(&report)), (1, vec!["key:unknown_key".to_owned()]));
    let (code, report, _) = verify(&file_of(&files, "good.jwt"), &["--at", AT]);
    assert_eq!((code, failed(&report)), (1, vec!["key:unknown_key".to_owned()]));
}

fn file_of(files: &Files, name: &str) -> PathBuf {
    files.directory.join(name)
}

fn base64_decode(text: &str) -> Vec<u8> {
    junkan_credential::jose::base64url_decode(text).expect("base64url")
}

/// A compact JWS over `payload` with `header`, signed by the key of `seed` (an attacker's tool).
fn sign_parts(header: &[u8], payload: &Value, seed: &[u8; 32]) -> String {
    use ed25519_dalek::Signer;
    let encode = junkan_credential::jose::base64url_encode;
    let input = format!(
        "{}.{}",
        encode(header),
        encode(&serde_json::to_vec(payload).expect("json"))
    );
    let signature = ed25519_dalek::SigningKey::from_bytes(seed).sign(input.as_bytes());
    format!("{input}.{}", encode(&signature.to_bytes()))
}

#[test]
fn revocation_is_read_from_the_status_list_file() {
    let files = Files::new("status");
    let did = files.write("did.json", &did_document(None));
    let did = did.to_str().expect("utf-8");
    let token = issue_vc_jwt(&credential(Some(7)), &key(), SIGNED_AT).expect("valid");
    let file = files.write("credential.jwt", &token);
    let clear = files.write("clear.jwt", &status_list(&[3]));
    let (code, report, _) = verify(
        &file,
        &[
            "--did",
            did,
            "--status-list",
            clear.to_str().expect("utf-8"),
            "--at",
            AT,
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    let revoked = files.write("revoked.jwt", &status_list(&[3, 7]));
    let (code, report, stderr) = verify(
        &file,
        &[
            "--did",
            did,
            "--status-list",
            revoked.to_str().expect("utf-8"),
            "--at",
            AT,
        ],
    );
    assert_eq!((code, failed(&report)), (1, vec!["status:revoked".to_owned()]));
    assert!(stderr.contains("status"), "{stderr}");
    let (code, report, _) = verify(&file, &["--did", did, "--at", AT]);
    assert_eq!(
        (code, failed(&report)),
        (1, vec!["status:status_unavailable".to_owned()])
    );
}

#[test]
fn online_verification_fetches_the_did_document_and_the_status_list() {
    let files = Files::new("online");
    // The issuer lives on a loopback node; its DID encodes the port.
    let host = serve_placeholder();
    let issuer = did_web(&host.address, &["organizations", "maker"]);
    let key = IssuerKey::from_seed(format!("{issuer}#key-1"), &[1; 32]).expect("kid");
    let status_url = format!("http://{}/organizations/maker/status/1", host.address);
    let mut list = StatusList::new();
    list.set(9, true).expect("in range");
    let list_token = issue_vc_jwt(
        &status_list_credential(&status_url, &issuer, StatusPurpose::Revocation, &list, SIGNED_AT, None),
        &key,
        SIGNED_AT,
    )
    .expect("valid");
    let document = DidDocument::new(&issuer, vec![key.verification_method(None, None)]).to_json();
    host.start(HashMap::from([
        ("/organizations/maker/did.json".to_owned(), document.to_string()),
        ("/organizations/maker/status/1".to_owned(), list_token),
    ]));
    let mut good = credential(None);
    good["issuer"] = json!(issuer);
    good["credentialStatus"] = StatusListEntry {
        status_list_credential: status_url.clone(),
        status_list_index: 8,
        status_purpose: StatusPurpose::Revocation,
    }
    .to_json();
    let file = files.write("good.jwt", &issue_vc_jwt(&good, &key, SIGNED_AT).expect("valid"));
    let online = ["--online", "--did-web-scheme", "http", "--at", AT];
    let (code, report, stderr) = verify(&file, &online);
    assert_eq!(code, 0, "{report:#} {stderr}");
    good["credentialStatus"]["statusListIndex"] = json!("9");
    let file = files.write("revoked.jwt", &issue_vc_jwt(&good, &key, SIGNED_AT).expect("valid"));
    let (code, report, _) = verify(&file, &online);
    assert_eq!((code, failed(&report)), (1, vec!["status:revoked".to_owned()]));
}

/// A loopback port reserved before its routes are known (the DID must name the port first),
/// then serving `routes` (path → body) until the test ends.
struct Placeholder {
    address: String,
    listener: TcpListener,
}

fn serve_placeholder() -> Placeholder {
    let listener = TcpListener::bind("127.0.0.1:0").expect("loopback");
    let address = format!("127.0.0.1:{}", listener.local_addr().expect("address").port());
    Placeholder { address, listener }
}

impl Placeholder {
    fn start(self, routes: HashMap<String, String>) {
        let Placeholder { listener, .. } = self;
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).map_or(true, |read| read == 0) || line == "\r\n" {
                        break;
                    }
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let response = match routes.get(&path) {
                    Some(body) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
    }
}

#[test]
fn present_then_verify_shows_only_the_revealed_fields() {
    let files = Files::new("present");
    let did = files.write("did.json", &did_document(None));
    let did = did.to_str().expect("utf-8");
    let claims = json!({
        "passport_id": "https://id.gs1.org/01/04912345000019/21/B1",
        "recycled_content": {"share": "0.25", "suppliers": ["Supplier A", "Supplier B"]},
        "carbon_footprint": {"value": "61.2", "unit": "kg CO2e"}
    });
    let mut counter = 0u8;
    let sd_jwt = issue_sd_jwt_vc(
        &SdJwtVcRequest {
            vct: "https://junkan.example/vct/battery-passport",
            claims: &claims,
            disclosable: &[
                "/recycled_content/share",
                "/recycled_content/suppliers",
                "/carbon_footprint",
            ],
            valid_from: None,
            valid_until: None,
            holder_key: None,
            credential_status: None,
        },
        &key(),
        SIGNED_AT,
        &mut || {
            counter += 1;
            [counter; 16]
        },
    )
    .expect("valid");
    let sd_jwt_file = files.write("passport.sd-jwt", &sd_jwt);
    let output = run(&[
        "present",
        sd_jwt_file.to_str().expect("utf-8"),
        "--reveal",
        "/recycled_content/share",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let presentation = String::from_utf8(output.stdout).expect("utf-8");
    let presentation_file = files.write("presentation.sd-jwt", presentation.trim());
    let (code, report, stderr) = verify(&presentation_file, &["--did", did, "--at", AT]);
    assert_eq!(code, 0, "{report:#} {stderr}");
    assert_eq!(report["format"], "dc+sd-jwt");
    assert_eq!(report["credential"]["recycled_content"], json!({"share": "0.25"}));
    assert!(report["credential"].get("carbon_footprint").is_none(), "{report:#}");
    assert_eq!(report["credential"]["passport_id"], claims["passport_id"]);

    // A presentation that reveals a field it does not hold: a forged disclosure is refused.
    let forged = junkan_credential::jose::base64url_encode(br#"["c2FsdA","certified",true]"#);
    let forged_file = files.write("forged.sd-jwt", &format!("{}{forged}~", presentation.trim()));
    let (code, report, _) = verify(&forged_file, &["--did", did, "--at", AT]);
    assert_eq!(
        (code, failed(&report)),
        (1, vec!["disclosures:unreferenced_disclosure".to_owned()])
    );
    // Asking to reveal what the credential does not hold.
    let output = run(&["present", sd_jwt_file.to_str().expect("utf-8"), "--reveal", "/audit"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/audit"));
}

#[test]
fn usage_errors_exit_2() {
    let files = Files::new("usage");
    let file = files.write("credential.jwt", "a.b.c");
    assert_eq!(verify(&file, &["--at", "yesterday"]).0, 2);
    assert_eq!(verify(&files.directory.join("missing.jwt"), &[]).0, 2);
    assert_eq!(run(&["verify"]).status.code(), Some(2));
    assert_eq!(run(&["verify", "--log", "x.jwt"]).status.code(), Some(2));
    // An unreadable credential is a failed format check, not a usage error.
    let (code, report, _) = verify(&file, &[]);
    assert_eq!((code, failed(&report)), (1, vec!["format:malformed".to_owned()]));
}
