//! 归集及时率 (providing departments): of the records the unit reported that were decided in the
//! period, the share that reached the platform within the statistics' days of their decision
//! (DESIGN.md §4, the statistics page's own rule). The first `LISTED` late ones are listed one
//! by one and the rest counted in one line; the timely ones are counted (a department reports
//! thousands, and a district's largest provider hundreds of thousands a year: listing every one
//! took most of the review's memory and no reader goes through them on a page).

use super::{Context, Item, Measure, MetricRule, percent};
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct ReportingTimeliness;

/// The late records listed one by one.
pub const LISTED: usize = 50;

impl MetricRule for ReportingTimeliness {
    fn metric(&self) -> Metric {
        Metric::ReportingTimeliness
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        let days = cx.statistics.timely_days;
        let mut total = 0usize;
        let mut late = Vec::new();
        let mut late_count = 0usize;
        for r in cx.facts.reports.iter().filter(|r| cx.counts(r.decided_on)) {
            total += 1;
            if !cx.statistics.is_timely(r.decided_on, r.first_seen) {
                late_count += 1;
                if late.len() == LISTED {
                    continue;
                }
                late.push(Item {
                    evidence: Evidence::Record(r.record_id),
                    severity: None,
                    text: format!(
                        "记录第 {} 号：{} 决定，{} 报送，超过 {days} 日",
                        r.record_id, r.decided_on, r.first_seen
                    ),
                });
            }
        }
        if total == 0 {
            return Measure::Nothing("考核期内没有报送决定于本期的记录，不涉及此项".to_string());
        }
        if late_count > late.len() {
            late.push(Item {
                evidence: Evidence::None,
                severity: None,
                text: format!(
                    "另有 {} 条记录超过 {days} 日报送，未逐条列出（共 {late_count} 条超期）",
                    late_count - late.len()
                ),
            });
        }
        let timely = total - late_count;
        Measure::Value {
            value: percent(timely, total),
            what: format!("归集及时率（{days} 日内报送 {timely} 条 / 报送 {total} 条）"),
            items: late,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::assessment::facts::{ReportItem, UnitFacts};
    use crate::assessment::period::{Period, PeriodKind};
    use crate::statistics::StatisticsRules;
    use crate::subject::SubjectKind;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A provider with 10 timely and 120 late reports: the rate counts all 130, the first
    /// `LISTED` late ones are listed and one line counts the other 70.
    #[test]
    fn the_late_ones_past_the_listed_are_counted_in_one_line() {
        let mut facts = UnitFacts::empty(1, "区财政局", SubjectKind::Department);
        facts.is_provider = true;
        for i in 0..130 {
            let late = i >= 10;
            facts.reports.push(ReportItem {
                record_id: i,
                decided_on: d("2026-03-02"),
                first_seen: if late {
                    d("2026-09-01")
                } else {
                    d("2026-03-03")
                },
            });
        }
        let cx = Context {
            facts: &facts,
            period: Period {
                year: 2026,
                kind: PeriodKind::YearEnd,
            },
            today: d("2027-01-10"),
            statistics: StatisticsRules::default(),
        };
        let Measure::Value { value, what, items } = ReportingTimeliness.measure(&cx) else {
            panic!("a rate");
        };
        assert_eq!(value, percent(10, 130));
        assert!(what.contains("报送 130 条"), "{what}");
        assert_eq!(items.len(), LISTED + 1);
        assert!(
            items[..LISTED]
                .iter()
                .all(|i| matches!(i.evidence, Evidence::Record(_)))
        );
        let last = &items[LISTED];
        assert_eq!(last.evidence, Evidence::None);
        assert!(last.text.contains("另有 70 条"), "{}", last.text);
        assert!(last.text.contains("共 120 条超期"), "{}", last.text);
    }
}
