//! Every point is explained: for any counts and evidence the lines add up to the points, which
//! stay within 0 and the maximum; re-weighting keeps a dimension's total.

use proptest::prelude::*;

use probity_domain::assessment::{
    Band, Evidence, IndicatorResult, Points, Reweighting, SeverityDeductions, Status, apportion,
    band, deduct_by_severity, deduct_per_item, reweight_dimension, total,
};
use probity_domain::catalog::Severity;

fn points(max_hundredths: i64) -> impl Strategy<Value = Points> {
    (0..=max_hundredths).prop_map(Points::from_hundredths)
}

fn evidence() -> impl Strategy<Value = Evidence> {
    prop_oneof![
        any::<i64>().prop_map(Evidence::Record),
        any::<i64>().prop_map(Evidence::Case),
        any::<i64>().prop_map(Evidence::Entry),
        Just(Evidence::None),
    ]
}

fn severity() -> impl Strategy<Value = Severity> {
    prop_oneof![
        Just(Severity::Minor),
        Just(Severity::Ordinary),
        Just(Severity::Grave)
    ]
}

fn lines_sum(r: &IndicatorResult) -> Points {
    r.base() + r.lines().iter().map(|l| l.points).sum::<Points>()
}

fn assert_explained(r: &IndicatorResult) {
    assert_eq!(r.status(), Status::Calculated);
    assert_eq!(lines_sum(r), r.points());
    assert!(r.points() >= Points::ZERO, "{r:?}");
    assert!(r.points() <= r.max(), "{r:?}");
    assert!(r.is_consistent());
}

/// Contiguous bands over 0–100 with points up to `max`.
fn bands(max: Points) -> impl Strategy<Value = Vec<Band>> {
    (
        prop::collection::btree_set(1..10_000i64, 0..6),
        prop::collection::vec(0..=max.hundredths(), 7),
    )
        .prop_map(|(cuts, pts)| {
            let mut edges = vec![0];
            edges.extend(cuts);
            edges.push(10_000);
            edges
                .windows(2)
                .zip(pts)
                .map(|(w, p)| Band {
                    from: Points::from_hundredths(w[0]),
                    to: Points::from_hundredths(w[1]),
                    points: Points::from_hundredths(p),
                })
                .collect()
        })
}

proptest! {
    #[test]
    fn a_deduction_is_explained_line_by_line(
        max in points(2_000).prop_filter("positive", |p| *p > Points::ZERO),
        per_item in points(500),
        cap in points(3_000),
        items in prop::collection::vec(evidence(), 0..30),
    ) {
        let r = deduct_per_item(max, per_item, cap, "逾期未整改", &items);
        assert_explained(&r);
        prop_assert_eq!(r.lines().len(), items.len());
        let evidences: Vec<Evidence> = r.lines().iter().map(|l| l.evidence).collect();
        prop_assert_eq!(evidences, items);
        prop_assert!(r.lines().iter().all(|l| l.points <= Points::ZERO));
    }

    #[test]
    fn a_deduction_by_severity_is_explained_line_by_line(
        max in points(2_000).prop_filter("positive", |p| *p > Points::ZERO),
        (minor, ordinary, grave) in (points(300), points(300), points(600)),
        cap in points(3_000),
        items in prop::collection::vec((severity(), evidence()), 0..30),
    ) {
        let rule = SeverityDeductions { minor, ordinary, grave, cap };
        let r = deduct_by_severity(max, &rule, "政务失信记录", &items);
        assert_explained(&r);
        prop_assert_eq!(r.lines().len(), items.len());
    }

    #[test]
    fn a_band_is_one_line_within_the_maximum(
        (max, bands) in points(1_000)
            .prop_filter("positive", |p| *p > Points::ZERO)
            .prop_flat_map(|m| (Just(m), bands(m))),
        rate in points(12_000),
    ) {
        let r = band(max, rate, "%", &bands, "按时办结率");
        assert_explained(&r);
        prop_assert_eq!(r.lines().len(), 1);
    }

    #[test]
    fn apportioned_shares_add_up_to_the_total(
        weights in prop::collection::vec(points(2_000), 1..10),
        t in points(10_000),
    ) {
        let shares = apportion(&weights, t);
        prop_assert_eq!(shares.len(), weights.len());
        if weights.iter().any(|w| *w > Points::ZERO) {
            prop_assert_eq!(shares.iter().sum::<Points>(), t);
        }
        for (w, s) in weights.iter().zip(&shares) {
            prop_assert!(*s >= Points::ZERO);
            if *w == Points::ZERO {
                prop_assert_eq!(*s, Points::ZERO);
            }
        }
    }

    #[test]
    fn reweighting_keeps_the_dimension_total(
        dimension_max in points(3_000).prop_filter("positive", |p| *p > Points::ZERO),
        indicators in prop::collection::vec(
            (points(800).prop_filter("positive", |p| *p > Points::ZERO),
             prop::collection::vec(evidence(), 0..6),
             any::<bool>()),
            1..8,
        ),
        full_marks in any::<bool>(),
    ) {
        let rule = if full_marks { Reweighting::FullMarks } else { Reweighting::Proportional };
        let results: Vec<(String, IndicatorResult)> = indicators
            .iter()
            .enumerate()
            .map(|(n, (max, items, applies))| {
                let r = if *applies {
                    deduct_per_item(*max, Points::whole(1), *max, "查实", items)
                } else {
                    IndicatorResult::not_applicable(*max, "不涉及")
                };
                (format!("X.{n}"), r)
            })
            .collect();
        let d = reweight_dimension(rule, "X", dimension_max, results);
        prop_assert_eq!(d.indicators.len(), indicators.len());
        if d.status == Status::NotApplicable {
            prop_assert!(!full_marks);
            prop_assert!(indicators.iter().all(|(_, _, a)| !a));
        } else {
            prop_assert_eq!(d.counted_max(), dimension_max);
            prop_assert!(d.points <= dimension_max);
            for (_, r) in &d.indicators {
                if r.is_calculated() {
                    assert_explained(r);
                }
            }
            prop_assert_eq!(
                d.points,
                d.indicators.iter().filter(|(_, r)| r.is_calculated()).map(|(_, r)| r.points()).sum::<Points>()
            );
        }
        let t = total(rule, dimension_max, vec![d]);
        prop_assert!(t.points <= t.max);
    }
}
