//! The working-day calendar (工作日历) as the platform uses it: the shipped State Council years
//! with the credit office's own years in their place; importing a table of listed days (CSV or
//! Excel: 日期, 类型, 名称), each year in the file replacing that year whole; and the deadline
//! arithmetic `probity calendar add` and every case use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use probity_domain::calendar::{Calendar, CalendarDay, DayKind};
use probity_domain::record::FieldError;
use probity_domain::{Code, DomainError};
use probity_ingest::{Limits, TableReader};

use crate::{App, AppError, AppResult, columns};

/// The calendar deadlines are counted on now.
pub fn current(app: &App) -> AppResult<Calendar> {
    Ok(app.store().calendar()?)
}

/// The `n`-th working day after `date` (`probity calendar add DATE N`).
pub fn add(app: &App, date: NaiveDate, n: u32) -> AppResult<NaiveDate> {
    Ok(current(app)?.add_working_days(date, n)?)
}

/// From this month on, next year's calendar is due: deadlines counted from late in the year
/// reach into it (the State Council publishes the next year's holidays in November or December).
const NEXT_YEAR_DUE_FROM_MONTH: u32 = 11;

/// What the credit office must import before deadlines stop being counted: this year when the
/// calendar lacks it, or next year from November on when it lacks that. A case whose deadline
/// would fall in a missing year cannot be opened or stepped (`CALENDAR_YEAR_MISSING`).
pub fn missing_soon(app: &App) -> AppResult<Option<String>> {
    let cal = current(app)?;
    let today = app.today();
    let has = |y: i32| cal.years().any(|k| k == y);
    Ok(if !has(today.year()) {
        Some(format!(
            "工作日历缺少 {} 年：本年的期限无法计算，案件无法开启或办理。请在“工作日历”页导入 {} 年的放假和调休安排。",
            today.year(),
            today.year()
        ))
    } else if today.month() >= NEXT_YEAR_DUE_FROM_MONTH && !has(today.year() + 1) {
        Some(format!(
            "工作日历尚无 {next} 年：期限跨入 {next} 年的案件将无法开启或办理。国务院办公厅发布 {next} 年节假日安排后，请及时在“工作日历”页导入。",
            next = today.year() + 1
        ))
    } else {
        None
    })
}

/// Where a year's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Shipped with the platform from the State Council's notice.
    Official,
    /// Saved by the credit office (when, RFC 3339 UTC).
    Maintained { updated_at: String },
}

impl Source {
    pub fn label(&self) -> String {
        match self {
            Source::Official => "国务院办公厅通知（随平台提供）".into(),
            Source::Maintained { updated_at } => chrono::DateTime::parse_from_rfc3339(updated_at)
                .map(|t| {
                    format!(
                        "信用办维护（{}）",
                        probity_domain::date::beijing_minute(t.with_timezone(&chrono::Utc))
                    )
                })
                .unwrap_or_else(|_| "信用办维护".into()),
        }
    }
}

/// One year of the calendar, summed up for the calendar page.
#[derive(Debug, Clone)]
pub struct YearSummary {
    pub year: i32,
    pub source: Source,
    /// Days off listed (放假).
    pub holidays: usize,
    /// Weekend days worked (调休上班).
    pub workdays: usize,
    /// Working days in the year.
    pub working_days: usize,
    pub days: Vec<CalendarDay>,
}

/// Every year the calendar knows, with its listed days, newest first.
pub fn years(app: &App) -> AppResult<Vec<YearSummary>> {
    let stored: BTreeMap<i32, String> = app
        .store()
        .calendar_years()?
        .into_iter()
        .map(|y| (y.year, y.updated_at))
        .collect();
    let cal = current(app)?;
    let mut out = Vec::new();
    for year in cal.years() {
        out.push(summary(&cal, year, stored.get(&year).cloned())?);
    }
    out.reverse();
    Ok(out)
}

/// One year, or `NOT_FOUND` when the calendar does not know it.
pub fn year(app: &App, year: i32) -> AppResult<YearSummary> {
    let cal = current(app)?;
    if !cal.years().any(|y| y == year) {
        return Err(DomainError::new(
            Code::CalendarYearMissing,
            format!("{year} 年的工作日历尚未维护"),
        )
        .into());
    }
    let stored = app
        .store()
        .calendar_years()?
        .into_iter()
        .find(|y| y.year == year)
        .map(|y| y.updated_at);
    summary(&cal, year, stored)
}

fn summary(cal: &Calendar, year: i32, stored: Option<String>) -> AppResult<YearSummary> {
    let days: Vec<CalendarDay> = cal.days_of(year).cloned().collect();
    let holidays = days.iter().filter(|d| d.kind == DayKind::Holiday).count();
    let mut working_days = 0;
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| AppError::msg(format!("年份 {year} 无效")))?;
    while d.year() == year {
        if cal.is_working_day(d)? {
            working_days += 1;
        }
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    Ok(YearSummary {
        year,
        source: stored.map_or(Source::Official, |updated_at| Source::Maintained {
            updated_at,
        }),
        holidays,
        workdays: days.len() - holidays,
        working_days,
        days,
    })
}

