//! Keeping promises (守信践诺): the registry of procurement contracts and their payments, read as
//! of a day, and the clock that drafts a `PAYMENT_ARREARS` record about a purchaser once a
//! contract's arrears outlast the grace 区财政局 sets. The rules are the domain's
//! (`probity_domain::commitment`); this module imports, lists, and runs the clock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use chrono::NaiveDate;
use probity_domain::account::AccountRole;
use probity_domain::commitment::money::DailyRate;
use probity_domain::commitment::procurement::{
    ARREARS_CATEGORY, Arrears, NewContract, NewPayment, PaymentRule, Status,
};
use probity_domain::commitment::{Kind, State, Window};
use probity_domain::record::FieldError;
use probity_domain::subject::SubjectKind;
use probity_domain::{Code, DomainError};
use probity_ingest::{ColumnSpec, FileError, TableReader};
use probity_store::{CommitmentFilter, RowOutcome, StoredContract, StoredPayment};

use crate::import::{ErrorSink, ImportFailure, Progress, Summary};
use crate::{App, AppError, AppResult, columns};

/// Where the payment rule is kept (平台设置).
pub const PAYMENT_RULE_SETTING: &str = "commitments.payment_rule";

/// The payment rule in force: as 区财政局 or the credit office last saved it, or the 条例's.
pub fn payment_rule(app: &App) -> AppResult<PaymentRule> {
    match app.store().setting(PAYMENT_RULE_SETTING)? {
        None => Ok(PaymentRule::default()),
        Some(s) => serde_json::from_str(&s.body)
            .map_err(|e| AppError::Other(format!("已保存的付款规则无法解析：{e}"))),
    }
}

/// Whether the actor may keep the procurement registry: the credit office, or an account of the
/// unit that provides `PAYMENT_ARREARS` records (区财政局).
fn may_keep(app: &App, actor: &crate::Actor) -> AppResult<bool> {
    if actor.role() == AccountRole::Admin {
        return Ok(true);
    }
    if actor.role() != AccountRole::Provider {
        return Ok(false);
    }
    let Some(unit) = actor.unit() else {
        return Ok(false);
    };
    Ok(arrears_provider(app)?.is_some_and(|p| p.id == unit))
}

/// Saves the payment rule (the grace, the warning window, …): every problem at once, nothing
/// saved when one is wrong; journaled with what changed. Returns whether anything changed.
pub fn set_payment_rule(app: &App, actor: &crate::Actor, rule: PaymentRule) -> AppResult<bool> {
    if !may_keep(app, actor)? {
        return Err(AppError::Forbidden(
            "只有信用办或区财政局可以设置付款规则".into(),
        ));
    }
    rule.validate().map_err(AppError::Fields)?;
    let old =
        serde_json::to_value(payment_rule(app)?).map_err(|e| AppError::Other(e.to_string()))?;
    let new = serde_json::to_value(&rule).map_err(|e| AppError::Other(e.to_string()))?;
    let changed: Vec<serde_json::Value> = new
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| old.get(k.as_str()) != Some(v))
        .map(|(k, v)| serde_json::json!({ "field": k, "from": old.get(k.as_str()), "to": v }))
        .collect();
    let body = new.to_string();
    let detail = serde_json::json!({ "changed": changed }).to_string();
    let who = actor.name();
    Ok(app.store().write(|tx| {
        tx.settings()
            .save(PAYMENT_RULE_SETTING, &body, &who, &detail)
    })?)
}

/// The days a list is read against on `today`: the warning window counted in working days on the
/// calendar (in calendar days, 7 for each 5, where the calendar lacks the year).
pub fn window(app: &App, today: NaiveDate, rule: &PaymentRule) -> AppResult<Window> {
    let cal = crate::calendar::current(app)?;
    let warn_until = cal
        .add_working_days(today, rule.warn_working_days)
        .unwrap_or_else(|_| {
            today + chrono::Days::new(u64::from(rule.warn_working_days.div_ceil(5) * 7))
        });
    Ok(Window {
        today,
        warn_until,
        grace_days: rule.grace_days,
    })
}

