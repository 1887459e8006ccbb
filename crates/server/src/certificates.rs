//! The credential of a conformity certificate (適合性証明): the W3C Verifiable Credential 2.0 a
//! certification body signs (`vc+jwt`, through the node's trust services, `crate::trust::issue`:
//! the organization's current key, an entry in its revocation status list), and its
//! verification: the trust services' checks (`handlers::credentials::verify`: signature, issuer
//! key, key retirement, validity period, status list) plus what makes it a certificate — the
//! issuer is a certification body of this node, and the credential is the one stored for the
//! certificate it names.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_model::access::RecordKind;
use junkan_model::certificate::{Certificate, CertificateDraft, SignedCertificate};
use junkan_model::ids::CertificateId;
use junkan_model::organization::CycleRole;
use junkan_model::principal::Actor;

use crate::error::ApiResult;
use crate::AppState;

/// The credential's type besides `VerifiableCredential`: a conformity attestation, in the manner
/// of UNTP's Digital Conformity Credential.
pub const CREDENTIAL_TYPE: &str = "DigitalConformityCredential";

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("a stored time formats as RFC 3339")
}

/// The `credentialSubject` of a draft's credential: the attestation (scheme, assessed record,
/// claim, validity, reference number, evidence). `base_url` is the node's, so that its links
/// resolve; the subject's `id` names the certificate.
pub fn credential_subject(draft: &CertificateDraft, base_url: &str) -> Value {
    let request = &draft.request;
    let base = base_url.trim_end_matches('/');
    let subject = &draft.subject;
    let mut record = json!({
        "type": subject.kind.as_str(),
        "id": subject.id,
        "url": format!("{base}/api/v1/{}s/{}", subject.kind.as_str(), subject.id),
        "owner": draft.subject_owner_organization_id.to_string(),
    });
    if let Some(version) = subject.version {
        record["version"] = json!(version);
    }
    let mut credential_subject = json!({
        "id": certificate_url(base, draft.id),
        "type": "ConformityAttestation",
        "scheme": {
            "code": draft.scheme.code,
            "name": [
                {"@value": draft.scheme.label_ja, "@language": "ja"},
                {"@value": draft.scheme.label_en, "@language": "en"},
            ],
        },
        "assessedRecord": record,
        "claim": request.claim,
        "validityPeriod": {"from": rfc3339(request.valid_from), "until": rfc3339(request.valid_until)},
        "referenceNumber": request.reference_number,
    });
    if let Some(evidence) = &request.evidence {
        credential_subject["evidence"] = json!(evidence);
    }
    credential_subject
}

/// The URL of a certificate on this node (its credential's `credentialSubject.id`).
pub fn certificate_url(base_url: &str, id: CertificateId) -> String {
    format!("{}/api/v1/certificates/{id}", base_url.trim_end_matches('/'))
}

/// Signs a draft's credential as the certifier organization, with a revocation entry in its
/// status list (an audited, logged write of the trust services).
pub async fn sign(state: &AppState, actor: &Actor, draft: &CertificateDraft) -> ApiResult<SignedCertificate> {
    let issued = crate::trust::issue(
        state,
        actor,
        draft.certifier_organization_id,
        crate::trust::Issue {
            record_kind: RecordKind::Certificate.as_str().to_owned(),
            record_id: draft.id.to_string(),
            record_version: None,
            types: vec![CREDENTIAL_TYPE.to_owned()],
            subject: credential_subject(draft, &state.settings.issuer),
            valid_until: Some(draft.request.valid_until),
            keep_signed: false,
        },
    )
    .await?;
    Ok(SignedCertificate {
        credential: issued.jwt,
        credential_id: issued.entry.id,
    })
}

/// What a certificate's verification found, as pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateCheck {
    /// Signature, issuer key, validity period and status all check out.
    Valid,
    /// The certifier revoked it (its status bit is set).
    Revoked,
    /// Its validity period has ended.
    Expired,
    /// Its validity period has not begun.
    NotYetValid,
    /// It was signed with a key after that key's retirement.
    KeyRetired,
    /// The credential does not verify (changed, wrong issuer, ...): the failed check's reason.
    Invalid(String),
    /// It could not be verified here, and why.
    NotVerified(String),
}

impl CertificateCheck {
    /// The stable name of the outcome (`valid`, `revoked`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            CertificateCheck::Valid => "valid",
            CertificateCheck::Revoked => "revoked",
            CertificateCheck::Expired => "expired",
            CertificateCheck::NotYetValid => "not_yet_valid",
            CertificateCheck::KeyRetired => "key_retired",
            CertificateCheck::Invalid(_) => "invalid",
            CertificateCheck::NotVerified(_) => "not_verified",
        }
    }

    /// Why, for `invalid` and `not_verified`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            CertificateCheck::Invalid(reason) | CertificateCheck::NotVerified(reason) => Some(reason),
            _ => None,
        }
    }
}

