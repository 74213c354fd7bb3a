//! `RecordRow::validate` against the default catalog on arbitrary rows: never panics, an error
//! always lists at least one fault, and an accepted record is coherent (decided no later than
//! `today`, disclosed no earlier than decided).
//!
//! Input: UTF-8 text split on `|` into the 13 fields of `RecordRow`, in declaration order
//! (missing fields are empty; the last field takes the rest of the input).
#![no_main]

use std::sync::LazyLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use probity_domain::catalog::{Catalog, default_catalog};
use probity_domain::record::RecordRow;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(default_catalog()));

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut f = s.splitn(13, '|').map(str::to_string);
    let mut next = || f.next().unwrap_or_default();
    let row = RecordRow {
        subject_name: next(),
        uscc: next(),
        id_number: next(),
        category: next(),
        document_no: next(),
        decided_on: next(),
        authority: next(),
        facts: next(),
        basis: next(),
        outcome: next(),
        severity: next(),
        scope: next(),
        disclosure_until: next(),
    };
    let today = NaiveDate::from_ymd_opt(2025, 6, 30).expect("valid date");
    match row.validate(&CATALOG, today) {
        Ok(rec) => {
            assert!(rec.decided_on <= today, "{row:?}");
            assert!(rec.disclosure_until >= rec.decided_on, "{row:?}");
        }
        Err(errors) => assert!(!errors.is_empty(), "{row:?}"),
    }
});
