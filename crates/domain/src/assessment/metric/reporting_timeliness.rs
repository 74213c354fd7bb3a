//! 归集及时率 (providing departments): of the records the unit reported that were decided in the
//! period, the share that reached the platform within the statistics' days of their decision
//! (DESIGN.md §4, the statistics page's own rule). The late ones are listed one by one; the
//! timely ones are counted (a department reports thousands).

use super::{Context, Item, Measure, MetricRule, percent};
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct ReportingTimeliness;

impl MetricRule for ReportingTimeliness {
    fn metric(&self) -> Metric {
        Metric::ReportingTimeliness
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        let days = cx.statistics.timely_days;
        let mut total = 0usize;
        let mut late = Vec::new();
        for r in cx.facts.reports.iter().filter(|r| cx.counts(r.decided_on)) {
            total += 1;
            if !cx.statistics.is_timely(r.decided_on, r.first_seen) {
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
        let timely = total - late.len();
        Measure::Value {
            value: percent(timely, total),
            what: format!("归集及时率（{days} 日内报送 {timely} 条 / 报送 {total} 条）"),
            items: late,
        }
    }
}
