//! Records as officials handle them one at a time: created from a form or an API call, corrected,
//! moved along their lifecycle, read within the actor's reach. (Files of records go through
//! [`crate::import`].)

use probity_domain::Code;
use probity_domain::account::AccountRole;
use probity_domain::audit::Entity;
use probity_domain::catalog::Catalog;
use probity_domain::record::{Action, FieldError, RecordRow, RecordState};
use probity_store::{
    Channel, Created, Cursor, HistoryEntry, ImportOptions, RecordFilter, RecordOrder,
    RecordSummary, StoredRecord, Subject, SummaryRef,
};

use crate::access::{narrow, shows, visible_record};
use crate::{Actor, App, AppError, AppResult};

/// The longest reason accepted for a lifecycle action.
pub const MAX_REASON_CHARS: usize = 500;

/// A record as a form or another system sends it.
#[derive(Debug, Clone)]
pub struct RecordInput {
    pub row: RecordRow,
    /// The provider named (short name, full name or USCC); a provider account always submits as
    /// its own unit, and the credit office must name one.
    pub provider: Option<String>,
    /// Keep it as a draft instead of submitting it.
    pub draft: bool,
}

/// How a record arrived, for its provenance.
#[derive(Debug, Clone)]
pub struct Via {
    pub channel: Channel,
    pub source: String,
}

/// What creating a record came to.
#[derive(Debug)]
pub enum Saved {
    New(StoredRecord),
    /// Identical content was there already: nothing new was written.
    Existing(StoredRecord),
}

/// The unit whose record or file it is: a provider's own unit, or the one the credit office
/// named. A refusal is pinned to the form's `provider` field.
pub fn provider_of(app: &App, actor: &Actor, named: Option<&str>) -> AppResult<Subject> {
    let store = app.store();
    if actor.role() == AccountRole::Provider {
        let unit = actor
            .unit()
            .ok_or_else(|| AppError::Forbidden("账号未绑定单位".into()))?;
        return Ok(store.subject(unit)?);
    }
    match named.map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => store
            .find_unit(p)
            .map_err(|e| AppError::from(e).at("provider")),
        None => Err(AppError::BadInput {
            code: "PROVIDER_REQUIRED",
            message: "请指定报送单位（provider）".into(),
        }
        .at("provider")),
    }
}

/// Creates one record (or a draft). Every field is checked at once; a refusal lists them all.
pub fn create(app: &App, actor: &Actor, input: RecordInput, via: Via) -> AppResult<Saved> {
    let store = app.store();
    let provider = provider_of(app, actor, input.provider.as_deref())?;
    let catalog = store.catalog()?;
    let rec = match input.row.validate(&catalog, app.today()) {
        Ok(rec) => rec,
        Err(errs) => return Err(every_problem(app, &provider, &input.row, &catalog, errs)),
    };
    let opts = ImportOptions {
        provider,
        actor: actor.name(),
        channel: via.channel,
        source: via.source,
        activate: false,
        all_or_nothing: false,
    };
    match store.create_record(opts, rec, input.draft)? {
        Created::New(r) => Ok(Saved::New(r)),
        Created::Existing(r) => Ok(Saved::Existing(r)),
        Created::Rejected(errs) => Err(AppError::Fields(errs)),
    }
}

/// A form whose fields are wrong: its field errors, and with them what the roster and the
/// catalog would refuse once those are fixed (the provider's right to the category, a unit's
/// USCC not on the roster or under another name), so that every problem shows at once.
fn every_problem(
    app: &App,
    provider: &probity_store::Subject,
    row: &RecordRow,
    catalog: &Catalog,
    mut errs: Vec<FieldError>,
) -> AppError {
    let faulty = |errs: &[FieldError], column: &str| errs.iter().any(|e| e.column == column);
    let category = (!faulty(&errs, "category"))
        .then(|| catalog.lookup(&row.category).ok().map(|c| c.code.clone()))
        .flatten();
    let uscc = (!faulty(&errs, "uscc") && row.id_number.trim().is_empty())
        .then(|| probity_domain::ident::Uscc::parse_overriding_check(&row.uscc).ok())
        .flatten();
    match app.store().precheck(
        provider,
        category.as_deref(),
        uscc.as_ref(),
        &row.subject_name,
    ) {
        Ok(more) => {
            for e in more {
                if !faulty(&errs, e.column) {
                    errs.push(e);
                }
            }
            AppError::Fields(errs)
        }
        // The field errors stand on their own; the roster check can wait for the next try.
        Err(e) => {
            tracing::warn!(error = %e, "record form: roster check failed");
            AppError::Fields(errs)
        }
    }
}

