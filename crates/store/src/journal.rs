//! The journal: one table that is both the audit chain and the change feed. Every mutation appends
//! one entry in the same transaction: who, when, what, the SM3 digest of the row's new state, and
//! the SM3 hash of the previous entry. Its sequence numbers are gap-free because writers are
//! serialised and numbers are taken inside the transaction.

use std::collections::HashMap;

use probity_domain::audit::{Action, Actor, Entity};

use crate::crypto::sm3;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, StoreResult};

pub const GENESIS: [u8; 32] = [0u8; 32];

/// Columns whose values make up a subject's audited state.
pub const SUBJECT_COLS: &[&str] = &[
    "id",
    "kind",
    "name",
    "short_name",
    "uscc",
    "uscc_override",
    "id_hash",
    "id_cipher",
    "id_masked",
    "parent_id",
    "unit_id",
    "position",
    "successor_id",
    "created_at",
    "updated_at",
];

/// Columns whose values make up a record's audited state. `last_seen`, `seen_count` and
/// `last_seq` are bookkeeping that re-imports touch; they are not part of the state.
pub const RECORD_COLS: &[&str] = &[
    "id",
    "subject_id",
    "provider_id",
    "category",
    "kind",
    "document_no",
    "subject_name",
    "decided_on",
    "authority",
    "facts",
    "basis",
    "outcome",
    "severity",
    "scope",
    "disclosure_until",
    "state",
    "content_digest",
    "channel",
    "source",
    "source_row",
    "submitted_by",
    "first_seen",
];

pub const CATEGORY_COLS: &[&str] = &["code", "body"];

/// A table whose rows are audited: every row must match the state digest of the last journal
/// entry about it (entity `entity`, entity id = the first column), and every audited row must
/// still exist. Later capabilities add their tables here.
pub struct Audited {
    pub entity: Entity,
    pub table: &'static str,
    /// The audited columns, in the order their digest is taken.
    pub cols: &'static [&'static str],
    /// The column the journal names the row by.
    pub key: &'static str,
    /// Whether that key is a number (ids) or text (category codes, report numbers).
    pub numeric: bool,
    /// The row in Chinese, for `audit verify`'s message.
    pub label: &'static str,
}

pub const AUDITED: &[Audited] = &[
    Audited {
        entity: Entity::Subject,
        table: "subjects",
        cols: SUBJECT_COLS,
        key: "id",
        numeric: true,
        label: "主体",
    },
    Audited {
        entity: Entity::Record,
        table: "records",
        cols: RECORD_COLS,
        key: "id",
        numeric: true,
        label: "记录",
    },
    Audited {
        entity: Entity::Category,
        table: "categories",
        cols: CATEGORY_COLS,
        key: "code",
        numeric: false,
        label: "目录项",
    },
    Audited {
        entity: Entity::Account,
        table: "accounts",
        cols: crate::accounts::ACCOUNT_AUDITED,
        key: "id",
        numeric: true,
        label: "账号",
    },
    Audited {
        entity: Entity::ApiToken,
        table: "api_tokens",
        cols: crate::accounts::TOKEN_AUDITED,
        key: "id",
        numeric: true,
        label: "接口令牌",
    },
    // Journaled by report number.
    Audited {
        entity: Entity::Report,
        table: "reports",
        cols: crate::reports::REPORT_COLS,
        key: "report_no",
        numeric: false,
        label: "信用报告",
    },
    Audited {
        entity: Entity::CalendarYear,
        table: "calendar_years",
        cols: crate::calendar::CALENDAR_COLS,
        key: "year",
        numeric: true,
        label: "工作日历",
    },
    // Journaled by name.
    Audited {
        entity: Entity::Setting,
        table: "settings",
        cols: crate::settings::SETTING_COLS,
        key: "name",
        numeric: false,
        label: "平台设置",
    },
    Audited {
        entity: Entity::Case,
        table: "cases",
        cols: crate::cases::CASE_COLS,
        key: "id",
        numeric: true,
        label: "案件",
    },
    Audited {
        entity: Entity::Commitment,
        table: "commitments",
        cols: crate::commitments::COMMITMENT_COLS,
        key: "id",
        numeric: true,
        label: "承诺",
    },
    Audited {
        entity: Entity::CommitmentEntry,
        table: "commitment_entries",
        cols: crate::commitments::ENTRY_COLS,
        key: "id",
        numeric: true,
        label: "履约记录",
    },
];

