//! Forms to create and edit passports (`/app/passports/new`, `/app/passports/{id}/edit`),
//! generated from the profile's JSON Schema: an object is a fieldset, a string, number, integer
//! or boolean an input (a select for an enumeration), anything else (arrays, alternatives) a JSON
//! text area. Field names are JSON pointers into `data` (`data/manufacturer/name`).
//!
//! A sent form is turned into `data` with the schema's types (`CompiledProfile::cell_value`, the
//! same typing as the CSV import) and written through the same store call as the API
//! (`Store::create_passport` / `update_passport`), which checks it against the profile; every
//! problem is shown next to its field (a missing required member next to the field it names), and
//! listed at the top with links to the fields. Schema messages are put in Japanese for the kinds
//! people meet (required, type, pattern, range, choice); others are shown as the validator wrote
//! them.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::Form;
use maud::{html, Markup};
use serde_json::{Map, Value};

use junkan_model::facility::Visibility;
use junkan_model::ids::PassportId;
use junkan_model::passport::{Granularity, LifecycleStatus, NewPassport, Passport, PassportRead, PassportUpdate};
use junkan_model::Violation;
use junkan_passport::profile::{parse_pointer, CompiledProfile};
use junkan_store::StoreError;

use super::context::{OrPage, Problem, Web, WebResult};
use super::i18n::{self, Language, Text};
use super::layout::Nav;
use super::list::{options, ListQuery};
use super::see_other;
use crate::AppState;

const NEW_TITLE: Text = ("パスポートの作成", "Create a passport");
const EDIT_TITLE: Text = ("パスポートの編集", "Edit a passport");
const CHOOSE_PROFILE: Text = (
    "プロファイル（製品・素材の種類）を選んでください。入力欄はプロファイルのスキーマから作られます。",
    "Choose a profile (the kind of product or material); the form's fields come from its schema.",
);
const PROFILE: Text = ("プロファイル", "Profile");
const NEXT: Text = ("次へ", "Next");
const IDENTIFIER: Text = (
    "識別子（GS1 Digital Link または EPC URN）",
    "Identifier (GS1 Digital Link or EPC URN)",
);
const GRANULARITY: Text = ("粒度", "Granularity");
const STATUS: Text = ("状態", "Status");
const VISIBILITY: Text = ("公開範囲", "Visibility");
const NOTE: Text = ("履歴に残すメモ（任意）", "Note for the history (optional)");
const DATA: Text = ("データ", "Data");
const SAVE: Text = ("保存", "Save");
const REQUIRED: Text = ("必須", "required");
const JSON_HINT: Text = ("JSON で入力します。", "Entered as JSON.");
const YES: Text = ("はい", "Yes");
const NO: Text = ("いいえ", "No");
const PROBLEMS: Text = (
    "入力に問題があります。各欄のメッセージを確認してください。",
    "Some entries need fixing; see the message next to each field.",
);
const CONFLICT: Text = (
    "この識別子のパスポートはすでにあるか、編集中に新しい版が保存されました。",
    "A passport with this identifier exists, or a newer version was saved meanwhile.",
);

/// Deepest nesting drawn as fieldsets; deeper values are JSON text areas.
const MAX_NESTING: usize = 6;

/// The form as sent: every name and value, in order.
type Sent = Vec<(String, String)>;

/// `GET /app/passports/new?profile=`: the profile choice, then the profile's form.
pub async fn get_new_passport(State(state): State<AppState>, web: Web, RawQuery(raw): RawQuery) -> WebResult {
    web.require_sign_in()?;
    let query = ListQuery::parse(raw.as_deref());
    match query.get("profile") {
        None => choose_profile(&state, &web).await,
        Some(code) => {
            let profile = latest_profile(&state, &web, code).await?;
            let form = FormState {
                identifier: String::new(),
                granularity: profile
                    .profile
                    .granularities
                    .first()
                    .copied()
                    .unwrap_or(Granularity::Model),
                status: LifecycleStatus::Original,
                visibility: Visibility::Public,
                note: String::new(),
                data: Value::Object(Map::new()),
                texts: BTreeMap::new(),
                problems: Vec::new(),
                conflict: false,
            };
            Ok(render(&web, &profile, None, &form))
        }
    }
}

