//! The store's tests, in one binary: every test body runs on SQLite and on PostgreSQL (when
//! `PROBITY_TEST_PG` names a database, e.g. `postgres://postgres@127.0.0.1:5432/test`).

mod common;

mod accounts;
mod assessment;
mod cases;
mod commitments;
mod duties;
mod import_batches;
mod jobs;
mod lookups;
mod records_api;
mod reports;
mod statistics;
mod suite;
mod unit_of_work;
