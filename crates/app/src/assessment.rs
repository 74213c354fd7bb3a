//! The yearly assessment (考核评价, issue 12): the indicator set of a year (the credit office's
//! own, saved and journaled, or the shipped one), every unit's result computed from the
//! platform's data and the scores given by hand, ranked within its group, compared with the
//! period before; scores given and confirmed; periods closed as signed snapshots and reopened
//! with a reason; the files of evidence behind a score given by hand. The credit office and the
//! organisation department see every unit; an account bound to an assessed unit (a unit's, or a
//! providing department's) sees its own. The free texts (a score's reason, a self-assessment, a
//! reopening's reason) are read in clear by the credit office only: everyone else, and every
//! workbook and print made for them, reads them with ID and phone numbers blanked and the
//! roster's civil servants masked.

use std::collections::HashMap;

use probity_domain::account::AccountRole;
use probity_domain::assessment::{
    EntryStage, Evidence, IndicatorSet, Period, PeriodKind, Points, Sort, Status, UnitAssessment,
    assess_unit, rank,
};
use probity_domain::attachment;
use probity_domain::disclosure::{NameMasker, internal_text};
use probity_domain::error::{Code, DomainError};
use probity_domain::record::FieldError;
use probity_domain::statistics::StatisticsRules;
use probity_domain::subject::SubjectKind;
use probity_store::{EvidenceMeta, NewAttachment, NewEntry, StoredEntry, StoredPeriod};
use serde::{Deserialize, Serialize};

use crate::cases::Upload;
use crate::{Actor, App, AppError, AppResult};

/// The setting a year's indicator set is saved under (its TOML text, as a JSON string).
fn set_setting(year: i32) -> String {
    format!("indicator_set/{year}")
}

/// The longest indicator set the credit office may save.
pub const SET_MAX_BYTES: usize = 256 * 1024;

/// The longest comment of a score.
pub const COMMENT_MAX_CHARS: usize = 500;

/// The most files of evidence one score carries (and one upload sends).
pub const MAX_EVIDENCE_FILES: usize = 5;

/// A year's indicator set and where it comes from.
#[derive(Debug, Clone)]
pub struct YearSet {
    pub set: IndicatorSet,
    /// The TOML text.
    pub text: String,
    /// When the credit office last saved it; `None`: the shipped set.
    pub saved_at: Option<String>,
}

/// The indicator set of `year`: the credit office's saved one, or the one shipped for the year.
pub fn indicator_set(app: &App, year: i32) -> AppResult<YearSet> {
    if let Some(s) = app.store().setting(&set_setting(year))? {
        let text: String = serde_json::from_str(&s.body)
            .map_err(|e| AppError::Other(format!("已保存的指标体系无法读取：{e}")))?;
        let set = IndicatorSet::parse(&text).map_err(|errs| {
            AppError::Other(format!(
                "已保存的 {year} 年度指标体系无效：{}",
                errs.iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            ))
        })?;
        return Ok(YearSet {
            set,
            text,
            saved_at: Some(s.updated_at),
        });
    }
    let text = probity_domain::assessment::SHIPPED
        .iter()
        .find(|(y, _)| *y == year)
        .map(|(_, t)| t.to_string())
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "{year} 年度尚未设定考核指标体系：请信用办在“考核指标体系”页面保存本年度的指标体系"
            ))
        })?;
    let set = IndicatorSet::parse(&text)
        .map_err(|_| AppError::Other(format!("随平台提供的 {year} 年度指标体系无效")))?;
    Ok(YearSet {
        set,
        text,
        saved_at: None,
    })
}