// ---------------------------------------------------------------------------------------------
// Import

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// Procurement contracts (`--kind procurement`).
    Contracts,
    /// Their payments (`--kind payments`).
    Payments,
}

impl ImportKind {
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            ImportKind::Contracts => columns::CONTRACTS,
            ImportKind::Payments => columns::PAYMENTS,
        }
    }
}

pub struct ImportArgs<'a> {
    pub file: &'a Path,
    pub kind: ImportKind,
    pub errors: Option<PathBuf>,
    pub batch_size: usize,
    /// How the journal names who imports.
    pub actor: String,
    pub today: NaiveDate,
    /// Called after every batch.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

/// The units of the roster by every name an import may use for them: full name, short name,
/// USCC. A name two units share finds both.
struct Units(HashMap<String, Vec<(i64, String)>>);

impl Units {
    fn load(app: &App) -> AppResult<Units> {
        let mut by = HashMap::<String, Vec<(i64, String)>>::new();
        for s in app.store().subjects()? {
            if s.kind == SubjectKind::CivilServant {
                continue;
            }
            let mut keys = vec![s.name.clone()];
            keys.extend(s.short_name.clone());
            keys.extend(s.uscc.clone());
            keys.dedup();
            for k in keys {
                let v = by.entry(k).or_default();
                if !v.iter().any(|(id, _)| *id == s.id) {
                    v.push((s.id, s.name.clone()));
                }
            }
        }
        Ok(Units(by))
    }

    fn find(&self, name: &str) -> Result<i64, FieldError> {
        let refuse = |message: String| FieldError {
            column: "purchaser",
            error: DomainError::new(Code::SubjectNotFound, message),
        };
        match self.0.get(name.trim()).map(Vec::as_slice) {
            Some([(id, _)]) => Ok(*id),
            Some([_, _, ..]) => Err(refuse(format!(
                "“{name}”对应多个单位，请改用统一社会信用代码"
            ))),
            _ => Err(refuse(format!("采购单位“{name}”不在主体名录中"))),
        }
    }
}

/// A row as the reading thread hands it over.
enum Item {
    Contract(usize, i64, NewContract, Vec<String>),
    Payment(usize, Option<i64>, NewPayment, Vec<String>),
    Invalid(usize, Vec<FieldError>, Vec<String>),
    Unreadable(FileError),
}

