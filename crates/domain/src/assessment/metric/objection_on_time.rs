//! 信用信息异议按时处理率 (providing departments): of the objections to the unit's records due
//! in the period, the share answered by the deadline.

use super::{Context, Item, Measure, MetricRule, case_text, rate};
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct ObjectionOnTime;

impl MetricRule for ObjectionOnTime {
    fn metric(&self) -> Metric {
        Metric::ObjectionOnTimeRate
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        let until = cx.until();
        let cases = cx
            .facts
            .objections
            .iter()
            .filter(|c| !c.void && cx.counts(c.due))
            .map(|c| {
                let item = Item {
                    evidence: Evidence::Case(c.id),
                    severity: None,
                    text: case_text("异议", c, until),
                };
                (item, c.on_time())
            })
            .collect();
        rate(
            cases,
            "异议按时处理率",
            "到期",
            "按时处理",
            "考核期内没有到期的异议，不涉及此项",
        )
    }
}
