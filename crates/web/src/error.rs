//! One error type for the HTTP layer, mapped to status codes in one place. Internal detail is
//! logged, never sent: the client gets a stable code and a Chinese message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use probity_domain::{Code, DomainError};
use probity_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// One fault of one field, as in the import reports.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldIssue {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug)]
pub enum ApiError {
    /// Not logged in, or the session or token is no longer valid.
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    /// The request is well-formed but conflicts with the state (duplicate, illegal transition).
    Conflict {
        code: &'static str,
        message: String,
    },
    /// The content breaks a rule of the domain.
    Unprocessable {
        code: &'static str,
        message: String,
        fields: Vec<FieldIssue>,
    },
    /// Malformed JSON, unknown fields, wrong content type, bad parameters.
    BadRequest {
        code: &'static str,
        message: String,
    },
    PayloadTooLarge {
        limit_bytes: u64,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// The form's CSRF token is missing or does not match the session.
    Csrf,
    /// Login refused: wrong credentials, second factor missing, account locked.
    Denied {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    Internal(String),
}

/// The JSON shape of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `USCC_CHECK_DIGIT`, `FORBIDDEN`.
    pub code: String,
    /// What went wrong, in Chinese, for the person.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldIssue>,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::Denied { status, .. } => *status,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn detail(&self) -> ErrorDetail {
        let (code, message, fields) = match self {
            ApiError::Unauthorized => (
                "UNAUTHENTICATED",
                "请先登录，或登录已过期".to_string(),
                vec![],
            ),
            ApiError::Forbidden(m) => ("FORBIDDEN", m.clone(), vec![]),
            ApiError::NotFound(m) => ("NOT_FOUND", m.clone(), vec![]),
            ApiError::Conflict { code, message } => (*code, message.clone(), vec![]),
            ApiError::Unprocessable {
                code,
                message,
                fields,
            } => (*code, message.clone(), fields.clone()),
            ApiError::BadRequest { code, message } => (*code, message.clone(), vec![]),
            ApiError::PayloadTooLarge { limit_bytes } => (
                "PAYLOAD_TOO_LARGE",
                format!("上传内容过大：最多 {} MB", limit_bytes / (1024 * 1024)),
                vec![],
            ),
            ApiError::TooManyRequests { retry_after_secs } => (
                "RATE_LIMITED",
                format!("请求过于频繁，请 {retry_after_secs} 秒后再试"),
                vec![],
            ),
            ApiError::Denied { code, message, .. } => (*code, message.clone(), vec![]),
            ApiError::Csrf => (
                "CSRF_INVALID",
                "页面已过期或来源不明，请刷新页面后重试".to_string(),
                vec![],
            ),
            ApiError::Internal(_) => (
                "INTERNAL",
                "系统内部错误，请稍后再试；如持续出现请联系系统管理员".to_string(),
                vec![],
            ),
        };
        ErrorDetail {
            code: code.to_string(),
            message,
            fields,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let mut res = (
            status,
            Json(ErrorBody {
                error: self.detail(),
            }),
        )
            .into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }
}

/// Where a broken domain rule lands: most are the client's content (422); a few are about the
/// state of things (409) or about who asks (403).
impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let code = e.code.as_str();
        match e.code {
            Code::Forbidden => ApiError::Forbidden(e.message),
            Code::DutySeparation | Code::PasswordChangeRequired => ApiError::Denied {
                status: StatusCode::FORBIDDEN,
                code,
                message: e.message,
            },
            Code::LookupLimited | Code::RateLimited => ApiError::Denied {
                status: StatusCode::TOO_MANY_REQUESTS,
                code,
                message: e.message,
            },
            // The state of things refuses it: a closed case, a record already objected to.
            Code::IllegalTransition
            | Code::DuplicateConflict
            | Code::SubjectExists
            | Code::CaseClosed
            | Code::PeriodClosed
            | Code::PeriodNotClosed
            | Code::RecordNotObjectable
            | Code::FeedbackExists
            | Code::CheckNotRestricted
            | Code::DisputeWindowClosed
            | Code::DisputeExists => ApiError::Conflict {
                code,
                message: e.message,
            },
            Code::AttachmentTooLarge => ApiError::Denied {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code,
                message: e.message,
            },
            _ => ApiError::Unprocessable {
                code,
                message: e.message,
                fields: vec![],
            },
        }
    }
}

