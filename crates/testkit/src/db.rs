//! Fresh databases for one test: SQLite (in memory, or a file in a temporary directory) and, when
//! `PROBITY_TEST_PG` names a PostgreSQL database, a schema of its own there, dropped afterwards.
//! With `PROBITY_REQUIRE_PG=1` (CI sets it) a PostgreSQL variant that has no database to run on
//! fails instead of passing on SQLite alone.

use std::sync::atomic::{AtomicU64, Ordering};

use probity_store::{Keys, Store};

/// The environment variable that names the PostgreSQL database of the tests.
pub const PG_ENV: &str = "PROBITY_TEST_PG";

/// Set to `1`, a PostgreSQL variant without a database fails rather than being skipped.
pub const REQUIRE_PG_ENV: &str = "PROBITY_REQUIRE_PG";

/// The keys of every test store.
pub fn keys() -> Keys {
    Keys::from_master(&[1u8; 32])
}

/// Expands each `body => name_sqlite, name_postgres;` into two tests that run `fn body(&Store)`
/// against a fresh store of each backend. Attributes (e.g. `#[ignore = "bug: …"]`) apply to both.
#[macro_export]
macro_rules! store_tests {
    ($( $(#[$meta:meta])* $body:ident => $sqlite:ident, $pg:ident; )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $sqlite() {
                $crate::db::run_store($crate::db::Backend::Sqlite, $body);
            }
            $(#[$meta])*
            #[test]
            fn $pg() {
                $crate::db::run_store($crate::db::Backend::Postgres, $body);
            }
        )*
    };
}

/// Like `store_tests!` for bodies `fn body(&mut TestDb)` that open the database themselves
/// (several times). The SQLite database is then a file in a temporary directory.
#[macro_export]
macro_rules! db_tests {
    ($( $(#[$meta:meta])* $body:ident => $sqlite:ident, $pg:ident; )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $sqlite() {
                $crate::db::run_db($crate::db::Backend::Sqlite, $body);
            }
            $(#[$meta])*
            #[test]
            fn $pg() {
                $crate::db::run_db($crate::db::Backend::Postgres, $body);
            }
        )*
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// The name assertion messages carry, so that a failure says which database it was on.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
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

/// A schema name no other test of any process uses at the same time; `tag` says whose it is.
fn unique_schema(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "probity_{tag}_{}_{}",
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

    /// A fresh schema (named after `tag`) in the database named by `PROBITY_TEST_PG`, or None
    /// (with a notice) when that variable is not set. A database that is named but cannot be
    /// reached fails the test; so does a missing one under `PROBITY_REQUIRE_PG=1`.
    pub fn postgres(tag: &str) -> Option<TestDb> {
        let base = match std::env::var(PG_ENV) {
            Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
            _ => {
                assert!(
                    std::env::var(REQUIRE_PG_ENV).as_deref() != Ok("1"),
                    "{REQUIRE_PG_ENV}=1 but {PG_ENV} is not set"
                );
                eprintln!(
                    "notice: {PG_ENV} is not set; skipping the PostgreSQL variant of this test"
                );
                return None;
            }
        };
        let mut client = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{PG_ENV}={base}: cannot connect: {e}"));
        let schema = unique_schema(tag);
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
        // libpq-style `options`, percent-encoded: `-csearch_path=<schema>`, and commits that do
        // not wait for the write-ahead log to reach the disk (what a crash would lose is no
        // test's concern; the migrations and journal entries of every test commit many times).
        let sep = if base.contains('?') { '&' } else { '?' };
        let url =
            format!("{base}{sep}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff");
        Some(TestDb {
            url,
            pg: Some(PgSchema { client, schema }),
            _dir: None,
        })
    }

    /// A database of `backend` to be opened several times (SQLite: a file), or None when the
    /// PostgreSQL variant is skipped.
    pub fn new(backend: Backend, tag: &str) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite_file()),
            Backend::Postgres => TestDb::postgres(tag),
        }
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

/// Runs `body` on a fresh store of `backend` (SQLite in memory), unless the PostgreSQL variant is
/// skipped.
pub fn run_store(backend: Backend, body: fn(&Store)) {
    let db = match backend {
        Backend::Sqlite => Some(TestDb::sqlite_memory()),
        Backend::Postgres => TestDb::postgres("t"),
    };
    let Some(mut db) = db else {
        return;
    };
    let store = db.open();
    body(&store);
    // The pool's connections close before the schema is dropped.
    drop(store);
    drop(db);
}

/// Runs `body` on a fresh database of `backend` (SQLite in a file), unless the PostgreSQL variant
/// is skipped.
pub fn run_db(backend: Backend, body: fn(&mut TestDb)) {
    let Some(mut db) = TestDb::new(backend, "t") else {
        return;
    };
    body(&mut db);
    drop(db);
}

/// A store on a fresh database, for a test that loops over the backends itself.
pub struct TestStore {
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    pub store: Store,
    // Dropped after the store, so that the pool's connections close before the schema goes.
    pub db: TestDb,
}

/// Fresh stores for one test: SQLite (a file) always, PostgreSQL too unless its variant is
/// skipped; `tag` names the PostgreSQL schema.
pub fn backends(tag: &str) -> Vec<TestStore> {
    Backend::ALL
        .into_iter()
        .filter_map(|backend| {
            let mut db = TestDb::new(backend, tag)?;
            Some(TestStore {
                name: backend.name(),
                store: db.open(),
                db,
            })
        })
        .collect()
}
