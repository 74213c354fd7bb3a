//! The yearly assessment's pages (考核评价, issue 12): the district's ranking of a period for the
//! credit office and the organisation department (each group's table and chart, the grade
//! distribution, the period's state and signature, closing with a confirmation and reopening
//! with a reason, every score line as Excel, a printable summary for the district government and
//! the organisation department); one unit's explained result (each dimension, indicator and score
//! line with the record, case or score behind it, a radar of its dimensions, the score forms of
//! the credit office and of the unit, a print view); the year's indicator set as a table, its
//! TOML to edit and to download. The rules, the access and every refusal are
//! `probity_app::assessment`'s; this module only shows them.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use probity_app::AppError;
use probity_app::assessment::{self, PeriodResults, Ranked, ScoreInput};
use probity_app::assessment_export::{self, evidence_label, signed};
use probity_domain::account::AccountRole;
use probity_domain::assessment::{
    EntryStage, Evidence, Indicator, IndicatorSet, Period, PeriodKind, Points, Reweighting, Rule,
    Sort, Status,
};
use probity_domain::attachment::{AttachmentType, MAX_ATTACHMENT_BYTES};
use probity_domain::audit::Actor;
use probity_domain::authz::reach_on;
use probity_domain::subject::SubjectKind;
use probity_store::{EvidenceMeta, StoredEntry};
use serde::Deserialize;

use super::kit::{
    Ctx, Layout, Opt, PageForm, PageUpload, download, field_map, options, xlsx_download,
};
use crate::AppState;
use crate::charts;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{PageError, PageQuery, PageResult, done, local_time, nonempty};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/assessments", get(ranking))
        .route("/console/assessments.xlsx", get(export))
        .route("/console/assessments/summary", get(summary))
        .route(
            "/console/assessments/{year}/{period}/close",
            get(close_confirm).post(close),
        )
        .route("/console/assessments/{year}/{period}/reopen", post(reopen))
        .route(
            "/console/assessments/{year}/{period}/units/{id}",
            get(unit_page),
        )
        .route(
            "/console/assessments/{year}/{period}/units/{id}/print",
            get(unit_print),
        )
        .route(
            "/console/assessments/{year}/{period}/units/{id}/scores",
            post(score).layer(DefaultBodyLimit::max(SCORE_BODY_LIMIT)),
        )
        .route(
            "/console/assessments/{year}/{period}/units/{id}/evidence/{file}",
            get(evidence_file),
        )
        .route(
            "/console/assessments/sets/{year}",
            get(set_page).post(save_set),
        )
        .route(
            "/console/assessments/sets/{year}/indicators.toml",
            get(set_toml),
        )
}

/// The groups a ranking is within, in the order the pages show them.
const GROUPS: [SubjectKind; 3] = [
    SubjectKind::FunctionalZone,
    SubjectKind::Department,
    SubjectKind::Township,
];

/// The most a score form's files may weigh together, and the form around them.
const SCORE_FILES_LIMIT: usize = assessment::MAX_EVIDENCE_FILES * MAX_ATTACHMENT_BYTES;
const SCORE_BODY_LIMIT: usize = SCORE_FILES_LIMIT + 1024 * 1024;

/// The grade filter's value for the units without a grade yet.
const NO_GRADE: &str = "none";

// ---------------------------------------------------------------------------------------------
// Periods and addresses

fn ranking_href(p: Period) -> String {
    format!(
        "/console/assessments?year={}&period={}",
        p.year,
        p.kind.code()
    )
}

fn unit_href(p: Period, unit: i64) -> String {
    format!(
        "/console/assessments/{}/{}/units/{unit}",
        p.year,
        p.kind.code()
    )
}

fn set_href(year: i32) -> String {
    format!("/console/assessments/sets/{year}")
}

/// A period named in an address: a four-digit year and `mid_year` or `year_end`.
fn parse_period(year: &str, period: &str) -> Result<Period, PageError> {
    let y = parse_year(year)?;
    let kind = PeriodKind::parse(period.trim()).map_err(AppError::from)?;
    Ok(Period::new(y, kind).map_err(AppError::from)?)
}

fn parse_year(year: &str) -> Result<i32, PageError> {
    year.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| probity_domain::assessment::period::YEARS.contains(y))
        .ok_or_else(|| {
            ApiError::bad_request(
                "QUERY_INVALID",
                "考核年度应为 2018 年以后的四位数字，请从页面上的选择框进入",
            )
            .into()
        })
}

