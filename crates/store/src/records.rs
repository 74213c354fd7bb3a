//! Credit records as stored: one record and a subject's file (档案), the lifecycle transitions,
//! creation and correction of one record, the change-feed export, and the audit history. The
//! batched import is `import`; lists and their cursors are `listing`.

use chrono::{DateTime, NaiveDate, Utc};

use probity_domain::Code;
use probity_domain::audit::{self, Actor, Entity};
use probity_domain::catalog::{RecordKind, Scope, Severity};
use probity_domain::record::{Action, FieldError, NewRecord, RecordState, Role, transition};

use crate::Store;
use crate::db::{Row, Val, placeholders};
use crate::error::{StoreError, StoreResult};
use crate::import::{ImportOptions, Outcome, Prepared, Preparer, guard_id_lookups, limited};
use crate::journal::{Appender, Entry, RECORD_COLS, record_state_digest};

/// How a record arrived (来源渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    File,
    Form,
    Api,
    Exchange,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::File => "file",
            Channel::Form => "form",
            Channel::Api => "api",
            Channel::Exchange => "exchange",
        }
    }
}

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub id: i64,
    pub subject_id: i64,
    pub provider_id: i64,
    pub category: String,
    pub kind: RecordKind,
    pub document_no: String,
    pub subject_name: String,
    pub decided_on: NaiveDate,
    pub authority: String,
    pub facts: String,
    pub basis: Option<String>,
    pub outcome: String,
    pub severity: Option<Severity>,
    pub scope: Scope,
    pub disclosure_until: NaiveDate,
    pub state: RecordState,
    pub channel: String,
    pub source: String,
    pub source_row: Option<i64>,
    pub submitted_by: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub seen_count: i64,
    pub last_seq: i64,
    /// Sent back (已退回) by the credit office, with this reason, and not submitted again since.
    pub sent_back: Option<String>,
}

pub(crate) fn record_select(filter: &str) -> String {
    format!(
        "SELECT {}, last_seen, seen_count, last_seq, sent_back_reason FROM records {filter}",
        RECORD_COLS.join(", ")
    )
}

impl StoredRecord {
    pub(crate) fn from_row(r: &Row) -> StoreResult<StoredRecord> {
        let bad = |f: &str| StoreError::Internal(format!("records.{f}"));
        let text = |col: &str| r.need_text(col).map(str::to_string);
        let severity = match r.text("severity")? {
            Some(s) => Some(Severity::parse(s).map_err(|_| bad("severity"))?),
            None => None,
        };
        Ok(StoredRecord {
            id: r.need_int("id")?,
            subject_id: r.need_int("subject_id")?,
            provider_id: r.need_int("provider_id")?,
            category: text("category")?,
            kind: RecordKind::parse(r.need_text("kind")?).map_err(|_| bad("kind"))?,
            document_no: text("document_no")?,
            subject_name: text("subject_name")?,
            decided_on: r.date("decided_on")?,
            authority: text("authority")?,
            facts: text("facts")?,
            basis: r.text("basis")?.map(str::to_string),
            outcome: text("outcome")?,
            severity,
            scope: Scope::parse(r.need_text("scope")?).map_err(|_| bad("scope"))?,
            disclosure_until: r.date("disclosure_until")?,
            state: RecordState::parse(r.need_text("state")?).map_err(|_| bad("state"))?,
            channel: text("channel")?,
            source: text("source")?,
            source_row: r.int("source_row")?,
            submitted_by: text("submitted_by")?,
            first_seen: r.time("first_seen")?,
            last_seen: r.time("last_seen")?,
            seen_count: r.int("seen_count")?.unwrap_or(1),
            last_seq: r.int("last_seq")?.unwrap_or(0),
            sent_back: r.text("sent_back_reason")?.map(str::to_string),
        })
    }

    /// The audited part of the row, in `RECORD_COLS` order.
    fn audited_vals(&self, content_digest: Vec<u8>) -> Vec<Val> {
        vec![
            Val::Int(self.id),
            Val::Int(self.subject_id),
            Val::Int(self.provider_id),
            Val::from(self.category.clone()),
            Val::from(self.kind.code()),
            Val::from(self.document_no.clone()),
            Val::from(self.subject_name.clone()),
            Val::from(self.decided_on.to_string()),
            Val::from(self.authority.clone()),
            Val::from(self.facts.clone()),
            Val::from(self.basis.clone()),
            Val::from(self.outcome.clone()),
            Val::from(self.severity.map(|s| s.code())),
            Val::from(self.scope.code()),
            Val::from(self.disclosure_until.to_string()),
            Val::from(self.state.code()),
            Val::Blob(content_digest),
            Val::from(self.channel.clone()),
            Val::from(self.source.clone()),
            Val::from(self.source_row),
            Val::from(self.submitted_by.clone()),
            Val::from(crate::time_text(self.first_seen)),
        ]
    }
}

