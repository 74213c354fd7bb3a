//! Accounts, logins, sessions and API tokens, on SQLite and on PostgreSQL (when
//! `PROBITY_TEST_PG` is set). Time is passed explicitly, so lockouts, TOTP steps and session
//! timeouts are tested without waiting.

use crate::common::*;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use hmac::{Hmac, KeyInit, Mac};
use probity_domain::Code;
use probity_domain::account::AccountRole;
use probity_store::{LoginError, Problem, Store, StoreError};

const ACTOR: &str = "安全管理员:secadmin";
const PW: &str = "Binhai#2025x";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 30, 8, 0, 0).unwrap()
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

fn mins(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

/// RFC 4648 Base32 without padding, as authenticator apps read it.
fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32 char") as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits), computed here independently of the store.
fn totp(secret_base32: &str, at: DateTime<Utc>) -> String {
    let key = base32_decode(secret_base32);
    let counter = (at.timestamp() as u64) / 30;
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[off]) & 0x7f) << 24
        | u32::from(h[off + 1]) << 16
        | u32::from(h[off + 2]) << 8
        | u32::from(h[off + 3]);
    format!("{:06}", bin % 1_000_000)
}

#[test]
fn the_test_totp_matches_rfc_6238() {
    // Appendix B, SHA1: T=59 → 94287082, T=1111111109 → 07081804 (last six digits).
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
    assert_eq!(
        totp(secret, DateTime::from_timestamp(59, 0).unwrap()),
        "287082"
    );
    assert_eq!(
        totp(secret, DateTime::from_timestamp(1_111_111_109, 0).unwrap()),
        "081804"
    );
}

/// A well-formed code that is wrong at every step this file's tests use (two hours from t0).
fn wrong_code(secret_base32: &str) -> String {
    let used: Vec<String> = (-4..240)
        .map(|i| totp(secret_base32, t0() + secs(30 * i)))
        .collect();
    (0..10)
        .map(|d| d.to_string().repeat(6))
        .find(|c| !used.contains(c))
        .expect("some code unused")
}

fn login_err(r: Result<probity_store::Account, LoginError>) -> LoginError {
    match r {
        Ok(a) => panic!("login should have failed, got {a:?}"),
        Err(e) => e,
    }
}

/// A provider account for the court and an admin, on the fixture roster.
fn accounts(store: &Store) -> (Fx, probity_store::Account, probity_store::Account) {
    let fx = fixture(store);
    let provider = store
        .create_account(
            "court.reporter",
            AccountRole::Provider,
            Some(fx.court.id),
            PW,
            ACTOR,
        )
        .unwrap();
    let admin = store
        .create_account("信用办管理员", AccountRole::Admin, None, PW, ACTOR)
        .unwrap();
    (fx, provider, admin)
}

// =============================================================================================
// Creating accounts

store_tests! {
    create_and_find => create_and_find_sqlite, create_and_find_postgres;
    refused_accounts_write_nothing => refused_accounts_write_nothing_sqlite, refused_accounts_write_nothing_postgres;
    role_changes_and_disabling => role_changes_and_disabling_sqlite, role_changes_and_disabling_postgres;
    the_holders_contact_is_checked_stored_and_audited => contact_sqlite, contact_postgres;
}

/// The holder's name, phone and e-mail address: the store checks them again whoever calls it (a
/// refusal writes nothing), keeps the normalised number and address, and the audited digest
/// covers all three.
fn the_holders_contact_is_checked_stored_and_audited(store: &Store) {
    use probity_domain::account::Contact;
    let (_, provider, _) = accounts(store);
    let head = store.head_seq().unwrap();
    let bad = Contact {
        real_name: "张三".into(),
        phone: "12345".into(),
        ..Default::default()
    };
    match store.set_contact(provider.id, &bad, ACTOR) {
        Err(StoreError::Domain(e)) => assert_eq!(e.code, Code::PhoneInvalid),
        other => panic!("a bad number must be refused: {other:?}"),
    }
    match store.create_account_with("with.bad", AccountRole::Hr, None, &bad, Some(PW), ACTOR) {
        Err(StoreError::Domain(e)) => assert_eq!(e.code, Code::PhoneInvalid),
        other => panic!("a bad number must be refused: {other:?}"),
    }
    // An address mail cannot be sent to is refused the same way, whoever calls.
    let bad_mail = Contact {
        real_name: "张三".into(),
        phone: "022 2345 6789".into(),
        email: "zhangsan@binhai".into(),
    };
    match store.set_contact(provider.id, &bad_mail, ACTOR) {
        Err(StoreError::Domain(e)) => assert_eq!(e.code, Code::EmailInvalid),
        other => panic!("a bad address must be refused: {other:?}"),
    }
    match store.create_account_with(
        "with.bad",
        AccountRole::Hr,
        None,
        &bad_mail,
        Some(PW),
        ACTOR,
    ) {
        Err(StoreError::Domain(e)) => assert_eq!(e.code, Code::EmailInvalid),
        other => panic!("a bad address must be refused: {other:?}"),
    }
    assert_eq!(store.head_seq().unwrap(), head, "refusals write nothing");
    assert_eq!(store.account(provider.id).unwrap().email, "");
    let good = Contact {
        real_name: "张三".into(),
        phone: "022 2345 6789".into(),
        email: " ZhangSan@Binhai.GOV.cn ".into(),
    };
    let a = store.set_contact(provider.id, &good, ACTOR).unwrap();
    assert_eq!(
        (a.real_name.as_str(), a.phone.as_str(), a.email.as_str()),
        ("张三", "022-23456789", "ZhangSan@binhai.gov.cn")
    );
    let last = store
        .history(probity_domain::audit::Entity::Account, &a.id.to_string())
        .unwrap()
        .pop()
        .unwrap();
    assert!(
        last.detail.contains("email") && !last.detail.contains("binhai.gov.cn"),
        "the journal names the field, not the address: {}",
        last.detail
    );
    assert_eq!(store.verify().unwrap().problem, None);
    // An address changed behind the platform's back is found: mail would go elsewhere.
    store
        .raw_exec(&format!(
            "UPDATE accounts SET email = 'someone@else.cn' WHERE id = {}",
            provider.id
        ))
        .unwrap();
    assert!(matches!(
        store.verify().unwrap().problem,
        Some(Problem::Row { .. })
    ));
    store
        .raw_exec(&format!(
            "UPDATE accounts SET email = 'ZhangSan@binhai.gov.cn' WHERE id = {}",
            provider.id
        ))
        .unwrap();
    assert_eq!(store.verify().unwrap().problem, None);
    // A number changed behind the platform's back is found.
    store
        .raw_exec(&format!(
            "UPDATE accounts SET phone = '13900000000' WHERE id = {}",
            provider.id
        ))
        .unwrap();
    assert!(matches!(
        store.verify().unwrap().problem,
        Some(Problem::Row { .. })
    ));
}

