//! Accounts of the platform: who may log in, in which role, bound to which unit, and the rules a
//! name, a password and a run of failed logins must obey (GB/T 22239 level 3: separate system,
//! security and audit administrators, strong passwords, lockout after repeated failures).
//! Pure: the clock is passed in.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Code, DomainError, Result};
use crate::record::Role;

/// The role of an account. The three administrative roles are separate (三员分立): none of them
/// sees business data, and none can do what another one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRole {
    /// 信用办: keeps the catalog, reviews and publishes records, runs assessments.
    Admin,
    /// 报送单位: a department that submits records.
    Provider,
    /// 被评价单位: an assessed unit that sees and answers its own file.
    Unit,
    /// 组织人事部门: asks about civil servants' 优秀 eligibility.
    Hr,
    /// 系统管理员: accounts, tokens, settings; no business data.
    Sysadmin,
    /// 安全管理员: grants and withdraws roles.
    Secadmin,
    /// 审计员: reads the audit and access logs; changes nothing.
    Auditor,
    /// 待授权: created by the system administrator, waiting for the security administrator to
    /// grant it a role. It opens nothing but the account's own pages (password, logout).
    Unassigned,
}

impl AccountRole {
    pub const ALL: [AccountRole; 8] = [
        AccountRole::Admin,
        AccountRole::Provider,
        AccountRole::Unit,
        AccountRole::Hr,
        AccountRole::Sysadmin,
        AccountRole::Secadmin,
        AccountRole::Auditor,
        AccountRole::Unassigned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AccountRole::Admin => "admin",
            AccountRole::Provider => "provider",
            AccountRole::Unit => "unit",
            AccountRole::Hr => "hr",
            AccountRole::Sysadmin => "sysadmin",
            AccountRole::Secadmin => "secadmin",
            AccountRole::Auditor => "auditor",
            AccountRole::Unassigned => "unassigned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountRole::Admin => "信用办",
            AccountRole::Provider => "报送单位",
            AccountRole::Unit => "被评价单位",
            AccountRole::Hr => "组织人事部门",
            AccountRole::Sysadmin => "系统管理员",
            AccountRole::Secadmin => "安全管理员",
            AccountRole::Auditor => "审计员",
            AccountRole::Unassigned => "待授权",
        }
    }

    /// Accepts the code (any ASCII case) or the Chinese label.
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        AccountRole::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(t) || r.label() == t)
            .ok_or_else(|| {
                let known: Vec<String> = AccountRole::ALL
                    .iter()
                    .map(|r| format!("{}（{}）", r.code(), r.label()))
                    .collect();
                DomainError::new(
                    Code::UnknownRole,
                    format!("未知的角色：{t}；可选：{}", known.join("、")),
                )
            })
    }

    /// Provider and unit accounts act for one unit of the roster; every other account must not
    /// be bound to one.
    pub fn needs_unit(self) -> bool {
        matches!(self, AccountRole::Provider | AccountRole::Unit)
    }

    /// Roles that log in with a second factor (TOTP).
    pub fn requires_totp(self) -> bool {
        matches!(
            self,
            AccountRole::Admin
                | AccountRole::Sysadmin
                | AccountRole::Secadmin
                | AccountRole::Auditor
        )
    }

    /// The three separated administrators (三员): they run the system, not the business.
    pub fn is_administrative(self) -> bool {
        matches!(
            self,
            AccountRole::Sysadmin | AccountRole::Secadmin | AccountRole::Auditor
        )
    }

    /// The role this account plays in the record lifecycle, if any.
    pub fn record_role(self) -> Option<Role> {
        match self {
            AccountRole::Admin => Some(Role::CreditOffice),
            AccountRole::Provider => Some(Role::Provider),
            AccountRole::Unit => Some(Role::Unit),
            AccountRole::Hr
            | AccountRole::Sysadmin
            | AccountRole::Secadmin
            | AccountRole::Auditor
            | AccountRole::Unassigned => None,
        }
    }

    /// Checks the unit binding: present exactly when the role needs one.
    pub fn check_unit<T>(self, unit: Option<T>) -> Result<()> {
        match (self.needs_unit(), unit.is_some()) {
            (true, false) => Err(DomainError::new(
                Code::RoleUnitMismatch,
                format!("{}账号必须绑定主体名录中的单位", self.label()),
            )),
            (false, true) => Err(DomainError::new(
                Code::RoleUnitMismatch,
                format!(
                    "{}账号不能绑定单位（只有报送单位和被评价单位账号绑定单位）",
                    self.label()
                ),
            )),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for AccountRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

pub const NAME_MIN_CHARS: usize = 2;
pub const NAME_MAX_CHARS: usize = 32;

fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{3400}'..='\u{4DBF}' // Extension A
        | '\u{20000}'..='\u{2A6DF}' // Extension B
        | '\u{F900}'..='\u{FAFF}') // Compatibility Ideographs
}

