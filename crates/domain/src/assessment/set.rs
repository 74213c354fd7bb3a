//! The indicator set (考核指标体系) as data: dimensions → indicators, each with its points, its
//! sort, the metric and rule of a computed one, its basis and the unit types it applies to; the
//! re-weighting rule for indicators that do not apply; the grades with their cut-offs and vetoes.
//! Read from TOML with `deny_unknown_fields` everywhere and validated as a whole, every problem
//! reported at once and named by the dimension or indicator it is in.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::points::Points;
use crate::catalog::Severity;
use crate::error::{Code, DomainError};
use crate::subject::SubjectKind;

/// The sets shipped with the platform, by year. The credit office edits its own copy; these are
/// the defaults.
pub const SHIPPED: &[(i32, &str)] = &[(2026, include_str!("indicators-2026.toml"))];

/// A year's indicator set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSet {
    pub year: i32,
    /// e.g. 滨海新区2026年度政务诚信考核指标体系
    pub name: String,
    /// The points of the whole set (100).
    pub total_points: Points,
    /// What happens to an indicator's points when it does not apply to a unit.
    pub not_applicable: Reweighting,
    /// Highest first, each with the least total that earns it.
    pub grades: Vec<Grade>,
    #[serde(default)]
    pub vetoes: Vec<Veto>,
    pub dimensions: Vec<Dimension>,
}

/// 不适用指标的分值处理.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reweighting {
    /// The dimension's applicable indicators are scaled up to the dimension's points (按比例折算);
    /// a dimension none of whose indicators applies gives its points to the other dimensions in
    /// the same way.
    Proportional,
    /// The indicator counts as full marks (不涉及的视同满分).
    FullMarks,
}

/// 一级指标: one of the plan's principles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: String,
    pub name: String,
    pub max_points: Points,
    /// What the dimension asks of a unit (the plan's words).
    #[serde(default)]
    pub description: String,
    pub indicators: Vec<Indicator>,
}

/// 二级指标.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub max_points: Points,
    pub sort: Sort,
    /// For a computed indicator: what the platform counts.
    #[serde(default)]
    pub metric: Option<Metric>,
    /// For a computed indicator: how the count or rate becomes points.
    #[serde(default)]
    pub rule: Option<Rule>,
    /// 评分标准, as the unit reads it.
    pub criteria: String,
    /// 依据: the law, regulation or policy the indicator rests on.
    pub basis: String,
    /// The unit types it applies to.
    pub applies_to: Vec<SubjectKind>,
    /// Applies only to units that provide records to the platform (归集报送单位).
    #[serde(default)]
    pub only_providers: bool,
}

impl Indicator {
    /// Whether the indicator applies to a unit of this kind (and provider status).
    pub fn applies(&self, kind: SubjectKind, is_provider: bool) -> bool {
        self.applies_to.contains(&kind) && (!self.only_providers || is_provider)
    }
}

/// How an indicator is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Computed from the platform's data in the period.
    Computed,
    /// Scored by the credit office, with evidence (an attachment and a comment).
    OfficeScored,
    /// Self-assessed by the unit with evidence, then confirmed or adjusted by the credit office.
    SelfAssessed,
}

impl Sort {
    /// The code a set and the API write (`computed`, `office_scored`, `self_assessed`).
    pub fn code(self) -> &'static str {
        match self {
            Sort::Computed => "computed",
            Sort::OfficeScored => "office_scored",
            Sort::SelfAssessed => "self_assessed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Computed => "系统计算",
            Sort::OfficeScored => "信用办评分",
            Sort::SelfAssessed => "单位自评",
        }
    }
}

