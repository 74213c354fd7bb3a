//! `/api/v1/civil-servants/…/eligibility`: whether a civil servant may be rated 优秀 in a year
//! (DESIGN.md §4, §5), for the organisation department (组织人事部门) and the credit office: one
//! person by subject id, or a whole list sent as an Excel workbook and answered with one. Each
//! answer is a logged credit check; the wording and the list's rules are
//! `probity_app::eligibility`'s.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use probity_app::eligibility::{self, Eligibility, ListOutcome, RowProblem};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, FieldIssue};
use crate::extract::{Params, blocking, parse_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(person_eligibility))
        .routes(routes!(list_eligibility))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The year asked about.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    /// The year of the rating (2000 to 2100), e.g. 2026.
    pub year: Option<String>,
}

impl YearQuery {
    fn year(&self) -> Result<i32, ApiError> {
        Ok(eligibility::parse_year(self.year.as_deref().unwrap_or(""))?)
    }
}

/// A measure behind a refusal.
#[derive(Debug, Serialize, ToSchema)]
pub struct EligibilityMeasure {
    pub code: String,
    pub name: String,
    /// The document it rests on.
    pub basis: String,
    /// The department that applies it.
    pub department: String,
    /// The last day it applies (YYYY-MM-DD); absent for a one-off act.
    pub until: Option<String>,
}

/// Whether a civil servant may be rated 优秀 in a year.
#[derive(Debug, Serialize, ToSchema)]
pub struct EligibilityAnswer {
    pub subject_id: i64,
    /// The name masked as the credit check masks it (王*).
    pub name: String,
    /// The ID number masked (1201**********273X).
    pub id_masked: String,
    /// The civil servant's unit (short name).
    pub unit: String,
    pub position: String,
    pub year: i32,
    pub eligible: bool,
    /// 可以评为优秀 or 不得评为优秀.
    pub result: String,
    /// The credit check's decision: allowed, restricted or priority.
    pub decision: String,
    pub decision_label: String,
    /// Why, in Chinese: the records behind a refusal, those lifted by a repair's 从轻或免于惩戒,
    /// or that nothing stands in the way.
    pub reasons: Vec<String>,
    /// The measures behind a refusal (none when eligible).
    pub measures: Vec<EligibilityMeasure>,
    /// The ids of the records behind a refusal, ascending.
    pub records: Vec<i64>,
    /// 核查编号 of the logged check, e.g. HC20260601-0001.
    pub check_no: String,
}

impl From<Eligibility> for EligibilityAnswer {
    fn from(e: Eligibility) -> Self {
        EligibilityAnswer {
            result: e.result_label().into(),
            subject_id: e.subject_id,
            name: e.name,
            id_masked: e.id_masked,
            unit: e.unit,
            position: e.position,
            year: e.year,
            eligible: e.eligible,
            decision: e.decision.code().into(),
            decision_label: e.decision.label().into(),
            reasons: e.reasons,
            measures: e
                .measures
                .into_iter()
                .map(|m| EligibilityMeasure {
                    code: m.code,
                    name: m.name,
                    basis: m.basis,
                    department: m.department,
                    until: m.until.map(|d| d.to_string()),
                })
                .collect(),
            records: e.records,
            check_no: e.check_no,
        }
    }
}

/// Whether civil servant `id` may be rated 优秀 in `year` (the credit check for
/// `excellent_rating`, logged with its number). 404 for an id that is not a civil servant's.
#[utoipa::path(get, path = "/api/v1/civil-servants/{id}/eligibility", tag = "eligibility",
    params(("id" = i64, Path, description = "The civil servant's subject id"), YearQuery),
    responses((status = 200, body = EligibilityAnswer), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn person_eligibility(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Params(q): Params<YearQuery>,
) -> Result<Json<EligibilityAnswer>, ApiError> {
    let year = q.year()?;
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let e =
        blocking(move || Ok(eligibility::check_subject(&app, &caller.who(), id, year)?)).await?;
    Ok(Json(e.into()))
}

/// One problem of a refused list.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowIssue {
    /// The row as the official sees it in Excel (the header is row 1).
    pub row: usize,
    /// name or id_number; empty for the row as a whole.
    pub column: String,
    /// The column's Chinese header.
    pub header: String,
    pub code: String,
    pub message: String,
}

