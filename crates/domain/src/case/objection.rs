//! Objections (异议): a unit disputes a record about itself or one of its civil servants, or
//! anyone reports an error on a public record page (纠错). The record is frozen as 异议处理中
//! while the case is open; the provider that submitted it answers within the deadline, and when it
//! does not, the scheduler hands the case to the credit office, which must answer in its place
//! (征信业管理条例 art. 25 sets the ceiling). Upheld, the record is corrected or revoked;
//! dismissed, it stands, with written reasons the applicant reads.

use crate::catalog::Category;
use crate::error::{Code, DomainError, Result};
use crate::record::RecordState;

use super::{
    ANYONE, APPLICANT, ASSIGNEE_OR_OFFICE, Assign, CaseAction, CaseKind, CaseRules, CaseState,
    Deadlines, Opening, Outcome, Parties, Party, SYSTEM, Step, decide,
};

/// The rules of objections.
pub struct Objection;

/// The table of steps: one row per (state, action) the design allows.
fn row(state: CaseState, action: &CaseAction) -> Option<(Step, Parties)> {
    use CaseAction as A;
    use CaseState as S;
    match (state, action) {
        (S::Open, A::Uphold) => Some((Step::close(Outcome::Upheld), ASSIGNEE_OR_OFFICE)),
        (S::Open, A::Dismiss) => Some((Step::close(Outcome::Dismissed), ASSIGNEE_OR_OFFICE)),
        (S::Open, A::Withdraw) => Some((Step::close(Outcome::Withdrawn), APPLICANT)),
        (S::Open, A::Comment) => Some((Step::stay(state), ANYONE)),
        // The provider is late: the credit office answers in its place, against the same
        // deadline, which has passed.
        (S::Open, A::Escalate) => Some((Step::escalate(state, Assign::CreditOffice), SYSTEM)),
        _ => None,
    }
}

impl CaseRules for Objection {
    fn kind(&self) -> CaseKind {
        CaseKind::Objection
    }

    fn states(&self) -> &'static [CaseState] {
        &[CaseState::Open, CaseState::Closed]
    }

    /// The provider answers within `objection_days`; the catalog has no per-category objection
    /// deadline, so the category is not read.
    fn opening(&self, d: &Deadlines, _category: Option<&Category>) -> Opening {
        Opening {
            state: CaseState::Open,
            assign: Assign::Provider,
            deadline_days: Some(d.objection_days),
        }
    }

    fn step(
        &self,
        state: CaseState,
        action: &CaseAction,
        party: Party,
        _d: &Deadlines,
    ) -> Result<Step> {
        decide(self.kind(), state, action, party, row(state, action))
    }
}

