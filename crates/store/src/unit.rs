//! One unit of work: `Store::write` opens a write transaction and a position on the journal, and
//! lends them to the caller as a `Tx`. Everything written through the repositories a `Tx` hands
//! out (`records()`, `catalog()`, …), and the journal entry each of them appends, commits together
//! when the closure returns `Ok`, or not at all: a case decision and the record transition it
//! causes are one write.

use probity_domain::audit::{self, Actor, Entity};
use probity_domain::catalog::Category;
use probity_domain::record::{Action, Role, transition};
use probity_domain::{Code, DomainError};

use crate::Store;
use crate::db::{Conn, Val};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry, record_row_state_digest, state_digest};
use crate::records::{StoredRecord, record_select};

/// An open unit of work (see the module).
pub struct Tx<'s> {
    store: &'s Store,
    conn: Conn,
    journal: Appender,
}

impl Store {
    /// Runs `f` as one unit of work: what it writes through `tx`, and the journal entries that
    /// record it, are committed together when it returns `Ok` and rolled back together when it
    /// returns an error (or the store fails to commit). The error type is the caller's, so that a
    /// use case can refuse in its own terms from inside the transaction.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        conn.begin_write()?;
        let journal = match Appender::open(&mut conn, self.now_text()) {
            Ok(j) => j,
            Err(e) => {
                conn.rollback();
                return Err(e.into());
            }
        };
        let mut tx = Tx {
            store: self,
            conn,
            journal,
        };
        let out = f(&mut tx);
        let Tx {
            mut conn,
            mut journal,
            ..
        } = tx;
        match out {
            Ok(v) => match journal.flush(&mut conn).and_then(|()| conn.commit()) {
                Ok(()) => Ok(v),
                Err(e) => {
                    conn.rollback();
                    Err(e.into())
                }
            },
            Err(e) => {
                conn.rollback();
                Err(e)
            }
        }
    }
}

impl<'s> Tx<'s> {
    /// The records, on this unit of work.
    pub fn records(&mut self) -> Records<'_, 's> {
        Records { tx: self }
    }

    /// The catalog of record categories, on this unit of work.
    pub fn catalog(&mut self) -> Categories<'_, 's> {
        Categories { tx: self }
    }

    /// The working-day calendar's stored years, on this unit of work.
    pub fn calendar(&mut self) -> crate::calendar::CalendarYears<'_, 's> {
        crate::calendar::CalendarYears { tx: self }
    }

    /// The platform's settings (平台设置), on this unit of work.
    pub fn settings(&mut self) -> crate::settings::Settings<'_, 's> {
        crate::settings::Settings { tx: self }
    }

    /// The cases (异议, 信用修复, 整改, 投诉举报), on this unit of work.
    pub fn cases(&mut self) -> crate::cases::Cases<'_, 's> {
        crate::cases::Cases { tx: self }
    }

    /// The yearly assessment's scores and periods, on this unit of work.
    pub fn assessments(&mut self) -> crate::assessment::Assessments<'_, 's> {
        crate::assessment::Assessments { tx: self }
    }

    /// The commitments registry (承诺) and its fulfilment entries, on this unit of work.
    pub fn commitments(&mut self) -> crate::commitments::Commitments<'_, 's> {
        crate::commitments::Commitments { tx: self }
    }

    /// The connection this unit of work writes on (for the store's own repositories).
    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Appends a journal entry to this unit of work; returns its sequence number.
    pub(crate) fn append(&mut self, entry: Entry) -> i64 {
        self.journal.append(entry)
    }

    /// The time this unit of work writes, as stored.
    pub fn at(&self) -> &str {
        self.journal.at()
    }

    /// The sequence number the next journal entry of this unit of work will get.
    pub fn next_seq(&self) -> i64 {
        self.journal.next_seq()
    }

    /// The store this unit of work writes to (for its keys and reads outside the transaction).
    pub fn store(&self) -> &'s Store {
        self.store
    }
}

/// Records, on one unit of work.
pub struct Records<'t, 's> {
    tx: &'t mut Tx<'s>,
}

impl Records<'_, '_> {
    /// The record as this unit of work sees it.
    pub fn get(&mut self, id: i64) -> StoreResult<StoredRecord> {
        let row = self
            .tx
            .conn
            .query_one(&record_select("WHERE id = $1"), &[Val::Int(id)])?
            .ok_or_else(|| StoreError::NotFound(format!("记录 {id}")))?;
        StoredRecord::from_row(&row)
    }

