//! Uploading a file of records (or, for the credit office, a roster): the file is stored under
//! the upload directory, previewed, imported in the background with its progress shown, and its
//! rejected rows offered back as an .xlsx to fix and upload again. Only the uploader sees an
//! upload.
//!
//! An upload is a job in the database (`probity_app::jobs`): its file, its provider, its state,
//! the progress of its import and its rejected rows are stored there, so that behind several
//! `serve` nodes any node shows its preview and status and starts its import (no sticky sessions),
//! and a restart loses nothing: an import whose node stopped goes back to waiting, its file still
//! there. The import is idempotent (a record already stored counts as a duplicate), so starting it
//! again is safe.
//!
//! While it is received, the file is streamed to a directory of its own under the upload
//! directory, within the size limit, and only then stored; the import runs on a copy written out
//! under its own name (the records' provenance, 来源).

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use probity_app::jobs::{self, Stage, UploadKind};
use probity_domain::account::AccountRole;
use probity_ingest::{ColumnSpec, TableReader};

use super::kit::{Ctx, Empty, Layout, PageForm, csrf_ok, csrf_refused};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{PageError, PageResult, done, error_page};

pub fn router() -> Router<AppState> {
    // axum's own body limit is off: `receive` holds the whole body to one budget, chunked or not.
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

/// Where an upload's file is kept: in a directory of its own, so that no name can land on the
/// rejected-rows file.
fn input_path(dir: &FsPath, file_name: &str) -> PathBuf {
    dir.join("input").join(file_name)
}

/// Where uploads are received before they are stored, and how large they may be.
pub struct Uploads {
    dir: PathBuf,
    /// Largest file accepted, in bytes.
    limit: u64,
    _tmp: Option<tempfile::TempDir>,
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
        }
    }
}

/// The caller's upload, or 404: someone else's upload is not the caller's business.
async fn own_upload(state: &AppState, ctx: &Ctx, id: &str) -> Result<jobs::Upload, PageError> {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let id = id.to_string();
    Ok(blocking(move || Ok(jobs::own(&app, &who, &id)?)).await?)
}

pub struct UploadItem {
    pub id: String,
    pub file_name: String,
    pub status: String,
}

/// An upload in the list, in the words its status page uses.
fn status_label(kind: UploadKind, s: &Stage) -> String {
    match (kind, s) {
        (_, Stage::Ready(_)) => "待导入".into(),
        (_, Stage::Running(_)) => "导入中".into(),
        (UploadKind::Records, Stage::Done(f)) => format!(
            "已完成：接收 {}，重复 {}，退回 {}",
            f.accepted, f.duplicates, f.rejected
        ),
        (UploadKind::Roster, Stage::Done(f)) => format!(
            "已完成：新增 {}，更新 {}，未变 {}，退回 {}",
            f.accepted, f.updated, f.unchanged, f.rejected
        ),
        (_, Stage::Failed(_)) => "失败".into(),
    }
}

/// A size limit as people read it.
fn size_text(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", (bytes / 1024).max(1))
    }
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadTpl {
    l: Layout,
    admin: bool,
    limit: String,
    /// The provider named in a refused form, shown back.
    provider: String,
    provider_error: Option<String>,
    uploads: Vec<UploadItem>,
}

/// The upload form; with `provider_error`, the form refused (422) with the provider shown back.
async fn upload_form(
    state: &AppState,
    ctx: &Ctx,
    provider: String,
    provider_error: Option<String>,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let uploads = blocking(move || Ok(jobs::own_list(&app, &who, 20)?))
        .await?
        .into_iter()
        .map(|u| UploadItem {
            status: status_label(u.kind, &u.stage),
            id: u.id,
            file_name: u.file_name,
        })
        .collect();
    let refused = provider_error.is_some();
    let mut res = ctx.page(&UploadTpl {
        l: ctx.layout("批量导入信用记录"),
        admin: ctx.role() == AccountRole::Admin,
        limit: size_text(state.uploads.limit),
        provider,
        provider_error,
        uploads,
    });
    if refused {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn upload_page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    upload_form(&state, &ctx, String::new(), None).await
}

fn too_large(limit: u64) -> Response {
    error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "上传文件过大：最多 {}。请拆分为几个文件后分别上传",
            size_text(limit)
        ),
    )
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

/// Room beyond the file for the form's other fields and the multipart framing.
const FORM_ALLOWANCE: u64 = 64 * 1024;
/// Largest text field of an upload form (the CSRF token, the provider's name).
const FIELD_LIMIT: usize = 4 * 1024;

/// An upload's directory while the upload is received, checked and stored: removed again, with
/// whatever was written to it, when the upload is done with it.
struct UploadDir {
    path: PathBuf,
}

