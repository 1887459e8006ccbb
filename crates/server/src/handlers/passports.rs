//! Product and material passports and their profiles (製品・素材パスポート). Every read goes
//! through the store, which filters each passport field by field to the caller's access level;
//! diffs, exports and bulk exports are built from those views only.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use junkan_model::access::AccessLevel;
use junkan_model::ids::PassportId;
use junkan_model::page::PageRequest;
use junkan_model::passport::{
    Granularity, ImportReport, LifecycleStatus, NewPassport, Passport, PassportFilter, PassportRead, PassportUpdate,
    PassportVersionInfo, ProfileRecord,
};
use junkan_model::principal::Role;
use junkan_model::Violation;
use junkan_passport::diff::{diff, PatchOperation};
use junkan_passport::export::{battery_pass, untp, Issuer};
use junkan_passport::tabular::{cell_text, flatten, unflatten};
use junkan_store::StoreError;

use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_json, require_role, Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::paging::paged;
use crate::AppState;

crate::list_schema!(PassportList, Passport);

/// The largest number of passports one export answers.
const EXPORT_LIMIT: usize = 100_000;

fn read_of(query: &mut QueryMap) -> PassportRead {
    PassportRead {
        version: query.parsed("version", "a version number"),
        view: query.enumerated("view"),
    }
}

/// Lists the passports the caller may read, each filtered to the caller's level.
#[utoipa::path(get, path = "/api/v1/passports", tag = "passports",
    params(
        ("profile" = Option<String>, Query, description = "Only this profile, e.g. battery"),
        ("owner" = Option<String>, Query, description = "Only this owner organization"),
        ("status" = Option<String>, Query, description = "Only this life-cycle status, e.g. waste"),
        ("granularity" = Option<String>, Query, description = "model, batch or item"),
        ("material" = Option<String>, Query, description = "Only passports naming this material in a public material field"),
        ("identifier_prefix" = Option<String>, Query, description = "Only identifiers starting with this (canonical form)"),
        ("view" = Option<String>, Query, description = "A lower view than yours: public, legitimate_interest, authority"),
        ("limit" = Option<u32>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Cursor from the previous page"),
    ),
    responses((status = 200, description = "A page of passports", body = PassportList)))]
pub async fn list_passports(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let filter = filter_of(&mut query);
    let read = PassportRead {
        version: None,
        view: query.enumerated("view"),
    };
    let page = query.page();
    query.finish()?;
    Ok(paged(
        &uri,
        state.store.list_passports(&caller.actor, &filter, &page, read).await?,
    ))
}

fn filter_of(query: &mut QueryMap) -> PassportFilter {
    PassportFilter {
        profile: query.text("profile"),
        owner: query.parsed("owner", "an organization id"),
        status: query.enumerated::<LifecycleStatus>("status"),
        material: query.text("material"),
        identifier_prefix: query.text("identifier_prefix"),
        granularity: query.enumerated::<Granularity>("granularity"),
    }
}

