//! The credit check (信用核查, `POST /api/v1/sanctions/check`): before an honour, a 优秀 rating,
//! an appointment or funding, the asking department checks the subject against the joint
//! rewards and sanctions rules (DESIGN.md §4, §5). The rules are the domain's
//! (`probity_domain::sanction`); this use case finds the subject, reads its records' facts,
//! applies the shipped measures and rules with the current catalog, and logs the check with its
//! number and the unit that asked.
//!
//! What follows a check: the asking department's feedback on a restricted answer (反馈: 已落实,
//! or 未落实 and why; `give_feedback`), its list of checks (`list`, `export`), the credit office's
//! rates per department (`rates`, `export_rates`); and the measures in force on a unit today, as
//! the unit reads them on its console (`own_measures`) and as the public profile shows those
//! resting on disclosed records (`measures_on_records`, through `public::measures_today`).

use std::collections::HashMap;

use chrono::NaiveDate;
use probity_domain::account::AccountRole;
use probity_domain::audit;
use probity_domain::catalog::Catalog;
use probity_domain::disclosure::mask_name;
use probity_domain::ident::IdNumber;
use probity_domain::sanction::{
    self, CheckOutcome, Decision, Feedback, FeedbackState, MeasureInForce, Measures, Purpose,
    Rules, SubjectFacts, Tally, YearGrade,
};
use probity_domain::subject::SubjectKind;
use probity_store::sanctions::{Asker, CheckFilter, CheckListing, Department, StoredFeedback};
use probity_store::{NewSanctionCheck, Store, StoreError, Subject};

use crate::{Actor, App, AppError, AppResult};

/// The years a check may be asked for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// What a check answered.
#[derive(Debug, Clone)]
pub struct Checked {
    /// 核查编号, `HC20261203-0001`.
    pub check_no: String,
    pub subject_id: i64,
    /// The subject's name; a civil servant's masked as the public sees it.
    pub subject_name: String,
    pub subject_kind: SubjectKind,
    pub purpose: Purpose,
    pub year: i32,
    pub outcome: CheckOutcome,
}

/// Checks `subject` (a USCC, an ID number or a subject id) for `purpose` in `year`, and logs
/// the check. A refused request (an unknown purpose, a year out of range, an unknown subject)
/// is not logged.
pub fn check(
    app: &App,
    actor: &Actor,
    subject: &str,
    purpose: &str,
    year: i32,
) -> AppResult<Checked> {
    let purpose = Purpose::parse(purpose).map_err(|e| AppError::from(e).at("purpose"))?;
    if !YEARS.contains(&year) {
        return Err(AppError::BadInput {
            code: "YEAR_INVALID",
            message: format!(
                "核查年度应在 {} 到 {} 之间，收到的是 {year}",
                YEARS.start(),
                YEARS.end()
            ),
        }
        .at("year"));
    }
    let s = find_subject(app, subject)?;
    let store = app.store();
    let shipped = app.shipped.current(store)?;
    let Shipped {
        measures,
        rules,
        catalog,
    } = &*shipped;
    let facts = facts_of(app, &s, app.today())?;
    let outcome = sanction::check(measures, rules, catalog, &facts, purpose, year);
    let answer = serde_json::to_string(&outcome).map_err(|e| AppError::Other(e.to_string()))?;
    let check_no = app.check_log.log(
        store,
        Pending {
            ticket: 0,
            actor: actor.name(),
            purpose: purpose.code(),
            subject_id: s.id,
            year,
            decision: outcome.decision.code(),
            answer,
            asker_unit: actor.unit(),
        },
    )?;
    let subject_name = if s.kind == SubjectKind::CivilServant {
        mask_name(&s.name)
    } else {
        s.name.clone()
    };
    Ok(Checked {
        check_no,
        subject_id: s.id,
        subject_name,
        subject_kind: s.kind,
        purpose,
        year,
        outcome,
    })
}

/// Everything the rules look at about `s` as of `today`: its records; for a unit, its grades
/// in the closed year-end reviews and its rectifications.
fn facts_of(app: &App, s: &Subject, today: NaiveDate) -> AppResult<SubjectFacts> {
    let store = app.store();
    let mut facts = SubjectFacts::of_records(s.kind, store.sanction_facts(s.id)?);
    if s.kind != SubjectKind::CivilServant {
        facts.grades = app.grades.of(store, s.id)?;
        facts.rectifications = store.sanction_rectifications(s.id, today)?;
    }
    Ok(facts)
}