/// What the platform can count about a unit in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Dishonest records about the unit, by severity (单位政务失信记录).
    UnitDishonestRecords,
    /// Dishonest records about the unit's civil servants, by severity (公务员政务失信记录).
    CivilServantDishonestRecords,
    /// Rectification cases closed on time, as a share of those due (整改按期完成率).
    RectificationOnTimeRate,
    /// Rectification cases overdue (逾期未整改).
    RectificationsOverdue,
    /// Complaints answered on time, as a share of those due (投诉举报按时办结率).
    ComplaintOnTimeRate,
    /// Complaints upheld against the unit (投诉举报查实).
    ComplaintsUpheld,
    /// The complainants' average rating, 1–5 (投诉举报办理满意度).
    ComplaintAverageRating,
    /// Objections answered on time by the providing unit (异议按时处理率).
    ObjectionOnTimeRate,
    /// 归集及时率 of a providing unit (DESIGN.md §4).
    ReportingTimeliness,
    /// Commitments kept (承诺践诺率): not computed yet.
    CommitmentKeptRate,
    /// Ledger tasks on schedule (台账任务按期完成率): not computed yet.
    LedgerOnScheduleRate,
    /// Civil servants trained (诚信培训覆盖率): not computed yet.
    TrainingCoverageRate,
    /// Proposals handled on time (建议提案按时办结率): not computed yet.
    ProposalOnTimeRate,
}

/// What kind of number a metric is, which decides the rules that fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Items, each with a severity.
    BySeverity,
    /// Items.
    Count,
    /// A value on a scale `low..=high` (a rate in percent: 0–100; a rating: 1–5).
    Scale {
        low: Points,
        high: Points,
        unit: &'static str,
    },
}

impl Metric {
    pub fn code(self) -> &'static str {
        match self {
            Metric::UnitDishonestRecords => "unit_dishonest_records",
            Metric::CivilServantDishonestRecords => "civil_servant_dishonest_records",
            Metric::RectificationOnTimeRate => "rectification_on_time_rate",
            Metric::RectificationsOverdue => "rectifications_overdue",
            Metric::ComplaintOnTimeRate => "complaint_on_time_rate",
            Metric::ComplaintsUpheld => "complaints_upheld",
            Metric::ComplaintAverageRating => "complaint_average_rating",
            Metric::ObjectionOnTimeRate => "objection_on_time_rate",
            Metric::ReportingTimeliness => "reporting_timeliness",
            Metric::CommitmentKeptRate => "commitment_kept_rate",
            Metric::LedgerOnScheduleRate => "ledger_on_schedule_rate",
            Metric::TrainingCoverageRate => "training_coverage_rate",
            Metric::ProposalOnTimeRate => "proposal_on_time_rate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::UnitDishonestRecords => "单位政务失信记录",
            Metric::CivilServantDishonestRecords => "公务员政务失信记录",
            Metric::RectificationOnTimeRate => "整改按期完成率",
            Metric::RectificationsOverdue => "逾期未整改",
            Metric::ComplaintOnTimeRate => "投诉举报按时办结率",
            Metric::ComplaintsUpheld => "投诉举报查实",
            Metric::ComplaintAverageRating => "投诉举报办理满意度",
            Metric::ObjectionOnTimeRate => "异议按时处理率",
            Metric::ReportingTimeliness => "归集及时率",
            Metric::CommitmentKeptRate => "承诺践诺率",
            Metric::LedgerOnScheduleRate => "台账任务按期完成率",
            Metric::TrainingCoverageRate => "诚信培训覆盖率",
            Metric::ProposalOnTimeRate => "建议提案按时办结率",
        }
    }

    pub fn kind(self) -> MetricKind {
        let rate = MetricKind::Scale {
            low: Points::ZERO,
            high: Points::whole(100),
            unit: "%",
        };
        match self {
            Metric::UnitDishonestRecords | Metric::CivilServantDishonestRecords => {
                MetricKind::BySeverity
            }
            Metric::RectificationsOverdue | Metric::ComplaintsUpheld => MetricKind::Count,
            Metric::ComplaintAverageRating => MetricKind::Scale {
                low: Points::whole(1),
                high: Points::whole(5),
                unit: "分",
            },
            Metric::RectificationOnTimeRate
            | Metric::ComplaintOnTimeRate
            | Metric::ObjectionOnTimeRate
            | Metric::ReportingTimeliness
            | Metric::CommitmentKeptRate
            | Metric::LedgerOnScheduleRate
            | Metric::TrainingCoverageRate
            | Metric::ProposalOnTimeRate => rate,
        }
    }

    /// Whether the platform can compute it today. The others are named so that a set can be
    /// written for them, but an indicator on one must be office-scored or self-assessed until the
    /// capability behind it exists.
    pub fn is_available(self) -> bool {
        !matches!(
            self,
            Metric::CommitmentKeptRate
                | Metric::LedgerOnScheduleRate
                | Metric::TrainingCoverageRate
                | Metric::ProposalOnTimeRate
        )
    }
}