/// `POST /app/passports/new?profile=`: creates the passport, or shows the form again with every
/// problem next to its field.
pub async fn post_new_passport(
    State(state): State<AppState>,
    web: Web,
    RawQuery(raw): RawQuery,
    Form(sent): Form<Sent>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(field(&sent, "csrf"))?;
    let query = ListQuery::parse(raw.as_deref());
    let code = query.get("profile").ok_or_else(|| web.fail(Problem::BadRequest))?;
    let profile = latest_profile(&state, &web, code).await?;
    let mut form = FormState::from_sent(&profile, &sent);
    if form.problems.is_empty() {
        let new = NewPassport {
            identifier: form.identifier.trim().to_owned(),
            granularity: form.granularity,
            profile: profile.profile.code.clone(),
            status: form.status,
            visibility: form.visibility,
            data: form.data.clone(),
            links: Vec::new(),
            note: non_empty(&form.note),
        };
        match state.store.create_passport(&signed_in.actor, new).await {
            Ok(passport) => {
                state.passport_written(&passport.identifier);
                crate::handlers::credentials::sign_written(
                    &state,
                    &signed_in.actor,
                    "passport",
                    passport.id.to_string(),
                    Some(passport.version),
                )
                .await;
                return Ok(see_other(&format!("/app/passports/{}?saved=1", passport.id)));
            }
            Err(error) => form.refused(&web, error)?,
        }
    }
    Ok(render(&web, &profile, None, &form))
}

/// `GET /app/passports/{id}/edit`: the form filled with the newest version.
pub async fn get_edit_passport(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> WebResult {
    let signed_in = web.require_sign_in()?;
    let (passport, profile) = editable(&state, &web, &id).await?;
    if passport.owner_organization_id != signed_in.organization.id {
        return Err(web.fail(Problem::Forbidden));
    }
    let form = FormState {
        identifier: passport.identifier.clone(),
        granularity: passport.granularity,
        status: passport.status,
        visibility: passport.visibility,
        note: String::new(),
        data: passport.data.clone(),
        texts: BTreeMap::new(),
        problems: Vec::new(),
        conflict: false,
    };
    Ok(render(&web, &profile, Some(&passport), &form))
}

/// `POST /app/passports/{id}/edit`: writes the next version against the one the form showed.
pub async fn post_edit_passport(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(sent): Form<Sent>,
) -> WebResult {
    let signed_in = web.require_sign_in()?;
    web.check_form(field(&sent, "csrf"))?;
    let (passport, profile) = editable(&state, &web, &id).await?;
    if passport.owner_organization_id != signed_in.organization.id {
        return Err(web.fail(Problem::Forbidden));
    }
    let mut form = FormState::from_sent(&profile, &sent);
    form.identifier = passport.identifier.clone();
    if form.problems.is_empty() {
        let update = PassportUpdate {
            status: Some(form.status),
            visibility: Some(form.visibility),
            data: Some(form.data.clone()),
            links: None,
            note: non_empty(&form.note),
            base_version: field(&sent, "base_version").parse().ok(),
        };
        match state.store.update_passport(&signed_in.actor, passport.id, update).await {
            Ok(updated) => {
                state.passport_written(&updated.identifier);
                crate::handlers::credentials::sign_written(
                    &state,
                    &signed_in.actor,
                    "passport",
                    updated.id.to_string(),
                    Some(updated.version),
                )
                .await;
                return Ok(see_other(&format!("/app/passports/{}?saved=1", updated.id)));
            }
            Err(error) => form.refused(&web, error)?,
        }
    }
    Ok(render(&web, &profile, Some(&passport), &form))
}

async fn editable(
    state: &AppState,
    web: &Web,
    id: &str,
) -> Result<(Passport, std::sync::Arc<CompiledProfile>), super::WebError> {
    let id: PassportId = id.parse().map_err(|_| web.fail(Problem::NotFound))?;
    let store = state.store.as_ref();
    let passport = store
        .get_passport(web.actor(), id, PassportRead::default())
        .await
        .or_page(web)?;
    let profile = state
        .resolver
        .profiles
        .get(store, &passport.profile, &passport.profile_version)
        .await
        .or_page(web)?;
    Ok((passport, profile))
}

async fn latest_profile(
    state: &AppState,
    web: &Web,
    code: &str,
) -> Result<std::sync::Arc<CompiledProfile>, super::WebError> {
    let store = state.store.as_ref();
    let record = store.get_profile(code, None).await.or_page(web)?;
    state
        .resolver
        .profiles
        .get(store, &record.code, &record.version)
        .await
        .or_page(web)
}

async fn choose_profile(state: &AppState, web: &Web) -> WebResult {
    let profiles = state.store.list_profiles().await.or_page(web)?;
    // The newest version of each profile.
    let mut newest: BTreeMap<String, String> = BTreeMap::new();
    for record in &profiles {
        let name = record
            .document
            .get("name")
            .and_then(|name| name.get(web.language.tag()))
            .and_then(Value::as_str)
            .unwrap_or(&record.code);
        newest.insert(
            record.code.clone(),
            format!("{name} ({} {})", record.code, record.version),
        );
    }
    let body = html! {
        h1 { (web.t(NEW_TITLE)) }
        p.lead { (web.t(CHOOSE_PROFILE)) }
        form.filters method="get" action="/app/passports/new" {
            div.field {
                label for="profile" { (web.t(PROFILE)) }
                select #profile name="profile" {
                    (options(newest.iter().map(|(code, label)| (code.as_str(), label.as_str())), None))
                }
            }
            button type="submit" { (web.t(NEXT)) }
        }
    };
    Ok(web.page(web.t(NEW_TITLE), Nav::Passports, body))
}

