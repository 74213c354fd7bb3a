//! Re-weighting (不适用指标的分值处理): when an indicator does not apply to a unit, the set's rule
//! says where its points go. Under `proportional` the dimension's applicable indicators are scaled
//! up so that the dimension keeps its points, and a dimension none of whose indicators applies
//! gives its points to the other dimensions the same way; under `full_marks` it counts as full
//! marks. Every scaled point is a line of its indicator, so the lines still add up.

use serde::{Deserialize, Serialize};

use super::points::Points;
use super::score::{Evidence, IndicatorResult, ScoreLine, Status};
use super::set::Reweighting;

const SCALED: &str = "不适用指标的分值按比例折算";

/// Splits `total` over `weights` in proportion, in hundredths, by largest remainder: the shares
/// add up to `total` exactly. Zero weights get zero; all-zero weights get nothing (empty total).
pub fn apportion(weights: &[Points], total: Points) -> Vec<Points> {
    let w: Vec<i128> = weights
        .iter()
        .map(|p| i128::from(p.hundredths().max(0)))
        .collect();
    let sum: i128 = w.iter().sum();
    if sum == 0 {
        return vec![Points::ZERO; weights.len()];
    }
    let t = i128::from(total.hundredths());
    let mut shares: Vec<i128> = w.iter().map(|wi| wi * t / sum).collect();
    let mut order: Vec<usize> = (0..w.len()).collect();
    // Largest remainder first; ties to the earlier indicator, so the split is deterministic.
    order.sort_by_key(|&i| (std::cmp::Reverse(w[i] * t % sum), i));
    let mut left = t - shares.iter().sum::<i128>();
    for &i in order.iter().cycle().take(w.len() * 2) {
        if left <= 0 {
            break;
        }
        if w[i] > 0 {
            shares[i] += 1;
            left -= 1;
        }
    }
    shares
        .into_iter()
        .map(|s| Points::from_hundredths(s as i64))
        .collect()
}

/// One dimension's score for one unit: its indicators' results after re-weighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionScore {
    pub code: String,
    /// `calculated` when every indicator is calculated or not applicable (and one at least
    /// applies); `insufficient_data` when one is waiting for data; `not_applicable` when none
    /// applies.
    pub status: Status,
    pub max: Points,
    /// The sum of its calculated indicators' points.
    pub points: Points,
    /// By indicator code, in the set's order.
    pub indicators: Vec<(String, IndicatorResult)>,
}

impl DimensionScore {
    /// The maximum of the indicators that count (calculated or waiting for data).
    pub fn counted_max(&self) -> Points {
        self.indicators
            .iter()
            .filter(|(_, r)| r.status() != Status::NotApplicable)
            .map(|(_, r)| r.max())
            .sum()
    }
}

/// Re-weights one dimension's indicator results by the set's rule.
pub fn reweight_dimension(
    rule: Reweighting,
    code: &str,
    dimension_max: Points,
    results: Vec<(String, IndicatorResult)>,
) -> DimensionScore {
    let results: Vec<(String, IndicatorResult)> = results
        .into_iter()
        .map(|(c, r)| match (rule, r.status()) {
            (Reweighting::FullMarks, Status::NotApplicable) => {
                let reason = match r.note() {
                    Some(n) => format!("本单位不涉及此项（{n}），按指标体系规定视同满分"),
                    None => "本单位不涉及此项，按指标体系规定视同满分".to_string(),
                };
                let max = r.max();
                let full = IndicatorResult::calculated(
                    max,
                    Points::ZERO,
                    vec![ScoreLine::new(max, reason, Evidence::None)],
                );
                (c, full)
            }
            _ => (c, r),
        })
        .collect();
    let counted: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].1.status() != Status::NotApplicable)
        .collect();
    let weights: Vec<Points> = counted.iter().map(|&i| results[i].1.max()).collect();
    let shares = apportion(&weights, dimension_max);
    let mut results = results;
    for (&i, share) in counted.iter().zip(shares) {
        let (c, r) = std::mem::replace(
            &mut results[i],
            (
                String::new(),
                IndicatorResult::not_applicable(Points::ZERO, ""),
            ),
        );
        results[i] = (c, r.rescaled(share, SCALED));
    }
    score_of(code, dimension_max, results)
}

fn score_of(code: &str, max: Points, indicators: Vec<(String, IndicatorResult)>) -> DimensionScore {
    let status = if indicators
        .iter()
        .any(|(_, r)| r.status() == Status::InsufficientData)
    {
        Status::InsufficientData
    } else if indicators
        .iter()
        .all(|(_, r)| r.status() == Status::NotApplicable)
    {
        Status::NotApplicable
    } else {
        Status::Calculated
    };
    let points = indicators
        .iter()
        .filter(|(_, r)| r.is_calculated())
        .map(|(_, r)| r.points())
        .sum();
    DimensionScore {
        code: code.to_string(),
        status,
        max,
        points,
        indicators,
    }
}

/// A unit's total over its dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalScore {
    /// `calculated` only when every dimension that counts is.
    pub status: Status,
    pub max: Points,
    pub points: Points,
    pub dimensions: Vec<DimensionScore>,
}