fn create_and_find(store: &Store) {
    let before = store.head_seq().unwrap();
    let (fx, provider, admin) = accounts(store);
    assert_eq!(
        store.head_seq().unwrap(),
        before + 5 + 2,
        "five roster subjects, then one journal entry per account"
    );
    assert_eq!(provider.name, "court.reporter");
    assert_eq!(provider.role, AccountRole::Provider);
    assert_eq!(provider.unit_id, Some(fx.court.id));
    assert!(!provider.totp_enabled && !provider.totp_pending && !provider.disabled);
    assert_eq!(admin.unit_id, None);
    assert!(admin.totp_pending, "an admin must enrol a second factor");
    assert!(admin.last_login_at.is_none() && admin.locked_until.is_none());
    assert!((Utc::now() - admin.created_at).num_minutes().abs() < 5);

    assert_eq!(store.account(provider.id).unwrap(), provider);
    assert_eq!(
        store.account_by_name("Court.Reporter").unwrap().as_ref(),
        Some(&provider),
        "names are looked up ignoring ASCII case"
    );
    assert_eq!(
        store.account_by_name(" 信用办管理员 ").unwrap(),
        Some(admin.clone())
    );
    assert_eq!(store.account_by_name("nobody").unwrap(), None);
    assert_eq!(store.account_by_name("court\0reporter").unwrap(), None);
    assert_eq!(store.accounts().unwrap(), vec![provider, admin]);
    match store.account(999) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }

    // Every role can be created, bound to a unit exactly when it needs one.
    for (i, role) in AccountRole::ALL.into_iter().enumerate() {
        let unit = role.needs_unit().then_some(fx.township.id);
        let a = store
            .create_account(&format!("user{i}"), role, unit, PW, ACTOR)
            .unwrap();
        assert_eq!(a.role, role);
        assert_eq!(a.totp_pending, role.requires_totp());
    }
    assert_clean(store);
}

fn refused_accounts_write_nothing(store: &Store) {
    let (fx, _, _) = accounts(store);
    let head = store.head_seq().unwrap();
    let n = store.accounts().unwrap().len();
    let code = |r: Result<probity_store::Account, StoreError>| domain_code(&r.unwrap_err());

    // Duplicate names, ignoring ASCII case and surrounding spaces.
    assert_eq!(
        code(store.create_account(" COURT.reporter ", AccountRole::Hr, None, PW, ACTOR)),
        Code::AccountExists
    );
    assert_eq!(
        code(store.create_account("信用办管理员", AccountRole::Auditor, None, PW, ACTOR)),
        Code::AccountExists
    );
    // Weak passwords, each with its reason in Chinese.
    for (pw, reason) in [
        ("Ab1!", "至少 10 个字符"),
        ("abcdefghijk", "至少 3 类"),
        ("Xfinance.clerk#1", "账号名"),
    ] {
        let err = store
            .create_account("finance.clerk", AccountRole::Hr, None, pw, ACTOR)
            .unwrap_err();
        assert_eq!(domain_code(&err), Code::PasswordWeak, "{pw}");
        assert!(err.to_string().contains(reason), "{pw}: {err}");
    }
    // Bad names.
    for name in ["a", "has space", "semi;colon", "长".repeat(33).as_str()] {
        assert_eq!(
            code(store.create_account(name, AccountRole::Hr, None, PW, ACTOR)),
            Code::AccountNameInvalid,
            "{name}"
        );
    }
    // Role and unit must agree; the unit must be a unit on the roster.
    assert_eq!(
        code(store.create_account("p1", AccountRole::Provider, None, PW, ACTOR)),
        Code::RoleUnitMismatch
    );
    assert_eq!(
        code(store.create_account("a1", AccountRole::Sysadmin, Some(fx.court.id), PW, ACTOR)),
        Code::RoleUnitMismatch
    );
    assert_eq!(
        code(store.create_account("u1", AccountRole::Unit, Some(fx.person.id), PW, ACTOR)),
        Code::RoleUnitMismatch,
        "a civil servant is not a unit"
    );
    assert_eq!(
        code(store.create_account("u2", AccountRole::Unit, Some(9_999), PW, ACTOR)),
        Code::SubjectNotFound
    );
    assert_eq!(store.head_seq().unwrap(), head, "nothing journaled");
    assert_eq!(store.accounts().unwrap().len(), n, "nothing created");
    assert_clean(store);
}

