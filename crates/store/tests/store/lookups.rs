//! Subjects named by ID number are no oracle: a number under another name answers as a number not
//! on the roster, failed lookups are journaled by their keyed hash and limited per account, and a
//! provider's file with a few typos still loads. Plus the record list of an assessed unit, and the
//! permissions of the SQLite files. On SQLite and (with `PROBITY_TEST_PG`) PostgreSQL.

use crate::common::*;
use chrono::NaiveDate;
use probity_domain::Code;
use probity_domain::ident::IdNumber;
use probity_domain::record::{RecordRow, RecordState, Role};
use probity_store::import::ID_LOOKUP_FAILURES_PER_HOUR;
use probity_store::{
    Created, HistoryEntry, ImportOptions, Outcome, RecordFilter, RecordOrder, Store,
};

store_tests! {
    a_number_under_another_name_is_not_found => a_number_under_another_name_is_not_found_sqlite, a_number_under_another_name_is_not_found_postgres;
    failed_lookups_are_journaled_and_limited => failed_lookups_are_journaled_and_limited_sqlite, failed_lookups_are_journaled_and_limited_postgres;
    a_file_with_a_few_typos_loads => a_file_with_a_few_typos_loads_sqlite, a_file_with_a_few_typos_loads_postgres;
    a_rolled_back_import_keeps_its_failed_lookups => a_rolled_back_import_keeps_its_failed_lookups_sqlite, a_rolled_back_import_keeps_its_failed_lookups_postgres;
    forms_and_corrections_count_too => forms_and_corrections_count_too_sqlite, forms_and_corrections_count_too_postgres;
    a_unit_lists_only_its_decided_records => a_unit_lists_only_its_decided_records_sqlite, a_unit_lists_only_its_decided_records_postgres;
}

/// Another valid ID number that the console masks exactly as `id` (same first and last four):
/// what someone guessing the hidden digits of `id` would send.
fn same_mask(id: &IdNumber) -> IdNumber {
    let seq: u16 = id.as_str()[14..17].parse().unwrap();
    let mut day = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    loop {
        let other = IdNumber::from_parts(&id.as_str()[..6], day, seq).unwrap();
        if other != *id && other.masked() == id.masked() {
            return other;
        }
        day = day.succ_opt().unwrap();
    }
}

/// The `n`-th of a series of ID numbers not on the roster (all different, all valid).
fn unknown_id(n: u16) -> IdNumber {
    IdNumber::from_parts("120116", NaiveDate::from_ymd_opt(1991, 1, 1).unwrap(), n).unwrap()
}

fn guess(id: &IdNumber, name: &str, doc: &str) -> RecordRow {
    let mut r = person_record("ADMIN_PENALTY", doc);
    r.id_number = id.as_str().into();
    r.subject_name = name.into();
    r
}

fn failed_lookups(store: &Store) -> Vec<HistoryEntry> {
    store
        .journal_page(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.entity == "id_lookup")
        .collect()
}

fn a_number_under_another_name_is_not_found(store: &Store) {
    let fx = fixture(store);
    let right_id_wrong_name = guess(&person_id(), "李四", "津滨财罚〔2025〕1号");
    let wrong_id = guess(&same_mask(&person_id()), "李四", "津滨财罚〔2025〕2号");
    let out = import(store, &fx.finance, false, &[right_id_wrong_name, wrong_id]);
    let (Outcome::Rejected(a), Outcome::Rejected(b)) = (&out[0], &out[1]) else {
        panic!("both refused: {out:?}");
    };
    assert_eq!(
        a, b,
        "a right number under a wrong name answers as a wrong number"
    );
    assert_eq!(
        (a[0].column, a[0].error.code),
        ("id_number", Code::SubjectNotFound)
    );
    assert!(
        !a[0].error.message.contains(PERSON),
        "{}",
        a[0].error.message
    );
    // Organisations are public: their name mismatch still says what it is.
    let mut unit = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    unit.subject_name = "天津市滨海新区新港街道办事处".into();
    assert_eq!(
        rejected(&import(store, &fx.finance, false, &[unit])[0]),
        ("subject_name", Code::SubjectNameMismatch)
    );
    // The right name still finds the civil servant.
    accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[person_record("ADMIN_PENALTY", "津滨财罚〔2025〕3号")],
        )[0],
    );
    assert_clean(store);
}

