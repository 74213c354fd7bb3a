//! `/api/v1/assessments/…` and `/api/v1/indicator-sets/{year}`: the yearly assessment (考核评价)
//! as JSON: every unit's result in a period, ranked in its group; one unit's result with every
//! point explained; scores given by hand, with their files of evidence (uploaded as a
//! multipart form, downloaded with their SM3 digest checked); a period closed (signed snapshot)
//! or reopened; the year's indicator set. The rules and the access are
//! `probity_app::assessment`'s.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use probity_app::assessment::{self, PeriodResults, Ranked, ScoreInput};
use probity_domain::assessment::{Evidence, IndicatorSet, Points};
use probity_store::EvidenceMeta;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{PeriodQuery, period_of, year_of};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, Params, blocking, parse_id, truncate};
use crate::upload::{Form, FromForm, STEP_BODY_LIMIT, WithFiles, file_response};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(period_results))
        .routes(routes!(unit_result))
        .routes(routes!(give_score))
        .routes(routes!(evidence_file))
        .routes(routes!(close_period))
        .routes(routes!(reopen_period))
        .routes(routes!(get_set, put_set))
        .merge(
            // The route that takes files: a larger body than the JSON routes.
            OpenApiRouter::new()
                .routes(routes!(add_evidence))
                .route_layer(DefaultBodyLimit::max(STEP_BODY_LIMIT)),
        )
}

fn num(p: Points) -> f64 {
    p.hundredths() as f64 / 100.0
}

/// A period and its state.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    pub year: i32,
    /// mid_year or year_end.
    pub period: String,
    /// 2026年年终考评.
    pub label: String,
    pub from: String,
    pub to: String,
    pub set_name: String,
    /// open (进行中) or closed (已归档).
    pub state: String,
    pub state_label: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    /// The snapshot's SM2 signature verifies (closed periods).
    pub signature_valid: Option<bool>,
    /// Why a closed period was reopened.
    pub reopened_because: Option<String>,
    /// The day the results count up to.
    pub computed_on: String,
}

impl PeriodView {
    fn of(r: &PeriodResults) -> PeriodView {
        PeriodView {
            year: r.period.year,
            period: r.period.kind.code().into(),
            label: r.period.label(),
            from: r.period.from().to_string(),
            to: r.period.to().to_string(),
            set_name: r.set.name.clone(),
            state: if r.closed.is_some() { "closed" } else { "open" }.into(),
            state_label: if r.closed.is_some() {
                "已归档"
            } else {
                "进行中"
            }
            .into(),
            closed_at: r.closed.as_ref().map(|c| c.closed_at.clone()),
            closed_by: r.closed.as_ref().map(|c| c.closed_by.clone()),
            signature_valid: r.closed.as_ref().map(|c| c.authentic),
            reopened_because: r.reopened.clone(),
            computed_on: r.computed_on.to_string(),
        }
    }
}

/// A unit's standing in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StandingView {
    pub unit_id: i64,
    pub name: String,
    /// functional_zone, department or township.
    pub kind: String,
    /// 功能区, 区级部门 or 街镇: the group it is ranked in.
    pub group: String,
    /// calculated, insufficient_data or not_applicable.
    pub status: String,
    pub status_label: String,
    /// The points calculated so far (the total only when the status is calculated).
    pub points: f64,
    pub max: f64,
    /// The grade given; absent while data is missing.
    pub grade: Option<String>,
    /// The grade the points alone earn, when a veto lowered it.
    pub grade_by_points: Option<String>,
    pub rank: Option<u32>,
    pub ranked_in_group: u32,
    /// The total of the same period the year before, when that one was closed.
    pub previous: Option<f64>,
    pub change: Option<f64>,
}

impl StandingView {
    fn of(r: &Ranked) -> StandingView {
        let a = &r.assessment;
        StandingView {
            unit_id: a.unit_id,
            name: a.name.clone(),
            kind: a.kind.code().into(),
            group: assessment::group_label(a.kind).into(),
            status: a.total.status.code().into(),
            status_label: a.total.status.label().into(),
            points: num(a.total.points),
            max: num(a.total.max),
            grade: a.grade.clone(),
            grade_by_points: a.by_points.clone().filter(|b| Some(b) != a.grade.as_ref()),
            rank: r.rank,
            ranked_in_group: r.ranked_in_group,
            previous: r.previous.map(num),
            change: r.change().map(num),
        }
    }
}