fn role_changes_and_disabling(store: &Store) {
    let (fx, provider, _) = accounts(store);
    let head = store.head_seq().unwrap();
    let s = store
        .create_session(provider.id, TimeDelta::hours(8), t0())
        .unwrap();

    let err = store
        .set_role(provider.id, AccountRole::Unit, None, ACTOR)
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::RoleUnitMismatch);
    assert_eq!(store.head_seq().unwrap(), head);

    let unit = store
        .set_role(provider.id, AccountRole::Unit, Some(fx.township.id), ACTOR)
        .unwrap();
    assert_eq!(
        (unit.role, unit.unit_id),
        (AccountRole::Unit, Some(fx.township.id))
    );
    assert!(
        store.session(&s.token, t0(), mins(30)).unwrap().is_none(),
        "a role change ends the account's sessions"
    );
    // No account crosses between the business and the three administrators, not even by the
    // operator's hand; the refusal writes nothing.
    let before = store.head_seq().unwrap();
    for to in [
        AccountRole::Auditor,
        AccountRole::Sysadmin,
        AccountRole::Secadmin,
    ] {
        let err = store.set_role(provider.id, to, None, ACTOR).unwrap_err();
        assert_eq!(domain_code(&err), Code::DutySeparation);
    }
    assert_eq!(store.head_seq().unwrap(), before);
    let auditor = store
        .set_role(provider.id, AccountRole::Admin, None, ACTOR)
        .unwrap();
    assert!(auditor.totp_pending && auditor.unit_id.is_none());
    assert!(matches!(
        store.set_role(4242, AccountRole::Hr, None, ACTOR),
        Err(StoreError::NotFound(_))
    ));

    let disabled = store.set_disabled(provider.id, true, ACTOR).unwrap();
    assert!(disabled.disabled);
    assert!(matches!(
        store.login("court.reporter", PW, None, t0()),
        Err(LoginError::Disabled)
    ));
    assert!(
        !store
            .set_disabled(provider.id, false, ACTOR)
            .unwrap()
            .disabled
    );
    assert!(store.login("court.reporter", PW, None, t0()).is_ok());
    assert_eq!(
        store.head_seq().unwrap(),
        head + 6,
        "each change journaled once, and each login: the disabled account's refused one and the one after"
    );
    assert_clean(store);
}

// =============================================================================================
// Logging in

store_tests! {
    login_success_and_indistinguishable_failures => login_success_and_indistinguishable_failures_sqlite, login_success_and_indistinguishable_failures_postgres;
    lockout_after_five_failures_and_unlock_after_fifteen_minutes => lockout_after_five_failures_and_unlock_after_fifteen_minutes_sqlite, lockout_after_five_failures_and_unlock_after_fifteen_minutes_postgres;
    totp_enrolment_and_login => totp_enrolment_and_login_sqlite, totp_enrolment_and_login_postgres;
    password_change => password_change_sqlite, password_change_postgres;
}

fn login_success_and_indistinguishable_failures(store: &Store) {
    let (_, provider, _) = accounts(store);
    let head = store.head_seq().unwrap();
    let ok = store.login("Court.Reporter", PW, None, t0()).unwrap();
    assert_eq!(ok.id, provider.id);
    assert_eq!(ok.last_login_at, Some(t0()));
    // A TOTP code is ignored for an account without a second factor.
    assert!(
        store
            .login("court.reporter", PW, Some("123456"), t0())
            .is_ok()
    );

    let wrong_pw = login_err(store.login("court.reporter", "Binhai#2025y", None, t0()));
    let no_user = login_err(store.login("no.such.user", PW, None, t0()));
    assert!(matches!(wrong_pw, LoginError::BadCredentials));
    assert!(matches!(no_user, LoginError::BadCredentials));
    assert_eq!(wrong_pw.code(), no_user.code());
    assert_eq!(wrong_pw.message(), no_user.message());
    assert!(
        wrong_pw.message().starts_with("账号或密码错误"),
        "{}",
        wrong_pw.message()
    );
    assert_eq!(wrong_pw.code(), "LOGIN_FAILED");
    // Garbage never panics and never matches.
    for (name, pw) in [
        ("", ""),
        ("court.reporter", ""),
        (&"x".repeat(10_000) as &str, PW),
        ("court.reporter\0", PW),
        ("'; DROP TABLE accounts; --", PW),
    ] {
        assert!(matches!(
            login_err(store.login(name, pw, None, t0())),
            LoginError::BadCredentials
        ));
    }
    // Every attempt is journaled (审计日志): two logins, the wrong password, the unknown name
    // and the five garbage attempts.
    assert_eq!(
        store.head_seq().unwrap(),
        head + 9,
        "each login journaled once"
    );
    assert_clean(store);
    assert!(store.login("court.reporter", PW, None, t0()).is_ok());
}