impl Drop for UploadDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A multipart upload: its form fields and its one file, stored under `dir`. The CSRF field must
/// come before the file (as the form writes it), so that no file is stored for a forged request.
struct Received {
    fields: HashMap<String, String>,
    file_name: Option<String>,
    dir: UploadDir,
}

/// The request body, cut off once it passes `budget` bytes whatever length it declares (a chunked
/// body declares none); `over` then tells why the multipart reader stopped.
fn budgeted(body: Body, budget: u64, over: Arc<AtomicBool>) -> Body {
    use futures_util::StreamExt;
    let mut seen: u64 = 0;
    Body::from_stream(body.into_data_stream().map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len() as u64;
        if seen > budget {
            over.store(true, Ordering::Relaxed);
            return Err(axum::Error::new("upload body over its budget"));
        }
        Ok(chunk)
    }))
}

/// Receives an upload form: the whole body within the file limit plus `FORM_ALLOWANCE`, the file
/// within the limit, each text field within `FIELD_LIMIT`, and one file only. A refused upload
/// leaves nothing behind, and closes the connection: most refusals come before the body is read to
/// its end.
async fn receive(
    state: &AppState,
    ctx: &Ctx,
    req: Request,
    id: &str,
) -> Result<Received, Response> {
    receive_fields(state, ctx, req, id)
        .await
        .map_err(|mut res| {
            res.headers_mut().insert(
                header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            res
        })
}

async fn receive_fields(
    state: &AppState,
    ctx: &Ctx,
    req: Request,
    id: &str,
) -> Result<Received, Response> {
    let limit = state.uploads.limit;
    let budget = limit + FORM_ALLOWANCE;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > budget) {
        return Err(too_large(limit));
    }
    let over = Arc::new(AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts, budgeted(body, budget, over.clone()));
    let mut mp = Multipart::from_request(req, state).await.map_err(|_| {
        page_error(ApiError::bad_request(
            "MULTIPART_INVALID",
            "上传内容无法读取：请通过页面上的表单选择文件上传",
        ))
    })?;
    let unreadable = |e: MultipartError| {
        if over.load(Ordering::Relaxed) || e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return too_large(limit);
        }
        tracing::debug!(error = %e.body_text(), "page upload unreadable");
        page_error(ApiError::bad_request(
            "UPLOAD_UNREADABLE",
            "上传内容无法读取：传输中断或格式有误，请重新选择文件上传",
        ))
    };
    let mut got = Received {
        fields: HashMap::new(),
        file_name: None,
        dir: UploadDir {
            path: state.uploads.dir.join(id),
        },
    };
    let mut csrf_checked = false;
    while let Some(mut field) = mp.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        let Some(sent_name) = field.file_name().map(str::to_string) else {
            let value = read_text(&mut field).await.map_err(unreadable)?;
            let Some(value) = value else {
                return Err(error_page(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("表单内容过长：每项最多 {}", size_text(FIELD_LIMIT as u64)),
                ));
            };
            if name == "csrf" {
                if !csrf_ok(ctx, &value) {
                    return Err(csrf_refused());
                }
                csrf_checked = true;
            }
            got.fields.insert(name, value.chars().take(500).collect());
            continue;
        };
        if !csrf_checked && !csrf_ok(ctx, "") {
            return Err(csrf_refused());
        }
        if got.file_name.is_some() {
            return Err(page_error(ApiError::Unprocessable {
                code: "UPLOAD_ONE_FILE",
                message: "一次只能上传一个文件：请分别上传每个文件".into(),
                fields: vec![],
            }));
        }
        let file_name = clean_name(&sent_name);
        let written = store_file(&mut field, &input_path(&got.dir.path, &file_name), limit)
            .await
            .map_err(|e| match e {
                StoreFileError::TooLarge => too_large(limit),
                StoreFileError::Read(e) => unreadable(e),
                StoreFileError::Write(e) => page_error(ApiError::Internal(e.to_string())),
            })?;
        if written == 0 {
            return Err(error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "请选择要上传的文件（文件不能为空）",
            ));
        }
        got.file_name = Some(file_name);
    }
    if !csrf_checked && !csrf_ok(ctx, "") {
        return Err(csrf_refused());
    }
    Ok(got)
}

fn page_error(e: ApiError) -> Response {
    PageError(e).into_response()
}

/// A text field, read a chunk at a time; `None` when it passes `FIELD_LIMIT`.
async fn read_text(field: &mut Field<'_>) -> Result<Option<String>, MultipartError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > FIELD_LIMIT {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

enum StoreFileError {
    TooLarge,
    Read(MultipartError),
    Write(std::io::Error),
}

/// Streams the file part to `path`, refusing it as soon as it passes `limit`; the bytes written.
async fn store_file(
    field: &mut Field<'_>,
    path: &FsPath,
    limit: u64,
) -> Result<u64, StoreFileError> {
    use tokio::io::AsyncWriteExt;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(StoreFileError::Write)?;
    }
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(StoreFileError::Write)?;
    let mut written: u64 = 0;
    while let Some(bytes) = field.chunk().await.map_err(StoreFileError::Read)? {
        written += bytes.len() as u64;
        if written > limit {
            return Err(StoreFileError::TooLarge);
        }
        out.write_all(&bytes).await.map_err(StoreFileError::Write)?;
    }
    out.flush().await.map_err(StoreFileError::Write)?;
    Ok(written)
}

