//! A rule triggered by records (记录触发): the subject has a record of the given kind, categories
//! and severities that was decided in the year or was in force on some day of it (`When`). DESIGN.md
//! §4's two rules are of this kind: a civil servant's dishonest record decided or in force in Y
//! (lifted by 从轻或免于惩戒) bars 优秀 for Y; a unit's dishonest record in force in Y costs its
//! honour eligibility for Y.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use super::{Hit, RuleConfig, SanctionRule, category_problems};
use crate::catalog::{Catalog, RecordKind, Severity};
use crate::sanction::facts::{RecordFact, SubjectFacts};

/// Which dates of a record put it in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// In force on at least one day of the year.
    InForce,
    /// Decided in the year, or in force on at least one day of it.
    DecidedOrInForce,
}

/// The trigger's fields in `rules.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordTrigger {
    /// dishonest (失信) or trustworthy (守信).
    pub record_kind: RecordKind,
    /// Category codes; omitted: every category of that kind.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// Severities; omitted: any. A record without one takes its category's default.
    #[serde(default)]
    pub severities: Option<Vec<Severity>>,
    pub when: When,
    /// Whether a record carrying 从轻或免于惩戒 (granted in a repair) is left out.
    #[serde(default)]
    pub exemption_lifts: bool,
}

impl RecordTrigger {
    pub(super) fn problems(&self, catalog: &Catalog) -> Vec<String> {
        let mut out = category_problems(self.categories.as_deref(), self.record_kind, catalog);
        match (&self.severities, self.record_kind) {
            (Some(s), _) if s.is_empty() => {
                out.push("严重程度列表为空（省略该项即适用全部严重程度）".into())
            }
            (Some(_), RecordKind::Trustworthy) => out.push("守信记录没有严重程度".into()),
            _ => {}
        }
        out
    }

    /// Whether the record counts for this trigger in `year`.
    pub fn matches(&self, r: &RecordFact, catalog: &Catalog, year: i32) -> bool {
        if r.kind != self.record_kind || !r.became_active() {
            return false;
        }
        if self.exemption_lifts && r.exemption {
            return false;
        }
        if let Some(categories) = &self.categories
            && !categories.contains(&r.category)
        {
            return false;
        }
        if let Some(severities) = &self.severities
            && !r
                .effective_severity(catalog)
                .is_some_and(|s| severities.contains(&s))
        {
            return false;
        }
        let in_force = r.in_force(catalog).is_some_and(|f| f.meets_year(year));
        match self.when {
            When::InForce => in_force,
            When::DecidedOrInForce => in_force || r.decided_on.year() == year,
        }
    }

    /// The records that count, with the dates the measures count from; `None` when none does.
    pub fn hit(&self, facts: &SubjectFacts, catalog: &Catalog, year: i32) -> Option<Hit> {
        let matching: Vec<&RecordFact> = facts
            .records
            .iter()
            .filter(|r| self.matches(r, catalog, year))
            .collect();
        if matching.is_empty() {
            return None;
        }
        let mut records: Vec<i64> = matching.iter().map(|r| r.id).collect();
        records.sort_unstable();
        records.dedup();
        Some(Hit {
            records,
            latest_decided: matching.iter().map(|r| r.decided_on).max(),
            latest_in_force: matching
                .iter()
                .filter_map(|r| r.in_force(catalog).map(|f| f.last))
                .max(),
            ground: None,
        })
    }
}

#[derive(Debug)]
pub(super) struct RecordsRule {
    config: RuleConfig,
    trigger: RecordTrigger,
}

impl RecordsRule {
    pub(super) fn new(config: RuleConfig, trigger: RecordTrigger) -> Self {
        RecordsRule { config, trigger }
    }
}

impl SanctionRule for RecordsRule {
    fn config(&self) -> &RuleConfig {
        &self.config
    }

    fn evaluate(&self, facts: &SubjectFacts, catalog: &Catalog, year: i32) -> Option<Hit> {
        self.trigger.hit(facts, catalog, year)
    }
}