/// One line of the change-feed export.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub record: StoredRecord,
    pub subject_uscc: Option<String>,
    pub subject_id_masked: Option<String>,
    pub provider_name: String,
}

impl Store {
    pub fn record(&self, id: i64) -> StoreResult<StoredRecord> {
        let mut c = self.conn()?;
        match c.query_one(&record_select("WHERE id = $1"), &[Val::Int(id)])? {
            Some(r) => StoredRecord::from_row(&r),
            None => Err(StoreError::NotFound(format!("记录 {id}"))),
        }
    }

    /// A subject's file (档案): its records and those of its predecessors, newest decision first.
    pub fn records_of_subject(&self, subject_id: i64) -> StoreResult<Vec<StoredRecord>> {
        let ids = self.lineage(subject_id)?;
        let mut c = self.conn()?;
        let sql = record_select(&format!(
            "WHERE subject_id IN ({}) ORDER BY decided_on DESC, id DESC",
            placeholders(1, ids.len())
        ));
        let params: Vec<Val> = ids.into_iter().map(Val::Int).collect();
        c.query(&sql, &params)?
            .iter()
            .map(StoredRecord::from_row)
            .collect()
    }

    /// Moves a record along its lifecycle. A provider may act only on its own records.
    pub fn transition(
        &self,
        id: i64,
        action: Action,
        role: Role,
        acting_unit: Option<i64>,
        actor: &str,
        reason: &str,
    ) -> StoreResult<StoredRecord> {
        // The unit acting and every predecessor whose records it inherited.
        let lineage = match (role, acting_unit) {
            (Role::Unit, Some(u)) => self.lineage(u)?,
            _ => Vec::new(),
        };
        self.write(|tx| {
            tx.records()
                .transition(id, action, role, acting_unit, &lineage, actor, reason)
        })
    }

    /// Streams the records changed after change-feed sequence `since`, in feed order.
    pub fn export_since(
        &self,
        since: i64,
        mut f: impl FnMut(ExportRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut c = self.conn()?;
        let cols: Vec<String> = RECORD_COLS.iter().map(|c| format!("r.{c}")).collect();
        let sql = format!(
            "SELECT {}, r.last_seen, r.seen_count, r.last_seq, r.sent_back_reason, s.uscc AS subject_uscc, \
             s.id_masked AS subject_id_masked, p.name AS provider_name \
             FROM records r JOIN subjects s ON s.id = r.subject_id JOIN subjects p ON p.id = r.provider_id \
             WHERE r.last_seq > $1 ORDER BY r.last_seq",
            cols.join(", ")
        );
        c.for_each(&sql, &[Val::Int(since)], |r| {
            f(ExportRow {
                record: StoredRecord::from_row(&r)?,
                subject_uscc: r.text("subject_uscc")?.map(str::to_string),
                subject_id_masked: r.text("subject_id_masked")?.map(str::to_string),
                provider_name: r.need_text("provider_name")?.to_string(),
            })
        })
    }

    pub fn record_count(&self) -> StoreResult<i64> {
        let mut c = self.conn()?;
        Ok(c.query_int("SELECT COUNT(*) FROM records", &[])?
            .unwrap_or(0))
    }
}

/// What creating one record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    New(StoredRecord),
    /// The same record was already there (same provider, document number and content).
    Existing(StoredRecord),
    Rejected(Vec<FieldError>),
}

/// Which journal entries the auditor asks for; every field narrows, `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalFilter {
    /// Part of who acted, as the journal writes it (`caizhengju`, `信用办`).
    pub actor: Option<String>,
    /// An action's code (`activate`).
    pub action: Option<String>,
    pub entity: Option<Entity>,
    pub entity_id: Option<String>,
    /// From this time on.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
}

/// One journal entry, as a history shows it: the texts the journal holds, and their Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub seq: i64,
    pub at: String,
    /// Who acted, as the journal writes it (`provider:caizhengju`); `actor_label` reads it.
    pub actor: String,
    /// The action's code (`activate`); `action_label` reads it.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
}

