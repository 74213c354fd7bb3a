//! How far an actor reaches, applied in one place for the API and the pages: a provider sees
//! what it provided, an assessed unit its own file (its own, its predecessors' and its civil
//! servants' records, once the credit office has decided on them: it may object to them and apply
//! to repair them). Someone else's record answers like a missing one.

use probity_domain::authz::Reach;
use probity_domain::record::RecordState;
use probity_domain::subject::SubjectKind;
use probity_store::{RecordFilter, Store, StoredRecord, Subject};

use crate::{Actor, AppError, AppResult};

/// Narrows a list filter to the actor's reach.
pub fn narrow(store: &Store, actor: &Actor, f: &mut RecordFilter) -> AppResult<()> {
    match actor.reach {
        Reach::All => {}
        Reach::OwnProvided => f.provider_id = Some(actor.unit().unwrap_or(-1)),
        Reach::OwnFile => {
            let own = own_file(store, actor)?;
            f.subject_ids = Some(match &f.subject_ids {
                Some(asked) => asked.iter().copied().filter(|s| own.contains(s)).collect(),
                None => own,
            });
            f.in_subject_file = true;
        }
    }
    Ok(())
}

/// The actor's unit and its predecessors (empty for an actor bound to no unit).
fn own_lineage(store: &Store, actor: &Actor) -> AppResult<Vec<i64>> {
    Ok(actor
        .unit()
        .map(|u| store.lineage(u))
        .transpose()?
        .unwrap_or_default())
}

/// The subjects of an assessed unit's file: the unit, its predecessors, and the civil servants
/// of each.
fn own_file(store: &Store, actor: &Actor) -> AppResult<Vec<i64>> {
    let mut own = own_lineage(store, actor)?;
    let staff = store.civil_servants_of(&own)?;
    own.extend(staff);
    Ok(own)
}

/// Whether one subject is in an assessed unit's file (`own_file`), asked of that subject alone
/// rather than by listing every civil servant of the unit.
fn in_own_file(store: &Store, actor: &Actor, subject_id: i64) -> AppResult<bool> {
    let own = own_lineage(store, actor)?;
    if own.contains(&subject_id) {
        return Ok(true);
    }
    let s = match store.subject(subject_id) {
        Ok(s) => s,
        Err(probity_store::StoreError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    Ok(s.kind == SubjectKind::CivilServant && s.unit_id.is_some_and(|u| own.contains(&u)))
}

/// Whether a record listed under `narrow` may be shown (a unit does not see records still under
/// review).
pub fn shows(actor: &Actor, state: RecordState) -> bool {
    actor.reach != Reach::OwnFile || state.in_subject_file()
}

/// Loads a record and checks the actor's reach on it.
pub fn visible_record(store: &Store, actor: &Actor, id: i64) -> AppResult<StoredRecord> {
    let r = store.record(id)?;
    let ok = match actor.reach {
        Reach::All => true,
        Reach::OwnProvided => actor.unit() == Some(r.provider_id),
        Reach::OwnFile => r.state.in_subject_file() && in_own_file(store, actor, r.subject_id)?,
    };
    if ok {
        Ok(r)
    } else {
        Err(AppError::NotFound(format!("未找到：记录 {id}")))
    }
}

/// Loads a subject of the roster; an assessed unit sees only itself and its predecessors, and
/// another unit answers like a missing one: its existence is not the actor's business.
pub fn visible_subject(store: &Store, actor: &Actor, id: i64) -> AppResult<Subject> {
    if actor.reach == Reach::OwnFile && !in_own_file(store, actor, id)? {
        return Err(AppError::NotFound(format!("未找到：主体 {id}")));
    }
    Ok(store.subject(id)?)
}