/// The node's verification of a certificate, as `GET /api/v1/certificates/{id}/verification`
/// answers it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CertificateVerification {
    /// The certificate, when the credential names one of this node.
    pub certificate_id: Option<CertificateId>,
    /// `valid`, `revoked`, `expired`, `not_yet_valid`, `key_retired`, `invalid` or `not_verified`.
    pub status: String,
    /// Why, when `invalid` or `not_verified`.
    pub reason: Option<String>,
    /// When it was verified.
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
    /// The trust services' report of the credential: every check with its outcome.
    #[schema(value_type = Option<Object>)]
    pub report: Option<Value>,
}

/// Verifies a stored certificate's credential at the store's time (pages).
pub async fn check_certificate(state: &AppState, certificate: &Certificate) -> CertificateCheck {
    let verification = verify_certificate(state, certificate).await;
    match verification.status.as_str() {
        "valid" => CertificateCheck::Valid,
        "revoked" => CertificateCheck::Revoked,
        "expired" => CertificateCheck::Expired,
        "not_yet_valid" => CertificateCheck::NotYetValid,
        "key_retired" => CertificateCheck::KeyRetired,
        "invalid" => CertificateCheck::Invalid(verification.reason.unwrap_or_default()),
        _ => CertificateCheck::NotVerified(verification.reason.unwrap_or_default()),
    }
}

/// Verifies a stored certificate: its credential as [`verify_certificate_credential`] does,
/// with the certificate already in hand.
pub async fn verify_certificate(state: &AppState, certificate: &Certificate) -> CertificateVerification {
    verify_with(state, &certificate.credential, Some(certificate)).await
}

/// Verifies a credential presented as a conformity certificate of this node, for `actor`: the
/// trust services' checks, then that its issuer is a certification body and that it is the
/// credential stored for the certificate it names (which `actor` must be able to read).
pub async fn verify_certificate_credential(state: &AppState, actor: &Actor, jwt: &str) -> CertificateVerification {
    let named = named_certificate(state, jwt);
    let certificate = match named {
        Some(id) => state.store.get_certificate(actor, id).await.ok(),
        None => None,
    };
    verify_with(state, jwt, certificate.as_ref()).await
}

/// The certificate id a credential's subject names, if it is a URL of this node's certificates.
fn named_certificate(state: &AppState, jwt: &str) -> Option<CertificateId> {
    let payload = jwt.split('~').next()?.split('.').nth(1)?;
    let bytes = junkan_credential::jose::base64url_decode(payload).ok()?;
    let credential: Value = serde_json::from_slice(&bytes).ok()?;
    let id = credential["credentialSubject"]["id"].as_str()?;
    let prefix = format!("{}/api/v1/certificates/", state.settings.issuer.trim_end_matches('/'));
    id.strip_prefix(&prefix)?.parse().ok()
}

fn outcome(
    certificate: Option<&Certificate>,
    check: CertificateCheck,
    now: OffsetDateTime,
    report: Option<Value>,
) -> CertificateVerification {
    CertificateVerification {
        certificate_id: certificate.map(|certificate| certificate.id),
        status: check.as_str().to_owned(),
        reason: check.reason().map(str::to_owned),
        verified_at: now,
        report,
    }
}

async fn verify_with(state: &AppState, jwt: &str, certificate: Option<&Certificate>) -> CertificateVerification {
    let now = state.store.now();
    // The trust services verify as anyone would: no record is read for a certificate.
    let verification = match crate::handlers::credentials::verify(state, Some(&Actor::anonymous()), jwt).await {
        Ok(verification) => verification,
        Err(error) => {
            return outcome(
                certificate,
                CertificateCheck::NotVerified(format!("the credential could not be read: {}", error.status())),
                now,
                None,
            )
        }
    };
    let report = serde_json::to_value(&verification).ok();
    let check = match failed_check(&verification) {
        Some(check) => check,
        None => certificate_checks(state, &verification, jwt, certificate, now).await,
    };
    outcome(certificate, check, now, report)
}

