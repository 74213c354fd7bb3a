//! `/api/v1/commitments`: the registry of government procurement contracts (政府采购合同履约) and
//! their payments, as JSON: a page of contracts read as of a day with where each stands, one
//! contract with its payments, the import of a file of contracts or of payments, and the payment
//! rule (付款规则) 区财政局 keeps. Who reads which contracts, and who may import or set the rule,
//! is `probity_app::commitments`'s; where a contract stands is the domain's.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use probity_app::commitments::{ContractView, ImportArgs, ImportKind, ListQuery};
use probity_domain::commitment::money::{DailyRate, yuan_plain};
use probity_domain::commitment::procurement::{PaymentRule, RuleFields};
use probity_domain::commitment::{Kind, State as Standing};
use probity_domain::record::FieldError;
use probity_domain::{Code, DomainError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::ImportIssue;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, field_issues};
use crate::extract::{Body, Params, blocking, parse_id, truncate};
use crate::upload::{body_to_file, import_format, import_path, read_rejections};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contracts))
        .routes(routes!(get_contract))
        .routes(routes!(import_file))
        .routes(routes!(get_payment_rule, put_payment_rule))
}

/// Largest file of contracts or payments the import accepts.
pub const IMPORT_LIMIT: u64 = 100 * 1024 * 1024;

/// The most rejected rows an import's answer lists (its counts cover them all).
pub const MAX_LISTED: usize = 10_000;

/// The largest page of contracts.
pub const MAX_PER_PAGE: u32 = 500;

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ContractQuery {
    /// procurement (政府采购合同, the only kind so far and the default).
    pub kind: Option<String>,
    /// open (履行中), due_soon (即将到期), overdue (已逾期), kept (按期履行) or broken (违约); the
    /// Chinese label is accepted too.
    pub state: Option<String>,
    /// The purchaser (采购单位): its name, short name or USCC. The credit office and 区财政局 only;
    /// a unit always sees its own contracts.
    pub owner: Option<String>,
    /// Words in the contract number, its title or the supplier.
    pub q: Option<String>,
    /// The day the contracts are read as of (YYYY-MM-DD); today by default.
    pub today: Option<String>,
    /// From 1 (the default).
    pub page: Option<u32>,
    /// 1 to 500, default 50.
    pub per_page: Option<u32>,
}

/// The list's state filter, or why it is not one.
fn standing_of(s: &str) -> Result<Standing, ApiError> {
    Standing::parse(s).ok_or_else(|| {
        let all: Vec<String> = Standing::ALL
            .iter()
            .map(|s| format!("{}（{}）", s.code(), s.label()))
            .collect();
        ApiError::bad_request(
            "STATE_INVALID",
            format!(
                "状态“{}”无效：应为 {}",
                truncate(s.trim(), 20),
                all.join("、")
            ),
        )
    })
}

fn kind_of(s: &str) -> Result<Kind, ApiError> {
    Kind::parse(s).ok_or_else(|| {
        let all: Vec<String> = Kind::ALL
            .iter()
            .map(|k| format!("{}（{}）", k.code(), k.label()))
            .collect();
        ApiError::bad_request(
            "KIND_INVALID",
            format!(
                "承诺种类“{}”无效：应为 {}",
                truncate(s.trim(), 20),
                all.join("、")
            ),
        )
    })
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ContractQuery {
    fn list_query(&self) -> Result<ListQuery, ApiError> {
        if let Some(k) = nonempty(&self.kind) {
            // One kind so far: checked, so that a new kind is never read as this one.
            kind_of(k)?;
        }
        let today = match nonempty(&self.today) {
            None => None,
            Some(t) => Some(probity_domain::date::parse_date(t).map_err(|e| {
                ApiError::bad_request("QUERY_INVALID", format!("today：{}", e.message))
            })?),
        };
        Ok(ListQuery {
            state: nonempty(&self.state).map(standing_of).transpose()?,
            owner: nonempty(&self.owner).map(str::to_string),
            q: nonempty(&self.q).map(str::to_string),
            today,
        })
    }

    fn paging(&self) -> Result<(u32, u32), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if page == 0 {
            return Err(ApiError::bad_request("QUERY_INVALID", "page 应从 1 开始"));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(ApiError::bad_request(
                "QUERY_INVALID",
                format!("per_page 应在 1 到 {MAX_PER_PAGE} 之间"),
            ));
        }
        Ok((page, per_page))
    }
}