fn lockout_after_five_failures_and_unlock_after_fifteen_minutes(store: &Store) {
    let (_, provider, _) = accounts(store);
    let bad = "Wrong#Password1";
    // Four failures, then a success: the count starts again.
    for i in 0..4 {
        let e = login_err(store.login("court.reporter", bad, None, t0() + secs(i)));
        assert!(matches!(e, LoginError::BadCredentials), "{e:?}");
    }
    assert!(
        store
            .login("court.reporter", PW, None, t0() + secs(5))
            .is_ok()
    );
    let head = store.head_seq().unwrap();

    let start = t0() + mins(1);
    for i in 0..4 {
        let e = login_err(store.login("court.reporter", bad, None, start + secs(i)));
        assert!(matches!(e, LoginError::BadCredentials), "{e:?}");
    }
    // The fifth failure within 15 minutes locks the account for 15 minutes, for this client.
    let until = start + mins(15);
    let fifth = login_err(store.login("court.reporter", bad, None, start + secs(4)));
    assert!(matches!(fifth, LoginError::BadCredentials), "{fifth:?}");
    assert_eq!(
        store.head_seq().unwrap(),
        head + 6,
        "the five failures and the lock are journaled"
    );
    let locked = store.account(provider.id).unwrap();
    assert_eq!(locked.locked_until, Some(until));

    // While locked even the right password is refused from this client, with the very answer
    // of a wrong password or an unknown name: a stranger learns nothing.
    let e = login_err(store.login("court.reporter", PW, None, start + mins(10)));
    let unknown = login_err(store.login("no.such.person", PW, None, start + mins(10)));
    assert!(matches!(e, LoginError::BadCredentials), "{e:?}");
    assert_eq!(e.code(), "LOGIN_FAILED");
    assert_eq!((e.code(), e.message()), (unknown.code(), unknown.message()));
    assert!(matches!(
        login_err(store.login("court.reporter", PW, None, until - secs(1))),
        LoginError::BadCredentials
    ));
    // The holder at another client is not locked out by whoever failed here.
    assert!(
        store
            .login_from("court.reporter", PW, None, "10.1.2.3", start + mins(10))
            .is_ok()
    );
    // Fifteen minutes on, it opens again, and a success clears the count.
    let ok = store.login("court.reporter", PW, None, until).unwrap();
    assert_eq!(ok.locked_until, None);
    for i in 0..4 {
        assert!(matches!(
            login_err(store.login("court.reporter", bad, None, until + secs(i))),
            LoginError::BadCredentials
        ));
    }
    // The other account is not affected, and an administrator can lift a lock early.
    assert!(
        store
            .login("信用办管理员", PW, None, start + mins(5))
            .is_ok()
    );
    assert!(matches!(
        login_err(store.login("court.reporter", bad, None, until + secs(4))),
        LoginError::BadCredentials
    ));
    assert!(
        store
            .login("court.reporter", PW, None, until + secs(5))
            .is_err(),
        "locked again"
    );
    store.unlock(provider.id, ACTOR).unwrap();
    assert!(
        store
            .login("court.reporter", PW, None, until + secs(5))
            .is_ok()
    );
    assert_clean(store);
}

