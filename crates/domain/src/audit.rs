//! The words of the journal (审计日志): who acted (`Actor`), what was done (`Action`) and to what
//! (`Entity`). Each is written to the journal as a short code that the audit chain hashes, so the
//! codes never change; each also has the Chinese an official reads. Built here and nowhere else.

use std::fmt;

use crate::account::AccountRole;
use crate::record;

/// What a journal entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Subject,
    Record,
    Category,
    Account,
    ApiToken,
    Report,
    /// One year of the working-day calendar (工作日历), named by the year.
    CalendarYear,
    /// A case (异议, 信用修复, 整改, 投诉举报), named by its id.
    Case,
    /// One of the platform's settings (the case deadlines, …), named by its name.
    Setting,
    /// The yearly assessment (考核评价): a score given by hand (named
    /// `year/period/unit/indicator`) or a period closed or reopened (`year/period`).
    Assessment,
    /// A failed search by ID number (the trace that limits guessing).
    IdLookup,
    /// A request to the platform that concerns no stored object: a login under a name no account
    /// has, a permission refusal (its path is the entity id).
    Request,
    /// A promise in the commitments registry (承诺: a procurement contract, …), named by its id.
    Commitment,
    /// One entry of a promise's fulfilment (履约记录: a payment, …), named by its id.
    CommitmentEntry,
}

impl Entity {
    pub const ALL: [Entity; 14] = [
        Entity::Subject,
        Entity::Record,
        Entity::Category,
        Entity::Account,
        Entity::ApiToken,
        Entity::Report,
        Entity::CalendarYear,
        Entity::Case,
        Entity::Setting,
        Entity::Assessment,
        Entity::IdLookup,
        Entity::Request,
        Entity::Commitment,
        Entity::CommitmentEntry,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Entity::Subject => "subject",
            Entity::Record => "record",
            Entity::Category => "category",
            Entity::Account => "account",
            Entity::ApiToken => "api_token",
            Entity::Report => "report",
            Entity::CalendarYear => "calendar_year",
            Entity::Case => "case",
            Entity::Setting => "setting",
            Entity::Assessment => "assessment",
            Entity::IdLookup => "id_lookup",
            Entity::Request => "request",
            Entity::Commitment => "commitment",
            Entity::CommitmentEntry => "commitment_entry",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Entity::Subject => "主体",
            Entity::Record => "记录",
            Entity::Category => "目录项",
            Entity::Account => "账号",
            Entity::ApiToken => "接口令牌",
            Entity::Report => "信用报告",
            Entity::CalendarYear => "工作日历",
            Entity::Case => "案件",
            Entity::Setting => "平台设置",
            Entity::Assessment => "考核评价",
            Entity::IdLookup => "身份证号查询",
            Entity::Request => "访问请求",
            Entity::Commitment => "承诺",
            Entity::CommitmentEntry => "履约记录",
        }
    }

    pub fn parse(code: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.code() == code)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What was done. A record's lifecycle actions are the record module's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Update,
    /// A record entered as a draft (草稿), to be submitted later.
    CreateDraft,
    Record(record::Action),
    /// A restructuring: the subject was renamed or merged into another (机构改革).
    LinkSuccessor,
    /// A credit report issued; a bearer token issued.
    Issue,
    /// A bearer token revoked.
    RevokeToken,
    SetRole,
    Disable,
    Enable,
    SetPassword,
    ResetPassword,
    ChangePassword,
    Unlock,
    ResetTotp,
    BeginTotp,
    EnableTotp,
    /// An account locked after too many failed logins.
    Lock,
    LookupFailed,
    /// An audited row's digest taken again over widened columns by an upgrade.
    Rebaseline,
    /// A login (登录), a failed one, a logout (退出登录).
    Login,
    LoginFailed,
    Logout,
    /// A bearer token used by another system (journaled once an hour of use).
    UseToken,
    /// A request refused because the caller's role may not use that function.
    Refused,
    /// An assessment period closed (考核结果归档) with its signed snapshot.
    ClosePeriod,
    /// A closed assessment period reopened, with the reason.
    ReopenPeriod,
}

