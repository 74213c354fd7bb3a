//! 投诉举报按时办结率: of the complaints assigned to the unit and due in the period, the share
//! answered and closed by the deadline.

use super::{Context, Item, Measure, MetricRule, case_text, rate};
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct ComplaintOnTime;

impl MetricRule for ComplaintOnTime {
    fn metric(&self) -> Metric {
        Metric::ComplaintOnTimeRate
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        let until = cx.until();
        let cases = cx
            .facts
            .complaints
            .iter()
            .map(|c| &c.case)
            .filter(|c| !c.void && cx.counts(c.due))
            .map(|c| {
                let item = Item {
                    evidence: Evidence::Case(c.id),
                    severity: None,
                    text: case_text("投诉举报", c, until),
                };
                (item, c.on_time())
            })
            .collect();
        rate(
            cases,
            "投诉举报按时办结率",
            "到期",
            "按时办结",
            "考核期内没有到期的投诉举报，不涉及此项",
        )
    }
}