fn field<'a>(sent: &'a Sent, name: &str) -> &'a str {
    sent.iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// What the form shows: the values (as sent, or of the passport) and the problems.
struct FormState {
    identifier: String,
    granularity: Granularity,
    status: LifecycleStatus,
    visibility: Visibility,
    note: String,
    /// The data built from the form (or the passport's).
    data: Value,
    /// The texts as sent, by pointer (shown again as typed, also when they were not valid).
    texts: BTreeMap<String, String>,
    /// Problems, each at its pointer (`/identifier`, `/data/...`).
    problems: Vec<Violation>,
    /// A conflict (identifier taken, newer version saved).
    conflict: bool,
}

impl FormState {
    fn from_sent(profile: &CompiledProfile, sent: &Sent) -> FormState {
        let mut problems = Vec::new();
        let mut data = Value::Object(Map::new());
        let mut texts = BTreeMap::new();
        for (name, text) in sent {
            let Some(pointer) = name.strip_prefix("data") else {
                continue;
            };
            texts.insert(pointer.to_owned(), text.clone());
            if text.trim().is_empty() {
                continue;
            }
            match profile.cell_value(pointer, text.trim()) {
                Ok(value) => set_at(&mut data, pointer, value),
                Err(message) => problems.push(Violation::new(format!("/data{pointer}"), message)),
            }
        }
        let granularity = match field(sent, "granularity") {
            "batch" => Granularity::Batch,
            "item" => Granularity::Item,
            _ => Granularity::Model,
        };
        let status = LifecycleStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == field(sent, "status"))
            .unwrap_or(LifecycleStatus::Original);
        let visibility = if field(sent, "visibility") == "restricted" {
            Visibility::Restricted
        } else {
            Visibility::Public
        };
        FormState {
            identifier: field(sent, "identifier").to_owned(),
            granularity,
            status,
            visibility,
            note: field(sent, "note").to_owned(),
            data,
            texts,
            problems,
            conflict: false,
        }
    }

    /// Takes the store's refusal: invalid data becomes problems at their fields, a conflict a
    /// notice; anything else is the error page.
    fn refused(&mut self, web: &Web, error: StoreError) -> Result<(), super::WebError> {
        match error {
            StoreError::Invalid(violations) => {
                self.problems.extend(violations);
                Ok(())
            }
            StoreError::Conflict { .. } => {
                self.conflict = true;
                Ok(())
            }
            other => Err(web.fail(Problem::from_store(other))),
        }
    }

    /// The messages for the field at `pointer` (`/identifier`, `/data/...`), in the page's
    /// language. A schema's "required" problem at an object is the missing member's.
    fn messages_at(&self, language: Language, pointer: &str) -> Vec<String> {
        self.problems
            .iter()
            .filter(|problem| problem_pointer(problem) == pointer)
            .map(|problem| message(language, &problem.message))
            .collect()
    }
}

