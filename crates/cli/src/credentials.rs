//! `junkan verify <file>`, `junkan present` and `junkan bench verify`: offline verification of a
//! credential file (a `vc+jwt` or an SD-JWT VC presentation) against the issuer's published DID
//! document and status lists given as files, or fetched over HTTP(S) with `--online`.
//!
//! Exit status: 0 when every check passed, 1 when a check failed (the report names it), 2 for a
//! usage error (unreadable file, bad `--at`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use time::OffsetDateTime;

use junkan_credential::did::{did_web_url, DidDocument, UrlScheme};
use junkan_credential::keys::{controller_of, KeyResolutionError, ResolveKeyWith, VerificationMethod};
use junkan_credential::sd_jwt::{present, verify_sd_jwt_vc};
use junkan_credential::status_list::{declared_id, FetchStatusListWith, StatusListSource};
use junkan_credential::vc::{issue_vc_jwt, parse_time, verify_vc_jwt, verify_vc_jwt_verdict, VerificationContext};
use junkan_credential::{IssuerKey, KeyResolver, VerificationReport};

/// A usage error: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// What `junkan verify <file>` was asked.
#[derive(Debug)]
pub struct VerifyRequest {
    /// The credential file.
    pub file: PathBuf,
    /// Published DID documents of issuers.
    pub did_documents: Vec<PathBuf>,
    /// Status list credentials.
    pub status_lists: Vec<PathBuf>,
    /// The verification time (RFC 3339), default now.
    pub at: Option<String>,
    /// Fetch DID documents and status lists not given as files.
    pub online: bool,
    /// `https` (default) or `http` (loopback tests).
    pub did_web_scheme: String,
}

/// Reads a secured credential from a file's text: a compact JWS or SD-JWT as is, a JSON string
/// holding one, an `EnvelopedVerifiableCredential` (`id: data:application/vc+jwt,…`), or an object
/// with the token under `credential`, `jwt`, `sd_jwt` or `presentation`.
pub fn read_secured(text: &str) -> Result<String, String> {
    let text = text.trim();
    if !text.starts_with('{') && !text.starts_with('"') {
        return Ok(text.to_owned());
    }
    let value: Value =
        serde_json::from_str(text).map_err(|error| format!("not JSON and not a compact JWS: {error}"))?;
    let token = match &value {
        Value::String(token) => Some(token.as_str()),
        Value::Object(object) => object
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| id.strip_prefix("data:"))
            .and_then(|data| data.split_once(','))
            .map(|(_, token)| token)
            .or_else(|| {
                ["credential", "jwt", "sd_jwt", "presentation"]
                    .iter()
                    .find_map(|key| object.get(*key).and_then(Value::as_str))
            }),
        _ => None,
    };
    token
        .map(|token| token.trim().to_owned())
        .ok_or_else(|| "the JSON holds no compact JWS or SD-JWT (expected a string, an EnvelopedVerifiableCredential, or credential/jwt/sd_jwt/presentation)".to_owned())
}

fn read_file(path: &Path) -> Result<String, UsageError> {
    std::fs::read_to_string(path).map_err(|error| UsageError(format!("{}: {error}", path.display())))
}

fn http_agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .redirects(0)
        .build()
}

fn fetch(agent: &ureq::Agent, url: &str, accept: &str) -> Result<String, String> {
    let response = agent
        .get(url)
        .set("Accept", accept)
        .call()
        .map_err(|error| format!("GET {url}: {error}"))?;
    response.into_string().map_err(|error| format!("GET {url}: {error}"))
}