/// The credit office saves a year's indicator set (TOML): every problem at once, nothing saved
/// when one is wrong; refused while a period of the year is closed. Journaled with the set's
/// SM3 digest. Returns whether it changed.
pub fn save_indicator_set(app: &App, actor: &Actor, year: i32, text: &str) -> AppResult<bool> {
    if actor.role() != AccountRole::Admin {
        return Err(AppError::Forbidden("只有信用办可以修改考核指标体系".into()));
    }
    Period::new(year, PeriodKind::YearEnd)?;
    if text.len() > SET_MAX_BYTES {
        return Err(AppError::Invalid {
            code: "INDICATOR_SET_INVALID",
            message: format!("指标体系过长：最多 {} KB", SET_MAX_BYTES / 1024),
        });
    }
    let set = IndicatorSet::parse(text).map_err(|errs| {
        AppError::Fields(
            errs.into_iter()
                .map(|e| fe("text", e.code, e.message))
                .collect(),
        )
    })?;
    if set.year != year {
        return Err(AppError::Fields(vec![fe(
            "text",
            Code::IndicatorSetInvalid,
            format!("指标体系写的年度是 {}，应为 {year}", set.year),
        )]));
    }
    for kind in PeriodKind::ALL {
        let p = Period { year, kind };
        if app.store().assessment_period(p)?.is_some_and(|s| s.closed) {
            return Err(DomainError::new(
                Code::PeriodClosed,
                format!(
                    "{}已归档，不能再修改本年度的指标体系；如需修改，请先重新开启",
                    p.label()
                ),
            )
            .into());
        }
    }
    let body = serde_json::to_string(text).map_err(|e| AppError::Other(e.to_string()))?;
    let digest: String = probity_store::crypto::sm3(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let detail = format!("{year} 年度考核指标体系「{}」，SM3 {digest}", set.name);
    let who = actor.name();
    Ok(app
        .store()
        .write(|tx| tx.settings().save(&set_setting(year), &body, &who, &detail))?)
}

fn fe(column: &'static str, code: Code, message: impl Into<String>) -> FieldError {
    FieldError {
        column,
        error: DomainError::new(code, message.into()),
    }
}

/// Who may see which unit's results.
fn sees_all(actor: &Actor) -> bool {
    matches!(actor.role(), AccountRole::Admin | AccountRole::Hr)
}

/// The credit office and the organisation department; otherwise an account bound to the unit,
/// whatever it does there (an assessed department's accounts are mostly its providers').
fn may_see(actor: &Actor, unit_id: i64) -> bool {
    sees_all(actor)
        || (matches!(actor.role(), AccountRole::Unit | AccountRole::Provider)
            && actor.unit() == Some(unit_id))
}

/// The roster's civil servants for a reader who may not read the free texts in clear; `None`
/// for the credit office.
fn text_guard(app: &App, actor: &Actor) -> AppResult<Option<std::sync::Arc<NameMasker>>> {
    if actor.role() == AccountRole::Admin {
        return Ok(None);
    }
    Ok(Some(app.names().current(app.store())?))
}

/// A period's results with their free texts as `names`' reader reads them: the reopening's
/// reason, and each line that gives a score by hand (its reason carries the score's comment).
fn guard_results(r: &mut PeriodResults, names: &NameMasker) {
    r.reopened = r.reopened.as_deref().map(|t| internal_text(names, t));
    for u in &mut r.units {
        guard_ranked(u, names);
    }
}

fn guard_ranked(r: &mut Ranked, names: &NameMasker) {
    for d in &mut r.assessment.total.dimensions {
        for (_, result) in &mut d.indicators {
            result.rewrite_reasons(|l| match l.evidence {
                Evidence::Entry(_) => internal_text(names, &l.reason),
                _ => l.reason.clone(),
            });
        }
    }
}

/// The three groups a ranking is within (分组排名).
pub fn group_label(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::FunctionalZone => "功能区",
        SubjectKind::Department => "区级部门",
        SubjectKind::Township => "街镇",
        _ => "其他",
    }
}

/// A unit's result with its place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ranked {
    pub assessment: UnitAssessment,
    /// The rank within its group (功能区, 区级部门, 街镇), when its total is calculated.
    pub rank: Option<u32>,
    /// How many units of its group are ranked.
    pub ranked_in_group: u32,
    /// Its total in the period before, when that one was closed and it was calculated there.
    pub previous: Option<Points>,
}

impl Ranked {
    /// The change against the period before.
    pub fn change(&self) -> Option<Points> {
        Some(self.assessment.ranked_points()? - self.previous?)
    }
}

/// What a closed period keeps: the results as they were, signed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub period: Period,
    pub set_name: String,
    /// The indicator set's text as it was used.
    pub set_text: String,
    /// The day the results were computed on.
    pub computed_on: chrono::NaiveDate,
    pub units: Vec<Ranked>,
}

/// A period's results, live or frozen.
#[derive(Debug, Clone)]
pub struct PeriodResults {
    pub period: Period,
    pub set: IndicatorSet,
    pub computed_on: chrono::NaiveDate,
    /// Set when the period is closed: the stored snapshot (its signature checked).
    pub closed: Option<ClosedInfo>,
    /// The reason of the last reopening, while open again.
    pub reopened: Option<String>,
    pub units: Vec<Ranked>,
}

