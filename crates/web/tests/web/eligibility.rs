//! The 组织人事部门's eligibility checks (may a civil servant be rated 优秀 in a year) end to end,
//! on SQLite and PostgreSQL, against a real server whose clock the test sets: one person by
//! subject id through the API (a dishonest record decided in the year bars it, a clean file or a
//! record repaired with 免于惩戒 does not); a list as Excel answered with Excel, every answer a
//! logged check; a list with problems refused with every problem and its row, nothing checked;
//! the console page's lookup, upload, saved workbook and template; and the roles that may not.

use probity_domain::account::AccountRole;
use probity_domain::ident::IdNumber;
use probity_ingest::{ColumnSpec, Format, TableReader, TableWriter};
use probity_store::Store;
use probity_testkit::browser::{Browser, Page, between};
use probity_testkit::{Accounts, backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::{
    Served, app_on_day, civil_servant, day, empty_index, import_rows, json_of, session,
    with_session,
};

/// The day the test runs on: a Monday in 2026, months after the records' decisions (so that a
/// repair may be applied for).
const START: &str = "2026-06-01";

/// The civil servants of 新河街道 the tests ask about: (name, ID number). The last is not on the
/// roster.
const BARRED: &str = "王丽华";
const CLEAN: &str = "李建国";
const EXEMPT: &str = "赵敏";
const OTHER: &str = "孙伟";
const STRANGER: &str = "周强";

fn id_of(name: &str) -> IdNumber {
    let (birth, seq) = match name {
        BARRED => ("1980-05-17", 273),
        CLEAN => ("1975-11-02", 131),
        EXEMPT => ("1988-02-29", 402),
        OTHER => ("1990-07-08", 55),
        _ => ("1985-03-03", 17),
    };
    IdNumber::from_parts("120116", day(birth), seq).unwrap()
}

/// `id` with a wrong check digit.
fn broken(id: &IdNumber) -> String {
    let s = id.as_str();
    let last = s.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &s[..17])
}

/// Who sends a request: the credit office (a session with its CSRF token), or the bearer token
/// of the 组织人事部门, the finance bureau's provider account or 新河街道's unit account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Office,
    Hr,
    Provider,
    Unit,
}

/// The platform on a loopback port, on the use cases of an `App` with a fixed clock.
struct Platform {
    base: String,
    client: reqwest::blocking::Client,
    app: probity_app::App,
    store: Store,
    admin: (String, String),
    hr_token: String,
    provider_token: String,
    unit_token: String,
    accounts: Accounts,
    _server: Served,
}

/// The small roster and four civil servants of 新河街道.
fn load_roster(store: &Store) {
    roster::binhai(store);
    let rows = [BARRED, CLEAN, EXEMPT, OTHER]
        .iter()
        .map(|name| civil_servant(name, &id_of(name)))
        .collect();
    import_rows(store, rows);
}

