//! Importing files (取込, `/app/upload`): an EPCIS 2.0 document (JSON-LD or XML) of traceability
//! events, or PACT v3 carbon footprints (one footprint, a list, or a PACT list answer
//! `{"data": [...]}`), sent as a plain form upload. The answer is a report: how many records were
//! stored, or every problem with its location (line and column for unreadable JSON, the JSON
//! pointer in the file otherwise). The embedded script only adds a progress bar (the form is
//! sent by `XMLHttpRequest` and the report replaces the page's main part); without it the form
//! posts as usual.
//!
//! The records go through the same preparation and store calls as the API (`prepare_document_owned`
//! and `Store::capture_events` as `POST /epcis/capture`; `junkan_footprint::pact::from_v3` and
//! `Store::create_footprints`, all or nothing).

use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde_json::Value;

use junkan_epcis::capture::events_of;
use junkan_epcis::{prepare_document_owned, Syntax};
use junkan_model::event::CaptureErrorBehaviour;
use junkan_model::facility::Visibility;
use junkan_model::Violation;
use junkan_store::{NewCapture, StoreError};

use super::context::{Problem, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use crate::handlers::epcis::CAPTURE_LIMIT;
use crate::AppState;

const TITLE: Text = ("ファイルの取込", "Import files");
const LEAD: Text = (
    "トレーサビリティのイベント（EPCIS 2.0 の文書、JSON-LD または XML）と、カーボンフットプリント（PACT v3 の JSON）をファイルから登録します。問題があれば、ファイル内の場所とともにすべて示します。",
    "Record traceability events (an EPCIS 2.0 document, JSON-LD or XML) and carbon footprints (PACT v3 JSON) from a file. Any problem is listed with its place in the file.",
);
const EVENTS: Text = ("イベント（EPCIS 2.0）", "Events (EPCIS 2.0)");
const FOOTPRINTS: Text = ("カーボンフットプリント（PACT v3）", "Carbon footprints (PACT v3)");
const FILE: Text = ("ファイル", "File");
const BEHAVIOUR: Text = ("一部に誤りがあるとき", "When some events fail");
const ROLLBACK: Text = ("何も登録しない", "Store nothing");
const PROCEED: Text = ("登録できるものは登録する", "Store what can be stored");
const VISIBILITY: Text = ("公開範囲", "Visibility");
const SEND: Text = ("取り込む", "Import");
const PROGRESS: Text = ("送信中", "Sending");
const REPORT: Text = ("取込の結果", "Import report");
const PLACE: Text = ("場所", "Place");
const MESSAGE: Text = ("内容", "Problem");
const NO_FILE: Text = ("ファイルが選ばれていません。", "No file was chosen.");
const NOT_TEXT: Text = (
    "ファイルが UTF-8 のテキストではありません。",
    "The file is not UTF-8 text.",
);
const AGAIN: Text = ("別のファイルを取り込む", "Import another file");
const EVENTS_HINT: Text = (
    "eventList を持つ EPCISDocument。拡張子 .xml または内容が < で始まるものは XML として読みます。",
    "An EPCISDocument with an eventList. Files ending in .xml, or starting with <, are read as XML.",
);
const FOOTPRINTS_HINT: Text = (
    "PACT v3 のフットプリント 1 件、その配列、または {\"data\": [...]} の形。すべて登録されるか、何も登録されないかのどちらかです。",
    "One PACT v3 footprint, an array of them, or {\"data\": [...]}. Either all are stored or none.",
);

/// `GET /app/upload`: the two import forms.
pub async fn get_upload(web: Web) -> WebResult {
    web.require_sign_in()?;
    Ok(web.page(web.t(TITLE), Nav::Upload, forms(&web)))
}

fn forms(web: &Web) -> Markup {
    html! {
        h1 { (web.t(TITLE)) }
        p.lead { (web.t(LEAD)) }
        section aria-labelledby="events-upload" {
            h2 #events-upload { (web.t(EVENTS)) }
            form.upload method="post" action="/app/upload/events" enctype="multipart/form-data" data-upload data-progress-label=(web.t(PROGRESS)) {
                input type="hidden" name="csrf" value=(web.form_token);
                div.field {
                    label for="events-file" { (web.t(FILE)) }
                    input #events-file type="file" name="file" accept=".json,.jsonld,.xml,application/json,application/ld+json,application/xml" required aria-describedby="events-hint";
                    p.hint #events-hint { (web.t(EVENTS_HINT)) }
                }
                div.field {
                    label for="events-behaviour" { (web.t(BEHAVIOUR)) }
                    select #events-behaviour name="behaviour" {
                        option value="rollback" { (web.t(ROLLBACK)) }
                        option value="proceed" { (web.t(PROCEED)) }
                    }
                }
                button type="submit" { (web.t(SEND)) }
            }
        }
        section aria-labelledby="footprints-upload" {
            h2 #footprints-upload { (web.t(FOOTPRINTS)) }
            form.upload method="post" action="/app/upload/footprints" enctype="multipart/form-data" data-upload data-progress-label=(web.t(PROGRESS)) {
                input type="hidden" name="csrf" value=(web.form_token);
                div.field {
                    label for="footprints-file" { (web.t(FILE)) }
                    input #footprints-file type="file" name="file" accept=".json,application/json" required aria-describedby="footprints-hint";
                    p.hint #footprints-hint { (web.t(FOOTPRINTS_HINT)) }
                }
                div.field {
                    label for="footprints-visibility" { (web.t(VISIBILITY)) }
                    select #footprints-visibility name="visibility" {
                        option value="restricted" { (web.t(i18n::visibility(Visibility::Restricted))) }
                        option value="public" { (web.t(i18n::visibility(Visibility::Public))) }
                    }
                }
                button type="submit" { (web.t(SEND)) }
            }
        }
    }
}