#[derive(Debug, Clone)]
pub struct ClosedInfo {
    pub closed_at: String,
    pub closed_by: String,
    /// The SM2 signature verifies against the platform's key.
    pub authentic: bool,
}

/// Every unit's result in the period, ranked: the frozen snapshot of a closed period, or
/// computed now. The credit office and the organisation department only.
pub fn results(app: &App, actor: &Actor, period: Period) -> AppResult<PeriodResults> {
    if !sees_all(actor) {
        return Err(AppError::Forbidden(
            "只有信用办和组织人事部门可以查看全区考核结果".into(),
        ));
    }
    let mut r = period_results(app, period)?;
    if let Some(names) = text_guard(app, actor)? {
        guard_results(&mut r, &names);
    }
    Ok(r)
}

/// Every unit's result in the period for the operator at the machine (`probity assessment
/// results`: the command line has the database itself, as `calendar` and `tick` do).
pub fn results_for_operator(app: &App, period: Period) -> AppResult<PeriodResults> {
    period_results(app, period)
}

/// One unit's result in the period, with its place: the credit office, the organisation
/// department, and the unit's own accounts.
pub fn unit_result(
    app: &App,
    actor: &Actor,
    period: Period,
    unit_id: i64,
) -> AppResult<(PeriodResults, Ranked)> {
    if !may_see(actor, unit_id) {
        return Err(AppError::Forbidden("只能查看本单位的考核结果".into()));
    }
    let mut all = period_results(app, period)?;
    if let Some(names) = text_guard(app, actor)? {
        guard_results(&mut all, &names);
    }
    let one = all
        .units
        .iter()
        .find(|r| r.assessment.unit_id == unit_id)
        .cloned()
        .ok_or_else(|| AppError::NotFound("该单位不在本期考核范围内".into()))?;
    Ok((all, one))
}

fn period_results(app: &App, period: Period) -> AppResult<PeriodResults> {
    let store = app.store();
    let stored = store.assessment_period(period)?;
    if let Some(p) = stored.as_ref().filter(|p| p.closed) {
        return frozen(app, p);
    }
    let year_set = indicator_set(app, period.year)?;
    let today = app.today();
    let units = compute(app, &year_set.set, period, today)?;
    Ok(PeriodResults {
        period,
        set: year_set.set,
        computed_on: today.min(period.to()),
        closed: None,
        reopened: stored.and_then(|p| p.reopen_reason),
        units,
    })
}

fn frozen(app: &App, p: &StoredPeriod) -> AppResult<PeriodResults> {
    let snap: Snapshot = serde_json::from_str(&p.snapshot)
        .map_err(|e| AppError::Other(format!("考核结果快照无法读取：{e}")))?;
    let set = IndicatorSet::parse(&snap.set_text)
        .map_err(|_| AppError::Other("考核结果快照中的指标体系无效".into()))?;
    let authentic = app.store().assessment_snapshot_is_authentic(p)?;
    Ok(PeriodResults {
        period: p.period,
        set,
        computed_on: snap.computed_on,
        closed: Some(ClosedInfo {
            closed_at: p.closed_at.clone(),
            closed_by: p.closed_by.clone(),
            authentic,
        }),
        reopened: None,
        units: snap.units,
    })
}

/// Computes every unit's result, ranks them within their groups and adds the previous period's
/// totals where that one was closed.
fn compute(
    app: &App,
    set: &IndicatorSet,
    period: Period,
    today: chrono::NaiveDate,
) -> AppResult<Vec<Ranked>> {
    let store = app.store();
    let facts = store.assessment_facts(period)?;
    let mut entries: HashMap<i64, Vec<probity_domain::assessment::Entry>> = HashMap::new();
    for e in store.assessment_entries(period)? {
        entries.entry(e.unit_id).or_default().push(e.entry);
    }
    let statistics = StatisticsRules::default();
    let assessed: Vec<UnitAssessment> = facts
        .iter()
        .map(|f| {
            let e = entries.get(&f.unit_id).map(Vec::as_slice).unwrap_or(&[]);
            assess_unit(set, period, today, statistics, f, e)
        })
        .collect();
    let previous = previous_totals(app, period.previous())?;
    Ok(ranked(assessed, &previous))
}

