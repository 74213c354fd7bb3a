//! The public search against a real server on SQLite and PostgreSQL, with the demo district: a
//! record is found exactly when the disclosure policy lets the public see it, civil servants'
//! names never come back whole, the index follows the database while the server runs, bad
//! queries get clear answers, and the public routes are rate-limited per client.

mod common;
use common::backends;

use std::time::{Duration, Instant};

use probity_domain::date::parse_date;
use probity_domain::disclosure::{RecordFacts, SubjectFacts, Viewer, disclose};
use probity_domain::record::{Action, Role};
use probity_domain::subject::SubjectKind;
use probity_store::{RecordFilter, RecordOrder, Store};
use reqwest::StatusCode;
use serde_json::Value;

struct Server {
    base: String,
    client: reqwest::blocking::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(store: &Store, public_per_minute: usize) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let store = store.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let pages = probity_web::PagesConfig {
                    search_every: Duration::from_millis(100),
                    public_per_minute,
                    ..Default::default()
                };
                probity_web::serve_with(
                    store,
                    probity_web::WebConfig::default(),
                    pages,
                    listener,
                    async {
                        let _ = rx.await;
                    },
                )
                .await
                .unwrap();
            });
        });
        Server {
            base,
            client: reqwest::blocking::Client::new(),
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    fn get(&self, path_and_query: &str) -> (StatusCode, String) {
        let res = self
            .client
            .get(format!("{}{path_and_query}", self.base))
            .header("accept", "text/html")
            .send()
            .unwrap();
        (res.status(), res.text().unwrap())
    }

    fn search(&self, q: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .get(format!(
                "{}/api/v1/public/search?q={}",
                self.base,
                probity_web::pages::percent_encode(q)
            ))
            .send()
            .unwrap();
        let status = res.status();
        (status, res.json().unwrap_or(Value::Null))
    }

    /// Waits until the indexer has caught up with something `q` finds.
    fn wait_for(&self, q: &str) {
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if self.search(q).1["total"].as_u64().unwrap_or(0) > 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the index never found {q}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn ids_of(v: &Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "record")
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn the_public_finds_exactly_what_the_disclosure_policy_allows() {
    for b in backends("public") {
        let today = probity_app::today();
        probity_app::demo::load_demo(&b.store, today).unwrap();
        let s = Server::start(&b.store, 100_000);
        s.wait_for("采购");
        let name = b.name;

        let catalog = b.store.catalog().unwrap();
        let subjects: std::collections::HashMap<i64, probity_store::Subject> = b
            .store
            .subjects()
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let records = b
            .store
            .list_records(&RecordFilter::default(), RecordOrder::Newest, None, 500)
            .unwrap();
        assert!(records.len() > 100, "[{name}] the demo has records");
        let (mut shown, mut hidden) = (0, 0);
        for r in &records {
            let subject = &subjects[&r.subject_id];
            let facts = RecordFacts {
                state: r.state,
                scope: r.scope,
                kind: r.kind,
                severity: r.severity,
                decided_on: parse_date(&r.decided_on).unwrap(),
                disclosure_until: parse_date(&r.disclosure_until).unwrap(),
                bounds: catalog.get(&r.category).unwrap().bounds(r.severity),
                document_no: &r.document_no,
                authority: &r.authority,
                facts: &r.facts,
                basis: r.basis.as_deref(),
                outcome: &r.outcome,
            };
            let who = SubjectFacts {
                kind: subject.kind,
                name: &subject.name,
                uscc: subject.uscc.as_deref(),
                unit: None,
                position: None,
            };
            let public = disclose(&facts, &who, Viewer::Public, today).is_ok();
            let (status, v) = s.search(&r.document_no);
            assert_eq!(status, StatusCode::OK, "[{name}] {}", r.document_no);
            let found = ids_of(&v).contains(&r.id);
            assert_eq!(
                found, public,
                "[{name}] record #{} ({:?}, {:?}, {} – {}) found: {found}, disclosed: {public}",
                r.id, r.state, r.scope, r.decided_on, r.disclosure_until
            );
            if public {
                shown += 1;
            } else {
                hidden += 1;
            }
        }
        assert!(
            shown > 10 && hidden > 10,
            "[{name}] both kinds: {shown} shown, {hidden} hidden"
        );

        // Each record's page and JSON twin answer exactly when it is disclosed; a hidden record
        // answers as an unknown one does.
        let servants_all: Vec<String> = subjects
            .values()
            .filter(|s| s.kind == SubjectKind::CivilServant)
            .map(|s| s.name.clone())
            .collect();
        let unknown = s.get("/records/99999999");
        assert_eq!(unknown.0, StatusCode::NOT_FOUND);
        for r in &records {
            let public = ids_of(&s.search(&r.document_no).1).contains(&r.id);
            let (status, html) = s.get(&format!("/records/{}", r.id));
            let json = s
                .client
                .get(format!("{}/api/v1/public/records/{}", s.base, r.id))
                .send()
                .unwrap();
            let json_status = json.status();
            let body = json.text().unwrap();
            if public {
                assert_eq!(status, StatusCode::OK, "[{name}] #{}", r.id);
                assert_eq!(json_status, StatusCode::OK);
                assert!(html.contains(&r.document_no));
                for full in &servants_all {
                    assert!(
                        !html.contains(full.as_str()) && !body.contains(full.as_str()),
                        "[{name}] {full} on #{}",
                        r.id
                    );
                }
            } else {
                assert_eq!(status, StatusCode::NOT_FOUND, "[{name}] hidden #{}", r.id);
                assert_eq!(json_status, StatusCode::NOT_FOUND);
                assert!(!html.contains(&r.document_no) && !body.contains(&r.document_no));
                assert_eq!(
                    html, unknown.1,
                    "[{name}] a hidden record looks like an unknown one"
                );
            }
        }

        // Profiles: each unit with a USCC, its disclosed records and only those.
        let units: Vec<&probity_store::Subject> = subjects
            .values()
            .filter(|s| s.kind != SubjectKind::CivilServant && s.uscc.is_some())
            .collect();
        let mut with_records = 0;
        for u in &units {
            let uscc = u.uscc.as_deref().unwrap();
            let res = s
                .client
                .get(format!("{}/api/v1/public/subjects/{uscc}", s.base))
                .send()
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "[{name}] {}", u.name);
            let v: Value = res.json().unwrap();
            assert_eq!(v["name"], u.name.as_str());
            let listed: Vec<i64> = ["dishonest", "trustworthy"]
                .iter()
                .flat_map(|k| {
                    v[k].as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["id"].as_i64().unwrap())
                        .collect::<Vec<_>>()
                })
                .collect();
            for id in &listed {
                let r = records.iter().find(|r| r.id == *id).unwrap();
                assert!(
                    ids_of(&s.search(&r.document_no).1).contains(id),
                    "[{name}] #{id} on {}'s profile is disclosed",
                    u.name
                );
            }
            with_records += usize::from(!listed.is_empty());
            let (status, html) = s.get(&format!("/subjects/{uscc}"));
            assert_eq!(status, StatusCode::OK);
            assert!(html.contains(&u.name) && html.contains("失信记录"));
        }
        assert!(
            with_records > 3,
            "[{name}] profiles with records: {with_records}"
        );
        let (status, html) = s.get("/subjects/91120116MA05TEST0X");
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] a malformed USCC");
        assert!(html.contains("统一社会信用代码有误"), "{html}");
        let (status, _) = s.get("/subjects/not-a-code");
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let valid_unknown =
            probity_domain::ident::Uscc::from_parts('1', '1', "120116", "WB999999").unwrap();
        let (status, html) = s.get(&format!("/subjects/{}", valid_unknown.as_str()));
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        assert!(html.contains("未找到"));
        let (status, html) = s.get("/rules");
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("信用修复") && html.contains("政府采购毁约违约"),
            "[{name}]"
        );

        // A civil servant's full name never comes back, in the API or on the pages.
        let servants: Vec<&str> = subjects
            .values()
            .filter(|s| s.kind == SubjectKind::CivilServant)
            .map(|s| s.name.as_str())
            .collect();
        assert!(!servants.is_empty());
        for q in ["问责", "纪律处分", "公务员", "表彰", "采购", "违约"] {
            let (_, v) = s.search(q);
            let json = v.to_string();
            let (_, html) = s.get(&format!(
                "/search?q={}",
                probity_web::pages::percent_encode(q)
            ));
            for full in &servants {
                assert!(!json.contains(full), "[{name}] {full} in the answer to {q}");
                assert!(!html.contains(full), "[{name}] {full} on the page for {q}");
            }
        }

        // The pages: the home page lists the latest disclosures; the search page highlights.
        let (status, home) = s.get("/");
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(
            home.contains("最新公示") && home.contains("class=\"hit record\""),
            "[{name}]"
        );
        let (status, page) = s.get("/search?q=%E9%87%87%E8%B4%AD");
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<b>采购</b>") && page.contains("共找到"),
            "[{name}]"
        );

        // The index follows the database: a revoked record leaves the search within moments.
        let target = records
            .iter()
            .find(|r| ids_of(&s.search(&r.document_no).1).contains(&r.id))
            .unwrap();
        b.store
            .transition(
                target.id,
                Action::Revoke,
                Role::CreditOffice,
                None,
                "信用办:test",
                "测试撤销",
            )
            .unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while ids_of(&s.search(&target.document_no).1).contains(&target.id) {
            assert!(
                Instant::now() < until,
                "[{name}] still found after revocation"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn bad_queries_get_clear_answers_and_the_public_routes_are_limited() {
    for b in backends("public_bad") {
        probity_app::demo::load_demo(&b.store, probity_app::today()).unwrap();
        let s = Server::start(&b.store, 100_000);
        s.wait_for("采购");
        let name = b.name;
        for (q, code) in [("", "QUERY_EMPTY"), ("   ", "QUERY_EMPTY")] {
            let (status, v) = s.search(q);
            assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {q:?}");
            assert_eq!(v["error"]["code"], code);
        }
        let (status, v) = s.search(&"采".repeat(201));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"]["code"], "QUERY_TOO_LONG");
        for q in [
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "，。！？",
            "91120116MA05XXXXXX",
        ] {
            let (status, v) = s.search(q);
            assert_eq!(status, StatusCode::OK, "[{name}] {q}");
            assert!(v["total"].is_number(), "[{name}] {q}");
        }
        let res = s
            .client
            .get(format!("{}/api/v1/public/search?q=采购&page=51", s.base))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = s
            .client
            .get(format!("{}/api/v1/public/search?q=采购&page=50", s.base))
            .send()
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "[{name}] past the end: an empty page"
        );
        assert!(
            res.json::<Value>().unwrap()["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        for bad in ["kind=alien", "category=NOPE", "severity=huge", "year=abc"] {
            let res = s
                .client
                .get(format!("{}/api/v1/public/search?q=采购&{bad}", s.base))
                .send()
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{name}] {bad}");
        }
        // Every facet and pager link leads to a page that answers, also from a page already
        // narrowed by a facet (each link replaces its own facet, never repeats it).
        let links = |page: &str| -> Vec<String> {
            page.split("href=\"/search?")
                .skip(1)
                .map(|r| {
                    r.split('"')
                        .next()
                        .unwrap()
                        .replace("&amp;", "&")
                        .replace("&#38;", "&")
                })
                .collect()
        };
        let (_, page) = s.get("/search?q=%E9%87%87%E8%B4%AD");
        let first = links(&page);
        assert!(first.len() >= 3, "[{name}] facet links: {first:?}");
        // The page a link leads to is narrowed by exactly the category the link names.
        let lands = |l: &str| {
            let (status, page) = s.get(&format!("/search?{l}"));
            assert_eq!(status, StatusCode::OK, "[{name}] {l}");
            let named: Vec<&str> = l
                .split('&')
                .filter_map(|kv| kv.strip_prefix("category="))
                .collect();
            assert!(named.len() <= 1, "[{name}] category repeated in {l}");
            if let Some(c) = named.first() {
                assert!(
                    page.contains(&format!("name=\"category\" value=\"{c}\"")),
                    "[{name}] {l} did not narrow to {c}"
                );
            }
            page
        };
        for l in &first {
            let narrowed = lands(l);
            for l2 in links(&narrowed) {
                lands(&l2);
            }
        }

        // Pages answer in Chinese, with the query shown back as text.
        let (status, html) = s.get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("<script>alert"), "[{name}]");
        let (status, html) = s.get(&format!(
            "/search?q={}",
            probity_web::pages::percent_encode(&"采".repeat(201))
        ));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("搜索词过长"), "[{name}]");
        let (status, html) = s.get("/search?q=%E9%87%87%E8%B4%AD&page=x");
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("页码"), "[{name}]");
        drop(s);

        // Per-client limit: the fourth request in a minute waits.
        let s = Server::start(&b.store, 3);
        for _ in 0..3 {
            assert_eq!(s.search("采购").0, StatusCode::OK);
        }
        let (status, v) = s.search("采购");
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "[{name}]");
        assert!(v["error"]["code"].is_string());
        let (status, html) = s.get("/");
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(html.contains("请求过于频繁"), "[{name}]");
    }
}

