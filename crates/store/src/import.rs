//! The record import: validated rows become records in batches, each batch one transaction with
//! its journal entries; the part that needs no write lock (finding subjects on the roster,
//! checking the provider's right, hashing the content) runs ahead on another thread (`Preparer`).
//! Dedup by (provider, document number) and content digest; failed lookups by ID number limited.

use std::collections::HashMap;

use probity_domain::audit::{self, Actor, Entity};
use probity_domain::catalog::Catalog;
use probity_domain::ident::Uscc;
use probity_domain::record::{Action, FieldError, NewRecord, RecordState};
use probity_domain::subject::{SubjectKey, SubjectKind};
use probity_domain::{Code, DomainError};

use crate::Store;
use crate::db::{Conn, Val, placeholders};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry, RECORD_COLS, digest_of, record_state_digest};
use crate::records::Channel;
use crate::subjects::Subject;

/// The digest of what a provider said about a record, to tell a re-sent row from a changed one.
fn content_digest(subject_id: i64, r: &NewRecord) -> Vec<u8> {
    // The same values, in the same order, as `journal::RECORD_CONTENT` picks from a stored row.
    let vals = [
        Val::Int(subject_id),
        Val::from(r.category.as_str()),
        Val::from(r.document_no.as_str()),
        Val::from(r.decided_on.to_string()),
        Val::from(r.authority.as_str()),
        Val::from(r.facts.as_str()),
        Val::from(r.basis.clone()),
        Val::from(r.outcome.as_str()),
        Val::from(r.severity.map(|s| s.code())),
        Val::from(r.scope.code()),
        Val::from(r.disclosure_until.to_string()),
    ];
    digest_of(vals.iter()).to_vec()
}

/// How one imported row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted {
        id: i64,
    },
    /// The same record (same provider, document number and content) is already there.
    Duplicate {
        id: i64,
    },
    Rejected(Vec<FieldError>),
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub provider: Subject,
    /// The account or process that runs the import, for the audit trail.
    pub actor: String,
    pub channel: Channel,
    /// File name, API endpoint or package id.
    pub source: String,
    /// The credit office activates the records in the same step.
    pub activate: bool,
    /// One transaction for everything, rolled back by `finish(false)`.
    pub all_or_nothing: bool,
}

#[derive(Debug, Clone)]
struct SubjectHit {
    id: i64,
    kind: SubjectKind,
    name: String,
    short_name: Option<String>,
    uscc_override: bool,
}

/// An import in progress: feed it batches of validated rows, then finish it.
pub struct RecordImport<'s> {
    store: &'s Store,
    conn: Conn,
    opts: ImportOptions,
    in_tx: bool,
    /// An all-or-nothing import whose transaction was lost: nothing more may be written.
    failed: bool,
    prep: Preparer,
    /// Records start as drafts (a form saved, not yet submitted).
    draft: bool,
    /// Rows written since PostgreSQL last analysed `records` in this import.
    since_analyze: u64,
    analyzed_at: u64,
    /// Failed ID lookups journaled in the open transaction, written again if it is rolled back.
    lookups: Vec<Entry>,
    /// What this import's batches wrote (committed, or in its open transaction), oldest first,
    /// while a batch prepared before them may still come: see [`RecordImport::existing`].
    recent: Vec<Written>,
    /// What the batch being written wrote, until its transaction commits.
    pending: Option<Written>,
}

/// The part of an import that needs no write lock: resolving subjects on the roster, checking
/// the provider's right to the category, hashing the content. It can run on another thread, on
/// its own connection, while the import writes (`RecordImport::preparer`).
pub struct Preparer {
    conn: Option<Conn>,
    keys: crate::Keys,
    catalog: Catalog,
    provider: Subject,
    subjects: HashMap<Vec<u8>, Option<SubjectHit>>,
    allowed: HashMap<String, bool>,
}

/// A row after preparation: a candidate record, or the reason it cannot be one.
pub struct Prepared {
    row: usize,
    pub(crate) result: Result<Candidate, Outcome>,
    /// A row that names its subject by ID number: what the roster answered, for the limit on
    /// failed lookups that the writing side enforces (see [`ID_LOOKUP_FAILURES_PER_HOUR`]).
    id_lookup: Option<IdLookup>,
    /// What the preparer found of the row's document number, as of a journal position; the
    /// writing side brings it up to date instead of asking again (see [`RecordImport::existing`]).
    known: Option<Known>,
}

/// The provider's record with a document number, as of a position of the journal.
#[derive(Debug, Clone)]
struct Known {
    /// The journal's head when the records were read: every change up to it is in `record`.
    head: i64,
    /// The record's id and content digest, if the provider has one with this number.
    record: Option<(i64, Vec<u8>)>,
}

/// The document numbers one batch of an import wrote, with the journal entries it appended.
struct Written {
    first_seq: i64,
    last_seq: i64,
    documents: HashMap<String, (i64, Vec<u8>)>,
}