/// Where a problem belongs: its path, or for a missing required member, the member's path.
fn problem_pointer(problem: &Violation) -> String {
    match missing_member(&problem.message) {
        Some(member) => format!(
            "{}/{}",
            problem.path.trim_end_matches('/'),
            member.replace('~', "~0").replace('/', "~1")
        ),
        None => problem.path.clone(),
    }
}

/// The member a "required" message names (`"name" is a required property`).
fn missing_member(message: &str) -> Option<&str> {
    let rest = message.strip_suffix(" is a required property")?;
    rest.strip_prefix('"')?.strip_suffix('"')
}

/// A validator's message in the page's language: the kinds people meet in Japanese, others as
/// written.
fn message(language: Language, text: &str) -> String {
    let after = |marker: &str| text.split_once(marker).map(|(_, rest)| rest.trim().to_owned());
    let translated: Option<(String, String)> = if missing_member(text).is_some() {
        Some(("入力が必要です。".to_owned(), "This field is required.".to_owned()))
    } else if let Some(kind) = after("is not of type") {
        let kind = kind.trim_matches('"').to_owned();
        let ja = match kind.as_str() {
            "number" => "数値で入力してください。".to_owned(),
            "integer" => "整数で入力してください。".to_owned(),
            "boolean" => "「はい」か「いいえ」を選んでください。".to_owned(),
            other => format!("形式が違います（{other} が必要です）。"),
        };
        Some((ja, format!("Enter a value of type {kind}.")))
    } else if let Some(pattern) = after("does not match") {
        Some((
            format!("形式が違います（パターン {pattern}）。"),
            format!("Does not have the expected form ({pattern})."),
        ))
    } else if let Some(minimum) = after("is less than the minimum of") {
        Some((
            format!("{minimum} 以上の値を入力してください。"),
            format!("Enter at least {minimum}."),
        ))
    } else if let Some(maximum) = after("is greater than the maximum of") {
        Some((
            format!("{maximum} 以下の値を入力してください。"),
            format!("Enter at most {maximum}."),
        ))
    } else if text.contains("is not one of") {
        Some((
            "選択肢から選んでください。".to_owned(),
            "Choose one of the options.".to_owned(),
        ))
    } else {
        text.strip_suffix(" is not a number").map(|reason| {
            (
                format!("{reason} は数値ではありません。"),
                format!("{reason} is not a number."),
            )
        })
    };
    match (language, translated) {
        (Language::Ja, Some((ja, _))) => ja,
        (Language::En, Some((_, en))) => en,
        (_, None) => text.to_owned(),
    }
}

/// Puts `value` at `pointer` in `data`, creating the objects on the way.
fn set_at(data: &mut Value, pointer: &str, value: Value) {
    let Ok(segments) = parse_pointer(pointer) else {
        return;
    };
    let mut node = data;
    for (position, segment) in segments.iter().enumerate() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let object = node.as_object_mut().expect("made an object above");
        if position + 1 == segments.len() {
            object.insert(segment.clone(), value);
            return;
        }
        node = object
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// The value at `pointer` as the form shows it (JSON text for arrays and objects).
fn text_at(form: &FormState, pointer: &str, as_json: bool) -> String {
    if let Some(text) = form.texts.get(pointer) {
        return text.clone();
    }
    match form.data.pointer(pointer) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(value) if as_json => serde_json::to_string_pretty(value).unwrap_or_default(),
        Some(value) => value.to_string(),
    }
}

/// The schema `schema` stands for: a local `$ref` followed (once per level).
fn resolved<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..8 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference.strip_prefix('#').and_then(|pointer| root.pointer(pointer)) {
                Some(target) => current = target,
                None => return current,
            },
            None => return current,
        }
    }
    current
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => Vec::new(),
    }
}

/// The id of the field a problem at `pointer` (`/identifier`, `/data/...`) is shown at.
fn summary_target(pointer: &str) -> String {
    match pointer.strip_prefix("/data") {
        Some(data_pointer) => field_id(data_pointer),
        None => format!("meta-{}", pointer.trim_start_matches('/')),
    }
}

/// A field's id in the page, from its pointer.
fn field_id(pointer: &str) -> String {
    let mut id = String::from("field");
    for character in pointer.chars() {
        if character.is_alphanumeric() || character == '_' || character == '-' {
            id.push(character);
        } else {
            id.push('.');
        }
    }
    id
}

