//! The web crate's tests, in one binary (one link of axum, tantivy and jieba instead of one per
//! file): each drives a real server on a loopback port (`probity_testkit::Server`), on SQLite and
//! (when `PROBITY_TEST_PG` names a database) PostgreSQL.

mod admin_pages;
mod api;
mod assessment_disputes;
mod assessment_pages;
mod assessments_api;
mod browser;
mod browser_assessment;
mod browser_cases;
mod browser_tour;
mod calendar;
mod cases_api;
mod cases_pages;
mod commitments;
mod eligibility;
mod hardening;
mod pages;
mod platform;
mod public;
mod sanctions_api;
mod sanctions_feedback;
mod tour;
mod uploads;
