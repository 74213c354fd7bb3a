//! Credit reports in the store: signed, numbered, found only with their code, and caught when the
//! stored content or signature is edited behind the platform's back; on SQLite and PostgreSQL.

#[macro_use]
#[allow(unused_macros)]
mod common;

use common::*;
use probity_store::Store;

store_tests! {
    reports_are_signed_and_found_only_with_their_code => reports_sqlite, reports_postgres;
}

fn reports_are_signed_and_found_only_with_their_code(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let content = r#"{"title":"政务诚信信用报告","issued_on":"2026-11-26"}"#;
    let (r, code) = store
        .issue_report(fx.township.id, "2026-11-26", content, "公众")
        .unwrap();
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
    // A second report gets the next number and its own code.
    let (r2, code2) = store
        .issue_report(fx.township.id, "2026-11-26", content, "公众")
        .unwrap();
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
    assert_clean(store);
}
