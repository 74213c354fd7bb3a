//! Accounts, logins, sessions and API tokens.
//!
//! Passwords are stored as argon2id PHC strings; TOTP secrets encrypted with the installation's
//! SM4 key; session and API tokens only as their SM3 digests, so that a copy of the database
//! lets nobody log in. Every change to an account or a token (creation, role, disabling,
//! password, second factor, token issue and revocation) appends a journal entry in the same
//! transaction; the entry's detail never carries a hash or a secret. Logins, sessions and
//! token use are bookkeeping, not audited state, but each login, failed login and logout, the
//! first use of a token in an hour and every permission refusal is journaled too, so that the
//! auditor sees who came in and who tried what.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, TimeDelta, Utc};
use probity_domain::Code;
use probity_domain::account::{
    AccountRole, Contact, Lockout, LockoutPolicy, check_password, name_key, validate_account_name,
};
use probity_domain::audit;
use probity_domain::duties::{self, AccountAction, Actor, Target};
use serde::Serialize;

use crate::Store;
use crate::crypto::sm3;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry, row_digest};

/// Plain API tokens start with this, so that a leaked one is easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "pbt_";
/// The issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "政务诚信信息平台";
/// Sessions and tokens record their last use at most this often.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);
/// Anything longer than this is not a token of ours; refused before hashing.
const MAX_TOKEN_LEN: usize = 256;
const MAX_LABEL_CHARS: usize = 64;

/// Whether an account of this role may hold an API token. A token is for system-to-system
/// calls and stands in for the whole login, second factor included, so roles that log in with
/// TOTP (the credit office and the three separated administrators) never get one: otherwise the
/// system administrator could mint the credit office's rights for itself (三员分立) and anyone
/// holding the token would skip the second factor.
pub fn may_hold_token(role: AccountRole) -> bool {
    !role.requires_totp() && role != AccountRole::Unassigned
}

/// An account as callers see it: never a password hash or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub name: String,
    /// The holder's real name (姓名) and phone number (联系电话); blank for accounts the operator
    /// created without them.
    pub real_name: String,
    pub phone: String,
    /// Where the holder's notifications are mailed (邮箱); blank for no mail.
    pub email: String,
    pub role: AccountRole,
    /// The roster unit a provider or unit account acts for.
    pub unit_id: Option<i64>,
    pub totp_enabled: bool,
    /// The role requires a second factor that has not been enrolled yet: the web layer sends
    /// the account to enrolment before anything else.
    pub totp_pending: bool,
    pub disabled: bool,
    /// The password was set by someone else (a one-time password): the holder must change it
    /// before anything else, second-factor enrolment included.
    pub password_change_required: bool,
    /// The end of the last lockout, if the account was ever locked since its last successful
    /// login (it may lie in the past).
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// The account as the journal names who acted: its role and its name (`provider:caizhengju`).
    pub fn actor(&self) -> audit::Actor {
        audit::Actor::Account {
            role: self.role,
            name: self.name.clone(),
        }
    }
}

/// What an authenticator app needs to enrol: the secret (Base32) and the otpauth:// URL (for a
/// QR code). Shown once; `confirm_totp` switches the second factor on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

/// A fresh session: the token goes into an HttpOnly cookie, the CSRF token into forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// A bearer token for system-to-system calls. The plain token is shown once at issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub account_id: i64,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Why a login was refused. An unknown name, a wrong password and a name locked for this client
/// are the same `BadCredentials`: the answer tells a stranger nothing about the account.
#[derive(Debug)]
pub enum LoginError {
    BadCredentials,
    /// The password was right; the account also needs its TOTP code.
    TotpRequired,
    TotpInvalid,
    Disabled,
    Store(StoreError),
}

impl LoginError {
    /// The stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            LoginError::BadCredentials => Code::LoginFailed.as_str(),
            LoginError::TotpRequired => Code::TotpRequired.as_str(),
            LoginError::TotpInvalid => Code::TotpInvalid.as_str(),
            LoginError::Disabled => Code::AccountDisabled.as_str(),
            LoginError::Store(e) => e.code(),
        }
    }

    /// A message for the person at the login form (times in China Standard Time).
    pub fn message(&self) -> String {
        match self {
            LoginError::BadCredentials => {
                "账号或密码错误。连续多次失败后，本机须等待 15 分钟才能再试；如忘记密码，请联系系统管理员重置".into()
            }
            LoginError::TotpRequired => "请输入动态口令（身份验证器中的 6 位数字）".into(),
            LoginError::TotpInvalid => "动态口令错误或已使用，请核对手机时间后输入新的口令".into(),
            LoginError::Disabled => "账号已停用，请联系系统管理员".into(),
            LoginError::Store(_) => "系统暂时无法登录，请稍后再试".into(),
        }
    }
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for LoginError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoginError::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        LoginError::Store(e)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn random_bytes<const N: usize>() -> StoreResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StoreError::Internal(format!("随机数生成失败：{e}")))?;
    Ok(b)
}

fn random_hex() -> StoreResult<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// Where wrong second-factor codes are counted: one bucket for the whole account.
const TOTP_CLIENT: &str = "*totp*";

/// The client a login failure counts against, as stored: bounded, and never empty.
fn client_key(client: &str) -> String {
    let c: String = client
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if c.is_empty() { "local".into() } else { c }
}

fn token_hash(token: &str) -> Vec<u8> {
    sm3(token.as_bytes()).to_vec()
}

fn hash_password(password: &str) -> StoreResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(format!("密码哈希失败：{e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Spends the time of one verification when there is no account, so that a wrong name cannot
/// be told from a wrong password by the clock.
fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("probity-no-such-account-Aa1!").ok());
    if let Some(h) = dummy {
        let _ = verify_password(password, h);
    }
}

/// A random password that meets the policy: 16 characters with all four classes.
pub fn random_password() -> StoreResult<String> {
    // No look-alikes (0/O, 1/l/I) so that it can be read out over the phone.
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"!#%+-=?@";
    const LEN: usize = 16;
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    // One of the classes per position for the first four, so that every class is present; then
    // a shuffle, so that a position's class says nothing.
    let mut chars: Vec<char> = Vec::with_capacity(LEN);
    for i in 0..LEN {
        let set = match i {
            0 => UPPER,
            1 => LOWER,
            2 => DIGIT,
            3 => SYMBOL,
            _ => all.as_slice(),
        };
        chars.push(char::from(set[uniform(set.len())?]));
    }
    for i in (1..chars.len()).rev() {
        chars.swap(i, uniform(i + 1)?);
    }
    Ok(chars.into_iter().collect())
}

/// A uniformly random index below `n` (1..=256), by rejection: no modulo bias.
fn uniform(n: usize) -> StoreResult<usize> {
    let n = n.clamp(1, 256);
    let limit = 256 - 256 % n;
    loop {
        let [b] = random_bytes::<1>()?;
        if usize::from(b) < limit {
            return Ok(usize::from(b) % n);
        }
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of skew either way. Returns the
/// matched step. Anything that is not six digits is simply wrong, never a panic.
fn totp_check(secret_base32: &str, code: &str, now: DateTime<Utc>) -> StoreResult<Option<u64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let Ok(time) = u64::try_from(now.timestamp()) else {
        return Ok(None);
    };
    let secret = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|_| StoreError::Internal("动态口令密钥格式错误".into()))?;
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(secret)
        .build()
        .map_err(|e| StoreError::Internal(format!("动态口令参数错误：{e}")))?;
    Ok(totp.check(&code, time))
}

