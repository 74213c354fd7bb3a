//! Credit records (信用记录) and their lifecycle:
//! `draft → submitted → active → (objected ↔ active) → repaired | expired | revoked`.
//! Only the credit office activates, revokes or repairs; providers submit and correct their own.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, RecordKind, Scope, Severity};
use crate::date::parse_date;
use crate::error::{Code, DomainError, Result};
use crate::ident::{IdNumber, Uscc};
use crate::subject::{SubjectKey, optional_text, required_text};
use crate::text::{Lines, check_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    Draft,
    Submitted,
    Active,
    Objected,
    Repaired,
    Expired,
    Revoked,
}

impl RecordState {
    pub const ALL: [RecordState; 7] = [
        RecordState::Draft,
        RecordState::Submitted,
        RecordState::Active,
        RecordState::Objected,
        RecordState::Repaired,
        RecordState::Expired,
        RecordState::Revoked,
    ];
    pub fn code(self) -> &'static str {
        match self {
            RecordState::Draft => "draft",
            RecordState::Submitted => "submitted",
            RecordState::Active => "active",
            RecordState::Objected => "objected",
            RecordState::Repaired => "repaired",
            RecordState::Expired => "expired",
            RecordState::Revoked => "revoked",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RecordState::Draft => "草稿",
            RecordState::Submitted => "待审核",
            RecordState::Active => "已生效",
            RecordState::Objected => "异议处理中",
            RecordState::Repaired => "已修复",
            RecordState::Expired => "已到期",
            RecordState::Revoked => "已撤销",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        RecordState::ALL
            .into_iter()
            .find(|v| v.code() == s.trim() || v.label() == s.trim())
            .ok_or_else(|| DomainError::new(Code::UnknownState, format!("未知的记录状态：{s}")))
    }
    /// Whether the subject sees the record in its own file: not while it is a provider's draft
    /// or waits for the credit office's review, only once it has been decided on.
    pub fn in_subject_file(self) -> bool {
        !matches!(self, RecordState::Draft | RecordState::Submitted)
    }

    /// Terminal states leave the public view but stay in the archive.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RecordState::Repaired | RecordState::Expired | RecordState::Revoked
        )
    }
}

/// Who acts on a record. Providers act only on records they provided (checked by the caller, who
/// knows the record's provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 信用办: the credit office.
    CreditOffice,
    /// A department that submits records.
    Provider,
    /// The assessed unit the record is about.
    Unit,
    /// The deadline scheduler.
    System,
    /// 社会公众: anyone on the public side, who may report an error on a disclosed record (纠错)
    /// and do nothing else.
    Public,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::CreditOffice,
        Role::Provider,
        Role::Unit,
        Role::System,
        Role::Public,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Role::CreditOffice => "信用办",
            Role::Provider => "报送单位",
            Role::Unit => "被评价单位",
            Role::System => "系统",
            Role::Public => "社会公众",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Correct,
    SendBack,
    Activate,
    Object,
    ResolveObjection,
    Repair,
    Expire,
    Revoke,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Submit,
        Action::Correct,
        Action::SendBack,
        Action::Activate,
        Action::Object,
        Action::ResolveObjection,
        Action::Repair,
        Action::Expire,
        Action::Revoke,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Correct => "correct",
            Action::SendBack => "send_back",
            Action::Activate => "activate",
            Action::Object => "object",
            Action::ResolveObjection => "resolve_objection",
            Action::Repair => "repair",
            Action::Expire => "expire",
            Action::Revoke => "revoke",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Submit => "报送",
            Action::Correct => "更正",
            Action::SendBack => "退回",
            Action::Activate => "审核生效",
            Action::Object => "提出异议",
            Action::ResolveObjection => "异议处理完毕",
            Action::Repair => "信用修复",
            Action::Expire => "公示期满",
            Action::Revoke => "撤销",
        }
    }
}

