//! The databases the web tests run against: SQLite always, PostgreSQL too when PROBITY_TEST_PG is
//! set, each fresh (a temporary file; a schema of its own, dropped afterwards).

use probity_store::{Keys, Store};

pub struct Backend {
    pub name: &'static str,
    pub store: Store,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg
            && let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Fresh stores for one test; `tag` names the SQLite file and the PostgreSQL schema.
pub fn backends(tag: &str) -> Vec<Backend> {
    let keys = Keys::from_master(&[9u8; 32]);
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join(format!("{tag}.db")).display()
    );
    let mut out = vec![Backend {
        name: "sqlite",
        store: Store::open(&url, keys.clone()).unwrap(),
        _dir: dir,
        pg: None,
    }];
    match std::env::var("PROBITY_TEST_PG") {
        Ok(base) => {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let schema = format!(
                "probity_{tag}_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            let mut c = postgres::Client::connect(&base, postgres::NoTls).unwrap();
            c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
            out.push(Backend {
                name: "postgres",
                store: Store::open(&url, keys).unwrap(),
                _dir: tempfile::tempdir().unwrap(),
                pg: Some((base, schema)),
            });
        }
        Err(_) => {
            // CI sets PROBITY_REQUIRE_PG=1: there a missing database fails the test.
            assert!(
                std::env::var("PROBITY_REQUIRE_PG").as_deref() != Ok("1"),
                "PROBITY_REQUIRE_PG=1 but PROBITY_TEST_PG is not set"
            );
            eprintln!("PROBITY_TEST_PG not set: PostgreSQL variant skipped")
        }
    }
    out
}