fn totp_enrolment_and_login(store: &Store) {
    let (_, _, admin) = accounts(store);
    let name = "信用办管理员";
    // Not enrolled yet: the password alone logs in, and the account is told to enrol.
    let a = store.login(name, PW, None, t0()).unwrap();
    assert!(a.totp_pending && !a.totp_enabled);

    let head = store.head_seq().unwrap();
    let e = store.begin_totp(admin.id).unwrap();
    assert_eq!(e.secret_base32.len(), 32, "160-bit secret");
    let again = store.begin_totp(admin.id).unwrap();
    assert_eq!(
        again.secret_base32, e.secret_base32,
        "a reload shows the pending secret again, so the app's scan stays valid"
    );
    assert_eq!(base32_decode(&e.secret_base32).len(), 20);
    assert!(
        e.otpauth_url
            // The issuer an authenticator app shows: 政务诚信信息平台.
            .starts_with("otpauth://totp/%E6%94%BF%E5%8A%A1%E8%AF%9A%E4%BF%A1%E4%BF%A1%E6%81%AF%E5%B9%B3%E5%8F%B0:%E4%BF%A1"),
        "{}",
        e.otpauth_url
    );
    assert!(
        e.otpauth_url
            .contains(&format!("secret={}", e.secret_base32))
    );
    assert!(e.otpauth_url.contains("period=30") && e.otpauth_url.contains("digits=6"));
    assert_eq!(
        store.head_seq().unwrap(),
        head + 1,
        "the pending secret is journaled (audited state), once"
    );
    assert!(
        !store.account(admin.id).unwrap().totp_enabled,
        "not in force yet"
    );

    // A wrong code does not switch it on.
    let wrong = &wrong_code(&e.secret_base32);
    let err = store.confirm_totp(admin.id, wrong, t0()).unwrap_err();
    assert_eq!(domain_code(&err), Code::TotpInvalid);
    assert_eq!(
        domain_code(&store.confirm_totp(admin.id, "abc", t0()).unwrap_err()),
        Code::TotpInvalid
    );
    assert!(!store.account(admin.id).unwrap().totp_enabled);

    store
        .confirm_totp(admin.id, &totp(&e.secret_base32, t0()), t0())
        .unwrap();
    assert_eq!(store.head_seq().unwrap(), head + 2, "enabling is journaled");
    let a = store.account(admin.id).unwrap();
    assert!(a.totp_enabled && !a.totp_pending);
    assert_eq!(
        domain_code(&store.begin_totp(admin.id).unwrap_err()),
        Code::TotpAlreadyEnabled
    );

    // From now on the password alone is not enough.
    let now = t0() + secs(60);
    assert!(matches!(
        login_err(store.login(name, PW, None, now)),
        LoginError::TotpRequired
    ));
    assert!(matches!(
        login_err(store.login(name, PW, Some("  "), now)),
        LoginError::TotpRequired
    ));
    let e2 = login_err(store.login(name, PW, Some(wrong), now));
    assert!(matches!(e2, LoginError::TotpInvalid));
    assert_eq!(e2.code(), "TOTP_INVALID");
    // A wrong password with a right code is still bad credentials.
    assert!(matches!(
        login_err(store.login(
            name,
            "Nope#12345678",
            Some(&totp(&e.secret_base32, now)),
            now
        )),
        LoginError::BadCredentials
    ));
    let ok = store
        .login(name, PW, Some(&totp(&e.secret_base32, now)), now)
        .unwrap();
    assert_eq!(ok.id, admin.id);
    // A code is good once: replaying it (or the one used to enrol) fails.
    assert!(matches!(
        login_err(store.login(name, PW, Some(&totp(&e.secret_base32, now)), now + secs(5))),
        LoginError::TotpInvalid
    ));
    // One step of clock drift either way is accepted.
    let later = now + secs(120);
    assert!(
        store
            .login(
                name,
                PW,
                Some(&totp(&e.secret_base32, later - secs(30))),
                later
            )
            .is_ok()
    );
    let later = later + secs(120);
    assert!(
        store
            .login(
                name,
                PW,
                Some(&totp(&e.secret_base32, later + secs(30))),
                later
            )
            .is_ok()
    );
    // Two steps off is refused.
    let later = later + secs(300);
    assert!(matches!(
        login_err(store.login(
            name,
            PW,
            Some(&totp(&e.secret_base32, later - secs(60))),
            later
        )),
        LoginError::TotpInvalid
    ));

    // Wrong codes count towards the lockout.
    let at = later + mins(1);
    for i in 0..5 {
        let e = login_err(store.login(name, PW, Some(wrong), at + secs(i)));
        // Earlier failures in this window count too: once locked, the answer is the plain one.
        assert!(
            matches!(e, LoginError::TotpInvalid | LoginError::BadCredentials),
            "{e:?}"
        );
    }
    let fresh = at + secs(40);
    assert!(matches!(
        login_err(store.login(name, PW, Some(&totp(&e.secret_base32, fresh)), fresh)),
        LoginError::BadCredentials
    ));
    // Wrong codes lock the account at every client (only a password holder can cause that):
    // guessing the six digits from many addresses gets five tries in all.
    let later_fresh = fresh + secs(30);
    assert!(matches!(
        login_err(store.login_from(
            name,
            PW,
            Some(&totp(&e.secret_base32, later_fresh)),
            "10.9.9.9",
            later_fresh
        )),
        LoginError::BadCredentials
    ));

    // A lost phone: the second factor is reset and must be enrolled again.
    store.unlock(admin.id, ACTOR).unwrap();
    store.reset_totp(admin.id, ACTOR).unwrap();
    let a = store.login(name, PW, None, at + mins(1)).unwrap();
    assert!(a.totp_pending && !a.totp_enabled);
    let e3 = store.begin_totp(admin.id).unwrap();
    assert_ne!(e3.secret_base32, e.secret_base32, "a fresh secret");
    assert_clean(store);
}

