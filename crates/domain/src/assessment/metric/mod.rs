//! The computed indicators (系统计算指标): one module per metric behind one trait, each saying
//! what in a unit's facts falls in the period and counts, item by item; [`score`] then applies
//! the indicator's rule (its thresholds are the set's data) to what was measured. Every item
//! becomes a line of the result, so that the score page can link each record or case.

mod complaint_on_time;
mod complaint_rating;
mod complaints_upheld;
mod objection_on_time;
mod rectification_on_time;
mod rectifications_overdue;
mod reporting_timeliness;
mod staff_records;
mod unit_records;

pub(crate) use rectifications_overdue::overdue_in;

use chrono::NaiveDate;

use super::facts::{CaseItem, RecordItem, UnitFacts};
use super::period::Period;
use super::points::Points;
use super::score::{Evidence, IndicatorResult, band, deduct_items};
use super::set::{Indicator, Metric, Rule};
use crate::catalog::Severity;
use crate::statistics::StatisticsRules;

/// What a metric reads: the unit's facts, the period, the day of computing, the thresholds of
/// the statistics (归集及时率's days).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub facts: &'a UnitFacts,
    pub period: Period,
    /// The day the result is computed on (the period's end once it is over).
    pub today: NaiveDate,
    pub statistics: StatisticsRules,
}

impl Context<'_> {
    /// The last day counted.
    pub fn until(&self) -> NaiveDate {
        self.period.counted_to(self.today)
    }

    /// Whether `day` is in the period and not after today.
    pub fn counts(&self, day: NaiveDate) -> bool {
        self.period.from() <= day && day <= self.until()
    }
}

/// One thing measured: a record, a case, a report, with its severity where it has one and how
/// the score page describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub evidence: Evidence,
    pub severity: Option<Severity>,
    pub text: String,
}

/// What a metric measured for a unit in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    /// Items that each cost points (records by severity, overdue cases, upheld complaints).
    Items(Vec<Item>),
    /// A value on the metric's scale (a rate in percent, an average rating), `what` naming it
    /// with its counts, and the items it was counted over.
    Value {
        value: Points,
        what: String,
        items: Vec<Item>,
    },
    /// Nothing to measure in the period (no case was due): the indicator does not apply and the
    /// set's re-weighting rule takes over.
    Nothing(String),
}

/// A computed indicator's metric.
pub trait MetricRule: Sync {
    fn metric(&self) -> Metric;
    fn measure(&self, cx: &Context<'_>) -> Measure;
}

static RULES: [&dyn MetricRule; 9] = [
    &unit_records::UnitRecords,
    &staff_records::StaffRecords,
    &rectification_on_time::RectificationOnTime,
    &rectifications_overdue::RectificationsOverdue,
    &complaint_on_time::ComplaintOnTime,
    &complaints_upheld::ComplaintsUpheld,
    &complaint_rating::ComplaintRating,
    &objection_on_time::ObjectionOnTime,
    &reporting_timeliness::ReportingTimeliness,
];

/// The module that computes a metric, if the platform computes it.
pub fn rule_of(metric: Metric) -> Option<&'static dyn MetricRule> {
    RULES.iter().copied().find(|r| r.metric() == metric)
}

/// A computed indicator's result for one unit: its metric measured, its rule applied. A set's
/// validation pairs each metric with a rule that fits it; a pair that does not fit (or a metric
/// the platform cannot compute) is reported as insufficient data, never as points.
pub fn score(indicator: &Indicator, cx: &Context<'_>) -> IndicatorResult {
    let max = indicator.max_points;
    let (Some(metric), Some(rule)) = (indicator.metric, indicator.rule.as_ref()) else {
        return IndicatorResult::insufficient_data(max, "指标未设定计算口径或计分规则");
    };
    let Some(module) = rule_of(metric) else {
        return IndicatorResult::insufficient_data(
            max,
            format!("平台尚不能计算“{}”", metric.label()),
        );
    };
    let unit = match metric.kind() {
        super::set::MetricKind::Scale { unit, .. } => unit,
        _ => "",
    };
    match (module.measure(cx), rule) {
        (Measure::Nothing(note), _) => IndicatorResult::not_applicable(max, note),
        (Measure::Items(items), Rule::DeductBySeverity(d)) => {
            let costs: Vec<(Points, Evidence, String)> = items
                .into_iter()
                .map(|i| {
                    let s = i.severity.unwrap_or(Severity::Ordinary);
                    (d.per(s), i.evidence, i.text)
                })
                .collect();
            deduct_items(max, d.cap, &costs)
        }
        (Measure::Items(items), Rule::DeductPerItem { per_item, cap }) => {
            let costs: Vec<(Points, Evidence, String)> = items
                .into_iter()
                .map(|i| (*per_item, i.evidence, i.text))
                .collect();
            deduct_items(max, *cap, &costs)
        }
        (Measure::Value { value, what, items }, Rule::Bands { bands }) => {
            band(max, value, unit, bands, &what)
                .with_items(items.into_iter().map(|i| (i.evidence, i.text)).collect())
        }
        _ => IndicatorResult::insufficient_data(
            max,
            format!("“{}”的计分规则与其数据不符", metric.label()),
        ),
    }
}

/// `numerator / denominator` in percent, in hundredths, rounded down (so that 94.999% is not
/// 95%).
pub(crate) fn percent(numerator: usize, denominator: usize) -> Points {
    debug_assert!(denominator > 0 && numerator <= denominator);
    let n = numerator as i128 * 10_000 / denominator as i128;
    Points::from_hundredths(n as i64)
}

/// A rate over cases: each counted case with whether it was on time.
pub(crate) fn rate(
    cases: Vec<(Item, bool)>,
    what: &str,
    counted: &str,
    good: &str,
    nothing: &str,
) -> Measure {
    if cases.is_empty() {
        return Measure::Nothing(nothing.to_string());
    }
    let total = cases.len();
    let ok = cases.iter().filter(|(_, on_time)| *on_time).count();
    Measure::Value {
        value: percent(ok, total),
        what: format!("{what}（{good} {ok} 件 / {counted} {total} 件）"),
        items: cases.into_iter().map(|(i, _)| i).collect(),
    }
}

/// `第 12 号案件`, with its deadline and when it closed.
pub(crate) fn case_text(kind: &str, c: &CaseItem, until: NaiveDate) -> String {
    let state = match c.closed_on {
        Some(d) if d <= c.due && !c.overdue_ever => format!("{d} 按期办结"),
        Some(d) => format!("{d} 办结，已逾期"),
        None if until > c.due => "逾期未办结".to_string(),
        None => "办理中".to_string(),
    };
    format!("{kind}第 {} 号（期限 {}，{state}）", c.id, c.due)
}

/// `本单位的严重失信记录（文书号，2026-03-01 决定）`, `公务员王某的轻微失信记录（…）`.
pub(crate) fn record_item(r: &RecordItem, whose: &str) -> Item {
    let (severity, unmarked) = match r.severity {
        Some(s) => (s.label(), ""),
        None => ("", "，未标明严重程度，按一般计"),
    };
    Item {
        evidence: Evidence::Record(r.id),
        severity: r.severity,
        text: format!(
            "{whose}的{severity}失信记录（{}，{} 决定{unmarked}）",
            r.document_no, r.decided_on
        ),
    }
}
