//! The EPCIS 2.0 REST binding beyond capture and `/events`: the discovery resources
//! (`/eventTypes`, `/epcs`, `/bizSteps`, `/bizLocations`, `/readPoints`, `/dispositions`, each
//! with its `/events`), named queries, their webhook subscriptions, and WebSocket subscriptions
//! on `/queries/{name}/events`.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use junkan_epcis::capture::EVENT_TYPES;
use junkan_epcis::output::EpcFormat;
use junkan_epcis::xml::EPCIS_CONTEXT;
use junkan_model::event::EventField;
use junkan_model::ids::SubscriptionId;
use junkan_model::page::{PageRequest, MAX_PAGE_SIZE};
use junkan_model::principal::Actor;
use junkan_model::subscription::{check_query_name, NamedQuery, NewSubscription, Schedule, Subscription};
use junkan_model::Violation;

use crate::error::ApiError;
use crate::extract::{parse_json, Caller};
use crate::handlers::epcis::{answer_events, fail, flatten, gs1_headers};
use crate::handlers::path_id;
use crate::AppState;

/// The resources of the repository, as `GET /epcis` lists them.
const TOP_LEVEL: [&str; 9] = [
    "queries",
    "capture",
    "events",
    "eventTypes",
    "epcs",
    "readPoints",
    "bizLocations",
    "dispositions",
    "bizSteps",
];

fn collection(state: &AppState, members: Vec<String>) -> Response {
    gs1_headers(
        Json(json!({"@context": EPCIS_CONTEXT, "type": "Collection", "member": members})).into_response(),
        state,
    )
}

/// The top-level resources.
#[utoipa::path(get, path = "/epcis", tag = "epcis", responses((status = 200, description = "Collection of the top-level resources")))]
pub async fn top_level(State(state): State<AppState>) -> Response {
    collection(&state, TOP_LEVEL.iter().map(|name| (*name).to_owned()).collect())
}

/// A discovery resource: its store field and the query parameter its `/events` adds.
fn resource(name: &str) -> Result<(Option<EventField>, &'static str), ApiError> {
    Ok(match name {
        "eventTypes" => (None, "eventType"),
        "epcs" => (Some(EventField::Epc), "MATCH_anyEPC"),
        "bizSteps" => (Some(EventField::BizStep), "EQ_bizStep"),
        "bizLocations" => (Some(EventField::BizLocation), "EQ_bizLocation"),
        "readPoints" => (Some(EventField::ReadPoint), "EQ_readPoint"),
        "dispositions" => (Some(EventField::Disposition), "EQ_disposition"),
        other => {
            return Err(ApiError::not_found(format!(
                "{other} is not a resource of this repository; see GET /epcis"
            )))
        }
    })
}

fn page_of(uri: &Uri) -> Result<PageRequest, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|error| ApiError::malformed(format!("the query string is malformed: {error}")))?;
    let mut page = PageRequest::first(MAX_PAGE_SIZE);
    for (name, value) in pairs {
        match name.as_str() {
            "perPage" => {
                page.limit = value
                    .parse()
                    .ok()
                    .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
                    .ok_or_else(|| {
                        ApiError::invalid(vec![Violation::new(
                            "?perPage",
                            format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                        )])
                    })?;
            }
            "nextPageToken" => page.after = Some(value),
            other => {
                return Err(ApiError::invalid(vec![Violation::new(
                    format!("?{other}"),
                    "is not a parameter of this resource (perPage, nextPageToken)",
                )]))
            }
        }
    }
    Ok(page)
}

