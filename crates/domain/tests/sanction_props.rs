//! Properties of the credit check against DESIGN.md §4's wording of civil servant 优秀
//! eligibility for year Y: "not eligible while a dishonest record decided in Y, or in force at
//! any time in Y, exists, unless the record carries an exemption (从轻或免于惩戒)".

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;

use probity_domain::catalog::{Catalog, RecordKind, Severity, default_catalog};
use probity_domain::record::RecordState;
use probity_domain::sanction::{
    CheckOutcome, Decision, Measures, Purpose, RecordFact, Rules, SubjectFacts, check,
};
use probity_domain::subject::SubjectKind;

struct World {
    catalog: Catalog,
    measures: Measures,
    rules: Rules,
}

fn world() -> World {
    let catalog = Catalog::new(default_catalog());
    let measures = Measures::shipped();
    let rules = Rules::shipped(&measures, &catalog).unwrap();
    World {
        catalog,
        measures,
        rules,
    }
}

fn excellent(w: &World, records: Vec<RecordFact>, year: i32) -> CheckOutcome {
    let facts = SubjectFacts::of_records(SubjectKind::CivilServant, records);
    check(
        &w.measures,
        &w.rules,
        &w.catalog,
        &facts,
        Purpose::ExcellentRating,
        year,
    )
}

fn dishonest_categories() -> Vec<String> {
    default_catalog()
        .into_iter()
        .filter(|c| c.kind == RecordKind::Dishonest)
        .map(|c| c.code)
        .collect()
}

/// States a record reaches once the credit office has decided on it.
fn decided_state() -> impl Strategy<Value = RecordState> {
    prop::sample::select(vec![
        RecordState::Active,
        RecordState::Objected,
        RecordState::Repaired,
        RecordState::Expired,
        RecordState::Revoked,
    ])
}

fn any_state() -> impl Strategy<Value = RecordState> {
    prop::sample::select(RecordState::ALL.to_vec())
}

fn severity() -> impl Strategy<Value = Option<Severity>> {
    prop::option::of(prop::sample::select(Severity::ALL.to_vec()))
}

/// Days from a record's decision to its repair or revocation, often the boundary (the same day,
/// the next).
fn ended() -> impl Strategy<Value = Option<u64>> {
    prop::option::of(prop_oneof![Just(0u64), Just(1u64), 0u64..1500])
}

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 1, 1).unwrap()
}

/// A record decided `decided` days after 2015-01-01, its own end `own` days later, repaired or
/// revoked (when it is) `ended` days after its decision.
#[allow(clippy::too_many_arguments)]
fn record(
    id: i64,
    category: String,
    kind: RecordKind,
    severity: Option<Severity>,
    state: RecordState,
    decided: u64,
    own: u64,
    ended: Option<u64>,
    exemption: bool,
) -> RecordFact {
    let decided_on = base() + Days::new(decided);
    RecordFact {
        id,
        category,
        kind,
        severity,
        state,
        decided_on,
        disclosure_until: decided_on + Days::new(own),
        ended_on: ended.map(|e| decided_on + Days::new(e)),
        exemption,
    }
}

proptest! {
    /// A dishonest record decided in Y, without the exemption, always bars 优秀 for Y, whatever
    /// became of it since, and is named in the answer.
    #[test]
    fn a_record_decided_in_the_year_always_restricts(
        year in 2016i32..2030,
        day in 0u32..366,
        category in prop::sample::select(dishonest_categories()),
        severity in severity(),
        state in decided_state(),
        own in 0u64..1500,
        ended in ended(),
        id in 1i64..1_000_000,
    ) {
        let w = world();
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        let decided_on = jan1 + Days::new(u64::from(day));
        prop_assume!(decided_on.year() == year);
        let decided = (decided_on - base()).num_days() as u64;
        let r = record(id, category, RecordKind::Dishonest, severity, state, decided, own, ended, false);
        let o = excellent(&w, vec![r], year);
        prop_assert_eq!(o.decision, Decision::Restricted);
        prop_assert_eq!(o.records, vec![id]);
        prop_assert_eq!(o.measures.len(), 1);
        prop_assert_eq!(o.measures[0].code.as_str(), "NOT_EXCELLENT");
    }

    /// A record neither decided in Y nor in force on any day of Y never bars 优秀 for Y.
    #[test]
    fn a_record_outside_the_year_never_restricts(
        year in 2015i32..2032,
        category in prop::sample::select(dishonest_categories()),
        severity in severity(),
        state in any_state(),
        decided in 0u64..5500,
        own in 0u64..1500,
        ended in ended(),
        exemption in any::<bool>(),
    ) {
        let w = world();
        let r = record(1, category, RecordKind::Dishonest, severity, state, decided, own, ended, exemption);
        prop_assume!(r.decided_on.year() != year);
        prop_assume!(!r.in_force(&w.catalog).is_some_and(|f| f.meets_year(year)));
        prop_assert_eq!(excellent(&w, vec![r], year).decision, Decision::Allowed);
    }

    /// The check answers exactly as DESIGN.md §4 reads, on a civil servant's whole file: restricted
    /// iff some dishonest record, decided on (not a draft, not waiting for review) and not
    /// exempt, was decided in Y or is in force on a day of Y; and then it names exactly those.
    #[test]
    fn the_check_is_the_rule_as_written(
        year in 2016i32..2028,
        records in prop::collection::vec(
            (
                prop::sample::select(default_catalog().into_iter().map(|c| (c.code, c.kind)).collect::<Vec<_>>()),
                severity(),
                any_state(),
                0u64..5000,
                0u64..1500,
                ended(),
                any::<bool>(),
            ),
            0..6,
        ),
    ) {
        let w = world();
        let records: Vec<RecordFact> = records
            .into_iter()
            .enumerate()
            .map(|(i, ((category, kind), severity, state, decided, own, ended, exemption))| {
                let severity = if kind == RecordKind::Trustworthy { None } else { severity };
                record(i as i64 + 1, category, kind, severity, state, decided, own, ended, exemption)
            })
            .collect();
        let expected: Vec<i64> = records
            .iter()
            .filter(|r| {
                r.kind == RecordKind::Dishonest
                    && !matches!(r.state, RecordState::Draft | RecordState::Submitted)
                    && !r.exemption
                    && (r.decided_on.year() == year
                        || r.in_force(&w.catalog).is_some_and(|f| f.meets_year(year)))
            })
            .map(|r| r.id)
            .collect();
        let o = excellent(&w, records, year);
        if expected.is_empty() {
            prop_assert_eq!(o.decision, Decision::Allowed);
            prop_assert!(o.records.is_empty());
        } else {
            prop_assert_eq!(o.decision, Decision::Restricted);
            prop_assert_eq!(o.records, expected);
        }
    }

    /// A repaired or revoked record is not in force on the day of that decision nor after it.
    #[test]
    fn a_record_is_not_in_force_from_the_day_it_is_repaired_or_revoked(
        state in prop::sample::select(vec![RecordState::Repaired, RecordState::Revoked]),
        decided in 0u64..5000,
        own in 0u64..1500,
        ended in 0u64..1500,
    ) {
        let w = world();
        let r = record(1, "ADMIN_PENALTY".into(), RecordKind::Dishonest, Some(Severity::Minor), state, decided, own, Some(ended), false);
        if let Some(f) = r.in_force(&w.catalog) {
            prop_assert!(f.last < r.ended_on.unwrap());
            prop_assert!(f.first == r.decided_on && f.first <= f.last);
        } else {
            prop_assert!(r.ended_on.unwrap() == r.decided_on || r.disclosure_until < r.decided_on);
        }
    }
}
