//! Accounts, roles and API tokens as the three separated administrators (三员分立), the token
//! holders and the operator at the machine handle them. Who may do what to which account is the
//! domain's duty table, applied by the store to every change; these use cases are what the API,
//! the pages and the command line all call. `by` is the account acting, or the operator
//! (`Acting::from("cli:root")`).

use std::collections::{BTreeSet, HashMap};

use probity_domain::account::{AccountRole, Contact};
use probity_domain::record::FieldError;
use probity_store::{Account, Acting, ApiToken, Subject};

use crate::{App, AppResult};

/// Every account, every token, and the roster units accounts are bound to (for the accounts
/// page of the administrators).
pub struct Overview {
    pub accounts: Vec<Account>,
    pub tokens: Vec<ApiToken>,
    pub units: HashMap<i64, Subject>,
}

pub fn overview(app: &App) -> AppResult<Overview> {
    let store = app.store();
    let accounts = store.accounts()?;
    let tokens = store.tokens(None)?;
    // Only the units accounts are bound to, not the whole roster.
    let ids: BTreeSet<i64> = accounts.iter().filter_map(|a| a.unit_id).collect();
    let units = ids
        .into_iter()
        .map(|id| Ok((id, store.subject(id)?)))
        .collect::<AppResult<HashMap<i64, Subject>>>()?;
    Ok(Overview {
        accounts,
        tokens,
        units,
    })
}

/// One account.
pub fn get(app: &App, id: i64) -> AppResult<Account> {
    Ok(app.store().account(id)?)
}

/// Every account.
pub fn list(app: &App) -> AppResult<Vec<Account>> {
    Ok(app.store().accounts()?)
}

/// What the system administrator's form (and the API) asks for a new account: its name and who
/// holds it (姓名, 联系电话; 邮箱 if the holder is to get notifications by mail).
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub name: String,
    pub real_name: String,
    pub phone: String,
    pub email: String,
}

/// The holder's contact, each problem pinned to its field; with `name` checked as well when an
/// account is being created, so that a form hears of all of them at once.
fn contact_of(
    name: Option<&str>,
    real_name: &str,
    phone: &str,
    email: &str,
    required: bool,
) -> AppResult<Contact> {
    let mut problems = Vec::new();
    if let Some(name) = name
        && let Err(e) = probity_domain::account::validate_account_name(name)
    {
        problems.push(FieldError {
            column: "name",
            error: e,
        });
    }
    let contact = match Contact::check(real_name, phone, email, required) {
        Ok(c) => Some(c),
        Err(errs) => {
            problems.extend(
                errs.into_iter()
                    .map(|(column, error)| FieldError { column, error }),
            );
            None
        }
    };
    match contact {
        Some(c) if problems.is_empty() => Ok(c),
        _ => Err(crate::AppError::Fields(problems)),
    }
}

/// Creates an account without a role (待授权) and a one-time password, returned once: the
/// system administrator's way; the security administrator grants the role. The name, the real
/// name, the phone and the e-mail address are checked together and every problem is named.
pub fn create<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    new: &NewAccount,
) -> AppResult<(Account, String)> {
    let contact = contact_of(
        Some(&new.name),
        &new.real_name,
        &new.phone,
        &new.email,
        true,
    )?;
    let (a, pw) = app.store().create_account_with(
        new.name.trim(),
        AccountRole::Unassigned,
        None,
        &contact,
        None,
        by,
    )?;
    let pw = pw.ok_or_else(|| crate::AppError::msg("未生成一次性密码".into()))?;
    Ok((a, pw))
}

/// Changes who holds an account (姓名, 联系电话, both required) and where its notifications
/// are mailed (邮箱, blank for none; `None` keeps the address it has): the system
/// administrator's way for business accounts, the operator's for any.
pub fn edit_contact<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    id: i64,
    real_name: &str,
    phone: &str,
    email: Option<&str>,
) -> AppResult<Account> {
    let kept;
    let email = match email {
        Some(e) => e,
        None => {
            kept = app.store().account(id)?.email;
            kept.as_str()
        }
    };
    let contact = contact_of(None, real_name, phone, email, true)?;
    Ok(app.store().set_contact(id, &contact, by)?)
}

