//! `/api/v1/cases` and the kinds' own lists and openings (`/api/v1/objections`, `/repairs`,
//! `/rectifications`, `/complaints`), the caller's notifications, and the public routes of
//! complaints and of reports of an error on a public record (`/api/v1/public/complaints…`,
//! `/api/v1/public/corrections`, no login). Which party a caller is on a case, what it may do
//! and what follows are decided by `probity_app::cases`; a step may carry files, sent as a
//! multipart form, checked by content in the use case.

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use probity_app::cases::{StepRequest, Upload};
use probity_domain::case::complaint::ComplaintInput;
use probity_domain::case::objection::CorrectionInput;
use probity_domain::case::repair::RepairApplication;
use probity_domain::case::{CaseAction, CaseKind, CaseState, Finding};
use probity_store::{CaseFilter, StoredCase};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{
    CaseDetailView, CasePage, CaseSummaryView, FiledComplaintView, NotificationView,
    NotificationsView, PublicComplaintView,
};
use crate::AppState;
use crate::auth::{Caller, Credential, PeerAddr, client_key};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, Params, blocking, parse_id, truncate};
use crate::upload::{Form, FromForm, STEP_BODY_LIMIT, WithFiles, file_response};

/// The routes for logged-in callers.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases))
        .routes(routes!(get_case))
        .routes(routes!(case_attachment))
        .routes(routes!(list_rectifications))
        .routes(routes!(list_complaints, create_complaint))
        .routes(routes!(list_notifications))
        .routes(routes!(read_notifications))
        .routes(routes!(get_deadlines, put_deadlines))
        .merge(
            // The routes that take files: a larger body than the JSON routes.
            OpenApiRouter::new()
                .routes(routes!(take_step))
                .routes(routes!(list_objections, create_objection))
                .routes(routes!(list_repairs, create_repair))
                .route_layer(DefaultBodyLimit::max(STEP_BODY_LIMIT)),
        )
}

/// The public routes of complaints and reports of an error (no login), merged behind the public
/// rate limit.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_public_complaint))
        .routes(routes!(file_public_correction))
        .routes(routes!(public_complaint))
        .routes(routes!(rate_public_complaint))
}

// ---------------------------------------------------------------------------------------------
// Lists

/// The filters of a list of cases of one kind.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KindQuery {
    /// open, consulting, assigned, filed, answered, closed
    pub state: Option<String>,
    /// true: open cases only; false: closed only.
    pub open: Option<bool>,
    /// on_time, due_soon, overdue (as the deadline clock last marked them)
    pub due: Option<String>,
    /// Cases about this record.
    pub record_id: Option<i64>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// The filters of the list of every kind.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// objection, repair, rectification, complaint
    pub kind: Option<String>,
    /// open, consulting, assigned, filed, answered, closed
    pub state: Option<String>,
    /// true: open cases only; false: closed only.
    pub open: Option<bool>,
    /// on_time, due_soon, overdue (as the deadline clock last marked them)
    pub due: Option<String>,
    /// Cases about this record.
    pub record_id: Option<i64>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

impl CaseQuery {
    fn of_kind(kind: CaseKind, q: KindQuery) -> CaseQuery {
        CaseQuery {
            kind: Some(kind.code().to_string()),
            state: q.state,
            open: q.open,
            due: q.due,
            record_id: q.record_id,
            before: q.before,
            limit: q.limit,
        }
    }
}

fn query_invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("QUERY_INVALID", message)
}

async fn list(state: AppState, caller: Caller, q: CaseQuery) -> Result<Json<CasePage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(query_invalid("limit 应在 1 到 200 之间"));
    }
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(CaseKind::parse(k).ok_or_else(|| {
            query_invalid("kind 应为 objection、repair、rectification 或 complaint")
        })?),
    };
    let case_state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(CaseState::parse(s).ok_or_else(|| {
            query_invalid("state 应为 open、consulting、assigned、filed、answered 或 closed")
        })?),
    };
    let due = match q.due.as_deref().map(str::trim) {
        None => None,
        Some(d @ ("on_time" | "due_soon" | "overdue")) => Some(d.to_string()),
        Some(_) => return Err(query_invalid("due 应为 on_time、due_soon 或 overdue")),
    };
    if q.before.is_some_and(|b| b < 1) {
        return Err(query_invalid("before 应为正整数"));
    }
    let filter = CaseFilter {
        kind,
        open: q.open,
        state: case_state,
        due,
        record_id: q.record_id,
        ..CaseFilter::default()
    };
    let app = state.app.clone();
    let views = blocking(move || {
        // One more than asked says whether there is a next page.
        Ok(probity_app::cases::list(
            &app,
            &caller.who(),
            filter,
            q.before,
            limit + 1,
        )?)
    })
    .await?;
    let more = views.len() > limit as usize;
    let items: Vec<CaseSummaryView> = views
        .iter()
        .take(limit as usize)
        .map(CaseSummaryView::from)
        .collect();
    let next_before = items.last().map(|c| c.id).filter(|_| more);
    Ok(Json(CasePage { items, next_before }))
}

