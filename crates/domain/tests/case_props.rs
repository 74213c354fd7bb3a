//! Property tests of the case engine: whatever sequence of actions and parties is tried on a case
//! of any kind, from its opening, the tables keep their invariants. A closed case never leaves
//! `Closed` and always has an outcome; only a step into `Closed` sets one, and it clears the
//! deadline; every state reached is one its kind uses; every refusal is one of the engine's
//! codes; every deadline computed, from any start day in 2025–2026 working or not, is a working
//! day; and the record rules the cases lean on hold: one open objection per record, and a
//! repaired record is never disclosed.

use chrono::{NaiveDate, TimeDelta};
use probity_domain::Code;
use probity_domain::calendar::Calendar;
use probity_domain::case::{
    Assign, CaseAction, CaseKind, CaseState, DeadlineChange, Deadlines, Finding, Outcome, Party,
    deadline, due_status, objection, rules,
};
use probity_domain::catalog::{RecordKind, Scope, Severity, default_catalog};
use probity_domain::disclosure::{
    NameMasker, RecordFacts, SubjectFacts, Viewer, Withheld, disclose,
};
use probity_domain::record::{Action, RecordState, Role, transition};
use probity_domain::subject::SubjectKind;
use proptest::prelude::*;

fn action() -> impl Strategy<Value = CaseAction> {
    let finding = prop::sample::select(Finding::ALL.to_vec());
    prop_oneof![
        prop::sample::select(CaseAction::EXAMPLES.to_vec()),
        finding.clone().prop_map(CaseAction::Answer),
        finding.prop_map(CaseAction::Close),
        (0u8..=7).prop_map(CaseAction::Rate),
    ]
}

fn party() -> impl Strategy<Value = Party> {
    prop::sample::select(Party::ALL.to_vec())
}

/// A day of the calendar's known years early enough that 40 steps a few days apart and a
/// deadline of up to 30 working days after the last stay within 2026.
fn start_day() -> impl Strategy<Value = NaiveDate> {
    (0i64..540).prop_map(|i| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + TimeDelta::days(i))
}

/// Thresholds anywhere in a plausible range, so that the tables are tried on more than the
/// defaults.
fn deadlines() -> impl Strategy<Value = Deadlines> {
    (
        prop::array::uniform11(1u32..=30),
        0u32..=10,
        prop::array::uniform3(0u32..=24),
    )
        .prop_map(|(days, due_soon_days, mut months)| {
            months.sort();
            Deadlines {
                objection_days: days[0],
                repair_decision_days: days[1],
                repair_consult_days: days[2],
                rectification_days: days[3],
                rectification_review_days: days[4],
                rectification_return_days: days[5],
                complaint_route_days: days[6],
                complaint_answer_days: days[7],
                complaint_close_days: days[8],
                dispute_window_days: days[9],
                dispute_answer_days: days[10],
                due_soon_days,
                repair_minor_months: months[0],
                repair_ordinary_months: months[1],
                repair_grave_months: months[2],
            }
        })
}

/// One walk: a kind, its thresholds, the opening day, and the steps, each some days after the
/// previous one.
fn walk() -> impl Strategy<
    Value = (
        CaseKind,
        Deadlines,
        NaiveDate,
        Vec<(CaseAction, Party, i64)>,
    ),
