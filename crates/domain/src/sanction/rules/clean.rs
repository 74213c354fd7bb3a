//! A reward rule for a clean year (无失信记录): the subject has no dishonest record of the given
//! categories and severities decided or in force in the year (`When`). A record carrying
//! 从轻或免于惩戒 still counts here: leniency softens a sanction, it earns no reward.

use serde::{Deserialize, Serialize};

use super::records::{RecordTrigger, When};
use super::{Hit, RuleConfig, SanctionRule};
use crate::catalog::{Catalog, RecordKind, Severity};
use crate::sanction::facts::SubjectFacts;

/// The trigger's fields in `rules.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanTrigger {
    /// Dishonest category codes that spoil the year; omitted: every dishonest category.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// Severities that spoil the year; omitted: any.
    #[serde(default)]
    pub severities: Option<Vec<Severity>>,
    pub when: When,
}

impl CleanTrigger {
    fn spoiler(&self) -> RecordTrigger {
        RecordTrigger {
            record_kind: RecordKind::Dishonest,
            categories: self.categories.clone(),
            severities: self.severities.clone(),
            when: self.when,
            exemption_lifts: false,
        }
    }

    pub(super) fn problems(&self, catalog: &Catalog) -> Vec<String> {
        self.spoiler().problems(catalog)
    }
}

#[derive(Debug)]
pub(super) struct CleanRule {
    config: RuleConfig,
    spoiler: RecordTrigger,
}

impl CleanRule {
    pub(super) fn new(config: RuleConfig, trigger: CleanTrigger) -> Self {
        CleanRule {
            spoiler: trigger.spoiler(),
            config,
        }
    }
}

impl SanctionRule for CleanRule {
    fn config(&self) -> &RuleConfig {
        &self.config
    }

    fn evaluate(&self, facts: &SubjectFacts, catalog: &Catalog, year: i32) -> Option<Hit> {
        match self.spoiler.hit(facts, catalog, year) {
            Some(_) => None,
            None => Some(Hit {
                ground: Some(format!("{year}年度无政务失信记录")),
                ..Hit::default()
            }),
        }
    }
}