/// Cases within the caller's reach, newest first: the credit office sees every case, a unit or
/// provider the cases it opened, holds or is the subject of.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<CaseQuery>,
) -> Result<Json<CasePage>, ApiError> {
    list(state, caller, q).await
}

/// Objections (异议) within the caller's reach.
#[utoipa::path(get, path = "/api/v1/objections", tag = "cases", params(KindQuery),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody)))]
async fn list_objections(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<KindQuery>,
) -> Result<Json<CasePage>, ApiError> {
    list(state, caller, CaseQuery::of_kind(CaseKind::Objection, q)).await
}

/// Credit repair applications (信用修复) within the caller's reach.
#[utoipa::path(get, path = "/api/v1/repairs", tag = "cases", params(KindQuery),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody)))]
async fn list_repairs(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<KindQuery>,
) -> Result<Json<CasePage>, ApiError> {
    list(state, caller, CaseQuery::of_kind(CaseKind::Repair, q)).await
}

/// Rectification cases (书面说明并限期整改) within the caller's reach.
#[utoipa::path(get, path = "/api/v1/rectifications", tag = "cases", params(KindQuery),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody)))]
async fn list_rectifications(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<KindQuery>,
) -> Result<Json<CasePage>, ApiError> {
    list(
        state,
        caller,
        CaseQuery::of_kind(CaseKind::Rectification, q),
    )
    .await
}

/// Complaints (投诉举报) within the caller's reach.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "cases", params(KindQuery),
    responses((status = 200, body = CasePage), (status = 400, body = ErrorBody)))]
async fn list_complaints(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<KindQuery>,
) -> Result<Json<CasePage>, ApiError> {
    list(state, caller, CaseQuery::of_kind(CaseKind::Complaint, q)).await
}

// ---------------------------------------------------------------------------------------------
// One case

/// The case as the caller now reads it; when the step just taken put it out of the caller's
/// reach (a complaint answered by a unit it was routed to), the case as it stands, without its
/// history.
fn detail_after(
    app: &probity_app::App,
    who: &probity_app::Actor,
    done: StoredCase,
) -> Result<CaseDetailView, ApiError> {
    match probity_app::cases::detail(app, who, done.id) {
        Ok(d) => Ok(d.into()),
        Err(probity_app::AppError::NotFound(_)) => Ok(bare(done)),
        Err(e) => Err(e.into()),
    }
}

fn bare(c: StoredCase) -> CaseDetailView {
    let closed = c.state.is_closed();
    CaseDetailView {
        case: CaseSummaryView {
            id: c.id,
            kind: c.kind.code().to_string(),
            kind_label: c.kind.label().to_string(),
            state: c.state.code().to_string(),
            state_label: c.state.label().to_string(),
            outcome: c.outcome.map(|o| o.code().to_string()),
            outcome_label: c.outcome.map(|o| o.label().to_string()),
            title: c.title.clone(),
            record_id: c.record_id,
            subject_id: c.subject_id,
            subject: String::new(),
            applicant: String::new(),
            assignee_unit: if closed { None } else { c.assignee_unit },
            holder: String::new(),
            deadline: c.deadline.map(|d| d.to_string()),
            due: None,
            days_left: None,
            days_over: None,
            due_label: String::new(),
            overdue_ever: c.overdue_ever,
            tracking_no: c.tracking_no.clone(),
            created_at: c.created_at.clone(),
            updated_at: c.updated_at.clone(),
            closed_at: c.closed_at.clone(),
        },
        text: c.text,
        channel: c.channel,
        rating: c.rating,
        finding: c.finding,
        detail: c.detail,
        party: String::new(),
        party_label: String::new(),
        record: None,
        history: Vec::new(),
        attachments: Vec::new(),
        actions: Vec::new(),
        contact: None,
    }
}

/// One case: its state, deadline and days left, its history, its attachments, and the steps
/// the caller may take now. Another's case answers 404, like a missing one.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetailView), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseDetailView>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let d = blocking(move || Ok(probity_app::cases::detail(&app, &caller.who(), id)?)).await?;
    Ok(Json(d.into()))
}

