//! Who is looking at a page and in which language ([`Web`]), the page response with its
//! cookies, and the pages for errors ([`WebError`]).
//!
//! A browser is signed in when its `junkan_session` cookie names a live session (the same
//! sessions as `POST /auth/login`); its actor then reads through the store like an API caller.
//! Forms carry a CSRF token in a hidden field: the session's token when signed in, otherwise a
//! random per-browser token also kept in the `junkan_form` cookie (double submit), so that the
//! sign-in and language forms are protected too. A POST whose `Origin` or `Sec-Fetch-Site` names
//! another site is refused before its token is even compared.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use time::OffsetDateTime;

use junkan_auth::secret::{constant_time_eq, digest, generate_secret};
use junkan_model::organization::Organization;
use junkan_model::principal::{Actor, PrincipalKind, User};
use junkan_store::StoreError;

use super::i18n::{self, Language, Text, LANGUAGE_COOKIE};
use super::layout::{self, Nav};
use crate::extract::{cookie, SESSION_COOKIE};
use crate::handlers::auth::ended_session_cookie;
use crate::AppState;

/// The cookie holding the CSRF token of forms shown before sign-in.
pub const FORM_COOKIE: &str = "junkan_form";

/// A signed-in user of the web application.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub user: User,
    /// The organization the user acts for.
    pub organization: Organization,
    /// The actor every store call of the request is made with.
    pub actor: Actor,
    /// When the session ends.
    pub expires_at: OffsetDateTime,
}

/// The context of one web request.
#[derive(Debug, Clone)]
pub struct Web {
    /// The page's language.
    pub language: Language,
    /// The language this browser chose with the switch (its cookie), if it did.
    pub explicit_language: Option<Language>,
    /// The signed-in user, if any.
    pub signed_in: Option<SignedIn>,
    /// The CSRF token forms on this page carry.
    pub form_token: String,
    /// The path and query of this request (where the language switch and sign-in come back to).
    pub here: String,
    /// Whether the browser sent a session cookie whose session has ended.
    session_ended: bool,
    /// Whether `form_token` is new and must be set in the [`FORM_COOKIE`].
    new_form_token: bool,
    /// Whether a POST came from another site (by `Origin` or `Sec-Fetch-Site`).
    cross_site: bool,
    /// The actor of anonymous visitors, with the request id.
    anonymous: Actor,
    /// Whether cookies carry `Secure`.
    secure_cookies: bool,
}

impl FromRequestParts<AppState> for Web {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Web, WebError> {
        let headers = &parts.headers;
        let request_id = headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        // The application is nested under `/app`: the URI as the browser sent it.
        let uri = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(&parts.uri, |original| &original.0);
        let here = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |value| value.as_str().to_owned());
        let mut session_ended = false;
        let mut signed_in = None;
        let mut session_token = None;
        if let Some(value) = cookie(headers, SESSION_COOKIE) {
            match state.store.session(&digest(&value)).await {
                Ok(Some((session, user))) => {
                    let organization = match state.store.get_organization(user.organization_id).await {
                        Ok(organization) => organization,
                        Err(error) => return Err(WebError::plain(Language::Ja, Problem::from_store(error))),
                    };
                    let actor = user_actor(&user, request_id.clone());
                    session_token = Some(session.csrf_token);
                    signed_in = Some(SignedIn {
                        user,
                        organization,
                        actor,
                        expires_at: session.expires_at,
                    });
                }
                Ok(None) => session_ended = true,
                Err(error) => return Err(WebError::plain(Language::Ja, Problem::from_store(error))),
            }
        }
        let explicit_language = cookie(headers, LANGUAGE_COOKIE).and_then(|tag| i18n::language_of_tag(&tag));
        let language = i18n::choose(
            signed_in.as_ref().map(|signed_in| signed_in.user.locale.as_str()),
            explicit_language.map(Language::tag),
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok()),
        );
        let browser_token = cookie(headers, FORM_COOKIE).filter(|token| token.len() >= 32 && token.len() <= 128);
        let (form_token, new_form_token) = match (session_token, browser_token) {
            (Some(token), _) => (token, false),
            (None, Some(token)) => (token, false),
            (None, None) => (generate_secret(), true),
        };
        let cross_site = parts.method == Method::POST && is_cross_site(headers);
        Ok(Web {
            language,
            explicit_language,
            signed_in,
            form_token,
            here,
            session_ended,
            new_form_token,
            cross_site,
            anonymous: Actor {
                request_id,
                ..Actor::anonymous()
            },
            secure_cookies: state.settings.secure_cookies,
        })
    }
}

