//! The JSON API under `/api/v1`, one file per resource. Handlers translate between HTTP and the
//! use cases of `probity_app`; who may call what is decided by the authorisation table before a
//! handler runs.

pub mod accounts;
pub mod assessments;
pub mod auth;
pub mod cases;
pub mod commitments;
pub mod disputes;
pub mod eligibility;
pub mod import;
pub mod records;
pub mod sanctions;
pub mod subjects;
pub mod views;

pub use import::UPLOAD_LIMIT;
pub use views::{AccountView, HistoryView, RecordPage, RecordSummaryView, RecordView, SubjectView};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(subjects::router())
        .merge(records::router())
        .merge(import::router())
        .merge(accounts::router())
        .merge(cases::router())
        .merge(sanctions::router())
        .merge(assessments::router())
        .merge(disputes::router())
        .merge(eligibility::router())
        .merge(commitments::router())
}
