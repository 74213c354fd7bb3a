//! Cases as stored: opening and stepping write the row, the history line and the journal entry
//! together; attachments are kept with their SM3 digest and a changed byte is found; one open
//! objection per record is held by the database itself; the deadline clock's marks journal once;
//! notifications are read per account; and `audit verify` finds a case edited behind the
//! platform's back.

use chrono::NaiveDate;
use probity_domain::case::{CaseKind, CaseState, Outcome};
use probity_store::{Applicant, CaseChange, CaseFilter, NewAttachment, NewCase, NewStep, Store};

use crate::common::*;

store_tests! {
    a_case_is_stored_with_its_history_attachments_and_journal => a_case_is_stored_with_its_history_attachments_and_journal_sqlite, a_case_is_stored_with_its_history_attachments_and_journal_postgres;
    the_database_holds_one_open_objection_per_record => the_database_holds_one_open_objection_per_record_sqlite, the_database_holds_one_open_objection_per_record_postgres;
    deadline_marks_and_notifications => deadline_marks_and_notifications_sqlite, deadline_marks_and_notifications_postgres;
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn objection(record: i64, unit: i64, provider: i64) -> NewCase {
    NewCase {
        kind: CaseKind::Objection,
        state: CaseState::Open,
        record_id: Some(record),
        subject_id: Some(unit),
        applicant: Applicant::Unit(unit),
        assignee_unit: Some(provider),
        deadline: Some(day("2025-07-14")),
        title: "新河街道：政府采购毁约违约（CASE-1）".into(),
        text: "处罚决定已被复议机关撤销".into(),
        tracking_no: None,
        code_hash: None,
        channel: None,
        contact: None,
        detail: serde_json::json!({}),
    }
}

fn setup(store: &Store) -> (Fx, i64) {
    let fx = fixture(store);
    let id = accepted(
        &import(
            store,
            &fx.finance,
            true,
            &[unit_record(&fx.township, "PROCUREMENT_BREACH", "CASE-1")],
        )[0],
    );
    (fx, id)
}

fn a_case_is_stored_with_its_history_attachments_and_journal(store: &Store) {
    let (fx, record) = setup(store);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF".to_vec();
    let head = store.head_seq().unwrap();
    let c = store
        .write(|tx| {
            tx.cases().open(
                &objection(record, fx.township.id, fx.finance.id),
                "unit:xinhe",
                "applicant",
                vec![NewAttachment {
                    file_name: "复议决定书.pdf".into(),
                    kind: "pdf".into(),
                    bytes: pdf.clone(),
                }],
            )
        })
        .unwrap();
    assert_eq!(store.head_seq().unwrap(), head + 1, "one journal entry");
    assert_eq!(c.state, CaseState::Open);
    assert_eq!(c.due, "on_time");
    let files = store.case_attachments(c.id).unwrap();
    assert_eq!(files.len(), 1);
    let (meta, bytes) = store.attachment(files[0].id).unwrap();
    assert_eq!(
        (meta.file_name.as_str(), bytes),
        ("复议决定书.pdf", pdf.clone())
    );

    let closed = store
        .write(|tx| {
            tx.cases().step(
                c.id,
                NewStep {
                    actor: "provider:caizheng",
                    party: "assignee",
                    action: "dismiss",
                    text: Some("复议维持原决定"),
                    change: CaseChange {
                        state: Some(CaseState::Closed),
                        outcome: Some(Outcome::Dismissed),
                        deadline: Some(None),
                        ..Default::default()
                    },
                    attachments: Vec::new(),
                },
            )
        })
        .unwrap();
    assert_eq!(closed.outcome, Some(Outcome::Dismissed));
    assert_eq!((closed.due.as_str(), closed.deadline), ("none", None));
    assert!(closed.closed_at.is_some());
    let events = store.case_events(c.id).unwrap();
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["open", "dismiss"]
    );
    assert_eq!(events[1].from_state.as_deref(), Some("open"));
    assert_clean(store);

    // A byte of the attachment changed: reading it says so.
    store
        .raw_exec(&format!(
            "UPDATE case_attachments SET content = {} WHERE id = {}",
            if store.dialect() == probity_store::Dialect::Postgres {
                "'\\x25504446'::bytea"
            } else {
                "X'25504446'"
            },
            files[0].id
        ))
        .unwrap();
    assert!(store.attachment(files[0].id).is_err());
    // The case's state changed behind the platform's back: the audit chain says so.
    store
        .raw_exec(&format!(
            "UPDATE cases SET state = 'open' WHERE id = {}",
            c.id
        ))
        .unwrap();
    assert_row_problem(&problem(store), "case", &c.id.to_string());
}

fn the_database_holds_one_open_objection_per_record(store: &Store) {
    let (fx, record) = setup(store);
    let new = objection(record, fx.township.id, fx.finance.id);
    store
        .write(|tx| tx.cases().open(&new, "unit:xinhe", "applicant", Vec::new()))
        .unwrap();
    let head = store.head_seq().unwrap();
    assert!(
        store
            .write(|tx| tx.cases().open(&new, "unit:xinhe", "applicant", Vec::new()))
            .is_err()
    );
    assert_eq!(store.head_seq().unwrap(), head, "nothing journaled");
    let open = CaseFilter {
        record_id: Some(record),
        open: Some(true),
        ..Default::default()
    };
    assert_eq!(store.count_cases(&open).unwrap(), 1);
    assert_clean(store);
}

fn deadline_marks_and_notifications(store: &Store) {
    let (fx, record) = setup(store);
    let c = store
        .write(|tx| {
            let c = tx.cases().open(
                &objection(record, fx.township.id, fx.finance.id),
                "unit:xinhe",
                "applicant",
                Vec::new(),
            )?;
            tx.cases()
                .notify(Some(fx.finance.id), Some(c.id), "收到异议")?;
            Ok::<_, probity_store::StoreError>(c)
        })
        .unwrap();
    let head = store.head_seq().unwrap();
    assert!(
        store
            .write(|tx| tx.cases().mark_due(c.id, "overdue", true))
            .unwrap()
    );
    assert_eq!(store.head_seq().unwrap(), head + 1);
    // The same mark again changes nothing and journals nothing.
    assert!(
        !store
            .write(|tx| tx.cases().mark_due(c.id, "overdue", true))
            .unwrap()
    );
    assert_eq!(store.head_seq().unwrap(), head + 1);
    let c = store.case(c.id).unwrap();
    assert!(c.overdue_ever && c.escalated);
    let counts = store.open_case_counts().unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!((counts[0].due.as_str(), counts[0].count), ("overdue", 1));

    // Read per account: one account reading leaves the other's unread.
    assert_eq!(
        store.unread_notifications(Some(fx.finance.id), 1).unwrap(),
        1
    );
    assert_eq!(store.unread_notifications(None, 1).unwrap(), 0);
    assert_eq!(
        store
            .mark_notifications_read(Some(fx.finance.id), 1, &[])
            .unwrap(),
        1
    );
    assert_eq!(
        store.unread_notifications(Some(fx.finance.id), 1).unwrap(),
        0
    );
    assert_eq!(
        store.unread_notifications(Some(fx.finance.id), 2).unwrap(),
        1
    );
    let list = store.notifications(Some(fx.finance.id), 1, 10).unwrap();
    assert!(list[0].read && list[0].message == "收到异议");

    // The clock's position only moves forward.
    store.set_clock_position("rectification", 10).unwrap();
    store.set_clock_position("rectification", 5).unwrap();
    assert_eq!(store.clock_position("rectification").unwrap(), 10);
    assert_clean(store);
}