/// Draft and submitted records can be corrected (更正); later states go through objection and
/// repair instead.
pub fn correctable(r: &StoredRecord) -> AppResult<()> {
    if matches!(r.state, RecordState::Draft | RecordState::Submitted) {
        Ok(())
    } else {
        Err(AppError::Domain(probity_domain::DomainError::new(
            Code::IllegalTransition,
            format!(
                "记录当前状态为“{}”，不能更正；已生效的记录通过异议和信用修复处理",
                r.state.label()
            ),
        )))
    }
}

/// Corrects a draft or submitted record within the actor's reach.
pub fn correct(app: &App, actor: &Actor, id: i64, row: RecordRow) -> AppResult<StoredRecord> {
    let store = app.store();
    let current = visible_record(store, actor, id)?;
    let role = actor
        .role()
        .record_role()
        .ok_or_else(|| AppError::Forbidden("无权更正记录".into()))?;
    correctable(&current)?;
    let catalog = store.catalog()?;
    let rec = match row.validate(&catalog, app.today()) {
        Ok(rec) => rec,
        Err(errs) => {
            let provider = store.subject(current.provider_id)?;
            return Err(every_problem(app, &provider, &row, &catalog, errs));
        }
    };
    store
        .correct_record(id, rec, role, actor.unit(), &actor.name())?
        .map_err(AppError::Fields)
}

/// Moves a record along its lifecycle (报送, 审核生效, 退回, 撤销 …). Sending back and revoking
/// need a reason.
pub fn act(
    app: &App,
    actor: &Actor,
    id: i64,
    action: Action,
    reason: &str,
) -> AppResult<StoredRecord> {
    let reason = reason.trim();
    if matches!(action, Action::SendBack | Action::Revoke) && reason.is_empty() {
        return Err(AppError::Invalid {
            code: "REASON_REQUIRED",
            message: format!("“{}”须说明理由", action.label()),
        });
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::Invalid {
            code: "TOO_LONG",
            message: format!("理由最多 {MAX_REASON_CHARS} 个字符"),
        });
    }
    let store = app.store();
    visible_record(store, actor, id)?;
    let role = actor
        .role()
        .record_role()
        .ok_or_else(|| AppError::Forbidden("无权处理记录".into()))?;
    Ok(store.transition(id, action, role, actor.unit(), &actor.name(), reason)?)
}

/// One record within the actor's reach.
pub fn get(app: &App, actor: &Actor, id: i64) -> AppResult<StoredRecord> {
    visible_record(app.store(), actor, id)
}

/// One record with what its page shows beside it: the catalog, and its history for those who
/// may read it (the credit office and the provider, as in the authorisation table's audit row).
pub fn detail(
    app: &App,
    actor: &Actor,
    id: i64,
) -> AppResult<(StoredRecord, Catalog, Option<Vec<HistoryEntry>>)> {
    let store = app.store();
    let r = visible_record(store, actor, id)?;
    let history = if matches!(actor.role(), AccountRole::Admin | AccountRole::Provider) {
        Some(store.history(Entity::Record, &id.to_string())?)
    } else {
        None
    };
    Ok((r, store.catalog()?, history))
}

/// The audit history of one record within the actor's reach.
pub fn history(app: &App, actor: &Actor, id: i64) -> AppResult<Vec<HistoryEntry>> {
    let store = app.store();
    visible_record(store, actor, id)?;
    Ok(store.history(Entity::Record, &id.to_string())?)
}

/// A record to correct, with its subject's USCC for the form.
pub fn for_correction(
    app: &App,
    actor: &Actor,
    id: i64,
) -> AppResult<(StoredRecord, Option<String>)> {
    let store = app.store();
    let r = visible_record(store, actor, id)?;
    correctable(&r)?;
    let uscc = store.subject(r.subject_id)?.uscc;
    Ok((r, uscc))
}

/// A page of record summaries within the actor's reach, with the catalog to name categories.
pub fn list(
    app: &App,
    actor: &Actor,
    mut f: RecordFilter,
    order: RecordOrder,
    at: Option<&Cursor>,
    limit: u32,
) -> AppResult<(Vec<RecordSummary>, Catalog)> {
    let store = app.store();
    narrow(store, actor, &mut f)?;
    let rows = store
        .list_summaries(&f, order, at, limit)?
        .into_iter()
        .filter(|r| shows(actor, r.state))
        .collect();
    Ok((rows, store.catalog()?))
}

