//! `/api/v1/sanctions/check`: the credit check (信用核查) the credit office, the 组织人事部门 and
//! the implementing departments ask before an honour, a 优秀 rating, an appointment or funding
//! (DESIGN.md §5); `/api/v1/sanctions/checks` (the asker's checks, `?pending=true` for the
//! restricted answers still waiting for feedback) and `…/checks/{check_no}/feedback` (反馈: what
//! the department did with a restricted answer); `/api/v1/sanctions/feedback-rates` (the credit
//! office's rates per department). The rules and the log are `probity_app::sanctions`'.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use probity_app::sanctions::{CheckRow, FeedbackRow, ListRequest, Rates};
use probity_domain::sanction::Tally;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, Params, blocking, truncate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check))
        .routes(routes!(checks))
        .routes(routes!(feedback))
        .routes(routes!(feedback_rates))
}

/// What a check asks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    /// The subject: a unit's USCC, a civil servant's ID number, or a subject id.
    pub subject: String,
    /// honour, excellent_rating, appointment, pilot, investment or funding.
    pub purpose: String,
    /// The year the decision concerns (2000 to 2100).
    pub year: i32,
}

/// A measure behind the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureView {
    pub code: String,
    pub name: String,
    /// The document it rests on.
    pub basis: String,
    /// The department that applies it.
    pub department: String,
    /// The last day it applies (YYYY-MM-DD); absent for a one-off act.
    pub until: Option<String>,
}

/// What a check answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    /// allowed (无限制), restricted (限制) or priority (优先).
    pub decision: String,
    pub decision_label: String,
    /// The measures behind the decision (none when allowed).
    pub measures: Vec<MeasureView>,
    /// The ids of the records behind the decision, ascending.
    pub records: Vec<i64>,
    /// The codes of the rules behind the decision.
    pub rules: Vec<String>,
    /// What the decision rests on besides records, in words: a year-end grade
    /// (`2026年度政务诚信考核等次为不合格`), an overdue rectification, a clean year.
    pub grounds: Vec<String>,
    /// 核查编号, e.g. HC20261203-0001.
    pub check_no: String,
    pub subject_id: i64,
    /// A civil servant's name is masked as the public sees it.
    pub subject_name: String,
    pub subject_kind: String,
    pub purpose: String,
    pub purpose_label: String,
    pub year: i32,
}

/// Checks a subject against the joint rewards and sanctions rules for one purpose and year;
/// every check is logged with its number.
#[utoipa::path(post, path = "/api/v1/sanctions/check", tag = "sanctions", request_body = CheckInput,
    responses((status = 200, body = CheckAnswer), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check(
    State(state): State<AppState>,
    caller: Caller,
    Body(input): Body<CheckInput>,
) -> Result<Json<CheckAnswer>, ApiError> {
    let app = state.app.clone();
    let c = blocking(move || {
        Ok(probity_app::sanctions::check(
            &app,
            &caller.who(),
            &input.subject,
            &input.purpose,
            input.year,
        )?)
    })
    .await?;
    let o = c.outcome;
    Ok(Json(CheckAnswer {
        decision: o.decision.code().into(),
        decision_label: o.decision.label().into(),
        measures: o
            .measures
            .into_iter()
            .map(|m| MeasureView {
                code: m.code,
                name: m.name,
                basis: m.basis,
                department: m.department,
                until: m.until.map(|d| d.to_string()),
            })
            .collect(),
        records: o.records,
        rules: o.rules,
        grounds: o.grounds,
        check_no: c.check_no,
        subject_id: c.subject_id,
        subject_name: c.subject_name,
        subject_kind: c.subject_kind.code().into(),
        purpose: c.purpose.code().into(),
        purpose_label: c.purpose.label().into(),
        year: c.year,
    }))
}

// ---------------------------------------------------------------------------------------------
// Feedback (反馈)

/// A department's feedback on a restricted answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    /// true: the measures were applied (已落实); false: not applied (未落实).
    pub applied: bool,
    /// Why not (未落实原因, required when `applied` is false), or a note on how it was applied;
    /// at most 500 characters.
    #[serde(default)]
    pub reason: String,
}

/// Feedback as kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackView {
    pub applied: bool,
    /// 已落实 or 未落实.
    pub applied_label: String,
    pub reason: String,
    /// Who gave it.
    pub by: String,
    /// When (Beijing time).
    pub at: String,
}

/// The feedback a check received.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackAnswer {
    pub check_no: String,
    pub feedback: FeedbackView,
}

impl From<FeedbackRow> for FeedbackView {
    fn from(f: FeedbackRow) -> Self {
        FeedbackView {
            applied: f.applied,
            applied_label: if f.applied { "已落实" } else { "未落实" }.into(),
            reason: f.reason,
            by: f.by,
            at: f.at,
        }
    }
}

