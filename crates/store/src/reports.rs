//! Credit reports (信用报告): the content of a unit's public file on a day, signed with the
//! installation's SM2 key, kept under a report number with verification codes, so that anyone
//! holding the number and a code can check that the report is authentic.
//!
//! One report per unit, day and content: asking again for the same unit on the same day, while
//! its public file is unchanged, writes no new report and no journal entry; the asker gets the
//! existing report with a verification code of its own (every code of a report is kept, as a
//! hash, in `report_codes`; the first also in the report's row). Every issuance, new or not,
//! counts against its client's hourly allowance, which the caller sets.

use chrono::Duration;
use probity_domain::Code;
use probity_domain::audit::{Action, Actor, Entity};

use crate::Store;
use crate::crypto::sm3;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry, row_digest};

/// Columns whose values make up a report's audited state: the journal entry of its issue carries
/// the digest (`journal::state_digest`) of these, in this order, as read back in the transaction
/// that wrote the row. The entry's `entity` is `report` and its `entity_id` the report number.
pub const REPORT_COLS: &[&str] = &[
    "id",
    "report_no",
    "subject_id",
    "issued_on",
    "content",
    "digest",
    "signature",
    "code_hash",
    "created_at",
];

/// An issued report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: i64,
    pub report_no: String,
    pub subject_id: i64,
    /// The day the report describes (YYYY-MM-DD).
    pub issued_on: String,
    /// The canonical content that was signed.
    pub content: String,
    pub digest: Vec<u8>,
    pub signature: Vec<u8>,
    pub created_at: String,
}

/// What issuing a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedReport {
    pub report: Report,
    /// This asker's verification code (shown once, stored only as a hash).
    pub code: String,
    /// False when the same report (unit, day, content) had been issued already.
    pub new: bool,
}

/// Letters and digits nobody confuses (no 0/O, 1/I/L).
const CODE_CHARS: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn code_hash(report_no: &str, code: &str) -> Vec<u8> {
    sm3(format!("{report_no}\n{}", code.trim().to_uppercase()).as_bytes()).to_vec()
}

fn new_code() -> StoreResult<String> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| StoreError::Internal(format!("随机数生成失败：{e}")))?;
    Ok(raw
        .iter()
        .map(|b| CODE_CHARS[usize::from(*b) % CODE_CHARS.len()] as char)
        .collect())
}

const COLS: &str = "id, report_no, subject_id, issued_on, content, digest, signature, created_at";

fn report_from(r: &Row) -> StoreResult<Report> {
    let text = |col: &str| r.need_text(col).map(str::to_string);
    let blob = |col: &str| {
        r.blob(col)?
            .map(<[u8]>::to_vec)
            .ok_or_else(|| StoreError::Internal(format!("reports.{col} 为空")))
    };
    Ok(Report {
        id: r.need_int("id")?,
        report_no: text("report_no")?,
        subject_id: r.need_int("subject_id")?,
        issued_on: text("issued_on")?,
        content: text("content")?,
        digest: blob("digest")?,
        signature: blob("signature")?,
        created_at: text("created_at")?,
    })
}

