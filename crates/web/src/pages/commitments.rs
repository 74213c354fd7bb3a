//! The procurement contracts' pages (守信践诺: 政府采购合同履约): the list read as of a day, with
//! filters, counts per state and paging, as Excel too and fit to print
//! (`/console/commitments`); one contract with its payments and the rule it is read under; the
//! import of a file of contracts or of payments with every rejected row; and the payment rule
//! (付款规则) 区财政局 keeps. Who reads which contracts, who may import or set the rule, and where
//! a contract stands are `probity_app::commitments`'s and the domain's; these pages ask and show,
//! in words, never in codes.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::NaiveDate;
use probity_app::AppError;
use probity_app::commitments::{ContractView, ImportArgs, ImportKind, ListQuery};
use probity_domain::Code;
use probity_domain::account::AccountRole;
use probity_domain::commitment::State as Standing;
use probity_domain::commitment::money::{DailyRate, yuan_plain, yuan_text};
use probity_domain::commitment::procurement::{PaymentRule, RuleFields};
use probity_domain::record::FieldError;
use serde::Deserialize;

use super::kit::{
    Ctx, Layout, Opt, PAGE_SIZE, PageForm, PageUpload, field_map, options, xlsx_download,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{blocking, parse_id, truncate};
use crate::http::{PageQuery, PageResult, done, local_time, nonempty, query_string};
use crate::upload::{RejectedRow, import_path, read_rejections};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/commitments", get(list))
        .route("/console/commitments.xlsx", get(export))
        .route(
            "/console/commitments/import",
            get(import_form)
                .post(import)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/console/commitments/rule", get(rule_form).post(save_rule))
        .route("/console/commitments/{id}", get(detail))
}

/// Whether the caller's role keeps the registry (imports, sets the rule): the credit office and
/// the providing departments, of which the use cases admit only 区财政局.
fn keeper(role: AccountRole) -> bool {
    matches!(role, AccountRole::Admin | AccountRole::Provider)
}

/// The rule in words, as the list and a contract state it.
fn rule_text(r: &PaymentRule) -> String {
    format!(
        "付款规则：合同未约定付款期限的，自交付或验收之日起 {} 日内付款（约定期限最长 {} 日）；\
         未约定逾期利率的，按每日 {} 计逾期利息；到期前 {} 个工作日内为“即将到期”；\
         逾期超过 {} 日仍未付清或逾期付款的，平台起草“拖欠企业账款”失信记录，由区财政局确认。",
        r.default_days,
        r.max_days,
        r.default_daily_rate.percent_text(),
        r.warn_working_days,
        r.grace_days
    )
}

/// How a state is marked.
fn tone(s: Standing) -> &'static str {
    match s {
        Standing::Overdue | Standing::Broken => "tag bad",
        Standing::DueSoon => "tag warn",
        Standing::Kept => "tag good",
        Standing::Open => "tag",
    }
}

/// The purchaser the list is filtered by does not read as one unit of the roster.
fn unknown_unit(e: &AppError) -> Option<String> {
    let d = match e {
        AppError::Domain(d) => d,
        AppError::Store(probity_store::StoreError::Domain(d)) => d,
        _ => return None,
    };
    (d.code == Code::ProviderNotFound).then(|| d.message.clone())
}

// ---------------------------------------------------------------------------------------------
// The list

/// The list's filters, as the query string carries them.
#[derive(Debug, Default, Clone, Deserialize)]
struct ListForm {
    /// A state, by its Chinese label (its code is read too).
    state: Option<String>,
    /// The purchaser: name, short name or USCC.
    owner: Option<String>,
    q: Option<String>,
    /// As of this day; today by default.
    today: Option<String>,
    page: Option<String>,
}

impl ListForm {
    fn state(&self) -> Result<Option<Standing>, ApiError> {
        nonempty(&self.state)
            .map(|s| {
                Standing::parse(&s).ok_or_else(|| {
                    ApiError::bad_request(
                        "STATE_INVALID",
                        format!("状态“{}”无效，请从筛选表单中选择", truncate(&s, 20)),
                    )
                })
            })
            .transpose()
    }

