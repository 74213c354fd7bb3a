//! The statistics' counts: by each dimension over the counted states only, within a provider's
//! or a unit's scope and a year; timeliness by the Beijing day a record arrived; file coverage.

use chrono::{TimeZone, Utc};
use probity_domain::statistics::{Rate, StatisticsRules};
use probity_store::{Clock, Dimension, StatScope, Store};

use crate::common::*;

store_tests! {
    counts_follow_the_scope_and_leave_out_what_is_not_decided => counts_follow_the_scope_and_leave_out_what_is_not_decided_sqlite, counts_follow_the_scope_and_leave_out_what_is_not_decided_postgres;
    timeliness_counts_the_beijing_day_of_arrival => timeliness_counts_the_beijing_day_of_arrival_sqlite, timeliness_counts_the_beijing_day_of_arrival_postgres;
    a_record_carries_the_rosters_name => a_record_carries_the_rosters_name_sqlite, a_record_carries_the_rosters_name_postgres;
}

/// A row naming its subject by short name is accepted, and the record carries the roster's full
/// name (what the file and the statistics show); the same row again is the same record.
fn a_record_carries_the_rosters_name(store: &Store) {
    let fx = fixture(store);
    let mut row = unit_record(&fx.township, "PROCUREMENT_BREACH", "名1号");
    row.subject_name = "新河街道".into();
    let id = accepted(&import(store, &fx.finance, true, std::slice::from_ref(&row))[0]);
    assert_eq!(store.record(id).unwrap().subject_name, TOWNSHIP);
    assert_eq!(duplicate(&import(store, &fx.finance, true, &[row])[0]), id);
    assert_eq!(store.verify().unwrap().problem, None);
}

fn counts_follow_the_scope_and_leave_out_what_is_not_decided(store: &Store) {
    let fx = fixture(store);
    let mut on_town = unit_record(&fx.township, "PROCUREMENT_BREACH", "统1号");
    on_town.severity = "严重".into();
    let mut last_year = unit_record(&fx.court, "PROCUREMENT_BREACH", "统2号");
    last_year.decided_on = "2024-11-20".into();
    let out = import(
        store,
        &fx.finance,
        true,
        &[on_town, last_year, person_record("ADMIN_PENALTY", "统3号")],
    );
    out.iter().for_each(|o| {
        accepted(o);
    });
    // Waiting for review: not counted anywhere.
    import(
        store,
        &fx.court,
        false,
        &[unit_record(&fx.township, "JUDICIAL_JUDGMENT", "统4号")],
    );
    import(
        store,
        &fx.court,
        true,
        &[unit_record(&fx.finance, "JUDICIAL_JUDGMENT", "统5号")],
    );

    let all = StatScope::default();
    let by = |scope: &StatScope, dim| store.count_by(scope, dim).unwrap();
    let n = |k: &str, v: u64| (k.to_string(), v);
    assert_eq!(
        by(&all, Dimension::Category),
        [
            n("PROCUREMENT_BREACH", 2),
            n("ADMIN_PENALTY", 1),
            n("JUDICIAL_JUDGMENT", 1)
        ]
    );
    assert_eq!(
        by(&all, Dimension::Month)
            .iter()
            .map(|(_, v)| v)
            .sum::<u64>(),
        4
    );
    assert!(by(&all, Dimension::Month).contains(&n("2024-11", 1)));
    assert_eq!(
        by(&all, Dimension::SubjectKind),
        [n("department", 2), n("civil_servant", 1), n("township", 1)]
    );
    assert!(by(&all, Dimension::Severity).contains(&n("grave", 1)));
    // The township's own record; its civil servants' would count too (the fixture's works at
    // the finance bureau).
    assert_eq!(
        by(&all, Dimension::Township),
        [n(&fx.township.id.to_string(), 1)]
    );
    assert_eq!(
        by(&all, Dimension::Provider),
        [
            n(&fx.finance.id.to_string(), 3),
            n(&fx.court.id.to_string(), 1)
        ]
    );

    // A provider's own, a year, a unit and its civil servants.
    let finance_2025 = StatScope {
        provider_id: Some(fx.finance.id),
        year: Some(2025),
        ..Default::default()
    };
    assert_eq!(
        by(&finance_2025, Dimension::Category),
        [n("ADMIN_PENALTY", 1), n("PROCUREMENT_BREACH", 1)]
    );
    let about_finance = StatScope {
        about_unit: Some(fx.finance.id),
        ..Default::default()
    };
    assert_eq!(
        by(&about_finance, Dimension::SubjectKind),
        [n("civil_servant", 1), n("department", 1)]
    );

    // Coverage: the township, the court, the finance bureau and the person have a counted
    // record; the district government has none.
    let cov = store.file_coverage().unwrap();
    let of = |k: &str| cov.iter().find(|c| c.kind == k).map(|c| c.rate);
    assert_eq!(of("department"), Some(Rate { part: 2, whole: 2 }));
    assert_eq!(of("district_government"), Some(Rate { part: 0, whole: 1 }));
    assert_eq!(of("civil_servant"), Some(Rate { part: 1, whole: 1 }));
}

fn timeliness_counts_the_beijing_day_of_arrival(store: &Store) {
    let fx = fixture(store);
    // Every record decided on 2025-03-05; the rule allows seven days.
    let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
    let send = |when, doc: &str| {
        let s = store.with_clock(Clock::fixed(when));
        import(
            &s,
            &fx.finance,
            true,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", doc)],
        );
    };
    send(at(2025, 3, 10, 2), "及1号"); // 5 days
    send(at(2025, 3, 12, 10), "及2号"); // 7 days: 18:00 in Beijing
    send(at(2025, 3, 12, 17), "及3号"); // 01:00 on the 13th in Beijing: 8 days
    send(at(2025, 4, 1, 2), "及4号");
    let rules = StatisticsRules::default();
    let t = store.timeliness(&StatScope::default(), &rules).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].provider_id, fx.finance.id);
    assert_eq!(t[0].rate, Rate { part: 2, whole: 4 });
    let lenient = StatisticsRules { timely_days: 30 };
    let t = store.timeliness(&StatScope::default(), &lenient).unwrap();
    assert_eq!(t[0].rate, Rate { part: 4, whole: 4 });
}