/// The digest of a row's state: its values in column order, each tagged and length-prefixed.
pub fn state_digest(values: &[Val]) -> [u8; 32] {
    digest_of(values.iter())
}

/// The state digest of row `id` of `table` over `cols`, read back inside the transaction that
/// wrote it: what the journal entry of that write carries.
pub(crate) fn row_digest(
    c: &mut Conn,
    cols: &[&str],
    table: &str,
    id: i64,
) -> StoreResult<[u8; 32]> {
    let r: Row = c
        .query_one(
            &format!("SELECT {} FROM {table} WHERE id = $1", cols.join(", ")),
            &[Val::Int(id)],
        )?
        .ok_or_else(|| StoreError::Internal(format!("{table} {id} 写入后不存在")))?;
    row_state_digest(&r, cols)
}

/// The state digest of a row read back by name: the values of `cols`, in that order.
pub(crate) fn row_state_digest(r: &Row, cols: &[&str]) -> StoreResult<[u8; 32]> {
    let mut buf = Vec::with_capacity(512);
    for c in cols {
        r.val(c)?.canonical_bytes(&mut buf);
    }
    Ok(sm3(&buf))
}

pub fn digest_of<'a>(values: impl Iterator<Item = &'a Val>) -> [u8; 32] {
    let mut buf = Vec::with_capacity(512);
    for v in values {
        v.canonical_bytes(&mut buf);
    }
    sm3(&buf)
}

/// The columns of what the provider said (subject, category, document number, date, authority,
/// facts, basis, outcome, severity, scope, disclosure end), in the order their digest takes them.
/// The digest is stored in `content_digest`, which dedup compares and the state digest covers, so
/// the long texts are hashed once per change rather than twice.
pub const RECORD_CONTENT: &[&str] = &[
    "subject_id",
    "category",
    "document_no",
    "decided_on",
    "authority",
    "facts",
    "basis",
    "outcome",
    "severity",
    "scope",
    "disclosure_until",
];

/// The content digest of a stored record, from its columns by name.
pub fn record_content_digest(row: &Row) -> StoreResult<[u8; 32]> {
    row_state_digest(row, RECORD_CONTENT)
}

/// The audited columns of a record outside its content, in `RECORD_COLS` order: what its state
/// digest covers (`content_digest` among them stands for the content).
fn record_state_cols() -> impl Iterator<Item = &'static str> {
    RECORD_COLS
        .iter()
        .copied()
        .filter(|c| !RECORD_CONTENT.contains(c))
}

/// A record's state digest from the values it is written with, named by `RECORD_COLS`.
/// Verification checks `content_digest` against the content first.
pub fn record_state_digest(vals: &[Val]) -> [u8; 32] {
    debug_assert_eq!(vals.len(), RECORD_COLS.len());
    digest_of(
        RECORD_COLS
            .iter()
            .zip(vals)
            .filter(|(c, _)| !RECORD_CONTENT.contains(c))
            .map(|(_, v)| v),
    )
}

/// A record's state digest from a stored row, by column name.
pub fn record_row_state_digest(row: &Row) -> StoreResult<[u8; 32]> {
    let cols: Vec<&str> = record_state_cols().collect();
    row_state_digest(row, &cols)
}

/// What one mutation records: who (`Actor`), what (`Action`), to which row (`Entity` and its
/// id), the detail, and the digest of the row's new state.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Actor,
    pub action: Action,
    pub entity: Entity,
    pub entity_id: String,
    pub detail: String,
    pub state_digest: [u8; 32],
}

/// An entry as the journal holds it: the texts the chain hashes.
struct EntryText<'a> {
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    detail: &'a str,
    state_digest: &'a [u8; 32],
}

fn entry_hash(prev: &[u8], seq: i64, e: &EntryText<'_>) -> [u8; 32] {
    let mut buf = Vec::with_capacity(160 + e.detail.len());
    buf.extend_from_slice(prev);
    Val::Int(seq).canonical_bytes(&mut buf);
    for s in [e.at, e.actor, e.action, e.entity, e.entity_id, e.detail] {
        buf.push(2);
        buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
        buf.extend_from_slice(s.as_bytes());
    }
    buf.extend_from_slice(e.state_digest);
    sm3(&buf)
}

