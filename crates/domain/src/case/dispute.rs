//! Disputes of an assessment result (考核结果异议, issue 12): closing an assessment period
//! publishes its results; within [`WINDOW_DAYS`] working days of that day (a case deadline the
//! credit office may change, `Deadlines::dispute_window_days`) a unit may dispute its own result,
//! naming the indicators it disputes and why. The credit office answers within [`ANSWER_DAYS`]
//! working days (`Deadlines::dispute_answer_days`) with written reasons: it keeps the result (维持原结果), or
//! corrects it (予以更正), which reopens the period so that the score can be changed and the
//! period closed again. One open dispute per unit and period. A dispute is internal: the unit and
//! the credit office read it, the public never does.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::assessment::{Period, PeriodKind};
use crate::calendar::Calendar;
use crate::catalog::Category;
use crate::error::{Code, DomainError, Result};
use crate::record::FieldError;
use crate::text::Lines;

use super::{
    ANYONE, APPLICANT, ASSIGNEE_OR_OFFICE, Assign, CaseAction, CaseKind, CaseRules, CaseState,
    Deadlines, Opening, Outcome, Parties, Party, SYSTEM, Step, deadline, decide,
};

/// Working days after publication (the day the period was closed) a unit may dispute its
/// result: the fifth working day is the last.
pub const WINDOW_DAYS: u32 = 5;
/// Working days the credit office has to answer a dispute, as for a repair decision.
pub const ANSWER_DAYS: u32 = 10;
/// The bounds of the reasons, as for an objection's.
pub const MIN_REASONS: usize = 10;
pub const MAX_REASONS: usize = super::MAX_STEP_TEXT;
/// The most indicators one dispute names (a set has a few dozen at most).
pub const MAX_INDICATORS: usize = 50;
/// The longest indicator code read (`D5.01`); a longer one cannot be a set's.
pub const MAX_INDICATOR_CODE: usize = 20;

/// The rules of disputes.
pub struct Dispute;

/// The table of steps: one row per (state, action) the design allows.
fn row(state: CaseState, action: &CaseAction) -> Option<(Step, Parties)> {
    use CaseAction as A;
    use CaseState as S;
    match (state, action) {
        // The case is always with the credit office: however the app names it, it answers.
        (S::Open, A::Maintain) => Some((Step::close(Outcome::Maintained), ASSIGNEE_OR_OFFICE)),
        (S::Open, A::Correct) => Some((Step::close(Outcome::Corrected), ASSIGNEE_OR_OFFICE)),
        (S::Open, A::Withdraw) => Some((Step::close(Outcome::Withdrawn), APPLICANT)),
        (S::Open, A::Comment) => Some((Step::stay(state), ANYONE)),
        // Late: flagged and counted, and it stays with the credit office, which owes the answer.
        (S::Open, A::Escalate) => Some((Step::escalate(state, Assign::Keep), SYSTEM)),
        _ => None,
    }
}

impl CaseRules for Dispute {
    fn kind(&self) -> CaseKind {
        CaseKind::Dispute
    }

    fn states(&self) -> &'static [CaseState] {
        &[CaseState::Open, CaseState::Closed]
    }

    /// With the credit office, for its answer's days (by default [`ANSWER_DAYS`]); no record,
    /// so no category.
    fn opening(&self, d: &Deadlines, _category: Option<&Category>) -> Opening {
        Opening {
            state: CaseState::Open,
            assign: Assign::CreditOffice,
            deadline_days: Some(d.dispute_answer_days),
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

/// The last day a result published on `published` may be disputed: the `days`-th working day
/// after it (by default [`WINDOW_DAYS`]; a working day, whatever day the period was closed on).
pub fn last_day(cal: &Calendar, published: NaiveDate, days: u32) -> Result<NaiveDate> {
    deadline(cal, published, days)
}

/// Whether a result published on `published` may still be disputed on `today`, `days` working
/// days being allowed: the last day when it may, `DISPUTE_WINDOW_CLOSED` once it has passed.
pub fn may_file(
    cal: &Calendar,
    published: NaiveDate,
    today: NaiveDate,
    days: u32,
) -> Result<NaiveDate> {
    let last = last_day(cal, published, days)?;
    if today > last {
        return Err(DomainError::new(
            Code::DisputeWindowClosed,
            format!(
                "考核结果于 {published} 公布，异议应在公布后 {days} 个工作日内（{last} 前）提出，已超过期限"
            ),
        ));
    }
    Ok(last)
}

/// What a dispute keeps in its case's detail: the period, the indicators disputed, the day the
/// result was published and the last day of the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeDetail {
    pub year: i32,
    pub period: PeriodKind,
    pub indicators: Vec<String>,
    pub published_on: NaiveDate,
    pub last_day: NaiveDate,
}

impl DisputeDetail {
    pub fn period(&self) -> Result<Period> {
        Period::new(self.year, self.period)
    }
}

/// A dispute as it arrives from the unit's page or the API: not yet trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisputeInput {
    /// The codes of the indicators disputed (`D1.01`).
    pub indicators: Vec<String>,
    /// Why the result is wrong, and on what evidence.
    pub reasons: String,
}

