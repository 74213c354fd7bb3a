//! An import that spans several batches gives the same records, the same outcomes and a journal
//! that verifies, however the file is cut into batches and whichever way the batches reach the
//! store (`push`, or a `Preparer` on its own connection and `push_prepared`, as the file import
//! does), on SQLite and on PostgreSQL (when `PROBITY_TEST_PG` is set).
//!
//! The file: rows for four subjects (three units by USCC, a civil servant by ID number), an
//! identical row repeated in its batch and in later ones, a document sent again with other
//! content, and rows the store refuses (unknown subject, category not allowed, name mismatch,
//! unknown ID number, sent twice).

use crate::common::*;
use chrono::NaiveDate;
use probity_domain::Code;
use probity_domain::ident::IdNumber;
use probity_domain::record::{RecordRow, RecordState};
use probity_store::{ImportOptions, Outcome, Store};

db_tests! {
    one_batch => one_batch_sqlite, one_batch_postgres;
    batches_of_four_prepared => batches_of_four_prepared_sqlite, batches_of_four_prepared_postgres;
    batches_of_three_pushed => batches_of_three_pushed_sqlite, batches_of_three_pushed_postgres;
    row_by_row => row_by_row_sqlite, row_by_row_postgres;
    all_or_nothing_in_batches_of_five => all_or_nothing_in_batches_of_five_sqlite, all_or_nothing_in_batches_of_five_postgres;
}

store_tests! {
    prepared_before_another_writer => prepared_before_another_writer_sqlite, prepared_before_another_writer_postgres;
    prepared_before_a_correction => prepared_before_a_correction_sqlite, prepared_before_a_correction_postgres;
    prepared_before_own_earlier_batch => prepared_before_own_earlier_batch_sqlite, prepared_before_own_earlier_batch_postgres;
    prepared_before_own_earlier_batch_all_or_nothing => prepared_before_own_earlier_batch_all_or_nothing_sqlite, prepared_before_own_earlier_batch_all_or_nothing_postgres;
}

fn one_batch(db: &mut TestDb) {
    check(db, usize::MAX, Via::Push, false);
}

fn batches_of_four_prepared(db: &mut TestDb) {
    check(db, 4, Via::Preparer, false);
}

fn batches_of_three_pushed(db: &mut TestDb) {
    check(db, 3, Via::Push, false);
}

fn row_by_row(db: &mut TestDb) {
    check(db, 1, Via::Preparer, false);
}

fn all_or_nothing_in_batches_of_five(db: &mut TestDb) {
    check(db, 5, Via::Preparer, true);
}

/// How the batches reach the store.
#[derive(Clone, Copy)]
enum Via {
    Push,
    Preparer,
}

/// What the store should answer for one row of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A new record, with this id (ids follow the file's order on an empty database).
    New(i64),
    Dup(i64),
    Refused(&'static str, Code),
}

/// An ID number that is not on the roster.
fn stranger_id() -> IdNumber {
    IdNumber::from_parts("120116", NaiveDate::from_ymd_opt(1975, 1, 2).unwrap(), 456).unwrap()
}