fn failed_lookups_are_journaled_and_limited(store: &Store) {
    let fx = fixture(store);
    let head = store.head_seq().unwrap();
    // The limit, less one, of wrong numbers; one of them twice (it counts once).
    let mut rows: Vec<RecordRow> = (0..ID_LOOKUP_FAILURES_PER_HOUR as u16 - 1)
        .map(|n| guess(&unknown_id(n), "王五", &format!("猜〔2025〕{n}号")))
        .collect();
    rows.push(guess(&unknown_id(0), "王五", "猜〔2025〕重复号"));
    let out = import(store, &fx.finance, false, &rows);
    assert!(
        out.iter()
            .all(|o| rejected(o) == ("id_number", Code::SubjectNotFound)),
        "{out:?}"
    );
    let logged = failed_lookups(store);
    assert_eq!(logged.len(), ID_LOOKUP_FAILURES_PER_HOUR - 1, "{logged:?}");
    assert_eq!(store.head_seq().unwrap(), head + logged.len() as i64);
    let hash = hex::encode(keys().lookup_hash(unknown_id(3).as_str()));
    assert!(
        logged.iter().any(|e| e.detail.contains(&hash)),
        "{logged:?}"
    );
    for e in &logged {
        assert_eq!(e.actor, "tester");
        assert!(e.detail.contains("\"actor\":\"tester\""), "{}", e.detail);
        // The keyed hash only: never the number, nor its masked form.
        assert!(!e.detail.contains('*'), "{}", e.detail);
        for n in 0..ID_LOOKUP_FAILURES_PER_HOUR as u16 {
            assert!(!e.detail.contains(unknown_id(n).as_str()), "{}", e.detail);
        }
    }

    // The limit-th failure is still answered; after it every row keyed by an ID number is
    // refused, the right one included, so that a hit cannot be told from a miss.
    let last = guess(&unknown_id(900), "王五", "猜〔2025〕900号");
    assert_eq!(
        rejected(&import(store, &fx.finance, false, &[last])[0]),
        ("id_number", Code::SubjectNotFound)
    );
    let out = import(
        store,
        &fx.finance,
        false,
        &[
            guess(&unknown_id(901), "王五", "猜〔2025〕901号"),
            person_record("ADMIN_PENALTY", "津滨财罚〔2025〕9号"),
            unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕9号"),
        ],
    );
    assert_eq!(rejected(&out[0]), ("id_number", Code::LookupLimited));
    assert_eq!(rejected(&out[1]), ("id_number", Code::LookupLimited));
    accepted(&out[2]);
    assert_eq!(failed_lookups(store).len(), ID_LOOKUP_FAILURES_PER_HOUR);

    // The limit is the account's: another one is not held back.
    let mut other = opts(&fx.finance, false);
    other.actor = "another".into();
    let mut imp = store.start_import(other).unwrap();
    let out = imp
        .push(batch(
            store,
            &[person_record("ADMIN_PENALTY", "津滨财罚〔2025〕10号")],
        ))
        .unwrap();
    imp.finish(true).unwrap();
    accepted(&out[0].1);

    // The operator at the machine's command line is journaled but not held back: it holds the
    // database and its key, and a large file of its must load.
    let mut operator = opts(&fx.finance, false);
    operator.actor = "cli:ops".into();
    let rows: Vec<RecordRow> = (0..ID_LOOKUP_FAILURES_PER_HOUR as u16 + 5)
        .map(|n| guess(&unknown_id(500 + n), "王五", &format!("运维〔2025〕{n}号")))
        .chain([person_record("ADMIN_PENALTY", "津滨财罚〔2025〕11号")])
        .collect();
    let mut imp = store.start_import(operator).unwrap();
    let out = imp.push(batch(store, &rows)).unwrap();
    imp.finish(true).unwrap();
    assert!(
        out[..rows.len() - 1]
            .iter()
            .all(|(_, o)| rejected(o) == ("id_number", Code::SubjectNotFound))
    );
    accepted(&out[rows.len() - 1].1);
    assert_eq!(
        store
            .history(probity_domain::audit::Entity::IdLookup, "cli:ops")
            .unwrap()
            .len(),
        ID_LOOKUP_FAILURES_PER_HOUR + 5
    );
    // The journal stays verifiable with entries of an entity it does not check rows of.
    assert_clean(store);
}

