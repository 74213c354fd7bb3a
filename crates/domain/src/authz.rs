//! The one authorisation table: for every route the platform serves, which account roles may use
//! it and how far their reach goes. The web layer looks every request up here and nowhere else;
//! a test walks the whole table against a running server.
//!
//! 三员分立 (等保 level 3): `sysadmin` manages accounts and tokens but sees no business data,
//! `secadmin` grants and withdraws roles, `auditor` reads the audit trail and changes nothing.

use crate::account::AccountRole;

/// How far a role reaches on a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Everything the route serves.
    All,
    /// Only records its own unit provided (a provider department).
    OwnProvided,
    /// Only its own unit's file (an assessed unit).
    OwnFile,
}

/// One row of the table: a method and a route template as the router writes it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    /// Open to anyone, logged in or not.
    pub public: bool,
    /// Open to every logged-in account.
    pub any_account: bool,
    pub roles: &'static [(AccountRole, Reach)],
}

use AccountRole::{Admin, Auditor, Hr, Provider, Secadmin, Sysadmin, Unit};
use Reach::{All, OwnFile, OwnProvided};

const fn public(method: &'static str, path: &'static str) -> Rule {
    Rule {
        method,
        path,
        public: true,
        any_account: false,
        roles: &[],
    }
}
const fn account(method: &'static str, path: &'static str) -> Rule {
    Rule {
        method,
        path,
        public: false,
        any_account: true,
        roles: &[],
    }
}
const fn roles(
    method: &'static str,
    path: &'static str,
    roles: &'static [(AccountRole, Reach)],
) -> Rule {
    Rule {
        method,
        path,
        public: false,
        any_account: false,
        roles,
    }
}