/// A step on a case, as JSON or as a multipart form with the same fields and files named `file`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// comment, withdraw, uphold, dismiss, consult, reply, approve, reject, file, accept,
    /// return, route, answer, close; on a dispute of an assessment result maintain (维持) or
    /// correct (更正, which reopens the period)
    pub action: String,
    /// Reasons, an answer, a written explanation (required where the step owes reasons).
    #[serde(default)]
    pub text: String,
    /// answer and close: founded, partly_founded or unfounded.
    pub finding: Option<String>,
    /// rate: 1 to 5.
    pub rating: Option<i64>,
    /// route: the unit the complaint goes to; consult: the deciding authority (default: the
    /// record's provider). A unit's name, short name or USCC.
    pub unit: Option<String>,
    /// approve (a civil servant's record): lighter (从轻惩戒) or exempt (免于惩戒).
    pub leniency: Option<String>,
}

/// The multipart form of a step: the fields of [`StepInput`] and up to five files.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StepForm {
    pub action: String,
    pub text: Option<String>,
    pub finding: Option<String>,
    pub rating: Option<i64>,
    pub unit: Option<String>,
    pub leniency: Option<String>,
    /// Files named `file` (PDF, PNG, JPEG, Word, Excel; each at most 20 MB).
    #[schema(content_media_type = "application/octet-stream")]
    pub file: Vec<Vec<u8>>,
}

impl FromForm for StepInput {
    fn from_form(mut f: Form) -> Result<Self, ApiError> {
        let input = StepInput {
            action: f.take("action").unwrap_or_default(),
            text: f.take("text").unwrap_or_default(),
            finding: f.take("finding"),
            rating: f.int("rating")?,
            unit: f.take("unit"),
            leniency: f.take("leniency"),
        };
        f.finish()?;
        Ok(input)
    }
}