fn a_file_with_a_few_typos_loads(store: &Store) {
    let fx = fixture(store);
    // A roster of 40 more civil servants of the finance bureau.
    let people: Vec<(String, IdNumber)> = (0..40u16)
        .map(|n| {
            let id = IdNumber::from_parts(
                "120116",
                NaiveDate::from_ymd_opt(1975, 3, 1).unwrap() + chrono::Days::new(u64::from(n)),
                100 + n,
            )
            .unwrap();
            (format!("公务员{n}"), id)
        })
        .collect();
    let rows: Vec<_> = people
        .iter()
        .map(|(name, id)| person_row(name, id, "区财政局", "科员"))
        .collect();
    assert!(import_roster(store, &rows).rejected.is_empty());
    // Three typos in a file of 40: the three are reported, the rest load.
    let file: Vec<RecordRow> = people
        .iter()
        .enumerate()
        .map(|(i, (name, id))| {
            let mut r = guess(id, name, &format!("津滨财纪〔2025〕{i}号"));
            if i % 13 == 5 {
                r.id_number = unknown_id(500 + i as u16).as_str().into();
            }
            r
        })
        .collect();
    let out = import(store, &fx.finance, false, &file);
    let refused: Vec<_> = out
        .iter()
        .filter(|o| matches!(o, Outcome::Rejected(_)))
        .map(rejected)
        .collect();
    assert_eq!(refused, vec![("id_number", Code::SubjectNotFound); 3]);
    assert_eq!(store.record_count().unwrap(), 37);
    assert_eq!(failed_lookups(store).len(), 3);
}

fn a_rolled_back_import_keeps_its_failed_lookups(store: &Store) {
    let fx = fixture(store);
    let opts = ImportOptions {
        all_or_nothing: true,
        ..opts(&fx.finance, false)
    };
    let mut imp = store.start_import(opts.clone()).unwrap();
    let out = imp
        .push(batch(store, &[guess(&unknown_id(1), "王五", "猜1号")]))
        .unwrap();
    assert_eq!(rejected(&out[0].1), ("id_number", Code::SubjectNotFound));
    imp.finish(false).unwrap();
    // Dropped without finishing: rolled back too.
    let mut imp = store.start_import(opts).unwrap();
    imp.push(batch(store, &[guess(&unknown_id(2), "王五", "猜2号")]))
        .unwrap();
    drop(imp);
    assert_eq!(store.record_count().unwrap(), 0);
    assert_eq!(
        failed_lookups(store).len(),
        2,
        "the guesses leave their trace"
    );
    assert_clean(store);
}

