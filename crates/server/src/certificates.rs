//! The credential of a conformity certificate (適合性証明): the W3C Verifiable Credential 2.0 a
//! certification body signs (`vc+jwt`, through the node's trust services: the organization's
//! current key, an entry in its revocation status list), and the verification status pages show
//! for each certificate.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_model::certificate::{Certificate, CertificateDraft, SignedCertificate};
use junkan_model::principal::Actor;

use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The credential's `type`: a VC 2.0 credential that is a conformity attestation, in the
/// manner of UNTP's Digital Conformity Credential.
pub const CREDENTIAL_TYPES: [&str; 2] = ["VerifiableCredential", "DigitalConformityCredential"];

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("a stored time formats as RFC 3339")
}

/// The unsigned credential of a draft: issuer and `credentialStatus` are added by the signer.
/// `base_url` is the node's, so that the subject's links resolve.
pub fn credential_document(draft: &CertificateDraft, base_url: &str) -> Value {
    let request = &draft.request;
    let base = base_url.trim_end_matches('/');
    let subject = &draft.subject;
    let record_url = format!("{base}/api/v1/{}s/{}", subject.kind.as_str(), subject.id);
    let mut record = json!({
        "type": subject.kind.as_str(),
        "id": subject.id,
        "url": record_url,
        "owner": draft.subject_owner_organization_id.to_string(),
    });
    if let Some(version) = subject.version {
        record["version"] = json!(version);
    }
    let mut credential_subject = json!({
        "id": format!("{base}/api/v1/certificates/{}", draft.id),
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
        "referenceNumber": request.reference_number,
    });
    if let Some(evidence) = &request.evidence {
        credential_subject["evidence"] = json!(evidence);
    }
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": format!("urn:uuid:{}", draft.id),
        "type": CREDENTIAL_TYPES,
        "name": format!("{} / {}", draft.scheme.label_ja, draft.scheme.label_en),
        "validFrom": rfc3339(request.valid_from),
        "validUntil": rfc3339(request.valid_until),
        "credentialSubject": credential_subject,
    })
}

/// Signs a draft's credential as the certifier organization, with a revocation entry in its
/// status list.
pub async fn sign(state: &AppState, actor: &Actor, draft: &CertificateDraft) -> ApiResult<SignedCertificate> {
    let _ = (state, actor, draft);
    Err(ApiError::unavailable())
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
    /// The certificate.
    pub certificate_id: junkan_model::ids::CertificateId,
    /// `valid`, `revoked`, `expired`, `not_yet_valid`, `key_retired`, `invalid` or `not_verified`.
    pub status: String,
    /// Why, when `invalid` or `not_verified`.
    pub reason: Option<String>,
    /// When it was verified.
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
    /// The credential's verification report: every check with its outcome.
    #[schema(value_type = Object)]
    pub report: Option<Value>,
}

/// Verifies a stored certificate's credential at `now`.
pub async fn check_certificate(state: &AppState, certificate: &Certificate, now: OffsetDateTime) -> CertificateCheck {
    let _ = state;
    if certificate.revoked_at.is_some() {
        CertificateCheck::Revoked
    } else if now < certificate.valid_from {
        CertificateCheck::NotYetValid
    } else if now >= certificate.valid_until {
        CertificateCheck::Expired
    } else {
        CertificateCheck::NotVerified("signature verification is not available on this node".to_owned())
    }
}

/// [`check_certificate`] with the credential's report, for the API.
pub async fn verify_certificate(
    state: &AppState,
    certificate: &Certificate,
    now: OffsetDateTime,
) -> CertificateVerification {
    let check = check_certificate(state, certificate, now).await;
    CertificateVerification {
        certificate_id: certificate.id,
        status: check.as_str().to_owned(),
        reason: check.reason().map(str::to_owned),
        verified_at: now,
        report: None,
    }
}
