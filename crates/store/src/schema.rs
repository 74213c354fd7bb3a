//! Migrations, applied in order on start-up. Written once in a dialect both databases accept;
//! `BYTEA` becomes `BLOB` on SQLite. Dates are `YYYY-MM-DD` text, times RFC 3339 UTC text.

use crate::db::{Conn, Dialect, Val};
use crate::error::StoreResult;

/// One migration: SQL both databases accept, or code for what differs between them.
enum Step {
    Sql(&'static str),
    Run(fn(&mut Conn) -> StoreResult<()>),
}

const MIGRATIONS: &[(&str, Step)] = &[
    (
        "0001_record_core",
        Step::Sql(
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
        ),
    ),
    (
        "0002_accounts",
        Step::Sql(
            r#"
CREATE TABLE accounts (
    id             BIGINT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    name_key       TEXT NOT NULL UNIQUE,
    role           TEXT NOT NULL,
    unit_id        BIGINT REFERENCES subjects(id),
    password_hash  TEXT NOT NULL,
    totp_secret    BYTEA,
    totp_enabled   BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT,
    disabled       BIGINT NOT NULL DEFAULT 0,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   TEXT,
    last_login_at  TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX accounts_unit ON accounts (unit_id);

CREATE TABLE login_failures (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    at         TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account_id, at);

CREATE TABLE sessions (
    token_hash   BYTEA PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts(id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           BIGINT PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    account_id   BIGINT NOT NULL REFERENCES accounts(id),
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);
"#,
        ),
    ),
    (
        // Lists page newest first within a provider's submissions or a subject's file; without
        // these the database sorts every matching row to show fifty.
        "0003_record_list_indexes",
        Step::Sql(
            r#"
CREATE INDEX records_provider_recent ON records (provider_id, id);
CREATE INDEX records_subject_recent ON records (subject_id, id);
DROP INDEX records_subject;
CREATE INDEX journal_entity ON journal (entity, entity_id);
"#,
        ),
    ),
    (
        // The review queue and the state tiles read one state in id order. Without this, a
        // queue of three waits behind a scan of every activated record. (Sorting by decision
        // date has no index of its own: decision dates arrive in no order, and such an index
        // cost a 1M-record import a fifth of its speed; a provider's records sort in memory.)
        "0004_record_state_index",
        Step::Sql(
            r#"
CREATE INDEX records_state_recent ON records (state, id);
"#,
        ),
    ),
    (
        // Credit reports: what was signed, and a hash of the code that lets anyone verify it.
        "0005_reports",
        Step::Sql(
            r#"
CREATE TABLE reports (
    id BIGINT PRIMARY KEY,
    report_no TEXT NOT NULL UNIQUE,
    subject_id BIGINT NOT NULL REFERENCES subjects (id),
    issued_on TEXT NOT NULL,
    content TEXT NOT NULL,
    digest BYTEA NOT NULL,
    signature BYTEA NOT NULL,
    code_hash BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reports_subject ON reports (subject_id);
"#,
        ),
    ),
    (
        // Every issuance of a credit report: a further verification code for a report asked for
        // again (same unit, day and content), and the asker's keyed hash, for the hourly limit.
        "0006_report_codes",
        Step::Sql(
            r#"
CREATE TABLE report_codes (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    code_hash BYTEA NOT NULL,
    client_hash BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX report_codes_report ON report_codes (report_id);
CREATE INDEX report_codes_client ON report_codes (client_hash, created_at);
"#,
        ),
    ),
    (
        // Separation of duties: an account created or reset by the system administrator must
        // change its one-time password first; failed logins count per account and client, so
        // that a stranger cannot lock the holder out.
        "0008_account_duties",
        Step::Sql(
            r#"
ALTER TABLE accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
DROP INDEX login_failures_account;
CREATE INDEX login_failures_account ON login_failures (account_id, client, at);
"#,
        ),
    ),
    (
        // Background jobs (an uploaded file waiting for, running or done with its import) live in
        // the database, so that any node shows and starts them and a restart loses nothing.
        "0010_jobs",
        Step::Sql(
            r#"
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    owner_id    BIGINT NOT NULL,
    file_name   TEXT NOT NULL,
    provider    TEXT NOT NULL,
    state       TEXT NOT NULL,
    progress    TEXT,
    outcome     TEXT,
    input       BYTEA,
    errors      BYTEA,
    node        TEXT,
    lease_until TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX jobs_owner ON jobs (owner_id, created_at);
CREATE INDEX jobs_state ON jobs (state, lease_until);
"#,
        ),
    ),
    ("0011_id_sequences", Step::Run(id_sequences)),
    ("0012_sqlite_rowid_indexes", Step::Run(sqlite_rowid_indexes)),
    (
        // Why the credit office sent a record back (退回), while it waits for its provider: the
        // lists and the dashboard show 已退回 and the reason without reading the journal, which
        // keeps the audited copy of it. Set by the send-back, cleared by the next transition.
        "0013_sent_back",
        Step::Sql("ALTER TABLE records ADD COLUMN sent_back_reason TEXT;"),
    ),
    (
        // Who holds an account and how to reach them (姓名, 联系电话): the administrators grant
        // a role to a known person and call them to confirm it. Audited columns; the digests
        // of existing accounts are taken again over them (`audit_upgrade`).
        "0014_account_contact",
        Step::Sql(
            "ALTER TABLE accounts ADD COLUMN real_name TEXT NOT NULL DEFAULT '';\n\
             ALTER TABLE accounts ADD COLUMN phone TEXT NOT NULL DEFAULT '';",
        ),
    ),
    (
        // The working-day calendar as the credit office maintains it (工作日历): one row per
        // year, its listed days (holidays and make-up working days) as JSON. A year stored here
        // replaces the shipped State Council data for that year. Audited by year.
        "0015_calendar_years",
        Step::Sql(
            "CREATE TABLE calendar_years (\n\
                year        BIGINT PRIMARY KEY,\n\
                days        TEXT NOT NULL,\n\
                updated_at  TEXT NOT NULL\n\
             );",
        ),
    ),
    // Cases with deadlines (异议, 信用修复, 整改, 投诉举报), their history, their attachments
    // (in the database, so that every node serves them) and the notifications they send.
    ("0016_cases", Step::Run(cases_tables)),
    (
        // The holder's e-mail address (邮箱), where the notifications go when mail is
        // configured; blank for no mail. Audited like the phone; the digests of existing
        // accounts are taken again over it (`audit_upgrade`).
        "0017_account_email",
        Step::Sql("ALTER TABLE accounts ADD COLUMN email TEXT NOT NULL DEFAULT '';"),
    ),
    // The platform's settings the credit office keeps (the case deadlines first), audited.
    (
        "0018_settings",
        Step::Sql(
            "CREATE TABLE settings (\n\
                name        TEXT PRIMARY KEY,\n\
                body        TEXT NOT NULL,\n\
                updated_at  TEXT NOT NULL\n\
             );",
        ),
    ),
    // The daily expiry reads only the active records whose period may have ended
    // (`visit_expirable_periods`): by state and own end date, and by state, category, severity
    // and decision date (where the maximum of the category for the severity caps the period).
    // Both lead with the state, so that SQLite's planner, without statistics, prefers them to
    // the state's own index (a partial index lost to it and read every active record).
    (
        "0019_expiry_indexes",
        Step::Sql(
            "CREATE INDEX records_state_until ON records (state, disclosure_until);\n\
             CREATE INDEX records_state_capped ON records (state, category, severity, decided_on);",
        ),
    ),
    // The log of credit checks (信用核查, `POST /api/v1/sanctions/check`): who asked, for what,
    // about which subject (its id: an ID number is never kept), and the answer given.
    ("0020_sanction_checks", Step::Run(sanction_checks_table)),
    (
        // What the asking department did with a restricted answer (反馈: 已落实, or 未落实 and
        // why), one per check; and which unit asked each check (NULL for an account bound to
        // none, and for the checks logged before), so that a department's accounts share its
        // checks and the credit office counts feedback by department.
        "0021_sanction_feedback",
        Step::Sql(
            "ALTER TABLE sanction_checks ADD COLUMN asker_unit BIGINT REFERENCES subjects(id);\n\
             CREATE INDEX sanction_checks_asker ON sanction_checks (asker_unit);\n\
             CREATE INDEX sanction_checks_actor ON sanction_checks (actor);\n\
             CREATE TABLE sanction_feedback (\n\
                check_id  BIGINT PRIMARY KEY REFERENCES sanction_checks(id),\n\
                applied   BIGINT NOT NULL,\n\
                reason    TEXT NOT NULL,\n\
                actor     TEXT NOT NULL,\n\
                unit_id   BIGINT REFERENCES subjects(id),\n\
                at        TEXT NOT NULL\n\
             );",
        ),
    ),
    // The yearly assessment (`assessment.rs`): the scores given by hand, one per unit, period
    // and indicator, and the periods closed with their signed snapshots.
    ("0022_assessment", Step::Run(assessment_tables)),
    // Each unit's turn on a case (整改, 投诉举报, 异议): its own deadline and when it handed the
    // case on, which the case row forgets once the case moves on or closes. The assessment's
    // on-time rates count turns. Cases opened before this migration have none.
    (
        "0023_case_turns",
        Step::Sql(
            "CREATE TABLE case_turns (\n\
                case_id     BIGINT NOT NULL REFERENCES cases(id),\n\
                unit_id     BIGINT NOT NULL REFERENCES subjects(id),\n\
                due         TEXT NOT NULL,\n\
                started_at  TEXT NOT NULL,\n\
                ended_at    TEXT\n\
             );\n\
             CREATE INDEX case_turns_case ON case_turns (case_id);\n\
             CREATE INDEX case_turns_due ON case_turns (due);",
        ),
    ),
    // The files of evidence behind a score given by hand (评分佐证材料): each with the score
    // (entry) it belongs to, its SM3 digest and its bytes, as a case's attachments are kept.
    (
        "0024_assessment_evidence",
        Step::Run(assessment_evidence_table),
    ),
    // What the credit check (信用核查) reads of a subject's records, in one index: the check
    // read each record's row from the table, one page each, for every check.
    (
        "0025_records_subject_facts",
        Step::Sql(
            "CREATE INDEX records_subject_facts ON records \
             (subject_id, state, category, kind, severity, decided_on, disclosure_until);",
        ),
    ),
    // A unit's turns, for the credit check's overdue rectifications (one unit at a time).
    (
        "0026_case_turns_unit",
        Step::Sql("CREATE INDEX case_turns_unit ON case_turns (unit_id);"),
    ),
    // The commitments registry (守信践诺, `commitments.rs`): each promise with its owner unit, its
    // counterparty and terms, and what its fulfilment entries add up to so far (kept with the
    // promise so that the daily clock and the lists read one row a promise); the entries
    // themselves (payments, …) are audited rows of their own.
    ("0027_commitments", Step::Run(commitment_tables)),
];

/// The assessment's tables (`assessment.rs`). Points are kept in hundredths.
fn assessment_tables(c: &mut Conn) -> StoreResult<()> {
    let (id, blob) = match c.dialect() {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "BLOB"),
        Dialect::Postgres => (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "BYTEA",
        ),
    };
    c.batch(&format!(
        "CREATE TABLE assessment_entries (
            id          {id},
            year        BIGINT NOT NULL,
            period      TEXT NOT NULL,
            unit_id     BIGINT NOT NULL REFERENCES subjects(id),
            indicator   TEXT NOT NULL,
            stage       TEXT NOT NULL,
            points      BIGINT NOT NULL,
            claimed     BIGINT,
            comment     TEXT NOT NULL,
            updated_by  TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            CONSTRAINT assessment_entries_one UNIQUE (year, period, unit_id, indicator)
        );
        CREATE TABLE assessment_periods (
            year          BIGINT NOT NULL,
            period        TEXT NOT NULL,
            state         TEXT NOT NULL,
            snapshot      TEXT NOT NULL,
            signature     {blob} NOT NULL,
            closed_at     TEXT NOT NULL,
            closed_by     TEXT NOT NULL,
            reopen_reason TEXT,
            PRIMARY KEY (year, period)
        );
        CREATE INDEX records_decided_on ON records (decided_on);"
    ))
}

/// The files of evidence of the assessment's scores (`assessment.rs`).
fn assessment_evidence_table(c: &mut Conn) -> StoreResult<()> {
    let (id, blob) = match c.dialect() {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "BLOB"),
        Dialect::Postgres => (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "BYTEA",
        ),
    };
    c.batch(&format!(
        "CREATE TABLE assessment_evidence (
            id          {id},
            entry_id    BIGINT NOT NULL REFERENCES assessment_entries(id),
            year        BIGINT NOT NULL,
            period      TEXT NOT NULL,
            unit_id     BIGINT NOT NULL REFERENCES subjects(id),
            indicator   TEXT NOT NULL,
            file_name   TEXT NOT NULL,
            kind        TEXT NOT NULL,
            size        BIGINT NOT NULL,
            sm3         {blob} NOT NULL,
            content     {blob} NOT NULL,
            added_by    TEXT NOT NULL,
            added_at    TEXT NOT NULL
        );
        CREATE INDEX assessment_evidence_unit ON assessment_evidence (year, period, unit_id);"
    ))
}

/// The commitments registry and its fulfilment entries (`commitments.rs`). Money is in 分.
fn commitment_tables(c: &mut Conn) -> StoreResult<()> {
    let id = match c.dialect() {
        Dialect::Sqlite => "INTEGER PRIMARY KEY",
        Dialect::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    c.batch(&format!(
        "CREATE TABLE commitments (
            id                {id},
            kind              TEXT NOT NULL,
            owner_id          BIGINT NOT NULL REFERENCES subjects(id),
            ref_no            TEXT NOT NULL,
            title             TEXT NOT NULL,
            counterparty      TEXT NOT NULL,
            counterparty_uscc TEXT,
            sme               BIGINT NOT NULL,
            amount            BIGINT NOT NULL,
            start_on          TEXT,
            term_days         BIGINT NOT NULL,
            due_on            TEXT,
            daily_rate        BIGINT,
            record_id         BIGINT REFERENCES records(id),
            source            TEXT NOT NULL,
            created_at        TEXT NOT NULL,
            paid              BIGINT NOT NULL DEFAULT 0,
            late_fen_days     BIGINT NOT NULL DEFAULT 0,
            max_late_days     BIGINT NOT NULL DEFAULT 0,
            last_paid_on      TEXT,
            entries           BIGINT NOT NULL DEFAULT 0,
            UNIQUE (kind, ref_no, owner_id)
        );
        CREATE INDEX commitments_owner ON commitments (owner_id, kind);
        CREATE INDEX commitments_due ON commitments (kind, due_on);
        CREATE TABLE commitment_entries (
            id            {id},
            commitment_id BIGINT NOT NULL REFERENCES commitments(id),
            ref_no        TEXT,
            on_date       TEXT NOT NULL,
            amount        BIGINT,
            note          TEXT,
            progress      BIGINT,
            source        TEXT NOT NULL,
            created_at    TEXT NOT NULL
        );
        CREATE INDEX commitment_entries_of ON commitment_entries (commitment_id);"
    ))
}

/// The log of credit checks (`sanctions.rs`). Its ids come from the database's sequence, as the
/// cases' do.
fn sanction_checks_table(c: &mut Conn) -> StoreResult<()> {
    let id = match c.dialect() {
        Dialect::Sqlite => "INTEGER PRIMARY KEY",
        Dialect::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    c.batch(&format!(
        "CREATE TABLE sanction_checks (
            id          {id},
            check_no    TEXT NOT NULL UNIQUE,
            at          TEXT NOT NULL,
            actor       TEXT NOT NULL,
            purpose     TEXT NOT NULL,
            subject_id  BIGINT NOT NULL REFERENCES subjects(id),
            year        BIGINT NOT NULL,
            decision    TEXT NOT NULL,
            answer      TEXT NOT NULL
        );
        CREATE INDEX sanction_checks_subject ON sanction_checks (subject_id);"
    ))
}

/// The tables of the case engine (`cases.rs`). Their ids come from the database's sequence
/// (`Conn::next_ids`): an identity column on PostgreSQL, the rowid on SQLite.
fn cases_tables(c: &mut Conn) -> StoreResult<()> {
    let (id, blob) = match c.dialect() {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "BLOB"),
        Dialect::Postgres => (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "BYTEA",
        ),
    };
    c.batch(&format!(
        "CREATE TABLE cases (
            id              {id},
            kind            TEXT NOT NULL,
            state           TEXT NOT NULL,
            outcome         TEXT,
            record_id       BIGINT REFERENCES records(id),
            subject_id      BIGINT REFERENCES subjects(id),
            applicant_kind  TEXT NOT NULL,
            applicant_unit  BIGINT REFERENCES subjects(id),
            assignee_unit   BIGINT REFERENCES subjects(id),
            deadline        TEXT,
            due             TEXT NOT NULL,
            overdue_ever    BIGINT NOT NULL DEFAULT 0,
            escalated       BIGINT NOT NULL DEFAULT 0,
            title           TEXT NOT NULL,
            body            TEXT NOT NULL,
            tracking_no     TEXT UNIQUE,
            code_hash       {blob},
            channel         TEXT,
            contact_cipher  {blob},
            rating          BIGINT,
            finding         TEXT,
            detail          TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            closed_at       TEXT
        );
        CREATE UNIQUE INDEX cases_one_open_objection ON cases (record_id)
            WHERE kind = 'objection' AND state <> 'closed';
        CREATE INDEX cases_record ON cases (record_id, kind);
        CREATE INDEX cases_open ON cases (state, kind, assignee_unit);
        CREATE INDEX cases_subject ON cases (subject_id);
        CREATE INDEX cases_assignee ON cases (assignee_unit);
        CREATE INDEX cases_applicant ON cases (applicant_unit);
        CREATE TABLE case_events (
            id          {id},
            case_id     BIGINT NOT NULL REFERENCES cases(id),
            at          TEXT NOT NULL,
            actor       TEXT NOT NULL,
            party       TEXT NOT NULL,
            action      TEXT NOT NULL,
            body        TEXT,
            from_state  TEXT,
            to_state    TEXT NOT NULL
        );
        CREATE INDEX case_events_case ON case_events (case_id);
        CREATE TABLE case_attachments (
            id          {id},
            case_id     BIGINT NOT NULL REFERENCES cases(id),
            event_id    BIGINT NOT NULL REFERENCES case_events(id),
            file_name   TEXT NOT NULL,
            kind        TEXT NOT NULL,
            size        BIGINT NOT NULL,
            sm3         {blob} NOT NULL,
            content     {blob} NOT NULL,
            created_at  TEXT NOT NULL
        );
        CREATE INDEX case_attachments_case ON case_attachments (case_id);
        CREATE TABLE notifications (
            id          {id},
            unit_id     BIGINT REFERENCES subjects(id),
            case_id     BIGINT REFERENCES cases(id),
            message     TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );
        CREATE INDEX notifications_unit ON notifications (unit_id, id);
        CREATE TABLE notification_reads (
            notification_id BIGINT NOT NULL REFERENCES notifications(id),
            account_id      BIGINT NOT NULL,
            read_at         TEXT NOT NULL,
            PRIMARY KEY (notification_id, account_id)
        );
        CREATE TABLE case_holders (
            case_id  BIGINT NOT NULL REFERENCES cases(id),
            unit_id  BIGINT NOT NULL REFERENCES subjects(id),
            PRIMARY KEY (case_id, unit_id)
        );
        CREATE INDEX case_holders_unit ON case_holders (unit_id);
        CREATE TABLE clock_positions (
            name  TEXT PRIMARY KEY,
            seq   BIGINT NOT NULL
        );
        INSERT INTO clock_positions (name, seq)
            SELECT 'rectification', COALESCE(MAX(seq), 0) FROM journal;"
    ))
}

