//! Probity's use cases that need more than one layer: reading an official's file row by row,
//! validating with the domain and writing through the store with a row-level report; exporting
//! the change feed; writing Excel templates; loading the demo district. The CLI and the web
//! layer both call these, so that a file uploaded in a browser and one imported from the command
//! line are treated exactly alike.

pub mod columns;
pub mod demo;
pub mod export;
pub mod import;
pub mod public;
pub mod reindex;
pub mod report;
pub mod templates;

use probity_domain::DomainError;
use probity_ingest::FileError;
use probity_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Domain(#[from] DomainError),
    #[error("{0}")]
    Other(String),
}

impl AppError {
    pub fn msg(m: String) -> Self {
        AppError::Other(m)
    }
}

/// Today in China Standard Time, which decides what "today" means for dates on records.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}
