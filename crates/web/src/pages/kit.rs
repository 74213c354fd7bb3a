//! What every console page is made of: the layout and navigation by role, the logged-in caller
//! of a page (`Ctx`) and its forms with their CSRF check (`PageForm`), select options, counts
//! and Excel downloads. Pages import from here, never from each other.

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use probity_domain::account::AccountRole;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{Caller, Credential, constant_time_eq};
use crate::error::ApiError;
use crate::http::{FLASH_COOKIE, PASSWORD_PATH, error_page, html, login_redirect, read_flash};

/// How many rows a list page shows.
pub const PAGE_SIZE: u32 = 50;

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
    /// The notification bell (roles that get notifications): unread notifications, when counted.
    pub bell: Option<Bell>,
}

/// The bell on every console page of a role that gets notifications.
pub struct Bell {
    /// Unread notifications; 0 as well when not counted (a form's answer, or the count failed).
    pub unread: i64,
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
            bell: None,
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
            item("/console/cases", "案件办理"),
            item("/console/statistics", "统计分析"),
            item("/console/sanctions/checks", "信用核查反馈"),
            // 区财政局 keeps the procurement registry; another department, as a purchaser, sees
            // its own contracts there.
            item("/console/commitments", "采购合同履约"),
            // A providing department is an assessed unit too: its own result.
            item("/console/assessments", "考核评价"),
        ]),
        AccountRole::Admin => v.extend([
            item("/console/review", "审核队列"),
            item("/console/cases", "案件办理"),
            item("/console/complaints/new", "投诉登记"),
            item("/console/records", "信用记录"),
            item("/console/records/new", "填报记录"),
            item("/console/upload", "批量导入"),
            item("/console/subjects", "主体名录"),
            item("/console/catalog", "信用信息目录"),
            item("/console/calendar", "工作日历"),
            item("/console/statistics", "统计分析"),
            item("/console/personnel", "公务员信用记录"),
            item("/console/eligibility", "优秀等次资格核查"),
            item("/console/assessments", "考核评价"),
            item("/console/sanctions/checks", "信用核查记录"),
            item("/console/sanctions/feedback", "核查反馈统计"),
            item("/console/commitments", "采购合同履约"),
        ]),
        AccountRole::Unit => v.extend([
            item("/console/file", "本单位信用档案"),
            item("/console/sanctions/measures", "本单位奖惩措施"),
            item("/console/commitments", "本单位采购合同"),
            item("/console/cases", "案件办理"),
            item("/console/statistics", "统计分析"),
            item("/console/assessments", "考核评价"),
        ]),
        AccountRole::Sysadmin | AccountRole::Secadmin => {
            v.push(item("/console/accounts", "账号管理"))
        }
        AccountRole::Auditor => v.extend([
            item("/console/audit", "审计日志"),
            item("/console/accounts", "账号"),
        ]),
        AccountRole::Hr => v.extend([
            item("/console/personnel", "公务员信用记录"),
            item("/console/eligibility", "优秀等次资格核查"),
            item("/console/assessments", "考核评价"),
            item("/console/sanctions/checks", "信用核查反馈"),
        ]),
        AccountRole::Unassigned => {}
    }
    if probity_store::accounts::may_hold_token(role) {
        v.push(item("/console/tokens", "接口令牌"));
    }
    v.push(item(PASSWORD_PATH, "修改密码"));
    v
}

/// Whether a role gets notifications of cases (and so the bell).
fn has_bell(role: AccountRole) -> bool {
    matches!(
        role,
        AccountRole::Admin | AccountRole::Provider | AccountRole::Unit
    )
}

/// The logged-in caller of a page, its CSRF token, the flash message waiting for it and its
/// unread notifications. An administrator who still has to enrol a second factor is sent to the
/// enrolment page first.
pub struct Ctx {
    pub caller: Caller,
    pub csrf: String,
    pub flash: Option<String>,
    /// Unread notifications, counted for the pages a role with the bell reads (`GET`); a form's
    /// answer is mostly a redirect and is not counted.
    pub unread: Option<i64>,
}

