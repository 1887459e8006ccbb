//! The GS1 EPCIS 2.0 REST binding: capture (documents in JSON-LD or XML), capture jobs, single
//! events and queries. Errors take the binding's shape (`epcisException:...`), every response
//! carries the GS1 version headers, and every read goes through the store's access rule.

#![expect(
    clippy::result_large_err,
    reason = "the error path carries the finished response, built once per failed request"
)]

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use junkan_epcis::capture::events_of;
use junkan_epcis::output::{
    company_prefixes_in, query_document_xml, translate_identifiers, CbvFormat, EpcFormat, XmlEvent,
};
use junkan_epcis::xml::EPCIS_CONTEXT;
use junkan_epcis::{prepare_document_owned, Syntax};
use junkan_model::event::{CaptureErrorBehaviour, CaptureJob, StoredEvent};
use junkan_model::facility::Visibility;
use junkan_model::organization::OrganizationFilter;
use junkan_model::page::{PageRequest, MAX_PAGE_SIZE};
use junkan_model::Violation;
use junkan_store::NewCapture;

use crate::error::ApiError;
use crate::extract::{parse_json, Caller};
use crate::handlers::path_id;
use crate::AppState;

/// EPCIS version this repository speaks.
pub const EPCIS_VERSION: &str = "2.0.0";
/// CBV version this repository speaks.
pub const CBV_VERSION: &str = "2.0.0";
/// Most events one capture may carry (GS1-EPCIS-Capture-Limit).
pub const CAPTURE_LIMIT: usize = 10_000;
/// Default page size of event queries (the binding's default).
const DEFAULT_PER_PAGE: u32 = 30;

type EpcisResult = Result<Response, Response>;

/// A request body read under the capture size limit; an oversize body is refused before it is
/// read, in the binding's error shape with the limit named.
pub struct CaptureBody(Bytes);

impl axum::extract::FromRequest<AppState> for CaptureBody {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<CaptureBody, Response> {
        Bytes::from_request(request, state).await.map(CaptureBody).map_err(|rejection| {
            let error = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::epcis(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "CapturePayloadTooLargeException",
                    "Capture payload too large",
                    format!(
                        "the body exceeds the capture file size limit of {} bytes (GS1-EPCIS-Capture-File-Size-Limit); split the document",
                        state.settings.body_limit
                    ),
                    Vec::new(),
                )
            } else {
                ApiError::malformed(rejection.body_text())
            };
            fail(state, error)
        })
    }
}

/// Adds the GS1 headers every EPCIS response carries.
pub(crate) fn gs1_headers(mut response: Response, state: &AppState) -> Response {
    let headers = response.headers_mut();
    headers.insert("gs1-epcis-version", HeaderValue::from_static(EPCIS_VERSION));
    headers.insert("gs1-cbv-version", HeaderValue::from_static(CBV_VERSION));
    headers.insert("gs1-epcis-capture-limit", HeaderValue::from(CAPTURE_LIMIT));
    headers.insert(
        "gs1-epcis-capture-file-size-limit",
        HeaderValue::from(state.settings.body_limit),
    );
    headers.insert("gs1-extensions", HeaderValue::from_static(""));
    response
}

pub(crate) fn fail(state: &AppState, error: ApiError) -> Response {
    gs1_headers(error.into_epcis().into_response(), state)
}

fn problems(state: &AppState, problems: Vec<junkan_epcis::Problem>) -> Response {
    let violations: Vec<Violation> = problems
        .into_iter()
        .map(|problem| Violation::new(problem.path, problem.message))
        .collect();
    let detail = match violations.len() {
        1 => format!("{}: {}", violations[0].path, violations[0].message),
        count => format!("the document has {count} problems; see errors"),
    };
    gs1_headers(
        ApiError::epcis(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "Invalid EPCIS document",
            detail,
            violations,
        )
        .into_response(),
        state,
    )
}

