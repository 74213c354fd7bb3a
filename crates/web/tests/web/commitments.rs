//! The procurement contracts registry (守信践诺: 政府采购合同履约) over HTTP, on SQLite and
//! PostgreSQL, against a real server: contracts and payments imported through the API by the
//! credit office and 区财政局 (refused for a unit, the 组织人事部门 and another department), every
//! rejected row reported; the worked example of the 保障中小企业款项支付条例 read as of two days
//! (overdue, then broken, with its interest); a unit seeing only its own contracts; the payment
//! rule refused with every problem at once; and the pages: the list in Chinese without a code,
//! filtered and counted, one contract with its payments, the workbook, the import form with
//! every rejected row, the rule form with its problems at their fields.

use std::collections::BTreeSet;

use probity_domain::account::AccountRole;
use probity_ingest::{ColumnSpec, TableReader};
use probity_store::Store;
use probity_testkit::browser::between;
use probity_testkit::{Accounts, Browser, backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::{
    Served, app_on_day, browser_on_clock, client_without_redirects, day, empty_index, json_of,
    session, with_session,
};

/// The day the server's clock stands on.
const TODAY: &str = "2026-06-01";

/// The contracts: the worked example (区财政局 buys for 1,000,000 元, delivered 2024-01-20, no
/// term agreed: due 2024-02-19), a township's contract paid on time, another township's, and
/// two rows with problems (row 5: an amount and a term; row 6: a purchaser not on the roster).
const CONTRACTS: &str = "\
采购单位,合同编号,合同名称,供应商,供应商统一社会信用代码,是否中小企业,合同金额（元）,交付或验收日期,付款期限（日）,约定逾期利率（日）
区财政局,BH-2024-001,办公设备采购,天津市滨海新区海河科技有限公司,,是,1000000,2024-01-20,,
新河街道,XH-2024-007,街道环境整治服务,天津市津南环境服务有限公司,,是,\"200,000.00\",2024-02-01,45,万分之三
大沽街道,DG-2024-002,社区活动中心修缮,天津市大沽建筑工程有限公司,,否,50000,2024-03-01,30,
区财政局,BH-2024-002,档案数字化服务,天津市数据服务有限公司,,是,-5,2024-01-10,90,
区不存在局,ZZ-2024-001,会议服务,天津市会务有限公司,,是,1000,2024-01-10,,
";

/// The payments: 400,000 元 of the worked example on 2024-03-05 (15 days late), the township's
/// contract paid in full on time, and a payment of a contract the registry does not hold.
const PAYMENTS: &str = "\
合同编号,付款日期,付款金额（元）,采购单位,付款凭证号
BH-2024-001,2024-03-05,400000,区财政局,PZ-001
XH-2024-007,2024-02-20,200000,新河街道,PZ-002
NOPE-404,2024-03-01,100,,
";

/// The platform on a fixed clock with the accounts that act on the registry.
struct Registry {
    base: String,
    client: reqwest::blocking::Client,
    app: probity_app::App,
    store: Store,
    accounts: Accounts,
    admin: (String, String),
    court_token: String,
    _server: Served,
}

impl Registry {
    fn start(store: &Store) -> Registry {
        roster::binhai(store);
        let roles = [
            AccountRole::Admin,
            AccountRole::Provider,
            AccountRole::Unit,
            AccountRole::Hr,
        ];
        let accounts = Accounts::create(store, "m", &roles).with_credentials(
            store,
            &[AccountRole::Provider, AccountRole::Unit, AccountRole::Hr],
        );
        // The court: a providing department that does not keep the registry.
        let court = store.find_unit("区法院").unwrap().id;
        let clerk = store
            .create_account(
                "m_court",
                AccountRole::Provider,
                Some(court),
                probity_testkit::PASSWORD,
                "test",
            )
            .unwrap();
        let court_token = store.issue_token(clerk.id, "test", "test").unwrap().1;
        let app = app_on_day(store, TODAY);
        let server = Served::start(&app, empty_index());
        let admin = session(store, &app, &accounts, AccountRole::Admin);
        Registry {
            base: server.base.clone(),
            client: client_without_redirects(),
            app,
            store: store.clone(),
            accounts,
            admin,
            court_token,
            _server: server,
        }
    }

    /// A request as `role` (the credit office with its session, the others with their token),
    /// or as the court's provider account when `role` is `None`.
    fn req(
        &self,
        method: &str,
        path: &str,
        role: Option<AccountRole>,
    ) -> reqwest::blocking::RequestBuilder {
        let url = format!("{}{path}", self.base);
        let b = match method {
            "GET" => self.client.get(url),
            "PUT" => self.client.put(url),
            _ => self.client.post(url),
        };
        match role {
            Some(AccountRole::Admin) => with_session(b, &self.admin),
            Some(r) => b.bearer_auth(self.accounts.token(r)),
            None => b.bearer_auth(&self.court_token),
        }
    }

    fn get(&self, path: &str, role: AccountRole) -> (StatusCode, Value) {
        json_of(self.req("GET", path, Some(role)).send().unwrap())
    }

    fn import(&self, kind: &str, csv: &str, role: Option<AccountRole>) -> (StatusCode, Value) {
        json_of(
            self.req(
                "POST",
                &format!("/api/v1/commitments/import?kind={kind}&filename=合同.csv"),
                role,
            )
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .unwrap(),
        )
    }

    /// A browser with a session of `role`'s account on the platform's clock.
    fn browser(&self, role: AccountRole) -> Browser {
        browser_on_clock(&self.base, &self.store, &self.app, &self.accounts, role)
    }

    /// Contracts and payments imported by the credit office, checked.
    fn load(&self) {
        let (status, v) = self.import("procurement", CONTRACTS, Some(AccountRole::Admin));
        assert_eq!(status, StatusCode::OK, "{v}");
        let (status, v) = self.import("payments", PAYMENTS, Some(AccountRole::Admin));
        assert_eq!(status, StatusCode::OK, "{v}");
    }

    /// The contract numbered `no` in a list answer.
    fn item<'a>(v: &'a Value, no: &str) -> &'a Value {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["contract_no"] == no)
            .unwrap_or_else(|| panic!("{no} not in {v}"))
    }

    fn id_of(&self, no: &str) -> i64 {
        let (_, v) = self.get(&format!("/api/v1/commitments?q={no}"), AccountRole::Admin);
        Registry::item(&v, no)["id"].as_i64().unwrap()
    }
}

