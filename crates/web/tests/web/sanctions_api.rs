//! The credit check (信用核查, `POST /api/v1/sanctions/check`) end to end, on SQLite and
//! PostgreSQL, against a real server whose clock the test sets: a civil servant's dishonest
//! record keeps 优秀 from its year (asked by ID number or by subject id) until a repair grants
//! 免于惩戒; a unit's active dishonest record takes away its honour eligibility; refusals are
//! not logged; the log keeps each check's number and never an ID number.
//!
//! The platform here (`Platform`) is shared with `sanctions_feedback`.

use probity_domain::account::AccountRole;
use probity_store::Store;
use probity_testkit::{Accounts, backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::day;
use crate::platform::{
    Served, app_on_day, civil_servant, client_without_redirects, empty_index, import_rows, json_of,
    session, with_session,
};

/// The day the test runs on: a Monday in 2026, three months and more after the records'
/// decisions (so that their repair may be applied for).
pub(crate) const START: &str = "2026-06-01";

pub(crate) const PERSON: &str = "王丽华";

pub(crate) fn person_id() -> probity_domain::ident::IdNumber {
    probity_domain::ident::IdNumber::from_parts("120116", day("1980-05-17"), 273).unwrap()
}

/// Who sends a request: the credit office (a session with its CSRF token), or the bearer token
/// of the finance bureau's provider account, 新河街道's unit account, the 组织人事部门, the
/// court's provider account (a second department); or the finance bureau's provider with a
/// session (its page forms carry the CSRF token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    Office,
    Provider,
    Unit,
    Hr,
    Court,
    /// A second provider account of the finance bureau (the same department).
    Provider2,
    ProviderSession,
}

/// The platform on a loopback port, on the use cases of an `App` with a fixed clock.
pub(crate) struct Platform {
    base: String,
    /// Follows no redirect: a form's answer is its 303.
    client: reqwest::blocking::Client,
    /// The app the server runs on (its clock stands still; the server's thread holds it too).
    _app: probity_app::App,
    admin: (String, String),
    provider_token: String,
    unit_token: String,
    hr_token: String,
    court_token: String,
    provider2_token: String,
    provider_session: (String, String),
    _server: Served,
}

/// The small roster and a civil servant of 新河街道.
fn load_roster(store: &Store) {
    roster::binhai(store);
    import_rows(store, vec![civil_servant(PERSON, &person_id())]);
}

impl Platform {
    pub(crate) fn start(store: &Store) -> Platform {
        load_roster(store);
        let roles = [
            AccountRole::Admin,
            AccountRole::Provider,
            AccountRole::Unit,
            AccountRole::Hr,
        ];
        let accounts = Accounts::create(store, "s", &roles).with_credentials(
            store,
            &[AccountRole::Provider, AccountRole::Unit, AccountRole::Hr],
        );
        let app = app_on_day(store, START);
        let server = Served::start(&app, empty_index());
        let admin = session(store, &app, &accounts, AccountRole::Admin);
        let provider_session = session(store, &app, &accounts, AccountRole::Provider);
        let court = store.find_unit("区法院").unwrap().id;
        let court_account = store
            .create_account(
                "s_court",
                AccountRole::Provider,
                Some(court),
                probity_testkit::accounts::PASSWORD,
                "test",
            )
            .unwrap();
        let court_token = store
            .issue_token(court_account.id, "test", "test")
            .unwrap()
            .1;
        let finance = store.find_unit("区财政局").unwrap().id;
        let second = store
            .create_account(
                "s_provider2",
                AccountRole::Provider,
                Some(finance),
                probity_testkit::accounts::PASSWORD,
                "test",
            )
            .unwrap();
        let provider2_token = store.issue_token(second.id, "test", "test").unwrap().1;
        Platform {
            base: server.base.clone(),
            client: client_without_redirects(),
            _app: app,
            admin,
            provider_token: accounts.token(AccountRole::Provider).to_string(),
            unit_token: accounts.token(AccountRole::Unit).to_string(),
            hr_token: accounts.token(AccountRole::Hr).to_string(),
            court_token,
            provider2_token,
            provider_session,
            _server: server,
        }
    }

    /// A request with `who`'s credential (a session's CSRF token as the header).
    fn as_who(
        &self,
        b: reqwest::blocking::RequestBuilder,
        who: Who,
    ) -> reqwest::blocking::RequestBuilder {
        match who {
            Who::Office => with_session(b, &self.admin),
            Who::ProviderSession => with_session(b, &self.provider_session),
            Who::Provider => b.bearer_auth(&self.provider_token),
            Who::Unit => b.bearer_auth(&self.unit_token),
            Who::Hr => b.bearer_auth(&self.hr_token),
            Who::Court => b.bearer_auth(&self.court_token),
            Who::Provider2 => b.bearer_auth(&self.provider2_token),
        }
    }

