//! The JSON API under `/api/v1`. Handlers translate between HTTP and the store; who may call
//! what is decided by the authorisation table before a handler runs, and how far a caller reaches
//! (its own records, its own file) is applied here from `Caller::reach`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use probity_domain::account::AccountRole;
use probity_domain::authz::Reach;
use probity_domain::catalog::Category;
use probity_domain::record::{Action, RecordRow, RecordState};
use probity_store::accounts::{Account, LoginError};
use probity_store::{
    Channel, Created, Cursor, ImportOptions, RecordFilter, RecordOrder, StoreError, StoredRecord,
    Subject,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Caller, Credential, SESSION_COOKIE};
use crate::error::{ApiError, ErrorBody, FieldIssue};
use crate::extract::{Body, Params, blocking, parse_id};
use crate::reach::{reach_filter, shows, visible_record};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(list_subjects))
        .routes(routes!(get_subject))
        .routes(routes!(list_catalog))
        .routes(routes!(put_category))
        .routes(routes!(list_records, create_record))
        .routes(routes!(import_records))
        .routes(routes!(get_record, correct_record))
        .routes(routes!(submit_record))
        .routes(routes!(activate_record))
        .routes(routes!(send_back_record))
        .routes(routes!(revoke_record))
        .routes(routes!(record_audit))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(set_account_role))
        .routes(routes!(disable_account))
        .routes(routes!(enable_account))
        .routes(routes!(unlock_account))
        .routes(routes!(reset_account_password))
        .routes(routes!(reset_account_totp))
        .routes(routes!(audit_log))
}

// ---------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    /// admin, provider, unit, hr, sysadmin, secadmin, auditor, unassigned (待授权)
    pub role: String,
    pub role_label: String,
    pub unit_id: Option<i64>,
    pub totp_enabled: bool,
    /// The role needs a second factor that is not enrolled yet.
    pub totp_pending: bool,
    pub disabled: bool,
    /// The password is a one-time password its holder must change before anything else.
    pub password_change_required: bool,
    /// The end of the last lockout (for some client), RFC 3339; it may lie in the past.
    pub locked_until: Option<String>,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        AccountView {
            id: a.id,
            name: a.name.clone(),
            role: a.role.code().to_string(),
            role_label: a.role.label().to_string(),
            unit_id: a.unit_id,
            totp_enabled: a.totp_enabled,
            totp_pending: a.totp_pending,
            disabled: a.disabled,
            password_change_required: a.password_change_required,
            locked_until: a.locked_until.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub short_name: Option<String>,
    pub uscc: Option<String>,
    /// Masked: never the whole number.
    pub id_number: Option<String>,
    pub parent_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position: Option<String>,
    pub successor_id: Option<i64>,
}

