//! HTTP plumbing shared by the pages, the public side and the authorisation middleware: whether a
//! request wants a page or JSON, Chinese error pages, cookies, flash messages and redirects, page
//! query strings. A leaf: it uses nothing else of this crate but the error type.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::error::ApiError;

pub const FLASH_COOKIE: &str = "probity_flash";

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
    let t = ErrorTpl {
        status: status.as_u16(),
        title: error_title(status),
        message,
    };
    (status, html(&t)).into_response()
}

/// An error on the public side, in the public layout (its header, search and footer), leading
/// back to the public pages rather than to the staff console.
pub fn public_error_page(status: StatusCode, message: &str) -> Response {
    let t = PublicErrorTpl {
        q: "",
        status: status.as_u16(),
        title: error_title(status),
        message,
    };
    (status, html(&t)).into_response()
}

/// Whether a path is a page of the staff console (the rest of the pages are public).
pub fn is_console_route(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/") || matches!(path, "/login" | "/logout")
}

fn error_title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::FORBIDDEN => "无权访问",
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::PAYLOAD_TOO_LARGE => "文件过大",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "请求有误",
        StatusCode::CONFLICT => "操作冲突",
        StatusCode::TOO_MANY_REQUESTS => "请求过于频繁",
        _ => "系统错误",
    }
}

#[derive(Template)]
#[template(path = "public_error.html")]
struct PublicErrorTpl<'a> {
    q: &'a str,
    status: u16,
    title: &'static str,
    message: &'a str,
}

pub fn html(t: &impl Template) -> Html<String> {
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

pub const TOTP_PATH: &str = "/console/totp";

/// Where an account changes its password (and must, with a one-time password).
pub const PASSWORD_PATH: &str = "/console/password";

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
        .map(|t| probity_domain::date::beijing_second(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| at.to_string())
}

/// `k=v&…` of the pairs whose value is not empty, each value percent-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
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
    cookie_value(headers, FLASH_COOKIE)
        .and_then(|v| hex::decode(v).ok())
        .and_then(|b| String::from_utf8(b).ok())
}

/// 128 random bits in hex: form tokens and upload ids.
pub fn random_hex() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(hex::encode(b))
}

pub fn cookie_value<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookies| {
            cookies.split(';').find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == name).then_some(v)
            })
        })
}

/// `text` as a QR code in SVG (empty, and logged, if it cannot be drawn).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(e) => {
            tracing::warn!(error = %e, "a QR code could not be drawn");
            String::new()
        }
    }
}