/// The parts of an upload form.
#[derive(Default)]
pub(super) struct Upload {
    pub(super) csrf: String,
    pub(super) file_name: String,
    pub(super) file: Vec<u8>,
    pub(super) fields: Vec<(String, String)>,
}

pub(super) async fn read_upload(web: &Web, mut multipart: Multipart) -> Result<Upload, super::WebError> {
    // A form cut off by the node's body limit is said to be too large, not malformed.
    let unreadable = |error: MultipartError| {
        web.fail(if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::TooLarge
        } else {
            Problem::BadRequest
        })
    };
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or_default().to_owned();
            upload.file = field.bytes().await.map_err(unreadable)?.to_vec();
        } else {
            let value = field.text().await.map_err(unreadable)?;
            if name == "csrf" {
                upload.csrf = value;
            } else {
                upload.fields.push((name, value));
            }
        }
    }
    web.check_form(&upload.csrf)?;
    Ok(upload)
}

impl Upload {
    fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }
}

/// What an import did: a sentence, and the problems with their places.
struct Outcome {
    stored: Option<String>,
    problems: Vec<Violation>,
}

/// JSON that could not be read, located by line and column.
fn json_problem(language: Language, error: &serde_json::Error) -> Violation {
    let place = match language {
        Language::Ja => format!("{} 行 {} 列", error.line(), error.column()),
        Language::En => format!("line {}, column {}", error.line(), error.column()),
    };
    Violation::new(place, error.to_string())
}

/// `POST /app/upload/events`: captures the file's EPCIS document.
pub async fn post_upload_events(State(state): State<AppState>, web: Web, multipart: Multipart) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let upload = read_upload(&web, multipart).await?;
    let outcome = capture_file(&state, &web, &signed_in.actor, &upload).await?;
    Ok(report(&web, &upload, outcome))
}