/// One lookup of a civil servant by ID number.
struct IdLookup {
    /// The keyed hash of the ID number, as `subjects.id_hash` holds it.
    hash: Vec<u8>,
    /// The roster holds this ID number under the name the row gave.
    found: bool,
}

/// How many lookups by ID number may fail for one account within an hour. A failed lookup (an
/// ID number not on the roster, or on it under another name) is journaled by the keyed hash of
/// the number; once an account has this many distinct failures in the last hour, every further
/// row it sends keyed by an ID number is refused with `LOOKUP_LIMITED`, found or not, so that
/// guessing the hidden digits of a masked number (`1201**********0273`) does not pay. A provider's
/// file with a few typos loads; a file of guesses stops at the limit. Rows keyed by USCC (public
/// codes of organisations) are not limited.
pub const ID_LOOKUP_FAILURES_PER_HOUR: usize = 20;

// Failed lookups are journaled as `Entity::IdLookup` with the account (actor) as `entity_id`, so
// that the journal's entity index counts one account's failures.

pub(crate) struct Candidate {
    pub(crate) rec: NewRecord,
    pub(crate) subject_id: i64,
    pub(crate) digest: Vec<u8>,
}

fn reject(column: &'static str, code: Code, message: String) -> Outcome {
    Outcome::Rejected(vec![FieldError {
        column,
        error: DomainError::new(code, message),
    }])
}

impl Store {
    /// The roster and catalog checks a record meets when it is written, for a form whose other
    /// fields are still wrong, so that a form shows every problem at once rather than in rounds:
    /// the provider's right to `category` and, for a unit named by USCC, that it is on the roster
    /// under `subject_name`. A civil servant is never looked up here: a lookup by ID number is
    /// counted against the guessing limit, and only when the record is written.
    pub fn precheck(
        &self,
        provider: &Subject,
        category: Option<&str>,
        uscc: Option<&Uscc>,
        subject_name: &str,
    ) -> StoreResult<Vec<FieldError>> {
        let mut prep = Preparer::new(None, self.keys.clone(), self.catalog()?, provider.clone());
        let mut errs = Vec::new();
        if let Some(Err(Outcome::Rejected(e))) = category.map(|c| prep.check_category(c)) {
            errs.extend(e);
        }
        if let Some(u) = uscc {
            let key = SubjectKey::Uscc(u.clone());
            let mut conn = self.conn()?;
            prep.resolve_keys(&mut conn, std::iter::once(&key))?;
            if let Err(Outcome::Rejected(e)) = prep.subject_named(&key, subject_name.trim()) {
                errs.extend(e);
            }
        }
        Ok(errs)
    }

    pub fn start_import(&self, opts: ImportOptions) -> StoreResult<RecordImport<'_>> {
        if !opts.provider.kind.is_unit() {
            return Err(StoreError::domain(
                Code::ProviderNotFound,
                "报送单位必须是单位，不能是个人",
            ));
        }
        let catalog = self.catalog()?;
        let mut conn = self.conn()?;
        // Checkpoint every ~200 MB of WAL rather than 4 MB while importing: a page written again
        // and again between checkpoints (an index page under an import) is copied back once.
        // Large imports spent a quarter of their time in checkpoints at 4 MB; 40 MB to 200 MB
        // took a 1M-record import from 16.0 s to 14.7 s. Only this connection's commits: a
        // server's other writers keep short checkpoints, and the setting is put back on drop.
        if conn.dialect() == crate::Dialect::Sqlite {
            conn.batch(&format!("PRAGMA wal_autocheckpoint = {IMPORT_WAL_PAGES}"))?;
        }
        let prep = Preparer::new(None, self.keys.clone(), catalog, opts.provider.clone());
        Ok(RecordImport {
            store: self,
            conn,
            opts,
            in_tx: false,
            failed: false,
            prep,
            draft: false,
            since_analyze: 0,
            analyzed_at: 0,
            lookups: Vec::new(),
            recent: Vec::new(),
            pending: None,
        })
    }
}

fn key_bytes(keys: &crate::Keys, key: &SubjectKey) -> Vec<u8> {
    match key {
        SubjectKey::Uscc(u) => {
            let mut v = b"U".to_vec();
            v.extend_from_slice(u.as_str().as_bytes());
            v
        }
        SubjectKey::IdNumber(n) => {
            let mut v = b"I".to_vec();
            v.extend(keys.lookup_hash(n.as_str()));
            v
        }
    }
}

impl Preparer {
    pub(crate) fn new(
        conn: Option<Conn>,
        keys: crate::Keys,
        catalog: Catalog,
        provider: Subject,
    ) -> Preparer {
        // Which categories this provider may submit, decided once for the whole import.
        let allowed = catalog
            .categories()
            .iter()
            .map(|c| {
                (
                    c.code.clone(),
                    c.providers
                        .allows(&provider.name, provider.short_name.as_deref()),
                )
            })
            .collect();
        Preparer {
            conn,
            keys,
            catalog,
            provider,
            subjects: HashMap::new(),
            allowed,
        }
    }

