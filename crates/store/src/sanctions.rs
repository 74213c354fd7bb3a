//! The credit check's (信用核查) data: the facts of one subject's records that the sanction
//! rules look at (`probity_domain::sanction`), and the log of the checks made
//! (`sanction_checks`, each with its number `HC…` and the unit that asked), and the feedback
//! the asking department gives on a restricted answer (`sanction_feedback`, one per check: 已落实,
//! or 未落实 and why). The log keeps the subject's id, never an ID number.

use chrono::NaiveDate;
use probity_domain::case::repair::Leniency;
use probity_domain::catalog::{RecordKind, Severity};
use probity_domain::date::beijing_date;
use probity_domain::record::RecordState;
use probity_domain::sanction::{Feedback, FeedbackState, RecordFact, RectificationFact, Tally};
use probity_domain::subject::SubjectKind;

use crate::db::{Row, Val, stored_time};
use crate::error::{StoreError, StoreResult};
use crate::{Store, Tx, time_text};

/// A check about to be logged.
#[derive(Debug, Clone)]
pub struct NewSanctionCheck<'a> {
    /// How the journal names the asking actor.
    pub actor: &'a str,
    /// The purpose's code (`excellent_rating` …).
    pub purpose: &'a str,
    pub subject_id: i64,
    pub year: i32,
    /// The decision's code (`allowed`, `restricted`, `priority`).
    pub decision: &'a str,
    /// The answer as given (JSON).
    pub answer: &'a str,
    /// The unit the asking account acts for (none for an account bound to no unit).
    pub asker_unit: Option<i64>,
}

/// A check as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanctionCheck {
    pub id: i64,
    /// 核查编号, `HC20261203-0001`: a serial per Beijing day.
    pub check_no: String,
    pub at: String,
    pub actor: String,
    pub purpose: String,
    pub subject_id: i64,
    pub year: i32,
    pub decision: String,
    pub answer: String,
    /// The unit that asked (none for an account bound to no unit, and for checks logged before
    /// the unit was kept).
    pub asker_unit: Option<i64>,
}

/// The columns `SanctionCheck::from_row` reads, from `sanction_checks` as `c`.
const CHECK_COLS: &str = "c.id, c.check_no, c.at, c.actor, c.purpose, c.subject_id, c.year, \
     c.decision, c.answer, c.asker_unit";

impl SanctionCheck {
    fn from_row(r: &Row) -> StoreResult<SanctionCheck> {
        Ok(SanctionCheck {
            id: r.need_int("id")?,
            check_no: r.need_text("check_no")?.to_string(),
            at: r.need_text("at")?.to_string(),
            actor: r.need_text("actor")?.to_string(),
            purpose: r.need_text("purpose")?.to_string(),
            subject_id: r.need_int("subject_id")?,
            year: i32::try_from(r.need_int("year")?)
                .map_err(|_| StoreError::Internal("sanction_checks.year".into()))?,
            decision: r.need_text("decision")?.to_string(),
            answer: r.need_text("answer")?.to_string(),
            asker_unit: r.int("asker_unit")?,
        })
    }
}

/// A department's feedback on one check, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedback {
    pub check_id: i64,
    /// 已落实 (true) or 未落实 (false).
    pub applied: bool,
    /// 未落实原因, or a note on how it was applied (may be empty).
    pub reason: String,
    /// How the journal names who gave it.
    pub actor: String,
    /// The unit that account acts for (none for the credit office).
    pub unit_id: Option<i64>,
    pub at: String,
}

impl StoredFeedback {
    /// From a row with the feedback's columns prefixed `f_` (`f_check_id` …); `None` when the
    /// outer join found none.
    fn from_row(r: &Row) -> StoreResult<Option<StoredFeedback>> {
        let Some(check_id) = r.int("f_check_id")? else {
            return Ok(None);
        };
        Ok(Some(StoredFeedback {
            check_id,
            applied: r.need_int("f_applied")? != 0,
            reason: r.need_text("f_reason")?.to_string(),
            actor: r.need_text("f_actor")?.to_string(),
            unit_id: r.int("f_unit_id")?,
            at: r.need_text("f_at")?.to_string(),
        }))
    }
}

/// The feedback's columns, from `sanction_feedback` as `f`, prefixed for `StoredFeedback::from_row`.
const FEEDBACK_COLS: &str = "f.check_id AS f_check_id, f.applied AS f_applied, \
     f.reason AS f_reason, f.actor AS f_actor, f.unit_id AS f_unit_id, f.at AS f_at";

