//! The statistics (统计分析) an official reads: the counted records by category, severity, kind
//! of subject, township, reporting unit and month, each provider's 归集及时率 and the roster's
//! 档案覆盖率, within the caller's reach (the credit office sees the district, a provider what it
//! reported, an assessed unit the records about it and its civil servants). Every row is named
//! in Chinese; the workbook carries the codes beside the names.

use probity_domain::authz::Reach;
use probity_domain::catalog::Severity;
use probity_domain::statistics::{Rate, StatisticsRules, month_label, months_of};
use probity_domain::subject::SubjectKind;
use probity_store::{Dimension, StatScope};

use crate::{Actor, App, AppError, AppResult};

/// One row of a table: what it counts (its name and its stable code), how many, and its share
/// of the table's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub code: String,
    pub count: u64,
    pub share: Rate,
}

/// One table of counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// A stable key (the page's anchor).
    pub key: &'static str,
    pub title: &'static str,
    pub rows: Vec<Row>,
}

/// A rate of one provider or one kind of subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    pub label: String,
    pub code: String,
    pub rate: Rate,
}

/// The statistics of one year (or all years) within the caller's reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    pub year: Option<i32>,
    /// Whose records: "全区", "本单位报送", "本单位及所属公务员".
    pub scope: &'static str,
    pub total: u64,
    /// By category, severity, kind of subject, township, reporting unit.
    pub tables: Vec<Table>,
    /// By month of decision, the months without records included (for one year).
    pub trend: Table,
    /// Each provider's timeliness, worst first (the credit office and a provider).
    pub timeliness: Option<Vec<RateRow>>,
    /// File coverage by kind of subject (the credit office only).
    pub coverage: Option<Vec<RateRow>>,
    pub rules: StatisticsRules,
}

/// The years an official may pick: from this year back ten.
pub fn years(app: &App) -> Vec<i32> {
    use chrono::Datelike;
    let now = app.today().year();
    (now - 9..=now).rev().collect()
}

