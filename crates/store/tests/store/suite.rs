//! The store's shared test suite: every test runs on SQLite and on PostgreSQL (when
//! `PROBITY_TEST_PG` is set, e.g. `postgres://postgres@127.0.0.1:5432/test`).

use crate::common::*;
use probity_domain::Code;
use probity_domain::catalog::{
    DisclosureBounds, ProviderRule, RecordKind, Scope, Severity, default_catalog,
};
use probity_domain::record::{Action, RecordState, Role};
use probity_domain::subject::SubjectKind;
use probity_store::{Channel, Outcome, Store, StoreError};

// =============================================================================================
// 1. Migrations and the default catalog

store_tests! {
    catalog_is_seeded_on_open => catalog_is_seeded_on_open_sqlite, catalog_is_seeded_on_open_postgres;
}

fn catalog_is_seeded_on_open(store: &Store) {
    let catalog = store.catalog().unwrap();
    assert_eq!(catalog.categories().len(), 15);
    let codes: Vec<&str> = catalog
        .categories()
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    let expected: Vec<String> = default_catalog().into_iter().map(|c| c.code).collect();
    assert_eq!(codes, expected, "the default order is kept");
    assert_eq!(catalog.categories(), default_catalog().as_slice());
    // Each category's installation is journaled.
    assert_eq!(store.head_seq().unwrap(), 15);
    assert_eq!(store.record_count().unwrap(), 0);
    assert!(store.subjects().unwrap().is_empty());
    let report = assert_clean(store);
    assert_eq!((report.entries, report.rows), (15, 15));
}

db_tests! {
    id_number_needs_the_key => id_number_needs_the_key_sqlite, id_number_needs_the_key_postgres;
    reopening_duplicates_nothing => reopening_duplicates_nothing_sqlite, reopening_duplicates_nothing_postgres;
}

fn reopening_duplicates_nothing(db: &mut TestDb) {
    let first = db.open();
    let fx = fixture(&first);
    let out = import(
        &first,
        &fx.finance,
        false,
        &[unit_record(
            &fx.township,
            "PROCUREMENT_BREACH",
            "津滨财采〔2025〕1号",
        )],
    );
    accepted(&out[0]);
    let head = first.head_seq().unwrap();
    let verified = assert_clean(&first);

    // A second store on the same database while the first is still open, then a third alone.
    let second = db.open();
    for store in [&first, &second] {
        assert_eq!(store.catalog().unwrap().categories().len(), 15);
        assert_eq!(store.head_seq().unwrap(), head);
        assert_eq!(store.subjects().unwrap().len(), 5);
        assert_eq!(store.record_count().unwrap(), 1);
    }
    drop(second);
    drop(first);
    let third = db.open();
    assert_eq!(third.catalog().unwrap().categories().len(), 15);
    assert_eq!(third.head_seq().unwrap(), head);
    assert_eq!(third.subjects().unwrap().len(), 5);
    assert_eq!(third.record_count().unwrap(), 1);
    let again = assert_clean(&third);
    assert_eq!(again, verified, "same chain, same head");
    // The keys are the same, so the ID number is still readable.
    let person = third.find_civil_servant(&person_id()).unwrap().unwrap();
    assert_eq!(
        third.reveal_id_number(person.id).unwrap().as_deref(),
        Some(person_id().as_str())
    );
}

/// The same database opened with another master key neither finds a civil servant by ID number
/// nor decrypts it: the number is only stored as a keyed hash and a ciphertext.
fn id_number_needs_the_key(db: &mut TestDb) {
    let store = db.open();
    let fx = fixture(&store);
    drop(store);
    let other = db.open_with(probity_store::Keys::from_master(&[2u8; 32]));
    assert_eq!(
        other.subject(fx.person.id).unwrap(),
        fx.person,
        "the rest of the row is plain"
    );
    assert_eq!(other.find_civil_servant(&person_id()).unwrap(), None);
    assert!(other.reveal_id_number(fx.person.id).is_err());
}

// =============================================================================================
// 2. Roster import

store_tests! {
    roster_counts_and_reimport => roster_counts_and_reimport_sqlite, roster_counts_and_reimport_postgres;
    roster_parent_named_later_resolves => roster_parent_named_later_resolves_sqlite, roster_parent_named_later_resolves_postgres;
    roster_unknown_parent_rejected => roster_unknown_parent_rejected_sqlite, roster_unknown_parent_rejected_postgres;
    roster_unknown_unit_of_civil_servant_rejected => roster_unknown_unit_of_civil_servant_rejected_sqlite, roster_unknown_unit_of_civil_servant_rejected_postgres;
    roster_duplicate_uscc_in_file_rejected => roster_duplicate_uscc_in_file_rejected_sqlite, roster_duplicate_uscc_in_file_rejected_postgres;
    roster_id_number_not_in_clear => roster_id_number_not_in_clear_sqlite, roster_id_number_not_in_clear_postgres;
    roster_uscc_check_override => roster_uscc_check_override_sqlite, roster_uscc_check_override_postgres;
    roster_civil_servant_of_rejected_unit_is_rejected => roster_civil_servant_of_rejected_unit_is_rejected_sqlite, roster_civil_servant_of_rejected_unit_is_rejected_postgres;
    roster_reimport_parent_cycle_rejected => roster_reimport_parent_cycle_rejected_sqlite, roster_reimport_parent_cycle_rejected_postgres;
}

fn roster_counts_and_reimport(store: &Store) {
    let head0 = store.head_seq().unwrap();
    let report = import_roster(store, &fixture_rows());
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (5, 0, 0),
        "{report:?}"
    );
    assert!(report.rejected.is_empty());
    let head1 = store.head_seq().unwrap();
    assert_eq!(head1, head0 + 5, "one journal entry per subject");
    let before = store.subjects().unwrap();
    assert_eq!(before.len(), 5);

    // The same file again: nothing to do, nothing journaled, nothing touched.
    let report = import_roster(store, &fixture_rows());
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, 5),
        "{report:?}"
    );
    assert!(report.rejected.is_empty());
    assert_eq!(store.head_seq().unwrap(), head1);
    assert_eq!(store.subjects().unwrap(), before);

    // One change: one update, one entry; the subject keeps its id and creation time.
    let mut rows = fixture_rows();
    rows[2].short_name = "新河街".into();
    let report = import_roster(store, &rows);
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 1, 4),
        "{report:?}"
    );
    assert_eq!(store.head_seq().unwrap(), head1 + 1);
    let old = before.iter().find(|s| s.name == TOWNSHIP).unwrap();
    let new = store.subject(old.id).unwrap();
    assert_eq!(new.short_name.as_deref(), Some("新河街"));
    assert_eq!(new.created_at, old.created_at);
    assert!(
        new.updated_at > old.updated_at,
        "{} > {}",
        new.updated_at,
        old.updated_at
    );
    assert_eq!(store.subjects().unwrap().len(), 5);
    assert_eq!(store.subject_count().unwrap(), 5);
    assert_clean(store);
}

fn roster_parent_named_later_resolves(store: &Store) {
    // Three levels, each unit naming a parent that comes later in the file, by full name, short
    // name and USCC.
    let centre = uscc("MB000011");
    let rows = vec![
        unit_row(
            "天津市滨海新区财政局国库支付中心",
            "国库中心",
            "部门",
            centre.as_str(),
            "区财政局",
        ),
        unit_row(
            FINANCE,
            "区财政局",
            "部门",
            finance_uscc().as_str(),
            gov_uscc().as_str(),
        ),
        unit_row(TOWNSHIP, "新河街道", "街镇", township_uscc().as_str(), GOV),
        unit_row(GOV, "区政府", "区政府", gov_uscc().as_str(), ""),
    ];
    let report = import_roster(store, &rows);
    assert_eq!(report.created, 4, "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
    let gov = store.find_unit(GOV).unwrap();
    let finance = store.find_unit(finance_uscc().as_str()).unwrap();
    let centre = store.find_unit("国库中心").unwrap();
    let township = store.find_unit("新河街道").unwrap();
    assert_eq!(gov.kind, SubjectKind::DistrictGovernment);
    assert_eq!(gov.parent_id, None);
    assert_eq!(finance.parent_id, Some(gov.id));
    assert_eq!(township.parent_id, Some(gov.id));
    assert_eq!(township.kind, SubjectKind::Township);
    assert_eq!(centre.parent_id, Some(finance.id));
    assert_clean(store);
}

fn roster_unknown_parent_rejected(store: &Store) {
    let head0 = store.head_seq().unwrap();
    let rows = vec![
        unit_row(GOV, "区政府", "区政府", gov_uscc().as_str(), ""),
        unit_row(
            COURT,
            "区法院",
            "部门",
            court_uscc().as_str(),
            "天津市不存在的单位",
        ),
        unit_row(FINANCE, "区财政局", "部门", finance_uscc().as_str(), GOV),
    ];
    let report = import_roster(store, &rows);
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (2, 0, 0),
        "{report:?}"
    );
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    let (row, column, err) = &report.rejected[0];
    assert_eq!(
        (*row, *column, err.code),
        (3, "parent", Code::ParentNotFound),
        "{err}"
    );
    assert!(err.message.contains("天津市不存在的单位"), "{err}");
    assert_eq!(
        domain_code(&store.find_unit("区法院").unwrap_err()),
        Code::ProviderNotFound
    );
    assert_eq!(store.subjects().unwrap().len(), 2);
    assert_eq!(store.head_seq().unwrap(), head0 + 2);
    assert_clean(store);
}

