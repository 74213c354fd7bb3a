//! The credit office's roster and catalog pages, and the three administrators' pages (三员分立):
//! the system administrator's accounts and tokens, the security administrator's roles, the
//! auditor's journal.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use probity_app::AppError;
use probity_app::accounts::Change;
use probity_domain::account::AccountRole;
use probity_domain::catalog::{Category, DisclosureBounds, Scope, Severity};
use probity_domain::duties::{self, AccountAction, Actor, Target};
use probity_domain::record::FieldError;
use probity_domain::subject::SubjectKind;
use probity_domain::{Code, DomainError};
use probity_store::Account;
use serde::Deserialize;

use super::kit::{Ctx, Layout, PAGE_SIZE, PageForm};
use super::kit::{Opt, options as opts};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{blocking, parse_id};
use crate::http::{PageError, PageResult, done, local_time, nonempty};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/subjects", get(subjects))
        .route("/console/subjects.xlsx", get(subjects_export))
        .route("/console/catalog", get(catalog_page).post(save_category))
        .route("/console/accounts", get(accounts).post(create_account))
        .route("/console/accounts.xlsx", get(accounts_export))
        .route(
            "/console/accounts/{id}/contact",
            get(contact_form).post(save_contact),
        )
        .route("/console/accounts/{id}/role", post(set_role))
        .route("/console/accounts/{id}/disable", post(disable))
        .route("/console/accounts/{id}/enable", post(enable))
        .route("/console/accounts/{id}/unlock", post(unlock))
        .route(
            "/console/accounts/{id}/reset-password",
            post(reset_password),
        )
        .route("/console/accounts/{id}/reset-totp", post(reset_totp))
        .route("/console/tokens", get(own_tokens).post(issue_own_token))
        .route("/console/tokens/{id}/revoke", post(revoke_token))
        .route("/console/audit", get(audit))
        .route("/console/audit.xlsx", get(audit_export))
}

// ---------------------------------------------------------------------------------------------
// Subjects

pub struct SubjectRow {
    pub id: i64,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub code: String,
    pub position: String,
    /// A civil servant's unit (所在单位); a unit's parent.
    pub unit: String,
}

#[derive(Template)]
#[template(path = "subjects.html")]
struct SubjectsTpl {
    l: Layout,
    items: Vec<SubjectRow>,
    kinds: Vec<Opt>,
    name: String,
    total: usize,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SubjectQuery {
    kind: Option<String>,
    name: Option<String>,
    after: Option<String>,
}

async fn subjects(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<SubjectQuery>,
) -> PageResult {
    let kind = nonempty(&q.kind)
        .map(|k| SubjectKind::parse(&k))
        .transpose()?;
    let name = nonempty(&q.name);
    let after = nonempty(&q.after)
        .map(|a| parse_id(&a))
        .transpose()?
        .unwrap_or(0);
    let app = state.app.clone();
    let all = blocking(move || Ok(probity_app::roster::all(&app)?)).await?;
    let names: std::collections::HashMap<i64, String> = all
        .iter()
        .map(|s| (s.id, s.short_name.clone().unwrap_or_else(|| s.name.clone())))
        .collect();
    let mut matching: Vec<_> = all
        .iter()
        .filter(|s| kind.is_none_or(|k| s.kind == k))
        .filter(|s| {
            name.as_deref().is_none_or(|n| {
                s.name.contains(n) || s.short_name.as_deref().is_some_and(|x| x.contains(n))
            })
        })
        .collect();
    matching.sort_by_key(|s| s.id);
    let total = matching.len();
    let page: Vec<_> = matching
        .into_iter()
        .filter(|s| s.id > after)
        .take(PAGE_SIZE as usize + 1)
        .collect();
    let more = page.len() > PAGE_SIZE as usize;
    let items: Vec<SubjectRow> = page
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|s| SubjectRow {
            id: s.id,
            name: s.name.clone(),
            short_name: s.short_name.clone().unwrap_or_default(),
            kind: s.kind.label().to_string(),
            code: s.uscc.clone().or(s.id_masked.clone()).unwrap_or_default(),
            position: s.position.clone().unwrap_or_default(),
            unit: s
                .unit_id
                .or(s.parent_id)
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_default(),
        })
        .collect();
    let next = more.then(|| {
        let last = items.last().map(|s| s.id).unwrap_or(0);
        let mut n = format!("?after={last}");
        if let Some(k) = kind {
            n.push_str(&format!("&kind={}", k.code()));
        }
        if let Some(x) = nonempty(&q.name) {
            n.push_str(&format!("&name={}", crate::http::percent_encode(&x)));
        }
        n
    });
    Ok(ctx.page(&SubjectsTpl {
        l: ctx.layout("主体名录"),
        items,
        kinds: opts(
            SubjectKind::ALL
                .iter()
                .map(|k| (k.code().to_string(), k.label().to_string())),
            &kind.map(|k| k.code().to_string()).unwrap_or_default(),
            Some("全部类型"),
        ),
        name: q.name.clone().unwrap_or_default(),
        total,
        next,
    }))
}

