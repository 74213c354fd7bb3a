//! The search index, derived from the database: every record passes the disclosure policy for the
//! public before it is indexed, already masked, so that nothing the public may not see can come
//! back from a search. `rebuild` starts from nothing; `catch_up` applies the change feed since the
//! position the index recorded at its last commit.

use std::collections::HashMap;

use chrono::NaiveDate;
use probity_domain::catalog::Catalog;
use probity_domain::disclosure::{Viewer, disclose};
use probity_domain::subject::SubjectKind;
use probity_search::{RecordDoc, SearchError, SearchIndex, SubjectDoc};
use probity_store::{Store, StoreError, StoredRecord, Subject};

#[derive(Debug, thiserror::Error)]
pub enum ReindexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// What a rebuild or catch-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReindexReport {
    /// Units put in the index (civil servants are found through their records only).
    pub subjects: usize,
    /// Records disclosed to the public and put in the index.
    pub records: usize,
    /// Records taken out or left out: not public, not (or no longer) disclosed.
    pub withheld: usize,
    /// The change the index has reached.
    pub seq: i64,
}

/// Commit every this many records during a rebuild, so that memory stays flat.
const COMMIT_EVERY: usize = 200_000;

/// Everything disclosure needs to know besides the record.
struct Context {
    catalog: Catalog,
    subjects: HashMap<i64, Subject>,
}

impl Context {
    fn load(store: &Store) -> Result<Context, ReindexError> {
        Ok(Context {
            catalog: store.catalog()?,
            subjects: store.subjects()?.into_iter().map(|s| (s.id, s)).collect(),
        })
    }

    /// The record as the public may see it, or `None`.
    fn public_doc(&self, r: &StoredRecord, today: NaiveDate) -> Option<RecordDoc> {
        let subject = self.subjects.get(&r.subject_id)?;
        let category = self.catalog.get(&r.category)?;
        let facts = crate::public::record_facts(r, &self.catalog)?;
        let decided_on = facts.decided_on;
        let unit = subject
            .unit_id
            .and_then(|u| self.subjects.get(&u))
            .map(|u| u.name.as_str());
        let who = crate::public::subject_facts(subject, unit);
        // Indexed if it is disclosed now or will be: the index keeps the window and every search
        // applies it on its own day, so a record is found from its decision date to its end.
        let on = today.max(decided_on);
        let shown = disclose(&facts, &who, Viewer::Public, on).ok()?;
        Some(RecordDoc {
            id: r.id,
            subject_id: subject.id,
            subject_name: shown.subject_name,
            subject_kind: subject.kind.code().to_string(),
            uscc: shown.uscc,
            category: r.category.clone(),
            category_name: category.name.clone(),
            kind: r.kind.code().to_string(),
            severity: r.severity.map(|s| s.code().to_string()),
            document_no: shown.document_no,
            authority: shown.authority,
            facts: shown.facts,
            outcome: shown.outcome,
            decided_on,
            disclosed_until: shown.disclosed_until,
            objected: shown.objected,
        })
    }
}

fn subject_doc(s: &Subject) -> Option<SubjectDoc> {
    (s.kind != SubjectKind::CivilServant).then(|| SubjectDoc {
        id: s.id,
        name: s.name.clone(),
        short_name: s.short_name.clone(),
        kind: s.kind.code().to_string(),
        uscc: s.uscc.clone(),
    })
}

/// Empties the index and builds it again from the database. `progress` hears the records done.
pub fn rebuild(
    store: &Store,
    index: &SearchIndex,
    today: NaiveDate,
    progress: &dyn Fn(usize),
) -> Result<ReindexReport, ReindexError> {
    let head = store.head_seq()?;
    let ctx = Context::load(store)?;
    index.clear()?;
    let mut report = ReindexReport {
        seq: head,
        ..Default::default()
    };
    for s in ctx.subjects.values().filter_map(subject_doc) {
        index.put_subject(&s)?;
        report.subjects += 1;
    }
    let mut failed: Option<ReindexError> = None;
    let mut done = 0usize;
    store
        .export_since(0, |row| {
            done += 1;
            match ctx.public_doc(&row.record, today) {
                Some(doc) => {
                    if let Err(e) = index.put_record(&doc) {
                        failed = Some(e.into());
                        return Err(StoreError::Internal("搜索索引写入失败".into()));
                    }
                    report.records += 1;
                }
                None => report.withheld += 1,
            }
            if done.is_multiple_of(COMMIT_EVERY) {
                // Not yet at `head`: a crash here leaves the position at 0, and the next start rebuilds.
                if let Err(e) = index.commit(0) {
                    failed = Some(e.into());
                    return Err(StoreError::Internal("搜索索引提交失败".into()));
                }
                progress(done);
            }
            Ok(())
        })
        .map_err(|e| failed.take().unwrap_or(e.into()))?;
    index.commit(head)?;
    index.optimize()?;
    progress(done);
    Ok(report)
}

/// Applies the changes since the index's position: changed records are put in again or taken
/// out, changed units put in again. Returns what it did; `seq` is the new position.
pub fn catch_up(
    store: &Store,
    index: &SearchIndex,
    today: NaiveDate,
) -> Result<ReindexReport, ReindexError> {
    let since = index.indexed_seq()?;
    let head = store.head_seq()?;
    let mut report = ReindexReport {
        seq: head,
        ..Default::default()
    };
    if head <= since {
        report.seq = since;
        return Ok(report);
    }
    let ctx = Context::load(store)?;
    for id in store.subjects_changed_since(since)? {
        if let Some(doc) = ctx.subjects.get(&id).and_then(subject_doc) {
            index.put_subject(&doc)?;
            report.subjects += 1;
        }
    }
    let mut failed: Option<ReindexError> = None;
    store
        .export_since(since, |row| {
            let r = match ctx.public_doc(&row.record, today) {
                Some(doc) => index.put_record(&doc).map(|_| report.records += 1),
                None => index
                    .remove_record(row.record.id)
                    .map(|_| report.withheld += 1),
            };
            r.map_err(|e| {
                failed = Some(e.into());
                StoreError::Internal("搜索索引写入失败".into())
            })
        })
        .map_err(|e| failed.take().unwrap_or(e.into()))?;
    index.commit(head)?;
    // A first catch-up is a whole build: leave one segment behind, as `rebuild` does.
    if since == 0 && report.records > 10_000 {
        index.optimize()?;
    }
    Ok(report)
}