fn with_next_link(mut response: Response, uri: &Uri, next: Option<String>) -> Response {
    if let Some(next) = next {
        let link = format!(
            "<{}?{}>; rel=\"next\"",
            uri.path(),
            serde_urlencoded::to_string([("nextPageToken", next)]).unwrap_or_default()
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

/// The values a discovery resource knows: the five event types, or the EPCs, bizSteps,
/// bizLocations, readPoints or dispositions of the events of the caller's organization and the
/// public ones (events shared by grant are found through `/events`, where reads are audited).
#[utoipa::path(get, path = "/epcis/{resource}", tag = "epcis", security(("bearer" = [])),
    params(("resource" = String, Path, description = "eventTypes, epcs, bizSteps, bizLocations, readPoints or dispositions")),
    responses((status = 200, description = "Collection of values (Link header for the next page)"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn list_resource(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    flatten(
        async {
            let (field, _) = resource(&name).map_err(|error| fail(&state, error))?;
            let Some(field) = field else {
                return Ok(collection(
                    &state,
                    EVENT_TYPES.iter().map(|kind| (*kind).to_owned()).collect(),
                ));
            };
            let page = page_of(&uri).map_err(|error| fail(&state, error))?;
            let found = state
                .store
                .event_values(&caller.actor, field, &page)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            Ok(with_next_link(collection(&state, found.items), &uri, found.next_after))
        }
        .await,
    )
}

/// The sub-resources of one value (for HATEOAS discovery): `events`.
#[utoipa::path(get, path = "/epcis/{resource}/{value}", tag = "epcis",
    params(("resource" = String, Path, description = "eventTypes, epcs, bizSteps, bizLocations, readPoints or dispositions"), ("value" = String, Path, description = "The value (percent-encoded)")),
    responses((status = 200, description = "Collection with member events"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn value_resource(State(state): State<AppState>, Path((name, value)): Path<(String, String)>) -> Response {
    flatten(
        async {
            resource(&name).map_err(|error| fail(&state, error))?;
            if name == "eventTypes" && !EVENT_TYPES.contains(&value.as_str()) {
                return Err(fail(
                    &state,
                    ApiError::not_found(format!("{value} is not an event type of this repository")),
                ));
            }
            Ok(collection(&state, vec!["events".to_owned()]))
        }
        .await,
    )
}

/// The events with one value: `/eventTypes/{type}/events`, `/epcs/{epc}/events` (the EPC in any
/// role), `/bizSteps/{step}/events`, ...; takes every query parameter of `/events` besides.
#[utoipa::path(get, path = "/epcis/{resource}/{value}/events", tag = "epcis",
    params(("resource" = String, Path, description = "eventTypes, epcs, bizSteps, bizLocations, readPoints or dispositions"), ("value" = String, Path, description = "The value (percent-encoded)")),
    responses((status = 200, description = "EPCISQueryDocument"), (status = 400, description = "epcisException:QueryParameterException"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn value_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, value)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    match resource(&name) {
        Ok((_, parameter)) => {
            answer_events(
                &state,
                &caller,
                &headers,
                &uri,
                vec![(parameter.to_owned(), value)],
                "SimpleEventQuery",
            )
            .await
        }
        Err(error) => fail(&state, error),
    }
}

/// A named query's parameters as `(name, value)` pairs (lists `|`-joined), or every problem
/// under `/query`.
pub(crate) fn query_parameters(query: &Value) -> Result<Vec<(String, String)>, Vec<Violation>> {
    let Some(object) = query.as_object() else {
        return Err(vec![Violation::new("/query", "must be an object of query parameters")]);
    };
    let mut pairs = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in object {
        let text = match value {
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("|"),
            Value::String(text) => text.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            _ => {
                problems.push(Violation::new(
                    format!("/query/{name}"),
                    "must be a string, a number, a boolean or a list",
                ));
                continue;
            }
        };
        pairs.push((name.clone(), text));
    }
    if let Err(found) = junkan_epcis::event_query(&pairs) {
        problems.extend(found.into_iter().map(|problem| {
            Violation::new(
                format!("/query/{}", problem.path.trim_start_matches('?')),
                problem.message,
            )
        }));
    }
    if problems.is_empty() {
        Ok(pairs)
    } else {
        Err(problems)
    }
}

/// Keeps a named query for the caller's organization: `{"name": "...", "query": {...}}` with
/// the parameters of `GET /events`. 201 with its URL; 409 when the name is taken.
#[utoipa::path(post, path = "/epcis/queries", tag = "epcis", security(("bearer" = [])),
    request_body(content_type = "application/json", description = "{name, query}"),
    responses((status = 201, description = "Created; the query is at Location", body = NamedQuery), (status = 400, description = "epcisException:ValidationException or QueryParameterException"), (status = 409, description = "epcisException:ResourceAlreadyExistsException")))]
pub async fn create_query(State(state): State<AppState>, caller: Caller, body: axum::body::Bytes) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let body = parse_json(&body).map_err(|error| fail(&state, error))?;
            let mut problems = Vec::new();
            let name = body.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            if let Err(problem) = check_query_name(&name) {
                problems.push(problem);
            }
            let query = body.get("query").cloned().unwrap_or(Value::Null);
            if let Err(found) = query_parameters(&query) {
                problems.extend(found);
            }
            if let Some(other) = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(key, _)| key)
                .find(|key| *key != "name" && *key != "query")
            {
                problems.push(Violation::new(
                    format!("/{other}"),
                    "is not a field of a named query (name, query)",
                ));
            }
            if !problems.is_empty() {
                return Err(fail(&state, ApiError::invalid(problems)));
            }
            let created = state
                .store
                .create_named_query(actor, &name, query)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let mut response = (StatusCode::CREATED, Json(&created)).into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/epcis/queries/{name}")) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(gs1_headers(response, &state))
        }
        .await,
    )
}

/// The named queries of the caller's organization.
#[utoipa::path(get, path = "/epcis/queries", tag = "epcis", security(("bearer" = [])), responses((status = 200, description = "Named queries", body = Vec<NamedQuery>)))]
pub async fn list_queries(State(state): State<AppState>, caller: Caller, OriginalUri(uri): OriginalUri) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let page = page_of(&uri).map_err(|error| fail(&state, error))?;
            let found = state
                .store
                .list_named_queries(actor, &page)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let response = gs1_headers(Json(&found.items).into_response(), &state);
            Ok(with_next_link(response, &uri, found.next_after))
        }
        .await,
    )
}