/// The lifecycle as one function: the next state, or why the action is not allowed. An illegal
/// transition is an error, never a silent no-op.
pub fn transition(state: RecordState, action: Action, role: Role) -> Result<RecordState> {
    use Action as A;
    use RecordState as S;
    use Role as R;
    let next = match (state, action) {
        (S::Draft, A::Submit) => Some((S::Submitted, &[R::Provider, R::CreditOffice][..])),
        (S::Draft | S::Submitted, A::Correct) => Some((state, &[R::Provider, R::CreditOffice][..])),
        (S::Submitted, A::SendBack) => Some((S::Draft, &[R::CreditOffice][..])),
        (S::Submitted, A::Activate) => Some((S::Active, &[R::CreditOffice][..])),
        // The unit disputes its own record; anyone reports an error on a public one (纠错).
        (S::Active, A::Object) => Some((S::Objected, &[R::Unit, R::CreditOffice, R::Public][..])),
        (S::Objected, A::ResolveObjection) => Some((S::Active, &[R::CreditOffice][..])),
        (S::Active, A::Repair) => Some((S::Repaired, &[R::CreditOffice][..])),
        (S::Active, A::Expire) => Some((S::Expired, &[R::System, R::CreditOffice][..])),
        (S::Active | S::Objected, A::Revoke) => Some((S::Revoked, &[R::CreditOffice][..])),
        _ => None,
    };
    match next {
        None => Err(DomainError::new(
            Code::IllegalTransition,
            format!(
                "记录当前状态为“{}”，不能执行“{}”",
                state.label(),
                action.label()
            ),
        )),
        Some((_, roles)) if !roles.contains(&role) => Err(DomainError::new(
            Code::Forbidden,
            format!("{}无权对记录执行“{}”", role.label(), action.label()),
        )),
        Some((next, _)) => Ok(next),
    }
}

/// A record row as it arrives in a file, a form or an API call: all text, not yet trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordRow {
    pub subject_name: String,
    pub uscc: String,
    pub id_number: String,
    pub category: String,
    pub document_no: String,
    pub decided_on: String,
    pub authority: String,
    pub facts: String,
    pub basis: String,
    pub outcome: String,
    pub severity: String,
    pub scope: String,
    pub disclosure_until: String,
}

/// The record's content as validated; identity of the subject still to be resolved on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub subject_key: SubjectKey,
    pub subject_name: String,
    pub category: String,
    pub kind: RecordKind,
    pub document_no: String,
    pub decided_on: NaiveDate,
    pub authority: String,
    pub facts: String,
    pub basis: Option<String>,
    pub outcome: String,
    pub severity: Option<Severity>,
    pub scope: Scope,
    pub disclosure_until: NaiveDate,
}

/// One fault of one field: the column it is in (the English key), and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: &'static str,
    pub error: DomainError,
}

pub const MAX_DOCUMENT_NO: usize = 100;
pub const MAX_AUTHORITY: usize = 100;
pub const MAX_FACTS: usize = 4000;
pub const MAX_BASIS: usize = 1000;
pub const MAX_OUTCOME: usize = 1000;

impl RecordRow {
    /// Every field: its column, its name in messages, its value, and whether it is running text.
    fn fields(&self) -> [(&'static str, &'static str, &str, Lines); 13] {
        use Lines::{Multi, Single};
        [
            ("subject_name", "主体名称", &self.subject_name, Single),
            ("uscc", "统一社会信用代码", &self.uscc, Single),
            ("id_number", "身份证号", &self.id_number, Single),
            ("category", "记录类别", &self.category, Single),
            ("document_no", "决定文书号", &self.document_no, Single),
            ("decided_on", "决定日期", &self.decided_on, Single),
            ("authority", "决定机关", &self.authority, Single),
            ("facts", "失信事实", &self.facts, Multi),
            ("basis", "处理依据", &self.basis, Multi),
            ("outcome", "处理结果", &self.outcome, Multi),
            ("severity", "严重程度", &self.severity, Single),
            ("scope", "公开范围", &self.scope, Single),
            (
                "disclosure_until",
                "公示截止日期",
                &self.disclosure_until,
                Single,
            ),
        ]
    }

