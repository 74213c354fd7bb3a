//! 单位政务失信记录: the dishonest records about the unit decided in the period, each costing
//! what its severity costs.

use super::{Context, Item, Measure, MetricRule, record_item};
use crate::assessment::set::Metric;

pub struct UnitRecords;

impl MetricRule for UnitRecords {
    fn metric(&self) -> Metric {
        Metric::UnitDishonestRecords
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        Measure::Items(
            cx.facts
                .records
                .iter()
                .filter(|r| cx.counts(r.decided_on))
                .map(|r| record_item(r, "本单位"))
                .collect::<Vec<Item>>(),
        )
    }
}