/// The caller's unread notifications: one count in the database. A failure leaves the bell
/// without a number rather than failing the page.
async fn unread_of(state: &AppState, caller: &Caller) -> Option<i64> {
    let app = state.app.clone();
    let who = caller.who();
    match crate::extract::blocking(move || Ok(probity_app::cases::unread(&app, &who)?)).await {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = ?e, "unread notifications not counted");
            None
        }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(caller) = parts.extensions.get::<Caller>().cloned() else {
            return Err(login_redirect(&parts.method, &parts.uri));
        };
        // An account still enrolling its second factor was sent to TOTP_PATH by `authorize`.
        let csrf = match &caller.credential {
            Credential::Session { csrf, .. } => csrf.clone(),
            Credential::Token => String::new(),
        };
        let flash = read_flash(&parts.headers);
        let unread = if has_bell(caller.role()) && parts.method == axum::http::Method::GET {
            unread_of(state, &caller).await
        } else {
            None
        };
        Ok(Ctx {
            caller,
            csrf,
            flash,
            unread,
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
            bell: has_bell(self.caller.role()).then_some(Bell {
                unread: self.unread.unwrap_or(0),
            }),
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

/// An `<option>` of a `<select>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The `<option>`s of a `<select>`, a blank one first when given.
pub(super) fn options(
    pairs: impl IntoIterator<Item = (String, String)>,
    current: &str,
    blank: Option<&str>,
) -> Vec<Opt> {
    let mut v: Vec<Opt> = blank
        .map(|b| Opt {
            value: String::new(),
            label: b.to_string(),
            selected: current.is_empty(),
        })
        .into_iter()
        .collect();
    v.extend(pairs.into_iter().map(|(value, label)| Opt {
        selected: value == current,
        value,
        label,
    }));
    v
}

/// A count that stopped at `cap`, as "cap+".
pub fn count_text(n: u64, cap: u32) -> String {
    if n >= u64::from(cap) {
        format!("{cap}+")
    } else {
        n.to_string()
    }
}

/// An .xlsx answer saved under `name` (an ASCII fallback for old clients).
pub fn xlsx_download(bytes: Vec<u8>, ascii: &str, name: &str) -> Response {
    download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ascii,
        name,
    )
}

/// A file to save, never to show: `Content-Disposition: attachment` with the name in UTF-8 (and
/// an ASCII fallback for old clients), its type as stored, and no sniffing of another.
pub fn download(bytes: Vec<u8>, mime: &str, ascii: &str, name: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '_' && c != '-',
            "_"
        ),
        super::percent_encode(name)
    );
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A form's problems by field, as its template shows them beside each field: several problems of
/// one field joined with '；', a problem of no particular field put at `fallback`.
pub fn field_map(
    errs: Vec<probity_domain::record::FieldError>,
    fallback: &'static str,
) -> std::collections::HashMap<&'static str, String> {
    let mut m: std::collections::HashMap<&'static str, String> = std::collections::HashMap::new();
    for e in errs {
        let key = if e.column.is_empty() {
            fallback
        } else {
            e.column
        };
        m.entry(key)
            .and_modify(|s| {
                s.push('；');
                s.push_str(&e.error.message);
            })
            .or_insert(e.error.message);
    }
    m
}