/// Every unit's result in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodResultsView {
    pub period: PeriodView,
    /// By group (功能区, 区级部门, 街镇), then highest first.
    pub units: Vec<StandingView>,
}

impl PeriodResultsView {
    fn of(r: &PeriodResults) -> PeriodResultsView {
        PeriodResultsView {
            period: PeriodView::of(r),
            units: r.units.iter().map(StandingView::of).collect(),
        }
    }
}

/// Every unit's result in a period, ranked within its group (the credit office and the
/// organisation department): the frozen snapshot of a closed period, or computed now.
#[utoipa::path(get, path = "/api/v1/assessments/{year}", tag = "assessments",
    params(("year" = i32, Path), PeriodQuery),
    responses((status = 200, body = PeriodResultsView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn period_results(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    Params(q): Params<PeriodQuery>,
) -> Result<Json<PeriodResultsView>, ApiError> {
    let period = period_of(&year, &q)?;
    let app = state.app.clone();
    let r = blocking(move || Ok(assessment::results(&app, &caller.who(), period)?)).await?;
    Ok(Json(PeriodResultsView::of(&r)))
}

/// One step of a score.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    /// Signed: a deduction is negative.
    pub points: f64,
    pub reason: String,
    /// record, case, entry or none.
    pub evidence: String,
    pub evidence_id: Option<i64>,
    /// Where the evidence is shown in the console.
    pub link: Option<String>,
}

/// What evidence is (`record`, `case`, `entry`, `none`), its id, and where the console shows it.
fn evidence_parts(e: Evidence) -> (&'static str, Option<i64>, Option<String>) {
    match e {
        Evidence::Record(id) => ("record", Some(id), Some(format!("/console/records/{id}"))),
        Evidence::Case(id) => ("case", Some(id), Some(format!("/console/cases/{id}"))),
        Evidence::Entry(id) => ("entry", Some(id), None),
        Evidence::None => ("none", None, None),
    }
}

impl LineView {
    fn of(l: &probity_domain::assessment::ScoreLine) -> LineView {
        let (evidence, id, link) = evidence_parts(l.evidence);
        LineView {
            points: num(l.points),
            reason: l.reason.clone(),
            evidence: evidence.into(),
            evidence_id: id,
            link,
        }
    }
}

/// One indicator's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorView {
    pub code: String,
    pub name: String,
    /// computed, office_scored or self_assessed.
    pub sort: String,
    pub sort_label: String,
    pub criteria: String,
    pub status: String,
    pub status_label: String,
    /// Its maximum here (re-weighted where others do not apply).
    pub max: f64,
    pub points: Option<f64>,
    /// Where the lines start from (full marks for a deduction rule).
    pub base: f64,
    /// Why it is not calculated.
    pub note: Option<String>,
    /// base + Σ lines = points.
    pub lines: Vec<LineView>,
    /// The files of evidence (佐证材料) of the score given by hand, oldest first.
    pub evidence: Vec<EvidenceFileView>,
}

/// A file of evidence of a score.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceFileView {
    pub id: i64,
    pub file_name: String,
    /// pdf, png, jpeg, doc, docx, xls or xlsx.
    pub kind: String,
    pub size: i64,
    /// The SM3 digest of its bytes, in hex.
    pub sm3: String,
    pub added_by: String,
    pub added_at: String,
    /// Where to download it.
    pub href: String,
}

