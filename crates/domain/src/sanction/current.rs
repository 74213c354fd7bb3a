//! The measures in force on a subject today (现行奖惩措施), and why: what a check about this year
//! would answer for every purpose at once, each measure with the rule and the records behind it,
//! keeping those that last until today or later (a one-off act, which has no end, is kept).
//!
//! What a viewer may see is decided by the facts it is given: a unit reads its own file whole;
//! the public profile passes only the records the public may see, and keeps only measures that
//! rest on records (`MeasureInForce::records` not empty), since a reward for a clean year
//! computed on part of a file would claim what the whole file may not bear out.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::check::MeasureHit;
use super::facts::SubjectFacts;
use super::measures::{MeasureKind, Measures, Target};
use super::purpose::Purpose;
use super::rules::Rules;
use crate::catalog::Catalog;

/// One measure in force, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureInForce {
    /// The measure and the last day it applies (`until`: `None` for a one-off act).
    pub measure: MeasureHit,
    pub kind: MeasureKind,
    /// The rule that imposes it: its code and its name.
    pub rule: String,
    pub rule_name: String,
    /// The purposes of a check the rule concerns (the decisions it bears on).
    pub purposes: Vec<Purpose>,
    /// The records behind it, ascending; empty for a reward of a clean year.
    pub records: Vec<i64>,
    /// What it rests on besides records, in words (a clean year, a grade, a rectification).
    pub ground: Option<String>,
}