fn previous_totals(app: &App, period: Period) -> AppResult<HashMap<i64, Points>> {
    let Some(p) = app.store().assessment_period(period)?.filter(|p| p.closed) else {
        return Ok(HashMap::new());
    };
    // A snapshot whose signature fails is not compared with.
    if !app.store().assessment_snapshot_is_authentic(&p)? {
        return Ok(HashMap::new());
    }
    let snap: Snapshot = serde_json::from_str(&p.snapshot)
        .map_err(|e| AppError::Other(format!("上期考核结果快照无法读取：{e}")))?;
    Ok(snap
        .units
        .iter()
        .filter_map(|r| Some((r.assessment.unit_id, r.assessment.ranked_points()?)))
        .collect())
}

/// Ranks within each group, keeping the units' order (groups, then highest first).
fn ranked(mut assessed: Vec<UnitAssessment>, previous: &HashMap<i64, Points>) -> Vec<Ranked> {
    assessed.sort_by(|a, b| {
        group_order(a.kind)
            .cmp(&group_order(b.kind))
            .then(b.ranked_points().cmp(&a.ranked_points()))
            .then(a.unit_id.cmp(&b.unit_id))
    });
    let mut ranks: Vec<(Option<u32>, u32)> = Vec::with_capacity(assessed.len());
    for group in assessed.chunk_by(|a, b| group_order(a.kind) == group_order(b.kind)) {
        let points: Vec<Option<Points>> = group.iter().map(UnitAssessment::ranked_points).collect();
        let in_group = points.iter().flatten().count() as u32;
        ranks.extend(rank(&points).into_iter().map(|r| (r, in_group)));
    }
    assessed
        .into_iter()
        .zip(ranks)
        .map(|(a, (rank, ranked_in_group))| Ranked {
            previous: previous.get(&a.unit_id).copied(),
            assessment: a,
            rank,
            ranked_in_group,
        })
        .collect()
}

fn group_order(kind: SubjectKind) -> u8 {
    match kind {
        SubjectKind::FunctionalZone => 0,
        SubjectKind::Department => 1,
        SubjectKind::Township => 2,
        _ => 3,
    }
}

/// A score to give (信用办评分, 单位自评, 信用办确认).
#[derive(Debug, Clone)]
pub struct ScoreInput {
    pub indicator: String,
    /// As typed: a number with at most two decimals.
    pub points: String,
    pub comment: String,
    /// Files of evidence (佐证材料) to add to the score, not yet checked.
    pub files: Vec<Upload>,
}

/// Files of evidence checked by content and size, each refusal at the file's field; refused
/// whole past [`MAX_EVIDENCE_FILES`].
fn checked_files(files: Vec<Upload>, errs: &mut Vec<FieldError>) -> AppResult<Vec<NewAttachment>> {
    if files.len() > MAX_EVIDENCE_FILES {
        return Err(too_many_files(0));
    }
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        match attachment::check(&f.file_name, &f.bytes) {
            Ok(kind) => out.push(NewAttachment {
                file_name: attachment::safe_file_name(&f.file_name),
                kind: kind.code().to_string(),
                bytes: f.bytes,
            }),
            Err(error) => errs.push(FieldError {
                column: "file",
                error,
            }),
        }
    }
    Ok(out)
}

fn too_many_files(held: i64) -> AppError {
    AppError::Invalid {
        code: "TOO_MANY_FILES",
        message: if held > 0 {
            format!("每项评分最多 {MAX_EVIDENCE_FILES} 个佐证材料，已有 {held} 个")
        } else {
            format!("每项评分最多 {MAX_EVIDENCE_FILES} 个佐证材料")
        },
    }
}

/// Refuses more files than a score may carry, counting those it has (inside the write).
fn room_for(tx: &mut probity_store::Tx<'_>, entry_id: i64, adding: usize) -> AppResult<()> {
    let held = tx.assessments().evidence_count(entry_id)?;
    if held + adding as i64 > MAX_EVIDENCE_FILES as i64 {
        return Err(too_many_files(held));
    }
    Ok(())
}

