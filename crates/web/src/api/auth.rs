//! `/api/v1/auth`: logging in and out, who is logged in, the own password.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::AccountView;
use crate::AppState;
use crate::auth::{Caller, Credential, PeerAddr, SESSION_COOKIE, client_key, cookie_value};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, blocking};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
    /// Six-digit code from the authenticator app; required for administrative roles.
    pub totp: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub account: AccountView,
    /// Send back as `X-CSRF-Token` on every state-changing request made with the session cookie.
    pub csrf_token: String,
}

/// The answer to a login or a password change: the account, its CSRF token, the session cookie.
fn logged_in(state: &AppState, l: probity_app::session::LoggedIn) -> Response {
    let cookie = crate::auth::session_cookie(&state.config, &l.session.token);
    let mut res = Json(LoginResponse {
        account: (&l.account).into(),
        csrf_token: l.session.csrf,
    })
    .into_response();
    if let Ok(v) = cookie.parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Logs in with name and password (plus TOTP where the role requires it) and sets the session
/// cookie. A session the client already holds ends, as a login on the pages ends it.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: PeerAddr,
    Body(req): Body<LoginRequest>,
) -> Result<Response, ApiError> {
    let client = client_key(&headers, peer, &state.config.trusted_proxies);
    if let Err(wait) = state.login_limiter.check(&client) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let previous = cookie_value(&headers, SESSION_COOKIE).map(str::to_string);
    if let Some(old) = &previous {
        state.identities.forget_session(old);
    }
    let app = state.app.clone();
    let ttl = state.config.session_ttl;
    let done = blocking(move || {
        Ok(probity_app::session::login(
            &app,
            probity_app::session::Login {
                name: &req.name,
                password: &req.password,
                totp: req.totp.as_deref(),
                client: &client,
                previous_session: previous.as_deref(),
                ttl,
            },
        )?)
    })
    .await?;
    Ok(logged_in(&state, done))
}

/// Ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Credential::Session { token, .. } = caller.credential {
        let app = state.app.clone();
        state.identities.forget_session(&token);
        blocking(move || Ok(probity_app::session::logout(&app, &token)?)).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) =
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0").parse()
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The logged-in account.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = AccountView)))]
async fn me(caller: Caller) -> Json<AccountView> {
    Json((&caller.account).into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub current: String,
    pub new: String,
}

/// Changes the caller's own password (修改密码), giving the current one; required first after a
/// one-time password. Every session of the account ends; the answer sets a new session cookie.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordRequest,
    responses((status = 200, body = LoginResponse), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: PeerAddr,
    caller: Caller,
    Body(req): Body<PasswordRequest>,
) -> Result<Response, ApiError> {
    let client = client_key(&headers, peer, &state.config.trusted_proxies);
    let app = state.app.clone();
    let ttl = state.config.session_ttl;
    let id = caller.account.id;
    let done = blocking(move || {
        Ok(probity_app::session::change_password(
            &app,
            id,
            &req.current,
            &req.new,
            &client,
            ttl,
        )?)
    })
    .await?;
    state.identities.forget_all();
    Ok(logged_in(&state, done))
}
