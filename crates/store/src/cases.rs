//! Cases as stored (异议, 信用修复, 整改, 投诉举报): one row per case with its state, assignee
//! and deadline (audited: every step is a journal entry carrying the row's digest), its history
//! of steps (`case_events`: who, when, what, the text), its attachments (`case_attachments`: the
//! bytes in the database, so that any node serves them, with their SM3 digest, named in the
//! journal entry of the step that added them), and the notifications a step or the deadline
//! clock sends to a unit or to the credit office.
//!
//! The store keeps the rows and their journal consistent; which step is allowed, by whom, and
//! where the case goes next is `probity_domain::case`'s, applied by `probity_app::cases`.

use chrono::NaiveDate;
use probity_domain::audit::{self, Actor, Entity};
use probity_domain::case::{CaseKind, CaseState, Outcome};

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Entry, row_digest};
use crate::unit::Tx;

/// The audited columns of a case, in digest order.
pub const CASE_COLS: &[&str] = &[
    "id",
    "kind",
    "state",
    "outcome",
    "record_id",
    "subject_id",
    "applicant_unit",
    "assignee_unit",
    "deadline",
    "due",
    "overdue_ever",
    "escalated",
    "tracking_no",
    "code_hash",
    "rating",
    "finding",
    "detail",
];

/// Who opened a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicant {
    /// A unit, from its console.
    Unit(i64),
    /// A member of the public or an enterprise (a complaint, a 纠错 report), named or not.
    Public,
    /// The platform itself (a rectification opened when a record became active).
    System,
    /// The credit office (a complaint entered for a hotline caller or a letter).
    CreditOffice,
}

impl Applicant {
    fn code(&self) -> &'static str {
        match self {
            Applicant::Unit(_) => "unit",
            Applicant::Public => "public",
            Applicant::System => "system",
            Applicant::CreditOffice => "credit_office",
        }
    }
    fn unit(&self) -> Option<i64> {
        match self {
            Applicant::Unit(u) => Some(*u),
            _ => None,
        }
    }
    fn from_parts(code: &str, unit: Option<i64>) -> Applicant {
        match (code, unit) {
            ("unit", Some(u)) => Applicant::Unit(u),
            ("public", _) => Applicant::Public,
            ("credit_office", _) => Applicant::CreditOffice,
            _ => Applicant::System,
        }
    }
}

/// A case to open: what the use case decided, ready to write.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub kind: CaseKind,
    pub state: CaseState,
    pub record_id: Option<i64>,
    /// The unit the case is about (the record's subject's unit, the unit complained about).
    pub subject_id: Option<i64>,
    pub applicant: Applicant,
    /// The unit that holds it; `None` is the credit office.
    pub assignee_unit: Option<i64>,
    pub deadline: Option<NaiveDate>,
    /// One line that names the case in lists (the record's category and document number …).
    pub title: String,
    /// The application: the objection's reasons, the repair's statement, the complaint.
    pub text: String,
    /// Complaints: the tracking number and the hash of the query code.
    pub tracking_no: Option<String>,
    pub code_hash: Option<Vec<u8>>,
    /// Complaints: the channel it came by; the complainant's name and contact (encrypted).
    pub channel: Option<String>,
    pub contact: Option<String>,
    /// What a kind keeps besides (JSON): the repair's commitment, the leniency granted …
    pub detail: serde_json::Value,
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCase {
    pub id: i64,
    pub kind: CaseKind,
    pub state: CaseState,
    pub outcome: Option<Outcome>,
    pub record_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub applicant: Applicant,
    pub assignee_unit: Option<i64>,
    pub deadline: Option<NaiveDate>,
    /// The deadline clock's last word: `on_time`, `due_soon`, `overdue` or `none`.
    pub due: String,
    /// Whether the case was ever overdue (counted on the unit's file even once answered).
    pub overdue_ever: bool,
    pub escalated: bool,
    pub title: String,
    pub text: String,
    pub tracking_no: Option<String>,
    pub code_hash: Option<Vec<u8>>,
    pub channel: Option<String>,
    pub rating: Option<i64>,
    pub finding: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

const CASE_SELECT: &str = "SELECT id, kind, state, outcome, record_id, subject_id, applicant_kind, \
     applicant_unit, assignee_unit, deadline, due, overdue_ever, escalated, title, body, \
     tracking_no, code_hash, channel, rating, finding, detail, created_at, updated_at, closed_at \
     FROM cases";

impl StoredCase {
    fn from_row(r: &Row) -> StoreResult<StoredCase> {
        let id = r.need_int("id")?;
        let bad = |what: &str| StoreError::Internal(format!("案件 {id} 的{what}无法读取"));
        let kind = CaseKind::parse(r.need_text("kind")?).ok_or_else(|| bad("类型"))?;
        let state = CaseState::parse(r.need_text("state")?).ok_or_else(|| bad("状态"))?;
        let outcome = match r.text("outcome")? {
            Some(o) => Some(Outcome::parse(o).ok_or_else(|| bad("结果"))?),
            None => None,
        };
        let deadline = match r.text("deadline")? {
            Some(d) => Some(d.parse::<NaiveDate>().map_err(|_| bad("期限"))?),
            None => None,
        };
        Ok(StoredCase {
            id,
            kind,
            state,
            outcome,
            record_id: r.int("record_id")?,
            subject_id: r.int("subject_id")?,
            applicant: Applicant::from_parts(
                r.need_text("applicant_kind")?,
                r.int("applicant_unit")?,
            ),
            assignee_unit: r.int("assignee_unit")?,
            deadline,
            due: r.need_text("due")?.to_string(),
            overdue_ever: r.need_int("overdue_ever")? != 0,
            escalated: r.need_int("escalated")? != 0,
            title: r.need_text("title")?.to_string(),
            text: r.need_text("body")?.to_string(),
            tracking_no: r.text("tracking_no")?.map(str::to_string),
            code_hash: r.blob("code_hash")?.map(<[u8]>::to_vec),
            channel: r.text("channel")?.map(str::to_string),
            rating: r.int("rating")?,
            finding: r.text("finding")?.map(str::to_string),
            detail: serde_json::from_str(r.need_text("detail")?).map_err(|_| bad("附加信息"))?,
            created_at: r.need_text("created_at")?.to_string(),
            updated_at: r.need_text("updated_at")?.to_string(),
            closed_at: r.text("closed_at")?.map(str::to_string),
        })
    }
}

/// One step of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: String,
    /// Who, as the journal names them (`unit:name`, `admin:name`, `public`, `system:deadline`).
    pub actor: String,
    /// The party they acted as (`applicant`, `assignee`, `credit_office`, `system`).
    pub party: String,
    /// The step (`open`, or a `CaseAction` code).
    pub action: String,
    pub text: Option<String>,
    pub from_state: Option<String>,
    pub to_state: String,
}