    fn today(&self) -> Result<Option<NaiveDate>, ApiError> {
        nonempty(&self.today)
            .map(|t| {
                probity_domain::date::parse_date(&t).map_err(|e| {
                    ApiError::bad_request("QUERY_INVALID", format!("截至日期：{}", e.message))
                })
            })
            .transpose()
    }

    fn page(&self) -> u32 {
        nonempty(&self.page)
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p > 0)
            .unwrap_or(1)
    }

    fn query(&self, today: NaiveDate) -> Result<ListQuery, ApiError> {
        Ok(ListQuery {
            state: self.state()?,
            owner: nonempty(&self.owner),
            q: nonempty(&self.q),
            today: Some(today),
        })
    }

    /// The filters as a query string, the state as `state` says (its label) or left out.
    fn keep(&self, state: Option<Standing>, today: &str) -> String {
        let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
        query_string(&[
            ("state", state.map_or("", |s| s.label())),
            ("owner", &v(&self.owner)),
            ("q", &v(&self.q)),
            ("today", today),
        ])
    }
}

/// `path` with a query string, if any.
fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// A contract as one row of the list, in words.
struct Row {
    href: String,
    contract_no: String,
    title: String,
    purchaser: String,
    supplier: String,
    amount: String,
    due_on: String,
    unpaid: String,
    overdue_days: i64,
    interest: String,
    state: &'static str,
    tone: &'static str,
    record: Option<RecordLink>,
}

/// The draft record about a contract's arrears: a link where the caller may open it.
struct RecordLink {
    href: Option<String>,
    label: String,
}

fn record_link(id: Option<i64>, role: AccountRole) -> Option<RecordLink> {
    let id = id?;
    // A unit's file shows its records once they are in force, not the draft.
    let opens = role != AccountRole::Unit
        && probity_domain::authz::reach_on("GET", "/console/records/{id}", role).is_some();
    Some(RecordLink {
        href: opens.then(|| format!("/console/records/{id}")),
        label: format!("失信记录 #{id}"),
    })
}

fn due_text(v: &ContractView) -> String {
    v.contract
        .due_on
        .map_or_else(|| "尚未交付或验收".to_string(), |d| d.to_string())
}

impl Row {
    fn new(v: &ContractView, role: AccountRole, as_of: &str) -> Row {
        let c = &v.contract;
        Row {
            href: with_query(
                &format!("/console/commitments/{}", c.id),
                &query_string(&[("today", as_of)]),
            ),
            contract_no: c.contract_no.clone(),
            title: c.title.clone(),
            purchaser: v.purchaser.clone(),
            supplier: c.supplier.clone(),
            amount: yuan_text(c.amount),
            due_on: due_text(v),
            unpaid: yuan_text(v.status.unpaid),
            overdue_days: v.status.overdue_days,
            interest: yuan_text(v.status.interest),
            state: v.status.state.label(),
            tone: tone(v.status.state),
            record: record_link(v.record_id, role),
        }
    }
}

/// How many contracts stand in a state, linked to the list of them.
struct Count {
    label: &'static str,
    count: i64,
    href: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "commitments.html")]
