//! The search index, derived from the database: every record passes the disclosure policy for the
//! public before it is indexed, already masked (the roster's civil servants' names and every
//! ID-number-like run), so that nothing the public may not see can be found, come back from a
//! search or be highlighted in a snippet. `rebuild` starts from nothing; `catch_up` applies the
//! change feed since the position the index recorded at its last commit.
//!
//! A change elsewhere can change what the public may see of a record that did not change itself,
//! and `catch_up` re-evaluates those records too:
//! - a catalog change (entity `category` in the journal): the records of that category, so that
//!   a severity whose disclosure stops (maximum 0 months, 不公示) leaves the search, and one that
//!   starts is added;
//! - a roster change (entity `subject`): the records of the changed subjects (their name is on
//!   them), and every record whose texts name a changed civil servant: a civil servant added to
//!   the roster may already be named in records indexed before, unmasked then.
//!
//! Finding those takes one pass over the records (a read and a multi-pattern match of the changed
//! names, no re-index of the rest); roster and catalog changes are rare, and a pass reads far less
//! than a rebuild writes.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use probity_domain::catalog::Catalog;
use probity_domain::disclosure::{NameMasker, Viewer, disclose};
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
    /// A roster or catalog change made the catch-up look at every record (see the module).
    pub swept: bool,
}

/// Commit every this many records during a rebuild, so that memory stays flat.
const COMMIT_EVERY: usize = 200_000;

/// Everything disclosure needs to know besides the record.
struct Context {
    catalog: Catalog,
    subjects: HashMap<i64, Subject>,
    /// Every civil servant on the roster.
    names: NameMasker,
}