    /// Validates every field and reports every fault, so that an official fixes a row once.
    /// `today` bounds the decision date: a record cannot be decided in the future.
    pub fn validate(
        &self,
        catalog: &Catalog,
        today: NaiveDate,
    ) -> std::result::Result<NewRecord, Vec<FieldError>> {
        let take = |column: &'static str, errors: &mut Vec<FieldError>, r: Result<String>| match r {
            Ok(v) => v,
            Err(error) => {
                errors.push(FieldError { column, error });
                String::new()
            }
        };
        // NUL, control and direction characters (domain::text), in every field; such a field's
        // other faults are not reported, they would only describe the stray character again.
        let stray: Vec<FieldError> = self
            .fields()
            .into_iter()
            .filter_map(|(column, label, value, lines)| {
                check_text(value.trim(), label, lines)
                    .err()
                    .map(|error| FieldError { column, error })
            })
            .collect();
        let mut errs = Vec::new();
        let subject_name = take(
            "subject_name",
            &mut errs,
            required_text(&self.subject_name, "主体名称", 100),
        );
        let document_no = take(
            "document_no",
            &mut errs,
            required_text(&self.document_no, "决定文书号", MAX_DOCUMENT_NO),
        );
        let authority = take(
            "authority",
            &mut errs,
            required_text(&self.authority, "决定机关", MAX_AUTHORITY),
        );
        let facts = take(
            "facts",
            &mut errs,
            required_text(&self.facts, "失信事实", MAX_FACTS),
        );
        let outcome = take(
            "outcome",
            &mut errs,
            required_text(&self.outcome, "处理结果", MAX_OUTCOME),
        );
        let basis = match optional_text(&self.basis, "处理依据", MAX_BASIS) {
            Ok(v) => v,
            Err(error) => {
                errs.push(FieldError {
                    column: "basis",
                    error,
                });
                None
            }
        };

        let subject_key = match (
            self.uscc.trim().is_empty(),
            self.id_number.trim().is_empty(),
        ) {
            (false, true) => Uscc::parse_overriding_check(&self.uscc)
                .map(SubjectKey::Uscc)
                .map_err(|e| {
                    errs.push(FieldError {
                        column: "uscc",
                        error: e,
                    })
                })
                .ok(),
            (true, false) => IdNumber::parse(&self.id_number)
                .map(SubjectKey::IdNumber)
                .map_err(|e| {
                    errs.push(FieldError {
                        column: "id_number",
                        error: e,
                    })
                })
                .ok(),
            (true, true) => {
                errs.push(FieldError {
                    column: "uscc",
                    error: DomainError::new(
                        Code::SubjectIdentifierMissing,
                        "缺少主体标识：单位填写统一社会信用代码，公务员填写身份证号",
                    ),
                });
                None
            }
            (false, false) => {
                errs.push(FieldError {
                    column: "id_number",
                    error: DomainError::new(
                        Code::SubjectIdentifierConflict,
                        "统一社会信用代码与身份证号只能填写一个",
                    ),
                });
                None
            }
        };

        let decided_on = match parse_date(&self.decided_on) {
            Ok(d) if d > today => {
                errs.push(FieldError {
                    column: "decided_on",
                    error: DomainError::new(
                        Code::DateInvalid,
                        format!("决定日期 {d} 晚于今天（{today}）"),
                    ),
                });
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errs.push(FieldError {
                    column: "decided_on",
                    error: DomainError::new(e.code, format!("决定日期：{}", e.message)),
                });
                None
            }
        };

        let category = catalog
            .lookup(&self.category)
            .map_err(|e| {
                errs.push(FieldError {
                    column: "category",
                    error: e,
                })
            })
            .ok();

        let mut severity = None;
        let mut scope = None;
        if let Some(cat) = category {
            let sev_text = self.severity.trim();
            severity = match (cat.kind, sev_text.is_empty()) {
                (RecordKind::Trustworthy, true) => Some(None),
                (RecordKind::Trustworthy, false) => {
                    errs.push(FieldError {
                        column: "severity",
                        error: DomainError::new(
                            Code::SeverityNotApplicable,
                            format!("守信类别“{}”不填写严重程度", cat.name),
                        ),
                    });
                    None
                }
                (RecordKind::Dishonest, true) => Some(cat.default_severity),
                (RecordKind::Dishonest, false) => Severity::parse(sev_text)
                    .map(Some)
                    .map_err(|e| {
                        errs.push(FieldError {
                            column: "severity",
                            error: e,
                        })
                    })
                    .ok(),
            };
            scope = if self.scope.trim().is_empty() {
                Some(cat.default_scope)
            } else {
                Scope::parse(&self.scope)
                    .map_err(|e| {
                        errs.push(FieldError {
                            column: "scope",
                            error: e,
                        })
                    })
                    .ok()
            };
        }

