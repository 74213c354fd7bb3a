//! One unit of work (`Store::write`): what several repositories write in it, and the journal
//! entries that record it, commit together or not at all.

use probity_domain::Code;
use probity_domain::record::{Action, RecordState, Role};
use probity_store::{Store, StoreError};

use crate::common::*;

store_tests! {
    unit_of_work_commits_two_entities_together => unit_of_work_commits_two_entities_together_sqlite, unit_of_work_commits_two_entities_together_postgres;
    unit_of_work_rolls_back_both_on_a_failure_between_them => unit_of_work_rolls_back_both_on_a_failure_between_them_sqlite, unit_of_work_rolls_back_both_on_a_failure_between_them_postgres;
    unit_of_work_rolls_back_the_first_when_the_second_is_refused => unit_of_work_rolls_back_the_first_when_the_second_is_refused_sqlite, unit_of_work_rolls_back_the_first_when_the_second_is_refused_postgres;
}

const CATEGORY: &str = "PROCUREMENT_BREACH";

/// A submitted record, and the category it is in renamed (a change to a second entity).
fn setup(store: &Store) -> (i64, probity_domain::catalog::Category) {
    let fx = fixture(store);
    let id = accepted(
        &import(
            store,
            &fx.finance,
            false,
            &[unit_record(&fx.township, CATEGORY, "UOW-1")],
        )[0],
    );
    let mut cat = store.catalog().unwrap().get(CATEGORY).unwrap().clone();
    cat.name = format!("{}（修订）", cat.name);
    (id, cat)
}

fn activate(tx: &mut probity_store::Tx<'_>, id: i64) -> Result<(), StoreError> {
    tx.records()
        .transition(
            id,
            Action::Activate,
            Role::CreditOffice,
            None,
            &[],
            "信用办:admin",
            "审核通过",
        )
        .map(|_| ())
}

fn unit_of_work_commits_two_entities_together(store: &Store) {
    let (id, cat) = setup(store);
    let head = store.head_seq().unwrap();
    store
        .write(|tx| -> Result<(), StoreError> {
            activate(tx, id)?;
            tx.catalog().save(&cat, "信用办:admin")?;
            // The unit of work sees its own writes.
            assert_eq!(tx.records().get(id)?.state, RecordState::Active);
            Ok(())
        })
        .unwrap();
    assert_eq!(store.record(id).unwrap().state, RecordState::Active);
    assert_eq!(
        store.catalog().unwrap().get(CATEGORY).unwrap().name,
        cat.name
    );
    assert_eq!(
        store.head_seq().unwrap(),
        head + 2,
        "one entry for each change"
    );
    let record = store
        .history(probity_domain::audit::Entity::Record, &id.to_string())
        .unwrap();
    let category = store
        .history(probity_domain::audit::Entity::Category, CATEGORY)
        .unwrap();
    assert_eq!(record.last().unwrap().seq + 1, category.last().unwrap().seq);
    assert_clean(store);
}

/// The caller's own error type, raised from inside the unit of work.
#[derive(Debug, PartialEq)]
enum Failure {
    Injected,
    Store(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e.to_string())
    }
}

fn unit_of_work_rolls_back_both_on_a_failure_between_them(store: &Store) {
    let (id, cat) = setup(store);
    let before = (
        store.record(id).unwrap(),
        store.catalog().unwrap().get(CATEGORY).unwrap().clone(),
        store.head_seq().unwrap(),
    );
    let out = store.write(|tx| -> Result<(), Failure> {
        activate(tx, id)?;
        // A failure after the first change and before the second.
        if tx.next_seq() > 0 {
            return Err(Failure::Injected);
        }
        tx.catalog().save(&cat, "信用办:admin")?;
        Ok(())
    });
    assert_eq!(out, Err(Failure::Injected));
    // And a failure after both changes.
    let out = store.write(|tx| -> Result<(), Failure> {
        activate(tx, id)?;
        tx.catalog().save(&cat, "信用办:admin")?;
        Err(Failure::Injected)
    });
    assert_eq!(out, Err(Failure::Injected));
    let after = (
        store.record(id).unwrap(),
        store.catalog().unwrap().get(CATEGORY).unwrap().clone(),
        store.head_seq().unwrap(),
    );
    assert_eq!(
        after, before,
        "nothing of either write remains, nor its journal entries"
    );
    assert_clean(store);
    // The same writes, committed, go through: nothing was left half-done in between.
    store
        .write(|tx| -> Result<(), StoreError> {
            activate(tx, id)?;
            tx.catalog().save(&cat, "信用办:admin")
        })
        .unwrap();
    assert_eq!(store.head_seq().unwrap(), before.2 + 2);
    assert_clean(store);
}

fn unit_of_work_rolls_back_the_first_when_the_second_is_refused(store: &Store) {
    let (id, cat) = setup(store);
    let head = store.head_seq().unwrap();
    let err = store
        .write(|tx| -> Result<(), StoreError> {
            tx.catalog().save(&cat, "信用办:admin")?;
            activate(tx, id)?;
            // Activating twice is refused by the lifecycle.
            activate(tx, id)
        })
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::IllegalTransition);
    assert_eq!(store.record(id).unwrap().state, RecordState::Submitted);
    assert_ne!(
        store.catalog().unwrap().get(CATEGORY).unwrap().name,
        cat.name
    );
    assert_eq!(store.head_seq().unwrap(), head);
    assert_clean(store);
}