/// Why an upload's provider was not taken: a reason to show beside the field, or an error page.
enum ProviderRefused {
    Field(String),
    Page(PageError),
}

/// The provider an upload imports for: a provider account's own unit, or the unit the credit
/// office names, checked against the roster now rather than when the import starts.
async fn upload_provider(
    state: &AppState,
    ctx: &Ctx,
    named: &str,
) -> Result<String, ProviderRefused> {
    use probity_app::AppError;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let named = named.to_string();
    let found =
        blocking(move || Ok(probity_app::files::provider_ref(&app, &who, Some(&named)))).await;
    match found {
        Ok(Ok(provider)) => Ok(provider),
        Ok(Err(AppError::AtField(_, inner))) => match *inner {
            AppError::BadInput { .. } => Err(ProviderRefused::Field(
                "请填写报送单位（简称、全称或统一社会信用代码）".into(),
            )),
            other => match ApiError::from(other) {
                ApiError::Unprocessable { message, .. } => Err(ProviderRefused::Field(message)),
                e => Err(ProviderRefused::Page(PageError(e))),
            },
        },
        Ok(Err(e)) => Err(ProviderRefused::Page(PageError(e.into()))),
        Err(e) => Err(ProviderRefused::Page(PageError(e))),
    }
}

async fn upload_records(State(state): State<AppState>, ctx: Ctx, req: Request) -> PageResult {
    let id = crate::http::random_hex()?;
    let got = match receive(&state, &ctx, req, &id).await {
        Ok(g) => g,
        Err(res) => return Ok(res),
    };
    let Some(file_name) = got.file_name else {
        return Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请选择要上传的文件",
        ));
    };
    let named = got
        .fields
        .get("provider")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    // A refused provider drops `got.dir`, and the file with it.
    let provider = match upload_provider(&state, &ctx, &named).await {
        Ok(p) => p,
        Err(ProviderRefused::Field(reason)) => {
            return upload_form(&state, &ctx, named, Some(reason)).await;
        }
        Err(ProviderRefused::Page(e)) => return Err(e),
    };
    stage(
        &state,
        &ctx,
        UploadKind::Records,
        &id,
        &file_name,
        &provider,
        got.dir,
    )
    .await?;
    Ok(done(
        &format!("/console/upload/{id}"),
        &format!("已上传文件“{file_name}”，请核对预览后开始导入"),
    ))
}

/// The credit office's roster upload: small files, imported at once.
async fn upload_roster(State(state): State<AppState>, ctx: Ctx, req: Request) -> PageResult {
    let id = crate::http::random_hex()?;
    let got = match receive(&state, &ctx, req, &id).await {
        Ok(g) => g,
        Err(res) => return Ok(res),
    };
    let Some(file_name) = got.file_name else {
        return Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "请选择要上传的名录文件",
        ));
    };
    stage(
        &state,
        &ctx,
        UploadKind::Roster,
        &id,
        &file_name,
        "",
        got.dir,
    )
    .await?;
    // A roster is small: imported at once, on this node.
    let app = state.app.clone();
    let who = ctx.caller.who();
    let job = id.clone();
    let stage = blocking(move || {
        let u = jobs::claim(&app, &who, &job, UploadKind::Roster)?
            .ok_or_else(|| ApiError::Internal("a roster upload just staged was taken".into()))?;
        Ok(jobs::run(&app, &who, &u))
    })
    .await?;
    let message = match stage {
        Stage::Done(f) => format!(
            "已导入名录“{file_name}”：新增 {}，更新 {}，未变 {}，退回 {}",
            f.accepted, f.updated, f.unchanged, f.rejected
        ),
        Stage::Failed(m) => format!("名录“{file_name}”未能导入：{m}"),
        _ => format!("名录“{file_name}”已上传"),
    };
    Ok(done(&format!("/console/upload/{id}"), &message))
}

