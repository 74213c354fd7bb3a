//! Joint rewards and sanctions (联合奖惩): the measures list and the rules as data, when a record
//! is in force, and the credit check (信用核查) every honour and 优秀 decision asks first
//! (`check`, behind `POST /api/v1/sanctions/check`). Issue 12; DESIGN.md §4 and §5.
//!
//! The measures (`measures.toml`) say what a consequence is; the rules (`rules.toml`) say when
//! it follows and for which purposes of a check; `check` applies the rules to a subject's facts
//! for one purpose and year. A restriction wins over a priority. `measures_in_force` lists what
//! applies to a subject today and why; `feedback` is what the asking department reports back on
//! a restricted answer (已落实, or 未落实 and why) and the rates the credit office reads.

mod check;
mod current;
mod facts;
mod feedback;
mod measures;
mod purpose;
mod rules;

pub use check::{CheckOutcome, Decision, MeasureHit, check};
pub use current::{MeasureInForce, measures_in_force};
pub use facts::{InForce, RecordFact, RectificationFact, SubjectFacts, YearGrade, in_force};
pub use feedback::{Feedback, FeedbackState, MAX_REASON_CHARS, Rate, Tally, admissible};
pub use measures::{Duration, Measure, MeasureKind, Measures, SHIPPED_MEASURES, Target};
pub use purpose::Purpose;
pub use rules::{
    CleanTrigger, GradeTrigger, GradeYear, Hit, OverdueRectificationTrigger, RecordTrigger,
    RuleConfig, Rules, SHIPPED_RULES, SanctionRule, Trigger, When,
};

use crate::error::{Code, DomainError};

/// The `[[key]]` tables of a TOML document, each still unread, so that each entry's error can
/// name it. A document that is not TOML, or has other top-level keys, is one error.
fn toml_entries(
    text: &str,
    key: &str,
    code: Code,
    what: &str,
) -> Result<Vec<toml::Value>, Vec<DomainError>> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| {
        vec![DomainError::new(
            code,
            format!("{what}不是有效的 TOML：{}", toml_message(&e)),
        )]
    })?;
    let entries = table.remove(key);
    if let Some(other) = table.keys().next() {
        return Err(vec![DomainError::new(
            code,
            format!("{what}中有未知的字段 {other}（只能有 [[{key}]]）"),
        )]);
    }
    match entries {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(items)) => Ok(items),
        Some(_) => Err(vec![DomainError::new(
            code,
            format!("{what}中的 {key} 应写作 [[{key}]] 表"),
        )]),
    }
}

/// `第 N 条（CODE）` for an entry, from its position and its code if it has one.
fn entry_label(index: usize, entry: &toml::Value) -> String {
    match entry.get("code").and_then(|c| c.as_str()) {
        Some(code) => format!("第 {} 条（{code}）", index + 1),
        None => format!("第 {} 条", index + 1),
    }
}

/// A TOML error's message on one line.
fn toml_message(e: &toml::de::Error) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stable code: upper-case letters, digits and underscores.
fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
