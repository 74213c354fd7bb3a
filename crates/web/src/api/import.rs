//! `POST /api/v1/records/import`: a file of records sent as the request body, imported with the
//! same row-level report as `probity records import`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use probity_store::Channel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::ImportIssue;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Params, blocking};
use crate::upload::{body_to_file, import_format};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_records))
}

/// Largest file the import accepts.
pub const UPLOAD_LIMIT: u64 = 100 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The provider (credit office only; a provider account imports as its own unit).
    pub provider: Option<String>,
    /// Activate in the same step (credit office only).
    pub activate: Option<bool>,
    /// Commit nothing when any row is rejected.
    pub all_or_nothing: Option<bool>,
    /// csv, xlsx or jsonl; otherwise from Content-Type, else from the content.
    pub format: Option<String>,
    /// The file's name, recorded as provenance.
    pub filename: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// True when `all_or_nothing` undid the import because a row was rejected.
    pub rolled_back: bool,
    /// Every rejected row with its column and reason (at most 10,000).
    pub errors: Vec<ImportIssue>,
}

/// Imports a file of records (CSV in UTF-8 or GBK, XLSX, JSONL) sent as the request body, with
/// the same row-level report as `probity records import`.
#[utoipa::path(post, path = "/api/v1/records/import", tag = "records", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "The file, as is."),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_records(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Params(q): Params<ImportQuery>,
    body: axum::body::Body,
) -> Result<Json<ImportReport>, ApiError> {
    // Refused before the body is read (the use case refuses it again).
    if q.activate == Some(true) && caller.role() != probity_domain::account::AccountRole::Admin {
        return Err(ApiError::Forbidden(
            "只有信用办可以在导入时直接审核生效".into(),
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ext = import_format(q.format.as_deref(), content_type)?.unwrap_or("upload");
    // Stream the body to a file, refusing it as soon as it passes the limit.
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(format!("temp dir: {e}")))?;
    let path = dir.path().join(format!("upload.{ext}"));
    body_to_file(&headers, body, &path, UPLOAD_LIMIT).await?;
    let app = state.app.clone();
    let metrics = state.metrics.clone();
    let summary = blocking(move || {
        let who = caller.who();
        let provider = probity_app::files::provider_ref(&app, &who, q.provider.as_deref())?;
        let result = probity_app::files::import_records(
            &app,
            &who,
            probity_app::files::RecordsFile {
                file: &path,
                provider: &provider,
                activate: q.activate == Some(true),
                all_or_nothing: q.all_or_nothing == Some(true),
                errors: None,
                batch_size: 10_000,
                max_shown: 10_000,
                progress: None,
                channel: Channel::Api,
            },
        );
        drop(dir);
        let s = result?;
        metrics.count_import(s.accepted, s.duplicates, s.rejected);
        Ok(s)
    })
    .await?;
    let columns = probity_app::columns::RECORDS;
    Ok(Json(ImportReport {
        accepted: summary.accepted,
        duplicates: summary.duplicates,
        rejected: summary.rejected,
        rolled_back: summary.rolled_back,
        errors: summary
            .shown
            .iter()
            .map(|r| ImportIssue {
                row: r.row,
                column: r.column.to_string(),
                header: probity_app::columns::header_of(columns, r.column).to_string(),
                code: r.code.clone(),
                message: r.message.clone(),
            })
            .collect(),
    }))
}
