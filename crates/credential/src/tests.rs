//! Scenario tests across modules: issue, publish, verify, and every bad input of issue 9 that
//! concerns credentials (changed byte, wrong issuer, expired, not yet valid, revoked, retired key,
//! DID document that does not match the key). Keys come from fixed seeds, times are fixed.

use std::collections::HashMap;

use expect_test::expect;
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

use crate::jose;
use crate::*;

pub(crate) const ISSUER: &str = "did:web:node.example:organizations:maker";
pub(crate) const KID: &str = "did:web:node.example:organizations:maker#key-1";
pub(crate) const OTHER_ISSUER: &str = "did:web:node.example:organizations:other";
pub(crate) const OTHER_KID: &str = "did:web:node.example:organizations:other#key-1";
pub(crate) const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);
pub(crate) const SIGNED_AT: OffsetDateTime = datetime!(2026-05-01 09:00 UTC);
const STATUS_URL: &str = "https://node.example/organizations/maker/status/1";

pub(crate) fn issuer_key() -> IssuerKey {
    IssuerKey::from_seed(KID, &[1; 32]).expect("valid kid")
}

pub(crate) fn other_key() -> IssuerKey {
    IssuerKey::from_seed(OTHER_KID, &[2; 32]).expect("valid kid")
}

fn keys() -> Vec<VerificationMethod> {
    vec![
        issuer_key().verification_method(None, None),
        other_key().verification_method(None, None),
    ]
}

pub(crate) fn credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dpp/0.5.0/"],
        "id": "https://node.example/passports/p1/versions/1",
        "type": ["VerifiableCredential", "DigitalProductPassport"],
        "issuer": {"id": ISSUER, "name": "Maker K.K."},
        "validFrom": "2026-04-01T00:00:00Z",
        "validUntil": "2036-04-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://id.gs1.org/01/04912345000019/21/B1",
            "recycledContent": {"share": "0.25", "suppliers": ["Supplier A", "Supplier B"]},
            "carbonFootprint": {"value": "61.2", "unit": "kg CO2e"}
        }
    })
}

fn verify(token: &str) -> VerificationReport {
    let keys = keys();
    verify_vc_jwt(token, &VerificationContext::new(&keys, NOW))
}

fn outcomes(report: &VerificationReport) -> String {
    report
        .checks
        .iter()
        .map(|check| {
            let code = check.failure.as_ref().map(Failure::code).unwrap_or("");
            format!("{} {:?} {code}\n", check.name.as_str(), check.outcome)
        })
        .collect()
}

/// Re-signs a tampered or hand-made payload with `key` (as an attacker holding that key would).
fn sign_raw(header: Value, payload: &Value, key: &IssuerKey) -> String {
    jose::sign_compact(&header, &serde_json::to_vec(payload).expect("json"), key.signing_key())
}

fn header(kid: &str) -> Value {
    json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": kid})
}