/// A use case's refusal keeps its code and lands on its 4xx; a failure of the database or of the
/// server is a 500 whose detail is logged, never answered.
impl From<probity_app::AppError> for ApiError {
    fn from(e: probity_app::AppError) -> Self {
        use probity_app::AppError as E;
        match e {
            E::Domain(d) => d.into(),
            E::Fields(errs) => field_issues(errs),
            E::AtField(_, inner) => (*inner).into(),
            E::BadInput { code, message } => ApiError::BadRequest { code, message },
            E::Invalid { code, message } => ApiError::Unprocessable {
                code,
                message,
                fields: vec![],
            },
            E::Forbidden(m) => ApiError::Forbidden(m),
            E::NotFound(m) => ApiError::NotFound(m),
            E::Login(l) => ApiError::Denied {
                status: match l {
                    probity_store::LoginError::Disabled => StatusCode::FORBIDDEN,
                    _ => StatusCode::UNAUTHORIZED,
                },
                code: l.code(),
                message: l.message(),
            },
            E::File(f) => ApiError::Unprocessable {
                code: f.code,
                message: format!("无法读取文件：{}", f.message),
                fields: vec![],
            },
            E::Store(s) => s.into(),
            E::Other(m) => ApiError::Internal(m),
        }
    }
}

/// An import that could not run: a file that cannot be read is the sender's (422, named with
/// its code); the store's refusal keeps its code; a failure is a 500.
impl From<probity_app::import::ImportFailure> for ApiError {
    fn from(e: probity_app::import::ImportFailure) -> Self {
        use probity_app::import::ImportFailure as F;
        match e {
            F::File(f) => ApiError::Unprocessable {
                code: f.code,
                message: format!("无法读取文件：{}", f.message),
                fields: vec![],
            },
            F::Store(s) => s.into(),
        }
    }
}

/// Every field's fault, the first one's code and message on top.
pub fn field_issues(errs: Vec<probity_domain::record::FieldError>) -> ApiError {
    let first = errs
        .first()
        .map(|e| e.error.message.clone())
        .unwrap_or_default();
    let code = errs
        .first()
        .map(|e| e.error.code.as_str())
        .unwrap_or("INVALID");
    let fields = errs
        .into_iter()
        .map(|e| FieldIssue {
            field: e.column.to_string(),
            code: e.error.code.as_str().to_string(),
            message: e.error.message,
        })
        .collect();
    ApiError::Unprocessable {
        code,
        message: first,
        fields,
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::NotFound(what) => ApiError::NotFound(format!("未找到：{what}")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_errors_map_to_the_right_status() {
        let e: ApiError = DomainError::new(Code::UsccCheckDigit, "校验位错误").into();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.detail().code, "USCC_CHECK_DIGIT");
        let e: ApiError = DomainError::new(Code::IllegalTransition, "不能").into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let e: ApiError = DomainError::new(Code::Forbidden, "无权").into();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        // The case engine: the state refuses (409), the content breaks a rule (422), a file
        // is too large (413).
        for (code, status) in [
            (Code::CaseClosed, StatusCode::CONFLICT),
            (Code::RecordNotObjectable, StatusCode::CONFLICT),
            (Code::RepairTooEarly, StatusCode::UNPROCESSABLE_ENTITY),
            (Code::RepairNotRepairable, StatusCode::UNPROCESSABLE_ENTITY),
            (
                Code::RepairCommitmentMissing,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (Code::RatingInvalid, StatusCode::UNPROCESSABLE_ENTITY),
            (
                Code::AttachmentTypeMismatch,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                Code::AttachmentTypeUnsupported,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (Code::AttachmentEmpty, StatusCode::UNPROCESSABLE_ENTITY),
            (Code::AttachmentTooLarge, StatusCode::PAYLOAD_TOO_LARGE),
        ] {
            let e: ApiError = DomainError::new(code, "案件").into();
            assert_eq!(e.status(), status, "{code}");
            assert_eq!(e.detail().code, code.as_str());
        }
        let e: ApiError = StoreError::Internal("secret detail".into()).into();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.detail().message.contains("secret"));
    }
}
