//! The working-day calendar (工作日历) for the credit office: the years the platform knows and
//! where each comes from, one year's holidays and make-up working days, a deadline calculator
//! (the n-th working day after a date, as every case deadline is counted), the import of a year
//! (CSV or Excel: 日期, 类型, 名称) with every problem of the file at once, and each year as
//! Excel in the import's own columns.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::kit::{Ctx, Layout, PageUpload, xlsx_download};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{PageError, PageQuery, PageResult, done};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/calendar", get(calendar_page))
        .route("/console/calendar.xlsx", get(calendar_xlsx))
        .route("/console/calendar/import", post(import))
}

pub struct YearRow {
    pub year: i32,
    pub working_days: usize,
    pub holidays: usize,
    pub workdays: usize,
    pub source: String,
    pub selected: bool,
}

pub struct DayRow {
    pub date: String,
    pub weekday: &'static str,
    pub kind: &'static str,
    pub workday: bool,
    pub name: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarTpl {
    l: Layout,
    years: Vec<YearRow>,
    year: i32,
    days: Vec<DayRow>,
    from: String,
    n: String,
    /// The calculator's answer, or why there is none.
    answer: Option<String>,
    calc_error: Option<String>,
    import_errors: Vec<String>,
    /// A year the deadlines will soon need and the calendar lacks.
    missing: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CalendarQuery {
    year: Option<String>,
    from: Option<String>,
    n: Option<String>,
}

async fn calendar_page(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<CalendarQuery>,
) -> PageResult {
    render(&state, &ctx, q, Vec::new(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    q: CalendarQuery,
    import_errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let today = state.app.today();
    let (years, missing) = blocking(move || {
        Ok((
            probity_app::calendar::years(&app)?,
            probity_app::calendar::missing_soon(&app)?,
        ))
    })
    .await?;
    let year = q
        .year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| years.iter().any(|s| s.year == *y))
        .unwrap_or_else(|| {
            years
                .iter()
                .map(|y| y.year)
                .find(|y| *y == today.year())
                .or_else(|| years.first().map(|y| y.year))
                .unwrap_or(today.year())
        });
    let days = years
        .iter()
        .find(|y| y.year == year)
        .map(|y| {
            y.days
                .iter()
                .map(|d| DayRow {
                    date: d.date.to_string(),
                    weekday: probity_domain::date::weekday_label(d.date),
                    kind: d.kind.label(),
                    workday: d.kind == probity_domain::calendar::DayKind::Workday,
                    name: d.name.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let from = q.from.clone().unwrap_or_default();
    let n = q.n.clone().unwrap_or_default();
    let (answer, calc_error) = if from.trim().is_empty() && n.trim().is_empty() {
        (None, None)
    } else {
        match calculate(state, &from, &n).await? {
            Ok(a) => (Some(a), None),
            Err(e) => (None, Some(e)),
        }
    };
    let rows = years
        .iter()
        .map(|y| YearRow {
            year: y.year,
            working_days: y.working_days,
            holidays: y.holidays,
            workdays: y.workdays,
            source: y.source.label(),
            selected: y.year == year,
        })
        .collect();
    let mut res = ctx.page(&CalendarTpl {
        l: ctx.layout("工作日历"),
        years: rows,
        year,
        days,
        from: if from.is_empty() {
            today.to_string()
        } else {
            from
        },
        n: if n.is_empty() { "10".into() } else { n },
        answer,
        calc_error,
        import_errors,
        missing,
    });
    *res.status_mut() = status;
    Ok(res)
}

/// The calculator: the n-th working day after a date, or why it cannot be counted.
async fn calculate(
    state: &AppState,
    from: &str,
    n: &str,
) -> Result<Result<String, String>, PageError> {
    let date = match probity_domain::date::parse_date(from) {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("起算日期：{}", e.message))),
    };
    let n = match n.trim().parse::<u32>() {
        Ok(n) if n <= 3650 => n,
        _ => return Ok(Err("工作日数应为 0 到 3650 之间的整数".into())),
    };
    let app = state.app.clone();
    let got = blocking(move || Ok(probity_app::calendar::add(&app, date, n))).await?;
    Ok(match got {
        Ok(d) => Ok(answer_text(date, n, d)),
        Err(probity_app::AppError::Domain(e)) => Err(e.message),
        Err(e) => return Err(e.into()),
    })
}

fn answer_text(from: NaiveDate, n: u32, d: NaiveDate) -> String {
    format!(
        "{from}（{}）后第 {n} 个工作日是 {d}（{}）",
        probity_domain::date::weekday_label(from),
        probity_domain::date::weekday_label(d)
    )
}

#[derive(Debug, Default, Deserialize)]
struct YearQuery {
    year: Option<String>,
}

async fn calendar_xlsx(
    State(state): State<AppState>,
    PageQuery(q): PageQuery<YearQuery>,
) -> Result<Response, PageError> {
    let year = q
        .year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .unwrap_or_else(|| state.app.today().year());
    let app = state.app.clone();
    let bytes = blocking(move || Ok(probity_app::calendar::export(&app, year)?)).await?;
    Ok(xlsx_download(
        bytes,
        &format!("calendar-{year}.xlsx"),
        &format!("工作日历-{year}年.xlsx"),
    ))
}

/// A calendar file is a few dozen rows.
const CALENDAR_FILE_LIMIT: usize = 1024 * 1024;

async fn import(State(state): State<AppState>, up: PageUpload<CALENDAR_FILE_LIMIT>) -> PageResult {
    let PageUpload { ctx, files, .. } = up;
    let again = |errors: Vec<String>| CalendarQuery::default_with(errors);
    let Some((_, file)) = files.into_iter().find(|(name, _)| name == "file") else {
        let (q, e) = again(vec!["请选择要导入的工作日历文件（CSV 或 Excel）".into()]);
        return render(&state, &ctx, q, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // The reader decides the format by the name's extension and the content: keep only the
    // extension of the name sent.
    let ext = std::path::Path::new(&file.file_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "csv".into());
    let app = state.app.clone();
    let who = ctx.caller.who();
    let outcome = blocking(move || {
        let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
        let path = dir.path().join(format!("calendar.{ext}"));
        std::fs::write(&path, &file.bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(probity_app::calendar::import(&app, &who.name(), &path))
    })
    .await?;
    match outcome {
        Ok(done_) => {
            let year = done_.years.first().copied().unwrap_or_default();
            Ok(done(
                &format!("/console/calendar?year={year}"),
                &done_.to_string(),
            ))
        }
        Err(probity_app::AppError::Fields(errs)) => {
            let (q, e) = again(errs.into_iter().map(|e| e.error.message).collect());
            render(&state, &ctx, q, e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(
            e @ (probity_app::AppError::Domain(_)
            | probity_app::AppError::Invalid { .. }
            | probity_app::AppError::File(_)),
        ) => {
            let (q, errs) = again(vec![e.to_string()]);
            render(&state, &ctx, q, errs, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

impl CalendarQuery {
    fn default_with(errors: Vec<String>) -> (CalendarQuery, Vec<String>) {
        (CalendarQuery::default(), errors)
    }
}