/// An attachment's description (its bytes are read on their own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: i64,
    pub case_id: i64,
    pub event_id: i64,
    pub file_name: String,
    /// `probity_domain::attachment::AttachmentType` code.
    pub kind: String,
    pub size: i64,
    pub sm3: Vec<u8>,
    pub created_at: String,
}

/// A file to attach to a step, already checked by the domain.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub kind: String,
    pub bytes: Vec<u8>,
}

/// What a step changes on the case; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CaseChange {
    pub state: Option<CaseState>,
    pub outcome: Option<Outcome>,
    /// `Some(None)`: to the credit office.
    pub assignee_unit: Option<Option<i64>>,
    /// `Some(None)`: no deadline any more.
    pub deadline: Option<Option<NaiveDate>>,
    pub escalated: Option<bool>,
    pub rating: Option<i64>,
    pub finding: Option<String>,
    /// Replaces the case's detail.
    pub detail: Option<serde_json::Value>,
}

/// One step to write: the change, and the history line that says who did it.
#[derive(Debug, Clone)]
pub struct NewStep<'a> {
    pub actor: &'a str,
    pub party: &'a str,
    pub action: &'a str,
    pub text: Option<&'a str>,
    pub change: CaseChange,
    pub attachments: Vec<NewAttachment>,
}

/// A notification to a unit's accounts, or (`unit: None`) to the credit office's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub unit_id: Option<i64>,
    pub case_id: Option<i64>,
    pub message: String,
    pub created_at: String,
    pub read: bool,
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub kind: Option<CaseKind>,
    /// `Some(true)`: open only; `Some(false)`: closed only.
    pub open: Option<bool>,
    pub state: Option<CaseState>,
    /// `on_time`, `due_soon`, `overdue`.
    pub due: Option<String>,
    /// Held by this unit; `Some(None)`: held by the credit office.
    pub assignee: Option<Option<i64>>,
    /// About this unit.
    pub subject: Option<i64>,
    /// Opened by this unit.
    pub applicant_unit: Option<i64>,
    /// Visible to this unit: about it, opened by it, or held by it.
    pub involving: Option<i64>,
    pub record_id: Option<i64>,
    /// Ever overdue.
    pub overdue_ever: Option<bool>,
}

