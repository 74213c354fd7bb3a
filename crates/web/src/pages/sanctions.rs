//! The credit check's pages (信用核查): a department's checks with a feedback form (反馈) on each
//! restricted answer still without one, filtered by decision, purpose and feedback, as Excel too
//! (`/console/sanctions/checks`); the credit office's feedback rates per department
//! (`/console/sanctions/feedback`); and a unit's measures in force with their reasons
//! (`/console/sanctions/measures`). What may be done and what it means is
//! `probity_app::sanctions`'s; these pages ask and show, in words, never in codes.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use probity_app::sanctions::{CheckRow, ListRequest, MeasureNow, Rates, rate_text};
use probity_domain::account::AccountRole;
use probity_domain::sanction::{Decision, FeedbackState, MAX_REASON_CHARS, Purpose, Tally};
use serde::Deserialize;

use super::kit::{Ctx, Layout, Opt, PAGE_SIZE, PageForm, options, xlsx_download};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{blocking, parse_id, truncate};
use crate::http::{PageQuery, PageResult, done, nonempty, query_string};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/sanctions/checks", get(checks))
        .route("/console/sanctions/checks.xlsx", get(checks_export))
        .route(
            "/console/sanctions/checks/{check_no}/feedback",
            post(feedback),
        )
        .route("/console/sanctions/feedback", get(rates))
        .route("/console/sanctions/feedback.xlsx", get(rates_export))
        .route("/console/sanctions/measures", get(measures))
}

// ---------------------------------------------------------------------------------------------
// The checks and their feedback

/// The list's filters, as the query string (and each feedback form, to come back to) carries
/// them.
#[derive(Debug, Default, Clone, Deserialize)]
struct ListQuery {
    /// A decision's code.
    decision: Option<String>,
    /// A purpose's code.
    purpose: Option<String>,
    /// A feedback state's code.
    feedback: Option<String>,
    /// The id the next page starts below.
    before: Option<String>,
}

impl ListQuery {
    fn request(&self) -> Result<ListRequest, ApiError> {
        Ok(ListRequest {
            decision: nonempty(&self.decision),
            purpose: nonempty(&self.purpose),
            feedback: nonempty(&self.feedback),
            pending: false,
            year: None,
            before: nonempty(&self.before).map(|b| parse_id(&b)).transpose()?,
        })
    }

    /// The filters as a query string (without the page), for the export, the next page and
    /// the way back from a form.
    fn keep(&self) -> String {
        let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
        query_string(&[
            ("decision", &v(&self.decision)),
            ("purpose", &v(&self.purpose)),
            ("feedback", &v(&self.feedback)),
        ])
    }
}

/// A check as one row of the list, in words.
struct Row {
    check_no: String,
    at: String,
    asker: String,
    subject: String,
    subject_kind: &'static str,
    purpose: &'static str,
    year: i32,
    decision: &'static str,
    /// `restricted`, `priority`, `allowed`: how the decision is marked.
    decision_class: &'static str,
    measures: String,
    state: &'static str,
    pending: bool,
    /// Given feedback: 已落实 or 未落实, with its reason, who and when.
    feedback: Option<(String, String, String, String)>,
    /// The form's refusal, and what was typed, when this row's form was refused.
    error: Option<String>,
    reason: String,
    applied: String,
}