/// An account as the operator creates it at the machine (the only way to create the three
/// administrators): a role, the unit it acts for (short name, full name or USCC), the holder's
/// contact if given, and either the password given (the operator's own) or a one-time password,
/// returned once.
pub fn create_with_role<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    new: &NewAccount,
    role: AccountRole,
    unit: Option<&str>,
    password: Option<&str>,
) -> AppResult<(Account, Option<Subject>, Option<String>)> {
    let store = app.store();
    let name = new.name.as_str();
    let contact = contact_of(Some(name), &new.real_name, &new.phone, &new.email, false)?;
    let unit = unit
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| store.find_unit(u))
        .transpose()?;
    if role.needs_unit() && unit.is_none() {
        return Err(crate::AppError::Invalid {
            code: "UNIT_REQUIRED",
            message: format!(
                "{}账号必须指定所属单位（简称、全称或统一社会信用代码）",
                role.label()
            ),
        });
    }
    let unit_id = unit.as_ref().map(|u| u.id);
    let (a, pw) = store.create_account_with(name, role, unit_id, &contact, password, by)?;
    Ok((a, unit, pw))
}

/// The account of this name (ignoring ASCII case).
pub fn named(app: &App, name: &str) -> AppResult<Account> {
    app.store().account_by_name(name)?.ok_or_else(|| {
        crate::AppError::Domain(probity_domain::DomainError::new(
            probity_domain::Code::AccountNotFound,
            format!("账号“{}”不存在", name.trim()),
        ))
    })
}

/// Grants a role and the unit it acts for (short name, full name or USCC).
pub fn set_role<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    id: i64,
    role: AccountRole,
    unit: Option<&str>,
) -> AppResult<Account> {
    let store = app.store();
    let unit = unit.map(|u| store.find_unit(u)).transpose()?.map(|s| s.id);
    store.set_role(id, role, unit, by)?;
    Ok(store.account(id)?)
}

/// What an administrator may do to an account with one click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Disable,
    Enable,
    Unlock,
    ResetTotp,
}

impl Change {
    /// What the change did, as the pages say it.
    pub fn label(self) -> &'static str {
        match self {
            Change::Disable => "停用账号",
            Change::Enable => "启用账号",
            Change::Unlock => "解除锁定",
            Change::ResetTotp => "重置动态口令（本人下次登录时重新绑定）",
        }
    }
}

/// Applies one change to an account; answers the account as it now is.
pub fn change<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    id: i64,
    what: Change,
) -> AppResult<Account> {
    let store = app.store();
    let by = by.into();
    Ok(match what {
        Change::Disable => store.set_disabled(id, true, by)?,
        Change::Enable => store.set_disabled(id, false, by)?,
        Change::Unlock => store.unlock(id, by)?,
        Change::ResetTotp => store.reset_totp(id, by)?,
    })
}

/// A password reset: the account before and after (a business account goes back to 待授权),
/// and the one-time password, shown once.
pub struct Reset {
    pub before: Account,
    pub after: Account,
    pub password: String,
}

pub fn reset_password<'a>(app: &App, by: impl Into<Acting<'a>>, id: i64) -> AppResult<Reset> {
    let store = app.store();
    let before = store.account(id)?;
    let password = store.reset_password(id, by)?;
    Ok(Reset {
        before,
        after: store.account(id)?,
        password,
    })
}

/// The tokens of one account, or of all (never their values).
pub fn tokens_of(app: &App, account_id: Option<i64>) -> AppResult<Vec<ApiToken>> {
    Ok(app.store().tokens(account_id)?)
}

/// Issues a token for an account; the plain token is returned once. Only its holder, or the
/// operator at the machine, issues one.
pub fn issue_token<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    account_id: i64,
    label: &str,
) -> AppResult<(ApiToken, String)> {
    Ok(app.store().issue_token(account_id, label, by)?)
}

/// The holder issues a token for its own account; the plain token is returned once.
pub fn issue_own_token(app: &App, me: &Account, label: &str) -> AppResult<(ApiToken, String)> {
    Ok(app.store().issue_token(me.id, label, me)?)
}

/// Revokes a token (its holder, or the system administrator).
pub fn revoke_token<'a>(app: &App, by: impl Into<Acting<'a>>, id: i64) -> AppResult<ApiToken> {
    Ok(app.store().revoke_token(id, by)?)
}

