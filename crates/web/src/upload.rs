//! Bodies that may carry files: a JSON body, or a multipart form with the same fields and
//! files named `file` (`WithFiles`), for the case steps and the assessment's evidence; and the
//! `Content-Disposition` a stored file is sent back with.

use std::collections::HashMap;

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
