//! A unit's assessment in a period (单位考核结果): every indicator of the set scored (computed
//! from its facts, or from the entries of the credit office and the unit), re-weighted where it
//! does not apply, added up, and graded with the period's vetoes. Also the ranking within a group.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::facts::UnitFacts;
use super::grade::{Fact, grade};
use super::metric::{self, Context};
use super::period::Period;
use super::points::Points;
use super::reweight::{TotalScore, reweight_dimension, total};
use super::score::{Evidence, IndicatorResult, Status, manual};
use super::set::{Indicator, IndicatorSet, Sort, VetoFact};
use crate::catalog::Severity;
use crate::statistics::StatisticsRules;
use crate::subject::SubjectKind;

/// Where a score given by hand stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStage {
    /// Scored by the credit office (信用办评分).
    Scored,
    /// Self-assessed by the unit (单位自评), waiting for the credit office.
    SelfAssessed,
    /// Confirmed or adjusted by the credit office after the unit's self-assessment (信用办确认).
    Confirmed,
}

impl EntryStage {
    pub fn code(self) -> &'static str {
        match self {
            EntryStage::Scored => "scored",
            EntryStage::SelfAssessed => "self_assessed",
            EntryStage::Confirmed => "confirmed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EntryStage::Scored => "信用办评分",
            EntryStage::SelfAssessed => "单位自评待确认",
            EntryStage::Confirmed => "信用办已确认",
        }
    }

    pub fn parse(s: &str) -> Option<EntryStage> {
        [
            EntryStage::Scored,
            EntryStage::SelfAssessed,
            EntryStage::Confirmed,
        ]
        .into_iter()
        .find(|e| e.code() == s)
    }
}

/// A score given by hand to one indicator of one unit in one period, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub indicator: String,
    pub stage: EntryStage,
    /// The points that count: the office's, or the unit's own while it waits.
    pub points: Points,
    /// What the unit claimed in its self-assessment, when it made one.
    pub claimed: Option<Points>,
    /// The reason (评分说明): the office's, or the unit's while it waits.
    pub comment: String,
}

/// A veto that lowered the grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VetoLine {
    pub at_most: String,
    pub reason: String,
    pub basis: String,
    pub evidence: Vec<Evidence>,
}

/// A unit's result in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitAssessment {
    pub unit_id: i64,
    pub name: String,
    pub kind: SubjectKind,
    pub total: TotalScore,
    /// The grade given; none while the total waits for data.
    pub grade: Option<String>,
    /// The grade the points alone earn.
    pub by_points: Option<String>,
    pub vetoes: Vec<VetoLine>,
}

impl UnitAssessment {
    /// Every indicator's result is consistent (its lines add up to its points) and the
    /// dimensions and the total add up too.
    pub fn is_consistent(&self) -> bool {
        self.total.dimensions.iter().all(|d| {
            d.indicators.iter().all(|(_, r)| r.is_consistent())
                && d.points
                    == d.indicators
                        .iter()
                        .filter(|(_, r)| r.is_calculated())
                        .map(|(_, r)| r.points())
                        .sum::<Points>()
        }) && self.total.points
            == self
                .total
                .dimensions
                .iter()
                .filter(|d| d.status != Status::NotApplicable)
                .map(|d| d.points)
                .sum::<Points>()
    }

    /// The total, when it can be ranked.
    pub fn ranked_points(&self) -> Option<Points> {
        (self.total.status == Status::Calculated).then_some(self.total.points)
    }
}

