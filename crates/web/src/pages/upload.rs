//! Uploading a file of records (or, for the credit office, a roster): the file is stored under
//! the upload directory, previewed, imported in the background with its progress shown, and its
//! rejected rows offered back as an .xlsx to fix and upload again. Only the uploader sees an
//! upload. Uploads live in this process's memory and its upload directory: a node that restarts
//! forgets them, which costs the official a new upload and nothing else.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use probity_app::import::{ImportFailure, Progress, RecordImportArgs, RosterImportArgs, Summary};
use probity_domain::account::AccountRole;
use probity_ingest::{ColumnSpec, TableReader};
use probity_store::Channel;

use super::{
    Ctx, Empty, Layout, PageError, PageForm, PageResult, csrf_ok, csrf_refused, done, error_page,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::blocking;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/upload",
            get(upload_page)
                .post(upload_records)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/console/subjects/import",
            post(upload_roster).layer(DefaultBodyLimit::disable()),
        )
        .route("/console/upload/{id}", get(status_page))
        .route("/console/upload/{id}/import", post(start_import))
        .route("/console/upload/{id}/errors.xlsx", get(errors_file))
}

/// What an uploaded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    Records,
    Roster,
}

/// Where an upload stands.
#[derive(Debug, Clone)]
pub enum UploadStatus {
    /// Stored and previewed, waiting for the official to start the import.
    Ready,
    Running(Progress),
    Done(Finished),
    Failed(String),
}

/// The counts of a finished import.
#[derive(Debug, Clone)]
pub struct Finished {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl From<&Summary> for Finished {
    fn from(s: &Summary) -> Self {
        Finished {
            accepted: s.accepted,
            duplicates: s.duplicates,
            rejected: s.rejected,
            updated: s.updated,
            unchanged: s.unchanged,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub owner: i64,
    pub kind: UploadKind,
    pub file_name: String,
    pub path: PathBuf,
    /// The provider the records are imported for (the credit office names one).
    pub provider: String,
    pub status: UploadStatus,
    pub at: String,
}

impl Upload {
    fn errors_path(&self) -> PathBuf {
        self.path.with_file_name("errors.xlsx")
    }
}

/// How many uploads the process remembers.
const MAX_UPLOADS: usize = 500;

/// The uploads of this process, by random id.
pub struct Uploads {
    dir: PathBuf,
    /// Largest file accepted, in bytes.
    limit: u64,
    _tmp: Option<tempfile::TempDir>,
    map: Mutex<HashMap<String, Upload>>,
}

impl Uploads {
    pub fn new(dir: Option<PathBuf>, limit: u64) -> Uploads {
        let (dir, tmp) = match dir {
            Some(d) => (d, None),
            None => match tempfile::Builder::new().prefix("probity-uploads").tempdir() {
                Ok(t) => (t.path().to_path_buf(), Some(t)),
                Err(_) => (std::env::temp_dir().join("probity-uploads"), None),
            },
        };
        Uploads {
            dir,
            limit,
            _tmp: tmp,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, id: &str) -> Option<Upload> {
        self.map.lock().ok()?.get(id).cloned()
    }

    fn set_status(&self, id: &str, status: UploadStatus) {
        if let Ok(mut m) = self.map.lock()
            && let Some(u) = m.get_mut(id)
        {
            u.status = status;
        }
    }

    /// Keeps at most `MAX_UPLOADS`: the oldest finished ones go first, with their files.
    fn insert(&self, id: String, u: Upload) {
        let Ok(mut m) = self.map.lock() else {
            return;
        };
        if m.len() >= MAX_UPLOADS {
            let mut finished: Vec<(String, String)> = m
                .iter()
                .filter(|(_, u)| !matches!(u.status, UploadStatus::Running(_)))
                .map(|(k, u)| (u.at.clone(), k.clone()))
                .collect();
            finished.sort();
            for (_, k) in finished.into_iter().take(m.len() + 1 - MAX_UPLOADS) {
                if m.remove(&k).is_some() {
                    let _ = std::fs::remove_dir_all(self.dir.join(&k));
                }
            }
        }
        m.insert(id, u);
    }

    fn of_owner(&self, owner: i64) -> Vec<(String, Upload)> {
        let mut v: Vec<(String, Upload)> = self
            .map
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|(_, u)| u.owner == owner)
                    .map(|(k, u)| (k.clone(), u.clone()))
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| b.1.at.cmp(&a.1.at));
        v.truncate(20);
        v
    }
}

/// The caller's upload, or 404: someone else's upload is not the caller's business.
fn own_upload(state: &AppState, ctx: &Ctx, id: &str) -> Result<Upload, PageError> {
    state
        .uploads
        .get(id)
        .filter(|u| u.owner == ctx.caller.account.id)
        .ok_or_else(|| PageError(ApiError::NotFound("未找到：上传文件".into())))
}

pub struct UploadItem {
    pub id: String,
    pub file_name: String,
    pub status: String,
}

fn status_label(s: &UploadStatus) -> String {
    match s {
        UploadStatus::Ready => "待导入".into(),
        UploadStatus::Running(_) => "导入中".into(),
        UploadStatus::Done(f) => format!("已完成：接收 {}，退回 {}", f.accepted, f.rejected),
        UploadStatus::Failed(_) => "失败".into(),
    }
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadTpl {
    l: Layout,
    admin: bool,
    limit_mb: u64,
    uploads: Vec<UploadItem>,
}

async fn upload_page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let uploads = state
        .uploads
        .of_owner(ctx.caller.account.id)
        .into_iter()
        .map(|(id, u)| UploadItem {
            id,
            file_name: u.file_name,
            status: status_label(&u.status),
        })
        .collect();
    Ok(ctx.page(&UploadTpl {
        l: ctx.layout("批量导入信用记录"),
        admin: ctx.role() == AccountRole::Admin,
        limit_mb: state.uploads.limit / (1024 * 1024),
        uploads,
    }))
}

fn too_large(limit: u64) -> Response {
    let mut res = error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "上传文件过大：最多 {} MB。请拆分为几个文件后分别上传",
            (limit / (1024 * 1024)).max(1)
        ),
    );
    // The rest of the body is never read, so the connection cannot carry another request.
    res.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    res
}

