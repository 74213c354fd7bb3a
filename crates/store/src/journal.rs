//! The journal: one table that is both the audit chain and the change feed. Every mutation appends
//! one entry in the same transaction: who, when, what, the SM3 digest of the row's new state, and
//! the SM3 hash of the previous entry. Its sequence numbers are gap-free because writers are
//! serialised and numbers are taken inside the transaction.

use std::collections::HashMap;

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

/// The digest of a row's state: its values in column order, each tagged and length-prefixed.
pub fn state_digest(values: &[Val]) -> [u8; 32] {
    digest_of(values.iter())
}

pub fn digest_of<'a>(values: impl Iterator<Item = &'a Val>) -> [u8; 32] {
    let mut buf = Vec::with_capacity(512);
    for v in values {
        v.canonical_bytes(&mut buf);
    }
    sm3(&buf)
}

/// Positions in `RECORD_COLS` of what the provider said (subject, category, document number,
/// date, authority, facts, basis, outcome, severity, scope, disclosure end). Their digest is
/// stored in `content_digest` (position 16), which dedup compares and the state digest covers,
/// so the long texts are hashed once per change rather than twice.
pub const RECORD_CONTENT: [usize; 11] = [1, 3, 5, 7, 8, 9, 10, 11, 12, 13, 14];
pub const RECORD_CONTENT_DIGEST: usize = 16;

pub fn record_content_digest(row: &[Val]) -> [u8; 32] {
    digest_of(RECORD_CONTENT.iter().filter_map(|&i| row.get(i)))
}

/// A record's state digest: every audited column but the content, which `content_digest`
/// stands for. Verification checks `content_digest` against the content first.
pub fn record_state_digest(row: &[Val]) -> [u8; 32] {
    digest_of(
        row.iter()
            .enumerate()
            .filter(|(i, _)| !RECORD_CONTENT.contains(i))
            .map(|(_, v)| v),
    )
}

/// What one mutation records.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
    pub state_digest: [u8; 32],
}

fn entry_hash(prev: &[u8], seq: i64, at: &str, e: &Entry) -> [u8; 32] {
    let mut buf = Vec::with_capacity(160 + e.detail.len());
    buf.extend_from_slice(prev);
    Val::Int(seq).canonical_bytes(&mut buf);
    for s in [at, &e.actor, &e.action, &e.entity, &e.entity_id, &e.detail] {
        Val::Text(s.to_string()).canonical_bytes(&mut buf);
    }
    buf.extend_from_slice(&e.state_digest);
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
                let seq = r[0]
                    .int()
                    .ok_or_else(|| StoreError::Internal("journal.seq".into()))?;
                let hash: [u8; 32] = r[1]
                    .blob()
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
        let hash = entry_hash(&self.head, seq, &self.at, &e);
        self.pending.push(vec![
            Val::Int(seq),
            Val::Text(self.at.clone()),
            Val::Text(e.actor),
            Val::Text(e.action),
            Val::Text(e.entity),
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
                let what = match entity.as_str() {
                    "subject" => "主体",
                    "record" => "记录",
                    "category" => "目录项",
                    _ => entity.as_str(),
                };
                write!(f, "{what} {id} 异常：{reason}")
            }
        }
    }
}

fn blob32(v: &Val) -> Option<[u8; 32]> {
    v.blob().and_then(|b| b.try_into().ok())
}