/// Imports a file of contracts or payments: read and validated on one thread, written in batches
/// (each one unit of work with its journal entries) on the other; every rejected row reported
/// with its row, column and reason, nothing of it written.
pub fn import(app: &App, a: ImportArgs<'_>) -> Result<Summary, ImportFailure> {
    let rule = payment_rule(app).map_err(app_failure)?;
    let units = Units::load(app).map_err(app_failure)?;
    let cols = a.kind.columns();
    let reader = TableReader::open(a.file, cols)?;
    let mut sink = ErrorSink::new(a.errors.as_deref(), cols)?;
    let source = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let by_bytes = reader.format() != probity_ingest::Format::Xlsx;
    let keep_cells = a.errors.is_some();
    let mut summary = Summary::default();
    let batch_size = a.batch_size.clamp(1, 50_000);
    let (tx, rx) = mpsc::sync_channel::<(Vec<Item>, u64, u64)>(2);
    let store = app.store();
    std::thread::scope(|scope| -> Result<(), ImportFailure> {
        let (rule, units, kind, today) = (&rule, &units, a.kind, a.today);
        let reading = scope.spawn(move || -> Result<(), FileError> {
            let mut reader = reader;
            let mut chunk = Vec::with_capacity(batch_size);
            while let Some(item) = reader.next() {
                let item = match item {
                    Ok(row) => {
                        let cells = row.cells;
                        let keep = |c: Vec<String>| if keep_cells { c } else { Vec::new() };
                        match kind {
                            ImportKind::Contracts => {
                                let r = columns::contract_row(&cells);
                                // An unknown purchaser is reported with the row's other faults
                                // (an empty one once, as the row's own fault).
                                match (r.validate(rule, today), units.find(&r.purchaser)) {
                                    (Ok(c), Ok(owner)) => {
                                        Item::Contract(row.number, owner, c, keep(cells))
                                    }
                                    (Ok(_), Err(e)) => Item::Invalid(row.number, vec![e], cells),
                                    (Err(mut errs), owner) => {
                                        if let Err(e) = owner
                                            && !errs.iter().any(|x| x.column == "purchaser")
                                        {
                                            errs.insert(0, e);
                                        }
                                        Item::Invalid(row.number, errs, cells)
                                    }
                                }
                            }
                            ImportKind::Payments => {
                                match columns::payment_row(&cells).validate(today) {
                                    Ok(p) => match p.purchaser.as_deref().map(|n| units.find(n)) {
                                        None => Item::Payment(row.number, None, p, keep(cells)),
                                        Some(Ok(o)) => {
                                            Item::Payment(row.number, Some(o), p, keep(cells))
                                        }
                                        Some(Err(e)) => Item::Invalid(row.number, vec![e], cells),
                                    },
                                    Err(errs) => Item::Invalid(row.number, errs, cells),
                                }
                            }
                        }
                    }
                    Err(e) if !e.fatal => Item::Unreadable(e),
                    Err(e) => return Err(e),
                };
                chunk.push(item);
                if chunk.len() >= batch_size {
                    let (d, t) = reader.progress();
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(batch_size));
                    if tx.send((full, d, t)).is_err() {
                        return Ok(());
                    }
                }
            }
            let (d, t) = reader.progress();
            let _ = tx.send((chunk, d, t));
            Ok(())
        });
        let written = (|| -> Result<(), ImportFailure> {
            for (chunk, done, total) in rx.iter() {
                let mut rejected: Vec<(usize, Vec<FieldError>, Vec<String>)> = Vec::new();
                let mut contracts = Vec::new();
                let mut payments = Vec::new();
                let mut cells_of: HashMap<usize, Vec<String>> = HashMap::new();
                for item in chunk {
                    match item {
                        Item::Contract(row, owner, c, cells) => {
                            contracts.push((row, owner, c));
                            cells_of.insert(row, cells);
                        }
                        Item::Payment(row, owner, p, cells) => {
                            payments.push((row, owner, p));
                            cells_of.insert(row, cells);
                        }
                        Item::Invalid(row, errs, cells) => rejected.push((row, errs, cells)),
                        Item::Unreadable(e) => sink.reject_unreadable(&mut summary, e)?,
                    }
                }
                let mut outcomes = if contracts.is_empty() {
                    Vec::new()
                } else {
                    store.import_contracts(&a.actor, &source, contracts)?
                };
                if !payments.is_empty() {
                    outcomes.extend(store.import_payments(&a.actor, &source, payments)?);
                }
                for (row, o) in outcomes {
                    match o {
                        RowOutcome::Accepted { .. } => summary.accepted += 1,
                        RowOutcome::Updated { .. } => summary.updated += 1,
                        RowOutcome::Duplicate { .. } => summary.duplicates += 1,
                        RowOutcome::Rejected(errs) => {
                            rejected.push((row, errs, cells_of.remove(&row).unwrap_or_default()))
                        }
                    }
                }
                rejected.sort_by_key(|r| r.0);
                for (row, errs, cells) in rejected {
                    sink.reject_fields(&mut summary, row, errs, &cells)?;
                }
                if let Some(report) = a.progress {
                    report(Progress {
                        done,
                        total,
                        by_bytes,
                        accepted: summary.accepted,
                        duplicates: summary.duplicates,
                        rejected: summary.rejected,
                    });
                }
            }
            Ok(())
        })();
        // The reader stops at its next send once the receiver is gone.
        drop(rx);
        let read = reading.join().map_err(|_| {
            ImportFailure::Store(probity_store::StoreError::Internal(
                "读取线程异常退出".into(),
            ))
        })?;
        written?;
        read.map_err(ImportFailure::File)
    })?;
    summary.shown.sort_by_key(|r| r.row);
    sink.finish()?;
    Ok(summary)
}