/// What an import saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The years the file held, each saved in place of the platform's data for it.
    pub years: Vec<i32>,
    /// Of those, the years whose data changed.
    pub changed: Vec<i32>,
    /// Listed days read.
    pub days: usize,
}

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |ys: &[i32]| {
            ys.iter()
                .map(|y| format!("{y} 年"))
                .collect::<Vec<_>>()
                .join("、")
        };
        write!(
            f,
            "已导入工作日历：{}，共 {} 个放假或调休上班日",
            list(&self.years),
            self.days
        )?;
        if self.changed.len() < self.years.len() {
            let same: Vec<i32> = self
                .years
                .iter()
                .copied()
                .filter(|y| !self.changed.contains(y))
                .collect();
            write!(f, "（{}与现有数据相同，未改动）", list(&same))?;
        }
        Ok(())
    }
}

/// A calendar file is a few dozen rows; a thousand is more than twenty years of holidays.
const MAX_ROWS: usize = 1000;

/// Imports the listed days of a table (日期, 类型 放假/上班, 名称). Every year a date of the file
/// falls in is replaced by the file's days of that year; other years are left alone. Every
/// problem of the file is refused at once with its row (`CALENDAR_INVALID`), nothing saved.
pub fn import(app: &App, actor: &str, path: &Path) -> AppResult<Imported> {
    // A calendar is a few dozen rows: a workbook that unpacks to more than this is not one.
    let limits = Limits {
        max_part_bytes: 64 << 20,
        max_unpacked_bytes: 64 << 20,
        ..Limits::DEFAULT
    };
    let reader = TableReader::open_with_limits(path, columns::CALENDAR, limits)?;
    // Each problem with its row, so that they are listed in the file's order.
    let mut problems: Vec<(usize, FieldError)> = Vec::new();
    let mut days = Vec::new();
    let problem = |row: usize, column: &'static str, message: String| {
        let error = DomainError::new(Code::CalendarInvalid, format!("第 {row} 行：{message}"));
        (row, FieldError { column, error })
    };
    for item in reader {
        let row = match item {
            Ok(row) => row,
            Err(e) if !e.fatal => {
                problems.push(problem(e.row.unwrap_or(0), "", e.message));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if days.len() + problems.len() >= MAX_ROWS {
            return Err(AppError::Invalid {
                code: Code::CalendarInvalid.as_str(),
                message: format!("工作日历文件超过 {MAX_ROWS} 行"),
            });
        }
        let (date, kind, name) = (row.cell(0), row.cell(1), row.cell(2));
        let date = probity_domain::date::parse_date(date)
            .map_err(|e| problems.push(problem(row.number, "date", e.message)));
        let kind =
            DayKind::parse(kind).map_err(|e| problems.push(problem(row.number, "kind", e.message)));
        if let (Ok(date), Ok(kind)) = (date, kind) {
            days.push((
                row.number,
                CalendarDay {
                    date,
                    kind,
                    name: name.to_string(),
                },
            ));
        }
    }
    if days.is_empty() && problems.is_empty() {
        return Err(AppError::Invalid {
            code: Code::CalendarInvalid.as_str(),
            message: "文件中没有放假或调休上班日".into(),
        });
    }
    let years: BTreeSet<i32> = days.iter().map(|(_, d)| d.date.year()).collect();
    // The calendar's own checks, each pinned to the row it concerns where it names a date (the
    // last of two rows listing one date: the one that repeats it).
    if let Err(errs) = Calendar::new(years.iter().copied(), days.iter().map(|(_, d)| d.clone())) {
        for e in errs {
            let row = days
                .iter()
                .rev()
                .find(|(_, d)| e.message.starts_with(&d.date.to_string()))
                .map(|(n, _)| *n);
            problems.push(match row {
                Some(n) => problem(n, "date", e.message),
                None => (
                    0,
                    FieldError {
                        column: "",
                        error: e,
                    },
                ),
            });
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|(row, _)| *row);
        return Err(AppError::Fields(
            problems.into_iter().map(|(_, p)| p).collect(),
        ));
    }
    let n = days.len();
    let changed = app.store().write(|tx| -> AppResult<Vec<i32>> {
        let mut changed = Vec::new();
        for y in &years {
            let of_year: Vec<CalendarDay> = days
                .iter()
                .filter(|(_, d)| d.date.year() == *y)
                .map(|(_, d)| d.clone())
                .collect();
            if tx.calendar().save(*y, &of_year, actor)? {
                changed.push(*y);
            }
        }
        Ok(changed)
    })?;
    Ok(Imported {
        years: years.into_iter().collect(),
        changed,
        days: n,
    })
}

/// The listed days of `year` as a table in the import's own columns, so that a year exported,
/// edited and imported again round-trips.
pub fn export(app: &App, year: i32) -> AppResult<Vec<u8>> {
    let y = self::year(app, year)?;
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("calendar.xlsx");
    let headers: Vec<(&str, &str)> = columns::CALENDAR
        .iter()
        .map(|c| (c.key, c.header))
        .collect();
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, &headers)?;
    for d in &y.days {
        w.write_row(&[&d.date.to_string(), d.kind.label(), &d.name])?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))
}