// ---------------------------------------------------------------------------------------------
// Catalog

pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub severity: String,
    pub scope: String,
    pub periods: String,
    pub repairable: bool,
    pub rectification: u32,
    pub weight: i32,
}

/// The numbers of one category, as the edit form holds them (text, so that a typo is shown
/// back rather than refused by the parser).
#[derive(Debug, Default, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub minor_min: String,
    #[serde(default)]
    pub minor_max: String,
    #[serde(default)]
    pub ordinary_min: String,
    #[serde(default)]
    pub ordinary_max: String,
    #[serde(default)]
    pub grave_min: String,
    #[serde(default)]
    pub grave_max: String,
    #[serde(default)]
    pub repairable: String,
    #[serde(default)]
    pub rectification_working_days: String,
    #[serde(default)]
    pub score_weight: String,
    #[serde(default)]
    pub default_scope: String,
}

impl CategoryForm {
    fn of(c: &Category) -> CategoryForm {
        let d = &c.disclosure;
        CategoryForm {
            code: c.code.clone(),
            minor_min: d[0].min_months.to_string(),
            minor_max: d[0].max_months.to_string(),
            ordinary_min: d[1].min_months.to_string(),
            ordinary_max: d[1].max_months.to_string(),
            grave_min: d[2].min_months.to_string(),
            grave_max: d[2].max_months.to_string(),
            repairable: if c.repairable {
                "on".into()
            } else {
                String::new()
            },
            rectification_working_days: c.rectification_working_days.to_string(),
            score_weight: c.score_weight.to_string(),
            default_scope: c.default_scope.code().to_string(),
        }
    }