fn roster_unknown_unit_of_civil_servant_rejected(store: &Store) {
    let rows = vec![
        unit_row(GOV, "区政府", "区政府", gov_uscc().as_str(), ""),
        person_row(PERSON, &person_id(), "区不存在局", "科长"),
    ];
    let report = import_roster(store, &rows);
    assert_eq!(report.created, 1, "{report:?}");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    let (row, column, err) = &report.rejected[0];
    assert_eq!((*row, *column, err.code), (3, "unit", Code::ParentNotFound));
    assert_eq!(store.find_civil_servant(&person_id()).unwrap(), None);
    assert_clean(store);
}

fn roster_duplicate_uscc_in_file_rejected(store: &Store) {
    let rows = vec![
        unit_row(GOV, "区政府", "区政府", gov_uscc().as_str(), ""),
        unit_row(COURT, "区法院", "部门", court_uscc().as_str(), GOV),
        unit_row(
            "天津市滨海新区另一个单位",
            "另一个单位",
            "部门",
            court_uscc().as_str(),
            GOV,
        ),
        person_row(PERSON, &person_id(), "区法院", "书记员"),
        person_row("李四", &person_id(), "区法院", "法官"),
    ];
    let report = import_roster(store, &rows);
    assert_eq!(report.created, 3, "{report:?}");
    let got: Vec<(usize, &str, Code)> = report
        .rejected
        .iter()
        .map(|(r, c, e)| (*r, *c, e.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (4, "uscc", Code::SubjectExists),
            (6, "id_number", Code::SubjectExists)
        ]
    );
    // The first occurrence wins.
    assert_eq!(store.find_unit(court_uscc().as_str()).unwrap().name, COURT);
    assert_eq!(
        domain_code(&store.find_unit("另一个单位").unwrap_err()),
        Code::ProviderNotFound
    );
    assert_eq!(
        store
            .find_civil_servant(&person_id())
            .unwrap()
            .unwrap()
            .name,
        PERSON
    );
    assert_eq!(store.subjects().unwrap().len(), 3);
    assert_clean(store);
}

fn roster_id_number_not_in_clear(store: &Store) {
    let fx = fixture(store);
    let id = person_id();
    let p = &fx.person;
    assert_eq!(p.kind, SubjectKind::CivilServant);
    assert_eq!(p.name, PERSON);
    assert_eq!(p.unit_id, Some(fx.finance.id));
    assert_eq!(p.position.as_deref(), Some("科长"));
    assert_eq!(p.uscc, None);
    let masked = p.id_masked.as_deref().expect("masked ID number");
    assert_eq!(masked, id.masked());
    assert_ne!(masked, id.as_str());
    assert!(masked.contains('*'), "{masked}");
    // Nothing the store hands out carries the number in the clear.
    for s in store.subjects().unwrap() {
        assert!(!format!("{s:?}").contains(id.as_str()), "{s:?}");
    }
    // It is found through its keyed hash, and revealed only on request.
    assert_eq!(store.find_civil_servant(&id).unwrap().as_ref(), Some(p));
    let other = probity_domain::ident::IdNumber::from_parts(
        "120116",
        chrono::NaiveDate::from_ymd_opt(1981, 1, 2).unwrap(),
        7,
    )
    .unwrap();
    assert_eq!(store.find_civil_servant(&other).unwrap(), None);
    assert_eq!(
        store.reveal_id_number(p.id).unwrap().as_deref(),
        Some(id.as_str())
    );
    assert_eq!(store.reveal_id_number(fx.finance.id).unwrap(), None);
}

fn roster_uscc_check_override(store: &Store) {
    fixture(store);
    let real = uscc("MB000021");
    let odd = bad_check(&real);
    let row = unit_row("天津市滨海新区某老单位", "老单位", "部门", &odd, GOV);
    assert_eq!(row.validate(false).unwrap_err().code, Code::UsccCheckDigit);
    let head = store.head_seq().unwrap();
    let report = store
        .import_roster(vec![(2, row.validate(true).unwrap())], "信用办:admin")
        .unwrap();
    assert_eq!(report.created, 1, "{report:?}");
    assert_eq!(store.head_seq().unwrap(), head + 1);
    let s = store.find_unit("老单位").unwrap();
    assert!(s.uscc_override);
    assert_eq!(s.uscc.as_deref(), Some(odd.as_str()));
    assert!(!store.find_unit(GOV).unwrap().uscc_override);
    // Re-importing it (still with the override) changes nothing.
    let report = store
        .import_roster(vec![(2, row.validate(true).unwrap())], "信用办:admin")
        .unwrap();
    assert_eq!((report.created, report.unchanged), (0, 1), "{report:?}");
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert_clean(store);
}

fn roster_civil_servant_of_rejected_unit_is_rejected(store: &Store) {
    let rows = vec![
        unit_row(GOV, "区政府", "区政府", gov_uscc().as_str(), ""),
        unit_row(
            COURT,
            "区法院",
            "部门",
            court_uscc().as_str(),
            "天津市不存在的单位",
        ),
        person_row(PERSON, &person_id(), "区法院", "书记员"),
    ];
    // Expected: the court is rejected (unknown parent) and so is its civil servant (unknown unit);
    // the government is imported. Actual: the whole import fails with a foreign-key error because
    // the person is inserted with the rejected court's planned id.
    let report = store
        .import_roster(roster(&rows), "信用办:admin")
        .expect("the import itself succeeds");
    assert_eq!(report.created, 1, "{report:?}");
    let got: Vec<(usize, &str, Code)> = report
        .rejected
        .iter()
        .map(|(r, c, e)| (*r, *c, e.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "parent", Code::ParentNotFound),
            (4, "unit", Code::ParentNotFound)
        ]
    );
    assert_clean(store);
}

fn roster_reimport_parent_cycle_rejected(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    // In one new file, units naming each other as parents are refused (no unit can be placed).
    let a = uscc("MB000051");
    let b = uscc("MB000052");
    let report = import_roster(
        store,
        &[
            unit_row(
                "天津市滨海新区甲单位",
                "甲单位",
                "部门",
                a.as_str(),
                "乙单位",
            ),
            unit_row(
                "天津市滨海新区乙单位",
                "乙单位",
                "部门",
                b.as_str(),
                "甲单位",
            ),
        ],
    );
    assert_eq!(report.created, 0, "{report:?}");
    assert_eq!(report.rejected.len(), 2, "{report:?}");
    assert_eq!(store.head_seq().unwrap(), head);
    // The same cycle made by re-importing existing units: the district government under its own
    // finance bureau. Expected: refused like above; actual: stored, gov ⇄ finance.
    let mut rows = fixture_rows();
    rows[3].parent = "区财政局".into();
    let report = import_roster(store, &rows);
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].2.code, Code::ParentNotFound);
    assert_eq!(store.subject(fx.gov.id).unwrap().parent_id, None);
    assert_eq!(store.head_seq().unwrap(), head);
}

// =============================================================================================
// 3. Record import

store_tests! {
    records_outcomes => records_outcomes_sqlite, records_outcomes_postgres;
    records_same_batch_twice_is_duplicate => records_same_batch_twice_is_duplicate_sqlite, records_same_batch_twice_is_duplicate_postgres;
    records_repeated_row_in_batch_counts_once => records_repeated_row_in_batch_counts_once_sqlite, records_repeated_row_in_batch_counts_once_postgres;
    records_same_document_other_content_rejected => records_same_document_other_content_rejected_sqlite, records_same_document_other_content_rejected_postgres;
    records_subject_not_on_roster => records_subject_not_on_roster_sqlite, records_subject_not_on_roster_postgres;
    records_subject_name_mismatch => records_subject_name_mismatch_sqlite, records_subject_name_mismatch_postgres;
    records_provider_not_allowed => records_provider_not_allowed_sqlite, records_provider_not_allowed_postgres;
    records_overridden_uscc_only_for_override_subject => records_overridden_uscc_only_for_override_subject_sqlite, records_overridden_uscc_only_for_override_subject_postgres;
    records_activate_option_sets_state => records_activate_option_sets_state_sqlite, records_activate_option_sets_state_postgres;
    records_provenance => records_provenance_sqlite, records_provenance_postgres;
    records_all_or_nothing_rolled_back => records_all_or_nothing_rolled_back_sqlite, records_all_or_nothing_rolled_back_postgres;
    records_all_or_nothing_committed => records_all_or_nothing_committed_sqlite, records_all_or_nothing_committed_postgres;
    records_import_dropped_unfinished_rolls_back => records_import_dropped_unfinished_rolls_back_sqlite, records_import_dropped_unfinished_rolls_back_postgres;
    records_provider_must_be_a_unit => records_provider_must_be_a_unit_sqlite, records_provider_must_be_a_unit_postgres;
    records_large_batch => records_large_batch_sqlite, records_large_batch_postgres;
    records_all_or_nothing_failed_push_commits_nothing => records_all_or_nothing_failed_push_commits_nothing_sqlite, records_all_or_nothing_failed_push_commits_nothing_postgres;
}

