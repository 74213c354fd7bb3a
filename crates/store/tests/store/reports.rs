//! Credit reports in the store: signed, numbered, found only with their code, and caught when the
//! stored content or signature is edited behind the platform's back; issued once per unit, day
//! and content (each asker getting a code of its own), limited per client, and journaled with the
//! digest of the report's row; on SQLite and PostgreSQL.

use crate::common::*;
use probity_domain::Code;
use probity_store::db::Val;
use probity_store::journal::state_digest;
use probity_store::reports::REPORT_COLS;
use probity_store::{Problem, Store, StoreError};

store_tests! {
    reports_are_signed_and_found_only_with_their_code => reports_sqlite, reports_postgres;
    the_same_report_is_issued_once_and_each_client_is_limited => reports_dedup_sqlite, reports_dedup_postgres;
}

db_tests! {
    a_report_issue_is_journaled_with_the_digest_of_its_row => reports_digest_sqlite, reports_digest_postgres;
}

/// The per-hour allowance the tests use unless they test it.
const PLENTY: u32 = 1000;

fn reports_are_signed_and_found_only_with_their_code(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let content = r#"{"title":"政务诚信信用报告","issued_on":"2026-11-26"}"#;
    let issued = store
        .issue_report(
            fx.township.id,
            "2026-11-26",
            content,
            "公众",
            "198.51.100.7",
            PLENTY,
        )
        .unwrap();
    assert!(issued.new);
    let (r, code) = (issued.report, issued.code);
    assert!(r.report_no.starts_with("XYBG20261126"), "{}", r.report_no);
    assert_eq!(code.len(), 8);
    assert_eq!(r.signature.len(), 64, "SM2 r ‖ s");
    assert_eq!(store.head_seq().unwrap(), head + 1, "issuing is journaled");
    assert!(store.report_is_authentic(&r).unwrap());

    // Found with its code (in any case, with spaces), not without it.
    let found = store
        .report_with_code(&r.report_no, &code)
        .unwrap()
        .unwrap();
    assert_eq!(found, r);
    assert!(
        store
            .report_with_code(
                &r.report_no.to_lowercase(),
                &format!(" {} ", code.to_lowercase())
            )
            .unwrap()
            .is_some()
    );
    for (no, c) in [
        (r.report_no.as_str(), "WRONG123"),
        (r.report_no.as_str(), ""),
        ("XYBG20261126999999", code.as_str()),
        ("", code.as_str()),
        ("' OR 1=1 --", "x"),
    ] {
        assert!(store.report_with_code(no, c).unwrap().is_none(), "{no} {c}");
    }
    // A report of other content gets the next number and its own code.
    let other = r#"{"title":"政务诚信信用报告","issued_on":"2026-11-26","dishonest":[]}"#;
    let issued = store
        .issue_report(
            fx.township.id,
            "2026-11-26",
            other,
            "公众",
            "198.51.100.7",
            PLENTY,
        )
        .unwrap();
    let (r2, code2) = (issued.report, issued.code);
    assert_ne!(r2.report_no, r.report_no);
    assert!(
        store
            .report_with_code(&r2.report_no, &code)
            .unwrap()
            .is_none()
            || code == code2
    );

    // The public key is stable and the signature checks against it; an edited report does not.
    assert_eq!(
        store.report_public_key().unwrap().len(),
        130,
        "SEC1 uncompressed"
    );
    store
        .raw_exec(&format!(
            "UPDATE reports SET content = '{{\"title\":\"伪造\"}}' WHERE report_no = '{}'",
            r.report_no
        ))
        .unwrap();
    let edited = store
        .report_with_code(&r.report_no, &code)
        .unwrap()
        .unwrap();
    assert!(!store.report_is_authentic(&edited).unwrap());
    let mut forged = r2.clone();
    forged.signature[10] ^= 1;
    assert!(!store.report_is_authentic(&forged).unwrap());
    // The edit is named by the audit chain too (the report row is audited state).
    match problem(store) {
        Problem::Row { entity, id, reason } => {
            assert_eq!(
                (entity.as_str(), id.as_str()),
                ("report", r.report_no.as_str())
            );
            assert!(reason.contains("疑似被直接修改"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

fn the_same_report_is_issued_once_and_each_client_is_limited(store: &Store) {
    let fx = fixture(store);
    let content = r#"{"title":"政务诚信信用报告","issued_on":"2026-11-26"}"#;
    let head = store.head_seq().unwrap();
    let first = store
        .issue_report(
            fx.township.id,
            "2026-11-26",
            content,
            "公众",
            "198.51.100.7",
            3,
        )
        .unwrap();
    assert!(first.new);
    assert_eq!(store.head_seq().unwrap(), head + 1);
    // Asked for again, by the same client or another: the same report, a code of its own, no
    // new row or journal entry.
    let again = store
        .issue_report(
            fx.township.id,
            "2026-11-26",
            content,
            "公众",
            "203.0.113.9",
            3,
        )
        .unwrap();
    assert!(!again.new);
    assert_eq!(again.report, first.report);
    assert_ne!(again.code, first.code);
    assert_eq!(
        store.head_seq().unwrap(),
        head + 1,
        "no second journal entry"
    );
    for code in [&first.code, &again.code] {
        assert_eq!(
            store
                .report_with_code(&first.report.report_no, code)
                .unwrap()
                .as_ref(),
            Some(&first.report),
            "every asker's code verifies"
        );
    }
    // Another day, or other content: another report.
    let next_day = store
        .issue_report(
            fx.township.id,
            "2026-11-27",
            content,
            "公众",
            "203.0.113.9",
            3,
        )
        .unwrap();
    assert!(next_day.new);
    assert_ne!(next_day.report.report_no, first.report.report_no);

    // The client 198.51.100.7 has one more in this hour, then it waits; the refusal changes
    // nothing. Another client is not affected.
    store
        .issue_report(
            fx.finance.id,
            "2026-11-26",
            content,
            "公众",
            "198.51.100.7",
            2,
        )
        .unwrap();
    let seq = store.head_seq().unwrap();
    match store.issue_report(
        fx.court.id,
        "2026-11-26",
        content,
        "公众",
        "198.51.100.7",
        2,
    ) {
        Err(StoreError::Domain(e)) => {
            assert_eq!(e.code, Code::RateLimited);
            assert!(e.message.contains("每小时最多 2 份"), "{}", e.message);
        }
        other => panic!("not limited: {other:?}"),
    }
    assert_eq!(store.head_seq().unwrap(), seq, "a refusal changes nothing");
    assert!(
        store
            .issue_report(fx.court.id, "2026-11-26", content, "公众", "192.0.2.1", 2)
            .unwrap()
            .new
    );
    assert_clean(store);
}

/// The audited state of a report is its row as `REPORT_COLS` reads it: the journal entry of its
/// issue carries the digest of exactly that (read behind the store's back).
fn a_report_issue_is_journaled_with_the_digest_of_its_row(db: &mut TestDb) {
    let store = db.open();
    let fx = fixture(&store);
    let content = r#"{"title":"政务诚信信用报告","issued_on":"2026-11-26"}"#;
    let issued = store
        .issue_report(
            fx.township.id,
            "2026-11-26",
            content,
            "公众",
            "198.51.100.7",
            PLENTY,
        )
        .unwrap();
    drop(store);
    let cols = REPORT_COLS.join(", ");
    let row_sql = format!("SELECT {cols} FROM reports WHERE report_no = $1");
    let journal_sql =
        "SELECT state_digest FROM journal WHERE entity = 'report' AND entity_id = $1".to_string();
    let no = issued.report.report_no.as_str();
    // Column kinds, in REPORT_COLS order: i = integer, t = text, b = bytes.
    let kinds = "itittbbbt";
    assert_eq!(kinds.len(), REPORT_COLS.len());
    let (row, digests): (Vec<Val>, Vec<Vec<u8>>) = if db.url().starts_with("sqlite://") {
        let c = r2d2_sqlite::rusqlite::Connection::open(db.url().trim_start_matches("sqlite://"))
            .unwrap();
        let row = c
            .query_row(&row_sql.replace("$1", "?1"), [no], |r| {
                Ok(kinds
                    .chars()
                    .enumerate()
                    .map(|(i, k)| match k {
                        'i' => Val::Int(r.get(i).unwrap()),
                        't' => Val::Text(r.get(i).unwrap()),
                        _ => Val::Blob(r.get(i).unwrap()),
                    })
                    .collect())
            })
            .unwrap();
        let mut st = c.prepare(&journal_sql.replace("$1", "?1")).unwrap();
        let digests = st
            .query_map([no], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (row, digests)
    } else {
        let mut c = postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
        let r = c.query_one(&row_sql, &[&no]).unwrap();
        let row = kinds
            .chars()
            .enumerate()
            .map(|(i, k)| match k {
                'i' => Val::Int(r.get(i)),
                't' => Val::Text(r.get(i)),
                _ => Val::Blob(r.get(i)),
            })
            .collect();
        let digests = c
            .query(&journal_sql, &[&no])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        (row, digests)
    };
    assert_eq!(digests, vec![state_digest(&row).to_vec()]);
}