/// Gives a score by hand, with its files of evidence if any (added to those it has). The credit
/// office scores the office-scored indicators and confirms or adjusts the self-assessed ones (the
/// unit's claim kept beside); a unit self-assesses its own self-assessed indicators until the
/// office confirms them. Every problem at once, nothing saved; refused on a closed period.
/// Returns the entry's id.
pub fn give_score(
    app: &App,
    actor: &Actor,
    period: Period,
    unit_id: i64,
    input: ScoreInput,
) -> AppResult<i64> {
    let office = actor.role() == AccountRole::Admin;
    let own_unit = matches!(actor.role(), AccountRole::Unit | AccountRole::Provider)
        && actor.unit() == Some(unit_id);
    if !office && !own_unit {
        return Err(AppError::Forbidden(
            "只有信用办可以评分；被评价单位只能对本单位的自评指标自评".into(),
        ));
    }
    let year_set = indicator_set(app, period.year)?;
    let unit = app.store().subject(unit_id).map_err(|e| match e {
        probity_store::StoreError::NotFound(_) => AppError::NotFound("该单位不存在".into()),
        other => other.into(),
    })?;
    if !probity_domain::assessment::ASSESSED_KINDS.contains(&unit.kind)
        || unit.successor_id.is_some()
    {
        return Err(AppError::NotFound("该单位不在考核范围内".into()));
    }
    let mut errs = Vec::new();
    let indicator = year_set
        .set
        .indicator(input.indicator.trim())
        .map(|(_, i)| i);
    match indicator {
        None => errs.push(fe(
            "indicator",
            Code::IndicatorSetInvalid,
            format!(
                "指标 {} 不在 {} 年度指标体系中",
                input.indicator.trim(),
                period.year
            ),
        )),
        Some(i) if i.sort == Sort::Computed => errs.push(fe(
            "indicator",
            Code::ScoreOutOfRange,
            format!("指标 {}「{}」由系统计算，不能手工评分", i.code, i.name),
        )),
        Some(i) if !office && i.sort != Sort::SelfAssessed => errs.push(fe(
            "indicator",
            Code::Forbidden,
            format!("指标 {}「{}」由信用办评分，单位不能自评", i.code, i.name),
        )),
        _ => {}
    }
    let points = parse_points(&input.points);
    match (&points, indicator) {
        (Err(m), _) => errs.push(fe("points", Code::ScoreOutOfRange, m.clone())),
        (Ok(p), Some(i)) if *p > i.max_points => errs.push(fe(
            "points",
            Code::ScoreOutOfRange,
            format!("评分 {p} 分超出本指标分值范围 0–{} 分", i.max_points),
        )),
        _ => {}
    }
    let comment = input.comment.trim();
    if comment.is_empty() {
        errs.push(fe("comment", Code::Required, "请写明评分理由或自评说明"));
    } else if comment.chars().count() > COMMENT_MAX_CHARS {
        errs.push(fe(
            "comment",
            Code::TooLong,
            format!("评分说明最多 {COMMENT_MAX_CHARS} 字"),
        ));
    }
    let files = checked_files(input.files, &mut errs)?;
    if !errs.is_empty() {
        return Err(AppError::Fields(errs));
    }
    let (Some(indicator), Ok(points)) = (indicator, points) else {
        return Err(AppError::Other("评分校验不完整".into()));
    };
    let who = actor.name();
    let id = app.store().write(|tx| -> AppResult<i64> {
        if tx.assessments().is_closed(period)? {
            return Err(DomainError::new(
                Code::PeriodClosed,
                format!(
                    "{}已归档，评分不能再修改；如需修改，请信用办先重新开启",
                    period.label()
                ),
            )
            .into());
        }
        let existing: Option<StoredEntry> = tx
            .store()
            .assessment_entries_of(period, unit_id)?
            .into_iter()
            .find(|e| e.entry.indicator == indicator.code);
        let (stage, claimed) = match (office, indicator.sort) {
            (true, Sort::SelfAssessed) => (
                EntryStage::Confirmed,
                existing.as_ref().and_then(|e| match e.entry.stage {
                    EntryStage::SelfAssessed => Some(e.entry.points),
                    _ => e.entry.claimed,
                }),
            ),
            (true, _) => (EntryStage::Scored, None),
            (false, _) => {
                if existing
                    .as_ref()
                    .is_some_and(|e| e.entry.stage == EntryStage::Confirmed)
                {
                    return Err(AppError::Invalid {
                        code: "SCORE_CONFIRMED",
                        message: "信用办已确认该项评分，单位不能再修改自评".into(),
                    });
                }
                (EntryStage::SelfAssessed, None)
            }
        };
        let new = NewEntry {
            period,
            unit_id,
            indicator: &indicator.code,
            stage,
            points,
            claimed,
            comment,
        };
        let id = tx.assessments().save_entry(&new, &who)?;
        if !files.is_empty() {
            room_for(tx, id, files.len())?;
            tx.assessments().add_evidence(id, &new, files, &who)?;
        }
        Ok(id)
    })?;
    Ok(id)
}