/// A character as a message names it: quoted, or as U+XXXX when it cannot be seen.
fn shown_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("“{c}”")
    }
}

fn name_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') || is_han(c)
}

/// Checks an account name: 2–32 characters, each an ASCII letter or digit, `_`, `.`, `-` or a
/// Chinese character. Surrounding spaces are dropped; the trimmed name is returned.
pub fn validate_account_name(name: &str) -> Result<String> {
    let t = name.trim();
    let n = t.chars().count();
    if !(NAME_MIN_CHARS..=NAME_MAX_CHARS).contains(&n) {
        return Err(DomainError::new(
            Code::AccountNameInvalid,
            format!("账号名长度应为 {NAME_MIN_CHARS}–{NAME_MAX_CHARS} 个字符，现为 {n} 个"),
        ));
    }
    if let Some(bad) = t.chars().find(|c| !name_char_ok(*c)) {
        return Err(DomainError::new(
            Code::AccountNameInvalid,
            format!(
                "账号名含有不允许的字符 {}：只能使用字母、数字、下划线、点、连字符或汉字",
                shown_char(bad)
            ),
        ));
    }
    Ok(t.to_string())
}

/// The key under which names are unique and looked up: ASCII letters folded to lower case, so
/// that `Zhang.San` and `zhang.san` are one account.
pub fn name_key(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

pub const REAL_NAME_MAX_CHARS: usize = 30;

/// Who holds an account and how to reach them: the real name (姓名) and a phone number
/// (联系电话), shown to the administrators so that a role is granted to a known person and the
/// holder can be called to confirm it (三员分立); and an e-mail address (邮箱) the platform's
/// notifications are sent to when mail is configured. Accounts the operator created at the
/// machine may have none of them; a form always asks for the name and the phone. The e-mail
/// address is never required: blank means no mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub real_name: String,
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

impl Contact {
    /// Checks every field at once and returns every problem with the field it concerns
    /// (`real_name`, `phone`, `email`). A blank name or phone is refused when `required`;
    /// otherwise a blank field stays blank (the e-mail address may always be blank). Spaces
    /// around are dropped; a phone number keeps its digits and hyphens only; an address's domain
    /// is kept in lower case.
    pub fn check(
        real_name: &str,
        phone: &str,
        email: &str,
        required: bool,
    ) -> std::result::Result<Contact, Vec<(&'static str, DomainError)>> {
        let mut problems = Vec::new();
        let real_name = match check_real_name(real_name, required) {
            Ok(n) => n,
            Err(e) => {
                problems.push(("real_name", e));
                String::new()
            }
        };
        let phone = match check_phone(phone, required) {
            Ok(p) => p,
            Err(e) => {
                problems.push(("phone", e));
                String::new()
            }
        };
        let email = match check_email(email) {
            Ok(e) => e,
            Err(e) => {
                problems.push(("email", e));
                String::new()
            }
        };
        if problems.is_empty() {
            Ok(Contact {
                real_name,
                phone,
                email,
            })
        } else {
            Err(problems)
        }
    }
}

/// A person's name as Chinese forms take it: Chinese characters (with the middle dot of
/// transliterated names, 阿依古丽·买买提) or Latin letters and spaces, 2–30 characters.
pub fn check_real_name(name: &str, required: bool) -> Result<String> {
    let t = name.trim();
    if t.is_empty() {
        return if required {
            Err(DomainError::new(Code::RealNameInvalid, "请填写姓名"))
        } else {
            Ok(String::new())
        };
    }
    let n = t.chars().count();
    if !(2..=REAL_NAME_MAX_CHARS).contains(&n) {
        return Err(DomainError::new(
            Code::RealNameInvalid,
            format!("姓名应为 2–{REAL_NAME_MAX_CHARS} 个字，现为 {n} 个"),
        ));
    }
    let ok = |c: char| is_han(c) || c.is_ascii_alphabetic() || matches!(c, '·' | '•' | '.' | ' ');
    if let Some(bad) = t.chars().find(|c| !ok(*c)) {
        return Err(DomainError::new(
            Code::RealNameInvalid,
            format!(
                "姓名含有不允许的字符 {}：只能使用汉字、字母、间隔号“·”和空格",
                shown_char(bad)
            ),
        ));
    }
    Ok(t.to_string())
}

/// A phone number: a mobile number (11 digits starting 13–19, an optional +86 or 86 before it)
/// or a landline with its area code (0 and 2–3 digits, then 7–8 digits, an optional extension
/// after 转 or a hyphen). Spaces are dropped; the number is returned as `13812345678` or
/// `022-12345678[-123]`.
pub fn check_phone(phone: &str, required: bool) -> Result<String> {
    let t: String = phone.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return if required {
            Err(DomainError::new(Code::PhoneInvalid, "请填写联系电话"))
        } else {
            Ok(String::new())
        };
    }
    let bad = || {
        DomainError::new(
            Code::PhoneInvalid,
            "联系电话应为 11 位手机号码（如 13812345678）或带区号的固定电话（如 022-12345678）",
        )
    };
    if t.chars().count() > 24 {
        return Err(bad());
    }
    let t = t.replace('转', "-");
    let mobile = t
        .strip_prefix("+86")
        .or_else(|| t.strip_prefix("86").filter(|r| r.len() == 11))
        .unwrap_or(&t);
    if mobile.len() == 11
        && mobile.bytes().all(|b| b.is_ascii_digit())
        && mobile.starts_with('1')
        && (b'3'..=b'9').contains(&mobile.as_bytes()[1])
    {
        return Ok(mobile.to_string());
    }
    // A landline: 0AA(A)-NNNNNNN(N)[-EXT], the first hyphen optional.
    if !t.starts_with('0') || !t.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(bad());
    }
    let parts: Vec<&str> = t.split('-').collect();
    let (area, local, rest) = if parts[0].len() > 4 {
        // No hyphen after the area code: three-digit codes (010, 02x) first, as in Tianjin.
        let all = parts[0];
        let cut = if all.starts_with("01") || all.starts_with("02") {
            3
        } else {
            4
        };
        (&all[..cut], &all[cut..], &parts[1..])
    } else if parts.len() >= 2 {
        (parts[0], parts[1], &parts[2..])
    } else {
        return Err(bad());
    };
    let ext = match rest {
        [] => None,
        [e] => Some(*e),
        _ => return Err(bad()),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let area_ok = (3..=4).contains(&area.len()) && digits(area);
    let local_ok = (7..=8).contains(&local.len()) && digits(local) && !local.starts_with('0');
    let ext_ok = ext.is_none_or(|e| (1..=6).contains(&e.len()) && digits(e));
    if !(area_ok && local_ok && ext_ok) {
        return Err(bad());
    }
    Ok(match ext {
        Some(e) => format!("{area}-{local}-{e}"),
        None => format!("{area}-{local}"),
    })
}

