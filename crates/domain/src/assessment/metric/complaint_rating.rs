//! 投诉举报办理满意度: the average of the complainants' ratings (1–5) of the complaints closed
//! in the period. None rated: the indicator does not apply.

use super::{Context, Item, Measure, MetricRule};
use crate::assessment::points::Points;
use crate::assessment::score::Evidence;
use crate::assessment::set::Metric;

pub struct ComplaintRating;

impl MetricRule for ComplaintRating {
    fn metric(&self) -> Metric {
        Metric::ComplaintAverageRating
    }

    fn measure(&self, cx: &Context<'_>) -> Measure {
        let rated: Vec<(i64, u8)> = cx
            .facts
            .complaints
            .iter()
            .filter(|c| c.case.closed_on.is_some_and(|d| cx.counts(d)))
            .filter_map(|c| {
                c.rating
                    .filter(|r| (1..=5).contains(r))
                    .map(|r| (c.case.id, r))
            })
            .collect();
        if rated.is_empty() {
            return Measure::Nothing("考核期内办结的投诉举报均无评价，不涉及此项".to_string());
        }
        let sum: i64 = rated.iter().map(|(_, r)| i64::from(*r)).sum();
        // The average in hundredths, rounded down.
        let value = Points::from_hundredths(sum * 100 / rated.len() as i64);
        Measure::Value {
            value,
            what: format!("投诉举报平均满意度（{} 件评价）", rated.len()),
            items: rated
                .into_iter()
                .map(|(id, r)| Item {
                    evidence: Evidence::Case(id),
                    severity: None,
                    text: format!("投诉举报第 {id} 号，评价 {r} 分"),
                })
                .collect(),
        }
    }
}