/// The statistics of `year` (all years when `None`) within the actor's reach.
pub fn of(app: &App, actor: &Actor, year: Option<i32>) -> AppResult<Statistics> {
    if let Some(y) = year
        && !(2000..=9999).contains(&y)
    {
        return Err(AppError::BadInput {
            code: "QUERY_INVALID",
            message: format!("年度 {y} 不在可统计的范围内"),
        });
    }
    let store = app.store();
    let unit = || {
        actor
            .unit()
            .ok_or_else(|| AppError::Forbidden("该账号未绑定单位，无法统计".into()))
    };
    let (scope, label, district) = match actor.reach {
        Reach::All => (StatScope::default(), "全区", true),
        Reach::OwnProvided => (
            StatScope {
                provider_id: Some(unit()?),
                ..Default::default()
            },
            "本单位报送",
            false,
        ),
        Reach::OwnFile => (
            StatScope {
                about_unit: Some(unit()?),
                ..Default::default()
            },
            "本单位及所属公务员",
            false,
        ),
    };
    let scope = StatScope { year, ..scope };
    let rules = StatisticsRules::default();
    let catalog = store.catalog()?;
    let subject_name = |id: &str| -> AppResult<String> {
        let s = id
            .parse::<i64>()
            .ok()
            .map(|i| store.subject(i))
            .transpose()?;
        Ok(s.map(|s| s.short_name.unwrap_or(s.name))
            .unwrap_or_else(|| id.to_string()))
    };

    let mut tables = Vec::new();
    let mut total = 0;
    for (key, title, dim) in [
        ("category", "按记录类别", Dimension::Category),
        ("severity", "按严重程度", Dimension::Severity),
        ("subject-kind", "按主体类型", Dimension::SubjectKind),
        ("township", "按街镇（含所属公务员）", Dimension::Township),
        ("provider", "按报送单位", Dimension::Provider),
    ] {
        let counts = store.count_by(&scope, dim)?;
        let sum: u64 = counts.iter().map(|(_, n)| n).sum();
        if dim == Dimension::Category {
            total = sum;
        }
        let mut rows = Vec::with_capacity(counts.len());
        for (code, count) in counts {
            let label = match dim {
                Dimension::Category => catalog
                    .get(&code)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| code.clone()),
                Dimension::Severity if code.is_empty() => "不分程度（守信记录）".into(),
                Dimension::Severity => Severity::parse(&code)
                    .map(|s| s.label().to_string())
                    .unwrap_or_else(|_| code.clone()),
                Dimension::SubjectKind => SubjectKind::parse(&code)
                    .map(|k| k.label().to_string())
                    .unwrap_or_else(|_| code.clone()),
                Dimension::Township | Dimension::Provider => subject_name(&code)?,
                Dimension::Month => month_label(&code),
            };
            rows.push(Row {
                label,
                code,
                count,
                share: Rate {
                    part: count,
                    whole: sum,
                },
            });
        }
        tables.push(Table { key, title, rows });
    }

    let months = store.count_by(&scope, Dimension::Month)?;
    let keys: Vec<String> = match year {
        Some(y) => months_of(y, app.today()),
        None => {
            let mut k: Vec<String> = months.iter().map(|(m, _)| m.clone()).collect();
            k.sort();
            k
        }
    };
    let trend_rows = keys
        .into_iter()
        .map(|m| {
            let count = months
                .iter()
                .find(|(k, _)| *k == m)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            Row {
                label: month_label(&m),
                code: m,
                count,
                share: Rate {
                    part: count,
                    whole: total,
                },
            }
        })
        .collect();

    let timeliness = if matches!(actor.reach, Reach::OwnFile) {
        None
    } else {
        let mut rows = Vec::new();
        for t in store.timeliness(&scope, &rules)? {
            let id = t.provider_id.to_string();
            rows.push(RateRow {
                label: subject_name(&id)?,
                code: id,
                rate: t.rate,
            });
        }
        rows.sort_by_key(|r| (r.rate.per_mille(), std::cmp::Reverse(r.rate.whole)));
        Some(rows)
    };
    let coverage = if district {
        Some(
            store
                .file_coverage()?
                .into_iter()
                .map(|c| RateRow {
                    label: SubjectKind::parse(&c.kind)
                        .map(|k| k.label().to_string())
                        .unwrap_or_else(|_| c.kind.clone()),
                    code: c.kind,
                    rate: c.rate,
                })
                .collect(),
        )
    } else {
        None
    };

    Ok(Statistics {
        year,
        scope: label,
        total,
        tables,
        trend: Table {
            key: "month",
            title: "按月份（决定日期）",
            rows: trend_rows,
        },
        timeliness,
        coverage,
        rules,
    })
}

/// The statistics as one Excel sheet: each table's rows under its title, with the code, the
/// count or the whole, the part, and the rate.
pub fn export(stats: &Statistics) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("table", "统计项"),
        ("item", "项目"),
        ("code", "代码"),
        ("count", "数量"),
        ("part", "其中"),
        ("rate", "比率"),
    ];
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("statistics.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for t in stats.tables.iter().chain(std::iter::once(&stats.trend)) {
        for r in &t.rows {
            w.write_row(&[
                t.title,
                &r.label,
                &r.code,
                &r.count.to_string(),
                "",
                &r.share.percent_text(),
            ])?;
        }
    }
    let timely = format!("归集及时率（{} 日内报送）", stats.rules.timely_days);
    for (title, rows) in [
        (timely.as_str(), &stats.timeliness),
        ("档案覆盖率", &stats.coverage),
    ] {
        for r in rows.iter().flatten() {
            w.write_row(&[
                title,
                &r.label,
                &r.code,
                &r.rate.whole.to_string(),
                &r.rate.part.to_string(),
                &r.rate.percent_text(),
            ])?;
        }
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))
}