/// The actor of a signed-in user: acting for their organization with their roles.
pub fn user_actor(user: &User, request_id: Option<String>) -> Actor {
    Actor {
        kind: PrincipalKind::User,
        principal_id: user.id.to_string(),
        organization_id: Some(user.organization_id),
        roles: user.roles.clone(),
        purpose: None,
        request_id,
        grant: None,
    }
}

/// Whether a request says it comes from another site: `Sec-Fetch-Site` other than same-origin
/// or none, or an `Origin` whose host is not the `Host` it was sent to. Browsers send at least
/// one of them on every POST; the CSRF token is checked in any case.
fn is_cross_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    match (text("origin"), text("host")) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, authority)| authority) != Some(host),
        _ => false,
    }
}

impl Web {
    /// Of a Japanese and English pair, the text in the page's language.
    pub fn t(&self, text: Text) -> &'static str {
        self.language.pick(text)
    }

    /// The actor store calls are made with: the signed-in user's, or an anonymous one.
    pub fn actor(&self) -> &Actor {
        self.signed_in
            .as_ref()
            .map_or(&self.anonymous, |signed_in| &signed_in.actor)
    }

    /// The signed-in user, or the redirect to the sign-in page that comes back here.
    pub fn require_sign_in(&self) -> Result<&SignedIn, WebError> {
        self.signed_in.as_ref().ok_or_else(|| self.sign_in_redirect())
    }

    fn sign_in_redirect(&self) -> WebError {
        let mut query = vec![("next", self.here.as_str())];
        if self.session_ended {
            query.push(("ended", "1"));
        }
        let query = serde_urlencoded::to_string(&query).expect("pairs of strings always encode");
        let mut response = super::see_other(&format!("/app/sign-in?{query}"));
        self.set_cookies(response.headers_mut());
        WebError(Box::new(response))
    }

    /// Checks a form POST: same site, and the CSRF token of the form equals this browser's.
    pub fn check_form(&self, sent_token: &str) -> Result<(), WebError> {
        if self.cross_site || !constant_time_eq(sent_token, &self.form_token) || self.new_form_token {
            return Err(self.fail(Problem::Csrf));
        }
        Ok(())
    }

    /// A complete page: the layout around `body`, with the cookies this request needs.
    pub fn page(&self, title: &str, nav: Nav, body: Markup) -> Response {
        self.page_with_status(StatusCode::OK, title, nav, body)
    }

    /// A page of a form refused for its content (422), the form shown again with its problems.
    pub fn page_unprocessable(&self, title: &str, nav: Nav, body: Markup) -> Response {
        self.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, title, nav, body)
    }

    fn page_with_status(&self, status: StatusCode, title: &str, nav: Nav, body: Markup) -> Response {
        let document = layout::document(self, title, nav, body);
        let mut response = (status, maud::Render::render(&document).into_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(self.language.tag()));
        // Pages show what this user may read: never kept by shared caches or the back button's
        // disk cache after sign-out.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
        self.set_cookies(headers);
        response
    }

    /// The cookies this request must set: a new form token, the removal of an ended session.
    fn set_cookies(&self, headers: &mut HeaderMap) {
        if self.new_form_token {
            let secure = if self.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{FORM_COOKIE}={}; Path=/app; HttpOnly; SameSite=Strict{secure}",
                self.form_token
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(header::SET_COOKIE, value);
            }
        }
        if self.session_ended {
            if let Ok(value) = HeaderValue::from_str(&ended_session_cookie(self.secure_cookies)) {
                headers.append(header::SET_COOKIE, value);
            }
        }
    }

    /// The error page for `problem`.
    pub fn fail(&self, problem: Problem) -> WebError {
        let (status, title, message) = problem.describe();
        let body = html! {
            h1 { (self.t(title)) }
            p.error role="alert" { (self.t(message)) }
            p { a href="/app" { (self.t(BACK_HOME)) } }
        };
        WebError(Box::new(self.page_with_status(status, self.t(title), Nav::None, body)))
    }
}

impl Web {
    /// The error page for `problem` with a message that says more than its usual one.
    pub fn fail_with(&self, problem: Problem, message: Text) -> WebError {
        let (status, title, _) = problem.describe();
        let body = html! {
            h1 { (self.t(title)) }
            p.error role="alert" { (self.t(message)) }
            p { a href="/app" { (self.t(BACK_HOME)) } }
        };
        WebError(Box::new(self.page_with_status(status, self.t(title), Nav::None, body)))
    }
}

