//! Credit records: batched import with dedup and provenance, lifecycle transitions, the archive of
//! one subject, and the change-feed export.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

use probity_domain::audit::{self, Actor, Entity};
use probity_domain::catalog::{Catalog, RecordKind, Scope, Severity};
use probity_domain::ident::Uscc;
use probity_domain::record::{Action, FieldError, NewRecord, RecordState, Role, transition};
use probity_domain::subject::{SubjectKey, SubjectKind};
use probity_domain::{Code, DomainError};

use crate::Store;
use crate::db::{Conn, Row, RowRef, Val, placeholders};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry, RECORD_COLS, digest_of, record_state_digest};
use crate::subjects::Subject;

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
}

/// A date column (`YYYY-MM-DD`): a value that is not one is an error, never hidden.
pub(crate) fn stored_date(r: &Row, col: &str) -> StoreResult<NaiveDate> {
    let t = r.need_text(col)?;
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map_err(|_| StoreError::Internal(format!("records.{col} 不是有效日期：{t}")))
}

/// A time column (RFC 3339 UTC).
pub(crate) fn stored_time(r: &Row, col: &str) -> StoreResult<DateTime<Utc>> {
    let t = r.need_text(col)?;
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Internal(format!("records.{col} 不是有效时间：{t}")))
}

