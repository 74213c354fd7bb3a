//! The case engine (案件): what objections (异议), credit repair (信用修复), rectification (整改),
//! complaints (投诉举报) and disputes of an assessment result (考核结果异议) share. A case has a state, an assignee (a unit or the credit office)
//! and a deadline in working days; every kind is one module with its table of steps behind
//! [`CaseRules`], like `record::transition`: a step is the next state, the outcome when it closes
//! the case, where the case goes and what happens to its deadline, or a typed refusal.
//!
//! Pure: the app decides which [`Party`] an account is in a case, passes `today`, and writes the
//! step, its history entry and its journal entry in one unit of work.

pub mod complaint;
pub mod dispute;
pub mod objection;
pub mod rectification;
pub mod repair;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::catalog::{Category, Severity};
use crate::error::{Code, DomainError, Result};
use crate::record::FieldError;
use crate::text::{Lines, check_text};

/// The kinds of case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Objection,
    Repair,
    Rectification,
    Complaint,
    /// 考核结果异议: a unit disputes its result in a closed assessment period.
    Dispute,
}

impl CaseKind {
    pub const ALL: [CaseKind; 5] = [
        CaseKind::Objection,
        CaseKind::Repair,
        CaseKind::Rectification,
        CaseKind::Complaint,
        CaseKind::Dispute,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CaseKind::Objection => "objection",
            CaseKind::Repair => "repair",
            CaseKind::Rectification => "rectification",
            CaseKind::Complaint => "complaint",
            CaseKind::Dispute => "assessment_dispute",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseKind::Objection => "异议",
            CaseKind::Repair => "信用修复",
            CaseKind::Rectification => "整改",
            CaseKind::Complaint => "投诉举报",
            CaseKind::Dispute => "考核结果异议",
        }
    }

    /// The kind from its code or its label.
    pub fn parse(s: &str) -> Option<CaseKind> {
        let t = s.trim();
        CaseKind::ALL
            .into_iter()
            .find(|k| k.code() == t || k.label() == t)
    }
}

/// Where a case is. Each kind uses some of these ([`CaseRules::states`]); `Closed` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 待处理: waiting for the first answer, decision or routing.
    Open,
    /// 征求决定机关意见: a repair waits for the deciding authority's opinion.
    Consulting,
    /// 办理中: a complaint is with the responsible unit.
    Assigned,
    /// 待审核: a rectification report waits for the credit office's review.
    Filed,
    /// 已答复: a complaint has the unit's answer; the credit office closes it.
    Answered,
    /// 已办结.
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 6] = [
        CaseState::Open,
        CaseState::Consulting,
        CaseState::Assigned,
        CaseState::Filed,
        CaseState::Answered,
        CaseState::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CaseState::Open => "open",
            CaseState::Consulting => "consulting",
            CaseState::Assigned => "assigned",
            CaseState::Filed => "filed",
            CaseState::Answered => "answered",
            CaseState::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseState::Open => "待处理",
            CaseState::Consulting => "征求决定机关意见",
            CaseState::Assigned => "办理中",
            CaseState::Filed => "待审核",
            CaseState::Answered => "已答复",
            CaseState::Closed => "已办结",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        let t = s.trim();
        CaseState::ALL
            .into_iter()
            .find(|v| v.code() == t || v.label() == t)
    }

    pub fn is_closed(self) -> bool {
        self == CaseState::Closed
    }
}

/// How a case ended. Every closed case has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 异议成立: the record is corrected or revoked.
    Upheld,
    /// 异议不成立: the record stands, with written reasons.
    Dismissed,
    /// 准予修复: the record becomes `repaired` and leaves public view.
    Approved,
    /// 不予修复.
    Rejected,
    /// 整改通过.
    Accepted,
    /// 投诉属实.
    Founded,
    /// 部分属实.
    PartlyFounded,
    /// 投诉不属实.
    Unfounded,
    /// 已撤回 by the applicant.
    Withdrawn,
    /// 整改终结: the record a rectification was owed for left force (revoked, repaired).
    Lapsed,
    /// 维持原结果: a disputed assessment result stands, with written reasons.
    Maintained,
    /// 予以更正: a disputed assessment result is corrected (its period is reopened).
    Corrected,
}

impl Outcome {
    pub const ALL: [Outcome; 12] = [
        Outcome::Upheld,
        Outcome::Dismissed,
        Outcome::Approved,
        Outcome::Rejected,
        Outcome::Accepted,
        Outcome::Founded,
        Outcome::PartlyFounded,
        Outcome::Unfounded,
        Outcome::Withdrawn,
        Outcome::Lapsed,
        Outcome::Maintained,
        Outcome::Corrected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::Dismissed => "dismissed",
            Outcome::Approved => "approved",
            Outcome::Rejected => "rejected",
            Outcome::Accepted => "accepted",
            Outcome::Founded => "founded",
            Outcome::PartlyFounded => "partly_founded",
            Outcome::Unfounded => "unfounded",
            Outcome::Withdrawn => "withdrawn",
            Outcome::Lapsed => "lapsed",
            Outcome::Maintained => "maintained",
            Outcome::Corrected => "corrected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Upheld => "异议成立",
            Outcome::Dismissed => "异议不成立",
            Outcome::Approved => "准予修复",
            Outcome::Rejected => "不予修复",
            Outcome::Accepted => "整改通过",
            Outcome::Founded => "投诉属实",
            Outcome::PartlyFounded => "部分属实",
            Outcome::Unfounded => "投诉不属实",
            Outcome::Withdrawn => "已撤回",
            Outcome::Lapsed => "整改终结",
            Outcome::Maintained => "维持原结果",
            Outcome::Corrected => "予以更正",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        let t = s.trim();
        Outcome::ALL
            .into_iter()
            .find(|v| v.code() == t || v.label() == t)
    }
}