fn render(
    web: &Web,
    profile: &CompiledProfile,
    passport: Option<&Passport>,
    form: &FormState,
) -> axum::response::Response {
    let title = web.t(if passport.is_some() { EDIT_TITLE } else { NEW_TITLE });
    let action = match passport {
        Some(passport) => format!("/app/passports/{}/edit", passport.id),
        None => format!(
            "/app/passports/new?{}",
            serde_urlencoded::to_string([("profile", profile.profile.code.as_str())])
                .expect("pairs of strings always encode")
        ),
    };
    let root = &profile.profile.schema;
    let status_choices: Vec<(&str, &str)> = LifecycleStatus::ALL
        .iter()
        .map(|status| (status.as_str(), web.t(status.labels())))
        .collect();
    let granularity_choices: Vec<(&str, &str)> = profile
        .profile
        .granularities
        .iter()
        .map(|granularity| (granularity.as_str(), web.t(i18n::granularity(*granularity))))
        .collect();
    let visibility_choices = [Visibility::Public, Visibility::Restricted].map(|visibility| {
        (
            if visibility == Visibility::Public {
                "public"
            } else {
                "restricted"
            },
            web.t(i18n::visibility(visibility)),
        )
    });
    let visibility_value = if form.visibility == Visibility::Public {
        "public"
    } else {
        "restricted"
    };
    let identifier_messages = form.messages_at(web.language, "/identifier");
    let body = html! {
        h1 { (title) }
        p.profile { (profile.profile.name.get(web.language.tag())) " · " (profile.profile.code) " " (profile.profile.version) }
        @if !form.problems.is_empty() {
            div.error-summary role="alert" aria-labelledby="problems-heading" tabindex="-1" {
                h2 #problems-heading { (web.t(PROBLEMS)) }
                ul {
                    @for problem in &form.problems {
                        @let pointer = problem_pointer(problem);
                        li {
                            a href={ "#" (summary_target(&pointer)) } {
                                code { (pointer) }
                            }
                            " " (message(web.language, &problem.message))
                        }
                    }
                }
            }
        }
        @if form.conflict { p.error role="alert" { (web.t(CONFLICT)) } }
        form.passport-form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(web.form_token);
            @if let Some(passport) = passport {
                input type="hidden" name="base_version" value=(passport.latest_version);
            }
            div.field {
                label for="meta-identifier" { (web.t(IDENTIFIER)) " " span.required { "(" (web.t(REQUIRED)) ")" } }
                @if passport.is_some() {
                    input id="meta-identifier" type="text" name="identifier" value=(form.identifier) readonly size="60";
                } @else {
                    input id="meta-identifier" type="text" name="identifier" value=(form.identifier) required size="60"
                        aria-invalid=[(!identifier_messages.is_empty()).then_some("true")]
                        aria-describedby=[(!identifier_messages.is_empty()).then_some("meta-identifier-error")];
                }
                @if !identifier_messages.is_empty() {
                    p.field-error id="meta-identifier-error" { (identifier_messages.join(" ")) }
                }
            }
            @if passport.is_none() {
                div.field {
                    label for="meta-granularity" { (web.t(GRANULARITY)) }
                    select id="meta-granularity" name="granularity" { (options(granularity_choices.iter().copied(), Some(form.granularity.as_str()))) }
                }
            }
            div.field {
                label for="meta-status" { (web.t(STATUS)) }
                select id="meta-status" name="status" { (options(status_choices.iter().copied(), Some(form.status.as_str()))) }
            }
            div.field {
                label for="meta-visibility" { (web.t(VISIBILITY)) }
                select id="meta-visibility" name="visibility" { (options(visibility_choices, Some(visibility_value))) }
            }
            fieldset {
                legend { (web.t(DATA)) }
                (object_fields(web, profile, root, root, "", form, 0))
            }
            div.field {
                label for="meta-note" { (web.t(NOTE)) }
                input id="meta-note" type="text" name="note" value=(form.note) maxlength="500" size="60";
            }
            button type="submit" { (web.t(SAVE)) }
        }
    };
    web.page(title, Nav::Passports, body)
}