/// Keeps a file name readable but harmless: no directories, no control characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .take(100)
        .collect();
    let s = s.trim().trim_start_matches('.').to_string();
    if s.is_empty() { "upload.csv".into() } else { s }
}

/// A multipart upload: its form fields and the stored file. The CSRF field must come before the
/// file (as the form writes it), so that no file is stored for a forged request.
struct Received {
    fields: HashMap<String, String>,
    file: Option<(String, PathBuf)>,
}

async fn receive(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    mut mp: Multipart,
    id: &str,
) -> Result<Received, Response> {
    let limit = state.uploads.limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit + 64 * 1024) {
        return Err(too_large(limit));
    }
    let mut fields = HashMap::new();
    let mut file = None;
    let mut csrf_checked = false;
    let dir = state.uploads.dir.join(id);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(error_page(
                    e.status(),
                    &format!("上传内容无法读取：{}", e.body_text()),
                ));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(fname) = field.file_name().map(str::to_string) {
            if !csrf_checked && !csrf_ok(ctx, "") {
                return Err(csrf_refused());
            }
            let fname = clean_name(&fname);
            std::fs::create_dir_all(&dir)
                .map_err(|e| PageError(ApiError::Internal(e.to_string())).into_response())?;
            let path = dir.join(&fname);
            let mut out = tokio::fs::File::create(&path)
                .await
                .map_err(|e| PageError(ApiError::Internal(e.to_string())).into_response())?;
            let mut written: u64 = 0;
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(bytes)) => {
                        written += bytes.len() as u64;
                        if written > limit {
                            drop(out);
                            let _ = std::fs::remove_dir_all(&dir);
                            return Err(too_large(limit));
                        }
                        use tokio::io::AsyncWriteExt;
                        out.write_all(&bytes).await.map_err(|e| {
                            PageError(ApiError::Internal(e.to_string())).into_response()
                        })?;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        drop(out);
                        let _ = std::fs::remove_dir_all(&dir);
                        return Err(error_page(
                            e.status(),
                            &format!("上传内容无法读取：{}", e.body_text()),
                        ));
                    }
                }
            }
            use tokio::io::AsyncWriteExt;
            out.flush()
                .await
                .map_err(|e| PageError(ApiError::Internal(e.to_string())).into_response())?;
            if written == 0 {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(error_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "请选择要上传的文件（文件不能为空）",
                ));
            }
            file = Some((fname, path));
        } else {
            let value = field.text().await.unwrap_or_default();
            if name == "csrf" {
                if !csrf_ok(ctx, &value) {
                    return Err(csrf_refused());
                }
                csrf_checked = true;
            }
            fields.insert(name, value.chars().take(500).collect());
        }
    }
    if !csrf_checked && !csrf_ok(ctx, "") {
        return Err(csrf_refused());
    }
    Ok(Received { fields, file })
}

fn new_id() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(hex::encode(b))
}