/// On SQLite every index ends with the rowid, which is now the record's id: an index on
/// `(subject_id, id)` holds the id twice. The list indexes become one column each, in the same
/// order (a subject's records newest first is still one index scan, `EXPLAIN QUERY PLAN` shows no
/// sort) and smaller. PostgreSQL keeps its two-column indexes.
fn sqlite_rowid_indexes(c: &mut Conn) -> StoreResult<()> {
    if c.dialect() == Dialect::Postgres {
        return Ok(());
    }
    c.batch(
        "DROP INDEX records_provider_recent; CREATE INDEX records_provider_recent ON records (provider_id); \
         DROP INDEX records_subject_recent; CREATE INDEX records_subject_recent ON records (subject_id); \
         DROP INDEX records_state_recent; CREATE INDEX records_state_recent ON records (state);",
    )
}

/// The tables whose ids the database hands out (`Conn::next_ids`).
pub const SEQUENCED: &[&str] = &["subjects", "records", "accounts", "api_tokens", "reports"];

/// Ids come from the database's own sequence rather than `MAX(id) + 1`: on PostgreSQL an identity
/// column continuing after the largest id; on SQLite the key becomes the rowid (`INTEGER PRIMARY
/// KEY`), which is also a third less work per inserted row, as is the journal's sequence number
/// (still taken by the chain, never by the database: it must have no gaps). SQLite cannot change a
/// column's type in place, so each table is built again with the same columns and rows, and its
/// indexes made again; the rows' values, and so the audit chain, do not change.
fn id_sequences(c: &mut Conn) -> StoreResult<()> {
    match c.dialect() {
        Dialect::Postgres => {
            for table in SEQUENCED {
                let has = c.query_text(
                    "SELECT pg_get_serial_sequence($1, 'id')",
                    &[Val::from(*table)],
                )?;
                if has.is_none() {
                    c.batch(&format!(
                        "ALTER TABLE {table} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
                    ))?;
                }
                c.batch(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                       (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                ))?;
            }
            Ok(())
        }
        Dialect::Sqlite => {
            for table in SEQUENCED.iter().chain(&["journal"]) {
                sqlite_rowid_key(c, table)?;
            }
            let broken = c.query("PRAGMA foreign_key_check", &[])?;
            if broken.is_empty() {
                Ok(())
            } else {
                Err(crate::StoreError::Internal(format!(
                    "重建表后有 {} 处外键不一致",
                    broken.len()
                )))
            }
        }
    }
}

