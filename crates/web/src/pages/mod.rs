//! The server-rendered Chinese pages under `/console` (and `/login`, `/logout`): plain HTML forms
//! that work without JavaScript, askama templates checked at compile time, Post/Redirect/Get with
//! a flash message saying what each action did. Who may open a page is decided by the
//! authorisation table like every other route; how far a caller reaches is applied here as in
//! the API.

pub mod admin;
pub mod assessments;
pub mod calendar;
pub mod cases;
pub mod commitments;
pub mod disputes;
pub mod eligibility;
pub mod kit;
pub mod personnel;
pub mod records;
pub mod roster;
pub mod sanctions;
pub mod session;
pub mod statistics;
pub mod upload;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

pub use crate::http::percent_encode;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/style.css", get(style))
        .merge(session::router())
        .merge(records::router())
        .merge(upload::router())
        .merge(admin::router())
        .merge(assessments::router())
        .merge(disputes::router())
        .merge(calendar::router())
        .merge(cases::router())
        .merge(statistics::router())
        .merge(personnel::router())
        .merge(eligibility::router())
        .merge(roster::router())
        .merge(sanctions::router())
        .merge(commitments::router())
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
        .into_response()
}
