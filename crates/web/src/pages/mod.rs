//! The server-rendered Chinese pages under `/console` (and `/login`, `/logout`): plain HTML forms
//! that work without JavaScript, askama templates checked at compile time, Post/Redirect/Get with
//! a flash message saying what each action did. Who may open a page is decided by the
//! authorisation table like every other route; how far a caller reaches is applied here as in
//! the API.

pub mod admin;
pub mod records;
pub mod session;
pub mod upload;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use probity_domain::account::AccountRole;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{Caller, Credential, constant_time_eq};
use crate::error::ApiError;

pub const FLASH_COOKIE: &str = "probity_flash";
/// How many rows a list page shows.
pub const PAGE_SIZE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/style.css", get(style))
        .merge(session::router())
        .merge(records::router())
        .merge(upload::router())
        .merge(admin::router())
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

/// Routes that answer a browser in HTML: everything but the JSON API and the machine routes.
pub fn is_page_route(path: &str) -> bool {
    !(path.starts_with("/api/")
        || matches!(path, "/healthz" | "/ping" | "/metrics" | "/openapi.json"))
}

/// A browser asks for HTML; scripts and API clients do not.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Where an unauthenticated browser goes: the login page, coming back afterwards.
pub fn login_redirect(method: &axum::http::Method, uri: &Uri) -> Response {
    // A form posted after the session ended cannot be replayed by a redirect: start over.
    let next = match (method, uri.path_and_query()) {
        (&axum::http::Method::GET, Some(p)) => p.as_str(),
        _ => "/console",
    };
    Redirect::to(&format!("/login?next={}", percent_encode(next))).into_response()
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for query values and
/// `filename*=UTF-8''…`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `next` target must stay on this site and inside the console, and be something a
/// `Location` header can carry.
pub fn safe_next(next: &str) -> &str {
    let path = next.split('?').next().unwrap_or("");
    let console = path == "/console" || path.starts_with("/console/");
    if console
        && !path.contains("//")
        && next.len() <= 2000
        && next.bytes().all(|b| b.is_ascii_graphic())
    {
        next
    } else {
        "/console"
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// A plain Chinese error page.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::FORBIDDEN => "无权访问",
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::PAYLOAD_TOO_LARGE => "文件过大",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "请求有误",
        StatusCode::CONFLICT => "操作冲突",
        StatusCode::TOO_MANY_REQUESTS => "请求过于频繁",
        _ => "系统错误",
    };
    let t = ErrorTpl {
        status: status.as_u16(),
        title,
        message,
    };
    (status, html(&t)).into_response()
}

fn html(t: &impl Template) -> Html<String> {
    match t.render() {
        Ok(s) => Html(s),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Html("<!doctype html><meta charset=utf-8><p>页面生成失败</p>".to_string())
        }
    }
}

/// An error on a page: the API's error, answered as a Chinese HTML page.
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self.0 {
            tracing::error!(%detail, "internal error");
        }
        if matches!(self.0, ApiError::Unauthorized) {
            return Redirect::to("/login").into_response();
        }
        error_page(self.0.status(), &self.0.detail().message)
    }
}

pub type PageResult = Result<Response, PageError>;

/// One link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

/// What the shared layout shows: the platform, the account and its role, the nav by role, the
/// logout button, and the flash message of the last action.
pub struct Layout {
    pub title: String,
    pub account: String,
    pub role_label: String,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    pub flash: Option<String>,
}

impl Layout {
    /// The layout of a page nobody is logged in to (the login page).
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            account: String::new(),
            role_label: String::new(),
            nav: Vec::new(),
            csrf: String::new(),
            flash: None,
        }
    }
}

fn nav(role: AccountRole) -> Vec<NavItem> {
    let item = |href, label| NavItem { href, label };
    let mut v = vec![item("/console", "工作台")];
    match role {
        AccountRole::Provider => v.extend([
            item("/console/records", "本单位报送"),
            item("/console/records/new", "填报记录"),
            item("/console/upload", "批量导入"),
        ]),
        AccountRole::Admin => v.extend([
            item("/console/review", "审核队列"),
            item("/console/records", "信用记录"),
            item("/console/records/new", "填报记录"),
            item("/console/upload", "批量导入"),
            item("/console/subjects", "主体名录"),
            item("/console/catalog", "信用信息目录"),
        ]),
        AccountRole::Unit => v.push(item("/console/file", "本单位信用档案")),
        AccountRole::Sysadmin | AccountRole::Secadmin => {
            v.push(item("/console/accounts", "账号管理"))
        }
        AccountRole::Auditor => v.extend([
            item("/console/audit", "审计日志"),
            item("/console/accounts", "账号"),
        ]),
        AccountRole::Hr | AccountRole::Unassigned => {}
    }
    if probity_store::accounts::may_hold_token(role) {
        v.push(item("/console/tokens", "接口令牌"));
    }
    v.push(item(PASSWORD_PATH, "修改密码"));
    v
}

