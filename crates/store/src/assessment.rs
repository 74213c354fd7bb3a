//! The yearly assessment's data (考核评价): the facts of every assessed unit in a year, read in a
//! few streaming queries whatever the number of records (`assessment_facts`); the scores given by
//! hand (`assessment_entries`, one per unit, period and indicator, each change journaled); and
//! the periods (`assessment_periods`): open, or closed with the results frozen as a snapshot
//! signed with the platform's SM2 key, reopened only with a reason.

use std::collections::HashMap;

use probity_domain::assessment::{
    CaseItem, ComplaintItem, Entry, EntryStage, Period, PeriodKind, Points, RecordItem, ReportItem,
    UnitFacts,
};
use probity_domain::audit::{Action, Actor, Entity};
use probity_domain::catalog::Severity;
use probity_domain::date::beijing_date;
use probity_domain::disclosure::{blank_id_numbers, blank_phone_numbers};
use probity_domain::statistics::COUNTED_STATES;
use probity_domain::subject::SubjectKind;

use crate::Store;
use crate::db::{Row, Val, stored_time};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Entry as JournalEntry, state_digest};
use crate::unit::Tx;

/// An entry as stored, with the unit it scores and who last changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub unit_id: i64,
    pub entry: Entry,
    pub updated_by: String,
    pub updated_at: String,
}

/// A closed period as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPeriod {
    pub period: Period,
    /// `closed` or `open` (reopened after a close).
    pub closed: bool,
    /// The results frozen at the close (JSON), signed.
    pub snapshot: String,
    pub signature: Vec<u8>,
    pub closed_at: String,
    pub closed_by: String,
    /// The reason of the last reopening, if it was reopened.
    pub reopen_reason: Option<String>,
}

/// A score about to be saved.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub period: Period,
    pub unit_id: i64,
    pub indicator: &'a str,
    pub stage: EntryStage,
    pub points: Points,
    pub claimed: Option<Points>,
    pub comment: &'a str,
}

/// A file of evidence behind a score (评分佐证材料), without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceMeta {
    pub id: i64,
    /// The score it belongs to.
    pub entry_id: i64,
    pub period: Period,
    pub unit_id: i64,
    pub indicator: String,
    pub file_name: String,
    /// `probity_domain::attachment::AttachmentType` code.
    pub kind: String,
    pub size: i64,
    pub sm3: Vec<u8>,
    pub added_by: String,
    pub added_at: String,
}

const EVIDENCE_SELECT: &str = "SELECT id, entry_id, year, period, unit_id, indicator, file_name, \
     kind, size, sm3, added_by, added_at FROM assessment_evidence";

fn evidence_meta(r: &Row) -> StoreResult<EvidenceMeta> {
    Ok(EvidenceMeta {
        id: r.need_int("id")?,
        entry_id: r.need_int("entry_id")?,
        period: Period {
            year: i32::try_from(r.need_int("year")?).map_err(|_| bad("year"))?,
            kind: PeriodKind::parse(r.need_text("period")?).map_err(|_| bad("period"))?,
        },
        unit_id: r.need_int("unit_id")?,
        indicator: r.need_text("indicator")?.to_string(),
        file_name: r.need_text("file_name")?.to_string(),
        kind: r.need_text("kind")?.to_string(),
        size: r.need_int("size")?,
        sm3: r.blob("sm3")?.map(<[u8]>::to_vec).unwrap_or_default(),
        added_by: r.need_text("added_by")?.to_string(),
        added_at: r.need_text("added_at")?.to_string(),
    })
}

fn period_id(p: Period) -> String {
    format!("{}/{}", p.year, p.kind.code())
}

fn bad(what: &str) -> StoreError {
    StoreError::Internal(format!("assessment: {what}"))
}

