//! A rule triggered by an overdue rectification (逾期未整改): one of the unit's rectifications
//! stood open past its deadline on some day of the year. A rectification withdrawn or lapsed
//! counts for nothing; one handed in on its deadline is on time.

use serde::{Deserialize, Serialize};

use super::{Hit, RuleConfig, SanctionRule};
use crate::catalog::Catalog;
use crate::sanction::facts::SubjectFacts;

/// The trigger's fields in `rules.toml`: none besides its kind, for now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverdueRectificationTrigger {}

#[derive(Debug)]
pub(super) struct OverdueRectificationRule {
    config: RuleConfig,
}

impl OverdueRectificationRule {
    pub(super) fn new(config: RuleConfig) -> Self {
        OverdueRectificationRule { config }
    }
}

impl SanctionRule for OverdueRectificationRule {
    fn config(&self) -> &RuleConfig {
        &self.config
    }

    fn evaluate(&self, facts: &SubjectFacts, _catalog: &Catalog, year: i32) -> Option<Hit> {
        let late: Vec<String> = facts
            .rectifications
            .iter()
            .filter(|r| r.overdue_in(year))
            .map(|r| format!("{}（{} 到期）", r.case_id, r.due))
            .collect();
        (!late.is_empty()).then(|| Hit {
            ground: Some(format!("失信整改逾期未完成：整改案件 {}", late.join("、"))),
            ..Hit::default()
        })
    }
}