/// The units' grades in the closed year-end reviews, read from the signed snapshots again only
/// after the journal shows an assessment change (a close, a reopening, a score): a check must
/// not parse every snapshot.
#[derive(Default)]
pub struct GradesCache(crate::feed_cache::FeedCache<Grades>);

/// Each unit's grades in the closed year-end reviews, by unit id.
type Grades = HashMap<i64, Vec<YearGrade>>;

impl GradesCache {
    fn of(&self, store: &Store, unit_id: i64) -> AppResult<Vec<YearGrade>> {
        let grades = self.0.current(
            store,
            |s, at| Ok(s.assessment_changed_since(at)?),
            closed_grades,
        )?;
        Ok(grades.get(&unit_id).cloned().unwrap_or_default())
    }
}

/// Every unit's grade in every closed year-end review, from the snapshots as they were signed.
fn closed_grades(store: &Store) -> AppResult<Grades> {
    let mut out = Grades::new();
    for (period, closed) in store.assessment_periods()? {
        if !closed || period.kind != probity_domain::assessment::PeriodKind::YearEnd {
            continue;
        }
        let Some(p) = store.assessment_period(period)? else {
            continue;
        };
        // A snapshot edited behind the platform's back is not believed: its grades count for
        // nothing (the results page shows the broken signature).
        if !store.assessment_snapshot_is_authentic(&p)? {
            tracing::warn!(
                year = period.year,
                "year-end snapshot fails its signature; grades ignored"
            );
            continue;
        }
        let snap: crate::assessment::Snapshot = serde_json::from_str(&p.snapshot)
            .map_err(|e| AppError::Other(format!("{}的结果快照无法读取：{e}", period.label())))?;
        for u in snap.units {
            if let Some(grade) = u.assessment.grade {
                out.entry(u.assessment.unit_id)
                    .or_default()
                    .push(YearGrade {
                        year: period.year,
                        grade,
                    });
            }
        }
    }
    Ok(out)
}

/// A check waiting for its turn in the log.
struct Pending {
    /// Its place in the queue, given by [`CheckLog::log`].
    ticket: u64,
    actor: String,
    purpose: &'static str,
    subject_id: i64,
    year: i32,
    decision: &'static str,
    answer: String,
    asker_unit: Option<i64>,
}

/// The check log's group commit. Every check is logged before its answer is given, but checks
/// asked at the same moment share one transaction: the first to arrive writes every check
/// queued by then and hands each its number, while those arriving during that write queue for
/// the next one. On a busy morning one commit logs several checks; alone, a check waits for
/// nobody.
#[derive(Default)]
pub struct CheckLog {
    state: std::sync::Mutex<LogState>,
    /// Signalled when a batch is written (or has failed).
    written: std::sync::Condvar,
}

#[derive(Default)]
struct LogState {
    next_ticket: u64,
    queue: Vec<Pending>,
    /// Whether a batch is being written now.
    writing: bool,
    /// The numbers (or the failure) of checks written, by ticket, until their askers take them.
    done: HashMap<u64, Result<String, String>>,
}

/// The writer of a batch: when it unwinds before handing out the results, the batch's checks
/// are answered with a failure and the next writer may go.
struct Writing<'a> {
    log: &'a CheckLog,
    tickets: Vec<u64>,
    results: Option<Result<Vec<String>, String>>,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        let mut st = self.log.lock();
        st.writing = false;
        match self.results.take() {
            Some(Ok(numbers)) => {
                // Every ticket gets an answer, whatever came back: a waiter without one would
                // wait for ever.
                let mut numbers = numbers.into_iter();
                for t in &self.tickets {
                    let answer = numbers
                        .next()
                        .ok_or_else(|| "核查记录写入不完整".to_string());
                    st.done.insert(*t, answer);
                }
            }
            Some(Err(e)) => {
                for t in &self.tickets {
                    st.done.insert(*t, Err(e.clone()));
                }
            }
            None => {
                for t in &self.tickets {
                    st.done.insert(*t, Err("核查记录写入中断".into()));
                }
            }
        }
        drop(st);
        self.log.written.notify_all();
    }
}

