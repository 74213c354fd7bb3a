//! The grade (等次) from a unit's total and the veto facts of its period: the cut-offs give a
//! grade, each veto that holds caps it (a grave dishonest record: not 优秀; an overdue
//! rectification: at most 合格), and the outcome says which vetoes lowered it and why.

use serde::Serialize;

use super::points::Points;
use super::score::Evidence;
use super::set::{Grade, IndicatorSet, Veto, VetoFact};

/// A fact of the period that a veto can rest on, with what shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub fact: VetoFact,
    pub evidence: Evidence,
}

/// A veto that lowered the grade, with the evidence of its fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedVeto<'a> {
    pub veto: &'a Veto,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GradeOutcome<'a> {
    /// The grade the unit gets.
    pub grade: &'a Grade,
    /// The grade its total alone would earn.
    pub by_points: &'a Grade,
    /// The vetoes that hold and cap the grade below `by_points`.
    pub vetoes: Vec<AppliedVeto<'a>>,
}

/// The grade of `total` under a validated set's cut-offs and vetoes. A set without grades has no
/// outcome.
pub fn grade<'a>(set: &'a IndicatorSet, total: Points, facts: &[Fact]) -> Option<GradeOutcome<'a>> {
    let last = set.grades.len().checked_sub(1)?;
    let by_points = set
        .grades
        .iter()
        .position(|g| total >= g.min_points)
        .unwrap_or(last);
    let mut index = by_points;
    let mut vetoes = Vec::new();
    for v in &set.vetoes {
        let evidence: Vec<Evidence> = facts
            .iter()
            .filter(|f| f.fact == v.when)
            .map(|f| f.evidence)
            .collect();
        let Some(cap) = set.grade_index(&v.at_most) else {
            continue;
        };
        if !evidence.is_empty() && cap > by_points {
            index = index.max(cap);
            vetoes.push(AppliedVeto { veto: v, evidence });
        }
    }
    Some(GradeOutcome {
        grade: &set.grades[index],
        by_points: &set.grades[by_points],
        vetoes,
    })
}