/// The contract numbers of a list answer.
fn numbers(v: &Value) -> BTreeSet<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
        .iter()
        .map(|i| i["contract_no"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn contracts_and_payments_are_imported_by_the_keepers_with_every_rejected_row() {
    for b in backends("commitments") {
        let name = b.name;
        let r = Registry::start(&b.store);

        // Neither a unit, nor the 组织人事部门, nor another department imports: nothing is kept.
        for role in [AccountRole::Unit, AccountRole::Hr] {
            let (status, v) = r.import("procurement", CONTRACTS, Some(role));
            assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {role:?} {v}");
        }
        let (status, v) = r.import("procurement", CONTRACTS, None);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        assert_eq!(v["error"]["code"], "FORBIDDEN", "[{name}] {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("区财政局"),
            "[{name}] {v}"
        );
        let (_, v) = r.get("/api/v1/commitments", AccountRole::Admin);
        assert_eq!(v["total"], 0, "[{name}] {v}");

        // A kind the import does not know.
        let (status, v) = r.import("leases", CONTRACTS, Some(AccountRole::Admin));
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        assert_eq!(v["error"]["code"], "KIND_INVALID");

        // The credit office: three contracts in, two rows refused with every fault.
        let (status, v) = r.import("procurement", CONTRACTS, Some(AccountRole::Admin));
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["kind"], "procurement");
        assert_eq!(v["accepted"], 3, "[{name}] {v}");
        assert_eq!(v["rejected"], 2, "[{name}] {v}");
        let errors = v["errors"].as_array().unwrap();
        let at = |row: u64, column: &str| {
            errors
                .iter()
                .find(|e| e["row"] == row && e["column"] == column)
                .unwrap_or_else(|| panic!("[{name}] no fault at row {row} {column}: {v}"))
        };
        assert_eq!(at(5, "amount")["code"], "AMOUNT_INVALID");
        assert_eq!(at(5, "amount")["header"], "合同金额（元）");
        assert_eq!(at(5, "payment_days")["code"], "PAYMENT_TERM_TOO_LONG");
        assert!(
            at(5, "payment_days")["message"]
                .as_str()
                .unwrap()
                .contains("超过条例允许的最长 60 日")
        );
        assert_eq!(at(6, "purchaser")["code"], "SUBJECT_NOT_FOUND");

        // Sent again: nothing new.
        let (_, v) = r.import("procurement", CONTRACTS, Some(AccountRole::Admin));
        assert_eq!(v["accepted"], 0, "[{name}] {v}");
        assert_eq!(v["duplicates"], 3, "[{name}] {v}");

        // 区财政局's provider account imports the payments: one refused.
        let (status, v) = r.import("payments", PAYMENTS, Some(AccountRole::Provider));
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["kind"], "payments");
        assert_eq!(v["accepted"], 2, "[{name}] {v}");
        assert_eq!(v["rejected"], 1, "[{name}] {v}");
        assert_eq!(v["errors"][0]["row"], 4, "[{name}] {v}");
        assert_eq!(v["errors"][0]["code"], "CONTRACT_UNKNOWN", "[{name}] {v}");
        assert!(b.store.verify().unwrap().problem.is_none(), "[{name}]");
    }
}