impl EvidenceFileView {
    fn of(f: &EvidenceMeta) -> EvidenceFileView {
        EvidenceFileView {
            id: f.id,
            file_name: f.file_name.clone(),
            kind: f.kind.clone(),
            size: f.size,
            sm3: f.sm3.iter().map(|b| format!("{b:02x}")).collect(),
            added_by: probity_domain::audit::Actor::parse(&f.added_by).label(),
            added_at: f.added_at.clone(),
            href: format!(
                "/api/v1/assessments/{}/units/{}/evidence/{}?period={}",
                f.period.year,
                f.unit_id,
                f.id,
                f.period.kind.code()
            ),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionView {
    pub code: String,
    pub name: String,
    pub status: String,
    pub status_label: String,
    pub max: f64,
    pub points: f64,
    pub indicators: Vec<IndicatorView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VetoView {
    /// The grade it caps at.
    pub at_most: String,
    pub reason: String,
    pub basis: String,
    pub links: Vec<String>,
}

/// One unit's result with every point explained.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitResultView {
    pub period: PeriodView,
    pub standing: StandingView,
    pub vetoes: Vec<VetoView>,
    pub dimensions: Vec<DimensionView>,
}

fn unit_view(
    set: &IndicatorSet,
    period: PeriodView,
    r: &Ranked,
    evidence: &[EvidenceMeta],
) -> UnitResultView {
    let a = &r.assessment;
    UnitResultView {
        period,
        standing: StandingView::of(r),
        vetoes: a
            .vetoes
            .iter()
            .map(|v| VetoView {
                at_most: v.at_most.clone(),
                reason: v.reason.clone(),
                basis: v.basis.clone(),
                links: v
                    .evidence
                    .iter()
                    .filter_map(|e| evidence_parts(*e).2)
                    .collect(),
            })
            .collect(),
        dimensions: a
            .total
            .dimensions
            .iter()
            .map(|d| DimensionView {
                code: d.code.clone(),
                name: set
                    .dimensions
                    .iter()
                    .find(|x| x.code == d.code)
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                status: d.status.code().into(),
                status_label: d.status.label().into(),
                max: num(d.max),
                points: num(d.points),
                indicators: d
                    .indicators
                    .iter()
                    .map(|(code, res)| {
                        let i = set.indicator(code).map(|(_, i)| i);
                        IndicatorView {
                            code: code.clone(),
                            name: i.map(|i| i.name.clone()).unwrap_or_default(),
                            sort: i.map(|i| i.sort.code()).unwrap_or_default().into(),
                            sort_label: i.map(|i| i.sort.label()).unwrap_or_default().into(),
                            criteria: i.map(|i| i.criteria.clone()).unwrap_or_default(),
                            status: res.status().code().into(),
                            status_label: res.status().label().into(),
                            max: num(res.max()),
                            points: res.is_calculated().then(|| num(res.points())),
                            base: num(res.base()),
                            note: res.note().map(str::to_string),
                            lines: res.lines().iter().map(LineView::of).collect(),
                            evidence: evidence
                                .iter()
                                .filter(|f| &f.indicator == code)
                                .map(EvidenceFileView::of)
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// One unit's result in a period with every point explained: each indicator's lines, each with
/// the record, case or score behind it. The credit office, the organisation department and the
/// unit itself; another unit's answers 403.
#[utoipa::path(get, path = "/api/v1/assessments/{year}/units/{id}", tag = "assessments",
    params(("year" = i32, Path), ("id" = i64, Path), PeriodQuery),
    responses((status = 200, body = UnitResultView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unit_result(
    State(state): State<AppState>,
    caller: Caller,
    Path((year, id)): Path<(String, String)>,
    Params(q): Params<PeriodQuery>,
) -> Result<Json<UnitResultView>, ApiError> {
    let period = period_of(&year, &q)?;
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let (all, one, evidence) = blocking(move || {
        let who = caller.who();
        let (all, one) = assessment::unit_result(&app, &who, period, id)?;
        let evidence = assessment::evidence_of(&app, &who, period, id)?;
        Ok((all, one, evidence))
    })
    .await?;
    Ok(Json(unit_view(
        &all.set,
        PeriodView::of(&all),
        &one,
        &evidence,
    )))
}

/// A score given by hand (its files of evidence go to `…/scores/{indicator}/evidence`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    /// Points, at most two decimals, within the indicator's maximum (a number or a string).
    pub points: serde_json::Value,
    /// The reason (评分理由) or the self-assessment's explanation.
    pub comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreSaved {
    pub entry_id: i64,
}

/// Gives a score to a hand-scored indicator of a unit: the credit office scores, or confirms
/// or adjusts a self-assessment; the unit self-assesses its own self-assessed indicators.
/// Refused on a closed period (409 PERIOD_CLOSED).
#[utoipa::path(put, path = "/api/v1/assessments/{year}/units/{id}/scores/{indicator}",
    tag = "assessments", params(("year" = i32, Path), ("id" = i64, Path),
        ("indicator" = String, Path), PeriodQuery), request_body = ScoreBody,
    responses((status = 200, body = ScoreSaved), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn give_score(
    State(state): State<AppState>,
    caller: Caller,
    Path((year, id, indicator)): Path<(String, String, String)>,
    Params(q): Params<PeriodQuery>,
    Body(body): Body<ScoreBody>,
) -> Result<Json<ScoreSaved>, ApiError> {
    let period = period_of(&year, &q)?;
    let id = parse_id(&id)?;
    let points = match &body.points {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => truncate(&other.to_string(), 20),
    };
    let input = ScoreInput {
        indicator: truncate(&indicator, 40),
        points,
        comment: body.comment,
        files: Vec::new(),
    };
    let app = state.app.clone();
    let entry_id = blocking(move || {
        Ok(assessment::give_score(
            &app,
            &caller.who(),
            period,
            id,
            input,
        )?)
    })
    .await?;
    Ok(Json(ScoreSaved { entry_id }))
}

/// No fields: the files alone, named `file`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceInput {}

impl FromForm for EvidenceInput {
    fn from_form(f: Form) -> Result<Self, ApiError> {
        f.finish()?;
        Ok(EvidenceInput {})
    }
}

/// The multipart form of files of evidence.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceForm {
    /// Files named `file` (PDF, PNG, JPEG, Word, Excel; each at most 20 MB; at most five a
    /// score, counting those it has).
    #[schema(content_media_type = "application/octet-stream")]
    pub file: Vec<Vec<u8>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceAdded {
    /// The new files' ids.
    pub ids: Vec<i64>,
}

/// Adds files of evidence (佐证材料) to a score already given: the credit office to any score,
/// the unit to its own self-assessment until the office confirms it. Each file is checked by its
/// content (422 ATTACHMENT_TYPE_UNSUPPORTED, ATTACHMENT_TYPE_MISMATCH, ATTACHMENT_EMPTY; 413
/// ATTACHMENT_TOO_LARGE); at most five a score (422 TOO_MANY_FILES); nothing is stored when one
/// is refused. Refused on a closed period (409 PERIOD_CLOSED) and before the score is given (422
/// SCORE_MISSING).
#[utoipa::path(post,
    path = "/api/v1/assessments/{year}/units/{id}/scores/{indicator}/evidence",
    tag = "assessments", params(("year" = i32, Path), ("id" = i64, Path),
        ("indicator" = String, Path), PeriodQuery),
    request_body(content((EvidenceForm = "multipart/form-data"))),
    responses((status = 200, body = EvidenceAdded), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path((year, id, indicator)): Path<(String, String, String)>,
    Params(q): Params<PeriodQuery>,
    WithFiles(_, files): WithFiles<EvidenceInput>,
) -> Result<Json<EvidenceAdded>, ApiError> {
    let period = period_of(&year, &q)?;
    let id = parse_id(&id)?;
    let indicator = truncate(&indicator, 40);
    let app = state.app.clone();
    let ids = blocking(move || {
        let who = caller.who();
        match assessment::add_evidence(&app, &who, period, id, &indicator, files) {
            // One file refused: its own code and status, as a case's step answers it.
            Err(probity_app::AppError::Fields(mut errs)) if errs.len() == 1 => {
                Err(errs.remove(0).error.into())
            }
            other => Ok(other?),
        }
    })
    .await?;
    Ok(Json(EvidenceAdded { ids }))
}

/// A file of evidence of a unit's score, as it was stored (its SM3 digest checked on reading),
/// always as a download: for those who may see the unit's result.
#[utoipa::path(get, path = "/api/v1/assessments/{year}/units/{id}/evidence/{file}",
    tag = "assessments", params(("year" = i32, Path), ("id" = i64, Path),
        ("file" = i64, Path, description = "The file's id"), PeriodQuery),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn evidence_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((year, id, file)): Path<(String, String, String)>,
    Params(q): Params<PeriodQuery>,
) -> Result<Response, ApiError> {
    let period = period_of(&year, &q)?;
    let id = parse_id(&id)?;
    let file = parse_id(&file)?;
    let app = state.app.clone();
    let (meta, bytes) = blocking(move || {
        Ok(assessment::evidence_file(
            &app,
            &caller.who(),
            period,
            id,
            file,
        )?)
    })
    .await?;
    Ok(file_response(meta.id, &meta.kind, &meta.file_name, bytes))
}

/// Closes a period (归档): every unit's result frozen as a snapshot signed with the platform's
/// SM2 key. The credit office, after the period's end.
#[utoipa::path(post, path = "/api/v1/assessments/{year}/close", tag = "assessments",
    params(("year" = i32, Path), PeriodQuery),
    responses((status = 200, body = PeriodResultsView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_period(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    Params(q): Params<PeriodQuery>,
) -> Result<Json<PeriodResultsView>, ApiError> {
    let period = period_of(&year, &q)?;
    let app = state.app.clone();
    let r = blocking(move || Ok(assessment::close_period(&app, &caller.who(), period)?)).await?;
    Ok(Json(PeriodResultsView::of(&r)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

/// Reopens a closed period with a reason (journaled). The credit office.
#[utoipa::path(post, path = "/api/v1/assessments/{year}/reopen", tag = "assessments",
    params(("year" = i32, Path), PeriodQuery), request_body = ReopenBody,
    responses((status = 200, body = Done), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reopen_period(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    Params(q): Params<PeriodQuery>,
    Body(body): Body<ReopenBody>,
) -> Result<Json<Done>, ApiError> {
    let period = period_of(&year, &q)?;
    let app = state.app.clone();
    blocking(move || {
        Ok(assessment::reopen_period(
            &app,
            &caller.who(),
            period,
            &body.reason,
        )?)
    })
    .await?;
    Ok(Json(Done { ok: true }))
}

/// A year's indicator set.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetView {
    pub year: i32,
    pub name: String,
    /// The TOML text.
    pub text: String,
    /// shipped (随平台提供) or saved (信用办保存).
    pub source: String,
    pub saved_at: Option<String>,
    pub dimensions: usize,
    pub indicators: usize,
}

impl SetView {
    fn of(year: i32, s: assessment::YearSet) -> SetView {
        SetView {
            year,
            name: s.set.name.clone(),
            dimensions: s.set.dimensions.len(),
            indicators: s.set.indicator_count(),
            text: s.text,
            source: if s.saved_at.is_some() {
                "saved"
            } else {
                "shipped"
            }
            .into(),
            saved_at: s.saved_at,
        }
    }
}

/// The year's indicator set (考核指标体系): the credit office's, or the one shipped.
#[utoipa::path(get, path = "/api/v1/indicator-sets/{year}", tag = "assessments",
    params(("year" = i32, Path)),
    responses((status = 200, body = SetView), (status = 404, body = ErrorBody)))]
async fn get_set(
    State(state): State<AppState>,
    _caller: Caller,
    Path(year): Path<String>,
) -> Result<Json<SetView>, ApiError> {
    let year = year_of(&year)?;
    let app = state.app.clone();
    let s = blocking(move || Ok(assessment::indicator_set(&app, year)?)).await?;
    Ok(Json(SetView::of(year, s)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetBody {
    /// The set as TOML.
    pub text: String,
}

/// Saves the year's indicator set (the credit office): every problem at once, nothing saved
/// when one is wrong; refused while a period of the year is closed.
#[utoipa::path(put, path = "/api/v1/indicator-sets/{year}", tag = "assessments",
    params(("year" = i32, Path)), request_body = SetBody,
    responses((status = 200, body = SetView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_set(
    State(state): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    Body(body): Body<SetBody>,
) -> Result<Json<SetView>, ApiError> {
    let year = year_of(&year)?;
    let app = state.app.clone();
    let s = blocking(move || {
        assessment::save_indicator_set(&app, &caller.who(), year, &body.text)?;
        Ok(assessment::indicator_set(&app, year)?)
    })
    .await?;
    Ok(Json(SetView::of(year, s)))
}