fn records_outcomes(store: &Store) {
    let fx = fixture(store);
    let head0 = store.head_seq().unwrap();
    let mut stranger = unit_record(&fx.township, "ADMIN_PENALTY", "津滨财罚〔2025〕9号");
    stranger.uscc = uscc("MB000099").as_str().into();
    let rows = vec![
        unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号"),
        person_record("ADMIN_PENALTY", "津滨财罚〔2025〕1号"),
        stranger,
        unit_record(&fx.township, "HONOUR", "津滨财奖〔2025〕1号"),
    ];
    let out = import(store, &fx.finance, false, &rows);
    let a = accepted(&out[0]);
    let b = accepted(&out[1]);
    assert_eq!(rejected(&out[2]), ("uscc", Code::SubjectNotFound));
    let c = accepted(&out[3]);
    assert_eq!(store.record_count().unwrap(), 3);
    assert_eq!(
        store.head_seq().unwrap(),
        head0 + 3,
        "one entry per accepted record, none for a rejection"
    );

    let ra = store.record(a).unwrap();
    assert_eq!(
        (ra.subject_id, ra.provider_id),
        (fx.township.id, fx.finance.id)
    );
    assert_eq!(ra.category, "PROCUREMENT_BREACH");
    assert_eq!(ra.kind, RecordKind::Dishonest);
    assert_eq!(ra.severity, Some(Severity::Ordinary), "category default");
    assert_eq!(ra.scope, Scope::Public);
    assert_eq!(ra.decided_on.to_string(), "2025-03-05");
    assert_eq!(
        ra.disclosure_until.to_string(),
        "2026-03-05",
        "ordinary: at most 12 months"
    );
    assert_eq!(ra.document_no, "津滨财采〔2025〕1号");
    assert_eq!(ra.subject_name, TOWNSHIP);

    let rb = store.record(b).unwrap();
    assert_eq!(
        rb.subject_id, fx.person.id,
        "a civil servant is found by ID number"
    );
    assert_eq!(rb.severity, Some(Severity::Minor));
    assert_eq!(rb.disclosure_until.to_string(), "2025-05-10");

    let rc = store.record(c).unwrap();
    assert_eq!(rc.kind, RecordKind::Trustworthy);
    assert_eq!(rc.severity, None);

    // The outcome of a second import of the same rows.
    let out = import(store, &fx.finance, false, &rows);
    assert_eq!(duplicate(&out[0]), a);
    assert_eq!(duplicate(&out[1]), b);
    assert_eq!(rejected(&out[2]), ("uscc", Code::SubjectNotFound));
    assert_eq!(duplicate(&out[3]), c);
    assert_clean(store);
}

fn records_same_batch_twice_is_duplicate(store: &Store) {
    let fx = fixture(store);
    let rows = vec![
        unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号"),
        unit_record(&fx.township, "PAYMENT_ARREARS", "津滨财欠〔2025〕2号"),
        person_record("ADMIN_PENALTY", "津滨财罚〔2025〕3号"),
    ];
    let b = batch(store, &rows);
    let mut imp = store.start_import(opts(&fx.finance, false)).unwrap();
    let first = imp.push(b.clone()).unwrap();
    let ids: Vec<i64> = first.iter().map(|(_, o)| accepted(o)).collect();
    let count = store.record_count().unwrap();
    let head = store.head_seq().unwrap();
    let before: Vec<_> = ids.iter().map(|id| store.record(*id).unwrap()).collect();

    // Pushed again in the same import, and again in a new one.
    let second = imp.push(b.clone()).unwrap();
    imp.finish(true).unwrap();
    let third = {
        let mut imp = store.start_import(opts(&fx.finance, false)).unwrap();
        let out = imp.push(b).unwrap();
        imp.finish(true).unwrap();
        out
    };
    for out in [&second, &third] {
        let dup: Vec<i64> = out.iter().map(|(_, o)| duplicate(o)).collect();
        assert_eq!(dup, ids);
        let rows: Vec<usize> = out.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, vec![2, 3, 4]);
    }
    assert_eq!(store.record_count().unwrap(), count);
    assert_eq!(
        store.head_seq().unwrap(),
        head,
        "a duplicate is not a change"
    );
    for (old, id) in before.iter().zip(&ids) {
        let now = store.record(*id).unwrap();
        assert_eq!(now.seen_count, 3);
        assert_eq!(now.first_seen, old.first_seen);
        assert!(
            now.last_seen > old.last_seen,
            "{} > {}",
            now.last_seen,
            old.last_seen
        );
        assert_eq!(
            now.last_seq, old.last_seq,
            "bookkeeping does not move the change feed"
        );
        assert_eq!(now.state, old.state);
    }
    assert_clean(store);
}

fn records_repeated_row_in_batch_counts_once(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let r = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    let out = import(store, &fx.finance, false, &[r.clone(), r]);
    let id = accepted(&out[0]);
    assert_eq!(duplicate(&out[1]), id);
    assert_eq!(store.record_count().unwrap(), 1);
    assert_eq!(store.head_seq().unwrap(), head + 1);
    let rec = store.record(id).unwrap();
    assert_eq!(
        rec.source_row,
        Some(2),
        "provenance of the first occurrence"
    );
    assert!(rec.seen_count >= 1);
    assert_clean(store);
}

fn records_same_document_other_content_rejected(store: &Store) {
    let fx = fixture(store);
    let original = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    let id = accepted(&import(store, &fx.finance, false, std::slice::from_ref(&original))[0]);
    let before = store.record(id).unwrap();
    let head = store.head_seq().unwrap();

    let mut changed = original.clone();
    changed.facts = "拖欠采购款共计 120 万元".into();
    let mut other_date = original.clone();
    other_date.decided_on = "2025-03-06".into();
    let out = import(store, &fx.finance, false, &[changed.clone(), other_date]);
    assert_eq!(rejected(&out[0]), ("document_no", Code::DuplicateConflict));
    assert_eq!(rejected(&out[1]), ("document_no", Code::DuplicateConflict));
    assert_eq!(
        store.record(id).unwrap(),
        before,
        "the stored record is untouched"
    );
    assert_eq!(store.head_seq().unwrap(), head);
    assert_eq!(store.record_count().unwrap(), 1);

    // Inside one batch too: the first one wins, the second conflicts.
    let mut a = unit_record(&fx.township, "PAYMENT_ARREARS", "津滨财欠〔2025〕7号");
    let mut b = a.clone();
    a.facts = "拖欠工程款".into();
    b.facts = "拖欠服务费".into();
    let out = import(store, &fx.finance, false, &[a, b]);
    accepted(&out[0]);
    assert_eq!(rejected(&out[1]), ("document_no", Code::DuplicateConflict));

    // The same document number from another provider is another record.
    let mut from_court = original;
    from_court.category = "ADMIN_PENALTY".into();
    accepted(&import(store, &fx.court, false, &[from_court])[0]);
    assert_eq!(store.record_count().unwrap(), 3);
    assert_clean(store);
}

fn records_subject_not_on_roster(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let mut unknown_unit = unit_record(&fx.township, "ADMIN_PENALTY", "津滨财罚〔2025〕1号");
    unknown_unit.uscc = uscc("MB000099").as_str().into();
    let mut unknown_person = person_record("ADMIN_PENALTY", "津滨财罚〔2025〕2号");
    unknown_person.id_number = probity_domain::ident::IdNumber::from_parts(
        "120116",
        chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
        1,
    )
    .unwrap()
    .as_str()
    .into();
    let out = import(store, &fx.finance, false, &[unknown_unit, unknown_person]);
    assert_eq!(rejected(&out[0]), ("uscc", Code::SubjectNotFound));
    assert_eq!(rejected(&out[1]), ("id_number", Code::SubjectNotFound));
    // The failed lookup by ID number is journaled (by its keyed hash; see tests/lookups.rs).
    let head = head + 1;
    // The message names the subject, masked for a person.
    if let Outcome::Rejected(errs) = &out[1] {
        assert!(
            !errs[0].error.message.contains("19900101"),
            "{}",
            errs[0].error.message
        );
    }
    assert_eq!(store.record_count().unwrap(), 0);
    assert_eq!(store.head_seq().unwrap(), head);
}

fn records_subject_name_mismatch(store: &Store) {
    let fx = fixture(store);
    let mut wrong = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    wrong.subject_name = "天津市滨海新区新港街道办事处".into();
    let mut short = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕2号");
    short.subject_name = "新河街道".into();
    let mut person = person_record("ADMIN_PENALTY", "津滨财罚〔2025〕3号");
    person.subject_name = "李四".into();
    let out = import(store, &fx.finance, false, &[wrong, short, person]);
    assert_eq!(
        rejected(&out[0]),
        ("subject_name", Code::SubjectNameMismatch)
    );
    let id = accepted(&out[1]);
    assert_eq!(
        store.record(id).unwrap().subject_id,
        fx.township.id,
        "the short name (简称) is accepted"
    );
    // A civil servant's ID number under another name answers as an unknown number: otherwise
    // the answer would confirm a guessed number (tests/lookups.rs).
    assert_eq!(rejected(&out[2]), ("id_number", Code::SubjectNotFound));
    assert_eq!(store.record_count().unwrap(), 1);
}

