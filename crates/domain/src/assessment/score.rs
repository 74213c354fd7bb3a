//! The result of one indicator for one unit (指标得分) and the pure helpers that turn a rule's
//! thresholds and the counts or rates behind it into explained score lines. Every point carries
//! the record, case or entry that earned or cost it; a calculated result's points are its base
//! plus the sum of its lines, by construction.

use serde::{Deserialize, Serialize};

use super::points::Points;
use super::set::{Band, SeverityDeductions};
use crate::catalog::Severity;
use crate::error::{Code, DomainError, Result};

/// What a score line points at, so that a unit can open the thing that earned or cost the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Evidence {
    /// A credit record (信用记录).
    Record(i64),
    /// A case on the case engine: rectification, complaint, objection, repair.
    Case(i64),
    /// An entry of the credit office or the unit: a manual score with its attachment, a ledger
    /// task, a commitment.
    Entry(i64),
    /// A line that stands on the rule alone (a rate's band, a re-weighting).
    None,
}

/// One explained step of a score: `points` is signed (a deduction is negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreLine {
    pub points: Points,
    /// Chinese, for the unit's score page.
    pub reason: String,
    pub evidence: Evidence,
}

impl ScoreLine {
    pub fn new(points: Points, reason: impl Into<String>, evidence: Evidence) -> Self {
        ScoreLine {
            points,
            reason: reason.into(),
            evidence,
        }
    }
}

/// `calculated`, `insufficient_data` or `not_applicable`: never a silent zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Calculated,
    InsufficientData,
    NotApplicable,
}

impl Status {
    /// The code the API answers (`calculated`, `insufficient_data`, `not_applicable`).
    pub fn code(self) -> &'static str {
        match self {
            Status::Calculated => "calculated",
            Status::InsufficientData => "insufficient_data",
            Status::NotApplicable => "not_applicable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Calculated => "已计算",
            Status::InsufficientData => "数据不足",
            Status::NotApplicable => "不适用",
        }
    }
}

/// One indicator's result for one unit in one period. Built only through its constructors, so
/// that `points == base + Σ lines` always holds; the fields are read through accessors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorResult {
    status: Status,
    /// The maximum this result is out of (the indicator's, or its re-weighted share).
    max: Points,
    /// Where the lines start from: the full points for a deduction rule, zero for a band.
    base: Points,
    points: Points,
    lines: Vec<ScoreLine>,
    /// Why the result is not calculated (Chinese), for the other two statuses.
    note: Option<String>,
}

impl IndicatorResult {
    /// A calculated result: its points are `base` plus the lines.
    pub fn calculated(max: Points, base: Points, lines: Vec<ScoreLine>) -> Self {
        let points = base + lines.iter().map(|l| l.points).sum::<Points>();
        IndicatorResult {
            status: Status::Calculated,
            max,
            base,
            points,
            lines,
            note: None,
        }
    }

    pub fn insufficient_data(max: Points, note: impl Into<String>) -> Self {
        Self::uncalculated(Status::InsufficientData, max, note)
    }

    pub fn not_applicable(max: Points, note: impl Into<String>) -> Self {
        Self::uncalculated(Status::NotApplicable, max, note)
    }

