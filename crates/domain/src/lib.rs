//! The domain of Probity (政务诚信信息平台): identifiers, subjects, the record catalog and the record
//! lifecycle. Pure: no IO, no async, no clock (callers pass `today`).

pub mod account;
pub mod assessment;
pub mod attachment;
pub mod audit;
pub mod authz;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod commitment;
pub mod date;
pub mod disclosure;
pub mod duties;
pub mod error;
pub mod expiry;
pub mod ident;
pub mod record;
pub mod sanction;
pub mod statistics;
pub mod subject;
pub mod text;

pub use error::{Code, DomainError, Result};