impl CheckLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Logs `check` (with the others queued meanwhile) and gives its number.
    fn log(&self, store: &Store, mut check: Pending) -> AppResult<String> {
        let mut st = self.lock();
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        check.ticket = ticket;
        st.queue.push(check);
        loop {
            if let Some(done) = st.done.remove(&ticket) {
                return done.map_err(AppError::Other);
            }
            if st.writing {
                st = self.written.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            st.writing = true;
            let batch = std::mem::take(&mut st.queue);
            drop(st);
            let mut writing = Writing {
                log: self,
                tickets: batch.iter().map(|p| p.ticket).collect(),
                results: None,
            };
            let news: Vec<NewSanctionCheck<'_>> = batch
                .iter()
                .map(|p| NewSanctionCheck {
                    actor: &p.actor,
                    purpose: p.purpose,
                    subject_id: p.subject_id,
                    year: p.year,
                    decision: p.decision,
                    answer: &p.answer,
                    asker_unit: p.asker_unit,
                })
                .collect();
            writing.results = Some(
                store
                    .log_sanction_checks(&news)
                    .map(|logged| logged.into_iter().map(|c| c.check_no).collect())
                    .map_err(|e| format!("核查记录未能写入：{e}")),
            );
            drop(writing);
            st = self.lock();
        }
    }
}

/// The measures list and the rules, on the current catalog.
pub(crate) struct Shipped {
    measures: Measures,
    rules: Rules,
    catalog: Catalog,
}

/// The measures list and rules on the catalog as it is now, built again only after a category
/// changed (by the journal, as `public::RosterNames` follows the roster): reading the catalog
/// and parsing both lists cost more than the check that uses them.
#[derive(Default)]
pub struct ShippedCache(crate::feed_cache::FeedCache<Shipped>);

impl ShippedCache {
    fn current(&self, store: &Store) -> AppResult<std::sync::Arc<Shipped>> {
        self.0.current(
            store,
            |s, at| Ok(!s.categories_changed_since(at)?.is_empty()),
            build_shipped,
        )
    }
}

fn build_shipped(store: &Store) -> AppResult<Shipped> {
    let catalog = store.catalog()?;
    let measures = Measures::shipped();
    let rules = Rules::shipped(&measures, &catalog).map_err(|errs| {
        AppError::Other(format!(
            "联合奖惩规则与当前目录不一致：{}",
            errs.iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("；")
        ))
    })?;
    Ok(Shipped {
        measures,
        rules,
        catalog,
    })
}

/// The subject a check names: a civil servant by ID number (through its keyed hash), a unit by
/// USCC, or any subject by its id. The reference is never echoed (it may be an ID number).
fn find_subject(app: &App, reference: &str) -> AppResult<Subject> {
    let r = reference.trim();
    let not_found =
        || AppError::NotFound("未找到该主体：请核对统一社会信用代码、身份证号或主体编号".into());
    let store = app.store();
    // An ID number first; a code that reads as one but names no civil servant may still be a
    // unit's USCC (both are 18 characters).
    if let Ok(id_number) = IdNumber::parse(r)
        && let Some(s) = store.find_civil_servant(&id_number)?
    {
        return Ok(s);
    }
    if !r.is_empty() && r.len() < 18 && r.bytes().all(|b| b.is_ascii_digit()) {
        let id: i64 = r.parse().map_err(|_| not_found())?;
        return match store.subject(id) {
            Ok(s) => Ok(s),
            Err(StoreError::NotFound(_)) => Err(not_found()),
            Err(e) => Err(e.into()),
        };
    }
    if r.chars().count() == 18 {
        return match store.find_unit(r) {
            Ok(s) => Ok(s),
            Err(StoreError::Domain(_) | StoreError::NotFound(_)) => Err(not_found()),
            Err(e) => Err(e.into()),
        };
    }
    Err(not_found())
}

// ---------------------------------------------------------------------------------------------
// Feedback (反馈)

/// Whose checks the actor works with: the credit office's are everyone's (`None`); anyone
/// else's are its own and, when it acts for a unit, its unit's.
fn asker_of(actor: &Actor) -> Option<Asker> {
    (actor.role() != AccountRole::Admin).then(|| Asker {
        unit: actor.unit(),
        actor: actor.name(),
    })
}

