//! Bodies that may carry files: a JSON body, or a multipart form with the same fields and
//! files named `file` (`WithFiles`), for the case steps and the assessment's evidence; and the
//! `Content-Disposition` a stored file is sent back with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use probity_app::cases::Upload;
use probity_domain::attachment::{self, AttachmentType, MAX_ATTACHMENT_BYTES};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Body, truncate};

/// The most a request carrying files may send: every file of a step at its largest, and the
/// form around them.
pub const STEP_BODY_LIMIT: usize =
    probity_app::cases::MAX_FILES_PER_STEP * MAX_ATTACHMENT_BYTES + 1024 * 1024;

/// The most bytes of one text field of a multipart form (a step's text is at most 2,000
/// characters).
pub const FORM_FIELD_LIMIT: usize = 64 * 1024;

/// `Content-Disposition: attachment` with the file's own name (RFC 6266: an ASCII fallback and
/// `filename*=UTF-8''…`).
pub(crate) fn disposition(id: i64, kind: &str, file_name: &str) -> String {
    let ext = AttachmentType::parse(kind).map_or("bin", |t| t.extensions()[0]);
    format!(
        "attachment; filename=\"attachment-{id}.{ext}\"; filename*=UTF-8''{}",
        crate::http::percent_encode(file_name)
    )
}

/// A stored file (a case's attachment, a score's evidence) sent back to the API: its type as
/// stored and never sniffed as another, to save under its own name, kept by no cache.
pub(crate) fn file_response(id: i64, kind: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let mime = AttachmentType::parse(kind).map_or("application/octet-stream", AttachmentType::mime);
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                disposition(id, kind, file_name),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The text fields of a multipart form, taken one by one; what is left over is refused.
pub struct Form(pub(crate) HashMap<String, String>);

impl Form {
    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    pub(crate) fn int(&mut self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                ApiError::bad_request(
                    "FORM_INVALID",
                    format!("{name} 应为整数，收到“{}”", truncate(&v, 20)),
                )
            }),
        }
    }

    pub(crate) fn required_int(&mut self, name: &str) -> Result<i64, ApiError> {
        self.int(name)?
            .ok_or_else(|| ApiError::bad_request("FORM_INVALID", format!("缺少 {name}")))
    }

    pub(crate) fn flag(&mut self, name: &str) -> Result<bool, ApiError> {
        match self.take(name).as_deref().map(str::trim) {
            None | Some("" | "false" | "0" | "off" | "no") => Ok(false),
            Some("true" | "1" | "on" | "yes") => Ok(true),
            Some(v) => Err(ApiError::bad_request(
                "FORM_INVALID",
                format!("{name} 应为 true 或 false，收到“{}”", truncate(v, 20)),
            )),
        }
    }

    /// Refuses fields nobody asked for, as the JSON bodies refuse unknown fields.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.0.keys().min() {
            None => Ok(()),
            Some(k) => Err(ApiError::bad_request(
                "FORM_INVALID",
                format!("表单中有未知的字段：{}", truncate(k, 40)),
            )),
        }
    }
}

/// A body read from a multipart form's text fields.
pub trait FromForm: Sized {
    fn from_form(form: Form) -> Result<Self, ApiError>;
}

/// A JSON body (at most `JSON_LIMIT`), or a multipart form with the same fields and files named
/// `file` (each at most 20 MB, at most `MAX_FILES_PER_STEP`).
pub struct WithFiles<T>(pub T, pub Vec<Upload>);

impl<T: DeserializeOwned + FromForm + Send> FromRequest<AppState> for WithFiles<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            return multipart(req, state).await;
        }
        let json = json_within_limit(req).await?;
        let Body(input) = Body::<T>::from_request(json, state).await?;
        Ok(WithFiles(input, Vec::new()))
    }
}

