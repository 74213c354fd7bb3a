//! 投诉举报查实情况: the complaints against the unit closed in the period as 属实 or 部分属实.

use super::{Context, Item, Measure, MetricRule};
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct ComplaintsUpheld;

impl MetricRule for ComplaintsUpheld {
    fn metric(&self) -> Metric {
        Metric::ComplaintsUpheld
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        Measure::Items(
            cx.facts
                .upheld_complaints
                .iter()
                .filter(|c| !c.void && c.closed_on.is_some_and(|d| cx.counts(d)))
                .map(|c| Item {
                    evidence: Evidence::Case(c.id),
                    severity: None,
                    text: format!(
                        "投诉举报第 {} 号经核查属实（{} 办结）",
                        c.id,
                        c.closed_on.map(|d| d.to_string()).unwrap_or_default()
                    ),
                })
                .collect(),
        )
    }
}