/// Who acts, relative to the case. The app decides which party an account is: `Applicant` for
/// whoever opened it (a unit, or a complainant holding the tracking number and its code);
/// `Assignee` for the unit the case is assigned to, the credit office included when the case is
/// with it; `CreditOffice` for the credit office otherwise; `System` for the deadline scheduler.
/// Steps that belong to the credit office in a state where the case is always with it accept
/// `Assignee` as well, so either answer is right there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Applicant,
    Assignee,
    CreditOffice,
    System,
    /// A unit that reads the case without a part in it: one that held it before (a complaint's
    /// former handler), or the unit a record's case is about when another opened it. It takes
    /// no step.
    Observer,
}

impl Party {
    pub const ALL: [Party; 5] = [
        Party::Applicant,
        Party::Assignee,
        Party::CreditOffice,
        Party::System,
        Party::Observer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Party::Applicant => "applicant",
            Party::Assignee => "assignee",
            Party::CreditOffice => "credit_office",
            Party::System => "system",
            Party::Observer => "observer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Party::Applicant => "申请人",
            Party::Assignee => "承办单位",
            Party::CreditOffice => "信用办",
            Party::System => "系统",
            Party::Observer => "相关单位",
        }
    }
}

/// What the unit (or the credit office) found when it answered a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    Founded,
    PartlyFounded,
    Unfounded,
}

impl Finding {
    pub const ALL: [Finding; 3] = [Finding::Founded, Finding::PartlyFounded, Finding::Unfounded];

    pub fn code(self) -> &'static str {
        match self {
            Finding::Founded => "founded",
            Finding::PartlyFounded => "partly_founded",
            Finding::Unfounded => "unfounded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Finding::Founded => "属实",
            Finding::PartlyFounded => "部分属实",
            Finding::Unfounded => "不属实",
        }
    }

    pub fn parse(s: &str) -> Option<Finding> {
        let t = s.trim();
        Finding::ALL
            .into_iter()
            .find(|v| v.code() == t || v.label() == t)
    }

    /// The outcome a complaint closed on this finding has.
    pub fn outcome(self) -> Outcome {
        match self {
            Finding::Founded => Outcome::Founded,
            Finding::PartlyFounded => Outcome::PartlyFounded,
            Finding::Unfounded => Outcome::Unfounded,
        }
    }
}

/// One thing a party does on a case. `Answer` carries the complaint's finding; `Close` carries
/// the finding the complaint is closed on (the app passes the last answer's, or the credit
/// office's own), so that a step needs nothing but its arguments; `Rate` carries the stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseAction {
    Comment,
    Withdraw,
    Uphold,
    Dismiss,
    Consult,
    Reply,
    Approve,
    Reject,
    File,
    Accept,
    Return,
    Route,
    Answer(Finding),
    Close(Finding),
    Rate(u8),
    Escalate,
    /// The system ends a case whose record left force (a rectification of a revoked or
    /// repaired record).
    Lapse,
    /// The credit office keeps a disputed assessment result (维持).
    Maintain,
    /// The credit office corrects a disputed assessment result (更正): the period reopens.
    Correct,
}

/// The most characters the text of a step (a reason, an answer, a comment) may have.
pub const MAX_STEP_TEXT: usize = 2000;

