//! Material-flow records (物質フロー) under `/api/v1/material-flows`: enter one, import many (a
//! JSON array or CSV, all or nothing), read, list with filters, and correct (a new version; the
//! old one stays readable, marked superseded). The records feed the indicators computed for
//! regions and nations (`GET /api/v1/indicators/{name}?scope=&period=`).

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use junkan_indicators::records::{
    check_record_region, flow_kind, under, FiscalYears, MaterialFlow, MaterialFlowCorrection, MaterialFlowFilter,
    NewMaterialFlow, FLOW_KINDS, MATERIAL_FLOWS_PATH,
};
use junkan_model::ids::MaterialFlowId;
use junkan_model::Violation;

use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_json, Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(MaterialFlowList, MaterialFlow);

/// What an import stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialFlowImport {
    /// How many records were stored.
    pub count: usize,
    /// The records stored, in the order of the import.
    pub items: Vec<MaterialFlow>,
}

/// 201 with the record and its `Location`.
fn created(record: &MaterialFlow) -> Response {
    let mut response = (StatusCode::CREATED, Json(record)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{MATERIAL_FLOWS_PATH}/{}", record.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Enters a material-flow record of the caller's organization: one flow (天然資源等投入量,
/// 循環利用量, ...) of one region (`JP` or a local-government code) in one fiscal year, with its
/// unit and source. 409 when the organization has a current record with the same region,
/// fiscal year and kind: correct that one instead.
#[utoipa::path(post, path = "/api/v1/material-flows", tag = "indicators", request_body = NewMaterialFlow, security(("bearer" = [])),
    responses((status = 201, description = "Stored (version 1)", body = MaterialFlow),
              (status = 409, description = "A current record with this region, fiscal year and kind exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid, every problem with its JSON pointer (unknown region or kind, negative mass, unit of another quantity, ...)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_material_flow(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewMaterialFlow>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    Ok(created(&state.store.create_material_flow(actor, new).await?))
}

/// Corrects a record: the body is the record as it should be, whole, and the reason. The
/// correction is stored as the next version; the old one stays readable and names it in
/// `superseded_by`. Only the current version can be corrected (409 otherwise).
#[utoipa::path(post, path = "/api/v1/material-flows/{id}/corrections", tag = "indicators", request_body = MaterialFlowCorrection, security(("bearer" = [])),
    params(("id" = String, Path, description = "The current version's id")),
    responses((status = 201, description = "The new version", body = MaterialFlow),
              (status = 404, description = "No such record that you may see", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already corrected, or the corrected key is taken", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (the record's problems under /record)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn correct_material_flow(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(correction): Valid<MaterialFlowCorrection>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let id: MaterialFlowId = path_id(&id, "material-flow record")?;
    Ok(created(
        &state.store.correct_material_flow(actor, id, correction).await?,
    ))
}

/// Reads a record version the caller may see (audited when read under a grant or as auditor).
#[utoipa::path(get, path = "/api/v1/material-flows/{id}", tag = "indicators",
    params(("id" = String, Path, description = "Record version id")),
    responses((status = 200, description = "The record", body = MaterialFlow),
              (status = 404, description = "No such record that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_material_flow(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<MaterialFlow>> {
    let id: MaterialFlowId = path_id(&id, "material-flow record")?;
    Ok(Json(state.store.get_material_flow(&caller.actor, id).await?))
}

/// Lists the records the caller may read: current versions unless `include_superseded=true`.
#[utoipa::path(get, path = "/api/v1/material-flows", tag = "indicators",
    params(
        ("region" = Option<String>, Query, description = "JP or a six-digit local-government code"),
        ("fiscal_year" = Option<String>, Query, description = "A fiscal year (2019) or years (2015/2022)"),
        ("kind" = Option<String>, Query, description = "Kinds, comma-separated (natural_resource_input,circular_use)"),
        ("owner" = Option<String>, Query, description = "Only records of this organization"),
        ("include_superseded" = Option<bool>, Query, description = "Also corrected versions"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of records", body = MaterialFlowList),
              (status = 422, description = "A malformed parameter", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_material_flows(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let filter = MaterialFlowFilter {
        region: query.checked("region", |region| {
            check_record_region(region).map(|()| region.to_owned())
        }),
        fiscal_years: query.checked("fiscal_year", FiscalYears::parse),
        kinds: query.checked("kind", parse_kinds).unwrap_or_default(),
        owner: query.parsed("owner", "an organization id"),
        include_superseded: query.parsed("include_superseded", "true or false").unwrap_or(false),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state.store.list_material_flows(&caller.actor, &filter, &page).await?,
    ))
}

fn parse_kinds(text: &str) -> Result<Vec<String>, String> {
    let kinds: Vec<String> = text.split(',').map(|kind| kind.trim().to_owned()).collect();
    let unknown: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|kind| flow_kind(kind).is_none())
        .collect();
    if unknown.is_empty() {
        Ok(kinds)
    } else {
        Err(format!(
            "{} is not a kind of material-flow record: expected {}",
            unknown.join(", "),
            FLOW_KINDS.iter().map(|kind| kind.name).collect::<Vec<_>>().join(", ")
        ))
    }
}

/// Many records at once, all or nothing: a JSON array of records (`application/json`, each as
/// the create body) or CSV (`text/csv`, a header row naming the columns `region, fiscal_year,
/// kind, amount, unit, source` and optionally `source_url, note, visibility`; index 0 is the
/// first data row). Every problem of every row is reported at `/<index>/<field>`; nothing is
/// stored unless every row is valid. Up to 10,000 records.
#[utoipa::path(post, path = "/api/v1/material-flows/import", tag = "indicators", security(("bearer" = [])),
    request_body(content = Vec<NewMaterialFlow>, description = "A JSON array of records, or text/csv", content_type = "application/json"),
    responses((status = 201, description = "Every record stored", body = MaterialFlowImport),
              (status = 415, description = "Neither JSON nor CSV", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Every problem, at /<index>/<field>; nothing was stored", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn import_material_flows(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<MaterialFlowImport>)> {
    let actor = caller.signed_in()?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let rows = match media_type.as_str() {
        "application/json" => json_rows(&parse_json(&body)?)?,
        "text/csv" => {
            let text = std::str::from_utf8(&body).map_err(|_| ApiError::malformed("the body is not UTF-8 text"))?;
            csv_rows(text)?
        }
        _ => return Err(ApiError::unsupported_media_type("application/json or text/csv")),
    };
    let items = checked_rows(rows)?;
    let items = state.store.import_material_flows(actor, items).await?;
    Ok((
        StatusCode::CREATED,
        Json(MaterialFlowImport {
            count: items.len(),
            items,
        }),
    ))
}

/// The rows of an import, each read as a record or with the problems found reading it.
type Rows = Vec<Result<NewMaterialFlow, Vec<Violation>>>;

fn json_rows(document: &Value) -> ApiResult<Rows> {
    let Some(items) = document.as_array() else {
        return Err(ApiError::invalid(vec![Violation::new(
            "",
            "must be a JSON array of material-flow records",
        )]));
    };
    Ok(items.iter().map(|item| record_of(item.clone())).collect())
}

/// Reads one row into a record, with its problems at their pointers within the row.
fn record_of(value: Value) -> Result<NewMaterialFlow, Vec<Violation>> {
    serde_path_to_error::deserialize::<_, NewMaterialFlow>(value).map_err(|error| {
        let path = error
            .path()
            .iter()
            .map(|segment| format!("/{segment}"))
            .collect::<String>();
        vec![Violation::new(path, error.into_inner().to_string())]
    })
}

/// The CSV columns, required first.
const CSV_COLUMNS: [&str; 9] = [
    "region",
    "fiscal_year",
    "kind",
    "amount",
    "unit",
    "source",
    "source_url",
    "note",
    "visibility",
];

fn csv_rows(text: &str) -> ApiResult<Rows> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| ApiError::malformed(format!("the CSV header is unreadable: {error}")))?
        .clone();
    let mut problems = Vec::new();
    for (position, column) in headers.iter().enumerate() {
        if !CSV_COLUMNS.contains(&column) {
            problems.push(Violation::new(
                format!("/header/{position}"),
                format!(
                    "{column:?} is not a column of a material-flow import: {}",
                    CSV_COLUMNS.join(", ")
                ),
            ));
        }
    }
    for column in &CSV_COLUMNS[..6] {
        if !headers.iter().any(|header| header == *column) {
            problems.push(Violation::new("/header", format!("the column {column} is required")));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                rows.push(Err(vec![Violation::new("", format!("unreadable CSV row: {error}"))]));
                continue;
            }
        };
        let mut object = Map::new();
        let mut row_problems = Vec::new();
        for (header, cell) in headers.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let value = match header {
                "fiscal_year" => match cell.parse::<i64>() {
                    Ok(year) => Value::from(year),
                    Err(_) => {
                        row_problems.push(Violation::new(
                            "/fiscal_year",
                            format!("must be a fiscal year such as 2019, got {cell:?}"),
                        ));
                        continue;
                    }
                },
                _ => Value::from(cell),
            };
            object.insert(header.to_owned(), value);
        }
        for column in &CSV_COLUMNS[..6] {
            if !object.contains_key(*column) && !row_problems.iter().any(|problem| problem.path == format!("/{column}"))
            {
                row_problems.push(Violation::new(format!("/{column}"), "is required"));
            }
        }
        rows.push(if row_problems.is_empty() {
            record_of(Value::Object(object))
        } else {
            Err(row_problems)
        });
    }
    Ok(rows)
}

/// The records of an import when every row was read; otherwise every problem found, the rows
/// that were read checked too, each at `/<index>/...`.
fn checked_rows(rows: Rows) -> ApiResult<Vec<NewMaterialFlow>> {
    if rows.iter().all(Result::is_ok) {
        return Ok(rows.into_iter().flatten().collect());
    }
    let mut violations = Vec::new();
    for (index, row) in rows.into_iter().enumerate() {
        let found = match row {
            Ok(record) => record.check().err().unwrap_or_default(),
            Err(found) => found,
        };
        violations.extend(under(&format!("/{index}"), found));
    }
    Err(ApiError::invalid(violations))
}