const BACK_HOME: Text = ("ホームへ戻る", "Back to the home page");

/// What went wrong, as the error page tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No such page or record, or one the user may not see (not told apart).
    NotFound,
    /// Signed in but not allowed.
    Forbidden,
    /// A form without its CSRF token, or sent from another site.
    Csrf,
    /// A malformed request the page cannot show.
    BadRequest,
    /// A request (an uploaded file) larger than the node accepts.
    TooLarge,
    /// A record that conflicts with a stored one.
    Conflict,
    /// The database is unreachable.
    Unavailable,
}

impl Problem {
    /// The problem a store error is for the user (causes of 5xx are logged, never shown).
    pub fn from_store(error: StoreError) -> Problem {
        match error {
            StoreError::NotFound { .. } => Problem::NotFound,
            StoreError::Forbidden { .. } => Problem::Forbidden,
            StoreError::Invalid(_) => Problem::BadRequest,
            StoreError::Conflict { .. } => Problem::Conflict,
            StoreError::Unavailable(cause) => {
                tracing::error!(error = %cause, "web page: storage unavailable");
                Problem::Unavailable
            }
        }
    }

    fn describe(self) -> (StatusCode, Text, Text) {
        match self {
            Problem::NotFound => (
                StatusCode::NOT_FOUND,
                ("見つかりません", "Not found"),
                (
                    "このページ、または閲覧できる記録はありません。",
                    "There is no such page, or no record you may see.",
                ),
            ),
            Problem::Forbidden => (
                StatusCode::FORBIDDEN,
                ("権限がありません", "Not allowed"),
                (
                    "この操作に必要な権限がありません。",
                    "Your account does not have the role this needs.",
                ),
            ),
            Problem::Csrf => (
                StatusCode::FORBIDDEN,
                ("フォームを受け付けられません", "Form refused"),
                (
                    "フォームの確認用トークンが一致しないか、別のサイトから送信されました。ページを開き直してからもう一度送信してください。",
                    "The form's verification token did not match, or it was sent from another site. Reload the page and send it again.",
                ),
            ),
            Problem::BadRequest => (
                StatusCode::BAD_REQUEST,
                ("要求を処理できません", "Bad request"),
                ("入力を確認してください。", "Please check what you entered."),
            ),
            Problem::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ("ファイルが大きすぎます", "File too large"),
                (
                    "このノードが一度に受け付ける大きさを超えています。ファイルを分けて取り込んでください。",
                    "The file is larger than this node accepts in one request. Split it into smaller files and import them one by one.",
                ),
            ),
            Problem::Conflict => (
                StatusCode::CONFLICT,
                ("登録済みの記録と競合します", "Conflict"),
                (
                    "同じ記録がすでに登録されています。",
                    "A record with the same key is already stored.",
                ),
            ),
            Problem::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ("一時的に利用できません", "Temporarily unavailable"),
                (
                    "データベースに接続できません。しばらくしてからもう一度お試しください。",
                    "The database cannot be reached. Please try again shortly.",
                ),
            ),
        }
    }
}

/// An error page (or a redirect), already rendered in the request's language.
#[derive(Debug)]
pub struct WebError(Box<Response>);

impl WebError {
    /// An error page outside a request's context (before the language is known).
    fn plain(language: Language, problem: Problem) -> WebError {
        let (status, title, message) = problem.describe();
        let body = format!(
            "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><h1>{}</h1><p>{}</p></body></html>",
            language.tag(),
            language.pick(title),
            language.pick(title),
            language.pick(message)
        );
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        WebError(Box::new(response))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The result of a page handler.
pub type WebResult = Result<Response, WebError>;

/// Store results turned into error pages in the request's language.
pub trait OrPage<T> {
    /// The value, or the error page for the store's error.
    fn or_page(self, web: &Web) -> Result<T, WebError>;
}

impl<T> OrPage<T> for Result<T, StoreError> {
    fn or_page(self, web: &Web) -> Result<T, WebError> {
        self.map_err(|error| web.fail(Problem::from_store(error)))
    }
}

/// The page for paths of the application that do not exist.
pub async fn not_found_page(web: Web) -> Response {
    web.fail(Problem::NotFound).into_response()
}