/// `import` for an official: only the credit office and 区财政局 keep the registry; anyone else
/// is refused (`FORBIDDEN`) before the file is read.
pub fn import_as(
    app: &App,
    actor: &crate::Actor,
    args: ImportArgs<'_>,
) -> Result<Summary, ImportFailure> {
    if !may_keep(app, actor).map_err(app_failure)? {
        return Err(ImportFailure::Store(probity_store::StoreError::domain(
            Code::Forbidden,
            "只有信用办或区财政局可以导入采购合同和付款记录",
        )));
    }
    import(
        app,
        ImportArgs {
            actor: actor.name(),
            ..args
        },
    )
}

fn app_failure(e: AppError) -> ImportFailure {
    match e {
        AppError::Store(s) => ImportFailure::Store(s),
        other => ImportFailure::Store(probity_store::StoreError::Internal(other.to_string())),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A contract as people read it: the purchaser's name, and where it stands today.
#[derive(Debug, Clone)]
pub struct ContractView {
    pub contract: StoredContract,
    pub purchaser: String,
    pub status: Status,
    /// The daily rate its late interest runs at (agreed, or the rule's).
    pub rate: DailyRate,
    /// The number of the draft record about its arrears, if one was drafted.
    pub record_id: Option<i64>,
}

impl ContractView {
    /// The row `probity commitments list --json` and the API give.
    pub fn to_json(&self) -> serde_json::Value {
        use probity_domain::commitment::money::yuan_plain;
        let c = &self.contract;
        serde_json::json!({
            "id": c.id,
            "kind": Kind::Procurement.code(),
            "purchaser": self.purchaser,
            "contract_no": c.contract_no,
            "title": c.title,
            "supplier": c.supplier,
            "supplier_uscc": c.supplier_uscc,
            "supplier_sme": c.supplier_sme,
            "amount": yuan_plain(c.amount),
            "accepted_on": c.accepted_on,
            "payment_days": c.payment_days,
            "due_on": c.due_on,
            "paid": yuan_plain(c.paid),
            "unpaid": yuan_plain(self.status.unpaid),
            "overdue_days": self.status.overdue_days,
            "daily_rate": self.rate.percent_text(),
            "interest": yuan_plain(self.status.interest),
            "state": self.status.state.code(),
            "state_label": self.status.state.label(),
            "record_id": self.record_id,
            "payments": c.payments,
        })
    }
}

/// Which contracts to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub state: Option<State>,
    /// A unit named by name, short name or USCC.
    pub owner: Option<String>,
    pub q: Option<String>,
    /// As of this day; today by default.
    pub today: Option<NaiveDate>,
}

/// The lister's view of the registry: names looked up once each, the rule and the window read
/// once.
struct Reader<'a> {
    app: &'a App,
    rule: PaymentRule,
    window: Window,
    names: HashMap<i64, String>,
}

impl Reader<'_> {
    fn new(app: &App, today: NaiveDate) -> AppResult<Reader<'_>> {
        let rule = payment_rule(app)?;
        let window = window(app, today, &rule)?;
        Ok(Reader {
            app,
            rule,
            window,
            names: HashMap::new(),
        })
    }

    fn view(&mut self, c: StoredContract) -> ContractView {
        let purchaser = match self.names.get(&c.owner_id) {
            Some(n) => n.clone(),
            None => {
                let n = self
                    .app
                    .store()
                    .subject(c.owner_id)
                    .map(|s| s.name)
                    .unwrap_or_else(|_| format!("主体 {}", c.owner_id));
                self.names.insert(c.owner_id, n.clone());
                n
            }
        };
        let status = c.position().status(&self.window, &self.rule);
        ContractView {
            rate: c.agreed_rate.unwrap_or(self.rule.default_daily_rate),
            record_id: c.record_id,
            purchaser,
            status,
            contract: c,
        }
    }

    fn filter(&self, q: &ListQuery) -> AppResult<CommitmentFilter> {
        let owner = match q.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            None => None,
            Some(o) => Some(self.app.store().find_unit(o)?.id),
        };
        Ok(CommitmentFilter {
            kind: Kind::Procurement,
            owner,
            state: q.state,
            q: q.q.clone(),
            window: self.window,
        })
    }
}