impl Platform {
    fn start(store: &Store) -> Platform {
        load_roster(store);
        let roles = [
            AccountRole::Admin,
            AccountRole::Hr,
            AccountRole::Provider,
            AccountRole::Unit,
        ];
        let accounts = Accounts::create(store, "e", &roles).with_credentials(
            store,
            &[AccountRole::Hr, AccountRole::Provider, AccountRole::Unit],
        );
        let app = app_on_day(store, START);
        let server = Served::start(&app, empty_index());
        Platform {
            base: server.base.clone(),
            client: reqwest::blocking::Client::new(),
            store: store.clone(),
            admin: session(store, &app, &accounts, AccountRole::Admin),
            hr_token: accounts.token(AccountRole::Hr).to_string(),
            provider_token: accounts.token(AccountRole::Provider).to_string(),
            unit_token: accounts.token(AccountRole::Unit).to_string(),
            accounts,
            app,
            _server: server,
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        who: Who,
    ) -> reqwest::blocking::RequestBuilder {
        let b = self.client.request(method, format!("{}{path}", self.base));
        match who {
            Who::Office => with_session(b, &self.admin),
            Who::Hr => b.bearer_auth(&self.hr_token),
            Who::Provider => b.bearer_auth(&self.provider_token),
            Who::Unit => b.bearer_auth(&self.unit_token),
        }
    }

    fn json(res: reqwest::blocking::Response) -> (StatusCode, Value) {
        json_of(res)
    }

    fn post(&self, path: &str, who: Who, body: Value) -> (StatusCode, Value) {
        Self::json(
            self.request(reqwest::Method::POST, path, who)
                .json(&body)
                .send()
                .unwrap(),
        )
    }

    fn get(&self, path: &str, who: Who) -> (StatusCode, Value) {
        Self::json(
            self.request(reqwest::Method::GET, path, who)
                .send()
                .unwrap(),
        )
    }

    /// A dishonest record about civil servant `name`, reported by the finance bureau and
    /// activated by the credit office.
    fn active_record(&self, name: &str, doc: &str, decided_on: &str) -> i64 {
        let body = json!({
            "subject_name": name,
            "id_number": id_of(name).as_str(),
            "category": "PAYMENT_ARREARS",
            "document_no": doc,
            "decided_on": decided_on,
            "disclosure_until": "2027-01-05",
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
        id
    }

    /// The unit applies to repair `record`, and the credit office approves it with 免于惩戒.
    fn repair_exempt(&self, record: i64) {
        let (status, v) = self.post(
            "/api/v1/repairs",
            Who::Unit,
            json!({
                "record_id": record,
                "statement": "已于2026年3月全额支付欠款，并作出书面检讨",
                "commitment_signed": true,
                "obligations_fulfilled": true,
            }),
        );
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let case = v["id"].as_i64().unwrap();
        let (status, v) = self.post(
            &format!("/api/v1/cases/{case}/steps"),
            Who::Office,
            json!({"action": "approve", "text": "准予修复，免于惩戒", "leniency": "exempt"}),
        );
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["outcome"], "approved", "{v}");
    }

    /// The three people's files: a record decided in 2026 for the barred one; the same, repaired
    /// with 免于惩戒, for the exempt one; nothing for the clean one. The barred one's record.
    fn files(&self) -> i64 {
        let barred = self.active_record(BARRED, "津滨财〔2026〕31号", "2026-01-05");
        let exempt = self.active_record(EXEMPT, "津滨财〔2026〕32号", "2026-01-06");
        self.repair_exempt(exempt);
        barred
    }

    fn subject_id(&self, name: &str) -> i64 {
        self.store
            .find_civil_servant(&id_of(name))
            .unwrap()
            .unwrap()
            .id
    }

    fn checks(&self) -> i64 {
        self.store.sanction_check_count().unwrap()
    }

    fn eligibility(&self, who: Who, subject: i64, year: &str) -> (StatusCode, Value) {
        self.get(
            &format!("/api/v1/civil-servants/{subject}/eligibility?year={year}"),
            who,
        )
    }

    /// Posts a list to the API.
    fn post_list(&self, who: Who, year: &str, bytes: Vec<u8>) -> reqwest::blocking::Response {
        self.request(
            reqwest::Method::POST,
            &format!("/api/v1/civil-servants/eligibility?year={year}"),
            who,
        )
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(bytes)
        .send()
        .unwrap()
    }

    /// Posts a list as the 组织人事部门 over a bare socket, with its length declared or chunked,
    /// and reads the answer even when the server answers before the body is all sent (reqwest
    /// reports a broken pipe then).
    fn raw_list(&self, body: &[u8], chunked: bool) -> (u16, String) {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://").to_string();
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let length = if chunked {
            "Transfer-Encoding: chunked".to_string()
        } else {
            format!("Content-Length: {}", body.len())
        };
        let mut wire = format!(
            "POST /api/v1/civil-servants/eligibility?year=2026 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n{length}\r\nConnection: close\r\n\r\n",
            self.hr_token
        )
        .into_bytes();
        if chunked {
            for chunk in body.chunks(64 * 1024) {
                wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                wire.extend_from_slice(chunk);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
        } else {
            wire.extend_from_slice(body);
        }
        let mut writer = stream.try_clone().unwrap();
        // The server may stop reading and close: the writer's failure is expected then.
        let sending = std::thread::spawn(move || {
            let _ = writer.write_all(&wire);
        });
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
        sending.join().unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// A browser with a session of `role`'s account, made on the platform's clock.
    fn browser(&self, role: AccountRole) -> Browser {
        let a = self.accounts.account(&self.store, role);
        let s = self
            .store
            .create_session(a.id, chrono::TimeDelta::hours(8), self.app.now())
            .unwrap();
        let mut b = Browser::new(&self.base);
        b.cookies.push(("probity_session".into(), s.token));
        b
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// An Excel list with the columns `headers` and the rows `rows`, as an official fills it in.
fn workbook(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("名单.xlsx");
    let pairs: Vec<(&str, &str)> = headers.iter().map(|h| (*h, *h)).collect();
    let mut w = TableWriter::create(&path, Format::Xlsx, &pairs).unwrap();
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        w.write_row(&cells).unwrap();
    }
    w.finish().unwrap();
    std::fs::read(&path).unwrap()
}

/// A list of (name, ID number) with a 序号 column the platform ignores.
fn list(people: &[(&str, String)]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = people
        .iter()
        .enumerate()
        .map(|(i, (n, id))| vec![(i + 1).to_string(), n.to_string(), id.clone()])
        .collect();
    workbook(&["序号", "姓名", "身份证号"], &rows)
}

fn person(name: &str) -> (&str, String) {
    (name, id_of(name).as_str().to_string())
}

const RESULT_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::new("seq", "序号", true),
    ColumnSpec::new("name", "姓名", true),
    ColumnSpec::new("id_number", "身份证号", true),
    ColumnSpec::new("result", "核查结果", true),
    ColumnSpec::new("reasons", "原因", true),
    ColumnSpec::new("check_no", "核查编号", true),
];

/// The rows of an answered workbook, read with the platform's reader (calamine).
fn read_results(bytes: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("结果.xlsx");
    std::fs::write(&path, bytes).unwrap();
    TableReader::open(&path, RESULT_COLUMNS)
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect()
}

/// The answers to the list of the barred, the clean, the exempt and a stranger, checked as the
/// files of `Platform::files` make them, in the list's order.
fn assert_results(name: &str, rows: &[Vec<String>]) {
    assert_eq!(rows.len(), 4, "[{name}] {rows:?}");
    let expected = [
        (BARRED, "不得评为优秀"),
        (CLEAN, "可以评为优秀"),
        (EXEMPT, "可以评为优秀"),
        (STRANGER, "未在平台登记"),
    ];
    for (i, (row, (who, result))) in rows.iter().zip(expected).enumerate() {
        assert_eq!(row[0], (i + 1).to_string(), "[{name}] {row:?}");
        assert_eq!(row[1], who, "[{name}] {row:?}");
        assert_eq!(row[2], id_of(who).masked(), "[{name}] the ID number masked");
        assert!(
            !row.iter().any(|c| c.contains(id_of(who).as_str())),
            "[{name}] {row:?}"
        );
        assert_eq!(row[3], result, "[{name}] {row:?}");
    }
    assert!(
        rows[0][4].contains("津滨财〔2026〕31号") && rows[0][4].contains("2026 年内作出"),
        "[{name}] {:?}",
        rows[0]
    );
    assert!(
        rows[1][4].contains("无作出或仍在有效期"),
        "[{name}] {:?}",
        rows[1]
    );
    assert!(
        rows[2][4].contains("津滨财〔2026〕32号") && rows[2][4].contains("从轻或免于惩戒"),
        "[{name}] {:?}",
        rows[2]
    );
    assert!(
        rows[3][4].contains("未在平台公务员名录中登记"),
        "[{name}] {:?}",
        rows[3]
    );
    let numbers: Vec<&str> = rows[..3].iter().map(|r| r[5].as_str()).collect();
    for n in &numbers {
        assert!(n.starts_with("HC20260601-"), "[{name}] {numbers:?}");
    }
    assert!(
        numbers[0] != numbers[1] && numbers[1] != numbers[2] && numbers[0] != numbers[2],
        "[{name}] one number per check: {numbers:?}"
    );
    assert_eq!(rows[3][5], "", "[{name}] a stranger is not checked");
}

/// The list of the barred, the clean, the exempt and a stranger.
fn good_list() -> Vec<u8> {
    list(&[
        person(BARRED),
        person(CLEAN),
        person(EXEMPT),
        person(STRANGER),
    ])
}

/// A list with a problem on rows 3, 5, 6 and 7 (row 1 is the header): a wrong check digit, no
/// name, a name the ID number is not registered under, a person listed twice.
fn faulty_list() -> Vec<u8> {
    list(&[
        person(BARRED),
        (CLEAN, broken(&id_of(CLEAN))),
        person(EXEMPT),
        ("", id_of(STRANGER).as_str().to_string()),
        ("孙玮", id_of(OTHER).as_str().to_string()),
        person(BARRED),
    ])
}

#[test]
fn one_civil_servant_by_subject_id() {
    for b in backends("eligibility") {
        let name = b.name;
        let p = Platform::start(&b.store);
        let barred_record = p.files();
        let (barred, clean, exempt) = (
            p.subject_id(BARRED),
            p.subject_id(CLEAN),
            p.subject_id(EXEMPT),
        );
        let before = p.checks();

        // A dishonest record decided in 2026: not 优秀 for 2026, with the reason.
        let (status, v) = p.eligibility(Who::Hr, barred, "2026");
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["eligible"], false, "[{name}] {v}");
        assert_eq!(v["result"], "不得评为优秀");
        assert_eq!(v["decision"], "restricted");
        assert_eq!(v["subject_id"], barred);
        assert_eq!(v["name"], "王*", "masked as the check masks it");
        assert_eq!(v["id_masked"], id_of(BARRED).masked());
        assert_eq!(v["unit"], "新河街道");
        assert_eq!(v["year"], 2026);
        assert_eq!(v["records"], json!([barred_record]), "[{name}] {v}");
        assert_eq!(v["measures"][0]["code"], "NOT_EXCELLENT", "[{name}] {v}");
        let reasons = v["reasons"].to_string();
        assert!(
            reasons.contains("津滨财〔2026〕31号")
                && reasons.contains("2026-01-05 作出")
                && reasons.contains("2026 年内作出"),
            "[{name}] {reasons}"
        );
        let first_no = v["check_no"].as_str().unwrap().to_string();
        assert!(first_no.starts_with("HC20260601-"), "[{name}] {first_no}");
        assert!(!v.to_string().contains(id_of(BARRED).as_str()));
        // In force into 2027 (to 2027-01-05): still not 优秀, for that reason.
        let (status, v) = p.eligibility(Who::Office, barred, "2027");
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["eligible"], false, "[{name}] {v}");
        assert!(
            v["reasons"][0]
                .as_str()
                .unwrap()
                .contains("2027 年内仍在有效期"),
            "[{name}] {v}"
        );
        // Over by 2028.
        let (_, v) = p.eligibility(Who::Hr, barred, "2028");
        assert_eq!(v["eligible"], true, "[{name}] {v}");

        // A clean file: 优秀 allowed, and why.
        let (status, v) = p.eligibility(Who::Hr, clean, "2026");
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["eligible"], true, "[{name}] {v}");
        assert_eq!(v["result"], "可以评为优秀");
        assert_eq!(v["decision"], "allowed");
        assert_eq!(
            v["reasons"],
            json!(["2026 年内无作出或仍在有效期的政务失信记录"]),
            "[{name}] {v}"
        );
        assert!(v["measures"].as_array().unwrap().is_empty());
        assert!(v["records"].as_array().unwrap().is_empty());

        // A record repaired with 免于惩戒: allowed, and the record named as lifted.
        let (status, v) = p.eligibility(Who::Hr, exempt, "2026");
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["eligible"], true, "[{name}] {v}");
        let reasons = v["reasons"].to_string();
        assert!(
            reasons.contains("津滨财〔2026〕32号") && reasons.contains("从轻或免于惩戒"),
            "[{name}] {reasons}"
        );
        let answered = p.checks();
        assert_eq!(
            answered,
            before + 5,
            "[{name}] each answer is a logged check"
        );
        let log = p.store.sanction_checks(barred).unwrap();
        assert_eq!(log[0].check_no, first_no);
        assert_eq!(log[0].purpose, "excellent_rating");
        assert_eq!(log[0].decision, "restricted");

        // Refusals, none logged: a unit is not a civil servant, an unknown id, a year out of
        // range or missing, an id that is not a number.
        let town = p.store.find_unit("新河街道").unwrap();
        let (status, v) = p.eligibility(Who::Hr, town.id, "2026");
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}] {v}");
        let (status, _) = p.eligibility(Who::Hr, 999_999, "2026");
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        for year in ["1999", "2101", "", "二〇二六"] {
            let (status, v) = p.eligibility(Who::Hr, clean, year);
            assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {year}: {v}");
            assert_eq!(code(&v), "YEAR_INVALID", "[{name}] {v}");
        }
        let (status, v) = p.get(
            &format!("/api/v1/civil-servants/{clean}/eligibility"),
            Who::Hr,
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        assert_eq!(code(&v), "YEAR_INVALID", "[{name}] {v}");
        let (status, _) = p.get("/api/v1/civil-servants/abc/eligibility?year=2026", Who::Hr);
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}]");

        // Only the 组织人事部门 and the credit office ask (the authorisation table).
        for who in [Who::Provider, Who::Unit] {
            let (status, v) = p.eligibility(who, clean, "2026");
            assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {who:?} {v}");
        }
        assert_eq!(p.checks(), answered, "[{name}] refusals are not logged");
    }
}