/// Adds files of evidence to a score already given: the credit office to any, a unit to its own
/// self-assessment until the office confirms it. At most [`MAX_EVIDENCE_FILES`] a score; refused
/// on a closed period; nothing stored when one file is refused. Returns the files' ids.
pub fn add_evidence(
    app: &App,
    actor: &Actor,
    period: Period,
    unit_id: i64,
    indicator: &str,
    files: Vec<Upload>,
) -> AppResult<Vec<i64>> {
    let office = actor.role() == AccountRole::Admin;
    let own_unit = matches!(actor.role(), AccountRole::Unit | AccountRole::Provider)
        && actor.unit() == Some(unit_id);
    if !office && !own_unit {
        return Err(AppError::Forbidden(
            "只有信用办和被评价单位本身可以上传评分的佐证材料".into(),
        ));
    }
    if files.is_empty() {
        return Err(AppError::Invalid {
            code: "FILE_REQUIRED",
            message: "请选择要上传的佐证材料（以字段名 file 上传）".into(),
        });
    }
    let mut errs = Vec::new();
    let files = checked_files(files, &mut errs)?;
    if !errs.is_empty() {
        return Err(AppError::Fields(errs));
    }
    let indicator = indicator.trim();
    let who = actor.name();
    app.store().write(|tx| -> AppResult<Vec<i64>> {
        if tx.assessments().is_closed(period)? {
            return Err(DomainError::new(
                Code::PeriodClosed,
                format!(
                    "{}已归档，佐证材料不能再补充；如需补充，请信用办先重新开启",
                    period.label()
                ),
            )
            .into());
        }
        let Some(e) = tx
            .store()
            .assessment_entries_of(period, unit_id)?
            .into_iter()
            .find(|e| e.entry.indicator == indicator)
        else {
            return Err(AppError::Invalid {
                code: "SCORE_MISSING",
                message: format!("指标 {indicator} 尚未评分：请先评分，再上传佐证材料"),
            });
        };
        if !office && e.entry.stage != EntryStage::SelfAssessed {
            return Err(AppError::Invalid {
                code: "SCORE_CONFIRMED",
                message: "该项评分由信用办给出或已确认，单位不能再补充佐证材料".into(),
            });
        }
        room_for(tx, e.entry.id, files.len())?;
        let new = NewEntry {
            period,
            unit_id,
            indicator,
            stage: e.entry.stage,
            points: e.entry.points,
            claimed: e.entry.claimed,
            comment: &e.entry.comment,
        };
        Ok(tx
            .assessments()
            .add_evidence(e.entry.id, &new, files, &who)?)
    })
}

/// The files of evidence of one unit's scores in a period, for those who may see its result; a
/// file's name read as the free texts are.
pub fn evidence_of(
    app: &App,
    actor: &Actor,
    period: Period,
    unit_id: i64,
) -> AppResult<Vec<EvidenceMeta>> {
    if !may_see(actor, unit_id) {
        return Err(AppError::Forbidden("只能查看本单位的考核评分".into()));
    }
    let mut files = app.store().assessment_evidence(period, unit_id)?;
    if let Some(names) = text_guard(app, actor)? {
        for f in &mut files {
            f.file_name = internal_text(&names, &f.file_name);
        }
    }
    Ok(files)
}

/// A file of evidence of a unit's score, its bytes checked against their SM3 digest, for those
/// who may see the unit's result.
pub fn evidence_file(
    app: &App,
    actor: &Actor,
    period: Period,
    unit_id: i64,
    id: i64,
) -> AppResult<(EvidenceMeta, Vec<u8>)> {
    if !may_see(actor, unit_id) {
        return Err(AppError::Forbidden("只能查看本单位的考核评分".into()));
    }
    let missing = || AppError::NotFound(format!("未找到：佐证材料 {id}"));
    let (mut meta, bytes) = app
        .store()
        .assessment_evidence_file(id)
        .map_err(|e| match e {
            probity_store::StoreError::NotFound(_) => missing(),
            other => other.into(),
        })?;
    if meta.period != period || meta.unit_id != unit_id {
        return Err(missing());
    }
    if let Some(names) = text_guard(app, actor)? {
        meta.file_name = internal_text(&names, &meta.file_name);
    }
    Ok((meta, bytes))
}