fn records_provider_not_allowed(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let row = unit_record(&fx.township, "JUDGMENT_DEFAULTER", "（2025）津0116执123号");
    let out = import(store, &fx.finance, false, std::slice::from_ref(&row));
    assert_eq!(rejected(&out[0]), ("category", Code::ProviderNotAllowed));
    assert_eq!(store.record_count().unwrap(), 0);
    assert_eq!(store.head_seq().unwrap(), head);
    // The court may; the finance bureau may file procurement breaches, the court may not.
    let id = accepted(&import(store, &fx.court, false, &[row])[0]);
    assert_eq!(store.record(id).unwrap().severity, Some(Severity::Grave));
    let out = import(
        store,
        &fx.court,
        false,
        &[unit_record(
            &fx.township,
            "PROCUREMENT_BREACH",
            "津滨法采1号",
        )],
    );
    assert_eq!(rejected(&out[0]), ("category", Code::ProviderNotAllowed));
    assert_clean(store);
}

fn records_overridden_uscc_only_for_override_subject(store: &Store) {
    let fx = fixture(store);
    let real = uscc("MB000021");
    let odd = bad_check(&real);
    let row = unit_row("天津市滨海新区某老单位", "老单位", "部门", &odd, GOV);
    store
        .import_roster(vec![(2, row.validate(true).unwrap())], "信用办:admin")
        .unwrap();
    let old_unit = store.find_unit("老单位").unwrap();
    assert!(old_unit.uscc_override);

    // Its own (wrong) code is accepted for it.
    let ok = unit_record(&old_unit, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    // The township was registered with its valid code: the same mistake is refused for it.
    let mut township_bad = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕2号");
    township_bad.uscc = bad_check(&township_uscc());
    // A code with a wrong check digit for a subject not on the roster at all.
    let mut stranger = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕3号");
    stranger.uscc = bad_check(&uscc("MB000099"));
    // The valid form of the overridden code is another, unknown subject.
    let mut corrected = unit_record(&old_unit, "PROCUREMENT_BREACH", "津滨财采〔2025〕4号");
    corrected.uscc = real.as_str().into();
    let out = import(
        store,
        &fx.finance,
        false,
        &[ok, township_bad, stranger, corrected],
    );
    let id = accepted(&out[0]);
    assert_eq!(store.record(id).unwrap().subject_id, old_unit.id);
    assert_eq!(rejected(&out[1]), ("uscc", Code::UsccCheckDigit));
    assert_eq!(rejected(&out[2]), ("uscc", Code::UsccCheckDigit));
    assert_eq!(rejected(&out[3]), ("uscc", Code::SubjectNotFound));
    assert_eq!(store.record_count().unwrap(), 1);
    assert_clean(store);
}

fn records_activate_option_sets_state(store: &Store) {
    let fx = fixture(store);
    let submitted = accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", "A-1")],
        )[0],
    );
    let active = accepted(
        &import(
            store,
            &fx.finance,
            true,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", "A-2")],
        )[0],
    );
    assert_eq!(
        store.record(submitted).unwrap().state,
        RecordState::Submitted
    );
    assert_eq!(store.record(active).unwrap().state, RecordState::Active);
    // A duplicate of an active record does not send it back.
    let out = import(
        store,
        &fx.finance,
        false,
        &[unit_record(&fx.township, "PROCUREMENT_BREACH", "A-2")],
    );
    assert_eq!(duplicate(&out[0]), active);
    assert_eq!(store.record(active).unwrap().state, RecordState::Active);
    assert_clean(store);
}

fn records_provenance(store: &Store) {
    let fx = fixture(store);
    let rows = vec![
        unit_record(&fx.township, "PROCUREMENT_BREACH", "P-1"),
        unit_record(&fx.township, "PAYMENT_ARREARS", "P-2"),
    ];
    let b: Vec<_> = batch(store, &rows)
        .into_iter()
        .map(|(_, r)| r)
        .zip([17usize, 42])
        .map(|(r, n)| (n, r))
        .collect();
    let mut o = opts(&fx.finance, false);
    o.channel = Channel::Api;
    o.source = "POST /api/records".into();
    o.actor = "zhangsan".into();
    let mut imp = store.start_import(o).unwrap();
    let out = imp.push(b.clone()).unwrap();
    imp.finish(true).unwrap();
    let head = store.head_seq().unwrap();
    let ids: Vec<i64> = out.iter().map(|(_, o)| accepted(o)).collect();
    assert_eq!(
        out.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        vec![17, 42]
    );

    let r1 = store.record(ids[0]).unwrap();
    let r2 = store.record(ids[1]).unwrap();
    for (r, row) in [(&r1, 17), (&r2, 42)] {
        assert_eq!(r.channel, "api");
        assert_eq!(r.source, "POST /api/records");
        assert_eq!(r.source_row, Some(row));
        assert_eq!(r.submitted_by, "zhangsan");
        assert_eq!(r.first_seen, r.last_seen);
        assert_eq!(r.seen_count, 1);
        assert!(r.last_seq > 0 && r.last_seq <= head);
        // A time of this run (stored as RFC 3339 UTC, read back as a time).
        let age = chrono::Utc::now() - r.first_seen;
        assert!(
            age >= chrono::TimeDelta::zero() && age < chrono::TimeDelta::hours(1),
            "{}",
            r.first_seen
        );
    }
    assert_eq!(
        r1.last_seq + 1,
        r2.last_seq,
        "one journal entry each, in row order"
    );
    assert_eq!(r2.last_seq, head);

    // Seen again through another channel: the provenance of the first sighting stays, the
    // bookkeeping moves.
    let mut o = opts(&fx.finance, false);
    o.source = "第二批.xlsx".into();
    let mut imp = store.start_import(o).unwrap();
    let out = imp.push(b).unwrap();
    imp.finish(true).unwrap();
    assert_eq!(duplicate(&out[0].1), ids[0]);
    let again = store.record(ids[0]).unwrap();
    assert_eq!(again.channel, "api");
    assert_eq!(again.source, "POST /api/records");
    assert_eq!(again.source_row, Some(17));
    assert_eq!(again.first_seen, r1.first_seen);
    assert!(again.last_seen > r1.last_seen);
    assert_eq!(again.seen_count, 2);
    assert_eq!(again.last_seq, r1.last_seq);
    assert_eq!(store.head_seq().unwrap(), head);
    assert_clean(store);
}

fn records_all_or_nothing_rolled_back(store: &Store) {
    let fx = fixture(store);
    accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", "Z-0")],
        )[0],
    );
    let count = store.record_count().unwrap();
    let head = store.head_seq().unwrap();
    let b1 = batch(
        store,
        &[
            unit_record(&fx.township, "PROCUREMENT_BREACH", "Z-1"),
            person_record("ADMIN_PENALTY", "Z-2"),
        ],
    );
    let b2 = batch(
        store,
        &[
            unit_record(&fx.township, "PROCUREMENT_BREACH", "Z-0"),
            unit_record(&fx.township, "PAYMENT_ARREARS", "Z-3"),
        ],
    );
    let mut o = opts(&fx.finance, false);
    o.all_or_nothing = true;
    let mut imp = store.start_import(o).unwrap();
    let out1 = imp.push(b1).unwrap();
    accepted(&out1[0].1);
    accepted(&out1[1].1);
    let out2 = imp.push(b2).unwrap();
    duplicate(&out2[0].1);
    accepted(&out2[1].1);
    imp.finish(false).unwrap();
    assert_eq!(store.record_count().unwrap(), count);
    assert_eq!(store.head_seq().unwrap(), head);
    // Even the duplicate's bookkeeping was rolled back.
    let z0 = all_records(store)
        .into_iter()
        .find(|r| r.document_no == "Z-0")
        .unwrap();
    assert_eq!(z0.seen_count, 1);
    assert_clean(store);
    // And the store takes new writes afterwards.
    accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", "Z-1")],
        )[0],
    );
}

fn records_all_or_nothing_committed(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let b1 = batch(
        store,
        &[unit_record(&fx.township, "PROCUREMENT_BREACH", "Y-1")],
    );
    let b2 = batch(
        store,
        &[
            unit_record(&fx.township, "PAYMENT_ARREARS", "Y-2"),
            unit_record(&fx.township, "PROCUREMENT_BREACH", "Y-1"),
        ],
    );
    let mut o = opts(&fx.finance, true);
    o.all_or_nothing = true;
    let mut imp = store.start_import(o).unwrap();
    let id1 = accepted(&imp.push(b1).unwrap()[0].1);
    let out2 = imp.push(b2).unwrap();
    let id2 = accepted(&out2[0].1);
    assert_eq!(
        duplicate(&out2[1].1),
        id1,
        "a row of an earlier batch of the same transaction"
    );
    imp.finish(true).unwrap();
    assert_eq!(store.record_count().unwrap(), 2);
    assert_eq!(store.head_seq().unwrap(), head + 2);
    assert_eq!(store.record(id2).unwrap().state, RecordState::Active);
    assert_clean(store);
}

