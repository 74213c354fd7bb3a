//! Sanction and reward rules (联合奖惩规则) as data: each rule names its trigger, the measures it
//! imposes and the purposes of a check it concerns. Each kind of trigger is one module behind
//! `SanctionRule`: `records` (records of some categories, severities and dates), `clean` (no
//! such record: the reward side), `grade` (the unit's grade in a closed year-end review) and
//! `overdue_rectification` (a rectification left open past its deadline in the year).

mod clean;
mod grade;
mod records;
mod rectification;

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::facts::SubjectFacts;
use super::measures::{MeasureKind, Measures, Target};
use super::purpose::Purpose;
use crate::catalog::{Catalog, RecordKind};
use crate::error::{Code, DomainError};

pub use clean::CleanTrigger;
pub use grade::{GradeTrigger, GradeYear};
pub use records::{RecordTrigger, When};
pub use rectification::OverdueRectificationTrigger;

/// The rules shipped with Probity: DESIGN.md §4's two, and two the credit office may change.
pub const SHIPPED_RULES: &str = include_str!("../rules.toml");

/// What every rule says besides its trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Stable code, upper case.
    pub code: String,
    /// 规则名称, as officials read it.
    pub name: String,
    /// 法律、政策依据.
    pub basis: String,
    /// Whom it applies to; its measures are for the same.
    pub target: Target,
    /// The purposes of a check the rule concerns.
    pub purposes: Vec<Purpose>,
    /// The measures it imposes, by code (all sanctions, or all rewards).
    pub measures: Vec<String>,
    /// A rule switched off is kept and checked, but never applied.
    #[serde(default = "yes")]
    pub enabled: bool,
    pub trigger: Trigger,
}

fn yes() -> bool {
    true
}

/// The kinds of trigger, each with its own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// Records of the subject of some categories and severities, decided or in force in the year.
    Records(RecordTrigger),
    /// No such record: the subject kept clean in the year.
    Clean(CleanTrigger),
    /// The unit's grade in a closed year-end review.
    Grade(GradeTrigger),
    /// A rectification of the unit's overdue on some day of the year.
    OverdueRectification(OverdueRectificationTrigger),
}

/// Why a rule holds: the records behind it and the dates its measures' durations count from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hit {
    /// The records that triggered the rule, ascending (none for a clean-record reward).
    pub records: Vec<i64>,
    /// The latest decision date among them.
    pub latest_decided: Option<NaiveDate>,
    /// The latest last day in force among them.
    pub latest_in_force: Option<NaiveDate>,
    /// What the rule rests on when it is not records, in words (本年度无政务失信记录, a grade, an
    /// overdue rectification).
    pub ground: Option<String>,
}

/// One kind of rule. `evaluate` decides only whether the trigger holds for the subject in
/// `year`; whether the rule applies to the subject's kind and to the check's purpose is the
/// same for every rule and is decided by `check` from the rule's `config`.
pub trait SanctionRule: fmt::Debug + Send + Sync {
    fn config(&self) -> &RuleConfig;

    fn code(&self) -> &str {
        &self.config().code
    }

    fn evaluate(&self, facts: &SubjectFacts, catalog: &Catalog, year: i32) -> Option<Hit>;
}

/// The rules, validated against the measures list and the catalog.
#[derive(Debug)]
pub struct Rules {
    rules: Vec<Box<dyn SanctionRule>>,
}

