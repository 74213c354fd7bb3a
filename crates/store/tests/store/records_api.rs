//! The record operations the API and the pages use — one record created as a draft or
//! submitted, corrected, listed with filters and a cursor, and its history — on SQLite and on
//! PostgreSQL (when `PROBITY_TEST_PG` is set).

use crate::common::*;
use probity_domain::Code;
use probity_domain::record::{Action, RecordState, Role};
use probity_store::{Channel, Created, Cursor, RecordFilter, RecordOrder, Store};

store_tests! {
    drafts_are_created_corrected_and_submitted => drafts_sqlite, drafts_postgres;
    identical_content_answers_with_the_existing_record => identical_sqlite, identical_postgres;
    corrections_follow_the_lifecycle_and_the_owner => corrections_sqlite, corrections_postgres;
    lists_filter_and_page => lists_sqlite, lists_postgres;
    lists_read_in_every_order_with_cursors => orders_sqlite, orders_postgres;
}

fn new_record(store: &Store, fx: &Fx, doc: &str) -> probity_domain::record::NewRecord {
    batch(
        store,
        &[unit_record(&fx.township, "PROCUREMENT_BREACH", doc)],
    )
    .remove(0)
    .1
}

fn api_opts(fx: &Fx) -> probity_store::ImportOptions {
    probity_store::ImportOptions {
        channel: Channel::Form,
        source: "form".into(),
        ..opts(&fx.finance, false)
    }
}

fn created(c: Created) -> probity_store::StoredRecord {
    match c {
        Created::New(r) => r,
        other => panic!("expected a new record, got {other:?}"),
    }
}

fn drafts_are_created_corrected_and_submitted(store: &Store) {
    let fx = fixture(store);
    let draft = created(
        store
            .create_record(api_opts(&fx), new_record(store, &fx, "D-1"), true)
            .unwrap(),
    );
    assert_eq!(draft.state, RecordState::Draft);
    assert_eq!(draft.channel, "form");

    let mut fixed = new_record(store, &fx, "D-1");
    fixed.facts = "更正后的事实".into();
    let corrected = store
        .correct_record(
            draft.id,
            fixed,
            Role::Provider,
            Some(fx.finance.id),
            "区财政局:tester",
        )
        .unwrap()
        .unwrap();
    assert_eq!(corrected.facts, "更正后的事实");
    assert_eq!(store.record(draft.id).unwrap().facts, "更正后的事实");

    let submitted = store
        .transition(
            draft.id,
            Action::Submit,
            Role::Provider,
            Some(fx.finance.id),
            "区财政局:tester",
            "",
        )
        .unwrap();
    assert_eq!(submitted.state, RecordState::Submitted);
    let actions: Vec<String> = store
        .history(probity_domain::audit::Entity::Record, &draft.id.to_string())
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    assert_eq!(actions, vec!["create_draft", "correct", "submit"]);
    let page = store.journal_page(0, 1000).unwrap();
    assert_eq!(page.last().map(|e| e.seq), Some(store.head_seq().unwrap()));
    assert!(
        store.verify().unwrap().problem.is_none(),
        "corrections keep the audit chain intact"
    );
}

fn identical_content_answers_with_the_existing_record(store: &Store) {
    let fx = fixture(store);
    let first = created(
        store
            .create_record(api_opts(&fx), new_record(store, &fx, "I-1"), false)
            .unwrap(),
    );
    assert_eq!(first.state, RecordState::Submitted);
    let head = store.head_seq().unwrap();
    match store
        .create_record(api_opts(&fx), new_record(store, &fx, "I-1"), false)
        .unwrap()
    {
        Created::Existing(r) => assert_eq!(r.id, first.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.head_seq().unwrap(), head);
    let mut changed = new_record(store, &fx, "I-1");
    changed.outcome = "另一个结果".into();
    match store.create_record(api_opts(&fx), changed, false).unwrap() {
        Created::Rejected(errs) => assert_eq!(errs[0].error.code, Code::DuplicateConflict),
        other => panic!("{other:?}"),
    }
}

fn corrections_follow_the_lifecycle_and_the_owner(store: &Store) {
    let fx = fixture(store);
    let rec = created(
        store
            .create_record(api_opts(&fx), new_record(store, &fx, "C-1"), false)
            .unwrap(),
    );
    // Another provider may not correct it.
    let err = store
        .correct_record(
            rec.id,
            new_record(store, &fx, "C-1"),
            Role::Provider,
            Some(fx.court.id),
            "区法院:x",
        )
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::Forbidden);
    // Once active, nobody corrects it: the lifecycle says so.
    store
        .transition(
            rec.id,
            Action::Activate,
            Role::CreditOffice,
            None,
            "信用办:x",
            "",
        )
        .unwrap();
    let head = store.head_seq().unwrap();
    let err = store
        .correct_record(
            rec.id,
            new_record(store, &fx, "C-1"),
            Role::CreditOffice,
            None,
            "信用办:x",
        )
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::IllegalTransition);
    assert_eq!(store.head_seq().unwrap(), head);
    // A correction cannot take another record's document number.
    let other = created(
        store
            .create_record(api_opts(&fx), new_record(store, &fx, "C-2"), true)
            .unwrap(),
    );
    let err = store
        .correct_record(
            other.id,
            new_record(store, &fx, "C-1"),
            Role::Provider,
            Some(fx.finance.id),
            "区财政局:x",
        )
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::DuplicateConflict);
    // A correction naming a subject not on the roster is refused with the field.
    let mut stranger = new_record(store, &fx, "C-2");
    stranger.subject_key = probity_domain::subject::SubjectKey::Uscc(uscc("WQ000099"));
    let errs = store
        .correct_record(
            other.id,
            stranger,
            Role::Provider,
            Some(fx.finance.id),
            "区财政局:x",
        )
        .unwrap()
        .unwrap_err();
    assert_eq!(errs[0].error.code, Code::SubjectNotFound);
}