/// Verifies the file and returns the report (the caller prints it and sets the exit status).
pub fn verify_file(request: &VerifyRequest) -> Result<VerificationReport, UsageError> {
    let now = match &request.at {
        Some(at) => {
            parse_time(at).map_err(|error| UsageError(format!("--at {at:?}: not an RFC 3339 time: {error}")))?
        }
        None => OffsetDateTime::now_utc(),
    };
    let scheme = match request.did_web_scheme.as_str() {
        "https" => UrlScheme::Https,
        "http" => UrlScheme::Http,
        other => {
            return Err(UsageError(format!(
                "--did-web-scheme {other:?}: expected https or http"
            )))
        }
    };
    let token = read_secured(&read_file(&request.file)?)
        .map_err(|reason| UsageError(format!("{}: {reason}", request.file.display())))?;

    // DID documents from files: each checked against the DID it declares; a broken one makes the
    // keys of that DID unresolvable (a failed `key` check), not a usage error.
    let mut documents: HashMap<String, Result<DidDocument, String>> = HashMap::new();
    for path in &request.did_documents {
        let text = read_file(path)?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|error| UsageError(format!("{}: not JSON: {error}", path.display())))?;
        let did = value
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| UsageError(format!("{}: a DID document needs an id", path.display())))?
            .to_owned();
        let parsed = DidDocument::parse(&value, &did).map_err(|error| error.to_string());
        documents.insert(did, parsed);
    }
    let mut status_lists: HashMap<String, String> = HashMap::new();
    for path in &request.status_lists {
        let token =
            read_secured(&read_file(path)?).map_err(|reason| UsageError(format!("{}: {reason}", path.display())))?;
        let id = declared_id(&token)
            .ok_or_else(|| UsageError(format!("{}: the status list credential declares no id", path.display())))?;
        status_lists.insert(id, token);
    }

    let agent = http_agent();
    let fetched_documents: std::cell::RefCell<HashMap<String, Result<DidDocument, String>>> = Default::default();
    let resolve = |kid: &str| -> Result<VerificationMethod, KeyResolutionError> {
        let did = controller_of(kid).ok_or_else(|| KeyResolutionError::UnknownKey { kid: kid.to_owned() })?;
        let unavailable = |reason: String| KeyResolutionError::Unavailable {
            kid: kid.to_owned(),
            reason,
        };
        if let Some(document) = documents.get(did) {
            return document
                .as_ref()
                .map_err(|reason| unavailable(reason.clone()))?
                .resolve_key(kid);
        }
        if !request.online {
            return Err(unavailable(format!(
                "no DID document of {did} was given (--did <did.json>, or --online to fetch it)"
            )));
        }
        let mut cache = fetched_documents.borrow_mut();
        let document = cache.entry(did.to_owned()).or_insert_with(|| {
            let url = did_web_url(did, scheme).map_err(|error| error.to_string())?;
            let text = fetch(&agent, &url, "application/did+json, application/json")?;
            let value: Value = serde_json::from_str(&text).map_err(|error| format!("{url}: not JSON: {error}"))?;
            DidDocument::parse(&value, did).map_err(|error| format!("{url}: {error}"))
        });
        document
            .as_ref()
            .map_err(|reason| unavailable(reason.clone()))?
            .resolve_key(kid)
    };
    let keys = ResolveKeyWith(resolve);
    let fetch_status = |url: &str| -> Result<String, String> {
        if let Some(token) = status_lists.get(url) {
            return Ok(token.clone());
        }
        if !request.online {
            return Err(
                "no status list credential was given for this URL (--status-list <file>, or --online)".to_owned(),
            );
        }
        read_secured(&fetch(&agent, url, "application/vc+jwt, application/json")?)
    };
    let status_source = FetchStatusListWith(fetch_status);
    let context = VerificationContext::new(&keys, now).with_status_lists(&status_source as &dyn StatusListSource);
    Ok(if token.contains('~') {
        verify_sd_jwt_vc(&token, &context, None)
    } else {
        verify_vc_jwt(&token, &context)
    })
}

/// `junkan present`: the SD-JWT in `file` with only the disclosures `reveal` needs.
pub fn present_file(file: &Path, reveal: &[String]) -> anyhow::Result<String> {
    let token =
        read_secured(&read_file(file)?).map_err(|reason| UsageError(format!("{}: {reason}", file.display())))?;
    let reveal: Vec<&str> = reveal.iter().map(String::as_str).collect();
    Ok(present(&token, &reveal)?)
}