/// What every contract answer says of a contract: its terms, what was paid, and where it stands
/// as of the day read (`ContractView::to_json`, whose keys a test holds to these).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractFields {
    pub id: i64,
    /// procurement.
    pub kind: String,
    /// The purchaser's name (采购单位).
    pub purchaser: String,
    pub contract_no: String,
    pub title: String,
    pub supplier: String,
    pub supplier_uscc: Option<String>,
    /// The supplier is a small or medium enterprise (中小企业).
    pub supplier_sme: bool,
    /// 元, two decimals: "1000000.00".
    pub amount: String,
    /// Delivery, or passing acceptance (交付或验收日期); absent while not delivered.
    pub accepted_on: Option<String>,
    /// The term in calendar days (agreed, or the rule's default).
    pub payment_days: u32,
    /// The last day to pay (应付日期).
    pub due_on: Option<String>,
    pub paid: String,
    pub unpaid: String,
    /// Days past the due date: while money is unpaid, as of the day read; once paid in full,
    /// how late the last of it came.
    pub overdue_days: i64,
    /// The daily late-payment rate applied (agreed, or the rule's): "0.05%".
    pub daily_rate: String,
    /// Late interest (逾期利息), 元.
    pub interest: String,
    /// open, due_soon, overdue, kept or broken.
    pub state: String,
    /// 履行中, 即将到期, 已逾期, 按期履行 or 违约.
    pub state_label: String,
    /// The draft record about the arrears (拖欠企业账款), once the grace has passed.
    pub record_id: Option<i64>,
}

/// A contract in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractItem {
    #[serde(flatten)]
    pub fields: ContractFields,
    /// How many payments are registered.
    pub payments: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractPage {
    /// How many contracts the filter selects in all.
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    /// The day the states are read as of.
    pub today: String,
    #[schema(value_type = Vec<ContractItem>)]
    pub items: Vec<serde_json::Value>,
}

/// Procurement contracts, a page at a time, each read as of `today`: the credit office and
/// 区财政局 see every purchaser's, a unit its own.
#[utoipa::path(get, path = "/api/v1/commitments", tag = "commitments", params(ContractQuery),
    responses((status = 200, body = ContractPage), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_contracts(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<ContractQuery>,
) -> Result<Json<ContractPage>, ApiError> {
    let query = q.list_query()?;
    let (page, per_page) = q.paging()?;
    let offset = u64::from(page - 1) * u64::from(per_page);
    let app = state.app.clone();
    let (items, total, today) = blocking(move || {
        let today = query.today.unwrap_or_else(|| app.today());
        let q = ListQuery {
            today: Some(today),
            ..query
        };
        let (views, total) =
            probity_app::commitments::list(&app, &caller.who(), q, offset, per_page)?;
        Ok((
            views.iter().map(ContractView::to_json).collect(),
            total,
            today,
        ))
    })
    .await?;
    Ok(Json(ContractPage {
        total,
        page,
        per_page,
        today: today.to_string(),
        items,
    }))
}

// ---------------------------------------------------------------------------------------------
// One contract

/// A payment of a contract (付款记录).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentItem {
    pub paid_on: String,
    /// 元, two decimals.
    pub amount: String,
    /// The payment voucher's number (付款凭证号), where the procurement system gave one.
    pub voucher_no: Option<String>,
}

