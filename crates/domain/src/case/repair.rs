//! Credit repair (信用修复) under NDRC Order No. 36 (《信用修复管理办法》, in force 2026-04-01): the
//! subject of a dishonest record applies once the conduct is corrected, with its obligations
//! fulfilled and a signed 信用承诺书. The domain checks the category's conditions before anything
//! is written ([`eligibility`], [`may_repair`], [`RepairApplication::validate`]); the credit
//! office decides within its deadline, asking the deciding authority (决定机关) when it needs to.
//! An approved repair sets the record `repaired`: disclosure and sharing stop at once.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, RecordKind, Severity};
use crate::date::{add_months, format_date};
use crate::error::{Code, DomainError, Result};
use crate::record::{FieldError, RecordState};
use crate::subject::SubjectKind;
use crate::text::{Lines, check_text};

use super::{
    ANYONE, APPLICANT, ASSIGNEE_OR_OFFICE, Assign, CaseAction, CaseKind, CaseRules, CaseState,
    Deadlines, Opening, Outcome, Parties, Party, SYSTEM, Step, decide,
};

/// The rules of credit repair.
pub struct Repair;

/// The table of steps: one row per (state, action) the design allows.
fn row(state: CaseState, action: &CaseAction, d: &Deadlines) -> Option<(Step, Parties)> {
    use CaseAction as A;
    use CaseState as S;
    match (state, action) {
        (S::Open, A::Consult) => Some((
            Step::to(S::Consulting, Assign::Authority, d.repair_consult_days),
            ASSIGNEE_OR_OFFICE,
        )),
        // The authority answers on the platform, or the credit office records the answer it
        // received on paper (a court has no account here); the decision's clock starts again.
        (S::Consulting, A::Reply) => Some((
            Step::to(S::Open, Assign::CreditOffice, d.repair_decision_days),
            ASSIGNEE_OR_OFFICE,
        )),
        (S::Open, A::Approve) => Some((Step::close(Outcome::Approved), ASSIGNEE_OR_OFFICE)),
        (S::Open, A::Reject) => Some((Step::close(Outcome::Rejected), ASSIGNEE_OR_OFFICE)),
        (S::Open | S::Consulting, A::Withdraw) => {
            Some((Step::close(Outcome::Withdrawn), APPLICANT))
        }
        (S::Open | S::Consulting, A::Comment) => Some((Step::stay(state), ANYONE)),
        (S::Open | S::Consulting, A::Escalate) => {
            Some((Step::escalate(state, Assign::CreditOffice), SYSTEM))
        }
        _ => None,
    }
}

impl CaseRules for Repair {
    fn kind(&self) -> CaseKind {
        CaseKind::Repair
    }