impl CaseFilter {
    fn sql(&self, params: &mut Vec<Val>) -> String {
        let mut w: Vec<String> = Vec::new();
        let p = |v: Val, params: &mut Vec<Val>| {
            params.push(v);
            format!("${}", params.len())
        };
        if let Some(k) = self.kind {
            w.push(format!("kind = {}", p(Val::from(k.code()), params)));
        }
        match self.open {
            Some(true) => w.push("state <> 'closed'".into()),
            Some(false) => w.push("state = 'closed'".into()),
            None => {}
        }
        if let Some(s) = self.state {
            w.push(format!("state = {}", p(Val::from(s.code()), params)));
        }
        if let Some(d) = &self.due {
            w.push(format!("due = {}", p(Val::from(d.as_str()), params)));
        }
        match self.assignee {
            Some(Some(u)) => w.push(format!("assignee_unit = {}", p(Val::Int(u), params))),
            Some(None) => w.push("assignee_unit IS NULL".into()),
            None => {}
        }
        if let Some(u) = self.subject {
            w.push(format!("subject_id = {}", p(Val::Int(u), params)));
        }
        if let Some(u) = self.applicant_unit {
            w.push(format!("applicant_unit = {}", p(Val::Int(u), params)));
        }
        if let Some(u) = self.involving {
            let a = p(Val::Int(u), params);
            // A complaint is the business of the unit complained about once it is routed to it
            // (and then it is a holder), not before.
            w.push(format!(
                "(applicant_unit = {a} OR assignee_unit = {a} \
                 OR (subject_id = {a} AND kind <> 'complaint') \
                 OR id IN (SELECT case_id FROM case_holders WHERE unit_id = {a}))"
            ));
        }
        if let Some(r) = self.record_id {
            w.push(format!("record_id = {}", p(Val::Int(r), params)));
        }
        if let Some(o) = self.overdue_ever {
            w.push(format!("overdue_ever = {}", i64::from(o)));
        }
        if w.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", w.join(" AND "))
        }
    }
}

/// Open cases counted by kind, holder and deadline status (the case dashboard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCount {
    pub kind: CaseKind,
    pub assignee_unit: Option<i64>,
    pub due: String,
    pub count: i64,
}

/// An open case as the deadline clock reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeadline {
    pub id: i64,
    pub kind: CaseKind,
    pub assignee_unit: Option<i64>,
    pub deadline: Option<NaiveDate>,
    pub due: String,
    pub escalated: bool,
}

impl Store {
    /// The case, or `NotFound`.
    pub fn case(&self, id: i64) -> StoreResult<StoredCase> {
        let mut c = self.conn()?;
        read_case(&mut c, id)
    }

    /// Whether the unit has ever held the case (to read it after handing it on).
    pub fn case_held_by(&self, case_id: i64, unit_id: i64) -> StoreResult<bool> {
        let mut c = self.conn()?;
        Ok(c.query_int(
            "SELECT COUNT(*) AS n FROM case_holders WHERE case_id = $1 AND unit_id = $2",
            &[Val::Int(case_id), Val::Int(unit_id)],
        )?
        .unwrap_or(0)
            > 0)
    }

    /// The complaint with this tracking number, if any.
    pub fn case_by_tracking_no(&self, tracking_no: &str) -> StoreResult<Option<StoredCase>> {
        let mut c = self.conn()?;
        c.query_one(
            &format!("{CASE_SELECT} WHERE tracking_no = $1"),
            &[Val::from(tracking_no)],
        )?
        .map(|r| StoredCase::from_row(&r))
        .transpose()
    }

    /// Cases matching `filter`, newest first, at most `limit` (before `before`, an id, for the
    /// next page).
    pub fn list_cases(
        &self,
        filter: &CaseFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<StoredCase>> {
        let mut params = Vec::new();
        let mut sql = format!("{CASE_SELECT}{}", filter.sql(&mut params));
        if let Some(b) = before {
            params.push(Val::Int(b));
            let join = if sql.contains(" WHERE ") {
                " AND"
            } else {
                " WHERE"
            };
            sql.push_str(&format!("{join} id < ${}", params.len()));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit.min(10_000)));
        let mut c = self.conn()?;
        c.query(&sql, &params)?
            .iter()
            .map(StoredCase::from_row)
            .collect()
    }

    /// How many cases match `filter`.
    pub fn count_cases(&self, filter: &CaseFilter) -> StoreResult<i64> {
        let mut params = Vec::new();
        let sql = format!("SELECT COUNT(*) AS n FROM cases{}", filter.sql(&mut params));
        let mut c = self.conn()?;
        Ok(c.query_int(&sql, &params)?.unwrap_or(0))
    }