/// Feedback kept on a check, in words.
#[derive(Debug, Clone)]
pub struct GivenFeedback {
    pub check_no: String,
    pub feedback: FeedbackRow,
}

/// The asking department's feedback on the check `check_no`: the measures applied (已落实), or
/// not and why (未落实及原因, required). Only the department that asked (any of its accounts, or
/// the account itself when bound to no unit) gives it, or the credit office for anyone; only on
/// a restricted answer; once. Each refusal changes nothing. Read and written in one unit of
/// work, so that two feedbacks sent at once cannot both be kept.
pub fn give_feedback(
    app: &App,
    actor: &Actor,
    check_no: &str,
    applied: bool,
    reason: &str,
) -> AppResult<GivenFeedback> {
    let check_no = check_no.trim();
    app.store().write(|tx| {
        let mut log = tx.sanction_log();
        let check = match log.check(check_no) {
            Ok(c) => c,
            Err(StoreError::NotFound(_)) => {
                return Err(AppError::NotFound(format!("未找到核查编号 {check_no}")));
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(asker) = asker_of(actor)
            && !asker.asked(&check)
        {
            return Err(AppError::Forbidden(
                "该次核查不是本单位（本账号）提出的，只有提出核查的部门或信用办可以反馈落实情况"
                    .into(),
            ));
        }
        let decision = decision_of(&check.decision)?;
        let already = log.feedback(check.id)?.is_some();
        sanction::admissible(decision, already)?;
        let feedback =
            Feedback::new(applied, reason).map_err(|e| AppError::from(e).at("reason"))?;
        let kept = log.add_feedback(check.id, &feedback, &actor.name(), actor.unit())?;
        Ok(GivenFeedback {
            check_no: check.check_no,
            feedback: feedback_row(kept),
        })
    })
}

/// A logged decision read back.
fn decision_of(code: &str) -> AppResult<Decision> {
    Decision::parse(code)
        .ok_or_else(|| AppError::Other(format!("核查记录中的结论无法识别：{code}")))
}

/// What a list of checks asks for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// A decision's code or label.
    pub decision: Option<String>,
    /// A purpose's code or label.
    pub purpose: Option<String>,
    /// A feedback state's code or label (`pending` …).
    pub feedback: Option<String>,
    /// Only the restricted answers still waiting for feedback (the same as `feedback=pending`).
    pub pending: bool,
    /// The year the checks concern.
    pub year: Option<i32>,
    /// The next page: checks below this id.
    pub before: Option<i64>,
}

impl ListRequest {
    fn filter(&self, actor: &Actor) -> AppResult<CheckFilter> {
        let decision = self
            .decision
            .as_deref()
            .map(|d| {
                Decision::parse(d).ok_or_else(|| {
                    AppError::BadInput {
                        code: "DECISION_UNKNOWN",
                        message: format!(
                            "未知的核查结论：{}（应为 限制、优先 或 无限制）",
                            d.trim()
                        ),
                    }
                    .at("decision")
                })
            })
            .transpose()?;
        let purpose = self
            .purpose
            .as_deref()
            .map(|p| Purpose::parse(p).map_err(|e| AppError::from(e).at("purpose")))
            .transpose()?;
        let mut feedback = self
            .feedback
            .as_deref()
            .map(|f| FeedbackState::parse(f).map_err(|e| AppError::from(e).at("feedback")))
            .transpose()?;
        if self.pending {
            if feedback.is_some_and(|f| f != FeedbackState::Pending) {
                return Err(AppError::BadInput {
                    code: "QUERY_INVALID",
                    message: "“待反馈”与所选的反馈状态不能同时使用".into(),
                });
            }
            feedback = Some(FeedbackState::Pending);
        }
        if let Some(y) = self.year
            && !YEARS.contains(&y)
        {
            return Err(AppError::BadInput {
                code: "YEAR_INVALID",
                message: format!(
                    "核查年度应在 {} 到 {} 之间，收到的是 {y}",
                    YEARS.start(),
                    YEARS.end()
                ),
            }
            .at("year"));
        }
        Ok(CheckFilter {
            asker: asker_of(actor),
            decision: decision.map(|d| d.code().to_string()),
            purpose: purpose.map(|p| p.code().to_string()),
            feedback,
            year: self.year,
            before: self.before,
        })
    }
}

/// A check as a list shows it, every code in words.
#[derive(Debug, Clone)]
pub struct CheckRow {
    pub id: i64,
    pub check_no: String,
    /// When it was asked, Beijing time to the minute.
    pub at: String,
    /// Who asked: the unit (else the account), in Chinese.
    pub asker: String,
    /// The subject: a civil servant's name masked.
    pub subject_name: String,
    pub subject_kind: SubjectKind,
    pub purpose: Purpose,
    pub year: i32,
    pub decision: Decision,
    /// The names of the measures the answer named.
    pub measures: Vec<String>,
    pub state: FeedbackState,
    pub feedback: Option<FeedbackRow>,
}

/// Feedback as a list shows it.
#[derive(Debug, Clone)]
pub struct FeedbackRow {
    pub applied: bool,
    pub reason: String,
    /// Who gave it, in Chinese.
    pub by: String,
    /// When, Beijing time to the minute.
    pub at: String,
}

impl CheckRow {
    /// Whether the list offers a feedback form on this check.
    pub fn pending(&self) -> bool {
        self.state == FeedbackState::Pending
    }
}

/// The most checks one export holds.
pub const EXPORT_CAP: u32 = 20_000;

/// The largest page `list` answers.
pub const MAX_PAGE: u32 = 500;

/// The checks the actor may read (the credit office: every check; anyone else: its own and its
/// unit's), filtered, newest first, at most `limit` (capped at `MAX_PAGE`).
pub fn list(app: &App, actor: &Actor, req: &ListRequest, limit: u32) -> AppResult<Vec<CheckRow>> {
    rows(app, actor, req, limit.min(MAX_PAGE))
}

fn rows(app: &App, actor: &Actor, req: &ListRequest, limit: u32) -> AppResult<Vec<CheckRow>> {
    let filter = req.filter(actor)?;
    let found = app.store().sanction_check_list(&filter, limit)?;
    found.into_iter().map(check_row).collect()
}

/// When something was stored, Beijing time to the minute.
fn minute(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| probity_domain::date::beijing_minute(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| at.to_string())
}

/// Who acted, as the pages read a journal's actor.
fn actor_label(actor: &str) -> String {
    audit::Actor::parse(actor).label()
}

fn check_row(l: CheckListing) -> AppResult<CheckRow> {
    let c = l.check;
    let decision = decision_of(&c.decision)?;
    let purpose = Purpose::parse(&c.purpose)
        .map_err(|_| AppError::Other(format!("核查记录中的用途无法识别：{}", c.purpose)))?;
    // The answer as given: its measures' names (the codes stay in the log).
    let answer: serde_json::Value = serde_json::from_str(&c.answer).unwrap_or_default();
    let measures = answer["measures"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let subject_name = if l.subject_kind == SubjectKind::CivilServant {
        mask_name(&l.subject_name)
    } else {
        l.subject_name
    };
    Ok(CheckRow {
        id: c.id,
        check_no: c.check_no,
        at: minute(&c.at),
        asker: match l.asker_unit_name {
            Some(unit) => format!("{unit}（{}）", actor_label(&c.actor)),
            None => actor_label(&c.actor),
        },
        subject_name,
        subject_kind: l.subject_kind,
        purpose,
        year: c.year,
        decision,
        measures,
        state: FeedbackState::of(decision, l.feedback.as_ref().map(|f| f.applied)),
        feedback: l.feedback.map(feedback_row),
    })
}

fn feedback_row(f: StoredFeedback) -> FeedbackRow {
    FeedbackRow {
        applied: f.applied,
        reason: f.reason,
        by: actor_label(&f.actor),
        at: minute(&f.at),
    }
}

/// Writes `headers` and `rows` to an Excel workbook in memory.
fn workbook(headers: &[(&str, &str)], rows: &[Vec<String>]) -> AppResult<Vec<u8>> {
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("export.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, headers)?;
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        w.write_row(&cells)?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))
}

/// The filtered list (every page, up to `EXPORT_CAP`) as an Excel workbook, in words.
pub fn export(app: &App, actor: &Actor, req: &ListRequest) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("check_no", "核查编号"),
        ("at", "核查时间"),
        ("asker", "核查部门"),
        ("subject", "核查对象"),
        ("purpose", "核查用途"),
        ("year", "年度"),
        ("decision", "核查结论"),
        ("measures", "措施"),
        ("feedback", "反馈状态"),
        ("reason", "未落实原因或落实说明"),
        ("feedback_by", "反馈人"),
        ("feedback_at", "反馈时间"),
    ];
    let all = rows(
        app,
        actor,
        &ListRequest {
            before: None,
            ..req.clone()
        },
        EXPORT_CAP,
    )?;
    let lines: Vec<Vec<String>> = all
        .into_iter()
        .map(|r| {
            let (reason, by, at) = r
                .feedback
                .map(|f| (f.reason, f.by, f.at))
                .unwrap_or_default();
            vec![
                r.check_no,
                r.at,
                r.asker,
                r.subject_name,
                r.purpose.label().to_string(),
                r.year.to_string(),
                r.decision.label().to_string(),
                r.measures.join("；"),
                r.state.label().to_string(),
                reason,
                by,
                at,
            ]
        })
        .collect();
    workbook(HEADERS, &lines)
}