struct ListTpl {
    l: Layout,
    keeper: bool,
    rule_text: String,
    error: Option<String>,
    states: Vec<Opt>,
    owner: String,
    q: String,
    today: String,
    printed_on: String,
    filtered: bool,
    export: String,
    all: Count,
    counts: Vec<Count>,
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(f): PageQuery<ListForm>,
) -> PageResult {
    let picked = f.state()?;
    let today = f.today()?.unwrap_or_else(|| state.app.today());
    let query = f.query(today)?;
    let page = f.page();
    let offset = u64::from(page - 1) * u64::from(PAGE_SIZE);
    let app = state.app.clone();
    let who = ctx.caller.who();
    let found = blocking(move || {
        let rule = probity_app::commitments::payment_rule(&app)?;
        let listed = probity_app::commitments::list(&app, &who, query.clone(), offset, PAGE_SIZE);
        let (views, total) = match listed {
            Ok(v) => v,
            // A purchaser the roster does not know: said above an empty list.
            Err(e) => match unknown_unit(&e) {
                Some(m) => return Ok((rule, Err(m))),
                None => return Err(e.into()),
            },
        };
        let mut counts = Vec::with_capacity(Standing::ALL.len() + 1);
        for s in std::iter::once(None).chain(Standing::ALL.map(Some)) {
            let q = ListQuery {
                state: s,
                ..query.clone()
            };
            counts.push(probity_app::commitments::list(&app, &who, q, 0, 1)?.1);
        }
        Ok((rule, Ok((views, total, counts))))
    })
    .await?;
    let (rule, found) = found;
    let as_of = today.to_string();
    let role = ctx.role();
    let (rows, total, counts, error) = match found {
        Ok((views, total, counts)) => (
            views.iter().map(|v| Row::new(v, role, &as_of)).collect(),
            total,
            counts,
            None,
        ),
        Err(m) => (Vec::new(), 0, vec![0; Standing::ALL.len() + 1], Some(m)),
    };
    let given_today = if nonempty(&f.today).is_some() {
        as_of.clone()
    } else {
        String::new()
    };
    let keep = f.keep(picked, &given_today);
    let count = |s: Option<Standing>, n: i64| Count {
        label: s.map_or("全部", |s| s.label()),
        count: n,
        href: with_query("/console/commitments", &f.keep(s, &as_of)),
        selected: s == picked,
    };
    let pages = u32::try_from((total.max(0) as u64).div_ceil(u64::from(PAGE_SIZE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let at_page = |p: u32| {
        let mut q = f.keep(picked, &as_of);
        if p > 1 {
            q = if q.is_empty() {
                format!("page={p}")
            } else {
                format!("{q}&page={p}")
            };
        }
        with_query("/console/commitments", &q)
    };
    let title = if keeper(role) {
        "采购合同履约"
    } else {
        "本单位采购合同"
    };
    let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
    Ok(ctx.page(&ListTpl {
        l: ctx.layout(title),
        keeper: keeper(role),
        rule_text: rule_text(&rule),
        error,
        states: options(
            Standing::ALL
                .iter()
                .map(|s| (s.label().to_string(), s.label().to_string())),
            picked.map_or("", |s| s.label()),
            Some("全部状态"),
        ),
        owner: v(&f.owner),
        q: v(&f.q),
        today: as_of.clone(),
        printed_on: state.app.today().to_string(),
        filtered: !keep.is_empty(),
        export: with_query("/console/commitments.xlsx", &keep),
        all: count(None, counts[0]),
        counts: Standing::ALL
            .iter()
            .zip(&counts[1..])
            .map(|(s, n)| count(Some(*s), *n))
            .collect(),
        rows,
        total,
        page,
        pages,
        prev: (page > 1).then(|| at_page(page - 1)),
        next: (page < pages).then(|| at_page(page + 1)),
    }))
}

// ---------------------------------------------------------------------------------------------
// The list as Excel

/// The most contracts one workbook holds.
const EXPORT_CAP: u64 = 200_000;

/// Contracts read at a time for the workbook.
const EXPORT_PAGE: u32 = 500;

const HEADERS: &[(&str, &str)] = &[
    ("contract_no", "合同编号"),
    ("title", "合同名称"),
    ("purchaser", "采购单位"),
    ("supplier", "供应商"),
    ("supplier_uscc", "供应商统一社会信用代码"),
    ("supplier_sme", "是否中小企业"),
    ("amount", "合同金额（元）"),
    ("accepted_on", "交付或验收日期"),
    ("payment_days", "付款期限（日）"),
    ("due_on", "应付日期"),
    ("paid", "已付金额（元）"),
    ("unpaid", "未付金额（元）"),
    ("overdue_days", "逾期天数"),
    ("daily_rate", "逾期利率（日）"),
    ("interest", "逾期利息（元）"),
    ("state", "状态"),
    ("record_id", "失信记录编号"),
    ("as_of", "截至日期"),
];

fn unwritable(e: probity_ingest::FileError) -> ApiError {
    ApiError::Internal(format!("workbook: {}", e.message))
}

/// The filtered list (every page, within the caller's reach) as an Excel workbook.
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(f): PageQuery<ListForm>,
) -> PageResult {
    let today = f.today()?.unwrap_or_else(|| state.app.today());
    let query = f.query(today)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let bytes = blocking(move || {
        let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
        let path = dir.path().join("commitments.xlsx");
        let mut w =
            probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)
                .map_err(unwritable)?;
        let as_of = today.to_string();
        let mut offset = 0u64;
        loop {
            let (views, total) =
                probity_app::commitments::list(&app, &who, query.clone(), offset, EXPORT_PAGE)?;
            for v in &views {
                let c = &v.contract;
                w.write_row(&[
                    &c.contract_no,
                    &c.title,
                    &v.purchaser,
                    &c.supplier,
                    c.supplier_uscc.as_deref().unwrap_or(""),
                    if c.supplier_sme { "是" } else { "否" },
                    &yuan_plain(c.amount),
                    &c.accepted_on.map(|d| d.to_string()).unwrap_or_default(),
                    &c.payment_days.to_string(),
                    &c.due_on.map(|d| d.to_string()).unwrap_or_default(),
                    &yuan_plain(c.paid),
                    &yuan_plain(v.status.unpaid),
                    &v.status.overdue_days.to_string(),
                    &v.rate.percent_text(),
                    &yuan_plain(v.status.interest),
                    v.status.state.label(),
                    &v.record_id.map(|id| id.to_string()).unwrap_or_default(),
                    &as_of,
                ])
                .map_err(unwritable)?;
            }
            offset += views.len() as u64;
            if views.is_empty() || offset >= total.max(0) as u64 || offset >= EXPORT_CAP {
                break;
            }
        }
        w.finish().map_err(unwritable)?;
        std::fs::read(&path).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(xlsx_download(
        bytes,
        &format!("commitments-{today}.xlsx"),
        &format!("采购合同履约情况-{today}.xlsx"),
    ))
}

// ---------------------------------------------------------------------------------------------
// One contract

#[derive(Debug, Default, Deserialize)]
struct DetailQuery {
    today: Option<String>,
}

struct PaymentLine {
    paid_on: String,
    amount: String,
    voucher_no: String,
    source: String,
}

#[derive(Template)]
#[template(path = "commitment.html")]
struct DetailTpl {
    l: Layout,
    back: String,
    as_of: String,
    printed_on: String,
    contract_no: String,
    title: String,
    purchaser: String,
    supplier: String,
    supplier_uscc: String,
    sme: bool,
    amount: String,
    accepted_on: String,
    payment_days: u32,
    due_on: String,
    paid: String,
    unpaid: String,
    overdue_days: i64,
    rate: String,
    rate_agreed: bool,
    interest: String,
    state: &'static str,
    tone: &'static str,
    record: Option<RecordLink>,
    grace_days: u32,
    rule_text: String,
    payments: Vec<PaymentLine>,
    source: String,
    created_at: String,
}

async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<DetailQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let wanted = nonempty(&q.today)
        .map(|t| {
            probity_domain::date::parse_date(&t).map_err(|e| {
                ApiError::bad_request("QUERY_INVALID", format!("截至日期：{}", e.message))
            })
        })
        .transpose()?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (view, payments, rule, as_of) = blocking(move || {
        let (mut view, payments) = probity_app::commitments::contract(&app, &who, id)?;
        let mut as_of = app.today();
        // The contract as of another day: as the list reads it on that day (the use case reads
        // one contract as of today only).
        if let Some(day) = wanted.filter(|d| *d != as_of) {
            let q = ListQuery {
                q: Some(view.contract.contract_no.clone()),
                today: Some(day),
                ..ListQuery::default()
            };
            let (found, _) = probity_app::commitments::list(&app, &who, q, 0, 500)?;
            if let Some(v) = found.into_iter().find(|v| v.contract.id == id) {
                view = v;
                as_of = day;
            }
        }
        let rule = probity_app::commitments::payment_rule(&app)?;
        Ok((view, payments, rule, as_of))
    })
    .await?;
    let c = &view.contract;
    let as_of_text = as_of.to_string();
    Ok(ctx.page(&DetailTpl {
        l: ctx.layout(&format!("采购合同 {}", c.contract_no)),
        back: with_query(
            "/console/commitments",
            &query_string(&[("today", &as_of_text)]),
        ),
        printed_on: state.app.today().to_string(),
        contract_no: c.contract_no.clone(),
        title: c.title.clone(),
        purchaser: view.purchaser.clone(),
        supplier: c.supplier.clone(),
        supplier_uscc: c.supplier_uscc.clone().unwrap_or_default(),
        sme: c.supplier_sme,
        amount: yuan_text(c.amount),
        accepted_on: c
            .accepted_on
            .map_or_else(|| "尚未交付或验收".to_string(), |d| d.to_string()),
        payment_days: c.payment_days,
        due_on: due_text(&view),
        paid: yuan_text(c.paid),
        unpaid: yuan_text(view.status.unpaid),
        overdue_days: view.status.overdue_days,
        rate: view.rate.percent_text(),
        rate_agreed: c.agreed_rate.is_some(),
        interest: yuan_text(view.status.interest),
        state: view.status.state.label(),
        tone: tone(view.status.state),
        record: record_link(view.record_id, ctx.role()),
        grace_days: rule.grace_days,
        rule_text: rule_text(&rule),
        payments: payments
            .iter()
            .map(|p| PaymentLine {
                paid_on: p.paid_on.to_string(),
                amount: yuan_text(p.amount),
                voucher_no: p.voucher_no.clone().unwrap_or_default(),
                source: p.source.clone(),
            })
            .collect(),
        source: c.source.clone(),
        created_at: local_time(&c.created_at),
        as_of: as_of_text,
    }))
}

// ---------------------------------------------------------------------------------------------
// The import

/// The largest file the page takes (kept in memory while it is sent).
const IMPORT_FILE_LIMIT: usize = 20 * 1024 * 1024;

/// The body of the import form: the file and the fields around it.
const IMPORT_BODY_LIMIT: usize = IMPORT_FILE_LIMIT + 1024 * 1024;

/// The most rejected rows the page lists.
const MAX_LISTED: usize = 10_000;

/// A column of a kind of file, as the form describes it.
struct ColumnLine {
    header: &'static str,
    required: bool,
}

fn columns_of(kind: ImportKind) -> Vec<ColumnLine> {
    kind.columns()
        .iter()
        .map(|c| ColumnLine {
            header: c.header,
            required: c.required,
        })
        .collect()
}

/// What an import did.
struct Outcome {
    what: &'static str,
    file: String,
    accepted: u64,
    duplicates: u64,
    updated: u64,
    rejected: u64,
    rows: Vec<RejectedRow>,
    /// More faults than the page lists.
    cut: bool,
}

#[derive(Template)]
#[template(path = "commitment_import.html")]
struct ImportTpl {
    l: Layout,
    kinds: Vec<Opt>,
    contract_columns: Vec<ColumnLine>,
    payment_columns: Vec<ColumnLine>,
    limit_mb: usize,
    error: Option<String>,
    outcome: Option<Outcome>,
}

fn kind_label(k: ImportKind) -> &'static str {
    match k {
        ImportKind::Contracts => "采购合同",
        ImportKind::Payments => "付款记录",
    }
}

fn kind_value(k: ImportKind) -> &'static str {
    match k {
        ImportKind::Contracts => "contracts",
        ImportKind::Payments => "payments",
    }
}