#[test]
fn the_worked_example_is_overdue_then_broken_with_its_interest() {
    for b in backends("commitments") {
        let name = b.name;
        let r = Registry::start(&b.store);
        r.load();

        let (status, v) = r.get(
            "/api/v1/commitments?kind=procurement&state=overdue&today=2024-03-20",
            AccountRole::Admin,
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["today"], "2024-03-20");
        assert_eq!(numbers(&v), BTreeSet::from(["BH-2024-001".to_string()]));
        let c = Registry::item(&v, "BH-2024-001");
        assert_eq!(
            c["purchaser"],
            roster::FINANCE,
            "[{name}] a name, never an id"
        );
        assert_eq!(c["due_on"], "2024-02-19");
        assert_eq!(c["payment_days"], 30);
        assert_eq!(c["paid"], "400000.00");
        assert_eq!(c["unpaid"], "600000.00");
        assert_eq!(c["overdue_days"], 30);
        assert_eq!(c["daily_rate"], "0.05%");
        // 400,000 × 15 days + 600,000 × 30 days, at 0.05% a day.
        assert_eq!(c["interest"], "12000.00");
        assert_eq!(c["state"], "overdue");
        assert_eq!(c["state_label"], "已逾期");
        assert_eq!(v["total"], 1);

        // A day later the grace (30 days) has passed: broken.
        let (_, v) = r.get(
            "/api/v1/commitments?state=broken&today=2024-03-21",
            AccountRole::Admin,
        );
        let c = Registry::item(&v, "BH-2024-001");
        assert_eq!(c["state"], "broken", "[{name}] {c}");
        assert_eq!(c["state_label"], "违约");
        assert_eq!(c["overdue_days"], 31);
        assert_eq!(c["interest"], "12300.00");

        // The township's contract was paid in full before it was due; the other township's
        // is not due yet (30 days from 2024-03-01).
        let (_, v) = r.get(
            "/api/v1/commitments?state=kept&today=2024-03-20",
            AccountRole::Admin,
        );
        assert_eq!(numbers(&v), BTreeSet::from(["XH-2024-007".to_string()]));
        assert_eq!(Registry::item(&v, "XH-2024-007")["daily_rate"], "0.03%");
        let (_, v) = r.get("/api/v1/commitments?today=2024-03-20", AccountRole::Admin);
        assert_eq!(v["total"], 3, "[{name}] {v}");
        assert_eq!(
            Registry::item(&v, "DG-2024-002")["state"],
            "open",
            "[{name}] {v}"
        );
        // The Chinese label filters as the code does; words find the title.
        let (_, v) = r.get(
            "/api/v1/commitments?state=%E5%B7%B2%E9%80%BE%E6%9C%9F&today=2024-03-20",
            AccountRole::Admin,
        );
        assert_eq!(numbers(&v), BTreeSet::from(["BH-2024-001".to_string()]));
        let (_, v) = r.get(
            "/api/v1/commitments?q=%E6%A1%A3%E6%A1%88",
            AccountRole::Admin,
        );
        assert_eq!(v["total"], 0, "[{name}] the refused row was not kept: {v}");
        // Paging.
        let (_, v) = r.get("/api/v1/commitments?per_page=2&page=2", AccountRole::Admin);
        assert_eq!(
            (v["total"].as_i64(), v["items"].as_array().map(Vec::len)),
            (Some(3), Some(1))
        );

        // One contract with its payments.
        let id = r.id_of("BH-2024-001");
        let (status, v) = r.get(&format!("/api/v1/commitments/{id}"), AccountRole::Provider);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["payments"][0]["paid_on"], "2024-03-05");
        assert_eq!(v["payments"][0]["amount"], "400000.00");
        assert_eq!(v["payments"][0]["voucher_no"], "PZ-001");
        assert_eq!(v["payment_count"], 1);
        assert_eq!(v["as_of"], TODAY);
        assert_eq!(v["state"], "broken");
        assert_eq!(v["rate_agreed"], false);
        assert_eq!(v["grace_days"], 30);

        // Bad filters: a stable code and a Chinese message.
        for (path, code) in [
            ("/api/v1/commitments?state=late", "STATE_INVALID"),
            ("/api/v1/commitments?kind=lease", "KIND_INVALID"),
            ("/api/v1/commitments?today=yesterday", "QUERY_INVALID"),
            ("/api/v1/commitments?per_page=501", "QUERY_INVALID"),
        ] {
            let (status, v) = r.get(path, AccountRole::Admin);
            assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {path} {v}");
            assert_eq!(v["error"]["code"], code, "[{name}] {path}");
            assert!(
                !v["error"]["message"].as_str().unwrap().is_ascii(),
                "[{name}] {v}"
            );
        }
        let (_, v) = r.get("/api/v1/commitments?state=late", AccountRole::Admin);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("overdue（已逾期）"),
            "{v}"
        );
        // A purchaser the roster does not know.
        let (status, v) = r.get(
            "/api/v1/commitments?owner=%E6%97%A0%E6%AD%A4%E5%8D%95%E4%BD%8D",
            AccountRole::Admin,
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let (_, v) = r.get(
            "/api/v1/commitments?owner=%E6%96%B0%E6%B2%B3%E8%A1%97%E9%81%93",
            AccountRole::Admin,
        );
        assert_eq!(numbers(&v), BTreeSet::from(["XH-2024-007".to_string()]));
    }
}