fn forms_and_corrections_count_too(store: &Store) {
    let fx = fixture(store);
    let catalog = store.catalog().unwrap();
    let valid = |r: RecordRow| r.validate(&catalog, today()).unwrap();
    let form = |r: RecordRow| {
        store.create_record(
            ImportOptions {
                channel: probity_store::Channel::Form,
                ..opts(&fx.finance, false)
            },
            valid(r),
            true,
        )
    };
    let draft = match form(person_record("ADMIN_PENALTY", "津滨财罚〔2025〕20号")).unwrap() {
        Created::New(r) => r,
        other => panic!("{other:?}"),
    };
    // A correction naming the civil servant by the right number under a wrong name.
    let errs = store
        .correct_record(
            draft.id,
            valid(guess(&person_id(), "李四", "津滨财罚〔2025〕20号")),
            Role::Provider,
            Some(fx.finance.id),
            "tester",
        )
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (errs[0].column, errs[0].error.code),
        ("id_number", Code::SubjectNotFound)
    );
    assert_eq!(
        store.record(draft.id).unwrap(),
        draft,
        "the draft is untouched"
    );
    assert_eq!(failed_lookups(store).len(), 1);
    for n in 1..ID_LOOKUP_FAILURES_PER_HOUR as u16 {
        match form(guess(&unknown_id(n), "王五", &format!("猜〔2025〕{n}号"))).unwrap() {
            Created::Rejected(errs) => assert_eq!(errs[0].error.code, Code::SubjectNotFound),
            other => panic!("{other:?}"),
        }
    }
    // One record asked for past the limit is an error of its own (the API answers 429).
    let e = form(person_record("ADMIN_PENALTY", "津滨财罚〔2025〕21号")).unwrap_err();
    assert_eq!(domain_code(&e), Code::LookupLimited);
    let e = store
        .correct_record(
            draft.id,
            valid(person_record("ADMIN_PENALTY", "津滨财罚〔2025〕20号")),
            Role::Provider,
            Some(fx.finance.id),
            "tester",
        )
        .unwrap_err();
    assert_eq!(domain_code(&e), Code::LookupLimited);
    assert_clean(store);
}

fn a_unit_lists_only_its_decided_records(store: &Store) {
    let fx = fixture(store);
    let row = |doc: &str| unit_record(&fx.township, "PROCUREMENT_BREACH", doc);
    let active: Vec<i64> = import(store, &fx.finance, true, &[row("甲1号"), row("甲2号")])
        .iter()
        .map(accepted)
        .collect();
    // Newer records still under review, and a draft.
    let submitted = accepted(&import(store, &fx.finance, false, &[row("乙1号")])[0]);
    let f = RecordFilter {
        subject_ids: Some(vec![fx.township.id]),
        in_subject_file: true,
        ..Default::default()
    };
    for order in RecordOrder::ALL {
        let page = store.list_summaries(&f, order, None, 2).unwrap();
        let mut ids: Vec<i64> = page.iter().map(|r| r.id).collect();
        ids.sort();
        assert_eq!(ids, active, "{order:?}");
        assert!(page.iter().all(|r| r.state.in_subject_file()));
    }
    assert_eq!(store.count_records(&f, 100).unwrap(), 2);
    let all = RecordFilter {
        in_subject_file: false,
        ..f
    };
    assert_eq!(store.count_records(&all, 100).unwrap(), 3);
    assert_eq!(
        store.record(submitted).unwrap().state,
        RecordState::Submitted
    );
}

#[cfg(unix)]
#[test]
fn the_sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.db");
    let store = Store::open(&format!("sqlite://{}", path.display()), keys()).unwrap();
    fixture(&store);
    let mode = |suffix: &str| {
        let p = format!("{}{suffix}", path.display());
        std::fs::metadata(&p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(
            mode(suffix),
            0o600,
            "probity.db{suffix}: {:o}",
            mode(suffix)
        );
    }
    drop(store);
    // Left readable by others (as an older version created it), then opened again: the
    // owner's alone once more.
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", path.display());
        if std::path::Path::new(&p).exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let store = Store::open(&format!("sqlite://{}", path.display()), keys()).unwrap();
    store.head_seq().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        assert_eq!(
            mode(suffix),
            0o600,
            "probity.db{suffix}: {:o}",
            mode(suffix)
        );
    }
}