/// Builds `table` again with its first column (`… BIGINT PRIMARY KEY`) as the rowid.
fn sqlite_rowid_key(c: &mut Conn, table: &str) -> StoreResult<()> {
    let create = c
        .query_text(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1",
            &[Val::from(table)],
        )?
        .ok_or_else(|| crate::StoreError::Internal(format!("表 {table} 不存在")))?;
    if !create.contains("BIGINT PRIMARY KEY") {
        return Ok(());
    }
    let indexes: Vec<String> = c
        .query(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
            &[Val::from(table)],
        )?
        .iter()
        .map(|r| r.need_text("sql").map(str::to_string))
        .collect::<StoreResult<_>>()?;
    // As created (`CREATE TABLE t (`), or as SQLite keeps it after a rename (`CREATE TABLE "t" (`).
    let body = [
        format!("CREATE TABLE {table} ("),
        format!("CREATE TABLE \"{table}\" ("),
    ]
    .iter()
    .find_map(|head| create.strip_prefix(head.as_str()))
    .ok_or_else(|| crate::StoreError::Internal(format!("表 {table} 的定义无法识别")))?;
    let rebuilt = format!(
        "CREATE TABLE {table}_rebuilt ({}",
        body.replacen("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY", 1)
    );
    c.batch(&rebuilt)?;
    c.batch(&format!(
        "INSERT INTO {table}_rebuilt SELECT * FROM {table}; \
         DROP TABLE {table}; \
         ALTER TABLE {table}_rebuilt RENAME TO {table};"
    ))?;
    for sql in indexes {
        c.batch(&sql)?;
    }
    Ok(())
}