/// Whose checks: an account's own, and when it acts for a unit, every check of that unit (a
/// department's accounts share its checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asker {
    pub unit: Option<i64>,
    /// How the journal names the account (`provider:caizhengju`).
    pub actor: String,
}

impl Asker {
    /// Whether `check` is one of this asker's.
    pub fn asked(&self, check: &SanctionCheck) -> bool {
        check.actor == self.actor || (self.unit.is_some() && check.asker_unit == self.unit)
    }
}

/// Whom the credit office counts feedback of: a unit (all its accounts), or an account bound
/// to no unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Department {
    Unit(i64),
    /// How the journal names the account.
    Account(String),
}

/// Which checks a list shows. Every field narrows; none set: every check.
#[derive(Debug, Clone, Default)]
pub struct CheckFilter {
    pub asker: Option<Asker>,
    /// A decision's code (`restricted` …).
    pub decision: Option<String>,
    /// A purpose's code (`honour` …).
    pub purpose: Option<String>,
    pub feedback: Option<FeedbackState>,
    /// The year the checks concern.
    pub year: Option<i32>,
    /// Only checks with a smaller id (the next page, newest first).
    pub before: Option<i64>,
}

/// A check as a list shows it: the log's row, its subject, the unit that asked, its feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckListing {
    pub check: SanctionCheck,
    /// The subject's name as the roster holds it (a civil servant's unmasked: mask it to show).
    pub subject_name: String,
    pub subject_kind: SubjectKind,
    /// The asking unit's name.
    pub asker_unit_name: Option<String>,
    pub feedback: Option<StoredFeedback>,
}

/// One department's tally: a unit's (with its name), or an account's bound to no unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentTally {
    pub department: Department,
    /// The unit's name, for `Department::Unit`.
    pub unit_name: Option<String>,
    pub tally: Tally,
}

/// The credit-check log, on one unit of work: what feedback is given against, in the same
/// transaction as the feedback, so that two feedbacks on one check cannot both pass the rule.
pub struct SanctionLog<'t, 's> {
    tx: &'t mut Tx<'s>,
}

impl<'s> Tx<'s> {
    /// The credit-check log and its feedback, on this unit of work.
    pub fn sanction_log(&mut self) -> SanctionLog<'_, 's> {
        SanctionLog { tx: self }
    }
}

impl SanctionLog<'_, '_> {
    /// The check with this number.
    pub fn check(&mut self, check_no: &str) -> StoreResult<SanctionCheck> {
        let row = self
            .tx
            .conn()
            .query_one(
                &format!("SELECT {CHECK_COLS} FROM sanction_checks c WHERE c.check_no = $1"),
                &[Val::from(check_no)],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("核查编号 {check_no}")))?;
        SanctionCheck::from_row(&row)
    }

    /// The feedback given on a check, if any.
    pub fn feedback(&mut self, check_id: i64) -> StoreResult<Option<StoredFeedback>> {
        match self.tx.conn().query_one(
            &format!("SELECT {FEEDBACK_COLS} FROM sanction_feedback f WHERE f.check_id = $1"),
            &[Val::Int(check_id)],
        )? {
            Some(r) => StoredFeedback::from_row(&r),
            None => Ok(None),
        }
    }

    /// Keeps the feedback on a check, given by `actor` (acting for `unit`), at this unit of
    /// work's time. The rules (a restricted check, no feedback yet, the asker's own) are the
    /// caller's to apply first, on this same unit of work.
    pub fn add_feedback(
        &mut self,
        check_id: i64,
        feedback: &Feedback,
        actor: &str,
        unit: Option<i64>,
    ) -> StoreResult<StoredFeedback> {
        let at = self.tx.at().to_string();
        self.tx.conn().exec(
            "INSERT INTO sanction_feedback (check_id, applied, reason, actor, unit_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                Val::Int(check_id),
                Val::Int(i64::from(feedback.applied)),
                Val::from(feedback.reason.as_str()),
                Val::from(actor),
                unit.map_or(Val::Null, Val::Int),
                Val::from(at.as_str()),
            ],
        )?;
        Ok(StoredFeedback {
            check_id,
            applied: feedback.applied,
            reason: feedback.reason.clone(),
            actor: actor.to_string(),
            unit_id: unit,
            at,
        })
    }
}

