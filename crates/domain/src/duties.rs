//! Separation of duties (三员分立, GB/T 22239 level 3): who may do what to which account. One table
//! in one pure function, applied by the store, so that the command line, the API and the pages
//! share it and none of them can be talked out of it.
//!
//! - The system administrator (系统管理员) creates accounts, disables and re-enables them, resets
//!   their passwords to a one-time password, unlocks them and revokes tokens; it assigns no role:
//!   the accounts it creates wait for one (待授权).
//! - The security administrator (安全管理员) grants and changes roles and resets a lost
//!   authenticator; never for itself, and never to or from one of the three administrative roles.
//! - The auditor (审计员) reads and changes nothing here.
//! - No account ever moves between an administrative and a business role.
//! - A bearer token is issued by its own holder, or by the operator at the machine's command line.
//! - The operator at the machine (`probity user …`, who holds the database and its key) creates
//!   the administrators; even the operator moves no account across the line.

use crate::account::AccountRole;
use crate::error::{Code, DomainError, Result};

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The operator at the machine's command line.
    Operator,
    /// A logged-in account.
    Account { id: i64, role: AccountRole },
}

/// What is done to an account. `target` below is the account acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// Creates an account with this role.
    Create {
        role: AccountRole,
    },
    /// Moves the account from its role to another.
    SetRole {
        to: AccountRole,
    },
    Disable,
    Enable,
    /// Sets a one-time password the holder must change at the next login.
    ResetPassword,
    /// Lifts a lockout.
    Unlock,
    /// Forgets the second factor (a lost phone); the holder enrols again.
    ResetTotp,
    /// Changes one's own password, knowing the current one.
    ChangeOwnPassword,
    /// Issues a bearer token for the account.
    IssueToken,
    /// Revokes one of the account's tokens.
    RevokeToken,
    /// Changes the holder's real name and phone number (账号信息).
    EditContact,
}

impl AccountAction {
    /// Every kind of action, with each role where the action carries one: for tests that walk
    /// the whole table.
    pub fn all() -> Vec<AccountAction> {
        let mut v = Vec::new();
        for r in AccountRole::ALL {
            v.push(AccountAction::Create { role: r });
            v.push(AccountAction::SetRole { to: r });
        }
        v.extend([
            AccountAction::Disable,
            AccountAction::Enable,
            AccountAction::ResetPassword,
            AccountAction::Unlock,
            AccountAction::ResetTotp,
            AccountAction::ChangeOwnPassword,
            AccountAction::IssueToken,
            AccountAction::RevokeToken,
            AccountAction::EditContact,
        ]);
        v
    }

    /// The action in Chinese, for messages and the journal page.
    pub fn label(self) -> &'static str {
        match self {
            AccountAction::Create { .. } => "创建账号",
            AccountAction::SetRole { .. } => "授予或变更角色",
            AccountAction::Disable => "停用账号",
            AccountAction::Enable => "启用账号",
            AccountAction::ResetPassword => "重置密码",
            AccountAction::Unlock => "解除锁定",
            AccountAction::ResetTotp => "重置动态口令",
            AccountAction::ChangeOwnPassword => "修改密码",
            AccountAction::IssueToken => "签发接口令牌",
            AccountAction::RevokeToken => "撤销接口令牌",
            AccountAction::EditContact => "修改账号信息",
        }
    }
}

/// The account acted on: its id and its current role. For `Create`, the account does not exist
/// yet and there is no target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub id: i64,
    pub role: AccountRole,
}

fn refuse(message: impl Into<String>) -> DomainError {
    DomainError::new(Code::DutySeparation, message)
}

/// The two sides of the line no account crosses.
fn same_side(a: AccountRole, b: AccountRole) -> bool {
    a.is_administrative() == b.is_administrative()
}

