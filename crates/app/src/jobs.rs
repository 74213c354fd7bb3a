//! Background jobs, with their state in the database: an uploaded file of records (or of the
//! roster) is staged there with its name and provider, previewed from there, imported by whichever
//! node the official's click reaches, and its progress, outcome and rejected rows are written back
//! there. So several `serve` nodes need no sticky sessions, and a restarted node loses nothing: a
//! job whose node stopped goes back to waiting when its lease runs out.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::TimeDelta;
use probity_store::{Channel, Job, JobState, NewJob};
use serde::{Deserialize, Serialize};

use crate::import::Progress;
use crate::{Actor, App, AppError, AppResult};

/// How long a node holds a running job without reporting progress before another may take it
/// (progress comes every batch of 1,000 rows; a roster or the first batch of a large workbook
/// may take a while, and nodes' clocks may differ a little).
pub const LEASE: TimeDelta = TimeDelta::minutes(10);

/// What an uploaded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    Records,
    Roster,
}

impl UploadKind {
    fn code(self) -> &'static str {
        match self {
            UploadKind::Records => "records_upload",
            UploadKind::Roster => "roster_upload",
        }
    }
    fn parse(s: &str) -> AppResult<UploadKind> {
        match s {
            "records_upload" => Ok(UploadKind::Records),
            "roster_upload" => Ok(UploadKind::Roster),
            other => Err(AppError::Other(format!("unknown job kind {other}"))),
        }
    }
}

/// How far a running import is, as stored between reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progressed {
    pub done: u64,
    pub total: u64,
    pub by_bytes: bool,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

impl From<Progress> for Progressed {
    fn from(p: Progress) -> Self {
        Progressed {
            done: p.done,
            total: p.total,
            by_bytes: p.by_bytes,
            accepted: p.accepted,
            duplicates: p.duplicates,
            rejected: p.rejected,
        }
    }
}

/// The counts of a finished import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl From<&crate::import::Summary> for Finished {
    fn from(s: &crate::import::Summary) -> Self {
        Finished {
            accepted: s.accepted,
            duplicates: s.duplicates,
            rejected: s.rejected,
            updated: s.updated,
            unchanged: s.unchanged,
        }
    }
}

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Staged and previewable, waiting for the official to start the import; with a note when
    /// an earlier run was interrupted.
    Ready(Option<String>),
    Running(Progressed),
    Done(Finished),
    Failed(String),
}

/// An upload as its owner sees it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub kind: UploadKind,
    pub file_name: String,
    /// The provider the records are imported for (a reference the import resolves).
    pub provider: String,
    pub stage: Stage,
    pub has_errors: bool,
    pub created_at: String,
}

fn upload_of(j: Job) -> AppResult<Upload> {
    let stage = match j.state {
        JobState::Ready => Stage::Ready(j.outcome),
        JobState::Running => Stage::Running(
            j.progress
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default(),
        ),
        JobState::Done => Stage::Done(
            j.outcome
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or_default(),
        ),
        JobState::Failed => Stage::Failed(j.outcome.unwrap_or_default()),
    };
    Ok(Upload {
        id: j.id,
        kind: UploadKind::parse(&j.kind)?,
        file_name: j.file_name,
        provider: j.provider,
        stage,
        has_errors: j.has_errors,
        created_at: j.created_at,
    })
}

/// This process, as the node that holds a job: its id and a random suffix.
pub fn node_id() -> &'static str {
    static NODE: OnceLock<String> = OnceLock::new();
    NODE.get_or_init(|| {
        let mut b = [0u8; 4];
        let _ = getrandom::fill(&mut b);
        format!("{}-{}", std::process::id(), hex::encode(b))
    })
}

/// Stages an uploaded file for the actor: records for `provider` (already checked), or a roster.
pub fn stage(
    app: &App,
    actor: &Actor,
    kind: UploadKind,
    id: &str,
    file_name: &str,
    provider: &str,
    bytes: Vec<u8>,
) -> AppResult<()> {
    Ok(app.store().stage_job(NewJob {
        id,
        kind: kind.code(),
        owner_id: actor.account.id,
        file_name,
        provider,
        state: JobState::Ready,
        input: bytes,
    })?)
}

/// The actor's own upload; someone else's answers like a missing one. Jobs whose node stopped
/// are given back first, so that no page shows an import running that nobody runs.
pub fn own(app: &App, actor: &Actor, id: &str) -> AppResult<Upload> {
    let store = app.store();
    store.release_lapsed_jobs()?;
    match store.job(id)? {
        Some(j) if j.owner_id == actor.account.id => upload_of(j),
        _ => Err(AppError::NotFound("未找到：上传文件".into())),
    }
}

/// The actor's newest uploads.
pub fn own_list(app: &App, actor: &Actor, limit: u32) -> AppResult<Vec<Upload>> {
    let store = app.store();
    store.release_lapsed_jobs()?;
    store
        .jobs_of(actor.account.id, limit)?
        .into_iter()
        .map(upload_of)
        .collect()
}

/// A job's file written out under `dir` with its own name (the import records that name as the
/// records' provenance): `None` when the file is gone (the import finished).
fn write_input(app: &App, u: &Upload, dir: &Path) -> AppResult<Option<PathBuf>> {
    let Some(bytes) = app.store().job_input(&u.id)? else {
        return Ok(None);
    };
    let path = dir.join("input").join(&u.file_name);
    std::fs::create_dir_all(dir.join("input"))
        .and_then(|_| std::fs::write(&path, bytes))
        .map_err(|e| AppError::Other(format!("upload file: {e}")))?;
    Ok(Some(path))
}

