//! 公务员政务失信记录: the dishonest records about the unit's civil servants decided in the
//! period, each costing what its severity costs. The civil servant is named masked (王*), as
//! everywhere outside the personnel department's own view.

use super::{Context, Measure, MetricRule, record_item};
use crate::assessment::set::Metric;
use crate::disclosure::mask_name;

pub struct StaffRecords;

impl MetricRule for StaffRecords {
    fn metric(&self) -> Metric {
        Metric::CivilServantDishonestRecords
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        Measure::Items(
            cx.facts
                .staff_records
                .iter()
                .filter(|r| cx.counts(r.decided_on))
                .map(|r| record_item(r, &format!("公务员{}", mask_name(&r.subject_name))))
                .collect(),
        )
    }
}