impl From<&Subject> for SubjectView {
    fn from(s: &Subject) -> Self {
        SubjectView {
            id: s.id,
            kind: s.kind.code().to_string(),
            kind_label: s.kind.label().to_string(),
            name: s.name.clone(),
            short_name: s.short_name.clone(),
            uscc: s.uscc.clone(),
            id_number: s.id_masked.clone(),
            parent_id: s.parent_id,
            unit_id: s.unit_id,
            position: s.position.clone(),
            successor_id: s.successor_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: String,
    pub provider_id: i64,
    pub category: String,
    pub kind: String,
    pub document_no: String,
    pub decided_on: String,
    pub authority: String,
    pub facts: String,
    pub basis: Option<String>,
    pub outcome: String,
    pub severity: Option<String>,
    pub scope: String,
    pub disclosure_until: String,
    pub state: String,
    pub state_label: String,
    /// How it arrived: file, form, api, exchange.
    pub channel: String,
    pub source: String,
    pub source_row: Option<i64>,
    pub submitted_by: String,
    pub first_seen: String,
    pub last_seen: String,
    pub seen_count: i64,
    /// Change-feed sequence number of its last change.
    pub last_seq: i64,
}

impl From<&StoredRecord> for RecordView {
    fn from(r: &StoredRecord) -> Self {
        RecordView {
            id: r.id,
            subject_id: r.subject_id,
            subject_name: r.subject_name.clone(),
            provider_id: r.provider_id,
            category: r.category.clone(),
            kind: r.kind.code().to_string(),
            document_no: r.document_no.clone(),
            decided_on: r.decided_on.clone(),
            authority: r.authority.clone(),
            facts: r.facts.clone(),
            basis: r.basis.clone(),
            outcome: r.outcome.clone(),
            severity: r.severity.map(|s| s.code().to_string()),
            scope: r.scope.code().to_string(),
            disclosure_until: r.disclosure_until.clone(),
            state: r.state.code().to_string(),
            state_label: r.state.label().to_string(),
            channel: r.channel.clone(),
            source: r.source.clone(),
            source_row: r.source_row,
            submitted_by: r.submitted_by.clone(),
            first_seen: r.first_seen.clone(),
            last_seen: r.last_seen.clone(),
            seen_count: r.seen_count,
            last_seq: r.last_seq,
        }
    }
}

/// What a list shows of a record; `GET /api/v1/records/{id}` gives the whole record. It borrows
/// from the store's summary, so that a page is written out without copying its texts.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordSummaryView<'a> {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: &'a str,
    pub provider_id: i64,
    pub category: &'a str,
    pub kind: &'static str,
    pub document_no: &'a str,
    pub decided_on: &'a str,
    pub severity: Option<&'static str>,
    pub scope: &'static str,
    pub disclosure_until: &'a str,
    pub state: &'static str,
    pub state_label: &'static str,
    pub last_seq: i64,
}

impl<'a> From<&'a probity_store::SummaryRef<'_>> for RecordSummaryView<'a> {
    fn from(r: &'a probity_store::SummaryRef<'_>) -> Self {
        RecordSummaryView {
            id: r.id,
            subject_id: r.subject_id,
            subject_name: &r.subject_name,
            provider_id: r.provider_id,
            category: &r.category,
            kind: r.kind.code(),
            document_no: &r.document_no,
            decided_on: &r.decided_on,
            severity: r.severity.map(|s| s.code()),
            scope: r.scope.code(),
            disclosure_until: &r.disclosure_until,
            state: r.state.code(),
            state_label: r.state.label(),
            last_seq: r.last_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage<'a> {
    pub items: Vec<RecordSummaryView<'a>>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

// ---------------------------------------------------------------------------------------------
// Authentication

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

/// Logs in with name and password (plus TOTP where the role requires it) and sets the session
/// cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: crate::auth::PeerAddr,
    Body(req): Body<LoginRequest>,
) -> Result<Response, ApiError> {
    if let Err(wait) = state.login_limiter.check(&crate::auth::client_key(
        &headers,
        peer,
        &state.config.trusted_proxies,
    )) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let client = crate::auth::client_key(&headers, peer, &state.config.trusted_proxies);
    let store = state.store.clone();
    let ttl = state.config.session_ttl;
    let (account, session) = blocking(move || {
        let now = chrono::Utc::now();
        let account =
            match store.login_from(&req.name, &req.password, req.totp.as_deref(), &client, now) {
                Ok(a) => a,
                Err(LoginError::Store(e)) => return Err(e.into()),
                Err(e) => {
                    let status = match e {
                        LoginError::Disabled => StatusCode::FORBIDDEN,
                        _ => StatusCode::UNAUTHORIZED,
                    };
                    return Err(ApiError::Denied {
                        status,
                        code: e.code(),
                        message: e.message(),
                    });
                }
            };
        let session = store.create_session(account.id, ttl, now)?;
        Ok((account, session))
    })
    .await?;
    let cookie = crate::auth::session_cookie(&state.config, &session.token);
    let body = LoginResponse {
        account: (&account).into(),
        csrf_token: session.csrf,
    };
    let mut res = Json(body).into_response();
    if let Ok(v) = cookie.parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Credential::Session { token, .. } = caller.credential {
        let store = state.store.clone();
        state.identities.forget_session(&token);
        blocking(move || Ok(store.end_session(&token)?)).await?;
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
    peer: crate::auth::PeerAddr,
    caller: Caller,
    Body(req): Body<PasswordRequest>,
) -> Result<Response, ApiError> {
    let client = crate::auth::client_key(&headers, peer, &state.config.trusted_proxies);
    let store = state.store.clone();
    let ttl = state.config.session_ttl;
    let id = caller.account.id;
    let (account, session) = blocking(move || {
        let now = chrono::Utc::now();
        let a = store.change_password(id, &req.current, &req.new, &client, now)?;
        Ok((a.clone(), store.create_session(a.id, ttl, now)?))
    })
    .await?;
    state.identities.forget_all();
    let cookie = crate::auth::session_cookie(&state.config, &session.token);
    let mut res = Json(LoginResponse {
        account: (&account).into(),
        csrf_token: session.csrf,
    })
    .into_response();
    if let Ok(v) = cookie.parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Subjects and catalog

/// The roster.
#[utoipa::path(get, path = "/api/v1/subjects", tag = "subjects", responses((status = 200, body = Vec<SubjectView>)))]
async fn list_subjects(State(state): State<AppState>) -> Result<Json<Vec<SubjectView>>, ApiError> {
    let store = state.store.clone();
    let subjects = blocking(move || Ok(store.subjects()?)).await?;
    Ok(Json(subjects.iter().map(SubjectView::from).collect()))
}

/// One subject. An assessed unit sees only itself and its predecessors.
#[utoipa::path(get, path = "/api/v1/subjects/{id}", tag = "subjects", params(("id" = i64, Path)),
    responses((status = 200, body = SubjectView), (status = 404, body = ErrorBody)))]
async fn get_subject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SubjectView>, ApiError> {
    let id = parse_id(&id)?;
    let store = state.store.clone();
    let subject = blocking(move || {
        if caller.reach == Reach::OwnFile {
            let own = caller
                .unit()
                .map(|u| store.lineage(u))
                .transpose()?
                .unwrap_or_default();
            // Another unit answers like a missing one: its existence is not the caller's business.
            if !own.contains(&id) {
                return Err(ApiError::NotFound(format!("未找到：主体 {id}")));
            }
        }
        Ok(store.subject(id)?)
    })
    .await?;
    Ok(Json((&subject).into()))
}

/// The catalog of record categories.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog", responses((status = 200, body = Vec<Object>)))]
async fn list_catalog(State(state): State<AppState>) -> Result<Json<Vec<Category>>, ApiError> {
    let store = state.store.clone();
    let catalog = blocking(move || Ok(store.catalog()?)).await?;
    Ok(Json(catalog.categories().to_vec()))
}

/// Adds or changes a category (credit office).
#[utoipa::path(put, path = "/api/v1/catalog/{code}", tag = "catalog", params(("code" = String, Path)),
    request_body = Object, responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
async fn put_category(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Body(cat): Body<Category>,
) -> Result<Json<Category>, ApiError> {
    if cat.code != code {
        return Err(ApiError::bad_request(
            "CODE_MISMATCH",
            "路径中的类别代码与内容不一致",
        ));
    }
    let store = state.store.clone();
    blocking(move || {
        store.save_category(&cat, &caller.actor())?;
        Ok(Json(cat))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Records

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    /// draft, submitted, active, objected, repaired, expired, revoked
    pub state: Option<String>,
    pub category: Option<String>,
    pub document_no: Option<String>,
    pub provider_id: Option<i64>,
    pub subject_id: Option<i64>,
    /// The `next_cursor` of the previous page (read with the same `sort`).
    pub before: Option<String>,
    /// id_desc (newest first, default), id_asc (oldest first) or decided_desc (latest decision first)
    pub sort: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// Records in the order asked for (newest first by default), with filters and cursor pagination. Providers see what they provided,
/// units their own file.
#[utoipa::path(get, path = "/api/v1/records", tag = "records", params(RecordQuery),
    responses((status = 200, body = RecordPage), (status = 400, body = ErrorBody)))]
async fn list_records(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<RecordQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "QUERY_INVALID",
            "limit 应在 1 到 200 之间",
        ));
    }
    let status = match &q.state {
        Some(s) => Some(RecordState::parse(s)?),
        None => None,
    };
    let order = match q.sort.as_deref() {
        None => RecordOrder::Newest,
        Some(s) => RecordOrder::parse(s).ok_or_else(|| {
            ApiError::bad_request("QUERY_INVALID", "sort 应为 id_desc、id_asc 或 decided_desc")
        })?,
    };
    let at = match q.before.as_deref() {
        None => None,
        Some(b) => Some(Cursor::parse(order, b).ok_or_else(|| {
            ApiError::bad_request("QUERY_INVALID", "before 不是本排序方式下的翻页位置")
        })?),
    };
    let store = state.store.clone();
    let body = blocking(move || {
        let mut f = RecordFilter {
            provider_id: q.provider_id,
            subject_ids: q.subject_id.map(|s| vec![s]),
            state: status,
            category: q.category.clone(),
            document_no: q.document_no.clone(),
            in_subject_file: false,
        };
        reach_filter(&store, &caller, &mut f)?;
        // Each record is written out as it is read, from the database's own buffers; only the
        // finished body crosses back to the async side. One more row than asked says whether
        // there is a next page. `reach_filter` leaves out in the database what the caller may
        // not see, so pages are full; `shows` stays as a second fence, and the cursor is built
        // only from a row that was shown: an empty page has none, and none names a hidden row.
        let mut page = PageWriter::with_rows(limit as usize);
        let (mut read, mut more, mut last) = (0u32, false, None);
        store.visit_summaries(&f, order, at.as_ref(), limit + 1, |r| {
            if read == limit {
                more = true;
                return Ok(());
            }
            read += 1;
            if shows(&caller, r.state) {
                last = Some((r.id, r.decided_on.to_string()));
                page.push(&RecordSummaryView::from(r))?;
            }
            Ok(())
        })?;
        let next_cursor = last
            .filter(|_| more)
            .map(|(id, day)| Cursor::past(order, id, &day).encode());
        page.finish(next_cursor.as_deref())
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Writes a [`RecordPage`] one item at a time, so that the items need not outlive the rows they
/// borrow from. The test below holds it to what serde writes for the whole page.
struct PageWriter {
    out: Vec<u8>,
    items: usize,
}

impl PageWriter {
    fn with_rows(rows: usize) -> PageWriter {
        // About 400 bytes a row: one allocation, no regrowing copies.
        let mut out = Vec::with_capacity(256 + rows * 512);
        out.extend_from_slice(br#"{"items":["#);
        PageWriter { out, items: 0 }
    }

    fn push(&mut self, item: &impl Serialize) -> Result<(), probity_store::StoreError> {
        if self.items > 0 {
            self.out.push(b',');
        }
        self.items += 1;
        serde_json::to_writer(&mut self.out, item)
            .map_err(|e| probity_store::StoreError::Internal(e.to_string()))
    }

    fn finish(mut self, next_cursor: Option<&str>) -> Result<Vec<u8>, ApiError> {
        self.out.extend_from_slice(br#"],"next_cursor":"#);
        serde_json::to_writer(&mut self.out, &next_cursor)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.out.push(b'}');
        Ok(self.out)
    }
}

/// A record as a form or another system sends it. The fields are the import columns.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    pub subject_name: String,
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub id_number: String,
    pub category: String,
    pub document_no: String,
    pub decided_on: String,
    pub authority: String,
    pub facts: String,
    #[serde(default)]
    pub basis: String,
    pub outcome: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub disclosure_until: String,
    /// The credit office names the provider (short name, full name or USCC); a provider account
    /// always submits as its own unit.
    pub provider: Option<String>,
    /// Submit at once (default) or keep as a draft.
    pub submit: Option<bool>,
}

impl RecordInput {
    fn row(&self) -> RecordRow {
        RecordRow {
            subject_name: self.subject_name.clone(),
            uscc: self.uscc.clone(),
            id_number: self.id_number.clone(),
            category: self.category.clone(),
            document_no: self.document_no.clone(),
            decided_on: self.decided_on.clone(),
            authority: self.authority.clone(),
            facts: self.facts.clone(),
            basis: self.basis.clone(),
            outcome: self.outcome.clone(),
            severity: self.severity.clone(),
            scope: self.scope.clone(),
            disclosure_until: self.disclosure_until.clone(),
        }
    }
}

fn field_issues(errs: Vec<probity_domain::record::FieldError>) -> ApiError {
    let first = errs
        .first()
        .map(|e| e.error.message.clone())
        .unwrap_or_default();
    let code = errs
        .first()
        .map(|e| e.error.code.as_str())
        .unwrap_or("INVALID");
    let fields = errs
        .into_iter()
        .map(|e| FieldIssue {
            field: e.column.to_string(),
            code: e.error.code.as_str().to_string(),
            message: e.error.message,
        })
        .collect();
    ApiError::Unprocessable {
        code,
        message: first,
        fields,
    }
}

/// Submits one record (or saves a draft). Identical content sent again answers 200 with the
/// record already there.
#[utoipa::path(post, path = "/api/v1/records", tag = "records", request_body = RecordInput,
    responses((status = 201, body = RecordView), (status = 200, body = RecordView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_record(
    State(state): State<AppState>,
    caller: Caller,
    Body(input): Body<RecordInput>,
) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let created = blocking(move || {
        let provider = match (caller.role(), &input.provider) {
            (AccountRole::Provider, _) => store.subject(
                caller
                    .unit()
                    .ok_or_else(|| ApiError::Forbidden("账号未绑定单位".into()))?,
            )?,
            (_, Some(p)) => store.find_unit(p)?,
            (_, None) => {
                return Err(ApiError::bad_request(
                    "PROVIDER_REQUIRED",
                    "请指定报送单位（provider）",
                ));
            }
        };
        let today = probity_app::today();
        let catalog = store.catalog()?;
        let rec = input
            .row()
            .validate(&catalog, today)
            .map_err(field_issues)?;
        let opts = ImportOptions {
            provider,
            actor: caller.actor(),
            channel: Channel::Api,
            source: "POST /api/v1/records".into(),
            activate: false,
            all_or_nothing: false,
        };
        Ok(store.create_record(opts, rec, input.submit == Some(false))?)
    })
    .await?;
    match created {
        Created::New(r) => Ok((StatusCode::CREATED, Json(RecordView::from(&r))).into_response()),
        Created::Existing(r) => Ok((StatusCode::OK, Json(RecordView::from(&r))).into_response()),
        Created::Rejected(errs) => Err(field_issues(errs)),
    }
}

/// One record.
#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records", params(("id" = i64, Path)),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
async fn get_record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RecordView>, ApiError> {
    let id = parse_id(&id)?;
    let store = state.store.clone();
    let r = blocking(move || visible_record(&store, &caller, id)).await?;
    Ok(Json((&r).into()))
}

/// Corrects a draft or submitted record (更正).
#[utoipa::path(put, path = "/api/v1/records/{id}", tag = "records", params(("id" = i64, Path)), request_body = RecordInput,
    responses((status = 200, body = RecordView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn correct_record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<RecordInput>,
) -> Result<Json<RecordView>, ApiError> {
    let id = parse_id(&id)?;
    let store = state.store.clone();
    let r = blocking(move || {
        visible_record(&store, &caller, id)?;
        let role = caller
            .role()
            .record_role()
            .ok_or_else(|| ApiError::Forbidden("无权更正记录".into()))?;
        let today = probity_app::today();
        let rec = input
            .row()
            .validate(&store.catalog()?, today)
            .map_err(field_issues)?;
        store
            .correct_record(id, rec, role, caller.unit(), &caller.actor())?
            .map_err(field_issues)
    })
    .await?;
    Ok(Json((&r).into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// Why (required to send back or revoke).
    #[serde(default)]
    pub reason: String,
}

async fn act(
    state: AppState,
    caller: Caller,
    id: String,
    action: Action,
    reason: String,
) -> Result<Json<RecordView>, ApiError> {
    let id = parse_id(&id)?;
    if matches!(action, Action::SendBack | Action::Revoke) && reason.trim().is_empty() {
        return Err(ApiError::Unprocessable {
            code: "REASON_REQUIRED",
            message: format!("“{}”须说明理由", action.label()),
            fields: vec![],
        });
    }
    if reason.chars().count() > 500 {
        return Err(ApiError::Unprocessable {
            code: "TOO_LONG",
            message: "理由最多 500 个字符".into(),
            fields: vec![],
        });
    }
    let store = state.store.clone();
    let r = blocking(move || {
        visible_record(&store, &caller, id)?;
        let role = caller
            .role()
            .record_role()
            .ok_or_else(|| ApiError::Forbidden("无权处理记录".into()))?;
        Ok(store.transition(
            id,
            action,
            role,
            caller.unit(),
            &caller.actor(),
            reason.trim(),
        )?)
    })
    .await?;
    Ok(Json((&r).into()))
}

/// Submits a draft (报送).
#[utoipa::path(post, path = "/api/v1/records/{id}/submit", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn submit_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::Submit, b.reason).await
}

/// Activates a submitted record (审核生效, credit office).
#[utoipa::path(post, path = "/api/v1/records/{id}/activate", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn activate_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::Activate, b.reason).await
}

/// Sends a submitted record back to its provider with a reason (退回, credit office).
#[utoipa::path(post, path = "/api/v1/records/{id}/send-back", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn send_back_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::SendBack, b.reason).await
}

/// Revokes a record with a reason (撤销, credit office).
#[utoipa::path(post, path = "/api/v1/records/{id}/revoke", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn revoke_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::Revoke, b.reason).await
}

/// The record's history: every audit entry, who and when.
#[utoipa::path(get, path = "/api/v1/records/{id}/audit", tag = "records", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryView>)))]
async fn record_audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryView>>, ApiError> {
    let id = parse_id(&id)?;
    let store = state.store.clone();
    let entries = blocking(move || {
        visible_record(&store, &caller, id)?;
        Ok(store.history("record", &id.to_string())?)
    })
    .await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| HistoryView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                detail: e.detail,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Accounts (三员分立: sysadmin creates, secadmin grants roles, auditor reads)

/// The accounts.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", responses((status = 200, body = Vec<AccountView>)))]
async fn list_accounts(State(state): State<AppState>) -> Result<Json<Vec<AccountView>>, ApiError> {
    let store = state.store.clone();
    let accounts = blocking(move || Ok(store.accounts()?)).await?;
    Ok(Json(accounts.iter().map(AccountView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    pub name: String,
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
    let store = state.store.clone();
    let (account, password) = blocking(move || {
        Ok(store.create_account_one_time(
            &req.name,
            AccountRole::Unassigned,
            None,
            &caller.account,
        )?)
    })
    .await?;
    let mut res = (
        StatusCode::CREATED,
        Json(OneTimePasswordView {
            account: (&account).into(),
            one_time_password: password,
        }),
    )
        .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
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
    let identities = state.identities.clone();
    let store = state.store.clone();
    let account = blocking(move || {
        let unit = req
            .unit
            .as_deref()
            .map(|u| store.find_unit(u))
            .transpose()?
            .map(|s| s.id);
        store.set_role(id, role, unit, &caller.account)?;
        identities.forget_all();
        Ok(store.account(id)?)
    })
    .await?;
    Ok(Json((&account).into()))
}

/// One change to an account by an administrator, answered with the account as it now is.
async fn account_change(
    state: &AppState,
    caller: Caller,
    id: &str,
    change: impl FnOnce(&probity_store::Store, i64, &Account) -> Result<Account, StoreError>
    + Send
    + 'static,
) -> Result<Json<AccountView>, ApiError> {
    let id = parse_id(id)?;
    let store = state.store.clone();
    let account = blocking(move || Ok(change(&store, id, &caller.account)?)).await?;
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
    account_change(&state, caller, &id, |s, id, by| {
        s.set_disabled(id, true, by)
    })
    .await
}

/// Re-enables an account (system administrator).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/enable", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn enable_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    account_change(&state, caller, &id, |s, id, by| {
        s.set_disabled(id, false, by)
    })
    .await
}

/// Lifts a lockout before it runs out (system administrator).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unlock_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    account_change(&state, caller, &id, |s, id, by| s.unlock(id, by)).await
}

/// Resets a lost authenticator (security administrator): the holder enrols again.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-totp", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reset_account_totp(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    account_change(&state, caller, &id, |s, id, by| s.reset_totp(id, by)).await
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
    let store = state.store.clone();
    let (account, password) = blocking(move || {
        let password = store.reset_password(id, &caller.account)?;
        Ok((store.account(id)?, password))
    })
    .await?;
    state.identities.forget_all();
    let mut res = Json(OneTimePasswordView {
        account: (&account).into(),
        one_time_password: password,
    })
    .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
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
    let store = state.store.clone();
    let entries = blocking(move || Ok(store.journal_page(q.after.unwrap_or(0), limit)?)).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| HistoryView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                detail: e.detail,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Upload

/// Largest file the import accepts.
pub const UPLOAD_LIMIT: u64 = 100 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The provider (credit office only; a provider account imports as its own unit).
    pub provider: Option<String>,
    /// Activate in the same step (credit office only).
    pub activate: Option<bool>,
    /// Commit nothing when any row is rejected.
    pub all_or_nothing: Option<bool>,
    /// csv, xlsx or jsonl; otherwise from Content-Type, else from the content.
    pub format: Option<String>,
    /// The file's name, recorded as provenance.
    pub filename: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportIssue {
    /// Row number as the official sees it in the file (the header is row 1).
    pub row: usize,
    pub column: String,
    /// The column's Chinese header.
    pub header: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// True when `all_or_nothing` undid the import because a row was rejected.
    pub rolled_back: bool,
    /// Every rejected row with its column and reason (at most 10,000).
    pub errors: Vec<ImportIssue>,
}

/// Imports a file of records (CSV in UTF-8 or GBK, XLSX, JSONL) sent as the request body, with
/// the same row-level report as `probity records import`.
#[utoipa::path(post, path = "/api/v1/records/import", tag = "records", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "The file, as is."),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_records(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Params(q): Params<ImportQuery>,
    body: axum::body::Body,
) -> Result<Json<ImportReport>, ApiError> {
    if q.activate == Some(true) && caller.role() != AccountRole::Admin {
        return Err(ApiError::Forbidden(
            "只有信用办可以在导入时直接审核生效".into(),
        ));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > UPLOAD_LIMIT) {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: UPLOAD_LIMIT,
        });
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ext = match (q.format.as_deref(), content_type) {
        (Some("csv"), _) => "csv",
        (Some("xlsx"), _) => "xlsx",
        (Some("jsonl"), _) => "jsonl",
        (Some(other), _) => {
            return Err(ApiError::bad_request(
                "FORMAT_INVALID",
                format!(
                    "不支持的格式：{}（应为 csv、xlsx 或 jsonl）",
                    crate::extract::truncate(other, 20)
                ),
            ));
        }
        (None, ct) if ct.starts_with("text/csv") => "csv",
        (None, ct) if ct.contains("spreadsheetml") => "xlsx",
        (None, ct) if ct.contains("ndjson") || ct.contains("jsonl") => "jsonl",
        (None, _) => "upload",
    };
    // Stream the body to a file, refusing it as soon as it passes the limit.
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(format!("temp dir: {e}")))?;
    let path = dir.path().join(format!("upload.{ext}"));
    {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::Internal(format!("upload file: {e}")))?;
        let mut stream = body.into_data_stream();
        let mut total: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|_| ApiError::bad_request("BODY_UNREADABLE", "上传中断，请重新上传"))?;
            total += chunk.len() as u64;
            if total > UPLOAD_LIMIT {
                return Err(ApiError::PayloadTooLarge {
                    limit_bytes: UPLOAD_LIMIT,
                });
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::Internal(format!("upload write: {e}")))?;
        }
        file.flush()
            .await
            .map_err(|e| ApiError::Internal(format!("upload flush: {e}")))?;
    }
    let store = state.store.clone();
    let metrics = state.metrics.clone();
    let summary = blocking(move || {
        let provider = match (caller.role(), &q.provider) {
            (AccountRole::Provider, _) => {
                let unit = caller
                    .unit()
                    .ok_or_else(|| ApiError::Forbidden("账号未绑定单位".into()))?;
                store.subject(unit)?.uscc.unwrap_or_default()
            }
            (_, Some(p)) => p.clone(),
            (_, None) => {
                return Err(ApiError::bad_request(
                    "PROVIDER_REQUIRED",
                    "请指定报送单位（provider）",
                ));
            }
        };
        let args = probity_app::import::RecordImportArgs {
            file: &path,
            provider: &provider,
            activate: q.activate == Some(true),
            all_or_nothing: q.all_or_nothing == Some(true),
            errors: None,
            batch_size: 10_000,
            actor: caller.actor(),
            today: probity_app::today(),
            progress: None,
            channel: Channel::Api,
        };
        let result = probity_app::import::import_records_showing(&store, args, 10_000);
        drop(dir);
        match result {
            Ok(s) => {
                metrics.count_import(s.accepted, s.duplicates, s.rejected);
                Ok(s)
            }
            Err(probity_app::import::ImportFailure::File(e)) => Err(ApiError::Unprocessable {
                code: e.code,
                message: format!("无法读取文件：{}", e.message),
                fields: vec![],
            }),
            Err(probity_app::import::ImportFailure::Store(e)) => Err(ApiError::from(e)),
        }
    })
    .await?;
    let columns = probity_app::columns::RECORDS;
    Ok(Json(ImportReport {
        accepted: summary.accepted,
        duplicates: summary.duplicates,
        rejected: summary.rejected,
        rolled_back: summary.rolled_back,
        errors: summary
            .shown
            .iter()
            .map(|r| ImportIssue {
                row: r.row,
                column: r.column.to_string(),
                header: probity_app::columns::header_of(columns, r.column).to_string(),
                code: r.code.clone(),
                message: r.message.clone(),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn summary(id: i64, name: &str) -> probity_store::SummaryRef<'_> {
        probity_store::SummaryRef {
            id,
            subject_id: 7,
            subject_name: Cow::Borrowed(name),
            provider_id: 3,
            category: Cow::Borrowed("PAYMENT_ARREARS"),
            kind: probity_domain::catalog::RecordKind::Dishonest,
            document_no: Cow::Borrowed("津滨财〔2025〕1号"),
            decided_on: Cow::Borrowed("2025-06-01"),
            severity: None,
            scope: probity_domain::catalog::Scope::Public,
            disclosure_until: Cow::Borrowed("2028-06-01"),
            state: RecordState::Active,
            last_seq: 42,
        }
    }

    /// The page written item by item is exactly what serde writes for the whole page, with no
    /// items, one, or several, with and without a next cursor, and with text that needs escaping.
    #[test]
    fn the_page_writer_writes_what_the_schema_describes() {
        let rows = [
            summary(3, "新河街道"),
            summary(2, "名称含\"引号\"与\\反斜杠\n"),
            summary(1, "<b>大沽</b>"),
        ];
        for n in 0..=rows.len() {
            for next in [None, Some("2025-06-01_17")] {
                let mut w = PageWriter::with_rows(n);
                for r in &rows[..n] {
                    w.push(&RecordSummaryView::from(r)).unwrap();
                }
                let written = w.finish(next).unwrap();
                let whole = serde_json::to_vec(&RecordPage {
                    items: rows[..n].iter().map(RecordSummaryView::from).collect(),
                    next_cursor: next.map(str::to_string),
                })
                .unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    String::from_utf8(whole).unwrap()
                );
            }
        }
    }
}
