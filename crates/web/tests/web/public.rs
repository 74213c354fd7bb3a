//! The public search against a real server on SQLite and PostgreSQL, with the demo district: a
//! record is found exactly when the disclosure policy lets the public see it, civil servants'
//! names never come back whole, the index follows the database (each test catches it up as the
//! served platform's indexer thread does; one test watches that thread), bad queries get clear
//! answers, and the public routes are rate-limited per client.

use std::time::{Duration, Instant};

use probity_domain::disclosure::{RecordFacts, SubjectFacts, Viewer, disclose};
use probity_domain::record::{Action, Role};
use probity_domain::subject::SubjectKind;
use probity_store::{RecordFilter, RecordOrder, Store};
use probity_testkit::{Options, Serve, Server, backends, roster};
use reqwest::StatusCode;
use serde_json::Value;

/// A server allowing each client `public_per_minute` public requests a minute.
fn start(store: &Store, public_per_minute: usize) -> Server {
    let pages = probity_web::PagesConfig {
        public_per_minute,
        ..Default::default()
    };
    let options = Options {
        pages,
        ..Default::default()
    };
    Server::start_with(store, options)
}

/// What the public asks.
trait Public {
    /// A page, as a browser asks for it.
    fn get(&self, path_and_query: &str) -> (StatusCode, String);
    /// The JSON search.
    fn search(&self, q: &str) -> (StatusCode, Value);
    /// Any JSON answer.
    fn get_json(&self, path_and_query: &str) -> (StatusCode, Value);
    /// Brings the search index up with the database, and checks that `q` finds something.
    fn index_finds(&self, q: &str);
}

impl Public for Server {
    fn get(&self, path_and_query: &str) -> (StatusCode, String) {
        let res = self
            .client
            .get(self.url(path_and_query))
            .header("accept", "text/html")
            .send()
            .unwrap();
        (res.status(), res.text().unwrap())
    }

    fn search(&self, q: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .get(self.url(&format!(
                "/api/v1/public/search?q={}",
                probity_web::pages::percent_encode(q)
            )))
            .send()
            .unwrap();
        let status = res.status();
        (status, res.json().unwrap_or(Value::Null))
    }

    fn get_json(&self, path_and_query: &str) -> (StatusCode, Value) {
        let res = self.client.get(self.url(path_and_query)).send().unwrap();
        (res.status(), res.json().unwrap())
    }