/// `junkan bench verify`: issues a battery passport credential (the shipped battery profile's
/// example as subject) and verifies it `count` times on this thread, keys in memory as offline
/// verification has them: once reading the claims into the report (as `junkan verify` does),
/// once for the verdict only.
pub fn bench_verify(count: u64) -> anyhow::Result<Value> {
    let issuer = "did:web:node.example:organizations:bench";
    let key = IssuerKey::from_seed(format!("{issuer}#key-1"), &[11; 32])?;
    let subject = junkan_passport::builtin::example("battery").ok_or_else(|| anyhow::anyhow!("no battery example"))?;
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dpp/0.5.0/"],
        "id": "https://node.example/passports/bench/versions/1",
        "type": ["VerifiableCredential", "DigitalProductPassport"],
        "issuer": {"id": issuer, "name": "Bench K.K."},
        "validFrom": "2025-04-15T00:00:00Z",
        "credentialSubject": {"id": "https://id.gs1.org/01/04569999123450/21/MC75N8A2504150123", "profile": "battery", "data": subject},
    });
    let now = OffsetDateTime::now_utc();
    let token = issue_vc_jwt(&credential, &key, now)?;
    let keys = vec![key.verification_method(None, None)];
    let context = VerificationContext::new(&keys, now);
    anyhow::ensure!(
        verify_vc_jwt(&token, &context).is_valid(),
        "the benchmark credential must verify"
    );
    anyhow::ensure!(
        verify_vc_jwt_verdict(&token, &context).is_valid(),
        "the benchmark credential must verify"
    );
    let full = time_verifications(count, || verify_vc_jwt(std::hint::black_box(&token), &context))?;
    let verdict = time_verifications(count, || verify_vc_jwt_verdict(std::hint::black_box(&token), &context))?;
    Ok(json!({
        "benchmark": "verify",
        "format": "vc+jwt (EdDSA, Ed25519, ed25519-dalek verify_strict)",
        "credential_bytes": token.len(),
        "payload": "battery passport (shipped battery profile example as credentialSubject)",
        "verifications": count,
        "threads": 1,
        "verdict_only": verdict,
        "with_claims_read": full,
        "load_average": std::fs::read_to_string("/proc/loadavg").map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default(),
    }))
}

/// Times `count` runs of `verify` (after a warm-up): credentials per second and the per-run
/// quantiles in microseconds.
fn time_verifications(count: u64, verify: impl Fn() -> VerificationReport) -> anyhow::Result<Value> {
    for _ in 0..count.min(200) {
        std::hint::black_box(verify());
    }
    let mut micros = Vec::with_capacity(count as usize);
    let cpu_started = crate::cpu::current_thread_seconds();
    let started = Instant::now();
    for _ in 0..count {
        let one = Instant::now();
        let report = verify();
        micros.push(one.elapsed().as_secs_f64() * 1e6);
        anyhow::ensure!(report.valid, "a verification failed during the benchmark");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = crate::cpu::current_thread_seconds() - cpu_started;
    micros.sort_by(f64::total_cmp);
    let quantile = |fraction: f64| {
        let index = ((micros.len() as f64 - 1.0) * fraction).round() as usize;
        (micros.get(index).copied().unwrap_or(0.0) * 10.0).round() / 10.0
    };
    Ok(json!({
        "credentials_per_second": (count as f64 / elapsed).round(),
        // Per second of this thread's own CPU time: the one-core figure, whatever other programs
        // take from the machine meanwhile (0 where /proc cannot be read).
        "credentials_per_cpu_second": if cpu > 0.0 { (count as f64 / cpu).round() } else { 0.0 },
        "per_verification_us": {"p50": quantile(0.5), "p99": quantile(0.99), "max": quantile(1.0)},
    }))
}