/// One contract with its payments and the rule it is read under.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractDetail {
    #[serde(flatten)]
    pub fields: ContractFields,
    /// Oldest first.
    pub payments: Vec<PaymentItem>,
    pub payment_count: i64,
    /// The day it is read as of (today).
    pub as_of: String,
    /// The daily rate is the contract's own (约定), not the rule's default.
    pub rate_agreed: bool,
    /// Calendar days overdue before the arrears are drafted as a record (the rule's grace).
    pub grace_days: u32,
}

/// One procurement contract with its payments, as of today; a unit's own only.
#[utoipa::path(get, path = "/api/v1/commitments/{id}", tag = "commitments",
    params(("id" = i64, Path, description = "The contract's id")),
    responses((status = 200, body = ContractDetail), (status = 404, body = ErrorBody)))]
async fn get_contract(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let body = blocking(move || {
        let (view, payments) = probity_app::commitments::contract(&app, &caller.who(), id)?;
        let rule = probity_app::commitments::payment_rule(&app)?;
        let mut v = view.to_json();
        if let Some(o) = v.as_object_mut() {
            let count = o.remove("payments").unwrap_or_default();
            o.insert("payment_count".into(), count);
            let list: Vec<PaymentItem> = payments
                .iter()
                .map(|p| PaymentItem {
                    paid_on: p.paid_on.to_string(),
                    amount: yuan_plain(p.amount),
                    voucher_no: p.voucher_no.clone(),
                })
                .collect();
            o.insert("payments".into(), serde_json::json!(list));
            o.insert("as_of".into(), serde_json::json!(app.today().to_string()));
            o.insert(
                "rate_agreed".into(),
                serde_json::json!(view.contract.agreed_rate.is_some()),
            );
            o.insert("grace_days".into(), serde_json::json!(rule.grace_days));
        }
        Ok(v)
    })
    .await?;
    Ok(Json(body))
}

