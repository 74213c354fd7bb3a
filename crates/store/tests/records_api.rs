//! The record operations the API and the pages use — one record created as a draft or
//! submitted, corrected, listed with filters and a cursor, and its history — on SQLite and on
//! PostgreSQL (when `PROBITY_TEST_PG` is set).

#[macro_use]
#[allow(unused_macros)]
mod common;

use common::*;
use probity_domain::Code;
use probity_domain::record::{Action, RecordState, Role};
use probity_store::{Channel, Created, RecordFilter, Store};

store_tests! {
    drafts_are_created_corrected_and_submitted => drafts_sqlite, drafts_postgres;
    identical_content_answers_with_the_existing_record => identical_sqlite, identical_postgres;
    corrections_follow_the_lifecycle_and_the_owner => corrections_sqlite, corrections_postgres;
    lists_filter_and_page => lists_sqlite, lists_postgres;
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
        .history("record", &draft.id.to_string())
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
        .list_records(&RecordFilter::default(), None, 500)
        .unwrap();
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let page1 = store
        .list_records(&RecordFilter::default(), None, 3)
        .unwrap();
    let page2 = store
        .list_records(&RecordFilter::default(), Some(page1[2].id), 3)
        .unwrap();
    let page3 = store
        .list_records(&RecordFilter::default(), Some(page2[2].id), 3)
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
    assert_eq!(store.list_records(&drafts, None, 500).unwrap().len(), 4);
    let by_doc = RecordFilter {
        document_no: Some("P-3".into()),
        ..Default::default()
    };
    assert_eq!(store.list_records(&by_doc, None, 500).unwrap().len(), 1);
    let court_only = RecordFilter {
        provider_id: Some(fx.court.id),
        ..Default::default()
    };
    assert!(
        store
            .list_records(&court_only, None, 500)
            .unwrap()
            .is_empty()
    );
    let nobody = RecordFilter {
        subject_ids: Some(vec![]),
        ..Default::default()
    };
    assert!(store.list_records(&nobody, None, 500).unwrap().is_empty());
    let town = RecordFilter {
        subject_ids: Some(vec![fx.township.id, fx.gov.id]),
        ..Default::default()
    };
    assert_eq!(store.list_records(&town, None, 500).unwrap().len(), 7);
}