impl CaseAction {
    /// Every action once, with a representative argument: for the pages' buttons and the tests.
    pub const EXAMPLES: [CaseAction; 19] = [
        CaseAction::Comment,
        CaseAction::Withdraw,
        CaseAction::Uphold,
        CaseAction::Dismiss,
        CaseAction::Consult,
        CaseAction::Reply,
        CaseAction::Approve,
        CaseAction::Reject,
        CaseAction::File,
        CaseAction::Accept,
        CaseAction::Return,
        CaseAction::Route,
        CaseAction::Answer(Finding::Founded),
        CaseAction::Close(Finding::Founded),
        CaseAction::Rate(5),
        CaseAction::Escalate,
        CaseAction::Lapse,
        CaseAction::Maintain,
        CaseAction::Correct,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CaseAction::Comment => "comment",
            CaseAction::Withdraw => "withdraw",
            CaseAction::Uphold => "uphold",
            CaseAction::Dismiss => "dismiss",
            CaseAction::Consult => "consult",
            CaseAction::Reply => "reply",
            CaseAction::Approve => "approve",
            CaseAction::Reject => "reject",
            CaseAction::File => "file",
            CaseAction::Accept => "accept",
            CaseAction::Return => "return",
            CaseAction::Route => "route",
            CaseAction::Answer(_) => "answer",
            CaseAction::Close(_) => "close",
            CaseAction::Rate(_) => "rate",
            CaseAction::Escalate => "escalate",
            CaseAction::Lapse => "lapse",
            CaseAction::Maintain => "maintain",
            CaseAction::Correct => "correct",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseAction::Comment => "留言",
            CaseAction::Withdraw => "撤回",
            CaseAction::Uphold => "异议成立",
            CaseAction::Dismiss => "驳回异议",
            CaseAction::Consult => "征求决定机关意见",
            CaseAction::Reply => "回复意见",
            CaseAction::Approve => "准予修复",
            CaseAction::Reject => "不予修复",
            CaseAction::File => "提交说明和整改报告",
            CaseAction::Accept => "整改通过",
            CaseAction::Return => "退回整改",
            CaseAction::Route => "转办",
            CaseAction::Answer(_) => "答复",
            CaseAction::Close(_) => "办结",
            CaseAction::Rate(_) => "评价",
            CaseAction::Escalate => "逾期督办",
            CaseAction::Lapse => "终结",
            CaseAction::Maintain => "维持原结果",
            CaseAction::Correct => "更正考核结果",
        }
    }

    /// The action from its code and, for the actions that carry one, its argument (a finding
    /// for `answer` and `close`, the stars for `rate`). `None` when the code is unknown or its
    /// argument is missing; a rating out of range is refused by the step (`RATING_INVALID`).
    pub fn parse(code: &str, finding: Option<Finding>, stars: Option<u8>) -> Option<CaseAction> {
        match code.trim() {
            "answer" => finding.map(CaseAction::Answer),
            "close" => finding.map(CaseAction::Close),
            "rate" => stars.map(CaseAction::Rate),
            t => CaseAction::EXAMPLES.into_iter().find(|a| a.code() == t),
        }
    }

    /// Whether the step must carry a written text: a comment, the applicant's reason to
    /// withdraw, and every answer or decision that the other side is owed reasons for (异议的
    /// 处理理由, 不予修复的理由, 退回整改的理由, 书面说明, 投诉答复, 决定机关的意见 and the question put to
    /// it, 考核结果异议的答复 either way). Approving, accepting, routing, closing, rating and
    /// escalating need none.
    pub fn needs_text(self) -> bool {
        matches!(
            self,
            CaseAction::Comment
                | CaseAction::Withdraw
                | CaseAction::Uphold
                | CaseAction::Dismiss
                | CaseAction::Consult
                | CaseAction::Reply
                | CaseAction::Reject
                | CaseAction::File
                | CaseAction::Return
                | CaseAction::Answer(_)
                | CaseAction::Maintain
                | CaseAction::Correct
        )
    }

    /// The step's text, trimmed: required when [`needs_text`](Self::needs_text), at most
    /// [`MAX_STEP_TEXT`] characters, running text without control characters. A blank optional
    /// text is `None`.
    pub fn check_text(self, text: &str) -> Result<Option<String>> {
        let t = text.trim();
        let field = format!("“{}”的说明", self.label());
        if t.is_empty() {
            return if self.needs_text() {
                Err(DomainError::new(Code::Required, format!("请填写{field}")))
            } else {
                Ok(None)
            };
        }
        check_text(t, &field, Lines::Multi)?;
        let n = t.chars().count();
        if n > MAX_STEP_TEXT {
            return Err(DomainError::new(
                Code::TooLong,
                format!("{field}过长：{n} 个字符，最多 {MAX_STEP_TEXT} 个"),
            ));
        }
        Ok(Some(t.to_string()))
    }
}

/// Where the case goes after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assign {
    /// It stays with whoever has it.
    Keep,
    /// To the credit office (信用办).
    CreditOffice,
    /// To the unit the step names: a complaint's route target, or a rectification's subject unit.
    Unit,
    /// To the unit that provided the record (报送单位), which answers an objection.
    Provider,
    /// To the deciding authority (决定机关) consulted on a repair.
    Authority,
}

/// What a step does to the case's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineChange {
    Keep,
    /// A new deadline, this many working days after the step's day.
    Restart(u32),
    /// No deadline any more (the case waits on nobody, or is closed).
    Clear,
}

impl DeadlineChange {
    /// The case's deadline after a step taken on `day`.
    pub fn apply(
        self,
        cal: &Calendar,
        day: NaiveDate,
        current: Option<NaiveDate>,
    ) -> Result<Option<NaiveDate>> {
        match self {
            DeadlineChange::Keep => Ok(current),
            DeadlineChange::Restart(days) => deadline(cal, day, days).map(Some),
            DeadlineChange::Clear => Ok(None),
        }
    }
}

/// One legal step: the next state, the outcome when it closes the case, where the case goes, and
/// what becomes of its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub next: CaseState,
    pub outcome: Option<Outcome>,
    pub assign: Assign,
    pub deadline: DeadlineChange,
}