/// Creates a passport of the caller's organization (version 1).
#[utoipa::path(post, path = "/api/v1/passports", tag = "passports", request_body = NewPassport, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = Passport),
              (status = 409, description = "A passport with this identifier exists", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid (each violation with its JSON pointer)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_passport(
    State(state): State<AppState>,
    caller: Caller,
    Valid(new): Valid<NewPassport>,
) -> ApiResult<Response> {
    let actor = caller.signed_in()?;
    let passport = state.store.create_passport(actor, new).await?;
    state.passport_written(&passport.identifier);
    super::credentials::sign_written(
        &state,
        actor,
        "passport",
        passport.id.to_string(),
        Some(passport.version),
    )
    .await;
    let mut response = (StatusCode::CREATED, Json(&passport)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/passports/{}", passport.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Reads a passport as the caller may see it.
#[utoipa::path(get, path = "/api/v1/passports/{id}", tag = "passports",
    params(("id" = String, Path, description = "Passport id"),
           ("version" = Option<i64>, Query, description = "An older version"),
           ("view" = Option<String>, Query, description = "A lower view than yours: public, legitimate_interest, authority")),
    responses((status = 200, description = "The passport, filtered to your access level", body = Passport),
              (status = 404, description = "No such passport that you may see", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_passport(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Json<Passport>> {
    let read = read_of(&mut query);
    query.finish()?;
    Ok(Json(
        state
            .store
            .get_passport(&caller.actor, path_id(&id, "passport")?, read)
            .await?,
    ))
}

/// Writes a new version of a passport of the caller's organization. Absent members keep their
/// value; `data` and `links` replace the whole value.
#[utoipa::path(patch, path = "/api/v1/passports/{id}", tag = "passports", params(("id" = String, Path, description = "Passport id")),
    request_body = PassportUpdate, security(("bearer" = [])),
    responses((status = 200, description = "The new version", body = Passport),
              (status = 409, description = "base_version is not the newest", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_passport(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Valid(update): Valid<PassportUpdate>,
) -> ApiResult<Json<Passport>> {
    let actor = caller.signed_in()?;
    let passport = state
        .store
        .update_passport(actor, path_id(&id, "passport")?, update)
        .await?;
    state.passport_written(&passport.identifier);
    super::credentials::sign_written(
        &state,
        actor,
        "passport",
        passport.id.to_string(),
        Some(passport.version),
    )
    .await;
    Ok(Json(passport))
}

/// The version history of a passport.
#[utoipa::path(get, path = "/api/v1/passports/{id}/versions", tag = "passports", params(("id" = String, Path, description = "Passport id")),
    responses((status = 200, description = "Every version, oldest first", body = [PassportVersionInfo])))]
pub async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<PassportVersionInfo>>> {
    Ok(Json(
        state
            .store
            .passport_history(&caller.actor, path_id(&id, "passport")?)
            .await?,
    ))
}

/// The changes between two versions as an RFC 6902 JSON Patch over the caller's views of both.
#[utoipa::path(get, path = "/api/v1/passports/{id}/diff", tag = "passports",
    params(("id" = String, Path, description = "Passport id"),
           ("from" = i64, Query, description = "The older version"),
           ("to" = Option<i64>, Query, description = "The newer version (default: the newest)")),
    responses((status = 200, description = "JSON Patch from `from` to `to` (paths into the passport: /status, /data/..., /links)", body = [PatchOperation])))]
pub async fn diff_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let from: Option<i64> = query.parsed("from", "a version number");
    let to: Option<i64> = query.parsed("to", "a version number");
    let view = query.enumerated("view");
    query.finish()?;
    let from = from.ok_or_else(|| ApiError::invalid(vec![Violation::new("?from", "is required")]))?;
    let id: PassportId = path_id(&id, "passport")?;
    let older = state
        .store
        .get_passport(
            &caller.actor,
            id,
            PassportRead {
                version: Some(from),
                view,
            },
        )
        .await?;
    let newer = state
        .store
        .get_passport(&caller.actor, id, PassportRead { version: to, view })
        .await?;
    let comparable = |passport: &Passport| {
        serde_json::json!({
            "status": passport.status,
            "visibility": passport.visibility,
            "profile_version": passport.profile_version,
            "data": passport.data,
            "links": passport.links,
        })
    };
    let patch = diff(&comparable(&older), &comparable(&newer), "");
    let mut response = Json(patch).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json-patch+json"),
    );
    Ok(response)
}

/// A passport in another format: `untp` (UNTP Digital Product Passport 0.6.0, JSON-LD) or
/// `batterypass` (battery passports: one object per Battery Pass v1.2 aspect).
#[utoipa::path(get, path = "/api/v1/passports/{id}/export", tag = "passports",
    params(("id" = String, Path, description = "Passport id"),
           ("format" = String, Query, description = "untp or batterypass"),
           ("version" = Option<i64>, Query, description = "An older version"),
           ("view" = Option<String>, Query, description = "A lower view than yours")),
    responses((status = 200, description = "The export, built from your view of the passport")))]
