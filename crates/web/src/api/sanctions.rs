//! `/api/v1/sanctions/check`: the credit check (信用核查) the credit office, the 组织人事部门 and
//! the implementing departments ask before an honour, a 优秀 rating, an appointment or funding
//! (DESIGN.md §5). The rules and the log are `probity_app::sanctions`'.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, blocking};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(check))
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
        check_no: c.check_no,
        subject_id: c.subject_id,
        subject_name: c.subject_name,
        subject_kind: c.subject_kind.code().into(),
        purpose: c.purpose.code().into(),
        purpose_label: c.purpose.label().into(),
        year: c.year,
    }))
}