impl Step {
    /// A step that leaves the case as it is (a comment, a rating).
    pub fn stay(state: CaseState) -> Step {
        Step {
            next: state,
            outcome: None,
            assign: Assign::Keep,
            deadline: DeadlineChange::Keep,
        }
    }

    /// A step that closes the case with `outcome`; a closed case waits on nobody.
    pub fn close(outcome: Outcome) -> Step {
        Step {
            next: CaseState::Closed,
            outcome: Some(outcome),
            assign: Assign::Keep,
            deadline: DeadlineChange::Clear,
        }
    }

    /// The scheduler's step on an overdue case (逾期督办): the state and the deadline stay,
    /// the case goes to `assign`.
    pub fn escalate(state: CaseState, assign: Assign) -> Step {
        Step {
            next: state,
            outcome: None,
            assign,
            deadline: DeadlineChange::Keep,
        }
    }

    /// A step to `next`, handing the case to `assign` with a new deadline of `days` working days.
    pub fn to(next: CaseState, assign: Assign, days: u32) -> Step {
        Step {
            next,
            outcome: None,
            assign,
            deadline: DeadlineChange::Restart(days),
        }
    }
}

/// How a case of a kind starts: its first state, who has it, and its first deadline in working
/// days from the opening day (`None`: no deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub state: CaseState,
    pub assign: Assign,
    pub deadline_days: Option<u32>,
}

impl Opening {
    /// The first deadline of a case opened on `day`.
    pub fn deadline(&self, cal: &Calendar, day: NaiveDate) -> Result<Option<NaiveDate>> {
        self.deadline_days
            .map(|days| deadline(cal, day, days))
            .transpose()
    }
}

/// The case engine's thresholds, as data the credit office may change (in the year's
/// configuration); a misspelt key is an error, not a silent default. Day counts are working
/// days; the repair periods are calendar months from the decision date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Deadlines {
    /// The provider answers an objection (DESIGN.md sets 20 days as the ceiling).
    pub objection_days: u32,
    /// The credit office decides on a repair (Order No. 36: 10 working days).
    pub repair_decision_days: u32,
    /// The deciding authority gives its opinion on a repair (Order No. 36: 3 working days).
    pub repair_consult_days: u32,
    /// A rectification's first deadline when its category sets none.
    pub rectification_days: u32,
    /// The credit office reviews a filed rectification report.
    pub rectification_review_days: u32,
    /// The unit rectifies again after a report is returned.
    pub rectification_return_days: u32,
    /// The credit office routes a new complaint to the responsible unit.
    pub complaint_route_days: u32,
    /// The responsible unit answers a complaint.
    pub complaint_answer_days: u32,
    /// The credit office reviews a unit's answer to a complaint and closes it (or routes it
    /// again).
    pub complaint_close_days: u32,
    /// A unit disputes a published assessment result within this many working days of its
    /// publication (考核结果异议; the plan's 5).
    pub dispute_window_days: u32,
    /// The credit office answers a dispute of an assessment result.
    pub dispute_answer_days: u32,
    /// A case is due soon (即将到期) when this many working days or fewer are left.
    pub due_soon_days: u32,
    /// Months a minor (轻微) record must be disclosed before repair: none, once the obligations
    /// are met.
    pub repair_minor_months: u32,
    /// Months for an ordinary (一般) record: 3 (公示满3个月).
    pub repair_ordinary_months: u32,
    /// Months for a grave (严重) record: 12 (公示满1年).
    pub repair_grave_months: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            objection_days: 10,
            repair_decision_days: 10,
            repair_consult_days: 3,
            rectification_days: 20,
            rectification_review_days: 10,
            rectification_return_days: 10,
            complaint_route_days: 3,
            complaint_answer_days: 15,
            complaint_close_days: 5,
            dispute_window_days: dispute::WINDOW_DAYS,
            dispute_answer_days: dispute::ANSWER_DAYS,
            due_soon_days: 3,
            repair_minor_months: 0,
            repair_ordinary_months: 3,
            repair_grave_months: 12,
        }
    }
}

/// The longest deadline a case may have: a year of working days.
pub const MAX_DEADLINE_DAYS: u32 = 250;
/// The longest minimum period before repair: the longest disclosure period the catalog allows.
pub const MAX_REPAIR_MONTHS: u32 = 120;

impl Deadlines {
    /// The minimum disclosure period, in months, before a record of `severity` may be repaired.
    /// A record without a severity counts as ordinary, as `Category::bounds` does.
    pub fn repair_min_months(&self, severity: Option<Severity>) -> u32 {
        match severity.unwrap_or(Severity::Ordinary) {
            Severity::Minor => self.repair_minor_months,
            Severity::Ordinary => self.repair_ordinary_months,
            Severity::Grave => self.repair_grave_months,
        }
    }