        let requested_until = if self.disclosure_until.trim().is_empty() {
            Some(None)
        } else {
            parse_date(&self.disclosure_until)
                .map(Some)
                .map_err(|e| {
                    errs.push(FieldError {
                        column: "disclosure_until",
                        error: DomainError::new(e.code, format!("公示截止日期：{}", e.message)),
                    })
                })
                .ok()
        };

        let mut disclosure_until = None;
        if let (Some(cat), Some(decided), Some(sev), Some(req)) =
            (category, decided_on, severity, requested_until)
        {
            match cat.disclosure_until(decided, sev, req) {
                Ok(d) => disclosure_until = Some(d),
                Err(error) => errs.push(FieldError {
                    column: "disclosure_until",
                    error,
                }),
            }
        }

        if !stray.is_empty() {
            errs.retain(|e| !stray.iter().any(|s| s.column == e.column));
            errs.splice(0..0, stray);
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        match (
            subject_key,
            decided_on,
            category,
            severity,
            scope,
            disclosure_until,
        ) {
            (
                Some(subject_key),
                Some(decided_on),
                Some(cat),
                Some(severity),
                Some(scope),
                Some(disclosure_until),
            ) => Ok(NewRecord {
                subject_key,
                subject_name,
                category: cat.code.clone(),
                kind: cat.kind,
                document_no,
                decided_on,
                authority,
                facts,
                basis,
                outcome,
                severity,
                scope,
                disclosure_until,
            }),
            // Every None above pushed an error, so this arm is unreachable in practice; answer
            // with an error rather than trust that.
            _ => Err(vec![FieldError {
                column: "document_no",
                error: DomainError::new(Code::Required, "记录不完整"),
            }]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
    }

    fn row() -> RecordRow {
        RecordRow {
            subject_name: "天津市滨海新区某街道办事处".into(),
            uscc: Uscc::from_parts('1', '1', "120116", "MB123456")
                .unwrap()
                .as_str()
                .into(),
            category: "政府采购毁约违约".into(),
            document_no: "津滨财采〔2024〕12号".into(),
            decided_on: "2024年3月5日".into(),
            authority: "天津市滨海新区财政局".into(),
            facts: "未按合同约定支付采购款".into(),
            outcome: "责令限期支付".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_row_takes_the_category_defaults() {
        let cat = Catalog::new(default_catalog());
        let r = row().validate(&cat, today()).unwrap();
        assert_eq!(r.category, "PROCUREMENT_BREACH");
        assert_eq!(r.severity, Some(Severity::Ordinary));
        assert_eq!(r.scope, Scope::Public);
        assert_eq!(
            r.disclosure_until,
            NaiveDate::from_ymd_opt(2025, 3, 5).unwrap()
        );
    }

    #[test]
    fn every_fault_of_a_row_is_reported_with_its_column() {
        let cat = Catalog::new(default_catalog());
        let mut r = row();
        r.decided_on = "2024-02-30".into();
        r.category = "不存在的类别".into();
        r.document_no = "  ".into();
        let errs = r.validate(&cat, today()).unwrap_err();
        let cols: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert!(
            cols.contains(&("decided_on", Code::DateInvalid)),
            "{cols:?}"
        );
        assert!(cols.contains(&("category", Code::UnknownCategory)));
        assert!(cols.contains(&("document_no", Code::Required)));
    }

    #[test]
    fn control_and_direction_characters_are_refused_in_every_field() {
        let cat = Catalog::new(default_catalog());
        let mut r = row();
        r.subject_name = "天津市滨海新区\u{202e}某街道办事处".into();
        r.facts = "未按合同约定支付采购款\0".into();
        r.decided_on = "2024-02-30".into();
        let errs = r.validate(&cat, today()).unwrap_err();
        let cols: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            cols,
            [
                ("subject_name", Code::TextControlChar),
                ("facts", Code::TextControlChar),
                ("decided_on", Code::DateInvalid),
            ]
        );
        assert!(
            errs[0].error.message.contains("主体名称") && errs[0].error.message.contains("U+202E")
        );
        assert!(
            errs[1].error.message.contains("失信事实") && errs[1].error.message.contains("U+0000")
        );
        // Each field of the row, one at a time: a one-line field refuses even a line break,
        // running text keeps its line breaks.
        for (column, ..) in row().fields() {
            let mut r = row();
            let (c, multi) = match column {
                "facts" | "basis" | "outcome" => ('\u{7}', true),
                _ => ('\n', false),
            };
            let set = |r: &mut RecordRow, v: String| match column {
                "subject_name" => r.subject_name = v,
                "uscc" => r.uscc = v,
                "id_number" => r.id_number = v,
                "category" => r.category = v,
                "document_no" => r.document_no = v,
                "decided_on" => r.decided_on = v,
                "authority" => r.authority = v,
                "facts" => r.facts = v,
                "basis" => r.basis = v,
                "outcome" => r.outcome = v,
                "severity" => r.severity = v,
                "scope" => r.scope = v,
                _ => r.disclosure_until = v,
            };
            set(&mut r, format!("甲{c}乙"));
            let errs = r.validate(&cat, today()).unwrap_err();
            assert!(
                errs.iter()
                    .any(|e| e.column == column && e.error.code == Code::TextControlChar),
                "{column}: {errs:?}"
            );
            if multi {
                let mut r = row();
                set(&mut r, "第一行\r\n第二行".into());
                assert!(r.validate(&cat, today()).is_ok(), "{column}");
            }
        }
    }

    #[test]
    fn identifiers_are_exclusive_and_required() {
        let cat = Catalog::new(default_catalog());
        let mut r = row();
        r.uscc.clear();
        assert_eq!(
            r.validate(&cat, today()).unwrap_err()[0].error.code,
            Code::SubjectIdentifierMissing
        );
        let mut r = row();
        r.id_number = "120116198005171234".into();
        assert!(r.validate(&cat, today()).is_err());
    }

    #[test]
    fn future_decisions_and_trustworthy_severity_are_refused() {
        let cat = Catalog::new(default_catalog());
        let mut r = row();
        r.decided_on = "2025-01-01".into();
        assert_eq!(
            r.validate(&cat, today()).unwrap_err()[0].column,
            "decided_on"
        );
        let mut r = row();
        r.category = "HONOUR".into();
        r.severity = "严重".into();
        assert_eq!(
            r.validate(&cat, today()).unwrap_err()[0].error.code,
            Code::SeverityNotApplicable
        );
    }

    #[test]
    fn lifecycle_allows_only_the_design() {
        use Action as A;
        use RecordState as S;
        assert_eq!(
            transition(S::Draft, A::Submit, Role::Provider).unwrap(),
            S::Submitted
        );
        assert_eq!(
            transition(S::Submitted, A::Activate, Role::CreditOffice).unwrap(),
            S::Active
        );
        assert_eq!(
            transition(S::Submitted, A::Activate, Role::Provider)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        assert_eq!(
            transition(S::Active, A::Object, Role::Unit).unwrap(),
            S::Objected
        );
        assert_eq!(
            transition(S::Objected, A::ResolveObjection, Role::CreditOffice).unwrap(),
            S::Active
        );
        assert_eq!(
            transition(S::Objected, A::Repair, Role::CreditOffice)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert_eq!(
            transition(S::Revoked, A::Activate, Role::CreditOffice)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert_eq!(
            transition(S::Active, A::Expire, Role::System).unwrap(),
            S::Expired
        );
    }

    #[test]
    fn the_public_only_reports_an_error_on_an_active_record() {
        use Action as A;
        use RecordState as S;
        assert_eq!(
            transition(S::Active, A::Object, Role::Public).unwrap(),
            S::Objected
        );
        for state in RecordState::ALL {
            for action in Action::ALL {
                if (state, action) == (S::Active, A::Object) {
                    continue;
                }
                let e = transition(state, action, Role::Public).unwrap_err();
                assert!(
                    matches!(e.code, Code::Forbidden | Code::IllegalTransition),
                    "{state:?} {action:?}"
                );
            }
        }
        let e = transition(S::Active, A::Revoke, Role::Public).unwrap_err();
        assert_eq!(e.code, Code::Forbidden);
        assert_eq!(e.message, "社会公众无权对记录执行“撤销”");
        let e = transition(S::Objected, A::Object, Role::Public).unwrap_err();
        assert_eq!(e.code, Code::IllegalTransition);
    }

    #[test]
    fn final_states_accept_no_action() {
        for s in RecordState::ALL.into_iter().filter(|s| s.is_final()) {
            for a in Action::ALL {
                for role in Role::ALL {
                    assert!(transition(s, a, role).is_err(), "{s:?} {a:?} {role:?}");
                }
            }
        }
    }
}