    /// Resolves the subjects of a batch that are not cached yet, in as few queries as possible.
    fn resolve_subjects(
        &mut self,
        conn: &mut Conn,
        batch: &[(usize, NewRecord)],
    ) -> StoreResult<()> {
        self.resolve_keys(conn, batch.iter().map(|(_, r)| &r.subject_key))
    }

    fn resolve_keys<'k>(
        &mut self,
        conn: &mut Conn,
        keys: impl Iterator<Item = &'k SubjectKey>,
    ) -> StoreResult<()> {
        // A file full of unknown codes must not grow the cache without bound.
        if self.subjects.len() > 200_000 {
            self.subjects.clear();
        }
        let mut usccs: Vec<String> = Vec::new();
        let mut hashes: Vec<Vec<u8>> = Vec::new();
        for key in keys {
            let k = key_bytes(&self.keys, key);
            if self.subjects.contains_key(&k) {
                continue;
            }
            self.subjects.insert(k.clone(), None);
            match key {
                SubjectKey::Uscc(u) => usccs.push(u.as_str().to_string()),
                SubjectKey::IdNumber(_) => hashes.push(k[1..].to_vec()),
            }
        }
        let cols = "id, kind, name, short_name, uscc_override, uscc, id_hash";
        let mut found = Vec::new();
        for chunk in usccs.chunks(500) {
            let sql = format!(
                "SELECT {cols} FROM subjects WHERE uscc IN ({})",
                placeholders(1, chunk.len())
            );
            let params: Vec<Val> = chunk.iter().map(|s| Val::from(s.as_str())).collect();
            found.extend(conn.query(&sql, &params)?);
        }
        for chunk in hashes.chunks(500) {
            let sql = format!(
                "SELECT {cols} FROM subjects WHERE id_hash IN ({})",
                placeholders(1, chunk.len())
            );
            let params: Vec<Val> = chunk.iter().map(|h| Val::Blob(h.clone())).collect();
            found.extend(conn.query(&sql, &params)?);
        }
        for r in found {
            let hit = SubjectHit {
                id: r.need_int("id")?,
                kind: SubjectKind::parse(r.need_text("kind")?)
                    .map_err(|_| StoreError::Internal("subjects.kind".into()))?,
                name: r.need_text("name")?.to_string(),
                short_name: r.text("short_name")?.map(str::to_string),
                uscc_override: r.int("uscc_override")?.unwrap_or(0) != 0,
            };
            let key = match (r.text("uscc")?, r.blob("id_hash")?) {
                (Some(u), _) => [b"U".as_slice(), u.as_bytes()].concat(),
                (None, Some(h)) => [b"I".as_slice(), h].concat(),
                _ => continue,
            };
            self.subjects.insert(key, Some(hit));
        }
        Ok(())
    }

    /// Checks the subject of one row against the roster.
    fn subject_for(&self, r: &NewRecord) -> Result<SubjectHit, Outcome> {
        self.subject_named(&r.subject_key, &r.subject_name)
    }

    /// Checks a subject key and the name given with it against the roster.
    fn subject_named(&self, key: &SubjectKey, subject_name: &str) -> Result<SubjectHit, Outcome> {
        let hit = self
            .subjects
            .get(&key_bytes(&self.keys, key))
            .cloned()
            .flatten();
        let (column, shown) = match key {
            SubjectKey::Uscc(u) => ("uscc", u.as_str().to_string()),
            SubjectKey::IdNumber(n) => ("id_number", n.masked()),
        };
        // A code that fails its check digit is accepted only for a subject the credit office
        // registered with the override.
        if let SubjectKey::Uscc(u) = key
            && u.check_overridden()
            && !hit.as_ref().is_some_and(|h| h.uscc_override)
        {
            let err = Uscc::parse(u.as_str()).err().unwrap_or_else(|| {
                DomainError::new(
                    Code::UsccCheckDigit,
                    format!("统一社会信用代码 {} 校验位错误", u.as_str()),
                )
            });
            return Err(Outcome::Rejected(vec![FieldError { column, error: err }]));
        }
        let not_found = || {
            reject(
                column,
                Code::SubjectNotFound,
                format!("主体不存在：{shown}（请先在主体名录中登记）"),
            )
        };
        let Some(hit) = hit else {
            return Err(not_found());
        };
        let named = hit.name == subject_name || hit.short_name.as_deref() == Some(subject_name);
        // An ID number under another name answers exactly as one that is not on the roster:
        // otherwise the answer tells a guessed number from a wrong one, and shows the name.
        // USCCs and the names of organisations are public: their mismatch may say what it is.
        if !named && matches!(key, SubjectKey::IdNumber(_)) {
            return Err(not_found());
        }
        if !named {
            return Err(reject(
                "subject_name",
                Code::SubjectNameMismatch,
                format!(
                    "主体名称“{subject_name}”与名录中 {shown} 的名称“{}”不符",
                    hit.name
                ),
            ));
        }
        Ok(hit)
    }

    /// Prepares a batch on the preparer's own connection.
    pub fn prepare(&mut self, batch: Vec<(usize, NewRecord)>) -> StoreResult<Vec<Prepared>> {
        let mut conn = self
            .conn
            .take()
            .ok_or_else(|| StoreError::Internal("preparer without a connection".into()))?;
        let out = self.prepare_with(&mut conn, batch).and_then(|mut out| {
            self.look_up_documents(&mut conn, &mut out)?;
            Ok(out)
        });
        self.conn = Some(conn);
        out
    }

    pub(crate) fn prepare_with(
        &mut self,
        conn: &mut Conn,
        batch: Vec<(usize, NewRecord)>,
    ) -> StoreResult<Vec<Prepared>> {
        self.resolve_subjects(conn, &batch)?;
        let mut out = Vec::with_capacity(batch.len());
        for (row, r) in batch {
            let (result, id_lookup) = self.check(r);
            out.push(Prepared {
                row,
                result,
                id_lookup,
                known: None,
            });
        }
        Ok(out)
    }

    /// Reads the provider's records with the batch's document numbers, and the journal's head,
    /// in one read-only snapshot of the preparer's own connection: the dedup lookup, done here
    /// while the writing side writes the previous batch, rather than under the write lock.
    fn look_up_documents(&self, conn: &mut Conn, batch: &mut [Prepared]) -> StoreResult<()> {
        let docs: Vec<&str> = batch
            .iter()
            .filter_map(|p| p.result.as_ref().ok().map(|c| c.rec.document_no.as_str()))
            .collect();
        if docs.is_empty() {
            return Ok(());
        }
        conn.batch(match conn.dialect() {
            crate::Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            crate::Dialect::Sqlite => "BEGIN",
        })?;
        let read = journal_head(conn).and_then(|head| {
            existing_documents(conn, self.provider.id, &docs).map(|found| (head, found))
        });
        let (head, mut found) = match read {
            Ok(r) => {
                conn.commit()?;
                r
            }
            Err(e) => {
                conn.rollback();
                return Err(e);
            }
        };
        for p in batch.iter_mut() {
            if let Ok(c) = &p.result {
                p.known = Some(Known {
                    head,
                    record: found.remove(&c.rec.document_no),
                });
            }
        }
        Ok(())
    }

    /// Checks one row: the category first, then the subject on the roster, so that a row
    /// refused for its category has asked the roster nothing.
    fn check(&self, r: NewRecord) -> (Result<Candidate, Outcome>, Option<IdLookup>) {
        // Every fault of the row at once: the provider's right to the category and the subject
        // on the roster are both checked, whichever fails.
        let category = self.check_category(&r.category);
        let hit = match (category, self.subject_for(&r)) {
            (Ok(()), hit) => hit,
            (Err(Outcome::Rejected(mut a)), Err(Outcome::Rejected(b))) => {
                a.extend(b);
                Err(Outcome::Rejected(a))
            }
            (Err(o), _) => Err(o),
        };
        let lookup = match &r.subject_key {
            SubjectKey::IdNumber(_) => Some(IdLookup {
                hash: key_bytes(&self.keys, &r.subject_key)[1..].to_vec(),
                found: hit.is_ok(),
            }),
            SubjectKey::Uscc(_) => None,
        };
        let result = hit.and_then(|hit| {
            if hit.kind == SubjectKind::CivilServant && matches!(r.subject_key, SubjectKey::Uscc(_))
                || hit.kind.is_unit() && matches!(r.subject_key, SubjectKey::IdNumber(_))
            {
                return Err(reject(
                    "uscc",
                    Code::SubjectIdentifierConflict,
                    "主体类型与标识不符".into(),
                ));
            }
            let digest = content_digest(hit.id, &r);
            // The record carries the roster's name, however the row named it (its short name
            // is accepted): a file never shows "新北街道" beside the full name. The name is not
            // part of the content digest, so a re-sent row is still the same record.
            let mut r = r;
            r.subject_name = hit.name;
            Ok(Candidate {
                rec: r,
                subject_id: hit.id,
                digest,
            })
        });
        (result, lookup)
    }

    fn check_category(&self, category: &str) -> Result<(), Outcome> {
        let provider = &self.provider;
        let Some(cat) = self.catalog.get(category) else {
            return Err(reject(
                "category",
                Code::UnknownCategory,
                format!("未知的记录类别：{category}"),
            ));
        };
        if !self.allowed.get(&cat.code).copied().unwrap_or(false) {
            return Err(reject(
                "category",
                Code::ProviderNotAllowed,
                format!(
                    "{} 无权报送“{}”类记录（允许报送的单位：{}）",
                    provider.short_name.as_deref().unwrap_or(&provider.name),
                    cat.name,
                    cat.providers.describe()
                ),
            ));
        }
        Ok(())
    }
}