// ---------------------------------------------------------------------------------------------
// The import

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CommitmentImportQuery {
    /// procurement (采购合同) or payments (付款记录).
    pub kind: Option<String>,
    /// csv, xlsx or jsonl; otherwise from Content-Type, else from the content.
    pub format: Option<String>,
    /// The file's name, recorded as the rows' provenance.
    pub filename: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentImportReport {
    /// procurement or payments.
    pub kind: String,
    pub accepted: u64,
    /// Rows the registry already held as they are.
    pub duplicates: u64,
    /// Contracts whose row changed since it was last sent.
    pub updated: u64,
    /// Rows refused (none of their content written).
    pub rejected: u64,
    /// Every fault of every rejected row, with its column and reason (at most 10,000).
    pub errors: Vec<ImportIssue>,
}

/// Imports a file of procurement contracts or of their payments (CSV in UTF-8 or GBK, XLSX,
/// JSONL) sent as the request body, every rejected row reported with its row, column and
/// reason; the credit office's and 区财政局's only.
#[utoipa::path(post, path = "/api/v1/commitments/import", tag = "commitments",
    params(CommitmentImportQuery),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "The file, as is."),
    responses((status = 200, body = CommitmentImportReport), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn import_file(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Params(q): Params<CommitmentImportQuery>,
    body: axum::body::Body,
) -> Result<Json<CommitmentImportReport>, ApiError> {
    let kind = match nonempty(&q.kind) {
        Some("procurement") => ImportKind::Contracts,
        Some("payments") => ImportKind::Payments,
        _ => {
            return Err(ApiError::bad_request(
                "KIND_INVALID",
                "kind 应为 procurement（采购合同）或 payments（付款记录）",
            ));
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ext = import_format(q.format.as_deref(), content_type)?;
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(format!("temp dir: {e}")))?;
    let path = import_path(dir.path(), q.filename.as_deref(), ext);
    body_to_file(&headers, body, &path, IMPORT_LIMIT).await?;
    let app = state.app.clone();
    let (summary, errors) = blocking(move || {
        let who = caller.who();
        // Every rejected row goes to a report beside the file, read back for the answer.
        let report = dir.path().join("rejected.jsonl");
        let summary = probity_app::commitments::import_as(
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
        )?;
        let errors = read_rejections(&report, kind.columns(), MAX_LISTED)?;
        drop(dir);
        Ok((summary, errors))
    })
    .await?;
    Ok(Json(CommitmentImportReport {
        kind: match kind {
            ImportKind::Contracts => "procurement",
            ImportKind::Payments => "payments",
        }
        .into(),
        accepted: summary.accepted,
        duplicates: summary.duplicates,
        updated: summary.updated,
        rejected: summary.rejected,
        errors: errors
            .into_iter()
            .map(|r| ImportIssue {
                row: r.row,
                column: r.column.to_string(),
                header: r.header.to_string(),
                code: r.code,
                message: r.message,
            })
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------------------
// The payment rule

/// The payment rule (付款规则) in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRuleView {
    /// The term when a contract agrees none (条例: 30 days).
    pub default_days: u32,
    /// The longest term a contract may agree (条例: 60 days).
    pub max_days: u32,
    /// The daily late-payment rate when a contract agrees none (条例: "0.05%").
    pub default_daily_rate: String,
    /// Calendar days overdue before a draft 拖欠企业账款 record (区财政局's choice).
    pub grace_days: u32,
    /// A contract due within this many working days is due soon (预警).
    pub warn_working_days: u32,
    /// Whether this request changed it (on PUT).
    pub changed: bool,
}

impl PaymentRuleView {
    fn of(r: &PaymentRule, changed: bool) -> PaymentRuleView {
        PaymentRuleView {
            default_days: r.default_days,
            max_days: r.max_days,
            default_daily_rate: r.default_daily_rate.percent_text(),
            grace_days: r.grace_days,
            warn_working_days: r.warn_working_days,
            changed,
        }
    }
}

/// The payment rule to save: every key is required; every problem is answered at once, at its
/// field, and nothing is saved while one is wrong.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRuleBody {
    pub default_days: Option<i64>,
    pub max_days: Option<i64>,
    /// "0.05%", "0.0005" or "万分之五".
    pub default_daily_rate: Option<String>,
    pub grace_days: Option<i64>,
    pub warn_working_days: Option<i64>,
}

/// The rule's fields as people name them.
const RULE_FIELDS: [(&str, &str); 5] = [
    ("default_days", "默认付款期限"),
    ("max_days", "最长付款期限"),
    ("default_daily_rate", "默认逾期利率"),
    ("grace_days", "起草失信记录前的宽限期"),
    ("warn_working_days", "预警提前量"),
];

fn label(field: &str) -> &'static str {
    RULE_FIELDS
        .iter()
        .find(|(k, _)| *k == field)
        .map_or("", |(_, l)| l)
}

impl PaymentRuleBody {
    /// The rule, or every problem of the body at once: the values that are missing or not
    /// numbers, and the rule's own problems with the values that are.
    fn rule(self) -> Result<PaymentRule, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut bad = |column: &'static str, code: Code, message: String| {
            errs.push(FieldError {
                column,
                error: DomainError::new(code, message),
            })
        };
        let mut days = |column: &'static str, v: Option<i64>| -> Option<u32> {
            match v {
                None => {
                    bad(column, Code::Required, format!("请填写{}", label(column)));
                    None
                }
                Some(n) => u32::try_from(n).ok().or_else(|| {
                    bad(
                        column,
                        Code::CommitmentRuleInvalid,
                        format!("{}应为不小于 0 的整数，现为 {n}", label(column)),
                    );
                    None
                }),
            }
        };
        let default_days = days("default_days", self.default_days);
        let max_days = days("max_days", self.max_days);
        let grace_days = days("grace_days", self.grace_days);
        let warn_working_days = days("warn_working_days", self.warn_working_days);
        let rate = match self.default_daily_rate.as_deref().map(str::trim) {
            None | Some("") => {
                bad(
                    "default_daily_rate",
                    Code::Required,
                    "请填写默认逾期利率".into(),
                );
                None
            }
            Some(t) => match DailyRate::parse(t, "默认逾期利率") {
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
        let mut errs = match PaymentRule::from_fields(read, errs) {
            Ok(rule) => return Ok(rule),
            Err(errs) => errs,
        };
        let order = |c: &str| RULE_FIELDS.iter().position(|(k, _)| *k == c);
        errs.sort_by_key(|e| order(e.column));
        Err(errs)
    }
}

/// The payment rule in force.
#[utoipa::path(get, path = "/api/v1/commitments/payment-rule", tag = "commitments",
    responses((status = 200, body = PaymentRuleView)))]
