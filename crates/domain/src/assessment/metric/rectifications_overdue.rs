//! 逾期未整改: the rectifications overdue in the period: due in it and closed late or still
//! open past the deadline, or due before it and still open when it began.

use super::{Context, Item, Measure, MetricRule, case_text};
use crate::assessment::facts::CaseItem;
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct RectificationsOverdue;

/// Whether a rectification was overdue at some time in the period.
pub(crate) fn overdue_in(c: &CaseItem, cx: &Context<'_>) -> bool {
    let until = cx.until();
    if c.void || c.due > until {
        return false;
    }
    if cx.counts(c.due) {
        return c.overdue_on(until);
    }
    // Due before the period: overdue in it while it was still open on its first day.
    c.closed_on.is_none_or(|d| d >= cx.period.from())
}

impl MetricRule for RectificationsOverdue {
    fn metric(&self) -> Metric {
        Metric::RectificationsOverdue
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        let until = cx.until();
        Measure::Items(
            cx.facts
                .rectifications
                .iter()
                .filter(|c| overdue_in(c, cx))
                .map(|c| Item {
                    evidence: Evidence::Case(c.id),
                    severity: None,
                    text: case_text("逾期整改", c, until),
                })
                .collect(),
        )
    }
}
