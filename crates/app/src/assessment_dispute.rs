//! Disputes of an assessment result (考核结果异议, issue 12), a kind of case on the case engine:
//! a unit disputes its own result in a closed period within five working days of publication
//! (the day the credit office closed it), naming the indicators and its reasons; the credit
//! office answers on the case (`cases::step`) within its deadline, keeping the result or
//! correcting it, and a correction reopens the period in the same unit of work, with the
//! dispute as the reason, so that the score can be changed and the period closed again. The
//! rules are `probity_domain::case::dispute`'s.

use chrono::NaiveDate;
use probity_domain::account::AccountRole;
use probity_domain::assessment::{IndicatorSet, Period};
use probity_domain::case::dispute::{self, DisputeDetail, DisputeInput};
use probity_domain::case::{self, CaseKind, Party};
use probity_domain::date::beijing_date;
use probity_domain::{Code, DomainError};
use probity_store::{Applicant, CaseFilter, NewCase, StoredCase, StoredPeriod};

use crate::assessment::{COMMENT_MAX_CHARS, Snapshot, reopen_in};
use crate::cases::date_text;
use crate::{Actor, App, AppError, AppResult};

/// How many indicator codes a dispute's title names before `等 N 项`.
const TITLE_CODES: usize = 5;

/// Whether the actor speaks for `unit_id`: the unit's own accounts (an assessed unit, or a
/// providing department assessed as a unit).
fn speaks_for(actor: &Actor, unit_id: i64) -> bool {
    matches!(actor.role(), AccountRole::Unit | AccountRole::Provider)
        && actor.unit() == Some(unit_id)
}

/// The closed period as published: its stored row, its snapshot and the day it was closed on
/// (Beijing). `PERIOD_NOT_CLOSED` while it is open: nothing is published to dispute.
fn published(app: &App, period: Period) -> AppResult<(StoredPeriod, Snapshot, NaiveDate)> {
    let p = app
        .store()
        .assessment_period(period)?
        .filter(|p| p.closed)
        .ok_or_else(|| {
            AppError::Domain(DomainError::new(
                Code::PeriodNotClosed,
                format!("{}尚未归档，考核结果公布后才能提出异议", period.label()),
            ))
        })?;
    let snap: Snapshot = serde_json::from_str(&p.snapshot)
        .map_err(|e| AppError::Other(format!("考核结果快照无法读取：{e}")))?;
    let closed = chrono::DateTime::parse_from_rfc3339(&p.closed_at)
        .map_err(|_| AppError::Other(format!("{}的归档时间无法读取", period.label())))?;
    let day = beijing_date(closed.with_timezone(&chrono::Utc));
    Ok((p, snap, day))
}

/// The indicator set the snapshot was computed with.
fn set_of(snap: &Snapshot) -> AppResult<IndicatorSet> {
    IndicatorSet::parse(&snap.set_text)
        .map_err(|_| AppError::Other("考核结果快照中的指标体系无效".into()))
}

/// The dispute's detail as kept on its case, if the case is a dispute of `period`.
fn detail_of(c: &StoredCase) -> Option<DisputeDetail> {
    (c.kind == CaseKind::Dispute)
        .then(|| serde_json::from_value::<DisputeDetail>(c.detail.clone()).ok())
        .flatten()
}

fn of_period(c: &StoredCase, period: Period) -> bool {
    detail_of(c).is_some_and(|d| d.year == period.year && d.period == period.kind)
}

/// A case's title: the unit, the period and the indicators disputed.
fn title(unit: &str, period: Period, indicators: &[String]) -> String {
    let mut codes = indicators
        .iter()
        .take(TITLE_CODES)
        .cloned()
        .collect::<Vec<_>>()
        .join("、");
    if indicators.len() > TITLE_CODES {
        codes.push_str(&format!(" 等 {} 项", indicators.len()));
    }
    format!("{unit}：{}考核结果异议（{codes}）", period.label())
}