/// The request with its body read, refused past `JSON_LIMIT` (the route allows more for files).
async fn json_within_limit(req: Request) -> Result<Request, ApiError> {
    use futures_util::StreamExt;
    let too_large = || ApiError::PayloadTooLarge {
        limit_bytes: crate::JSON_LIMIT as u64,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > crate::JSON_LIMIT as u64) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request("BODY_UNREADABLE", "请求内容读取中断，请重新提交")
        })?;
        if bytes.len() + chunk.len() > crate::JSON_LIMIT {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

async fn multipart<T: FromForm>(req: Request, state: &AppState) -> Result<WithFiles<T>, ApiError> {
    let too_large = || ApiError::PayloadTooLarge {
        limit_bytes: STEP_BODY_LIMIT as u64,
    };
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request("MULTIPART_INVALID", "表单内容无法读取：传输中断或格式有误")
        }
    };
    let mut mp = Multipart::from_request(req, state).await.map_err(|_| {
        ApiError::bad_request(
            "MULTIPART_INVALID",
            "表单内容无法读取：请以 multipart/form-data 提交",
        )
    })?;
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    while let Some(mut field) = mp.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        if file_name.is_some() && name != "file" {
            return Err(ApiError::bad_request(
                "FORM_INVALID",
                format!("附件应以字段名 file 上传，收到“{}”", truncate(&name, 40)),
            ));
        }
        if file_name.is_some() && files.len() == probity_app::cases::MAX_FILES_PER_STEP {
            return Err(unprocessable(
                "TOO_MANY_FILES",
                format!(
                    "每次最多上传 {} 个附件",
                    probity_app::cases::MAX_FILES_PER_STEP
                ),
            ));
        }
        let limit = if file_name.is_some() {
            MAX_ATTACHMENT_BYTES
        } else {
            FORM_FIELD_LIMIT
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if bytes.len() + chunk.len() > limit {
                return Err(match &file_name {
                    // The rule's own refusal (ATTACHMENT_TOO_LARGE), as the use case gives it.
                    Some(_) => attachment::check_size((bytes.len() + chunk.len()) as u64)
                        .err()
                        .map_or_else(too_large, ApiError::from),
                    None => {
                        unprocessable("TOO_LONG", format!("表单字段 {} 过长", truncate(&name, 40)))
                    }
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            // A file input left empty still sends a part with an empty name.
            Some(f) if f.is_empty() && bytes.is_empty() => {}
            Some(file_name) => files.push(Upload { file_name, bytes }),
            None => {
                let value = String::from_utf8(bytes).map_err(|_| {
                    ApiError::bad_request(
                        "FORM_INVALID",
                        format!("表单字段 {} 不是 UTF-8 文本", truncate(&name, 40)),
                    )
                })?;
                if fields.insert(name.clone(), value).is_some() {
                    return Err(ApiError::bad_request(
                        "FORM_INVALID",
                        format!("表单字段 {} 重复", truncate(&name, 40)),
                    ));
                }
            }
        }
    }
    Ok(WithFiles(T::from_form(Form(fields))?, files))
}

// ---------------------------------------------------------------------------------------------
// A file sent whole as the request body (an import)

/// The extension a file sent for an import is kept under: the `format` the query names (csv,
/// xlsx or jsonl), else the one its Content-Type says; `None` leaves the format to the reader,
/// which tells it by the content.
pub fn import_format(
    format: Option<&str>,
    content_type: &str,
) -> Result<Option<&'static str>, ApiError> {
    Ok(match (format.map(str::trim), content_type) {
        (Some("csv"), _) => Some("csv"),
        (Some("xlsx"), _) => Some("xlsx"),
        (Some("jsonl"), _) => Some("jsonl"),
        (Some(other), _) => {
            return Err(ApiError::bad_request(
                "FORMAT_INVALID",
                format!(
                    "不支持的格式：{}（应为 csv、xlsx 或 jsonl）",
                    truncate(other, 20)
                ),
            ));
        }
        (None, ct) if ct.starts_with("text/csv") => Some("csv"),
        (None, ct) if ct.contains("spreadsheetml") => Some("xlsx"),
        (None, ct) if ct.contains("ndjson") || ct.contains("jsonl") => Some("jsonl"),
        (None, _) => None,
    })
}

/// Where a file sent for an import waits in `dir`: under the name it was sent with, made safe
/// (an import records the name as the rows' provenance), or `upload`; with the extension
/// `ext` when one is known, else its own.
pub fn import_path(dir: &Path, sent_name: Option<&str>, ext: Option<&str>) -> PathBuf {
    let name = sent_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(attachment::safe_file_name);
    match (name, ext) {
        (None, Some(ext)) => dir.join(format!("upload.{ext}")),
        (None, None) => dir.join("upload.upload"),
        (Some(name), None) => dir.join(name),
        (Some(name), Some(ext)) => {
            let p = Path::new(&name);
            if p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)) {
                dir.join(name)
            } else {
                let stem = p
                    .file_stem()
                    .map(|s| s.to_string_lossy())
                    .unwrap_or_default();
                dir.join(format!("{stem}.{ext}"))
            }
        }
    }
}

