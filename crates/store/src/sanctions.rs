//! The credit check's (信用核查) data: the facts of one subject's records that the sanction
//! rules look at (`probity_domain::sanction`), and the log of the checks made
//! (`sanction_checks`, each with its number `HC…`). The log keeps the subject's id, never an ID
//! number.

use probity_domain::case::repair::Leniency;
use probity_domain::catalog::{RecordKind, Severity};
use probity_domain::date::beijing_date;
use probity_domain::record::RecordState;
use probity_domain::sanction::RecordFact;

use crate::db::{Row, Val};
use crate::error::{StoreError, StoreResult};
use crate::{Store, time_text};

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
}

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
             (SELECT MAX(j.at) FROM journal j WHERE j.entity = 'record' \
                AND j.entity_id = CAST(r.id AS TEXT) AND j.action IN ('repair', 'revoke')) AS ended_at \
             FROM records r WHERE r.subject_id = $1 ORDER BY r.id",
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
        rows.iter()
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
            .collect()
    }

    /// Logs a check and gives it its number: `HC` and the Beijing date, then a serial counted
    /// in the same write, so that two checks never share one.
    pub fn log_sanction_check(&self, new: &NewSanctionCheck<'_>) -> StoreResult<SanctionCheck> {
        let now = self.now();
        let at = time_text(now);
        let prefix = format!("HC{}-", beijing_date(now).format("%Y%m%d"));
        let mut c = self.conn()?;
        c.write(|c| {
            let today = c
                .query_int(
                    "SELECT COUNT(*) FROM sanction_checks WHERE check_no LIKE $1",
                    &[Val::from(format!("{prefix}%"))],
                )?
                .unwrap_or(0);
            let check_no = format!("{prefix}{:04}", today + 1);
            let id = c.next_id("sanction_checks")?;
            c.exec(
                "INSERT INTO sanction_checks (id, check_no, at, actor, purpose, subject_id, year, \
                 decision, answer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
                ],
            )?;
            Ok(SanctionCheck {
                id,
                check_no,
                at: at.clone(),
                actor: new.actor.to_string(),
                purpose: new.purpose.to_string(),
                subject_id: new.subject_id,
                year: new.year,
                decision: new.decision.to_string(),
                answer: new.answer.to_string(),
            })
        })
    }

    /// The checks made about a subject, oldest first.
    pub fn sanction_checks(&self, subject_id: i64) -> StoreResult<Vec<SanctionCheck>> {
        let mut c = self.conn()?;
        c.query(
            "SELECT id, check_no, at, actor, purpose, subject_id, year, decision, answer \
             FROM sanction_checks WHERE subject_id = $1 ORDER BY id",
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
}