/// Who may read which contracts: the credit office and 区财政局 all of them; a unit (or its
/// provider accounts) its own as purchaser.
fn scope(app: &App, actor: &crate::Actor, q: &mut ListQuery) -> AppResult<Option<i64>> {
    if may_keep(app, actor)? {
        return Ok(None);
    }
    match actor.unit() {
        Some(u) => {
            q.owner = None;
            Ok(Some(u))
        }
        None => Err(AppError::Forbidden("只能查看本单位的采购合同".into())),
    }
}

/// One page of contracts for an official, with how many the filter selects in all.
pub fn list(
    app: &App,
    actor: &crate::Actor,
    mut q: ListQuery,
    offset: u64,
    limit: u32,
) -> AppResult<(Vec<ContractView>, i64)> {
    let own = scope(app, actor, &mut q)?;
    let mut r = Reader::new(app, q.today.unwrap_or_else(|| app.today()))?;
    let mut f = r.filter(&q)?;
    if own.is_some() {
        f.owner = own;
    }
    let total = app.store().contract_count(&f)?;
    let rows = app.store().contracts(&f, offset, limit.clamp(1, 500))?;
    Ok((rows.into_iter().map(|c| r.view(c)).collect(), total))
}

/// Every contract the query selects, streamed (`probity commitments list`, the Excel export).
pub fn visit(
    app: &App,
    q: &ListQuery,
    mut each: impl FnMut(ContractView) -> AppResult<()>,
) -> AppResult<()> {
    let mut r = Reader::new(app, q.today.unwrap_or_else(|| app.today()))?;
    let f = r.filter(q)?;
    let mut failed = None;
    app.store().visit_contracts(&f, |c| {
        if failed.is_some() {
            return Ok(());
        }
        if let Err(e) = each(r.view(c)) {
            failed = Some(e);
        }
        Ok(())
    })?;
    failed.map_or(Ok(()), Err)
}

/// One contract and its payments, for an official who may read it.
pub fn contract(
    app: &App,
    actor: &crate::Actor,
    id: i64,
) -> AppResult<(ContractView, Vec<StoredPayment>)> {
    let c = app.store().contract(id)?;
    let mut q = ListQuery::default();
    if let Some(u) = scope(app, actor, &mut q)?
        && u != c.owner_id
    {
        return Err(AppError::NotFound(format!("采购合同 {id}")));
    }
    let mut r = Reader::new(app, app.today())?;
    let payments = app.store().payments_of(id)?;
    Ok((r.view(c), payments))
}

// ---------------------------------------------------------------------------------------------
// The yearly disclosure

/// One purchaser's line of the yearly payment disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureLine {
    pub purchaser: String,
    pub uscc: Option<String>,
    /// Contracts overdue and unpaid at the end of the year.
    pub contracts: i64,
    /// The money unpaid on them, in 分.
    pub unpaid: i64,
}

/// The yearly disclosure of overdue payments (逾期未支付中小企业款项情况, due by 31 March of the
/// next year): each purchaser with contracts overdue and unpaid at the end of `year`, how many and
/// how much. Public: it names government bodies, never a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDisclosure {
    pub year: i32,
    /// 31 December of the year: what the figures are as of.
    pub as_of: NaiveDate,
    pub lines: Vec<DisclosureLine>,
    pub contracts: i64,
    pub unpaid: i64,
}