/// How a computed indicator's count or rate becomes points; the thresholds are the set's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// From full marks, `per_item` off for each item, at most `cap` in all.
    DeductPerItem { per_item: Points, cap: Points },
    /// From full marks, each item's severity's points off, at most `cap` in all.
    DeductBySeverity(SeverityDeductions),
    /// The value falls in one band and earns its points.
    Bands { bands: Vec<Band> },
}

impl Rule {
    fn kind_name(&self) -> &'static str {
        match self {
            Rule::DeductPerItem { .. } => "deduct_per_item",
            Rule::DeductBySeverity(_) => "deduct_by_severity",
            Rule::Bands { .. } => "bands",
        }
    }
}

/// The points a dishonest record costs by its severity, and the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityDeductions {
    pub minor: Points,
    pub ordinary: Points,
    pub grave: Points,
    pub cap: Points,
}

impl SeverityDeductions {
    pub fn per(&self, severity: Severity) -> Points {
        match severity {
            Severity::Minor => self.minor,
            Severity::Ordinary => self.ordinary,
            Severity::Grave => self.grave,
        }
    }
}

/// One band: `from` inclusive, `to` exclusive (the last band's `to` inclusive), in the metric's
/// unit (percent, rating).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub from: Points,
    pub to: Points,
    pub points: Points,
}

/// 等次: a name and the least total that earns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub name: String,
    pub min_points: Points,
}

/// A veto (一票否决/限制等次): when a fact holds in the period, the grade is at most `at_most`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Veto {
    pub when: VetoFact,
    /// The name of a grade of the set.
    pub at_most: String,
    /// Chinese, shown beside the grade.
    pub reason: String,
    #[serde(default)]
    pub basis: String,
}

/// The facts a veto can rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VetoFact {
    /// A grave (严重) dishonest record about the unit decided in the period.
    GraveDishonestRecord,
    /// A dishonest record about the unit of any severity decided in the period.
    DishonestRecord,
    /// A rectification case overdue in the period.
    OverdueRectification,
    /// A grave dishonest record about one of the unit's civil servants in the period.
    CivilServantGraveRecord,
}

impl VetoFact {
    pub fn label(self) -> &'static str {
        match self {
            VetoFact::GraveDishonestRecord => "本期有严重政务失信记录",
            VetoFact::DishonestRecord => "本期有政务失信记录",
            VetoFact::OverdueRectification => "本期有逾期未完成的整改",
            VetoFact::CivilServantGraveRecord => "本期所属公务员有严重政务失信记录",
        }
    }
}

/// The unit kinds an assessment covers.
pub const ASSESSED_KINDS: [SubjectKind; 3] = [
    SubjectKind::FunctionalZone,
    SubjectKind::Department,
    SubjectKind::Township,
];

fn invalid(message: String) -> DomainError {
    DomainError::new(Code::IndicatorSetInvalid, message)
}