/// Enforces [`ID_LOOKUP_FAILURES_PER_HOUR`] on a batch inside its write transaction (writers are
/// serialised, so the count cannot be raced): rows past the limit are refused, and each new
/// failure is appended to `journal`. Returns the entries appended, so that they can be written
/// again should the transaction be rolled back (an all-or-nothing import that fails must not
/// erase the trace of its guesses).
pub(crate) fn guard_id_lookups(
    c: &mut Conn,
    journal: &mut Appender,
    actor: &str,
    batch: &mut [Prepared],
) -> StoreResult<Vec<Entry>> {
    if batch.iter().all(|p| p.id_lookup.is_none()) {
        return Ok(Vec::new());
    }
    // An hour before this write, by the time its journal entries carry.
    let now = chrono::DateTime::parse_from_rfc3339(journal.at())
        .map_err(|e| StoreError::Internal(format!("journal time: {e}")))?
        .with_timezone(&chrono::Utc);
    let since = crate::time_text(now - chrono::Duration::hours(1));
    let rows = c.query(
        "SELECT detail FROM journal WHERE entity = $1 AND entity_id = $2 AND at > $3",
        &[
            Val::from(Entity::IdLookup.code()),
            Val::from(actor),
            Val::from(since),
        ],
    )?;
    let mut failed: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|r| {
            let detail: serde_json::Value = serde_json::from_str(r.text("detail").ok()??).ok()?;
            detail["id_hash"].as_str().map(str::to_string)
        })
        .collect();
    // The operator at the machine's command line (`cli:…`) holds the database and its key: a
    // limit would protect nothing from it and only stop a large file. Its failures are still
    // journaled.
    let held_back = !matches!(Actor::parse(actor), Actor::Operator(_));
    let mut appended = Vec::new();
    let mut refused = 0usize;
    for p in batch.iter_mut() {
        let Some(lookup) = &p.id_lookup else {
            continue;
        };
        if held_back && failed.len() >= ID_LOOKUP_FAILURES_PER_HOUR {
            refused += 1;
            p.result = Err(reject(
                "id_number",
                Code::LookupLimited,
                format!(
                    "本账号一小时内按身份证号查找主体失败已达 {ID_LOOKUP_FAILURES_PER_HOUR} 次，\
                     暂停受理按身份证号填报的记录；请核对主体名录与身份证号，一小时后再试"
                ),
            ));
            continue;
        }
        let hash = hex::encode(&lookup.hash);
        // The same wrong number sent again (a typo repeated down a file) counts once.
        if !lookup.found && failed.insert(hash.clone()) {
            let detail = serde_json::json!({ "id_hash": hash, "actor": actor }).to_string();
            let entry = Entry {
                actor: Actor::parse(actor),
                action: audit::Action::LookupFailed,
                entity: Entity::IdLookup,
                entity_id: actor.to_string(),
                state_digest: digest_of([Val::from(detail.as_str())].iter()),
                detail,
            };
            journal.append(entry.clone());
            appended.push(entry);
        }
    }
    if refused > 0 {
        tracing::warn!(
            actor,
            refused,
            "rows keyed by ID number refused: too many failed lookups"
        );
    }
    Ok(appended)
}

