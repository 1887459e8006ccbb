//! Conformity certificates (適合性証明, issue 9): certification bodies issue signed certificates
//! about another organization's passport, footprint or facility, and revoke them; schemes are
//! data. Every decision is the store's (`Store::prepare_certificate` and friends); this module
//! signs the credential (`crate::certificates::sign`) between the check and the write.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use junkan_model::certificate::{
    Certificate, CertificateFilter, CertificateRevocation, CertificateScheme, NewCertificate,
};
use junkan_model::ids::OrganizationId;
use junkan_model::principal::Actor;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(CertificateList, Certificate);

/// Lists the certification schemes (認証制度) certificates can name, with their labels.
#[utoipa::path(get, path = "/api/v1/certificate-schemes", tag = "certificates",
    responses((status = 200, description = "Every scheme, by code", body = Vec<CertificateScheme>)))]
pub async fn list_certificate_schemes(State(state): State<AppState>) -> ApiResult<Json<Vec<CertificateScheme>>> {
    Ok(Json(state.store.list_certificate_schemes().await?))
}

/// Adds a certification scheme (node administrators).
#[utoipa::path(post, path = "/api/v1/certificate-schemes", tag = "certificates", request_body = CertificateScheme,
    security(("bearer" = [])),
    responses((status = 201, description = "Added", body = CertificateScheme),
              (status = 409, description = "A scheme with this code exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_certificate_scheme(
    State(state): State<AppState>,
    caller: Caller,
    Valid(scheme): Valid<CertificateScheme>,
) -> ApiResult<(StatusCode, Json<CertificateScheme>)> {
    let actor = caller.signed_in()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_certificate_scheme(actor, scheme).await?),
    ))
}

/// Issues a conformity certificate as the caller's organization (認証機関 only): checked by the
/// store, signed as a `vc+jwt` by the organization's key with an entry in its status list, then
/// stored. Shared by the API, the web form and the demo.
pub async fn issue(state: &AppState, actor: &Actor, new: NewCertificate) -> ApiResult<Certificate> {
    let draft = state.store.prepare_certificate(actor, new).await?;
    let signed = crate::certificates::sign(state, actor, &draft).await?;
    let certificate = state.store.create_certificate(actor, draft, signed).await?;
    certificate_written(state, &certificate);
    Ok(certificate)
}

/// Public passport pages show their certificates: the cached views of a certified passport are
/// dropped (all of them: the passport's identifier is not at hand, and certificates are rare).
pub fn certificate_written(state: &AppState, certificate: &Certificate) {
    if certificate.subject.kind == junkan_model::certificate::SubjectKind::Passport {
        state.resolver.views.invalidate_all();
    }
}

/// Issues a conformity certificate about another organization's passport, footprint or
/// facility (organizations with the certifier role). A subject the caller may not read is 404.
#[utoipa::path(post, path = "/api/v1/certificates", tag = "certificates", request_body = NewCertificate,
    security(("bearer" = [])),
    responses((status = 201, description = "Issued: the certificate with its signed credential", body = Certificate),
              (status = 403, description = "Not a certification body", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such subject, or not readable", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid: every problem with its pointer", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewCertificate>,
) -> ApiResult<(StatusCode, Json<Certificate>)> {
    let actor = caller.signed_in()?;
    Ok((StatusCode::CREATED, Json(issue(&state, actor, new).await?)))
}

/// Lists the certificates the caller may read: the certifier's, those about the caller's
/// records, and those about records the caller may read.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates", params(
        ("subject_kind" = Option<String>, Query, description = "passport, footprint or facility (with subject_id)"),
        ("subject_id" = Option<String>, Query, description = "Only certificates about this record (with subject_kind)"),
        ("certifier" = Option<String>, Query, description = "Only certificates of this certification body (organization id)"),
        ("scheme" = Option<String>, Query, description = "Only certificates of this scheme"),
        ("subject_owner" = Option<String>, Query, description = "Only certificates about records of this organization"),
        ("limit" = Option<u32>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    responses((status = 200, description = "Certificates", body = CertificateList)))]
