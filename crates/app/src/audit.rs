//! The audit trail as the auditor reads it, and the platform's liveness check.

use probity_store::HistoryEntry;

use crate::{App, AppResult};

/// Journal entries after change-feed sequence `after`, oldest first, at most `limit`.
pub fn page(app: &App, after: i64, limit: u32) -> AppResult<Vec<HistoryEntry>> {
    Ok(app.store().journal_page(after, limit)?)
}

/// The newest change-feed sequence number: asks the database, so that it answers only when the
/// database does (the health check).
pub fn head(app: &App) -> AppResult<i64> {
    Ok(app.store().head_seq()?)
}