#[test]
fn a_unit_sees_only_its_own_contracts() {
    for b in backends("commitments") {
        let name = b.name;
        let r = Registry::start(&b.store);
        r.load();

        // 新河街道's account: its own contract, whatever the filter asks.
        let (status, v) = r.get("/api/v1/commitments", AccountRole::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(numbers(&v), BTreeSet::from(["XH-2024-007".to_string()]));
        assert_eq!(v["total"], 1);
        let (_, v) = r.get(
            "/api/v1/commitments?owner=%E5%8C%BA%E8%B4%A2%E6%94%BF%E5%B1%80",
            AccountRole::Unit,
        );
        assert_eq!(numbers(&v), BTreeSet::from(["XH-2024-007".to_string()]));
        let other = r.id_of("BH-2024-001");
        let (status, _) = r.get(&format!("/api/v1/commitments/{other}"), AccountRole::Unit);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        let own = r.id_of("XH-2024-007");
        let (status, v) = r.get(&format!("/api/v1/commitments/{own}"), AccountRole::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "kept");

        // The court, a providing department, is purchaser of none.
        let (_, v) = json_of(r.req("GET", "/api/v1/commitments", None).send().unwrap());
        assert_eq!(v["total"], 0, "[{name}] {v}");
        // 区财政局 sees every purchaser's; the 组织人事部门 none.
        let (_, v) = r.get("/api/v1/commitments", AccountRole::Provider);
        assert_eq!(v["total"], 3, "[{name}] {v}");
        let (status, _) = r.get("/api/v1/commitments", AccountRole::Hr);
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The pages: the unit's list has its contract only, and no purchaser filter.
        let mut unit = r.browser(AccountRole::Unit);
        let p = unit.get("/console/commitments?today=2024-03-20");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("XH-2024-007") && !p.body.contains("BH-2024-001"));
        assert!(!p.body.contains("name=\"owner\""), "[{name}]");
        assert!(
            p.body.contains("本单位采购合同"),
            "[{name}] the title and the nav"
        );
        assert_eq!(
            unit.get(&format!("/console/commitments/{other}")).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            unit.get("/console/commitments/import").status,
            StatusCode::FORBIDDEN
        );
        // Its workbook: its own contract.
        let res = unit
            .request(reqwest::Method::GET, "/console/commitments.xlsx")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let rows = workbook(&res.bytes().unwrap());
        assert_eq!(rows.len(), 1, "[{name}] {rows:?}");
        assert_eq!(rows[0][0], "XH-2024-007");
    }
}