pub fn migrate(conn: &mut Conn, now: &str) -> StoreResult<()> {
    let dialect = conn.dialect();
    // Rebuilding a table on SQLite (`id_sequences`) drops it while others refer to it, which
    // SQLite allows only with foreign keys off, and switches only outside a transaction; the
    // rebuild checks them itself before it commits.
    if dialect == Dialect::Sqlite {
        conn.batch("PRAGMA foreign_keys = OFF")?;
    }
    let done = migrate_all(conn, dialect, now);
    if dialect == Dialect::Sqlite {
        conn.batch("PRAGMA foreign_keys = ON")?;
    }
    done
}

fn migrate_all(conn: &mut Conn, dialect: Dialect, now: &str) -> StoreResult<()> {
    conn.write(|c| {
        c.batch("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        for (name, step) in MIGRATIONS {
            let done = c.query_one("SELECT name FROM schema_migrations WHERE name = $1", &[Val::from(*name)])?;
            if done.is_some() {
                continue;
            }
            match step {
                Step::Sql(sql) => c.batch(&match dialect {
                    Dialect::Sqlite => sql.replace("BYTEA", "BLOB"),
                    Dialect::Postgres => sql.to_string(),
                })?,
                Step::Run(run) => run(c)?,
            }
            c.exec(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)",
                &[Val::from(*name), Val::from(now)],
            )?;
        }
        Ok(())
    })
}