/// The file, numbered from row 2 like lines under a header, with what each row should give.
fn file(fx: &Fx) -> Vec<(RecordRow, Expect)> {
    use Expect::*;
    let a1 = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    let p1 = person_record("ADMIN_PENALTY", "津滨财罚〔2025〕1号");
    let g1 = unit_record(&fx.gov, "PAYMENT_ARREARS", "津滨财欠〔2025〕1号");
    let mut g1_changed = g1.clone();
    g1_changed.facts = "拖欠工程款共计 80 万元".into();
    let mut unknown_unit = unit_record(&fx.township, "ADMIN_PENALTY", "津滨财罚〔2025〕9号");
    unknown_unit.uscc = uscc("MB000099").as_str().into();
    let mut misnamed = unit_record(&fx.court, "PROCUREMENT_BREACH", "津滨财采〔2025〕7号");
    misnamed.subject_name = "天津市滨海新区某某局".into();
    let mut unknown_person = person_record("ADMIN_PENALTY", "津滨财罚〔2025〕8号");
    unknown_person.id_number = stranger_id().as_str().into();
    let not_allowed = unit_record(&fx.township, "JUDGMENT_DEFAULTER", "（2025）津0116执1号");

    // Rows 2 to 13; in batches of four, the second batch has nothing to write.
    let mut rows = vec![
        (a1.clone(), New(1)),
        (p1.clone(), New(2)),
        (g1.clone(), New(3)),
        (a1.clone(), Dup(1)),
        (unknown_unit, Refused("uscc", Code::SubjectNotFound)),
        (not_allowed, Refused("category", Code::ProviderNotAllowed)),
        (misnamed, Refused("subject_name", Code::SubjectNameMismatch)),
        (
            unknown_person.clone(),
            Refused("id_number", Code::SubjectNotFound),
        ),
        (a1.clone(), Dup(1)),
        (g1_changed, Refused("document_no", Code::DuplicateConflict)),
        (p1.clone(), Dup(2)),
        // The same failed lookup again: journaled once.
        (unknown_person, Refused("id_number", Code::SubjectNotFound)),
    ];
    // Rows 14 to 34: new records for the four subjects in turn, one of them sent twice in a row.
    for i in 0..20 {
        let id = 4 + i;
        let doc = format!("津滨财欠〔2025〕{}号", 100 + i);
        let row = match i % 4 {
            0 => unit_record(&fx.township, "PAYMENT_ARREARS", &doc),
            1 => unit_record(&fx.gov, "PROCUREMENT_BREACH", &doc),
            2 => person_record("ADMIN_PENALTY", &doc),
            _ => unit_record(&fx.court, "PAYMENT_ARREARS", &doc),
        };
        rows.push((row.clone(), New(id)));
        if i == 9 {
            rows.push((row, Dup(id)));
        }
    }
    // Row 35: the first record once more.
    rows.push((a1, Dup(1)));
    rows
}

fn options(fx: &Fx, all_or_nothing: bool) -> ImportOptions {
    ImportOptions {
        all_or_nothing,
        ..opts(&fx.finance, false)
    }
}