#[test]
fn a_list_as_excel_is_answered_with_excel() {
    for b in backends("eligibility") {
        let name = b.name;
        let p = Platform::start(&b.store);
        p.files();
        let before = p.checks();

        let res = p.post_list(Who::Hr, "2026", good_list());
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let header = |h: &str| {
            res.headers()
                .get(h)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            header("content-type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let disposition = header("content-disposition");
        assert!(
            disposition.starts_with("attachment;")
                && disposition.contains(&probity_web::pages::percent_encode(
                    "优秀等次资格核查结果-2026.xlsx"
                )),
            "[{name}] {disposition}"
        );
        let rows = read_results(&res.bytes().unwrap());
        assert_results(name, &rows);
        assert_eq!(
            p.checks(),
            before + 3,
            "[{name}] each registered person is one logged check; the stranger none"
        );
        // The log has the numbers the workbook gives.
        let barred_log = p.store.sanction_checks(p.subject_id(BARRED)).unwrap();
        assert_eq!(barred_log.last().unwrap().check_no, rows[0][5]);

        // The credit office may send one too; a provider and a unit may not.
        let res = p.post_list(Who::Office, "2026", list(&[person(CLEAN)]));
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let checked = p.checks();
        for who in [Who::Provider, Who::Unit] {
            let (status, v) = Platform::json(p.post_list(who, "2026", good_list()));
            assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {who:?} {v}");
        }
        assert_eq!(p.checks(), checked, "[{name}]");
    }
}

#[test]
fn a_list_with_problems_is_refused_whole_and_nothing_is_checked() {
    for b in backends("eligibility") {
        let name = b.name;
        let p = Platform::start(&b.store);
        p.files();
        let before = p.checks();

        // Every problem, each with its row; a bad ID number on row 3, no name on row 5.
        let (status, v) = Platform::json(p.post_list(Who::Hr, "2026", faulty_list()));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "ELIGIBILITY_LIST_INVALID", "[{name}] {v}");
        let rows: Vec<(u64, &str, &str)> = v["error"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["row"].as_u64().unwrap(),
                    r["column"].as_str().unwrap(),
                    r["code"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (3, "id_number", "ID_NUMBER_CHECK_DIGIT"),
                (5, "name", "REQUIRED"),
                (6, "name", "SUBJECT_NAME_MISMATCH"),
                (7, "id_number", "ELIGIBILITY_DUPLICATE_PERSON"),
            ],
            "[{name}] {v}"
        );
        let fields = v["error"]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 4, "[{name}] {v}");
        assert!(
            fields[0]["message"]
                .as_str()
                .unwrap()
                .starts_with("第 3 行："),
            "{v}"
        );
        assert!(
            fields[1]["message"]
                .as_str()
                .unwrap()
                .starts_with("第 5 行："),
            "{v}"
        );
        assert_eq!(v["error"]["rows"][0]["header"], "身份证号");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("4 处问题")
                && message.contains("第 3 行")
                && message.contains("第 5 行"),
            "[{name}] {message}"
        );
        // The registered name is not told, beyond its surname; no ID number whole.
        let text = v.to_string();
        assert!(
            text.contains("孙*") && !text.contains(OTHER),
            "[{name}] {text}"
        );
        for who in [BARRED, CLEAN, EXEMPT, OTHER, STRANGER] {
            assert!(!text.contains(id_of(who).as_str()), "[{name}] {text}");
        }

        // The list's own faults.
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "not a workbook",
                "姓名,身份证号\n王丽华,120116198005172738\n"
                    .as_bytes()
                    .to_vec(),
                "FILE_FORMAT",
            ),
            (
                "a column missing",
                workbook(&["姓名", "单位"], &[vec![BARRED.into(), "新河街道".into()]]),
                "HEADER_MISSING_COLUMN",
            ),
            ("nobody in it", list(&[]), "ELIGIBILITY_LIST_EMPTY"),
            (
                "more than 2,000 people",
                list(
                    &(0..2001)
                        .map(|i| ("某某", format!("12011619900101{i:04}")))
                        .collect::<Vec<_>>(),
                ),
                "ELIGIBILITY_TOO_MANY_ROWS",
            ),
        ];
        for (what, bytes, want) in cases {
            let (status, v) = Platform::json(p.post_list(Who::Hr, "2026", bytes));
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{name}] {what}: {v}"
            );
            assert_eq!(code(&v), want, "[{name}] {what}: {v}");
        }
        // A year out of range, before the file is read.
        let (status, v) = Platform::json(p.post_list(Who::Hr, "1999", good_list()));
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        assert_eq!(code(&v), "YEAR_INVALID", "[{name}] {v}");
        // A body past the limit, declared or not, refused before it is kept.
        let big = vec![b'x'; probity_app::eligibility::MAX_FILE_BYTES as usize + 1];
        for chunked in [false, true] {
            let (status, body) = p.raw_list(&big, chunked);
            assert_eq!(status, 413, "[{name}] chunked {chunked}: {body}");
            assert!(body.contains("PAYLOAD_TOO_LARGE"), "[{name}] {body}");
        }

        assert_eq!(p.checks(), before, "[{name}] nothing was checked or logged");
    }
}