/// Adds the dimensions up to the set's total. Under `proportional` a dimension none of whose
/// indicators applies gives its points to the others in proportion (each of their indicators
/// scaled, a line each); under `full_marks` such a dimension's indicators have already counted as
/// full marks in [`reweight_dimension`].
pub fn total(rule: Reweighting, set_total: Points, dimensions: Vec<DimensionScore>) -> TotalScore {
    let mut dimensions = dimensions;
    if rule == Reweighting::Proportional
        && dimensions.iter().any(|d| d.status == Status::NotApplicable)
    {
        let counted: Vec<usize> = (0..dimensions.len())
            .filter(|&i| dimensions[i].status != Status::NotApplicable)
            .collect();
        let weights: Vec<Points> = counted.iter().map(|&i| dimensions[i].max).collect();
        for (&i, share) in counted.iter().zip(apportion(&weights, set_total)) {
            let d = &dimensions[i];
            let code = d.code.clone();
            let indicators = d.indicators.clone();
            dimensions[i] = reweight_dimension(Reweighting::Proportional, &code, share, indicators);
        }
    }
    let status = if dimensions.iter().all(|d| d.status == Status::NotApplicable) {
        Status::NotApplicable
    } else if dimensions
        .iter()
        .any(|d| d.status == Status::InsufficientData)
    {
        Status::InsufficientData
    } else {
        Status::Calculated
    };
    let points = dimensions
        .iter()
        .filter(|d| d.status != Status::NotApplicable)
        .map(|d| d.points)
        .sum();
    TotalScore {
        status,
        max: set_total,
        points,
        dimensions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: i64) -> Points {
        Points::whole(n)
    }

    fn full(max: i64) -> IndicatorResult {
        IndicatorResult::calculated(p(max), p(max), vec![])
    }

    #[test]
    fn apportion_adds_up_exactly() {
        let shares = apportion(&[p(1), p(1), p(1)], p(10));
        assert_eq!(shares.iter().sum::<Points>(), p(10));
        assert_eq!(
            shares,
            vec![
                Points::from_hundredths(334),
                Points::from_hundredths(333),
                Points::from_hundredths(333)
            ]
        );
        assert_eq!(apportion(&[p(0), p(0)], p(5)), vec![Points::ZERO; 2]);
    }

    #[test]
    fn proportional_scales_the_remaining_indicators_up() {
        let results = vec![
            ("D4.01".to_string(), full(4)),
            (
                "D4.04".to_string(),
                IndicatorResult::not_applicable(p(4), "仅适用于街镇"),
            ),
            ("D4.05".to_string(), full(4)),
        ];
        let d = reweight_dimension(Reweighting::Proportional, "D4", p(12), results);
        assert_eq!(d.status, Status::Calculated);
        assert_eq!(d.counted_max(), p(12));
        assert_eq!(d.points, p(12));
        let first = &d.indicators[0].1;
        assert_eq!(first.max(), p(6));
        assert_eq!(first.lines().len(), 1);
        assert!(first.lines()[0].reason.contains("按比例折算"));
        assert!(d.indicators.iter().all(|(_, r)| r.is_consistent()));
    }

    #[test]
    fn full_marks_counts_the_indicator_as_full() {
        let results = vec![
            (
                "a".to_string(),
                IndicatorResult::calculated(
                    p(4),
                    p(4),
                    vec![ScoreLine::new(-p(1), "x", Evidence::Record(1))],
                ),
            ),
            (
                "b".to_string(),
                IndicatorResult::not_applicable(p(4), "非归集单位"),
            ),
        ];
        let d = reweight_dimension(Reweighting::FullMarks, "D", p(8), results);
        assert_eq!(d.points, p(7));
        assert_eq!(d.indicators[1].1.status(), Status::Calculated);
        assert!(d.indicators[1].1.lines()[0].reason.contains("视同满分"));
    }

    #[test]
    fn insufficient_data_is_never_a_silent_zero() {
        let results = vec![
            ("a".to_string(), full(4)),
            (
                "b".to_string(),
                IndicatorResult::insufficient_data(p(4), "尚未评分"),
            ),
        ];
        let d = reweight_dimension(Reweighting::Proportional, "D", p(8), results);
        assert_eq!(d.status, Status::InsufficientData);
        let t = total(Reweighting::Proportional, p(8), vec![d]);
        assert_eq!(t.status, Status::InsufficientData);
    }

    #[test]
    fn a_dimension_that_does_not_apply_gives_its_points_to_the_others() {
        let d1 = reweight_dimension(
            Reweighting::Proportional,
            "D1",
            p(60),
            vec![("a".into(), full(60))],
        );
        let d2 = reweight_dimension(
            Reweighting::Proportional,
            "D2",
            p(40),
            vec![("b".into(), IndicatorResult::not_applicable(p(40), "不涉及"))],
        );
        assert_eq!(d2.status, Status::NotApplicable);
        let t = total(Reweighting::Proportional, p(100), vec![d1, d2]);
        assert_eq!(t.status, Status::Calculated);
        assert_eq!(t.points, p(100));
        assert_eq!(t.dimensions[0].max, p(100));
    }
}