impl Store {
    /// Issues a report of `content` about `subject_id` for the day `issued_on` to `client` (the
    /// asker's address, kept only as a keyed hash): signs it, numbers it and journals it, or, if
    /// the same report was issued already, gives it a further code. Refused with
    /// `RATE_LIMITED`, changing nothing, when `client` had `per_hour` reports in the last hour.
    pub fn issue_report(
        &self,
        subject_id: i64,
        issued_on: &str,
        content: &str,
        actor: &str,
        client: &str,
        per_hour: u32,
    ) -> StoreResult<IssuedReport> {
        let digest = sm3(content.as_bytes()).to_vec();
        let client_hash = self.keys.lookup_hash(&format!("report-client\n{client}"));
        let code = new_code()?;
        let now = self.now_text();
        let hour_ago = crate::time_text(self.now() - Duration::hours(1));
        let day = issued_on.replace('-', "");
        let mut conn = self.conn()?;
        conn.write(|c: &mut Conn| {
            let recent = c
                .query_int(
                    "SELECT COUNT(*) FROM report_codes WHERE client_hash = $1 AND created_at > $2",
                    &[Val::Blob(client_hash.clone()), Val::from(hour_ago.as_str())],
                )?
                .unwrap_or(0);
            if recent >= i64::from(per_hour) {
                return Err(StoreError::domain(
                    Code::RateLimited,
                    format!("出具信用报告过于频繁：同一来源每小时最多 {per_hour} 份，请稍后再试"),
                ));
            }
            let same = c.query_one(
                &format!(
                    "SELECT {COLS} FROM reports WHERE subject_id = $1 AND issued_on = $2 AND digest = $3 ORDER BY id LIMIT 1"
                ),
                &[
                    Val::Int(subject_id),
                    Val::from(issued_on),
                    Val::Blob(digest.clone()),
                ],
            )?;
            let (report, new) = match same {
                Some(r) => (report_from(&r)?, false),
                None => {
                    let signature = self.keys.sign_report(content.as_bytes())?;
                    let id = c.next_id("reports")?;
                    let report_no = format!("XYBG{day}{id:06}");
                    c.exec(
                        "INSERT INTO reports (id, report_no, subject_id, issued_on, content, digest, signature, code_hash, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        &[
                            Val::Int(id),
                            Val::from(report_no.as_str()),
                            Val::Int(subject_id),
                            Val::from(issued_on),
                            Val::from(content),
                            Val::Blob(digest.clone()),
                            Val::Blob(signature.clone()),
                            Val::Blob(code_hash(&report_no, &code)),
                            Val::from(now.as_str()),
                        ],
                    )?;
                    let state = row_digest(c, REPORT_COLS, "reports", id)?;
                    let mut j = Appender::open(c, now.clone())?;
                    j.append(Entry {
                        actor: Actor::parse(actor),
                        action: Action::Issue,
                        entity: Entity::Report,
                        entity_id: report_no.clone(),
                        detail: serde_json::json!({ "subject_id": subject_id, "issued_on": issued_on })
                            .to_string(),
                        state_digest: state,
                    });
                    j.flush(c)?;
                    let report = Report {
                        id,
                        report_no,
                        subject_id,
                        issued_on: issued_on.to_string(),
                        content: content.to_string(),
                        digest: digest.clone(),
                        signature,
                        created_at: now.clone(),
                    };
                    (report, true)
                }
            };
            c.exec(
                "INSERT INTO report_codes (report_id, code_hash, client_hash, created_at) VALUES ($1, $2, $3, $4)",
                &[
                    Val::Int(report.id),
                    Val::Blob(code_hash(&report.report_no, &code)),
                    Val::Blob(client_hash.clone()),
                    Val::from(now.as_str()),
                ],
            )?;
            Ok(IssuedReport {
                report,
                code: code.clone(),
                new,
            })
        })
    }

    /// The report with this number, if `code` is its verification code. A wrong code and an
    /// unknown number are the same `None`.
    pub fn report_with_code(&self, report_no: &str, code: &str) -> StoreResult<Option<Report>> {
        let no = report_no.trim().to_uppercase();
        if no.is_empty() || no.len() > 40 || code.trim().is_empty() || code.len() > 40 {
            return Ok(None);
        }
        let mut c = self.conn()?;
        let Some(r) = c.query_one(
            &format!("SELECT {COLS}, code_hash FROM reports WHERE report_no = $1"),
            &[Val::from(no.as_str())],
        )?
        else {
            return Ok(None);
        };
        let sent = code_hash(&no, code);
        let mut known = vec![r.blob("code_hash")?.unwrap_or_default().to_vec()];
        for k in c.query(
            "SELECT code_hash FROM report_codes WHERE report_id = $1",
            &[Val::Int(r.need_int("id")?)],
        )? {
            known.push(k.blob("code_hash")?.unwrap_or_default().to_vec());
        }
        // Every code compared in full, whichever matches.
        let same = known.iter().fold(false, |acc, stored| {
            let equal = stored.len() == sent.len()
                && stored
                    .iter()
                    .zip(&sent)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            acc | equal
        });
        if !same {
            return Ok(None);
        }
        report_from(&r).map(Some)
    }

    /// Whether a report's signature is the installation's over its content, and its digest its
    /// content's: false if anything in the row was changed.
    pub fn report_is_authentic(&self, r: &Report) -> StoreResult<bool> {
        Ok(sm3(r.content.as_bytes()).as_slice() == r.digest.as_slice()
            && self
                .keys
                .verify_report(r.content.as_bytes(), &r.signature)?)
    }

    /// The public half of the report-signing key, SEC1 in hex.
    /// How many reports were issued (one row per report; a report asked for again is one).
    pub fn report_count(&self) -> StoreResult<i64> {
        Ok(self
            .conn()?
            .query_int("SELECT COUNT(*) FROM reports", &[])?
            .unwrap_or(0))
    }

    pub fn report_public_key(&self) -> StoreResult<String> {
        self.keys.report_public_key_hex()
    }
}
