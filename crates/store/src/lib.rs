//! Persistence for Probity behind one interface, `Store`, on SQLite (the embedded default) and
//! PostgreSQL. Every mutation goes through the domain's rules and appends to the journal — the
//! audit chain and change feed — in the same transaction.

pub mod accounts;
pub mod assessment;
mod audit_upgrade;
pub mod calendar;
pub mod cases;
mod catalog;
pub mod clock;
pub mod commitments;
pub mod crypto;
pub mod db;
pub mod error;
pub mod import;
pub mod jobs;
pub mod journal;
pub mod listing;
pub mod mail;
pub mod records;
pub mod reports;
pub mod sanctions;
mod schema;
pub mod settings;
pub mod statistics;
pub mod subjects;
mod unit;

pub use accounts::{
    Account, Acting, ApiToken, LoginError, NewSession, Session, TOKEN_PREFIX, TotpEnrolment,
};
pub use assessment::{Assessments, EvidenceMeta, NewEntry, StoredEntry, StoredPeriod};
pub use calendar::{CalendarYears, StoredYear};
pub use cases::{
    Applicant, AttachmentMeta, CaseChange, CaseCount, CaseEvent, CaseFilter, Cases, NewAttachment,
    NewCase, NewStep, Notification, OpenDeadline, StoredCase,
};
pub use clock::Clock;
pub use commitments::{CommitmentFilter, Commitments, RowOutcome, StoredContract, StoredPayment};
pub use crypto::Keys;
pub use db::Dialect;
pub use error::{StoreError, StoreResult};
pub use import::{ImportOptions, Outcome, Prepared, Preparer, RecordImport};
pub use jobs::{Job, JobState, NewJob};
pub use journal::{Problem, VerifyReport};
pub use listing::{ActivePeriod, Cursor, RecordFilter, RecordOrder, RecordSummary, SummaryRef};
pub use mail::{MailPosition, PendingNotification, Recipient};
pub use records::{Channel, Created, ExportRow, HistoryEntry, JournalFilter, StoredRecord};
pub use sanctions::{NewSanctionCheck, SanctionCheck};
pub use settings::{Settings, StoredSetting};
pub use statistics::{Coverage, Dimension, StatScope, Timeliness};
pub use subjects::{RosterReport, Subject};
pub use unit::{Categories, Records, Tx};

use db::{Conn, Pool};

/// The one way into the database.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    keys: Keys,
    /// Where every "now" the store writes comes from.
    clock: Clock,
}

/// A time as stored: RFC 3339 UTC with microseconds, so that text order is time order.
pub fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Store {
    /// Opens the database at `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`), runs the
    /// migrations and installs the default catalog into an empty one.
    pub fn open(url: &str, keys: Keys) -> StoreResult<Store> {
        Store::open_with_clock(url, keys, Clock::system())
    }

    /// As `open`, reading the time from `clock` (a test sets the date instead of sleeping).
    pub fn open_with_clock(url: &str, keys: Keys, clock: Clock) -> StoreResult<Store> {
        let pool = Pool::open(url)?;
        let store = Store { pool, keys, clock };
        let mut c = store.conn()?;
        schema::migrate(&mut c, &store.now_text())?;
        audit_upgrade::run(&mut c, &store.now_text())?;
        drop(c);
        store.seed_catalog()?;
        Ok(store)
    }

    pub fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }

    /// The same database, reading the time from `clock`.
    pub fn with_clock(&self, clock: Clock) -> Store {
        Store {
            clock,
            ..self.clone()
        }
    }

    /// The clock the store reads the time from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now, by the store's clock.
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Now as stored: RFC 3339 UTC with microseconds, so that text order is time order.
    pub(crate) fn now_text(&self) -> String {
        time_text(self.clock.now())
    }

    pub(crate) fn conn(&self) -> StoreResult<Conn> {
        self.pool.get()
    }

    /// Recomputes the audit chain and checks every audited row (`probity audit verify`).
    pub fn verify(&self) -> StoreResult<VerifyReport> {
        journal::verify(&mut self.conn()?)
    }

    /// The newest change-feed sequence number (0 when nothing happened yet).
    pub fn head_seq(&self) -> StoreResult<i64> {
        let mut c = self.conn()?;
        Ok(c.query_int("SELECT MAX(seq) FROM journal", &[])?
            .unwrap_or(0))
    }

    /// Runs raw SQL against the database. For tests that play an intruder editing the database
    /// behind the platform's back, and for benchmarks; never for application code.
    #[doc(hidden)]
    pub fn raw_exec(&self, sql: &str) -> StoreResult<()> {
        self.conn()?.batch(sql)
    }
}
