//! Extractors whose rejections speak the API's error language (stable code, Chinese message)
//! instead of axum's plain-text defaults, and the bridge to the blocking store.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Unknown fields, wrong types, malformed JSON and a wrong content type are 400s
/// with a code; an oversized body is a 413.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    match rej {
        JsonRejection::JsonDataError(e) => ApiError::bad_request(
            "JSON_INVALID",
            format!("请求内容不符合要求：{}", e.body_text()),
        ),
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request("JSON_MALFORMED", "请求内容不是有效的 JSON")
        }
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request("CONTENT_TYPE", "请以 Content-Type: application/json 提交")
        }
        JsonRejection::BytesRejection(e)
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge {
                limit_bytes: crate::JSON_LIMIT as u64,
            }
        }
        other => ApiError::bad_request(
            "BODY_UNREADABLE",
            format!("无法读取请求内容：{}", other.body_text()),
        ),
    }
}

/// Query parameters, with the same error language.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::bad_request(
                "QUERY_INVALID",
                format!("查询参数不符合要求：{}", e.body_text()),
            )),
            Err(other) => Err(ApiError::bad_request("QUERY_INVALID", other.body_text())),
        }
    }
}

/// A numeric id from a path segment.
pub fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::bad_request("ID_INVALID", format!("编号无效：{}", truncate(s, 40)))
    })
}

pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// How much store work runs at once. Requests beyond it wait their turn here, first come first
/// served, instead of as parked threads scrambling for a pooled connection: on a small machine
/// that scramble, not the database, made the slowest requests slow.
static DB_SLOTS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(probity_store::db::POOL_SIZE as usize / 4);

/// Runs store work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let _slot = DB_SLOTS
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}