/// One department's feedback, as the credit office reads it.
#[derive(Debug, Clone)]
pub struct DepartmentRate {
    /// The unit's name, or the account (bound to no unit) in Chinese.
    pub department: String,
    pub tally: Tally,
}

/// Every department's feedback, and the district's total.
#[derive(Debug, Clone)]
pub struct Rates {
    pub year: Option<i32>,
    pub departments: Vec<DepartmentRate>,
    pub total: Tally,
}

/// The credit office's view of feedback by department: restricted answers, feedback given,
/// applied, not applied, pending and the two rates, of the checks about `year` (or of all).
/// Departments with the most restricted answers still pending first.
pub fn rates(app: &App, actor: &Actor, year: Option<i32>) -> AppResult<Rates> {
    if actor.role() != AccountRole::Admin {
        return Err(AppError::Forbidden("反馈统计仅信用办可以查看".into()));
    }
    if let Some(y) = year
        && !YEARS.contains(&y)
    {
        return Err(AppError::BadInput {
            code: "YEAR_INVALID",
            message: format!(
                "年度应在 {} 到 {} 之间，收到的是 {y}",
                YEARS.start(),
                YEARS.end()
            ),
        }
        .at("year"));
    }
    let mut departments: Vec<DepartmentRate> = app
        .store()
        .sanction_feedback_tallies(year)?
        .into_iter()
        .map(|t| DepartmentRate {
            department: match (&t.department, t.unit_name) {
                (_, Some(name)) => name,
                (Department::Unit(id), None) => format!("单位 #{id}"),
                (Department::Account(a), None) => actor_label(a),
            },
            tally: t.tally,
        })
        .collect();
    departments.sort_by(|a, b| {
        b.tally
            .pending()
            .cmp(&a.tally.pending())
            .then(b.tally.restricted.cmp(&a.tally.restricted))
            .then_with(|| a.department.cmp(&b.department))
    });
    let total = departments
        .iter()
        .fold(Tally::default(), |sum, d| sum.plus(d.tally));
    Ok(Rates {
        year,
        departments,
        total,
    })
}