/// The period a page shows when the address names none: the one running today (the mid-year
/// check until 30 June, then the year-end review), or, when its year has no indicator set yet,
/// the latest one before it that has.
async fn default_period(state: &AppState) -> Result<Period, PageError> {
    let today = state.app.today();
    let mid_year = Period {
        year: today.year(),
        kind: PeriodKind::MidYear,
    };
    let running = if today <= mid_year.to() {
        mid_year
    } else {
        Period {
            year: today.year(),
            kind: PeriodKind::YearEnd,
        }
    };
    let app = state.app.clone();
    Ok(blocking(move || {
        let mut p = running;
        for _ in 0..4 {
            match assessment::indicator_set(&app, p.year) {
                Ok(_) => return Ok(p),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
            p = match p.kind {
                PeriodKind::YearEnd => Period {
                    year: p.year,
                    kind: PeriodKind::MidYear,
                },
                PeriodKind::MidYear => Period {
                    year: p.year - 1,
                    kind: PeriodKind::YearEnd,
                },
            };
        }
        Ok(running)
    })
    .await?)
}

/// The years the pickers offer: a few around this year, every year with a shipped set, and the
/// one shown.
fn year_options(today: NaiveDate, shown: i32) -> Vec<Opt> {
    let mut years: Vec<i32> = ((today.year() - 3)..=(today.year() + 1)).collect();
    years.extend(probity_domain::assessment::SHIPPED.iter().map(|(y, _)| *y));
    years.push(shown);
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    options(
        years
            .into_iter()
            .map(|y| (y.to_string(), format!("{y} 年"))),
        &shown.to_string(),
        None,
    )
}

fn period_options(kind: PeriodKind) -> Vec<Opt> {
    options(
        PeriodKind::ALL
            .into_iter()
            .map(|k| (k.code().to_string(), k.label().to_string())),
        kind.code(),
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// What the pages show of a result

/// The period's state: running (computed live) or closed (a signed snapshot).
struct StateView {
    closed: bool,
    closed_at: String,
    closed_by: String,
    authentic: bool,
    reopened: Option<String>,
    computed_on: String,
    ends_on: String,
}

fn state_view(r: &PeriodResults) -> StateView {
    let (closed_at, closed_by, authentic) = match &r.closed {
        Some(c) => (
            local_time(&c.closed_at),
            Actor::parse(&c.closed_by).label(),
            c.authentic,
        ),
        None => (String::new(), String::new(), false),
    };
    StateView {
        closed: r.closed.is_some(),
        closed_at,
        closed_by,
        authentic,
        reopened: r.reopened.clone(),
        computed_on: r.computed_on.to_string(),
        ends_on: r.period.to().to_string(),
    }
}

/// One unit as a row of a ranking.
struct RankRow {
    name: String,
    href: String,
    rank: String,
    total: String,
    /// For the chart: the total in hundredths.
    hundredths: u64,
    calculated: bool,
    grade: String,
    /// The grade the points alone earn, when a veto lowered it.
    by_points: Option<String>,
    veto_reasons: Vec<String>,
    status: &'static str,
    change: String,
    change_class: &'static str,
}

fn rank_row(p: Period, r: &Ranked) -> RankRow {
    let a = &r.assessment;
    let calculated = a.total.status == Status::Calculated;
    let (change, change_class) = match (r.change(), r.previous) {
        (Some(d), _) if d > Points::ZERO => (signed(d), "up"),
        (Some(d), _) if d < Points::ZERO => (signed(d), "down"),
        (Some(_), _) => ("持平".to_string(), ""),
        (None, None) => ("—".to_string(), ""),
        (None, Some(prev)) => (format!("上期 {prev} 分"), ""),
    };
    RankRow {
        name: a.name.clone(),
        href: unit_href(p, a.unit_id),
        rank: r.rank.map_or_else(|| "—".to_string(), |n| n.to_string()),
        total: if calculated {
            a.total.points.to_string()
        } else {
            "—".to_string()
        },
        hundredths: u64::try_from(a.total.points.hundredths()).unwrap_or(0),
        calculated,
        grade: a.grade.clone().unwrap_or_else(|| "暂不定等次".to_string()),
        by_points: a.by_points.clone().filter(|b| a.grade.as_ref() != Some(b)),
        veto_reasons: a.vetoes.iter().map(|v| v.reason.clone()).collect(),
        status: a.total.status.label(),
        change,
        change_class,
    }
}

/// One group's ranking.
struct GroupView {
    key: &'static str,
    label: &'static str,
    /// Units of the group in the period (before filtering).
    units: usize,
    ranked: u32,
    rows: Vec<RankRow>,
    svg: String,
}

/// The grade distribution: a row per grade (and one for those without), a count per group.
struct DistRow {
    grade: String,
    counts: Vec<usize>,
    total: usize,
    share: String,
}

struct DistView {
    groups: Vec<&'static str>,
    rows: Vec<DistRow>,
    svg: String,
}

fn share_text(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "—".to_string();
    }
    let tenths = (part * 1000 + whole / 2) / whole;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn distribution(set: &IndicatorSet, units: &[&Ranked], groups: &[SubjectKind]) -> DistView {
    let all = assessment::distribution(set, units);
    let by_group: Vec<Vec<(String, usize)>> = groups
        .iter()
        .map(|k| {
            let of: Vec<&Ranked> = units
                .iter()
                .copied()
                .filter(|r| r.assessment.kind == *k)
                .collect();
            assessment::distribution(set, &of)
        })
        .collect();
    let whole = units.len();
    let rows: Vec<DistRow> = all
        .iter()
        .enumerate()
        .map(|(i, (grade, total))| DistRow {
            grade: grade.clone(),
            counts: by_group
                .iter()
                .map(|g| g.get(i).map_or(0, |(_, n)| *n))
                .collect(),
            total: *total,
            share: share_text(*total, whole),
        })
        .collect();
    let data: Vec<(String, u64)> = all.iter().map(|(g, n)| (g.clone(), *n as u64)).collect();
    DistView {
        groups: groups.iter().map(|k| assessment::group_label(*k)).collect(),
        rows,
        svg: charts::bars("等次分布（单位数）", &data),
    }
}

fn group_view(
    p: Period,
    set_max: Points,
    kind: SubjectKind,
    all: &[&Ranked],
    shown: &[&Ranked],
) -> GroupView {
    let label = assessment::group_label(kind);
    let rows: Vec<RankRow> = shown
        .iter()
        .filter(|r| r.assessment.kind == kind)
        .map(|r| rank_row(p, r))
        .collect();
    let data: Vec<(String, u64, String)> = rows
        .iter()
        .filter(|r| r.calculated)
        .map(|r| (r.name.clone(), r.hundredths, r.total.clone()))
        .collect();
    let of_group: Vec<&&Ranked> = all.iter().filter(|r| r.assessment.kind == kind).collect();
    GroupView {
        key: kind.code(),
        label,
        units: of_group.len(),
        ranked: of_group.first().map_or(0, |r| r.ranked_in_group),
        svg: charts::scaled_bars(
            &format!("{label}总分排名（满分 {set_max} 分）"),
            u64::try_from(set_max.hundredths()).unwrap_or(1),
            &data,
        ),
        rows,
    }
}

// ---------------------------------------------------------------------------------------------
// The ranking

#[derive(Debug, Default, Deserialize)]
struct RankingQuery {
    year: Option<String>,
    period: Option<String>,
    group: Option<String>,
    grade: Option<String>,
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "assessments.html")]
struct RankingTpl {
    l: Layout,
    period_label: String,
    years: Vec<Opt>,
    periods: Vec<Opt>,
    group_opts: Vec<Opt>,
    grade_opts: Vec<Opt>,
    q: String,
    /// Why there are no results (no indicator set for the year).
    missing: Option<String>,
    set_name: String,
    set_href: String,
    state: Option<StateView>,
    groups: Vec<GroupView>,
    dist: Option<DistView>,
    shown: usize,
    total: usize,
    filtered: bool,
    clear_href: String,
    export_href: String,
    summary_href: String,
    office: bool,
    close_href: String,
    reopen_action: String,
    reopen_reason: String,
    reopen_error: Option<String>,
}

/// The period of a page's query: named, or the default one.
async fn query_period(
    state: &AppState,
    year: &Option<String>,
    period: &Option<String>,
) -> Result<Period, PageError> {
    match (nonempty(year), nonempty(period)) {
        (None, None) => default_period(state).await,
        (y, k) => {
            let y = match y {
                Some(y) => y,
                None => state.app.today().year().to_string(),
            };
            parse_period(&y, k.as_deref().unwrap_or(PeriodKind::YearEnd.code()))
        }
    }
}

async fn ranking(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<RankingQuery>,
) -> PageResult {
    let period = query_period(&state, &q.year, &q.period).await?;
    if !matches!(ctx.role(), AccountRole::Admin | AccountRole::Hr) {
        // A unit (a providing department too) has no ranking of the district: its own result.
        let Some(unit) = ctx.caller.unit() else {
            return Err(ApiError::Forbidden("本账号未绑定单位，无法查看考核结果".into()).into());
        };
        return Ok(Redirect::to(&unit_href(period, unit)).into_response());
    }
    render_ranking(&state, &ctx, period, q, String::new(), None, StatusCode::OK).await
}

async fn render_ranking(
    state: &AppState,
    ctx: &Ctx,
    period: Period,
    q: RankingQuery,
    reopen_reason: String,
    reopen_error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let loaded = blocking(move || match assessment::results(&app, &who, period) {
        Ok(r) => Ok(Ok(r)),
        Err(AppError::NotFound(m)) => Ok(Err(m)),
        Err(e) => Err(e.into()),
    })
    .await?;
    let group = nonempty(&q.group).unwrap_or_default();
    let grade = nonempty(&q.grade).unwrap_or_default();
    let text = nonempty(&q.q).unwrap_or_default();
    let group_opts = options(
        GROUPS.iter().map(|k| {
            (
                k.code().to_string(),
                assessment::group_label(*k).to_string(),
            )
        }),
        &group,
        Some("全部分组"),
    );
    let office = ctx.role() == AccountRole::Admin;
    let mut tpl = RankingTpl {
        l: ctx.layout("考核评价"),
        period_label: period.label(),
        years: year_options(state.app.today(), period.year),
        periods: period_options(period.kind),
        group_opts,
        grade_opts: Vec::new(),
        q: text.clone(),
        missing: None,
        set_name: String::new(),
        set_href: set_href(period.year),
        state: None,
        groups: Vec::new(),
        dist: None,
        shown: 0,
        total: 0,
        filtered: !(group.is_empty() && grade.is_empty() && text.is_empty()),
        clear_href: ranking_href(period),
        export_href: format!(
            "/console/assessments.xlsx?year={}&period={}",
            period.year,
            period.kind.code()
        ),
        summary_href: format!(
            "/console/assessments/summary?year={}&period={}",
            period.year,
            period.kind.code()
        ),
        office,
        close_href: format!(
            "/console/assessments/{}/{}/close",
            period.year,
            period.kind.code()
        ),
        reopen_action: format!(
            "/console/assessments/{}/{}/reopen",
            period.year,
            period.kind.code()
        ),
        reopen_reason,
        reopen_error,
    };
    let results = match loaded {
        Ok(r) => r,
        Err(message) => {
            tpl.missing = Some(message);
            let mut res = ctx.page(&tpl);
            *res.status_mut() = status;
            return Ok(res);
        }
    };
    let mut grades: Vec<(String, String)> = results
        .set
        .grades
        .iter()
        .map(|g| (g.name.clone(), g.name.clone()))
        .collect();
    grades.push((NO_GRADE.to_string(), "暂不定等次".to_string()));
    tpl.grade_opts = options(grades, &grade, Some("全部等次"));
    tpl.set_name = results.set.name.clone();
    tpl.state = Some(state_view(&results));
    let groups: Vec<SubjectKind> = GROUPS
        .into_iter()
        .filter(|k| group.is_empty() || k.code() == group)
        .collect();
    let all: Vec<&Ranked> = results
        .units
        .iter()
        .filter(|r| groups.contains(&r.assessment.kind))
        .collect();
    let shown: Vec<&Ranked> = all
        .iter()
        .copied()
        .filter(|r| {
            let g = r.assessment.grade.as_deref();
            grade.is_empty() || (grade == NO_GRADE && g.is_none()) || g == Some(grade.as_str())
        })
        .filter(|r| text.is_empty() || r.assessment.name.contains(text.as_str()))
        .collect();
    tpl.total = results.units.len();
    tpl.shown = shown.len();
    tpl.groups = groups
        .iter()
        .map(|k| group_view(period, results.set.total_points, *k, &all, &shown))
        .collect();
    tpl.dist = Some(distribution(&results.set, &all, &groups));
    let mut res = ctx.page(&tpl);
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct ReopenForm {
    #[serde(default)]
    reason: String,
}

async fn reopen(
    State(state): State<AppState>,
    Path((year, period)): Path<(String, String)>,
    f: PageForm<ReopenForm>,
) -> PageResult {
    let PageForm { ctx, form } = f;
    let period = parse_period(&year, &period)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let reason = form.reason.clone();
    let outcome =
        blocking(move || Ok(assessment::reopen_period(&app, &who, period, &reason))).await?;
    match outcome {
        Ok(()) => Ok(done(
            &ranking_href(period),
            &format!(
                "已重新开启{}：结果重新按平台数据计算，评分可以修改；修改完毕后请再次归档",
                period.label()
            ),
        )),
        Err(e @ (AppError::Fields(_) | AppError::Domain(_) | AppError::Invalid { .. })) => {
            let message = match e {
                AppError::Fields(errs) => field_map(errs, "reason")
                    .into_values()
                    .collect::<Vec<_>>()
                    .join("；"),
                other => other.to_string(),
            };
            render_ranking(
                &state,
                &ctx,
                period,
                RankingQuery::default(),
                form.reason,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Closing

#[derive(Template)]
#[template(path = "assessment_close.html")]
struct CloseTpl {
    l: Layout,
    period_label: String,
    ends_on: String,
    back: String,
    action: String,
    closed: bool,
    units: usize,
    waiting: Vec<String>,
    error: Option<String>,
    confirm_error: Option<String>,
}

async fn close_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((year, period)): Path<(String, String)>,
) -> PageResult {
    let period = parse_period(&year, &period)?;
    render_close(&state, &ctx, period, None, None, StatusCode::OK).await
}

async fn render_close(
    state: &AppState,
    ctx: &Ctx,
    period: Period,
    error: Option<String>,
    confirm_error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let results = blocking(move || Ok(assessment::results(&app, &who, period)?)).await?;
    let waiting = results
        .units
        .iter()
        .filter(|r| r.assessment.total.status != Status::Calculated)
        .map(|r| r.assessment.name.clone())
        .collect();
    let mut res = ctx.page(&CloseTpl {
        l: ctx.layout(&format!("归档{}", period.label())),
        period_label: period.label(),
        ends_on: period.to().to_string(),
        back: ranking_href(period),
        action: format!(
            "/console/assessments/{}/{}/close",
            period.year,
            period.kind.code()
        ),
        closed: results.closed.is_some(),
        units: results.units.len(),
        waiting,
        error,
        confirm_error,
    });
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct CloseForm {
    #[serde(default)]
    confirmed: String,
}

async fn close(
    State(state): State<AppState>,
    Path((year, period)): Path<(String, String)>,
    f: PageForm<CloseForm>,
) -> PageResult {
    let PageForm { ctx, form } = f;
    let period = parse_period(&year, &period)?;
    if form.confirmed != "yes" {
        return render_close(
            &state,
            &ctx,
            period,
            None,
            Some("请勾选确认：已核对本期全部单位的结果，同意归档".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let app = state.app.clone();
    let who = ctx.caller.who();
    let outcome = blocking(move || Ok(assessment::close_period(&app, &who, period))).await?;
    match outcome {
        Ok(r) => Ok(done(
            &ranking_href(period),
            &format!(
                "已归档{}：{} 个单位的结果已冻结，并以平台密钥签名",
                period.label(),
                r.units.len()
            ),
        )),
        Err(e @ (AppError::Domain(_) | AppError::Invalid { .. })) => {
            render_close(
                &state,
                &ctx,
                period,
                Some(e.to_string()),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The workbook and the summary

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<RankingQuery>,
) -> PageResult {
    let period = query_period(&state, &q.year, &q.period).await?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let bytes = blocking(move || Ok(assessment_export::export(&app, &who, period)?)).await?;
    Ok(xlsx_download(
        bytes,
        &format!("assessment-{}-{}.xlsx", period.year, period.kind.code()),
        &format!("考核评分明细-{}.xlsx", period.label()),
    ))
}

struct SummaryGroup {
    label: &'static str,
    units: usize,
    ranked: u32,
    rows: Vec<RankRow>,
}

#[derive(Template)]
#[template(path = "assessment_summary.html")]
struct SummaryTpl {
    l: Layout,
    period_label: String,
    set_name: String,
    state: StateView,
    printed_on: String,
    back: String,
    groups: Vec<SummaryGroup>,
    dist: DistView,
    units: usize,
    waiting: usize,
}

async fn summary(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<RankingQuery>,
) -> PageResult {
    let period = query_period(&state, &q.year, &q.period).await?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let results = blocking(move || Ok(assessment::results(&app, &who, period)?)).await?;
    let all: Vec<&Ranked> = results.units.iter().collect();
    let groups = GROUPS
        .iter()
        .map(|k| {
            let rows: Vec<RankRow> = all
                .iter()
                .filter(|r| r.assessment.kind == *k)
                .map(|r| rank_row(period, r))
                .collect();
            SummaryGroup {
                label: assessment::group_label(*k),
                units: rows.len(),
                ranked: all
                    .iter()
                    .find(|r| r.assessment.kind == *k)
                    .map_or(0, |r| r.ranked_in_group),
                rows,
            }
        })
        .collect();
    let title = format!("{}政务诚信考核结果汇总", period.label());
    Ok(ctx.page(&SummaryTpl {
        l: ctx.layout(&title),
        period_label: period.label(),
        set_name: results.set.name.clone(),
        state: state_view(&results),
        printed_on: state.app.today().to_string(),
        back: ranking_href(period),
        dist: distribution(&results.set, &all, &GROUPS),
        units: all.len(),
        waiting: all
            .iter()
            .filter(|r| r.assessment.total.status != Status::Calculated)
            .count(),
        groups,
    }))
}

// ---------------------------------------------------------------------------------------------
// One unit's result

/// What a score line rests on, linked where the caller may open it.
struct EvidenceView {
    label: String,
    href: Option<String>,
}

fn evidence_view(e: Evidence, role: AccountRole) -> Option<EvidenceView> {
    let label = evidence_label(e)?;
    let href = match e {
        Evidence::Record(id) => {
            reach_on("GET", "/console/records/{id}", role).map(|_| format!("/console/records/{id}"))
        }
        Evidence::Case(id) => {
            reach_on("GET", "/console/cases/{id}", role).map(|_| format!("/console/cases/{id}"))
        }
        Evidence::Entry(id) => Some(format!("#entry-{id}")),
        Evidence::None => None,
    };
    Some(EvidenceView { label, href })
}

struct LineView {
    points: String,
    reason: String,
    evidence: Option<EvidenceView>,
}

/// The score given by hand to an indicator, as it stands.
struct EntryView {
    id: i64,
    stage: &'static str,
    points: String,
    claimed: Option<String>,
    comment: String,
    by: String,
    at: String,
}

/// A score form: the office's (score, or confirm the unit's claim) or the unit's own.
struct FormView {
    action: String,
    indicator: String,
    title: &'static str,
    /// The unit's claim the office confirms or adjusts.
    claim: Option<String>,
    points: String,
    comment: String,
    max: String,
    button: &'static str,
    files_hint: String,
    errors: HashMap<&'static str, String>,
}

/// A file of evidence of a score, to download.
struct FileLink {
    name: String,
    href: String,
    size: String,
    by: String,
}

fn size_text(bytes: i64) -> String {
    match u64::try_from(bytes).unwrap_or(0) {
        b if b < 1024 => format!("{b} 字节"),
        b if b < 1024 * 1024 => format!("{} KB", b.div_ceil(1024)),
        b => format!(
            "{}.{} MB",
            b / (1024 * 1024),
            b % (1024 * 1024) * 10 / (1024 * 1024)
        ),
    }
}

fn file_link(p: Period, f: &EvidenceMeta) -> FileLink {
    FileLink {
        name: f.file_name.clone(),
        href: format!("{}/evidence/{}", unit_href(p, f.unit_id), f.id),
        size: size_text(f.size),
        by: Actor::parse(&f.added_by).label(),
    }
}

struct IndicatorView {
    code: String,
    name: String,
    criteria: String,
    basis: String,
    sort: &'static str,
    max: String,
    points: String,
    calculated: bool,
    status: &'static str,
    status_class: &'static str,
    base: Option<String>,
    lines: Vec<LineView>,
    note: Option<String>,
    entry: Option<EntryView>,
    /// The files of evidence of its score (shown on a closed period too).
    files: Vec<FileLink>,
    form: Option<FormView>,
}

struct DimensionView {
    code: String,
    name: String,
    description: String,
    max: String,
    points: String,
    share: String,
    status: &'static str,
    status_class: &'static str,
    indicators: Vec<IndicatorView>,
}

struct VetoView {
    at_most: String,
    reason: String,
    basis: String,
    evidence: Vec<EvidenceView>,
}

#[derive(Template)]
#[template(path = "assessment_unit.html")]
struct UnitTpl {
    l: Layout,
    print: bool,
    printed_on: String,
    name: String,
    group: &'static str,
    period_label: String,
    set_name: String,
    state: StateView,
    calculated: bool,
    total: String,
    max: String,
    total_status: &'static str,
    grade: Option<String>,
    by_points: Option<String>,
    vetoes: Vec<VetoView>,
    rank: String,
    change: String,
    previous_label: String,
    radar: String,
    dimensions: Vec<DimensionView>,
    waiting: usize,
    /// A refusal of a score form that has no form on the page to show it at.
    page_error: Option<String>,
    back: Option<String>,
    self_href: String,
    print_href: String,
    /// The unit's own period picker.
    pickers: Option<Pickers>,
    /// The unit's form to dispute its result (对结果提出异议), while the window is open.
    dispute: Option<super::kit::DisputeFormView>,
}

struct Pickers {
    years: Vec<Opt>,
    periods: Vec<Opt>,
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Calculated => "good",
        Status::InsufficientData => "warn",
        Status::NotApplicable => "",
    }
}

/// A share of the maximum in hundredths of a percent.
fn share_of(points: Points, max: Points) -> u64 {
    if max <= Points::ZERO {
        return 0;
    }
    u64::try_from(points.hundredths().max(0) * 10_000 / max.hundredths()).unwrap_or(0)
}

fn percent_text(share: u64) -> String {
    let (int, frac) = (share / 100, share % 100);
    if frac == 0 {
        format!("{int}%")
    } else {
        format!("{int}.{:01}%", frac / 10)
    }
}

/// A score form posted back with its problems: shown on the form it came from.
struct Posted {
    indicator: String,
    points: String,
    comment: String,
    errors: HashMap<&'static str, String>,
}

/// The score form of an indicator for the caller, if it has one: the credit office's on the
/// indicators it scores or confirms, the unit's on its self-assessed ones until the office has
/// confirmed them; none on a closed period.
fn form_view(
    role: AccountRole,
    action: &str,
    i: &Indicator,
    entry: Option<&StoredEntry>,
    posted: Option<&Posted>,
) -> Option<FormView> {
    let stage = entry.map(|e| e.entry.stage);
    let (title, button) = match (role, i.sort) {
        (AccountRole::Admin, Sort::OfficeScored) => ("信用办评分", "保存评分"),
        (AccountRole::Admin, Sort::SelfAssessed) => ("信用办确认或调整", "确认评分"),
        (AccountRole::Unit | AccountRole::Provider, Sort::SelfAssessed)
            if stage != Some(EntryStage::Confirmed) =>
        {
            ("单位自评", "提交自评")
        }
        _ => return None,
    };
    let claim = match (role, i.sort, entry) {
        (AccountRole::Admin, Sort::SelfAssessed, Some(e)) => match e.entry.stage {
            EntryStage::SelfAssessed => Some(format!(
                "单位自评 {} 分：{}",
                e.entry.points, e.entry.comment
            )),
            _ => e.entry.claimed.map(|c| format!("单位自评 {c} 分")),
        },
        (AccountRole::Admin, Sort::SelfAssessed, None) => Some("单位尚未自评".to_string()),
        _ => None,
    };
    let (points, comment) = match (posted, entry) {
        (Some(p), _) => (p.points.clone(), p.comment.clone()),
        // The office confirms the unit's claim as a start; its reason is its own to write.
        (None, Some(e))
            if role == AccountRole::Admin && e.entry.stage == EntryStage::SelfAssessed =>
        {
            (e.entry.points.to_string(), String::new())
        }
        (None, Some(e)) => (e.entry.points.to_string(), e.entry.comment.clone()),
        (None, None) => (String::new(), String::new()),
    };
    Some(FormView {
        action: action.to_string(),
        indicator: i.code.clone(),
        title,
        claim,
        points,
        comment,
        max: i.max_points.to_string(),
        button,
        files_hint: format!(
            "可选，每项评分最多 {} 个文件，每个不超过 {} MB；接受 PDF、PNG 和 JPG 图片、Word、Excel",
            assessment::MAX_EVIDENCE_FILES,
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        ),
        errors: posted.map(|p| p.errors.clone()).unwrap_or_default(),
    })
}

struct UnitData {
    results: PeriodResults,
    one: Ranked,
    entries: Vec<StoredEntry>,
    evidence: Vec<EvidenceMeta>,
    /// The unit's own dispute window, while it is open (考核结果异议).
    dispute: Option<probity_app::assessment_dispute::Window>,
}

async fn load_unit(
    state: &AppState,
    ctx: &Ctx,
    period: Period,
    unit: i64,
) -> Result<UnitData, PageError> {
    let app = state.app.clone();
    let who = ctx.caller.who();
    Ok(blocking(move || {
        let (results, one) = assessment::unit_result(&app, &who, period, unit)?;
        let entries = assessment::entries_of(&app, &who, period, unit)?;
        let evidence = assessment::evidence_of(&app, &who, period, unit)?;
        let dispute = probity_app::assessment_dispute::window(&app, &who, period, unit)?;
        Ok(UnitData {
            results,
            one,
            entries,
            evidence,
            dispute,
        })
    })
    .await?)
}

fn unit_id(id: &str) -> Result<i64, PageError> {
    id.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::NotFound("没有这个单位".into()).into())
}

async fn unit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((year, period, id)): Path<(String, String, String)>,
) -> PageResult {
    let period = parse_period(&year, &period)?;
    let unit = unit_id(&id)?;
    let data = load_unit(&state, &ctx, period, unit).await?;
    Ok(ctx.page(&unit_tpl(&state, &ctx, period, data, false, None)))
}

async fn unit_print(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((year, period, id)): Path<(String, String, String)>,
) -> PageResult {
    let period = parse_period(&year, &period)?;
    let unit = unit_id(&id)?;
    let data = load_unit(&state, &ctx, period, unit).await?;
    Ok(ctx.page(&unit_tpl(&state, &ctx, period, data, true, None)))
}

fn unit_tpl(
    state: &AppState,
    ctx: &Ctx,
    period: Period,
    data: UnitData,
    print: bool,
    posted: Option<Posted>,
) -> UnitTpl {
    let role = ctx.role();
    let UnitData {
        results,
        one,
        entries,
        evidence,
        dispute,
    } = data;
    let a = &one.assessment;
    let set = &results.set;
    let open = results.closed.is_none() && !print;
    let action = format!("{}/scores", unit_href(period, a.unit_id));
    let mut placed = false;
    let dimensions: Vec<DimensionView> = a
        .total
        .dimensions
        .iter()
        .map(|d| {
            let dim = set.dimensions.iter().find(|x| x.code == d.code);
            let indicators = d
                .indicators
                .iter()
                .map(|(code, r)| {
                    let def = set.indicator(code).map(|(_, i)| i);
                    let entry = entries.iter().find(|e| &e.entry.indicator == code);
                    let mine = posted.as_ref().filter(|p| &p.indicator == code);
                    let form = match (open, def) {
                        (true, Some(i)) => form_view(role, &action, i, entry, mine),
                        _ => None,
                    };
                    if mine.is_some() && form.is_some() {
                        placed = true;
                    }
                    let calculated = r.status() == Status::Calculated;
                    IndicatorView {
                        code: code.clone(),
                        name: def.map(|i| i.name.clone()).unwrap_or_default(),
                        criteria: def.map(|i| i.criteria.clone()).unwrap_or_default(),
                        basis: def.map(|i| i.basis.clone()).unwrap_or_default(),
                        sort: def.map_or("", |i| i.sort.label()),
                        max: r.max().to_string(),
                        points: if calculated {
                            r.points().to_string()
                        } else {
                            "—".to_string()
                        },
                        calculated,
                        status: r.status().label(),
                        status_class: status_class(r.status()),
                        base: (calculated && r.base() != Points::ZERO)
                            .then(|| r.base().to_string()),
                        lines: r
                            .lines()
                            .iter()
                            .map(|l| LineView {
                                points: signed(l.points),
                                reason: l.reason.clone(),
                                evidence: evidence_view(l.evidence, role),
                            })
                            .collect(),
                        note: r.note().map(str::to_string),
                        entry: entry.map(|e| EntryView {
                            id: e.entry.id,
                            stage: e.entry.stage.label(),
                            points: e.entry.points.to_string(),
                            claimed: e.entry.claimed.map(|c| c.to_string()),
                            comment: e.entry.comment.clone(),
                            by: Actor::parse(&e.updated_by).label(),
                            at: local_time(&e.updated_at),
                        }),
                        files: evidence
                            .iter()
                            .filter(|f| &f.indicator == code)
                            .map(|f| file_link(period, f))
                            .collect(),
                        form,
                    }
                })
                .collect();
            DimensionView {
                code: d.code.clone(),
                name: dim.map(|x| x.name.clone()).unwrap_or_default(),
                description: dim.map(|x| x.description.clone()).unwrap_or_default(),
                max: d.max.to_string(),
                points: d.points.to_string(),
                share: percent_text(share_of(d.points, d.max)),
                status: d.status.label(),
                status_class: status_class(d.status),
                indicators,
            }
        })
        .collect();
    let radar_axes: Vec<(String, u64)> = dimensions
        .iter()
        .zip(&a.total.dimensions)
        .filter(|(_, d)| d.status != Status::NotApplicable)
        .map(|(v, d)| (v.name.clone(), share_of(d.points, d.max)))
        .collect();
    let page_error = posted
        .filter(|_| !placed)
        .map(|p| p.errors.into_values().collect::<Vec<_>>().join("；"));
    let calculated = a.total.status == Status::Calculated;
    let group = assessment::group_label(a.kind);
    let rank = match one.rank {
        Some(n) => format!(
            "第 {n} 名（{group}共 {} 个单位参与排名）",
            one.ranked_in_group
        ),
        None => "暂不排名：总分尚有数据不足的指标".to_string(),
    };
    let change = match (one.change(), one.previous) {
        (Some(d), Some(prev)) if d == Points::ZERO => format!("持平（上期 {prev} 分）"),
        (Some(d), Some(prev)) => format!("{} 分（上期 {prev} 分）", signed(d)),
        (_, Some(prev)) => format!("上期 {prev} 分，本期暂无可比总分"),
        (_, None) => "无可比结果（上期未归档或未计算总分）".to_string(),
    };
    let title = if print {
        format!("{}考核结果报告：{}", period.label(), a.name)
    } else {
        format!("{}：{}", period.label(), a.name)
    };
    let waiting = a
        .total
        .dimensions
        .iter()
        .flat_map(|d| &d.indicators)
        .filter(|(_, r)| r.status() == Status::InsufficientData)
        .count();
    UnitTpl {
        l: ctx.layout(&title),
        print,
        printed_on: state.app.today().to_string(),
        name: a.name.clone(),
        group,
        period_label: period.label(),
        set_name: set.name.clone(),
        state: state_view(&results),
        calculated,
        total: a.total.points.to_string(),
        max: a.total.max.to_string(),
        total_status: a.total.status.label(),
        grade: a.grade.clone(),
        by_points: a.by_points.clone().filter(|b| a.grade.as_ref() != Some(b)),
        vetoes: a
            .vetoes
            .iter()
            .map(|v| VetoView {
                at_most: v.at_most.clone(),
                reason: v.reason.clone(),
                basis: v.basis.clone(),
                evidence: v
                    .evidence
                    .iter()
                    .filter_map(|e| evidence_view(*e, role))
                    .collect(),
            })
            .collect(),
        rank,
        change,
        previous_label: period.previous().label(),
        radar: charts::radar(&format!("{}各维度得分率", a.name), &radar_axes),
        dimensions,
        waiting,
        page_error,
        back: matches!(role, AccountRole::Admin | AccountRole::Hr).then(|| ranking_href(period)),
        self_href: unit_href(period, a.unit_id),
        print_href: format!("{}/print", unit_href(period, a.unit_id)),
        pickers: (!matches!(role, AccountRole::Admin | AccountRole::Hr) && !print).then(|| {
            Pickers {
                years: year_options(state.app.today(), period.year),
                periods: period_options(period.kind),
            }
        }),
        dispute: dispute.filter(|_| !print).map(|w| {
            super::kit::DisputeFormView::new(
                format!("{}/disputes", unit_href(period, a.unit_id)),
                &w,
                &[],
                "",
                HashMap::new(),
            )
        }),
    }
}

/// The score form: its fields and the files of evidence (named `file`).
type ScoreUpload = PageUpload<SCORE_FILES_LIMIT>;

/// The score form sent without files, as a plain form.
#[derive(Debug, Default, Deserialize)]
struct ScoreForm {
    #[serde(default)]
    indicator: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    comment: String,
}

async fn score(
    State(state): State<AppState>,
    Path((year, period, id)): Path<(String, String, String)>,
    req: axum::extract::Request,
) -> PageResult {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let (ctx, fields, files) = if multipart {
        match ScoreUpload::from_request(req, &state).await {
            Ok(PageUpload { ctx, fields, files }) => (ctx, fields, files),
            Err(refused) => return Ok(refused),
        }
    } else {
        match PageForm::<ScoreForm>::from_request(req, &state).await {
            Ok(PageForm { ctx, form }) => {
                let fields = HashMap::from([
                    ("indicator".to_string(), form.indicator),
                    ("points".to_string(), form.points),
                    ("comment".to_string(), form.comment),
                ]);
                (ctx, fields, Vec::new())
            }
            Err(refused) => return Ok(refused),
        }
    };
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let form = Posted {
        indicator: field("indicator").trim().to_string(),
        points: field("points"),
        comment: field("comment"),
        errors: HashMap::new(),
    };
    let period = parse_period(&year, &period)?;
    let unit = unit_id(&id)?;
    let n_files = files.len();
    let input = ScoreInput {
        indicator: form.indicator.clone(),
        points: form.points.clone(),
        comment: form.comment.clone(),
        files: files
            .into_iter()
            .map(|(_, f)| probity_app::cases::Upload {
                file_name: f.file_name,
                bytes: f.bytes,
            })
            .collect(),
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    let outcome = blocking(move || {
        let indicator = input.indicator.clone();
        Ok(
            assessment::give_score(&app, &who, period, unit, input).map(|_| {
                // The indicator by its name in the message, as the page shows it.
                assessment::indicator_set(&app, period.year)
                    .ok()
                    .and_then(|s| s.set.indicator(&indicator).map(|(_, i)| i.name.clone()))
                    .unwrap_or_default()
            }),
        )
    })
    .await?;
    let mut errors = match outcome {
        Ok(indicator) => {
            let code = form.indicator.as_str();
            let files = if n_files > 0 {
                format!("，佐证材料 {n_files} 个")
            } else {
                String::new()
            };
            return Ok(done(
                &format!("{}#ind-{code}", unit_href(period, unit)),
                &format!(
                    "已保存指标 {code}「{indicator}」的{}：{} 分{files}",
                    if matches!(ctx.role(), AccountRole::Unit | AccountRole::Provider) {
                        "自评"
                    } else {
                        "评分"
                    },
                    form.points.trim()
                ),
            ));
        }
        Err(AppError::Fields(errs)) => field_map(errs, "indicator"),
        Err(e @ (AppError::Domain(_) | AppError::Invalid { .. })) => {
            HashMap::from([("indicator", e.to_string())])
        }
        Err(e) => return Err(e.into()),
    };
    if n_files > 0 {
        // A browser cannot be given its files back.
        errors
            .entry("file")
            .and_modify(|m| m.push_str("（未保存；文件需重新选择）"))
            .or_insert_with(|| "未保存：文件需重新选择".to_string());
    }
    let data = load_unit(&state, &ctx, period, unit).await?;
    let posted = Posted { errors, ..form };
    let mut res = ctx.page(&unit_tpl(&state, &ctx, period, data, false, Some(posted)));
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// A file of evidence of a unit's score, to save (never shown inline), for those who may see the
/// unit's result.
async fn evidence_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((year, period, id, file)): Path<(String, String, String, String)>,
) -> PageResult {
    let period = parse_period(&year, &period)?;
    let unit = unit_id(&id)?;
    let file = file
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiError::NotFound("没有这个佐证材料".into()))?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (meta, bytes) =
        blocking(move || Ok(assessment::evidence_file(&app, &who, period, unit, file)?)).await?;
    let ty = AttachmentType::parse(&meta.kind);
    let ext = ty.map_or("bin", |t| t.extensions()[0]);
    Ok(download(
        bytes,
        ty.map_or("application/octet-stream", AttachmentType::mime),
        &format!("evidence-{}.{ext}", meta.id),
        &meta.file_name,
    ))
}

// ---------------------------------------------------------------------------------------------
// The indicator set

struct SetRow {
    /// The dimension's cell, on its first indicator's row: its name and the rows it spans.
    dimension: Option<(String, usize)>,
    code: String,
    name: String,
    max: String,
    sort: &'static str,
    rule: String,
    criteria: String,
    applies: String,
    basis: String,
}

struct GradeRow {
    name: String,
    line: String,
}

struct VetoRow {
    when: &'static str,
    at_most: String,
    reason: String,
    basis: String,
}

#[derive(Template)]
#[template(path = "assessment_set.html")]
struct SetTpl {
    l: Layout,
    year: i32,
    /// Whether the year has a set (saved or shipped).
    exists: bool,
    missing: Option<String>,
    name: String,
    source: String,
    total: String,
    reweighting: &'static str,
    rows: Vec<SetRow>,
    grades: Vec<GradeRow>,
    vetoes: Vec<VetoRow>,
    editable: bool,
    text: String,
    errors: Vec<String>,
    toml_href: String,
    ranking_href: String,
    years: Vec<(i32, bool)>,
    max_kb: usize,
}

/// How a computed indicator's count or rate becomes points, in Chinese.
fn rule_text(i: &Indicator) -> String {
    let unit = match i.metric.map(|m| m.kind()) {
        Some(probity_domain::assessment::MetricKind::Scale { unit, .. }) => unit,
        _ => "",
    };
    let rule = match &i.rule {
        Some(Rule::DeductPerItem { per_item, cap }) => {
            format!("每项扣 {per_item} 分，最多扣 {cap} 分")
        }
        Some(Rule::DeductBySeverity(s)) => format!(
            "按严重程度扣分：轻微每项扣 {} 分、一般每项扣 {} 分、严重每项扣 {} 分，最多扣 {} 分",
            s.minor, s.ordinary, s.grave, s.cap
        ),
        Some(Rule::Bands { bands }) => {
            let n = bands.len();
            let parts: Vec<String> = bands
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    let upper = if k + 1 == n { "（含）" } else { "" };
                    format!("{}{unit}–{}{unit}{upper}得 {} 分", b.from, b.to, b.points)
                })
                .collect();
            format!("分档计分：{}", parts.join("；"))
        }
        None => String::new(),
    };
    match i.metric {
        Some(m) => format!("计算口径：{}。{rule}", m.label()),
        None => rule,
    }
}

fn reweighting_text(r: Reweighting) -> &'static str {
    match r {
        Reweighting::Proportional => {
            "不适用的指标，其分值由同一维度其余指标按比例折算；整个维度都不适用的，其分值按比例分配到其他维度"
        }
        Reweighting::FullMarks => "不适用的指标视同满分",
    }
}

fn set_rows(set: &IndicatorSet) -> Vec<SetRow> {
    let mut rows = Vec::new();
    for d in &set.dimensions {
        for (k, i) in d.indicators.iter().enumerate() {
            let mut applies: Vec<&str> = i
                .applies_to
                .iter()
                .map(|kind| assessment::group_label(*kind))
                .collect();
            if applies.len() == GROUPS.len() {
                applies = vec!["全部被考核单位"];
            }
            let mut applies = applies.join("、");
            if i.only_providers {
                applies.push_str("（仅限报送信用信息的单位）");
            }
            rows.push(SetRow {
                dimension: (k == 0).then(|| {
                    (
                        format!("{} {}（{} 分）", d.code, d.name, d.max_points),
                        d.indicators.len(),
                    )
                }),
                code: i.code.clone(),
                name: i.name.clone(),
                max: i.max_points.to_string(),
                sort: i.sort.label(),
                rule: if i.sort == Sort::Computed {
                    rule_text(i)
                } else {
                    String::new()
                },
                criteria: i.criteria.clone(),
                applies,
                basis: i.basis.clone(),
            });
        }
    }
    rows
}

fn grade_rows(set: &IndicatorSet) -> Vec<GradeRow> {
    let n = set.grades.len();
    set.grades
        .iter()
        .enumerate()
        .map(|(k, g)| GradeRow {
            name: g.name.clone(),
            line: match k {
                0 => format!("{} 分及以上", g.min_points),
                _ if k + 1 == n => format!("低于 {} 分", set.grades[k - 1].min_points),
                _ => format!(
                    "{} 分及以上，低于 {} 分",
                    g.min_points,
                    set.grades[k - 1].min_points
                ),
            },
        })
        .collect()
}

/// A year without a set of its own starts from the latest shipped one, its year changed.
fn draft_for(year: i32) -> String {
    let Some((_, text)) = probity_domain::assessment::SHIPPED
        .iter()
        .max_by_key(|(y, _)| *y)
    else {
        return String::new();
    };
    let mut replaced = false;
    text.lines()
        .map(|l| {
            if !replaced && l.trim_start().starts_with("year") && l.contains('=') {
                replaced = true;
                format!("year = {year}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn set_page(State(state): State<AppState>, ctx: Ctx, Path(year): Path<String>) -> PageResult {
    let year = parse_year(&year)?;
    render_set(&state, &ctx, year, None, Vec::new(), StatusCode::OK).await
}

async fn render_set(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    posted: Option<String>,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let loaded = blocking(move || match assessment::indicator_set(&app, year) {
        Ok(s) => Ok(Ok(s)),
        Err(AppError::NotFound(m)) => Ok(Err(m)),
        Err(e) => Err(e.into()),
    })
    .await?;
    let today = state.app.today();
    let years = ((today.year() - 2)..=(today.year() + 1))
        .chain(probity_domain::assessment::SHIPPED.iter().map(|(y, _)| *y))
        .chain(std::iter::once(year))
        .collect::<std::collections::BTreeSet<i32>>()
        .into_iter()
        .rev()
        .map(|y| (y, y == year))
        .collect();
    let mut tpl = SetTpl {
        l: ctx.layout(&format!("{year} 年度考核指标体系")),
        year,
        exists: false,
        missing: None,
        name: String::new(),
        source: String::new(),
        total: String::new(),
        reweighting: "",
        rows: Vec::new(),
        grades: Vec::new(),
        vetoes: Vec::new(),
        editable: ctx.role() == AccountRole::Admin,
        text: String::new(),
        errors,
        toml_href: format!("{}/indicators.toml", set_href(year)),
        ranking_href: format!("/console/assessments?year={year}&period=year_end"),
        years,
        max_kb: assessment::SET_MAX_BYTES / 1024,
    };
    match loaded {
        Ok(ys) => {
            let set = &ys.set;
            tpl.exists = true;
            tpl.name = set.name.clone();
            tpl.source = match &ys.saved_at {
                Some(at) => format!("信用办于 {} 保存", local_time(at)),
                None => "随平台提供的默认指标体系（信用办尚未修改）".to_string(),
            };
            tpl.total = set.total_points.to_string();
            tpl.reweighting = reweighting_text(set.not_applicable);
            tpl.rows = set_rows(set);
            tpl.grades = grade_rows(set);
            tpl.vetoes = set
                .vetoes
                .iter()
                .map(|v| VetoRow {
                    when: v.when.label(),
                    at_most: v.at_most.clone(),
                    reason: v.reason.clone(),
                    basis: v.basis.clone(),
                })
                .collect();
            tpl.text = posted.unwrap_or(ys.text);
        }
        Err(m) => {
            tpl.missing = Some(m);
            tpl.text = posted.unwrap_or_else(|| draft_for(year));
        }
    }
    let mut res = ctx.page(&tpl);
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct SetForm {
    #[serde(default)]
    text: String,
}

async fn save_set(
    State(state): State<AppState>,
    Path(year): Path<String>,
    f: PageForm<SetForm>,
) -> PageResult {
    let PageForm { ctx, form } = f;
    let year = parse_year(&year)?;
    // A browser sends a textarea's lines with CRLF.
    let text = form.text.replace("\r\n", "\n");
    let app = state.app.clone();
    let who = ctx.caller.who();
    let sent = text.clone();
    let outcome =
        blocking(move || Ok(assessment::save_indicator_set(&app, &who, year, &sent))).await?;
    let errors = match outcome {
        Ok(true) => {
            return Ok(done(
                &set_href(year),
                &format!("已保存 {year} 年度考核指标体系；本年度未归档的考核期按新指标体系计算"),
            ));
        }
        Ok(false) => return Ok(done(&set_href(year), "指标体系没有变化")),
        Err(AppError::Fields(errs)) => errs.into_iter().map(|e| e.error.message).collect(),
        Err(e @ (AppError::Domain(_) | AppError::Invalid { .. })) => vec![e.to_string()],
        Err(e) => return Err(e.into()),
    };
    render_set(
        &state,
        &ctx,
        year,
        Some(text),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn set_toml(State(state): State<AppState>, Path(year): Path<String>) -> PageResult {
    let year = parse_year(&year)?;
    let app = state.app.clone();
    let ys = blocking(move || Ok(assessment::indicator_set(&app, year)?)).await?;
    Ok(download(
        ys.text.into_bytes(),
        "application/toml; charset=utf-8",
        &format!("indicators-{year}.toml"),
        &format!("考核指标体系-{year}年度.toml"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_takes_the_latest_shipped_set_with_its_year_changed() {
        let draft = draft_for(2031);
        assert!(draft.contains("year = 2031"));
        assert!(!draft.contains("year = 2026"));
        let set = IndicatorSet::parse(&draft).unwrap();
        assert_eq!(set.year, 2031);
    }

    #[test]
    fn every_rule_reads_in_chinese() {
        let set = IndicatorSet::shipped(2026).unwrap();
        for row in set_rows(&set) {
            assert!(!row.applies.is_empty(), "{}", row.code);
            assert!(
                !row.rule.contains('_') && !row.applies.contains('_'),
                "{}: {} {}",
                row.code,
                row.rule,
                row.applies
            );
        }
        let grades = grade_rows(&set);
        assert_eq!(grades[0].line, "90 分及以上");
        assert_eq!(grades.last().unwrap().line, "低于 60 分");
        assert_eq!(share_text(1, 3), "33.3%");
        assert_eq!(
            percent_text(share_of(Points::whole(17), Points::whole(20))),
            "85%"
        );
    }
}
