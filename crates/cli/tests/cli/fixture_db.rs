//! A database written by an earlier release still verifies with today's code: the audit chain and
//! every audited row's digest, as `probity audit verify` checks them (see
//! `tests/fixtures/db-9443079/README.md` for how the fixture was made).

use std::path::Path;
use std::process::Command;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/db-9443079");

/// A private copy of the fixture (opening a database may migrate it).
fn copy_of_fixture(dir: &Path) -> (String, String) {
    for f in ["probity.db", "probity.key"] {
        std::fs::copy(Path::new(FIXTURE).join(f), dir.join(f)).unwrap();
    }
    (
        format!("sqlite://{}", dir.join("probity.db").display()),
        dir.join("probity.key").display().to_string(),
    )
}

fn probity(db: &str, key: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["--db", db, "--key-file", key])
        .args(args)
        .env_remove("PROBITY_DB")
        .env_remove("PROBITY_KEY_FILE")
        .output()
        .unwrap()
}

#[test]
fn a_database_of_an_earlier_release_passes_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = copy_of_fixture(dir.path());
    let o = probity(&db, &key, &["audit", "verify"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "audit verify failed on the earlier release's database:\n{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("审计链完整"), "{out}");
    // Its data reads as before: the roster and the accounts made by that release.
    let o = probity(&db, &key, &["user", "list"]);
    let users = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && users.contains("zhangsan") && users.contains("lisi"));
    let o = probity(&db, &key, &["subjects", "list"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("天津经济技术开发区管理委员会"));
}

/// The check above can fail: the same fixture with one row changed behind the platform's back
/// does not verify.
#[test]
fn the_fixture_check_catches_a_changed_row() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = copy_of_fixture(dir.path());
    let keys = probity_store::Keys::load_or_create(Path::new(&key)).unwrap();
    let store = probity_store::Store::open(&db, keys).unwrap();
    store
        .raw_exec("UPDATE subjects SET name = '篡改后的名称' WHERE id = 2")
        .unwrap();
    drop(store);
    let o = probity(&db, &key, &["audit", "verify"]);
    assert!(!o.status.success(), "a changed row must fail audit verify");
}