async fn upload_records(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    mp: Multipart,
) -> PageResult {
    let id = new_id()?;
    let got = match receive(&state, &ctx, &headers, mp, &id).await {
        Ok(g) => g,
        Err(res) => return Ok(res),
    };
    let Some((file_name, path)) = got.file else {
        return Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请选择要上传的文件",
        ));
    };
    let provider = got
        .fields
        .get("provider")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    if ctx.role() == AccountRole::Admin && provider.is_empty() {
        let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
        return Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请填写报送单位（简称、全称或统一社会信用代码）",
        ));
    }
    state.uploads.insert(
        id.clone(),
        Upload {
            owner: ctx.caller.account.id,
            kind: UploadKind::Records,
            file_name: file_name.clone(),
            path,
            provider,
            status: UploadStatus::Ready,
            at: probity_store::now_text(),
        },
    );
    Ok(done(
        &format!("/console/upload/{id}"),
        &format!("已上传文件“{file_name}”，请核对预览后开始导入"),
    ))
}

/// The credit office's roster upload: small files, imported at once.
async fn upload_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    mp: Multipart,
) -> PageResult {
    let id = new_id()?;
    let got = match receive(&state, &ctx, &headers, mp, &id).await {
        Ok(g) => g,
        Err(res) => return Ok(res),
    };
    let Some((file_name, path)) = got.file else {
        return Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请选择要上传的名录文件",
        ));
    };
    let upload = Upload {
        owner: ctx.caller.account.id,
        kind: UploadKind::Roster,
        file_name: file_name.clone(),
        path: path.clone(),
        provider: String::new(),
        status: UploadStatus::Ready,
        at: probity_store::now_text(),
    };
    let errors = upload.errors_path();
    let store = state.store.clone();
    let actor = ctx.caller.actor();
    let source = path.clone();
    let result = blocking(move || {
        Ok(probity_app::import::import_roster(
            &store,
            RosterImportArgs {
                file: &path,
                allow_check_override: false,
                errors: Some(errors),
                actor,
            },
        ))
    })
    .await?;
    let _ = std::fs::remove_file(&source);
    let (status, message) = match result {
        Ok(s) => (
            UploadStatus::Done(Finished::from(&s)),
            format!(
                "已导入名录“{file_name}”：新增 {}，更新 {}，未变 {}，退回 {}",
                s.accepted, s.updated, s.unchanged, s.rejected
            ),
        ),
        Err(e) => {
            let m = failure_message(e);
            (
                UploadStatus::Failed(m.clone()),
                format!("名录“{file_name}”未能导入：{m}"),
            )
        }
    };
    state
        .uploads
        .insert(id.clone(), Upload { status, ..upload });
    Ok(done(&format!("/console/upload/{id}"), &message))
}

fn failure_message(e: ImportFailure) -> String {
    match e {
        ImportFailure::File(f) => f.message,
        ImportFailure::Other(detail) => {
            tracing::error!(%detail, "page import failed");
            "系统内部错误，请稍后再试；如持续出现请联系系统管理员".into()
        }
    }
}

/// The columns of the rejected-rows file this page reads back.
const ERROR_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        key: "row",
        header: "行号",
        required: true,
        aliases: &[],
    },
    ColumnSpec {
        key: "column",
        header: "列",
        required: false,
        aliases: &[],
    },
    ColumnSpec {
        key: "reason",
        header: "错误原因",
        required: true,
        aliases: &[],
    },
];

pub struct PreviewRow {
    pub number: usize,
    pub cells: Vec<String>,
    pub error: Option<String>,
}

pub struct RejectedRow {
    pub row: String,
    pub column: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "upload_status.html")]
struct StatusTpl {
    l: Layout,
    id: String,
    file_name: String,
    roster: bool,
    /// Ready: the preview.
    ready: bool,
    headers: Vec<&'static str>,
    preview: Vec<PreviewRow>,
    file_error: Option<String>,
    /// Running: how far.
    running: bool,
    percent: u64,
    progress: String,
    done: Option<Finished>,
    rejected: Vec<RejectedRow>,
    failed: Option<String>,
}

fn preview(path: &FsPath, columns: &'static [ColumnSpec]) -> Result<Vec<PreviewRow>, String> {
    let reader = TableReader::open(path, columns).map_err(|e| e.message)?;
    let mut rows = Vec::new();
    for item in reader.take(10) {
        match item {
            Ok(r) => rows.push(PreviewRow {
                number: r.number,
                cells: r.cells,
                error: None,
            }),
            Err(e) if e.fatal => return Err(e.message),
            Err(e) => rows.push(PreviewRow {
                number: e.row.unwrap_or(0),
                cells: vec![],
                error: Some(e.message),
            }),
        }
    }
    Ok(rows)
}

fn rejected_rows(path: &FsPath) -> Vec<RejectedRow> {
    let Ok(reader) = TableReader::open(path, ERROR_COLUMNS) else {
        return vec![];
    };
    reader
        .filter_map(Result::ok)
        .take(100)
        .map(|r| RejectedRow {
            row: r.cells.first().cloned().unwrap_or_default(),
            column: r.cells.get(1).cloned().unwrap_or_default(),
            reason: r.cells.get(2).cloned().unwrap_or_default(),
        })
        .collect()
}