/// The measures in force on the subject of `facts` on `today`, in the order of the rules and of
/// each rule's measures; a measure two rules impose is listed under each, with its own reason.
/// `rules` must have been validated against `measures`.
pub fn measures_in_force(
    measures: &Measures,
    rules: &Rules,
    catalog: &Catalog,
    facts: &SubjectFacts,
    today: NaiveDate,
) -> Vec<MeasureInForce> {
    let year = today.year();
    let target = Target::of(facts.kind);
    let mut out = Vec::new();
    for rule in rules.all() {
        let config = rule.config();
        if !config.enabled || config.target != target {
            continue;
        }
        let Some(hit) = rule.evaluate(facts, catalog, year) else {
            continue;
        };
        for code in &config.measures {
            let Some(m) = measures.get(code) else {
                continue;
            };
            let until = m
                .duration
                .until(year, hit.latest_decided, hit.latest_in_force);
            if until.is_some_and(|u| u < today) {
                continue;
            }
            out.push(MeasureInForce {
                measure: MeasureHit {
                    code: m.code.clone(),
                    name: m.name.clone(),
                    basis: m.basis.clone(),
                    department: m.department.clone(),
                    until,
                },
                kind: m.kind,
                rule: config.code.clone(),
                rule_name: config.name.clone(),
                purposes: config.purposes.clone(),
                records: hit.records.clone(),
                ground: hit.ground.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{RecordKind, Severity, default_catalog};
    use crate::record::RecordState;
    use crate::sanction::check::{Decision, check};
    use crate::sanction::facts::RecordFact;
    use crate::subject::SubjectKind;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    struct Shipped {
        measures: Measures,
        rules: Rules,
        catalog: Catalog,
    }

    fn shipped() -> Shipped {
        let catalog = Catalog::new(default_catalog());
        let measures = Measures::shipped();
        let rules = Rules::shipped(&measures, &catalog).unwrap();
        Shipped {
            measures,
            rules,
            catalog,
        }
    }

    impl Shipped {
        fn now(&self, facts: &SubjectFacts, today: &str) -> Vec<MeasureInForce> {
            measures_in_force(&self.measures, &self.rules, &self.catalog, facts, d(today))
        }
    }

    /// An active ordinary 纪律处分 (in force 3 to 12 months), own end a year after the decision.
    fn dishonest(id: i64, decided: &str) -> RecordFact {
        let decided_on = d(decided);
        RecordFact {
            id,
            category: "DISCIPLINARY_SANCTION".into(),
            kind: RecordKind::Dishonest,
            severity: Some(Severity::Ordinary),
            state: RecordState::Active,
            decided_on,
            disclosure_until: crate::date::add_months(decided_on, 12),
            ended_on: None,
            exemption: false,
        }
    }

    fn grave(id: i64, decided: &str) -> RecordFact {
        let decided_on = d(decided);
        RecordFact {
            category: "DEBT_DEFAULT".into(),
            severity: Some(Severity::Grave),
            disclosure_until: crate::date::add_months(decided_on, 36),
            ..dishonest(id, decided)
        }
    }

    fn unit(records: Vec<RecordFact>) -> SubjectFacts {
        SubjectFacts::of_records(SubjectKind::Department, records)
    }

    fn codes(v: &[MeasureInForce]) -> Vec<&str> {
        v.iter().map(|m| m.measure.code.as_str()).collect()
    }

    #[test]
    fn a_unit_with_a_record_in_force_is_barred_from_honours_until_the_years_end() {
        let s = shipped();
        let now = s.now(&unit(vec![dishonest(3, "2026-02-01")]), "2026-06-01");
        assert_eq!(codes(&now), ["HONOUR_INELIGIBLE"]);
        let m = &now[0];
        assert_eq!(m.measure.name, "取消荣誉评选资格");
        assert_eq!(m.measure.until, Some(d("2026-12-31")));
        assert_eq!(m.kind, MeasureKind::Sanction);
        assert_eq!(m.rule, "UNIT_HONOUR_INELIGIBLE");
        assert!(m.rule_name.contains("荣誉评选"), "{}", m.rule_name);
        assert_eq!(m.purposes, [Purpose::Honour]);
        assert_eq!(m.records, [3]);
    }

    #[test]
    fn a_clean_unit_has_its_reward_with_no_record_behind_it() {
        let s = shipped();
        let now = s.now(&unit(vec![]), "2026-06-01");
        assert_eq!(codes(&now), ["PILOT_INVESTMENT_FUNDING_PRIORITY"]);
        assert_eq!(now[0].kind, MeasureKind::Reward);
        assert!(now[0].records.is_empty());
        assert_eq!(
            now[0].purposes,
            [Purpose::Pilot, Purpose::Investment, Purpose::Funding]
        );
    }

    #[test]
    fn a_measure_that_lasts_while_the_record_is_in_force_ends_with_it() {
        let s = shipped();
        // A grave record decided 2023-04-01 is in force 36 months at most: to 2026-04-01.
        let facts = unit(vec![grave(9, "2023-04-01")]);
        let before = s.now(&facts, "2026-03-31");
        assert!(
            codes(&before).contains(&"PILOT_INVESTMENT_CAUTION"),
            "{before:?}"
        );
        let caution = before
            .iter()
            .find(|m| m.measure.code == "PILOT_INVESTMENT_CAUTION")
            .unwrap();
        assert_eq!(caution.measure.until, Some(d("2026-04-01")));
        assert_eq!(caution.records, [9]);
        let after = s.now(&facts, "2026-04-02");
        assert!(
            !codes(&after).contains(&"PILOT_INVESTMENT_CAUTION"),
            "{after:?}"
        );
        // Honours stay barred for the year in which the record was in force.
        assert!(codes(&after).contains(&"HONOUR_INELIGIBLE"), "{after:?}");
    }

    #[test]
    fn a_record_repaired_before_the_year_leaves_nothing_but_the_reward() {
        let s = shipped();
        let mut r = dishonest(3, "2025-09-01");
        r.state = RecordState::Repaired;
        r.ended_on = Some(d("2026-01-01"));
        let now = s.now(&unit(vec![r]), "2026-06-01");
        assert_eq!(codes(&now), ["PILOT_INVESTMENT_FUNDING_PRIORITY"]);
    }

    #[test]
    fn a_civil_servants_measures_are_the_civil_servant_rules() {
        let s = shipped();
        let facts =
            SubjectFacts::of_records(SubjectKind::CivilServant, vec![dishonest(1, "2026-03-05")]);
        let now = s.now(&facts, "2026-06-01");
        assert_eq!(codes(&now), ["NOT_EXCELLENT"]);
        assert_eq!(now[0].purposes, [Purpose::ExcellentRating]);
    }

    #[test]
    fn a_disabled_rule_imposes_nothing() {
        let catalog = Catalog::new(default_catalog());
        let measures = Measures::shipped();
        let text = crate::sanction::SHIPPED_RULES.replace(
            "measures = [\"PILOT_INVESTMENT_FUNDING_PRIORITY\"]\nenabled = true",
            "measures = [\"PILOT_INVESTMENT_FUNDING_PRIORITY\"]\nenabled = false",
        );
        let rules = Rules::from_toml(&text, &measures, &catalog).unwrap();
        assert!(
            measures_in_force(&measures, &rules, &catalog, &unit(vec![]), d("2026-06-01"))
                .is_empty()
        );
    }

    fn any_record() -> impl Strategy<Value = RecordFact> {
        (
            1i64..50,
            0u32..1500,
            prop::sample::select(vec![
                RecordState::Draft,
                RecordState::Submitted,
                RecordState::Active,
                RecordState::Objected,
                RecordState::Expired,
                RecordState::Repaired,
                RecordState::Revoked,
            ]),
            any::<bool>(),
            0u32..400,
        )
            .prop_map(|(id, days, state, is_grave, ended)| {
                let decided = d("2023-01-01") + chrono::Days::new(u64::from(days));
                let mut r = if is_grave {
                    grave(id, "2023-01-01")
                } else {
                    dishonest(id, "2023-01-01")
                };
                r.decided_on = decided;
                r.disclosure_until = crate::date::add_months(decided, 12);
                r.state = state;
                r.ended_on = Some(decided + chrono::Days::new(u64::from(ended)));
                r
            })
    }

    proptest! {
        /// Every measure in force today is one a check about this year, for one of its rule's
        /// purposes, answers too, lasting until today or later, and with the same records.
        #[test]
        fn every_measure_in_force_is_what_a_check_of_the_year_answers(
            records in prop::collection::vec(any_record(), 0..6),
            offset in 0u32..1800,
        ) {
            let s = shipped();
            let today = d("2023-01-01") + chrono::Days::new(u64::from(offset));
            let facts = unit(records);
            for m in s.now(&facts, today.format("%Y-%m-%d").to_string().as_str()) {
                prop_assert!(m.measure.until.is_none_or(|u| u >= today));
                let answered = m.purposes.iter().any(|p| {
                    let o = check(&s.measures, &s.rules, &s.catalog, &facts, *p, today.year());
                    o.decision != Decision::Allowed
                        && o.rules.contains(&m.rule)
                        && o.measures.iter().any(|h| h.code == m.measure.code)
                        && m.records.iter().all(|r| o.records.contains(r))
                });
                prop_assert!(answered, "{m:?}");
            }
        }

        /// Fewer records never add a measure resting on records (the public's partial view
        /// shows a subset of what the whole file bears).
        #[test]
        fn a_part_of_the_file_never_adds_a_measure_resting_on_records(
            records in prop::collection::vec(any_record(), 0..6),
            keep in prop::collection::vec(any::<bool>(), 6),
            offset in 0u32..1800,
        ) {
            let s = shipped();
            let today = (d("2023-01-01") + chrono::Days::new(u64::from(offset)))
                .format("%Y-%m-%d")
                .to_string();
            let part: Vec<RecordFact> = records
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(r, _)| r.clone())
                .collect();
            let whole = s.now(&unit(records), &today);
            for m in s.now(&unit(part), &today).iter().filter(|m| !m.records.is_empty()) {
                prop_assert!(
                    whole.iter().any(|w| w.rule == m.rule && w.measure.code == m.measure.code),
                    "{m:?} not in {whole:?}"
                );
            }
        }
    }
}