#[test]
fn issues_and_verifies_a_credential() {
    let token = issue_vc_jwt(&credential(), &issuer_key(), SIGNED_AT).expect("valid credential");
    let report = verify(&token);
    assert!(report.is_valid(), "{report:#?}");
    let mut json = serde_json::to_value(&report).expect("serializes");
    json["credential"] = json!("…");
    expect![[r#"
        {
          "checks": [
            {
              "code": null,
              "message": "a compact JWS signed with EdDSA, typ vc+jwt",
              "name": "format",
              "outcome": "passed"
            },
            {
              "code": null,
              "message": "a well-formed VC 2.0 credential",
              "name": "shape",
              "outcome": "passed"
            },
            {
              "code": null,
              "message": "did:web:node.example:organizations:maker#key-1 resolved to a verification method of did:web:node.example:organizations:maker",
              "name": "key",
              "outcome": "passed"
            },
            {
              "code": null,
              "message": "the signature verifies with did:web:node.example:organizations:maker#key-1",
              "name": "signature",
              "outcome": "passed"
            },
            {
              "code": null,
              "message": "the key is controlled by the issuer did:web:node.example:organizations:maker",
              "name": "issuer",
              "outcome": "passed"
            },
            {
              "code": null,
              "message": "signed at 2026-05-01T09:00:00Z by a key in service",
              "name": "key_validity",
              "outcome": "passed"
            },
            {
              "code": null,
              "message": "valid from 2026-04-01T00:00:00Z until 2036-04-01T00:00:00Z",
              "name": "validity_period",
              "outcome": "passed"
            },
            {
              "code": null,
              "message": "the credential has no status entry",
              "name": "status",
              "outcome": "passed"
            }
          ],
          "credential": "…",
          "format": "vc+jwt",
          "issuer": "did:web:node.example:organizations:maker",
          "kid": "did:web:node.example:organizations:maker#key-1",
          "valid": true,
          "verified_at": "2026-06-01T00:00:00Z"
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&json).expect("json"));
    let verified = report.credential.expect("payload");
    assert_eq!(verified["iat"], SIGNED_AT.unix_timestamp());
    let mut without_iat = verified.clone();
    without_iat.as_object_mut().expect("object").remove("iat");
    assert_eq!(without_iat, credential(), "the payload is the credential itself");
    let header: Value =
        serde_json::from_slice(&jose::base64url_decode(token.split('.').next().expect("header")).expect("base64"))
            .expect("json");
    assert_eq!(
        header,
        json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": KID})
    );
}

#[test]
fn every_changed_character_is_refused() {
    let token = issue_vc_jwt(&credential(), &issuer_key(), SIGNED_AT).expect("valid credential");
    for (position, original) in token.char_indices() {
        let replacement = if original == 'A' { 'B' } else { 'A' };
        let replacement = if original == '.' { 'x' } else { replacement };
        let mut tampered = token.clone();
        tampered.replace_range(position..position + 1, &replacement.to_string());
        let report = verify(&tampered);
        assert!(!report.is_valid(), "a change at {position} was accepted");
    }
}

#[test]
fn a_changed_payload_fails_the_signature_and_a_changed_signature_too() {
    let token = issue_vc_jwt(&credential(), &issuer_key(), SIGNED_AT).expect("valid credential");
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&jose::base64url_decode(parts[1]).expect("base64")).expect("json");
    payload["credentialSubject"]["recycledContent"]["share"] = json!("0.95");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        jose::base64url_encode(&serde_json::to_vec(&payload).expect("json")),
        parts[2]
    );
    let report = verify(&forged);
    assert_eq!(
        report.failure(CheckName::Signature),
        Some(&Failure::BadSignature { kid: KID.to_owned() })
    );
    let mut signature = jose::base64url_decode(parts[2]).expect("base64");
    signature[10] ^= 1;
    let forged = format!("{}.{}.{}", parts[0], parts[1], jose::base64url_encode(&signature));
    expect![[r#"
        format Passed 
        shape Passed 
        key Passed 
        signature Failed bad_signature
        issuer Passed 
        key_validity Passed 
        validity_period Passed 
        status Skipped not_checked
    "#]]
    .assert_eq(&outcomes(&verify(&forged)));
}

#[test]
fn a_key_of_another_controller_is_a_wrong_issuer() {
    // `other` signs a credential claiming to come from `maker`.
    let mut payload = credential();
    payload["iat"] = json!(SIGNED_AT.unix_timestamp());
    let token = sign_raw(header(OTHER_KID), &payload, &other_key());
    let report = verify(&token);
    assert_eq!(
        report.failure(CheckName::Issuer),
        Some(&Failure::WrongIssuer {
            kid: OTHER_KID.to_owned(),
            controller: OTHER_ISSUER.to_owned(),
            issuer: ISSUER.to_owned(),
        })
    );
    assert_eq!(
        report
            .checks
            .iter()
            .filter(|check| check.outcome != Outcome::Passed)
            .count(),
        1
    );
    // And issuing refuses it up front.
    let error = issue_vc_jwt(&credential(), &other_key(), SIGNED_AT).expect_err("wrong issuer");
    expect![[r#"
        Invalid {
            violations: [
                Violation {
                    path: "/issuer/id",
                    message: "the issuer must be did:web:node.example:organizations:other, the controller of the signing key",
                },
            ],
        }
    "#]]
    .assert_debug_eq(&error);
}

#[test]
fn expired_and_not_yet_valid_are_distinct() {
    let token = issue_vc_jwt(&credential(), &issuer_key(), SIGNED_AT).expect("valid credential");
    let keys = keys();
    let before = verify_vc_jwt(
        &token,
        &VerificationContext::new(&keys, datetime!(2026-03-31 23:59:59 UTC)),
    );
    assert_eq!(
        before.failure(CheckName::ValidityPeriod).map(Failure::code),
        Some("not_yet_valid")
    );
    let after = verify_vc_jwt(
        &token,
        &VerificationContext::new(&keys, datetime!(2036-04-01 00:00:01 UTC)),
    );
    expect![[r#"
        Some(
            Expired {
                valid_until: "2036-04-01T00:00:00Z",
                now: "2036-04-01T00:00:01Z",
            },
        )
    "#]]
    .assert_debug_eq(&after.failure(CheckName::ValidityPeriod));
    let edge = verify_vc_jwt(
        &token,
        &VerificationContext::new(&keys, datetime!(2036-04-01 00:00:00 UTC)),
    );
    assert!(edge.is_valid(), "validUntil itself is still valid");
    // Signed (iat) after the verification time: not plausible.
    let future = issue_vc_jwt(&credential(), &issuer_key(), datetime!(2026-07-01 00:00 UTC)).expect("valid");
    assert_eq!(
        verify(&future).failure(CheckName::ValidityPeriod).map(Failure::code),
        Some("signed_in_future")
    );
}

#[test]
fn a_retired_key_verifies_what_it_signed_before_and_nothing_after() {
    let retired_at = datetime!(2026-05-15 00:00 UTC);
    let keys = vec![issuer_key().verification_method(Some(datetime!(2025-01-01 00:00 UTC)), Some(retired_at))];
    let context = VerificationContext::new(&keys, NOW);
    let before = issue_vc_jwt(&credential(), &issuer_key(), SIGNED_AT).expect("valid");
    let report = verify_vc_jwt(&before, &context);
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(
        report.check(CheckName::KeyValidity).map(|check| check.message.as_str()),
        Some("signed at 2026-05-01T09:00:00Z by a key retired later, at 2026-05-15T00:00:00Z")
    );
    let after = issue_vc_jwt(&credential(), &issuer_key(), datetime!(2026-05-20 00:00 UTC)).expect("valid");
    expect![[r#"
        Some(
            KeyRetired {
                kid: "did:web:node.example:organizations:maker#key-1",
                retired_at: "2026-05-15T00:00:00Z",
                signed_at: "2026-05-20T00:00:00Z",
            },
        )
    "#]]
    .assert_debug_eq(&verify_vc_jwt(&after, &context).failure(CheckName::KeyValidity));
    let exactly = issue_vc_jwt(&credential(), &issuer_key(), retired_at).expect("valid");
    assert!(!verify_vc_jwt(&exactly, &context).is_valid(), "retired at that instant");
    let early = issue_vc_jwt(&credential(), &issuer_key(), datetime!(2024-12-31 00:00 UTC)).expect("valid");
    assert_eq!(
        verify_vc_jwt(&early, &context)
            .failure(CheckName::KeyValidity)
            .map(Failure::code),
        Some("key_not_yet_valid")
    );
    // Without iat (a credential from elsewhere) the signing time is validFrom.
    let mut payload = credential();
    payload["validFrom"] = json!("2026-05-16T00:00:00Z");
    let token = sign_raw(header(KID), &payload, &issuer_key());
    assert_eq!(
        verify_vc_jwt(&token, &context)
            .failure(CheckName::KeyValidity)
            .map(Failure::code),
        Some("key_retired")
    );
}

#[test]
fn unknown_keys_algorithms_and_media_types_are_refused() {
    let mut payload = credential();
    payload["iat"] = json!(SIGNED_AT.unix_timestamp());
    let unknown = sign_raw(
        header("did:web:node.example:organizations:maker#key-9"),
        &payload,
        &issuer_key(),
    );
    expect![[r#"
        format Passed 
        shape Passed 
        key Failed unknown_key
        signature Skipped not_checked
        issuer Skipped not_checked
        key_validity Skipped not_checked
        validity_period Passed 
        status Skipped not_checked
    "#]]
    .assert_eq(&outcomes(&verify(&unknown)));
    let cases = [
        (json!({"alg": "none", "typ": "vc+jwt", "kid": KID}), "algorithm"),
        (json!({"alg": "HS256", "typ": "vc+jwt", "kid": KID}), "algorithm"),
        (json!({"alg": "EdDSA", "typ": "JWT", "kid": KID}), "media_type"),
        (json!({"alg": "EdDSA", "kid": KID}), "media_type"),
        (
            json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": KID, "crit": ["b64"]}),
            "critical_header",
        ),
    ];
    for (header, code) in cases {
        let token = sign_raw(header.clone(), &payload, &issuer_key());
        assert_eq!(
            verify(&token).failure(CheckName::Format).map(Failure::code),
            Some(code),
            "{header}"
        );
    }
    let no_kid = sign_raw(json!({"alg": "EdDSA", "typ": "vc+jwt"}), &payload, &issuer_key());
    assert_eq!(verify(&no_kid).failure(CheckName::Key), Some(&Failure::MissingKid));
    for garbage in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
        assert_eq!(
            verify(garbage).failure(CheckName::Format).map(Failure::code),
            Some("malformed")
        );
    }
}

#[test]
fn shape_problems_are_all_listed() {
    let bad = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", 5],
        "type": ["DigitalProductPassport"],
        "id": "not a url",
        "issuer": {"name": "nobody"},
        "validFrom": "2026-04-01",
        "validUntil": "2020-01-01T00:00:00Z",
        "credentialSubject": [],
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": 7, "statusListCredential": "https://node.example/s"},
        "vc": {}
    });
    let violations: String = validate_credential(&bad)
        .iter()
        .map(|violation| format!("{} {}\n", violation.path, violation.message))
        .collect();
    expect![[r#"
        /@context/0 the first context must be https://www.w3.org/ns/credentials/v2
        /@context/1 a context is a URL or an object
        /type must include VerifiableCredential
        /id must be a URL
        /issuer/id the issuer must be a URL (a DID), as a string or an object's id
        /validFrom must be an RFC 3339 date-time with a time zone offset
        /credentialSubject must be an object or a non-empty array of objects
        /credentialStatus/statusListIndex must be a non-negative integer written as a string
        /vc the JWT claims vc and vp must not be present (VC JOSE COSE)
    "#]]
    .assert_eq(&violations);
    assert!(validate_credential(&credential()).is_empty());
    assert_eq!(validate_credential(&json!([])).len(), 1);
}

fn status_entry(index: u64) -> Value {
    StatusListEntry {
        status_list_credential: STATUS_URL.to_owned(),
        status_list_index: index,
        status_purpose: StatusPurpose::Revocation,
    }
    .to_json()
}

fn status_list_token(list: &StatusList, key: &IssuerKey) -> String {
    let unsigned = status_list_credential(
        STATUS_URL,
        key.controller(),
        StatusPurpose::Revocation,
        list,
        datetime!(2026-05-01 00:00 UTC),
        None,
    );
    issue_vc_jwt(&unsigned, key, datetime!(2026-05-01 00:00 UTC)).expect("valid status list credential")
}

fn verify_with_lists(token: &str, lists: &HashMap<String, String>) -> VerificationReport {
    let keys = keys();
    verify_vc_jwt(token, &VerificationContext::new(&keys, NOW).with_status_lists(lists))
}

#[test]
fn revocation_through_a_bitstring_status_list() {
    let mut with_status = credential();
    with_status["credentialStatus"] = status_entry(94_567);
    let token = issue_vc_jwt(&with_status, &issuer_key(), SIGNED_AT).expect("valid");
    let keys = keys();
    let mut list = StatusList::new();
    let mut lists = HashMap::new();
    lists.insert(STATUS_URL.to_owned(), status_list_token(&list, &issuer_key()));
    let report = verify_with_lists(&token, &lists);
    assert!(report.is_valid(), "{report:#?}");
    assert_eq!(
        report.check(CheckName::Status).map(|check| check.message.as_str()),
        Some("revocation bit 94567 of https://node.example/organizations/maker/status/1 is clear")
    );

    list.set(94_567, true).expect("in range");
    lists.insert(STATUS_URL.to_owned(), status_list_token(&list, &issuer_key()));
    let report = verify_with_lists(&token, &lists);
    expect![[r#"
        Some(
            StatusSet {
                purpose: "revocation",
                status_list: "https://node.example/organizations/maker/status/1",
                index: 94567,
            },
        )
    "#]]
    .assert_debug_eq(&report.failure(CheckName::Status));
    assert_eq!(report.failure(CheckName::Status).map(Failure::code), Some("revoked"));

    // No status list given: the status is unknown, which is not a pass.
    let without = verify_vc_jwt(&token, &VerificationContext::new(&keys, NOW));
    assert_eq!(
        without.failure(CheckName::Status).map(Failure::code),
        Some("status_unavailable")
    );

    // A clear list signed by someone else does not count.
    lists.insert(
        STATUS_URL.to_owned(),
        status_list_token(&StatusList::new(), &other_key()),
    );
    let report = verify_with_lists(&token, &lists);
    assert_eq!(
        report.failure(CheckName::Status).map(Failure::code),
        Some("status_list_invalid")
    );

    // A tampered list (bit cleared by an attacker, signature kept) does not count either.
    let genuine = status_list_token(&list, &issuer_key());
    let parts: Vec<&str> = genuine.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&jose::base64url_decode(parts[1]).expect("base64")).expect("json");
    payload["credentialSubject"]["encodedList"] = json!(StatusList::new().encode());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        jose::base64url_encode(&serde_json::to_vec(&payload).expect("json")),
        parts[2]
    );
    lists.insert(STATUS_URL.to_owned(), tampered);
    let report = verify_with_lists(&token, &lists);
    let status = report.check(CheckName::Status).expect("status check");
    assert_eq!(status.failure.as_ref().map(Failure::code), Some("status_list_invalid"));
    assert!(status.message.contains("signature"), "{}", status.message);

    // An index past the end of the list.
    let mut far = credential();
    far["credentialStatus"] = status_entry(200_000);
    lists.insert(STATUS_URL.to_owned(), genuine);
    let token = issue_vc_jwt(&far, &issuer_key(), SIGNED_AT).expect("valid");
    assert_eq!(
        verify_with_lists(&token, &lists)
            .failure(CheckName::Status)
            .map(Failure::code),
        Some("status_list_invalid")
    );
}

#[test]
fn did_documents_round_trip_and_resolve_keys() {
    let retired = IssuerKey::from_seed(format!("{ISSUER}#key-0"), &[9; 32]).expect("kid");
    let document = DidDocument::new(
        ISSUER,
        vec![
            retired.verification_method(None, Some(datetime!(2026-01-01 00:00 UTC))),
            issuer_key().verification_method(None, None),
        ],
    );
    let json = document.to_json();
    expect![[r#"
        {
          "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://www.w3.org/ns/cid/v1"
          ],
          "assertionMethod": [
            "did:web:node.example:organizations:maker#key-0",
            "did:web:node.example:organizations:maker#key-1"
          ],
          "authentication": [
            "did:web:node.example:organizations:maker#key-1"
          ],
          "id": "did:web:node.example:organizations:maker",
          "verificationMethod": [
            {
              "controller": "did:web:node.example:organizations:maker",
              "id": "did:web:node.example:organizations:maker#key-0",
              "publicKeyJwk": {
                "crv": "Ed25519",
                "kty": "OKP",
                "x": "_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg"
              },
              "revoked": "2026-01-01T00:00:00Z",
              "type": "JsonWebKey"
            },
            {
              "controller": "did:web:node.example:organizations:maker",
              "id": "did:web:node.example:organizations:maker#key-1",
              "publicKeyJwk": {
                "crv": "Ed25519",
                "kty": "OKP",
                "x": "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w"
              },
              "type": "JsonWebKey"
            }
          ]
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&json).expect("json"));
    let parsed = DidDocument::parse(&json, ISSUER).expect("own document parses");
    assert_eq!(parsed, document);
    let token = issue_vc_jwt(&credential(), &issuer_key(), SIGNED_AT).expect("valid");
    assert!(verify_vc_jwt(&token, &VerificationContext::new(&parsed, NOW)).is_valid());
    let documents = vec![parsed.clone()];
    assert!(verify_vc_jwt(&token, &VerificationContext::new(&documents, NOW)).is_valid());
    // The retired key still verifies what it signed before its retirement, not after.
    let old = issue_vc_jwt(&credential(), &retired, datetime!(2025-12-01 00:00 UTC)).expect("valid");
    assert!(verify_vc_jwt(&old, &VerificationContext::new(&parsed, NOW)).is_valid());
    let late = issue_vc_jwt(&credential(), &retired, SIGNED_AT).expect("valid");
    assert_eq!(
        verify_vc_jwt(&late, &VerificationContext::new(&parsed, NOW))
            .failure(CheckName::KeyValidity)
            .map(Failure::code),
        Some("key_retired")
    );
    let jwks = parsed.jwks();
    assert_eq!(jwks["keys"][1]["kid"], KID);
    assert_eq!(jwks["keys"][1]["alg"], "EdDSA");
    // Relative ids are resolved against the document's DID.
    let mut relative = json.clone();
    relative["verificationMethod"][1]["id"] = json!("#key-1");
    relative["assertionMethod"] = json!(["#key-1"]);
    assert_eq!(
        DidDocument::parse(&relative, ISSUER)
            .expect("relative ids")
            .assertion_methods,
        vec![KID.to_owned()]
    );
}

#[test]
fn a_did_document_that_does_not_match_the_key_is_refused() {
    let token = issue_vc_jwt(&credential(), &issuer_key(), SIGNED_AT).expect("valid");
    // The published document lists another public key under the kid that signed.
    let impostor = DidDocument::new(
        ISSUER,
        vec![IssuerKey::from_seed(KID, &[3; 32])
            .expect("kid")
            .verification_method(None, None)],
    );
    let parsed = DidDocument::parse(&impostor.to_json(), ISSUER).expect("well formed");
    let report = verify_vc_jwt(&token, &VerificationContext::new(&parsed, NOW));
    assert_eq!(
        report.failure(CheckName::Signature).map(Failure::code),
        Some("bad_signature")
    );
    // A document for another DID.
    let mine = DidDocument::new(ISSUER, vec![issuer_key().verification_method(None, None)]).to_json();
    assert_eq!(
        DidDocument::parse(&mine, OTHER_ISSUER),
        Err(DidError::WrongId {
            expected: OTHER_ISSUER.to_owned(),
            found: ISSUER.to_owned()
        })
    );
    // Keys of another DID, a private key, a kid naming another key, a broken x, an unknown
    // reference and a bad revoked time are all listed.
    let mut broken = mine.clone();
    broken["verificationMethod"] = json!([
        {"id": "did:web:evil.example#key-1", "type": "JsonWebKey", "controller": ISSUER, "publicKeyJwk": mine["verificationMethod"][0]["publicKeyJwk"]},
        {"id": "#key-2", "type": "JsonWebKey", "controller": ISSUER, "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "secret"}},
        {"id": "#key-3", "type": "Ed25519VerificationKey2018", "controller": OTHER_ISSUER, "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": mine["verificationMethod"][0]["publicKeyJwk"]["x"], "kid": "key-9"}, "revoked": "yesterday"}
    ]);
    broken["assertionMethod"] = json!(["#key-5"]);
    let Err(DidError::Invalid { violations }) = DidDocument::parse(&broken, ISSUER) else {
        panic!("a broken document must be refused");
    };
    let listed: String = violations
        .iter()
        .map(|violation| format!("{} {}\n", violation.path, violation.message))
        .collect();
    expect![[r#"
        /verificationMethod/0/id did:web:evil.example#key-1 is not a DID URL of did:web:node.example:organizations:maker
        /verificationMethod/1/publicKeyJwk the JWK holds a private key (d); publish only the public key
        /verificationMethod/2/type must be JsonWebKey
        /verificationMethod/2/controller must be did:web:node.example:organizations:maker
        /verificationMethod/2/publicKeyJwk/kid must name the method did:web:node.example:organizations:maker#key-3
        /verificationMethod/2/revoked must be an RFC 3339 date-time
        /assertionMethod/0 did:web:node.example:organizations:maker#key-5 is not a verification method of the document
        /authentication/0 did:web:node.example:organizations:maker#key-1 is not a verification method of the document
    "#]]
    .assert_eq(&listed);
    // A key listed but not as an assertion method may not issue.
    let mut not_assertion = mine;
    not_assertion["assertionMethod"] = json!([]);
    let parsed = DidDocument::parse(&not_assertion, ISSUER).expect("well formed");
    let report = verify_vc_jwt(&token, &VerificationContext::new(&parsed, NOW));
    expect![[r#"
        Some(
            UnknownKey {
                kid: "did:web:node.example:organizations:maker#key-1",
                reason: "did:web:node.example:organizations:maker#key-1 is not an assertion method of its DID document",
            },
        )
    "#]]
    .assert_debug_eq(&report.failure(CheckName::Key));
}

#[test]
fn did_web_maps_to_urls() {
    let did = did_web("node.example:8443", &["organizations", "abc"]);
    assert_eq!(did, "did:web:node.example%3A8443:organizations:abc");
    assert_eq!(
        did_web_url(&did, UrlScheme::Https).as_deref(),
        Ok("https://node.example:8443/organizations/abc/did.json")
    );
    assert_eq!(
        did_web_url("did:web:127.0.0.1%3A3000", UrlScheme::Http).as_deref(),
        Ok("http://127.0.0.1:3000/.well-known/did.json")
    );
    for bad in [
        "did:key:z6Mk",
        "did:web:",
        "did:web:a%3Ab",
        "did:web:host::x",
        "did:web:ho/st",
        "did:web:host:a%2Fb",
    ] {
        assert!(did_web_url(bad, UrlScheme::Https).is_err(), "{bad}");
    }
}
