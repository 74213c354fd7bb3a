//! The test environment of the `probity` binary: a fresh database (a SQLite file, or a
//! PostgreSQL schema of its own, dropped afterwards), a key file, and a working directory.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use probity_store::{Keys, Store};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: String,
    pg_schema: Option<(String, String)>,
}

impl Env {
    pub fn sqlite() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("p.db").display());
        Env {
            dir,
            db,
            pg_schema: None,
        }
    }

    /// A fresh PostgreSQL schema when PROBITY_TEST_PG is set; `tag` names it.
    pub fn postgres(tag: &str) -> Option<Env> {
        let Ok(base) = std::env::var("PROBITY_TEST_PG") else {
            // CI sets PROBITY_REQUIRE_PG=1: there a missing database fails the test.
            assert!(
                std::env::var("PROBITY_REQUIRE_PG").as_deref() != Ok("1"),
                "PROBITY_REQUIRE_PG=1 but PROBITY_TEST_PG is not set"
            );
            return None;
        };
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let schema = format!(
            "probity_{tag}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let db = format!("{base}{sep}options=-csearch_path%3D{schema}");
        Some(Env {
            dir: tempfile::tempdir().unwrap(),
            db,
            pg_schema: Some((base, schema)),
        })
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("probity.key")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the binary with `stdin` as its standard input (None: no input at all).
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
            .arg("--db")
            .arg(&self.db)
            .arg("--key-file")
            .arg(self.key())
            .args(args)
            .current_dir(self.dir.path())
            .env("PROBITY_LOG", "warn")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, None)
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db, Keys::load_or_create(&self.key()).unwrap()).unwrap()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg_schema
            && let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}