/// One named query.
#[utoipa::path(get, path = "/epcis/queries/{queryName}", tag = "epcis", security(("bearer" = [])),
    params(("queryName" = String, Path, description = "The query name")),
    responses((status = 200, description = "The query", body = NamedQuery), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn get_query(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let query = state
                .store
                .get_named_query(actor, &name)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            Ok(gs1_headers(Json(query).into_response(), &state))
        }
        .await,
    )
}

/// Deletes a named query and ends every subscription to it.
#[utoipa::path(delete, path = "/epcis/queries/{queryName}", tag = "epcis", security(("bearer" = [])),
    params(("queryName" = String, Path, description = "The query name")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn delete_query(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            state
                .store
                .delete_named_query(actor, &name)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            Ok(gs1_headers(StatusCode::NO_CONTENT.into_response(), &state))
        }
        .await,
    )
}

/// Subscribes a webhook to a named query: `{"dest", "signatureToken", "stream": true}` or with a
/// `schedule` (and `reportIfEmpty`). Reports are EPCISQueryDocuments POSTed to `dest`, signed
/// with `GS1-Signature: sha256=<hex HMAC-SHA256 of the body keyed with signatureToken>`, read
/// with the subscriber's rights at delivery time.
#[utoipa::path(post, path = "/epcis/queries/{queryName}/subscriptions", tag = "epcis", security(("bearer" = [])),
    params(("queryName" = String, Path, description = "The query name")),
    request_body(content = NewSubscription, content_type = "application/json"),
    responses((status = 201, description = "Subscribed; the subscription is at Location", body = Subscription), (status = 400, description = "epcisException:ValidationException"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let body = parse_json(&body).map_err(|error| fail(&state, error))?;
            let new: NewSubscription = serde_path_to_error::deserialize(body).map_err(|error| {
                let path = format!("/{}", error.path().to_string().replace('.', "/")).replace("//", "/");
                fail(
                    &state,
                    ApiError::invalid(vec![Violation::new(path, error.inner().to_string())]),
                )
            })?;
            let created = state
                .store
                .create_subscription(actor, &name, new)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let mut response = (StatusCode::CREATED, Json(&created)).into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/epcis/queries/{name}/subscriptions/{}", created.id))
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(gs1_headers(response, &state))
        }
        .await,
    )
}