/// Recomputes the whole chain, then checks every audited row against its last audited state.
pub fn verify(conn: &mut Conn) -> StoreResult<VerifyReport> {
    let mut expected_seq = 1i64;
    let mut prev = GENESIS;
    let mut problem: Option<Problem> = None;
    let mut entries = 0u64;
    // Last audited digest per entity, keyed by numeric id (subjects, records) or text (categories).
    let mut last_num: HashMap<(u8, i64), [u8; 32]> = HashMap::new();
    let mut last_text: HashMap<String, [u8; 32]> = HashMap::new();
    conn.for_each(
        "SELECT seq, at, actor, action, entity, entity_id, detail, state_digest, prev_hash, hash FROM journal ORDER BY seq",
        &[],
        |r| {
            if problem.is_some() {
                return Ok(());
            }
            entries += 1;
            let seq = r[0].int().unwrap_or(-1);
            let bad = |reason: &str| Some(Problem::Entry { seq, reason: reason.to_string() });
            if seq != expected_seq {
                problem = if seq > expected_seq {
                    Some(Problem::Entry { seq: expected_seq, reason: "该条目缺失（被删除）".into() })
                } else {
                    bad("序号重复或乱序")
                };
                return Ok(());
            }
            let text = |i: usize| r[i].text().unwrap_or_default().to_string();
            let (Some(digest), Some(prev_hash), Some(hash)) = (blob32(&r[7]), blob32(&r[8]), blob32(&r[9])) else {
                problem = bad("摘要字段缺失或长度错误");
                return Ok(());
            };
            if prev_hash != prev {
                problem = bad("前一条目哈希不符（条目被删除、插入或调换顺序）");
                return Ok(());
            }
            let e = Entry {
                actor: text(2),
                action: text(3),
                entity: text(4),
                entity_id: text(5),
                detail: text(6),
                state_digest: digest,
            };
            if entry_hash(&prev, seq, &text(1), &e) != hash {
                problem = bad("条目内容被改动（哈希不符）");
                return Ok(());
            }
            match e.entity.as_str() {
                "subject" | "record" => {
                    let tag = if e.entity == "subject" { 0 } else { 1 };
                    match e.entity_id.parse::<i64>() {
                        Ok(id) => {
                            last_num.insert((tag, id), digest);
                        }
                        Err(_) => problem = bad("实体编号无效"),
                    }
                }
                "category" => {
                    last_text.insert(e.entity_id.clone(), digest);
                }
                _ => {}
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
    let checks: [(&str, &str, &[&str], u8); 2] = [
        ("subject", "subjects", SUBJECT_COLS, 0),
        ("record", "records", RECORD_COLS, 1),
    ];
    for (entity, table, cols, tag) in checks {
        let sql = format!("SELECT {} FROM {table} ORDER BY id", cols.join(", "));
        conn.for_each(&sql, &[], |r: Row| {
            if problem.is_some() {
                return Ok(());
            }
            rows += 1;
            let id = r[0].int().unwrap_or_default();
            let current = if tag == 1 {
                if r.get(RECORD_CONTENT_DIGEST).and_then(Val::blob)
                    != Some(record_content_digest(&r).as_slice())
                {
                    problem = Some(Problem::Row {
                        entity: entity.into(),
                        id: id.to_string(),
                        reason: "记录内容与其内容摘要不符（疑似被直接修改）".into(),
                    });
                    return Ok(());
                }
                record_state_digest(&r)
            } else {
                state_digest(&r)
            };
            let reason = match last_num.remove(&(tag, id)) {
                None => Some("没有审计记录（疑似被直接写入数据库）"),
                Some(d) if d != current => Some("内容与最后一次审计的状态不符（疑似被直接修改）"),
                Some(_) => None,
            };
            if let Some(reason) = reason {
                problem = Some(Problem::Row {
                    entity: entity.into(),
                    id: id.to_string(),
                    reason: reason.into(),
                });
            }
            Ok(())
        })?;
    }
    if problem.is_none() {
        conn.for_each(
            "SELECT code, body FROM categories ORDER BY code",
            &[],
            |r| {
                if problem.is_some() {
                    return Ok(());
                }
                rows += 1;
                let code = r[0].text().unwrap_or_default().to_string();
                let reason = match last_text.remove(&code) {
                    None => Some("没有审计记录（疑似被直接写入数据库）"),
                    Some(d) if d != state_digest(&r) => {
                        Some("内容与最后一次审计的状态不符（疑似被直接修改）")
                    }
                    Some(_) => None,
                };
                if let Some(reason) = reason {
                    problem = Some(Problem::Row {
                        entity: "category".into(),
                        id: code,
                        reason: reason.into(),
                    });
                }
                Ok(())
            },
        )?;
    }
    if problem.is_none() {
        // Whatever is left was audited but is no longer in its table.
        let mut gone: Vec<(String, String)> = last_num
            .keys()
            .map(|(t, id)| {
                (
                    (if *t == 0 { "subject" } else { "record" }).to_string(),
                    id.to_string(),
                )
            })
            .chain(
                last_text
                    .keys()
                    .map(|c| ("category".to_string(), c.clone())),
            )
            .collect();
        gone.sort();
        if let Some((entity, id)) = gone.into_iter().next() {
            problem = Some(Problem::Row {
                entity,
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