/// Refuses requests for an EPCIS or CBV version this repository does not speak.
fn check_versions(headers: &HeaderMap) -> Result<(), ApiError> {
    for (name, supported) in [("gs1-epcis-version", EPCIS_VERSION), ("gs1-cbv-version", CBV_VERSION)] {
        if let Some(asked) = headers.get(name).and_then(|value| value.to_str().ok()) {
            if !asked.trim().starts_with("2.") {
                return Err(ApiError::epcis(
                    StatusCode::NOT_ACCEPTABLE,
                    "NotAcceptableException",
                    "Unsupported version",
                    format!("{name} {asked} is not supported; this repository speaks {supported}"),
                    Vec::new(),
                ));
            }
        }
    }
    Ok(())
}

/// Reads a JSON-LD or XML body into the JSON-LD form.
fn read_document(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(Value, Syntax), Response> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media_type == "application/json" || media_type == "application/ld+json" || media_type.ends_with("+json") {
        parse_json(body)
            .map(|value| (value, Syntax::Json))
            .map_err(|error| fail(state, error))
    } else if media_type == "application/xml" || media_type == "text/xml" || media_type.ends_with("+xml") {
        let text = std::str::from_utf8(body).map_err(|_| fail(state, ApiError::malformed("the XML is not UTF-8")))?;
        junkan_epcis::document_from_xml(text)
            .map(|value| (value, Syntax::Xml))
            .map_err(|found| problems(state, found))
    } else {
        Err(fail(
            state,
            ApiError::unsupported_media_type("application/json, application/ld+json or application/xml"),
        ))
    }
}

fn behaviour(headers: &HeaderMap) -> Result<CaptureErrorBehaviour, ApiError> {
    match headers
        .get("gs1-capture-error-behaviour")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
    {
        None | Some("rollback") => Ok(CaptureErrorBehaviour::Rollback),
        Some("proceed") => Ok(CaptureErrorBehaviour::Proceed),
        Some(other) => Err(ApiError::epcis(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "Invalid header",
            format!("GS1-Capture-Error-Behaviour {other:?} is neither rollback nor proceed"),
            vec![Violation::new(
                "GS1-Capture-Error-Behaviour",
                "must be rollback or proceed",
            )],
        )),
    }
}

/// Validates, prepares and stores a document; the job tells how it went.
/// Returns the job and the eventIDs of the document's events.
async fn capture_document(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &[u8],
    single_event: bool,
) -> Result<(CaptureJob, Vec<String>), Response> {
    let actor = caller.signed_in().map_err(|error| fail(state, error))?;
    check_versions(headers).map_err(|error| fail(state, error))?;
    let behaviour = behaviour(headers).map_err(|error| fail(state, error))?;
    let (document, syntax) = read_document(state, headers, body)?;
    let is_event = document
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("Event"));
    if single_event && !is_event {
        return Err(fail(
            state,
            ApiError::malformed("POST /epcis/events takes one event; send documents to /epcis/capture"),
        ));
    }
    let pointers: Vec<String> = events_of(&document).into_iter().map(|(pointer, _)| pointer).collect();
    if pointers.len() > CAPTURE_LIMIT {
        return Err(fail(
            state,
            ApiError::epcis(
                StatusCode::PAYLOAD_TOO_LARGE,
                "CapturePayloadTooLargeException",
                "Too many events",
                format!(
                    "the document has {} events; the capture limit is {CAPTURE_LIMIT} (GS1-EPCIS-Capture-Limit)",
                    pointers.len()
                ),
                Vec::new(),
            ),
        ));
    }
    if pointers.is_empty() {
        return Err(problems(
            state,
            vec![junkan_epcis::Problem {
                path: "/epcisBody/eventList".to_owned(),
                message: "the document has no events".to_owned(),
            }],
        ));
    }
    // Preparation (schema check, hashes) is CPU work spread over every core: off the async workers.
    let prepared = tokio::task::spawn_blocking(move || prepare_document_owned(document, syntax))
        .await
        .map_err(|error| fail(state, ApiError::internal(&error)))?;
    let prepared = prepared.map_err(|found| problems(state, found))?;
    let event_ids: Vec<String> = prepared.iter().map(|event| event.event_id.clone()).collect();
    let capture = NewCapture {
        behaviour,
        events: pointers.into_iter().zip(prepared).collect(),
        errors: Vec::new(),
        visibility: Visibility::Restricted,
    };
    let job = state
        .store
        .capture_events(actor, capture)
        .await
        .map_err(|error| fail(state, error.into()))?;
    if job.captured_count > 0 {
        state.captured.send_modify(|generation| *generation += 1);
    }
    // The capture is stored; its signature follows in a transaction of its own (a crash in
    // between leaves a stored, logged capture without a credential: docs/trust.md).
    crate::trust::sign_capture(state, actor, &job)
        .await
        .map_err(|error| fail(state, error))?;
    Ok((job, event_ids))
}