/// The years a disclosure can be read for: the year must be over (its 31 December before today)
/// and not before the registry's first year this platform could hold (2018, the plan's year).
pub fn disclosure_years(app: &App) -> Vec<i32> {
    use chrono::Datelike;
    let last = app.today().year() - 1;
    (2018..=last).rev().collect()
}

/// The disclosure for `year` (see `PaymentDisclosure`); a year not yet over is refused.
pub fn payment_disclosure(app: &App, year: i32) -> AppResult<PaymentDisclosure> {
    use chrono::Datelike;
    if !(2018..app.today().year()).contains(&year) {
        return Err(AppError::BadInput {
            code: "YEAR_INVALID",
            message: format!("{year} 年的付款情况尚不能公开：只能查看已结束的年度（2018 年起）"),
        });
    }
    let as_of = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| AppError::Other(format!("{year}-12-31")))?;
    let mut lines = Vec::new();
    for (owner, contracts, unpaid) in app.store().overdue_unpaid_at(as_of)? {
        let s = app.store().subject(owner)?;
        lines.push(DisclosureLine {
            purchaser: s.name,
            uscc: s.uscc,
            contracts,
            unpaid,
        });
    }
    lines.sort_by(|a, b| b.unpaid.cmp(&a.unpaid).then(a.purchaser.cmp(&b.purchaser)));
    Ok(PaymentDisclosure {
        year,
        as_of,
        contracts: lines.iter().map(|l| l.contracts).sum(),
        unpaid: lines.iter().map(|l| l.unpaid).sum(),
        lines,
    })
}

/// The disclosure as an Excel workbook: one row a purchaser, then the total.
pub fn payment_disclosure_xlsx(d: &PaymentDisclosure) -> AppResult<Vec<u8>> {
    use probity_domain::commitment::money::yuan_plain;
    const HEADERS: &[(&str, &str)] = &[
        ("purchaser", "采购单位"),
        ("uscc", "统一社会信用代码"),
        ("contracts", "逾期未付合同数"),
        ("unpaid", "逾期未付金额（元）"),
        ("as_of", "截至日期"),
    ];
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("payments.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    let as_of = d.as_of.to_string();
    for l in &d.lines {
        w.write_row(&[
            &l.purchaser,
            l.uscc.as_deref().unwrap_or(""),
            &l.contracts.to_string(),
            &yuan_plain(l.unpaid),
            &as_of,
        ])?;
    }
    w.write_row(&[
        "合计",
        "",
        &d.contracts.to_string(),
        &yuan_plain(d.unpaid),
        &as_of,
    ])?;
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))
}

// ---------------------------------------------------------------------------------------------
// The clock

/// What one round of the commitments clock did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockReport {
    /// Draft `PAYMENT_ARREARS` records made (or found made by an earlier round and linked now).
    pub drafted: usize,
    /// Contracts whose arrears are past the grace but could not be drafted (the category's
    /// provider is not on the roster, or the purchaser's row was refused): counted again each
    /// round until put right.
    pub undrafted: usize,
    pub due_soon: i64,
    pub overdue: i64,
}

/// The unit that provides `PAYMENT_ARREARS` records (区财政局), as the catalog names it.
fn arrears_provider(app: &App) -> AppResult<Option<probity_store::Subject>> {
    let catalog = app.store().catalog()?;
    let Some(cat) = catalog.get(ARREARS_CATEGORY) else {
        return Ok(None);
    };
    Ok(match &cat.providers {
        probity_domain::catalog::ProviderRule::Named(names) => {
            names.iter().find_map(|n| app.store().find_unit(n).ok())
        }
        probity_domain::catalog::ProviderRule::AnyUnit => None,
    })
}

