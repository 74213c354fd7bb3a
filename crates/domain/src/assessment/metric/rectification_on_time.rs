//! 整改按期完成率: of the rectifications due in the period (up to today), the share closed by
//! their deadline and never overdue. None due: the indicator does not apply.

use super::{Context, Item, Measure, MetricRule, case_text, rate};
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct RectificationOnTime;

impl MetricRule for RectificationOnTime {
    fn metric(&self) -> Metric {
        Metric::RectificationOnTimeRate
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        let until = cx.until();
        let cases = cx
            .facts
            .rectifications
            .iter()
            .filter(|c| !c.void && cx.counts(c.due))
            .map(|c| {
                let item = Item {
                    evidence: Evidence::Case(c.id),
                    severity: None,
                    text: case_text("整改", c, until),
                };
                (item, c.on_time())
            })
            .collect();
        rate(
            cases,
            "整改按期完成率",
            "到期",
            "按期完成",
            "考核期内没有到期的整改，不涉及此项",
        )
    }
}