async fn capture_file(
    state: &AppState,
    web: &Web,
    actor: &junkan_model::principal::Actor,
    upload: &Upload,
) -> Result<Outcome, super::WebError> {
    let failed = |problems: Vec<Violation>| Outcome { stored: None, problems };
    if upload.file.is_empty() {
        return Ok(failed(vec![Violation::new("—", web.t(NO_FILE))]));
    }
    let Ok(text) = std::str::from_utf8(&upload.file) else {
        return Ok(failed(vec![Violation::new("—", web.t(NOT_TEXT))]));
    };
    let is_xml = upload.file_name.to_ascii_lowercase().ends_with(".xml") || text.trim_start().starts_with('<');
    let (document, syntax) = if is_xml {
        match junkan_epcis::document_from_xml(text) {
            Ok(document) => (document, Syntax::Xml),
            Err(problems) => return Ok(failed(epcis_problems(problems))),
        }
    } else {
        match serde_json::from_str::<Value>(text) {
            Ok(document) => (document, Syntax::Json),
            Err(error) => return Ok(failed(vec![json_problem(web.language, &error)])),
        }
    };
    let pointers: Vec<String> = events_of(&document).into_iter().map(|(pointer, _)| pointer).collect();
    if pointers.is_empty() {
        return Ok(failed(vec![Violation::new(
            "/epcisBody/eventList",
            "the document has no events",
        )]));
    }
    if pointers.len() > CAPTURE_LIMIT {
        return Ok(failed(vec![Violation::new(
            "/epcisBody/eventList",
            format!(
                "the document has {} events; the capture limit is {CAPTURE_LIMIT}",
                pointers.len()
            ),
        )]));
    }
    let prepared = tokio::task::spawn_blocking(move || prepare_document_owned(document, syntax))
        .await
        .map_err(|_| web.fail(Problem::Unavailable))?;
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(problems) => return Ok(failed(epcis_problems(problems))),
    };
    let behaviour = if upload.field("behaviour") == "proceed" {
        CaptureErrorBehaviour::Proceed
    } else {
        CaptureErrorBehaviour::Rollback
    };
    let capture = NewCapture {
        behaviour,
        events: pointers.into_iter().zip(prepared).collect(),
        errors: Vec::new(),
        visibility: Visibility::Restricted,
    };
    let job = match state.store.capture_events(actor, capture).await {
        Ok(job) => job,
        Err(StoreError::Invalid(violations)) => return Ok(failed(violations)),
        Err(error) => return Err(web.fail(Problem::from_store(error))),
    };
    if job.captured_count > 0 {
        state.captured.send_modify(|generation| *generation += 1);
    }
    // Signed as through the API (docs/trust.md).
    if let Err(error) = crate::trust::sign_capture(state, actor, &job).await {
        tracing::error!(capture = %job.capture_id, status = %error.status(), "the capture was stored but not signed");
    }
    let stored = match web.language {
        Language::Ja => format!(
            "イベント {} 件を登録しました（登録済みのため省いたもの {} 件）。",
            i18n::count(job.captured_count),
            i18n::count(job.duplicate_count)
        ),
        Language::En => format!(
            "{} events stored ({} already stored and skipped).",
            i18n::count(job.captured_count),
            i18n::count(job.duplicate_count)
        ),
    };
    Ok(Outcome {
        stored: (job.success || job.captured_count > 0).then_some(stored),
        problems: job.errors,
    })
}

fn epcis_problems(problems: Vec<junkan_epcis::Problem>) -> Vec<Violation> {
    problems
        .into_iter()
        .map(|problem| Violation::new(problem.path, problem.message))
        .collect()
}