/// The fields of an object schema at `pointer`.
fn object_fields(
    web: &Web,
    profile: &CompiledProfile,
    root: &Value,
    schema: &Value,
    pointer: &str,
    form: &FormState,
    depth: usize,
) -> Markup {
    let schema = resolved(root, schema);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = schema.get("properties").and_then(Value::as_object);
    html! {
        @if let Some(properties) = properties {
            @for (name, member) in properties {
                @let member_pointer = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                (member_field(web, profile, root, member, &member_pointer, name, required.contains(&name.as_str()), form, depth))
            }
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one field's whole context, passed down the schema"
)]
fn member_field(
    web: &Web,
    profile: &CompiledProfile,
    root: &Value,
    member: &Value,
    pointer: &str,
    name: &str,
    required: bool,
    form: &FormState,
    depth: usize,
) -> Markup {
    let member = resolved(root, member);
    let segments: Vec<String> = parse_pointer(pointer).unwrap_or_default();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    // The profile's label and description when the field is one of its own, else the name.
    let spec = profile.field_at(&segments).filter(|spec| spec.pointer == pointer);
    let label = spec.map_or_else(
        || member.get("title").and_then(Value::as_str).unwrap_or(name).to_owned(),
        |spec| spec.label.get(web.language.tag()).to_owned(),
    );
    let description = spec
        .and_then(|spec| spec.description.as_ref())
        .map(|description| description.get(web.language.tag()).to_owned())
        .or_else(|| member.get("description").and_then(Value::as_str).map(str::to_owned));
    let unit = spec.and_then(|spec| spec.unit.clone());
    let id = field_id(pointer);
    let messages = form.messages_at(web.language, &format!("/data{pointer}"));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let mut ids = Vec::new();
        if description.is_some() || unit.is_some() {
            ids.push(hint_id.clone());
        }
        if !messages.is_empty() {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let invalid = (!messages.is_empty()).then_some("true");
    let types = types_of(member);
    let is_object = types == ["object"] && member.get("properties").is_some() && depth < MAX_NESTING;
    let enumeration: Option<Vec<String>> = member.get("enum").and_then(Value::as_array).map(|values| {
        values
            .iter()
            .map(|value| value.as_str().map_or_else(|| value.to_string(), str::to_owned))
            .collect()
    });
    let simple = types
        .iter()
        .all(|kind| matches!(*kind, "string" | "number" | "integer" | "boolean" | "null"))
        && !types.is_empty();
    let name_attribute = format!("data{pointer}");
    let required_mark = html! { @if required { " " span.required { "(" (web.t(REQUIRED)) ")" } } };
    let hint = html! {
        @if description.is_some() || unit.is_some() {
            p.hint #(hint_id) {
                @if let Some(description) = &description { (description) }
                @if let Some(unit) = &unit { " [" (unit) "]" }
            }
        }
    };
    let errors = html! {
        @if !messages.is_empty() { p.field-error #(error_id) { (messages.join(" ")) } }
    };
    if is_object {
        return html! {
            fieldset #(id) aria-describedby=[described.as_deref()] {
                legend { (label) (required_mark) }
                (hint)
                (errors)
                (object_fields(web, profile, root, member, pointer, form, depth + 1))
            }
        };
    }
    let value = text_at(form, pointer, !simple);
    html! {
        div.field {
            label for=(id) { (label) (required_mark) }
            (hint)
            @if let Some(choices) = &enumeration {
                select #(id) name=(name_attribute) aria-invalid=[invalid] aria-describedby=[described.as_deref()] {
                    option value="" { "—" }
                    @for choice in choices {
                        option value=(choice) selected[*choice == value] { (choice) }
                    }
                }
            } @else if types.contains(&"boolean") && simple {
                select #(id) name=(name_attribute) aria-invalid=[invalid] aria-describedby=[described.as_deref()] {
                    option value="" { "—" }
                    option value="true" selected[value == "true"] { (web.t(YES)) }
                    option value="false" selected[value == "false"] { (web.t(NO)) }
                }
            } @else if simple {
                @let numeric = types.contains(&"number") || types.contains(&"integer");
                @let kind = if member.get("format").and_then(Value::as_str) == Some("date") { "date" } else { "text" };
                input #(id) type=(kind) name=(name_attribute) value=(value) inputmode=[numeric.then_some("decimal")]
                    aria-invalid=[invalid] aria-describedby=[described.as_deref()];
            } @else {
                textarea #(id) name=(name_attribute) rows="4" cols="60" aria-invalid=[invalid] aria-describedby=[described.as_deref()] { (value) }
                p.hint { (web.t(JSON_HINT)) }
            }
            (errors)
        }
    }
}
