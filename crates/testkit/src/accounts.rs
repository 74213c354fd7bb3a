//! Accounts for the tests: one per role, the administrative ones with their second factor, and
//! the credentials their requests show (a bearer token for the system-to-system roles, a
//! session's cookie and CSRF token for the others).

use probity_domain::account::AccountRole;
use probity_store::accounts::{NewSession, may_hold_token};
use probity_store::{Account, Store};

/// The password of every account the kit makes.
pub const PASSWORD: &str = "Binhai-2026-pass";

/// The code of the moment for a TOTP secret (RFC 6238: SHA-1, 30 s, 6 digits), as the holder's
/// authenticator app shows it.
pub fn totp_code(secret_base32: &str) -> String {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(totp_rs::Secret::try_from_base32(secret_base32).unwrap())
        .build()
        .unwrap()
        .generate_current()
        .to_string()
}

/// Enrols the account `name` in TOTP with the code of the moment, as its holder would. That code
/// is then used: a login through the form would have to wait for the next one, which is why the
/// tests of administrative roles get their sessions from the store.
pub fn enrol(store: &Store, name: &str) {
    let a = store.account_by_name(name).unwrap().unwrap();
    let e = store.begin_totp(a.id).unwrap();
    store
        .confirm_totp(a.id, &totp_code(&e.secret_base32), chrono::Utc::now())
        .unwrap();
}

/// How a role's requests prove who they are.
#[derive(Debug, Clone)]
pub enum Cred {
    Bearer(String),
    Session { token: String, csrf: String },
}

/// Accounts named `<prefix>_<role code>` (`t_provider`, `a_sysadmin` …), one per role asked for.
pub struct Accounts {
    prefix: String,
    creds: Vec<(AccountRole, Cred)>,
}

impl Accounts {
    /// One account per role in `roles`, with the kit's password: the provider bound to 区财政局
    /// and the unit to 新河街道 (the roster of `crate::roster` is loaded first), every role that
    /// logs in with a second factor enrolled.
    pub fn create(store: &Store, prefix: &str, roles: &[AccountRole]) -> Accounts {
        Accounts::create_unenrolled(store, prefix, roles, &[])
    }

    /// As `create`, leaving the roles in `unenrolled` to enrol their second factor themselves
    /// (through the enrolment page, or by `enrol`).
    pub fn create_unenrolled(
        store: &Store,
        prefix: &str,
        roles: &[AccountRole],
        unenrolled: &[AccountRole],
    ) -> Accounts {
        let accounts = Accounts {
            prefix: prefix.to_string(),
            creds: Vec::new(),
        };
        let unit_of = |short: &str| store.find_unit(short).unwrap().id;
        for &role in roles {
            let unit = match role {
                AccountRole::Provider => Some(unit_of("区财政局")),
                AccountRole::Unit => Some(unit_of("新河街道")),
                _ => None,
            };
            let name = accounts.name(role);
            store
                .create_account(&name, role, unit, PASSWORD, "test")
                .unwrap();
            if role.requires_totp() && !unenrolled.contains(&role) {
                enrol(store, &name);
            }
        }
        accounts
    }

    /// Gives each account the credential `acting_as` sends: a bearer token for the
    /// system-to-system roles, a session (cookie and CSRF token) for the administrative ones,
    /// which log in with a second factor and may hold no token.
    pub fn with_credentials(mut self, store: &Store, roles: &[AccountRole]) -> Accounts {
        for &role in roles {
            let cred = if may_hold_token(role) {
                let a = self.account(store, role);
                Cred::Bearer(store.issue_token(a.id, "test", "test").unwrap().1)
            } else {
                let s = self.session(store, role);
                Cred::Session {
                    token: s.token,
                    csrf: s.csrf,
                }
            };
            self.creds.push((role, cred));
        }
        self
    }

    /// Fresh sessions for the roles that act with one (after a logout ended them).
    pub fn renew_sessions(&mut self, store: &Store) {
        for i in 0..self.creds.len() {
            if let (role, Cred::Session { .. }) = &self.creds[i] {
                let s = self.session(store, *role);
                self.creds[i].1 = Cred::Session {
                    token: s.token,
                    csrf: s.csrf,
                };
            }
        }
    }

    /// The account name of `role`.
    pub fn name(&self, role: AccountRole) -> String {
        format!("{}_{}", self.prefix, role.code())
    }

    pub fn account(&self, store: &Store, role: AccountRole) -> Account {
        store.account_by_name(&self.name(role)).unwrap().unwrap()
    }

    /// A new session of `role`'s account, made by the store, valid for an hour.
    pub fn session(&self, store: &Store, role: AccountRole) -> NewSession {
        store
            .create_session(
                self.account(store, role).id,
                chrono::TimeDelta::hours(1),
                chrono::Utc::now(),
            )
            .unwrap()
    }

    /// The credential `with_credentials` gave `role`.
    pub fn cred(&self, role: AccountRole) -> &Cred {
        match self.creds.iter().find(|(r, _)| *r == role) {
            Some((_, c)) => c,
            None => panic!("{role:?} has no credential (Accounts::with_credentials)"),
        }
    }

    /// The bearer token of a system-to-system role.
    pub fn token(&self, role: AccountRole) -> &str {
        match self.cred(role) {
            Cred::Bearer(t) => t,
            Cred::Session { .. } => panic!("{role:?} has no token"),
        }
    }
}