pub async fn export_passport(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let format = query.text("format");
    let read = read_of(&mut query);
    query.finish()?;
    let passport = state
        .store
        .get_passport(&caller.actor, path_id(&id, "passport")?, read)
        .await?;
    match format.as_deref() {
        Some("untp") => {
            let profile = state
                .resolver
                .profiles
                .get(state.store.as_ref(), &passport.profile, &passport.profile_version)
                .await?;
            let owner = state.store.get_organization(passport.owner_organization_id).await?;
            let issuer = Issuer {
                id: format!("{}/api/v1/organizations/{}", state.settings.issuer, owner.id),
                name: owner.name_en.clone(),
                corporate_number: owner.corporate_number.clone(),
            };
            let document = untp(&passport, &profile.profile.summary, &issuer, &state.settings.issuer);
            let mut response = Json(document).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/ld+json"));
            Ok(response)
        }
        Some("batterypass") if passport.profile == "battery" => Ok(Json(battery_pass(&passport.data)).into_response()),
        Some("batterypass") => Err(ApiError::invalid(vec![Violation::new(
            "?format",
            format!(
                "batterypass exports battery passports; this one has profile {}",
                passport.profile
            ),
        )])),
        _ => Err(ApiError::invalid(vec![Violation::new(
            "?format",
            "must be untp or batterypass",
        )])),
    }
}

/// Many passports at once: JSON Lines (each line a passport, as the create body or as exported)
/// or CSV (columns identifier, granularity, profile, status, visibility, note, links (a JSON array),
/// then one column per data value named by its JSON pointer). All or nothing; `dry_run=true` checks without writing.
#[utoipa::path(post, path = "/api/v1/passports/import", tag = "passports", security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Check only")),
    request_body(content = String, content_type = "application/x-ndjson", description = "JSON Lines, or text/csv"),
    responses((status = 200, description = "What was (or would be) written", body = ImportReport),
              (status = 422, description = "Every problem, at /<line index>/...", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn import_passports(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    mut query: QueryMap,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let dry_run = query.parsed::<bool>("dry_run", "true or false").unwrap_or(false);
    query.finish()?;
    let actor = caller.signed_in()?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::malformed("the body is not UTF-8 text"))?;
    let items = match media_type.as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" => json_lines(text)?,
        "text/csv" => csv_rows(&state, text).await?,
        _ => return Err(ApiError::unsupported_media_type("application/x-ndjson or text/csv")),
    };
    let report = state.store.import_passports(actor, items.clone(), dry_run).await?;
    if !dry_run {
        for item in &items {
            state.passport_written(&item.identifier);
        }
    }
    Ok(Json(report))
}

/// Members a passport has when read, which a line copied from an export may carry.
const READ_ONLY: [&str; 10] = [
    "id",
    "owner_organization_id",
    "profile_version",
    "version",
    "latest_version",
    "withheld",
    "access_level",
    "created_at",
    "version_created_at",
    "version_created_by",
];

fn json_lines(text: &str) -> Result<Vec<NewPassport>, ApiError> {
    let mut items = Vec::new();
    let mut violations = Vec::new();
    for (index, line) in text.lines().filter(|line| !line.trim().is_empty()).enumerate() {
        let mut value: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(error) => {
                violations.push(Violation::new(format!("/{index}"), format!("not JSON: {error}")));
                continue;
            }
        };
        if let Some(object) = value.as_object_mut() {
            for member in READ_ONLY {
                object.remove(member);
            }
        }
        match serde_path_to_error::deserialize::<_, NewPassport>(value) {
            Ok(item) => items.push(item),
            Err(error) => violations.push(Violation::new(
                format!(
                    "/{index}{}",
                    error
                        .path()
                        .iter()
                        .map(|segment| format!("/{segment}"))
                        .collect::<String>()
                ),
                error.into_inner().to_string(),
            )),
        }
    }
    if violations.is_empty() {
        Ok(items)
    } else {
        Err(ApiError::invalid(violations))
    }
}

const CSV_COLUMNS: [&str; 7] = [
    "identifier",
    "granularity",
    "profile",
    "status",
    "visibility",
    "note",
    "links",
];

