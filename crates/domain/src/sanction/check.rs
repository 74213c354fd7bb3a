//! The credit check (信用核查): which rules concern a subject for one purpose and year, and what
//! follows. Any sanction makes the answer `restricted` (and only the sanctions are listed); else
//! any reward makes it `priority`; else `allowed`. The records behind the answer are listed.

use chrono::NaiveDate;
use serde::Serialize;

use super::facts::SubjectFacts;
use super::measures::{Measure, MeasureKind, Measures, Target};
use super::purpose::Purpose;
use super::rules::Rules;
use crate::catalog::Catalog;

/// The answer of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// No rule concerns the subject for this purpose: decide as usual.
    Allowed,
    /// A sanction applies: the decision is restricted (e.g. not 优秀, no honour).
    Restricted,
    /// A reward applies: the subject is to be given priority.
    Priority,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Restricted => "restricted",
            Decision::Priority => "priority",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Allowed => "无限制",
            Decision::Restricted => "限制",
            Decision::Priority => "优先",
        }
    }
}

/// A measure that applies, as the answer names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureHit {
    pub code: String,
    pub name: String,
    pub basis: String,
    pub department: String,
    /// The last day it applies; `None` for a one-off act.
    pub until: Option<NaiveDate>,
}

/// What a check answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    pub decision: Decision,
    /// The measures behind the decision (none when allowed), in the order of the rules.
    pub measures: Vec<MeasureHit>,
    /// The records behind the decision, ascending.
    pub records: Vec<i64>,
    /// The codes of the rules behind the decision.
    pub rules: Vec<String>,
    /// What the decision rests on besides records, in words (a year-end grade, an overdue
    /// rectification, a clean year).
    pub grounds: Vec<String>,
}

#[derive(Default)]
struct Side {
    measures: Vec<MeasureHit>,
    records: Vec<i64>,
    rules: Vec<String>,
    grounds: Vec<String>,
}

impl Side {
    fn add(&mut self, m: &Measure, until: Option<NaiveDate>) {
        match self.measures.iter_mut().find(|h| h.code == m.code) {
            // Two rules imposing one measure: it lasts as long as the longer.
            Some(h) => h.until = h.until.max(until),
            None => self.measures.push(MeasureHit {
                code: m.code.clone(),
                name: m.name.clone(),
                basis: m.basis.clone(),
                department: m.department.clone(),
                until,
            }),
        }
    }

    fn outcome(mut self, decision: Decision) -> CheckOutcome {
        self.records.sort_unstable();
        self.records.dedup();
        CheckOutcome {
            decision,
            measures: self.measures,
            records: self.records,
            rules: self.rules,
            grounds: self.grounds,
        }
    }
}