/// Whether a record in `state` may be objected to: only an active record. A record already
/// objected to has its objection open (one at a time); a draft is the provider's own to correct;
/// a repaired, expired or revoked record is out of public view and its file is closed.
pub fn may_object(state: RecordState) -> Result<()> {
    match state {
        RecordState::Active => Ok(()),
        RecordState::Objected => Err(DomainError::new(
            Code::RecordNotObjectable,
            "该记录已有异议正在处理，不能重复提出异议",
        )),
        other => Err(DomainError::new(
            Code::RecordNotObjectable,
            format!(
                "记录当前状态为“{}”，不能提出异议：只能对已生效的记录提出异议",
                other.label()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::case::{DeadlineChange, deadline, rules};
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn step(state: CaseState, action: CaseAction, party: Party) -> Result<Step> {
        Objection.step(state, &action, party, &Deadlines::default())
    }

    #[test]
    fn opens_with_the_provider_and_a_deadline_after_the_national_day() {
        let o = rules(CaseKind::Objection).opening(&Deadlines::default(), None);
        assert_eq!(o.state, CaseState::Open);
        assert_eq!(o.assign, Assign::Provider);
        assert_eq!(o.deadline_days, Some(10));
        // Opened Wed 30 September 2026: 1–7 October are 国庆节; the ten working days are
        // 8, 9, 10 (Saturday, worked), 12, 13, 14, 15, 16, 19, 20 October.
        let cal = Calendar::official();
        assert_eq!(
            o.deadline(&cal, d("2026-09-30")).unwrap(),
            Some(d("2026-10-20"))
        );
        assert_eq!(
            deadline(&cal, d("2026-09-30"), 10).unwrap(),
            d("2026-10-20")
        );
    }

    #[test]
    fn the_provider_or_the_credit_office_decides() {
        use CaseAction as A;
        for party in [Party::Assignee, Party::CreditOffice] {
            let s = step(CaseState::Open, A::Uphold, party).unwrap();
            assert_eq!(s, Step::close(Outcome::Upheld));
            assert_eq!(s.deadline, DeadlineChange::Clear);
            let s = step(CaseState::Open, A::Dismiss, party).unwrap();
            assert_eq!(
                (s.next, s.outcome),
                (CaseState::Closed, Some(Outcome::Dismissed))
            );
        }
        for party in [Party::Applicant, Party::System] {
            let e = step(CaseState::Open, A::Uphold, party).unwrap_err();
            assert_eq!(e.code, Code::Forbidden, "{party:?}");
            assert!(e.message.contains("异议案件"), "{}", e.message);
        }
    }

    #[test]
    fn the_applicant_withdraws_anyone_comments_the_scheduler_escalates() {
        use CaseAction as A;
        assert_eq!(
            step(CaseState::Open, A::Withdraw, Party::Applicant).unwrap(),
            Step::close(Outcome::Withdrawn)
        );
        assert_eq!(
            step(CaseState::Open, A::Withdraw, Party::Assignee)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        for party in [Party::Applicant, Party::Assignee, Party::CreditOffice] {
            assert_eq!(
                step(CaseState::Open, A::Comment, party).unwrap(),
                Step::stay(CaseState::Open)
            );
        }
        assert_eq!(
            step(CaseState::Open, A::Comment, Party::System)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        let s = step(CaseState::Open, A::Escalate, Party::System).unwrap();
        assert_eq!(
            (s.next, s.assign, s.deadline),
            (CaseState::Open, Assign::CreditOffice, DeadlineChange::Keep)
        );
        assert_eq!(
            step(CaseState::Open, A::Escalate, Party::CreditOffice)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
    }

    #[test]
    fn other_actions_are_illegal_and_a_closed_case_refuses_everything() {
        use CaseAction as A;
        let e = step(CaseState::Open, A::Approve, Party::CreditOffice).unwrap_err();
        assert_eq!(e.code, Code::IllegalTransition);
        assert_eq!(e.message, "案件当前状态为“待处理”，不能执行“准予修复”");
        for a in CaseAction::EXAMPLES {
            for p in Party::ALL {
                let e = step(CaseState::Closed, a, p).unwrap_err();
                assert_eq!(e.code, Code::CaseClosed, "{a:?} {p:?}");
            }
        }
        assert_eq!(
            step(CaseState::Closed, A::Comment, Party::Applicant)
                .unwrap_err()
                .message,
            "案件已办结，不能再留言"
        );
        // A state objections never use.
        assert_eq!(
            step(CaseState::Filed, A::Uphold, Party::CreditOffice)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
    }

    #[test]
    fn only_an_active_record_may_be_objected_to() {
        assert!(may_object(RecordState::Active).is_ok());
        let e = may_object(RecordState::Objected).unwrap_err();
        assert_eq!(e.code, Code::RecordNotObjectable);
        assert!(e.message.contains("重复"), "{}", e.message);
        for s in [
            RecordState::Draft,
            RecordState::Submitted,
            RecordState::Repaired,
            RecordState::Expired,
            RecordState::Revoked,
        ] {
            let e = may_object(s).unwrap_err();
            assert_eq!(e.code, Code::RecordNotObjectable);
            assert!(e.message.contains(s.label()), "{}", e.message);
        }
    }
}