/// `4`, `3.5`, `2.25`: not negative, at most two decimals.
fn parse_points(s: &str) -> Result<Points, String> {
    let t = s.trim();
    let bad = || format!("“{t}”不是有效的分值：应为不小于 0 的数，最多两位小数");
    if t.is_empty() {
        return Err("请填写分值".into());
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || whole.len() > 6
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Ok(Points::from_hundredths(w * 100 + f))
}

/// Closes the period: every unit's result computed now and frozen as a snapshot signed with the
/// platform's SM2 key. The credit office only; refused when already closed. Returns the results.
pub fn close_period(app: &App, actor: &Actor, period: Period) -> AppResult<PeriodResults> {
    if actor.role() != AccountRole::Admin {
        return Err(AppError::Forbidden("只有信用办可以归档考核结果".into()));
    }
    let today = app.today();
    if today <= period.to() {
        return Err(AppError::Invalid {
            code: "PERIOD_NOT_OVER",
            message: format!("{}到 {} 结束，结束前不能归档", period.label(), period.to()),
        });
    }
    close_as(app, &actor.name(), period)
}

/// Closes the period as `who` (the credit office's account, or the demo loader).
pub(crate) fn close_as(app: &App, who: &str, period: Period) -> AppResult<PeriodResults> {
    let today = app.today();
    let mark = app.store().assessment_entries_mark(period)?;
    let year_set = indicator_set(app, period.year)?;
    let units = compute(app, &year_set.set, period, today)?;
    let snap = Snapshot {
        period,
        set_name: year_set.set.name.clone(),
        set_text: year_set.text.clone(),
        computed_on: period.to(),
        units,
    };
    let body = serde_json::to_string(&snap).map_err(|e| AppError::Other(e.to_string()))?;
    app.store().write(|tx| -> AppResult<()> {
        if tx.assessments().is_closed(period)? {
            return Err(DomainError::new(
                Code::PeriodClosed,
                format!("{}已经归档", period.label()),
            )
            .into());
        }
        // A score saved while the results were computed: computed again by the next try.
        if tx.assessments().entries_mark(period)? != mark {
            return Err(AppError::Invalid {
                code: "SCORES_CHANGED",
                message: "归档时有评分刚刚修改，结果需要重新计算：请再点一次归档".into(),
            });
        }
        tx.assessments().close(period, &body, who)?;
        Ok(())
    })?;
    period_results(app, period)
}

/// Reopens a closed period with a reason (journaled). The credit office only.
pub fn reopen_period(app: &App, actor: &Actor, period: Period, reason: &str) -> AppResult<()> {
    if actor.role() != AccountRole::Admin {
        return Err(AppError::Forbidden("只有信用办可以重新开启考核期".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Fields(vec![fe(
            "reason",
            Code::Required,
            "重新开启须写明理由",
        )]));
    }
    if reason.chars().count() > COMMENT_MAX_CHARS {
        return Err(AppError::Fields(vec![fe(
            "reason",
            Code::TooLong,
            format!("理由最多 {COMMENT_MAX_CHARS} 字"),
        )]));
    }
    let who = actor.name();
    app.store().write(|tx| reopen_in(tx, period, reason, &who))
}

/// Reopens a closed period in the caller's unit of work (a corrected dispute reopens it with
/// its answer): refused when the period is not closed.
pub(crate) fn reopen_in(
    tx: &mut probity_store::Tx<'_>,
    period: Period,
    reason: &str,
    who: &str,
) -> AppResult<()> {
    if !tx.assessments().is_closed(period)? {
        return Err(DomainError::new(
            Code::PeriodNotClosed,
            format!("{}尚未归档，无需重新开启", period.label()),
        )
        .into());
    }
    tx.assessments().reopen(period, reason, who)?;
    Ok(())
}

/// The entries of one unit in a period (for the score page's forms).
pub fn entries_of(
    app: &App,
    actor: &Actor,
    period: Period,
    unit_id: i64,
) -> AppResult<Vec<StoredEntry>> {
    if !may_see(actor, unit_id) {
        return Err(AppError::Forbidden("只能查看本单位的考核评分".into()));
    }
    let mut entries = app.store().assessment_entries_of(period, unit_id)?;
    if let Some(names) = text_guard(app, actor)? {
        for e in &mut entries {
            e.entry.comment = internal_text(&names, &e.entry.comment);
        }
    }
    Ok(entries)
}

/// The grade distribution of a group (or all units): each grade of the set with its count,
/// then those without a grade.
pub fn distribution(set: &IndicatorSet, units: &[&Ranked]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = set
        .grades
        .iter()
        .map(|g| {
            (
                g.name.clone(),
                units
                    .iter()
                    .filter(|r| r.assessment.grade.as_deref() == Some(g.name.as_str()))
                    .count(),
            )
        })
        .collect();
    let waiting = units
        .iter()
        .filter(|r| r.assessment.total.status != Status::Calculated)
        .count();
    out.push(("暂不定等次".to_string(), waiting));
    out
}

/// The demo district's indicator set for `year` when none is shipped for it: the latest shipped
/// set under the year's number, saved as the credit office would save it (so that the demo keeps
/// working after the shipped years). Returns whether it saved one.
pub(crate) fn demo_set(app: &App, who: &str, year: i32) -> AppResult<bool> {
    if indicator_set(app, year).is_ok() {
        return Ok(false);
    }
    let Some((shipped_year, text)) = probity_domain::assessment::SHIPPED
        .iter()
        .max_by_key(|(y, _)| *y)
    else {
        return Ok(false);
    };
    let text = text
        .replacen(
            &format!("year = {shipped_year}"),
            &format!("year = {year}"),
            1,
        )
        .replace(&format!("{shipped_year}年度"), &format!("{year}年度"));
    if IndicatorSet::parse(&text).is_err() {
        return Ok(false);
    }
    let body = serde_json::to_string(&text).map_err(|e| AppError::Other(e.to_string()))?;
    let detail = format!("演示数据：沿用 {shipped_year} 年度指标体系");
    app.store()
        .write(|tx| tx.settings().save(&set_setting(year), &body, who, &detail))?;
    Ok(true)
}

/// The demo district's scores: every hand-scored indicator of every unit in `period`, between
/// 70% and full marks by a fixed hash (self-assessments confirmed, a few adjusted), in one write.
pub(crate) fn demo_scores(app: &App, who: &str, period: Period) -> AppResult<usize> {
    let year_set = indicator_set(app, period.year)?;
    let units = app.store().assessment_facts(period)?;
    let mut n = 0;
    app.store().write(|tx| -> AppResult<()> {
        for u in &units {
            for i in year_set.set.dimensions.iter().flat_map(|d| &d.indicators) {
                if i.sort == Sort::Computed || !i.applies(u.kind, u.is_provider) {
                    continue;
                }
                let h = u.unit_id.unsigned_abs().wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    ^ i.code
                        .bytes()
                        .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
                let h = h ^ (h >> 29);
                // 70 %–100 % of the maximum in steps of half a point, most near the top.
                let share = 70 + (h % 31).max(h / 31 % 31);
                let halves = (i.max_points.hundredths() * share as i64 / 100 + 25) / 50;
                let points = Points::from_hundredths(halves * 50).min(i.max_points);
                let (stage, claimed, comment) = match i.sort {
                    Sort::SelfAssessed if points < i.max_points => (
                        EntryStage::Confirmed,
                        Some(i.max_points),
                        "核查佐证材料，部分事项未落实到位，酌情扣分",
                    ),
                    Sort::SelfAssessed => (
                        EntryStage::Confirmed,
                        Some(points),
                        "佐证材料齐全，确认自评分",
                    ),
                    _ if points < i.max_points => (
                        EntryStage::Scored,
                        None,
                        "抽查发现个别事项不符合要求，酌情扣分",
                    ),
                    _ => (EntryStage::Scored, None, "材料齐全，符合要求"),
                };
                tx.assessments().save_entry(
                    &NewEntry {
                        period,
                        unit_id: u.unit_id,
                        indicator: &i.code,
                        stage,
                        points,
                        claimed,
                        comment,
                    },
                    who,
                )?;
                n += 1;
            }
        }
        Ok(())
    })?;
    Ok(n)
}