pub(crate) fn flatten(result: EpcisResult) -> Response {
    result.unwrap_or_else(|response| response)
}

/// Captures an EPCISDocument or EPCISQueryDocument (JSON-LD or XML). The document is validated in
/// full first: an invalid one is refused with 400 and every problem; a valid one is stored in one
/// transaction, and the job at `Location` tells the outcome (`GS1-Capture-Error-Behaviour`
/// decides what happens when an eventID is already stored for other content).
#[utoipa::path(post, path = "/epcis/capture", tag = "epcis", security(("bearer" = [])),
    request_body(content_type = "application/ld+json", description = "EPCISDocument (JSON-LD, or XML with Content-Type application/xml)"),
    responses((status = 202, description = "Accepted: the capture job is at Location", body = CaptureJob),
              (status = 400, description = "epcisException:ValidationException with every problem"),
              (status = 413, description = "epcisException:CapturePayloadTooLargeException")))]
pub async fn capture(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    CaptureBody(body): CaptureBody,
) -> Response {
    flatten(
        async {
            let (job, _) = capture_document(&state, &caller, &headers, &body, false).await?;
            let mut response = (StatusCode::ACCEPTED, Json(&job)).into_response();
            let location = format!("/epcis/capture/{}", job.capture_id);
            response.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_str(&location).map_err(|error| fail(&state, ApiError::internal(&error)))?,
            );
            Ok(gs1_headers(response, &state))
        }
        .await,
    )
}

/// Captures one event synchronously; 201 with the event's URL, or 400 when it was refused
/// (also when its eventID is already stored for other content).
#[utoipa::path(post, path = "/epcis/events", tag = "epcis", security(("bearer" = [])),
    request_body(content_type = "application/ld+json", description = "One EPCIS event"),
    responses((status = 201, description = "Captured; the event is at Location"), (status = 400, description = "epcisException:ValidationException")))]
pub async fn capture_event(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    CaptureBody(body): CaptureBody,
) -> Response {
    flatten(
        async {
            let (job, event_ids) = capture_document(&state, &caller, &headers, &body, true).await?;
            if !job.success {
                let detail = job
                    .errors
                    .first()
                    .map(|error| error.message.clone())
                    .unwrap_or_default();
                return Err(gs1_headers(
                    ApiError::epcis(
                        StatusCode::BAD_REQUEST,
                        "ValidationException",
                        "Event refused",
                        detail,
                        job.errors,
                    )
                    .into_response(),
                    &state,
                ));
            }
            let event_id = event_ids.first().cloned().unwrap_or_default();
            let location = format!("/epcis/events/{}", percent_encode_path(&event_id));
            let mut response = StatusCode::CREATED.into_response();
            response.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_str(&location).map_err(|error| fail(&state, ApiError::internal(&error)))?,
            );
            Ok(gs1_headers(response, &state))
        }
        .await,
    )
}