/// The status a page shows for a credential the trust services did not fully verify; `None`
/// when every check passed.
pub fn failed_check(verification: &crate::handlers::credentials::Verification) -> Option<CertificateCheck> {
    let failed = verification.checks.iter().find(|check| check.outcome == "failed");
    match failed {
        Some(check) => Some(match check.code.as_deref() {
            Some("revoked") => CertificateCheck::Revoked,
            Some("expired") => CertificateCheck::Expired,
            Some("not_yet_valid") => CertificateCheck::NotYetValid,
            Some("key_retired") => CertificateCheck::KeyRetired,
            Some("status_unavailable") | Some("unknown_key") => CertificateCheck::NotVerified(check.message.clone()),
            _ => CertificateCheck::Invalid(format!("{}: {}", check.name, check.message)),
        }),
        None if !verification.verified => Some(CertificateCheck::NotVerified(
            "not every check of the credential could be made".to_owned(),
        )),
        None => None,
    }
}

/// The verification status of a passport version's own signature, for a reader who has just
/// read `passport` (at its `access_level`): the credential the owner signed and the node kept
/// when the version was written (`handlers::credentials::sign_written`), checked by the trust
/// services (signature, issuer key, key retirement, validity, revocation), issued by the
/// owner, about this version, and stating data that, narrowed to the reader's view with the
/// profile's access rights, is exactly the data the reader sees.
pub async fn passport_signature(
    state: &AppState,
    passport: &junkan_model::passport::Passport,
    profile: &junkan_passport::CompiledProfile,
) -> CertificateCheck {
    let kept = state
        .store
        .kept_credential("passport", &passport.id.to_string(), Some(passport.version))
        .await;
    let jwt = match kept {
        Ok(Some(entry)) => entry.credential.unwrap_or_default(),
        Ok(None) => return CertificateCheck::NotVerified("this version was not signed when it was written".to_owned()),
        Err(error) => return CertificateCheck::NotVerified(format!("its credential could not be read: {error}")),
    };
    let verification = match crate::handlers::credentials::verify(state, None, &jwt).await {
        Ok(verification) => verification,
        Err(error) => {
            return CertificateCheck::NotVerified(format!("the credential could not be read: {}", error.status()))
        }
    };
    if let Some(check) = failed_check(&verification) {
        return check;
    }
    let owner = crate::trust::organization_did(state, passport.owner_organization_id);
    if verification.issuer.as_deref() != Some(owner.as_str()) {
        return CertificateCheck::Invalid(format!(
            "issuer: the passport belongs to {owner}, the credential was issued by {}",
            verification.issuer.as_deref().unwrap_or("nobody")
        ));
    }
    let subject = verification
        .credential
        .as_ref()
        .map(|credential| &credential["credentialSubject"]);
    let Some(subject) = subject else {
        return CertificateCheck::NotVerified("the credential has no subject".to_owned());
    };
    let about = subject["recordKind"] == "passport"
        && subject["recordId"] == passport.id.to_string().as_str()
        && subject["recordVersion"] == passport.version;
    if !about {
        return CertificateCheck::Invalid(format!(
            "record: the credential is not about version {} of this passport",
            passport.version
        ));
    }
    let signed = profile.view(&subject["content"]["data"], passport.access_level).data;
    if signed != passport.data {
        return CertificateCheck::Invalid(
            "record: the data shown is not the data the owner signed for this version".to_owned(),
        );
    }
    CertificateCheck::Valid
}

/// What makes a verified credential a valid certificate of this node.
async fn certificate_checks(
    state: &AppState,
    verification: &crate::handlers::credentials::Verification,
    jwt: &str,
    certificate: Option<&Certificate>,
    now: OffsetDateTime,
) -> CertificateCheck {
    let Some(certificate) = certificate else {
        return CertificateCheck::Invalid(
            "the credential names no conformity certificate of this node that you may read".to_owned(),
        );
    };
    let certifier_did = crate::trust::organization_did(state, certificate.certifier_organization_id);
    if verification.issuer.as_deref() != Some(certifier_did.as_str()) {
        return CertificateCheck::Invalid(format!(
            "issuer: the certificate was issued by {certifier_did}, the credential by {}",
            verification.issuer.as_deref().unwrap_or("nobody")
        ));
    }
    if jwt != certificate.credential {
        return CertificateCheck::Invalid(
            "credential: it is not the credential stored for the certificate it names".to_owned(),
        );
    }
    match state
        .store
        .get_organization(certificate.certifier_organization_id)
        .await
    {
        Ok(organization) if organization.roles.contains(&CycleRole::Certifier) => {}
        Ok(_) => {
            return CertificateCheck::Invalid(
                "issuer: the issuing organization no longer holds the certifier role (認証機関)".to_owned(),
            )
        }
        Err(_) => return CertificateCheck::NotVerified("the issuing organization could not be read".to_owned()),
    }
    if now < certificate.valid_from {
        return CertificateCheck::NotYetValid;
    }
    CertificateCheck::Valid
}