fn password_change(store: &Store) {
    let (_, provider, _) = accounts(store);
    let s = store
        .create_session(provider.id, TimeDelta::hours(8), t0())
        .unwrap();
    let head = store.head_seq().unwrap();
    let err = store
        .set_password(provider.id, "court.reporter#A1", ACTOR)
        .unwrap_err();
    assert_eq!(domain_code(&err), Code::PasswordWeak);
    assert_eq!(store.head_seq().unwrap(), head);
    store
        .set_password(provider.id, "Another#Pass99", ACTOR)
        .unwrap();
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert!(
        store.session(&s.token, t0(), mins(30)).unwrap().is_none(),
        "sessions end"
    );
    assert!(matches!(
        login_err(store.login("court.reporter", PW, None, t0())),
        LoginError::BadCredentials
    ));
    assert!(
        store
            .login("court.reporter", "Another#Pass99", None, t0())
            .is_ok()
    );
    assert_clean(store);
}

// =============================================================================================
// Sessions

store_tests! {
    sessions_expire_idle_out_and_end => sessions_expire_idle_out_and_end_sqlite, sessions_expire_idle_out_and_end_postgres;
}

fn sessions_expire_idle_out_and_end(store: &Store) {
    let (_, provider, admin) = accounts(store);
    let head = store.head_seq().unwrap();
    let idle = mins(30);
    let ttl = TimeDelta::hours(8);

    let s = store.create_session(provider.id, ttl, t0()).unwrap();
    assert_eq!(s.token.len(), 64);
    assert_eq!(s.csrf.len(), 64);
    assert_ne!(s.token, s.csrf);
    assert_eq!(s.expires_at, t0() + ttl);
    let (a, sess) = store
        .session(&s.token, t0() + mins(2), idle)
        .unwrap()
        .unwrap();
    assert_eq!(a.id, provider.id);
    assert_eq!(sess.csrf, s.csrf, "the CSRF token belongs to the session");
    assert_eq!(sess.expires_at, t0() + ttl);
    // Used at +2 min, so still alive at +31 min; idle for 30 minutes from +31 → gone at +61.
    assert!(
        store
            .session(&s.token, t0() + mins(31), idle)
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session(&s.token, t0() + mins(61), idle)
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session(&s.token, t0() + mins(32), idle)
            .unwrap()
            .is_none(),
        "an idled-out session is deleted"
    );

    // Touches are at most once a minute: a use 30 s in does not move last_seen.
    let s2 = store.create_session(provider.id, ttl, t0()).unwrap();
    assert!(
        store
            .session(&s2.token, t0() + secs(30), idle)
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session(&s2.token, t0() + idle, idle)
            .unwrap()
            .is_none()
    );

    // Absolute expiry, however busy the session.
    let s3 = store.create_session(provider.id, mins(60), t0()).unwrap();
    for m in (10..60).step_by(10) {
        assert!(
            store
                .session(&s3.token, t0() + mins(m), idle)
                .unwrap()
                .is_some(),
            "{m}"
        );
    }
    assert!(
        store
            .session(&s3.token, t0() + mins(60), idle)
            .unwrap()
            .is_none()
    );

    // Logout, one session or all of an account's.
    let a1 = store.create_session(provider.id, ttl, t0()).unwrap();
    let a2 = store.create_session(provider.id, ttl, t0()).unwrap();
    let b = store.create_session(admin.id, ttl, t0()).unwrap();
    store.end_session(&a1.token).unwrap();
    assert!(store.session(&a1.token, t0(), idle).unwrap().is_none());
    assert!(store.session(&a2.token, t0(), idle).unwrap().is_some());
    assert_eq!(store.end_sessions_of(provider.id).unwrap(), 1);
    assert!(store.session(&a2.token, t0(), idle).unwrap().is_none());
    assert!(store.session(&b.token, t0(), idle).unwrap().is_some());
    store.end_session("no such token").unwrap();

    // A disabled account's sessions end.
    store.set_disabled(admin.id, true, ACTOR).unwrap();
    assert!(store.session(&b.token, t0(), idle).unwrap().is_none());
    assert_eq!(
        domain_code(&store.create_session(admin.id, ttl, t0()).unwrap_err()),
        Code::AccountDisabled
    );

    // Garbage.
    for t in [
        "",
        "x",
        "f".repeat(64).as_str(),
        "長".repeat(5_000).as_str(),
        s.csrf.as_str(),
    ] {
        assert!(store.session(t, t0(), idle).unwrap().is_none());
    }
    assert_eq!(
        store.head_seq().unwrap(),
        head + 1,
        "only the disabling is journaled"
    );
    assert_clean(store);
}

// =============================================================================================
// API tokens

store_tests! {
    tokens_issue_verify_revoke => tokens_issue_verify_revoke_sqlite, tokens_issue_verify_revoke_postgres;
}