fn percent_encode_path(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The capture jobs of the caller's organization.
#[utoipa::path(get, path = "/epcis/capture", tag = "epcis", security(("bearer" = [])), responses((status = 200, description = "Capture jobs", body = Vec<CaptureJob>)))]
pub async fn list_captures(State(state): State<AppState>, caller: Caller) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let page = state
                .store
                .list_captures(actor, &PageRequest::first(MAX_PAGE_SIZE))
                .await
                .map_err(|error| fail(&state, error.into()))?;
            Ok(gs1_headers(Json(page.items).into_response(), &state))
        }
        .await,
    )
}

/// A capture job of the caller's organization.
#[utoipa::path(get, path = "/epcis/capture/{captureID}", tag = "epcis", security(("bearer" = [])),
    params(("captureID" = String, Path, description = "Capture job id")),
    responses((status = 200, description = "The job", body = CaptureJob), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn get_capture(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let id = path_id(&id, "capture").map_err(|error| fail(&state, error))?;
            let job = state
                .store
                .get_capture(actor, id)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            Ok(gs1_headers(Json(job).into_response(), &state))
        }
        .await,
    )
}

/// The signature of a capture job of the caller's organization: the credential its organization
/// issued over the Merkle root of the events it stored (`vc+jwt`), 404 when it has none (the node
/// did not sign captures then, or nothing was stored).
#[utoipa::path(get, path = "/epcis/capture/{captureID}/credential", tag = "epcis", security(("bearer" = [])),
    params(("captureID" = String, Path, description = "Capture job id")),
    responses((status = 200, description = "The capture's credential", body = crate::handlers::credentials::CaptureCredential),
              (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn get_capture_credential(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let id: junkan_model::ids::CaptureId = path_id(&id, "capture").map_err(|error| fail(&state, error))?;
            // The job as the caller may read it first: the same rule as GET /epcis/capture/{id}.
            state
                .store
                .get_capture(actor, id)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let entries = state
                .store
                .credentials_of_record(actor, "capture", &id.to_string())
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let Some((entry, credential)) = entries
                .into_iter()
                .rev()
                .find_map(|entry| entry.credential.clone().map(|credential| (entry, credential)))
            else {
                return Err(fail(
                    &state,
                    ApiError::not_found(format!("capture {id} was not signed")),
                ));
            };
            Ok(gs1_headers(
                Json(crate::handlers::credentials::CaptureCredential {
                    id: entry.id,
                    credential,
                    status_list_index: entry.status_index,
                    revoked_at: entry.revoked_at,
                })
                .into_response(),
                &state,
            ))
        }
        .await,
    )
}

/// An event as JSON-LD: its body with an `@context` made of `base` and the prefixes of the
/// document it came in.
fn event_json(event: &StoredEvent, base: &[&str]) -> Value {
    let mut context: Vec<Value> = base.iter().map(|url| json!(url)).collect();
    context.extend(
        event
            .event
            .context
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry.is_object())
            .cloned(),
    );
    let mut body = event.event.body.clone();
    if let Some(object) = body.as_object_mut() {
        // The event's own context (prefixes declared inside it) comes last, as it was sent.
        match object.remove("@context") {
            Some(Value::Array(own)) => context.extend(own),
            Some(own) => context.push(own),
            None => {}
        }
        if !context.is_empty() {
            object.insert("@context".to_owned(), Value::Array(context));
        }
    }
    body
}

/// How the client wants events written: JSON-LD or XML (`Accept`), EPCs as Digital Links or URNs
/// (`GS1-EPC-Format`), CBV values in XML as URNs or web URIs (`GS1-CBV-XML-Format`).
pub(crate) struct Rendering {
    xml: bool,
    epc_format: EpcFormat,
    cbv_format: CbvFormat,
}

impl Rendering {
    /// JSON-LD with EPCs in `epc_format` (what subscriptions send).
    pub(crate) fn json(epc_format: EpcFormat) -> Rendering {
        Rendering {
            xml: false,
            epc_format,
            cbv_format: CbvFormat::Urn,
        }
    }

