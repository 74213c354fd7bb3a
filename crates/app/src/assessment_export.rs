//! The yearly assessment as a workbook (考核评分明细): every score line of every unit in a
//! period, each with the indicator it belongs to and the record, case or score behind it, so
//! that the credit office and the organisation department can check a total line by line outside
//! the platform. Also how an evidence is named for people (`记录第 12 号`), the one wording the
//! pages and the workbook share.

use probity_domain::assessment::{Evidence, Period, Points, Status};

use crate::assessment::{self, group_label};
use crate::{Actor, App, AppError, AppResult};

/// The workbook's columns: (key, Chinese header).
pub const HEADERS: &[(&str, &str)] = &[
    ("unit", "单位"),
    ("group", "分组"),
    ("dimension", "维度"),
    ("indicator", "指标"),
    ("sort", "计分方式"),
    ("max", "分值"),
    ("status", "状态"),
    ("points", "得分"),
    ("base", "起算分"),
    ("line", "本条计分"),
    ("reason", "说明"),
    ("evidence", "依据/证据"),
];

/// What a score line rests on, as people say it: `记录第 12 号`, `案件第 3 号`, `评分第 7 号`;
/// `None` for a line that stands on the rule alone.
pub fn evidence_label(e: Evidence) -> Option<String> {
    match e {
        Evidence::Record(id) => Some(format!("记录第 {id} 号")),
        Evidence::Case(id) => Some(format!("案件第 {id} 号")),
        Evidence::Entry(id) => Some(format!("评分第 {id} 号")),
        Evidence::None => None,
    }
}

/// A line's points with their sign: `+2`, `-1.5`, `0`.
pub fn signed(p: Points) -> String {
    if p > Points::ZERO {
        format!("+{p}")
    } else {
        p.to_string()
    }
}

/// Every score line of every unit of the period (the frozen snapshot of a closed period), one
/// row each; an indicator without lines (not applicable, waiting for data, or full marks with
/// nothing to explain) gets one row with its note. The credit office and the organisation
/// department only, as for the ranking.
pub fn export(app: &App, actor: &Actor, period: Period) -> AppResult<Vec<u8>> {
    let results = assessment::results(app, actor, period)?;
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("assessment.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for r in &results.units {
        let a = &r.assessment;
        let group = group_label(a.kind);
        for d in &a.total.dimensions {
            let dimension = results
                .set
                .dimensions
                .iter()
                .find(|x| x.code == d.code)
                .map_or_else(|| d.code.clone(), |x| format!("{} {}", x.code, x.name));
            for (code, result) in &d.indicators {
                let (indicator, sort) = match results.set.indicator(code) {
                    Some((_, i)) => (format!("{} {}", i.code, i.name), i.sort.label()),
                    None => (code.clone(), ""),
                };
                let calculated = result.status() == Status::Calculated;
                let max = result.max().to_string();
                let points = if calculated {
                    result.points().to_string()
                } else {
                    String::new()
                };
                let base = if calculated {
                    result.base().to_string()
                } else {
                    String::new()
                };
                let head = [
                    a.name.as_str(),
                    group,
                    dimension.as_str(),
                    indicator.as_str(),
                    sort,
                    max.as_str(),
                    result.status().label(),
                    points.as_str(),
                    base.as_str(),
                ];
                if result.lines().is_empty() {
                    let note = result.note().unwrap_or(if calculated {
                        "按规则计算，无加减分事项"
                    } else {
                        ""
                    });
                    let mut cells = head.to_vec();
                    cells.extend(["", note, ""]);
                    w.write_row(&cells)?;
                    continue;
                }
                for line in result.lines() {
                    let points = signed(line.points);
                    let evidence = evidence_label(line.evidence).unwrap_or_default();
                    let mut cells = head.to_vec();
                    cells.extend([points.as_str(), line.reason.as_str(), evidence.as_str()]);
                    w.write_row(&cells)?;
                }
            }
        }
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_named_in_chinese() {
        assert_eq!(
            evidence_label(Evidence::Record(12)).as_deref(),
            Some("记录第 12 号")
        );
        assert_eq!(
            evidence_label(Evidence::Case(3)).as_deref(),
            Some("案件第 3 号")
        );
        assert_eq!(
            evidence_label(Evidence::Entry(7)).as_deref(),
            Some("评分第 7 号")
        );
        assert_eq!(evidence_label(Evidence::None), None);
        assert_eq!(signed(Points::whole(2)), "+2");
        assert_eq!(signed(-Points::from_hundredths(150)), "-1.5");
        assert_eq!(signed(Points::ZERO), "0");
    }
}