/// The logged-in caller of a page, its CSRF token and the flash message waiting for it. An
/// administrator who still has to enrol a second factor is sent to the enrolment page first.
pub struct Ctx {
    pub caller: Caller,
    pub csrf: String,
    pub flash: Option<String>,
}

pub const TOTP_PATH: &str = "/console/totp";
/// Where an account changes its password (and must, with a one-time password).
pub const PASSWORD_PATH: &str = "/console/password";

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let Some(caller) = parts.extensions.get::<Caller>().cloned() else {
            return Err(login_redirect(&parts.method, &parts.uri));
        };
        // An account still enrolling its second factor was sent to TOTP_PATH by `authorize`.
        let csrf = match &caller.credential {
            Credential::Session { csrf, .. } => csrf.clone(),
            Credential::Token => String::new(),
        };
        let flash = read_flash(&parts.headers);
        Ok(Ctx {
            caller,
            csrf,
            flash,
        })
    }
}

impl Ctx {
    pub fn layout(&self, title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            account: self.caller.account.name.clone(),
            role_label: self.caller.role().label().to_string(),
            nav: nav(self.caller.role()),
            csrf: self.csrf.clone(),
            flash: self.flash.clone(),
        }
    }

    /// Renders a page; a flash message shown on it is cleared.
    pub fn page(&self, t: &impl Template) -> Response {
        let mut res = html(t).into_response();
        if self.flash.is_some()
            && let Ok(v) = HeaderValue::from_str(&format!(
                "{FLASH_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            ))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        res
    }

    pub fn role(&self) -> AccountRole {
        self.caller.role()
    }
}

/// Post/Redirect/Get: a 303 to `to`, whose page then says what was done.
pub fn done(to: &str, message: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=120",
        hex::encode(message.as_bytes())
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

/// A page form: the logged-in caller and the form's fields, after checking the hidden `csrf`
/// field against the session. Every POST page handler takes one.
pub struct PageForm<T> {
    pub ctx: Ctx,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let form = match axum::Form::<WithCsrf<T>>::from_request(req, state).await {
            Ok(axum::Form(f)) => f,
            Err(rej) => {
                tracing::debug!(detail = %rej.body_text(), "page form refused");
                let message = match rej.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => "表单内容过长，请精简后重新提交",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "请通过网页上的表单提交",
                    _ => "表单内容无法读取：缺少必填项或格式不对，请返回页面重新填写",
                };
                return Err(error_page(rej.status(), message));
            }
        };
        if !csrf_ok(&ctx, &form.csrf) {
            return Err(csrf_refused());
        }
        Ok(PageForm {
            ctx,
            form: form.inner,
        })
    }
}

/// Whether a form's CSRF field matches the session. A bearer token carries no ambient
/// authority, so only sessions need the token.
pub fn csrf_ok(ctx: &Ctx, sent: &str) -> bool {
    match &ctx.caller.credential {
        Credential::Session { csrf, .. } => constant_time_eq(sent.as_bytes(), csrf.as_bytes()),
        Credential::Token => true,
    }
}

/// The answer to a form whose CSRF field is missing or forged.
pub fn csrf_refused() -> Response {
    error_page(StatusCode::FORBIDDEN, &ApiError::Csrf.detail().message)
}

/// A form with nothing but its CSRF token (a button).
#[derive(Deserialize)]
pub struct Empty {}

/// An optional query value: empty means absent.
pub fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A time as stored (RFC 3339 UTC) shown in Beijing time, to the second.
pub fn local_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_string())
}

/// Query parameters of a page. A malformed query string gets a Chinese error page rather than
/// axum's plain-text English answer.
pub struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for PageQuery<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(PageQuery(v)),
            Err(rej) => {
                tracing::debug!(detail = %rej.body_text(), "page query refused");
                Err(error_page(
                    StatusCode::BAD_REQUEST,
                    "地址中的查询参数有误，请从页面上的链接或筛选表单进入",
                ))
            }
        }
    }
}

/// The message the previous action left for this page, if any.
pub fn read_flash(headers: &axum::http::HeaderMap) -> Option<String> {
    crate::auth::cookie_value(headers, FLASH_COOKIE)
        .and_then(|v| hex::decode(v).ok())
        .and_then(|b| String::from_utf8(b).ok())
}

/// 128 random bits in hex: form tokens and upload ids.
pub fn random_hex() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(hex::encode(b))
}