/// Checks a subject for `purpose` in `year`. `rules` must have been validated against
/// `measures` (a measure the list no longer holds is passed over).
pub fn check(
    measures: &Measures,
    rules: &Rules,
    catalog: &Catalog,
    facts: &SubjectFacts,
    purpose: Purpose,
    year: i32,
) -> CheckOutcome {
    let target = Target::of(facts.kind);
    let mut sanctions = Side::default();
    let mut rewards = Side::default();
    for rule in rules.all() {
        let config = rule.config();
        if !config.enabled || config.target != target || !config.purposes.contains(&purpose) {
            continue;
        }
        let Some(hit) = rule.evaluate(facts, catalog, year) else {
            continue;
        };
        for code in &config.measures {
            let Some(m) = measures.get(code) else {
                continue;
            };
            let side = match m.kind {
                MeasureKind::Sanction => &mut sanctions,
                MeasureKind::Reward => &mut rewards,
            };
            side.add(
                m,
                m.duration
                    .until(year, hit.latest_decided, hit.latest_in_force),
            );
            side.records.extend(&hit.records);
            if let Some(g) = &hit.ground
                && !side.grounds.contains(g)
            {
                side.grounds.push(g.clone());
            }
            if !side.rules.contains(&config.code) {
                side.rules.push(config.code.clone());
            }
        }
    }
    if !sanctions.measures.is_empty() {
        sanctions.outcome(Decision::Restricted)
    } else if !rewards.measures.is_empty() {
        rewards.outcome(Decision::Priority)
    } else {
        Side::default().outcome(Decision::Allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{RecordKind, Severity, default_catalog};
    use crate::record::RecordState;
    use crate::sanction::facts::RecordFact;
    use crate::subject::SubjectKind;

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
        fn check(&self, facts: &SubjectFacts, purpose: Purpose, year: i32) -> CheckOutcome {
            check(
                &self.measures,
                &self.rules,
                &self.catalog,
                facts,
                purpose,
                year,
            )
        }
    }

    /// An active ordinary 纪律处分 (disclosed 3 to 12 months), own end a year after the decision.
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

    fn civil_servant(records: Vec<RecordFact>) -> SubjectFacts {
        SubjectFacts::of_records(SubjectKind::CivilServant, records)
    }

    fn department(records: Vec<RecordFact>) -> SubjectFacts {
        SubjectFacts::of_records(SubjectKind::Department, records)
    }

    fn codes(o: &CheckOutcome) -> Vec<&str> {
        o.measures.iter().map(|m| m.code.as_str()).collect()
    }

    fn graded(grade: &str, year: i32, records: Vec<RecordFact>) -> SubjectFacts {
        SubjectFacts {
            grades: vec![crate::sanction::YearGrade {
                year,
                grade: grade.into(),
            }],
            ..department(records)
        }
    }

    fn overdue(due: &str, last_open: &str) -> crate::sanction::RectificationFact {
        crate::sanction::RectificationFact {
            case_id: 41,
            due: d(due),
            last_open: d(last_open),
            void: false,
        }
    }

    // ---- A unit's year-end grade and its rectifications ----

    #[test]
    fn a_unit_graded_failing_loses_its_honours_and_is_criticised_that_year_only() {
        let s = shipped();
        let facts = graded("不合格", 2026, vec![]);
        let o = s.check(&facts, Purpose::Honour, 2026);
        assert_eq!(o.decision, Decision::Restricted);
        assert_eq!(codes(&o), ["HONOUR_INELIGIBLE", "PUBLIC_CRITICISM"]);
        assert_eq!(o.rules, ["UNIT_GRADE_FAILED"]);
        assert_eq!(o.grounds, ["2026年度政务诚信考核等次为不合格"]);
        assert!(o.records.is_empty(), "a grade rests on no record");
        // The 2026 grade says nothing of 2027's honours, nor of funding (where the clean
        // record still earns priority).
        assert_eq!(
            s.check(&facts, Purpose::Honour, 2027).decision,
            Decision::Allowed
        );
        let o = s.check(&facts, Purpose::Funding, 2026);
        assert_eq!(o.rules, ["UNIT_CLEAN_PRIORITY"]);
    }

    #[test]
    fn a_unit_graded_excellent_is_recommended_first_unless_a_record_bars_it() {
        let s = shipped();
        let o = s.check(&graded("优秀", 2026, vec![]), Purpose::Honour, 2026);
        assert_eq!(o.decision, Decision::Priority);
        assert_eq!(codes(&o), ["HONOUR_PRIORITY"]);
        assert_eq!(o.rules, ["UNIT_GRADE_EXCELLENT"]);
        let o = s.check(
            &graded("优秀", 2026, vec![dishonest(9, "2026-02-01")]),
            Purpose::Honour,
            2026,
        );
        assert_eq!(
            o.decision,
            Decision::Restricted,
            "a sanction outweighs a reward"
        );
        assert_eq!(codes(&o), ["HONOUR_INELIGIBLE"]);
        // 良好 earns nothing either way.
        let o = s.check(&graded("良好", 2026, vec![]), Purpose::Honour, 2026);
        assert_eq!(o.decision, Decision::Allowed);
    }

    #[test]
    fn a_rectification_overdue_in_the_year_bars_honours_and_costs_appraisal_points() {
        let s = shipped();
        let mut facts = department(vec![]);
        // Due 20 December 2025, handed in 10 January 2026: overdue in both years.
        facts.rectifications = vec![overdue("2025-12-20", "2026-01-10")];
        for year in [2025, 2026] {
            let o = s.check(&facts, Purpose::Honour, year);
            assert_eq!(o.decision, Decision::Restricted, "{year}");
            assert_eq!(
                codes(&o),
                ["HONOUR_INELIGIBLE", "PERFORMANCE_DEDUCTION"],
                "{year}"
            );
            assert_eq!(o.rules, ["UNIT_RECTIFICATION_OVERDUE"], "{year}");
            assert_eq!(
                o.grounds,
                ["失信整改逾期未完成：整改案件 41（2025-12-20 到期）"],
                "{year}"
            );
        }
        assert_eq!(
            s.check(&facts, Purpose::Honour, 2027).decision,
            Decision::Allowed
        );
        // Handed in on the deadline: on time; the day after: late.
        facts.rectifications = vec![overdue("2026-05-20", "2026-05-20")];
        assert_eq!(
            s.check(&facts, Purpose::Honour, 2026).decision,
            Decision::Allowed
        );
        facts.rectifications = vec![overdue("2026-05-20", "2026-05-21")];
        assert_eq!(
            s.check(&facts, Purpose::Honour, 2026).decision,
            Decision::Restricted
        );
        // Withdrawn: nothing was owed.
        facts.rectifications = vec![crate::sanction::RectificationFact {
            void: true,
            ..overdue("2026-05-20", "2026-08-01")
        }];
        assert_eq!(
            s.check(&facts, Purpose::Honour, 2026).decision,
            Decision::Allowed
        );
    }

    // ---- Civil servant 优秀 eligibility for year Y (DESIGN.md §4) ----

    #[test]
    fn a_record_decided_in_the_year_bars_excellent() {
        let s = shipped();
        let o = s.check(
            &civil_servant(vec![dishonest(7, "2026-03-05")]),
            Purpose::ExcellentRating,
            2026,
        );
        assert_eq!(o.decision, Decision::Restricted);
        assert_eq!(codes(&o), ["NOT_EXCELLENT"]);
        assert_eq!(o.measures[0].name, "年度考核不得确定为优秀等次");
        assert_eq!(o.measures[0].until, Some(d("2026-12-31")));
        assert_eq!(o.records, [7]);
        assert_eq!(o.rules, ["CIVIL_SERVANT_NOT_EXCELLENT"]);
    }

    #[test]
    fn a_record_decided_on_31_december_and_in_force_into_the_year_bars_it() {
        let s = shipped();
        let facts = civil_servant(vec![dishonest(1, "2025-12-31")]);
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2026).decision,
            Decision::Restricted
        );
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2025).decision,
            Decision::Restricted
        );
    }

    #[test]
    fn a_record_repaired_on_1_january_is_not_in_force_that_year() {
        let s = shipped();
        let mut r = dishonest(1, "2025-06-01");
        r.state = RecordState::Repaired;
        r.ended_on = Some(d("2026-01-01"));
        let facts = civil_servant(vec![r.clone()]);
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2026).decision,
            Decision::Allowed,
            "the day of the repair is no longer in force"
        );
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2025).decision,
            Decision::Restricted
        );
        // Repaired a day later: in force on 1 January.
        r.ended_on = Some(d("2026-01-02"));
        assert_eq!(
            s.check(&civil_servant(vec![r]), Purpose::ExcellentRating, 2026)
                .decision,
            Decision::Restricted
        );
    }

    #[test]
    fn a_revoked_record_counts_until_the_day_before_its_revocation() {
        let s = shipped();
        let mut r = dishonest(1, "2025-06-01");
        r.state = RecordState::Revoked;
        r.ended_on = Some(d("2026-01-01"));
        let facts = civil_servant(vec![r]);
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2026).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn a_record_decided_in_the_year_counts_even_if_ended_the_same_day() {
        let s = shipped();
        let mut r = dishonest(1, "2026-03-05");
        r.state = RecordState::Revoked;
        r.ended_on = Some(d("2026-03-05"));
        let facts = civil_servant(vec![r]);
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2026).decision,
            Decision::Restricted,
            "decided in Y"
        );
    }

    #[test]
    fn the_exemption_lifts_the_bar() {
        let s = shipped();
        let mut r = dishonest(1, "2026-03-05");
        r.state = RecordState::Repaired;
        r.ended_on = Some(d("2026-09-01"));
        r.exemption = true;
        let o = s.check(&civil_servant(vec![r]), Purpose::ExcellentRating, 2026);
        assert_eq!(o.decision, Decision::Allowed);
        assert!(o.measures.is_empty() && o.records.is_empty());
    }

    #[test]
    fn an_exempt_record_does_not_hide_another() {
        let s = shipped();
        let mut exempt = dishonest(1, "2026-03-05");
        exempt.exemption = true;
        let o = s.check(
            &civil_servant(vec![exempt, dishonest(2, "2026-04-05")]),
            Purpose::ExcellentRating,
            2026,
        );
        assert_eq!(o.decision, Decision::Restricted);
        assert_eq!(o.records, [2]);
    }

    #[test]
    fn a_trustworthy_record_never_restricts() {
        let s = shipped();
        let r = RecordFact {
            category: "HONOUR".into(),
            kind: RecordKind::Trustworthy,
            severity: None,
            ..dishonest(1, "2026-03-05")
        };
        let facts = civil_servant(vec![r]);
        for p in Purpose::ALL {
            assert_ne!(s.check(&facts, p, 2026).decision, Decision::Restricted);
        }
    }

    #[test]
    fn a_draft_or_submitted_record_never_counts() {
        let s = shipped();
        for state in [RecordState::Draft, RecordState::Submitted] {
            let mut r = dishonest(1, "2026-03-05");
            r.state = state;
            assert_eq!(
                s.check(
                    &civil_servant(vec![r.clone()]),
                    Purpose::ExcellentRating,
                    2026
                )
                .decision,
                Decision::Allowed,
                "{state:?}"
            );
            assert_eq!(
                s.check(&department(vec![r]), Purpose::Honour, 2026)
                    .decision,
                Decision::Allowed,
                "{state:?}"
            );
        }
    }

    #[test]
    fn an_expired_record_counts_in_the_years_it_was_in_force_only() {
        let s = shipped();
        let mut r = dishonest(1, "2024-05-10");
        r.state = RecordState::Expired;
        let facts = civil_servant(vec![r]);
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2025).decision,
            Decision::Restricted,
            "in force until 2025-05-10"
        );
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2026).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn the_categorys_maximum_caps_the_records_own_end() {
        let s = shipped();
        // Its own end lies three years out; an ordinary 纪律处分 is in force 12 months at most.
        let mut r = dishonest(1, "2024-06-01");
        r.disclosure_until = d("2027-06-01");
        let facts = civil_servant(vec![r]);
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2025).decision,
            Decision::Restricted
        );
        assert_eq!(
            s.check(&facts, Purpose::ExcellentRating, 2026).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn an_objected_record_still_counts() {
        let s = shipped();
        let mut r = dishonest(1, "2026-03-05");
        r.state = RecordState::Objected;
        assert_eq!(
            s.check(&civil_servant(vec![r]), Purpose::ExcellentRating, 2026)
                .decision,
            Decision::Restricted
        );
    }

    #[test]
    fn the_excellent_rule_concerns_only_civil_servants_and_its_purpose() {
        let s = shipped();
        let cs = civil_servant(vec![dishonest(1, "2026-03-05")]);
        for p in [Purpose::Appointment, Purpose::Honour, Purpose::Funding] {
            assert_eq!(s.check(&cs, p, 2026).decision, Decision::Allowed, "{p:?}");
        }
        let unit = department(vec![dishonest(1, "2026-03-05")]);
        assert_eq!(
            s.check(&unit, Purpose::ExcellentRating, 2026).decision,
            Decision::Allowed
        );
    }

    // ---- Units' honour eligibility (DESIGN.md §4) ----

    #[test]
    fn a_unit_with_a_record_in_force_loses_honour_eligibility() {
        let s = shipped();
        let o = s.check(
            &department(vec![dishonest(3, "2025-09-01"), dishonest(4, "2026-02-01")]),
            Purpose::Honour,
            2026,
        );
        assert_eq!(o.decision, Decision::Restricted);
        assert_eq!(codes(&o), ["HONOUR_INELIGIBLE"]);
        assert_eq!(o.measures[0].until, Some(d("2026-12-31")));
        assert_eq!(o.records, [3, 4]);
    }

    #[test]
    fn a_unit_whose_record_was_repaired_before_the_year_keeps_it() {
        let s = shipped();
        let mut r = dishonest(3, "2025-09-01");
        r.state = RecordState::Repaired;
        r.ended_on = Some(d("2026-01-01"));
        assert_eq!(
            s.check(&department(vec![r]), Purpose::Honour, 2026)
                .decision,
            Decision::Allowed
        );
    }

    #[test]
    fn a_units_record_never_in_force_costs_nothing_for_honour() {
        // Revoked on the day it was decided: the honour rule looks only at force.
        let s = shipped();
        let mut r = dishonest(3, "2026-03-05");
        r.state = RecordState::Revoked;
        r.ended_on = Some(d("2026-03-05"));
        assert_eq!(
            s.check(&department(vec![r]), Purpose::Honour, 2026)
                .decision,
            Decision::Allowed
        );
    }

    // ---- Rewards and the configurable rules ----

    #[test]
    fn a_clean_unit_gets_priority_for_pilots_investment_and_funding() {
        let s = shipped();
        let unit = department(vec![]);
        for p in [Purpose::Pilot, Purpose::Investment, Purpose::Funding] {
            let o = s.check(&unit, p, 2026);
            assert_eq!(o.decision, Decision::Priority, "{p:?}");
            assert_eq!(codes(&o), ["PILOT_INVESTMENT_FUNDING_PRIORITY"]);
            assert_eq!(o.measures[0].until, Some(d("2026-12-31")));
            assert!(o.records.is_empty());
        }
        assert_eq!(
            s.check(&unit, Purpose::Honour, 2026).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn an_ordinary_record_spoils_the_priority_but_restricts_nothing_for_pilots() {
        let s = shipped();
        let unit = department(vec![dishonest(1, "2026-03-05")]);
        let o = s.check(&unit, Purpose::Pilot, 2026);
        assert_eq!(o.decision, Decision::Allowed);
        assert!(o.measures.is_empty());
    }

    #[test]
    fn a_restriction_wins_over_a_priority() {
        let s = shipped();
        let mut grave = dishonest(9, "2025-04-01");
        grave.category = "DEBT_DEFAULT".into();
        grave.severity = Some(Severity::Grave);
        grave.disclosure_until = d("2028-04-01");
        let o = s.check(&department(vec![grave]), Purpose::Investment, 2026);
        assert_eq!(o.decision, Decision::Restricted);
        assert_eq!(codes(&o), ["PILOT_INVESTMENT_CAUTION"]);
        // "While in force": the category caps a grave record at 36 months.
        assert_eq!(o.measures[0].until, Some(d("2028-04-01")));
        assert_eq!(o.records, [9]);
        assert_eq!(o.rules, ["UNIT_GRAVE_PILOT_CAUTION"]);
    }

    #[test]
    fn a_disabled_rule_is_not_applied() {
        let catalog = Catalog::new(default_catalog());
        let measures = Measures::shipped();
        let text = SHIPPED.replace(
            "measures = [\"PILOT_INVESTMENT_FUNDING_PRIORITY\"]\nenabled = true",
            "measures = [\"PILOT_INVESTMENT_FUNDING_PRIORITY\"]\nenabled = false",
        );
        assert_ne!(text, SHIPPED);
        let rules = Rules::from_toml(&text, &measures, &catalog).unwrap();
        let o = check(
            &measures,
            &rules,
            &catalog,
            &department(vec![]),
            Purpose::Funding,
            2026,
        );
        assert_eq!(o.decision, Decision::Allowed);
    }

    const SHIPPED: &str = crate::sanction::SHIPPED_RULES;

    #[test]
    fn the_answer_serialises_in_the_apis_words() {
        let s = shipped();
        let o = s.check(
            &civil_servant(vec![dishonest(7, "2026-03-05")]),
            Purpose::ExcellentRating,
            2026,
        );
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["decision"], "restricted");
        assert_eq!(json["measures"][0]["code"], "NOT_EXCELLENT");
        assert_eq!(json["measures"][0]["until"], "2026-12-31");
        assert_eq!(json["records"][0], 7);
    }
}