impl Store {
    /// Every record of the subject, in any state, as the sanction rules read it. `ended_on` is
    /// the Beijing date of the journal entry that repaired or revoked the record; `exemption`
    /// is set when an approved repair of the record granted leniency. Two queries, whatever the
    /// number of records.
    pub fn sanction_facts(&self, subject_id: i64) -> StoreResult<Vec<RecordFact>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT r.id, r.category, r.kind, r.severity, r.state, r.decided_on, \
             r.disclosure_until, \
             CASE WHEN r.state IN ('repaired', 'revoked') THEN \
               (SELECT MAX(j.at) FROM journal j WHERE j.entity = 'record' \
                AND j.entity_id = CAST(r.id AS TEXT) AND j.action IN ('repair', 'revoke')) \
             END AS ended_at \
             FROM records r WHERE r.subject_id = $1",
            &[Val::Int(subject_id)],
        )?;
        // Both 从轻惩戒 ("lighter") and 免于惩戒 ("exempt") are the 从轻或免于惩戒 of DESIGN.md §4:
        // either lifts the rules that say so (`exemption_lifts`).
        let granted = c.query(
            "SELECT record_id, detail FROM cases WHERE kind = 'repair' AND outcome = 'approved' \
             AND record_id IN (SELECT id FROM records WHERE subject_id = $1)",
            &[Val::Int(subject_id)],
        )?;
        let mut exempt = Vec::new();
        for g in &granted {
            let Some(record) = g.int("record_id")? else {
                continue;
            };
            let detail: serde_json::Value =
                serde_json::from_str(g.need_text("detail")?).unwrap_or_default();
            if detail
                .get("leniency")
                .and_then(|l| l.as_str())
                .and_then(Leniency::parse)
                .is_some()
            {
                exempt.push(record);
            }
        }
        let bad = |f: &str| StoreError::Internal(format!("records.{f}"));
        // In the order of the records' ids, sorted here: asked of the database, the order
        // made it walk the subject's records by id and read each one's row, where the index
        // `records_subject_facts` (migration 0025) holds all it needs.
        let mut facts = rows
            .iter()
            .map(|r| {
                let id = r.need_int("id")?;
                let state = RecordState::parse(r.need_text("state")?).map_err(|_| bad("state"))?;
                let ended_on = match state {
                    RecordState::Repaired | RecordState::Revoked => {
                        r.opt_time("ended_at")?.map(beijing_date)
                    }
                    _ => None,
                };
                Ok(RecordFact {
                    id,
                    category: r.need_text("category")?.to_string(),
                    kind: RecordKind::parse(r.need_text("kind")?).map_err(|_| bad("kind"))?,
                    severity: match r.text("severity")? {
                        Some(s) => Some(Severity::parse(s).map_err(|_| bad("severity"))?),
                        None => None,
                    },
                    state,
                    decided_on: r.date("decided_on")?,
                    disclosure_until: r.date("disclosure_until")?,
                    ended_on,
                    exemption: exempt.contains(&id),
                })
            })
            .collect::<StoreResult<Vec<RecordFact>>>()?;
        facts.sort_unstable_by_key(|f| f.id);
        Ok(facts)
    }

    /// A unit's turns owing a rectification (失信整改), as the credit check reads them: each
    /// turn's deadline, the last day it stood open (the Beijing day it was handed on, as the
    /// assessment's `CaseItem::closed_on` counts it; `today` while open), and whether the case
    /// ended withdrawn or lapsed.
    pub fn sanction_rectifications(
        &self,
        unit_id: i64,
        today: NaiveDate,
    ) -> StoreResult<Vec<RectificationFact>> {
        let mut c = self.conn()?;
        let mut out = Vec::new();
        c.for_each_ref(
            "SELECT t.case_id, t.due, t.ended_at, c.outcome FROM case_turns t \
             JOIN cases c ON c.id = t.case_id \
             WHERE t.unit_id = $1 AND c.kind = 'rectification' ORDER BY t.case_id, t.started_at",
            &[Val::Int(unit_id)],
            |r| {
                let last_open = match r.text("ended_at")? {
                    Some(t) => beijing_date(stored_time("ended_at", &t)?),
                    None => today,
                };
                out.push(RectificationFact {
                    case_id: r
                        .int("case_id")?
                        .ok_or_else(|| StoreError::Internal("case_turns.case_id".into()))?,
                    due: r.date("due")?,
                    last_open,
                    void: matches!(r.text("outcome")?.as_deref(), Some("withdrawn" | "lapsed")),
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Logs checks in one transaction and gives each its number: `HC` and the Beijing date,
    /// then a serial counted in the same write, so that two checks never share one; numbered in
    /// the order given (a group commit: the checks that arrived while the last batch was being
    /// written). All or none.
    pub fn log_sanction_checks(
        &self,
        news: &[NewSanctionCheck<'_>],
    ) -> StoreResult<Vec<SanctionCheck>> {
        if news.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let at = time_text(now);
        let prefix = format!("HC{}-", beijing_date(now).format("%Y%m%d"));
        let mut c = self.conn()?;
        c.write(|c| {
            // The serial follows the last check's, when that one is of the same day: one read
            // of the primary key, however many checks the log holds (a count of the day's
            // numbers grew with every check).
            let last = c.query_text(
                "SELECT check_no FROM sanction_checks ORDER BY id DESC LIMIT 1",
                &[],
            )?;
            let today = last
                .as_deref()
                .and_then(|n| n.strip_prefix(prefix.as_str()))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            let first = c.next_ids("sanction_checks", news.len() as i64)?;
            let mut logged = Vec::with_capacity(news.len());
            for ((new, id), serial) in news.iter().zip(first..).zip(today + 1..) {
                let check_no = format!("{prefix}{serial:04}");
                c.exec(
                    "INSERT INTO sanction_checks (id, check_no, at, actor, purpose, subject_id, \
                     year, decision, answer, asker_unit) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        Val::Int(id),
                        Val::from(check_no.as_str()),
                        Val::from(at.as_str()),
                        Val::from(new.actor),
                        Val::from(new.purpose),
                        Val::Int(new.subject_id),
                        Val::Int(i64::from(new.year)),
                        Val::from(new.decision),
                        Val::from(new.answer),
                        new.asker_unit.map_or(Val::Null, Val::Int),
                    ],
                )?;
                logged.push(SanctionCheck {
                    id,
                    check_no,
                    at: at.clone(),
                    actor: new.actor.to_string(),
                    purpose: new.purpose.to_string(),
                    subject_id: new.subject_id,
                    year: new.year,
                    decision: new.decision.to_string(),
                    answer: new.answer.to_string(),
                    asker_unit: new.asker_unit,
                });
            }
            Ok(logged)
        })
    }

    /// The checks made about a subject, oldest first.
    pub fn sanction_checks(&self, subject_id: i64) -> StoreResult<Vec<SanctionCheck>> {
        let mut c = self.conn()?;
        c.query(
            &format!(
                "SELECT {CHECK_COLS} FROM sanction_checks c WHERE c.subject_id = $1 ORDER BY c.id"
            ),
            &[Val::Int(subject_id)],
        )?
        .iter()
        .map(SanctionCheck::from_row)
        .collect()
    }

    /// How many checks the log holds.
    pub fn sanction_check_count(&self) -> StoreResult<i64> {
        Ok(self
            .conn()?
            .query_int("SELECT COUNT(*) FROM sanction_checks", &[])?
            .unwrap_or(0))
    }

    /// The checks `filter` selects with their subject, asking unit and feedback, newest first,
    /// at most `limit`.
    pub fn sanction_check_list(
        &self,
        filter: &CheckFilter,
        limit: u32,
    ) -> StoreResult<Vec<CheckListing>> {
        let mut params = Vec::new();
        let mut clauses = Vec::new();
        let mut bind = |v: Val| {
            params.push(v);
            format!("${}", params.len())
        };
        if let Some(a) = &filter.asker {
            let actor = bind(Val::from(a.actor.as_str()));
            clauses.push(match a.unit {
                Some(u) => format!(
                    "(c.actor = {actor} OR c.asker_unit = {})",
                    bind(Val::Int(u))
                ),
                None => format!("c.actor = {actor}"),
            });
        }
        if let Some(d) = &filter.decision {
            clauses.push(format!("c.decision = {}", bind(Val::from(d.as_str()))));
        }
        if let Some(p) = &filter.purpose {
            clauses.push(format!("c.purpose = {}", bind(Val::from(p.as_str()))));
        }
        if let Some(y) = filter.year {
            clauses.push(format!("c.year = {}", bind(Val::Int(i64::from(y)))));
        }
        if let Some(b) = filter.before {
            clauses.push(format!("c.id < {}", bind(Val::Int(b))));
        }
        if let Some(state) = filter.feedback {
            clauses.push(
                match state {
                    FeedbackState::Pending => "c.decision = 'restricted' AND f.check_id IS NULL",
                    FeedbackState::Given => "f.check_id IS NOT NULL",
                    FeedbackState::Applied => "f.applied = 1",
                    FeedbackState::NotApplied => "f.applied = 0",
                    FeedbackState::NotNeeded => "c.decision <> 'restricted'",
                }
                .to_string(),
            );
        }
        let limit = bind(Val::Int(i64::from(limit)));
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {CHECK_COLS}, {FEEDBACK_COLS}, s.name AS subject_name, s.kind AS subject_kind, \
             u.name AS asker_unit_name \
             FROM sanction_checks c \
             LEFT JOIN sanction_feedback f ON f.check_id = c.id \
             JOIN subjects s ON s.id = c.subject_id \
             LEFT JOIN subjects u ON u.id = c.asker_unit \
             {filter_sql} ORDER BY c.id DESC LIMIT {limit}"
        );
        let rows = self.conn()?.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok(CheckListing {
                    check: SanctionCheck::from_row(r)?,
                    subject_name: r.need_text("subject_name")?.to_string(),
                    subject_kind: SubjectKind::parse(r.need_text("subject_kind")?)
                        .map_err(|_| StoreError::Internal("subjects.kind".into()))?,
                    asker_unit_name: r.text("asker_unit_name")?.map(str::to_string),
                    feedback: StoredFeedback::from_row(r)?,
                })
            })
            .collect()
    }

    /// Every department's checks and the feedback on them (of the checks about `year`, or of
    /// all): a unit's accounts count together; an account bound to no unit counts alone.
    /// Ordered by unit name, then by account.
    pub fn sanction_feedback_tallies(
        &self,
        year: Option<i32>,
    ) -> StoreResult<Vec<DepartmentTally>> {
        let (filter_sql, params) = match year {
            Some(y) => ("WHERE c.year = $1", vec![Val::Int(i64::from(y))]),
            None => ("", vec![]),
        };
        let sql = format!(
            "SELECT t.asker_unit, t.asker_actor, u.name AS unit_name, t.checks, t.restricted, \
             t.given, t.applied, t.not_applied FROM ( \
               SELECT c.asker_unit AS asker_unit, \
                 CASE WHEN c.asker_unit IS NULL THEN c.actor ELSE '' END AS asker_actor, \
                 COUNT(*) AS checks, \
                 SUM(CASE WHEN c.decision = 'restricted' THEN 1 ELSE 0 END) AS restricted, \
                 SUM(CASE WHEN c.decision = 'restricted' AND f.check_id IS NOT NULL \
                     THEN 1 ELSE 0 END) AS given, \
                 SUM(CASE WHEN c.decision = 'restricted' AND f.applied = 1 \
                     THEN 1 ELSE 0 END) AS applied, \
                 SUM(CASE WHEN c.decision = 'restricted' AND f.applied = 0 \
                     THEN 1 ELSE 0 END) AS not_applied \
               FROM sanction_checks c LEFT JOIN sanction_feedback f ON f.check_id = c.id \
               {filter_sql} \
               GROUP BY c.asker_unit, CASE WHEN c.asker_unit IS NULL THEN c.actor ELSE '' END \
             ) t LEFT JOIN subjects u ON u.id = t.asker_unit \
             ORDER BY u.name, t.asker_actor"
        );
        let rows = self.conn()?.query(&sql, &params)?;
        let count = |r: &Row, col: &str| -> StoreResult<u64> {
            u64::try_from(r.int(col)?.unwrap_or(0))
                .map_err(|_| StoreError::Internal(format!("sanction tally {col}")))
        };
        rows.iter()
            .map(|r| {
                let department = match r.int("asker_unit")? {
                    Some(u) => Department::Unit(u),
                    None => Department::Account(r.need_text("asker_actor")?.to_string()),
                };
                Ok(DepartmentTally {
                    department,
                    unit_name: r.text("unit_name")?.map(str::to_string),
                    tally: Tally {
                        checks: count(r, "checks")?,
                        restricted: count(r, "restricted")?,
                        given: count(r, "given")?,
                        applied: count(r, "applied")?,
                        not_applied: count(r, "not_applied")?,
                    },
                })
            })
            .collect()
    }
}
