//! The store suite's fixture: a small roster of Binhai New Area and helpers to build, import and
//! check records. Each test body runs against SQLite and PostgreSQL on a fresh database of
//! `probity_testkit` (`store_tests!`, `db_tests!`).

use chrono::NaiveDate;
use probity_domain::Code;
use probity_domain::ident::{IdNumber, Uscc};
use probity_domain::record::{NewRecord, RecordRow};
use probity_domain::subject::{NewSubject, RosterRow};
use probity_store::{
    Channel, ImportOptions, Outcome, Problem, RosterReport, Store, StoreError, StoredRecord,
    Subject, VerifyReport,
};
pub use probity_testkit::db::{TestDb, keys};
pub use probity_testkit::{db_tests, store_tests};

// ---------------------------------------------------------------------------------------------
// Fixture

pub const GOV: &str = "天津市滨海新区人民政府";
pub const COURT: &str = "天津市滨海新区人民法院";
pub const FINANCE: &str = "天津市滨海新区财政局";
pub const TOWNSHIP: &str = "天津市滨海新区新河街道办事处";
pub const PERSON: &str = "张三";

/// "Today" for record validation: every fixture decision lies before it.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

/// A valid USCC of Binhai New Area with the given 8 organisation-code body chars.
pub fn uscc(body8: &str) -> Uscc {
    Uscc::from_parts('1', '1', "120116", body8).unwrap()
}

/// The same code with a wrong final check char (as pre-2016 codes sometimes have).
pub fn bad_check(u: &Uscc) -> String {
    let s = u.as_str();
    let last = s.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    let out = format!("{}{wrong}", &s[..17]);
    assert!(
        Uscc::parse(&out).is_err(),
        "{out} should fail its check digit"
    );
    out
}

pub fn gov_uscc() -> Uscc {
    uscc("MB000001")
}
pub fn court_uscc() -> Uscc {
    uscc("MB000002")
}
pub fn finance_uscc() -> Uscc {
    uscc("MB000003")
}
pub fn township_uscc() -> Uscc {
    uscc("MB000004")
}
pub fn person_id() -> IdNumber {
    IdNumber::from_parts("120116", NaiveDate::from_ymd_opt(1980, 5, 17).unwrap(), 123).unwrap()
}

pub fn unit_row(name: &str, short: &str, kind: &str, uscc: &str, parent: &str) -> RosterRow {
    RosterRow {
        name: name.into(),
        short_name: short.into(),
        kind: kind.into(),
        uscc: uscc.into(),
        parent: parent.into(),
        ..Default::default()
    }
}

pub fn person_row(name: &str, id: &IdNumber, unit: &str, position: &str) -> RosterRow {
    RosterRow {
        name: name.into(),
        kind: "公务员".into(),
        id_number: id.as_str().into(),
        unit: unit.into(),
        position: position.into(),
        ..Default::default()
    }
}

/// The fixture's roster, children before their parent (the store must not care).
pub fn fixture_rows() -> Vec<RosterRow> {
    vec![
        unit_row(COURT, "区法院", "部门", court_uscc().as_str(), GOV),
        unit_row(
            FINANCE,
            "区财政局",
            "部门",
            finance_uscc().as_str(),
            "区政府",
        ),
        unit_row(
            TOWNSHIP,
            "新河街道",
            "街镇",
            township_uscc().as_str(),
            gov_uscc().as_str(),
        ),
        unit_row(GOV, "区政府", "区政府", gov_uscc().as_str(), ""),
        person_row(PERSON, &person_id(), "区财政局", "科长"),
    ]
}

/// Validates roster rows (strictly) and numbers them like lines of a file under its header.
pub fn roster(rows: &[RosterRow]) -> Vec<(usize, NewSubject)> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| (i + 2, r.validate(false).expect("valid roster row")))
        .collect()
}

pub fn import_roster(store: &Store, rows: &[RosterRow]) -> RosterReport {
    store
        .import_roster(roster(rows), "信用办:admin")
        .expect("roster import")
}

/// The fixture's subjects as stored.
#[derive(Debug, Clone)]
pub struct Fx {
    pub gov: Subject,
    pub court: Subject,
    pub finance: Subject,
    pub township: Subject,
    pub person: Subject,
}

