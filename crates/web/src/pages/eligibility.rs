//! The organisation department's eligibility checks (`/console/eligibility`): whether civil
//! servants may be rated 优秀 in a year, one person by ID number or subject id, or a whole Excel
//! list at once, shown as a table with its workbook to save (or the workbook alone), and the
//! list's template. A refused list shows every problem with its row. The rules and the wording
//! are `probity_app::eligibility`'s; each answer is a logged credit check, so both the lookup and
//! the list are forms with their CSRF token.
//!
//! A list's workbook is built from the same answers as the table and carried in the page (a
//! `data:` link to save), so that saving it does not check everyone a second time.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::Datelike;
use probity_app::AppError;
use probity_app::eligibility::{self, CheckedList, Eligibility, ListOutcome, RowAnswer};
use probity_domain::account::AccountRole;
use serde::Deserialize;

use super::kit::{Ctx, Empty, Layout, PageForm, PageUpload, xlsx_download};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{PageError, PageResult, error_page};

/// A list file, whole in memory: `eligibility::MAX_FILE_BYTES`.
const FILE_LIMIT: usize = eligibility::MAX_FILE_BYTES as usize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/eligibility", get(page).post(lookup))
        .route(
            "/console/eligibility/list",
            axum::routing::post(list).layer(DefaultBodyLimit::max(FILE_LIMIT + 1024 * 1024)),
        )
        .route("/console/eligibility/template.xlsx", get(template))
}

struct MeasureRow {
    name: String,
    basis: String,
    department: String,
    until: String,
}

struct OneView {
    name: String,
    id_masked: String,
    unit: String,
    position: String,
    year: i32,
    eligible: bool,
    result: &'static str,
    reasons: Vec<String>,
    measures: Vec<MeasureRow>,
    records: Vec<i64>,
    check_no: String,
}

impl From<Eligibility> for OneView {
    fn from(e: Eligibility) -> Self {
        OneView {
            result: e.result_label(),
            name: e.name,
            id_masked: e.id_masked,
            unit: e.unit,
            position: e.position,
            year: e.year,
            eligible: e.eligible,
            reasons: e.reasons,
            measures: e
                .measures
                .into_iter()
                .map(|m| MeasureRow {
                    name: m.name,
                    basis: m.basis,
                    department: m.department,
                    until: m.until.map_or_else(|| "—".into(), |d| d.to_string()),
                })
                .collect(),
            records: e.records,
            check_no: e.check_no,
        }
    }
}

struct ProblemRow {
    row: usize,
    header: &'static str,
    message: String,
}

struct ListRowView {
    seq: usize,
    name: String,
    id_masked: String,
    unit: String,
    result: &'static str,
    /// The result's colour: good, bad or warn.
    tag: &'static str,
    reasons: String,
    check_no: String,
}

struct ListView {
    year: i32,
    eligible: usize,
    not_eligible: usize,
    unregistered: usize,
    /// The workbook, as a `data:` address to save.
    href: String,
    file_name: String,
    rows: Vec<ListRowView>,
}

#[derive(Template)]
#[template(path = "eligibility.html")]
struct EligibilityTpl {
    l: Layout,
    /// The year the forms show.
    year: String,
    one: Option<OneView>,
    one_error: Option<String>,
    list_error: Option<String>,
    problems: Vec<ProblemRow>,
    list: Option<ListView>,
    /// Whether the caller may open a record's page (the credit office).
    links: bool,
    max_rows: usize,
    max_mb: u64,
}

impl EligibilityTpl {
    fn new(ctx: &Ctx, year: String) -> EligibilityTpl {
        EligibilityTpl {
            l: ctx.layout("优秀等次资格核查"),
            year,
            one: None,
            one_error: None,
            list_error: None,
            problems: Vec::new(),
            list: None,
            links: ctx.role() == AccountRole::Admin,
            max_rows: eligibility::MAX_ROWS,
            max_mb: eligibility::MAX_FILE_BYTES / (1024 * 1024),
        }
    }

    fn answer(self, ctx: &Ctx, status: StatusCode) -> Response {
        let mut res = ctx.page(&self);
        *res.status_mut() = status;
        res
    }
}

/// The year the forms start with: this year, in Beijing.
fn this_year(state: &AppState) -> String {
    state.app.today().year().to_string()
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    Ok(EligibilityTpl::new(&ctx, this_year(&state)).answer(&ctx, StatusCode::OK))
}