impl IndicatorSet {
    /// The shipped set of a year, parsed and validated.
    pub fn shipped(year: i32) -> Option<IndicatorSet> {
        SHIPPED
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, text)| IndicatorSet::parse(text).expect("the shipped set is valid"))
    }

    /// Reads a set from TOML and validates it. A syntax error, an unknown field or an unknown
    /// value comes back alone, with its line and column; otherwise every problem at once.
    pub fn parse(text: &str) -> Result<IndicatorSet, Vec<DomainError>> {
        let set: IndicatorSet = toml::from_str(text).map_err(|e| vec![toml_error(text, &e)])?;
        set.validate()?;
        Ok(set)
    }

    pub fn indicator_count(&self) -> usize {
        self.dimensions.iter().map(|d| d.indicators.len()).sum()
    }

    pub fn indicator(&self, code: &str) -> Option<(&Dimension, &Indicator)> {
        self.dimensions
            .iter()
            .find_map(|d| d.indicators.iter().find(|i| i.code == code).map(|i| (d, i)))
    }

    /// Every problem of the set, each naming the dimension or indicator it is in.
    pub fn validate(&self) -> Result<(), Vec<DomainError>> {
        let mut errs = Vec::new();
        if !(2000..=2100).contains(&self.year) {
            errs.push(invalid(format!("年度 {} 不是有效的考核年度", self.year)));
        }
        if self.name.trim().is_empty() {
            errs.push(invalid("指标体系名称不能为空".into()));
        }
        if self.total_points <= Points::ZERO {
            errs.push(invalid(format!("总分 {} 分应大于 0", self.total_points)));
        }
        if self.dimensions.is_empty() {
            errs.push(invalid("指标体系没有任何一级指标（维度）".into()));
        }
        let dim_sum: Points = self.dimensions.iter().map(|d| d.max_points).sum();
        if !self.dimensions.is_empty() && dim_sum != self.total_points {
            errs.push(invalid(format!(
                "各维度分值合计 {dim_sum} 分，应等于总分 {} 分",
                self.total_points
            )));
        }
        let mut codes = HashSet::new();
        for d in &self.dimensions {
            self.validate_dimension(d, &mut codes, &mut errs);
        }
        self.validate_grades(&mut errs);
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    fn validate_dimension<'a>(
        &self,
        d: &'a Dimension,
        codes: &mut HashSet<&'a str>,
        errs: &mut Vec<DomainError>,
    ) {
        let at = format!("维度 {}「{}」", d.code, d.name);
        if d.code.trim().is_empty() || d.name.trim().is_empty() {
            errs.push(invalid(format!("{at}：编码和名称不能为空")));
        }
        if !codes.insert(d.code.as_str()) {
            errs.push(invalid(format!("{at}：编码 {} 重复", d.code)));
        }
        if d.max_points <= Points::ZERO {
            errs.push(invalid(format!("{at}：分值 {} 分应大于 0", d.max_points)));
        }
        if d.indicators.is_empty() {
            errs.push(invalid(format!("{at}：没有任何二级指标")));
            return;
        }
        let sum: Points = d.indicators.iter().map(|i| i.max_points).sum();
        if sum != d.max_points {
            errs.push(invalid(format!(
                "{at}：所属指标分值合计 {sum} 分，应等于维度分值 {} 分",
                d.max_points
            )));
        }
        for i in &d.indicators {
            let at = format!("指标 {}「{}」", i.code, i.name);
            if i.code.trim().is_empty() || i.name.trim().is_empty() {
                errs.push(invalid(format!("{at}：编码和名称不能为空")));
            }
            if !codes.insert(i.code.as_str()) {
                errs.push(invalid(format!("{at}：编码 {} 重复", i.code)));
            }
            if i.max_points <= Points::ZERO {
                errs.push(invalid(format!("{at}：分值 {} 分应大于 0", i.max_points)));
            }
            if i.criteria.trim().is_empty() {
                errs.push(invalid(format!("{at}：缺少评分标准（criteria）")));
            }
            if i.basis.trim().is_empty() {
                errs.push(invalid(format!("{at}：缺少依据（basis）")));
            }
            validate_applies_to(&at, i, errs);
            validate_scoring(&at, i, errs);
        }
    }

    fn validate_grades(&self, errs: &mut Vec<DomainError>) {
        if self.grades.len() < 2 {
            errs.push(invalid("等次至少应有两个".into()));
        }
        let mut names = HashSet::new();
        for g in &self.grades {
            if g.name.trim().is_empty() {
                errs.push(invalid("等次名称不能为空".into()));
            }
            if !names.insert(g.name.as_str()) {
                errs.push(invalid(format!("等次「{}」重复", g.name)));
            }
        }
        for w in self.grades.windows(2) {
            if w[1].min_points >= w[0].min_points {
                errs.push(invalid(format!(
                    "等次「{}」的分数线 {} 分应低于上一等次「{}」的 {} 分（等次须从高到低排列）",
                    w[1].name, w[1].min_points, w[0].name, w[0].min_points
                )));
            }
        }
        if let Some(first) = self.grades.first()
            && first.min_points > self.total_points
        {
            errs.push(invalid(format!(
                "等次「{}」的分数线 {} 分高于总分 {} 分",
                first.name, first.min_points, self.total_points
            )));
        }
        if let Some(last) = self.grades.last()
            && last.min_points != Points::ZERO
        {
            errs.push(invalid(format!(
                "最低等次「{}」的分数线应为 0 分（现为 {} 分），否则有的总分没有等次",
                last.name, last.min_points
            )));
        }
        for v in &self.vetoes {
            if !self.grades.iter().any(|g| g.name == v.at_most) {
                errs.push(invalid(format!(
                    "否决规则「{}」：等次「{}」不在本指标体系的等次中",
                    v.when.label(),
                    v.at_most
                )));
            }
            if v.reason.trim().is_empty() {
                errs.push(invalid(format!(
                    "否决规则「{}」：缺少说明（reason）",
                    v.when.label()
                )));
            }
        }
    }

    /// The index (0 = highest) of a grade by name.
    pub fn grade_index(&self, name: &str) -> Option<usize> {
        self.grades.iter().position(|g| g.name == name)
    }
}