fn records_import_dropped_unfinished_rolls_back(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    {
        let mut o = opts(&fx.finance, false);
        o.all_or_nothing = true;
        let mut imp = store.start_import(o).unwrap();
        accepted(
            &imp.push(batch(
                store,
                &[unit_record(&fx.township, "PROCUREMENT_BREACH", "D-1")],
            ))
            .unwrap()[0]
                .1,
        );
        // Dropped without finish, e.g. after an error of the caller.
    }
    assert_eq!(store.record_count().unwrap(), 0);
    assert_eq!(store.head_seq().unwrap(), head);
    accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", "D-1")],
        )[0],
    );
    assert_clean(store);
}

fn records_provider_must_be_a_unit(store: &Store) {
    let fx = fixture(store);
    let err = store
        .start_import(opts(&fx.person, false))
        .err()
        .expect("a person cannot provide records");
    assert_eq!(domain_code(&err), Code::ProviderNotFound);
}

fn records_large_batch(store: &Store) {
    // More rows than one multi-row INSERT, one IN list and one bookkeeping UPDATE take (500).
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let rows: Vec<_> = (0..1203)
        .map(|i| {
            let subject = if i % 2 == 0 { &fx.township } else { &fx.court };
            unit_record(subject, "ADMIN_PENALTY", &format!("津滨财罚〔2025〕{i}号"))
        })
        .collect();
    let b = batch(store, &rows);
    let mut imp = store.start_import(opts(&fx.finance, false)).unwrap();
    let out = imp.push(b.clone()).unwrap();
    imp.finish(true).unwrap();
    let ids: Vec<i64> = out.iter().map(|(_, o)| accepted(o)).collect();
    assert_eq!(ids.len(), 1203);
    assert_eq!(store.record_count().unwrap(), 1203);
    assert_eq!(store.head_seq().unwrap(), head + 1203);
    let mut imp = store.start_import(opts(&fx.finance, false)).unwrap();
    let again = imp.push(b).unwrap();
    imp.finish(true).unwrap();
    assert_eq!(
        again.iter().map(|(_, o)| duplicate(o)).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(store.head_seq().unwrap(), head + 1203);
    let all = all_records(store);
    assert_eq!(all.len(), 1203);
    assert!(all.iter().all(|r| r.seen_count == 2));
    assert_eq!(store.records_of_subject(fx.court.id).unwrap().len(), 601);
    assert_clean(store);
}

fn records_all_or_nothing_failed_push_commits_nothing(store: &Store) {
    let fx = fixture(store);
    let count = store.record_count().unwrap();
    let b1 = batch(store, &[unit_record(&fx.township, "ADMIN_PENALTY", "E-1")]);
    let b2 = batch(store, &[unit_record(&fx.township, "HONOUR", "E-2")]);
    let b3 = batch(store, &[unit_record(&fx.township, "ADMIN_PENALTY", "E-3")]);
    let mut o = opts(&fx.finance, false);
    o.all_or_nothing = true;
    let mut imp = store.start_import(o).unwrap();
    // Stands in for any database error in the middle of an import: the category the import's
    // catalog snapshot still has is gone, so inserting the second batch violates a foreign key.
    store
        .raw_exec("DELETE FROM categories WHERE code = 'HONOUR'")
        .unwrap();
    accepted(&imp.push(b1).unwrap()[0].1);
    assert!(
        imp.push(b2).is_err(),
        "the database refuses the second batch"
    );
    // The caller goes on (or retries); all or nothing means nothing now.
    let _ = imp.push(b3);
    let _ = imp.finish(true);
    assert_eq!(
        store.record_count().unwrap(),
        count,
        "{:?}",
        all_records(store)
            .iter()
            .map(|r| &r.document_no)
            .collect::<Vec<_>>()
    );
}

// =============================================================================================
// 4. Lifecycle

store_tests! {
    lifecycle_only_credit_office_activates => lifecycle_only_credit_office_activates_sqlite, lifecycle_only_credit_office_activates_postgres;
    lifecycle_provider_acts_only_on_own_records => lifecycle_provider_acts_only_on_own_records_sqlite, lifecycle_provider_acts_only_on_own_records_postgres;
    lifecycle_illegal_transitions_change_nothing => lifecycle_illegal_transitions_change_nothing_sqlite, lifecycle_illegal_transitions_change_nothing_postgres;
    lifecycle_full_path => lifecycle_full_path_sqlite, lifecycle_full_path_postgres;
    lifecycle_unit_objects_only_to_own_records => lifecycle_unit_objects_only_to_own_records_sqlite, lifecycle_unit_objects_only_to_own_records_postgres;
}

fn submitted_record(store: &Store, fx: &Fx, doc: &str) -> i64 {
    accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", doc)],
        )[0],
    )
}

fn lifecycle_only_credit_office_activates(store: &Store) {
    let fx = fixture(store);
    let id = submitted_record(store, &fx, "L-1");
    let before = store.record(id).unwrap();
    let head = store.head_seq().unwrap();
    let err = store
        .transition(
            id,
            Action::Activate,
            Role::Provider,
            Some(fx.finance.id),
            "区财政局:tester",
            "",
        )
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::Forbidden);
    assert_eq!(store.record(id).unwrap(), before);
    assert_eq!(store.head_seq().unwrap(), head);

    let rec = store
        .transition(
            id,
            Action::Activate,
            Role::CreditOffice,
            None,
            "信用办:admin",
            "审核通过",
        )
        .unwrap();
    assert_eq!(rec.state, RecordState::Active);
    assert_eq!(store.head_seq().unwrap(), head + 1);
    let stored = store.record(id).unwrap();
    assert_eq!(stored.state, RecordState::Active);
    assert_eq!(stored.last_seq, head + 1);
    assert_eq!(rec.last_seq, head + 1);
    assert_clean(store);
}

fn lifecycle_provider_acts_only_on_own_records(store: &Store) {
    let fx = fixture(store);
    let id = submitted_record(store, &fx, "L-1");
    let before = store.record(id).unwrap();
    let head = store.head_seq().unwrap();
    for unit in [Some(fx.court.id), None] {
        let err = store
            .transition(
                id,
                Action::Correct,
                Role::Provider,
                unit,
                "区法院:tester",
                "",
            )
            .unwrap_err();
        assert_eq!(domain_code(&err), Code::Forbidden);
    }
    assert_eq!(store.record(id).unwrap(), before);
    assert_eq!(store.head_seq().unwrap(), head);
    // Its own provider may.
    let rec = store
        .transition(
            id,
            Action::Correct,
            Role::Provider,
            Some(fx.finance.id),
            "区财政局:tester",
            "更正",
        )
        .unwrap();
    assert_eq!(rec.state, RecordState::Submitted);
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert_clean(store);
}

fn lifecycle_illegal_transitions_change_nothing(store: &Store) {
    let fx = fixture(store);
    let id = submitted_record(store, &fx, "L-1");
    store
        .transition(
            id,
            Action::Activate,
            Role::CreditOffice,
            None,
            "信用办:admin",
            "",
        )
        .unwrap();
    let head = store.head_seq().unwrap();
    let before = store.record(id).unwrap();
    let illegal = [
        (Action::Activate, Role::CreditOffice),
        (Action::Submit, Role::Provider),
        (Action::SendBack, Role::CreditOffice),
        (Action::ResolveObjection, Role::CreditOffice),
        (Action::Correct, Role::Provider),
    ];
    for (action, role) in illegal {
        let unit = (role == Role::Provider).then_some(fx.finance.id);
        let err = store
            .transition(id, action, role, unit, "x", "")
            .unwrap_err();
        assert_eq!(
            domain_code(&err),
            Code::IllegalTransition,
            "{action:?} by {role:?}"
        );
        assert_eq!(store.head_seq().unwrap(), head);
        assert_eq!(store.record(id).unwrap(), before);
    }
    // A final state accepts nothing.
    store
        .transition(
            id,
            Action::Revoke,
            Role::CreditOffice,
            None,
            "信用办:admin",
            "撤销",
        )
        .unwrap();
    let head = store.head_seq().unwrap();
    let before = store.record(id).unwrap();
    for action in [
        Action::Activate,
        Action::Object,
        Action::Repair,
        Action::Revoke,
        Action::Expire,
    ] {
        let err = store
            .transition(id, action, Role::CreditOffice, None, "信用办:admin", "")
            .unwrap_err();
        assert_eq!(domain_code(&err), Code::IllegalTransition, "{action:?}");
    }
    assert_eq!(store.head_seq().unwrap(), head);
    assert_eq!(store.record(id).unwrap(), before);
    // An unknown record.
    assert!(matches!(
        store.transition(
            9999,
            Action::Activate,
            Role::CreditOffice,
            None,
            "信用办:admin",
            ""
        ),
        Err(StoreError::NotFound(_))
    ));
    assert_clean(store);
}

