//! Store errors. A broken domain rule keeps its code and Chinese message; database trouble is
//! wrapped so that callers can log the detail and show a plain message.

use probity_domain::{Code, DomainError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule of the domain refused the change; nothing was written.
    #[error("{0}")]
    Domain(#[from] DomainError),
    #[error("未找到：{0}")]
    NotFound(String),
    /// Bad configuration: database URL, key file, directory.
    #[error("{0}")]
    Config(String),
    #[error("SQLite 错误：{0}")]
    Sqlite(#[from] r2d2_sqlite::rusqlite::Error),
    #[error("PostgreSQL 错误：{0}")]
    Postgres(#[from] postgres::Error),
    /// The data in the database does not have the shape the code expects.
    #[error("数据库内容异常：{0}")]
    Internal(String),
}

impl StoreError {
    pub fn domain(code: Code, message: impl Into<String>) -> Self {
        StoreError::Domain(DomainError::new(code, message))
    }
    /// The stable code for API and reports.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Domain(e) => e.code.as_str(),
            StoreError::NotFound(_) => "NOT_FOUND",
            StoreError::Config(_) => "CONFIG",
            StoreError::Sqlite(_) | StoreError::Postgres(_) => "DATABASE",
            StoreError::Internal(_) => "INTERNAL",
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