async fn status_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let u = own_upload(&state, &ctx, &id)?;
    let columns = match u.kind {
        UploadKind::Records => probity_app::columns::RECORDS,
        UploadKind::Roster => probity_app::columns::ROSTER,
    };
    let mut t = StatusTpl {
        l: ctx.layout(&format!("导入：{}", u.file_name)),
        id: id.clone(),
        file_name: u.file_name.clone(),
        roster: u.kind == UploadKind::Roster,
        ready: false,
        headers: columns.iter().map(|c| c.header).collect(),
        preview: vec![],
        file_error: None,
        running: false,
        percent: 0,
        progress: String::new(),
        done: None,
        rejected: vec![],
        failed: None,
    };
    match &u.status {
        UploadStatus::Ready => {
            t.ready = true;
            let path = u.path.clone();
            match blocking(move || Ok(preview(&path, columns))).await? {
                Ok(rows) => t.preview = rows,
                Err(m) => t.file_error = Some(m),
            }
        }
        UploadStatus::Running(p) => {
            t.running = true;
            t.percent = (p.done * 100).checked_div(p.total).unwrap_or(0).min(100);
            t.progress = format!(
                "已处理 {}{}：接收 {}，重复 {}，退回 {}",
                if p.total > 0 {
                    format!("{}%", t.percent)
                } else {
                    String::new()
                },
                if p.by_bytes { "（按字节）" } else { "" },
                p.accepted,
                p.duplicates,
                p.rejected
            );
        }
        UploadStatus::Done(f) => {
            if f.rejected > 0 {
                let path = u.errors_path();
                t.rejected = blocking(move || Ok(rejected_rows(&path))).await?;
            }
            t.done = Some(f.clone());
        }
        UploadStatus::Failed(m) => t.failed = Some(m.clone()),
    }
    Ok(ctx.page(&t))
}

async fn start_import(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<Empty>,
) -> PageResult {
    let u = own_upload(&state, &p.ctx, &id)?;
    if !matches!(u.status, UploadStatus::Ready) || u.kind != UploadKind::Records {
        return Ok(done(
            &format!("/console/upload/{id}"),
            "该文件已导入或正在导入，未重复导入",
        ));
    }
    let caller = p.ctx.caller.clone();
    let store = state.store.clone();
    // The provider as the importer names it: a provider account always imports as its own unit.
    let provider = match caller.role() {
        AccountRole::Provider => {
            let unit = caller
                .unit()
                .ok_or_else(|| PageError(ApiError::Forbidden("账号未绑定单位".into())))?;
            let s = store.clone();
            let subject = blocking(move || Ok(s.subject(unit)?)).await?;
            subject.uscc.unwrap_or(subject.name)
        }
        _ => u.provider.clone(),
    };
    state
        .uploads
        .set_status(&id, UploadStatus::Running(Progress::default()));
    let uploads: Arc<super::upload::Uploads> = state.uploads.clone();
    let (task_id, errors) = (id.clone(), u.errors_path());
    tokio::task::spawn_blocking(move || {
        let report = |pr: Progress| uploads.set_status(&task_id, UploadStatus::Running(pr));
        let result = probity_app::import::import_records(
            &store,
            RecordImportArgs {
                file: &u.path,
                provider: &provider,
                activate: false,
                all_or_nothing: false,
                errors: Some(errors),
                batch_size: 1000,
                actor: caller.actor(),
                today: probity_app::today(),
                progress: Some(&report),
                channel: Channel::File,
            },
        );
        let status = match result {
            Ok(s) => UploadStatus::Done(Finished::from(&s)),
            Err(e) => UploadStatus::Failed(failure_message(e)),
        };
        // The records are in the database now; only the rejected rows stay for download.
        let _ = std::fs::remove_file(&u.path);
        uploads.set_status(&task_id, status);
    });
    Ok(done(
        &format!("/console/upload/{id}"),
        &format!("已开始导入“{}”", u.file_name),
    ))
}

async fn errors_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let u = own_upload(&state, &ctx, &id)?;
    if !matches!(u.status, UploadStatus::Done(_)) {
        return Err(PageError(ApiError::NotFound(
            "未找到：该文件尚未导入完成".into(),
        )));
    }
    let path = u.errors_path();
    let bytes = blocking(move || {
        std::fs::read(&path).map_err(|_| ApiError::NotFound("未找到：退回行文件".into()))
    })
    .await?;
    let stem = FsPath::new(&u.file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(super::records::xlsx_download(
        bytes,
        "errors.xlsx",
        &format!("退回行-{stem}.xlsx"),
    ))
}
