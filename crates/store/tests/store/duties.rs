//! Separation of duties (三员分立) as the store applies it, on SQLite and PostgreSQL: every actor
//! role × every account action × every target role against real accounts, each answer the
//! domain's table gives and each refusal writing nothing; the one-time password; and the audit
//! chain over accounts and tokens against direct edits of the database.

use crate::common::*;
use chrono::{DateTime, TimeZone, Utc};
use probity_domain::Code;
use probity_domain::account::AccountRole;
use probity_domain::duties::{self, AccountAction, Actor, Target};
use probity_store::{Account, Acting, LoginError, Problem, Store, StoreError};

const OPERATOR: &str = "cli:operator";
const PW: &str = "Binhai#2025x";
const PW2: &str = "Second#Pass22";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 30, 8, 0, 0).unwrap()
}

fn code_of(e: &StoreError) -> Code {
    match e {
        StoreError::Domain(d) => d.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

/// One account per role, made by the operator (the roles with a unit bound to the court).
fn one_per_role(store: &Store, fx: &Fx, tag: &str) -> Vec<Account> {
    AccountRole::ALL
        .iter()
        .map(|role| {
            let unit = role.needs_unit().then_some(fx.court.id);
            store
                .create_account(&format!("{tag}_{}", role.code()), *role, unit, PW, OPERATOR)
                .unwrap()
        })
        .collect()
}

/// Does `action` through the store, as `by`, to `target`; returns whether it was allowed.
fn attempt(
    store: &Store,
    fx: &Fx,
    by: &Account,
    action: AccountAction,
    target: &Account,
) -> Result<(), StoreError> {
    let by = Acting::from(by);
    match action {
        AccountAction::Create { role } => {
            let unit = role.needs_unit().then_some(fx.court.id);
            store
                .create_account(
                    &format!("new_{}_{}", target.id, role.code()),
                    role,
                    unit,
                    PW,
                    by,
                )
                .map(|_| ())
        }
        AccountAction::SetRole { to } => {
            let unit = to.needs_unit().then_some(fx.court.id);
            store.set_role(target.id, to, unit, by).map(|_| ())
        }
        AccountAction::Disable => store.set_disabled(target.id, true, by).map(|_| ()),
        AccountAction::Enable => store.set_disabled(target.id, false, by).map(|_| ()),
        AccountAction::ResetPassword => store.reset_password(target.id, by).map(|_| ()),
        AccountAction::Unlock => store.unlock(target.id, by).map(|_| ()),
        AccountAction::ResetTotp => store.reset_totp(target.id, by).map(|_| ()),
        AccountAction::ChangeOwnPassword => {
            let Acting::Account(id) = by else {
                unreachable!()
            };
            if id != target.id {
                // The store's change_password only ever changes the caller's own password: the
                // target is not a parameter, so acting on another is impossible by shape.
                return Err(StoreError::domain(
                    Code::DutySeparation,
                    "只能修改自己的密码",
                ));
            }
            store.change_password(id, PW, PW2, "t", t0()).map(|_| ())
        }
        AccountAction::IssueToken => store.issue_token(target.id, "t", by).map(|_| ()),
        AccountAction::RevokeToken => {
            let (t, _) = store.issue_token(target.id, "t", OPERATOR)?;
            store.revoke_token(t.id, by).map(|_| ())
        }
        AccountAction::EditContact => {
            let contact = probity_domain::account::Contact {
                real_name: "张三".into(),
                phone: "13812345678".into(),
                ..Default::default()
            };
            store.set_contact(target.id, &contact, by).map(|_| ())
        }
    }
}

store_tests! {
    the_whole_table_against_real_accounts => whole_table_sqlite, whole_table_postgres;
    the_findings_are_refused => findings_sqlite, findings_postgres;
    one_time_passwords => one_time_passwords_sqlite, one_time_passwords_postgres;
    direct_edits_of_accounts_and_tokens_are_found => direct_edits_sqlite, direct_edits_postgres;
}

/// For each actor role: an actor, a target of each role and the actor itself; every action on
/// each: the store allows exactly what `duties::check` allows, a refusal leaves the journal as it
/// was, and an allowed change is put back by the operator before the next one.
fn the_whole_table_against_real_accounts(store: &Store) {
    let fx = fixture(store);
    let unit = |r: AccountRole| r.needs_unit().then_some(fx.court.id);
    let mut walked = 0;
    for (i, actor_role) in AccountRole::ALL.into_iter().enumerate() {
        let actor = store
            .create_account(
                &format!("w{i}_actor"),
                actor_role,
                unit(actor_role),
                PW,
                OPERATOR,
            )
            .unwrap();
        let mut targets: Vec<Account> = AccountRole::ALL
            .into_iter()
            .map(|r| {
                store
                    .create_account(&format!("w{i}_{}", r.code()), r, unit(r), PW, OPERATOR)
                    .unwrap()
            })
            .collect();
        targets.push(actor.clone());
        for target in &targets {
            let own = target.id == actor.id;
            for action in AccountAction::all() {
                if action == AccountAction::ChangeOwnPassword && !own {
                    // change_password takes no target: acting on another is impossible by shape.
                    continue;
                }
                let expected = duties::check(
                    Actor::Account {
                        id: actor.id,
                        role: actor.role,
                    },
                    action,
                    (!matches!(action, AccountAction::Create { .. })).then_some(Target {
                        id: target.id,
                        role: target.role,
                    }),
                );
                let token_role_ok = probity_store::accounts::may_hold_token(target.role);
                let setup = usize::from(action == AccountAction::RevokeToken && token_role_ok);
                let head = store.head_seq().unwrap();
                let got = attempt(store, &fx, &actor, action, target);
                let msg = format!("{actor_role:?} {action:?} {:?} own={own}", target.role);
                let token_rule = matches!(
                    action,
                    AccountAction::IssueToken | AccountAction::RevokeToken
                ) && !token_role_ok;
                match (&expected, &got) {
                    (Ok(()), Ok(())) => {}
                    // Allowed by the duties, refused by the token rule only (roles that log in
                    // with a second factor hold no token).
                    (Ok(()), Err(e)) => assert!(token_rule, "{msg}: {e:?}"),
                    (Err(_), Ok(())) => panic!("{msg}: the store allowed what the table refuses"),
                    (Err(_), Err(e)) => {
                        if !token_rule {
                            assert_eq!(code_of(e), Code::DutySeparation, "{msg}");
                        }
                        assert_eq!(
                            store.head_seq().unwrap(),
                            head + setup as i64,
                            "{msg}: a refusal writes nothing"
                        );
                    }
                }
                // Put back what an allowed change changed, so that the next one starts alike.
                if got.is_ok() {
                    match action {
                        AccountAction::SetRole { .. } => {
                            store
                                .set_role(target.id, target.role, target.unit_id, OPERATOR)
                                .unwrap();
                        }
                        AccountAction::Disable => {
                            store.set_disabled(target.id, false, OPERATOR).unwrap();
                        }
                        // A reset by the system administrator withdraws a business role.
                        AccountAction::ResetPassword => {
                            store
                                .set_role(target.id, target.role, target.unit_id, OPERATOR)
                                .unwrap();
                        }
                        _ => {}
                    }
                }
                walked += 1;
            }
        }
    }
    // 8 actors × 9 targets × (every action but ChangeOwnPassword) + 8 own password changes.
    assert_eq!(walked, 8 * 9 * (AccountAction::all().len() - 1) + 8);
    assert_clean(store);
}

fn the_findings_are_refused(store: &Store) {
    let fx = fixture(store);
    let all = one_per_role(store, &fx, "f");
    let by_role = |r: AccountRole| all.iter().find(|a| a.role == r).unwrap().clone();
    let (sec, sys, provider) = (
        by_role(AccountRole::Secadmin),
        by_role(AccountRole::Sysadmin),
        by_role(AccountRole::Provider),
    );
    let head = store.head_seq().unwrap();
    // 1. The security administrator makes itself the credit office.
    let e = store
        .set_role(sec.id, AccountRole::Admin, None, &sec)
        .unwrap_err();
    assert_eq!(code_of(&e), Code::DutySeparation);
    assert!(e.to_string().contains("三员分立"), "{e}");
    assert_eq!(store.account(sec.id).unwrap().role, AccountRole::Secadmin);
    // 2. The system administrator creates business accounts, or a provider's token.
    for role in [
        AccountRole::Admin,
        AccountRole::Provider,
        AccountRole::Secadmin,
    ] {
        let unit = role.needs_unit().then_some(fx.court.id);
        let e = store
            .create_account("sys_made", role, unit, PW, &sys)
            .unwrap_err();
        assert_eq!(code_of(&e), Code::DutySeparation, "{role:?}");
    }
    let e = store.issue_token(provider.id, "x", &sys).unwrap_err();
    assert_eq!(code_of(&e), Code::DutySeparation);
    assert_eq!(store.head_seq().unwrap(), head, "refusals write nothing");
    assert!(store.tokens(None).unwrap().is_empty());
    // What each may do instead.
    let (created, otp) = store
        .create_account_one_time("new.clerk", AccountRole::Unassigned, None, &sys)
        .unwrap();
    assert_eq!(created.role, AccountRole::Unassigned);
    assert!(created.password_change_required);
    assert_eq!(otp.chars().count(), 16);
    store
        .set_role(created.id, AccountRole::Provider, Some(fx.court.id), &sec)
        .unwrap();
    let (_, plain) = store.issue_token(provider.id, "mine", &provider).unwrap();
    assert!(store.token_account(&plain, t0()).unwrap().is_some());
    assert_clean(store);
}

fn one_time_passwords(store: &Store) {
    let fx = fixture(store);
    let all = one_per_role(store, &fx, "o");
    let by_role = |r: AccountRole| all.iter().find(|a| a.role == r).unwrap().clone();
    let (sec, sys) = (
        by_role(AccountRole::Secadmin),
        by_role(AccountRole::Sysadmin),
    );
    let (clerk, otp) = store
        .create_account_one_time("credit.clerk", AccountRole::Unassigned, None, &sys)
        .unwrap();
    // The security administrator makes it the credit office: a role with a second factor.
    store
        .set_role(clerk.id, AccountRole::Admin, None, &sec)
        .unwrap();
    // Whoever knows the one-time password logs in, but can do nothing before changing it: not
    // even enrol the second factor (so the system administrator cannot enrol first).
    let a = store.login("credit.clerk", &otp, None, t0()).unwrap();
    assert!(a.password_change_required && a.totp_pending);
    assert_eq!(
        code_of(&store.begin_totp(clerk.id).unwrap_err()),
        Code::PasswordChangeRequired
    );
    assert_eq!(
        code_of(&store.issue_token(clerk.id, "x", &a).unwrap_err()),
        Code::PasswordChangeRequired
    );
    // A wrong current password changes nothing and counts as a failure.
    let head = store.head_seq().unwrap();
    assert_eq!(
        code_of(
            &store
                .change_password(clerk.id, "Wrong#Pass123", PW2, "c1", t0())
                .unwrap_err()
        ),
        Code::PasswordWrong
    );
    // A weak or unchanged new password is refused with the policy's reasons.
    assert_eq!(
        code_of(
            &store
                .change_password(clerk.id, &otp, "short", "c1", t0())
                .unwrap_err()
        ),
        Code::PasswordWeak
    );
    assert_eq!(
        code_of(
            &store
                .change_password(clerk.id, &otp, &otp, "c1", t0())
                .unwrap_err()
        ),
        Code::PasswordWeak
    );
    // Nothing changed but the failed check, which the journal keeps (登录失败).
    assert_eq!(store.head_seq().unwrap(), head + 1);
    let changed = store
        .change_password(clerk.id, &otp, PW2, "c1", t0())
        .unwrap();
    assert!(!changed.password_change_required);
    assert!(matches!(
        store.login("credit.clerk", &otp, None, t0()),
        Err(LoginError::BadCredentials)
    ));
    store.login("credit.clerk", PW2, None, t0()).unwrap();
    store.begin_totp(clerk.id).unwrap();

    // The system administrator resets a provider's password: a new one-time password; the old
    // one stops working; the holder must change it again.
    let provider = by_role(AccountRole::Provider);
    let otp2 = store.reset_password(provider.id, &sys).unwrap();
    assert!(matches!(
        store.login("o_provider", PW, None, t0()),
        Err(LoginError::BadCredentials)
    ));
    let p = store.login("o_provider", &otp2, None, t0()).unwrap();
    assert!(p.password_change_required);
    // Whoever saw the one-time password cannot use it as the provider: the reset withdrew the
    // role (and the tokens with it) until the security administrator grants it again.
    assert_eq!((p.role, p.unit_id), (AccountRole::Unassigned, None));
    let last = store
        .history(
            probity_domain::audit::Entity::Account,
            &provider.id.to_string(),
        )
        .unwrap()
        .into_iter()
        .rev()
        .find(|e| e.action == "reset_password")
        .unwrap();
    assert!(
        last.detail.contains("\"previous_role\":\"provider\""),
        "{}",
        last.detail
    );
    store
        .set_role(provider.id, AccountRole::Provider, Some(fx.court.id), &sec)
        .unwrap();
    // The operator at the machine resets without withdrawing.
    store.reset_password(provider.id, OPERATOR).unwrap();
    assert_eq!(
        store.account(provider.id).unwrap().role,
        AccountRole::Provider
    );
    // A pending enrolment begun before a reset is void: its secret may have been seen.
    let before = store.begin_totp(clerk.id).unwrap();
    let sec_admin_otp = store.reset_password(clerk.id, &sys).unwrap();
    store
        .change_password(clerk.id, &sec_admin_otp, "Third#Pass333", "c1", t0())
        .unwrap();
    let after = store.begin_totp(clerk.id).unwrap();
    assert_ne!(before.secret_base32, after.secret_base32);
    // The security administrator resets a lost authenticator; not its own.
    assert_eq!(
        code_of(&store.reset_totp(sec.id, &sec).unwrap_err()),
        Code::DutySeparation
    );
    store.reset_totp(clerk.id, &sec).unwrap();
    // Every step is journaled by the one who took it.
    let actions: Vec<(String, String)> = store
        .history(
            probity_domain::audit::Entity::Account,
            &clerk.id.to_string(),
        )
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    assert_eq!(
        actions[0],
        ("sysadmin:o_sysadmin".to_string(), "create".to_string())
    );
    assert!(
        actions.contains(&("secadmin:o_secadmin".into(), "set_role".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("admin:credit.clerk".into(), "change_password".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("sysadmin:o_sysadmin".into(), "reset_password".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("secadmin:o_secadmin".into(), "reset_totp".into())),
        "{actions:?}"
    );
    assert_clean(store);
}

/// An intruder with the database but not the platform: each edit is named by `audit verify`,
/// and undoing it makes the chain whole again.
fn direct_edits_of_accounts_and_tokens_are_found(store: &Store) {
    let fx = fixture(store);
    let all = one_per_role(store, &fx, "d");
    let id_of = |r: AccountRole| all.iter().find(|a| a.role == r).unwrap().id;
    let (provider, hr, spare) = (
        id_of(AccountRole::Provider),
        id_of(AccountRole::Hr),
        id_of(AccountRole::Unassigned),
    );
    let (tok, _) = store.issue_token(provider, "t", OPERATOR).unwrap();
    store.revoke_token(tok.id, OPERATOR).unwrap();
    store
        .raw_exec("CREATE TABLE accounts_copy AS SELECT * FROM accounts; CREATE TABLE tokens_copy AS SELECT * FROM api_tokens")
        .unwrap();
    let restore = "DELETE FROM api_tokens; DELETE FROM accounts; \
                   INSERT INTO accounts SELECT * FROM accounts_copy; INSERT INTO api_tokens SELECT * FROM tokens_copy";
    assert_clean(store);
    let t = tok.id;
    let edits: Vec<(String, &str, i64)> = vec![
        // An account made the credit office.
        (
            format!("UPDATE accounts SET role = 'admin' WHERE id = {provider}"),
            "account",
            provider,
        ),
        // A known password's hash planted.
        (
            format!(
                "UPDATE accounts SET password_hash = (SELECT password_hash FROM accounts WHERE id = {hr}) WHERE id = {provider}"
            ),
            "account",
            provider,
        ),
        // A second factor's secret planted.
        (
            format!(
                "UPDATE accounts SET totp_secret = (SELECT token_hash FROM api_tokens WHERE id = {t}) WHERE id = {hr}"
            ),
            "account",
            hr,
        ),
        // The one-time-password duty lifted.
        (
            format!("UPDATE accounts SET must_change_password = 1 WHERE id = {hr}"),
            "account",
            hr,
        ),
        // A revoked token revived and moved to another account.
        (
            format!("UPDATE api_tokens SET revoked_at = NULL, account_id = {hr} WHERE id = {t}"),
            "api_token",
            t,
        ),
        // A token planted.
        (
            format!(
                "INSERT INTO api_tokens (id, token_hash, account_id, label, created_at) SELECT 99, id_hash, {hr}, 'x', created_at FROM subjects WHERE id_hash IS NOT NULL LIMIT 1"
            ),
            "api_token",
            99,
        ),
        // An account planted.
        (
            format!(
                "INSERT INTO accounts (id, name, name_key, role, password_hash, created_at, updated_at) SELECT 98, 'ghost', 'ghost', 'admin', password_hash, created_at, updated_at FROM accounts WHERE id = {hr}"
            ),
            "account",
            98,
        ),
        // An account deleted.
        (
            format!("DELETE FROM accounts WHERE id = {spare}"),
            "account",
            spare,
        ),
    ];
    for (sql, entity, id) in edits {
        store.raw_exec(&sql).unwrap();
        match problem(store) {
            Problem::Row {
                entity: e,
                id: i,
                reason,
            } => {
                assert_eq!(
                    (e.as_str(), i.as_str()),
                    (entity, id.to_string().as_str()),
                    "{sql}: {reason}"
                );
                assert!(reason.contains("疑似"), "{reason}");
            }
            other => panic!("{sql}: {other:?}"),
        }
        store.raw_exec(restore).unwrap();
        assert_clean(store);
    }
}