/// Scores one unit in one period, on `today`.
pub fn assess_unit(
    set: &IndicatorSet,
    period: Period,
    today: NaiveDate,
    statistics: StatisticsRules,
    facts: &UnitFacts,
    entries: &[Entry],
) -> UnitAssessment {
    let cx = Context {
        facts,
        period,
        today,
        statistics,
    };
    let dimensions = set
        .dimensions
        .iter()
        .map(|d| {
            let results = d
                .indicators
                .iter()
                .map(|i| (i.code.clone(), indicator(i, &cx, entries)))
                .collect();
            reweight_dimension(set.not_applicable, &d.code, d.max_points, results)
        })
        .collect();
    let total = total(set.not_applicable, set.total_points, dimensions);
    let facts_of_period = veto_facts(&cx);
    let (grade_name, by_points, vetoes) = match total.status {
        Status::Calculated => match grade(set, total.points, &facts_of_period) {
            Some(g) => (
                Some(g.grade.name.clone()),
                Some(g.by_points.name.clone()),
                g.vetoes
                    .iter()
                    .map(|v| VetoLine {
                        at_most: v.veto.at_most.clone(),
                        reason: v.veto.reason.clone(),
                        basis: v.veto.basis.clone(),
                        evidence: v.evidence.clone(),
                    })
                    .collect(),
            ),
            None => (None, None, Vec::new()),
        },
        _ => (None, None, Vec::new()),
    };
    UnitAssessment {
        unit_id: facts.unit_id,
        name: facts.name.clone(),
        kind: facts.kind,
        total,
        grade: grade_name,
        by_points,
        vetoes,
    }
}

fn indicator(i: &Indicator, cx: &Context<'_>, entries: &[Entry]) -> IndicatorResult {
    let max = i.max_points;
    if !i.applies(cx.facts.kind, cx.facts.is_provider) {
        let note = if i.only_providers && !cx.facts.is_provider {
            "仅考核报送信用信息的部门，本单位不涉及"
        } else {
            "本指标不适用于此类单位"
        };
        return IndicatorResult::not_applicable(max, note);
    }
    let entry = entries.iter().find(|e| e.indicator == i.code);
    match (i.sort, entry) {
        (Sort::Computed, _) => metric::score(i, cx),
        (Sort::OfficeScored, None) => IndicatorResult::insufficient_data(max, "信用办尚未评分"),
        (Sort::SelfAssessed, None) => IndicatorResult::insufficient_data(max, "单位尚未自评"),
        (Sort::SelfAssessed, Some(e)) if e.stage == EntryStage::SelfAssessed => {
            IndicatorResult::insufficient_data(
                max,
                format!("单位自评 {} 分，待信用办确认", e.points),
            )
        }
        (_, Some(e)) => {
            let reason = match (e.stage, e.claimed) {
                (EntryStage::Confirmed, Some(c)) if c != e.points => {
                    format!(
                        "单位自评 {c} 分，信用办调整为 {} 分：{}",
                        e.points, e.comment
                    )
                }
                (EntryStage::Confirmed, _) => {
                    format!("单位自评，信用办确认 {} 分：{}", e.points, e.comment)
                }
                _ => format!("信用办评分 {} 分：{}", e.points, e.comment),
            };
            manual(max, e.points, &reason, Evidence::Entry(e.id)).unwrap_or_else(|err| {
                IndicatorResult::insufficient_data(
                    max,
                    format!("评分无效，需重新评分：{}", err.message),
                )
            })
        }
    }
}

/// The facts of the period the vetoes rest on.
fn veto_facts(cx: &Context<'_>) -> Vec<Fact> {
    let mut out = Vec::new();
    for r in cx.facts.records.iter().filter(|r| cx.counts(r.decided_on)) {
        out.push(Fact {
            fact: VetoFact::DishonestRecord,
            evidence: Evidence::Record(r.id),
        });
        if r.severity == Some(Severity::Grave) {
            out.push(Fact {
                fact: VetoFact::GraveDishonestRecord,
                evidence: Evidence::Record(r.id),
            });
        }
    }
    for r in cx
        .facts
        .staff_records
        .iter()
        .filter(|r| cx.counts(r.decided_on))
    {
        if r.severity == Some(Severity::Grave) {
            out.push(Fact {
                fact: VetoFact::CivilServantGraveRecord,
                evidence: Evidence::Record(r.id),
            });
        }
    }
    for c in &cx.facts.rectifications {
        if metric::overdue_in(c, cx) {
            out.push(Fact {
                fact: VetoFact::OverdueRectification,
                evidence: Evidence::Case(c.id),
            });
        }
    }
    out
}

/// Ranks (名次) by points, highest first, ties sharing a rank and the next rank skipping
/// (1, 2, 2, 4); a unit without a calculated total has no rank.
pub fn rank(points: &[Option<Points>]) -> Vec<Option<u32>> {
    let mut order: Vec<Points> = points.iter().flatten().copied().collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    points
        .iter()
        .map(|p| p.map(|p| 1 + order.partition_point(|q| *q > p) as u32))
        .collect()
}