/// The sequence number of the journal's last entry (0 for an empty journal).
fn journal_head(conn: &mut Conn) -> StoreResult<i64> {
    Ok(conn
        .query_int("SELECT MAX(seq) FROM journal", &[])?
        .unwrap_or(0))
}

/// The records of `provider` among `docs`, by document number: their id and content digest.
/// Call inside a transaction.
fn existing_documents(
    conn: &mut Conn,
    provider: i64,
    docs: &[&str],
) -> StoreResult<HashMap<String, (i64, Vec<u8>)>> {
    let mut found = Vec::new();
    if conn.dialect() == crate::Dialect::Postgres {
        // One array parameter: one cheap plan, where a 500-item IN list is planned anew each
        // time. The plan is made for each call (custom), since `records` grows under the import
        // faster than statistics follow and a generic plan made while it was small would scan it
        // whole. Only for this query: set for the whole connection, the foreign-key checks that
        // PostgreSQL runs for every inserted row were planned anew for each row as well, which
        // more than doubled the time of the insert.
        conn.batch("SET LOCAL plan_cache_mode = force_custom_plan")?;
        found = conn.query(
            "SELECT id, document_no, content_digest FROM records WHERE provider_id = $1 AND document_no = ANY($2)",
            &[
                Val::Int(provider),
                Val::TextList(docs.iter().map(|d| d.to_string()).collect()),
            ],
        )?;
        conn.batch("SET LOCAL plan_cache_mode TO DEFAULT")?;
    } else {
        for chunk in docs.chunks(500) {
            let sql = format!(
                "SELECT id, document_no, content_digest FROM records WHERE provider_id = $1 AND document_no IN ({})",
                placeholders(2, chunk.len())
            );
            let mut params = vec![Val::Int(provider)];
            params.extend(chunk.iter().map(|d| Val::from(*d)));
            found.extend(conn.query(&sql, &params)?);
        }
    }
    let mut existing = HashMap::with_capacity(found.len());
    for r in found {
        if let (Some(id), Some(doc), Some(d)) = (
            r.int("id")?,
            r.text("document_no")?,
            r.blob("content_digest")?,
        ) {
            existing.insert(doc.to_string(), (id, d.to_vec()));
        }
    }
    Ok(existing)
}

