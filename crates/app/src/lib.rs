//! Probity's use cases. Every write the platform offers (a record created, corrected, moved
//! through its lifecycle; an import; a login, a password, a second factor; an account, a role, a
//! token; a category) is one function here taking the [`Actor`] who asks and the [`App`] (the
//! store and the clock), and returning a typed outcome or a typed refusal ([`AppError`]). The web
//! layer's API handlers and pages both call these and only translate; the CLI calls the same
//! imports, so that a file uploaded in a browser and one imported from the command line are
//! treated exactly alike.

pub mod access;
pub mod accounts;
pub mod assessment;
pub mod assessment_dispute;
pub mod assessment_export;
pub mod audit;
pub mod calendar;
pub mod cases;
pub mod catalog;
pub mod columns;
pub mod commitments;
pub mod dashboard;
pub mod demo;
pub mod eligibility;
pub mod export;
mod feed_cache;
pub mod files;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod periodic;
pub mod personnel;
pub mod public;
pub mod records;
pub mod reindex;
pub mod report;
pub mod roster;
pub mod sanctions;
pub mod session;
pub mod statistics;
pub mod templates;
pub mod tick;

use probity_domain::DomainError;
use probity_domain::account::AccountRole;
use probity_domain::authz::Reach;
use probity_domain::record::FieldError;
use probity_ingest::FileError;
pub use probity_store::Clock;
use probity_store::{Account, LoginError, Store, StoreError};

/// What every use case works with: the store and the one clock.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Clock,
    /// The roster's civil servants, masked wherever the public side shows a text.
    names: std::sync::Arc<public::RosterNames>,
    /// The joint rewards and sanctions' measures and rules on the current catalog.
    shipped: std::sync::Arc<sanctions::ShippedCache>,
    /// The credit checks' log, written in groups.
    check_log: std::sync::Arc<sanctions::CheckLog>,
    /// The units' grades in the closed year-end reviews, for the credit check.
    grades: std::sync::Arc<sanctions::GradesCache>,
}

impl App {
    /// The use cases on `store`, which from now on reads the time from `clock` too: one clock
    /// for every layer.
    pub fn new(store: Store, clock: Clock) -> App {
        App {
            store: store.with_clock(clock.clone()),
            clock,
            names: std::sync::Arc::default(),
            shipped: std::sync::Arc::default(),
            check_log: std::sync::Arc::default(),
            grades: std::sync::Arc::default(),
        }
    }

    /// The clock every use case reads "now" and "today" from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Today in Beijing, which decides what "today" means for dates on records.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The masker of the roster's civil servants, kept current with the roster.
    pub fn names(&self) -> &public::RosterNames {
        &self.names
    }

    /// The store, for the use cases of this crate (and the CLI's own commands); the web layer
    /// goes through the use cases only.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
}

/// Who asks: a logged-in account, and how far it reaches on what it asked for (from the
/// authorisation table: its own records, its own file, or everything).
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: Account,
    pub reach: Reach,
}

impl Actor {
    pub fn new(account: Account, reach: Reach) -> Actor {
        Actor { account, reach }
    }
    /// The unit the actor acts for (providers and assessed units are bound to one).
    pub fn unit(&self) -> Option<i64> {
        self.account.unit_id
    }
    pub fn role(&self) -> AccountRole {
        self.account.role
    }
    /// How the journal names the actor: its role and its account name.
    pub fn name(&self) -> String {
        self.account.actor().to_string()
    }
}

/// Why a use case did not do what was asked. Refusals (every variant but `Store`, `Other` and a
/// `File` the server could not read) changed nothing and carry a stable code and a Chinese
/// message; the web layer maps each to its 4xx. Database and internal failures are `Store` and
/// `Other`: answered 500, logged, their text never shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A rule of the domain refused the change.
    #[error("{0}")]
    Domain(DomainError),
    /// One or more fields of a form or row break their rules: all of them, at once.
    #[error("{}", fields_message(.0))]
    Fields(Vec<FieldError>),
    /// The refusal concerns one field of the form (e.g. the provider named does not exist).
    #[error("{1}")]
    AtField(&'static str, Box<AppError>),
    /// The request itself is malformed (a missing parameter, a bad value).
    #[error("{message}")]
    BadInput { code: &'static str, message: String },
    /// Well-formed, but the content is refused (a reason missing, too long).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A login refused (wrong credentials, second factor, disabled).
    #[error("{}", .0.message())]
    Login(LoginError),
    /// A file that cannot be read as a table.
    #[error("{0}")]
    File(FileError),
    /// The database failed (not a refusal: a 500).
    #[error("{0}")]
    Store(StoreError),
    /// Something that should not happen (a 500).
    #[error("{0}")]
    Other(String),
}

/// Every problem of a form, in one line (the command line shows them all at once).
fn fields_message(errs: &[FieldError]) -> String {
    if errs.is_empty() {
        return "内容不符合要求".into();
    }
    errs.iter()
        .map(|e| e.error.message.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

impl AppError {
    pub fn msg(m: String) -> Self {
        AppError::Other(m)
    }

    /// The same refusal, pinned to a field of the form.
    pub fn at(self, field: &'static str) -> AppError {
        AppError::AtField(field, Box::new(self))
    }

    /// The field a refusal concerns, and the refusal itself.
    pub fn field(&self) -> (Option<&'static str>, &AppError) {
        match self {
            AppError::AtField(f, inner) => (Some(f), inner),
            other => (None, other),
        }
    }

    /// The stable code of the error (as the API answers it).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Domain(d) => d.code.as_str(),
            AppError::Fields(errs) => errs
                .first()
                .map(|e| e.error.code.as_str())
                .unwrap_or("INVALID"),
            AppError::AtField(_, inner) => inner.code(),
            AppError::BadInput { code, .. } | AppError::Invalid { code, .. } => code,
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Login(e) => e.code(),
            AppError::File(e) => e.code,
            AppError::Store(e) => e.code(),
            AppError::Other(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for AppError {
    /// A refusal the store raised stays a refusal; only database trouble is a `Store` failure.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => AppError::Domain(d),
            StoreError::NotFound(what) => AppError::NotFound(format!("未找到：{what}")),
            other => AppError::Store(other),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::Domain(e)
    }
}

impl From<FileError> for AppError {
    fn from(e: FileError) -> Self {
        AppError::File(e)
    }
}

impl From<LoginError> for AppError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Store(s) => s.into(),
            other => AppError::Login(other),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Today in China Standard Time by the system clock, for the command line (which runs on the
/// system clock; the server passes its [`App`]'s clock instead).
pub fn today() -> chrono::NaiveDate {
    Clock::system().today()
}
