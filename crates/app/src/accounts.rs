//! Accounts, roles and API tokens as the three separated administrators (三员分立), the token
//! holders and the operator at the machine handle them. Who may do what to which account is the
//! domain's duty table, applied by the store to every change; these use cases are what the API,
//! the pages and the command line all call. `by` is the account acting, or the operator
//! (`Acting::from("cli:root")`).

use std::collections::{BTreeSet, HashMap};

use probity_domain::account::AccountRole;
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

/// Every account.
pub fn list(app: &App) -> AppResult<Vec<Account>> {
    Ok(app.store().accounts()?)
}

/// Creates an account without a role (待授权) and a one-time password, returned once: the
/// system administrator's way; the security administrator grants the role.
pub fn create<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    name: &str,
) -> AppResult<(Account, String)> {
    Ok(app
        .store()
        .create_account_one_time(name.trim(), AccountRole::Unassigned, None, by)?)
}

/// An account as the operator creates it at the machine (the only way to create the three
/// administrators): a role, the unit it acts for (short name, full name or USCC), and either the
/// password given (the operator's own) or a one-time password, returned once.
pub fn create_with_role<'a>(
    app: &App,
    by: impl Into<Acting<'a>>,
    name: &str,
    role: AccountRole,
    unit: Option<&str>,
    password: Option<&str>,
) -> AppResult<(Account, Option<Subject>, Option<String>)> {
    let store = app.store();
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
    Ok(match password {
        Some(pw) => (
            store.create_account(name, role, unit_id, pw, by)?,
            unit,
            None,
        ),
        None => {
            let (a, pw) = store.create_account_one_time(name, role, unit_id, by)?;
            (a, unit, Some(pw))
        }
    })
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
