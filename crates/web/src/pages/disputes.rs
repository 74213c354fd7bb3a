//! A unit disputes its assessment result from its result page (对结果提出异议, 考核结果异议):
//! the form is on the result page while the window is open; filed, the dispute is a case and
//! the unit lands on its page; refused, the form comes back with its problems. The rules, the
//! access and every refusal are `probity_app::assessment_dispute`'s.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use probity_app::AppError;
use probity_app::assessment_dispute;
use probity_domain::assessment::{Period, PeriodKind};
use probity_domain::case::dispute::DisputeInput;

use super::kit::{DISPUTE_INDICATOR_FIELD, DisputeFormView, Layout, PageForm, field_map};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{PageError, PageResult, done};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/console/assessments/{year}/{period}/units/{id}/disputes",
        post(file),
    )
}

/// The period an address names: a year and `mid_year` or `year_end`.
fn period_of(year: &str, period: &str) -> Result<Period, PageError> {
    let y = year.trim().parse::<i32>().map_err(|_| {
        ApiError::bad_request("QUERY_INVALID", "考核年度应为四位数字，请从页面上进入")
    })?;
    let kind = PeriodKind::parse(period.trim()).map_err(AppError::from)?;
    Ok(Period::new(y, kind).map_err(AppError::from)?)
}

fn unit_href(p: Period, unit: i64) -> String {
    format!(
        "/console/assessments/{}/{}/units/{unit}",
        p.year,
        p.kind.code()
    )
}

#[derive(Template)]
#[template(path = "assessment_dispute.html")]
struct DisputeTpl {
    l: Layout,
    back: String,
    /// A refusal that is not about one field (the window closed, a dispute already open).
    error: Option<String>,
    form: Option<DisputeFormView>,
}

async fn file(
    State(state): State<AppState>,
    Path((year, period, id)): Path<(String, String, String)>,
    f: PageForm<HashMap<String, String>>,
) -> PageResult {
    let PageForm { ctx, form } = f;
    let period = period_of(&year, &period)?;
    let unit = id
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiError::NotFound("没有这个单位".into()))?;
    let mut ticked: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix(DISPUTE_INDICATOR_FIELD))
        .map(str::to_string)
        .collect();
    ticked.sort();
    let input = DisputeInput {
        indicators: ticked.clone(),
        reasons: form.get("reasons").cloned().unwrap_or_default(),
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    let reasons = input.reasons.clone();
    let (outcome, window) = blocking(move || {
        let outcome = assessment_dispute::file(&app, &who, period, unit, &input);
        let window = match &outcome {
            Ok(_) => None,
            Err(_) => assessment_dispute::window(&app, &who, period, unit)?,
        };
        Ok((outcome, window))
    })
    .await?;
    let (errors, error, status) = match outcome {
        Ok(c) => {
            return Ok(done(
                &format!("/console/cases/{}", c.id),
                &format!(
                    "已对{}考核结果提出异议（案件 {}），信用办将于 {} 前答复",
                    period.label(),
                    c.id,
                    probity_app::cases::date_text(c.deadline)
                ),
            ));
        }
        Err(AppError::Fields(errs)) => (
            field_map(errs, "indicators"),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // The state of things refuses it (the window closed, a dispute open): 409, as the API.
        Err(e @ (AppError::Domain(_) | AppError::Invalid { .. })) => {
            let message = e.to_string();
            (HashMap::new(), Some(message), ApiError::from(e).status())
        }
        Err(e) => return Err(e.into()),
    };
    let t = DisputeTpl {
        l: ctx.layout(&format!("对{}考核结果提出异议", period.label())),
        back: unit_href(period, unit),
        error,
        form: window.map(|w| {
            DisputeFormView::new(
                format!("{}/disputes", unit_href(period, unit)),
                &w,
                &ticked,
                &reasons,
                errors,
            )
        }),
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}