impl Store {
    /// The facts of every current assessed unit (functional zones, departments, townships not
    /// merged into a successor) for the calendar year of `period`, up to its end: their dishonest
    /// records and their civil servants' (a predecessor's count for its successor), the
    /// rectifications, complaints and objections they owed or answered, the records they
    /// reported. The metric modules pick what falls in the period. Records are streamed, not
    /// collected: one pass over the year's records, one over its cases.
    pub fn assessment_facts(&self, period: Period) -> StoreResult<Vec<UnitFacts>> {
        let from = period.from();
        let to = period.to();
        let mut c = self.conn()?;
        let subjects = c.query(
            "SELECT id, kind, name, unit_id, successor_id FROM subjects \
             WHERE kind IN ('functional_zone', 'department', 'township', 'district_government')",
            &[],
        )?;
        // Each unit to the unit it counts for now (its last successor).
        let mut successor: HashMap<i64, i64> = HashMap::new();
        let mut units: Vec<UnitFacts> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        for s in &subjects {
            let id = s.need_int("id")?;
            let kind = SubjectKind::parse(s.need_text("kind")?).map_err(|_| bad("kind"))?;
            if let Some(next) = s.int("successor_id")? {
                successor.insert(id, next);
            } else if probity_domain::assessment::ASSESSED_KINDS.contains(&kind) {
                index.insert(id, units.len());
                units.push(UnitFacts::empty(id, s.need_text("name")?, kind));
            }
        }
        let current = |mut id: i64| -> Option<usize> {
            for _ in 0..64 {
                if let Some(&i) = index.get(&id) {
                    return Some(i);
                }
                id = *successor.get(&id)?;
            }
            None
        };
        // The civil servants' units.
        let mut staff_unit: HashMap<i64, i64> = HashMap::new();
        c.for_each_ref(
            "SELECT id, unit_id FROM subjects WHERE kind = 'civil_servant' AND unit_id IS NOT NULL",
            &[],
            |r| {
                staff_unit.insert(
                    r.int("id")?.ok_or_else(|| bad("id"))?,
                    r.int("unit_id")?.ok_or_else(|| bad("unit_id"))?,
                );
                Ok(())
            },
        )?;
        let states: Vec<String> = COUNTED_STATES
            .iter()
            .map(|s| format!("'{}'", s.code()))
            .collect();
        // One pass over the counted records decided by the period's end: every one marks its
        // provider as a providing department; those decided in the period are the unit's
        // reports and, if dishonest, its own or its civil servants' records. On SQLite the
        // pass reads the table in storage order: through an index (on the state, or the
        // decision date) it fetched a third of the rows or more one by one, each page many
        // times over, and the scan took most of the review's time.
        let from_text = from.to_string();
        let table = match c.dialect() {
            crate::Dialect::Sqlite => "records NOT INDEXED",
            crate::Dialect::Postgres => "records",
        };
        c.for_each_ref(
            &format!(
                "SELECT id, subject_id, provider_id, kind, severity, decided_on, first_seen, \
                 document_no, subject_name FROM {table} \
                 WHERE state IN ({}) AND decided_on <= $1",
                states.join(", ")
            ),
            &[Val::from(to.to_string())],
            |r| {
                let provider = current(r.int("provider_id")?.ok_or_else(|| bad("provider"))?);
                if let Some(i) = provider {
                    units[i].is_provider = true;
                }
                // ISO dates order as their texts do: the earlier records are skipped unparsed.
                if r.text("decided_on")?
                    .is_none_or(|d| d.as_ref() < from_text.as_str())
                {
                    return Ok(());
                }
                let id = r.int("id")?.ok_or_else(|| bad("id"))?;
                let decided_on = r.date("decided_on")?;
                if let Some(i) = provider {
                    let seen = r.text("first_seen")?.ok_or_else(|| bad("first_seen"))?;
                    units[i].reports.push(ReportItem {
                        record_id: id,
                        decided_on,
                        first_seen: beijing_date(stored_time("first_seen", &seen)?),
                    });
                }
                if r.text("kind")?.as_deref() != Some("dishonest") {
                    return Ok(());
                }
                let subject = r.int("subject_id")?.ok_or_else(|| bad("subject"))?;
                let (owner, staff) = match current(subject) {
                    Some(i) => (Some(i), false),
                    None => (staff_unit.get(&subject).and_then(|u| current(*u)), true),
                };
                let Some(i) = owner else { return Ok(()) };
                let item = RecordItem {
                    id,
                    severity: match r.text("severity")? {
                        Some(s) => Some(Severity::parse(&s).map_err(|_| bad("severity"))?),
                        None => None,
                    },
                    decided_on,
                    document_no: r.text("document_no")?.unwrap_or_default().into_owned(),
                    subject_name: r.text("subject_name")?.unwrap_or_default().into_owned(),
                };
                if staff {
                    units[i].staff_records.push(item);
                } else {
                    units[i].records.push(item);
                }
                Ok(())
            },
        )?;
        // Each unit's turns on cases (its own deadline, the day it handed the case on) that
        // overlap the period, or fall due in it: rectifications it owed, complaints and
        // objections it answered. A complaint's rating goes to the turn that gave the last
        // answer. The bounds are a day wider than the period in UTC; the metrics count by the
        // Beijing date.
        let start = (from - chrono::Duration::days(1)).to_string();
        let end = (to + chrono::Duration::days(1)).to_string();
        c.for_each_ref(
            "SELECT t.case_id, t.unit_id, t.due, t.started_at, t.ended_at, c.kind, c.outcome, \
             c.rating, (SELECT MAX(l.started_at) FROM case_turns l WHERE l.case_id = t.case_id) \
             AS last_started FROM case_turns t JOIN cases c ON c.id = t.case_id \
             WHERE c.kind IN ('rectification', 'complaint', 'objection') \
             AND t.started_at <= $2 AND (t.ended_at IS NULL OR t.ended_at >= $1 OR t.due >= $3)",
            &[
                Val::from(start.as_str()),
                Val::from(end.as_str()),
                Val::from(from.to_string()),
            ],
            |r| {
                let Some(i) = r.int("unit_id")?.and_then(current) else {
                    return Ok(());
                };
                let kind = r.text("kind")?.unwrap_or_default().into_owned();
                let outcome = r.text("outcome")?.map(|o| o.into_owned());
                let closed_on = match r.text("ended_at")? {
                    Some(t) => Some(beijing_date(stored_time("ended_at", &t)?)),
                    None => None,
                };
                let item = CaseItem {
                    id: r.int("case_id")?.ok_or_else(|| bad("case id"))?,
                    due: r.date("due")?,
                    closed_on,
                    overdue_ever: false,
                    void: matches!(outcome.as_deref(), Some("withdrawn" | "lapsed")),
                };
                match kind.as_str() {
                    "rectification" => units[i].rectifications.push(item),
                    "objection" => units[i].objections.push(item),
                    _ => {
                        let last = r.text("last_started")? == r.text("started_at")?;
                        units[i].complaints.push(ComplaintItem {
                            case: item,
                            rating: r
                                .int("rating")?
                                .filter(|_| last)
                                .and_then(|n| u8::try_from(n).ok()),
                        });
                    }
                }
                Ok(())
            },
        )?;
        // Complaints about a unit found true (属实, 部分属实), by the day they closed.
        c.for_each_ref(
            "SELECT id, subject_id, deadline, closed_at FROM cases WHERE kind = 'complaint' \
             AND outcome IN ('founded', 'partly_founded') AND closed_at >= $1 AND closed_at <= $2",
            &[Val::from(start.as_str()), Val::from(end.as_str())],
            |r| {
                let Some(i) = r.int("subject_id")?.and_then(current) else {
                    return Ok(());
                };
                let closed = match r.text("closed_at")? {
                    Some(t) => beijing_date(stored_time("closed_at", &t)?),
                    None => return Ok(()),
                };
                units[i].upheld_complaints.push(CaseItem {
                    id: r.int("id")?.ok_or_else(|| bad("case id"))?,
                    due: closed,
                    closed_on: Some(closed),
                    overdue_ever: false,
                    void: false,
                });
                Ok(())
            },
        )?;
        Ok(units)
    }