async fn csv_rows(state: &AppState, text: &str) -> Result<Vec<NewPassport>, ApiError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| ApiError::malformed(format!("the CSV header is unreadable: {error}")))?
        .clone();
    for (position, column) in CSV_COLUMNS.iter().take(3).enumerate() {
        if headers.get(position) != Some(column) {
            return Err(ApiError::invalid(vec![Violation::new(
                "/header",
                format!("the first columns must be {}", CSV_COLUMNS.join(",")),
            )]));
        }
    }
    let mut items = Vec::new();
    let mut violations = Vec::new();
    let mut profiles = std::collections::HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                violations.push(Violation::new(
                    format!("/{index}"),
                    format!("unreadable CSV row: {error}"),
                ));
                continue;
            }
        };
        let cell = |name: &str| {
            headers
                .iter()
                .position(|header| header == name)
                .and_then(|position| record.get(position))
                .filter(|value| !value.is_empty())
        };
        let profile_code = cell("profile").unwrap_or_default().to_owned();
        if !profiles.contains_key(&profile_code) {
            // The newest version (what the import is checked against), compiled once per node.
            let compiled = match state.store.get_profile(&profile_code, None).await {
                Ok(record) => Some(
                    state
                        .resolver
                        .profiles
                        .get(state.store.as_ref(), &record.code, &record.version)
                        .await?,
                ),
                Err(StoreError::NotFound { .. }) => None,
                Err(error) => return Err(error.into()),
            };
            profiles.insert(profile_code.clone(), compiled);
        }
        let Some(profile) = profiles.get(&profile_code).and_then(Option::as_ref) else {
            violations.push(Violation::new(
                format!("/{index}/profile"),
                format!("{profile_code:?} is not a registered profile"),
            ));
            continue;
        };
        let mut pairs = Vec::new();
        for (position, header) in headers.iter().enumerate() {
            if !header.starts_with('/') {
                continue;
            }
            let Some(text) = record.get(position).filter(|text| !text.is_empty()) else {
                continue;
            };
            match profile.cell_value(header, text) {
                Ok(value) => pairs.push((header.to_owned(), value)),
                Err(message) => violations.push(Violation::new(format!("/{index}/data{header}"), message)),
            }
        }
        let data = match unflatten(&pairs) {
            Ok(data) => data,
            Err(message) => {
                violations.push(Violation::new(format!("/{index}/data"), message));
                continue;
            }
        };
        let links: Value = match cell("links").map(serde_json::from_str).transpose() {
            Ok(links) => links.unwrap_or_else(|| Value::Array(Vec::new())),
            Err(error) => {
                violations.push(Violation::new(
                    format!("/{index}/links"),
                    format!("not a JSON array of links: {error}"),
                ));
                continue;
            }
        };
        let parsed = serde_json::from_value::<NewPassport>(serde_json::json!({
            "identifier": cell("identifier").unwrap_or_default(),
            "granularity": cell("granularity").unwrap_or_default(),
            "profile": profile_code,
            "status": cell("status").unwrap_or("original"),
            "visibility": cell("visibility").unwrap_or("public"),
            "note": cell("note"),
            "links": links,
            "data": data,
        }));
        match parsed {
            Ok(item) => items.push(item),
            Err(error) => violations.push(Violation::new(format!("/{index}"), error.to_string())),
        }
    }
    if violations.is_empty() {
        Ok(items)
    } else {
        Err(ApiError::invalid(violations))
    }
}

/// Exports the passports the caller may read (the same filters as the list), each as the caller
/// sees it: JSON Lines (one passport per line, re-importable) or CSV (`profile` required: the
/// columns are that profile's values).
#[utoipa::path(get, path = "/api/v1/passports/export", tag = "passports",
    params(("format" = String, Query, description = "jsonl or csv"),
           ("profile" = Option<String>, Query, description = "Only this profile (required for csv)"),
           ("owner" = Option<String>, Query, description = "Only this owner"),
           ("status" = Option<String>, Query, description = "Only this status"),
           ("material" = Option<String>, Query, description = "Only this material"),
           ("identifier_prefix" = Option<String>, Query, description = "Only identifiers starting with this"),
           ("view" = Option<String>, Query, description = "A lower view than yours")),
    responses((status = 200, description = "The passports, as application/x-ndjson or text/csv")))]