    fn index_finds(&self, q: &str) {
        self.catch_up();
        assert!(
            self.search(q).1["total"].as_u64().unwrap_or(0) > 0,
            "the index does not find {q}"
        );
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
        let s = start(&b.store, 100_000);
        s.index_finds("采购");
        let name = b.name;

        let catalog = b.store.catalog().unwrap();
        let names = probity_app::public::masker_of(&b.store.subjects().unwrap());
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
        let mut honour = None;
        for r in &records {
            let subject = &subjects[&r.subject_id];
            let facts = RecordFacts {
                state: r.state,
                scope: r.scope,
                kind: r.kind,
                severity: r.severity,
                decided_on: r.decided_on,
                disclosure_until: r.disclosure_until,
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
            let public = disclose(&facts, &who, Viewer::Public, today, &names).is_ok();
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
                if honour.is_none() && r.kind == probity_domain::catalog::RecordKind::Trustworthy {
                    honour = Some(r.id);
                }
            } else {
                hidden += 1;
            }
        }
        // Issue 10: an honour is said as one: 表彰事由 and 表彰内容, not 失信事实 and 处理结果.
        let honour = honour.expect("the demo discloses an honour");
        let (status, html) = s.get(&format!("/records/{honour}"));
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(
            html.contains("表彰事由") && html.contains("表彰内容") && !html.contains("处理结果"),
            "[{name}] {html}"
        );
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
        // Issue 10: the national periods said as a reader says them.
        assert!(
            html.contains("轻微：可不公示，最长 3 个月")
                && html.contains("一般：公示 3 个月至 1 年")
                && html.contains("严重：公示 1 年至 3 年")
                && !html.contains("不公示 至"),
            "[{name}] {html}"
        );
        // Issue 10: a public address that does not exist answers in the public layout, leading
        // back to the public pages, not to the staff console.
        let (status, html) = s.get("/no-such-page");
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        assert!(
            html.contains("政务诚信信息公示")
                && html.contains("返回首页")
                && !html.contains("回到工作台"),
            "[{name}] {html}"
        );
        let (status, html) = s.get(&format!("/subjects/{}", valid_unknown.as_str()));
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        assert!(
            html.contains("返回首页") && !html.contains("回到工作台"),
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
        s.catch_up();
        assert!(
            !ids_of(&s.search(&target.document_no).1).contains(&target.id),
            "[{name}] still found after revocation"
        );
    }
}

#[test]
fn the_public_browses_the_disclosures_without_words() {
    for b in backends("public_browse") {
        probity_app::demo::load_demo(&b.store, probity_app::today()).unwrap();
        let s = start(&b.store, 100_000);
        s.index_finds("采购");
        let name = b.name;

        // The home page leads to the whole list; every public page carries the site's links.
        let (_, home) = s.get("/");
        assert!(home.contains("href=\"/search?browse=1\""), "[{name}]");
        for link in ["href=\"/rules\"", "href=\"/verify\"", "主办"] {
            assert!(home.contains(link), "[{name}] {link} on the home page");
        }

        // Browsing: records only, newest decision first, with the facets to narrow them.
        let (status, v) = s.get_json("/api/v1/public/search?browse=1");
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let items = v["items"].as_array().unwrap();
        assert!(items.len() > 1, "[{name}] {v}");
        assert!(items.iter().all(|i| i["type"] == "record"), "[{name}] {v}");
        let dates: Vec<&str> = items
            .iter()
            .map(|i| i["decided_on"].as_str().unwrap())
            .collect();
        let mut sorted = dates.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(dates, sorted, "[{name}] newest first");
        let total = v["total"].as_u64().unwrap();
        let (category, in_category) = v["by_category"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["value"].as_str().unwrap().to_string(),
                    f["count"].as_u64().unwrap(),
                )
            })
            .find(|(_, n)| *n < total)
            .expect("two categories in the demo");

        // A filter alone browses too, in the API and on the page, and the page keeps browsing
        // when its facet is taken away again.
        let (status, v) = s.get_json(&format!("/api/v1/public/search?category={category}"));
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["total"].as_u64(), Some(in_category), "[{name}]");
        let (status, page) = s.get(&format!("/search?category={category}"));
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(
            page.contains("公示信息浏览")
                && page.contains(&format!("共找到 {in_category} 条结果"))
                && page.contains("href=\"/search?browse=1\">取消</a>"),
            "[{name}] {page}"
        );

        // No words and no filter still asks for words, in the API and on the page.
        let (status, v) = s.get_json("/api/v1/public/search?q=");
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}]");
        assert_eq!(v["error"]["code"], "QUERY_EMPTY");
        let (status, page) = s.get("/search");
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("请输入要查询") && !page.contains("共找到"),
            "[{name}]"
        );
    }
}