/// The longest address SMTP carries (RFC 5321: a path of 256 octets, brackets included).
pub const EMAIL_MAX_CHARS: usize = 254;
/// The longest local part (before the @) SMTP carries (RFC 5321).
const EMAIL_LOCAL_MAX: usize = 64;

/// An e-mail address (邮箱) as the platform sends notifications to it: `local@domain`, the
/// local part of letters, digits and `. _ % + -` (no dot first, last or twice in a row), the
/// domain of at least two labels of letters, digits and hyphens (`binhai.gov.cn`, punycode
/// included), at most 254 characters. Blank is allowed (no mail). Spaces around are dropped and
/// the domain is kept in lower case, so that an address is stored one way.
pub fn check_email(email: &str) -> Result<String> {
    let t = email.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    let n = t.chars().count();
    if n > EMAIL_MAX_CHARS {
        return Err(DomainError::new(
            Code::EmailInvalid,
            format!("邮箱过长：{n} 个字符，最多 {EMAIL_MAX_CHARS} 个"),
        ));
    }
    let bad = || {
        DomainError::new(
            Code::EmailInvalid,
            "邮箱格式不正确：应为“用户名@域名”，如 zhangsan@binhai.gov.cn，只能使用英文字母、数字和 . _ % + -",
        )
    };
    let Some((local, domain)) = t.split_once('@') else {
        return Err(bad());
    };
    let local_ok = !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_%+".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| label_ok(l))
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    if !(local_ok && domain_ok) {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longer passwords are refused so that hashing cannot be turned into a denial of service.
pub const PASSWORD_MAX_CHARS: usize = 128;
pub const PASSWORD_MIN_CLASSES: usize = 3;

/// Checks a password against the policy: at least 10 characters, at least 3 of the 4 classes
/// (upper case, lower case, digits, symbols — any other printable character counts as a symbol),
/// no control characters, and not containing the account name. Every unmet rule is named.
pub fn check_password(password: &str, account_name: &str) -> Result<()> {
    let mut problems: Vec<String> = Vec::new();
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        problems.push(format!(
            "长度至少 {PASSWORD_MIN_CHARS} 个字符（现为 {n} 个）"
        ));
    }
    if n > PASSWORD_MAX_CHARS {
        problems.push(format!("长度不能超过 {PASSWORD_MAX_CHARS} 个字符"));
    }
    if password.chars().any(char::is_control) {
        problems.push("不能含有控制字符（如换行、制表符）".into());
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_ascii_alphanumeric() && !c.is_control()),
    ];
    let have = classes.iter().filter(|b| **b).count();
    if have < PASSWORD_MIN_CLASSES {
        problems.push(format!(
            "须包含大写字母、小写字母、数字、符号四类中的至少 {PASSWORD_MIN_CLASSES} 类（现有 {have} 类）"
        ));
    }
    let key = name_key(account_name);
    if !key.is_empty() && password.to_ascii_lowercase().contains(&key) {
        problems.push("不能包含账号名".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DomainError::new(
            Code::PasswordWeak,
            format!("密码强度不足：{}", problems.join("；")),
        ))
    }
}