    /// Every setting: its key (the form's field, the JSON key), its name, its unit, its value.
    pub fn fields(&self) -> [(&'static str, &'static str, &'static str, u32); 15] {
        [
            (
                "objection_days",
                "异议答复期限",
                "工作日",
                self.objection_days,
            ),
            (
                "repair_decision_days",
                "信用修复决定期限",
                "工作日",
                self.repair_decision_days,
            ),
            (
                "repair_consult_days",
                "征求决定机关意见期限",
                "工作日",
                self.repair_consult_days,
            ),
            (
                "rectification_days",
                "整改默认期限",
                "工作日",
                self.rectification_days,
            ),
            (
                "rectification_review_days",
                "整改审核期限",
                "工作日",
                self.rectification_review_days,
            ),
            (
                "rectification_return_days",
                "退回整改期限",
                "工作日",
                self.rectification_return_days,
            ),
            (
                "complaint_route_days",
                "投诉转办期限",
                "工作日",
                self.complaint_route_days,
            ),
            (
                "complaint_answer_days",
                "投诉答复期限",
                "工作日",
                self.complaint_answer_days,
            ),
            (
                "complaint_close_days",
                "投诉办结期限",
                "工作日",
                self.complaint_close_days,
            ),
            (
                "dispute_window_days",
                "考核结果异议提出期限",
                "工作日",
                self.dispute_window_days,
            ),
            (
                "dispute_answer_days",
                "考核结果异议答复期限",
                "工作日",
                self.dispute_answer_days,
            ),
            (
                "due_soon_days",
                "即将到期提醒",
                "工作日",
                self.due_soon_days,
            ),
            (
                "repair_minor_months",
                "轻微失信信息申请修复前最短公示期",
                "个月",
                self.repair_minor_months,
            ),
            (
                "repair_ordinary_months",
                "一般失信信息申请修复前最短公示期",
                "个月",
                self.repair_ordinary_months,
            ),
            (
                "repair_grave_months",
                "严重失信信息申请修复前最短公示期",
                "个月",
                self.repair_grave_months,
            ),
        ]
    }

    /// The setting named `key` (a key of [`Deadlines::fields`]), to change; `None` for a key
    /// that names none.
    pub fn field_mut(&mut self, key: &str) -> Option<&mut u32> {
        Some(match key {
            "objection_days" => &mut self.objection_days,
            "repair_decision_days" => &mut self.repair_decision_days,
            "repair_consult_days" => &mut self.repair_consult_days,
            "rectification_days" => &mut self.rectification_days,
            "rectification_review_days" => &mut self.rectification_review_days,
            "rectification_return_days" => &mut self.rectification_return_days,
            "complaint_route_days" => &mut self.complaint_route_days,
            "complaint_answer_days" => &mut self.complaint_answer_days,
            "complaint_close_days" => &mut self.complaint_close_days,
            "dispute_window_days" => &mut self.dispute_window_days,
            "dispute_answer_days" => &mut self.dispute_answer_days,
            "due_soon_days" => &mut self.due_soon_days,
            "repair_minor_months" => &mut self.repair_minor_months,
            "repair_ordinary_months" => &mut self.repair_ordinary_months,
            "repair_grave_months" => &mut self.repair_grave_months,
            _ => return None,
        })
    }

    /// Checks that the numbers make sense: every deadline at least one working day and at most
    /// [`MAX_DEADLINE_DAYS`], the periods at most [`MAX_REPAIR_MONTHS`] and not decreasing with
    /// severity. Every problem is named at once, each at its field.
    pub fn validate(&self) -> std::result::Result<(), Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut bad = |column: &'static str, message: String| {
            problems.push(FieldError {
                column,
                error: DomainError::new(Code::DeadlinesInvalid, message),
            })
        };
        for (column, name, unit, value) in self.fields() {
            if unit == "工作日" && column != "due_soon_days" {
                if !(1..=MAX_DEADLINE_DAYS).contains(&value) {
                    bad(
                        column,
                        format!("{name}应在 1 至 {MAX_DEADLINE_DAYS} 个工作日之间，现为 {value}"),
                    );
                }
            } else if unit == "工作日" {
                if value > MAX_DEADLINE_DAYS {
                    bad(
                        column,
                        format!("{name}应不超过 {MAX_DEADLINE_DAYS} 个工作日，现为 {value}"),
                    );
                }
            } else if value > MAX_REPAIR_MONTHS {
                bad(
                    column,
                    format!("{name}应不超过 {MAX_REPAIR_MONTHS} 个月，现为 {value}"),
                );
            }
        }
        let months = [
            self.repair_minor_months,
            self.repair_ordinary_months,
            self.repair_grave_months,
        ];
        if !months.is_sorted() {
            bad(
                "repair_grave_months",
                "申请修复前的最短公示期应随严重程度递增（轻微 ≤ 一般 ≤ 严重）".into(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// The rules of one kind of case: how it opens and its table of steps.
pub trait CaseRules: Sync {
    fn kind(&self) -> CaseKind;

    /// The states a case of this kind can be in, `Closed` last.
    fn states(&self) -> &'static [CaseState];

    /// How a case opens. `category` is the record's category where the case is about a record
    /// (a rectification takes its deadline from it).
    fn opening(&self, d: &Deadlines, category: Option<&Category>) -> Opening;

    /// The step `party` takes with `action` on a case in `state`, or why it may not:
    /// `CASE_CLOSED` on a closed case, `ILLEGAL_TRANSITION` for an action the state does not
    /// allow, `FORBIDDEN` for the wrong party, then the action's own argument
    /// (`RATING_INVALID`).
    fn step(
        &self,
        state: CaseState,
        action: &CaseAction,
        party: Party,
        d: &Deadlines,
    ) -> Result<Step>;
}

/// The rules of `kind`.
pub fn rules(kind: CaseKind) -> &'static dyn CaseRules {
    match kind {
        CaseKind::Objection => &objection::Objection,
        CaseKind::Repair => &repair::Repair,
        CaseKind::Rectification => &rectification::Rectification,
        CaseKind::Complaint => &complaint::Complaint,
        CaseKind::Dispute => &dispute::Dispute,
    }
}

/// The actions `party` may take on a case of `kind` in `state`, one per action code (with the
/// argument of [`CaseAction::EXAMPLES`]): what the page offers as buttons.
pub fn available_actions(kind: CaseKind, state: CaseState, party: Party) -> Vec<CaseAction> {
    let d = Deadlines::default();
    let r = rules(kind);
    CaseAction::EXAMPLES
        .into_iter()
        .filter(|a| r.step(state, a, party, &d).is_ok())
        .collect()
}

/// Who may take a step, as a table row gives it.
pub(crate) type Parties = &'static [Party];

/// Anyone on the case but the scheduler may comment.
pub(crate) const ANYONE: Parties = &[Party::Applicant, Party::Assignee, Party::CreditOffice];
/// Whoever has the case, or the credit office in its place; in a state where the case is always
/// with the credit office, this is the credit office however the app names it (see [`Party`]).
pub(crate) const ASSIGNEE_OR_OFFICE: Parties = &[Party::Assignee, Party::CreditOffice];
pub(crate) const APPLICANT: Parties = &[Party::Applicant];
pub(crate) const ASSIGNEE: Parties = &[Party::Assignee];
pub(crate) const SYSTEM: Parties = &[Party::System];

/// Turns a kind's table row into the step or its refusal, the same way for every kind: a closed
/// case refuses everything its table does not allow with `CASE_CLOSED`, any other missing row is
/// `ILLEGAL_TRANSITION`, a party not in the row is `FORBIDDEN`, and a rating must be 1–5.
pub(crate) fn decide(
    kind: CaseKind,
    state: CaseState,
    action: &CaseAction,
    party: Party,
    row: Option<(Step, Parties)>,
) -> Result<Step> {
    let Some((step, parties)) = row else {
        return Err(if state.is_closed() {
            DomainError::new(
                Code::CaseClosed,
                format!("案件已办结，不能再{}", action.label()),
            )
        } else {
            DomainError::new(
                Code::IllegalTransition,
                format!(
                    "案件当前状态为“{}”，不能执行“{}”",
                    state.label(),
                    action.label()
                ),
            )
        });
    };
    if !parties.contains(&party) {
        return Err(DomainError::new(
            Code::Forbidden,
            format!(
                "{}无权对{}案件执行“{}”",
                party.label(),
                kind.label(),
                action.label()
            ),
        ));
    }
    if let CaseAction::Rate(stars) = *action
        && !(1..=5).contains(&stars)
    {
        return Err(DomainError::new(
            Code::RatingInvalid,
            format!("评价应为 1 至 5 星，收到 {stars}"),
        ));
    }
    Ok(step)
}

/// Where a case stands against its deadline, in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum DueStatus {
    NoDeadline,
    OnTime {
        days_left: i64,
    },
    /// `days_left` is 0 on the deadline day itself (今日到期).
    DueSoon {
        days_left: i64,
    },
    /// Working days since the deadline; 0 on a day off right after it.
    Overdue {
        days_over: i64,
    },
}

impl DueStatus {
    pub fn code(self) -> &'static str {
        match self {
            DueStatus::NoDeadline => "no_deadline",
            DueStatus::OnTime { .. } => "on_time",
            DueStatus::DueSoon { .. } => "due_soon",
            DueStatus::Overdue { .. } => "overdue",
        }
    }

    pub fn label(self) -> String {
        match self {
            DueStatus::NoDeadline => "无期限".to_string(),
            DueStatus::OnTime { days_left } => format!("剩余 {days_left} 个工作日"),
            DueStatus::DueSoon { days_left: 0 } => "今日到期".to_string(),
            DueStatus::DueSoon { days_left } => {
                format!("即将到期（剩余 {days_left} 个工作日）")
            }
            DueStatus::Overdue { days_over: 0 } => "已逾期".to_string(),
            DueStatus::Overdue { days_over } => format!("已逾期 {days_over} 个工作日"),
        }
    }

    pub fn is_overdue(self) -> bool {
        matches!(self, DueStatus::Overdue { .. })
    }

    pub fn is_due_soon(self) -> bool {
        matches!(self, DueStatus::DueSoon { .. })
    }
}

/// Where a case with `deadline` stands on `today`. The deadline day itself is not overdue; due
/// soon is `due_soon_days` working days left or fewer. Refused when `today` or the deadline lies
/// in a year the calendar does not know.
pub fn due_status(
    cal: &Calendar,
    today: NaiveDate,
    deadline: Option<NaiveDate>,
    d: &Deadlines,
) -> Result<DueStatus> {
    let Some(deadline) = deadline else {
        return Ok(DueStatus::NoDeadline);
    };
    if today > deadline {
        return Ok(DueStatus::Overdue {
            days_over: cal.working_days_between(deadline, today)?,
        });
    }
    let days_left = cal.working_days_between(today, deadline)?;
    Ok(if days_left <= i64::from(d.due_soon_days) {
        DueStatus::DueSoon { days_left }
    } else {
        DueStatus::OnTime { days_left }
    })
}

/// The deadline `days` working days after `from`. Always a working day: with `days == 0` on a
/// day off it is the next working day, so that nobody owes an answer on a holiday.
pub fn deadline(cal: &Calendar, from: NaiveDate, days: u32) -> Result<NaiveDate> {
    let due = cal.add_working_days(from, days)?;
    if cal.is_working_day(due)? {
        Ok(due)
    } else {
        cal.add_working_days(due, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_deadline_setting_is_read_and_changed_by_its_key() {
        let mut d = Deadlines::default();
        for (n, (key, _, _, value)) in Deadlines::default().fields().into_iter().enumerate() {
            let field = d
                .field_mut(key)
                .unwrap_or_else(|| panic!("{key} cannot be changed"));
            assert_eq!(*field, value, "{key}");
            *field = 1000 + n as u32;
        }
        for (n, (key, _, _, value)) in d.fields().into_iter().enumerate() {
            assert_eq!(value, 1000 + n as u32, "{key} changed another setting");
        }
        assert!(d.field_mut("dispute_days").is_none());
    }

    #[test]
    fn codes_and_labels_read_back() {
        for k in CaseKind::ALL {
            assert_eq!(CaseKind::parse(k.code()), Some(k));
            assert_eq!(CaseKind::parse(k.label()), Some(k));
            assert_eq!(rules(k).kind(), k);
            assert_eq!(rules(k).states().last(), Some(&CaseState::Closed));
        }
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.code()), Some(s));
            assert_eq!(CaseState::parse(s.label()), Some(s));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
        for f in Finding::ALL {
            assert_eq!(Finding::parse(f.label()), Some(f));
            assert_eq!(f.outcome().code(), f.code());
        }
        for a in CaseAction::EXAMPLES {
            assert_eq!(
                CaseAction::parse(a.code(), Some(Finding::Founded), Some(5)),
                Some(a)
            );
        }
        assert_eq!(CaseAction::parse("answer", None, None), None);
        assert_eq!(
            CaseAction::parse("rate", None, Some(9)),
            Some(CaseAction::Rate(9))
        );
        assert_eq!(CaseAction::parse("fly", None, None), None);
        assert_eq!(CaseKind::parse("投诉举报"), Some(CaseKind::Complaint));
        assert_eq!(CaseKind::parse("appeal"), None);
        assert_eq!(
            serde_json::to_string(&CaseAction::Answer(Finding::PartlyFounded)).unwrap(),
            r#"{"answer":"partly_founded"}"#
        );
        assert_eq!(
            serde_json::to_string(&DueStatus::DueSoon { days_left: 2 }).unwrap(),
            r#"{"status":"due_soon","days_left":2}"#
        );
    }

    #[test]
    fn the_text_of_a_step() {
        assert_eq!(
            CaseAction::Dismiss.check_text("  ").unwrap_err().code,
            Code::Required
        );
        assert!(
            CaseAction::Dismiss
                .check_text("")
                .unwrap_err()
                .message
                .contains("驳回异议")
        );
        assert_eq!(CaseAction::Approve.check_text(" ").unwrap(), None);
        assert_eq!(
            CaseAction::Approve.check_text(" 同意 ").unwrap().as_deref(),
            Some("同意")
        );
        assert_eq!(
            CaseAction::Comment
                .check_text(&"字".repeat(MAX_STEP_TEXT + 1))
                .unwrap_err()
                .code,
            Code::TooLong
        );
        assert!(
            CaseAction::Comment
                .check_text(&"字".repeat(MAX_STEP_TEXT))
                .is_ok()
        );
        assert_eq!(
            CaseAction::Answer(Finding::Founded)
                .check_text("经核实\u{202e}属实")
                .unwrap_err()
                .code,
            Code::TextControlChar
        );
        assert!(
            CaseAction::File
                .check_text("一、原因\r\n二、整改措施")
                .is_ok()
        );
    }

    #[test]
    fn deadlines_deserialise_strictly_and_validate() {
        let d: Deadlines = serde_json::from_str(r#"{"objection_days": 20}"#).unwrap();
        assert_eq!(d.objection_days, 20);
        assert_eq!(d.complaint_answer_days, 15);
        assert!(serde_json::from_str::<Deadlines>(r#"{"objection_dayz": 20}"#).is_err());
        assert!(Deadlines::default().validate().is_ok());
        let bad = Deadlines {
            objection_days: 0,
            repair_grave_months: 2,
            ..Deadlines::default()
        };
        let problems = bad.validate().unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .all(|p| p.error.code == Code::DeadlinesInvalid)
        );
        assert_eq!(problems[0].column, "objection_days");
        assert!(problems[0].error.message.contains("异议答复期限"));
        assert_eq!(problems[1].column, "repair_grave_months");
        assert_eq!(bad.repair_min_months(None), 3);
        assert_eq!(bad.repair_min_months(Some(Severity::Minor)), 0);
    }

    #[test]
    fn a_deadline_is_always_a_working_day() {
        let cal = Calendar::official();
        // 2026-10-01 is 国庆节: zero days from it is the next working day, Thu 8 October.
        assert_eq!(deadline(&cal, d("2026-10-01"), 0).unwrap(), d("2026-10-08"));
        assert_eq!(deadline(&cal, d("2026-09-30"), 0).unwrap(), d("2026-09-30"));
        // Sat 10 October 2026 is worked (调休): one day from Fri 9 October.
        assert_eq!(deadline(&cal, d("2026-10-09"), 1).unwrap(), d("2026-10-10"));
        let mut day = d("2025-01-01");
        while day < d("2026-11-01") {
            for n in [0, 1, 3, 10, 15, 20] {
                let due = deadline(&cal, day, n).unwrap();
                assert!(cal.is_working_day(due).unwrap(), "{day} + {n} = {due}");
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(
            deadline(&cal, d("2026-12-20"), 20).unwrap_err().code,
            Code::CalendarYearMissing
        );
    }

    #[test]
    fn due_status_counts_working_days() {
        let cal = Calendar::official();
        let dl = Deadlines::default();
        let due = Some(d("2026-10-20"));
        let at = |today: &str| due_status(&cal, d(today), due, &dl).unwrap();
        assert_eq!(
            due_status(&cal, d("2026-10-01"), None, &dl).unwrap(),
            DueStatus::NoDeadline
        );
        // From 30 September, through the National Day holiday: 10 working days left.
        assert_eq!(at("2026-09-30"), DueStatus::OnTime { days_left: 10 });
        assert_eq!(at("2026-09-30").label(), "剩余 10 个工作日");
        // On a holiday the days left are those still to be worked, the same ten.
        assert_eq!(at("2026-10-05"), DueStatus::OnTime { days_left: 10 });
        assert_eq!(at("2026-10-15"), DueStatus::DueSoon { days_left: 3 });
        assert_eq!(at("2026-10-16").label(), "即将到期（剩余 2 个工作日）");
        assert_eq!(at("2026-10-20"), DueStatus::DueSoon { days_left: 0 });
        assert_eq!(at("2026-10-20").label(), "今日到期");
        assert_eq!(at("2026-10-21"), DueStatus::Overdue { days_over: 1 });
        assert_eq!(at("2026-10-23").label(), "已逾期 3 个工作日");
        // A Friday deadline seen on the Saturday: late, though no working day has passed.
        let fri = Some(d("2026-10-23"));
        let sat = due_status(&cal, d("2026-10-24"), fri, &dl).unwrap();
        assert_eq!(sat, DueStatus::Overdue { days_over: 0 });
        assert!(sat.is_overdue());
        assert_eq!(sat.label(), "已逾期");
        assert_eq!(
            due_status(&cal, d("2027-01-04"), due, &dl)
                .unwrap_err()
                .code,
            Code::CalendarYearMissing
        );
    }

    #[test]
    fn steps_that_change_the_deadline() {
        let cal = Calendar::official();
        let now = Some(d("2026-05-06"));
        assert_eq!(
            DeadlineChange::Keep
                .apply(&cal, d("2026-04-30"), now)
                .unwrap(),
            now
        );
        assert_eq!(
            DeadlineChange::Clear
                .apply(&cal, d("2026-04-30"), now)
                .unwrap(),
            None
        );
        // Three working days from Thu 30 April 2026: the May Day holiday runs 1–5 May, then
        // Wed 6, Thu 7, Fri 8.
        assert_eq!(
            DeadlineChange::Restart(3)
                .apply(&cal, d("2026-04-30"), now)
                .unwrap(),
            Some(d("2026-05-08"))
        );
    }

    #[test]
    fn available_actions_follow_the_tables() {
        use CaseAction as A;
        assert_eq!(
            available_actions(CaseKind::Objection, CaseState::Open, Party::Applicant),
            [A::Comment, A::Withdraw]
        );
        assert_eq!(
            available_actions(CaseKind::Complaint, CaseState::Closed, Party::Applicant),
            [A::Rate(5)]
        );
        assert!(
            available_actions(CaseKind::Repair, CaseState::Closed, Party::CreditOffice).is_empty()
        );
    }
}