#[test]
fn bad_queries_get_clear_answers_and_the_public_routes_are_limited() {
    for b in backends("public_bad") {
        probity_app::demo::load_demo(&b.store, probity_app::today()).unwrap();
        let s = start(&b.store, 100_000);
        s.index_finds("采购");
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
        let s = start(&b.store, 3);
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
        let s = start(&b.store, 100_000);
        let name = b.name;
        let roster = probity_app::public::RosterNames::new();
        // A unit with disclosed dishonest records.
        let unit = b
            .store
            .subjects()
            .unwrap()
            .into_iter()
            .filter(|u| u.kind != SubjectKind::CivilServant && u.uscc.is_some())
            .find(|u| {
                probity_app::public::profile(&b.store, &roster, u.uscc.as_deref().unwrap(), today)
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
        assert!(page.contains("SM2 签名") && page.contains("政务诚信报告"));
        // The full address to verify it at, and a QR code of it, and who issued it.
        let verify_url = format!("{}/verify?no={no}&#38;code={code}", s.base);
        assert!(
            page.contains(&format!(
                "id=\"verify-url\" class=\"wrap\" href=\"{verify_url}\""
            )),
            "[{name}] {page}"
        );
        assert!(
            page.contains("aria-label=\"报告核验二维码") && page.contains("<svg"),
            "[{name}]"
        );
        assert!(
            page.contains("出具单位") && page.contains("信用办"),
            "[{name}]"
        );
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
        // With the portal's address configured, the report prints that one, whatever the Host.
        let configured = Server::start_with(
            &b.store,
            Options {
                pages: probity_web::PagesConfig {
                    public_url: Some("https://xy.example.gov.cn/".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        let (_, page) = configured.get(&format!("/reports/{no}?code={code}"));
        assert!(
            page.contains(&format!(
                "href=\"https://xy.example.gov.cn/verify?no={no}&#38;code={code}\""
            )),
            "[{name}] {page}"
        );
        drop(configured);
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
        let p = probity_app::public::profile(&b.store, &roster, &uscc, today).unwrap();
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

/// Text with full-width digits and X made ASCII and the separators people put inside numbers
/// taken out, so that an ID number written in any form shows as its plain digits.
fn plain_digits(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !(c.is_whitespace()
                || matches!(
                    c,
                    '-' | '·' | '\u{2010}'..='\u{2015}' | '\u{FF0D}' | '\u{3000}'
                ))
        })
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap(),
            'Ｘ' | 'ｘ' | 'x' => 'X',
            c => c,
        })
        .collect()
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
            'X' => 'Ｘ',
            c => c,
        })
        .collect()
}

/// Issues a report through the JSON API from this test's client.
fn post_report(s: &Server, uscc: &str) -> (StatusCode, Value) {
    let res = s
        .client
        .post(format!("{}/api/v1/public/subjects/{uscc}/report", s.base))
        .send()
        .unwrap();
    (res.status(), res.json().unwrap_or(Value::Null))
}

/// A unit's record, submitted by the court and activated, with `facts` and `outcome` as given.
/// `texts`: the record's free texts (决定机关, 失信事实, 处理依据, 处理结果); a `None` authority or
/// basis is the court's name and no basis.
fn court_record(
    store: &Store,
    unit: &probity_store::Subject,
    doc: &str,
    texts: [Option<&str>; 4],
) -> i64 {
    let [authority, facts, basis, outcome] = texts;
    let today = probity_app::today();
    let row = probity_domain::record::RecordRow {
        subject_name: unit.name.clone(),
        uscc: unit.uscc.clone().unwrap(),
        category: "JUDICIAL_JUDGMENT".into(),
        document_no: doc.into(),
        decided_on: (today - chrono::Duration::days(10))
            .format("%Y-%m-%d")
            .to_string(),
        authority: authority.unwrap_or("天津市滨海新区人民法院").into(),
        facts: facts.unwrap_or_default().into(),
        basis: basis.unwrap_or_default().into(),
        outcome: outcome.unwrap_or_default().into(),
        severity: "ordinary".into(),
        ..Default::default()
    };
    let rec = row.validate(&store.catalog().unwrap(), today).unwrap();
    let court = store.find_unit("区法院").unwrap();
    let created = store
        .create_record(
            probity_store::ImportOptions {
                provider: court,
                actor: "区法院:test".into(),
                channel: probity_store::Channel::Form,
                source: "test".into(),
                activate: true,
                all_or_nothing: false,
            },
            rec,
            false,
        )
        .unwrap();
    match created {
        probity_store::Created::New(r) => r.id,
        other => panic!("not created: {other:?}"),
    }
}

/// Finding 4: a unit's record whose texts name a civil servant on the roster and carry ID numbers
/// in the forms people write them (letters before, full-width, spaced, the old 15 digits) shows
/// none of them on its page, its JSON twin, the profile, the search (neither the answer nor the
/// highlighted snippet, and the name finds nothing) and the credit report; a civil servant added
/// to the roster while the server runs is masked on the next request and the next catch-up.
#[test]
fn names_and_id_numbers_in_free_text_never_reach_the_public() {
    for b in backends("public_mask") {
        let today = probity_app::today();
        probity_app::demo::load_demo(&b.store, today).unwrap();
        let name = b.name;
        let servant = b
            .store
            .subjects()
            .unwrap()
            .into_iter()
            .find(|s| s.kind == SubjectKind::CivilServant && s.name.chars().count() >= 3)
            .unwrap()
            .name;
        let newcomer = "苗静怡";
        assert!(
            b.store
                .subjects()
                .unwrap()
                .iter()
                .all(|s| s.name != newcomer),
            "[{name}] {newcomer} is not on the demo roster"
        );
        let unit = b.store.find_unit("区财政局").unwrap();
        let uscc = unit.uscc.clone().unwrap();
        let birth = chrono::NaiveDate::from_ymd_opt(1982, 3, 20).unwrap();
        let id_a = probity_domain::ident::IdNumber::from_parts("120116", birth, 27)
            .unwrap()
            .as_str()
            .to_string();
        let id_b = probity_domain::ident::IdNumber::from_parts("120101", birth, 413)
            .unwrap()
            .as_str()
            .to_string();
        let old = "120116820320027";
        let spaced = format!("{} {} {}", &id_a[..6], &id_a[6..14], &id_a[14..]);
        let facts = format!(
            "经办人{servant}（身份证号ID{}）会同{newcomer}（身份证 {spaced}，旧证{old}）未按合同约定支付采购款。",
            full_width(&id_b)
        );
        let doc = "津滨法〔2025〕民初9001号";
        // Every free text of the record names him and carries an ID number.
        let id = court_record(
            &b.store,
            &unit,
            doc,
            [
                Some(&format!(
                    "天津市滨海新区人民法院（承办人{servant}，{spaced}）"
                )),
                Some(&facts),
                Some(&format!("依据{servant}（{}）的书面确认", full_width(&id_b))),
                Some(&format!("责令{servant}所在单位限期支付，联系人身份证{old}")),
            ],
        );
        let s = start(&b.store, 100_000);
        s.index_finds(doc);

        let leaks = |what: &str, text: &str| {
            assert!(
                !text.contains(&servant),
                "[{name}] {servant} in {what}: {text}"
            );
            let digits = plain_digits(text);
            for n in [id_a.as_str(), id_b.as_str(), old] {
                assert!(
                    !digits.contains(n),
                    "[{name}] an ID number in {what}: {text}"
                );
            }
        };
        let (status, page) = s.get(&format!("/records/{id}"));
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(page.contains("未按合同约定支付采购款"), "[{name}]");
        // Every free text is shown, masked: the checks below see each of them.
        for shown in ["承办人", "的书面确认", "联系人身份证", "[身份证号已隐去]"]
        {
            assert!(
                page.contains(shown),
                "[{name}] {shown} not on the page: {page}"
            );
        }
        leaks("the record page", &page);
        let json = s
            .client
            .get(format!("{}/api/v1/public/records/{id}", s.base))
            .send()
            .unwrap()
            .text()
            .unwrap();
        leaks("the record's JSON", &json);
        leaks("the profile", &s.get(&format!("/subjects/{uscc}")).1);
        let (_, v) = s.search(doc);
        assert!(ids_of(&v).contains(&id), "[{name}]");
        leaks("the search answer", &v.to_string());
        leaks(
            "the search page",
            &s.get(&format!(
                "/search?q={}",
                probity_web::pages::percent_encode(doc)
            ))
            .1,
        );
        let (_, v) = s.search(&servant);
        assert!(
            !ids_of(&v).contains(&id),
            "[{name}] the record is found by the civil servant's name"
        );
        // (The answer repeats the query; what it found must not show the name.)
        leaks("the search by name", &v["items"].to_string());
        let (status, report) = post_report(&s, &uscc);
        assert_eq!(status, StatusCode::CREATED, "[{name}] {report}");
        leaks("the report", &report.to_string());

        // Not a civil servant (yet): the newcomer is shown as written. Then the roster gets him.
        assert!(s.get(&format!("/records/{id}")).1.contains(newcomer));
        let row = probity_domain::subject::RosterRow {
            name: newcomer.into(),
            kind: "公务员".into(),
            id_number: probity_domain::ident::IdNumber::from_parts("120116", birth, 555)
                .unwrap()
                .as_str()
                .to_string(),
            unit: "区财政局".into(),
            position: "科员".into(),
            ..Default::default()
        };
        let report = b
            .store
            .import_roster(vec![(2, row.validate(false).unwrap())], "test")
            .unwrap();
        assert!(report.rejected.is_empty(), "[{name}] {:?}", report.rejected);
        let (_, page) = s.get(&format!("/records/{id}"));
        assert!(
            !page.contains(newcomer) && page.contains("苗*"),
            "[{name}] the new civil servant is masked at once"
        );
        s.catch_up();
        assert!(
            !(s.search(doc).1.to_string().contains(newcomer)
                || ids_of(&s.search(newcomer).1).contains(&id)),
            "[{name}] the index still shows or finds {newcomer}"
        );
    }
}

/// Finding 5: a catalog change that stops disclosure of a severity takes the category's records
/// of that severity out of the search, and undoing it brings them back.
#[test]
fn a_catalog_change_reaches_the_search_index() {
    for b in backends("public_catalog") {
        let today = probity_app::today();
        probity_app::demo::load_demo(&b.store, today).unwrap();
        let name = b.name;
        let unit = b.store.find_unit("区财政局").unwrap();
        let doc = "津滨法〔2025〕民初9002号";
        let id = court_record(
            &b.store,
            &unit,
            doc,
            [
                None,
                Some("拒不履行生效判决确定的付款义务。"),
                None,
                Some("责令履行"),
            ],
        );
        let s = start(&b.store, 100_000);
        s.index_finds(doc);

        let mut cat = b
            .store
            .catalog()
            .unwrap()
            .get("JUDICIAL_JUDGMENT")
            .unwrap()
            .clone();
        let before = cat.clone();
        cat.disclosure[1] = probity_domain::catalog::DisclosureBounds {
            min_months: 0,
            max_months: 0,
        };
        b.store.save_category(&cat, "信用办:test").unwrap();
        s.catch_up();
        assert!(
            !ids_of(&s.search(doc).1).contains(&id),
            "[{name}] still found after its severity became 不公示"
        );
        let (_, v) = s.search(doc);
        assert!(!v["items"].to_string().contains(doc), "[{name}] {v}");
        assert_eq!(s.get(&format!("/records/{id}")).0, StatusCode::NOT_FOUND);

        b.store.save_category(&before, "信用办:test").unwrap();
        s.index_finds(doc);
        assert!(
            ids_of(&s.search(doc).1).contains(&id),
            "[{name}] back again"
        );
    }
}

/// Finding 12: the same unit's report of the same day and content is issued once (one row, one
/// journal entry), each request getting a code of its own that verifies it; and one client gets
/// at most 10 reports an hour, then 429 RATE_LIMITED, on the API and the page alike.
#[test]
fn reports_are_deduplicated_and_limited_per_client() {
    for b in backends("public_report_limit") {
        probity_app::demo::load_demo(&b.store, probity_app::today()).unwrap();
        let name = b.name;
        let s = start(&b.store, 100_000);
        let uscc = b.store.find_unit("区财政局").unwrap().uscc.unwrap();
        let head = b.store.head_seq().unwrap();
        let (status, first) = post_report(&s, &uscc);
        assert_eq!(status, StatusCode::CREATED, "[{name}] {first}");
        assert_eq!(
            b.store.head_seq().unwrap(),
            head + 1,
            "[{name}] journaled once"
        );
        let (status, again) = post_report(&s, &uscc);
        assert_eq!(status, StatusCode::CREATED, "[{name}] {again}");
        assert_eq!(
            again["report_no"], first["report_no"],
            "[{name}] the same report"
        );
        assert_eq!(again["content"], first["content"]);
        assert_ne!(again["code"], first["code"], "[{name}] a code of its own");
        assert_eq!(
            b.store.head_seq().unwrap(),
            head + 1,
            "[{name}] no second row or journal entry"
        );
        for v in [&first, &again] {
            let verified: Value = s
                .client
                .get(format!(
                    "{}/api/v1/public/reports/verify?no={}&code={}",
                    s.base,
                    v["report_no"].as_str().unwrap(),
                    v["code"].as_str().unwrap()
                ))
                .send()
                .unwrap()
                .json()
                .unwrap();
            assert_eq!(verified["result"], "authentic", "[{name}] {verified}");
        }
        // Ten in the hour (the two above count), of any unit; the eleventh waits.
        let units: Vec<String> = b
            .store
            .subjects()
            .unwrap()
            .into_iter()
            .filter(|u| u.kind != SubjectKind::CivilServant)
            .filter_map(|u| u.uscc)
            .take(8)
            .collect();
        for u in &units {
            assert_eq!(post_report(&s, u).0, StatusCode::CREATED, "[{name}] {u}");
        }
        let seq = b.store.head_seq().unwrap();
        let (status, v) = post_report(&s, &uscc);
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "[{name}] {v}");
        assert_eq!(v["error"]["code"], "RATE_LIMITED", "[{name}]");
        let plain = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = plain
            .post(format!("{}/subjects/{}/report", s.base, units[0]))
            .header("accept", "text/html")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "[{name}]");
        assert!(
            res.text().unwrap().contains("出具信用报告过于频繁"),
            "[{name}]"
        );
        assert_eq!(
            b.store.head_seq().unwrap(),
            seq,
            "[{name}] a refusal changes nothing"
        );
    }
}