fn lists_filter_and_page(store: &Store) {
    let fx = fixture(store);
    for i in 0..7 {
        let draft = i % 2 == 0;
        store
            .create_record(
                api_opts(&fx),
                new_record(store, &fx, &format!("P-{i}")),
                draft,
            )
            .unwrap();
    }
    let all = store
        .list_records(&RecordFilter::default(), RecordOrder::Newest, None, 500)
        .unwrap();
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let page1 = store
        .list_records(&RecordFilter::default(), RecordOrder::Newest, None, 3)
        .unwrap();
    let at = |id| Some(Cursor::past(RecordOrder::Newest, id, ""));
    let page2 = store
        .list_records(
            &RecordFilter::default(),
            RecordOrder::Newest,
            at(page1[2].id).as_ref(),
            3,
        )
        .unwrap();
    let page3 = store
        .list_records(
            &RecordFilter::default(),
            RecordOrder::Newest,
            at(page2[2].id).as_ref(),
            3,
        )
        .unwrap();
    let ids: Vec<i64> = page1
        .iter()
        .chain(&page2)
        .chain(&page3)
        .map(|r| r.id)
        .collect();
    assert_eq!(
        ids,
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        "cursor pages add up to the list"
    );
    let drafts = RecordFilter {
        state: Some(RecordState::Draft),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_records(&drafts, RecordOrder::Newest, None, 500)
            .unwrap()
            .len(),
        4
    );
    let by_doc = RecordFilter {
        document_no: Some("P-3".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_records(&by_doc, RecordOrder::Newest, None, 500)
            .unwrap()
            .len(),
        1
    );
    let court_only = RecordFilter {
        provider_id: Some(fx.court.id),
        ..Default::default()
    };
    assert!(
        store
            .list_records(&court_only, RecordOrder::Newest, None, 500)
            .unwrap()
            .is_empty()
    );
    let nobody = RecordFilter {
        subject_ids: Some(vec![]),
        ..Default::default()
    };
    assert!(
        store
            .list_records(&nobody, RecordOrder::Newest, None, 500)
            .unwrap()
            .is_empty()
    );
    let town = RecordFilter {
        subject_ids: Some(vec![fx.township.id, fx.gov.id]),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_records(&town, RecordOrder::Newest, None, 500)
            .unwrap()
            .len(),
        7
    );
}

/// Every order reads the whole list exactly once through its cursors, in the order it promises,
/// and the capped count agrees with it.
fn lists_read_in_every_order_with_cursors(store: &Store) {
    let fx = fixture(store);
    // Nine records over four decision dates, so that days tie and the id breaks the tie.
    let days = [
        "2024-03-01",
        "2023-12-31",
        "2024-03-01",
        "2022-01-15",
        "2024-03-01",
        "2023-12-31",
        "2022-01-15",
        "2024-06-30",
        "2023-12-31",
    ];
    for (i, day) in days.iter().enumerate() {
        let mut r = new_record(store, &fx, &format!("O-{i}"));
        r.decided_on = probity_domain::date::parse_date(day).unwrap();
        store.create_record(api_opts(&fx), r, false).unwrap();
    }
    let f = RecordFilter {
        provider_id: Some(fx.finance.id),
        ..Default::default()
    };
    let everything = store
        .list_records(&f, RecordOrder::Newest, None, 500)
        .unwrap();
    assert_eq!(everything.len(), 9);
    for order in RecordOrder::ALL {
        let mut expected: Vec<(chrono::NaiveDate, i64)> =
            everything.iter().map(|r| (r.decided_on, r.id)).collect();
        match order {
            RecordOrder::Newest => expected.sort_by_key(|e| std::cmp::Reverse(e.1)),
            RecordOrder::Oldest => expected.sort_by_key(|e| e.1),
            RecordOrder::Decided => expected.sort_by_key(|e| std::cmp::Reverse(*e)),
        }
        for size in [1, 2, 4, 9, 10] {
            let mut read = Vec::new();
            let mut at: Option<Cursor> = None;
            loop {
                let page = store.list_summaries(&f, order, at.as_ref(), size).unwrap();
                read.extend(page.iter().map(|r| (r.decided_on, r.id)));
                let Some(last) = page.last() else { break };
                // The cursor goes out as text in a link and comes back.
                let text = Cursor::past(order, last.id, &last.decided_on.to_string()).encode();
                at = Some(Cursor::parse(order, &text).expect("a cursor reads back"));
                assert!(read.len() <= 9, "{order:?} pages must end");
            }
            assert_eq!(read, expected, "{order:?} in pages of {size}");
        }
    }
    assert_eq!(store.count_records(&f, 100).unwrap(), 9);
    assert_eq!(store.count_records(&f, 5).unwrap(), 5, "stops at the cap");
    let nobody = RecordFilter {
        subject_ids: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(store.count_records(&nobody, 100).unwrap(), 0);
    // Cursors from another order, or hand-edited, are refused rather than misread.
    for (order, text) in [
        (RecordOrder::Newest, "2024-03-01_5"),
        (RecordOrder::Newest, "0"),
        (RecordOrder::Newest, "-3"),
        (RecordOrder::Oldest, "abc"),
        (RecordOrder::Decided, "17"),
        (RecordOrder::Decided, "2024-13-01_5"),
        (RecordOrder::Decided, "2024-03-01_"),
        (RecordOrder::Decided, "2024-03-01_x' OR 1=1"),
    ] {
        assert_eq!(Cursor::parse(order, text), None, "{order:?} {text}");
    }
    assert_clean(store);
}
