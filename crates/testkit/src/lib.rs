//! Probity's test harness, kept once for the tests of the store, the web crate and the command:
//! fresh databases for one test (SQLite, and PostgreSQL in a schema of its own), the small roster
//! of Binhai New Area, one account per role, and, with the `web` feature, the server on a
//! loopback port and the cookie browser the page tests drive; and an SMTP listener that keeps the
//! mail it is sent.

pub mod accounts;
#[cfg(feature = "web")]
pub mod browser;
pub mod db;
pub mod roster;
#[cfg(feature = "web")]
pub mod server;
pub mod smtp;

pub use accounts::{Accounts, Cred, PASSWORD, enrol, totp_code};
#[cfg(feature = "web")]
pub use browser::{Browser, Page, Part};
pub use db::{Backend, TestDb, TestStore, backends, keys};
#[cfg(feature = "web")]
pub use server::{ActingAs, Options, Serve, Server};
pub use smtp::{Received, SmtpServer};