/// `POST /app/upload/footprints`: publishes the file's footprints, all or nothing.
pub async fn post_upload_footprints(State(state): State<AppState>, web: Web, multipart: Multipart) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let upload = read_upload(&web, multipart).await?;
    let failed = |problems: Vec<Violation>| Outcome { stored: None, problems };
    let outcome =
        if upload.file.is_empty() {
            failed(vec![Violation::new("—", web.t(NO_FILE))])
        } else {
            match serde_json::from_slice::<Value>(&upload.file) {
                Err(error) => failed(vec![json_problem(web.language, &error)]),
                Ok(document) => {
                    let (items, prefix): (Vec<&Value>, &str) = match &document {
                        Value::Array(items) => (items.iter().collect(), ""),
                        Value::Object(object) => match object.get("data") {
                            Some(Value::Array(items)) => (items.iter().collect(), "/data"),
                            _ => (vec![&document], ""),
                        },
                        _ => (Vec::new(), ""),
                    };
                    let many = !matches!(document, Value::Object(ref object) if !object.contains_key("data"));
                    let mut footprints = Vec::with_capacity(items.len());
                    let mut problems = Vec::new();
                    if items.is_empty() {
                        problems.push(Violation::new(
                            "",
                            "no footprint: expected an object or an array of them",
                        ));
                    }
                    for (index, item) in items.iter().enumerate() {
                        let place = if many {
                            format!("{prefix}/{index}")
                        } else {
                            String::new()
                        };
                        match junkan_footprint::pact::from_v3(item) {
                            Ok(footprint) => footprints.push(footprint),
                            Err(violations) => problems.extend(violations.into_iter().map(|violation| {
                                Violation::new(format!("{place}{}", violation.path), violation.message)
                            })),
                        }
                    }
                    if !problems.is_empty() {
                        failed(problems)
                    } else {
                        let visibility = if upload.field("visibility") == "public" {
                            Visibility::Public
                        } else {
                            Visibility::Restricted
                        };
                        let ids: Vec<String> = footprints.iter().map(|footprint| footprint.id.to_string()).collect();
                        match state
                            .store
                            .create_footprints(&signed_in.actor, footprints, visibility)
                            .await
                        {
                            Ok(count) => {
                                state.pact_outbox_wake.notify_one();
                                for id in ids {
                                    crate::handlers::credentials::sign_written(
                                        &state,
                                        &signed_in.actor,
                                        "footprint",
                                        id,
                                        None,
                                    )
                                    .await;
                                }
                                let count = i18n::count(count as u64);
                                Outcome {
                                    stored: Some(match web.language {
                                        Language::Ja => format!("カーボンフットプリント {count} 件を登録しました。"),
                                        Language::En => format!("{count} footprints stored."),
                                    }),
                                    problems: Vec::new(),
                                }
                            }
                            Err(StoreError::Invalid(violations)) => failed(
                                violations
                                    .into_iter()
                                    .map(|violation| {
                                        Violation::new(format!("{prefix}{}", violation.path), violation.message)
                                    })
                                    .collect(),
                            ),
                            Err(StoreError::Conflict { .. }) => failed(vec![Violation::new(
                                prefix,
                                web.t((
                                    "同じ ID のフットプリントがすでに登録されています。何も登録していません。",
                                    "A footprint with one of these ids is already stored; nothing was stored.",
                                )),
                            )]),
                            Err(error) => return Err(web.fail(Problem::from_store(error))),
                        }
                    }
                }
            }
        };
    Ok(report(&web, &upload, outcome))
}

fn report(web: &Web, upload: &Upload, outcome: Outcome) -> Response {
    let file = if upload.file_name.is_empty() {
        "—"
    } else {
        upload.file_name.as_str()
    };
    let summary = match (web.language, outcome.problems.len()) {
        (Language::Ja, 0) => format!("{file}: 問題はありません。"),
        (Language::En, 0) => format!("{file}: no problems."),
        (Language::Ja, count) => format!("{file}: 問題が {} 件あります。", i18n::count(count as u64)),
        (Language::En, count) => format!("{file}: {} problems.", i18n::count(count as u64)),
    };
    let body = html! {
        h1 { (web.t(REPORT)) }
        div.upload-report #upload-report role="status" {
            p { strong { (summary) } }
            @if let Some(stored) = &outcome.stored { p.notice { (stored) } }
        }
        @if !outcome.problems.is_empty() {
            @if outcome.stored.is_none() {
                p.error role="alert" { (web.t(("何も登録していません。", "Nothing was stored."))) }
            }
            div.table-wrap {
                table.responsive.problems {
                    thead { tr { th scope="col" { (web.t(PLACE)) } th scope="col" { (web.t(MESSAGE)) } } }
                    tbody {
                        @for problem in &outcome.problems {
                            tr {
                                td data-label=(web.t(PLACE)) { code { (problem.path) } }
                                td data-label=(web.t(MESSAGE)) { (i18n::problem_message(web.language, &problem.message)) }
                            }
                        }
                    }
                }
            }
        }
        p { a href="/app/upload" { (web.t(AGAIN)) } }
    };
    web.page(web.t(REPORT), Nav::Upload, body)
}
