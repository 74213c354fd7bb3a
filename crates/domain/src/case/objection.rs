//! Objections (异议): a unit disputes a record about itself or one of its civil servants, or
//! anyone reports an error on a public record page (纠错). The record is frozen as 异议处理中
//! while the case is open; the provider that submitted it answers within the deadline, and when it
//! does not, the scheduler hands the case to the credit office, which must answer in its place
//! (征信业管理条例 art. 25 sets the ceiling). Upheld, the record is corrected or revoked;
//! dismissed, it stands, with written reasons the applicant reads.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::Category;
use crate::error::{Code, DomainError, Result};
use crate::record::{FieldError, RecordState};
use crate::text::Lines;

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

/// The prefix of the tracking number of a report of an error on a public record (纠错).
pub const TRACKING_PREFIX: &str = "JC";

/// The tracking number of a report of an error filed on `date`, the `serial`-th of the day (from
/// 1): `JC20261203-0001`. The public follows it, with its query code, where complaints are
/// followed (`complaint::parse_public_tracking_no` reads both).
pub fn tracking_no(date: NaiveDate, serial: i64) -> String {
    super::complaint::numbered(TRACKING_PREFIX, date, serial)
}

/// The most characters of each field of a report of an error; the reasons have a complaint's
/// bounds.
pub const MIN_REASONS: usize = super::complaint::MIN_CONTENT;
pub const MAX_REASONS: usize = super::complaint::MAX_CONTENT;
pub const MAX_CORRECTION_NAME: usize = 50;
pub const MAX_CORRECTION_CONTACT: usize = 100;

/// A report of an error on a public record (纠错) as it arrives from the record's page or the
/// public API: not yet trusted. Named or anonymous, as a complaint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CorrectionInput {
    /// What is wrong with the record, and how the reporter knows.
    pub reasons: String,
    /// The reporter's name, when given.
    pub name: Option<String>,
    /// How to reach the reporter; absent or blank is an anonymous report.
    pub contact: Option<String>,
}

/// A report of an error whose every field is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCorrection {
    pub reasons: String,
    pub name: Option<String>,
    pub contact: Option<String>,
}

impl ValidCorrection {
    /// Anonymous: nobody to answer but through the tracking number.
    pub fn anonymous(&self) -> bool {
        self.contact.is_none()
    }
}

impl CorrectionInput {
    /// Validates every field and reports every fault at once, each with its field, by the rules
    /// a complaint's texts follow (stray characters, presence, length).
    pub fn validate(&self) -> std::result::Result<ValidCorrection, Vec<FieldError>> {
        use super::complaint::text_field_hinted as field;
        let mut errs = Vec::new();
        let mut keep = |column: &'static str, r: Result<Option<String>>| match r {
            Ok(v) => v,
            Err(error) => {
                errs.push(FieldError { column, error });
                None
            }
        };
        let reasons = keep(
            "reasons",
            field(
                &self.reasons,
                "纠错理由",
                Lines::Multi,
                true,
                (MIN_REASONS, MAX_REASONS),
                "请写明记录哪一处有误、正确的情况是什么",
            ),
        );
        let name = keep(
            "name",
            field(
                self.name.as_deref().unwrap_or(""),
                "姓名",
                Lines::Single,
                false,
                (1, MAX_CORRECTION_NAME),
                "",
            ),
        );
        let contact = keep(
            "contact",
            field(
                self.contact.as_deref().unwrap_or(""),
                "联系方式",
                Lines::Single,
                false,
                (1, MAX_CORRECTION_CONTACT),
                "",
            ),
        );
        match reasons {
            Some(reasons) if errs.is_empty() => Ok(ValidCorrection {
                reasons,
                name,
                contact,
            }),
            _ => Err(errs),
        }
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

    fn correction() -> CorrectionInput {
        CorrectionInput {
            reasons: "记录所载决定文书号有误，应为津滨财〔2026〕12号。".into(),
            name: Some("李先生".into()),
            contact: Some("13800000000".into()),
        }
    }

    #[test]
    fn a_good_report_of_an_error_and_an_anonymous_one() {
        let v = correction().validate().unwrap();
        assert_eq!(
            v.reasons,
            "记录所载决定文书号有误，应为津滨财〔2026〕12号。"
        );
        assert_eq!(v.name.as_deref(), Some("李先生"));
        assert!(!v.anonymous());
        let anon = CorrectionInput {
            reasons: "  第一，金额有误；\n第二，日期有误。  ".into(),
            name: Some("  ".into()),
            contact: None,
        };
        let v = anon.validate().unwrap();
        assert!(v.anonymous());
        assert_eq!(v.name, None);
        assert_eq!(v.reasons, "第一，金额有误；\n第二，日期有误。");
        // Exactly 10 characters, a contact of 100.
        let mut edge = correction();
        edge.reasons = "一二三四五六七八九十".into();
        edge.contact = Some("1".repeat(MAX_CORRECTION_CONTACT));
        assert!(edge.validate().is_ok());
        let json = r#"{"reasons":"处理结果一栏与决定书不符，请核对"}"#;
        let parsed: CorrectionInput = serde_json::from_str(json).unwrap();
        assert!(parsed.validate().unwrap().anonymous());
    }

    #[test]
    fn every_fault_of_a_report_of_an_error_at_once() {
        let bad = CorrectionInput {
            reasons: "   ".into(),
            name: Some("李".repeat(MAX_CORRECTION_NAME + 1)),
            contact: Some("1".repeat(MAX_CORRECTION_CONTACT + 1)),
        };
        let errs = bad.validate().unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            got,
            [
                ("reasons", Code::Required),
                ("name", Code::TooLong),
                ("contact", Code::TooLong),
            ]
        );
        assert_eq!(errs[0].error.message, "纠错理由为空");

        let mut short = correction();
        short.reasons = "有误".into();
        short.contact = Some("138\n0000".into());
        let errs = short.validate().unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            got,
            [
                ("reasons", Code::TooShort),
                ("contact", Code::TextControlChar)
            ]
        );
        assert!(
            errs[0].error.message.contains("哪一处有误"),
            "{}",
            errs[0].error.message
        );

        let mut long = correction();
        long.reasons = "误".repeat(MAX_REASONS + 1);
        long.name = Some("李\u{202e}四".into());
        let got: Vec<_> = long
            .validate()
            .unwrap_err()
            .iter()
            .map(|e| (e.column, e.error.code))
            .collect();
        assert_eq!(
            got,
            [("reasons", Code::TooLong), ("name", Code::TextControlChar)]
        );
    }

    #[test]
    fn a_report_of_an_error_is_numbered_jc() {
        assert_eq!(tracking_no(d("2026-12-03"), 1), "JC20261203-0001");
        assert_eq!(tracking_no(d("2026-12-03"), 10000), "JC20261203-10000");
        let (kind, date, serial) =
            crate::case::complaint::parse_public_tracking_no(&tracking_no(d("2026-12-03"), 42))
                .unwrap();
        assert_eq!(
            (kind, date, serial),
            (CaseKind::Objection, d("2026-12-03"), 42)
        );
    }
}