/// Decodes standard base64 (the page's `data:` address of the workbook).
fn unbase64(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|c| *c != b'=').collect();
        let n = data
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, c)| n | (value(*c) << (18 - 6 * i)));
        for i in 0..data.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// The page's answer to the list form.
fn upload(b: &mut Browser, csrf: &str, output: &str, year: &str, bytes: &[u8]) -> Page {
    b.post_file(
        "/console/eligibility/list",
        &[("csrf", csrf), ("year", year), ("output", output)],
        ("名单.xlsx", bytes),
    )
}

#[test]
fn the_console_page_checks_one_person_and_a_list() {
    for b in backends("eligibility") {
        let name = b.name;
        let p = Platform::start(&b.store);
        p.files();
        let mut hr = p.browser(AccountRole::Hr);

        // The 组织人事部门 finds the page from its 工作台 and its navigation.
        let home = hr.get("/console");
        assert_eq!(home.status, StatusCode::OK, "[{name}] {}", home.body);
        assert!(
            home.body.contains("href=\"/console/eligibility\""),
            "[{name}] {}",
            home.body
        );
        let page = hr.get("/console/eligibility");
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        assert!(
            page.body.contains("<h1>优秀等次资格核查</h1>")
                && page.body.contains("单人核查")
                && page
                    .body
                    .contains("href=\"/console/eligibility/template.xlsx\"")
                && page.body.contains("value=\"2026\""),
            "[{name}] {}",
            page.body
        );
        let csrf = page.csrf();
        assert!(!csrf.is_empty());

        // The template: the two columns, nobody in it.
        let res = hr
            .request(reqwest::Method::GET, "/console/eligibility/template.xlsx")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("模板.xlsx");
        std::fs::write(&path, res.bytes().unwrap()).unwrap();
        let rows: Vec<_> = TableReader::open(&path, probity_app::eligibility::COLUMNS)
            .unwrap()
            .collect();
        assert!(rows.is_empty(), "[{name}] {} rows", rows.len());

        // One person by ID number, one by subject id.
        let before = p.checks();
        let one = hr.post(
            "/console/eligibility",
            &[
                ("csrf", &csrf),
                ("year", "2026"),
                ("person", id_of(BARRED).as_str()),
            ],
        );
        assert_eq!(one.status, StatusCode::OK, "[{name}] {}", one.body);
        assert!(
            one.body.contains("不得评为优秀")
                && one.body.contains("王*")
                && one.body.contains("津滨财〔2026〕31号")
                && one.body.contains("年度考核不得确定为优秀等次")
                && one.body.contains("HC20260601-"),
            "[{name}] {}",
            one.body
        );
        assert!(
            !one.body.contains(id_of(BARRED).as_str()),
            "the ID number is not echoed"
        );
        let clean = p.subject_id(CLEAN).to_string();
        let one = hr.post(
            "/console/eligibility",
            &[("csrf", &csrf), ("year", "2026"), ("person", &clean)],
        );
        assert_eq!(one.status, StatusCode::OK, "[{name}] {}", one.body);
        assert!(one.body.contains("可以评为优秀"), "[{name}] {}", one.body);
        assert_eq!(p.checks(), before + 2, "[{name}]");
        let one = hr.post(
            "/console/eligibility",
            &[
                ("csrf", &csrf),
                ("year", "2026"),
                ("person", id_of(STRANGER).as_str()),
            ],
        );
        assert_eq!(one.status, StatusCode::NOT_FOUND, "[{name}] {}", one.body);
        assert!(one.body.contains("未找到该公务员"), "[{name}] {}", one.body);
        let one = hr.post(
            "/console/eligibility",
            &[("csrf", &csrf), ("year", "1999"), ("person", &clean)],
        );
        assert_eq!(one.status, StatusCode::BAD_REQUEST, "[{name}] {}", one.body);
        assert!(
            one.body.contains("核查年度应在 2000 到 2100 之间"),
            "[{name}]"
        );

        // A list: the table, and the same answers as a workbook to save.
        let before = p.checks();
        let page = upload(&mut hr, &csrf, "page", "2026", &good_list());
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        assert!(
            page.body
                .contains("共 4 人：可以评为优秀 2 人，不得评为优秀 1 人，未在平台登记 1 人"),
            "[{name}] {}",
            page.body
        );
        assert_eq!(p.checks(), before + 3, "[{name}]");
        let href = between(
            &page.body,
            "href=\"data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,",
            "\"",
        )
        .expect("the workbook to save");
        assert!(
            page.body
                .contains("download=\"优秀等次资格核查结果-2026.xlsx\""),
            "[{name}]"
        );
        let rows = read_results(&unbase64(&href));
        assert_results(name, &rows);
        for r in &rows[..3] {
            assert!(
                page.body.contains(&r[5]),
                "[{name}] the table shows {}",
                r[5]
            );
        }
        assert!(!page.body.contains(id_of(BARRED).as_str()), "[{name}]");

        // Or the workbook alone.
        let before = p.checks();
        let res = upload(&mut hr, &csrf, "xlsx", "2026", &good_list());
        assert_eq!(res.status, StatusCode::OK, "[{name}] {}", res.body);
        let disposition = res.headers["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment;"),
            "[{name}] {disposition}"
        );
        assert_eq!(p.checks(), before + 3, "[{name}]");

        // A list with problems: every one with its row, nothing checked.
        let before = p.checks();
        let page = upload(&mut hr, &csrf, "page", "2026", &faulty_list());
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            page.body
        );
        for row in ["第 3 行", "第 5 行", "第 6 行", "第 7 行"] {
            assert!(page.body.contains(row), "[{name}] {row}: {}", page.body);
        }
        assert!(
            page.body.contains("未核查任何人员"),
            "[{name}] {}",
            page.body
        );
        let page = upload(&mut hr, &csrf, "page", "2026", b"not a workbook");
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            page.body
        );
        assert!(
            page.body.contains("名单应为 Excel 工作簿"),
            "[{name}] {}",
            page.body
        );
        // A forged form is refused before anything is read.
        let page = upload(&mut hr, "forged", "page", "2026", &good_list());
        assert_eq!(page.status, StatusCode::FORBIDDEN, "[{name}] {}", page.body);
        assert_eq!(p.checks(), before, "[{name}] nothing checked");

        // The credit office has the page too; a provider does not.
        let mut office = p.browser(AccountRole::Admin);
        let page = office.get("/console/eligibility");
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        let mut provider = p.browser(AccountRole::Provider);
        for path in ["/console/eligibility", "/console/eligibility/template.xlsx"] {
            let page = provider.get(path);
            assert_eq!(page.status, StatusCode::FORBIDDEN, "[{name}] {path}");
        }
        let csrf = provider.get("/console").csrf();
        let page = upload(&mut provider, &csrf, "page", "2026", &good_list());
        assert_eq!(page.status, StatusCode::FORBIDDEN, "[{name}]");
        assert!(
            !provider
                .get("/console")
                .body
                .contains("/console/eligibility")
        );
    }
}