    /// Reads the request headers; 406 when neither JSON nor XML is acceptable.
    pub(crate) fn of(headers: &HeaderMap) -> Result<Rendering, ApiError> {
        let header_text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let not_acceptable = |detail: String| {
            ApiError::epcis(
                StatusCode::NOT_ACCEPTABLE,
                "NotAcceptableException",
                "Not acceptable",
                detail,
                Vec::new(),
            )
        };
        let accept = header_text("accept").unwrap_or("*/*").to_ascii_lowercase();
        let ranges: Vec<&str> = accept
            .split(',')
            .map(|range| range.split(';').next().unwrap_or("").trim())
            .collect();
        let json = ranges.iter().any(|range| {
            matches!(
                *range,
                "*/*" | "application/*" | "application/json" | "application/ld+json"
            ) || range.ends_with("+json")
        });
        let xml = ranges
            .iter()
            .any(|range| matches!(*range, "application/xml" | "text/xml") || range.ends_with("+xml"));
        if !json && !xml {
            return Err(not_acceptable(format!(
                "cannot answer in {accept}; ask for application/ld+json, application/json or application/xml"
            )));
        }
        let xml_first = xml
            && ranges
                .iter()
                .position(|range| range.contains("xml"))
                .is_some_and(|position| !ranges[..position].iter().any(|range| range.contains("json")));
        Ok(Rendering {
            xml: xml_first,
            epc_format: EpcFormat::from_header(header_text("gs1-epc-format")).map_err(not_acceptable)?,
            cbv_format: CbvFormat::from_header(header_text("gs1-cbv-xml-format")).map_err(not_acceptable)?,
        })
    }