/// The codes of the actions that are not a record's lifecycle action.
const OWN: [(Action, &str, &str); 26] = [
    (Action::Create, "create", "新建"),
    (Action::Update, "update", "修改"),
    (Action::CreateDraft, "create_draft", "新建草稿"),
    (
        Action::LinkSuccessor,
        "link_successor",
        "登记机构改革（承继）",
    ),
    (Action::Issue, "issue", "签发"),
    (Action::SetRole, "set_role", "授予或变更角色"),
    (Action::Disable, "disable", "停用"),
    (Action::Enable, "enable", "启用"),
    (Action::SetPassword, "set_password", "设置密码"),
    (Action::ResetPassword, "reset_password", "重置密码"),
    (Action::ChangePassword, "change_password", "修改密码"),
    (Action::Unlock, "unlock", "解除锁定"),
    (Action::ResetTotp, "reset_totp", "重置动态口令"),
    (Action::BeginTotp, "begin_totp", "开始绑定动态口令"),
    (Action::EnableTotp, "enable_totp", "启用动态口令"),
    (Action::Lock, "lock", "登录失败过多，锁定"),
    (
        Action::LookupFailed,
        "lookup_failed",
        "按身份证号查询未找到",
    ),
    (Action::Rebaseline, "rebaseline", "升级后重新记录状态"),
    (Action::Login, "login", "登录"),
    (Action::LoginFailed, "login_failed", "登录失败"),
    (Action::Logout, "logout", "退出登录"),
    (Action::UseToken, "use_token", "使用接口令牌"),
    (Action::Refused, "refused", "越权访问被拒绝"),
    (Action::ClosePeriod, "close_period", "考核结果归档"),
    (Action::ReopenPeriod, "reopen_period", "重新开启考核期"),
    // A token's revocation shares its code with a record's: the entity tells them apart.
    (Action::RevokeToken, "revoke", "撤销"),
];

impl Action {
    /// Every action, each code once (a token's revocation shares `revoke` with a record's).
    pub fn all() -> Vec<Action> {
        let mut all: Vec<Action> = record::Action::ALL
            .into_iter()
            .map(Action::Record)
            .collect();
        all.extend(
            OWN.iter()
                .map(|(a, _, _)| *a)
                .filter(|a| *a != Action::RevokeToken),
        );
        all
    }

    pub fn code(self) -> &'static str {
        match self {
            Action::Record(a) => a.code(),
            other => OWN
                .iter()
                .find(|(a, _, _)| *a == other)
                .map_or("", |(_, code, _)| code),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Record(a) => a.label(),
            other => OWN
                .iter()
                .find(|(a, _, _)| *a == other)
                .map_or("", |(_, _, label)| label),
        }
    }

    /// The action a journal code stands for, about `entity` (`revoke` is a record's lifecycle
    /// action or a token's revocation).
    pub fn parse(code: &str, entity: Option<Entity>) -> Option<Action> {
        if entity != Some(Entity::ApiToken)
            && let Some(a) = record::Action::ALL.into_iter().find(|a| a.code() == code)
        {
            return Some(Action::Record(a));
        }
        OWN.iter().find(|(_, c, _)| *c == code).map(|(a, _, _)| *a)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who acted, as the journal names them: `role:name` for an account, `cli:name` for the operator
/// at the machine, `unit:name` for a unit's import or the credit office (`信用办:name`),
/// `system` or `system:what` for the platform itself. Text of any other form (written by an older
/// version) is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    Account { role: AccountRole, name: String },
    Operator(String),
    Unit { unit: String, name: String },
    System(Option<String>),
    Other(String),
}

/// The unit name under which the credit office acts when it activates on import.
pub const CREDIT_OFFICE: &str = "信用办";

impl Actor {
    /// The credit office's account `name`, activating on import.
    pub fn credit_office(name: &str) -> Actor {
        Actor::Unit {
            unit: CREDIT_OFFICE.to_string(),
            name: name.to_string(),
        }
    }