    /// The category with these numbers, or what is wrong with them.
    fn apply(&self, base: &Category) -> Result<Category, String> {
        let months = |label: &str, v: &str| -> Result<u32, String> {
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("{label}应为不小于 0 的整数（月），收到“{}”", v.trim()))
        };
        let mut c = base.clone();
        c.disclosure = [
            DisclosureBounds {
                min_months: months("轻微最短公示期", &self.minor_min)?,
                max_months: months("轻微最长公示期", &self.minor_max)?,
            },
            DisclosureBounds {
                min_months: months("一般最短公示期", &self.ordinary_min)?,
                max_months: months("一般最长公示期", &self.ordinary_max)?,
            },
            DisclosureBounds {
                min_months: months("严重最短公示期", &self.grave_min)?,
                max_months: months("严重最长公示期", &self.grave_max)?,
            },
        ];
        c.repairable = !self.repairable.is_empty();
        c.rectification_working_days = self
            .rectification_working_days
            .trim()
            .parse()
            .map_err(|_| "整改期限应为不小于 0 的整数（工作日）".to_string())?;
        c.score_weight = self
            .score_weight
            .trim()
            .parse()
            .map_err(|_| "考核分值应为整数（失信类别为负数）".to_string())?;
        c.default_scope = Scope::parse(&self.default_scope).map_err(|e| e.message)?;
        c.validate().map_err(|e| e.message)?;
        Ok(c)
    }
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogTpl {
    l: Layout,
    items: Vec<CategoryRow>,
    edit: Option<CategoryForm>,
    edit_name: String,
    scopes: Vec<Opt>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CatalogQuery {
    code: Option<String>,
}

async fn catalog_render(
    state: &AppState,
    ctx: &Ctx,
    edit: Option<CategoryForm>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let catalog = blocking(move || Ok(probity_app::catalog::current(&app)?)).await?;
    let items = catalog
        .categories()
        .iter()
        .map(|c| CategoryRow {
            code: c.code.clone(),
            name: c.name.clone(),
            kind: c.kind.label().to_string(),
            severity: c
                .default_severity
                .map(|s| s.label())
                .unwrap_or("—")
                .to_string(),
            scope: c.default_scope.label().to_string(),
            periods: Severity::ALL
                .iter()
                .zip(c.disclosure.iter())
                .map(|(s, b)| format!("{} {}–{}", s.label(), b.min_months, b.max_months))
                .collect::<Vec<_>>()
                .join("；"),
            repairable: c.repairable,
            rectification: c.rectification_working_days,
            weight: c.score_weight,
        })
        .collect();
    let edit = match edit {
        Some(f) if catalog.get(&f.code).is_some() => Some(f),
        Some(f) => {
            return Err(PageError(ApiError::NotFound(format!(
                "未找到：记录类别 {}",
                crate::extract::truncate(&f.code, 40)
            ))));
        }
        None => None,
    };
    let edit_name = edit
        .as_ref()
        .and_then(|f| catalog.get(&f.code))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let scope = edit
        .as_ref()
        .map(|f| f.default_scope.clone())
        .unwrap_or_default();
    let mut res = ctx.page(&CatalogTpl {
        l: ctx.layout("信用信息目录"),
        items,
        edit,
        edit_name,
        scopes: opts(
            Scope::ALL
                .iter()
                .map(|s| (s.code().to_string(), s.label().to_string())),
            &scope,
            None,
        ),
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

async fn catalog_page(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<CatalogQuery>,
) -> PageResult {
    let edit = match nonempty(&q.code) {
        Some(code) => {
            let app = state.app.clone();
            let catalog = blocking(move || Ok(probity_app::catalog::current(&app)?)).await?;
            let c = catalog.get(&code).ok_or_else(|| {
                PageError(ApiError::NotFound(format!(
                    "未找到：记录类别 {}",
                    crate::extract::truncate(&code, 40)
                )))
            })?;
            Some(CategoryForm::of(c))
        }
        None => None,
    };
    catalog_render(&state, &ctx, edit, None, StatusCode::OK).await
}

async fn save_category(State(state): State<AppState>, p: PageForm<CategoryForm>) -> PageResult {
    let PageForm { ctx, form } = p;
    let app = state.app.clone();
    let code = form.code.clone();
    let catalog = blocking(move || Ok(probity_app::catalog::current(&app)?)).await?;
    let Some(base) = catalog.get(&code) else {
        return Err(PageError(ApiError::NotFound(format!(
            "未找到：记录类别 {}",
            crate::extract::truncate(&code, 40)
        ))));
    };
    let cat = match form.apply(base) {
        Ok(c) => c,
        Err(m) => {
            return catalog_render(
                &state,
                &ctx,
                Some(form),
                Some(m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    let name = cat.name.clone();
    let saved = blocking(move || Ok(probity_app::catalog::save(&app, &who, &cat))).await?;
    match saved {
        Ok(()) => Ok(done(
            "/console/catalog",
            &format!("已保存类别“{name}”（{code}）的设置"),
        )),
        Err(probity_app::AppError::Domain(d)) => {
            catalog_render(
                &state,
                &ctx,
                Some(form),
                Some(d.message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts and tokens

pub struct AccountRow {
    pub id: i64,
    pub name: String,
    pub real_name: String,
    pub phone: String,
    pub email: String,
    pub role: String,
    pub role_label: String,
    pub unit: String,
    /// What the role form sends back for the unit when left alone: the unit's USCC, which
    /// names it unambiguously.
    pub unit_ref: String,
    pub totp: String,
    /// 正常, 已停用, 待修改初始密码, 锁定至 …
    pub status: String,
    pub last_login: String,
    /// What the viewer may do to this account (the separation of duties, asked beforehand so
    /// that no button is offered that would be refused).
    pub can_disable: bool,
    pub can_enable: bool,
    pub can_unlock: bool,
    pub can_reset_password: bool,
    pub can_reset_totp: bool,
    pub can_set_role: bool,
    pub can_edit_contact: bool,
}

pub struct TokenRow {
    pub id: i64,
    pub account: String,
    pub label: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

/// A one-time password just set: shown on this answer, once, never in a cookie or a cache.
pub struct IssuedPassword {
    pub account: String,
    pub what: String,
    pub password: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsTpl {
    l: Layout,
    items: Vec<AccountRow>,
    tokens: Vec<TokenRow>,
    /// The role form's roles: the business roles the security administrator may grant.
    roles: Vec<Opt>,
    can_create: bool,
    can_grant: bool,
    can_revoke: bool,
    error: Option<String>,
    issued: Option<IssuedPassword>,
    /// The create form as last sent (kept when refused) and its problems, field by field.
    form: NewAccountForm,
    problems: HashMap<&'static str, String>,
    /// The list's filter, its choices, and the same filter as a query string (for the export).
    filter: AccountsQuery,
    standings: Vec<Opt>,
    filter_roles: Vec<Opt>,
    keep: String,
    total: usize,
}

impl AccountsTpl {
    fn problem(&self, field: &str) -> Option<&String> {
        self.problems.get(field)
    }
}

/// The accounts list's filter as the query string carries it.
#[derive(Debug, Default, Clone, Deserialize)]
struct AccountsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    standing: String,
}

impl AccountsQuery {
    fn parse(&self) -> Result<probity_app::accounts::AccountFilter, ApiError> {
        let mut problems = Vec::new();
        let role = match self.role.trim() {
            "" => None,
            code => AccountRole::parse(code)
                .map_err(|_| problems.push(format!("角色无效：{code}")))
                .ok(),
        };
        let standing = match self.standing.trim() {
            "" => None,
            code => {
                let found = probity_app::accounts::Standing::parse(code);
                if found.is_none() {
                    problems.push(format!("账号状态无效：{code}"));
                }
                found
            }
        };
        if !problems.is_empty() {
            return Err(ApiError::bad_request("QUERY_INVALID", problems.join("；")));
        }
        Ok(probity_app::accounts::AccountFilter {
            words: self.q.trim().chars().take(100).collect(),
            role,
            standing,
        })
    }

    fn keep(&self) -> String {
        crate::http::query_string(&[
            ("q", self.q.trim()),
            ("role", self.role.trim()),
            ("standing", self.standing.trim()),
        ])
    }
}

/// A time of an account or token, as the other pages show times.
fn shown(t: chrono::DateTime<chrono::Utc>) -> String {
    local_time(&t.to_rfc3339())
}

async fn accounts(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<AccountsQuery>,
) -> PageResult {
    accounts_render(&state, &ctx, Shown::list(q), StatusCode::OK).await
}

/// The filtered accounts as an Excel workbook.
async fn accounts_export(
    State(state): State<AppState>,
    crate::http::PageQuery(q): crate::http::PageQuery<AccountsQuery>,
) -> Result<axum::response::Response, PageError> {
    let filter = q.parse()?;
    let app = state.app.clone();
    let bytes = blocking(move || Ok(probity_app::accounts::export(&app, &filter)?)).await?;
    Ok(super::kit::xlsx_download(
        bytes,
        "accounts.xlsx",
        "账号列表.xlsx",
    ))
}

/// What the accounts page shows besides the list: a refusal above it, a one-time password just
/// set, the create form as sent with its problems, the list's filter.
#[derive(Default)]
struct Shown {
    error: Option<String>,
    issued: Option<IssuedPassword>,
    form: NewAccountForm,
    problems: HashMap<&'static str, String>,
    filter: AccountsQuery,
}

impl Shown {
    fn list(filter: AccountsQuery) -> Shown {
        Shown {
            filter,
            ..Shown::default()
        }
    }
    fn error(error: String) -> Shown {
        Shown {
            error: Some(error),
            ..Shown::default()
        }
    }
    fn issued(issued: IssuedPassword) -> Shown {
        Shown {
            issued: Some(issued),
            ..Shown::default()
        }
    }
}

/// The separation of duties on the viewer doing `action` to `a`: the refusal says why.
fn duty(ctx: &Ctx, action: AccountAction, a: &Account) -> probity_domain::Result<()> {
    duties::check(
        Actor::Account {
            id: ctx.caller.account.id,
            role: ctx.role(),
        },
        action,
        Some(Target {
            id: a.id,
            role: a.role,
        }),
    )
}

/// Whether the viewer may do `action` to `a`, by the separation of duties.
fn may(ctx: &Ctx, action: AccountAction, a: &Account) -> bool {
    duty(ctx, action, a).is_ok()
}

/// The accounts page, with what was wrong with the last form (if anything) above it, or the
/// one-time password just set.
async fn accounts_render(
    state: &AppState,
    ctx: &Ctx,
    shown_: Shown,
    status: StatusCode,
) -> PageResult {
    let Shown {
        error,
        issued,
        form,
        problems,
        filter,
    } = shown_;
    let parsed = filter.parse()?;
    let app = state.app.clone();
    let probity_app::accounts::Overview {
        accounts: list,
        tokens,
        units,
    } = blocking(move || Ok(probity_app::accounts::filtered(&app, &parsed)?)).await?;
    let names: HashMap<i64, &str> = list.iter().map(|a| (a.id, a.name.as_str())).collect();
    let role = ctx.role();
    let now = state.app.now();
    let mut res = ctx.page(&AccountsTpl {
        l: ctx.layout("账号管理"),
        items: list
            .iter()
            .map(|a| {
                let unit = a.unit_id.and_then(|id| units.get(&id));
                let locked = a.locked_until.filter(|t| *t > now);
                AccountRow {
                    id: a.id,
                    name: a.name.clone(),
                    real_name: a.real_name.clone(),
                    phone: a.phone.clone(),
                    email: a.email.clone(),
                    role: a.role.code().to_string(),
                    role_label: a.role.label().to_string(),
                    unit: unit
                        .map(|s| s.short_name.clone().unwrap_or_else(|| s.name.clone()))
                        .unwrap_or_default(),
                    unit_ref: unit
                        .map(|s| s.uscc.clone().unwrap_or_else(|| s.name.clone()))
                        .unwrap_or_default(),
                    totp: probity_app::accounts::second_factor(a)
                        .unwrap_or("—")
                        .into(),
                    status: match (probity_app::accounts::Standing::of(a, now), locked) {
                        (probity_app::accounts::Standing::Locked, Some(t)) => {
                            format!("登录失败过多，部分终端锁定至 {}", shown(t))
                        }
                        (s, _) => s.label().to_string(),
                    },
                    last_login: a.last_login_at.map(shown).unwrap_or_default(),
                    can_disable: !a.disabled && may(ctx, AccountAction::Disable, a),
                    can_enable: a.disabled && may(ctx, AccountAction::Enable, a),
                    can_unlock: locked.is_some() && may(ctx, AccountAction::Unlock, a),
                    can_reset_password: may(ctx, AccountAction::ResetPassword, a),
                    can_reset_totp: a.totp_enabled && may(ctx, AccountAction::ResetTotp, a),
                    can_set_role: may(
                        ctx,
                        AccountAction::SetRole {
                            to: AccountRole::Provider,
                        },
                        a,
                    ),
                    can_edit_contact: may(ctx, AccountAction::EditContact, a),
                }
            })
            .collect(),
        tokens: if role == AccountRole::Sysadmin || role == AccountRole::Auditor {
            tokens
                .iter()
                .map(|t| TokenRow {
                    id: t.id,
                    account: names
                        .get(&t.account_id)
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| t.account_id.to_string()),
                    label: t.label.clone(),
                    created: shown(t.created_at),
                    last_used: t.last_used_at.map(shown).unwrap_or_default(),
                    revoked: t.revoked_at.is_some(),
                })
                .collect()
        } else {
            vec![]
        },
        roles: opts(
            AccountRole::ALL
                .iter()
                .filter(|r| !r.is_administrative())
                .map(|r| (r.code().to_string(), r.label().to_string())),
            "",
            None,
        ),
        can_create: role == AccountRole::Sysadmin,
        can_grant: role == AccountRole::Secadmin,
        can_revoke: role == AccountRole::Sysadmin,
        error,
        issued,
        form,
        problems,
        standings: opts(
            probity_app::accounts::Standing::ALL
                .iter()
                .map(|s| (s.code().to_string(), s.label().to_string())),
            &filter.standing,
            Some("全部状态"),
        ),
        filter_roles: opts(
            AccountRole::ALL
                .iter()
                .map(|r| (r.code().to_string(), r.label().to_string())),
            &filter.role,
            Some("全部角色"),
        ),
        keep: filter.keep(),
        total: list.len(),
        filter,
    });
    *res.status_mut() = status;
    if res.headers().get(header::CACHE_CONTROL).is_none() || status == StatusCode::OK {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The answer to an account form refused for a broken rule (the separation of duties, a unit
/// that does not fit the role, a taken name …): the accounts page with the reason above it.
/// Anything else (an unknown account, a failure) is an error page.
async fn refused(state: &AppState, ctx: &Ctx, e: ApiError) -> PageResult {
    match e {
        ApiError::Forbidden(_)
        | ApiError::Denied { .. }
        | ApiError::Conflict { .. }
        | ApiError::Unprocessable { .. }
        | ApiError::BadRequest { .. } => {
            accounts_render(state, ctx, Shown::error(e.detail().message), e.status()).await
        }
        other => Err(PageError(other)),
    }
}

/// The role a form chose: blank is a question left unanswered, not an unknown role.
fn chosen_role(code: &str) -> Result<AccountRole, ApiError> {
    if code.trim().is_empty() {
        return Err(DomainError::new(Code::Required, "请选择角色").into());
    }
    Ok(AccountRole::parse(code)?)
}

#[derive(Debug, Default, Clone, Deserialize)]
struct NewAccountForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

/// A refusal of a form with fields: each field's problems beside it (`Some`), or `None` when
/// the refusal is not about the fields (then it is answered as before).
fn field_problems(e: &AppError) -> Option<HashMap<&'static str, String>> {
    let errs = match e {
        AppError::Fields(errs) => errs.clone(),
        // A taken name is the name field's problem.
        AppError::Domain(d) if d.code == Code::AccountExists => vec![FieldError {
            column: "name",
            error: d.clone(),
        }],
        _ => return None,
    };
    Some(super::kit::field_map(errs, "name"))
}

/// The system administrator creates an account: no role (the security administrator grants
/// one), a one-time password shown on this answer once.
async fn create_account(State(state): State<AppState>, p: PageForm<NewAccountForm>) -> PageResult {
    let PageForm { ctx, form: f } = p;
    let app = state.app.clone();
    let by = ctx.caller.account.clone();
    let new = probity_app::accounts::NewAccount {
        name: f.name.clone(),
        real_name: f.real_name.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
    };
    let created = blocking(move || Ok(probity_app::accounts::create(&app, &by, &new))).await?;
    match created {
        Ok((a, password)) => {
            let issued = IssuedPassword {
                account: a.name,
                what: "新建账号（待安全管理员授予角色）".into(),
                password,
            };
            accounts_render(&state, &ctx, Shown::issued(issued), StatusCode::OK).await
        }
        Err(e) => {
            let problems = field_problems(&e);
            let e = ApiError::from(e);
            match problems {
                Some(problems) => {
                    let shown = Shown {
                        form: f,
                        problems,
                        ..Shown::default()
                    };
                    accounts_render(&state, &ctx, shown, e.status()).await
                }
                None => refused(&state, &ctx, e).await,
            }
        }
    }
}

/// The system administrator resets a password: a one-time password shown on this answer once.
async fn reset_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<super::kit::Empty>,
) -> PageResult {
    let ctx = p.ctx;
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let by = ctx.caller.account.clone();
    let reset = blocking(move || Ok(probity_app::accounts::reset_password(&app, &by, id)?)).await;
    state.identities.forget_all();
    match reset {
        Ok(probity_app::accounts::Reset {
            before,
            after: a,
            password,
        }) => {
            let what = if before.role != a.role {
                format!(
                    "重置密码（账号已回到待授权：请安全管理员与本人确认已由本人修改密码后，重新授予原角色“{}”）",
                    before.role.label()
                )
            } else {
                "重置密码".into()
            };
            let issued = IssuedPassword {
                account: a.name,
                what,
                password,
            };
            accounts_render(&state, &ctx, Shown::issued(issued), StatusCode::OK).await
        }
        Err(e) => refused(&state, &ctx, e).await,
    }
}

#[derive(Template)]
#[template(path = "account_contact.html")]
struct ContactTpl {
    l: Layout,
    id: i64,
    account: String,
    form: ContactForm,
    problems: HashMap<&'static str, String>,
    error: Option<String>,
}

impl ContactTpl {
    fn problem(&self, field: &str) -> Option<&String> {
        self.problems.get(field)
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
struct ContactForm {
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

async fn contact_render(
    ctx: &Ctx,
    a: &Account,
    form: ContactForm,
    problems: HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let mut res = ctx.page(&ContactTpl {
        l: ctx.layout("修改账号信息"),
        id: a.id,
        account: a.name.clone(),
        form,
        problems,
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

async fn account_of(state: &AppState, id: i64) -> Result<Account, ApiError> {
    let app = state.app.clone();
    blocking(move || Ok(probity_app::accounts::get(&app, id)?)).await
}

/// The system administrator's form for who holds a business account (姓名, 联系电话, 邮箱).
async fn contact_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id)?;
    let a = account_of(&state, id).await?;
    let (error, status) = match duty(&ctx, AccountAction::EditContact, &a) {
        Ok(()) => (None, StatusCode::OK),
        Err(e) => (Some(e.message), StatusCode::FORBIDDEN),
    };
    let form = ContactForm {
        real_name: a.real_name.clone(),
        phone: a.phone.clone(),
        email: a.email.clone(),
    };
    contact_render(&ctx, &a, form, HashMap::new(), error, status).await
}

async fn save_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<ContactForm>,
) -> PageResult {
    let PageForm { ctx, form } = p;
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let by = ctx.caller.account.clone();
    let f = form.clone();
    let saved = blocking(move || {
        Ok(probity_app::accounts::edit_contact(
            &app,
            &by,
            id,
            &f.real_name,
            &f.phone,
            Some(&f.email),
        ))
    })
    .await?;
    match saved {
        Ok(a) => Ok(done(
            "/console/accounts",
            &format!("已更新账号“{}”的信息", a.name),
        )),
        Err(e) => {
            let a = account_of(&state, id).await?;
            match field_problems(&e) {
                Some(problems) => {
                    contact_render(
                        &ctx,
                        &a,
                        form,
                        problems,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await
                }
                None => {
                    let e = ApiError::from(e);
                    if e.status().is_server_error() {
                        return Err(e.into());
                    }
                    let status = e.status();
                    contact_render(
                        &ctx,
                        &a,
                        form,
                        HashMap::new(),
                        Some(e.detail().message),
                        status,
                    )
                    .await
                }
            }
        }
    }
}

/// One account action that answers with a message (disable, enable, unlock, reset the second
/// factor).
async fn account_action(state: AppState, id: String, ctx: Ctx, what: Change) -> PageResult {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let by = ctx.caller.account.clone();
    let r = blocking(move || Ok(probity_app::accounts::change(&app, &by, id, what)?)).await;
    state.identities.forget_all();
    match r {
        Ok(a) => Ok(done(
            "/console/accounts",
            &format!("已{}：账号“{}”", what.label(), a.name),
        )),
        Err(e) => refused(&state, &ctx, e).await,
    }
}

async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<super::kit::Empty>,
) -> PageResult {
    account_action(state, id, p.ctx, Change::Disable).await
}

async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<super::kit::Empty>,
) -> PageResult {
    account_action(state, id, p.ctx, Change::Enable).await
}

async fn unlock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<super::kit::Empty>,
) -> PageResult {
    account_action(state, id, p.ctx, Change::Unlock).await
}

async fn reset_totp(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<super::kit::Empty>,
) -> PageResult {
    account_action(state, id, p.ctx, Change::ResetTotp).await
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<super::kit::Empty>,
) -> PageResult {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let by = p.ctx.caller.account.clone();
    let back = if p.ctx.role() == AccountRole::Sysadmin {
        "/console/accounts"
    } else {
        "/console/tokens"
    };
    let t = blocking(move || Ok(probity_app::accounts::revoke_token(&app, &by, id)?)).await?;
    state.identities.forget_all();
    Ok(done(
        back,
        &format!("已吊销接口令牌 #{}（{}）", t.id, t.label),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
}

async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<RoleForm>,
) -> PageResult {
    let PageForm { ctx, form } = p;
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let by = ctx.caller.account.clone();
    let changed = blocking(move || {
        let role = chosen_role(&form.role)?;
        // The unit field comes prefilled with the current unit; a role without a unit ignores
        // it rather than refusing the change.
        let unit = nonempty(&Some(form.unit)).filter(|_| role.needs_unit());
        Ok(probity_app::accounts::set_role(
            &app,
            &by,
            id,
            role,
            unit.as_deref(),
        )?)
    })
    .await;
    let a = match changed {
        Ok(a) => a,
        Err(e) => return refused(&state, &ctx, e).await,
    };
    state.identities.forget_all();
    Ok(done(
        "/console/accounts",
        &format!("已将账号“{}”的角色设为{}", a.name, a.role.label()),
    ))
}

// ---------------------------------------------------------------------------------------------
// An account's own API tokens (报送单位, 被评价单位 and 组织人事部门 accounts, for their systems)

/// A token just issued: its plain value, shown on the answer to the issuing form and nowhere
/// else.
pub struct IssuedToken {
    pub id: i64,
    pub label: String,
    pub token: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensTpl {
    l: Layout,
    tokens: Vec<TokenRow>,
    issued: Option<IssuedToken>,
    error: Option<String>,
}

async fn own_tokens(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    own_tokens_render(&state, &ctx, None, None, StatusCode::OK).await
}

async fn own_tokens_render(
    state: &AppState,
    ctx: &Ctx,
    issued: Option<IssuedToken>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let me = ctx.caller.account.id;
    let tokens = blocking(move || Ok(probity_app::accounts::tokens_of(&app, Some(me))?)).await?;
    let mut res = ctx.page(&TokensTpl {
        l: ctx.layout("接口令牌"),
        tokens: tokens
            .iter()
            .map(|t| TokenRow {
                id: t.id,
                account: ctx.caller.account.name.clone(),
                label: t.label.clone(),
                created: shown(t.created_at),
                last_used: t.last_used_at.map(shown).unwrap_or_default(),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        issued,
        error,
    });
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    #[serde(default)]
    label: String,
}

/// The holder issues a token for its own account; shown on this answer once: never in a
/// cookie, a redirect or a cache.
async fn issue_own_token(State(state): State<AppState>, p: PageForm<TokenForm>) -> PageResult {
    let PageForm { ctx, form } = p;
    let label = nonempty(&Some(form.label)).unwrap_or_else(|| "网页签发".into());
    let app = state.app.clone();
    let me = ctx.caller.account.clone();
    let issued = blocking(move || {
        let (t, token) = probity_app::accounts::issue_own_token(&app, &me, &label)?;
        Ok(IssuedToken {
            id: t.id,
            label: t.label,
            token,
        })
    })
    .await;
    match issued {
        Ok(t) => own_tokens_render(&state, &ctx, Some(t), None, StatusCode::OK).await,
        Err(
            e @ (ApiError::Forbidden(_)
            | ApiError::Denied { .. }
            | ApiError::Unprocessable { .. }
            | ApiError::BadRequest { .. }),
        ) => {
            let status = e.status();
            own_tokens_render(&state, &ctx, None, Some(e.detail().message), status).await
        }
        Err(e) => Err(PageError(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Audit

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The object: what it is, and a link to it where it has a page.
    pub object: String,
    pub link: Option<String>,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    l: Layout,
    items: Vec<AuditRow>,
    q: AuditQuery,
    actions: Vec<Opt>,
    entities: Vec<Opt>,
    /// These filters, for the next page and the export.
    keep: String,
    next: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    entity: Option<String>,
    entity_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

impl AuditQuery {
    /// The filters as the use case takes them; every fault of the query at once.
    fn parse(&self) -> Result<probity_app::audit::Query, ApiError> {
        let mut problems = Vec::new();
        let date = |v: &Option<String>, what: &str, problems: &mut Vec<String>| {
            nonempty(v).and_then(|s| match probity_domain::date::parse_date(&s) {
                Ok(d) => Some(d),
                Err(e) => {
                    problems.push(format!("{what}：{}", e.message));
                    None
                }
            })
        };
        let from = date(&self.from, "起始日期", &mut problems);
        let to = date(&self.to, "截止日期", &mut problems);
        let entity = nonempty(&self.entity).and_then(|e| {
            let found = probity_domain::audit::Entity::parse(&e);
            if found.is_none() {
                problems.push(format!("对象类型无效：{e}"));
            }
            found
        });
        let action = nonempty(&self.action);
        if let Some(a) = &action
            && probity_domain::audit::Action::parse(a, entity).is_none()
        {
            problems.push(format!("操作类型无效：{a}"));
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            problems.push("起始日期晚于截止日期".into());
        }
        if !problems.is_empty() {
            return Err(ApiError::bad_request("QUERY_INVALID", problems.join("；")));
        }
        Ok(probity_app::audit::Query {
            actor: nonempty(&self.actor).map(|a| a.chars().take(100).collect()),
            action,
            entity,
            entity_id: nonempty(&self.entity_id).map(|a| a.chars().take(100).collect()),
            from,
            to,
        })
    }

    /// The query string of these filters (without the page).
    fn keep(&self) -> String {
        let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
        crate::http::query_string(&[
            ("actor", &v(&self.actor)),
            ("action", &v(&self.action)),
            ("entity", &v(&self.entity)),
            ("entity_id", &v(&self.entity_id)),
            ("from", &v(&self.from)),
            ("to", &v(&self.to)),
        ])
    }
}

/// Where an audited object has a page of its own.
fn object_link(role: AccountRole, entity: &str, id: &str) -> Option<String> {
    use probity_domain::authz::reach_on;
    match entity {
        // The auditor reads the journal, not the records themselves.
        "record" => {
            reach_on("GET", "/console/records/{id}", role).map(|_| format!("/console/records/{id}"))
        }
        // An account's own history in the journal: its logins, role, password and tokens.
        "account" => Some(format!("/console/audit?entity=account&entity_id={id}")),
        _ => None,
    }
}

async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<AuditQuery>,
) -> PageResult {
    let before = nonempty(&q.before)
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| ApiError::bad_request("QUERY_INVALID", "序号无效"))
        })
        .transpose()?;
    let query = q.parse()?;
    let app = state.app.clone();
    // One more than a page: a next link only when there is something to follow it to.
    let mut entries = blocking(move || {
        Ok(probity_app::audit::search(
            &app,
            &query,
            before,
            PAGE_SIZE + 1,
        )?)
    })
    .await?;
    let more = entries.len() > PAGE_SIZE as usize;
    entries.truncate(PAGE_SIZE as usize);
    let keep = q.keep();
    let next = more
        .then(|| {
            entries.last().map(|e| {
                format!(
                    "?before={}{}{keep}",
                    e.seq,
                    if keep.is_empty() { "" } else { "&" }
                )
            })
        })
        .flatten();
    let current_action = q.action.clone().unwrap_or_default();
    let current_entity = q.entity.clone().unwrap_or_default();
    Ok(ctx.page(&AuditTpl {
        l: ctx.layout("审计日志"),
        items: entries
            .into_iter()
            .map(|e| AuditRow {
                seq: e.seq,
                at: local_time(&e.at),
                actor: e.actor_label(),
                action: e.action_label(),
                object: e.entity_label(),
                link: object_link(ctx.role(), &e.entity, &e.entity_id),
                detail: probity_domain::audit::particulars(&e.detail),
            })
            .collect(),
        actions: opts(
            probity_domain::audit::Action::all()
                .into_iter()
                .map(|a| (a.code().to_string(), a.label().to_string())),
            &current_action,
            Some("全部操作"),
        ),
        entities: opts(
            probity_domain::audit::Entity::ALL
                .into_iter()
                .map(|e| (e.code().to_string(), e.label().to_string())),
            &current_entity,
            Some("全部对象"),
        ),
        q,
        keep,
        next,
    }))
}

/// The whole roster as an Excel workbook.
async fn subjects_export(
    State(state): State<AppState>,
) -> Result<axum::response::Response, PageError> {
    let app = state.app.clone();
    let bytes = blocking(move || Ok(probity_app::roster::export(&app)?)).await?;
    Ok(super::kit::xlsx_download(
        bytes,
        "roster.xlsx",
        "主体名录.xlsx",
    ))
}

/// The filtered journal as an Excel workbook (at most `AUDIT_EXPORT_CAP` entries, newest first).
async fn audit_export(
    State(state): State<AppState>,
    crate::http::PageQuery(q): crate::http::PageQuery<AuditQuery>,
) -> Result<axum::response::Response, PageError> {
    let query = q.parse()?;
    let app = state.app.clone();
    let bytes =
        blocking(move || Ok(probity_app::audit::export(&app, &query, AUDIT_EXPORT_CAP)?)).await?;
    Ok(super::kit::xlsx_download(
        bytes,
        "audit.xlsx",
        "审计日志.xlsx",
    ))
}

/// Entries in one export: a year of a busy district's changes fits; narrow the filters for more.
const AUDIT_EXPORT_CAP: u32 = 10_000;