    /// The entries of a period, every unit's.
    pub fn assessment_entries(&self, period: Period) -> StoreResult<Vec<StoredEntry>> {
        self.entries_where(period, None)
    }

    /// One unit's entries in a period.
    pub fn assessment_entries_of(
        &self,
        period: Period,
        unit_id: i64,
    ) -> StoreResult<Vec<StoredEntry>> {
        self.entries_where(period, Some(unit_id))
    }

    fn entries_where(&self, period: Period, unit: Option<i64>) -> StoreResult<Vec<StoredEntry>> {
        let mut c = self.conn()?;
        let mut sql =
            "SELECT id, unit_id, indicator, stage, points, claimed, comment, updated_by, \
                       updated_at FROM assessment_entries WHERE year = $1 AND period = $2"
                .to_string();
        let mut params = vec![
            Val::Int(i64::from(period.year)),
            Val::from(period.kind.code()),
        ];
        if let Some(u) = unit {
            sql.push_str(" AND unit_id = $3");
            params.push(Val::Int(u));
        }
        sql.push_str(" ORDER BY unit_id, indicator");
        c.query(&sql, &params)?
            .iter()
            .map(|r| {
                Ok(StoredEntry {
                    unit_id: r.need_int("unit_id")?,
                    entry: Entry {
                        id: r.need_int("id")?,
                        indicator: r.need_text("indicator")?.to_string(),
                        stage: EntryStage::parse(r.need_text("stage")?)
                            .ok_or_else(|| bad("stage"))?,
                        points: Points::from_hundredths(r.need_int("points")?),
                        claimed: r.int("claimed")?.map(Points::from_hundredths),
                        comment: r.need_text("comment")?.to_string(),
                    },
                    updated_by: r.need_text("updated_by")?.to_string(),
                    updated_at: r.need_text("updated_at")?.to_string(),
                })
            })
            .collect()
    }