    /// Open cases grouped by kind, holder and deadline status.
    pub fn open_case_counts(&self) -> StoreResult<Vec<CaseCount>> {
        let mut c = self.conn()?;
        c.query(
            "SELECT kind, assignee_unit, due, COUNT(*) AS n FROM cases WHERE state <> 'closed' \
             GROUP BY kind, assignee_unit, due",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(CaseCount {
                kind: CaseKind::parse(r.need_text("kind")?)
                    .ok_or_else(|| StoreError::Internal("案件类型无法读取".into()))?,
                assignee_unit: r.int("assignee_unit")?,
                due: r.need_text("due")?.to_string(),
                count: r.need_int("n")?,
            })
        })
        .collect()
    }

    /// Every open case with its deadline, for the deadline clock.
    pub fn open_deadlines(&self) -> StoreResult<Vec<OpenDeadline>> {
        let mut c = self.conn()?;
        let mut out = Vec::new();
        c.for_each(
            "SELECT id, kind, assignee_unit, deadline, due, escalated FROM cases \
             WHERE state <> 'closed' ORDER BY id",
            &[],
            |r: Row| {
                let id = r.need_int("id")?;
                out.push(OpenDeadline {
                    id,
                    kind: CaseKind::parse(r.need_text("kind")?)
                        .ok_or_else(|| StoreError::Internal(format!("案件 {id} 的类型无法读取")))?,
                    assignee_unit: r.int("assignee_unit")?,
                    deadline: match r.text("deadline")? {
                        Some(d) => Some(d.parse().map_err(|_| {
                            StoreError::Internal(format!("案件 {id} 的期限无法读取"))
                        })?),
                        None => None,
                    },
                    due: r.need_text("due")?.to_string(),
                    escalated: r.need_int("escalated")? != 0,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Records activated (审核生效, on a page, through the API or by an import) after change
    /// `after` of the journal, in feed order, at most `limit`, each with its change's sequence
    /// number: what the rectification clock reads from its position on.
    pub fn activations_since(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, i64)>> {
        let mut c = self.conn()?;
        c.query(
            &format!(
                "SELECT seq, entity_id FROM journal WHERE seq > $1 AND entity = 'record' \
                 AND action = 'activate' ORDER BY seq LIMIT {}",
                limit.min(100_000)
            ),
            &[Val::Int(after)],
        )?
        .iter()
        .map(|r| {
            let seq = r.need_int("seq")?;
            let id = r
                .need_text("entity_id")?
                .parse::<i64>()
                .map_err(|_| StoreError::Internal(format!("日志 {seq} 的记录编号无法读取")))?;
            Ok((seq, id))
        })
        .collect()
    }

    /// How far a clock has read the journal (0 when it never ran).
    pub fn clock_position(&self, name: &str) -> StoreResult<i64> {
        let mut c = self.conn()?;
        Ok(c.query_int(
            "SELECT seq FROM clock_positions WHERE name = $1",
            &[Val::from(name)],
        )?
        .unwrap_or(0))
    }

    /// Moves a clock's position forward (never back: two nodes may run it at once).
    pub fn set_clock_position(&self, name: &str, seq: i64) -> StoreResult<()> {
        let mut c = self.conn()?;
        c.exec(
            "UPDATE clock_positions SET seq = $2 WHERE name = $1 AND seq < $2",
            &[Val::from(name), Val::Int(seq)],
        )?;
        c.exec(
            "INSERT INTO clock_positions (name, seq) SELECT $1, $2 WHERE NOT EXISTS \
             (SELECT 1 FROM clock_positions WHERE name = $1)",
            &[Val::from(name), Val::Int(seq)],
        )?;
        Ok(())
    }

    /// Takes the lease `name` until `until` (Unix seconds) if nobody holds it at `now`: false
    /// when another node does. One atomic update, so that of two nodes asking at once one wins.
    pub fn claim_lease(&self, name: &str, now: i64, until: i64) -> StoreResult<bool> {
        let mut c = self.conn()?;
        c.exec(
            "INSERT INTO clock_positions (name, seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
            &[Val::from(name)],
        )?;
        let n = c.exec(
            "UPDATE clock_positions SET seq = $2 WHERE name = $1 AND seq <= $3",
            &[Val::from(name), Val::Int(until), Val::Int(now)],
        )?;
        Ok(n == 1)
    }

    /// Gives the lease `name` back, if the one ending at `held` is still ours.
    pub fn release_lease(&self, name: &str, held: i64) -> StoreResult<()> {
        self.conn()?.exec(
            "UPDATE clock_positions SET seq = 0 WHERE name = $1 AND seq = $2",
            &[Val::from(name), Val::Int(held)],
        )?;
        Ok(())
    }

    /// The history of a case, oldest first.
    pub fn case_events(&self, case_id: i64) -> StoreResult<Vec<CaseEvent>> {
        let mut c = self.conn()?;
        c.query(
            "SELECT id, case_id, at, actor, party, action, body, from_state, to_state \
             FROM case_events WHERE case_id = $1 ORDER BY id",
            &[Val::Int(case_id)],
        )?
        .iter()
        .map(|r| {
            Ok(CaseEvent {
                id: r.need_int("id")?,
                case_id: r.need_int("case_id")?,
                at: r.need_text("at")?.to_string(),
                actor: r.need_text("actor")?.to_string(),
                party: r.need_text("party")?.to_string(),
                action: r.need_text("action")?.to_string(),
                text: r.text("body")?.map(str::to_string),
                from_state: r.text("from_state")?.map(str::to_string),
                to_state: r.need_text("to_state")?.to_string(),
            })
        })
        .collect()
    }

    /// The attachments of a case, oldest first (without their bytes).
    pub fn case_attachments(&self, case_id: i64) -> StoreResult<Vec<AttachmentMeta>> {
        let mut c = self.conn()?;
        c.query(
            &format!("{ATTACHMENT_SELECT} WHERE case_id = $1 ORDER BY id"),
            &[Val::Int(case_id)],
        )?
        .iter()
        .map(attachment_meta)
        .collect()
    }

    /// An attachment and its bytes; the bytes are checked against their SM3 digest.
    pub fn attachment(&self, id: i64) -> StoreResult<(AttachmentMeta, Vec<u8>)> {
        let mut c = self.conn()?;
        let row = c
            .query_one(
                &format!("{ATTACHMENT_SELECT} WHERE id = $1"),
                &[Val::Int(id)],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("附件 {id}")))?;
        let meta = attachment_meta(&row)?;
        let bytes = c
            .query_blob(
                "SELECT content FROM case_attachments WHERE id = $1",
                &[Val::Int(id)],
            )?
            .unwrap_or_default();
        if crate::crypto::sm3(&bytes).as_slice() != meta.sm3.as_slice() {
            return Err(StoreError::Internal(format!(
                "附件 {id} 的内容与其 SM3 摘要不符"
            )));
        }
        Ok((meta, bytes))
    }

    /// The keyed hash a complaint's query code is kept as, bound to its tracking number: the
    /// code itself is never stored.
    pub fn query_code_hash(&self, tracking_no: &str, code: &str) -> Vec<u8> {
        self.keys
            .lookup_hash(&format!("complaint:{tracking_no}:{code}"))
    }

    /// The MAC of a public form's challenge (the complaint and correction forms' proof-of-work),
    /// keyed by the installation's key: every `serve` node of one platform accepts what another
    /// issued.
    pub fn challenge_mac(&self, message: &str) -> Vec<u8> {
        self.keys.lookup_hash(&format!("challenge:{message}"))
    }

    /// The decrypted contact a complainant left, if any (for the credit office only).
    pub fn case_contact(&self, case_id: i64) -> StoreResult<Option<String>> {
        let mut c = self.conn()?;
        match c.query_blob(
            "SELECT contact_cipher FROM cases WHERE id = $1",
            &[Val::Int(case_id)],
        )? {
            Some(b) if !b.is_empty() => Ok(Some(self.keys.decrypt(&b)?)),
            _ => Ok(None),
        }
    }

    /// The newest notifications for a unit's accounts (or the credit office's, `unit: None`),
    /// each marked read or not for `account_id`.
    pub fn notifications(
        &self,
        unit: Option<i64>,
        account_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        let mut c = self.conn()?;
        let (cond, mut params) = audience(unit);
        params.push(Val::Int(account_id));
        let n = params.len();
        c.query(
            &format!(
                "SELECT n.id AS id, n.unit_id AS unit_id, n.case_id AS case_id, n.message AS message, \
                 n.created_at AS created_at, \
                 (SELECT COUNT(*) FROM notification_reads r WHERE r.notification_id = n.id \
                  AND r.account_id = ${n}) AS is_read \
                 FROM notifications n WHERE {cond} ORDER BY n.id DESC LIMIT {}",
                limit.min(1000)
            ),
            &params,
        )?
        .iter()
        .map(|r| {
            Ok(Notification {
                id: r.need_int("id")?,
                unit_id: r.int("unit_id")?,
                case_id: r.int("case_id")?,
                message: r.need_text("message")?.to_string(),
                created_at: r.need_text("created_at")?.to_string(),
                read: r.need_int("is_read")? > 0,
            })
        })
        .collect()
    }

    /// How many of those `account_id` has not read.
    pub fn unread_notifications(&self, unit: Option<i64>, account_id: i64) -> StoreResult<i64> {
        let mut c = self.conn()?;
        let (cond, mut params) = audience(unit);
        params.push(Val::Int(account_id));
        let n = params.len();
        Ok(c.query_int(
            &format!(
                "SELECT COUNT(*) AS n FROM notifications n WHERE {cond} AND NOT EXISTS \
                 (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id \
                  AND r.account_id = ${n})"
            ),
            &params,
        )?
        .unwrap_or(0))
    }

    /// Marks notifications read for `account_id`: those listed, or (`ids` empty) all of its
    /// audience. Reading is not journaled: it changes what one person sees, nothing else.
    pub fn mark_notifications_read(
        &self,
        unit: Option<i64>,
        account_id: i64,
        ids: &[i64],
    ) -> StoreResult<u64> {
        let now = self.now_text();
        let mut c = self.conn()?;
        let (cond, mut params) = audience(unit);
        params.push(Val::Int(account_id));
        let acc = params.len();
        params.push(Val::from(now.as_str()));
        let at = params.len();
        let mut sql = format!(
            "INSERT INTO notification_reads (notification_id, account_id, read_at) \
             SELECT n.id, ${acc}, ${at} FROM notifications n WHERE {cond} AND NOT EXISTS \
             (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id \
              AND r.account_id = ${acc})"
        );
        if !ids.is_empty() {
            let list: Vec<String> = ids.iter().take(1000).map(i64::to_string).collect();
            sql.push_str(&format!(" AND n.id IN ({})", list.join(", ")));
        }
        c.exec(&sql, &params)
    }

    /// Marks the notifications about one case read for the account (opening the case reads
    /// them); writes nothing when none is unread.
    pub fn mark_case_notifications_read(
        &self,
        unit: Option<i64>,
        account_id: i64,
        case_id: i64,
    ) -> StoreResult<u64> {
        let now = self.now_text();
        let mut c = self.conn()?;
        let (cond, mut params) = audience(unit);
        params.push(Val::Int(account_id));
        let acc = params.len();
        params.push(Val::Int(case_id));
        let case = params.len();
        let unread = format!(
            "FROM notifications n WHERE {cond} AND n.case_id = ${case} AND NOT EXISTS \
             (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id \
              AND r.account_id = ${acc})"
        );
        if c.query_int(&format!("SELECT COUNT(*) {unread}"), &params)?
            .unwrap_or(0)
            == 0
        {
            return Ok(0);
        }
        params.push(Val::from(now.as_str()));
        let at = params.len();
        c.exec(
            &format!(
                "INSERT INTO notification_reads (notification_id, account_id, read_at) \
                 SELECT n.id, ${acc}, ${at} {unread}"
            ),
            &params,
        )
    }
}

/// Notifications addressed to a unit, or to the credit office.
fn audience(unit: Option<i64>) -> (String, Vec<Val>) {
    match unit {
        Some(u) => ("n.unit_id = $1".into(), vec![Val::Int(u)]),
        None => ("n.unit_id IS NULL".into(), Vec::new()),
    }
}

const ATTACHMENT_SELECT: &str =
    "SELECT id, case_id, event_id, file_name, kind, size, sm3, created_at FROM case_attachments";

fn attachment_meta(r: &Row) -> StoreResult<AttachmentMeta> {
    Ok(AttachmentMeta {
        id: r.need_int("id")?,
        case_id: r.need_int("case_id")?,
        event_id: r.need_int("event_id")?,
        file_name: r.need_text("file_name")?.to_string(),
        kind: r.need_text("kind")?.to_string(),
        size: r.need_int("size")?,
        sm3: r.blob("sm3")?.map(<[u8]>::to_vec).unwrap_or_default(),
        created_at: r.need_text("created_at")?.to_string(),
    })
}

fn read_case(c: &mut Conn, id: i64) -> StoreResult<StoredCase> {
    let row = c
        .query_one(&format!("{CASE_SELECT} WHERE id = $1"), &[Val::Int(id)])?
        .ok_or_else(|| StoreError::NotFound(format!("案件 {id}")))?;
    StoredCase::from_row(&row)
}

/// Cases, on one unit of work.
pub struct Cases<'t, 's> {
    pub(crate) tx: &'t mut Tx<'s>,
}

impl Cases<'_, '_> {
    /// The case as this unit of work sees it.
    pub fn get(&mut self, id: i64) -> StoreResult<StoredCase> {
        read_case(self.tx.conn(), id)
    }

    /// Whether the record has an open case of `kind`.
    pub fn open_for_record(
        &mut self,
        record_id: i64,
        kind: CaseKind,
    ) -> StoreResult<Option<StoredCase>> {
        self.tx
            .conn()
            .query_one(
                &format!(
                    "{CASE_SELECT} WHERE record_id = $1 AND kind = $2 AND state <> 'closed' \
                     ORDER BY id LIMIT 1"
                ),
                &[Val::Int(record_id), Val::from(kind.code())],
            )?
            .map(|r| StoredCase::from_row(&r))
            .transpose()
    }

    /// The open cases of `kind` about a unit (a unit's disputes of its assessment results, which
    /// name no record), oldest first.
    pub fn open_about(&mut self, subject_id: i64, kind: CaseKind) -> StoreResult<Vec<StoredCase>> {
        self.tx
            .conn()
            .query(
                &format!(
                    "{CASE_SELECT} WHERE subject_id = $1 AND kind = $2 AND state <> 'closed' \
                     ORDER BY id"
                ),
                &[Val::Int(subject_id), Val::from(kind.code())],
            )?
            .iter()
            .map(StoredCase::from_row)
            .collect()
    }

    /// Whether the record ever had a case of `kind`.
    pub fn any_for_record(&mut self, record_id: i64, kind: CaseKind) -> StoreResult<bool> {
        Ok(self
            .tx
            .conn()
            .query_int(
                "SELECT COUNT(*) AS n FROM cases WHERE record_id = $1 AND kind = $2",
                &[Val::Int(record_id), Val::from(kind.code())],
            )?
            .unwrap_or(0)
            > 0)
    }

    /// The cases whose tracking number begins with `prefix` (a day's complaints, `TS20261202`, or
    /// reports of an error, `JC20261203`), for the day's next serial. Counted by the number
    /// itself, whatever the kind of case: the numbers are unique.
    pub fn tracked_on(&mut self, prefix: &str) -> StoreResult<i64> {
        Ok(self
            .tx
            .conn()
            .query_int(
                "SELECT COUNT(*) AS n FROM cases WHERE tracking_no LIKE $1",
                &[Val::from(format!("{prefix}%"))],
            )?
            .unwrap_or(0))
    }

    /// Opens a case: its row, its first history line (with the application's attachments) and
    /// its journal entry.
    pub fn open(
        &mut self,
        new: &NewCase,
        actor: &str,
        party: &str,
        attachments: Vec<NewAttachment>,
    ) -> StoreResult<StoredCase> {
        let now = self.tx.at().to_string();
        let contact = match new.contact.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(self.tx.store().keys.encrypt(c)?),
            None => None,
        };
        let c = self.tx.conn();
        let id = c.next_id("cases")?;
        c.exec(
            "INSERT INTO cases (id, kind, state, outcome, record_id, subject_id, applicant_kind, \
             applicant_unit, assignee_unit, deadline, due, overdue_ever, escalated, title, body, \
             tracking_no, code_hash, channel, contact_cipher, rating, finding, detail, created_at, \
             updated_at, closed_at) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, 0, 0, \
             $11, $12, $13, $14, $15, $16, NULL, NULL, $17, $18, $18, NULL)",
            &[
                Val::Int(id),
                Val::from(new.kind.code()),
                Val::from(new.state.code()),
                Val::from(new.record_id),
                Val::from(new.subject_id),
                Val::from(new.applicant.code()),
                Val::from(new.applicant.unit()),
                Val::from(new.assignee_unit),
                Val::from(new.deadline.map(|d| d.to_string())),
                Val::from(if new.deadline.is_some() {
                    "on_time"
                } else {
                    "none"
                }),
                Val::from(new.title.as_str()),
                Val::from(new.text.as_str()),
                Val::from(new.tracking_no.clone()),
                Val::from(new.code_hash.clone()),
                Val::from(new.channel.clone()),
                Val::from(contact),
                Val::from(new.detail.to_string()),
                Val::from(now.as_str()),
            ],
        )?;
        if let Some(u) = new.assignee_unit {
            self.held(id, u)?;
            if let Some(d) = new.deadline {
                self.open_turn(id, u, d, &now)?;
            }
        }
        self.event_and_journal(
            id,
            actor,
            party,
            "open",
            Some(&new.text),
            None,
            new.state,
            attachments,
            audit::Action::Create,
        )?;
        self.get(id)
    }

    /// Writes one step: the change to the case, its history line with its attachments, and
    /// the journal entry.
    pub fn step(&mut self, id: i64, step: NewStep<'_>) -> StoreResult<StoredCase> {
        let before = self.get(id)?;
        let ch = &step.change;
        let now = self.tx.at().to_string();
        let state = ch.state.unwrap_or(before.state);
        let closed_at = if state.is_closed() && !before.state.is_closed() {
            Some(now.clone())
        } else {
            before.closed_at.clone()
        };
        let deadline = ch.deadline.unwrap_or(before.deadline);
        // A new deadline starts the clock's word again; a cleared one has none.
        let due = match (ch.deadline, deadline, state.is_closed()) {
            (_, _, true) | (_, None, _) => "none".to_string(),
            (Some(_), Some(_), false) => "on_time".to_string(),
            (None, Some(_), false) => before.due.clone(),
        };
        self.tx.conn().exec(
            "UPDATE cases SET state = $2, outcome = $3, assignee_unit = $4, deadline = $5, \
             due = $6, escalated = $7, rating = $8, finding = $9, detail = $10, updated_at = $11, \
             closed_at = $12 WHERE id = $1",
            &[
                Val::Int(id),
                Val::from(state.code()),
                Val::from(ch.outcome.or(before.outcome).map(Outcome::code)),
                Val::from(ch.assignee_unit.unwrap_or(before.assignee_unit)),
                Val::from(deadline.map(|d| d.to_string())),
                Val::from(due),
                Val::Int(i64::from(ch.escalated.unwrap_or(before.escalated))),
                Val::from(ch.rating.or(before.rating)),
                Val::from(ch.finding.clone().or(before.finding.clone())),
                Val::from(ch.detail.as_ref().unwrap_or(&before.detail).to_string()),
                Val::from(now.as_str()),
                Val::from(closed_at),
            ],
        )?;
        if let Some(Some(u)) = ch.assignee_unit {
            self.held(id, u)?;
        }
        let holder = ch.assignee_unit.unwrap_or(before.assignee_unit);
        let moved = holder != before.assignee_unit || state.is_closed();
        if before.assignee_unit.is_some() && (moved || ch.deadline.is_some()) {
            self.end_turn(id, &now)?;
        }
        if let (Some(u), Some(d), false) = (holder, deadline, state.is_closed())
            && (moved || ch.deadline.is_some())
        {
            self.open_turn(id, u, d, &now)?;
        }
        self.event_and_journal(
            id,
            step.actor,
            step.party,
            step.action,
            step.text,
            Some(before.state),
            state,
            step.attachments,
            audit::Action::Update,
        )?;
        self.get(id)
    }

    /// The deadline clock's word on a case (`due_soon`, `overdue` …), journaled as the system's
    /// step when it changes; `escalate` hands an overdue case to the credit office's attention.
    pub fn mark_due(&mut self, id: i64, due: &str, escalate: bool) -> StoreResult<bool> {
        let before = self.get(id)?;
        if before.state.is_closed() || (before.due == due && (!escalate || before.escalated)) {
            return Ok(false);
        }
        let overdue = due == "overdue";
        self.tx.conn().exec(
            "UPDATE cases SET due = $2, overdue_ever = $3, escalated = $4 WHERE id = $1",
            &[
                Val::Int(id),
                Val::from(due),
                Val::Int(i64::from(before.overdue_ever || overdue)),
                Val::Int(i64::from(before.escalated || escalate)),
            ],
        )?;
        let digest = row_digest(self.tx.conn(), CASE_COLS, "cases", id)?;
        self.tx.append(Entry {
            actor: Actor::System(Some("deadline".into())),
            action: audit::Action::Update,
            entity: Entity::Case,
            entity_id: id.to_string(),
            detail: serde_json::json!({ "due": due, "escalated": before.escalated || escalate })
                .to_string(),
            state_digest: digest,
        });
        Ok(true)
    }

    /// A unit's turn on a case begins: it holds the case until `due` (the assessment counts
    /// each unit's own deadline and when it handed the case on, `case_turns`).
    fn open_turn(&mut self, case_id: i64, unit: i64, due: NaiveDate, at: &str) -> StoreResult<()> {
        self.tx.conn().exec(
            "INSERT INTO case_turns (case_id, unit_id, due, started_at) VALUES ($1, $2, $3, $4)",
            &[
                Val::Int(case_id),
                Val::Int(unit),
                Val::from(due.to_string()),
                Val::from(at),
            ],
        )?;
        Ok(())
    }

    /// The open turn on a case ends (the unit answered, the case moved on or closed).
    fn end_turn(&mut self, case_id: i64, at: &str) -> StoreResult<()> {
        self.tx.conn().exec(
            "UPDATE case_turns SET ended_at = $2 WHERE case_id = $1 AND ended_at IS NULL",
            &[Val::Int(case_id), Val::from(at)],
        )?;
        Ok(())
    }

    /// Remembers that `unit` held the case (once).
    fn held(&mut self, case_id: i64, unit: i64) -> StoreResult<()> {
        self.tx.conn().exec(
            "INSERT INTO case_holders (case_id, unit_id) SELECT $1, $2 WHERE NOT EXISTS \
             (SELECT 1 FROM case_holders WHERE case_id = $1 AND unit_id = $2)",
            &[Val::Int(case_id), Val::Int(unit)],
        )?;
        Ok(())
    }

    /// Sends a notification to a unit's accounts or (`unit: None`) the credit office's.
    pub fn notify(
        &mut self,
        unit: Option<i64>,
        case_id: Option<i64>,
        message: &str,
    ) -> StoreResult<i64> {
        let now = self.tx.at().to_string();
        let c = self.tx.conn();
        let id = c.next_id("notifications")?;
        c.exec(
            "INSERT INTO notifications (id, unit_id, case_id, message, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                Val::Int(id),
                Val::from(unit),
                Val::from(case_id),
                Val::from(message),
                Val::from(now.as_str()),
            ],
        )?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn event_and_journal(
        &mut self,
        case_id: i64,
        actor: &str,
        party: &str,
        action: &str,
        text: Option<&str>,
        from: Option<CaseState>,
        to: CaseState,
        attachments: Vec<NewAttachment>,
        journal_action: audit::Action,
    ) -> StoreResult<()> {
        let now = self.tx.at().to_string();
        let c = self.tx.conn();
        let event = c.next_id("case_events")?;
        c.exec(
            "INSERT INTO case_events (id, case_id, at, actor, party, action, body, from_state, \
             to_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                Val::Int(event),
                Val::Int(case_id),
                Val::from(now.as_str()),
                Val::from(actor),
                Val::from(party),
                Val::from(action),
                Val::from(text),
                Val::from(from.map(CaseState::code)),
                Val::from(to.code()),
            ],
        )?;
        let mut files = Vec::new();
        for a in attachments {
            let digest = crate::crypto::sm3(&a.bytes);
            let aid = c.next_id("case_attachments")?;
            c.exec(
                "INSERT INTO case_attachments (id, case_id, event_id, file_name, kind, size, sm3, \
                 content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    Val::Int(aid),
                    Val::Int(case_id),
                    Val::Int(event),
                    Val::from(a.file_name.as_str()),
                    Val::from(a.kind.as_str()),
                    Val::Int(a.bytes.len() as i64),
                    Val::Blob(digest.to_vec()),
                    Val::Blob(a.bytes),
                    Val::from(now.as_str()),
                ],
            )?;
            files.push(serde_json::json!({
                "id": aid,
                "name": a.file_name,
                "sm3": hex::encode(digest),
            }));
        }
        let digest = row_digest(c, CASE_COLS, "cases", case_id)?;
        // The history line's text and files are named in the journal by their digests: a line
        // edited in the database no longer matches its entry.
        let text_sm3 = text.map(|t| hex::encode(crate::crypto::sm3(t.as_bytes())));
        self.tx.append(Entry {
            actor: Actor::parse(actor),
            action: journal_action,
            entity: Entity::Case,
            entity_id: case_id.to_string(),
            detail: serde_json::json!({
                "step": action,
                "party": party,
                "event": event,
                "to": to.code(),
                "text_sm3": text_sm3,
                "files": files,
            })
            .to_string(),
            state_digest: digest,
        });
        Ok(())
    }
}