fn render_import(
    ctx: &Ctx,
    kind: &str,
    error: Option<String>,
    outcome: Option<Outcome>,
    status: StatusCode,
) -> PageResult {
    let mut res = ctx.page(&ImportTpl {
        l: ctx.layout("导入采购合同和付款记录"),
        kinds: options(
            [ImportKind::Contracts, ImportKind::Payments]
                .into_iter()
                .map(|k| (kind_value(k).to_string(), kind_label(k).to_string())),
            kind,
            None,
        ),
        contract_columns: columns_of(ImportKind::Contracts),
        payment_columns: columns_of(ImportKind::Payments),
        limit_mb: IMPORT_FILE_LIMIT / (1024 * 1024),
        error,
        outcome,
    });
    *res.status_mut() = status;
    Ok(res)
}

async fn import_form(ctx: Ctx) -> PageResult {
    render_import(&ctx, "contracts", None, None, StatusCode::OK)
}

async fn import(State(state): State<AppState>, up: PageUpload<IMPORT_FILE_LIMIT>) -> PageResult {
    let PageUpload { ctx, fields, files } = up;
    let sent_kind = fields
        .get("kind")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    let kind = match sent_kind.as_str() {
        "contracts" => ImportKind::Contracts,
        "payments" => ImportKind::Payments,
        _ => {
            return render_import(
                &ctx,
                "contracts",
                Some("请选择导入的内容：采购合同或付款记录".into()),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let Some((_, file)) = files.into_iter().find(|(name, _)| name == "file") else {
        return render_import(
            &ctx,
            &sent_kind,
            Some("请选择要导入的文件（CSV 或 Excel）".into()),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    let file_name = file.file_name.clone();
    let outcome = blocking(move || {
        let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
        let path = import_path(dir.path(), Some(&file.file_name), None);
        std::fs::write(&path, &file.bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
        let report = dir.path().join("rejected.jsonl");
        let done_ = probity_app::commitments::import_as(
            &app,
            &who,
            ImportArgs {
                file: &path,
                kind,
                errors: Some(report.clone()),
                batch_size: 5_000,
                actor: who.name(),
                today: app.today(),
                progress: None,
            },
        );
        Ok(match done_ {
            Ok(s) => Ok((s, read_rejections(&report, kind.columns(), MAX_LISTED + 1)?)),
            Err(e) => Err(ApiError::from(e)),
        })
    })
    .await?;
    match outcome {
        Ok((s, mut rows)) => {
            let cut = rows.len() > MAX_LISTED;
            rows.truncate(MAX_LISTED);
            render_import(
                &ctx,
                &sent_kind,
                None,
                Some(Outcome {
                    what: kind_label(kind),
                    file: probity_domain::attachment::safe_file_name(&file_name),
                    accepted: s.accepted,
                    duplicates: s.duplicates,
                    updated: s.updated,
                    rejected: s.rejected,
                    rows,
                    cut,
                }),
                StatusCode::OK,
            )
        }
        // Who may not, and failures: the error page. A file that cannot be read: on the form.
        Err(e @ (ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Internal(_))) => {
            Err(e.into())
        }
        Err(e) => {
            let status = e.status();
            render_import(
                &ctx,
                &sent_kind,
                Some(format!("文件未导入：{}", e.detail().message)),
                None,
                status,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The payment rule

/// A field of the rule's form.
struct RuleField {
    key: &'static str,
    name: &'static str,
    unit: &'static str,
    hint: &'static str,
    value: String,
    default: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "commitment_rule.html")]
struct RuleTpl {
    l: Layout,
    fields: Vec<RuleField>,
    error: Option<String>,
}

/// The form's fields: (key, name, unit, hint).
const RULE_FIELDS: [(&str, &str, &str, &str); 5] = [
    (
        "default_days",
        "默认付款期限",
        "日",
        "合同未约定付款期限时，自交付或验收之日起的付款期限（条例：30 日）",
    ),
    (
        "max_days",
        "最长付款期限",
        "日",
        "合同可以约定的最长付款期限（条例：60 日）",
    ),
    (
        "default_daily_rate",
        "默认逾期利率",
        "每日",
        "合同未约定逾期利率时按此计息，可写作 0.05%、0.0005 或“万分之五”（条例：每日 0.05%）",
    ),
    (
        "grace_days",
        "起草失信记录前的宽限期",
        "日",
        "逾期超过此天数仍未付清的，平台起草“拖欠企业账款”失信记录，由区财政局确认",
    ),
    (
        "warn_working_days",
        "预警提前量",
        "个工作日",
        "到期前此数个工作日内的合同列为“即将到期”",
    ),
];

fn rule_values(r: &PaymentRule) -> [String; 5] {
    [
        r.default_days.to_string(),
        r.max_days.to_string(),
        r.default_daily_rate.percent_text(),
        r.grace_days.to_string(),
        r.warn_working_days.to_string(),
    ]
}

async fn render_rule(
    state: &AppState,
    ctx: &Ctx,
    typed: Option<&HashMap<String, String>>,
    errors: HashMap<&'static str, String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let rule = blocking(move || Ok(probity_app::commitments::payment_rule(&app)?)).await?;
    let now = rule_values(&rule);
    let defaults = rule_values(&PaymentRule::default());
    let fields = RULE_FIELDS
        .iter()
        .zip(now)
        .zip(defaults)
        .map(|(((key, name, unit, hint), value), default)| RuleField {
            key,
            name,
            unit,
            hint,
            value: typed.and_then(|t| t.get(*key).cloned()).unwrap_or(value),
            default,
            error: errors.get(key).cloned(),
        })
        .collect();
    let mut res = ctx.page(&RuleTpl {
        l: ctx.layout("付款规则"),
        fields,
        error: (!errors.is_empty()).then(|| "付款规则有误，请按提示修改后再保存（未保存）".into()),
    });
    *res.status_mut() = status;
    Ok(res)
}

async fn rule_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    render_rule(&state, &ctx, None, HashMap::new(), StatusCode::OK).await
}

/// The typed rule, or every problem of the form at once: what is missing or not a number, and
/// the rule's own problems with the values that are.
fn typed_rule(form: &HashMap<String, String>) -> Result<PaymentRule, Vec<FieldError>> {
    let mut errs = Vec::new();
    let text = |k: &str| form.get(k).map(|s| s.trim()).unwrap_or("");
    let mut bad = |column: &'static str, message: String| {
        errs.push(FieldError {
            column,
            error: probity_domain::DomainError::new(Code::CommitmentRuleInvalid, message),
        })
    };
    let mut days = |key: &'static str, name: &str| -> Option<u32> {
        let t = text(key);
        match t.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) if t.is_empty() => {
                bad(key, format!("请填写{name}"));
                None
            }
            Err(_) => {
                bad(
                    key,
                    format!("{name}应为不小于 0 的整数，现为“{}”", truncate(t, 20)),
                );
                None
            }
        }
    };
    let default_days = days("default_days", "默认付款期限");
    let max_days = days("max_days", "最长付款期限");
    let grace_days = days("grace_days", "宽限期");
    let warn_working_days = days("warn_working_days", "预警提前量");
    let rate = match text("default_daily_rate") {
        "" => {
            bad("default_daily_rate", "请填写默认逾期利率".into());
            None
        }
        t => match DailyRate::parse(t, "默认逾期利率") {
            Ok(r) => Some(r),
            Err(error) => {
                errs.push(FieldError {
                    column: "default_daily_rate",
                    error,
                });
                None
            }
        },
    };
    let read = RuleFields {
        default_days,
        max_days,
        default_daily_rate: rate,
        grace_days,
        warn_working_days,
    };
    PaymentRule::from_fields(read, errs)
}

async fn save_rule(
    State(state): State<AppState>,
    p: PageForm<HashMap<String, String>>,
) -> PageResult {
    let PageForm { ctx, form } = p;
    let rule = match typed_rule(&form) {
        Ok(r) => r,
        Err(errs) => {
            return render_rule(
                &state,
                &ctx,
                Some(&form),
                field_map(errs, "default_days"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    match blocking(move || Ok(probity_app::commitments::set_payment_rule(&app, &who, rule))).await?
    {
        Ok(true) => Ok(done(
            "/console/commitments/rule",
            "已保存付款规则；合同按新规则计算履约情况",
        )),
        Ok(false) => Ok(done("/console/commitments/rule", "付款规则没有变化")),
        Err(AppError::Fields(errs)) => {
            render_rule(
                &state,
                &ctx,
                Some(&form),
                field_map(errs, "default_days"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_rule_form_answers_every_problem_at_once() {
        let errs = typed_rule(&form(&[
            ("default_days", "abc"),
            ("max_days", "400"),
            ("default_daily_rate", "2%"),
            ("grace_days", ""),
            ("warn_working_days", "5"),
        ]))
        .unwrap_err();
        let mut cols: Vec<&str> = errs.iter().map(|e| e.column).collect();
        cols.sort();
        assert_eq!(
            cols,
            [
                "default_daily_rate",
                "default_days",
                "grace_days",
                "max_days"
            ]
        );
        let ok = typed_rule(&form(&[
            ("default_days", "30"),
            ("max_days", "60"),
            ("default_daily_rate", "0.05%"),
            ("grace_days", "30"),
            ("warn_working_days", "5"),
        ]))
        .unwrap();
        assert_eq!(ok, PaymentRule::default());
    }

    #[test]
    fn the_rule_reads_in_chinese_without_codes() {
        let t = rule_text(&PaymentRule::default());
        assert!(t.contains("30 日内付款") && t.contains("每日 0.05%"), "{t}");
        assert!(!t.contains("PAYMENT_ARREARS"), "{t}");
    }
}