    /// The period's stored state, if it was ever closed.
    pub fn assessment_period(&self, period: Period) -> StoreResult<Option<StoredPeriod>> {
        let mut c = self.conn()?;
        let row = c.query_one(
            "SELECT year, period, state, snapshot, signature, closed_at, closed_by, reopen_reason \
             FROM assessment_periods WHERE year = $1 AND period = $2",
            &[
                Val::Int(i64::from(period.year)),
                Val::from(period.kind.code()),
            ],
        )?;
        row.map(|r| {
            Ok(StoredPeriod {
                period,
                closed: r.need_text("state")? == "closed",
                snapshot: r.need_text("snapshot")?.to_string(),
                signature: r.blob("signature")?.unwrap_or_default().to_vec(),
                closed_at: r.need_text("closed_at")?.to_string(),
                closed_by: r.need_text("closed_by")?.to_string(),
                reopen_reason: r.text("reopen_reason")?.map(str::to_string),
            })
        })
        .transpose()
    }

    /// Whether a period was closed or reopened (or a score changed) after the change-feed
    /// position `since`: what a cache of closed results looks at before it is used again.
    pub fn assessment_changed_since(&self, since: i64) -> StoreResult<bool> {
        let mut c = self.conn()?;
        Ok(c.query_int(
            "SELECT seq FROM journal WHERE entity = 'assessment' AND seq > $1 LIMIT 1",
            &[Val::Int(since)],
        )?
        .is_some())
    }

    /// Every period ever closed (or reopened), newest first.
    pub fn assessment_periods(&self) -> StoreResult<Vec<(Period, bool)>> {
        let mut c = self.conn()?;
        c.query(
            "SELECT year, period, state FROM assessment_periods ORDER BY year DESC, period DESC",
            &[],
        )?
        .iter()
        .map(|r| {
            let year = i32::try_from(r.need_int("year")?).map_err(|_| bad("year"))?;
            let kind = PeriodKind::parse(r.need_text("period")?).map_err(|_| bad("period"))?;
            Ok((Period { year, kind }, r.need_text("state")? == "closed"))
        })
        .collect()
    }