pub async fn list_certificates(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let subject_kind = query.parsed("subject_kind", "passport, footprint or facility");
    let subject_id = query.text("subject_id");
    let certifier: Option<OrganizationId> = query.parsed("certifier", "an organization id");
    let scheme = query.text("scheme");
    let subject_owner: Option<OrganizationId> = query.parsed("subject_owner", "an organization id");
    let page = query.page();
    query.finish()?;
    let subject = match (subject_kind, subject_id) {
        (Some(kind), Some(id)) => Some((kind, id)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ApiError::invalid(vec![junkan_model::Violation::new(
                "?subject_id",
                "subject_kind and subject_id go together",
            )]))
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid(vec![junkan_model::Violation::new(
                "?subject_kind",
                "subject_kind and subject_id go together",
            )]))
        }
    };
    let filter = CertificateFilter {
        subject,
        certifier,
        scheme,
        subject_owner,
    };
    Ok(paged(
        &uri,
        state.store.list_certificates(&caller.actor, &filter, &page).await?,
    ))
}

/// Reads a certificate with its signed credential.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates", params(("id" = String, Path, description = "Certificate id")),
    responses((status = 200, description = "The certificate", body = Certificate),
              (status = 404, description = "No such certificate, or not readable", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Certificate>> {
    Ok(Json(
        state
            .store
            .get_certificate(&caller.actor, path_id(&id, "certificate")?)
            .await?,
    ))
}

/// The certificate's credential alone, as `application/vc+jwt`: the file `junkan verify` checks.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/credential", tag = "certificates", params(("id" = String, Path, description = "Certificate id")),
    responses((status = 200, description = "The vc+jwt (compact JWS)", content_type = "application/vc+jwt", body = String),
              (status = 404, description = "No such certificate, or not readable", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_certificate_credential(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let certificate = state
        .store
        .get_certificate(&caller.actor, path_id(&id, "certificate")?)
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/vc+jwt")], certificate.credential).into_response())
}

/// Revokes a certificate (its certification body), with the reason; the bit of its credential in
/// the certifier's status list is set.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/revoke", tag = "certificates", params(("id" = String, Path, description = "Certificate id")),
    request_body = CertificateRevocation, security(("bearer" = [])),
    responses((status = 200, description = "Revoked", body = Certificate),
              (status = 403, description = "Not the certification body", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already revoked", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn revoke_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(revocation): Valid<CertificateRevocation>,
) -> ApiResult<Json<Certificate>> {
    let actor = caller.signed_in()?;
    let id = path_id(&id, "certificate")?;
    Ok(Json(revoke(&state, actor, id, revocation).await?))
}

/// Revokes a certificate and sets its status bit; shared by the API and the web page.
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    id: junkan_model::ids::CertificateId,
    revocation: CertificateRevocation,
) -> ApiResult<Certificate> {
    let certificate = state.store.revoke_certificate(actor, id, revocation).await?;
    certificate_written(state, &certificate);
    Ok(certificate)
}

/// The node's verification of a certificate now: the credential's signature, issuer key, validity
/// period, key retirement and status-list bit, the issuer's certifier role, and that it is the
/// credential stored for the certificate.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/verification", tag = "certificates", params(("id" = String, Path, description = "Certificate id")),
    responses((status = 200, description = "The outcome with every check", body = crate::certificates::CertificateVerification),
              (status = 404, description = "No such certificate, or not readable", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_certificate_verification(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::certificates::CertificateVerification>> {
    let certificate = state
        .store
        .get_certificate(&caller.actor, path_id(&id, "certificate")?)
        .await?;
    Ok(Json(
        crate::certificates::verify_certificate(&state, &certificate).await,
    ))
}