impl Rules {
    /// Reads and validates rules in the shape of `rules.toml` (`[[rule]]` tables). Every problem
    /// is returned at once, each naming its rule (position and code).
    pub fn from_toml(
        text: &str,
        measures: &Measures,
        catalog: &Catalog,
    ) -> Result<Rules, Vec<DomainError>> {
        let entries = super::toml_entries(text, "rule", Code::SanctionRuleInvalid, "规则")?;
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let at = super::entry_label(i, &entry);
            match entry.try_into::<RuleConfig>() {
                Ok(r) => parsed.push((i, r)),
                Err(e) => errors.push(invalid(format!("规则{at}：{}", super::toml_message(&e)))),
            }
        }
        errors.extend(problems(&parsed, measures, catalog));
        if errors.is_empty() {
            Ok(Rules::build(parsed.into_iter().map(|(_, r)| r)))
        } else {
            Err(errors)
        }
    }

    /// Validates rules already in memory (e.g. after an edit by the credit office).
    pub fn new(
        rules: Vec<RuleConfig>,
        measures: &Measures,
        catalog: &Catalog,
    ) -> Result<Rules, Vec<DomainError>> {
        let parsed: Vec<(usize, RuleConfig)> = rules.into_iter().enumerate().collect();
        let errors = problems(&parsed, measures, catalog);
        if errors.is_empty() {
            Ok(Rules::build(parsed.into_iter().map(|(_, r)| r)))
        } else {
            Err(errors)
        }
    }

    /// The shipped rules, on the shipped measures and the given catalog.
    pub fn shipped(measures: &Measures, catalog: &Catalog) -> Result<Rules, Vec<DomainError>> {
        Rules::from_toml(SHIPPED_RULES, measures, catalog)
    }

    pub fn all(&self) -> &[Box<dyn SanctionRule>] {
        &self.rules
    }

    fn build(configs: impl Iterator<Item = RuleConfig>) -> Rules {
        let rules = configs
            .map(|config| -> Box<dyn SanctionRule> {
                match config.trigger.clone() {
                    Trigger::Records(t) => Box::new(records::RecordsRule::new(config, t)),
                    Trigger::Clean(t) => Box::new(clean::CleanRule::new(config, t)),
                    Trigger::Grade(t) => Box::new(grade::GradeRule::new(config, t)),
                    Trigger::OverdueRectification(_) => {
                        Box::new(rectification::OverdueRectificationRule::new(config))
                    }
                }
            })
            .collect();
        Rules { rules }
    }
}

/// Every problem of the rules that read, each named by its position and code.
fn problems(
    rules: &[(usize, RuleConfig)],
    measures: &Measures,
    catalog: &Catalog,
) -> Vec<DomainError> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, r) in rules {
        let at = format!("第 {} 条（{}）", i + 1, r.code);
        let mut bad = |m: String| errors.push(invalid(format!("规则{at}：{m}")));
        if !super::is_code(&r.code) {
            bad("代码无效，只能由大写字母、数字和下划线组成".into());
        }
        if !seen.insert(r.code.as_str()) {
            bad("代码重复".into());
        }
        if r.name.trim().is_empty() {
            bad("缺少规则名称".into());
        }
        if r.basis.trim().is_empty() {
            bad("缺少法律、政策依据".into());
        }
        if r.purposes.is_empty() {
            bad("未指明适用的核查用途".into());
        }
        if r.measures.is_empty() {
            bad("未指明措施".into());
        }
        let mut kinds = HashSet::new();
        for code in &r.measures {
            match measures.get(code) {
                None => bad(format!("措施清单中没有措施 {code}")),
                Some(m) => {
                    kinds.insert(m.kind);
                    if m.target != r.target {
                        bad(format!(
                            "措施 {code}（{}）适用于{}，而规则适用于{}",
                            m.name,
                            m.target.label(),
                            r.target.label()
                        ));
                    }
                }
            }
        }
        if kinds.len() > 1 {
            bad("一条规则的措施应同为惩戒措施或同为激励措施".into());
        }
        let trigger_problems = match &r.trigger {
            Trigger::Records(t) => t.problems(catalog),
            Trigger::Clean(t) => {
                if kinds.contains(&MeasureKind::Sanction) {
                    bad("无失信记录的情形只能对应激励措施".into());
                }
                t.problems(catalog)
            }
            Trigger::Grade(t) => {
                if r.target != Target::Unit {
                    bad("考核等次只适用于单位".into());
                }
                t.problems()
            }
            Trigger::OverdueRectification(_) => {
                if r.target != Target::Unit {
                    bad("失信整改只适用于单位".into());
                }
                if kinds.contains(&MeasureKind::Reward) {
                    bad("逾期未整改的情形只能对应惩戒措施".into());
                }
                Vec::new()
            }
        };
        for m in trigger_problems {
            bad(m);
        }
    }
    errors
}

/// The problems of a category filter: an empty list, an unknown code, a category of another kind.
fn category_problems(
    categories: Option<&[String]>,
    kind: RecordKind,
    catalog: &Catalog,
) -> Vec<String> {
    let Some(categories) = categories else {
        return Vec::new();
    };
    if categories.is_empty() {
        return vec!["记录类别列表为空（省略该项即适用全部类别）".into()];
    }
    categories
        .iter()
        .filter_map(|code| match catalog.get(code) {
            None => Some(format!("目录中没有记录类别 {code}")),
            Some(c) if c.kind != kind => Some(format!(
                "记录类别 {code}（{}）是{}类别，而规则针对{}记录",
                c.name,
                c.kind.label(),
                kind.label()
            )),
            Some(_) => None,
        })
        .collect()
}

fn invalid(message: String) -> DomainError {
    DomainError::new(Code::SanctionRuleInvalid, message)
}

#[cfg(test)]
mod tests;