/// A refusal of one field, in the shape of the use cases' field refusals.
fn field_refusal(field: &'static str, code: &'static str, message: &str) -> ApiError {
    ApiError::Unprocessable {
        code,
        message: message.to_string(),
        fields: vec![crate::error::FieldIssue {
            field: field.to_string(),
            code: code.to_string(),
            message: message.to_string(),
        }],
    }
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl StepInput {
    fn request(self, files: Vec<Upload>) -> Result<StepRequest, ApiError> {
        let finding = match nonblank(&self.finding) {
            None => None,
            Some(f) => Some(Finding::parse(f).ok_or_else(|| {
                field_refusal(
                    "finding",
                    "FINDING_INVALID",
                    "finding 应为 founded（属实）、partly_founded（部分属实）或 unfounded（不属实）",
                )
            })?),
        };
        let stars = match self.rating {
            None => None,
            // Out of 1–5 is the rules' refusal (RATING_INVALID); out of a byte is the same.
            Some(n) => Some(u8::try_from(n).map_err(|_| {
                field_refusal(
                    "rating",
                    "RATING_INVALID",
                    &format!("评价应为 1 至 5 星，收到 {n}"),
                )
            })?),
        };
        let code = self.action.trim();
        let action = CaseAction::parse(code, finding, stars).ok_or_else(|| match code {
            "answer" | "close" => field_refusal(
                "finding",
                "REQUIRED",
                "请填写 finding：founded、partly_founded 或 unfounded",
            ),
            "rate" => field_refusal("rating", "REQUIRED", "请填写 rating：1 至 5"),
            "" => field_refusal("action", "REQUIRED", "请填写 action：要执行的办理动作"),
            other => field_refusal(
                "action",
                "ACTION_INVALID",
                &format!("未知的办理动作：{}", truncate(other, 40)),
            ),
        })?;
        Ok(StepRequest {
            action,
            text: self.text,
            unit: self.unit,
            leniency: self.leniency,
            files,
        })
    }
}

/// Takes one step on a case: answer, dismiss or uphold an objection; consult, approve or
/// reject a repair; file, accept or return a rectification; route, answer or close a complaint;
/// comment or withdraw. Answers the case as it now stands.
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", tag = "cases", params(("id" = i64, Path)),
    request_body(content(
        (StepInput = "application/json"),
        (StepForm = "multipart/form-data"),
    )),
    responses((status = 200, body = CaseDetailView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn take_step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    WithFiles(input, files): WithFiles<StepInput>,
) -> Result<Json<CaseDetailView>, ApiError> {
    let id = parse_id(&id)?;
    let req = input.request(files)?;
    let app = state.app.clone();
    let view = blocking(move || {
        let who = caller.who();
        let done = probity_app::cases::step(&app, &who, id, req)?;
        detail_after(&app, &who, done)
    })
    .await?;
    Ok(Json(view))
}

/// An attachment of a case, as it was stored (its SM3 digest checked on reading), always as a
/// download.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{file}", tag = "cases",
    params(("id" = i64, Path), ("file" = i64, Path, description = "The attachment's id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
async fn case_attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let file = parse_id(&file)?;
    let app = state.app.clone();
    let (meta, bytes) = blocking(move || {
        Ok(probity_app::cases::attachment(
            &app,
            &caller.who(),
            id,
            file,
        )?)
    })
    .await?;
    Ok(file_response(meta.id, &meta.kind, &meta.file_name, bytes))
}

// ---------------------------------------------------------------------------------------------
// Opening cases

/// An objection to a record of the caller's own file (or one of its civil servants').
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    pub record_id: i64,
    /// Why the record is wrong.
    #[serde(default)]
    pub reasons: String,
}

impl FromForm for ObjectionInput {
    fn from_form(mut f: Form) -> Result<Self, ApiError> {
        let input = ObjectionInput {
            record_id: f.required_int("record_id")?,
            reasons: f.take("reasons").unwrap_or_default(),
        };
        f.finish()?;
        Ok(input)
    }
}

/// The multipart form of an objection: its fields and up to five files of evidence.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ObjectionForm {
    pub record_id: i64,
    pub reasons: String,
    #[schema(content_media_type = "application/octet-stream")]
    pub file: Vec<Vec<u8>>,
}

/// Objects to a record (提出异议): the record is shown as 异议处理中 until its provider answers
/// within the deadline. One open objection per record.
#[utoipa::path(post, path = "/api/v1/objections", tag = "cases",
    request_body(content(
        (ObjectionInput = "application/json"),
        (ObjectionForm = "multipart/form-data"),
    )),
    responses((status = 201, body = CaseDetailView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_objection(
    State(state): State<AppState>,
    caller: Caller,
    WithFiles(input, files): WithFiles<ObjectionInput>,
) -> Result<(StatusCode, Json<CaseDetailView>), ApiError> {
    let app = state.app.clone();
    let view = blocking(move || {
        let who = caller.who();
        let c = probity_app::cases::object(&app, &who, input.record_id, &input.reasons, files)?;
        detail_after(&app, &who, c)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// An application for credit repair of a record of the caller's own file.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairInput {
    pub record_id: i64,
    /// How the conduct was corrected and the obligations fulfilled.
    #[serde(default)]
    pub statement: String,
    /// The 信用承诺书 is signed.
    #[serde(default)]
    pub commitment_signed: bool,
    /// The obligations the decision imposed are fulfilled.
    #[serde(default)]
    pub obligations_fulfilled: bool,
}

impl FromForm for RepairInput {
    fn from_form(mut f: Form) -> Result<Self, ApiError> {
        let input = RepairInput {
            record_id: f.required_int("record_id")?,
            statement: f.take("statement").unwrap_or_default(),
            commitment_signed: f.flag("commitment_signed")?,
            obligations_fulfilled: f.flag("obligations_fulfilled")?,
        };
        f.finish()?;
        Ok(input)
    }
}

/// The multipart form of a repair application: its fields and up to five files of proof.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RepairForm {
    pub record_id: i64,
    pub statement: String,
    /// true, 1 or on.
    pub commitment_signed: String,
    pub obligations_fulfilled: String,
    #[schema(content_media_type = "application/octet-stream")]
    pub file: Vec<Vec<u8>>,
}

/// Applies for credit repair (信用修复) under NDRC Order No. 36: refused with the reason, and
/// nothing written, when the category is not repairable or the minimum disclosure period has
/// not passed; otherwise the credit office decides within its deadline.
#[utoipa::path(post, path = "/api/v1/repairs", tag = "cases",
    request_body(content(
        (RepairInput = "application/json"),
        (RepairForm = "multipart/form-data"),
    )),
    responses((status = 201, body = CaseDetailView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_repair(
    State(state): State<AppState>,
    caller: Caller,
    WithFiles(input, files): WithFiles<RepairInput>,
) -> Result<(StatusCode, Json<CaseDetailView>), ApiError> {
    let app = state.app.clone();
    let view = blocking(move || {
        let who = caller.who();
        let application = RepairApplication {
            commitment_signed: input.commitment_signed,
            obligations_fulfilled: input.obligations_fulfilled,
            statement: input.statement,
        };
        let c = probity_app::cases::apply_repair(&app, &who, input.record_id, &application, files)?;
        detail_after(&app, &who, c)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A complaint in the shape DESIGN.md §5 fixes, with the optional record and name.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ComplaintBody {
    /// The unit complained about: its USCC, name or short name.
    pub subject: String,
    /// What happened (10 to 2,000 characters).
    pub content: String,
    /// web, hotline, new_media, letter
    pub channel: String,
    /// How to reach the complainant; absent or blank: anonymous.
    pub contact: Option<String>,
    /// One of the unit's records, when the complaint is about it.
    pub record_id: Option<i64>,
    /// The complainant's name, when given.
    pub name: Option<String>,
}

impl From<ComplaintBody> for ComplaintInput {
    fn from(b: ComplaintBody) -> Self {
        ComplaintInput {
            subject: b.subject,
            record_id: b.record_id,
            content: b.content,
            channel: b.channel,
            contact: b.contact,
            name: b.name,
        }
    }
}

/// Enters a complaint received by the 12345 hotline, a letter or a new-media account on the
/// complainant's behalf (credit office): its tracking number and query code, to pass on.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "cases", request_body = ComplaintBody,
    responses((status = 201, body = FiledComplaintView), (status = 422, body = ErrorBody)))]
async fn create_complaint(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<ComplaintBody>,
) -> Result<(StatusCode, Json<FiledComplaintView>), ApiError> {
    let app = state.app.clone();
    let filed = blocking(move || {
        Ok(probity_app::cases::file_complaint(
            &app,
            Some(&caller.who()),
            &body.into(),
        )?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(FiledComplaintView {
            tracking_no: filed.tracking_no,
            code: filed.code,
            case_id: Some(filed.case.id),
        }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Notifications

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// The caller's newest notifications (its unit's, or the credit office's) and the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "cases", params(NotificationQuery),
    responses((status = 200, body = NotificationsView), (status = 400, body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<NotificationQuery>,
) -> Result<Json<NotificationsView>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(query_invalid("limit 应在 1 到 200 之间"));
    }
    let app = state.app.clone();
    let (items, unread) = blocking(move || {
        let who = caller.who();
        Ok((
            probity_app::cases::notifications(&app, &who, limit)?,
            probity_app::cases::unread(&app, &who)?,
        ))
    })
    .await?;
    Ok(Json(NotificationsView {
        unread,
        items: items.iter().map(NotificationView::from).collect(),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReadInput {
    /// The notifications to mark read; empty or absent: all of them.
    pub ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadView {
    /// Notifications marked read now.
    pub marked: u64,
    /// Unread ones left.
    pub unread: i64,
}

/// Marks notifications read for the caller (all of them when `ids` is empty).
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "cases", request_body = ReadInput,
    responses((status = 200, body = ReadView), (status = 400, body = ErrorBody)))]
async fn read_notifications(
    State(state): State<AppState>,
    caller: Caller,
    Body(input): Body<ReadInput>,
) -> Result<Json<ReadView>, ApiError> {
    if input.ids.len() > 1000 {
        return Err(ApiError::bad_request(
            "JSON_INVALID",
            "ids 一次最多 1000 个",
        ));
    }
    let app = state.app.clone();
    let (marked, unread) = blocking(move || {
        let who = caller.who();
        let marked = probity_app::cases::mark_read(&app, &who, &input.ids)?;
        Ok((marked, probity_app::cases::unread(&app, &who)?))
    })
    .await?;
    Ok(Json(ReadView { marked, unread }))
}

// ---------------------------------------------------------------------------------------------
// The case deadlines (案件期限设置)

/// The case engine's thresholds: the deadlines in working days, the minimum disclosure periods
/// before repair in months. Every key is required when saving.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesBody {
    /// The provider answers an objection (异议答复期限).
    pub objection_days: u32,
    /// The credit office decides on a repair (信用修复决定期限).
    pub repair_decision_days: u32,
    /// The deciding authority gives its opinion on a repair (征求决定机关意见期限).
    pub repair_consult_days: u32,
    /// A rectification's deadline when its category sets none (整改默认期限).
    pub rectification_days: u32,
    /// The credit office reviews a filed rectification report (整改审核期限).
    pub rectification_review_days: u32,
    /// The unit rectifies again after a report is returned (退回整改期限).
    pub rectification_return_days: u32,
    /// The credit office routes a new complaint (投诉转办期限).
    pub complaint_route_days: u32,
    /// The responsible unit answers a complaint (投诉答复期限).
    pub complaint_answer_days: u32,
    /// The credit office reviews the answer and closes the complaint (投诉办结期限).
    pub complaint_close_days: u32,
    /// A unit disputes a published assessment result within these working days (考核结果异议提出
    /// 期限); 5 when not sent (a key added after the others).
    #[serde(default = "dispute_window_days")]
    pub dispute_window_days: u32,
    /// The credit office answers a dispute of an assessment result (考核结果异议答复期限); 10
    /// when not sent.
    #[serde(default = "dispute_answer_days")]
    pub dispute_answer_days: u32,
    /// Due soon (即将到期) with this many working days or fewer left; 0: never.
    pub due_soon_days: u32,
    /// Months a minor (轻微) record is disclosed before repair.
    pub repair_minor_months: u32,
    /// Months an ordinary (一般) record is disclosed before repair.
    pub repair_ordinary_months: u32,
    /// Months a grave (严重) record is disclosed before repair.
    pub repair_grave_months: u32,
}

impl From<probity_domain::case::Deadlines> for DeadlinesBody {
    fn from(d: probity_domain::case::Deadlines) -> Self {
        DeadlinesBody {
            objection_days: d.objection_days,
            repair_decision_days: d.repair_decision_days,
            repair_consult_days: d.repair_consult_days,
            rectification_days: d.rectification_days,
            rectification_review_days: d.rectification_review_days,
            rectification_return_days: d.rectification_return_days,
            complaint_route_days: d.complaint_route_days,
            complaint_answer_days: d.complaint_answer_days,
            complaint_close_days: d.complaint_close_days,
            dispute_window_days: d.dispute_window_days,
            dispute_answer_days: d.dispute_answer_days,
            due_soon_days: d.due_soon_days,
            repair_minor_months: d.repair_minor_months,
            repair_ordinary_months: d.repair_ordinary_months,
            repair_grave_months: d.repair_grave_months,
        }
    }
}

fn dispute_window_days() -> u32 {
    probity_domain::case::dispute::WINDOW_DAYS
}

fn dispute_answer_days() -> u32 {
    probity_domain::case::dispute::ANSWER_DAYS
}

impl From<DeadlinesBody> for probity_domain::case::Deadlines {
    fn from(d: DeadlinesBody) -> Self {
        probity_domain::case::Deadlines {
            objection_days: d.objection_days,
            repair_decision_days: d.repair_decision_days,
            repair_consult_days: d.repair_consult_days,
            rectification_days: d.rectification_days,
            rectification_review_days: d.rectification_review_days,
            rectification_return_days: d.rectification_return_days,
            complaint_route_days: d.complaint_route_days,
            complaint_answer_days: d.complaint_answer_days,
            complaint_close_days: d.complaint_close_days,
            dispute_window_days: d.dispute_window_days,
            dispute_answer_days: d.dispute_answer_days,
            due_soon_days: d.due_soon_days,
            repair_minor_months: d.repair_minor_months,
            repair_ordinary_months: d.repair_ordinary_months,
            repair_grave_months: d.repair_grave_months,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlinesView {
    pub deadlines: DeadlinesBody,
    /// When the credit office last saved them (RFC 3339 UTC); absent: the rules' defaults.
    pub saved_at: Option<String>,
    /// Whether this request changed them (on PUT).
    pub changed: bool,
}

/// The case engine's deadlines as they apply now.
#[utoipa::path(get, path = "/api/v1/case-deadlines", tag = "cases",
    responses((status = 200, body = DeadlinesView)))]
async fn get_deadlines(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<DeadlinesView>, ApiError> {
    let app = state.app.clone();
    let (d, saved_at) = blocking(move || Ok(probity_app::cases::deadlines_saved(&app)?)).await?;
    Ok(Json(DeadlinesView {
        deadlines: d.into(),
        saved_at,
        changed: false,
    }))
}

/// The credit office sets the case deadlines (every key; every problem at once, nothing saved
/// when one is wrong). Deadlines already counted stay; new ones count from the next step.
#[utoipa::path(put, path = "/api/v1/case-deadlines", tag = "cases", request_body = DeadlinesBody,
    responses((status = 200, body = DeadlinesView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_deadlines(
    State(state): State<AppState>,
    caller: Caller,
    Body(input): Body<DeadlinesBody>,
) -> Result<Json<DeadlinesView>, ApiError> {
    let app = state.app.clone();
    let (changed, (d, saved_at)) = blocking(move || {
        let changed = probity_app::cases::set_deadlines(&app, &caller.who(), input.into())?;
        Ok((changed, probity_app::cases::deadlines_saved(&app)?))
    })
    .await?;
    Ok(Json(DeadlinesView {
        deadlines: d.into(),
        saved_at,
        changed,
    }))
}

// ---------------------------------------------------------------------------------------------
// The public complaint routes

/// Whether the request carries a bearer token of an enabled account (a hotline or new-media
/// system filing for its callers), which the per-client complaint limit does not count.
async fn holds_token(state: &AppState, headers: &HeaderMap) -> bool {
    if crate::auth::bearer(headers).is_none() {
        return false;
    }
    matches!(
        crate::auth::identify(state, headers).await,
        Ok(Some((_, Credential::Token)))
    )
}

/// Counts a public filing (a complaint or a report of an error) against the client's hourly
/// limit, unless it carries the bearer token of an enabled account.
async fn count_public_filing(
    state: &AppState,
    peer: PeerAddr,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if holds_token(state, headers).await {
        return Ok(());
    }
    let key = client_key(headers, peer, &state.config.trusted_proxies);
    state
        .complaint_limiter
        .check(&key)
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: wait,
        })
}

/// Files a complaint (投诉举报) about a unit, named or anonymous. Answers the tracking number
/// and the query code, shown this once. Without a bearer token a client may file 3 an hour
/// (complaints and reports of an error together): every attempt counts, well-formed or not.
#[utoipa::path(post, path = "/api/v1/public/complaints", tag = "public", request_body = ComplaintBody,
    responses((status = 201, body = FiledComplaintView), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn file_public_complaint(
    State(state): State<AppState>,
    peer: PeerAddr,
    req: Request,
) -> Result<(StatusCode, Json<FiledComplaintView>), ApiError> {
    count_public_filing(&state, peer, req.headers()).await?;
    let Body(body) = Body::<ComplaintBody>::from_request(req, &state).await?;
    let app = state.app.clone();
    let filed = blocking(move || {
        Ok(probity_app::cases::file_complaint(
            &app,
            None,
            &body.into(),
        )?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(FiledComplaintView {
            tracking_no: filed.tracking_no,
            code: filed.code,
            case_id: None,
        }),
    ))
}

/// A report of an error on a public record (纠错), named or anonymous.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CorrectionBody {
    /// The record, by the id its public page (`/records/{id}`) shows.
    pub record_id: Option<i64>,
    /// What is wrong with the record, and how the reporter knows (10 to 2,000 characters).
    pub reasons: String,
    /// The reporter's name, when given (at most 50 characters).
    pub name: Option<String>,
    /// How to reach the reporter (at most 100 characters); absent or blank: anonymous.
    pub contact: Option<String>,
}

/// Reports an error on a record the public sees (纠错): an objection its provider answers
/// within the objection deadline, the record shown as 异议处理中 meanwhile. Answers the tracking
/// number (`JC…`) and the query code, shown this once; follow it at
/// `GET /api/v1/public/complaints/{tracking_no}?code=`. A record the public does not see answers
/// 404 as an unknown one; a record with an objection open, 409. Counted with complaints against
/// the client's limit of 3 an hour (a bearer token of an enabled account is not counted).
#[utoipa::path(post, path = "/api/v1/public/corrections", tag = "public", request_body = CorrectionBody,
    responses((status = 201, body = FiledComplaintView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn file_public_correction(
    State(state): State<AppState>,
    peer: PeerAddr,
    req: Request,
) -> Result<(StatusCode, Json<FiledComplaintView>), ApiError> {
    count_public_filing(&state, peer, req.headers()).await?;
    let Body(body) = Body::<CorrectionBody>::from_request(req, &state).await?;
    let input = CorrectionInput {
        reasons: body.reasons,
        name: body.name,
        contact: body.contact,
    };
    let Some(record_id) = body.record_id else {
        // The record's absence and the text's faults, at once.
        let mut errs = input.validate().err().unwrap_or_default();
        errs.insert(
            0,
            probity_domain::record::FieldError {
                column: "record_id",
                error: probity_domain::DomainError::new(
                    probity_domain::Code::Required,
                    "缺少记录编号 record_id：请填写所纠错的公示记录的编号",
                ),
            },
        );
        return Err(probity_app::AppError::Fields(errs).into());
    };
    let app = state.app.clone();
    let filed =
        blocking(move || Ok(probity_app::cases::report_error(&app, record_id, &input)?)).await?;
    Ok((
        StatusCode::CREATED,
        Json(FiledComplaintView {
            tracking_no: filed.tracking_no,
            code: filed.code,
            case_id: None,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CodeQuery {
    /// The query code given when the complaint or the report of an error was filed.
    pub code: Option<String>,
}

/// A complaint's (`TS…`) or a report of an error's (`JC…`, 纠错) status and answers, with its
/// tracking number and query code; no staff names: who answered is 承办单位, 报送单位 or 信用办.
/// A wrong code answers 404, the same as an unknown number.
#[utoipa::path(get, path = "/api/v1/public/complaints/{tracking_no}", tag = "public",
    params(("tracking_no" = String, Path, description = "e.g. TS20261202-0007 or JC20261203-0001"), CodeQuery),
    responses((status = 200, body = PublicComplaintView), (status = 404, body = ErrorBody)))]
async fn public_complaint(
    State(state): State<AppState>,
    Path(tracking_no): Path<String>,
    Params(q): Params<CodeQuery>,
) -> Result<Json<PublicComplaintView>, ApiError> {
    let app = state.app.clone();
    let code = q.code.unwrap_or_default();
    let p = blocking(move || {
        Ok(probity_app::cases::complaint_status(
            &app,
            &tracking_no,
            &code,
        )?)
    })
    .await?;
    Ok(Json(p.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    /// The query code.
    pub code: String,
    /// 1 to 5 stars.
    pub rating: i64,
    #[serde(default)]
    pub note: String,
}

/// The complainant rates the answer, once (1–5 stars), with the tracking number and code.
#[utoipa::path(post, path = "/api/v1/public/complaints/{tracking_no}/rating", tag = "public",
    params(("tracking_no" = String, Path)), request_body = RatingInput,
    responses((status = 200, body = PublicComplaintView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rate_public_complaint(
    State(state): State<AppState>,
    Path(tracking_no): Path<String>,
    Body(input): Body<RatingInput>,
) -> Result<Json<PublicComplaintView>, ApiError> {
    let stars = u8::try_from(input.rating).map_err(|_| {
        field_refusal(
            "rating",
            "RATING_INVALID",
            &format!("评价应为 1 至 5 星，收到 {}", input.rating),
        )
    })?;
    let app = state.app.clone();
    let p = blocking(move || {
        Ok(probity_app::cases::rate_complaint(
            &app,
            &tracking_no,
            &input.code,
            stars,
            &input.note,
        )?)
    })
    .await?;
    Ok(Json(p.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_reads_its_action_with_its_argument() {
        let s = |action: &str, finding: Option<&str>, rating: Option<i64>| StepInput {
            action: action.into(),
            finding: finding.map(str::to_string),
            rating,
            ..StepInput::default()
        };
        let r = s("answer", Some("partly_founded"), None)
            .request(Vec::new())
            .unwrap();
        assert_eq!(r.action, CaseAction::Answer(Finding::PartlyFounded));
        let code = |e: ApiError| e.detail().code;
        assert_eq!(
            code(s("answer", None, None).request(vec![]).unwrap_err()),
            "REQUIRED"
        );
        assert_eq!(
            code(s("close", Some("maybe"), None).request(vec![]).unwrap_err()),
            "FINDING_INVALID"
        );
        assert_eq!(
            code(s("rate", None, None).request(vec![]).unwrap_err()),
            "REQUIRED"
        );
        assert_eq!(
            code(s("rate", None, Some(300)).request(vec![]).unwrap_err()),
            "RATING_INVALID"
        );
        assert_eq!(
            s("rate", None, Some(4)).request(vec![]).unwrap().action,
            CaseAction::Rate(4)
        );
        assert_eq!(
            code(s("fly", None, None).request(vec![]).unwrap_err()),
            "ACTION_INVALID"
        );
        assert_eq!(
            code(s(" ", None, None).request(vec![]).unwrap_err()),
            "REQUIRED"
        );
    }

    #[test]
    fn a_form_refuses_what_nobody_asked_for() {
        let form = |pairs: &[(&str, &str)]| {
            Form(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let r = RepairInput::from_form(form(&[
            ("record_id", "12"),
            ("statement", "已履行"),
            ("commitment_signed", "on"),
        ]))
        .unwrap();
        assert_eq!(r.record_id, 12);
        assert!(r.commitment_signed && !r.obligations_fulfilled);
        assert!(RepairInput::from_form(form(&[("record_id", "x")])).is_err());
        assert!(RepairInput::from_form(form(&[("statement", "a")])).is_err());
        let e = ObjectionInput::from_form(form(&[("record_id", "1"), ("extra", "1")])).unwrap_err();
        assert_eq!(e.detail().code, "FORM_INVALID");
        let s = StepInput::from_form(form(&[("action", "file"), ("text", "说明")])).unwrap();
        assert_eq!(s.action, "file");
        assert!(StepInput::from_form(form(&[("action", "rate"), ("rating", "five")])).is_err());
    }
}