pub async fn export_passports(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let format = query.text("format");
    let filter = filter_of(&mut query);
    let read = PassportRead {
        version: None,
        view: query.enumerated::<AccessLevel>("view"),
    };
    query.finish()?;
    let csv = match format.as_deref() {
        Some("jsonl") => false,
        Some("csv") if filter.profile.is_some() => true,
        Some("csv") => {
            return Err(ApiError::invalid(vec![Violation::new(
                "?profile",
                "a CSV export is of one profile: name it",
            )]))
        }
        _ => {
            return Err(ApiError::invalid(vec![Violation::new(
                "?format",
                "must be jsonl or csv",
            )]))
        }
    };
    let mut passports = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let batch = state.store.list_passports(&caller.actor, &filter, &page, read).await?;
        passports.extend(batch.items);
        if passports.len() > EXPORT_LIMIT {
            return Err(ApiError::invalid(vec![Violation::new(
                "",
                format!("an export holds at most {EXPORT_LIMIT} passports: narrow the filters"),
            )]));
        }
        match batch.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    let (media_type, body) = if csv {
        ("text/csv; charset=utf-8", csv_export(&passports)?)
    } else {
        let mut body = String::new();
        for passport in &passports {
            body.push_str(&serde_json::to_string(passport).map_err(|error| ApiError::internal(&error))?);
            body.push('\n');
        }
        ("application/x-ndjson", body)
    };
    Ok(([(header::CONTENT_TYPE, media_type)], body).into_response())
}

fn csv_export(passports: &[Passport]) -> Result<String, ApiError> {
    let rows: Vec<Vec<(String, Value)>> = passports.iter().map(|passport| flatten(&passport.data)).collect();
    let mut columns: Vec<String> = rows.iter().flatten().map(|(pointer, _)| pointer.clone()).collect();
    columns.sort();
    columns.dedup();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = CSV_COLUMNS
        .iter()
        .copied()
        .chain(columns.iter().map(String::as_str))
        .collect();
    writer
        .write_record(&header)
        .map_err(|error| ApiError::internal(&error))?;
    for (passport, row) in passports.iter().zip(&rows) {
        let values: std::collections::HashMap<&str, String> = row
            .iter()
            .map(|(pointer, value)| (pointer.as_str(), cell_text(value)))
            .collect();
        let mut record = vec![
            passport.identifier.clone(),
            passport.granularity.as_str().to_owned(),
            passport.profile.clone(),
            passport.status.as_str().to_owned(),
            passport.visibility.as_str().to_owned(),
            passport.note.clone().unwrap_or_default(),
            serde_json::to_string(&passport.links).map_err(|error| ApiError::internal(&error))?,
        ];
        record.extend(
            columns
                .iter()
                .map(|column| values.get(column.as_str()).cloned().unwrap_or_default()),
        );
        writer
            .write_record(&record)
            .map_err(|error| ApiError::internal(&error))?;
    }
    let bytes = writer.into_inner().map_err(|error| ApiError::internal(&error))?;
    String::from_utf8(bytes).map_err(|error| ApiError::internal(&error))
}

/// The newest version of every passport profile.
#[utoipa::path(get, path = "/api/v1/profiles", tag = "passports",
    responses((status = 200, description = "Profiles, by code", body = [ProfileRecord])))]
pub async fn list_profiles(State(state): State<AppState>) -> ApiResult<Json<Vec<ProfileRecord>>> {
    Ok(Json(state.store.list_profiles().await?))
}

/// One profile: the newest version, or `?version=`.
#[utoipa::path(get, path = "/api/v1/profiles/{code}", tag = "passports",
    params(("code" = String, Path, description = "Profile code"), ("version" = Option<String>, Query, description = "A version")),
    responses((status = 200, description = "The profile", body = ProfileRecord)))]
pub async fn get_profile(
    State(state): State<AppState>,
    Path(code): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Json<ProfileRecord>> {
    let version = query.text("version");
    query.finish()?;
    Ok(Json(state.store.get_profile(&code, version.as_deref()).await?))
}

/// Registers a profile version (node administrators): a profile document whose schema is a valid
/// JSON Schema and whose field metadata is complete. A new industry adds its passport this way.
#[utoipa::path(post, path = "/api/v1/profiles", tag = "passports", security(("bearer" = [])),
    request_body(content = Object, description = "A profile document (see crates/passport/profiles/README.md)"),
    responses((status = 201, description = "Registered", body = ProfileRecord),
              (status = 422, description = "Not a valid profile: every problem with its JSON pointer", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn register_profile(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ProfileRecord>)> {
    let actor = caller.signed_in()?;
    require_role(actor, Role::NodeAdmin)?;
    let document = parse_json(&body)?;
    let registered = state.store.register_profile(actor, document).await?;
    // Pages show profile labels: a new version may change them.
    state.resolver.views.invalidate_all();
    Ok((StatusCode::CREATED, Json(registered)))
}