/// A dispute whose every field is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDispute {
    /// In the order of the indicator set, each once.
    pub indicators: Vec<String>,
    pub reasons: String,
}

impl DisputeInput {
    /// Validates every field against `known`, the codes of the period's indicator set in their
    /// order, and reports every fault at once, each with its field.
    pub fn validate(&self, known: &[&str]) -> std::result::Result<ValidDispute, Vec<FieldError>> {
        let mut errs = Vec::new();
        let codes: Vec<&str> = self
            .indicators
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        let mut indicators = Vec::new();
        if codes.is_empty() {
            errs.push(FieldError {
                column: "indicators",
                error: DomainError::new(Code::Required, "请选择有异议的指标"),
            });
        } else if self.indicators.len() > MAX_INDICATORS {
            errs.push(FieldError {
                column: "indicators",
                error: DomainError::new(
                    Code::TooLong,
                    format!("一次异议最多选择 {MAX_INDICATORS} 项指标"),
                ),
            });
        } else if let Some(unknown) = codes.iter().find(|c| !known.contains(c)) {
            let shown: String = unknown.chars().take(MAX_INDICATOR_CODE).collect();
            errs.push(FieldError {
                column: "indicators",
                error: DomainError::new(
                    Code::DisputeIndicatorUnknown,
                    format!("指标 {shown} 不在本期考核的指标体系中"),
                ),
            });
        } else {
            indicators = known
                .iter()
                .filter(|k| codes.contains(k))
                .map(|k| k.to_string())
                .collect();
        }
        let reasons = match super::complaint::text_field_hinted(
            &self.reasons,
            "异议理由",
            Lines::Multi,
            true,
            (MIN_REASONS, MAX_REASONS),
            "请写明哪一项得分有误、依据的材料是什么",
        ) {
            Ok(r) => r,
            Err(error) => {
                errs.push(FieldError {
                    column: "reasons",
                    error,
                });
                None
            }
        };
        match reasons {
            Some(reasons) if errs.is_empty() => Ok(ValidDispute {
                indicators,
                reasons,
            }),
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{DeadlineChange, rules};
    use chrono::TimeDelta;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn step(state: CaseState, action: CaseAction, party: Party) -> Result<Step> {
        Dispute.step(state, &action, party, &Deadlines::default())
    }

    #[test]
    fn the_window_and_the_answer_follow_the_case_deadlines_the_office_set() {
        let set = Deadlines {
            dispute_window_days: 3,
            dispute_answer_days: 7,
            ..Deadlines::default()
        };
        assert_eq!(
            rules(CaseKind::Dispute).opening(&set, None).deadline_days,
            Some(7)
        );
        // Published Wed 1 July 2026: three working days run to Mon 6 July.
        let cal = Calendar::official();
        assert!(may_file(&cal, d("2026-07-01"), d("2026-07-06"), 3).is_ok());
        let e = may_file(&cal, d("2026-07-01"), d("2026-07-07"), 3).unwrap_err();
        assert_eq!(e.code, Code::DisputeWindowClosed);
        assert!(
            e.message.contains("3 个工作日内（2026-07-06 前）"),
            "{}",
            e.message
        );
        assert!(set.validate().is_ok());
        let none = Deadlines {
            dispute_window_days: 0,
            ..Deadlines::default()
        };
        let errs = none.validate().unwrap_err();
        assert_eq!(errs[0].column, "dispute_window_days");
        assert!(errs[0].error.message.contains("考核结果异议提出期限"));
    }

    #[test]
    fn opens_with_the_credit_office_for_ten_working_days() {
        let o = rules(CaseKind::Dispute).opening(&Deadlines::default(), None);
        assert_eq!(
            (o.state, o.assign, o.deadline_days),
            (CaseState::Open, Assign::CreditOffice, Some(10))
        );
        // Filed Wed 30 September 2026: 1–7 October are 国庆节; the ten working days are
        // 8, 9, 10 (Saturday, worked), 12–16, 19, 20 October.
        let cal = Calendar::official();
        assert_eq!(
            o.deadline(&cal, d("2026-09-30")).unwrap(),
            Some(d("2026-10-20"))
        );
        assert_eq!(
            CaseKind::parse("assessment_dispute"),
            Some(CaseKind::Dispute)
        );
        assert_eq!(CaseKind::parse("考核结果异议"), Some(CaseKind::Dispute));
    }

    #[test]
    fn the_credit_office_maintains_or_corrects_with_reasons() {
        use CaseAction as A;
        for party in [Party::Assignee, Party::CreditOffice] {
            assert_eq!(
                step(CaseState::Open, A::Maintain, party).unwrap(),
                Step::close(Outcome::Maintained)
            );
            let s = step(CaseState::Open, A::Correct, party).unwrap();
            assert_eq!(
                (s.next, s.outcome, s.deadline),
                (
                    CaseState::Closed,
                    Some(Outcome::Corrected),
                    DeadlineChange::Clear
                )
            );
        }
        for party in [Party::Applicant, Party::Observer, Party::System] {
            for a in [A::Maintain, A::Correct] {
                let e = step(CaseState::Open, a, party).unwrap_err();
                assert_eq!(e.code, Code::Forbidden, "{party:?} {a:?}");
                assert!(e.message.contains("考核结果异议案件"), "{}", e.message);
            }
        }
        // Both answers owe the unit reasons.
        for a in [A::Maintain, A::Correct] {
            assert!(a.needs_text());
            assert_eq!(a.check_text(" ").unwrap_err().code, Code::Required);
        }
        assert_eq!(Outcome::parse("maintained"), Some(Outcome::Maintained));
        assert_eq!(Outcome::Corrected.label(), "予以更正");
    }

    #[test]
    fn the_unit_withdraws_anyone_comments_nothing_else() {
        use CaseAction as A;
        assert_eq!(
            step(CaseState::Open, A::Withdraw, Party::Applicant).unwrap(),
            Step::close(Outcome::Withdrawn)
        );
        assert_eq!(
            step(CaseState::Open, A::Withdraw, Party::CreditOffice)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        for p in [Party::Applicant, Party::Assignee, Party::CreditOffice] {
            assert_eq!(
                step(CaseState::Open, A::Comment, p).unwrap(),
                Step::stay(CaseState::Open)
            );
        }
        assert_eq!(
            step(CaseState::Open, A::Escalate, Party::System).unwrap(),
            Step::stay(CaseState::Open)
        );
        // Another kind's answers are not a dispute's.
        for a in [
            A::Uphold,
            A::Dismiss,
            A::Approve,
            A::File,
            A::Accept,
            A::Route,
        ] {
            assert_eq!(
                step(CaseState::Open, a, Party::CreditOffice)
                    .unwrap_err()
                    .code,
                Code::IllegalTransition,
                "{a:?}"
            );
        }
        for a in CaseAction::EXAMPLES {
            for p in Party::ALL {
                assert_eq!(
                    step(CaseState::Closed, a, p).unwrap_err().code,
                    Code::CaseClosed
                );
            }
        }
        assert_eq!(
            crate::case::available_actions(CaseKind::Dispute, CaseState::Open, Party::CreditOffice),
            [A::Comment, A::Maintain, A::Correct]
        );
        assert_eq!(
            crate::case::available_actions(CaseKind::Dispute, CaseState::Open, Party::Applicant),
            [A::Comment, A::Withdraw]
        );
    }

    #[test]
    fn the_window_is_five_working_days_from_publication() {
        let cal = Calendar::official();
        // Closed Wed 1 July 2026: Thu 2, Fri 3, Mon 6, Tue 7, Wed 8 July.
        assert_eq!(
            last_day(&cal, d("2026-07-01"), WINDOW_DAYS).unwrap(),
            d("2026-07-08")
        );
        assert_eq!(
            may_file(&cal, d("2026-07-01"), d("2026-07-01"), WINDOW_DAYS).unwrap(),
            d("2026-07-08")
        );
        assert!(may_file(&cal, d("2026-07-01"), d("2026-07-08"), WINDOW_DAYS).is_ok());
        let e = may_file(&cal, d("2026-07-01"), d("2026-07-09"), WINDOW_DAYS).unwrap_err();
        assert_eq!(e.code, Code::DisputeWindowClosed);
        assert_eq!(
            e.message,
            "考核结果于 2026-07-01 公布，异议应在公布后 5 个工作日内（2026-07-08 前）提出，已超过期限"
        );
        // Closed Wed 30 September 2026, before the National Day holiday (1–7 October): 8, 9,
        // 10 (Saturday, worked), 12, 13 October.
        assert_eq!(
            last_day(&cal, d("2026-09-30"), WINDOW_DAYS).unwrap(),
            d("2026-10-13")
        );
        // Closed on a Saturday off: the five working days are counted from the Monday on.
        assert_eq!(
            last_day(&cal, d("2026-07-04"), WINDOW_DAYS).unwrap(),
            d("2026-07-10")
        );
        // A year the calendar does not know cannot be counted.
        assert_eq!(
            last_day(&cal, d("2026-12-30"), WINDOW_DAYS)
                .unwrap_err()
                .code,
            Code::CalendarYearMissing
        );
    }

    proptest! {
        #[test]
        fn a_dispute_is_accepted_exactly_until_the_fifth_working_day(
            published in (0i64..700).prop_map(|i| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + TimeDelta::days(i)),
            later in 0i64..30,
        ) {
            let cal = Calendar::official();
            let last = last_day(&cal, published, WINDOW_DAYS).unwrap();
            prop_assert!(cal.is_working_day(last).unwrap());
            prop_assert_eq!(cal.working_days_between(published, last).unwrap(), i64::from(WINDOW_DAYS));
            // The last day is the first on which five working days have passed.
            let before = last.pred_opt().unwrap();
            prop_assert!(cal.working_days_between(published, before).unwrap() < i64::from(WINDOW_DAYS));
            let today = published + TimeDelta::days(later);
            match may_file(&cal, published, today, WINDOW_DAYS) {
                Ok(l) => {
                    prop_assert_eq!(l, last);
                    prop_assert!(today <= last);
                }
                Err(e) => {
                    prop_assert_eq!(e.code, Code::DisputeWindowClosed);
                    prop_assert!(today > last);
                }
            }
        }
    }

    const SET: [&str; 4] = ["D1.01", "D1.02", "D4.04", "D5.01"];

    #[test]
    fn a_good_dispute_names_indicators_of_the_set_once_in_its_order() {
        let v = DisputeInput {
            indicators: vec![" D5.01".into(), "D1.01".into(), "D5.01".into(), "".into()],
            reasons: "  D5.01 扣分所依据的记录已于 6 月撤销，不应计入。 ".into(),
        }
        .validate(&SET)
        .unwrap();
        assert_eq!(v.indicators, ["D1.01", "D5.01"]);
        assert_eq!(v.reasons, "D5.01 扣分所依据的记录已于 6 月撤销，不应计入。");
        let parsed: DisputeInput = serde_json::from_str(
            r#"{"indicators":["D4.04"],"reasons":"自评材料已提交但未被采纳"}"#,
        )
        .unwrap();
        assert!(parsed.validate(&SET).is_ok());
    }

    #[test]
    fn every_fault_of_a_dispute_at_once() {
        let errs = DisputeInput::default().validate(&SET).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            got,
            [("indicators", Code::Required), ("reasons", Code::Required)]
        );
        assert_eq!(errs[0].error.message, "请选择有异议的指标");

        let errs = DisputeInput {
            indicators: vec!["D9.99".into()],
            reasons: "有误".into(),
        }
        .validate(&SET)
        .unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            got,
            [
                ("indicators", Code::DisputeIndicatorUnknown),
                ("reasons", Code::TooShort)
            ]
        );
        assert_eq!(errs[0].error.message, "指标 D9.99 不在本期考核的指标体系中");
        assert!(errs[1].error.message.contains("依据的材料"));

        let errs = DisputeInput {
            indicators: vec!["D1.01".into(); MAX_INDICATORS + 1],
            reasons: "理".repeat(MAX_REASONS + 1),
        }
        .validate(&SET)
        .unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            got,
            [("indicators", Code::TooLong), ("reasons", Code::TooLong)]
        );
        let errs = DisputeInput {
            indicators: vec!["D1.01".into()],
            reasons: "得分有误\u{202e}请核实材料内容".into(),
        }
        .validate(&SET)
        .unwrap_err();
        assert_eq!(errs[0].error.code, Code::TextControlChar);
        // A very long unknown code is named shortened.
        let errs = DisputeInput {
            indicators: vec!["X".repeat(500)],
            reasons: "一二三四五六七八九十".into(),
        }
        .validate(&SET)
        .unwrap_err();
        assert!(errs[0].error.message.chars().count() < 60);
    }

    #[test]
    fn the_detail_reads_back() {
        let detail = DisputeDetail {
            year: 2026,
            period: PeriodKind::MidYear,
            indicators: vec!["D5.01".into()],
            published_on: d("2026-07-01"),
            last_day: d("2026-07-08"),
        };
        let json = serde_json::to_value(&detail).unwrap();
        assert_eq!(json["period"], "mid_year");
        assert_eq!(json["published_on"], "2026-07-01");
        let back: DisputeDetail = serde_json::from_value(json).unwrap();
        assert_eq!(back, detail);
        assert_eq!(back.period().unwrap().label(), "2026年年中检查");
    }
}