/// The account columns callers may see, with a table alias.
fn account_cols(a: &str) -> String {
    [
        "id",
        "name",
        "real_name",
        "phone",
        "email",
        "role",
        "unit_id",
        "totp_enabled",
        "disabled",
        "must_change_password",
        "locked_until",
        "last_login_at",
        "created_at",
    ]
    .iter()
    .map(|c| format!("{a}.{c}"))
    .collect::<Vec<_>>()
    .join(", ")
}
fn account_from(r: &Row) -> StoreResult<Account> {
    let role = AccountRole::parse(r.need_text("role")?)
        .map_err(|_| StoreError::Internal("accounts.role".into()))?;
    let totp_enabled = r.int("totp_enabled")?.unwrap_or(0) != 0;
    Ok(Account {
        id: r.need_int("id")?,
        name: r.need_text("name")?.to_string(),
        real_name: r.text("real_name")?.unwrap_or_default().to_string(),
        phone: r.text("phone")?.unwrap_or_default().to_string(),
        email: r.text("email")?.unwrap_or_default().to_string(),
        role,
        unit_id: r.int("unit_id")?,
        totp_enabled,
        totp_pending: role.requires_totp() && !totp_enabled,
        disabled: r.int("disabled")?.unwrap_or(0) != 0,
        password_change_required: r.int("must_change_password")?.unwrap_or(0) != 0,
        locked_until: r.opt_time("locked_until")?,
        last_login_at: r.opt_time("last_login_at")?,
        created_at: r.time("created_at")?,
    })
}

fn load_account(c: &mut Conn, id: i64) -> StoreResult<Account> {
    let sql = format!(
        "SELECT {} FROM accounts a WHERE a.id = $1",
        account_cols("a")
    );
    match c.query_one(&sql, &[Val::Int(id)])? {
        Some(r) => account_from(&r),
        None => Err(StoreError::NotFound(format!("账号 {id}"))),
    }
}

/// Columns whose values make up an account's audited state: everything that says who may log
/// in, how and as what (the password hash and the second factor's secret included, so that a
/// hash or a secret planted behind the platform's back is found; the journal's detail never
/// carries them). Login bookkeeping (failures, lockout, last login, last TOTP step) is not state.
pub const ACCOUNT_AUDITED: &[&str] = &[
    "id",
    "name",
    "name_key",
    "real_name",
    "phone",
    "email",
    "role",
    "unit_id",
    "password_hash",
    "totp_secret",
    "totp_enabled",
    "must_change_password",
    "disabled",
    "created_at",
    "updated_at",
];
/// Columns whose values make up a token's audited state (its hash included: a token planted or
/// moved to another account is found). Its last use is bookkeeping.
pub const TOKEN_AUDITED: &[&str] = &[
    "id",
    "token_hash",
    "account_id",
    "label",
    "created_at",
    "revoked_at",
];

/// The contact as stored: checked again here, so that no caller stores a name, a number or an
/// address the rules refuse (blank stays allowed: the operator may leave them out).
fn stored_contact(contact: &Contact) -> StoreResult<Contact> {
    Contact::check(&contact.real_name, &contact.phone, &contact.email, false).map_err(|errs| {
        match errs.into_iter().next() {
            Some((_, e)) => StoreError::Domain(e),
            None => StoreError::Internal("联系信息".into()),
        }
    })
}

/// Appends the journal entry of a change to account `id` (already written in this transaction).
fn journal_account(
    c: &mut Conn,
    at: String,
    id: i64,
    actor: &audit::Actor,
    action: audit::Action,
    detail: serde_json::Value,
) -> StoreResult<()> {
    let digest = row_digest(c, ACCOUNT_AUDITED, "accounts", id)?;
    let mut j = Appender::open(c, at)?;
    j.append(Entry {
        actor: actor.clone(),
        action,
        entity: audit::Entity::Account,
        entity_id: id.to_string(),
        detail: detail.to_string(),
        state_digest: digest,
    });
    j.flush(c)
}

fn journal_token(
    c: &mut Conn,
    at: String,
    id: i64,
    actor: &audit::Actor,
    action: audit::Action,
    detail: serde_json::Value,
) -> StoreResult<()> {
    let digest = row_digest(c, TOKEN_AUDITED, "api_tokens", id)?;
    let mut j = Appender::open(c, at)?;
    j.append(Entry {
        actor: actor.clone(),
        action,
        entity: audit::Entity::ApiToken,
        entity_id: id.to_string(),
        detail: detail.to_string(),
        state_digest: digest,
    });
    j.flush(c)
}

/// Appends a journal entry about a request that touched no audited row (a login under an unknown
/// name, a refusal). Its state digest is that of its detail.
fn journal_request(
    c: &mut Conn,
    at: String,
    actor: &audit::Actor,
    action: audit::Action,
    what: &str,
    detail: serde_json::Value,
) -> StoreResult<()> {
    let detail = detail.to_string();
    let mut j = Appender::open(c, at)?;
    j.append(Entry {
        actor: actor.clone(),
        action,
        entity: audit::Entity::Request,
        entity_id: what.to_string(),
        state_digest: crate::journal::digest_of([Val::from(detail.as_str())].iter()),
        detail,
    });
    j.flush(c)
}

/// Who acts in a failed login: nobody known yet.
fn login_check() -> audit::Actor {
    audit::Actor::System(Some("login".into()))
}

/// The particulars of a login event: the reason (for a failure) and the client, when known.
fn login_detail(reason: Option<&str>, client: &str) -> serde_json::Value {
    let mut d = serde_json::Map::new();
    if let Some(r) = reason {
        d.insert("reason".into(), r.into());
    }
    if !client.is_empty() && client != TOTP_CLIENT {
        d.insert("client".into(), client.into());
    }
    serde_json::Value::Object(d)
}

/// Text that came from outside, cut to `max` characters for the journal.
fn bounded(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn token_from(r: &Row) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: r.need_int("id")?,
        account_id: r.need_int("account_id")?,
        label: r.need_text("label")?.to_string(),
        created_at: r.time("created_at")?,
        revoked_at: r.opt_time("revoked_at")?,
        last_used_at: r.opt_time("last_used_at")?,
    })
}
const TOKEN_COLS: &str = "id, account_id, label, created_at, revoked_at, last_used_at";

/// What `login` needs of an account beyond what callers see.
struct Credentials {
    id: i64,
    password_hash: String,
    disabled: bool,
    totp_enabled: bool,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
}

/// Who changes an account: the operator at the machine's command line (named for the journal),
/// or a logged-in account, by id (its role is read afresh inside the transaction, so a role
/// withdrawn a moment ago counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting<'a> {
    Operator(&'a str),
    Account(i64),
}

impl<'a> From<&'a str> for Acting<'a> {
    fn from(label: &'a str) -> Self {
        Acting::Operator(label)
    }
}

