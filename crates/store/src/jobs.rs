//! Background jobs in the database: an uploaded file with its import's state, progress, outcome
//! and rejected rows. Any node reads them and starts them; a node that runs one holds a lease it
//! renews with each progress report, and a job whose lease ran out (its node stopped) goes back
//! to waiting, its file still there, so that nothing is lost by a restart.

use chrono::TimeDelta;

use crate::Store;
use crate::db::Val;
use crate::error::{StoreError, StoreResult};

/// How many finished jobs the database keeps: past it, the oldest go, with their rejected rows.
pub const MAX_JOBS: i64 = 2_000;
/// How many uploads one account may leave waiting (each holds its file, up to the upload limit).
pub const MAX_WAITING_PER_OWNER: i64 = 20;
/// How long a waiting upload is kept before its file goes.
pub const WAITING_DAYS: i64 = 7;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Staged, waiting for someone to start it.
    Ready,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn code(self) -> &'static str {
        match self {
            JobState::Ready => "ready",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> StoreResult<JobState> {
        Ok(match s {
            "ready" => JobState::Ready,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            other => return Err(StoreError::Internal(format!("jobs.state: {other}"))),
        })
    }
}

/// A job as callers see it (its file and its rejected rows are read apart: they can be large).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub owner_id: i64,
    pub file_name: String,
    pub provider: String,
    pub state: JobState,
    /// The last progress report (JSON, the use case's own shape).
    pub progress: Option<String>,
    /// What it came to (JSON counts, or a failure's message).
    pub outcome: Option<String>,
    pub has_errors: bool,
    pub created_at: String,
}

/// A job to stage.
pub struct NewJob<'a> {
    /// The file, moved in (it can be large: no copy is kept).
    pub id: &'a str,
    pub kind: &'a str,
    pub owner_id: i64,
    pub file_name: &'a str,
    pub provider: &'a str,
    pub state: JobState,
    pub input: Vec<u8>,
}

const JOB_COLS: &str = "id, kind, owner_id, file_name, provider, state, progress, outcome, CASE WHEN errors IS NULL THEN 0 ELSE 1 END AS has_errors, created_at";

/// The one blob of a row, moved out (no copy of a file that may be large).
fn blob_of(row: crate::db::Row, col: &str) -> StoreResult<Option<Vec<u8>>> {
    match row.take(col)? {
        Val::Blob(b) => Ok(Some(b)),
        _ => Ok(None),
    }
}

fn job_from(r: &crate::db::Row) -> StoreResult<Job> {
    let text = |col: &str| r.need_text(col).map(str::to_string);
    Ok(Job {
        id: text("id")?,
        kind: text("kind")?,
        owner_id: r.need_int("owner_id")?,
        file_name: text("file_name")?,
        provider: text("provider")?,
        state: JobState::parse(&text("state")?)?,
        progress: r.text("progress")?.map(str::to_string),
        outcome: r.text("outcome")?.map(str::to_string),
        has_errors: r.int("has_errors")? == Some(1),
        created_at: text("created_at")?,
    })
}