    /// How many scores the period has and when the last one changed (outside a write).
    pub fn assessment_entries_mark(&self, period: Period) -> StoreResult<(i64, Option<String>)> {
        let mut c = self.conn()?;
        let row = c.query_one(
            "SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM assessment_entries \
             WHERE year = $1 AND period = $2",
            &[
                Val::Int(i64::from(period.year)),
                Val::from(period.kind.code()),
            ],
        )?;
        Ok(match row {
            Some(r) => (
                r.int("n")?.unwrap_or(0),
                r.text("last")?.map(str::to_string),
            ),
            None => (0, None),
        })
    }

    /// Whether a period's snapshot is the one the platform signed.
    pub fn assessment_snapshot_is_authentic(&self, p: &StoredPeriod) -> StoreResult<bool> {
        self.keys.verify_report(p.snapshot.as_bytes(), &p.signature)
    }

    /// The files of evidence of one unit's scores in a period, oldest first (without bytes).
    pub fn assessment_evidence(
        &self,
        period: Period,
        unit_id: i64,
    ) -> StoreResult<Vec<EvidenceMeta>> {
        let mut c = self.conn()?;
        c.query(
            &format!(
                "{EVIDENCE_SELECT} WHERE year = $1 AND period = $2 AND unit_id = $3 ORDER BY id"
            ),
            &[
                Val::Int(i64::from(period.year)),
                Val::from(period.kind.code()),
                Val::Int(unit_id),
            ],
        )?
        .iter()
        .map(evidence_meta)
        .collect()
    }

    /// A file of evidence and its bytes; the bytes are checked against their SM3 digest.
    pub fn assessment_evidence_file(&self, id: i64) -> StoreResult<(EvidenceMeta, Vec<u8>)> {
        let mut c = self.conn()?;
        let row = c
            .query_one(&format!("{EVIDENCE_SELECT} WHERE id = $1"), &[Val::Int(id)])?
            .ok_or_else(|| StoreError::NotFound(format!("佐证材料 {id}")))?;
        let meta = evidence_meta(&row)?;
        let bytes = c
            .query_blob(
                "SELECT content FROM assessment_evidence WHERE id = $1",
                &[Val::Int(id)],
            )?
            .unwrap_or_default();
        if crate::crypto::sm3(&bytes).as_slice() != meta.sm3.as_slice() {
            return Err(StoreError::Internal(format!(
                "佐证材料 {id} 的内容与其 SM3 摘要不符"
            )));
        }
        Ok((meta, bytes))
    }
}

/// The assessment's writes, on one unit of work.
pub struct Assessments<'t, 's> {
    pub(crate) tx: &'t mut Tx<'s>,
}

impl Assessments<'_, '_> {
    /// Whether the period is closed now (read inside the write, so that a close and a score
    /// cannot cross).
    pub fn is_closed(&mut self, period: Period) -> StoreResult<bool> {
        Ok(self
            .tx
            .conn()
            .query_text(
                "SELECT state FROM assessment_periods WHERE year = $1 AND period = $2",
                &[
                    Val::Int(i64::from(period.year)),
                    Val::from(period.kind.code()),
                ],
            )?
            .as_deref()
            == Some("closed"))
    }

    /// How many scores the period has and when the last one changed: a close compares it with
    /// what it computed on, so that a score saved meanwhile is never left out of the snapshot.
    pub fn entries_mark(&mut self, period: Period) -> StoreResult<(i64, Option<String>)> {
        let row = self.tx.conn().query_one(
            "SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM assessment_entries \
             WHERE year = $1 AND period = $2",
            &[
                Val::Int(i64::from(period.year)),
                Val::from(period.kind.code()),
            ],
        )?;
        Ok(match row {
            Some(r) => (
                r.int("n")?.unwrap_or(0),
                r.text("last")?.map(str::to_string),
            ),
            None => (0, None),
        })
    }