impl<'a> From<&'a String> for Acting<'a> {
    fn from(label: &'a String) -> Self {
        Acting::Operator(label.as_str())
    }
}

impl From<&Account> for Acting<'static> {
    fn from(a: &Account) -> Self {
        Acting::Account(a.id)
    }
}

/// Applies the separation of duties inside a write transaction: the actor as it is now, the
/// action, the target as it is now. Returns the actor's name for the journal.
fn check_duty(
    c: &mut Conn,
    by: Acting<'_>,
    action: AccountAction,
    target: Option<&Account>,
) -> StoreResult<audit::Actor> {
    let (actor, name) = match by {
        Acting::Operator(label) => (Actor::Operator, audit::Actor::parse(label)),
        Acting::Account(id) => {
            let me = load_account(c, id)?;
            if me.disabled {
                return Err(StoreError::domain(Code::AccountDisabled, "账号已停用"));
            }
            // A one-time password opens nothing but its own change.
            if me.password_change_required && action != AccountAction::ChangeOwnPassword {
                return Err(StoreError::domain(
                    Code::PasswordChangeRequired,
                    "请先修改初始密码（或管理员重置的一次性密码），再使用其他功能",
                ));
            }
            (Actor::Account { id, role: me.role }, me.actor())
        }
    };
    duties::check(
        actor,
        action,
        target.map(|t| Target {
            id: t.id,
            role: t.role,
        }),
    )?;
    Ok(name)
}

