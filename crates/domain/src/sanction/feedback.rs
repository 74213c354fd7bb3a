//! Feedback (反馈) on a credit check: the department that asked reports what it did with a
//! `restricted` answer: it applied the measures (已落实), or it did not, and why (未落实及原因).
//! One feedback per check; an `allowed` or `priority` answer has nothing to apply and takes none.
//! And what the credit office reads per department (`Tally`): restricted answers, feedback given,
//! applied and not applied, and the two rates.

use serde::Serialize;

use super::check::Decision;
use crate::error::{Code, DomainError, Result};
use crate::text::{Lines, check_text};

/// The longest reason (or note) a feedback may carry, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A department's feedback on one restricted answer, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    /// 已落实 (true) or 未落实 (false).
    pub applied: bool,
    /// 未落实原因 when not applied (required); a note on how it was applied otherwise (may be
    /// empty). Trimmed.
    pub reason: String,
}

impl Feedback {
    /// A feedback as the department gives it: the reason is required when the measures were not
    /// applied, running text without control characters, at most `MAX_REASON_CHARS`.
    pub fn new(applied: bool, reason: &str) -> Result<Feedback> {
        let reason = reason.trim();
        let field = if applied {
            "落实情况说明"
        } else {
            "未落实原因"
        };
        if reason.is_empty() && !applied {
            return Err(DomainError::new(
                Code::Required,
                "未落实的，请填写未落实原因",
            ));
        }
        check_text(reason, field, Lines::Multi)?;
        let n = reason.chars().count();
        if n > MAX_REASON_CHARS {
            return Err(DomainError::new(
                Code::TooLong,
                format!("{field}过长：{n} 个字符，最多 {MAX_REASON_CHARS} 个"),
            ));
        }
        Ok(Feedback {
            applied,
            reason: reason.to_string(),
        })
    }
}

/// Whether a check answered `decision`, with feedback `already` given or not, may take one.
pub fn admissible(decision: Decision, already: bool) -> Result<()> {
    if decision != Decision::Restricted {
        return Err(DomainError::new(
            Code::CheckNotRestricted,
            format!(
                "该次核查的结果为“{}”，没有需要落实的限制措施，无需反馈",
                decision.label()
            ),
        ));
    }
    if already {
        return Err(DomainError::new(
            Code::FeedbackExists,
            "该次核查已经反馈过落实情况，每次核查只能反馈一次",
        ));
    }
    Ok(())
}

// The decisions as the check log keeps them (`Decision::code`), read back; beside the feedback,
// whose lists filter and show the logged decisions.
impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Restricted, Decision::Priority, Decision::Allowed];

    /// Reads a decision's code or label; `None` for anything else.
    pub fn parse(s: &str) -> Option<Decision> {
        let t = s.trim();
        Decision::ALL
            .into_iter()
            .find(|d| d.code() == t || d.label() == t)
    }
}

/// Where a check stands on feedback, as the lists filter and show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackState {
    /// Restricted, no feedback yet (待反馈).
    Pending,
    /// Restricted, feedback given (已反馈): applied or not.
    Given,
    /// Feedback given: applied (已落实).
    Applied,
    /// Feedback given: not applied (未落实).
    NotApplied,
    /// Not restricted: nothing to report (无需反馈).
    NotNeeded,
}

impl FeedbackState {
    /// The states a list may be filtered by (`Given` covers the next two).
    pub const FILTERS: [FeedbackState; 5] = [
        FeedbackState::Pending,
        FeedbackState::Given,
        FeedbackState::Applied,
        FeedbackState::NotApplied,
        FeedbackState::NotNeeded,
    ];

    /// Where a check stands: its decision and its feedback's `applied`, if any.
    pub fn of(decision: Decision, applied: Option<bool>) -> FeedbackState {
        match (decision, applied) {
            (Decision::Restricted, None) => FeedbackState::Pending,
            (Decision::Restricted, Some(true)) => FeedbackState::Applied,
            (Decision::Restricted, Some(false)) => FeedbackState::NotApplied,
            _ => FeedbackState::NotNeeded,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            FeedbackState::Pending => "pending",
            FeedbackState::Given => "given",
            FeedbackState::Applied => "applied",
            FeedbackState::NotApplied => "not_applied",
            FeedbackState::NotNeeded => "not_needed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FeedbackState::Pending => "待反馈",
            FeedbackState::Given => "已反馈",
            FeedbackState::Applied => "已落实",
            FeedbackState::NotApplied => "未落实",
            FeedbackState::NotNeeded => "无需反馈",
        }
    }

    /// Reads a filter's code or label.
    pub fn parse(s: &str) -> Result<FeedbackState> {
        let t = s.trim();
        FeedbackState::FILTERS
            .into_iter()
            .find(|f| f.code() == t || f.label() == t)
            .ok_or_else(|| {
                DomainError::new(
                    Code::UnknownState,
                    format!(
                        "未知的反馈状态：{t}（应为 待反馈、已反馈、已落实、未落实 或 无需反馈）"
                    ),
                )
            })
    }
}

/// A share of a whole, e.g. feedback given of the restricted answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub part: u64,
    pub whole: u64,
}

impl Rate {
    /// `None` when there is no whole to take a share of.
    pub fn of(part: u64, whole: u64) -> Option<Rate> {
        (whole > 0).then_some(Rate { part, whole })
    }

    pub fn ratio(self) -> f64 {
        self.part as f64 / self.whole as f64
    }

