//! Credit reports (信用报告): the content of a unit's public file on a day, signed with the
//! installation's SM2 key, kept under a report number with a verification code, so that anyone
//! holding the number and the code can check that the report is authentic.

use crate::Store;
use crate::crypto::sm3;
use crate::db::{Conn, Val};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry};

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

/// Letters and digits nobody confuses (no 0/O, 1/I/L).
const CODE_CHARS: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn code_hash(report_no: &str, code: &str) -> Vec<u8> {
    sm3(format!("{report_no}\n{}", code.trim().to_uppercase()).as_bytes()).to_vec()
}

const COLS: &str = "id, report_no, subject_id, issued_on, content, digest, signature, created_at";

fn report_from(r: &[Val]) -> StoreResult<Report> {
    let bad = || StoreError::Internal("reports 行不完整".into());
    let text = |i: usize| r[i].text().map(str::to_string).ok_or_else(bad);
    let blob = |i: usize| r[i].blob().map(<[u8]>::to_vec).ok_or_else(bad);
    Ok(Report {
        id: r[0].int().ok_or_else(bad)?,
        report_no: text(1)?,
        subject_id: r[2].int().ok_or_else(bad)?,
        issued_on: text(3)?,
        content: text(4)?,
        digest: blob(5)?,
        signature: blob(6)?,
        created_at: text(7)?,
    })
}

impl Store {
    /// Issues a report of `content` about `subject_id` for the day `issued_on`: signs it, numbers
    /// it and journals it. Returns the report and its verification code (shown once, stored only
    /// as a hash).
    pub fn issue_report(
        &self,
        subject_id: i64,
        issued_on: &str,
        content: &str,
        actor: &str,
    ) -> StoreResult<(Report, String)> {
        let digest = sm3(content.as_bytes()).to_vec();
        let signature = self.keys.sign_report(content.as_bytes())?;
        let mut raw = [0u8; 8];
        getrandom::fill(&mut raw)
            .map_err(|e| StoreError::Internal(format!("随机数生成失败：{e}")))?;
        let code: String = raw
            .iter()
            .map(|b| CODE_CHARS[usize::from(*b) % CODE_CHARS.len()] as char)
            .collect();
        let now = crate::now_text();
        let day = issued_on.replace('-', "");
        let mut conn = self.conn()?;
        let report = conn.write(|c: &mut Conn| {
            let id = c
                .query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM reports", &[])?
                .and_then(|r| r[0].int())
                .unwrap_or(1);
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
            let mut j = Appender::open(c, now.clone())?;
            let mut state = [0u8; 32];
            state.copy_from_slice(&digest);
            j.append(Entry {
                actor: actor.to_string(),
                action: "issue".into(),
                entity: "report".into(),
                entity_id: report_no.clone(),
                detail: serde_json::json!({ "subject_id": subject_id, "issued_on": issued_on })
                    .to_string(),
                state_digest: state,
            });
            j.flush(c)?;
            Ok(Report {
                id,
                report_no,
                subject_id,
                issued_on: issued_on.to_string(),
                content: content.to_string(),
                digest: digest.clone(),
                signature: signature.clone(),
                created_at: now.clone(),
            })
        })?;
        Ok((report, code))
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
        let stored = r[8].blob().unwrap_or_default();
        let sent = code_hash(&no, code);
        let same = stored.len() == sent.len()
            && stored
                .iter()
                .zip(&sent)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
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
    pub fn report_public_key(&self) -> StoreResult<String> {
        self.keys.report_public_key_hex()
    }
}
