//! Sign-in (`/app/sign-in`) with the platform's own user accounts and sessions (the same
//! password check and sessions as `POST /auth/login`), sign-out, and the language switch.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::Form;
use maud::html;
use serde::Deserialize;

use junkan_auth::secret::digest;

use super::context::{user_actor, Problem, Web, WebResult};
use super::i18n::{language_of_tag, Text, LANGUAGE_COOKIE};
use super::layout::Nav;
use super::{safe_next, see_other};
use crate::extract::{cookie, SESSION_COOKIE};
use crate::handlers::auth::{check_password, ended_session_cookie, session_cookie, start_session};
use crate::AppState;

const TITLE: Text = ("サインイン", "Sign in");
const LEAD: Text = (
    "組織のアカウントでサインインすると、ワークスペースでパスポート・イベント・CFP・共有設定を確認できます。",
    "Sign in with your organization's account to see its passports, events, footprints and grants.",
);
const USERNAME: Text = ("ユーザー名", "User name");
const PASSWORD: Text = ("パスワード", "Password");
const SUBMIT: Text = ("サインイン", "Sign in");
const WRONG: Text = (
    "ユーザー名またはパスワードが正しくありません。",
    "The user name or password is not correct.",
);
const ENDED: Text = (
    "セッションが終了しました。もう一度サインインしてください。",
    "Your session has ended. Please sign in again.",
);
const TOO_MANY: Text = (
    "サインインの失敗が続いたため、しばらく受け付けません。少し待ってからもう一度お試しください。",
    "Too many failed sign-ins for this name. Please wait a little and try again.",
);
const SIGNED_OUT: Text = ("サインアウトしました。", "You have signed out.");
const PUBLIC_PAGES: Text = (
    "サインインせずに、公開されている循環性指標と製品パスポート（QRコードのページ）を閲覧できます。",
    "Without signing in you can read the public indicators and product passports (the QR code pages).",
);
const INDICATORS: Text = ("循環性指標を見る", "See the indicators");

/// What the sign-in page is asked to show.
#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    /// Where to go after signing in.
    #[serde(default)]
    next: Option<String>,
    /// `1` when the session ended.
    #[serde(default)]
    ended: Option<String>,
    /// `1` after signing out.
    #[serde(default)]
    signed_out: Option<String>,
}

/// `GET /app/sign-in`: the sign-in form.
pub async fn get_sign_in(web: Web, Query(query): Query<SignInQuery>) -> Response {
    let next = query.next.as_deref().and_then(safe_next).unwrap_or("/app");
    if web.signed_in.is_some() {
        return see_other(next);
    }
    let notice = if query.ended.is_some() {
        Some(ENDED)
    } else if query.signed_out.is_some() {
        Some(SIGNED_OUT)
    } else {
        None
    };
    sign_in_page(&web, next, "", notice, None)
}

fn sign_in_page(web: &Web, next: &str, username: &str, notice: Option<Text>, error: Option<Text>) -> Response {
    let body = html! {
        div.sign-in {
            h1 { (web.t(TITLE)) }
            @if let Some(notice) = notice {
                p.notice role="status" { (web.t(notice)) }
            }
            @if let Some(error) = error {
                p.error role="alert" #sign-in-error { (web.t(error)) }
            }
            p.lead { (web.t(LEAD)) }
            section {
                form method="post" action="/app/sign-in" {
                    input type="hidden" name="csrf" value=(web.form_token);
                    input type="hidden" name="next" value=(next);
                    div.field {
                        label for="username" { (web.t(USERNAME)) }
                        input #username type="text" name="username" value=(username) autocomplete="username" required autofocus[username.is_empty()] aria-describedby=[error.map(|_| "sign-in-error")];
                    }
                    div.field {
                        label for="password" { (web.t(PASSWORD)) }
                        input #password type="password" name="password" autocomplete="current-password" required autofocus[!username.is_empty()];
                    }
                    button type="submit" { (web.t(SUBMIT)) }
                }
            }
            p.muted { (web.t(PUBLIC_PAGES)) " " a href="/app/indicators" { (web.t(INDICATORS)) } }
        }
    };
    let mut response = web.page(web.t(TITLE), Nav::None, body);
    if error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
    }
    response
}