/// When repeated failed logins lock an account. Data, not code: the default is the level-3 rule
/// of 5 failures within 15 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// This many failures inside `window` lock the account.
    pub max_failures: usize,
    /// How far back failures count. The lock lasts until fewer than `max_failures` failures
    /// remain inside the window: after a quick burst, `window` from the first failure of it.
    pub window: TimeDelta,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window: TimeDelta::minutes(15),
        }
    }
}

/// What the lockout policy says about an account now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    Open,
    Locked { until: DateTime<Utc> },
}

impl Lockout {
    pub fn is_locked(self) -> bool {
        matches!(self, Lockout::Locked { .. })
    }
}

impl LockoutPolicy {
    /// Decides from the failures since the last successful login (any order). The account is
    /// locked while at least `max_failures` of them lie inside the window before `now`
    /// (`t > now - window`; failures stamped after `now`, by a node whose clock runs ahead,
    /// count too); it opens when the oldest of the newest `max_failures` leaves the window.
    pub fn decide(&self, failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Lockout {
        if self.max_failures == 0 {
            return Lockout::Open;
        }
        let Some(start) = now.checked_sub_signed(self.window) else {
            return Lockout::Open;
        };
        let mut recent: Vec<DateTime<Utc>> =
            failures.iter().copied().filter(|t| *t > start).collect();
        if recent.len() < self.max_failures {
            return Lockout::Open;
        }
        // Newest first: the lock holds until the max_failures-th newest leaves the window.
        recent.sort_unstable_by(|a, b| b.cmp(a));
        let pivot = recent[self.max_failures - 1];
        match pivot.checked_add_signed(self.window) {
            Some(until) => Lockout::Locked { until },
            None => Lockout::Locked {
                until: DateTime::<Utc>::MAX_UTC,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_takes_names_and_phone_numbers_as_people_write_them() {
        let c = Contact::check(" 张三 ", "138 1234 5678", "", true).unwrap();
        assert_eq!(
            (c.real_name.as_str(), c.phone.as_str()),
            ("张三", "13812345678")
        );
        for (typed, kept) in [
            ("022-12345678", "022-12345678"),
            ("02212345678", "022-12345678"),
            ("022-2345678转123", "022-2345678-123"),
            ("0310-1234567", "0310-1234567"),
            ("+8613812345678", "13812345678"),
        ] {
            assert_eq!(check_phone(typed, true).unwrap(), kept, "{typed}");
        }
        assert_eq!(
            check_real_name("阿依古丽·买买提", true).unwrap(),
            "阿依古丽·买买提"
        );
        assert_eq!(check_real_name("John Smith", true).unwrap(), "John Smith");
        // Optional fields stay blank when the operator leaves them blank.
        assert_eq!(
            Contact::check("", "", "", false).unwrap(),
            Contact::default()
        );
    }

    #[test]
    fn contact_names_every_problem_at_once() {
        let errs = Contact::check("张", "12345", "zhang@", true).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["real_name", "phone", "email"]);
        assert!(errs.iter().all(|(_, e)| !e.message.is_empty()));
        let errs = Contact::check("", "", "", true).unwrap_err();
        assert_eq!(errs.len(), 2, "the e-mail address is never required");
        assert_eq!(errs[0].1.message, "请填写姓名");
        assert_eq!(errs[1].1.message, "请填写联系电话");
        for bad in [
            "1381234567",
            "23812345678",
            "12812345678",
            "022-0123456",
            "022-123",
            "0-12345678",
            "abc",
            "022-12345678-1234567",
            "022--12345678",
        ] {
            assert_eq!(
                check_phone(bad, true).unwrap_err().code,
                Code::PhoneInvalid,
                "{bad}"
            );
        }
        for bad in ["张3", "<script>", "张\u{202E}三", &"张".repeat(31)] {
            assert_eq!(
                check_real_name(bad, true).unwrap_err().code,
                Code::RealNameInvalid,
                "{bad}"
            );
        }
    }

    #[test]
    fn email_addresses_are_taken_as_mail_can_reach_them() {
        for (typed, kept) in [
            (" zhangsan@binhai.gov.cn ", "zhangsan@binhai.gov.cn"),
            ("Zhang.San@TJ.GOV.CN", "Zhang.San@tj.gov.cn"),
            (
                "xyb+notice@mail.binhai-xinyong.cn",
                "xyb+notice@mail.binhai-xinyong.cn",
            ),
            ("a_b-c%d@xinyong.xn--fiqs8s", "a_b-c%d@xinyong.xn--fiqs8s"),
            ("", ""),
        ] {
            assert_eq!(check_email(typed).unwrap(), kept, "{typed}");
        }
        let long = format!(
            "{}@{}.{}.{}.cn",
            "a".repeat(64),
            "b".repeat(62),
            "c".repeat(61),
            "d".repeat(61)
        );
        assert_eq!(long.chars().count(), 254);
        assert!(check_email(&long).is_ok());
        for bad in [
            "zhangsan",
            "zhangsan@",
            "@binhai.gov.cn",
            "zhang san@binhai.gov.cn",
            "zhangsan@binhai",
            "zhangsan@@binhai.gov.cn",
            "zhang@san@binhai.gov.cn",
            ".zhang@binhai.gov.cn",
            "zhang.@binhai.gov.cn",
            "zhang..san@binhai.gov.cn",
            "zhangsan@-binhai.gov.cn",
            "zhangsan@binhai..gov.cn",
            "zhangsan@10.0.0.1",
            "张三@binhai.gov.cn",
            "zhangsan＠binhai.gov.cn",
            "zhangsan@binhai.gov.cn\r\nBcc: x@y.cn",
            "<zhangsan@binhai.gov.cn>",
            &format!("{}@binhai.gov.cn", "a".repeat(65)),
            &format!("a@{}.cn", "b".repeat(250)),
        ] {
            let e = check_email(bad).unwrap_err();
            assert_eq!(e.code, Code::EmailInvalid, "{bad}");
            assert!(e.message.starts_with("邮箱"), "{bad}: {}", e.message);
        }
    }
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 30, 8, 0, 0).unwrap()
    }

    #[test]
    fn roles_parse_by_code_or_label() {
        for r in AccountRole::ALL {
            assert_eq!(AccountRole::parse(r.code()).unwrap(), r);
            assert_eq!(AccountRole::parse(r.label()).unwrap(), r);
            assert_eq!(
                AccountRole::parse(&format!(" {} ", r.code().to_uppercase())).unwrap(),
                r
            );
        }
        let e = AccountRole::parse("root").unwrap_err();
        assert_eq!(e.code, Code::UnknownRole);
        assert!(
            e.message.contains("root") && e.message.contains("sysadmin"),
            "{e}"
        );
        assert!(AccountRole::parse("").is_err());
    }

    #[test]
    fn role_properties() {
        use AccountRole::*;
        let with_unit: Vec<_> = AccountRole::ALL
            .into_iter()
            .filter(|r| r.needs_unit())
            .collect();
        assert_eq!(with_unit, vec![Provider, Unit]);
        let totp: Vec<_> = AccountRole::ALL
            .into_iter()
            .filter(|r| r.requires_totp())
            .collect();
        assert_eq!(totp, vec![Admin, Sysadmin, Secadmin, Auditor]);
        let adm: Vec<_> = AccountRole::ALL
            .into_iter()
            .filter(|r| r.is_administrative())
            .collect();
        assert_eq!(adm, vec![Sysadmin, Secadmin, Auditor]);
        assert_eq!(Admin.record_role(), Some(Role::CreditOffice));
        assert_eq!(Provider.record_role(), Some(Role::Provider));
        assert_eq!(Unit.record_role(), Some(Role::Unit));
        for r in [Hr, Sysadmin, Secadmin, Auditor, Unassigned] {
            assert_eq!(r.record_role(), None);
        }
        // Administrators never act on records.
        for r in AccountRole::ALL {
            assert!(!(r.is_administrative() && r.record_role().is_some()));
        }
    }

    #[test]
    fn unit_binding() {
        assert!(AccountRole::Provider.check_unit(Some(1)).is_ok());
        assert!(AccountRole::Admin.check_unit(None::<i64>).is_ok());
        let e = AccountRole::Provider.check_unit(None::<i64>).unwrap_err();
        assert_eq!(e.code, Code::RoleUnitMismatch);
        assert!(e.message.contains("报送单位"));
        let e = AccountRole::Auditor.check_unit(Some(3)).unwrap_err();
        assert_eq!(e.code, Code::RoleUnitMismatch);
    }

    #[test]
    fn account_names() {
        for ok in [
            "ab",
            "zhang.san",
            "区法院-报送",
            "a_b-c.d",
            "王五",
            "x".repeat(32).as_str(),
        ] {
            assert!(validate_account_name(ok).is_ok(), "{ok}");
        }
        assert_eq!(validate_account_name("  admin ").unwrap(), "admin");
        for bad in [
            "a",
            "",
            "   ",
            "x".repeat(33).as_str(),
            "a b",
            "a:b",
            "a@b",
            "名\n字",
            "ab😀",
        ] {
            let e = validate_account_name(bad).unwrap_err();
            assert_eq!(e.code, Code::AccountNameInvalid, "{bad}");
            assert!(!e.message.is_empty());
        }
        assert_eq!(name_key(" Zhang.San "), "zhang.san");
    }

    #[test]
    fn password_policy() {
        assert!(check_password("Tianjin#2025", "zhangsan").is_ok());
        assert!(
            check_password("tianjin2025!", "zhangsan").is_ok(),
            "lower+digit+symbol"
        );
        assert!(
            check_password("滨海新区Binhai2025", "zhangsan").is_ok(),
            "han counts as symbol"
        );
        let weak = |p: &str, name: &str| {
            let e = check_password(p, name).unwrap_err();
            assert_eq!(e.code, Code::PasswordWeak, "{p}");
            e.message
        };
        assert!(weak("Ab1!", "x1").contains("至少 10 个字符"));
        assert!(weak("abcdefghij12", "x1").contains("至少 3 类"));
        assert!(weak("Xzhangsan#2025", "ZhangSan").contains("账号名"));
        assert!(weak(&"Aa1!".repeat(40), "x1").contains("128"));
        assert!(weak("Abcdefg12\n!", "x1").contains("控制字符"));
        // All problems are named at once.
        let m = weak("abc", "x1");
        assert!(m.contains("长度") && m.contains("3 类"), "{m}");
    }

    #[test]
    fn lockout_after_five_quick_failures_for_fifteen_minutes() {
        let p = LockoutPolicy::default();
        let fails: Vec<_> = (0..5).map(|i| t0() + TimeDelta::seconds(i)).collect();
        assert_eq!(
            p.decide(&fails[..4], t0() + TimeDelta::seconds(10)),
            Lockout::Open
        );
        let until = t0() + TimeDelta::minutes(15);
        assert_eq!(
            p.decide(&fails, t0() + TimeDelta::seconds(10)),
            Lockout::Locked { until }
        );
        assert!(p.decide(&fails, until - TimeDelta::seconds(1)).is_locked());
        assert_eq!(p.decide(&fails, until), Lockout::Open);
        // Failures spread wider than the window never lock.
        let spread: Vec<_> = (0..10).map(|i| t0() + TimeDelta::minutes(4 * i)).collect();
        for (i, at) in spread.iter().enumerate() {
            assert_eq!(p.decide(&spread[..=i], *at), Lockout::Open);
        }
        // A failure stamped a little after `now` (another node's clock) still counts.
        let skewed: Vec<_> = (0..5).map(|i| t0() + TimeDelta::seconds(i)).collect();
        assert!(p.decide(&skewed, t0()).is_locked());
        assert_eq!(p.decide(&[], t0()), Lockout::Open);
        let never = LockoutPolicy {
            max_failures: 0,
            ..p
        };
        assert_eq!(never.decide(&fails, t0()), Lockout::Open);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Locked exactly when at least 5 failures lie inside the 15 minutes before now, and
            /// then until a moment after now and at most 15 minutes after the newest failure.
            #[test]
            fn lockout_matches_the_count_in_the_window(
                offsets in prop::collection::vec(-3_600i64..=0, 0..12),
                now_secs in 0i64..1_000_000,
            ) {
                let p = LockoutPolicy::default();
                let now = t0() + TimeDelta::seconds(now_secs);
                let failures: Vec<_> =
                    offsets.iter().map(|o| now + TimeDelta::seconds(*o)).collect();
                let in_window = offsets.iter().filter(|o| **o > -15 * 60).count();
                let decision = p.decide(&failures, now);
                if in_window < 5 {
                    prop_assert_eq!(decision, Lockout::Open);
                } else {
                    match decision {
                        Lockout::Locked { until } => {
                            prop_assert!(until > now);
                            let newest = failures.iter().max().copied().unwrap_or(now);
                            prop_assert!(until <= newest + TimeDelta::minutes(15));
                            // At `until` it is open again, absent new failures.
                            prop_assert_eq!(p.decide(&failures, until), Lockout::Open);
                        }
                        Lockout::Open => prop_assert!(false, "{} failures in the window", in_window),
                    }
                }
            }
        }
    }
}