/// Streams a page of summaries within the actor's reach, each lent as the database holds it,
/// for the API's list written straight out. `each` is told whether the actor may see the row:
/// `narrow` leaves out in the database what the actor may not see, and this is a second fence.
pub fn visit(
    app: &App,
    actor: &Actor,
    mut f: RecordFilter,
    order: RecordOrder,
    at: Option<&Cursor>,
    limit: u32,
    mut each: impl FnMut(&SummaryRef<'_>, bool) -> AppResult<()>,
) -> AppResult<()> {
    let store = app.store();
    narrow(store, actor, &mut f)?;
    let mut failed = None;
    let visited = store.visit_summaries(&f, order, at, limit, |r| {
        each(r, shows(actor, r.state)).map_err(|e| {
            failed = Some(e);
            probity_store::StoreError::Internal("visit stopped".into())
        })
    });
    match (visited, failed) {
        (_, Some(mine)) => Err(mine),
        (Err(e), None) => Err(e.into()),
        (Ok(()), None) => Ok(()),
    }
}

/// The review queue (待审核, oldest first) with how many wait in all, counted up to `cap`.
/// A page of the review queue: the records, how many wait in all, the catalog to name their
/// categories, and the names of the units that reported them.
pub struct ReviewQueue {
    pub records: Vec<StoredRecord>,
    pub total: u64,
    pub catalog: Catalog,
    /// Each reporting unit's short name (or its full name), by subject id.
    pub providers: std::collections::HashMap<i64, String>,
}

pub fn review_queue(
    app: &App,
    actor: &Actor,
    mut f: RecordFilter,
    after: Option<&Cursor>,
    limit: u32,
    cap: u32,
) -> AppResult<ReviewQueue> {
    let store = app.store();
    f.state = Some(RecordState::Submitted);
    narrow(store, actor, &mut f)?;
    let records = store.list_records(&f, RecordOrder::Oldest, after, limit)?;
    let mut providers = std::collections::HashMap::new();
    for r in &records {
        if let std::collections::hash_map::Entry::Vacant(v) = providers.entry(r.provider_id) {
            let unit = store.subject(r.provider_id)?;
            v.insert(unit.short_name.unwrap_or(unit.name));
        }
    }
    Ok(ReviewQueue {
        records,
        total: store.count_records(&f, cap)?,
        catalog: store.catalog()?,
        providers,
    })
}

/// The most records one batch approval takes (two pages of the queue).
pub const MAX_BATCH: usize = 100;

/// What a batch approval came to: the records activated, and each one refused with why (another
/// reviewer took it first, it was corrected meanwhile…).
#[derive(Debug, Default)]
pub struct Batch {
    pub done: Vec<i64>,
    pub refused: Vec<(i64, String)>,
}

/// Activates (审核生效) several waiting records at once, each as `act` would, each in its own
/// write: one refused record leaves the others to go through, and says why.
pub fn activate_many(app: &App, actor: &Actor, ids: &[i64]) -> AppResult<Batch> {
    if ids.is_empty() {
        return Err(AppError::Invalid {
            code: "NOTHING_SELECTED",
            message: "请先勾选要审核生效的记录".into(),
        });
    }
    if ids.len() > MAX_BATCH {
        return Err(AppError::Invalid {
            code: "TOO_MANY",
            message: format!("一次最多审核 {MAX_BATCH} 条记录"),
        });
    }
    let mut batch = Batch::default();
    for &id in ids {
        match act(app, actor, id, Action::Activate, "") {
            Ok(_) => batch.done.push(id),
            Err(e @ (AppError::Store(_) | AppError::Other(_))) => return Err(e),
            Err(e) => batch.refused.push((id, e.to_string())),
        }
    }
    Ok(batch)
}

/// How many records match, counted up to `cap`, within the actor's reach.
pub fn count(app: &App, actor: &Actor, mut f: RecordFilter, cap: u32) -> AppResult<u64> {
    let store = app.store();
    narrow(store, actor, &mut f)?;
    Ok(store.count_records(&f, cap)?)
}

/// An assessed unit's own file (档案): the unit, its predecessors, and every record about them
/// the credit office has decided on.
pub struct OwnFile {
    pub unit: Subject,
    pub predecessors: Vec<Subject>,
    pub records: Vec<StoredRecord>,
    pub catalog: Catalog,
}

pub fn own_file(app: &App, actor: &Actor) -> AppResult<OwnFile> {
    let store = app.store();
    let unit = actor
        .unit()
        .ok_or_else(|| AppError::Forbidden("账号未绑定单位".into()))?;
    let subject = store.subject(unit)?;
    let predecessors = store
        .lineage(unit)?
        .into_iter()
        .filter(|i| *i != unit)
        .map(|i| store.subject(i))
        .collect::<Result<Vec<_>, _>>()?;
    let records = store
        .records_of_subject(unit)?
        .into_iter()
        .filter(|r| r.state.in_subject_file())
        .collect();
    Ok(OwnFile {
        unit: subject,
        predecessors,
        records,
        catalog: store.catalog()?,
    })
}