/// A file sent with a page form.
pub struct UploadedFile {
    /// The name the browser gave it (as typed by its owner: not a path to use).
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A page form sent as `multipart/form-data` with at most `LIMIT` bytes of files in all: the
/// caller, its text fields and its files by field name, after the CSRF check. For small files
/// kept whole in memory (a calendar, a case's attachment); a file of records is streamed to disk
/// by the upload page instead.
pub struct PageUpload<const LIMIT: usize> {
    pub ctx: Ctx,
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<(String, UploadedFile)>,
}

/// Text a multipart form's field may hold.
const UPLOAD_FIELD_LIMIT: usize = 16 * 1024;

impl<const LIMIT: usize> FromRequest<AppState> for PageUpload<LIMIT> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let too_large = || {
            error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("文件过大：每次最多上传 {} MB", LIMIT.div_ceil(1024 * 1024)),
            )
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > LIMIT + UPLOAD_FIELD_LIMIT * 8) {
            return Err(too_large());
        }
        let req = Request::from_parts(parts, body);
        let unreadable = || {
            error_page(
                StatusCode::BAD_REQUEST,
                "上传内容无法读取：请通过页面上的表单选择文件上传",
            )
        };
        let mut mp = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| unreadable())?;
        let mut out = PageUpload {
            ctx,
            fields: std::collections::HashMap::new(),
            files: Vec::new(),
        };
        let (mut file_bytes, mut text_bytes) = (0usize, 0usize);
        let mut csrf_checked = false;
        while let Some(mut field) = mp.next_field().await.map_err(|_| unreadable())? {
            let name = field.name().unwrap_or("").to_string();
            let file_name = field.file_name().map(str::to_string);
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                bytes.extend_from_slice(&chunk);
                if file_name.is_some() {
                    file_bytes += chunk.len();
                    if file_bytes > LIMIT {
                        return Err(too_large());
                    }
                } else {
                    text_bytes += chunk.len();
                    if bytes.len() > UPLOAD_FIELD_LIMIT || text_bytes > UPLOAD_FIELD_LIMIT * 8 {
                        return Err(error_page(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "表单内容过长，请精简后重新提交",
                        ));
                    }
                }
            }
            match file_name {
                // A file input left empty still sends a part with an empty name.
                Some(f) if f.is_empty() && bytes.is_empty() => {}
                Some(file_name) => out.files.push((name, UploadedFile { file_name, bytes })),
                None => {
                    let value = String::from_utf8_lossy(&bytes).into_owned();
                    if name == "csrf" {
                        if !csrf_ok(&out.ctx, &value) {
                            return Err(csrf_refused());
                        }
                        csrf_checked = true;
                    }
                    out.fields.insert(name, value);
                }
            }
        }
        if !csrf_checked && !csrf_ok(&out.ctx, "") {
            return Err(csrf_refused());
        }
        Ok(out)
    }
}

/// The form a unit disputes its assessment result with (对结果提出异议), on its result page and
/// on the page that shows the form again with its problems.
pub struct DisputeFormView {
    pub action: String,
    pub published_on: String,
    pub last_day: String,
    /// The working days a dispute may be filed in, and the credit office's days to answer.
    pub window_days: u32,
    pub answer_days: u32,
    pub indicators: Vec<DisputeIndicatorOpt>,
    pub reasons: String,
    pub errors: std::collections::HashMap<&'static str, String>,
    /// The unit's dispute of the period being handled: a link instead of the form.
    pub open_case: Option<i64>,
}

/// An indicator to tick on the dispute form (field `ind_<code>`).
pub struct DisputeIndicatorOpt {
    pub code: String,
    pub name: String,
    pub checked: bool,
}

/// The form field of an indicator ticked on the dispute form.
pub const DISPUTE_INDICATOR_FIELD: &str = "ind_";

impl DisputeFormView {
    /// The form for `window`, posting to `action`, with what was typed and its problems when it
    /// comes back refused.
    pub fn new(
        action: String,
        window: &probity_app::assessment_dispute::Window,
        ticked: &[String],
        reasons: &str,
        errors: std::collections::HashMap<&'static str, String>,
    ) -> DisputeFormView {
        DisputeFormView {
            action,
            published_on: window.published_on.to_string(),
            last_day: window.last_day.to_string(),
            window_days: window.window_days,
            answer_days: window.answer_days,
            indicators: window
                .indicators
                .iter()
                .map(|(code, name)| DisputeIndicatorOpt {
                    checked: ticked.contains(code),
                    code: code.clone(),
                    name: name.clone(),
                })
                .collect(),
            reasons: reasons.to_string(),
            errors,
            open_case: window.open_case,
        }
    }
}
