//! The roster (主体名录) as officials read it: every subject, one subject within the actor's
//! reach, a unit named by short name, full name or USCC. (Files of the roster go through
//! [`crate::import`].)

use probity_store::Subject;

use crate::access::visible_subject;
use crate::{Actor, App, AppResult};

/// Every subject of the roster.
pub fn all(app: &App) -> AppResult<Vec<Subject>> {
    Ok(app.store().subjects()?)
}

/// One subject within the actor's reach (an assessed unit sees itself and its predecessors).
pub fn get(app: &App, actor: &Actor, id: i64) -> AppResult<Subject> {
    visible_subject(app.store(), actor, id)
}

/// Records a restructuring (机构改革): the unit named `from` (short name, full name or USCC) was
/// renamed or merged into the unit named `into`; its records follow its successor. `by` is who
/// the journal names (the operator at the machine, `cli:root`). Returns both units.
pub fn merge(
    app: &App,
    by: &str,
    from: &str,
    into: &str,
    reason: &str,
) -> AppResult<(Subject, Subject)> {
    let store = app.store();
    let a = store.find_unit(from)?;
    let b = store.find_unit(into)?;
    store.link_successor(a.id, b.id, by, reason)?;
    Ok((a, b))
}