fn lifecycle_full_path(store: &Store) {
    let fx = fixture(store);
    let id = submitted_record(store, &fx, "L-1");
    let steps = [
        (Action::SendBack, Role::CreditOffice, RecordState::Draft),
        (Action::Submit, Role::Provider, RecordState::Submitted),
        (Action::Activate, Role::CreditOffice, RecordState::Active),
        (Action::Object, Role::Unit, RecordState::Objected),
        (
            Action::ResolveObjection,
            Role::CreditOffice,
            RecordState::Active,
        ),
        (Action::Repair, Role::CreditOffice, RecordState::Repaired),
    ];
    for (action, role, state) in steps {
        let head = store.head_seq().unwrap();
        let unit = match role {
            Role::Provider => Some(fx.finance.id),
            Role::Unit => Some(fx.township.id),
            _ => None,
        };
        let rec = store
            .transition(id, action, role, unit, role.label(), "")
            .unwrap();
        assert_eq!(rec.state, state, "{action:?}");
        assert_eq!(store.record(id).unwrap().state, state);
        assert_eq!(store.head_seq().unwrap(), head + 1);
        assert_eq!(store.record(id).unwrap().last_seq, head + 1);
    }
    assert_clean(store);
}

fn lifecycle_unit_objects_only_to_own_records(store: &Store) {
    let fx = fixture(store);
    let id = accepted(
        &import(
            store,
            &fx.finance,
            true,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", "U-1")],
        )[0],
    );
    let head = store.head_seq().unwrap();
    // Role::Unit is "the assessed unit the record is about": the court is not.
    for unit in [Some(fx.court.id), None] {
        let err = store
            .transition(
                id,
                Action::Object,
                Role::Unit,
                unit,
                "区法院:tester",
                "异议",
            )
            .unwrap_err();
        assert_eq!(domain_code(&err), Code::Forbidden);
    }
    assert_eq!(store.record(id).unwrap().state, RecordState::Active);
    assert_eq!(store.head_seq().unwrap(), head);
    let rec = store
        .transition(
            id,
            Action::Object,
            Role::Unit,
            Some(fx.township.id),
            "新河街道:tester",
            "异议",
        )
        .unwrap();
    assert_eq!(rec.state, RecordState::Objected);
}

// =============================================================================================
// 5. Journal and audit

/// A mix of operations: roster, imports by two providers (one activated), transitions, a catalog
/// edit and a successor link. Returns the fixture and the ids of a few records.
struct Scene {
    fx: Fx,
    /// Submitted by the finance bureau, then activated by the credit office.
    activated: i64,
    /// Submitted by the finance bureau about the civil servant; still submitted.
    submitted: i64,
    /// Filed by the court and activated on import.
    court: i64,
}

fn scene(store: &Store) -> Scene {
    let fx = fixture(store);
    let out = import(
        store,
        &fx.finance,
        false,
        &[
            unit_record(&fx.township, "PROCUREMENT_BREACH", "S-1"),
            person_record("ADMIN_PENALTY", "S-2"),
            unit_record(&fx.township, "HONOUR", "S-3"),
        ],
    );
    let activated = accepted(&out[0]);
    let submitted = accepted(&out[1]);
    let court = accepted(
        &import(
            store,
            &fx.court,
            true,
            &[unit_record(&fx.township, "JUDGMENT_DEFAULTER", "S-4")],
        )[0],
    );
    let mut cat = store
        .catalog()
        .unwrap()
        .get("PAYMENT_ARREARS")
        .unwrap()
        .clone();
    cat.rectification_working_days = 12;
    store.save_category(&cat, "信用办:admin").unwrap();
    let new_township = unit_row(
        "天津市滨海新区新河新城街道办事处",
        "新河新城",
        "街镇",
        uscc("MB000031").as_str(),
        GOV,
    );
    import_roster(store, &[new_township]);
    let successor = store.find_unit("新河新城").unwrap();
    store
        .link_successor(fx.township.id, successor.id, "信用办:admin", "机构改革")
        .unwrap();
    // Seen again: bookkeeping only.
    duplicate(
        &import(
            store,
            &fx.court,
            true,
            &[unit_record(&fx.township, "JUDGMENT_DEFAULTER", "S-4")],
        )[0],
    );
    store
        .transition(
            activated,
            Action::Activate,
            Role::CreditOffice,
            None,
            "信用办:admin",
            "审核通过",
        )
        .unwrap();
    Scene {
        fx,
        activated,
        submitted,
        court,
    }
}

store_tests! {
    journal_verifies_after_mixed_operations => journal_verifies_after_mixed_operations_sqlite, journal_verifies_after_mixed_operations_postgres;
    tamper_journal_actor_edited => tamper_journal_actor_edited_sqlite, tamper_journal_actor_edited_postgres;
    tamper_journal_detail_edited => tamper_journal_detail_edited_sqlite, tamper_journal_detail_edited_postgres;
    tamper_journal_entry_deleted_in_the_middle => tamper_journal_entry_deleted_in_the_middle_sqlite, tamper_journal_entry_deleted_in_the_middle_postgres;
    tamper_journal_last_entry_deleted_after_transition => tamper_journal_last_entry_deleted_after_transition_sqlite, tamper_journal_last_entry_deleted_after_transition_postgres;
    tamper_journal_last_entry_deleted_after_creation => tamper_journal_last_entry_deleted_after_creation_sqlite, tamper_journal_last_entry_deleted_after_creation_postgres;
    tamper_journal_entries_reordered => tamper_journal_entries_reordered_sqlite, tamper_journal_entries_reordered_postgres;
    tamper_journal_forged_entry_appended => tamper_journal_forged_entry_appended_sqlite, tamper_journal_forged_entry_appended_postgres;
    tamper_record_edited => tamper_record_edited_sqlite, tamper_record_edited_postgres;
    tamper_record_state_edited => tamper_record_state_edited_sqlite, tamper_record_state_edited_postgres;
    tamper_record_inserted => tamper_record_inserted_sqlite, tamper_record_inserted_postgres;
    tamper_record_deleted => tamper_record_deleted_sqlite, tamper_record_deleted_postgres;
    tamper_subject_renamed => tamper_subject_renamed_sqlite, tamper_subject_renamed_postgres;
    tamper_subject_inserted => tamper_subject_inserted_sqlite, tamper_subject_inserted_postgres;
    tamper_category_edited => tamper_category_edited_sqlite, tamper_category_edited_postgres;
    tamper_category_deleted => tamper_category_deleted_sqlite, tamper_category_deleted_postgres;
}

fn journal_verifies_after_mixed_operations(store: &Store) {
    let s = scene(store);
    let report = assert_clean(store);
    assert!(report.entries > 15 + 6);
    assert_eq!(store.subjects().unwrap().len(), 6);
    assert_eq!(store.record_count().unwrap(), 4);
    assert_eq!(
        store.record(s.activated).unwrap().state,
        RecordState::Active
    );
    assert_eq!(
        store.record(s.submitted).unwrap().state,
        RecordState::Submitted
    );
    assert_eq!(store.record(s.court).unwrap().state, RecordState::Active);
    // Verifying is read-only and repeatable.
    assert_eq!(store.verify().unwrap(), report);
    assert_eq!(store.head_seq().unwrap(), report.entries as i64);
}

/// A journal entry in the middle of the scene (a roster entry).
fn middle_seq(store: &Store) -> i64 {
    let head = store.head_seq().unwrap();
    assert!(head > 20);
    head / 2
}

fn tamper_journal_actor_edited(store: &Store) {
    scene(store);
    let k = middle_seq(store);
    store
        .raw_exec(&format!(
            "UPDATE journal SET actor = '信用办:intruder' WHERE seq = {k}"
        ))
        .unwrap();
    assert_entry_problem(&problem(store), k);
}

fn tamper_journal_detail_edited(store: &Store) {
    scene(store);
    let head = store.head_seq().unwrap();
    store
        .raw_exec(&format!(
            "UPDATE journal SET detail = '{{\"reason\":\"无\"}}' WHERE seq = {head}"
        ))
        .unwrap();
    assert_entry_problem(&problem(store), head);
}

fn tamper_journal_entry_deleted_in_the_middle(store: &Store) {
    scene(store);
    let k = middle_seq(store);
    store
        .raw_exec(&format!("DELETE FROM journal WHERE seq = {k}"))
        .unwrap();
    assert_entry_problem(&problem(store), k);
}

fn tamper_journal_last_entry_deleted_after_transition(store: &Store) {
    // The chain alone cannot tell that its last entry is gone; the record whose change it audited
    // then no longer matches its last audited state.
    let s = scene(store);
    let head = store.head_seq().unwrap();
    assert_eq!(
        store.record(s.activated).unwrap().last_seq,
        head,
        "the scene ends with this transition"
    );
    store
        .raw_exec(&format!("DELETE FROM journal WHERE seq = {head}"))
        .unwrap();
    let report = store.verify().unwrap();
    assert_eq!(report.entries as i64, head - 1);
    assert_row_problem(
        report.problem.as_ref().expect("caught"),
        "record",
        &s.activated.to_string(),
    );
    assert_eq!(report.head, None);
}

fn tamper_journal_last_entry_deleted_after_creation(store: &Store) {
    let s = scene(store);
    let id = accepted(
        &import(
            store,
            &s.fx.finance,
            false,
            &[unit_record(&s.fx.township, "PAYMENT_ARREARS", "S-9")],
        )[0],
    );
    let head = store.head_seq().unwrap();
    assert_eq!(store.record(id).unwrap().last_seq, head);
    store
        .raw_exec(&format!("DELETE FROM journal WHERE seq = {head}"))
        .unwrap();
    let report = store.verify().unwrap();
    assert_eq!(report.entries as i64, head - 1);
    assert_row_problem(
        report.problem.as_ref().expect("caught"),
        "record",
        &id.to_string(),
    );
}