async fn get_payment_rule(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<PaymentRuleView>, ApiError> {
    let app = state.app.clone();
    let rule = blocking(move || Ok(probity_app::commitments::payment_rule(&app)?)).await?;
    Ok(Json(PaymentRuleView::of(&rule, false)))
}

/// The credit office or 区财政局 sets the payment rule (every key; every problem at once, nothing
/// saved when one is wrong). Contracts are read under the new rule from then on.
#[utoipa::path(put, path = "/api/v1/commitments/payment-rule", tag = "commitments",
    request_body = PaymentRuleBody,
    responses((status = 200, body = PaymentRuleView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_payment_rule(
    State(state): State<AppState>,
    caller: Caller,
    Body(input): Body<PaymentRuleBody>,
) -> Result<Json<PaymentRuleView>, ApiError> {
    let rule = input.rule().map_err(field_issues)?;
    let app = state.app.clone();
    let (changed, rule) = blocking(move || {
        let changed = probity_app::commitments::set_payment_rule(&app, &caller.who(), rule)?;
        Ok((changed, probity_app::commitments::payment_rule(&app)?))
    })
    .await?;
    Ok(Json(PaymentRuleView::of(&rule, changed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: serde_json::Value) -> PaymentRuleBody {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_rule_body_answers_every_problem_at_its_field() {
        let errs = body(serde_json::json!({
            "default_days": 90, "max_days": 60, "default_daily_rate": "5%",
            "grace_days": -1, "warn_working_days": 61
        }))
        .rule()
        .unwrap_err();
        let cols: Vec<&str> = errs.iter().map(|e| e.column).collect();
        assert_eq!(
            cols,
            [
                "default_days",
                "default_daily_rate",
                "grace_days",
                "warn_working_days"
            ]
        );
        assert_eq!(errs[1].error.code, Code::RateInvalid);
        let errs = body(serde_json::json!({})).rule().unwrap_err();
        assert_eq!(errs.len(), 5);
        assert!(errs.iter().all(|e| e.error.code == Code::Required));
        // An unreadable longest term does not make the default term wrong.
        let errs = body(serde_json::json!({
            "default_days": 30, "max_days": -5, "default_daily_rate": "0.05%",
            "grace_days": 30, "warn_working_days": 5
        }))
        .rule()
        .unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        let ok = body(serde_json::json!({
            "default_days": 30, "max_days": 60, "default_daily_rate": "万分之五",
            "grace_days": 15, "warn_working_days": 5
        }))
        .rule()
        .unwrap();
        assert_eq!(ok.grace_days, 15);
        assert_eq!(ok.default_daily_rate, DailyRate(50_000));
    }

    #[test]
    fn a_bad_state_or_kind_is_named_in_chinese() {
        assert_eq!(standing_of("已逾期").unwrap(), Standing::Overdue);
        assert_eq!(standing_of("overdue").unwrap(), Standing::Overdue);
        let e = standing_of("late").unwrap_err();
        assert_eq!(e.detail().code, "STATE_INVALID");
        assert!(e.detail().message.contains("overdue（已逾期）"));
        assert_eq!(kind_of("x").unwrap_err().detail().code, "KIND_INVALID");
    }
}