/// A rate as the pages and the workbook show it; `—` when there is nothing to take it of.
pub fn rate_text(rate: Option<sanction::Rate>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| r.percent_text())
}

/// The rates as an Excel workbook, the total last.
pub fn export_rates(r: &Rates) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("department", "核查部门"),
        ("checks", "核查次数"),
        ("restricted", "限制类结论"),
        ("given", "已反馈"),
        ("applied", "已落实"),
        ("not_applied", "未落实"),
        ("pending", "待反馈"),
        ("feedback_rate", "反馈率"),
        ("applied_rate", "落实率"),
    ];
    let line = |name: &str, t: &Tally| {
        vec![
            name.to_string(),
            t.checks.to_string(),
            t.restricted.to_string(),
            t.given.to_string(),
            t.applied.to_string(),
            t.not_applied.to_string(),
            t.pending().to_string(),
            rate_text(t.feedback_rate()),
            rate_text(t.applied_rate()),
        ]
    };
    let mut lines: Vec<Vec<String>> = r
        .departments
        .iter()
        .map(|d| line(&d.department, &d.tally))
        .collect();
    lines.push(line("合计", &r.total));
    workbook(HEADERS, &lines)
}

// ---------------------------------------------------------------------------------------------
// Measures in force (现行奖惩措施)