impl Context {
    fn load(store: &Store) -> Result<Context, ReindexError> {
        let subjects: HashMap<i64, Subject> =
            store.subjects()?.into_iter().map(|s| (s.id, s)).collect();
        Ok(Context {
            catalog: store.catalog()?,
            names: crate::public::masker_of(subjects.values()),
            subjects,
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
        let shown = disclose(&facts, &who, Viewer::Public, on, &self.names).ok()?;
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

/// Whether any of the record's texts names one of `names`.
fn names_any(names: &NameMasker, r: &StoredRecord) -> bool {
    [
        Some(r.document_no.as_str()),
        Some(r.authority.as_str()),
        Some(r.facts.as_str()),
        r.basis.as_deref(),
        Some(r.outcome.as_str()),
    ]
    .into_iter()
    .flatten()
    .any(|t| names.finds_any(t))
}

/// Applies the changes since the index's position: changed records are put in again or taken
/// out, changed units put in again, and the records a roster or catalog change concerns are
/// evaluated again (see the module). Returns what it did; `seq` is the new position.
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
    // Read after `head`: whatever these reads see past it, the next catch-up sees again.
    let changed_subjects: HashSet<i64> = store.subjects_changed_since(since)?.into_iter().collect();
    let changed_categories: HashSet<String> =
        store.categories_changed_since(since)?.into_iter().collect();
    let ctx = Context::load(store)?;
    for id in &changed_subjects {
        if let Some(doc) = ctx.subjects.get(id).and_then(subject_doc) {
            index.put_subject(&doc)?;
            report.subjects += 1;
        }
    }
    // The changed civil servants' names: new on the roster, or renamed.
    let changed_names = NameMasker::new(
        changed_subjects
            .iter()
            .filter_map(|id| ctx.subjects.get(id))
            .filter(|s| s.kind == SubjectKind::CivilServant)
            .map(|s| s.name.as_str()),
    );
    report.swept = since > 0 && !(changed_subjects.is_empty() && changed_categories.is_empty());
    let concerned = |r: &StoredRecord| {
        r.last_seq > since
            || changed_categories.contains(&r.category)
            || changed_subjects.contains(&r.subject_id)
            || names_any(&changed_names, r)
    };
    let mut failed: Option<ReindexError> = None;
    store
        .export_since(if report.swept { 0 } else { since }, |row| {
            if !concerned(&row.record) {
                return Ok(());
            }
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

/// Catches the index up with the change feed as of today by the app's clock.
pub fn catch_up_today(
    app: &crate::App,
    index: &probity_search::SearchIndex,
) -> Result<ReindexReport, ReindexError> {
    catch_up(app.store(), index, app.today())
}

/// The thread that keeps the search index up with the change feed: at start it indexes what the
/// database holds (all of it, for an index in memory or new), then every `every` what changed.
pub struct Indexer(crate::periodic::Periodic);

impl Indexer {
    pub fn start(
        app: crate::App,
        index: std::sync::Arc<probity_search::SearchIndex>,
        every: std::time::Duration,
    ) -> Indexer {
        Indexer(crate::periodic::Periodic::start(
            "search-indexer",
            every,
            move || match catch_up_today(&app, &index) {
                Ok(r) if r.records + r.withheld + r.subjects > 0 => tracing::info!(
                    records = r.records,
                    withheld = r.withheld,
                    subjects = r.subjects,
                    seq = r.seq,
                    "search index caught up"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "search index catch-up failed"),
            },
        ))
    }

    /// Stops the thread after its current round.
    pub fn stop(self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use probity_domain::catalog::DisclosureBounds;
    use probity_domain::ident::IdNumber;
    use probity_domain::record::RecordRow;
    use probity_domain::subject::RosterRow;
    use probity_search::{Hit, SearchQuery};
    use probity_store::{Channel, Created, ImportOptions, Keys};

    fn demo_store(dir: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let store = Store::open(&url, Keys::from_master(&[7u8; 32])).unwrap();
        crate::demo::load_demo(&store, crate::today()).unwrap();
        store
    }

    /// A record about 区财政局 from the court, activated, with these facts.
    fn court_record(store: &Store, doc: &str, facts: &str) -> i64 {
        let today = crate::today();
        let unit = store.find_unit("区财政局").unwrap();
        let row = RecordRow {
            subject_name: unit.name.clone(),
            uscc: unit.uscc.clone().unwrap(),
            category: "JUDICIAL_JUDGMENT".into(),
            document_no: doc.into(),
            decided_on: (today - chrono::Duration::days(10))
                .format("%Y-%m-%d")
                .to_string(),
            authority: "天津市滨海新区人民法院".into(),
            facts: facts.into(),
            outcome: "责令履行".into(),
            severity: "ordinary".into(),
            ..Default::default()
        };
        let rec = row.validate(&store.catalog().unwrap(), today).unwrap();
        let opts = ImportOptions {
            provider: store.find_unit("区法院").unwrap(),
            actor: "区法院:test".into(),
            channel: Channel::Form,
            source: "test".into(),
            activate: true,
            all_or_nothing: false,
        };
        match store.create_record(opts, rec, false).unwrap() {
            Created::New(r) => r.id,
            other => panic!("{other:?}"),
        }
    }

    fn search(index: &SearchIndex, q: &str) -> Vec<Hit> {
        let q = SearchQuery {
            text: q.into(),
            limit: 50,
            ..Default::default()
        };
        index.search(&q, crate::today()).unwrap().hits
    }

    fn found(index: &SearchIndex, q: &str, id: i64) -> bool {
        search(index, q)
            .iter()
            .any(|h| matches!(h, Hit::Record { id: i, .. } if *i == id))
    }

    /// Finding 5: setting a severity's maximum to 0 months (不公示) takes the category's records
    /// of that severity out of the index on the next catch-up; setting it back puts them in.
    #[test]
    fn a_catalog_change_takes_records_out_of_the_index_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = demo_store(&dir);
        let doc = "津滨法〔2025〕民初9101号";
        let id = court_record(&store, doc, "拒不履行生效判决确定的付款义务。");
        let index = SearchIndex::in_memory().unwrap();
        rebuild(&store, &index, crate::today(), &|_| {}).unwrap();
        assert!(found(&index, doc, id));
        let quiet = catch_up(&store, &index, crate::today()).unwrap();
        assert!(!quiet.swept && quiet.records == 0, "{quiet:?}");

        let mut cat = store
            .catalog()
            .unwrap()
            .get("JUDICIAL_JUDGMENT")
            .unwrap()
            .clone();
        let before = cat.clone();
        cat.disclosure[1] = DisclosureBounds {
            min_months: 0,
            max_months: 0,
        };
        store.save_category(&cat, "信用办:test").unwrap();
        let r = catch_up(&store, &index, crate::today()).unwrap();
        assert!(r.swept && r.withheld > 0, "{r:?}");
        assert!(!found(&index, doc, id), "still found after 不公示");

        store.save_category(&before, "信用办:test").unwrap();
        let r = catch_up(&store, &index, crate::today()).unwrap();
        assert!(r.swept && r.records > 0, "{r:?}");
        assert!(found(&index, doc, id), "back once disclosed again");
    }

    /// Finding 4, in the index: a roster civil servant named in a unit's record, and his ID
    /// number in any form, are neither stored, found nor highlighted; a civil servant added to
    /// the roster later is masked in the records already indexed on the next catch-up.
    #[test]
    fn the_index_holds_only_masked_text_and_follows_the_roster() {
        let dir = tempfile::tempdir().unwrap();
        let store = demo_store(&dir);
        let servant = store
            .subjects()
            .unwrap()
            .into_iter()
            .find(|s| s.kind == SubjectKind::CivilServant && s.name.chars().count() == 3)
            .unwrap()
            .name;
        let birth = NaiveDate::from_ymd_opt(1982, 3, 20).unwrap();
        let id18 = IdNumber::from_parts("120116", birth, 27).unwrap();
        let n = id18.as_str();
        let newcomer = "苗静怡";
        let doc = "津滨法〔2025〕民初9102号";
        let facts = format!(
            "经办人{servant}（身份证号ID{} {} {}）与{newcomer}未按合同约定支付采购款。",
            &n[..6],
            &n[6..14],
            &n[14..]
        );
        let id = court_record(&store, doc, &facts);
        let index = SearchIndex::in_memory().unwrap();
        rebuild(&store, &index, crate::today(), &|_| {}).unwrap();
        let hits = format!("{:?}", search(&index, doc));
        assert!(found(&index, doc, id));
        assert!(!hits.contains(&servant), "{hits}");
        assert!(!hits.contains(&n[6..14]), "{hits}");
        assert!(
            !found(&index, &servant, id),
            "found by the civil servant's name"
        );
        let by_words = format!("{:?}", search(&index, "采购款"));
        assert!(!by_words.contains(&servant), "{by_words}");
        // Not a civil servant yet: shown and found as written.
        assert!(hits.contains(newcomer));

        let row = RosterRow {
            name: newcomer.into(),
            kind: "公务员".into(),
            id_number: IdNumber::from_parts("120116", birth, 555)
                .unwrap()
                .as_str()
                .to_string(),
            unit: "区财政局".into(),
            position: "科员".into(),
            ..Default::default()
        };
        store
            .import_roster(vec![(2, row.validate(false).unwrap())], "test")
            .unwrap();
        let r = catch_up(&store, &index, crate::today()).unwrap();
        assert!(r.swept && r.records >= 1, "{r:?}");
        let hits = format!("{:?}", search(&index, doc));
        assert!(found(&index, doc, id));
        assert!(!hits.contains(newcomer) && hits.contains("苗*"), "{hits}");
        assert!(!found(&index, newcomer, id));
    }
}