    /// The GS1 company prefixes needed to write EPC URNs: those of the node's members and those
    /// the events' own URNs reveal.
    async fn prefixes(&self, state: &AppState, events: &[StoredEvent]) -> Vec<String> {
        let mut prefixes = Vec::new();
        if self.epc_format != EpcFormat::EpcUrn {
            return prefixes;
        }
        events
            .iter()
            .for_each(|event| company_prefixes_in(&event.event.body, &mut prefixes));
        let mut page = PageRequest::first(MAX_PAGE_SIZE);
        while let Ok(found) = state
            .store
            .list_organizations(&OrganizationFilter::default(), &page)
            .await
        {
            prefixes.extend(
                found
                    .items
                    .into_iter()
                    .filter_map(|organization| organization.gs1_company_prefix),
            );
            match found.next_after {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        prefixes
    }

    /// An EPCISQueryDocument of `events`, with the next page's link if any.
    pub(crate) async fn query_document(
        &self,
        state: &AppState,
        query_name: &str,
        events: &[StoredEvent],
    ) -> (Vec<u8>, &'static str) {
        let prefixes = self.prefixes(state, events).await;
        let bodies: Vec<Value> = events
            .iter()
            .map(|event| {
                let mut body = event_json(event, &[]);
                translate_identifiers(&mut body, self.epc_format, &prefixes);
                body
            })
            .collect();
        let created = state.store.now().format(&Rfc3339).unwrap_or_default();
        if self.xml {
            let xml_events: Vec<XmlEvent> = bodies
                .iter()
                .zip(events)
                .map(|(body, event)| XmlEvent {
                    body,
                    context: &event.event.context,
                })
                .collect();
            let xml = query_document_xml(query_name, &created, &xml_events, self.cbv_format);
            return (xml.into_bytes(), "application/xml");
        }
        let document = json!({
            "@context": [EPCIS_CONTEXT],
            "type": "EPCISQueryDocument",
            "schemaVersion": "2.0",
            "creationDate": created,
            "epcisBody": {"queryResults": {"queryName": query_name, "resultsBody": {"eventList": bodies}}}
        });
        (serde_json::to_vec(&document).unwrap_or_default(), "application/ld+json")
    }

    /// The response for a rendered body, with the formats named in the headers.
    pub(crate) fn respond(&self, state: &AppState, body: Vec<u8>, content_type: &'static str) -> Response {
        let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
        response
            .headers_mut()
            .insert("gs1-epc-format", HeaderValue::from_static(self.epc_format.header()));
        gs1_headers(response, state)
    }
}

/// One event by its eventID (a query document with that one event, as the binding has it).
#[utoipa::path(get, path = "/epcis/events/{eventID}", tag = "epcis",
    params(("eventID" = String, Path, description = "The eventID (percent-encoded)")),
    responses((status = 200, description = "EPCISQueryDocument with the event (JSON-LD or XML)"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn get_event(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(event_id): Path<String>,
) -> Response {
    flatten(
        async {
            let rendering = Rendering::of(&headers).map_err(|error| fail(&state, error))?;
            let event = state
                .store
                .get_event(&caller.actor, &event_id)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let (body, content_type) = rendering.query_document(&state, "SimpleEventQuery", &[event]).await;
            Ok(rendering.respond(&state, body, content_type))
        }
        .await,
    )
}

/// Queries events (EPCIS query parameters: eventType, GE_/LT_eventTime, GE_/LT_recordTime,
/// EQ_action, EQ_bizStep, EQ_disposition, EQ_/WD_readPoint, EQ_/WD_bizLocation, EQ_eventID,
/// EQ_source, EQ_destination, EQ_bizTransaction, MATCH_epc, MATCH_parentID, MATCH_inputEPC,
/// MATCH_outputEPC, MATCH_anyEPC, MATCH_epcClass, MATCH_inputEPCClass, MATCH_outputEPCClass,
/// MATCH_anyEPCClass, EQ_/GT_/GE_/LT_/LE_quantity, EQ_persistentDisposition_set/_unset,
/// EQ_transformationID, EXISTS_errorDeclaration, GE_/LT_errorDeclarationTime, EQ_errorReason,
/// EQ_correctiveEventID, sensor filters, extension fields (`EQ_ns#field`, `EQ_ILMD_`,
/// `EQ_INNER_`, `EXISTS_`), orderBy, orderDirection, eventCountLimit, maxEventCount; lists
/// `|`-separated; `perPage` and `nextPageToken`). Answers an EPCISQueryDocument in JSON-LD or XML.
#[utoipa::path(get, path = "/epcis/events", tag = "epcis",
    params(("perPage" = Option<u32>, Query, description = "Events per page, 1-500 (default 30)"), ("nextPageToken" = Option<String>, Query, description = "From the Link header of the previous page")),
    responses((status = 200, description = "EPCISQueryDocument"), (status = 400, description = "epcisException:QueryParameterException"), (status = 413, description = "epcisException:QueryTooLargeException")))]
pub async fn query_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    answer_events(&state, &caller, &headers, &uri, Vec::new(), "SimpleEventQuery").await
}

fn query_problem(state: &AppState, violations: Vec<Violation>) -> Response {
    let detail = violations
        .first()
        .map(|first| format!("{}: {}", first.path, first.message))
        .unwrap_or_default();
    gs1_headers(
        ApiError::epcis(
            StatusCode::BAD_REQUEST,
            "QueryParameterException",
            "Invalid query",
            detail,
            violations,
        )
        .into_response(),
        state,
    )
}

/// Reads a query (the request's parameters plus `fixed` ones, e.g. a named query's or a
/// resource's), runs it for the caller and renders the page.
pub(crate) async fn answer_events(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    fixed: Vec<(String, String)>,
    query_name: &str,
) -> Response {
    flatten(
        async {
            let rendering = Rendering::of(headers).map_err(|error| fail(state, error))?;
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(uri.query().unwrap_or_default()).map_err(|error| {
                    fail(
                        state,
                        ApiError::malformed(format!("the query string is malformed: {error}")),
                    )
                })?;
            let mut limit = DEFAULT_PER_PAGE;
            // The token carries the position and how many events earlier pages gave.
            let mut after: Option<(String, u32)> = None;
            let mut filters = fixed;
            let mut page_problems = Vec::new();
            for (name, value) in pairs {
                match name.as_str() {
                    "perPage" => match value.parse::<u32>() {
                        Ok(per_page) if (1..=MAX_PAGE_SIZE).contains(&per_page) => limit = per_page,
                        _ => page_problems.push(Violation::new(
                            "?perPage",
                            format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                        )),
                    },
                    "nextPageToken" => match URL_SAFE_NO_PAD
                        .decode(&value)
                        .ok()
                        .and_then(|bytes| String::from_utf8(bytes).ok())
                        .and_then(|token| {
                            token
                                .rsplit_once('~')
                                .and_then(|(cursor, served)| Some((cursor.to_owned(), served.parse().ok()?)))
                        }) {
                        Some(token) => after = Some(token),
                        None => page_problems.push(Violation::new(
                            "?nextPageToken",
                            "is not a token this repository issued",
                        )),
                    },
                    _ => filters.push((name, value)),
                }
            }
            let parsed = match junkan_epcis::event_query(&filters) {
                Ok(parsed) if page_problems.is_empty() => parsed,
                result => {
                    page_problems.extend(
                        result
                            .err()
                            .into_iter()
                            .flatten()
                            .map(|problem| Violation::new(problem.path, problem.message)),
                    );
                    return Err(query_problem(state, page_problems));
                }
            };
            let served = after.as_ref().map_or(0, |(_, served)| *served);
            if let (Some(max), None) = (parsed.max_event_count, &after) {
                let probe = PageRequest {
                    after: None,
                    limit: max,
                };
                let found = state
                    .store
                    .query_events(&caller.actor, &parsed.query, &probe)
                    .await
                    .map_err(|error| fail(state, error.into()))?;
                if found.next_after.is_some() {
                    return Err(gs1_headers(
                        ApiError::epcis(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "QueryTooLargeException",
                            "Query too large",
                            format!(
                                "more than maxEventCount={max} events match; narrow the query or use eventCountLimit"
                            ),
                            Vec::new(),
                        )
                        .into_response(),
                        state,
                    ));
                }
            }
            let remaining = parsed.event_count_limit.map(|cap| cap.saturating_sub(served));
            let limit = remaining.map_or(limit, |remaining| limit.min(remaining.max(1)));
            let page = PageRequest {
                after: after.map(|(cursor, _)| cursor),
                limit,
            };
            let mut page = if remaining == Some(0) {
                junkan_model::page::Page {
                    items: Vec::new(),
                    next_after: None,
                }
            } else {
                state
                    .store
                    .query_events(&caller.actor, &parsed.query, &page)
                    .await
                    .map_err(|error| fail(state, error.into()))?
            };
            let served = served + page.items.len() as u32;
            if parsed.event_count_limit.is_some_and(|cap| served >= cap) {
                page.next_after = None;
            }
            let (body, content_type) = rendering.query_document(state, query_name, &page.items).await;
            let mut response = rendering.respond(state, body, content_type);
            if let Some(next) = page.next_after {
                let mut pairs: Vec<(String, String)> =
                    serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
                pairs.retain(|(name, _)| name != "nextPageToken");
                pairs.push((
                    "nextPageToken".to_owned(),
                    URL_SAFE_NO_PAD.encode(format!("{next}~{served}")),
                ));
                let link = format!(
                    "<{}?{}>; rel=\"next\"",
                    uri.path(),
                    serde_urlencoded::to_string(&pairs).unwrap_or_default()
                );
                if let Ok(value) = HeaderValue::from_str(&link) {
                    response.headers_mut().insert(header::LINK, value);
                }
            }
            Ok(response)
        }
        .await,
    )
}