fn tokens_issue_verify_revoke(store: &Store) {
    let (_, provider, _) = accounts(store);
    let hr = store
        .create_account("组织部查询", AccountRole::Hr, None, PW, ACTOR)
        .unwrap();
    let head = store.head_seq().unwrap();
    let (t, plain) = store.issue_token(provider.id, " 报送接口 ", ACTOR).unwrap();
    assert!(plain.starts_with("pbt_") && plain.len() == 68, "{plain}");
    assert_eq!((t.account_id, t.label.as_str()), (provider.id, "报送接口"));
    assert!(t.revoked_at.is_none() && t.last_used_at.is_none());
    assert_eq!(store.head_seq().unwrap(), head + 1);

    let a = store.token_account(&plain, t0()).unwrap().unwrap();
    assert_eq!(a.id, provider.id);
    let listed = store.tokens(Some(provider.id)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(t0()));
    assert!(
        store
            .token_account(&plain, t0() + secs(20))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.tokens(None).unwrap()[0].last_used_at,
        Some(t0()),
        "touched at most once a minute"
    );
    assert!(
        store
            .token_account(&plain, t0() + mins(2))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.tokens(None).unwrap()[0].last_used_at,
        Some(t0() + mins(2))
    );

    let (t2, plain2) = store.issue_token(hr.id, "", ACTOR).unwrap();
    assert_ne!(plain, plain2);
    assert_eq!(store.tokens(None).unwrap().len(), 2);
    assert_eq!(store.tokens(Some(hr.id)).unwrap(), vec![t2.clone()]);

    // An account moved to a role that logs in with a second factor keeps no token's power; moved
    // back, the token (never revoked) works again.
    store
        .set_role(hr.id, AccountRole::Admin, None, ACTOR)
        .unwrap();
    assert!(store.token_account(&plain2, t0()).unwrap().is_none());
    store.set_role(hr.id, AccountRole::Hr, None, ACTOR).unwrap();
    assert!(store.token_account(&plain2, t0()).unwrap().is_some());

    // Wrong tokens.
    let mut tampered = plain.clone();
    tampered.pop();
    tampered.push('x');
    for bad in [
        "",
        "pbt_",
        tampered.as_str(),
        &plain[4..],
        format!("{plain} ").as_str(),
        "pbt_0".repeat(10_000).as_str(),
    ] {
        assert!(
            store.token_account(bad, t0()).unwrap().is_none(),
            "{bad:.20}"
        );
    }

    // Revoked: refused at once; revoking again changes nothing.
    let head = store.head_seq().unwrap();
    let r = store.revoke_token(t.id, ACTOR).unwrap();
    assert!(r.revoked_at.is_some());
    assert!(store.token_account(&plain, t0()).unwrap().is_none());
    assert!(store.token_account(&plain2, t0()).unwrap().is_some());
    assert_eq!(store.revoke_token(t.id, ACTOR).unwrap(), r);
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert!(matches!(
        store.revoke_token(777, ACTOR),
        Err(StoreError::NotFound(_))
    ));

    // A disabled account's tokens stop working, and it gets no new ones.
    store.set_disabled(hr.id, true, ACTOR).unwrap();
    assert!(store.token_account(&plain2, t0()).unwrap().is_none());
    assert_eq!(
        domain_code(&store.issue_token(hr.id, "x", ACTOR).unwrap_err()),
        Code::AccountDisabled
    );
    store.set_disabled(hr.id, false, ACTOR).unwrap();
    assert!(store.token_account(&plain2, t0()).unwrap().is_some());
    assert!(matches!(
        store.issue_token(31_337, "x", ACTOR),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        domain_code(
            &store
                .issue_token(provider.id, &"长".repeat(65), ACTOR)
                .unwrap_err()
        ),
        Code::TooLong
    );
    assert_clean(store);
}

store_tests! {
    tokens_only_for_roles_without_a_second_factor => tokens_only_for_roles_without_a_second_factor_sqlite, tokens_only_for_roles_without_a_second_factor_postgres;
}

/// A token stands in for the whole login, so the roles that log in with TOTP (the credit office
/// and the three administrators, 三员分立) never get one, whoever asks; refusing writes nothing.
fn tokens_only_for_roles_without_a_second_factor(store: &Store) {
    let (fx, provider, admin) = accounts(store);
    let mut refused = vec![admin];
    for (name, role) in [
        ("sys.admin", AccountRole::Sysadmin),
        ("sec.admin", AccountRole::Secadmin),
        ("auditor1", AccountRole::Auditor),
    ] {
        refused.push(store.create_account(name, role, None, PW, ACTOR).unwrap());
    }
    let head = store.head_seq().unwrap();
    for a in &refused {
        assert!(a.role.requires_totp());
        assert!(!probity_store::accounts::may_hold_token(a.role));
        let err = store
            .issue_token(a.id, "对接", "系统管理员:sys.admin")
            .unwrap_err();
        assert_eq!(domain_code(&err), Code::Forbidden, "{:?}", a.role);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("账号“{}”是{}账号", a.name, a.role.label()))
                && msg.contains("动态口令")
                && msg.contains("报送单位、被评价单位、组织人事部门"),
            "{msg}"
        );
    }
    // A disabled account is refused whatever its role.
    store.set_disabled(provider.id, true, ACTOR).unwrap();
    let head_disabled = store.head_seq().unwrap();
    assert_eq!(head_disabled, head + 1);
    assert_eq!(
        domain_code(&store.issue_token(provider.id, "x", ACTOR).unwrap_err()),
        Code::AccountDisabled
    );
    assert_eq!(
        store.head_seq().unwrap(),
        head_disabled,
        "nothing journaled"
    );
    assert!(store.tokens(None).unwrap().is_empty(), "nothing stored");
    store.set_disabled(provider.id, false, ACTOR).unwrap();

    // Provider, unit and HR accounts are the system-to-system callers.
    let unit = store
        .create_account(
            "xinhe.jiedao",
            AccountRole::Unit,
            Some(fx.township.id),
            PW,
            ACTOR,
        )
        .unwrap();
    let hr = store
        .create_account("组织部查询", AccountRole::Hr, None, PW, ACTOR)
        .unwrap();
    for a in [&provider, &unit, &hr] {
        assert!(probity_store::accounts::may_hold_token(a.role));
        let head = store.head_seq().unwrap();
        let (t, plain) = store.issue_token(a.id, "对接", ACTOR).unwrap();
        assert_eq!(t.account_id, a.id);
        assert_eq!(store.head_seq().unwrap(), head + 1);
        assert_eq!(
            store.token_account(&plain, t0()).unwrap().map(|x| x.id),
            Some(a.id)
        );
    }
    assert_eq!(store.tokens(None).unwrap().len(), 3);
    assert_clean(store);
}