    /// As officials write it: a percentage to one decimal, rounded half up (`66.7%`).
    pub fn percent_text(self) -> String {
        let tenths =
            (u128::from(self.part) * 1000 + u128::from(self.whole) / 2) / u128::from(self.whole);
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

/// One department's checks and the feedback on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Every check it asked.
    pub checks: u64,
    /// Those answered `restricted`.
    pub restricted: u64,
    /// Restricted answers with feedback.
    pub given: u64,
    /// Feedback: applied (已落实).
    pub applied: u64,
    /// Feedback: not applied (未落实).
    pub not_applied: u64,
}

impl Tally {
    /// Restricted answers still without feedback (待反馈).
    pub fn pending(&self) -> u64 {
        self.restricted.saturating_sub(self.given)
    }

    /// 反馈率: restricted answers with feedback, of all restricted answers.
    pub fn feedback_rate(&self) -> Option<Rate> {
        Rate::of(self.given, self.restricted)
    }

    /// 落实率: feedback saying the measures were applied, of all feedback given. (How many
    /// restricted answers were never reported on is the feedback rate's part.)
    pub fn applied_rate(&self) -> Option<Rate> {
        Rate::of(self.applied, self.given)
    }

    /// The two tallies together (a district's total).
    pub fn plus(self, o: Tally) -> Tally {
        Tally {
            checks: self.checks + o.checks,
            restricted: self.restricted + o.restricted,
            given: self.given + o.given,
            applied: self.applied + o.applied,
            not_applied: self.not_applied + o.not_applied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn applied_needs_no_reason_but_not_applied_does() {
        let f = Feedback::new(true, "  ").unwrap();
        assert!(f.applied && f.reason.is_empty());
        let e = Feedback::new(false, " \n ").unwrap_err();
        assert_eq!(e.code, Code::Required);
        assert!(e.message.contains("未落实原因"), "{}", e.message);
        let f = Feedback::new(false, "  评选已于核查前结束，未及落实  ").unwrap();
        assert_eq!(f.reason, "评选已于核查前结束，未及落实");
    }

    #[test]
    fn a_reason_is_bounded_and_free_of_control_characters() {
        let long = "因".repeat(MAX_REASON_CHARS + 1);
        let e = Feedback::new(false, &long).unwrap_err();
        assert_eq!(e.code, Code::TooLong);
        assert!(Feedback::new(false, &"因".repeat(MAX_REASON_CHARS)).is_ok());
        let e = Feedback::new(false, "原因\u{202e}说明").unwrap_err();
        assert_eq!(e.code, Code::TextControlChar);
        assert!(
            Feedback::new(false, "第一行\n第二行").is_ok(),
            "running text"
        );
    }

    #[test]
    fn only_a_restricted_answer_takes_feedback_and_only_once() {
        assert!(admissible(Decision::Restricted, false).is_ok());
        assert_eq!(
            admissible(Decision::Restricted, true).unwrap_err().code,
            Code::FeedbackExists
        );
        for d in [Decision::Allowed, Decision::Priority] {
            let e = admissible(d, false).unwrap_err();
            assert_eq!(e.code, Code::CheckNotRestricted);
            assert!(e.message.contains(d.label()), "{}", e.message);
        }
    }

    #[test]
    fn decisions_read_back_from_their_codes_and_labels() {
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.code()), Some(d));
            assert_eq!(Decision::parse(d.label()), Some(d));
        }
        assert_eq!(Decision::parse("denied"), None);
    }

    #[test]
    fn a_checks_state_follows_its_decision_and_feedback() {
        use FeedbackState::*;
        assert_eq!(FeedbackState::of(Decision::Restricted, None), Pending);
        assert_eq!(FeedbackState::of(Decision::Restricted, Some(true)), Applied);
        assert_eq!(
            FeedbackState::of(Decision::Restricted, Some(false)),
            NotApplied
        );
        assert_eq!(FeedbackState::of(Decision::Allowed, None), NotNeeded);
        assert_eq!(FeedbackState::of(Decision::Priority, None), NotNeeded);
        for f in FeedbackState::FILTERS {
            assert_eq!(FeedbackState::parse(f.code()).unwrap(), f);
            assert_eq!(FeedbackState::parse(f.label()).unwrap(), f);
        }
        assert_eq!(
            FeedbackState::parse("done").unwrap_err().code,
            Code::UnknownState
        );
    }

    #[test]
    fn rates_are_shares_of_their_wholes() {
        let t = Tally {
            checks: 7,
            restricted: 3,
            given: 2,
            applied: 1,
            not_applied: 1,
        };
        assert_eq!(t.pending(), 1);
        assert_eq!(t.feedback_rate().unwrap().percent_text(), "66.7%");
        assert_eq!(t.applied_rate().unwrap().percent_text(), "50.0%");
        let none = Tally {
            checks: 4,
            ..Tally::default()
        };
        assert_eq!(none.feedback_rate(), None);
        assert_eq!(none.applied_rate(), None);
        assert_eq!(Rate::of(1, 1).unwrap().percent_text(), "100.0%");
        assert_eq!(Rate::of(1, 8).unwrap().percent_text(), "12.5%");
        assert_eq!(Rate::of(0, 3).unwrap().percent_text(), "0.0%");
        assert_eq!(t.plus(none).checks, 11);
    }

    proptest! {
        #[test]
        fn a_percentage_is_the_ratio_rounded_to_a_tenth(part in 0u64..10_000, extra in 0u64..10_000) {
            let whole = part + extra + 1;
            let r = Rate::of(part, whole).unwrap();
            let text = r.percent_text();
            let shown: f64 = text.trim_end_matches('%').parse().unwrap();
            prop_assert!((shown - r.ratio() * 100.0).abs() <= 0.05 + 1e-9, "{} {}", text, r.ratio());
            prop_assert!((0.0..=100.0).contains(&shown));
        }
    }
}