    pub(crate) fn post(&self, path: &str, who: Who, body: Value) -> (StatusCode, Value) {
        let b = self.client.post(format!("{}{path}", self.base)).json(&body);
        json_of(self.as_who(b, who).send().unwrap())
    }

    /// A GET: the status, the body's bytes and its content type.
    pub(crate) fn get_bytes(&self, path: &str, who: Who) -> (StatusCode, Vec<u8>, String) {
        let b = self.client.get(format!("{}{path}", self.base));
        let res = self.as_who(b, who).send().unwrap();
        let status = res.status();
        let kind = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, res.bytes().unwrap().to_vec(), kind)
    }

    /// A GET of a page (or of JSON, as text).
    pub(crate) fn get(&self, path: &str, who: Who) -> (StatusCode, String) {
        let (status, bytes, _) = self.get_bytes(path, who);
        (status, String::from_utf8(bytes).unwrap())
    }

    /// A GET of JSON.
    pub(crate) fn get_json(&self, path: &str, who: Who) -> (StatusCode, Value) {
        let (status, text) = self.get(path, who);
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    /// A page form posted by `who`'s session, its CSRF token among the fields: the status, the
    /// redirect's target (if any) and the body.
    pub(crate) fn form(
        &self,
        path: &str,
        who: Who,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let (token, csrf) = match who {
            Who::Office => &self.admin,
            Who::ProviderSession => &self.provider_session,
            other => panic!("{other:?} has no session"),
        };
        // The session's token, unless the test sends one of its own.
        let mut all: Vec<(&str, &str)> = Vec::new();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            all.push(("csrf", csrf.as_str()));
        }
        all.extend_from_slice(fields);
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("probity_session={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(urlencoded(&all))
            .send()
            .unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, location, res.text().unwrap())
    }

    /// A record reported by the finance bureau and activated by the credit office; `subject`
    /// carries either `uscc` or `id_number`.
    pub(crate) fn active_record(&self, subject: Value, doc: &str, decided_on: &str) -> i64 {
        self.active_record_in(subject, doc, decided_on, "public")
    }

    /// As `active_record`, with the scope given (`public`, `shared`, `restricted`).
    pub(crate) fn active_record_in(
        &self,
        subject: Value,
        doc: &str,
        decided_on: &str,
        scope: &str,
    ) -> i64 {
        let mut body = json!({
            "scope": scope,
            "category": "PAYMENT_ARREARS",
            "document_no": doc,
            "decided_on": decided_on,
            "disclosure_until": "2027-01-05",
            "authority": roster::FINANCE,
            "facts": format!("经查，{doc}所涉款项逾期未付"),
            "outcome": "责令限期改正",
        });
        body.as_object_mut()
            .unwrap()
            .extend(subject.as_object().unwrap().clone());
        let (status, v) = self.post("/api/v1/records", Who::Provider, body);
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (status, v) = self.post(
            &format!("/api/v1/records/{id}/activate"),
            Who::Office,
            json!({}),
        );
        assert_eq!(status, StatusCode::OK, "{v}");
        id
    }

    pub(crate) fn check(
        &self,
        who: Who,
        subject: &str,
        purpose: &str,
        year: i32,
    ) -> (StatusCode, Value) {
        self.post(
            "/api/v1/sanctions/check",
            who,
            json!({"subject": subject, "purpose": purpose, "year": year}),
        )
    }
}