    fn states(&self) -> &'static [CaseState] {
        &[CaseState::Open, CaseState::Consulting, CaseState::Closed]
    }

    fn opening(&self, d: &Deadlines, _category: Option<&Category>) -> Opening {
        Opening {
            state: CaseState::Open,
            assign: Assign::CreditOffice,
            deadline_days: Some(d.repair_decision_days),
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

/// "3个月", "1年": a period as the rules write it.
fn period(months: u32) -> String {
    if months > 0 && months.is_multiple_of(12) {
        format!("{}年", months / 12)
    } else {
        format!("{months}个月")
    }
}

/// Whether a record of `category` and `severity`, decided on `decided_on`, may be repaired on
/// `today`: the category must allow repair (a trustworthy record needs none), and the minimum
/// disclosure period of its severity must have passed (一般 3 months, 严重 1 year from the
/// decision; 轻微 at once, the obligations met). The day the period ends is the first day to
/// apply. A record without a severity takes its category's default.
pub fn eligibility(
    category: &Category,
    severity: Option<Severity>,
    decided_on: NaiveDate,
    today: NaiveDate,
    d: &Deadlines,
) -> Result<()> {
    if category.kind == RecordKind::Trustworthy {
        return Err(DomainError::new(
            Code::RepairNotRepairable,
            format!("“{}”是守信信息，无需信用修复", category.name),
        ));
    }
    if !category.repairable {
        return Err(DomainError::new(
            Code::RepairNotRepairable,
            format!("“{}”类失信信息不可申请信用修复", category.name),
        ));
    }
    let severity = severity.or(category.default_severity);
    let months = d.repair_min_months(severity);
    let earliest = add_months(decided_on, months);
    if today >= earliest {
        return Ok(());
    }
    let label = severity.unwrap_or(Severity::Ordinary).label();
    let rule = if months == 0 {
        format!("{label}失信信息自决定之日起即可申请信用修复")
    } else {
        format!("{label}失信信息公示满{}后方可申请信用修复", period(months))
    };
    Err(DomainError::new(
        Code::RepairTooEarly,
        format!(
            "{rule}（决定日期 {}），可申请日期：{}",
            format_date(decided_on),
            format_date(earliest)
        ),
    ))
}

/// Whether a record in `state` may be repaired: only an active record. An objected record waits
/// for its objection; a repaired, expired or revoked one is already out of public view.
pub fn may_repair(state: RecordState) -> Result<()> {
    match state {
        RecordState::Active => Ok(()),
        RecordState::Objected => Err(DomainError::new(
            Code::RepairNotRepairable,
            "该记录正在异议处理中，异议办结后方可申请信用修复",
        )),
        other => Err(DomainError::new(
            Code::RepairNotRepairable,
            format!(
                "记录当前状态为“{}”，不能申请信用修复：只能修复已生效的失信记录",
                other.label()
            ),
        )),
    }
}

/// The most characters of a repair application's statement (修复申请说明).
pub const MAX_REPAIR_STATEMENT: usize = 2000;

/// What the subject declares when it applies; proof comes as attachments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepairApplication {
    /// The 信用承诺书 is signed (and will be made public with the repair).
    pub commitment_signed: bool,
    /// The obligations the decision imposed are fulfilled (履行法定义务).
    pub obligations_fulfilled: bool,
    /// How the conduct was corrected and the obligations fulfilled.
    pub statement: String,
}

impl RepairApplication {
    /// Every fault at once, each with its field, so that the applicant fixes the form once;
    /// the application with its statement trimmed otherwise.
    pub fn validate(&self) -> std::result::Result<RepairApplication, Vec<FieldError>> {
        let mut errs = Vec::new();
        if !self.commitment_signed {
            errs.push(FieldError {
                column: "commitment_signed",
                error: DomainError::new(
                    Code::RepairCommitmentMissing,
                    "申请信用修复须签署信用承诺书",
                ),
            });
        }
        if !self.obligations_fulfilled {
            errs.push(FieldError {
                column: "obligations_fulfilled",
                error: DomainError::new(
                    Code::RepairObligationsUnmet,
                    "申请信用修复须已履行决定所确定的义务",
                ),
            });
        }
        let statement = self.statement.trim();
        let n = statement.chars().count();
        let fault = if let Err(e) = check_text(statement, "修复申请说明", Lines::Multi) {
            Some(e)
        } else if statement.is_empty() {
            Some(DomainError::new(
                Code::Required,
                "请填写修复申请说明：纠正失信行为、履行义务的情况",
            ))
        } else if n > MAX_REPAIR_STATEMENT {
            Some(DomainError::new(
                Code::TooLong,
                format!("修复申请说明过长：{n} 个字符，最多 {MAX_REPAIR_STATEMENT} 个"),
            ))
        } else {
            None
        };
        if let Some(error) = fault {
            errs.push(FieldError {
                column: "statement",
                error,
            });
        }
        if errs.is_empty() {
            Ok(RepairApplication {
                statement: statement.to_string(),
                ..self.clone()
            })
        } else {
            Err(errs)
        }
    }
}

/// What an approved repair may grant a civil servant besides repair (从轻或免于惩戒), when the
/// loss was made good and the harm removed; recorded on the record for the sanctions rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leniency {
    /// 从轻惩戒.
    Lighter,
    /// 免于惩戒.
    Exempt,
}