    /// Reads a journal's actor text back. `parse(a.to_string()) == a` for every actor, and
    /// `parse(s).to_string() == s` for every text.
    pub fn parse(s: &str) -> Actor {
        let Some((head, name)) = s.split_once(':') else {
            return if s == "system" {
                Actor::System(None)
            } else {
                Actor::Other(s.to_string())
            };
        };
        if head == "cli" {
            return Actor::Operator(name.to_string());
        }
        if head == "system" {
            return Actor::System(Some(name.to_string()));
        }
        if let Some(role) = AccountRole::ALL.into_iter().find(|r| r.code() == head) {
            return Actor::Account {
                role,
                name: name.to_string(),
            };
        }
        if head.is_empty() {
            return Actor::Other(s.to_string());
        }
        Actor::Unit {
            unit: head.to_string(),
            name: name.to_string(),
        }
    }

    /// Who acted, in Chinese: `信用办 admin`, `命令行操作员 root`, `系统（登录锁定）`.
    pub fn label(&self) -> String {
        match self {
            Actor::Account { role, name } => format!("{} {name}", role.label()),
            Actor::Operator(name) => format!("命令行操作员 {name}"),
            // An import names the unit and the account it came through (`区财政局:provider:cz`):
            // the unit says more than the role.
            Actor::Unit { unit, name } => match Actor::parse(name) {
                Actor::Account { name, .. } => format!("{unit} {name}"),
                Actor::Operator(name) => format!("{unit}（命令行操作员 {name}）"),
                _ => format!("{unit} {name}"),
            },
            Actor::System(None) => "系统".to_string(),
            Actor::System(Some(what)) => match what.as_str() {
                "lockout" => "系统（登录锁定）".to_string(),
                "login" => "系统（登录检查）".to_string(),
                "expiry" => "系统（公示期满处理）".to_string(),
                "upgrade" => "系统（升级）".to_string(),
                other => format!("系统（{other}）"),
            },
            Actor::Other(s) => s.clone(),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Account { role, name } => write!(f, "{}:{name}", role.code()),
            Actor::Operator(name) => write!(f, "cli:{name}"),
            Actor::Unit { unit, name } => write!(f, "{unit}:{name}"),
            Actor::System(None) => f.write_str("system"),
            Actor::System(Some(what)) => write!(f, "system:{what}"),
            Actor::Other(s) => f.write_str(s),
        }
    }
}

/// The particulars of a journal entry (its JSON detail) as an official reads them: each known
/// key under its Chinese name, in a fixed order, `是`/`否` for flags, a role by its name
/// (`理由：逾期未整改；角色：信用办`). Keys no version wrote before are shown as they are; the
/// hashed ID number of a failed lookup is left out (it means nothing to a reader). Text that is
/// not a JSON object is shown as it is.
pub fn particulars(detail: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(detail)
    else {
        return detail.to_string();
    };
    let mut known: Vec<(usize, String)> = Vec::new();
    let mut other: Vec<String> = Vec::new();
    for (key, value) in &map {
        let empty = value.is_null()
            || value.as_str() == Some("")
            || (key == "row" && value.as_i64() == Some(0));
        if key == "id_hash" || empty {
            continue;
        }
        let text = match (key.as_str(), value) {
            ("role", serde_json::Value::String(r)) => AccountRole::ALL
                .into_iter()
                .find(|role| role.code() == r)
                .map_or_else(|| r.clone(), |role| role.label().to_string()),
            ("actor", serde_json::Value::String(a)) => Actor::parse(a).label(),
            (_, v) => value_text(v),
        };
        match PARTICULARS.iter().position(|(k, _)| *k == key) {
            Some(i) => known.push((i, format!("{}：{text}", PARTICULARS[i].1))),
            None => other.push(format!("{key}：{text}")),
        }
    }
    known.sort_by_key(|(i, _)| *i);
    known
        .into_iter()
        .map(|(_, t)| t)
        .chain(other)
        .collect::<Vec<_>>()
        .join("；")
}