// =============================================================================================
// The journal

db_tests! {
    journal_records_every_change_without_secrets => journal_records_every_change_without_secrets_sqlite, journal_records_every_change_without_secrets_postgres;
}

fn journal_records_every_change_without_secrets(db: &mut TestDb) {
    let store = db.open();
    let (_, provider, admin) = accounts(&store);
    store
        .set_role(provider.id, AccountRole::Hr, None, ACTOR)
        .unwrap();
    store.set_disabled(provider.id, true, ACTOR).unwrap();
    store.set_disabled(provider.id, false, ACTOR).unwrap();
    store
        .set_password(provider.id, "Second#Pass22", ACTOR)
        .unwrap();
    let e = store.begin_totp(admin.id).unwrap();
    store
        .confirm_totp(admin.id, &totp(&e.secret_base32, t0()), t0())
        .unwrap();
    let (tok, plain) = store.issue_token(provider.id, "接口", ACTOR).unwrap();
    store.revoke_token(tok.id, ACTOR).unwrap();
    for i in 0..5 {
        let _ = store.login("court.reporter", "Wrong#Pass999", None, t0() + secs(i));
    }
    let report = assert_clean(&store);
    drop(store);

    let rows = db.journal_rows();
    assert_eq!(rows.len() as u64, report.entries);
    let ours: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r.2 == "account" || r.2 == "api_token")
        .map(|r| (r.1.as_str(), r.2.as_str(), r.3.as_str()))
        .collect();
    let p = provider.id.to_string();
    let a = admin.id.to_string();
    let t = tok.id.to_string();
    assert_eq!(
        ours,
        vec![
            ("create", "account", p.as_str()),
            ("create", "account", a.as_str()),
            ("set_role", "account", p.as_str()),
            ("disable", "account", p.as_str()),
            ("enable", "account", p.as_str()),
            ("set_password", "account", p.as_str()),
            ("begin_totp", "account", a.as_str()),
            ("enable_totp", "account", a.as_str()),
            ("issue", "api_token", t.as_str()),
            ("revoke", "api_token", t.as_str()),
            ("login_failed", "account", p.as_str()),
            ("login_failed", "account", p.as_str()),
            ("login_failed", "account", p.as_str()),
            ("login_failed", "account", p.as_str()),
            ("login_failed", "account", p.as_str()),
            ("lock", "account", p.as_str()),
        ]
    );
    let create = rows
        .iter()
        .find(|r| r.1 == "create" && r.2 == "account" && r.3 == p)
        .unwrap();
    assert_eq!(create.0, ACTOR);
    assert!(create.4.contains("\"provider\""), "{}", create.4);
    for (actor, action, entity, id, detail) in &rows {
        for secret in [
            PW,
            "Second#Pass22",
            "$argon2",
            e.secret_base32.as_str(),
            plain.as_str(),
            &plain[4..],
        ] {
            assert!(
                !detail.contains(secret) && !actor.contains(secret),
                "{action} {entity} {id}: {detail}"
            );
        }
    }

    // Accounts survive a reopen, and an older database gets the accounts tables on open.
    let store = db.open();
    assert_eq!(store.accounts().unwrap().len(), 2);
    assert!(
        store
            .login("court.reporter", "Second#Pass22", None, t0() + mins(20))
            .is_ok()
    );
    store
        .raw_exec(
            "DROP TABLE sessions; DROP TABLE api_tokens; DROP TABLE login_failures; DROP TABLE accounts; \
             DELETE FROM schema_migrations WHERE name IN ('0002_accounts', '0008_account_duties', '0011_id_sequences', '0014_account_contact', '0017_account_email')",
        )
        .unwrap();
    drop(store);
    let store = db.open();
    assert!(store.accounts().unwrap().is_empty());
    store
        .create_account("again", AccountRole::Hr, None, PW, ACTOR)
        .unwrap();
    // The tables were dropped behind the platform's back: the audit chain says so.
    match problem(&store) {
        Problem::Row { entity, reason, .. } => {
            assert_eq!(entity, "account");
            assert!(reason.contains("被直接"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