impl Leniency {
    pub fn code(self) -> &'static str {
        match self {
            Leniency::Lighter => "lighter",
            Leniency::Exempt => "exempt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Leniency::Lighter => "从轻惩戒",
            Leniency::Exempt => "免于惩戒",
        }
    }

    pub fn parse(s: &str) -> Option<Leniency> {
        let t = s.trim();
        [Leniency::Lighter, Leniency::Exempt]
            .into_iter()
            .find(|v| v.code() == t || v.label() == t)
    }

    /// Leniency is for a person (公务员) in an approved repair; a unit's repair only ends
    /// disclosure.
    pub fn check(self, subject: SubjectKind, outcome: Outcome) -> Result<()> {
        if subject != SubjectKind::CivilServant {
            return Err(DomainError::new(
                Code::LeniencyNotApplicable,
                format!(
                    "{}只适用于公务员，不适用于{}",
                    self.label(),
                    subject.label()
                ),
            ));
        }
        if outcome != Outcome::Approved {
            return Err(DomainError::new(
                Code::IllegalTransition,
                format!("只有准予修复时才能决定{}", self.label()),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::case::{DeadlineChange, rules};
    use crate::catalog::default_catalog;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn category(code: &str) -> Category {
        default_catalog()
            .into_iter()
            .find(|c| c.code == code)
            .unwrap()
    }

    fn step(state: CaseState, action: CaseAction, party: Party) -> Result<Step> {
        Repair.step(state, &action, party, &Deadlines::default())
    }

    #[test]
    fn the_credit_office_decides_within_ten_working_days() {
        let o = rules(CaseKind::Repair).opening(&Deadlines::default(), None);
        assert_eq!(
            (o.state, o.assign, o.deadline_days),
            (CaseState::Open, Assign::CreditOffice, Some(10))
        );
        // Applied for on Fri 13 February 2026, before the Spring Festival: Sat 14 is worked,
        // 15–23 are off, then 24, 25, 26, 27, Sat 28 (worked), 2, 3, 4, 5 March.
        let cal = Calendar::official();
        assert_eq!(
            o.deadline(&cal, d("2026-02-13")).unwrap(),
            Some(d("2026-03-05"))
        );
    }

    #[test]
    fn consulting_the_authority_and_its_reply() {
        use CaseAction as A;
        let s = step(CaseState::Open, A::Consult, Party::CreditOffice).unwrap();
        assert_eq!(s, Step::to(CaseState::Consulting, Assign::Authority, 3));
        assert_eq!(
            step(CaseState::Open, A::Consult, Party::Applicant)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        for party in [Party::Assignee, Party::CreditOffice] {
            let s = step(CaseState::Consulting, A::Reply, party).unwrap();
            assert_eq!(
                (s.next, s.assign, s.deadline),
                (
                    CaseState::Open,
                    Assign::CreditOffice,
                    DeadlineChange::Restart(10)
                )
            );
        }
        assert_eq!(
            step(CaseState::Consulting, A::Reply, Party::Applicant)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        // The decision waits for the authority's opinion.
        assert_eq!(
            step(CaseState::Consulting, A::Approve, Party::CreditOffice)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert_eq!(
            step(CaseState::Open, A::Reply, Party::Assignee)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
    }

    #[test]
    fn decisions_withdrawal_comments_and_escalation() {
        use CaseAction as A;
        assert_eq!(
            step(CaseState::Open, A::Approve, Party::CreditOffice).unwrap(),
            Step::close(Outcome::Approved)
        );
        assert_eq!(
            step(CaseState::Open, A::Reject, Party::CreditOffice).unwrap(),
            Step::close(Outcome::Rejected)
        );
        assert_eq!(
            step(CaseState::Open, A::Approve, Party::Applicant)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        for state in [CaseState::Open, CaseState::Consulting] {
            assert_eq!(
                step(state, A::Withdraw, Party::Applicant).unwrap(),
                Step::close(Outcome::Withdrawn)
            );
            assert_eq!(
                step(state, A::Comment, Party::Applicant).unwrap(),
                Step::stay(state)
            );
            let s = step(state, A::Escalate, Party::System).unwrap();
            assert_eq!((s.next, s.assign), (state, Assign::CreditOffice));
        }
        for a in CaseAction::EXAMPLES {
            assert_eq!(
                step(CaseState::Closed, a, Party::CreditOffice)
                    .unwrap_err()
                    .code,
                Code::CaseClosed
            );
        }
        assert_eq!(
            step(CaseState::Open, A::Route, Party::CreditOffice)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
    }

    #[test]
    fn the_minimum_period_ends_on_its_day() {
        let dl = Deadlines::default();
        let cat = category("PROCUREMENT_BREACH");
        let ordinary = Some(Severity::Ordinary);
        let e = eligibility(&cat, ordinary, d("2026-01-15"), d("2026-04-14"), &dl).unwrap_err();
        assert_eq!(e.code, Code::RepairTooEarly);
        assert_eq!(
            e.message,
            "一般失信信息公示满3个月后方可申请信用修复（决定日期 2026-01-15），可申请日期：2026-04-15"
        );
        assert!(eligibility(&cat, ordinary, d("2026-01-15"), d("2026-04-15"), &dl).is_ok());
        // The end of a short month.
        let e = eligibility(&cat, ordinary, d("2025-11-30"), d("2026-02-27"), &dl).unwrap_err();
        assert!(e.message.ends_with("2026-02-28"), "{}", e.message);
        assert!(eligibility(&cat, ordinary, d("2025-11-30"), d("2026-02-28"), &dl).is_ok());

        let grave = Some(Severity::Grave);
        let e = eligibility(&cat, grave, d("2025-02-28"), d("2026-02-27"), &dl).unwrap_err();
        assert!(
            e.message
                .starts_with("严重失信信息公示满1年后方可申请信用修复"),
            "{}",
            e.message
        );
        assert!(e.message.contains("可申请日期：2026-02-28"));
        assert!(eligibility(&cat, grave, d("2025-02-28"), d("2026-02-28"), &dl).is_ok());

        // Minor: at once, on the decision day itself.
        let minor = Some(Severity::Minor);
        assert!(eligibility(&cat, minor, d("2026-03-02"), d("2026-03-02"), &dl).is_ok());
        assert_eq!(
            eligibility(&cat, minor, d("2026-03-02"), d("2026-03-01"), &dl)
                .unwrap_err()
                .code,
            Code::RepairTooEarly
        );
        // Without a severity, the category's default: 失信被执行人 is grave.
        let defaulter = category("JUDGMENT_DEFAULTER");
        assert_eq!(
            eligibility(&defaulter, None, d("2026-01-05"), d("2026-10-05"), &dl)
                .unwrap_err()
                .code,
            Code::RepairTooEarly
        );
        // The periods are data.
        let custom = Deadlines {
            repair_ordinary_months: 6,
            ..Deadlines::default()
        };
        let e = eligibility(&cat, ordinary, d("2026-01-15"), d("2026-04-15"), &custom).unwrap_err();
        assert!(e.message.contains("满6个月"), "{}", e.message);
    }

    #[test]
    fn categories_that_cannot_be_repaired() {
        let dl = Deadlines::default();
        let e = eligibility(
            &category("HONOUR"),
            None,
            d("2025-01-01"),
            d("2026-06-01"),
            &dl,
        )
        .unwrap_err();
        assert_eq!(e.code, Code::RepairNotRepairable);
        assert!(e.message.contains("表彰奖励"), "{}", e.message);
        let mut cat = category("DEBT_DEFAULT");
        cat.repairable = false;
        let e = eligibility(&cat, None, d("2020-01-01"), d("2026-06-01"), &dl).unwrap_err();
        assert_eq!(e.code, Code::RepairNotRepairable);
        assert_eq!(
            e.message,
            "“政府债务违约或违规举债”类失信信息不可申请信用修复"
        );
    }

    #[test]
    fn only_an_active_record_is_repaired() {
        assert!(may_repair(RecordState::Active).is_ok());
        for s in RecordState::ALL
            .into_iter()
            .filter(|s| *s != RecordState::Active)
        {
            assert_eq!(may_repair(s).unwrap_err().code, Code::RepairNotRepairable);
        }
        assert!(
            may_repair(RecordState::Objected)
                .unwrap_err()
                .message
                .contains("异议")
        );
    }

    #[test]
    fn an_application_lists_every_fault() {
        let errs = RepairApplication::default().validate().unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            got,
            [
                ("commitment_signed", Code::RepairCommitmentMissing),
                ("obligations_fulfilled", Code::RepairObligationsUnmet),
                ("statement", Code::Required),
            ]
        );
        let good = RepairApplication {
            commitment_signed: true,
            obligations_fulfilled: true,
            statement: "  已足额支付拖欠款项及利息。\n附付款凭证。 ".into(),
        };
        assert_eq!(
            good.validate().unwrap().statement,
            "已足额支付拖欠款项及利息。\n附付款凭证。"
        );
        let long = RepairApplication {
            statement: "款".repeat(MAX_REPAIR_STATEMENT + 1),
            ..good.clone()
        };
        assert_eq!(long.validate().unwrap_err()[0].error.code, Code::TooLong);
        let stray = RepairApplication {
            statement: "已支付\0".into(),
            ..good
        };
        assert_eq!(
            stray.validate().unwrap_err()[0].error.code,
            Code::TextControlChar
        );
        assert!(serde_json::from_str::<RepairApplication>(r#"{"commitment":true}"#).is_err());
    }

    #[test]
    fn leniency_only_for_a_civil_servant_repaired() {
        assert!(
            Leniency::Exempt
                .check(SubjectKind::CivilServant, Outcome::Approved)
                .is_ok()
        );
        assert_eq!(
            Leniency::Lighter
                .check(SubjectKind::Department, Outcome::Approved)
                .unwrap_err()
                .code,
            Code::LeniencyNotApplicable
        );
        assert_eq!(
            Leniency::Exempt
                .check(SubjectKind::CivilServant, Outcome::Rejected)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert_eq!(Leniency::parse("免于惩戒"), Some(Leniency::Exempt));
    }
}
