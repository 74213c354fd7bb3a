//! Accounts, roles and API tokens as the three separated administrators (三员分立) and the token
//! holders handle them. Who may do what to which account is the domain's duty table, applied by
//! the store to every change; these use cases are what the API and the pages both call.

use std::collections::{BTreeSet, HashMap};

use probity_domain::account::AccountRole;
use probity_store::{Account, ApiToken, Subject};

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
pub fn create(app: &App, by: &Account, name: &str) -> AppResult<(Account, String)> {
    Ok(app
        .store()
        .create_account_one_time(name.trim(), AccountRole::Unassigned, None, by)?)
}

/// Grants a role and the unit it acts for (short name, full name or USCC).
pub fn set_role(
    app: &App,
    by: &Account,
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
pub fn change(app: &App, by: &Account, id: i64, what: Change) -> AppResult<Account> {
    let store = app.store();
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

pub fn reset_password(app: &App, by: &Account, id: i64) -> AppResult<Reset> {
    let store = app.store();
    let before = store.account(id)?;
    let password = store.reset_password(id, by)?;
    Ok(Reset {
        before,
        after: store.account(id)?,
        password,
    })
}

/// The tokens of one account (never their values).
pub fn tokens_of(app: &App, account_id: i64) -> AppResult<Vec<ApiToken>> {
    Ok(app.store().tokens(Some(account_id))?)
}

/// The holder issues a token for its own account; the plain token is returned once.
pub fn issue_own_token(app: &App, me: &Account, label: &str) -> AppResult<(ApiToken, String)> {
    Ok(app.store().issue_token(me.id, label, me)?)
}

/// Revokes a token (its holder, or the system administrator).
pub fn revoke_token(app: &App, by: &Account, id: i64) -> AppResult<ApiToken> {
    Ok(app.store().revoke_token(id, by)?)
}
