//! How far a caller reaches, applied in one place for the API and the pages: a provider sees
//! what it provided, an assessed unit its own file (its own and its predecessors' records, once
//! the credit office has decided on them). Someone else's record answers like a missing one.

use probity_domain::authz::Reach;
use probity_store::{RecordFilter, Store, StoredRecord};

use crate::auth::Caller;
use crate::error::ApiError;

/// Narrows a list filter to the caller's reach.
pub fn reach_filter(store: &Store, caller: &Caller, f: &mut RecordFilter) -> Result<(), ApiError> {
    match caller.reach {
        Reach::All => {}
        Reach::OwnProvided => f.provider_id = Some(caller.unit().unwrap_or(-1)),
        Reach::OwnFile => {
            let own = caller
                .unit()
                .map(|u| store.lineage(u))
                .transpose()?
                .unwrap_or_default();
            f.subject_ids = Some(match &f.subject_ids {
                Some(asked) => asked.iter().copied().filter(|s| own.contains(s)).collect(),
                None => own,
            });
            f.in_subject_file = true;
        }
    }
    Ok(())
}

/// Whether a record listed under `reach_filter` may be shown (a unit does not see records still
/// under review).
pub fn shows(caller: &Caller, state: probity_domain::record::RecordState) -> bool {
    caller.reach != Reach::OwnFile || state.in_subject_file()
}

/// Loads a record and checks the caller's reach on it.
pub fn visible_record(store: &Store, caller: &Caller, id: i64) -> Result<StoredRecord, ApiError> {
    let r = store.record(id)?;
    let ok = match caller.reach {
        Reach::All => true,
        Reach::OwnProvided => caller.unit() == Some(r.provider_id),
        Reach::OwnFile => {
            r.state.in_subject_file()
                && match caller.unit() {
                    Some(u) => store.lineage(u)?.contains(&r.subject_id),
                    None => false,
                }
        }
    };
    if ok {
        Ok(r)
    } else {
        Err(ApiError::NotFound(format!("未找到：记录 {id}")))
    }
}
