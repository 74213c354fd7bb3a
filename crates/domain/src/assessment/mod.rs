//! The yearly assessment (考核评价, issue 12): the indicator set as data (`set`, the shipped
//! `indicators-<year>.toml`), its validation, the result of an indicator with every point
//! explained (`score`), the re-weighting of indicators that do not apply (`reweight`) and the
//! grade from a total and the period's veto facts (`grade`). Pure: the counts and rates come in
//! from the app, which reads the period's records and cases.

pub mod assess;
pub mod facts;
pub mod grade;
pub mod metric;
pub mod period;
pub mod points;
pub mod reweight;
pub mod score;
pub mod set;

pub use assess::{Entry, EntryStage, UnitAssessment, VetoLine, assess_unit, rank};
pub use facts::{CaseItem, ComplaintItem, RecordItem, ReportItem, UnitFacts};
pub use grade::{AppliedVeto, Fact, GradeOutcome, grade};
pub use period::{Period, PeriodKind};
pub use points::Points;
pub use reweight::{DimensionScore, TotalScore, apportion, reweight_dimension, total};
pub use score::{
    Evidence, IndicatorResult, ScoreLine, Status, band, deduct_by_severity, deduct_per_item, manual,
};
pub use set::{
    ASSESSED_KINDS, Band, Dimension, Grade, Indicator, IndicatorSet, Metric, MetricKind,
    Reweighting, Rule, SHIPPED, SeverityDeductions, Sort, Veto, VetoFact,
};

#[cfg(test)]
mod tests;