impl HistoryEntry {
    /// Who acted, in Chinese.
    pub fn actor_label(&self) -> String {
        Actor::parse(&self.actor).label()
    }

    /// What was done, in Chinese (the code itself if this version does not know it).
    pub fn action_label(&self) -> String {
        audit::Action::parse(&self.action, Entity::parse(&self.entity))
            .map_or_else(|| self.action.clone(), |a| a.label().to_string())
    }

    /// What it was done to, in Chinese: `记录 #12`.
    pub fn entity_label(&self) -> String {
        match Entity::parse(&self.entity) {
            Some(e) => format!("{} #{}", e.label(), self.entity_id),
            None => format!("{} #{}", self.entity, self.entity_id),
        }
    }
}

impl Store {
    /// Creates one record from a form or an API call: as a draft, or submitted (activated when
    /// `opts.activate`). Resent identical content answers with the existing record.
    pub fn create_record(
        &self,
        opts: ImportOptions,
        rec: NewRecord,
        draft: bool,
    ) -> StoreResult<Created> {
        let mut import = self.start_import(ImportOptions {
            all_or_nothing: false,
            ..opts
        })?;
        if draft {
            import = import.drafts();
        }
        let outcome = import.push(vec![(0, rec)])?.pop().map(|(_, o)| o);
        import.finish(true)?;
        Ok(match outcome {
            Some(Outcome::Accepted { id }) => Created::New(self.record(id)?),
            Some(Outcome::Duplicate { id }) => Created::Existing(self.record(id)?),
            Some(Outcome::Rejected(errs)) => match limited(&errs) {
                Some(e) => return Err(e),
                None => Created::Rejected(errs),
            },
            None => return Err(StoreError::Internal("导入没有返回结果".into())),
        })
    }

