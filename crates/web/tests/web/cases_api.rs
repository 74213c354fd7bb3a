//! The case API end to end, on SQLite and PostgreSQL, against a real server whose clock the test
//! sets (the use cases count deadlines in working days from "today"): objections, credit repair,
//! rectification with attachments, public complaints with their tracking number, query code and
//! per-client limit, the deadline clock with its notifications, and the OpenAPI description.
//! Every refusal is checked to change nothing (the journal's head stays where it was).

use std::cell::RefCell;
use std::sync::Arc;

use probity_domain::account::AccountRole;
use probity_search::SearchIndex;
use probity_store::Store;
use probity_testkit::browser::{BOUNDARY, Part, multipart};
use probity_testkit::{Accounts, backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::{
    Served, app_on_day, civil_servant, day, empty_index, import_rows, json_of, reform_commission,
    with_session,
};

/// The day every test starts on: a Monday, far enough from the end of the calendar's last year
/// (2026) for every deadline counted here.
const START: &str = "2026-06-01";

/// A minimal PDF, and a PNG whose name will claim it is one.
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// Who sends a request: the credit office (a session with its CSRF token), the finance
/// bureau's provider account and 新河街道's unit account (bearer tokens), or nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Office,
    Provider,
    Unit,
    Public,
}

/// The platform on a loopback port, on the use cases of an `App` whose fixed clock the test
/// moves, with the search index it serves (caught up by the test, as `serve`'s indexer would).
struct Platform {
    base: String,
    client: reqwest::blocking::Client,
    app: probity_app::App,
    store: Store,
    index: Arc<SearchIndex>,
    admin_id: i64,
    /// The credit office's session and CSRF token, opened again whenever the clock moves.
    admin: RefCell<(String, String)>,
    provider_token: String,
    unit_token: String,
    _server: Served,
}

/// The small roster, with the development and reform commission that files the draft record a
/// founded complaint raises (COMPLAINT_UPHELD's provider).
fn load_roster(store: &Store) {
    roster::binhai(store);
    // With a civil servant of the township, whose name and ID number a complaint's texts may
    // carry.
    import_rows(
        store,
        vec![reform_commission(), civil_servant(PERSON, &person_id())],
    );
}

const PERSON: &str = "王丽华";

fn person_id() -> probity_domain::ident::IdNumber {
    probity_domain::ident::IdNumber::from_parts("120116", day("1980-05-17"), 273).unwrap()
}

impl Platform {
    fn start(store: &Store) -> Platform {
        load_roster(store);
        let roles = [AccountRole::Admin, AccountRole::Provider, AccountRole::Unit];
        let accounts = Accounts::create(store, "c", &roles)
            .with_credentials(store, &[AccountRole::Provider, AccountRole::Unit]);
        let app = app_on_day(store, START);
        let index = empty_index();
        let server = Served::start(&app, index.clone());
        let admin_id = accounts.account(store, AccountRole::Admin).id;
        let p = Platform {
            base: server.base.clone(),
            client: reqwest::blocking::Client::new(),
            store: store.clone(),
            index,
            admin_id,
            admin: RefCell::new((String::new(), String::new())),
            provider_token: accounts.token(AccountRole::Provider).to_string(),
            unit_token: accounts.token(AccountRole::Unit).to_string(),
            app,
            _server: server,
        };
        p.open_session();
        p.warm_up();
        p.catch_up();
        p
    }

    fn open_session(&self) {
        let s = self
            .store
            .create_session(self.admin_id, chrono::TimeDelta::hours(8), self.app.now())
            .unwrap();
        *self.admin.borrow_mut() = (s.token, s.csrf);
    }

    /// Moves the platform's clock to 10:00 Beijing time on `d`.
    fn set_day(&self, d: &str) {
        let at = probity_app::Clock::on_beijing_day(day(d)).now();
        self.app.clock().set(at);
        // The old session has been idle too long by the new clock.
        self.open_session();
        self.warm_up();
    }

    /// Uses each token once, so that the journal's line for a token in use (one each clock
    /// hour) is not written inside a test's window of refusals.
    fn warm_up(&self) {
        for who in [Who::Provider, Who::Unit] {
            let (status, v) = self.get("/api/v1/auth/me", who);
            assert_eq!(status, StatusCode::OK, "{v}");
        }
    }

    /// Brings the search index up with the database, as of the platform's today.
    fn catch_up(&self) {
        probity_app::reindex::catch_up(&self.store, &self.index, self.app.today()).unwrap();
    }

    fn head(&self) -> i64 {
        self.store.head_seq().unwrap()
    }

    fn req(&self, method: &str, path: &str, who: Who) -> reqwest::blocking::RequestBuilder {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let b = self.client.request(m, format!("{}{path}", self.base));
        match who {
            Who::Office => with_session(b, &self.admin.borrow()),
            Who::Provider => b.bearer_auth(&self.provider_token),
            Who::Unit => b.bearer_auth(&self.unit_token),
            Who::Public => b,
        }
    }

    fn answer(res: reqwest::blocking::Response) -> (StatusCode, Value) {
        json_of(res)
    }

    fn get(&self, path: &str, who: Who) -> (StatusCode, Value) {
        Self::answer(self.req("GET", path, who).send().unwrap())
    }

    fn post(&self, path: &str, who: Who, body: Value) -> (StatusCode, Value) {
        Self::answer(self.req("POST", path, who).json(&body).send().unwrap())
    }

    fn post_form(&self, path: &str, who: Who, parts: &[Part]) -> (StatusCode, Value) {
        Self::answer(
            self.req("POST", path, who)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(multipart(parts))
                .send()
                .unwrap(),
        )
    }

    fn step(&self, case: i64, who: Who, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/cases/{case}/steps"), who, body)
    }