/// Whether `actor` may do `action` to `target`. The refusal names the rule in Chinese.
pub fn check(actor: Actor, action: AccountAction, target: Option<Target>) -> Result<()> {
    use AccountAction::*;
    use AccountRole::{Secadmin, Sysadmin, Unassigned};

    // The line between administrators and the business holds for everyone, the operator too.
    if let (SetRole { to }, Some(t)) = (action, target)
        && !same_side(t.role, to)
    {
        return Err(refuse(format!(
            "三员分立：{}账号不能改为{}（管理类角色与业务角色之间不能互转，请另建账号）",
            t.role.label(),
            to.label()
        )));
    }
    let (me, my_role) = match actor {
        Actor::Operator => {
            return match (action, target) {
                (Create { .. }, None) => Ok(()),
                (Create { .. }, Some(_)) | (_, None) => {
                    Err(refuse(format!("{}需要指定账号", action.label())))
                }
                // Changing a password one knows is done by its holder, at the login.
                (ChangeOwnPassword, Some(_)) => Err(refuse("修改密码须由账号本人登录后进行")),
                (_, Some(_)) => Ok(()),
            };
        }
        Actor::Account { id, role } => (id, role),
    };
    let own = target.is_some_and(|t| t.id == me);
    let allowed = match (my_role, action) {
        // Everyone changes their own password; nobody changes another's that way.
        (_, ChangeOwnPassword) => own,
        // Tokens: issued by their holder only, for a role that may hold one (checked by the
        // store with the token rules); revoked by the holder or the system administrator.
        (_, IssueToken) => own,
        (Sysadmin, RevokeToken) => true,
        (_, RevokeToken) => own,
        // The system administrator: the accounts' life, never a role.
        (Sysadmin, Create { role }) => role == Unassigned,
        (Sysadmin, Disable | Enable | ResetPassword | EditContact) => {
            !own && target.is_some_and(|t| !t.role.is_administrative())
        }
        (Sysadmin, Unlock) => !own,
        // The security administrator: roles and lost authenticators, never its own, never
        // an administrator's role.
        (Secadmin, SetRole { to }) => {
            !own && !to.is_administrative() && target.is_some_and(|t| !t.role.is_administrative())
        }
        (Secadmin, ResetTotp) => !own,
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    let why = match (my_role, action) {
        (_, ChangeOwnPassword) => "只能修改自己的密码".to_string(),
        (_, IssueToken) => {
            "接口令牌只能由账号本人签发（登录后在“我的接口令牌”页面），或由运维人员在服务器命令行签发"
                .to_string()
        }
        (Sysadmin, Create { .. }) => {
            "系统管理员创建的账号不带角色（待授权），角色由安全管理员授予".to_string()
        }
        (Sysadmin, SetRole { .. }) => "系统管理员不分配角色，角色由安全管理员授予".to_string(),
        (Secadmin, SetRole { .. }) if own => "安全管理员不能变更自己的角色".to_string(),
        (Secadmin, SetRole { .. }) => {
            "安全管理员不能授予或变更三员（系统管理员、安全管理员、审计员）的角色；三员账号由运维人员在服务器命令行创建"
                .to_string()
        }
        (_, _) if own => format!("不能对自己的账号{}", action.label()),
        (Sysadmin, _) if target.is_some_and(|t| t.role.is_administrative()) => format!(
            "系统管理员不能对三员账号执行“{}”；三员账号由运维人员在服务器命令行管理",
            action.label()
        ),
        (Sysadmin, ResetTotp) => "重置动态口令由安全管理员办理".to_string(),
        (role, _) => format!("{}不能{}", role.label(), action.label()),
    };
    Err(refuse(format!("三员分立：{why}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountRole::*;

    fn acct(id: i64, role: AccountRole) -> Actor {
        Actor::Account { id, role }
    }
    fn t(id: i64, role: AccountRole) -> Option<Target> {
        Some(Target { id, role })
    }

    #[test]
    fn the_findings_are_refused() {
        // The security administrator made itself the credit office.
        let e = check(
            acct(7, Secadmin),
            AccountAction::SetRole { to: Admin },
            t(7, Secadmin),
        )
        .unwrap_err();
        assert_eq!(e.code, Code::DutySeparation);
        // The system administrator created a credit-office account.
        assert!(
            check(
                acct(6, Sysadmin),
                AccountAction::Create { role: Admin },
                None
            )
            .is_err()
        );
        assert!(
            check(
                acct(6, Sysadmin),
                AccountAction::Create { role: Provider },
                None
            )
            .is_err()
        );
        // The system administrator issued a provider's token.
        assert!(check(acct(6, Sysadmin), AccountAction::IssueToken, t(2, Provider)).is_err());
    }

    #[test]
    fn what_each_administrator_may_do() {
        assert!(
            check(
                acct(6, Sysadmin),
                AccountAction::Create { role: Unassigned },
                None
            )
            .is_ok()
        );
        for a in [
            AccountAction::Disable,
            AccountAction::Enable,
            AccountAction::ResetPassword,
            AccountAction::Unlock,
            AccountAction::RevokeToken,
        ] {
            assert!(check(acct(6, Sysadmin), a, t(2, Provider)).is_ok(), "{a:?}");
            assert!(check(acct(6, Sysadmin), a, t(1, Admin)).is_ok(), "{a:?}");
        }
        assert!(check(acct(6, Sysadmin), AccountAction::Disable, t(8, Auditor)).is_err());
        assert!(check(acct(6, Sysadmin), AccountAction::Disable, t(6, Sysadmin)).is_err());
        for to in [Admin, Provider, Unit, Hr, Unassigned] {
            assert!(
                check(
                    acct(7, Secadmin),
                    AccountAction::SetRole { to },
                    t(20, Unassigned)
                )
                .is_ok()
            );
            assert!(
                check(
                    acct(7, Secadmin),
                    AccountAction::SetRole { to },
                    t(2, Provider)
                )
                .is_ok()
            );
        }
        for to in [Sysadmin, Secadmin, Auditor] {
            assert!(
                check(
                    acct(7, Secadmin),
                    AccountAction::SetRole { to },
                    t(20, Unassigned)
                )
                .is_err()
            );
        }
        assert!(check(acct(7, Secadmin), AccountAction::ResetTotp, t(1, Admin)).is_ok());
        assert!(check(acct(7, Secadmin), AccountAction::ResetTotp, t(7, Secadmin)).is_err());
        for a in AccountAction::all() {
            if a != AccountAction::ChangeOwnPassword {
                assert!(check(acct(8, Auditor), a, t(2, Provider)).is_err(), "{a:?}");
            }
        }
    }

    #[test]
    fn tokens_belong_to_their_holder() {
        assert!(check(acct(2, Provider), AccountAction::IssueToken, t(2, Provider)).is_ok());
        assert!(check(acct(2, Provider), AccountAction::IssueToken, t(3, Provider)).is_err());
        assert!(
            check(
                acct(2, Provider),
                AccountAction::RevokeToken,
                t(2, Provider)
            )
            .is_ok()
        );
        assert!(
            check(
                acct(2, Provider),
                AccountAction::RevokeToken,
                t(3, Provider)
            )
            .is_err()
        );
        assert!(check(Actor::Operator, AccountAction::IssueToken, t(2, Provider)).is_ok());
    }

    #[test]
    fn nobody_crosses_the_line_not_even_the_operator() {
        for from in AccountRole::ALL {
            for to in AccountRole::ALL {
                let r = check(Actor::Operator, AccountAction::SetRole { to }, t(5, from));
                assert_eq!(r.is_ok(), same_side(from, to), "{from:?} -> {to:?}");
            }
        }
    }
}

#[cfg(test)]
mod exhaustive {
    //! Every actor (the operator and each role) × every action × every target role, acting on
    //! itself or on another account: the rules of the module doc, each stated on its own.
    use super::*;
    use AccountRole::*;

    #[test]
    fn the_whole_table_keeps_the_rules() {
        let mut actors = vec![Actor::Operator];
        actors.extend(AccountRole::ALL.map(|role| Actor::Account { id: 1, role }));
        let mut checked = 0;
        for actor in actors {
            for action in AccountAction::all() {
                for target_role in AccountRole::ALL {
                    for target_id in [1, 2] {
                        let target = match action {
                            AccountAction::Create { .. } => None,
                            _ => Some(Target {
                                id: target_id,
                                role: target_role,
                            }),
                        };
                        let ok = check(actor, action, target).is_ok();
                        checked += 1;
                        let own = matches!(actor, Actor::Account { id, .. } if target.is_some_and(|t| t.id == id));
                        let role = match actor {
                            Actor::Operator => None,
                            Actor::Account { role, .. } => Some(role),
                        };
                        let msg = format!("{actor:?} {action:?} {target:?}");
                        if !ok {
                            let e = check(actor, action, target).unwrap_err();
                            assert_eq!(e.code, Code::DutySeparation, "{msg}");
                            assert!(
                                e.message.starts_with("三员分立") || e.message.contains("账号"),
                                "{msg}"
                            );
                            continue;
                        }
                        // No account moves between an administrative and a business role.
                        if let AccountAction::SetRole { to } = action {
                            assert_eq!(
                                to.is_administrative(),
                                target_role.is_administrative(),
                                "{msg}"
                            );
                        }
                        // Roles are granted by the security administrator (or the operator),
                        // never to itself, never to or from one of the three.
                        if let AccountAction::SetRole { to } = action {
                            assert!(matches!(role, None | Some(Secadmin)), "{msg}");
                            if role == Some(Secadmin) {
                                assert!(!own && !to.is_administrative(), "{msg}");
                            }
                        }
                        // Accounts are created by the system administrator, without a role, or
                        // by the operator.
                        if let AccountAction::Create { role: r } = action {
                            assert!(
                                role.is_none() || (role == Some(Sysadmin) && r == Unassigned),
                                "{msg}"
                            );
                        }
                        // Tokens are issued by their holder or the operator.
                        if action == AccountAction::IssueToken {
                            assert!(role.is_none() || own, "{msg}");
                        }
                        // The auditor and the business roles only look after themselves (and
                        // then, as for everyone below, only after their password and tokens).
                        if matches!(
                            role,
                            Some(Auditor | Admin | Provider | Unit | Hr | Unassigned)
                        ) {
                            assert!(own, "{msg}");
                        }
                        // An account acts on itself only for its password and tokens.
                        if own {
                            assert!(
                                matches!(
                                    action,
                                    AccountAction::ChangeOwnPassword
                                        | AccountAction::IssueToken
                                        | AccountAction::RevokeToken
                                ),
                                "{msg}"
                            );
                        }
                        // The system administrator leaves the three's accounts to the operator,
                        // except to unlock them or revoke their tokens.
                        if role == Some(Sysadmin)
                            && !own
                            && target.is_some()
                            && target_role.is_administrative()
                        {
                            assert!(
                                matches!(
                                    action,
                                    AccountAction::Unlock | AccountAction::RevokeToken
                                ),
                                "{msg}"
                            );
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 9 * AccountAction::all().len() * 8 * 2);
    }
}