    fn uncalculated(status: Status, max: Points, note: impl Into<String>) -> Self {
        IndicatorResult {
            status,
            max,
            base: Points::ZERO,
            points: Points::ZERO,
            lines: Vec::new(),
            note: Some(note.into()),
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }
    pub fn max(&self) -> Points {
        self.max
    }
    pub fn base(&self) -> Points {
        self.base
    }
    /// The points: meaningful only when calculated (zero otherwise, never shown as a score).
    pub fn points(&self) -> Points {
        self.points
    }
    pub fn lines(&self) -> &[ScoreLine] {
        &self.lines
    }
    /// Rewrites each line's reason by `f`, the points left as they are (so the result stays
    /// consistent): how a reader who may not read a score's free text in clear is shown it.
    pub fn rewrite_reasons(&mut self, mut f: impl FnMut(&ScoreLine) -> String) {
        for line in &mut self.lines {
            line.reason = f(line);
        }
    }
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    pub fn is_calculated(&self) -> bool {
        self.status == Status::Calculated
    }

    /// The same result with a zero-point line for each item behind it (the cases a rate was
    /// counted over), so that a band's points show what they rest on. The points do not change.
    pub fn with_items(mut self, items: Vec<(Evidence, String)>) -> Self {
        if self.status == Status::Calculated {
            self.lines.extend(
                items
                    .into_iter()
                    .map(|(e, reason)| ScoreLine::new(Points::ZERO, reason, e)),
            );
        }
        self
    }

    /// The invariant, for tests and for a snapshot read back from storage.
    pub fn is_consistent(&self) -> bool {
        let sum = self.base + self.lines.iter().map(|l| l.points).sum::<Points>();
        match self.status {
            Status::Calculated => {
                sum == self.points && self.points >= Points::ZERO && self.points <= self.max
            }
            _ => self.points == Points::ZERO && self.lines.is_empty(),
        }
    }

    /// The same result out of `new_max` instead of its own maximum, the difference written as a
    /// line (`reason`), so that the lines still add up. An uncalculated result only takes the new
    /// maximum.
    pub fn rescaled(mut self, new_max: Points, reason: &str) -> Self {
        if self.max == new_max {
            return self;
        }
        if self.status == Status::Calculated && self.max > Points::ZERO {
            let scaled = self.points.scale(new_max, self.max);
            let delta = scaled - self.points;
            if delta != Points::ZERO {
                self.lines.push(ScoreLine::new(
                    delta,
                    format!("{reason}（满分 {} 分折算为 {} 分）", self.max, new_max),
                    Evidence::None,
                ));
            }
            self.points = scaled;
        }
        self.max = new_max;
        self
    }
}

/// A deduction rule (扣分制): start from `max`, take `per_item` off for each item, at most `cap`
/// in all (and never below zero). Every item gets a line, also those past the cap (with zero
/// points), so that nothing behind the score is hidden.
pub fn deduct_per_item(
    max: Points,
    per_item: Points,
    cap: Points,
    what: &str,
    items: &[Evidence],
) -> IndicatorResult {
    let items: Vec<(Points, Evidence)> = items.iter().map(|e| (per_item, *e)).collect();
    deduct(max, cap, &items, |_| what.to_string())
}

/// A deduction rule by severity (按严重程度扣分): each dishonest record costs what its severity
/// costs, at most `rule.cap` in all.
pub fn deduct_by_severity(
    max: Points,
    rule: &SeverityDeductions,
    what: &str,
    items: &[(Severity, Evidence)],
) -> IndicatorResult {
    let costs: Vec<(Points, Evidence)> = items.iter().map(|(s, e)| (rule.per(*s), *e)).collect();
    let labels: Vec<&str> = items.iter().map(|(s, _)| s.label()).collect();
    deduct(max, rule.cap, &costs, |i| format!("{}{what}", labels[i]))
}

/// A deduction rule over described items (each its own cost, reason and evidence), at most `cap`
/// in all: what the computed indicators use, so that each line names its record or case.
pub fn deduct_items(
    max: Points,
    cap: Points,
    items: &[(Points, Evidence, String)],
) -> IndicatorResult {
    let costs: Vec<(Points, Evidence)> = items.iter().map(|(c, e, _)| (*c, *e)).collect();
    deduct(max, cap, &costs, |i| items[i].2.clone())
}

fn deduct(
    max: Points,
    cap: Points,
    items: &[(Points, Evidence)],
    describe: impl Fn(usize) -> String,
) -> IndicatorResult {
    let limit = cap.min(max).max(Points::ZERO);
    let mut taken = Points::ZERO;
    let mut lines = Vec::with_capacity(items.len());
    for (i, (cost, evidence)) in items.iter().enumerate() {
        let cost = (*cost).max(Points::ZERO).min(limit - taken);
        taken = taken + cost;
        let reason = if cost == items[i].0 {
            format!("{}，扣 {} 分", describe(i), cost)
        } else if cost == Points::ZERO {
            format!("{}，已达扣分上限 {} 分，不再扣分", describe(i), limit)
        } else {
            format!(
                "{}，扣 {} 分（已达扣分上限 {} 分）",
                describe(i),
                cost,
                limit
            )
        };
        lines.push(ScoreLine::new(-cost, reason, *evidence));
    }
    IndicatorResult::calculated(max, max, lines)
}

/// A band rule (分档计分): the value (a rate in percent, an average rating) falls in one band and
/// earns that band's points, never more than `max`. A value in no band (the set's validation
/// makes the bands cover the metric's whole scale, so only a value off the scale) earns nothing,
/// and the line says so. `what` names the value ("投诉按时办结率").
pub fn band(max: Points, value: Points, unit: &str, bands: &[Band], what: &str) -> IndicatorResult {
    let last = bands.len().saturating_sub(1);
    let hit = bands
        .iter()
        .enumerate()
        .find(|(i, b)| value >= b.from && (value < b.to || (*i == last && value == b.to)));
    let line = match hit {
        Some((_, b)) => {
            let points = b.points.min(max).max(Points::ZERO);
            ScoreLine::new(
                points,
                format!(
                    "{what} {value}{unit}，在 {}{unit}–{}{unit} 档，得 {points} 分",
                    b.from, b.to
                ),
                Evidence::None,
            )
        }
        None => ScoreLine::new(
            Points::ZERO,
            format!("{what} {value}{unit}，不在任何计分档内，得 0 分"),
            Evidence::None,
        ),
    };
    IndicatorResult::calculated(max, Points::ZERO, vec![line])
}

/// A score given by the credit office (or a unit's self-assessment confirmed by it): refused when
/// outside 0–max or without a reason.
pub fn manual(
    max: Points,
    points: Points,
    reason: &str,
    evidence: Evidence,
) -> Result<IndicatorResult> {
    if points < Points::ZERO || points > max {
        return Err(DomainError::new(
            Code::ScoreOutOfRange,
            format!("评分 {points} 分超出本指标分值范围 0–{max} 分"),
        ));
    }
    if reason.trim().is_empty() {
        return Err(DomainError::new(
            Code::Required,
            "评分须写明理由".to_string(),
        ));
    }
    Ok(IndicatorResult::calculated(
        max,
        Points::ZERO,
        vec![ScoreLine::new(points, reason.trim(), evidence)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: i64) -> Points {
        Points::whole(n)
    }

    #[test]
    fn deduction_takes_each_item_until_the_cap() {
        let items = [Evidence::Case(1), Evidence::Case(2), Evidence::Case(3)];
        let r = deduct_per_item(
            p(3),
            Points::from_hundredths(150),
            p(2),
            "逾期未整改",
            &items,
        );
        assert!(r.is_consistent());
        assert_eq!(r.points(), p(1));
        let taken: Vec<i64> = r.lines().iter().map(|l| l.points.hundredths()).collect();
        assert_eq!(taken, vec![-150, -50, 0]);
        assert!(r.lines()[2].reason.contains("已达扣分上限"));
        assert_eq!(r.lines()[2].evidence, Evidence::Case(3));
    }

    #[test]
    fn deduction_without_items_is_full_marks() {
        let r = deduct_per_item(p(3), p(1), p(3), "投诉查实", &[]);
        assert_eq!(r.points(), p(3));
        assert!(r.lines().is_empty());
        assert!(r.is_consistent());
    }

    #[test]
    fn deduction_by_severity_costs_what_each_severity_costs() {
        let rule = SeverityDeductions {
            minor: p(1),
            ordinary: p(2),
            grave: p(4),
            cap: p(5),
        };
        let items = [
            (Severity::Minor, Evidence::Record(10)),
            (Severity::Grave, Evidence::Record(11)),
        ];
        let r = deduct_by_severity(p(5), &rule, "政务失信记录", &items);
        assert_eq!(r.points(), Points::ZERO);
        assert_eq!(r.lines()[0].reason, "轻微政务失信记录，扣 1 分");
        assert_eq!(r.lines()[1].points, -p(4));
        assert!(r.is_consistent());
    }

    fn bands() -> Vec<Band> {
        vec![
            Band {
                from: p(0),
                to: p(80),
                points: p(0),
            },
            Band {
                from: p(80),
                to: p(95),
                points: p(2),
            },
            Band {
                from: p(95),
                to: p(100),
                points: p(4),
            },
        ]
    }

    #[test]
    fn band_picks_the_band_and_the_top_is_inclusive() {
        let r = band(
            p(4),
            Points::from_hundredths(9250),
            "%",
            &bands(),
            "投诉按时办结率",
        );
        assert_eq!(r.points(), p(2));
        assert_eq!(
            r.lines()[0].reason,
            "投诉按时办结率 92.5%，在 80%–95% 档，得 2 分"
        );
        assert_eq!(band(p(4), p(95), "%", &bands(), "率").points(), p(4));
        assert_eq!(band(p(4), p(100), "%", &bands(), "率").points(), p(4));
        assert_eq!(band(p(4), p(0), "%", &bands(), "率").points(), p(0));
        assert_eq!(band(p(4), p(101), "%", &bands(), "率").points(), p(0));
    }

    #[test]
    fn manual_score_is_refused_out_of_range_or_without_reason() {
        assert!(manual(p(4), p(5), "好", Evidence::Entry(1)).is_err());
        assert!(manual(p(4), -p(1), "好", Evidence::Entry(1)).is_err());
        assert_eq!(
            manual(p(4), p(4), " ", Evidence::Entry(1))
                .unwrap_err()
                .code,
            Code::Required
        );
        let r = manual(
            p(4),
            p(3),
            "重大决策程序完备，一项未公开征求意见",
            Evidence::Entry(9),
        )
        .unwrap();
        assert_eq!(r.points(), p(3));
        assert!(r.is_consistent());
    }

    #[test]
    fn rescaling_writes_the_difference_as_a_line() {
        let r = IndicatorResult::calculated(
            p(3),
            p(3),
            vec![ScoreLine::new(-p(1), "x", Evidence::Record(1))],
        );
        let r = r.rescaled(p(4), "不适用指标分值按比例分配");
        assert_eq!(r.max(), p(4));
        assert_eq!(r.points(), Points::from_hundredths(267));
        assert!(r.is_consistent());
        assert_eq!(r.lines().len(), 2);
    }
}
