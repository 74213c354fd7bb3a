//! A unit's whole assessment, for any facts and entries: the lines of every indicator add up to
//! its points, the dimensions and the total add up, every point taken off names the record or
//! case that cost it and every point given by hand names its entry, a grade is given exactly
//! when the total is calculated, and a grave record of the period keeps the unit from the top
//! grade.

use chrono::NaiveDate;
use proptest::prelude::*;

use probity_domain::assessment::{
    CaseItem, ComplaintItem, Entry, EntryStage, Evidence, IndicatorSet, Period, PeriodKind, Points,
    RecordItem, ReportItem, Sort, Status, UnitFacts, assess_unit, rank,
};
use probity_domain::catalog::Severity;
use probity_domain::statistics::StatisticsRules;
use probity_domain::subject::SubjectKind;

fn day() -> impl Strategy<Value = NaiveDate> {
    // 2025-07-01 .. 2027-03-01: before, in and after the 2026 periods.
    (0i64..610)
        .prop_map(|d| NaiveDate::from_ymd_opt(2025, 7, 1).unwrap() + chrono::Duration::days(d))
}

fn record() -> impl Strategy<Value = RecordItem> {
    (
        1i64..10_000,
        prop::option::of(prop_oneof![
            Just(Severity::Minor),
            Just(Severity::Ordinary),
            Just(Severity::Grave)
        ]),
        day(),
    )
        .prop_map(|(id, severity, decided_on)| RecordItem {
            id,
            severity,
            decided_on,
            document_no: format!("津滨罚〔2026〕{id}号"),
            subject_name: "某单位".into(),
        })
}

fn case() -> impl Strategy<Value = CaseItem> {
    (
        1i64..10_000,
        day(),
        prop::option::of(day()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, due, closed_on, overdue_ever, void)| CaseItem {
            id,
            due,
            closed_on,
            overdue_ever,
            void,
        })
}

fn facts() -> impl Strategy<Value = UnitFacts> {
    (
        prop_oneof![
            Just(SubjectKind::FunctionalZone),
            Just(SubjectKind::Department),
            Just(SubjectKind::Township)
        ],
        any::<bool>(),
        prop::collection::vec(record(), 0..6),
        prop::collection::vec(record(), 0..6),
        prop::collection::vec(case(), 0..6),
        prop::collection::vec((case(), prop::option::of(0u8..7)), 0..6),
        prop::collection::vec(case(), 0..3),
        prop::collection::vec(case(), 0..4),
        prop::collection::vec((1i64..10_000, day(), 0i64..30), 0..8),
    )
        .prop_map(
            |(kind, is_provider, records, staff, rect, complaints, upheld, objections, reports)| {
                let mut f = UnitFacts::empty(1, "某单位", kind);
                f.is_provider = is_provider;
                f.records = records;
                f.staff_records = staff;
                f.rectifications = rect;
                f.complaints = complaints
                    .into_iter()
                    .map(|(case, rating)| ComplaintItem { case, rating })
                    .collect();
                f.upheld_complaints = upheld;
                f.objections = objections;
                f.reports = reports
                    .into_iter()
                    .map(|(record_id, decided_on, lag)| ReportItem {
                        record_id,
                        decided_on,
                        first_seen: decided_on + chrono::Duration::days(lag),
                    })
                    .collect();
                f
            },
        )
}

/// Entries for some of the hand-scored indicators, some out of range, some waiting.
fn entries(set: &IndicatorSet) -> impl Strategy<Value = Vec<Entry>> {
    let manual: Vec<(String, Points)> = set
        .dimensions
        .iter()
        .flat_map(|d| &d.indicators)
        .filter(|i| i.sort != Sort::Computed)
        .map(|i| (i.code.clone(), i.max_points))
        .collect();
    let n = manual.len();
    prop::collection::vec((any::<bool>(), 0i64..=600, 0u8..3), n..=n).prop_map(move |picks| {
        picks
            .into_iter()
            .zip(&manual)
            .enumerate()
            .filter(|(_, ((present, _, _), _))| *present)
            .map(|(i, ((_, h, stage), (code, _)))| Entry {
                id: i as i64 + 1,
                indicator: code.clone(),
                stage: [
                    EntryStage::Scored,
                    EntryStage::SelfAssessed,
                    EntryStage::Confirmed,
                ][usize::from(stage)],
                points: Points::from_hundredths(h),
                claimed: None,
                comment: "说明".into(),
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_point_is_explained_and_adds_up(
        f in facts(),
        e in entries(&IndicatorSet::shipped(2026).unwrap()),
        year_end in any::<bool>(),
        today in day(),
    ) {
        let set = IndicatorSet::shipped(2026).unwrap();
        let kind = if year_end { PeriodKind::YearEnd } else { PeriodKind::MidYear };
        let period = Period::new(2026, kind).unwrap();
        let a = assess_unit(&set, period, today, StatisticsRules::default(), &f, &e);
        prop_assert!(a.is_consistent());
        prop_assert!(a.total.points >= Points::ZERO && a.total.points <= a.total.max);
        prop_assert_eq!(a.grade.is_some(), a.total.status == Status::Calculated);
        for d in &a.total.dimensions {
            for (code, r) in &d.indicators {
                let (_, i) = set.indicator(code).unwrap();
                for l in r.lines() {
                    if l.points < Points::ZERO && !l.reason.contains("折算") {
                        // A deduction names what cost it.
                        prop_assert!(matches!(l.evidence, Evidence::Record(_) | Evidence::Case(_)), "{}", l.reason);
                    }
                    if i.sort != Sort::Computed && !l.reason.contains("折算") && l.points != Points::ZERO {
                        prop_assert!(matches!(l.evidence, Evidence::Entry(_)), "{}", l.reason);
                    }
                }
            }
        }
        let until = period.counted_to(today);
        let grave = f.records.iter().any(|r| {
            r.severity == Some(Severity::Grave) && period.from() <= r.decided_on && r.decided_on <= until
        });
        if grave {
            prop_assert_ne!(a.grade.as_deref(), Some("优秀"));
        }
    }

    #[test]
    fn ranks_count_the_units_ahead(points in prop::collection::vec(prop::option::of(0i64..50), 0..40)) {
        let points: Vec<Option<Points>> = points.into_iter().map(|p| p.map(Points::whole)).collect();
        let ranks = rank(&points);
        for (p, r) in points.iter().zip(&ranks) {
            match p {
                None => prop_assert!(r.is_none()),
                Some(p) => {
                    let ahead = points.iter().flatten().filter(|q| *q > p).count() as u32;
                    prop_assert_eq!(*r, Some(ahead + 1));
                }
            }
        }
    }
}