/// A refusal's status and message, to show beside its form; a failure stays an error page.
fn refusal(e: AppError) -> Result<(StatusCode, String), PageError> {
    match e {
        AppError::Store(_) | AppError::Other(_) => Err(e.into()),
        AppError::File(f) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("名单无法读取：{}", f.message),
        )),
        other => {
            let message = other.to_string();
            Ok((ApiError::from(other).status(), message))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct LookupForm {
    #[serde(default)]
    year: String,
    /// An ID number or a subject id; never shown back (it may be an ID number).
    #[serde(default)]
    person: String,
}

async fn lookup(State(state): State<AppState>, f: PageForm<LookupForm>) -> PageResult {
    let PageForm { ctx, form } = f;
    let mut tpl = EligibilityTpl::new(&ctx, form.year.trim().to_string());
    let app = state.app.clone();
    let who = ctx.caller.who();
    let answer = blocking(move || {
        Ok(eligibility::parse_year(&form.year)
            .and_then(|year| eligibility::check_person(&app, &who, &form.person, year)))
    })
    .await?;
    match answer {
        Ok(e) => {
            tpl.one = Some(e.into());
            Ok(tpl.answer(&ctx, StatusCode::OK))
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            tpl.one_error = Some(message);
            Ok(tpl.answer(&ctx, status))
        }
    }
}

type ListUpload = PageUpload<FILE_LIMIT>;

/// A list sent with the page's form: the table of results (and its workbook to save), or the
/// workbook alone (`output=xlsx`); a refused list shows every problem with its row.
async fn list(State(state): State<AppState>, req: Request) -> PageResult {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if !multipart {
        // Not the page's form: its CSRF token is checked first, as on every form.
        if let Err(refused) = PageForm::<Empty>::from_request(req, &state).await {
            return Ok(refused);
        }
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            "请通过页面上的表单选择名单文件上传",
        ));
    }
    let PageUpload { ctx, fields, files } = match ListUpload::from_request(req, &state).await {
        Ok(up) => up,
        Err(refused) => return Ok(refused),
    };
    let year_text = fields.get("year").cloned().unwrap_or_default();
    let as_workbook = fields.get("output").is_some_and(|o| o == "xlsx");
    let mut tpl = EligibilityTpl::new(&ctx, year_text.trim().to_string());
    let Some((_, file)) = files.into_iter().find(|(name, _)| name == "file") else {
        tpl.list_error = Some("请选择名单文件（Excel .xlsx）".into());
        return Ok(tpl.answer(&ctx, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    let outcome = blocking(move || {
        let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
        let path = dir.path().join("list.xlsx");
        std::fs::write(&path, &file.bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
        let outcome = eligibility::parse_year(&year_text)
            .and_then(|year| eligibility::check_list(&app, &who, &path, year));
        Ok(match outcome {
            Ok(ListOutcome::Checked(list)) => {
                let bytes = eligibility::list_workbook(&list)?;
                Ok(Ok((list, bytes)))
            }
            Ok(ListOutcome::Refused(problems)) => Ok(Err(problems)),
            Err(e) => Err(e),
        })
    })
    .await?;
    match outcome {
        Ok(Ok((list, bytes))) if as_workbook => Ok(xlsx_download(
            bytes,
            &format!("eligibility-{}.xlsx", list.year),
            &eligibility::result_file_name(list.year),
        )),
        Ok(Ok((list, bytes))) => {
            tpl.list = Some(list_view(list, &bytes));
            Ok(tpl.answer(&ctx, StatusCode::OK))
        }
        Ok(Err(problems)) => {
            tpl.problems = problems
                .into_iter()
                .map(|p| ProblemRow {
                    row: p.row,
                    header: p.header(),
                    message: p.message,
                })
                .collect();
            Ok(tpl.answer(&ctx, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            tpl.list_error = Some(message);
            Ok(tpl.answer(&ctx, status))
        }
    }
}

fn list_view(list: CheckedList, workbook: &[u8]) -> ListView {
    let (eligible, not_eligible, unregistered) = list.counts();
    ListView {
        year: list.year,
        eligible,
        not_eligible,
        unregistered,
        href: format!(
            "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,{}",
            base64(workbook)
        ),
        file_name: eligibility::result_file_name(list.year),
        rows: list
            .rows
            .into_iter()
            .map(|r| ListRowView {
                seq: r.seq,
                result: r.result_label(),
                tag: match &r.answer {
                    RowAnswer::Checked(e) if e.eligible => "good",
                    RowAnswer::Checked(_) => "bad",
                    RowAnswer::Unregistered => "warn",
                },
                reasons: r.reasons(),
                check_no: r.check_no().to_string(),
                unit: match &r.answer {
                    RowAnswer::Checked(e) => e.unit.clone(),
                    RowAnswer::Unregistered => String::new(),
                },
                name: r.name,
                id_masked: r.id_masked,
            })
            .collect(),
    }
}

/// Standard base64 (RFC 4648, with padding), for the workbook's `data:` address.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn template(_ctx: Ctx) -> PageResult {
    let bytes = blocking(|| Ok(eligibility::template()?)).await?;
    Ok(xlsx_download(
        bytes,
        "eligibility-template.xlsx",
        "优秀等次资格核查名单模板.xlsx",
    ))
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_is_rfc_4648() {
        for (raw, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
            (&[0xff, 0xfe, 0x00], "//4A"),
        ] {
            assert_eq!(base64(raw), encoded);
        }
    }
}