/// The second factor as the accounts page and its export say it: 已启用, 待绑定 (the role needs
/// one not enrolled yet), or nothing when the role logs in without one.
pub fn second_factor(a: &Account) -> Option<&'static str> {
    if a.totp_enabled {
        Some("已启用")
    } else if a.totp_pending {
        Some("待绑定")
    } else {
        None
    }
}

/// Where an account stands, as the accounts page and its export say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Normal,
    Disabled,
    /// Too many failed logins: locked for some clients until a time in the future.
    Locked,
    /// Holds a one-time password its holder has not changed yet.
    PasswordChange,
}

impl Standing {
    pub const ALL: [Standing; 4] = [
        Standing::Normal,
        Standing::Disabled,
        Standing::Locked,
        Standing::PasswordChange,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Standing::Normal => "normal",
            Standing::Disabled => "disabled",
            Standing::Locked => "locked",
            Standing::PasswordChange => "password_change",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Standing::Normal => "正常",
            Standing::Disabled => "已停用",
            Standing::Locked => "登录失败过多，锁定中",
            Standing::PasswordChange => "待修改初始密码",
        }
    }

    pub fn parse(code: &str) -> Option<Standing> {
        Standing::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The account's standing at `now` (a disabled account is disabled whatever else holds).
    pub fn of(a: &Account, now: chrono::DateTime<chrono::Utc>) -> Standing {
        if a.disabled {
            Standing::Disabled
        } else if a.locked_until.is_some_and(|t| t > now) {
            Standing::Locked
        } else if a.password_change_required {
            Standing::PasswordChange
        } else {
            Standing::Normal
        }
    }
}

/// What the accounts page filters by: words in the account name, the real name, the phone or the
/// e-mail address; a role; a standing. Empty matches everything.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub words: String,
    pub role: Option<AccountRole>,
    pub standing: Option<Standing>,
}

impl AccountFilter {
    pub fn matches(&self, a: &Account, now: chrono::DateTime<chrono::Utc>) -> bool {
        let w = self.words.trim().to_lowercase();
        (w.is_empty()
            || a.name.to_lowercase().contains(&w)
            || a.real_name.to_lowercase().contains(&w)
            || a.phone.contains(&w)
            || a.email.to_lowercase().contains(&w))
            && self.role.is_none_or(|r| r == a.role)
            && self.standing.is_none_or(|s| s == Standing::of(a, now))
    }
}

/// The accounts the filter lets through, with their tokens and the units they are bound to.
pub fn filtered(app: &App, filter: &AccountFilter) -> AppResult<Overview> {
    let mut o = overview(app)?;
    let now = app.now();
    o.accounts.retain(|a| filter.matches(a, now));
    // The tokens of the accounts listed, so that each names its holder.
    let shown: BTreeSet<i64> = o.accounts.iter().map(|a| a.id).collect();
    o.tokens.retain(|t| shown.contains(&t.account_id));
    Ok(o)
}

/// The filtered accounts as an Excel workbook (no secret, no password, ever).
pub fn export(app: &App, filter: &AccountFilter) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("id", "编号"),
        ("name", "账号"),
        ("real_name", "姓名"),
        ("phone", "联系电话"),
        ("email", "邮箱"),
        ("role", "角色"),
        ("unit", "所属单位"),
        ("totp", "动态口令"),
        ("standing", "状态"),
        ("last_login", "最近登录"),
        ("created", "创建时间"),
    ];
    let o = filtered(app, filter)?;
    let now = app.now();
    let shown = probity_domain::date::beijing_minute;
    let dir = tempfile::tempdir().map_err(|e| crate::AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("accounts.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for a in &o.accounts {
        let unit = a
            .unit_id
            .and_then(|id| o.units.get(&id))
            .map(|s| s.short_name.clone().unwrap_or_else(|| s.name.clone()))
            .unwrap_or_default();
        w.write_row(&[
            &a.id.to_string(),
            &a.name,
            &a.real_name,
            &a.phone,
            &a.email,
            a.role.label(),
            &unit,
            second_factor(a).unwrap_or(""),
            Standing::of(a, now).label(),
            &a.last_login_at.map(shown).unwrap_or_default(),
            &shown(a.created_at),
        ])?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| crate::AppError::msg(format!("导出失败：{e}")))
}