/// Every route. Adding a route to the router without a row here makes it unreachable (and a
/// test fails), so the table cannot fall behind the code.
#[rustfmt::skip]
pub const TABLE: &[Rule] = &[
    public("GET", "/healthz"),
    public("GET", "/ping"),
    public("GET", "/metrics"), // no account: the metrics token, else 404 (web::metrics)
    public("GET", "/openapi.json"),
    public("POST", "/api/v1/auth/login"),
    account("POST", "/api/v1/auth/logout"),
    account("GET", "/api/v1/auth/me"),
    account("POST", "/api/v1/auth/password"),
    roles("GET", "/api/v1/subjects", &[(Admin, All), (Provider, All), (Hr, All)]),
    roles("GET", "/api/v1/subjects/{id}", &[(Admin, All), (Provider, All), (Hr, All), (Unit, OwnFile)]),
    roles("GET", "/api/v1/catalog", &[(Admin, All), (Provider, All), (Unit, All), (Hr, All)]),
    roles("PUT", "/api/v1/catalog/{code}", &[(Admin, All)]),
    roles("GET", "/api/v1/records", &[(Admin, All), (Provider, OwnProvided), (Unit, OwnFile)]),
    roles("POST", "/api/v1/records", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/api/v1/records/import", &[(Admin, All), (Provider, OwnProvided)]),
    roles("GET", "/api/v1/records/{id}", &[(Admin, All), (Provider, OwnProvided), (Unit, OwnFile)]),
    roles("PUT", "/api/v1/records/{id}", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/api/v1/records/{id}/submit", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/api/v1/records/{id}/activate", &[(Admin, All)]),
    roles("POST", "/api/v1/records/{id}/send-back", &[(Admin, All)]),
    roles("POST", "/api/v1/records/{id}/revoke", &[(Admin, All)]),
    roles("GET", "/api/v1/records/{id}/audit", &[(Admin, All), (Auditor, All), (Provider, OwnProvided)]),
    roles("GET", "/api/v1/accounts", &[(Sysadmin, All), (Secadmin, All), (Auditor, All)]),
    roles("POST", "/api/v1/accounts", &[(Sysadmin, All)]),
    roles("PUT", "/api/v1/accounts/{id}/role", &[(Secadmin, All)]),
    roles("PUT", "/api/v1/accounts/{id}/contact", &[(Sysadmin, All)]),
    roles("POST", "/api/v1/accounts/{id}/disable", &[(Sysadmin, All)]),
    roles("POST", "/api/v1/accounts/{id}/enable", &[(Sysadmin, All)]),
    roles("POST", "/api/v1/accounts/{id}/unlock", &[(Sysadmin, All)]),
    roles("POST", "/api/v1/accounts/{id}/reset-password", &[(Sysadmin, All)]),
    roles("POST", "/api/v1/accounts/{id}/reset-totp", &[(Secadmin, All)]),
    roles("GET", "/api/v1/audit", &[(Auditor, All)]),
    // Cases (异议, 信用修复, 整改, 投诉举报): a unit or provider sees the cases it is part of
    // (`app::cases` narrows), the credit office all of them.
    roles("GET", "/api/v1/cases", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/api/v1/cases/{id}", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("POST", "/api/v1/cases/{id}/steps", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/api/v1/cases/{id}/attachments/{file}", &[(Admin, All), (Provider, All), (Unit, All)]),
    // The credit check (信用核查): the credit office, the 组织人事部门 before a 优秀 rating or an
    // appointment, and the implementing departments before they act.
    roles("POST", "/api/v1/sanctions/check", &[(Admin, All), (Hr, All), (Provider, All)]),
    // What the asking department did with a restricted answer (反馈): its own checks (its unit's;
    // `app::sanctions` narrows), the credit office all of them; the rates per department are
    // the credit office's.
    roles("GET", "/api/v1/sanctions/checks", &[(Admin, All), (Hr, All), (Provider, All)]),
    roles("POST", "/api/v1/sanctions/checks/{check_no}/feedback", &[(Admin, All), (Hr, All), (Provider, All)]),
    roles("GET", "/api/v1/sanctions/feedback-rates", &[(Admin, All)]),
    // Whether a civil servant may be rated 优秀 (one person, or a list as Excel): the 组织人事部门
    // and the credit office; each answer is a logged credit check.
    roles("GET", "/api/v1/civil-servants/{id}/eligibility", &[(Hr, All), (Admin, All)]),
    roles("POST", "/api/v1/civil-servants/eligibility", &[(Hr, All), (Admin, All)]),
    // The yearly assessment (考核评价): the credit office and the 组织人事部门 see every unit, an
    // account bound to an assessed unit (a providing department's too) its own, with the files
    // of evidence behind its scores (`app::assessment` narrows); the credit office scores and
    // closes, a unit self-assesses (through any account bound to it, a providing department's
    // too), each with its files.
    roles("GET", "/api/v1/assessments/{year}", &[(Admin, All), (Hr, All)]),
    roles("GET", "/api/v1/assessments/{year}/units/{id}", &[(Admin, All), (Hr, All), (Unit, All), (Provider, All)]),
    roles("GET", "/api/v1/assessments/{year}/units/{id}/evidence/{file}", &[(Admin, All), (Hr, All), (Unit, All), (Provider, All)]),
    roles("PUT", "/api/v1/assessments/{year}/units/{id}/scores/{indicator}", &[(Admin, All), (Unit, All), (Provider, All)]),
    roles("POST", "/api/v1/assessments/{year}/units/{id}/scores/{indicator}/evidence", &[(Admin, All), (Unit, All), (Provider, All)]),
    roles("POST", "/api/v1/assessments/{year}/close", &[(Admin, All)]),
    roles("POST", "/api/v1/assessments/{year}/reopen", &[(Admin, All)]),
    // A unit disputes its own result (考核结果异议; `app::assessment_dispute` narrows to its own
    // unit); the credit office answers it as a case.
    roles("POST", "/api/v1/assessments/{year}/units/{id}/disputes", &[(Unit, OwnFile), (Provider, OwnFile)]),
    roles("GET", "/api/v1/indicator-sets/{year}", &[(Admin, All), (Hr, All), (Unit, All)]),
    roles("PUT", "/api/v1/indicator-sets/{year}", &[(Admin, All)]),
    roles("GET", "/api/v1/objections", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("POST", "/api/v1/objections", &[(Admin, All), (Unit, OwnFile)]),
    roles("GET", "/api/v1/repairs", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("POST", "/api/v1/repairs", &[(Unit, OwnFile)]),
    roles("GET", "/api/v1/rectifications", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/api/v1/complaints", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("POST", "/api/v1/complaints", &[(Admin, All)]),
    roles("GET", "/api/v1/notifications", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("POST", "/api/v1/notifications/read", &[(Admin, All), (Provider, All), (Unit, All)]),
    // The case deadlines: everyone working cases reads them; the credit office sets them.
    roles("GET", "/api/v1/case-deadlines", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("PUT", "/api/v1/case-deadlines", &[(Admin, All)]),
    // The procurement contracts registry (守信践诺: 政府采购合同履约): the credit office and 区财政局
    // read every purchaser's contracts, a unit (or a providing department, as purchaser) its own
    // (`app::commitments` narrows); importing contracts and payments and setting the payment
    // rule is the credit office's and 区财政局's (the use case refuses any other department).
    roles("GET", "/api/v1/commitments", &[(Admin, All), (Provider, All), (Unit, OwnFile)]),
    roles("GET", "/api/v1/commitments/{id}", &[(Admin, All), (Provider, All), (Unit, OwnFile)]),
    roles("POST", "/api/v1/commitments/import", &[(Admin, All), (Provider, All)]),
    roles("GET", "/api/v1/commitments/payment-rule", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("PUT", "/api/v1/commitments/payment-rule", &[(Admin, All), (Provider, All)]),
    // The server-rendered pages (HTML, not in the OpenAPI description).
    public("GET", "/static/style.css"),
    public("GET", "/login"),
    public("POST", "/login"),
    public("GET", "/"),
    public("GET", "/search"),
    public("GET", "/api/v1/public/search"),
    public("GET", "/api/v1/public/subjects/{uscc}"),
    public("GET", "/api/v1/public/records/{id}"),
    public("GET", "/subjects/{uscc}"),
    public("GET", "/records/{id}"),
    public("GET", "/rules"),
    public("POST", "/subjects/{uscc}/report"),
    public("GET", "/reports/{no}"),
    public("GET", "/verify"),
    public("POST", "/api/v1/public/subjects/{uscc}/report"),
    public("GET", "/api/v1/public/reports/verify"),
    public("POST", "/api/v1/public/complaints"),
    public("GET", "/api/v1/public/complaints/{tracking_no}"),
    public("POST", "/api/v1/public/complaints/{tracking_no}/rating"),
    // Anyone reports an error on a public record (纠错), followed as complaints are.
    public("POST", "/api/v1/public/corrections"),
    public("GET", "/records/{id}/correction"),
    public("POST", "/records/{id}/correction"),
    public("GET", "/complaints/new"),
    public("POST", "/complaints/new"),
    public("GET", "/complaints/status"),
    public("POST", "/complaints/status"),
    public("POST", "/complaints/rating"),
    account("POST", "/logout"),
    account("GET", "/console"),
    account("GET", "/console/totp"),
    account("POST", "/console/totp"),
    account("GET", "/console/password"),
    account("POST", "/console/password"),
    // An account's own tokens, for the roles that may hold one; the store checks ownership.
    roles("GET", "/console/tokens", &[(Provider, All), (Unit, All), (Hr, All)]),
    roles("POST", "/console/tokens", &[(Provider, All), (Unit, All), (Hr, All)]),
    roles("GET", "/console/records", &[(Admin, All), (Provider, OwnProvided)]),
    roles("GET", "/console/records.xlsx", &[(Admin, All), (Provider, OwnProvided)]),
    roles("GET", "/console/records/new", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/console/records/new", &[(Admin, All), (Provider, OwnProvided)]),
    roles("GET", "/console/records/{id}", &[(Admin, All), (Provider, OwnProvided), (Unit, OwnFile)]),
    roles("GET", "/console/records/{id}/edit", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/console/records/{id}/edit", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/console/records/{id}/submit", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/console/records/{id}/activate", &[(Admin, All)]),
    roles("POST", "/console/records/{id}/send-back", &[(Admin, All)]),
    roles("POST", "/console/records/{id}/revoke", &[(Admin, All)]),
    roles("GET", "/console/review", &[(Admin, All)]),
    roles("POST", "/console/review/activate", &[(Admin, All)]),
    roles("GET", "/console/templates/{file}", &[(Admin, All), (Provider, All)]),
    roles("GET", "/console/upload", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/console/upload", &[(Admin, All), (Provider, OwnProvided)]),
    roles("GET", "/console/upload/{id}", &[(Admin, All), (Provider, OwnProvided)]),
    roles("POST", "/console/upload/{id}/import", &[(Admin, All), (Provider, OwnProvided)]),
    roles("GET", "/console/upload/{id}/errors.xlsx", &[(Admin, All), (Provider, OwnProvided)]),
    roles("GET", "/console/file", &[(Unit, OwnFile)]),
    roles("GET", "/console/file.xlsx", &[(Unit, OwnFile)]),
    roles("GET", "/console/subjects/{id}", &[(Admin, All)]),
    roles("GET", "/console/subjects/{id}/file.xlsx", &[(Admin, All)]),
    roles("GET", "/console/subjects", &[(Admin, All)]),
    roles("GET", "/console/subjects.xlsx", &[(Admin, All)]),
    roles("POST", "/console/subjects/import", &[(Admin, All)]),
    roles("GET", "/console/subjects/new", &[(Admin, All)]),
    roles("POST", "/console/subjects/new", &[(Admin, All)]),
    roles("GET", "/console/subjects/{id}/edit", &[(Admin, All)]),
    roles("POST", "/console/subjects/{id}/edit", &[(Admin, All)]),
    roles("GET", "/console/statistics", &[(Admin, All), (Provider, OwnProvided), (Unit, OwnFile)]),
    roles("GET", "/console/statistics.xlsx", &[(Admin, All), (Provider, OwnProvided), (Unit, OwnFile)]),
    roles("GET", "/console/personnel", &[(Hr, All), (Admin, All)]),
    roles("GET", "/console/personnel.xlsx", &[(Hr, All), (Admin, All)]),
    roles("GET", "/console/eligibility", &[(Hr, All), (Admin, All)]),
    roles("POST", "/console/eligibility", &[(Hr, All), (Admin, All)]),
    roles("POST", "/console/eligibility/list", &[(Hr, All), (Admin, All)]),
    roles("GET", "/console/eligibility/template.xlsx", &[(Hr, All), (Admin, All)]),
    // The yearly assessment's pages (考核评价): the ranking with its workbook and printable
    // summary for the credit office and the 组织人事部门 (an account bound to a unit is sent on
    // to its own result); a unit's explained result, and the files of evidence behind its
    // scores, for those two and the unit's own accounts (`app::assessment` narrows);
    // scores by the credit office and the unit; closing and reopening by the credit office; the
    // indicator set kept by the credit office and read by the 组织人事部门.
    roles("GET", "/console/assessments", &[(Admin, All), (Hr, All), (Unit, All), (Provider, All)]),
    roles("GET", "/console/assessments.xlsx", &[(Admin, All), (Hr, All)]),
    roles("GET", "/console/assessments/summary", &[(Admin, All), (Hr, All)]),
    roles("GET", "/console/assessments/{year}/{period}/close", &[(Admin, All)]),
    roles("POST", "/console/assessments/{year}/{period}/close", &[(Admin, All)]),
    roles("POST", "/console/assessments/{year}/{period}/reopen", &[(Admin, All)]),
    roles("GET", "/console/assessments/{year}/{period}/units/{id}", &[(Admin, All), (Hr, All), (Unit, All), (Provider, All)]),
    roles("GET", "/console/assessments/{year}/{period}/units/{id}/print", &[(Admin, All), (Hr, All), (Unit, All), (Provider, All)]),
    roles("GET", "/console/assessments/{year}/{period}/units/{id}/evidence/{file}", &[(Admin, All), (Hr, All), (Unit, All), (Provider, All)]),
    roles("POST", "/console/assessments/{year}/{period}/units/{id}/scores", &[(Admin, All), (Unit, All), (Provider, All)]),
    roles("POST", "/console/assessments/{year}/{period}/units/{id}/disputes", &[(Unit, OwnFile), (Provider, OwnFile)]),
    roles("GET", "/console/assessments/sets/{year}", &[(Admin, All), (Hr, All)]),
    roles("POST", "/console/assessments/sets/{year}", &[(Admin, All)]),
    roles("GET", "/console/assessments/sets/{year}/indicators.toml", &[(Admin, All), (Hr, All)]),
    roles("GET", "/console/catalog", &[(Admin, All)]),
    roles("POST", "/console/catalog", &[(Admin, All)]),
    roles("GET", "/console/calendar", &[(Admin, All)]),
    roles("GET", "/console/calendar.xlsx", &[(Admin, All)]),
    roles("POST", "/console/calendar/import", &[(Admin, All)]),
    roles("GET", "/console/accounts", &[(Sysadmin, All), (Secadmin, All), (Auditor, All)]),
    roles("GET", "/console/accounts.xlsx", &[(Sysadmin, All), (Secadmin, All), (Auditor, All)]),
    roles("POST", "/console/accounts", &[(Sysadmin, All)]),
    roles("POST", "/console/tokens/{id}/revoke", &[(Sysadmin, All), (Provider, All), (Unit, All), (Hr, All)]),
    roles("POST", "/console/accounts/{id}/role", &[(Secadmin, All)]),
    roles("GET", "/console/accounts/{id}/contact", &[(Sysadmin, All)]),
    roles("POST", "/console/accounts/{id}/contact", &[(Sysadmin, All)]),
    roles("POST", "/console/accounts/{id}/disable", &[(Sysadmin, All)]),
    roles("POST", "/console/accounts/{id}/enable", &[(Sysadmin, All)]),
    roles("POST", "/console/accounts/{id}/unlock", &[(Sysadmin, All)]),
    roles("POST", "/console/accounts/{id}/reset-password", &[(Sysadmin, All)]),
    roles("POST", "/console/accounts/{id}/reset-totp", &[(Secadmin, All)]),
    roles("GET", "/console/audit", &[(Auditor, All)]),
    roles("GET", "/console/cases", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/console/cases/deadlines", &[(Admin, All)]),
    roles("POST", "/console/cases/deadlines", &[(Admin, All)]),
    roles("GET", "/console/cases.xlsx", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/console/cases/{id}", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("POST", "/console/cases/{id}/step", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/console/cases/{id}/attachments/{file}", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/console/records/{id}/object", &[(Admin, All), (Unit, OwnFile)]),
    roles("POST", "/console/records/{id}/object", &[(Admin, All), (Unit, OwnFile)]),
    roles("GET", "/console/records/{id}/repair", &[(Unit, OwnFile)]),
    roles("POST", "/console/records/{id}/repair", &[(Unit, OwnFile)]),
    roles("GET", "/console/complaints/new", &[(Admin, All)]),
    roles("POST", "/console/complaints/new", &[(Admin, All)]),
    roles("GET", "/console/notifications", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("POST", "/console/notifications/read", &[(Admin, All), (Provider, All), (Unit, All)]),
    roles("GET", "/console/audit.xlsx", &[(Auditor, All)]),
    // The credit checks and their feedback (反馈), the rates per department, and the measures in
    // force on a unit (本单位奖惩措施).
    roles("GET", "/console/sanctions/checks", &[(Admin, All), (Hr, All), (Provider, All)]),
    roles("GET", "/console/sanctions/checks.xlsx", &[(Admin, All), (Hr, All), (Provider, All)]),
    roles("POST", "/console/sanctions/checks/{check_no}/feedback", &[(Admin, All), (Hr, All), (Provider, All)]),
    roles("GET", "/console/sanctions/feedback", &[(Admin, All)]),
    roles("GET", "/console/sanctions/feedback.xlsx", &[(Admin, All)]),
    roles("GET", "/console/sanctions/measures", &[(Unit, OwnFile)]),
    // The procurement contracts' pages: the list (as Excel too) and one contract for whoever
    // reads the registry; the import and the payment rule for the credit office and 区财政局.
    roles("GET", "/console/commitments", &[(Admin, All), (Provider, All), (Unit, OwnFile)]),
    roles("GET", "/console/commitments.xlsx", &[(Admin, All), (Provider, All), (Unit, OwnFile)]),
    roles("GET", "/console/commitments/{id}", &[(Admin, All), (Provider, All), (Unit, OwnFile)]),
    roles("GET", "/console/commitments/import", &[(Admin, All), (Provider, All)]),
    roles("POST", "/console/commitments/import", &[(Admin, All), (Provider, All)]),
    roles("GET", "/console/commitments/rule", &[(Admin, All), (Provider, All)]),
    roles("POST", "/console/commitments/rule", &[(Admin, All), (Provider, All)]),
];

/// The rule for a method and route template, if the route exists.
pub fn rule(method: &str, path: &str) -> Option<&'static Rule> {
    TABLE
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
}

/// Whether `role` may use the route, and how far. `None`: not allowed.
/// How far `role` reaches on the route `method path`; `None` when the route is not `role`'s
/// (or not in the table). For a page that links to another: link only where this is `Some`.
pub fn reach_on(method: &str, path: &str, role: AccountRole) -> Option<Reach> {
    rule(method, path).and_then(|r| reach(r, role))
}

pub fn reach(rule: &Rule, role: AccountRole) -> Option<Reach> {
    if rule.public || rule.any_account {
        return Some(All);
    }
    rule.roles
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, reach)| *reach)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_administrators_never_touch_business_data() {
        for rule in TABLE.iter().filter(|r| {
            r.path.starts_with("/api/v1/records") || r.path.starts_with("/api/v1/subjects")
        }) {
            for role in [Sysadmin, Secadmin] {
                assert_eq!(
                    reach(rule, role),
                    None,
                    "{} {} {role:?}",
                    rule.method,
                    rule.path
                );
            }
            if rule.method != "GET" {
                assert_eq!(
                    reach(rule, Auditor),
                    None,
                    "auditor changes nothing: {} {}",
                    rule.method,
                    rule.path
                );
            }
        }
    }

    #[test]
    fn only_the_credit_office_activates_or_revokes() {
        for path in [
            "/api/v1/records/{id}/activate",
            "/api/v1/records/{id}/revoke",
            "/api/v1/records/{id}/send-back",
        ] {
            let r = rule("POST", path).unwrap();
            for role in AccountRole::ALL {
                assert_eq!(reach(r, role).is_some(), role == Admin, "{path} {role:?}");
            }
        }
    }

    #[test]
    fn only_the_registry_keepers_import_contracts_or_set_the_payment_rule() {
        for (method, path) in [
            ("POST", "/api/v1/commitments/import"),
            ("PUT", "/api/v1/commitments/payment-rule"),
            ("POST", "/console/commitments/import"),
            ("POST", "/console/commitments/rule"),
        ] {
            let r = rule(method, path).unwrap();
            for role in AccountRole::ALL {
                assert_eq!(
                    reach(r, role).is_some(),
                    matches!(role, Admin | Provider),
                    "{method} {path} {role:?}"
                );
            }
        }
        for path in ["/api/v1/commitments", "/console/commitments"] {
            let r = rule("GET", path).unwrap();
            assert_eq!(reach(r, Unit), Some(OwnFile), "{path}");
            for role in [Hr, Sysadmin, Secadmin, Auditor] {
                assert_eq!(reach(r, role), None, "{path} {role:?}");
            }
        }
    }

    #[test]
    fn routes_are_unique() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {}",
                    a.method,
                    a.path
                );
            }
        }
    }
}