fn tamper_journal_entries_reordered(store: &Store) {
    scene(store);
    let k = middle_seq(store);
    store
        .raw_exec(&format!(
            "UPDATE journal SET seq = -1 WHERE seq = {k};
             UPDATE journal SET seq = {k} WHERE seq = {k} + 1;
             UPDATE journal SET seq = {k} + 1 WHERE seq = -1;"
        ))
        .unwrap();
    assert_entry_problem(&problem(store), k);
}

fn tamper_journal_forged_entry_appended(store: &Store) {
    // A forged entry that claims to continue the chain (its prev_hash is the real head) but
    // cannot carry a valid hash of its own.
    scene(store);
    let head = store.head_seq().unwrap();
    store
        .raw_exec(
            "INSERT INTO journal (seq, at, actor, action, entity, entity_id, detail, state_digest, prev_hash, hash)
             SELECT seq + 1, at, '信用办:intruder', 'revoke', entity, entity_id, detail, state_digest, hash, hash
             FROM journal WHERE seq = (SELECT MAX(seq) FROM journal)",
        )
        .unwrap();
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert_entry_problem(&problem(store), head + 1);
}

fn tamper_record_edited(store: &Store) {
    let s = scene(store);
    store
        .raw_exec(&format!(
            "UPDATE records SET facts = '无失信事实' WHERE id = {}",
            s.submitted
        ))
        .unwrap();
    assert_row_problem(&problem(store), "record", &s.submitted.to_string());
}

fn tamper_record_state_edited(store: &Store) {
    let s = scene(store);
    store
        .raw_exec(&format!(
            "UPDATE records SET state = 'revoked' WHERE id = {}",
            s.court
        ))
        .unwrap();
    assert_row_problem(&problem(store), "record", &s.court.to_string());
}

fn tamper_record_inserted(store: &Store) {
    let s = scene(store);
    let cols = "subject_id, provider_id, category, kind, document_no, subject_name, decided_on, authority, facts, \
                basis, outcome, severity, scope, disclosure_until, state, content_digest, channel, source, source_row, \
                submitted_by, first_seen, last_seen, seen_count, last_seq";
    let copy = cols.replace("document_no", "'伪造〔2025〕1号'");
    store
        .raw_exec(&format!(
            "INSERT INTO records (id, {cols}) SELECT 777, {copy} FROM records WHERE id = {}",
            s.court
        ))
        .unwrap();
    assert_eq!(store.record(777).unwrap().document_no, "伪造〔2025〕1号");
    assert_row_problem(&problem(store), "record", "777");
}

fn tamper_record_deleted(store: &Store) {
    let s = scene(store);
    store
        .raw_exec(&format!("DELETE FROM records WHERE id = {}", s.court))
        .unwrap();
    assert_row_problem(&problem(store), "record", &s.court.to_string());
}

fn tamper_subject_renamed(store: &Store) {
    let s = scene(store);
    store
        .raw_exec(&format!(
            "UPDATE subjects SET name = '天津市滨海新区某单位' WHERE id = {}",
            s.fx.finance.id
        ))
        .unwrap();
    assert_row_problem(&problem(store), "subject", &s.fx.finance.id.to_string());
}

fn tamper_subject_inserted(store: &Store) {
    let s = scene(store);
    store
        .raw_exec(&format!(
            "INSERT INTO subjects (id, kind, name, uscc, uscc_override, created_at, updated_at)
             SELECT 555, kind, '天津市滨海新区影子单位', '{}', 0, created_at, updated_at FROM subjects WHERE id = {}",
            uscc("MB000055").as_str(),
            s.fx.court.id
        ))
        .unwrap();
    assert_row_problem(&problem(store), "subject", "555");
}

fn tamper_category_edited(store: &Store) {
    scene(store);
    store
        .raw_exec(
            "UPDATE categories SET body = replace(body, '失信被执行人', '被执行人') WHERE code = 'JUDGMENT_DEFAULTER'",
        )
        .unwrap();
    assert_eq!(
        store
            .catalog()
            .unwrap()
            .get("JUDGMENT_DEFAULTER")
            .unwrap()
            .name,
        "被执行人"
    );
    assert_row_problem(&problem(store), "category", "JUDGMENT_DEFAULTER");
}

fn tamper_category_deleted(store: &Store) {
    scene(store);
    store
        .raw_exec("DELETE FROM categories WHERE code = 'COMMITMENT_KEPT'")
        .unwrap();
    assert_row_problem(&problem(store), "category", "COMMITMENT_KEPT");
}

// =============================================================================================
// 6. Change feed

store_tests! {
    feed_exports_in_sequence_order => feed_exports_in_sequence_order_sqlite, feed_exports_in_sequence_order_postgres;
    feed_sequence_is_gap_free => feed_sequence_is_gap_free_sqlite, feed_sequence_is_gap_free_postgres;
}

fn export(store: &Store, since: i64) -> Vec<probity_store::ExportRow> {
    let mut out = Vec::new();
    store
        .export_since(since, |r| {
            out.push(r);
            Ok(())
        })
        .unwrap();
    out
}

fn feed_exports_in_sequence_order(store: &Store) {
    let s = scene(store);
    let head = store.head_seq().unwrap();
    let all = export(store, 0);
    assert_eq!(all.len() as i64, store.record_count().unwrap());
    let seqs: Vec<i64> = all.iter().map(|r| r.record.last_seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(seqs.iter().all(|q| *q >= 1 && *q <= head), "{seqs:?}");
    assert_eq!(
        *seqs.last().unwrap(),
        head,
        "the scene ends with a transition"
    );
    assert_eq!(all.last().unwrap().record.id, s.activated);
    for row in &all {
        assert_eq!(&row.record, &store.record(row.record.id).unwrap());
    }
    // Who the records are about and who filed them.
    let court = all.iter().find(|r| r.record.id == s.court).unwrap();
    assert_eq!(court.provider_name, COURT);
    assert_eq!(
        court.subject_uscc.as_deref(),
        Some(township_uscc().as_str())
    );
    assert_eq!(court.subject_id_masked, None);
    let person = all.iter().find(|r| r.record.id == s.submitted).unwrap();
    assert_eq!(person.provider_name, FINANCE);
    assert_eq!(person.subject_uscc, None);
    assert_eq!(
        person.subject_id_masked.as_deref(),
        Some(person_id().masked().as_str())
    );

    // Nothing after the head; a middle cursor gives exactly the later records.
    assert!(export(store, head).is_empty());
    let mid = seqs[1];
    let later: Vec<i64> = export(store, mid)
        .iter()
        .map(|r| r.record.last_seq)
        .collect();
    assert_eq!(later, seqs[2..].to_vec());

    // A transition brings the record back with its new sequence number.
    let rec = store
        .transition(
            s.court,
            Action::Object,
            Role::Unit,
            Some(s.fx.township.id),
            "新河街道:tester",
            "异议",
        )
        .unwrap();
    let new_head = store.head_seq().unwrap();
    assert_eq!(new_head, head + 1);
    let changed = export(store, head);
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].record.id, s.court);
    assert_eq!(changed[0].record.last_seq, new_head);
    assert_eq!(changed[0].record.state, RecordState::Objected);
    assert_eq!(rec.last_seq, new_head);
    let all = export(store, 0);
    assert_eq!(
        all.len() as i64,
        store.record_count().unwrap(),
        "a record appears once, at its newest position"
    );
    assert_eq!(all.last().unwrap().record.id, s.court);
    // A duplicate sighting does not move the feed.
    duplicate(
        &import(
            store,
            &s.fx.court,
            true,
            &[unit_record(&s.fx.township, "JUDGMENT_DEFAULTER", "S-4")],
        )[0],
    );
    assert!(export(store, new_head).is_empty());
}

fn feed_sequence_is_gap_free(store: &Store) {
    scene(store);
    let report = assert_clean(store);
    // `verify` walks the journal in order and insists on seq == 1, 2, 3, …: with as many entries
    // as the head number, the sequence is exactly 1..=head.
    let head = store.head_seq().unwrap();
    assert_eq!(report.entries as i64, head);
    // Refused and rejected operations take no number.
    let fx = store.find_unit("区财政局").unwrap();
    let township = store.find_unit("新河街道").unwrap();
    let out = import(
        store,
        &fx,
        false,
        &[unit_record(&township, "JUDGMENT_DEFAULTER", "G-1")],
    );
    rejected(&out[0]);
    assert!(
        store
            .transition(1, Action::Submit, Role::CreditOffice, None, "x", "")
            .is_err()
    );
    let mut bad = store.catalog().unwrap().get("HONOUR").unwrap().clone();
    bad.default_severity = Some(Severity::Grave);
    assert!(store.save_category(&bad, "x").is_err());
    assert!(
        store
            .link_successor(township.id, township.id, "x", "")
            .is_err()
    );
    assert_eq!(store.head_seq().unwrap(), head);
    let id = accepted(
        &import(
            store,
            &fx,
            false,
            &[unit_record(&township, "PROCUREMENT_BREACH", "G-2")],
        )[0],
    );
    assert_eq!(store.record(id).unwrap().last_seq, head + 1);
    let report = assert_clean(store);
    assert_eq!(report.entries as i64, head + 1);
}