/// The sign-in form as sent.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /app/sign-in`: checks the password, starts a session, and goes on to `next`.
pub async fn post_sign_in(State(state): State<AppState>, web: Web, Form(form): Form<SignInForm>) -> WebResult {
    web.check_form(&form.csrf)?;
    let next = safe_next(&form.next).unwrap_or("/app");
    let login = match check_password(&state, form.username.trim(), &form.password).await {
        Ok(login) => login,
        Err(error) if error.status() == axum::http::StatusCode::TOO_MANY_REQUESTS => {
            let mut page = sign_in_page(&web, next, form.username.trim(), None, Some(TOO_MANY));
            *page.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            return Ok(page);
        }
        Err(_) => return Err(web.fail(Problem::Unavailable)),
    };
    let Some(login) = login else {
        return Ok(sign_in_page(&web, next, form.username.trim(), None, Some(WRONG)));
    };
    // The browser's last explicit choice of language is the user's preference from now on;
    // without one, the user's stored preference is this browser's language.
    let mut user = login.user;
    if let Some(chosen) = web.explicit_language.filter(|chosen| chosen.tag() != user.locale) {
        let actor = user_actor(&user, web.actor().request_id.clone());
        user = state
            .store
            .set_own_locale(&actor, chosen.tag())
            .await
            .map_err(|error| web.fail(Problem::from_store(error)))?;
    }
    let (session_value, _) = start_session(&state, &user)
        .await
        .map_err(|_| web.fail(Problem::Unavailable))?;
    let mut response = see_other(next);
    let headers = response.headers_mut();
    append_cookie(headers, &session_cookie(&state, &session_value));
    append_cookie(headers, &language_cookie(&user.locale, state.settings.secure_cookies));
    Ok(response)
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    csrf: String,
}

/// `POST /app/sign-out`: ends the session.
pub async fn post_sign_out(
    State(state): State<AppState>,
    web: Web,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignOutForm>,
) -> WebResult {
    web.check_form(&form.csrf)?;
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .delete_session(&digest(&value))
            .await
            .map_err(|error| web.fail(Problem::from_store(error)))?;
    }
    let mut response = see_other("/app/sign-in?signed_out=1");
    append_cookie(
        response.headers_mut(),
        &ended_session_cookie(state.settings.secure_cookies),
    );
    Ok(response)
}

/// The language switch as sent.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    csrf: String,
    lang: String,
    #[serde(default)]
    next: String,
}

/// `POST /app/language`: remembers the language in a cookie and, when signed in, as the user's
/// preference; then back to the page the switch was on.
pub async fn post_language(State(state): State<AppState>, web: Web, Form(form): Form<LanguageForm>) -> WebResult {
    web.check_form(&form.csrf)?;
    let Some(language) = language_of_tag(&form.lang) else {
        return Err(web.fail(Problem::BadRequest));
    };
    if let Some(signed_in) = &web.signed_in {
        state
            .store
            .set_own_locale(&signed_in.actor, language.tag())
            .await
            .map_err(|error| web.fail(Problem::from_store(error)))?;
    }
    let mut response = see_other(safe_next(&form.next).unwrap_or("/app"));
    append_cookie(
        response.headers_mut(),
        &language_cookie(language.tag(), state.settings.secure_cookies),
    );
    Ok(response)
}

/// The language cookie: a year, readable by the whole node (the public passport pages too).
fn language_cookie(tag: &str, secure_cookies: bool) -> String {
    let secure = if secure_cookies { "; Secure" } else { "" };
    format!("{LANGUAGE_COOKIE}={tag}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}")
}

fn append_cookie(headers: &mut axum::http::HeaderMap, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        headers.append(header::SET_COOKIE, value);
    }
}
