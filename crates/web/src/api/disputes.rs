//! `POST /api/v1/assessments/{year}/units/{id}/disputes`: a unit disputes its result in a closed
//! assessment period (考核结果异议). The dispute is a case: it is read and answered (维持 with
//! `maintain`, 更正 with `correct`) through `/api/v1/cases`. The rules and the access are
//! `probity_app::assessment_dispute`'s.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use probity_domain::case::dispute::DisputeInput;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{CaseDetailView, PeriodQuery, period_of};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, Params, blocking, parse_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(file_dispute))
}

/// A dispute of a unit's assessment result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    /// The codes of the indicators disputed (`D5.01`), of the period's indicator set.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// Why the result is wrong and on what evidence (10–2,000 characters).
    #[serde(default)]
    pub reasons: String,
}

/// Disputes the unit's own result in a closed period (提出考核结果异议), within five working
/// days of its publication (the day the period was closed). The unit itself only (403 for
/// another's); 409 PERIOD_NOT_CLOSED while the period is open, 409 DISPUTE_WINDOW_CLOSED after
/// the fifth working day, 409 DISPUTE_EXISTS while its dispute of the period is open; 422 for
/// an indicator not in the set or reasons missing. The answer is the case, held by the credit
/// office, which answers it through `POST /api/v1/cases/{id}/steps`.
#[utoipa::path(post, path = "/api/v1/assessments/{year}/units/{id}/disputes",
    tag = "assessments", params(("year" = i32, Path), ("id" = i64, Path), PeriodQuery),
    request_body = DisputeBody,
    responses((status = 201, body = CaseDetailView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn file_dispute(
    State(state): State<AppState>,
    caller: Caller,
    Path((year, id)): Path<(String, String)>,
    Params(q): Params<PeriodQuery>,
    Body(body): Body<DisputeBody>,
) -> Result<(StatusCode, Json<CaseDetailView>), ApiError> {
    let period = period_of(&year, &q)?;
    let id = parse_id(&id)?;
    let input = DisputeInput {
        indicators: body.indicators,
        reasons: body.reasons,
    };
    let app = state.app.clone();
    let view = blocking(move || {
        let who = caller.who();
        let c = probity_app::assessment_dispute::file(&app, &who, period, id, &input)?;
        Ok(probity_app::cases::detail(&app, &who, c.id)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}
