//! `/api/v1/accounts` (三员分立: the system administrator creates accounts, the security
//! administrator grants roles, the auditor reads) and `/api/v1/audit`, the audit trail.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use probity_app::accounts::Change;
use probity_domain::account::AccountRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{AccountView, HistoryView};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, Params, blocking, parse_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(set_account_role))
        .routes(routes!(set_account_contact))
        .routes(routes!(disable_account))
        .routes(routes!(enable_account))
        .routes(routes!(unlock_account))
        .routes(routes!(reset_account_password))
        .routes(routes!(reset_account_totp))
        .routes(routes!(audit_log))
}

/// An answer carrying a one-time password: no cache keeps it.
fn not_cached(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// The accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", responses((status = 200, body = Vec<AccountView>)))]
async fn list_accounts(State(state): State<AppState>) -> Result<Json<Vec<AccountView>>, ApiError> {
    let app = state.app.clone();
    let accounts = blocking(move || Ok(probity_app::accounts::list(&app)?)).await?;
    Ok(Json(accounts.iter().map(AccountView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    pub name: String,
    /// The holder's real name (姓名).
    #[serde(default)]
    pub real_name: String,
    /// A mobile number, or a landline with its area code (联系电话).
    #[serde(default)]
    pub phone: String,
    /// Where the holder's notifications are mailed (邮箱); blank or absent for no mail.
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub real_name: String,
    pub phone: String,
    /// Where the holder's notifications are mailed (邮箱); blank for no mail, absent to keep
    /// the address the account has.
    #[serde(default)]
    pub email: Option<String>,
}

/// An account just created, or whose password was just reset, with its one-time password
/// (shown this once; the holder must change it at the first login).
#[derive(Debug, Serialize, ToSchema)]
pub struct OneTimePasswordView {
    pub account: AccountView,
    pub one_time_password: String,
}

/// Creates an account (system administrator): without a role (待授权, granted by the security
/// administrator) and with a one-time password the holder must change first.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = NewAccountRequest,
    responses((status = 201, body = OneTimePasswordView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<NewAccountRequest>,
) -> Result<Response, ApiError> {
    let app = state.app.clone();
    let (account, password) = blocking(move || {
        Ok(probity_app::accounts::create(
            &app,
            &caller.account,
            &probity_app::accounts::NewAccount {
                name: req.name,
                real_name: req.real_name,
                phone: req.phone,
                email: req.email,
            },
        )?)
    })
    .await?;
    Ok(not_cached(
        (
            StatusCode::CREATED,
            Json(OneTimePasswordView {
                account: (&account).into(),
                one_time_password: password,
            }),
        )
            .into_response(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: String,
    pub unit: Option<String>,
}

/// Grants a role (security administrator).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/role", tag = "accounts", params(("id" = i64, Path)), request_body = RoleRequest,
    responses((status = 200, body = AccountView), (status = 422, body = ErrorBody)))]
async fn set_account_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<RoleRequest>,
) -> Result<Json<AccountView>, ApiError> {
    let id = parse_id(&id)?;
    let role = AccountRole::parse(&req.role)?;
    let app = state.app.clone();
    let account = blocking(move || {
        Ok(probity_app::accounts::set_role(
            &app,
            &caller.account,
            id,
            role,
            req.unit.as_deref(),
        )?)
    })
    .await?;
    state.identities.forget_all();
    Ok(Json((&account).into()))
}

/// Changes who holds a business account (system administrator): real name and phone, and the
/// e-mail address the notifications go to, all checked at once.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/contact", tag = "accounts", params(("id" = i64, Path)), request_body = ContactRequest,
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_account_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<ContactRequest>,
) -> Result<Json<AccountView>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let account = blocking(move || {
        Ok(probity_app::accounts::edit_contact(
            &app,
            &caller.account,
            id,
            &req.real_name,
            &req.phone,
            req.email.as_deref(),
        )?)
    })
    .await?;
    Ok(Json((&account).into()))
}

/// One change to an account by an administrator, answered with the account as it now is.
async fn account_change(
    state: &AppState,
    caller: Caller,
    id: &str,
    what: Change,
) -> Result<Json<AccountView>, ApiError> {
    let id = parse_id(id)?;
    let app = state.app.clone();
    let account = blocking(move || {
        Ok(probity_app::accounts::change(
            &app,
            &caller.account,
            id,
            what,
        )?)
    })
    .await?;
    state.identities.forget_all();
    Ok(Json((&account).into()))
}

/// Disables an account (system administrator): its sessions end, its tokens stop working.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/disable", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn disable_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    account_change(&state, caller, &id, Change::Disable).await
}

/// Re-enables an account (system administrator).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/enable", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn enable_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    account_change(&state, caller, &id, Change::Enable).await
}

/// Lifts a lockout before it runs out (system administrator).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unlock_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    account_change(&state, caller, &id, Change::Unlock).await
}

/// Resets a lost authenticator (security administrator): the holder enrols again.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-totp", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reset_account_totp(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    account_change(&state, caller, &id, Change::ResetTotp).await
}

/// Resets a password to a one-time password, shown once (system administrator).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-password", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = OneTimePasswordView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reset_account_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let reset = blocking(move || {
        Ok(probity_app::accounts::reset_password(
            &app,
            &caller.account,
            id,
        )?)
    })
    .await?;
    state.identities.forget_all();
    Ok(not_cached(
        Json(OneTimePasswordView {
            account: (&reset.after).into(),
            one_time_password: reset.password,
        })
        .into_response(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries after this change-feed sequence number.
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

/// The audit trail (auditor).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = Vec<HistoryView>)))]
async fn audit_log(
    State(state): State<AppState>,
    Params(q): Params<AuditQuery>,
) -> Result<Json<Vec<HistoryView>>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let app = state.app.clone();
    let entries =
        blocking(move || Ok(probity_app::audit::page(&app, q.after.unwrap_or(0), limit)?)).await?;
    Ok(Json(
        entries.into_iter().map(HistoryView::of_journal).collect(),
    ))
}