> {
    (
        prop::sample::select(CaseKind::ALL.to_vec()),
        deadlines(),
        start_day(),
        prop::collection::vec((action(), party(), 0i64..4), 0..40),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_walks_keep_the_invariants((kind, d, start, steps) in walk()) {
        let cal = Calendar::official();
        let r = rules(kind);
        let cats = default_catalog();
        let category = cats.iter().find(|c| c.code == "PAYMENT_ARREARS");
        let opening = r.opening(&d, category);
        prop_assert_eq!(opening.state, CaseState::Open);
        let mut state = opening.state;
        let mut outcome: Option<Outcome> = None;
        let mut due = opening.deadline(&cal, start).unwrap();
        let mut day = start;
        if let Some(due) = due {
            prop_assert!(cal.is_working_day(due).unwrap(), "opened {start}, due {due}");
            prop_assert!(due >= start);
        }
        for (action, party, gap) in steps {
            day += TimeDelta::days(gap);
            let status = due_status(&cal, day, due, &d).unwrap();
            prop_assert_eq!(status.is_overdue(), due.is_some_and(|due| day > due));
            match r.step(state, &action, party, &d) {
                Ok(step) => {
                    prop_assert!(r.states().contains(&step.next), "{kind:?} reached {:?}", step.next);
                    if state.is_closed() {
                        // Only a complaint's rating is taken on a closed case, and it moves nothing.
                        prop_assert_eq!(step.next, CaseState::Closed);
                        prop_assert!(matches!(action, CaseAction::Rate(1..=5)));
                        prop_assert_eq!(kind, CaseKind::Complaint);
                        prop_assert_eq!(step.outcome, None);
                    }
                    if step.next.is_closed() && !state.is_closed() {
                        prop_assert!(step.outcome.is_some(), "{kind:?} closed without an outcome");
                        prop_assert_eq!(step.deadline, DeadlineChange::Clear);
                    } else {
                        prop_assert_eq!(step.outcome, None);
                    }
                    if action == CaseAction::Escalate {
                        prop_assert_eq!(party, Party::System);
                        prop_assert_eq!(step.next, state);
                        prop_assert!(matches!(step.assign, Assign::Keep | Assign::CreditOffice));
                    }
                    if party == Party::System {
                        // The system escalates, or ends a rectification whose record left force.
                        prop_assert!(
                            action == CaseAction::Escalate
                                || (action == CaseAction::Lapse
                                    && kind == CaseKind::Rectification
                                    && step.outcome == Some(Outcome::Lapsed)),
                            "{kind:?}: the system took {action:?}"
                        );
                    }
                    due = step.deadline.apply(&cal, day, due).unwrap();
                    if let (DeadlineChange::Restart(_), Some(due)) = (step.deadline, due) {
                        prop_assert!(cal.is_working_day(due).unwrap(), "step on {day}, due {due}");
                        prop_assert!(due > day);
                    }
                    outcome = step.outcome.or(outcome);
                    state = step.next;
                }
                Err(e) => {
                    prop_assert!(
                        matches!(
                            e.code,
                            Code::IllegalTransition | Code::Forbidden | Code::CaseClosed | Code::RatingInvalid
                        ),
                        "{:?}: {}", e.code, e.message
                    );
                    prop_assert!(!e.message.is_empty());
                    if state.is_closed() && !matches!(action, CaseAction::Rate(_)) {
                        prop_assert_eq!(e.code, Code::CaseClosed);
                    }
                    if e.code == Code::RatingInvalid {
                        prop_assert!(matches!(action, CaseAction::Rate(0 | 6..)));
                    }
                }
            }
            if state.is_closed() {
                prop_assert!(outcome.is_some(), "{kind:?} closed without an outcome");
                prop_assert_eq!(due, None);
            }
        }
    }

    #[test]
    fn every_deadline_is_a_working_day(
        start in (0i64..730).prop_map(|i| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + TimeDelta::days(i)),
        days in 0u32..=30,
    ) {
        let cal = Calendar::official();
        match deadline(&cal, start, days) {
            Ok(due) => {
                prop_assert!(cal.is_working_day(due).unwrap(), "{start} + {days} = {due}");
                prop_assert!(due >= start);
                prop_assert!(cal.working_days_between(start, due).unwrap() >= i64::from(days));
            }
            Err(e) => prop_assert_eq!(e.code, Code::CalendarYearMissing),
        }
    }

    #[test]
    fn a_record_has_one_open_objection_at_most(
        moves in prop::collection::vec(
            (prop::sample::select(Action::ALL.to_vec()), any::<bool>()),
            0..40,
        ),
    ) {
        // The record walks its lifecycle; before each move, someone tries to object. An
        // objection opens only where `may_object` allows, and opening one makes the record
        // `objected`, where `may_object` refuses a second.
        let mut state = RecordState::Draft;
        let mut open = 0u32;
        for (action, try_object) in moves {
            if try_object && objection::may_object(state).is_ok() {
                state = transition(state, Action::Object, Role::Unit).unwrap();
                open += 1;
                prop_assert!(objection::may_object(state).is_err());
            }
            if let Ok(next) = transition(state, action, Role::CreditOffice) {
                if state == RecordState::Objected && next != RecordState::Objected {
                    // The objection's case closes with the record leaving `objected`.
                    open = open.saturating_sub(1);
                }
                if next == RecordState::Objected && state != RecordState::Objected {
                    open += 1;
                }
                state = next;
            }
            prop_assert!(open <= 1, "{open} open objections on a {state:?} record");
            prop_assert_eq!(open == 1, state == RecordState::Objected);
        }
    }

    #[test]
    fn an_approved_repair_takes_the_record_out_of_view(
        decided in (0i64..700).prop_map(|i| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + TimeDelta::days(i)),
        later in 0i64..400,
        scope in prop::sample::select(Scope::ALL.to_vec()),
        severity in prop::sample::select(Severity::ALL.to_vec()),
        viewer in prop::sample::select(Viewer::ALL.to_vec()),
        consult in any::<bool>(),
    ) {
        let d = Deadlines::default();
        let r = rules(CaseKind::Repair);
        let mut state = r.opening(&d, None).state;
        if consult {
            state = r.step(state, &CaseAction::Consult, Party::CreditOffice, &d).unwrap().next;
            state = r.step(state, &CaseAction::Reply, Party::Assignee, &d).unwrap().next;
        }
        let step = r.step(state, &CaseAction::Approve, Party::CreditOffice, &d).unwrap();
        prop_assert_eq!(step.outcome, Some(Outcome::Approved));
        let record = transition(RecordState::Active, Action::Repair, Role::CreditOffice).unwrap();
        prop_assert_eq!(record, RecordState::Repaired);
        let cat = default_catalog().into_iter().find(|c| c.code == "PROCUREMENT_BREACH").unwrap();
        let facts = RecordFacts {
            state: record,
            scope,
            kind: RecordKind::Dishonest,
            severity: Some(severity),
            decided_on: decided,
            disclosure_until: decided + TimeDelta::days(365),
            bounds: cat.bounds(Some(severity)),
            document_no: "津滨财采〔2025〕3号",
            authority: "天津市滨海新区财政局",
            facts: "拖欠中标企业合同款",
            basis: None,
            outcome: "责令限期支付",
        };
        let subject = SubjectFacts {
            kind: SubjectKind::Township,
            name: "天津市滨海新区某街道办事处",
            uscc: None,
            unit: None,
            position: None,
        };
        let today = decided + TimeDelta::days(later);
        let shown = disclose(&facts, &subject, viewer, today, &NameMasker::new(std::iter::empty::<&str>()));
        prop_assert!(
            matches!(shown, Err(Withheld::State(RecordState::Repaired)) | Err(Withheld::Scope)),
            "{shown:?}"
        );
    }
}

#[test]
fn every_state_of_each_kind_is_reachable_and_can_close() {
    use std::collections::HashSet;
    let d = Deadlines::default();
    for kind in CaseKind::ALL {
        let r = rules(kind);
        let mut seen = HashSet::from([r.opening(&d, None).state]);
        let mut frontier = vec![r.opening(&d, None).state];
        while let Some(s) = frontier.pop() {
            for a in CaseAction::EXAMPLES {
                for p in Party::ALL {
                    if let Ok(step) = r.step(s, &a, p, &d)
                        && seen.insert(step.next)
                    {
                        frontier.push(step.next);
                    }
                }
            }
        }
        let want: HashSet<CaseState> = r.states().iter().copied().collect();
        assert_eq!(seen, want, "{kind:?}");
        // No case is stuck: from every state some path leads to `Closed`.
        for &from in r.states() {
            let mut seen = HashSet::from([from]);
            let mut frontier = vec![from];
            while let Some(s) = frontier.pop() {
                for a in CaseAction::EXAMPLES {
                    for p in Party::ALL {
                        if let Ok(step) = r.step(s, &a, p, &d)
                            && seen.insert(step.next)
                        {
                            frontier.push(step.next);
                        }
                    }
                }
            }
            assert!(
                seen.contains(&CaseState::Closed),
                "{kind:?} stuck in {from:?}"
            );
        }
    }
}