/// Imports the file in batches of `size` and checks everything the import leaves behind.
fn check(db: &mut TestDb, size: usize, via: Via, all_or_nothing: bool) {
    let store = db.open();
    let fx = fixture(&store);
    let rows = file(&fx);
    let before = db.journal_rows().len();
    let records: Vec<RecordRow> = rows.iter().map(|(r, _)| r.clone()).collect();
    let validated = batch(&store, &records);

    let mut import = store
        .start_import(options(&fx, all_or_nothing))
        .expect("start");
    let mut preparer = match via {
        Via::Preparer => Some(import.preparer().expect("preparer")),
        Via::Push => None,
    };
    let mut outcomes: Vec<(usize, Outcome)> = Vec::new();
    for chunk in validated.chunks(size.min(validated.len())) {
        let out = match &mut preparer {
            Some(p) => import
                .push_prepared(p.prepare(chunk.to_vec()).expect("prepare"))
                .expect("push_prepared"),
            None => import.push(chunk.to_vec()).expect("push"),
        };
        let rows_in: Vec<usize> = chunk.iter().map(|(r, _)| *r).collect();
        let rows_out: Vec<usize> = out.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows_out, rows_in, "one outcome per row, in row order");
        outcomes.extend(out);
    }
    import.finish(true).expect("finish");

    // The outcomes (the store's part of the import report).
    let got: Vec<(usize, Expect)> = outcomes
        .iter()
        .map(|(row, o)| {
            let e = match o {
                Outcome::Accepted { id } => Expect::New(*id),
                Outcome::Duplicate { id } => Expect::Dup(*id),
                Outcome::Rejected(_) => {
                    let (column, code) = rejected(o);
                    Expect::Refused(column, code)
                }
            };
            (*row, e)
        })
        .collect();
    let want: Vec<(usize, Expect)> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, e))| (i + 2, *e))
        .collect();
    assert_eq!(got, want);

    // The records: one per new row, as its first occurrence said, seen as often as it was sent.
    let stored = all_records(&store);
    let new_rows: Vec<(usize, &RecordRow, i64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, (r, e))| match e {
            Expect::New(id) => Some((i + 2, r, *id)),
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), new_rows.len());
    assert_eq!(store.record_count().unwrap(), new_rows.len() as i64);
    for (row, r, id) in &new_rows {
        let rec = store.record(*id).unwrap();
        let subject = if r.id_number.is_empty() {
            store.find_unit(&r.uscc).unwrap().id
        } else {
            fx.person.id
        };
        assert_eq!(
            (
                rec.subject_id,
                rec.provider_id,
                rec.category.as_str(),
                rec.document_no.as_str(),
                rec.subject_name.as_str(),
                rec.facts.as_str(),
                rec.state,
                rec.channel.as_str(),
                rec.source.as_str(),
                rec.source_row,
                rec.submitted_by.as_str(),
            ),
            (
                subject,
                fx.finance.id,
                r.category.as_str(),
                r.document_no.as_str(),
                r.subject_name.as_str(),
                r.facts.as_str(),
                RecordState::Submitted,
                "file",
                "records.xlsx",
                Some(*row as i64),
                "tester",
            ),
            "record {id}"
        );
        let sent = want
            .iter()
            .filter(|(_, e)| matches!(e, Expect::New(i) | Expect::Dup(i) if i == id))
            .count() as i64;
        assert_eq!(rec.seen_count, sent, "record {id}: seen_count");
        assert!(rec.last_seen >= rec.first_seen, "record {id}");
    }

    // The journal: per batch, the failed ID lookup first (once per number), then one entry per
    // new record in row order; nothing for a duplicate or a refusal.
    let journal = db.journal_rows();
    let mut expected: Vec<(String, String, String, String, Option<String>)> = Vec::new();
    let mut lookup_journaled = false;
    for chunk in want.chunks(size.min(want.len())) {
        for (_, e) in chunk {
            if *e == Expect::Refused("id_number", Code::SubjectNotFound) && !lookup_journaled {
                lookup_journaled = true;
                expected.push((
                    "tester".into(),
                    "lookup_failed".into(),
                    "id_lookup".into(),
                    "tester".into(),
                    None,
                ));
            }
        }
        for (row, e) in chunk {
            if let Expect::New(id) = e {
                expected.push((
                    "区财政局:tester".into(),
                    "submit".into(),
                    "record".into(),
                    id.to_string(),
                    Some(format!(r#"{{"row":{row}}}"#)),
                ));
            }
        }
    }
    let got: Vec<(String, String, String, String, Option<String>)> = journal[before..]
        .iter()
        .map(|(actor, action, entity, entity_id, detail)| {
            let detail = (entity == "record").then(|| detail.clone());
            (
                actor.clone(),
                action.clone(),
                entity.clone(),
                entity_id.clone(),
                detail,
            )
        })
        .collect();
    assert_eq!(got, expected);
    // Each record's change-feed position is its journal entry (sequence numbers start at 1).
    for (_, _, id) in &new_rows {
        let at = journal
            .iter()
            .position(|(_, _, entity, entity_id, _)| {
                entity == "record" && *entity_id == id.to_string()
            })
            .expect("journal entry of the record");
        assert_eq!(
            store.record(*id).unwrap().last_seq,
            at as i64 + 1,
            "record {id}"
        );
    }
    assert_clean(&store);
    again_changes_nothing(&store, &fx, &validated);
}

/// The whole file once more, in one batch: nothing new, every record seen once more.
fn again_changes_nothing(
    store: &Store,
    fx: &Fx,
    validated: &[(usize, probity_domain::record::NewRecord)],
) {
    let head = store.head_seq().unwrap();
    let before = all_records(store);
    let mut import = store.start_import(options(fx, false)).unwrap();
    let out = import.push(validated.to_vec()).unwrap();
    import.finish(true).unwrap();
    assert!(
        out.iter()
            .all(|(_, o)| !matches!(o, Outcome::Accepted { .. }))
    );
    assert_eq!(
        store.head_seq().unwrap(),
        head,
        "a duplicate is not a change"
    );
    let after = all_records(store);
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        let sent = out
            .iter()
            .filter(|(_, o)| *o == Outcome::Duplicate { id: a.id })
            .count() as i64;
        assert_eq!(a.seen_count, b.seen_count + sent, "record {}", a.id);
        assert_eq!((a.last_seq, a.first_seen), (b.last_seq, b.first_seen));
    }
    assert_clean(store);
}

// A batch is prepared (subjects resolved, and its document numbers looked up) before it is
// written: whatever is written in between, by anyone, must count as if it had been there.