/// A form's fields as `application/x-www-form-urlencoded`.
fn urlencoded(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn measure_codes(v: &Value) -> Vec<&str> {
    v["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect()
}

#[test]
fn a_check_answers_by_the_rules_and_is_logged_without_the_id_number() {
    for b in backends("sanctions_check") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let id_number = person_id().as_str().to_string();
        let person = store.find_civil_servant(&person_id()).unwrap().unwrap();
        let town = store.find_unit("新河街道").unwrap();
        let town_uscc = town.uscc.clone().unwrap();

        // Nothing on file yet: allowed.
        let (status, v) = p.check(Who::Office, &id_number, "excellent_rating", 2026);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["decision"], "allowed", "[{name}] {v}");
        assert!(v["measures"].as_array().unwrap().is_empty());

        // A dishonest record about the civil servant decided in 2026.
        let rec = p.active_record(
            json!({"subject_name": PERSON, "id_number": id_number}),
            "津滨财〔2026〕31号",
            "2026-01-05",
        );
        // Not 优秀 for 2026, asked by ID number (the 组织人事部门) and by subject id.
        let (status, v) = p.check(Who::Hr, &id_number, "excellent_rating", 2026);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["decision"], "restricted", "[{name}] {v}");
        assert_eq!(v["decision_label"], "限制");
        assert_eq!(measure_codes(&v), ["NOT_EXCELLENT"], "[{name}] {v}");
        assert_eq!(v["records"], json!([rec]), "[{name}] {v}");
        assert_eq!(v["subject_id"], person.id);
        assert_eq!(v["subject_name"], "王*", "a civil servant's name is masked");
        assert_eq!(v["purpose_label"], "年度考核优秀等次");
        let first_no = v["check_no"].as_str().unwrap().to_string();
        assert!(first_no.starts_with("HC20260601-"), "[{name}] {first_no}");
        let (status, v) = p.check(
            Who::Provider,
            &person.id.to_string(),
            "excellent_rating",
            2026,
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["decision"], "restricted", "[{name}] {v}");
        assert_ne!(v["check_no"], first_no.as_str(), "one number per check");
        // Over by 2028 (in force to 2027-01-05).
        let (status, v) = p.check(Who::Office, &id_number, "excellent_rating", 2028);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["decision"], "allowed", "[{name}] {v}");
        assert!(v["records"].as_array().unwrap().is_empty());

        // A unit with an active dishonest record: no honour this year.
        let unit_rec = p.active_record(
            json!({"subject_name": town.name, "uscc": town_uscc}),
            "津滨财〔2026〕32号",
            "2026-01-05",
        );
        let (status, v) = p.check(Who::Office, &town_uscc, "honour", 2026);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["decision"], "restricted", "[{name}] {v}");
        assert_eq!(measure_codes(&v), ["HONOUR_INELIGIBLE"], "[{name}] {v}");
        assert_eq!(v["records"], json!([unit_rec]), "[{name}] {v}");
        assert_eq!(v["subject_name"], town.name.as_str());

        // The unit applies to repair its civil servant's record; the credit office approves
        // with 免于惩戒: the record no longer keeps 优秀 from 2026.
        // (A unit's file holds its civil servants' records: it applies for them.)
        let (status, v) = p.post(
            "/api/v1/repairs",
            Who::Unit,
            json!({
                "record_id": rec,
                "statement": "已于2026年3月全额支付欠款，并作出书面检讨",
                "commitment_signed": true,
                "obligations_fulfilled": true,
            }),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let case = v["id"].as_i64().unwrap();
        let (status, v) = p.post(
            &format!("/api/v1/cases/{case}/steps"),
            Who::Office,
            json!({"action": "approve", "text": "准予修复，免于惩戒", "leniency": "exempt"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["outcome"], "approved", "[{name}] {v}");
        let (status, v) = p.check(Who::Office, &id_number, "excellent_rating", 2026);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["decision"], "allowed", "[{name}] {v}");

        // Refusals: none is logged.
        let logged = store.sanction_check_count().unwrap();
        let (status, v) = p.check(Who::Office, &id_number, "promotion", 2026);
        assert!(status.is_client_error(), "[{name}] {status} {v}");
        assert_eq!(code(&v), "PURPOSE_UNKNOWN", "[{name}] {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("honour"));
        let (status, v) = p.check(Who::Office, &id_number, "honour", 1999);
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        assert_eq!(code(&v), "YEAR_INVALID", "[{name}] {v}");
        let stranger =
            probity_domain::ident::IdNumber::from_parts("120116", day("1990-01-01"), 11).unwrap();
        let (status, v) = p.check(Who::Office, stranger.as_str(), "honour", 2026);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}] {v}");
        assert!(
            !v.to_string().contains(stranger.as_str()),
            "[{name}] the ID number is not echoed: {v}"
        );
        let (status, _) = p.check(Who::Office, "999999", "honour", 2026);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        // A unit's account may not check (the authorisation table).
        let (status, _) = p.check(Who::Unit, &town_uscc, "honour", 2026);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        // Unknown fields are refused.
        let (status, v) = p.post(
            "/api/v1/sanctions/check",
            Who::Office,
            json!({"subject": town_uscc, "purpose": "honour", "year": 2026, "name": "x"}),
        );
        assert!(status.is_client_error(), "[{name}] {status} {v}");
        assert_eq!(
            store.sanction_check_count().unwrap(),
            logged,
            "[{name}] refusals are not logged"
        );

        // The log: each check with its number, its actor, purpose, year and decision, the
        // subject by id; never the ID number.
        let log = store.sanction_checks(person.id).unwrap();
        assert_eq!(log.len(), 5, "[{name}] {log:?}");
        assert_eq!(log[1].check_no, first_no);
        assert_eq!(log[1].purpose, "excellent_rating");
        assert_eq!(log[1].year, 2026);
        assert_eq!(log[1].decision, "restricted");
        assert!(!log[1].actor.is_empty(), "[{name}] {log:?}");
        let numbers: Vec<&str> = log.iter().map(|c| c.check_no.as_str()).collect();
        assert_eq!(
            numbers,
            [
                "HC20260601-0001",
                "HC20260601-0002",
                "HC20260601-0003",
                "HC20260601-0004",
                "HC20260601-0006",
            ],
            "[{name}] a serial per Beijing day, the unit's check fifth"
        );
        for c in &log {
            for text in [&c.check_no, &c.actor, &c.purpose, &c.decision, &c.answer] {
                assert!(!text.contains(&id_number), "[{name}] {c:?}");
            }
        }
        assert_eq!(store.sanction_checks(town.id).unwrap().len(), 1);
    }
}
