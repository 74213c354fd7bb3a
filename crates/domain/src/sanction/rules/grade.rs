//! A rule triggered by an assessment grade (考核等次触发): the unit's grade in the year-end review
//! (年终考评) the credit office closed, of the check's year or of the year before, is one of the
//! named grades. A period not closed (or reopened) has no grade yet, and triggers nothing.

use serde::{Deserialize, Serialize};

use super::{Hit, RuleConfig, SanctionRule};
use crate::catalog::Catalog;
use crate::sanction::facts::SubjectFacts;

/// Which year's review a check of year Y reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeYear {
    /// The review of Y itself (an honour for Y, decided once Y's results are out).
    CheckYear,
    /// The review of Y-1 (pilots and funding arranged in Y on last year's results).
    PreviousYear,
}

/// The trigger's fields in `rules.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeTrigger {
    /// The grades' names, as the indicator set names them (优秀, 不合格).
    pub grades: Vec<String>,
    pub of_year: GradeYear,
}

impl GradeTrigger {
    pub(super) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.grades.is_empty() {
            out.push("未指明考核等次".into());
        }
        if self.grades.iter().any(|g| g.trim().is_empty()) {
            out.push("考核等次名称不能为空".into());
        }
        out
    }

    /// The year of the review a check of `year` reads.
    pub fn review_year(&self, year: i32) -> i32 {
        match self.of_year {
            GradeYear::CheckYear => year,
            GradeYear::PreviousYear => year - 1,
        }
    }
}

#[derive(Debug)]
pub(super) struct GradeRule {
    config: RuleConfig,
    trigger: GradeTrigger,
}

impl GradeRule {
    pub(super) fn new(config: RuleConfig, trigger: GradeTrigger) -> Self {
        GradeRule { config, trigger }
    }
}

impl SanctionRule for GradeRule {
    fn config(&self) -> &RuleConfig {
        &self.config
    }

    fn evaluate(&self, facts: &SubjectFacts, _catalog: &Catalog, year: i32) -> Option<Hit> {
        let review = self.trigger.review_year(year);
        facts
            .grades
            .iter()
            .find(|g| g.year == review && self.trigger.grades.contains(&g.grade))
            .map(|g| Hit {
                ground: Some(format!("{}年度政务诚信考核等次为{}", g.year, g.grade)),
                ..Hit::default()
            })
    }
}