/// Streams a request body to `path`, refused as soon as it passes `limit` bytes (and before
/// it is read when its declared length does).
pub async fn body_to_file(
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    path: &Path,
    limit: u64,
) -> Result<(), ApiError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
    }
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| ApiError::Internal(format!("upload file: {e}")))?;
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::bad_request("BODY_UNREADABLE", "上传中断，请重新上传"))?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::Internal(format!("upload write: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| ApiError::Internal(format!("upload flush: {e}")))
}

/// One fault of a rejected row, read back from an import's report of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row as the official sees it in the file (the header is row 1).
    pub row: usize,
    /// The column's key and its Chinese header (empty for a row the file itself could not give).
    pub column: &'static str,
    pub header: &'static str,
    pub code: String,
    pub message: String,
}

/// The first `max` faults of the rejected rows an import wrote to `path`, a JSONL report of
/// `columns` as the imports write one (行号, 列 by its header, 错误代码, 错误原因, the row's cells);
/// none when there is no report.
pub fn read_rejections(
    path: &Path,
    columns: &[probity_ingest::ColumnSpec],
    max: usize,
) -> Result<Vec<RejectedRow>, ApiError> {
    use std::io::BufRead;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ApiError::Internal(format!("error report: {e}"))),
    };
    let mut out = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        if out.len() == max {
            break;
        }
        let line = line.map_err(|e| ApiError::Internal(format!("error report: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&line)
            .map_err(|e| ApiError::Internal(format!("error report: {e}")))?;
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let header = text("column");
        let spec = columns.iter().find(|c| c.header == header);
        out.push(RejectedRow {
            row: text("row").parse().unwrap_or(0),
            column: spec.map_or("", |c| c.key),
            header: spec.map_or("", |c| c.header),
            code: text("code"),
            message: text("reason"),
        });
    }
    Ok(out)
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        code,
        message: message.into(),
        fields: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_for_an_import_keeps_its_safe_name_and_the_format_named() {
        let dir = Path::new("/tmp/x");
        assert_eq!(import_path(dir, None, Some("csv")), dir.join("upload.csv"));
        assert_eq!(import_path(dir, None, None), dir.join("upload.upload"));
        assert_eq!(
            import_path(dir, Some("../采购合同 2024.xlsx"), None),
            dir.join("采购合同 2024.xlsx")
        );
        assert_eq!(
            import_path(dir, Some("付款.txt"), Some("csv")),
            dir.join("付款.csv")
        );
        assert_eq!(
            import_path(dir, Some("a.CSV"), Some("csv")),
            dir.join("a.CSV")
        );
        assert_eq!(
            import_format(None, "text/csv; charset=utf-8").unwrap(),
            Some("csv")
        );
        assert_eq!(
            import_format(Some("xlsx"), "text/csv").unwrap(),
            Some("xlsx")
        );
        assert_eq!(
            import_format(None, "application/octet-stream").unwrap(),
            None
        );
        assert_eq!(
            import_format(Some("xls"), "").unwrap_err().detail().code,
            "FORMAT_INVALID"
        );
    }

    #[test]
    fn a_download_keeps_its_chinese_name_and_an_ascii_fallback() {
        let d = disposition(7, "pdf", "整改报告 (终稿).pdf");
        assert!(d.starts_with("attachment; filename=\"attachment-7.pdf\"; "));
        assert!(d.ends_with(
            "filename*=UTF-8''%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A%20%28%E7%BB%88%E7%A8%BF%29.pdf"
        ));
        assert!(disposition(8, "unknown", "x").contains("attachment-8.bin"));
    }

    #[test]
    fn a_stored_file_is_sent_as_its_type_to_save_and_never_cached() {
        let r = file_response(7, "pdf", "整改报告.pdf", b"%PDF-1.4".to_vec());
        let h = r.headers();
        assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::CACHE_CONTROL], "private, no-store");
        assert!(
            h[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"attachment-7.pdf\"")
        );
        let r = file_response(8, "unknown", "x", Vec::new());
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/octet-stream"
        );
    }
}