const JOURNAL_COLS: &[&str] = &[
    "seq",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "detail",
    "state_digest",
    "prev_hash",
    "hash",
];

/// An open append position on the chain, valid inside one write transaction.
pub struct Appender {
    next_seq: i64,
    head: [u8; 32],
    at: String,
    pending: Vec<Vec<Val>>,
}

impl Appender {
    /// Reads the chain head. Call only inside a write transaction.
    pub fn open(conn: &mut Conn, at: String) -> StoreResult<Appender> {
        let head = conn.query_one(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
            &[],
        )?;
        let (next_seq, head) = match head {
            None => (1, GENESIS),
            Some(r) => {
                let seq = r.need_int("seq")?;
                let hash: [u8; 32] = r
                    .blob("hash")?
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| StoreError::Internal("journal.hash".into()))?;
                (seq + 1, hash)
            }
        };
        Ok(Appender {
            next_seq,
            head,
            at,
            pending: Vec::new(),
        })
    }

    /// The sequence number the next appended entry will get.
    pub fn next_seq(&self) -> i64 {
        self.next_seq
    }

    pub fn at(&self) -> &str {
        &self.at
    }

    pub fn append(&mut self, e: Entry) -> i64 {
        let seq = self.next_seq;
        let actor = e.actor.to_string();
        let hash = entry_hash(
            &self.head,
            seq,
            &EntryText {
                at: &self.at,
                actor: &actor,
                action: e.action.code(),
                entity: e.entity.code(),
                entity_id: &e.entity_id,
                detail: &e.detail,
                state_digest: &e.state_digest,
            },
        );
        self.pending.push(vec![
            Val::Int(seq),
            Val::Text(self.at.clone()),
            Val::Text(actor),
            Val::from(e.action.code()),
            Val::from(e.entity.code()),
            Val::Text(e.entity_id),
            Val::Text(e.detail),
            Val::Blob(e.state_digest.to_vec()),
            Val::Blob(self.head.to_vec()),
            Val::Blob(hash.to_vec()),
        ]);
        self.head = hash;
        self.next_seq += 1;
        seq
    }

    /// Writes the pending entries. Call before the transaction commits.
    pub fn flush(&mut self, conn: &mut Conn) -> StoreResult<()> {
        let rows = std::mem::take(&mut self.pending);
        conn.insert_many("journal", JOURNAL_COLS, rows, "")
    }
}

/// What `probity audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    pub rows: u64,
    pub head: Option<String>,
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A journal entry was edited, deleted, reordered or inserted.
    Entry { seq: i64, reason: String },
    /// A subject, record or category row does not match its last audited state.
    Row {
        entity: String,
        id: String,
        reason: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Entry { seq, reason } => write!(f, "审计日志第 {seq} 条异常：{reason}"),
            Problem::Row { entity, id, reason } => {
                let what = AUDITED
                    .iter()
                    .find(|a| a.entity.code() == entity)
                    .map_or(entity.as_str(), |a| a.label);
                write!(f, "{what} {id} 异常：{reason}")
            }
        }
    }
}

fn blob32(r: &Row, col: &str) -> StoreResult<Option<[u8; 32]>> {
    Ok(r.blob(col)?.and_then(|b| b.try_into().ok()))
}