    /// Saves a score (creating or replacing the unit's entry for the indicator), journaled.
    /// Returns the entry's id.
    pub fn save_entry(&mut self, new: &NewEntry<'_>, actor: &str) -> StoreResult<i64> {
        let at = self.tx.at().to_string();
        let c = self.tx.conn();
        let key = [
            Val::Int(i64::from(new.period.year)),
            Val::from(new.period.kind.code()),
            Val::Int(new.unit_id),
            Val::from(new.indicator),
        ];
        let old = c.query_int(
            "SELECT id FROM assessment_entries WHERE year = $1 AND period = $2 AND unit_id = $3 \
             AND indicator = $4",
            &key,
        )?;
        let values = [
            Val::from(new.stage.code()),
            Val::Int(new.points.hundredths()),
            new.claimed.map_or(Val::Null, |p| Val::Int(p.hundredths())),
            Val::from(new.comment),
            Val::from(actor),
            Val::from(at.as_str()),
        ];
        let id = match old {
            Some(id) => {
                let mut params = vec![Val::Int(id)];
                params.extend(values.iter().cloned());
                c.exec(
                    "UPDATE assessment_entries SET stage = $2, points = $3, claimed = $4, \
                     comment = $5, updated_by = $6, updated_at = $7 WHERE id = $1",
                    &params,
                )?;
                id
            }
            None => {
                let id = c.next_id("assessment_entries")?;
                let mut params = vec![Val::Int(id)];
                params.extend(key.iter().cloned());
                params.extend(values.iter().cloned());
                c.exec(
                    "INSERT INTO assessment_entries (id, year, period, unit_id, indicator, stage, \
                     points, claimed, comment, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    &params,
                )?;
                id
            }
        };
        let detail = format!(
            "{} 单位 {} 指标 {}：{} {} 分",
            new.period.label(),
            new.unit_id,
            new.indicator,
            new.stage.label(),
            new.points
        );
        let mut digest = key.to_vec();
        digest.extend(values[..4].iter().cloned());
        self.tx.append(JournalEntry {
            actor: Actor::parse(actor),
            action: if old.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            entity: Entity::Assessment,
            entity_id: format!(
                "{}/{}/{}",
                period_id(new.period),
                new.unit_id,
                new.indicator
            ),
            detail,
            state_digest: state_digest(&digest),
        });
        Ok(id)
    }

    /// How many files of evidence a score has (read inside the write that adds more).
    pub fn evidence_count(&mut self, entry_id: i64) -> StoreResult<i64> {
        Ok(self
            .tx
            .conn()
            .query_int(
                "SELECT COUNT(*) FROM assessment_evidence WHERE entry_id = $1",
                &[Val::Int(entry_id)],
            )?
            .unwrap_or(0))
    }