impl Store {
    /// Stages a job with its file. Past `MAX_JOBS`, the oldest finished or waiting jobs go.
    pub fn stage_job(&self, j: NewJob<'_>) -> StoreResult<()> {
        let now = self.now_text();
        let mut conn = self.conn()?;
        // Waiting uploads past their time go first, then the owner's waiting ones are counted.
        let stale = crate::time_text(self.now() - TimeDelta::days(WAITING_DAYS));
        conn.exec(
            "DELETE FROM jobs WHERE state = 'ready' AND created_at < $1",
            &[Val::from(stale)],
        )?;
        let waiting = conn
            .query_int(
                "SELECT COUNT(*) FROM jobs WHERE owner_id = $1 AND state = 'ready'",
                &[Val::Int(j.owner_id)],
            )?
            .unwrap_or(0);
        if waiting >= MAX_WAITING_PER_OWNER {
            return Err(StoreError::domain(
                probity_domain::Code::RateLimited,
                format!(
                    "已有 {waiting} 个文件上传后尚未导入：请先导入或放弃其中一些（{WAITING_DAYS} 天未导入的文件会自动清除）"
                ),
            ));
        }
        conn.exec(
            "INSERT INTO jobs (id, kind, owner_id, file_name, provider, state, input, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            &[
                Val::from(j.id),
                Val::from(j.kind),
                Val::Int(j.owner_id),
                Val::from(j.file_name),
                Val::from(j.provider),
                Val::from(j.state.code()),
                Val::Blob(j.input),
                Val::from(now.as_str()),
            ],
        )?;
        // Everything past the newest MAX_JOBS ("no limit" is spelt differently by each).
        let past = match conn.dialect() {
            crate::Dialect::Sqlite => "LIMIT -1 OFFSET $1",
            crate::Dialect::Postgres => "OFFSET $1",
        };
        conn.exec(
            &format!(
                "DELETE FROM jobs WHERE state IN ('done', 'failed') AND id IN (SELECT id FROM jobs WHERE state IN ('done', 'failed') ORDER BY created_at DESC {past})"
            ),
            &[Val::Int(MAX_JOBS)],
        )?;
        Ok(())
    }

    /// One job, or `None`.
    pub fn job(&self, id: &str) -> StoreResult<Option<Job>> {
        self.conn()?
            .query_one(
                &format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"),
                &[Val::from(id)],
            )?
            .map(|r| job_from(&r))
            .transpose()
    }

    /// The newest jobs of an owner.
    pub fn jobs_of(&self, owner_id: i64, limit: u32) -> StoreResult<Vec<Job>> {
        self.conn()?
            .query(
                &format!(
                    "SELECT {JOB_COLS} FROM jobs WHERE owner_id = $1 ORDER BY created_at DESC, id LIMIT $2"
                ),
                &[Val::Int(owner_id), Val::Int(i64::from(limit))],
            )?
            .iter()
            .map(job_from)
            .collect()
    }

    /// A job's file (gone once its import finished).
    pub fn job_input(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .conn()?
            .query_one("SELECT input FROM jobs WHERE id = $1", &[Val::from(id)])?
            .map(|r| blob_of(r, "input"))
            .transpose()?
            .flatten())
    }

    /// A finished job's rejected rows (.xlsx), if it had any.
    pub fn job_errors(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .conn()?
            .query_one("SELECT errors FROM jobs WHERE id = $1", &[Val::from(id)])?
            .map(|r| blob_of(r, "errors"))
            .transpose()?
            .flatten())
    }

    /// Moves the owner's waiting job of `kind` to running for `node`, holding it until
    /// `now + lease`. Of two nodes (or two clicks) only one gets it: the job, or `None`.
    pub fn claim_job(
        &self,
        id: &str,
        owner_id: i64,
        kind: &str,
        node: &str,
        lease: TimeDelta,
    ) -> StoreResult<Option<Job>> {
        let until = crate::time_text(self.now() + lease);
        let n = self.conn()?.exec(
            "UPDATE jobs SET state = 'running', node = $4, lease_until = $5, progress = NULL, updated_at = $6 WHERE id = $1 AND owner_id = $2 AND kind = $3 AND state = 'ready'",
            &[
                Val::from(id),
                Val::Int(owner_id),
                Val::from(kind),
                Val::from(node),
                Val::from(until),
                Val::from(self.now_text()),
            ],
        )?;
        if n == 1 { self.job(id) } else { Ok(None) }
    }

    /// Records a running job's progress and renews its lease, if `node` still holds it: false
    /// when the job was given to another (its lease ran out).
    pub fn job_progress(
        &self,
        id: &str,
        node: &str,
        progress: &str,
        lease: TimeDelta,
    ) -> StoreResult<bool> {
        let until = crate::time_text(self.now() + lease);
        let n = self.conn()?.exec(
            "UPDATE jobs SET progress = $2, lease_until = $3, updated_at = $4 WHERE id = $1 AND state = 'running' AND node = $5",
            &[
                Val::from(id),
                Val::from(progress),
                Val::from(until),
                Val::from(self.now_text()),
                Val::from(node),
            ],
        )?;
        Ok(n == 1)
    }

    /// Ends a job: done or failed, with its outcome and its rejected rows. Its file goes: what it
    /// held is in the database now, or the failure says why not.
    ///
    /// Only the node holding the job ends it: false (nothing written) when the job was given to
    /// another after this node's lease ran out.
    pub fn finish_job(
        &self,
        id: &str,
        node: &str,
        state: JobState,
        outcome: &str,
        errors: Option<Vec<u8>>,
    ) -> StoreResult<bool> {
        let n = self.conn()?.exec(
            "UPDATE jobs SET state = $2, outcome = $3, errors = $4, input = NULL, node = NULL, lease_until = NULL, updated_at = $5 WHERE id = $1 AND state = 'running' AND node = $6",
            &[
                Val::from(id),
                Val::from(state.code()),
                Val::from(outcome),
                errors.map(Val::Blob).unwrap_or(Val::Null),
                Val::from(self.now_text()),
                Val::from(node),
            ],
        )?;
        Ok(n == 1)
    }

    /// Jobs whose node stopped while running them (their lease ran out) wait again, their file
    /// still there: the official starts the import again. How many were given back.
    pub fn release_lapsed_jobs(&self) -> StoreResult<u64> {
        self.conn()?.exec(
            "UPDATE jobs SET state = 'ready', node = NULL, lease_until = NULL, outcome = $2, updated_at = $1 WHERE state = 'running' AND lease_until < $1 AND input IS NOT NULL",
            &[
                Val::from(self.now_text()),
                Val::from("上次导入因服务重启而中断，文件仍在，请重新开始导入"),
            ],
        )
    }
}