#[test]
fn the_payment_rule_is_refused_with_every_problem_at_once() {
    for b in backends("commitments") {
        let name = b.name;
        let r = Registry::start(&b.store);
        let (status, v) = r.get("/api/v1/commitments/payment-rule", AccountRole::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(
            v,
            json!({"default_days": 30, "max_days": 60, "default_daily_rate": "0.05%",
                   "grace_days": 30, "warn_working_days": 5, "changed": false})
        );

        let put = |role: Option<AccountRole>, body: Value| {
            json_of(
                r.req("PUT", "/api/v1/commitments/payment-rule", role)
                    .json(&body)
                    .send()
                    .unwrap(),
            )
        };
        let head = b.store.head_seq().unwrap();
        let (status, v) = put(
            Some(AccountRole::Admin),
            json!({"default_days": 90, "max_days": 60, "default_daily_rate": "2%",
                   "grace_days": -3, "warn_working_days": 70}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let fields: Vec<&str> = v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "default_days",
                "default_daily_rate",
                "grace_days",
                "warn_working_days"
            ],
            "[{name}] {v}"
        );
        assert!(
            v["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| !f["message"].as_str().unwrap().is_ascii()),
            "[{name}] {v}"
        );
        let (status, v) = put(Some(AccountRole::Admin), json!({}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(v["error"]["fields"].as_array().unwrap().len(), 5, "{v}");
        let (status, v) = put(Some(AccountRole::Admin), json!({"grace": 3}));
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] unknown key: {v}");
        assert_eq!(b.store.head_seq().unwrap(), head, "[{name}] nothing saved");

        let good = json!({"default_days": 30, "max_days": 60, "default_daily_rate": "万分之五",
                          "grace_days": 15, "warn_working_days": 5});
        // Neither a unit nor another department sets it.
        let (status, _) = put(Some(AccountRole::Unit), good.clone());
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, v) = put(None, good.clone());
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        // 区财政局 does.
        let (status, v) = put(Some(AccountRole::Provider), good.clone());
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["changed"], true);
        assert_eq!(v["grace_days"], 15);
        assert_eq!(v["default_daily_rate"], "0.05%");
        let (_, v) = put(Some(AccountRole::Provider), good);
        assert_eq!(v["changed"], false, "[{name}] {v}");
        let (_, v) = r.get("/api/v1/commitments/payment-rule", AccountRole::Admin);
        assert_eq!(v["grace_days"], 15, "[{name}] {v}");

        // The worked example under the shorter grace: broken at 16 days overdue.
        r.load();
        let (_, v) = r.get(
            "/api/v1/commitments?state=broken&today=2024-03-20",
            AccountRole::Admin,
        );
        assert_eq!(numbers(&v), BTreeSet::from(["BH-2024-001".to_string()]));
    }
}

/// The rows of a workbook of the list, read with the platform's reader (calamine).
fn workbook(bytes: &[u8]) -> Vec<Vec<String>> {
    const HEADERS: [&str; 18] = [
        "合同编号",
        "合同名称",
        "采购单位",
        "供应商",
        "供应商统一社会信用代码",
        "是否中小企业",
        "合同金额（元）",
        "交付或验收日期",
        "付款期限（日）",
        "应付日期",
        "已付金额（元）",
        "未付金额（元）",
        "逾期天数",
        "逾期利率（日）",
        "逾期利息（元）",
        "状态",
        "失信记录编号",
        "截至日期",
    ];
    let columns: Vec<ColumnSpec> = HEADERS
        .iter()
        .map(|h| ColumnSpec::new(h, h, true))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("采购合同.xlsx");
    std::fs::write(&path, bytes).unwrap();
    TableReader::open(&path, &columns)
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect()
}

/// The text a person reads on a page: the body without its tags.
fn visible_text(html: &str) -> String {
    let body = html.split("<body>").nth(1).unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Codes that must never reach a page.
const CODES: [&str; 6] = [
    "overdue",
    "due_soon",
    "broken",
    "PAYMENT_ARREARS",
    "AMOUNT_INVALID",
    "SUBJECT_NOT_FOUND",
];

fn no_codes(name: &str, html: &str) {
    let text = visible_text(html);
    for code in CODES {
        assert!(!text.contains(code), "[{name}] {code} shown: {text}");
        assert!(!html.contains(code), "[{name}] {code} in the HTML: {html}");
    }
}

#[test]
fn the_pages_show_the_registry_in_chinese() {
    for b in backends("commitments") {
        let name = b.name;
        let r = Registry::start(&b.store);
        r.load();
        // The clock drafts the arrears past the grace as a record about the purchaser.
        let report = probity_app::commitments::clock(&r.app, day("2024-03-21")).unwrap();
        assert_eq!(report.drafted, 1, "[{name}] {report:?}");
        let mut office = r.browser(AccountRole::Admin);

        let p = office.get("/console");
        assert!(
            p.body
                .contains(r#"href="/console/commitments">采购合同履约</a>"#),
            "[{name}] in the nav"
        );
        let p = office.get("/console/commitments?today=2024-03-20");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        no_codes(name, &p.body);
        for shown in [
            "BH-2024-001",
            roster::FINANCE,
            roster::TOWN,
            "天津市滨海新区海河科技有限公司",
            "1,000,000.00",
            "2024-02-19",
            "600,000.00",
            "12,000.00",
            "已逾期",
            "按期履行",
            "履行中",
            "导出 Excel",
            "截至 2024-03-20",
            "拖欠企业账款",
        ] {
            assert!(p.body.contains(shown), "[{name}] {shown}: {}", p.body);
        }
        assert!(
            p.body.contains("已逾期 1"),
            "[{name}] the counts: {}",
            p.body
        );
        assert!(p.body.contains("全部 3"), "[{name}] {}", p.body);
        let record: i64 = between(&p.body, "失信记录 #", "<")
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            p.body.contains(&format!(
                "<a href=\"/console/records/{record}\">失信记录 #{record}</a>"
            )),
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("class=\"printonly\""),
            "[{name}] print view"
        );

        // Filtered by a state (its Chinese label), by purchaser, and paged.
        let p =
            office.get("/console/commitments?state=%E5%B7%B2%E9%80%BE%E6%9C%9F&today=2024-03-20");
        assert!(
            p.body.contains("BH-2024-001") && !p.body.contains("XH-2024-007"),
            "[{name}]"
        );
        assert!(
            p.body
                .contains("<option value=\"已逾期\" selected>已逾期</option>"),
            "[{name}]"
        );
        assert!(
            p.body.contains("href=\"/console/commitments.xlsx?state=%E5%B7%B2%E9%80%BE%E6%9C%9F&#38;today=2024-03-20\""),
            "[{name}] the export keeps the filters: {}",
            p.body
        );
        let p = office.get("/console/commitments?owner=%E6%96%B0%E6%B2%B3%E8%A1%97%E9%81%93");
        assert!(
            p.body.contains("XH-2024-007") && !p.body.contains("BH-2024-001"),
            "[{name}]"
        );
        let p = office.get("/console/commitments?owner=%E6%97%A0%E6%AD%A4%E5%8D%95%E4%BD%8D");
        assert_eq!(p.status, StatusCode::OK, "[{name}]");
        assert!(p.body.contains("不在主体名录中"), "[{name}] {}", p.body);
        let p = office.get("/console/commitments?state=late");
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{name}]");

        // One contract, as of the day the list was read.
        let id = r.id_of("BH-2024-001");
        let p = office.get(&format!("/console/commitments/{id}?today=2024-03-20"));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        no_codes(name, &p.body);
        for shown in [
            "采购合同 BH-2024-001",
            "截至 2024-03-20 的履约情况",
            "已逾期",
            "400,000.00",
            "600,000.00",
            "30 日",
            "12,000.00",
            "每日 0.05%（合同未约定，按付款规则的默认利率）",
            "2024-03-05",
            "PZ-001",
            "合同.csv",
        ] {
            assert!(p.body.contains(shown), "[{name}] {shown}: {}", p.body);
        }
        assert!(
            p.body
                .contains(&format!("href=\"/console/records/{record}\"")),
            "[{name}]"
        );
        // Today (2026): broken, and still the same payments.
        let p = office.get(&format!("/console/commitments/{id}"));
        assert!(
            p.body.contains("违约") && p.body.contains("PZ-001"),
            "[{name}]"
        );
        assert_eq!(
            office.get("/console/commitments/999999").status,
            StatusCode::NOT_FOUND
        );

        // The workbook: every contract as of the day, in words.
        let res = office
            .request(
                reqwest::Method::GET,
                "/console/commitments.xlsx?today=2024-03-20",
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let rows = workbook(&res.bytes().unwrap());
        assert_eq!(rows.len(), 3, "[{name}] {rows:?}");
        let bh = rows.iter().find(|r| r[0] == "BH-2024-001").unwrap();
        assert_eq!(bh[2], roster::FINANCE);
        assert_eq!(bh[11], "600000.00");
        assert_eq!(bh[12], "30");
        assert_eq!(bh[14], "12000.00");
        assert_eq!(bh[15], "已逾期");
        assert_eq!(bh[16], record.to_string());
        assert_eq!(bh[17], "2024-03-20");
    }
}

#[test]
fn the_import_and_rule_forms_show_every_problem() {
    for b in backends("commitments") {
        let name = b.name;
        let r = Registry::start(&b.store);
        let mut finance = r.browser(AccountRole::Provider);

        let p = finance.get("/console/commitments/import");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body.contains("<strong>合同金额（元）</strong>"),
            "[{name}]"
        );
        let csrf = p.csrf();
        let p = finance.post_file(
            "/console/commitments/import",
            &[("csrf", &csrf), ("kind", "contracts")],
            ("采购合同.csv", CONTRACTS.as_bytes()),
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        no_codes(name, &p.body);
        assert!(
            p.body.contains("新登记 3 行") && p.body.contains("有问题未登记 2 行"),
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("导入结果：采购合同（采购合同.csv）"),
            "[{name}]"
        );
        // Every fault of every rejected row, by row and column.
        for shown in [
            "<td>第 5 行</td><td>合同金额（元）</td>",
            "<td>第 5 行</td><td>付款期限（日）</td>",
            "<td>第 6 行</td><td>采购单位</td>",
            "采购单位“区不存在局”不在主体名录中",
        ] {
            assert!(p.body.contains(shown), "[{name}] {shown}: {}", p.body);
        }
        let p = finance.post_file(
            "/console/commitments/import",
            &[("csrf", &csrf), ("kind", "payments")],
            ("付款.csv", PAYMENTS.as_bytes()),
        );
        assert!(p.body.contains("新登记 2 行"), "[{name}] {}", p.body);
        assert!(p.body.contains("<td>第 4 行</td>"), "[{name}]");
        // No file, or not a table.
        let p = finance.post_file(
            "/console/commitments/import",
            &[("csrf", &csrf), ("kind", "payments")],
            ("", b""),
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("请选择要导入的文件"), "[{name}]");
        let p = finance.post_file(
            "/console/commitments/import",
            &[("csrf", &csrf), ("kind", "payments")],
            ("付款.csv", "姓名,年龄\n张三,3\n".as_bytes()),
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("文件未导入"), "[{name}] {}", p.body);

        // The rule: every problem at its field, nothing saved; then saved.
        let p = finance.get("/console/commitments/rule");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        let csrf = p.csrf();
        let head = b.store.head_seq().unwrap();
        let p = finance.post(
            "/console/commitments/rule",
            &[
                ("csrf", &csrf),
                ("default_days", "九十"),
                ("max_days", "400"),
                ("default_daily_rate", "2%"),
                ("grace_days", ""),
                ("warn_working_days", "5"),
            ],
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        for field in [
            "default_days",
            "max_days",
            "default_daily_rate",
            "grace_days",
        ] {
            assert!(
                p.body.contains(&format!("id=\"e-{field}\"")),
                "[{name}] {field}: {}",
                p.body
            );
        }
        assert!(!p.body.contains("id=\"e-warn_working_days\""), "[{name}]");
        assert!(
            p.body.contains("value=\"九十\""),
            "[{name}] what was typed is kept"
        );
        assert_eq!(b.store.head_seq().unwrap(), head, "[{name}] nothing saved");
        let p = finance.post(
            "/console/commitments/rule",
            &[
                ("csrf", &csrf),
                ("default_days", "30"),
                ("max_days", "60"),
                ("default_daily_rate", "0.05%"),
                ("grace_days", "20"),
                ("warn_working_days", "5"),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(p.flash().contains("已保存付款规则"), "[{name}]");
        let p = finance.follow(&p);
        assert!(p.body.contains("value=\"20\""), "[{name}]");
        let (_, v) = r.get("/api/v1/commitments/payment-rule", AccountRole::Admin);
        assert_eq!(v["grace_days"], 20);
        assert!(b.store.verify().unwrap().problem.is_none(), "[{name}]");
    }
}

/// Every key the API answers for a contract is in its description, and the other way round.
#[test]
fn the_openapi_description_names_every_field_of_a_contract() {
    let b = backends("commitments").remove(0);
    let r = Registry::start(&b.store);
    r.load();
    let (_, spec) = json_of(
        r.client
            .get(format!("{}/openapi.json", r.base))
            .send()
            .unwrap(),
    );
    fn properties(spec: &Value, schema: &Value, out: &mut BTreeSet<String>) {
        if let Some(p) = schema["properties"].as_object() {
            out.extend(p.keys().cloned());
        }
        if let Some(all) = schema["allOf"].as_array() {
            for s in all {
                properties(spec, s, out);
            }
        }
        if let Some(name) = schema["$ref"].as_str() {
            let name = name.trim_start_matches("#/components/schemas/");
            properties(spec, &spec["components"]["schemas"][name], out);
        }
    }
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    let (_, list) = r.get("/api/v1/commitments", AccountRole::Admin);
    let mut described = BTreeSet::new();
    properties(
        &spec,
        &spec["components"]["schemas"]["ContractItem"],
        &mut described,
    );
    assert_eq!(keys(&list["items"][0]), described);
    let id = r.id_of("BH-2024-001");
    let (_, one) = r.get(&format!("/api/v1/commitments/{id}"), AccountRole::Admin);
    let mut described = BTreeSet::new();
    properties(
        &spec,
        &spec["components"]["schemas"]["ContractDetail"],
        &mut described,
    );
    assert_eq!(keys(&one), described);
}