impl Row {
    fn new(r: CheckRow) -> Row {
        Row {
            pending: r.pending(),
            check_no: r.check_no,
            at: r.at,
            asker: r.asker,
            subject: r.subject_name,
            subject_kind: r.subject_kind.label(),
            purpose: r.purpose.label(),
            year: r.year,
            decision: r.decision.label(),
            decision_class: r.decision.code(),
            measures: r.measures.join("；"),
            state: r.state.label(),
            feedback: r.feedback.map(|f| {
                let applied = if f.applied { "已落实" } else { "未落实" };
                (applied.to_string(), f.reason, f.by, f.at)
            }),
            error: None,
            reason: String::new(),
            applied: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "sanction_checks.html")]
struct ChecksTpl {
    l: Layout,
    /// The credit office sees every department's checks.
    office: bool,
    rows: Vec<Row>,
    decisions: Vec<Opt>,
    purposes: Vec<Opt>,
    feedbacks: Vec<Opt>,
    filtered: bool,
    /// The filters, as hidden fields of each form and as the export's query.
    q_decision: String,
    q_purpose: String,
    q_feedback: String,
    keep: String,
    next: Option<String>,
    /// A refusal of a form whose check is not on this page.
    error: Option<String>,
    max_reason: usize,
}

/// A form's refusal, for the list to show beside the form: the check and the message.
struct Refused {
    check_no: String,
    message: String,
    applied: String,
    reason: String,
}

async fn render_checks(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    refused: Option<Refused>,
    status: StatusCode,
) -> PageResult {
    let req = q.request()?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let mut found = blocking(move || {
        Ok(probity_app::sanctions::list(
            &app,
            &who,
            &req,
            PAGE_SIZE + 1,
        )?)
    })
    .await?;
    let more = found.len() > PAGE_SIZE as usize;
    found.truncate(PAGE_SIZE as usize);
    let keep = q.keep();
    let next = found.last().filter(|_| more).map(|r| {
        let mut n = format!("/console/sanctions/checks?before={}", r.id);
        if !keep.is_empty() {
            n.push('&');
            n.push_str(&keep);
        }
        n
    });
    let mut rows: Vec<Row> = found.into_iter().map(Row::new).collect();
    let mut error = None;
    if let Some(r) = refused {
        // Beside its form while the check waits for feedback; else above the list.
        match rows
            .iter_mut()
            .find(|row| row.check_no == r.check_no && row.pending)
        {
            Some(row) => {
                row.error = Some(r.message);
                row.reason = r.reason;
                row.applied = r.applied;
            }
            None => error = Some(format!("核查 {}：{}", r.check_no, r.message)),
        }
    }
    let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
    let office = ctx.role() == AccountRole::Admin;
    let title = if office {
        "信用核查记录"
    } else {
        "信用核查反馈"
    };
    let page = ChecksTpl {
        l: ctx.layout(title),
        office,
        rows,
        decisions: options(
            Decision::ALL
                .iter()
                .map(|d| (d.code().to_string(), d.label().to_string())),
            &v(&q.decision),
            Some("全部结论"),
        ),
        purposes: options(
            Purpose::ALL
                .iter()
                .map(|p| (p.code().to_string(), p.label().to_string())),
            &v(&q.purpose),
            Some("全部用途"),
        ),
        feedbacks: options(
            FeedbackState::FILTERS
                .iter()
                .map(|f| (f.code().to_string(), f.label().to_string())),
            &v(&q.feedback),
            Some("全部"),
        ),
        filtered: !keep.is_empty(),
        q_decision: v(&q.decision),
        q_purpose: v(&q.purpose),
        q_feedback: v(&q.feedback),
        keep: if keep.is_empty() {
            String::new()
        } else {
            format!("?{keep}")
        },
        next,
        error,
        max_reason: MAX_REASON_CHARS,
    };
    let mut res = ctx.page(&page);
    *res.status_mut() = status;
    Ok(res)
}

async fn checks(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult {
    render_checks(&state, &ctx, &q, None, StatusCode::OK).await
}

/// The filtered list (every page) as an Excel workbook.
async fn checks_export(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult {
    let req = q.request()?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let bytes = blocking(move || Ok(probity_app::sanctions::export(&app, &who, &req)?)).await?;
    Ok(xlsx_download(
        bytes,
        "sanction-checks.xlsx",
        "信用核查记录.xlsx",
    ))
}

/// A feedback form, with the list's filters to come back to.
#[derive(Debug, Deserialize)]
struct FeedbackForm {
    /// `1` 已落实, `0` 未落实.
    #[serde(default)]
    applied: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    feedback: Option<String>,
}

async fn feedback(
    State(state): State<AppState>,
    Path(check_no): Path<String>,
    PageForm { ctx, form }: PageForm<FeedbackForm>,
) -> PageResult {
    let check_no = truncate(check_no.trim(), 40);
    let q = ListQuery {
        decision: form.decision.clone(),
        purpose: form.purpose.clone(),
        feedback: form.feedback.clone(),
        before: None,
    };
    let refuse = |message: String| Refused {
        check_no: check_no.clone(),
        message,
        applied: form.applied.clone(),
        reason: form.reason.clone(),
    };
    let applied = match form.applied.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            let r = refuse("请选择落实情况：已落实或未落实".into());
            return render_checks(&state, &ctx, &q, Some(r), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (no, reason) = (check_no.clone(), form.reason.clone());
    let outcome = blocking(move || {
        Ok(
            match probity_app::sanctions::give_feedback(&app, &who, &no, applied, &reason) {
                Ok(g) => Ok(g),
                Err(e) => Err(ApiError::from(e)),
            },
        )
    })
    .await?;
    match outcome {
        Ok(g) => {
            let keep = q.keep();
            let back = if keep.is_empty() {
                "/console/sanctions/checks".to_string()
            } else {
                format!("/console/sanctions/checks?{keep}")
            };
            let what = if g.feedback.applied {
                "已落实"
            } else {
                "未落实"
            };
            Ok(done(
                &back,
                &format!("已提交核查 {} 的反馈：{what}", g.check_no),
            ))
        }
        // Who may not, what is not there, and failures: the error page. The rest (a reason
        // missing, feedback already given, an answer not restricted) beside the form.
        Err(e @ (ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Internal(_))) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            let r = refuse(format!("{}（未提交）", e.detail().message));
            render_checks(&state, &ctx, &q, Some(r), status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The rates per department (the credit office's)

#[derive(Debug, Default, Deserialize)]
struct RatesQuery {
    year: Option<String>,
}

impl RatesQuery {
    fn year(&self) -> Result<Option<i32>, ApiError> {
        nonempty(&self.year)
            .map(|y| {
                y.parse::<i32>().map_err(|_| {
                    ApiError::bad_request("QUERY_INVALID", "年度应为四位数字，如 2026")
                })
            })
            .transpose()
    }
}

/// One line of the rates table.
struct RateLine {
    department: String,
    checks: u64,
    restricted: u64,
    given: u64,
    applied: u64,
    not_applied: u64,
    pending: u64,
    feedback_rate: String,
    applied_rate: String,
}

impl RateLine {
    fn new(department: &str, t: &Tally) -> RateLine {
        RateLine {
            department: department.to_string(),
            checks: t.checks,
            restricted: t.restricted,
            given: t.given,
            applied: t.applied,
            not_applied: t.not_applied,
            pending: t.pending(),
            feedback_rate: rate_text(t.feedback_rate()),
            applied_rate: rate_text(t.applied_rate()),
        }
    }
}

#[derive(Template)]
#[template(path = "sanction_feedback.html")]
struct RatesTpl {
    l: Layout,
    year: String,
    lines: Vec<RateLine>,
    total: RateLine,
    export: String,
}

async fn load_rates(state: &AppState, ctx: &Ctx, q: &RatesQuery) -> Result<Rates, ApiError> {
    let year = q.year()?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    blocking(move || Ok(probity_app::sanctions::rates(&app, &who, year)?)).await
}

async fn rates(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<RatesQuery>,
) -> PageResult {
    let r = load_rates(&state, &ctx, &q).await?;
    let year = r.year.map(|y| y.to_string()).unwrap_or_default();
    Ok(ctx.page(&RatesTpl {
        l: ctx.layout("信用核查反馈统计"),
        export: format!(
            "/console/sanctions/feedback.xlsx{}",
            if year.is_empty() {
                String::new()
            } else {
                format!("?year={year}")
            }
        ),
        year,
        lines: r
            .departments
            .iter()
            .map(|d| RateLine::new(&d.department, &d.tally))
            .collect(),
        total: RateLine::new("合计", &r.total),
    }))
}

async fn rates_export(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<RatesQuery>,
) -> PageResult {
    let r = load_rates(&state, &ctx, &q).await?;
    let bytes = blocking(move || Ok(probity_app::sanctions::export_rates(&r)?)).await?;
    Ok(xlsx_download(bytes, "sanction-feedback.xlsx", "信用核查反馈统计.xlsx").into_response())
}

// ---------------------------------------------------------------------------------------------
// A unit's measures in force

/// A record behind a measure, as the page links it.
struct RecordLine {
    id: i64,
    label: String,
    decided_on: String,
    state: &'static str,
    in_force_until: String,
}

/// A measure in force, in words.
struct MeasureLine {
    name: String,
    kind: &'static str,
    /// `sanction` or `reward`: how it is marked.
    kind_class: &'static str,
    rule: String,
    purposes: String,
    basis: String,
    department: String,
    until: String,
    records: Vec<RecordLine>,
    /// What it rests on when not records: a clean year, a grade, an overdue rectification.
    ground: String,
}

impl MeasureLine {
    fn new(m: MeasureNow) -> MeasureLine {
        let k = m.measure.kind;
        MeasureLine {
            name: m.measure.measure.name,
            kind: k.label(),
            kind_class: match k {
                probity_domain::sanction::MeasureKind::Sanction => "sanction",
                probity_domain::sanction::MeasureKind::Reward => "reward",
            },
            rule: m.measure.rule_name,
            ground: m.measure.ground.clone().unwrap_or_default(),
            purposes: m
                .measure
                .purposes
                .iter()
                .map(|p| p.label())
                .collect::<Vec<_>>()
                .join("、"),
            basis: m.measure.measure.basis,
            department: m.measure.measure.department,
            until: m
                .measure
                .measure
                .until
                .map_or_else(|| "一次性措施".to_string(), |d| d.to_string()),
            records: m
                .records
                .into_iter()
                .map(|r| RecordLine {
                    id: r.id,
                    label: format!("{}（{}）", r.category, r.document_no),
                    decided_on: r.decided_on.to_string(),
                    state: r.state,
                    in_force_until: r
                        .in_force_until
                        .map_or_else(|| "—".to_string(), |d| d.to_string()),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "sanction_measures.html")]
struct MeasuresTpl {
    l: Layout,
    unit: String,
    today: String,
    measures: Vec<MeasureLine>,
}

async fn measures(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let own = blocking(move || Ok(probity_app::sanctions::own_measures(&app, &who)?)).await?;
    Ok(ctx.page(&MeasuresTpl {
        l: ctx.layout("本单位奖惩措施"),
        unit: own.unit,
        today: own.today.to_string(),
        measures: own.measures.into_iter().map(MeasureLine::new).collect(),
    }))
}