    /// Moves a record along its lifecycle. A provider may act only on its own records, a unit
    /// only on those of its `lineage` (itself and the predecessors whose records it inherited).
    #[allow(clippy::too_many_arguments)]
    pub fn transition(
        &mut self,
        id: i64,
        action: Action,
        role: Role,
        acting_unit: Option<i64>,
        lineage: &[i64],
        actor: &str,
        reason: &str,
    ) -> StoreResult<StoredRecord> {
        let c = &mut self.tx.conn;
        let row = c
            .query_one(&record_select("WHERE id = $1"), &[Val::Int(id)])?
            .ok_or_else(|| StoreError::NotFound(format!("记录 {id}")))?;
        let mut rec = StoredRecord::from_row(&row)?;
        if role == Role::Provider && acting_unit != Some(rec.provider_id) {
            return Err(StoreError::domain(
                Code::Forbidden,
                "只能处理本单位报送的记录",
            ));
        }
        if role == Role::Unit && !lineage.contains(&rec.subject_id) {
            return Err(StoreError::domain(
                Code::Forbidden,
                "只能对本单位（或其前身单位）的记录提出异议",
            ));
        }
        let next = transition(rec.state, action, role)?;
        let seq = self.tx.journal.next_seq();
        // A send-back keeps its reason on the record until the next transition.
        let sent_back = (action == Action::SendBack).then(|| reason.to_string());
        c.exec(
            "UPDATE records SET state = $1, last_seq = $2, sent_back_reason = $4 WHERE id = $3",
            &[
                Val::from(next.code()),
                Val::Int(seq),
                Val::Int(id),
                Val::from(sent_back.clone()),
            ],
        )?;
        // The digest of the row as it now stands, read back by name.
        let written = c
            .query_one(&record_select("WHERE id = $1"), &[Val::Int(id)])?
            .ok_or_else(|| StoreError::Internal(format!("记录 {id} 写入后不存在")))?;
        let appended = self.tx.journal.append(Entry {
            actor: Actor::parse(actor),
            action: audit::Action::Record(action),
            entity: Entity::Record,
            entity_id: id.to_string(),
            detail: serde_json::json!({ "reason": reason, "role": role.label() }).to_string(),
            state_digest: record_row_state_digest(&written)?,
        });
        debug_assert_eq!(appended, seq);
        rec.state = next;
        rec.last_seq = seq;
        rec.sent_back = sent_back;
        Ok(rec)
    }
}

/// The catalog, on one unit of work.
pub struct Categories<'t, 's> {
    tx: &'t mut Tx<'s>,
}

impl Categories<'_, '_> {
    /// Adds or changes a category after checking that its numbers are coherent. Saving what is
    /// already there changes nothing and journals nothing.
    pub fn save(&mut self, cat: &Category, actor: &str) -> StoreResult<()> {
        cat.validate()
            .map_err(|e: DomainError| StoreError::Domain(e))?;
        let body = serde_json::to_string(cat).map_err(|e| StoreError::Internal(e.to_string()))?;
        let now = self.tx.at().to_string();
        let c = &mut self.tx.conn;
        let old = c
            .query_one(
                "SELECT body FROM categories WHERE code = $1",
                &[Val::from(cat.code.as_str())],
            )?
            .map(|r| r.text("body").map(|b| b.map(str::to_string)))
            .transpose()?
            .flatten();
        if old.as_deref() == Some(body.as_str()) {
            return Ok(());
        }
        let params = [
            Val::from(cat.code.as_str()),
            Val::from(body.as_str()),
            Val::from(now.as_str()),
        ];
        if old.is_some() {
            c.exec(
                "UPDATE categories SET body = $2, updated_at = $3 WHERE code = $1",
                &params,
            )?;
        } else {
            c.exec(
                "INSERT INTO categories (code, body, updated_at) VALUES ($1, $2, $3)",
                &params,
            )?;
        }
        self.tx.journal.append(Entry {
            actor: Actor::parse(actor),
            action: if old.is_some() {
                audit::Action::Update
            } else {
                audit::Action::Create
            },
            entity: Entity::Category,
            entity_id: cat.code.clone(),
            detail: "{}".into(),
            state_digest: state_digest(&[Val::from(cat.code.as_str()), Val::from(body.as_str())]),
        });
        Ok(())
    }
}