/// Writes entries again in a transaction of their own, after the one they were in was rolled back.
fn rewrite_entries(conn: &mut Conn, at: String, entries: Vec<Entry>) {
    if entries.is_empty() {
        return;
    }
    let result = conn.write(|c| {
        let mut journal = Appender::open(c, at)?;
        for e in entries {
            journal.append(e);
        }
        journal.flush(c)
    });
    if let Err(e) = result {
        tracing::error!(error = %e, "failed ID lookups could not be journaled");
    }
}

/// A store rejection for one record whose only fault is the lookup limit: an error of its own
/// (HTTP 429), not a fault of the content.
pub(crate) fn limited(errs: &[FieldError]) -> Option<StoreError> {
    match errs {
        [e] if e.error.code == Code::LookupLimited => Some(StoreError::Domain(e.error.clone())),
        _ => None,
    }
}

impl RecordImport<'_> {
    /// Records of this import start as drafts, to be submitted later.
    pub fn drafts(mut self) -> Self {
        self.draft = true;
        self
    }

    /// A preparer on its own connection, for a thread that prepares while this import writes.
    pub fn preparer(&self) -> StoreResult<Preparer> {
        Ok(Preparer::new(
            Some(self.store.conn()?),
            self.prep.keys.clone(),
            self.prep.catalog.clone(),
            self.prep.provider.clone(),
        ))
    }

    /// Writes one batch: every row either becomes a record, is recognised as a duplicate, or is
    /// rejected with its reason. In the default mode the batch is one transaction.
    pub fn push(&mut self, batch: Vec<(usize, NewRecord)>) -> StoreResult<Vec<(usize, Outcome)>> {
        let prepared = self.prep.prepare_with(&mut self.conn, batch)?;
        self.push_prepared(prepared)
    }

    /// Writes a batch prepared by a `Preparer` (see `preparer`).
    pub fn push_prepared(&mut self, batch: Vec<Prepared>) -> StoreResult<Vec<(usize, Outcome)>> {
        if self.failed {
            return Err(StoreError::Internal(
                "本次导入已因错误撤销，不能继续写入".into(),
            ));
        }
        if !self.in_tx {
            self.conn.begin_write()?;
            self.in_tx = true;
        }
        match self.push_inner(batch) {
            Ok(out) => {
                let written = self.pending.take();
                if !self.opts.all_or_nothing {
                    self.in_tx = false;
                    let t = std::time::Instant::now();
                    self.conn.commit()?;
                    self.lookups.clear();
                    tracing::debug!(commit = ?t.elapsed(), "import batch committed");
                }
                self.recent.extend(written);
                Ok(out)
            }
            Err(e) => {
                self.in_tx = false;
                self.failed = self.opts.all_or_nothing;
                self.roll_back();
                Err(e)
            }
        }
    }

    /// Rolls the open transaction back, keeping the trace of the failed ID lookups it held.
    fn roll_back(&mut self) {
        self.conn.rollback();
        // What the transaction held was never written: its sequence numbers go to others.
        self.pending = None;
        if self.opts.all_or_nothing {
            self.recent.clear();
        }
        rewrite_entries(
            &mut self.conn,
            self.store.now_text(),
            std::mem::take(&mut self.lookups),
        );
    }

    fn push_inner(&mut self, mut batch: Vec<Prepared>) -> StoreResult<Vec<(usize, Outcome)>> {
        let t0 = std::time::Instant::now();
        // PostgreSQL plans the dedup lookup from statistics that a fresh, fast-growing table does
        // not have yet; analyse whenever the import has doubled what was there at the last look.
        // Only the two columns the lookup filters on, from a small sample: that is all the plan
        // needs (one provider may hold most rows; document numbers are distinct), where a full
        // ANALYZE, sampling and sorting the long texts too, took a second each time.
        if self.conn.dialect() == crate::Dialect::Postgres
            && self.since_analyze > self.analyzed_at.max(20_000)
        {
            self.conn.batch(
                "SET LOCAL default_statistics_target = 10; \
                 ANALYZE records (provider_id, document_no); \
                 SET LOCAL default_statistics_target TO DEFAULT",
            )?;
            self.analyzed_at += self.since_analyze;
            self.since_analyze = 0;
        }
        self.since_analyze += batch.len() as u64;
        let now = self.store.now_text();
        let provider = self.opts.provider.clone();

        let mut journal = Appender::open(&mut self.conn, now.clone())?;
        let first_seq = journal.next_seq();
        let existing = self.existing(&batch, first_seq - 1)?;
        let t_dedup = t0.elapsed();

        let lookups = guard_id_lookups(&mut self.conn, &mut journal, &self.opts.actor, &mut batch)?;
        self.lookups.extend(lookups);
        // The ids of the records this batch creates, from the database's sequence: one for each
        // document number that is new to the provider and to the batch.
        let fresh = {
            let mut docs = std::collections::HashSet::new();
            batch
                .iter()
                .filter_map(|p| p.result.as_ref().ok())
                .filter(|c| !existing.contains_key(&c.rec.document_no))
                .filter(|c| docs.insert(c.rec.document_no.as_str()))
                .count() as i64
        };
        let mut next_id = if fresh > 0 {
            self.conn.next_ids("records", fresh)?
        } else {
            0
        };
        let t_head = t0.elapsed();
        let state = if self.draft {
            RecordState::Draft
        } else if self.opts.activate {
            RecordState::Active
        } else {
            RecordState::Submitted
        };
        // Who the journal says acted: the providing unit and the account, or the credit office
        // activating on import.
        let as_provider = Actor::Unit {
            unit: provider
                .short_name
                .as_deref()
                .unwrap_or(&provider.name)
                .to_string(),
            name: self.opts.actor.clone(),
        };
        let (action, actor) = if self.draft {
            (audit::Action::CreateDraft, as_provider)
        } else if self.opts.activate {
            (
                audit::Action::Record(Action::Activate),
                Actor::credit_office(&self.opts.actor),
            )
        } else {
            (audit::Action::Record(Action::Submit), as_provider)
        };

        let mut out = Vec::with_capacity(batch.len());
        let mut seen_again: HashMap<i64, i64> = HashMap::new();
        // The records this batch creates, by document number, for the rows after them.
        let mut written: HashMap<String, (i64, Vec<u8>)> = HashMap::new();
        let (channel, source, submitted_by) = (
            self.opts.channel.code(),
            self.opts.source.as_str(),
            self.opts.actor.as_str(),
        );
        let mut batch = batch.into_iter();
        // The rows of the new records, each built (and journaled) as the database takes it: on
        // PostgreSQL the server writes the rows already sent while the next ones are hashed.
        let rows = std::iter::from_fn(|| {
            for Prepared {
                row: row_no,
                result,
                ..
            } in batch.by_ref()
            {
                let Candidate {
                    rec: r,
                    subject_id,
                    digest,
                } = match result {
                    Ok(c) => c,
                    Err(o) => {
                        out.push((row_no, o));
                        continue;
                    }
                };
                let known = existing
                    .get(&r.document_no)
                    .or_else(|| written.get(&r.document_no));
                if let Some((id, d)) = known {
                    if *d == digest {
                        *seen_again.entry(*id).or_default() += 1;
                        out.push((row_no, Outcome::Duplicate { id: *id }));
                    } else {
                        out.push((
                            row_no,
                            reject(
                                "document_no",
                                Code::DuplicateConflict,
                                format!(
                                    "决定文书号 {} 已由本单位报送且内容不同；如需更正，请使用更正功能",
                                    r.document_no
                                ),
                            ),
                        ));
                    }
                    continue;
                }
                let id = next_id;
                next_id += 1;
                // The row in `RECORD_COLS` order, built by moving the validated strings.
                let doc = r.document_no.clone();
                let mut vals = vec![
                    Val::Int(id),
                    Val::Int(subject_id),
                    Val::Int(provider.id),
                    Val::Text(r.category),
                    Val::from(r.kind.code()),
                    Val::Text(r.document_no),
                    Val::Text(r.subject_name),
                    Val::Text(r.decided_on.to_string()),
                    Val::Text(r.authority),
                    Val::Text(r.facts),
                    Val::from(r.basis),
                    Val::Text(r.outcome),
                    Val::from(r.severity.map(|s| s.code())),
                    Val::from(r.scope.code()),
                    Val::Text(r.disclosure_until.to_string()),
                    Val::from(state.code()),
                    Val::Blob(digest.clone()),
                    Val::from(channel),
                    Val::from(source),
                    Val::from(i64::try_from(row_no).ok()),
                    Val::from(submitted_by),
                    Val::from(now.as_str()),
                ];
                debug_assert_eq!(vals.len(), RECORD_COLS.len());
                let seq = journal.append(Entry {
                    actor: actor.clone(),
                    action,
                    entity: Entity::Record,
                    entity_id: id.to_string(),
                    detail: format!(r#"{{"row":{row_no}}}"#),
                    state_digest: record_state_digest(&vals),
                });
                vals.extend([Val::from(now.as_str()), Val::Int(1), Val::Int(seq)]);
                written.insert(doc, (id, digest));
                out.push((row_no, Outcome::Accepted { id }));
                return Some(vals);
            }
            None
        });
        let mut cols: Vec<&str> = RECORD_COLS.to_vec();
        cols.extend(["last_seen", "seen_count", "last_seq"]);
        self.conn.insert_rows("records", &cols, rows)?;
        let t_records = t0.elapsed();
        let last_seq = journal.next_seq() - 1;
        journal.flush(&mut self.conn)?;
        let t_journal = t0.elapsed();
        if last_seq >= first_seq {
            self.pending = Some(Written {
                first_seq,
                last_seq,
                documents: written,
            });
        }
        // Rows seen again: bump last_seen and the count, grouped by how often each came back.
        let mut by_count: HashMap<i64, Vec<i64>> = HashMap::new();
        for (id, n) in seen_again {
            by_count.entry(n).or_default().push(id);
        }
        for (n, ids) in by_count {
            for chunk in ids.chunks(500) {
                let sql = format!(
                    "UPDATE records SET last_seen = $1, seen_count = seen_count + $2 WHERE id IN ({})",
                    placeholders(3, chunk.len())
                );
                let mut params = vec![Val::from(now.clone()), Val::Int(n)];
                params.extend(chunk.iter().map(|id| Val::Int(*id)));
                self.conn.exec(&sql, &params)?;
            }
        }
        // Cumulative times into the batch, for `PROBITY_LOG=probity_store=debug`.
        tracing::debug!(
            ?t_dedup,
            ?t_head,
            ?t_records,
            ?t_journal,
            t_seen = ?t0.elapsed(),
            "import batch"
        );
        Ok(out)
    }

    /// The provider's records with the batch's document numbers, as they are now, under the
    /// write lock: by id and content digest. The preparer read them at an earlier position of the
    /// journal (`Known::head`); when every entry appended since is one of this import's own
    /// (its earlier batches, which it remembers), those bring the preparer's answer up to date
    /// and nothing is asked again. When anyone else wrote in between (a form, another import, a
    /// correction: every change to a record is journaled), or the batch was prepared without a
    /// snapshot, they are read again.
    fn existing(
        &mut self,
        batch: &[Prepared],
        head: i64,
    ) -> StoreResult<HashMap<String, (i64, Vec<u8>)>> {
        let mut since = i64::MAX;
        let mut snapshot = true;
        for p in batch.iter().filter(|p| p.result.is_ok()) {
            match &p.known {
                Some(k) => since = since.min(k.head),
                None => snapshot = false,
            }
        }
        let mut existing = HashMap::new();
        if since == i64::MAX && snapshot {
            // Nothing in the batch can become a record.
            return Ok(existing);
        }
        if snapshot {
            // Batches prepared later read the journal at `since` or later.
            self.recent.retain(|w| w.last_seq > since);
            if self.only_own_since(since, head) {
                for p in batch {
                    if let (Ok(c), Some(k)) = (&p.result, &p.known) {
                        let doc = &c.rec.document_no;
                        let newer = self.recent.iter().rev().find_map(|w| w.documents.get(doc));
                        if let Some(r) = newer.or(k.record.as_ref()) {
                            existing.insert(doc.clone(), r.clone());
                        }
                    }
                }
                return Ok(existing);
            }
        }
        let docs: Vec<&str> = batch
            .iter()
            .filter_map(|p| p.result.as_ref().ok().map(|c| c.rec.document_no.as_str()))
            .collect();
        existing_documents(&mut self.conn, self.opts.provider.id, &docs)
    }

    /// Whether the journal entries after `since` up to `head` are exactly those of this
    /// import's remembered batches.
    fn only_own_since(&self, since: i64, head: i64) -> bool {
        let mut at = since;
        for w in self.recent.iter().filter(|w| w.last_seq > since) {
            if w.first_seq != at + 1 {
                return false;
            }
            at = w.last_seq;
        }
        at == head
    }

    /// Ends the import: in all-or-nothing mode commits when `commit` is true and rolls back
    /// otherwise; in batch mode every batch is already committed.
    pub fn finish(mut self, commit: bool) -> StoreResult<()> {
        if self.failed && commit {
            return Err(StoreError::Internal(
                "本次导入已因错误撤销，没有写入任何数据".into(),
            ));
        }
        if self.in_tx {
            self.in_tx = false;
            if commit {
                self.conn.commit()?;
                self.lookups.clear();
            } else {
                self.roll_back();
            }
        }
        Ok(())
    }
}

/// The WAL pages between checkpoints during a record import.
const IMPORT_WAL_PAGES: i64 = 50_000;

impl Drop for RecordImport<'_> {
    fn drop(&mut self) {
        if self.in_tx {
            self.roll_back();
        }
        if self.conn.dialect() == crate::Dialect::Sqlite {
            let _ = self.conn.batch(&format!(
                "PRAGMA wal_autocheckpoint = {}",
                crate::db::WAL_PAGES
            ));
        }
    }
}