/// Stores a received file as the actor's upload `id`; the received copy goes.
async fn stage(
    state: &AppState,
    ctx: &Ctx,
    kind: UploadKind,
    id: &str,
    file_name: &str,
    provider: &str,
    dir: UploadDir,
) -> Result<(), PageError> {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (id, file_name, provider) = (id.to_string(), file_name.to_string(), provider.to_string());
    blocking(move || {
        let bytes = std::fs::read(input_path(&dir.path, &file_name))
            .map_err(|e| ApiError::Internal(format!("upload read: {e}")))?;
        jobs::stage(&app, &who, kind, &id, &file_name, &provider, bytes)?;
        drop(dir);
        Ok(())
    })
    .await
    .map_err(PageError)
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
    /// Why a waiting upload waits again (its import was interrupted).
    note: Option<String>,
    headers: Vec<&'static str>,
    preview: Vec<probity_app::import::PreviewRow>,
    /// How many previewed rows the import would refuse as they stand.
    faulty: usize,
    file_error: Option<String>,
    /// Running: how far.
    running: bool,
    percent: u64,
    progress: String,
    done: Option<jobs::Finished>,
    rejected: Vec<RejectedRow>,
    failed: Option<String>,
}

fn rejected_rows(xlsx: &[u8]) -> Vec<RejectedRow> {
    let Ok(dir) = tempfile::tempdir() else {
        return vec![];
    };
    let path = dir.path().join("errors.xlsx");
    if std::fs::write(&path, xlsx).is_err() {
        return vec![];
    }
    let Ok(reader) = TableReader::open(&path, ERROR_COLUMNS) else {
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
    let u = own_upload(&state, &ctx, &id).await?;
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
        note: None,
        headers: columns.iter().map(|c| c.header).collect(),
        preview: vec![],
        faulty: 0,
        file_error: None,
        running: false,
        percent: 0,
        progress: String::new(),
        done: None,
        rejected: vec![],
        failed: None,
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    match &u.stage {
        Stage::Ready(note) => {
            t.ready = true;
            t.note = note.clone();
            let roster = u.kind == UploadKind::Roster;
            let shown = blocking(move || {
                let catalog = probity_app::catalog::current(&app)?;
                let today = app.today();
                Ok(jobs::with_input(&app, &who, &id, |path| {
                    probity_app::import::preview(path, roster, &catalog, today, 10)
                })?)
            })
            .await?;
            match shown {
                Some(Ok(rows)) => {
                    t.faulty = rows
                        .iter()
                        .filter(|r| r.unreadable.is_some() || !r.problems.is_empty())
                        .count();
                    t.preview = rows;
                }
                Some(Err(m)) => t.file_error = Some(m),
                None => t.file_error = Some("文件已不在，请重新上传".into()),
            }
        }
        Stage::Running(p) => {
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
        Stage::Done(f) => {
            if f.rejected > 0 && u.has_errors {
                let bytes = blocking(move || Ok(jobs::errors(&app, &who, &id)?)).await?;
                t.rejected = blocking(move || Ok(rejected_rows(&bytes))).await?;
            }
            t.done = Some(f.clone());
        }
        Stage::Failed(m) => t.failed = Some(m.clone()),
    }
    Ok(ctx.page(&t))
}

async fn start_import(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<Empty>,
) -> PageResult {
    let status_url = format!("/console/upload/{id}");
    let app = state.app.clone();
    let who = p.ctx.caller.who();
    // Ready → Running in the database before anything else: a second click, on this node or
    // another, finds the import running.
    // A roster upload waits again when its import was interrupted: it starts the same way.
    let kind = own_upload(&state, &p.ctx, &id).await?.kind;
    let job = id.clone();
    let claimed = blocking(move || Ok(jobs::claim(&app, &who, &job, kind)?)).await?;
    let Some(u) = claimed else {
        let u = own_upload(&state, &p.ctx, &id).await?;
        let message = match u.stage {
            Stage::Running(_) => "该文件正在导入，未重复导入；请等待导入完成",
            _ => "该文件已导入，未重复导入",
        };
        return Ok(done(&status_url, message));
    };
    let app = state.app.clone();
    let who = p.ctx.caller.who();
    let file_name = u.file_name.clone();
    tokio::task::spawn_blocking(move || {
        // A panic in the import must not leave the job running until its lease runs out.
        let run =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| jobs::run(&app, &who, &u)));
        if run.is_err() {
            tracing::error!(upload = %u.id, "the import of an upload panicked");
            if let Err(e) = app_fail(&app, &u.id) {
                tracing::error!(upload = %u.id, error = %e, "could not record a panicked import");
            }
        }
    });
    Ok(done(&status_url, &format!("已开始导入“{file_name}”")))
}

/// Records that an import ended in a panic.
fn app_fail(app: &probity_app::App, id: &str) -> Result<(), probity_app::AppError> {
    jobs::fail(app, id, "导入时发生内部错误，已记录日志；请联系系统管理员")
}

async fn errors_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let u = own_upload(&state, &ctx, &id).await?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let bytes = blocking(move || Ok(jobs::errors(&app, &who, &id)?)).await?;
    let stem = FsPath::new(&u.file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(super::kit::xlsx_download(
        bytes,
        "errors.xlsx",
        &format!("退回行-{stem}.xlsx"),
    ))
}