impl Store {
    /// The lockout rule in force.
    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy::default()
    }

    /// Checks that `unit` is a unit on the roster (not a civil servant).
    fn check_unit_exists(&self, c: &mut Conn, unit: Option<i64>) -> StoreResult<()> {
        let Some(id) = unit else {
            return Ok(());
        };
        let kind = c.query_text("SELECT kind FROM subjects WHERE id = $1", &[Val::Int(id)])?;
        match kind.as_deref() {
            None => Err(StoreError::domain(
                Code::SubjectNotFound,
                format!("单位（编号 {id}）不在主体名录中"),
            )),
            Some("civil_servant") => Err(StoreError::domain(
                Code::RoleUnitMismatch,
                "账号只能绑定到单位，不能绑定到公务员个人",
            )),
            Some(_) => Ok(()),
        }
    }

    /// Creates an account with a password its holder chose (the operator at the machine, e.g.
    /// `probity user add --password-stdin`, and the demo district). The name must be new
    /// (ignoring ASCII case), the password must meet the policy, and provider and unit accounts
    /// name their unit on the roster. An account acting here (not the operator) gets a password
    /// it must change at the first login, as with [`Store::create_account_one_time`].
    pub fn create_account<'a>(
        &self,
        name: &str,
        role: AccountRole,
        unit: Option<i64>,
        password: &str,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<Account> {
        let by = by.into();
        let must_change = !matches!(by, Acting::Operator(_));
        self.insert_account(
            name,
            role,
            unit,
            &Contact::default(),
            (password, must_change),
            by,
        )
    }

    /// Creates an account with its holder's contact (checked by the caller, see
    /// [`Contact::check`]): with the password given (the operator's own, as
    /// [`Store::create_account`]) or a one-time password, returned once (as
    /// [`Store::create_account_one_time`]).
    pub fn create_account_with<'a>(
        &self,
        name: &str,
        role: AccountRole,
        unit: Option<i64>,
        contact: &Contact,
        password: Option<&str>,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<(Account, Option<String>)> {
        let by = by.into();
        match password {
            Some(pw) => {
                let must_change = !matches!(by, Acting::Operator(_));
                let a = self.insert_account(name, role, unit, contact, (pw, must_change), by)?;
                Ok((a, None))
            }
            None => {
                let pw = random_password()?;
                let a = self.insert_account(name, role, unit, contact, (&pw, true), by)?;
                Ok((a, Some(pw)))
            }
        }
    }

    /// Changes the holder's real name, phone number and e-mail address (checked by the caller,
    /// see [`Contact::check`]). The journal names the fields that changed, not their values.
    pub fn set_contact<'a>(
        &self,
        id: i64,
        contact: &Contact,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<Account> {
        let contact = &stored_contact(contact)?;
        self.change_account(
            id,
            by.into(),
            AccountAction::EditContact,
            audit::Action::Update,
            |c, target| {
                let mut changed = Vec::new();
                if target.real_name != contact.real_name {
                    changed.push("real_name");
                }
                if target.phone != contact.phone {
                    changed.push("phone");
                }
                if target.email != contact.email {
                    changed.push("email");
                }
                c.exec(
                    "UPDATE accounts SET real_name = $1, phone = $2, email = $5, updated_at = $3 WHERE id = $4",
                    &[
                        Val::from(contact.real_name.as_str()),
                        Val::from(contact.phone.as_str()),
                        Val::from(self.now_text()),
                        Val::Int(id),
                        Val::from(contact.email.as_str()),
                    ],
                )?;
                Ok(serde_json::json!({ "changed": changed }))
            },
        )
    }

    /// Creates an account with a random one-time password, returned once: the holder must
    /// change it before anything else, second-factor enrolment included, so whoever handed it
    /// over cannot log in as the holder unnoticed. The system administrator creates accounts
    /// this way, without a role (待授权); the security administrator grants one.
    pub fn create_account_one_time<'a>(
        &self,
        name: &str,
        role: AccountRole,
        unit: Option<i64>,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<(Account, String)> {
        let password = random_password()?;
        let a = self.insert_account(
            name,
            role,
            unit,
            &Contact::default(),
            (&password, true),
            by.into(),
        )?;
        Ok((a, password))
    }

    fn insert_account(
        &self,
        name: &str,
        role: AccountRole,
        unit: Option<i64>,
        contact: &Contact,
        (password, must_change): (&str, bool),
        by: Acting<'_>,
    ) -> StoreResult<Account> {
        let name = validate_account_name(name)?;
        let contact = &stored_contact(contact)?;
        role.check_unit(unit)?;
        check_password(password, &name)?;
        let mut conn = self.conn()?;
        // The duty first, so that a refused actor learns nothing about names or units.
        conn.write(|c| check_duty(c, by, AccountAction::Create { role }, None).map(|_| ()))?;
        self.check_unit_exists(&mut conn, unit)?;
        let hash = hash_password(password)?;
        let key = name_key(&name);
        let now = self.now_text();
        let id = conn.write(|c| {
            let actor = check_duty(c, by, AccountAction::Create { role }, None)?;
            if c.query_one("SELECT id FROM accounts WHERE name_key = $1", &[Val::from(key.as_str())])?
                .is_some()
            {
                return Err(StoreError::domain(
                    Code::AccountExists,
                    format!("账号名“{name}”已被使用"),
                ));
            }
            let id = c.next_id("accounts")?;
            c.exec(
                "INSERT INTO accounts (id, name, name_key, real_name, phone, email, role, unit_id, password_hash, totp_enabled, disabled, failed_logins, must_change_password, created_at, updated_at) \
                 VALUES ($1, $2, $3, $9, $10, $11, $4, $5, $6, 0, 0, 0, $7, $8, $8)",
                &[
                    Val::Int(id),
                    Val::from(name.as_str()),
                    Val::from(key.as_str()),
                    Val::from(role.code()),
                    Val::from(unit),
                    Val::from(hash),
                    Val::Int(i64::from(must_change)),
                    Val::from(now.as_str()),
                    Val::from(contact.real_name.as_str()),
                    Val::from(contact.phone.as_str()),
                    Val::from(contact.email.as_str()),
                ],
            )?;
            journal_account(c, self.now_text(),
                id,
                &actor,
                audit::Action::Create,
                serde_json::json!({ "name": name, "role": role.code(), "unit": unit, "one_time_password": must_change }),
            )?;
            Ok(id)
        })?;
        load_account(&mut conn, id)
    }

    pub fn account(&self, id: i64) -> StoreResult<Account> {
        load_account(&mut self.conn()?, id)
    }

    /// Finds an account by name, ignoring ASCII case.
    pub fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>> {
        if validate_account_name(name).is_err() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {} FROM accounts a WHERE a.name_key = $1",
            account_cols("a")
        );
        self.conn()?
            .query_one(&sql, &[Val::from(name_key(name))])?
            .map(|r| account_from(&r))
            .transpose()
    }

    /// All accounts, in id order.
    pub fn accounts(&self) -> StoreResult<Vec<Account>> {
        let sql = format!("SELECT {} FROM accounts a ORDER BY a.id", account_cols("a"));
        self.conn()?
            .query(&sql, &[])?
            .iter()
            .map(account_from)
            .collect()
    }

    /// Runs one account change under the separation of duties: loads the target, checks the
    /// duty, applies `change` and journals `action_name` with `detail`, all in one transaction.
    fn change_account(
        &self,
        id: i64,
        by: Acting<'_>,
        action: AccountAction,
        action_name: audit::Action,
        change: impl FnOnce(&mut Conn, &Account) -> StoreResult<serde_json::Value>,
    ) -> StoreResult<Account> {
        let mut conn = self.conn()?;
        conn.write(|c| {
            let target = load_account(c, id)?;
            let actor = check_duty(c, by, action, Some(&target))?;
            let detail = change(c, &target)?;
            journal_account(c, self.now_text(), id, &actor, action_name, detail)
        })?;
        load_account(&mut conn, id)
    }

    /// Grants a role (and the unit it acts for). The account's sessions end: it logs in again
    /// with its new rights.
    pub fn set_role<'a>(
        &self,
        id: i64,
        role: AccountRole,
        unit: Option<i64>,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<Account> {
        let by = by.into();
        {
            // The duty first, so that a refused actor learns nothing about units.
            let mut conn = self.conn()?;
            conn.write(|c| {
                let target = load_account(c, id)?;
                check_duty(c, by, AccountAction::SetRole { to: role }, Some(&target)).map(|_| ())
            })?;
            role.check_unit(unit)?;
            self.check_unit_exists(&mut conn, unit)?;
        }
        let now = self.now_text();
        self.change_account(
            id,
            by,
            AccountAction::SetRole { to: role },
            audit::Action::SetRole,
            |c, old| {
                c.exec(
                    "UPDATE accounts SET role = $2, unit_id = $3, updated_at = $4 WHERE id = $1",
                    &[
                        Val::Int(id),
                        Val::from(role.code()),
                        Val::from(unit),
                        Val::from(now.as_str()),
                    ],
                )?;
                c.exec(
                    "DELETE FROM sessions WHERE account_id = $1",
                    &[Val::Int(id)],
                )?;
                Ok(serde_json::json!({
                    "role": role.code(),
                    "unit": unit,
                    "previous_role": old.role.code(),
                    "previous_unit": old.unit_id,
                }))
            },
        )
    }

    /// Disables or re-enables an account. Disabling ends its sessions; its API tokens stop
    /// working while it is disabled.
    pub fn set_disabled<'a>(
        &self,
        id: i64,
        disabled: bool,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<Account> {
        let now = self.now_text();
        let (action, name) = if disabled {
            (AccountAction::Disable, audit::Action::Disable)
        } else {
            (AccountAction::Enable, audit::Action::Enable)
        };
        self.change_account(id, by.into(), action, name, |c, _| {
            c.exec(
                "UPDATE accounts SET disabled = $2, updated_at = $3 WHERE id = $1",
                &[
                    Val::Int(id),
                    Val::Int(i64::from(disabled)),
                    Val::from(now.as_str()),
                ],
            )?;
            if disabled {
                c.exec(
                    "DELETE FROM sessions WHERE account_id = $1",
                    &[Val::Int(id)],
                )?;
            }
            Ok(serde_json::json!({ "disabled": disabled }))
        })
    }

    /// Writes a new password hash, clears failures and ends every session; with `must_change`,
    /// the holder must change it at the next login. A second factor still pending loses the
    /// secret shown before: whoever saw it may not be the one who holds the new password.
    fn write_password(
        c: &mut Conn,
        now: String,
        id: i64,
        hash: &str,
        must_change: bool,
    ) -> StoreResult<()> {
        c.exec(
            "UPDATE accounts SET password_hash = $2, must_change_password = $3, failed_logins = 0, locked_until = NULL, updated_at = $4 WHERE id = $1",
            &[
                Val::Int(id),
                Val::from(hash),
                Val::Int(i64::from(must_change)),
                Val::from(now.as_str()),
            ],
        )?;
        c.exec(
            "UPDATE accounts SET totp_secret = NULL WHERE id = $1 AND totp_enabled = 0",
            &[Val::Int(id)],
        )?;
        c.exec(
            "DELETE FROM login_failures WHERE account_id = $1",
            &[Val::Int(id)],
        )?;
        c.exec(
            "DELETE FROM sessions WHERE account_id = $1",
            &[Val::Int(id)],
        )?;
        Ok(())
    }

    /// Sets a password the operator chose at the machine (policy checked). Clears the
    /// failed-login count, so this also unlocks, and ends every session of the account. Accounts
    /// acting through the platform reset passwords with [`Store::reset_password`] instead.
    pub fn set_password<'a>(
        &self,
        id: i64,
        password: &str,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<()> {
        let by = by.into();
        if !matches!(by, Acting::Operator(_)) {
            return Err(StoreError::domain(
                Code::DutySeparation,
                "三员分立：平台内不能为他人指定密码，请使用“重置密码”生成一次性密码",
            ));
        }
        let account = self.account(id)?;
        check_password(password, &account.name)?;
        let hash = hash_password(password)?;
        self.change_account(
            id,
            by,
            AccountAction::ResetPassword,
            audit::Action::SetPassword,
            |c, _| {
                Self::write_password(c, self.now_text(), id, &hash, false)?;
                Ok(serde_json::json!({}))
            },
        )?;
        Ok(())
    }

    /// Resets a password to a random one-time password, returned once: the holder must change
    /// it at the next login. Ends the account's sessions and clears its failures. The second
    /// factor stays: a reset password alone does not open an account that has one.
    ///
    /// Reset by an account (the system administrator), a business account also goes back to
    /// 待授权 and its tokens stop working: the one who saw the one-time password cannot use it
    /// as the holder, because the role comes back only from the security administrator, who
    /// confirms with the holder first (two people for one reset, 三员分立). The operator at the
    /// machine keeps the role.
    pub fn reset_password<'a>(&self, id: i64, by: impl Into<Acting<'a>>) -> StoreResult<String> {
        let password = random_password()?;
        let hash = hash_password(&password)?;
        let by = by.into();
        let withdraw = matches!(by, Acting::Account(_));
        self.change_account(
            id,
            by,
            AccountAction::ResetPassword,
            audit::Action::ResetPassword,
            |c, old| {
                Self::write_password(c, self.now_text(), id, &hash, true)?;
                if withdraw && old.role != AccountRole::Unassigned {
                    c.exec(
                        "UPDATE accounts SET role = $2, unit_id = NULL WHERE id = $1",
                        &[Val::Int(id), Val::from(AccountRole::Unassigned.code())],
                    )?;
                    return Ok(serde_json::json!({
                        "one_time_password": true,
                        "role": AccountRole::Unassigned.code(),
                        "previous_role": old.role.code(),
                        "previous_unit": old.unit_id,
                    }));
                }
                Ok(serde_json::json!({ "one_time_password": true }))
            },
        )?;
        Ok(password)
    }

    /// The holder changes its own password, giving the current one. A wrong current password
    /// changes nothing and counts as a failed login from `client`. Ends every session of the
    /// account (the web layer opens a new one for the caller) and voids a second-factor
    /// enrolment begun before (its secret may have been seen by whoever knew the old password).
    pub fn change_password(
        &self,
        id: i64,
        current: &str,
        new: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Account> {
        let mut conn = self.conn()?;
        let account = load_account(&mut conn, id)?;
        let stored = conn
            .query_text(
                "SELECT password_hash FROM accounts WHERE id = $1",
                &[Val::Int(id)],
            )?
            .unwrap_or_default();
        let client = client_key(client);
        let policy = self.lockout_policy();
        // The caller is logged in as the holder: it may be told that its tries ran out.
        if let Lockout::Locked { until } =
            policy.decide(&self.failures(&mut conn, id, &client)?, now)
        {
            return Err(StoreError::domain(
                Code::AccountLocked,
                format!(
                    "原密码连续输错次数过多，请于 {} 后再试",
                    probity_domain::date::beijing_minute(until)
                ),
            ));
        }
        if !verify_password(current, &stored) {
            self.record_failure(&mut conn, id, &client, "修改密码时原密码错误", now)?;
            return Err(StoreError::domain(Code::PasswordWrong, "原密码不正确"));
        }
        check_password(new, &account.name)?;
        if current == new {
            return Err(StoreError::domain(
                Code::PasswordWeak,
                "新密码不能与原密码相同",
            ));
        }
        let hash = hash_password(new)?;
        self.change_account(
            id,
            Acting::Account(id),
            AccountAction::ChangeOwnPassword,
            audit::Action::ChangePassword,
            |c, _| {
                Self::write_password(c, self.now_text(), id, &hash, false)?;
                Ok(serde_json::json!({}))
            },
        )
    }

    /// Lifts a lockout before it runs out (for every client).
    pub fn unlock<'a>(&self, id: i64, by: impl Into<Acting<'a>>) -> StoreResult<Account> {
        self.change_account(
            id,
            by.into(),
            AccountAction::Unlock,
            audit::Action::Unlock,
            |c, _| {
                c.exec(
                    "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                    &[Val::Int(id)],
                )?;
                c.exec(
                    "DELETE FROM login_failures WHERE account_id = $1",
                    &[Val::Int(id)],
                )?;
                Ok(serde_json::json!({}))
            },
        )
    }

    /// Starts TOTP enrolment: a secret, stored encrypted, not yet in force. A pending secret is
    /// shown again rather than replaced, so reloading the page does not invalidate what the
    /// authenticator app has already scanned. Refused while a second factor is enabled
    /// (`reset_totp` first) and while a one-time password is still to be changed (so that
    /// whoever set it cannot enrol first).
    pub fn begin_totp(&self, id: i64) -> StoreResult<TotpEnrolment> {
        let mut conn = self.conn()?;
        let account = load_account(&mut conn, id)?;
        if account.totp_enabled {
            return Err(StoreError::domain(
                Code::TotpAlreadyEnabled,
                "该账号已启用动态口令；如需更换手机，请联系安全管理员重置",
            ));
        }
        if account.password_change_required {
            return Err(StoreError::domain(
                Code::PasswordChangeRequired,
                "请先修改初始密码，再绑定动态口令",
            ));
        }
        let stored = |conn: &mut Conn| -> StoreResult<Option<Vec<u8>>> {
            conn.query_blob(
                "SELECT totp_secret FROM accounts WHERE id = $1",
                &[Val::Int(id)],
            )
        };
        let secret = match stored(&mut conn)? {
            Some(cipher) => self.keys.decrypt(&cipher)?,
            None => {
                let secret = totp_rs::Secret::from(random_bytes::<20>()?.to_vec()).to_base32();
                let cipher = self.keys.encrypt(&secret)?;
                conn.write(|c| {
                    let n = c.exec(
                        "UPDATE accounts SET totp_secret = $2 WHERE id = $1 AND totp_enabled = 0 AND totp_secret IS NULL",
                        &[Val::Int(id), Val::Blob(cipher)],
                    )?;
                    // The secret is audited state: a secret planted behind the platform's
                    // back is found by `audit verify`.
                    if n > 0 {
                        journal_account(c, self.now_text(), id, &account.actor(), audit::Action::BeginTotp, serde_json::json!({}))?;
                    }
                    Ok(())
                })?;
                // Two first visits at once: whichever secret was stored is the one to show.
                match stored(&mut conn)? {
                    Some(cipher) => self.keys.decrypt(&cipher)?,
                    None => secret,
                }
            }
        };
        let issuer = percent_encode(TOTP_ISSUER);
        let otpauth_url = format!(
            "otpauth://totp/{issuer}:{}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
            percent_encode(&account.name)
        );
        Ok(TotpEnrolment {
            secret_base32: secret,
            otpauth_url,
        })
    }

    /// Finishes enrolment with a code from the app: from now on the account logs in with it.
    pub fn confirm_totp(&self, id: i64, code: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let account = load_account(&mut conn, id)?;
        if account.totp_enabled {
            return Err(StoreError::domain(
                Code::TotpAlreadyEnabled,
                "该账号已启用动态口令",
            ));
        }
        if account.password_change_required {
            return Err(StoreError::domain(
                Code::PasswordChangeRequired,
                "请先修改初始密码，再绑定动态口令",
            ));
        }
        let cipher = conn.query_blob(
            "SELECT totp_secret FROM accounts WHERE id = $1",
            &[Val::Int(id)],
        )?;
        let Some(cipher) = cipher else {
            return Err(StoreError::domain(
                Code::TotpInvalid,
                "尚未开始绑定动态口令，请先获取密钥",
            ));
        };
        let secret = self.keys.decrypt(&cipher)?;
        let Some(step) = totp_check(&secret, code, now)? else {
            return Err(StoreError::domain(
                Code::TotpInvalid,
                "动态口令错误或已过期，请核对手机时间后重试",
            ));
        };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let stamp = self.now_text();
        conn.write(|c| {
            c.exec(
                "UPDATE accounts SET totp_enabled = 1, totp_last_step = $2, updated_at = $3 WHERE id = $1",
                &[Val::Int(id), Val::Int(step), Val::from(stamp.as_str())],
            )?;
            journal_account(c, self.now_text(), id, &account.actor(), audit::Action::EnableTotp, serde_json::json!({ "totp_enabled": true }))
        })
    }

    /// Switches the second factor off and forgets its secret (a lost phone); the account
    /// enrols again at its next login if its role requires one. Ends its sessions.
    pub fn reset_totp<'a>(&self, id: i64, by: impl Into<Acting<'a>>) -> StoreResult<Account> {
        let now = self.now_text();
        self.change_account(id, by.into(), AccountAction::ResetTotp, audit::Action::ResetTotp, |c, _| {
            c.exec(
                "UPDATE accounts SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL, updated_at = $2 WHERE id = $1",
                &[Val::Int(id), Val::from(now.as_str())],
            )?;
            c.exec("DELETE FROM sessions WHERE account_id = $1", &[Val::Int(id)])?;
            Ok(serde_json::json!({ "totp_enabled": false }))
        })
    }

    /// Checks a login from an unnamed client (the command line, tests): see [`Store::login_from`].
    pub fn login(
        &self,
        name: &str,
        password: &str,
        totp: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Account, LoginError> {
        self.login_from(name, password, totp, "", now)
    }

    /// Checks a login from `client` (the address the web layer trusts). Failures (wrong
    /// password, wrong TOTP code) count towards a lockout of this account for this client only,
    /// so a stranger elsewhere cannot lock the holder out; a success clears them. While locked
    /// for this client, the password is not even checked, and the answer is the same
    /// `BadCredentials` as for a wrong password or an unknown name, after the same work. An
    /// account whose role requires TOTP but has not enrolled logs in with its password and
    /// comes back with `totp_pending`.
    pub fn login_from(
        &self,
        name: &str,
        password: &str,
        totp: Option<&str>,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, LoginError> {
        let policy = self.lockout_policy();
        let client = client_key(client);
        let mut conn = self.conn()?;
        let key = name_key(name);
        // A name no account could have is looked up nowhere (PostgreSQL refuses NUL in text).
        let creds = if validate_account_name(name).is_err() {
            None
        } else {
            conn.query_one(
                "SELECT id, password_hash, disabled, totp_enabled, totp_secret, totp_last_step FROM accounts WHERE name_key = $1",
                &[Val::from(key)],
            )?
            .map(|r| -> StoreResult<Credentials> {
                Ok(Credentials {
                    id: r.need_int("id")?,
                    password_hash: r.need_text("password_hash")?.to_string(),
                    disabled: r.int("disabled")?.unwrap_or(0) != 0,
                    totp_enabled: r.int("totp_enabled")?.unwrap_or(0) != 0,
                    totp_secret: r.blob("totp_secret")?.map(<[u8]>::to_vec),
                    totp_last_step: r.int("totp_last_step")?,
                })
            })
            .transpose()?
        };
        let Some(creds) = creds else {
            verify_dummy(password);
            // The name is kept only when it could be an account's (never a password typed into
            // the wrong field, as far as the name rules can tell).
            let shown = if validate_account_name(name).is_ok() {
                bounded(name, 64)
            } else {
                "（无效的账号名）".to_string()
            };
            let now_text = self.now_text();
            conn.write(|c| {
                let mut d = login_detail(Some("账号不存在"), &client);
                d["name"] = shown.as_str().into();
                journal_request(
                    c,
                    now_text,
                    &login_check(),
                    audit::Action::LoginFailed,
                    "/login",
                    d,
                )
            })?;
            return Err(LoginError::BadCredentials);
        };
        // Wrong second-factor codes lock the account for every client: only someone who knows
        // the password gets that far, so a stranger cannot use it to lock the holder out, and
        // guessing the six digits from many addresses gets five tries in all.
        let failures = self.failures(&mut conn, creds.id, &client)?;
        let totp_failures = self.failures(&mut conn, creds.id, TOTP_CLIENT)?;
        if policy.decide(&failures, now).is_locked()
            || policy.decide(&totp_failures, now).is_locked()
        {
            verify_dummy(password);
            self.journal_login(
                &mut conn,
                creds.id,
                audit::Action::LoginFailed,
                Some("账号已锁定"),
                &client,
            )?;
            return Err(LoginError::BadCredentials);
        }
        if !verify_password(password, &creds.password_hash) {
            self.record_failure(&mut conn, creds.id, &client, "密码错误", now)?;
            return Err(LoginError::BadCredentials);
        }
        if creds.disabled {
            self.journal_login(
                &mut conn,
                creds.id,
                audit::Action::LoginFailed,
                Some("账号已停用"),
                &client,
            )?;
            return Err(LoginError::Disabled);
        }
        let mut step = None;
        if creds.totp_enabled {
            let code = totp.map(str::trim).unwrap_or_default();
            if code.is_empty() {
                return Err(LoginError::TotpRequired);
            }
            let secret = match &creds.totp_secret {
                Some(c) => self.keys.decrypt(c)?,
                None => return Err(StoreError::Internal("已启用动态口令但缺少密钥".into()).into()),
            };
            match totp_check(&secret, code, now)? {
                // A code is good once (RFC 6238 §5.2): an observed code cannot be replayed.
                Some(s)
                    if creds
                        .totp_last_step
                        .is_none_or(|last| i64::try_from(s).is_ok_and(|s| s > last)) =>
                {
                    step = i64::try_from(s).ok();
                }
                _ => {
                    self.record_failure(&mut conn, creds.id, TOTP_CLIENT, "动态口令错误", now)?;
                    return Err(LoginError::TotpInvalid);
                }
            }
        }
        let id = creds.id;
        let replayed = conn.write(|c| {
            if let Some(s) = step {
                // Checked again under the write lock: two logins with one code, one wins.
                let n = c.exec(
                    "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                    &[Val::Int(id), Val::Int(s)],
                )?;
                if n == 0 {
                    return Ok(true);
                }
            }
            c.exec(
                "UPDATE accounts SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1",
                &[Val::Int(id), Val::from(crate::time_text(now))],
            )?;
            c.exec(
                "DELETE FROM login_failures WHERE account_id = $1 AND (client = $2 OR client = $3)",
                &[Val::Int(id), Val::from(client.as_str()), Val::from(TOTP_CLIENT)],
            )?;
            let actor = load_account(c, id)?.actor();
            journal_account(c, self.now_text(), id, &actor, audit::Action::Login, login_detail(None, &client))?;
            Ok(false)
        })?;
        if replayed {
            self.record_failure(&mut conn, id, TOTP_CLIENT, "动态口令重复使用", now)?;
            return Err(LoginError::TotpInvalid);
        }
        Ok(load_account(&mut conn, id)?)
    }

    fn failures(&self, c: &mut Conn, id: i64, client: &str) -> StoreResult<Vec<DateTime<Utc>>> {
        c.query(
            "SELECT at FROM login_failures WHERE account_id = $1 AND client = $2",
            &[Val::Int(id), Val::from(client)],
        )?
        .iter()
        .map(|r| r.time("at"))
        .collect()
    }

    /// Counts a failed login of account `id` from `client`. When the failures reach the limit,
    /// the account is locked for that client: journaled the moment the lock begins, and shown
    /// to the system administrator (`locked_until`), who can lift it.
    fn record_failure(
        &self,
        conn: &mut Conn,
        id: i64,
        client: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let policy = self.lockout_policy();
        conn.write(|c| {
            let mut d = login_detail(Some(reason), client);
            d["name"] = load_account(c, id)?.name.into();
            journal_account(c, self.now_text(), id, &login_check(), audit::Action::LoginFailed, d)?;
            let before = policy.decide(&self.failures(c, id, client)?, now);
            c.exec(
                "INSERT INTO login_failures (account_id, client, at) VALUES ($1, $2, $3)",
                &[Val::Int(id), Val::from(client), Val::from(crate::time_text(now))],
            )?;
            // Failures that left the window no longer matter.
            if let Some(start) = now.checked_sub_signed(policy.window) {
                c.exec(
                    "DELETE FROM login_failures WHERE account_id = $1 AND at <= $2",
                    &[Val::Int(id), Val::from(crate::time_text(start))],
                )?;
            }
            let after = policy.decide(&self.failures(c, id, client)?, now);
            let until = match after {
                Lockout::Locked { until } => Some(until),
                Lockout::Open => None,
            };
            c.exec(
                "UPDATE accounts SET failed_logins = failed_logins + 1, locked_until = COALESCE($2, locked_until) WHERE id = $1",
                &[Val::Int(id), Val::from(until.map(crate::time_text))],
            )?;
            if let (Lockout::Open, Some(until)) = (before, until) {
                journal_account(c, self.now_text(),
                    id,
                    &audit::Actor::System(Some("lockout".into())),
                    audit::Action::Lock,
                    serde_json::json!({ "until": crate::time_text(until), "failures": policy.max_failures, "client": client }),
                )?;
            }
            Ok(())
        })
    }

    /// Journals a login event of account `id` that changes nothing else.
    fn journal_login(
        &self,
        conn: &mut Conn,
        id: i64,
        action: audit::Action,
        reason: Option<&str>,
        client: &str,
    ) -> StoreResult<()> {
        let at = self.now_text();
        conn.write(|c| {
            let account = load_account(c, id)?;
            let actor = if action == audit::Action::LoginFailed {
                login_check()
            } else {
                account.actor()
            };
            let mut d = login_detail(reason, client);
            d["name"] = account.name.into();
            journal_account(c, at, id, &actor, action, d)
        })
    }

    /// Logs out: the session ends, journaled as the account's logout. An unknown or ended
    /// session changes nothing.
    pub fn logout(&self, token: &str) -> StoreResult<()> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Ok(());
        }
        let mut conn = self.conn()?;
        let at = self.now_text();
        conn.write(|c| {
            let Some(r) = c.query_one(
                "SELECT account_id FROM sessions WHERE token_hash = $1",
                &[Val::Blob(token_hash(token))],
            )?
            else {
                return Ok(());
            };
            let id = r.need_int("account_id")?;
            c.exec(
                "DELETE FROM sessions WHERE token_hash = $1",
                &[Val::Blob(token_hash(token))],
            )?;
            let actor = load_account(c, id)?.actor();
            journal_account(
                c,
                at,
                id,
                &actor,
                audit::Action::Logout,
                serde_json::json!({}),
            )
        })
    }

    /// Journals a request refused because `account`'s role may not use the function at `path`.
    pub fn journal_refusal(&self, account: &Account, method: &str, path: &str) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let at = self.now_text();
        let path = bounded(path, 200);
        let method = bounded(method, 10);
        conn.write(|c| {
            journal_request(
                c,
                at,
                &account.actor(),
                audit::Action::Refused,
                &path,
                serde_json::json!({ "method": method, "path": path }),
            )
        })
    }

    /// Opens a session for an account that just logged in.
    pub fn create_session(
        &self,
        account_id: i64,
        ttl: TimeDelta,
        now: DateTime<Utc>,
    ) -> StoreResult<NewSession> {
        let mut conn = self.conn()?;
        let account = load_account(&mut conn, account_id)?;
        if account.disabled {
            return Err(StoreError::domain(Code::AccountDisabled, "账号已停用"));
        }
        let token = random_hex()?;
        let csrf = random_hex()?;
        let expires_at = now
            .checked_add_signed(ttl)
            .ok_or_else(|| StoreError::Internal("会话有效期超出范围".into()))?;
        // Housekeeping: sessions past their end are of no use to anyone.
        conn.exec(
            "DELETE FROM sessions WHERE expires_at <= $1",
            &[Val::from(crate::time_text(now))],
        )?;
        conn.exec(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)",
            &[
                Val::Blob(token_hash(&token)),
                Val::Int(account_id),
                Val::from(csrf.as_str()),
                Val::from(crate::time_text(now)),
                Val::from(crate::time_text(expires_at)),
            ],
        )?;
        Ok(NewSession {
            token,
            csrf,
            expires_at,
        })
    }

    /// The account and session behind a session token. Expired sessions, sessions idle for
    /// `idle` or longer, and sessions of disabled accounts answer None and are deleted.
    pub fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle: TimeDelta,
    ) -> StoreResult<Option<(Account, Session)>> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        let hash = token_hash(token);
        let mut conn = self.conn()?;
        let sql = format!(
            "SELECT {}, s.csrf_token, s.expires_at, s.last_seen_at FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1",
            account_cols("a")
        );
        let Some(r) = conn.query_one(&sql, &[Val::Blob(hash.clone())])? else {
            return Ok(None);
        };
        let account = account_from(&r)?;
        let csrf = r.need_text("csrf_token")?.to_string();
        let expires_at = r.time("expires_at")?;
        let last_seen = r.time("last_seen_at")?;
        let idle_out = last_seen.checked_add_signed(idle).is_some_and(|t| t <= now);
        if expires_at <= now || idle_out || account.disabled {
            conn.exec(
                "DELETE FROM sessions WHERE token_hash = $1",
                &[Val::Blob(hash)],
            )?;
            return Ok(None);
        }
        if now - last_seen >= TOUCH_EVERY {
            conn.exec(
                "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1",
                &[Val::Blob(hash), Val::from(crate::time_text(now))],
            )?;
        }
        Ok(Some((account, Session { csrf, expires_at })))
    }

    /// Logs out.
    pub fn end_session(&self, token: &str) -> StoreResult<()> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Ok(());
        }
        self.conn()?.exec(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[Val::Blob(token_hash(token))],
        )?;
        Ok(())
    }

    /// Logs an account out everywhere; returns how many sessions ended.
    pub fn end_sessions_of(&self, account_id: i64) -> StoreResult<u64> {
        self.conn()?.exec(
            "DELETE FROM sessions WHERE account_id = $1",
            &[Val::Int(account_id)],
        )
    }

    /// Issues an API token for an account. The plain token (`pbt_…`) is returned once and
    /// never stored. Only an enabled account whose role may hold one (`may_hold_token`) gets
    /// one, and only its holder (or the operator at the machine) issues it; a refusal writes
    /// nothing.
    pub fn issue_token<'a>(
        &self,
        account_id: i64,
        label: &str,
        by: impl Into<Acting<'a>>,
    ) -> StoreResult<(ApiToken, String)> {
        let by = by.into();
        let label = label.trim().to_string();
        let n = label.chars().count();
        if n > MAX_LABEL_CHARS {
            return Err(StoreError::domain(
                Code::TooLong,
                format!("令牌说明过长：{n} 个字符，最多 {MAX_LABEL_CHARS} 个"),
            ));
        }
        if label.chars().any(char::is_control) {
            return Err(StoreError::domain(
                Code::TokenInvalid,
                "令牌说明不能含有控制字符",
            ));
        }
        let plain = format!("{TOKEN_PREFIX}{}", random_hex()?);
        let mut conn = self.conn()?;
        let now = self.now_text();
        let id = conn.write(|c| {
            let account = load_account(c, account_id)?;
            let actor = check_duty(c, by, AccountAction::IssueToken, Some(&account))?;
            if account.disabled {
                return Err(StoreError::domain(
                    Code::AccountDisabled,
                    format!("账号“{}”已停用，不能签发令牌", account.name),
                ));
            }
            if !may_hold_token(account.role) {
                let allowed: Vec<&str> = AccountRole::ALL
                    .into_iter()
                    .filter(|r| may_hold_token(*r))
                    .map(AccountRole::label)
                    .collect();
                return Err(StoreError::domain(
                    Code::Forbidden,
                    format!(
                        "账号“{}”是{}账号，须用密码和动态口令登录，不能签发接口令牌；接口令牌只用于系统间调用，只签发给{}账号",
                        account.name,
                        account.role.label(),
                        allowed.join("、")
                    ),
                ));
            }
            let id = c.next_id("api_tokens")?;
            c.exec(
                "INSERT INTO api_tokens (id, token_hash, account_id, label, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    Val::Int(id),
                    Val::Blob(token_hash(&plain)),
                    Val::Int(account_id),
                    Val::from(label.as_str()),
                    Val::from(now.as_str()),
                ],
            )?;
            journal_token(c, self.now_text(),
                id,
                &actor,
                audit::Action::Issue,
                serde_json::json!({ "account": account_id, "account_name": account.name, "label": label }),
            )?;
            Ok(id)
        })?;
        let token = self.token(&mut conn, id)?;
        Ok((token, plain))
    }

    fn token(&self, c: &mut Conn, id: i64) -> StoreResult<ApiToken> {
        match c.query_one(
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"),
            &[Val::Int(id)],
        )? {
            Some(r) => token_from(&r),
            None => Err(StoreError::NotFound(format!("令牌 {id}"))),
        }
    }

    /// The account behind a bearer token: None for an unknown or revoked token, or a disabled
    /// account. Records the token's last use (at most once a minute).
    pub fn token_account(&self, token: &str, now: DateTime<Utc>) -> StoreResult<Option<Account>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        let mut conn = self.conn()?;
        let sql = format!(
            "SELECT {}, t.id AS token_id, t.last_used_at AS token_last_used_at FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            account_cols("a")
        );
        let Some(r) = conn.query_one(&sql, &[Val::Blob(token_hash(token))])? else {
            return Ok(None);
        };
        let account = account_from(&r)?;
        // A token issued before the account moved to a role that logs in with a second factor
        // opens nothing: that role's rights are not for system-to-system calls.
        if account.disabled || !may_hold_token(account.role) {
            return Ok(None);
        }
        let id = r.need_int("token_id")?;
        let last = r.opt_time("token_last_used_at")?;
        if last.is_none_or(|t| now - t >= TOUCH_EVERY) {
            let at = self.now_text();
            conn.write(|c| {
                c.exec(
                    "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
                    &[Val::Int(id), Val::from(crate::time_text(now))],
                )?;
                // A token in use is journaled once in each clock hour it is used, not per call.
                let hour = |t: DateTime<Utc>| t.timestamp().div_euclid(3600);
                if last.is_none_or(|t| hour(t) != hour(now)) {
                    journal_token(
                        c,
                        at,
                        id,
                        &account.actor(),
                        audit::Action::UseToken,
                        serde_json::json!({}),
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(Some(account))
    }

    /// Revokes a token for good: its holder, the system administrator or the operator. Revoking
    /// a revoked token changes nothing.
    pub fn revoke_token<'a>(&self, id: i64, by: impl Into<Acting<'a>>) -> StoreResult<ApiToken> {
        let by = by.into();
        let mut conn = self.conn()?;
        let now = self.now_text();
        conn.write(|c| {
            let t = self.token(c, id)?;
            let holder = load_account(c, t.account_id)?;
            let actor = check_duty(c, by, AccountAction::RevokeToken, Some(&holder))?;
            if t.revoked_at.is_some() {
                return Ok(());
            }
            c.exec(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1",
                &[Val::Int(id), Val::from(now.as_str())],
            )?;
            journal_token(
                c,
                self.now_text(),
                id,
                &actor,
                audit::Action::RevokeToken,
                serde_json::json!({ "account": t.account_id, "label": t.label }),
            )
        })?;
        self.token(&mut conn, id)
    }

    /// Tokens of one account, or of all, in id order (revoked ones included).
    pub fn tokens(&self, account_id: Option<i64>) -> StoreResult<Vec<ApiToken>> {
        let mut c = self.conn()?;
        let rows = match account_id {
            Some(a) => c.query(
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE account_id = $1 ORDER BY id"),
                &[Val::Int(a)],
            )?,
            None => c.query(
                &format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY id"),
                &[],
            )?,
        };
        rows.iter().map(token_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_passwords_meet_the_policy() {
        for _ in 0..200 {
            let p = random_password().unwrap();
            assert_eq!(p.chars().count(), 16);
            check_password(&p, "someone").unwrap();
        }
    }

    #[test]
    fn totp_matches_rfc_6238() {
        // RFC 6238 appendix B, SHA1 seed "12345678901234567890": 8-digit 94287082 at T=59, so
        // the 6-digit code is its last six digits.
        let secret = totp_rs::Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        assert_eq!(totp_check(&secret, "287082", at(59)).unwrap(), Some(1));
        assert_eq!(totp_check(&secret, "287 082", at(59)).unwrap(), Some(1));
        // One step of skew either way, not two.
        assert!(totp_check(&secret, "287082", at(89)).unwrap().is_some());
        assert!(totp_check(&secret, "287082", at(95)).unwrap().is_none());
        // T=1111111109 → 07081804.
        assert!(
            totp_check(&secret, "081804", at(1_111_111_109))
                .unwrap()
                .is_some()
        );
        for junk in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "２８７０８２",
            "287082\u{0}",
        ] {
            assert_eq!(totp_check(&secret, junk, at(59)).unwrap(), None, "{junk:?}");
        }
        assert_eq!(totp_check(&secret, "287082", at(-5)).unwrap(), None);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("Tianjin#2025").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("Tianjin#2025", &h));
        assert!(!verify_password("Tianjin#2026", &h));
        assert!(!verify_password("Tianjin#2025", "not a phc string"));
    }

    #[test]
    fn otpauth_labels_are_encoded() {
        assert_eq!(
            percent_encode("区法院:a b"),
            "%E5%8C%BA%E6%B3%95%E9%99%A2%3Aa%20b"
        );
        assert_eq!(percent_encode("a-b.c_d~"), "a-b.c_d~");
    }
}