/// Drafts a `PAYMENT_ARREARS` record about the purchaser of each contract whose arrears have
/// outlasted the grace on `today`, once per contract, linked to it; never activates one. Safe to
/// run twice: a contract already linked is not read again, and a draft made by a round that
/// stopped before linking is found by its document number and linked.
pub fn clock(app: &App, today: NaiveDate) -> AppResult<ClockReport> {
    let store = app.store();
    let rule = payment_rule(app)?;
    let w = window(app, today, &rule)?;
    let count = |state| {
        store.contract_count(&CommitmentFilter {
            kind: Kind::Procurement,
            owner: None,
            state: Some(state),
            q: None,
            window: w,
        })
    };
    let mut report = ClockReport {
        due_soon: count(State::DueSoon)?,
        overdue: count(State::Overdue)?,
        ..ClockReport::default()
    };
    let mut provider = None;
    let catalog = store.catalog()?;
    let actor = probity_domain::audit::Actor::System(Some("commitments".into())).to_string();
    let mut subjects: HashMap<i64, probity_store::Subject> = HashMap::new();
    let due = store.arrears_without_record(&w)?;
    for ids in due.chunks(2000) {
        let chunk = store.contracts_by_id(ids)?;
        if provider.is_none() {
            provider = arrears_provider(app)?;
        }
        let Some(provider) = &provider else {
            report.undrafted += chunk.len();
            continue;
        };
        let mut import = store.start_import(probity_store::ImportOptions {
            provider: provider.clone(),
            actor: actor.clone(),
            channel: probity_store::Channel::Form,
            source: "采购合同付款时钟".into(),
            activate: false,
            all_or_nothing: false,
        })?;
        import = import.drafts();
        let mut batch = Vec::with_capacity(chunk.len());
        for (i, c) in chunk.iter().enumerate() {
            let (Some(accepted_on), Some(due_on)) = (c.accepted_on, c.due_on) else {
                continue;
            };
            let purchaser = match subjects.get(&c.owner_id) {
                Some(s) => s.clone(),
                None => {
                    let s = store.subject(c.owner_id)?;
                    subjects.insert(c.owner_id, s.clone());
                    s
                }
            };
            let rate = c.agreed_rate.unwrap_or(rule.default_daily_rate);
            let row = Arrears {
                contract_id: c.id,
                purchaser: &purchaser.name,
                purchaser_uscc: purchaser.uscc.as_deref().unwrap_or(""),
                authority: &provider.name,
                contract_no: &c.contract_no,
                title: &c.title,
                supplier: &c.supplier,
                amount: c.amount,
                accepted_on,
                payment_days: c.payment_days,
                due_on,
                rate,
                status: c.position().status(&w, &rule),
                today,
            }
            .record_row();
            match row.validate(&catalog, today) {
                Ok(rec) => batch.push((i, rec)),
                Err(errs) => {
                    tracing::warn!(contract = c.id, ?errs, "arrears record refused");
                    report.undrafted += 1;
                }
            }
        }
        let outcomes = import.push(batch)?;
        import.finish(true)?;
        let links: Vec<(i64, i64)> = outcomes
            .into_iter()
            .filter_map(|(i, o)| match o {
                probity_store::Outcome::Accepted { id }
                | probity_store::Outcome::Duplicate { id } => Some((chunk[i].id, id)),
                probity_store::Outcome::Rejected(errs) => {
                    tracing::warn!(contract = chunk[i].id, ?errs, "arrears record refused");
                    report.undrafted += 1;
                    None
                }
            })
            .collect();
        report.drafted += store.write(|tx| -> probity_store::StoreResult<usize> {
            let mut n = 0;
            for (contract, record) in &links {
                if tx.commitments().link_record(*contract, *record, &actor)? {
                    n += 1;
                }
            }
            Ok(n)
        })?;
    }
    if report.undrafted > 0 && provider.is_none() {
        tracing::warn!(
            contracts = report.undrafted,
            "arrears past the grace, but the PAYMENT_ARREARS provider is not on the roster"
        );
    }
    if report.drafted > 0 {
        tracing::info!(%today, drafted = report.drafted, "payment arrears drafted as records");
    }
    Ok(report)
}