/// Recomputes the whole chain, then checks every audited row against its last audited state.
pub fn verify(conn: &mut Conn) -> StoreResult<VerifyReport> {
    let mut expected_seq = 1i64;
    let mut prev = GENESIS;
    let mut problem: Option<Problem> = None;
    let mut entries = 0u64;
    // Last audited digest per row: keyed by (table, numeric id) or (table, text key).
    let mut last_num: HashMap<(usize, i64), [u8; 32]> = HashMap::new();
    let mut last_text: HashMap<(usize, String), [u8; 32]> = HashMap::new();
    conn.for_each(
        "SELECT seq, at, actor, action, entity, entity_id, detail, state_digest, prev_hash, hash FROM journal ORDER BY seq",
        &[],
        |r| {
            if problem.is_some() {
                return Ok(());
            }
            entries += 1;
            let seq = r.int("seq")?.unwrap_or(-1);
            let bad = |reason: &str| Some(Problem::Entry { seq, reason: reason.to_string() });
            if seq != expected_seq {
                problem = if seq > expected_seq {
                    Some(Problem::Entry { seq: expected_seq, reason: "该条目缺失（被删除）".into() })
                } else {
                    bad("序号重复或乱序")
                };
                return Ok(());
            }
            let text = |col: &str| -> StoreResult<String> {
                Ok(r.text(col)?.unwrap_or_default().to_string())
            };
            let (Some(digest), Some(prev_hash), Some(hash)) =
                (blob32(&r, "state_digest")?, blob32(&r, "prev_hash")?, blob32(&r, "hash")?)
            else {
                problem = bad("摘要字段缺失或长度错误");
                return Ok(());
            };
            if prev_hash != prev {
                problem = bad("前一条目哈希不符（条目被删除、插入或调换顺序）");
                return Ok(());
            }
            let (entity, entity_id) = (text("entity")?, text("entity_id")?);
            let e = EntryText {
                at: &text("at")?,
                actor: &text("actor")?,
                action: &text("action")?,
                entity: &entity,
                entity_id: &entity_id,
                detail: &text("detail")?,
                state_digest: &digest,
            };
            if entry_hash(&prev, seq, &e) != hash {
                problem = bad("条目内容被改动（哈希不符）");
                return Ok(());
            }
            if let Some(t) = AUDITED.iter().position(|a| a.entity.code() == entity) {
                if AUDITED[t].numeric {
                    match entity_id.parse::<i64>() {
                        Ok(id) => {
                            last_num.insert((t, id), digest);
                        }
                        Err(_) => problem = bad("实体编号无效"),
                    }
                } else {
                    last_text.insert((t, entity_id.clone()), digest);
                }
            }
            prev = hash;
            expected_seq += 1;
            Ok(())
        },
    )?;
    let head = if entries > 0 && problem.is_none() {
        Some(hex::encode(prev))
    } else {
        None
    };
    if let Some(p) = problem {
        return Ok(VerifyReport {
            entries,
            rows: 0,
            head: None,
            problem: Some(p),
        });
    }

    let mut rows = 0u64;
    for (t, audited) in AUDITED.iter().enumerate() {
        if problem.is_some() {
            break;
        }
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            audited.cols.join(", "),
            audited.table,
            audited.key
        );
        conn.for_each(&sql, &[], |r: Row| {
            if problem.is_some() {
                return Ok(());
            }
            rows += 1;
            let row_problem = |id: String, reason: &str| {
                Some(Problem::Row {
                    entity: audited.entity.code().into(),
                    id,
                    reason: reason.into(),
                })
            };
            let (id, last) = if audited.numeric {
                let id = r.int(audited.key)?.unwrap_or_default();
                (id.to_string(), last_num.remove(&(t, id)))
            } else {
                let key = r.text(audited.key)?.unwrap_or_default().to_string();
                let last = last_text.remove(&(t, key.clone()));
                (key, last)
            };
            let current = if audited.entity == Entity::Record {
                if r.blob("content_digest")? != Some(record_content_digest(&r)?.as_slice()) {
                    problem = row_problem(id, "记录内容与其内容摘要不符（疑似被直接修改）");
                    return Ok(());
                }
                record_row_state_digest(&r)?
            } else {
                row_state_digest(&r, audited.cols)?
            };
            problem = match last {
                None => row_problem(id, "没有审计记录（疑似被直接写入数据库）"),
                Some(d) if d != current => {
                    row_problem(id, "内容与最后一次审计的状态不符（疑似被直接修改）")
                }
                Some(_) => None,
            };
            Ok(())
        })?;
    }
    if problem.is_none() {
        // Whatever is left was audited but is no longer in its table.
        let mut gone: Vec<(usize, String)> = last_num
            .keys()
            .map(|(t, id)| (*t, id.to_string()))
            .chain(last_text.keys().cloned())
            .collect();
        gone.sort();
        if let Some((t, id)) = gone.into_iter().next() {
            problem = Some(Problem::Row {
                entity: AUDITED[t].entity.to_string(),
                id,
                reason: "审计记录存在但数据行已不存在（疑似被直接删除）".into(),
            });
        }
    }
    Ok(VerifyReport {
        entries,
        rows,
        head: if problem.is_none() { head } else { None },
        problem,
    })
}