    /// A record about `subject` reported by the finance bureau and activated by the credit
    /// office.
    fn active_record(&self, subject: &str, category: &str, doc: &str, decided_on: &str) -> i64 {
        let s = self.store.find_unit(subject).unwrap();
        let body = json!({
            "subject_name": s.name,
            "uscc": s.uscc.unwrap(),
            "category": category,
            "document_no": doc,
            "decided_on": decided_on,
            "authority": roster::FINANCE,
            "facts": format!("经查，{doc}所涉款项逾期未付"),
            "outcome": "责令限期改正",
        });
        let (status, v) = self.post("/api/v1/records", Who::Provider, body);
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (status, v) = self.post(
            &format!("/api/v1/records/{id}/activate"),
            Who::Office,
            json!({}),
        );
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["state"], "active");
        id
    }

    /// A record's state as the credit office reads it.
    fn record_state(&self, id: i64) -> String {
        let (status, v) = self.get(&format!("/api/v1/records/{id}"), Who::Office);
        assert_eq!(status, StatusCode::OK, "{v}");
        v["state"].as_str().unwrap().to_string()
    }

    /// The ids of a list's cases.
    fn ids(&self, path: &str, who: Who) -> Vec<i64> {
        let (status, v) = self.get(path, who);
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    }

    fn actions(v: &Value) -> Vec<String> {
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_string())
            .collect()
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn an_objection_freezes_the_record_until_its_provider_answers() {
    for b in backends("cases_objection") {
        let name = b.name;
        let p = Platform::start(&b.store);
        let rec = p.active_record(
            roster::TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕11号",
            "2026-05-06",
        );
        let others = p.active_record(
            roster::OTHER_TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕12号",
            "2026-05-06",
        );

        // The unit objects to its own record: 异议处理中 at once, with the provider to answer.
        let (status, v) = p.post(
            "/api/v1/objections",
            Who::Unit,
            json!({"record_id": rec, "reasons": "该款项已于2026年5月20日支付，附银行回单"}),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let case = v["id"].as_i64().unwrap();
        assert_eq!(v["kind"], "objection");
        assert_eq!(v["kind_label"], "异议");
        assert_eq!(v["state"], "open");
        assert_eq!(v["state_label"], "待处理");
        assert_eq!(v["record_id"], rec);
        assert_eq!(v["holder"], "区财政局");
        assert_eq!(v["party"], "applicant");
        // Ten working days from Monday 1 June 2026.
        assert_eq!(v["deadline"], "2026-06-15");
        assert_eq!(v["due"], "on_time");
        assert_eq!(v["days_left"], 10);
        assert_eq!(v["due_label"], "剩余 10 个工作日");
        assert_eq!(v["history"][0]["action"], "open");
        assert_eq!(v["history"][0]["action_label"], "提交");
        assert_eq!(Platform::actions(&v), ["comment", "withdraw"]);
        let (_, r) = p.get(&format!("/api/v1/records/{rec}"), Who::Unit);
        assert_eq!(r["state"], "objected", "[{name}] {r}");
        assert_eq!(r["state_label"], "异议处理中");

        // A second objection on the same record, and one on another unit's record: refused,
        // nothing written.
        let head = p.head();
        let (status, v) = p.post(
            "/api/v1/objections",
            Who::Unit,
            json!({"record_id": rec, "reasons": "再次提出异议"}),
        );
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "RECORD_NOT_OBJECTABLE");
        let (status, v) = p.post(
            "/api/v1/objections",
            Who::Unit,
            json!({"record_id": others, "reasons": "这不是我们的记录"}),
        );
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}] {v}");
        let (status, v) = p.post("/api/v1/objections", Who::Unit, json!({"record_id": rec}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "REQUIRED");
        assert_eq!(p.head(), head, "[{name}] a refusal changes nothing");
        assert_eq!(p.ids("/api/v1/objections", Who::Unit), [case]);
        // A provider does not object (the authorisation table, which journals the refusal
        // itself).
        let (status, _) = p.post(
            "/api/v1/objections",
            Who::Provider,
            json!({"record_id": rec, "reasons": "x"}),
        );
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The provider sees it in its list and dismisses it with reasons.
        assert_eq!(p.ids("/api/v1/objections?open=true", Who::Provider), [case]);
        assert_eq!(p.ids("/api/v1/cases?kind=objection", Who::Provider), [case]);
        assert!(
            p.ids("/api/v1/objections?open=false", Who::Provider)
                .is_empty()
        );
        let (status, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Provider);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["party"], "assignee");
        assert_eq!(
            Platform::actions(&v),
            ["comment", "uphold", "dismiss"],
            "[{name}]"
        );
        let head = p.head();
        let (status, v) = p.step(case, Who::Provider, json!({"action": "dismiss"}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "REQUIRED", "a dismissal owes its reasons");
        let (status, v) = p.step(
            case,
            Who::Unit,
            json!({"action": "dismiss", "text": "自己驳回"}),
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        assert_eq!(p.head(), head);
        let (status, v) = p.step(
            case,
            Who::Provider,
            json!({"action": "dismiss", "text": "经核实，截至决定作出之日该款项仍未支付"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "closed");
        assert_eq!(v["outcome"], "dismissed");
        assert_eq!(v["outcome_label"], "异议不成立");
        assert_eq!(v["due_label"], "异议不成立");
        assert_eq!(v["history"][1]["action_label"], "驳回异议");
        assert_eq!(v["history"][1]["party"], "assignee");
        assert_eq!(p.record_state(rec), "active");
        // The applicant reads the answer.
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(
            v["history"][1]["text"], "经核实，截至决定作出之日该款项仍未支付",
            "[{name}] {v}"
        );

        // Another objection, upheld by the credit office: the record is revoked.
        let (status, v) = p.post(
            "/api/v1/objections",
            Who::Unit,
            json!({"record_id": rec, "reasons": "补充提供支付凭证"}),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let second = v["id"].as_i64().unwrap();
        let (status, v) = p.get(&format!("/api/v1/cases/{second}"), Who::Office);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["party"], "credit_office");
        let (status, v) = p.step(
            second,
            Who::Office,
            json!({"action": "uphold", "text": "支付凭证属实，记录撤销"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["outcome"], "upheld");
        assert_eq!(p.record_state(rec), "revoked");

        // An answer to a closed case: 409, nothing changed.
        let head = p.head();
        for (who, action) in [
            (Who::Provider, "dismiss"),
            (Who::Office, "uphold"),
            (Who::Unit, "comment"),
        ] {
            let (status, v) = p.step(second, who, json!({"action": action, "text": "再答复一次"}));
            assert_eq!(status, StatusCode::CONFLICT, "[{name}] {who:?} {v}");
            assert_eq!(code(&v), "CASE_CLOSED");
        }
        assert_eq!(p.head(), head, "[{name}] a refusal changes nothing");
        assert_eq!(p.record_state(rec), "revoked");

        // Bad requests say what is wrong.
        let (status, v) = p.step(second, Who::Office, json!({"action": "fly"}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(code(&v), "ACTION_INVALID");
        let (status, v) = p.step(second, Who::Office, json!({"action": "comment", "x": 1}));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(code(&v), "JSON_INVALID");
        let (status, _) = p.step(
            999_999,
            Who::Office,
            json!({"action": "comment", "text": "x"}),
        );
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, v) = p.get("/api/v1/cases?kind=appeal", Who::Office);
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(code(&v), "QUERY_INVALID");
        let (status, _) = p.get("/api/v1/cases?limit=0", Who::Office);
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(p.head(), head);

        // Pages of the credit office's list: newest first, each case once.
        let all = p.ids("/api/v1/cases", Who::Office);
        assert!(all.windows(2).all(|w| w[0] > w[1]), "{all:?}");
        let (_, first) = p.get("/api/v1/cases?limit=1", Who::Office);
        let next = first["next_before"].as_i64().unwrap();
        let rest = p.ids(
            &format!("/api/v1/cases?before={next}&limit=200"),
            Who::Office,
        );
        assert_eq!([vec![next], rest].concat(), all);
    }
}

#[test]
fn a_repair_is_checked_before_anything_is_written_and_ends_disclosure_at_once() {
    for b in backends("cases_repair") {
        let name = b.name;
        let p = Platform::start(&b.store);
        // The credit office makes procurement breaches non-repairable.
        let (_, catalog) = p.get("/api/v1/catalog", Who::Office);
        let mut procurement = catalog
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "PROCUREMENT_BREACH")
            .unwrap()
            .clone();
        procurement["repairable"] = json!(false);
        let (status, v) = p
            .req("PUT", "/api/v1/catalog/PROCUREMENT_BREACH", Who::Office)
            .json(&procurement)
            .send()
            .map(Platform::answer)
            .unwrap();
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");

        // An ordinary record decided two months ago, a non-repairable one, an honour, and an
        // ordinary record past its three months.
        let early = p.active_record(
            roster::TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕21号",
            "2026-04-01",
        );
        let blocked = p.active_record(
            roster::TOWN,
            "PROCUREMENT_BREACH",
            "津滨财〔2026〕22号",
            "2026-01-05",
        );
        let honour = p.active_record(roster::TOWN, "HONOUR", "津滨财〔2026〕23号", "2026-01-05");
        let ok = p.active_record(
            roster::TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕24号",
            "2026-01-15",
        );
        let apply = |record: i64| {
            json!({
                "record_id": record,
                "statement": "已于2026年3月全额支付欠款及利息，并建立台账防止再次发生",
                "commitment_signed": true,
                "obligations_fulfilled": true,
            })
        };
        let head = p.head();
        let (status, v) = p.post("/api/v1/repairs", Who::Unit, apply(early));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "REPAIR_TOO_EARLY");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("3个月"),
            "{v}"
        );
        for record in [blocked, honour] {
            let (status, v) = p.post("/api/v1/repairs", Who::Unit, apply(record));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
            assert_eq!(code(&v), "REPAIR_NOT_REPAIRABLE");
        }
        let (status, v) = p.post(
            "/api/v1/repairs",
            Who::Unit,
            json!({"record_id": ok, "statement": "已支付", "commitment_signed": false}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "REPAIR_COMMITMENT_MISSING");
        assert_eq!(v["error"]["fields"].as_array().unwrap().len(), 2, "{v}");
        assert_eq!(p.head(), head, "[{name}] a refusal changes nothing");
        assert!(p.ids("/api/v1/repairs", Who::Office).is_empty());
        // Only the unit applies (the authorisation table).
        let (status, _) = p.post("/api/v1/repairs", Who::Office, apply(ok));
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Disclosed before the repair.
        p.catch_up();
        let (status, _) = p.get(&format!("/api/v1/public/records/{ok}"), Who::Public);
        assert_eq!(status, StatusCode::OK, "[{name}]");
        let found = |p: &Platform| {
            let (status, v) = p.get("/api/v1/public/search?browse=1", Who::Public);
            assert_eq!(status, StatusCode::OK, "{v}");
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["type"] == "record" && i["id"] == ok)
        };
        assert!(found(&p), "[{name}] the record is found before its repair");

        // The eligible application, sent as a form with its proof.
        let (status, v) = p.post_form(
            "/api/v1/repairs",
            Who::Unit,
            &[
                Part::Text("record_id", &ok.to_string()),
                Part::Text("statement", "已于2026年3月全额支付欠款及利息"),
                Part::Text("commitment_signed", "true"),
                Part::Text("obligations_fulfilled", "on"),
                Part::File("信用承诺书.pdf", PDF),
            ],
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let case = v["id"].as_i64().unwrap();
        assert_eq!(v["kind"], "repair");
        assert_eq!(v["holder"], "信用办");
        assert_eq!(v["detail"]["commitment_signed"], true);
        assert_eq!(v["attachments"][0]["file_name"], "信用承诺书.pdf");
        let (status, v) = p.post("/api/v1/repairs", Who::Unit, apply(ok));
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "[{name}] one application at a time: {v}"
        );

        // The credit office approves: the record is repaired and leaves the public side.
        assert_eq!(p.ids("/api/v1/repairs?state=open", Who::Office), [case]);
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Office);
        assert_eq!(v["party"], "credit_office", "[{name}] {v}");
        assert!(Platform::actions(&v).contains(&"approve".to_string()));
        // 从轻或免于惩戒 is for a civil servant's record, not a unit's: refused, nothing written.
        let head = p.head();
        let (status, v) = p.step(
            case,
            Who::Office,
            json!({"action": "approve", "leniency": "exempt"}),
        );
        assert!(status.is_client_error(), "[{name}] {status} {v}");
        assert_eq!(p.head(), head);
        assert_eq!(p.record_state(ok), "active");
        let (status, v) = p.step(
            case,
            Who::Office,
            json!({"action": "approve", "text": "材料齐全，准予修复"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["outcome"], "approved");
        assert_eq!(p.record_state(ok), "repaired");
        // Its rectification, opened when it became active, ends with it: nothing is owed for a
        // repaired record, and its deadline no longer chases the unit.
        let (status, v) = p.get(
            &format!("/api/v1/rectifications?record_id={ok}"),
            Who::Office,
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["items"].as_array().unwrap().len(), 1, "[{name}] {v}");
        assert_eq!(v["items"][0]["state"], "closed", "[{name}] {v}");
        assert_eq!(v["items"][0]["outcome"], "lapsed", "[{name}] {v}");
        p.catch_up();
        let (status, _) = p.get(&format!("/api/v1/public/records/{ok}"), Who::Public);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        assert!(!found(&p), "[{name}] a repaired record is not found");
        let uscc = b.store.find_unit("新河街道").unwrap().uscc.unwrap();
        let (status, profile) = p.get(&format!("/api/v1/public/subjects/{uscc}"), Who::Public);
        assert_eq!(status, StatusCode::OK, "{profile}");
        let shown: Vec<i64> = profile["dishonest"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert!(
            !shown.contains(&ok) && shown.contains(&early),
            "[{name}] {shown:?}"
        );
    }
}

#[test]
fn a_rectification_is_filed_with_evidence_returned_and_accepted() {
    for b in backends("cases_rectification") {
        let name = b.name;
        let p = Platform::start(&b.store);
        // Activating a dishonest record about a unit opens its rectification.
        let rec = p.active_record(
            roster::TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕31号",
            "2026-05-20",
        );
        let list = p.ids("/api/v1/rectifications", Who::Unit);
        assert_eq!(list.len(), 1, "[{name}] {list:?}");
        let case = list[0];
        let (status, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["kind"], "rectification");
        assert_eq!(v["record_id"], rec);
        assert_eq!(v["holder"], "新河街道");
        assert_eq!(v["party"], "assignee");
        assert_eq!(
            v["deadline"], "2026-06-15",
            "the category's 10 working days"
        );
        assert_eq!(Platform::actions(&v), ["comment", "file"]);
        // The provider is not part of it.
        let (status, _) = p.get(&format!("/api/v1/cases/{case}"), Who::Provider);
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A PNG named .pdf, a file over 20 MB, a file under another field: refused, nothing
        // written.
        let head = p.head();
        let text = "一、原因：资金拨付流程滞后。二、整改：已支付并建立台账。";
        let path = format!("/api/v1/cases/{case}/steps");
        let (status, v) = p.post_form(
            &path,
            Who::Unit,
            &[
                Part::Text("action", "file"),
                Part::Text("text", text),
                Part::File("整改报告.pdf", PNG),
            ],
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "ATTACHMENT_TYPE_MISMATCH");
        let big = [PDF, &vec![b'0'; 20 * 1024 * 1024]].concat();
        let (status, v) = p.post_form(
            &path,
            Who::Unit,
            &[
                Part::Text("action", "file"),
                Part::Text("text", text),
                Part::File("整改报告.pdf", &big),
            ],
        );
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "[{name}] {v}");
        assert_eq!(code(&v), "ATTACHMENT_TOO_LARGE");
        let (status, v) = p.post_form(
            &path,
            Who::Unit,
            &[Part::Text("action", "file"), Part::Text("colour", "red")],
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        assert_eq!(code(&v), "FORM_INVALID");
        assert_eq!(p.head(), head, "[{name}] a refusal changes nothing");
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(v["state"], "open");
        assert!(v["attachments"].as_array().unwrap().is_empty());

        // Filed with a PDF.
        let (status, v) = p.post_form(
            &path,
            Who::Unit,
            &[
                Part::Text("action", "file"),
                Part::Text("text", text),
                Part::File("整改报告（第一稿）.pdf", PDF),
            ],
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "filed");
        assert_eq!(v["state_label"], "待审核");
        assert_eq!(v["holder"], "信用办");
        let att = &v["attachments"][0];
        assert_eq!(att["file_name"], "整改报告（第一稿）.pdf");
        assert_eq!(att["kind"], "pdf");
        assert_eq!(att["mime"], "application/pdf");
        assert_eq!(att["size"], PDF.len());
        assert_eq!(att["sm3"].as_str().unwrap().len(), 64);
        let url = att["url"].as_str().unwrap().to_string();
        let first_deadline = v["deadline"].as_str().unwrap().to_string();

        // Returned with reasons some days later: open again, with a new deadline.
        p.set_day("2026-06-05");
        let (status, v) = p.step(case, Who::Office, json!({"action": "return"}));
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] reasons owed: {v}"
        );
        let (status, v) = p.step(
            case,
            Who::Office,
            json!({"action": "return", "text": "缺少付款凭证，请补充"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "open");
        assert_eq!(v["holder"], "新河街道");
        let again = v["deadline"].as_str().unwrap();
        assert!(
            again > first_deadline.as_str() && again > "2026-06-15",
            "{again}"
        );

        // Filed again (JSON, no files this time) and accepted.
        let (status, v) = p.step(
            case,
            Who::Unit,
            json!({"action": "file", "text": "已补充付款凭证"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "filed");
        let (status, v) = p.step(case, Who::Office, json!({"action": "accept"}));
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "closed");
        assert_eq!(v["outcome"], "accepted");
        assert_eq!(v["history"].as_array().unwrap().len(), 5, "{v}");
        assert!(
            p.ids("/api/v1/rectifications?open=true", Who::Unit)
                .is_empty()
        );
        assert_eq!(
            p.ids("/api/v1/rectifications?state=closed", Who::Office),
            [case]
        );

        // The attachment downloads as it was sent, always as a download.
        let res = p.req("GET", &url, Who::Unit).send().unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let h = res.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let disposition = h["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(
            disposition.contains(&format!(
                "filename*=UTF-8''{}",
                probity_web::pages::percent_encode("整改报告（第一稿）.pdf")
            )),
            "{disposition}"
        );
        assert_eq!(res.bytes().unwrap().as_ref(), PDF);
        let (status, _) = p.get(&url, Who::Office);
        assert_eq!(status, StatusCode::OK);
        for who in [Who::Provider, Who::Public] {
            let (status, _) = p.get(&url, who);
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::UNAUTHORIZED,
                "[{name}] {who:?}: {status}"
            );
        }
        let (status, _) = p.get(&format!("{url}9"), Who::Unit);
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[test]
fn a_complaint_is_filed_routed_answered_closed_and_rated() {
    for b in backends("cases_complaint") {
        let name = b.name;
        let p = Platform::start(&b.store);
        let complaint = json!({
            "subject": "新河街道",
            "content": format!("该街道办事处经办人{PERSON}（身份证号 {}）拖欠我公司绿化工程款已逾一年，多次催要无果。", person_id().as_str()),
            "channel": "web",
            "contact": "13800000000",
        });
        let (status, v) = p.post("/api/v1/public/complaints", Who::Public, complaint.clone());
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let no = v["tracking_no"].as_str().unwrap().to_string();
        let query = v["code"].as_str().unwrap().to_string();
        assert!(no.starts_with("TS20260601-"), "{no}");
        assert_eq!(query.len(), 8);
        assert!(
            v.get("case_id").is_none(),
            "the public learns no case id: {v}"
        );

        let status_path = format!("/api/v1/public/complaints/{no}?code={query}");
        let (status, v) = p.get(&status_path, Who::Public);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["tracking_no"], no);
        assert_eq!(v["state"], "open");
        assert_eq!(v["unit"], roster::TOWN);
        assert_eq!(v["may_rate"], false);
        // A wrong code and an unknown number get the same answer.
        let (s1, wrong) = p.get(
            &format!("/api/v1/public/complaints/{no}?code=AAAAAAAA"),
            Who::Public,
        );
        let (s2, unknown) = p.get(
            &format!("/api/v1/public/complaints/TS20260601-9999?code={query}"),
            Who::Public,
        );
        let (s3, bare) = p.get(&format!("/api/v1/public/complaints/{no}"), Who::Public);
        assert_eq!(
            (s1, s2, s3),
            (
                StatusCode::NOT_FOUND,
                StatusCode::NOT_FOUND,
                StatusCode::NOT_FOUND
            )
        );
        assert_eq!(wrong, unknown, "[{name}]");
        assert_eq!(wrong, bare);

        // Every attempt counts against the client, well-formed or not: the fourth is refused.
        let (status, v) = p.post(
            "/api/v1/public/complaints",
            Who::Public,
            json!({"subject": "新河街道"}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "REQUIRED");
        assert!(v["error"]["fields"].as_array().unwrap().len() >= 2, "{v}");
        let (status, v) = p.post("/api/v1/public/complaints", Who::Public, complaint.clone());
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let head = p.head();
        let res = p
            .req("POST", "/api/v1/public/complaints", Who::Public)
            .json(&complaint)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "[{name}]");
        assert!(res.headers().contains_key("retry-after"));
        let (_, v) = Platform::answer(res);
        assert_eq!(code(&v), "RATE_LIMITED");
        assert_eq!(
            p.head(),
            head,
            "[{name}] a refused complaint writes nothing"
        );
        // A system with a token (a hotline's) is not limited; a made-up token is.
        let (status, v) = p.post("/api/v1/public/complaints", Who::Unit, complaint.clone());
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let res = p
            .req("POST", "/api/v1/public/complaints", Who::Public)
            .bearer_auth("pbt_not-a-token")
            .json(&complaint)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        // Staff enter a hotline call, on the credit office's account: not limited either.
        let uscc = b.store.find_unit("新河街道").unwrap().uscc.unwrap();
        let (status, v) = p.post(
            "/api/v1/complaints",
            Who::Office,
            json!({
                "subject": uscc,
                "content": "来电反映该街道未按承诺兑现招商奖励资金。",
                "channel": "hotline",
                "name": "张先生",
                "contact": "022-12345678",
            }),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let hotline = v["case_id"].as_i64().unwrap();
        assert!(v["tracking_no"].is_string() && v["code"].is_string());
        let (_, v) = p.get(&format!("/api/v1/cases/{hotline}"), Who::Office);
        assert_eq!(v["channel"], "hotline");
        assert_eq!(v["contact"], "张先生，022-12345678", "{v}");
        let (status, _) = p.post("/api/v1/complaints", Who::Unit, json!({}));
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The credit office routes the first to the unit, by name.
        let (_, list) = p.get("/api/v1/complaints?state=open", Who::Office);
        let case = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["tracking_no"] == no.as_str())
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        // Before it is routed there, the unit complained about does not see it, and cannot
        // withdraw it as if it were the complainant.
        let (status, _) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        let (status, _) = p.step(
            case,
            Who::Unit,
            json!({"action": "withdraw", "text": "撤回"}),
        );
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        assert!(!p.ids("/api/v1/complaints", Who::Unit).contains(&case));
        let (status, v) = p.step(case, Who::Office, json!({"action": "route"}));
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] a unit is needed: {v}"
        );
        let (status, v) = p.step(
            case,
            Who::Office,
            json!({"action": "route", "unit": "火星街道"}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "SUBJECT_NOT_FOUND");
        let (status, v) = p.step(
            case,
            Who::Office,
            json!({"action": "route", "unit": "新河街道"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "assigned");
        assert_eq!(v["holder"], "新河街道");

        // The unit answers: founded, with its text.
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(v["party"], "assignee", "[{name}] {v}");
        assert!(
            v["contact"].is_null(),
            "the unit does not see the complainant's contact"
        );
        let answer = Platform::actions(&v);
        assert!(answer.contains(&"answer".to_string()), "{answer:?}");
        let (status, v) = p.step(
            case,
            Who::Unit,
            json!({"action": "answer", "text": "经核实，投诉属实"}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "REQUIRED");
        let (status, v) = p.step(
            case,
            Who::Unit,
            json!({"action": "answer", "finding": "founded", "text": format!("经核实，投诉属实，已于6月3日全额支付；经办人{PERSON}（{}）已作检讨", person_id().as_str())}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "answered");
        // The credit office reviews the answer and closes it within 5 working days of its own
        // (Monday 1 June 2026 → Monday 8 June).
        assert_eq!(v["holder"], "信用办", "[{name}] {v}");
        assert_eq!(v["deadline"], "2026-06-08", "[{name}] {v}");
        // Back with the credit office, the unit still reads what it answered, and takes no step:
        // the rating is the complainant's.
        let (status, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["party"], "observer", "[{name}] {v}");
        assert!(Platform::actions(&v).is_empty(), "[{name}] {v}");
        let (status, _) = p.step(case, Who::Unit, json!({"action": "rate", "rating": 5}));
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");

        // The credit office closes it as founded: a draft COMPLAINT_UPHELD record about the unit.
        let (status, v) = p.step(
            case,
            Who::Office,
            json!({"action": "close", "finding": "founded"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "closed");
        assert_eq!(v["outcome"], "founded");
        let draft = v["detail"]["record_draft"]
            .as_i64()
            .expect("the draft's id");
        let (status, drafts) = p.get(
            "/api/v1/records?state=draft&category=COMPLAINT_UPHELD",
            Who::Office,
        );
        assert_eq!(status, StatusCode::OK);
        let drafts = drafts["items"].as_array().unwrap();
        assert_eq!(drafts.len(), 1, "[{name}] {drafts:?}");
        assert_eq!(drafts[0]["id"], draft);
        assert_eq!(drafts[0]["subject_name"], roster::TOWN);

        // The complainant reads the answer, without any staff name, and rates it once.
        let res = p.req("GET", &status_path, Who::Public).send().unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().unwrap();
        for staff in ["c_admin", "c_unit", "c_provider", "admin:", "unit:"] {
            assert!(!text.contains(staff), "[{name}] {staff} in {text}");
        }
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["state"], "closed");
        assert_eq!(v["outcome"], "founded");
        assert_eq!(v["may_rate"], true);
        assert!(
            text.contains("已于6月3日全额支付"),
            "the answer is shown: {text}"
        );
        // The civil servant named in the complaint and in the answer is masked, the ID number
        // blanked, in every text the public view carries.
        assert!(!text.contains(PERSON), "[{name}] {text}");
        assert!(!text.contains(person_id().as_str()), "[{name}] {text}");
        assert!(text.contains("经办人王*"), "[{name}] {text}");
        let rating = format!("/api/v1/public/complaints/{no}/rating");
        let (status, v) = p.post(
            &rating,
            Who::Public,
            json!({"code": "AAAAAAAA", "rating": 5}),
        );
        assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
        let (status, v) = p.post(&rating, Who::Public, json!({"code": query, "rating": 9}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(code(&v), "RATING_INVALID");
        let (status, v) = p.post(
            &rating,
            Who::Public,
            json!({"code": query, "rating": 5, "note": "处理及时"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["rating"], 5);
        assert_eq!(v["may_rate"], false);
        let head = p.head();
        let (status, v) = p.post(&rating, Who::Public, json!({"code": query, "rating": 1}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "RATING_INVALID");
        assert_eq!(p.head(), head);
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Office);
        assert_eq!(v["rating"], 5);
    }
}

#[test]
fn a_member_of_the_public_reports_an_error_on_a_public_record_and_reads_the_answer() {
    for b in backends("cases_correction") {
        let name = b.name;
        let p = Platform::start(&b.store);
        let rec = p.active_record(
            roster::TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕21号",
            "2026-05-06",
        );
        let other = p.active_record(
            roster::OTHER_TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕22号",
            "2026-05-06",
        );
        // A record waiting for review, and an active record about a civil servant kept to
        // government sharing: the public sees neither.
        let civil_servant = |doc: &str, scope: &str| {
            json!({
                "subject_name": PERSON,
                "id_number": person_id().as_str(),
                "category": "PAYMENT_ARREARS",
                "document_no": doc,
                "decided_on": "2026-05-06",
                "authority": roster::FINANCE,
                "facts": "经查，经办人擅自拖延支付工程款",
                "outcome": "责令限期改正",
                "scope": scope,
            })
        };
        let (status, v) = p.post(
            "/api/v1/records",
            Who::Provider,
            civil_servant("津滨财〔2026〕23号", "public"),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let pending = v["id"].as_i64().unwrap();
        let (status, v) = p.post(
            "/api/v1/records",
            Who::Provider,
            civil_servant("津滨财〔2026〕24号", "shared"),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let hidden = v["id"].as_i64().unwrap();
        let (status, v) = p.post(
            &format!("/api/v1/records/{hidden}/activate"),
            Who::Office,
            json!({}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, v) = p.get(&format!("/api/v1/public/records/{rec}"), Who::Public);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["objected"], false);
        for id in [pending, hidden] {
            let (status, _) = p.get(&format!("/api/v1/public/records/{id}"), Who::Public);
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "[{name}] record {id} is not public"
            );
        }
        let reasons = format!(
            "该记录的决定日期有误：决定书落款为2026年5月8日，经办人{PERSON}（{}）可以证明。",
            person_id().as_str()
        );
        let report = |record_id: i64| {
            json!({
                "record_id": record_id,
                "reasons": reasons,
                "name": "李先生",
                "contact": "13900000000",
            })
        };

        // A record the public cannot see reads exactly as one that does not exist; nothing is
        // written. (A caller with a token, as a hotline's system, is not limited per client.)
        let head = p.head();
        let (status, unknown) = p.post("/api/v1/public/corrections", Who::Unit, report(999_999));
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}] {unknown}");
        for id in [pending, hidden] {
            let (status, v) = p.post("/api/v1/public/corrections", Who::Unit, report(id));
            assert_eq!(status, StatusCode::NOT_FOUND, "[{name}] {v}");
            assert_eq!(v, unknown, "[{name}] record {id}");
        }
        assert_eq!(p.head(), head, "[{name}] a refusal changes nothing");
        assert_eq!(p.record_state(pending), "submitted");
        assert_eq!(p.record_state(hidden), "active");

        // Anyone reports an error on the public record: a JC number and a code, once.
        let (status, v) = p.post("/api/v1/public/corrections", Who::Public, report(rec));
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let no = v["tracking_no"].as_str().unwrap().to_string();
        let query = v["code"].as_str().unwrap().to_string();
        assert_eq!(no, "JC20260601-0001", "[{name}]");
        assert_eq!(query.len(), 8);
        assert!(
            v.get("case_id").is_none(),
            "the public learns no case id: {v}"
        );
        // The record is frozen as 异议处理中 on its public page.
        assert_eq!(p.record_state(rec), "objected");
        let (_, v) = p.get(&format!("/api/v1/public/records/{rec}"), Who::Public);
        assert_eq!(v["objected"], true, "[{name}] {v}");
        assert_eq!(v["state_label"], "异议处理中");

        // A second report while the first is open: the objection's conflict, nothing written.
        let head = p.head();
        let (status, v) = p.post("/api/v1/public/corrections", Who::Public, report(rec));
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "RECORD_NOT_OBJECTABLE");
        // No reasons: the field's error (every field's, at once).
        let (status, v) = p.post(
            "/api/v1/public/corrections",
            Who::Public,
            json!({"record_id": other, "contact": "1".repeat(101)}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "REQUIRED");
        let fields: Vec<&str> = v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(fields, ["reasons", "contact"], "[{name}] {v}");
        // The fourth attempt within the hour from this client: 429, whatever it says.
        let res = p
            .req("POST", "/api/v1/public/corrections", Who::Public)
            .json(&report(other))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "[{name}]");
        assert!(res.headers().contains_key("retry-after"));
        let (_, v) = Platform::answer(res);
        assert_eq!(code(&v), "RATE_LIMITED");
        assert_eq!(p.head(), head, "[{name}] a refusal changes nothing");
        assert_eq!(p.record_state(other), "active");

        // The reporter follows it where complaints are followed.
        let status_path = format!("/api/v1/public/complaints/{no}?code={query}");
        let (status, v) = p.get(&status_path, Who::Public);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["tracking_no"], no);
        assert_eq!(v["kind"], "objection");
        assert_eq!(v["kind_label"], "纠错");
        assert_eq!(v["record_id"], rec);
        assert_eq!(v["state"], "open");
        assert_eq!(v["unit"], roster::TOWN);
        assert_eq!(v["deadline"], "2026-06-15");
        assert_eq!(v["may_rate"], false);
        assert_eq!(v["history"][0]["by"], "纠错人");
        let (s1, wrong) = p.get(
            &format!("/api/v1/public/complaints/{no}?code=AAAAAAAA"),
            Who::Public,
        );
        let (s2, unknown) = p.get(
            &format!("/api/v1/public/complaints/JC20260601-9999?code={query}"),
            Who::Public,
        );
        assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        assert_eq!(wrong, unknown, "[{name}]");
        // Its number is not a complaint's: the same code under TS finds nothing either.
        let (s3, _) = p.get(
            &format!(
                "/api/v1/public/complaints/{}?code={query}",
                no.replacen("JC", "TS", 1)
            ),
            Who::Public,
        );
        assert_eq!(s3, StatusCode::NOT_FOUND);

        // The provider sees the case, told by a notification, and the reporter's contact is the
        // credit office's alone.
        let (_, list) = p.get("/api/v1/objections?open=true", Who::Provider);
        let item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["tracking_no"] == no.as_str())
            .unwrap_or_else(|| panic!("[{name}] not listed: {list}"))
            .clone();
        let case = item["id"].as_i64().unwrap();
        assert_eq!(item["record_id"], rec);
        assert_eq!(item["applicant"], "社会公众");
        assert_eq!(item["holder"], "区财政局");
        let (_, v) = p.get("/api/v1/notifications", Who::Provider);
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["case_id"] == case && n["message"].as_str().unwrap().contains(&no)),
            "[{name}] {v}"
        );
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Provider);
        assert_eq!(v["party"], "assignee", "[{name}] {v}");
        assert!(v["contact"].is_null(), "[{name}] {v}");
        assert_eq!(Platform::actions(&v), ["comment", "uphold", "dismiss"]);
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Office);
        assert_eq!(v["contact"], "李先生，13900000000", "[{name}] {v}");

        // The provider dismisses it with written reasons; the record is back in force.
        let answer = format!(
            "经核实，决定书落款日期为2026年5月6日，记录无误，维持公示；经办人{PERSON}（{}）已核对。",
            person_id().as_str()
        );
        let (status, v) = p.step(case, Who::Provider, json!({"action": "dismiss"}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let (status, v) = p.step(
            case,
            Who::Provider,
            json!({"action": "dismiss", "text": answer}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["outcome"], "dismissed");
        assert_eq!(p.record_state(rec), "active");

        // The reporter reads the answer: who answered in the public's words, never a staff
        // account; the civil servant named in the reasons masked.
        let res = p.req("GET", &status_path, Who::Public).send().unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().unwrap();
        for staff in [
            "c_admin",
            "c_unit",
            "c_provider",
            "admin:",
            "provider:",
            "unit:",
        ] {
            assert!(!text.contains(staff), "[{name}] {staff} in {text}");
        }
        assert!(!text.contains(PERSON), "[{name}] {text}");
        assert!(!text.contains(person_id().as_str()), "[{name}] {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["state"], "closed");
        assert_eq!(v["outcome"], "dismissed");
        assert_eq!(v["outcome_label"], "异议不成立");
        assert_eq!(v["may_rate"], false);
        let last = v["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["by"], "报送单位", "[{name}] {v}");
        assert_eq!(last["step"], "驳回异议");
        // The answer as written, the civil servant masked and the ID number blanked.
        assert_eq!(
            last["text"],
            "经核实，决定书落款日期为2026年5月6日，记录无误，维持公示；经办人王*（[身份证号已隐去]）已核对。"
        );
        // Nothing to rate: refused, nothing written.
        let head = p.head();
        let (status, v) = p.post(
            &format!("/api/v1/public/complaints/{no}/rating"),
            Who::Public,
            json!({"code": query, "rating": 5}),
        );
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(p.head(), head);

        // Reported again (by a system with a token), upheld by the credit office: the record is
        // revoked and leaves the public side and the index.
        let (status, v) = p.post("/api/v1/public/corrections", Who::Unit, report(rec));
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let (no2, query2) = (
            v["tracking_no"].as_str().unwrap().to_string(),
            v["code"].as_str().unwrap().to_string(),
        );
        assert_eq!(no2, "JC20260601-0002", "[{name}] the day's serial");
        let (_, list) = p.get("/api/v1/objections?open=true", Who::Office);
        let second = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["tracking_no"] == no2.as_str())
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let (status, v) = p.step(
            second,
            Who::Office,
            json!({"action": "uphold", "text": "经与决定机关核对，记录日期确有错误，予以撤销。"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(p.record_state(rec), "revoked");
        let (status, _) = p.get(&format!("/api/v1/public/records/{rec}"), Who::Public);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        p.catch_up();
        let (_, v) = p.get("/api/v1/public/search?browse=1", Who::Public);
        assert!(
            !v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["type"] == "record" && i["id"] == rec),
            "[{name}] the revoked record left the index: {v}"
        );
        let (_, v) = p.get(
            &format!("/api/v1/public/complaints/{no2}?code={query2}"),
            Who::Public,
        );
        assert_eq!(v["outcome_label"], "异议成立", "[{name}] {v}");
        let last = v["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["by"], "信用办");
        assert_eq!(
            last["text"],
            "经与决定机关核对，记录日期确有错误，予以撤销。"
        );
    }
}

#[test]
fn the_deadline_clock_marks_cases_and_notifies_their_holders() {
    for b in backends("cases_clock") {
        let name = b.name;
        let p = Platform::start(&b.store);
        p.active_record(
            roster::TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕41号",
            "2026-05-20",
        );
        let case = p.ids("/api/v1/rectifications", Who::Unit)[0];
        let (status, v) = p.get("/api/v1/notifications", Who::Unit);
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["unread"], 1, "[{name}] the case's opening: {v}");
        assert_eq!(v["items"][0]["case_id"], case);
        assert_eq!(v["items"][0]["case_url"], format!("/api/v1/cases/{case}"));
        let (status, v) = p.post("/api/v1/notifications/read", Who::Unit, json!({}));
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["unread"], 0);

        // Thursday 11 June: two working days left of the 15 June deadline.
        p.set_day("2026-06-11");
        let report = probity_app::tick::run(&p.app, day("2026-06-11")).unwrap();
        assert_eq!(report.cases.due_soon, 1, "[{name}] {report:?}");
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(v["due"], "due_soon");
        assert_eq!(v["days_left"], 2);
        assert_eq!(v["due_label"], "即将到期（剩余 2 个工作日）");
        let (_, v) = p.get("/api/v1/notifications", Who::Unit);
        assert_eq!(v["unread"], 1, "[{name}] {v}");
        assert!(
            v["items"][0]["message"]
                .as_str()
                .unwrap()
                .contains("即将到期"),
            "{v}"
        );
        assert_eq!(
            p.ids("/api/v1/rectifications?due=due_soon", Who::Office),
            [case]
        );

        // Wednesday 17 June: overdue; the unit is told, the credit office too (督办).
        p.set_day("2026-06-17");
        let report = probity_app::tick::run(&p.app, day("2026-06-17")).unwrap();
        assert_eq!(report.cases.overdue, 1, "[{name}] {report:?}");
        let again = probity_app::tick::run(&p.app, day("2026-06-17")).unwrap();
        assert_eq!(
            (again.cases.due_soon, again.cases.overdue),
            (0, 0),
            "twice changes nothing"
        );
        let (_, v) = p.get(&format!("/api/v1/cases/{case}"), Who::Unit);
        assert_eq!(v["due"], "overdue");
        assert_eq!(v["days_over"], 2);
        assert_eq!(v["overdue_ever"], true);
        let (_, v) = p.get("/api/v1/notifications", Who::Unit);
        assert_eq!(v["unread"], 2, "[{name}] {v}");
        assert!(
            v["items"][0]["message"]
                .as_str()
                .unwrap()
                .contains("已逾期"),
            "{v}"
        );
        let (_, office) = p.get("/api/v1/notifications", Who::Office);
        assert!(
            office["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["message"].as_str().unwrap().contains("逾期督办")),
            "[{name}] {office}"
        );
        assert_eq!(p.ids("/api/v1/cases?due=overdue", Who::Unit), [case]);

        // Marking one read drops the count by one; marking all, to none.
        let newest = v["items"][0]["id"].as_i64().unwrap();
        let (_, r) = p.post(
            "/api/v1/notifications/read",
            Who::Unit,
            json!({"ids": [newest]}),
        );
        assert_eq!(
            (r["marked"].as_u64(), r["unread"].as_i64()),
            (Some(1), Some(1)),
            "{r}"
        );
        let (_, v) = p.get("/api/v1/notifications", Who::Unit);
        assert_eq!(v["unread"], 1);
        assert_eq!(v["items"][0]["read"], true);
        let (_, r) = p.post("/api/v1/notifications/read", Who::Unit, json!({"ids": []}));
        assert_eq!(r["unread"], 0, "{r}");
        // The credit office's count is its own.
        let (_, office) = p.get("/api/v1/notifications", Who::Office);
        assert!(office["unread"].as_i64().unwrap() >= 1, "{office}");
    }
}

#[test]
fn the_credit_office_sets_the_deadlines_and_new_cases_count_on_them() {
    for b in backends("cases_deadlines") {
        let name = b.name;
        let p = Platform::start(&b.store);
        // Everyone working cases reads them: the rules' defaults until the office saves its own.
        let (status, v) = p.get("/api/v1/case-deadlines", Who::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["deadlines"]["objection_days"], 10);
        assert_eq!(v["deadlines"]["repair_grave_months"], 12);
        assert!(v["saved_at"].is_null(), "[{name}] {v}");
        let mut body = v["deadlines"].clone();

        // Refusals change nothing: a provider; every wrong number at once, each at its field; a
        // missing key; an unknown one.
        body["objection_days"] = json!(15);
        let put = |who: Who, body: &Value| {
            Platform::answer(
                p.req("PUT", "/api/v1/case-deadlines", who)
                    .json(body)
                    .send()
                    .unwrap(),
            )
        };
        // (The authorisation table journals its own refusal.)
        let (status, v) = put(Who::Provider, &body);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        let head = p.head();
        let mut bad = body.clone();
        bad["complaint_answer_days"] = json!(0);
        bad["repair_ordinary_months"] = json!(13);
        let (status, v) = put(Who::Office, &bad);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "DEADLINES_INVALID", "[{name}] {v}");
        let text = v.to_string();
        assert!(
            text.contains("投诉答复期限应在 1 至 250 个工作日之间"),
            "[{name}] {v}"
        );
        assert!(text.contains("随严重程度递增"), "[{name}] {v}");
        let mut missing = body.clone();
        missing.as_object_mut().unwrap().remove("due_soon_days");
        let (status, v) = put(Who::Office, &missing);
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        let mut unknown = body.clone();
        unknown["objection_dayz"] = json!(3);
        let (status, v) = put(Who::Office, &unknown);
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        assert_eq!(p.head(), head, "[{name}] a refusal changes nothing");

        // Saved, journaled once; the same values again change nothing.
        let (status, v) = put(Who::Office, &body);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["changed"], true);
        assert_eq!(v["deadlines"]["objection_days"], 15);
        assert!(v["saved_at"].is_string(), "[{name}] {v}");
        assert_eq!(p.head(), head + 1, "[{name}] one journal entry");
        let (status, v) = put(Who::Office, &body);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["changed"], false);
        assert_eq!(p.head(), head + 1, "[{name}] nothing new to journal");

        // A new objection counts 15 working days from Monday 1 June 2026 (端午节 on Friday 19
        // June is a day off).
        let rec = p.active_record(
            roster::TOWN,
            "PAYMENT_ARREARS",
            "津滨财〔2026〕31号",
            "2026-05-06",
        );
        let (status, v) = p.post(
            "/api/v1/objections",
            Who::Unit,
            json!({"record_id": rec, "reasons": "该款项已支付"}),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        assert_eq!(v["deadline"], "2026-06-23", "[{name}] {v}");
        assert_eq!(v["days_left"], 15);
    }
}

#[test]
fn the_openapi_description_lists_the_case_routes() {
    let b = backends("cases_openapi").remove(0);
    let p = Platform::start(&b.store);
    let (status, v) = p.get("/openapi.json", Who::Public);
    assert_eq!(status, StatusCode::OK);
    let paths = v["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/cases", &["get"][..]),
        ("/api/v1/cases/{id}", &["get"]),
        ("/api/v1/cases/{id}/steps", &["post"]),
        ("/api/v1/cases/{id}/attachments/{file}", &["get"]),
        ("/api/v1/objections", &["get", "post"]),
        ("/api/v1/repairs", &["get", "post"]),
        ("/api/v1/rectifications", &["get"]),
        ("/api/v1/complaints", &["get", "post"]),
        ("/api/v1/notifications", &["get"]),
        ("/api/v1/notifications/read", &["post"]),
        ("/api/v1/case-deadlines", &["get", "put"]),
        ("/api/v1/public/complaints", &["post"]),
        ("/api/v1/public/complaints/{tracking_no}", &["get"]),
        ("/api/v1/public/complaints/{tracking_no}/rating", &["post"]),
        ("/api/v1/public/corrections", &["post"]),
    ] {
        for m in methods {
            assert!(paths[path][m].is_object(), "{m} {path} missing");
        }
    }
    let step = &paths["/api/v1/cases/{id}/steps"]["post"]["requestBody"]["content"];
    assert!(step["application/json"].is_object() && step["multipart/form-data"].is_object());
    assert_eq!(paths["/api/v1/cases"]["get"]["tags"][0], "cases");
}