fn scratch() -> AppResult<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("probity-job")
        .tempdir()
        .map_err(|e| AppError::Other(format!("temp dir: {e}")))
}

/// Runs `f` on the actor's upload's file (for its preview); `None` when the file is gone.
pub fn with_input<T>(
    app: &App,
    actor: &Actor,
    id: &str,
    f: impl FnOnce(&Path) -> T,
) -> AppResult<Option<T>> {
    let u = own(app, actor, id)?;
    let dir = scratch()?;
    Ok(write_input(app, &u, dir.path())?.map(|p| f(&p)))
}

/// The rejected rows of the actor's finished upload (.xlsx).
pub fn errors(app: &App, actor: &Actor, id: &str) -> AppResult<Vec<u8>> {
    let u = own(app, actor, id)?;
    if !matches!(u.stage, Stage::Done(_)) {
        return Err(AppError::NotFound("未找到：该文件尚未导入完成".into()));
    }
    app.store()
        .job_errors(id)?
        .ok_or_else(|| AppError::NotFound("未找到：退回行文件".into()))
}

/// Takes the actor's waiting upload of `kind` for this node: of two clicks, on one node or two,
/// only one gets it. `None` when it is not waiting (running, done) or not the actor's.
pub fn claim(app: &App, actor: &Actor, id: &str, kind: UploadKind) -> AppResult<Option<Upload>> {
    app.store()
        .claim_job(id, actor.account.id, kind.code(), node_id(), LEASE)?
        .map(upload_of)
        .transpose()
}

/// Runs a claimed upload's import to its end and records what it came to. Never fails: a failure
/// is the job's outcome, logged, and shown on its page. If this node lost the job meanwhile (its
/// lease ran out and another took it), its outcome is not written over the other's.
pub fn run(app: &App, actor: &Actor, u: &Upload) -> Stage {
    let stage = match run_inner(app, actor, u) {
        Ok((finished, errors)) => {
            let outcome = serde_json::to_string(&finished).unwrap_or_default();
            match app
                .store()
                .finish_job(&u.id, node_id(), JobState::Done, &outcome, errors)
            {
                Ok(true) => return Stage::Done(finished),
                Ok(false) => {
                    tracing::warn!(upload = %u.id, "the job was given to another node before it finished here");
                    return Stage::Done(finished);
                }
                Err(e) => failure(AppError::from(e)),
            }
        }
        Err(e) => failure(e),
    };
    if let Stage::Failed(m) = &stage
        && let Err(e) = fail(app, &u.id, m)
    {
        tracing::error!(upload = %u.id, error = %e, "could not record a failed import");
    }
    stage
}

/// What a failed import tells the official: the file's problem or the rule broken; a failure of
/// the server in general words (its detail goes to the log).
fn failure(e: AppError) -> Stage {
    Stage::Failed(match e {
        AppError::File(f) => f.message,
        e @ (AppError::Store(_) | AppError::Other(_)) => {
            tracing::error!(error = %e, "an upload's import failed");
            "系统内部错误，请稍后再试；如持续出现请联系系统管理员".into()
        }
        other => other.to_string(),
    })
}

fn run_inner(app: &App, actor: &Actor, u: &Upload) -> AppResult<(Finished, Option<Vec<u8>>)> {
    let dir = scratch()?;
    let input = write_input(app, u, dir.path())?
        .ok_or_else(|| AppError::Other("the upload's file is gone".into()))?;
    let errors_path = dir.path().join("errors.xlsx");
    let summary = match u.kind {
        UploadKind::Records => {
            let report = |p: Progress| {
                let json = serde_json::to_string(&Progressed::from(p)).unwrap_or_default();
                match app.store().job_progress(&u.id, node_id(), &json, LEASE) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(upload = %u.id, "the job was given to another node")
                    }
                    Err(e) => {
                        tracing::warn!(upload = %u.id, error = %e, "could not record progress")
                    }
                }
            };
            crate::files::import_records(
                app,
                actor,
                crate::files::RecordsFile {
                    file: &input,
                    provider: &u.provider,
                    activate: false,
                    all_or_nothing: false,
                    errors: Some(errors_path.clone()),
                    batch_size: 1000,
                    max_shown: crate::import::SHOWN,
                    progress: Some(&report),
                    channel: Channel::File,
                },
            )?
        }
        UploadKind::Roster => {
            crate::files::import_roster_file(app, actor, &input, Some(errors_path.clone()))?
        }
    };
    let errors = if summary.rejected > 0 {
        std::fs::read(&errors_path).ok()
    } else {
        None
    };
    Ok((Finished::from(&summary), errors))
}

/// Gives back the jobs whose node stopped (at `serve`'s start, and whenever uploads are read).
pub fn release_lapsed(app: &App) -> AppResult<u64> {
    Ok(app.store().release_lapsed_jobs()?)
}

/// Ends a job this node runs as failed with `message`.
pub fn fail(app: &App, id: &str, message: &str) -> AppResult<()> {
    if !app
        .store()
        .finish_job(id, node_id(), JobState::Failed, message, None)?
    {
        tracing::warn!(upload = %id, "a failed job was no longer this node's");
    }
    Ok(())
}