/// Reports what the asking department did with a restricted answer: applied (已落实), or not
/// and why (未落实, `reason` required). Only the department that asked the check (or the credit
/// office) may; once per check (409 FEEDBACK_EXISTS); only on a restricted answer (409
/// CHECK_NOT_RESTRICTED).
#[utoipa::path(post, path = "/api/v1/sanctions/checks/{check_no}/feedback", tag = "sanctions",
    params(("check_no" = String, Path, description = "核查编号，如 HC20261203-0001")),
    request_body = FeedbackInput,
    responses((status = 201, body = FeedbackAnswer), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(check_no): Path<String>,
    Body(input): Body<FeedbackInput>,
) -> Result<(StatusCode, Json<FeedbackAnswer>), ApiError> {
    let app = state.app.clone();
    let check_no = truncate(&check_no, 40);
    let given = blocking(move || {
        Ok(probity_app::sanctions::give_feedback(
            &app,
            &caller.who(),
            &check_no,
            input.applied,
            &input.reason,
        )?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(FeedbackAnswer {
            check_no: given.check_no,
            feedback: given.feedback.into(),
        }),
    ))
}

/// The filters of the list of checks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChecksQuery {
    /// true: only the restricted answers still waiting for feedback.
    pub pending: Option<bool>,
    /// restricted, priority or allowed
    pub decision: Option<String>,
    /// honour, excellent_rating, appointment, pilot, investment or funding
    pub purpose: Option<String>,
    /// pending, given, applied, not_applied or not_needed
    pub feedback: Option<String>,
    /// The year the checks concern.
    pub year: Option<i32>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// A logged check as a list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    pub id: i64,
    pub check_no: String,
    /// When it was asked (Beijing time).
    pub at: String,
    /// The asking unit (and account).
    pub asker: String,
    /// A civil servant's name is masked.
    pub subject_name: String,
    pub subject_kind: String,
    pub purpose: String,
    pub purpose_label: String,
    pub year: i32,
    pub decision: String,
    pub decision_label: String,
    /// The measures the answer named.
    pub measures: Vec<String>,
    /// pending, applied, not_applied or not_needed
    pub feedback_state: String,
    pub feedback_state_label: String,
    pub feedback: Option<FeedbackView>,
}

impl From<CheckRow> for CheckView {
    fn from(r: CheckRow) -> Self {
        CheckView {
            id: r.id,
            check_no: r.check_no,
            at: r.at,
            asker: r.asker,
            subject_name: r.subject_name,
            subject_kind: r.subject_kind.code().into(),
            purpose: r.purpose.code().into(),
            purpose_label: r.purpose.label().into(),
            year: r.year,
            decision: r.decision.code().into(),
            decision_label: r.decision.label().into(),
            measures: r.measures,
            feedback_state: r.state.code().into(),
            feedback_state_label: r.state.label().into(),
            feedback: r.feedback.map(FeedbackView::from),
        }
    }
}

/// One page of checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckPage {
    pub items: Vec<CheckView>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<i64>,
}

/// The checks the caller asked (its department's; the credit office: every check), newest
/// first; `pending=true` for the restricted answers still waiting for feedback.
#[utoipa::path(get, path = "/api/v1/sanctions/checks", tag = "sanctions", params(ChecksQuery),
    responses((status = 200, body = CheckPage), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn checks(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<ChecksQuery>,
) -> Result<Json<CheckPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "QUERY_INVALID",
            "limit 应在 1 到 200 之间",
        ));
    }
    let req = ListRequest {
        decision: q.decision,
        purpose: q.purpose,
        feedback: q.feedback,
        pending: q.pending.unwrap_or(false),
        year: q.year,
        before: q.before,
    };
    let app = state.app.clone();
    // One more than asked says whether there is a next page.
    let mut rows = blocking(move || {
        Ok(probity_app::sanctions::list(
            &app,
            &caller.who(),
            &req,
            limit + 1,
        )?)
    })
    .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_before = rows.last().map(|r| r.id).filter(|_| more);
    Ok(Json(CheckPage {
        items: rows.into_iter().map(CheckView::from).collect(),
        next_before,
    }))
}

/// The filter of the rates.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RatesQuery {
    /// Only the checks about this year.
    pub year: Option<i32>,
}

/// One department's feedback.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentRateView {
    /// The unit (or an account bound to none); 合计 for the total.
    pub department: String,
    pub checks: u64,
    /// Checks answered restricted.
    pub restricted: u64,
    /// Restricted answers with feedback.
    pub given: u64,
    pub applied: u64,
    pub not_applied: u64,
    /// Restricted answers still without feedback.
    pub pending: u64,
    /// given / restricted (0 to 1); absent with no restricted answer.
    pub feedback_rate: Option<f64>,
    /// applied / given (0 to 1); absent with no feedback.
    pub applied_rate: Option<f64>,
    /// The rates as percentages (66.7%), — when absent.
    pub feedback_rate_text: String,
    pub applied_rate_text: String,
}

impl DepartmentRateView {
    fn new(department: String, t: &Tally) -> DepartmentRateView {
        use probity_app::sanctions::rate_text;
        DepartmentRateView {
            department,
            checks: t.checks,
            restricted: t.restricted,
            given: t.given,
            applied: t.applied,
            not_applied: t.not_applied,
            pending: t.pending(),
            feedback_rate: t.feedback_rate().map(|r| r.ratio()),
            applied_rate: t.applied_rate().map(|r| r.ratio()),
            feedback_rate_text: rate_text(t.feedback_rate()),
            applied_rate_text: rate_text(t.applied_rate()),
        }
    }
}

/// Feedback per department and the district's total.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatesView {
    pub year: Option<i32>,
    pub departments: Vec<DepartmentRateView>,
    pub total: DepartmentRateView,
}

impl From<Rates> for RatesView {
    fn from(r: Rates) -> Self {
        RatesView {
            year: r.year,
            departments: r
                .departments
                .into_iter()
                .map(|d| DepartmentRateView::new(d.department, &d.tally))
                .collect(),
            total: DepartmentRateView::new("合计".into(), &r.total),
        }
    }
}

/// For the credit office: per department, the restricted answers, the feedback given on them,
/// applied and not applied, and the feedback and application rates.
#[utoipa::path(get, path = "/api/v1/sanctions/feedback-rates", tag = "sanctions",
    params(RatesQuery),
    responses((status = 200, body = RatesView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn feedback_rates(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<RatesQuery>,
) -> Result<Json<RatesView>, ApiError> {
    let app = state.app.clone();
    let rates =
        blocking(move || Ok(probity_app::sanctions::rates(&app, &caller.who(), q.year)?)).await?;
    Ok(Json(rates.into()))
}
