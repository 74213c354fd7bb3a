//! The test environment of the `probity` binary: a fresh database of `probity_testkit` (a
//! SQLite file, or a PostgreSQL schema of its own, dropped afterwards), a key file, and a working
//! directory.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use probity_store::{Keys, Store};
use probity_testkit::db::TestDb;

pub struct Env {
    pub dir: tempfile::TempDir,
    /// The database URL the binary is given.
    pub db: String,
    _db: TestDb,
}

impl Env {
    fn on(db: TestDb) -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            db: db.url().to_string(),
            _db: db,
        }
    }

    pub fn sqlite() -> Env {
        Env::on(TestDb::sqlite_file())
    }

    /// A fresh PostgreSQL schema when PROBITY_TEST_PG is set (None: the variant is skipped).
    pub fn postgres() -> Option<Env> {
        TestDb::postgres("cli").map(Env::on)
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("probity.key")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the binary with `stdin` as its standard input (None: no input at all).
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_in(args, stdin, &[])
    }

    /// Runs the binary with these environment variables set.
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        self.run_in(args, None, vars)
    }

    fn run_in(&self, args: &[&str], stdin: Option<&str>, vars: &[(&str, &str)]) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
            .arg("--db")
            .arg(&self.db)
            .arg("--key-file")
            .arg(self.key())
            .args(args)
            .current_dir(self.dir.path())
            .env("PROBITY_LOG", "warn")
            .envs(vars.iter().copied())
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

/// Starts `probity serve` on a free port with the extra arguments and environment; returns the
/// child (killed on drop) and the address it printed.
pub struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn serve(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (Serve, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_probity"));
    cmd.args(["--db", &env.db, "--key-file"])
        .arg(env.key())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        // Its default index directory (beside a SQLite database, or data/ under the working
        // directory for PostgreSQL) lands in the test's own directory.
        .current_dir(env.dir.path())
        .env("PROBITY_LOG", "warn")
        .env_remove("PROBITY_METRICS_ADDR")
        .env_remove("PROBITY_METRICS_TOKEN")
        .stdout(std::process::Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(a) = line.strip_prefix("Probity 已启动：http://") {
            break a.to_string();
        }
    };
    (Serve(child), addr)
}
