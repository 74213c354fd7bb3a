//! Written explanation and rectification (书面说明原因并限期整改): when a dishonest record about a
//! unit becomes active, the unit owes the credit office its written explanation and its
//! rectification report with evidence before the category's deadline; the credit office accepts
//! the report or returns it with reasons. Nobody opens or withdraws one by hand: it follows from
//! the record ([`opens_for`]) and ends when the credit office accepts the rectification, or
//! lapses (by the system) when the record leaves force: revoked as wrong, or repaired.

use crate::catalog::{Category, RecordKind};
use crate::error::Result;
use crate::record::Action;
use crate::subject::SubjectKind;

use super::{
    ANYONE, ASSIGNEE, ASSIGNEE_OR_OFFICE, Assign, CaseAction, CaseKind, CaseRules, CaseState,
    Deadlines, Opening, Outcome, Parties, Party, SYSTEM, Step, decide,
};

/// The rules of rectification.
pub struct Rectification;

/// The table of steps: one row per (state, action) the design allows.
fn row(state: CaseState, action: &CaseAction, d: &Deadlines) -> Option<(Step, Parties)> {
    use CaseAction as A;
    use CaseState as S;
    match (state, action) {
        (S::Open, A::File) => Some((
            Step::to(S::Filed, Assign::CreditOffice, d.rectification_review_days),
            ASSIGNEE,
        )),
        (S::Filed, A::Accept) => Some((Step::close(Outcome::Accepted), ASSIGNEE_OR_OFFICE)),
        (S::Filed, A::Return) => Some((
            Step::to(S::Open, Assign::Unit, d.rectification_return_days),
            ASSIGNEE_OR_OFFICE,
        )),
        (S::Open | S::Filed, A::Comment) => Some((Step::stay(state), ANYONE)),
        // Lateness is flagged on the unit's file and counted, but the duty to rectify stays with
        // the unit: the case is not taken from it, or it could no longer file.
        (S::Open | S::Filed, A::Escalate) => Some((Step::escalate(state, Assign::Keep), SYSTEM)),
        // The record left force (revoked as wrong, or repaired): nothing is owed for it any more.
        (S::Open | S::Filed, A::Lapse) => Some((Step::close(Outcome::Lapsed), SYSTEM)),
        _ => None,
    }
}

impl CaseRules for Rectification {
    fn kind(&self) -> CaseKind {
        CaseKind::Rectification
    }

    fn states(&self) -> &'static [CaseState] {
        &[CaseState::Open, CaseState::Filed, CaseState::Closed]
    }

    /// With the record's subject unit, for the category's working days, or
    /// `rectification_days` when the category sets none (0).
    fn opening(&self, d: &Deadlines, category: Option<&Category>) -> Opening {
        let days = category
            .map(|c| c.rectification_working_days)
            .filter(|days| *days > 0)
            .unwrap_or(d.rectification_days);
        Opening {
            state: CaseState::Open,
            assign: Assign::Unit,
            deadline_days: Some(days),
        }
    }

    fn step(
        &self,
        state: CaseState,
        action: &CaseAction,
        party: Party,
        d: &Deadlines,
    ) -> Result<Step> {
        decide(self.kind(), state, action, party, row(state, action, d))
    }
}

/// Whether a record transition opens a rectification: the activation of a dishonest record about
/// a unit. A civil servant answers through the disciplinary channels, not this case; a
/// trustworthy record owes nothing; an objection resolved back to active opens nothing again.
pub fn opens_for(kind: RecordKind, action: Action, subject: SubjectKind) -> bool {
    action == Action::Activate && kind == RecordKind::Dishonest && subject.is_unit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::case::{DeadlineChange, rules};
    use crate::catalog::default_catalog;
    use crate::error::Code;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn step(state: CaseState, action: CaseAction, party: Party) -> Result<Step> {
        Rectification.step(state, &action, party, &Deadlines::default())
    }

    #[test]
    fn the_deadline_comes_from_the_category() {
        let dl = Deadlines::default();
        let cats = default_catalog();
        let arrears = cats.iter().find(|c| c.code == "PAYMENT_ARREARS").unwrap();
        let o = rules(CaseKind::Rectification).opening(&dl, Some(arrears));
        assert_eq!(
            (o.state, o.assign, o.deadline_days),
            (CaseState::Open, Assign::Unit, Some(10))
        );
        let mut none = arrears.clone();
        none.rectification_working_days = 0;
        assert_eq!(
            Rectification.opening(&dl, Some(&none)).deadline_days,
            Some(20)
        );
        assert_eq!(Rectification.opening(&dl, None).deadline_days, Some(20));
        // Activated Mon 28 September 2026, 20 working days: 29, 30 September; 8, 9, 10 (Sat,
        // worked), 12–16, 19–23, 26–30 October.
        let cal = Calendar::official();
        assert_eq!(
            Rectification
                .opening(&dl, None)
                .deadline(&cal, d("2026-09-28"))
                .unwrap(),
            Some(d("2026-10-30"))
        );
    }

    #[test]
    fn file_then_accept_or_return() {
        use CaseAction as A;
        let s = step(CaseState::Open, A::File, Party::Assignee).unwrap();
        assert_eq!(s, Step::to(CaseState::Filed, Assign::CreditOffice, 10));
        assert_eq!(
            step(CaseState::Open, A::File, Party::CreditOffice)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        assert_eq!(
            step(CaseState::Filed, A::Accept, Party::CreditOffice).unwrap(),
            Step::close(Outcome::Accepted)
        );
        let s = step(CaseState::Filed, A::Return, Party::CreditOffice).unwrap();
        assert_eq!(
            (s.next, s.assign, s.deadline),
            (CaseState::Open, Assign::Unit, DeadlineChange::Restart(10))
        );
        assert_eq!(
            step(CaseState::Filed, A::Accept, Party::Applicant)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        assert_eq!(
            step(CaseState::Open, A::Accept, Party::CreditOffice)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert_eq!(
            step(CaseState::Filed, A::File, Party::Assignee)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
    }

    #[test]
    fn no_withdrawal_escalation_keeps_the_unit() {
        use CaseAction as A;
        for p in Party::ALL {
            assert_eq!(
                step(CaseState::Open, A::Withdraw, p).unwrap_err().code,
                Code::IllegalTransition
            );
        }
        for state in [CaseState::Open, CaseState::Filed] {
            assert_eq!(
                step(state, A::Escalate, Party::System).unwrap(),
                Step::stay(state)
            );
            assert_eq!(
                step(state, A::Comment, Party::Assignee).unwrap(),
                Step::stay(state)
            );
        }
        for a in CaseAction::EXAMPLES {
            assert_eq!(
                step(CaseState::Closed, a, Party::CreditOffice)
                    .unwrap_err()
                    .code,
                Code::CaseClosed
            );
        }
    }

    #[test]
    fn only_an_activated_dishonest_record_about_a_unit_opens_one() {
        use crate::record::Action as R;
        for kind in SubjectKind::ALL {
            assert_eq!(
                opens_for(RecordKind::Dishonest, R::Activate, kind),
                kind != SubjectKind::CivilServant,
                "{kind:?}"
            );
            assert!(!opens_for(RecordKind::Trustworthy, R::Activate, kind));
        }
        for a in R::ALL.into_iter().filter(|a| *a != R::Activate) {
            assert!(!opens_for(
                RecordKind::Dishonest,
                a,
                SubjectKind::Department
            ));
        }
    }
}