/// A unit disputes its own result in a closed period (提出考核结果异议): within five working
/// days of publication, naming the indicators of the period's set it disputes and its reasons.
/// The case goes to the credit office, which answers within its deadline. One open dispute per
/// unit and period (`DISPUTE_EXISTS`); after the window `DISPUTE_WINDOW_CLOSED`; another
/// unit's result is refused.
pub fn file(
    app: &App,
    actor: &Actor,
    period: Period,
    unit_id: i64,
    input: &DisputeInput,
) -> AppResult<StoredCase> {
    if !speaks_for(actor, unit_id) {
        return Err(AppError::Forbidden(
            "只能由被考核单位对本单位的考核结果提出异议".into(),
        ));
    }
    let (_, snap, published_on) = published(app, period)?;
    let unit = snap
        .units
        .iter()
        .find(|r| r.assessment.unit_id == unit_id)
        .ok_or_else(|| AppError::NotFound("该单位不在本期考核范围内".into()))?;
    let cal = app.store().calendar()?;
    let today = app.today();
    let deadlines = crate::cases::deadlines(app)?;
    let last_day = dispute::may_file(&cal, published_on, today, deadlines.dispute_window_days)?;
    let set = set_of(&snap)?;
    let known: Vec<&str> = set
        .dimensions
        .iter()
        .flat_map(|d| d.indicators.iter().map(|i| i.code.as_str()))
        .collect();
    let valid = input.validate(&known).map_err(AppError::Fields)?;
    let opening = case::rules(CaseKind::Dispute).opening(&deadlines, None);
    let deadline = opening.deadline(&cal, today)?;
    let detail = DisputeDetail {
        year: period.year,
        period: period.kind,
        indicators: valid.indicators.clone(),
        published_on,
        last_day,
    };
    let title = title(&unit.assessment.name, period, &valid.indicators);
    let who = actor.name();
    app.store().write(|tx| -> AppResult<StoredCase> {
        // Read again inside the write: reopened meanwhile, there is nothing published to
        // dispute; two disputes filed at once, the second finds the first.
        if !tx.assessments().is_closed(period)? {
            return Err(DomainError::new(
                Code::PeriodNotClosed,
                format!("{}已重新开启，归档后才能提出异议", period.label()),
            )
            .into());
        }
        if let Some(open) = tx
            .cases()
            .open_about(unit_id, CaseKind::Dispute)?
            .iter()
            .find(|c| of_period(c, period))
        {
            return Err(DomainError::new(
                Code::DisputeExists,
                format!(
                    "本单位对{}考核结果的异议（案件 {}）正在办理，不能重复提出",
                    period.label(),
                    open.id
                ),
            )
            .into());
        }
        let c = tx.cases().open(
            &NewCase {
                kind: CaseKind::Dispute,
                state: opening.state,
                record_id: None,
                subject_id: Some(unit_id),
                applicant: Applicant::Unit(unit_id),
                assignee_unit: None,
                deadline,
                title: title.clone(),
                text: valid.reasons.clone(),
                tracking_no: None,
                code_hash: None,
                channel: None,
                contact: None,
                detail: serde_json::to_value(&detail)
                    .map_err(|e| AppError::Other(e.to_string()))?,
            },
            &who,
            Party::Applicant.code(),
            Vec::new(),
        )?;
        tx.cases().notify(
            None,
            Some(c.id),
            &format!(
                "收到考核结果异议：{title}，请于 {} 前答复（{}结果于 {published_on} 公布）",
                date_text(deadline),
                period.label(),
            ),
        )?;
        Ok(c)
    })
}

/// Where a unit stands with disputing its result: shown on its own result page while the
/// window is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub published_on: NaiveDate,
    /// The last day a dispute may be filed.
    pub last_day: NaiveDate,
    /// The working days a dispute may be filed in, and those the credit office has to answer
    /// (the case deadlines' settings).
    pub window_days: u32,
    pub answer_days: u32,
    /// The indicators of the period's set, code and name, in the set's order.
    pub indicators: Vec<(String, String)>,
    /// The unit's dispute of the period still being handled, if any.
    pub open_case: Option<i64>,
}

/// The dispute window of `unit_id`'s result in `period` as the actor sees it: only the unit
/// itself, only for a closed period, only until the last day (`None` otherwise, and when the
/// calendar cannot count the days: filing then says why).
pub fn window(app: &App, actor: &Actor, period: Period, unit_id: i64) -> AppResult<Option<Window>> {
    if !speaks_for(actor, unit_id) {
        return Ok(None);
    }
    let (_, snap, published_on) = match published(app, period) {
        Ok(p) => p,
        Err(AppError::Domain(e)) if e.code == Code::PeriodNotClosed => return Ok(None),
        Err(e) => return Err(e),
    };
    if !snap.units.iter().any(|r| r.assessment.unit_id == unit_id) {
        return Ok(None);
    }
    let cal = app.store().calendar()?;
    let deadlines = crate::cases::deadlines(app)?;
    let Ok(last_day) = dispute::may_file(
        &cal,
        published_on,
        app.today(),
        deadlines.dispute_window_days,
    ) else {
        return Ok(None);
    };
    let set = set_of(&snap)?;
    let open_case = app
        .store()
        .list_cases(
            &CaseFilter {
                kind: Some(CaseKind::Dispute),
                open: Some(true),
                subject: Some(unit_id),
                ..CaseFilter::default()
            },
            None,
            100,
        )?
        .into_iter()
        .find(|c| of_period(c, period))
        .map(|c| c.id);
    Ok(Some(Window {
        published_on,
        last_day,
        window_days: deadlines.dispute_window_days,
        answer_days: deadlines.dispute_answer_days,
        indicators: set
            .dimensions
            .iter()
            .flat_map(|d| {
                d.indicators
                    .iter()
                    .map(|i| (i.code.clone(), i.name.clone()))
            })
            .collect(),
        open_case,
    }))
}

/// A dispute's part when the credit office corrects the result (予以更正), in the step's unit of
/// work: the period reopens with the dispute and the answer as its reason (journaled), unless
/// it is open already (reopened for another unit's dispute, say).
pub(crate) fn corrected_in(
    tx: &mut probity_store::Tx<'_>,
    c: &StoredCase,
    who: &str,
    answer: Option<&str>,
) -> AppResult<()> {
    let detail =
        detail_of(c).ok_or_else(|| AppError::Other(format!("案件 {} 的考核期无法读取", c.id)))?;
    let period = detail.period()?;
    if !tx.assessments().is_closed(period)? {
        return Ok(());
    }
    let reason = format!(
        "考核结果异议（案件 {}）予以更正：{}",
        c.id,
        answer.unwrap_or("")
    );
    let reason: String = reason.chars().take(COMMENT_MAX_CHARS).collect();
    reopen_in(tx, period, &reason, who)
}