db_tests! {
    feed_sequence_in_database_is_gap_free => feed_sequence_in_database_is_gap_free_sqlite, feed_sequence_in_database_is_gap_free_postgres;
}

/// The journal's numbers read straight from the database (PostgreSQL, where the harness has its
/// own connection), after a scene and a failed all-or-nothing import.
fn feed_sequence_in_database_is_gap_free(db: &mut TestDb) {
    let store = db.open();
    scene(&store);
    let fx = store.find_unit("区财政局").unwrap();
    let township = store.find_unit("新河街道").unwrap();
    let mut o = opts(&fx, false);
    o.all_or_nothing = true;
    let mut imp = store.start_import(o).unwrap();
    imp.push(batch(
        &store,
        &[unit_record(&township, "PROCUREMENT_BREACH", "R-1")],
    ))
    .unwrap();
    imp.finish(false).unwrap();
    let id = accepted(
        &import(
            &store,
            &fx,
            false,
            &[unit_record(&township, "PROCUREMENT_BREACH", "R-2")],
        )[0],
    );
    let head = store.head_seq().unwrap();
    assert_eq!(store.record(id).unwrap().last_seq, head);
    assert_clean(&store);
    drop(store);
    if let Some(seqs) = db.journal_seqs() {
        assert_eq!(seqs, (1..=head).collect::<Vec<_>>());
    }
}

// =============================================================================================
// 7. Successor links (机构改革)

store_tests! {
    successor_inherits_records => successor_inherits_records_sqlite, successor_inherits_records_postgres;
    successor_cycle_refused => successor_cycle_refused_sqlite, successor_cycle_refused_postgres;
}

fn new_units(store: &Store, names: &[(&str, &str, &str)]) -> Vec<probity_store::Subject> {
    let rows: Vec<_> = names
        .iter()
        .map(|(name, short, body)| unit_row(name, short, "街镇", uscc(body).as_str(), GOV))
        .collect();
    import_roster(store, &rows);
    names
        .iter()
        .map(|(_, short, _)| store.find_unit(short).unwrap())
        .collect()
}

fn successor_inherits_records(store: &Store) {
    let fx = fixture(store);
    let old_ids: Vec<i64> = import(
        store,
        &fx.finance,
        false,
        &[
            unit_record(&fx.township, "PROCUREMENT_BREACH", "X-1"),
            unit_record(&fx.township, "PAYMENT_ARREARS", "X-2"),
        ],
    )
    .iter()
    .map(accepted)
    .collect();
    let new = new_units(
        store,
        &[("天津市滨海新区新河新城街道办事处", "新河新城", "MB000031")],
    )
    .remove(0);
    let own = accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&new, "PROCUREMENT_BREACH", "X-3")],
        )[0],
    );
    let other = accepted(
        &import(
            store,
            &fx.court,
            false,
            &[unit_record(&fx.finance, "JUDGMENT_DEFAULTER", "X-4")],
        )[0],
    );
    assert_eq!(
        store
            .records_of_subject(new.id)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![own]
    );

    let head = store.head_seq().unwrap();
    store
        .link_successor(fx.township.id, new.id, "信用办:admin", "街道合并")
        .unwrap();
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert_eq!(
        store.subject(fx.township.id).unwrap().successor_id,
        Some(new.id)
    );
    assert_eq!(store.subject(new.id).unwrap().successor_id, None);
    let mut ids: Vec<i64> = store
        .records_of_subject(new.id)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    let mut expected = old_ids.clone();
    expected.push(own);
    expected.sort();
    assert_eq!(ids, expected);
    assert!(!ids.contains(&other));
    // The old unit keeps its own history.
    let mut old: Vec<i64> = store
        .records_of_subject(fx.township.id)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    old.sort();
    assert_eq!(old, old_ids);
    // Transitively: a later merger brings both along.
    let newest = new_units(
        store,
        &[("天津市滨海新区新河中心街道办事处", "新河中心", "MB000032")],
    )
    .remove(0);
    store
        .link_successor(new.id, newest.id, "信用办:admin", "再次合并")
        .unwrap();
    assert_eq!(store.records_of_subject(newest.id).unwrap().len(), 3);
    let mut lineage = store.lineage(newest.id).unwrap();
    lineage.sort();
    let mut want = vec![fx.township.id, new.id, newest.id];
    want.sort();
    assert_eq!(lineage, want);
    // A roster re-import keeps the link.
    let report = import_roster(store, &fixture_rows());
    assert_eq!(report.unchanged, 5, "{report:?}");
    assert_eq!(
        store.subject(fx.township.id).unwrap().successor_id,
        Some(new.id)
    );
    assert_clean(store);
}

fn successor_cycle_refused(store: &Store) {
    let fx = fixture(store);
    let u = new_units(
        store,
        &[
            ("天津市滨海新区甲街道办事处", "甲街道", "MB000041"),
            ("天津市滨海新区乙街道办事处", "乙街道", "MB000042"),
            ("天津市滨海新区丙街道办事处", "丙街道", "MB000043"),
        ],
    );
    let (a, b, c) = (u[0].id, u[1].id, u[2].id);
    store.link_successor(a, b, "信用办:admin", "").unwrap();
    store.link_successor(b, c, "信用办:admin", "").unwrap();
    let head = store.head_seq().unwrap();
    let subjects = store.subjects().unwrap();
    for (from, into) in [(b, a), (c, a), (c, b), (a, a)] {
        let err = store
            .link_successor(from, into, "信用办:admin", "")
            .unwrap_err();
        assert_eq!(domain_code(&err), Code::ParentNotFound, "{from} → {into}");
    }
    // A unit cannot be succeeded by a person, nor by an unknown subject.
    let err = store
        .link_successor(fx.township.id, fx.person.id, "信用办:admin", "")
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::ParentNotFound);
    assert!(matches!(
        store.link_successor(fx.township.id, 9999, "信用办:admin", ""),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.head_seq().unwrap(), head);
    assert_eq!(store.subjects().unwrap(), subjects);
    assert_clean(store);
}

// =============================================================================================
// 8. Catalog edits

store_tests! {
    catalog_invalid_edit_refused => catalog_invalid_edit_refused_sqlite, catalog_invalid_edit_refused_postgres;
    catalog_valid_edit_applies => catalog_valid_edit_applies_sqlite, catalog_valid_edit_applies_postgres;
}

fn catalog_invalid_edit_refused(store: &Store) {
    let before = store.catalog().unwrap();
    let head = store.head_seq().unwrap();
    let base = before.get("JUDGMENT_DEFAULTER").unwrap().clone();
    let mut bounds = base.clone();
    bounds.disclosure[2] = DisclosureBounds {
        min_months: 40,
        max_months: 12,
    };
    let mut too_long = base.clone();
    too_long.disclosure[1] = DisclosureBounds {
        min_months: 0,
        max_months: 121,
    };
    let mut code = base.clone();
    code.code = "judgment defaulter".into();
    let mut name = base.clone();
    name.name = "  ".into();
    let mut severity = base.clone();
    severity.default_severity = None;
    let mut trustworthy = before.get("HONOUR").unwrap().clone();
    trustworthy.default_severity = Some(Severity::Minor);
    let mut new_bad = base;
    new_bad.code = "NEW_CATEGORY".into();
    new_bad.disclosure[0] = DisclosureBounds {
        min_months: 5,
        max_months: 3,
    };
    for cat in [bounds, too_long, code, name, severity, trustworthy, new_bad] {
        let err = store.save_category(&cat, "信用办:admin").unwrap_err();
        assert_eq!(domain_code(&err), Code::CategoryInvalid, "{cat:?}");
    }
    assert_eq!(store.head_seq().unwrap(), head);
    assert_eq!(store.catalog().unwrap().categories(), before.categories());
    assert_clean(store);
}

fn catalog_valid_edit_applies(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    let mut cat = store
        .catalog()
        .unwrap()
        .get("JUDGMENT_DEFAULTER")
        .unwrap()
        .clone();
    cat.providers = ProviderRule::Named(vec!["区法院".into(), "区财政局".into()]);
    store.save_category(&cat, "信用办:admin").unwrap();
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert_eq!(
        store.catalog().unwrap().get("JUDGMENT_DEFAULTER"),
        Some(&cat)
    );
    // Saving the same body again is not a change.
    store.save_category(&cat, "信用办:admin").unwrap();
    assert_eq!(store.head_seq().unwrap(), head + 1);
    // The edit applies to the next import.
    accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&fx.township, "JUDGMENT_DEFAULTER", "C-1")],
        )[0],
    );
    // A new category is added after the default ones.
    let mut extra = cat.clone();
    extra.code = "LOCAL_RULE_BREACH".into();
    extra.name = "区级规定违反".into();
    extra.providers = ProviderRule::AnyUnit;
    store.save_category(&extra, "信用办:admin").unwrap();
    let catalog = store.catalog().unwrap();
    assert_eq!(catalog.categories().len(), 16);
    assert_eq!(catalog.categories().last(), Some(&extra));
    assert_clean(store);
}