fn validate_applies_to(at: &str, i: &Indicator, errs: &mut Vec<DomainError>) {
    if i.applies_to.is_empty() {
        errs.push(invalid(format!("{at}：未指明适用的单位类型（applies_to）")));
    }
    let mut seen = HashSet::new();
    for k in &i.applies_to {
        if !ASSESSED_KINDS.contains(k) {
            errs.push(invalid(format!(
                "{at}：{}不是考核对象（适用类型应为 功能区、部门 或 街镇）",
                k.label()
            )));
        }
        if !seen.insert(*k) {
            errs.push(invalid(format!("{at}：适用类型「{}」重复", k.label())));
        }
    }
}

fn validate_scoring(at: &str, i: &Indicator, errs: &mut Vec<DomainError>) {
    match i.sort {
        Sort::Computed => {
            let Some(metric) = i.metric else {
                errs.push(invalid(format!("{at}：系统计算的指标须指明度量（metric）")));
                return;
            };
            if !metric.is_available() {
                errs.push(invalid(format!(
                    "{at}：度量 {}（{}）平台尚不能计算，请将该指标设为 office_scored 或 self_assessed",
                    metric.code(),
                    metric.label()
                )));
            }
            let Some(rule) = &i.rule else {
                errs.push(invalid(format!(
                    "{at}：系统计算的指标须写明计分规则（rule）"
                )));
                return;
            };
            validate_rule(at, i.max_points, metric, rule, errs);
        }
        Sort::OfficeScored | Sort::SelfAssessed => {
            if i.metric.is_some() || i.rule.is_some() {
                errs.push(invalid(format!(
                    "{at}：{}的指标不应有度量或计分规则（metric/rule 只用于 computed）",
                    i.sort.label()
                )));
            }
        }
    }
}

fn validate_rule(at: &str, max: Points, metric: Metric, rule: &Rule, errs: &mut Vec<DomainError>) {
    let fits = matches!(
        (metric.kind(), rule),
        (MetricKind::BySeverity, Rule::DeductBySeverity(_))
            | (MetricKind::BySeverity, Rule::DeductPerItem { .. })
            | (MetricKind::Count, Rule::DeductPerItem { .. })
            | (MetricKind::Scale { .. }, Rule::Bands { .. })
    );
    if !fits {
        errs.push(invalid(format!(
            "{at}：计分规则 {} 不适用于度量 {}（{}）",
            rule.kind_name(),
            metric.code(),
            metric.label()
        )));
        return;
    }
    let check_cap = |cap: Points, errs: &mut Vec<DomainError>| {
        if cap <= Points::ZERO || cap > max {
            errs.push(invalid(format!(
                "{at}：扣分上限 {cap} 分应大于 0 且不超过指标分值 {max} 分"
            )));
        }
    };
    match rule {
        Rule::DeductPerItem { per_item, cap } => {
            if *per_item <= Points::ZERO {
                errs.push(invalid(format!("{at}：每项扣分 {per_item} 分应大于 0")));
            }
            check_cap(*cap, errs);
        }
        Rule::DeductBySeverity(s) => {
            for (sev, p) in Severity::ALL.iter().map(|s2| (s2, s.per(*s2))) {
                if p < Points::ZERO {
                    errs.push(invalid(format!(
                        "{at}：{}失信每项扣分 {p} 分不能为负",
                        sev.label()
                    )));
                }
            }
            if !(s.minor <= s.ordinary && s.ordinary <= s.grave) || s.grave == Points::ZERO {
                errs.push(invalid(format!(
                    "{at}：扣分应随严重程度递增（轻微 {} ≤ 一般 {} ≤ 严重 {}，且严重大于 0）",
                    s.minor, s.ordinary, s.grave
                )));
            }
            check_cap(s.cap, errs);
        }
        Rule::Bands { bands } => {
            if let MetricKind::Scale { low, high, unit } = metric.kind() {
                validate_bands(at, max, low, high, unit, bands, errs);
            }
        }
    }
}