/// The subscriptions to a named query.
#[utoipa::path(get, path = "/epcis/queries/{queryName}/subscriptions", tag = "epcis", security(("bearer" = [])),
    params(("queryName" = String, Path, description = "The query name")),
    responses((status = 200, description = "Subscriptions", body = Vec<Subscription>), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let page = page_of(&uri).map_err(|error| fail(&state, error))?;
            let found = state
                .store
                .list_subscriptions(actor, &name, &page)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let response = gs1_headers(Json(&found.items).into_response(), &state);
            Ok(with_next_link(response, &uri, found.next_after))
        }
        .await,
    )
}

/// One subscription (the secret is never shown; `lastError` tells why deliveries fail).
#[utoipa::path(get, path = "/epcis/queries/{queryName}/subscriptions/{subscriptionID}", tag = "epcis", security(("bearer" = [])),
    params(("queryName" = String, Path, description = "The query name"), ("subscriptionID" = String, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription", body = Subscription), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn get_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let id: SubscriptionId = path_id(&id, "subscription").map_err(|error| fail(&state, error))?;
            let found = state
                .store
                .get_subscription(actor, &name, id)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            Ok(gs1_headers(Json(found).into_response(), &state))
        }
        .await,
    )
}

/// Ends a subscription.
#[utoipa::path(delete, path = "/epcis/queries/{queryName}/subscriptions/{subscriptionID}", tag = "epcis", security(("bearer" = [])),
    params(("queryName" = String, Path, description = "The query name"), ("subscriptionID" = String, Path, description = "Subscription id")),
    responses((status = 204, description = "Unsubscribed"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?;
            let id: SubscriptionId = path_id(&id, "subscription").map_err(|error| fail(&state, error))?;
            state
                .store
                .delete_subscription(actor, &name, id)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            Ok(gs1_headers(StatusCode::NO_CONTENT.into_response(), &state))
        }
        .await,
    )
}

/// The results of a named query; with `Upgrade: websocket` and `stream=true` or schedule
/// parameters (`second`, `minute`, `hour`, `dayOfMonth`, `month`, `dayOfWeek`, with
/// `initialRecordTime` and `reportIfEmpty`), a WebSocket subscription that sends each new batch of
/// matching events as an EPCISQueryDocument text message.
#[utoipa::path(get, path = "/epcis/queries/{queryName}/events", tag = "epcis", security(("bearer" = [])),
    params(("queryName" = String, Path, description = "The query name")),
    responses((status = 200, description = "EPCISQueryDocument"), (status = 101, description = "WebSocket subscription"), (status = 404, description = "epcisException:NoSuchResourceException")))]
pub async fn query_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    OriginalUri(uri): OriginalUri,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    flatten(
        async {
            let actor = caller.signed_in().map_err(|error| fail(&state, error))?.clone();
            let query = state
                .store
                .get_named_query(&actor, &name)
                .await
                .map_err(|error| fail(&state, error.into()))?;
            let fixed = query_parameters(&query.query).map_err(|problems| fail(&state, ApiError::invalid(problems)))?;
            let Ok(upgrade) = upgrade else {
                return Ok(answer_events(&state, &caller, &headers, &uri, fixed, &name).await);
            };
            let plan = socket_plan(&uri, &state).map_err(|error| fail(&state, error))?;
            let epc_format =
                EpcFormat::from_header(headers.get("gs1-epc-format").and_then(|value| value.to_str().ok()))
                    .map_err(|message| fail(&state, ApiError::malformed(message)))?;
            let state_for_socket = state.clone();
            Ok(upgrade.on_upgrade(move |socket| {
                stream_to_socket(socket, state_for_socket, actor, name, fixed, plan, epc_format)
            }))
        }
        .await,
    )
}