pub fn fixture(store: &Store) -> Fx {
    let report = import_roster(store, &fixture_rows());
    assert_eq!(report.created, 5, "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
    Fx {
        gov: store.find_unit(GOV).unwrap(),
        court: store.find_unit("区法院").unwrap(),
        finance: store.find_unit("区财政局").unwrap(),
        township: store.find_unit("新河街道").unwrap(),
        person: store
            .find_civil_servant(&person_id())
            .unwrap()
            .expect("civil servant"),
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// A record row about a unit, as a provider's file would have it.
pub fn unit_record(subject: &Subject, category: &str, doc: &str) -> RecordRow {
    RecordRow {
        subject_name: subject.name.clone(),
        uscc: subject.uscc.clone().expect("a unit has a USCC"),
        category: category.into(),
        document_no: doc.into(),
        decided_on: "2025-03-05".into(),
        authority: "天津市滨海新区财政局".into(),
        facts: format!("未按约定履行义务（{doc}）"),
        outcome: "责令限期改正".into(),
        ..Default::default()
    }
}

/// A record row about the fixture's civil servant.
pub fn person_record(category: &str, doc: &str) -> RecordRow {
    RecordRow {
        subject_name: PERSON.into(),
        id_number: person_id().as_str().into(),
        category: category.into(),
        document_no: doc.into(),
        decided_on: "2025-02-10".into(),
        authority: "天津市滨海新区财政局".into(),
        facts: format!("违反财经纪律（{doc}）"),
        outcome: "警告".into(),
        ..Default::default()
    }
}

/// Validates record rows against the store's catalog, numbered from 2 like lines of a file.
pub fn batch(store: &Store, rows: &[RecordRow]) -> Vec<(usize, NewRecord)> {
    let catalog = store.catalog().unwrap();
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            (
                i + 2,
                r.validate(&catalog, today())
                    .unwrap_or_else(|e| panic!("invalid row {r:?}: {e:?}")),
            )
        })
        .collect()
}

pub fn opts(provider: &Subject, activate: bool) -> ImportOptions {
    ImportOptions {
        provider: provider.clone(),
        actor: "tester".into(),
        channel: Channel::File,
        source: "records.xlsx".into(),
        activate,
        all_or_nothing: false,
    }
}

/// One import of one batch, committed. Returns the outcomes in row order.
pub fn import(
    store: &Store,
    provider: &Subject,
    activate: bool,
    rows: &[RecordRow],
) -> Vec<Outcome> {
    let b = batch(store, rows);
    let mut imp = store.start_import(opts(provider, activate)).unwrap();
    let out = imp.push(b).unwrap();
    imp.finish(true).unwrap();
    out.into_iter().map(|(_, o)| o).collect()
}

pub fn accepted(o: &Outcome) -> i64 {
    match o {
        Outcome::Accepted { id } => *id,
        other => panic!("expected Accepted, got {other:?}"),
    }
}

pub fn duplicate(o: &Outcome) -> i64 {
    match o {
        Outcome::Duplicate { id } => *id,
        other => panic!("expected Duplicate, got {other:?}"),
    }
}

/// The (column, code) of a rejected row's first fault.
pub fn rejected(o: &Outcome) -> (&'static str, Code) {
    match o {
        Outcome::Rejected(errs) => {
            assert!(!errs.is_empty());
            (errs[0].column, errs[0].error.code)
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

/// The domain code of a store error (panics on any other kind of error).
pub fn domain_code(e: &StoreError) -> Code {
    match e {
        StoreError::Domain(d) => d.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

pub fn all_records(store: &Store) -> Vec<StoredRecord> {
    let mut out = Vec::new();
    store
        .export_since(0, |r| {
            out.push(r.record);
            Ok(())
        })
        .unwrap();
    out
}

/// `verify()` found nothing wrong, and its counts agree with the store.
pub fn assert_clean(store: &Store) -> VerifyReport {
    let report = store.verify().unwrap();
    assert_eq!(report.problem, None, "{report:?}");
    assert_eq!(
        report.entries as i64,
        store.head_seq().unwrap(),
        "{report:?}"
    );
    let rows = store.subjects().unwrap().len() as i64
        + store.record_count().unwrap()
        + store.catalog().unwrap().categories().len() as i64
        + store.accounts().unwrap().len() as i64
        + store.tokens(None).unwrap().len() as i64
        + store.report_count().unwrap()
        + store.calendar_years().unwrap().len() as i64
        + store
            .count_cases(&probity_store::CaseFilter::default())
            .unwrap()
        + {
            let (promises, entries) = store.commitment_counts().unwrap();
            promises + entries
        };
    assert_eq!(report.rows as i64, rows, "{report:?}");
    let head = report.head.as_deref().expect("a head hash");
    assert_eq!(head.len(), 64, "{head}");
    assert!(head.chars().all(|c| c.is_ascii_hexdigit()), "{head}");
    report
}

/// `verify()` found a problem: returns it.
pub fn problem(store: &Store) -> Problem {
    let report = store.verify().unwrap();
    assert_eq!(
        report.head, None,
        "no head hash is vouched for when something is wrong: {report:?}"
    );
    match report.problem {
        Some(p) => p,
        None => panic!("verify found nothing: {report:?}"),
    }
}

pub fn assert_entry_problem(p: &Problem, expected_seq: i64) {
    match p {
        Problem::Entry { seq, reason } => {
            assert_eq!(*seq, expected_seq, "{p:?}");
            assert!(!reason.is_empty());
        }
        other => panic!("expected a journal entry problem at seq {expected_seq}, got {other:?}"),
    }
}

pub fn assert_row_problem(p: &Problem, expected_entity: &str, expected_id: &str) {
    match p {
        Problem::Row { entity, id, reason } => {
            assert_eq!(
                (entity.as_str(), id.as_str()),
                (expected_entity, expected_id),
                "{p:?}"
            );
            assert!(!reason.is_empty());
        }
        other => panic!("expected a problem with {expected_entity} {expected_id}, got {other:?}"),
    }
}