fn validate_bands(
    at: &str,
    max: Points,
    low: Points,
    high: Points,
    unit: &str,
    bands: &[Band],
    errs: &mut Vec<DomainError>,
) {
    let (Some(first), Some(last)) = (bands.first(), bands.last()) else {
        errs.push(invalid(format!("{at}：分档计分至少应有一档")));
        return;
    };
    for (n, b) in bands.iter().enumerate() {
        let which = format!("第 {} 档（{}{unit}–{}{unit}）", n + 1, b.from, b.to);
        if b.from >= b.to {
            errs.push(invalid(format!("{at}：{which}下限应小于上限")));
        }
        if b.points < Points::ZERO || b.points > max {
            errs.push(invalid(format!(
                "{at}：{which}得分 {} 分应在 0–{max} 分之间",
                b.points
            )));
        }
    }
    for (n, w) in bands.windows(2).enumerate() {
        if w[1].from < w[0].to {
            errs.push(invalid(format!(
                "{at}：第 {} 档与第 {} 档重叠或顺序颠倒（{}{unit} 应不小于 {}{unit}；各档须从低到高排列）",
                n + 1,
                n + 2,
                w[1].from,
                w[0].to
            )));
        } else if w[1].from > w[0].to {
            errs.push(invalid(format!(
                "{at}：第 {} 档与第 {} 档之间有空档（{}{unit}–{}{unit} 不在任何一档）",
                n + 1,
                n + 2,
                w[0].to,
                w[1].from
            )));
        }
    }
    if first.from != low || last.to != high {
        errs.push(invalid(format!(
            "{at}：各档应覆盖 {low}{unit}–{high}{unit}（现为 {}{unit}–{}{unit}）",
            first.from, last.to
        )));
    }
}

/// A TOML error in Chinese with its line and column, and the dimension or indicator it is in
/// when one can be seen above it.
fn toml_error(text: &str, e: &toml::de::Error) -> DomainError {
    let message = e.message().trim();
    let message = translate(message);
    let Some(span) = e.span() else {
        return invalid(format!("指标体系文件有误：{message}"));
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let near = enclosing_code(text, line)
        .map(|code| format!("（{code}）"))
        .unwrap_or_default();
    invalid(format!(
        "指标体系文件第 {line} 行第 {column} 列{near}：{message}"
    ))
}

/// The `code` of the `[[…]]` table the 1-based `line` is in: a dimension or an indicator (a
/// rule's sub-table counts as its indicator's).
fn enclosing_code(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = line.saturating_sub(1).min(lines.len().checked_sub(1)?);
    let start = (0..=at)
        .rev()
        .find(|&n| lines[n].trim_start().starts_with("[["))?;
    lines[start + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with("[["))
        .find_map(|l| {
            let rest = l
                .trim()
                .strip_prefix("code")?
                .trim_start()
                .strip_prefix('=')?;
            Some(rest.trim().trim_matches('"').to_string())
        })
}

/// The common serde messages in Chinese, the field or value kept as written.
fn translate(message: &str) -> String {
    let quoted = |m: &str| m.split('`').nth(1).unwrap_or("").to_string();
    if message.starts_with("unknown field") {
        format!("未知字段 {}（{message}）", quoted(message))
    } else if message.starts_with("unknown variant") {
        format!("无法识别的取值 {}（{message}）", quoted(message))
    } else if message.starts_with("missing field") {
        format!("缺少字段 {}", quoted(message))
    } else if message.starts_with("duplicate key") {
        format!("字段重复（{message}）")
    } else {
        message.to_string()
    }
}