    /// Adds files of evidence, already checked by the domain, to a score, each journaled with its
    /// name and SM3 digest. Returns their ids.
    pub fn add_evidence(
        &mut self,
        entry_id: i64,
        new: &NewEntry<'_>,
        files: Vec<crate::NewAttachment>,
        actor: &str,
    ) -> StoreResult<Vec<i64>> {
        let at = self.tx.at().to_string();
        let mut ids = Vec::with_capacity(files.len());
        for f in files {
            let digest = crate::crypto::sm3(&f.bytes);
            let c = self.tx.conn();
            let id = c.next_id("assessment_evidence")?;
            c.exec(
                "INSERT INTO assessment_evidence (id, entry_id, year, period, unit_id, indicator, \
                 file_name, kind, size, sm3, content, added_by, added_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    Val::Int(id),
                    Val::Int(entry_id),
                    Val::Int(i64::from(new.period.year)),
                    Val::from(new.period.kind.code()),
                    Val::Int(new.unit_id),
                    Val::from(new.indicator),
                    Val::from(f.file_name.as_str()),
                    Val::from(f.kind.as_str()),
                    Val::Int(f.bytes.len() as i64),
                    Val::Blob(digest.to_vec()),
                    Val::Blob(f.bytes),
                    Val::from(actor),
                    Val::from(at.as_str()),
                ],
            )?;
            self.tx.append(JournalEntry {
                actor: Actor::parse(actor),
                action: Action::Update,
                entity: Entity::Assessment,
                entity_id: format!(
                    "{}/{}/{}",
                    period_id(new.period),
                    new.unit_id,
                    new.indicator
                ),
                detail: format!(
                    "{} 单位 {} 指标 {}：佐证材料第 {id} 号「{}」，SM3 {}",
                    new.period.label(),
                    new.unit_id,
                    new.indicator,
                    f.file_name,
                    hex(&digest)
                ),
                state_digest: state_digest(&[
                    Val::Int(id),
                    Val::Int(entry_id),
                    Val::Blob(digest.to_vec()),
                ]),
            });
            ids.push(id);
        }
        Ok(ids)
    }

    /// Closes the period: the snapshot (the results as JSON) is signed with the platform's SM2
    /// key and kept; later edits of records do not change it. Refuses nothing itself: the app
    /// checks the period is open inside the same write.
    pub fn close(&mut self, period: Period, snapshot: &str, actor: &str) -> StoreResult<()> {
        let at = self.tx.at().to_string();
        let signature = self.tx.store().keys.sign_report(snapshot.as_bytes())?;
        let c = self.tx.conn();
        let key = [
            Val::Int(i64::from(period.year)),
            Val::from(period.kind.code()),
        ];
        let exists = c
            .query_int(
                "SELECT COUNT(*) FROM assessment_periods WHERE year = $1 AND period = $2",
                &key,
            )?
            .unwrap_or(0)
            > 0;
        let mut params = key.to_vec();
        params.extend([
            Val::from(snapshot),
            Val::Blob(signature),
            Val::from(at.as_str()),
            Val::from(actor),
        ]);
        if exists {
            c.exec(
                "UPDATE assessment_periods SET state = 'closed', snapshot = $3, signature = $4, \
                 closed_at = $5, closed_by = $6 WHERE year = $1 AND period = $2",
                &params,
            )?;
        } else {
            c.exec(
                "INSERT INTO assessment_periods (year, period, state, snapshot, signature, \
                 closed_at, closed_by) VALUES ($1, $2, 'closed', $3, $4, $5, $6)",
                &params,
            )?;
        }
        let digest = crate::crypto::sm3(snapshot.as_bytes());
        self.tx.append(JournalEntry {
            actor: Actor::parse(actor),
            action: Action::ClosePeriod,
            entity: Entity::Assessment,
            entity_id: period_id(period),
            detail: format!("{}归档，结果快照 SM3 {}", period.label(), hex(&digest)),
            state_digest: state_digest(&[
                Val::from(period_id(period)),
                Val::from("closed"),
                Val::Blob(digest.to_vec()),
            ]),
        });
        Ok(())
    }

    /// Reopens a closed period with a reason; its snapshot stays for the record until the next
    /// close replaces it.
    pub fn reopen(&mut self, period: Period, reason: &str, actor: &str) -> StoreResult<()> {
        let c = self.tx.conn();
        c.exec(
            "UPDATE assessment_periods SET state = 'open', reopen_reason = $3 \
             WHERE year = $1 AND period = $2",
            &[
                Val::Int(i64::from(period.year)),
                Val::from(period.kind.code()),
                Val::from(reason),
            ],
        )?;
        self.tx.append(JournalEntry {
            actor: Actor::parse(actor),
            action: Action::ReopenPeriod,
            entity: Entity::Assessment,
            entity_id: period_id(period),
            // The audit trail names the reason, never an ID or a phone number written in it.
            detail: format!(
                "{}重新开启：{}",
                period.label(),
                blank_phone_numbers(&blank_id_numbers(reason))
            ),
            state_digest: state_digest(&[
                Val::from(period_id(period)),
                Val::from("open"),
                Val::from(reason),
            ]),
        });
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