/// The detail keys the platform writes, in the order a reader wants them.
const PARTICULARS: &[(&str, &str)] = &[
    ("reason", "理由"),
    ("name", "账号"),
    ("account_name", "账号"),
    ("account", "账号编号"),
    ("role", "角色"),
    ("unit", "单位"),
    ("label", "名称"),
    ("method", "请求方式"),
    ("path", "访问地址"),
    ("client", "来源地址"),
    ("successor", "承继主体编号"),
    ("subject_id", "主体编号"),
    ("issued_on", "签发日期"),
    ("row", "文件行号"),
    ("actor", "查询人"),
    ("disabled", "停用"),
    ("one_time_password", "一次性密码"),
    ("totp_enabled", "动态口令"),
    ("uscc_check_override", "统一社会信用代码校验已人工确认"),
    ("until", "锁定至"),
    ("failures", "失败次数"),
    ("columns", "字段"),
];

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "是".into(),
        serde_json::Value::Bool(false) => "否".into(),
        serde_json::Value::Null => "无".into(),
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join("、")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_action_has_one_code_and_a_label() {
        let mut all: Vec<Action> = OWN.iter().map(|(a, _, _)| *a).collect();
        all.extend(record::Action::ALL.map(Action::Record));
        for a in all {
            assert!(!a.code().is_empty() && !a.label().is_empty(), "{a:?}");
            let entity = (a == Action::RevokeToken).then_some(Entity::ApiToken);
            assert_eq!(Action::parse(a.code(), entity), Some(a), "{a:?}");
        }
        assert_eq!(
            Action::parse("revoke", Some(Entity::Record)),
            Some(Action::Record(record::Action::Revoke))
        );
        assert_eq!(Action::parse("no_such", None), None);
    }

    #[test]
    fn particulars_read_as_chinese() {
        assert_eq!(
            particulars(r#"{"role":"admin","reason":"逾期未整改"}"#),
            "理由：逾期未整改；角色：信用办"
        );
        assert_eq!(
            particulars(r#"{"one_time_password":true,"client":"10.0.0.1","id_hash":"ab"}"#),
            "来源地址：10.0.0.1；一次性密码：是"
        );
        assert_eq!(
            particulars(r#"{"columns":["a","b"],"new_key":1}"#),
            "字段：a、b；new_key：1"
        );
        assert_eq!(particulars("{}"), "");
        assert_eq!(particulars(r#"{"row":0,"reason":""}"#), "");
        assert_eq!(particulars(r#"{"row":3}"#), "文件行号：3");
        assert_eq!(particulars("not json"), "not json");
    }

    #[test]
    fn entities_read_back() {
        for e in Entity::ALL {
            assert_eq!(Entity::parse(e.code()), Some(e));
        }
    }

    #[test]
    fn actors_are_written_as_before() {
        let cases = [
            (
                Actor::Account {
                    role: AccountRole::Provider,
                    name: "caizhengju".into(),
                },
                "provider:caizhengju",
                "报送单位 caizhengju",
            ),
            (
                Actor::Operator("root".into()),
                "cli:root",
                "命令行操作员 root",
            ),
            (
                Actor::credit_office("admin"),
                "信用办:admin",
                "信用办 admin",
            ),
            (
                Actor::Unit {
                    unit: "区财政局".into(),
                    name: "provider:caizhengju".into(),
                },
                "区财政局:provider:caizhengju",
                "区财政局 caizhengju",
            ),
            (Actor::System(None), "system", "系统"),
            (
                Actor::System(Some("lockout".into())),
                "system:lockout",
                "系统（登录锁定）",
            ),
        ];
        for (actor, text, label) in cases {
            assert_eq!(actor.to_string(), text);
            assert_eq!(Actor::parse(text), actor);
            assert_eq!(actor.label(), label);
        }
    }

    proptest! {
        #[test]
        fn any_actor_text_reads_back_unchanged(s in "\\PC{0,24}") {
            prop_assert_eq!(Actor::parse(&s).to_string(), s);
        }
    }
}