/// When a WebSocket subscription reports.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Report whenever events are captured.
    pub stream: bool,
    /// Or on this schedule.
    pub schedule: Option<Schedule>,
    /// Report empty scheduled runs.
    pub report_if_empty: bool,
    /// Events recorded from this time on.
    pub initial_record_time: OffsetDateTime,
}

fn socket_plan(uri: &Uri, state: &AppState) -> Result<Plan, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|error| ApiError::malformed(format!("the query string is malformed: {error}")))?;
    let mut schedule = Schedule::default();
    let mut plan = Plan {
        stream: false,
        schedule: None,
        report_if_empty: false,
        initial_record_time: state.store.now(),
    };
    let mut problems = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "stream" => plan.stream = value == "true",
            "reportIfEmpty" => plan.report_if_empty = value == "true",
            "initialRecordTime" => match OffsetDateTime::parse(&value, &Rfc3339) {
                Ok(time) => plan.initial_record_time = time,
                Err(_) => problems.push(Violation::new("?initialRecordTime", "must be an RFC 3339 date-time")),
            },
            "second" => schedule.second = Some(value),
            "minute" => schedule.minute = Some(value),
            "hour" => schedule.hour = Some(value),
            "dayOfMonth" => schedule.day_of_month = Some(value),
            "month" => schedule.month = Some(value),
            "dayOfWeek" => schedule.day_of_week = Some(value),
            _ => {}
        }
    }
    if schedule != Schedule::default() {
        problems.extend(schedule.check("?schedule"));
        plan.schedule = Some(schedule);
    }
    match (plan.stream, &plan.schedule) {
        (true, Some(_)) => problems.push(Violation::new(
            "?stream",
            "stream and schedule parameters exclude each other",
        )),
        (false, None) => problems.push(Violation::new(
            "?stream",
            "a WebSocket subscription needs stream=true or schedule parameters",
        )),
        _ => {}
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(ApiError::invalid(problems))
    }
}

async fn stream_to_socket(
    mut socket: WebSocket,
    state: AppState,
    actor: Actor,
    name: String,
    fixed: Vec<(String, String)>,
    plan: Plan,
    epc_format: EpcFormat,
) {
    let mut captured = state.captured.subscribe();
    let mut cursor: Option<String> = None;
    let mut last_second = state.store.now().unix_timestamp();
    loop {
        tokio::select! {
            changed = captured.changed(), if plan.stream => {
                if changed.is_err() {
                    return;
                }
            }
            _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
        }
        let now = state.store.now();
        let due = match &plan.schedule {
            None => true,
            Some(schedule) => {
                let fired = schedule.fires_between(last_second, now);
                last_second = last_second.max(now.unix_timestamp());
                fired
            }
        };
        if !due {
            continue;
        }
        // The query is read again each time: deleting it ends the subscription.
        if state.store.get_named_query(&actor, &name).await.is_err() {
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
        let report_empty = plan.schedule.is_some() && plan.report_if_empty;
        match crate::delivery::new_results(
            &state,
            &actor,
            &fixed,
            plan.initial_record_time,
            cursor.clone(),
            epc_format,
            &name,
            report_empty,
        )
        .await
        {
            Ok(batches) => {
                for (document, up_to) in batches {
                    if socket
                        .send(Message::Text(String::from_utf8_lossy(&document).into_owned().into()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    if up_to.is_some() {
                        cursor = up_to;
                    }
                }
            }
            Err(message) => {
                let _ = socket
                    .send(Message::Text(json!({"error": message}).to_string().into()))
                    .await;
            }
        }
    }
}