#[test]
fn a_report_is_printed_signed_and_verified() {
    for b in backends("public_report") {
        let today = probity_app::today();
        probity_app::demo::load_demo(&b.store, today).unwrap();
        let s = Server::start(&b.store, 100_000);
        let name = b.name;
        // A unit with disclosed dishonest records.
        let unit = b
            .store
            .subjects()
            .unwrap()
            .into_iter()
            .filter(|u| u.kind != SubjectKind::CivilServant && u.uscc.is_some())
            .find(|u| {
                probity_app::public::profile(&b.store, u.uscc.as_deref().unwrap(), today)
                    .is_ok_and(|p| !p.dishonest.is_empty())
            })
            .unwrap();
        let uscc = unit.uscc.clone().unwrap();
        let (status, profile) = s.get(&format!("/subjects/{uscc}"));
        assert_eq!(status, StatusCode::OK);
        assert!(profile.contains(&format!("action=\"/subjects/{uscc}/report\"")));

        let plain = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = plain
            .post(format!("{}/subjects/{uscc}/report", s.base))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{name}]");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with("/reports/XYBG"), "{location}");
        let (status, page) = s.get(&location);
        assert_eq!(status, StatusCode::OK, "[{name}]");
        let no = location
            .trim_start_matches("/reports/")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let code = location.split("code=").nth(1).unwrap().to_string();
        assert!(page.contains(&no) && page.contains(&code) && page.contains(&unit.name));
        assert!(page.contains("SM2 签名") && page.contains("政务诚信信用报告"));
        // Without its code the report is not shown.
        let (status, _) = s.get(&format!("/reports/{no}?code=WRONG"));
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Verification: right, wrong, and after the unit's profile changed.
        let (status, v) = s.get(&format!("/verify?no={no}&code={code}"));
        assert_eq!(status, StatusCode::OK);
        assert!(v.contains("报告真实有效"), "[{name}] {v}");
        let (_, v) = s.get(&format!("/verify?no={no}&code=ABCDEFGH"));
        assert!(v.contains("报告编号或验证码不正确"), "[{name}]");
        let (status, _) = s.get(&format!("/verify?no={no}"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let api = |no: &str, code: &str| -> Value {
            s.client
                .get(format!(
                    "{}/api/v1/public/reports/verify?no={no}&code={code}",
                    s.base
                ))
                .send()
                .unwrap()
                .json()
                .unwrap()
        };
        let v = api(&no, &code);
        assert_eq!(v["result"], "authentic");
        assert_eq!(v["current"], true);
        let p = probity_app::public::profile(&b.store, &uscc, today).unwrap();
        b.store
            .transition(
                p.dishonest[0].id,
                Action::Revoke,
                Role::CreditOffice,
                None,
                "信用办:test",
                "测试撤销",
            )
            .unwrap();
        let v = api(&no, &code);
        assert_eq!(v["result"], "authentic", "[{name}] still authentic");
        assert_eq!(v["current"], false, "[{name}] but no longer current");
        let (_, page) = s.get(&format!("/verify?no={no}&code={code}"));
        assert!(page.contains("公示信息已有变化"), "[{name}]");

        // The JSON twin issues too; a bad code is refused with a reason.
        let res = s
            .client
            .post(format!("{}/api/v1/public/subjects/{uscc}/report", s.base))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let issued: Value = res.json().unwrap();
        assert_eq!(
            api(
                issued["report_no"].as_str().unwrap(),
                issued["code"].as_str().unwrap()
            )["current"],
            true
        );
        let res = s
            .client
            .post(format!("{}/api/v1/public/subjects/BAD/report", s.base))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
}
