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
pub fn create(app: &App, actor: &Actor, mut input: RecordInput, via: Via) -> AppResult<Saved> {
    let store = app.store();
    let provider = provider_of(app, actor, input.provider.as_deref())?;
    if via.channel == Channel::Form {
        fill_unit_code(app, &mut input.row)?;
    }
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

/// A form that picked a unit from the roster by name (full or short) and gave no identifier:
/// the unit's USCC from the roster. A name the roster does not know, or a civil servant (whose
/// ID number is never filled in for anyone), is left for validation to report.
fn fill_unit_code(app: &App, row: &mut RecordRow) -> AppResult<()> {
    let name = row.subject_name.trim();
    if name.is_empty() || !row.uscc.trim().is_empty() || !row.id_number.trim().is_empty() {
        return Ok(());
    }
    match app.store().find_unit(name) {
        Ok(unit) if unit.kind.is_unit() => {
            if let Some(u) = unit.uscc {
                row.uscc = u;
            }
            Ok(())
        }
        // Not on the roster, or more than one unit by that name: validation says so.
        Ok(_) | Err(probity_store::StoreError::Domain(_)) => Ok(()),
        Err(e) => Err(e.into()),
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
    // A name typed without an identifier that no unit of the roster bears: say so at the name.
    let name = row.subject_name.trim();
    if !name.is_empty()
        && row.uscc.trim().is_empty()
        && row.id_number.trim().is_empty()
        && !faulty(&errs, "subject_name")
        && app.store().find_unit(name).is_err()
    {
        errs.push(FieldError {
            column: "subject_name",
            error: probity_domain::DomainError::new(
                Code::SubjectNotFound,
                format!("主体名录中没有名为“{name}”的单位：请从名录中选择，或填写统一社会信用代码（公务员填写身份证号）"),
            ),
        });
    }
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
    let done = store.transition(id, action, role, actor.unit(), &actor.name(), reason)?;
    if action == Action::Revoke {
        // Revoked, the record owes no rectification any more (`cases::lapse_rectification`);
        // a failure leaves the case to be ended by hand, the revocation stands.
        let why = format!("记录撤销：{reason}");
        if let Err(e) = store.write(|tx| crate::cases::lapse_rectification(tx, id, &why)) {
            tracing::warn!(record = id, error = %e, "rectification case not ended on revocation");
        }
    }
    if action == Action::Activate {
        // A dishonest record about a unit calls for its written explanation and rectification
        // (整改). A calendar without this year, or a failure here, leaves it to the next round of
        // the clock (`tick`), which opens what is missing: the activation stands either way.
        if let Err(e) = crate::cases::open_rectification(app, id, app.today()) {
            tracing::warn!(record = id, error = %e, "rectification case not opened on activation");
        }
    }
    Ok(done)
}

/// The most records one list export writes: narrow the filters for more.
pub const EXPORT_CAP: u32 = 20_000;

/// The records of `f` within the actor's reach (newest first, at most [`EXPORT_CAP`]) as an
/// Excel workbook: the names an official reads, the category's code in a column of its own, and
/// the number of records it holds.
pub fn export(app: &App, actor: &Actor, mut f: RecordFilter) -> AppResult<(Vec<u8>, usize)> {
    let store = app.store();
    narrow(store, actor, &mut f)?;
    let records: Vec<StoredRecord> = store
        .list_records(&f, RecordOrder::Newest, None, EXPORT_CAP)?
        .into_iter()
        .filter(|r| shows(actor, r.state))
        .collect();
    Ok((workbook(app, &store.catalog()?, &records)?, records.len()))
}

/// Records as an Excel sheet: the names an official reads, the category's code in a column of
/// its own.
fn workbook(app: &App, catalog: &Catalog, records: &[StoredRecord]) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("id", "记录编号"),
        ("state", "状态"),
        ("subject_name", "主体名称"),
        ("category_name", "记录类别"),
        ("kind", "记录性质"),
        ("severity", "严重程度"),
        ("document_no", "决定文书号"),
        ("decided_on", "决定日期"),
        ("authority", "决定机关"),
        ("facts", "失信事实"),
        ("outcome", "处理结果"),
        ("disclosure_until", "公示截止日期"),
        ("provider", "报送单位"),
        ("sent_back", "退回理由"),
        ("category", "类别代码"),
    ];
    let store = app.store();
    let mut units = std::collections::HashMap::new();
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("records.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for r in records {
        if let std::collections::hash_map::Entry::Vacant(v) = units.entry(r.provider_id) {
            let u = store.subject(r.provider_id)?;
            v.insert(u.short_name.unwrap_or(u.name));
        }
        let state = if r.sent_back.is_some() {
            "已退回"
        } else {
            r.state.label()
        };
        let category = catalog
            .get(&r.category)
            .map_or(r.category.as_str(), |c| c.name.as_str());
        w.write_row(&[
            &r.id.to_string(),
            state,
            &r.subject_name,
            category,
            r.kind.label(),
            r.severity.map_or("", |s| s.label()),
            &r.document_no,
            &r.decided_on.to_string(),
            &r.authority,
            &r.facts,
            &r.outcome,
            &r.disclosure_until.to_string(),
            units.get(&r.provider_id).map_or("", String::as_str),
            r.sent_back.as_deref().unwrap_or(""),
            &r.category,
        ])?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))
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
    let unit = actor
        .unit()
        .ok_or_else(|| AppError::Forbidden("账号未绑定单位".into()))?;
    file(app, unit)
}

/// A subject's file (档案) as the credit office reads it: what its own file shows, for any
/// subject of the roster.
pub fn file_of(app: &App, actor: &Actor, subject_id: i64) -> AppResult<OwnFile> {
    crate::access::visible_subject(app.store(), actor, subject_id)?;
    file(app, subject_id)
}

fn file(app: &App, unit: i64) -> AppResult<OwnFile> {
    let store = app.store();
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

/// A file's records as an Excel workbook (the same sheet as the list export).
pub fn file_workbook(app: &App, f: &OwnFile) -> AppResult<Vec<u8>> {
    workbook(app, &f.catalog, &f.records)
}