/// A record behind a measure, as the unit reads it.
#[derive(Debug, Clone)]
pub struct RecordRef {
    pub id: i64,
    /// The category's name.
    pub category: String,
    pub document_no: String,
    pub decided_on: NaiveDate,
    /// The record's state, in Chinese.
    pub state: &'static str,
    /// Its last day in force (`None`: never in force, as a record revoked the day it was decided).
    pub in_force_until: Option<NaiveDate>,
}

/// A measure in force and the records behind it.
#[derive(Debug, Clone)]
pub struct MeasureNow {
    pub measure: MeasureInForce,
    pub records: Vec<RecordRef>,
}

/// The measures in force on the actor's unit today.
#[derive(Debug, Clone)]
pub struct OwnMeasures {
    pub unit: String,
    pub today: NaiveDate,
    pub measures: Vec<MeasureNow>,
}

/// The measures in force on the actor's own unit today (by the app's clock), each with the rule
/// and the records of its file behind it and the day it ends. For an account acting for a unit.
pub fn own_measures(app: &App, actor: &Actor) -> AppResult<OwnMeasures> {
    let Some(unit) = actor.unit() else {
        return Err(AppError::Forbidden(
            "本账号未关联单位，没有本单位的奖惩措施可以查看".into(),
        ));
    };
    let store = app.store();
    let subject = store.subject(unit)?;
    let today = app.today();
    let shipped = app.shipped.current(store)?;
    let Shipped {
        measures,
        rules,
        catalog,
    } = &*shipped;
    let facts = facts_of(app, &subject, today)?;
    let in_force = sanction::measures_in_force(measures, rules, catalog, &facts, today);
    let mut cache: HashMap<i64, RecordRef> = HashMap::new();
    let mut out = Vec::with_capacity(in_force.len());
    for m in in_force {
        let mut records = Vec::with_capacity(m.records.len());
        for id in &m.records {
            if let Some(r) = cache.get(id) {
                records.push(r.clone());
                continue;
            }
            let r = store.record(*id)?;
            let fact = facts.records.iter().find(|f| f.id == *id);
            let rr = RecordRef {
                id: r.id,
                category: catalog
                    .get(&r.category)
                    .map_or(r.category.clone(), |c| c.name.clone()),
                document_no: r.document_no,
                decided_on: r.decided_on,
                state: r.state.label(),
                in_force_until: fact.and_then(|f| f.in_force(catalog)).map(|f| f.last),
            };
            cache.insert(*id, rr.clone());
            records.push(rr);
        }
        out.push(MeasureNow {
            measure: m,
            records,
        });
    }
    Ok(OwnMeasures {
        unit: subject
            .short_name
            .filter(|s| !s.is_empty())
            .unwrap_or(subject.name),
        today,
        measures: out,
    })
}

/// The measures in force on `today` on a subject, resting only on the records among `shown`:
/// computed on those records alone and kept only when some record is behind them (a reward for a
/// clean year, computed on part of a file, would claim what the whole may not bear out). For
/// the public profile, whose disclosed records `shown` are (`public::measures_today`).
pub(crate) fn measures_on_records(
    app: &App,
    subject: &Subject,
    shown: &[i64],
    today: NaiveDate,
) -> AppResult<Vec<MeasureInForce>> {
    if shown.is_empty() {
        return Ok(Vec::new());
    }
    let store = app.store();
    let shipped = app.shipped.current(store)?;
    let Shipped {
        measures,
        rules,
        catalog,
    } = &*shipped;
    let facts = SubjectFacts::of_records(
        subject.kind,
        store
            .sanction_facts(subject.id)?
            .into_iter()
            .filter(|f| shown.contains(&f.id))
            .collect(),
    );
    Ok(
        sanction::measures_in_force(measures, rules, catalog, &facts, today)
            .into_iter()
            .filter(|m| !m.records.is_empty())
            .collect(),
    )
}