/// Waits (at most 20 seconds) until `cond` holds: for the indexer thread of a served platform,
/// which runs on its own and tells no one when it has.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < until, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The platform as `probity serve` runs it keeps its own index up with the database: a disclosed
/// record is found without anyone asking for a catch-up, and a revoked one leaves the search
/// within moments. (The other tests catch the index up themselves, with the catch-up this
/// indexer thread runs.)
#[test]
fn the_served_index_follows_the_database() {
    for b in backends("public_served") {
        let name = b.name;
        roster::binhai(&b.store);
        let unit = b.store.find_unit("区财政局").unwrap();
        let doc = "津滨法〔2025〕民初9003号";
        let id = court_record(
            &b.store,
            &unit,
            doc,
            [
                None,
                Some("拒不履行生效判决确定的付款义务。"),
                None,
                Some("责令履行"),
            ],
        );
        let pages = probity_web::PagesConfig {
            search_every: Duration::from_millis(100),
            ..Default::default()
        };
        let options = Options {
            pages,
            serve: Some(Serve::default()),
            ..Default::default()
        };
        let s = Server::start_with(&b.store, options);
        let found = || ids_of(&s.search(doc).1).contains(&id);
        eventually(&format!("[{name}] the index never found {doc}"), found);
        b.store
            .transition(
                id,
                Action::Revoke,
                Role::CreditOffice,
                None,
                "信用办:test",
                "测试撤销",
            )
            .unwrap();
        eventually(&format!("[{name}] still found after revocation"), || {
            !found()
        });
    }
}