/// Another import writes two of the batch's documents between its preparation and its writing:
/// the same content is a duplicate of that record, other content a conflict.
fn prepared_before_another_writer(store: &Store) {
    let fx = fixture(store);
    let same = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    let other = unit_record(&fx.gov, "PAYMENT_ARREARS", "津滨财欠〔2025〕1号");
    let mut other_changed = other.clone();
    other_changed.facts = "拖欠工程款共计 80 万元".into();
    let fresh = person_record("ADMIN_PENALTY", "津滨财罚〔2025〕1号");
    let rows = batch(store, &[same.clone(), other_changed, fresh]);

    let mut import = store.start_import(options(&fx, false)).unwrap();
    let mut preparer = import.preparer().unwrap();
    let prepared = preparer.prepare(rows).unwrap();
    let first = import_rows(store, &fx, &[same, other]);
    let out = import.push_prepared(prepared).unwrap();
    import.finish(true).unwrap();

    assert_eq!(duplicate(&out[0].1), accepted(&first[0]));
    assert_eq!(
        rejected(&out[1].1),
        ("document_no", Code::DuplicateConflict)
    );
    let id = accepted(&out[2].1);
    assert_eq!(store.record_count().unwrap(), 3);
    assert_eq!(store.record(accepted(&first[0])).unwrap().seen_count, 2);
    assert_eq!(store.record(id).unwrap().seen_count, 1);
    assert_clean(store);
}

/// A correction gives an existing record the document number and content of a row prepared
/// before it: the row is a duplicate of the corrected record.
fn prepared_before_a_correction(store: &Store) {
    let fx = fixture(store);
    let original = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    let id = accepted(&import_rows(store, &fx, &[original])[0]);
    let wanted = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕2号");
    let rows = batch(store, std::slice::from_ref(&wanted));

    let mut import = store.start_import(options(&fx, false)).unwrap();
    let mut preparer = import.preparer().unwrap();
    let prepared = preparer.prepare(rows.clone()).unwrap();
    store
        .correct_record(
            id,
            rows[0].1.clone(),
            probity_domain::record::Role::Provider,
            Some(fx.finance.id),
            "区财政局:tester",
        )
        .unwrap()
        .unwrap();
    let out = import.push_prepared(prepared).unwrap();
    import.finish(true).unwrap();

    assert_eq!(duplicate(&out[0].1), id);
    assert_eq!(store.record_count().unwrap(), 1);
    assert_eq!(store.record(id).unwrap().document_no, wanted.document_no);
    assert_clean(store);
}

fn prepared_before_own_earlier_batch(store: &Store) {
    own_earlier_batch(store, false);
}

fn prepared_before_own_earlier_batch_all_or_nothing(store: &Store) {
    own_earlier_batch(store, true);
}

/// Two batches of one import prepared before either is written (as the file import's reading
/// thread runs ahead of its writer), both with the same row: the second finds the first's record.
fn own_earlier_batch(store: &Store, all_or_nothing: bool) {
    let fx = fixture(store);
    let a = unit_record(&fx.township, "PROCUREMENT_BREACH", "津滨财采〔2025〕1号");
    let mut a_changed = a.clone();
    a_changed.facts = "拖欠采购款共计 120 万元".into();
    let b = unit_record(&fx.gov, "PAYMENT_ARREARS", "津滨财欠〔2025〕1号");
    let c = person_record("ADMIN_PENALTY", "津滨财罚〔2025〕1号");

    let mut import = store.start_import(options(&fx, all_or_nothing)).unwrap();
    let mut preparer = import.preparer().unwrap();
    let first = preparer
        .prepare(batch(store, &[a.clone(), b.clone()]))
        .unwrap();
    let second = preparer
        .prepare(batch(store, &[c.clone(), a.clone(), a_changed]))
        .unwrap();
    let third = preparer.prepare(batch(store, &[b, c, a])).unwrap();
    let first = import.push_prepared(first).unwrap();
    let second = import.push_prepared(second).unwrap();
    let third = import.push_prepared(third).unwrap();
    import.finish(true).unwrap();

    let (a_id, b_id) = (accepted(&first[0].1), accepted(&first[1].1));
    let c_id = accepted(&second[0].1);
    assert_eq!(duplicate(&second[1].1), a_id);
    assert_eq!(
        rejected(&second[2].1),
        ("document_no", Code::DuplicateConflict)
    );
    assert_eq!(
        third.iter().map(|(_, o)| duplicate(o)).collect::<Vec<_>>(),
        vec![b_id, c_id, a_id]
    );
    assert_eq!(store.record_count().unwrap(), 3);
    assert_eq!(store.record(a_id).unwrap().seen_count, 3);
    assert_clean(store);
}

/// One import of `rows` in one batch, committed.
fn import_rows(store: &Store, fx: &Fx, rows: &[RecordRow]) -> Vec<Outcome> {
    let mut import = store.start_import(options(fx, false)).unwrap();
    let out = import.push(batch(store, rows)).unwrap();
    import.finish(true).unwrap();
    out.into_iter().map(|(_, o)| o).collect()
}