pub(crate) fn record_select(filter: &str) -> String {
    format!(
        "SELECT {}, last_seen, seen_count, last_seq FROM records {filter}",
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
            decided_on: stored_date(r, "decided_on")?,
            authority: text("authority")?,
            facts: text("facts")?,
            basis: r.text("basis")?.map(str::to_string),
            outcome: text("outcome")?,
            severity,
            scope: Scope::parse(r.need_text("scope")?).map_err(|_| bad("scope"))?,
            disclosure_until: stored_date(r, "disclosure_until")?,
            state: RecordState::parse(r.need_text("state")?).map_err(|_| bad("state"))?,
            channel: text("channel")?,
            source: text("source")?,
            source_row: r.int("source_row")?,
            submitted_by: text("submitted_by")?,
            first_seen: stored_time(r, "first_seen")?,
            last_seen: stored_time(r, "last_seen")?,
            seen_count: r.int("seen_count")?.unwrap_or(1),
            last_seq: r.int("last_seq")?.unwrap_or(0),
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
    result: Result<Candidate, Outcome>,
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

struct Candidate {
    rec: NewRecord,
    subject_id: i64,
    digest: Vec<u8>,
}

fn reject(column: &'static str, code: Code, message: String) -> Outcome {
    Outcome::Rejected(vec![FieldError {
        column,
        error: DomainError::new(code, message),
    }])
}

impl Store {
    pub fn start_import(&self, opts: ImportOptions) -> StoreResult<RecordImport<'_>> {
        if !opts.provider.kind.is_unit() {
            return Err(StoreError::domain(
                Code::ProviderNotFound,
                "报送单位必须是单位，不能是个人",
            ));
        }
        let catalog = self.catalog()?;
        let conn = self.conn()?;
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
    fn new(conn: Option<Conn>, keys: crate::Keys, catalog: Catalog, provider: Subject) -> Preparer {
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
        // A file full of unknown codes must not grow the cache without bound.
        if self.subjects.len() > 200_000 {
            self.subjects.clear();
        }
        let mut usccs: Vec<String> = Vec::new();
        let mut hashes: Vec<Vec<u8>> = Vec::new();
        for (_, r) in batch {
            let k = key_bytes(&self.keys, &r.subject_key);
            if self.subjects.contains_key(&k) {
                continue;
            }
            self.subjects.insert(k.clone(), None);
            match &r.subject_key {
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
        let hit = self
            .subjects
            .get(&key_bytes(&self.keys, &r.subject_key))
            .cloned()
            .flatten();
        let (column, shown) = match &r.subject_key {
            SubjectKey::Uscc(u) => ("uscc", u.as_str().to_string()),
            SubjectKey::IdNumber(n) => ("id_number", n.masked()),
        };
        // A code that fails its check digit is accepted only for a subject the credit office
        // registered with the override.
        if let SubjectKey::Uscc(u) = &r.subject_key
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
        let named = hit.name == r.subject_name
            || hit.short_name.as_deref() == Some(r.subject_name.as_str());
        // An ID number under another name answers exactly as one that is not on the roster:
        // otherwise the answer tells a guessed number from a wrong one, and shows the name.
        // USCCs and the names of organisations are public: their mismatch may say what it is.
        if !named && matches!(r.subject_key, SubjectKey::IdNumber(_)) {
            return Err(not_found());
        }
        if !named {
            return Err(reject(
                "subject_name",
                Code::SubjectNameMismatch,
                format!(
                    "主体名称“{}”与名录中 {shown} 的名称“{}”不符",
                    r.subject_name, hit.name
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

    fn prepare_with(
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
        if let Err(o) = self.check_category(&r) {
            return (Err(o), None);
        }
        let hit = self.subject_for(&r);
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
            Ok(Candidate {
                rec: r,
                subject_id: hit.id,
                digest,
            })
        });
        (result, lookup)
    }

    fn check_category(&self, r: &NewRecord) -> Result<(), Outcome> {
        let provider = &self.provider;
        let Some(cat) = self.catalog.get(&r.category) else {
            return Err(reject(
                "category",
                Code::UnknownCategory,
                format!("未知的记录类别：{}", r.category),
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
fn guard_id_lookups(
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
fn limited(errs: &[FieldError]) -> Option<StoreError> {
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

impl Drop for RecordImport<'_> {
    fn drop(&mut self) {
        if self.in_tx {
            self.roll_back();
        }
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
            "SELECT {}, r.last_seen, r.seen_count, r.last_seq, s.uscc AS subject_uscc, \
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

/// Which records a list shows. Every field narrows the list; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub provider_id: Option<i64>,
    pub subject_ids: Option<Vec<i64>>,
    pub state: Option<RecordState>,
    pub category: Option<String>,
    pub document_no: Option<String>,
    /// Only what a subject sees in its own file ([`RecordState::in_subject_file`]: no drafts,
    /// nothing still under review). Filtered in the database, so that a page of an assessed
    /// unit's file is full and its cursor never names a record the unit may not see.
    pub in_subject_file: bool,
}

/// The order a record list is read in. Every order is total (ties broken by id), so a cursor
/// names one place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordOrder {
    /// Newest first, by id: the default.
    #[default]
    Newest,
    /// Oldest first, by id: the review queue, first come first served.
    Oldest,
    /// Latest decision date (决定日期) first, newest first within a day.
    Decided,
}

impl RecordOrder {
    pub const ALL: [RecordOrder; 3] = [
        RecordOrder::Newest,
        RecordOrder::Oldest,
        RecordOrder::Decided,
    ];

    /// The stable code used in query strings (`sort=`).
    pub fn code(self) -> &'static str {
        match self {
            RecordOrder::Newest => "id_desc",
            RecordOrder::Oldest => "id_asc",
            RecordOrder::Decided => "decided_desc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RecordOrder::Newest => "编号（新→旧）",
            RecordOrder::Oldest => "编号（旧→新）",
            RecordOrder::Decided => "决定日期（新→旧）",
        }
    }

    pub fn parse(code: &str) -> Option<RecordOrder> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    fn sql(self) -> &'static str {
        match self {
            RecordOrder::Newest => "ORDER BY id DESC",
            RecordOrder::Oldest => "ORDER BY id ASC",
            RecordOrder::Decided => "ORDER BY decided_on DESC, id DESC",
        }
    }
}

/// Where the next page of a list starts: just past the last record of the previous page, in the
/// list's order. Written into links as `id` or, for [`RecordOrder::Decided`], `date_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub order: RecordOrder,
    pub id: i64,
    /// The decision date of the last record, for [`RecordOrder::Decided`] only.
    pub decided_on: Option<String>,
}

impl Cursor {
    /// The cursor just past a record with this id and decision date.
    pub fn past(order: RecordOrder, id: i64, decided_on: &str) -> Cursor {
        Cursor {
            order,
            id,
            decided_on: (order == RecordOrder::Decided).then(|| decided_on.to_string()),
        }
    }

    /// Reads a cursor written by [`Cursor::encode`] for the same order; `None` if it is not one.
    pub fn parse(order: RecordOrder, text: &str) -> Option<Cursor> {
        let id_of = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        match order {
            RecordOrder::Newest | RecordOrder::Oldest => Some(Cursor {
                order,
                id: id_of(text)?,
                decided_on: None,
            }),
            RecordOrder::Decided => {
                let (date, id) = text.split_once('_')?;
                let date = probity_domain::date::parse_date(date).ok()?;
                Some(Cursor {
                    order,
                    id: id_of(id)?,
                    decided_on: Some(probity_domain::date::format_date(date)),
                })
            }
        }
    }

    pub fn encode(&self) -> String {
        match &self.decided_on {
            Some(d) => format!("{d}_{}", self.id),
            None => self.id.to_string(),
        }
    }
}

/// What a list shows of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: String,
    pub provider_id: i64,
    pub category: String,
    pub kind: RecordKind,
    pub document_no: String,
    pub decided_on: NaiveDate,
    pub severity: Option<Severity>,
    pub scope: Scope,
    pub disclosure_until: NaiveDate,
    pub state: RecordState,
    pub last_seq: i64,
}

/// A record as a list reads it, lent by [`Store::visit_summaries`]: its texts borrow from the
/// database driver, so a page can be written out without copying them.
#[derive(Debug)]
pub struct SummaryRef<'a> {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: Cow<'a, str>,
    pub provider_id: i64,
    pub category: Cow<'a, str>,
    pub kind: RecordKind,
    pub document_no: Cow<'a, str>,
    pub decided_on: NaiveDate,
    pub severity: Option<Severity>,
    pub scope: Scope,
    pub disclosure_until: NaiveDate,
    pub state: RecordState,
    pub last_seq: i64,
}

/// The columns `SummaryRef::read` expects, in order.
const SUMMARY_COLS: &str = "id, subject_id, subject_name, provider_id, category, kind, document_no, \
    decided_on, severity, scope, disclosure_until, state, last_seq";

impl<'a> SummaryRef<'a> {
    fn read(r: &'a RowRef<'_>) -> StoreResult<SummaryRef<'a>> {
        let bad = |f: &str| StoreError::Internal(format!("records.{f}"));
        let int = |f: &str| r.int(f)?.ok_or_else(|| bad(f));
        let text = |f: &str| r.text(f)?.ok_or_else(|| bad(f));
        let date = |f: &str| {
            let t = text(f)?;
            NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                .map_err(|_| StoreError::Internal(format!("records.{f} 不是有效日期：{t}")))
        };
        Ok(SummaryRef {
            id: int("id")?,
            subject_id: int("subject_id")?,
            subject_name: text("subject_name")?,
            provider_id: int("provider_id")?,
            category: text("category")?,
            kind: RecordKind::parse(&text("kind")?).map_err(|_| bad("kind"))?,
            document_no: text("document_no")?,
            decided_on: date("decided_on")?,
            severity: match r.text("severity")? {
                Some(s) => Some(Severity::parse(&s).map_err(|_| bad("severity"))?),
                None => None,
            },
            scope: Scope::parse(&text("scope")?).map_err(|_| bad("scope"))?,
            disclosure_until: date("disclosure_until")?,
            state: RecordState::parse(&text("state")?).map_err(|_| bad("state"))?,
            last_seq: r.int("last_seq")?.unwrap_or(0),
        })
    }

    pub fn to_owned(&self) -> RecordSummary {
        RecordSummary {
            id: self.id,
            subject_id: self.subject_id,
            subject_name: self.subject_name.to_string(),
            provider_id: self.provider_id,
            category: self.category.to_string(),
            kind: self.kind,
            document_no: self.document_no.to_string(),
            decided_on: self.decided_on,
            severity: self.severity,
            scope: self.scope,
            disclosure_until: self.disclosure_until,
            state: self.state,
            last_seq: self.last_seq,
        }
    }
}

/// The WHERE clause and parameters of a list; `None` when the filter can match nothing.
fn list_filter(f: &RecordFilter, at: Option<&Cursor>) -> Option<(String, Vec<Val>)> {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Val> = Vec::new();
    let mut push = |cond: &str, v: Val, params: &mut Vec<Val>| {
        params.push(v);
        conds.push(cond.replace('?', &format!("${}", params.len())));
    };
    if let Some(p) = f.provider_id {
        push("provider_id = ?", Val::Int(p), &mut params);
    }
    if let Some(s) = f.state {
        push("state = ?", Val::from(s.code()), &mut params);
    }
    if let Some(c) = &f.category {
        push("category = ?", Val::from(c.as_str()), &mut params);
    }
    if let Some(d) = &f.document_no {
        push("document_no = ?", Val::from(d.as_str()), &mut params);
    }
    if let Some(c) = at {
        match (c.order, &c.decided_on) {
            (RecordOrder::Oldest, _) => push("id > ?", Val::Int(c.id), &mut params),
            (RecordOrder::Decided, Some(d)) => {
                // `$D` is the date, `?` the id: two parameters in one condition.
                params.push(Val::from(d.as_str()));
                let date = format!("${}", params.len());
                push(
                    &"(decided_on < $D OR (decided_on = $D AND id < ?))".replace("$D", &date),
                    Val::Int(c.id),
                    &mut params,
                );
            }
            _ => push("id < ?", Val::Int(c.id), &mut params),
        }
    }
    // Fixed codes of the domain, not input: written into the statement.
    if f.in_subject_file {
        let shown: Vec<String> = RecordState::ALL
            .into_iter()
            .filter(|s| s.in_subject_file())
            .map(|s| format!("'{}'", s.code()))
            .collect();
        conds.push(format!("state IN ({})", shown.join(", ")));
    }
    if let Some(ids) = &f.subject_ids {
        if ids.is_empty() {
            return None;
        }
        let first = params.len() + 1;
        params.extend(ids.iter().map(|i| Val::Int(*i)));
        conds.push(format!(
            "subject_id IN ({})",
            placeholders(first, ids.len())
        ));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    Some((filter, params))
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

    /// A page of records in `order`, starting just past `at` (the previous page's cursor).
    pub fn list_records(
        &self,
        f: &RecordFilter,
        order: RecordOrder,
        at: Option<&Cursor>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>> {
        let Some((filter, params)) = list_filter(f, at) else {
            return Ok(Vec::new());
        };
        let sql = record_select(&format!(
            "{filter} {} LIMIT {}",
            order.sql(),
            limit.clamp(1, 500)
        ));
        let mut c = self.conn()?;
        c.query(&sql, &params)?
            .iter()
            .map(StoredRecord::from_row)
            .collect()
    }

    /// The same page as `list_records`, with only what a list shows: no long texts to read,
    /// copy and send.
    pub fn list_summaries(
        &self,
        f: &RecordFilter,
        order: RecordOrder,
        at: Option<&Cursor>,
        limit: u32,
    ) -> StoreResult<Vec<RecordSummary>> {
        let mut out = Vec::with_capacity(limit.clamp(1, 500) as usize);
        self.visit_summaries(f, order, at, limit, |r| {
            out.push(r.to_owned());
            Ok(())
        })?;
        Ok(out)
    }

    /// The page `list_summaries` reads, lent one record at a time to `visit`.
    pub fn visit_summaries(
        &self,
        f: &RecordFilter,
        order: RecordOrder,
        at: Option<&Cursor>,
        limit: u32,
        mut visit: impl FnMut(&SummaryRef<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let Some((filter, params)) = list_filter(f, at) else {
            return Ok(());
        };
        let sql = format!(
            "SELECT {SUMMARY_COLS} FROM records {filter} {} LIMIT {}",
            order.sql(),
            limit.clamp(1, 500)
        );
        let mut c = self.conn()?;
        c.for_each_ref(&sql, &params, |r| visit(&SummaryRef::read(r)?))
    }

    /// How many records match, counting no further than `cap` (a dashboard shows "cap+" rather
    /// than wait for a count over a million rows).
    pub fn count_records(&self, f: &RecordFilter, cap: u32) -> StoreResult<u64> {
        let Some((filter, params)) = list_filter(f, None) else {
            return Ok(0);
        };
        let mut c = self.conn()?;
        let n = c.query_int(
            &format!("SELECT COUNT(*) FROM (SELECT 1 FROM records {filter} LIMIT {cap}) AS capped"),
            &params,
        )?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
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
