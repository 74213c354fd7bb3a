//! Test harness of the store suite: one body per test, run against SQLite and, when
//! `PROBITY_TEST_PG` names a PostgreSQL database, against PostgreSQL in a schema of its own.
//! Plus the fixture (a small roster of Binhai New Area) and helpers to build records.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use probity_domain::Code;
use probity_domain::ident::{IdNumber, Uscc};
use probity_domain::record::{NewRecord, RecordRow};
use probity_domain::subject::{NewSubject, RosterRow};
use probity_store::{
    Channel, ImportOptions, Keys, Outcome, Problem, RosterReport, Store, StoreError, StoredRecord,
    Subject, VerifyReport,
};

/// The environment variable that names the PostgreSQL database of the tests.
pub const PG_ENV: &str = "PROBITY_TEST_PG";

pub fn keys() -> Keys {
    Keys::from_master(&[1u8; 32])
}

/// Expands each `body => name_sqlite, name_postgres;` into two tests that run `fn body(&Store)`
/// against a fresh store of each backend. Attributes (e.g. `#[ignore = "bug: …"]`) apply to both.
macro_rules! store_tests {
    ($( $(#[$meta:meta])* $body:ident => $sqlite:ident, $pg:ident; )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $sqlite() {
                $crate::common::run_store($crate::common::Backend::Sqlite, $body);
            }
            $(#[$meta])*
            #[test]
            fn $pg() {
                $crate::common::run_store($crate::common::Backend::Postgres, $body);
            }
        )*
    };
}

/// Like `store_tests!` for bodies `fn body(&TestDb)` that open the database themselves (several
/// times). The SQLite database is then a file in a temporary directory.
macro_rules! db_tests {
    ($( $(#[$meta:meta])* $body:ident => $sqlite:ident, $pg:ident; )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $sqlite() {
                $crate::common::run_db($crate::common::Backend::Sqlite, $body);
            }
            $(#[$meta])*
            #[test]
            fn $pg() {
                $crate::common::run_db($crate::common::Backend::Postgres, $body);
            }
        )*
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One test's database. For PostgreSQL: a fresh schema, dropped when this is dropped.
pub struct TestDb {
    url: String,
    pg: Option<PgSchema>,
    _dir: Option<tempfile::TempDir>,
}

struct PgSchema {
    client: postgres::Client,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Best effort: a schema left behind only costs disk space.
        if let Err(e) = self
            .client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
        {
            eprintln!("warning: could not drop test schema {}: {e}", self.schema);
        }
    }
}

fn unique_schema() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "probity_t_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// An in-memory SQLite database (every `open` gets its own one).
    pub fn sqlite_memory() -> TestDb {
        TestDb {
            url: "sqlite::memory:".into(),
            pg: None,
            _dir: None,
        }
    }

    /// A file-based SQLite database in a fresh temporary directory, to be opened several times.
    pub fn sqlite_file() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("probity.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            pg: None,
            _dir: Some(dir),
        }
    }

    /// A fresh schema in the database named by `PROBITY_TEST_PG`, or None (with a notice) when
    /// that variable is not set.
    pub fn postgres() -> Option<TestDb> {
        let base = match std::env::var(PG_ENV) {
            Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
            _ => {
                // CI sets PROBITY_REQUIRE_PG=1: there a missing database fails the test rather
                // than letting it pass on SQLite alone.
                assert!(
                    std::env::var("PROBITY_REQUIRE_PG").as_deref() != Ok("1"),
                    "PROBITY_REQUIRE_PG=1 but {PG_ENV} is not set"
                );
                eprintln!(
                    "notice: {PG_ENV} is not set; skipping the PostgreSQL variant of this test"
                );
                return None;
            }
        };
        let mut client = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{PG_ENV}={base}: cannot connect: {e}"));
        let schema = unique_schema();
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
        // libpq-style `options`, percent-encoded: `-csearch_path=<schema>`.
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
        Some(TestDb {
            url,
            pg: Some(PgSchema { client, schema }),
            _dir: None,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens (and migrates) the store on this database.
    pub fn open(&mut self) -> Store {
        self.open_with(keys())
    }

    pub fn open_with(&mut self, keys: Keys) -> Store {
        let store = Store::open(&self.url, keys)
            .unwrap_or_else(|e| panic!("Store::open({}): {e}", self.url));
        if let Some(pg) = &mut self.pg {
            // The store's tables must be in this test's schema, not in a shared one.
            let q = format!("SELECT to_regclass('{}.journal') IS NOT NULL", pg.schema);
            let here: bool = pg.client.query_one(&q, &[]).expect("schema check").get(0);
            assert!(
                here,
                "the store did not create its tables in schema {} (search_path not applied)",
                pg.schema
            );
        }
        store
    }

    /// The journal's sequence numbers as the database holds them, when the harness can read them
    /// directly (PostgreSQL only; SQLite's in-memory database is private to the store's pool).
    pub fn journal_seqs(&mut self) -> Option<Vec<i64>> {
        let pg = self.pg.as_mut()?;
        let rows = pg
            .client
            .query(
                &format!("SELECT seq FROM {}.journal ORDER BY seq", pg.schema),
                &[],
            )
            .expect("journal seqs");
        Some(rows.iter().map(|r| r.get::<_, i64>(0)).collect())
    }
}

impl TestDb {
    /// The journal as (actor, action, entity, entity_id, detail), read behind the store's back:
    /// PostgreSQL through the harness's connection, SQLite from its file.
    pub fn journal_rows(&mut self) -> Vec<(String, String, String, String, String)> {
        const SQL: &str =
            "SELECT actor, action, entity, entity_id, detail FROM journal ORDER BY seq";
        if let Some(pg) = &mut self.pg {
            pg.client
                .batch_execute(&format!("SET search_path TO {}", pg.schema))
                .expect("search_path");
            let rows = pg.client.query(SQL, &[]).expect("journal rows");
            return rows
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
                .collect();
        }
        let path = self
            .url
            .strip_prefix("sqlite://")
            .filter(|p| !p.is_empty() && *p != ":memory:")
            .expect("journal_rows needs a file database (db_tests!)");
        let c = r2d2_sqlite::rusqlite::Connection::open(path).expect("open sqlite file");
        let mut st = c.prepare(SQL).expect("prepare");
        st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows")
    }
}

fn test_db(backend: Backend, file: bool) -> Option<TestDb> {
    match backend {
        Backend::Sqlite if file => Some(TestDb::sqlite_file()),
        Backend::Sqlite => Some(TestDb::sqlite_memory()),
        Backend::Postgres => TestDb::postgres(),
    }
}

pub fn run_store(backend: Backend, body: fn(&Store)) {
    let Some(mut db) = test_db(backend, false) else {
        return;
    };
    let store = db.open();
    body(&store);
    // The pool's connections close before the schema is dropped.
    drop(store);
    drop(db);
}

pub fn run_db(backend: Backend, body: fn(&mut TestDb)) {
    let Some(mut db) = test_db(backend, true) else {
        return;
    };
    body(&mut db);
    drop(db);
}

// ---------------------------------------------------------------------------------------------
// Fixture

pub const GOV: &str = "天津市滨海新区人民政府";
pub const COURT: &str = "天津市滨海新区人民法院";
pub const FINANCE: &str = "天津市滨海新区财政局";
pub const TOWNSHIP: &str = "天津市滨海新区新河街道办事处";
pub const PERSON: &str = "张三";

/// "Today" for record validation: every fixture decision lies before it.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

/// A valid USCC of Binhai New Area with the given 8 organisation-code body chars.
pub fn uscc(body8: &str) -> Uscc {
    Uscc::from_parts('1', '1', "120116", body8).unwrap()
}

/// The same code with a wrong final check char (as pre-2016 codes sometimes have).
pub fn bad_check(u: &Uscc) -> String {
    let s = u.as_str();
    let last = s.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    let out = format!("{}{wrong}", &s[..17]);
    assert!(
        Uscc::parse(&out).is_err(),
        "{out} should fail its check digit"
    );
    out
}

pub fn gov_uscc() -> Uscc {
    uscc("MB000001")
}
pub fn court_uscc() -> Uscc {
    uscc("MB000002")
}
pub fn finance_uscc() -> Uscc {
    uscc("MB000003")
}
pub fn township_uscc() -> Uscc {
    uscc("MB000004")
}
pub fn person_id() -> IdNumber {
    IdNumber::from_parts("120116", NaiveDate::from_ymd_opt(1980, 5, 17).unwrap(), 123).unwrap()
}

pub fn unit_row(name: &str, short: &str, kind: &str, uscc: &str, parent: &str) -> RosterRow {
    RosterRow {
        name: name.into(),
        short_name: short.into(),
        kind: kind.into(),
        uscc: uscc.into(),
        parent: parent.into(),
        ..Default::default()
    }
}

pub fn person_row(name: &str, id: &IdNumber, unit: &str, position: &str) -> RosterRow {
    RosterRow {
        name: name.into(),
        kind: "公务员".into(),
        id_number: id.as_str().into(),
        unit: unit.into(),
        position: position.into(),
        ..Default::default()
    }
}

/// The fixture's roster, children before their parent (the store must not care).
pub fn fixture_rows() -> Vec<RosterRow> {
    vec![
        unit_row(COURT, "区法院", "部门", court_uscc().as_str(), GOV),
        unit_row(
            FINANCE,
            "区财政局",
            "部门",
            finance_uscc().as_str(),
            "区政府",
        ),
        unit_row(
            TOWNSHIP,
            "新河街道",
            "街镇",
            township_uscc().as_str(),
            gov_uscc().as_str(),
        ),
        unit_row(GOV, "区政府", "区政府", gov_uscc().as_str(), ""),
        person_row(PERSON, &person_id(), "区财政局", "科长"),
    ]
}

/// Validates roster rows (strictly) and numbers them like lines of a file under its header.
pub fn roster(rows: &[RosterRow]) -> Vec<(usize, NewSubject)> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| (i + 2, r.validate(false).expect("valid roster row")))
        .collect()
}

pub fn import_roster(store: &Store, rows: &[RosterRow]) -> RosterReport {
    store
        .import_roster(roster(rows), "信用办:admin")
        .expect("roster import")
}

/// The fixture's subjects as stored.
#[derive(Debug, Clone)]
pub struct Fx {
    pub gov: Subject,
    pub court: Subject,
    pub finance: Subject,
    pub township: Subject,
    pub person: Subject,
}

pub fn fixture(store: &Store) -> Fx {
    let report = import_roster(store, &fixture_rows());
    assert_eq!(report.created, 5, "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
    Fx {
        gov: store.find_unit(GOV).unwrap(),
        court: store.find_unit("区法院").unwrap(),
        finance: store.find_unit("区财政局").unwrap(),
        township: store.find_unit("新河街道").unwrap(),
        person: store
            .find_civil_servant(&person_id())
            .unwrap()
            .expect("civil servant"),
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// A record row about a unit, as a provider's file would have it.
pub fn unit_record(subject: &Subject, category: &str, doc: &str) -> RecordRow {
    RecordRow {
        subject_name: subject.name.clone(),
        uscc: subject.uscc.clone().expect("a unit has a USCC"),
        category: category.into(),
        document_no: doc.into(),
        decided_on: "2025-03-05".into(),
        authority: "天津市滨海新区财政局".into(),
        facts: format!("未按约定履行义务（{doc}）"),
        outcome: "责令限期改正".into(),
        ..Default::default()
    }
}

/// A record row about the fixture's civil servant.
pub fn person_record(category: &str, doc: &str) -> RecordRow {
    RecordRow {
        subject_name: PERSON.into(),
        id_number: person_id().as_str().into(),
        category: category.into(),
        document_no: doc.into(),
        decided_on: "2025-02-10".into(),
        authority: "天津市滨海新区财政局".into(),
        facts: format!("违反财经纪律（{doc}）"),
        outcome: "警告".into(),
        ..Default::default()
    }
}

/// Validates record rows against the store's catalog, numbered from 2 like lines of a file.
pub fn batch(store: &Store, rows: &[RecordRow]) -> Vec<(usize, NewRecord)> {
    let catalog = store.catalog().unwrap();
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            (
                i + 2,
                r.validate(&catalog, today())
                    .unwrap_or_else(|e| panic!("invalid row {r:?}: {e:?}")),
            )
        })
        .collect()
}

pub fn opts(provider: &Subject, activate: bool) -> ImportOptions {
    ImportOptions {
        provider: provider.clone(),
        actor: "tester".into(),
        channel: Channel::File,
        source: "records.xlsx".into(),
        activate,
        all_or_nothing: false,
    }
}

/// One import of one batch, committed. Returns the outcomes in row order.
pub fn import(
    store: &Store,
    provider: &Subject,
    activate: bool,
    rows: &[RecordRow],
) -> Vec<Outcome> {
    let b = batch(store, rows);
    let mut imp = store.start_import(opts(provider, activate)).unwrap();
    let out = imp.push(b).unwrap();
    imp.finish(true).unwrap();
    out.into_iter().map(|(_, o)| o).collect()
}

pub fn accepted(o: &Outcome) -> i64 {
    match o {
        Outcome::Accepted { id } => *id,
        other => panic!("expected Accepted, got {other:?}"),
    }
}

pub fn duplicate(o: &Outcome) -> i64 {
    match o {
        Outcome::Duplicate { id } => *id,
        other => panic!("expected Duplicate, got {other:?}"),
    }
}

/// The (column, code) of a rejected row's first fault.
pub fn rejected(o: &Outcome) -> (&'static str, Code) {
    match o {
        Outcome::Rejected(errs) => {
            assert!(!errs.is_empty());
            (errs[0].column, errs[0].error.code)
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

/// The domain code of a store error (panics on any other kind of error).
pub fn domain_code(e: &StoreError) -> Code {
    match e {
        StoreError::Domain(d) => d.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

pub fn all_records(store: &Store) -> Vec<StoredRecord> {
    let mut out = Vec::new();
    store
        .export_since(0, |r| {
            out.push(r.record);
            Ok(())
        })
        .unwrap();
    out
}

/// `verify()` found nothing wrong, and its counts agree with the store.
pub fn assert_clean(store: &Store) -> VerifyReport {
    let report = store.verify().unwrap();
    assert_eq!(report.problem, None, "{report:?}");
    assert_eq!(
        report.entries as i64,
        store.head_seq().unwrap(),
        "{report:?}"
    );
    let rows = store.subjects().unwrap().len() as i64
        + store.record_count().unwrap()
        + store.catalog().unwrap().categories().len() as i64
        + store.accounts().unwrap().len() as i64
        + store.tokens(None).unwrap().len() as i64
        + store.report_count().unwrap();
    assert_eq!(report.rows as i64, rows, "{report:?}");
    let head = report.head.as_deref().expect("a head hash");
    assert_eq!(head.len(), 64, "{head}");
    assert!(head.chars().all(|c| c.is_ascii_hexdigit()), "{head}");
    report
}

/// `verify()` found a problem: returns it.
pub fn problem(store: &Store) -> Problem {
    let report = store.verify().unwrap();
    assert_eq!(
        report.head, None,
        "no head hash is vouched for when something is wrong: {report:?}"
    );
    match report.problem {
        Some(p) => p,
        None => panic!("verify found nothing: {report:?}"),
    }
}

pub fn assert_entry_problem(p: &Problem, expected_seq: i64) {
    match p {
        Problem::Entry { seq, reason } => {
            assert_eq!(*seq, expected_seq, "{p:?}");
            assert!(!reason.is_empty());
        }
        other => panic!("expected a journal entry problem at seq {expected_seq}, got {other:?}"),
    }
}

pub fn assert_row_problem(p: &Problem, expected_entity: &str, expected_id: &str) {
    match p {
        Problem::Row { entity, id, reason } => {
            assert_eq!(
                (entity.as_str(), id.as_str()),
                (expected_entity, expected_id),
                "{p:?}"
            );
            assert!(!reason.is_empty());
        }
        other => panic!("expected a problem with {expected_entity} {expected_id}, got {other:?}"),
    }
}