/// A refused list: the standard error, its `fields` and `rows` naming every problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListErrorBody {
    pub error: ListErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListErrorDetail {
    /// ELIGIBILITY_LIST_INVALID.
    pub code: String,
    pub message: String,
    /// Each problem by column, its message naming its row.
    pub fields: Vec<FieldIssue>,
    /// Each problem with its row.
    pub rows: Vec<RowIssue>,
}

/// Problems named in the message itself; all of them are in `fields` and `rows`.
const MESSAGE_PROBLEMS: usize = 5;

fn refused(problems: Vec<RowProblem>) -> Response {
    let shown: Vec<&str> = problems
        .iter()
        .take(MESSAGE_PROBLEMS)
        .map(|p| p.message.as_str())
        .collect();
    let more = if problems.len() > MESSAGE_PROBLEMS {
        "等"
    } else {
        ""
    };
    let message = format!(
        "名单有 {} 处问题，未核查任何人员，请修改后重新提交：{}{more}",
        problems.len(),
        shown.join("；")
    );
    let body = ListErrorBody {
        error: ListErrorDetail {
            code: eligibility::LIST_INVALID.into(),
            message,
            fields: problems
                .iter()
                .map(|p| FieldIssue {
                    field: p.column.to_string(),
                    code: p.code.to_string(),
                    message: p.message.clone(),
                })
                .collect(),
            rows: problems
                .into_iter()
                .map(|p| RowIssue {
                    row: p.row,
                    column: p.column.to_string(),
                    header: p.header().to_string(),
                    code: p.code.to_string(),
                    message: p.message,
                })
                .collect(),
        },
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Checks every civil servant of a list (an .xlsx whose header row has 姓名 and 身份证号, at
/// most 2,000 people, 5 MB) for `year`, and answers a workbook: 序号, 姓名, 身份证号 (masked),
/// 核查结果 (可以评为优秀, 不得评为优秀, 未在平台登记), 原因, 核查编号. A list with any problem
/// (a bad or missing ID number, a missing name, a name the ID number is not registered under, a
/// person listed twice) is refused with every problem and its row, and nobody is checked.
#[utoipa::path(post, path = "/api/v1/civil-servants/eligibility", tag = "eligibility",
    params(YearQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        description = "The list, as is."),
    responses((status = 200, description = "The results, as an Excel workbook",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ListErrorBody)))]
async fn list_eligibility(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Params(q): Params<YearQuery>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let year = q.year()?;
    let limit = eligibility::MAX_FILE_BYTES;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
    }
    // Stream the body to a file, refusing it as soon as it passes the limit.
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(format!("temp dir: {e}")))?;
    let path = dir.path().join("list.xlsx");
    {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::Internal(format!("list file: {e}")))?;
        let mut stream = body.into_data_stream();
        let mut total: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|_| ApiError::bad_request("BODY_UNREADABLE", "上传中断，请重新上传"))?;
            total += chunk.len() as u64;
            if total > limit {
                return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::Internal(format!("list write: {e}")))?;
        }
        file.flush()
            .await
            .map_err(|e| ApiError::Internal(format!("list flush: {e}")))?;
    }
    let app = state.app.clone();
    let answer = blocking(move || {
        let outcome = eligibility::check_list(&app, &caller.who(), &path, year);
        drop(dir);
        Ok(match outcome? {
            ListOutcome::Checked(list) => Ok(eligibility::list_workbook(&list)?),
            ListOutcome::Refused(problems) => Err(problems),
        })
    })
    .await?;
    match answer {
        Ok(bytes) => Ok(workbook(bytes, year)),
        Err(problems) => Ok(refused(problems)),
    }
}

/// The results as a download named 优秀等次资格核查结果-YEAR.xlsx.
fn workbook(bytes: Vec<u8>, year: i32) -> Response {
    let disposition = format!(
        "attachment; filename=\"eligibility-{year}.xlsx\"; filename*=UTF-8''{}",
        crate::http::percent_encode(&eligibility::result_file_name(year))
    );
    (
        [
            (header::CONTENT_TYPE, XLSX.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}
