//! The statistics page (统计分析, `/console/statistics`) and its workbook: one year (this one
//! unless another or all are picked) within the caller's reach, each breakdown as a chart drawn
//! on the server above its table.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Datelike;
use probity_app::statistics::{RateRow, Statistics, Table};
use serde::Deserialize;

use super::kit::{Ctx, Layout, Opt, options, xlsx_download};
use crate::AppState;
use crate::charts;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{PageResult, nonempty};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/statistics", get(page))
        .route("/console/statistics.xlsx", get(export))
}

#[derive(Debug, Default, Deserialize)]
struct StatQuery {
    /// A year, `all` for every year, or nothing for this year.
    year: Option<String>,
}

impl StatQuery {
    fn year(&self, this_year: i32) -> Result<Option<i32>, ApiError> {
        match nonempty(&self.year).as_deref() {
            None => Ok(Some(this_year)),
            Some("all") => Ok(None),
            Some(y) => match y.parse::<i32>() {
                Ok(y) if (2000..=this_year).contains(&y) => Ok(Some(y)),
                _ => Err(ApiError::bad_request(
                    "QUERY_INVALID",
                    format!("年度应为 2000 至 {this_year} 之间的四位数字，或选择“全部年度”"),
                )),
            },
        }
    }
}

struct RowView {
    label: String,
    count: u64,
    share: String,
}

struct TableView {
    key: &'static str,
    title: &'static str,
    svg: String,
    rows: Vec<RowView>,
}

struct RateView {
    label: String,
    whole: u64,
    part: u64,
    rate: String,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct StatisticsTpl {
    l: Layout,
    years: Vec<Opt>,
    export: String,
    printed_on: String,
    scope: &'static str,
    period: String,
    total: u64,
    tables: Vec<TableView>,
    trend: TableView,
    timely_days: u32,
    timeliness: Option<Vec<RateView>>,
    timeliness_svg: String,
    coverage: Option<Vec<RateView>>,
}

fn table_view(t: &Table, trend: bool) -> TableView {
    let data: Vec<(String, u64)> = t.rows.iter().map(|r| (r.label.clone(), r.count)).collect();
    TableView {
        key: t.key,
        title: t.title,
        svg: if trend {
            charts::columns(t.title, &data)
        } else {
            charts::bars(t.title, &data)
        },
        rows: t
            .rows
            .iter()
            .map(|r| RowView {
                label: r.label.clone(),
                count: r.count,
                share: r.share.percent_text(),
            })
            .collect(),
    }
}

fn rate_views(rows: &[RateRow]) -> Vec<RateView> {
    rows.iter()
        .map(|r| RateView {
            label: r.label.clone(),
            whole: r.rate.whole,
            part: r.rate.part,
            rate: r.rate.percent_text(),
        })
        .collect()
}

async fn load(
    state: &AppState,
    ctx: &Ctx,
    q: &StatQuery,
) -> Result<(Statistics, Vec<i32>), crate::http::PageError> {
    let this_year = state.app.today().year();
    let year = q.year(this_year)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    Ok(blocking(move || {
        let years = probity_app::statistics::years(&app);
        Ok((probity_app::statistics::of(&app, &who, year)?, years))
    })
    .await?)
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<StatQuery>,
) -> PageResult {
    let (stats, years) = load(&state, &ctx, &q).await?;
    let current = match stats.year {
        Some(y) => y.to_string(),
        None => "all".into(),
    };
    let year_opts = options(
        years
            .iter()
            .map(|y| (y.to_string(), format!("{y}年")))
            .chain(std::iter::once(("all".to_string(), "全部年度".to_string()))),
        &current,
        None,
    );
    let timeliness_svg = stats
        .timeliness
        .as_ref()
        .map(|rows| {
            let data: Vec<(String, u64)> = rows
                .iter()
                .map(|r| (r.label.clone(), r.rate.per_mille().unwrap_or(0) / 10))
                .collect();
            charts::bars("各报送单位归集及时率（%）", &data)
        })
        .unwrap_or_default();
    let tpl = StatisticsTpl {
        l: ctx.layout("统计分析"),
        years: year_opts,
        export: format!("/console/statistics.xlsx?year={current}"),
        printed_on: state.app.today().to_string(),
        scope: stats.scope,
        period: match stats.year {
            Some(y) => format!("{y}年作出决定的记录"),
            None => "全部年度".into(),
        },
        total: stats.total,
        tables: stats.tables.iter().map(|t| table_view(t, false)).collect(),
        trend: table_view(&stats.trend, true),
        timely_days: stats.rules.timely_days,
        timeliness: stats.timeliness.as_deref().map(rate_views),
        timeliness_svg,
        coverage: stats.coverage.as_deref().map(rate_views),
    };
    Ok(ctx.page(&tpl))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<StatQuery>,
) -> PageResult {
    let (stats, _) = load(&state, &ctx, &q).await?;
    let name = match stats.year {
        Some(y) => format!("统计分析-{y}年.xlsx"),
        None => "统计分析-全部年度.xlsx".into(),
    };
    let bytes = blocking(move || Ok(probity_app::statistics::export(&stats)?)).await?;
    Ok(xlsx_download(bytes, "statistics.xlsx", &name))
}
