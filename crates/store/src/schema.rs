//! Migrations, applied in order on start-up. Written once in a dialect both databases accept;
//! `BYTEA` becomes `BLOB` on SQLite. Dates are `YYYY-MM-DD` text, times RFC 3339 UTC text.

use crate::db::{Conn, Dialect, Val};
use crate::error::StoreResult;

const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_record_core",
    r#"
CREATE TABLE subjects (
    id            BIGINT PRIMARY KEY,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    short_name    TEXT,
    uscc          TEXT UNIQUE,
    uscc_override BIGINT NOT NULL DEFAULT 0,
    id_hash       BYTEA UNIQUE,
    id_cipher     BYTEA,
    id_masked     TEXT,
    parent_id     BIGINT REFERENCES subjects(id),
    unit_id       BIGINT REFERENCES subjects(id),
    position      TEXT,
    successor_id  BIGINT REFERENCES subjects(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX subjects_name ON subjects (name);
CREATE INDEX subjects_short_name ON subjects (short_name);
CREATE INDEX subjects_unit ON subjects (unit_id);

CREATE TABLE categories (
    code       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE records (
    id               BIGINT PRIMARY KEY,
    subject_id       BIGINT NOT NULL REFERENCES subjects(id),
    provider_id      BIGINT NOT NULL REFERENCES subjects(id),
    category         TEXT NOT NULL REFERENCES categories(code),
    kind             TEXT NOT NULL,
    document_no      TEXT NOT NULL,
    subject_name     TEXT NOT NULL,
    decided_on       TEXT NOT NULL,
    authority        TEXT NOT NULL,
    facts            TEXT NOT NULL,
    basis            TEXT,
    outcome          TEXT NOT NULL,
    severity         TEXT,
    scope            TEXT NOT NULL,
    disclosure_until TEXT NOT NULL,
    state            TEXT NOT NULL,
    content_digest   BYTEA NOT NULL,
    channel          TEXT NOT NULL,
    source           TEXT NOT NULL,
    source_row       BIGINT,
    submitted_by     TEXT NOT NULL,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    seen_count       BIGINT NOT NULL,
    last_seq         BIGINT NOT NULL,
    CONSTRAINT records_provider_document UNIQUE (provider_id, document_no)
);
CREATE INDEX records_subject ON records (subject_id);
CREATE INDEX records_last_seq ON records (last_seq);

CREATE TABLE journal (
    seq          BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    detail       TEXT NOT NULL,
    state_digest BYTEA NOT NULL,
    prev_hash    BYTEA NOT NULL,
    hash         BYTEA NOT NULL
);
"#,
)];

pub fn migrate(conn: &mut Conn) -> StoreResult<()> {
    let dialect = conn.dialect();
    conn.write(|c| {
        c.batch("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        for (name, sql) in MIGRATIONS {
            let done = c.query_one("SELECT name FROM schema_migrations WHERE name = $1", &[Val::from(*name)])?;
            if done.is_some() {
                continue;
            }
            let sql = match dialect {
                Dialect::Sqlite => sql.replace("BYTEA", "BLOB"),
                Dialect::Postgres => sql.to_string(),
            };
            c.batch(&sql)?;
            c.exec(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)",
                &[Val::from(*name), Val::from(crate::now_text())],
            )?;
        }
        Ok(())
    })
}