    /// Corrects a draft or submitted record (更正). Only its provider or the credit office may.
    pub fn correct_record(
        &self,
        id: i64,
        rec: NewRecord,
        role: Role,
        acting_unit: Option<i64>,
        actor: &str,
    ) -> StoreResult<Result<StoredRecord, Vec<FieldError>>> {
        let current = self.record(id)?;
        if role == Role::Provider && acting_unit != Some(current.provider_id) {
            return Err(StoreError::domain(
                Code::Forbidden,
                "只能更正本单位报送的记录",
            ));
        }
        transition(current.state, Action::Correct, role)?;
        let provider = self.subject(current.provider_id)?;
        let mut prep = Preparer::new(None, self.keys.clone(), self.catalog()?, provider);
        let mut conn = self.conn()?;
        let prepared = prep.prepare_with(&mut conn, vec![(0, rec)])?;
        let mut prepared: Vec<Prepared> = prepared.into_iter().take(1).collect();
        if prepared.is_empty() {
            return Err(StoreError::Internal("更正没有返回结果".into()));
        }
        let now = self.now_text();
        conn.write(|c| {
            let mut journal = Appender::open(c, now.clone())?;
            // A correction names its subject as a new record does: the same limit on guesses.
            guard_id_lookups(c, &mut journal, actor, &mut prepared)?;
            let cand = match prepared.pop().map(|p| p.result) {
                Some(Ok(c)) => c,
                Some(Err(Outcome::Rejected(errs))) => {
                    if let Some(e) = limited(&errs) {
                        return Err(e);
                    }
                    // Only the failed lookup, if any, is written; the record is untouched.
                    journal.flush(c)?;
                    return Ok(Err(errs));
                }
                _ => return Err(StoreError::Internal("更正结果异常".into())),
            };
            let row = c
                .query_one(&record_select("WHERE id = $1"), &[Val::Int(id)])?
                .ok_or_else(|| StoreError::NotFound(format!("记录 {id}")))?;
            let mut stored = StoredRecord::from_row(&row)?;
            // The state may have moved since it was read outside the transaction.
            transition(stored.state, Action::Correct, role)?;
            let clash = c.query_one(
                "SELECT id FROM records WHERE provider_id = $1 AND document_no = $2 AND id <> $3",
                &[
                    Val::Int(stored.provider_id),
                    Val::from(cand.rec.document_no.as_str()),
                    Val::Int(id),
                ],
            )?;
            if clash.is_some() {
                return Err(StoreError::domain(
                    Code::DuplicateConflict,
                    format!(
                        "决定文书号 {} 已被本单位的另一条记录使用",
                        cand.rec.document_no
                    ),
                ));
            }
            let r = cand.rec;
            stored.subject_id = cand.subject_id;
            stored.category = r.category;
            stored.kind = r.kind;
            stored.document_no = r.document_no;
            stored.subject_name = r.subject_name;
            stored.decided_on = r.decided_on;
            stored.authority = r.authority;
            stored.facts = r.facts;
            stored.basis = r.basis;
            stored.outcome = r.outcome;
            stored.severity = r.severity;
            stored.scope = r.scope;
            stored.disclosure_until = r.disclosure_until;
            let vals = stored.audited_vals(cand.digest);
            let seq = journal.append(Entry {
                actor: Actor::parse(actor),
                action: audit::Action::Record(Action::Correct),
                entity: Entity::Record,
                entity_id: id.to_string(),
                detail: serde_json::json!({ "role": role.label() }).to_string(),
                state_digest: record_state_digest(&vals),
            });
            let sets: Vec<String> = RECORD_COLS
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, col)| format!("{col} = ${}", i + 1))
                .collect();
            let mut params = vals;
            params.push(Val::Int(seq));
            c.exec(
                &format!(
                    "UPDATE records SET {}, last_seq = ${} WHERE id = $1",
                    sets.join(", "),
                    RECORD_COLS.len() + 1
                ),
                &params,
            )?;
            journal.flush(c)?;
            stored.last_seq = seq;
            Ok(Ok(stored))
        })
    }

    /// A page of the whole audit trail after sequence number `after`, oldest first.
    pub fn journal_page(&self, after: i64, limit: u32) -> StoreResult<Vec<HistoryEntry>> {
        let mut c = self.conn()?;
        let rows = c.query(
            &format!(
                "SELECT seq, at, actor, action, entity, entity_id, detail FROM journal WHERE seq > $1 ORDER BY seq LIMIT {}",
                limit.clamp(1, 1000)
            ),
            &[Val::Int(after)],
        )?;
        rows.iter().map(history_entry).collect()
    }

    /// Journal entries matching `f`, newest first, before sequence number `before` (the previous
    /// page's last), at most `limit`.
    pub fn journal_search(
        &self,
        f: &JournalFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<HistoryEntry>> {
        let mut conds: Vec<String> = Vec::new();
        let mut params: Vec<Val> = Vec::new();
        let mut push = |cond: &str, v: Val| {
            params.push(v);
            conds.push(cond.replace('?', &format!("${}", params.len())));
        };
        if let Some(b) = before {
            push("seq < ?", Val::Int(b));
        }
        if let Some(a) = &f.actor {
            // A name typed in part: LIKE's own characters are taken literally.
            let escaped = a
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            push(
                "actor LIKE ? ESCAPE '\\'",
                Val::from(format!("%{escaped}%")),
            );
        }
        if let Some(a) = &f.action {
            push("action = ?", Val::from(a.as_str()));
        }
        if let Some(e) = f.entity {
            push("entity = ?", Val::from(e.code()));
        }
        if let Some(id) = &f.entity_id {
            push("entity_id = ?", Val::from(id.as_str()));
        }
        if let Some(t) = f.from {
            push("at >= ?", Val::from(crate::time_text(t)));
        }
        if let Some(t) = f.until {
            push("at < ?", Val::from(crate::time_text(t)));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let mut c = self.conn()?;
        let rows = c.query(
            &format!(
                "SELECT seq, at, actor, action, entity, entity_id, detail FROM journal {filter} \
                 ORDER BY seq DESC LIMIT {}",
                limit.clamp(1, 10_000)
            ),
            &params,
        )?;
        rows.iter().map(history_entry).collect()
    }

    /// The audit trail of one entity, oldest first.
    pub fn history(&self, entity: Entity, id: &str) -> StoreResult<Vec<HistoryEntry>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT seq, at, actor, action, entity, entity_id, detail FROM journal WHERE entity = $1 AND entity_id = $2 ORDER BY seq",
            &[Val::from(entity.code()), Val::from(id)],
        )?;
        rows.iter().map(history_entry).collect()
    }
}

/// A journal entry as a history shows it.
fn history_entry(r: &Row) -> StoreResult<HistoryEntry> {
    let text = |col: &str| r.need_text(col).map(str::to_string);
    Ok(HistoryEntry {
        seq: r.need_int("seq")?,
        at: text("at")?,
        actor: text("actor")?,
        action: text("action")?,
        entity: text("entity")?,
        entity_id: text("entity_id")?,
        detail: text("detail")?,
    })
}
